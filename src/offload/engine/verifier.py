"""Read a file back from the media and hash it."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from offload.engine.cancel import CancelToken
from offload.errors import CancelledError
from offload.fs.direct import AlignedBuffer, open_for_reading, read_at
from offload.fs.ops import cached_pages, drop_cache
from offload.hashing.multihasher import MultiHasher
from offload.hashing.registry import new_hasher
from offload.results import CacheBypass


def read_back(
    path: Path,
    algorithm: str,
    buffer: AlignedBuffer,
    *,
    cancel: CancelToken,
    on_bytes: Callable[[int], None] | None = None,
    bypass_cache: bool = True,
) -> tuple[str, int, CacheBypass]:
    """Hash *path* as stored on its media; returns ``(hexdigest, size_read, how_bypassed)``.

    Uses O_DIRECT where the filesystem allows it; otherwise drops the file's pages with
    ``POSIX_FADV_DONTNEED`` (the file must have been fsynced, or dirty pages stay) and checks
    with ``mincore`` whether anything is still cached. ``bypass_cache=False`` reads through
    the cache (for a destination that was not flushed). Raises OSError, CancelledError.
    The buffer is used by one caller at a time.
    """
    fd, direct = open_for_reading(path, direct=bypass_cache)
    try:
        how = CacheBypass.O_DIRECT if direct else CacheBypass.NONE
        if bypass_cache and not direct:
            size = os.fstat(fd).st_size
            drop_cache(fd)
            how = CacheBypass.FADVISE if cached_pages(fd, size) == 0 else CacheBypass.NONE
        hasher = new_hasher(algorithm)
        offset = 0
        while True:
            if cancel.cancelled:
                raise CancelledError("cancelled")
            n, still_direct = read_at(fd, buffer.view, offset, direct=direct)
            if direct and not still_direct:
                # The filesystem refused direct reads after the open: fall back honestly.
                direct = False
                drop_cache(fd)
                cached = cached_pages(fd, os.fstat(fd).st_size)
                how = CacheBypass.FADVISE if cached == 0 else CacheBypass.NONE
            if n == 0:
                break
            hasher.update(buffer.view[:n])
            offset += n
            if on_bytes is not None:
                on_bytes(n)
            if n < buffer.size:
                break
        return hasher.hexdigest(), offset, how
    finally:
        os.close(fd)


def evict_and_prefetch(path: Path) -> bool:
    """Drop a flushed file from the page cache, then ask the kernel to read it back from the
    media in the background (POSIX_FADV_WILLNEED); returns whether the cache was really empty
    in between (``mincore``). Reading the file afterwards then costs no synchronous request
    per file: a batch of small files is read back with many requests in flight.
    Raises OSError.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        drop_cache(fd)
        emptied = cached_pages(fd, size) == 0
        os.posix_fadvise(fd, 0, size, os.POSIX_FADV_WILLNEED)
        return emptied
    finally:
        os.close(fd)


class MediaHasher:
    """Hashes whole files as stored on the media, several formats in one pass.

    A callable ``(path, formats) -> {format: digest}`` for ``offload verify``: O_DIRECT where
    the filesystem allows it, else the file's cached pages are dropped first. Owns one
    aligned buffer; use from one thread at a time; ``close()`` when done.
    Raises OSError from the reads.
    """

    def __init__(self, *, chunk_size: int = 8 * 1024 * 1024) -> None:
        self._buffer = AlignedBuffer(chunk_size)
        self.bypassed = 0  # files read with the cache bypassed (O_DIRECT or emptied cache)

    def __call__(self, path: Path, formats: Sequence[str]) -> dict[str, str]:
        fd, direct = open_for_reading(path, direct=True)
        try:
            if not direct:
                drop_cache(fd)
                if cached_pages(fd, os.fstat(fd).st_size) == 0:
                    self.bypassed += 1
            else:
                self.bypassed += 1
            with MultiHasher(formats) as hasher:
                offset = 0
                while True:
                    n, direct = read_at(fd, self._buffer.view, offset, direct=direct)
                    if n == 0:
                        break
                    # Threaded hashers must finish before the buffer is refilled.
                    hasher.update(self._buffer.view[:n])
                    if hasher.threaded_count:
                        hasher.drain()
                    offset += n
                    if n < self._buffer.size:
                        break
                return hasher.hexdigests()
        finally:
            os.close(fd)

    def close(self) -> None:
        self._buffer.close()
