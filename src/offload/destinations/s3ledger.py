"""The ledger of a copy root on S3: what offload-ai verified there, for resumes and incremental
offloads (the S3 side of ``offload.ledger``).

Objects cannot be appended to, so each ``append`` (one a batch) stores one small object
``<root>/.offload/ledger/<time_ns>-<run>-<serial>.jsonl`` (never over another), and ``load``
reads them all in key order (time first): the last entry per path wins, as in the local
ledger. Entries are written after the read-back matched and before the engine's publish step,
as on a disk. A re-run trusts an entry only if the object is still there with the recorded
size (objects keep no source mtime: that is checked against the entry, which recorded it),
and, for a replacement, its staging object is gone (as a local entry's partial must be).
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from offload.destinations.s3backend import S3Backend
from offload.ledger import STATE_FOLDER, Ledger, LedgerEntry, final_path_of, recorded_entry

_RUN = secrets.token_hex(4)
_ENCODER = json.JSONEncoder(ensure_ascii=False)


class S3Ledger(Ledger):
    """``Ledger`` with its entries stored as objects under ``<copy root>/.offload/ledger/``."""

    def __init__(self, backend: S3Backend, copy_root: Path) -> None:
        super().__init__(copy_root)
        self.backend = backend
        self.store = backend.store
        self.path = copy_root / STATE_FOLDER / "ledger"
        self._prefix = backend.key(self.path) + "/"
        self._serial = itertools.count()

    def load(self) -> dict[str, LedgerEntry]:
        """The last entry per relative path. Raises OSError if the ledger cannot be read."""
        entries: dict[str, LedgerEntry] = {}
        for info in sorted(self.store.list_keys(self._prefix), key=lambda i: i.key):
            raw = self.store.get_small(info.key) or b""
            for line in raw.decode("utf-8", "surrogateescape").splitlines():
                try:
                    entry = LedgerEntry(**json.loads(line))
                except (ValueError, TypeError):
                    continue
                entries[entry.relative_path] = entry
        return entries

    def append(self, entries: Iterable[LedgerEntry]) -> None:
        """Store the entries as one new object. Raises OSError."""
        lines = "".join(_ENCODER.encode(vars(entry)) + "\n" for entry in entries)
        if not lines:
            return
        name = f"{time.time_ns():020d}-{_RUN}-{next(self._serial):06d}.jsonl"
        self.store.put_small(self._prefix + name, lines.encode("utf-8", "surrogateescape"))

    def recorded(
        self,
        relative_path: str,
        *,
        size_bytes: int,
        mtime_ns: int,
        algorithms: Sequence[str],
        entries: dict[str, LedgerEntry],
    ) -> LedgerEntry | None:
        entry = recorded_entry(
            entries, relative_path, size_bytes=size_bytes, mtime_ns=mtime_ns, algorithms=algorithms
        )
        if entry is None:
            return None
        final = final_path_of(self.copy_root, entry)
        try:
            info = self.store.stat_key(self.backend.key(final))
        except OSError:
            return None
        if info is None or info.size_bytes != size_bytes:
            return None
        if entry.partial_name and entry.partial_name != final.name:
            # A replacement, uploaded to a staging key and recorded before its copy over the
            # final key: while its staging object is there, that copy may not have happened
            # (the object under the key is then the one it was to replace).
            try:
                staging = self.store.stat_key(self.store.staging_key_named(entry.partial_name))
            except OSError:
                return None
            if staging is not None:
                return None
        return entry
