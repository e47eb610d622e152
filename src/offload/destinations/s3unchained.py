"""An S3 copy root's generation stored under ``ascmhl/`` whose chain its run never stored:
the S3 side of :mod:`offload.manifest.unchained_own`.

``s3card.upload_history_changes`` stores a new generation's manifest, then the chain that
lists it. A run killed between the two (SIGKILL, a power cut, the network gone for good)
leaves a manifest no chain lists: a generation to every ASC MHL reader of a download,
vouched for by no C4 ID; the next run found a history it could not extend (a first
generation's: "missing ASC MHL chain file", no manifest, the card not to be formatted) or
warned of it for good. The take-back of a failed or cancelled upload cannot run after a
SIGKILL. So, before the manifest is stored, the writer stores an intent object,
``<copy root>/.offload/ascmhl-generation.json`` (the name of the local record), naming the
manifest, its C4 ID and its writer (``lock.process_identity``), and deletes it once the chain
is stored (or the manifest taken back). The next writer of that history (``offload copy``'s
manifests, ``offload verify --append``), once it downloaded the history and before it reads
it, settles what a dead run left (:func:`settle`), by the local rules and in their words.

Contract:

* :class:`Intent` (for ``upload_history_changes``): :meth:`Intent.note` stores the object
  with ``If-None-Match`` (never over another's: an object there is one a settle left, whose
  remedy is kept, and this generation goes without one, as where none is kept); one that
  cannot be stored leaves the generation without a record. :meth:`Intent.close` deletes it
  (its own version by id on a bucket that keeps versions, ``S3Destination.delete_own``)
  unless told to keep it (the manifest it names may stand unlisted: its take-back failed,
  its PUT raised with no answer, which the service may have stored, or the chain's PUT
  raised and no GET could tell whether that chain was stored).
  Never raise.
* The record names the copy root's lock its writer held (``S3CopyRootLock.nonce``, where
  it held one), and ``upload_history_changes`` stores nothing once that lock is known
  ``lost`` (a heartbeat found it taken over or deleted: no record, which would say "held no
  lock"), and no chain once it is no longer its own (``still_ours``, read just before the
  chain's PUT: racy by that round trip); a chain replaced is stored on If-Match of the
  chain it read, never over another writer's.
* :func:`settle`: acts only on a record whose writer is proven over: ``lock.body_gone``
  (this computer's boot and pid namespace, its pid gone or reused), or a record naming
  another lock than the one this run holds now (``s3lock.held_lock``): its writer released
  or lost it, whichever computer, boot (a power cut) or container it ran in. A record of a
  writer that held no lock and is not proven so is left whole, and a manifest it
  names that stands unlisted is named in a line (``left ...``: what to do by hand). A
  record naming a manifest the chain lists is deleted whoever wrote it. It
  removes the recorded manifest only when all hold: it was downloaded (it stands there),
  the chain as downloaded (or the folder without a chain) does not list it, its bytes' C4
  ID is the recorded one (read by a GET, which must give back the bytes downloaded), no
  manifest is numbered after it; the delete is conditional on that GET's ETag (If-Match,
  or a HEAD just before where the service ignores it: ``S3Destination.delete_key``).
  On a bucket that keeps versions that delete lays a delete marker: the manifest stays a
  noncurrent version, which no listing or download shows. The record is deleted (on the
  ETag read: never a newer writer's) in every case it can be judged; the staged history
  is updated to match (the manifest's file and its *before* entry gone). Never raises: a
  record or object that cannot be read is left for the next run (a manifest that cannot be
  removed: said, ``could not settle``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from offload.destinations.s3 import S3Destination
from offload.destinations.s3backend import S3Backend
from offload.destinations.s3lock import S3CopyRootLock, held_lock
from offload.errors import describe_os_error
from offload.hashing.c4 import C4Hasher
from offload.lock import body_gone, process_identity
from offload.manifest.history import generation_number_of, parse_chain
from offload.manifest.layout import ASCMHL_FOLDER, CHAIN_FILE_NAME
from offload.manifest.unchained_own import (
    could_not_words,
    removed_words,
    unproven_words,
)
from offload.state_names import GENERATION_RECORD_NAME, STATE_FOLDER

# Why a run of this copy root that held no lock (its record's) cannot be judged here: a run
# of another computer, boot or container; a re-run anywhere proves nothing more (the local
# rule's free flock has no twin on S3). ``unproven_words``' *unjudged*, both its lines.
_NO_LOCK_HELD = (
    "held no lock of the copy root, and ran on another computer, boot or container: nothing "
    "proves it over"
)


def record_key(backend: S3Backend, copy_root: Path) -> str:
    """The intent object's key for the history of *copy_root* (a stand-in path). Raises
    OSError (a key S3 cannot hold)."""
    return backend.key(copy_root / STATE_FOLDER / GENERATION_RECORD_NAME)


def c4_of_bytes(data: bytes) -> str:
    """The C4 ID of *data*, as ``history.c4_of_file`` gives a file's."""
    hasher = C4Hasher()
    hasher.update(data)
    return hasher.hexdigest()


class Intent:
    """One upload's intent object at *key* in *store* (module doc), written under *lock*
    (the copy root's lock this run holds: its nonce goes in the record), if any."""

    def __init__(self, store: S3Destination, key: str, lock: S3CopyRootLock | None = None) -> None:
        self._store = store
        self._key = key
        self._lock = lock
        self._stored: tuple[str, str | None] | None = None  # ETag, VersionId

    def note(self, manifest_name: str, c4: str) -> None:
        """Store the record naming *manifest_name* (of ``ascmhl/``) and *c4*, before the
        manifest. Never raises."""
        fields: dict[str, object] = {"manifest": manifest_name, "c4": c4, **process_identity()}
        if self._lock is not None:
            fields["lock"] = self._lock.nonce
        data = json.dumps(fields, allow_nan=False).encode()
        try:
            self._stored = self._store.put_small_own(self._key, data, replace=False)
        except OSError:
            self._stored = None  # another's record kept, or none stored: none of ours

    def close(self, *, keep: bool) -> None:
        """Delete the record stored, unless *keep*. Never raises (one left names a manifest
        the chain lists, or none, which the next :func:`settle` deletes)."""
        stored, self._stored = self._stored, None
        if stored is None or keep:
            return
        try:
            self._store.delete_own(self._key, etag=stored[0], version_id=stored[1])
        except OSError:
            pass


def settle(
    backend: S3Backend, copy_root: Path, staging: Path, before: MutableMapping[str, bytes]
) -> str | None:
    """Undo what a dead writer left in *copy_root*'s ``ascmhl/`` (module doc), the history
    downloaded into *staging* (*before*: relative path -> bytes as downloaded, updated):
    the line that says it removed the manifest, or that it left one it could not judge or
    remove, None when there was nothing of ours to remove. Never raises."""
    store = backend.store
    try:
        key = record_key(backend, copy_root)
        found = store.get_small_tagged(key)
    except OSError:
        return None  # cannot be read now: left for a run that can
    if found is None:
        return None
    body, record_etag = found
    try:
        data = json.loads(body)
        name, c4 = str(data["manifest"]), str(data["c4"])
    except (ValueError, KeyError, TypeError):
        return None  # names nothing we can judge: left as it is
    over = _writer_over(data, held_lock(store, backend.key(copy_root)))
    folder = staging / ASCMHL_FOLDER
    local = folder / name

    def drop_record() -> None:
        try:
            store.delete_key(key, etag=record_etag)
        except OSError:
            pass  # the next run judges it again

    number = generation_number_of(name)
    if number is None or "/" in name or not local.is_file():
        if over:
            drop_record()  # names no manifest there (never stored, or removed since)
        return None
    try:
        manifest_key = backend.key(copy_root / ASCMHL_FOLDER / name)
    except OSError:
        return None  # no object can have that name: nothing of ours there
    shown = store.display(manifest_key)
    try:
        chain = folder / CHAIN_FILE_NAME
        if chain.exists() and any(entry.path == name for entry in parse_chain(chain)):
            # Chained: nothing to undo, over or not (its writer's own delete of it finds
            # it gone); left, it would refuse every later generation's record.
            drop_record()
            return None
        if not over:
            return unproven_words(
                shown, store.display(key), data, unjudged=_NO_LOCK_HELD, again=False
            )
        later = any(
            (n := generation_number_of(other)) is not None and n > number
            for other in os.listdir(folder)
        )
        # Judged on the bytes of one GET and deleted on that answer's ETag: never an
        # object stored there since.
        now = store.get_small_tagged(manifest_key)
        if now is None:
            drop_record()  # gone meanwhile: nothing of ours left there
            _unstage(local, before)
            return None
        if later or c4_of_bytes(now[0]) != c4 or now[0] != local.read_bytes():
            drop_record()  # built on, or changed: no longer provably ours
            return None
        if not store.delete_key(manifest_key, etag=now[1]):
            drop_record()  # replaced since: not ours
            return None
    except Exception as exc:
        why = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
        if not over:  # the chain unreadable before its writer was judged: may be running
            return unproven_words(
                shown, store.display(key), data, why=why, unjudged=_NO_LOCK_HELD, again=False
            )
        return could_not_words(shown, why)
    _unstage(local, before)
    drop_record()
    return removed_words(shown)


def over_for_the_next_run(data: Mapping[str, object]) -> bool:
    """Whether the next run, which takes a lock of its own (a new nonce), will judge the
    writer a record names over (:func:`_writer_over`): gone from this computer, or it wrote
    under a lock (any: a check that holds none judges for that run). For ``offload verify``
    to name the fix it makes (``unchained_own.left_by_a_stopped_run``)."""
    theirs = data.get("lock")
    return body_gone(data) or (isinstance(theirs, str) and bool(theirs))


def _writer_over(data: Mapping[str, object], lock: S3CopyRootLock | None) -> bool:
    """Whether the writer a record names is proven over: a process of this computer's boot
    and pid namespace that is gone (``lock.body_gone``), or one that wrote it under another
    lock of this copy root (its ``lock``: that lock's nonce) than the one this run holds
    now (*lock*, not ``lost``): that writer released its lock or lost it, and a writer
    never stores its chain once its lock is not its own (``S3CopyRootLock.still_ours``,
    read just before: racy by one round trip), whichever computer, boot or container it
    ran in."""
    if body_gone(data):
        return True
    theirs = data.get("lock")
    return (
        lock is not None
        and lock.held
        and isinstance(theirs, str)
        and bool(theirs)
        and theirs != lock.nonce
    )


def _unstage(local: Path, before: MutableMapping[str, bytes]) -> None:
    """The staged history without the manifest at *local* (removed from the store)."""
    local.unlink(missing_ok=True)
    before.pop(f"{ASCMHL_FOLDER}/{local.name}", None)


__all__ = ["Intent", "c4_of_bytes", "over_for_the_next_run", "record_key", "settle"]
