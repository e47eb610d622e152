"""One destination: a writer thread fed through a bounded queue, and a committer thread.

Threading model: ``DestinationWorker.run`` is the body of the writer thread; it starts and
joins the destination's committer thread. The writer creates partials and writes chunks; each
finished batch of files goes to the committer through a queue of at most two batches, so the
writer (and the reader behind it) keep going while the committer syncs, reads back and renames
the previous batch. The reader talks to the writer through ``put()`` (blocking: the queue is
bounded, and the writer always drains it, even after its destination is lost, so the reader
never blocks on a dead consumer). Results go to the job's ResultBook. ``lost`` is set once,
under a lock, by whichever of the two threads meets the failure; each thread then fails the
files it owns.

Per file: StartFile opens a partial (O_EXCL), chunks are written, EndFile adds the finished
partial to a batch. A batch is made durable together (one syncfs, plus an fsync per file
where syncfs cannot be trusted to report errors: ``fs.ops.syncfs_is_enough``), read back
from the media, compared with the reader's digest, renamed to
its final name and the folders fsynced. Big files make a batch of their own; many small files
share one, which is what lets a card of small files go as fast as ``cp``.
"""

from __future__ import annotations

import errno
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from offload.engine.cancel import CancelToken
from offload.engine.messages import (
    AbortFile,
    Cancel,
    ChunkReady,
    EndFile,
    FileTicket,
    Finish,
    Message,
    StartFile,
)
from offload.engine.partial import PartialFile
from offload.engine.verifier import evict_and_prefetch, read_back
from offload.errors import (
    CancelledError,
    DestinationError,
    DestinationFileError,
    OffloadError,
    VerificationError,
    destination_io_error,
)
from offload.events import (
    BytesVerified,
    DestinationBytesWritten,
    DestinationLost,
    EventSink,
    PhaseChanged,
)
from offload.fs.direct import AlignedBuffer
from offload.fs.ops import fsync_dir, syncfs, syncfs_is_enough
from offload.ledger import Ledger, LedgerEntry, verified_entry
from offload.options import CopyOptions, ExistingFilePolicy, VerifyMode
from offload.results import CacheBypass, DestinationFileResult, DestinationStatus

_MIN_DIRECT_WRITE_BYTES = 1024 * 1024

RecordResult = Callable[[FileTicket, DestinationFileResult], None]


@dataclass
class _Pending:
    ticket: FileTicket
    partial: PartialFile
    started: float
    copy_s: float = 0.0
    # Set when the batch evicted this file from the cache and asked for it to be read back
    # in the background: whether the cache was really empty (None: not prefetched).
    evicted: bool | None = None


class DestinationWorker:
    """Writes, syncs, verifies and commits files on one destination (see module docstring).

    ``lost`` is set (once) by the worker thread when the destination fails as a whole; the
    reader reads it to stop sending chunks there. The read is racy by design: a chunk sent
    after the loss is simply released.
    """

    def __init__(
        self,
        *,
        index: int,
        root: Path,
        device: str,
        options: CopyOptions,
        verify_algorithm: str,
        sink: EventSink,
        cancel: CancelToken,
        record: RecordResult,
        queue_size: int,
        ledger: Ledger | None = None,
    ) -> None:
        self.index = index
        self.root = root
        self.device = device
        self.lost: OffloadError | None = None
        self.queue: queue.Queue[Message] = queue.Queue(maxsize=queue_size)
        self._options = options
        self._verify_algorithm = verify_algorithm
        self._sink = sink
        self._cancel = cancel
        self._record = record
        self._ledger = ledger
        self._flush = index not in options.noflush_destinations
        self._root_device = os.stat(root).st_dev
        self._current: _Pending | None = None
        self._batch: list[_Pending] = []
        self._batch_bytes = 0
        self._batches: queue.Queue[list[_Pending] | None] = queue.Queue(maxsize=2)
        self._lost_lock = threading.Lock()
        # Writer thread only: folders seen to exist, and those this run created itself.
        self._known_folders: set[Path] = set()
        self._created_folders: set[Path] = set()
        self._buffer: AlignedBuffer | None = None
        self.copy_s = 0.0
        self.verify_s = 0.0

    # -- called by the reader thread --------------------------------------------------------

    def put(self, message: Message) -> None:
        self.queue.put(message)

    # -- the writer thread ------------------------------------------------------------------

    def run(self) -> None:
        committer = threading.Thread(target=self._commit_loop, name=f"commit-{self.index}")
        committer.start()
        try:
            while True:
                message = self.queue.get()
                if isinstance(message, ChunkReady):
                    try:
                        self._on_chunk(message)
                    finally:
                        message.chunk.release()
                    continue
                if isinstance(message, Finish):
                    self._fail_own_files_if_lost()
                    self._hand_off()
                    return
                if isinstance(message, Cancel):
                    return
                try:
                    self._fail_own_files_if_lost()
                    if isinstance(message, StartFile):
                        self._on_start(message.ticket)
                    elif isinstance(message, EndFile):
                        self._on_end(message.ticket)
                    elif isinstance(message, AbortFile):
                        self._on_abort(message.ticket)
                except Exception as exc:  # a bug must not leave the reader blocked on us
                    self._declare_lost(
                        DestinationError(f"internal error on destination {self.device}: {exc!r}")
                    )
                    self._fail_own_files_if_lost()
        finally:
            self._discard_own_files()
            self._batches.put(None)
            committer.join()
            if self._buffer is not None:
                self._buffer.close()

    def _hand_off(self) -> None:
        """Give the current batch to the committer (blocks while two batches are pending)."""
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        if batch:
            self._batches.put(batch)

    def _on_start(self, ticket: FileTicket) -> None:
        target = ticket.task.targets[self.index]
        assert target is not None
        if self.lost is not None:
            self._fail(ticket, target, self.lost)
            return
        try:
            self._check_device()
            folder = target.parent
            # In a folder this run created, nothing can be in the way: no lookup needed.
            if (
                self._options.existing is ExistingFilePolicy.FAIL
                and folder not in self._created_folders
                and os.path.lexists(target)
            ):
                raise DestinationFileError(
                    f"{target} already exists on destination {self.device}; "
                    "use --overwrite or --keep-both to replace or keep it",
                    path=target,
                )
            partial = PartialFile(
                target,
                write_call_size=self._options.write_call_size,
                # Below a page-aligned MiB nothing would be written direct anyway.
                direct=self._options.direct_writes
                and ticket.task.source.size_bytes >= _MIN_DIRECT_WRITE_BYTES,
            )
            self._sink.emit(PhaseChanged(self.index, ticket.relative_path, "copy"))
            try:
                partial.create(folder_exists=folder in self._known_folders)
            except OSError as exc:
                raise destination_io_error(
                    exc, "create", partial.partial_path, self.device
                ) from exc
            self._known_folders.add(folder)
            self._created_folders.update(partial.created_dirs)
            self._current = _Pending(ticket, partial, time.monotonic())
        except OffloadError as error:
            self._fail(ticket, target, error)

    def _on_chunk(self, message: ChunkReady) -> None:
        current = self._current
        if current is None:
            return  # the file already failed here, or the destination is lost
        if self._fail_own_files_if_lost():
            return
        try:
            current.partial.write(message.chunk.data)
        except OSError as exc:
            self._current = None
            error = destination_io_error(exc, "write", current.partial.final_path, self.device)
            self._fail_pending(current, error)
            self._fail_own_files_if_lost()
            return
        self._sink.emit(DestinationBytesWritten(self.index, message.chunk.length))

    def _on_end(self, ticket: FileTicket) -> None:
        current = self._current
        self._current = None
        if current is None:
            return
        assert current.ticket is ticket
        try:
            if self._options.preserve_mtime:
                current.partial.set_mtime(ticket.task.source.mtime_ns)
        except OSError as exc:
            self._fail_pending(
                current,
                destination_io_error(
                    exc, "set the modification time of", current.partial.final_path, self.device
                ),
            )
            return
        current.copy_s = time.monotonic() - current.started
        self._batch.append(current)
        self._batch_bytes += current.partial.bytes_written
        if (
            self._batch_bytes >= self._options.batch_bytes
            or len(self._batch) >= self._options.batch_files
        ):
            self._hand_off()

    def _on_abort(self, ticket: FileTicket) -> None:
        current = self._current
        if current is not None and current.ticket is ticket:
            self._current = None
            current.partial.discard()
        # The reader records the source error for every destination itself.

    # -- the committer thread: sync, verify, commit ------------------------------------------

    def _commit_loop(self) -> None:
        while True:
            batch = self._batches.get()
            if batch is None:
                return
            if self._cancel.cancelled:
                for pending in batch:
                    pending.partial.discard()
                continue
            if self.lost is not None:
                self._fail_all(batch, self.lost)
                continue
            try:
                self._flush_batch(batch)
            except Exception as exc:  # a bug must not leave the writer blocked on us
                self._declare_lost(
                    DestinationError(f"internal error on destination {self.device}: {exc!r}")
                )
                for pending in batch:
                    if pending.partial.committed_path is None:
                        pending.partial.discard()

    def _flush_batch(self, batch: list[_Pending]) -> None:
        batch = self._sync(batch)
        if self._options.verify is not VerifyMode.TRANSFER and self._flush and len(batch) > 1:
            self._prefetch_read_backs(batch)
        verified: list[tuple[_Pending, DestinationFileResult]] = []
        for position, pending in enumerate(batch):
            if self.lost is not None:
                self._fail_all([p for p, _ in verified] + batch[position:], self.lost)
                return
            result = self._verify(pending)
            if result is None:
                continue
            if result.status is DestinationStatus.FAILED:
                self._record(pending.ticket, result)
                continue
            verified.append((pending, result))
        if not verified:
            return
        verified = self._choose_targets(verified)
        if self._ledger is not None and verified:
            # What the read-back proved: "transfer" when nothing was read back from the media
            # (transfer mode, or a destination that is not flushed). A later run in a
            # stricter mode does not trust such an entry.
            proven = self._options.verify.value if self._flush else VerifyMode.TRANSFER.value
            try:
                self._ledger.append(
                    verified_entry(
                        p.ticket.relative_path,
                        size_bytes=p.ticket.task.source.size_bytes,
                        mtime_ns=p.ticket.task.source.mtime_ns,
                        digests=p.ticket.inflight_digests,
                        partial_name=p.partial.partial_path.name,
                        final_name=p.partial.target_path.name,
                        verify=proven,
                    )
                    for p, _ in verified
                )
            except OSError as exc:
                error = destination_io_error(exc, "record", self._ledger.path, self.device)
                self._declare_lost(error)
                self._fail_all([p for p, _ in verified], error)
                return
        folders: set[Path] = set()
        done: list[tuple[_Pending, DestinationFileResult]] = []
        for pending, result in verified:
            if not self._commit(pending, result):
                if self.lost is not None:
                    self._fail_all([p for p, _ in done], self.lost)
                    return
                continue
            done.append((pending, result))
            folders.update(self._folders_up_to_root(pending.partial.final_path.parent))
        if self._flush:
            # Deepest first, so a new folder's own entries are durable before its name is;
            # every folder up to the destination, since any of them may be new.
            for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
                try:
                    fsync_dir(folder)
                except OSError as exc:
                    # The renames may not survive a power cut: nothing here is called good.
                    error = destination_io_error(exc, "fsync folder", folder, self.device)
                    self._declare_lost(error)
                    self._fail_all([p for p, _ in done], error)
                    return
        for pending, result in done:
            self._record(pending.ticket, result)

    def _folders_up_to_root(self, folder: Path) -> list[Path]:
        chain = []
        while folder != self.root and self.root in folder.parents:
            chain.append(folder)
            folder = folder.parent
        chain.append(self.root)
        return chain

    def _choose_targets(
        self, verified: list[tuple[_Pending, DestinationFileResult]]
    ) -> list[tuple[_Pending, DestinationFileResult]]:
        """Fix each file's final name before the ledger records it (keep-both picks one)."""
        kept = []
        for pending, result in verified:
            try:
                pending.partial.choose_target(self._options.existing)
            except OSError as exc:
                pending.partial.discard()
                result.status = DestinationStatus.FAILED
                result.error = destination_io_error(
                    exc, "name", pending.partial.final_path, self.device
                ).message
                self._record(pending.ticket, result)
                continue
            kept.append((pending, result))
        return kept

    def _sync(self, batch: list[_Pending]) -> list[_Pending]:
        """Make every file of the batch durable; returns the files that survived."""
        survivors: list[_Pending] = []
        started = time.monotonic()
        synced_all = False
        if self._flush and len(batch) > 1:
            try:
                syncfs(batch[0].partial.fd)
                synced_all = syncfs_is_enough(batch[0].partial.fd)
            except OSError:
                pass  # the per-file fsync below finds which files the error belongs to
        for position, pending in enumerate(batch):
            self._sink.emit(PhaseChanged(self.index, pending.ticket.relative_path, "flush"))
            try:
                if self._flush and not synced_all:
                    pending.partial.sync()
                size = pending.partial.size_on_disk()
                pending.partial.close()
            except OSError as exc:
                # fsyncgate: a failed fsync is never retried into a "success".
                self._fail_pending(
                    pending,
                    destination_io_error(exc, "flush", pending.partial.final_path, self.device),
                )
                if self.lost is not None:
                    self._fail_all(survivors + batch[position + 1 :], self.lost)
                    return []
                continue
            expected = pending.ticket.task.source.size_bytes
            if size != pending.partial.bytes_written or size != expected:
                self._fail_pending(
                    pending,
                    VerificationError(
                        f"{pending.partial.final_path} on {self.device} has {size} bytes, "
                        f"expected {expected}",
                        path=pending.partial.final_path,
                    ),
                )
                continue
            survivors.append(pending)
        elapsed = time.monotonic() - started
        self.copy_s += sum(p.copy_s for p in batch) + elapsed
        return survivors

    def _verify(self, pending: _Pending) -> DestinationFileResult | None:
        """Read back (unless transfer mode) and wait for the reader's verdict.

        Returns a VERIFIED/COPIED result (not yet committed), a FAILED one, or None when the
        file is no longer this worker's to report (source error, cancel).
        """
        ticket = pending.ticket
        partial = pending.partial
        result = DestinationFileResult(
            destination_index=self.index,
            final_path=str(partial.final_path),
            status=DestinationStatus.FAILED,
            bytes_written=partial.bytes_written,
            copy_s=pending.copy_s,
        )
        try:
            verifying = self._options.verify is not VerifyMode.TRANSFER
            if verifying:
                self._sink.emit(PhaseChanged(self.index, ticket.relative_path, "verify"))
                self._read_back(pending, result)
            if not ticket.wait(self._cancel) or self._cancel.cancelled:
                raise CancelledError("cancelled")
            if ticket.source_error is not None:
                partial.discard()
                return None  # the reader records the source error on every destination
            expected = ticket.inflight_digests[self._verify_algorithm]
            if not verifying:
                result.digests = {self._verify_algorithm: expected}
            elif result.digests[self._verify_algorithm] != expected:
                # A mismatch is re-read once before it is declared (a flaky read path).
                result.reread = True
                self._read_back(pending, result)
                if result.digests[self._verify_algorithm] != expected:
                    raise VerificationError(
                        f"{partial.final_path} on {self.device} does not match the source: "
                        f"{self._verify_algorithm} {result.digests[self._verify_algorithm]} "
                        f"read back twice, {expected} read from the source",
                        path=partial.final_path,
                    )
        except OffloadError as error:
            partial.discard()
            if isinstance(error, CancelledError):
                return None
            if isinstance(error, DestinationError):
                self._declare_lost(error)
            result.error = error.message
            return result
        result.status = (
            DestinationStatus.VERIFIED if verifying else DestinationStatus.TRANSFER_CHECKED
        )
        return result

    def _commit(self, pending: _Pending, result: DestinationFileResult) -> bool:
        """Rename a verified partial to its final name; on failure record it and say False."""
        partial = pending.partial
        self._sink.emit(PhaseChanged(self.index, pending.ticket.relative_path, "commit"))
        try:
            try:
                final = partial.commit(self._options.existing)
            except FileExistsError as exc:
                raise DestinationFileError(
                    f"{partial.final_path} already exists on destination {self.device} "
                    "(or a name differing only by case); use --overwrite or --keep-both",
                    path=partial.final_path,
                ) from exc
            except OSError as exc:
                raise destination_io_error(exc, "rename", partial.final_path, self.device) from exc
        except OffloadError as error:
            partial.discard()
            if self._ledger is not None:
                try:
                    self._ledger.append([LedgerEntry(pending.ticket.relative_path, "revoked")])
                except OSError as exc:
                    # The entry just written would be trusted by a later run (its partial is
                    # gone and some file has the name): this destination cannot be trusted.
                    self._declare_lost(
                        destination_io_error(exc, "record", self._ledger.path, self.device)
                    )
            if isinstance(error, DestinationError):
                self._declare_lost(error)
            result.status = DestinationStatus.FAILED
            result.error = error.message
            self._record(pending.ticket, result)
            return False
        result.final_path = str(final)
        return True

    def _prefetch_read_backs(self, batch: list[_Pending]) -> None:
        """Evict the batch's small files from the cache and start reading them back from the
        media, all at once (one synchronous O_DIRECT read a file was the bottleneck of full
        verification on cards of small files). Large files keep their O_DIRECT read-back."""
        for pending in batch:
            if pending.partial.bytes_written >= self._options.chunk_size:
                continue
            try:
                pending.evicted = evict_and_prefetch(pending.partial.partial_path)
            except OSError:
                pending.evicted = None  # the read-back itself reports the error

    def _read_back(self, pending: _Pending, result: DestinationFileResult) -> None:
        """Hash the partial as stored on the media into *result* (digest, bypass, time).

        A file the batch prefetched is read through the cache the media just filled; any
        other (and every re-read after a mismatch) with O_DIRECT or a checked cache drop.
        """
        if self._buffer is None:
            self._buffer = AlignedBuffer(self._options.chunk_size)
        started = time.monotonic()
        prefetched, pending.evicted = pending.evicted, None

        def counted(n: int) -> None:
            self._sink.emit(BytesVerified(self.index, n))

        try:
            digest, size, how = read_back(
                pending.partial.partial_path,
                self._verify_algorithm,
                self._buffer,
                cancel=self._cancel,
                on_bytes=counted,
                bypass_cache=self._flush and prefetched is None,
            )
        except OSError as exc:
            raise destination_io_error(
                exc, "read back", pending.partial.final_path, self.device
            ) from exc
        if size != pending.ticket.task.source.size_bytes:
            digest = f"(read back {size} bytes)"
        result.digests = {self._verify_algorithm: digest}
        if prefetched is not None:
            how = CacheBypass.FADVISE if prefetched else CacheBypass.NONE
        result.cache_bypass = how
        elapsed = time.monotonic() - started
        result.verify_s += elapsed
        self.verify_s += elapsed

    # -- failures ----------------------------------------------------------------------

    def _check_device(self) -> None:
        try:
            device = os.stat(self.root).st_dev
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                # The mount point itself is gone (udisks removes it): the drive is gone.
                raise DestinationError(
                    f"destination {self.device} is gone: {self.root} no longer exists "
                    "(unplugged or unmounted?)",
                    path=self.root,
                ) from exc
            raise destination_io_error(exc, "reach", self.root, self.device) from exc
        if device != self._root_device:
            raise DestinationError(
                f"destination {self.device} is gone: {self.root} is now on another device "
                "(unmounted?)",
                path=self.root,
            )

    def _fail(self, ticket: FileTicket, target: Path, error: OffloadError) -> None:
        if isinstance(error, DestinationError):
            self._declare_lost(error)
        self._record(
            ticket,
            DestinationFileResult(
                destination_index=self.index,
                final_path=str(target),
                status=DestinationStatus.FAILED,
                error=error.message,
            ),
        )

    def _fail_pending(self, pending: _Pending, error: OffloadError) -> None:
        if isinstance(error, DestinationError):
            self._declare_lost(error)
        self._fail_all([pending], error)

    def _declare_lost(self, error: OffloadError) -> None:
        """Detach this destination (once; either thread): nothing more is written here."""
        with self._lost_lock:
            if self.lost is not None:
                return
            self.lost = error
        self._sink.emit(DestinationLost(self.index, error.message))

    def _fail_all(self, victims: list[_Pending], error: OffloadError) -> None:
        """Discard these partials and record each file failed with *error* (the message names
        each file, also when the error that detached the destination named another one)."""
        for pending in victims:
            pending.partial.discard()
            message = error.message
            if str(pending.partial.final_path) not in message:
                message = f"{pending.partial.final_path} not completed: {message}"
            self._record(
                pending.ticket,
                DestinationFileResult(
                    destination_index=self.index,
                    final_path=str(pending.partial.final_path),
                    status=DestinationStatus.FAILED,
                    error=message,
                    bytes_written=pending.partial.bytes_written,
                ),
            )

    def _fail_own_files_if_lost(self) -> bool:
        """Writer thread: once the destination is lost, fail the file being written and the
        batch not yet handed off. Returns whether the destination is lost."""
        error = self.lost
        if error is None:
            return False
        victims = list(self._batch)
        if self._current is not None:
            victims.append(self._current)
        self._current = None
        self._batch, self._batch_bytes = [], 0
        self._fail_all(victims, error)
        return True

    def _discard_own_files(self) -> None:
        """Writer thread, leaving: remove partials still open (cancel, or a bug)."""
        if self._current is not None:
            self._current.partial.discard()
            self._current = None
        for pending in self._batch:
            pending.partial.discard()
        self._batch, self._batch_bytes = [], 0
