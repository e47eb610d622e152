"""An in-memory destination backend for tests (not a product feature).

It proves the seam (``offload.destinations.base``): the engine runs against it exactly as
against the local filesystem, without root, mounts or disks. Fault switches make a
destination fail the way drives do:

* ``fail_write_after(n)``: the write that would take this destination past *n* bytes raises
  (EIO by default: the destination is lost; EFBIG: only that file fails);
* ``fail_publish(nth)``: the *nth* publish (1-based) raises (EIO by default); with
  ``lose=True`` the destination is gone from then on;
* ``lose()``: every call from now on raises ENOTCONN (``check_present``: DestinationError),
  like a network share that went away;
* ``corrupt_reads(times)``: the next *times* read-backs see one byte flipped (a flaky read
  path; the stored data stays good);
* ``keep_views()``: every partial keeps the views it was given to write (a backend that
  queues uploads without copying them: a bug the engine's buffer pool must survive).

Files live in ``files`` (path → bytes, partials included); ``folders`` holds the folders.
Thread-safe: one lock around every method.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path

from offload.destinations.base import Closing, EntryInfo, Features, Partial, ReadBack
from offload.destinations.naming import name_problem, partial_name
from offload.errors import DestinationError
from offload.results import CacheBypass

# What memory can promise: a batch is durable as soon as it is written; nothing stands
# between a read and the "media", so no read-back can claim to have bypassed a cache.
MEMORY_FEATURES = Features(
    durable_batch=True,
    atomic_noreplace=True,
    symlinks=False,
    mtimes=True,
    max_name_bytes=255,
)


class MemoryPartial:
    bytes_resumed = 0

    def __init__(self, owner: MemoryDestination, final_path: Path) -> None:
        self._owner = owner
        self.final_path = final_path
        self.partial_name = partial_name(final_path.name)
        self.partial_path = final_path.with_name(self.partial_name)
        self.bytes_written = 0
        self.created_dirs: list[Path] = []
        self.sealed = False
        self.published = False

    def write(self, data: memoryview) -> None:
        self._owner._write(self, bytes(data))
        if self._owner.kept_views is not None:
            self._owner.kept_views.append(data)

    def set_mtime(self, mtime_ns: int) -> None:
        with self._owner._lock:
            self._owner._check()
            self._owner.mtimes[self.partial_path] = mtime_ns

    def seal(self, *, sync: bool) -> int:
        with self._owner._lock:
            self._owner._check()
            self.sealed = True
            return len(self._owner.files[self.partial_path])


class _MemoryReadBack:
    cache_bypass = CacheBypass.NONE

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read_into(self, buffer: memoryview, offset: int) -> int:
        piece = self._data[offset : offset + len(buffer)]
        buffer[: len(piece)] = piece
        return len(piece)

    def close(self) -> None:
        pass


class MemoryDestination(Closing):
    """A destination kept in memory, with fault switches (see the module docstring)."""

    def __init__(
        self,
        root: Path,
        *,
        features: Features = MEMORY_FEATURES,
        capacity: int = 1 << 40,
    ) -> None:
        self.root = Path(root)
        self.features = features
        self._capacity = capacity
        self._lock = threading.Lock()
        self.files: dict[Path, bytearray] = {}
        self.mtimes: dict[Path, int] = {}
        self.folders: set[Path] = {self.root}
        self.publishes = 0
        self.written = 0
        self._lost = False
        self._write_limit: tuple[int, int] | None = None
        self._publish_fault: tuple[int, int, bool] | None = None
        self._corrupt_reads = 0
        self.kept_views: list[memoryview] | None = None
        self.reserved: list[frozenset[str]] = []  # each ``reserve_names`` call's names

    # -- fault switches -----------------------------------------------------------------

    def fail_write_after(self, nbytes: int, err: int = errno.EIO) -> None:
        self._write_limit = (nbytes, err)

    def fail_publish(self, nth: int, err: int = errno.EIO, *, lose: bool = False) -> None:
        self._publish_fault = (nth, err, lose)

    def lose(self) -> None:
        self._lost = True

    def corrupt_reads(self, times: int) -> None:
        self._corrupt_reads = times

    def keep_views(self) -> None:
        self.kept_views = []

    # -- what tests look at ---------------------------------------------------------------

    def read(self, path: Path) -> bytes:
        return bytes(self.files[path])

    def partials(self) -> list[Path]:
        return [p for p in self.files if p.name.startswith(".offload-partial.")]

    # -- the Destination protocol ---------------------------------------------------------

    def _check(self) -> None:
        if self._lost:
            raise OSError(errno.ENOTCONN, os.strerror(errno.ENOTCONN))

    def check_present(self) -> None:
        if self._lost:
            raise DestinationError(f"destination {self.root} is gone (lost)", path=self.root)

    def exists(self, path: Path | str) -> bool:
        path = Path(path)
        with self._lock:
            self._check()
            return path in self.files or path in self.folders

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
        final_path = Path(final_path)
        partial = MemoryPartial(self, final_path)
        with self._lock:
            self._check()
            missing = []
            folder = final_path.parent
            while folder not in self.folders:
                if folder in self.files:
                    raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(folder))
                missing.append(folder)
                folder = folder.parent
            self.folders.update(missing)
            partial.created_dirs = list(reversed(missing))
            if partial.partial_path in self.files:
                raise FileExistsError(errno.EEXIST, "exists", str(partial.partial_path))
            self.files[partial.partial_path] = bytearray()
        return partial

    def _write(self, partial: MemoryPartial, data: bytes) -> None:
        with self._lock:
            self._check()
            if self._write_limit is not None and self.written + len(data) > self._write_limit[0]:
                err = self._write_limit[1]
                raise OSError(err, os.strerror(err), str(partial.partial_path))
            if self.written + len(data) > self._capacity:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(partial.partial_path))
            self.files[partial.partial_path] += data
            self.written += len(data)
            partial.bytes_written += len(data)

    def make_durable(self, partials: Sequence[Partial]) -> bool:
        with self._lock:
            return not self._lost and self.features.durable_batch

    def prefetch_read_back(self, partial: Partial) -> CacheBypass | None:
        return None

    def open_read_back(self, partial: Partial, *, bypass_cache: bool) -> ReadBack:
        with self._lock:
            self._check()
            try:
                data = bytes(self.files[partial.partial_path])
            except KeyError:
                raise FileNotFoundError(
                    errno.ENOENT, "no such partial", str(partial.partial_path)
                ) from None
            if self._corrupt_reads > 0 and data:
                self._corrupt_reads -= 1
                data = bytes([data[0] ^ 0x01]) + data[1:]
            return _MemoryReadBack(data)

    def publish(
        self,
        partial: Partial,
        target: Path | str,
        *,
        replace: bool,
        digests: Mapping[str, str] | None = None,
    ) -> None:
        own = _own(partial)
        target = Path(target)
        with self._lock:
            self._check()
            self.publishes += 1
            if self._publish_fault is not None and self.publishes == self._publish_fault[0]:
                _nth, err, lose = self._publish_fault
                if lose:
                    self._lost = True
                raise OSError(err, os.strerror(err), str(own.partial_path), None, str(target))
            if not replace and (target in self.files or target in self.folders):
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
            self.files[target] = self.files.pop(own.partial_path)
            if own.partial_path in self.mtimes:
                self.mtimes[target] = self.mtimes.pop(own.partial_path)
            own.published = True

    def make_names_durable(self, paths: Iterable[Path | str]) -> None:
        with self._lock:
            self._check()

    def remove_partial(self, partial: Partial) -> None:
        own = _own(partial)
        with self._lock:
            if not own.published:
                self.files.pop(own.partial_path, None)
                self.mtimes.pop(own.partial_path, None)

    def stat(self, path: Path) -> EntryInfo | None:
        with self._lock:
            self._check()
            if path in self.folders:
                return EntryInfo(path.name, "folder", 0, 0)
            if path in self.files:
                return EntryInfo(path.name, "file", len(self.files[path]), self.mtimes.get(path, 0))
            return None

    def list(self, folder: Path) -> list[EntryInfo]:
        with self._lock:
            self._check()
            if folder not in self.folders:
                raise FileNotFoundError(errno.ENOENT, "no such folder", str(folder))
            names = [p for p in (*self.files, *self.folders) if p.parent == folder and p != folder]
        found = [self.stat(p) for p in names]
        return sorted((e for e in found if e is not None), key=lambda e: e.name)

    def free_space(self) -> int:
        with self._lock:
            self._check()
            return self._capacity - sum(len(data) for data in self.files.values())

    def name_problem(self, name: str) -> str | None:
        return name_problem(name, self.features.max_name_bytes)

    def reserve_names(self, paths: Iterable[str]) -> None:
        # Its keep-both name is chosen at publish (the committer), as a disk's: nothing to
        # keep; each call is recorded for the tests that ask what the job handed it.
        with self._lock:
            self.reserved.append(frozenset(paths))


def _own(partial: Partial) -> MemoryPartial:
    if not isinstance(partial, MemoryPartial):
        raise TypeError(f"not a partial of a memory destination: {partial!r}")
    return partial
