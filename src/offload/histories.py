"""The manifests of a finished offload: ASC MHL v2 histories and legacy MHL v1 files.

For each destination that was not lost: carry the source card's own ``ascmhl/`` history
(if any), then append a ``transfer`` generation (when this run copied anything there) listing
every file verified on this destination, now or by an earlier run (those with the digests and
the date of that verification, from the ledger), so that its folder hashes describe complete
folders; and/or write a legacy MHL. Nothing is re-read:
the digests are the copy's in-flight digests, every one of which was matched against the
read-back. Failures here never touch the copies; they are reported per destination.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from offload import __version__
from offload.errors import OffloadError, UsageError
from offload.ledger import TOOL_IGNORE_PATTERNS
from offload.manifest import (
    ASCMHL_FOLDER,
    CreatorInfo,
    ManifestFile,
    copy_history,
    read_reference_hashes,
    write_generation,
    write_legacy_mhl,
)
from offload.results import GOOD_STATUSES, DestinationStatus

if TYPE_CHECKING:
    from offload.card import OffloadPlan, OffloadReport


class MhlKind(StrEnum):
    ASCMHL = "ascmhl"
    LEGACY = "legacy"


@dataclass(frozen=True, kw_only=True)
class ManifestOptions:
    kinds: frozenset[MhlKind] = frozenset({MhlKind.ASCMHL})
    author_name: str | None = None
    author_email: str | None = None
    author_role: str | None = None
    location: str | None = None
    comment: str | None = None
    hostname: str = field(default_factory=socket.gethostname)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def creator(self) -> CreatorInfo:
        return CreatorInfo(
            tool_version=__version__,
            hostname=self.hostname,
            author_name=self.author_name,
            author_email=self.author_email,
            author_role=self.author_role,
            location=self.location,
            comment=self.comment,
        )


@dataclass
class ManifestResult:
    destination_index: int
    written: list[str] = field(default_factory=list)
    error: str | None = None


def _ignore_patterns(plan: OffloadPlan) -> list[str]:
    """The offload's ignore patterns in the form ascmhl applies them (names, folders)."""
    patterns = [
        p.rstrip("/").lstrip("/") for p in (*plan.options.ignore.patterns, *TOOL_IGNORE_PATTERNS)
    ]
    return list(dict.fromkeys(p for p in patterns if p and "/" not in p))


def write_manifests(
    plan: OffloadPlan, report: OffloadReport, options: ManifestOptions
) -> list[ManifestResult]:
    """Write the selected manifests on every destination not lost. Never raises for I/O."""
    results: list[ManifestResult] = []
    if report.job.cancelled or not options.kinds:
        return results
    lost = {d.index for d in report.job.destinations if d.lost}
    source_has_history = plan.source_has_history
    patterns = _ignore_patterns(plan)
    creator = options.creator()
    for dest_plan in plan.plans:
        if dest_plan.index in lost:
            continue
        outcome = ManifestResult(dest_plan.index)
        results.append(outcome)
        # The generation lists the whole tree as it stands on this destination: files copied
        # now and files an earlier run verified (skipped now, with the digests and the date
        # of that verification), so its folder hashes describe the complete folders.
        listed: list[ManifestFile] = []
        any_new = False
        for file in report.job.files:
            result = file.destination(dest_plan.index)
            if result is None or result.status not in GOOD_STATUSES:
                continue
            any_new = any_new or result.status is not DestinationStatus.VERIFIED_EARLIER
            relative = str(Path(result.final_path).relative_to(dest_plan.root).as_posix())
            digests = file.inflight_digests or result.digests or result.recorded_digests
            when = result.verified_at or report.job.finished_at
            listed.append(
                ManifestFile(
                    relative_path=relative,
                    size_bytes=file.size_bytes,
                    mtime_ns=file.mtime_ns,
                    digests=digests,
                    hash_date=datetime.fromtimestamp(when, UTC),
                )
            )
        if not any_new:
            listed = []  # nothing happened on this destination: no new generation
        try:
            if MhlKind.ASCMHL in options.kinds:
                if source_has_history:
                    outcome.written.extend(
                        str(p) for p in copy_history(plan.source, dest_plan.root)
                    )
                if listed:
                    # The legacy MHL (written next to it) is not card content.
                    legacy = (
                        [f"{dest_plan.root.name}_*.mhl"] if MhlKind.LEGACY in options.kinds else []
                    )
                    outcome.written.append(
                        str(
                            write_generation(
                                dest_plan.root,
                                listed,
                                directories=plan.tree.directories,
                                creator=creator,
                                process="transfer",
                                ignore_patterns=[*patterns, *legacy],
                                now=options.now,
                            )
                        )
                    )
            if MhlKind.LEGACY in options.kinds and listed:
                outcome.written.append(
                    str(
                        write_legacy_mhl(
                            dest_plan.root,
                            listed,
                            creator=creator,
                            now=options.now,
                            start_date=datetime.fromtimestamp(report.job.started_at, UTC),
                            ignore_patterns=patterns,
                        )
                    )
                )
        except (OffloadError, ValueError) as exc:
            outcome.error = (
                f"manifest not written on {dest_plan.destination}: "
                f"{getattr(exc, 'message', str(exc))}"
            )
    return results


def reference_formats(source_references: dict[str, dict[str, str]]) -> Sequence[str]:
    """The formats a source card's history uses (so they are hashed in flight too)."""
    formats: dict[str, None] = {}
    for digests in source_references.values():
        formats.update(dict.fromkeys(digests))
    return list(formats)


def source_references(source: Path) -> dict[str, dict[str, str]]:
    """``path → {format → hash}`` from the source card's own ASC MHL history ({} if none).

    Raises UsageError when the card carries a history that cannot be read.
    """
    if not (source / ASCMHL_FOLDER).is_dir():
        return {}
    try:
        return read_reference_hashes(source)
    except OffloadError as exc:
        raise UsageError(
            f"the card's ASC MHL history in {source / ASCMHL_FOLDER} cannot be "
            f"read: {exc.message}; nothing was copied",
            path=source,
        ) from None
