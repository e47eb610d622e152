"""A copy job: N files, M destinations, one read of each source byte. The most important file.

``CopyJob.run()`` starts one reader thread and one writer thread per destination (each with a
committer thread), waits for them and returns a JobReport. Data flow (docs/design.md): the reader
reads each file once into pooled buffers, hashes it in flight and fans the chunks out through
each writer's queue (what they hold is bounded by the pools); each destination's writer
writes a partial through its destination backend (``offload.destinations``), its committer
makes it durable, reads it back from the media, compares with the reader's digest (and, in
full mode, with the reader's source re-read), then publishes it under its final name and
makes the name durable. Memory is bounded by
``chunk_size × (queue_depth + 2)`` + 48 MiB of small-file buffers, plus one read-back buffer
a destination.
"""

from __future__ import annotations

import dataclasses
import errno
import operator
import resource
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from offload.destinations.base import Destination
from offload.destinations.local import LocalDestination
from offload.destinations.shared_syncfs import SharedSyncfsTable
from offload.destinations.unreachable import UnreachableDestination
from offload.engine.buffers import ChunkPool
from offload.engine.cancel import CANCEL_WAITING_S, CancelToken
from offload.engine.devices import DeviceGroup, group_destinations, read_back_gates
from offload.engine.messages import FileTask, FileTicket, VerdictBoard
from offload.engine.reader import (
    PREFETCH_DESCRIPTORS,
    PREFETCH_FILES,
    SOURCE_INDEX,
    SourceReader,
)
from offload.engine.state import BATCHES_HELD, DestinationState
from offload.engine.writer import DestinationWriter
from offload.errors import DestinationError, SourceError
from offload.events import (
    CancelWaiting,
    Event,
    EventSink,
    FileFailed,
    FileVerified,
    FileVerifiedEarlier,
    JobFinished,
    JobStarted,
    NullSink,
    WarningIssued,
    wanted,
)
from offload.hashing.registry import ALGORITHMS, fastest
from offload.ledger import Ledger
from offload.options import CopyOptions, ExistingFilePolicy
from offload.remedies import Remedy
from offload.results import (
    NO_DIGESTS,
    CacheBypass,
    CopyAction,
    DestinationFileResult,
    DestinationStatus,
    DestinationSummary,
    FileResult,
    JobReport,
    counted_outcomes,
    job_exit_code,
)

# Read-backs hash with one algorithm; a fast one, added to the in-flight hashes if the user
# selected only slow ones (bytes that match under XXH3-128 match under every hash).
_FAST_VERIFY_ALGORITHM = "xxh128"
# Files smaller than SMALL_CHUNK_SIZE are read into buffers of that size, SMALL_CHUNKS of
# them (48 MiB), packed (``engine.pack``): a card of small files keeps up to 48 packs, each
# up to ``PACK_FILES`` files, in flight.
SMALL_CHUNK_SIZE = 1024 * 1024
SMALL_CHUNKS = 48
# Descriptors kept free for everything but the batches' partials and the reader's prefetch
# window (counted apart): large sources, the source re-read, reports, the interpreter's own.
_SPARE_FILE_DESCRIPTORS = 128
# And a destination's own, open at once besides its partials: its read-back, a folder being
# fsynced, its ledger, its lock, its root.
_SPARE_DESCRIPTORS_PER_DESTINATION = 6
# Looked up once: ``DestinationStatus.FAILED`` goes through ``EnumType.__getattr__`` in
# Python 3.11, and ``_ResultBook.record`` asks it once a file and destination.
_FAILED = DestinationStatus.FAILED
_NOT_READ = CacheBypass.NOT_READ
# A file's results in the order of the destinations (``_ResultBook.finish``).
_BY_DESTINATION = operator.attrgetter("destination_index")


def verification_algorithm(selected: Sequence[str]) -> str:
    """The algorithm read-backs are hashed with: the fastest selected xxh, else xxh128;
    never a format only checked against a legacy MHL (xxh32: not in ``ALGORITHMS``), whose
    32 bits prove a copy less than the 64 or 128 of one chosen."""
    fast = [name for name in selected if name in ALGORITHMS and ALGORITHMS[name].inline]
    if not fast:
        return _FAST_VERIFY_ALGORITHM
    return fastest(fast)


class _SignallingThread(threading.Thread):
    """A thread that sets ``done`` when its body returns or raises."""

    def __init__(self, name: str, body: Callable[[], None]) -> None:
        super().__init__(name=name)
        self._body = body
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self._body()
        finally:
            self.done.set()


def _fit_batches_to_open_file_limit(
    options: CopyOptions, destinations: int
) -> tuple[CopyOptions, int]:
    """Keep the descriptors a job holds open within the open-file limit: the options with
    batches that fit, and the reader's prefetch window (files).

    Each destination holds up to ``BATCHES_HELD`` batches of open partials (one being
    written, two waiting for its committer, one it commits); the reader holds its prefetch
    window's descriptors and the current file's (``PREFETCH_DESCRIPTORS``); each destination
    a few of its own. The soft limit is raised towards the hard one first (the default of
    1024 would allow only a few destinations); if it is still too low, batches get smaller,
    never the other way round (EMFILE would fail files that are fine), down to one file; below
    that the prefetch window shrinks to what is left (none: each small file read on a
    descriptor of its own, one at a time).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    own = _SPARE_FILE_DESCRIPTORS + _SPARE_DESCRIPTORS_PER_DESTINATION * destinations
    per_batch_file = BATCHES_HELD * destinations
    wanted = per_batch_file * options.batch_files + PREFETCH_DESCRIPTORS + own
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return options, PREFETCH_FILES
    batch_files = max(1, (soft - PREFETCH_DESCRIPTORS - own) // per_batch_file)
    left = soft - own - per_batch_file * batch_files
    # the window's descriptors and the current file's
    prefetch_files = max(0, min(PREFETCH_FILES, left - 1))
    return dataclasses.replace(options, batch_files=batch_files), prefetch_files


def preset_event(relative_path: str, result: DestinationFileResult) -> Event | None:
    """The event announcing a result known before the copy (trusted from the ledger, or an
    existing copy read back by the card layer); None for a cancelled one (cancelled copies
    are reported in the job report, never as events, as the job's own are)."""
    if result.action is CopyAction.TRUSTED:  # verified earlier, or transfer-checked earlier
        return FileVerifiedEarlier(
            result.destination_index,
            relative_path,
            result.final_path,
            result.verified_at,
            result.verified_mode,
            result.status.value,
            result.size_checked_only,
        )
    if result.status in (DestinationStatus.VERIFIED, DestinationStatus.TRANSFER_CHECKED):
        return FileVerified(
            result.destination_index,
            relative_path,
            result.final_path,
            result.status.value,
            dict(result.digests),
        )
    if result.status is DestinationStatus.CANCELLED:
        return None
    return FileFailed(result.destination_index, relative_path, result.error or result.status)


class _ResultBook:
    """Collects per-destination results into FileResults. Thread-safe (one lock)."""

    def __init__(
        self,
        report: JobReport,
        tickets: Sequence[FileTicket],
        selected: Sequence[str],
        sink: EventSink,
        on_source_failed: Callable[[FileTask, Mapping[str, str], int | None], None] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        # Told of each file the source failed, before its failure is announced (``CopyJob``).
        self._on_source_failed = on_source_failed
        # The files and destinations whose event ``announce`` emits right now (decided
        # under the lock, emitted after it): a result ``record``ed for one of them waits for
        # that emit before its own, so a file's events on a destination stay in order.
        self._announcing: set[tuple[int, int]] = set()
        self._announced = threading.Condition(self._lock)
        self._waiting = 0  # ``record``s waiting on it (none, nearly always: no notify then)
        self._report = report
        self._selected = tuple(selected)
        self._sink = sink
        # Whether the sink takes FileVerified at all (``events.wanted``): ``offload copy
        # --quiet`` does not, and one a file and destination was a share of its cost.
        self._verified_events = wanted(sink, FileVerified)
        self._results: dict[int, FileResult] = {}
        results = self._results
        files = report.files
        for ticket in tickets:
            task = ticket.task
            source = task.source
            # By position (relative path, size, mtime, the in-flight and re-read digests,
            # the source error known before the copy (None: the usual task, the reader's
            # ``fail_everywhere`` sets one found now), not read, its results): a dataclass's
            # keywords, and its default factories' Python calls, were ~0.5 µs a file before
            # the job's first byte (docs/performance.md, "The 50,000-file card's copy
            # phase: twentieth pass").
            result = FileResult(
                source.relative_path,
                source.size_bytes,
                source.mtime_ns,
                NO_DIGESTS,
                NO_DIGESTS,
                task.source_error,
                _NOT_READ,
                list(task.preset),
            )
            results[ticket.sequence] = result
            files.append(result)

    def record(self, ticket: FileTicket, result: DestinationFileResult) -> None:
        """Keep the first result per file and destination (a source error and a lost
        destination can both fail the same file; the first cause is the one reported)."""
        index = result.destination_index
        with self._lock:
            results = self._results[ticket.sequence].destinations
            for earlier in results:  # a loop, not any() of a generator: one record a file
                if earlier.destination_index == index:
                    return
            results.append(result)
            if self._announcing:  # rare: only while a writer emits its phase event
                while (ticket.sequence, index) in self._announcing:
                    self._waiting += 1
                    try:
                        self._announced.wait()
                    finally:
                        self._waiting -= 1
        if result.status is _FAILED:
            self._sink.emit(
                FileFailed(result.destination_index, ticket.relative_path, result.error or "failed")
            )
        elif self._verified_events:
            self._sink.emit(
                FileVerified(
                    result.destination_index,
                    ticket.relative_path,
                    result.final_path,
                    result.status.value,
                    dict(result.digests),
                )
            )

    def announce(self, index: int, ticket: FileTicket, event: Event) -> None:
        """Emit *event* of *ticket*'s file on destination *index* unless ``record`` kept a
        result for it there already. Decided under the lock ``record`` keeps a result
        under, emitted after it (a slow sink, ``--json | less``, holds no other file's
        ``record``); a result recorded for that file and destination meanwhile waits for
        this emit before its own: each file's events on a destination stay in order (a
        ``copy`` phase never after its ``file_failed``)."""
        key = (ticket.sequence, index)
        with self._lock:
            for earlier in self._results[ticket.sequence].destinations:
                if earlier.destination_index == index:
                    return
            self._announcing.add(key)  # one writer a destination: never there already
        try:
            self._sink.emit(event)
        finally:
            with self._lock:
                self._announcing.discard(key)
                if self._waiting:
                    self._announced.notify_all()

    def fail_everywhere(
        self, ticket: FileTicket, error: SourceError, indexes: Sequence[int]
    ) -> None:
        with self._lock:
            self._results[ticket.sequence].source_error = error.message
        if self._on_source_failed is not None:
            # Before the failure is announced: what it does (a cascade's revocation of a fast
            # copy found damaged) is done, durably, whatever cancels or kills the run next.
            try:
                self._on_source_failed(
                    ticket.task, dict(ticket.inflight_digests or {}), error.errno
                )
            except Exception as exc:  # a bug: the job's warning, never the reader's death
                # (which would leave the file without its failure and the job without a
                # reader: every destination waiting on it).
                said = (
                    f"{ticket.relative_path}: what was to be done as its source failed (a "
                    f"cascade: revoke the fast copy found unlike the card) raised "
                    f"{type(exc).__name__}: {exc}; it may not be done: re-run with the card "
                    "and --reverify"
                )
                with self._lock:
                    self._report.warnings.append(said)
                self._sink.emit(WarningIssued(said, ticket.task.source.path_text))
        self._sink.emit(FileFailed(SOURCE_INDEX, ticket.relative_path, error.message))
        for index in indexes:
            target = ticket.task.targets[index]
            self.record(
                ticket,
                DestinationFileResult(
                    destination_index=index,
                    final_path=str(target),
                    status=DestinationStatus.FAILED,
                    error=error.message,
                ),
            )

    def lost_elsewhere(self, ticket: FileTicket, worker: DestinationWriter) -> None:
        assert worker.lost is not None
        self.record(
            ticket,
            DestinationFileResult(
                destination_index=worker.index,
                final_path=str(ticket.task.targets[worker.index]),
                status=DestinationStatus.FAILED,
                error=f"not copied: destination lost ({worker.lost.message})",
            ),
        )

    def _selected_digests(self, digests: Mapping[str, str]) -> dict[str, str]:
        """The selected algorithms' digests of *digests*: the reader's own dict when it holds
        just those, in that order (the usual case; one dict a file is kept, not two)."""
        if not digests:
            return NO_DIGESTS
        if isinstance(digests, dict) and tuple(digests) == self._selected:
            return digests
        return {name: digests[name] for name in self._selected if name in digests}

    def finish(self, tickets: Sequence[FileTicket], *, cancelled: bool) -> None:
        """Copy the reader's digests into the results (once every thread has stopped), and
        give every file a result on every destination it was meant for: ``cancelled`` for
        those the job never finished (so a report is complete, never silent)."""
        for ticket in tickets:
            result = self._results[ticket.sequence]
            destinations = result.destinations
            targets = ticket.task.targets
            # A result for every destination (the usual end): nothing to add, and no set,
            # loop or sort key made a file on the main thread, after the engine's threads
            # stopped (docs/performance.md, "A few calls a file less": thirty-second pass).
            # A file holds at most one result a destination (``record`` keeps the first; a
            # plan presets one at most), so as many results as destinations is one for each.
            if len(destinations) != len(targets):
                _add_missing(destinations, targets, cancelled=cancelled)
            result.inflight_digests = self._selected_digests(ticket.inflight_digests)
            reread = ticket.source_reread_digests
            result.source_reread_digests = dict(reread) if reread else NO_DIGESTS
            result.source_cache_bypass = ticket.source_cache_bypass
            if len(destinations) > 1:
                destinations.sort(key=_BY_DESTINATION)


def _add_missing(
    destinations: list[DestinationFileResult],
    targets: Sequence[str | None],
    *,
    cancelled: bool,
) -> None:
    """A result in *destinations* (one file's) for each destination of *targets* (its
    targets, None where it is not copied) that has none: ``cancelled`` where the job was,
    else failed (no outcome recorded: an internal error)."""
    have = {d.destination_index for d in destinations}
    for index, target in enumerate(targets):
        if target is not None and index not in have:
            destinations.append(
                DestinationFileResult(
                    destination_index=index,
                    final_path=str(target),
                    status=DestinationStatus.CANCELLED if cancelled else DestinationStatus.FAILED,
                    error="cancelled before it was verified"
                    if cancelled
                    else "no outcome recorded (internal error)",
                )
            )


class CopyJob:
    """Copies files to several destinations with verification (see module docstring).

    ``run()`` blocks until every thread has stopped and returns the report; it raises only for
    bugs (an unexpected exception in the reader is re-raised after a clean stop). A
    KeyboardInterrupt while waiting cancels the job: partials are removed and the report says
    ``cancelled`` (exit code 130). Use a CancelToken to cancel from elsewhere (signal handler).
    One job runs once.

    ``destinations``: the backends to write through, one per root (default, and for a None
    entry: a ``LocalDestination`` on that root, made when the job runs and closed when it
    ends); the caller's, which the caller closes (``destinations.base``, "Lifetime").
    ``devices``: the destinations grouped by the disk they share, with each group's
    read-back decision (``engine.devices.group_destinations``; default: grouped when the job
    runs, by ``options.device_concurrency``); recorded in the report.
    ``remedies``: by target, what the refusal of a file in the way there says to do where
    it is not ``remedies.in_the_way()``'s (a copy of ours: ``--reverify`` replaces it), with
    the refusal's kind (``remedies.Remedy``: another card's copy, ``Refusal.ANOTHER_CARD``);
    a ``remedies.Remedies`` also words the others, never --overwrite first where a copy
    never to be overwritten stands in the run's way (``Remedies.protected``).
    ``root_devices``: by destination index, the device (``st_dev``) the plan saw at that
    root (``OffloadPlan.destination_devices``), which the ``LocalDestination`` made for it
    compares every later look with (a root on another device when the job starts: a drive
    pulled since, its empty mount point the disk below, is lost at its first file, nothing
    written there); a root not given is taken as the job finds it.
    ``on_source_failed``: called with each file the source failed, the digests its read
    computed (none for a read that failed before its end) and the failure's errno (None
    for one that is no OS error: a source changed, or read differently twice), before
    that failure is announced or the reading thread goes on: from the reader's thread, and
    from the source re-read's threads (``--verify full``'s second read of the source,
    ``reader._reread_one``), so
    from several threads at once: it must be thread-safe. One that raises is a bug: its
    error is the job's warning (``JobReport.warnings``, a WarningIssued), and the file's
    failure is announced all the same.
    ``keep_taken``: the indexes of the local destinations where a file another writer
    published at a final name while it was written is read back and, equal to what this
    run read from the source, kept (the one-file copy, ``api``: ``engine/taken.py``).
    """

    def __init__(
        self,
        tasks: Sequence[FileTask],
        destination_roots: Sequence[Path],
        options: CopyOptions,
        *,
        sink: EventSink | None = None,
        cancel: CancelToken | None = None,
        ledgers: Sequence[Ledger | None] | None = None,
        destinations: Sequence[Destination | None] | None = None,
        devices: Sequence[DeviceGroup] | None = None,
        remedies: Mapping[str, Remedy] | None = None,
        root_devices: Mapping[int, int] | None = None,
        on_source_failed: Callable[[FileTask, Mapping[str, str], int | None], None] | None = None,
        keep_taken: frozenset[int] = frozenset(),
    ) -> None:
        self.tasks = list(tasks)
        self.keep_taken = keep_taken
        self.on_source_failed = on_source_failed
        # (None alone: an empty ``remedies.Remedies`` still says whether --overwrite may be
        # offered, ``Remedies.protected``.)
        self.remedies = remedies if remedies is not None else {}
        self.root_devices = root_devices or {}
        self.ledgers = list(ledgers) if ledgers is not None else [None] * len(destination_roots)
        self.destination_roots = [Path(root) for root in destination_roots]
        self.destinations = list(destinations) if destinations is not None else None
        if self.destinations is not None and len(self.destinations) != len(self.destination_roots):
            raise ValueError("one destination backend per destination root")
        self.options = options
        self.devices = list(devices) if devices is not None else None
        self.sink = sink or NullSink()
        self.cancel = cancel or CancelToken()
        count = len(self.destination_roots)
        for task in self.tasks:
            if len(task.targets) != count:
                raise ValueError("every task needs one target (or None) per destination")

    def _mounted_copy_root(self, index: int) -> tuple[Path, int] | None:
        """The copy root of destination *index* and its device as the plan saw it, where
        that is another device than the destination's (a drive mounted at ``DEST/A001``
        itself, or a btrfs subvolume there): its ``LocalDestination`` compares it too, so a
        drive pulled there is lost before anything is written into its bare mount point
        (``DEST`` itself never moved). None elsewhere: no second ``stat`` a check."""
        ledger = self.ledgers[index] if index < len(self.ledgers) else None
        root_device = self.root_devices.get(index)
        if ledger is None or root_device is None:
            return None
        seen = ledger.root_device
        if seen is None or seen == root_device:
            return None
        return ledger.copy_root, seen

    def run(self) -> JobReport:
        options, prefetch_files = _fit_batches_to_open_file_limit(
            self.options, len(self.destination_roots)
        )
        verify_algorithm = verification_algorithm(options.algorithms)
        hash_names = list(options.algorithms)
        if verify_algorithm not in hash_names:
            hash_names.append(verify_algorithm)
        report = JobReport(
            verify=options.verify.value, algorithms=options.algorithms, started_at=time.time()
        )
        board = VerdictBoard()
        tickets = [FileTicket(task, sequence, board) for sequence, task in enumerate(self.tasks)]
        book = _ResultBook(report, tickets, options.algorithms, self.sink, self.on_source_failed)
        devices = [str(root) for root in self.destination_roots]
        self.sink.emit(
            JobStarted(
                files=len(tickets),
                total_bytes=sum(t.source.size_bytes for t in self.tasks),
                destinations=tuple(str(r) for r in self.destination_roots),
                verify=options.verify.value,
                algorithms=options.algorithms,
            )
        )
        for task in self.tasks:  # results known before copying count as done
            if task.source_error is not None:  # (its copies' results are presets)
                self.sink.emit(
                    FileFailed(SOURCE_INDEX, task.source.relative_path, task.source_error)
                )
            for preset in task.preset:
                event = preset_event(task.source.relative_path, preset)
                if event is not None:
                    self.sink.emit(event)
        started = time.monotonic()
        pool = ChunkPool(count=options.queue_depth + 2, chunk_size=options.chunk_size)
        small_pool = ChunkPool(
            count=SMALL_CHUNKS, chunk_size=min(SMALL_CHUNK_SIZE, options.chunk_size)
        )
        given = self.destinations or [None] * len(self.destination_roots)
        # One syncfs at a time for the local destinations that share a filesystem.
        syncfs_table = SharedSyncfsTable()
        backends: list[Destination] = [
            backend
            if backend is not None
            else _local(
                root,
                devices[index],
                options,
                syncfs_table,
                self.root_devices.get(index),
                self._mounted_copy_root(index),
            )
            for index, (root, backend) in enumerate(zip(self.destination_roots, given, strict=True))
        ]
        # A backend may name itself better than its root (s3://bucket/prefix).
        devices = [getattr(b, "device", d) for b, d in zip(backends, devices, strict=True)]
        groups = self.devices
        if groups is None:
            groups = group_destinations(
                self.destination_roots,
                mode=options.device_concurrency,
                remote=[
                    None if isinstance(b, LocalDestination | UnreachableDestination) else name
                    for b, name in zip(backends, devices, strict=True)
                ],
            )
        report.devices = list(groups)
        gates = read_back_gates(groups, len(backends))
        # With --keep-both, the names the card's files take on each destination: none is
        # keep-both's to give another file (the committer's choice at publish; an S3 key is
        # chosen as its upload opens: ``reserve_names``). Not made otherwise: nothing asks.
        card_names = [frozenset[str]()] * len(backends)
        if options.existing is ExistingFilePolicy.KEEP_BOTH:
            card_names = [
                frozenset(t for task in self.tasks if (t := task.targets[index]) is not None)
                for index in range(len(backends))
            ]
            for backend, names in zip(backends, card_names, strict=True):
                backend.reserve_names(names)
        workers = [
            DestinationWriter(
                DestinationState(
                    index=index,
                    destination=backends[index],
                    device=devices[index],
                    options=options,
                    verify_algorithm=verify_algorithm,
                    sink=self.sink,
                    cancel=self.cancel,
                    record=book.record,
                    announce=book.announce,
                    ledger=self.ledgers[index],
                    read_back_gate=gates[index],
                    remedies=self.remedies,
                    card_names=card_names[index],
                    keep_taken=index in self.keep_taken,
                ),
            )
            for index in range(len(self.destination_roots))
        ]
        reader = SourceReader(
            pool=pool,
            small_pool=small_pool,
            workers=workers,
            options=options,
            hash_names=hash_names,
            verify_algorithm=verify_algorithm,
            sink=self.sink,
            cancel=self.cancel,
            fail_everywhere=book.fail_everywhere,
            lost_elsewhere=book.lost_elsewhere,
            prefetch_files=prefetch_files,
        )
        bodies: list[tuple[str, Callable[[], None]]] = [
            (f"destination-{w.index}", w.run) for w in workers
        ]
        bodies.append(("reader", lambda: reader.run(tickets)))
        threads = [_SignallingThread(name, body) for name, body in bodies]
        # The reader's and each local destination's made with the handled signals blocked,
        # as every thread they make is (committers, hashers, the re-read's): the signals go
        # to the main thread, never to one held in a call on a hung card or drive. A
        # bucket's not: it waits on the network, and a process it starts (botocore's
        # credential helper) would keep the mask (``interruptible.signals_unblocked``).
        from offload.interruptible import signals_to_main

        local = [isinstance(b, LocalDestination | UnreachableDestination) for b in backends]
        with signals_to_main():
            for thread, masked in zip(threads, [*local, True], strict=True):
                if masked:
                    thread.start()
        for thread, masked in zip(threads, [*local, True], strict=True):
            if not masked:
                thread.start()
        self._join(threads)
        # The backends the job made are the job's to close (a caller's are the caller's:
        # ``destinations.base``, "Lifetime"), then the table their descriptors belong to.
        for backend, handed in zip(backends, given, strict=True):
            if handed is None:
                backend.close()
        syncfs_table.close()
        # Every thread stopped: each buffer is back. One that is not is a bug, named as the
        # job's warning (the words say what it puts in doubt), never a crash: the job's
        # results are the report's to write.
        for pool_warning in (pool.close(), small_pool.close()):
            if pool_warning is not None:
                report.warnings.append(pool_warning)
                self.sink.emit(WarningIssued(pool_warning))
        report.elapsed_s = time.monotonic() - started
        report.finished_at = time.time()
        report.cancelled = self.cancel.cancelled
        book.finish(tickets, cancelled=report.cancelled)
        report.destinations = self._summaries(workers, report)
        # From the counts just made (not a second pass over every outcome, ~8.5 ms at
        # 50,000 files): the card layer may change outcomes after this, so the reports'
        # code is worked out again, once, when they are written.
        code = job_exit_code(report, *counted_outcomes(report.destinations))
        self.sink.emit(JobFinished(int(code), report.cancelled))
        if reader.error is not None:
            raise reader.error
        return report

    def _join(self, threads: list[_SignallingThread]) -> None:
        """Wait for every thread; Ctrl-C while waiting cancels the job and keeps waiting.

        Waits on each thread's own "done" event, not on join(): on Python 3.11 a
        KeyboardInterrupt inside join() marks a still-running thread as stopped.
        """
        cancelled_at: float | None = None
        told = not wanted(self.sink, CancelWaiting)
        # The reader first: while it runs, the writers wait for it (``_tell_waiting``).
        threads = sorted(threads, key=lambda t: t.name != "reader")
        for thread in threads:
            while True:
                try:
                    if thread.done.wait(0.2):
                        break
                except KeyboardInterrupt:
                    self.cancel.cancel()
                if told or not self.cancel.cancelled:
                    continue
                now = time.monotonic()
                if cancelled_at is None:
                    cancelled_at = now
                elif now - cancelled_at >= CANCEL_WAITING_S:
                    told = True
                    self._tell_waiting(threads)
            thread.join()

    def _tell_waiting(self, threads: Sequence[_SignallingThread]) -> None:
        """Say which of *threads* a cancel still waits for (``CancelWaiting``): each polls
        the token between its calls (the reader and the re-reads before each block of a file
        they read: ``SourceReader._stream``, ``verifier.read_chunks``; before, the reader
        read a cancelled clip on to its end, and a working card was said to "hang"), so the
        reader still running is in a call on the card that has not returned. A destination's
        writer waits for the reader's end of the file under way before its own (its partial
        removed then): one still running is named only once the reader is done, when it is
        in a call of its own."""
        left = [t.name for t in threads if not t.done.is_set()]
        card = "reader" in left
        destinations = tuple(
            int(name.rpartition("-")[2])
            for name in left
            if name.startswith("destination-") and not card
        )
        self.sink.emit(CancelWaiting(card, destinations))

    @staticmethod
    def _summaries(
        workers: Sequence[DestinationWriter], report: JobReport
    ) -> list[DestinationSummary]:
        summaries = []
        for worker in workers:
            state = worker.state
            summary = DestinationSummary(
                index=state.index,
                root=str(state.root),
                device=state.device,
                copy_s=state.copy_s,
                verify_s=state.verify_s,
                span_s=0.0
                if state.first_write is None
                else max(0.0, state.last_done - state.first_write),
            )
            if state.lost is not None:
                full = isinstance(state.lost, DestinationError) and state.lost.full
                summary.mark_lost(state.lost.message, state.lost.errno, state.lost_at, full=full)
            summary.count(report.files)
            summaries.append(summary)
        return summaries


def _local(
    root: Path,
    device: str,
    options: CopyOptions,
    syncfs_table: SharedSyncfsTable,
    root_device: int | None,
    copy_root: tuple[Path, int] | None,
) -> Destination:
    """The local destination on *root* (on *root_device* as the plan saw it, if known; a
    drive mounted at its copy root: *copy_root*, that folder and its device); a drive that
    cannot be reached when the job starts (its OSError) is an ``UnreachableDestination``:
    lost at its first file, the others written."""
    try:
        return LocalDestination(
            root,
            device=device,
            root_device=root_device,
            copy_root=copy_root,
            write_call_size=options.write_call_size,
            direct_writes=options.direct_writes,
            syncfs_table=syncfs_table,
        )
    except OSError as exc:
        return UnreachableDestination(root, exc.errno or errno.EIO, device=device)
