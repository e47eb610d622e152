"""``offload verify`` beside a live offload of the same copy root.

A check of a copy root an offload is writing now proves nothing of the card: the files not
copied yet are in no record (neither missing nor checked: "OK" of a half-copied card), the
partials there are that run's work in progress, not leftovers of a run that stopped, and a
generation ``--append`` writes races the offload's own (each numbers its generation from the
history it read: one of them then fails with EEXIST, or the chain file loses one). So a
check is refused while another offload holds the copy root, as a second offload is; it does
not wait (an offload may run for hours; the line says what to do).

Contract:

* ``guard_check(path, append=...)``, called before the check reads anything: raises
  ``CopyRootBusy`` (a UsageError: exit 64, "nothing was verified", the holder named as the
  lock names it: pid, host, start time, command line) when another offload holds the lock
  (``lock.other_holder``, asked without taking it) of *path* or of a folder above it (a copy
  root *path* is part of). A dead holder's lock is free (the kernel released its ``flock``);
  a lock that cannot be asked (no ``flock`` there) refuses nothing.
* With *append*, it also takes *path*'s own lock (``lock.lock_copy_roots``) where *path*
  holds offload-ai's ``.offload`` folder, and returns the ``CopyRootLocks``, to be held until
  the generation is written and the ledger's revocation is done (``verify_revoke`` told it
  is held): an ``offload copy`` or another ``offload verify --append`` started meanwhile is
  refused, naming this check. A folder without ``.offload`` (a history another tool made) is
  asked, not locked: locking would make a folder there. None when no lock was taken.
* Never creates *path* or anything in it but the lock file in an existing ``.offload``.
* ``guard_s3_check(url, settings)``: the same refusal for an S3 copy root whose lock object
  a live offload holds (read, not taken; a stale one refuses nothing). ``--append`` on a
  bucket does not take the S3 lock: a run that locks the copy root after that look is not
  stopped (its generation and the check's then race as before: the writer says so).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from offload.errors import UsageError
from offload.lock import (
    NOTHING_WRITTEN,
    CopyRootBusy,
    CopyRootLocks,
    busy_copy_root,
    lock_copy_roots,
)
from offload.state_names import STATE_FOLDER

if TYPE_CHECKING:
    from offload.destinations.s3config import S3Settings

#: What a refused check did not do (``lock._busy``'s *outcome*).
NOTHING_VERIFIED = "nothing was verified (a copy still being written cannot be checked)"


def guard_check(path: Path, *, append: bool) -> CopyRootLocks | None:
    """Refuse a check of a copy root another offload writes now; with *append*, lock
    *path* (see the module's contract)."""
    folders: list[Path] = []
    for form in (os.path.abspath(path), os.path.realpath(path)):
        for folder in (Path(form), *Path(form).parents):
            if folder not in folders:
                folders.append(folder)
    busy = busy_copy_root(folders, outcome=NOTHING_VERIFIED)
    if busy is not None:
        raise busy
    if not append or not os.path.isdir(os.path.join(path, STATE_FOLDER)):
        return None
    return lock_copy_roots([path], outcome=NOTHING_VERIFIED)


def guard_s3_check(url: str, settings: S3Settings) -> None:
    """Refuse a check of the S3 copy root at *url* whose lock object a live offload holds
    now (``S3CopyRootLock.live_refusal``: read and judged as ``acquire`` judges it, not
    taken; a stale one refuses nothing): CopyRootBusy, exit 64, nothing verified. A lock
    that cannot be read refuses nothing (the check then says what the service does)."""
    from offload.destinations.s3 import S3Destination
    from offload.destinations.s3backend import S3Backend
    from offload.destinations.s3lock import S3CopyRootLock
    from offload.destinations.s3url import parse_s3_url

    try:
        store = S3Destination(parse_s3_url(url), settings)
    except (OSError, UsageError):
        return  # the check itself says why the bucket cannot be used
    try:
        backend = S3Backend(store)
        busy = S3CopyRootLock(store, backend.key(backend.root)).live_refusal()
    except OSError:
        return
    finally:
        store.close()
    if busy is not None:
        raise CopyRootBusy(busy.message.replace(NOTHING_WRITTEN, NOTHING_VERIFIED))
