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
from offload.part_of_volume import PartOfVolume
from offload.plan.cardlike import camera_card_sign, card_filesystem
from offload.plan.codes import PreflightItem
from offload.plan.filesystem import (
    MOUNTINFO,
    MountEntry,
    find_mount,
    parse_mountinfo,
    within,
)
from offload.plan.ignore import IgnoreRules
from offload.plan.preflight.findings import C, Findings
from offload.plan.preflight.spelling import Speller
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
    empty files and folders aside. One that cannot be looked at, or past *budget*, does.
    Walked with a stack of its own, not by recursion: a tree of any depth costs its
    entries against *budget*, never Python's recursion limit."""
    pending = [(path, relative)]
    while pending:
        path, relative = pending.pop()
        if rules.spec.first_match(relative) is not None:
            continue
        budget[0] -= 1
        if budget[0] < 0:
            return True
        try:
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode):
                if st.st_size > 0:
                    return True
                continue
            if not stat.S_ISDIR(st.st_mode):
                continue  # a link, a device: no data of its own
            with os.scandir(path) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError:
            return True
        # Reversed: popped in name order, as the recursion looked at them.
        pending.extend((os.path.join(path, name), f"{relative}/{name}") for name in reversed(names))
    return False


def _same_entry(path: str, identity: tuple[int, int] | None) -> bool:
    """Whether *path* is the entry whose (``st_dev``, ``st_ino``) is *identity*."""
    if identity is None:
        return False
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == identity


def outside_source(root: str, mount_point: str) -> list[str]:
    """The entries of the volume mounted at *mount_point* outside the source *root* (a
    real path below it) that hold data (``_holds_data``), each relative to the mount point,
    a folder's ending in ``/``, in path order: the siblings of the source and of each folder
    above it, up to the volume's root. Empty when the source is the mount point. The source
    and each folder above it are told by their identity as well as their name: FAT and
    exFAT take any case, and the path keeps the user's (``card/dcim`` is ``DCIM``). A folder
    above the source that cannot be listed counts as other content (``<folder>/*``): what
    it holds is unknown, never "nothing"."""
    rules = IgnoreRules.default()
    budget = [_LOOK_BUDGET]
    found: list[str] = []
    relative = root[len(mount_point.rstrip("/")) + 1 :] if root != mount_point else ""
    parts = relative.split("/") if relative else []
    for depth in range(len(parts)):
        folder = "/".join(parts[:depth])
        path = os.path.join(mount_point, folder) if folder else mount_point
        try:
            st = os.lstat(os.path.join(path, parts[depth]))
            identity: tuple[int, int] | None = (st.st_dev, st.st_ino)
        except OSError:
            identity = None
        try:
            with os.scandir(path) as entries:
                names = sorted(
                    (entry.name, entry.is_dir(follow_symlinks=False))
                    for entry in entries
                    if entry.name != parts[depth]
                )
        except OSError:
            # A folder above the source this process may not list: its content is unknown.
            found.append(f"{folder}/*" if folder else "*")
            continue
        for name, is_dir in names:
            inside = f"{folder}/{name}" if folder else name
            entry_path = os.path.join(path, name)
            if name.casefold() == parts[depth].casefold() and _same_entry(entry_path, identity):
                continue  # the source's own folder, spelled in another case
            if _holds_data(entry_path, inside, rules, budget):
                found.append(f"{inside}/" if is_dir else inside)
    return sorted(found)


def _whole_volume(mount: MountEntry, mounts: list[MountEntry]) -> MountEntry | None:
    """A mount of the whole volume *mount* (a bind mount of one of its folders) is part of:
    the same device, its root ``/``; the last listed (the one seen). None when there is none,
    or the device is not given."""
    if mount.device < 0:
        return None
    found = None
    for other in mounts:
        if other.device == mount.device and other.root == "/":
            found = other
    return found


def _is_card(mount_point: str) -> bool:
    """Whether the volume mounted at *mount_point* may be a camera card: FAT or exFAT (or a
    filesystem that cannot be told), or a camera card's layout at its root."""
    root = Path(mount_point)
    return card_filesystem(root) or camera_card_sign(root) is not None


def check_source_part_of_volume(tree: SourceTree, out: Findings) -> None:
    """One ``source-part-of-volume`` warning where the source is a folder (or a file) below
    its volume's root and the volume holds other entries with data (``outside_source``):
    only part of the card is offloaded (``offload copy CARD/DCIM/100GOPRO``, a beginner's
    habit), so the card release keeps the card, naming the first left outside. A source
    reached through a bind mount of a folder of its volume is looked at where the whole
    volume is mounted; where it is mounted nowhere else, the rest cannot be looked at and
    a card (FAT or exFAT) is kept all the same; any other volume so mounted (a btrfs
    subvolume) is passed over. A volume that is no card (not FAT or exFAT, no camera card's
    layout at its root: a RAID, a data drive, a tmpfs ``/tmp``) gets no warning: a folder
    of it offloaded is everyday work, no card to format. Not for a folder of the filesystem
    mounted at ``/`` (a dump folder on the system disk: no card to format), nor where the
    mount table cannot be read. Raises nothing."""
    try:
        mounts = mount_table.parsed(MOUNTINFO, parse_mountinfo)
        # Spelled as the volume lists it: FAT and exFAT take any case, and realpath keeps
        # the user's (``card/dcim``), which no listing of the card names (rev7_69 M2).
        real = Speller(mounts)(tree.root)
    except (OSError, ValueError):
        return
    mount = find_mount(Path(real), mounts)
    if mount is None:
        return
    below = real[len(mount.mount_point.rstrip("/")) + 1 :] if real != mount.mount_point else ""
    if mount.root != "/":
        # A bind mount of a folder: its mount point is no volume's root (rev7_69 M1).
        within_volume = "/".join(p for p in (mount.root.strip("/"), below) if p)
        whole = _whole_volume(mount, mounts)
        if whole is None:
            if not card_filesystem(Path(real)):
                # No card (a btrfs subvolume such as Fedora's /home is mounted so too):
                # nothing the release would keep, and no bind mount to speak of.
                return
            _warn(out, PartOfVolume(real, within_volume, "", 0), Path(real), 0)
            return
        mount = whole
        real = os.path.join(whole.mount_point, within_volume)
    if mount.mount_point in ("/", real):
        return
    outside = outside_source(real, mount.mount_point)
    if not outside:
        return
    within_volume = real[len(mount.mount_point.rstrip("/")) + 1 :]
    if not _is_card(mount.mount_point):
        # A folder of a RAID or a data drive (or of a tmpfs /tmp): offloading one folder of
        # it is everyday work and no one formats that volume after it, so nothing is said
        # (a warning on every such run would be noise a user learns to ignore).
        return
    part = PartOfVolume(mount.mount_point, within_volume, outside[0], len(outside))
    _warn(out, part, Path(mount.mount_point), len(outside))


def _warn(out: Findings, part: PartOfVolume, path: Path, counted: int) -> None:
    """The ``source-part-of-volume`` warning of *part*: its sentence, then why that matters
    and, for a card mounted whole, the command that offloads it whole."""
    words = part.words(done=False) + ", so the card must not be formatted after it"
    if part.outside:
        words += f"; to offload the whole card: offload copy {pasteable_word(part.volume)} DEST"
    out.warnings.append(
        PreflightItem(C.SOURCE_PART_OF_VOLUME, path, words, counted=counted, part_of_volume=part)
    )
