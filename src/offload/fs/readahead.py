"""The card's first small files asked of its disk while ``offload copy`` loads.

Why: the command loads its modules (~0.1 s on a 200-file card) before its job reads the
card, and the card's disk stands idle meanwhile; the job's reader then waits for the disk
file by file (its own read-ahead, ``engine/reader.py``'s ``_Prefetcher``, starts with the
job). Asked at the start (``POSIX_FADV_WILLNEED``: the kernel reads them into the page cache
in the background), they are read from the disk while the command loads and plans
(docs/performance.md, "Fixed cost: seventeenth pass"). The data still comes from the card:
only earlier.

What is asked (:func:`read_ahead`): the regular files the reader reads through the page
cache, those smaller than its read block (``--block-size``; larger ones it streams with
O_DIRECT, which no cached page serves, so asking for them would read them twice), in the
walk's order (``walk.walk_tree``, the scan's: the order the job reads them), at most
``MAX_FILES`` files and ``MAX_BYTES`` bytes. Only a hint: nothing is read into this process,
nothing is written, symlinks are not followed, each file is opened read-only and closed at
once, and every error is ignored (the scan and the reader report what is wrong with the
card). Thread-safe: it keeps no state.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from offload.walk import walk_tree

#: At most this many files are asked for: a card of thousands of tiny files is asked for its
#: first ones only (each costs ~20 µs of the start-up: an open, a hint and a close).
MAX_FILES = 256
#: At most this many bytes (the reader's own window, ``_Prefetcher``, is 64 MiB): more than
#: the disk reads while the command loads.
MAX_BYTES = 32 * 1024 * 1024


def read_ahead(
    source: str, *, below: int, max_files: int = MAX_FILES, max_bytes: int = MAX_BYTES
) -> int:
    """Ask the kernel to read ahead the first regular files of *source* (a folder, walked as
    the scan walks it, or one file) that are smaller than *below* bytes and not empty, within
    *max_files* files and *max_bytes* bytes. Returns how many files were asked for. Never
    raises ``OSError`` (a source that cannot be read is the scan's to report)."""
    try:
        info = os.stat(source)
    except (OSError, ValueError):
        return 0
    if stat.S_ISREG(info.st_mode):
        return int(0 < info.st_size < below and info.st_size <= max_bytes and _hint(source))
    if not stat.S_ISDIR(info.st_mode):
        return 0
    asked = 0
    budget = max_bytes
    try:
        for item in walk_tree(Path(source)):
            entry = item.entry
            if entry.is_dir(follow_symlinks=False):
                item.enter()
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            size = entry.stat(follow_symlinks=False).st_size
            if size == 0 or size >= below:
                continue
            if size > budget:
                break
            if _hint(entry.path):
                asked += 1
                budget -= size
                if asked >= max_files:
                    break
    except OSError:
        pass  # a folder that cannot be listed, an entry gone: the scan says so
    return asked


def _hint(path: str) -> bool:
    """``POSIX_FADV_WILLNEED`` on the whole file at *path*; False if it could not be given."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        given = True
    except OSError:
        given = False
    try:
        os.close(fd)  # nothing was read through it: a close's error changes nothing
    except OSError:
        pass
    return given
