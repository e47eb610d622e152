"""A real process holding local copy roots' locks (``offload.lock.lock_copy_roots``), as a
running offload does, until the test SIGKILLs it: ``start_holder``, ``stop``, and
``is_locked`` to ask a copy root's lock from outside. One home for the tests that need
another run's lock held (they imported these from ``test_copy_root_lock`` before)."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from offload.lock import lock_path

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from offload.lock import lock_copy_roots
    locks = lock_copy_roots([Path(p) for p in sys.argv[1:]], command=["offload", "copy", "A001"])
    print("locked", flush=True)
    time.sleep(120)
    """
)


def start_holder(*roots: Path) -> subprocess.Popen[str]:
    """A process holding the locks of *roots* (``offload copy A001`` in their bodies),
    returned once it holds them."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, *map(str, roots)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "locked\n"
    return holder


def stop(holder: subprocess.Popen[str]) -> None:
    """SIGKILL *holder* (its locks freed by the kernel, their files left) and reap it."""
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    if holder.stdout is not None:
        holder.stdout.close()


def is_locked(copy_root: Path) -> bool:
    """Whether a live process holds *copy_root*'s lock (its ``flock`` cannot be taken)."""
    fd = os.open(lock_path(copy_root), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
