"""A fixed pool of page-aligned chunk buffers shared by the reader and its consumers.

The pool is the job's memory bound: the reader takes a free buffer before every read and
blocks while none is free, so it can never run more than ``count`` chunks ahead of the
slowest consumer, whatever the file size (docs/design.md, "Memory").
"""

from __future__ import annotations

import queue
import threading

from offload.engine.cancel import CANCEL_POLL_S, CancelToken
from offload.errors import CancelledError
from offload.fs.direct import AlignedBuffer


class Chunk:
    """One filled buffer on its way to several consumers.

    ``sequence`` numbers chunks of a job from 0 (chunks carry sequential ids);
    ``offset`` is the position in the file. The reader sets the number of consumers
    before it hands the chunk out; each consumer calls ``release()`` exactly once; the last
    one returns the buffer to the pool. Thread-safe.
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
    """``count`` buffers of ``chunk_size`` bytes, allocated once per job. Thread-safe."""

    def __init__(self, *, count: int, chunk_size: int) -> None:
        self.chunk_size = chunk_size
        self._buffers = [AlignedBuffer(chunk_size) for _ in range(count)]
        self._free: queue.SimpleQueue[Chunk] = queue.SimpleQueue()
        for buffer in self._buffers:
            self._free.put(Chunk(self, buffer))
        self._sequence = 0

    def acquire(self, cancel: CancelToken) -> Chunk:
        """A free chunk; blocks while every chunk is in use.

        Raises CancelledError if the token is set while waiting. Only the reader calls this.
        """
        while True:
            try:
                chunk = self._free.get(timeout=CANCEL_POLL_S)
            except queue.Empty:
                if cancel.cancelled:
                    raise CancelledError("cancelled") from None
                continue
            chunk.sequence = self._sequence
            self._sequence += 1
            return chunk

    def give_back(self, chunk: Chunk) -> None:
        self._free.put(chunk)

    def close(self) -> None:
        """Free the memory. Call only after every consumer has stopped."""
        for buffer in self._buffers:
            buffer.close()
        self._buffers = []
