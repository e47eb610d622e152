"""A final name another writer took between a copy's write and its publish.

The committer publishes a verified partial without replacing anything; where the filesystem
answers EEXIST at that step, something took the name while the copy was written. Two things
are asked of that file here, both only at that step (rare: no cost to any other file):

* ``spelled_otherwise``: which name in the folder took it. The publish's EEXIST does not
  say whether the name itself is there or one the filesystem takes for the same (a name
  differing only by case or Unicode normalisation, on exFAT, NTFS, FAT, APFS or a casefold
  folder of ext4); the refusal names another spelling only when the folder's listing shows
  one, so a case-sensitive filesystem is never told of a case difference.
* ``read_taken``: the file at the name read back from the media, for the one-file copy
  (``pfndispatchcopy``, ``api``: a dispatcher may run two copies of one source into one
  folder at once, README). The committer compares it with the digests this run made of the
  source bytes it read (never a second read of the source): equal, it is the copy already
  there that the same command run again would read back and keep. Where the job flushes,
  ``make_taken_durable`` fsyncs it before that read (the other writer need not have
  synced it: read first, a read through a cache could come from pages not yet on the
  medium), and again once ``give_source_date`` gave it the source's date, as such a copy.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from offload.engine.cancel import CancelToken
from offload.engine.verifier import MediaHasher
from offload.errors import CancelledError, describe_os_error
from offload.fs.ops import full_fsync
from offload.results import CacheBypass


def spelled_otherwise(final: Path) -> str | None:
    """The name in *final*'s folder that the filesystem takes for *final*'s own and that is
    spelled otherwise (case, Unicode normalisation); None where the name itself is there,
    none such is listed, or the folder cannot be listed (the refusal then says no more
    than that the name exists). Never raises."""
    name = final.name
    try:
        names = os.listdir(final.parent)
    except (OSError, ValueError):
        return None
    if name in names:
        return None
    # The one caseless rule the plan's listings match names by (``fs/listing``).
    from offload.fs.listing import caseless  # here: asked only of a refusal, never at start

    key = caseless(name)
    return next((other for other in names if caseless(other) == key), None)


def look_at_taken(final: Path, size: int) -> os.stat_result | None:
    """The look at *final* before it is read back: its lstat where it is a regular file of
    *size* bytes, else None (a folder, a symlink, a FIFO, another size: not this copy, and
    nothing that is opened). Raises OSError."""
    before = os.lstat(final)
    if not stat.S_ISREG(before.st_mode) or before.st_size != size:
        return None
    return before


def read_taken(
    final: Path,
    before: os.stat_result,
    formats: Sequence[str],
    *,
    chunk_size: int,
    cancel: CancelToken,
) -> tuple[dict[str, str], CacheBypass] | None:
    """The digests (*formats*) of the regular file at *final*, as *before* showed it
    (``look_at_taken``), read back from the media, and how the read avoided the caches;
    None where it was replaced or changed since *before* (``_unchanged``). Raises OSError
    from the reads and the look after them, CancelledError once *cancel* is set (checked
    at each chunk: a 100 GB clip is not read to its end)."""

    def stop_on_cancel(_nbytes: int) -> None:
        if cancel.cancelled:
            raise CancelledError("cancelled", path=final)

    hasher = MediaHasher(chunk_size=chunk_size)
    try:
        digests = hasher(final, formats, stop_on_cancel)
    finally:
        hasher.close()
    # The read followed the name: the same file, unchanged, before and after it, or no answer.
    if not _unchanged(before, os.lstat(final)):
        return None
    return digests, hasher.last_bypass


def give_source_date(final: Path, mtime_ns: int) -> str | None:
    """Give the kept file at *final* the source's date (*mtime_ns*), as a copy already there
    is given it (``existing``) and a copy of this run's own has it; the error's words, or
    None. One that has the date already needs none (a read-only drive may hold it); on a
    read-only drive (EROFS) one dated otherwise is not kept, the words saying what to do.
    One dated already is not touched at all: every utime changes the file's ctime, and
    another copy racing to the same name reads this file back (``read_taken``) and refuses
    it when its ctime changed during that read (``_unchanged``), a file exactly the source."""
    try:
        if os.lstat(final).st_mtime_ns == mtime_ns:
            return None
    except OSError:
        pass  # the utime below says what is wrong
    try:
        os.utime(final, ns=(mtime_ns, mtime_ns), follow_symlinks=False)
    except OSError as exc:
        try:
            if os.lstat(final).st_mtime_ns == mtime_ns:
                return None
        except OSError:
            pass
        if exc.errno == errno.EROFS:
            return (
                f"{final} already holds this file (read back: equal to the source), but its "
                "date is not the source's and cannot be set: its drive is read-only (EROFS); "
                "remount it read-write and run the same command again, or leave this "
                "destination out"
            )
        return f"cannot record {final} as verified: {describe_os_error(exc)}"
    return None


def make_taken_durable(final: Path) -> None:
    """Fsync the file at *final* (opened read-only, not followed): the other writer need
    not have synced it (``-noflush_dest``, another tool): what was read back may not be
    on the medium yet (a drive's cache, the file's size in the journal). Raises OSError."""
    fd = os.open(final, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        full_fsync(fd)
    finally:
        os.close(fd)


def _unchanged(before: os.stat_result, after: os.stat_result) -> bool:
    """The same regular file, not written to meanwhile: its identity, size and times. The
    inode alone missed a file rewritten in place (its size kept), or renamed away and
    back, while it was read: the hasher opens it by name."""
    return stat.S_ISREG(after.st_mode) and (
        before.st_dev,
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
        before.st_ctime_ns,
    ) == (after.st_dev, after.st_ino, after.st_size, after.st_mtime_ns, after.st_ctime_ns)
