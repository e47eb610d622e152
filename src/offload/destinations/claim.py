"""A partial file's claim: the shared ``flock`` its live writer holds on it.

A run that finds ``.offload-partial.*`` files where it writes removes those of killed runs
(``plan/strays.py``). The copy root's lock names its holder's partials (``lock.holder_body``),
but a run sees only the locks on the paths above the folder it lists: a live writer that
reached the same folder by another path (a bind mount of a sub-folder, a folder that is a
symlink on one side), or one that holds no copy root's lock at all (``pfndispatchcopy``,
the library's one-file copy) is not seen there. The claim is seen whatever the path, since
it is held on the file itself (its inode), and the kernel drops it when the writer dies
(SIGKILL, crash), so a killed run's partial is unclaimed.

Contract:

* The writer calls ``claim`` on the descriptor of the partial it has just created
  (``O_EXCL``), or on a read-only descriptor of that same file (opened through
  ``/proc/self/fd``, never by its name), and that open file description is kept until the
  partial is renamed to its final name or removed (``destinations/local.py``): the
  descriptor itself where close(2) reports nothing (local filesystems without a flush on
  close; a file over 64 KiB is claimed on the read-only one, which takes over when the
  written one is closed at its last byte; without ``/proc``, a read-only descriptor claimed
  with ``claim_again`` before the written one is closed takes its place there), else a
  ``dup`` of it made when the partial is sealed (its own
  close then reports a deferred write error: NFS, FUSE). ``claim`` waits for a clean-up that
  holds the exclusive lock for an instant (below) and then answers whether the partial is
  still linked: False when that clean-up removed it meanwhile (the file was unclaimed for an
  instant between its ``open`` and its claim); the writer then starts a new partial under a
  new name.
* A clean-up asks ``claimed`` (a probe: an exclusive ``flock`` tried and released at once),
  and removes a stray with ``remove_unclaimed``, which unlinks it while holding the
  exclusive lock: a writer cannot claim it in between, and one that opened it before finds
  it unlinked when its claim is granted.
* Where the filesystem has no ``flock`` (NFSv3 without lockd: ENOLCK; NFS turns ``flock``
  into a POSIX lock, which a write-only descriptor cannot take in shared mode: EBADF) no
  claim is taken and ``claimed`` answers None (cannot tell): the copy root's lock and the
  age rules decide there (``plan/strays.py``). A partial of an older version carries no
  claim either: ``claimed`` False says only that no live writer claims it.
* Never raises but for ``claim``'s ``fstat`` (an OSError of the writer's own descriptor).

``manifest.atomic.AtomicFile``'s temporaries (manifests, reports, the ledger written whole)
keep the same contract: claimed with ``claim`` on the descriptor that created them, waited
for and checked still linked, a new name where a clean-up (``stale_temp_files``, maybe
another host's, to which the writer's pid means nothing) removed one first.
"""

from __future__ import annotations

import errno
import fcntl
import os

# flock() answers these where a filesystem keeps no locks (or none of this kind).
_NO_LOCKS = frozenset(
    {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EINVAL, errno.EBADF}
)


#: ``claim_device``'s answer where the filesystem keeps no locks: claimed as far as it goes,
#: and no ``fstat`` made (the partial's device is not known from the claim).
UNKNOWN_DEVICE = -1


def claim(fd: int) -> bool:
    """Claim the partial open on *fd* (see the module's contract): True when claimed or
    when its filesystem keeps no locks, False when it was removed before the claim was
    granted. Blocks while a clean-up holds the exclusive lock (an instant). Raises OSError
    from ``fstat``."""
    return claim_device(fd) is not None


def claim_device(fd: int) -> int | None:
    """``claim``, answering with what its ``fstat`` saw: the partial's device (``st_dev``)
    when claimed, None when it was removed before the claim was granted, and
    ``UNKNOWN_DEVICE`` where its filesystem keeps no locks (no claim and no ``fstat``). The
    device of an open file never changes, so the writer keeps it for the seal's check of
    the file's device (``destinations/local.py``: no ``stat_result`` more a file). Blocks
    and raises as ``claim``."""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
    except OSError as exc:
        if exc.errno not in _NO_LOCKS:
            raise
        return UNKNOWN_DEVICE  # no claim on this filesystem: the copy root's lock and age decide
    info = os.fstat(fd)
    return info.st_dev if info.st_nlink > 0 else None


def claim_again(fd: int) -> bool:
    """Claim, on a new descriptor *fd* of a partial this writer claims already, the same
    partial (a read-only one that takes over once the file is written: ``destinations/
    local.py``): True when taken, False where the filesystem keeps no locks (the caller then
    keeps the claim it has). Never blocks: a clean-up's exclusive lock cannot be granted
    while the writer's shared one is held. Never raises."""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def claimed(path: str) -> bool | None:
    """Whether a live writer claims the partial at *path* now: True (claimed), False (no
    claim: its writer is gone, or wrote it without one), None (cannot tell: no locks on
    that filesystem, or it cannot be opened; gone since it was listed: False)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    finally:
        _close(fd)  # and with it the probe's lock
    return False


def remove_unclaimed(path: str, failed: list[tuple[str, OSError]] | None = None) -> bool:
    """Unlink the partial at *path* unless a live writer claims it, holding the exclusive
    lock while it is unlinked; True when it was removed. Where no lock can be taken (no
    locks there, or it cannot be opened) it is unlinked all the same: the caller judged it a
    stray by the other rules (``plan/strays.py``). Never raises: *failed*, when given, gets
    the partial and the error where the drive refused to look at or unlink it (EIO of a
    damaged NTFS, EROFS), not where it is gone or a writer claims it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    except OSError:
        return _unlink(path, failed)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # claimed since it was judged: a live writer's
        except OSError:
            pass
        try:
            same = os.path.samestat(os.fstat(fd), os.lstat(path))
        except FileNotFoundError:
            return False
        except OSError as exc:
            if failed is not None:
                failed.append((path, exc))
            return False
        return same and _unlink(path, failed)
    finally:
        _close(fd)


def _close(fd: int) -> None:
    """Close the probe's descriptor (and with it its lock). Its close reports nothing the
    caller must know (nothing was written through it), and a dying FUSE mount answers it
    ENOTCONN: not raised (a traceback from a clean-up that had nothing left to do)."""
    try:
        os.close(fd)
    except OSError:
        pass


def _unlink(path: str, failed: list[tuple[str, OSError]] | None = None) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if failed is not None:
            failed.append((path, exc))
        return False  # kept: the next run tries again
    return True
