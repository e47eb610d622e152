"""An S3 destination behind the engine's seam (``destinations.base.Destination``).

The engine speaks in paths under ``root``; this maps them to keys under the ``s3://`` URL and
each step of the seam onto ``destinations.s3``:

====================  ==============================================================
``open_partial``      start (or resume) the upload of the final key; with keep-both, the
                      first free ``name (n).ext`` is chosen here (a key cannot change later)
``Partial.write``     buffer, send full parts on the bounded executor
``seal``              send the rest, complete: the object appears under its key, atomically,
                      never over another object (If-None-Match; ``features.atomic_noreplace``
                      False where the service needs the HEAD fallback)
``open_read_back``    a streamed GET of the completed object
``publish``           nothing left to do (the name was taken at ``seal``): checks the target
``remove_partial``    abort the upload, or delete the object it completed while still ours
====================  ==============================================================

So on S3, unlike a disk, a copy is visible under its key before its read-back; one whose
read-back fails is deleted, and only the ledger and the ASC MHL (written after the read-back)
call a copy verified (docs/s3.md).

``root`` is a stand-in path, ``/s3:/<bucket>/<prefix>`` (``s3_root``): nothing local is ever
made there; the card layer routes S3 roots around every local operation.
"""

from __future__ import annotations

import errno
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import CancelledError, Future
from pathlib import Path, PurePosixPath

from offload.destinations import s3commands
from offload.destinations.base import Closing, EntryInfo, Features, Partial, ReadBack
from offload.destinations.s3 import (
    DIGEST_PREFIX,
    MARKER_KEY,
    ObjectInfo,
    S3Destination,
    S3ReadBack,
    S3Upload,
    digest_metadata,
    digests_of,
    get_refused,
)
from offload.destinations.s3config import redact_secrets
from offload.destinations.s3url import (
    MAX_KEY_BYTES,
    display_path,
    key_bytes,
    s3_root,
)
from offload.errors import DestinationError, printable_name
from offload.options import ExistingFilePolicy
from offload.results import CacheBypass


class S3ShownPath(type(Path())):  # type: ignore[misc]
    """A stand-in path that prints as its ``s3://`` URL, for reports only (never opened:
    its ``os.fspath`` is the URL, a relative name nothing local has)."""

    def __str__(self) -> str:
        return display_path(super().__str__())


class S3Partial:
    """One upload seen as the seam's ``Partial``. ``partial_path`` is the key it goes to
    (there is no hidden name on S3)."""

    def __init__(
        self, final_path: Path, key_path: Path, upload: S3Upload, sealed: dict[str, S3Partial]
    ) -> None:
        self.final_path = final_path
        self._sealed = sealed
        self.partial_path = key_path
        self.partial_name = key_path.name
        self.upload = upload
        self.created_dirs: list[Path] = []
        self.published = False
        # XXH3-128 of the last whole read-back of a staged upload (``S3ReadBack.fingerprint``).
        self.fingerprint: str | None = None

    @property
    def bytes_written(self) -> int:
        return self.upload.bytes_written

    @property
    def bytes_resumed(self) -> int:
        """The parts of an interrupted upload found on the service and not sent again."""
        return self.upload.bytes_resumed

    def write(self, data: memoryview) -> None:
        self.upload.write(data)

    @property
    def on_sent(self) -> Callable[[int], None] | None:
        """Called with each part's bytes once the service holds them (``S3Upload.on_sent``;
        ``S3Backend.says_bytes_sent``): the engine's ``DestinationBytesWritten`` for an
        upload, so the live view's pace is the link's, not the card's."""
        return self.upload.on_sent

    @on_sent.setter
    def on_sent(self, told: Callable[[int], None] | None) -> None:
        self.upload.on_sent = told

    def set_mtime(self, mtime_ns: int) -> None:
        """Nothing: an object's LastModified is its upload time, which cannot be set
        (``features.mtimes`` is off); the source's mtime went into its metadata when the
        upload was opened (``open_partial``'s *mtime_ns*), and is in the ledger and the
        ASC MHL."""

    def seal(self, *, sync: bool) -> int:
        """Complete the upload: the object appears under its key (a completed upload is
        durable; *sync* changes nothing). Raises OSError (FileExistsError: the key exists)."""
        size = self.upload.complete()
        self._sealed[self.upload.key] = self
        return size


class _ReadBack:
    def __init__(self, reader: S3ReadBack, partial: S3Partial) -> None:
        self._reader = reader
        self._partial = partial

    @property
    def cache_bypass(self) -> CacheBypass:
        # Read from the service over the network: no local cache is involved.
        return CacheBypass.REMOTE

    def read_into(self, buffer: memoryview, offset: int) -> int:
        return self._reader.read_into(buffer, offset)

    def close(self) -> None:
        self._reader.close()
        # The last read-back is what the engine compared: a re-read replaces the first.
        self._partial.fingerprint = self._reader.fingerprint()


class _Fetched:
    """A read-back served from a whole small object fetched ahead (``_ReadAhead``)."""

    def __init__(self, ahead: _ReadAhead, partial: S3Partial, future: Future[bytes]) -> None:
        self._ahead = ahead
        self._partial = partial
        self._future = future
        self._data: bytes | None = None

    @property
    def cache_bypass(self) -> CacheBypass:
        return CacheBypass.REMOTE

    def read_into(self, buffer: memoryview, offset: int) -> int:
        if self._data is None:
            self._data = self._ahead.wait(self._future)
        piece = self._data[offset : offset + len(buffer)]
        buffer[: len(piece)] = piece
        return len(piece)

    def close(self) -> None:
        self._data = None
        self._ahead.done(self._partial)


class _ReadAhead:
    """The read-backs of a batch's small files, fetched ahead, several at once.

    The committer reads a batch back one file after the other; on an object store each of
    those is a round trip, so ``prefetch`` queues the batch's small objects (in the order they
    will be read) and up to ``parallel_parts`` of them are fetched at once, each whole into
    memory (a small file is below the engine's chunk size): memory stays below
    ``parallel_parts`` small files, whatever the batch. A fetched object is held until its
    read-back is closed (or its partial removed or published), which lets the next one start.
    A fetch's failure is raised by that file's read-back only. Used by the committer thread;
    the fetches run on the store's read executor.
    """

    def __init__(self, store: S3Destination) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._queue: deque[S3Partial] = deque()
        # id(partial) -> (the partial, kept so its id is not reused meanwhile; its fetch)
        self._started: dict[int, tuple[S3Partial, Future[bytes]]] = {}
        self._limit = max(1, store.settings.parallel_parts)

    def prefetch(self, partial: S3Partial) -> None:
        with self._lock:
            self._queue.append(partial)
        self._pump()

    def open(self, partial: S3Partial) -> _Fetched | None:
        """The fetched read-back of *partial* if one was started, else None (read it by a
        streamed GET; a queued fetch is dropped)."""
        with self._lock:
            started = self._started.get(id(partial))
            if started is None:
                if partial in self._queue:
                    self._queue.remove(partial)
                return None
        return _Fetched(self, partial, started[1])

    def wait(self, future: Future[bytes]) -> bytes:
        """The fetched bytes; raises the fetch's OSError, or ECANCELED on a cancel."""
        while True:
            try:
                return future.result(timeout=0.1)
            except TimeoutError:
                if self._store.cancelled():
                    raise OSError(errno.ECANCELED, "cancelled") from None
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror) from None  # fresh: no pinned frames
            except CancelledError:
                raise OSError(errno.ECANCELED, "the read-back was cancelled") from None
            except Exception as exc:  # a bug in the fetch: this file's read-back fails
                raise OSError(errno.EIO, redact_secrets(f"the read-back failed: {exc!r}")) from None

    def done(self, partial: S3Partial) -> None:
        """*partial* needs its fetch no more (read, removed or published): the next may go."""
        with self._lock:
            started = self._started.pop(id(partial), None)
            if started is None and partial in self._queue:
                self._queue.remove(partial)
        if started is not None:
            started[1].cancel()
            self._pump()

    def _pump(self) -> None:
        with self._lock:
            while self._queue and len(self._started) < self._limit:
                partial = self._queue.popleft()
                upload = partial.upload
                fetch = self._store.fetch(upload.key, upload.etag, upload.size_bytes)
                self._started[id(partial)] = (partial, fetch)


class S3Backend(Closing):
    """``s3://bucket/prefix`` as a ``destinations.base.Destination`` (module docstring).

    ``existing``: the job's policy (the upload needs it before the engine's publish step:
    the object is published when it is sealed).
    """

    #: Its partials say their bytes once sent (``S3Partial.on_sent``): the engine counts
    #: those as written, not what ``write`` buffered (parts ahead of the link).
    says_bytes_sent = True

    def __init__(
        self,
        store: S3Destination,
        *,
        existing: ExistingFilePolicy = ExistingFilePolicy.FAIL,
    ) -> None:
        self.store = store
        self.device = str(store.url)
        self._root = s3_root(store.url)
        self._existing = existing
        self._lock = threading.Lock()
        # Completed here, not yet published (a dict: setting and popping a key are atomic).
        self._sealed: dict[str, S3Partial] = {}
        self._published: set[str] = set()
        # Keys keep-both's ``free_key`` found taken (a HEAD each, live) as an upload started:
        # ``exists`` says so though the plan's listing (older) did not show them, so that
        # the committer's choice of a free name agrees with the key the upload took.
        self._taken: set[str] = set()
        # Keys the card's files take here (``reserve_names``): keep-both gives none of
        # them to a copy kept beside another.
        self._card_keys: frozenset[str] = frozenset()
        # folder key -> (every name there, its objects by name, its folders), listed once
        self._listed: dict[str, tuple[set[str], dict[str, EntryInfo], set[str]]] = {}
        # prefix -> the objects ``objects_below`` listed there, kept for the next
        # ``keys_below`` of that folder alone (the card-folder check, then the type check).
        self._below: dict[str, list[ObjectInfo]] = {}
        # key -> ETag of the object ``hash_copy`` read (a dict: setting a key is atomic).
        self._read_etags: dict[str, str] = {}
        # key -> the user metadata and the bytes of the object ``hash_copy`` read, for
        # ``complete_adopted`` (dicts: setting a key is atomic): only of an object of ours
        # (``MARKER_KEY``) whose metadata lacks the digests read, the one it may complete;
        # that drops them. Not every object's: a re-run over a card of thousands of clips
        # would hold them all for the whole run.
        self._read_metadata: dict[str, dict[str, str]] = {}
        self._read_sizes: dict[str, int] = {}
        # final key -> ETag of the copy a replacement's publish made there and read back
        # whole, pinned to that ETag (``replacement_etag``).
        self._replaced_etags: dict[str, str] = {}
        self._ahead = _ReadAhead(store)
        # key -> (ETag, bytes) of the copy root's ASC MHL history objects ``history_of``
        # downloaded at the start: the manifest step GETs only those listed with another
        # ETag, or new (``s3card._download_history``), and drops them.
        self.history_read: dict[str, tuple[str, bytes]] = {}
        # Why this destination is lost before its first file (``lose``), None: it is not.
        self.lost: DestinationError | None = None
        # The dry run's words for ``lost`` where the plan lost it (its ledger's read refused,
        # ``s3card.lose_unreadable_ledger``): "the run would lose ...".
        self.lost_foreseen: str | None = None
        # How many of the ledger objects this run stored the copy root's listing before its
        # manifest no longer showed (``s3looked_again``): the ledger lost what this run
        # recorded (the service lost its state, or they were deleted), which the manifest
        # step's words must not deny (``manifests_writer.not_written``).
        self.ledger_lost = 0

    @property
    def root(self) -> Path:
        return self._root

    @property
    def features(self) -> Features:
        return Features(
            durable_batch=False,
            direct_writes=False,
            direct_reads=False,
            cache_eviction=False,
            # If-None-Match on every write: no 501 to it on a PutObject (``conditional_create``
            # says ``put_refused``) nor on a completion; one to a completion's If-Match
            # alone (a copy onto itself) leaves it there.
            atomic_noreplace=self.store.conditional_create
            and "If-None-Match" not in self.store.complete_refused,
            hard_links=False,
            folder_sync=False,
            symlinks=False,
            mtimes=False,
            max_name_bytes=MAX_KEY_BYTES,
            stores_digests=self.store.settings.metadata_digests,
            exact_names=True,  # S3 keys are case-sensitive
        )

    def key(self, path: Path | str) -> str:
        """The key of *path*. Raises OSError (EILSEQ) for a name S3 cannot hold: keys are
        UTF-8, and a name that is not (bytes kept by surrogateescape) fails that file only."""
        relative = PurePosixPath(path).relative_to(self._root).as_posix()
        key = self.store.url.key("" if relative == "." else relative)
        try:
            key.encode("utf-8")
        except UnicodeEncodeError:
            raise OSError(
                errno.EILSEQ,
                f"{printable_name(display_path(path))} is not valid UTF-8, which S3 keys must be",
            ) from None
        return key

    def _path(self, key: str) -> Path:
        return self._root / self.store.url.relative(key)

    def check_present(self) -> None:
        """Nothing cheap tells an object store is gone: the next request does (ENOTCONN
        after the retries, which loses the destination). Raises the DestinationError of a
        destination lost before the copy (``lose``): no request."""
        lost = self.lost
        if lost is not None:
            # A new one each time: two threads may raise it.
            raise DestinationError(lost.message, path=lost.path, errno_=lost.errno)

    def lose(self, error: DestinationError) -> None:
        """Lose this destination before its first file, for *error* (its words say why and
        what to do): the run found, as it took its copy root's lock, that no file can be
        copied here (``s3card.lock_copy_roots``). The engine's first file here asks
        ``check_present``, which raises it: the destination is lost once, its files fail
        without a request, the other destinations go on."""
        self.lost = error

    def exists(self, path: Path | str) -> bool:
        """From one listing a folder (not a HEAD a file: thousands of files would cost
        thousands of round trips), plus what this run published since. A key created by
        someone else after the listing is still refused when its upload completes
        (If-None-Match, or the HEAD of the fallback). A folder of objects at the key counts
        as there: the card's plan refuses a file at one (``s3card.type_conflicts``), and one
        made since is better refused than written beside."""
        key = self.key(path)
        with self._lock:
            if key in self._sealed:
                return False  # our own upload, waiting for its publish
            if key in self._published or key in self._taken:
                return True
        return key.rpartition("/")[2] in self._listing(key, path)[0]

    def listed_as(self, path: Path | str) -> tuple[bool, bool]:
        """What the one listing of *path*'s folder (shared with ``exists`` and ``listed``)
        shows at its key: (an object has that key, objects lie below it as a folder). Both
        can be true in a bucket (another tool's ``CLIPS`` beside ``CLIPS/x.mov``), never on
        a disk. Raises OSError where the folder cannot be listed."""
        key = self.key(path)
        name = key.rpartition("/")[2]
        _, objects, folders = self._listing(key, path)
        return name in objects, name in folders

    def listed(self, path: Path | str) -> EntryInfo | None:
        """The object under *path*'s key as the one listing of its folder showed it (shared
        with ``exists``; its size is the listing's, so no HEAD a key), or None: no object
        has that key (a common prefix of that name is no object: an upload beside it takes
        nothing's place). The planner's look at what is already where a copy goes."""
        key = self.key(path)
        return self._listing(key, path)[1].get(key.rpartition("/")[2])

    def _listing(
        self, key: str, path: Path | str
    ) -> tuple[set[str], dict[str, EntryInfo], set[str]]:
        """The names in the folder of *key* (objects and common prefixes), its objects by
        name, and its common prefixes' names, from one listing of that folder, made on the
        first call."""
        folder = key.rpartition("/")[0]
        with self._lock:
            found = self._listed.get(folder)
        if found is None:
            entries = self.list(Path(path).parent)
            found = (
                {entry.name for entry in entries},
                {entry.name: entry for entry in entries if entry.kind == "file"},
                {entry.name for entry in entries if entry.kind == "folder"},
            )
            with self._lock:
                self._listed[folder] = found
        return found

    def _is_folder(self, key: str) -> bool:
        return any(True for _ in self._first(key + "/"))

    def _first(self, prefix: str) -> Iterable[object]:
        try:
            answer = self.store.client.list_objects_v2(
                Bucket=self.store.url.bucket, Prefix=prefix, MaxKeys=1
            )
        except Exception as exc:
            raise self.store._error(exc, "cannot list", prefix) from exc
        found = answer.get("Contents", [])
        for item in found:
            if not item["Key"].startswith(prefix):
                raise self.store.foreign_listing(prefix, item["Key"])
        return found

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
        """Start the upload. With the overwrite policy and an object already under the key,
        the upload is *staged* (``S3Destination.promote``): the object stays until its
        replacement is verified. *digests* (known before the bytes: a cascade's, the card's
        ASC MHL's) go into the object's metadata, and so do the digests *hashed* resolves with
        (a direct copy: ``S3Upload`` waits for them before its PutObject, or copies its
        completed multipart object onto itself with them); so does *mtime_ns*, the source's
        modification time, as rclone stores it (``s3.mtime_metadata``)."""
        final_path = Path(final_path)
        key = self.key(final_path)
        if self._existing is ExistingFilePolicy.KEEP_BOTH:
            key, taken = self.store.free_key(key, self._card_keys)
            # Another writer may have stored these after the plan's listing.
            if taken:
                with self._lock:
                    self._taken.update(taken)
        replace = self._existing is ExistingFilePolicy.OVERWRITE
        upload = self.store.open_upload(
            key,
            size_bytes,
            replace=replace,
            digests=digests,
            hashed=hashed if self.store.settings.metadata_digests else None,
            staged=replace and self.exists(final_path),
            mtime_ns=mtime_ns,
        )
        return S3Partial(final_path, self._path(upload.key), upload, self._sealed)

    def reserve_names(self, paths: Iterable[str]) -> None:
        """The final names the card's files take here (the job's, before any upload): none
        is a free key for keep-both. A name S3 cannot hold is left out (its file fails on
        its own)."""
        keys: set[str] = set()
        for path in paths:
            try:
                keys.add(self.key(path))
            except OSError:
                continue
        self._card_keys = frozenset(keys)

    def known_etag(self, path: Path) -> str:
        """The ETag of the object under *path*'s key as this run proved it, for its ledger
        entry: completed by a direct upload (sealed, or published: the engine records a
        file after its publish), or read back whole by ``hash_copy``; "" if neither (a
        staged upload: its copy over the final key makes another object). Raises OSError
        for a name S3 cannot hold."""
        key = self.key(path)
        with self._lock:
            partial = self._sealed.get(key)
            read = self._read_etags.get(key, "")
        if partial is None:
            return read
        if partial.upload.staged or not partial.upload.etag:
            return ""
        return partial.upload.etag

    def replacement_etag(self, path: Path) -> str:
        """The ETag of the copy a replacement (a staged upload) put under *path*'s key in
        this run, for its ledger entry, as its confirmation (``promote``) showed it: read
        back whole and matched (``destination`` and ``full`` modes), or its HEAD's ETag and
        size (``transfer``: what a direct upload's entry claims, its entry transfer-checked
        only); "" where no replacement was published there. Raises OSError for a name S3
        cannot hold."""
        return self._replaced_etags.get(self.key(path), "")

    def make_durable(self, partials: Sequence[Partial]) -> bool:
        return False  # each upload completes in its own seal

    def prefetch_read_back(self, partial: Partial) -> CacheBypass | None:
        """Queue the object for fetching ahead, several at once (``_ReadAhead``; the engine
        asks for a batch's small files). None: no cache is involved either way."""
        own = _own(partial)
        if own.upload.completed and not own.upload.staged:
            self._ahead.prefetch(own)
        return None

    def open_read_back(self, partial: Partial, *, bypass_cache: bool) -> ReadBack:
        """A streamed GET of the object the upload completed (If-Match on its ETag: not
        whatever replaced it since), or its fetch ahead (``prefetch_read_back``). A staged
        upload's read-back is fingerprinted too, for ``publish`` to confirm the copy it
        makes."""
        own = _own(partial)
        fetched = self._ahead.open(own)
        if fetched is not None:
            return fetched
        upload = own.upload
        return _ReadBack(
            S3ReadBack(self.store, upload.key, etag=upload.etag, fingerprint=upload.staged),
            own,
        )

    def publish(
        self,
        partial: Partial,
        target: Path | str,
        *,
        replace: bool,
        digests: Mapping[str, str] | None = None,
    ) -> None:
        """A direct upload: nothing left to do (its key was taken at ``seal``). A staged
        one (a replacement, verified at its staging key): ``S3Destination.promote`` copies
        it over the final key (with *digests* in its metadata), confirms the copy (read back
        and compared with the staging object's read-back, when there was one) and deletes
        the staging object. Raises OSError; the final key is then as it was, or (a copy that
        did not confirm, deleted): on a bucket without versions, nothing; on one that keeps
        versions, the object the copy replaced, current again (the copy deleted by its
        version id). A copy whose delete failed may still be there (named in
        ``left_behind``), and another writer's object stored since is left as it is."""
        own = _own(partial)
        upload = own.upload
        self._ahead.done(own)
        with self._lock:
            self._sealed.pop(upload.key, None)
        if self.key(target) != upload.final_key or not upload.completed:
            raise FileExistsError(
                errno.EEXIST,
                f"{display_path(target)} cannot be published: the object was stored as "
                f"{self.store.display(upload.final_key)}",
                str(target),
            )
        etag = upload.etag
        if upload.staged:
            etag = self.store.promote(upload, digests=digests, fingerprint=own.fingerprint)
        own.published = True
        with self._lock:
            self._published.add(upload.final_key)
            # For its ledger entry, written after the publish (``known_etag``): a direct
            # upload's ETag; a replacement's copy is another object, whose ETag no read of
            # this run proved (nor may an earlier read of the object it replaced stand in).
            if upload.staged or not upload.etag:
                self._read_etags.pop(upload.final_key, None)
            else:
                self._read_etags[upload.final_key] = upload.etag
            if upload.staged and etag:
                # ... but the copy's confirmation showed its ETag (``promote``): with a
                # read-back (destination, full) it read the copy back whole, pinned to that
                # ETag, and found the bytes the staging object's read-back compared with the
                # source; in transfer mode its HEAD showed that ETag and the upload's size,
                # a copy made server-side from the transfer-checked staging object pinned to
                # its ETag: what a direct upload's entry claims (``replacement_etag``).
                self._replaced_etags[upload.final_key] = etag

    def make_names_durable(self, paths: Iterable[Path | str]) -> None:
        """A completed upload is durable with its name: nothing to do."""

    def remove_partial(self, partial: Partial) -> None:
        own = _own(partial)
        self._ahead.done(own)
        with self._lock:
            self._sealed.pop(own.upload.key, None)
        if not own.published:
            own.upload.discard()

    def stat(self, path: Path) -> EntryInfo | None:
        """What is at *path*'s key now: an object ("file"), objects below it ("folder"), or
        None. Our own direct upload waiting for its publish is not there yet (as for
        ``exists``; on a disk it would still be a partial under another name): the
        committer, asking what a publish replaces, must not take it for what it replaces.
        Raises OSError."""
        key = self.key(path)
        with self._lock:
            if key in self._sealed:
                return None
        info = self.store.stat_key(key)
        if info is not None:
            return EntryInfo(path.name, "file", info.size_bytes, info.mtime_ns)
        if self._is_folder(key):
            return EntryInfo(path.name, "folder", 0, 0)
        return None

    def keys_below(self, folder: Path) -> list[str]:
        """The key of every object below *folder*, at any depth, relative to it (one
        listing without a delimiter: a request a thousand keys, whatever the folders).
        Raises OSError (a key outside the prefix asked for: EPROTO, never a name cut from
        it)."""
        prefix = f"{self.key(folder)}/"
        with self._lock:
            kept = self._below.pop(prefix, None)
        if kept is not None:  # listed by ``objects_below`` in this plan: not asked again
            return [info.key[len(prefix) :] for info in kept]
        found: list[str] = []
        paginator = self.store.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.store.url.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if not item["Key"].startswith(prefix):
                        raise self.store.foreign_listing(prefix, item["Key"])
                    found.append(item["Key"][len(prefix) :])
        except Exception as exc:
            error = self.store._error(exc, "cannot list", prefix)
            if error is exc:
                raise
            raise error from exc
        return found

    def objects_below(self, folder: Path) -> list[ObjectInfo]:
        """Every object below *folder*, at any depth, with its full key, size and
        LastModified (no metadata), from one listing without a delimiter (a request a
        thousand keys); kept for the next ``keys_below`` of *folder*, which then asks
        nothing (the card-folder check lists a copy root the type check lists next). Raises
        OSError (as ``keys_below``)."""
        prefix = f"{self.key(folder)}/"
        found = list(self.store.list_keys(prefix))
        with self._lock:
            self._below[prefix] = found
        return found

    def list(self, folder: Path) -> list[EntryInfo]:
        key = self.key(folder)
        prefix = f"{key}/" if key else ""
        found: list[EntryInfo] = []
        paginator = self.store.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(
                Bucket=self.store.url.bucket, Prefix=prefix, Delimiter="/"
            ):
                for item in page.get("Contents", []):
                    # Never a name cut from a key outside the prefix (fake-s3 lists
                    # "/prefix/..."): it would hide what is there, then written over.
                    if not item["Key"].startswith(prefix):
                        raise self.store.foreign_listing(prefix, item["Key"])
                    name = item["Key"][len(prefix) :]
                    modified = item.get("LastModified")
                    mtime = int(modified.timestamp() * 1e9) if modified else 0
                    etag = str(item.get("ETag", ""))
                    found.append(EntryInfo(name, "file", int(item.get("Size", 0)), mtime, etag))
                for common in page.get("CommonPrefixes", []):
                    below = common.get("Prefix", "")
                    if not below.startswith(prefix):
                        raise self.store.foreign_listing(prefix, below)
                    found.append(EntryInfo(below[len(prefix) :].rstrip("/"), "folder", 0, 0))
        except Exception as exc:
            error = self.store._error(exc, "cannot list", prefix)
            if error is exc:  # ours (``foreign_listing``) as it is
                raise
            raise error from exc
        return sorted(found, key=lambda entry: entry.name)

    def free_space(self) -> int:
        """Object stores have no free space to ask for (a quota answers ENOSPC when hit)."""
        return sys.maxsize

    def name_problem(self, name: str) -> str | None:
        if not name or name in (".", "..") or "/" in name or "\0" in name:
            return f"{name!r} is not a file name"
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            return f"'{printable_name(name)}' is not valid UTF-8, which S3 keys must be"
        if key_bytes(name) > MAX_KEY_BYTES:
            return f"{name!r} is longer than S3's {MAX_KEY_BYTES}-byte keys"
        return None

    @property
    def parallel_reads(self) -> int:
        """Copies ``existing`` reads at once through ``hash_copy`` (a GET each, as many as
        the parts an upload keeps in flight)."""
        return max(1, self.store.settings.parallel_parts)

    def hash_copy(self, path: Path, formats: Sequence[str]) -> dict[str, str]:
        """Stream the object of *path* (a copy already there) and hash it: the read-back
        of ``existing.CopyReader``; its ETag is noted for the ledger (``known_etag``).
        Raises OSError."""
        key = self.key(path)
        digests, size = self.store.read_back(
            key, formats, etags=self._read_etags, metadata=self._read_metadata
        )
        metadata = self._read_metadata.get(key)
        if metadata is not None and _lacks_digests(metadata, digests):
            self._read_sizes[key] = size
        else:  # nothing for ``complete_adopted`` to do: not kept
            self._read_metadata.pop(key, None)
            self._read_sizes.pop(key, None)
        return digests

    def complete_adopted(self, path: Path, digests: Mapping[str, str]) -> None:
        """Give an object of ours that ``hash_copy`` read and the run adopts (found equal to
        the card) the digests its metadata lacks: a run stopped between a multipart
        upload's completion and its digests' copy (SIGKILL, a power cut) left it with
        ``offload-upload`` and ``mtime`` alone, which every object this destination writes
        holds with its digests (docs/s3.md, "Digests"). The object is copied onto itself
        with *digests* in its metadata, as the upload's digests step does, pinned to the
        ETag read (``copy_object``: never over an object stored since), then read back whole
        again and compared with *digests*: what the ledger then records (its ETag,
        ``known_etag``) is the copy, read. On a bucket that keeps versions the object it
        was stays as a noncurrent version (an earlier run's: never deleted), noted in
        ``store.adopted_copies`` for the report's notes. Nothing is done for another
        writer's object (no ``offload-upload``: proven as it is, never rewritten), one that
        holds the digests already, or with ``metadata_digests`` off. Raises OSError: the
        copy refused or failed, the object changed (EBADMSG), the copy read back unlike
        *digests* (EBADMSG), a cancel (ECANCELED)."""
        if not self.store.settings.metadata_digests or not digests:
            return
        key = self.key(path)
        metadata = self._read_metadata.pop(key, None)
        etag = self._read_etags.get(key, "")
        size = self._read_sizes.pop(key, None)
        if metadata is None or not etag or size is None or not _lacks_digests(metadata, digests):
            return
        # Its own metadata kept (the run token, the card file's time), digests given anew.
        kept = {
            name: value
            for name, value in metadata.items()
            if name == MARKER_KEY or not name.startswith(DIGEST_PREFIX)
        }
        failure = "cannot store the digests in the metadata of"
        # S3 changes no object's metadata in place: a copy onto itself is a new object,
        # and on a bucket that keeps versions the one copied stays, noncurrent. That one is
        # an earlier run's, not this run's, and so never deleted (only versions this run
        # made are): the report's notes name it (``s3card.adopted_versions_notes``).
        _etag, version = self.store.copy_object(
            key,
            etag,
            size,
            key,
            {**kept, **digest_metadata(digests)},
            failure=failure,
            changed="the object changed before its digests were stored",
        )
        self.store.note_adopted_copy(key, version)
        read, read_size = self.store.read_back(key, sorted(digests), etags=self._read_etags)
        if read_size != size or any(read.get(name) != value for name, value in digests.items()):
            raise OSError(
                errno.EBADMSG,
                f"{failure} {self.store.display(key)}: read back after the copy onto itself, "
                "it differs from the copy found equal to the card",
            )

    def unreadable(self, exc: OSError, path: Path) -> str | None:
        """``existing.CopyReader.unreadable``: a GET refused (access denied, an archived
        object) or a service that kept failing leaves the object unread, not wrong; what to
        do is to run the copy again once it can be read (``s3.get_refused``); an archived
        object's restore command names it and the run's service (``s3commands``)."""
        again = "run the same command again"
        words = get_refused(exc, again=again, then=again)
        if words is None or s3commands.RESTORE_HINT not in words:
            return words
        try:
            key = self.key(path)
        except (OSError, ValueError):
            return words  # no key to name: the hint as it is
        return s3commands.restore_named(words, self.store, key)

    def with_policy(self, existing: ExistingFilePolicy) -> S3Backend:
        """This destination with another existing-file policy (the re-copy of copies of ours
        found wrong runs with OVERWRITE); shares the store, and what was uploaded and read
        back (for the ledger's ETags): ``close`` this one only."""
        other = S3Backend(self.store, existing=existing)
        other._sealed = self._sealed
        other._read_etags = self._read_etags
        other._replaced_etags = self._replaced_etags
        return other

    def close(self) -> None:
        """Stop the store's executors and close its clients (``S3Destination.close``);
        idempotent. A backend ``with_policy`` made shares the store: close one of them."""
        self.store.close()


def _own(partial: Partial) -> S3Partial:
    if not isinstance(partial, S3Partial):
        raise TypeError(f"not a partial of an S3 destination: {partial!r}")
    return partial


def _lacks_digests(metadata: Mapping[str, str], digests: Mapping[str, str]) -> bool:
    """*metadata* is an object of ours (``MARKER_KEY``) whose digests are not all *digests*
    (``S3Backend.complete_adopted`` gives them)."""
    if MARKER_KEY not in metadata:
        return False
    held = digests_of(metadata)
    return any(held.get(name) != value for name, value in digests.items())
