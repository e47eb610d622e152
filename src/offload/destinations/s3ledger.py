"""The ledger of a copy root on S3: what offload-ai verified there, for resumes and incremental
offloads (the S3 side of ``offload.ledger``).

Objects cannot be appended to, so each ``append`` (one a batch) stores one small object
``<root>/.offload/ledger/<time_ns>-<run>-<serial>.jsonl`` (never over another), and ``load``
reads them all in key order (time first), their lines folded as the local ledger's
(``ledger.fold_lines``: the last entry per path, and other cards' entries standing beside
it). Entries are written after the read-back matched and after the engine's publish step
(for a replacement, the server-side copy over the final key), as on a disk. Each entry
records the ETag of the object its upload completed (read back under that ETag). A re-run
trusts an entry only if the object under the key still has that ETag and the recorded size
(objects keep no source mtime: that is checked against the entry, which recorded it):
another object there, even of the same size, is an existing object of unknown content,
which the existing-copies pre-pass reads back and adopts or refuses. A replacement (staged,
then copied over the final key) names the staging key, and claims the ETag of the copy over
the final key as its confirmation showed it (``S3Backend.replacement_etag``: read back whole,
or in ``transfer`` mode its HEAD's ETag and size, as a direct upload's entry claims its own).

A re-run checks every recorded object: one listing of the copy root (a request a thousand
keys) answers for all of them; a key the listing does not show with the recorded ETag and
size is asked for by its own HEAD, so the listing can only spare requests, never trust more
than a HEAD would.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path

from offload.destinations.s3 import ObjectInfo
from offload.destinations.s3backend import S3Backend
from offload.fs.listing import FolderListings
from offload.ledger import (
    STATE_FOLDER,
    TRANSFER_IN_FLIGHT,
    TRANSFER_SIZE_ONLY,
    Ledger,
    LedgerEntry,
    VerifiedCopy,
    entry_line,
    final_path_of,
)

_RUN = secrets.token_hex(4)
# The listing stops after this many keys beyond the ledger's own entries (a copy root that
# holds much else): the keys it did not reach are asked for one by one.
_LISTING_SLACK = 10_000


def ledger_object_name(time_ns: int, serial: int) -> str:
    """The name of the ledger's object *serial* of this run, stored at *time_ns*:
    ``<time_ns, 20 digits>-<run>-<serial, 6 digits at least>.jsonl`` (key order is time
    order). The one rule, for ``append`` and for the preflight's longest own key
    (``s3own_keys``)."""
    return f"{time_ns:020d}-{_RUN}-{serial:06d}.jsonl"


def ledger_folder_key(copy_root_key: str) -> str:
    """The key of the ledger's folder of the copy root at *copy_root_key*, no ``/`` after."""
    head = f"{copy_root_key}/" if copy_root_key else ""
    return f"{head}{STATE_FOLDER}/ledger"


class S3Ledger(Ledger):
    """``Ledger`` with its entries stored as objects under ``<copy root>/.offload/ledger/``.

    Not thread-safe: the planner (one thread) loads it and asks ``recorded``; the engine's
    committers only ``append`` (each call one new object).
    """

    def __init__(self, backend: S3Backend, copy_root: Path, *, card: str = "") -> None:
        super().__init__(copy_root, card=card)
        self.backend = backend
        self.store = backend.store
        self.path = copy_root / STATE_FOLDER / "ledger"
        self._prefix = ledger_folder_key(backend.key(copy_root)) + "/"
        self._serial = itertools.count()
        self._listing: dict[str, ObjectInfo] | None = None
        # The keys of the objects this run stored (``append``): the check of the copy root
        # before its manifest (``s3looked_again``) tells by them whether the bucket still
        # holds what this run recorded (a list: appending is atomic across committers).
        self.stored: list[str] = []
        # The ledger's objects (key, ETag) as the last ``load_entries`` listed them: whether
        # it still holds what was read is told by listing them again (``unchanged``).
        self.generation: tuple[tuple[str, str], ...] | None = None

    def _lines(self) -> Iterator[str]:
        """The lines of every object of the ledger, in key order (time first): folded as
        a disk's (``Ledger.load_entries``). Raises OSError."""
        self.generation = None
        listing = sorted(self.store.list_keys(self._prefix), key=lambda i: i.key)
        for info in listing:
            raw = self.store.get_small(info.key) or b""
            yield from raw.decode("utf-8", "surrogateescape").splitlines()
        self.generation = self._generation_of(listing)

    def unchanged(self) -> bool:
        """Whether the ledger's objects are still those the last ``load_entries`` read whole
        (one listing, no object read): each entry is appended as a new object and none is
        rewritten, so the same keys with the same ETags hold the same entries. False when
        nothing was read whole yet. Raises OSError (the listing failed)."""
        if self.generation is None:
            return False
        return self._generation_of(self.store.list_keys(self._prefix)) == self.generation

    @staticmethod
    def _generation_of(listing: Iterable[ObjectInfo]) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((info.key, info.etag) for info in listing))

    def append(self, entries: Iterable[LedgerEntry]) -> None:
        """Store the entries as one new object. Raises OSError."""
        lines = "".join(
            entry_line(self._with_etag(self.stamped(entry))) + "\n" for entry in entries
        )
        if not lines:
            return
        name = ledger_object_name(time.time_ns(), next(self._serial))
        self.store.put_small(self._prefix + name, lines.encode("utf-8", "surrogateescape"))
        self.stored.append(self._prefix + name)

    def append_verified(self, records: Iterable[VerifiedCopy], *, recorded_at: float) -> None:
        """Entries, each with its ETag, stored as one new object (``append``); each
        transfer check's with what it proved (``LedgerEntry.transfer_check``): the size
        alone where the preflight's probe found the service storing a part whatever its
        checksum (``S3Destination.checksums_checked`` False), else the size and the
        in-flight hashes. Only here: an entry written again (a revocation's other cards'
        standing entries, ``Ledger.revoke``) keeps what its own run recorded."""
        proved = TRANSFER_IN_FLIGHT if self.store.checksums_checked else TRANSFER_SIZE_ONLY

        def entry(record: VerifiedCopy) -> LedgerEntry:
            made = record.entry(recorded_at)
            if made.state != "transfer_checked":
                return made
            return replace(made, transfer_check=proved)

        self.append(entry(record) for record in records)

    def identified(self, entry: LedgerEntry) -> LedgerEntry:
        """*entry* itself: an object is told by its ETag (``_with_etag``), no inode."""
        return entry

    def _with_etag(self, entry: LedgerEntry) -> LedgerEntry:
        """*entry* with the ETag of the object it records, as this run proved it (uploaded
        directly, or read back whole: ``S3Backend.known_etag``)."""
        if entry.state == "revoked":
            return entry
        final = final_path_of(self.copy_root, entry)
        try:
            if entry.partial_name and entry.partial_name != final.name:
                # A replacement (uploaded to a staging key): the copy over the final key is
                # another object than the one verified, and no other ETag known for that
                # key stands for it (an earlier read there was of the object it replaced);
                # claimed as that copy's confirmation showed it.
                etag = self.backend.replacement_etag(final)
            else:
                etag = self.backend.known_etag(final)
        except OSError:
            return entry
        return replace(entry, etag=etag) if etag else entry

    def _copy_there(
        self,
        entry: LedgerEntry,
        entries: Mapping[str, LedgerEntry],
        listing: FolderListings | None,
    ) -> str | None:
        """``Ledger._copy_there`` against the object at the key (its one listing of the copy
        root, ``_listed``): "" where the object there has the recorded size and the ETag
        the entry recorded (an object is told by its ETag alone), else None; *listing* is
        a local folder's: not used."""
        key = self.backend.key(final_path_of(self.copy_root, entry))
        size_bytes = entry.size_bytes
        info = self._listed(key, entries)
        if info is None or info.etag != entry.etag or info.size_bytes != size_bytes:
            try:
                info = self.store.stat_key(key)
            except OSError:
                return None
        if info is None or info.size_bytes != size_bytes:
            return None
        if not entry.etag or info.etag != entry.etag:
            # Not the object we read back (another writer's, or a replacement's copy, or an
            # entry of a version that recorded no ETag): its content is unknown.
            return None
        return ""

    def other_file(self, entry: LedgerEntry) -> str:
        """ "": an object has no inode nor change time (an entry records its ETag, which
        ``recorded`` compares), and its key is no local path to ``lstat``."""
        return ""

    def _changed_size(self, entry: LedgerEntry, listing: FolderListings | None) -> int | None:
        """None, always (``changed_copy`` is then None): an object cannot change in place (no
        append, no truncate), so an object of another size (or ETag) under a key the ledger
        records is another object, stored there since by another writer, not ours: read
        back and adopted when equal, else refused (or replaced by ``--overwrite``), as any
        object no ledger records."""
        return None

    def _listed(self, key: str, entries: Mapping[str, LedgerEntry]) -> ObjectInfo | None:
        """*key*'s object as one listing of the copy root showed it (made on the first call),
        or None if the listing did not show it (absent, not reached, or unlistable)."""
        if self._listing is None:
            self._listing = {}
            limit = len(entries) + _LISTING_SLACK
            prefix = self.backend.key(self.copy_root) + "/"
            try:
                for info in self.store.list_keys(prefix):
                    self._listing[info.key] = info
                    if len(self._listing) >= limit:
                        break
            except OSError:
                pass  # each key is then asked for by its own HEAD, as before the listing
        return self._listing.get(key)
