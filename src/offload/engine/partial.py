"""One file being written on one destination: partial name → write → sync → commit.

Nothing incomplete ever carries the final name: data goes to a hidden partial file in the
final folder (created with O_EXCL), which is renamed to the final name only after the caller
verified it, without replacing an existing file unless asked.
"""

from __future__ import annotations

import errno
import itertools
import os
import secrets
from pathlib import Path

from offload.fs.direct import O_DIRECT, PAGE_SIZE, disable_direct
from offload.fs.ops import rename_noreplace
from offload.options import ExistingFilePolicy

PARTIAL_PREFIX = ".offload-partial."
_NAME_MAX = 255


# What a partial's name adds to the final name, at most: prefix, token (6 + up to 16 hex
# digits of the counter) and a dot. Name checks before copying leave this much room.
PARTIAL_NAME_OVERHEAD = len(PARTIAL_PREFIX) + 6 + 16 + 1
_RUN_TOKEN = secrets.token_hex(3)  # per process: partials of two runs never share a name
_SERIAL = itertools.count()


def partial_name(final_name: str) -> str:
    """A hidden, unique name for the partial of *final_name*, within NAME_MAX bytes.

    A per-process random token and a counter (one urandom call a file was measurable on cards
    of small files); O_EXCL at creation guards against any collision anyway.
    """
    token = f"{_RUN_TOKEN}{next(_SERIAL):x}"
    stem = f"{PARTIAL_PREFIX}{token}."
    budget = _NAME_MAX - len(stem.encode())
    encoded = final_name.encode("utf-8", "surrogateescape")[:budget]
    return stem + encoded.decode("utf-8", "ignore")


def is_partial_name(name: str) -> bool:
    return name.startswith(PARTIAL_PREFIX)


def keep_both_name(final_path: Path, attempt: int) -> Path:
    """``clip.mov`` → ``clip (1).mov`` (attempt 1), ``clip (2).mov`` ..."""
    suffix = "".join(final_path.suffixes[-1:])
    stem = final_path.name[: len(final_path.name) - len(suffix)] if suffix else final_path.name
    return final_path.with_name(f"{stem} ({attempt}){suffix}")


class PartialFile:
    """The lifecycle of one partial file. Owned by one thread; not thread-safe.

    Every method raises OSError from the OS as is; the caller wraps it with the destination
    and decides the scope. ``discard()`` never raises and is safe to call at any point.
    """

    def __init__(self, final_path: Path, *, write_call_size: int, direct: bool = False) -> None:
        self.final_path = final_path
        self.partial_path = final_path.with_name(partial_name(final_path.name))
        self.committed_path: Path | None = None
        self.target_path = final_path  # the name it will get (see choose_target)
        self.bytes_written = 0
        self._write_call_size = write_call_size
        self._want_direct = direct
        self.direct = False  # O_DIRECT in effect for the aligned part of the data
        self._fd: int | None = None
        self.created_dirs: list[Path] = []

    def create(self, *, folder_exists: bool = False) -> None:
        """Create the final folder if needed and the partial file (O_EXCL).

        ``folder_exists``: the caller knows the folder is there (saves a stat a file). With
        ``direct``, opens with O_DIRECT where the filesystem accepts it.
        """
        folder = self.final_path.parent
        if not folder_exists and not folder.is_dir():
            missing: list[Path] = []
            cursor = folder
            while not cursor.exists():
                missing.append(cursor)
                cursor = cursor.parent
            os.makedirs(folder, exist_ok=True)
            self.created_dirs = list(reversed(missing))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        if self._want_direct and O_DIRECT:
            try:
                self._fd = os.open(self.partial_path, flags | O_DIRECT, 0o666)
                self.direct = True
                return
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                # EINVAL from open with O_DIRECT: the file may exist now; start over plainly.
                if os.path.lexists(self.partial_path):
                    os.unlink(self.partial_path)
        self._fd = os.open(self.partial_path, flags, 0o666)

    def write(self, data: memoryview) -> None:
        """Write all of *data*; short writes loop.

        Page-aligned data (every chunk but a file's last) goes in one O_DIRECT call when
        direct I/O is in effect; anything else turns O_DIRECT off and is written in calls of at
        most write_call_size bytes (the kernel's fast path for buffered writes).
        """
        assert self._fd is not None
        position = 0
        total = len(data)
        if self.direct and (total % PAGE_SIZE or self.bytes_written % PAGE_SIZE):
            self._stop_direct()
        while position < total:
            if self.direct:
                try:
                    written = os.write(self._fd, data[position:])
                except OSError as exc:
                    if exc.errno not in (errno.EINVAL, errno.EIO):
                        raise
                    # EINVAL: the filesystem refuses direct writes after all. EIO: FUSE turns
                    # a short direct write into EIO. Either way the chunk (not yet counted;
                    # the file offset did not move) is written again buffered, once: a real
                    # media error fails again there, or at fsync, or at read-back.
                    self._stop_direct()
                    continue
                if written % PAGE_SIZE:
                    self._stop_direct()
            else:
                end = min(position + self._write_call_size, total)
                written = os.write(self._fd, data[position:end])
            if written <= 0:
                raise OSError(errno.EIO, "write() wrote nothing", str(self.partial_path))
            position += written
        self.bytes_written += total

    def _stop_direct(self) -> None:
        assert self._fd is not None
        disable_direct(self._fd)
        self.direct = False

    def set_mtime(self, mtime_ns: int) -> None:
        assert self._fd is not None
        os.utime(self._fd, ns=(mtime_ns, mtime_ns))

    @property
    def fd(self) -> int:
        assert self._fd is not None
        return self._fd

    def sync(self) -> None:
        """fsync the data. A failure is final: the data may be lost (never retried)."""
        assert self._fd is not None
        os.fsync(self._fd)

    def size_on_disk(self) -> int:
        assert self._fd is not None
        return os.fstat(self._fd).st_size

    def close(self) -> None:
        """Close the descriptor; close() can report a deferred write error (NFS, FUSE)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def choose_target(self, policy: ExistingFilePolicy) -> Path:
        """Decide the name the file will get (before the ledger records it).

        FAIL and OVERWRITE: the final name. KEEP_BOTH: the final name if free, else the first
        free "name (n).ext". Raises FileExistsError when no name is free.
        """
        self.target_path = self.final_path
        if policy is ExistingFilePolicy.KEEP_BOTH:
            attempt = 0
            while os.path.lexists(self.target_path):
                attempt += 1
                if attempt > 9999:
                    raise FileExistsError(errno.EEXIST, "no free name", str(self.final_path))
                self.target_path = keep_both_name(self.final_path, attempt)
        return self.target_path

    def commit(self, policy: ExistingFilePolicy) -> Path:
        """Rename the partial to the chosen target name (``choose_target``); returns it.

        FAIL and KEEP_BOTH never replace: FileExistsError if the name exists now (also when it
        differs only by case on a case-insensitive filesystem). OVERWRITE replaces atomically.
        """
        self.close()
        target = self.target_path
        if policy is ExistingFilePolicy.OVERWRITE:
            os.replace(self.partial_path, target)
        else:
            rename_noreplace(self.partial_path, target)
        self.committed_path = target
        return target

    def discard(self) -> None:
        """Close and delete the partial (if not committed). Never raises."""
        try:
            self.close()
        except OSError:
            pass
        if self.committed_path is None:
            try:
                os.unlink(self.partial_path)
            except OSError:
                pass
