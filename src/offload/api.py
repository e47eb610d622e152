"""Keyword-only façade over the engine: validate, build a CopyJob, run it, return the report.

These functions never print. Bad input raises UsageError before anything is written.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from offload.engine.cancel import CancelToken
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.errors import UsageError, describe_os_error
from offload.events import EventSink, isolated
from offload.model import SourceFile
from offload.options import DEFAULT_CHUNK_SIZE, CopyOptions, ExistingFilePolicy
from offload.results import (
    DestinationFileResult,
    DestinationStatus,
    DestinationSummary,
    FileResult,
    JobReport,
)

# Room kept free beyond the file itself: metadata, the partial's name, block rounding.
_FREE_SPACE_MARGIN = 1024 * 1024


def _stat_source(source: Path) -> os.stat_result:
    try:
        st = os.stat(source)
    except FileNotFoundError:
        raise UsageError(f"source {source} does not exist; check the path", path=source) from None
    except OSError as exc:
        raise UsageError(
            f"cannot read source {source}: {describe_os_error(exc)}", path=source
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(
            f"source {source} is a folder; pfndispatchcopy copies one file "
            "(use 'offload copy' for folders and cards)",
            path=source,
        )
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"source {source} is not a regular file", path=source)
    if not os.access(source, os.R_OK):
        raise UsageError(f"source {source} is not readable (permissions)", path=source)
    return st


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _probe_writable(folder: Path) -> None:
    """Create and delete a file in *folder*: the only honest test for a read-only mount."""
    probe = folder / f".offload-probe-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise UsageError(
            f"destination folder {folder} is not writable: {describe_os_error(exc)}", path=folder
        ) from None
    os.close(fd)
    os.unlink(probe)


def resolve_file_destinations(
    source: Path,
    destinations: Sequence[Path | str],
    *,
    create_folders: bool = False,
    existing: ExistingFilePolicy = ExistingFilePolicy.FAIL,
) -> list[Path]:
    """Turn destination arguments into final file paths and refuse bad ones.

    A destination that is an existing folder receives the file under the source's name (like
    ``cp``); anything else is the destination file's path. Raises UsageError when there is no
    destination, a destination is the source or another destination (also through symlinks or
    hard links), its folder is missing (unless *create_folders*) or read-only, or the file
    exists and the policy is FAIL. Creates missing folders only when asked.
    """
    if not destinations:
        raise UsageError("no destination given; name at least one destination file or folder")
    source_st = os.stat(source)
    finals: list[Path] = []
    seen: dict[tuple[int, int, str] | Path, Path] = {}
    for raw in destinations:
        target = Path(os.path.abspath(raw))
        if target.is_dir():
            target = target / source.name
        folder = target.parent
        if not folder.is_dir():
            if folder.exists():
                raise UsageError(f"destination {folder} is not a folder", path=folder)
            if not create_folders:
                raise UsageError(
                    f"destination folder {folder} does not exist; create it or "
                    "pass --create-folders",
                    path=folder,
                )
            # Created by the engine only once every check has passed.
            _probe_writable(_existing_ancestor(folder))
            resolved = target.resolve()  # abspath() already removed "." and ".."
            if resolved in seen:
                raise UsageError(
                    f"destination {raw} is the same file as {seen[resolved]}", path=target
                )
            seen[resolved] = target
            finals.append(target)
            continue
        folder_st = os.stat(folder)
        key: tuple[int, int, str] | Path = (folder_st.st_dev, folder_st.st_ino, target.name)
        if os.path.lexists(target):
            target_st = os.stat(target) if os.path.exists(target) else None
            if target_st is not None and (target_st.st_dev, target_st.st_ino) == (
                source_st.st_dev,
                source_st.st_ino,
            ):
                raise UsageError(f"destination {raw} is the source file itself", path=target)
            if target_st is not None and stat.S_ISDIR(target_st.st_mode):
                raise UsageError(f"destination {target} is a folder", path=target)
            if existing is ExistingFilePolicy.FAIL:
                raise UsageError(
                    f"destination {target} already exists; nothing was written "
                    "(pass --overwrite to replace it)",
                    path=target,
                )
        if key in seen or target.resolve() in seen:
            raise UsageError(
                f"destination {raw} is the same file as {seen.get(key, target)}", path=target
            )
        seen[key] = target
        seen[target.resolve()] = target
        _probe_writable(folder)
        finals.append(target)
    return finals


def check_free_space(size_bytes: int, targets: Sequence[Path]) -> None:
    """Refuse when a destination filesystem cannot hold the file (shared filesystems add up).

    Raises UsageError naming the destination and the shortfall.
    """
    needed: dict[int, int] = defaultdict(int)
    where: dict[int, Path] = {}
    for target in targets:
        folder = _existing_ancestor(target.parent)
        device = os.stat(folder).st_dev
        needed[device] += size_bytes + _FREE_SPACE_MARGIN
        where.setdefault(device, folder)
    for device, amount in needed.items():
        vfs = os.statvfs(where[device])
        free = vfs.f_bavail * vfs.f_frsize
        if free < amount:
            raise UsageError(
                f"not enough free space on destination {where[device]}: {free} bytes free, "
                f"{amount} needed (short by {amount - free} bytes); nothing was written",
                path=where[device],
            )


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
) -> JobReport:
    """Copy one file to every destination with one read of the source; verify; report.

    *destinations* are file paths (or existing folders, which receive the file under its own
    name). ``parallel=None`` picks the path automatically: one destination is one job either
    way; several are written in parallel from a single read unless ``parallel=False``, which
    copies to each destination in turn (reading the source once per destination).
    Raises UsageError for bad input (nothing written); everything that happens during the
    copy is in the returned report (``report.exit_code``). Blocks until done. *sink*'s
    exceptions never reach the engine (``events.isolated``): a subscriber that raises is
    named in a WarningIssued and in ``report.warnings``.
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
    targets = resolve_file_destinations(
        source_path, destinations, create_folders=create_folders, existing=options.existing
    )
    check_free_space(st.st_size, targets)
    source_file = SourceFile(
        path=source_path,
        relative_path=source_path.name,
        size_bytes=st.st_size,
        mtime_ns=st.st_mtime_ns,
    )
    for target in targets:
        try:
            os.makedirs(target.parent, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                f"cannot create destination folder {target.parent}: {describe_os_error(exc)}",
                path=target.parent,
            ) from None
    roots = [target.parent for target in targets]
    guarded = isolated(sink)
    if parallel is False and len(targets) > 1:
        report = _copy_in_turn(source_file, targets, options, guarded, cancel)
    else:
        task = FileTask(source_file, tuple(targets))
        report = CopyJob([task], roots, options, sink=guarded, cancel=cancel).run()
    report.warnings.extend(guarded.warnings)
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
    )


def _copy_in_turn(
    source: SourceFile,
    targets: Sequence[Path],
    options: CopyOptions,
    sink: EventSink | None,
    cancel: CancelToken | None,
) -> JobReport:
    """Sequential path: one job per destination, the source read once for each.

    A cancel between two destinations (or before the first) stops there: every destination
    not started is reported ``cancelled`` (exit code 130), like a cancelled parallel job.
    """
    cancel = cancel or CancelToken()
    combined: JobReport | None = None
    done = 0
    for index, target in enumerate(targets):
        if cancel.cancelled:
            break
        report = CopyJob(
            [FileTask(source, (target,))], [target.parent], options, sink=sink, cancel=cancel
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
                    source_path=str(source.path),
                    size_bytes=source.size_bytes,
                    mtime_ns=source.mtime_ns,
                )
            ],
            started_at=now,
            finished_at=now,
        )
    for index in range(done, len(targets)):
        target = targets[index]
        combined.files[0].destinations.append(
            DestinationFileResult(
                destination_index=index,
                final_path=str(target),
                status=DestinationStatus.CANCELLED,
                error="cancelled before this destination was started",
            )
        )
        combined.destinations.append(
            DestinationSummary(index=index, root=str(target.parent), device=str(target.parent))
        )
    combined.cancelled = cancel.cancelled
    return combined


__all__ = [
    "check_free_space",
    "copy_with_multiple_destinations",
    "copy_with_multiple_destinations_parallel",
    "resolve_file_destinations",
]
