"""One offload at a time per S3 copy root: a lock object ``<copy root>/.offload/lock``.

S3 has no ``flock``. Two runs into one copy root at once (the same card started twice, two
machines) would take over each other's multipart uploads (a resume record found under the
key is another LIVE run's) and fail both. ``S3CopyRootLock`` makes the second one stop before
its first byte, as ``offload.lock`` does on a disk.

Contract:

* ``acquire()`` stores the lock object with ``If-None-Match: *`` (atomic where the service
  does conditional writes: AWS since 2024, MinIO, moto; where the preflight's probe found it
  does not, the store's HEAD check, racy). Its body is ``offload.lock.holder_body`` (pid,
  host, start time, redacted command line) plus this run's token, this lock's nonce and
  the heartbeat period.
* Found there already, the lock is judged: **stale** when its holder counted its pid in this
  process's space (``offload.lock.same_process_space``: host name, boot and pid namespace)
  and that pid is gone (killed, crashed) or runs another process (its start time is not the
  body's ``pid_start``: ``offload.lock.holder_gone``), or when it was not refreshed for
  ``stale_after_s`` by the service's clock (the answer's ``Date`` minus the object's
  ``LastModified``: no clock of ours is compared with the service's). A stale lock is taken
  over with ``If-Match`` on the ETag that was judged (two runs taking it over at once: one
  wins); a live one raises ``CopyRootBusy`` (exit 64, one line naming the holder and what
  the refused run did not do, *outcome*: "nothing was written" unless told otherwise, as
  ``offload verify`` tells it). *role* is written into the body (``holder_body``).
* While held, a thread rewrites it every ``heartbeat_s`` (``If-Match`` on our last ETag),
  so a run of hours is never judged stale. A refresh refused by the condition means another
  run judged us stale and took it (we were stopped longer than ``stale_after_s``): ``lost``
  is set, with a message the card layer reports as a warning. A refresh that fails for the
  network is tried again at the next beat; it never loses the destination: a refresh's
  requests (``confirm``'s last one too) and ``found_deleted``'s are best-effort for the
  store's unreachable latch (``s3unreachable``): kept back once the run lost the bucket,
  never the ones that lose it.
* ``release()`` stops the thread and deletes the object only while it is still ours
  (``If-Match`` on our ETag); never raises; idempotent.
* On a service that ignores conditional writes (``--s3-head-check``: the store's
  ``conditional_match`` is False), ``If-Match`` would be dropped and a stale run's refresh
  or release would overwrite or delete the lock a taker now holds. There every write over
  the lock and its delete are preceded by a read of it: a refresh or a release goes ahead
  only while the object is still the one we stored (its ETag and the lock's own nonce), a
  takeover only while it is still the one judged stale. Racy: another run writing between
  that read and our request is not seen (one round trip; docs/s3.md says so).
* A lock of this process (its pid, in its process space) that this process does not hold
  now is a leftover of an earlier run of it (its release failed with the service gone):
  stale.
* A lock also tells which run's upload records are live (``live_tokens_above``): a live
  lock of a copy root at or above a record's key, and at or below the destination URL's
  prefix, that names the record's run token keeps that upload from being resumed or aborted
  by another run (``S3Destination.may_take_over``, ``abort_abandoned``), whose own lock
  says nothing of a copy root nested with its own. Locks above the prefix are never read: no
  run into this prefix holds one (its copy roots are at or below it), and credentials
  limited to the prefix cannot read them; but for a key outside the prefix, which only a
  copied record names (a prefix moved server-side, ``s3copied``): every lock from the
  bucket's top down to its folder. A lock that cannot be read (403) cannot tell: the
  record is kept until it is ``UNREADABLE_LOCK_ABANDON_S`` old (12 h, as a partial file
  whose lock cannot be asked: ``plan.strays``), and the key is named in a warning (and in
  the words of a copied record's upload it kept, ``unreadable_lock_above``). Such a lock
  (credentials limited to a prefix, refused one above it) never blocks a run: these reads
  decide only what the sweep may abort, never whether a run may write its copy root, whose
  own lock (inside the prefix it writes) is the one ``acquire`` takes.
* Advisory: only offload-ai takes it; a run killed on another host keeps the copy root
  locked for ``stale_after_s`` (the message says until when, and that deleting the object
  frees it).
"""

from __future__ import annotations

import errno
import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from offload.interruptible import signals_unblocked
from offload.json_text import STRICT
from offload.lock import (
    NOTHING_WRITTEN,
    CopyRootBusy,
    body_gone,
    describe_holder,
    holder_body,
    same_process_space,
)

if TYPE_CHECKING:
    from offload.destinations.s3 import S3Destination

LOCK_FOLDER = ".offload"
LOCK_NAME = "lock"
HEARTBEAT_S = 30.0
# Six beats missed: a run that is alive refreshes its lock well within this even on a slow
# link (a refresh is one small PutObject).
STALE_AFTER_S = 180.0
# An upload record under a lock that cannot be read (403: credentials limited to part of the
# prefix) is still another run's until it is this old: a live run refreshes its lock every
# HEARTBEAT_S, and an upload of 12 hours on one file is far past any card's (as
# ``plan.strays.UNASKABLE_STALE_S`` for a partial file whose lock cannot be asked).
UNREADABLE_LOCK_ABANDON_S = 12 * 3600.0
# How long the end of a run waits for a refresh in flight (a service that stopped answering
# would hold it for its retries: minutes); the lock then goes stale on its own.
JOIN_TIMEOUT_S = 5.0
# The FileExistsError of a refresh that found no lock object at all (``_put_over``): deleted,
# not known to be taken over.
_DELETED = "the lock was deleted"


# The locks this process holds now, (bucket, key): a lock found with this host and pid that is
# not among them is a leftover of an earlier run of this process (its release failed: the
# service was lost), not a live one (a library caller runs offloads one after the other);
# and the lock itself, which ``held_lock`` gives the writers of that copy root's history.
_HELD: dict[tuple[str, str], S3CopyRootLock] = {}
_HELD_LOCK = threading.Lock()


def lock_key(copy_root_key: str) -> str:
    """The key of the lock object of the copy root at *copy_root_key*."""
    head = f"{copy_root_key}/" if copy_root_key else ""
    return f"{head}{LOCK_FOLDER}/{LOCK_NAME}"


class S3CopyRootLock:
    """The lock of one S3 copy root for one run (see the module's contract)."""

    def __init__(
        self,
        store: S3Destination,
        copy_root_key: str,
        *,
        command: Sequence[str] | None = None,
        source: str | None = None,
        heartbeat_s: float = HEARTBEAT_S,
        stale_after_s: float = STALE_AFTER_S,
        role: str | None = None,
        outcome: str = NOTHING_WRITTEN,
    ) -> None:
        self.store = store
        self.outcome = outcome  # what a run refused by this lock did not do, in its line
        self.copy_root_key = copy_root_key
        self.key = lock_key(copy_root_key)
        self.root = store.display(copy_root_key)
        self.heartbeat_s = heartbeat_s
        self.stale_after_s = stale_after_s
        holder = json.loads(holder_body(command, source, role=role))
        # This lock's own name for itself: the run token is the process's (two locks of one
        # process share it), and a lock read back must be told from any other (``_still``).
        self._nonce = os.urandom(8).hex()
        holder.update(token=_token(), lock=self._nonce, heartbeat_s=heartbeat_s)
        self._holder = holder
        self._etag: str | None = None
        # Every version of the lock object this lock stored (a versioned bucket: one a
        # beat), deleted by its id on release: only ours, whoever holds the lock by then.
        self._versions: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost: str | None = None  # why the lock is no longer ours, once it is not

    @property
    def held(self) -> bool:
        return self._etag is not None and self.lost is None

    @property
    def nonce(self) -> str:
        """This lock's own name (its body's ``lock``): no other lock, of any run, has it."""
        return self._nonce

    def still_ours(self) -> bool:
        """Whether this lock is held now: not ``lost`` and, read back (one GET), the object
        there still holds our nonce (a takeover since the last beat is seen). Racy by one
        round trip. Raises OSError (the service)."""
        if not self.held:
            return False
        found = self._read()
        holder = None if found is None else found[0]
        return isinstance(holder, dict) and holder.get("lock") == self._nonce

    def _body(self) -> bytes:
        holder = {**self._holder, "refreshed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        return (STRICT.encode(holder) + "\n").encode("utf-8", "surrogateescape")

    # -- taking it ------------------------------------------------------------------------

    def acquire(self, keep: Callable[[object], CopyRootBusy | None] | None = None) -> None:
        """Take the lock, or raise CopyRootBusy (a live holder) or OSError (the service).
        *keep*: the refusal for a stale holder this lock must not take over (the holder as
        read just before the takeover: a caller's own earlier read may be out of date),
        None to take it over; without *keep*, any stale holder is taken over."""
        store = self.store
        for _attempt in range(3):
            try:
                self._etag = self._own(store.put_small_own(self.key, self._body()))
            except FileExistsError:
                pass
            else:
                break
            found = self._read()
            if found is None:
                continue  # released between our put and our read: try again
            refusal = self.refusal(found)
            if refusal is not None:
                raise refusal
            holder, etag, _age_s = found
            kept = keep(holder) if keep is not None else None
            if kept is not None:
                raise kept
            if self._take_over(etag):
                self._sweep(holder)
                break
        else:
            raise CopyRootBusy(
                f"copy root {self.root} is being locked and unlocked by other offloads; "
                f"{self.outcome}: run this again once they finished",
                path=None,
            )
        store.locked_roots.add(self.copy_root_key)
        with _HELD_LOCK:
            _HELD[(store.url.bucket, self.key)] = self
        self._thread = threading.Thread(target=self._beat, name="s3-lock", daemon=True)
        self._thread.start()

    def _sweep(self, stale: object) -> None:
        """After taking over the lock of the holder *stale*: on a bucket that keeps
        versions, delete each version of the lock object that holder stored (our lock's
        format, its own nonce: provably that lock, judged stale), which a run killed
        (SIGKILL, power cut) never deleted; and each clip that run stored twice under the
        copy root (its run token: ``S3Destination.delete_run_doubles``). Never raises;
        nothing without such a nonce (or token)."""
        token = stale.get("token") if isinstance(stale, dict) else None
        if isinstance(token, str) and token:
            self.store.delete_run_doubles(self.copy_root_key, token)
        nonce = stale.get("lock") if isinstance(stale, dict) else None
        if not isinstance(nonce, str) or not nonce:
            return

        def of_that_lock(body: bytes) -> bool:
            try:
                found = json.loads(body)
            except ValueError:
                return False
            return isinstance(found, dict) and found.get("lock") == nonce

        self.store.delete_versions_where(self.key, of_that_lock)

    def live_refusal(self) -> CopyRootBusy | None:
        """The refusal ``acquire`` would raise for the lock there now, without taking it:
        a live holder's ``CopyRootBusy``; None for no lock or a stale one (``acquire``
        would take that over). Writes nothing; raises OSError (the service, a lock that
        cannot be read)."""
        return self.refusal(self._read())

    def refusal(self, found: tuple[object, str, float] | None) -> CopyRootBusy | None:
        """The refusal for the lock *found* (``read_lock``'s answer, read once by the
        caller): None when none or stale. Reads nothing."""
        if found is None:
            return None
        holder, _etag, age_s = found
        if self._stale(holder, age_s):
            return None
        return self._busy(holder, age_s)

    def _read(self) -> tuple[object, str, float] | None:
        """The lock there (``read_lock``)."""
        return read_lock(self.store, self.key)

    def _stale(self, holder: object, age_s: float) -> bool:
        return is_stale(holder, age_s, self.stale_after_s, (self.store.url.bucket, self.key))

    def _take_over(self, etag: str) -> bool:
        """Replace the stale lock of *etag* by ours; False if another run changed it first."""
        try:
            self._etag = self._put_over(etag)
        except FileExistsError:
            return False
        return True

    def _put_over(self, etag: str) -> str:
        """PutObject of our body only over the object of *etag* (If-Match); FileExistsError
        when it is another now. A service that refuses If-Match (501): a HEAD just before."""
        from offload.destinations.s3 import _error_code

        store = self.store
        body = self._body()
        if not store.conditional_match:
            # If-Match would be ignored (the object replaced whatever it is now): read it
            # just before instead, racy (the module's contract).
            if not self._still(etag, ours=etag == self._etag):
                raise FileExistsError(errno.EEXIST, "the lock changed")
            return self._own(store.put_small_own(self.key, body, replace=True))
        try:
            answer = store.client.put_object(
                Bucket=store.url.bucket, Key=self.key, Body=body, IfMatch=etag
            )
        except Exception as exc:
            code, status = _error_code(exc)
            if code == "NoSuchBucket":  # the bucket is gone: no lock changed hands
                raise store._error(exc, "cannot write the lock", self.key) from exc
            if code == "NoSuchKey" or (status == 404 and code != "PreconditionFailed"):
                raise FileExistsError(errno.EEXIST, _DELETED) from None
            if code == "PreconditionFailed" or status == 412:
                raise FileExistsError(errno.EEXIST, "the lock changed") from None
            if code != "NotImplemented" and status != 501:
                raise store._error(exc, "cannot write the lock", self.key) from exc
            info = store.stat_key(self.key)
            if info is None:
                raise FileExistsError(errno.EEXIST, _DELETED) from None
            if info.etag != etag:
                raise FileExistsError(errno.EEXIST, "the lock changed") from None
            return self._own(store.put_small_own(self.key, body, replace=True))
        return self._own((str(answer.get("ETag", "")), answer.get("VersionId")))

    def _own(self, stored: tuple[str, str | None]) -> str:
        """Note the VersionId of a lock object we stored (not "null": a bucket whose
        versioning is suspended, where that id may name another writer's object by the
        release); returns its ETag."""
        etag, version = stored
        if version and version != "null":
            self._versions.append(version)
        return etag

    def _still(self, etag: str, *, ours: bool) -> bool:
        """Whether the lock there is still the object of *etag* (and, when *ours*, still
        holds our token): read back, for a service that ignores ``If-Match``. Raises OSError
        (the service)."""
        found = self._read()
        if found is None or found[1] != etag:
            return False
        holder = found[0]
        return not ours or (isinstance(holder, dict) and holder.get("lock") == self._nonce)

    def _busy(self, holder: object, age_s: float) -> CopyRootBusy:
        free_in = max(0, int(self.stale_after_s - age_s + 0.999))
        return CopyRootBusy(
            f"copy root {self.root} is in use by another offload ({describe_holder(holder)}; "
            f"lock refreshed {int(age_s)} s ago); {self.outcome}: wait for it to finish, "
            f"or stop it, and run this again (a run that was killed on another machine frees "
            f"it {free_in} s from now; deleting {self.store.display(self.key)} frees it at once)",
            path=None,
        )

    # -- holding it -----------------------------------------------------------------------

    def _beat(self) -> None:
        signals_unblocked()  # a bucket's thread (it may start a credential helper)
        while not self._stop.wait(self.heartbeat_s):
            if not self._refresh():
                return

    def _best_effort(self) -> AbstractContextManager[None]:
        """Requests whose failure this lock swallows (a refresh, ``found_deleted``): they must
        not set the store's unreachable latch, which loses the destination for the rest of
        the run (``s3unreachable``): the engine never saw them fail."""
        latch = getattr(self.store, "unreachable_latch", None)
        return latch.best_effort() if latch is not None else nullcontext()

    def _refresh(self) -> bool:
        """Rewrite the lock over our last ETag; False when there is nothing more to refresh
        (released, or taken over by another run: ``lost`` says so). The network failing is
        True: the next beat tries again."""
        etag = self._etag
        if etag is None or self.lost is not None:
            return False
        try:
            with self._best_effort():
                self._etag = self._put_over(etag)
        except FileExistsError as exc:
            if exc.strerror == _DELETED:
                # No object there: deleted (by hand, or by a run that took it over and
                # ended since); no takeover is known, nor that this run missed its beats.
                self.lost = self._deleted()
            else:
                self.lost = (
                    f"the lock of copy root {self.root} was taken over by another offload "
                    "while this one ran (another offload judged it stale: not refreshed for "
                    f"{int(self.stale_after_s)} s, or its holder gone): the two may have "
                    "written the same objects; run `offload verify` on the copy root once "
                    "both finished"
                )
            return False
        except Exception:
            pass
        return True

    def _deleted(self) -> str:
        """``lost``'s words for a lock object found gone while this run held it."""
        return (
            f"the lock of copy root {self.root} was deleted while this run held it "
            "(by hand, by another offload that took it over and ended since, or the "
            "service lost it: restarted without its data, or the bucket recreated): "
            "another offload may have written into it meanwhile; run `offload "
            "verify` on the copy root once no other offload runs there"
        )

    def found_deleted(self) -> bool:
        """Read back (one GET) whether the lock object is gone while this run holds it,
        asked where a listing of the copy root did not show it (``s3looked_again``): gone,
        ``lost`` says so as a refresh finding it gone would, at once rather than at the
        next beat, so that nothing more is stored in its name (the manifests,
        ``upload_history_changes``). A lock there (ours or another's) is left to the
        beat. Never raises: the service failing claims nothing (False)."""
        if self.lost is not None:
            return True
        if self._etag is None:
            return False
        try:
            with self._best_effort():
                found = self._read()
        except OSError:
            return False
        if found is not None:
            return False
        self.lost = self._deleted()
        return True

    def _stop_beating(self) -> bool:
        """Stop the refresh thread; False when a refresh is still stuck on the network after
        ``JOIN_TIMEOUT_S`` (it ends on its own: the thread is a daemon)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)
            if self._thread.is_alive():
                return False
            self._thread = None
        return True

    def confirm(self) -> None:
        """Once the copy is done, before its report: stop refreshing and refresh once more,
        so that a takeover since the last beat is known (``lost``): a run stopped longer
        than ``stale_after_s`` (a laptop suspended: the beat's monotonic clock does not count
        the sleep) may finish before its next beat. Never raises; the network failing says
        nothing either way."""
        if self._stop_beating():
            self._refresh()

    def release(self) -> None:
        """Stop refreshing, delete the lock while it is ours. Never raises."""
        self.store.locked_roots.discard(self.copy_root_key)
        with _HELD_LOCK:
            if _HELD.get((self.store.url.bucket, self.key)) is self:
                del _HELD[(self.store.url.bucket, self.key)]
        if not self._stop_beating():
            # A refresh stuck on the network: the lock goes stale on its own.
            self._name_left(
                "a refresh of it was still waiting for the service, so it was not deleted"
            )
            return
        etag, self._etag = self._etag, None
        versions, self._versions = self._versions, []
        if versions and self._delete_versions(versions):
            return  # every version of ours gone, the last (if still current) with them
        if etag is None or self.lost is not None:
            return
        lock_etag = etag

        def delete() -> bool:
            if self.store.conditional_match:
                return self.store.delete_key(self.key, etag=lock_etag)
            if not self._still(lock_etag, ours=True):  # If-Match would be ignored: read it
                return False  # another run's lock now: left as it is
            self.store.delete_key(self.key)
            return True

        # Left behind where the delete fails: stale once its holder is gone (the module's
        # contract), and named (``try_delete_or_name``, the one owner of "delete or name it");
        # nothing is left of a bucket that is gone.
        pinned = self._pinned(etag)
        self.store.try_delete_or_name(
            self.key,
            delete,
            then=self._left_then(pinned),
            what=f"the lock of {self.root}: ",
            pin=pinned,
        )

    def _pinned(self, etag: str | None) -> str | None:
        """The ETag the command that removes a lock left behind is pinned to (``--if-match``:
        once a later run took it over, the lock under the key is that run's, live): *etag*
        where known and the service deletes on a condition, else None."""
        return etag if etag and self.store.conditional_match else None

    def _left_then(self, pinned: str | None) -> str:
        """What becomes of the lock object left behind, and, its command not *pinned*, when
        to remove it by hand."""
        when = "" if pinned else "; remove it only while no offload runs there"
        return (
            "left there, the next offload into it takes it over: from this host at once "
            "(this process will have exited), from another once it has not been refreshed "
            f"for {self.stale_after_s / 60:g} minutes{when}"
        )

    def _name_left(self, what: str) -> None:
        """Name the lock object, its delete not tried (*what* happened instead), in the
        store's ``left_behind``, with how the next run treats it; not where a refused
        delete of one of its versions named it already."""
        self.store.name_unless_named(
            self.key, None, f"the lock of {self.root}: {what}; {self._left_then(None)}"
        )

    def _delete_versions(self, versions: list[str]) -> bool:
        """Delete each of *versions* of the lock object by its id: a version id names our
        object only, so this never deletes a lock another run wrote since (a takeover's is
        a later version), and deleting the current version by id leaves no delete marker.
        True if all were deleted (or the bucket is gone); False at the first refusal or
        failure (the rest stay: noncurrent versions, the release's plain delete then does
        its usual part; each is named in the store's ``left_behind``, as refused only where
        ``version_delete_refused`` says so)."""
        from offload.destinations.s3 import (
            _error_code,
            bucket_gone,
            refused_reason,
            version_delete_refused,
        )

        for index, version in enumerate(versions):
            try:
                self.store.client.delete_object(
                    Bucket=self.store.url.bucket, Key=self.key, VersionId=version
                )
            except Exception as exc:
                code, status = _error_code(exc)
                if code == "NoSuchVersion":
                    continue
                if bucket_gone(exc):
                    return True  # nothing is left in a bucket that is gone
                refused = version_delete_refused(code, status)
                for left in versions[index:]:
                    self.store.note_left_behind(
                        self.key, left, refused_reason(exc, code, status), refused=refused
                    )
                return False
        return True


def held_lock(store: S3Destination, copy_root_key: str) -> S3CopyRootLock | None:
    """The lock of the copy root at *copy_root_key* in *store*'s bucket that this process
    acquired and has not released (by any store object), ``lost`` or not; None if none."""
    with _HELD_LOCK:
        return _HELD.get((store.url.bucket, lock_key(copy_root_key)))


def read_lock(store: S3Destination, key: str) -> tuple[object, str, float] | None:
    """The lock object at *key*: its holder (parsed body, or None), ETag and age in seconds
    by the service's clock; None if there is none. Raises OSError (the service)."""
    try:
        answer = store.client.get_object(Bucket=store.url.bucket, Key=key)
        with answer["Body"] as body:
            raw = body.read(64 * 1024)
    except Exception as exc:
        from offload.destinations.s3 import _error_code

        code, status = _error_code(exc)
        if status == 404 or code in ("404", "NoSuchKey", "NotFound"):
            return None
        raise store._error(exc, "cannot read the lock", key) from exc
    try:
        holder: object = json.loads(raw.decode("utf-8", "surrogateescape"))
    except ValueError:
        holder = None
    return holder, str(answer.get("ETag", "")), _age_s(answer)


def is_stale(holder: object, age_s: float, stale_after_s: float, where: tuple[str, str]) -> bool:
    """Whether a lock whose body is *holder*, last written *age_s* ago, at *where* (bucket,
    key), is stale (the module's contract): not refreshed for *stale_after_s*, or its holder
    provably gone, or a lock of this process that this process does not hold now."""
    if age_s >= stale_after_s:
        return True
    if not isinstance(holder, dict):
        return False
    host, pid, space = holder.get("host"), holder.get("pid"), holder.get("pid_space")
    if pid == os.getpid() and same_process_space(host, space):
        with _HELD_LOCK:
            return where not in _HELD
    return body_gone(holder)


def live_tokens_above(
    store: S3Destination, key: str, seen: dict[str, set[str] | None]
) -> set[str] | None:
    """The run tokens (``holder["token"]``, the ``run`` of the upload records a run writes)
    of the live locks of the copy roots at or above *key*'s folder and at or below the
    destination URL's prefix (the bucket's top only for a URL without one: a run into this
    prefix holds no lock above it); None when a lock there cannot be read (its key is added
    to ``store.unreadable_locks``, for a warning), or names no token: any run may then be
    live there. Copy roots may nest, so the lock of a copy root above or below this run's
    own may be the one that covers the key. *seen* keeps each copy root's answer for the
    next key (one call of ``abort_abandoned``). A *key* outside the URL's prefix (only a
    copied upload record names one, ``s3copied``: a prefix moved server-side) lies under
    no copy root of this prefix: the copy roots above it from the bucket's top are read.
    Never raises."""
    tokens: set[str] = set()
    for root in _roots_above(store, key):
        if root not in seen:
            seen[root] = _live_tokens_of(store, root)
        found = seen[root]
        if found is None:
            return None
        tokens |= found
    return tokens


def unreadable_lock_above(
    store: S3Destination, key: str, seen: Mapping[str, set[str] | None]
) -> str | None:
    """The key of the lock at or above *key* (the copy roots ``live_tokens_above`` reads)
    that could not be read when *seen* was filled (403: credentials limited to a prefix),
    for the words of what it kept; None when none (every one read, or one naming no
    token). Reads nothing."""
    for root in _roots_above(store, key):
        lock = lock_key(root)
        if root in seen and seen[root] is None and lock in store.unreadable_locks:
            return lock
    return None


def _roots_above(store: S3Destination, key: str) -> list[str]:
    """The copy root keys whose locks ``live_tokens_above`` reads for *key*, from the top:
    those at or above *key*'s folder and at or below the URL's prefix; for a key outside
    the prefix (a copied record's), every one from the bucket's top."""
    prefix = store.url.prefix
    try:
        store.url.relative(key)
    except ValueError:
        prefix = ""
    parts = key.split("/")[:-1]
    return [
        root
        for root in ["", *("/".join(parts[: n + 1]) for n in range(len(parts)))]
        if root == prefix or root.startswith(f"{prefix}/" if prefix else "")
    ]


def _live_tokens_of(store: S3Destination, copy_root_key: str) -> set[str] | None:
    """The token of the live lock of one copy root ({} when none is live there), None when
    it cannot be read or names no token."""
    key = lock_key(copy_root_key)
    try:
        found = read_lock(store, key)
    except OSError as exc:
        store.unreadable_locks.add(key)
        from offload.destinations.s3 import get_failure

        if get_failure(exc) == "refused":  # not an archived lock's 403: no permission helps
            store.refused_locks.add(key)
        return None
    if found is None:
        return set()
    holder, _etag, age_s = found
    if is_stale(holder, age_s, STALE_AFTER_S, (store.url.bucket, key)):
        return set()
    token = holder.get("token") if isinstance(holder, dict) else None
    return {token} if isinstance(token, str) else None


def _age_s(answer: Mapping[str, Any]) -> float:
    """How long ago the object of a GetObject *answer* was last written, by the service's
    clock (its ``Date`` header; without one, ours)."""
    modified = answer.get("LastModified")
    if not isinstance(modified, datetime):
        return 0.0
    headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    try:
        now = parsedate_to_datetime(str(headers["date"])).timestamp()
    except (KeyError, TypeError, ValueError):
        now = time.time()
    return max(0.0, now - modified.timestamp())


def _token() -> str:
    from offload.destinations.s3 import _RUN_TOKEN

    return _RUN_TOKEN
