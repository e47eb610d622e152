"""Verify a tree on disk against its ASC MHL history (or a legacy MHL file).

Each file on disk is compared with the hashes the history holds for it (the reference hash
per format, see :mod:`offload.manifest.history`): ``verified`` if every compared format
matches, ``changed`` if the size or a hash differs, ``extra`` if the history does not know
it; recorded files that are gone are ``missing``. A file (or folder) the history records
as renamed (``<previousPath>``) is expected at its new name only, and checked against the
hashes recorded under its old one (:mod:`offload.manifest.history`). The walk skips the
``ascmhl`` folder and whatever the history's latest ignore patterns (plus the caller's)
exclude, as the reference tool does, and it raises on any directory it cannot read (a dying
card must not look empty).

Optionally a new generation is appended (process ``in-place``): verified files as
``verified``, changed files as ``failed``, extra files as ``original``, so the history
records this check. That needs every file hashed, extra ones included. A missing file is
not listed (as ``ascmhl create`` leaves it). A symlink not read (``outside``, ``dangling``,
to a folder) that the history does not record is ignored by the generation's list, by a
pattern naming that path alone, as ``offload copy`` ignores such a link of a card: the
reference tool then skips it too, where it would call it new; a recorded one is missing and
never so hidden (ascmhl leaves ignored paths out of its missing ones), nor one whose pattern
would hide another path of the copy root as ascmhl walks it, nor any where that tree cannot
be read whole (``_unrecorded_link_patterns``): each unrecorded link so left out is named in a
note of the report (``VerifyReport.notes``), as ``offload copy`` warns of a card's, since
ascmhl will call it new.

What is not a plain file, as the reference tool (``ascmhl`` 1.2) sees it: a symlink to a
file is a file (its content is the target's); a symlink to a folder is skipped; a symlink
that leads nowhere (dangling, looping) has nothing to read: it is listed in ``dangling``
(ascmhl would call it a new file) and is ``missing`` if the history records its path. A
symlink to a file is read through only when, followed one step at a time, it stays inside
the copy (:func:`offload.manifest.links.classify_link`, from the copy root a nested history
lies in): one that reaches a file outside it (an absolute target, ``..`` past the root; the
card's clip, say) or into its own ``ascmhl``/``.offload`` state is not the copy's content,
although ascmhl reads through it and calls it verified. It is listed in ``outside``, never
read, and is ``missing`` if the history records its path. A file that vanishes while the
check runs is ``missing``. A folder the history records (a
``<directoryhash>``, an empty folder included) that is not there is ``missing`` too, as
ascmhl reports it. A folder below the root holding an ``ascmhl`` folder of its own is a
nested history: its files are checked against that history (as ascmhl's child histories),
their paths prefixed with the folder's; one in a folder the history's list names by an
anchored pattern alone is found and checked too, since plain ``ascmhl-debug verify`` walks that
folder (:func:`_search_skipped`), and ``append_generation`` is refused beside it as
beside any nested history (``UnsupportedTreeError``). A legacy MHL has no ignore list:
against one, a link it does not list that is not a file of the card
(:func:`offload.manifest.links.classify_link`) is passed over, as the ignore pattern
``offload copy`` writes for it in the ASC MHL history (it is ``outside`` only when the
legacy MHL lists it: then it is ``missing`` too).
"""

from __future__ import annotations

import dataclasses
import errno
import itertools
import os
import posixpath
import stat
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from offload.destinations.naming import is_partial_leftover, is_partial_name
from offload.errors import describe_os_error_below, printable_name
from offload.hashing import DEFAULT_ALGORITHM, new_hasher, resolve_algorithm
from offload.hashing.registry import fastest
from offload.manifest import unchained_own
from offload.manifest.ascmhl import generation_tree, utc_now, write_generation
from offload.manifest.coverage import Lister, is_local, local_lister, memoized
from offload.manifest.digest import sorted_formats
from offload.manifest.errors import (
    HistoryError,
    ManifestError,
    NoHistoryError,
    UnsupportedTreeError,
    UntrustedHistoryError,
)
from offload.manifest.history import (
    ASCMHL_FOLDER,
    History,
)
from offload.manifest.ignore import (
    DEFAULT_IGNORE_PATTERNS,
    IgnoreSpec,
    merge_patterns,
    verify_skips,
)
from offload.manifest.legacy import LegacyEntry, read_legacy_mhl
from offload.manifest.links import LinkKind, classify_link, exact_pattern, pattern_hides
from offload.manifest.model import CreatorInfo, ManifestFile
from offload.manifest.nested_links import TreeRead, link_pattern_problems
from offload.manifest.xmltext import xml_can_hold
from offload.report.words import plural
from offload.respelling import respelled_pairs, spelled_as_listed
from offload.walk import walk_tree

if TYPE_CHECKING:
    from offload.copy_legacy_mhl import LegacyMhlCheck

HashFile = Callable[[Path, Sequence[str]], dict[str, str]]
# A file's date as the read that hashed it learnt it (``verify_tree``'s *file_date*).
FileDate = Callable[[Path], int | None]
#: Told, before a tree's files are read, how many files and bytes will be read (progress).
OnPlan = Callable[[int, int], None]
#: The copy root's ledger's record of the copy at a path (relative to the copy root): the
#: size and digests of each entry vouching for it (none: it records no copy there), asked
#: by a check against a legacy MHL of a file that MHL lists twice, unlike (``verify_tree``'s
#: *ledger_records*).
LedgerRecords = Callable[[str], Sequence[tuple[int, Mapping[str, str]]]]

_CHUNK_BYTES = 4 << 20  # large reads amortise the per-call cost; the hashers release the GIL


def _cannot_verify(root: Path, exc: OSError) -> ManifestError:
    """The error of a check of *root* that an I/O error *exc* stopped: what failed, on
    which path below *root* (``describe_os_error_below``), its errno kept."""
    return ManifestError(
        f"cannot verify {root}: {describe_os_error_below(exc, root)}",
        path=root,
        errno_=exc.errno,
    )


def hash_file_plain(path: Path, formats: Sequence[str]) -> dict[str, str]:
    """Hash a file with plain buffered reads (the page cache may answer: not a read-back).

    Returns format → canonical digest text. Raises OSError, UnknownHashError.
    """
    hashers = {name: new_hasher(name) for name in formats}
    buffer = bytearray(_CHUNK_BYTES)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while count := handle.readinto(buffer):
            chunk = view[:count]
            for hasher in hashers.values():
                hasher.update(chunk)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


class ChangeReason(StrEnum):
    """How a file differs from its record."""

    SIZE = "size"  # hashes may not have been computed
    HASH = "hash"


class ReferenceKind(StrEnum):
    """What a tree was verified against."""

    ASCMHL = "ascmhl"  # its ASC MHL history
    LEGACY = "legacy"  # a legacy MHL v1 file
    LEDGER = "ledger"  # offload-ai's ledger (offload.verification)


@dataclass(frozen=True)
class ChangedFile:
    """A file whose size or hash differs from the record.

    ``reason``: ``"size"`` (then hashes may not have been computed: ``actual`` is empty) or
    ``"hash"``. ``expected``/``actual``: format → digest for the formats compared.
    """

    path: str
    reason: ChangeReason
    expected_size: int | None
    actual_size: int
    expected: Mapping[str, str] = field(default_factory=dict)
    actual: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reason:
    """Why a path is in the list a check put it in, where more can be said than the list's
    name: what stands at a missing file's name, why a new file is in no manifest, that a
    changed file is a symlink read through (``offload.verification_reason``). ``code``: a
    short stable word for scripts (docs/json.md); ``text``: the words the terminal and the
    JSON print, a name within them in the terminal's spelling (``printable_name``: a control
    character as ``\\x01``); ``exact``: the same words with each such name as it is, where that
    differs (else None), for a writer that encodes names its own way (the CSV's cells,
    ``report.csv_cells``: spelled there once, never ``\\x01`` escaped again). Made by
    ``naming_reason`` where the words name a path."""

    code: str
    text: str
    exact: str | None = None


def naming_reason(code: str, words: Callable[[Callable[[str], str]], str]) -> Reason:
    """A ``Reason`` whose *words* name paths: *words* given how to spell a name, the
    terminal's way (``printable_name``) for ``text``, as it is for ``exact``."""
    text = words(printable_name)
    exact = words(str)
    return Reason(code, text, None if exact == text else exact)


class VerifyExit(IntEnum):
    """Exit codes of ``offload verify`` (those of ``ascmhl-debug verify`` where they overlap)."""

    OK = 0
    # Files recorded but gone, or the copy root's last offload did not finish (its record,
    # ``run_record``): card files no record names may be missing.
    MISSING = 10
    CHANGED = 11  # a size or hash differs, or a file could not be read
    EXTRA = 21  # only new files the records do not know
    # Some recorded files checked for presence and size only (a legacy MHL entry holding no
    # hash offload-ai can recompute: ``<null>``, a value that is no digest), or not at all
    # (an ``--mhl-file`` entry naming its file from a root): nothing failed, but the check
    # proved less than a hash would. In ascmhl's band of incomplete checks (20
    # a file not found, 21 new files), never 0: a script must not read it as "verified".
    SIZE_ONLY = 22
    NO_REFERENCE = 30  # no history, no legacy MHL, no ledger to verify against
    UNTRUSTED = 31  # the ASC MHL history is damaged or forged: not trusted, nothing verified
    NO_CHAIN = 32  # manifests without the chain file: nothing verified (ascmhl's 32)
    MISSING_MANIFEST = 33  # a manifest the chain lists is gone: nothing verified (ascmhl's 33)
    USAGE = 64  # bad arguments, PATH not a folder
    CANCELLED = 130  # interrupted (Ctrl-C)


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify_tree`. All path lists are sorted, relative, ``/``-separated.

    ``reference``: ``"ascmhl"`` or ``"legacy"``. ``unverifiable``: legacy entries with no hash
    we can recompute (XXH32, ``<null>``); they are checked for presence and size only.
    ``unreadable``: files whose hashing raised OSError (a dying card): the check went on
    without them. ``generation``: the manifest appended, if one was requested and every file
    could be read (an unreadable file's folder hashes cannot be computed). ``dangling``:
    symlinks that lead nowhere (dangling or looping): nothing to read, not counted against
    ``passed`` (a recorded one is also ``missing``). ``outside``: symlinks that reach a file
    outside the copy or in its own state (module doc): never read, not counted against
    ``passed`` (a recorded one is also ``missing``; against the ledger, only recorded ones
    are listed in these two: ``offload.verification``). ``nested``: the roots of nested
    histories checked against their own history (their files are in the lists above, with
    their full paths).
    ``folder_hashes_unchecked``: the folders (the root included) for which the ASC MHL
    history records a folder hash (``<directoryhash>``, ``<roothash>``, any generation),
    nested histories' included; this check does not recompute them (each file is checked
    on its own; ``ascmhl-debug verify -dh`` checks them), and says so rather than let a
    pass read as if they were.
    ``stopped``: a cancel stopped the check (the report of a :class:`CheckCancelled`): it is
    no pass, whatever its lists hold.
    ``leftovers``: unrecorded entries named as offload-ai's own debris (a partial, or the
    piece of a partial's name fusefat leaves: ``destinations.naming.is_partial_leftover``):
    never card content, so not ``extra``, not read, never in a generation, not counted
    against ``passed``.
    ``reasons``: path → :class:`Reason` for the paths of ``missing``, ``extra``, ``changed``
    and ``unreadable`` of which more can be said (``offload.verification_reason``, filled
    by :func:`verify_tree` and ``verification.verify_against_ledger``; those in
    ``dangling`` or ``outside`` have theirs in that list).
    """

    root: Path
    reference: ReferenceKind
    verified: tuple[str, ...]
    changed: tuple[ChangedFile, ...]
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    unverifiable: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()
    generation: Path | None = None
    dangling: tuple[str, ...] = ()
    nested: tuple[str, ...] = ()
    folder_hashes_unchecked: int = 0
    outside: tuple[str, ...] = ()
    reasons: Mapping[str, Reason] = field(default_factory=dict)
    leftovers: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()
    stopped: bool = False
    # What the check has to say beyond the files' states (on S3: objects of this run's it
    # may have left in the bucket, ``s3card.left_behind_notes``); never counted in ``passed``.
    notes: tuple[str, ...] = ()
    # On S3, each of those objects or versions (``s3card.left_behind_entries``): the JSON's
    # ``left_behind`` (``report.left_behind``), which the note sums up.
    left_behind: tuple[Mapping[str, object], ...] = ()
    # What each legacy MHL the copy holds (the card's own, copied and verified) says of the
    # files it lists (``offload.copy_legacy_mhl``; ``offload verify`` of a local copy).
    legacy_mhls: tuple[LegacyMhlCheck, ...] = ()
    # A file whose name the reference records spelled otherwise (composed, NFC, or
    # decomposed, NFD) and not as it stands: its path → the recorded one, whose record it
    # was read against (that record is not missing, the file not new: ``verify_tree``).
    respelled: Mapping[str, str] = field(default_factory=dict)
    # Those of ``respelled`` whose name as it stands is recorded too (an ``--append`` after
    # the rename): read once against both records, one verdict.
    recorded_as_is: frozenset[str] = frozenset()
    # The files read through a cache that could not be dropped (a network share's server, a
    # page cache that stayed: ``engine.verifier.MediaHasher``), named by
    # ``verification.verify_path``: their OK proves what the cache returned.
    read_through_cache: tuple[str, ...] = ()
    # Entries of the legacy MHL checked against (``--mhl-file``) that name their file from a
    # root (``/Volumes/A001/...``, ``D:/A001/...``: ``card_legacy_mhl.from_a_root``), not
    # from its folder, as it spells them (``\`` read as ``/``): tied to no file of the copy,
    # never read, never proved; the MHL's other entries are checked. No pass.
    from_a_root: tuple[str, ...] = ()
    # Why ``--append``'s generation was not written once the check was over (another
    # writer's meanwhile, a write that failed: ``verification.GenerationUnwrittenError``
    # sets it); None when it was, or none was asked. The request not met: no pass (exit 11).
    generation_unwritten: str | None = None
    # The files whose name no XML manifest can hold (a control character, bytes that are
    # not UTF-8: ``offload copy`` leaves them out, ``not-in-manifest``), new to the history,
    # checked against the copy root's ledger instead (``verification.unheld_by_ledger``):
    # each in ``verified``, ``changed`` or ``unreadable`` by that record, not ``extra``.
    ledger_checked: tuple[str, ...] = ()
    # Files of ``changed`` only because the legacy MHL checked against (``--mhl-file``) lists
    # each twice, unlike, whose read equals one of those two records and the copy root's
    # ledger's record of it (``_verify_legacy``, ``_as_one_record``): no read can match
    # both records, and this one was not found wrong, so nothing said of a copy found wrong
    # is said of it (``verify_cmd``: the ledger's record of it is not put in doubt). One
    # unlike the ledger's record is not here: a copy found wrong. Not in the JSON: its note
    # says it.
    read_as_one_record: frozenset[str] = frozenset()
    # Why the copy may lack files no record names: the copy root's record of its last
    # offload says it did not finish (killed, a power cut, cancelled: ``run_record.unfinished``,
    # the ``INCOMPLETE`` line); None where it finished or nothing records it. No pass (exit
    # 10, as for files missing): the check cannot know which card files never came.
    unfinished_offload: str | None = None
    # How each card's offload of ``unfinished_offload`` ended, in its words' order
    # (``run_record.unfinished_with_states``: ``running``, ``cancelled``, ``failed``,
    # ``unreadable``): what a reader tells those words apart by, never parsing them.
    unfinished_states: tuple[str, ...] = ()
    # Those of ``missing`` that are recorded folders, not files (a history records each
    # folder too: a clip folder deleted is its files and itself gone): every count of
    # missing files leaves them out and says them apart (``missing_files``).
    missing_folders: tuple[str, ...] = ()

    @property
    def missing_folders_listed(self) -> tuple[str, ...]:
        """Those of ``missing_folders`` still in ``missing`` (a caller that takes a path out
        of ``missing``, ``s3verify``'s objects read by their own keys, leaves this field as
        it was): what the summary and the JSON say apart."""
        if not self.missing_folders:
            return ()
        missing = set(self.missing)
        return tuple(p for p in self.missing_folders if p in missing)

    @property
    def missing_files(self) -> tuple[str, ...]:
        """The files of ``missing``: its paths but the recorded folders
        (``missing_folders``). What "N missing" counts."""
        if not self.missing_folders:
            return self.missing
        folders = set(self.missing_folders)
        return tuple(p for p in self.missing if p not in folders)

    @property
    def exit_code(self) -> VerifyExit:
        """The exit code of a check that ended with this report, by what it holds: a check
        a cancel stopped (``stopped``, ``cancelled``: 130, whatever it found before, as
        ``offload verify`` exits); a file changed or unreadable, or ``--append``'s
        generation not written (11); missing files, or the copy root's last offload not
        finished (``unfinished_offload``: files may be missing) (10); files checked by size
        only or not at all (22); new files only (21); else 0. The one rule of the exit code and of
        ``passed``."""
        if self.stopped or self.cancelled:
            return VerifyExit.CANCELLED
        if self.changed or self.unreadable or self.generation_unwritten is not None:
            return VerifyExit.CHANGED
        if self.missing or self.unfinished_offload is not None:
            return VerifyExit.MISSING
        if self.unverifiable or self.from_a_root:
            return VerifyExit.SIZE_ONLY
        if self.extra:
            return VerifyExit.EXTRA
        return VerifyExit.OK

    @property
    def passed(self) -> bool:
        """True when every recorded file was read and matched its recorded hash, none is
        missing, none unknown appeared: ``exit_code`` 0, by definition. A legacy entry
        without a hash offload-ai can recompute (``unverifiable``: checked for its size
        only) is no pass: exit 22; nor is an entry naming its file from a root
        (``from_a_root``: not checked at all); nor a check a cancel stopped (``stopped``;
        ``cancelled`` names what it had yet to read, none when the cancel came after its
        reads), nor one whose ``--append`` generation was not written
        (``generation_unwritten``): every file may be OK, but what was asked was not done.
        The report's ``passed`` is this for the check's own code; a command a further
        signal stopped after it is restated false (``verify_cmd``)."""
        return self.exit_code == VerifyExit.OK


class CheckCancelled(KeyboardInterrupt):
    """A check stopped by a cancel (Ctrl-C, SIGTERM: a KeyboardInterrupt) once it had begun
    to read the files: in its reads, or after them (the search for missing files and
    folders, a nested history, an appended generation, the reasons). ``report`` is what it
    proved before: the files read and matched (``verified``), found changed (by size before
    any read, or by hash), unreadable, checked by size only, and in ``cancelled`` the
    recorded files it had not finished reading (none when the cancel came after the reads);
    nothing more: no missing or new file is named (the check had not looked for them, or
    not said which), and a generation only when it was written before the cancel; it is
    ``stopped``. A KeyboardInterrupt, so code that does not know it stops as for any cancel.
    ``files_read_from_media`` and ``files_read_through_cache``: the files read so far each
    way, set by ``offload.verification.verify_path`` (on S3, ``destinations.s3verify``:
    the objects read back by a GET)."""

    def __init__(self, report: VerifyReport) -> None:
        super().__init__("the check was cancelled before it finished")
        self.report = report
        self.files_read_from_media = 0
        self.files_read_through_cache = 0


def cancelled_check(
    root: Path,
    reference: ReferenceKind,
    *,
    verified: Sequence[str],
    changed: Sequence[ChangedFile],
    unreadable: Sequence[str],
    unfinished: Sequence[str],
    unverifiable: Sequence[str] = (),
) -> CheckCancelled:
    """The :class:`CheckCancelled` of a check stopped in its reads: *unfinished*, the
    recorded paths it had yet to read (the one being read included), less any it had
    already judged (the cancel can come between a judgment and the loop's next turn)."""
    judged = {*verified, *unreadable, *(c.path for c in changed)}
    return CheckCancelled(
        VerifyReport(
            root=root,
            reference=reference,
            verified=tuple(sorted(verified)),
            changed=tuple(sorted(changed, key=lambda c: c.path)),
            missing=(),
            extra=(),
            unverifiable=tuple(sorted(unverifiable)),
            unreadable=tuple(sorted(unreadable)),
            cancelled=tuple(sorted(p for p in unfinished if p not in judged)),
            stopped=True,
        )
    )


def cancelled_after_reads(report: VerifyReport) -> CheckCancelled:
    """The :class:`CheckCancelled` of a check a cancel stopped after its reads, *report*
    what it had found so far: its judgments of the files it read (and by size), its nested
    histories and the generation it had written, none of what it was still looking for
    (missing, new, links, leftovers, reasons: not named, see :class:`CheckCancelled`)."""
    return CheckCancelled(
        dataclasses.replace(
            report,
            missing=(),
            extra=(),
            dangling=(),
            outside=(),
            leftovers=(),
            reasons={},
            folder_hashes_unchecked=0,
            stopped=True,
        )
    )


@dataclass
class Proved:
    """What a check has proved so far, kept as it goes so that a cancel after its reads can
    say it (:func:`reporting_cancels`). The check appends to the lists (its own lists: it
    holds them by these names), sets ``generation`` once written and ``reads_over`` once
    its read loop ended; ``nested``: the reports of the nested histories checked. Owned by
    one check, in one thread."""

    reference: ReferenceKind = ReferenceKind.ASCMHL
    verified: list[str] = field(default_factory=list)
    changed: list[ChangedFile] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    unverifiable: list[str] = field(default_factory=list)
    nested: list[VerifyReport] = field(default_factory=list)
    generation: Path | None = None
    reads_over: bool = False

    def report(self, root: Path) -> VerifyReport | None:
        """The report of what was proved, once the reads are over (None before: the read
        loop's own handler says what they proved)."""
        if not self.reads_over:
            return None
        report = VerifyReport(
            root=root,
            reference=self.reference,
            verified=tuple(sorted(self.verified)),
            changed=tuple(sorted(self.changed, key=lambda c: c.path)),
            missing=(),
            extra=(),
            unverifiable=tuple(sorted(self.unverifiable)),
            unreadable=tuple(sorted(self.unreadable)),
            generation=self.generation,
        )
        return _merge(report, self.nested)


@contextmanager
def reporting_cancels(root: Path, proved: Proved) -> Iterator[None]:
    """Turn a cancel (a KeyboardInterrupt not yet a :class:`CheckCancelled`) raised in the
    block once *proved*'s reads are over into :func:`cancelled_after_reads` of what they
    proved (*root*: the checked root); one before passes as it is (nothing proved), and so
    does a :class:`CheckCancelled` (it already says what it proved)."""
    try:
        yield
    except CheckCancelled:
        raise
    except KeyboardInterrupt as exc:
        report = proved.report(root)
        if report is None:
            raise
        raise cancelled_after_reads(report) from exc


def split_leftovers(paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """*paths* (unrecorded, relative) as (new files, :attr:`VerifyReport.leftovers`)."""
    extra: list[str] = []
    leftovers: list[str] = []
    for path in paths:
        (leftovers if is_partial_leftover(posixpath.basename(path)) else extra).append(path)
    return extra, leftovers


@dataclass(frozen=True)
class _DiskFile:
    path: str
    absolute: Path
    size_bytes: int
    mtime_ns: int


@dataclass(frozen=True)
class _Read:
    """A file the check will read: in *formats*; *expected* (the recorded digests compared)
    None for a file new to the history, hashed for the generation alone."""

    item: _DiskFile
    formats: Sequence[str]
    expected: Mapping[str, str] | None = None
    expected_size: int | None = None
    # A file the history records under both spellings (NFC, NFD): the record of its other
    # spelling (``_respelled_records``), its digests compared and size, in the same read
    # (*formats* holds theirs too): one verdict against both records.
    also: tuple[Mapping[str, str], int | None] | None = None
    # A file a legacy MHL lists twice, unlike (``card_legacy_mhl.merge_entries``): both
    # entries, *formats* holding the formats of each; CHANGED against the first unlike.
    unlike: tuple[LegacyEntry, LegacyEntry] | None = None
    # Of such a file, the entry whose size it has not (CHANGED against it by size, read
    # only to judge it against the other and the ledger), if one.
    sized: LegacyEntry | None = None
    # Of such a file, the ledger's records of its copy (``LedgerRecords``), each judged in
    # the same read by its fastest format (*formats* holds it).
    ledger: Sequence[tuple[int, Mapping[str, str]]] = ()


def _announce(on_plan: OnPlan | None, items: Sequence[_DiskFile]) -> None:
    """Tell *on_plan* how many files and bytes are about to be read."""
    if on_plan is not None:
        on_plan(len(items), sum(item.size_bytes for item in items))


@dataclass
class _Tree:
    files: list[_DiskFile]
    folders: list[str]
    dangling: list[str]
    nested: list[str]
    # Symlinks to folders: not entered, but there (ascmhl counts a recorded folder found).
    folder_links: list[str] = field(default_factory=list)
    # Symlinks to files outside the copy (or into its state): their bytes are not the copy's.
    outside: list[str] = field(default_factory=list)
    # Files (and links that are not to a folder) in folders only an anchored pattern names,
    # outside any nested history: never read here, walked by plain ascmhl-debug verify.
    anchored_only: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Within:
    """Where the walked tree lies: the copy root its links must stay inside, the tree's own
    path below it (``""``, or a nested history's ``folder/``), and the entries of the tree
    the caller made itself (``/``-separated, relative to the tree): not the copy's, never
    walked (the S3 mirror's link to a local legacy MHL)."""

    copy_root: Path
    below: str = ""
    own: frozenset[str] = frozenset()


def _walk(
    root: Path,
    spec: IgnoreSpec,
    *,
    split_nested: bool,
    within: _Within,
    walked: IgnoreSpec | None = None,
) -> _Tree:
    """Regular files (and symlinks to files inside the copy, followed as the reference does)
    and folders under *root*, skipping what *spec* ignores and what *within* names as the
    caller's own. Symlinks to folders are not followed; those leading nowhere, and those
    reaching a file outside the copy (:class:`_Within`), are listed apart. A partial of
    offload-ai's (``naming.is_partial_name``) is listed whatever *spec* says (the caller
    names it a leftover). With
    *split_nested* a folder holding an ``ascmhl`` folder is listed as a nested history root
    and not entered; with *walked* too (what plain ``ascmhl-debug verify`` skips:
    :func:`~offload.manifest.ignore.verify_skips` of the same list), a folder *spec* skips
    but *walked* does not (only an anchored pattern names it: ascmhl walks it and checks
    the histories nested there) is searched for nested histories alone
    (:func:`_search_skipped`). Raises OSError for a folder that cannot be read (an entry
    that vanishes meanwhile is left out) and for a link to a file that cannot be followed
    one step at a time (EACCES, EIO): nothing proves its bytes are the copy's."""
    tree = _Tree([], [], [], [])

    def unlistable(folder: Path, exc: OSError) -> None:
        if folder == root or not isinstance(exc, FileNotFoundError):
            raise exc
        # the folder vanished since it was listed: its files are not there

    for item in walk_tree(root, on_error=unlistable):
        entry, relative = item.entry, item.relative
        if relative in within.own:
            continue
        try:
            is_dir = entry.is_dir()  # follows symlinks, like os.path.isdir in ascmhl
        except OSError:
            is_dir = False  # a symlink loop: isdir is False for ascmhl too
        if spec.matches(relative, is_dir=is_dir) and (
            # A partial of ours is listed whatever the ignore list says (``offload copy``'s
            # generations name partials there, for plain ascmhl): it tells that the copy
            # may lack card files no record names, which the caller must say. The piece of
            # a name fusefat leaves after a rename that succeeded tells no such thing: a
            # list that names it hides it.
            is_dir or not is_partial_name(entry.name)
        ):
            if (
                split_nested
                and walked is not None
                and is_dir
                and not entry.is_symlink()
                and not walked.matches(relative, is_dir=True)
            ):
                _search_skipped(root, relative, walked, tree)
            continue
        if is_dir:
            if entry.is_symlink():
                tree.folder_links.append(relative)
                continue
            if split_nested and os.path.isdir(os.path.join(entry.path, ASCMHL_FOLDER)):
                tree.nested.append(relative)
                continue
            item.enter()
            tree.folders.append(relative)
            continue
        try:
            info = entry.stat()
        except OSError as exc:
            if entry.is_symlink():
                tree.dangling.append(relative)
            elif exc.errno != errno.ENOENT:  # vanished since it was listed: not there
                raise
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        if entry.is_symlink() and (
            classify_link(within.copy_root, within.below + relative) is not LinkKind.FILE
        ):
            # The kernel reached a file, but not one of the copy: hashed through the link,
            # a replaced clip linked to the card's would read as verified.
            tree.outside.append(relative)
            continue
        tree.files.append(_DiskFile(relative, Path(entry.path), info.st_size, info.st_mtime_ns))
    tree.files.sort(key=lambda f: f.path)
    tree.folders.sort()
    tree.dangling.sort()
    tree.nested.sort()
    tree.outside.sort()
    return tree


def _search_skipped(root: Path, folder: str, walked: IgnoreSpec, tree: _Tree) -> None:
    """Search *folder*, a folder the check's own list skips but plain ``ascmhl-debug verify`` walks
    (an anchored pattern names it: ascmhl matches those against absolute paths, so never),
    as ascmhl walks it (*walked*: what it skips), never through a link: each nested history
    there (a folder holding an ``ascmhl`` folder, not entered) goes to ``tree.nested``, as
    ascmhl checks its files against it, so this check must too, and an ``--append``
    generation must be refused as beside any nested history; each other entry that is not
    a folder to ``tree.anchored_only`` (nothing is read: ascmhl calls each one it does not
    record new, the caller says so). Raises OSError for a folder there that cannot be listed,
    as :func:`_walk` does (a nested history in it would go unseen, and an ``--append``
    generation unrefused); one that vanished since it was listed is passed over."""
    if os.path.isdir(os.path.join(root, folder, ASCMHL_FOLDER)):
        tree.nested.append(folder)
        return

    def unlistable(_folder: Path, exc: OSError) -> None:
        if not isinstance(exc, FileNotFoundError):
            raise exc

    for item in walk_tree(root / folder, on_error=unlistable):
        entry = item.entry
        relative = f"{folder}/{item.relative}"
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False  # a looping link: a file to ascmhl
        if walked.matches(relative, is_dir=is_dir):
            continue
        if not is_dir:
            tree.anchored_only.append(relative)
        elif entry.is_symlink():
            continue
        elif os.path.isdir(os.path.join(entry.path, ASCMHL_FOLDER)):
            tree.nested.append(relative)
        else:
            item.enter()


def _generation_formats(history: History, formats: Sequence[str] | None) -> tuple[str, ...]:
    if formats:
        return sorted_formats(resolve_algorithm(name).name for name in formats)
    for generation in reversed(history.generations):
        if generation.root_hash is not None and generation.root_hash.content:
            return sorted_formats(generation.root_hash.content)
    for generation in reversed(history.generations):
        if generation.files:
            return sorted_formats(h.format for h in generation.files[0].hashes)
    return (DEFAULT_ALGORITHM,)


def verify_tree(
    root: Path,
    *,
    hash_file: HashFile = hash_file_plain,
    formats: Sequence[str] | None = None,
    legacy_mhl: Path | None = None,
    ignore_patterns: Sequence[str] = (),
    append_generation: bool = False,
    creator: CreatorInfo | None = None,
    now: Callable[[], datetime] = utc_now,
    own_links: Collection[Path] = (),
    copy_root: Path | None = None,
    on_plan: OnPlan | None = None,
    lister: Lister | None = None,
    file_date: FileDate | None = None,
    recorded_folder_dates: bool = False,
    ledger_records: LedgerRecords | None = None,
    held_to: Callable[[str], ChangedFile | None] | None = None,
) -> VerifyReport:
    """Compare the files under *root* with their recorded hashes; see the module doc.

    *hash_file(path, formats)* returns format → digest (the product passes one that reads
    from the media, bypassing the page cache). *formats*: the formats to check (each file is
    checked in those it has a record for; a file with none of them in its own first recorded
    format); by default every recorded format. *legacy_mhl*: verify against that legacy MHL
    file instead of the ASC MHL history (its paths are relative to its own folder, which must
    be *root* or below it). *ignore_patterns*: more paths to skip.

    *append_generation* (ASC MHL only) hashes every file, extra ones included, and appends an
    ``in-place`` generation written by *creator* at *now*; it returns its path in the report.
    The generation lists what this check read, not what is missing (as ``ascmhl create``),
    and ignores, by an exact pattern (:func:`offload.manifest.links.exact_pattern`), each
    symlink the history does not record that is ``outside`` or ``dangling`` or leads to a
    folder, as ``offload copy`` does, so that ``ascmhl-debug verify`` skips them as this check did;
    never one whose path the history records (its pattern would hide the loss from every
    later check) nor one whose pattern would hide a recorded or listed path.

    *on_plan(files, bytes)* is called once per tree checked (each nested history's too),
    after its walk and before its first read, with how many files and bytes it will read:
    what *hash_file* is then called for (the progress total).

    *own_links*: links under *root* (not in a nested history) that the caller made itself,
    such as the S3 verify's link to a local legacy MHL in its mirror: not entries of the
    copy, left out of the walk. Never a link found in a user's tree: those are judged (module
    doc). *copy_root*: the copy root *root* lies in (a nested history's folder: a link
    there is the copy's when it stays inside the copy root); by default *root*.

    *lister*: what stands in each folder of the copy (:mod:`offload.manifest.coverage`),
    for an appended generation's folder hashes, where *root* shows less than the copy
    holds (``offload verify s3://``'s mirror: objects it cannot hold as files); given, a
    folder gets a hash only when the generation lists it whole; None: every folder (the
    walk saw the whole tree).

    *file_date(path)*: the date (ns since the epoch) an appended generation records for the
    file at *path*, called right after *hash_file* read it, where the read itself told the
    file's date (``offload verify s3://``: the card file's ``mtime`` metadata, in the
    answer of the GET that hashed the object, so no HEAD an object asks for it); None from
    it, or no *file_date*: the date the walk saw. *recorded_folder_dates*: an appended
    generation dates each folder as the history's newest record of it that has a date does
    (``History.folder_dates``), one no record dates undated, where *root*'s folders do not
    hold the copy's times (``offload verify s3://``'s local view, made now); False: the
    date the walk sees.

    *ledger_records(path)*: with *legacy_mhl*, the copy root's ledger's record of the copy
    at *path* (``LedgerRecords``), asked only of a file the MHL lists twice, unlike: read in
    its fastest format too, in the same read, so the report says whether that copy, CHANGED
    whichever record it reads as, is as the ledger records it (``read_as_one_record``) and
    its ``actual`` digests let a revocation judge it against the ledger's (``verify_revoke``).
    None: no ledger to judge by (each such copy then stays one found wrong).

    *held_to(path)*: called right after a file of *root*'s history (not a nested one's) was
    read and found as the history records it, before it is counted verified or an appended
    generation is built: a ChangedFile where the caller's own record contradicts it (the
    copy root's ledger, ``own_record``), which the report then lists changed and the
    generation takes as failed (``write_generation``'s *failed*: found as the history
    records it, it is left out, never ``verified``); None: verified.

    The report's ``reasons`` say what stands at (or above) a missing file's name, why a
    new name is in no manifest, that a changed file is a link read through
    (``offload.verification_reason``), looked for right after the check, nested histories'
    paths included: every caller gets them, not ``offload verify`` alone.

    Blocks while hashing. An OSError from *hash_file* is reported per file (``unreadable``).
    Raises NoHistoryError for an absent history (there is nothing to verify against),
    UntrustedHistoryError for a broken or forged one (``History.untrusted_reason``),
    HistoryError for an otherwise unusable one, UnsupportedTreeError for nested histories
    with *append_generation*, ValueError for bad arguments,
    ManifestError wrapping an OSError from the walk (an unreadable folder must not look
    empty); GenerationNotWritten (a ManifestError) once the check is over when the
    generation was not written (another writer's since the history was read, a write that
    failed): its ``report`` is the check's, made as the returned one is (reasons included).
    """
    # Imported here: verification_reason reads this module's types at its own import.
    from offload.verification_reason import with_reasons

    # A cancel after the reads (the missing files and folders, the nested histories, the
    # generation, the reasons) says what they proved, never "0 verified".
    proved = Proved()
    # A generation a dead --append (or copy) renamed in and never chained: removed before
    # the history is read (never a live writer's: its record is claimed, unchained_own).
    settled = None
    if append_generation and legacy_mhl is None:
        settled = unchained_own.settle(root, unchained_own.record_for(root))
    with reporting_cancels(root, proved):
        try:
            checked = _verify_tree(
                root,
                hash_file=hash_file,
                formats=formats,
                legacy_mhl=legacy_mhl,
                ignore_patterns=ignore_patterns,
                append_generation=append_generation,
                creator=creator,
                now=now,
                own_links=own_links,
                copy_root=copy_root,
                on_plan=on_plan,
                lister=lister,
                proved=proved,
                file_date=file_date,
                recorded_folder_dates=recorded_folder_dates,
                settled=settled,
                ledger_records=ledger_records,
                held_to=held_to,
            )
        except GenerationNotWritten as exc:  # the check's report, as any check's: reasons
            exc.report = with_reasons(exc.report)
            raise
        except ManifestError as exc:  # a refusal: what the settle did is said with it
            exc.settled = settled
            raise
        return with_reasons(checked)


def _verify_tree(
    root: Path,
    *,
    hash_file: HashFile,
    formats: Sequence[str] | None,
    legacy_mhl: Path | None,
    ignore_patterns: Sequence[str],
    append_generation: bool,
    creator: CreatorInfo | None,
    now: Callable[[], datetime],
    own_links: Collection[Path],
    copy_root: Path | None,
    on_plan: OnPlan | None,
    lister: Lister | None,
    proved: Proved,
    file_date: FileDate | None = None,
    recorded_folder_dates: bool = False,
    settled: str | None = None,
    ledger_records: LedgerRecords | None = None,
    held_to: Callable[[str], ChangedFile | None] | None = None,
) -> VerifyReport:
    """:func:`verify_tree` without the reasons (a nested history's check: they are looked
    for once, on the merged report), keeping what it proves in *proved* as it goes;
    *settled*: the line of :func:`verify_tree`'s settle (a note of the report)."""
    within = _within(root, copy_root, own_links)
    if legacy_mhl is not None:
        if append_generation:
            raise ValueError("append_generation needs an ASC MHL history, not a legacy MHL")
        return _verify_legacy(
            root, legacy_mhl, hash_file, ignore_patterns, within, on_plan, proved, ledger_records
        )
    if append_generation and creator is None:
        raise ValueError("append_generation needs a creator")
    # Within ``offload verify``, the read ``own_record.contradicted`` made where ascmhl/ is
    # unchanged since (``verify_reads``); anywhere else, read now.
    from offload.verify_reads import read_history as read_unless_held

    history = read_unless_held(root)
    if not history.exists:
        raise NoHistoryError(f"no ASC MHL history in {root}", path=root / ASCMHL_FOLDER)
    if append_generation:
        # Refused before any read, as write_generation would refuse it after them.
        history.refuse_unchained("--append", "verify without --append (which uses it and says so)")
    # Broken or forged (paths outside the root, a file recorded with two hashes): the one
    # rule of every reader and writer (History.untrusted_reason); what to do is the
    # caller's remedy, which names the ledger's check meanwhile.
    history.refuse_untrusted()
    patterns = merge_patterns(
        DEFAULT_IGNORE_PATTERNS, history.latest_ignore_patterns() or (), ignore_patterns
    )
    spec = IgnoreSpec(patterns)
    wanted = (
        None if not formats else set(sorted_formats(resolve_algorithm(f).name for f in formats))
    )
    generation_formats = _generation_formats(history, formats) if append_generation else ()

    verified, changed, unreadable = proved.verified, proved.changed, proved.unreadable
    extra: list[str] = []
    leftovers: list[str] = []
    good: list[ManifestFile] = []
    bad: list[ManifestFile] = []
    gone: set[str] = set()
    as_is: set[str] = set()
    try:
        tree = _walk(root, spec, split_nested=True, within=within, walked=verify_skips(patterns))
        if tree.nested and append_generation:
            raise UnsupportedTreeError(
                f"{root} holds nested ASC MHL histories ({', '.join(tree.nested)}): "
                "appending a generation to them is not supported; verify without --append, "
                "or verify each nested folder on its own",
                path=root,
            )
        disk, folders = tree.files, tree.folders
        # A file whose name is recorded spelled otherwise (NFC, NFD) is read against that
        # record: the same name, respelled by a Mac or a Linux copy of a Mac's names.
        expected_paths = history.expected_file_paths()
        respelled = _respelled_records(expected_paths, disk, history)
        # Hex recorded in upper case is a mismatch, as for ascmhl-debug verify (it compares the
        # text): a history the reference tool rejects is never called good here.
        upper_case = history.upper_case_originals()
        # First what will be read (a size that differs is changed unread, unless the
        # generation needs its hashes), so the progress total is what is read, then the reads.
        reads: list[_Read] = []
        for item in disk:
            recorded = history.reference_hash_formats(item.path)
            record = item.path
            also = None
            if item.path in respelled:
                if recorded is None:
                    record = respelled[item.path]
                    recorded = history.reference_hash_formats(record)
                else:  # recorded under both spellings: one read, against each record
                    also = _other_record(history, respelled[item.path], wanted, upper_case)
                    as_is.add(item.path)
            if recorded is None and is_partial_leftover(item.absolute.name):
                leftovers.append(item.path)  # our own debris: neither read nor recorded
                continue
            if recorded is None:
                extra.append(item.path)
                # A name XML cannot hold stays out of the generation: never read for it (a
                # local copy's is read against the ledger, ``unheld_by_ledger``: once).
                if append_generation and xml_can_hold(item.path):
                    reads.append(_Read(item, generation_formats))
                continue
            compare = [f for f in sorted_formats(recorded) if wanted is None or f in wanted]
            if not compare:
                compare = [next(iter(recorded))]
            expected_size = history.reference_size(record)
            if (
                expected_size is not None
                and expected_size != item.size_bytes
                and not append_generation
            ):
                changed.append(
                    ChangedFile(
                        item.path,
                        ChangeReason.SIZE,
                        expected_size,
                        item.size_bytes,
                        {f: recorded[f] for f in compare},
                    )
                )
                continue
            as_written = upper_case.get(record, {})
            reads.append(
                _Read(
                    item,
                    sorted_formats(
                        {*compare, *generation_formats, *(also[0] if also is not None else ())}
                    ),
                    {f: as_written.get(f, recorded[f]) for f in compare},
                    expected_size,
                    also,
                )
            )
        _announce(on_plan, [read.item for read in reads])
        done = 0
        try:
            for done, read in enumerate(reads):  # noqa: B007 (read after it)
                item = read.item
                digests = _hash_or_note(hash_file, item, read.formats, unreadable, gone)
                if digests is None:
                    continue
                if read.expected is None:  # new to the history: recorded as an original
                    good.append(_manifest_file(item, digests, now, file_date))
                    continue
                expected, expected_size = read.expected, read.expected_size
                actual = {f: digests[f] for f in expected}
                if read.also is not None and actual == expected:
                    # Alike the record of its own spelling: judged by its other one too.
                    other, other_size = read.also
                    if {f: digests[f] for f in other} != other or (
                        other_size is not None and other_size != item.size_bytes
                    ):
                        expected, expected_size = other, other_size
                        actual = {f: digests[f] for f in expected}
                if actual != expected or (
                    expected_size is not None and expected_size != item.size_bytes
                ):
                    reason = ChangeReason.HASH if actual != expected else ChangeReason.SIZE
                    changed.append(
                        ChangedFile(
                            item.path, reason, expected_size, item.size_bytes, expected, actual
                        )
                    )
                    bad.append(_manifest_file(item, digests, now, file_date))
                elif held_to is not None and (wrong := held_to(item.path)) is not None:
                    changed.append(wrong)  # as the history records it, unlike our own
                    bad.append(_manifest_file(item, digests, now, file_date))
                else:
                    verified.append(item.path)
                    good.append(_manifest_file(item, digests, now, file_date))
            proved.reads_over = True
        except KeyboardInterrupt as exc:
            raise cancelled_check(
                root,
                ReferenceKind.ASCMHL,
                verified=verified,
                changed=changed,
                unreadable=unreadable,
                # A file new to the history is read for the generation alone: not recorded.
                unfinished=()
                if proved.reads_over
                else [r.item.path for r in reads[done:] if r.expected is not None],
            ) from exc
    except OSError as exc:
        raise _cannot_verify(root, exc) from exc
    extra = [path for path in extra if path not in gone]
    on_disk = {item.path for item in disk} - gone
    found_as = {recorded for listed, recorded in respelled.items() if listed in on_disk}
    missing = sorted(
        path
        for path in expected_paths
        if path not in on_disk
        and path not in found_as
        and not spec.excludes(path, is_dir=False)
        and not (_below_any(path, tree.nested) and os.path.lexists(root / path))
    )
    folders_gone = _missing_folders(root, history, tree, on_disk, spec)
    missing = sorted({*missing, *folders_gone})
    nested_reports = proved.nested
    for folder in tree.nested:
        try:
            nested_reports.append(
                _verify_nested(
                    root, folder, hash_file, formats, ignore_patterns, within.copy_root, on_plan
                )
            )
        except KeyboardInterrupt as exc:
            # What this tree and the nested histories before proved stands; a nested
            # history not reached names no file (not walked).
            so_far = cancelled_check(
                root,
                ReferenceKind.ASCMHL,
                verified=verified,
                changed=changed,
                unreadable=unreadable,
                unfinished=(),
            ).report
            stopped = exc.report if isinstance(exc, CheckCancelled) else None
            merged = _merge(so_far, [*nested_reports, *([stopped] if stopped else [])])
            raise CheckCancelled(merged) from exc
    generation: Path | None = None
    notes: tuple[str, ...] = ()
    unwritten: ManifestError | None = None
    if append_generation and unreadable:
        # Said, not left to the absence of a "recorded in" line: the check was asked to
        # append one. A generation without the files not read would record part of it.
        notes = (no_generation_while_unreadable(len(unreadable)),)
    if append_generation and not unreadable:
        assert creator is not None
        # A name XML cannot hold (not UTF-8) stays out of the generation (it stays "extra").
        listed = [f for f in good if xml_can_hold(f.relative_path)]
        failed = [f for f in bad if xml_can_hold(f.relative_path)]
        directories = [f for f in folders if xml_can_hold(f)]
        links = _unrecorded_link_patterns(
            root,
            history,
            [*tree.outside, *tree.dangling, *tree.folder_links],
            [f.relative_path for f in (*listed, *failed)] + directories,
            _generation_tree(root, history, ignore_patterns, lister),
        )
        try:
            generation = proved.generation = write_generation(
                root,
                listed,
                directories=directories,
                creator=creator,
                process="in-place",
                ignore_patterns=[*ignore_patterns, *links.patterns],
                now=now,
                failed=failed,
                hash_formats=generation_formats,
                lister=lister,
                folder_dates=history.folder_dates() if recorded_folder_dates else None,
                # The history this check read and judged against, not one read again now:
                # a generation another writer added meanwhile (ascmhl create during the
                # reads) is met (ascmhl.another_writer), never built on; one half-written
                # then (a manifest its chain does not list yet) is no damaged history.
                history=history,
                intent=unchained_own.record_for(root),
            )
        except (HistoryError, UnsupportedTreeError):
            raise  # the history or the tree refused it before anything was written
        except ManifestError as exc:
            # The check is over: its results stand, the generation alone is lost (another
            # writer's meanwhile: ascmhl.another_writer; a write that failed). Raised once
            # the report is made (GenerationNotWritten), not in place of it.
            unwritten = exc
        if unwritten is None:
            # Said, as offload copy warns of a card's link left out: ascmhl will call it new.
            notes = _left_out_notes(root, links.left_out)
    report = VerifyReport(
        root=root,
        reference=ReferenceKind.ASCMHL,
        verified=tuple(verified),
        changed=tuple(sorted(changed, key=lambda c: c.path)),
        missing=tuple(missing),
        missing_folders=tuple(sorted(set(folders_gone))),
        extra=tuple(extra),
        unreadable=tuple(unreadable),
        generation=generation,
        dangling=tuple(tree.dangling),
        leftovers=tuple(sorted(leftovers)),
        nested=tuple(tree.nested),
        folder_hashes_unchecked=_hashed_folders(history),
        outside=tuple(tree.outside),
        respelled={p: r for p, r in respelled.items() if p in on_disk},
        recorded_as_is=frozenset(as_is & on_disk),
        # What the chain does not vouch for first: the records the check used.
        notes=(
            *((settled,) if settled is not None else ()),
            *history.chain_notes(
                # One an offload was stopped before chaining: its words name the fix (read
                # only; --append's settle removed it, or said why not).
                unchained_own.left_by_a_stopped_run(root)
                if history.unchained and not append_generation
                else None
            ),
            *notes,
            *_anchored_only_note(root, tree.anchored_only, expected_paths),
        ),
    )
    if unwritten is not None:
        raise GenerationNotWritten(unwritten, _merge(report, nested_reports)) from unwritten
    return _merge(report, nested_reports)


class GenerationNotWritten(ManifestError):
    """``--append``'s generation was not written once the check was over (another writer's
    generation since the history was read, ``ascmhl.another_writer``; a write that failed):
    the *error* ``write_generation`` raised, its message (which says why), path and errno,
    and ``report``, the check's, which stands (the files' states, no generation)."""

    def __init__(self, error: ManifestError, report: VerifyReport) -> None:
        super().__init__(
            error.message,
            path=error.path,
            errno_=error.errno,
            says_what_to_do=error.says_what_to_do,
        )
        self.report = report


def no_generation_while_unreadable(count: int) -> str:
    """The words of an ``--append`` check that wrote no generation because *count* files
    could not be read (a report's note; ``offload verify``'s line of such a check a cancel
    stopped after its reads says it alike)."""
    them, they = ("it", "it") if count == 1 else ("them", "they")
    return (
        f"no ASC MHL generation appended (--append): {plural(count, 'file')} could not be "
        f"read, and a generation without {them} would record this check in part; the "
        f"history is as it was; run the check again once {they} can be read"
    )


def _anchored_only_note(
    root: Path, paths: Sequence[str], recorded: Collection[str]
) -> tuple[str, ...]:
    """The note naming the files of *paths* (``_Tree.anchored_only``) that the history does
    not record (*recorded*): this check, applying the list's anchored pattern at the root
    as ``ascmhl create`` did, skips them; plain ``ascmhl-debug verify`` never applies it, walks
    them and lists each as a new file (exit 21). Said, not counted: the history's own list
    names them."""
    unrecorded = sorted(p for p in paths if p not in recorded)
    if not unrecorded:
        return ()
    first = printable_name(unrecorded[0])
    more = f" and {plural(len(unrecorded) - 1, 'other')}" if len(unrecorded) > 1 else ""
    return (
        f"{first}{more} on {printable_name(str(root))}: in a folder only an anchored pattern "
        "of the history's ignore list names, so not checked here (as ascmhl create and "
        "ascmhl-debug verify -dh apply it); plain ascmhl-debug verify never applies an "
        f"anchored pattern and lists {'them' if more else 'it'} as new (exit 21)",
    )


def _respelled_records(
    expected: Collection[str], disk: Sequence[_DiskFile], history: History
) -> dict[str, str]:
    """Each file of *disk* tied to a record of *history* of its name spelled otherwise (the
    same once both are composed, NFC; ``respelling``, the one rule: only where the record
    names no file on disk, and the file's own spelling is not recorded, or recorded by no
    generation beside that record and with no digest unlike its (renamed since, then
    recorded again: ``History.two_files``)), mapped to that recorded path. *expected*: the
    history's ``expected_file_paths()``, made once by the caller. Costs one look at each
    recorded path when every recorded name is ASCII, and a set of the files' paths when
    some is not (docs/performance.md, twenty-fifth pass)."""
    if all(p.isascii() for p in expected):
        return {}
    on_disk = {item.path for item in disk}
    return respelled_pairs(expected, on_disk, twins=history.two_files)


def _other_record(
    history: History,
    record: str,
    wanted: set[str] | None,
    upper_case: Mapping[str, Mapping[str, str]],
) -> tuple[Mapping[str, str], int | None] | None:
    """The digests compared and the size of the record of *record* (a file's name spelled
    otherwise, the file recorded under its own spelling too: ``_Read.also``), or None when
    that record holds no digest."""
    recorded = history.reference_hash_formats(record)
    if not recorded:
        return None
    compare = [f for f in sorted_formats(recorded) if wanted is None or f in wanted]
    if not compare:
        compare = [next(iter(recorded))]
    as_written = upper_case.get(record, {})
    expected = {f: as_written.get(f, recorded[f]) for f in compare}
    return expected, history.reference_size(record)


def _within(root: Path, copy_root: Path | None, own_links: Collection[Path]) -> _Within:
    """The :class:`_Within` of :func:`verify_tree`'s arguments."""
    top = root if copy_root is None else copy_root
    below = os.path.relpath(os.path.abspath(root), os.path.abspath(top))
    own = frozenset(
        os.path.relpath(os.path.abspath(link), os.path.abspath(root)).replace(os.sep, "/")
        for link in own_links
    )
    return _Within(top, "" if below == os.curdir else below.replace(os.sep, "/") + "/", own)


class LinkPatterns(NamedTuple):
    """What an appended generation does with the links the check did not read
    (:func:`_unrecorded_link_patterns`)."""

    patterns: list[str]  # the exact ignore patterns it holds, sorted by path
    # each link left without one, with why: ascmhl will call it new
    left_out: dict[str, str]


def _unrecorded_link_patterns(
    root: Path,
    history: History,
    links: Sequence[str],
    listed: Sequence[str],
    whole: TreeRead | None = None,
) -> LinkPatterns:
    """The exact ignore patterns an appended generation holds for *links* (symlinks not read:
    outside the copy, leading nowhere, to a folder) so that ``ascmhl-debug verify`` skips them as
    this check did, instead of calling them new: one for each link whose path the history
    does not record (a recorded one is missing, and a pattern would hide that from every
    later check, ours and ascmhl's, which leaves ignored paths out of its missing ones), whose
    name XML can hold, and whose pattern hides no path the history records or the generation
    lists (*listed*), as ascmhl matches it (:func:`~offload.manifest.links.pattern_hides`),
    nor, with *whole* (the copy root's tree as plain ``ascmhl-debug verify`` walks it:
    :func:`_generation_tree`), any other path standing in the tree or recorded by a history
    there, as ``offload copy`` judges a card's links: a file in a folder only an anchored
    pattern names (this check's walk skips it, ascmhl's walks it), a nested history's file
    there. Where that tree cannot be read whole, no link gets one (none is shown to hide
    nothing). Each unrecorded link left without one is in ``left_out`` with why (a path its
    pattern would hide, what of the tree could not be read, the character XML cannot hold),
    in the words of ``offload copy``'s warning for a card's: ascmhl calls it new, as before
    this check. The reasons and their order are ``offload copy``'s
    (:func:`~offload.manifest.nested_links.link_pattern_problems`): a path the generation
    lists or the history records first, then the name, then the tree (read only then)."""
    recorded = {
        *history.recorded_file_paths(),
        *history.expected_file_paths(),
        *history.recorded_directory_paths(),
        *history.expected_directory_paths(),
    }
    unrecorded = [path for path in links if path not in recorded]
    if not unrecorded:
        return LinkPatterns([], {})
    listed_hides = pattern_hides(unrecorded, itertools.chain(recorded, listed), root)
    left_out = link_pattern_problems(unrecorded, listed_hides, whole, root)
    patterns = [exact_pattern(path) for path in sorted(unrecorded) if path not in left_out]
    return LinkPatterns(patterns, left_out)


def _left_out_notes(root: Path, left_out: Mapping[str, str]) -> tuple[str, ...]:
    """A note for each link of *left_out* (:attr:`LinkPatterns.left_out`), by path."""
    return tuple(
        f"symlink {printable_name(path)} on {printable_name(str(root))} is not ignored by the "
        f"appended ASC MHL generation: {why}; ascmhl will list it as a new file"
        for path, why in sorted(left_out.items())
    )


def _generation_tree(
    root: Path, history: History, requested: Sequence[str], lister: Lister | None
) -> TreeRead | None:
    """The tree below *root* an appended generation's link patterns are judged against
    (:func:`~offload.manifest.ascmhl.generation_tree`, *requested* the check's own ignore
    patterns), read only when first asked; None where *lister* lists another tree than the
    local one (an object store's keys: no link stands there, and the check's own links are
    left out of its walk)."""
    if lister is not None and not is_local(lister, root):
        return None
    return generation_tree(root, history, requested, memoized(lister or local_lister(root)))


def _hashed_folders(history: History) -> int:
    """How many folders (the root as ``"."``) any generation of *history* records a folder
    hash for (a content or structure hash: an empty ``<roothash>`` holds none)."""
    folders = {
        record.path
        for generation in history.generations
        for record in (*generation.directories, generation.root_hash)
        if record is not None and (record.content or record.structure)
    }
    return len(folders)


def _missing_folders(
    root: Path, history: History, tree: _Tree, on_disk: set[str], spec: IgnoreSpec
) -> list[str]:
    """The folders the history records that the walk did not meet, as ascmhl-debug ``verify``
    finds them: a recorded path is there when the walk met any entry of that name (a
    folder, a link to one, a nested history's root; a file where a folder was is ``extra``,
    not also missing). One the ignore patterns exclude, or below a nested history that is
    there (that history checks its own), is not looked for."""
    recorded = history.expected_directory_paths()
    if not recorded:
        return []
    present = {
        *tree.folders,
        *tree.folder_links,
        *tree.nested,
        *tree.dangling,
        *tree.outside,
        *on_disk,
    }
    # A folder recorded spelled otherwise (NFC, NFD) than it stands is there (the one
    # rule: a folder's twin recorded beside it is not it).
    spell = spelled_as_listed(recorded, present, twins=history.recorded_together)
    return [
        path
        for path in recorded
        if spell(path) not in present
        and path not in ("", ".")
        and not spec.excludes(path, is_dir=True)
        and not (_below_any(path, tree.nested) and os.path.lexists(root / path))
    ]


def _below_any(path: str, folders: Sequence[str]) -> bool:
    return any(path.startswith(folder + "/") for folder in folders)


def _verify_nested(
    root: Path,
    folder: str,
    hash_file: HashFile,
    formats: Sequence[str] | None,
    ignore_patterns: Sequence[str],
    copy_root: Path,
    on_plan: OnPlan | None,
) -> VerifyReport:
    """Verify a nested history root; its paths come back prefixed with *folder* (those of
    the :class:`CheckCancelled` it raises when a cancel stops it too)."""
    try:
        inner = _verify_tree(
            root / folder,
            hash_file=hash_file,
            formats=formats,
            legacy_mhl=None,
            ignore_patterns=ignore_patterns,
            append_generation=False,
            creator=None,
            now=utc_now,
            own_links=(),
            copy_root=copy_root,
            on_plan=on_plan,
            lister=None,
            proved=Proved(),  # a cancel after its reads: its caller's handler merges it
        )
    except CheckCancelled as exc:
        raise CheckCancelled(_prefixed(exc.report, root, folder)) from exc
    return _prefixed(inner, root, folder)


def _prefixed(inner: VerifyReport, root: Path, folder: str) -> VerifyReport:
    """*inner*, a nested history's report, with its paths under *root*: *folder* first; its
    notes (its chain's, ``History.chain_notes``) kept, as docs/json.md says."""
    prefix = folder + "/"

    def paths(items: Sequence[str]) -> tuple[str, ...]:
        return tuple(prefix + item for item in items)

    return VerifyReport(
        root=root,
        reference=inner.reference,
        verified=paths(inner.verified),
        changed=tuple(
            ChangedFile(
                prefix + c.path, c.reason, c.expected_size, c.actual_size, c.expected, c.actual
            )
            for c in inner.changed
        ),
        missing=paths(inner.missing),
        missing_folders=paths(inner.missing_folders),
        extra=paths(inner.extra),
        leftovers=paths(inner.leftovers),
        unverifiable=paths(inner.unverifiable),
        unreadable=paths(inner.unreadable),
        dangling=paths(inner.dangling),
        nested=(folder, *paths(inner.nested)),
        folder_hashes_unchecked=inner.folder_hashes_unchecked,
        outside=paths(inner.outside),
        cancelled=paths(inner.cancelled),
        stopped=inner.stopped,
        respelled={prefix + p: prefix + r for p, r in inner.respelled.items()},
        recorded_as_is=frozenset(prefix + p for p in inner.recorded_as_is),
        # Its chain's notes name their manifests by absolute path: kept as they are.
        notes=inner.notes,
    )


def _merge(report: VerifyReport, others: Sequence[VerifyReport]) -> VerifyReport:
    if not others:
        return report

    def joined(name: str) -> tuple[str, ...]:
        items: list[str] = list(getattr(report, name))
        for other in others:
            items.extend(getattr(other, name))
        return tuple(sorted(items))

    changed = [*report.changed, *(c for other in others for c in other.changed)]
    return VerifyReport(
        root=report.root,
        reference=report.reference,
        verified=joined("verified"),
        changed=tuple(sorted(changed, key=lambda c: c.path)),
        missing=joined("missing"),
        missing_folders=joined("missing_folders"),
        extra=joined("extra"),
        leftovers=joined("leftovers"),
        unverifiable=joined("unverifiable"),
        unreadable=joined("unreadable"),
        generation=report.generation,
        dangling=joined("dangling"),
        nested=tuple(sorted({*report.nested, *(n for o in others for n in o.nested)})),
        folder_hashes_unchecked=report.folder_hashes_unchecked
        + sum(other.folder_hashes_unchecked for other in others),
        outside=joined("outside"),
        cancelled=joined("cancelled"),
        stopped=report.stopped or any(other.stopped for other in others),
        respelled={
            **report.respelled,
            **{p: r for other in others for p, r in other.respelled.items()},
        },
        recorded_as_is=report.recorded_as_is.union(*(o.recorded_as_is for o in others)),
        notes=(*report.notes, *(n for o in others for n in o.notes)),
    )


def _hash_or_note(
    hash_file: HashFile,
    item: _DiskFile,
    formats: Sequence[str],
    unreadable: list[str],
    gone: set[str] | None = None,
) -> dict[str, str] | None:
    """Hash one file; an I/O error is noted against that file and the check goes on (a
    file that vanished meanwhile goes into *gone*: it is missing, not unreadable)."""
    try:
        return hash_file(item.absolute, formats)
    except FileNotFoundError:
        if gone is None:
            unreadable.append(item.path)
        else:
            gone.add(item.path)
        return None
    except OSError:
        unreadable.append(item.path)
        return None


def _manifest_file(
    item: _DiskFile,
    digests: Mapping[str, str],
    now: Callable[[], datetime],
    file_date: FileDate | None = None,
) -> ManifestFile:
    dated = None if file_date is None else file_date(item.absolute)
    mtime_ns = item.mtime_ns if dated is None else dated
    return ManifestFile(item.path, item.size_bytes, mtime_ns, dict(digests), now())


def _as_one_record(read: _Read, hashed: Mapping[str, str]) -> bool:
    """Whether a copy a legacy MHL lists twice, unlike (*read*, hashed as *hashed*), reads
    as one of the two records and as the ledger's record of it (each of *read*'s ``ledger``
    entries: its size and its fastest format's digest): then, CHANGED only because the MHL
    contradicts itself, it was not found wrong. A record its size is not (*read*'s
    ``sized``) is not one it reads as; one holding no digest is read as by its size. No
    ledger's record: False (nothing says the copy is the one recorded)."""
    if not read.ledger or read.unlike is None:
        return False
    for size, digests in read.ledger:
        if not digests or size != read.item.size_bytes:
            return False
        name = fastest(digests)
        if hashed[name] != digests[name]:
            return False
    return any(
        e is not read.sized
        and (e.digests or read.sized is not None)
        and all(hashed[f] == v.lower() for f, v in e.digests.items())
        for e in read.unlike
    )


def _verify_legacy(
    root: Path,
    legacy_mhl: Path,
    hash_file: HashFile,
    ignore_patterns: Sequence[str],
    within: _Within,
    on_plan: OnPlan | None,
    proved: Proved,
    ledger_records: LedgerRecords | None,
) -> VerifyReport:
    proved.reference = ReferenceKind.LEGACY
    hash_list = read_legacy_mhl(legacy_mhl)
    base = os.path.relpath(os.path.abspath(legacy_mhl.parent), os.path.abspath(root))
    if base == os.pardir or base.startswith(os.pardir + os.sep):
        raise ValueError(
            f"the legacy MHL {legacy_mhl} is not inside {root}: a legacy MHL records its "
            "files from its own folder, so one outside the copy describes none of its "
            "files; name this copy's own (--mhl-file PATH/.../NAME.mhl), or verify the copy "
            "against its ASC MHL history or ledger (without --mhl-file)"
        )
    folder = "" if base == "." else base.replace(os.sep, "/")
    spec = IgnoreSpec(merge_patterns(DEFAULT_IGNORE_PATTERNS, ignore_patterns))
    # Each entry's path read as the card's reader of legacy MHLs reads it (``listed_path``,
    # the one reading: joined to the MHL's folder and normalized, so ``C//f1.mov`` is the
    # copy's ``C/f1.mov``, as ``offload copy`` checked it on the card). One outside PATH
    # (from a root, ``/Volumes/...`` or a Windows drive's ``D:\...``; or above PATH by
    # ``..``) is outside here as there: never read, named, the others checked (no pass:
    # exit 22 where nothing failed). An MHL all of whose entries are outside describes no
    # file of this copy: refused (31), nothing read.
    # Entries naming one file merged as ``offload copy`` merges them (``merge_entries``, the
    # one merge): two that disagree (size, or a digest of one format) are a contradiction,
    # so that file is CHANGED, both records quoted in a note; never its last entry taken.
    from offload.card_legacy_mhl import from_a_root, merge_entries, recorded_words

    merged = merge_entries(folder, hash_list.entries)
    entries: dict[str, LegacyEntry] = merged.entries
    rooted = sorted(set(merged.outside))
    if rooted and not entries:
        shown = ", ".join(repr(p) for p in rooted[:5])
        how = (
            f"names its files from a root, not from its own folder ({shown}: a drive's or "
            f"the system's), so they are outside {printable_name(str(root))}"
            if all(from_a_root(p) for p in rooted)
            else f"lists its files outside {printable_name(str(root))} ({shown}: from a "
            "root, a drive's or the system's, or above that folder by '..')"
        )
        raise UntrustedHistoryError(
            f"the legacy MHL {printable_name(str(legacy_mhl))} {how}: it cannot be checked "
            "against this copy; nothing was read: verify the copy without --mhl-file "
            "(against its ASC MHL history or its ledger), or check that MHL where the files "
            "it names are",
            path=legacy_mhl,
            says_what_to_do=True,
        )
    verified, changed = proved.verified, proved.changed
    unverifiable, unreadable = proved.unverifiable, proved.unreadable
    try:
        walked = _walk(root, spec, split_nested=False, within=within)
        disk = {item.path: item for item in walked.files}
        # A name the MHL spells otherwise (NFC, NFD) than the copy is that file of the copy,
        # read against the MHL (the one rule, ``respelling``: where neither spelling has an
        # exact counterpart, so a twin the MHL lists beside it is not it).
        spell = spelled_as_listed(set(entries), disk)
        respelled: dict[str, str] = {}
        listed: set[str] = set()
        missing: list[str] = []
        reads: list[_Read] = []
        contradictions: list[str] = []
        as_one_record: set[str] = set()
        for recorded, entry in entries.items():
            path = spell(recorded)
            if path != recorded:
                respelled[path] = recorded
            listed.add(path)
            item = disk.get(path)
            if item is None:
                missing.append(path)
                continue
            if recorded in merged.unlike:
                # The MHL records it twice, unlike: checked against each; no read can match
                # both, so CHANGED against the first it is unlike (a size before a digest).
                first, second = merged.unlike[recorded]
                contradictions.append(
                    f"the legacy MHL {printable_name(str(legacy_mhl))} lists "
                    f"'{printable_name(path)}' twice, unlike ({recorded_words(first)}; then "
                    f"{recorded_words(second)}): it contradicts itself, so the file is CHANGED "
                    "whichever it reads as"
                )
                # The copy is judged against the ledger's record of it too, in the same read
                # (its fastest format): only a copy as the ledger records it that reads as
                # one of the two records is not found wrong (``read_as_one_record``), and
                # one unlike the ledger is a copy found wrong, its digests the revocation's.
                held = ledger_records(path) if ledger_records is not None else ()
                ledger_formats = {fastest(digests) for _, digests in held if digests}
                sized = next(
                    (
                        e
                        for e in (first, second)
                        if e.size_bytes is not None and e.size_bytes != item.size_bytes
                    ),
                    None,
                )
                if sized is not None:
                    other = second if sized is first else first
                    if other.size_bytes not in (None, item.size_bytes) or not any(
                        size == item.size_bytes for size, _ in held
                    ):
                        # Unlike both records' sizes, or no ledger's record of its size to
                        # judge it by: CHANGED by its size, not read.
                        changed.append(
                            ChangedFile(
                                path,
                                ChangeReason.SIZE,
                                sized.size_bytes,
                                item.size_bytes,
                                dict(sized.digests),
                            )
                        )
                        continue
                    formats = sorted({*other.digests, *ledger_formats})
                    reads.append(
                        _Read(
                            item,
                            formats,
                            None,
                            sized.size_bytes,
                            unlike=(first, second),
                            sized=sized,
                            ledger=held,
                        )
                    )
                    continue
                formats = sorted({*first.digests, *second.digests, *ledger_formats})
                reads.append(
                    _Read(
                        item, formats, None, first.size_bytes, unlike=(first, second), ledger=held
                    )
                )
                continue
            if entry.size_bytes is not None and entry.size_bytes != item.size_bytes:
                changed.append(
                    ChangedFile(
                        path,
                        ChangeReason.SIZE,
                        entry.size_bytes,
                        item.size_bytes,
                        dict(entry.digests),
                    )
                )
                continue
            if not entry.digests:
                unverifiable.append(path)
                continue
            # Every format the entry holds, xxh32 (no ASC MHL format) included.
            reads.append(_Read(item, sorted(entry.digests), entry.digests, entry.size_bytes))
        _announce(on_plan, [read.item for read in reads])
        done = 0
        try:
            for done, read in enumerate(reads):  # noqa: B007 (read after it)
                item, expected = read.item, dict(read.expected or {})
                hashed = _hash_or_note(hash_file, item, read.formats, unreadable)
                if hashed is None:
                    continue
                # Of a file the MHL lists twice, unlike: the ledger's digests read too, which
                # the revocation judges the copy by (``verify_revoke``: a digest shared
                # with the ledger's entry), beside those compared.
                judged: dict[str, str] = {}
                if read.unlike:
                    judged = {f: hashed[f] for f in read.formats}
                    if _as_one_record(read, hashed):
                        as_one_record.add(item.path)
                if read.sized is not None:
                    changed.append(
                        ChangedFile(
                            item.path,
                            ChangeReason.SIZE,
                            read.sized.size_bytes,
                            item.size_bytes,
                            dict(read.sized.digests),
                            judged,
                        )
                    )
                    continue
                if read.unlike:
                    # Compared with the first record it reads unlike: one always is.
                    expected = next(
                        dict(e.digests)
                        for e in read.unlike
                        if any(hashed[f] != v.lower() for f, v in e.digests.items())
                    )
                actual = {f: hashed[f] for f in expected}
                if actual != expected:
                    changed.append(
                        ChangedFile(
                            item.path,
                            ChangeReason.HASH,
                            read.expected_size,
                            item.size_bytes,
                            expected,
                            {**judged, **actual},
                        )
                    )
                else:
                    verified.append(item.path)
            proved.reads_over = True
        except KeyboardInterrupt as exc:
            raise cancelled_check(
                root,
                ReferenceKind.LEGACY,
                verified=verified,
                changed=changed,
                unreadable=unreadable,
                unverifiable=unverifiable,
                unfinished=() if proved.reads_over else [read.item.path for read in reads[done:]],
            ) from exc
    except OSError as exc:
        raise _cannot_verify(root, exc) from exc
    own_folder = folder
    extra, leftovers = split_leftovers(
        sorted(
            path
            for path in disk
            if path not in listed
            and not (path.rpartition("/")[0] == own_folder and path.endswith(".mhl"))
        )
    )
    return VerifyReport(
        root=root,
        reference=ReferenceKind.LEGACY,
        verified=tuple(sorted(verified)),
        changed=tuple(sorted(changed, key=lambda c: c.path)),
        missing=tuple(sorted(missing)),
        extra=tuple(extra),
        unverifiable=tuple(sorted(unverifiable)),
        unreadable=tuple(sorted(unreadable)),
        dangling=tuple(walked.dangling),
        # A link out of the card that the legacy MHL does not list is passed over (module
        # doc): offload copy reproduces a card's link as it is and lists none such.
        outside=tuple(path for path in walked.outside if path in listed),
        leftovers=tuple(leftovers),
        respelled=respelled,
        from_a_root=tuple(rooted),
        notes=tuple(contradictions),
        read_as_one_record=frozenset(as_one_record),
    )
