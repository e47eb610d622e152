"""A cascade's local slow drives' copies looked at again before their manifests are written.

A slow drive of a cascade is fed for as long as the cascade lasts (hours, on a big card),
and its manifest is written last: a copy removed, cut short or put in place of ours between
its read-back and that manifest would be listed there as verified, more than was proved.
So, as ``destinations/s3looked_again`` does for a bucket, before the manifests of each local
slow drive one ``lstat`` a copy the report still calls good compares it with what its
read-back saw: a regular file of the card file's size (and, the card's dates given to the
copies, its card file's date as the drive stores it or the date it showed when this run
read it back: ``Ledger.dated_as_verified``, a drive that shifts every date, fusefat under a
time zone other than UTC, failing nothing for that), the very file this run
recorded (``Ledger.run_known``: its inode and change time where the drive keeps them; one
that moved, a metadata change only or a file written in place, is read again whole against
its digests, ``copy_reread.reads_as_recorded``). A copy found otherwise is failed on its
drive (``FileFailed`` after its ``FileVerified``), revoked from its ledger, and left out of
its manifest. A drive that no longer answers (``DRIVE_GONE_ERRNOS``) claims nothing either
way: not looked at further (its own failure says so). ~0.2 s of CPU at 50,000 copies
(measured: ext4, warm, ``lstat`` and the comparison), against a window of hours.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING

from offload.copy_reread import reads_as_recorded
from offload.errors import DRIVE_GONE_ERRNOS, describe_os_error
from offload.events import EventSink, FileFailed
from offload.ledger import Ledger, RunKnown
from offload.remedies import LOOKED_AGAIN_OTHER
from offload.results import (
    GOOD_STATUSES,
    DestinationFileResult,
    DestinationStatus,
    FileResult,
    was_proved,
    was_recorded,
)

if TYPE_CHECKING:
    from offload.card import OffloadPlan, OffloadReport
    from offload.engine.cancel import CancelToken

_NO_LONGER_VOUCHES = "its ledger no longer vouches for it"
_GONE = f"run the same command again to copy it anew ({_NO_LONGER_VOUCHES})"
_OTHER = LOOKED_AGAIN_OTHER
_UNREAD = f"run the same command again to read it back ({_NO_LONGER_VOUCHES})"
_WHEN = "when the drive's copies were looked at again before its manifest was written"


class DriveGone(Exception):
    """``found_at``: the copy's drive stopped answering as the copy was read again (claims
    nothing either way: the drive's own failure says it)."""


def found_at(
    copy: Path | str,
    st: os.stat_result,
    file: FileResult,
    status: DestinationStatus,
    ledger: Ledger,
    known: Callable[[], RunKnown],
    *,
    dates: bool,
    cancel: CancelToken | None = None,
) -> tuple[str, bool] | None:
    """What the copy of *file* at *copy* (its ``lstat`` *st*, a good copy's, *status*) was
    found to be since this run's read-back saw it, as the cascade's end check of the fast
    copies and this module's look at the slow drives both judge it: None where it is still
    that copy, else (the words, whether it could not be read): no longer a regular file,
    another size, another date than its card file's as the drive stores it or as it showed
    when verified (*dates*: the card's dates given to the copies; ``Ledger.dated_as_verified``),
    or, its inode or change time moved since this run recorded them (*known*, asked only
    then: ``Ledger.run_known``; ``RunKnown({}, {}, "")`` where the filesystem keeps none),
    read again whole (``copy_reread.reads_as_recorded``) and found other or unreadable; a
    metadata change alone (``chmod``, an xattr) keeps it. Raises DriveGone; CancelledError
    where *cancel*, a job's token, is set before that read ended (asked before each of its
    reads and after the last: the copy compared with nothing)."""
    if not stat.S_ISREG(st.st_mode):
        return "no longer a regular file", False
    if st.st_size != file.size_bytes:
        return f"{st.st_size} bytes long, the card's file {file.size_bytes}", False
    if dates and not ledger.dated_as_verified(
        file.relative_path, st, file.size_bytes, file.mtime_ns
    ):
        return "with another modification time than the card's file", False
    moved = known().moved(file.relative_path, st, file.size_bytes)
    if moved is None:
        return None
    try:
        if reads_as_recorded(copy, moved.digests, cancel=cancel):
            return None  # its metadata alone changed (chmod, an xattr)
    except OSError as exc:
        if exc.errno in DRIVE_GONE_ERRNOS:
            raise DriveGone from exc
        return f"unreadable ({exc.strerror or exc}) when read again", True
    return (
        f"with other content than {was_recorded(status)} (its change time had moved since; "
        "read again whole)",
        False,
    )


def run_known_of(ledger: Ledger) -> Callable[[], RunKnown]:
    """*ledger*'s ``run_known``, made when first asked (``found_at``'s *known*); no entries
    where its filesystem keeps no inode number and change time (``Ledger.keeps_identity``:
    exFAT, fusefat, sshfs, a share: there the size and date are all a look has)."""
    made: list[RunKnown] = []

    def known() -> RunKnown:
        if not made:
            made.append(ledger.run_known() if ledger.keeps_identity() else RunKnown({}, {}, ""))
        return made[0]

    return known


def fail_changed(
    plan: OffloadPlan, report: OffloadReport, indexes: AbstractSet[int], sink: EventSink
) -> None:
    """Look again at the copies of each local slow drive of the cascade among *indexes*
    (those not lost), as the module says. Never raises OSError."""
    changed = False
    dates = plan.options.copy.preserve_mtime
    for index in sorted(set(indexes) & set(plan.options.cascade)):
        if index in plan.backends or not 0 <= index < len(plan.ledgers):
            continue
        ledger = plan.ledgers[index]
        known = run_known_of(ledger)
        revoke: dict[str, DestinationFileResult] = {}
        for file in report.job.files:
            result = file.destination(index)
            if result is None or result.status not in GOOD_STATUSES or not result.final_path:
                continue
            copy = result.final_path
            remedy = _OTHER
            try:
                st = os.lstat(copy)
            except OSError as exc:
                if exc.errno in DRIVE_GONE_ERRNOS:
                    break  # claims nothing: the drive's own failure says it
                if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                    found, remedy = "gone", _GONE
                else:
                    found, remedy = f"unreadable ({exc.strerror or exc})", _UNREAD
            else:
                try:
                    seen = found_at(copy, st, file, result.status, ledger, known, dates=dates)
                except DriveGone:
                    break
                if seen is None:
                    continue
                found, unreadable = seen
                if unreadable:
                    remedy = _UNREAD
            error = (
                f"{file.relative_path}: the copy {copy} {was_proved(result.status)}, then found "
                f"{found} {_WHEN}; {remedy}"
            )
            result.status = DestinationStatus.FAILED
            result.verified_at = result.verified_mode = None  # nothing stands proved
            result.error = error
            revoke[file.relative_path] = result
            sink.emit(FileFailed(index, file.relative_path, error))
            changed = True
        if not revoke:
            continue
        try:
            ledger.revoke(dict.fromkeys(revoke, ledger.card))
        except OSError as exc:
            for result in revoke.values():  # its ledger still vouches: never said otherwise
                result.error = (result.error or "").replace(
                    _NO_LONGER_VOUCHES, "its ledger could not be told: --reverify reads it"
                )
            report.destination_error(
                index,
                f"cannot revoke the ledger entries of the copies found gone or changed there "
                f"({describe_os_error(exc)}): the next offload copy may trust them",
                "manifest",
            )
    if changed:
        for summary in report.job.destinations:
            summary.count(report.job.files)


__all__ = ["DriveGone", "fail_changed", "found_at", "run_known_of"]
