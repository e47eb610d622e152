"""Hash a file as read back from its media (a destination's read-back, the source re-read,
``offload verify``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from offload.destinations.base import ReadBack
from offload.engine.cancel import CancelToken
from offload.errors import CancelledError
from offload.fs.below import CachesBelow
from offload.fs.direct import AlignedBuffer
from offload.fs.media import MediaReader
from offload.hashing.multihasher import MultiHasher
from offload.hashing.registry import new_hasher
from offload.results import CacheBypass


def hash_read_back(
    media: ReadBack,
    algorithm: str,
    buffer: AlignedBuffer,
    *,
    cancel: CancelToken,
    on_bytes: Callable[[int], None] | None = None,
) -> tuple[str, int, CacheBypass]:
    """Hash everything *media* reads, then close it; returns ``(hexdigest, size_read,
    how_the_cache_was_avoided)``. Raises OSError, CancelledError. The buffer is used by one
    caller at a time.
    """
    try:
        hasher = new_hasher(algorithm)
        offset = 0
        view = buffer.view
        while True:
            if cancel.cancelled:
                raise CancelledError("cancelled")
            n = media.read_into(view, offset)
            if n == 0:
                break
            hasher.update(view[:n])
            offset += n
            if on_bytes is not None:
                on_bytes(n)
            if n < buffer.size:
                break
        return hasher.hexdigest(), offset, media.cache_bypass
    finally:
        media.close()


class MediaHasher:
    """Hashes whole files as stored on the media, several formats in one pass.

    A callable ``(path, formats) -> {format: digest}`` for ``offload verify``: O_DIRECT where
    the filesystem allows it, else the file's cached pages are dropped first; the cache below
    the filesystem (``fs.below``: a FUSE filesystem's block device) dropped too, or the read
    recorded as through it. Owns one aligned buffer; use from one thread at a time;
    ``close()`` when done. *below*: shared by the hashers of one run (each filesystem's
    device cache dropped once, not once per hasher). Raises OSError from the reads.
    """

    def __init__(
        self, *, chunk_size: int = 8 * 1024 * 1024, below: CachesBelow | None = None
    ) -> None:
        self._buffer = AlignedBuffer(chunk_size)
        self._below = below if below is not None else CachesBelow()
        # Files read from the media (O_DIRECT or an emptied cache, and any cache below the
        # filesystem dropped), and files read through a cache (NONE: pages still cached, or a
        # device cache that could not be dropped; SERVER: a network share's server).
        self.bypassed = 0
        self.through_cache = 0
        self.last_bypass = CacheBypass.NOT_READ  # how the last file's read avoided the cache

    def __call__(self, path: Path, formats: Sequence[str]) -> dict[str, str]:
        media = MediaReader(path, direct=True, evict=True, below=self._below.of(path))
        try:
            with MultiHasher(formats) as hasher:
                offset = 0
                while True:
                    n = media.read_into(self._buffer.view, offset)
                    if n == 0:
                        break
                    # Threaded hashers must finish before the buffer is refilled.
                    hasher.update(self._buffer.view[:n])
                    if hasher.threaded_count:
                        hasher.drain()
                    offset += n
                    if n < self._buffer.size:
                        break
                digests = hasher.hexdigests()
            # Read after the last read: a filesystem may refuse direct reads late.
            self.last_bypass = media.cache_bypass
            if media.cache_bypass in (CacheBypass.NONE, CacheBypass.SERVER):
                self.through_cache += 1
            else:
                self.bypassed += 1
            return digests
        finally:
            media.close()

    def close(self) -> None:
        self._buffer.close()
