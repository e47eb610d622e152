"""Hash a file as read back from its media (a destination's read-back, the source re-read,
``offload verify``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from offload.destinations.base import ReadBack
from offload.engine.cancel import CancelToken
from offload.errors import CancelledError
from offload.fs.below import CachesBelow
from offload.fs.direct import PAGE_SIZE, AlignedBuffer
from offload.fs.media import MediaReader
from offload.hashing.multihasher import MultiHasher
from offload.hashing.registry import new_hasher
from offload.results import CacheBypass


def read_span(buffer_size: int, expected_size: int | None, offset: int) -> int:
    """How many bytes a read at *offset* asks for: the whole buffer, or, for a file expected
    to end inside it, just past that end, rounded up to a page (what O_DIRECT needs).

    Why: a direct read past the end of a file makes ext4 (iomap) zero the rest of the
    buffer in the kernel, ``iov_iter_zero``: 8 MiB for every 100 KB file read back or
    re-read, 15 % of a full-mode run's CPU on a card of small files (docs/performance.md,
    "The small-file card: seventh pass"). One byte past the expected end is asked for, so a
    file of the expected size still ends in a short read (no second read to find its end),
    and a longer one fills the span and is read on, as any file longer than the buffer is.
    """
    if expected_size is None:
        return buffer_size
    rest = expected_size - offset + 1
    if rest <= 0:
        return buffer_size
    return min(buffer_size, -(-rest // PAGE_SIZE) * PAGE_SIZE)


def read_chunks(
    media: ReadBack,
    buffer: AlignedBuffer,
    expected_size: int | None,
    *,
    cancel: CancelToken | None = None,
) -> Iterator[memoryview]:
    """Each read of *media* from its start, as a view of *buffer* holding what it read: valid
    only until the next is asked for (the buffer is refilled; the view is released then, so
    a reference the consumer keeps, a traceback's frame among them, keeps no export of the
    buffer's mapping, which could then not be closed). No read asks for much more than
    *expected_size* (``read_span``); a file of another size is still read whole. Raises
    OSError, CancelledError (checked before each read when *cancel* is given)."""
    offset = 0
    view = buffer.view
    size = buffer.size
    while True:
        if cancel is not None and cancel.cancelled:
            raise CancelledError("cancelled")
        span = read_span(size, expected_size, offset)
        if span < size:
            part = view[:span]
            try:
                n = media.read_into(part, offset)
            finally:
                # A traceback that keeps the read's frames (a lost destination's error)
                # must not keep the buffer's mapping exported (it could not be closed).
                part.release()
        else:
            n = media.read_into(view, offset)
        if n == 0:
            return
        piece = view[:n]
        try:
            yield piece
        finally:
            piece.release()
        offset += n
        if n < span:
            return


def hash_read_back(
    media: ReadBack,
    algorithm: str,
    buffer: AlignedBuffer,
    *,
    cancel: CancelToken,
    on_bytes: Callable[[int], None] | None = None,
    expected_size: int | None = None,
) -> tuple[str, int, CacheBypass]:
    """Hash everything *media* reads, then close it; returns ``(hexdigest, size_read,
    how_the_cache_was_avoided)``. *expected_size*: the size the file should have (the
    source's), so that no read asks for much more than is there (``read_span``); a file of
    another size is still read whole and its size returned. Raises OSError,
    CancelledError. The buffer is used by one caller at a time.
    """
    try:
        hasher = new_hasher(algorithm)
        offset = 0
        for chunk in read_chunks(media, buffer, expected_size, cancel=cancel):
            hasher.update(chunk)
            offset += len(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))
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
    device cache dropped once, not once per hasher). *cancel*: a job's token, looked at
    before each read (a cancelled ``--reverify`` does not read a 4 GB copy to its end and
    call it matched). Raises OSError from the reads and from the file's close,
    CancelledError once *cancel* is set; ``bypassed`` and ``through_cache`` count only the
    files hashed whole and closed (a file whose close failed counts neither way).
    """

    def __init__(
        self,
        *,
        chunk_size: int = 8 * 1024 * 1024,
        below: CachesBelow | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self._buffer = AlignedBuffer(chunk_size)
        self._below = below if below is not None else CachesBelow()
        self._cancel = cancel
        # Files read from the media (O_DIRECT or an emptied cache, and any cache below the
        # filesystem dropped), and files read through a cache (NONE: the page cache, for a
        # reason of report.words.PAGE_CACHE_CAUSES; SERVER: a network share's server).
        self.bypassed = 0
        self.through_cache = 0
        self.last_bypass = CacheBypass.NOT_READ  # how the last file's read avoided the cache

    def __call__(
        self,
        path: Path,
        formats: Sequence[str],
        on_read: Callable[[int], None] | None = None,
    ) -> dict[str, str]:
        """The digests of *path* as stored; *on_read* gets the bytes of each read as it is
        made (a progress bar that moves through a large file, not once at its end)."""
        try:
            # So that no read asks for much more than the file holds (``read_span``: a
            # direct read past the end zeroes the rest of the 8 MiB buffer in the kernel).
            expected: int | None = os.stat(path).st_size
        except OSError:
            expected = None  # the open below says why
        media = MediaReader(path, direct=True, evict=True, below=self._below.of(path))
        try:
            with MultiHasher(formats) as hasher:
                for chunk in read_chunks(media, self._buffer, expected, cancel=self._cancel):
                    # Threaded hashers must finish before the buffer is refilled.
                    hasher.update(chunk)
                    if hasher.threaded_count:
                        hasher.drain()
                    if on_read is not None:
                        on_read(len(chunk))
                digests = hasher.hexdigests()
        finally:
            media.close()
        # Counted once the close succeeded: a close that fails (a share's FUSE flush: EIO)
        # raises, and a file the caller then calls unreadable was read no way at all.
        # Read after the last read: a filesystem may refuse direct reads late.
        self.last_bypass = media.cache_bypass
        if media.cache_bypass.through_cache:
            self.through_cache += 1
        else:
            self.bypassed += 1
        return digests

    def close(self) -> None:
        self._buffer.close()
