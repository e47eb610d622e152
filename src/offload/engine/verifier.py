"""Read a file back from the media and hash it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from offload.engine.cancel import CancelToken
from offload.errors import CancelledError
from offload.fs.direct import AlignedBuffer, open_for_reading, read_at
from offload.fs.ops import cached_pages, drop_cache
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
