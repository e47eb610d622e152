"""An ``s3://`` copy root's record of the offloads that wrote there (``run_record``): the
object ``<copy root>/.offload/last-run.json``, as a local copy root's file of that name.

Why: an ``offload copy`` to a bucket killed mid-card (or after a finished one, the card
since grown) left the records of what it got to, and ``offload verify s3://...`` read every
object they name and passed, "0 missing", while card files no record names were never
stored. The record is stored once the copy root's lock object is held, before the first
upload, and settled at the end, lock still held (``card.run_offload``); ``s3verify`` reads
it once its local view of the copy root is made, before the check reads any object
(``s3verify._unfinished_offload``, ``run_record.unfinished_in``).

Each store is conditional, as the chain's is (``s3card._put_chain``): over the object of
the ETag this place's last read or store gave (If-Match), or where none was read, only
where there is none (If-None-Match): a record stored by another writer since is never
overwritten (the store fails, which ``run_record`` says as any record it cannot write).
A read that fails forgets the ETag of the one before, so the store that follows is made
only where there is none: never over a record this run did not read (``run_record``
stores nothing after a read that failed anyway: the record is left as it is).
"""

from __future__ import annotations

from pathlib import Path

from offload.destinations.s3backend import S3Backend
from offload.run_record import RUN_RECORD_NAME
from offload.state_names import STATE_FOLDER


class S3RunRecord:
    """The record object of the copy root *root* (a stand-in path) of *backend*
    (``run_record.RecordPlace``)."""

    def __init__(self, backend: S3Backend, root: Path) -> None:
        self.store = backend.store
        self.key = backend.key(root / STATE_FOLDER / RUN_RECORD_NAME)
        self._etag: str | None = None  # of the object last read or stored here

    def shown(self) -> str:
        """The record's ``s3://`` URL, for a message."""
        return self.store.display(self.key)

    def load(self) -> bytes | None:
        """The record's bytes, None where there is none. Raises OSError, the ETag of an
        earlier read forgotten first: a store after a read that failed is made only where
        there is no record (If-None-Match), never over one this place did not read."""
        self._etag = None
        found = self.store.get_small_tagged(self.key)
        if found is None:
            self._etag = None
            return None
        data, self._etag = found
        return data

    def save(self, data: bytes) -> None:
        """Store *data* as the record, only over the object this place read (or stored)
        last, or where there was none, only where there is none. Raises OSError."""
        etag = self._etag
        self._etag, _version = self.store._put(
            self.key, data, metadata={}, replace=etag is not None, pinned=etag
        )


def read(backend: S3Backend, root: Path) -> bytes | None:
    """The record of the copy root *root* of *backend*, for ``offload verify``; None where
    there is none. Raises OSError."""
    return S3RunRecord(backend, root).load()
