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
  (``lock.busy_copy_root``, asked without taking it: its ``flock``, or a live holder of
  this machine its body names through another mount) of *path* or of a folder above it (a
  copy root *path* is part of), or of a copy root below *path* (``busy_below``: a drive's
  folder that holds several card copies, whose check reads each nested history, the one
  being written too). Those looks hold nothing (check, then read): an offload started
  right after them is not seen (a plain check takes no lock at all; ``--append`` holds
  *path*'s own alone, below). A dead holder's lock is free (the kernel released its
  ``flock``); a lock that cannot be asked (no ``flock`` there) refuses nothing. A plain
  check is not refused by another check's hold (``offload verify --append``: its lock body's
  ``role`` is ``CHECK_ROLE``): that one writes no copy, only its generation (atomically) and
  the ledger's revocations (this check's own revocation then says it could not take the
  lock).
* With *append*, it also takes *path*'s own lock (``lock.lock_copy_roots``, role
  ``CHECK_ROLE``) where *path*
  holds offload-ai's ``.offload`` folder, and returns the ``CopyRootLocks``, to be held until
  the generation is written and the ledger's revocation is done (``verify_revoke`` told it
  is held): an ``offload copy`` or another ``offload verify --append`` started meanwhile is
  refused, naming this check. A folder without ``.offload`` (a history another tool made) is
  asked, not locked: locking would make a folder there. None when no lock was taken.
* Never creates *path* or anything in it but the lock file in an existing ``.offload``.
* ``guard_s3_check(url, settings, append=...)``: first the preflight's look of the bucket,
  as ``offload copy``'s (``s3preflight.check``, its quick client: a service out of reach
  refused in seconds, UsageError); then the same refusal for an S3 copy root whose
  lock object a live offload holds (read once, judged as ``acquire`` judges it, not taken;
  a plain check beside another check's, ``CHECK_ROLE``, is not refused, as on a disk). Only
  the URL's own lock object is read: a live offload of a copy root below the URL
  (``s3://b/day1`` while ``day1/A001`` is written) is not looked for, so not refused.
  With *append* it takes that lock (``destinations/s3lock.py``, role ``CHECK_ROLE``, its
  refusals saying "nothing was verified") where no lock object is there, held (refreshed) until the
  generation is stored and the revocation done (``s3revoke`` told it is held); a stale one,
  which a killed offload left, is not taken over (a check is no copy): refused, naming it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from offload.destinations.s3url import parse_s3_url
from offload.errors import UsageError, printable_name
from offload.lock import (
    CHECK_ROLE,
    CopyRootBusy,
    CopyRootLocks,
    busy_copy_root,
    describe_holder,
    lock_copy_roots,
)
from offload.manifest.layout import ASCMHL_FOLDER
from offload.state_names import STATE_FOLDER

if TYPE_CHECKING:
    from offload.destinations.s3config import S3Settings
    from offload.destinations.s3unreachable import UnreachableLatch

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
    # A check appending its generation writes no copy: a plain check reads beside it.
    skip = None if append else _a_check
    busy = busy_copy_root(folders, outcome=NOTHING_VERIFIED, skip=skip)
    if busy is None:
        busy = busy_below(Path(os.path.abspath(path)), skip=skip)
    if busy is not None:
        raise busy
    if not append or not os.path.isdir(os.path.join(path, STATE_FOLDER)):
        return None
    return lock_copy_roots([path], outcome=NOTHING_VERIFIED, role=CHECK_ROLE)


def busy_below(
    path: Path, *, skip: Callable[[Mapping[str, object]], bool] | None = None
) -> CopyRootBusy | None:
    """The refusal of the first copy root below *path* (walk order) whose lock another
    offload holds now (``busy_copy_root``, *skip* as there), its line naming *path* as the
    folder that holds it; None when none is. A copy root is a folder holding a ``.offload``
    folder: its lock is asked only there (one ``open`` of a file that exists), so the walk
    costs the listing of *path*'s folders alone, which the check lists again right after
    (their entries then cached): a plain ``os.scandir`` loop, not ``walk_tree``, which makes
    an object of every file (~2 x the CPU: 45 ms, not 20, for 50,000 files in 500 folders).
    ``ascmhl`` and ``.offload`` folders are not entered (no copy root in them), nor links; a
    folder that cannot be listed is passed over (the check itself names it). Why: a check
    of a drive's folder reads the nested history of each card copy in it, one an offload
    writes now too (its files not copied yet in no record, its partials work in progress:
    "OK" of a half-copied card), as a check of that copy root would (refused). A look, not
    a hold: nothing is locked, so an offload that starts below *path* once this returned
    is not seen (check, then read)."""
    outcome = f"{NOTHING_VERIFIED} ({printable_name(str(path))} holds it)"
    folders = [str(path)]
    while folders:
        try:
            with os.scandir(folders.pop()) as listing:
                below = [e for e in listing if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        # Depth first, names in reverse on the stack: the first copy root named is the
        # walk's first (``walk.py``'s order, ASCII names), whatever the listing's order.
        below.sort(key=_NAME, reverse=True)
        for entry in below:
            if entry.name == STATE_FOLDER:
                busy = busy_copy_root([Path(entry.path).parent], outcome=outcome, skip=skip)
                if busy is not None:
                    return busy
            elif entry.name != ASCMHL_FOLDER:
                folders.append(entry.path)
    return None


_NAME = attrgetter("name")


def _a_check(holder: object) -> bool:
    """Whether a lock's holder (its body: ``other_holder``'s answer, or an S3 lock object's)
    is an ``offload verify --append``, by the role its body names (``CHECK_ROLE``)."""
    return isinstance(holder, Mapping) and holder.get("role") == CHECK_ROLE


def guard_s3_check(
    url: str,
    settings: S3Settings,
    *,
    append: bool,
    latch: UnreachableLatch | None = None,
    on_left: Callable[[tuple[str, ...], tuple[Mapping[str, object], ...]], None] | None = None,
) -> Callable[[], None] | None:
    """Refuse a check of the S3 copy root at *url* whose lock object a live offload holds
    now (read once, ``S3CopyRootLock.refusal`` judges it as ``acquire`` would, not taken;
    a plain check is not refused by a check's lock, ``_a_check``): CopyRootBusy, exit 64,
    nothing verified. With *append*, take that lock where no
    lock object is there, or where the one there is a stale check's (an ``offload verify
    --append`` killed before it released it, judged stale as ``acquire`` judges it: taken
    over, as a disk's lock of a dead holder is; its unchained generation, if any, is
    settled by the check: ``s3unchained``); a stale copy's is not taken over (a check is no
    copy: its takeover sweeps that run's objects) and refuses, naming it; and return what
    releases it, to be called once the generation is
    stored and the revocation done; None when no lock was taken. A lock that cannot be read
    or taken refuses nothing (the check then says what the service does). Only *url*'s own
    lock object is read, not those of copy roots below it (``s3://b/day1`` while
    ``day1/A001`` is written is not refused; a disk's check looks below: ``busy_below``).
    *latch*: the command's (``s3unreachable``), shared with the check's store: once the check
    gave the service up, the lock's heartbeat and release send nothing (the release fails
    at once, not after its own timeouts). *on_left*: given, once the release is over, the
    note naming the lock object where it was left in the bucket (its delete not sent, or
    failed: left there, the next run takes it over) and its ``left_behind`` entries
    (``s3card.left_behind_notes``/``left_behind_entries``); not called where nothing was
    left."""
    from offload.destinations.s3 import S3Destination
    from offload.destinations.s3backend import S3Backend
    from offload.destinations.s3lock import S3CopyRootLock, read_lock

    try:
        store = S3Destination(parse_s3_url(url), settings)
    except (OSError, UsageError):
        return None  # the check itself says why the bucket cannot be used
    try:
        # First the preflight's look, as ``offload copy``'s (``s3preflight.check``: its quick
        # client, two attempts, short timeouts): a service out of reach is refused in
        # seconds, its line the check's (UsageError, exit 64), not after the lock's read
        # went through the store's own nine attempts and their back-off (~10 s).
        store.check(writes=False)
    except BaseException:
        store.close()
        raise
    if latch is not None:
        store.stop_once_unreachable(latch)
    try:
        backend = S3Backend(store)
        lock = S3CopyRootLock(
            store, backend.key(backend.root), role=CHECK_ROLE, outcome=NOTHING_VERIFIED
        )
        found = read_lock(store, lock.key)  # read once: judged and named from this answer
    except OSError:
        store.close()
        return None
    busy = lock.refusal(found)
    if busy is not None and (append or not _a_check(found[0] if found else None)):
        store.close()
        raise busy
    if not append:
        store.close()
        return None

    def not_a_check(holder: object) -> CopyRootBusy | None:
        """The refusal for a stale lock that is not a check's: never taken over."""
        if _a_check(holder):
            return None
        return CopyRootBusy(
            f"the copy root's lock {store.display(lock.key)} is there "
            f"({describe_holder(holder)}), left by an offload stopped before it released "
            f"it; {NOTHING_VERIFIED}: the next offload copy there takes it over, or delete it "
            "once that offload is known to be over, and run this again"
        )

    refused = not_a_check(found[0]) if found is not None else None
    if refused is not None:
        store.close()
        raise refused
    try:
        # Judged again as it is taken over: another lock may have replaced the one read.
        lock.acquire(keep=not_a_check)
    except OSError:
        store.close()
        return None
    except BaseException:
        store.close()
        raise

    def release() -> None:
        try:
            lock.release()
            if on_left is not None and store.left_behind:
                from offload.destinations.s3card import left_behind_entries, left_behind_notes

                on_left(tuple(left_behind_notes(store)), tuple(left_behind_entries(store)))
        finally:
            store.close()

    return release
