"""Preflight checks of space and devices: what each destination already holds and what the
copy needs there, free space per filesystem (shared by the destinations on it), destinations
that share a filesystem or disk with one another or with the source."""

from __future__ import annotations

import os
import stat
from collections import defaultdict
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path

from offload.engine.state import BATCHES_HELD
from offload.options import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_FILES
from offload.plan.destination import DestinationPlan
from offload.plan.filesystem import disk_of
from offload.plan.preflight.findings import (
    C,
    DestinationCheck,
    Findings,
    human_bytes,
    join_paths,
    kind_of,
)
from offload.plan.scan import SourceTree

#: Room kept free on each destination beyond the files themselves, for the ASC MHL manifest
#: (about 0.5 KiB per file and generation), the chain file and the reports written there.
RESERVE_BASE_BYTES = 64 * 1024
RESERVE_PER_FILE_BYTES = 1024

FALLBACK_BLOCK = 4096


def _round_up(size: int, block: int) -> int:
    return -(-size // block) * block


def rewrite_room(sizes: Sequence[int]) -> int:
    """The room the new copies of files already there take at most at once, beside their old
    copies, when any of *sizes* (each rounded up to blocks) is written again: the files a
    destination holds in flight, ``BATCHES_HELD`` batches and the file being written. A
    batch closes at ``DEFAULT_BATCH_FILES`` files or once ``DEFAULT_BATCH_BYTES`` are
    reached (the job only ever makes batches smaller): so at most that many files, and at
    most that many bytes a batch plus its last file, of any size, and the current one."""
    largest = sorted(sizes, reverse=True)
    by_count = sum(largest[: BATCHES_HELD * DEFAULT_BATCH_FILES + 1])
    by_bytes = BATCHES_HELD * DEFAULT_BATCH_BYTES + sum(largest[: BATCHES_HELD + 1])
    return min(by_count, by_bytes)


def check_targets(
    tree: SourceTree,
    plan: DestinationPlan,
    block: int,
    reserve_bytes: int,
    out: Findings,
    *,
    to_write: AbstractSet[str] | None = None,
    may_rewrite: AbstractSet[str] | None = None,
) -> DestinationCheck:
    """Compare the plan with what is already at the destination; estimate the space needed.

    *to_write*: the files the copy will write here (None: those not already at their target
    with the same size and mtime). The space needed is what will really be written: a block
    for each new folder and link, each file to write rounded up to blocks, the reserve, and
    room for the largest file already there that this run may write again, *may_rewrite*
    (None: every file already there). Such a file is written beside its old copy, which goes
    only once the new one is verified (a copy of ours read back and found wrong, replaced
    through a second job; an existing file the overwrite or keep-both policy replaces or
    keeps), so both take room at once, one file at a time. A file already there that this
    run only trusts (the ledger's) is never written: nothing is kept for it, so a re-run
    with nothing to copy needs no more than the reserve."""
    files_to_copy = files_present = bytes_to_copy = 0
    needed = 0
    rewritable: list[int] = []
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
                    f"{plan.root} exists and is {kind_of(root_st.st_mode)}, where the copy needs a "
                    "folder: move it away, or copy into another destination",
                    plan.index,
                )
                return DestinationCheck(plan.index, plan.destination)

    def existing(target: Path | str) -> os.stat_result | OSError | None:
        if not root_exists:
            return None
        try:
            return os.lstat(target)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            return exc

    def conflict(target: Path | str, mode: int, wanted: str) -> None:
        out.error(
            C.TARGET_TYPE_CONFLICT,
            Path(target),
            f"{target} exists and is {kind_of(mode)}, where the copy puts {wanted}: move it "
            "away, or copy into another destination",
            plan.index,
        )

    def unreadable(target: Path | str, exc: OSError) -> None:
        out.error(
            C.DEST_UNREADABLE,
            Path(target),
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
        text = plan.target_text(f.relative_path)
        st = existing(text)
        if isinstance(st, OSError):
            unreadable(text, st)
            continue
        if st is not None and not stat.S_ISREG(st.st_mode):
            conflict(text, st.st_mode, "a file")
            continue
        present = (
            f.relative_path not in to_write
            if to_write is not None
            else st is not None and st.st_size == f.size_bytes and st.st_mtime_ns == f.mtime_ns
        )
        if present:
            files_present += 1
            if may_rewrite is None or f.relative_path in may_rewrite:
                rewritable.append(_round_up(f.size_bytes, block))
            continue
        files_to_copy += 1
        bytes_to_copy += f.size_bytes
        needed += _round_up(f.size_bytes, block)
    needed += rewrite_room(rewritable) + reserve_bytes
    return DestinationCheck(
        plan.index,
        plan.destination,
        bytes_to_copy=bytes_to_copy,
        files_to_copy=files_to_copy,
        files_present=files_present,
        required_bytes=needed,
    )


def check_devices(
    tree: SourceTree,
    usable: Sequence[tuple[DestinationPlan, DestinationCheck]],
    duplicate: set[int],
    checks: Sequence[DestinationCheck],
    out: Findings,
) -> None:
    """Destinations sharing a filesystem, a disk or the source's device (warnings) and the
    free space each filesystem has for all the copies it takes (errors)."""
    by_dev: dict[int, list[tuple[DestinationPlan, DestinationCheck]]] = defaultdict(list)
    for plan, check in usable:
        if plan.index not in duplicate and check.st_dev is not None:
            by_dev[check.st_dev].append((plan, check))

    for dev, group in by_dev.items():
        names = join_paths([p.destination for p, _ in group])
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
                    f"not enough free space: {subject}{shared} {human_bytes(free)} free but "
                    f"the copy needs {human_bytes(required)}: short by {short}; free space "
                    "or choose a larger destination",
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
            names = join_paths([p.destination for p in group_plans])
            out.warning(
                C.DEST_SAME_DISK,
                group_plans[-1].destination,
                f"{names} are partitions of one disk ({disk}): one drive failure loses every "
                "copy there, so they are not backups of each other",
                group_plans[-1].index,
            )
