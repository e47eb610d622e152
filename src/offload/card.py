"""Offload a whole card (a folder tree, or one file) to several destinations.

``plan_offload`` scans the source, plans each destination, runs the preflight and decides
per file and destination what is left to do (an incremental offload skips what a ledger
proves verified there). ``run_offload`` copies the rest with one CopyJob, then reproduces
symlinks, empty folders and folder mtimes, and returns an OffloadReport. Neither prints.
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import itertools
import os
import stat
import time
from collections import Counter
from collections.abc import (
    Callable,
    Collection,
    Container,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from offload import (
    card_beside,
    card_folder,
    card_presence,
    cascade_unsettled,
    fingerprint,
    link_targets,
    remedies,
    run_record,
)
from offload.card_history import (
    CardHistory,
    check_card_history,
    history_record,
    keep_recorded,
    not_carried_warning,
    reference_formats,
)
from offload.card_identity import CardIdentity, card_identity, describe_key, parse_key
from offload.card_legacy_mhl import (
    check_legacy_mhls,
    formats_to_add,
    keep_listed,
    trusted_copy_unlike,
)
from offload.card_nested_history import (
    check_nested_histories,
    keep_nested_recorded,
    with_nested_histories,
)
from offload.copy_reread import reads_as_recorded
from offload.destinations.naming import keep_both_text, under_another_name
from offload.destinations.s3url import display_path, is_s3_root, is_s3_url
from offload.engine.cancel import CancelToken
from offload.engine.devices import DeviceGroup, group_destinations
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.errors import (
    DRIVE_GONE_ERRNOS,
    DestinationError,
    PreflightRefused,
    UsageError,
    closed_folder,
    describe_os_error,
    name_refused_advice,
    out_of_inodes,
    printable_name,
    refusal_lines,
    unexpanded_tilde,
    unreachable_ancestor,
    vanished,
)
from offload.events import (
    DestinationFull,
    DestinationLost,
    DestinationUnfinished,
    Event,
    EventSink,
    ExistingCopiesChecking,
    FileCancelled,
    FileFailed,
    FileVerified,
    JobStarted,
    OffloadFinished,
    OffloadFinishing,
    OffloadPlanned,
    PhaseChanged,
    WarningIssued,
    WorkPlanned,
    accepts_of,
    isolated,
    phases_of,
)
from offload.existing import (
    FULL_ERRNOS,
    HISTORY_WORDS,
    CheckKind,
    CheckOutcome,
    ExistingCopy,
    FoundWrong,
    check_existing,
    found_wrong_unread,
    found_wrong_warnings,
    needs_source,
    never_written,
    other_content_words,
    record_formats,
    settle,
    settle_rewrites,
    unread_rewrites,
    wholly_unread,
)
from offload.fs import mount_table
from offload.fs.devices import folder_device
from offload.fs.listing import FolderListings
from offload.fs.ops import fsync_dir
from offload.hashing.registry import VERIFY_ONLY, comparable_digest
from offload.ledger import (
    DATE_SLACK_NS,
    LEDGER_NAME,
    REVOKED_BY_OFFLOAD,
    STATE_FOLDER,
    THROUGH_A_CACHE,
    TOOL_IGNORE_PATTERNS,
    Ledger,
    LedgerEntries,
    LedgerEntry,
    computable_formats,
    final_path_of,
    ours_entry,
    proof_satisfies,
    proven_when,
    recorded_entry,
    same_card,
    size_checked_only,
)
from offload.lock import CopyRootBusy, busy_copy_root, lock_copy_roots
from offload.manifest_options import ManifestOptions, MhlKind, manifest_formats_problem
from offload.manifest_stamp import stamp_options
from offload.model import dated_as_card
from offload.options import CopyOptions, ExistingFilePolicy, ProductionInfo, VerifyMode
from offload.plan import (
    AbsentFolders,
    DestinationPlan,
    IgnoreRules,
    PreflightCode,
    PreflightItem,
    PreflightReport,
    ScanError,
    SourceTree,
    plan_destinations,
    preflight,
    scan_source,
)
from offload.plan.destination import copy_root_name
from offload.plan.ignore import HISTORY_TO_BE_CARRIED
from offload.plan.names import report_name
from offload.plan.preflight.findings import join_paths
from offload.plan.preflight.paths import remove_stale_probes
from offload.plan.strays import UNASKABLE_STALE_S, remove_strays, stray_partials
from offload.plan_reads import PlanReads
from offload.remedies import EARLIER_KINDS, FAST_REFUSALS, NEVER, Refusal
from offload.removed_unfinished import RemovedUnfinished
from offload.report import loss
from offload.report.refusal import refusal_entry
from offload.report.words import plural
from offload.results import (
    GOOD_STATUSES,
    NO_DIGESTS,
    CacheBypass,
    CopyAction,
    DestinationFileResult,
    DestinationStatus,
    DestinationSummary,
    FileResult,
    JobReport,
    kept_damaged,
    merge_job_reports,
)
from offload.source_copy_root import NOT_OURS, UNNAMED_CARD, SourceCopyRoot, source_copy_root
from offload.state_names import (
    FOREIGN_STATE_REASON,
    GENERATION_RECORD_NAME,
    UNREAD_STATE_REASON,
)
from offload.trusted_copies import TrustedCopies, TrustedCopy
from offload.zone_shift import SLACK_NS as ZONE_SLACK_NS
from offload.zone_shift import warning_words as zone_shift_words
from offload.zone_shift import zone_shift

if TYPE_CHECKING:
    from datetime import datetime

    from offload.cascade_refeed import Revoker
    from offload.destinations.base import EntryInfo
    from offload.destinations.s3backend import S3Backend
    from offload.destinations.s3config import S3Settings
    from offload.destinations.s3ledger import S3Ledger
    from offload.destinations.unreachable import RefusedDestination
    from offload.manifest.history import History
    from offload.manifest.model import ManifestFile
    from offload.manifests_writer import ManifestResult, OffloadRecords
    from offload.model import SourceFile
    from offload.renamed_recheck import RecheckOutcome
    from offload.report.job_report import RemoteReportFolder


@dataclass(frozen=True, kw_only=True)
class OffloadOptions:
    """Options of a card offload; ``copy`` holds the engine's."""

    copy: CopyOptions = field(default_factory=CopyOptions)
    into: bool = False  # copy the source's content into DEST instead of DEST/<source name>
    ignore: IgnoreRules = field(
        default_factory=lambda: IgnoreRules.default(exclude_root_ascmhl=True)
    )
    # Skip files a ledger proves verified on a destination (resume, incremental offloads).
    incremental: bool = True
    # Re-read copies the ledger trusts and compare them with the recorded digests (like
    # rsync -c); a copy that no longer matches is copied again from the source.
    reverify: bool = False
    # Write into a destination even if it looks like a camera card (see plan.cardlike).
    allow_card_destination: bool = False
    manifests: ManifestOptions = field(default_factory=ManifestOptions)
    production: ProductionInfo = field(default_factory=ProductionInfo)
    # Endpoint, profile and upload settings of s3:// destinations (None: from the standard
    # AWS environment variables; docs/s3.md).
    s3: S3Settings | None = None
    # Cascading copy (offload.cascade): the indexes (in the order the destinations are
    # given) of the slow destinations. The card is read once to the others; once they are
    # verified the card is released, then the slow ones are fed from a verified fast copy
    # and checked against the card's digests.
    cascade: frozenset[int] = frozenset()
    # Prove each local destination writable by creating and deleting a probe file there
    # (the preflight's, ``preflight.paths._probe_write``). False for ``--dry-run``, which
    # writes nothing: its write access judged by ``os.access`` (permissions, a read-only
    # mount), two mounts of one share not told apart (a warning says which may be).
    probe_writes: bool = True


class SymlinkStatus(StrEnum):
    CREATED = "created"
    SKIPPED = "skipped"  # the same link was there
    FAILED = "failed"


@dataclass
class SymlinkResult:
    """A symbolic link of the source, reproduced (or not) on one destination."""

    destination_index: int
    relative_path: str
    target: str
    status: SymlinkStatus
    error: str | None = None
    # How the destination's manifests hold it (manifests_writer.LinkState: listed, ignored,
    # left-out; None: no manifest written there) and why.
    manifest: str | None = None
    manifest_note: str | None = None


@dataclass
class OffloadPlan:
    """What ``plan_offload`` decided, for ``run_offload`` (and ``--dry-run``): the scanned
    tree, each destination's plan, the preflight's findings and the engine's tasks."""

    source: Path
    tree: SourceTree
    plans: list[DestinationPlan]
    preflight: PreflightReport
    tasks: list[FileTask]
    options: OffloadOptions
    ledgers: list[Ledger]
    # The card carries its own ASC MHL history (looked at once, before copying: a card that
    # dies during the offload must not turn the manifest step into a crash).
    source_has_history: bool = False
    # Copies already on a destination that this run reads back instead of copying
    # (offload.existing); their targets in ``tasks`` are None.
    checks: list[ExistingCopy] = field(default_factory=list)
    # The card's own history as checked (None: the source is one file): its
    # ``missing_from_card`` lists what the history records and the card no longer has.
    card_history: CardHistory | None = None
    # Files a legacy MHL on the card lists that the card no longer has: path → that MHL's
    # path (``card_legacy_mhl.CardLegacyMhls.missing``); like the history's, exit code 1.
    missing_from_legacy_mhl: dict[str, str] = field(default_factory=dict)
    # The s3:// destinations by index; their plans' roots are stand-ins (/s3:/bucket/prefix)
    # where nothing local is ever done (docs/s3.md).
    backends: dict[int, S3Backend] = field(default_factory=dict)
    # The destinations grouped by the disk they share and how each group reads back
    # (engine.devices): shown by --dry-run, used by the copy, recorded in the report.
    devices: list[DeviceGroup] = field(default_factory=list)
    # (task index, destination index) of the copies whose final name holds a file of another
    # size that this run may not replace: their targets stay in ``tasks`` (the engine refuses
    # them, as it would one that appeared after the plan), but they are not "to copy". Each
    # to what changed of a copy of ours that --reverify replaces ("size"), "card" for a
    # file the ledger records from another card, ``remedies.earlier_word`` for the copy an
    # earlier offload made of a card file of this name, now of another size or date
    # (``_earlier_copy``, ``_earlier_word``), else "" (the words of its refusal:
    # ``remedies.in_the_way``).
    in_the_way: Mapping[tuple[int, int], str] = field(default_factory=dict)
    # The card read (``card_identity``, looked up once a plan): recorded in every ledger
    # entry the run writes, and in the reports; None when unknown.
    card: CardIdentity | None = None
    # By destination index, why this run must not write to that local copy root: its record
    # of this run could not be written as the run started (``run_record.Started.refused``,
    # set by ``run_offload``). Each job gets a ``RefusedDestination`` for it
    # (``job_destinations``): lost at its first file, the others written.
    refused: dict[int, DestinationError] = field(default_factory=dict)
    # The absent card the source, a fast copy of it, stands in for (a cascade re-run without
    # its card): the source's ASC MHL history is that copy's, and is named so.
    stands_in_for: Path | None = None
    # In that re-run, the other fast copies' roots of the command line, in its order: a file
    # the source is found unlike the card's digests in is fed from the next that holds it
    # (``cascade_refeed``).
    other_fast_copies: tuple[Path, ...] = ()
    # A cascade's card on no disk this machine names (``cascade.card_on_no_known_disk``,
    # asked once here): every local fast destination may be on its disk.
    card_disk_unknown: bool = False
    # The source's volume as the scan found it (``report/volumes.volume_of``, looked up once
    # here, beside the card's identity and ``devices``): the reports' ``source_volume``. Not
    # looked up at the end: a card ejected on CARD RELEASED, or pulled, is no longer at its
    # path then, and the volume there (the folder below its mount point) is another disk's.
    source_volume: dict[str, Any] | None = None
    # By destination index: how many copies its ledger vouches for were matched to this
    # card's files by path, size and mtime alone (the card's identity unknown, or the entry
    # records none: ``ledger.same_card`` cannot tell another card's file from this one's).
    trusted_unidentified: Mapping[int, int] = field(default_factory=dict)
    # By destination index: how many copies trusted so (the card's identity unknown, or the
    # entry records none) were also matched by the card file's fingerprint, read now
    # (``offload.fingerprint``: its first and last 64 KiB; not counted above).
    trusted_fingerprinted: Mapping[int, int] = field(default_factory=dict)
    # Of the copies counted in ``trusted_unidentified`` (key False) and
    # ``trusted_fingerprinted`` (True), how many their ledger records as transfer-checked
    # only, never read back: the notes say what the earlier run proved, not "proven".
    trusted_transfer_only: Mapping[bool, int] = field(default_factory=dict)
    # Of those, how many that check proved the size alone of (``ledger.size_checked_only``).
    trusted_size_only: Mapping[bool, int] = field(default_factory=dict)
    # By index, the device (``st_dev``) of each local destination's folder as the preflight
    # first saw it, else as the plan ends (``_destination_devices``): a drive pulled from
    # then on is lost, never written below.
    destination_devices: Mapping[int, int] = field(default_factory=dict)
    # Whether the source is a copy root of ours and of which card, as its scan found it
    # (``source_copy_root``): never asked again at the end, when the source may be gone.
    source_copy_root: SourceCopyRoot = NOT_OURS

    @property
    def source_is_copy(self) -> bool:
        """Whether the source is no card but a copy root of ours, as its scan found it (a
        cascade re-run's fast copy stands for its absent card: not one), the rule of the
        report's ``card_release.source_is_copy``: every line says the source, not the card
        (``report.source_words``)."""
        return bool(self.source_copy_root.ours) and self.stands_in_for is None

    def _copied(self) -> Iterator[FileTask]:
        """The tasks with at least one copy this run will write."""
        in_the_way = self.in_the_way
        if not in_the_way:
            # Nothing refused (a card's first offload): a task is copied where it has a
            # target at all. ``any`` of the targets (text or None; a target is never "")
            # in C: the generator a task, and its tuple per target, were ~0.1 s of the
            # start's CPU at 50,000 files, asked twice for the "Offloading" line
            # (docs/performance.md, "twenty-third pass").
            for task in self.tasks:
                if any(task.targets):
                    yield task
            return
        for i, task in enumerate(self.tasks):
            if any(t is not None and (i, d) not in in_the_way for d, t in enumerate(task.targets)):
                yield task

    def root_devices(self) -> dict[int, int]:
        """By destination index, the device (``st_dev``) each local destination's folder was
        on when the plan was made (``destination_devices``; ``CopyJob``'s ``root_devices``):
        the one every later look compares with."""
        return dict(self.destination_devices)

    def moved_since_plan(self) -> frozenset[int]:
        """The local destinations whose folder is no longer on the device the plan saw
        there (``root_devices``), or no longer there: a drive pulled since, its empty mount
        point a folder of the disk below, where not even a copy root's lock is made (its
        job loses it at its first file); a drive mounted at the copy root itself likewise
        (``Ledger.root_lost``). Two ``stat`` calls a destination; never raises."""
        moved, devices = set(), self.root_devices()
        for dest_plan in self.plans:
            i = dest_plan.index
            seen = devices.get(i)
            if seen is None:
                continue
            # A drive mounted at the copy root itself (DEST/A001): DEST stays where it was.
            if folder_device(dest_plan.destination) != seen or self.ledgers[i].root_lost():
                moved.add(i)
        return frozenset(moved)

    def job_destinations(self) -> list[S3Backend | RefusedDestination | None]:
        """The destinations a ``CopyJob`` of this plan writes through, one per destination:
        each S3 destination's backend, a ``RefusedDestination`` for each local one this run
        must not write to (``refused``), None for the others (the job makes them)."""
        from offload.destinations.unreachable import RefusedDestination

        return [
            RefusedDestination(p.destination, self.refused[p.index])
            if p.index in self.refused
            else self.backends.get(p.index)
            for p in self.plans
        ]

    @property
    def protected_in_the_way(self) -> bool:
        """Whether a copy never to be overwritten (another card's, an earlier take's) is in
        the way of a file of this run on any destination, fast or slow
        (``remedies.holds_protected``), or will be if the read-back finds it different
        (``ExistingCopy.may_be_protected``: an earlier take's copy or another card's of the
        card file's size): --overwrite, for the whole run, would replace it, so no remedy of
        the run offers it (``run_protected``)."""
        return run_protected(self.in_the_way.values(), self.checks)

    @property
    def holds_protected(self) -> bool:
        """Whether a file in the way of a file of this run, on any destination, is a copy
        never to be overwritten as the plan found it (``remedies.holds_protected``), without
        the copies the read-back may refuse as such (``protected_in_the_way``'s guess): what
        the words after that read-back start from (``found_protected``)."""
        return remedies.holds_protected(self.in_the_way.values())

    def in_the_way_remedies(self, *, read_back_refused: bool = False) -> remedies.Remedies:
        """By target, what the engine's refusal of a copy of ours in the way there says to
        do (``--reverify`` replaces it), as the planner's warning says, with the refusal's
        kind (``CopyJob``'s ``remedies``); the other refusals say the default, never
        --overwrite first where ``holds_protected`` or *read_back_refused* (the
        read-back of the copies already there refused one never to be overwritten: an
        earlier take's of the card file's size, found unlike it). Called after that
        read-back: what it found decides, not the plan's guess (``found_protected``)."""
        protected = read_back_refused or self.holds_protected
        return remedies.Remedies(
            {
                target: remedies.in_the_way_remedy(ours, protected=protected)
                for (task, index), ours in self.in_the_way.items()
                if ours and (target := self.tasks[task].targets[index]) is not None
            },
            protected=protected,
        )

    @property
    def bytes_to_copy(self) -> int:
        return self.copy_totals()[1]

    @property
    def files_to_copy(self) -> int:
        return self.copy_totals()[0]

    def copy_totals(self) -> tuple[int, int]:
        """``(files_to_copy, bytes_to_copy)`` from one pass over the tasks: the "Offloading"
        line asks for both, and each was a pass of its own (~7 and ~3.5 ms at 50,000 files
        against ~4 ms for the pair: docs/performance.md, "thirtieth pass")."""
        if not self.in_the_way:
            # The sizes of the tasks with a target at all (as ``_copied``), one list in C.
            sizes = [t.source.size_bytes for t in self.tasks if any(t.targets)]
        else:
            sizes = [t.source.size_bytes for t in self._copied()]
        return len(sizes), sum(sizes)

    @property
    def checks_to_read(self) -> list[ExistingCopy]:
        """The copies already there that the run reads back (``checks`` but those found
        wrong by their size alone, ``existing.found_wrong_unread``, and those whose card
        file fails its record by size, which ``existing.check_existing`` fails unread)."""
        verify = self.options.copy.verify.value
        return [
            c
            for c in self.checks
            if not found_wrong_unread(c)
            and not (
                needs_source(c, verify)
                and self.tasks[c.task_index].reference_size
                not in (None, self.tasks[c.task_index].source.size_bytes)
            )
        ]

    @property
    def found_wrong_before(self) -> list[ExistingCopy]:
        """Of ``checks_to_read``, the copies found wrong before (``offload verify`` or an
        earlier offload revoked their records, keeping which copies they were) that this run
        copies again from the card if its read-back finds them still wrong: with
        ``--reverify`` (ours), ``--overwrite`` or ``--keep-both`` (beside them); a plain run
        refuses them instead. Not in ``files_to_copy``: whether they are written is known
        only once they are read back."""
        rewrites = self.options.copy.existing is not ExistingFilePolicy.FAIL
        return [c for c in self.checks_to_read if c.found_wrong_before and (rewrites or c.ours)]

    @property
    def changed_to_read(self) -> list[ExistingCopy]:
        """Of ``checks_to_read``, the copies of ours whose date alone changed since their
        ledger recorded them (``--reverify``: ``ExistingCopy.changed``), not found wrong
        before: read back and copied again from the card if they differ. Apart from
        ``found_wrong_before`` (a copy ``offload verify`` found wrong after its date changed
        keeps no record of that: only its date is known), and not in ``files_to_copy``.
        Without ``--reverify`` none (``changed`` is set only then): no pass over the checks."""
        if not self.options.reverify:
            return []
        return [c for c in self.checks_to_read if c.changed and not c.found_wrong_before]

    @property
    def kept_to_read(self) -> list[ExistingCopy]:
        """Of ``checks_to_read``, the copies an earlier ``--keep-both`` run may have kept
        beside a file in the way (``ExistingCopy.beside``, ``_kept_copy``): adopted if equal
        to the card, else the card file is copied beside that file. Not in
        ``files_to_copy``: whether it is written is known only once it is read back."""
        return [c for c in self.checks_to_read if c.beside]

    @property
    def copies_to_replace(self) -> int:
        """Copies of ours whose size changed since their ledger recorded them, which this
        run (``--reverify``) copies again from the card and renames over the bad ones."""
        return sum(1 for c in self.checks if found_wrong_unread(c))

    @property
    def copies_not_overwritten(self) -> int:
        """Copies that will fail because a file of another size is in their way."""
        return len(self.in_the_way)

    def release_files(self) -> None:
        """Forget the per-file parts of the plan once ``run_offload`` has returned: the
        engine's tasks (one with its targets a file) and the scanned tree's files. Its report
        holds all that the reports and the summary read (each result shares the scan's
        relative path and the task's target path strings; the source file's own path is
        freed with the tree's files), and these (~10 MiB at 50,000 files) would otherwise stay
        alive beside the reports while they are made, the run's peak memory (``offload
        copy`` calls this). The tree's folders, links and ignored entries are kept; its file
        count is 0 after this, and the plan cannot be run again."""
        self.tasks = []
        self.tree = self.tree._replace(files=())


#: The steps of a destination's end, after its copies (``_finish_destinations``, then the
#: reports): a failure of one is recorded with it (``OffloadReport.destination_error``).
FINISH_STEPS = ("folders", "manifest", "folder-times", "report", "run-record")


def destinations_with(
    files: Iterable[FileResult],
    among: AbstractSet[int],
    holds: Callable[[DestinationFileResult], bool],
) -> frozenset[int]:
    """The destinations of *among* (indexes) where a copy of *files* *holds*: one pass over
    the copies, ended once every one of them is found (*among* is not changed)."""
    left, found = set(among), set()
    for file in files:
        for copy in file.destinations:
            index = copy.destination_index
            if index in left and holds(copy):
                found.add(index)
                left.discard(index)
                if not left:
                    return frozenset(found)
    return frozenset(found)


@dataclass
class OffloadReport:
    """The outcome of a card offload: the engine's JobReport plus what the card layer did."""

    source: str
    plans: list[DestinationPlan]
    job: JobReport
    symlinks: list[SymlinkResult] = field(default_factory=list)
    # The card read (``OffloadPlan.card``): the JSON report's ``card``; None unknown.
    card: CardIdentity | None = None
    # The run's token (``lock.new_run``, ``run_offload``): the JSON report's ``run``, which
    # its start record (``report/started.py``) names too; "" for a report of no locked run.
    run: str = ""
    directories: int = 0
    # The card's symlinks (``symlinks`` holds one result per link and destination).
    card_symlinks: int = 0
    warnings: list[PreflightItem] = field(default_factory=list)
    # What the run removed of what interrupted runs left unfinished on its destinations,
    # by kind (the summary's "Removed ..." line, the JSON's ``removed_unfinished``).
    removed_unfinished: RemovedUnfinished = field(default_factory=RemovedUnfinished)
    folder_errors: list[str] = field(default_factory=list)
    # The job reports a destination refused (``report/refusal.refusal_entry``: its index,
    # errno, whether its copies are in doubt, the message also in ``folder_errors``).
    reports_refused: list[dict[str, Any]] = field(default_factory=list)
    report_paths: list[str] = field(default_factory=list)
    manifests: list[ManifestResult] = field(default_factory=list)
    # The production and creator fields of the reports (production, shoot_day, camera, reel,
    # author_name, author_email, author_role, location, comment); None where not given.
    production: dict[str, str | None] = field(default_factory=dict)
    # Entries the ignore rules left out: (relative path, why); those of them that are
    # folders (the scan's ``ignored_folders``: their content not looked at).
    ignored: list[tuple[str, str]] = field(default_factory=list)
    ignored_folders: frozenset[str] = frozenset()
    # Problems that change no file's state (a local report folder that cannot be written).
    notes: list[str] = field(default_factory=list)
    # Each object or version of this run's an S3 destination may have left in the bucket
    # (``destinations.s3card.left_behind_entries``, with its ``destination_index``): the
    # JSON's ``left_behind`` (``report.left_behind``), which the notes' sentence sums up.
    left_behind: list[dict[str, Any]] = field(default_factory=list)
    # Files the card's own ASC MHL history records that the card no longer has; and why
    # that history was not trusted, if it was not.
    missing_from_card: list[str] = field(default_factory=list)
    card_history_untrusted: str | None = None
    # The copies read back now hashed in their copy root's history's formats too, with
    # those digests (``history_formats``): by destination index, path in the copy root.
    read_back: dict[int, dict[str, dict[str, str]]] = field(default_factory=dict)
    # Files a legacy MHL on the card lists that the card no longer has: path → the MHL's
    # path on the card (a clip lost as much as one its history lists: exit code 1 too).
    missing_from_legacy_mhl: dict[str, str] = field(default_factory=dict)
    # A cascading offload: when the card's pass ended (time.time(); None: it did not, or no
    # cascade), when the card was released (the same time; None: not released, as the live
    # "CARD PASS DONE … keep the card" line says, or the pass did not end: released only
    # when resumable_without_card), and the cascaded destinations' indexes.
    card_pass_ended_at: float | None = None
    card_released_at: float | None = None
    cascade: tuple[int, ...] = ()
    # At the release: files not verified on every fast destination (the card is still needed
    # for them; 0: the card was released).
    card_pass_failed: int = 0
    # By cascaded copy (relative path, slow destination index): the fast destination (index)
    # that fed it last, as the cascade ended: the CSV's ``fed_from`` of that copy. Only the
    # copies the cascade wrote: one of the same file read back in the card's pass, or
    # trusted, was fed by nothing.
    cascade_feeder: dict[tuple[str, int], int] = field(default_factory=dict)
    # A cascade re-run without its card: by file (relative path), the other fast copy's root
    # that fed it, its source found unlike the card or unreadable (``cascade_refeed``); ""
    # for one no copy fed (every read of it failed); a file not here was fed from the
    # run's source.
    fed_again_from: dict[str, str] = field(default_factory=dict)
    # A fast copy recorded as holding every file of the card, read back: a re-run without
    # the card is fed from it (offload.cascade.fast_copy_source).
    resumable_without_card: bool = False
    # The card released only after the cascade: the fast copy's files an earlier run verified
    # were read by this run's cascade and matched the card's digests (card_released_at then).
    card_released_after_reread: bool = False
    # Not released because the fast copy standing nearest to the card has files verified by
    # an earlier run (trusted from its ledger) that this run never read: how many.
    cascade_unproven: int = 0
    # Released after the cascade: the fast destinations (indexes) whose files an earlier run
    # verified were read by the cascade and matched the card's digests; another fast copy's
    # files verified earlier stay trusted from its ledger, not read again (report/release.py).
    fast_copies_reread: tuple[int, ...] = ()
    # The fast destinations (indexes) on the card's own filesystem or disk
    # (``cascade.on_card_disk``): the card's pass released nothing on their copies.
    fast_on_card_disk: tuple[int, ...] = ()
    # Every local fast destination is among them (``cascade._release``; a bucket never stands
    # for the card, so it does not count): the card was kept for their disk alone.
    card_kept_by_its_disk: bool = False
    # The fast destinations (indexes) whose record that this offload finished could not be
    # written in the card's pass (their ``run-record`` step failed): the card was kept for
    # them (``cascade._release``), whatever the copies hold.
    fast_unrecorded: tuple[int, ...] = ()
    # The card is on no disk this machine names: ``fast_on_card_disk`` holds every local
    # fast destination, each maybe on its disk (``cascade.card_disk_unknown``).
    card_disk_unknown: bool = False
    # Where the job reports go on destinations that are not folders, by destination index
    # (S3: ``destinations.s3card.S3ReportFolder``; ``report.job_report.RemoteReportFolder``).
    report_folders: dict[int, RemoteReportFolder] = field(default_factory=dict)
    # The endpoint each S3 destination was reached at (the URL botocore talked to, without
    # any credentials), by destination index: the card release does not count a bucket
    # served from this host (report/release.py).
    endpoints: dict[int, str] = field(default_factory=dict)
    # Each local destination's folder (or the copy root, a drive mounted there: the
    # preflight's ``space_at``) and its device (``st_dev``) as the preflight stat'ed it at the
    # start, by index: the reports' ``unreachable`` compares it with the folder's at report
    # time, so a drive unmounted cleanly since (its path a folder below, or gone) is named as
    # gone (``report/volumes.add_volume_info``).
    destination_devices: dict[int, tuple[str, int]] = field(default_factory=dict)
    # The source's volume as the scan found it (``OffloadPlan.source_volume``); None: looked
    # up when the report is made (``report/volumes.add_volume_info``).
    source_volume: dict[str, Any] | None = None
    # Copies adopted (read back, equal) whose path the destination's ledger has an entry for
    # that did not vouch for them, by (relative path, destination index): what that entry
    # says (``ExistingCopy.ledger_entry``); the summary names it.
    adopted_entries: dict[tuple[str, int], str] = field(default_factory=dict)
    # The copies an earlier run recorded that this run read back again (a stricter --verify,
    # --reverify), by (relative path, destination index): the mode the earlier run proved
    # each by, as its ledger recorded it (``ExistingCopy.recorded_mode``: ``transfer``,
    # ``destination``, ``full``); the summary says what that run proved, not "again".
    rechecked_from: dict[tuple[str, int], str] = field(default_factory=dict)

    # What failed on a destination beyond its files (a folder, its manifests, its folder
    # times or its report could not be written there), by destination index: each message
    # is in ``folder_errors`` too, and makes that destination's ``result`` failed.
    destination_errors: dict[int, list[str]] = field(default_factory=dict)
    # The folder times a destination refused (``report/refusal.refusal_entry``: its index,
    # errno, whether its copies are in doubt, the message also in ``folder_errors``): a
    # folder's date is no copy, so one refused "in the way" keeps no card by itself
    # (report/release.py), one that may mean a failing disk takes that destination out of
    # the release's count. A folder not asked after a refusal of the whole filesystem
    # (``_set_folder_times``) is one too, with that refusal's errno.
    folder_times_unset: list[dict[str, Any]] = field(default_factory=list)
    # The end-of-run steps that failed on each destination (by index), in order: one of
    # ``FINISH_STEPS``, for the verdict line to say what still holds there and the remedy
    # (``report/summary._finish_failures``).
    failed_steps: dict[int, list[str]] = field(default_factory=dict)
    # The destinations whose links, folders, manifests and folder times this run wrote
    # (``_finish_destinations``): a cancelled run leaves the others unfinished, whatever
    # their files' states, and ``destination_result`` never calls such a one ``ok``.
    finished: set[int] = field(default_factory=set)
    # The local destinations whose copy root, seen by its ledger, was gone or on another
    # filesystem when the run ended (``Ledger.root_lost``: a drive pulled, ``umount -l``):
    # no report is written there (``write_reports``), the root perhaps the bare mount point.
    # Each with why: ``Ledger.lost_error`` (the folder removed during the run, ENOENT, or
    # its drive gone, ENODEV), the words the report refusal there says.
    unreachable: dict[int, OSError] = field(default_factory=dict)
    # The card went away during the offload (pulled, unmounted: ``card_presence.card_gone``,
    # asked once after the copy jobs): the one line that says so, names the card and what to
    # do; None while the card was still there. The files that failed for it keep their own
    # errors (every report lists each); the terminal prints this line instead of them.
    card_gone: str | None = None
    # The source is no card but a copy root of ours (``OffloadPlan.source_is_copy``): the
    # summary's lines say the source (``report.source_words``).
    source_is_copy: bool = False

    @property
    def exit_code(self) -> int:
        return self.exit_code_with(more_errors=False)

    @property
    def removed_partials(self) -> int:
        """How many unfinished files and uploads of interrupted runs the run removed, all
        kinds together (the JSON's ``removed_stray_partials``)."""
        return self.removed_unfinished.total

    def destination_error(self, index: int, message: str, step: str | None = None) -> None:
        """Record that something of destination *index* beyond its files failed
        (*message* names it and the path): in ``folder_errors`` (exit 1) and against that
        destination (its ``result``); *step*, one of ``FINISH_STEPS``, says which step of
        its end failed (the verdict line words what still holds there by it)."""
        self.destination_errors.setdefault(index, []).append(message)
        if step is not None:
            steps = self.failed_steps.setdefault(index, [])
            if step not in steps:
                steps.append(step)
        self.folder_errors.append(message)

    def destination_result(self, summary: DestinationSummary) -> str:
        """The one word for a destination that the JSON reports, ``--json`` and the
        terminal's summary share (``DestinationSummary.result``), with what the card layer
        adds: a link of the card not made there, or its manifests, a folder or its report
        not written there (``destination_errors``), make it ``failed``: never ``ok`` while
        the offload exits 1 for that destination."""
        word = summary.result(len(self.failed_links(summary.index)))
        if word != "failed" and self.destination_errors.get(summary.index):
            return "failed"
        if word == "ok" and self.job.cancelled and summary.index not in self.finished:
            # Every file had its outcome there, but the cancel came before its links,
            # folders and manifests were written: not a finished copy root.
            return "cancelled"
        return word

    def not_in_manifest(self) -> dict[int, dict[str, str]]:
        """The card's files copied to each destination (by index) that its manifests leave
        out (a name XML cannot hold): path relative to the copy root → why, in a few words
        (``ManifestResult.not_listed``); only destinations that have some."""
        return {
            m.destination_index: {path: u.why for path, u in m.not_listed.items()}
            for m in self.manifests
            if m.not_listed
        }

    def anchored_only(self) -> dict[int, set[str]]:
        """Of :meth:`not_in_manifest`'s paths, those in a folder only an anchored pattern
        carried from the card's history hides (``Unlisted.anchored_only``), by destination;
        only destinations that have some."""
        found = {
            m.destination_index: {path for path, u in m.not_listed.items() if u.anchored_only}
            for m in self.manifests
        }
        return {index: paths for index, paths in found.items() if paths}

    def ignored_folder_paths(self) -> tuple[str, ...]:
        """Of the entries left out (``ignored``), the folders' paths in the scan's order: the
        "1 folder (PROXY/)" of the summary's count and the live ``CARD RELEASED`` line's
        alike (``report.words.ignored_count_words``)."""
        return tuple(path for path, _ in self.ignored if path in self.ignored_folders)

    def size_checked_only(self) -> frozenset[int]:
        """The destinations where this run transfer-checked copies (``transfer_checked``,
        not trusted from the ledger) and whose service stores a part whatever its checksum
        (the preflight's ``s3-checksums-unchecked`` warning): those checks proved the sizes
        only, never the in-flight hashes. The one rule of "size-checked only" for every
        document: the terminal's summary, the JSON's ``size_checked_only``, from which the
        HTML/PDF and ``offload history`` say it. Not every destination with the warning: the
        preflight gives it in every ``--verify`` mode, and a bucket whose copies were all
        read back (``destination``, ``full``) or trusted from the ledger had no size checked
        alone."""
        services = {
            w.destination_index
            for w in self.warnings
            if w.code == PreflightCode.S3_CHECKSUMS_UNCHECKED and w.destination_index is not None
        }
        if not services:
            return frozenset()  # most runs: no pass over the copies
        checked, trusted = DestinationStatus.TRANSFER_CHECKED, CopyAction.TRUSTED
        return destinations_with(
            self.job.files, services, lambda c: c.status is checked and c.action is not trusted
        )

    def failed_links(self, index: int) -> list[SymlinkResult]:
        """The card's symlinks that could not be made on destination *index*."""
        return [
            s
            for s in self.symlinks
            if s.destination_index == index and s.status is SymlinkStatus.FAILED
        ]

    def exit_code_with(self, *, more_errors: bool, job_code: int | None = None) -> int:
        """The exit code, as it is once *more_errors* (e.g. a report that a destination
        refused) are added to ``folder_errors``. *job_code*: ``self.job.exit_code`` where
        the caller has it (``job_report.write_reports``: a pass over every file's outcomes,
        ~6 ms at 50,000 files, made once for the run's end), None to work it out."""
        code = int(self.job.exit_code) if job_code is None else job_code
        failed_links = any(s.status is SymlinkStatus.FAILED for s in self.symlinks)
        # A file the card's own history (or a legacy MHL on it) records but the card lost
        # is a file this offload could not deliver: never a silent success.
        problems = (
            self.folder_errors
            or failed_links
            or more_errors
            or self.missing_from_card
            or self.missing_from_legacy_mhl
            or self.card_gone
            # A destination lost with no copy of its failed (its lock refused on a re-run
            # with nothing to copy there: ``_lose_lost_backends``): its manifests unwritten.
            or any(d.lost for d in self.job.destinations)
            # A damaged copy of ours kept at the card file's name (--keep-both): its copy
            # root's history now fails a check for it (``results.kept_damaged``).
            or any(kept_damaged(w.code, w.kept) for w in self.warnings)
        )
        if code == 0 and problems:
            return 1
        return code


def _for_want_of_room(item: PreflightItem) -> bool:
    """*item* refuses a destination for want of room: free space, free inodes, or a write
    probe refused ENOSPC or EDQUOT (another run's partials may be what takes it)."""
    return item.code in (PreflightCode.INSUFFICIENT_SPACE, PreflightCode.INSUFFICIENT_INODES) or (
        item.code is PreflightCode.DEST_NOT_WRITABLE and item.errno in FULL_ERRNOS
    )


def _busy_index(busy: CopyRootBusy, local: Sequence[DestinationPlan]) -> int | None:
    """The index of the local destination whose copy root *busy* names
    (``lock.busy_copy_root``), None if none does."""
    return next((plan.index for plan in local if busy.path == str(plan.root)), None)


def busy_now(
    plan: OffloadPlan, unreadable: list[PreflightItem] | None = None
) -> CopyRootBusy | None:
    """The refusal the run of *plan* would meet now from another offload's lock on one of
    its copy roots, asked without taking a lock (``offload copy --dry-run``: it writes
    nothing, and says the busy copy root as the run would, exit 64): a local copy root's
    ``flock`` held (``lock.busy_copy_root``), else an S3 copy root's live lock object
    (``s3card.busy_copy_root``: read and judged as the run's ``acquire`` would). None when
    none is held now (or none can be asked). *unreadable*, when given, receives the
    ``s3-copy-root-unreadable`` warnings of that read (a copy root whose lock the
    credentials may not read: the run would lose that destination)."""
    local = [p for p in plan.plans if p.index not in plan.backends]
    busy = busy_copy_root([p.root for p in local])
    if busy is not None:
        busy.destination_index = _busy_index(busy, local)
        return busy
    if plan.backends:
        for item in _s3().busy_copy_root(plan.plans, plan.backends, unreadable):
            found = CopyRootBusy(item.message)
            found.destination_index = item.destination_index
            return found
    return None


def plan_offload(
    source: Path | str,
    destinations: Sequence[Path | str],
    options: OffloadOptions | None = None,
    *,
    stands_for: str | None = None,
    stands_in_for: Path | None = None,
    card_dates: Mapping[str, int] | None = None,
    dry_run: bool = False,
    say: Callable[[str], None] | None = None,
    reads: PlanReads | None = None,
) -> OffloadPlan:
    """Scan, plan and preflight an offload; decide what each destination still needs.

    *stands_for*: the identity (``CardIdentity.key``; "" unknown) of the card *source*
    stands for, a fast copy fed from in place of its card (``cascade.fast_copy_source``);
    None: the source is the card, its identity looked up (``card_identity``).
    *stands_in_for*: the absent card that *source*, a fast copy of it, stands in for (that
    same cascade re-run without its card): what the plan says of the source's ASC MHL
    history names that copy, not the card, whose history was not read.
    *card_dates*: by relative path, the card file's date where that fast copy shows another
    (``FastCopy.dates``): the file is planned with the card's date (``model.DatedCopy``),
    which its copies get and their ledgers record, and read against its own.
    *dry_run*, *say*: that re-run's read-back of a fast copy's marked files is skipped (a
    dry run: the plan says it would be made), or announced on *say* before it starts
    (``cascade.fast_copy_source``). *reads*: told each whole read of a copy already there
    the plan makes, before and as it goes (``plan_reads``: an earlier take's copy in the
    way, those marked files; None: told nowhere).

    Raises UsageError (nothing written, exit 64) when the source cannot be read completely or
    the preflight finds an error; the message names every problem, one per line. A preflight
    refusal where another offload holds a local copy root's lock raises that lock's
    CopyRootBusy instead (``lock.busy_copy_root``): its partials take the room counted.
    """
    options = options or OffloadOptions()
    source_path = Path(os.path.abspath(source))
    if not destinations:
        raise UsageError("no destination given; name at least one destination folder")
    if options.cascade and (
        not os.path.lexists(source_path)
        or _cascade().empty_where_recorded(source_path, destinations, options)
    ):
        # A cascade re-run whose card was ejected (its mount point maybe left, empty): a fast
        # copy that holds it complete and verified is the source of the slow destinations
        # (or UsageError, nothing written).
        # Its --verify is decided before the plan (``fast_copy_options``): the planner judges
        # the slow copies' ledger entries by what this run proves.
        slow = [destinations[i] for i in sorted(options.cascade) if i < len(destinations)]

        def plan_from(fast: Any, planned: OffloadOptions) -> OffloadPlan:
            return plan_offload(
                fast.root,
                slow,
                planned,
                stands_for=fast.card,
                stands_in_for=source_path,
                card_dates=fast.dates,
                reads=reads,
            )

        return _cascade().fast_copy_source(  # type: ignore[no-any-return]
            source_path, destinations, options, plan_from, dry_run=dry_run, say=say, reads=reads
        )
    # The card's own history vouches for the OS files it records: they are copied.
    options = dataclasses.replace(options, ignore=keep_recorded(source_path, options.ignore))
    ignore = options.ignore.adding(TOOL_IGNORE_PATTERNS)
    if not os.path.lexists(source_path):
        # A card whose drive went away (ENOTCONN, EIO) is no missing path: say reconnect it.
        gone = unreachable_ancestor(source_path)
        if gone is not None:
            raise gone
        # lexists says False for a card below a folder this user may not enter (EACCES).
        closed = closed_folder(source_path)
        if closed is not None:
            raise UsageError(
                f"permission denied: cannot reach source {printable_name(str(source_path))}: "
                f"this user may not enter folder {printable_name(closed)}; nothing was copied "
                "(give this user access to that folder, or run as a user who may read the card)",
                path=source_path,
            )
        raise UsageError(
            f"source {printable_name(str(source_path))} does not exist; nothing was copied "
            f"(check the path, and that the card is mounted){unexpanded_tilde(source_path)}",
            path=source_path,
        )
    try:
        tree = scan_source(source_path, ignore=ignore)
        if not tree.root_is_file:
            # The OS files a legacy MHL on the card lists are copied too, as its history's
            # are: the scan is made again only when such a file was left out.
            # So are those a history nested in its folders records (card_nested_history).
            scanned = [f.relative_path for f in tree.files]
            kept = keep_nested_recorded(
                source_path, scanned, keep_listed(source_path, scanned, options.ignore)
            )
            if kept is not options.ignore:
                options = dataclasses.replace(options, ignore=kept)
                ignore = kept.adding(TOOL_IGNORE_PATTERNS)
                tree = scan_source(source_path, ignore=ignore)
    except ScanError as exc:
        raise UsageError(exc.refusal(source_path), path=exc.path) from None
    if card_dates:
        tree = _dated_as_the_card(tree, card_dates)
    if not tree.files and not tree.symlinks:
        raise UsageError(
            f"source {source_path} holds no files to offload ("
            f"{plural(len(tree.directories), 'folder')}, "
            f"{plural(len(tree.ignored), 'ignored entry', 'ignored entries')}); nothing was "
            "written (check that "
            "the card is mounted and is the right one)",
            path=source_path,
        )
    # Each s3:// destination is checked here (UsageError, nothing written) and planned under
    # its stand-in root.
    backends: dict[int, S3Backend] = {}
    if any(is_s3_url(str(d)) for d in destinations):
        # The copy root below each prefix, for the keys offload-ai itself stores there: the
        # card's folder, or the prefix itself (--into, a single file).
        from offload.destinations.s3own_keys import CopyRootOwn

        folder = copy_root_name(tree, into=options.into)  # the rule the plan follows
        destinations, backends = _s3().open_s3_destinations(
            destinations,
            settings=options.s3,
            existing=options.copy.existing,
            own_keys=CopyRootOwn(
                folder,
                report_name(str(source_path)),
                len(tree.files),
                ascmhl=options.manifests.writes_ascmhl,
                legacy=options.manifests.writes_legacy,
            ),
        )
    try:
        # The plan's dozen readings of the mount table are one, a table kept a second at most
        # (``fs/mount_table``: a whole read of a copy takes longer); every reading after the
        # plan reads it anew.
        with mount_table.held():
            # A copy root of ours as the source (the DIT's drive feeding a shuttle drive) is the
            # card its ledger records, never the drive it is on (``source_copy_root``).
            # Only where its ledger vouches for every file of the source and no offload of the
            # card is unfinished there: else a card holding a copy root's .offload/ is taken for
            # another card, and a partial copy settles the card's entry "finished" (shuttle66).
            origin = (
                source_copy_root(source_path, tree.files)
                if STATE_FOLDER in tree.ignored
                else NOT_OURS
            )
            if stands_for is not None:
                card = parse_key(stands_for)
            elif origin.taken:
                card = parse_key(origin.card) if origin.card else None
            else:
                card = card_identity(source_path)
            plan = _plan(
                source_path,
                tree,
                destinations,
                backends,
                options,
                card,
                stands_in_for,
                origin,
                reads=reads,
            )
            if options.cascade:
                _cascade().check_cascade(plan)
            return plan
    except BaseException:
        _close(backends)
        raise


def _dated_as_the_card(tree: SourceTree, card_dates: Mapping[str, int]) -> SourceTree:
    """*tree* (a fast copy standing for its absent card), each file *card_dates* names
    dated as the card's file there (``model.dated_as_card``: a ``DatedCopy``, read against
    its own date, where the two differ)."""
    files = tuple(
        f
        if (date := card_dates.get(f.relative_path)) is None
        else dated_as_card(f.path_text, f.relative_path, f.size_bytes, date, f.mtime_ns)
        for f in tree.files
    )
    return tree._replace(files=files)


def _fingerprints_wanted(
    files: Sequence[SourceFile],
    entries: Sequence[dict[str, LedgerEntry]],
    algorithms: Sequence[str],
) -> Iterator[fingerprint.Wanted]:
    """The card files whose fingerprint the plan may check, in the card's order: those a
    destination's ledger has an entry for that records a fingerprint and may vouch for the
    file (``recorded_entry``: what ``Ledger.recorded`` and ``changed_copy`` start from;
    whether the copy is still there is not looked at here)."""
    vouching = [known for known in entries if known]
    if not vouching:  # a first offload, or --no-resume: no read
        return
    for index, source_file in enumerate(files):
        for known in vouching:
            entry = recorded_entry(
                known,
                source_file.relative_path,
                size_bytes=source_file.size_bytes,
                mtime_ns=source_file.mtime_ns,
                algorithms=algorithms,
            )
            if entry is not None and entry.fingerprint:
                yield fingerprint.Wanted(index, source_file.path_text, source_file.size_bytes)
                break


def _s3() -> ModuleType:
    """The card layer's S3 steps, imported only when an s3:// destination is named."""
    from offload.destinations import s3card

    return s3card


def _cascade() -> ModuleType:
    """Cascading copy (--cascade), imported only when asked for."""
    from offload import cascade

    return cascade


def _refeed(
    plan: OffloadPlan,
    job: JobReport,
    tasks: Sequence[FileTask],
    run: Callable[[list[FileTask]], JobReport],
    sink: EventSink,
    revoker: Revoker | None,
    feeds: dict[str, str],
) -> list[str]:
    """``cascade_refeed.refeed`` for a cascade re-run without its card (its source a fast
    copy, *revoker* its ``Revoker``); nothing (not imported) for any other run."""
    if revoker is None:
        return []
    from offload.cascade_refeed import refeed

    return refeed(plan, job, tasks, run, sink, revoker, feeds)


def _revoker(plan: OffloadPlan, sink: EventSink) -> Revoker | None:
    """For a cascade re-run without its card: what revokes a fast copy found unlike the card
    as its read fails, and says so on *sink* (``cascade_refeed.Revoker``, the jobs'
    ``on_source_failed``, the existing copies' check's *on_source_unlike*); None (not
    imported) for any other run."""
    if plan.stands_in_for is None:
        return None
    from offload.cascade_refeed import Revoker

    return Revoker(plan, sink)


def _read_in_place(
    tasks: Sequence[FileTask],
    revoker: Revoker,
    feeds: dict[str, str],
    checks: Sequence[ExistingCopy],
    outcomes: Sequence[CheckOutcome | None],
) -> list[FileTask]:
    """``cascade_refeed.read_in_place`` (imported only for a run without its card), told
    the files the check read the source of (*outcomes* of *checks*: digests read)."""
    from offload.cascade_refeed import read_in_place

    read = {
        tasks[check.task_index].source.relative_path
        for check, outcome in zip(checks, outcomes, strict=True)
        if outcome is not None and outcome.source_digests
    }
    return read_in_place(tasks, revoker, feeds, read)


def _kept_keys(
    plans: Sequence[DestinationPlan],
    backends: Mapping[int, S3Backend],
    occupied: Mapping[int, set[str]],
    tree: SourceTree,
) -> dict[int, dict[str, str]]:
    """``--keep-both``: by destination index, the keys ``s3card.kept_keys`` finds the
    uploads would keep copies under beside the objects in the way (*occupied*), where a
    longer number than `` (1)`` may not fit S3's limit; asks nothing for any other."""
    if not occupied:
        return {}
    paths = [file.relative_path for file in tree.files]
    return {
        plan.index: _s3().kept_keys(backends[plan.index], plan, occupied[plan.index], paths)
        for plan in plans
        if plan.index in occupied and plan.index in backends
    }


def _close(backends: dict[int, S3Backend]) -> None:
    for backend in backends.values():
        backend.close()


def _history_not_carried(
    source_path: Path,
    options: OffloadOptions,
    history: CardHistory,
    *,
    fast_copy: bool,
    source_copy: bool = False,
) -> PreflightItem | None:
    """``card_history.not_carried_warning`` when the run writes no ASC MHL (``--mhl legacy``
    or ``none``): the card's own history (at *source_path*; *fast_copy*: a fast copy's,
    standing in for the card; *source_copy*: a copy root of ours as the source) then
    reaches no destination; None otherwise."""
    mhl = _mhl_without_ascmhl(options)
    if mhl is None or not history.trusted:
        return None
    return not_carried_warning(
        source_path, history, mhl, fast_copy=fast_copy, source_copy=source_copy
    )


def _mhl_without_ascmhl(options: OffloadOptions) -> str | None:
    """The ``--mhl`` word of a run that writes no ASC MHL (``legacy``, ``none``); None for
    one that writes it."""

    kinds = options.manifests.kinds
    if MhlKind.ASCMHL in kinds:
        return None
    return "legacy" if MhlKind.LEGACY in kinds else "none"


def _refuse_root_entry_named_like_history(source_path: Path, options: OffloadOptions) -> None:
    """Raise UsageError, before anything is copied, for a card entry at its root named
    ``ascmhl`` that is not a folder (a file, a link) when an ASC MHL is asked for: its copy
    would take the name of the history folder the specification puts at every copy root
    (``ROOT/ascmhl/``), so no destination could hold both, and every manifest would fail
    after the copy. One ``lstat``; an entry the ignore rules leave out is not copied. A
    file so named deeper in the card is recorded (:mod:`offload.manifest.listed_again`)."""

    if MhlKind.ASCMHL not in options.manifests.kinds:
        return
    from offload.manifest.layout import ASCMHL_FOLDER

    entry = _root_entry_not_a_folder(source_path, ASCMHL_FOLDER, options)
    if entry is None:
        return
    raise UsageError(
        f"{printable_name(str(entry))}: the card holds an entry named {ASCMHL_FOLDER} at its "
        "root that is not a folder, and every copy root needs that name for its ASC MHL "
        f"history folder ({ASCMHL_FOLDER}/): leave it out with --ignore /{ASCMHL_FOLDER}, "
        "or write a legacy MHL alone (--mhl legacy) or no manifest (--mhl none)"
    )


def _refuse_root_entry_named_like_state(source_path: Path, options: OffloadOptions) -> None:
    """Raise UsageError, before anything is copied, for a card entry at its root named
    ``.offload`` that is not a folder (a file, a link): its copy would take the name of the
    state folder every copy root holds (``ROOT/.offload/``, the ledger and the locks), so no
    destination could hold both, and the copy would fail at the end and every run after it.
    The default rule ``/.offload/`` leaves out a folder so named (an earlier offload's own
    state), never a file. One ``lstat``; an entry the ignore rules leave out is not copied."""
    entry = _root_entry_not_a_folder(source_path, STATE_FOLDER, options)
    if entry is None:
        return
    # A symlink so named is most likely a copy root of ours given as the source, its state
    # folder linked elsewhere (whose records it cannot vouch for): not called a card.
    holder = "the source" if entry.is_symlink() else "the card"
    raise UsageError(
        f"{printable_name(str(entry))}: {holder} holds an entry named {STATE_FOLDER} at its "
        "root that is not a folder, and its copy would take the name of offload-ai's own "
        f"state folder ({STATE_FOLDER}/: the ledger and the locks) in every copy root; "
        f"nothing was copied (leave it out with --ignore /{STATE_FOLDER})"
    )


def _root_entry_not_a_folder(source_path: Path, name: str, options: OffloadOptions) -> Path | None:
    """The card's entry *name* at its root when it stands there, is not a folder (a file, a
    link) and the ignore rules do not leave it out; else None (none there, or unreadable:
    the scan named it). One ``lstat``."""
    entry = source_path / name
    try:
        mode = os.lstat(entry).st_mode
    except OSError:
        return None
    if stat.S_ISDIR(mode) or options.ignore.excludes(name, is_dir=False):
        return None
    return entry


def _plan(
    source_path: Path,
    tree: SourceTree,
    destinations: Sequence[Path | str],
    backends: dict[int, S3Backend],
    options: OffloadOptions,
    card: CardIdentity | None,
    stands_in_for: Path | None = None,
    origin: SourceCopyRoot = NOT_OURS,
    reads: PlanReads | None = None,
) -> OffloadPlan:
    """``plan_offload``'s plan of the scanned *tree*; *reads*: says the whole reads of copies
    already there the plan makes (``plan_reads``; None: said nowhere)."""
    reads = reads or PlanReads(None)
    try:
        plans = plan_destinations(
            tree, source_path, [Path(d) for d in destinations], into=options.into
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    # A copy root of ours as the source, no card (``OffloadPlan.source_is_copy``'s rule): its
    # history's lines say the source's, never the card's (``card_history.history_words``).
    copy_source = bool(origin.ours) and stands_in_for is None
    card_history = (
        None
        if tree.root_is_file
        else check_card_history(
            source_path,
            fast_copy=stands_in_for is not None,
            source_copy=copy_source,
            ignore=options.ignore,
            without_ascmhl=_mhl_without_ascmhl(options),
            names=lambda: frozenset(
                [*(f.relative_path for f in tree.files), *(s.relative_path for s in tree.symlinks)]
            ),
            roots=[plan.root for plan in plans if plan.index not in backends],
            remote=sum(1 for plan in plans if plan.index in backends),
        )
    )
    references = card_history.references if card_history is not None else {}
    # What the history records (``references`` gains the legacy MHLs' below).
    history_references = references
    extra = [f for f in reference_formats(references) if f not in options.copy.algorithms]
    # Legacy MHLs (v1) on the card: each file they list checked against them too, where the
    # card's own history does not record it (that history is the authority then); a format
    # added only for a file none of whose recorded formats is computed already.
    legacy = (
        None
        if tree.root_is_file
        else check_legacy_mhls(
            source_path,
            [f.relative_path for f in tree.files],
            fast_copy=stands_in_for is not None,
            ignore=options.ignore,
        )
    )
    # ASC MHL histories nested in the card's folders: their records checked as a legacy
    # MHL's are (an ASC MHL one over a legacy MHL's for the same path), never carried.
    if not tree.root_is_file:
        legacy = with_nested_histories(
            legacy,
            check_nested_histories(
                source_path,
                [f.relative_path for f in tree.files],
                entries=[*tree.directories, *(link.relative_path for link in tree.symlinks)],
                fast_copy=stands_in_for is not None,
                writes_ascmhl=options.manifests.writes_ascmhl,
                writes_legacy=options.manifests.writes_legacy,
                ignore=options.ignore,
            ),
        )
    # The files a legacy MHL records: its name, for a mismatch's line; each such file's task
    # is made with it (``FileTask.reference_record``), each one it records a digest of in
    # ``references``, each one it records a size of (a ``<null>`` record's too) in
    # ``sizes`` (``FileTask.reference_size``).
    records: dict[str, str] = {}
    sizes: dict[str, int] = {}
    if legacy is not None and legacy.records:
        records = {p: r for p, r in legacy.records.items() if p not in references}
        sizes = {p: legacy.sizes[p] for p in records if p in legacy.sizes}
        listed = {p: legacy.references[p] for p in records if p in legacy.references}
        extra += formats_to_add(listed, (*options.copy.algorithms, *extra))
        references = {**listed, **references}
    if extra:
        options = dataclasses.replace(
            options,
            copy=dataclasses.replace(
                options.copy,
                algorithms=(*options.copy.algorithms, *extra),
                checked_formats=tuple(f for f in extra if f in VERIFY_ONLY),
            ),
        )
    # A fast copy standing in for the card: its own history is the record its files are
    # checked against, named so in a mismatch's line (``FileTask.reference_record``; "" is
    # the card's own history).
    fast_history = (
        history_record(fast_copy=True)
        if stands_in_for is not None
        # Worded as the card's own line is ("the card's own ASC MHL history": the reader's).
        else f"{history_record(fast_copy=False, source_copy=True)} history"
        if copy_source
        else ""
    )

    def record_of(path: str) -> str:
        """The record the card file at *path* (relative) is checked against, by name for a
        mismatch's line: a legacy MHL's, else a fast copy's own history where it records
        the file; "" for the card's own history or none (``FileTask.reference_record``)."""
        return records.get(path, "") or (
            fast_history if fast_history and path in history_references else ""
        )

    if records:
        # A legacy MHL's digest in a format not computed is never passed on as the file's
        # (a bucket's object metadata, a ledger's record): only what this read proves.
        computed = frozenset(options.copy.algorithms)
        for path in records:
            in_mhl = references.get(path, NO_DIGESTS)
            if not computed.issuperset(in_mhl):
                references[path] = {n: v for n, v in in_mhl.items() if n in computed}
    # Every manifest asked for must be able to record the digests the copy computes (the
    # card history's formats included): known now, not after the whole card was copied.
    refused = manifest_formats_problem(options.manifests.kinds, options.copy.algorithms)
    if refused is not None:
        raise UsageError(refused)
    if not tree.root_is_file:
        _refuse_root_entry_named_like_history(source_path, options)
        _refuse_root_entry_named_like_state(source_path, options)
    # Which card this is (found once a run: a mount table read and one blkid): each entry
    # the run records names it, and an entry of another card vouches for nothing here.
    card_key = "" if card is None else card.key
    ledgers = [
        _s3().S3Ledger(backends[plan.index], plan.root, card=card_key)
        if plan.index in backends
        else Ledger(plan.root, card=card_key)
        for plan in plans
    ]
    for ledger in ledgers:  # a cascade's end checks ask what the run wrote (``run_known``)
        ledger.remembers_written = bool(options.cascade)
    loaded = [
        _load_ledger(ledger) if options.incremental else LedgerEntries({}, {}) for ledger in ledgers
    ]
    # This card read under another time zone than its copies were recorded under (FAT
    # holds local time): every date off by one zone offset, the content fingerprints equal.
    # Its copies are read back (their dates match no entry), never refused as another
    # card's; one warning says why (``zone_shift``). One comparison on a usual re-run.
    shifts = {
        plan.index: shift
        for plan, entries_there in zip(plans, loaded, strict=True)
        if (shift := zone_shift(entries_there, tree.files, card_key)) is not None
    }
    zone_offsets = {index: offset for index, (offset, _count) in shifts.items()}
    zone_warnings = [
        PreflightItem(
            PreflightCode.CARD_ZONE_SHIFTED,
            plan.root,
            zone_shift_words(display_path(plan.root), *shifts[plan.index]),
            plan.index,
        )
        for plan in plans
        if plan.index in shifts
    ]
    # A copy root named after the card that holds another card's offload (cards sharing a
    # volume name: EOS_DIGITAL, NO NAME) is refused, before anything is written.
    card_folder.refuse_another_cards_folder(
        plans,
        card_folder.loaded_for_the_check(ledgers, options.incremental, loaded),
        card,
        tree.files,
        str(source_path),
        backends,
        ledgers,
        frozenset(
            item.destination_index for item in zone_warnings if item.destination_index is not None
        ),
        options.cascade,
        source_is_copy=copy_source,
    )
    # The card mounted under another name (``RED_A0011``): its offload in a folder beside
    # the copy root named, which this run would not resume (``card_beside``).
    elsewhere = card_beside.beside_warnings(plans, card, str(source_path), options.cascade)
    # By destination: the entries that may vouch for this card's copies, and those recorded
    # from another card (their copies are read back: ``ledger.same_card``).
    entries, others = _by_card(loaded, card_key)
    # By destination: the spans a cascade fed from it left unsettled (its drive gone before
    # the cascade's end): an entry recorded within one is read back, never trusted unread.
    unsettled_spans = [
        () if plan.index in backends else cascade_unsettled.spans(plan.root) for plan in plans
    ]
    absent = [AbsentFolders() for _ in plans]  # a destination's folders not there
    # A destination's folders, each listed once: what the ledger's checks of its copies ask
    # (the copy there, the partial its entry names) without two lstats a file (fs.listing).
    listings = [FolderListings() for _ in plans]
    algorithms = options.copy.algorithms
    verify = options.copy.verify.value
    tasks: list[FileTask] = []
    checks: list[ExistingCopy] = []
    # By destination: (task index, path, what the ledger says of it: "size" a copy of ours
    # whose size changed, "card" another card's, "revoked" one an earlier run revoked, ""
    # nothing: ``OffloadPlan.in_the_way``).
    in_the_way: dict[int, list[tuple[int, str, str]]] = {}
    # The card files an object stands at the key of (of another size; those read back are
    # added with the checks), by S3 destination: --keep-both may keep their copies beside
    # it (the preflight holds those keys' lengths; without --keep-both, unused).
    occupied: dict[int, set[str]] = {}
    may_replace = options.copy.existing is not ExistingFilePolicy.FAIL
    keep_both = options.copy.existing is ExistingFilePolicy.KEEP_BOTH
    card_paths: frozenset[str] | None = None  # the card's files, once a kept copy is looked for
    # The files a symlink of the card leads to: a link is made only where such a file's
    # proven copy is at its own name (``link_targets``).
    linked = frozenset(link_targets.card_targets(tree).values())
    unidentified: dict[int, int] = {}
    # By destination: the copies trusted that way, but whose card file's fingerprint was
    # read and matched (``OffloadPlan.trusted_fingerprinted``); and the card files that a
    # ledger entry of their name, size and mtime records with another fingerprint.
    fingerprinted: dict[int, int] = {}
    transfer_only: dict[bool, int] = {}  # OffloadPlan.trusted_transfer_only
    size_only: dict[bool, int] = {}  # OffloadPlan.trusted_size_only
    other_content: dict[int, list[str]] = {}
    # A card's first offload (no ledger entry, each copy root absent, no bucket): every
    # file is copied to its target on each destination, what the loop below finds for each
    # one file at a time; a task a file made at once (a 50,000-file card: ~0.1 s of CPU less
    # before the first byte, docs/performance.md, "The start of a 50,000-file card").
    first_offload = not backends and all(
        not known and plan.file_name is None and not_there.holds_nothing_in(str(plan.root))
        for plan, known, not_there in zip(plans, entries, absent, strict=True)
    )
    if first_offload:
        roots = [plan.target_text("") for plan in plans]
        if len(roots) == 1 and not references and not sizes:
            # One destination, no card history (a card's usual first offload): its one
            # target a file, no digests to look up (~15 ms less at 50,000 files).
            (root,) = roots
            tasks = [
                FileTask(source_file, (root + source_file.relative_path,))
                for source_file in tree.files
            ]
        else:
            tasks = [
                FileTask(
                    source_file,
                    tuple([root + source_file.relative_path for root in roots]),
                    (),
                    references.get(source_file.relative_path) or NO_DIGESTS,
                    "",
                    record_of(source_file.relative_path),
                    sizes.get(source_file.relative_path) if sizes else None,
                )
                for source_file in tree.files
            ]
    # An S3 destination lost at its plan (its ledger's read refused): every file copied
    # there, as on a first run, which its loss fails without a request.
    lost_at_plan = {index for index, backend in backends.items() if backend.lost is not None}
    # The card files' fingerprints the loop checks, read ahead of it, several at once.
    wanted = _fingerprints_wanted(tree.files, entries, algorithms)
    with fingerprint.ReadAhead(wanted) as samples:
        for index, source_file in enumerate(() if first_offload else tree.files):
            # Targets as text (FileTask): a Path a file and destination, kept for the whole job,
            # was a large share of a 50,000-file card's memory.
            targets: list[str | None] = []
            preset: list[DestinationFileResult] = []
            sample: str | None = None  # the card file's fingerprint, once read ("": unreadable)
            # The copies of it trusted from their ledgers: what a copy written now must be
            # read as (``offload.trusted_copies``).
            trusted: list[tuple[LedgerEntry, str]] = []
            checks_before = len(checks)
            for plan, ledger, known, other, not_there, listing, marked in zip(
                plans, ledgers, entries, others, absent, listings, unsettled_spans, strict=True
            ):
                final = plan.target_text(source_file.relative_path)
                if plan.index in lost_at_plan:
                    # Its ledger's read refused (``s3card.lose_unreadable_ledger``): nothing
                    # there is read back; its first file loses it (``check_present``).
                    targets.append(final)
                    continue
                if not known and plan.index not in backends and not_there.holds_nothing_at(final):
                    # No ledger entry, its folder absent: copy it (what _existing_copy_kind says
                    # then), without its call (a card's first offload: every file)
                    targets.append(final)
                    continue
                found_file = (
                    ledger.recorded_file(
                        source_file.relative_path,
                        size_bytes=source_file.size_bytes,
                        mtime_ns=source_file.mtime_ns,
                        algorithms=algorithms,
                        entries=known,
                        listing=listing,
                    )
                    if known
                    else None
                )
                recorded, other_file = found_file if found_file is not None else (None, "")
                # Not the very file recorded (``ledger.same_file``): a clone of it (another
                # inode) vouched for by nothing, read back like a copy no ledger vouches for
                # (--reverify reads every copy its ledger records back: as ours, then); our
                # file written or changed since (its inode, another change time) re-read as
                # --reverify re-reads a copy of ours (replaced if it differs).
                if other_file == "clone" and not options.reverify:
                    recorded = None
                # A copy of ours (the ledger records this card file at that name) that is no
                # longer as recorded: --reverify takes it up as ours; a plain run only names it.
                changed = (
                    ledger.changed_copy(
                        source_file.relative_path,
                        size_bytes=source_file.size_bytes,
                        mtime_ns=source_file.mtime_ns,
                        algorithms=algorithms,
                        entries=known,
                        listing=listing,
                    )
                    if known and recorded is None
                    else None
                )
                # A copy of ours that ``offload verify`` found wrong and revoked, its record
                # kept on the revocation's second line: --reverify takes it up as ours too; a
                # plain run's refusal of it names --reverify.
                found_wrong = (
                    ledger.found_wrong_copy(
                        source_file.relative_path,
                        size_bytes=source_file.size_bytes,
                        mtime_ns=source_file.mtime_ns,
                        algorithms=algorithms,
                        entries=known,
                        listing=listing,
                    )
                    if known and recorded is None and changed is None and plan.index not in backends
                    else None
                )
                if found_wrong is not None and options.reverify:
                    changed = found_wrong
                named = recorded or (changed[0] if changed is not None else None)
                # --keep-both over a copy of ours whose size changed: taken up as --reverify
                # takes it up (found wrong by its size alone, ``found_wrong_unread``), so it
                # is kept as it is and named as our damaged copy (exit 1), never kept beside
                # as any file in the way would be (a plain KEPT BOTH, exit 0).
                size_changed = (
                    keep_both
                    and changed is not None
                    and changed[1] != source_file.size_bytes
                    and plan.index not in backends
                )
                # Before an entry vouches for this card file (or takes its copy up as ours): the
                # file it records must be this one, by its fingerprint read now (whatever the
                # card's identity: a card restored from an image keeps its serial). Another
                # fingerprint: another file of this name, size and date (another card, this
                # card shot again), whose copy is read back like one no ledger vouches for.
                foreign: LedgerEntry | None = None
                # The source a fast copy standing in for its absent card, unlike the card's
                # fingerprint this entry recorded (or unreadable: ""): that copy changed since
                # it was verified, not this one. The entry still records the card's file: the
                # copy there is read back against it (``_card_changed``: verified as
                # recorded, else found wrong), never trusted on it nor taken for another's.
                # So for a card file whose fingerprint cannot be read: nothing says the entry
                # records another file, and the copy, read, is compared with it
                # (``existing._check_one``), never left vouched for unread; in any verify
                # mode, the source read for it (``ExistingCopy.against_record``). Only a copy
                # as recorded: one of ours that changed since (``changed``) stays judged as
                # any file there, as before (a plain run refuses an edited copy, never
                # writes over it as --reverify would).
                read_against_record = False
                if named is not None and named.fingerprint:
                    if sample is None:
                        sample = samples.sample(
                            index, source_file.path_text, source_file.size_bytes
                        )
                    if (
                        sample != named.fingerprint
                        and recorded is not None
                        and (stands_in_for is not None or not sample)
                    ):
                        read_against_record = True
                        if sample:  # "": unreadable now, its read-back says why
                            other_content.setdefault(plan.index, []).append(final)
                    elif sample != named.fingerprint:
                        foreign, recorded, changed, named = named, None, None, None
                        found_wrong = None
                        if sample:  # "": unreadable now, its read-back says why
                            other_content.setdefault(plan.index, []).append(final)
                elif found_wrong is not None and changed is None:
                    # A plain run: the refusal names --reverify only where --reverify would
                    # take the copy up (the file at the card file's own name, of this very
                    # card file by its fingerprint); nothing else of the run changes.
                    ended = found_wrong[0]
                    if ended.final_name not in ("", source_file.relative_path.rpartition("/")[2]):
                        found_wrong = None
                    elif ended.fingerprint:
                        if sample is None:
                            sample = samples.sample(
                                index, source_file.path_text, source_file.size_bytes
                            )
                        if sample != ended.fingerprint:
                            found_wrong = None
                # Who revoked a copy kept with its record: its ``remedies.in_the_way`` word.
                kept_word = (
                    _revoked_kept(known, source_file.relative_path)
                    if found_wrong is not None
                    else ""
                )
                if named is not None and named.final_name:
                    if link_targets.copy_home(
                        source_file.relative_path, final, linked, recorded, plan.index in backends
                    ):
                        targets.append(final)
                        continue
                    final = str(Path(final).with_name(named.final_name))
                kind = _existing_copy_kind(
                    recorded,
                    final,
                    source_file.size_bytes,
                    verify=verify,
                    reverify=options.reverify
                    or size_changed
                    or read_against_record
                    or other_file == "touched"
                    or cascade_unsettled.unsettled(recorded, marked),
                    backend=backends.get(plan.index),
                    # Its size changed: found wrong by that alone (--reverify). With --keep-both
                    # too it is kept as it is and the new copy written beside it (``settle``):
                    # no record ties the copy to one inode (a file written over ours since looks
                    # the same), and keep-both asks that nothing in the way be lost; it is named
                    # all the same, as a same-size copy read back and found wrong is.
                    changed=None if changed is None else changed[1],
                    absent=not_there,
                    listing=listing,
                )
                # --keep-both, another file at the name: a copy an earlier run kept beside
                # it, whose ledger line could not be written (or a ledger not read:
                # --no-resume), is read back (adopted if equal to the card) instead of
                # another copy written beside both. So too where the file at the name has
                # the card file's size and no record makes it ours (a same-size file is not
                # our copy unless read back equal: the kept copy is read instead of it).
                beside, at_name = "", False
                if (
                    keep_both  # (first: nothing more is asked of a file without it)
                    and (
                        kind is _IN_THE_WAY
                        or (
                            kind is CheckKind.ADOPT
                            and recorded is None
                            and not (known and source_file.relative_path in known)
                        )
                    )
                    and plan.index not in backends
                    and changed is None
                    and found_wrong is None
                ):
                    if card_paths is None:
                        card_paths = frozenset(f.relative_path for f in tree.files)
                    entry = known.get(source_file.relative_path) if known else None
                    kept_there = _kept_copy(
                        final,
                        source_file,
                        card_paths,
                        # (Another card file's kept copy at that path: never ours.)
                        recorded_name="" if entry is None else entry.final_name,
                    )
                    if kept_there is not None:
                        at_name = kind is CheckKind.ADOPT  # read back in turn if need be
                        beside, final, kind = final, kept_there, CheckKind.ADOPT
                # The entry vouching for the file at *final* as an earlier take's copy
                # (``_earlier_copy``) is asked (an lstat, or an object's listing) of a file
                # refused unread here, else of one read back that no entry vouches for as
                # this card file's; the two are exclusive, so once a file and destination at
                # most, and the copy itself is read once either way (``_earlier_in_the_way``,
                # else the read-back's). Called in each branch, nothing built for the others.
                if kind is None or kind is _IN_THE_WAY:
                    if kind is _IN_THE_WAY and plan.index in backends:
                        occupied.setdefault(plan.index, set()).add(source_file.relative_path)
                    if kind is _IN_THE_WAY and not may_replace:
                        in_the_way.setdefault(plan.index, []).append(
                            (
                                len(tasks),
                                final,
                                "size"
                                if changed is not None
                                else "card"
                                if other and source_file.relative_path in other
                                else kept_word
                                if found_wrong is not None
                                else _earlier_in_the_way(
                                    _earlier_copy(
                                        known,
                                        other,
                                        source_file,
                                        final,
                                        ledger,
                                        listing,
                                        backends.get(plan.index),
                                    ),
                                    final,
                                    plan.index not in backends,
                                    reads,
                                )
                                or _revoked(known, source_file.relative_path),
                            )
                        )
                    targets.append(final)
                    continue
                targets.append(None)
                if not isinstance(kind, CheckKind):  # trusted from the ledger
                    assert recorded is not None
                    # A legacy MHL on the card listing this file, or the card's own ASC
                    # MHL history recording it (either written or added since the copy):
                    # its size and digests against the scan's and the ledger's, no read;
                    # unlike them, the copy fails here as one whose card file is read and
                    # found unlike it does (``check_existing``, in its words).
                    record = record_of(source_file.relative_path) or (
                        HISTORY_WORDS if source_file.relative_path in history_references else ""
                    )
                    unlike_record = (
                        trusted_copy_unlike(
                            source_file.path_text,
                            source_file.size_bytes,
                            recorded.digests,
                            recorded_size=sizes.get(source_file.relative_path),
                            recorded_digests=references.get(source_file.relative_path)
                            or NO_DIGESTS,
                            record=record,
                        )
                        if record
                        else None
                    )
                    if unlike_record is not None:
                        preset.append(
                            DestinationFileResult(
                                destination_index=plan.index,
                                final_path=final,
                                status=DestinationStatus.FAILED,
                                error=unlike_record,
                                # A copy of ours, checked again against the card's record
                                # (as ``check_existing`` marks one whose check failed).
                                action=CopyAction.RECHECKED,
                            )
                        )
                        continue
                    if card is None or not recorded.card:
                        counts = fingerprinted if recorded.fingerprint else unidentified
                        counts[plan.index] = counts.get(plan.index, 0) + 1
                        if not proof_satisfies(recorded.verify, VerifyMode.DESTINATION):
                            sealed = bool(recorded.fingerprint)
                            transfer_only[sealed] = transfer_only.get(sealed, 0) + 1
                            if size_checked_only(recorded):
                                size_only[sealed] = size_only.get(sealed, 0) + 1
                    preset.append(
                        DestinationFileResult(
                            destination_index=plan.index,
                            final_path=final,
                            # A record of a transfer check (or of a mode unknown here) proves no
                            # read-back: trusted, the copy is still transfer-checked only.
                            status=DestinationStatus.VERIFIED_EARLIER
                            if proof_satisfies(recorded.verify, VerifyMode.DESTINATION)
                            else DestinationStatus.TRANSFER_CHECKED,
                            verified_at=recorded.recorded_at or None,
                            verified_mode=recorded.verify or None,
                            recorded_digests={name: recorded.digests[name] for name in algorithms},
                            # How the earlier run read it back, when through a cache (the
                            # ledger records only that): the card release does not count it.
                            cache_bypass=CacheBypass(recorded.cache_bypass)
                            if recorded.cache_bypass in THROUGH_A_CACHE
                            else CacheBypass.NOT_READ,
                            action=CopyAction.TRUSTED,
                            # What its transfer check proved: the size alone, or not known
                            # to be more (an S3 entry too old to tell).
                            size_checked_only=size_checked_only(recorded),
                        )
                    )
                    trusted.append((recorded, final))
                    continue
                # Recorded from another card, or of another file of this name, size and date:
                # read back like any file no ledger vouches for, and its refusal says whose.
                if foreign is not None and kind is CheckKind.ADOPT:
                    other_card = other_content_words(
                        foreign, bool(sample), fast_copy=stands_in_for is not None
                    )
                else:
                    other_card = (
                        _other_card_words(other, source_file.relative_path, card)
                        if other and kind is CheckKind.ADOPT
                        else ""
                    )
                unvouched = (
                    ""
                    if beside
                    else "content"
                    if foreign is not None and other_card
                    else "card"
                    if other_card
                    else _unvouched(
                        known.get(source_file.relative_path),
                        source_file,
                        algorithms,
                        ledger,
                        zone_offsets.get(plan.index),
                    )
                    if kind is CheckKind.ADOPT and known
                    else ""
                )
                earlier_entry = (
                    _earlier_copy(
                        known,
                        other,
                        source_file,
                        final,
                        ledger,
                        listing,
                        backends.get(plan.index),
                    )
                    if unvouched == "other" and not beside and changed is None
                    else None
                )
                # An S3 object of ours another writer replaced (``_unvouched``'s "unlike"
                # there: another object at the key its entry of this card file records),
                # that entry this very card file's by its fingerprint, as a disk's copy of
                # ours that changed is (``changed``, above): else nothing makes it ours.
                # Only at the key that entry records as our copy: under a keep-both name
                # (``A001C002 (1).mov``) the object at the card's name is the one an earlier
                # --keep-both run kept as someone else's, never ours to replace.
                replaced = (
                    plan.index in backends
                    and unvouched == "unlike"
                    and _at_own_name(known[source_file.relative_path], source_file.relative_path)
                )
                if replaced and (print_of := known[source_file.relative_path].fingerprint):
                    if sample is None:
                        sample = samples.sample(
                            index, source_file.path_text, source_file.size_bytes
                        )
                    replaced = sample == print_of
                when_proven = named or (known[source_file.relative_path] if replaced else None)
                checks.append(
                    ExistingCopy(
                        task_index=len(tasks),
                        destination_index=plan.index,
                        final_path=Path(final),
                        kind=kind,
                        recorded={} if recorded is None else dict(recorded.digests),
                        recorded_mode="" if named is None else named.verify,
                        changed=""
                        if changed is None or not (options.reverify or size_changed)
                        else _found_wrong_words(
                            changed[0], final, changed[1], known[source_file.relative_path]
                        )
                        if found_wrong is not None
                        else _changed_words(changed[0], final, changed[1]),
                        ours=changed is not None,
                        replaced=replaced,
                        replaced_etag=replaced and bool(known[source_file.relative_path].etag),
                        # A plain run: its refusal, if it differs, names --reverify.
                        revoked_word=kept_word if changed is None else "",
                        found_wrong_before=found_wrong is not None,
                        ledger_entry=unvouched,
                        other_card="" if beside else other_card,
                        earlier=_earlier_word(earlier_entry),
                        earlier_digests={} if earlier_entry is None else earlier_entry.digests,
                        beside=beside,
                        beside_at_name=bool(beside) and at_name,
                        # Matched above: a read-back that proves the copy again keeps it.
                        fingerprint="" if recorded is None else recorded.fingerprint,
                        against_record=read_against_record,
                        recorded_when="".join(proven_when(when_proven))
                        if when_proven is not None
                        else "",
                        # The entry's own mapping, not a copy: read only (``settle``
                        # merges into a new dict), and no bytes added to every check.
                        card_recorded=NO_DIGESTS if named is None else named.digests,
                        # Consulted only if the copy is found different from the card.
                        card_entry=_entry_of_card(known, source_file, algorithms, final, unvouched)
                        if kind is CheckKind.ADOPT
                        and named is None
                        and foreign is None
                        and not other_card
                        and not beside
                        and stands_in_for is None
                        and known
                        else None,
                    )
                )
            tasks.append(
                FileTask(
                    source_file,
                    tuple(targets),
                    tuple(preset),
                    references.get(source_file.relative_path) or NO_DIGESTS,
                    "",
                    record_of(source_file.relative_path),
                    sizes.get(source_file.relative_path) if sizes else None,
                    # Written somewhere (now, or by a rewrite the checks settle on) beside a
                    # copy trusted elsewhere: the card file must read as that copy's entry.
                    # Not for a fast copy standing in for its absent card: its task checks
                    # it against its own ledger's digests (``cascade``).
                    trusted=TrustedCopies(
                        tuple(TrustedCopy(entry, final) for entry, final in trusted)
                    )
                    if trusted
                    and stands_in_for is None
                    and (len(checks) != checks_before or targets.count(None) != len(targets))
                    else None,
                )
            )
    # The preflight runs over the real task list: what the ledgers trust and the copies
    # already there are not counted as to be copied (space, counts). No name headroom: a
    # partial's name is cut to fit NAME_MAX (its unique token keeps it apart), so any name
    # the destination accepts can be copied.
    local = [plan for plan in plans if plan.index not in backends]  # S3: checked already
    # A file of another size in the way that the policy may not replace is refused by the
    # writer before a byte is written (its target stays for that): no room for it.
    blocked = {(task, index) for index, found in in_the_way.items() for task, _, _ in found}
    every_file = frozenset([f.relative_path for f in tree.files]) if first_offload else None
    needed = {
        plan.index: every_file
        if every_file is not None
        else frozenset(
            task.source.relative_path
            for i, task in enumerate(tasks)
            if task.targets[plan.index] is not None and (i, plan.index) not in blocked
        )
        for plan in local
    }
    # The copies read back before the job may be written again (found wrong, or replaced by
    # the policy): the free space holds as many of the largest of them as the engine can
    # write at once beside their old copies (``space.rewrite_room``); a trusted one needs none.
    # Those --reverify reads back, and the transfer-checked ones a stricter --verify reads
    # back (UPGRADE), are copies the ledger vouches for (not found wrong by their size
    # alone): written again only if found wrong, no room is required for them, a warning
    # says when it is short.
    rechecked: dict[int, set[str]] = {plan.index: set() for plan in local}
    expected_equal: dict[int, set[str]] = {plan.index: set() for plan in local}
    # A file no ledger vouches for, read back under the FAIL policy, is adopted or refused,
    # never written (``never_written``: a copy whose ledger entry a failed rewrite revoked,
    # on a drive still full, is refused as a file in the way, not the whole run).
    policy = options.copy.existing
    for check in checks:
        if check.destination_index in rechecked and not never_written(check, policy):
            relative_path = tasks[check.task_index].source.relative_path
            rechecked[check.destination_index].add(relative_path)
            if check.kind in _VOUCHED_FOR and not check.changed:
                expected_equal[check.destination_index].add(relative_path)
        elif check.destination_index in backends:  # an object at its key, read back
            occupied.setdefault(check.destination_index, set()).add(
                tasks[check.task_index].source.relative_path
            )
    # A file at a folder of objects, a folder at an object: refused as on a disk. Asked
    # first: a run refused writes nothing, the local write probes neither (the preflight
    # makes them only when nothing else refuses it).
    clashes = _s3().type_conflicts(tree, plans, backends) if backends else ()
    # The S3 ones only compared with each other (the same bucket and prefix named twice).
    checked = preflight(
        tree,
        local,
        allow_card_destination=options.allow_card_destination,
        probe_write=options.probe_writes and not clashes,
        needed=needed,
        rechecked=rechecked,
        expected_equal=expected_equal,
        remote=[plan for plan in plans if plan.index in backends],
        # The room kept for our own files (ledger, manifests, reports) scales with these.
        algorithms=options.copy.algorithms,
        manifests=len(options.manifests.kinds),
        ascmhl=options.manifests.writes_ascmhl,  # its generation's name checked
        legacy=options.manifests.writes_legacy,  # its legacy MHL's name checked
        absent_card=stands_in_for,
        source_is_copy=bool(origin.ours),
        # A cascade's fast destinations: one on the card's disk releases nothing (said so).
        cascade_fast=frozenset(p.index for p in local if p.index not in options.cascade)
        if options.cascade
        else frozenset(),
        listings={plan.index: listing for plan, listing in zip(plans, listings, strict=True)},
        # The room for rewrites is that of the job's batches: in transfer mode they close
        # at ``transfer_batch_bytes``, not the read-back batches' 64 MiB.
        batch_bytes=options.copy.closing_batch_bytes,
        batch_files=options.copy.batch_files,
        keep_both=policy is ExistingFilePolicy.KEEP_BOTH,
        # An object at a card file's key (of another size, or read back before the job):
        # --keep-both may keep a copy beside it, whose key the preflight holds to S3's limit,
        # the key the upload would take where a longer number than " (1)" may not fit.
        remote_in_the_way=occupied,
        remote_kept=_kept_keys(plans, backends, occupied, tree)
        if policy is ExistingFilePolicy.KEEP_BOTH
        else None,
        # Whether a re-run's stamp still holds (no generation written): the options the
        # manifest step stamps (``_records``: the same source, patterns and history).
        stamp_options=stamp_options(
            kinds=[str(kind) for kind in options.manifests.kinds],
            algorithms=options.copy.algorithms,
            ignore_patterns=(*options.ignore.patterns, *TOOL_IGNORE_PATTERNS),
            source=source_path,
            card_has_history=card_history is not None and card_history.trusted,
        ),
    )
    if clashes:
        checked = dataclasses.replace(checked, errors=(*checked.errors, *clashes))
    if checked.errors:
        # Another offload writing into a copy root here explains a refusal for want of room
        # best (its partials take the room) and waiting for it may end it: its lock's words,
        # as the run would give them, rather than "free space". Any other error (a
        # destination inside the card, a file too large for FAT, a read-only drive) waiting
        # would not end: listed, the lock's line after them.
        busy = busy_copy_root([plan.root for plan in local])
        if busy is not None:
            busy.destination_index = _busy_index(busy, local)
            if all(_for_want_of_room(item) for item in checked.errors):
                raise busy
        # The lock's line is a finding of the refusal as any other: in ``--json``'s and the
        # refused record's errors (``copy-root-busy``), not only in the printed lines. An
        # S3 copy root's live lock likewise (``s3card.busy_copy_root``: read, not taken).
        held = [] if busy is None else [busy.finding()]
        if backends:
            held += _s3().busy_copy_root(plans, backends)
        errors = [*checked.errors, *held]
        raise PreflightRefused(
            refusal_lines([item.message for item in errors]),
            errors=[item.as_dict() for item in errors],
            warnings=[item.as_dict() for item in checked.warnings],
        )
    if torn := [
        PreflightItem(
            PreflightCode.LEDGER_TORN_LINE, ledger.path, ledger.torn_words(read.latest), plan.index
        )
        for plan, ledger, read in zip(plans, ledgers, loaded, strict=True)
        if ledger.torn_line
    ]:
        checked = dataclasses.replace(checked, warnings=(*checked.warnings, *torn))
    if backends and tree.symlinks:
        links = _s3_link_warnings(tree, [plan for plan in plans if plan.index in backends])
        checked = dataclasses.replace(checked, warnings=(*checked.warnings, *links))
    if in_the_way:
        found = _in_the_way_warnings(
            plans,
            in_the_way,
            protected=run_protected(
                (ours for found in in_the_way.values() for _, _, ours in found), checks
            ),
        )
        checked = dataclasses.replace(checked, warnings=(*checked.warnings, *found))
    if other_content:
        unlike = _other_content_warnings(
            plans, other_content, options.copy.existing, fast_copy=stands_in_for is not None
        )
        checked = dataclasses.replace(checked, warnings=(*checked.warnings, *unlike))
    if card_history is not None and card_history.warnings:
        checked = dataclasses.replace(checked, warnings=(*checked.warnings, *card_history.warnings))
    if card_history is not None and (
        dropped := _history_not_carried(
            source_path,
            options,
            card_history,
            fast_copy=stands_in_for is not None,
            source_copy=copy_source,
        )
    ):
        checked = dataclasses.replace(checked, warnings=(*checked.warnings, dropped))
    if legacy is not None and legacy.warnings:
        checked = dataclasses.replace(checked, warnings=(*checked.warnings, *legacy.warnings))
    if not tree.root_is_file and any(entries):  # a card offload whose ledgers were read
        gone = _not_on_card_warnings(tree, plans, entries, card_key)
        checked = dataclasses.replace(checked, warnings=(*checked.warnings, *gone))
    if zone_warnings:
        checked = dataclasses.replace(checked, warnings=(*checked.warnings, *zone_warnings))
    if elsewhere:
        checked = dataclasses.replace(checked, warnings=(*checked.warnings, *elsewhere))
    if options.manifests.writes_ascmhl and (
        unreadable := _copy_root_history().unreadable_history_warnings(plans, backends)
    ):
        checked = dataclasses.replace(checked, warnings=(*checked.warnings, *unreadable))
    if unlisted := _unlisted_name_warnings(tree, plans, options):
        checked = dataclasses.replace(checked, warnings=(*checked.warnings, *unlisted))
    if origin.ours and origin.unfinished:
        checked = dataclasses.replace(
            checked, warnings=(*checked.warnings, _unfinished_copy_warning(source_path))
        )
    if backends:  # the card's empty folders, which a bucket cannot hold: named before the copy
        not_kept = _s3().folders_not_kept(tree, plans, backends)
        probed = _s3().probe_warnings(plans, backends)
        checked = dataclasses.replace(checked, warnings=(*checked.warnings, *probed, *not_kept))
    if legacy is not None and legacy.history_missing and card_history is not None:
        # A file a history nested in the card's folders records and the card lost: a lost
        # clip, as one its root history records (exit 1, ``missing_from_card``).
        lost = {*card_history.missing_from_card, *legacy.history_missing}
        card_history = card_history._replace(missing_from_card=tuple(sorted(lost)))
    has_history = card_history is not None and card_history.trusted
    devices = group_destinations(
        [p.destination for p in plans],
        mode=options.copy.device_concurrency,
        remote=[backends[p.index].device if p.index in backends else None for p in plans],
        source=source_path,
    )
    return OffloadPlan(
        source_path,
        tree,
        plans,
        checked,
        tasks,
        options,
        ledgers,
        source_has_history=has_history,
        checks=checks,
        card_history=card_history,
        missing_from_legacy_mhl={}
        if legacy is None
        else dict(zip(legacy.missing, legacy.missing_in, strict=True)),
        backends=backends,
        devices=devices,
        card=card,
        stands_in_for=stands_in_for,
        card_disk_unknown=bool(options.cascade)
        and _cascade().card_on_no_known_disk(tree, devices, stands_in_for),
        source_volume=_source_volume(source_path, None if origin.ours else card, stands_in_for),
        source_copy_root=origin,
        in_the_way={
            (task, index): ours for index, found in in_the_way.items() for task, _, ours in found
        },
        trusted_unidentified=unidentified,
        trusted_fingerprinted=fingerprinted,
        trusted_transfer_only=transfer_only,
        trusted_size_only=size_only,
        destination_devices=_destination_devices(plans, backends, checked),
    )


def _destination_devices(
    plans: Sequence[DestinationPlan], backends: Mapping[int, Any], checked: PreflightReport
) -> dict[int, int]:
    """By index, the device each local destination's folder was on when the plan was made
    (``OffloadPlan.destination_devices``): the one the preflight first saw there
    (``DestinationCheck.folder_dev``), else the one there now, once every check is done.
    A drive pulled in between keeps its own device here: the folder on the disk below now
    is another, so the destination is lost, never written below. A folder not there yet or
    that cannot be looked at is left out: its job takes the device it finds. One ``stat``
    a destination (``fs.devices.folder_device``)."""
    seen = {c.index: c.folder_dev for c in checked.destinations if c.folder_dev is not None}
    devices = {}
    for plan in plans:
        if plan.index in backends:
            continue
        device = seen.get(plan.index)
        if device is None:
            device = folder_device(plan.destination)
        if device is not None:
            devices[plan.index] = device
    return devices


def _source_volume(
    source: Path, card: CardIdentity | None, stands_in_for: Path | None
) -> dict[str, Any]:
    """The volume *source* is on now, as the reports' ``source_volume``. A fast copy
    standing in for an absent card (*stands_in_for*) records that card (*card*), whose
    label is never its own."""
    from offload.report.volumes import volume_of

    known = None if card is None or stands_in_for is not None else card.as_json()
    return volume_of(source, card=known)


# The copies read back that the ledger vouches for (``existing.CheckKind``): one it recorded
# with a weaker proof than this run asks for, and one ``--reverify`` reads again.
_VOUCHED_FOR = frozenset({CheckKind.UPGRADE, CheckKind.REVERIFY})


_NAMED_IN_THE_WAY = 3  # paths a warning names; the copies' own errors name every one
# The ``remedies.in_the_way`` words of a copy whose revocation kept its record, and of any
# revoked copy (``_revoked_kept``, ``_revoked``).
_KEPT_WORDS = frozenset({"revoked_kept", "checked"})
_REVOKED_WORDS = _KEPT_WORDS | {"revoked"}


def _unfinished_copy_warning(source: Path) -> PreflightItem:
    """The ``source-unfinished-copy`` warning: the source, a copy root of ours, records an
    offload of its card there that did not finish (``source_copy_root``: its run record),
    so card files may be missing from it; the run takes the source for no card then."""
    return PreflightItem(
        PreflightCode.SOURCE_UNFINISHED_COPY,
        source,
        f"the source {printable_name(str(source))} is an unfinished copy: card files may be "
        "missing from it (its last offload did not finish; run offload verify on it); copy "
        "the card itself where you still have it",
    )


def run_protected(in_the_way: Iterable[str], checks: Iterable[ExistingCopy]) -> bool:
    """Whether a copy never to be overwritten stands in the way of a file of the run, on any
    destination, fast or slow: one of the files in the way is such a copy (*in_the_way*,
    their ``remedies.in_the_way`` words: ``remedies.holds_protected``), or one of the copies
    read back before the copy (*checks*) is refused as such unless found equal
    (``ExistingCopy.may_be_protected``). The cautious decision before the read-back (the
    planner's warnings, ``--dry-run``): --overwrite offered first nowhere. After it, the
    refusals follow what it found (``found_protected``)."""
    return remedies.holds_protected(in_the_way) or any(c.may_be_protected for c in checks)


def found_protected(in_the_way: Iterable[str], refusals: Iterable[str | None]) -> bool:
    """Whether a copy never to be overwritten stood in the way of a file of the run, as
    found once the copies there were read back (and, in a cascade, once the card's pass
    ran): a file in the way is such a copy (*in_the_way*, ``remedies.holds_protected``) or
    a copy was refused as such (*refusals*: ``DestinationFileResult.refusal`` of the copies
    settled or done, ``remedies.refuses_never``). Unlike ``run_protected``, a copy the plan
    only guessed may be refused but the read-back found equal does not count: the ERROR,
    JSON and reports of a run say what it found."""
    return remedies.holds_protected(in_the_way) or remedies.refuses_never(refusals)


def _in_the_way_warnings(
    plans: Sequence[DestinationPlan],
    in_the_way: Mapping[int, Sequence[tuple[int, str, str]]],
    *,
    protected: bool,
) -> list[PreflightItem]:
    """Before the copy, one warning a destination: the copies that will fail because a file
    of another size holds their name (another tool's, or an older copy of ours: a camera's
    index file rewritten on the card; the engine refuses each, nothing there is replaced),
    and what to do about it: a copy of ours whose size changed since its ledger recorded it
    (``Ledger.changed_copy``) is named as such, and ``--reverify`` replaces it. A copy never
    to be overwritten (another card's, an earlier take's) in the way on any destination,
    and no warning offers --overwrite first (*protected*: ``run_protected``): it is for the
    whole run."""
    items = []
    for plan in plans:
        found = in_the_way.get(plan.index)
        if not found:
            continue
        first = found[0][1]
        # An S3 destination's stand-in paths as their s3:// URLs (display_path).
        named = _up_to_three(found, lambda item: printable_name(display_path(item[1])))
        items.append(
            PreflightItem(
                PreflightCode.EXISTING_NOT_OVERWRITTEN,
                _finding_path(first),
                f"{plural(len(found), 'file')} of another size already at the name of a copy on "
                f"{display_path(plan.root)}: "
                + (
                    f"it is not overwritten and that copy fails ({named}); "
                    if len(found) == 1
                    else f"they are not overwritten and those copies fail ({named}); "
                )
                + (
                    remedies.in_the_way(found[0][2], protected=protected)
                    if len(found) == 1
                    else remedies.many_in_the_way(
                        sum(1 for _, _, ours in found if ours == "size"),
                        len(found),
                        sum(1 for _, _, ours in found if ours == "card"),
                        sum(1 for _, _, ours in found if ours in _REVOKED_WORDS),
                        sum(1 for _, _, ours in found if ours in _KEPT_WORDS),
                        # (A copy that could not be read back: an earlier take's, as
                        # recorded, not called damaged.)
                        sum(
                            1
                            for _, _, ours in found
                            if remedies.is_earlier(ours) or remedies.is_unread_earlier(ours)
                        ),
                        sum(1 for _, _, ours in found if remedies.is_damaged_earlier(ours)),
                        protected=protected,
                    )
                ),
                plan.index,
            )
        )
    return items


def _finding_path(path: str) -> Path:
    """A planning finding's ``path``: an S3 destination's stand-in path as its ``s3://`` URL
    (``S3ShownPath``), a local one as it is."""
    return _s3().S3ShownPath(path) if is_s3_root(path) else Path(path)


def _not_on_card_warnings(
    tree: SourceTree,
    plans: Sequence[DestinationPlan],
    entries: Sequence[Mapping[str, LedgerEntry]],
    card: str = "",
) -> list[PreflightItem]:
    """Before the copy, one warning a destination whose ledger records copies (verified or
    transfer-checked; a revoked entry vouches for nothing) of card files the scan did not
    find: a clip deleted in camera since an earlier offload. Nothing is ever deleted from a
    destination, and the DIT learns the card lost them. The message claims no more than
    that: whether a copy is still at its name there is not looked at (the ledger says it
    was written, not that nobody deleted it by hand since), so it says "nothing there is
    deleted", never that the copies are there.

    Entries of paths the card still has as something the copy does not take as a file (a
    link, a special file) are not gone, nor are those the ignore rules hide now (an ignored
    entry, or one below an ignored folder, whose content the scan never listed): the user
    told us not to look. *entries* are this card's (``_by_card``): an entry recorded from
    another card (``--into`` one folder, a card formatted again) is not named. Where either
    side's card is unknown (*card* "": this run cannot tell; an entry without ``card``: an
    older version's, or a run that could not tell), the entry may be another card's, and
    the message says that this is one reason.

    Cost: a set of the card's relative paths and a set difference against each ledger's
    keys; no stat, no I/O (a 50,000-file card: a few ms)."""
    present = {f.relative_path for f in tree.files}
    present.update(link.relative_path for link in tree.symlinks)
    present.update(entry.relative_path for entry in tree.skipped)
    ignored = frozenset(tree.ignored)
    items = []
    for plan, known in zip(plans, entries, strict=True):
        gone = sorted(
            path
            for path in known.keys() - present
            if known[path].vouches and not _is_ignored(path, ignored)
        )
        if not gone:
            continue
        first = str(final_path_of(plan.root, known[gone[0]]))
        named = ", ".join(printable_name(path) for path in gone[:_NAMED_IN_THE_WAY])
        more = (
            f", and {len(gone) - _NAMED_IN_THE_WAY} more" if len(gone) > _NAMED_IN_THE_WAY else ""
        )
        items.append(
            PreflightItem(
                PreflightCode.NOT_ON_CARD,
                _finding_path(first),
                f"{plural(len(gone), 'file')} an earlier offload recorded on "
                f"{display_path(plan.root)} {'is' if len(gone) == 1 else 'are'} not on the card "
                f"now ({named}{more}): nothing there is deleted (deleted from the card since"
                + (
                    ", or another card's file offloaded into this folder)"
                    if not card or any(not known[path].card for path in gone)
                    else ")"
                )
                + _not_on_card_what_to_do(len(gone)),
                plan.index,
            )
        )
    return items


def _not_on_card_what_to_do(count: int) -> str:
    """What the not-on-card warning asks of the user (QA: it said what, not what to do): a
    clip deleted in camera by mistake has its only copy left on the destination (the drive
    is not looked at: no claim that copy is there)."""
    if count == 1:
        return (
            "; if it was not deleted on purpose, check that this is the card offloaded there, "
            "and keep what that offload left there: it may be the only copy"
        )
    return (
        "; if they were not deleted on purpose, check that this is the card offloaded there, "
        "and keep what that offload left there: it may be the only copy of them"
    )


def _is_ignored(path: str, ignored: frozenset[str]) -> bool:
    """Whether the scan left *path* out by the ignore rules: the path itself, or a folder
    above it (an ignored folder's content is not listed)."""
    if not ignored:
        return False
    while True:
        if path in ignored:
            return True
        cut = path.rfind("/")
        if cut < 0:
            return False
        path = path[:cut]


def _s3_link_warnings(tree: SourceTree, plans: Sequence[DestinationPlan]) -> list[PreflightItem]:
    """Before the copy, as the disk preflight does for a filesystem that may not hold
    them: each symlink of the card, on each S3 destination, will fail there (docs/s3.md)."""
    return [
        PreflightItem(
            PreflightCode.SYMLINK_UNSUPPORTED,
            Path(link.path),
            f"{display_path(plan.root)} cannot hold the symlink {link.relative_path!r} (an "
            "object store has no symlinks): it will not be copied there and the offload will "
            "exit 1; remove it from the card, or copy the card to a drive that holds links",
            plan.index,
        )
        for plan in plans
        for link in tree.symlinks
    ]


_TRUSTED = "trusted"
# A file of another size (or not a regular file: the preflight refuses that) at the name.
_IN_THE_WAY = "in the way"


def _existing_copy_kind(
    recorded: LedgerEntry | None,
    final: str,
    size_bytes: int,
    *,
    verify: str,
    reverify: bool,
    backend: S3Backend | None = None,
    changed: int | None = None,
    absent: AbsentFolders | None = None,
    listing: FolderListings | None = None,
) -> CheckKind | str | None:
    """What to do with a file on one destination: None (copy it), _TRUSTED (the ledger
    proves it as strictly as asked), _IN_THE_WAY (copy it if the existing-file policy lets
    the copy replace what is there), or the kind of read-back an existing copy needs.
    *backend*: an S3 destination's (its objects are looked up there, not locally).
    *changed*: the size now of a copy of ours no longer as its ledger recorded it
    (``Ledger.changed_copy``): with *reverify*, REVERIFY when its size changed (found wrong
    by that alone), ADOPT when only its date did (compared with the source); without, it is
    judged as any file there. *absent*: the destination's folders found absent (nothing
    is at a path in one of them). *listing*: the plan's listings of its folders, which
    answer the ``lstat`` (``fs.listing``)."""
    if recorded is not None:
        if not proof_satisfies(recorded.verify, verify):
            return CheckKind.UPGRADE
        return CheckKind.REVERIFY if reverify else _TRUSTED
    if changed is not None and reverify:
        return CheckKind.REVERIFY if changed != size_bytes else CheckKind.ADOPT
    if backend is not None:
        # An object at the key, from the listing of its folder (sizes included: no HEAD).
        # A common prefix of that name is no object: an upload beside it replaces nothing.
        found: EntryInfo | None = _s3().existing_object(backend, Path(final))
        if found is None:
            return None
        return CheckKind.ADOPT if found.size_bytes == size_bytes else _IN_THE_WAY
    if absent is not None and absent.holds_nothing_at(final):
        return None
    try:
        st = os.lstat(final) if listing is None else listing.lstat(final)
    except OSError:
        return None
    if stat.S_ISREG(st.st_mode) and st.st_size == size_bytes:
        return CheckKind.ADOPT
    return _IN_THE_WAY  # the engine's existing-file policy decides


def _kept_copy(
    final: str, source_file: SourceFile, card_paths: frozenset[str], *, recorded_name: str = ""
) -> str | None:
    """``--keep-both``, another file at *final* of a size other than the card file's: the copy an
    earlier run may have kept beside it under a keep-both name (``name (n).ext`` of *final*'s
    own name, ``keep_both_text``, as the committer chose it: the first of them, in its order,
    that is a regular file of the card file's size and date (within the ledger's 2 s,
    ``DATE_SLACK_NS``: FAT's steps), a copy of ours having the card file's date), for its
    read-back against the card (ADOPT: equal, it is adopted there and recorded by that name, so
    no third copy is written; found different or unreadable, the new copy goes beside the file
    at *final* as before, ``ExistingCopy.beside``). A kept copy whose ledger line could not be
    written is recorded nowhere: without this, each run with --keep-both wrote one more. Passed
    over: names of the card's own files (*card_paths*), as the committer passes over them, and
    *recorded_name*, the name the ledger's entry of this path records (another card file's kept
    copy: that of this card file would have matched its entry). A file of another size or date
    is passed over too (another tool's ``name (1).ext``: never adopted as ours, never read back
    each run). None when the first free name comes first; a few ``lstat`` calls, only for a file
    in the way under --keep-both on a disk. Asked too where the file at *final* has the card
    file's size and no ledger entry of this path (``--no-resume``, or none written): the kept
    copy found is read back first; found different or unreadable, the file at *final* is
    read back in turn and adopted if equal (``ExistingCopy.beside_at_name``), else the new
    copy goes beside both; no kept copy, the file at *final* is read back
    (``_existing_copy_kind``)."""
    folder = source_file.relative_path.rpartition("/")[0]
    name = Path(final).name
    for attempt in range(1, 10_000):
        kept = keep_both_text(name, attempt)
        if kept == recorded_name or (f"{folder}/{kept}" if folder else kept) in card_paths:
            continue
        candidate = str(Path(final).with_name(kept))
        try:
            st = os.lstat(candidate)
        except OSError:
            return None  # the first free name: the committer would have kept it here
        if (
            stat.S_ISREG(st.st_mode)
            and st.st_size == source_file.size_bytes
            # Within the ledger's tolerance (FAT keeps dates in 2 s steps; exFAT and fusefat
            # round too): an exact test passed over our own kept copy there, and each run
            # wrote one more. The read-back decides whether it is the card file.
            and abs(st.st_mtime_ns - source_file.mtime_ns) <= DATE_SLACK_NS
        ):
            return candidate
    return None


def _earlier_copy(
    known: Mapping[str, LedgerEntry] | None,
    other: Mapping[str, LedgerEntry] | None,
    source: SourceFile,
    final: str,
    ledger: Ledger,
    listing: FolderListings | None,
    backend: S3Backend | None,
) -> LedgerEntry | None:
    """The copy root's ledger entry vouching for the file at *final* as a copy an earlier
    offload made of a card file of this name (its words: ``_earlier_word``), or None: the
    last entry of the path (this card's, *known*; not another card's, *other*, whose words
    are its own) is a standing one, of another size or date than *source* now (the card's
    file changed since it was copied, or another take of the name), recording a copy at
    that name that is still as it recorded (its size and date; an object: its size, and
    its ETag where both have one, from the listing of its folder). Where that entry records
    a copy at another name (``--keep-both`` kept a newer take beside it: "clip (1).mov"),
    the last standing entry recording one at *final*'s name (``Ledger.recorded_at_name``:
    the ledger read once, only then). None otherwise: any file in the way; and a camera's or
    a sound recorder's index file (``report.release.index_file``), which it rewrites
    whenever it records more: the card release advises --overwrite for it, the new index a
    superset of the old. Asked only of a file in the way (one ``lstat``, or the listing's
    answer)."""
    from offload.report.release import index_file  # asked only of a file in the way

    entry = known.get(source.relative_path) if known else None
    name = final.rpartition("/")[2]
    if (
        entry is None
        or index_file(source.relative_path)
        or not entry.vouches
        or (other and source.relative_path in other)
    ):
        return None
    if entry.final_name not in ("", name):
        entry = ledger.recorded_at_name(source.relative_path, name)
        if entry is None or (entry.card and ledger.card and entry.card != ledger.card):
            return None  # (another card's copy kept at that name: its own words)
    if entry.size_bytes == source.size_bytes and entry.mtime_ns == source.mtime_ns:
        return None
    if backend is not None:
        found = _s3().existing_object(backend, Path(final))
        if (
            found is None
            or found.size_bytes != entry.size_bytes
            # (The listing's ETag, where both have one: another object of the same size.)
            or (entry.etag and found.etag and found.etag != entry.etag)
        ):
            return None
    elif not ledger.holds_as_recorded(entry, listing):
        return None
    return entry


def _earlier_intact(entry: LedgerEntry, final: str, reads: PlanReads) -> bool | None:
    """Whether the local copy at *final* that *entry* vouches for (``_earlier_copy``'s, a
    file in the way of another size than the card's file) holds what *entry* recorded:
    read once (``copy_reread.reads_as_recorded``). Its size and date as recorded prove
    nothing of its bytes (bit rot, or a write in place with its date put back, keeps both,
    and the change time too where the media rotted unmounted): calling a damaged copy the
    earlier take's, never to be replaced, would hide the damage. One file, read only when a
    card file changed at that name. None for a copy that could not be read (never vouched
    for without proof, nor called damaged: it was never compared). The read is said on
    *reads* as it goes (a clip of an hour's reading, before anything is copied)."""
    on_read = reads.reading(
        final, entry.size_bytes, "to tell whether the earlier offload's copy in the way is intact"
    )
    try:
        return reads_as_recorded(final, entry.digests, on_read)
    except OSError:
        return None


def _earlier_word(entry: LedgerEntry | None, *, damaged: bool = False) -> str:
    """The ``remedies.earlier_word`` of the copy *entry* vouches for (``_earlier_copy``'s),
    naming how and when it was proved; ``remedies.damaged_earlier_word``'s where *damaged*
    (read back unlike its entry: ``_earlier_intact``); "" for None."""
    if entry is None:
        return ""
    proven = "".join(proven_when(entry))
    return remedies.damaged_earlier_word(proven) if damaged else remedies.earlier_word(proven)


def _earlier_in_the_way(
    entry: LedgerEntry | None, final: str, local: bool, reads: PlanReads
) -> str:
    """``_earlier_word`` of a file in the way (refused unread: another size than the card's
    file) that *entry* vouches for as an earlier offload's copy, a *local* one read first
    (``_earlier_intact``); an object's ETag answered already (``_earlier_copy``)."""
    if entry is None:
        return ""
    intact = _earlier_intact(entry, final, reads) if local else True
    if intact is None:
        return remedies.unread_earlier_word("".join(proven_when(entry)))
    return _earlier_word(entry, damaged=not intact)


def _revoked_kept(known: Mapping[str, LedgerEntry], relative_path: str) -> str:
    """The ``remedies.in_the_way`` word for a copy whose revocation kept its record
    (``Ledger.found_wrong_copy``): ``"revoked_kept"`` where an offload revoked it,
    ``"checked"`` where ``offload verify`` did (``LedgerEntry.revoked_by``)."""
    entry = known.get(relative_path)
    offload = entry is not None and entry.revoked_by == REVOKED_BY_OFFLOAD
    return "revoked_kept" if offload else "checked"


def _revoked(known: Mapping[str, LedgerEntry] | None, relative_path: str) -> str:
    """``"revoked"`` when the ledger's last entry of *relative_path* (in *known*) is a
    ``revoked`` line (an earlier run found that copy wrong, was cancelled before its re-read
    after fusefat's renames, or never finished it), else
    "": the word ``remedies.in_the_way`` takes for a file in the way there."""
    entry = known.get(relative_path) if known else None
    return "revoked" if entry is not None and entry.state == "revoked" else ""


def _entry_of_card(
    known: dict[str, LedgerEntry],
    source: SourceFile,
    algorithms: Sequence[str],
    final: str,
    unvouched: str,
) -> LedgerEntry | None:
    """For a copy at *final* no entry vouches for (ADOPT; *unvouched*: why, ``_unvouched``):
    the entry of this card file recording a copy at that name, with a fingerprint to tell
    it is this very file (compared only when it is used), which the card file is compared
    with once the copy is found different from it (``ExistingCopy.card_entry``); None
    otherwise. That entry is ``ledger.ours_entry``'s (its size and date) without every
    format of the run's *algorithms* (a ``-t`` change since: why it vouches for nothing);
    or, *unvouched* ``"clone"`` (the copy there another file than the one it recorded: a
    ``cp -a`` of the copy root) or ``"zone"`` (the card's dates one zone offset from it,
    the offset the plan found, ``zone_shift``), the last entry of the path, which records
    this card file all the same (``_unvouched`` checked its size and date). No I/O: a
    dictionary's look-up."""
    if source.relative_path not in known:
        return None
    if unvouched in ("clone", "zone"):
        entry = known[source.relative_path]
        if not computable_formats(entry.digests):
            return None  # (a record in formats this version cannot compute)
    else:
        found = ours_entry(
            known,
            source.relative_path,
            size_bytes=source.size_bytes,
            mtime_ns=source.mtime_ns,
            algorithms=algorithms,
        )
        if found is None or all(n in found.digests for n in algorithms):
            return None  # (one recording every format of the run's vouches, or is another's)
        entry = found
    if not entry.fingerprint:
        return None
    if entry.final_name not in ("", final.rpartition("/")[2]):
        return None  # (a copy at another name: not this one's)
    return entry


def _unvouched(
    entry: LedgerEntry | None,
    source: SourceFile,
    algorithms: Sequence[str],
    ledger: Ledger,
    zone_offset: int | None = None,
) -> str:
    """What the ledger's last *entry* of a path says when it does not vouch for the copy
    there of *source* (``ExistingCopy.ledger_entry``): "" (no entry), ``"revoked"``,
    ``"damaged"`` (a state no version writes: the line is damaged, no run revoked it),
    ``"rounded"`` (the source's size, its date as a coarser filesystem rounds it: an older
    version's cascade dated its slow copies as the fast copy on exFAT, FAT, NTFS or a
    share, ``card_folder.rounded_by_a_cascade``, *ledger* the copy root's), ``"other"`` (another
    file: its size or date is not the source's), ``"digests"`` (this file, without every
    digest asked for), ``"clone"`` or ``"touched"`` (this file, the copy there as recorded
    but another file than the one recorded, or that file changed since: ``Ledger.other_file``)
    or ``"unlike"`` (this file,
    the copy not as recorded: another date, the partial it names still there, another S3
    object); ``"zone"`` (the source's size,
    its date off by *zone_offset*, the card read under another time zone: ``zone_shift``)."""
    if entry is None:
        return ""
    if entry.state == "revoked":
        return "revoked"
    if not entry.vouches:
        return "damaged"
    if entry.size_bytes != source.size_bytes or entry.mtime_ns != source.mtime_ns:
        if card_folder.rounded_by_a_cascade(entry, source, ledger):
            return "rounded"
        if (
            zone_offset is not None
            and entry.size_bytes == source.size_bytes
            and abs(source.mtime_ns - entry.mtime_ns - zone_offset) <= ZONE_SLACK_NS
        ):
            return "zone"
        return "other"
    if any(name not in entry.digests for name in algorithms):
        return "digests"
    return ledger.other_file(entry) or "unlike"


def _changed_words(entry: LedgerEntry, final: str, size_now: int) -> str:
    """How a copy of ours changed since *entry* recorded it, naming it: its size (*size_now*
    against the recorded one), else its date; and when it was verified (or only
    transfer-checked) there."""
    verb, when = proven_when(entry)
    if size_now != entry.size_bytes:
        return (
            f"{final} is {size_now:,} bytes; the copy {verb} there{when} was "
            f"{entry.size_bytes:,} bytes"
        )
    return f"{final} has another date than the copy {verb} there{when}"


def _found_wrong_words(
    entry: LedgerEntry, final: str, size_now: int, revocation: LedgerEntry
) -> str:
    """How a copy of ours whose record a revocation kept (``Ledger.found_wrong_copy``;
    *revocation* its line) differs, naming it: found wrong by ``offload verify``, or revoked
    by an earlier offload (``revoked_by``), against the copy *entry* recorded (when it was
    verified or transfer-checked there); and its size now (*size_now*) when that changed
    since."""
    verb, when = proven_when(entry)
    if revocation.revoked_by == REVOKED_BY_OFFLOAD:
        words = (
            f"an earlier offload revoked the ledger's record of the copy {verb} at {final}"
            f"{when} (found wrong, unreadable, or not read again after fusefat's renames)"
        )
    else:
        words = (
            f"{final} was found wrong by offload verify, which revoked the ledger's record of "
            f"the copy {verb} there{when}"
        )
    if size_now != entry.size_bytes:
        words += f" (it is {size_now:,} bytes now; that copy was {entry.size_bytes:,} bytes)"
    return words


def _by_card(
    loaded: Sequence[LedgerEntries], card: str
) -> tuple[list[dict[str, LedgerEntry]], list[dict[str, LedgerEntry]]]:
    """Each destination's entries split by ``same_card``: those that may vouch for a copy
    of the card *card* ("" unknown: each path's last entry), and those recorded from
    another card under the card file's own name (what a read-back there reads: named in
    its refusal). A path's entry of this card may stand beside its last one, another
    card's (``LedgerEntries.beside``: each card's copy kept under a name of its own,
    ``--keep-both``): this card's vouches for its copy. One pass over each ledger's last
    entries, none when the card is unknown."""
    if not card:
        return [entries.latest for entries in loaded], [{} for _ in loaded]
    mine: list[dict[str, LedgerEntry]] = []
    others: list[dict[str, LedgerEntry]] = []
    for latest, beside in loaded:
        foreign = [path for path, e in latest.items() if not same_card(e, card)]
        if not foreign and not beside:  # the usual ledger: every entry this card's
            mine.append(latest)
            others.append({})
            continue
        own = {path: e for path, e in latest.items() if same_card(e, card)}
        other = {path: latest[path] for path in foreign if _at_own_name(latest[path], path)}
        # The entries standing beside a path's last one (each under a name of its own).
        for path, earlier in beside.items():
            for entry in earlier:
                if same_card(entry, card):
                    own[path] = entry
                elif _at_own_name(entry, path):
                    other[path] = entry
        mine.append(own)
        others.append(other)
    return mine, others


def _at_own_name(entry: LedgerEntry, relative_path: str) -> bool:
    """Whether *entry* records its copy under the card file's own name (not a keep-both
    name)."""
    return not entry.final_name or entry.final_name == relative_path.rpartition("/")[2]


def _other_content_warnings(
    plans: Sequence[DestinationPlan],
    found: Mapping[int, Sequence[str]],
    policy: ExistingFilePolicy,
    *,
    fast_copy: bool = False,
) -> list[PreflightItem]:
    """Before the copy, one warning a destination (code ``ledger-other-content``): the card
    files whose name, size and date its ledger records with another fingerprint, so that
    their copies there are not trusted, and what becomes of them by the policy."""
    if policy is ExistingFilePolicy.FAIL:
        fate = f"refused and that card file not copied ({remedies.another_card_many()})"
    elif policy is ExistingFilePolicy.KEEP_BOTH:
        fate = "the card file copied beside it under a name of its own (--keep-both)"
    else:
        fate = "replaced by a copy of the card file once that is verified (--overwrite)"
    items = []
    for plan in plans:
        paths = found.get(plan.index)
        if not paths:
            continue
        named = ", ".join(printable_name(display_path(p)) for p in paths[:_NAMED_IN_THE_WAY])
        more = (
            f" and {len(paths) - _NAMED_IN_THE_WAY} more" if len(paths) > _NAMED_IN_THE_WAY else ""
        )
        one = len(paths) == 1
        if fast_copy:  # the source is a fast copy standing for its absent card
            items.append(
                PreflightItem(
                    PreflightCode.LEDGER_OTHER_CONTENT,
                    _finding_path(paths[0]),
                    f"{plural(len(paths), 'file')} of the fast copy {'is' if one else 'are'} "
                    f"not the {'file' if one else 'files'} {display_path(plan.root)}'s ledger "
                    f"records at {'its name' if one else 'their names'} ({named}{more}), "
                    "copied there from the card: the same name, size and modification time, "
                    "other content (the first or last 64 KiB read from the fast copy now "
                    "differ from those copied): the fast copy changed since it was verified "
                    "(damaged), and it is checked against the card's digests its ledger "
                    "recorded; the copy there is not trusted on its ledger's word: it is read "
                    "back against the digests that ledger recorded (verified there if equal, "
                    "found damaged if not), never written from the fast copy's file",
                    plan.index,
                )
            )
            continue
        items.append(
            PreflightItem(
                PreflightCode.LEDGER_OTHER_CONTENT,
                _finding_path(paths[0]),
                f"{plural(len(paths), 'card file')} {'is' if one else 'are'} not the "
                f"{'file' if one else 'files'} {display_path(plan.root)}'s ledger records at "
                f"{'its name' if one else 'their names'} ({named}{more}): the same name, size "
                "and modification time, other content (the first or last 64 KiB read from "
                "the card now differ from those copied: another card, this card shot again, "
                "or a card file changed since it was copied); not trusted: a copy still there "
                f"is read back and compared with the card's file, adopted if equal, else {fate}",
                plan.index,
            )
        )
    return items


def _other_card_words(
    other: Mapping[str, LedgerEntry], relative_path: str, card: CardIdentity | None
) -> str:
    """What a copy read back says of the entry of its path recorded from another card
    (``ExistingCopy.other_card``): that card and when; "" when there is none."""
    entry = other.get(relative_path)
    if entry is None or card is None:
        return ""
    verb, when = proven_when(entry)
    return (
        f"this copy root's ledger records it from another card ({describe_key(entry.card)}), "
        f"{verb} there{when}; this card: {card.words()}"
    )


def _load_ledger(ledger: Ledger) -> LedgerEntries:
    """The ledger's entries (``Ledger.load_entries``); none for a bucket's ledger its
    credentials may not read (s3:GetObject refused: ``s3card.lose_unreadable_ledger`` loses
    that destination alone, before its first file); UsageError (exit 64, nothing
    written) when it cannot be read otherwise: for a drive that went away (ENOTCONN, EIO, ENODEV),
    naming the drive to reconnect (the ledger is not at fault: moving it away would lose
    what it vouches for); for a copy root below a folder this user may not enter, naming
    that folder (``closed_folder``); for a ledger seen there and gone at its open (ENOENT,
    ENOTDIR: its folder removed meanwhile, on a share's server or behind its stale cache),
    that the folder vanished and to run again (``errors.vanished``), never "move it away"."""
    try:
        entries = ledger.load_entries()
        ledger.read_by_plan = entries.latest  # what the run trusts (``Ledger.run_known``)
        return entries
    except OSError as exc:
        # A drive's ledger (an S3Ledger's errors are its service's: docs/s3.md). The drive
        # went away only if its copy root cannot be looked at either: a ledger file that
        # alone fails (EIO of its own sectors) is that file's fault, and reconnecting the
        # drive would not help.
        local = type(ledger) is Ledger
        gone = unreachable_ancestor(ledger.path.parent.parent) if local else None
        if gone is not None:
            raise gone from None
        # A destination below a folder this user may not enter: that folder is at fault, not
        # the ledger (which may not even exist); moving the ledger away would change nothing.
        closed = closed_folder(ledger.path) if local else None
        if closed is not None:
            copy_root = printable_name(str(ledger.path.parent.parent))
            raise UsageError(
                f"permission denied: cannot reach destination {copy_root}: this user may not "
                f"enter folder {printable_name(closed)}; nothing was copied (give this user "
                "access to that folder, run as a user who may write there, or choose another "
                "destination)",
                path=ledger.path,
            ) from None
        if not local:
            if _s3().lose_unreadable_ledger(ledger, exc):
                # Refused to these credentials: that destination alone is lost, before
                # anything is stored there, as a first run's read of its lock loses it
                # (``s3card.lock_copy_roots``); the others are copied.
                return LedgerEntries({}, {})
            raise UsageError(_s3_ledger_unreadable(ledger, exc), path=ledger.path) from None
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            # Seen a moment ago (its ``exists`` passed), gone at its open: its folder
            # vanished (removed on a share's server, a share's stale cache); the ledger is
            # not at fault, and there is nothing to move away.
            raise UsageError(
                f"cannot read {ledger.path}: {vanished(ledger.path.parent.parent)}: "
                f"{describe_os_error(exc)}; run the same command again",
                path=ledger.path,
            ) from None
        raise UsageError(
            f"cannot read {ledger.path}: {describe_os_error(exc)}; fix or move it away",
            path=ledger.path,
        ) from None


def _s3_ledger_unreadable(ledger: Ledger, exc: OSError) -> str:
    """The one line of a bucket's ledger that cannot be read (``s3unread.records_unread``,
    as ``offload verify``'s records): named by its ``s3://`` URL (never the stand-in path),
    the object refused and the service's code, what to do fitting the error (a refusal:
    credentials that may read it; the service failing or out of reach: run again once it
    answers); never "move it away": the ledger is not at fault, and deleting it would lose
    what it vouches for."""
    from offload.destinations.s3unread import records_unread

    again = "run the same command again"
    return records_unread(
        exc,
        f"the ledger {display_path(ledger.path)}",
        client=cast("S3Ledger", ledger).store.client,
        bucket=cast("S3Ledger", ledger).store.url.bucket,
        again=again,
        then=again,
        outcome="nothing was copied",
    )


def run_offload(
    plan: OffloadPlan,
    *,
    sink: EventSink | None = None,
    cancel: CancelToken | None = None,
    on_locked: Callable[[str], None] | None = None,
) -> OffloadReport:
    """Copy what the plan says, then links, folders and folder times. Blocks until done.

    Holds the lock of every copy root (``offload.lock``) from before the first byte until
    the manifests and folder times are written, released on every exit path; raises
    CopyRootBusy (a UsageError: exit 64, nothing copied; with an s3:// destination its
    line says the preflight's probe objects were written, ``s3card.nothing_copied_words``)
    when another offload holds one.
    *on_locked* is called once every lock is held, before anything else, with the run's
    token (``CopyRootLocks.run``): the command writes its start record then
    (``report/started.py``) and announces the offload (a run refused by another's lock
    announces nothing).
    Everything else that goes wrong is in the report (see ``_run_locked``).
    """
    guarded = isolated(_s3().S3PathSink(sink) if plan.backends and sink else sink)
    if plan.backends:  # a bucket answering nothing while retried (``s3unreachable``)
        _s3().say_not_answering(plan.backends, guarded)
    # Local copy roots have a lock file (a flock), S3 copy roots a lock object (s3lock.py).
    # Not in a destination pulled since the plan: its lock would be made on the disk below.
    moved = plan.moved_since_plan()
    roots = [p.root for p in plan.plans if p.index not in plan.backends and p.index not in moved]
    s3_locks: list[Any] = []
    report: OffloadReport | None = None
    try:
        with lock_copy_roots(roots, source=str(plan.source)) as locks:
            if plan.backends:
                s3_locks, s3_warnings = _s3().lock_copy_roots(plan, source=str(plan.source))
                locks.warnings.extend(s3_warnings)
            if on_locked is not None:
                on_locked(locks.run)
            for message in locks.warnings:
                guarded.emit(WarningIssued(message))
            # Each local copy root records this run as running before anything else of it
            # is written there, and as settled once its copy is over (``run_record``): a
            # run killed or cut off in between leaves it running, which ``offload verify``
            # says instead of passing what the ledger names.
            # The run's own token, never another run's of this process (``lock.new_run``).
            run, run_started = locks.run, time.time()
            card = _record_card(plan)
            # By destination index, where its record is: a local copy root's file, an S3
            # copy root's object (``s3run_record``; not where its lock lost it already).
            places: dict[int, Path | run_record.RecordPlace] = {
                p.index: p.root for p in plan.plans if p.root in roots
            }
            if plan.backends:
                places.update(_s3().run_record_places(plan))
            marked = run_record.mark_started(
                list(dict.fromkeys(places.values())),
                run,
                run_started,
                *card,
                first=_record_first(plan),
            )
            kept = marked.kept
            # A copy root whose record of this run could not be written is not written to:
            # killed later, its earlier ``finished`` would vouch for a copy this run changed.
            for index, place in list(places.items()):
                exc = marked.refused.get(place)
                if exc is None:
                    continue
                del places[index]
                if isinstance(place, Path):
                    plan.refused[index] = _unrecorded(place, exc)
                else:
                    _s3().lose_unrecorded(plan.backends[index], place, exc)

            settled_early: set[int] = set()
            # Of those, the roots whose early settle wrote ``finished`` (the others ``failed``
            # or ``cancelled``): only their record can go on saying more than happened.
            finished_early: set[int] = set()
            unsettled_early: set[int] = set()

            def settle_early(report: OffloadReport, indexes: AbstractSet[int]) -> None:
                # A cascade's fast copies, once finished in the card's pass: the re-run
                # without the card reads one as its source and never settles it.
                early = {i: places[i] for i in indexes if i in places}
                finished_early.update(
                    _settle_run_records(plan, report, early, run, run_started, kept, guarded)
                )
                settled_early.update(early)
                unsettled_early.update(
                    i for i in early if "run-record" in report.failed_steps.get(i, ())
                )

            report = _run_locked(
                plan, sink=guarded, cancel=cancel, locked=locks.paths, settle_fast=settle_early
            )
            report.run = run
            # Each fast root's record settled once (review of runrec65, M2: settled again,
            # its second outcome said "cannot record" over a ``finished`` the first wrote,
            # or the same ERROR twice): one whose early settle failed keeps that error (its
            # record ``running``, as it says); one settled ``finished`` is settled again only
            # where its state changed since (a fast copy the cascade found damaged).
            late = {i: p for i, p in places.items() if i not in unsettled_early}
            _settle_run_records(
                plan,
                report,
                late,
                run,
                run_started,
                kept,
                guarded,
                settled=settled_early,
                finished_early=finished_early,
            )
            _say_card_put_back(plan, report)  # the card may be back since its line was made
            lost = _s3().lost_locks(s3_locks) if s3_locks else []
            for message in lost:
                guarded.emit(WarningIssued(message))
            if plan.backends:
                # Nothing said of a bucket after ``offload_finished`` (the locks' release
                # below may still wait on a silent service).
                _s3().say_not_answering(plan.backends, None)
            guarded.emit(OffloadFinished(report.job.cancelled))
            report.job.warnings.extend([*locks.warnings, *lost])
    except CopyRootBusy as exc:
        if not plan.backends:
            raise
        # An s3:// destination's preflight stored (and deleted) its probe objects already:
        # "nothing was written" would not be true.
        words = _s3().nothing_copied_words(plan.backends)
        raise CopyRootBusy(
            exc.message.replace("nothing was written", words), path=exc.path
        ) from None
    finally:
        if s3_locks:
            # Stopped short (report None): released within the stop's clean-up budget.
            _s3().release_locks(
                s3_locks, budget_s=_s3().TAKE_BACK_BUDGET_S if report is None else None
            )
        _close(plan.backends)
        if plan.backends:
            _s3().say_not_answering(plan.backends, None)
        if report is None:
            # The run stopped short (a second Ctrl-C while its manifests were stored): no
            # report will name what each S3 destination may have left, so a warning does.
            for backend in plan.backends.values():
                for note in _s3().left_behind_notes(backend.store, in_report=False):
                    guarded.emit(WarningIssued(note))
    # Once the locks are released (their versions deleted or not): what each S3 destination
    # may have left of this run's in the bucket, with the command that removes each.
    for index, backend in plan.backends.items():
        report.notes.extend(_s3().left_behind_notes(backend.store))
        report.left_behind.extend(
            {"destination_index": index, **entry}
            for entry in _s3().left_behind_entries(backend.store)
        )
    return report


def _settle_run_records(
    plan: OffloadPlan,
    report: OffloadReport,
    places: Mapping[int, Path | run_record.RecordPlace],
    run: str,
    started: float,
    kept: AbstractSet[Path | run_record.RecordPlace] = frozenset(),
    sink: EventSink | None = None,
    settled: AbstractSet[int] = frozenset(),
    finished_early: AbstractSet[int] = frozenset(),
) -> set[int]:
    """Settle the record of the run *run* (``run_record``) in each copy root of *places* (by
    destination index: a local copy root, an S3 copy root's record object): ``finished``
    where this run reached the end of that destination (``OffloadReport.finished``: its end
    steps run, whether each succeeded or not, which the run reports) and every card file of
    the job is there (none failed or cancelled there); ``failed`` with the card files that
    failed there (a card read error, a write or read-back that failed); ``failed`` too, and
    ``lost``, for a destination lost in a run no cancel stopped, none of its copies cancelled
    (its copies failed there, or none when each that failed has a copy its ledger vouches
    for, or when it was lost after its copies); ``cancelled`` elsewhere (a cancel, a
    destination never finished), but for a root of *kept* (an offload of this card finished
    there before this run) where this run changed nothing (``_changed_nothing``):
    ``finished`` still. Of *settled* (settled already, a cascade's fast roots in the card's
    pass: a ``finished``), only those whose state is no longer ``finished`` are written
    again; of those, the ones whose early settle wrote ``finished`` are *finished_early*
    (``_say_unrecorded_end``). Returns the indexes of *places* whose record it settled
    ``finished``."""
    summaries = {d.index: d for d in report.job.destinations}
    finished: set[int] = set()
    said = (finished_early, settled)
    source, card = _record_card(plan)
    first = _record_first(plan)
    for index, root in places.items():
        summary = summaries.get(index)
        # A destination lost in a run no cancel stopped failed there (the run's exit 1):
        # recorded ``failed`` and ``lost`` below, with the card files it failed there, never
        # ``cancelled``, which ``offload verify`` words as a Ctrl-C or a stop signal (QA
        # pass 68, L2), also where it names none: each failed copy standing with an entry
        # that vouches for it, or none failed (lost after its copies: review of history69,
        # M1).
        lost = (
            summary is not None
            and summary.lost
            and not summary.files_cancelled
            and not report.job.cancelled
        )
        if not lost and (
            index not in report.finished or summary is None or summary.files_cancelled
        ):
            state = run_record.CANCELLED
            if root in kept and summary is not None and _changed_nothing(plan, report, summary):
                state = run_record.FINISHED
            if state == run_record.FINISHED and index in settled:
                continue
            unsettled = run_record.settle(
                root, run, started, state, source=source, card=card, first=first
            )
            if state == run_record.FINISHED:
                _say_unsettled(report, index, root, unsettled, sink, (run, started), kept=True)
                if unsettled is None:
                    finished.add(index)
            else:
                _say_unrecorded_end(report, index, root, unsettled, sink, (run, started), *said)
            continue
        failed = (
            _failed_on(report, index, root if isinstance(root, Path) else None, card)
            if summary is not None and summary.files_failed
            else []
        )
        # Those a file in the way refused: the same command again refuses them again; on
        # a cascade's slow destination, those a file in the way refused on every fast one.
        refused = _refused_again(report, index, failed)
        fast = _refused_on_fast(plan, report, index, failed)
        # A failed end step (folders, manifests, folder times, report) leaves no card file
        # missing: the run says it (``failed_steps``), and the check of the copy falls back
        # on the ledger; ``INCOMPLETE`` is for card files that may be missing.
        if failed or lost:
            # Unsettled, it says ``running``: as INCOMPLETE as ``failed``, and the run
            # already says why (its failed files, its LOST row), with the same remedy (the
            # same command); said all the same, and where it said ``finished`` (settled
            # early), an ERROR.
            unsettled = run_record.settle(
                root,
                run,
                started,
                run_record.FAILED,
                source=source,
                card=card,
                first=first,
                failed=failed,
                in_the_way=refused,
                fast_refused=fast,
                lost=lost,
                ours_replaced=_ours_replaced(plan, report, index, refused),
            )
            _say_unrecorded_end(report, index, root, unsettled, sink, (run, started), *said)
        elif index not in settled:
            unsettled = run_record.settle(
                root, run, started, run_record.FINISHED, source=source, card=card, first=first
            )
            _say_unsettled(report, index, root, unsettled, sink, (run, started))
            if unsettled is None:
                finished.add(index)
    return finished


def _say_unsettled(
    report: OffloadReport,
    index: int,
    root: Path | run_record.RecordPlace,
    exc: OSError | None,
    sink: EventSink | None,
    run: tuple[str, float] = ("", 0.0),
    *,
    kept: bool = False,
) -> None:
    """Where the record of the copy root *root* (destination *index*) could not be settled
    ``finished`` (*exc*; None: it was), that destination's ``run-record`` step failed
    (``OffloadReport.destination_error``): one line naming the record, why and what to do
    (``_unsettled``), exit 1 and the card kept, since ``offload verify`` of that copy root
    says ``INCOMPLETE`` until a run of the card settles it; the copies keep their states."""
    if exc is None:
        return
    report.destination_error(index, _unsettled(root, exc, *run, kept=kept), step="run-record")
    if sink is not None:  # the views' row of it says it failed, as the summary will
        links = ("links",) if report.failed_links(index) else ()
        sink.emit(DestinationUnfinished(index, (*links, *report.failed_steps.get(index, ()))))


def _say_unrecorded_end(
    report: OffloadReport,
    index: int,
    root: Path | run_record.RecordPlace,
    exc: OSError | None,
    sink: EventSink | None,
    run: tuple[str, float],
    finished_early: AbstractSet[int],
    settled: AbstractSet[int] = frozenset(),
) -> None:
    """Where the record of the copy root *root* (destination *index*) could not be settled
    ``failed`` or ``cancelled`` (*exc*; None: it was), never silently. Of a root settled
    ``finished`` early (*finished_early*: a cascade's fast root, in the card's pass) the
    record still says that finished, more than happened, or, its write in place failed
    part-way (``run_record.TornRecord``), may be no record at all: that destination's
    ``run-record`` step failed, an ERROR (``_say_unsettled``'s way: exit 1, the card kept).
    Else it still says this run is ``running``, or ``failed`` or ``cancelled`` where it was
    *settled* so early (review of runrec66, L4), which ``offload verify`` says INCOMPLETE
    as it would have (or, refused by ``run_record``'s rule, ``SettleRefused``, another
    run's entry): a warning naming the record."""
    if exc is None:
        return
    where = _record_shown(root)
    this = f" ({run_record.run_words(run[0], run_record.started_words(run[1]))})"
    why = describe_os_error(exc) if not isinstance(exc, run_record.SettleRefused) else str(exc)
    if index in finished_early:
        if isinstance(exc, run_record.TornRecord):
            # Its write in place failed part-way (review of runrec66, M2): the same command
            # would be refused on it, as on any record it cannot read (``_unrecorded``).
            state = (
                "that record, written over in place, may now be torn: no record this version "
                "can read, so `offload verify` of that copy says INCOMPLETE and the next "
                "`offload copy` there refuses it: keep the card; move that record aside once "
                "that drive takes the write, then run the `offload copy` of each card "
                "offloaded there again"
            )
        else:
            state = (
                "that record still says it finished, written when its copies there were "
                "verified, but a copy there failed since (this report names it), and "
                "`offload verify` of that copy may then not say INCOMPLETE: keep the card; "
                "once that drive takes the write, run the same `offload copy` again, which "
                "copies it anew and records the finish"
            )
        message = f"cannot record in {where} that this offload did not finish there{this}: {why}; "
        report.destination_error(index, message + state, step="run-record")
        if sink is not None:
            links = ("links",) if report.failed_links(index) else ()
            sink.emit(DestinationUnfinished(index, (*links, *report.failed_steps.get(index, ()))))
        return
    if any(d.index == index and d.lost for d in report.job.destinations):
        # Its drive went away (its own line says so and to reconnect it): its record could
        # not be written either, and says ``running`` still, INCOMPLETE as it should.
        return
    if isinstance(exc, run_record.SettleRefused):
        left = "that record is left as it is"
    elif index in settled:
        # Settled early ``failed`` or ``cancelled`` (a cascade's fast root): it says so still.
        left = (
            "it still says this offload did not finish there, so `offload verify` of that copy "
            "says INCOMPLETE, as it would have"
        )
    else:
        # Unwritten, this run's entry says ``running``: as INCOMPLETE as the settle's state.
        left = (
            "it still says this offload is running, so `offload verify` of that copy says "
            "INCOMPLETE, as it would have"
        )
    message = (
        f"cannot record in {where} how this offload ended there{this}: {why}; {left}: run "
        "the same `offload copy` again once that is mended"
    )
    report.job.warnings.append(message)
    if sink is not None:
        sink.emit(WarningIssued(message))


def _record_shown(root: Path | run_record.RecordPlace) -> str:
    """The record of the copy root *root* as a message names it."""
    if isinstance(root, Path):
        return display_path(run_record.record_path(root))
    shown = getattr(root, "shown", None)
    return shown() if callable(shown) else str(root)


def _unsettled(
    root: Path | run_record.RecordPlace,
    exc: OSError,
    run: str = "",
    started: float = 0.0,
    *,
    kept: bool = False,
) -> str:
    """The line of a copy root whose record could not be settled at the end (``run_record``:
    it still says this run is ``running``): the record, why, what ``offload verify`` then
    says, and the way on: the same offload again once the error is mended, which copies
    nothing again (its copies are in the ledger) and settles the record; the card kept until
    then, as ``offload verify`` of the copy says INCOMPLETE without it. The run named (*run*,
    its token, and *started*: ``run_record.run_words``) as the record names it: that line in
    this run's report is what ``offload verify``'s INCOMPLETE advice looks for. *kept*: a
    run that did not finish (cancelled) but changed nothing on a root an earlier offload of
    the card finished, whose ``finished`` it was to write back: worded so, never "that this
    offload finished" of a cancelled run (review of runrec65, L2)."""
    if isinstance(root, Path):
        where = display_path(run_record.record_path(root))
        if exc.errno == errno.ENOSPC and out_of_inodes(root):
            todo = "delete files on that drive (it is out of inodes)"
        elif exc.errno in FULL_ERRNOS:
            todo = "free space on that drive"
        elif exc.errno in (errno.EACCES, errno.EPERM):
            todo = f"let this user write to {display_path(root / STATE_FOLDER)}"
        elif exc.errno == errno.EROFS:
            todo = "mount that drive writable"
        else:
            todo = "check that drive"
    else:
        shown = getattr(root, "shown", None)
        where = shown() if callable(shown) else str(root)
        todo = "see that the bucket takes that write"
    this = f" ({run_record.run_words(run, run_record.started_words(started))})" if run else ""
    what = (
        "that the earlier offload of this card there still stands (this run changed nothing there)"
        if kept
        else "that this offload finished"
    )
    return (
        f"cannot record in {where} {what}{this}: {describe_os_error(exc)}; "
        "its copies there are as this report says, but `offload verify` of that copy says "
        f"INCOMPLETE until the record does: keep the card; {todo}, then run the same "
        "`offload copy` again, which copies nothing again and records the finish"
    )


def _unrecorded(root: Path, exc: OSError) -> DestinationError:
    """Why the copy root *root* is lost before its first file: its record of this run
    (``run_record``) could not be written, or the record there could not be read (*exc*),
    with what to do for that error."""
    where = display_path(run_record.record_path(root))
    if isinstance(exc, run_record.UnreadableRecord):
        todo = (
            "move that record aside: what it recorded of earlier offloads is then unknown, "
            "so run the `offload copy` of each card offloaded there again"
        )
    elif exc.errno == errno.ENOSPC and out_of_inodes(root):
        # ENOSPC of a filesystem with free space and no inode left: free space is no cure.
        todo = (
            "the drive is out of inodes (it has free space, but no room for another file): "
            "delete files there"
        )
    elif exc.errno in FULL_ERRNOS:
        todo = "free space on that drive"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        todo = f"let this user write to {display_path(root / STATE_FOLDER)}"
    elif exc.errno == errno.EROFS:
        todo = "mount that drive writable"
    else:
        todo = "check that drive"
    return DestinationError(
        f"cannot record this offload in {where}: {describe_os_error(exc)}; nothing was "
        f"copied to {display_path(root)}, so any record there of earlier offloads stays true "
        f"({todo}, then run the same `offload copy` again, or choose another destination)",
        path=root,
        errno_=exc.errno,
    )


def _record_card(plan: OffloadPlan) -> tuple[str, str]:
    """The card this run's entry in each copy root's record is of (``run_record``): its path
    as given (the absent card's, where a fast copy stands in for it) and its identity
    (``CardIdentity.key``; "" unknown)."""
    source = plan.stands_in_for if plan.stands_in_for is not None else plan.source
    return str(source), plan.card.key if plan.card is not None else ""


def _record_first(plan: OffloadPlan) -> run_record.FirstFile | None:
    """The card's first file in its record entries (``run_record.FirstFile``: its first file
    by path, and that file's size), None where it has no file. Of every card, known or not:
    a known card never takes the entry of an unknown one with another first file from its
    path (review of runrec66, L1). Of a cascade re-run, from the fast copy standing in for
    the card: ``cascade._not_complete`` takes it only where its scan holds the card pass's
    files and bytes, each verified by its ledger, so its first file is the card's (review of
    runrec66, H1: without it, its entry was every card's of that path, and another card's
    run from there replaced it)."""
    if not plan.tree.files:
        return None
    first = min(plan.tree.files, key=lambda f: f.relative_path)
    return run_record.FirstFile(first.relative_path, first.size_bytes)


def _changed_nothing(plan: OffloadPlan, report: OffloadReport, summary: DestinationSummary) -> bool:
    """Whether this run, stopped short on the destination of *summary*, left its copy root
    as an earlier finished offload of the card left it: nothing written there, no copy
    failed (a copy found wrong is revoked, a failure), not lost, and each card file it did
    not get to is one the earlier offload recorded there unchanged since (a ``--reverify``
    check of it, ``ExistingCopy.changed`` empty): never a card file new since then."""
    if summary.lost or summary.files_failed or summary.bytes_written:
        return False
    index = summary.index
    rechecks = {
        plan.tasks[c.task_index].source.relative_path
        for c in plan.checks
        if c.destination_index == index and c.kind is CheckKind.REVERIFY and not c.changed
    }
    for file in report.job.files:
        result = file.destination(index)
        if result is None:
            continue
        if result.status is DestinationStatus.CANCELLED and file.relative_path not in rechecks:
            return False
        if result.bytes_written:
            return False
    return True


def _failed_on(report: OffloadReport, index: int, root: Path | None, card: str = "") -> list[str]:
    """The card files (paths relative to the card) that failed on destination *index* and
    have no copy there: a failed result whose copy stands in the copy root *root* as an entry
    of its ledger vouches for it (the card's read failed, and the copy, read back against its
    record, was kept, its entry standing) is no card file missing there, and saying so would
    make ``offload verify`` call a copy it has just verified "not copied here" for as long as
    the card stays unreadable (``_standing_copies``).

    Never such a copy: a file refused for a file in the way (its ``refusal``: the
    file at its name was read unlike the card's, or is another card's, so whatever entry
    stands there is no copy of this card's file, whether or not the two cards' identities
    are known), nor an entry whose digests differ from the card file's as this run read it
    (``FileResult.inflight_digests``: an earlier copy of a card file changed since)."""
    failed = []
    # Of *failed*, those an entry may vouch for: by path, the card file's digests as this
    # run read them ({} where it could not read it: the entry's size alone then).
    vouchable: dict[str, Mapping[str, str]] = {}
    for file in report.job.files:
        for result in file.destinations:
            if result.destination_index == index:
                if result.status is DestinationStatus.FAILED:
                    failed.append(file.relative_path)
                    if result.refusal is None:
                        vouchable[file.relative_path] = file.inflight_digests
                break
    if not vouchable or root is None:  # an S3 copy root: each failed one named (conservative)
        return failed
    standing = _standing_copies(root, vouchable, card)
    return [path for path in failed if path not in standing]


def _refused_again(report: OffloadReport, index: int, failed: Sequence[str]) -> list[str]:
    """Of *failed* (``_failed_on``'s), the card files destination *index* refused for a file
    in the way there (its result's ``refusal``), which the run record names apart with the
    remedy that clears them: the same command alone would refuse them again. Not those a
    cascade's fast destinations refused (``_refused_on_fast``): nothing is in the way here."""
    if not failed:
        return []
    wanted = set(failed)
    refused = []
    for file in report.job.files:
        if file.relative_path in wanted:
            result = file.destination(index)
            if (
                result is not None
                and result.refusal is not None
                and result.refusal not in FAST_REFUSALS
            ):
                refused.append(file.relative_path)
    return refused


def _ours_replaced(
    plan: OffloadPlan, report: OffloadReport, index: int, refused: Sequence[str]
) -> list[str]:
    """Of *refused* (``_refused_again``'s), the card files whose object on the S3 destination
    *index* is at a key its ledger recorded as that file's copy, another object there now
    (``ExistingCopy.replaced``): the run record names them apart, so that ``offload verify``
    names --overwrite for them (``run_record._in_the_way_again``). None where a copy never
    to be overwritten (an earlier take's, another card's) stood in the way of a file of the
    run (``found_protected``): --overwrite is for the whole run, and the run's own words
    withhold it then, so the record gives verify nothing to offer it for."""
    if not refused or index not in plan.backends:
        return []
    wanted = set(refused)
    ours = [
        path
        for check in plan.checks
        if check.replaced
        and check.destination_index == index
        and (path := plan.tasks[check.task_index].source.relative_path) in wanted
    ]
    if ours and found_protected(
        plan.in_the_way.values(),
        (r.refusal for file in report.job.files for r in file.destinations),
    ):
        return []
    return ours


def _refused_on_fast(
    plan: OffloadPlan, report: OffloadReport, index: int, failed: Sequence[str]
) -> run_record.FastRefused:
    """Of *failed* (``_failed_on``'s), the card files the cascade's slow destination *index*
    never got because every fast destination refused them for a file in the way there (its
    result's ``refusal``, ``Refusal.FAST_REFUSED``): the same command refuses them there
    again, so the run record names them apart, with those fast destinations (each refusing
    one of them, as the user gave it) and whether a copy never to be overwritten holds the
    name of one of them on one at least, another card's or an earlier take's (read from the
    fast copies' own refusals: --into another folder or --keep-both, never --overwrite,
    whatever else is in the way, ``FastRefused``)."""
    paths: list[str] = []
    where: list[str] = []
    kinds: set[Refusal] = set()
    wanted = set(failed)
    for file in report.job.files:
        result = file.destination(index) if file.relative_path in wanted else None
        if result is None or result.refusal is None or result.refusal not in FAST_REFUSALS:
            continue
        paths.append(file.relative_path)
        for copy in file.destinations:
            if copy.refusal is not None and copy.refusal not in FAST_REFUSALS:
                kinds.add(copy.refusal)
                root = display_path(plan.plans[copy.destination_index].destination)
                if root not in where:
                    where.append(root)
    # Plain files alone in the way of these: one of a copy never to be overwritten in the
    # way of another file of the run, and --overwrite (for the whole run) is offered for
    # none of them either (``FastRefused.elsewhere``).
    elsewhere = (
        bool(paths)
        and not kinds & NEVER
        and any(copy.refusal in NEVER for file in report.job.files for copy in file.destinations)
    )
    return run_record.FastRefused(
        tuple(paths),
        tuple(where),
        Refusal.ANOTHER_CARD in kinds,
        bool(kinds & EARLIER_KINDS),
        elsewhere,
    )


def _standing_copies(
    root: Path, paths: Mapping[str, Mapping[str, str]], card: str = ""
) -> set[str]:
    """Of *paths* (card-relative, each with the card file's digests as this run read it, {}
    where it could not), those whose copy in *root* the ledger vouches for (an entry
    standing, not revoked) as a copy of this run's card (*card*, ``CardIdentity.key``:
    ``ledger.same_card``; an entry of another card at that path, a second card ``--into``
    the first's folder, is no copy of this one), of the card file's content (its digests
    equal to the entry's on an algorithm both hold, where the card file was read: none
    shared, no vouching) and that stands at its recorded size. Read only when some file
    failed (a ledger read is ~1 s at 50,000 files); one that cannot be read vouches for none
    (the record then errs on the side of "not copied"). A line that is no entry (torn, not
    JSON or nested too deep to parse, another shape, a key of another type than an entry's,
    names no file's) is skipped by the read itself (``ledger.fold_lines``), so only an
    OSError is left to take."""
    from offload.ledger import Ledger, same_card

    try:
        entries = Ledger(root).load_entries().standing()
    except OSError:
        return set()
    vouched = {
        e.relative_path: e
        for e in entries
        if e.vouches
        and e.relative_path in paths
        and same_card(e, card)
        and _same_content(paths[e.relative_path], e.digests)
    }
    standing = set()
    for path, entry in vouched.items():
        folder, _, name = path.rpartition("/")
        final = entry.final_name or name
        try:
            size = os.stat(root / folder / final if folder else root / final).st_size
        except OSError:
            continue
        if size == entry.size_bytes:
            standing.add(path)
    return standing


def _same_content(read: Mapping[str, str], recorded: Mapping[str, str]) -> bool:
    """Whether a ledger entry's *recorded* digests are of the card file this run *read*
    (its digests; {} where it could not read it: True, the entry's size decides): equal on
    each algorithm both hold, and one at least."""
    if not read:
        return True
    shared = [name for name in read if name in recorded]
    return bool(shared) and all(
        comparable_digest(name, read[name]) == comparable_digest(name, recorded[name])
        for name in shared
    )


def _run_locked(
    plan: OffloadPlan,
    *,
    sink: EventSink | None = None,
    cancel: CancelToken | None = None,
    locked: Sequence[Path] = (),
    settle_fast: Callable[[OffloadReport, AbstractSet[int]], None] | None = None,
) -> OffloadReport:
    """Copy what the plan says, then links, folders and folder times. Blocks until done.
    *settle_fast* is called with the fast destinations of a cascade once they are finished, before
    the cascade (``run_record``: their records are settled then).

    Everything that goes wrong during the copy is in the report (``exit_code``); raises only
    for bugs. *sink*'s exceptions never reach the engine (``events.isolated``): a subscriber
    that raises is named in a WarningIssued and in ``report.job.warnings``.
    """
    guarded = isolated(sink)
    sink = guarded
    cancel = cancel or CancelToken()
    for item in plan.preflight.warnings:
        path = None if item.path is None else str(item.path)
        sink.emit(WarningIssued(item.message, path, item.code.value))
    # A dead run's temporary manifest/report files are swept only in the copy roots this run
    # holds the lock of: where the lock could not be taken (no flock, a read-only drive)
    # another offload, maybe on another host, may be writing them now.
    held = {os.path.realpath(root) for root in locked}
    removed = RemovedUnfinished()
    for dest_plan, ledger in zip(plan.plans, plan.ledgers, strict=True):
        # (Nothing swept where this run must not write: ``plan.refused``.)
        if dest_plan.index in plan.backends or dest_plan.index in plan.refused:
            continue
        kept: list[tuple[str, int]] = []
        failed: list[tuple[str, OSError]] = []
        removed.partial_copies += _remove_stray_partials(
            plan.tree, dest_plan, ledger, held, kept, failed
        )
        if failed:  # never kept silently: README promises a re-run cleans the partials
            sink.emit(WarningIssued(_unremoved_partials_message(failed), str(dest_plan.root)))
        # A killed run's write probes (its pid gone, a minute old: no lock needed), where
        # the preflight makes them: the copy root, or the folder given above it.
        for folder in dict.fromkeys((dest_plan.root, dest_plan.destination)):
            remove_stale_probes(folder)
        if os.path.realpath(dest_plan.root) in held:
            said: list[str] = []
            removed.add(_remove_stale_temps(dest_plan.root, said))
            for message in said:
                sink.emit(WarningIssued(message, str(dest_plan.root)))
        if kept:  # never kept silently: on a lockless filesystem their room is not given back
            sink.emit(WarningIssued(_kept_partials_message(kept), str(dest_plan.root)))
    if plan.backends:
        aborted, lock_warnings = _s3().abort_abandoned(plan, plan.backends)
        removed.add(aborted)
        for message, where in lock_warnings:
            sink.emit(WarningIssued(message, where))
        for backend in plan.backends.values():  # its own long steps stop on a cancel too
            backend.store.cancelled = lambda: cancel.cancelled
    started_at, started = time.time(), time.monotonic()
    copy = plan.options.copy
    slow = plan.options.cascade
    if plan.checks_to_read or _card_reads_only(plan):
        sink.emit(_checking_event(plan, _offload_planned(plan, plan.tasks, slow)))
    checks = plan.checks
    if checks and plan.options.manifests.writes_ascmhl:
        # A copy its copy root's history knows only in other formats (a -t change) is
        # hashed in them too as it is read back: the generation then reads it no more.
        copy_roots = {p.index: p.root for p in plan.plans}
        checks = _history_formats().with_history_formats(
            checks,
            copy_roots,
            copy.algorithms,
            functools.partial(_history_of, plan, copy_roots),
            adopting=plan.backends.keys(),
        )
    instead: dict[int, ExistingCopy] = {}  # existing.check_existing's *instead*
    # Made before the check: a fast copy standing for the card read unlike it there is
    # revoked as it is found, as in the copy job (``cascade_refeed``).
    revoker = _revoker(plan, sink)
    outcomes = check_existing(
        # A copy root this run must not write to (``plan.refused``: its record of this run
        # could not be written) is not read back either: its checks never reached, its
        # copies kept as they were and its ledger untouched (``existing.settle``).
        [c for c in checks if c.destination_index not in plan.refused] if plan.refused else checks,
        [task.source for task in plan.tasks],
        algorithms=copy.algorithms,
        verify=copy.verify.value,
        cancel=cancel,
        reference_digests=lambda index: plan.tasks[index].reference_digests,
        reference_records=lambda index: plan.tasks[index].reference_record,
        reference_sizes=lambda index: plan.tasks[index].reference_size,
        sink=sink,
        readers=plan.backends,
        instead=instead,
        trusted=lambda index: plan.tasks[index].trusted,
        on_source_unlike=(
            None
            if revoker is None
            else lambda index, digests, path: revoker.unlike_at_source(
                plan.tasks[index], digests, path
            )
        ),
        on_source_unreadable=(
            None
            if revoker is None
            else lambda index, path, error: revoker.unreadable_at_source(
                plan.tasks[index], path, error
            )
        ),
    )
    if instead:  # a file at a card file's name read equal in its kept copy's place: settled
        checks = [instead.get(id(c), c) for c in checks]  # as the check of that file
    fed_again_from: dict[str, str] = {}  # by path: the other fast copy that fed it
    settled = settle(
        # A file the check read from another fast copy in the source's place is fed from
        # there (``cascade_refeed.read_in_place``).
        plan.tasks
        if revoker is None
        else _read_in_place(plan.tasks, revoker, fed_again_from, checks, outcomes),
        checks,
        outcomes,
        plan.ledgers,
        verify=copy.verify.value,
        policy=copy.existing,
        stand_in=plan.stands_in_for is not None,
        # After the read-back: settle's own scan adds the copies it refuses as never to be
        # overwritten; one it found equal and adopted is not (``found_protected``).
        protected=plan.holds_protected,
    )
    read_back = (
        _read_back_in_history_formats(outcomes, {p.index: p.root for p in plan.plans})
        if checks is not plan.checks
        else {}
    )
    for message, path, code in settled.warnings:  # each a copy of ours found wrong or unread
        sink.emit(WarningIssued(message, path, code))
    roots = [p.destination for p in plan.plans]
    backends = plan.job_destinations()
    first_tasks, first_replace = settled.tasks, settled.replace_tasks
    if slow:  # the card feeds the fast destinations only (offload.cascade)
        first_tasks = _cascade().without_slow(first_tasks, slow)
        first_replace = _cascade().without_slow(first_replace, slow)
    everything = _offload_planned(plan, [*settled.tasks, *settled.replace_tasks], slow)
    sink.emit(everything)
    found_unlike = revoker.found_unlike if revoker is not None else None
    # A copy never to be overwritten refused by the read-back just done (an earlier take's
    # of the card file's size): no refusal of the copy offers --overwrite either.
    job_remedies = plan.in_the_way_remedies(
        read_back_refused=remedies.refuses_never(r.refusal for t in settled.tasks for r in t.preset)
    )
    job_report = CopyJob(
        first_tasks,
        roots,
        copy,
        sink=_PlannedWorkAnnouncer(
            sink,
            first_tasks,
            # Nothing to write again, nothing cascaded: the first job is the whole offload,
            # its work the same sums of the same tasks (not made twice: ~8 ms at 50,000 files).
            planned=None if slow or first_replace or not first_tasks else everything,
        ),
        cancel=cancel,
        ledgers=plan.ledgers,
        destinations=backends,
        devices=plan.devices,
        remedies=job_remedies,
        root_devices=plan.root_devices(),
        on_source_failed=found_unlike,
    ).run()

    # The rewrites of copies of ours whose read-back failed: a failure of one names
    # --reverify, with no refusal kind (``existing.settle_rewrites``).
    unread = unread_rewrites(settled.found_wrong)

    def feed_again(tasks: list[FileTask], *, rewrites: bool = False) -> JobReport:
        # A file the fast copy standing for the card was found unlike the card in, fed
        # from the next fast copy (``cascade_refeed``), as its first job fed it.
        policy = ExistingFilePolicy.OVERWRITE if rewrites else copy.existing
        return CopyJob(
            tasks,
            roots,
            dataclasses.replace(copy, existing=policy),
            sink=_PlannedWorkAnnouncer(
                sink, tasks, rewrites=rewrites, unread=unread if rewrites else frozenset()
            ),
            cancel=cancel,
            ledgers=plan.ledgers,
            destinations=[b.with_policy(policy) if b is not None else None for b in backends],
            devices=plan.devices,
            remedies=job_remedies,
            root_devices=plan.root_devices(),
            on_source_failed=found_unlike,
        ).run()

    unlike_card = _refeed(plan, job_report, first_tasks, feed_again, sink, revoker, fed_again_from)
    if first_replace and not job_report.cancelled:
        again = CopyJob(
            first_replace,
            roots,
            dataclasses.replace(copy, existing=ExistingFilePolicy.OVERWRITE),
            sink=_PlannedWorkAnnouncer(sink, first_replace, rewrites=True, unread=unread),
            cancel=cancel,
            ledgers=plan.ledgers,
            destinations=[
                b.with_policy(ExistingFilePolicy.OVERWRITE) if b is not None else None
                for b in backends
            ],
            devices=plan.devices,
            root_devices=plan.root_devices(),
            on_source_failed=found_unlike,
        ).run()
        unlike_card += [
            line  # a file both copied and rewritten is read twice: said once
            for line in _refeed(
                plan,
                again,
                first_replace,
                functools.partial(feed_again, rewrites=True),
                sink,
                revoker,
                fed_again_from,
            )
            if line not in unlike_card
        ]
        # A failed rewrite names --overwrite (--reverify for a copy that could not be read
        # back); a full drive is not lost.
        settle_rewrites(again, unread)
        merge_job_reports(job_report, again)
    # On a filesystem whose renames damage other files of a folder (fusefat), the copies
    # as the run leaves them are read once more: a copy damaged after its read-back fails.
    # A cancel stops it (minutes on a large card over a slow fusefat drive): the run is
    # cancelled, and so is each copy not read again (``renamed_recheck``); after a job
    # cancelled already, each copy it verified there.
    rechecked: list[str] = []  # the re-read's note, for the report made below
    if _say_rechecked(_recheck_after_renames(plan, job_report, cancel, sink), sink, rechecked):
        job_report.cancelled = True
    # A bucket its copy root's lock lost (``S3Backend.lose``) is lost where no file of its
    # made the engine ask (nothing to copy there: a re-run all trusted from its ledger).
    _lose_lost_backends(plan, job_report, [i for i in plan.backends if i not in slow], sink)
    _lose_refused(plan, job_report, [i for i in plan.refused if i not in slow], sink)
    if not slow and not job_report.cancelled:
        # The last copy job ended uncancelled (it read the token at its end): said at once,
        # so the views stop calling a Ctrl-C from now on a cancel.
        _copies_complete(plan, sink)
    job_report.warnings.extend(guarded.warnings)
    if revoker is not None:  # the check's reads in a damaged fast copy's place (kept)
        job_report.warnings.extend(revoker.in_place_said)
    full = copy.verify.value == "full"
    for file in job_report.files:
        read_now = settled.source_digests.get(file.relative_path)
        if not read_now:
            continue
        if not file.inflight_digests:
            file.inflight_digests = read_now
        proved = settled.source_cache_bypass.get(file.relative_path)
        if full and proved is not None and file.source_cache_bypass is CacheBypass.NOT_READ:
            # The card file read now to check a copy an earlier run wrote from its own read:
            # the full mode's second read of the card for that copy, as the engine's re-read
            # is for one it writes (the JSON's source_reread_digests and source_cache_bypass;
            # a read through a cache is said as for the engine's).
            file.source_reread_digests = dict(read_now)
            file.source_cache_bypass = proved
    job_report.started_at = started_at
    job_report.elapsed_s = time.monotonic() - started
    report = OffloadReport(
        source=str(plan.source),
        card=plan.card,
        # The card's folders as the scan found them, known before the copy: a cancelled run,
        # which never reaches the folders' step, said 0 (JSON ``totals.folders``).
        directories=len(plan.tree.directories),
        plans=plan.plans,
        job=job_report,
        warnings=list(plan.preflight.warnings),
        removed_unfinished=removed,
        production=_production_fields(plan),
        ignored=ignored_with_reasons(plan),
        ignored_folders=plan.tree.ignored_folders,
        source_is_copy=plan.source_is_copy,
        card_symlinks=len(plan.tree.symlinks),
        read_back=read_back,
        missing_from_card=list(plan.card_history.missing_from_card if plan.card_history else ()),
        card_history_untrusted=plan.card_history.untrusted_reason if plan.card_history else None,
        missing_from_legacy_mhl=dict(plan.missing_from_legacy_mhl),
        cascade=tuple(sorted(slow)),
        source_volume=plan.source_volume,
        destination_devices={
            c.index: (str(c.space_at or c.destination), c.st_dev)
            for c in plan.preflight.destinations
            if c.st_dev is not None and c.index not in plan.backends
        },
        adopted_entries={
            (plan.tasks[c.task_index].source.relative_path, c.destination_index): c.ledger_entry
            for c in plan.checks
            if c.ledger_entry
        },
        rechecked_from={
            (plan.tasks[c.task_index].source.relative_path, c.destination_index): c.recorded_mode
            for c in plan.checks
            if c.recorded_mode
        },
    )
    report.notes.extend(unidentified_trust_notes(plan))
    report.notes.extend(rechecked)
    # A fast copy standing for the card found unlike it, by the check or a copy job (each
    # said as it was found): no row.
    report.folder_errors.extend(unlike_card if revoker is None else revoker.lines())
    report.fed_again_from = fed_again_from
    _check_card_present(plan, report)  # before the card's folders are read (and again there)
    if job_report.cancelled:
        if slow:
            _cascade().not_cascaded(
                report, [*settled.tasks, *settled.replace_tasks], slow, cancelled=True
            )
        report.warnings.extend(_found_wrong(plan, settled.found_wrong, report))
        report.warnings.extend(_replaced(plan, report))
        report.warnings.extend(_kept_beside(plan, settled.found_wrong, report))
        if plan.backends:
            _s3().show_s3_paths(report, plan.backends)
        note_unfinished(report)
        _note_unreachable(plan, report)
        return report
    fast = {p.index for p in plan.plans if p.index not in slow}
    _finish_destinations(plan, report, fast, sink)
    if slow and settle_fast is not None:
        settle_fast(report, fast)
    if slow:
        said_over = False  # _copies_complete said (``copies_over``)

        def copies_over() -> None:
            nonlocal said_over
            said_over = _cascade_copies_over(plan, report.job, slow, sink)

        def finish_slow(history: Path | None, times: Mapping[Path, int]) -> None:
            # The slow destinations' copies were written by the cascade, after the re-read
            # above: theirs on fusefat are read again now, after their last rename.
            if _say_rechecked(
                _recheck_after_renames(plan, report.job, cancel, sink, set(slow)),
                sink,
                report.notes,
            ):
                report.job.cancelled = True  # the slow destinations are left unfinished
                return
            _lose_lost_backends(plan, report.job, [i for i in plan.backends if i in slow], sink)
            if not said_over:  # the cascade's copy is over: only its finish is left
                _copies_complete(plan, sink)
            else:  # the check of the fast copies over: the slow ones' manifests are next
                sink.emit(OffloadFinishing("manifests"))
            _finish_destinations(
                plan, report, set(slow), sink, history_source=history, folder_times=times
            )

        _cascade().run_cascade(
            plan,
            report,
            settled.tasks,
            settled.replace_tasks,
            sink=sink,
            cancel=cancel,
            finish=finish_slow,
            copies_over=copies_over,
            unread=unread,
        )
        _recount_trusted(plan, report)  # a trusted copy the cascade failed is not counted
        report.job.elapsed_s = time.monotonic() - started
        if report.job.cancelled:  # the cascade was cancelled: the slow ones are unfinished
            note_unfinished(report)
    _say_dates_not_kept(plan, report, sink)
    # Each copy of ours found wrong, and what became of it (the cascade's included): in the
    # saved reports too, not only on the terminal as it was found.
    report.warnings.extend(_found_wrong(plan, settled.found_wrong, report))
    report.warnings.extend(_replaced(plan, report))
    report.warnings.extend(_kept_beside(plan, settled.found_wrong, report))
    if plan.backends:
        _s3().show_s3_paths(report, plan.backends)
    _note_unreachable(plan, report)
    return report


def _lose_lost_backends(
    plan: OffloadPlan, job: JobReport, indexes: Sequence[int], sink: EventSink
) -> None:
    """Each S3 destination of *indexes* lost before its first file (``S3Backend.lost``: its
    copy root's lock refused, ``s3card.lock_copy_roots``) that no job lost: marked lost in
    *job* (``mark_lost``, as ``cascade._declare_gone`` does) with its ``DestinationLost``
    on *sink*, once its jobs are over, before ``offload_finishing``, so its links,
    manifests and reports are skipped as any lost destination's.
    The engine loses such a destination at its first file (``check_present``); with no file
    to copy there (every copy trusted from the ledger) nothing asked, and the run went on
    to its manifest step, which failed on the same refusal in other words. Never raises."""
    summaries = {d.index: d for d in job.destinations}
    for index in indexes:
        lost = plan.backends[index].lost
        summary = summaries.get(index)
        if lost is None or summary is None or summary.lost:
            continue
        summary.mark_lost(lost.message, lost.errno, time.time())
        sink.emit(DestinationLost(index, lost.message, lost.errno))


def _lose_refused(
    plan: OffloadPlan, job: JobReport, indexes: Sequence[int], sink: EventSink
) -> None:
    """Each local destination of *indexes* this run must not write to (``plan.refused``)
    that no job lost: lost in *job* with its ``DestinationLost``, as
    ``_lose_lost_backends`` loses an S3 one (no file to copy there, every copy trusted
    from the ledger: nothing asked the ``RefusedDestination``), so that its links, folders,
    manifests and reports are skipped too. Never raises."""
    summaries = {d.index: d for d in job.destinations}
    for index in indexes:
        error, summary = plan.refused[index], summaries.get(index)
        if summary is None or summary.lost:
            continue
        summary.mark_lost(error.message, error.errno, time.time(), full=error.full)
        sink.emit(DestinationLost(index, error.message, error.errno))


def _say_dates_not_kept(plan: OffloadPlan, report: OffloadReport, sink: EventSink) -> None:
    """A warning (``mtime-not-kept``) for each local destination whose filesystem shows a
    copy written now with another date than its card file's (``dates_kept``): one ``stat``
    a destination where this run verified copies, none a file."""
    from offload.dates_kept import date_not_kept

    for summary in report.job.destinations:
        if summary.index in plan.backends or summary.lost:
            continue
        if not summary.files_verified + summary.files_transfer_checked:
            continue
        item = date_not_kept(
            display_path(plan.plans[summary.index].root), summary.index, report.job.files
        )
        if item is not None:
            report.warnings.append(item)
            sink.emit(WarningIssued(item.message, str(item.path), item.code.value))


def _note_unreachable(plan: OffloadPlan, report: OffloadReport) -> None:
    """Record in ``report.unreachable`` each local destination whose copy root its ledger
    saw and that is gone or on another filesystem now (``Ledger.root_lost``): a copy root that is
    the mount point itself stays a folder after ``umount -l``, so only this tells
    ``write_reports`` not to write there."""
    for dest in plan.plans:
        if dest.index not in plan.backends and plan.ledgers[dest.index].root_lost():
            report.unreachable[dest.index] = plan.ledgers[dest.index].lost_error()


def _say_rechecked(outcome: RecheckOutcome, sink: EventSink, notes: list[str]) -> bool:
    """Each copy the fusefat re-read failed: its warning, and its ``FileFailed`` (after its
    ``FileVerified``: the later event is its outcome, as for a copy the cascade's re-read
    found damaged); each transfer-checked copy it verified, a ``FileVerified`` (its
    outcome now), and the note saying what was read beyond ``--verify transfer``, appended
    to *notes* (every report's). Where a cancel stopped it, each copy left not re-checked
    gets its ``FileCancelled`` (``cancelled`` in the report, its ``error`` saying so), then
    one warning says how many, and where. True where it was cancelled."""
    from offload.renamed_recheck import NOT_RECHECKED, transfer_note

    for copy in outcome.failed:
        sink.emit(WarningIssued(copy.warning, copy.path))
        sink.emit(FileFailed(copy.destination_index, copy.relative_path, copy.error))
    if outcome.transfer is not None:
        for result, relative_path in outcome.transfer.verified:
            sink.emit(
                FileVerified(
                    result.destination_index,
                    relative_path,
                    result.final_path,
                    result.status.value,
                    dict(result.digests),
                )
            )
        notes.append(transfer_note(outcome.transfer))
    # Each copy left not re-checked: its own line after its FileVerified, so a script
    # reading the events never takes it for verified; then one warning counting them.
    for final_path, index, relative_path, proved in outcome.not_rechecked:
        sink.emit(
            FileCancelled(
                index, relative_path, final_path, f"{proved} before the renames; {NOT_RECHECKED}"
            )
        )
    if outcome.not_rechecked:
        count = len(outcome.not_rechecked)
        first = outcome.not_rechecked[0][0]
        checked = sorted({copy[3] for copy in outcome.not_rechecked}, reverse=True)
        sink.emit(
            WarningIssued(
                f"{count} cop{'y' if count == 1 else 'ies'} on fusefat, the first {first}, "
                f"cancelled: {' or '.join(checked)} before the renames; {NOT_RECHECKED}",
                first,
            )
        )
    return outcome.cancelled


def _cascade_copies_over(
    plan: OffloadPlan, job: JobReport, slow: Collection[int], sink: EventSink
) -> bool:
    """The cascade's copy jobs ended uncancelled, every slow copy with its outcome
    (``cascade.run_cascade``'s *copies_over*): said at once (:func:`_copies_complete`), so
    the views stop calling a Ctrl-C a cancel and the signal handler takes a second one for
    one after the copy, while the cascade checks the fast copies, then finishes the slow
    destinations. Not where a slow copy is to be read again after the renames (fusefat,
    ``finish_slow``): a cancel stops that re-read, and cancels the run; said after it then.
    Where fusefat holds no copy to read again (every one there verified earlier, none
    renamed into its folder), that re-read cancels nothing: said now, or a Ctrl-C while the
    fast copies are checked was shown as CANCELLING for a run that cancelled nothing.
    Whether it was said."""
    from offload.renamed_recheck import rechecks_any

    if rechecks_any(job, plan.plans, _rename_filesystems(plan, job, slow)):
        return False
    _copies_complete(plan, sink, "checks")  # the check of the fast copies comes next
    return True


def _rename_filesystems(
    plan: OffloadPlan, job: JobReport, among: Collection[int] | None = None
) -> dict[int, list[tuple[str, str]]]:
    """By local destination not lost (of *among* alone, where given): the filesystem each
    copy may be on, (folder, fstype) deepest first: a drive's mounted below the copy root
    (``DEST/A006/CLIPS``, ``plan.preflight.drives.mounted_below``), then the root's own (a
    drive mounted there, at ``DEST/A006``, is that root's); one read of the mount table each."""
    from offload.plan.filesystem import detect_filesystem
    from offload.plan.preflight.drives import mounted_below

    lost = {d.index for d in job.destinations if d.lost}
    fstypes: dict[int, list[tuple[str, str]]] = {}
    for p in plan.plans:
        if p.index in plan.backends or p.index in lost:
            continue
        if among is not None and p.index not in among:
            continue
        try:
            os.stat(p.root)
        except OSError:  # gone since (EIO, ENOTCONN), or nothing copied: the job's states
            continue
        below = [(str(path), detect_filesystem(path).fstype) for _, path in mounted_below(p.root)]
        # Deepest first: a copy is on the filesystem of the deepest folder above it.
        fstypes[p.index] = [*reversed(below), (str(p.root), detect_filesystem(p.root).fstype)]
    return fstypes


def _recheck_after_renames(
    plan: OffloadPlan,
    job: JobReport,
    cancel: CancelToken,
    sink: EventSink,
    among: Collection[int] | None = None,
) -> RecheckOutcome:
    """:func:`offload.renamed_recheck.recheck_after_renames` on the local destinations not
    lost (of *among* alone, where given: the slow ones, once the cascade has written
    them), by the filesystem each copy is on (:func:`_rename_filesystems`); stopped by
    *cancel*, each copy's read shown in the views (``PhaseChanged`` ``verify``)."""
    from offload.renamed_recheck import recheck_after_renames

    fstypes = _rename_filesystems(plan, job, among)
    return recheck_after_renames(
        job,
        plan.plans,
        plan.ledgers,
        fstypes,
        cancelled=lambda: cancel.cancelled,
        reading=lambda index, path: sink.emit(PhaseChanged(index, path, "verify")),
    )


def _copies_complete(plan: OffloadPlan, sink: EventSink, step: str = "manifests") -> None:
    """Every copy of the offload has its outcome and none was cancelled: a cancel from here
    on has nothing of the copy to cancel, so it must not stop what finishes the destinations
    either: an S3 destination's store stops watching the token (its long steps watch it; a
    precaution, no step of the finish was seen to stop on it). ``OffloadFinishing`` tells
    the views, which then say a Ctrl-C came after the copy instead of "cancelled"; its
    *step* is what comes next (``checks``: a cascade's check of its fast copies)."""
    for backend in plan.backends.values():
        backend.store.cancelled = lambda: False
    sink.emit(OffloadFinishing(step))


def unidentified_trust_notes(
    plan: OffloadPlan, failed: Mapping[int, int] | None = None
) -> list[str]:
    """What the copies of this card's files that ledgers vouched for without this card's
    identity (unknown, or the entries name none) rest on: their "verified earlier", why,
    and what proves more (the summary, ``--json`` and every report carry the run's notes).
    Copies matched by path, size and mtime alone (``OffloadPlan.trusted_unidentified``:
    entries without a fingerprint, written by an earlier version) get one note, those
    matched by the card file's fingerprint too (``trusted_fingerprinted``) another, each
    saying what was compared and naming every destination it concerns with its count
    (``_trusted_where``): one note, however many destinations (three destinations gave
    three notes, the same 500 characters but the folder and the count). *failed*: by
    destination, the copies trusted so that the run failed since (a cascade found them
    changed, ``trusted_failed``): not counted, where the destination's trusted copies are of
    one kind (with both kinds there, which one failed is not known: counted as planned)."""
    alone_counts = dict(plan.trusted_unidentified)
    fingerprinted_counts = dict(plan.trusted_fingerprinted)
    for index, count in (failed or {}).items():
        kinds = [c for c in (alone_counts, fingerprinted_counts) if c.get(index)]
        if len(kinds) == 1:
            kinds[0][index] = max(0, kinds[0][index] - count)
    if plan.card is None and plan.source_copy_root.taken:
        # A copy root of ours taken for its ledger's card, which names none: its drive's own
        # serial is no reason (rev5_66: "no volume serial found" of an exFAT drive that has one).
        why = f"this card's identity is unknown ({UNNAMED_CARD})"
    elif plan.card is None:
        why = (
            "this card's identity is unknown (no volume UUID or serial could be read for it: "
            "no /dev/disk/by-uuid link, and blkid found none or may not read the device)"
        )
    else:
        why = (
            "their ledger entries name no card (written by an earlier version, or by a run "
            "that could not tell its card)"
        )
    reverify = (
        "--reverify (with --verify full, the default) reads them back and re-reads this "
        "card's files to compare"
    )
    notes = []
    alone = _trusted_where(plan, alone_counts, False)
    if alone:
        notes.append(
            f"{alone} matched to this card's files by path, size and modification time "
            f"alone: {why}, so another card's file of the same name, size and time would be "
            f"trusted as well; {reverify}"
        )
    fingerprinted = _trusted_where(plan, fingerprinted_counts, True)
    if fingerprinted:
        notes.append(
            f"{fingerprinted} matched to this card's files by path, size, modification time "
            "and content fingerprint (the first and last 64 KiB of each card file, the whole "
            f"file up to 128 KiB, read now and equal to what was copied): {why}; a file that "
            f"differs only between those bytes would be trusted as well; {reverify}"
        )
    return notes


def trusted_failed(report: OffloadReport) -> dict[int, int]:
    """By destination, the copies trusted from its ledger (``CopyAction.TRUSTED``) that the
    run failed since (a cascade's read found one changed, ``cascade._fail_damaged``)."""
    failed: dict[int, int] = {}
    for file in report.job.files:
        for result in file.destinations:
            if result.status is DestinationStatus.FAILED and result.action is CopyAction.TRUSTED:
                failed[result.destination_index] = failed.get(result.destination_index, 0) + 1
    return failed


def _recount_trusted(plan: OffloadPlan, report: OffloadReport) -> None:
    """Once the cascade is over: the notes of ``unidentified_trust_notes`` no longer count a
    trusted copy the run failed since (QA: "8 copies (3 on fast1 ...) trusted" beside "verified
    earlier: 7", the copy the cascade found changed counted). Nothing when none failed so."""
    if not (plan.trusted_unidentified or plan.trusted_fingerprinted):
        return  # no such note (the card's identity known): no look at the files
    failed = trusted_failed(report)
    if not failed:
        return
    before, after = unidentified_trust_notes(plan), unidentified_trust_notes(plan, failed)
    if before == after:
        return
    notes: list[str] = []
    for note in report.notes:  # the new notes where the first old one stood
        if note not in before:
            notes.append(note)
        elif note == before[0]:
            notes.extend(after)
    report.notes[:] = notes


def _trusted_where(plan: OffloadPlan, counts: Mapping[int, int], fingerprinted: bool) -> str:
    """The subject of a note of ``unidentified_trust_notes``, its verb included: the copies
    trusted so (*counts*: how many by destination index; *fingerprinted*: the note's kind,
    ``OffloadPlan.trusted_transfer_only``'s key) and where. One destination: ``<root>: 3
    copies trusted from its ledger as verified by an earlier run were``; several with one
    count: ``3 copies on each of <root>, <root> and <root>, trusted from their ledgers as
    verified by an earlier run, were``; several counts: ``6 copies (3 on <root>, 2 on
    <root> and 1 on <root>), trusted ... were``. What the earlier run proved as its ledger
    records it (``_earlier_proof``): "verified", "transfer-checked only (never read back)",
    "size-checked only (never read back)" or several, counted (they said "proven" of copies
    no run read back). "" when there are none."""
    where = [
        # Raw: join_paths prints each name (printed twice, a backslash would show as four).
        (display_path(p.root), counts[p.index])
        for p in plan.plans
        if counts.get(p.index, 0)
    ]
    if not where:
        return ""
    total = sum(count for _, count in where)
    verb = "was" if total == 1 else "were"
    proof = _earlier_proof(
        total,
        plan.trusted_transfer_only.get(fingerprinted, 0),
        plan.trusted_size_only.get(fingerprinted, 0),
    )
    if len(where) == 1:
        ((root, count),) = where
        return (
            f"{printable_name(root)}: {plural(count, 'copy', 'copies')} trusted from its ledger "
            f"as {proof} {verb}"
        )
    roots = join_paths([root for root, _ in where])
    if len({count for _, count in where}) == 1:
        count = where[0][1]
        verb = "was" if count == 1 else "were"
        copies = f"{plural(count, 'copy', 'copies')} on each of {roots}"
    else:
        each = join_paths([f"{count} on {root}" for root, count in where])
        copies = f"{plural(total, 'copy', 'copies')} ({each})"
    return f"{copies}, trusted from their ledgers as {proof}, {verb}"


def _earlier_proof(total: int, transfer_only: int, size_only: int = 0) -> str:
    """What an earlier run proved of *total* copies trusted from their ledgers, of which
    *transfer_only* it only transfer-checked, *size_only* of those their sizes alone
    (never "transfer-checked" of a copy whose in-flight hashes no one checked), in the
    words of a note's subject."""
    kinds = [
        (count, words)
        for count, words in (
            (total - transfer_only, "verified (read back)"),
            (transfer_only - size_only, "transfer-checked only (never read back)"),
            (size_only, "size-checked only (never read back)"),
        )
        if count
    ] or [(0, "verified (read back)")]
    said = kinds[0][1] + "".join(f" or, {count} of them, {words}" for count, words in kinds[1:])
    return f"{said} by an earlier run"


def unfinished_destinations(report: OffloadReport) -> list[DestinationSummary]:
    """The destinations of a cancelled run where every file had its outcome but the run
    stopped before its links, folders, manifests and folder times (its ``result`` is
    ``cancelled`` with no file cancelled), in order: a cascade's slow ones, its fast ones
    finished at the card's release."""
    return [
        summary
        for summary in report.job.destinations
        if summary.index not in report.finished
        and not summary.lost
        and not summary.files_cancelled
        and report.destination_result(summary) == "cancelled"
    ]


def note_unfinished(report: OffloadReport) -> None:
    """A note for each destination of :func:`unfinished_destinations`: why its ``result``
    is ``cancelled``."""
    for summary in unfinished_destinations(report):
        root = display_path(report.plans[summary.index].root)
        report.notes.append(
            f"{printable_name(root)}: not finished: the run was cancelled after every file had "
            "its outcome there, before the steps that finish a destination (the empty "
            "folders, symlinks, folder times and manifests, ASC MHL or legacy MHL, the run "
            "was to write there); "
            "run the same command again to finish it"
        )


_Named = TypeVar("_Named")


def _up_to_three(items: Sequence[_Named], name: Callable[[_Named], str]) -> str:
    """A destination's *items* (the copies a warning is about, at least one) as a warning
    names them: the first three by *name*, joined, and how many more (``a, b, c and 4
    more``); the warning counts them all itself (``plural``)."""
    more = f" and {len(items) - 3} more" if len(items) > 3 else ""
    return ", ".join(name(item) for item in items[:3]) + more


def _fed_by(roots: Counter[str], *, absent: bool = True) -> str:
    """The fast copies that fed a destination's replacing copies (``_replaced``), by root
    and how many each when more than one did: in a run without its card (*absent*), or a
    cascade's slow destination, fed after the card's pass."""
    if len(roots) == 1:
        (root,) = roots
        named = f"the card's fast copy {printable_name(root)}"
    else:
        named = "the card's fast copies " + ", ".join(
            f"{printable_name(root)} ({count})" for root, count in roots.items()
        )
    if not absent:
        return (
            f"copies from {named} (each checked against the card's digests, as the card's "
            "pass read them)"
        )
    return (
        f"copies from {named} (the card is absent; each checked against the card's digests "
        "its ledger recorded)"
    )


def _replaced(plan: OffloadPlan, report: OffloadReport) -> list[PreflightItem]:
    """One warning (``existing-replaced``) per destination where copies took the place of
    files already at their names (``CopyAction.REPLACED``: ``--overwrite``; the copies of
    ours found wrong and written again are ``copied``, named by their own warnings),
    naming up to three and counting them."""
    by_destination: dict[int, list[DestinationFileResult]] = {}
    # By destination, each feed: a run without its card's, or the cascade's (a slow copy).
    fed: dict[int, Counter[str]] = {}
    feeder = report.cascade_feeder if plan.stands_in_for is None else {}
    for file in report.job.files:
        for copy in file.destinations:
            if copy.action is CopyAction.REPLACED:
                index = copy.destination_index
                by_destination.setdefault(index, []).append(copy)
                if plan.stands_in_for is not None:
                    root = report.fed_again_from.get(file.relative_path, str(plan.source))
                    fed.setdefault(index, Counter())[root] += 1
                elif (fast := feeder.get((file.relative_path, index))) is not None:
                    fed.setdefault(index, Counter())[str(plan.plans[fast].root)] += 1
    items = []
    for index, copies in sorted(by_destination.items()):
        # A cascade re-run without its card: the copies came from its fast copies, each
        # file's as it was fed (the source, or the next copy where that one was found
        # unlike the card), never the card; so do a cascade's slow copies.
        by = (
            _fed_by(fed[index], absent=plan.stands_in_for is not None)
            if index in fed
            else "the card's"
        )
        # An S3 destination's stand-in paths as their s3:// URLs (display_path).
        names = _up_to_three(copies, lambda c: printable_name(display_path(c.final_path)))
        checked = sum(1 for c in copies if c.status is DestinationStatus.TRANSFER_CHECKED)
        how = (
            "each once the new copy was verified (read back)"
            if not checked
            else f"each once the new copy was verified or transfer-checked ({checked} "
            "transfer-checked only, never read back)"
        )
        count = len(copies)
        # On a bucket that keeps versions, what was replaced stays as a noncurrent version.
        backend = plan.backends.get(index)
        before = _s3().replaced_words(backend.store) if backend is not None else "is gone"
        items.append(
            PreflightItem(
                PreflightCode.EXISTING_REPLACED,
                _finding_path(copies[0].final_path),
                f"{plural(count, 'file')} already on {display_path(plan.plans[index].root)} "
                f"{'was' if count == 1 else 'were'} replaced by {by} "
                f"(--overwrite), {how}: {names}; what was there before {before}",
                index,
            )
        )
    return items


# A copy in the KEPT BOTH line kept by an earlier run (its ledger line unwritten), found
# and adopted by this one.
EARLIER_KEPT = " (kept so by an earlier run, read back and adopted now)"
# A copy an earlier run kept so and recorded, re-read now (--reverify): nothing written.
EARLIER_RECHECKED = " (kept so by an earlier run, read back now)"
# What a KEPT BOTH line calls "copied": a copy this run wrote.
_WRITTEN = frozenset({CopyAction.COPIED, CopyAction.REPLACED})


def _kept_beside(
    plan: OffloadPlan, found: Sequence[FoundWrong], report: OffloadReport
) -> list[PreflightItem]:
    """One warning (``existing-kept-beside``) per destination where ``--keep-both`` wrote
    card files beside a file already at their names, under a name of their own (``name
    (1).ext``): naming where each new copy went (up to three, and the count), so the user
    is told where it is, in the terminal (``KEPT BOTH: ...``) and the JSON; a copy an
    earlier run kept so, adopted now (``_kept_copy``), is named too, as such. Not the copies
    of ours found wrong, whose own warning (``copy-no-longer-matches``) names the new copy
    beside each. Only copies verified or transfer-checked: a failed one is its entry's."""
    if plan.options.copy.existing is not ExistingFilePolicy.KEEP_BOTH:
        return []
    named = {(wrong.relative_path, wrong.destination_index) for wrong in found}
    good = (DestinationStatus.VERIFIED, DestinationStatus.TRANSFER_CHECKED)
    by_destination: dict[int, list[tuple[str, DestinationFileResult]]] = {}
    for file in report.job.files:
        for copy in file.destinations:
            if (
                copy.status in good
                and copy.final_path
                and under_another_name(copy.final_path, file.relative_path)
                and (file.relative_path, copy.destination_index) not in named
            ):
                by_destination.setdefault(copy.destination_index, []).append(
                    (file.relative_path, copy)
                )
    items = []
    for index, copies in sorted(by_destination.items()):
        shown = _up_to_three(
            copies,
            lambda kept: (
                f"{printable_name(kept[0])} as {printable_name(display_path(kept[1].final_path))}"
                + (
                    EARLIER_KEPT
                    if kept[1].action is CopyAction.ADOPTED
                    else EARLIER_RECHECKED
                    if kept[1].action is CopyAction.RECHECKED
                    else ""
                )
            ),
        )
        count = len(copies)
        # (Adopted: an earlier run's kept copy its ledger line missed, ``_kept_copy``;
        # rechecked: one its ledger records, re-read by --reverify. Neither written now.)
        now = any(kept.action in _WRITTEN for _, kept in copies)
        items.append(
            PreflightItem(
                PreflightCode.EXISTING_KEPT_BESIDE,
                _finding_path(copies[0][1].final_path),
                f"{plural(count, 'card file')} {'copied to' if now else 'found on'} "
                f"{display_path(plan.plans[index].root)} "
                f"beside a file already at {'its name' if count == 1 else 'their names'}, "
                f"which {'was' if count == 1 else 'were'} kept as it is (--keep-both): "
                f"{shown}",
                index,
                counted=count,
            )
        )
    return items


def _found_wrong(
    plan: OffloadPlan, found: Sequence[FoundWrong], report: OffloadReport
) -> list[PreflightItem]:
    """The report's warnings for the copies of ours found wrong (``existing``), an S3
    copy's path shown as its URL; a copy written again by the cascade names the fast copy
    that fed it, never the card (``OffloadReport.cascade_feeder``)."""
    fed_by = None
    if plan.stands_in_for is not None:  # a re-run without its card: a fast copy fed it

        def fed_by(path: str, index: int) -> str:  # (every copy: the run's source)
            return f"the fast copy {report.fed_again_from.get(path, str(plan.source))}"

    elif report.cascade_feeder:  # the card there: a slow copy is fed from a fast one
        feeder = report.cascade_feeder

        def fed_by(path: str, index: int) -> str:
            fast = feeder.get((path, index))
            if fast is None:
                return "the card"
            return f"the fast copy {plan.plans[fast].root}"

    items = found_wrong_warnings(found, report.job.files, fed_by)
    return [
        item._replace(path=_s3().S3ShownPath(item.path))
        if item.destination_index in plan.backends and item.path is not None
        else item
        for item in items
    ]


def _check_card_present(plan: OffloadPlan, report: OffloadReport) -> None:
    """Say in ``report.card_gone`` (``card_presence``'s one line) that the card went away,
    when it did and it is not said yet: after the copy jobs, and again when a folder time of
    the card cannot be read (a card pulled between the two). One ``stat``; where another
    filesystem is at the card's path, its identity (``card_presence.card_now_at``); the
    same card put back is said as the run ends (``_say_card_put_back``)."""
    if report.card_gone is not None:
        return
    gone = card_presence.card_gone(plan.tree)
    # The files that failed at the source alone (nearly always none: no pair made a file).
    failed = ((f.relative_path, f.source_error) for f in report.job.files if f.source_error)
    if gone is None and card_presence.came_back(plan.tree, failed):
        gone = card_presence.REMOUNTED  # back on its device number: its files tell
    if gone is None:
        return
    # A share that dropped, or a copy of ours on a drive: no card to re-insert (shuttle66).
    kind = card_presence.source_kind(
        (plan.source_volume or {}).get("filesystem"), plan.source_copy_root.ours
    )
    report.card_gone = card_presence.card_gone_line(
        str(plan.tree.root),
        gone,
        _failed_for_the_card(report),
        identity=plan.card,
        # A cascade re-run reads a fast copy standing in for the card: no card to put back;
        # nor a share, nor a copy of ours (a copy root's card is the original's, elsewhere).
        other=None
        if plan.stands_in_for or kind != "card"
        else card_presence.card_now_at(plan.tree, plan.card),
        kind=kind,
    )


def _failed_for_the_card(report: OffloadReport) -> int:
    """How many of the run's files failed because the card went away."""
    return sum(1 for f in report.job.files if loss.of_the_gone_card(f.source_error))


def _say_card_put_back(plan: OffloadPlan, report: OffloadReport) -> None:
    """Where the card went away during the run (``report.card_gone``) and the card at its
    path now is that card itself, mounted again (``card_presence.card_back``: put back while
    the run went on, after its line was made), the line says it was pulled and put back and
    to run the same command again, not "re-insert it" nor "a different card". Asked once, as
    the run ends: at most one mount-table read and one ``blkid``."""
    if report.card_gone is None or plan.stands_in_for:
        return
    # Not ``card_gone`` again: a card put back may be on the device the scan saw (a reader
    # whose device comes back with the same number, a loop device still held): that says
    # nothing of which card it is, its identity does.
    if card_presence.card_back(plan.tree, plan.card):
        report.card_gone = card_presence.card_gone_line(
            str(plan.tree.root), "", _failed_for_the_card(report), identity=plan.card, back=True
        )


def _finish_destinations(
    plan: OffloadPlan,
    report: OffloadReport,
    indexes: set[int],
    sink: EventSink,
    *,
    history_source: Path | None = None,
    folder_times: Mapping[Path, int] | None = None,
) -> None:
    """Symlinks, folders, manifests and folder times on the destinations *indexes* (those
    not lost). *history_source*: where the card's own ascmhl/ is read from (default: the
    card); *folder_times*: the card's folder mtimes by source path (default: lstat of the
    card). A cascade finishes its slow destinations after the card was released."""
    lost = {d.index for d in report.job.destinations if d.lost}
    report.finished.update(indexes - lost)
    # A drive gone since its copies (pulled, ``umount -l``: its mount point the bare folder
    # on the disk below) gets nothing made there: no folder, link or manifest anew.
    asked = indexes
    for index in sorted(indexes - lost):
        if index not in plan.backends and not plan.ledgers[index].root_unchanged():
            why = plan.ledgers[index].lost_error()
            report.destination_error(
                index,
                f"{why.strerror}; its folders, links and manifests were not made",
                "folders",
            )
            indexes = indexes - {index}
    # The file of the card each link leads to, and those files' results: a link is made
    # only where it leads to the card's proven copy (offload.link_targets).
    targets = link_targets.card_targets(plan.tree)
    wanted = set(targets.values())
    results = (
        {f.relative_path: f for f in report.job.files if f.relative_path in wanted}
        if wanted
        else {}
    )
    # The calls on local destinations are made on a worker (``interruptible.call``): one
    # that hangs (a stalled FUSE drive) holds it, never the main thread, so each Ctrl-C
    # reaches the handler at once and a second one stops the run (two during one hung call
    # in the main thread were one: the kernel dropped the second, signals do not queue).
    from offload import interruptible

    # The folders each destination could not create (by index): no time is asked of them.
    not_made: dict[int, set[Path]] = {}

    def links_and_folders() -> None:
        for dest_plan in plan.plans:
            if dest_plan.index in lost or dest_plan.index not in indexes:
                continue
            if dest_plan.index in plan.backends:  # an object store: no links, no folders
                report.symlinks.extend(_no_symlinks(plan.tree, dest_plan))
                continue
            unproven = link_targets.unproven_targets(
                plan.tree.symlinks, targets, results, dest_plan
            )
            report.symlinks.extend(_make_symlinks(plan.tree, dest_plan, unproven))
            for error in _make_folders(
                plan.tree, dest_plan, not_made.setdefault(dest_plan.index, set())
            ):
                report.destination_error(dest_plan.index, error, "folders")

    def local_roots(chosen: Iterable[int]) -> tuple[str, ...]:
        """The local destinations of *chosen*, for what a stop waiting on them says."""
        return tuple(
            str(p.root)
            for p in plan.plans
            if p.index in chosen and p.index not in lost and p.index not in plan.backends
        )

    interruptible.call("offload-folders", links_and_folders, local_roots(indexes))
    slow = (indexes - lost) & set(plan.options.cascade)
    if slow - set(plan.backends):
        # Each local slow drive's copies looked at again (one lstat a copy) before its
        # manifest lists them: one removed or put in place of ours since its read-back,
        # hours ago on a long cascade, is failed, never listed verified.
        from offload import local_looked_again

        interruptible.call(
            "offload-looked-again",
            lambda: local_looked_again.fail_changed(plan, report, slow, sink),
            local_roots(slow),
        )
    if plan.backends:
        # Each bucket's copies looked at again (one listing) before its manifest lists them:
        # one deleted or written over since its read-back is failed, never listed.
        from offload.destinations import s3looked_again

        s3looked_again.fail_changed(plan, report, indexes - lost, sink)
    records = _records(plan, report)
    records = dataclasses.replace(
        records,
        source=history_source or records.source,
        destinations=tuple(d for d in records.destinations if d.index in indexes),
        folder_dates=None if folder_times is None else _relative_times(plan, folder_times),
    )
    on_disks = dataclasses.replace(
        records, destinations=tuple(d for d in records.destinations if d.index not in plan.backends)
    )
    from offload.manifest_warnings import left_out_by_warning, warning_events
    from offload.manifests_writer import warning_codes, write_manifests  # the copy's end

    # No sink: the warnings are emitted below, each not-in-manifest one with the card paths
    # it names (``WarningIssued.relatives``), after every disk's manifests are written.
    manifests = interruptible.call(
        "offload-manifests",
        lambda: write_manifests(on_disks, plan.options.manifests),
        tuple(str(d.root) for d in on_disks.destinations),
    )
    disk_roots = {d.index: str(d.root) for d in on_disks.destinations}
    for outcome in manifests:
        where = disk_roots[outcome.destination_index]
        codes, named = warning_codes(outcome), left_out_by_warning(outcome)
        for event in warning_events(outcome, where, codes, named):
            sink.emit(event)
    if plan.backends:
        manifests += _s3().write_s3_manifests(records, plan.options.manifests, plan.backends, sink)
    # A bucket's objects are read again for its generation too (s3card._object_hasher):
    # those found wrong there are failed and revoked in its ledger as a disk's are.
    _fail_found_wrong(plan, report, manifests, sink)
    report.manifests.extend(manifests)
    roots = {p.index: p.root for p in plan.plans}
    for manifest in manifests:
        if manifest.error:
            report.destination_error(manifest.destination_index, manifest.error, "manifest")
        index = manifest.destination_index
        # The warnings the job report lists as well as the run's output (docs/json.md).
        root = roots.get(index)
        # a bucket's copy root named by its s3:// URL, as the run's output names it
        shown = None if root is None else _finding_path(str(root))
        report.warnings.extend(
            PreflightItem(code, shown, manifest.warnings[at], index)
            for at, code in manifest.coded.items()
        )
        # The card's files copied there that its manifests leave out: named in every saved
        # report, never only on the terminal (the copy's own state is its entry's).
        if root is not None:
            report.warnings.extend(
                _not_in_manifest(
                    _finding_path(str(root / relative)),
                    unlisted.why,
                    index,
                    hidden=_xml_holds(relative),
                    anchored_only=unlisted.anchored_only,
                )
                for relative, unlisted in manifest.not_listed.items()
            )
    _note_links(report.symlinks, manifests)

    def folder_times_set() -> None:
        for dest_plan in plan.plans:  # last: writing the manifests changed the root's time
            if (
                dest_plan.index in lost
                or dest_plan.index in plan.backends
                or dest_plan.index not in indexes
            ):
                continue
            for error, refused in _set_folder_times(
                plan.tree, dest_plan, folder_times, not_made.get(dest_plan.index, ())
            ):
                if refused is None:  # the card's folder unread: was the card pulled since?
                    _check_card_present(plan, report)
                report.destination_error(dest_plan.index, error, "folder-times")
                if refused is not None:  # the destination's: its copies are as verified
                    report.folder_times_unset.append(refusal_entry(dest_plan.index, error, refused))

    interruptible.call("offload-folder-times", folder_times_set, local_roots(indexes))
    # The views' row of such a destination says it failed, as the summary's result will.
    for index in sorted(asked - lost):
        links = ("links",) if report.failed_links(index) else ()
        steps = (*links, *report.failed_steps.get(index, ()))
        if steps:
            sink.emit(DestinationUnfinished(index, steps))


def _fail_found_wrong(
    plan: OffloadPlan, report: OffloadReport, manifests: Sequence[ManifestResult], sink: EventSink
) -> None:
    """Each copy a manifest step found no longer what was verified
    (``ManifestResult.found_wrong``: read again in the history's formats): failed on its
    destination (its ``FileFailed`` after its ``FileVerified``: the later event is its
    outcome), its ledger entry revoked (the next run does not trust it), as a copy of ours
    found wrong is (``copy-no-longer-matches``); the destinations' counts made again."""
    roots = {p.index: p.root for p in plan.plans}
    changed = False
    for manifest in manifests:
        index = manifest.destination_index
        if not manifest.found_wrong or index not in roots:
            continue
        wanted = {
            str(roots[index] / relative): error for relative, error in manifest.found_wrong.items()
        }
        revoke: list[str] = []
        for file in report.job.files:
            result = file.destination(index)
            if result is None or result.final_path not in wanted:
                continue
            result.status = DestinationStatus.FAILED
            result.verified_at = result.verified_mode = None  # nothing stands proved
            result.error = wanted[result.final_path]
            revoke.append(file.relative_path)
            sink.emit(FileFailed(index, file.relative_path, result.error))
            changed = True
        ledger = plan.ledgers[index]
        if revoke and ledger is not None:
            try:
                ledger.revoke(dict.fromkeys(revoke, ledger.card))
            except OSError as exc:
                report.destination_error(
                    index,
                    f"cannot revoke the ledger entries of the copies found wrong there "
                    f"({describe_os_error(exc)}): the next offload copy may trust them",
                    "manifest",
                )
    if changed:
        for summary in report.job.destinations:
            summary.count(report.job.files)


# The words of a file of the card left out of the manifests, before the copy
# (``_unlisted_name_warnings``) and after it (``_not_in_manifest``).
_IN_NO_MANIFEST = "in no manifest there, ASC MHL or legacy"
_CALLED_NEW = (
    "ascmhl-debug verify of the copy calls it a new file (exit 21), as offload verify of an "
    "s3:// copy does; offload verify of a local copy checks it against the copy root's ledger"
)
_PASSED_OVER = (
    "ascmhl-debug verify and offload verify of the copy pass over it: the manifests' ignore "
    "list hides it"
)


def _not_in_manifest(
    path: Path, why: str, index: int, *, hidden: bool, anchored_only: bool
) -> PreflightItem:
    """The report's warning for a file of the card copied to *path* (an S3 copy as its
    ``s3://`` URL, never the local folder its manifests were staged in) that the manifests
    there leave out, *why*; *hidden*: left out by the manifests' ignore list (a name XML
    holds: a ``.DS_Store``, a file in a folder the card's history ignores), which a check
    of the copy passes over, where one whose name XML cannot hold is called new, as the
    summary's line says (``summary._check_words``); *anchored_only*: hidden where only an
    anchored pattern hides its folder (``Unlisted.anchored_only``), which the checks
    differ on (``ignore.ANCHORED_ONLY_CHECKS``)."""
    return PreflightItem(
        PreflightCode.NOT_IN_MANIFEST,
        path,
        f"{printable_name(str(path))} is {_IN_NO_MANIFEST} ({why}): its copy is in this "
        f"report with its state, but no manifest vouches for it; "
        f"{_checks_words(hidden=hidden, anchored_only=anchored_only)}",
        index,
    )


def _checks_words(*, hidden: bool, anchored_only: bool) -> str:
    """What the checks of the copy do with a file left out of its manifests
    (:func:`_not_in_manifest`)."""
    if not hidden:
        return _CALLED_NEW
    if not anchored_only:
        return _PASSED_OVER
    from offload.manifest.ignore import ANCHORED_ONLY_CHECKS

    return ANCHORED_ONLY_CHECKS.format(it="it")


def _xml_holds(relative: str) -> bool:
    """Whether an XML manifest can hold the path *relative* (``xmlchars.xml_can_hold``)."""
    from offload.manifest.xmlchars import xml_can_hold

    return xml_can_hold(relative)


def _unlisted_name_warnings(
    tree: SourceTree, plans: Sequence[DestinationPlan], options: OffloadOptions
) -> list[PreflightItem]:
    """Before the copy (the preflight's warnings: the terminal, ``--dry-run``, their JSON),
    one warning a file of the card whose name holds a control character an XML manifest
    cannot hold, or that is a ``.DS_Store`` (copied with ``--no-default-ignore``: ASC MHL
    leaves every one out), and a destination whose manifests are written: it will be copied
    there like the others but left out of them, as the reports say after the copy
    (``not-in-manifest``, in the same words). A name that is not UTF-8 has the preflight's
    own warning (``name-not-utf8``), or is refused where the destination stores Unicode.

    Cost on a card without such names: ``xmlchars.paths_xml_cannot_hold``'s, a few ms at
    50,000 files."""
    if not options.manifests.kinds:
        return []
    from offload.manifest.ignore import FINDER_FILE_REASON, finder_files
    from offload.manifest.xmlchars import paths_xml_cannot_hold, unlisted_name_reason, xml_can_hold
    from offload.plan.names import is_utf8

    paths = [f.relative_path for f in tree.files]
    odd = [p for p in paths_xml_cannot_hold(paths) if is_utf8(p)]
    finder = [p for p in finder_files(paths) if xml_can_hold(p)]
    if not odd and not finder:
        return []
    items = []
    for plan in plans:
        for relative in finder:  # --no-default-ignore: ASC MHL leaves them out
            copy = _finding_path(str(plan.root / relative))
            items.append(
                PreflightItem(
                    PreflightCode.NAME_NOT_IN_MANIFEST,
                    copy,
                    f"{printable_name(str(copy))} will be copied like the card's other "
                    f"files, but it will be {_IN_NO_MANIFEST} ({FINDER_FILE_REASON}): the "
                    f"job report alone gives its state, and {_PASSED_OVER}",
                    plan.index,
                )
            )
        for relative in odd:
            copy = _finding_path(str(plan.root / relative))
            items.append(
                PreflightItem(
                    PreflightCode.NAME_NOT_IN_MANIFEST,
                    copy,
                    f"{printable_name(str(copy))} will be copied like the card's other "
                    f"files, but it will be {_IN_NO_MANIFEST} ({unlisted_name_reason(relative)})"
                    f": the job report alone gives its state, and {_CALLED_NEW}; rename it on "
                    "the source if the manifest must list it",
                    plan.index,
                )
            )
    return items


def _note_links(symlinks: list[SymlinkResult], manifests: list[ManifestResult]) -> None:
    """Each link's state in its destination's manifests, on its result (the JSON report)."""
    states = {m.destination_index: m.links for m in manifests if not m.error}
    for link in symlinks:
        state = states.get(link.destination_index, {}).get(link.relative_path)
        if state is not None:
            link.manifest, link.manifest_note = state[0].value, state[1]


def _no_symlinks(tree: SourceTree, plan: DestinationPlan) -> list[SymlinkResult]:
    """An object store holds no symlinks: each one fails there, named."""
    return [
        SymlinkResult(
            plan.index,
            link.relative_path,
            link.target,
            SymlinkStatus.FAILED,
            f"cannot create symlink {display_path(plan.target_for(link.relative_path))}: "
            "an object store holds no symlinks",
        )
        for link in tree.symlinks
    ]


class _PlannedWorkAnnouncer:
    """Follows the job's JobStarted with a WorkPlanned event: what this job will copy to
    each destination (the job's total counts every file, also those already verified
    there, so a resumed offload's progress stopped at its share of new files)."""

    def __init__(
        self,
        sink: EventSink,
        tasks: Sequence[FileTask],
        *,
        rewrites: bool = False,
        planned: OffloadPlanned | None = None,
        unread: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        """*planned*: the whole offload's work when it is this job's, *tasks* all of it (no
        cascade, nothing to write again): its totals are the job's, not summed again."""
        self._sink = sink
        # The job writing again the copies found wrong: a destination it fills is not lost
        # (``existing.settle_rewrites``), so its DestinationLost is passed on as a
        # DestinationFull, and a failure names the remedy that works, as the report's will.
        self._rewrites = rewrites
        # Of those rewrites, the copies whose read-back failed (``existing.unread_rewrites``):
        # their failure names --reverify, not --overwrite (``remedies.rewrite_failed``).
        self._unread = unread
        self._wholly_unread = wholly_unread(
            unread,
            (
                (t.source.relative_path, i)
                for t in tasks
                for i, target in enumerate(t.targets)
                if target is not None
            ),
        )
        # What its sink takes, and the JobStarted it answers (``EventSink.accepts``).
        taken = accepts_of([sink])
        self.accepts: frozenset[type[Event]] | None = (
            None
            if taken is None
            else taken | {JobStarted} | ({DestinationLost} if DestinationFull in taken else set())
        )
        self.phases = phases_of([sink])
        if planned is not None:
            self._planned = WorkPlanned(
                source_bytes=planned.source_bytes,
                destination_bytes=planned.destination_bytes,
                destination_files=planned.destination_files,
            )
            return
        destinations = len(tasks[0].targets) if tasks else 0
        self._planned = WorkPlanned(
            source_bytes=sum(t.source.size_bytes for t in tasks if any(t.targets)),
            destination_bytes=tuple(
                sum(t.source.size_bytes for t in tasks if t.targets[i] is not None)
                for i in range(destinations)
            ),
            destination_files=tuple(
                sum(1 for t in tasks if t.targets[i] is not None) for i in range(destinations)
            ),
        )

    def emit(self, event: Event) -> None:
        if self._rewrites and isinstance(event, DestinationLost) and event.full:
            # Filled, not lost: said so (the live row's "full"), never as a loss.
            unread = event.destination_index in self._wholly_unread
            message = remedies.rewrite_failed(event.message, unread=unread)
            event = DestinationFull(event.destination_index, message, event.errno)
        if self._rewrites and isinstance(event, FileFailed):
            unread = (event.relative_path, event.destination_index) in self._unread
            message = remedies.rewrite_failed(event.message, unread=unread)
            event = dataclasses.replace(event, message=message)
        self._sink.emit(event)
        if isinstance(event, JobStarted):
            self._sink.emit(self._planned)


def _offload_planned(
    plan: OffloadPlan, tasks: Sequence[FileTask], slow: frozenset[int]
) -> OffloadPlanned:
    """The whole offload's work, as its jobs' WorkPlanned events will add up: the card read
    for the files a destination not cascaded still needs, a fast copy read for those a
    cascaded one needs, and per destination what is written there."""
    count = len(plan.plans)
    destination_bytes: tuple[int, ...]
    destination_files: tuple[int, ...]
    if count == 1 and not slow:
        # One destination: the file read, the bytes and the files written there are one
        # list's sum and length (a target is never ""), where they were three passes over
        # the tasks (~10 against ~4 ms at 50,000 files: docs/performance.md, "thirtieth
        # pass").
        sizes = [t.source.size_bytes for t in tasks if t.targets[0] is not None]
        source_bytes = sum(sizes)
        destination_bytes, destination_files = (source_bytes,), (len(sizes),)
    else:
        source_bytes = (
            sum(
                t.source.size_bytes
                * (
                    any(target is not None and i not in slow for i, target in enumerate(t.targets))
                    + any(t.targets[i] is not None for i in slow)
                )
                for t in tasks
            )
            if slow
            # No cascade: each file a destination needs read once (a target is never "").
            else sum([t.source.size_bytes for t in tasks if any(t.targets)])
        )
        destination_bytes = tuple(
            sum(t.source.size_bytes for t in tasks if t.targets[i] is not None)
            for i in range(count)
        )
        destination_files = tuple(
            sum(1 for t in tasks if t.targets[i] is not None) for i in range(count)
        )
    return OffloadPlanned(
        files=len(plan.tasks),
        destinations=tuple(str(p.destination) for p in plan.plans),
        source_bytes=source_bytes,
        destination_bytes=destination_bytes,
        destination_files=destination_files,
        cascaded=tuple(sorted(slow)),
        card_kept=_card_kept(plan, slow),
        source_is_copy=plan.source_is_copy,
    )


def _card_kept(plan: OffloadPlan, slow: frozenset[int]) -> bool:
    """A cascade (*slow*: its cascaded destinations) whose every local fast destination is on
    the card's own filesystem or disk: nothing its card's pass does releases the card."""
    return bool(slow) and _cascade().kept_by_its_disk(plan, slow)


def _card_reads_only(plan: OffloadPlan) -> dict[int, int]:
    """By task index, the size of each card file the check reads for a copy it does not
    read: a copy of ours found wrong by its size alone (``--reverify``), whose record of
    the card file shares no format with the run's (``existing.record_formats``: a -t
    change since): the card file is read in the record's formats, planned work of the
    check (its progress event is sent for that read alone too: a one-file card)."""
    if (
        not plan.options.reverify and plan.options.copy.existing is not ExistingFilePolicy.KEEP_BOTH
    ):  # (a copy is found wrong by its size only there)
        return {}
    algorithms = plan.options.copy.algorithms
    return {
        check.task_index: plan.tasks[check.task_index].source.size_bytes
        for check in plan.checks
        if found_wrong_unread(check) and record_formats(check, algorithms)
    }


def _checking_event(plan: OffloadPlan, copies: OffloadPlanned) -> ExistingCopiesChecking:
    """What the read-back of the copies already there will read (for the progress), and
    *copies*: the offload's work known before it (the copies missing), so the check does
    not fill the bar on its own."""
    verify = plan.options.copy.verify.value
    per_destination = [0] * len(plan.plans)
    sources: dict[int, int] = {}
    files: set[int] = set()
    for check in plan.checks_to_read:  # those failed by a size alone are not read
        size = plan.tasks[check.task_index].source.size_bytes
        if needs_source(check, verify):
            sources[check.task_index] = size
        per_destination[check.destination_index] += size
        files.add(check.task_index)
    sources.update(_card_reads_only(plan))
    return ExistingCopiesChecking(
        files=len(files),
        destinations=tuple(str(p.destination) for p in plan.plans),
        source_bytes=sum(sources.values()),
        destination_bytes=tuple(per_destination),
        copy_source_bytes=copies.source_bytes,
        copy_destination_bytes=copies.destination_bytes,
        copy_destination_files=copies.destination_files,
        copy_verify=verify,
    )


def ignored_with_reasons(plan: OffloadPlan) -> list[tuple[str, str]]:
    """Each entry the plan's scan left out (``tree.ignored``) and why (``IgnoreRules.why``):
    the report's ``ignored``; the cascade's record of the card's pass keeps those that keep
    the card."""
    rules = plan.options.ignore.adding(TOOL_IGNORE_PATTERNS)
    history = (
        "the fast copy's (not the card's)"
        if plan.stands_in_for is not None
        else "the source's"
        if plan.source_is_copy  # a copy root of ours: no card (card_history.history_words)
        else "the card's"
    )
    fate = _history_fate(plan)
    found = [
        (path, rules.why(path, history=history, history_fate=fate)) for path in plan.tree.ignored
    ]
    # The root's ``.offload/`` left out by the tool's rule is ours only with a ledger in it
    # (a copy root of ours offloaded again); one without is not known to be ours: said so,
    # and it keeps the card (``report.release.foreign_state``). As the scan found it
    # (``OffloadPlan.source_copy_root``), never looked at now: a source gone since (a share
    # that dropped) cannot be asked, and "cannot read" is no "holds none".
    ours = f"/{STATE_FOLDER}/: "
    origin = plan.source_copy_root.ours
    for at, (path, reason) in enumerate(found):
        if path == STATE_FOLDER and reason.startswith(ours) and not origin:
            found[at] = (path, FOREIGN_STATE_REASON if origin is False else UNREAD_STATE_REASON)
    return found


def _history_fate(plan: OffloadPlan) -> str:
    """What the run means to do with the source's root ``ascmhl/`` (left out of the scan),
    in the words of its ignored entry, made with the plan, before the copy:
    ``HISTORY_TO_BE_CARRIED`` when the history is trusted and an ASC MHL is written (where
    it was carried is the outcome's to say: the terminal's summary; a destination that
    keeps a history of its own says so in its own warning); else "not carried: " and why
    (its warning, when there is one, says more)."""
    if not plan.source_has_history:
        history = plan.card_history
        if history is not None and history.untrusted_reason is not None:
            return "not carried: not trusted"
        return "not carried: it holds no manifest"
    mhl = _mhl_without_ascmhl(plan.options)
    if mhl is not None:
        return f"not carried: --mhl {mhl} writes no ASC MHL"
    return HISTORY_TO_BE_CARRIED


class _RecordedFiles(Collection["ManifestFile"]):
    """The files verified on one destination (now or by an earlier run), as its manifests
    record them: the ``ManifestFile`` of each made from the job's results when first read,
    then kept in a list for the next reads (the manifests read them three times: the names
    checked, the generation, the stamp's fingerprint; making them each time was ~0.1 s of
    the end at 50,000 files). The list is ~4.4 MB at 50,000 files (88 bytes a file: the
    files verified together share one ``datetime``, ``_hash_date``; a ``datetime`` each was
    ~8 MB), alive while the manifests are written, below the reports' peak, which comes
    after. Made from the results as they are when first read: read it once every copy has
    its outcome. Iterable any number of times; not thread-safe."""

    def __init__(self, files: list[FileResult], index: int, root: Path, finished_at: float):
        self._files = files
        self._index = index
        self._root = root
        self._prefix = f"{root}/"
        self._finished_at = finished_at
        self._date: tuple[float, datetime] | None = None  # the last one made, reused
        self._made: list[ManifestFile] | None = None  # once first read (the class doc)
        # the relative paths of the copies trusted from the ledger, made with the list
        self._trusted: set[str] = set()

    def _verified(self) -> Iterator[tuple[FileResult, DestinationFileResult]]:
        for file in self._files:
            result = file.destination(self._index)
            if result is not None and result.status in GOOD_STATUSES:
                yield file, result

    @property
    def anything_new(self) -> bool:
        """Some file was verified there by this run (not only trusted from the ledger)."""
        return any(r.action is not CopyAction.TRUSTED for _, r in self._verified())

    def _hash_date(self, when: float) -> datetime:
        # One datetime for the files verified at the same time (a batch's files share the
        # time the engine proved them, ``verified_at``), not one a file.
        if self._date is None or self._date[0] != when:
            # Imported here, for the manifests after the copy (~2 ms of start-up otherwise).
            from datetime import UTC, datetime

            self._date = (when, datetime.fromtimestamp(when, UTC))
        return self._date[1]

    def __iter__(self) -> Iterator[ManifestFile]:
        made = self._made
        if made is None:
            made = self._made = list(self._make())
        return iter(made)

    def trusted(self) -> _TrustedPaths:
        """The relative paths (as ``__iter__`` gives them) of the copies trusted from the
        ledger: neither read nor hashed by this run (``DestinationRecords.trusted``)."""
        return _TrustedPaths(self)

    def trusted_paths(self) -> set[str]:
        """:meth:`trusted`'s paths, the files made first (once)."""
        if self._made is None:
            self._made = list(self._make())
        return self._trusted

    def _make(self) -> Iterator[ManifestFile]:
        from offload.manifest.model import ManifestFile

        trusted = self._trusted
        trusted.clear()
        for file, result, relative in self._listed():
            if result.action is CopyAction.TRUSTED:
                trusted.add(relative)
            when = result.verified_at or self._finished_at
            date = self._date
            yield ManifestFile(
                relative,
                file.size_bytes,
                file.mtime_ns,
                # A copy trusted from the ledger: the digests of the verification that
                # proved it, never this run's read of the card for another destination
                # (which may differ between the fingerprint's bytes: nothing read it there).
                # A file failed at the source (read unlike its record) with a copy verified
                # against its record: that copy's read-back, never the card's read, which
                # no copy holds (``existing.settle``).
                result.recorded_digests
                if result.action is CopyAction.TRUSTED
                else (file.source_error is None and file.inflight_digests) or result.digests,
                date[1] if date is not None and date[0] == when else self._hash_date(when),
            )

    def relative_paths(self) -> Iterator[str]:
        """The ``relative_path`` of each file ``__iter__`` gives, in order (the manifests'
        names check reads the paths alone: ``manifests_writer.paths_of``); the files are
        made and kept by this first read, for the generation and the stamp after it."""
        return (item.relative_path for item in self)

    def elsewhere(self) -> Iterator[str]:
        """The relative path of each card file whose copy there the engine put (or was to
        put) at another name than its own (``--keep-both``: ``CLIPS/a (1).mov`` beside a
        file kept at ``CLIPS/a.mov``), whatever became of it."""
        index, root, prefix = self._index, self._root, self._prefix
        for file in self._files:
            result = file.destination(index)
            if result is None:
                continue
            path = result.final_path
            relative = file.relative_path
            if path == prefix + relative:
                continue  # the engine's f"{root}/{relative}": its own name
            try:
                if _relative_to(path, root, prefix, file) != relative:
                    yield relative
            except ValueError:  # not below the root as spelled: not known to be elsewhere
                continue

    def _listed(self) -> Iterator[tuple[FileResult, DestinationFileResult, str]]:
        # ``_verified`` and ``_relative_to`` written out (~1 µs a file in calls alone at
        # 50,000 files). The same files, in order.
        index, root, prefix = self._index, self._root, self._prefix
        cut = len(prefix)
        for file in self._files:
            for result in file.destinations:  # FileResult.destination(index): the first
                if result.destination_index == index:
                    break
            else:
                continue
            if result.status not in GOOD_STATUSES:
                continue
            path = result.final_path
            relative = file.relative_path
            if (
                len(path) == cut + len(relative)
                and path.startswith(prefix)
                and path.endswith(relative)
                and "//" not in path
                and "/./" not in path
            ):
                pass  # the engine's f"{root}/{relative}": the file's own string
            else:
                relative = _relative_to(path, root, prefix, file)
            yield file, result, relative

    def __len__(self) -> int:
        return sum(1 for _ in self._verified())

    def __contains__(self, item: object) -> bool:
        return any(item == recorded for recorded in self)


class _TrustedPaths(Container[str]):
    """The paths of *files*' copies trusted from the ledger (``_RecordedFiles.trusted``),
    gathered when first asked (with the files' records, which the manifests make anyway)."""

    def __init__(self, files: _RecordedFiles) -> None:
        self._files = files

    def __contains__(self, path: object) -> bool:
        return path in self._files.trusted_paths()


class _CardPaths:
    """The relative paths of *tree*'s files, links and folders whose copy on one destination
    stands (or was to stand) at that path, as a set made when first asked
    (``DestinationRecords.card_paths``: asked only of what no generation lists and no
    history records, which a clean copy root holds none of, so 50,000 paths are not
    gathered for nothing). A file *files* (that destination's) put at another name
    (``--keep-both``: ``a (1).mov``) is left out: what stands at its own name is not its
    copy. Made before it is kept, so a second caller never sees half of it."""

    def __init__(self, tree: SourceTree, files: _RecordedFiles) -> None:
        self._tree = tree
        self._files = files
        self._paths: frozenset[str] | None = None

    def __contains__(self, path: object) -> bool:
        paths = self._paths
        if paths is None:
            tree = self._tree
            elsewhere = set(self._files.elsewhere())
            paths = self._paths = frozenset(
                itertools.chain(
                    (f.relative_path for f in tree.files if f.relative_path not in elsewhere),
                    (link.relative_path for link in tree.symlinks),
                    tree.directories,
                )
            )
        return path in paths


def _records(plan: OffloadPlan, report: OffloadReport) -> OffloadRecords:
    """What the manifests of each destination not lost record (manifests_writer's inputs)."""
    from offload.manifests_writer import DestinationRecords, LinkToRecord, OffloadRecords

    lost = {d.index for d in report.job.destinations if d.lost}
    destinations = []
    for dest_plan in plan.plans:
        if dest_plan.index in lost:
            continue
        index, root = dest_plan.index, dest_plan.root
        files = _RecordedFiles(report.job.files, index, root, report.job.finished_at)
        made = {
            link.relative_path
            for link in report.symlinks
            if link.destination_index == index and link.status is not SymlinkStatus.FAILED
        }
        links = tuple(
            LinkToRecord(relative_path=link.relative_path, target=link.target)
            for link in plan.tree.symlinks
            if link.relative_path in made
        )
        destinations.append(
            DestinationRecords(
                index=index,
                root=root,
                destination=dest_plan.destination,
                files=files,
                anything_new=files.anything_new,
                links=links,
                state_stamp=index not in plan.backends,  # S3: its state is a staging copy
                read_back=report.read_back.get(index, {}),
                card_paths=_CardPaths(plan.tree, files),
                trusted=files.trusted(),
            )
        )
    return OffloadRecords(
        source=plan.source,
        card_has_history=plan.source_has_history,
        directories=plan.tree.directories,
        algorithms=tuple(plan.options.copy.algorithms),
        ignore_patterns=(*plan.options.ignore.patterns, *TOOL_IGNORE_PATTERNS),
        started_at=report.job.started_at,
        destinations=tuple(destinations),
        fast_copy=plan.stands_in_for is not None,
        source_copy=plan.source_is_copy,
    )


def _relative_times(plan: OffloadPlan, folder_times: Mapping[Path, int]) -> dict[str, int]:
    """*folder_times* (by the card folder's path) by the folder's relative path, as the
    manifests list folders; a folder whose time was not taken is left out (undated)."""
    root = plan.tree.root
    return {
        relative: folder_times[folder]
        for relative in plan.tree.directories
        if (folder := root.joinpath(*relative.split("/"))) in folder_times
    }


def _relative_to(path: str, root: Path, prefix: str, file: FileResult) -> str:
    """*path* relative to *root* (``/``-separated): *file*'s own relative path when *path*
    is that path under *root* (no new string a file), a string cut where it can be (the
    engine's final paths are ``f"{root}/{relative}"``), a Path otherwise."""
    if path.startswith(prefix) and "//" not in path and "/./" not in path:
        relative = file.relative_path
        if len(path) == len(prefix) + len(relative) and path.endswith(relative):
            return relative
        return path[len(prefix) :]
    return Path(path).relative_to(root).as_posix()


def card_name(plan: OffloadPlan) -> str:
    """The name of the card *plan* offloads: its source's, or where that is one folder of a
    card (``part_of_volume.card_of``: its ``source-part-of-volume`` warning) the card's
    (its volume label, else its mount folder's name): the JSON's default reel, which the
    documents and ``offload history`` name the card by."""
    from offload.part_of_volume import absent_card_name, card_of

    warnings = [w.as_report_dict() for w in plan.preflight.warnings]
    found = card_of(warnings, plan.source_volume)
    if found is not None:
        return found[1]
    # A cascade re-run without its card, whose run offloaded one folder of it.
    return absent_card_name(warnings) or plan.source.name


def _production_fields(plan: OffloadPlan) -> dict[str, str | None]:
    production = plan.options.production
    manifests = plan.options.manifests
    return {
        "production": production.production,
        "shoot_day": production.shoot_day,
        "camera": production.camera,
        # A source that is one folder of a card: the card's name, not the folder's ("CLIP").
        "reel": production.reel or card_name(plan),
        "author_name": manifests.author_name,
        "author_email": manifests.author_email,
        "author_role": manifests.author_role,
        "location": manifests.location,
        "comment": manifests.comment,
    }


def offload(
    source: Path | str,
    destinations: Sequence[Path | str],
    *,
    options: OffloadOptions | None = None,
    sink: EventSink | None = None,
    cancel: CancelToken | None = None,
) -> OffloadReport:
    """plan_offload + run_offload. Raises UsageError for bad input (nothing written)."""
    return run_offload(plan_offload(source, destinations, options), sink=sink, cancel=cancel)


def _kept_partials_message(kept: Sequence[tuple[str, int]]) -> str:
    """The warning for partials kept because no lock says whether their writer is alive."""
    folders = sorted({os.path.dirname(path) for path, _ in kept})
    where = folders[0] if len(folders) == 1 else f"{folders[0]} and {len(folders) - 1} more"
    return (
        f"{len(kept)} partial file(s) ({sum(size for _, size in kept) / 1e6:.1f} MB) of "
        f"earlier runs kept in {where}: this filesystem has no locks, so a live offload "
        "writing them cannot be told from a dead one; they are removed once "
        f"{UNASKABLE_STALE_S // 3600} hours old, "
        "or remove the .offload-partial.* files there yourself once no offload runs"
    )


def _unremoved_partials_message(failed: Sequence[tuple[str, OSError]]) -> str:
    """The warning for partials of earlier runs this run could not remove (the drive
    refused to stat or unlink them: EIO of a filesystem damaged by a power cut, EROFS)."""
    folders = sorted({os.path.dirname(path) for path, _ in failed})
    where = folders[0] if len(folders) == 1 else f"{folders[0]} and {len(folders) - 1} more"
    return (
        f"{plural(len(failed), 'partial file')} of earlier runs could not be removed from "
        f"{printable_name(where)} ({describe_os_error(failed[0][1])}): "
        + (
            "it is kept, still taking its room"
            if len(failed) == 1
            else "they are kept, still taking their room"
        )
        + "; check that drive's filesystem (a power cut may have damaged it: fsck, or "
        "chkdsk for NTFS), then run the same command again to remove "
        + ("it" if len(failed) == 1 else "them")
    )


def _remove_stray_partials(
    tree: SourceTree,
    plan: DestinationPlan,
    ledger: Ledger,
    held: Collection[str],
    kept: list[tuple[str, int]] | None = None,
    failed: list[tuple[str, OSError]] | None = None,
) -> int:
    """Delete the partial files an interrupted run left in the folders this offload writes
    to (only those: with --into, DEST may hold much else), and only those whose writer is
    provably gone (``plan.strays``: another live run into a copy root nested with ours
    writes there too; *held*: the real paths of the copy roots this run has locked);
    returns how many. *kept* gets those kept only because no lock can say (``plan.strays``);
    *failed* those the drive refused to stat or unlink, with the error.

    A partial that the ledger's last entry for its file names is the ledger's proof that the
    rename never happened (a run of a version that recorded a file before renaming it was
    killed in between; ``Ledger.recorded_file`` refuses the entry while that partial exists).
    Deleting it alone would turn the entry into a false proof (with --overwrite, an older file
    of the same size and mtime under the final name would then be trusted). So such entries are
    revoked first, durably (one appended and fsynced ``revoked`` entry per file), and only
    then are their partials deleted. Crash-safe at every step: killed before the revocation
    is durable, the partial and the entry are both still there (the entry is still refused);
    killed after it, the entry is revoked whatever happens to the partial (a later run
    deletes it as an ordinary stray). If the ledger cannot be read or the revocation cannot
    be written, those partials are kept (they cost space, never a wrong "verified").
    """
    strays = [path for path, _ in stray_partials(tree, plan, held=held, kept=kept, failed=failed)]
    if not strays:
        return 0
    try:
        known = ledger.load()
    except OSError:
        known = None
    # The unproven renames: the last entry of a file records a copy and names a partial here.
    proofs: dict[str, str] = {}
    for relative_path, entry in (known or {}).items():
        if entry.vouches and entry.partial_name:
            partial = plan.target_for(relative_path).with_name(entry.partial_name)
            proofs[str(partial)] = relative_path
    keep: set[str] = set(strays) if known is None else set()
    revoke = sorted({proofs[path] for path in strays if path in proofs})
    if revoke:
        try:
            latest = known or {}  # read: every revoked path is one of its entries
            # No record kept: the rename never happened, the file at the name is not the
            # copy the entry records (``Ledger.revoke``'s *unproven*).
            ledger.revoke(
                {relative_path: latest[relative_path].card for relative_path in revoke},
                unproven=True,
            )
        except OSError:
            keep.update(path for path in strays if path in proofs)
    return remove_strays((path for path in strays if path not in keep), failed)


def _unlink_each(paths: Iterable[str | Path]) -> int:
    """Delete each of *paths*; how many were. One that cannot be deleted is kept (never
    raises): the next run tries again. One in a held ``.offload`` is removed in the folder
    the lock holds (``state_folder.unlink_in``), never another one swapped in."""
    from offload.state_folder import unlink_in

    removed = 0
    for path in paths:
        try:
            if not os.path.lexists(path):
                continue  # gone already (``unlink_in`` takes that for done): not counted
            unlink_in(path)
            removed += 1
        except OSError:
            pass
    return removed


def _remove_stale_temps(root: Path, said: list[str]) -> RemovedUnfinished:
    """Delete the temporary files a run that died left while it wrote a manifest or a job
    report in the copy root *root* (``manifest.atomic``: a dot, the final name, the writer's
    pid, ``.partial``): in ``ascmhl/`` (a generation or the chain file), at the root (the
    legacy MHL ``<root>_<date>_<time>.mhl``), in ``.offload/reports/`` and ``.offload/`` (the
    stamp of complete manifests, ``manifest_stamp``; the ledger written whole where appending
    is refused, ``Ledger._rewrite``; the record of a generation being committed,
    ``manifest.unchained_own``; the record of the last run, ``run_record``), each only when its
    writer is not alive (this run holds the copy root's lock: no other offload writes its
    manifests there now). Returns how many were deleted, by kind (manifest, ledger or
    record, report files); one that cannot be is kept. A
    folder that cannot be listed (whole) adds its line to *said*
    (``manifest.atomic.could_not_look``), and so do the report files deleted, in the words
    the user's report folder's are said in (``job_report.dead_reports_removed``: README
    promises one WARNING line; before, only the JSON's ``removed_stray_partials`` counted
    them)."""
    from offload.manifest.layout import ASCMHL_FOLDER
    from offload.manifest_stamp import STAMP_NAME

    prefix = f"{root.name}_"
    # Each folder, which of its temporaries are ours, and the kind they are counted as.
    folders: list[tuple[Path, Callable[[str], bool], str]] = [
        (root / ASCMHL_FOLDER, lambda name: name.endswith((".mhl", ".xml")), "manifest_files"),
        (root, lambda name: name.startswith(prefix) and name.endswith(".mhl"), "manifest_files"),
        (root / STATE_FOLDER / "reports", lambda name: True, "report_files"),
        (
            root / STATE_FOLDER,
            lambda name: (
                name
                in (STAMP_NAME, LEDGER_NAME, GENERATION_RECORD_NAME, run_record.RUN_RECORD_NAME)
            ),
            "ledger_files",
        ),
    ]
    removed = RemovedUnfinished()
    for folder, is_ours, kind in folders:
        try:
            with os.scandir(folder) as entries:
                if not any(entry.name.endswith(".partial") for entry in entries):
                    continue  # the usual case: nothing to parse, nothing imported
        except FileNotFoundError:
            continue  # not made yet: nothing in it
        except OSError:
            pass  # said below, by the listing that judges them
        from offload.manifest.atomic import could_not_look, stale_temp_files
        from offload.state_folder import check_under

        try:
            check_under(folder)  # another folder at ``.offload``'s name: none of ours there
        except OSError:
            continue  # (this run's writes there fail, each saying it)
        found = stale_temp_files(folder, is_ours)
        gone = [path for path in found.paths if _unlink_each([path])]
        setattr(removed, kind, getattr(removed, kind) + len(gone))
        if gone and folder == root / STATE_FOLDER / "reports":
            from offload.report.job_report import dead_reports_removed

            said.append(dead_reports_removed(folder, [printable_name(p.name) for p in gone]))
        if found.unlisted is not None:  # never taken for "nothing left there"
            said.append(
                could_not_look(folder, "the unfinished files a killed run left", found.unlisted)
            )
    return removed


def _make_symlinks(
    tree: SourceTree, plan: DestinationPlan, unproven: Mapping[str, str]
) -> list[SymlinkResult]:
    """Make each link of the card on the destination of *plan*, but those in *unproven*
    (link → the error saying why the file it leads to there is not the card's proven copy):
    such a link is not made (FAILED), since it would lead to content that is not the card's."""
    results = []
    for link in tree.symlinks:
        target = plan.target_for(link.relative_path)
        result = SymlinkResult(plan.index, link.relative_path, link.target, SymlinkStatus.CREATED)
        error = unproven.get(link.relative_path)
        if error is not None:
            result.status, result.error = SymlinkStatus.FAILED, error
            results.append(result)
            continue
        try:
            if os.path.islink(target) and os.readlink(target) == link.target:
                result.status = SymlinkStatus.SKIPPED
            else:
                os.makedirs(target.parent, exist_ok=True)
                os.symlink(link.target, target)
                os.utime(target, ns=(link.mtime_ns, link.mtime_ns), follow_symlinks=False)
        except OSError as exc:
            result.status = SymlinkStatus.FAILED
            result.error = f"cannot create symlink {target}: {_link_error(exc)}"
        results.append(result)
    return results


def _link_error(exc: OSError) -> str:
    """Why a symlink could not be made, in words: a filesystem without symlinks (exFAT,
    FAT) answers ENOSYS or EOPNOTSUPP through FUSE and EPERM in the kernel, not a reason
    anyone reading the summary should have to decode."""
    if exc.errno in (errno.ENOSYS, errno.EOPNOTSUPP):
        return (
            "the destination's filesystem holds no symlinks (exFAT, FAT): the link is not "
            "copied; remove it from the card, or copy the card to a drive that holds links"
        )
    if exc.errno == errno.EPERM:
        return (
            "not permitted (a filesystem without symlinks, such as exFAT or FAT, refuses "
            "them so): the link is not copied; remove it from the card, or copy the card to "
            "a drive that holds links"
        )
    return exc.strerror or str(exc)


def _make_folders(
    tree: SourceTree, plan: DestinationPlan, not_made: set[Path] | None = None
) -> list[str]:
    """Create every folder (empty ones too) and make the new names durable. Each folder
    that could not be created is added to *not_made* where given (``_set_folder_times``
    asks no time of it: its error is this one, never a follow-on ENOENT)."""
    errors = []
    created: set[Path] = set()
    for on_card in tree.directories:
        folder = plan.target_for(on_card)
        # os.path.isdir, not Path.is_dir: a drive gone since its copies (ENOTCONN, EIO)
        # must reach makedirs, whose error is recorded against it, not end the run.
        if os.path.isdir(folder):
            continue
        try:
            os.makedirs(folder, exist_ok=True)
            created.add(folder.parent)
        except OSError as exc:
            line = f"cannot create folder {folder}: {exc.strerror or exc}"
            if not_made is not None:
                not_made.add(folder)
            if exc.errno == errno.EILSEQ:
                line = f"{line}; {name_refused_advice(str(on_card), folder=True)}"
            errors.append(line)
    for parent in sorted(created, key=lambda p: len(p.parts), reverse=True):
        try:
            fsync_dir(parent)
        except OSError as exc:
            errors.append(f"cannot flush folder {parent}: {exc.strerror or exc}")
    return errors


def _fusefat_roots(root: Path) -> set[Path]:
    """The folders of copy root *root* (itself included) that are the root of a drive in
    ``filesystem.ROOT_TAKES_NO_TIME``, spelled from *root*. Never raises; reads the mount
    table twice, and once more for each drive mounted below *root*."""
    from offload.plan.filesystem import ROOT_TAKES_NO_TIME, detect_filesystem
    from offload.plan.preflight.drives import mounted_below

    found = {path for _, path in mounted_below(root)}
    try:
        if os.path.ismount(root):
            found.add(root)
    except OSError:
        pass
    return {path for path in found if detect_filesystem(path).fstype in ROOT_TAKES_NO_TIME}


#: The errors setting a folder's time that the whole destination filesystem answers, not one
#: folder (``_set_folder_times`` asks no other folder's after one): read-only (EROFS: mounted
#: so, or remounted by a journal abort), full (ENOSPC, EDQUOT: no room for the change), or
#: gone (``DRIVE_GONE_ERRNOS``: ENOTCONN, ENODEV, ESTALE...). Not EACCES or EPERM (one
#: folder's owner or mode), nor EIO (a bad block may hold one folder's inode and not the
#: next's: each is asked, and its own answer reported).
WHOLE_FILESYSTEM_ERRNOS = frozenset({errno.EROFS, errno.ENOSPC, errno.EDQUOT}) | DRIVE_GONE_ERRNOS


def _set_folder_times(
    tree: SourceTree,
    plan: DestinationPlan,
    times: Mapping[Path, int] | None = None,
    not_made: Collection[Path] = (),
) -> list[tuple[str, OSError | None]]:
    """Give every folder its source mtime, deepest first (a child's entries change the
    parent's time); from *times* (source path → mtime) where given, else from the card.
    A folder that is the root of a fusefat drive (the copy root, or a folder below it, a
    drive mounted there) is left as it is: a FAT volume's root has no entry to hold a time,
    and fusefat's daemon dies when asked to set one (every later access: ENOTCONN).
    Returns each error's message, with the destination's OSError where the destination
    refused the time (None: the card's folder could not be read, a fault of the card).

    Once the destination refuses one folder's time with an error of its whole filesystem
    (``WHOLE_FILESYSTEM_ERRNOS``: read-only, full, gone), no other folder's is asked: each
    is returned as not attempted, with that refusal's OSError (its errno, its doubt). A
    card of 300 clip folders on a drive remounted read-only asked 300 times before, each
    refused.

    A folder in *not_made* (``_make_folders`` could not create it, its error reported
    then), or below one, is not asked: its time's ENOENT would be a follow-on of that
    error, reported again (a folder refused EPERM by an immutable parent: one line per
    clip folder below it said "No such file or directory" as well)."""
    errors: list[tuple[str, OSError | None]] = []
    whole: tuple[Path, OSError] | None = None  # the folder whose refusal stands for all
    folders = [plan.target_for(d) for d in tree.directories]
    sources = [tree.root.joinpath(*d.split("/")) for d in tree.directories]
    if plan.creates_root:
        folders.append(plan.root)
        sources.append(tree.root)
    untimed = _fusefat_roots(plan.root)
    for folder, source in sorted(
        zip(folders, sources, strict=True), key=lambda pair: len(pair[0].parts), reverse=True
    ):
        if folder in untimed:
            continue
        if not_made and (folder in not_made or any(p in not_made for p in folder.parents)):
            continue
        if whole is not None:
            first, refusal = whole
            errors.append(
                (
                    f"did not try to set the time of folder {folder}: setting the time of "
                    f"folder {first} failed with {refusal.strerror or refusal}, which the "
                    "whole filesystem answers, not one folder (its copies are not affected; "
                    "run the same command again to set it)",
                    refusal,
                )
            )
            continue
        try:
            mtime = times[source] if times and source in times else os.lstat(source).st_mtime_ns
        except OSError as exc:  # the card's folder: the source is the problem, not the copy
            errors.append(
                (
                    f"{loss.CARD_FOLDER_UNREAD} {source} (for {folder}): "
                    f"{exc.strerror or exc}; check the card and the reader (was it removed?)",
                    None,
                )
            )
            continue
        try:
            os.utime(folder, ns=(mtime, mtime))
        except OSError as exc:
            errors.append(
                (
                    f"cannot set the time of folder {folder}: {exc.strerror or exc} (its "
                    "copies are not affected; run the same command again to set it)",
                    exc,
                )
            )
            if exc.errno in WHOLE_FILESYSTEM_ERRNOS:
                whole = (folder, exc)
    return errors


def _copy_root_history() -> ModuleType:
    """The destinations' ASC MHL histories read before the copy (``copy_root_history``),
    imported only for a run that writes ASC MHL manifests."""
    from offload import copy_root_history

    return copy_root_history


def _history_formats() -> ModuleType:
    """The copy roots' histories' formats (``history_formats``), imported only for a run
    with copies to read back that writes ASC MHL."""
    from offload import history_formats

    return history_formats


def _history_of(plan: OffloadPlan, roots: Mapping[int, Path], index: int) -> History:
    """The ASC MHL history of destination *index*'s copy root: read there, or downloaded
    from its bucket (``s3card.history_of``)."""
    backend = plan.backends.get(index)
    if backend is None:
        from offload.manifest.history import read_history

        return read_history(roots[index])
    history: History = _s3().history_of(backend, roots[index])
    return history


def _read_back_in_history_formats(
    outcomes: Sequence[CheckOutcome], roots: Mapping[int, Path]
) -> dict[int, dict[str, dict[str, str]]]:
    """The digests in its copy root's history's formats of each copy read back now and found
    equal (``CheckOutcome.history_digests``), by destination index and path relative to
    that copy root (``DestinationRecords.read_back``)."""
    found: dict[int, dict[str, dict[str, str]]] = {}
    for outcome in outcomes:
        check = outcome.check
        if not outcome.history_digests or not outcome.matched or outcome.error:
            continue
        relative = check.final_path.relative_to(roots[check.destination_index]).as_posix()
        found.setdefault(check.destination_index, {})[relative] = outcome.history_digests
    return found
