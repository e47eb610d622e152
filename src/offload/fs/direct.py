"""Reading from the media, not the page cache: O_DIRECT with page-aligned buffers.

O_DIRECT needs an aligned buffer (we use anonymous ``mmap``, page-aligned), aligned offsets
and aligned lengths; a read at the end of a file may return fewer bytes. Filesystems that
refuse O_DIRECT (some FUSE, older tmpfs) answer EINVAL at open or at the first read: callers
then fall back to buffered reads and say so in their result.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
from pathlib import Path

PAGE_SIZE = mmap.PAGESIZE
O_DIRECT = getattr(os, "O_DIRECT", 0)  # 0 where the platform has none


# Private anonymous memory: ``mmap.mmap(-1, n)`` alone is shared anonymous memory (shmem),
# whose pages cost more to fault in (docs/performance.md, "Fixed cost: fifteenth pass").
_PRIVATE = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)


class AlignedBuffer:
    """A page-aligned, reusable buffer (private anonymous mmap). Not thread-safe; one owner
    at a time.

    Private, not shared: a fresh buffer's pages are first touched by the read that fills
    them, one page fault per 4 KiB page (the small files' pool: ~4,900 on a 200-file card),
    and a shared mapping's (shmem) fault cost ~40 % more (48 MiB touched: ~42 ms against
    ~30 ms here; the reader's CPU on that card ~39 ms against ~31 ms). Huge pages
    (``MADV_HUGEPAGE``) were tried: as often slower as faster on this VM."""

    def __init__(self, size: int) -> None:
        self.size = -(-size // PAGE_SIZE) * PAGE_SIZE
        if _PRIVATE:
            self._map = mmap.mmap(-1, self.size, flags=_PRIVATE)
        else:  # pragma: no cover - a platform without MAP_PRIVATE/MAP_ANONYMOUS (Windows)
            self._map = mmap.mmap(-1, self.size)
        self.view = memoryview(self._map)

    def close(self) -> None:
        self.view.release()
        self._map.close()


def open_for_reading(path: Path | str, *, direct: bool) -> tuple[int, bool]:
    """Open a file read-only, with O_DIRECT when asked and the filesystem allows it.

    Returns ``(fd, direct_in_effect)``. Raises OSError from ``open`` (other than the EINVAL of
    a filesystem refusing O_DIRECT, which falls back to a buffered open).
    """
    flags = os.O_RDONLY | os.O_CLOEXEC
    if direct and O_DIRECT:
        try:
            return os.open(path, flags | O_DIRECT), True
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
    return os.open(path, flags), False


def disable_direct(fd: int) -> None:
    """Turn O_DIRECT off on an open descriptor (for a filesystem that rejects direct reads)."""
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~O_DIRECT)


_FAILED_READ = "offload_failed_read"


def failed_read(exc: OSError) -> tuple[int, int] | None:
    """The bytes ``[start, stop)`` of the file whose read *exc* ended (raised by
    :func:`read_at`): every byte before ``start`` was read; the error is at ``start`` or
    after it, below ``stop``: a read request fails whole, so no exact byte is known. None
    for another error."""
    found = getattr(exc, _FAILED_READ, None)
    return found if isinstance(found, tuple) else None


def failed_read_words(exc: OSError, offset: int, size: int | None = None) -> str:
    """What failed, for ``errors.source_io_error`` ("cannot ... source PATH"): the bytes of
    the read request that failed (all before it were read), never one byte as if the error
    were known to be there. *offset*: where the caller's read began (an error not from
    :func:`read_at`); *size*: the file's, if known (a request may reach past its end)."""
    span = failed_read(exc)
    if span is None:
        return f"read from byte {offset:,} of"
    start, stop = span[0], span[1] if size is None else min(span[1], size)
    if stop <= start + 1:
        return f"read byte {start:,} of" if stop == start + 1 else f"read from byte {start:,} of"
    return f"read bytes {start:,}–{stop - 1:,} (one read request) of"


def read_at(
    fd: int, buffer: memoryview, offset: int, *, direct: bool, limit: int | None = None
) -> tuple[int, bool]:
    """Fill *buffer* (its first *limit* bytes, if given) from *offset* as far as the file
    allows; returns ``(nbytes, direct)``.

    Loops over short reads (a FUSE filesystem or a signal may return fewer bytes); stops at
    end of file, or once *limit* bytes are read (a caller that knows the file's size saves
    the read that would find its end). If a direct read is refused with EINVAL, retries
    buffered and returns ``direct=False`` so the caller can record that the cache was not
    bypassed. Raises OSError. No slice of *buffer* outlives the call (a buffer whose slice
    is still referenced, by a traceback say, cannot be unmapped). An OSError carries the
    bytes of the request that failed (:func:`failed_read`).
    """
    total = 0
    end = len(buffer) if limit is None else min(limit, len(buffer))
    while total < end:
        try:
            n = os.preadv(fd, [buffer[total:end]], offset + total)
        except OSError as exc:
            if not (direct and exc.errno == errno.EINVAL):
                # Where it failed, as far as known: somewhere in this request (the bytes
                # before it were read), not at its first byte (``failed_read``).
                setattr(exc, _FAILED_READ, (offset + total, offset + end))
                raise
            disable_direct(fd)
            direct = False
            continue
        if n == 0:
            break
        total += n
        if direct and n % PAGE_SIZE:
            break  # a direct read shorter than a page multiple is end of file
    return total, direct
