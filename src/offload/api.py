"""Keyword-only façade over the engine: validate, build a CopyJob, run it, return the report.

These functions never print. Bad input raises UsageError before anything is written.

A destination may be ``s3://bucket/key`` (``destinations.s3file``, imported only then): the
object is written by the engine through the S3 backend, with the same checks as a card's
S3 copy (part checksums, completion never over another object, read back by a GET).
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from offload import remedies
from offload.destinations.s3url import is_s3_url
from offload.destinations.unreachable import UnreachableDestination
from offload.engine.cancel import CancelToken
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.errors import (
    FULL_ERRNOS,
    UsageError,
    describe_os_error,
    printable_name,
    reach,
    shell_word,
    unexpanded_tilde,
    unreachable_ancestor,
)
from offload.events import EventSink, WarningIssued, isolated
from offload.fs.devices import nearest_folder_device
from offload.model import SourceFile
from offload.options import DEFAULT_CHUNK_SIZE, CopyOptions, ExistingFilePolicy
from offload.plan import ScanError, plan_file_targets, preflight, scan_source
from offload.plan.codes import PreflightCode, PreflightItem
from offload.results import (
    DestinationFileResult,
    DestinationStatus,
    DestinationSummary,
    FileResult,
    JobReport,
)

if TYPE_CHECKING:
    from offload.destinations.base import Destination
    from offload.destinations.s3config import S3Settings
    from offload.destinations.s3file import S3FileTarget

# The preflight's errors that, with ``-k`` (``pfndispatchcopy``), fail their destination
# alone: it cannot be written (a read-only mount, no permission), or the file does not fit
# there (larger than its filesystem holds in one file, FAT's 4 GiB - 1 byte; free space,
# free inodes). Its failure says each, in this order: what cannot be written first (a
# read-only drive too small is both), then the file's size (no room freed there would take
# it), then the room. A full drive also fails the write probe (ENOSPC, EDQUOT: "is full",
# the probe's ``errno``); beside the room or inodes line that says how much, that line alone.
_FAILS_ALONE = (  # in the order a destination's line says them: what cannot be written first
    PreflightCode.DEST_NOT_WRITABLE,
    # A name or path that destination's filesystem refuses (``plan.names``; exFAT's ':',
    # a path over PATH_MAX): that destination's, never the others' (QA: one drive refusing
    # the name stopped every copy, exit 64).
    PreflightCode.NAME_INVALID_CHARS,
    PreflightCode.NAME_TRAILING_DOT_OR_SPACE,
    PreflightCode.NAME_TOO_LONG,
    PreflightCode.NAME_NOT_UTF8,
    PreflightCode.PATH_TOO_LONG,
    PreflightCode.FILE_TOO_LARGE,
    PreflightCode.INSUFFICIENT_SPACE,
    PreflightCode.INSUFFICIENT_INODES,
)

# A destination's findings that say nothing once it fails alone (one of ``_FAILS_ALONE``
# among them): what the copy would need or be named there.
# The preflight's warnings the single-file copy says on its destinations (``pfndispatchcopy``:
# on stderr, ``WARNING: ...``, which Pomfort's stdout lines leave alone), as ``offload copy``
# says them: its date not kept there; a destination on the source's filesystem or disk (no
# backup of it), or on the system disk where a drive is mounted (its drive not mounted?);
# a name Windows will not open; a filesystem or free space that cannot be read (what was
# not checked); free inodes short on a FUSE filesystem (its numbers made up).
# Not said: those of a card's own files, folders, history or legacy MHLs, of a ledger or of
# manifests, which a single file's copy has none of (a name not UTF-8 warns only of a
# manifest that cannot hold it); a destination folder holding the source (the warning of
# the source's filesystem says it: one file is on its folder's filesystem); destinations
# sharing a drive with each other, which name their folders (twice for two targets in one).
_SAID_WARNINGS = frozenset(
    {
        PreflightCode.MTIME_NOT_KEPT,
        PreflightCode.DEST_ON_SOURCE_DEVICE,
        PreflightCode.DEST_ON_SYSTEM_DISK,
        PreflightCode.NAME_RESERVED_WINDOWS,
        PreflightCode.FILESYSTEM_UNKNOWN,
        PreflightCode.FREE_SPACE_UNKNOWN,
        PreflightCode.INSUFFICIENT_INODES,
    }
)

_MOOT_WHEN_FAILED = frozenset(
    {
        PreflightCode.DEST_NOT_WRITABLE,
        PreflightCode.INSUFFICIENT_SPACE,
        PreflightCode.INSUFFICIENT_INODES,
        PreflightCode.FILE_TOO_LARGE,
        PreflightCode.NAME_INVALID_CHARS,
        PreflightCode.NAME_TRAILING_DOT_OR_SPACE,
        PreflightCode.NAME_TOO_LONG,
        PreflightCode.NAME_NOT_UTF8,
        PreflightCode.PATH_TOO_LONG,
    }
)


def _dangling_end(source: Path) -> tuple[str, str] | None:
    """For *source*, a symlink whose chain of links ends at nothing: its target as it reads,
    and the last link's target, the path that does not exist (the same where the first
    target is no link). None where *source* is no link (or gone since)."""
    try:
        target = os.readlink(source)
    except OSError:
        return None
    end, place = target, os.path.join(os.path.dirname(source), target)
    for _ in range(40):  # the kernel's limit of links followed (ELOOP: said before)
        try:
            end = os.readlink(place)
        except OSError:  # not a link (nothing there): the chain ends here
            break
        place = os.path.join(os.path.dirname(place), end)
    return target, end


def _stat_source(source: Path) -> os.stat_result:
    shown = printable_name(str(source))  # a name's control characters escaped, one line
    try:
        st = reach(source)
    except OSError as exc:
        raise UsageError(
            f"cannot read source {shown}: {describe_os_error(exc)}", path=source
        ) from None
    if st is None:
        # The link is there, what it names is not (QA: said "does not exist").
        missing = _dangling_end(source)
        if missing is not None:
            target, end = missing
            gone = (
                f"its target {printable_name(target)} does not exist"
                if end == target
                else f"its target {printable_name(target)} is a symlink too, and the last "
                f"one's target {printable_name(end)} does not exist"
            )
            raise UsageError(
                f"source {shown} is a symlink that leads nowhere (dangling: {gone}); name the "
                "file itself",
                path=source,
            )
        raise UsageError(
            f"source {shown} does not exist; check the path{unexpanded_tilde(source)}", path=source
        )
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(
            f"source {shown} is a folder; pfndispatchcopy copies one file "
            "(use 'offload copy' for folders and cards)",
            path=source,
        )
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"source {shown} is not a regular file", path=source)
    if not os.access(source, os.R_OK):
        raise UsageError(f"source {shown} is not readable (permissions)", path=source)
    return st


def plan_file(
    source: Path,
    destinations: Sequence[Path | str],
    *,
    create_folders: bool = False,
    existing: ExistingFilePolicy = ExistingFilePolicy.FAIL,
) -> list[Path]:
    """Plan one file like a card with explicit target names, through the card's planner and
    preflight (one validation, one free-space check, one same-file check); returns the
    final paths.

    A destination that is an existing folder receives the file under the source's name (like
    ``cp``); anything else is the destination file's path. Raises UsageError (nothing
    written) when there is no destination, a destination is the source or another
    destination (also through symlinks or hard links), its folder is missing (unless
    *create_folders*) or not writable, space is short, the name is refused there, or the
    file exists and the policy is FAIL. Creates nothing. (``copy_with_multiple_destinations``
    plans with ``_plan_targets`` and reads an existing file back instead of refusing it.)
    """
    targets, _, _ = _plan_targets(source, destinations, create_folders=create_folders)
    for target in targets:
        if existing is ExistingFilePolicy.FAIL and os.path.lexists(target):
            raise _already_exists(target)
    return targets


def _plan_targets(
    source: Path,
    destinations: Sequence[Path | str],
    *,
    create_folders: bool,
    keep_going: bool = False,
) -> tuple[list[Path], dict[int, str], list[str]]:
    """``plan_file`` but for the files already at the targets (not looked at): the final
    paths, and, with *keep_going*, the destinations that fail alone (``_FAILS_ALONE``: a
    read-only mount, no permission, ``dest-not-writable``; a file larger than its
    filesystem holds, ``file-too-large``; too little free space or too few free inodes for
    the file, ``insufficient-space``, ``insufficient-inodes``), by
    index, with the preflight's lines naming the folder and what to do (for room: what is
    free and what the copy needs), each reason of one destination in one line, its being
    unwritable first. Those fail alone (``-k``); without *keep_going*, or for
    any other error (a typo, an overlap), UsageError, nothing written. Third: the
    preflight's warnings the single-file copy says (``_SAID_WARNINGS``: a date the
    destination's filesystem cannot hold, a destination on the source's drive..., which
    ``offload copy`` says too)."""
    if not destinations:
        raise UsageError("no destination given; name at least one destination file or folder")
    try:
        tree = scan_source(source)
    except ScanError as exc:
        raise UsageError(f"cannot read source {source}: {exc}", path=exc.path) from None
    plans = plan_file_targets(tree, [str(d) for d in destinations])  # str: keeps a final /
    # The single-file path writes no manifest, report or ledger on the destination: no room
    # kept for them (the file is counted in the drive's allocation units, each folder
    # --create-folders makes as one unit, its name's room in its folder as the card's are),
    # and no name of its own checked. A hidden margin refused a file that fits (cp copies it).
    checked = preflight(
        tree,
        plans,
        reserve_bytes=0,
        writes_own_files=False,  # no report, manifest or ledger: no own names to check
        allow_card_destination=True,
        create_folders=create_folders,
    )
    # Every reason a destination fails alone, in one line (a read-only drive too small for
    # the file is both, its being read-only said first, as ``offload copy`` says it).
    reasons: dict[int, list[PreflightItem]] = {}
    for code in _FAILS_ALONE if keep_going else ():
        for item in checked.errors:
            if item.code is code and item.destination_index is not None:
                reasons.setdefault(item.destination_index, []).append(item)
    # A write probe refused for want of room (ENOSPC, EDQUOT: "is full") beside the room or
    # inodes line that says how much: that line alone.
    for found in reasons.values():
        if len(found) > 1 and found[0].errno in FULL_ERRNOS:
            del found[0]
    failing = {index: "; ".join(item.message for item in found) for index, found in reasons.items()}
    # What would be written on a destination that fails alone is moot: its room and its
    # names are not what stops it. Any other error refuses the copy, every problem named.
    if any(
        item.destination_index not in failing or item.code not in _MOOT_WHEN_FAILED
        for item in checked.errors
    ):
        raise UsageError(
            "\n".join(item.message for item in checked.errors) + "; nothing was written",
            path=checked.errors[0].path,
        )
    # Not of a destination that fails alone: nothing is written there to warn about. Once
    # each: targets in one folder share that folder's findings.
    said = list(
        dict.fromkeys(
            item.message
            for item in checked.warnings
            if item.code in _SAID_WARNINGS
            and not set(item.indices or (item.destination_index,)) <= failing.keys()
        )
    )
    return [plan.target_for(tree.files[0].relative_path) for plan in plans], failing, said


def _already_exists(target: Path, detail: str = "") -> UsageError:
    return UsageError(
        f"destination {printable_name(str(target))} already exists{detail}; nothing was written "
        "(pass --overwrite to replace it)",
        path=target,
    )


def _adopt_existing(
    task: FileTask,
    existing: Sequence[int],
    options: CopyOptions,
    sink: EventSink,
    cancel: CancelToken,
) -> tuple[FileTask, dict[str, str]]:
    """Read back the copies already at the targets *existing* (indexes) and the source, as
    ``offload copy`` adopts a copy it finds (``existing.check_existing``, ADOPT): the task
    with each equal copy a preset result (verified now, ``adopted``) and no target there, and
    the source's digests as read. A copy that differs, or that cannot be read, is refused:
    UsageError, nothing written. Why: a run stopped (Ctrl-C) after some destinations were
    verified leaves those copies under their final names, and the same command again must
    complete the others (README: re-run to resume), not refuse the copies it made; the one
    file path keeps no ledger (nothing of ours beside the file in a folder another tool may
    own), so each such copy is proven by reading it, never trusted.
    """
    from offload.existing import CheckKind, ExistingCopy, check_existing, settle

    checks = [
        ExistingCopy(task_index=0, destination_index=i, final_path=Path(t), kind=CheckKind.ADOPT)
        for i, t in enumerate(task.targets)
        if i in existing and t is not None
    ]
    outcomes = check_existing(
        checks,
        [task.source],
        algorithms=options.algorithms,
        verify=options.verify.value,
        cancel=cancel,
        sink=sink,
    )
    for outcome in outcomes:
        if outcome.source_error:
            raise UsageError(f"{outcome.source_error}; nothing was written", path=task.source.path)
        if outcome.error:
            raise _already_exists(
                outcome.check.final_path, f" and cannot be read back ({outcome.error})"
            )
        if not outcome.matched:
            raise _already_exists(outcome.check.final_path, " with other content")
    unchecked = dataclasses.replace(
        task, targets=tuple(None if i in existing else t for i, t in enumerate(task.targets))
    )
    settled = settle(
        [unchecked],
        checks,
        outcomes,
        [None] * len(task.targets),
        verify=options.verify.value,
        policy=ExistingFilePolicy.FAIL,
    )
    return settled.tasks[0], settled.source_digests.get(task.source.relative_path, {})


def copy_with_multiple_destinations(
    source: Path | str,
    destinations: Sequence[Path | str],
    *,
    options: CopyOptions | None = None,
    expected_size: int | None = None,
    create_folders: bool = False,
    sink: EventSink | None = None,
    cancel: CancelToken | None = None,
    parallel: bool | None = None,
    s3: S3Settings | None = None,
) -> JobReport:
    """Copy one file to every destination with one read of the source; verify; report.

    *destinations* are file paths (or folders, existing ones or any written with a trailing
    ``/``, which receive the file under its own name), or ``s3://bucket/key`` objects
    (``s3://bucket/folder/``: under the source's name; *s3*: the endpoint, profile and
    upload settings, default from the environment as the CLI's; docs/s3.md).
    ``parallel=None`` picks the path automatically: one destination is one job either way;
    several are written in parallel from a single read unless ``parallel=False``, which
    copies to each destination in turn (reading the source once per destination).
    A file already at a local target (``options.existing`` FAIL) is read back with the source
    and kept when equal (verified now, ``action`` ``adopted``: the same call after a cancelled
    one completes it), else refused. A file another writer publishes at a local target
    while this call writes its copy (two copies of one source into one folder at once, a
    dispatcher's) is found at the publish, which replaces nothing, and read back: equal to
    this call's own digests of the source bytes it read, it is kept likewise (given the
    source's date where ``options.preserve_mtime``, synced unless the destination is in
    ``options.noflush_destinations``: verified now, ``adopted``), else refused, nothing
    overwritten (``engine/taken.py``; on a filesystem with neither an atomic no-replace
    rename nor hard links, ``fs.ops``' fallback, two such publishes in one instant may
    both find the name free, the second replacing the first's copy). Raises UsageError for
    bad input (nothing written);
    everything that happens during the copy is in the returned report (``report.exit_code``),
    and so is a local destination that cannot be written (a read-only mount, no permission)
    or that cannot take the file (larger than its filesystem holds, FAT's 4 GiB - 1 byte;
    free space, free inodes: failed there with the
    preflight's line, nothing written there, the others written), or whose drive went away.
    Blocks until done. *sink*'s exceptions never reach the engine (``events.isolated``): a
    subscriber that raises is named in a WarningIssued and in ``report.warnings``; so is,
    after the job, what an S3 destination may have left in the bucket (an object whose
    delete, an upload whose abort, failed: ``s3file.left_behind_notes``).
    Before the copy, on each local destination it writes, the hidden partial files of the
    target's own name that an interrupted copy left beside it are removed (``plan.strays.
    strays_of``: none a live writer claims; where no claim can be asked, none written or
    stamped in the last 12 hours), and the room they held counts as free in the space
    check; each removal, each partial kept (with the ``rm`` command that removes it) and
    each one the drive refused to remove is a WarningIssued and a line in
    ``report.warnings``.
    """
    options = options or CopyOptions()
    source_path = Path(os.path.abspath(source))
    st = _stat_source(source_path)
    if expected_size is not None and expected_size != st.st_size:
        raise UsageError(
            f"source {source_path} has {st.st_size} bytes, but -f_size says "
            f"{expected_size}; nothing was written",
            path=source_path,
        )
    if not any(is_s3_url(str(d)) for d in destinations):
        return _copy_planned(
            source_path, st, destinations, {}, options, create_folders, sink, cancel, parallel
        )
    from offload.destinations import s3file

    named_refused: dict[int, str] = {}  # a name no key can be: that destination alone
    remote = s3file.open_s3_file_targets(
        destinations,
        source_path.name,
        settings=s3,
        existing=options.existing,
        refused=named_refused,
    )
    # The stores' own long steps (a multipart copy, a confirming read) stop on a cancel too:
    # the job's token, made here when the caller gave none.
    cancel = cancel or CancelToken()
    s3file.stop_on(remote, cancel)
    if sink is not None:  # a bucket answering nothing while retried (``s3unreachable``)
        s3file.say_not_answering(remote, isolated(sink))
    try:
        report = _copy_planned(
            source_path,
            st,
            destinations,
            remote,
            options,
            create_folders,
            sink,
            cancel,
            parallel,
            remote_refused=named_refused,
        )
    finally:
        s3file.say_not_answering(remote, None)  # nothing said of it once the job is over
        s3file.close_targets(remote)
    # What an S3 destination may have left in the bucket (an unfinished upload whose abort
    # failed, an object whose delete did): named with the command that removes each, as
    # a card's report names it (``s3card.left_behind_notes``).
    report.warnings.extend(s3file.left_behind_notes(remote))
    return report


def _own_strays_removed(target: Path) -> list[str]:
    """Remove the partial files of *target* an interrupted copy left beside it (a drive
    that went away mid-write, a process killed), as ``offload copy`` removes its own at its
    start: only partials of this file's name (``plan.strays.strays_of``), only those no live
    writer claims or a live run's lock names. Before, a re-run left them, hidden, without a
    word. The lines to say: what was removed, and each one kept, with how to remove it."""
    from offload.plan.preflight.findings import human_bytes
    from offload.plan.strays import UNASKABLE_STALE_S, remove_strays, strays_of

    kept: list[tuple[str, int]] = []
    failed: list[tuple[str, OSError]] = []
    strays = strays_of(target, kept=kept, failed=failed)
    lines: list[str] = []
    removed = remove_strays((path for path, _ in strays), failed) if strays else 0
    if removed:
        size = sum(n for _, n in strays)
        lines.append(
            f"removed {removed} partial file{'s' if removed > 1 else ''} of "
            f"{printable_name(str(target))} an interrupted copy left beside it "
            f"({human_bytes(size)})"
        )
    for path, exc in failed:
        lines.append(
            f"cannot remove {printable_name(path)}, a partial file of "
            f"{printable_name(str(target))} an interrupted copy left: "
            f"{describe_os_error(exc)}; once the drive works, remove it: rm -- {shell_word(path)}"
        )
    for path, _ in kept:
        unopened = _unopenable(path)
        why = (
            "no lock can be asked on its drive"
            if unopened is None
            else f"it cannot be opened to ask its lock ({describe_os_error(unopened)})"
        )
        lines.append(
            f"kept {printable_name(path)}, a partial file of {printable_name(str(target))}: "
            f"{why}, and it changed less than {UNASKABLE_STALE_S // 3600} hours ago (a copy "
            f"may still write it); if none does, remove it: rm -- {shell_word(path)}"
        )
    return lines


def _unopenable(path: str) -> OSError | None:
    """Why the partial at *path* cannot be opened (EACCES: another user's), as ``claim.
    claimed`` opens it to ask its lock; None when it can (its drive keeps no locks), or is
    gone since. For the kept line's words only: each cause named as it is."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc
    try:
        os.close(fd)
    except OSError:
        pass
    return None


def _copy_planned(
    source_path: Path,
    st: os.stat_result,
    destinations: Sequence[Path | str],
    remote: dict[int, S3FileTarget],
    options: CopyOptions,
    create_folders: bool,
    sink: EventSink | None,
    cancel: CancelToken | None,
    parallel: bool | None,
    *,
    remote_refused: Mapping[int, str] | None = None,
) -> JobReport:
    """The copy once the S3 targets (*remote*, by index) are open: the local ones planned,
    the copies already at their targets read back (``_adopt_existing``, FAIL policy), their
    folders made, the job run, the report naming S3 objects by URL. *remote_refused*: the
    S3 targets whose name no key can be, by index, with the line saying why: each fails
    alone, as a local destination refusing the name does."""
    # A local destination whose drive went away (ENOTCONN, EIO, ENODEV) is not planned: the
    # job is handed its path as typed, loses it at the first file (the reason and what to do
    # in its result) and writes the others (README: a failed destination never stops them).
    gone = {
        i: error
        for i, d in enumerate(destinations)
        if i not in remote and (error := unreachable_ancestor(d)) is not None
    }
    local = [i for i in range(len(destinations)) if i not in remote and i not in gone]
    # Each local destination's device now, before the preflight looks (its folder, or the
    # nearest one above that the file's folders will be made in): the job compares every
    # later look with it, so a drive pulled from now on is lost, never written below its
    # bare mount point (sampled when the job opens it, that would be the disk below).
    root_devices = {
        i: found[1]
        for i in local
        if (found := nearest_folder_device(Path(os.path.abspath(destinations[i])))) is not None
    }
    # No destination at all is _plan_targets's error to raise; only S3 ones (or drives that
    # went away): nothing to plan.
    paths, failing_local, preflight_warnings = (
        _plan_targets(
            source_path,
            [destinations[i] for i in local],
            create_folders=create_folders,
            keep_going=True,
        )
        if local or not (remote or gone)
        else ([], {}, [])
    )
    planned = iter(paths)
    # A local destination that cannot be written (a read-only mount, no permission) or has
    # no room for the file fails with the preflight's line and the others are written, as
    # for a drive gone (README: a failed destination never stops the others); a copy already
    # there is still read back and kept when equal (below): nothing need be written for it.
    failing = {local[i]: message for i, message in failing_local.items()}
    failing.update(remote_refused or {})
    targets = [
        remote[i].target
        if i in remote
        else Path(os.path.abspath(destinations[i]))
        if i in gone
        else next(planned)
        for i in range(len(destinations))
    ]
    existing: list[int] = []
    if options.existing is ExistingFilePolicy.FAIL:
        for index, target in enumerate(targets):
            if index in remote or index in gone or not os.path.lexists(target):
                continue
            try:
                st_target = os.lstat(target)
            except OSError:
                st_target = None
            if st_target is None or not stat.S_ISREG(st_target.st_mode):
                raise _already_exists(target)
            if st_target.st_size != st.st_size:
                raise _already_exists(target, f" with other content ({st_target.st_size} bytes)")
            existing.append(index)
    backends: list[Destination | None] = [
        remote[i].backend
        if i in remote
        else UnreachableDestination(targets[i], gone[i].errno or errno.EIO)
        if i in gone
        else None
        for i in range(len(targets))
    ]
    source_file = SourceFile(
        path=source_path,
        relative_path=source_path.name,
        size_bytes=st.st_size,
        mtime_ns=st.st_mtime_ns,
    )
    guarded = isolated(sink)
    shown: EventSink = guarded
    if remote:
        from offload.destinations.s3card import S3PathSink

        shown = S3PathSink(guarded)
    # What the S3 preflight's probe found weakening a guarantee (a HEAD check instead of
    # conditional writes, part checksums nobody checks): said before the copy, and reported.
    probed = [m for i in sorted(remote) for _, m in remote[i].backend.store.probe_findings]
    probed += preflight_warnings  # the local destinations' (a date not kept)
    for message in probed:
        shown.emit(WarningIssued(message))
    swept: list[str] = []  # the sweep's lines: said now, and in the report's warnings
    for index, target in enumerate(targets):
        if index not in remote and index not in gone and index not in failing:
            for line in _own_strays_removed(target):
                swept.append(line)
                shown.emit(WarningIssued(line))
    task = FileTask(source_file, tuple(map(str, targets)))
    source_digests: dict[str, str] = {}
    if existing:
        cancel = cancel or CancelToken()
        task, source_digests = _adopt_existing(task, existing, options, shown, cancel)
    refused = {i: message for i, message in failing.items() if i not in existing}
    if refused:
        task = _refuse(task, refused)
    for index, target in enumerate(targets):
        if index in remote or index in existing or index in gone or index in refused:
            # An object store has no folders to make; an adopted copy has its own; a drive
            # that went away, or one that cannot take the file, takes none.
            continue
        try:
            os.makedirs(target.parent, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                f"cannot create destination folder {printable_name(str(target.parent))}: "
                f"{describe_os_error(exc)}",
                path=target.parent,
            ) from None
    roots = [remote[i].backend.root if i in remote else t.parent for i, t in enumerate(targets)]
    # A file another pfndispatchcopy of this source published at a local target while this
    # one wrote it: read back and kept when it is the file this run read (README).
    keep_taken = frozenset(local) if options.existing is ExistingFilePolicy.FAIL else frozenset()
    if parallel is False and len(targets) > 1:
        report = _copy_in_turn(
            task, roots, backends, options, shown, cancel, root_devices, keep_taken
        )
    else:
        report = CopyJob(
            [task],
            roots,
            options,
            sink=shown,
            cancel=cancel,
            destinations=backends,
            remedies=remedies.one_file(task.targets),
            root_devices=root_devices,
            keep_taken=keep_taken,
        ).run()
    file = report.files[0]
    if not file.inflight_digests and source_digests:  # every copy adopted: the source as read
        file.inflight_digests = {n: source_digests[n] for n in options.algorithms}
    if remote:
        from offload.destinations.s3card import show_job_paths

        show_job_paths(report)
    report.warnings.extend([*probed, *swept, *guarded.warnings])
    return report


def copy_with_multiple_destinations_parallel(
    source: Path | str,
    destinations: Sequence[Path | str],
    buffer_size: int = DEFAULT_CHUNK_SIZE,
    *,
    options: CopyOptions | None = None,
    expected_size: int | None = None,
    create_folders: bool = False,
    sink: EventSink | None = None,
    cancel: CancelToken | None = None,
    s3: S3Settings | None = None,
) -> JobReport:
    """The one-file entry point with parallel writers and *buffer_size*-byte chunks.

    Same contract as copy_with_multiple_destinations; the report's ``speed_mb_sec`` is the
    job's throughput in MB/s (10^6 bytes).
    """
    options = dataclasses.replace(options or CopyOptions(), chunk_size=buffer_size)
    return copy_with_multiple_destinations(
        source,
        destinations,
        options=options,
        expected_size=expected_size,
        create_folders=create_folders,
        sink=sink,
        cancel=cancel,
        parallel=True,
        s3=s3,
    )


def _refuse(task: FileTask, refused: dict[int, str]) -> FileTask:
    """*task* with each destination of *refused* (index: the preflight's line saying why
    it cannot take the file) a failed result known before the copy and no target there."""
    failed = tuple(
        DestinationFileResult(
            destination_index=index,
            final_path=str(task.targets[index]),
            status=DestinationStatus.FAILED,
            error=f"{message}; {task.targets[index]} was not copied",
        )
        for index, message in sorted(refused.items())
    )
    targets = tuple(None if i in refused else t for i, t in enumerate(task.targets))
    return dataclasses.replace(task, targets=targets, preset=(*task.preset, *failed))


def _copy_in_turn(
    task: FileTask,
    roots: Sequence[Path],
    backends: Sequence[Destination | None],
    options: CopyOptions,
    sink: EventSink | None,
    cancel: CancelToken | None,
    root_devices: Mapping[int, int],
    keep_taken: frozenset[int],
) -> JobReport:
    """Sequential path: one job per destination, the source read once for each; a
    destination whose result is known (*task*'s preset: an adopted copy) gets no job.
    *root_devices*: by index, each local destination's device as planned (``CopyJob``'s);
    *keep_taken*: by index, ``CopyJob``'s.

    A cancel between two destinations (or before the first) stops there: every destination
    not started is reported ``cancelled`` (exit code 130), like a cancelled parallel job.
    """
    source = task.source
    targets = task.targets
    presets = {result.destination_index: result for result in task.preset}
    cancel = cancel or CancelToken()
    combined: JobReport | None = None
    done = 0
    for index, target in enumerate(targets):
        if cancel.cancelled:
            break
        if target is None:  # known before the copy: added below
            done += 1
            continue
        report = CopyJob(
            [FileTask(source, (target,))],
            [roots[index]],
            options,
            sink=sink,
            cancel=cancel,
            destinations=[backends[index]],
            remedies=remedies.one_file((target,)),
            root_devices={0: root_devices[index]} if index in root_devices else None,
            keep_taken=frozenset({0}) if index in keep_taken else frozenset(),
        ).run()
        done += 1
        for result in report.files[0].destinations:
            result.destination_index = index
        for summary in report.destinations:
            summary.index = index
        if combined is None:
            combined = report
            continue
        combined.files[0].destinations.extend(report.files[0].destinations)
        combined.destinations.extend(report.destinations)
        combined.elapsed_s += report.elapsed_s
        combined.finished_at = report.finished_at
    if combined is None:
        now = time.time()
        combined = JobReport(
            verify=options.verify.value,
            algorithms=options.algorithms,
            files=[
                FileResult(
                    relative_path=source.relative_path,
                    size_bytes=source.size_bytes,
                    mtime_ns=source.mtime_ns,
                )
            ],
            started_at=now,
            finished_at=now,
        )
    for index, preset in presets.items():
        if index < done:
            combined.files[0].destinations.append(preset)
            combined.destinations.append(
                DestinationSummary(index=index, root=str(roots[index]), device=str(roots[index]))
            )
    for index in range(done, len(targets)):
        combined.files[0].destinations.append(
            DestinationFileResult(
                destination_index=index,
                final_path=str(targets[index] or presets[index].final_path),
                status=DestinationStatus.CANCELLED,
                error="cancelled before this destination was started",
            )
        )
        combined.destinations.append(
            DestinationSummary(index=index, root=str(roots[index]), device=str(roots[index]))
        )
    combined.files[0].destinations.sort(key=lambda result: result.destination_index)
    combined.destinations.sort(key=lambda summary: summary.index)
    for summary in combined.destinations:
        # Each from the file's results under their final indexes: a destination whose
        # result was known before the copy (a preset) counts it, its read-back's time too.
        summary.count(combined.files)
    combined.cancelled = cancel.cancelled
    return combined


__all__ = [
    "copy_with_multiple_destinations",
    "copy_with_multiple_destinations_parallel",
    "plan_file",
]
