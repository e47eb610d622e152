"""``offload verify s3://``: the ledger's record of each object the check could not read ends,
as ``verify_revoke`` ends a local copy root's record of each copy it found wrong.

Why: an S3 ledger entry records the ETag of the object read back, and a run trusts it
("verified earlier", not read again) while the object under its key still has that ETag and
size (``S3Ledger._copy_there``). An object changed there has another ETag and is never trusted,
so a changed object needs no revocation. An object whose GET the check saw fail still has
its ETag: left standing, its entry would let the next plain ``offload copy`` call it verified
although the last attempt to read it failed (a service that detects damage it cannot repair
answers the GET with an error; an archived object, a credential that may no longer read
it). That is more than was proved, as an unreadable file on a disk, so it is revoked: the
next ``offload copy`` of the card reads the object back against the card (the existing
copies' pre-pass), adopting it if equal, and says so if it cannot read it.

Contract:

* ``revoke_unread(store, report, checked_since=...)`` (``revoke_unread_at``: on a store of
  its own for a URL) revokes, in the S3 ledger of the copy
  root at *store*'s URL, each standing entry (verified or transfer-checked) recorded
  before *checked_since* (the check's start: one recorded since vouches for an object this
  check may not have read) of a path *report* names unreadable because its GET failed
  (reason code ``get-failed``), whose object a run could still trust: a HEAD shows it with
  the entry's ETag and size. Objects gone or of another ETag keep their entries (no run
  trusts them; a check against the ledger still names them). It returns a
  ``verify_revoke.Revocation`` (the paths revoked, sorted; or why none were), None when
  there was nothing to look at.
* It reads the ledger once. It takes the copy root's lock (``s3lock``) while it makes sure
  no run appended since (the ledger's objects listed again, ``S3Ledger.unchanged``; read
  again where one did) and appends, only where no lock object is there (a live run's, or
  a stale one: a check takes none over; where the service ignores If-None-Match, which no
  probe of a check learns, a run locking between that look and our put is not seen: one
  request's race):
  one ``revoked`` line a path, in one new ledger object (``Ledger.revoke``: the other cards'
  copies beside it written again as they stood). A lock held by a live run, a service or a
  credential that refuses the lock or the ledger's write: nothing revoked, the error says
  why (the check's result stands). Never raises OSError.
"""

from __future__ import annotations

from pathlib import Path

from offload.destinations.s3 import S3Destination
from offload.destinations.s3backend import S3Backend
from offload.destinations.s3config import S3Settings
from offload.destinations.s3ledger import S3Ledger
from offload.destinations.s3unreachable import UnreachableLatch
from offload.destinations.s3url import parse_s3_url
from offload.errors import UsageError, describe_os_error
from offload.ledger import REVOKED_BY_CHECK, LedgerEntries, final_path_of
from offload.lock import CHECK_ROLE
from offload.manifest import VerifyReport
from offload.verify_revoke import Revocation

#: The reason code of an object listed whose GET failed (``s3verify._get_failed``).
GET_FAILED = "get-failed"


def revoke_unread_at(
    url_text: str,
    settings: S3Settings,
    report: VerifyReport,
    *,
    checked_since: float,
    locked: bool = False,
    latch: UnreachableLatch | None = None,
) -> Revocation | None:
    """``revoke_unread`` on a store of its own for the copy root at *url_text*; *latch*:
    the check's (``s3unreachable``): once the check gave the service up, nothing is sent
    (the revocation fails at once, saying so), not a request waiting its own timeouts."""
    if not _get_failed(report):
        return None  # no client made
    try:
        store = S3Destination(parse_s3_url(url_text), settings)
    except UsageError as exc:
        return Revocation((), exc.message)
    except OSError as exc:
        return Revocation((), describe_os_error(exc))
    if latch is not None:
        store.stop_once_unreachable(latch)
    try:
        return revoke_unread(store, report, checked_since=checked_since, locked=locked)
    finally:
        store.close()


def revoke_unread(
    store: S3Destination, report: VerifyReport, *, checked_since: float, locked: bool = False
) -> Revocation | None:
    """Revoke the S3 ledger's record of each object *report* found unreadable by its GET
    (see the module's contract); *locked*: the caller holds the copy root's lock
    (``offload verify --append``, ``verify_lock``: held since before the check's reads), which
    is then not looked at here, and the ledger read before it is not read again."""
    wanted = _get_failed(report)
    if not wanted:
        return None
    from offload.destinations.s3lock import S3CopyRootLock, read_lock
    from offload.lock import describe_holder

    backend = S3Backend(store)
    ledger = S3Ledger(backend, backend.root)
    try:  # nothing to revoke: no lock taken, nothing written
        entries = ledger.load_entries()
        cards, meant = _to_revoke(backend, entries, wanted, checked_since)
        if not cards:
            return Revocation(())
    except OSError as exc:
        return Revocation((), f"its ledger cannot be read: {describe_os_error(exc)}")
    lock = None if locked else S3CopyRootLock(store, backend.key(backend.root), role=CHECK_ROLE)
    if lock is not None:
        try:
            # A lock there, live or left by a run killed since, is not taken (nor taken
            # over): a check is no copy, and where the service ignores If-None-Match (no
            # probe ran) our put would replace a live run's lock.
            found = read_lock(store, lock.key)
            if found is not None:
                return Revocation(
                    (),
                    f"the copy root's lock {store.display(lock.key)} is there "
                    f"({describe_holder(found[0])}): an offload holds it, or one was stopped "
                    "before it released it (the next offload copy there takes a stale one over)",
                    meant=meant,
                )
            lock.acquire()
        except UsageError as exc:  # CopyRootBusy: another offload writes this copy root
            return Revocation((), exc.message, meant=meant)
        except OSError as exc:
            return Revocation((), describe_os_error(exc), meant=meant)
    try:
        # Under the lock just taken: a run may have appended since the ledger was read. Its
        # objects listed again tell (``S3Ledger.unchanged``); only then is it read again.
        if lock is not None and not ledger.unchanged():
            entries = ledger.load_entries()
            cards, meant = _to_revoke(backend, entries, wanted, checked_since)
        if cards:  # the entries read are the revocation's: the ledger is read once
            ledger.revoke(cards, by=REVOKED_BY_CHECK, known=entries)
    except OSError as exc:
        return Revocation((), describe_os_error(exc), meant=meant)
    finally:
        if lock is not None:
            lock.release()
    return Revocation(meant)


def _get_failed(report: VerifyReport) -> set[str]:
    """The paths *report* found unreadable by their GET (``GET_FAILED``)."""
    return {
        path
        for path in report.unreadable
        if (why := report.reasons.get(path)) is not None and why.code == GET_FAILED
    }


def _to_revoke(
    backend: S3Backend, entries: LedgerEntries, wanted: set[str], checked_since: float
) -> tuple[dict[str, str], tuple[str, ...]]:
    """``Ledger.revoke``'s argument (each entry's path, and the card of the copy found
    unreadable; two cards' copies of one path both: "", which ends them all) and the copy
    paths it revokes. Raises OSError (a HEAD the service did not answer)."""
    cards: dict[str, str] = {}
    revoked: set[str] = set()
    for entry in entries.standing():
        if not entry.vouches or not entry.etag:
            continue
        if entry.recorded_at >= checked_since:
            continue
        copy = final_path_of(Path(), entry).as_posix()
        if copy not in wanted:
            continue
        info = backend.store.stat_key(backend.key(backend.root / copy))
        if info is None or info.etag != entry.etag or info.size_bytes != entry.size_bytes:
            continue  # trusted by no run: its entry stays
        path = entry.relative_path
        cards[path] = entry.card if cards.get(path, entry.card) == entry.card else ""
        revoked.add(copy)
    return cards, tuple(sorted(revoked))


__all__ = ["GET_FAILED", "revoke_unread", "revoke_unread_at"]
