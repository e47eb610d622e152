"""One copy read again, whole, against the digests a ledger entry recorded of it: the answer
where a copy's size and date say nothing of its bytes (a copy damaged in place keeps both)
and only a read tells (``card._earlier_intact``: an earlier take's copy in the way;
``cascade._changed_since_verified``: a fast copy whose change time moved since it was
verified). Asked of one file at a time, only where something already looks changed."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from offload.hashing.registry import ALGORITHMS, comparable_digest, fastest

if TYPE_CHECKING:
    from offload.engine.cancel import CancelToken

#: The bytes of one read, as ``manifest.verify.hash_file_plain`` reads (4 MiB).
_CHUNK_BYTES = 4 << 20


def reads_as_recorded(
    path: Path | str,
    recorded: Mapping[str, str],
    on_read: Callable[[int], None] | None = None,
    cancel: CancelToken | None = None,
) -> bool:
    """Whether the file at *path*, read whole now (its page cache dropped first, best
    effort: the media's bytes), has the digest *recorded* holds in the fastest format this
    run can hash. Raises OSError (unreadable: the caller says so); no format to hash it in
    is False (never vouched for unproved). *on_read* gets the bytes of each read as it is
    made (``plan_reads.PlanReads``: planning's reads said as they go). *cancel*: a job's
    token, asked before each read and after the last (``errors.CancelledError``, never a
    verdict: a copy whose read a cancel cut short, or that ended as the cancel came, is
    compared with nothing)."""
    formats = [name for name in recorded if name in ALGORITHMS]
    if not formats:
        return False
    name = fastest(formats)
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    found = _digest(Path(path), name, on_read, cancel)
    return comparable_digest(name, found) == comparable_digest(name, recorded[name])


def _digest(
    path: Path,
    name: str,
    on_read: Callable[[int], None] | None,
    cancel: CancelToken | None,
) -> str:
    """*path*'s digest in format *name*, read with plain reads of ``_CHUNK_BYTES``, each
    told to *on_read*, *cancel* asked before each and after the last. Python code between
    two reads: a Ctrl-C's KeyboardInterrupt lands after the read under way, never at the
    file's end."""
    from offload.errors import CancelledError
    from offload.hashing import new_hasher  # asked rarely

    def stopped() -> bool:
        return cancel is not None and cancel.cancelled

    hasher = new_hasher(name)
    buffer = bytearray(_CHUNK_BYTES)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while not stopped() and (count := handle.readinto(buffer)):
            hasher.update(view[:count])
            if on_read is not None:
                on_read(count)
    if stopped():
        raise CancelledError("cancelled")
    return hasher.hexdigest()
