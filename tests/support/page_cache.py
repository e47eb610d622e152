"""The page cache as the tests look at it: how many pages of a file it holds now (``mincore``,
``fs.ops.cached_pages``), and whether a folder is on tmpfs, whose cache is its storage (no
page of a file there can be dropped, so a test of what is cached has nothing to tell)."""

from __future__ import annotations

import os
from pathlib import Path

from offload.fs.ops import cached_pages, filesystem_magic

TMPFS_MAGIC = 0x01021994


def pages_cached(path: Path) -> int:
    """How many pages of the file at *path* are in the page cache now."""
    fd = os.open(path, os.O_RDONLY)
    try:
        pages = cached_pages(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)
    assert pages is not None, f"mincore could not tell for {path}"
    return pages


def on_tmpfs(folder: Path) -> bool:
    """Whether *folder* is on tmpfs."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        return filesystem_magic(fd) == TMPFS_MAGIC
    finally:
        os.close(fd)
