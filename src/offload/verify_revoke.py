"""``offload verify`` ends the ledger's record of each copy it found wrong.

A check that finds a copy changed, missing or unreadable has proved that the copy is not
what the copy root's ledger (``ledger.py``) says was verified there. Left standing, that
record lets the next plain ``offload copy`` trust the copy by its path, size and date
("verified earlier", not re-read) when the change kept them: more than was proved, since
the last read of that copy found it bad. So the check revokes it, with the ledger's own
mechanics (``Ledger.revoke``: a durable append of a ``revoked`` line, read by every
version, then a second one carrying the entry it ended, read by versions that know its key,
so that ``offload copy --reverify`` can take the copy up as ours and replace it
(``Ledger.found_wrong_copy``); the other cards' copies kept beside it written again as
they stood).

Contract:

* ``revoke_found_wrong(root, unreadable, changed, checked_since=..., against_own=...)`` revokes,
  in the ledger of the local copy root *root*, each standing entry
  (``LedgerEntries.standing``: verified or transfer-checked) recorded before
  *checked_since* (the check's start: an entry recorded since vouches for a copy this
  check may not have read, written by a run that went on meanwhile) that records a copy
  the check proved wrong: one at a path of *unreadable* (the check could not read it), or one of
  *changed* (``ChangedFile``, paths relative to *root* as the verify report names them)
  whose size as read differs from the entry's, or whose digest as read differs from the
  entry's of that algorithm. A change found against a record that shares no algorithm
  with the entry (a size alike) proves it only against offload-ai's own records
  (*against_own*: the ASC MHL history or the ledger, written from the same digests): a
  legacy MHL the user names may be of another take; and never where that record's size
  is not the entry's while the copy has the entry's size (the record is of another version
  of the file, replaced since: a copy whose size alone was compared is not proved wrong).
  *foreign*: the paths of *changed* found
  unlike another record than the check's reference (a legacy MHL the copy holds,
  ``copy_legacy_mhl``: reason ``legacy-mhl-mismatch``), proved wrong only as above against
  the entry's own size and digests, never by that record alone: a copy the ledger's record
  still proves is not revoked. A copy is revoked whatever its size and date now: one
  that kept them is what a run's quick check would still trust; one whose date (or size)
  changed is trusted by no run, but its standing entry still says the copy root holds
  this card's verified copy, which the check just disproved, and the ledger is read as
  that record by more than the quick check (``card_beside.records_card`` names the folder
  holding the card's offload from the ledger alone). Its revocation keeps the entry it
  ended, so ``offload copy --reverify`` takes it up as ours all the same
  (``Ledger.found_wrong_copy`` asks for a regular file at its name, not for its size and
  date) and a plain run refuses it naming ``--reverify``. A copy the check found missing
  (nothing at its name) is not revoked: no run trusts it (the next one copies it again),
  and its entry stays so that a check against the ledger still names it missing. It
  returns a ``Revocation``: the paths revoked (sorted), and the error that stopped it
  (none revoked then; with it those of the paths it meant to revoke that a run still
  trusts by its quick check, as far as it got to know them: what the failure leaves
  trusted; a copy whose size or date changed, trusted by no run, is not counted). Where two
  cards' copies of one path are both revoked, no entry is carried (which copy the line
  ends is not one record).
* It takes the copy root's lock (``lock.lock_copy_roots``) while it reads and appends, so
  no ``offload copy`` writes that ledger meanwhile (*locked*: the caller holds it already,
  ``offload verify --append``'s, ``verify_lock``); one that holds it is named in the error
  and nothing is revoked (the check's result stands). A copy root that cannot be locked
  (no ``flock`` there) is revoked unlocked, as ``offload copy`` writes it then.
* Read-only media, a ledger that cannot be read or written: nothing revoked, the error
  says why in words (``describe_os_error``). Never raises OSError.
* The caller decides where it applies: a local copy root holding a ledger. An S3 copy
  root is not revoked here: its entries record each object's ETag and a run trusts one
  only while the object still has it, so an object changed there is never trusted; an
  object the check could not GET keeps its ETag, and ``destinations.s3revoke`` revokes
  its entry.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from offload.errors import UsageError, describe_os_error
from offload.ledger import (
    REVOKED_BY_CHECK,
    Ledger,
    LedgerEntries,
    LedgerEntry,
    final_path_of,
)
from offload.lock import CHECK_ROLE, CopyRootLocks, lock_copy_roots
from offload.manifest import ChangedFile
from offload.verify_reads import load_entries


class Revocation(NamedTuple):
    """What ``revoke_found_wrong`` did: *revoked*, the copy paths whose record it revoked;
    *error*, why it revoked none ("" when it did what it could); *meant*, with an error,
    the copy paths whose record it would have revoked that a run still trusts by its quick
    check (its size and date kept: found before the lock or the write failed; empty when
    its ledger could not be read)."""

    revoked: tuple[str, ...]
    error: str = ""
    # Those of *revoked* whose revocation carries no record of the copy it ended (two
    # cards' copies of one path both found wrong): ``offload copy --reverify`` cannot take
    # them up as ours (``Ledger.found_wrong_copy``).
    unrecorded: tuple[str, ...] = ()
    meant: tuple[str, ...] = ()
    # Those of *revoked* whose entry recorded a copy transfer-checked only (``verify``
    # "transfer": never read back), which the warning calls so, never "verified earlier".
    transfer_checked: tuple[str, ...] = ()


def revoke_found_wrong(
    root: Path,
    unreadable: Iterable[str],
    changed: Iterable[ChangedFile],
    *,
    checked_since: float,
    against_own: bool,
    foreign: Collection[str] = (),
    locked: bool = False,
) -> Revocation:
    """Revoke the ledger's record of each copy the check proved wrong (see the module's
    contract)."""
    wanted: dict[str, ChangedFile | None] = {Path(c.path).as_posix(): c for c in changed}
    wanted.update((Path(p).as_posix(), None) for p in unreadable)
    if not wanted:
        return Revocation(())
    own = {copy: against_own for copy in wanted}
    own.update((Path(p).as_posix(), False) for p in foreign if Path(p).as_posix() in wanted)
    ledger = Ledger(root)
    try:  # nothing to revoke: no lock taken, nothing written on the copy root
        cards, found, records, unrecorded, meant = _to_revoke(
            ledger, load_entries(ledger), wanted, checked_since, own
        )
        if not cards:
            return Revocation(())
    except OSError as exc:
        return Revocation((), f"its ledger cannot be read: {describe_os_error(exc)}")
    try:
        # *locked*: the caller holds it (``offload verify --append``, ``verify_lock``) since
        # before the check's reads, so the ledger just read is the one under the lock.
        locks = CopyRootLocks() if locked else lock_copy_roots([root], role=CHECK_ROLE)
    except UsageError as exc:  # CopyRootBusy: another offload writes this copy root
        return Revocation((), exc.message, meant=meant)
    except OSError as exc:
        return Revocation((), describe_os_error(exc), meant=meant)
    with locks:
        try:
            # Read again under the lock just taken: a run may have appended. Read from
            # the file itself, never the read before (``verify_reads``): on a share whose
            # ``stat`` answers from a cache (NFS) an append from another host would be
            # unseen. One parse, made only where the read before found something to revoke.
            if not locked:
                cards, found, records, unrecorded, meant = _to_revoke(
                    ledger, ledger.load_entries(), wanted, checked_since, own
                )
            if cards:
                ledger.revoke(cards, records, by=REVOKED_BY_CHECK)
        except OSError as exc:
            return Revocation((), describe_os_error(exc), meant=meant)
    transfer = tuple(
        sorted(
            final_path_of(Path(), entry).as_posix()
            for entry in records.values()
            if entry.verify == "transfer"
        )
    )
    return Revocation(found, unrecorded=unrecorded, transfer_checked=transfer)


def _to_revoke(
    ledger: Ledger,
    entries: LedgerEntries,
    wanted: Mapping[str, ChangedFile | None],
    checked_since: float,
    own: Mapping[str, bool],
) -> tuple[
    dict[str, str], tuple[str, ...], dict[str, LedgerEntry], tuple[str, ...], tuple[str, ...]
]:
    """``Ledger.revoke``'s arguments (each entry's path, and the card of the copy found
    wrong: the other cards' copies beside it are written again; two cards' copies of one
    path both found wrong: "", which ends them all; and by path the entry revoked, the one
    copy of that path found wrong, none for two), the copy paths it revokes, and those of them
    whose revocation carries no record (two cards' copies of one path), and those of them
    a run could still trust by its quick check (``_passes_quick_check``: what a revocation
    that failed leaves trusted, ``Revocation.meant``).
    *own*: by copy path, whether its change was found against offload-ai's own records."""
    cards: dict[str, str] = {}
    records: dict[str, LedgerEntry] = {}
    twice: set[str] = set()
    revoked: set[str] = set()
    trusted: set[str] = set()
    copies: dict[str, list[str]] = {}
    for entry in entries.standing():
        if not entry.vouches:
            continue
        if entry.recorded_at >= checked_since:
            continue
        copy = final_path_of(Path(), entry).as_posix()
        if copy not in wanted or not _proved_wrong(entry, wanted[copy], own[copy]):
            continue
        if not _still_there(ledger, entry):
            continue  # missing: its entry stays, so that a check still names it missing
        path = entry.relative_path
        cards[path] = entry.card if cards.get(path, entry.card) == entry.card else ""
        if path in records:
            twice.add(path)  # which copy the line ends is not one record: none kept
        records[path] = entry
        revoked.add(copy)
        if _passes_quick_check(ledger, entry):
            trusted.add(copy)
        copies.setdefault(path, []).append(copy)
    for path in twice:
        del records[path]
    unrecorded = tuple(sorted(copy for path in twice for copy in copies[path]))
    return cards, tuple(sorted(revoked)), records, unrecorded, tuple(sorted(trusted))


def _proved_wrong(entry: LedgerEntry, found: ChangedFile | None, against_own: bool) -> bool:
    """Whether what the check found (*found*; None: the copy unreadable) proves
    the copy is not the one *entry* records (see the module's contract)."""
    if found is None:
        return True
    if found.actual_size is not None and found.actual_size != entry.size_bytes:
        return True
    shared = [name for name in found.actual if name in entry.digests]
    if shared:
        return any(found.actual[name] != entry.digests[name] for name in shared)
    if found.expected_size is not None and found.expected_size != entry.size_bytes:
        # The copy has the entry's size, unlike the record it was found changed against:
        # that record is of another version of the file than the entry's (a file replaced
        # since, --overwrite: ASC MHL keeps a path's first record as its reference), and
        # nothing read proves the entry's copy wrong.
        return False
    return against_own


def _still_there(ledger: Ledger, entry: LedgerEntry) -> bool:
    """Whether something is at the name *entry* records (one ``lstat``; whatever its size,
    date or kind). A missing copy is trusted by no run (copied again) and keeps its entry:
    a check against the ledger then still names it missing, where a revoked one would be
    in no record at all. A name that cannot be looked at (EIO) counts as there: the check
    proved the copy wrong, and revoking trusts less."""
    try:
        os.lstat(final_path_of(ledger.copy_root, entry))
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def _passes_quick_check(ledger: Ledger, entry: LedgerEntry) -> bool:
    """Whether a run could still trust *entry*'s copy by its quick check: a regular file
    at its name with the recorded size and date (``Ledger.as_recorded``). A copy whose
    size or date changed is trusted by no run: its revocation is owed to the ledger's other
    readers, not to a run's quick check."""
    try:
        st = os.lstat(final_path_of(ledger.copy_root, entry))
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and ledger.as_recorded(st, entry.size_bytes, entry.mtime_ns)
