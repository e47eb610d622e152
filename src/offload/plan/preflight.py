"""Preflight: everything that can be known to fail before a single byte is copied.

:func:`preflight` looks at the scanned tree and the planned destinations and returns findings:
errors (the copy must not start) and warnings (it may, the user should know). Each finding has
a stable code (:class:`~offload.plan.codes.PreflightCode`), the path concerned and a one-line
message saying what is wrong and what to do.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich import filesize

from offload.plan.cardlike import camera_card_sign
from offload.plan.codes import PreflightCode, PreflightItem
from offload.plan.destination import DestinationPlan
from offload.plan.filesystem import (
    FilesystemInfo,
    NameRules,
    SpaceInfo,
    detect_filesystem,
    disk_of,
    statvfs_space,
)
from offload.plan.names import (
    NAME_MAX_BYTES,
    PATH_MAX_BYTES,
    find_collisions,
    name_problems,
)
from offload.plan.scan import SourceTree

C = PreflightCode

#: Room kept free on each destination beyond the files themselves, for the ASC MHL manifest
#: (about 0.5 KiB per file and generation), the chain file and the reports written there.
RESERVE_BASE_BYTES = 64 * 1024
RESERVE_PER_FILE_BYTES = 1024

_FALLBACK_BLOCK = 4096


@dataclass(frozen=True)
class DestinationCheck:
    """What the preflight learnt about one destination (``None`` where it could not tell).

    ``bytes_to_copy``/``files_to_copy`` count the files not already at their final path with
    the same size and mtime (``files_present``; whether they are really skipped is the copy
    policy's call). ``required_bytes`` is what the copy may take on that filesystem: each file
    rounded up to ``block_size``, a block per new folder and symlink, room for one partial of
    the largest present file (an overwrite writes a partial before the rename frees the old
    one) and the reserve for manifests and reports.
    """

    index: int
    destination: Path
    st_dev: int | None = None
    filesystem: FilesystemInfo | None = None
    free_bytes: int | None = None
    block_size: int | None = None
    bytes_to_copy: int = 0
    files_to_copy: int = 0
    files_present: int = 0
    required_bytes: int = 0


@dataclass(frozen=True)
class PreflightReport:
    """Findings in a deterministic order: source findings first, then per destination in
    the given order, then findings across destinations."""

    errors: tuple[PreflightItem, ...]
    warnings: tuple[PreflightItem, ...]
    destinations: tuple[DestinationCheck, ...]

    @property
    def ok(self) -> bool:
        """No error: the copy may start."""
        return not self.errors


def human_bytes(n: int) -> str:
    """``1.5 GB``: decimal units, as Finder and the cameras count (rich's formatting)."""
    return filesize.decimal(n)


def _round_up(size: int, block: int) -> int:
    return -(-size // block) * block


def _within(path: str, root: str) -> bool:
    return root == "/" or path == root or path.startswith(root + "/")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _is_inside(inner: Path, outer: Path) -> bool:
    """Whether ``inner`` is ``outer`` or below it, through symlinks and bind mounts.

    Realpaths catch symlinks; comparing the ``(st_dev, st_ino)`` of each ancestor of
    ``inner`` with ``outer``'s catches a folder reached through a bind mount.
    """
    inner_real = os.path.realpath(inner)
    if _within(inner_real, os.path.realpath(outer)):
        return True
    outer_id = _identity(outer)
    if outer_id is None:
        return False
    current = inner_real
    while True:
        if _identity(Path(current)) == outer_id:
            return True
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


def _probe_write(folder: Path) -> OSError | None:
    """Create and delete a file in ``folder``: ``os.access`` alone trusts permission bits,
    a real create also meets read-only mounts, full inode tables and FUSE refusals."""
    probe = folder / f".offload-probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        return exc
    try:
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return exc
    return None


def _name_max(path: Path) -> int:
    try:
        value = os.pathconf(path, "PC_NAME_MAX")
    except (OSError, ValueError):
        return NAME_MAX_BYTES
    return value if value > 0 else NAME_MAX_BYTES


def _join(paths: Sequence[object]) -> str:
    texts = [str(p) for p in paths]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISREG(mode):
        return "a file"
    return "a special file"


class _Findings:
    def __init__(self) -> None:
        self.errors: list[PreflightItem] = []
        self.warnings: list[PreflightItem] = []

    def error(self, code: C, path: Path | None, message: str, index: int | None = None) -> None:
        self.errors.append(PreflightItem(code, path, message, index))

    def warning(self, code: C, path: Path | None, message: str, index: int | None = None) -> None:
        self.warnings.append(PreflightItem(code, path, message, index))

    def add(
        self, *, is_error: bool, code: C, path: Path | None, message: str, index: int | None
    ) -> None:
        (self.errors if is_error else self.warnings).append(
            PreflightItem(code, path, message, index)
        )


@dataclass(frozen=True)
class _Entry:
    relative_path: str
    source_path: Path
    kind: str  # "file", "folder", "symlink"


def _entries(tree: SourceTree) -> list[_Entry]:
    """Every entry a copy creates below the plan root, in walk order."""
    by_rel: dict[str, _Entry] = {}
    for d in tree.directories:
        by_rel[d] = _Entry(d, tree.root.joinpath(*d.split("/")), "folder")
    for f in tree.files:
        by_rel[f.relative_path] = _Entry(f.relative_path, f.path, "file")
    for link in tree.symlinks:
        by_rel[link.relative_path] = _Entry(link.relative_path, link.path, "symlink")
    return sorted(
        by_rel.values(), key=lambda e: [os.fsencode(p) for p in e.relative_path.split("/")]
    )


def _source_findings(tree: SourceTree, out: _Findings) -> None:
    for link in tree.symlinks:
        if tree.points_outside(link):
            why = "is absolute" if os.path.isabs(link.target) else "leads outside the source"
            out.warning(
                C.SYMLINK_OUTSIDE_SOURCE,
                link.path,
                f"symlink {link.relative_path!r} -> {link.target!r} {why}: it is copied as a link "
                "(not followed), so the copy will not contain what it points to",
            )
    for entry in tree.skipped:
        out.warning(
            C.SPECIAL_FILE_SKIPPED,
            entry.path,
            f"{entry.relative_path!r} is a {entry.kind}, not a file: it will not be copied",
        )


def _check_names(
    tree: SourceTree,
    plan: DestinationPlan,
    entries: list[_Entry],
    fs: FilesystemInfo,
    out: _Findings,
    *,
    name_headroom_bytes: int,
) -> None:
    rules: NameRules = fs.rules
    where = f"{fs.fstype} at {plan.destination}"
    name_max = _name_max(plan.destination) - name_headroom_bytes
    named: list[tuple[str, str, Path]] = []  # (folder relative to plan.destination, name, source)
    prefix = ""
    if plan.creates_root:
        named.append(("", plan.root.name, tree.root))
        prefix = plan.root.name + "/"
    for entry in entries:
        parent, _, name = (prefix + entry.relative_path).rpartition("/")
        named.append((parent, name, entry.source_path))

    folders: dict[str, list[str]] = defaultdict(list)
    for parent, name, source in named:
        folders[parent].append(name)
        for problem in name_problems(name, rules, name_max_bytes=name_max):
            is_error = problem.code is not C.NAME_RESERVED_WINDOWS and (
                problem.code is not C.NAME_NOT_UTF8 or rules.requires_unicode
            )
            out.add(
                is_error=is_error,
                code=problem.code,
                path=source,
                message=f"the name {name!r} {problem.detail}, which {where} will not take as "
                "it is: rename it on the source, or choose another destination",
                index=plan.index,
            )

    for entry in entries:
        target = plan.target_for(entry.relative_path)
        size = len(os.fsencode(str(target))) + 1
        if size > PATH_MAX_BYTES:
            out.error(
                C.PATH_TOO_LONG,
                entry.source_path,
                f"{target} would be {size} bytes long (limit {PATH_MAX_BYTES}): shorten the "
                "source's folder names, or copy into a shallower destination",
                plan.index,
            )
        if entry.kind == "symlink" and rules.symlinks is not True:
            out.add(
                is_error=rules.symlinks is False,
                code=C.SYMLINK_UNSUPPORTED,
                path=entry.source_path,
                message=f"{where} {'cannot' if rules.symlinks is False else 'may not'} hold "
                f"the symlink {entry.relative_path!r}: remove it from the source, or choose "
                "another destination",
                index=plan.index,
            )

    for parent, names in folders.items():
        for collision in find_collisions(names, rules):
            shown = ", ".join(repr(n) for n in collision.names)
            folder = plan.destination.joinpath(*parent.split("/")) if parent else plan.destination
            how = "case" if collision.code is C.NAME_CASE_COLLISION else "Unicode normalisation"
            verdict = "will" if collision.is_error else "may"
            out.add(
                is_error=collision.is_error,
                code=collision.code,
                path=folder,
                message=f"{shown} differ only by {how}: in {folder} on {fs.fstype} they "
                f"{verdict} become one entry; rename one of them on the source",
                index=plan.index,
            )


def _check_targets(
    tree: SourceTree,
    plan: DestinationPlan,
    block: int,
    reserve_bytes: int,
    out: _Findings,
) -> DestinationCheck:
    """Compare the plan with what is already at the destination; estimate the space needed."""
    files_to_copy = files_present = bytes_to_copy = 0
    needed = largest_present = 0
    root_exists = True
    if plan.creates_root:
        try:
            root_st = os.lstat(plan.root)
        except FileNotFoundError:
            root_exists = False
            needed += block
        except OSError as exc:
            out.error(
                C.DEST_UNREADABLE,
                plan.root,
                f"cannot inspect {plan.root}: {exc.strerror}; check the drive and its permissions",
                plan.index,
            )
            return DestinationCheck(plan.index, plan.destination)
        else:
            if not stat.S_ISDIR(root_st.st_mode):
                out.error(
                    C.TARGET_TYPE_CONFLICT,
                    plan.root,
                    f"{plan.root} exists and is {_kind(root_st.st_mode)}, where the copy needs a "
                    "folder: move it away, or copy into another destination",
                    plan.index,
                )
                return DestinationCheck(plan.index, plan.destination)

    def existing(target: Path) -> os.stat_result | OSError | None:
        if not root_exists:
            return None
        try:
            return os.lstat(target)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            return exc

    def conflict(target: Path, mode: int, wanted: str) -> None:
        out.error(
            C.TARGET_TYPE_CONFLICT,
            target,
            f"{target} exists and is {_kind(mode)}, where the copy puts {wanted}: move it "
            "away, or copy into another destination",
            plan.index,
        )

    def unreadable(target: Path, exc: OSError) -> None:
        out.error(
            C.DEST_UNREADABLE,
            target,
            f"cannot inspect {target}: {exc.strerror}; check the drive and its permissions",
            plan.index,
        )

    for rel in tree.directories:
        target = plan.target_for(rel)
        st = existing(target)
        if isinstance(st, OSError):
            unreadable(target, st)
        elif st is None:
            needed += block
        elif not stat.S_ISDIR(st.st_mode):
            conflict(target, st.st_mode, "a folder")
    for link in tree.symlinks:
        target = plan.target_for(link.relative_path)
        st = existing(target)
        if isinstance(st, OSError):
            unreadable(target, st)
        elif st is None:
            needed += block
        elif stat.S_ISDIR(st.st_mode):
            conflict(target, st.st_mode, "a symlink")
    for f in tree.files:
        target = plan.target_for(f.relative_path)
        st = existing(target)
        if isinstance(st, OSError):
            unreadable(target, st)
            continue
        if st is not None and not stat.S_ISREG(st.st_mode):
            conflict(target, st.st_mode, "a file")
            continue
        if st is not None and st.st_size == f.size_bytes and st.st_mtime_ns == f.mtime_ns:
            files_present += 1
            largest_present = max(largest_present, f.size_bytes)
            continue
        files_to_copy += 1
        bytes_to_copy += f.size_bytes
        needed += _round_up(f.size_bytes, block)
    needed += _round_up(largest_present, block) + reserve_bytes
    return DestinationCheck(
        plan.index,
        plan.destination,
        bytes_to_copy=bytes_to_copy,
        files_to_copy=files_to_copy,
        files_present=files_present,
        required_bytes=needed,
    )


def _check_folder(plan: DestinationPlan, out: _Findings) -> os.stat_result | None:
    dest = plan.destination
    try:
        st = os.stat(dest)
    except FileNotFoundError:
        out.error(
            C.DEST_MISSING,
            dest,
            f"destination {dest} does not exist: check the drive is mounted, or create the folder",
            plan.index,
        )
        return None
    except OSError as exc:
        out.error(
            C.DEST_UNREADABLE,
            dest,
            f"cannot inspect destination {dest}: {exc.strerror}; check the drive",
            plan.index,
        )
        return None
    if not stat.S_ISDIR(st.st_mode):
        out.error(
            C.DEST_NOT_DIRECTORY,
            dest,
            f"destination {dest} is {_kind(st.st_mode)}, not a folder: name a folder",
            plan.index,
        )
        return None
    return st


def _check_writable(plan: DestinationPlan, out: _Findings, *, probe: bool) -> None:
    folder = plan.root if plan.creates_root and plan.root.is_dir() else plan.destination
    failure: OSError | None = None
    if probe:
        failure = _probe_write(folder)
    elif not os.access(folder, os.W_OK | os.X_OK):
        failure = PermissionError(13, "no write permission for this user, or a read-only mount")
    if failure is not None:
        reason = failure.strerror or str(failure)
        out.error(
            C.DEST_NOT_WRITABLE,
            folder,
            f"cannot write to {folder}: {reason}; mount it read-write or fix its permissions, "
            "or choose another destination",
            plan.index,
        )


def _check_source_overlap(tree: SourceTree, plan: DestinationPlan, out: _Findings) -> None:
    dest = plan.destination
    if not tree.root_is_file and _is_inside(dest, tree.root):
        out.error(
            C.DEST_INSIDE_SOURCE,
            dest,
            f"destination {dest} is inside the source {tree.root}: choose a destination on "
            "another drive",
            plan.index,
        )
        return
    if tree.root_is_file:
        target = plan.target_for(tree.files[0].relative_path)
        overlaps = _identity(target) == (tree.root_dev, tree.root_ino)
    else:
        overlaps = _is_inside(tree.root, plan.root)
    if overlaps:
        out.error(
            C.TARGET_OVERLAPS_SOURCE,
            plan.root,
            f"the copy to {plan.root} would write over the source {tree.root}: choose another "
            "destination",
            plan.index,
        )
    elif _is_inside(tree.root, dest):
        out.warning(
            C.DEST_CONTAINS_SOURCE,
            dest,
            f"the source {tree.root} is inside destination {dest}: it is already on that "
            "drive, so this copy adds no safety there",
            plan.index,
        )


def _cross_checks(
    tree: SourceTree,
    plans: Sequence[DestinationPlan],
    checks: list[DestinationCheck],
    out: _Findings,
) -> None:
    usable = [
        (plan, check) for plan, check in zip(plans, checks, strict=True) if check.st_dev is not None
    ]
    duplicate: set[int] = set()
    for i, (a, _) in enumerate(usable):
        if a.index in duplicate:
            continue
        for b, _ in usable[i + 1 :]:
            if b.index in duplicate:
                continue
            if _is_inside(a.destination, b.destination) and _is_inside(
                b.destination, a.destination
            ):
                duplicate.add(b.index)
                out.error(
                    C.DEST_DUPLICATE,
                    b.destination,
                    f"destinations {a.destination} and {b.destination} are the same folder: "
                    "name each destination once",
                    b.index,
                )
            elif _is_inside(b.root, a.root) or _is_inside(a.root, b.root):
                out.error(
                    C.DEST_OVERLAP,
                    b.destination,
                    f"the copies to {a.root} and {b.root} would overlap: choose destinations "
                    "that are not inside one another",
                    b.index,
                )

    by_dev: dict[int, list[tuple[DestinationPlan, DestinationCheck]]] = defaultdict(list)
    for plan, check in usable:
        if plan.index not in duplicate and check.st_dev is not None:
            by_dev[check.st_dev].append((plan, check))

    for dev, group in by_dev.items():
        names = _join([p.destination for p, _ in group])
        fs = group[0][1].filesystem
        fs_text = f" ({fs.fstype} at {fs.mount_point})" if fs and fs.mount_point else ""
        if len(group) > 1:
            out.warning(
                C.DEST_SAME_DEVICE,
                group[-1][0].destination,
                f"{names} are on the same filesystem{fs_text}: one drive failure loses every "
                "copy there, so they are not backups of each other",
                group[-1][0].index,
            )
        if dev == tree.root_dev:
            for plan, _ in group:
                out.warning(
                    C.DEST_ON_SOURCE_DEVICE,
                    plan.destination,
                    f"destination {plan.destination} is on the same filesystem as the source: "
                    "it is not a backup of the card",
                    plan.index,
                )
        # Destinations on one filesystem draw on the same free space.
        free = next((c.free_bytes for _, c in group if c.free_bytes is not None), None)
        if free is None:
            continue
        required = sum(c.required_bytes for _, c in group)
        if required > free:
            short = f"{human_bytes(required - free)} ({required - free:,} bytes)"
            shared = f"{names} share one filesystem with" if len(group) > 1 else "has"
            for plan, _ in group:
                subject = "" if len(group) > 1 else f"{plan.destination} "
                out.error(
                    C.INSUFFICIENT_SPACE,
                    plan.destination,
                    f"{subject}{shared} {human_bytes(free)} free but the copy needs "
                    f"{human_bytes(required)}: short by {short}; free space or choose a "
                    "larger destination",
                    plan.index,
                )

    disks: dict[str, list[DestinationPlan]] = defaultdict(list)
    source_disk = disk_of(tree.root_dev)
    for dev, group in by_dev.items():
        disk = disk_of(dev)
        if disk is not None:
            disks[disk].extend(p for p, _ in group)
            if disk == source_disk and dev != tree.root_dev:
                for plan, _ in group:
                    out.warning(
                        C.DEST_ON_SOURCE_DEVICE,
                        plan.destination,
                        f"destination {plan.destination} is on the same disk ({disk}) as the "
                        "source: it is not a backup of the card",
                        plan.index,
                    )
    for disk, group_plans in disks.items():
        devs = {c.st_dev for p in group_plans for c in checks if c.index == p.index}
        if len(devs) > 1:
            names = _join([p.destination for p in group_plans])
            out.warning(
                C.DEST_SAME_DISK,
                group_plans[-1].destination,
                f"{names} are partitions of one disk ({disk}): one drive failure loses every "
                "copy there, so they are not backups of each other",
                group_plans[-1].index,
            )


def preflight(
    tree: SourceTree,
    plans: Sequence[DestinationPlan],
    *,
    filesystem_of: Callable[[Path], FilesystemInfo] = detect_filesystem,
    space_of: Callable[[Path], SpaceInfo] = statvfs_space,
    probe_write: bool = True,
    reserve_bytes: int | None = None,
    name_headroom_bytes: int = 0,
    allow_card_destination: bool = False,
) -> PreflightReport:
    """Check that the planned copy can be done, before copying anything.

    Errors (:attr:`PreflightReport.errors`, the copy must not start): a destination missing,
    not a folder, not writable (``os.access`` then, with ``probe_write``, a real
    ``O_CREAT|O_EXCL`` create and delete of a probe file), inside the source, or whose copy
    would overlap the source or another destination's copy; the same folder named twice; an
    existing entry of the wrong type at a target path; too little free space
    (``f_bavail * f_frsize``; destinations sharing a filesystem share it); names the
    destination filesystem refuses or merges (see :mod:`offload.plan.names`); final paths
    longer than ``PATH_MAX``; symlinks on a filesystem that cannot hold them.
    Warnings: destinations sharing a device or disk with each other or with the source;
    symlinks leading outside the source; skipped special files; names Windows reserves;
    unknown filesystem type or free space.

    ``filesystem_of`` and ``space_of`` are the probes (injectable for tests).
    ``reserve_bytes`` is the room kept per destination for manifests and reports (default
    ``RESERVE_BASE_BYTES + RESERVE_PER_FILE_BYTES * file count``). ``name_headroom_bytes`` is
    what the copy adds to a file name for its partial file, so that a name that fits
    ``NAME_MAX`` only without it is reported. A destination that looks like a camera card
    (:mod:`offload.plan.cardlike`) is an error unless ``allow_card_destination``.

    Never raises for a filesystem problem: every failure to inspect a destination becomes a
    finding. Blocks on one ``lstat`` per planned entry and destination; writes nothing but the
    probe files, which it removes.
    """
    if not plans:
        raise ValueError("no destination planned")
    out = _Findings()
    _source_findings(tree, out)
    reserve = (
        reserve_bytes
        if reserve_bytes is not None
        else RESERVE_BASE_BYTES + RESERVE_PER_FILE_BYTES * tree.file_count
    )
    entries = (
        _entries(tree)
        if not tree.root_is_file
        else [_Entry(tree.files[0].relative_path, tree.root, "file")]
    )
    checks: list[DestinationCheck] = []
    for plan in plans:
        st = _check_folder(plan, out)
        if st is None:
            checks.append(DestinationCheck(plan.index, plan.destination))
            continue
        _check_source_overlap(tree, plan, out)
        sign = None if allow_card_destination else camera_card_sign(plan.destination)
        if sign is not None:
            out.error(
                C.DEST_LOOKS_LIKE_CARD,
                plan.destination,
                f"destination {plan.destination} looks like a camera card ({sign}): not "
                "writing into it; if it really is a destination, add --allow-card-destination",
                plan.index,
            )
            checks.append(DestinationCheck(plan.index, plan.destination))
            continue
        _check_writable(plan, out, probe=probe_write)

        fs = filesystem_of(plan.destination)
        if fs.fstype == "unknown":
            out.warning(
                C.FILESYSTEM_UNKNOWN,
                plan.destination,
                f"cannot tell the filesystem of {plan.destination}: only the generic name "
                "limits were checked",
                plan.index,
            )
        _check_names(tree, plan, entries, fs, out, name_headroom_bytes=name_headroom_bytes)

        space: SpaceInfo | None
        try:
            space = space_of(plan.destination)
        except OSError as exc:
            space = None
            out.warning(
                C.FREE_SPACE_UNKNOWN,
                plan.destination,
                f"cannot read the free space of {plan.destination}: {exc.strerror}; make sure "
                "it is large enough",
                plan.index,
            )
        block = space.block_size if space else _FALLBACK_BLOCK
        check = _check_targets(tree, plan, block, reserve, out)
        checks.append(
            DestinationCheck(
                index=plan.index,
                destination=plan.destination,
                st_dev=st.st_dev,
                filesystem=fs,
                free_bytes=space.free_bytes if space else None,
                block_size=block,
                bytes_to_copy=check.bytes_to_copy,
                files_to_copy=check.files_to_copy,
                files_present=check.files_present,
                required_bytes=check.required_bytes,
            )
        )
    _cross_checks(tree, plans, checks, out)
    return PreflightReport(tuple(out.errors), tuple(out.warnings), tuple(checks))
