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
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING

from offload.copy_reread import reads_as_recorded
from offload.errors import DRIVE_GONE_ERRNOS, describe_os_error
from offload.events import EventSink, FileFailed
from offload.ledger import RunKnown
from offload.remedies import LOOKED_AGAIN_OTHER
from offload.results import (
    GOOD_STATUSES,
    DestinationFileResult,
    DestinationStatus,
    was_proved,
    was_recorded,
)

if TYPE_CHECKING:
    from offload.card import OffloadPlan, OffloadReport

_NO_LONGER_VOUCHES = "its ledger no longer vouches for it"
_GONE = f"run the same command again to copy it anew ({_NO_LONGER_VOUCHES})"
_OTHER = LOOKED_AGAIN_OTHER
_UNREAD = f"run the same command again to read it back ({_NO_LONGER_VOUCHES})"
_WHEN = "when the drive's copies were looked at again before its manifest was written"


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
        known: RunKnown | None = None
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
                if not stat.S_ISREG(st.st_mode):
                    found = "no longer a regular file"
                elif st.st_size != file.size_bytes:
                    found = f"{st.st_size} bytes long, the card's file {file.size_bytes}"
                elif dates and not ledger.dated_as_verified(
                    file.relative_path, st, file.size_bytes, file.mtime_ns
                ):
                    found = "with another modification time than the card's file"
                else:
                    if known is None:
                        known = ledger.run_known() if ledger.keeps_identity() else None
                    moved = (
                        None
                        if known is None
                        else known.moved(file.relative_path, st, file.size_bytes)
                    )
                    if moved is None:
                        continue
                    try:
                        if reads_as_recorded(copy, moved.digests):
                            continue  # its metadata alone changed (chmod, an xattr)
                        found = (
                            f"with other content than {was_recorded(result.status)} (its change "
                            "time had moved since; read again whole)"
                        )
                    except OSError as exc:
                        if exc.errno in DRIVE_GONE_ERRNOS:
                            break
                        found = f"unreadable ({exc.strerror or exc}) when read again"
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


__all__ = ["fail_changed"]
