"""The drives mounted below where a copy goes.

A folder below a copy root can be the mount point of another filesystem: ``DEST/A006`` on
the machine's disk, ``DEST/A006/CLIPS`` a smaller drive mounted there. The files that land
below it take that drive's room and inodes and must be names its filesystem takes; the
rest, the copy root's own filesystem's. (A drive mounted at the copy root itself is the
folder the checks look at: ``paths.existing_folder``.)

:func:`mounted_below` finds such drives; :func:`split_tree` parts the card's tree by the
filesystem each entry lands on, so that the preflight checks each part against its own.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from offload.fs import mount_table
from offload.model import SourceFile, SourceSymlink
from offload.plan.filesystem import MOUNTINFO, parse_mountinfo, within
from offload.plan.scan import SourceTree


def mounted_below(root: Path) -> list[tuple[str, Path]]:
    """The folders strictly below *root* (a copy root) that are mount points of another
    filesystem than the one holding their parent folder: each as (its path relative to
    *root*, ``/``-separated; its path as *root* spells it), shallowest first.

    Found in ``/proc/self/mountinfo`` (the mount points inside *root*'s real path), each
    confirmed by ``os.stat``: a folder whose ``st_dev`` differs from its parent's (a bind
    mount of a folder of the same filesystem shares its room and is left out). Empty where
    *root* is not there or there is no mount table (not Linux). Raises nothing; reads the
    mount table once and stats two folders for each mount point inside *root*."""
    try:
        real = os.path.realpath(root)
        mounts = mount_table.parsed(MOUNTINFO, parse_mountinfo)
    except (OSError, ValueError):
        return []
    found: dict[str, Path] = {}
    for mount in mounts:
        if mount.mount_point == real or not within(mount.mount_point, real):
            continue
        relative = mount.mount_point[len(real.rstrip("/")) + 1 :]
        path = root.joinpath(*relative.split("/"))
        try:
            inner = os.stat(path)
            outer = os.stat(path.parent)
        except OSError:
            continue  # hidden by a later mount, or gone: what is there is what counts
        if stat.S_ISDIR(inner.st_mode) and inner.st_dev != outer.st_dev:
            found[relative] = path
    return sorted(found.items(), key=lambda item: (item[0].count("/"), item[0]))


def split_tree(tree: SourceTree, below: Sequence[str]) -> tuple[SourceTree, dict[str, SourceTree]]:
    """*tree* parted by where each entry lands: on the copy root's filesystem (the first),
    or on the drive mounted at each of *below* (paths relative to the copy root,
    ``mounted_below``), by the deepest of them above the entry. A mount point's own folder
    stays with the filesystem holding it (it is there already). Each part keeps *tree*'s
    root and other fields: only ``files``, ``directories`` and ``symlinks`` are parted,
    each in its order."""
    drives = sorted(below, key=len, reverse=True)  # the deepest first

    def owner(relative: str) -> str:
        for folder in drives:
            if relative.startswith(folder) and relative[len(folder) : len(folder) + 1] == "/":
                return folder
        return ""

    files: dict[str, list[SourceFile]] = {folder: [] for folder in ("", *drives)}
    folders: dict[str, list[str]] = {folder: [] for folder in ("", *drives)}
    links: dict[str, list[SourceSymlink]] = {folder: [] for folder in ("", *drives)}
    for f in tree.files:
        files[owner(f.relative_path)].append(f)
    for d in tree.directories:
        folders[owner(d)].append(d)
    for link in tree.symlinks:
        links[owner(link.relative_path)].append(link)

    def part(folder: str) -> SourceTree:
        return tree._replace(
            files=tuple(files[folder]),
            directories=tuple(folders[folder]),
            symlinks=tuple(links[folder]),
        )

    return part(""), {folder: part(folder) for folder in drives}
