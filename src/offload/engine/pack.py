"""Consecutive small files packed into one pooled buffer, sent to each writer as one message.

On a card of small files a file's cost is mostly hand-offs between threads: a message put
on a writer's queue and taken there, a pooled buffer taken by the reader and given back by
the writers, a verdict published, each a wake-up and a trip through the interpreter lock,
which the engine's threads share on two cores (docs/performance.md, "Many small files:
fourteenth pass"). A pack pays each of them once for up to ``PACK_FILES`` files.

Reader thread only. The contract:

* The reader reads each small file (one that fits a small buffer) into ``free`` of the
  current pack and ``add``s it once it passed every check; a file that failed is not added
  (its bytes stay unused in the buffer), so one file's error stays that file's.
* ``due`` says whether the pack must be sent before a file of that size for those writers
  is read (no room, ``PACK_FILES`` files, older than ``PACK_AGE_S``, or other writers);
  ``send`` first, then ``start`` with a fresh chunk. It is asked before each read, never
  during one: a read that stalls holds the pack until it returns.
* ``send`` publishes the verdicts of the files it holds (transfer mode; in full mode the
  source verifier publishes them after the re-read) and puts one ``WholeFiles`` on each
  writer's queue; ``discard`` (the job stopped) sends nothing: those files reach no writer
  and the job reports them cancelled. Either way the pack's chunk goes back to the pool
  once its last holder released it.
* Before the reader streams a larger file it sends the pack: each writer takes the files
  in the order they were read.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from offload.engine.buffers import Chunk
from offload.engine.messages import FileTicket, VerdictBoard, WholeFiles

if TYPE_CHECKING:
    from offload.engine.writer import DestinationWriter

#: The files a pack holds at most. A writer takes them in one message, so a pack is also how
#: far it may lag the reader within one buffer; measured on 2,000 × 1 KB (docs/performance.md,
#: fourteenth pass).
PACK_FILES = 64
#: A pack older than this is sent before the next file is read into it, so files read
#: slowly (a slow card) reach the writers without waiting for a full pack. The age is
#: looked at between reads only: a read stalled on the card (seconds on a failing one)
#: holds the pack, and the files already in it, until it returns. Sending it during the
#: stall would need a second thread on the pack's state (a watchdog a review tried: +6 % of
#: the reader's instructions and a lock) for files the stalled card holds back anyway.
PACK_AGE_S = 0.02


class Pack:
    """The small files read into one chunk and not yet sent (see the module's contract)."""

    __slots__ = (
        "_board",
        "_capacity",
        "_files",
        "_publish",
        "_started",
        "_writers",
        "chunk",
        "used",
    )

    def __init__(self, board: VerdictBoard | None) -> None:
        """*board*: where ``send`` publishes the files' verdicts (None: the source verifier
        publishes each after its re-read)."""
        self._board = board
        self.chunk: Chunk | None = None
        self._capacity = 0
        # Where the next file's bytes go in the chunk: a plain attribute the reader reads
        # (a property was a call a file), written here only.
        self.used = 0
        self._started = 0.0
        self._writers: Sequence[DestinationWriter] = ()
        self._files: list[tuple[FileTicket, int, int]] = []
        self._publish: list[FileTicket] = []

    def due(self, size: int, writers: Sequence[DestinationWriter]) -> bool:
        """Whether the pack must be sent (and a new one started) before a file of *size*
        bytes for *writers* is read into it."""
        return (
            self.chunk is None
            or size > self._capacity - self.used
            or len(self._files) >= PACK_FILES
            or writers != self._writers
            or time.monotonic() - self._started > PACK_AGE_S
        )

    def start(self, chunk: Chunk, writers: Sequence[DestinationWriter]) -> None:
        """Fill *chunk* (just taken from the pool) with files for *writers*. The reader
        holds it until ``send`` or ``discard``."""
        assert self.chunk is None
        chunk.hand_out(1)
        self.chunk = chunk
        self._capacity = len(chunk.writable)
        self.used = 0
        self._started = time.monotonic()
        self._writers = writers

    def add(self, ticket: FileTicket, length: int) -> None:
        """The file read at ``used`` (*length* bytes) passed every check: it goes."""
        start = self.used
        self.used = start + length
        self._files.append((ticket, start, start + length))
        if self._board is not None:
            self._publish.append(ticket)

    def send(self) -> None:
        """Publish the pack's verdicts and hand it to each of its writers (nothing if it
        holds no file); the reader's hold is released. Never blocks."""
        chunk = self.chunk
        if chunk is None:
            return
        self.chunk = None
        files, self._files = tuple(self._files), []
        publish, self._publish = self._publish, []
        try:
            if publish and self._board is not None:
                self._board.publish_all(publish)
            if files:
                message = WholeFiles(chunk, files)
                chunk.retain(len(self._writers))
                for writer in self._writers:
                    writer.put(message)
        finally:
            chunk.release()

    def discard(self) -> None:
        """The job stopped: the files go nowhere (reported cancelled by the job); their
        verdicts are published all the same, so nothing waits for them."""
        chunk = self.chunk
        if chunk is None:
            return
        self.chunk = None
        self._files = []
        publish, self._publish = self._publish, []
        try:
            if publish and self._board is not None:
                self._board.publish_all(publish)
        finally:
            chunk.release()
