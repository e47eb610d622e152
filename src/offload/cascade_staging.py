"""The cascade's scratch folder: ``$TMPDIR/offload-cascade-XXXXXXXX``.

The cascade keeps there what the slow destinations still need from the card once it is
released (a snapshot of its ASC MHL history, ``cascade._snapshot_history``); the folder is
removed at the cascade's end. A run killed (SIGKILL, a power cut) cannot remove it, so each
cascade first removes those of runs that ended: a run holds an exclusive ``flock`` on
``.lock`` in its folder for as long as it lives (the kernel drops it when the process dies,
whatever killed it, in any PID namespace), and a folder whose lock can be taken is a dead
run's. One without ``.lock`` (an earlier version's, or a run between making its folder and
locking it) is removed only once it is older than ``_UNLOCKED_AGE_S``; nor is one changed
within ``_FRESH_S`` (a run between creating its lock file and taking the lock). Never raises: a
folder that cannot be looked at or removed is left as it is."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "offload-cascade-"
LOCK = ".lock"
# A folder without a lock: an earlier version's (no run of this one leaves one that old).
_UNLOCKED_AGE_S = 3600.0
# A folder changed this recently may be a run's that has made its lock file, not yet locked.
_FRESH_S = 60.0


@contextmanager
def staging() -> Iterator[Path]:
    """A fresh scratch folder, locked for this run, removed on leaving; dead runs' folders
    swept first (module docstring)."""
    sweep()
    with tempfile.TemporaryDirectory(prefix=PREFIX) as folder:
        fd = os.open(os.path.join(folder, LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield Path(folder)
        finally:
            os.close(fd)


def sweep(parent: str | None = None) -> None:
    """Remove the scratch folders under *parent* (the temporary folder) of runs that ended.
    Never raises."""
    parent = parent or tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(parent) if n.startswith(PREFIX)]
    except OSError:
        return
    for name in names:
        folder = os.path.join(parent, name)
        try:
            if _dead(folder):
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _dead(folder: str) -> bool:
    """Whether *folder* is a run's that ended: its lock free, or none and it is old. A
    symlink or a file of the name is never one (nothing followed, nothing removed)."""
    st = os.lstat(folder)
    if not os.path.isdir(folder) or os.path.islink(folder) or st.st_uid != os.getuid():
        return False
    age = time.time() - st.st_mtime
    if age < _FRESH_S:
        return False
    try:
        fd = os.open(os.path.join(folder, LOCK), os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return age > _UNLOCKED_AGE_S
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live run's
    finally:
        os.close(fd)
    return True
