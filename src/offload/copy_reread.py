"""One copy read again, whole, against the digests a ledger entry recorded of it: the answer
where a copy's size and date say nothing of its bytes (a copy damaged in place keeps both)
and only a read tells (``card._earlier_intact``: an earlier take's copy in the way;
``cascade._changed_since_verified``: a fast copy whose change time moved since it was
verified). Asked of one file at a time, only where something already looks changed."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

from offload.hashing.registry import ALGORITHMS, comparable_digest, fastest


def reads_as_recorded(path: Path | str, recorded: Mapping[str, str]) -> bool:
    """Whether the file at *path*, read whole now (its page cache dropped first, best
    effort: the media's bytes), has the digest *recorded* holds in the fastest format this
    run can hash. Raises OSError (unreadable: the caller says so); no format to hash it in
    is False (never vouched for unproved)."""
    from offload.manifest.verify import hash_file_plain  # asked rarely

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
    found = hash_file_plain(Path(path), [name])[name]
    return comparable_digest(name, found) == comparable_digest(name, recorded[name])
