"""A thread-safe progress model fed by engine events: bytes, files, phases, rate and ETA.

No I/O here: renderers (the live terminal view, JSON progress lines) take ``snapshot()``
at their own pace. ``emit`` is called from the engine's threads; it only updates counters
under one lock.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from offload.eta import EtaEstimator, Lane
from offload.events import (
    BytesVerified,
    CardReleased,
    DestinationBytesWritten,
    DestinationFull,
    DestinationLost,
    DestinationNotAnswering,
    DestinationUnfinished,
    DestinationWriting,
    Event,
    ExistingCopiesChecking,
    FileCancelled,
    FileFailed,
    FileStarted,
    FileVerified,
    FileVerifiedEarlier,
    JobFinished,
    JobStarted,
    OffloadFinished,
    OffloadFinishing,
    OffloadPlanned,
    PhaseChanged,
    SourceBytesRead,
    SourceWaiting,
    WorkPlanned,
)
from offload.still_work import StillWork

_RATE_WINDOW_S = 5.0  # the rate is measured over the last few seconds, so the ETA follows


@dataclass
class DestinationProgress:
    """What one destination is doing, as the progress view shows it. ``phase``: ``waiting``
    (nothing of it started yet: a cascaded destination during the card's pass), ``checking``
    (copies already there read back), a job's phase (``PhaseChanged``: ``copy``, ``flush``,
    ``verify``, ``commit``, ``wait``, ``idle``), ``done`` (its part of the offload finished),
    ``cancelled`` (not finished when the run was cancelled: ``ProgressModel._end_phase``)
    or ``lost``. ``full``: why it filled up while copies of ours found wrong were written
    again (``DestinationFull``: those rewrites failed, the copies verified there stand; not
    lost), else None. ``files_transfer_checked``: of ``files_done``, the copies whose proof
    is a transfer check only (this run's ``--verify transfer``, or an earlier run's trusted
    from the ledger): never read back, so the views never call that destination verified.
    ``files_verified_earlier``: of ``files_done``, the copies an earlier run read back,
    trusted from the ledger and not read again by this run (``FileVerifiedEarlier``
    "verified_earlier"): the views call them verified earlier, never verified now."""

    index: int
    path: str
    phase: str = "waiting"
    current_file: str = ""
    bytes_written: int = 0
    bytes_verified: int = 0
    files_done: int = 0
    files_failed: int = 0
    files_transfer_checked: int = 0
    files_verified_earlier: int = 0
    # The bytes read back there by the check of the copies already there, before the
    # offload's jobs (``ExistingCopiesChecking``); ``bytes_verified`` is the jobs' own.
    bytes_checked: int = 0
    lost: str | None = None
    full: str | None = None
    # The steps that finish it which failed there once its copies had their outcomes
    # (``DestinationUnfinished``: ``links``, ``folders``, ``manifest``, ``folder-times``).
    unfinished: tuple[str, ...] = ()
    # A write call of a large file's chunk is in flight there (``DestinationWriting`` until
    # its ``DestinationBytesWritten``, its file's failure or the job's end): the copy may be
    # waiting on this destination, not on the card (the live view's words).
    writing: bool = False
    # Its service (a bucket's) has answered none of its requests since then (Unix s) while
    # they are retried (``DestinationNotAnswering`` "retrying"; None once it answers, once
    # it is lost, its row saying LOST then, or once the offload is over).
    not_answering_since: float | None = None


@dataclass
class ProgressSnapshot:
    """The progress at one moment (``ProgressModel.snapshot``): totals, rate, ETA."""

    total_bytes: int
    total_files: int
    source_bytes_read: int
    source_bytes_verified: int
    files_started: int
    files_finished: int
    work_done: int
    work_total: int
    rate_bytes_s: float
    eta_s: float | None
    elapsed_s: float
    current_file: str
    finished: bool
    destinations: list[DestinationProgress] = field(default_factory=list)
    # The fraction already shown: work found only later (a cascade feeding a file again)
    # holds the bar where it stood instead of taking it back.
    fraction_floor: float = 0.0
    # What the offload is finishing once every copy has its outcome (OffloadFinishing:
    # ``manifests``, then ``reports``); empty before, and in a cancelled run.
    finishing: str = ""
    # The copies already there being read back before the offload's jobs (``checking``),
    # and the bytes that check read back (the sources' and the copies'), during it and after.
    checking: bool = False
    bytes_read_back: int = 0
    # Of ``bytes_read_back``, the card's: what the check read of the card to compare the
    # copies with (full mode), during it and after; the rest is the copies' (the rows').
    card_bytes_checked: int = 0
    # A cascade's card pass: seconds to the card's release (``eta_s`` is None then: the
    # cascaded destinations' speed, which decides the offload's end, is not known yet).
    card_eta_s: float | None = None
    # ``card_eta_s`` is the end of a card's pass that releases nothing: every local fast
    # destination is on the card's own filesystem or disk (``OffloadPlanned.card_kept``).
    card_kept: bool = False
    # The source is no card but a copy root of ours (``OffloadPlanned.source_is_copy``):
    # the view says the source where it would say the card.
    source_is_copy: bool = False
    # The offload's last copy job ended uncancelled, no job left to run: every copy has its
    # outcome, and a cancel from now on cancels nothing (set a moment before
    # ``OffloadFinishing``, which the command emits right after; never in a cascade, whose
    # cancel between its jobs still stops the feeding of the slow destinations).
    copies_over: bool = False
    # The copies an earlier run proved, trusted from the ledgers (FileVerifiedEarlier): read
    # back then (``verified_earlier``), or transfer-checked only.
    copies_verified_earlier: int = 0
    copies_transfer_checked_earlier: int = 0
    # The reader waits for a free buffer (``SourceWaiting``: True), or is in a card read
    # (False: it had one again); None where not said (no wait yet in this job).
    source_waiting: bool | None = None
    # Seconds the work has stood still mid-job, once longer than its own pace explains
    # (``still_work.StillWork``), else 0.0: the rate and the ETA say nothing true then (the
    # live view shows neither).
    still_s: float = 0.0

    @property
    def fraction(self) -> float:
        """0..1; exactly 1.0 only when all the work is done (never rounded up to it: a bar
        at 1.0 while a file is still being verified would be a lie)."""
        if self.work_total == 0:  # before the job started, or a job with nothing to do
            return 1.0 if self.finished else 0.0
        if self.work_done >= self.work_total:
            return 1.0
        return min(max(self.work_done / self.work_total, self.fraction_floor), _BELOW_ONE)

    @property
    def percent(self) -> float:
        """The fraction in percent, rounded down to 0.1 (100.0 only when all is done)."""
        return math.floor(self.fraction * 1000) / 10


# The work of one file on one destination beyond its bytes (fsync, the ledger's fsync, the
# rename, the folder's fsync), in byte-equivalents: about what a drive streams while it
# seeks and flushes for one file. It keeps the bar below 100 % until every file is
# committed (all bytes can be read back long before a batch's files are renamed) and gives
# cards of small files an ETA that counts their per-file cost.
COMMIT_WORK_BYTES = 256 * 1024
_BELOW_ONE = 0.9999  # what a fraction not yet complete is capped at (JSON keeps 4 decimals)


def _copy_work(checking: ExistingCopiesChecking) -> int:
    """The work (as ``ProgressModel._work`` counts it) of the copies known before a check."""
    passes = 1 if checking.copy_verify == "transfer" else 2
    source = checking.copy_source_bytes * (2 if checking.copy_verify == "full" else 1)
    return source + sum(
        nbytes * passes + files * COMMIT_WORK_BYTES
        for nbytes, files in zip(
            checking.copy_destination_bytes, checking.copy_destination_files, strict=False
        )
    )


class ProgressModel:
    """Follows a job through its events (EventSink). Thread-safe.

    Work is counted in bytes: every byte read from the source, written to a destination and
    read back for verification is one unit, so the bar and the ETA account for the
    verification passes (which take as long as the copy) instead of jumping at the end; each
    file on each destination adds COMMIT_WORK_BYTES, done when the job reports it verified or
    failed there. What the job will not do is not in the total: files already verified on a
    destination (when WorkPlanned says what the job really copies), the rest of a lost
    destination. A job that finishes without being cancelled ends at exactly 1.0 (a failed
    file's unread bytes are never read); until then the fraction stays below 1.0. Counts are
    clamped to their totals (a mismatch re-read counts its bytes twice). A JobStarted starts
    the model afresh, unless an OffloadPlanned came first: a card offload runs several jobs
    (a second, small one replacing wrong copies; a cascade's card pass, then the jobs that
    feed the cascaded destinations from the fast copies), and the model then follows them as
    one: the totals are the whole offload's, each job adds to the counts (a destination keeps
    its counts and its ``done`` while a later job feeds the others), a job's end takes out of
    the totals only the work it will never do, and the offload ends at 1.0 at OffloadFinished.
    A file is finished once every destination has its outcome, whichever job gave it.

    The ETA is not work left ÷ one rate: the job ends when its slowest lane ends (the source
    read, its re-read, each destination's bytes and commits; ``_lanes``), so each lane's rate
    is measured on its own (``offload.eta.EtaEstimator``). ``rate_bytes_s`` is still the rate
    of all the work, for the views that show a speed.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        estimator: EtaEstimator | None = None,
    ) -> None:
        # The clock is a parameter so a recorded run can be replayed on its own times
        # (offload.bench.eta); the estimator so another one can be judged on the same run.
        self._clock = clock
        self._eta = estimator or EtaEstimator()
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._total_bytes = 0
        self._total_files = 0
        self._verify = "full"
        self._source_read = 0
        self._source_verified = 0
        self._files_started = 0
        self._current = ""
        self._destinations: list[DestinationProgress] = []
        # Per file not yet finished, the destinations with its outcome (a bit each): a bit
        # mask, not a count, so an outcome given twice (a cascade feeding a file again from
        # another fast copy) does not finish it early.
        self._finished_per_file: dict[str, int] = {}
        self._all_destinations = 0  # the mask of a finished file
        self._files_finished = 0
        # Per file, the destinations where its latest outcome is a failure, and where it is
        # good: a file fed again (a cascade's retry from another fast copy) counts once, as
        # its last outcome says (a retry that ends verified is no longer counted failed).
        self._failed_on: dict[str, int] = {}
        self._done_on: dict[str, int] = {}
        # Of those good, the destinations where that outcome is a transfer check only (now
        # or trusted from an earlier run): an entry only for such files, so a run that reads
        # every copy back keeps this map empty.
        self._transfer_on: dict[str, int] = {}
        # Likewise the destinations where it is an earlier run's read-back, trusted from the
        # ledger (FileVerifiedEarlier "verified_earlier"): an entry only for such files.
        self._earlier_on: dict[str, int] = {}
        # An offload of several jobs (OffloadPlanned): per destination, the files planned
        # for jobs not yet started; the running job's plan and its counters at its start.
        self._offload = False
        self._files_to_start: list[int] = []
        self._bytes_to_start: list[int] = []
        self._source_to_start = 0
        self._job_plan: WorkPlanned | None = None
        self._job_base: tuple[int, list[int], list[int]] = (0, [], [])
        # The job's own work: source bytes read, and per destination bytes and files.
        self._source_total = 0
        self._destination_totals: list[int] = []
        self._destination_files: list[int] = []
        # Files this job copies (FileStarted), and per destination how many of them it has
        # finished (verified or failed): results known before the copy are not its work.
        self._started_paths: dict[str, int] = {}  # path → size
        self._commits: list[int] = []
        # Per destination, the bytes of the files it committed (the ETA's commit lanes).
        self._committed_bytes: list[int] = []
        self._started = self._clock()
        self._eta.reset(self._started)
        self._samples: deque[tuple[float, int]] = deque()
        self._still = StillWork()
        self._finished = False
        self._cancelled = False
        self._checking = False  # before the job: existing copies being read back
        self._source_failed = False  # a FileFailed(-1) in the offload's running job
        # Per destination index: the file of the chunk write in flight there
        # (``DestinationWriting.relative_path``), whose failure alone ends that write.
        self._writing_file: dict[int, str] = {}
        self._source_waiting: bool | None = None  # SourceWaiting's, this job's
        self._shown = 0.0  # the highest fraction a snapshot gave (ProgressSnapshot.fraction_floor)
        self._finishing = ""  # OffloadFinishing's step
        self._copies_over = False  # ProgressSnapshot.copies_over
        self._earlier = [0, 0]  # copies verified earlier, transfer-checked earlier (trusted)
        # The check before the offload's jobs (ExistingCopiesChecking): its work done and
        # total, and the bytes it read back (the source's and the copies').
        self._checked: tuple[int, int] = (0, 0)
        self._checked_read = 0
        self._checked_card = 0  # of those, the source's (ProgressSnapshot.card_bytes_checked)
        # During the check: the copy work known before it (ExistingCopiesChecking), in the
        # total so the check alone never fills the bar.
        self._copy_after_check = 0
        # The offload's cascaded destinations (OffloadPlanned): only they make a card pass.
        self._cascaded: frozenset[int] = frozenset()
        # ... every local fast one on the card's own disk (OffloadPlanned.card_kept): the
        # card's pass releases nothing, and ``card_eta_s`` is its end's.
        self._card_kept = False
        self._source_is_copy = False
        # The card was released (CardReleased): the other destinations were finished then
        # (links, folders, manifests), so a cancel of the cascade leaves them done.
        self._released = False

    def emit(self, event: Event) -> None:
        with self._lock:
            self._apply(event)

    def _apply(self, event: Event) -> None:
        if isinstance(event, OffloadPlanned):
            # The copies already there that were read back (--reverify, a copy of ours not
            # in the ledger) are the offload's first work: kept before its jobs' work, so
            # the bar goes on from where the check left it instead of back to 0.
            # The bar shown so far is kept as its floor: the check's total counted only the
            # copies known before it, and those it found wrong are added now.
            checked = self._check_work() if self._checking else (0, 0)
            checked_bytes = self._checked_bytes() if self._checking else 0
            checked_card = self._source_verified if self._checking else 0
            per_destination = (
                [d.bytes_verified for d in self._destinations] if self._checking else []
            )
            shown = self._shown
            self._reset()
            self._checked, self._checked_read, self._shown = checked, checked_bytes, shown
            self._checked_card = checked_card
            self._offload = True
            self._cascaded = frozenset(event.cascaded)
            self._card_kept = event.card_kept
            self._source_is_copy = event.source_is_copy
            self._total_bytes = event.source_bytes
            self._total_files = event.files
            self._set_destinations(event.destinations)
            if len(per_destination) == len(self._destinations):
                for dest, nbytes in zip(self._destinations, per_destination, strict=True):
                    dest.bytes_checked = nbytes
            self._source_total = event.source_bytes
            self._destination_totals = list(event.destination_bytes)
            self._destination_files = list(event.destination_files)
            self._files_to_start = list(event.destination_files)
            self._bytes_to_start = list(event.destination_bytes)
            self._source_to_start = event.source_bytes
            self._commits = [0] * len(event.destinations)
            self._committed_bytes = [0] * len(event.destinations)
        elif self._offload and isinstance(event, JobStarted):
            self._checking = False
            self._source_failed = False
            self._verify = event.verify
            if self._job_plan is not None:
                # A later job of the offload (a cascade's, after the card's release): its
                # lanes go at other speeds (read from a fast copy, written to the cascaded
                # destinations); the card pass's rates and smoothed end say nothing of them.
                self._eta.reset(self._clock())
            self._job_plan = None
            self._job_base = (
                self._source_read,
                [d.bytes_written for d in self._destinations],
                list(self._commits),
            )
        elif self._offload and isinstance(event, WorkPlanned):
            if len(event.destination_files) == len(self._destinations):
                self._job_plan = event
                self._add_unplanned(event)
                for dest, files in zip(self._destinations, event.destination_files, strict=True):
                    if files and dest.phase == "done":  # fed again: not done any more
                        dest.phase = "waiting"
        elif self._offload and isinstance(event, JobFinished):
            self._end_job(cancelled=event.cancelled)
        elif isinstance(event, OffloadFinished):
            self._finished = True
            self._cancelled = event.cancelled
            for dest in self._destinations:  # nothing is retried for it any more
                dest.not_answering_since = None
            if event.cancelled:  # the run was cancelled: not a cancel after the copy
                self._copies_over = False
            for dest in self._destinations:
                # A cancel also takes "done" from a destination not finished (its job ended
                # before the cancel, its manifests were never written).
                if dest.lost is None and (dest.phase != "done" or event.cancelled):
                    dest.phase = self._end_phase(dest, cancelled=event.cancelled)
            # The offload is over: the per-file maps (~5.6 MiB at 50,000 files) are read by
            # no snapshot (its counts are the destinations'), and the command's reports,
            # made next, would otherwise hold them at its peak.
            self._started_paths = {}
            self._failed_on, self._done_on, self._finished_per_file = {}, {}, {}
            self._transfer_on, self._earlier_on = {}, {}
        elif isinstance(event, OffloadFinishing):
            self._finishing = event.step
            # Every copy has its outcome, none cancelled: each destination not lost is done,
            # also one whose phase was announced after its job ended (the fusefat re-read's
            # ``verify``, ``card._recheck_after_renames``), which would stand beside it while
            # the manifests and reports are written.
            for dest in self._destinations:
                if dest.lost is None:
                    dest.phase = self._end_phase(dest, cancelled=False)
        elif isinstance(event, CardReleased):
            self._released = True
            if event.after_cascade and event.reread:
                self._reread_by_cascade(event.reread)
        elif isinstance(event, ExistingCopiesChecking):
            self._reset()
            self._checking = True
            self._verify = "check"
            self._total_bytes = event.source_bytes
            self._total_files = event.files
            self._set_destinations(event.destinations)
            for dest, nbytes in zip(self._destinations, event.destination_bytes, strict=True):
                dest.phase = "checking" if nbytes else "waiting"
            self._source_total = event.source_bytes
            self._destination_totals = list(event.destination_bytes)
            self._destination_files = [0] * len(event.destinations)
            self._commits = [0] * len(event.destinations)
            self._committed_bytes = [0] * len(event.destinations)
            self._copy_after_check = _copy_work(event)
        elif isinstance(event, JobStarted):
            self._reset()
            count = len(event.destinations)
            self._total_bytes = event.total_bytes
            self._total_files = event.files
            self._verify = event.verify
            self._set_destinations(event.destinations)
            self._source_total = event.total_bytes
            self._destination_totals = [event.total_bytes] * count
            self._destination_files = [event.files] * count
            self._commits = [0] * count
            self._committed_bytes = [0] * count
        elif isinstance(event, WorkPlanned):
            if len(event.destination_bytes) == len(self._destinations):
                self._source_total = event.source_bytes
                self._destination_totals = list(event.destination_bytes)
                self._destination_files = list(event.destination_files)
        elif isinstance(event, SourceBytesRead):
            self._source_read += event.nbytes
        elif isinstance(event, DestinationBytesWritten):
            dest = self._destinations[event.destination_index]
            dest.bytes_written += event.nbytes
            dest.writing = False
        elif isinstance(event, BytesVerified):
            if event.destination_index < 0:
                self._source_verified += event.nbytes
            else:
                self._destinations[event.destination_index].bytes_verified += event.nbytes
        elif isinstance(event, FileStarted):
            self._files_started += 1
            self._current = event.relative_path
            self._started_paths[event.relative_path] = event.size_bytes
        elif isinstance(event, PhaseChanged) and event.destination_index >= 0:
            dest = self._destinations[event.destination_index]
            plan = self._job_plan if self._offload else None
            if dest.lost is None and (plan is None or plan.destination_files[dest.index]):
                dest.phase = event.phase
                dest.current_file = event.relative_path
            if self._copies_over and not self._finishing:
                # A copy read after the last job ended (fusefat's re-read after the renames,
                # ``card._recheck_after_renames``): copy work a cancel stops, so a Ctrl-C
                # now is one, not one "after every copy finished".
                self._copies_over = False
        elif isinstance(event, FileVerified | FileFailed | FileVerifiedEarlier):
            if isinstance(event, FileFailed) and event.destination_index < 0:
                self._source_failed = True
            if isinstance(event, FileVerifiedEarlier) and event.destination_index >= 0:
                self._earlier[event.status != "verified_earlier"] += 1
            if event.destination_index >= 0:
                had_outcome = self._count_outcome(event)
                size = self._started_paths.get(event.relative_path)
                if size is not None:
                    self._commits[event.destination_index] += 1
                    self._committed_bytes[event.destination_index] += size
                if had_outcome:  # a later outcome there (a re-read's): finished already
                    return
                mask = self._finished_per_file.get(event.relative_path, 0)
                mask |= 1 << event.destination_index
                if mask == self._all_destinations:
                    self._files_finished += 1
                    self._finished_per_file.pop(event.relative_path, None)
                else:
                    self._finished_per_file[event.relative_path] = mask
        elif isinstance(event, FileCancelled) and event.destination_index >= 0:
            self._uncount(event)
            self._copies_over = False  # the cancel left a copy unproved: it cancelled
        elif isinstance(event, DestinationNotAnswering):
            dest = self._destinations[event.destination_index]
            # Once the offload is over (a request of the lock's release still retried),
            # nothing of it is retried for the offload any more.
            retrying = event.state == "retrying" and dest.lost is None and not self._finished
            dest.not_answering_since = event.since if retrying else None
        elif isinstance(event, DestinationLost):
            dest = self._destinations[event.destination_index]
            dest.not_answering_since = None
            dest.lost = event.message
            dest.phase = "lost"
            dest.writing = False
        elif isinstance(event, DestinationFull):
            self._destinations[event.destination_index].full = event.message
        elif isinstance(event, DestinationUnfinished):
            self._destinations[event.destination_index].unfinished = event.steps
        elif isinstance(event, JobFinished):
            self._finished = True
            self._cancelled = event.cancelled
            for dest in self._destinations:
                dest.writing = False
                if dest.lost is None:
                    dest.phase = self._end_phase(dest, cancelled=event.cancelled)
        elif isinstance(event, DestinationWriting):  # last: one a large file's chunk
            self._destinations[event.destination_index].writing = True
            self._writing_file[event.destination_index] = event.relative_path
        elif isinstance(event, SourceWaiting):  # only where the reader had to wait
            self._source_waiting = event.waiting

    def _count_outcome(self, event: FileVerified | FileFailed | FileVerifiedEarlier) -> bool:
        """Count a file's outcome on a destination; one given before (a file fed again, a
        copy the fusefat or cascade re-read found changed or verified) is replaced by it, so
        a file counts once there, as its latest outcome says. Whether it had one there."""
        index, path = event.destination_index, event.relative_path
        dest = self._destinations[index]
        bit = 1 << index
        failed, done = self._failed_on.get(path, 0), self._done_on.get(path, 0)
        if failed & bit:
            dest.files_failed -= 1
        if done & bit:
            dest.files_done -= 1
        if isinstance(event, FileFailed):
            dest.files_failed += 1
            # A write that failed ends no other way; another file's failure there (a
            # read-back of an earlier file found wrong) leaves the write in flight.
            if self._writing_file.get(index, path) in ("", path):
                dest.writing = False
            failed, done = failed | bit, done & ~bit
        else:
            dest.files_done += 1
            failed, done = failed & ~bit, done | bit
        status = None if isinstance(event, FileFailed) else event.status
        # A copy verified now with no earlier proof counted (most): nothing to change.
        if status != "verified" or path in self._transfer_on or path in self._earlier_on:
            self._set_proof(dest, path, status)
        had = bool((self._failed_on.get(path, 0) | self._done_on.get(path, 0)) & bit)
        self._failed_on[path], self._done_on[path] = failed, done
        return had

    def _set_proof(self, dest: DestinationProgress, path: str, status: str | None) -> None:
        """Whether *path*'s copy on *dest* is proved by a transfer check only, or by an
        earlier run's read-back trusted from the ledger, as its outcome's *status* says
        (None: failed, or its proof taken away by a cancel). A copy given a later outcome
        (fusefat's re-read after the renames reading it back) counts as that one says."""
        transfer = status == "transfer_checked"
        if _flip(self._transfer_on, dest.index, path, transfer):
            dest.files_transfer_checked += 1 if transfer else -1
        earlier = status == "verified_earlier"
        if _flip(self._earlier_on, dest.index, path, earlier):
            dest.files_verified_earlier += 1 if earlier else -1

    def _reread_by_cascade(self, reread: tuple[str, ...]) -> None:
        """The fast copies the cascade read this run and matched to the card's digests
        (``CardReleased.reread``, their paths as shown): their copies verified earlier were
        read now, as the summary's "verified earlier, read again by the cascade" column
        counts them; no longer counted verified earlier."""
        from offload.destinations.s3url import display_path  # a cascade's end only

        for dest in self._destinations:
            if dest.files_verified_earlier and display_path(dest.path) in reread:
                dest.files_verified_earlier = 0
                bit = 1 << dest.index
                for path in [p for p, mask in self._earlier_on.items() if mask & bit]:
                    _flip(self._earlier_on, dest.index, path, False)

    def _uncount(self, event: FileCancelled) -> None:
        """A copy counted done that the cancel left unproved (fusefat's re-read after the
        renames): no longer done there, nor the file finished everywhere, and that
        destination's part is cancelled, not done. The fraction stays (it never goes back)."""
        index, path = event.destination_index, event.relative_path
        bit = 1 << index
        done = self._done_on.get(path, 0)
        if not done & bit:
            return
        self._done_on[path] = done & ~bit
        dest = self._destinations[index]
        dest.files_done -= 1
        self._set_proof(dest, path, None)
        if dest.lost is None:
            dest.phase = "cancelled"
        mask = self._finished_per_file.get(path)
        if mask is None:  # it had its outcome on every destination: finished no more
            self._files_finished -= 1
            mask = self._all_destinations
        self._finished_per_file[path] = mask & ~bit

    def _end_phase(self, dest: DestinationProgress, *, cancelled: bool) -> str:
        """The phase of a destination not lost when the run ends: on a cancel, ``done`` if
        every file has its outcome there and, in a card offload, the destination was
        finished before the cancel (its links, folders and manifests written: every one
        once ``OffloadFinishing`` came, a cascade's fast ones once the card was released),
        else ``cancelled``, as the summary's result (``OffloadReport.destination_result``)."""
        if not cancelled:
            return "done"
        if dest.files_done + dest.files_failed < self._total_files:
            return "cancelled"
        finished = bool(self._finishing) or (self._released and dest.index not in self._cascaded)
        return "done" if finished or not self._offload else "cancelled"

    def _add_unplanned(self, plan: WorkPlanned) -> None:
        """A job of the offload starts (its WorkPlanned): what it does counts against the
        offload's plan. Work beyond what is left of it (a cascade feeding a file again from
        another fast copy, when the first one could not be read or no longer matched the
        card) is added to the totals, so the bar does not reach the end before it is done."""
        extra = plan.source_bytes - self._source_to_start
        self._source_to_start = max(0, -extra)
        if extra > 0:
            self._source_total += extra
        for index, (nbytes, files) in enumerate(
            zip(plan.destination_bytes, plan.destination_files, strict=True)
        ):
            extra = nbytes - self._bytes_to_start[index]
            self._bytes_to_start[index] = max(0, -extra)
            if extra > 0:
                self._destination_totals[index] += extra
            extra = files - self._files_to_start[index]
            self._files_to_start[index] = max(0, -extra)
            if extra > 0:
                self._destination_files[index] += extra

    def _set_destinations(self, paths: tuple[str, ...]) -> None:
        self._destinations = [DestinationProgress(i, p) for i, p in enumerate(paths)]
        self._all_destinations = (1 << len(paths)) - 1

    def _end_job(self, *, cancelled: bool) -> None:
        """One job of an offload ended (OffloadPlanned): a destination with no work left in
        the jobs to come is done (or cancelled); one still to be fed keeps waiting. The work
        the job planned and did not do (a failed file's bytes never written, the rest of a
        lost destination) leaves the totals, so the fraction goes on from where it stands."""
        for dest in self._destinations:
            dest.writing = False  # its writer is over
        self._source_waiting = None  # so is its reader
        plan = self._job_plan
        if plan is not None and not cancelled:
            base_read, base_written, base_commits = self._job_base
            short = max(0, plan.source_bytes - (self._source_read - base_read))
            self._source_total = max(self._source_read, self._source_total - short)
            for index, dest in enumerate(self._destinations):
                short = plan.destination_bytes[index] - (dest.bytes_written - base_written[index])
                self._destination_totals[index] = max(
                    dest.bytes_written, self._destination_totals[index] - max(0, short)
                )
                done = self._commits[index] - base_commits[index]
                short = plan.destination_files[index] - done
                self._destination_files[index] = max(
                    self._commits[index], self._destination_files[index] - max(0, short)
                )
        for index, dest in enumerate(self._destinations):
            if dest.lost is not None or dest.phase == "done":
                continue
            if cancelled:
                dest.phase = self._end_phase(dest, cancelled=True)
            elif self._files_to_start[index] <= 0:
                dest.phase = "done"
        # The last job (none planned after it: no copy of ours found wrong left to replace)
        # of an offload without a cascade ended uncancelled: the card layer goes straight on
        # to its manifests (``card._copies_complete``), a cancel no longer stops anything.
        self._copies_over = (
            not cancelled
            and plan is not None
            and not self._cascaded
            and all(left <= 0 for left in self._files_to_start)
        )

    def _check_work(self) -> tuple[int, int]:
        """The check's own work (existing copies read back, their sources read): done, total."""
        done = min(self._source_verified, self._source_total)
        done += sum(
            min(d.bytes_verified, t)
            for d, t in zip(self._destinations, self._destination_totals, strict=True)
        )
        total = self._source_total + sum(self._destination_totals)
        return done, max(total, done)

    def _work(self) -> tuple[int, int]:
        if self._checking:
            done, total = self._check_work()
            # The offload goes on after the check (OffloadPlanned, its jobs): its copy work
            # known now is in the total, and the check never ends the bar on its own.
            total += self._copy_after_check
            return done, max(total, done + 1) if not self._finished else max(total, done)
        passes = 1 if self._verify == "transfer" else 2  # per destination: write, read back
        source_total = self._source_total
        done = min(self._source_read, source_total)
        total = source_total
        if self._verify == "full":  # the source is re-read
            done += min(self._source_verified, source_total)
            total += source_total
        for dest, dest_total, files, commits in zip(
            self._destinations,
            self._destination_totals,
            self._destination_files,
            self._commits,
            strict=True,
        ):
            dest_done = min(dest.bytes_written, dest_total)
            if passes == 2:
                dest_done += min(dest.bytes_verified, dest_total)
            dest_done += min(commits, files) * COMMIT_WORK_BYTES
            done += dest_done
            # A lost destination's remaining work will never be done: not in the total.
            total += (
                dest_done
                if dest.lost is not None
                else dest_total * passes + files * COMMIT_WORK_BYTES
            )
        done, total = done + self._checked[0], total + self._checked[1]
        if self._finished and not self._cancelled:
            total = done  # everything this job will ever do is done
        elif self._offload and self._source_failed and not self._finished:
            # A file whose source failed in this job of an offload may be fed again by a
            # later one (a cascade reads it from another fast copy when the first could not
            # be read or no longer matched the card), work not known until that job starts:
            # 1.0 only at OffloadFinished then.
            total = max(total, done + 1)
        return done, max(total, done)

    def _checked_bytes(self) -> int:
        """The bytes the check of the copies already there read back: the sources' and the
        copies'."""
        return self._source_verified + sum(d.bytes_verified for d in self._destinations)

    def _lanes(self) -> list[Lane]:
        """The streams of work that go at their own speeds (see offload.eta): the source's
        read and re-read, and per destination that is not lost its bytes (written and read
        back: a batch is read back as soon as it is durable, so they are one lane) and its
        files committed (verified or failed), which follow its bytes batch by batch."""
        if self._finished:
            return []
        source = self._source_total
        plan = self._job_plan
        if self._card_pass() and plan is not None:
            # The card's pass: the source lanes end with this job's reads, not with the
            # cascade's (those come from the fast copies, at the cascaded destinations'
            # speed, not known yet): the ETA is then the card's release (``card_eta_s``).
            source = min(source, self._job_base[0] + plan.source_bytes)
        if self._checking:
            lanes = [Lane("source", min(self._source_verified, source), source)]
            passes = 1
        else:
            lanes = [Lane("source", min(self._source_read, source), source)]
            if self._verify == "full":
                verified = min(self._source_verified, source)
                lanes.append(Lane("source re-read", verified, source, follows="source"))
            passes = 1 if self._verify == "transfer" else 2
        for index, (dest, dest_total, files, commits, committed) in enumerate(
            zip(
                self._destinations,
                self._destination_totals,
                self._destination_files,
                self._commits,
                self._committed_bytes,
                strict=True,
            )
        ):
            if dest.lost is not None or self._waits_for_later_job(index):
                continue
            key = f"destination {index}"
            if self._checking:
                lanes.append(Lane(key, min(dest.bytes_verified, dest_total), dest_total))
                continue
            done = min(dest.bytes_written, dest_total)
            if passes == 2:
                done += min(dest.bytes_verified, dest_total)
            lanes.append(Lane(key, done, dest_total * passes))
            # Committed files weigh their bytes and a per-file cost: a rate of files alone
            # is tiny while large clips are committed and says nothing of the small ones.
            lanes.append(
                Lane(
                    f"{key} commits",
                    min(committed, dest_total) + min(commits, files) * COMMIT_WORK_BYTES,
                    dest_total + files * COMMIT_WORK_BYTES,
                    follows=key,
                    files_done=min(commits, files),
                    files_total=files,
                )
            )
        return lanes

    def _card_pass(self) -> bool:
        """Whether a cascade's card pass is running: a cascaded destination (OffloadPlanned's)
        not lost waits for a later job of the offload (its speed unknown until it is fed). A
        destination waiting only for the job that replaces copies found wrong is no cascade."""
        return (
            self._offload
            and not self._finished
            and any(
                d.lost is None and d.index in self._cascaded and self._waits_for_later_job(d.index)
                for d in self._destinations
            )
        )

    def _waits_for_later_job(self, index: int) -> bool:
        """Whether destination *index* has no work in the running job of an offload but
        has some in a later one (a cascaded destination during the card's pass): its lanes
        have no rate yet and would hold the ETA at none; the source's lane, which counts the
        later job's reads too, stands for that work until then."""
        plan = self._job_plan
        return (
            self._offload
            and plan is not None
            and not plan.destination_files[index]
            and self._files_to_start[index] > 0
        )

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            now = self._clock()
            done, total = self._work()
            self._samples.append((now, done))
            while len(self._samples) > 2 and now - self._samples[0][0] > _RATE_WINDOW_S:
                self._samples.popleft()
            first_t, first_done = self._samples[0]
            rate = (done - first_done) / (now - first_t) if now > first_t else 0.0
            still = self._still.observe(now, done)
            if self._finished or self._cancelled or done >= total:
                still = 0.0
            card_pass = self._card_pass()
            eta = self._eta.estimate(now, self._lanes())
            card_eta = None
            if card_pass:
                # No end of the offload can be told before the cascaded destinations are fed
                # (their speed decides it: a bucket behind a slow link, a shuttle drive); the
                # ETA of the card's release is what is known.
                card_eta, eta = (None if self._cancelled else eta), None
            if self._checking and self._copy_after_check and eta is not None:
                # The check's lanes end with the check; the copy known before it follows
                # (``ExistingCopiesChecking``): an ETA of the check alone ran out with the
                # whole copy ahead. That copy's work (the same kind: the card read, the drives
                # written and read back) counted at the check's rate of work until the
                # offload's jobs measure their own.
                eta = eta + self._copy_after_check / rate if rate > 0 else None
            if self._cancelled or (total == 0 and not self._finished):
                eta = None  # cancelled, or no job yet: nothing to estimate
            elif eta is not None and self._offload and not self._finished and done < total:
                # Between an offload's jobs every lane may be complete while the offload
                # is not (the next job, or its finishing steps): never 0 before the end.
                eta = max(eta, 1.0)
            snap = ProgressSnapshot(
                total_bytes=self._total_bytes,
                total_files=self._total_files,
                source_bytes_read=self._source_read,
                source_bytes_verified=self._source_verified,
                files_started=self._files_started,
                files_finished=self._files_finished,
                work_done=done,
                work_total=total,
                rate_bytes_s=rate,
                eta_s=eta,
                elapsed_s=now - self._started,
                current_file=self._current,
                finished=self._finished,
                destinations=[DestinationProgress(**vars(d)) for d in self._destinations],
                fraction_floor=self._shown,
                finishing="" if self._cancelled else self._finishing,
                checking=self._checking,
                card_eta_s=card_eta,
                card_kept=self._card_kept,
                source_is_copy=self._source_is_copy,
                copies_over=self._copies_over,
                copies_verified_earlier=self._earlier[0],
                copies_transfer_checked_earlier=self._earlier[1],
                bytes_read_back=self._checked_bytes() if self._checking else self._checked_read,
                card_bytes_checked=self._source_verified if self._checking else self._checked_card,
                source_waiting=self._source_waiting,
                still_s=still,
            )
            self._shown = snap.fraction
            return snap


def _flip(masks: dict[str, int], index: int, path: str, flag: bool) -> bool:
    """Set destination *index*'s bit of *path* in *masks* to *flag* (an entry only while a
    bit is set); whether it changed."""
    bit = 1 << index
    mask = masks.get(path, 0)
    if bool(mask & bit) == flag:
        return False
    mask ^= bit
    if mask:
        masks[path] = mask
    else:
        masks.pop(path, None)
    return True
