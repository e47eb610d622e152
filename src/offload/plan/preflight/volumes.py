"""Volumes mounted inside the source: a folder holding cards, given as one card.

``offload copy media D`` where ``media/RED_A001`` and ``media/CANON`` are two mounted cards
copies both into one copy root, as one card of unknown identity, in one report that calls
them "the card". Cards are each a filesystem of their own, mounted: a mount point inside the
source's folder is what tells. :func:`check_source_volumes` warns of them, naming each, so
the user offloads each card on its own; the copy still runs (a drive mounted inside a
folder may be meant to be copied with it).
"""

from __future__ import annotations

import os

from offload.errors import pasteable_word, printable_name
from offload.fs import mount_table
from offload.plan.filesystem import MOUNTINFO, parse_mountinfo, within
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
