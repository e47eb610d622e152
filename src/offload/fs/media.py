"""Reading a file as stored on its media, not as the page cache remembers it.

``MediaReader`` reads with O_DIRECT where asked and the filesystem allows it; otherwise it
drops the file's clean pages (``POSIX_FADV_DONTNEED``; the file must have been synced, or
dirty pages stay) and checks with ``mincore`` that nothing is cached any more. Either way it
says honestly how the cache was avoided (``cache_bypass``), also when a filesystem refuses
direct reads only after the open. Given the cache below the file's filesystem
(``fs.below.CacheBelow``: a FUSE filesystem over a block device, a network share) it drops
that too, or says the read went through it. Used by the local destination's read-backs, the
source re-read, the copies already there and ``offload verify``.
"""

from __future__ import annotations

import os
from pathlib import Path

from offload.fs.below import NOTHING_BELOW, CacheBelow
from offload.fs.direct import open_for_reading, read_at
from offload.fs.ops import cached_pages, drop_cache
from offload.results import CacheBypass


class MediaReader:
    """One file open for reading from its media. One thread; ``close()`` always.

    ``direct``: try O_DIRECT. ``evict``: where the read is not direct, drop the cache and
    check it empty. Neither: a plain read through the cache (``cache_bypass`` NONE).
    *below*: the cache under the file's filesystem, dropped before the first read where it
    can be (``CacheBelow.bypass``; *written_at*: what ``below.written()`` returned once
    the file was last written or read, so that a drop since then is not repeated). Raises
    OSError from the open and the reads.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        direct: bool,
        evict: bool,
        below: CacheBelow = NOTHING_BELOW,
        written_at: int | None = None,
    ) -> None:
        self._evict = evict
        self._below = below
        self._written_at = written_at
        self._fd, self._direct = open_for_reading(path, direct=direct)
        self.cache_bypass = (
            below.bypass(CacheBypass.O_DIRECT, written_at) if self._direct else self._drop()
        )

    def _drop(self) -> CacheBypass:
        if not self._evict:
            return CacheBypass.NONE
        drop_cache(self._fd)
        emptied = cached_pages(self._fd, os.fstat(self._fd).st_size) == 0
        level = CacheBypass.FADVISE if emptied else CacheBypass.NONE
        return self._below.bypass(level, self._written_at)

    def read_into(self, buffer: memoryview, offset: int) -> int:
        n, still_direct = read_at(self._fd, buffer, offset, direct=self._direct)
        if self._direct and not still_direct:
            # The filesystem refused direct reads after the open: fall back honestly.
            self._direct = False
            self.cache_bypass = self._drop()
        return n

    def close(self) -> None:
        os.close(self._fd)


def evict_and_prefetch(path: Path | str, below: CacheBelow = NOTHING_BELOW) -> CacheBypass:
    """Drop a flushed file from the page cache (and the cache *below* its filesystem, where
    it can), then ask the kernel to read it back from the media in the background
    (POSIX_FADV_WILLNEED); returns how the read will have avoided the caches: FADVISE when
    the file's cache was really empty in between (``mincore``), else NONE, or what the cache
    below makes of it (``CacheBelow.bypass``). Reading the file afterwards then costs no
    synchronous request per file: a batch of small files is read back with many requests in
    flight. Raises OSError.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        drop_cache(fd)
        emptied = cached_pages(fd, size) == 0
        how = below.bypass(CacheBypass.FADVISE if emptied else CacheBypass.NONE)
        os.posix_fadvise(fd, 0, size, os.POSIX_FADV_WILLNEED)
        return how
    finally:
        os.close(fd)
