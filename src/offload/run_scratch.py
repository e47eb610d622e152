"""A run's scratch folder under ``$TMPDIR`` that a run killed (SIGKILL, a power cut) would
leave forever: locked for the run's life, and those of runs that ended swept before one is
made. One rule for every kind: the cascade's (``cascade_staging``, ``offload-cascade-``), an
``s3://`` copy root's ASC MHL history staged for its manifest step (``offload-s3-mhl-``:
``s3card.write_s3_manifests``, ``s3card.history_of``) and ``offload verify s3://``'s local
view of the objects (``offload-s3-verify-``: ``s3verify``).

A run holds an exclusive ``flock`` on ``.lock`` in its folder for as long as it lives (the
kernel drops it when the process dies, whatever killed it, in any PID namespace), and the
lock file names it (``lock.py``'s ``process_identity``: host name, pid, the boot and pid
namespace its pid counts in, when it started). What the caller keeps there is in a subfolder,
``work`` (:func:`scratch` yields it), so that no name of the caller's (a copy root named
``.lock``) meets the lock file. A folder is a dead run's (:func:`dead`) when its lock file
names this host and: another boot (the machine restarted since), or this boot and its
``flock`` can be taken (or, where ``flock`` cannot be asked, as in a ``$TMPDIR`` on NFS
without lockd: its process is provably over, ``lock.body_gone``). A folder whose lock file
names another host is never removed: a ``$TMPDIR`` shared over NFS, whose locks may be that
host's alone, holds live runs of other machines. A lock file that names no one (a run of the
version that took the ``flock`` only) is judged by its ``flock``. One without ``.lock`` (an
older version's, or a run between making its folder and locking it) is removed only once
older than ``_UNLOCKED_AGE_S`` (a week: an S3 cascade runs for hours); nor is any folder
changed within ``_FRESH_S`` (a run between creating its lock file and taking the lock), unless
its lock file names a holder provably over (``lock.body_gone``: a run killed seconds before the
next one sweeps; a live run names itself before it takes the lock, never proven over); nor,
however old it looks, is one whose ``flock`` is free but whose lock file names a process proven
running (``lock.body_alive``: a live run between the two steps, its folder dated by a file
server whose clock is behind). A run
whose ``flock`` cannot be taken (ENOLCK, EOPNOTSUPP) runs without it, its lock file still
naming it. Only the folders of the prefix being made are swept (one kind a run). Never
raises for the sweep: a folder that cannot be looked at or removed is left as it is; nor
does taking the lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

MHL_PREFIX = "offload-s3-mhl-"
VERIFY_PREFIX = "offload-s3-verify-"
LOCK = ".lock"
# The subfolder the caller is given: nothing of ours in it.
WORK = "work"
# A folder without a lock file: an older version's (no run of this one leaves one that old;
# an S3 cascade of one may run for hours, a day).
_UNLOCKED_AGE_S = 7 * 86400.0
# A folder changed this recently may be a run's that has made its lock file, not yet locked.
_FRESH_S = 60.0
_BODY_MAX = 4096


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A fresh empty folder, ``$TMPDIR/<prefix>XXXXXXXX/work``, its parent locked for this
    run where the filesystem lets it (its lock file naming this run either way), removed on
    leaving; the folders of *prefix* that runs which ended left swept first (module doc)."""
    from offload.lock import process_identity

    sweep(prefix)
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        fd = os.open(os.path.join(folder, LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            with suppress(OSError):  # (unnamed, a folder is judged by its flock alone)
                os.write(fd, json.dumps(process_identity()).encode("utf-8"))
            with suppress(OSError):
                # No lock on this filesystem (ENOLCK: NFS without lockd; EOPNOTSUPP): the
                # run goes on; the sweep judges its folder by the lock file's words.
                fcntl.flock(fd, fcntl.LOCK_EX)
            work = Path(folder) / WORK
            work.mkdir()
            yield work
        finally:
            os.close(fd)


def sweep(prefix: str, parent: str | None = None) -> None:
    """Remove the folders ``<prefix>*`` under *parent* (the temporary folder) of runs that
    ended (:func:`dead`). Never raises."""
    parent = parent or tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(parent) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        folder = os.path.join(parent, name)
        try:
            if dead(folder):
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def dead(folder: str) -> bool:
    """Whether *folder* is a run's that ended (module docstring). A symlink or a file of the
    name is never one (nothing followed, nothing removed)."""
    st = os.lstat(folder)
    if not os.path.isdir(folder) or os.path.islink(folder) or st.st_uid != os.getuid():
        return False
    age = time.time() - st.st_mtime
    # Changed within the minute: a live run's between making its lock file and taking the
    # lock, unless its lock file names a holder proven gone (a run killed seconds ago, its
    # re-run sweeping now: a live run writes its name before it takes the lock).
    fresh = age < _FRESH_S
    try:
        fd = os.open(os.path.join(folder, LOCK), os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return age > _UNLOCKED_AGE_S
    try:
        holder = _holder(fd)
        if holder is not None and holder.get("host") != os.uname().nodename:
            return False  # another machine's, through a shared $TMPDIR: never ours to judge
        if fresh and (holder is None or not _gone(holder)):
            return False
        # The lock first, always: a held one is a live run's whatever its body says (two
        # carts of one default host name share an NFS $TMPDIR: the other's boot is not
        # ours, its run alive).
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a live run's
        except OSError:
            # The lock cannot be asked here: only a holder proven gone is dead, or one of an
            # earlier boot of this machine (both boots known), no process of which lives.
            if holder is None:
                return False
            boot, own = _boot(holder), _boot(None)
            return _gone(holder) or (bool(boot) and bool(own) and boot != own)
        # The lock free, yet the holder named proven running: a live run between writing
        # its lock file and taking the lock, in a folder that only looks old (an NFS
        # server's clock a minute behind dates it so).
        return holder is None or not _alive(holder)
    finally:
        os.close(fd)


def _holder(fd: int) -> dict[str, object] | None:
    """The run a lock file names (``process_identity``'s fields), None for none."""
    try:
        named = json.loads(os.pread(fd, _BODY_MAX, 0) or b"null")
    except (OSError, ValueError):
        return None
    return named if isinstance(named, dict) and "host" in named else None


def _boot(holder: dict[str, object] | None) -> str:
    """The boot a holder's pid counts in (this process's for None), "" unknown."""
    from offload.lock import process_space

    space = process_space() if holder is None else holder.get("pid_space")
    return space.split("/")[0] if isinstance(space, str) else ""


def _alive(holder: dict[str, object]) -> bool:
    """Whether a holder is proven running now (``lock.body_alive``: its pid counted in this
    pid space, the process with it now started when it did)."""
    from offload.lock import body_alive

    return body_alive(holder)


def _gone(holder: dict[str, object]) -> bool:
    """Whether a holder is provably over (``lock.body_gone``: its pid counted in this pid
    space, and no process of it started when it did)."""
    from offload.lock import body_gone

    return body_gone(holder)
