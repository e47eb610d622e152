"""``offload verify``: re-hash a destination (or a card) from the media against its records.

The reference is, in this order: a legacy MHL file given explicitly, the newest ASC MHL
history in the folder, or the ledger offload-ai keeps in ``.offload/ledger.jsonl`` (the
digests of every file it verified there). Files are hashed with the page cache bypassed.

Every way it can end has an exit code (:class:`VerifyExit`); errors are raised as
``UsageError`` subclasses carrying theirs, so the CLI never ends in a traceback.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from offload import run_record
from offload.copy_legacy_mhl import CopyLegacyMhls
from offload.engine.verifier import MediaHasher
from offload.errors import (
    DRIVE_GONE_ERRNOS,
    DriveUnreachable,
    UsageError,
    describe_os_error,
    describe_os_error_below,
    drive_unreachable,
    on_network_share,
    printable_name,
    reach,
    read_error_words,
    shell_word,
    unexpanded_tilde,
)
from offload.ledger import (
    STATE_FOLDER,
    Ledger,
    LedgerEntries,
    LedgerEntry,
    final_path_of,
    kept_by_check,
    ledger_path,
    may_record_unheld_names,
)
from offload.manifest import (
    ASCMHL_FOLDER,
    CHAIN_FILE_NAME,
    ChangedFile,
    ChangeReason,
    CreatorInfo,
    HistoryError,
    ManifestError,
    NoHistoryError,
    ReferenceKind,
    UnsupportedTreeError,
    VerifyReport,
    unchained_own,
    utc_now,
    verify_tree,
)
from offload.manifest.coverage import Lister
from offload.manifest.errors import (
    LegacyMhlUnreadableError,
    MissingChainError,
    MissingManifestError,
)
from offload.manifest.legacy import is_legacy_mhl_name
from offload.manifest.links import LinkKind, classify_link
from offload.manifest.verify import (
    CheckCancelled,
    FileDate,
    GenerationNotWritten,
    LedgerRecords,
    OnPlan,
    Proved,
    Reason,
    cancelled_after_reads,
    cancelled_check,
    reporting_cancels,
    split_leftovers,
)
from offload.manifest.verify import (
    VerifyExit as VerifyExit,  # the exit codes of offload verify, named here too
)
from offload.own_record import OwnRecords, contradicted, history_replaced, ledger_unread_note
from offload.respelling import respelled_pairs
from offload.run_record import unfinished, unfinished_with_states
from offload.state_folder import StateFolderLinked, linked_state_folder
from offload.verification_reason import with_reasons
from offload.verify_reads import load_entries
from offload.walk import OnError, WalkEntry, walk_tree

HashFile = Callable[[Path, Sequence[str]], dict[str, str]]


class NoReferenceError(UsageError):
    """There is no history, legacy MHL or ledger to verify against (exit 30)."""

    exit_code = VerifyExit.NO_REFERENCE  # type: ignore[assignment]


class UntrustedReferenceError(UsageError):
    """The ASC MHL history is damaged (a manifest and the chain disagreeing, a manifest
    missing, no chain file, ``--append`` over a manifest the chain does not list,
    malformed XML) or forged (paths outside the folder): nothing was verified (exit 31)."""

    exit_code = VerifyExit.UNTRUSTED  # type: ignore[assignment]


class NoChainReferenceError(UntrustedReferenceError):
    """Manifests without the chain file: not trusted, nothing verified (exit 32, as
    ``ascmhl-debug verify``)."""

    exit_code = VerifyExit.NO_CHAIN


class MissingManifestReferenceError(UntrustedReferenceError):
    """A manifest the chain file lists is gone: not trusted, nothing verified (exit 33, as
    ``ascmhl-debug verify``)."""

    exit_code = VerifyExit.MISSING_MANIFEST


def _refusal_of(exc: HistoryError) -> type[UntrustedReferenceError]:
    """The refusal a damaged history *exc* makes of a check: its exit code
    ``ascmhl-debug verify``'s where they overlap (no chain file 32, a manifest gone 33), else 31."""
    if isinstance(exc, MissingChainError):
        return NoChainReferenceError
    if isinstance(exc, MissingManifestError):
        return MissingManifestReferenceError
    return UntrustedReferenceError


class UnreadableTreeError(UsageError):
    """A folder under PATH cannot be read: the check cannot be complete (exit 11)."""

    exit_code = VerifyExit.CHANGED  # type: ignore[assignment]


class GenerationUnwrittenError(UnreadableTreeError):
    """``--append``'s generation was not written once the check was over (another writer's
    generation meanwhile, a write that failed: ``manifest.verify.GenerationNotWritten``):
    exit 11, the request not met; ``report`` is the check's, which stands (written and
    summed up as any check's, the line saying why no generation), with how many files it
    read each way (``files_read_from_media``, ``files_read_through_cache``)."""

    def __init__(self, message: str, report: VerifyReport, *, path: Path) -> None:
        super().__init__(message, path=path)
        # The report says it too (no pass, exit 11: ``VerifyReport.passed``), so that every
        # output built from it, the saved report's ``passed`` first, says the same.
        self.report = dataclasses.replace(report, generation_unwritten=message)
        self.files_read_from_media = 0
        self.files_read_through_cache = 0


class AppendRefusedError(UsageError):
    """``--append``'s generation cannot be written where the history is (a read-only
    mount, a folder this user may not write): refused before any read, nothing verified or
    written (exit 11, as for a generation found unwritable once the check was over)."""

    exit_code = VerifyExit.CHANGED  # type: ignore[assignment]


def _append_refusal(root: Path) -> AppendRefusedError | None:
    """The refusal of ``--append`` on *root* whose ``ascmhl/`` is on a read-only mount
    (``statvfs``'s ST_RDONLY: EROFS), which no write can change; None otherwise (no such
    folder, or one that cannot be looked at: the check itself says why). A folder this
    user may not write (permissions, an immutable flag) is found by the generation's write
    after the check, its results reported (exit 11): ``access`` cannot tell it for sure
    (ACLs, root squashing on a share), and a refusal it got wrong would check nothing."""
    folder = root / ASCMHL_FOLDER
    try:
        if not os.path.isdir(folder):
            return None
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return None
    if not read_only:
        return None
    why = "its drive is mounted read-only (EROFS)"
    fix = "mount the drive read-write"
    return AppendRefusedError(
        f"cannot append a generation to {folder}: {why}; nothing was verified or written: "
        f"{fix}, then run offload verify --append again, or verify without --append to "
        "check the copy as it is",
        path=root,
    )


def unreadable_folder(root: Path, folder: Path, exc: OSError) -> UnreadableTreeError:
    """The refusal of a check of *root* that cannot look into *folder* (*root* itself, or
    a folder of its records) for *exc* (EACCES, EIO...): exit 11, nothing verified, and
    what to do: for a read the disk failed (EIO), check the drive or verify another copy
    of the card; otherwise make it readable to this user (or mount a drive gone again)."""
    where = "it" if folder == root else str(folder)
    if exc.errno == errno.EIO:
        fix = (
            "the drive failed to read it: check the drive (its kernel log, a filesystem "
            "check) and run this again, or verify another copy of this card"
        )
    else:
        fix = (
            "give this user read access to it (or run offload verify as a user who may "
            "read it; a drive that failed: mount it again), and run this again"
        )
    return UnreadableTreeError(
        f"cannot verify {root}: {where} cannot be read ({describe_os_error(exc)}); nothing "
        f"was verified: {fix}",
        path=folder,
    )


#: The errnos of a read refused to this user or failed by the disk (an ``OSError``, or a
#: ``ManifestError``'s, a ``HistoryError``'s ``errno``): a folder or file that could not be
#: read, never a history found damaged (exit 11 with what to do, not 31).
_UNREAD = frozenset({errno.EACCES, errno.EPERM, errno.EIO})


def _unread(root: Path, exc: OSError | ManifestError) -> UnreadableTreeError | None:
    """The refusal (exit 11, :func:`unreadable_folder`) of *root*'s check for *exc*, a read
    refused to this user or failed by the disk, naming the file or folder it failed on (its
    OSError's ``filename``; the folder above it this user may not search, where that is
    why), after what the check's settle did first (``ManifestError.settled``); None for any
    other error."""
    if exc.errno not in _UNREAD:
        return None
    cause = exc if isinstance(exc, OSError) else exc.__cause__
    if not isinstance(cause, OSError):
        cause = OSError(exc.errno, os.strerror(exc.errno or 0))
    where = cause.filename if isinstance(cause.filename, str) else None
    if where is None and isinstance(exc, ManifestError):
        where = None if exc.path is None else str(exc.path)
    named = Path(where) if where else root
    try:
        os.lstat(named)
    except PermissionError:
        # Its folder may not be searched (mode 644, 000): that folder is what to fix.
        named = _unsearchable_above(named)
    except OSError:
        pass
    refusal = unreadable_folder(root, named, cause)
    if isinstance(exc, ManifestError) and exc.settled is not None:
        # What the check's settle did first is never left unsaid (``_settled_first``).
        return UnreadableTreeError(_settled_first(exc) + refusal.message, path=refusal.path)
    return refusal


def _gone(root: Path, exc: OSError | ManifestError) -> DriveUnreachable | None:
    """The refusal of *root*'s check for *exc*, a read of its history, its manifests, its
    ledger, its folders or files' entries that failed because its drive or share went away
    (``DRIVE_GONE_ERRNOS``: a killed FUSE program or sshfs, ENOTCONN; a share's handle gone
    stale, ESTALE): as for a PATH whose drive is gone before the check (exit 64, "the drive
    holding PATH is not reachable (...): reconnect it"), after what the check's settle did
    first (``ManifestError.settled``); never a damaged history (31) nor a copy that could
    not be read (11): nothing was found wrong, nor failed to be read by the drive. The one
    rule of every branch of the check (``_refused_read``). None for any other error."""
    if exc.errno not in DRIVE_GONE_ERRNOS:
        return None
    cause = exc if isinstance(exc, OSError) else exc.__cause__
    if not isinstance(cause, OSError):
        cause = OSError(exc.errno, os.strerror(exc.errno or 0))
    refusal = drive_unreachable(cause, root)
    if refusal is not None and isinstance(exc, ManifestError) and exc.settled is not None:
        # What the check's settle did first is never left unsaid (``_settled_first``).
        return DriveUnreachable(
            _settled_first(exc) + refusal.message, path=root, errno_=refusal.errno
        )
    return refusal


def _refused_read(root: Path, exc: OSError | ManifestError) -> UsageError | None:
    """The refusal of *root*'s check for *exc*, a read that failed, by its errno alone, the
    same in each branch of the check (its history, a manifest, the tree's listing, its
    ledger): refused to this user or failed by the disk, exit 11 (``_unread``); its drive
    or share gone, exit 64 (``_gone``). None for any other error (the branch's own words)."""
    return _unread(root, exc) or _gone(root, exc)


def _unsearchable_above(root: Path) -> Path:
    """The folder above *root* this user may not search (the first of its ancestors, from
    the top, whose entry cannot be looked at), else *root*'s parent."""
    for below in [*reversed(root.parents[:-1]), root]:
        try:
            os.lstat(below)
        except PermissionError:
            return below.parent
        except OSError:
            break
    return root.parent


def is_folder_at(root: Path, path: Path) -> bool:
    """Whether a folder stands at *path* (under the copy root *root*; a link to one too):
    False where nothing, or no folder, stands there (a link leading nowhere or looping).
    A look that fails otherwise (EACCES in a folder this user may not search, EIO) is no
    answer, never "no folder": :func:`unreadable_folder`'s refusal is raised (not
    ``Path.is_dir``, which raises the bare OSError for EACCES, a traceback, and takes
    other errors for "no")."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return False
        raise _gone(root, exc) or unreadable_folder(root, path.parent, exc) from None


def exit_code_of(report: VerifyReport) -> VerifyExit:
    """The exit code of a check that ended with *report* (``VerifyReport.exit_code``, the
    one rule: 0 exactly when it ``passed``)."""
    return report.exit_code


def verify_against_ledger(
    root: Path,
    hash_file: HashFile,
    on_plan: OnPlan | None = None,
    on_error: Callable[[Path, OSError], None] | None = None,
) -> VerifyReport:
    """Compare the files under *root* with the digests offload-ai recorded in its ledger.

    A recorded file whose name is now a symlink is missing (the ledger records the files it
    copied, never a link), and, as against a manifest, listed in ``dangling`` when the link
    leads nowhere, in ``outside`` when it reaches a file outside the copy or into its own
    state (:func:`offload.manifest.links.classify_link`). *on_plan(files, bytes)*: called
    once, before the first read, with what will be read (``verify_tree``). Its ``reasons``
    are filled, as ``verify_tree``'s (``offload.verification_reason``). *on_error(path,
    exc)*: told of each file whose ``stat`` failed (UNREADABLE: the reason of its line,
    ``_read_errors_named``, as a failed read's).

    A cancel once the reads are over (the new files, the reasons) raises the
    ``CheckCancelled`` of what they proved (``manifest.verify.reporting_cancels``), as one
    in them does.

    Raises NoReferenceError if there is no ledger, OSError if a folder cannot be read.
    """
    proved = Proved(ReferenceKind.LEDGER)
    with reporting_cancels(root, proved):
        return _against_ledger(root, hash_file, on_plan, proved, on_error)


def _has_records(folder: Path) -> bool:
    """Whether *folder* holds an ASC MHL history or an offload-ai ledger of its own (its
    ``ascmhl/`` folder, its ``.offload/ledger.jsonl``): a copy root's records, by two
    ``stat`` calls, nothing read."""
    # os.path's, which answer no where a folder cannot be looked in (a folder above the
    # one checked that this user may not search holds no records it can use).
    return os.path.isdir(folder / ASCMHL_FOLDER) or os.path.exists(ledger_path(folder))


def _recorded_above(root: Path) -> Path | None:
    """The nearest folder above *root* with an ASC MHL history or an offload-ai ledger (a
    copy root, when *root* is a folder of a copy: a clip folder the DIT wanted checked
    alone), or None. The histories and the ledger record paths from their own root, so
    the check is of that folder."""
    for folder in Path(os.path.abspath(root)).parents:
        if _has_records(folder):
            return folder
    return None


# How far below PATH, and over how many folders, ``_recorded_below`` looks: a shuttle drive's
# root holds the card copies (DRIVE/A001), or a folder a day (DRIVE/DAY_01/A001).
_BELOW_DEPTH = 2
_BELOW_FOLDERS = 2_000
# The commands named in one line: every copy root of a shuttle drive or a day's RAID folder
# (README: one shell line to paste checks them all; it named 3 of 10); past this, the line
# says how many more.
_BELOW_NAMED = 32


def _recorded_below(root: Path) -> list[Path]:
    """The folders below *root* (down to ``_BELOW_DEPTH`` levels, over at most
    ``_BELOW_FOLDERS`` folders, symlinks not followed, hidden folders passed over) with an
    ASC MHL history or an offload-ai ledger of their own, sorted; a folder found is not
    looked into. A DIT who names the drive that holds several card copies (``offload verify
    /media/SHUTTLE``) has nothing recorded at that root: each copy below records its own
    files from its own root, so the check is of each of them. Folders that cannot be
    listed are passed over (a hint, not the check)."""
    found: list[Path] = []
    level, seen = [root], 0
    for _ in range(_BELOW_DEPTH):
        below: list[Path] = []
        for folder in level:
            try:
                with os.scandir(folder) as entries:
                    children = [
                        Path(e.path)
                        for e in entries
                        if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)
                    ]
            except OSError:
                continue
            for child in children:
                seen += 1
                if seen > _BELOW_FOLDERS:
                    return sorted(found)
                if _has_records(child):
                    found.append(child)
                else:
                    below.append(child)
        level = below
    return sorted(found)


def _legacy_mhls_at(root: Path) -> list[str]:
    """The names of the files at *root* named ``*.mhl`` (any case), sorted: legacy MHLs (an
    ASC MHL history's are in ``ascmhl/``). Empty when *root* cannot be listed."""
    try:
        with os.scandir(root) as entries:
            return sorted(
                e.name for e in entries if e.name.lower().endswith(".mhl") and e.is_file()
            )
    except OSError:
        return []


def _stopped_offload_hint(root: Path) -> str:
    """What ``nothing to verify ROOT against`` adds where *root* holds offload-ai's own
    folder (``.offload/``: its lock, upload records) but no ledger: an offload of it ended
    before it recorded a single copy (stopped, or failed there: a slow drive filled by a
    cascade, ENOSPC, leaves just that), or its ledger was deleted; the same offload run
    again finishes it (it reads back what it finds). "" where there is no such folder (or
    it cannot be looked at: no claim then)."""
    try:
        if not (root / STATE_FOLDER).is_dir():
            return ""
    except OSError:
        return ""
    return (
        f"; its {STATE_FOLDER}/ folder is there, holding no ledger: {_how_it_ended(root)}, or "
        f"its ledger was deleted: run that offload again, the same command {_ONCE_THE_DRIVE}: "
        "it finishes the copy and reads back what it finds"
    )


def _how_it_ended(root: Path) -> str:
    """How the offload of *root* ended before its first ledger line, in words: as its run
    record says it settled (``run_record.read``: cancelled, failed there, or lost this
    drive naming no failed card file, whose ledger then recorded each: since gone), else (a run
    killed or cut off before it settled leaves ``running``; no record, or none readable)
    every way it may have."""
    record = run_record.read(root)
    state = "" if record is None else record.state
    if state not in (run_record.CANCELLED, run_record.FAILED):
        return (
            "an offload of it ended before it recorded a copy (stopped: killed, a power cut; "
            f"or failed there: {_FAILED_ON_DRIVE})"
        )
    assert record is not None
    started = (
        f" started {record.started.replace('T', ' ').rstrip('Z')} UTC" if record.started else ""
    )
    if state == run_record.CANCELLED:
        # The record says no more than that the run stopped before the end of this copy
        # root's copy: a Ctrl-C, SIGTERM or a closed terminal, or this drive lost mid-run
        # (a destination lost ends its copy there unfinished).
        return (
            f"the offload{started} was cancelled before it recorded a copy (Ctrl-C or a stop "
            "signal, or this drive lost during the run)"
        )
    if record.lost and not record.failed:
        # A run that lost this drive, nothing cancelled, naming no card file that failed
        # there: each had a copy here at the size its ledger entry recorded then
        # (``card._standing_copies``), or none failed. Never "failed before it recorded a
        # copy": that ledger recorded them; it is gone since.
        return (
            f"the offload{started} lost this drive during the run (it failed or went away), "
            "its record naming no card file that failed here (each then had a copy here at "
            "the size its ledger entry recorded)"
        )
    why = f"a card read error, its copy read back different from the card, or {_FAILED_ON_DRIVE}"
    if not record.failed:  # an older version's record names none: each one, as it said
        return (
            f"the offload{started} failed before it recorded a copy (each card file failed "
            f"there: {why})"
        )
    # The files its record names, never "each card file": its record may name some only
    # (the others verified, their ledger lines lost since: a bucket whose service
    # restarted empty), and this copy root cannot tell the card's count.
    from offload.report.words import listed

    count = len(record.failed)
    named = listed([printable_name(p) for p in record.failed], 3)
    return (
        f"the offload{started} failed there, and no copy it recorded stands here (its record "
        f"names {count} card file{'s' if count != 1 else ''} that failed there: {named}; "
        f"{why})"
    )


# Why an offload may have failed before its first record, and when to run it again: a
# drive's words, and an ``s3://`` copy root's (``bucket_words``: its check is made on a
# local mirror of it, ``destinations/s3verify``, which rewords it so).
_FAILED_ON_DRIVE = "its drive full or gone"
_ONCE_THE_DRIVE = "(with room on the drive, where it filled)"
_FAILED_ON_BUCKET = "the service refused its uploads (a quota, its credentials) or went away"
_ONCE_THE_BUCKET = "(once the service takes its uploads, where it refused them)"


def bucket_words(message: str) -> str:
    """*message* (``_stopped_offload_hint``'s, made on an ``s3://`` copy root's mirror) with
    a bucket's words for why the offload failed and when to run it again, never a drive's
    (no drive fills or goes away under an object store)."""
    return message.replace(_FAILED_ON_DRIVE, _FAILED_ON_BUCKET).replace(
        _ONCE_THE_DRIVE, _ONCE_THE_BUCKET
    )


def _recorded_elsewhere_hint(root: Path) -> str:
    """What ``nothing to verify ROOT against`` adds: the legacy MHLs at *root* (a
    Silverstack or ShotPut copy: ``--mhl-file`` checks it against one), else the copy root
    above *root* whose records cover it, else the copies below it with records of their
    own, else nothing. A copy root above comes first: its ledger and ASC MHL check every
    file with a digest, where a legacy MHL may hold none (``<null>``: a size check)."""
    above = _recorded_above(root)
    covered = (
        ""
        if above is None
        else (
            f"; it is inside {printable_name(str(above))}, whose records cover it: "
            f"offload verify {shell_word(above)}"
        )
    )
    legacy = _legacy_mhls_at(root)
    if legacy:
        commands = "; ".join(
            f"offload verify --mhl-file {shell_word(root / name)} {shell_word(root)}"
            for name in legacy[:_BELOW_NAMED]
        )
        more = (
            f" ({len(legacy) - _BELOW_NAMED} more not named here)"
            if len(legacy) > _BELOW_NAMED
            else ""
        )
        which = "a legacy MHL" if len(legacy) == 1 else f"{len(legacy)} legacy MHLs"
        also = "; it also holds" if covered else "; it holds"
        return f"{covered}{also} {which} at its root, checked when given: {commands}{more}"
    if covered:
        return covered
    below = _recorded_below(root)
    if not below:
        return ""
    # Each suggested command pastes as it is: its path shell-quoted, the commands of the
    # several folders one shell line (``;`` between them).
    commands = "; ".join(f"offload verify {shell_word(p)}" for p in below[:_BELOW_NAMED])
    more = (
        f" ({len(below) - _BELOW_NAMED} more not named here)" if len(below) > _BELOW_NAMED else ""
    )
    if len(below) == 1:
        return (
            f"; 1 folder below it holds records of its own, not checked: check it with: {commands}"
        )
    return (
        f"; {len(below)} folders below it hold records of their own, none checked: check "
        f"each with: {commands}{more}"
    )


def _no_records_hint(root: Path) -> str:
    """What ``nothing to verify ROOT against`` adds where no record of *root*'s files is
    found near it (a card whose camera wrote no ASC MHL history, a folder no offload
    made): what to verify instead (README: a card is checked against its own history),
    the copy root an offload made of it, or the legacy MHL that lists its files."""
    return (
        "; nothing here or near it records these files (a card holds records only where its "
        "camera or an earlier tool wrote an ASC MHL history): verify a copy an offload made "
        "of it, its copy root (offload verify DEST/CARD), or check it against an MHL that "
        f"lists its files: offload verify --mhl-file FILE.mhl {shell_word(root)}"
    )


def _against_ledger(
    root: Path,
    hash_file: HashFile,
    on_plan: OnPlan | None,
    proved: Proved,
    on_error: Callable[[Path, OSError], None] | None = None,
) -> VerifyReport:
    """:func:`verify_against_ledger`, keeping what it proves in *proved* as it goes."""
    ledger = Ledger(root)
    if not ledger.path.exists():
        hint = (
            _stopped_offload_hint(root) or _recorded_elsewhere_hint(root) or _no_records_hint(root)
        )
        raise NoReferenceError(
            f"nothing to verify {root} against: no ASC MHL history "
            f"({ASCMHL_FOLDER}/), no legacy MHL given and no offload-ai ledger{hint}",
            path=root,
        )
    # A transfer-checked copy's entry holds its in-flight digests: as good a reference.
    # Each path's last entry and those of other cards standing beside it (each card's copy
    # under a name of its own, --keep-both): every copy the ledger vouches for, and each
    # copy an earlier check found wrong (``checked_wrong``).
    read = load_entries(ledger)
    # Its last line torn (a run stopped while writing it): said once, in the report's notes.
    torn = (ledger.torn_words(read.latest),) if ledger.torn_line else ()
    recorded = _ledger_references(read)
    verified, changed, unreadable = proved.verified, proved.changed, proved.unreadable
    missing: list[str] = []
    links: dict[str, list[str]] = {"dangling": [], "outside": []}
    on_disk = set(_walk(root))
    # A file whose name the ledger records spelled otherwise (NFC, NFD) is read against that
    # record, as against a manifest (``_respelled``): by the name it has now, never missing
    # under one spelling and new under the other.
    respelled = _respelled(recorded, on_disk)
    as_listed = {record: listed for listed, record in respelled.items()}
    # First what will be read (a size that differs is changed unread), then the reads: the
    # progress total is what is read. Each: the file's path, its record's, its size.
    reads: list[tuple[str, str, int]] = []

    def note(relative: str, exc: OSError) -> None:
        if isinstance(exc, FileNotFoundError):
            missing.append(relative)  # vanished while checked
            on_disk.discard(relative)
        else:
            unreadable.append(relative)

    for record in sorted(recorded):
        size = recorded[record][0]
        relative = as_listed.get(record, record)
        if relative not in on_disk:
            missing.append(relative)
            why = _link_not_read(root, relative)
            if why is not None:
                links[why].append(relative)
            continue
        try:
            actual_size = os.stat(root / relative).st_size
        except OSError as exc:
            note(relative, exc)
            if on_error is not None and not isinstance(exc, FileNotFoundError):
                on_error(root / relative, exc)
            continue
        if actual_size != size:
            changed.append(ChangedFile(relative, ChangeReason.SIZE, size, actual_size))
            continue
        reads.append((relative, record, actual_size))
    if on_plan is not None:
        on_plan(len(reads), sum(size for _, _, size in reads))
    done = 0
    try:
        for done, (relative, record, actual_size) in enumerate(reads):  # noqa: B007 (read after)
            size, digests = recorded[record]
            try:
                actual = hash_file(root / relative, list(digests))
            except OSError as exc:
                note(relative, exc)
                continue
            if any(actual[name] != value for name, value in digests.items()):
                changed.append(
                    ChangedFile(relative, ChangeReason.HASH, size, actual_size, digests, actual)
                )
            else:
                verified.append(relative)
        proved.reads_over = True
    except KeyboardInterrupt as exc:  # what was read before the cancel stands
        raise cancelled_check(
            root,
            ReferenceKind.LEDGER,
            verified=verified,
            changed=changed,
            unreadable=unreadable,
            unfinished=() if proved.reads_over else [relative for relative, _, _ in reads[done:]],
        ) from exc
    # The legacy MHL ``offload copy --mhl legacy`` wrote at the root is not card content.
    extra, leftovers = split_leftovers(
        sorted(
            path
            for path in on_disk - set(recorded) - set(respelled)
            if "/" in path or not is_legacy_mhl_name(_root_name(root), path)
        )
    )
    # What an offload's default ignore list leaves out (``.DS_Store``, AppleDouble ``._*``: a
    # Mac that mounted the copy wrote them) is no new file, as a check against the history,
    # whose ignore list carries that list, passes over it. A recorded one is still checked.
    extra = _not_ignored_by_default(extra)
    # What stands at a missing path: looked at now, right after the check.
    report = VerifyReport(
        root=root,
        reference=ReferenceKind.LEDGER,
        verified=tuple(verified),
        changed=tuple(sorted(changed, key=lambda c: c.path)),
        missing=tuple(sorted(missing)),
        extra=tuple(extra),
        unreadable=tuple(sorted(unreadable)),
        dangling=tuple(links["dangling"]),
        outside=tuple(links["outside"]),
        leftovers=tuple(leftovers),
        # Those read against the record of their name spelled otherwise, still there: one
        # that vanished while checked (``note``: dropped from on_disk) is missing instead.
        respelled={p: r for p, r in respelled.items() if p in on_disk},
        notes=torn,
    )
    return with_reasons(report)


#: The reason of a file no manifest can hold, checked against the ledger instead.
LEDGER_CHECKED = "ledger-checked"


def unheld_by_ledger(
    report: VerifyReport,
    hash_file: HashFile,
    on_plan: OnPlan | None = None,
    on_error: Callable[[Path, OSError], None] | None = None,
) -> VerifyReport:
    """*report* (a check against an ASC MHL history or a legacy MHL) with each file new to
    it because no XML manifest can hold its name (reason ``name-not-in-manifest``: ``offload
    copy`` copied it, left it out of every manifest and recorded its digests in the copy
    root's ledger) checked against that ledger's record of it, read as the others were
    (*hash_file*; *on_plan* told what more will be read): verified, changed or unreadable
    by that record; and each such file the ledger records that is not there at all (no
    manifest lists it, so the check did not look for it) missing. Each named in
    ``ledger_checked``, its reason saying which record it was checked against
    (``LEDGER_CHECKED``). Without a ledger, or a record of it there, a file stays new, its
    reason saying it was not checked; a ledger that cannot be read is said in a note.
    Before: such a copy was never read, a damaged one as "new" as an intact one, a
    deleted one never missed. Here the ledger is parsed only where a file is new so, or its
    bytes may record such a name (``ledger.may_record_unheld_names``): nearly every copy
    root holds none (a check against a history has parsed it once already, before its
    reads: ``own_record``). A cancel raises ``CheckCancelled`` with what *report* proved and what
    was read here (``cancelled_after_reads``)."""
    unheld = [
        p
        for p in report.extra
        if (why := report.reasons.get(p)) is not None and why.code == "name-not-in-manifest"
    ]
    from offload.manifest.xmlchars import paths_xml_cannot_hold
    from offload.report.words import plural

    root = report.root
    ledger = Ledger(root)
    try:
        if not unheld and not may_record_unheld_names(ledger.path):
            return report
        recorded = _ledger_references(load_entries(ledger))
    except FileNotFoundError:
        return report
    except OSError as exc:  # never silently no record: what was not checked is said
        what = (
            f"{plural(len(unheld), 'file')} whose name no XML manifest can hold "
            f"{'stays' if len(unheld) == 1 else 'stay'} new, not checked against it"
            if unheld
            else "whether a copy whose name no XML manifest can hold (which only it records) "
            "is missing was not checked"
        )
        note = (
            f"{ledger.path} could not be read ({describe_os_error(exc)}): {what}; make it "
            "readable and run this again"
        )
        return dataclasses.replace(report, notes=(*report.notes, note))
    wanted = [p for p in unheld if p in recorded and recorded[p][1]]
    # Recorded, in no manifest and not there: missing. One standing under another spelling
    # of its name (NFC, NFD) is not (it stays new, as without the ledger).
    on_disk = set(report.extra)
    gone_records = [p for p in paths_xml_cannot_hold(list(recorded)) if p not in on_disk]
    respelled = respelled_pairs(gone_records, on_disk)
    elsewhere = set(respelled.values())
    gone = sorted(p for p in gone_records if p not in elsewhere and not os.path.lexists(root / p))
    if not wanted and not gone:
        return report
    verified, changed = list(report.verified), list(report.changed)
    unreadable, missing = list(report.unreadable), [*report.missing, *gone]
    reads: list[tuple[str, int]] = []
    for path in wanted:
        size = recorded[path][0]
        try:
            actual_size = os.stat(root / path).st_size
        except OSError as exc:
            (missing if isinstance(exc, FileNotFoundError) else unreadable).append(path)
            if on_error is not None and not isinstance(exc, FileNotFoundError):
                on_error(root / path, exc)
            continue
        if actual_size != size:
            changed.append(ChangedFile(path, ChangeReason.SIZE, size, actual_size))
            continue
        reads.append((path, actual_size))
    if on_plan is not None and reads:
        on_plan(len(reads), sum(size for _, size in reads))
    checked = [*wanted, *gone]
    done = 0
    try:
        for done, (path, actual_size) in enumerate(reads):  # noqa: B007 (read after)
            digests = recorded[path][1]
            try:
                actual = hash_file(root / path, list(digests))
            except OSError as exc:
                (missing if isinstance(exc, FileNotFoundError) else unreadable).append(path)
                continue
            if any(actual.get(name) != value for name, value in digests.items()):
                changed.append(
                    ChangedFile(path, ChangeReason.HASH, actual_size, actual_size, digests, actual)
                )
            else:
                verified.append(path)
    except KeyboardInterrupt as exc:
        # What the check read before and here stands, its generation and nested histories
        # too; what was still to be read here is cancelled.
        judged = {*verified, *unreadable, *(c.path for c in changed)}
        raise cancelled_after_reads(
            dataclasses.replace(
                report,
                verified=tuple(sorted(verified)),
                changed=tuple(sorted(changed, key=lambda c: c.path)),
                unreadable=tuple(sorted(unreadable)),
                cancelled=tuple(sorted(p for p, _ in reads[done:] if p not in judged)),
                ledger_checked=tuple(p for p in wanted if p in judged),
            )
        ) from exc
    from offload.manifest.xmlchars import unlisted_name_reason

    reasons = dict(report.reasons)
    for path in checked:
        text, exact = (
            f"in no manifest ({unlisted_name_reason(path, exact=spelled_as_is)}): checked "
            "against this copy root's ledger, offload-ai's own record of the copy, instead"
            for spelled_as_is in (False, True)
        )
        reasons[path] = Reason(LEDGER_CHECKED, text, None if exact == text else exact)
    return dataclasses.replace(
        report,
        verified=tuple(sorted(verified)),
        changed=tuple(sorted(changed, key=lambda c: c.path)),
        unreadable=tuple(sorted(unreadable)),
        missing=tuple(sorted(missing)),
        extra=tuple(p for p in report.extra if p not in set(wanted)),
        reasons=reasons,
        ledger_checked=tuple(sorted(checked)),
    )


def _not_ignored_by_default(paths: list[str]) -> list[str]:
    """Of *paths* (unrecorded files of a copy, relative), those that ``offload copy``'s default
    ignore list (``plan.ignore.DEFAULT_IGNORE_PATTERNS``) leaves out of no scan: neither the
    file's name nor one of its folders' is on it (``.DS_Store``, ``._*``, ``.Trashes/...``)."""
    if not paths:
        return paths
    from offload.manifest.ignore import IgnoreSpec
    from offload.plan.ignore import DEFAULT_IGNORE_PATTERNS

    spec = IgnoreSpec(DEFAULT_IGNORE_PATTERNS)

    def ignored(path: str) -> bool:
        parts = path.split("/")
        return spec.matches(path, is_dir=False) or any(
            spec.matches("/".join(parts[:end]), is_dir=True) for end in range(1, len(parts))
        )

    return [path for path in paths if not ignored(path)]


def _ledger_references(read: LedgerEntries) -> dict[str, tuple[int, dict[str, str]]]:
    """The references of a check against the ledger *read* (``checked_wrong`` of its standing
    entries), by the path of each copy as it stands (its final name: a copy kept beside
    another card's, ``--keep-both``, under a name of its own): its size and digests."""
    recorded: dict[str, tuple[int, dict[str, str]]] = {}
    for entry in checked_wrong(read.standing()):
        final = entry.relative_path.rsplit("/", 1)
        name = entry.final_name or final[-1]
        relative = f"{final[0]}/{name}" if len(final) == 2 else name
        recorded[relative] = (entry.size_bytes, entry.digests)
    return recorded


def _ledger_records(root: Path) -> LedgerRecords:
    """``verify_tree``'s *ledger_records* of the local copy root *root*: the size and digests
    of each entry of its ledger vouching for the copy at a path (by its final name), read
    once, at the first question (a file a legacy MHL lists twice, unlike: rare, so most
    checks never read the ledger for it). No ledger, or one that cannot be read: no record
    (the copy then stays one found wrong, as nothing proves it the one recorded)."""
    held: dict[str, list[tuple[int, Mapping[str, str]]]] | None = None

    def records(path: str) -> Sequence[tuple[int, Mapping[str, str]]]:
        nonlocal held
        if held is None:
            held = {}
            try:
                entries = load_entries(Ledger(root))
            except OSError:
                return ()
            for entry in entries.standing():
                if entry.vouches:
                    copy = final_path_of(Path(), entry).as_posix()
                    held.setdefault(copy, []).append((entry.size_bytes, entry.digests))
        return tuple(held.get(path, ()))

    return records


def checked_wrong(standing: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """The references of a check against the ledger among its *standing* entries: each
    entry that vouches for a copy, and the entry of each copy that an earlier
    ``offload verify`` found wrong and revoked keeping that entry (``ledger.kept_by_check``): a
    damaged copy stays judged against what was verified there (changed, exit 11, on every later
    check; verified again if it is restored), never new to the records because the first check
    revoked it. A revocation by offload itself (its read-back, fusefat's renames, a cancel) is not
    one: the file at the name may be a copy it never finished, and its reason says so
    (``revoked-copy``)."""
    references: list[LedgerEntry] = []
    for entry in standing:
        if entry.vouches:
            references.append(entry)
        elif (ended := kept_by_check(entry)) is not None:
            references.append(ended)
    return references


def _respelled(recorded: Collection[str], on_disk: Collection[str]) -> dict[str, str]:
    """Each file of *on_disk* whose name *recorded* (the ledger's copies) holds spelled
    otherwise (the same once both are composed, NFC), mapped to that recorded path, by
    ``respelling``'s one rule (the rule of the card's records and of a check against a
    manifest): where no file of the recorded spelling is there and the file's own spelling
    is not recorded (a twin's entry is never its). Nothing composed where every recorded
    name is ASCII."""
    return respelled_pairs(recorded, on_disk)


def _link_not_read(root: Path, relative: str) -> str | None:
    """Why a recorded path that the walk did not list as a file is not read, when a symlink
    stands there, judged as ``verify_tree`` judges one: ``"dangling"`` (it leads nowhere,
    or loops), ``"outside"`` (it reaches a file outside the copy or in its own state); else
    None (no link; one to a folder, or to a file of the copy: no copy the ledger records)."""
    path = root / relative
    if not os.path.islink(path):
        return None
    try:
        info = os.stat(path)
    except OSError:
        return "dangling"
    try:
        inside = classify_link(root, relative) is LinkKind.FILE
    except OSError:
        return None  # cannot be followed one step at a time (EACCES, EIO): just missing
    return "outside" if stat.S_ISREG(info.st_mode) and not inside else None


def _root_name(root: Path) -> str:
    return os.path.basename(os.path.normpath(os.path.abspath(root)))


def _walk(root: Path) -> list[str]:
    """The regular files under *root* (not the ledger's or the history's folders; partials
    included, which the caller names leftovers). Symlinks are left out: the ledger records
    the files offload-ai copied, and a link is reproduced as a link, never copied as a
    file. So is what is no file (a FIFO, a socket, a device), as a check against a manifest
    leaves it: a FIFO at a recorded name is missing, never opened (that would block the
    check for good)."""
    return [item.relative for item in content_entries(root) if _is_plain_file(item.entry)]


def _is_plain_file(entry: os.DirEntry[str]) -> bool:
    """Whether *entry* is a regular file, not through a symlink; an entry that vanished
    meanwhile (or cannot be looked at) is none."""
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def content_entries(root: Path, *, on_error: OnError | None = None) -> Iterator[WalkEntry]:
    """What is under *root* that is not a folder (a link to a folder counts as a folder and is
    not entered, as ``os.walk`` sorts them), leaving out the ledger's and the history's
    folders at the root. Raises OSError for a folder that cannot be listed, unless
    *on_error* passes it over."""
    for item in walk_tree(root, on_error=on_error):
        try:
            is_dir = item.entry.is_dir()
        except OSError:
            is_dir = False
        if not is_dir:
            yield item
        elif "/" in item.relative or item.name not in (STATE_FOLDER, ASCMHL_FOLDER):
            item.enter()


def verify_path(
    root: Path,
    *,
    legacy_mhl: Path | None = None,
    append_generation: bool = False,
    creator: CreatorInfo | None = None,
    now: Callable[[], datetime] = utc_now,
    on_file: Callable[[Path, int], None] | None = None,
    hash_file: HashFile | None = None,
    own_links: Collection[Path] = (),
    on_plan: OnPlan | None = None,
    lister: Lister | None = None,
    file_date: FileDate | None = None,
    recorded_folder_dates: bool = False,
    find_legacy: Callable[[Path], CopyLegacyMhls | None] | None = None,
    writer_over: Callable[[Mapping[str, object]], bool] | None = None,
) -> tuple[VerifyReport, int, int]:
    """Verify *root* against its best reference; returns the report (its ``reasons`` filled
    by the check: ``offload.verification_reason``, what stands at a missing path, looked at
    right after it), how many files were
    read from the media (the page cache bypassed, and any cache below the filesystem dropped:
    ``fs.below``) and how many through a cache (a network share's server, a FUSE
    filesystem's block device that could not be opened, pages that stayed cached).
    *on_file(path, size)* is called after each file is hashed (progress); *on_plan(files,
    bytes)* before each tree's first read (each nested history is a tree), with what will
    be read there: the sum of its calls is what *on_file* is called for. *hash_file*
    replaces the read from the media (``offload verify s3://...`` hashes a local mirror's
    files by streaming their objects: s3verify.py). *own_links*: links under *root* the
    caller made itself (that mirror's link to a local legacy MHL), not the copy's: left out
    of the check (``verify_tree``). *lister*: what stands in each folder of the copy, for
    an appended generation's folder hashes, where *root* shows less than it holds (that
    mirror: objects it cannot hold as files; ``verify_tree``). *file_date*: the date an
    appended generation records for a file, as the read that hashed it learnt it (that
    mirror: the object's ``mtime`` metadata in its GET's answer; ``verify_tree``).
    *recorded_folder_dates*: an appended generation dates each folder as its history
    recorded it (a folder no record dates undated), where *root*'s folders do not hold the
    copy's times (that mirror, made now; ``verify_tree``). *find_legacy*: finds the legacy
    MHLs the copy holds where *hash_file* reads it (that mirror: their objects downloaded,
    ``copy_legacy_mhl.find``'s *fetch*); a listed file the check did not read is read
    through *hash_file* then. Without *hash_file* they are found in the copy itself.
    *writer_over*: judges a stopped run's generation record's writer over, for a refusal
    to name the rerun that mends it, where *root* mirrors a store whose own rule that is
    (that mirror: ``s3unchained.over_for_the_next_run``; ``_history_remedy``).

    Raises (each a UsageError carrying its exit code): UsageError (64) for a PATH that is
    missing or not a folder (``DriveUnreachable``: on a drive that went away), or whose
    ``.offload`` is a symlink (``StateFolderLinked``), or a request
    that cannot be met (--append without a history or with nested histories, a legacy MHL
    outside PATH, one that cannot be read or is not a legacy MHL); NoReferenceError (30)
    when there is nothing to verify against; UntrustedReferenceError (31) for a damaged or
    forged history (32 for manifests without their chain file, 33 for a manifest the chain
    lists gone, as ascmhl-debug verify); UnreadableTreeError (11) when a folder cannot be read
    or listing it failed; GenerationUnwrittenError (11) when --append's generation was not
    written once the check was over: its ``report`` is the one the check would have
    returned (reasons, the copy's legacy MHLs judged), no generation, with how many files
    it read each way.
    """
    # A drive that went away (ENOTCONN, EIO): DriveUnreachable, one line, exit 64; any
    # other error of the path itself (ELOOP, ENAMETOOLONG, EACCES) one line too.
    try:
        found = reach(root)
    except DriveUnreachable:
        raise
    except PermissionError as exc:
        # A folder above PATH this user may not search: PATH cannot be read, not misnamed.
        raise unreadable_folder(root, _unsearchable_above(root), exc) from None
    except OSError as exc:
        raise UsageError(
            f"cannot read {root}: {describe_os_error(exc)}; name the destination (or card) folder",
            path=root,
        ) from None
    if found is None and not os.path.islink(root):
        raise UsageError(
            f"{root} does not exist; name the destination (or card) folder (is the drive "
            f"mounted?){unexpanded_tilde(root)}",
            path=root,
        )
    if found is None or not stat.S_ISDIR(found.st_mode):
        raise UsageError(
            f"{root} is not a folder; name the destination (or card) folder", path=root
        )
    # Its records (ledger, run record) through a symlinked ``.offload`` are another folder's:
    # never read as this copy's (``state_folder``), exit 64.
    linked = linked_state_folder(root)
    if linked is not None:
        raise StateFolderLinked(linked, path=root / STATE_FOLDER)
    media = MediaHasher()
    # The files *media* read through a cache that could not be dropped, as asked: the CSV
    # marks each (``_cache_reads_named``). Collected here, for this check alone: the
    # hasher's other users (a copy's re-verify of 50,000 files) keep no path.
    through_cache: list[Path] = []
    # Why each file read from the media could not be read (its OSError): the reason of its
    # UNREADABLE line (``_named``).
    read_errors: dict[Path, OSError] = {}

    def from_media(path: Path, formats: Sequence[str]) -> dict[str, str]:
        before = media.through_cache
        try:
            digests = media(path, formats)
        except OSError as exc:
            read_errors[path] = exc
            raise
        if media.through_cache != before:  # the hasher's own rule (``CacheBypass``)
            through_cache.append(path)
        return digests

    def named(report: VerifyReport) -> VerifyReport:
        return _read_errors_named(
            _cache_reads_named(report, through_cache, root), read_errors, root
        )

    def hasher(path: Path, formats: Sequence[str]) -> dict[str, str]:
        digests = from_media(path, formats) if hash_file is None else hash_file(path, formats)
        if on_file is not None:
            try:
                size = os.stat(path).st_size
            except OSError:
                size = 0
            on_file(path, size)
        return digests

    # The legacy MHLs the copy holds (the card's own, copied with it), read before the check
    # so that its reads compute their formats too: not against --mhl-file (the reference
    # then); for a mirror whose files are streamed from a bucket, by the caller's finder,
    # which downloads them (offload.copy_legacy_mhl).
    legacy = None
    if legacy_mhl is None and (hash_file is None or find_legacy is not None):
        legacy = _legacy_mhls(root, find_legacy)

    def judged(report: VerifyReport) -> VerifyReport:
        # A listed file the check did not read is read now, from the media as the others;
        # a cancel then is one after the check's reads (what they proved stands).
        assert legacy is not None
        try:
            return legacy.judge(report, from_media if hash_file is None else hash_file)
        except KeyboardInterrupt as exc:
            raise cancelled_after_reads(named(report)) from exc

    try:
        try:
            report, bypassed, cached = _verify_with(
                root, media, hasher if legacy is None else legacy.hasher(hasher), legacy_mhl,
                append_generation, creator, now, own_links, on_plan, lister, file_date,
                recorded_folder_dates, local=hash_file is None,
                on_error=read_errors.__setitem__, writer_over=writer_over,
            )  # fmt: skip
        except GenerationUnwrittenError as exc:
            if legacy is not None:  # the check's report, the card's legacy MHLs judged too
                exc.report = judged(exc.report)
            raise
        if legacy is None:
            return named(report), bypassed, cached
        return named(judged(report)), media.bypassed, media.through_cache
    except CheckCancelled as exc:  # what was read before the cancel, and how
        exc.files_read_from_media = media.bypassed
        exc.files_read_through_cache = media.through_cache
        if exc.report is not None:
            exc.report = named(exc.report)
        raise
    except GenerationUnwrittenError as exc:  # the check's results, and how it read them
        exc.files_read_from_media = media.bypassed
        exc.files_read_through_cache = media.through_cache
        exc.report = named(exc.report)
        raise
    finally:
        media.close()


def _cache_reads_named(report: VerifyReport, through_cache: list[Path], root: Path) -> VerifyReport:
    """*report* naming the files read through a cache that could not be dropped
    (*through_cache*, as asked, under *root*; ``read_through_cache``: relative,
    ``/``-separated, sorted, as its lists are), whose OK proves what the cache returned: the
    CSV marks each (``offload verify``'s count alone said how many, not which)."""
    if not through_cache:
        return report
    named = sorted({os.path.relpath(path, root) for path in through_cache})
    return dataclasses.replace(report, read_through_cache=tuple(named))


#: The code of an UNREADABLE file's reason: the error its read from the media met.
READ_ERROR = "read-error"


def _read_errors_named(
    report: VerifyReport, read_errors: dict[Path, OSError], root: Path
) -> VerifyReport:
    """*report* with a reason (``READ_ERROR``: ``errors.read_error_words``, the errno and
    what to do: a share's server, a drive's cable, read access) for each unreadable file
    whose read from the media met an OSError (*read_errors*, as asked, under *root*) and
    that has no reason already (a symlink read through keeps its own); one checked against
    the ledger (``LEDGER_CHECKED``: its name in no manifest) gets both, the error's words
    first. Whether *root* is on a network share is looked up once, where there is such a
    file."""
    if not read_errors or not report.unreadable:
        return report
    by_path = {
        Path(os.path.relpath(path, root)).as_posix(): exc for path, exc in read_errors.items()
    }
    wanted = [
        p
        for p in report.unreadable
        if p in by_path and ((was := report.reasons.get(p)) is None or was.code == LEDGER_CHECKED)
    ]
    if not wanted:
        return report
    share = on_network_share(root)
    reasons = dict(report.reasons)
    for path in wanted:
        words = read_error_words(by_path[path], share=share)
        was = report.reasons.get(path)
        if was is None:
            reasons[path] = Reason(READ_ERROR, words)
        else:
            exact = None if was.exact is None else f"{words}; {was.exact}"
            reasons[path] = Reason(READ_ERROR, f"{words}; {was.text}", exact)
    return dataclasses.replace(report, reasons=reasons)


def _legacy_mhls(
    root: Path, finder: Callable[[Path], CopyLegacyMhls | None] | None = None
) -> CopyLegacyMhls | None:
    """The legacy MHLs of the copy at *root*, read (*finder*, else ``copy_legacy_mhl.find``);
    None when it holds none, or a folder cannot be listed (the check itself then says
    which)."""
    from offload.copy_legacy_mhl import find

    try:
        return (finder or find)(root)
    except OSError:
        return None


def _verify_with(
    root: Path,
    media: MediaHasher,
    hasher: HashFile,
    legacy_mhl: Path | None,
    append_generation: bool,
    creator: CreatorInfo | None,
    now: Callable[[], datetime],
    own_links: Collection[Path],
    on_plan: OnPlan | None,
    lister: Lister | None,
    file_date: FileDate | None = None,
    recorded_folder_dates: bool = False,
    *,
    local: bool = True,
    on_error: Callable[[Path, OSError], None] | None = None,
    writer_over: Callable[[Mapping[str, object]], bool] | None = None,
) -> tuple[VerifyReport, int, int]:
    """``verify_path``'s check of *root*, reading through *hasher* (*media* counts how);
    *local*: *root* is the copy itself, not a mirror of one (an unwritten generation's
    remedy names its folder then; the mirror's caller words its own)."""
    report: VerifyReport | None = None
    settled: str | None = None
    if local and append_generation and not _unchained_recorded(root):
        # A generation of a copy whose last offload did not finish would record it as
        # whole: ``ascmhl-debug verify`` would then pass it with card files missing. Not
        # where a dead writer recorded a generation it never chained: ``verify_tree``
        # settles that first and refuses on its own words (not this rule's, yet). Nor a
        # record that cannot be read: a folder this user may not read is the check's own
        # refusal (exit 11), and the check's report still says INCOMPLETE.
        record = run_record.read(root)
        words = unfinished(root) if record is not None and record.state else None
        if words is not None:
            raise UsageError(
                f"cannot append a generation to {root}: {words} (then verify it with "
                "--append); nothing was verified or written",
                path=root,
            )
    if local and append_generation:
        # Said before the reads, not after an hour of them (QA: EROFS once the check of a
        # whole drive was over).
        refusal = _append_refusal(root)
        if refusal is not None:
            raise refusal
    if legacy_mhl is not None or is_folder_at(root, root / ASCMHL_FOLDER):
        # Against the history, each copy the root's own ledger vouches for is held to it too
        # (``own_record``): a history rebuilt over a changed file never out-votes it. Not
        # against --mhl-file (the reference asked for). A bucket's mirror holds its ledger.
        own = OwnRecords(root) if legacy_mhl is None else None
        refused_append: list[str] = []
        if own is not None and append_generation:
            # A generation would record as verified a file the history wrongly agrees with:
            # checked without one, and said why (``GenerationUnwrittenError``, exit 11).
            refused_append = contradicted(root, own.records)
        try:
            report = verify_tree(
                root,
                hash_file=hasher if own is None else own.hasher(hasher),
                legacy_mhl=legacy_mhl,
                append_generation=append_generation and not refused_append,
                creator=creator,
                now=now,
                own_links=own_links,
                on_plan=on_plan,
                lister=lister,
                file_date=file_date,
                recorded_folder_dates=recorded_folder_dates,
                ledger_records=_ledger_records(root) if local else None,
                # Held to the ledger as each file is read, before a generation is built
                # on it: one the history wrongly agrees with is recorded failed.
                held_to=None if own is None or not own.records else own.held,
                # The root's own state only (anchored: this walk is relative to the
                # root); a card's own .offload entries are checked. An appended
                # generation's list needs the unanchored name (ascmhl matches patterns
                # against absolute paths), which hides them too.
                ignore_patterns=[STATE_FOLDER if append_generation else f"/{STATE_FOLDER}/"],
            )
        except NoHistoryError as exc:
            settled = exc.settled  # a dead run's manifest removed: maybe the whole history
            if legacy_mhl is not None:
                raise NoReferenceError(
                    f"nothing to verify {root} against: {exc.message}", path=root
                ) from None
            # An ascmhl/ folder with no chain file and no manifest (a run stopped before
            # its first generation was written) is no history: as without the folder.
        except HistoryError as exc:
            unread = _refused_read(root, exc)
            if unread is not None:
                raise unread from None
            raise _refusal_of(exc)(
                _settled_first(exc)
                + f"cannot verify {root}: {exc.message}; nothing was verified against it"
                + _history_remedy(root, exc, legacy_mhl, writer_over),
                path=root,
            ) from None
        except (UnsupportedTreeError, ValueError) as exc:
            raise UsageError(
                (_settled_first(exc) if isinstance(exc, UnsupportedTreeError) else "")
                + f"cannot verify {root}: {getattr(exc, 'message', str(exc))}",
                path=root,
            ) from None
        except LegacyMhlUnreadableError as exc:
            # Bad input, not a damaged copy: nothing was checked (11 would say the
            # copy's files changed or could not be read).
            raise UsageError(
                f"{exc.message}; --mhl-file names the legacy MHL (v1) file to verify "
                "against; nothing was verified",
                path=root,
            ) from None
        except GenerationNotWritten as exc:  # the check's results stand
            said = exc.message + (_unwritten_remedy(root, exc) if local else "")
            held = exc.report if own is None else own.judge(exc.report)
            raise GenerationUnwrittenError(said, held, path=root) from None
        except CheckCancelled as exc:  # what it proved, held to the ledger too
            if own is not None:
                exc.report = own.judge(exc.report)
            raise
        except ManifestError as exc:
            raise (
                _refused_read(root, exc)
                or UnreadableTreeError(_settled_first(exc) + exc.message, path=root)
            ) from None
        except OSError as exc:  # the legacy MHL itself cannot be read
            raise UsageError(f"cannot verify {root}: {describe_os_error(exc)}", path=root) from None
        if own is not None and report is not None:
            report = own.judge(report)
            left_out = None if report.generation is None else own.left_out_note(report.generation)
            if left_out is not None:
                report = dataclasses.replace(report, notes=(*report.notes, left_out))
            if own.unread is not None:
                note = ledger_unread_note(root, own.unread)
                report = dataclasses.replace(report, notes=(*report.notes, note))
            replaced = history_replaced(root, ledger_held=own.unread is None)
            if replaced is not None:
                report = dataclasses.replace(report, notes=(*report.notes, replaced))
            if refused_append:
                raise GenerationUnwrittenError(
                    _own_record_unwritten(root, refused_append), report, path=root
                )
    if report is not None and local:
        try:
            report = unheld_by_ledger(report, hasher, on_plan, on_error)
        except CheckCancelled:
            raise
        except KeyboardInterrupt as exc:  # before or after its reads: the check's stand
            raise cancelled_after_reads(report) from exc
    if report is None:
        if append_generation:
            # The ledger or a legacy MHL can be checked, but a generation needs a
            # history to join: say how to check it instead, by what is there.
            raise UsageError(_no_history_to_append(root, settled), path=root)
        try:
            report = verify_against_ledger(root, hasher, on_plan, on_error)
        except OSError as exc:
            raise (
                _refused_read(root, exc)
                or UnreadableTreeError(
                    f"cannot verify {root}: {describe_os_error_below(exc, root)}", path=root
                )
            ) from None
        # (A bucket's mirror holds its stamp where the bucket stored one: s3verify.)
        if settled is None:
            gone = _history_gone(root)
            if gone is not None:
                report = dataclasses.replace(report, notes=(*report.notes, gone))
    if local:
        # The copy root's last offload never finished (``run_record``): whatever its records
        # vouch for, card files they do not name may be missing, and the check cannot know
        # which: no pass.
        words, states = unfinished_with_states(root)
        if words is not None:
            report = dataclasses.replace(report, unfinished_offload=words, unfinished_states=states)
    # Its reasons (what stands at a missing path, why a new one is in no manifest)
    # were looked for by the check itself, so every output says the same.
    return report, media.bypassed, media.through_cache


def _own_record_unwritten(root: Path, contradicted: Sequence[str]) -> str:
    """Why ``--append`` wrote no generation where the history records files unlike the copy
    root's own ledger (*contradicted*): what it is, what to do."""
    first = printable_name(contradicted[0])
    more = f" and {len(contradicted) - 1} more" if len(contradicted) > 1 else ""
    return (
        f"no generation was appended to {root / ASCMHL_FOLDER}: its history records "
        f"'{first}'{more} unlike this copy root's own ledger ({STATE_FOLDER}/ledger.jsonl): "
        "the history was rebuilt or edited since by another tool, and a generation would "
        "carry its records forward; the files were checked without one (see CHANGED); "
        "restore the files and ascmhl/ from another copy of this card"
    )


def _unchained_recorded(root: Path) -> bool:
    """Whether *root* holds a writer's record of a generation it may not have chained
    (``manifest.unchained_own``), which ``--append`` settles before anything else."""
    record = unchained_own.record_for(root)
    return record is not None and os.path.lexists(record)


def _history_gone(root: Path) -> str | None:
    """Where *root* holds no ``ascmhl/`` but its stamp of complete manifests
    (``manifest_stamp``, ``.offload/manifests-complete.json``) lists the generations an
    offload wrote there: the warning that the history is gone (the check is against the
    ledger, which vouches for the files; the history, what other tools check, is not
    there): restore it from another copy. None otherwise (no stamp, one that lists no
    generation: a ``--mhl none`` copy, or one that cannot be read: no claim)."""
    import json

    from offload.manifest_stamp import stamp_path

    if os.path.lexists(root / ASCMHL_FOLDER):
        return None
    try:
        listed = json.loads(stamp_path(root).read_bytes()).get("ascmhl")
        names = [entry[0] for entry in listed if isinstance(entry[0], str)]
    except (OSError, ValueError, AttributeError, TypeError, IndexError, KeyError):
        return None
    numbers = [int(name[:4]) for name in names if name.endswith(".mhl") and name[:4].isdigit()]
    if not numbers:
        return None
    which = (
        f"generation {max(numbers)}"
        if len(numbers) == 1
        else (
            f"generations 1 to {max(numbers)}"
            if sorted(numbers) == list(range(1, max(numbers) + 1))
            else f"{len(numbers)} generations, the last {max(numbers)}"
        )
    )
    return (
        f"the ASC MHL history this copy had ({which}, as {STATE_FOLDER}/manifests-complete.json "
        f"records) is missing: {ASCMHL_FOLDER}/ is gone, so this check is against offload-ai's "
        f"ledger and `ascmhl-debug verify` finds no history (its exit 30): restore "
        f"{ASCMHL_FOLDER}/ from another copy of this card"
    )


def _history_remedy(
    root: Path,
    exc: HistoryError,
    legacy_mhl: Path | None,
    writer_over: Callable[[Mapping[str, object]], bool] | None = None,
) -> str:
    """What to do (``; ...``) about a history *exc* refused as a reference for *root*'s
    check, "" where its message says it already: a folder this user may not read (an
    OSError: its errno) is made readable; manifests without a chain file, one of them a
    generation an offload recorded and was stopped before chaining and the only manifest
    there (``unchained_own.left_by_a_stopped_run``, *alone*: a first offload killed; its
    writer judged over by *writer_over* where given: a bucket's rule for its mirror), is
    settled by the same offload copy again (never "restore it"); a damaged or forged ASC
    MHL history is restored from another copy of the card, or the copy checked against its ledger
    meanwhile; a legacy MHL (*legacy_mhl*) that is not trusted is this copy's or not."""
    if exc.says_what_to_do:  # set where it was raised
        return ""
    if exc.errno is not None:
        # Not read, not found wrong (those this user may not read, or the disk failed to,
        # are exit 11: ``_history_unread``): a drive gone, a share's server away...
        return (
            f": {root / ASCMHL_FOLDER} could not be read, not found wrong: mount the drive "
            "again (or reach its server), and run this again"
        )
    if (
        isinstance(exc, MissingChainError)
        and exc.settled is None  # else its settle's line says what it did and what to do
        # The recorded manifest the only one there: its removal leaves no history, the
        # next offload's to write; with others, that offload is refused as this check is.
        and (
            stopped := unchained_own.left_by_a_stopped_run(
                root, alone=True, writer_over=writer_over
            )
        )
    ):
        # Our own run's state, which the same offload copy settles: never "restore it".
        return (
            f": the files were not read, neither proven nor found wrong; an offload was "
            f"stopped after it wrote {printable_name(stopped)} and before it wrote "
            f"{CHAIN_FILE_NAME}: run the same offload copy again, which removes that "
            "manifest and writes the history, then run this again"
        )
    if legacy_mhl is not None and exc.path is not None and Path(exc.path) == legacy_mhl:
        return (
            ": name this copy's own legacy MHL (--mhl-file), or verify the copy against "
            "its ASC MHL history or ledger (without --mhl-file)"
        )
    ledger = (
        f"; meanwhile offload verify checks the files against this copy root's offload-ai "
        f"ledger once {ASCMHL_FOLDER}/ is moved out of the copy root (keep it: renamed "
        "inside it, its files would be called new)"
        if os.path.exists(ledger_path(root))
        else ""
    )
    return (
        f": the files were not read, neither proven nor found wrong; restore "
        f"{_damaged_folder(root, exc)} from another copy of this card (or a backup) that "
        f"ascmhl-debug verify accepts, and run this again{ledger}"
    )


def _damaged_folder(root: Path, exc: HistoryError) -> Path:
    """The ``ascmhl`` folder *exc* refused: the one holding its path (a nested history's,
    ``sub/ascmhl``, where that one is damaged), else *root*'s own."""
    if exc.path is not None:
        found = Path(exc.path)
        for folder in (found, *found.parents):
            if folder.name == ASCMHL_FOLDER and folder.is_relative_to(root):
                return folder
    return root / ASCMHL_FOLDER


def _unwritten_remedy(root: Path, exc: GenerationNotWritten) -> str:
    """What to do (``; ...``) about ``--append``'s generation not written in *root*'s
    history (*exc*), "" where its message says it already (another writer's generation
    meanwhile: run this again)."""
    if exc.says_what_to_do:
        return ""
    folder = root / ASCMHL_FOLDER
    head = "; no generation was appended (the check's results stand): "
    again = "offload verify --append again"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{head}free space on the drive of {folder}, then run {again}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"{head}make {folder} writable (its permissions, an immutable flag: lsattr, a "
            f"read-only mount), then run {again}"
        )
    return f"{head}run {again} once {folder} can be written"


def _settled_first(exc: ManifestError) -> str:
    """What the check's settle did before *exc* refused it (``ManifestError.settled``), as
    the start of the refusal's line: never left unsaid."""
    return f"{exc.settled}; then " if exc.settled is not None else ""


def _no_history_to_append(root: Path, settled: str | None = None) -> str:
    """Why ``--append`` cannot check *root*, which has no ASC MHL history, and what can,
    by what is there: its offload-ai ledger (``offload verify`` without ``--append``); else
    no record at all of its own (never an offload's copy, nor ascmhl's), so nothing to
    check it against but a legacy MHL (``--mhl-file``), or the records of a copy root
    above or below it (``_recorded_elsewhere_hint``); ``ascmhl create`` starts a history.
    *settled*: the check's settle removed a dead run's manifest, the only one there (a
    first offload stopped before its chain): said, and ``offload copy`` named, which
    writes the generation from the ledger."""
    if settled is not None and settled.startswith("removed") and os.path.exists(ledger_path(root)):
        return (
            f"{settled}; no ASC MHL history is left in {root} to append a generation to: run "
            "offload copy again (it writes the generation from the ledger), or offload "
            "verify without --append to check it against its offload-ai ledger"
        )
    head = f"{root} has no ASC MHL history (ascmhl/) to append a generation to"
    if settled is not None:
        head = f"{settled}; then {head}"
    if os.path.exists(ledger_path(root)):
        return (
            f"{head}; run offload verify without --append to check it against its "
            "offload-ai ledger (or a legacy MHL: --mhl-file)"
        )
    return (
        f"{head}, and no offload-ai ledger ({STATE_FOLDER}/): nothing records "
        "its files, so there is nothing to check it against (a legacy MHL can be: "
        "offload verify --mhl-file FILE; ascmhl create starts a history)"
        + _recorded_elsewhere_hint(root)
    )
