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

A copy written in transfer mode (``--verify transfer``) there is read again too: those
renames damage it as well (measured: the time-lapse's 3 damaged copies were reported
"transfer-checked", exit 0). Read back and compared with this run's in-flight digests,
the very check the ``destination`` mode makes, one found equal is ``verified`` now
(``verified_mode`` ``destination``, ``cache_bypass`` ``none``: read through fusefat and the
caches under it, as fusefat's own read-backs are), never left "transfer-checked", which
says "never read back". Its ledger records that proof too, a ``verified`` entry of mode
``destination`` with ``cache_bypass`` ``none`` after its ``transfer_checked`` one (the
same copy: its size, mtime, digests, names, card and fingerprint), so a later run trusts
it as what this run proved, neither more ("verified earlier", through a cache: no card is
released on it, a ``--verify full`` run reads it back) nor less (a ``--verify
destination`` run trusts it instead of reading it again); an older version skips that
line (it records ``cache_bypass``) and trusts the transfer check, as before. A copy an
earlier run transfer-checked, trusted from the ledger, is compared with the ledger's
digests: not this run's read of the card, so it stays ``transfer_checked`` when equal. The
report says what was read and why (:func:`transfer_note`): a read the user did not ask for.

Cancellable: on a large card over a slow fusefat drive this is minutes, so a Ctrl-C (the
job's cancel token) stops it between two reads of 1 MiB. A copy not yet read again then
is not proved as the run leaves it: its read-back (or the ledger, or the transfer check)
proved it only before the renames. It is ``cancelled`` (the run was cancelled before it
was proved), its ``error`` saying "verified before the renames; not re-checked" (or
"transfer-checked before ..."), and revoked from the ledger like a failed one, so a later
run reads it again instead of trusting it.

Not thread-safe: called once the copy jobs are over, before the reports and manifests.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple

from offload.errors import describe_os_error
from offload.hashing.registry import comparable_digest, fastest, new_hasher
from offload.ledger import Ledger
from offload.plan.destination import DestinationPlan
from offload.results import (
    CacheBypass,
    CopyAction,
    DestinationFileResult,
    DestinationStatus,
    FileResult,
    JobReport,
)


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
    path, and what proved it before the renames: "verified" or "transfer-checked"); whether
    it was cancelled; and the transfer-mode copies it read (``transfer``)."""

    failed: list[Rechecked]
    not_rechecked: list[tuple[str, int, str, str]]
    cancelled: bool
    transfer: TransferRead | None = None


class TransferRead(NamedTuple):
    """The transfer-checked copies :func:`recheck_after_renames` read whole: this run's,
    each found equal to its in-flight digests and now ``verified`` (*verified*: its result
    and card path, for a ``FileVerified``), how many of this run's had changed and are
    failed (*changed*), and how many an earlier run transfer-checked were read against their
    ledger digests (*earlier*; *earlier_changed* of them failed)."""

    verified: list[tuple[DestinationFileResult, str]]
    changed: int
    earlier: int
    earlier_changed: int


#: How a not re-checked copy's ``error`` (``cancelled``) ends, after what proved it before
#: the renames ("verified before the renames; ", "transfer-checked before the renames; ").
NOT_RECHECKED = (
    "not re-checked: the run was cancelled during the re-read "
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


def _to_read(
    job: JobReport,
    plans: Sequence[DestinationPlan],
    fstypes: Mapping[int, Sequence[tuple[str, str]]],
) -> Iterator[tuple[FileResult, DestinationFileResult, dict[str, str], str]]:
    """Each copy ``recheck_after_renames`` reads again, in its order: (the file, the copy's
    result, the digests it must still have, when it could have been damaged, in words)."""
    damaged = {
        p.index
        for p in plans
        if any(fstype in RENAMES_DAMAGE for _, fstype in fstypes.get(p.index, ()))
    }
    if not damaged:
        return

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
    for file in job.files:
        for result in file.destinations:
            if result.destination_index not in damaged or not on_damaging(result):
                continue
            transfer = result.status is DestinationStatus.TRANSFER_CHECKED
            checked = "transfer-checked" if transfer else "verified"
            if result.action is CopyAction.TRUSTED:
                if (result.destination_index, os.path.dirname(result.final_path)) not in (
                    renamed_into
                ) or result.status not in _WRITTEN:
                    continue
                digests = result.recorded_digests
                when = (
                    f"since an earlier run {checked} it, this run renaming copies into its folder"
                )
            elif result.status is DestinationStatus.VERIFIED:
                digests, when = file.inflight_digests, "after it was read back and verified"
            elif transfer:
                # Written and transfer-checked by this run, then renamed into a folder that
                # fusefat's later renames may overwrite: what the transfer check saw of it is
                # no longer what the drive holds.
                digests, when = file.inflight_digests, "after it was written and transfer-checked"
            else:
                continue
            if digests:
                yield file, result, digests, when


def rechecks_any(
    job: JobReport,
    plans: Sequence[DestinationPlan],
    fstypes: Mapping[int, Sequence[tuple[str, str]]],
) -> bool:
    """Whether ``recheck_after_renames`` of these would read any copy again: a cancel then
    stops that read, and cancels the run; with none to read, it cancels nothing."""
    return next(_to_read(job, plans, fstypes), None) is not None


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
    copies into there (those renames may have damaged it too), and each copy *job*
    transfer-checked there (``--verify transfer``: one found equal to its in-flight digest
    becomes ``verified``, mode ``destination``, ``cache_bypass`` NONE; ``transfer`` in the
    outcome counts them, :func:`transfer_note` words it); fail each that no longer has
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
    failed: list[Rechecked] = []
    not_rechecked: list[tuple[str, int, str, str]] = []
    # Transfer-checked copies read whole, by (trusted from the ledger, changed).
    counts = {(False, False): 0, (False, True): 0, (True, False): 0, (True, True): 0}
    promoted: list[tuple[DestinationFileResult, str]] = []
    # Revoked together, one write a ledger: on fusefat each write of the ledger rewrites it
    # whole (it refuses appends), and a cancel may leave thousands not re-checked.
    unchecked: dict[int, list[tuple[DestinationFileResult, str]]] = {}
    stopped = False
    for file, result, digests, when in _to_read(job, plans, fstypes):
        plan = damaged[result.destination_index]
        transfer = result.status is DestinationStatus.TRANSFER_CHECKED
        checked = "transfer-checked" if transfer else "verified"
        stopped = stopped or cancelled()
        why = found = None
        if not stopped:
            reading(result.destination_index, file.relative_path)
            name = fastest(digests)
            why, found = _changed(result.final_path, name, digests[name], cancelled, checked)
            stopped = why is _CANCELLED
        if stopped:
            result.status = DestinationStatus.CANCELLED
            result.verified_at = result.verified_mode = None  # not proved as left
            result.error = f"{result.final_path}: {checked} before the renames; {NOT_RECHECKED}"
            unchecked.setdefault(result.destination_index, []).append((result, file.relative_path))
            not_rechecked.append(
                (result.final_path, result.destination_index, file.relative_path, checked)
            )
            continue
        if transfer:
            earlier = result.action is CopyAction.TRUSTED
            counts[earlier, why is not None] += 1
            if why is None and not earlier and found is not None:
                # Read back now and equal to this run's in-flight digest: what the
                # destination mode proves, read through fusefat and the caches below it.
                result.status = DestinationStatus.VERIFIED
                result.verified_mode = "destination"
                result.verified_at = time.time()
                result.cache_bypass = CacheBypass.NONE
                result.digests = {name: found}
                promoted.append((result, file.relative_path))
        if why is None:
            continue
        result.status = DestinationStatus.FAILED
        result.verified_at = result.verified_mode = None  # nothing stands proved
        result.error = (
            f"{result.final_path} {why} {when}: fusefat damages files of a folder while "
            "renaming others into it; copy the card to a drive the kernel's vfat or "
            "exfat driver mounts"
        )
        _revoke([(result, file.relative_path)], plan, ledgers)
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
    _record_verified(promoted, damaged, ledgers)
    if failed or not_rechecked or promoted:
        for summary in job.destinations:
            summary.count(job.files)
    read = None
    if any(counts.values()):
        read = TransferRead(
            promoted,
            counts[False, True],
            counts[True, False] + counts[True, True],
            counts[True, True],
        )
    return RecheckOutcome(failed, not_rechecked, stopped, read)


def transfer_note(read: TransferRead) -> str:
    """The report's note on the transfer-checked copies *read* again after the renames: what
    was read that ``--verify transfer`` does not read, why, and what each became."""
    mine = len(read.verified) + read.changed
    parts = []
    if mine:
        parts.append(
            f"{_copies(mine)} this run transfer-checked ({len(read.verified)} equal to this "
            "run's in-flight digests: verified now, read through fusefat and the caches "
            f"below it, cache_bypass none; {read.changed} changed: failed)"
        )
    if read.earlier:
        parts.append(
            f"{_copies(read.earlier)} an earlier run transfer-checked, against the digests "
            "its ledger records, not this run's read of the card "
            f"({read.earlier - read.earlier_changed} equal: still transfer-checked only; "
            f"{read.earlier_changed} changed: failed)"
        )
    return (
        "--verify transfer reads no copy back, but fusefat's renames can damage other files "
        "of a folder, so the copies in the folders this run renamed copies into on fusefat "
        f"were read again after its last rename: {'; and '.join(parts)}"
    )


def _copies(count: int) -> str:
    return f"{count} cop{'y' if count == 1 else 'ies'}"


def filesystem_of(path: str, folders: Sequence[tuple[str, str]]) -> str | None:
    """The filesystem type of the first of *folders* ((folder, type), deepest first) that
    holds *path* (spelled from the same copy root), or None where none does."""
    for folder, fstype in folders:
        if path == folder or path.startswith(folder.rstrip("/") + "/"):
            return fstype
    return None


def _revoke(
    results: Sequence[tuple[DestinationFileResult, str]],
    plan: DestinationPlan,
    ledgers: Sequence[Ledger | None],
) -> None:
    """Revoke the copies of *results* (each with its card file's relative path, the path
    its ledger entry records: a ``--keep-both`` copy's own name is another), all of
    *plan*'s destination (this card's alone), in its ledger, one write; a ledger that
    cannot be written is said in each one's ``error``."""
    ledger = ledgers[plan.index]
    if ledger is None:
        return
    copies = dict.fromkeys((relative for _, relative in results), ledger.card)
    try:
        ledger.revoke(copies)
    except OSError as exc:
        for result, _ in results:
            result.error = (result.error or "") + (
                f" (cannot revoke it in its ledger: {describe_os_error(exc)})"
            )


def _record_verified(
    promoted: Sequence[tuple[DestinationFileResult, str]],
    plans: Mapping[int, DestinationPlan],
    ledgers: Sequence[Ledger | None],
) -> None:
    """Record in its destination's ledger (*ledgers*, by index; *plans* the destinations)
    each transfer-checked copy of *promoted* (result, card path) that the re-read found
    equal to its in-flight digests: its ``transfer_checked`` entry again, as ``verified``
    by ``destination``, ``cache_bypass`` ``none`` (the module's docstring), one write a
    ledger. Only where the ledger's last entry of the path is a transfer check of a copy
    of that name (this run's, written before the re-read): anything else is left as it
    stands. A ledger that
    cannot be read or written keeps the transfer check alone: a later run then trusts less
    than was proved, never more. Never raises for I/O."""
    by_destination: dict[int, list[tuple[DestinationFileResult, str]]] = {}
    for result, relative_path in promoted:
        by_destination.setdefault(result.destination_index, []).append((result, relative_path))
    for index, copies in by_destination.items():
        ledger = ledgers[index] if index < len(ledgers) else None
        if ledger is None or index not in plans:
            continue
        try:
            latest = ledger.load()
            entries = []
            for result, relative_path in copies:
                entry = latest.get(relative_path)
                if (
                    entry is None
                    or entry.state != "transfer_checked"
                    or os.path.basename(result.final_path)
                    != (entry.final_name or os.path.basename(relative_path))
                ):
                    continue
                entries.append(
                    replace(
                        entry,
                        state="verified",
                        verify="destination",
                        cache_bypass=CacheBypass.NONE.value,
                        recorded_at=result.verified_at or time.time(),
                    )
                )
            ledger.append(entries)
        except OSError:
            continue


# What ``_changed`` answers for a read stopped by a cancel.
_CANCELLED = "cancelled"


def _changed(
    path: str, name: str, expected: str, cancelled: Callable[[], bool], checked: str
) -> tuple[str | None, str | None]:
    """Why the file at *path* is not the copy whose *name* digest was *expected* (None: it
    is) when it was *checked* ("verified", "transfer-checked"), and its *name* digest as
    read (None: not read whole); why is ``_CANCELLED`` (the same object) where *cancelled*
    answered True between two reads."""
    hasher = new_hasher(name)
    try:
        with open(path, "rb", buffering=0) as handle:
            while chunk := handle.read(_CHUNK):
                if cancelled():
                    return _CANCELLED, None
                hasher.update(chunk)
    except OSError as exc:
        return f"could not be read again ({describe_os_error(exc)})", None
    found = hasher.hexdigest()  # a C4 ID for c4, as the in-flight digest is written
    if comparable_digest(name, found) != comparable_digest(name, expected):
        return f"has another {name} ({found}, {checked} {expected})", found
    return None, found
