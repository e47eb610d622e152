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
  a lock that cannot be asked (no ``flock`` there) refuses nothing. A plain check is not
  refused by another check's hold (``offload verify --append``, by the command its lock
  names): that one writes no copy, only its generation (atomically) and the ledger's
  revocations (this check's own revocation then says it could not take the lock).
* With *append*, it also takes *path*'s own lock (``lock.lock_copy_roots``) where *path*
  holds offload-ai's ``.offload`` folder, and returns the ``CopyRootLocks``, to be held until
  the generation is written and the ledger's revocation is done (``verify_revoke`` told it
  is held): an ``offload copy`` or another ``offload verify --append`` started meanwhile is
  refused, naming this check. A folder without ``.offload`` (a history another tool made) is
  asked, not locked: locking would make a folder there. None when no lock was taken.
* Never creates *path* or anything in it but the lock file in an existing ``.offload``.
* ``guard_s3_check(url, settings, append=...)``: the same refusal for an S3 copy root whose
  lock object a live offload holds (read, not taken). With *append* it takes that lock
  (``destinations/s3lock.py``) where no lock object is there, held (refreshed) until the
  generation is stored and the revocation done (``s3revoke`` told it is held); a stale one,
  which a killed offload left, is not taken over (a check is no copy): refused, naming it.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from offload.destinations.s3url import parse_s3_url
from offload.errors import UsageError
from offload.lock import (
    CANNOT_ASK,
    NOTHING_WRITTEN,
    CopyRootBusy,
    CopyRootLocks,
    busy_refusal,
    describe_holder,
    lock_copy_roots,
    other_holder,
)
from offload.state_names import STATE_FOLDER

if TYPE_CHECKING:
    from collections.abc import Callable

    from offload.destinations.s3config import S3Settings

#: What a refused check did not do (``lock._busy``'s *outcome*).
NOTHING_VERIFIED = "nothing was verified"


def guard_check(path: Path, *, append: bool) -> CopyRootLocks | None:
    """Refuse a check of a copy root another offload writes now; with *append*, lock
    *path* (see the module's contract)."""
    folders: list[Path] = []
    for form in (os.path.abspath(path), os.path.realpath(path)):
        for folder in (Path(form), *Path(form).parents):
            if folder not in folders:
                folders.append(folder)
    for folder in folders:
        holder = other_holder(str(folder))
        if holder is None or CANNOT_ASK in holder:
            continue
        if not append and _a_check(holder):
            continue  # a check appending its generation writes no copy: this one reads it
        raise busy_refusal(folder, holder, NOTHING_VERIFIED)
    if not append or not os.path.isdir(os.path.join(path, STATE_FOLDER)):
        return None
    return lock_copy_roots([path], outcome=NOTHING_VERIFIED)


def _a_check(holder: Mapping[str, object]) -> bool:
    """Whether the lock's holder (its body) is an ``offload verify`` (``--append``), by
    the command line it recorded (its program, then ``verify``)."""
    try:
        words = shlex.split(str(holder.get("command", "")))
    except ValueError:
        return False
    return len(words) > 1 and words[1] == "verify"


def guard_s3_check(url: str, settings: S3Settings, *, append: bool) -> Callable[[], None] | None:
    """Refuse a check of the S3 copy root at *url* whose lock object a live offload holds
    now (``S3CopyRootLock.live_refusal``: read and judged as ``acquire`` judges it, not
    taken): CopyRootBusy, exit 64, nothing verified. With *append*, take that lock where no
    lock object is there (one a stale run left is not taken over: a check is no copy, and
    refuses, naming it), and return what releases it, to be called once the generation is
    stored and the revocation done; None when no lock was taken. A lock that cannot be read
    or taken refuses nothing (the check then says what the service does)."""
    from offload.destinations.s3 import S3Destination
    from offload.destinations.s3backend import S3Backend
    from offload.destinations.s3lock import S3CopyRootLock, read_lock

    try:
        store = S3Destination(parse_s3_url(url), settings)
    except (OSError, UsageError):
        return None  # the check itself says why the bucket cannot be used
    try:
        backend = S3Backend(store)
        lock = S3CopyRootLock(store, backend.key(backend.root))
        found = read_lock(store, lock.key)
        busy = lock.live_refusal() if found is not None else None
    except OSError:
        store.close()
        return None
    if busy is not None:
        store.close()
        raise CopyRootBusy(busy.message.replace(NOTHING_WRITTEN, NOTHING_VERIFIED))
    if not append:
        store.close()
        return None
    if found is not None:
        store.close()
        raise CopyRootBusy(
            f"the copy root's lock {store.display(lock.key)} is there "
            f"({describe_holder(found[0])}), left by an offload stopped before it released "
            f"it; {NOTHING_VERIFIED}: the next offload copy there takes it over, or delete it "
            "once that offload is known to be over, and run this again"
        )
    try:
        lock.acquire()
    except OSError:
        store.close()
        return None
    except BaseException:
        store.close()
        raise

    def release() -> None:
        try:
            lock.release()
        finally:
            store.close()

    return release
