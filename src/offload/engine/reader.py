"""The one thread that reads the source: each byte is read once and fanned out to every writer.

Threading model: ``SourceReader.run`` is the body of the reader thread. It owns the source
file descriptors, the MultiHasher and its hasher threads. It hands pooled chunks to the
destination workers through their bounded queues and publishes, per file, a FileTicket with
the in-flight digests (and in full mode the source re-read) that the workers wait for before
they commit. It always ends by sending Finish (or Cancel) to every worker, whatever happens.
"""

from __future__ import annotations

import os
import queue
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from offload import fingerprint
from offload.engine.buffers import ChunkPool
from offload.engine.cancel import CancelToken
from offload.engine.messages import (
    AbortFile,
    Cancel,
    ChunkReady,
    EndFile,
    FileTicket,
    Finish,
    MhlRecord,
    StartFile,
)
from offload.engine.pack import Pack
from offload.engine.verifier import hash_read_back
from offload.engine.writer import DestinationWriter
from offload.errors import (
    REREAD_ALIKE,
    REREAD_ALIKE_CAUSE,
    CancelledError,
    SourceChangedError,
    SourceError,
    shell_word,
    source_io_error,
    what_changed,
)
from offload.events import (
    BytesVerified,
    EventSink,
    FileStarted,
    PhaseChanged,
    SourceBytesRead,
    SourceWaiting,
    wanted,
    wanted_phase,
)
from offload.fs.below import NOTHING_BELOW, CacheBelow, cache_below
from offload.fs.direct import AlignedBuffer, failed_read_words, open_for_reading, read_at
from offload.fs.media import MediaReader, evict_and_prefetch
from offload.fs.ops import drop_cache
from offload.hashing.multihasher import MultiHasher
from offload.hashing.registry import comparable_digest
from offload.model import SourceFile
from offload.options import CopyOptions, VerifyMode
from offload.results import CacheBypass

SOURCE_INDEX = -1  # events about the source carry this destination index
# Looked up once: in Python 3.11 an enum member's look-up goes through ``EnumType``'s Python
# ``__getattr__`` (~800 instructions), one a file here.
_O_DIRECT = CacheBypass.O_DIRECT
_NOT_READ = CacheBypass.NOT_READ
# The prefetcher's open and hint (``_Prefetcher.advance``), looked up once.
_PREFETCH_FLAGS = os.O_RDONLY | os.O_CLOEXEC
_WILLNEED = os.POSIX_FADV_WILLNEED


#: The small files the reader asks the kernel to read ahead of the one it copies, each on a
#: descriptor held open until the reader moved past it (``_Prefetcher``).
PREFETCH_FILES = 64
#: The descriptors the reader holds open at most: the window's and the current file's. The
#: job counts them in the open-file budget (``engine.job``).
PREFETCH_DESCRIPTORS = PREFETCH_FILES + 1


class SourceReader:
    """Reads every ticket's source once, hashes it in flight, feeds the workers (see module)."""

    def __init__(
        self,
        *,
        pool: ChunkPool,
        small_pool: ChunkPool,
        workers: Sequence[DestinationWriter],
        options: CopyOptions,
        hash_names: Sequence[str],
        verify_algorithm: str,
        sink: EventSink,
        cancel: CancelToken,
        fail_everywhere: Callable[[FileTicket, SourceError, Sequence[int]], None],
        lost_elsewhere: Callable[[FileTicket, DestinationWriter], None],
        prefetch_files: int = PREFETCH_FILES,
    ) -> None:
        self._pool = pool
        self._small_pool = small_pool
        self._workers = workers
        self._options = options
        self._hash_names = tuple(hash_names)
        self._verify_algorithm = verify_algorithm
        self._sink = sink
        self._cancel = cancel
        self._fail_everywhere = fail_everywhere
        self._lost_elsewhere = lost_elsewhere
        self._reread_buffer: AlignedBuffer | None = None
        self._verifier: _SourceVerifier | None = None
        # Full mode: the cache below the card's filesystem (a FUSE card's block device),
        # probed from the first file, and the st_dev it holds for (fs/below.py).
        self._below: CacheBelow = NOTHING_BELOW
        self._below_dev = -1
        self.error: BaseException | None = None
        self._stopped = False  # the reading stopped early (cancel, or a bug): Cancel, not Finish
        # The small files read and not yet sent (``engine.pack``); made by ``_read_all``.
        self._pack = Pack(None)
        self._prefetch_files = prefetch_files  # fewer where the open-file limit is low
        # The per-file events the sink takes at all (``events.wanted``): ``offload copy
        # --quiet`` takes none of these, and making them was a share of a small file's cost.
        self._started_events = wanted(sink, FileStarted)
        # A file's own phases, each only where a subscriber takes it (``wanted_phase``).
        self._copy_phase_events = wanted_phase(sink, "copy")
        self._verify_phase_events = wanted_phase(sink, "verify")
        self._read_events = wanted(sink, SourceBytesRead)
        # Told to the pools: where the reader waits for a free buffer (the live view says
        # whom the copy waits on); None where no sink takes it.
        self._on_wait = self._say_waiting if wanted(sink, SourceWaiting) else None
        self._verified_events = wanted(sink, BytesVerified)

    def run(self, tickets: Sequence[FileTicket]) -> None:
        """Read every ticket, then tell every worker the job's end (Finish, or Cancel).

        The end is told whatever happened before it (the writers wait for nothing else):
        a step of the reader's own shutdown that fails is a bug, recorded in ``error`` with
        the job cancelled, never a reason to leave the workers waiting."""
        try:
            self._read_all(tickets)
        finally:
            for worker in self._workers:
                worker.put(Cancel() if self._stopped or self._cancel.cancelled else Finish())

    def _read_all(self, tickets: Sequence[FileTicket]) -> None:
        hasher: MultiHasher | None = None
        prefetcher: _Prefetcher | None = None
        try:
            hasher = MultiHasher(self._hash_names)
            prefetcher = _Prefetcher(
                tickets, small_below=self._pool.chunk_size, window_files=self._prefetch_files
            )
            if self._options.verify is VerifyMode.FULL:
                if tickets:
                    self._probe_below(tickets[0].task.source.path)
                self._verifier = _SourceVerifier(self)
            elif tickets:
                # Transfer mode: a pack publishes its files' verdicts as it is sent (in full
                # mode the source verifier publishes each after its re-read).
                self._pack = Pack(tickets[0].board)
            for index, ticket in enumerate(tickets):
                if self._cancel.cancelled:
                    self._stopped = True
                    break
                prefetcher.advance(index)
                try:
                    self._copy_one(ticket, hasher, prefetcher.take(index))
                except CancelledError:
                    self._stopped = True
                    break
        except BaseException as exc:  # a bug: stop the job cleanly, the job re-raises it
            self._bug(exc)
        finally:
            # Each step on its own: one that raises must not skip the next ones (the
            # verifier's stop publishes the verdicts the committers wait for).
            # The last pack first: sent once every file was read (before the writers are told
            # the job's end), dropped when the reading stopped early.
            steps: list[Callable[[], None]] = [
                lambda: self._pack.discard() if self._stopped else self._pack.send()
            ]
            if prefetcher is not None:
                steps.append(prefetcher.close)
            if hasher is not None:
                steps.append(hasher.close)
            if self._verifier is not None:
                steps.append(self._verifier.stop)  # every ticket it holds gets its verdict
            if self._reread_buffer is not None:
                steps.append(self._reread_buffer.close)
            for step in steps:
                try:
                    step()
                except BaseException as exc:
                    self._bug(exc)

    def _say_waiting(self, waiting: bool) -> None:
        self._sink.emit(SourceWaiting(waiting))

    def _bug(self, exc: BaseException) -> None:
        """An unexpected error on a reader-side thread: kept (the job re-raises the first
        once every thread stopped), the job cancelled."""
        if self.error is None:
            self.error = exc
        self._stopped = True
        self._cancel.cancel()

    def _copy_one(self, ticket: FileTicket, hasher: MultiHasher, fd: int | None) -> None:
        """Copy one ticket's file; *fd*: the descriptor the prefetcher opened it on, now
        the reader's (closed once the file was read, or here if it is not read), else None."""
        source = ticket.task.source
        try:
            # One loop, no comprehension: in Python 3.11 each is a function object made and
            # called, a file (docs/performance.md, "The 50,000-file card's copy phase:
            # twentieth pass").
            targets = ticket.task.targets
            active = []
            for worker in self._workers:
                if targets[worker.index] is None:
                    continue
                if worker.lost is None:
                    active.append(worker)
                else:
                    self._lost_elsewhere(ticket, worker)
            if active:
                if self._started_events:
                    self._sink.emit(FileStarted(source.relative_path, source.size_bytes))
                if self._copy_phase_events:
                    self._sink.emit(PhaseChanged(SOURCE_INDEX, source.relative_path, "copy"))
        except BaseException:
            if fd is not None:
                _close_unread(fd)
            raise
        if not active:
            if fd is not None:
                _close_unread(fd)
            ticket.publish()
            return
        if source.size_bytes < self._small_pool.chunk_size:
            self._copy_small(ticket, hasher, active, fd)
            return
        # A larger file is announced, streamed chunk by chunk and closed; the small files
        # read before it are sent first (each writer takes the files in the order read).
        self._pack.send()
        for worker in active:
            worker.put(StartFile(ticket))
        # From here on *fd* is the read's (``_read_checked`` closes it on every path).
        handed_over = False
        try:
            try:
                self._read_checked(ticket, hasher, active, None, fd)
            except SourceError:
                hasher.hexdigests()  # drain and reset the hashers for the next file
                raise
            for worker in active:
                worker.put(EndFile(ticket))
            if self._verifier is not None:
                # Full mode: the source is re-read on the verifier thread while this one
                # reads the next file; the ticket is published when the re-read is done.
                # This read filled the cache below the card (a FUSE card's device): the
                # re-read drops it first (once for all the files read before that drop).
                self._verifier.submit(ticket, [w.index for w in active], self._below.written())
                handed_over = True
        except SourceError as error:
            ticket.source_error = error
            for worker in active:
                worker.put(AbortFile(ticket))
            self._fail_everywhere(ticket, error, [w.index for w in active])
        finally:
            if not handed_over:
                ticket.publish()

    def _copy_small(
        self,
        ticket: FileTicket,
        hasher: MultiHasher,
        active: list[DestinationWriter],
        fd: int | None,
    ) -> None:
        """Copy a file that fits in one small buffer: read and checked into the current pack
        (``engine.pack``), which goes to the writers with the files around it. One that
        failed is left out of the pack (failed everywhere here); its neighbours go. *fd*: as
        ``_copy_one``'s, closed by the read on every path."""
        handed_over = False
        try:
            try:
                length = self._read_checked(ticket, hasher, active, self._pack, fd)
            except SourceError:
                hasher.hexdigests()  # drain and reset the hashers for the next file
                raise
            self._pack.add(ticket, length)
            if self._verifier is not None:
                # Full mode: re-read on the verifier thread, which publishes the verdict.
                self._verifier.submit(ticket, [w.index for w in active], self._below.written())
            # Transfer mode: the pack publishes the verdict as it is sent.
            handed_over = True
        except SourceError as error:
            ticket.source_error = error
            self._fail_everywhere(ticket, error, [w.index for w in active])
        finally:
            if not handed_over:
                ticket.publish()

    def _read_checked(
        self,
        ticket: FileTicket,
        hasher: MultiHasher,
        active: list[DestinationWriter],
        pack: Pack | None,
        taken: int | None,
    ) -> int:
        """Read, hash and check the file; returns its length. Into *pack* (a small file:
        sent with it later, by the caller, once it passed every check), else chunk by chunk
        to the writers of *active* as it is read. *taken*: the descriptor the prefetcher
        opened the file on (read through the cache), else None: the file is opened here.
        Closed here either way, as part of the read: a close that fails (a card pulled out
        fails its FUSE flush: EIO) is a read error of this file (SourceError), before any
        writer was told the file is whole. Raises SourceError, or CancelledError once the job
        is cancelled (between chunks, or while it waits for a free buffer)."""
        source = ticket.task.source
        path = source.path_text
        if taken is not None:
            fd, direct = taken, False
        else:
            try:
                # Small files are read through the page cache, which the prefetcher filled
                # ahead (one synchronous O_DIRECT read per small file made the reader the
                # bottleneck of a card of small files); large ones stream with O_DIRECT.
                direct_read = (
                    self._options.direct_source_reads and source.size_bytes >= self._pool.chunk_size
                )
                fd, direct = open_for_reading(path, direct=direct_read)
            except OSError as exc:
                raise source_io_error(exc, "open", path) from exc
        try:
            try:
                before = os.fstat(fd)
            except OSError as exc:  # a card pulled out answers EIO even here
                raise source_io_error(exc, "stat", path) from exc
            if not stat.S_ISREG(before.st_mode):
                raise SourceError(f"source {path} is not a regular file", path=path)
            # The date the file showed at the scan (a cascade's fast copy: its own, not the
            # card's it gives its copies, ``model.DatedCopy``).
            seen = source.seen_mtime_ns
            if before.st_size != source.size_bytes or before.st_mtime_ns != seen:
                changed = what_changed(source.size_bytes, seen, before.st_size, before.st_mtime_ns)
                raise SourceChangedError(
                    f"source {path} changed since it was scanned ({changed}); re-run the offload",
                    path=path,
                )
            recorded_size = ticket.task.reference_size
            if recorded_size is not None and before.st_size != recorded_size:
                # The record's size (a legacy MHL's, ``<null>`` hash or not): unlike it, the
                # file fails as for a digest unlike it (the same line, its size named), before
                # a byte of it is read or written anywhere.
                raise SourceError(
                    _history_mismatch(
                        ticket.task.source,
                        "size",
                        f"{before.st_size} bytes",
                        f"{recorded_size} bytes",
                        ticket.task.reference_record,
                    ),
                    path=path,
                )
            # The card file's fingerprint (its ledger entry's: offload.fingerprint), from the
            # bytes this read hashes: no read of its own.
            if pack is not None:
                offset, direct, sample = self._read_into_pack(
                    pack, fd, direct, before.st_size, active, hasher, path
                )
            else:
                sampler = fingerprint.Sampler(before.st_size)
                offset, direct = self._stream(
                    fd, direct, before.st_size, active, hasher, path, sampler
                )
                sample = sampler.hexdigest()
            try:
                after = os.fstat(fd)
            except OSError as exc:
                raise source_io_error(exc, "stat", path) from exc
            if not direct:
                # So a full-mode re-read cannot be answered from RAM. On the descriptor just
                # read (an open of its own was one more open and close a file).
                drop_cache(fd)
        except BaseException:
            _close_unread(fd)  # the error in flight is the one reported
            raise
        try:
            # Never retried: close(2) released the descriptor whatever it returned (Linux),
            # and a second close could close a descriptor another thread was just given.
            os.close(fd)
        except OSError as exc:
            raise source_io_error(exc, "close", path) from exc
        if (
            offset != before.st_size
            or after.st_size != before.st_size
            or after.st_mtime_ns != before.st_mtime_ns
        ):
            changed = what_changed(
                before.st_size, before.st_mtime_ns, after.st_size, after.st_mtime_ns
            )
            short = f"{offset} of {before.st_size} bytes read" if offset != before.st_size else ""
            raise SourceChangedError(
                f"source {path} changed while it was read "
                f"({'; '.join(part for part in (changed, short) if part)}); it was not copied",
                path=path,
            )
        digests = hasher.hexdigests()
        ticket.inflight_digests = digests
        ticket.fingerprint = sample
        reference = ticket.task.reference_digests
        for name, expected in reference.items() if reference else ():
            if name in digests and digests[name] != comparable_digest(name, expected):
                if ticket.task.reference_origin:
                    raise SourceError(
                        f"{path} does not match {ticket.task.reference_origin}: {name} "
                        f"{digests[name]} read, {expected} expected",
                        path=path,
                    )
                raise SourceError(
                    _history_mismatch(
                        ticket.task.source,
                        name,
                        digests[name],
                        expected,
                        ticket.task.reference_record,
                    ),
                    path=path,
                )
        if reference and ticket.task.reference_origin and not any(n in digests for n in reference):
            # A record to check the file against that this read cannot compare with (none of
            # its formats computed): never a pass by default (``existing.record_formats``).
            raise SourceError(
                f"{path} cannot be checked against {ticket.task.reference_origin}: it records "
                f"{', '.join(reference)} only, none of which this run computed",
                path=path,
            )
        trusted = ticket.task.trusted
        if trusted is not None:
            # A copy of it trusted elsewhere (``offload.trusted_copies``): a card file
            # unlike that copy's entry is not committed beside it as verified too.
            unlike = trusted.unlike(path, digests)
            if unlike is not None:
                raise SourceError(unlike, path=path)
        # Only now, once it passed every check: a destination waiting for it (an S3 PutObject)
        # sends the file then, and never for a file that failed here (``publish`` resolves
        # it with None).
        ticket.resolve_hashed(dict(digests))
        ticket.source_cache_bypass = _O_DIRECT if direct else _NOT_READ
        return offset

    def _read_into_pack(
        self,
        pack: Pack,
        fd: int,
        direct: bool,
        size: int,
        active: list[DestinationWriter],
        hasher: MultiHasher,
        path: str,
    ) -> tuple[int, bool, str]:
        """Read a small file of *size* bytes (its ``fstat``) into *pack*'s free part, sending
        the pack first and starting a new one when it must (``Pack.due``), and hash it.
        Returns the bytes read, whether the read was direct and the file's fingerprint
        (``fingerprint.of_bytes`` of them). Raises SourceError, or CancelledError while it
        waits for a free buffer."""
        if pack.due(size, active):
            pack.send()
            pack.start(self._small_pool.acquire(self._cancel, self._on_wait), active)
        chunk = pack.chunk
        assert chunk is not None
        start = pack.used
        writable = chunk.writable
        free = writable[start:]
        try:
            # Up to its size: a second read to find its end was one more system call a
            # small file; a file that grew meanwhile is caught by the fstat after the read.
            n, direct = read_at(fd, free, 0, direct=direct, limit=size)
        except OSError as exc:
            raise source_io_error(exc, failed_read_words(exc, 0, size), path) from exc
        finally:
            free.release()  # no view of the pool's buffer outlives the read (a traceback)
        threaded = hasher.threaded_count
        if threaded:
            chunk.retain(threaded)  # each releases the chunk once it hashed
        data = writable[start : start + n]
        hasher.update(data, release=chunk.release)
        # The card file's fingerprint (its ledger entry's) from the same view of its bytes.
        sample = fingerprint.of_bytes(data)
        if self._read_events:
            self._sink.emit(SourceBytesRead(n))
        return n, direct, sample

    def _stream(
        self,
        fd: int,
        direct: bool,
        size: int,
        active: list[DestinationWriter],
        hasher: MultiHasher,
        path: str,
        sampler: fingerprint.Sampler,
    ) -> tuple[int, bool]:
        """Read a larger file chunk by chunk, handing each chunk to the writers of *active*
        (those not lost), the hashers and *sampler* as it is read. Returns the bytes read and
        whether the reads were direct. Raises SourceError, or CancelledError once the job is
        cancelled: looked at before each read, not only while it waits for a free chunk."""
        offset = 0
        pool = self._pool
        chunk_size = pool.chunk_size
        cancel = self._cancel
        while True:
            # Before each read: a cancelled job's writers hand their chunks back at once, so
            # the pool's wait (which looks at the token too) is never reached, and the rest
            # of a 4 GB clip was read from a slow card after Ctrl-C (minutes on a USB2
            # reader), the job meanwhile taking the running reader for a hung call
            # (``CopyJob._tell_waiting``). One attribute read a chunk.
            if cancel.cancelled:
                raise CancelledError("cancelled")
            chunk = pool.acquire(cancel, self._on_wait)
            try:
                n, direct = read_at(fd, chunk.writable, offset, direct=direct)
            except OSError as exc:
                chunk.hand_out(0)
                raise source_io_error(exc, failed_read_words(exc, offset, size), path) from exc
            if n == 0:
                chunk.hand_out(0)
                break
            chunk.length = n
            chunk.offset = offset
            sampler.take(offset, chunk.data)  # before any consumer may release the chunk
            receivers = [w for w in active if w.lost is None]
            chunk.hand_out(len(receivers) + hasher.threaded_count)
            for worker in receivers:
                worker.put(ChunkReady(chunk))
            hasher.update(chunk.data, release=chunk.release)
            offset += n
            if self._read_events:
                self._sink.emit(SourceBytesRead(n))
            if n < chunk_size:
                break
        return offset, direct

    def _probe_below(self, path: Path) -> None:
        """Find the cache below the card's filesystem (from the mount table, once a job)."""
        try:
            self._below_dev = os.stat(path).st_dev
        except OSError:
            return  # the file's own read will say why
        self._below = cache_below(path)

    def _below_of(self, path: str) -> CacheBelow:
        """The cache below *path*'s filesystem for its re-read: the card's; for a file on
        another filesystem (a mount inside the card), one probed for this read alone, whose
        device cache (if any) it drops."""
        try:
            if os.stat(path).st_dev == self._below_dev:
                return self._below
        except OSError:
            return NOTHING_BELOW  # the re-read's open says why
        return cache_below(path)

    def _reread_source(
        self,
        ticket: FileTicket,
        read_at: int = 0,
        evicted: CacheBypass | None = None,
        buffer: AlignedBuffer | None = None,
    ) -> None:
        """Full mode: re-read the source from the media; it must match the in-flight hash.
        The cache below the card's filesystem is dropped first where one is (a FUSE card's
        block device: the first read filled it), unless a drop since *read_at* (what
        ``written()`` returned after the file's first read) holds for it, and again before
        a second attempt. *evicted*: the file was dropped from the cache, found empty and
        asked to be read from the media in the background (``_SourceVerifier``'s read-ahead,
        ``evict_and_prefetch``: FADVISE); its first attempt reads what that brought in, any
        other (and every second attempt) reads with O_DIRECT or a checked cache drop.
        *buffer*: where it reads (a thread's own: ``_DirectReReader``'s), else the reader's
        re-read buffer (the verifier thread's)."""
        source = ticket.task.source
        if buffer is None:
            if self._reread_buffer is None:
                self._reread_buffer = AlignedBuffer(self._options.chunk_size)
            buffer = self._reread_buffer
        if self._verify_phase_events:
            self._sink.emit(PhaseChanged(SOURCE_INDEX, source.relative_path, "verify"))
        expected = ticket.inflight_digests[self._verify_algorithm]

        def counted(n: int) -> None:
            self._sink.emit(BytesVerified(SOURCE_INDEX, n))

        digest = ""
        digests: list[str] = []  # each attempt's: alike, a stable change
        # The path as text: a Path made of it (three a file here) was a measurable share of
        # a small file's re-read.
        path = source.path_text
        below = self._below_of(path)
        written_at = read_at if below is self._below else None
        for attempt in range(2):  # a mismatch is re-read once before it is declared
            if attempt:
                # The first attempt's data is in the cache below: dropped again.
                written_at = below.written() or None
            ahead = evicted if not attempt else None
            try:
                media = (
                    MediaReader(path, direct=False, evict=False)
                    if ahead is not None
                    else MediaReader(
                        path, direct=True, evict=True, below=below, written_at=written_at
                    )
                )
                digest, size, how = hash_read_back(
                    media,
                    self._verify_algorithm,
                    buffer,
                    cancel=self._cancel,
                    on_bytes=counted if self._verified_events else None,
                    expected_size=source.size_bytes,
                )
            except OSError as exc:
                raise source_io_error(exc, "re-read", path) from exc
            if ahead is not None:
                how = ahead  # how the read-ahead avoided the cache (the read itself used it)
            ticket.source_reread_digests = {self._verify_algorithm: digest}
            ticket.source_cache_bypass = how
            if size != source.size_bytes:
                raise SourceChangedError(
                    f"source {source.path} changed size while it was verified "
                    f"({source.size_bytes} → {size} bytes)",
                    path=source.path,
                )
            if digest == expected:
                return
            digests.append(digest)
        name = self._verify_algorithm
        if digests[0] == digests[-1]:  # a stable change: read alike twice since
            raise SourceChangedError(
                f"source {source.path} reads differently than while copying ({name} "
                f"{expected} while copying, {digest} {REREAD_ALIKE}): {REREAD_ALIKE_CAUSE}",
                path=source.path,
            )
        raise SourceChangedError(
            f"source {source.path} reads differently each time ({name} {expected} while "
            f"copying, then {digests[0]} and {digest} re-read): card, reader or cable is "
            "unreliable, or the file is being modified",
            path=source.path,
        )

    def _reread_one(
        self,
        item: tuple[FileTicket, list[int], int],
        evicted: CacheBypass | None,
        buffer: AlignedBuffer | None,
    ) -> None:
        """Re-read one file (``_reread_source``) on a re-read thread, fail it everywhere if
        it reads otherwise, then publish its verdict, whatever happened (a bug stops the job
        and is kept for it to re-raise)."""
        ticket, indexes, read_at = item
        try:
            if not self._cancel.cancelled:
                self._reread_source(ticket, read_at, evicted, buffer)
        except SourceError as error:
            ticket.source_error = error
            self._fail_everywhere(ticket, error, indexes)
        except CancelledError:
            pass
        except BaseException as exc:  # a bug: stop the job; the job re-raises it
            self._bug(exc)
        finally:
            ticket.publish()


# A card whose device cache is dropped before a re-read (fs/below.py): the verifier waits
# up to this long for up to this many files before it re-reads, so one drop covers them
# (a drop a file cost 1000 × 20 KB on exfat-fuse ~2.2x the time: docs/performance.md).
_GATHER_S = 0.05
_GATHER_FILES = 32
# Full mode's re-read of small files on a card with nothing below its page cache (a kernel
# filesystem over a disk): up to this many files (and bytes) are dropped from the cache and
# asked to be read from the media in the background ahead of the one re-read, as the
# read-backs of a batch are. One synchronous O_DIRECT read a file made the re-read the
# bottleneck of full mode on a card of small files (docs/performance.md, seventh pass).
_AHEAD_FILES = 64
_AHEAD_BYTES = 64 * 1024 * 1024
# Only files below this size: a larger one reads as fast in one O_DIRECT read, and reading
# it ahead through the page cache made full mode slower on a card of 4 MB frames (300 × 4 MB
# to three destinations, interleaved, 3 rounds: 9.55 s against 8.31 s with this bound and
# 8.44 s before the read-ahead existed; docs/performance.md, "Run after this session's
# merges (2026-12-02, 05:07–06:20)").
_AHEAD_BELOW = 1024 * 1024


class _SourceVerifier:
    """Full mode's source re-read, on a thread of its own (started and stopped by the reader).

    Tickets come in order through a bounded queue; each is re-read from the media, compared
    with its in-flight digest, failed everywhere on a mismatch, then published. Never waits on
    a destination, so the committers waiting for its verdicts cannot deadlock with it. On a
    card with nothing below its page cache, every other file below the chunk that is not read
    ahead (a frame) is re-read on a second thread, a ``_DirectReReader`` this thread starts
    and stops: its verdicts are published as it finishes each, out of order with this
    thread's (the committers wait for each ticket's own).
    """

    _QUEUE_TICKETS = 64

    def __init__(self, reader: SourceReader) -> None:
        self._reader = reader
        self._queue: queue.Queue[tuple[FileTicket, list[int], int] | None] = queue.Queue(
            maxsize=self._QUEUE_TICKETS
        )
        # The read-ahead (verifier thread only): the first ``_decided`` items of ``pending``
        # were looked at; ``_evicted`` holds, by ticket sequence, how each file read ahead
        # avoided the cache (FADVISE), and ``_ahead_bytes`` their sizes' sum.
        self._decided = 0
        self._evicted: dict[int, CacheBypass] = {}
        self._ahead_bytes = 0
        self._thread = threading.Thread(target=self._run, name="source-verifier")
        self._thread.start()

    def submit(self, ticket: FileTicket, indexes: list[int], read_at: int) -> None:
        """Queue *ticket* for its re-read; *read_at*: what the card's ``CacheBelow.written``
        returned once its first read was done."""
        self._queue.put((ticket, indexes, read_at))

    def _gather(self, pending: deque[tuple[FileTicket, list[int], int] | None]) -> None:
        """Wait (at most ``_GATHER_S``) for up to ``_GATHER_FILES`` files read, so that one
        drop of the card's device cache precedes all their re-reads. Never waits on anything
        but the reader's queue, with a timeout: it cannot deadlock with a destination."""
        deadline = time.monotonic() + _GATHER_S
        while len(pending) < _GATHER_FILES and pending[-1] is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                pending.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                return

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        pending: deque[tuple[FileTicket, list[int], int] | None] = deque()
        second: _DirectReReader | None = None
        try:
            if self._reader._below.kind == "":
                second = _DirectReReader(self._reader)
            self._serve(pending, second)
        except BaseException as exc:  # a bug: stop the job; the job re-raises it
            self._reader._bug(exc)
            # Every ticket still held or queued gets its verdict (the committers wait for
            # it; cancelled, they stop waiting), and the queue is drained to the reader's
            # end (its ``submit`` and ``stop`` block on a full queue).
            while True:
                item = pending.popleft() if pending else self._queue.get()
                if item is None:
                    return
                item[0].publish()
        finally:
            if second is not None:
                second.stop()  # every ticket handed to it has its verdict once it returns

    def _read_ahead(self, pending: deque[tuple[FileTicket, list[int], int] | None]) -> None:
        """Take the tickets already queued (never waiting) and read ahead the small files
        among them, in order, within ``_AHEAD_FILES`` and ``_AHEAD_BYTES``: each is dropped
        from the cache, checked empty (``mincore``) and asked to be read from the media in
        the background (``evict_and_prefetch``). A file that is large, empty, on another
        filesystem with a cache below it, still cached after the drop, or that could not be
        opened is left to the O_DIRECT re-read (its error, if any, is the re-read's)."""
        reader = self._reader
        while len(pending) < _AHEAD_FILES and pending[-1] is not None:
            try:
                pending.append(self._queue.get_nowait())
            except queue.Empty:
                break
        small_below = min(reader._pool.chunk_size, _AHEAD_BELOW)
        while self._decided < len(pending):
            item = pending[self._decided]
            if item is None:
                return
            source = item[0].task.source
            size = source.size_bytes
            if 0 < size < small_below:
                if self._ahead_bytes and self._ahead_bytes + size > _AHEAD_BYTES:
                    return  # the window is full: decided once earlier files are read
                path = source.path_text
                try:
                    if reader._below_of(path).kind == "":
                        how = evict_and_prefetch(path)
                        if how is CacheBypass.FADVISE:
                            self._evicted[item[0].sequence] = how
                            self._ahead_bytes += size
                except OSError:
                    pass  # the re-read opens it again and says why
            self._decided += 1

    def _serve(
        self,
        pending: deque[tuple[FileTicket, list[int], int] | None],
        second: _DirectReReader | None,
    ) -> None:
        reader = self._reader
        # Nothing known below the card's page cache (a kernel filesystem over a disk): read
        # ahead. A card with a device cache below gathers files for one drop instead.
        ahead = reader._below.kind == ""
        chunk_size = reader._pool.chunk_size
        handed = False  # whether the last direct re-read below the chunk went to *second*
        while True:
            if not pending:
                pending.append(self._queue.get())
                if reader._below.kind == "device":
                    self._gather(pending)
            if ahead:
                self._read_ahead(pending)
            item = pending.popleft()
            if self._decided:
                self._decided -= 1
            if item is None:
                return
            ticket = item[0]
            evicted = self._evicted.pop(ticket.sequence, None)
            if evicted is not None:
                self._ahead_bytes -= ticket.task.source.size_bytes
            elif second is not None and ticket.task.source.size_bytes < chunk_size:
                # A frame read with O_DIRECT: every other one on the second thread (it
                # waits at most for the one it is re-reading), the rest here meanwhile.
                handed = not handed
                if handed:
                    second.put(item)
                    continue
            reader._reread_one(item, evicted, None)


class _DirectReReader:
    """Full mode's second re-read thread: re-reads the files ``_SourceVerifier`` hands it
    (frames below the chunk, each one O_DIRECT read from the media, exactly as the verifier
    re-reads its own) into a buffer of its own, one at a time, and publishes each verdict.

    Why: one synchronous O_DIRECT request at a time made the re-read the lane every commit
    waited for on an image sequence (300 × 4 MB frames to three destinations on the card's
    disk: each batch committed as the re-read reached its last frame, and the re-read ended
    0.45-0.93 s after the card's first read; docs/performance.md, "The image sequence in
    full mode: eighteenth pass"); with every other frame here, two requests are in flight.
    Larger files keep one re-read at a time (their 8 MiB reads; the large cards' ratios
    were measured so).

    Threading: started and stopped by the verifier's thread, the only one that calls
    ``put`` (blocks while the one slot is taken: at most the one re-read running here) and
    ``stop`` (returns once every file handed over has its verdict). It waits on nothing but
    its slot, so the committers waiting for its verdicts cannot deadlock with it. A bug
    stops the job (``SourceReader._bug``) and every later file still gets its verdict.
    """

    def __init__(self, reader: SourceReader) -> None:
        self._reader = reader
        self._slot: queue.Queue[tuple[FileTicket, list[int], int] | None] = queue.Queue(maxsize=1)
        self._thread = threading.Thread(target=self._run, name="source-verifier-2")
        self._thread.start()

    def put(self, item: tuple[FileTicket, list[int], int]) -> None:
        self._slot.put(item)

    def stop(self) -> None:
        self._slot.put(None)
        self._thread.join()

    def _run(self) -> None:
        buffer: AlignedBuffer | None = None
        item: tuple[FileTicket, list[int], int] | None = None
        try:
            while (item := self._slot.get()) is not None:
                if buffer is None:  # made for the first file (a card may hand it none)
                    buffer = AlignedBuffer(self._reader._options.chunk_size)
                self._reader._reread_one(item, None, buffer)
        except BaseException as exc:  # a bug (the buffer could not be made): stop the job
            self._reader._bug(exc)
            if item is not None:
                item[0].publish()
            while (item := self._slot.get()) is not None:
                item[0].publish()
        finally:
            if buffer is not None:
                buffer.close()


class _Prefetcher:
    """Asks the kernel to read the next small files ahead (POSIX_FADV_WILLNEED), so a card of
    small files is read with many requests in flight instead of one at a time.

    At most ``window_bytes`` (and ``window_files`` files) are requested ahead of the file
    being copied. Reader thread only.

    The descriptor each hint was given on stays open until the reader gets to its file: the
    reader takes it (``take``) and reads the file from it, one open a file instead of two (the
    hint's, then the read's); closing it is then the reader's, as part of that file's read.
    What is read is what was at the path when the hint was given; the reader's ``fstat``
    checks against the scan are made on that descriptor, before and after the read, as on
    one of its own. A descriptor nothing was read from (the job stopped before its file) is
    closed here, its close's error ignored: no data of the copy came through it.
    """

    def __init__(
        self,
        tickets: Sequence[FileTicket],
        *,
        small_below: int,
        window_bytes: int = 64 * 1024 * 1024,
        window_files: int = PREFETCH_FILES,
    ) -> None:
        self._tickets = tickets
        self._small_below = small_below
        self._window_bytes = window_bytes
        self._window_files = window_files
        self._next = 0  # the first ticket not yet considered
        # (index, size, descriptor) requested ahead, in order; each descriptor is ours
        self._ahead: deque[tuple[int, int, int]] = deque()
        self._ahead_bytes = 0
        self._taken: tuple[int, int] | None = None  # (index, descriptor) of the current file

    def advance(self, current: int) -> None:
        """Request the files ahead of ticket *current* (the one about to be copied); close
        the descriptors of the files before it (none were read from)."""
        taken, self._taken = self._taken, None
        if taken is not None:  # never taken: nothing was read from it
            _close_unread(taken[1])
        while self._ahead and self._ahead[0][0] <= current:
            index, size, fd = self._ahead.popleft()
            self._ahead_bytes -= size
            if index == current:
                self._taken = (index, fd)
            else:
                _close_unread(fd)
        # The window's loop on locals, stored back once (in ``finally``: what was opened is
        # counted whatever raised): it runs once a file, and was the most of the reader's
        # Python a small file (docs/performance.md, "The 50,000-file card's copy phase:
        # twentieth pass").
        following = self._next
        if following <= current:
            following = current + 1
        tickets = self._tickets
        last = min(len(tickets), current + self._window_files + 1)
        ahead = self._ahead
        ahead_bytes = self._ahead_bytes
        window_bytes = self._window_bytes
        small_below = self._small_below
        try:
            while following < last and ahead_bytes < window_bytes:
                index = following
                following += 1
                task = tickets[index].task
                size = task.source.size_bytes
                if size == 0 or size >= small_below or not any(task.targets):
                    continue
                try:
                    fd = os.open(task.source.path_text, _PREFETCH_FLAGS)
                except OSError:
                    continue  # the reader reports it when it gets there
                try:
                    os.posix_fadvise(fd, 0, size, _WILLNEED)
                except OSError:
                    pass
                ahead.append((index, size, fd))
                ahead_bytes += size
        finally:
            self._next = following
            self._ahead_bytes = ahead_bytes

    def take(self, current: int) -> int | None:
        """The descriptor of ticket *current*'s file, if a hint opened it, else None; from
        now on the caller's to close (the prefetcher forgets it)."""
        taken, self._taken = self._taken, None
        if taken is not None and taken[0] == current:
            return taken[1]
        if taken is not None:
            _close_unread(taken[1])
        return None

    def close(self) -> None:
        """Close every descriptor still held (the job ended, or stopped early)."""
        taken, self._taken = self._taken, None
        if taken is not None:
            _close_unread(taken[1])
        while self._ahead:
            _close_unread(self._ahead.popleft()[2])
        self._ahead_bytes = 0


def _history_mismatch(
    source: SourceFile, name: str, read: str, recorded: str, record: str = ""
) -> str:
    """The one line for a card file whose digest is not the one the card's own ASC MHL
    history records (or *record*, in words: a legacy MHL on the card, or a history nested
    in its folders): the file, what
    changed (its content: the digests; its size and date now), why it may have (a sidecar
    rewritten by an app since, e.g. an edited .xml or .json, or damage: both possible,
    neither proved) and the ways on (its recorded version from a copy the record verified,
    or the file left out with ``--ignore``, its exact pattern). Not copied: a mismatch
    fails the file on every destination."""
    from offload.manifest.as_written import as_recorded  # a legacy MHL's <xxhash64>

    recorded = as_recorded(recorded)
    which = record or "the card's own ASC MHL history"
    # A legacy MHL is an "MHL" (its kind: MhlRecord); any other record is an ASC MHL
    # history (the card's root one, one nested in its folders, a fast copy's): a "history".
    short = "MHL" if isinstance(record, MhlRecord) else "history"

    from offload.report.dates import utc_words  # only for a mismatch's line

    # The file's own date, as read: a DatedCopy's mtime_ns is its card's, not this file's.
    # UTC: the line is the file's error in every report (``utc_words``).
    moment = utc_words(source.seen_mtime_ns // 1_000_000_000, seconds=True)
    exact = "".join("\\" + c if c in "\\*?[" else c for c in source.relative_path)
    return (
        f"source {source.path_text} does not match {which}: {name} "
        f"{read} read, {recorded} recorded: its content changed since that {short} recorded "
        f"it (now {source.size_bytes} bytes, modified {moment}), edited since (a sidecar an "
        f"app rewrote) or damaged; it was not copied: copy the version the {short} records "
        "from a copy it verified, or leave this file out with --ignore "
        f"{shell_word('/' + exact)}"
    )


def _close_unread(fd: int) -> None:
    """Close a card file's descriptor whose close has nothing to report: nothing of the
    copy was read through it, or the read's own error is the one reported. Its error is
    ignored (a card pulled out fails the FUSE flush of every close: EIO) and the close is
    never retried: Linux released the descriptor whatever close(2) returned, and a second
    close could close one another thread was just given."""
    try:
        os.close(fd)
    except OSError:
        pass
