"""The destination seam: how the engine talks to wherever the copies go.

In the spirit of rclone's ``Fs``/``Object`` and its ``Features``: the engine (writer,
committer, job) knows a destination only through the ``Destination`` Protocol below and
the ``Partial`` objects it hands out, and asks ``Destination.features`` (plain data) what a
destination can promise. The local filesystem is ``offload.destinations.local``; an object
store (S3 multipart uploads) is meant to fit the same contract:

==========================  ===============================  ================================
step                        local filesystem                 object store (multipart upload)
==========================  ===============================  ================================
``open_partial``            hidden partial, O_EXCL           create the multipart upload
``Partial.write``           write(2), O_DIRECT when aligned  buffer, upload parts
``make_durable`` / ``seal`` syncfs, fsync, close              complete the upload (no batch)
``open_read_back``          O_DIRECT or checked cache drop   GET of the uploaded object
``publish``                 renameat2(RENAME_NOREPLACE)      conditional copy (If-None-Match)
``make_names_durable``      fsync of the folders             nothing (a PUT is durable)
``remove_partial``          unlink                           abort the upload / delete
==========================  ===============================  ================================

Contract common to every method:

* **Errors.** I/O failures are raised as ``OSError`` with an errno the engine scopes with
  ``offload.errors.destination_io_error`` (EIO, ENOSPC, ENOTCONN... lose the destination;
  EEXIST, EFBIG, ENAMETOOLONG... fail one file). A backend for a remote store maps its own
  failures onto these errnos (a refused credential: EACCES; the service gone: ENOTCONN).
  Only ``check_present`` raises ``DestinationError`` itself, naming why the destination is
  gone (and a ``seal`` that finds its file on another device, through it).
  ``remove_partial`` never raises. A backend whose own steps watch the job's cancel
  (S3: a server-side copy, a read-back fetched ahead, an upload's completion, a ``write``
  waiting for a part buffer) raises ``OSError`` with ECANCELED when the cancel stopped one:
  while the job is cancelled, the writer or committer then records nothing for that file
  (the job reports it ``cancelled``), as after its own cancellable waits; otherwise
  ECANCELED is an ordinary error of that file.
* **Threads.** A ``Destination`` is used by two threads at once (the destination's writer and
  its committer) and must be safe for that: its methods keep no per-call state, or lock it.
  A ``Partial`` is used by one thread at a time: the writer creates and writes it, then hands
  it to the committer through a queue (which orders the two), and the committer seals,
  reads back, publishes or removes it.
* **Ownership.** The engine owns the bytes it passes (``write`` must not keep the buffer
  after it returns: the buffer goes back to the pool). The backend owns each Partial's
  handles (descriptors, upload ids) until ``publish`` or ``remove_partial`` releases them.
* **Lifetime.** A backend may hold resources from the moment it is made (a local
  destination's ``syncfs`` descriptor, opened before any write so that it reports every
  later error; an S3 destination's thread pools and HTTP clients). ``close()`` releases
  them; it is idempotent, never raises, and is called once no thread uses the destination
  any more. Whoever made a destination closes it: the job those it makes itself (a root
  given without a backend), a caller those it makes and passes in
  (``CopyJob(destinations=...)``), the card layer its S3 backends. Every backend is a
  context manager that closes it on exit (``with LocalDestination(root) as dest:``,
  :class:`Closing`). A closed backend never claims more than before: a local one's
  ``make_durable`` answers False (each file is then fsynced).
* **Paths.** Paths are absolute and lie under ``root``; an object store maps them to keys
  relative to ``root``. Names are as the source had them (no normalisation).
* **Honesty.** Where a backend cannot give a guarantee the engine asks for, it says so in
  what it returns (``ReadBack.cache_bypass``; ``make_durable`` returning False), never by
  pretending: the engine records in each result which guarantee was really given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol, Self

from offload.results import CacheBypass

if TYPE_CHECKING:  # concurrent.futures loads logging (~7 ms): not before an offload's copy
    from concurrent.futures import Future


@dataclass(frozen=True)
class Features:
    """What a destination can promise, as data (rclone's ``Features``).

    Every flag turned off selects a tested fallback in the backend that still keeps the
    promise, or makes the backend record which guarantee it could not give. The local
    backend probes them (``destinations.local.probe_features``); tests switch them off.
    """

    # One call (syncfs) makes every file of a batch durable AND would report a writeback
    # error of any of them: per-file fsyncs can be skipped after it. Off: each file is synced
    # on its own (NFS, SMB, FUSE, kernels before 5.8; macOS: F_FULLFSYNC per file).
    durable_batch: bool = False
    # Writes can go around the page cache (Linux O_DIRECT; macOS F_NOCACHE). Off: buffered
    # writes only (same data, more cache pressure).
    direct_writes: bool = False
    # Read-back can go around the cache (O_DIRECT; macOS F_NOCACHE). Off: the file's cache is
    # dropped and checked empty (``cache_eviction``), or the result says CacheBypass.NONE.
    direct_reads: bool = False
    # A file's cached pages can be dropped and checked gone (POSIX_FADV_DONTNEED + mincore),
    # and read back in ahead (POSIX_FADV_WILLNEED). Off: no prefetched read-backs; a read-back
    # that cannot go direct is recorded as CacheBypass.NONE.
    cache_eviction: bool = False
    # Publish without replacing in one atomic call (Linux renameat2 RENAME_NOREPLACE; macOS
    # renamex_np RENAME_EXCL). Off: link()+unlink() where ``hard_links``, else a check for the
    # name then rename() (racy: another writer of that name then, another run too, is replaced).
    atomic_noreplace: bool = False
    # Hard links, for the publish fallback above (exFAT, FAT and some FUSE have none).
    hard_links: bool = False
    # Names become durable by fsyncing their folder (off: the store makes names durable
    # itself, or cannot; nothing is done).
    folder_sync: bool = False
    # Symbolic links can be stored (exFAT, FAT, object stores: no).
    symlinks: bool = False
    # Modification times can be set (object stores keep their own upload time).
    mtimes: bool = False
    # Publishing (a rename) may set the file's mtime again: a FUSE daemon's choice (fusefat
    # sets it to now). The first publish checks; where it did, each publish sets it again.
    rename_may_set_mtime: bool = False
    # The longest name (one path component) in bytes the destination accepts.
    max_name_bytes: int = 255
    # The destination stores a file's digests with the copy (S3 object metadata): the writer
    # hands ``open_partial`` the signal of the digests known once the file was read.
    stores_digests: bool = False
    # Names are compared byte for byte, so a name in the way of a publish is that very name
    # (S3 keys). Off: it may be one differing only by case (a local filesystem may fold
    # case: exFAT, NTFS, FAT, APFS), and a refusal says so.
    exact_names: bool = False


class EntryInfo(NamedTuple):
    """What ``stat`` and ``list`` tell about a name on the destination (never followed)."""

    name: str
    kind: str  # "file", "folder", "symlink" or "other"
    size_bytes: int
    mtime_ns: int
    # An object's ETag as its folder's listing gave it (``S3Backend.list``); "" elsewhere.
    etag: str = ""


class ReadBack(Protocol):
    """An open read of a file as stored on the media (``Destination.open_read_back``).

    ``cache_bypass`` says how the reads so far avoided any cache; it may get worse after a
    read (a filesystem that refuses direct reads late): read it after the last read.
    One thread; ``close()`` always.
    """

    @property
    def cache_bypass(self) -> CacheBypass: ...

    def read_into(self, buffer: memoryview, offset: int) -> int:
        """Fill *buffer* from *offset* as far as the file allows; returns the bytes read (fewer
        than asked only at end of file). The buffer is page-aligned. Raises OSError."""
        ...

    def close(self) -> None: ...


class Partial(Protocol):
    """One file being written under a hidden name (or an unfinished upload).

    ``final_path``: where the engine means it to go (the path ``open_partial`` was given).
    ``partial_path``: the hidden name its data is under; ``partial_name``, its last
    component as text, is what the ledger records, so a later run can tell our rename
    happened (a property of its own: the engine reads it for every file, and a ``Path``
    made only for its name was a measurable share of a small file's cost).
    ``created_dirs``: folders ``open_partial`` had to create (outermost first).
    """

    @property
    def final_path(self) -> Path: ...

    @property
    def partial_path(self) -> Path: ...

    @property
    def partial_name(self) -> str: ...

    @property
    def bytes_written(self) -> int: ...

    @property
    def bytes_resumed(self) -> int:
        """Of ``bytes_written``, those the destination already held from an interrupted
        earlier write and that were not sent again (an S3 multipart upload resumed: its parts
        found on the service, each matched against the source's bytes); 0 on a disk. Known
        once sealed."""
        ...

    @property
    def created_dirs(self) -> Sequence[Path]: ...

    def write(self, data: memoryview) -> None:
        """Append all of *data* (short writes are the backend's to finish). Raises OSError.
        *data* is a view of the engine's pooled buffer, the backend's during the call only:
        a backend that writes later copies what it keeps (a kept view is a bug the job's
        end names: ``ChunkPool.close``)."""
        ...

    def set_mtime(self, mtime_ns: int) -> None:
        """Set the modification time the file will have (where ``features.mtimes``)."""
        ...

    def seal(self, *, sync: bool) -> int:
        """Finish writing: make the data durable if *sync* (a failure is final: never retried
        into a success), release the handle; returns the size as stored. Raises OSError, or
        DestinationError where the file is not on the destination's device any more (a drive
        unmounted or swapped at the same path while it was written: the destination is
        gone)."""
        ...


class Closing:
    """What makes a backend a context manager (module docstring, "Lifetime"): ``with`` gives
    the backend itself and closes it on the way out, an exception or not. A backend that
    holds nothing keeps this ``close``, which does nothing."""

    def close(self) -> None:
        """Release what the destination holds; idempotent, never raises."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Destination(Protocol):
    """One destination (see the module docstring for errors, threads, ownership and its
    lifetime: ``close``)."""

    @property
    def root(self) -> Path: ...

    @property
    def features(self) -> Features: ...

    def check_present(self) -> None:
        """Raise ``DestinationError`` if the destination is gone (unplugged, unmounted,
        replaced by another device), OSError if it cannot be reached to tell (scoped by its
        errno like any other). Cheap: asked before a folder can be made and at a batch's first
        file (writer), before a batch is published and before its ledger lines (committer)."""
        ...

    def exists(self, path: Path | str) -> bool:
        """Whether anything has this name (a symlink counts, even dangling; on a
        case-insensitive destination a name differing only by case counts). Raises OSError."""
        ...

    def open_partial(
        self,
        final_path: Path | str,
        *,
        size_bytes: int,
        folder_known: bool,
        digests: Mapping[str, str] | None = None,
        hashed: Future[dict[str, str] | None] | None = None,
        mtime_ns: int | None = None,
    ) -> Partial:
        """Create a new, empty partial for *final_path* (a path, or its text: the engine
        passes the task's text, the backend makes a ``Path`` only if it needs one), creating
        its folders unless
        *folder_known* (the caller saw them); never reuses an existing name (O_EXCL).
        *size_bytes*: what will be written (a hint for direct I/O and multipart sizes).
        *digests*: the file's digests when known before its bytes (a cascade's reference,
        the card's ASC MHL), which a destination may store with the copy (S3: metadata).
        *hashed*: resolves with the file's digests once all its bytes were read (None: never),
        for a destination that stores them with the copy although they are not known before;
        it may wait for them in ``write``'s background work or ``seal``, never in
        ``open_partial``. *mtime_ns*: the source's modification time (None: not kept,
        ``preserve_mtime`` off), for a destination that fixes it when the copy is created
        (S3: the object's ``mtime`` metadata, as rclone reads it); one that sets it later
        (``Partial.set_mtime``) ignores it."""
        ...

    def make_durable(self, partials: Sequence[Partial]) -> bool:
        """Try to make every partial of a batch durable in one call. True only if that call
        succeeded and would have reported a write error of any of them (then ``seal`` need not
        sync); False: each partial must be sealed with ``sync=True``. Never raises: a failure
        is found again, per file, by the syncs that follow."""
        ...

    def prefetch_read_back(self, partial: Partial) -> CacheBypass | None:
        """Evict a sealed partial from any cache and start reading it back from the media in
        the background; returns how the read that follows will have avoided the caches
        (NONE: not verifiably emptied), None if this destination cannot
        (``features.cache_eviction`` off). Raises OSError."""
        ...

    def open_read_back(self, partial: Partial, *, bypass_cache: bool) -> ReadBack:
        """Open a sealed partial for reading as stored on the media: around the cache when
        *bypass_cache* (or with the cache dropped and checked; the ReadBack says which);
        otherwise through the cache (a destination not flushed, or one whose cache
        ``prefetch_read_back`` just refilled from the media). Raises OSError."""
        ...

    def publish(
        self,
        partial: Partial,
        target: Path | str,
        *,
        replace: bool,
        digests: Mapping[str, str] | None = None,
    ) -> None:
        """Give a sealed, verified partial the name *target*, atomically. Without *replace*,
        never replaces anything: FileExistsError when *target* exists (by case too, on a
        case-insensitive destination). *digests*: the file's, now known, which a destination
        may store with the copy. Raises OSError; a failure leaves *target* as it was."""
        ...

    def make_names_durable(self, paths: Iterable[Path | str]) -> None:
        """Make the names of these published files durable (and of every folder between them
        and the root). Raises OSError whose ``filename`` is the folder that failed."""
        ...

    def remove_partial(self, partial: Partial) -> None:
        """Release the partial's handle and delete its data unless it was published. Never
        raises; safe at any point, and more than once."""
        ...

    def stat(self, path: Path) -> EntryInfo | None:
        """What has this name (not followed), None if nothing. Raises OSError (for resume)."""
        ...

    def list(self, folder: Path) -> list[EntryInfo]:
        """The names in *folder*, sorted. Raises OSError (for resume and stray partials)."""
        ...

    def free_space(self) -> int:
        """Bytes the destination can still take. Raises OSError."""
        ...

    def name_problem(self, name: str) -> str | None:
        """Why *name* (one component) cannot be stored here with its partial name, or None."""
        ...

    def reserve_names(self, paths: Iterable[str]) -> None:
        """The final names (absolute, as text) the card's files take here, before the job's
        first file, with ``--keep-both`` only: none of them is a free name for a copy kept
        beside another file. A backend that chooses that name as its upload opens (S3: the
        key) must keep them; one whose name is chosen at ``publish`` (a disk: the committer,
        against ``DestinationState.card_names``) keeps nothing. Never raises: a name the
        destination cannot hold is left out (its file fails on its own)."""
        ...

    def close(self) -> None:
        """Release what the destination holds (module docstring, "Lifetime"). Idempotent,
        never raises; called once no thread uses the destination any more."""
        ...
