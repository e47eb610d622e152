"""Cascading copy (``offload copy --cascade`` / ``--cascade-to``): slow destinations fed
from a verified fast copy, after the card was released.

The card layer (``card.run_offload``) runs its first CopyJob with the slow destinations'
targets set to None: one read of the card feeds the fast destinations only. Once they are
verified and finished (links, folders, manifests, folder times), the card's pass is over
(``CardReleased``: it is not read again), and the card is released when a fast copy holds
every file read back by this run; one holding copies an earlier run verified (trusted from
its ledger, not read back now) releases it only once the cascade's read of those matched the
card's digests (``_release_after_reread``). Then a second CopyJob feeds the slow
destinations: each task's source is the final path of the file on a fast destination
(re-read from its media), and its ``reference_digests`` are the card's digests (the
in-flight digests of the first pass, or, for a file an earlier run verified on the fast
destination, the digests its ledger recorded): a fast copy that no longer matches fails the
file on the slow destinations, named, and nothing is published there; that fast copy is
failed too and its ledger entry revoked (``_fail_damaged``: a re-run reads it back). A file
that no fast destination holds cannot be cascaded: it fails on the slow ones with the
reason. Results are merged into the card's JobReport, so reports, manifests and the exit
code cover every destination.

A re-run resumes the slow destinations through their ledgers; what the fast ones hold is
fed from them again, never read from the card (the card is scanned for its file list). A
re-run whose card is gone (ejected once released, as the terminal said it could be) takes
its plan from a fast copy that holds the card complete and verified (``fast_copy_source``:
the record of the card's pass written at the release, ``CARD_PASS_RECORD``, and the copy's
ledger): that copy is the source, checked against the card's digests its ledger recorded,
and feeds the slow destinations; without one the re-run is refused (``card_absent``, exit 64)
(docs/design.md, "Cascading copy").
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from offload.destinations.s3url import display_path, is_s3_url
from offload.engine.cancel import CancelToken
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.errors import (
    DRIVE_GONE_ERRNOS,
    REREAD_ALIKE_CAUSE,
    CancelledError,
    UsageError,
    printable_name,
)
from offload.events import (
    CardReleased,
    DestinationLost,
    Event,
    EventSink,
    FileCancelled,
    FileFailed,
    WarningIssued,
    accepts_of,
    phases_of,
)
from offload.existing import needs_source, settle_rewrites
from offload.fs.ops import fsync_dir
from offload.hashing.registry import comparable_digest
from offload.ledger import (
    STATE_FOLDER,
    THROUGH_A_CACHE,
    TOOL_IGNORE_PATTERNS,
    Ledger,
    LedgerEntry,
    recorded_entry,
    removed_words,
)
from offload.local_looked_again import DriveGone, found_at, run_known_of
from offload.manifest.history import ASCMHL_FOLDER
from offload.model import SourceFile, dated_as_card
from offload.options import ExistingFilePolicy, VerifyMode
from offload.part_of_volume import PartOfVolume
from offload.plan import IgnoreRules, PreflightItem, ScanError, SourceTree, scan_source
from offload.plan.codes import LeftOut, LeftOutEntry, PreflightCode
from offload.remedies import EARLIER_KINDS, FAST_REFUSALS, Refusal, refuses_never
from offload.report.cascade_words import NOT_FOUND_BAD, refused_fixes, refused_holder
from offload.results import (
    GOOD_STATUSES,
    DestinationFileResult,
    DestinationStatus,
    FastCopyFailure,
    FileResult,
    JobReport,
    merge_job_reports,
    was_proved,
)
from offload.state_folder import check_held, unlink_in

if TYPE_CHECKING:
    from offload.card import OffloadOptions, OffloadPlan, OffloadReport
    from offload.engine.devices import DeviceGroup
    from offload.plan_reads import PlanReads

# Which fast copy feeds the cascade: one verified now, else one verified earlier, else one
# transfer-checked only (it is hashed again on its way to the slow destinations anyway).
_PREFERENCE = {
    DestinationStatus.VERIFIED: 0,
    DestinationStatus.VERIFIED_EARLIER: 1,
    DestinationStatus.TRANSFER_CHECKED: 2,
}


class _Damaged(NamedTuple):
    """A fast copy the report called good that the cascade found no longer so
    (``_fail_damaged``): its file's path, its destination's index, why (its error's words)
    and the kind of that failure (``FastCopyFailure``: what the cascade's words read)."""

    relative: str
    destination: int
    why: str
    kind: FastCopyFailure


class _Fed(NamedTuple):
    """Which fast copy fed a file to the cascade (``_cascade_tasks``): its position among
    the file's candidates, how many candidates there are, its destination index, and its
    status (what it proved: ``results.was_proved``)."""

    position: int
    candidates: int
    destination: int
    status: DestinationStatus


# A file the cascade did not feed: no candidate, nothing proved.
_NOT_FED = _Fed(0, 1, -1, DestinationStatus.VERIFIED)


def check_cascade(plan: OffloadPlan) -> None:
    """Refuse (UsageError, nothing written) a cascade that cannot be fed: it needs at least
    one local destination that is not cascaded (the copy the slow ones are read from)."""
    cascade = plan.options.cascade
    count = len(plan.plans)
    bad = sorted(i for i in cascade if not 0 <= i < count)
    if bad:
        raise UsageError(f"cascade: no destination number {bad[0]} ({count} destinations)")
    feeders = [p for p in plan.plans if p.index not in cascade and p.index not in plan.backends]
    if not feeders:
        raise UsageError(
            "a cascading copy needs at least one local destination that is not cascaded: the "
            "card is read once to it, then the cascaded destinations are fed from its "
            "verified copy; name a local drive, or drop --cascade/--cascade-to"
        )


# In ``<copy root>/.offload/`` of each fast local copy that holds every file of the card,
# verified, at the release: the card's path and its file list's size, and (``version`` 2)
# the card's entries its run left out that keep the card (``left_out``: path, size,
# reason; ``report.release.keeps_card``), and (``part_of_volume``, null or absent when not)
# the card's volume's other entries its source, a folder below the card's root, left
# outside (``PartOfVolume.as_dict``). A re-run without the card feeds the slow
# destinations from a copy whose record matches what it holds, and names those entries.
CARD_PASS_RECORD = "cascade-card.json"
CARD_PASS_RECORD_VERSION = 2


class FastCopy(NamedTuple):
    """A fast copy that stands for its absent card (``fast_copy_source``).

    ``root``: the copy root; ``files``: how many files it holds; ``card``: the card's
    identity its ledger recorded (``CardIdentity.key``: the one every entry of its files
    records; "" when they record none, or not all the same); ``entries``: its ledger's
    entries (the card's digests of each file); ``all_full``: whether every entry of its
    files records a ``full`` verification (the card read twice, the reads equal);
    ``dates``: by relative path, the card file's date its ledger records where the copy
    shows another (exFAT, FAT, a share: whole seconds; NTFS 100 ns), which the plan gives
    the file (``model.DatedCopy``, ``plan_offload``'s *card_dates*): the slow copies get
    the card's date, as when the card feeds them. ``left_out``: the card's entries its run
    left out that keep the card (path, size or None, reason), as its record lists them;
    None where the record (an older one) does not. ``part_of_volume``: the card's run
    offloaded only a folder of its volume, the rest left outside (the record's
    ``part_of_volume``); None where it did not, or the record (an older one) does not say."""

    root: Path
    files: int
    card: str
    entries: dict[str, LedgerEntry]
    all_full: bool
    dates: dict[str, int]
    left_out: LeftOut | None = None
    part_of_volume: PartOfVolume | None = None


def fast_copy_source(
    source: Path,
    destinations: Sequence[Path | str],
    options: OffloadOptions,
    plan: Callable[[FastCopy, OffloadOptions], OffloadPlan],
    *,
    dry_run: bool = False,
    say: Callable[[str], None] | None = None,
    reads: PlanReads | None = None,
) -> OffloadPlan:
    """For a cascade re-run whose card *source* is gone: the plan (``from_fast_copy``) fed
    from the first fast local copy that holds the card complete and verified (``FastCopy``):
    the run records the card its ledger records, not the fast copy's own volume, and trusts
    the slow destinations' entries of it. Complete: its record of the card's pass
    (``CARD_PASS_RECORD``) names this card and the files and bytes it holds now; verified:
    its ledger records every one of them verified, with the digests asked for (the card's,
    read when it was copied), and each file a cascade left marked unsettled there that the
    plan does not feed read back now and found equal (``_read_back_unfed``). A copy that
    fails any of this is passed over, the next one tried, and the plan's ``card-absent``
    warning names each copy passed over and why. *plan*: makes the plan of a candidate, its
    options those of ``fast_copy_options``. *dry_run*: nothing read back (the warning says
    what would be); *say*: told a line before a read-back starts, and *reads* each read's
    bytes as it goes (``plan_reads``; None: told nowhere). The plan names the other
    fast local copies (``OffloadPlan.other_fast_copies``, in the command line's order): a
    file this copy is read unlike the card's digests in is fed from the next of them that
    holds it (``cascade_refeed``). Raises ``card_absent``'s UsageError (nothing written) when
    no fast copy qualifies."""
    names = [str(d) for d in destinations]
    ignore = options.ignore.adding(TOOL_IGNORE_PATTERNS)
    algorithms = options.copy.algorithms
    looked: list[str] = []
    for index, name in enumerate(names):
        if index in options.cascade or is_s3_url(name):
            continue
        root = _copy_root(source, name, into=options.into)
        fast = _not_complete(source, root, ignore, algorithms)
        if isinstance(fast, str):
            looked.append(f"{root}: {fast}")
            continue
        planned = fast_copy_options(options, fast)
        candidate = plan(fast, planned)
        read = _read_back_unfed(candidate, fast, dry_run=dry_run, say=say, reads=reads)
        if read.why is not None:
            looked.append(f"{root}: {read.why}")
            continue
        others = tuple(
            _copy_root(source, other, into=options.into)
            for i, other in enumerate(names)
            if i not in options.cascade and i != index and not is_s3_url(other)
        )
        plan_from_copy = from_fast_copy(
            candidate,
            source,
            fast,
            read_once=planned.copy.verify is not options.copy.verify,
            passed_over=looked,
            read_back=read,
        )
        # A file found unlike the card there is fed from the next (``cascade_refeed``).
        return dataclasses.replace(plan_from_copy, other_fast_copies=others)
    raise card_absent(source, looked)


def empty_where_recorded(
    source: Path, destinations: Sequence[Path | str], options: OffloadOptions
) -> bool:
    """Whether *source* is an empty folder (the card's mount point left behind once it was
    unmounted: a manual or fstab mount) and a fast local copy's record of the card's pass
    (``CARD_PASS_RECORD``) names it: the cascade's re-run then stands it for the card as
    an absent one (``fast_copy_source``), as it does once that folder is removed. Safe: an
    empty folder holds nothing to offload (a plain run refuses it, exit 64), and the fast
    copy feeds only what its record and ledger vouch for. A folder holding any entry, or no
    record naming it, is not (the run goes on as before); nor is a mount point with a
    filesystem mounted on it, empty as it is (an empty card, or another card's volume that
    holds nothing: "not mounted" would be untrue, and a fixed fstab mount point is the same
    path for every card): the plain run's refusal names it. Never raises."""
    if os.path.ismount(source):
        return False
    try:
        with os.scandir(source) as entries:
            if next(entries, None) is not None:
                return False
    except OSError:  # not a folder, or unreadable: not this case
        return False
    for index, name in enumerate(str(d) for d in destinations):
        if index in options.cascade or is_s3_url(name):
            continue
        record = _copy_root(source, name, into=options.into) / STATE_FOLDER / CARD_PASS_RECORD
        try:
            named = json.loads(record.read_text("utf-8")).get("card")
        except (OSError, ValueError, AttributeError):
            continue
        if named == str(source):
            return True
    return False


def _copy_root(source: Path, destination: str, *, into: bool) -> Path:
    folder = Path(os.path.abspath(destination))
    return folder if into else folder / source.name


def _not_complete(
    source: Path, root: Path, ignore: IgnoreRules, algorithms: Sequence[str]
) -> str | FastCopy:
    """Why the copy at *root* cannot stand for the card, or the copy that can
    (``fast_copy_source``)."""
    try:
        record = json.loads((root / STATE_FOLDER / CARD_PASS_RECORD).read_text("utf-8"))
    except FileNotFoundError:
        return _why_no_record(root, ignore, algorithms)
    except (OSError, ValueError) as exc:
        return f"its record of the card's pass cannot be read ({exc})"
    if not isinstance(record, dict) or record.get("card") != str(source):
        return "its record of the card's pass names another card"
    ledger = Ledger(root)
    try:
        tree = scan_source(root, ignore=ignore)
        entries = ledger.load()
    except (ScanError, OSError) as exc:
        return f"it cannot be read completely ({exc})"
    if (tree.file_count, tree.total_bytes) != (record.get("files"), record.get("bytes")):
        return (
            f"it holds {tree.file_count} files ({tree.total_bytes} bytes), the card's pass "
            f"recorded {record.get('files')} ({record.get('bytes')} bytes)"
        )
    cards = set()
    all_full = True
    dates: dict[str, int] = {}
    for file, entry in _verified_entries(tree, entries, algorithms, ledger):
        if entry is None:
            return f"its ledger does not record {file.relative_path} verified as it is now"
        cards.add(entry.card)
        all_full &= entry.verify == VerifyMode.FULL
        if entry.mtime_ns != file.mtime_ns:
            dates[file.relative_path] = entry.mtime_ns
    card = cards.pop() if len(cards) == 1 else ""
    return FastCopy(
        root,
        tree.file_count,
        card,
        entries,
        all_full,
        dates,
        _left_out(record),
        _part_of_volume(record),
    )


def _part_of_volume(record: dict[str, object]) -> PartOfVolume | None:
    """The card's volume's entries its run left outside its source (``_card_part_of_volume``),
    as the record of its pass gives them; None where it left none, or the record (an older
    one, without the key) does not say."""
    return PartOfVolume.of(record.get("part_of_volume"))


def _left_out(record: dict[str, object]) -> LeftOut | None:
    """The card's entries its run left out, as the record of its pass lists them
    (``_record_card_pass``); None for a record older than that list, or one unreadable."""
    entries = record.get("left_out")
    if record.get("version") != CARD_PASS_RECORD_VERSION or not isinstance(entries, list):
        return None
    found = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            return None
        size = entry.get("size")
        found.append(
            LeftOutEntry(
                entry["path"],
                size if isinstance(size, int) else None,
                str(entry.get("reason")),
                entry.get("kind") == "folder",
            )
        )
    return tuple(found)


def _verified_entries(
    tree: SourceTree, entries: dict[str, LedgerEntry], algorithms: Sequence[str], ledger: Ledger
) -> Iterator[tuple[SourceFile, LedgerEntry | None]]:
    """Each file of *tree* and its ledger entry from *entries* if that records it verified
    as it is now (its size, its date as the copy root's filesystem stores the recorded one,
    ``Ledger.holds_date``: the card's date, which exFAT or FAT round; the digests asked
    for), else None."""
    for file in tree.files:
        relative = file.relative_path
        recorded = entries.get(relative)
        date = file.mtime_ns
        if recorded is not None and ledger.holds_date(recorded.mtime_ns, date):
            date = recorded.mtime_ns
        entry = recorded_entry(
            entries, relative, size_bytes=file.size_bytes, mtime_ns=date, algorithms=algorithms
        )
        yield file, entry if entry is not None and entry.state == "verified" else None


# Why a fast copy holds no record of the card's pass (``_not_complete``) when every file of
# it is verified but some only through a cache: the pass did verify it, not from the media.
_READ_THROUGH_A_CACHE = (
    "its copies were read back through a cache (RAM, a server), not from the media: "
    "it cannot stand for the card"
)


def _why_no_record(root: Path, ignore: IgnoreRules, algorithms: Sequence[str]) -> str:
    """Why the fast copy at *root* has no record of the card's pass (``_release`` writes
    none unless every file was read back from the media): its ledger records every file
    verified, some through a cache (``THROUGH_A_CACHE``: a tmpfs, a FUSE filesystem without
    a block device): said as such; else (a file failed, transfer-checked only, not copied,
    or nothing readable) no record at all. Where the copy root or its state folder is not
    there at all (no copy of ours was ever verified there), the likely cause is named: its
    drive not mounted, its mount point the bare folder on the disk below."""
    unrecorded = "no record that the card's pass verified every file there"
    if not root.is_dir():
        return f"{unrecorded}: the folder does not exist (is its drive mounted?)"
    if not (root / STATE_FOLDER).is_dir():
        return (
            f"{unrecorded}: it holds no {STATE_FOLDER} folder, so no offload verified a copy "
            "there (is its drive mounted?)"
        )
    ledger = Ledger(root)
    try:
        tree = scan_source(root, ignore=ignore)
        entries = ledger.load()
    except (ScanError, OSError):
        return unrecorded
    cached = False
    for _file, entry in _verified_entries(tree, entries, algorithms, ledger):
        if entry is None:
            cached = False
            break
        cached |= entry.cache_bypass in THROUGH_A_CACHE
    return _READ_THROUGH_A_CACHE if cached else unrecorded


def card_absent(source: Path, looked: Sequence[str]) -> UsageError:
    """The refusal of a cascade re-run whose card is gone and no fast copy can stand for it
    (nothing written): one line, what was looked at, what to do."""
    detail = "; ".join(looked) or "no local destination that is not cascaded"
    return UsageError(
        f"the card {printable_name(str(source))} is absent and no fast copy holds it complete, "
        "read back from its media "
        f"({detail}); nothing was written: insert the card and run the same command again",
        path=source,
    )


# The card's digests a fast copy's ledger recorded (the card's pass read them from the card
# and verified the copy with them), as the record a file is found unlike.
LEDGER_RECORD = "the card's digests in the fast copy's ledger"


def fast_copy_options(options: OffloadOptions, fast: FastCopy) -> OffloadOptions:
    """The options the plan of a cascade re-run without its card is made with (its source
    the fast copy *fast*, its destinations the slow ones): no cascade; and ``--verify full``
    turned ``destination`` where the copy's ledger records any file verified by less than
    ``full``: the card was read once for it, and a second read of the copy (all ``full``
    would add) reads the copy twice, never the card. Decided before the plan, so that the
    planner judges the slow copies' entries by what the run proves (a ``destination`` entry
    is then trusted, never an upgrade read back again on every later re-run), and the slow
    copies are never recorded ``full`` on one read of the card."""
    options = dataclasses.replace(options, cascade=frozenset())
    if options.copy.verify is VerifyMode.FULL and not fast.all_full:
        copy = dataclasses.replace(options.copy, verify=VerifyMode.DESTINATION)
        options = dataclasses.replace(options, copy=copy)
    return options


def from_fast_copy(
    plan: OffloadPlan,
    card: Path,
    fast: FastCopy,
    *,
    read_once: bool = False,
    passed_over: Sequence[str] = (),
    read_back: ReadBack | None = None,
) -> OffloadPlan:
    """The plan of a cascade re-run without its card (*plan*: an ordinary offload of the fast
    copy *fast* to the slow destinations, made with ``fast_copy_options``): each file is
    checked against the card's digests the copy's ledger recorded, and a warning says
    plainly that the card is absent and which copy is the source (the terminal, the
    reports, --dry-run). *read_once*: ``--verify full`` was asked and ``fast_copy_options``
    made it ``destination``: the warning says why. *passed_over*: each fast copy tried
    first and why it could not stand for the card (``fast_copy_source``), named in the
    warning; *read_back*: what ``_read_back_unfed`` read of this copy (a read through a
    cache counts as one, as a ledger entry that says so does)."""
    entries = fast.entries
    algorithms = plan.options.copy.algorithms
    read_back = read_back or ReadBack()
    tasks = []
    # A file the copy's ledger records read back through a cache (RAM, a server's) when it
    # was verified there, or not at all: that read proved no media, so the copy does not
    # count as a backup of the card (report/release._stand_in_disk reads this); so with a
    # marked file read back now through a cache (``_read_back_unfed``).
    through_a_cache = read_back.through_a_cache > 0
    for task in plan.tasks:
        entry = entries.get(task.source.relative_path)
        through_a_cache |= entry is None or entry.cache_bypass in THROUGH_A_CACHE
        digests = entry.digests if entry is not None else {}
        # Only what this run computes can be compared (the cascade's own rule).
        recorded = {name: digests[name] for name in algorithms if name in digests}
        reference = {**task.reference_digests, **recorded}
        # The record a copy already there is found unlike by (``existing.check_existing``'s
        # line), named as read: the ledger's digests, and the fast copy's own history or a
        # legacy MHL on it (``task.reference_record``) where they give a format the ledger
        # lacks; never the card's history, which this run did not read.
        record = task.reference_record
        if recorded:
            record = (
                f"{LEDGER_RECORD} and {record}"
                if record and any(name not in recorded for name in task.reference_digests)
                else LEDGER_RECORD
            )
        tasks.append(
            dataclasses.replace(
                task,
                reference_digests=reference,
                reference_record=record,
                reference_origin=f"the card's digests (recorded in {plan.source} when it was "
                "copied from the card); the copy changed since it was verified",
            )
        )
    slow = ", ".join(display_path(p.destination) for p in plan.plans)
    warning = PreflightItem(
        PreflightCode.CARD_ABSENT,
        card,
        f"the card {card} is absent"
        # Its mount point left behind, empty (``empty_where_recorded``): said, so that a
        # card not mounted there is not taken for one that holds nothing.
        + (" (an empty folder is left where it was: not mounted)" if card.is_dir() else "")
        + f": the source is its fast copy {plan.source}, which holds "
        f"all {fast.files} files of the card's pass, each verified there"
        + (
            " (some read back only through a cache: not counted as a backup)"
            if through_a_cache
            else ""
        )
        + f" (checked against the card's digests its ledger recorded); {slow} fed from it"
        + (
            "; verified by destination, not full: the card was read once when the copy was "
            "verified (--verify destination), and a second read of the copy is no second "
            "read of the card"
            if read_once
            else ""
        )
        + _left_out_words(fast.left_out)
        + _part_of_volume_words(fast.part_of_volume)
        + read_back.words(fast.root)
        + (
            "; passed over: " + "; ".join(passed_over) + " (it cannot stand for the card)"
            if passed_over
            else ""
        ),
        through_a_cache=through_a_cache,
        card_left_out=fast.left_out,
        card_part_of_volume=fast.part_of_volume,
    )
    preflight = dataclasses.replace(plan.preflight, warnings=(warning, *plan.preflight.warnings))
    return dataclasses.replace(plan, tasks=tasks, preflight=preflight)


def _left_out_words(left_out: LeftOut | None) -> str:
    """The ``card-absent`` warning's words for the card's entries its run left out (the
    record's ``left_out``): named, as the card is kept for them."""
    if left_out is None:
        return (
            "; its record of the card's pass does not list the card's entries that run left "
            "out (an older offload-ai wrote it): keep the card"
        )
    if not left_out:
        return ""
    one = len(left_out) == 1
    return (
        f"; the card's run left out {len(left_out)} of its entries ({left_out[0].shown}"
        f"{'' if one else ' first'}), never copied: keep the card for {'it' if one else 'them'}"
    )


def _part_of_volume_words(part: PartOfVolume | None) -> str:
    """The ``card-absent`` warning's words for the card's volume's entries its run left
    outside its source (the record's ``part_of_volume``): the card is kept for them."""
    if part is None or not part.card:
        return ""
    return f"; the card's run: {part.words(done=True, by_whom='that run')}: keep the card"


class ReadBack(NamedTuple):
    """What ``_read_back_unfed`` did with a fast copy's files it read back. ``why``: why the
    copy cannot stand for the card (a file unlike the card's digests or unreadable), None
    when it can; ``read``: files read back; ``through_a_cache``: of those, read through a
    cache that could not be dropped (``MediaHasher``: a FUSE filesystem's, a share's server);
    ``not_read``: files a --dry-run would have read back; ``moved``: of the files read (or,
    a --dry-run, not read), those read for their inode or change time having moved since
    their entry recorded them (``ledger.same_file``), the others a cascade's mark's."""

    why: str | None = None
    read: int = 0
    through_a_cache: int = 0
    not_read: int = 0
    moved: int = 0

    def words(self, root: Path) -> str:
        """The clause of the ``card-absent`` warning (a leading "; "), "" for none."""
        if self.not_read:
            return (
                f"; {_files(self.not_read)} of {root} "
                f"{_why_read(self.not_read - self.moved, self.moved, '')} would be read back first "
                "and checked against the card's digests (not read: --dry-run)"
            )
        if not self.read:
            return ""
        cached = (
            f", {self.through_a_cache} of them through a cache (not from the media)"
            if self.through_a_cache
            else ""
        )
        return (
            f"; {_files(self.read)} {_why_read(self.read - self.moved, self.moved, '')} there "
            f"read back now{cached}, each equal to the card's digests"
        )


def _why_read(marked: int, moved: int, that: str = "that ") -> str:
    """Why ``_read_back_unfed`` reads files of a fast copy back: *marked* files a cascade
    left marked unsettled, *moved* ones no longer the very files their entries recorded;
    the words follow "N files" ("1 file"), *that* before those of marked files alone."""
    if not moved:
        return f"{that}a cascade left marked unsettled"
    one = marked + moved == 1
    changed = (
        "changed since it was verified (its inode or change time moved)"
        if one
        else "changed since they were verified (their inode or change time moved)"
    )
    if not marked:
        return f"that {changed}"
    return f"that a cascade left marked unsettled or ({moved} of them) that {changed}"


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


def _read_back_unfed(
    plan: OffloadPlan,
    fast: FastCopy,
    *,
    dry_run: bool = False,
    say: Callable[[str], None] | None = None,
    reads: PlanReads | None = None,
) -> ReadBack:
    """Read back, against the card's digests its ledger recorded, each file of the fast copy
    *fast* that this plan does not feed (its slow copies are there already, so nothing else
    of the run reads it) and whose entry cannot be trusted unread: one a cascade left
    unsettled there (``cascade_unsettled``: its drive gone, or the run killed, before the
    cascade's end, so an entry may vouch for a copy that run found bad), or one that is no
    longer the very file its entry recorded (``ledger.same_file``: its inode or change time
    moved, on a filesystem that keeps them, ``Ledger.keeps_identity``: a copy changed in
    place, its size and date put back), the identity check a run with the card makes of that
    copy (``card._plan``) before it trusts it, unless the check of a copy already there reads
    that file as its source anyway (``existing.needs_source``: its damage said there, the
    copy revoked, the next fast copy read in its place, ``cascade_refeed``): the copy stands
    for the card only once every such file was read by this run, never on the entry's word.
    Read as ``offload verify`` and the checks of copies already there read (``MediaHasher``:
    O_DIRECT or its pages dropped, the cache below the filesystem too), one after another; a
    read that could not avoid a cache is counted (``ReadBack.through_a_cache``); *reads* each
    read's bytes as it goes (``plan_reads``). *say* is told a line before the first read (a
    large copy takes a while); *dry_run*: nothing read, the files counted. The first file
    that does not match or cannot be read ends it (``ReadBack.why``). One ``lstat`` a file
    not fed whose entry records an identity (a copy on exFAT records none: nothing asked)."""
    from offload import cascade_unsettled
    from offload.engine.verifier import MediaHasher
    from offload.fs.below import CachesBelow
    from offload.ledger import same_file

    marked = cascade_unsettled.spans(fast.root)
    to_read: list[tuple[Path, LedgerEntry]] = []
    moved = 0
    keeps_identity: bool | None = None  # asked once, of the first entry recording one
    verify = plan.options.copy.verify.value
    # Read as the source of the check of a copy already there (``existing.needs_source``):
    # its damage is found and said there, the copy revoked and the next fast copy read.
    read_as_source = {c.task_index for c in plan.checks_to_read if needs_source(c, verify)}
    for index, task in enumerate(plan.tasks):
        if any(target is not None for target in task.targets):
            continue  # fed: read and checked against the card's digests by the run itself
        relative = task.source.relative_path
        entry = fast.entries.get(relative)
        if entry is None:
            continue
        path = fast.root / relative
        if marked and cascade_unsettled.unsettled(entry, marked):
            to_read.append((path, entry))
            continue
        if not entry.inode or index in read_as_source:
            continue
        if keeps_identity is None:
            keeps_identity = Ledger(fast.root).keeps_identity()
        if not keeps_identity:
            continue
        try:
            st = os.lstat(path)
        except OSError:
            st = None  # read below: its read's error says why the copy cannot stand
        if st is None or not same_file(entry, st):
            to_read.append((path, entry))
            moved += 1
    if not to_read:
        return ReadBack()
    if dry_run:
        return ReadBack(not_read=len(to_read), moved=moved)
    if say is not None:
        say(
            f"reading back {_files(len(to_read))} of the fast copy {printable_name(str(fast.root))}"
            f" {_why_read(len(to_read) - moved, moved)}, before it stands for the card"
        )
    if reads is None:
        from offload.plan_reads import PlanReads

        reads = PlanReads(None)
    hasher = MediaHasher(below=CachesBelow())
    try:
        for path, entry in to_read:
            names = [name for name in entry.digests if name in plan.options.copy.algorithms]
            names = names or list(entry.digests)
            try:
                # (Its bytes told as they are read: *say*'s line above named the reads.)
                digests = hasher(path, names, reads.reading(path, entry.size_bytes, said=False))
            except OSError as exc:
                why = f"{printable_name(str(path))} cannot be read ({exc.strerror or exc})"
                return ReadBack(
                    why, hasher.bypassed + hasher.through_cache, hasher.through_cache, moved=moved
                )
            if not all(
                comparable_digest(n, digests[n]) == comparable_digest(n, entry.digests[n])
                for n in names
            ):
                since = (
                    "a cascade that did not end with that drive there left its copies "
                    "unsettled, and this one changed since it was verified"
                    if marked and cascade_unsettled.unsettled(entry, marked)
                    else "its inode or change time had moved since it was verified there, and "
                    "its bytes changed with it"
                )
                why = (
                    f"{printable_name(str(path))} does not match the card's digests its ledger "
                    f"recorded (read back now: {since})"
                )
                return ReadBack(
                    why, hasher.bypassed + hasher.through_cache, hasher.through_cache, moved=moved
                )
    finally:
        hasher.close()
    return ReadBack(None, hasher.bypassed + hasher.through_cache, hasher.through_cache, moved=moved)


def without_slow(tasks: Sequence[FileTask], slow: frozenset[int]) -> list[FileTask]:
    """The tasks of the card's pass: the slow destinations' targets set to None."""
    return [
        dataclasses.replace(
            task,
            targets=tuple(None if i in slow else t for i, t in enumerate(task.targets)),
        )
        for task in tasks
    ]


def not_cascaded(
    report: OffloadReport,
    tasks: Sequence[FileTask],
    slow: frozenset[int] | Sequence[int],
    *,
    cancelled: bool,
    reason: str = "cancelled before the cascade",
    sink: EventSink | None = None,
) -> None:
    """Give every slow target still without a result one: CANCELLED, or FAILED with
    *reason* (a report is complete, never silent); a failure is announced on *sink*
    (FileFailed, as the engine announces its own), so the progress counts it."""
    by_path = {f.relative_path: f for f in report.job.files}
    for task in tasks:
        file = by_path.get(task.source.relative_path)
        if file is None:
            continue
        for index in slow:
            target = task.targets[index]
            if target is None or file.destination(index) is not None:
                continue
            file.destinations.append(
                DestinationFileResult(
                    destination_index=index,
                    final_path=str(target),
                    status=DestinationStatus.CANCELLED if cancelled else DestinationStatus.FAILED,
                    error=reason,
                )
            )
            file.destinations.sort(key=lambda d: d.destination_index)
            if sink is not None and not cancelled:
                sink.emit(FileFailed(index, file.relative_path, reason))
    for summary in report.job.destinations:
        summary.count(report.job.files)


def run_cascade(
    plan: OffloadPlan,
    report: OffloadReport,
    tasks: Sequence[FileTask],
    replace_tasks: Sequence[FileTask],
    *,
    sink: EventSink,
    cancel: CancelToken,
    finish: Callable[[Path | None, Mapping[Path, int]], None],
    copies_over: Callable[[], None] = lambda: None,
    unread: frozenset[tuple[str, int]] = frozenset(),
) -> None:
    """Release the card, then feed the slow destinations from the fast copies and merge the
    results into *report*; *finish(history_source, folder_times)* then writes the slow
    destinations' links, folders, manifests and folder times without the card.
    *copies_over()* is called once the cascade's copy jobs ended uncancelled, every slow copy
    with its outcome: from there a cancel cancels nothing (the end below goes on to
    *finish*), which the caller tells the views and the signal handler
    (``OffloadFinishing``). *unread*: of *replace_tasks*, the copies written again because
    their read-back failed (``existing.unread_rewrites``): a failure names --reverify."""
    from offload.card import _PlannedWorkAnnouncer

    slow = sorted(plan.options.cascade)
    fast = [p.index for p in plan.plans if p.index not in plan.options.cascade]
    feeders = [i for i in fast if i not in plan.backends]
    # What the slow destinations still need from the card, taken before it is released.
    folder_times = _folder_times(plan)
    from offload import cascade_staging

    with cascade_staging.staging() as staging:
        history = _snapshot_history(plan, staging)
        needed = any(t.targets[i] is not None for t in (*tasks, *replace_tasks) for i in slow)
        # Until the cascade ends with them still there, the fast copies' entries of this run
        # are unsettled: a drive gone meanwhile never hears of a revocation
        # (``cascade_unsettled``). Marked before the release is said: a drive may go then.
        # From the earliest entry the cascade will feed from: a copy verified by an earlier
        # run (its entry recorded before this run started) is unsettled too.
        span = (_earliest_fed_from(report, feeders), time.time())
        marked = _mark_unsettled(plan, feeders, span, sink)
        withheld = _release(
            plan,
            report,
            fast,
            slow,
            sink,
            nothing_to_feed=not needed,
            slow_refused=0 if needed else _refused_on(report, slow),
        )
        unrevoked: set[int] = set()
        # The ledgers already said not to be told: one warning a drive and reason, however
        # many of the checks below fail its copies (QA qa70c L3: the same line twice).
        warned: set[tuple[int, str]] = set()
        matched: set[tuple[str, int]] = set()  # fast copies the cascade read, as the card
        by_path = {f.relative_path: f for f in report.job.files}
        # By copy (path, slow index): the fast destination that fed it last.
        feeder: dict[tuple[str, int], int] = {}
        # By fast destination: when its drive was first found gone (its ``lost_at``), not
        # when ``_declare_gone`` runs, after the batch and its retries.
        gone_at: dict[int, float] = {}
        roots = [p.destination for p in plan.plans]
        backends = plan.job_destinations()
        copy = plan.options.copy
        # A copy never to be overwritten refused by the card's pass (its read-back or its
        # engine, on any destination): no refusal of the slow copies offers --overwrite
        # either, as none of the card pass's does (``card``'s ``job_remedies``).
        job_remedies = plan.in_the_way_remedies(
            read_back_refused=refuses_never(
                d.refusal for f in report.job.files for d in f.destinations
            )
        )
        for batch, policy, rewrites in (
            (tasks, copy.existing, False),
            (replace_tasks, ExistingFilePolicy.OVERWRITE, True),
        ):
            # A fast copy that cannot be read or no longer matches the card: the file is fed
            # again from the next fast destination that holds it, if any.
            pending, tried = list(batch), dict[str, int]()
            damaged: list[_Damaged] = []
            again: dict[str, str] = {}  # the files to feed again, why the first copy failed
            while pending and not cancel.cancelled:
                fed, references, failures, used = _cascade_tasks(
                    plan, pending, by_path, slow, feeders, tried, damaged, gone_at
                )
                _say_fed_again(report, fed, again, sink)
                _record_failures(report, failures, sink)
                if not fed:
                    break
                job = CopyJob(
                    fed,
                    roots,
                    dataclasses.replace(copy, existing=policy),
                    sink=_PlannedWorkAnnouncer(
                        _FastCopyFailures(sink, fed, used, plan.ledgers, gone_at),
                        fed,
                        rewrites=rewrites,
                        unread=unread if rewrites else frozenset(),
                    ),
                    cancel=cancel,
                    ledgers=plan.ledgers,
                    destinations=backends,
                    devices=plan.devices,
                    remedies=job_remedies,
                    root_devices=plan.root_devices(),  # a slow drive pulled since: lost
                ).run()
                _proven_copies(job, references, used, matched)  # before _explain's rewrite
                feeder.update(_read_whole(job, used))  # before _explain's rewrite too
                # Cancelled too: a fast copy read whole and found different (or unreadable)
                # before the cancel is revoked (``_fail_damaged``) before the mark is
                # settled; only the feeding again from another fast copy is not done.
                again, found = _explain(
                    job,
                    fed,
                    references,
                    sink,
                    used,
                    plan.ledgers,
                    feed_again=not job.cancelled,
                    gone_at=gone_at,
                )
                retry = set(again)
                damaged.extend(found)
                job.files = [f for f in job.files if f.relative_path not in retry]
                tried = {path: used[path].position + 1 for path in retry}
                pending = [t for t in pending if t.source.relative_path in retry]
                if rewrites:  # copies of ours found wrong: a failure names --overwrite
                    settle_rewrites(job, unread)  # (--reverify: one that could not be read)
                elapsed = report.job.elapsed_s + job.elapsed_s
                merge_job_reports(report.job, job)
                report.job.elapsed_s = elapsed
            # After the retries: they choose among the copies.
            unrevoked |= _fail_damaged(plan, report, damaged, sink, marked, gone_at, warned)
        report.cascade_feeder = feeder
        over = not report.job.cancelled and not _unfinished(report, [*tasks, *replace_tasks], slow)
        if over:
            copies_over()  # the stop below no longer cancels: said before the checks that follow
        # The fast copies the reports still call good, as they are now: one cut short or
        # written over since it was verified (after the cascade read it, or never read by
        # it) is no longer reported so, nor counted by the release (cancelled too: the
        # report says what each copy is). A cancelled cascade's reads again whole stop at
        # its cancel; once its copies are over a Ctrl-C cancels nothing, these reads
        # included (a second one, or a SIGTERM, stops the run between two of their reads).
        cut: list[_Damaged] = []  # copies whose read again whole a cancel cut short
        changed = _changed_since_verified(plan, report, feeders, None if over else cancel, cut)
        changed += _s3_changed_since_verified(plan, report, [i for i in fast if i not in feeders])
        unrevoked |= _fail_damaged(plan, report, changed, sink, marked, gone_at, warned)
        unrevoked |= _cancel_unread(plan, report, cut, sink, marked, warned)
        matched.difference_update((d.relative, d.destination) for d in changed)
        _settle(plan, marked - unrevoked, span)
        # Cancelled too: what the cascade read whole before the cancel was read.
        _release_after_reread(plan, report, fast, withheld, matched, sink)
        _mark_read(report, matched)
        # A stop once the cascade's copy jobs ended uncancelled, every slow copy with its
        # outcome (while the fast copies were checked, say): nothing was cancelled, so the
        # run goes on to its end, as a plain run stopped after its copy job does (the CLI
        # notes the signal: ``signal_after_copy``), never "0 copies were cancelled". A copy
        # job that read the token at its end is cancelled, as the card's pass's is.
        if report.job.cancelled or (
            cancel.cancelled and _unfinished(report, [*tasks, *replace_tasks], slow)
        ):
            report.job.cancelled = True
            not_cascaded(report, [*tasks, *replace_tasks], slow, cancelled=True)
            return
        finish(history, folder_times)


def _unfinished(report: OffloadReport, tasks: Sequence[FileTask], slow: Sequence[int]) -> bool:
    """Whether a slow target of *tasks* has no outcome yet, or a cancelled one: what a stop
    of the cascade left undone (``not_cascaded`` gives those theirs)."""
    by_path = {f.relative_path: f for f in report.job.files}
    for task in tasks:
        file = by_path.get(task.source.relative_path)
        for index in slow:
            if task.targets[index] is None:
                continue
            result = file.destination(index) if file is not None else None
            if result is None or result.status is DestinationStatus.CANCELLED:
                return True
    return False


def card_disk_unknown(plan: OffloadPlan) -> bool:
    """The card is on no disk this machine names (``card_on_no_known_disk``, found once by
    ``plan_offload``: ``OffloadPlan.card_disk_unknown``): any local destination may be on
    its disk, so none releases it (``on_card_disk``)."""
    return plan.card_disk_unknown


def card_on_no_known_disk(
    tree: SourceTree, devices: Sequence[DeviceGroup], stands_in_for: Path | None
) -> bool:
    """The card of *tree* is on no disk this machine names (a pass-through FUSE mount such
    as fusefat, a network share), and not held in memory (tmpfs, a loop device over an
    image on tmpfs): ``fs.below.on_no_known_disk``, the one rule the card release has for
    it too (``report/release.py``: "cannot tell whether ... is on the card's disk"). A card
    a device group holds (*devices*' ``source``) is on that disk; a fast copy standing in
    for an absent card (*stands_in_for*) is not the card: False. Reads sysfs and the mount
    table once: ``plan_offload`` asks once a plan."""
    if stands_in_for is not None or any(group.source for group in devices):
        return False
    from offload.fs.below import on_no_known_disk
    from offload.fs.devices import block_device_of_dev, disk_of_mount
    from offload.plan.filesystem import detect_filesystem

    device = block_device_of_dev(tree.root_dev) or disk_of_mount(tree.root)
    backing = device.backing_filesystem if device is not None else None
    disk = device.name if device is not None and backing is None else None
    return on_no_known_disk(disk, detect_filesystem(tree.root).fstype, backing)


def on_card_disk(plan: OffloadPlan, fast: Sequence[int]) -> set[int]:
    """Of the *fast* destinations (indices), those on the card's own filesystem or disk: the
    preflight's ``dest-on-source-device`` warning names them (its ``indices``; the same
    ``st_dev`` as the card's folder, or the same disk, ``plan.filesystem.disk_of``), and so
    does a device group the card is on (``DeviceGroup.source``, the report's
    ``source_on_device``, which the card release reads). Neither copy is a backup of the
    card: a failure of that disk loses both. A card on no disk this machine names
    (``card_disk_unknown``): every local fast destination, each maybe on its disk."""
    if card_disk_unknown(plan):
        return {i for i in fast if i not in plan.backends}
    named = {
        index
        for item in plan.preflight.warnings
        if item.code is PreflightCode.DEST_ON_SOURCE_DEVICE
        for index in item.indices
    }
    named.update(i for group in plan.devices if group.source for i in group.destinations)
    return {i for i in fast if i in named and i not in plan.backends}


def kept_by_its_disk(plan: OffloadPlan, slow: AbstractSet[int]) -> bool:
    """Every local fast destination of the cascade (*slow*: the cascaded ones) is on the
    card's own filesystem or disk (``on_card_disk``): its card's pass cannot release the card,
    as ``--dry-run`` and the live view say before it ends."""
    local = [p.index for p in plan.plans if p.index not in slow and p.index not in plan.backends]
    return bool(local) and on_card_disk(plan, local) == set(local)


def _release(
    plan: OffloadPlan,
    report: OffloadReport,
    fast: list[int],
    slow: list[int],
    sink: EventSink,
    *,
    nothing_to_feed: bool = False,
    slow_refused: int = 0,
) -> tuple[CardReleased, set[int]]:
    """Say (``CardReleased``) whether the card is released at the end of its pass, and record
    the pass in each fast copy that stands for the card. Returns the event and the local fast
    destinations whose copies would stand for the card but for files this run did not read
    back (verified earlier, trusted from the ledger): the release waits for the cascade's
    read of those (``_release_after_reread``); empty when the card was released now or a
    file failed."""
    from offload.plan.ignore import history_meant

    report.card_pass_ended_at = time.time()
    verified = failed = unread = unheld = cached = 0
    # The local fast copies that hold every file of the card read back from their media
    # (verified now or earlier, never a transfer check only, never read back through a
    # cache: a copy in RAM, tmpfs, is read back from RAM and lost at a power cut): a re-run
    # without the card may be fed from them.
    # A copy on the card's own filesystem or disk dies with the card: it stands for nothing
    # (QA: "CARD RELEASED ... can be ejected" on a copy beside the card, then "Do not format
    # the card" at the end). The same test as the preflight's and the card release's.
    on_card = on_card_disk(plan, fast)
    report.fast_on_card_disk = tuple(sorted(on_card))
    # Said "or may be" where the card's disk is unknown (each of them counted on it).
    report.card_disk_unknown = bool(on_card) and card_disk_unknown(plan)
    # Decided once, over the local fast copies only (a copy in a bucket never stands for the
    # card), as ``kept_by_its_disk``: every surface reads it, none counts again.
    local = {i for i in fast if i not in plan.backends}
    report.card_kept_by_its_disk = bool(local) and local <= on_card
    complete = {i for i in fast if i not in plan.backends and i not in on_card}
    if len(report.job.files) != plan.tree.file_count:
        complete = set()
    # A fast copy root whose record could not be settled ``finished`` (its ``run-record``
    # step failed, said as it failed): ``offload verify`` there says INCOMPLETE until a run
    # with the card settles it, and a re-run without the card, fed from a fast copy, settles
    # none. The card is kept: no release, live or at the end (review of runrec65, M1).
    unrecorded = tuple(i for i in fast if "run-record" in report.failed_steps.get(i, ()))
    report.fast_unrecorded = unrecorded
    if unrecorded:
        complete = set()
    # Of them, how many files each holds only verified earlier: trusted from its ledger, not
    # read back by this run. Only a copy this run read back whole releases the card (QA: one
    # changed since, its date given back, was released on, then found changed by the cascade).
    earlier = dict.fromkeys(complete, 0)
    for file in report.job.files:
        results = [file.destination(i) for i in fast]
        # ``_not_held``, spelled out: the call cost ~2 ms of thread CPU at 50,000 files.
        if file.source_error or any(r is None or r.status not in GOOD_STATUSES for r in results):
            failed += 1
            # No local fast copy holds it (those alone feed the cascade, _cascade_tasks):
            # the cascade has nothing to feed it from.
            unheld += bool(file.source_error) or not any(
                r is not None and r.status in _PREFERENCE
                for i in fast
                if i not in plan.backends and (r := file.destination(i)) is not None
            )
        else:
            verified += 1
            # Good, but a fast copy was only transfer-checked: never called verified.
            unread += any(r is not None and not _read_back(r) for r in results)
            # Read back, but through a cache (RAM, a server's): never worded as the media.
            cached += any(
                r is not None and _read_back(r) and r.cache_bypass in THROUGH_A_CACHE
                for r in results
            )
        for index in list(complete):
            result = file.destination(index)
            if file.source_error or not _read_from_media(result):
                complete.discard(index)
                del earlier[index]
            elif result is not None and result.status is not DestinationStatus.VERIFIED:
                earlier[index] += 1
    report.card_pass_failed = failed
    # Each fast destination's own counts, with a file failed (``CardReleased.
    # files_verified_on``...: one failed on a destination may be held on another, which
    # feeds it); none failed, every one holds them all: a pass only then (~24 ms of thread
    # CPU at 50,000 files and 2 fast destinations, on every run it was).
    good_on, unread_on, failed_on = _counts_on(report, fast) if failed else ((), (), ())
    proven = {i for i in complete if not earlier[i]}
    # A copy waiting for the cascade's read keeps the record an earlier run wrote (nothing
    # this run did disproves it); the others lose theirs, and those read back whole get one.
    waiting = set() if failed else complete - proven
    recorded = _record_card_pass(plan, proven if not failed else set(), fast, sink, waiting)
    report.resumable_without_card = recorded
    # Released (CARD RELEASED) only when a fast copy stands for the card in a re-run; else
    # the live line said "CARD PASS DONE … keep the card", and no report may say otherwise.
    report.card_released_at = report.card_pass_ended_at if recorded else None
    event = CardReleased(
        source=str(plan.source),
        destinations=tuple(display_path(plan.plans[i].destination) for i in fast),
        cascade=tuple(display_path(plan.plans[i].destination) for i in slow),
        files_verified=verified,
        files_failed=failed,
        without_card=recorded,
        files_transfer_checked=unread,
        files_not_cascaded=unheld,
        files_read_through_cache=cached,
        nothing_to_feed=nothing_to_feed,
        slow_refused=slow_refused,
        files_verified_earlier=0 if recorded or not waiting else min(earlier[i] for i in waiting),
        on_card_disk=tuple(display_path(plan.plans[i].destination) for i in sorted(on_card)),
        kept_by_its_disk=report.card_kept_by_its_disk,
        card_disk_unknown=report.card_disk_unknown,
        files_verified_on=good_on,
        files_transfer_checked_on=unread_on,
        files_failed_on=failed_on,
        ignored=len(report.ignored),
        left_out=_release_left_out(report, plan.source_is_copy),
        ignored_history=history_meant(report.ignored),
        ignored_folders=report.ignored_folder_paths(),
        unrecorded=tuple(display_path(plan.plans[i].destination) for i in unrecorded),
        source_is_copy=plan.source_is_copy,
    )
    sink.emit(event)
    report.cascade_unproven = event.files_verified_earlier
    return event, set() if recorded else waiting


def _not_held(result: DestinationFileResult | None) -> bool:
    """A fast destination's copy of a file that does not hold it: none there (no result),
    or not good. The one rule of the card's pass's counts, the totals (``_release``:
    ``files_failed``) and each fast destination's (``_counts_on``), so that no file is
    counted verified on every fast destination and failed on one of them."""
    return result is None or result.status not in GOOD_STATUSES


def _refused_on(report: OffloadReport, slow: list[int]) -> int:
    """How many copies on the *slow* destinations were refused before the cascade, with
    nothing to feed them: a copy already there not good (other content, its check failed),
    which the cascade does not write over (``CardReleased.slow_refused``). Counted per copy,
    (file, slow destination), as the CARD line says "copies": one clip refused on two slow
    drives is two."""
    cascaded = frozenset(slow)
    # One flat pass, the state tested first: most copies are good (a ``destination``
    # look-up a slow destination was 17 ms at 50,000 files: docs/performance.md).
    return sum(
        1
        for file in report.job.files
        for d in file.destinations
        if d.status not in GOOD_STATUSES and d.destination_index in cascaded
    )


def _counts_on(
    report: OffloadReport, fast: list[int]
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """On each *fast* destination, in order: the files good there (verified, or
    transfer-checked), those of them never read back, and the files failed there (no copy,
    or not good: ``_not_held``, ``_release``'s rule) or at the card
    (``CardReleased.files_verified_on``, ``files_transfer_checked_on``, ``files_failed_on``)."""
    good, unread, failed = [0] * len(fast), [0] * len(fast), [0] * len(fast)
    for file in report.job.files:
        for at, index in enumerate(fast):
            result = file.destination(index)
            if file.source_error or _not_held(result):
                failed[at] += 1
            else:
                good[at] += 1
                unread[at] += not _read_back(result)
    return tuple(good), tuple(unread), tuple(failed)


def _release_after_reread(
    plan: OffloadPlan,
    report: OffloadReport,
    fast: list[int],
    withheld: tuple[CardReleased, set[int]],
    matched: set[tuple[str, int]],
    sink: EventSink,
) -> None:
    """The release the card's pass withheld (*withheld*: ``_release``'s event and the fast
    copies waiting; *fast*: the fast destinations' indices): a waiting fast copy whose every
    file this run read back, by the card's
    pass or by the cascade's read of it matched to the card's digests (*matched*: (path,
    destination index)), now stands for the card: its pass is recorded there and
    ``CardReleased`` (``after_cascade``) says the card is released. None proven whole: the
    card is not released, and ``report.cascade_unproven`` says how many files of the copy
    nearest to it this run did not prove (the cascade's sentence)."""
    event, waiting = withheld
    if not waiting:
        return
    # Per waiting copy, its files this run did not prove: never read (the cascaded
    # destinations held them already, or the cascade was cancelled first), or found changed
    # or unreadable by the cascade's read (failed since: ``_fail_damaged``).
    unproven = dict.fromkeys(waiting, 0)
    for file in report.job.files:
        for index in waiting:
            result = file.destination(index)
            unproven[index] += result is None or (
                result.status is not DestinationStatus.VERIFIED
                and (file.relative_path, index) not in matched
            )
    stands = {i for i in waiting if not unproven[i]}
    if not stands:
        report.cascade_unproven = min(unproven.values())
        return
    if not _record_card_pass(plan, stands, fast, sink, set(fast) - stands):
        return
    report.cascade_unproven = 0
    report.card_released_at = time.time()
    report.resumable_without_card = True
    report.card_released_after_reread = True
    report.fast_copies_reread = tuple(sorted(stands))
    # Only the copies that stand were read (each file is fed from one fast copy): another's
    # files verified earlier are never said read again.
    others = [
        i
        for i in fast
        if i not in stands
        and any(
            (r := f.destination(i)) is not None and r.status is DestinationStatus.VERIFIED_EARLIER
            for f in report.job.files
        )
    ]
    read = sum(any((f.relative_path, i) in matched for i in stands) for f in report.job.files)
    sink.emit(
        dataclasses.replace(
            event,
            without_card=True,
            after_cascade=True,
            nothing_to_feed=False,
            files_verified_earlier=read,
            reread=tuple(display_path(plan.plans[i].destination) for i in sorted(stands)),
            not_reread=tuple(display_path(plan.plans[i].destination) for i in others),
        )
    )


def _mark_read(report: OffloadReport, matched: AbstractSet[tuple[str, int]]) -> None:
    """Each fast copy verified earlier that the cascade read whole, equal to the card's
    digests (*matched*: (path, destination index)), is said so in every report: its
    ``action`` ``rechecked`` (read back again now and matched), its status still the earlier
    run's (that read fed the slow destinations; ``report/content.read_by_cascade``). The
    rows then agree with the release's count of the copies not read again (QA: every row
    said "not re-read")."""
    if not matched:
        return
    from offload.results import CopyAction

    for file in report.job.files:
        for result in file.destinations:
            if (
                result.status is DestinationStatus.VERIFIED_EARLIER
                and (file.relative_path, result.destination_index) in matched
            ):
                result.action = CopyAction.RECHECKED


def _read_back(result: DestinationFileResult | None) -> bool:
    """A copy proven by a read-back (now, or by the earlier run its ledger recorded)."""
    if result is None:
        return False
    if result.status is DestinationStatus.VERIFIED:
        return True
    return (
        result.status is DestinationStatus.VERIFIED_EARLIER and result.verified_mode != "transfer"
    )


def _read_from_media(result: DestinationFileResult | None) -> bool:
    """A copy proven by a read-back from its media (now, or by the earlier run its ledger
    recorded): not through a cache (``THROUGH_A_CACHE``: pages that could not be dropped, a
    server's cache, a filesystem in RAM)."""
    return _read_back(result) and result is not None and result.cache_bypass not in THROUGH_A_CACHE


def _record_card_pass(
    plan: OffloadPlan,
    complete: set[int],
    fast: list[int],
    sink: EventSink,
    keep: set[int] | frozenset[int] = frozenset(),
) -> bool:
    """Write (durably) the record of the card's pass in each fast local copy in *complete*;
    remove an older one from the others but *keep* (their copy no longer stands for the
    card; one in *keep* is left as it is). True: one was recorded (a re-run without the card
    can be fed from it)."""
    record = (
        json.dumps(
            {
                "version": CARD_PASS_RECORD_VERSION,
                "card": str(plan.source),
                "files": plan.tree.file_count,
                "bytes": plan.tree.total_bytes,
                "released_at": time.time(),
                "left_out": _card_left_out(plan),
                "part_of_volume": _card_part_of_volume(plan),
            },
            allow_nan=False,
        )
        if complete
        else ""
    )
    recorded = False
    for index in fast:
        if index in plan.backends or index in keep:
            continue
        folder = Path(plan.plans[index].root) / STATE_FOLDER
        path = folder / CARD_PASS_RECORD
        try:
            if index not in complete:
                # Never in another copy root's state folder swapped in for this one's.
                unlink_in(path)
                continue
            # Never the copy root: one gone is a drive unmounted since (ENOENT here), and
            # its mount point the folder on the disk below; nor below a copy root that is
            # the mount point itself (a folder still, on another filesystem now). Asked
            # before the held folder's check, which would call a drive gone a folder moved.
            if not plan.ledgers[index].root_unchanged():
                raise OSError(errno.ENODEV, "its drive is not reachable")
            check_held(Path(plan.plans[index].root))
            folder.mkdir(exist_ok=True)
            staging = folder / f".{CARD_PASS_RECORD}.{os.getpid()}"
            with open(staging, "w", encoding="utf-8") as handle:
                handle.write(record)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(staging, path)
            fsync_dir(folder)
            recorded = True
        except OSError as exc:
            sink.emit(
                WarningIssued(
                    f"cannot record the card's pass in {path} ({exc.strerror or exc}): a "
                    "re-run without the card cannot feed the cascade from this copy",
                    str(path),
                )
            )
    return recorded


def _release_left_out(report: OffloadReport, source_is_copy: bool = False) -> str:
    """The card release's words for the card's entries this run (or, without the card, the
    card's run: the ``card-absent`` warning's record) left out that keep the card, as the
    release at the run's end gives them (``report.release.left_out_words``); "" when none.
    Of a source that is a copy root of ours (*source_is_copy*), said of it here, where the
    names left out are known (``source_words``: a clip ``The card.mov`` kept as it is)."""
    from offload.report.release import left_out_words
    from offload.report.source_words import names_of, of_the_source

    data = {
        "ignored": [
            {"path": path, "reason": reason, **_kind(path in report.ignored_folders)}
            for path, reason in report.ignored
        ],
        "warnings": [w.as_report_dict() for w in report.warnings],
    }
    words = left_out_words(data)
    return of_the_source(words, keep=names_of(data)) if source_is_copy else words


def _card_left_out(plan: OffloadPlan) -> list[dict[str, object]]:
    """The card's entries this run left out that keep the card (``report.release.keeps_card``:
    a user's pattern's, a name like offload-ai's partial files): path, size (None for a
    folder, or an entry gone since) and reason, for the record of the card's pass, so that
    a re-run without the card still names them (it scans the fast copy, which never held
    them)."""
    from offload.card import ignored_with_reasons
    from offload.report.release import keeps_card

    found: list[dict[str, object]] = []
    folders = plan.tree.ignored_folders
    for path, reason in ignored_with_reasons(plan):
        if not keeps_card({"path": path, "reason": reason}):
            continue
        folder = path in folders
        try:
            st = os.lstat(plan.source.joinpath(*path.split("/")))
            folder = folder or stat.S_ISDIR(st.st_mode)
            size = None if folder else st.st_size
        except OSError:
            size = None
        found.append({"path": path, "size": size, "reason": reason, **_kind(folder)})
    return found


def _card_part_of_volume(plan: OffloadPlan) -> dict[str, object] | None:
    """The card's volume's entries this run left outside its source (the preflight's
    ``source-part-of-volume`` finding; that of a re-run without the card, which read no card,
    carried over from the record it was fed from), for the record of the card's pass, so a
    re-run without the card keeps the card for them; None when there is none."""
    for warning in plan.preflight.warnings:
        if warning.card_part_of_volume is not None:
            return warning.card_part_of_volume.as_dict()
        if warning.code is PreflightCode.SOURCE_PART_OF_VOLUME and warning.part_of_volume:
            return warning.part_of_volume.as_dict()
    return None


def _kind(folder: bool) -> dict[str, str]:
    """An ignored entry's ``kind`` key, as the job report's ``ignored`` gives it: "folder"
    for a folder (the release's words then say "folders ... (PROXY/ first)"), none else."""
    return {"kind": "folder"} if folder else {}


def _folder_times(plan: OffloadPlan) -> dict[Path, int]:
    """The card's folder mtimes (card.py's folder-time step, after the card is gone)."""
    times: dict[Path, int] = {}
    tree = plan.tree
    for source in [tree.root, *(tree.root.joinpath(*d.split("/")) for d in tree.directories)]:
        try:
            times[source] = os.lstat(source).st_mtime_ns
        except OSError:
            pass  # card.py reports the folder it cannot time
    return times


def _snapshot_history(plan: OffloadPlan, staging: Path) -> Path | None:
    """A copy of the card's own ascmhl/ (byte for byte), carried to the slow destinations
    after the card is released; None: the card has none (or it is not trusted)."""
    if not plan.source_has_history:
        return None
    try:
        shutil.copytree(plan.source / ASCMHL_FOLDER, staging / ASCMHL_FOLDER, symlinks=True)
    except OSError:
        return None  # carried from the card itself then: card.py names what fails
    return staging


def _cascade_tasks(
    plan: OffloadPlan,
    tasks: Sequence[FileTask],
    by_path: Mapping[str, FileResult],
    slow: list[int],
    feeders: list[int],
    tried: Mapping[str, int],
    damaged: list[_Damaged],
    gone_at: dict[int, float],
) -> tuple[
    list[FileTask],
    dict[str, dict[str, str]],
    list[_Unfed],
    dict[str, _Fed],
]:
    """The cascade's tasks (source: a fast copy; reference: the card's digests), the card's
    digests by path, the slow targets that cannot be fed: (path, index, target, why), and
    per path fed (``_Fed``). *tried*: per path, how many candidates earlier attempts used
    up. A fast copy found gone or of another size than the card's file is added to
    *damaged* (``_fail_damaged``: no longer reported verified); a fast destination whose
    drive is first found gone, to *gone_at* with the time (its ``lost_at``). Each fast copy
    root is classified once (``_lost_root``), when a copy of it is first found missing."""
    fed: list[FileTask] = []
    references: dict[str, dict[str, str]] = {}
    failures: list[_Unfed] = []
    used: dict[str, _Fed] = {}
    lost: dict[int, OSError | None] = {}
    never_in_run: bool | None = None
    algorithms = plan.options.copy.algorithms
    for task in tasks:
        wanted = [i for i in slow if task.targets[i] is not None]
        if not wanted:
            continue
        relative = task.source.relative_path
        file = by_path.get(relative)
        candidates = sorted(
            (
                (_PREFERENCE[r.status], r)
                for i in feeders
                if file is not None
                and (r := file.destination(i)) is not None
                and r.status in _PREFERENCE
            ),
            key=lambda pair: (pair[0], pair[1].destination_index),
        )
        why, kind = "", None
        if file is None or not candidates:
            if never_in_run is None:  # looked at once, for the first file not fed
                # The plan's files in the way on every destination (the slow ones' too,
                # which the card's pass never wrote), and the card pass's refusals.
                # (What was found, not the plan's guess: ``card.found_protected``.)
                from offload.card import found_protected

                never_in_run = found_protected(
                    plan.in_the_way.values(),
                    (r.refusal for f in by_path.values() for r in f.destinations),
                )
            why = _no_copy_reason(plan, file, feeders, wanted, never_in_run)
            kind = _fast_refusal(file, feeders)
        for position in range(tried.get(relative, 0), len(candidates)):
            why = ""
            chosen = candidates[position][1]
            assert file is not None
            digests = dict(file.inflight_digests) or dict(chosen.recorded_digests or chosen.digests)
            reference = {name: digests[name] for name in algorithms if name in digests}
            copy_path = Path(chosen.final_path)
            proved = was_proved(chosen.status)  # never "verified" for a copy that was not
            found = ""  # what the copy was found to be, if no longer what it was proved
            error: OSError | None = None
            try:
                st = os.stat(copy_path)
            except OSError as exc:
                st, error = None, exc
                reason = exc.strerror or str(exc)
                found = f"unreadable ({reason})"
                why = f"not cascaded: the copy {copy_path} {proved} but cannot be read ({reason})"
            if st is not None and st.st_size != task.source.size_bytes:
                found = f"{st.st_size} bytes long, the card's file {task.source.size_bytes}"
                why = (
                    f"not cascaded: the copy {copy_path} has {st.st_size} bytes, the card's "
                    f"file {task.source.size_bytes}; it changed since it {proved}"
                )
            index = chosen.destination_index
            ledger = plan.ledgers[index]
            root = _lost_root(lost, ledger, index) if st is None else None
            drive = _drive_gone(copy_path, root, error) if st is None else None
            gone = drive.strerror if drive is not None else None
            removed = root is not None and root.errno == errno.ENOENT
            if removed:
                found = f"gone: {removed_words(ledger.copy_root)}"
                why = f"not cascaded: the copy {copy_path} {proved} but is {found}"
            if found and gone:  # the drive was pulled: the copy was not found bad
                why = _not_fed_from_gone(ledger.copy_root, gone)
                gone_at.setdefault(index, time.time())
                damaged.append(
                    _Damaged(
                        relative,
                        chosen.destination_index,
                        f"{relative}: the copy {copy_path} {proved}, then could not be read "
                        f"when the cascade came to it: {gone}; {_RECONNECT}",
                        FastCopyFailure.DRIVE_GONE,
                    )
                )
            elif removed:  # its folder removed, its drive there: nothing to --overwrite
                what = _removed_what(relative, copy_path, proved, ledger)
                damaged.append(_Damaged(relative, index, what, FastCopyFailure.REMOVED))
            elif error is not None and error.errno in (errno.ENOENT, errno.ENOTDIR):
                # Its file removed, its folder and drive there (the read's own path says
                # the same, ``_FILE_REMOVED``): nothing there to --overwrite.
                damaged.append(
                    _Damaged(
                        relative,
                        chosen.destination_index,
                        f"{relative}: the copy {copy_path} {proved}, then found {found} "
                        f"when the cascade came to read it; {_AGAIN} (its ledger no longer "
                        "vouches for it)",
                        FastCopyFailure.REMOVED,
                    )
                )
            elif found and st is None:  # its stat failed otherwise (EIO): nothing found bad
                damaged.append(
                    _Damaged(
                        relative,
                        chosen.destination_index,
                        f"{relative}: the copy {copy_path} {proved}, then found {found} "
                        f"when the cascade came to read it; {_READ_BACK_AGAIN}",
                        FastCopyFailure.UNREADABLE,
                    )
                )
            elif found:  # the verified copy changed: it no longer stands
                damaged.append(
                    _Damaged(
                        relative,
                        chosen.destination_index,
                        f"{relative}: the copy {copy_path} {proved}, then found {found} "
                        "when the cascade came to read it; re-run with the card to copy it "
                        "again (with --overwrite where it is still there: its ledger no "
                        "longer vouches for it)",
                        FastCopyFailure.CHANGED,
                    )
                )
            elif st is not None and not reference:
                why = f"not cascaded: no digest of the card's file is known to check {copy_path}"
            if not why:
                assert st is not None
                _drop_cache(copy_path)  # read from the media, not from RAM
                references[relative] = reference
                used[relative] = _Fed(position, len(candidates), index, chosen.status)
                fed.append(
                    FileTask(
                        # Dated as the card's file (``model.dated_as_card``): the slow
                        # copies get the card's date and their ledgers record it, not the
                        # fast copy's,
                        # which exFAT, FAT or a share rounds (a re-run then found no entry
                        # of the card's date there and refused the folder as another card's).
                        dated_as_card(
                            copy_path, relative, st.st_size, task.source.mtime_ns, st.st_mtime_ns
                        ),
                        tuple(t if i in wanted else None for i, t in enumerate(task.targets)),
                        (),
                        reference,
                        reference_origin="the card's digests (read when it was copied); "
                        f"the copy changed since it {proved}",
                    )
                )
                break
        if relative not in used:
            failures.extend(_Unfed(relative, i, str(task.targets[i]), why, kind) for i in wanted)
    return fed, references, failures, used


def _changed_since_verified(
    plan: OffloadPlan,
    report: OffloadReport,
    feeders: Sequence[int],
    cancel: CancelToken | None = None,
    cut: list[_Damaged] | None = None,
) -> list[_Damaged]:
    """Each copy on a local fast destination (*feeders*) that the report still calls good
    (verified now or earlier, transfer-checked) but that is no longer as it was verified:
    gone, no longer a regular file, of another size than the card's file, or (the card's
    dates given to the copies) of another modification time than its card file's within
    the filesystem's tolerance and than it showed when this run read it back
    (``Ledger.dated_as_verified``: a drive that shifts every date fails nothing); or whose
    ``lstat`` fails otherwise (EIO: its drive may be failing). Each as (path, destination
    index, why), for ``_fail_damaged``.

    The cascade's end, after its copies and before the card's release is stated again: the
    card was released on what the fast copies were then, and the cascade reads only the one
    copy of each file that feeds the slow destinations (before the slow writes, a small
    file read whole ahead of them), so a copy cut short after that read, or on a drive the
    cascade never read, was reported verified; one ``lstat`` a copy finds it. Not a
    read-back: a copy changed in place, its size and date kept, is not found here. A drive
    that no longer answers (``DRIVE_GONE_ERRNOS``) is not looked at further: its copies
    were verified before it went, nothing found says otherwise (the destination's own
    failure, its report not written there, names it). One whose copy root was removed or
    renamed, its drive still there (``_lost_root``'s ENOENT), fails each of its copies as
    removed (``_removed_what``: a re-run with the card copies them anew); one whose copy
    root is on another
    filesystem now (``_unmounted``: unmounted lazily, its mount point the bare folder below,
    after the cascade read its copies through descriptors still open) fails each of them as
    not found bad (``_RECONNECT``), so ``_fail_damaged`` declares the drive lost: its copies
    are on no drive this machine has mounted, and a re-run with it still out would copy the
    card into that bare folder.

    A copy whose change time moved is read again whole (``local_looked_again.found_at``),
    a read of minutes on a large clip, stopped by *cancel*, the job's token where the
    cascade was cancelled (None once its copies are over: a Ctrl-C then cancels nothing,
    and sets the token all the same), asked before each of its reads: set, that copy is
    compared with nothing and goes to *cut* (``_cancel_unread``), the check going on with
    the others' ``lstat`` alone until another needs a read."""
    changed: list[_Damaged] = []
    dates = plan.options.copy.preserve_mtime
    for index in feeders:
        ledger = plan.ledgers[index]
        # Its entries as this run read and wrote them, at the first copy whose size and
        # date pass (no read of its ledger); none where its filesystem keeps no identity.
        known = run_known_of(ledger)
        lost: dict[int, OSError | None] = {}
        gone = _unmounted(ledger, index, lost)
        # Its copy root removed or renamed, its drive still there (``_lost_root``'s ENOENT):
        # none of its copies stands any more, each failed as removed (``_removed_what``).
        root = lost.get(index)
        removed = gone is None and root is not None and root.errno == errno.ENOENT
        for file in report.job.files:
            result = file.destination(index)
            if result is None or result.status not in GOOD_STATUSES:
                continue
            copy_path = result.final_path
            if removed:
                changed.append(
                    _Damaged(
                        file.relative_path,
                        index,
                        _removed_what(
                            file.relative_path,
                            None if copy_path is None else Path(copy_path),
                            was_proved(result.status),
                            ledger,
                            "(found so when the cascade checked the fast copies at its end)",
                        ),
                        FastCopyFailure.REMOVED,
                    )
                )
                continue
            if gone is not None:
                changed.append(
                    _Damaged(
                        file.relative_path,
                        index,
                        f"{file.relative_path}: the copy {copy_path} "
                        f"{was_proved(result.status)}, then its drive was gone when the "
                        f"cascade checked the fast copies at its end: {gone.strerror}; "
                        f"{_RECONNECT}",
                        FastCopyFailure.DRIVE_GONE,
                    )
                )
                continue
            try:
                st = os.lstat(copy_path)
            except OSError as exc:
                # A drive that no longer answers, or unmounted lazily (its copy root gone
                # or on another filesystem: every copy ENOENT there): not looked at further.
                if exc.errno in DRIVE_GONE_ERRNOS or (
                    exc.errno in (errno.ENOENT, errno.ENOTDIR) and not ledger.root_unchanged()
                ):
                    break
                missing = exc.errno in (errno.ENOENT, errno.ENOTDIR)
                found = "gone" if missing else f"unreadable ({exc.strerror or exc})"
                kind = FastCopyFailure.REMOVED if missing else FastCopyFailure.UNREADABLE
            else:
                try:
                    seen = found_at(
                        copy_path,
                        st,
                        file,
                        result.status,
                        ledger,
                        known,
                        dates=dates,
                        cancel=cancel,
                    )
                except DriveGone:
                    break
                except CancelledError:
                    if cut is not None:
                        cut.append(
                            _Damaged(
                                file.relative_path,
                                index,
                                f"{file.relative_path}: the copy {copy_path} "
                                f"{was_proved(result.status)}, then its change time moved; "
                                f"{NOT_READ_AGAIN}",
                                FastCopyFailure.UNREADABLE,
                            )
                        )
                    continue
                if seen is None:
                    continue
                found, unreadable = seen
                kind = FastCopyFailure.UNREADABLE if unreadable else FastCopyFailure.CHANGED
            proved = was_proved(result.status)
            # A copy gone leaves nothing to replace: a plain re-run with the card copies it
            # anew, never --overwrite; one unreadable is read back by it (its kind, which
            # report.cascade_words.fast_rerun gives the headline's remedy by, says the same).
            remedy = _REMEDIES[kind]
            changed.append(
                _Damaged(
                    file.relative_path,
                    index,
                    f"{file.relative_path}: the copy {copy_path} {proved}, then found "
                    f"{found} when the cascade checked the fast copies at its end; {remedy}",
                    kind,
                )
            )
    return changed


#: The words of a fast copy whose read again whole a cancel cut short (``_cancel_unread``).
NOT_READ_AGAIN = (
    "not read again: the run was cancelled while the cascade read it again whole to check "
    "it at its end, so it is not trusted by a later run, which reads it back"
)


def _cancel_unread(
    plan: OffloadPlan,
    report: OffloadReport,
    cut: Sequence[_Damaged],
    sink: EventSink,
    marked: AbstractSet[int] = frozenset(),
    warned: set[tuple[int, str]] | None = None,
) -> set[int]:
    """Each fast copy of *cut* (``_changed_since_verified``: its change time moved, and the
    cancel stopped its read again whole) is ``cancelled``, as fusefat's copies a cancel
    left not re-read after the renames are (``renamed_recheck``): at its final name, never
    called verified nor failed (nothing found it bad), its ledger entry revoked and its
    drive's record of the card's pass removed (a re-run reads it back, never trusts it, nor
    is fed from it without the card), a ``FileCancelled`` after its ``FileVerified`` so that
    a script reading the events never takes it for verified. Returns the destinations whose
    ledger could not be told (``_fail_damaged``'s: their mark of the cascade stays, if
    *marked*)."""
    if not cut:
        return set()
    by_path = {f.relative_path: f for f in report.job.files}
    unrevoked = _revoke_fast_copies(
        plan,
        ((c.relative, c.destination) for c in cut),
        sink,
        marked,
        "the copies a cancel left not read again",
        warned,
    )
    for relative, index, why, _kind in cut:
        result = by_path[relative].destination(index) if relative in by_path else None
        if result is None:
            continue
        result.status = DestinationStatus.CANCELLED
        result.error = why
        result.verified_at = None
        result.verified_mode = None
        sink.emit(FileCancelled(index, relative, result.final_path or "", why))
    # One warning counting them, as fusefat's copies not re-read: the summary's count of
    # cancelled copies says "partial files removed", and these stay at their final names.
    first = cut[0]
    copy = (
        by_path[first.relative].destination(first.destination)
        if first.relative in by_path
        else None
    )
    where = printable_name(
        copy.final_path if copy is not None and copy.final_path else first.relative
    )
    if len(cut) == 1:
        said = (
            f"the fast copy {where} was cancelled and kept at its final name: its change time "
            f"moved since it was verified; {NOT_READ_AGAIN}"
        )
    else:
        said = (
            f"{len(cut)} fast copies, the first {where}, were cancelled and kept at their "
            "final names, each not read again after its change time moved since it was "
            "verified: the run was cancelled while the cascade read them again whole to "
            "check them at its end, so they are not trusted by a later run, which reads "
            "them back"
        )
    sink.emit(WarningIssued(said, where))
    for summary in report.job.destinations:
        summary.count(report.job.files)
    return unrevoked


def _unmounted(
    ledger: Ledger, index: int, lost: dict[int, OSError | None] | None = None
) -> OSError | None:
    """Why fast destination *index*'s copy root (its *ledger*'s) is on another filesystem
    than its ledger saw, its drive unmounted (``umount -l``: its mount point the bare folder
    below, the copy root missing there or that folder itself): ``_lost_root``'s error; None
    when it is where it was, was removed with its drive there (ENOENT), or no longer answers
    (``DRIVE_GONE_ERRNOS``: a killed FUSE program, ENOTCONN; its copies keep what they were
    verified as, its report refused says it). *lost*: ``_lost_root``'s cache, which keeps
    the copy root's classification for the caller. One or two ``stat`` calls; never
    raises."""
    root = _lost_root({} if lost is None else lost, ledger, index)
    if root is None or root.errno == errno.ENOENT:
        return None
    try:
        os.stat(ledger.copy_root)
    except OSError as exc:
        if exc.errno in DRIVE_GONE_ERRNOS:
            return None
    return root


def _s3_changed_since_verified(
    plan: OffloadPlan, report: OffloadReport, indexes: Sequence[int]
) -> list[_Damaged]:
    """:func:`_changed_since_verified` for the fast S3 destinations (*indexes*): each copy
    the report still calls good whose object is gone, of another size or another object
    than the one verified (``s3card.changed_since_verified``: one listing of the copy root,
    a HEAD a key it does not show as expected). The cascade reads none of them (only local
    fast copies feed it), so without this a copy deleted or written over between its
    read-back and the cascade's end was still reported verified. A service that stops
    answering is not looked at further (as a drive gone: nothing found says otherwise)."""
    if not indexes:
        return []
    from offload.destinations import s3card  # loaded by then: an s3:// destination

    changed: list[_Damaged] = []
    for index in indexes:
        backend, ledger = plan.backends.get(index), plan.ledgers[index]
        if backend is None or not isinstance(ledger, s3card.S3Ledger):
            continue
        copies: list[tuple[str, Path, int]] = []
        statuses: dict[str, DestinationStatus] = {}
        for file in report.job.files:
            result = file.destination(index)
            if result is None or result.status not in GOOD_STATUSES or not result.final_path:
                continue
            copies.append((file.relative_path, Path(result.final_path), file.size_bytes))
            statuses[file.relative_path] = result.status
        found = s3card.changed_since_verified(backend, ledger, copies)
        paths = {relative: path for relative, path, _ in copies}
        for relative, (what, gone) in (found or {}).items():
            copy_path = paths[relative]
            proved = was_proved(statuses[relative])
            # An object gone leaves nothing to replace: copied anew, never --overwrite.
            kind = FastCopyFailure.REMOVED if gone else FastCopyFailure.CHANGED
            changed.append(
                _Damaged(
                    relative,
                    index,
                    f"{relative}: the copy {copy_path} {proved}, then found {what} when "
                    f"the cascade checked the fast copies at its end; {_REMEDIES[kind]}",
                    kind,
                )
            )
    return changed


class _Unfed(NamedTuple):
    """A slow target that cannot be fed (``_record_failures``): the card file, the slow
    destination's index, its target, why (``_no_copy_reason``) and its refusal's kind
    (``_fast_refusal``; None where a re-run with the card may feed it)."""

    relative: str
    destination: int
    target: str
    why: str
    kind: Refusal | None


def _fast_refusal(file: FileResult | None, feeders: list[int]) -> Refusal | None:
    """The kind of the failure of a file's slow copies that no fast copy feeds: where every
    fast destination of *feeders* that was given it refused it for a file in the way there
    (their results' ``refusal``), ``Refusal.FAST_REFUSED`` (where one of those files at
    least is a copy never to be overwritten, ``NEVER``, whatever the others are:
    ``FAST_REFUSED_ANOTHER_CARD`` where one is another card's, else
    ``FAST_REFUSED_EARLIER_COPY``; ``--overwrite`` is for the whole run, so offered for a
    plain file on one fast destination it would replace that copy on another), since the
    same command refuses it there again; else None (a re-run with the card may copy it)."""
    if file is None or file.source_error:
        return None
    results = [r for i in feeders if (r := file.destination(i)) is not None]
    if not results or any(r.refusal is None or r.refusal in FAST_REFUSALS for r in results):
        return None
    if any(r.refusal is Refusal.ANOTHER_CARD for r in results):
        return Refusal.FAST_REFUSED_ANOTHER_CARD
    if any(r.refusal is Refusal.EARLIER_COPY for r in results):
        return Refusal.FAST_REFUSED_EARLIER_COPY
    if any(r.refusal is Refusal.DAMAGED_EARLIER_COPY for r in results):
        return Refusal.FAST_REFUSED_DAMAGED_EARLIER_COPY
    return Refusal.FAST_REFUSED


def _no_copy_reason(
    plan: OffloadPlan,
    file: FileResult | None,
    feeders: list[int],
    slow: list[int],
    never_in_run: bool = True,
) -> str:
    """Why a file no fast copy holds cannot be cascaded to the *slow* destinations, and what
    would copy it there: a re-run with the card, unless every fast destination refused it
    because a different file holds its name there (a re-run refuses it again: only
    ``--overwrite``/``--keep-both`` or not cascading copies it; never --overwrite where a
    copy never to be overwritten holds its name or, *never_in_run*, another file's)."""
    if file is not None and file.source_error:
        return f"cannot be cascaded: the card's file was not copied ({file.source_error})"
    results = [
        (i, r) for i in feeders if file is not None and (r := file.destination(i)) is not None
    ]
    errors = [
        f"{display_path(plan.plans[i].destination)}: {r.error or r.status}" for i, r in results
    ]
    detail = "; ".join(errors) if errors else "no fast destination was given it"
    # Refused because a different file holds its name there (its kind: a re-run alone
    # refuses it again; only --overwrite or --keep-both, or --into for another card's copy).
    refused = [i for i, r in results if r.refusal is not None]
    if not refused:
        remedy = "re-run with the card to copy it"
    else:
        where = ", ".join(display_path(plan.plans[i].destination) for i in refused)
        targets = ", ".join(display_path(plan.plans[i].destination) for i in slow)
        # Another card's copy in the way, or an earlier take's, is never to be overwritten
        # (``remedies.another_card``, ``remedies.earlier_copy``).
        other_card = sum(r.refusal is Refusal.ANOTHER_CARD for i, r in results if i in refused)
        earlier = sum(r.refusal in EARLIER_KINDS for i, r in results if i in refused)
        fixes = refused_fixes(other_card + earlier, elsewhere=never_in_run)
        if len(refused) == len(results):
            held = refused_holder(other_card, earlier, len(refused) - other_card - earlier)
            remedy = (
                f"{held} on {where}, so a re-run refuses it again: "
                f"re-run with the card and {fixes}, or without cascading to {targets} (the "
                "card then feeds it directly)"
            )
        else:
            remedy = (
                f"re-run with the card to copy it (on {where}, where a different file holds "
                f"its name, only with {fixes})"
            )
    return (
        f"cannot be cascaded: no fast destination holds a verified copy of it ({detail}); {remedy}"
    )


# What a fast copy that could not be read because its drive is gone is told: it was not
# found bad (no --overwrite), the drive must come back. Ends with _NO_LONGER_VOUCHES, which
# _fail_damaged replaces when the drive's ledger could not be told either.
_RECONNECT = (
    f"{NOT_FOUND_BAD}: reconnect that drive and run the same command again "
    "(its ledger no longer vouches for it)"
)


def _not_fed_from_gone(root: Path | str | None, gone: str) -> str:
    """A slow destination's one reason for a file not fed because its fast copy's drive is
    gone (*root*: that fast copy root; *gone*: ``_drive_gone``'s words): never the card's
    words, nor --overwrite. The file's own path is not in it (the line begins with it):
    the files of one drive gone fail alike, so that past ``LISTED_ALONE`` of them one line
    counts the rest (``report.loss.alike_counts``) instead of a line each."""
    return (
        f"not cascaded: its fast copy in {root} could not be read, {gone}: reconnect that "
        "drive and run the same command again"
    )


def _lost_root(
    lost: dict[int, OSError | None], ledger: Ledger | None, index: int
) -> OSError | None:
    """Fast destination *index*'s copy root classified once per ``_cascade_tasks`` or
    ``_explain`` call (*lost*, its cache by index; every file of one pass told the same):
    None when it is there on the filesystem its ledger saw (``Ledger.root_unchanged``: one
    ``stat``), or has no ledger, or is no local folder; else why it is lost
    (``Ledger.lost_error`` without its remedy): ENOENT, the folder removed, its drive
    there; ENODEV, its drive gone (unmounted lazily, ``umount -l``: its mount point the
    bare folder below, where every copy is ENOENT). Never raises."""
    if index not in lost:
        local = ledger is not None and not is_s3_url(str(ledger.copy_root))
        lost[index] = (
            ledger.lost_error(remedy=False)
            if ledger is not None and local and not ledger.root_unchanged()
            else None
        )
    return lost[index]


def _drive_gone(
    copy_path: Path, root: OSError | None, error: OSError | None = None
) -> OSError | None:
    """The error saying why the drive holding the fast copy *copy_path* no longer answers
    (its ``strerror`` "its drive is gone (Transport endpoint is not connected)", its errno
    that error's: the copy's own *error*, else a ``stat`` now), or is no longer there
    (*root*, ``_lost_root``'s, not ENOENT: ``Ledger.lost_error``'s words and ENODEV); None
    when it answers (the copy is there, missing or unreadable on a drive that is still
    there, its folder removed) or fails otherwise (EIO). The words and the errno of one
    error, so that ``destination_lost`` never gives ENODEV with ENOTCONN's words. Never
    raises."""
    if error is None:
        try:
            os.stat(copy_path)
        except OSError as exc:
            error = exc
    if error is not None and error.errno in DRIVE_GONE_ERRNOS:
        return OSError(error.errno, f"its drive is gone ({error.strerror or error})")
    if root is not None and root.errno != errno.ENOENT:
        return root
    return None


def _removed_what(
    relative: str,
    copy_path: Path | None,
    proved: str,
    ledger: Ledger,
    when: str = "before the cascade read it",
) -> str:
    """Why a fast copy whose copy root was removed during the run (its drive there) no
    longer stands (``_fail_damaged``'s line): what it proved (*proved*, ``results.was_proved``),
    then the folder removed (*when*: found so); re-run with the card, never --overwrite
    (nothing is there)."""
    return (
        f"{relative}: the copy {copy_path} {proved}, then {removed_words(ledger.copy_root)} "
        f"{when}; re-run with the card to copy it anew (its ledger no longer vouches for it)"
    )


def _drop_cache(path: Path) -> None:
    """Evict a verified (durable) copy's pages, so the cascade reads it from the media.
    Never raises: a drop that fails is no verdict on the copy; the cascade's read of it,
    which follows, says whether it can be read (a drive pulled answers EIO there too)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass
    finally:
        try:
            os.close(fd)
        except OSError:
            # The drive pulled as it closes (FUSE: EIO from its flush, ECONNABORTED,
            # ENOTCONN): the descriptor is released all the same, and the cascade's read of
            # the copy says what is wrong (this raised out of the whole run: a traceback, no
            # report written, the slow destinations unfed).
            pass


def _record_failures(report: OffloadReport, failures: list[_Unfed], sink: EventSink) -> None:
    """Fail the slow targets that cannot be fed (no fast copy to read), in the report and
    on *sink* (FileFailed: no job runs for them, so the progress hears it from here), each
    with its refusal's kind (``_fast_refusal``: the run record and ``offload verify`` name
    the fast destinations' remedy for it, never a plain re-run, which fails it again)."""
    by_path = {f.relative_path: f for f in report.job.files}
    for relative, index, target, why, kind in failures:
        file = by_path[relative]
        if file.destination(index) is None:
            file.destinations.append(
                DestinationFileResult(
                    destination_index=index,
                    final_path=target,
                    status=DestinationStatus.FAILED,
                    error=f"{relative}: {why}",
                    refusal=kind,
                )
            )
            file.destinations.sort(key=lambda d: d.destination_index)
            sink.emit(FileFailed(index, relative, f"{relative}: {why}"))
    for summary in report.job.destinations:
        summary.count(report.job.files)


def _proven_copies(
    job: JobReport,
    references: Mapping[str, dict[str, str]],
    used: Mapping[str, _Fed],
    matched: set[tuple[str, int]],
) -> None:
    """Add to *matched* each fast copy the cascade's *job* read whole and found equal to the
    card's digests (*references*), as (path, destination index, from *used*): this run's
    proof of it (``_release_after_reread``), a cancelled job's files read before the cancel
    too. Before ``_explain``, which makes the job's digests the card's."""
    for file in job.files:
        reference = references.get(file.relative_path)
        read = file.inflight_digests  # set by the reader only once it read the file whole
        if (
            file.source_error is None
            and reference
            and all(read.get(n) == comparable_digest(n, v) for n, v in reference.items())
        ):
            matched.add((file.relative_path, used[file.relative_path].destination))


def _read_whole(job: JobReport, used: Mapping[str, _Fed]) -> Iterator[tuple[tuple[str, int], int]]:
    """Each copy the cascade's *job* fed from a file it read whole from a fast copy, as
    ((path, the slow destination's index), that fast copy's destination index): the
    reports' ``fed_from`` (``OffloadReport.cascade_feeder``), by copy: the job's results
    are those of the slow targets it was given, never a copy of the file another
    destination holds already (read back in the card's pass, trusted). Not a file whose
    read failed (its source error: the copy could not be read, its drive gone, or differed
    from the card; fed again from another copy, that one is named if read whole), nor one
    cancelled before its read ended (no digest of it yet). Before ``_explain``, which makes
    the job's digests the card's."""
    for file in job.files:
        fed_by = used.get(file.relative_path)
        if fed_by is not None and file.source_error is None and file.inflight_digests:
            for copy in file.destinations:
                yield (file.relative_path, copy.destination_index), fed_by.destination


def _explain(
    job: JobReport,
    tasks: Sequence[FileTask],
    references: Mapping[str, dict[str, str]],
    sink: EventSink,
    used: Mapping[str, _Fed],
    ledgers: Sequence[Ledger] = (),
    *,
    feed_again: bool = True,
    gone_at: dict[int, float] | None = None,
) -> tuple[dict[str, str], list[_Damaged]]:
    """Make the cascade job's results about the card: its in-flight digests are the card's,
    not the fast copy's; a fast copy that could not be read or no longer matches the card is
    a failure of that file on the slow destinations (named), never a card error. Returns
    the files to feed again from another fast copy (one is left), each with why the copy
    that fed it failed (``_say_fed_again`` says it once the next copy is chosen), and the
    fast copies that no longer stand as verified: found damaged, or that failed their read
    (a read error, a change while read: the drive may be failing), each (path, destination
    index, why).
    Without *feed_again* (a cancelled job) no file is fed again: the damaged are still found.
    A fast destination whose drive is first found gone here is added to *gone_at*, dated now.
    Each fast copy root is classified once (``_lost_root``)."""
    retry: dict[str, str] = {}
    damaged: list[_Damaged] = []
    lost: dict[int, OSError | None] = {}
    gone_at = {} if gone_at is None else gone_at
    sources = {t.source.relative_path: t.source.path for t in tasks}
    for file in job.files:
        read = dict(file.inflight_digests)
        reference = references.get(file.relative_path, {})
        file.inflight_digests = dict(reference)
        file.source_reread_digests = {}
        if file.source_error is None:
            continue
        copy_path = sources.get(file.relative_path)
        differs = [
            n for n, v in reference.items() if n in read and read[n] != comparable_digest(n, v)
        ]
        if differs:
            name = differs[0]
            why = (
                f"{file.relative_path}: not cascaded: the fast copy {copy_path} no longer "
                f"matches the card ({name} {read[name]} read from it, {reference[name]} read "
                "from the card); nothing was written under its name here. Re-run with the "
                "card and --overwrite, which replaces that copy"
            )
            sink.emit(
                WarningIssued(
                    f"the copy {copy_path} differs from the card's digests read when it was "
                    f"copied ({name}): it is damaged; check it with offload verify",
                    str(copy_path),
                )
            )
            job.warnings.append(f"the copy {copy_path} differs from the card's digests ({name})")
            fed_by = used.get(file.relative_path, _NOT_FED)
            damaged.append(
                _Damaged(
                    file.relative_path,
                    fed_by.destination,
                    f"{file.relative_path}: the copy {copy_path} {was_proved(fed_by.status)}, "
                    "then changed: "
                    f"re-read for the cascade, {name} {read[name]} ≠ {reference[name]} read "
                    "from the card; re-run with the card and --overwrite to replace it (its "
                    "ledger no longer vouches for it)",
                    FastCopyFailure.CHANGED,
                )
            )
        else:
            # Verified when the card was read, unreadable now: the report must not go on
            # calling it verified, nor the card's release count it (report/release.py).
            fed_by = used.get(file.relative_path, _NOT_FED)
            unread = _unread_copy(
                file.relative_path, copy_path, file.source_error, fed_by, ledgers, lost
            )
            if unread.kind is FastCopyFailure.DRIVE_GONE:
                gone_at.setdefault(fed_by.destination, time.time())  # the first time known
            why = unread.why
            damaged.append(
                _Damaged(file.relative_path, fed_by.destination, unread.what, unread.kind)
            )
        fed_by = used.get(file.relative_path, _NOT_FED)
        if feed_again and fed_by.position + 1 < fed_by.candidates:
            retry[file.relative_path] = why  # said once the next copy is chosen
        file.source_error = None
        for result in file.destinations:
            if result.status is DestinationStatus.FAILED:
                result.error = why
    for summary in job.destinations:
        summary.count(job.files)
    return retry, damaged


class _Unread(NamedTuple):
    """Why a fast copy the cascade could not read was not fed (``_unread_copy``): the slow
    destinations' reason (*why*), the fast copy's own (*what*), and the kind of its failure
    (*kind*: its drive gone, it removed, or its read failed)."""

    why: str
    what: str
    kind: FastCopyFailure


#: A fast copy's file removed after the card's pass, its folder and drive still there.
_AGAIN = "run again with the card to copy it anew"
_FILE_REMOVED = (
    "the fast copy's file is gone (removed since the card's pass; its folder and drive are "
    f"there); {_AGAIN}"
)


def _file_removed(copy_path: Path) -> bool:
    """Whether the fast copy *copy_path* is no longer there (ENOENT, ENOTDIR: removed, or a
    folder on its path replaced), its drive answering: the engine's error for it then
    speaks of the card ("was on the card when it was scanned ... put it back"), its
    source. One stat; never raises."""
    try:
        os.stat(copy_path)
    except OSError as exc:
        return exc.errno in (errno.ENOENT, errno.ENOTDIR)
    return False


# The cause of a fast copy read alike twice since, other than while the cascade copied it
# (``errors.REREAD_ALIKE``), in the engine's words' place: the source is that copy, not the
# card.
_FAST_REREAD_ALIKE = (
    "the fast copy changed on its drive since it was read, or that drive returned other bytes "
    "while the cascade copied it (drive, reader or cable unreliable)"
)


def _unread_copy(
    relative: str,
    copy_path: Path | None,
    error: str,
    fed_by: _Fed,
    ledgers: Sequence[Ledger],
    lost: dict[int, OSError | None],
) -> _Unread:
    """The words of a fast copy of *relative* at *copy_path* whose read for the cascade
    failed with the engine's *error* (a source error: worded as the card's), fed by
    *fed_by*: its copy root removed (the drive answers), its drive gone, its file removed,
    or the read's own error. *lost*: ``_lost_root``'s cache. Two stats at most (a failure
    path); never raises."""
    index, proved = fed_by.destination, was_proved(fed_by.status)
    ledger = ledgers[index] if 0 <= index < len(ledgers) else None
    root = _lost_root(lost, ledger, index)
    drive = _drive_gone(copy_path, root) if copy_path is not None else None
    gone = drive.strerror if drive is not None else None
    if ledger is not None and root is not None and root.errno == errno.ENOENT:
        removed = removed_words(ledger.copy_root)  # the drive answers: no copy
        return _Unread(
            f"{relative}: not cascaded from {copy_path}: {removed}",
            _removed_what(relative, copy_path, proved, ledger),
            FastCopyFailure.REMOVED,
        )
    if gone:  # one reason, the drive's: never the card's words (its source error)
        return _Unread(
            f"{relative}: {_not_fed_from_gone(ledger.copy_root if ledger else copy_path, gone)}",
            f"{relative}: the copy {copy_path} {proved}, then could not be read when the "
            f"cascade came to it: {gone}; {_RECONNECT}",
            FastCopyFailure.DRIVE_GONE,
        )
    if copy_path is not None and _file_removed(copy_path):  # never the card's words
        return _Unread(
            f"{relative}: not cascaded from {copy_path}: {_FILE_REMOVED}",
            f"{relative}: the copy {copy_path} {proved}, then was removed before the cascade "
            f"read it (its folder and drive are there); {_AGAIN}",
            FastCopyFailure.REMOVED,
        )
    if error.endswith(REREAD_ALIKE_CAUSE):  # the engine's cause names the card: its source
        error = error.removesuffix(REREAD_ALIKE_CAUSE) + _FAST_REREAD_ALIKE
    return _Unread(
        f"{relative}: not cascaded from {copy_path}: {error}",
        f"{relative}: the copy {copy_path} {proved}, then failed its read for the cascade "
        f"({error}); {_READ_BACK_AGAIN}",
        FastCopyFailure.UNREADABLE,
    )


class _FastCopyFailures:
    """The cascade job's sink: a file whose fast copy could not be read is announced failed
    (``FileFailed``, the source's and each slow destination's) in the words ``_explain``
    gives the report (``_unread_copy``: its drive gone, its copy root removed), not the
    engine's, which take the source for the card ("was on the card when it was scanned and
    is gone now ... put it, or the right card, back"). A drive found gone is dated in
    *gone_at* now, when found (its ``lost_at``). Everything else passes through."""

    def __init__(
        self,
        sink: EventSink,
        tasks: Sequence[FileTask],
        used: Mapping[str, _Fed],
        ledgers: Sequence[Ledger],
        gone_at: dict[int, float],
    ) -> None:
        self._sink = sink
        self.accepts = accepts_of([sink])
        self.phases = phases_of([sink])
        self._sources = {t.source.relative_path: t.source.path for t in tasks}
        self._used, self._ledgers, self._gone_at = used, ledgers, gone_at
        self._lost: dict[int, OSError | None] = {}
        self._said: dict[str, str] = {}  # by path: the words of its source's failure

    def emit(self, event: Event) -> None:
        if isinstance(event, FileFailed):
            relative = event.relative_path
            if event.destination_index == -1 and relative not in self._said:
                fed_by = self._used.get(relative, _NOT_FED)
                unread = _unread_copy(
                    relative,
                    self._sources.get(relative),
                    event.message,
                    fed_by,
                    self._ledgers,
                    self._lost,
                )
                if unread.kind is FastCopyFailure.DRIVE_GONE:
                    self._gone_at.setdefault(fed_by.destination, time.time())
                self._said[relative] = unread.why
            said = self._said.get(relative)
            if said is not None:
                event = FileFailed(event.destination_index, relative, said)
        self._sink.emit(event)


# How a fast copy's failure in the cascade ends when its ledger entry was revoked, and what it
# says instead when the ledger could not be written (``_fail_damaged``).
_NO_LONGER_VOUCHES = "its ledger no longer vouches for it"

# What a fast copy whose read (or stat) failed is told: nothing found bad, the same command
# with the card reads it back (never --overwrite first: it may be equal to the card).
_READ_BACK_AGAIN = (
    "check that drive (offload verify) and run the same command again with the card, which "
    "reads this copy back: kept if equal to the card, refused (naming --overwrite) if other "
    f"({_NO_LONGER_VOUCHES})"
)

# The remedy the cascade's end check gives a fast copy it found no longer as verified, by
# the kind of what it found (``_changed_since_verified``, ``_s3_changed_since_verified``).
_REMEDIES = {
    FastCopyFailure.REMOVED: f"{_AGAIN} ({_NO_LONGER_VOUCHES})",
    FastCopyFailure.UNREADABLE: _READ_BACK_AGAIN,
    FastCopyFailure.CHANGED: "re-run with the card to copy it again (with --overwrite where it "
    f"is still there: {_NO_LONGER_VOUCHES})",
}


def _say_fed_again(
    report: OffloadReport, fed: Sequence[FileTask], again: Mapping[str, str], sink: EventSink
) -> None:
    """A warning for each file of *again* (path: why the fast copy that fed it failed) that
    another fast copy now feeds (*fed*): that copy named, on the terminal and in the job
    report's warnings. One no copy is left for fails on the slow destinations, said there."""
    if not again:
        return
    for task in fed:
        relative = task.source.relative_path
        if relative in again:
            source = task.source.path_text
            said = f"{relative}: fed again from the fast copy {source} ({again[relative]})"
            sink.emit(WarningIssued(said, source))
            report.job.warnings.append(said)


_STILL_VOUCHES = (
    "its ledger could not be told, so a re-run would trust it again: --reverify reads it back"
)


def _mark_unsettled(
    plan: OffloadPlan, feeders: Sequence[int], span: tuple[float, float], sink: EventSink
) -> set[int]:
    """Mark each local fast copy root (*feeders*) unsettled for *span*
    (``cascade_unsettled.mark``); the indices marked. One that cannot be marked is said
    (a warning: were its drive to go, a re-run would trust its copies unread)."""
    from offload import cascade_unsettled

    marked: set[int] = set()
    for index in feeders:
        root = Path(plan.plans[index].root)
        try:
            # Never below a drive gone since (a copy root that is its mount point is still a
            # folder then): ENODEV, said as any refusal.
            if not plan.ledgers[index].root_unchanged():
                raise OSError(errno.ENODEV, "its drive is not reachable")
            cascade_unsettled.mark(root, span)
            marked.add(index)
        except OSError as exc:
            sink.emit(
                WarningIssued(
                    f"cannot mark {root} as fed from by the cascade ({exc.strerror or exc}): "
                    "were its drive to go before the cascade ends, a re-run would trust its "
                    "copies unread: --reverify reads them back",
                    str(root),
                )
            )
    return marked


def _earliest_fed_from(report: OffloadReport, feeders: Sequence[int]) -> float:
    """When the span marked unsettled starts: the run's start, or the earliest ledger entry
    of a fast copy in *feeders* trusted from an earlier run (its result's ``verified_at`` is
    that entry's ``recorded_at``), so that the mark covers every entry the cascade may fail
    to revoke."""
    earliest = report.job.started_at
    for file in report.job.files:
        for index in feeders:
            result = file.destination(index)
            if result is not None and result.verified_at:
                earliest = min(earliest, result.verified_at)
    return earliest


def _settle(plan: OffloadPlan, marked: AbstractSet[int], span: tuple[float, float]) -> None:
    """Take back the mark of each fast copy root in *marked* whose drive is still the one
    its ledger saw (every revocation there written): its ledger says what the run found.
    One that cannot be taken back stays: a re-run reads those copies back. Never raises."""
    from offload import cascade_unsettled

    for index in sorted(marked):
        if not plan.ledgers[index].root_unchanged():
            continue
        try:
            cascade_unsettled.settle(Path(plan.plans[index].root), span)
        except OSError:
            pass  # trusting less: the re-run reads them back


# What a copy whose ledger could not be told says when the cascade's mark stands on its drive
# (``cascade_unsettled``): a re-run does not trust it unread.
_MARKED_UNSETTLED = (
    "its ledger could not be told; the cascade's mark on that drive has a re-run read it back"
)


def _revoke_fast_copies(
    plan: OffloadPlan,
    copies: Iterable[tuple[str, int]],
    sink: EventSink,
    marked: AbstractSet[int],
    what: str,
    warned: set[tuple[int, str]] | None = None,
) -> set[int]:
    """Revoke each fast copy of *copies* (its card path, its destination's index) in its
    drive's ledger (this card's entries, not another's kept beside them) and remove that
    drive's record of the card's pass, so a re-run reads them back and is never fed from
    them without the card. A drive whose copy root was removed is skipped (its ledger vouches
    for nothing). A ledger that cannot be told is a ``WarningIssued`` naming *what* and, by
    *marked* (the cascade's mark stays on that drive), what a re-run does; a record that
    cannot be removed once the ledger was told is a ``WarningIssued`` of its own (revoked,
    the record kept). *warned*: the (destination, *what*) already said not told this run,
    said once (added to). Returns the destinations whose ledger could not be told. Never
    raises for I/O."""
    revoke: dict[int, dict[str, str]] = {}
    for relative, index in copies:
        if 0 <= index < len(plan.ledgers):
            revoke.setdefault(index, {})[relative] = plan.ledgers[index].card
    unrevoked: set[int] = set()
    for index, paths in revoke.items():
        ledger = plan.ledgers[index]
        if ledger.root_removed():
            continue  # removed with its folder, the ledger vouches for nothing: none to revoke
        try:
            ledger.revoke(paths)  # this card's copies, not another's kept beside them
        except OSError as exc:
            unrevoked.add(index)
            if warned is not None:
                if (index, what) in warned:
                    continue
                warned.add((index, what))
            sink.emit(
                WarningIssued(
                    f"cannot revoke {what} in {ledger.path} ({exc.strerror or exc}): "
                    + (
                        "the cascade's mark on that drive has a re-run read them back"
                        if index in marked
                        else "a re-run would trust them again; re-run with --reverify"
                    ),
                    str(ledger.path),
                )
            )
            continue
        record = ledger.folder / CARD_PASS_RECORD
        try:
            # Checked and removed in the folder the lock holds, never by name: a
            # ``.offload`` swapped since the revocation's append would have another copy
            # root's record removed (``state_folder``).
            unlink_in(record)
        except OSError as exc:
            # The ledger was told (not in *unrevoked*: its copies' words stand, its mark
            # settles): the record left names files its ledger no longer vouches for, so a
            # re-run without the card passes that copy over all the same (``_not_complete``).
            sink.emit(
                WarningIssued(
                    f"revoked {what} in {ledger.path}; its record of the card's pass could "
                    f"not be removed ({exc.strerror or exc}): a re-run without the card is "
                    "not fed from that drive all the same, its ledger no longer vouching "
                    "for them",
                    str(record),
                )
            )
    return unrevoked


def _fail_damaged(
    plan: OffloadPlan,
    report: OffloadReport,
    damaged: list[_Damaged],
    sink: EventSink,
    marked: AbstractSet[int] = frozenset(),
    gone_at: Mapping[int, float] | None = None,
    warned: set[tuple[int, str]] | None = None,
) -> set[int]:
    """A fast copy found damaged by the cascade's re-read, or that failed that read, is no
    longer reported verified; a FileFailed on *sink* says so (the progress counts it failed
    there, no longer done). Nor is it trusted again: its ledger entry is revoked (a re-run
    reads it back, never "verified earlier"), and the copy loses its record of the card's
    pass (a re-run without the card is not fed from it). The card's release stays a fact of
    the past (``card_released_at``); the reports' last words are then about the copy that
    failed (``cascade_words``, ``report/release.py``: the card is kept). Returns the
    destinations whose ledger could not be told (their mark of the cascade stays,
    ``cascade_unsettled``: in *marked*, a re-run reads their copies back, and says so)."""
    by_path = {f.relative_path: f for f in report.job.files}
    # The ledgers that could not be told (their drive pulled, say): their copies' words must
    # not say the ledger no longer vouches for them.
    unrevoked = _revoke_fast_copies(
        plan,
        ((relative, index) for relative, index, _why, _kind in damaged),
        sink,
        marked,
        "the copies the cascade found changed or could not read",
        warned,
    )
    listed = _listed_in_manifests(report)
    for relative, index, why, kind in damaged:
        if index in unrevoked:
            still = _MARKED_UNSETTLED if index in marked else _STILL_VOUCHES
            why = why.replace(_NO_LONGER_VOUCHES, still)
        if kind in (FastCopyFailure.CHANGED, FastCopyFailure.REMOVED) and relative in listed.get(
            index, ()
        ):
            why += _STILL_LISTED
        result = by_path[relative].destination(index) if relative in by_path else None
        if result is not None:
            result.status = DestinationStatus.FAILED
            result.error = why
            result.fast_failure = kind  # what the cascade's words read, never *why*
            # Its commit dated it verified; a failed copy has no verification time or mode.
            result.verified_at = None
            result.verified_mode = None
            sink.emit(FileFailed(index, relative, why))
    gone = {d.destination for d in damaged if d.kind is FastCopyFailure.DRIVE_GONE}
    _declare_gone(plan, report, gone, sink, gone_at or {})
    if damaged:
        for summary in report.job.destinations:
            summary.count(report.job.files)
    return unrevoked


# A fast destination's manifests are written when the card is released, before the cascade
# reads its copies: one the cascade then fails (changed, removed) is still listed there with
# the card's hash. Said with its failure (README), never left for the manifest alone to claim.
_STILL_LISTED = (
    "; its manifest there, written at the end of the card's pass, still lists it with the card's "
    "hash (offload verify of that copy root fails it)"
)


def _listed_in_manifests(report: OffloadReport) -> dict[int, _Listed]:
    """By destination index, the files its manifests written by this run list: every file
    of the report but those left out there (``ManifestResult.left_out``)."""
    listed: dict[int, _Listed] = {}
    for outcome in report.manifests:
        if outcome.written:
            listed[outcome.destination_index] = _Listed(frozenset(outcome.left_out))
    return listed


class _Listed:
    """The files a manifest lists: any but those left out (a container of paths)."""

    def __init__(self, left_out: frozenset[str]) -> None:
        self._left_out = left_out

    def __contains__(self, relative: object) -> bool:
        return relative not in self._left_out


def _declare_gone(
    plan: OffloadPlan,
    report: OffloadReport,
    indexes: AbstractSet[int],
    sink: EventSink,
    gone_at: Mapping[int, float],
) -> None:
    """Each fast destination of *indexes* (copies the cascade failed because their drive went away:
    ``FastCopyFailure.DRIVE_GONE``) whose drive is still gone is lost, as the engine declares a
    destination whose drive goes mid-job (``engine.state.DestinationWriter.declare_lost``):
    ``lost``, its reason and time in the reports, a ``DestinationLost`` on *sink* (the live
    view's row says LOST). Its row said FAILED or PARTLY FAILED where a run without a cascade
    says LOST for the same fact, and page 1 and the ``ERROR`` lines named each copy apart. The
    reason is the words its copies' failures give (``_drive_gone``), so that the reports count
    them as of the loss (``report.loss.of_the_loss``). A drive that stopped answering (ENOTCONN)
    whose copies the cascade did not read keeps them verified and is not made lost here (its
    report refused says it): the card's release stands on them; one unmounted (its copy root on
    another filesystem at the cascade's end, ``_unmounted``) is lost. Its ``lost_at`` is when
    the cascade first found it gone (*gone_at*, by index; now if not known), its errno that of
    the error its words are (``_drive_gone``). Never raises."""
    summaries = {d.index: d for d in report.job.destinations}
    for index in sorted(indexes):
        summary = summaries.get(index)
        if summary is None or summary.lost or not 0 <= index < len(plan.ledgers):
            continue
        ledger = plan.ledgers[index]
        root = _lost_root({}, ledger, index)
        gone = _drive_gone(Path(ledger.copy_root), root)
        if gone is None:  # back, or its folder removed with the drive there: not a drive gone
            continue
        words = gone.strerror or str(gone)
        summary.mark_lost(words, gone.errno, gone_at.get(index) or time.time())
        sink.emit(DestinationLost(index, words, gone.errno))
