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
would get), and so is an earlier run's copy trusted from the ledger in a folder this run
renamed copies into (a resumed or incremental offload: those renames damage it as well);
one that no longer has its in-flight digest (the ledger's, for a trusted copy) is failed,
named, and revoked from the ledger, so no later run trusts it.

Cancellable: on a large card over a slow fusefat drive this is minutes, so a Ctrl-C (the
job's cancel token) stops it between two reads of 1 MiB. A copy not yet read again then
is not proved as the run leaves it: its read-back (or the ledger) proved it only before the
renames. It is ``cancelled`` (the run was cancelled before it was proved), its ``error``
saying "verified before the renames; not re-checked", and revoked from the ledger like a
failed one, so a later run reads it again instead of trusting it.

Not thread-safe: called once the copy jobs are over, before the reports and manifests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from offload.errors import describe_os_error
from offload.hashing.registry import comparable_digest, fastest, new_hasher
from offload.ledger import Ledger
from offload.plan.destination import DestinationPlan
from offload.results import CopyAction, DestinationFileResult, DestinationStatus, JobReport


class Rechecked(NamedTuple):
    """A copy the re-read failed: the warning line and the path it names; the copy's
    destination index, card path and reason (its ``FileFailed``)."""

    warning: str
    path: str
    destination_index: int
    relative_path: str
    error: str


class RecheckOutcome(NamedTuple):
    """What :func:`recheck_after_renames` did: each copy it failed; each copy left not
    re-checked by a cancel (now ``cancelled``: its final path, destination index, card
    path); and whether it was cancelled."""

    failed: list[Rechecked]
    not_rechecked: list[tuple[str, int, str]]
    cancelled: bool


#: A not re-checked copy's ``error`` (``cancelled``): what stands proved of it, and what not.
NOT_RECHECKED = (
    "verified before the renames; not re-checked: the run was cancelled during the re-read "
    "fusefat needs after its renames (they can damage other files of a folder), so it is "
    "not trusted by a later run, which reads it again"
)


# The filesystems whose renames were seen to damage other files of the folder.
RENAMES_DAMAGE = frozenset({"fuse.fusefat"})
_CHUNK = 1 << 20
# A copy at its final name: verified now or earlier, or transfer-checked.
_WRITTEN = frozenset(
    {
        DestinationStatus.VERIFIED,
        DestinationStatus.VERIFIED_EARLIER,
        DestinationStatus.TRANSFER_CHECKED,
    }
)


def recheck_after_renames(
    job: JobReport,
    plans: Sequence[DestinationPlan],
    ledgers: Sequence[Ledger | None],
    fstypes: Mapping[int, Sequence[tuple[str, str]]],
    *,
    cancelled: Callable[[], bool] = lambda: False,
    reading: Callable[[int, str], None] = lambda index, relative_path: None,
) -> RecheckOutcome:
    """Read again every copy *job* verified now on a destination of *plans* that lands on a
    filesystem in :data:`RENAMES_DAMAGE` (*fstypes*, by destination index: (folder, its
    filesystem type) for the copy root and each drive mounted below it, deepest first; a
    copy is on the first folder's that holds it: ``filesystem_of``), and each
    copy an earlier run made that is trusted from the ledger in a folder this run renamed
    copies into there (those renames may have damaged it too); fail each that no longer has
    its in-flight digest (the ledger's recorded one for a trusted copy: status ``failed``,
    the reason in ``error``)
    and revoke it in that destination's ledger (*ledgers*, by index), then recount the
    destinations' totals. Returns a :class:`Rechecked` for each copy failed so (the caller
    says so: a warning, and the copy's ``FileFailed``, its outcome after its
    ``FileVerified``). Never raises for I/O: a copy that cannot be read is failed with the
    error.

    *cancelled* is asked before each copy and between reads of 1 MiB: once it answers True,
    every copy not yet read again (the one being read included) is set ``cancelled`` with
    :data:`NOT_RECHECKED` as its ``error`` and revoked from its ledger (the module's
    docstring). *reading* is told each copy (destination index, card path) as its read
    starts: the views' progress."""
    damaged = {
        p.index: p
        for p in plans
        if any(fstype in RENAMES_DAMAGE for _, fstype in fstypes.get(p.index, ()))
    }
    if not damaged:
        return RecheckOutcome([], [], False)

    def on_damaging(result: DestinationFileResult) -> bool:
        folders = fstypes[result.destination_index]
        return filesystem_of(result.final_path, folders) in RENAMES_DAMAGE

    # The folders this run renamed copies into there: an earlier run's copy in one of them
    # (trusted from the ledger, not read back now) may have been damaged by those renames.
    renamed_into = {
        (result.destination_index, os.path.dirname(result.final_path))
        for file in job.files
        for result in file.destinations
        if result.destination_index in damaged
        and on_damaging(result)
        and result.action is not CopyAction.TRUSTED
        and result.status in _WRITTEN
    }
    failed: list[Rechecked] = []
    not_rechecked: list[tuple[str, int, str]] = []
    # Revoked together, one write a ledger: on fusefat each write of the ledger rewrites it
    # whole (it refuses appends), and a cancel may leave thousands not re-checked.
    unchecked: dict[int, list[DestinationFileResult]] = {}
    stopped = False
    for file in job.files:
        for result in file.destinations:
            plan = damaged.get(result.destination_index)
            if plan is None or not on_damaging(result):
                continue
            if result.action is CopyAction.TRUSTED:
                if (result.destination_index, os.path.dirname(result.final_path)) not in (
                    renamed_into
                ) or result.status not in _WRITTEN:
                    continue
                digests = result.recorded_digests
                when = "since an earlier run verified it, this run renaming copies into its folder"
            elif result.status is DestinationStatus.VERIFIED:
                digests, when = file.inflight_digests, "after it was read back and verified"
            else:
                continue
            if not digests:
                continue
            stopped = stopped or cancelled()
            why = None
            if not stopped:
                reading(result.destination_index, file.relative_path)
                name = fastest(digests)
                why = _changed(result.final_path, name, digests[name], cancelled)
                stopped = why is _CANCELLED
            if stopped:
                result.status = DestinationStatus.CANCELLED
                result.verified_at = result.verified_mode = None  # not proved as left
                result.error = f"{result.final_path}: {NOT_RECHECKED}"
                unchecked.setdefault(result.destination_index, []).append(result)
                not_rechecked.append(
                    (result.final_path, result.destination_index, file.relative_path)
                )
                continue
            if why is None:
                continue
            result.status = DestinationStatus.FAILED
            result.verified_at = result.verified_mode = None  # nothing stands proved
            result.error = (
                f"{result.final_path} {why} {when}: fusefat damages files of a folder while "
                "renaming others into it; copy the card to a drive the kernel's vfat or "
                "exfat driver mounts"
            )
            _revoke([result], plan, ledgers)
            failed.append(
                Rechecked(
                    f"copy FAILED: {result.error}",
                    result.final_path,
                    result.destination_index,
                    file.relative_path,
                    result.error,
                )
            )
    for index, results in unchecked.items():
        _revoke(results, damaged[index], ledgers)
    if failed or not_rechecked:
        for summary in job.destinations:
            summary.count(job.files)
    return RecheckOutcome(failed, not_rechecked, stopped)


def filesystem_of(path: str, folders: Sequence[tuple[str, str]]) -> str | None:
    """The filesystem type of the first of *folders* ((folder, type), deepest first) that
    holds *path* (spelled from the same copy root), or None where none does."""
    for folder, fstype in folders:
        if path == folder or path.startswith(folder.rstrip("/") + "/"):
            return fstype
    return None


def _revoke(
    results: Sequence[DestinationFileResult],
    plan: DestinationPlan,
    ledgers: Sequence[Ledger | None],
) -> None:
    """Revoke the copies of *results*, all of *plan*'s destination (this card's alone), in
    its ledger, one write; a ledger that cannot be written is said in each one's
    ``error``."""
    ledger = ledgers[plan.index]
    if ledger is None:
        return
    copies = {
        Path(os.path.relpath(result.final_path, plan.root)).as_posix(): ledger.card
        for result in results
    }
    try:
        ledger.revoke(copies)
    except OSError as exc:
        for result in results:
            result.error = (result.error or "") + (
                f" (cannot revoke it in its ledger: {describe_os_error(exc)})"
            )


# What ``_changed`` answers for a read stopped by a cancel.
_CANCELLED = "cancelled"


def _changed(path: str, name: str, expected: str, cancelled: Callable[[], bool]) -> str | None:
    """Why the file at *path* is not the copy whose *name* digest was *expected*, or None;
    ``_CANCELLED`` (the same object) where *cancelled* answered True between two reads."""
    hasher = new_hasher(name)
    try:
        with open(path, "rb", buffering=0) as handle:
            while chunk := handle.read(_CHUNK):
                if cancelled():
                    return _CANCELLED
                hasher.update(chunk)
    except OSError as exc:
        return f"could not be read again ({describe_os_error(exc)})"
    found = hasher.hexdigest()  # a C4 ID for c4, as the in-flight digest is written
    if comparable_digest(name, found) != comparable_digest(name, expected):
        return f"has another {name} ({found}, verified {expected})"
    return None
