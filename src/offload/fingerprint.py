"""A card file's fingerprint: what a re-run reads of a card file before it trusts the ledger's
record of its copy (``ledger.LedgerEntry.fingerprint``; README, "Which file").

The fingerprint of a file of *n* bytes is the XXH3-128 digest (32 lowercase hex digits) of
its first ``SAMPLE`` bytes (64 KiB) followed by its last ``SAMPLE`` bytes, no byte taken
twice: bytes ``0`` to ``min(n, SAMPLE)``, then ``max(SAMPLE, n - SAMPLE)`` to ``n``. A file
of 128 KiB or less is hashed whole, so for it the fingerprint is a digest of all its content.

Why: a card whose identity is unknown (no volume UUID or serial readable), or a card
restored from an image (its serial kept), or a camera that stamps every clip with one fixed
time, can hold a file of the same relative name, size and modification time as the one an
earlier run copied, with other content. Name, size and time alone would trust the old copy
and the new clip would never be copied. The fingerprint ties the ledger's record to the
bytes copied, at the cost of one or two small reads a file on a re-run.

Why both ends: clips of one camera often share their first bytes (a container's header,
the same settings written each take); the end holds the last frames and, for QuickTime and
MXF, the index written when the take ends (frame sizes, durations), so two takes of one
size differ there even when their headers agree. A file that differs only between the two
samples is not told apart: the run's note says what was compared, never more.

Why XXH3-128: ~10 GB/s, already a dependency (``xxhash``); 128 bits so that two different
samples agreeing by chance is never the explanation of a match.

Computed from the bytes the copy reads anyway (``Sampler``, ``of_bytes``: the engine's
reader, no extra read), and read again on a re-run (``read``: at most two reads, 128 KiB).
Stateless functions; a ``Sampler`` belongs to one thread (the reader's).
"""

from __future__ import annotations

import os

import xxhash

#: The bytes taken from each end of a file.
SAMPLE = 64 * 1024
_WHOLE = 2 * SAMPLE  # a file this size or smaller is hashed whole


def of_bytes(data: bytes | memoryview) -> str:
    """The fingerprint of a file whose whole content is *data*."""
    n = len(data)
    if n <= _WHOLE:
        return xxhash.xxh3_128_hexdigest(data)
    hasher = xxhash.xxh3_128(data[:SAMPLE])
    hasher.update(data[n - SAMPLE :])
    return hasher.hexdigest()


class Sampler:
    """The fingerprint of a file of *size* bytes read in pieces, in order (``take`` each
    piece at its offset): only the bytes of its two samples are hashed. One thread's."""

    __slots__ = ("_hasher", "_tail", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._tail = max(SAMPLE, size - SAMPLE)  # where the second sample starts
        self._hasher = xxhash.xxh3_128()

    def take(self, offset: int, data: bytes | memoryview) -> None:
        """Hash what of *data* (the file's bytes from *offset*) lies in a sample. Pieces must
        come in order, each starting where the last ended."""
        end = offset + len(data)
        if offset < SAMPLE:
            self._hasher.update(data[: min(end, SAMPLE) - offset])
        if end > self._tail:
            self._hasher.update(data[max(self._tail, offset, SAMPLE) - offset :])

    def hexdigest(self) -> str:
        """The fingerprint (``of_bytes`` of the whole file, once every piece was taken)."""
        return self._hasher.hexdigest()


def read_or_nothing(path: str, size: int) -> str:
    """``read``, or "" when the file cannot be read (no fingerprint is "": nothing matches
    it; the file's own read says what failed)."""
    try:
        return read(path, size)
    except OSError:
        return ""


def read(path: str, size: int) -> str:
    """The fingerprint of the file at *path* as it is now, read as a file of *size* bytes
    (the scan's): its first 64 KiB and its last (one read for a file of 128 KiB or less).
    A file shorter than *size* gives what it holds, which matches no fingerprint of a file
    of *size* bytes recorded from other content. Raises OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if size <= _WHOLE:
            return xxhash.xxh3_128_hexdigest(os.pread(fd, size, 0))
        # No read-ahead: two reads of 64 KiB took ~324 KiB a file from a cold disk with it
        # (300 × 4 MB files; docs/performance.md, "seventeenth pass").
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
        hasher = xxhash.xxh3_128(os.pread(fd, SAMPLE, 0))
        hasher.update(os.pread(fd, SAMPLE, size - SAMPLE))
        return hasher.hexdigest()
    finally:
        os.close(fd)
