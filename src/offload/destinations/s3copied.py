"""The records' sweep (``S3Destination.abort_abandoned``) meeting a copy of an upload record
(``S3Destination.copied_record``: a copied ``.offload`` folder, a prefix copied or moved
server-side, a record copied under another name).

No run reads a copy or stores it again, so what it says of its maker and age proves nothing
of the upload it names: a live run may have resumed that upload through the real record,
stored again naming itself. The upload is never aborted through the copy while a real record
may govern it; the copy is deleted. But a prefix moved server-side (copied, then its source
deleted) takes the real record with it, and multipart uploads do not move: the copy is then
the last word of the upload. So, for a copy whose upload the service still lists in progress:

* the copy says where it was stored (``record_key``, written since the twenty-ninth pass)
  and a GET there shows the real record, naming that upload: the real record governs it
  (its own prefix's sweep, a resumer's takeover); only the copy goes;
* nothing is there, or a record of another upload (no run resumes an upload it no longer
  finds recorded: a resumer keeps its real record stored while it runs): the upload is
  orphaned, and the sweep's own rules may abort it (old, ``abandon_after_s``, with no live
  lock naming its run; or its maker provably gone with no other live run above its key,
  ``S3Destination._dead_and_unlocked``, its maker asked once; for a key outside the URL's
  prefix, a prefix moved, the locks from the bucket's top down,
  ``s3lock.live_tokens_above``), then the copy goes;
  an abort that fails keeps the copy (the next sweep tries again) and names the upload
  (``abort_upload``);
* otherwise (kept by those rules: young, its maker maybe live, a live lock above it; a key
  this run writes; a copy without ``record_key``, or whose ``record_key`` is where it lies,
  whose real record is not known): the copy goes, then the upload is named in
  ``left_behind`` with its abort command, so that the report says what nothing will abort
  any more, or, the copy still there (``drop_copy`` False), that it stays;
* whether it is in progress, or what its real record is, cannot be told (a request failed):
  the copy stays for the next sweep, and the upload is named.

Deleting a copy (``drop_copy``): only while it is still the object read (its ETag; on a
bucket that keeps versions, its own version by id). Where the service cannot delete on a
condition (``conditional_delete`` False) a copy lying at this URL's own record key of a key
under its prefix, where another run may just have stored its real record, is left and named
while the upload it names may be in progress (as ``_delete_record_object`` leaves such a
record), and deleted once a HEAD just before shows it unchanged when that upload is gone (a
race of one request, as for a record). Never raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from offload.destinations.s3lock import UNREADABLE_LOCK_ABANDON_S, unreadable_lock_above
from offload.destinations.s3records import LEFT_WITHOUT_CONDITIONAL_DELETE, record_names

if TYPE_CHECKING:
    from offload.destinations.s3 import ObjectInfo, S3Destination


def sweep_copy(
    store: S3Destination,
    listed: ObjectInfo,
    record: Mapping[str, Any],
    record_etag: str,
    *,
    keep: set[str],
    cutoff: float,
    seen: dict[str, set[str] | None],
) -> bool:
    """The sweep's turn at the copy *record* listed as *listed*, read with *record_etag*
    (the module's rules). *keep*: the keys this run writes; *cutoff*: the age rule's start
    time; *seen*: the sweep's live locks. Returns whether the upload it names was aborted.
    Never raises."""
    key, upload_id = str(record["key"]), str(record["upload_id"])
    copy = store.display(listed.key)
    unchanged = bool(record_etag) and record_etag == listed.etag
    try:
        in_progress = store._upload_in_progress(key, upload_id, listed_before=unchanged)
    except OSError as exc:
        why = store.delete_failure(exc, key, operation="cannot list the uploads of")
        _name(store, key, upload_id, f"whether it is still in progress is not known ({why})", copy)
        return False
    if not in_progress:
        drop_copy(store, listed.key, record_etag, record, upload_gone=True)
        return False
    real = record.get("record_key")
    if not isinstance(real, str) or not real:
        why = (
            "the copy was stored before records said where they lie (the twenty-ninth "
            "pass), so whether a run still has it recorded is not known"
        )
        _drop_and_name(store, listed.key, record_etag, record, why, copy)
        return False
    if real == listed.key:
        # Its own word is that it is the real record, yet a run into this URL would not
        # keep that key's record here (``copied_record``): its real record is not known.
        why = (
            "it says it was stored where it lies, but a run into this destination keeps "
            "that key's record elsewhere, so whether a run still has it recorded is not known"
        )
        _drop_and_name(store, listed.key, record_etag, record, why, copy)
        return False
    try:
        found = store.get_small_tagged(real)
    except OSError as exc:
        failure = store.delete_failure(exc, real, operation="cannot read")
        why = f"its real record, {store.display(real)}, could not be read ({failure})"
        _name(store, key, upload_id, why, copy)
        return False
    if found is not None and record_names(found[0], key, upload_id):
        drop_copy(store, listed.key, record_etag, record)  # the real record governs it
        return False
    gone = "is gone" if found is None else "names another upload"
    if key in keep:
        why = (
            f"its real record, {store.display(real)}, {gone}, and this run writes that key "
            "(the sweep aborts no upload of a key this run writes)"
        )
        _drop_and_name(store, listed.key, record_etag, record, why, copy)
        return False
    # The live locks above the key the upload ends at; a key outside the URL's prefix (a
    # prefix moved) is looked at from the bucket's top (``s3lock.live_tokens_above``).
    final = store.record_final_key(record)
    created = record.get("created_at")
    # The locks above *final* are read for this record only by the age rule (an old one)
    # and by the dead-maker rule (a maker known gone): only then may its words name one.
    aged = isinstance(created, int | float) and created < cutoff
    old = aged and not store.live_run_may_own(final, record, seen)
    dead = not old and store.maker_gone(record)
    # Its maker asked once (``dead``): the rest of ``_dead_and_unlocked``.
    if old or (dead and store.unlocked_and_unchanged(final, listed.key, record_etag, seen)):
        if not store.abort_upload(
            key,
            upload_id,
            drop_record=False,
            then=f"its one record left is a copy, {copy}, which stays, so the next offload "
            "into this destination tries again",
        ):
            return False
        drop_copy(store, listed.key, record_etag, record, upload_gone=True)
        return True
    # A lock above the key that this record's decision could not read (``seen`` is the
    # whole sweep's: a lock another record's decision failed on says nothing of this one):
    # it may be a live run's, so it keeps the upload (until 12 hours old), and the words
    # name it, and why it could not be read.
    unread = unreadable_lock_above(store, final, seen) if aged or dead else None
    maybe = (
        _unread_lock_words(store, unread)
        if unread is not None
        else "young, its maker not known to be over, or a live lock above it"
    )
    why = (
        f"its real record, {store.display(real)}, {gone}, and it may still be a live "
        f"run's ({maybe})"
    )
    _drop_and_name(store, listed.key, record_etag, record, why, copy)
    return False


def _unread_lock_words(store: S3Destination, lock: str) -> str:
    """Why the upload was kept for the lock *lock* that could not be read, by the error
    its read met (``store.refused_locks``: refused to these credentials; else the service
    failed or could not be reached)."""
    hours = int(UNREADABLE_LOCK_ABANDON_S // 3600)
    if lock in store.refused_locks:
        why, then = "these credentials may not read it", "credentials that may read it tell"
    else:
        why = "the service failed or could not be reached"
        then = "the next offload into this destination reads it again"
    return (
        f"the lock {store.display(lock)} above it could not be read ({why}), so a run may "
        f"be live there (an upload is kept so until {hours} hours old; {then})"
    )


def drop_copy(
    store: S3Destination,
    listed: str,
    etag: str,
    record: Mapping[str, Any],
    *,
    upload_gone: bool = False,
) -> bool:
    """Delete the copy *listed* of the upload *record*, read with *etag* (the module's
    rules; *upload_gone*: the upload it names is no longer in progress). Returns whether
    the copy read is no longer there (deleted, or gone or replaced since it was read);
    False: it stays (no ETag to pin its delete to; left, and named, where the service
    cannot delete on a condition; its delete failed: the next sweep tries again). Never
    raises."""
    if not etag:
        return False
    if (
        not store.conditional_delete
        and not upload_gone
        and _at_own_record_key(store, listed, record)
    ):
        store.note_left_behind(
            listed,
            None,
            "a copy of an upload record (a copied .offload folder) where a run into this "
            f"destination keeps its own record of the same key: {LEFT_WITHOUT_CONDITIONAL_DELETE}",
        )
        return False
    try:
        store._delete_abandoned(listed, etag)
    except OSError:
        return False
    return True


def _at_own_record_key(store: S3Destination, listed: str, record: Mapping[str, Any]) -> bool:
    """Whether *listed* is where a run into *store*'s URL keeps its own record of the key
    *record* names: that key lies under the URL's prefix (a run writes no other) and
    *listed* is its record key."""
    key = str(record.get("key"))
    try:
        store.url.relative(key)
    except ValueError:
        return False
    return listed == store._record_key(key)


def _drop_and_name(
    store: S3Destination,
    listed: str,
    etag: str,
    record: Mapping[str, Any],
    why: str,
    copy: str,
) -> None:
    """Delete the copy (``drop_copy``), then name the upload it names, kept by the sweep,
    in ``left_behind`` with *why*, saying whether the copy went or stays."""
    dropped = drop_copy(store, listed, etag, record)
    _name(store, str(record["key"]), str(record["upload_id"]), why, copy, kept=not dropped)


def _name(
    store: S3Destination, key: str, upload_id: str, why: str, copy: str, *, kept: bool = True
) -> None:
    """Name the upload *upload_id* of *key*, found only through the copy *copy*, in
    ``left_behind`` with *why*; *kept*: the copy stays for the next sweep, else it is
    gone (``drop_copy``)."""
    then = (
        "the copy stays, so the next offload into this destination looks again"
        if kept
        else "no run resumes or aborts an upload through a copy, and the copy is gone, so "
        "nothing will abort it: once no run is writing it, the command below, or the "
        "bucket's lifecycle rule for incomplete multipart uploads, removes it"
    )
    store.note_left_behind(
        key,
        None,
        f"an unfinished multipart upload named here only by a copy of its upload record "
        f"({copy}: a copied or moved .offload folder): {why}; {then}",
        upload_id=upload_id,
    )
