"""What a job did: per file, per destination, per job; and the exit code that follows.

All result objects are plain data, filled by the engine and read after the job; they are not
shared between threads while the job runs (each worker owns the results it builds and hands
them over through the job's lock).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NoReturn

from offload.errors import ExitCode
from offload.remedies import Refusal

if TYPE_CHECKING:
    from offload.engine.devices import DeviceGroup


class DestinationStatus(StrEnum):
    """What this run proved about one file on one destination; the only words reports use.

    VERIFIED: read back from the destination's media in this run and matched (destination or
    full mode; on fusefat, also a transfer-mode copy read again after the run's last rename
    and equal to its in-flight digest: ``renamed_recheck``, ``cache_bypass`` NONE).
    VERIFIED_EARLIER: trusted from the destination's ledger, where an earlier run
    recorded it verified (``verified_at``, ``verified_mode``); not re-read now.
    TRANSFER_CHECKED: written with the in-flight hash and the size checked, never read back
    (transfer mode), by this run or, with ``CopyAction.TRUSTED``, by an earlier one whose
    ledger record is trusted (``verified_mode`` ``transfer``, ``recorded_digests``; on
    fusefat such a copy may have been read again after the run's renames and found equal
    to the ledger's digests: the report's notes say so).
    FAILED: see ``error``. CANCELLED: the job was cancelled before this copy was verified
    (no final name was given to it by this run), or, on fusefat, before it was read again
    after the run's last rename (``renamed_recheck``: at its final name, proved only before
    the renames, its ``error`` says so, revoked from the ledger).
    """

    VERIFIED = "verified"
    VERIFIED_EARLIER = "verified_earlier"
    TRANSFER_CHECKED = "transfer_checked"
    FAILED = "failed"
    CANCELLED = "cancelled"


# How a copy-no-longer-matches (or copy-unreadable) warning names a copy of ours found wrong
# (or unreadable) and kept, the new copy written beside it (--keep-both:
# existing.found_wrong_warnings). Words for people only: readers tell such a copy by the
# warning's ``kept`` field (``PreflightItem.kept``).
KEPT_BESIDE = "kept as it is (--keep-both)"


def kept_damaged(code: object, kept: object) -> bool:
    """Whether a job report's warning (its *code*, a ``PreflightCode`` or its value, and
    *kept*, its ``kept`` field: ``PreflightItem.kept``, true only, absent from a report an
    older offload-ai wrote, whose exit code did not count it) names a copy of ours found
    wrong and kept at the card file's name (``--keep-both``), the new copy beside it: the
    file at that name is damaged and the copy root's ASC MHL history records it as the
    card's, so ``ascmhl-debug verify`` and
    ``offload verify`` of that copy root fail for it. Such a run is never "all verified":
    exit 1 (``card.OffloadReport.exit_code_with``), and the verdict lines say why."""
    return str(code) == "copy-no-longer-matches" and kept is True


def beside_proof(statuses: Iterable[str]) -> str:
    """How the verdict words the good copies written beside copies of ours kept damaged
    (``kept_damaged``), from those copies' *statuses* (``DestinationStatus`` values):
    "verified " when each was read back (now or earlier), "transfer-checked " when one is
    that only, "" when none is known (never more than the copies proved)."""
    said = set(statuses)
    if not said:
        return ""
    if said <= {DestinationStatus.VERIFIED, DestinationStatus.VERIFIED_EARLIER}:
        return "verified "
    if said <= GOOD_STATUSES:
        return "transfer-checked "
    return ""


GOOD_STATUSES = frozenset(
    {
        DestinationStatus.VERIFIED,
        DestinationStatus.TRANSFER_CHECKED,
        DestinationStatus.VERIFIED_EARLIER,
    }
)


def was_proved(status: DestinationStatus) -> str:
    """What a good copy's *status* proved, for a line saying it was found changed or gone
    since: never "verified" for a copy only transfer-checked, "by an earlier run" for one
    trusted from the ledger."""
    if status is DestinationStatus.TRANSFER_CHECKED:
        return "was transfer-checked"
    if status is DestinationStatus.VERIFIED_EARLIER:
        return "was verified by an earlier run"
    return "was verified"


def was_recorded(status: DestinationStatus) -> str:
    """What a good copy's *status* recorded of its content: "was recorded" for a copy only
    transfer-checked (its digests were never read back from the drive)."""
    return "was recorded" if status is DestinationStatus.TRANSFER_CHECKED else "was verified"


class FastCopyFailure(StrEnum):
    """Why a cascade failed a copy on a fast destination that the report had called good
    (``cascade._fail_damaged``): the kind the failure is made with where it is found
    (``DestinationFileResult.fast_failure``, the JSON's copy ``fast_failure``), from which
    the cascade's words take what mends it (``report/cascade_words.fast_rerun``,
    ``fast_unreachable``), never from the words of its error, which change. None for any
    other copy."""

    # Its file, or its copy root, removed, its drive still there: nothing is there to
    # replace, a plain re-run with the card copies it anew (never --overwrite).
    REMOVED = "removed"
    # Its read for the cascade failed (EIO; its stat at the cascade's end too): nothing
    # found bad; a plain re-run with the card reads it back, keeps it if equal to the card.
    UNREADABLE = "unreadable"
    # Found other than it was verified: other digests when read, another size, date or
    # object, no longer a regular file. --overwrite replaces it.
    CHANGED = "changed"
    # Its drive gone (pulled, unmounted, no longer answering) when the cascade came to it or
    # checked it at its end: not found bad; that drive is reconnected and the same command
    # run again.
    DRIVE_GONE = "drive_gone"


class CacheBypass(StrEnum):
    """How a read-back avoided the page cache (so that it read the media)."""

    O_DIRECT = "o_direct"  # read with O_DIRECT: the page cache was not used
    FADVISE = "fadvise"  # fsync + POSIX_FADV_DONTNEED, and mincore() showed nothing cached
    # A FUSE filesystem over a local block device (fuseblk: ntfs-3g, exfat-fuse): the file's
    # own cache avoided (O_DIRECT or fadvise) and the device's page cache, which the daemon
    # reads through, written back and dropped after the copy was durable (fs/below.py).
    DEVICE = "device"
    # The data was (partly) still cached: the read-back may have come from RAM, so it proves
    # nothing about the disk (report/release.py does not count it to release the card).
    NONE = "none"
    NOT_READ = "not-read"  # no read-back (transfer mode)
    REMOTE = "remote"  # read from a remote service (an S3 GET): no local cache in the way
    # Read from a network filesystem (NFS, SMB, sshfs, ...): the server answered, maybe from
    # its own cache; a client cannot read the server's disk. Proves the copy reached the
    # server, not its disk: the card release does not count it (report/release.py).
    SERVER = "server"

    @property
    def through_cache(self) -> bool:
        """Whether this read-back went through a cache (the page cache that could not be
        dropped, or a network share's server): it matched what the cache returned, which
        proves nothing of the media. The one rule every counter and report line uses
        (``state_names.THROUGH_A_CACHE`` holds these values as the ledger's words)."""
        return self is CacheBypass.NONE or self is CacheBypass.SERVER


class CopyAction(StrEnum):
    """How this run got a copy to its state (besides the state itself)."""

    COPIED = "copied"  # written from the source by this run
    # Written from the source by this run over a file already at its name (--overwrite, or a
    # copy of ours found wrong): the file that was there is gone, which the reports name.
    REPLACED = "replaced"
    # Already there, not ours (cp, rsync, --no-resume): this run set out to adopt it, reading
    # it back against the source. Its status says what came of that: verified (equal),
    # failed (found different and refused, unreadable, or the source unreadable), or
    # cancelled before its read-back (each but the first kept as it is, nothing written).
    ADOPTED = "adopted"
    # A copy an earlier run recorded, read back again now: its status says what came of it
    # (verified if it matched, else failed or cancelled; verified_earlier still on a fast
    # copy a cascade read whole, equal to the card's digests: ``cascade._mark_read``).
    RECHECKED = "rechecked"
    TRUSTED = "trusted"  # a copy an earlier run verified, trusted from the ledger (not re-read)


# What this run wrote from the source (a new copy, or one over a file already there).
WRITTEN_ACTIONS = frozenset({CopyAction.COPIED, CopyAction.REPLACED})
# A copy already there that this run read back before its jobs (``existing``: a copy of ours
# rechecked, one adopted): its ``verify_s`` is that read, no job's. A copy the engine adopts
# mid-job (a name taken by another writer meanwhile) has none: no time is counted twice.
READ_BEFORE = (CopyAction.ADOPTED, CopyAction.RECHECKED)


class _NoDigests(dict[str, str]):
    """The empty digests every result without digests shares (``NO_DIGESTS``): a ``dict``,
    so that reports encode it as ``{}``, but read-only, since it is shared. A result gets
    its digests by assignment (``result.digests = {...}``), never by filling this one."""

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("NO_DIGESTS is shared and read-only: assign a new dict instead")

    __setitem__ = __delitem__ = __ior__ = _refuse
    update = setdefault = pop = popitem = clear = _refuse


# One empty dict per result and field cost 64 B each, four a file on a one-destination job.
NO_DIGESTS: dict[str, str] = _NoDigests()


def no_digests() -> dict[str, str]:
    """``NO_DIGESTS``, as a dataclass field's ``default_factory`` (a dict cannot be a
    field's plain default)."""
    return NO_DIGESTS


# Slots: one FileResult and one DestinationFileResult per file and destination live for the
# whole job (and its reports); without an instance __dict__ each is ~200 B smaller.
@dataclass(slots=True)
class DestinationFileResult:
    """The outcome of one file on one destination."""

    destination_index: int
    final_path: str
    status: DestinationStatus
    error: str | None = None
    bytes_written: int = 0
    # Bytes of the copy an interrupted earlier write left there, not sent again (an S3
    # multipart upload resumed); not in ``bytes_written``.
    bytes_resumed: int = 0
    # read back from this destination now
    digests: dict[str, str] = field(default_factory=no_digests)
    # For a copy trusted from the ledger (VERIFIED_EARLIER, or TRANSFER_CHECKED with action
    # TRUSTED): the digests the ledger recorded for it (not re-read now).
    recorded_digests: dict[str, str] = field(default_factory=no_digests)
    cache_bypass: CacheBypass = CacheBypass.NOT_READ
    reread: bool = False  # a mismatch was re-read once (and then matched, if verified)
    copy_s: float = 0.0
    verify_s: float = 0.0
    # When this copy was last verified (time.time()); for VERIFIED_EARLIER, by an earlier run.
    verified_at: float | None = None
    # The verification mode that proved it ("destination", "full"; "transfer" for a
    # transfer check); for VERIFIED_EARLIER, the earlier run's mode.
    verified_mode: str | None = None
    action: CopyAction = CopyAction.COPIED
    # Of a FAILED copy refused where the same command would refuse it again (a file in the
    # way, another card's copy, a copy of ours found wrong whose rewrite failed): which
    # (``remedies.Refusal``), what every advice on it reads, never ``error``'s words.
    refusal: Refusal | None = None
    # Of a fast copy a cascade failed after the report called it good: why
    # (``FastCopyFailure``), what the cascade's words read, never ``error``'s words.
    fast_failure: FastCopyFailure | None = None
    # Of a copy trusted from a transfer check's ledger entry (TRANSFER_CHECKED, action
    # TRUSTED): that check proved its size alone, never its in-flight hashes
    # (``ledger.size_checked_only``: an S3 service that stores a part whatever its checksum,
    # or an S3 entry too old to tell). This run's own transfer checks: by destination,
    # ``OffloadReport.size_checked_only``.
    size_checked_only: bool = False


@dataclass(slots=True)
class FileResult:
    """One file of the job: its source (its path relative to the card's root), in-flight
    digests and a result per destination.

    No path of the source file's own: nothing after the job reads one, and the scan's
    (the ``SourceFile``'s ``path_text``, ~115 B at a card's usual depth) held here kept one
    string a file alive through the end's manifests and documents after the scan's tree was
    freed (docs/performance.md, "The command's memory at 50,000 files, counted": thirty-fourth
    pass)."""

    relative_path: str
    size_bytes: int
    mtime_ns: int
    inflight_digests: dict[str, str] = field(default_factory=no_digests)
    source_reread_digests: dict[str, str] = field(default_factory=no_digests)
    source_error: str | None = None
    source_cache_bypass: CacheBypass = CacheBypass.NOT_READ
    destinations: list[DestinationFileResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.source_error is None
            and bool(self.destinations)
            and all(d.status in GOOD_STATUSES for d in self.destinations)
        )

    def destination(self, index: int) -> DestinationFileResult | None:
        for result in self.destinations:
            if result.destination_index == index:
                return result
        return None


@dataclass
class DestinationSummary:
    """One destination's totals at the end of the job."""

    index: int
    root: str
    device: str
    lost: bool = False
    lost_reason: str | None = None
    lost_errno: int | None = None  # the OS error that lost it, if one did (not reported)
    # Lost for want of room (``DestinationError.full``: ENOSPC, EDQUOT, or a filesystem's
    # other words for it, fusefat's EPERM); not reported.
    lost_full: bool = False
    lost_at: float | None = None  # when it was lost (Unix seconds), if it was
    files_verified: int = 0
    files_transfer_checked: int = 0
    files_verified_earlier: int = 0
    files_failed: int = 0
    files_cancelled: int = 0
    bytes_written: int = 0
    bytes_resumed: int = 0  # found there from an interrupted run, not sent (S3 resume)
    files_resumed: int = 0  # copies completed from such an interrupted write
    # Each summed over this destination's files (``copy_s`` with each batch's sync): the
    # writer and the read-back run at once, so their sum is no wall time (docs/json.md).
    copy_s: float = 0.0
    verify_s: float = 0.0
    # Wall seconds from the writer's start of the first file here to the end of the last
    # batch's read-back and commit (``DestinationState.first_write``, ``last_done``); a
    # cascade's second job over the same destination adds its own.
    span_s: float = 0.0
    # The read-backs of the copies already there before the copy (``--reverify``, a copy of
    # ours adopted: ``READ_BEFORE``), summed over the files' results as they stand
    # (``count``): not in ``verify_s`` nor in ``span_s``, whose read-backs are the jobs'.
    # Made from the files, never added up job by job: a file fed again keeps its results
    # there, so a job's sum would count them once more (``merge_job_reports``).
    verify_before_s: float = 0.0

    def mark_lost(
        self, reason: str | None, errno: int | None, at: float | None, *, full: bool = False
    ) -> None:
        """Record this destination lost: *reason* (the reports' ``lost_reason``), the OS
        error number that lost it (*errno*, None when none did), when (*at*, Unix seconds)
        and whether for want of room (*full*). The one place the five ``lost`` fields are
        set together: the engine's summary of a destination given up, a cascade's job
        merged in (``merge_job_reports``), a cascade's fast drive found gone
        (``cascade._declare_gone``)."""
        self.lost, self.lost_reason, self.lost_errno = True, reason, errno
        self.lost_at, self.lost_full = at, full

    @property
    def throughput_mb_s(self) -> float:
        """The bytes written here over the wall span of this destination's work
        (``span_s``), MB = 10^6: what reached it, verified, a second. Not over
        ``copy_s + verify_s``, which overlap: 128 MB/s said beside a job that wrote the same
        1.5 GB there at 190 MB/s. 0 when nothing was written."""
        span = self.span_s
        return self.bytes_written / span / 1e6 if span > 0 and self.bytes_written else 0.0

    @property
    def failed(self) -> bool:
        """The destination was lost, or some file failed there."""
        return self.lost or self.files_failed > 0

    def result(self, failed_links: int = 0) -> str:
        """What became of this destination, in the one word the JSON reports, the
        ``--json`` lines and the terminal's summary share: ``failed`` (lost, a file failed,
        or one of the card's *failed_links* symlinks could not be made there), else
        ``cancelled`` (the run was cancelled before some file was finished there), else
        ``ok``."""
        if self.failed or failed_links:
            return "failed"
        return "cancelled" if self.files_cancelled else "ok"

    def count(self, files: Sequence[FileResult]) -> None:
        """Set the per-state counts and bytes written from the files' results here."""
        counts = dict.fromkeys(DestinationStatus, 0)
        written = resumed = resumed_files = 0
        index = self.index
        # Looked up once, not a file: the loop runs once a file and destination at the
        # job's end (docs/performance.md, "A few calls a file less": thirty-second pass).
        written_now = (DestinationStatus.VERIFIED, DestinationStatus.TRANSFER_CHECKED)
        # Nearly every copy is one this run wrote: told by identity first, no compare.
        before, copied, read_before = 0.0, CopyAction.COPIED, READ_BEFORE
        for file in files:
            # ``FileResult.destination`` written out (a call a file less).
            for result in file.destinations:
                if result.destination_index == index:
                    break
            else:
                continue
            status = result.status
            counts[status] += 1
            action = result.action
            if action is not copied and action in read_before:
                before += result.verify_s
            if status in written_now:
                written += result.bytes_written
                resumed += result.bytes_resumed
                resumed_files += 1 if result.bytes_resumed else 0
        self.files_verified = counts[DestinationStatus.VERIFIED]
        self.files_transfer_checked = counts[DestinationStatus.TRANSFER_CHECKED]
        self.files_verified_earlier = counts[DestinationStatus.VERIFIED_EARLIER]
        self.files_failed = counts[DestinationStatus.FAILED]
        self.files_cancelled = counts[DestinationStatus.CANCELLED]
        self.bytes_written = written
        self.bytes_resumed = resumed
        self.files_resumed = resumed_files
        self.verify_before_s = before


_SOURCE_ERROR = attrgetter("source_error")


@dataclass
class JobReport:
    """The outcome of one job. ``exit_code`` is derived, never stored."""

    verify: str
    algorithms: tuple[str, ...]
    files: list[FileResult] = field(default_factory=list)
    destinations: list[DestinationSummary] = field(default_factory=list)
    started_at: float = 0.0  # time.time()
    finished_at: float = 0.0
    elapsed_s: float = 0.0  # monotonic
    cancelled: bool = False
    warnings: list[str] = field(default_factory=list)
    # The destinations grouped by the disk they share, and how each group read back
    # (engine.devices.DeviceGroup).
    devices: list[DeviceGroup] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(f.size_bytes for f in self.files)

    @property
    def speed_mb_sec(self) -> float:
        """Source bytes per second of the whole job (copy + verification), MB = 10^6."""
        return self.total_bytes / self.elapsed_s / 1e6 if self.elapsed_s > 0 else 0.0

    @property
    def exit_code(self) -> ExitCode:
        """The job's exit code from its files' outcomes (``job_exit_code``'s rule), counted
        by a pass over every outcome (~8.5 ms at 50,000 files on two destinations). Derived
        at each call, never stored: the card layer changes outcomes after the job (a copy
        found wrong, a re-read after renames, a cascade's second job), so a kept value could
        go stale. Where the destinations' counts were just made from these files (the engine
        at the job's end), ``job_exit_code`` takes them instead (``counted_outcomes``)."""
        outcomes = [d.status for f in self.files for d in f.destinations]
        good = sum(1 for status in outcomes if status in GOOD_STATUSES)
        return job_exit_code(self, good, len(outcomes))

    # Read-only mapping access (``report["speed_mb_sec"]``) for code written against a dict
    # result; the typed attributes above stay the API. Keys: public fields and properties.
    def keys(self) -> tuple[str, ...]:
        properties = [
            name for name, value in vars(JobReport).items() if isinstance(value, property)
        ]
        return (*(f.name for f in fields(self)), *properties)

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self.keys() else default


def job_exit_code(report: JobReport, good: int, outcomes: int) -> ExitCode:
    """The one rule of a job's exit code, over the counts of its files' outcomes: *outcomes*
    results on every destination (a file with none on a destination counts none there),
    *good* of them verified, transfer-checked or verified earlier (``GOOD_STATUSES``).
    Cancelled (130); no file, OK; not one good copy, failed (2); a copy not good, or a source
    that could not be read, partial (1); else OK. Only the source errors are looked up a file
    of *report* (one attribute each, in C), and only when every outcome is good. The counts
    come from a pass over the outcomes (``JobReport.exit_code``) or from the destinations'
    per-state counts (``counted_outcomes``, which the engine has just made from the files:
    with counts older than the files' outcomes it may differ, so the reports' code is
    ``JobReport.exit_code``'s, worked out once, ``job_report.write_reports``)."""
    if report.cancelled:
        return ExitCode.CANCELLED
    if not report.files:
        return ExitCode.OK
    if not good:
        return ExitCode.FAILED
    if good != outcomes or any(map(_SOURCE_ERROR, report.files)):
        return ExitCode.PARTIAL
    return ExitCode.OK


def counted_outcomes(destinations: Iterable[DestinationSummary]) -> tuple[int, int]:
    """``job_exit_code``'s counts (good, outcomes) from the *destinations*' per-state counts
    (``DestinationSummary.count``): the outcomes are those counts' sum, the good ones the
    verified, transfer-checked and verified-earlier counts'."""
    good = outcomes = 0
    for d in destinations:
        fine = d.files_verified + d.files_transfer_checked + d.files_verified_earlier
        good += fine
        outcomes += fine + d.files_failed + d.files_cancelled
    return good, outcomes


def merge_job_reports(into: JobReport, other: JobReport) -> None:
    """Fold a second job over the same card and destinations into *into*: each file's
    results on the destinations the second job handled are added to the first's, the
    per-destination counts and times are recomputed. Not thread-safe (after both jobs)."""
    by_path = {f.relative_path: f for f in into.files}
    for file in other.files:
        mine = by_path.get(file.relative_path)
        if mine is None:
            into.files.append(file)
            continue
        have = {d.destination_index for d in mine.destinations}
        mine.destinations.extend(d for d in file.destinations if d.destination_index not in have)
        mine.destinations.sort(key=lambda d: d.destination_index)
        mine.inflight_digests = mine.inflight_digests or file.inflight_digests
        mine.source_reread_digests = mine.source_reread_digests or file.source_reread_digests
        mine.source_error = mine.source_error or file.source_error
    others = {d.index: d for d in other.destinations}
    for summary in into.destinations:
        extra = others.get(summary.index)
        if extra is not None:
            summary.copy_s += extra.copy_s
            summary.verify_s += extra.verify_s
            summary.span_s += extra.span_s
            if extra.lost and not summary.lost:
                summary.mark_lost(
                    extra.lost_reason, extra.lost_errno, extra.lost_at, full=extra.lost_full
                )
        summary.count(into.files)
    into.finished_at = max(into.finished_at, other.finished_at)
    into.cancelled = into.cancelled or other.cancelled
    into.warnings.extend(other.warnings)
    grouped = {i for group in into.devices for i in group.destinations}
    into.devices.extend(g for g in other.devices if not grouped.intersection(g.destinations))
