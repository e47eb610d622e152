"""A fixed pool of page-aligned chunk buffers shared by the reader and its consumers.

The pool is the job's memory bound: the reader takes a free buffer before every read and
blocks while none is free, so it can never run more than ``count`` chunks ahead of the
slowest consumer, whatever the file size (docs/design.md, "Memory").
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from offload.engine.cancel import CANCEL_POLL_S, CancelToken
from offload.errors import CancelledError
from offload.fs.direct import AlignedBuffer


class Chunk:
    """One filled buffer on its way to several consumers: a chunk of a large file
    (``offset``: its position in the file; ``length``: the bytes filled), or a pack of
    small files (``engine.pack``: each file's bytes where its ``WholeFiles`` entry says;
    ``offset`` and ``length`` unused).

    ``sequence`` numbers the acquisitions of the pool from 0. The reader sets the number of
    consumers before it hands the chunk out (``hand_out``; a pack's, as it goes:
    ``retain``); each consumer calls ``release()`` exactly once; the last one returns the
    buffer to the pool. A view of the buffer (``data``, ``writable`` and slices of them)
    is its holder's only until its ``release()``. Thread-safe.
    """

    __slots__ = ("_buffer", "_lock", "_pending", "_pool", "length", "offset", "sequence")

    def __init__(self, pool: ChunkPool, buffer: AlignedBuffer) -> None:
        self._pool = pool
        self._buffer = buffer
        self._lock = threading.Lock()
        self._pending = 0
        self.length = 0
        self.offset = 0
        self.sequence = 0

    @property
    def writable(self) -> memoryview:
        """The whole buffer, for the reader to fill (aligned for O_DIRECT)."""
        return self._buffer.view

    @property
    def data(self) -> memoryview:
        """The filled part."""
        return self._buffer.view[: self.length]

    def hand_out(self, consumers: int) -> None:
        """Set how many ``release()`` calls return this chunk to the pool (0: at once)."""
        with self._lock:
            self._pending = consumers
        if consumers == 0:
            self._pool.give_back(self)

    def retain(self, consumers: int) -> None:
        """Add *consumers* more ``release()`` calls before the chunk returns to the pool; only
        while a holder (one whose own ``release()`` is still to come) keeps it out of it.
        A pack of small files (``engine.pack``) is handed out this way: the reader holds it
        while it fills it, each threaded hasher and each writer is added as it gets a part."""
        with self._lock:
            self._pending += consumers

    def release(self) -> None:
        with self._lock:
            self._pending -= 1
            last = self._pending == 0
        if last:
            self._pool.give_back(self)


class ChunkPool:
    """``count`` buffers of ``chunk_size`` bytes, allocated once per job. Thread-safe.

    The buffer given back last is handed out first (last in, first out): a buffer's pages
    are backed by memory at their first write, so a job that needs only a few buffers at a
    time (a card of small files, written as fast as it is read) keeps reusing those few
    instead of touching every buffer of the pool once. First in, first out, a 200-file card
    of 100 KB faulted in 20 of the small files' 48 buffers of 1 MiB (~5,000 page faults in
    the reader, and as many pages to free at the job's end) where 2-3 were in use at once
    (docs/performance.md, "Fixed cost: eighteenth pass")."""

    def __init__(self, *, count: int, chunk_size: int) -> None:
        self.chunk_size = chunk_size
        self._buffers = [AlignedBuffer(chunk_size) for _ in range(count)]
        self._free: queue.LifoQueue[Chunk] = queue.LifoQueue()
        for buffer in reversed(self._buffers):  # the first buffer on top
            self._free.put(Chunk(self, buffer))
        self._sequence = 0

    def acquire(self, cancel: CancelToken, on_wait: Callable[[bool], None] | None = None) -> Chunk:
        """A free chunk; blocks while every chunk is in use. *on_wait*: told True before it
        blocks and False once it has a chunk (or is cancelled), only when it had to wait.

        Raises CancelledError if the token is set while waiting. Only the reader calls this.
        """
        try:
            chunk = self._free.get_nowait()
        except queue.Empty:
            if on_wait is not None:
                on_wait(True)
            try:
                chunk = self._wait(cancel)
            finally:
                if on_wait is not None:
                    on_wait(False)
        chunk.sequence = self._sequence
        self._sequence += 1
        return chunk

    def _wait(self, cancel: CancelToken) -> Chunk:
        while True:
            try:
                return self._free.get(timeout=CANCEL_POLL_S)
            except queue.Empty:
                if cancel.cancelled:
                    raise CancelledError("cancelled") from None

    def give_back(self, chunk: Chunk) -> None:
        self._free.put(chunk)

    def close(self) -> str | None:
        """Free the memory. Call only after every consumer has stopped. Never raises.

        Returns None when every buffer came back once and nothing views it any more; else
        what was wrong, in words, for the job's warnings: a buffer that did not come back (a
        consumer that kept it, or released it too few times), one that came back twice (too
        many releases: it may have been refilled while a consumer still had it), one still
        viewed (a consumer that kept a view of it past its release). Each is a bug. A buffer
        that did not come back, or is still viewed, is not freed here but left to its last
        view (the garbage collector): no view outlives the memory it shows, and the job ends
        with its results instead of a ``BufferError``."""
        back: dict[int, Chunk] = {}
        returns = 0
        while True:
            try:
                chunk = self._free.get_nowait()
            except queue.Empty:
                break
            returns += 1
            back[id(chunk)] = chunk
        viewed = 0
        for chunk in back.values():
            try:
                chunk._buffer.close()
            except BufferError:  # a view of it is still alive: freed with that view
                viewed += 1
        count = len(self._buffers)
        self._buffers = []
        problems = []
        if missing := count - len(back):
            problems.append(f"{missing} did not come back")
        if twice := returns - len(back):
            problems.append(
                f"{twice} came back twice (a file read into it may have been written with "
                "another file's bytes: read-backs catch that, a transfer-checked copy was not "
                "read back)"
            )
        if viewed:
            problems.append(f"{viewed} still in use")
        if not problems:
            return None
        return (
            f"the copy engine's buffer accounting is off, a bug to report: of its {count} "
            f"buffers of {self.chunk_size // 1024} KiB, {', '.join(problems)}"
        )
