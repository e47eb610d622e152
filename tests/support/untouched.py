"""What a refused or dry run must leave as it was: a folder tree's state, each entry's
modification and change times and inode (``tree_state``), which any entry created, removed,
renamed or written below it changes (a file made and deleted again too: its folder's times);
reading changes none of them."""

from __future__ import annotations

import os
from pathlib import Path


def tree_state(root: Path) -> dict[str, tuple[int, int, int]]:
    """Each entry of *root* and below it (not following links), by its path relative to
    *root* ("." for *root* itself): ``(st_mtime_ns, st_ctime_ns, st_ino)``."""
    state = {}
    for folder, folders, files in os.walk(root):
        for name in (".", *folders, *files):
            path = os.path.join(folder, name)
            st = os.lstat(path)
            state[os.path.normpath(os.path.relpath(path, root))] = (
                st.st_mtime_ns,
                st.st_ctime_ns,
                st.st_ino,
            )
    return state
