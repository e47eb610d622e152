"""Volumes mounted inside the source: a folder holding cards, given as one card.

``offload copy media D`` where ``media/RED_A001`` and ``media/CANON`` are two mounted cards
copies both into one copy root, as one card of unknown identity, in one report that calls
them "the card". Cards are each a filesystem of their own, mounted: a mount point inside the
source's folder is what tells. :func:`check_source_volumes` warns of them, naming each, so
the user offloads each card on its own; the copy still runs (a drive mounted inside a
folder may be meant to be copied with it).

The other way round, a source below its volume's root (``offload copy CARD/DCIM/100GOPRO``)
is part of a card: :func:`check_source_part_of_volume` warns where the volume holds other
entries with data, and the card release keeps the card for them (``report.release``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from offload.errors import pasteable_word, printable_name
from offload.fs import mount_table
from offload.plan.codes import PreflightItem
from offload.plan.filesystem import MOUNTINFO, find_mount, parse_mountinfo, within
from offload.plan.ignore import IgnoreRules
from offload.plan.preflight.findings import C, Findings
from offload.plan.scan import SourceTree


def volumes_inside(tree: SourceTree) -> list[tuple[str, str]]:
    """The mount points strictly inside *tree*'s root folder that the scan listed as folders
    of the card (one an ignore rule left out is not copied: not named), outermost only (a
    mount inside a mounted volume is part of what that volume's folder holds): each as (its
    path relative to the root, ``/``-separated; its filesystem type), in path order. Found in
    ``/proc/self/mountinfo``, bind mounts too; empty for a single file, off Linux or when
    the mount table cannot be read. Raises nothing."""
    if tree.root_is_file:
        return []
    try:
        real = os.path.realpath(tree.root)
        mounts = mount_table.parsed(MOUNTINFO, parse_mountinfo)
    except (OSError, ValueError):
        return []
    folders = frozenset(tree.directories)
    found: dict[str, str] = {}
    for mount in mounts:
        if mount.mount_point == real or not within(mount.mount_point, real):
            continue
        relative = mount.mount_point[len(real.rstrip("/")) + 1 :]
        if relative in folders:
            found[relative] = mount.fstype  # the last of stacked mounts is what is seen
    outermost = [
        (relative, fstype)
        for relative, fstype in found.items()
        if not any(within(relative, other) and relative != other for other in found)
    ]
    return sorted(outermost)


def check_source_volumes(tree: SourceTree, out: Findings) -> None:
    """One ``source-holds-volumes`` warning naming the volumes mounted inside the source's
    folder (:func:`volumes_inside`), and the command that offloads the first on its own."""
    volumes = volumes_inside(tree)
    if not volumes:
        return
    one = len(volumes) == 1
    named = ", ".join(f"{printable_name(relative)} ({fstype})" for relative, fstype in volumes)
    first = pasteable_word(str(tree.root / volumes[0][0]))  # one word when pasted (NO NAME)
    out.warning(
        C.SOURCE_HOLDS_VOLUMES,
        tree.root,
        f"the source {printable_name(str(tree.root))} holds "
        f"{'a mounted volume' if one else f'{len(volumes)} mounted volumes'}: {named}; "
        f"{'it is a card or drive' if one else 'each is a card or drive'} of its own, "
        "offloaded here as a folder of one card (one copy root, one report): offload each "
        f"card on its own (offload copy {first} DEST)",
    )


# How many entries of the volume outside the source the check looks at, at most: a folder on
# a RAID beside millions of files costs a bounded look; those not looked at count as other
# content (never "may be formatted" on a guess).
_LOOK_BUDGET = 2000


def _holds_data(path: str, relative: str, rules: IgnoreRules, budget: list[int]) -> bool:
    """Whether the entry at *path* (*relative* to the volume's root) holds data a format
    would lose: a file with bytes, or a folder with one below it, the OS's own entries (the
    default ignore patterns: ``.Spotlight-V100``, ``System Volume Information``...) and
    empty files and folders aside. One that cannot be looked at, or past *budget*, does."""
    if rules.spec.first_match(relative) is not None:
        return False
    budget[0] -= 1
    if budget[0] < 0:
        return True
    try:
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode):
            return st.st_size > 0
        if not stat.S_ISDIR(st.st_mode):
            return False  # a link, a device: no data of its own
        with os.scandir(path) as entries:
            names = sorted(entry.name for entry in entries)
    except OSError:
        return True
    return any(
        _holds_data(os.path.join(path, name), f"{relative}/{name}", rules, budget) for name in names
    )


def outside_source(root: str, mount_point: str) -> list[str]:
    """The entries of the volume mounted at *mount_point* outside the source *root* (a
    real path below it) that hold data (``_holds_data``), each relative to the mount point,
    a folder's ending in ``/``, in path order: the siblings of the source and of each folder
    above it, up to the volume's root. Empty when the source is the mount point."""
    rules = IgnoreRules.default()
    budget = [_LOOK_BUDGET]
    found: list[str] = []
    relative = root[len(mount_point.rstrip("/")) + 1 :] if root != mount_point else ""
    parts = relative.split("/") if relative else []
    for depth in range(len(parts)):
        folder = "/".join(parts[:depth])
        path = os.path.join(mount_point, folder) if folder else mount_point
        try:
            with os.scandir(path) as entries:
                names = sorted(
                    (entry.name, entry.is_dir(follow_symlinks=False))
                    for entry in entries
                    if entry.name != parts[depth]
                )
        except OSError:
            continue  # a folder above the source this process may not list: nothing known
        for name, is_dir in names:
            inside = f"{folder}/{name}" if folder else name
            if _holds_data(os.path.join(path, name), inside, rules, budget):
                found.append(f"{inside}/" if is_dir else inside)
    return sorted(found)


def check_source_part_of_volume(tree: SourceTree, out: Findings) -> None:
    """One ``source-part-of-volume`` warning where the source is a folder (or a file) below
    its volume's root and the volume holds other entries with data (``outside_source``):
    only part of the card is offloaded (``offload copy CARD/DCIM/100GOPRO``, a beginner's
    habit), so the card release keeps the card, naming the first left outside. Not for a
    folder of the filesystem mounted at ``/`` (a dump folder on the system disk: no card to
    format), nor where the mount table cannot be read. Raises nothing."""
    try:
        real = os.path.realpath(tree.root)
        mounts = mount_table.parsed(MOUNTINFO, parse_mountinfo)
    except (OSError, ValueError):
        return
    mount = find_mount(Path(real), mounts)
    if mount is None or mount.mount_point in ("/", real):
        return
    outside = outside_source(real, mount.mount_point)
    if not outside:
        return
    within_volume = real[len(mount.mount_point.rstrip("/")) + 1 :]
    one = len(outside) == 1
    whole = pasteable_word(mount.mount_point)
    out.warnings.append(
        PreflightItem(
            C.SOURCE_PART_OF_VOLUME,
            Path(mount.mount_point),
            f"only {printable_name(within_volume)} of the card mounted at "
            f"{printable_name(mount.mount_point)} is offloaded: "
            f"{'1 other entry' if one else f'{len(outside):,} other entries'} on it "
            f"({printable_name(outside[0])} first) {'is' if one else 'are'} not copied by "
            f"this run, so the card must not be formatted after it; to offload the whole "
            f"card: offload copy {whole} DEST",
            counted=len(outside),
            part_of_volume=(within_volume, outside[0]),
        )
    )
