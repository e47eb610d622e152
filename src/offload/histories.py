"""The manifests of a finished offload: ASC MHL v2 histories and legacy MHL v1 files.

For each destination that was not lost: carry the source card's own ``ascmhl/`` history
(if any), then append a ``transfer`` generation (when this run copied anything there) listing
every file verified on this destination, now or by an earlier run (those with the digests and
the date of that verification, from the ledger), so that its folder hashes describe complete
folders; and/or write a legacy MHL. Copied files are not re-read: their digests are the
copy's in-flight digests, every one of which was matched against the read-back (only what
symlinks lead to is read here, see below). Failures here never touch the copies; they are
reported per destination.

What the reference tool (``ascmhl`` 1.2) does with what is not a plain file, and so what a
generation here records:

* a symlink to a file is a file to ascmhl: it lists the link's path with the size, date and
  hash of the content it leads to (``os.path.getsize``/``getmtime``/``open`` follow links).
  The copy keeps the link a link; its content is read here from the destination's media,
  through the link (a link whose target did not arrive there is not recorded as if it had);
* a symlink to a folder is skipped by ``ascmhl diff``/``verify`` (``ascmhl create`` and
  ``verify -dh`` crash on one): not recorded, and not part of any folder hash;
* a dangling or looping symlink has no content (``ascmhl create`` crashes on one, ``ascmhl
  diff`` lists it as a new file): not recorded, and a warning names it;
* a name XML cannot hold (bytes that are not UTF-8, control characters) cannot be written
  in any form ascmhl reads back (it crashes hashing such a name): that file (or folder) is
  left out with a warning naming it; every other file keeps its history.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from offload import __version__
from offload.engine.verifier import MediaHasher
from offload.errors import OffloadError, UsageError, describe_os_error
from offload.events import EventSink, NullSink, WarningIssued
from offload.ledger import TOOL_IGNORE_PATTERNS
from offload.manifest import (
    ASCMHL_FOLDER,
    CreatorInfo,
    ManifestFile,
    UnsupportedTreeError,
    copy_history,
    read_history,
    write_generation,
    write_legacy_mhl,
)
from offload.manifest.xmltext import check_xml_string, xml_safe
from offload.plan.codes import PreflightCode, PreflightItem
from offload.results import GOOD_STATUSES, DestinationStatus

if TYPE_CHECKING:
    from offload.card import OffloadPlan, OffloadReport
    from offload.plan import DestinationPlan


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
    """What the manifest step did on one destination.

    ``left_out``: paths (relative to the copy root, names as the filesystem gives them) that
    are on this destination but not in its manifests, each named in a warning: dangling or
    looping symlinks, names XML cannot hold. ``warnings``: those messages.
    """

    destination_index: int
    written: list[str] = field(default_factory=list)
    error: str | None = None
    left_out: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def printable_name(path: str) -> str:
    """A path as text that can always be printed: bytes that are not UTF-8 as ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def xml_can_hold(path: str) -> bool:
    """Whether an XML 1.0 manifest can hold *path* (valid UTF-8, no control characters)."""
    try:
        check_xml_string(path, "path")
    except UnsupportedTreeError:
        return False
    return True


def _ignore_patterns(plan: OffloadPlan) -> list[str]:
    """The offload's ignore patterns in the form ascmhl applies them (names, folders)."""
    patterns = [
        p.rstrip("/").lstrip("/") for p in (*plan.options.ignore.patterns, *TOOL_IGNORE_PATTERNS)
    ]
    return list(dict.fromkeys(p for p in patterns if p and "/" not in p))


def _linked_files(
    plan: OffloadPlan,
    report: OffloadReport,
    index: int,
    root: Path,
    hasher: MediaHasher,
    outcome: ManifestResult,
    now: datetime,
) -> list[ManifestFile]:
    """The symlinks to files on one destination as ascmhl lists them (module doc): size, date
    and digests of the content each leads to there, read from the media through the link."""
    made = {
        link.relative_path
        for link in report.symlinks
        if link.destination_index == index and link.status != "failed"
    }
    algorithms = list(plan.options.copy.algorithms)
    listed: list[ManifestFile] = []
    for link in plan.tree.symlinks:
        if link.relative_path not in made:
            continue
        path = root / link.relative_path
        try:
            info = os.stat(path)  # follows the link, as ascmhl does
            if stat.S_ISDIR(info.st_mode):
                continue  # ascmhl skips links to folders
            if not stat.S_ISREG(info.st_mode):
                raise OSError(0, "it leads to something that is not a file")
            digests = hasher(path, algorithms)
        except OSError as exc:
            reason = (
                "it leads nowhere"
                if exc.errno in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR)
                else describe_os_error(exc)
            )
            _leave_out(
                outcome,
                link.relative_path,
                f"symlink {printable_name(link.relative_path)} -> "
                f"{printable_name(link.target)} on {root}: {reason} (the link leads nowhere "
                "readable); it is not in the manifest there (ascmhl diff will list it as a "
                "new file)",
            )
            continue
        listed.append(
            ManifestFile(
                relative_path=link.relative_path,
                size_bytes=info.st_size,
                mtime_ns=info.st_mtime_ns,
                digests=digests,
                hash_date=now,
            )
        )
    return listed


def _leave_out(outcome: ManifestResult, relative: str, message: str) -> None:
    outcome.left_out.append(relative)
    outcome.warnings.append(message)


def _representable(
    files: list[ManifestFile], root: Path, outcome: ManifestResult
) -> list[ManifestFile]:
    kept: list[ManifestFile] = []
    for item in files:
        if xml_can_hold(item.relative_path):
            kept.append(item)
            continue
        _leave_out(
            outcome,
            item.relative_path,
            f"{printable_name(item.relative_path)} on {root} is not in the ASC MHL manifest: "
            "its name is not valid UTF-8 (or holds a control character), which an XML "
            "manifest cannot hold; the copy itself is verified (ascmhl diff will list it as "
            "a new file)",
        )
    return kept


def write_manifests(
    plan: OffloadPlan,
    report: OffloadReport,
    options: ManifestOptions,
    sink: EventSink | None = None,
) -> list[ManifestResult]:
    """Write the selected manifests on every destination not lost. Never raises for I/O.

    Whatever is left out of a manifest is named in a ``WarningIssued`` on *sink* and in the
    destination's ``ManifestResult.left_out``.
    """
    results: list[ManifestResult] = []
    if report.job.cancelled or not options.kinds:
        return results
    sink = sink or NullSink()
    hasher = MediaHasher()
    try:
        for dest_plan in plan.plans:
            if any(d.index == dest_plan.index and d.lost for d in report.job.destinations):
                continue
            outcome = _write_on_destination(plan, report, options, dest_plan, hasher)
            results.append(outcome)
            for message in outcome.warnings:
                sink.emit(WarningIssued(message, str(dest_plan.root)))
    finally:
        hasher.close()
    return results


def _write_on_destination(
    plan: OffloadPlan,
    report: OffloadReport,
    options: ManifestOptions,
    dest_plan: DestinationPlan,
    hasher: MediaHasher,
) -> ManifestResult:
    source_has_history = plan.source_has_history
    patterns = _ignore_patterns(plan)
    creator = options.creator()
    root = dest_plan.root
    outcome = ManifestResult(dest_plan.index)
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
        relative = str(Path(result.final_path).relative_to(root).as_posix())
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
        return _carry_only(plan, root, options, outcome) if source_has_history else outcome
    listed += _linked_files(plan, report, dest_plan.index, root, hasher, outcome, options.now())
    listed = _representable(listed, root, outcome)
    directories = [d for d in plan.tree.directories if xml_can_hold(d)]
    try:
        if MhlKind.ASCMHL in options.kinds:
            if source_has_history:
                outcome.written.extend(str(p) for p in copy_history(plan.source, root))
            # The legacy MHL (written next to it) is not card content.
            legacy = (
                [f"{xml_safe(root.name, '?')}_*.mhl"] if MhlKind.LEGACY in options.kinds else []
            )
            outcome.written.append(
                str(
                    write_generation(
                        root,
                        listed,
                        directories=directories,
                        creator=creator,
                        process="transfer",
                        ignore_patterns=[*patterns, *legacy],
                        now=options.now,
                    )
                )
            )
        if MhlKind.LEGACY in options.kinds:
            outcome.written.append(
                str(
                    write_legacy_mhl(
                        root,
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
            f"manifest not written on {dest_plan.destination}: {getattr(exc, 'message', str(exc))}"
        )
    return outcome


def _carry_only(
    plan: OffloadPlan, root: Path, options: ManifestOptions, outcome: ManifestResult
) -> ManifestResult:
    """Nothing new on this destination: no new generation, but the card's history is still
    carried (it may have grown since)."""
    if MhlKind.ASCMHL not in options.kinds:
        return outcome
    try:
        outcome.written.extend(str(p) for p in copy_history(plan.source, root))
    except OffloadError as exc:
        outcome.error = f"manifest not written on {root}: {exc.message}"
    return outcome


def reference_formats(source_references: dict[str, dict[str, str]]) -> Sequence[str]:
    """The formats a source card's history uses (so they are hashed in flight too)."""
    formats: dict[str, None] = {}
    for digests in source_references.values():
        formats.update(dict.fromkeys(digests))
    return list(formats)


@dataclass(frozen=True)
class CardHistory:
    """What the card's own ASC MHL history says, checked before anything is copied.

    ``references``: ``path → {format → hash}`` every file is checked against while read
    (empty when there is no history or it is not trusted). ``trusted``: the history is
    carried to the destinations and continued there. ``missing_from_card``: paths the history
    records that the card no longer has (a clip deleted in camera, or lost), sorted; each is
    also a warning. ``untrusted_reason``: why a history that is there is not trusted (it
    records paths outside the card: broken or forged). ``warnings``: the findings, in the
    preflight's form (emitted with the preflight warnings and kept in the report).
    """

    references: dict[str, dict[str, str]]
    trusted: bool
    missing_from_card: tuple[str, ...] = ()
    untrusted_reason: str | None = None
    warnings: tuple[PreflightItem, ...] = ()


def check_card_history(source: Path) -> CardHistory:
    """Read and check the card's own ASC MHL history (module doc of :class:`CardHistory`).

    A history that records paths outside the card is not trusted: a warning says so, the
    offload goes on without it and each destination starts a fresh history. Raises
    UsageError (nothing copied) when the card carries a history that cannot be read.
    """
    folder = source / ASCMHL_FOLDER
    if not folder.is_dir():
        return CardHistory({}, trusted=False)
    try:
        history = read_history(source)
    except OffloadError as exc:
        raise UsageError(
            f"the card's ASC MHL history in {folder} cannot be read: {exc.message}; nothing "
            "was copied",
            path=source,
        ) from None
    if not history.exists:
        return CardHistory({}, trusted=False)
    escaping = history.escaping_paths()
    if escaping:
        shown = ", ".join(repr(printable_name(p)) for p in escaping[:5])
        more = f" and {len(escaping) - 5} more" if len(escaping) > 5 else ""
        reason = f"it records paths outside the card ({shown}{more})"
        message = (
            f"the card's ASC MHL history in {folder} is broken or forged: {reason}. It is "
            "not trusted: the card's files are not checked against it, it is not carried to "
            "the destinations, and each destination starts a fresh history of its own"
        )
        item = PreflightItem(PreflightCode.CARD_HISTORY_UNTRUSTED, folder, message)
        return CardHistory({}, trusted=False, untrusted_reason=reason, warnings=(item,))
    missing = tuple(
        sorted(p for p in history.recorded_file_paths() if not os.path.lexists(source / p))
    )
    warnings = tuple(
        PreflightItem(
            PreflightCode.CARD_HISTORY_FILE_MISSING,
            source / path,
            f"{printable_name(path)!r} is in the card's own ASC MHL history but not on the "
            "card (deleted in camera, or lost): it cannot be offloaded",
        )
        for path in missing
    )
    return CardHistory(
        history.reference_hashes(), trusted=True, missing_from_card=missing, warnings=warnings
    )
