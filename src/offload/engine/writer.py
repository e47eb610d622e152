"""A destination's writer thread: opens partials, writes chunks, hands batches on.

Threading model: ``DestinationWriter.run`` is the body of the writer thread; it starts and
joins the destination's committer thread (``engine.committer``). The reader talks to the
writer through ``put()`` only, which never blocks: the queue is a ``queue.SimpleQueue``
(C code, no Python lock or condition a message: ``queue.Queue``'s ``put`` and ``get`` were a
tenth of the engine's time holding the interpreter lock on a card of small files). What it
can hold is bounded by the chunk pools all the same: every message that carries data (a
large file's chunk, or a pack of up to 64 small files, empty ones included) holds a pooled
chunk, which the reader must acquire first, so the reader blocks there when a writer falls
behind; the messages without a chunk (a large file's start and end, the last one) are a few
dozen bytes each, two a large file. The writer always drains it, even after its destination
is lost.
The writer owns the file being written (``_current``) and the batch being filled
(``_batch``); a closed batch goes to the committer through ``DestinationState.batches`` and
belongs to it from then on (a batch closes at ``batch_bytes``, ``transfer_batch_bytes`` in
transfer mode, or ``batch_files``: big files make a batch of their own; many small files
share one, which is what lets a card of small files go as fast as ``cp``), or
``batch_seconds`` after its first file ended here, whichever comes first. The time is asked
at each file's end and, while a batch is open, the writer waits for the reader's next
message no longer than the time left: a batch of small files followed by a large file, or
a card that stalls, is handed on on time, not held until more files end. Closing a batch
never makes anything durable by itself: the committer does, and nothing is recorded or
reported before it has).

Per file: StartFile opens a partial (``Destination.open_partial``), chunks are written,
EndFile adds the finished partial to the batch (its committer sets the mtime); AbortFile (the source
failed) removes it. Files that fit in one small buffer come packed, up to 64 consecutive
ones in one WholeFiles message (``engine.pack``: all three steps of each file, sent once
they were read and checked); each is still created, written and handed on as a file of its
own. Every destination I/O goes through the destination backend.
"""

from __future__ import annotations

import errno
import os
import queue
import threading
import time

from offload.engine.buffers import Chunk
from offload.engine.committer import DestinationCommitter
from offload.engine.messages import (
    AbortFile,
    Cancel,
    ChunkReady,
    EndFile,
    FileTicket,
    Finish,
    Message,
    StartFile,
    WholeFiles,
)
from offload.engine.state import DestinationState, Pending
from offload.errors import (
    DestinationFileError,
    OffloadError,
    destination_io_error,
)
from offload.events import (
    DestinationBytesWritten,
    DestinationWriting,
    PhaseChanged,
    wanted,
    wanted_phase,
)
from offload.options import ExistingFilePolicy


class DestinationWriter:
    """Writes the files of one destination and runs its committer (see module docstring).

    ``put()`` is for the reader thread; ``run()`` is the writer thread's body; ``lost`` and
    ``index`` may be read by anyone.
    """

    def __init__(self, state: DestinationState) -> None:
        self.state = state
        self.index = state.index  # read per chunk by the reader: a plain attribute
        self.queue: queue.SimpleQueue[Message] = queue.SimpleQueue()
        # Writer thread only: the file being written, the batch being filled, folders seen
        # to exist, and those this run created itself.
        self._current: Pending | None = None
        self._batch: list[Pending] = []
        self._batch_bytes = 0
        # When the open batch closes by time (``time.monotonic``); meaningless while empty.
        self._batch_deadline = 0.0
        self._known_folders: set[str] = set()
        self._created_folders: set[str] = set()
        # Where a batch closes (bytes): larger in transfer mode, where nothing is read back
        # (``CopyOptions.closing_batch_bytes``).
        self._batch_limit = state.options.closing_batch_bytes
        # The per-file events the sink takes at all (``events.wanted``, a file's "copy" phase
        # ``events.wanted_phase``; none of them under ``offload copy --quiet``).
        self._phase_events = wanted_phase(state.sink, "copy")
        self._written_events = wanted(state.sink, DestinationBytesWritten)
        # A backend whose write buffers ahead of its link (S3: up to parallel_parts + 1
        # parts) says its bytes itself once sent (``S3Partial.on_sent``, from its part
        # threads); a chunk's write then ends with 0 bytes (its write no longer in flight):
        # before, an upload's first parts counted at the card's speed, its pace overstated.
        self._sent_said = self._written_events and getattr(
            state.destination, "says_bytes_sent", False
        )
        index = state.index
        sink = state.sink
        self._on_sent = lambda nbytes: sink.emit(DestinationBytesWritten(index, nbytes))
        self._writing_events = wanted(state.sink, DestinationWriting)
        # Asked once, not a file: an enum member's look-up goes through ``EnumType``'s
        # Python ``__getattr__`` in Python 3.11 (docs/performance.md, "The committer:
        # fifteenth pass").
        # Not where a name taken meanwhile may be kept (``state.keep_taken``, the one-file
        # copy): the caller looked at the name just before the job, and a copy another
        # writer publishes after that look is found by the publish, which replaces nothing,
        # and read back there (``DestinationCommitter._keep_taken``); refused here it would
        # be refused unread, though it may be this very file.
        self._fail_on_existing = (
            state.options.existing is ExistingFilePolicy.FAIL and not state.keep_taken
        )
        # Asked once, not a file (the writer thread paces a card of small files): where a
        # batch closes by its files, and whether the backend waits for a file's digests.
        self._batch_files = state.options.batch_files
        self._batch_seconds = state.options.batch_seconds
        self._stores_digests = state.destination.features.stores_digests
        self._preserve_mtime = state.options.preserve_mtime

    @property
    def lost(self) -> OffloadError | None:
        return self.state.lost

    # -- called by the reader thread --------------------------------------------------------

    def put(self, message: Message) -> None:
        self.queue.put(message)

    # -- the writer thread ------------------------------------------------------------------

    def run(self) -> None:
        """The writer thread's body. Whatever fails here, the committer's start among it
        (``can't start new thread``), the destination is lost and the reader's messages are
        taken to their end, each chunk released (``_drain``): a chunk left in the queue is
        a buffer the pool never gets back, and the reader, once every buffer is out, waits
        for one forever. Before, a committer that could not start ended this thread before
        it took a message: the job hung."""
        state = self.state
        committer: DestinationCommitter | None = None
        thread: threading.Thread | None = None
        try:
            try:
                committer = DestinationCommitter(state)
                starting = threading.Thread(target=committer.run, name=f"commit-{state.index}")
                starting.start()
                thread = starting  # started: to be joined
                self._serve()
            except BaseException as exc:  # a bug: this destination is lost, never the job
                state.internal_error(exc)
                try:
                    self._fail_own_files_if_lost()
                finally:
                    self._drain()
        finally:
            # Each step whatever the one before did: the committer waits for the None.
            try:
                self._discard_own_files()
            finally:
                if thread is not None:
                    state.batches.put(None)
                    thread.join()
                if committer is not None:
                    committer.close()

    def _serve(self) -> None:
        """Take the reader's messages until its Finish or Cancel."""
        state = self.state
        get = self.queue.get
        while True:
            if self._batch:
                # An open batch waits for more files no longer than its time ceiling.
                left = self._batch_deadline - time.monotonic()
                if left <= 0:
                    self._hand_off()
                    continue
                try:
                    # TIMEOUT_MAX: a very long ceiling must not overflow the lock's wait.
                    message = get(timeout=min(left, threading.TIMEOUT_MAX))
                except queue.Empty:
                    self._hand_off()
                    continue
            else:
                message = get()
            if isinstance(message, ChunkReady):
                try:
                    if not state.cancel.cancelled:
                        self._on_chunk(message.chunk)
                finally:
                    message.chunk.release()
                continue
            if isinstance(message, Finish):
                self._fail_own_files_if_lost()
                self._hand_off()
                return
            if isinstance(message, Cancel):
                return
            if isinstance(message, WholeFiles):
                try:
                    self._on_pack(message)
                finally:
                    message.chunk.release()
                continue
            if state.cancel.cancelled:
                # The reader's Cancel comes after what it queued before it saw the cancel:
                # none of that is written (on a slow destination, minutes of data), no
                # file is opened; the file being written is removed on the way out.
                continue
            try:
                self._fail_own_files_if_lost()
                if isinstance(message, StartFile):
                    self._on_start(message.ticket)
                elif isinstance(message, EndFile):
                    self._on_end(message.ticket)
                elif isinstance(message, AbortFile):
                    self._on_abort(message.ticket)
            except Exception as exc:  # a bug must not leave the reader blocked on us
                state.internal_error(exc)
                self._fail_own_files_if_lost()

    def _drain(self) -> None:
        """After a bug stopped ``_serve``: the destination is lost; take the reader's
        messages to its end all the same, releasing every chunk (the reader waits for them)
        and failing every file sent here, so that the job ends with failures, not a hang."""
        state = self.state
        while True:
            message = self.queue.get()
            try:
                if isinstance(message, (Finish, Cancel)):
                    return
                if isinstance(message, ChunkReady):
                    message.chunk.release()
                    continue
                if isinstance(message, WholeFiles):
                    message.chunk.release()
                    tickets = [ticket for ticket, _, _ in message.files]
                elif isinstance(message, StartFile):
                    tickets = [message.ticket]
                else:
                    continue
                for ticket in tickets:
                    target = ticket.task.targets[state.index]
                    if target is not None and state.lost is not None and not state.cancel.cancelled:
                        state.fail(ticket, target, state.lost)
            except Exception:  # draining must go on: the loss is recorded already
                continue

    def _hand_off(self) -> None:
        """Give the current batch to the committer (blocks while two batches are pending)."""
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        if batch:
            self.state.batches.put(batch)

    def _on_start(self, ticket: FileTicket) -> None:
        state = self.state
        task = ticket.task
        text = task.targets[self.index]
        assert text is not None
        if state.lost is not None:
            state.fail(ticket, text, state.lost)
            return
        destination = state.destination
        # The target stays text: the backend makes a Path only if it needs one (making one a
        # file was the largest share of a small file's cost on this thread).
        try:
            # Folders are keyed by their path string: hashing a new Path object per file
            # (target.parent) was a measurable share of a small file's cost, and so was
            # ``os.path.dirname``'s Python. The key is dirname's text but for odd paths
            # ("a//b": "a/"), where it only costs a presence check or a lookup more.
            folder = text.rpartition(os.sep)[0]
            known = folder in self._known_folders
            try:
                # The destination's presence (its root still there, on the same device):
                # before anything can make a folder (``open_partial`` makes missing ones: in
                # a drive's empty mount point they would land on the disk below), and at
                # each batch's first file. Not before every file: a stat a file on the
                # thread that paces a card of small files, each a trip through the
                # interpreter lock (docs/performance.md, "Many small files: thirteenth
                # pass"). A create that fails in a known folder asks again (below), so a
                # drive gone meanwhile is named as such, as before.
                if not known or not self._batch:
                    destination.check_present()
                # In a folder this run created, nothing can be in the way: no lookup needed.
                if (
                    self._fail_on_existing
                    and folder not in self._created_folders
                    and destination.exists(text)
                ):
                    remedy = state.in_the_way(text)
                    raise DestinationFileError(
                        f"{text} already exists on destination {state.device}; not "
                        f"overwritten: {remedy.words}",
                        path=text,
                        refusal=remedy.refusal,
                    )
            except OSError as exc:
                raise destination_io_error(exc, "reach", state.root, state.device) from exc
            if self._phase_events:
                state.announce(ticket, PhaseChanged(state.index, ticket.relative_path, "copy"))
            try:
                partial = destination.open_partial(
                    text,
                    size_bytes=task.source.size_bytes,
                    folder_known=known,
                    digests=task.reference_digests or None,
                    hashed=ticket.hashed if self._stores_digests else None,
                    mtime_ns=task.source.mtime_ns if self._preserve_mtime else None,
                )
            except OSError as exc:
                if known:
                    # The presence check skipped above: a drive gone (its folder vanished
                    # with it, ENOENT) is named as lost, not as this file's create error.
                    try:
                        destination.check_present()
                    except OSError as gone:
                        raise destination_io_error(
                            gone, "reach", state.root, state.device
                        ) from gone
                # Named as the OS named it (the partial, or a folder it needed).
                where = os.fsdecode(exc.filename) if exc.filename else text
                card_path, of_folder = _on_the_card(where, text, ticket.relative_path)
                raise destination_io_error(
                    exc, "create", where, state.device, card_path=card_path, folder=of_folder
                ) from exc
            if not known:
                self._known_folders.add(folder)
            if partial.created_dirs:
                self._created_folders.update(map(str, partial.created_dirs))
            if self._sent_said:
                partial.on_sent = self._on_sent  # type: ignore[attr-defined]
            self._current = Pending(ticket, partial, time.monotonic(), text)
        except OffloadError as error:
            state.fail(ticket, text, error)

    def _on_pack(self, message: WholeFiles) -> None:
        """Small files in one message (``engine.pack``), each written as a file of its own:
        start, its bytes, end; one file's error stays that file's. Nothing is written once
        the job is cancelled (the files left are reported cancelled). The caller releases
        the chunk."""
        state = self.state
        cancel = state.cancel
        data = message.chunk.writable
        for ticket, start, end in message.files:
            if cancel.cancelled:
                return
            try:
                if state.lost is not None:  # (asked here: a call a file less)
                    self._fail_own_files_if_lost()
                self._on_start(ticket)
                if end > start:
                    self._write(data[start:end])
                self._on_end(ticket)
            except Exception as exc:  # a bug must not leave the reader blocked on us
                state.internal_error(exc)
                self._fail_own_files_if_lost()

    def _on_chunk(self, chunk: Chunk) -> None:
        # Said before a large file's chunk (one event a chunk, ~8 MiB): a write on a slow
        # destination takes seconds, and the live view names what the copy waits on.
        current = self._current
        if self._writing_events and current is not None:
            self.state.sink.emit(DestinationWriting(self.state.index, current.ticket.relative_path))
        self._write(chunk.data)

    def _write(self, data: memoryview) -> None:
        """Write *data* to the file being written (nothing if it failed here already); its
        byte event ends the ``DestinationWriting`` said for a large file's chunk."""
        current = self._current
        if current is None:
            return  # the file already failed here, or the destination is lost
        if self.state.lost is not None and self._fail_own_files_if_lost():
            return
        try:
            current.partial.write(data)
        except OSError as exc:
            if exc.errno == errno.ECANCELED and self.state.cancel.cancelled:
                # The destination stopped at the job's cancel (``destinations.base``): the
                # partial goes with the others on the way out, the job records it cancelled.
                return
            self._current = None
            error = destination_io_error(
                exc, "write", current.partial.final_path, self.state.device
            )
            self.state.fail_pending(current, error)
            self._fail_own_files_if_lost()
            return
        if not self._written_events:
            return
        if not self._sent_said:
            self.state.sink.emit(DestinationBytesWritten(self.state.index, len(data)))
        else:
            # Its bytes said as sent (``on_sent``): a 0, with what the upload took (``taken``:
            # pfndispatchcopy -v's count, "uploading: K more bytes"), that also ends the
            # DestinationWriting said for a large file's chunk. A small file's too: its one
            # PutObject held, -v said a bare "copied 0 of N bytes" as if nothing moved (an
            # event a file and bucket, beside a request a file).
            self.state.sink.emit(DestinationBytesWritten(self.state.index, 0, len(data)))

    def _on_end(self, ticket: FileTicket) -> None:
        current = self._current
        self._current = None
        if current is None:
            return
        assert current.ticket is ticket
        # The source's mtime is set by the committer, before the batch is made durable
        # (``DestinationCommitter._sync``): one system call less a file on this thread.
        now = time.monotonic()
        current.copy_s = now - current.started
        batch = self._batch
        if not batch:
            self._batch_deadline = now + self._batch_seconds
        batch.append(current)
        self._batch_bytes += current.partial.bytes_written
        if (
            self._batch_bytes >= self._batch_limit
            or len(batch) >= self._batch_files
            or now >= self._batch_deadline
        ):
            self._hand_off()

    def _on_abort(self, ticket: FileTicket) -> None:
        current = self._current
        if current is not None and current.ticket is ticket:
            self._current = None
            self.state.destination.remove_partial(current.partial)
        # The reader records the source error for every destination itself.

    def _fail_own_files_if_lost(self) -> bool:
        """Once the destination is lost, fail the file being written and the batch not yet
        handed off. Returns whether the destination is lost."""
        error = self.state.lost
        if error is None:
            return False
        victims = list(self._batch)
        if self._current is not None:
            victims.append(self._current)
        self._current = None
        self._batch, self._batch_bytes = [], 0
        self.state.fail_all(victims, error)
        return True

    def _discard_own_files(self) -> None:
        """Leaving: remove partials still open (cancel, or a bug)."""
        remove = self.state.destination.remove_partial
        if self._current is not None:
            remove(self._current.partial)
            self._current = None
        for pending in self._batch:
            remove(pending.partial)
        self._batch, self._batch_bytes = [], 0


def _on_the_card(where: str, target: str, relative_path: str) -> tuple[str | None, bool]:
    """What a create that failed at *where* was making, on the card: the card path of the
    file (*target*'s, *relative_path*) or of the folder above it *where* names (the
    destination's folders below the copy root are the card's, name for name), and whether
    it is a folder; None for the path where *target* does not end with *relative_path*
    (a lone file copied under another name)."""
    if not target.startswith(where.rstrip("/") + "/"):
        return relative_path, False  # the file itself (its partial, beside it)
    root = target[: -len(relative_path)] if target.endswith("/" + relative_path) else None
    if root is None or not where.startswith(root) or len(where) <= len(root):
        return None, True
    return where[len(root) :], True
