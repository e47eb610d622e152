"""Copies read again once every copy of the run is published, on a filesystem whose renames
damage other files of a folder: fusefat (``fuse.fusefat``).

Why: fusefat, renaming a file in a folder whose entries (the partial names' deleted ones
included) outgrow its first cluster, can give that folder a cluster a file of it already
uses. A copy read back and found equal, then published, is overwritten afterwards by the
entries of later renames: measured with 55 stills in one folder (a GoPro time-lapse), 3
copies held folder entries once the run ended, and plain ``mv`` does the same. The
read-back proved each copy when it was made; only a read after the last rename proves the
copies as the run leaves them. So each copy this run verified on such a destination is
read again here (through the cache fusefat is always read through: what a user reading it
would get); one that no longer has its in-flight digest is failed, named, and revoked from
the ledger, so no later run trusts it.

Not thread-safe: called once the copy jobs are over, before the reports and manifests.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from offload.errors import describe_os_error
from offload.hashing.registry import comparable_digest, fastest, new_hasher
from offload.ledger import Ledger
from offload.plan.destination import DestinationPlan
from offload.results import CopyAction, DestinationStatus, JobReport


class Rechecked(NamedTuple):
    """A copy the re-read failed: the warning line and the path it names; the copy's
    destination index, card path and reason (its ``FileFailed``)."""

    warning: str
    path: str
    destination_index: int
    relative_path: str
    error: str


# The filesystems whose renames were seen to damage other files of the folder.
RENAMES_DAMAGE = frozenset({"fuse.fusefat"})
_CHUNK = 1 << 20


def recheck_after_renames(
    job: JobReport,
    plans: Sequence[DestinationPlan],
    ledgers: Sequence[Ledger | None],
    fstype_of: dict[int, str],
) -> list[Rechecked]:
    """Read again every copy *job* verified now on a destination of *plans* whose
    filesystem (*fstype_of*, by destination index) is in :data:`RENAMES_DAMAGE`; fail each
    that no longer has its in-flight digest (status ``failed``, the reason in ``error``)
    and revoke it in that destination's ledger (*ledgers*, by index), then recount the
    destinations' totals. Returns a :class:`Rechecked` for each copy failed so (the caller
    says so: a warning, and the copy's ``FileFailed``, its outcome after its
    ``FileVerified``). Never raises for I/O: a copy that cannot be read is failed with the
    error."""
    damaged = {p.index: p for p in plans if fstype_of.get(p.index) in RENAMES_DAMAGE}
    if not damaged:
        return []
    failed: list[Rechecked] = []
    for file in job.files:
        if not file.inflight_digests:
            continue
        name = fastest(file.inflight_digests)
        for result in file.destinations:
            plan = damaged.get(result.destination_index)
            if plan is None or result.status is not DestinationStatus.VERIFIED:
                continue
            if result.action is CopyAction.TRUSTED:
                continue
            why = _changed(result.final_path, name, file.inflight_digests[name])
            if why is None:
                continue
            result.status = DestinationStatus.FAILED
            result.verified_at = result.verified_mode = None  # nothing stands proved
            result.error = (
                f"{result.final_path} {why} after it was read back and verified: fusefat "
                "damages files of a folder while renaming others into it; copy the card to "
                "a drive the kernel's vfat or exfat driver mounts"
            )
            ledger = ledgers[result.destination_index]
            if ledger is not None:
                relative = Path(os.path.relpath(result.final_path, plan.root)).as_posix()
                try:
                    ledger.revoke({relative: ledger.card})  # this card's copy alone
                except OSError as exc:
                    result.error += f" (cannot revoke it in its ledger: {describe_os_error(exc)})"
            failed.append(
                Rechecked(
                    f"copy FAILED: {result.error}",
                    result.final_path,
                    result.destination_index,
                    file.relative_path,
                    result.error,
                )
            )
    if failed:
        for summary in job.destinations:
            summary.count(job.files)
    return failed


def _changed(path: str, name: str, expected: str) -> str | None:
    """Why the file at *path* is not the copy whose *name* digest was *expected*, or None."""
    hasher = new_hasher(name)
    try:
        with open(path, "rb", buffering=0) as handle:
            while chunk := handle.read(_CHUNK):
                hasher.update(chunk)
    except OSError as exc:
        return f"could not be read again ({describe_os_error(exc)})"
    found = hasher.hexdigest()  # a C4 ID for c4, as the in-flight digest is written
    if comparable_digest(name, found) != comparable_digest(name, expected):
        return f"has another {name} ({found}, verified {expected})"
    return None
