"""Past-tense events the engine emits; renderers (progress bars, JSON lines, logs) subscribe.

The engine never prints. Events are emitted from the engine's threads: a sink must be
thread-safe and fast (it runs on the copy's hot path for the byte-count events).

The engine is handed ``isolated(sink)``, never a subscriber itself: a subscriber that raises
(a renderer's bug, a JSON writer's full disk) must not kill the thread that emitted the event
(a writer thread that dies leaves the reader waiting on its queue: the job hangs).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Event:
    """Base of every event: a past-tense fact, immutable, safe to hand to any thread."""


@dataclass(frozen=True)
class JobStarted(Event):
    """A copy job starts: its files, bytes, destinations, mode and algorithms."""

    files: int
    total_bytes: int
    destinations: tuple[str, ...]
    verify: str
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class WorkPlanned(Event):
    """Follows JobStarted when the caller knows what the job will really do (the card layer):
    the bytes read from the source (files wanted by at least one destination) and, per
    destination, the bytes and files written there. Files already verified there (the job
    announces them as FileVerifiedEarlier, or as results known before the copy) are not
    in it. The progress model takes its totals from here when it is sent."""

    source_bytes: int
    destination_bytes: tuple[int, ...]
    destination_files: tuple[int, ...]


@dataclass(frozen=True)
class OffloadPlanned(Event):
    """Before an offload's first job (the card layer, once the copies already there are
    settled): the work of the whole offload, the work of every job it plans added up (a
    cascade's card pass and its cascade, a job that copies again copies of ours found wrong).
    ``files``: the card's; ``source_bytes``: what is read from a source (the card, then for a
    cascade the fast copies that feed it); per destination the bytes and files written there
    (copies verified earlier are not in it). The progress model then follows the offload as
    one: its jobs' counts add up, and it ends at OffloadFinished, not at a job's end."""

    files: int
    destinations: tuple[str, ...]
    source_bytes: int
    destination_bytes: tuple[int, ...]
    destination_files: tuple[int, ...]
    # The cascaded destinations (``--cascade``), fed by later jobs from the fast copies: the
    # view gives the card's release then, not the offload's end. A destination with work only
    # in a later job that is not one of them (a copy of ours found wrong, replaced by the
    # second job) is no cascade.
    cascaded: tuple[int, ...] = ()
    # A cascade whose every local fast destination is on the card's own filesystem or disk
    # (``cascade.on_card_disk``): its card's pass releases nothing, and the view says the
    # pass's end, not a release.
    card_kept: bool = False
    # The source is no card but a copy root of ours (``OffloadPlan.source_is_copy``): the
    # view says the source where it would say the card.
    source_is_copy: bool = False


@dataclass(frozen=True)
class OffloadFinished(Event):
    """The offload that sent OffloadPlanned ended (its last job, links and manifests
    written): whether it was cancelled."""

    cancelled: bool


@dataclass(frozen=True)
class OffloadFinishing(Event):
    """Every copy of the offload has its outcome and none was cancelled; what is left is
    ``step``: ``checks`` (a cascade's check of its fast copies, then its manifests: another
    ``OffloadFinishing``, ``manifests``, comes once the check is over), ``manifests`` (the
    links, folders, manifests and folder times the destinations are finished with) or
    ``reports`` (the command's reports, after ``OffloadFinished``).
    From here on a cancel changes nothing of the outcome: nothing of the copy is left to
    cancel, and the manifests and reports are written in full. A cascade's comes once its
    copy jobs ended uncancelled, before it checks the fast copies against what it read of
    them (``cascade.run_cascade``'s *copies_over*), or, where a cascaded copy is read again
    after the renames (fusefat), once that re-read is over."""

    step: str


@dataclass(frozen=True)
class ExistingCopiesChecking(Event):
    """Before the job: copies already on the destinations are read back to be proven
    (adopted, upgraded, re-verified; see offload.existing). ``source_bytes``: what is read
    from the source for it; ``destination_bytes``: what is read back on each destination.
    Their progress comes as BytesVerified events; the job's JobStarted follows."""

    files: int
    destinations: tuple[str, ...]
    source_bytes: int
    destination_bytes: tuple[int, ...]
    # The copy work already known before the check (the copies missing; not those the check
    # may find wrong), as OffloadPlanned counts it, and the verification mode it is done
    # with: in the bar's total from the start, so the check alone never fills the bar.
    copy_source_bytes: int = 0
    copy_destination_bytes: tuple[int, ...] = ()
    copy_destination_files: tuple[int, ...] = ()
    copy_verify: str = "full"


@dataclass(frozen=True)
class FileStarted(Event):
    """The reader starts reading a file of the job."""

    relative_path: str
    size_bytes: int


@dataclass(frozen=True)
class SourceBytesRead(Event):
    """Bytes read from the source in flight (the copy pass)."""

    nbytes: int


@dataclass(frozen=True)
class SourceWaiting(Event):
    """The reader waits for a free buffer (*waiting* True: every one is still held by a
    destination's writer or the hashers), or has one again (False: it goes on to read the
    card). Said only where it had to wait, never per chunk otherwise: between a False and
    the next True the reader is in a card read, so a quiet card is the card's doing (the
    live view's words), not a destination's."""

    waiting: bool


@dataclass(frozen=True)
class DestinationBytesWritten(Event):
    """Bytes of the current file written on one destination. On one that says its bytes
    once its service holds them (S3: ``S3Partial.on_sent``), each write of a file's bytes
    (a large file's chunk, ending its ``DestinationWriting``, or a small file whole) has
    *nbytes* 0 and *taken* the bytes its upload took (buffered, sent or being sent, not yet
    held): what ``pfndispatchcopy -v`` says is uploading beyond what the service holds."""

    destination_index: int
    nbytes: int
    taken: int = 0


@dataclass(frozen=True)
class DestinationWriting(Event):
    """A write call of a large file's chunk starts on one destination (its
    ``DestinationBytesWritten`` ends it): while it is in flight the copy may wait on that
    destination, not on the card (a slow drive or link writes a chunk of 8 MiB for more than
    10 s below 0.8 MB/s). Not made for the small files' writes, whose bytes come often.
    *relative_path*: the file the chunk is of (only that file's failure ends the write;
    another's, a read-back of an earlier file found wrong, does not); "" when not said."""

    destination_index: int
    relative_path: str = ""


@dataclass(frozen=True)
class BytesVerified(Event):
    """Bytes re-read for verification: a destination's (index ≥ 0) or the source's (-1)."""

    destination_index: int
    nbytes: int


@dataclass(frozen=True)
class PhaseChanged(Event):
    """A destination (or the source, index -1) moved to another phase of a file."""

    destination_index: int
    relative_path: str
    phase: str  # "copy", "flush", "verify", "commit", "idle"


@dataclass(frozen=True)
class FileVerified(Event):
    """One file is complete on one destination under its final name."""

    destination_index: int
    relative_path: str
    final_path: str
    status: str  # "verified", or "transfer_checked" in transfer mode (never read back)
    digests: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FileFailed(Event):
    """A file failed on one destination, or on all of them (index -1: source error)."""

    destination_index: int
    relative_path: str
    message: str


@dataclass(frozen=True)
class FileCancelled(Event):
    """A copy announced good (its ``FileVerified`` or ``FileVerifiedEarlier``) that the
    run's cancel left unproved as the run leaves it: on fusefat, its re-read after the last
    rename was cancelled (``renamed_recheck``). It is at its final name, but ``cancelled``
    in the reports; this is its outcome, after that event. ``message`` says what stands
    proved of it and what not."""

    destination_index: int
    relative_path: str
    final_path: str
    message: str


@dataclass(frozen=True)
class FileVerifiedEarlier(Event):
    """A copy an earlier run recorded is trusted from the destination's ledger: not copied
    and not re-read by this run. ``verified_at`` is when that run checked it (Unix s),
    ``verified_mode`` how; ``status`` what that proves: "verified_earlier" (read back by
    that run), or "transfer_checked" (a transfer check: never read back by any run);
    ``size_checked_only``: that transfer check proved the copy's size alone, never its
    in-flight hashes (``DestinationFileResult.size_checked_only``)."""

    destination_index: int
    relative_path: str
    final_path: str
    verified_at: float | None
    verified_mode: str | None
    status: str = "verified_earlier"
    size_checked_only: bool = False


@dataclass(frozen=True)
class DestinationLost(Event):
    """A destination failed as a whole; the others go on (``errno``: the OS error that lost
    it, None when none did; ``full``: it was lost for want of room, ``DestinationError.full``,
    fusefat's EPERM with no free space left included)."""

    destination_index: int
    message: str
    errno: int | None = None
    full: bool = False


@dataclass(frozen=True)
class DestinationNotAnswering(Event):
    """A remote destination's service (an S3 bucket's) has answered none of its requests
    since *since* (Unix s: when the first request it left unanswered was sent), for
    ``s3unreachable.WAIT_SAID_S`` at least, while they are retried: *state* ``"retrying"``.
    Then once: ``"answering"`` (it answered a request again), or ``"lost"`` (a request gave
    up with nothing answered meanwhile: the destination is lost, its ``DestinationLost``
    follows). Said by the card layer, not the engine (``s3unreachable``)."""

    destination_index: int
    since: float
    state: str  # "retrying", "answering", "lost"


@dataclass(frozen=True)
class DestinationFull(Event):
    """A destination filled up (``errno``: ENOSPC, EDQUOT, or fusefat's EPERM with no free
    space left: ``DestinationSummary.lost_full``) while copies of ours found wrong
    were written again there (``existing.settle_rewrites``): those rewrites fail (each its
    ``FileFailed``), the copies already verified there stand, so it is not lost: nothing
    more is written there in that job."""

    destination_index: int
    message: str
    errno: int | None = None


@dataclass(frozen=True)
class DestinationUnfinished(Event):
    """A step that finishes a destination once its copies have their outcomes failed there
    (``steps``: ``links``, a symlink of the card not made; or ``card.FINISH_STEPS``'
    ``folders``, ``manifest``, ``folder-times``, ``run-record``): its ``result`` is
    ``failed`` and the run exits 1, its copies' own states standing. Sent once per such
    destination at the end of its finish (``card._finish_destinations``), and again, with
    ``run-record`` among its steps, where its record could not be settled ``finished``
    after it (``card._say_unsettled``); the errors themselves are the report's
    ``folder_errors``. The live view also feeds its progress model (never ``--json``) one
    with a ``report`` step for a destination that refused its report
    (``LiveView.reports_written``)."""

    destination_index: int
    steps: tuple[str, ...]


@dataclass(frozen=True)
class WarningIssued(Event):
    """Something the user should read, the copy going on (``path`` if about one; ``code``:
    a preflight finding's code, ``plan.codes.PreflightCode``, None for any other warning;
    ``relatives``: of a ``not-in-manifest`` warning, ``path`` the copy root, the card paths
    relative to it that the warning names, ``manifest_warnings``; () for any other)."""

    message: str
    path: str | None = None
    code: str | None = None
    relatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class CardReleased(Event):
    """A cascading offload (``--cascade``): the card's pass is over, every fast destination is
    done (copied, verified, manifests written); the card is not read again and can be
    ejected. The cascaded (slow) destinations are then fed from a verified fast copy.
    ``files_verified``: files good on every fast destination (verified, or only
    transfer-checked: see ``files_transfer_checked``); ``files_transfer_checked``: those of
    them with a fast copy never read back (transfer-checked only); ``files_failed``: files that
    failed on some fast destination (the card is needed to retry those);
    ``files_not_cascaded``: those of them no fast destination holds, which the cascade
    cannot feed (every fast one failed it, or the card could not give it);
    ``files_read_through_cache``: files good on every fast destination with a fast copy read
    back only through a cache (``cache_bypass`` ``none`` or ``server``: tmpfs, a network
    share, pages that stayed cached), said so beside "verified". ``without_card``:
    a fast copy holds every file, read back, and the release recorded it there: a re-run
    without the card is fed from it (``cascade.fast_copy_source``). ``nothing_to_feed``: the
    slow destinations need no file from the fast copies (theirs are already there).
    ``slow_refused``: with ``nothing_to_feed``, the copies already on a slow destination
    refused there (other content, or its check failed), counted per (file, slow
    destination), not fed either (the cascade never writes over them): never said "already
    there".
    ``files_verified_earlier``: of the files verified, those whose every copy that could
    stand for the card was trusted from its ledger (verified by an earlier run, not read back
    in this run): the card is not released on such a copy until this run has read it (the
    cascade's read of it, matched to the card's digests), so the event at the card pass's end
    says ``without_card`` false, and a second one follows the cascade, ``after_cascade``
    true, when its reads proved such a copy whole (``cascade._release_after_reread``): then
    ``files_verified_earlier`` counts the files of it the cascade read, ``reread`` names the
    fast copies so proven, and ``not_reread`` the other fast copies holding files an earlier
    run verified that nothing in this run read (trusted from their ledgers, never said read).
    ``on_card_disk``: the fast destinations on the card's own filesystem or disk
    (``cascade.on_card_disk``; never a bucket): their copies die with the card, so none of
    them releases it; ``kept_by_its_disk``: every local fast destination is among them (a
    copy in a bucket never stands for the card), so the card's pass cannot release it
    (``without_card`` false when no other copy stands for the card); ``card_disk_unknown``:
    the card is on no disk this machine names, so ``on_card_disk`` holds every local fast
    destination, each of which may be on its disk (``cascade.card_disk_unknown``).
    ``files_verified_on``, ``files_transfer_checked_on``, ``files_failed_on``: with
    ``files_failed`` not 0 (else empty: every fast destination holds every file), the same
    counts on each fast destination, in the order of ``destinations``: files good there
    (verified, or transfer-checked only), those of them never read back there, and files
    that failed there (or at the card); where they differ between the fast destinations,
    the terminal's line counts each one (one fast copy holding every file, another failing
    them all, said "0 files verified on A, B, 3 FAILED there" of both).
    ``ignored``: how many of the card's entries the run left out, not copied (the summary's
    "Ignored (not copied)" count; the report lists them); ``left_out``: the card release's
    words for those that keep the card (``report.release.left_out_words``: a user's
    ``--ignore`` pattern's, a name like offload-ai's partial files; "" when none): a card
    ejected on this line must not be formatted before they are copied."""

    source: str
    destinations: tuple[str, ...]  # the fast ones, done
    cascade: tuple[str, ...]  # the slow ones, fed next
    files_verified: int
    files_failed: int
    without_card: bool = False
    files_transfer_checked: int = 0
    files_not_cascaded: int = 0
    files_read_through_cache: int = 0
    nothing_to_feed: bool = False
    slow_refused: int = 0
    files_verified_earlier: int = 0
    after_cascade: bool = False
    reread: tuple[str, ...] = ()
    not_reread: tuple[str, ...] = ()
    on_card_disk: tuple[str, ...] = ()
    kept_by_its_disk: bool = False
    card_disk_unknown: bool = False
    files_verified_on: tuple[int, ...] = ()
    files_transfer_checked_on: tuple[int, ...] = ()
    files_failed_on: tuple[int, ...] = ()
    ignored: int = 0
    left_out: str = ""
    # One of the ignored entries is the source's ASC MHL history, which the run carries into
    # the destinations' histories: the line says so, as the summary does.
    ignored_history: bool = False
    # Of the ``ignored`` entries, the folders' paths (their content not looked at): the line
    # counts them as the summary does, "1 folder (PROXY/)", not "1 entry".
    ignored_folders: tuple[str, ...] = ()
    # The fast destinations whose record that this offload finished could not be written
    # (their ``run-record`` step failed, said as it failed): the card is not released,
    # ``without_card`` false, whatever the copies hold (``cascade._release``).
    unrecorded: tuple[str, ...] = ()
    # The source is no card but a copy root of ours (``OffloadPlan.source_is_copy``): the
    # line is said of the source (``report.source_words``), nothing of a card to eject.
    source_is_copy: bool = False


@dataclass(frozen=True)
class CancelWaiting(Event):
    """A cancelled job still waits, ``CANCEL_WAITING_S`` after the cancel, for calls that have
    not returned: the card's (*card*: the reader's, a read or an open) and those of the
    destinations *destinations* (indexes: a write, a read-back, the removal of a partial).
    Said once a job; nothing else stops a thread blocked in a call (a hung card or drive)."""

    card: bool
    destinations: tuple[int, ...]


@dataclass(frozen=True)
class JobFinished(Event):
    """A copy job ended: its exit code, and whether it was cancelled."""

    exit_code: int
    cancelled: bool


class EventSink(Protocol):
    """Receives events. Called from several threads at once; must not block for long.

    A sink may also say which events it takes at all: an attribute ``accepts``, a frozenset
    of event classes (exactly those: a subclass is not included), fixed for the sink's life;
    without it (or None) it takes every event. The engine asks once a job (``wanted``) and
    does not make the per-file events that no subscriber takes (``offload copy --quiet``: its
    subscribers take warnings and a few phases, not the ~5 events a file and destination the
    progress model reads: docs/performance.md, "The 50,000-file card: tenth pass"). Anything
    it does emit may still be one a sink does not take: a sink ignores those, as before.

    A sink that takes ``PhaseChanged`` may also name the phases it takes: an attribute
    ``phases``, a frozenset of phase names (``"flush"``...), fixed likewise; without it (or
    None) it takes every phase. The engine makes no file's own phase (``"copy"``,
    ``"verify"``: one a file and destination) that no subscriber takes (``wanted_phase``);
    the phases of a batch (``"flush"``, ``"commit"``, ``"wait"``) are made whenever
    ``PhaseChanged`` is ``wanted``, each once a batch.
    """

    def emit(self, event: Event) -> None: ...


def wanted(sink: object, kind: type[Event]) -> bool:
    """Whether *sink* takes events of class *kind* (``EventSink``'s ``accepts``): False only
    when it names the classes it takes and *kind* is not one of them."""
    accepts: frozenset[type[Event]] | None = getattr(sink, "accepts", None)
    return accepts is None or kind in accepts


def wanted_phase(sink: object, phase: str) -> bool:
    """Whether *sink* takes ``PhaseChanged`` events of *phase*: ``wanted`` and, where it
    names the phases it takes (``EventSink``'s ``phases``), one of them."""
    if not wanted(sink, PhaseChanged):
        return False
    phases: frozenset[str] | None = getattr(sink, "phases", None)
    return phases is None or phase in phases


def phases_of(sinks: Iterable[object]) -> frozenset[str] | None:
    """The phases several subscribers take together: None (every phase) if one that takes
    ``PhaseChanged`` names no phases, else the union of those named (a subscriber that takes
    no ``PhaseChanged`` adds none)."""
    union: set[str] = set()
    for sink in sinks:
        if not wanted(sink, PhaseChanged):
            continue
        phases: frozenset[str] | None = getattr(sink, "phases", None)
        if phases is None:
            return None
        union |= phases
    return frozenset(union)


def accepts_of(sinks: Iterable[object]) -> frozenset[type[Event]] | None:
    """What several subscribers take together: None (everything) if one of them takes
    everything, else the union of what each names."""
    union: set[type[Event]] = set()
    for sink in sinks:
        accepts: frozenset[type[Event]] | None = getattr(sink, "accepts", None)
        if accepts is None:
            return None
        union |= accepts
    return frozenset(union)


class NullSink:
    accepts: frozenset[type[Event]] = frozenset()

    def emit(self, event: Event) -> None:
        pass


class FanoutSink:
    """Forwards every event to several subscribers, in order, each isolated from the others and
    from the thread that emits (as s3transfer does with its subscribers).

    An exception (``Exception``, not KeyboardInterrupt/SystemExit) raised by a subscriber is
    caught; the subscriber keeps getting the next events (one bad event must not blind a
    renderer for the rest of the job). The first failure of each subscriber becomes one
    ``WarningIssued`` (naming the subscriber, the event and the exception; sent to every
    subscriber) and one line in ``warnings``, which the caller copies into the job's report;
    later failures of the same subscriber are only counted (``failures``); the traceback is
    logged at DEBUG on the ``offload.events`` logger. Thread-safe; ``emit`` never raises
    ``Exception``.
    """

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = sinks
        # What its subscribers take together (``EventSink``): fixed, as theirs are.
        self.accepts = accepts_of(sinks)
        self.phases = phases_of(sinks)
        self._lock = threading.Lock()
        self._failures: dict[int, int] = {}
        self._warnings: list[str] = []

    def emit(self, event: Event) -> None:
        for index, sink in enumerate(self.sinks):
            try:
                sink.emit(event)
            except Exception as exc:
                self._failed(index, sink, event, exc)

    @property
    def warnings(self) -> list[str]:
        """One line per subscriber that raised (nested FanoutSinks' lines included)."""
        with self._lock:
            lines = list(self._warnings)
        for sink in self.sinks:
            if isinstance(sink, FanoutSink):
                lines.extend(sink.warnings)
        return lines

    @property
    def failures(self) -> int:
        """How many times a subscriber raised, in all."""
        with self._lock:
            return sum(self._failures.values())

    def _failed(self, index: int, sink: EventSink, event: Event, exc: Exception) -> None:
        with self._lock:
            count = self._failures.get(index, 0)
            self._failures[index] = count + 1
            if count:
                return
            message = (
                f"event subscriber {subscriber_name(sink)} raised "
                f"{type(exc).__name__}: {exc} on {type(event).__name__}; the copy went on, "
                "but what this subscriber shows or writes may be incomplete"
            )
            self._warnings.append(message)
        # logging is imported here, the first time a subscriber fails: it costs ~3 ms of
        # every offload's start-up otherwise.
        import logging

        logging.getLogger("offload.events").debug("%s", message, exc_info=exc)
        # Re-entrant, and finite: a subscriber that raises on this warning is only counted.
        self.emit(WarningIssued(message))


class SerialFanoutSink(FanoutSink):
    """A :class:`FanoutSink` that hands its subscribers one event at a time: each event
    reaches every subscriber, in order, before the next event (from any thread) reaches the
    first. For a subscriber that writes what an earlier one holds: ``--progress-trace``'s
    snapshot of the progress model that the subscribers before it feed never counts an event
    whose own line it has not written yet (a plain FanoutSink lets a second thread's
    snapshot in between the model's update and the line). Thread-safe; re-entrant (a
    subscriber's failure is announced from inside ``emit``); every emitting thread waits
    for the others' events, so use it only where that order is the point."""

    def __init__(self, *sinks: EventSink) -> None:
        super().__init__(*sinks)
        self._order = threading.RLock()

    def emit(self, event: Event) -> None:
        with self._order:
            super().emit(event)


def subscriber_name(sink: object) -> str:
    cls = type(sink)
    return f"{cls.__module__}.{cls.__qualname__}"


def isolated(sink: EventSink | None) -> FanoutSink:
    """The sink to hand to the engine: *sink*'s exceptions never reach the engine's threads.

    A FanoutSink is returned as it is (it isolates its subscribers); anything else is wrapped.
    After the job, the returned sink's ``warnings`` say which subscriber failed.
    """
    if isinstance(sink, FanoutSink):
        return sink
    return FanoutSink() if sink is None or isinstance(sink, NullSink) else FanoutSink(sink)
