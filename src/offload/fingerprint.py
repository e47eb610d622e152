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
reader, no extra read), and read again on a re-run (``read``: at most two reads, 128 KiB;
``ReadAhead``: the re-run's reads, several in flight). Stateless functions; a ``Sampler``
belongs to one thread (the reader's), a ``ReadAhead`` to the thread that asks it.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

import xxhash

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

#: The bytes taken from each end of a file.
SAMPLE = 64 * 1024
WHOLE = 2 * SAMPLE  # a file this size or smaller is hashed whole


def of_bytes(data: bytes | memoryview) -> str:
    """The fingerprint of a file whose whole content is *data*."""
    n = len(data)
    if n <= WHOLE:
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
        if size <= WHOLE:
            return xxhash.xxh3_128_hexdigest(os.pread(fd, size, 0))
        # No read-ahead: two reads of 64 KiB took ~324 KiB a file from a cold disk with it
        # (300 × 4 MB files; docs/performance.md, "seventeenth pass").
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
        hasher = xxhash.xxh3_128(os.pread(fd, SAMPLE, 0))
        hasher.update(os.pread(fd, SAMPLE, size - SAMPLE))
        return hasher.hexdigest()
    finally:
        os.close(fd)


#: Reads in flight at once (``ReadAhead``). One synchronous read after another pays each
#: read's latency in turn; with several in flight the device queues them (docs/performance.md,
#: "eighteenth pass"). A reader that serves one request at a time (USB mass storage without
#: UAS) only queues them (not measured on one).
READERS = 8
#: Files read one after another by one reader thread, handed over together: a thread pool's
#: hand-over (a future, two wake-ups) costs tens of µs, more than a cached file's read, and
#: a re-run of a warm card must not pay it for every file.
BATCH = 8
#: Fingerprints read ahead of the one asked for, at most (finished or in flight): bounds
#: what is held whatever the card's file count, and keeps every reader busy.
AHEAD = READERS * BATCH


class Wanted(NamedTuple):
    """A card file whose fingerprint a re-run will ask for: its position in the card's
    order (what ``ReadAhead.sample`` is asked by), its path and its size (the scan's)."""

    position: int
    path: str
    size_bytes: int


class ReadAhead:
    """The fingerprints of the card files a re-run checks, read from the card several at a
    time (``READERS`` threads, each reading ``BATCH`` files in turn), in the card's order, up
    to ``AHEAD`` ahead of the one asked for.

    *wanted* (consumed lazily, as the window moves) names the files, by rising position,
    whose fingerprint ``sample`` may be asked for; the one asking walks the card in the same
    order. A file asked for that *wanted* did not name, or named with another path or size,
    is read then, on the asking thread: every fingerprint given is one read from that path
    in this run (``read_or_nothing``). A file named but never asked for was read for nothing
    (its copy gone since its ledger entry, say): a read of 128 KiB at most.

    Threads: the pool is made on the first read and shut down by ``close`` (or leaving the
    ``with`` block, a Ctrl-C included): batches not started are dropped, a batch being read
    stops after the file it is reading (a read blocks as the planner's own would), and the
    threads are joined. ``sample`` and ``close`` belong to one thread.
    Raises what a read raised other than OSError (``read_or_nothing``: "" then)."""

    def __init__(
        self,
        wanted: Iterable[Wanted],
        *,
        readers: int = READERS,
        batch: int = BATCH,
        ahead: int = AHEAD,
    ) -> None:
        self._wanted: Iterator[Wanted] | None = iter(wanted)
        self._readers = readers
        self._batch = batch
        self._ahead = ahead
        # Batches handed to the readers, in order, and the files of those taken back.
        self._pending: deque[tuple[list[Wanted], Future[list[str]]]] = deque()
        self._ready: deque[tuple[Wanted, str]] = deque()
        self._held = 0  # files in both
        self._last = -1  # the position of the last file handed to a reader
        self._pool: ThreadPoolExecutor | None = None
        self._closing = False  # read by the readers between two files (a plain bool: the GIL)

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sample(self, position: int, path: str, size_bytes: int) -> str:
        """``read_or_nothing(path, size_bytes)`` of the card file at *position*: from the
        read made ahead, else read now. Positions asked for must rise. Blocks until read."""
        self._fill(position)
        ready, pending = self._ready, self._pending
        while True:
            while ready and ready[0][0].position < position:
                ready.popleft()  # not asked for after all
                self._held -= 1
            if ready or not pending:
                break
            files, future = pending.popleft()
            if files[-1].position < position:
                future.cancel()
                self._held -= len(files)
                continue
            ready.extend(zip(files, future.result(), strict=True))
        if ready and ready[0][0] == (position, path, size_bytes):
            self._held -= 1
            sample = ready.popleft()[1]
            self._fill(position)
            return sample
        return read_or_nothing(path, size_bytes)

    def _fill(self, position: int) -> None:
        """Hand batches to the readers until ``AHEAD`` files are held or *wanted* ran out,
        and at least the files up to *position* were handed over."""
        while self._wanted is not None and (self._held < self._ahead or self._last < position):
            files = list(itertools.islice(self._wanted, self._batch))
            if len(files) < self._batch:
                self._wanted = None
            if not files:
                break
            if self._pool is None:
                # Imported here: a first offload (no ledger) reads no fingerprint.
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(
                    self._readers, thread_name_prefix="offload-fingerprint"
                )
            self._pending.append((files, self._pool.submit(self._read_batch, files)))
            self._held += len(files)
            self._last = files[-1].position

    def _read_batch(self, files: list[Wanted]) -> list[str]:
        """A reader thread's: the fingerprints of *files*, in order; fewer once closing."""
        samples = []
        for file in files:
            if self._closing:
                break
            samples.append(read_or_nothing(file.path, file.size_bytes))
        return samples

    def close(self) -> None:
        """Drop the reads not started, stop those in flight after their current file, end
        the threads."""
        self._closing = True
        self._wanted = None
        self._pending.clear()
        self._ready.clear()
        self._held = 0
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
