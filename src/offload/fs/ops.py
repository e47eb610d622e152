"""Durability and atomicity primitives: rename without replacing, fsync of folders, syncfs.

The OS calls only; which of them a destination uses, and when, is decided by the local
destination backend (``offload.destinations.local``) from its ``Features``. Linux-first;
each call documents its fallback where a filesystem (FUSE, exFAT) lacks a feature, and the
macOS equivalent (``renamex_np(RENAME_EXCL)``, ``fcntl(F_FULLFSYNC)``, ``F_NOCACHE``).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import sys
from pathlib import Path

from offload.fs.direct import PAGE_SIZE

# The C library this process already uses (dlopen(NULL)): find_library("c") would run
# `ldconfig -p` in a subprocess at every start-up.
_libc = ctypes.CDLL(None, use_errno=True)
_HAS_RENAMEAT2 = hasattr(_libc, "renameat2")
# Looked up once: each ``_libc.renameat2`` went through ``CDLL.__getattr__``'s hook, and
# ``os.fsencode`` is a Python function; a rename a file (docs/performance.md, "The
# committer: fifteenth pass").
_renameat2 = _libc.renameat2 if _HAS_RENAMEAT2 else None
_FS_ENCODING = sys.getfilesystemencoding()
_FS_ERRORS = sys.getfilesystemencodeerrors()
HAS_SYNCFS = hasattr(_libc, "syncfs")  # Linux only
_sync_file_range = getattr(_libc, "sync_file_range", None)  # Linux only
if _sync_file_range is not None:
    _sync_file_range.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
_SYNC_FILE_RANGE_WRITE = 2
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1

# Filesystems answer an unsupported renameat2 flag with one of these.
_NO_RENAMEAT2 = frozenset({errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP})
# Filesystems without hard links (exFAT, FAT, some FUSE) answer link() with one of these.
_NO_LINKS = frozenset(
    {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK, errno.EXDEV}
)


def rename_noreplace(
    source: Path | str, target: Path | str, *, renameat2: bool = True, links: bool = True
) -> None:
    """Atomically rename *source* to *target*, failing with FileExistsError if *target* exists.

    Tries ``renameat2(RENAME_NOREPLACE)`` (unless *renameat2* is False, or the C library has
    none: macOS's equivalent is ``renamex_np(RENAME_EXCL)``); where the filesystem refuses
    the flag, falls back to ``link()`` + ``unlink()`` (also atomic against an existing target;
    unless *links* is False); where it has no hard links either (exfat-fuse, fusefat, some
    other FUSE filesystems), to an existence check followed by ``rename()``: not atomic.
    Another writer creating the same name in that instant, another program or another run
    of offload-ai (two ``pfndispatchcopy`` to one target), may pass the check too, and the
    second rename replaces the first's file (README: never two copies to one name at once
    there). On a case-insensitive filesystem the existence check sees
    ``CLIP.MOV`` when asked for ``clip.mov``. Raises OSError for any other failure.
    """
    if renameat2 and _renameat2 is not None:
        # ``_encoded`` written out for texts (the committer's, a rename a file: two calls a
        # file less; docs/performance.md, "A few calls a file less": thirty-second pass).
        result = _renameat2(
            _AT_FDCWD,
            source.encode(_FS_ENCODING, _FS_ERRORS) if type(source) is str else _encoded(source),
            _AT_FDCWD,
            target.encode(_FS_ENCODING, _FS_ERRORS) if type(target) is str else _encoded(target),
            _RENAME_NOREPLACE,
        )
        if result == 0:
            return
        code = ctypes.get_errno()
        if code not in _NO_RENAMEAT2:
            raise OSError(code, os.strerror(code), str(source), None, str(target))
    if links:
        try:
            os.link(source, target, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
        else:
            os.unlink(source)
            return
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    os.rename(source, target)


def _encoded(path: Path | str) -> bytes:
    """``os.fsencode`` of *path*, a text's without the Python call."""
    if type(path) is str:
        return path.encode(_FS_ENCODING, _FS_ERRORS)
    return os.fsencode(path)


def fsync_dir(path: str | Path) -> None:
    """fsync a directory so that the names created or renamed in it are durable.

    Raises OSError. A filesystem that cannot fsync a directory (EINVAL on some FUSE) is taken
    as having nothing to flush.
    """
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
            raise
    finally:
        os.close(fd)


def make_folders_durable(folder: Path) -> None:
    """``makedirs(folder, exist_ok=True)`` whose new names survive a power cut: each folder
    it created is fsynced, deepest first, then the folder that held the topmost (a created
    folder is its child's parent: each fsynced once). Nothing is fsynced when *folder*
    exists. Raises OSError (and whatever ``fsync_dir`` raises)."""
    missing: list[Path] = []
    probe = folder
    while not probe.is_dir():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    if not missing:
        return
    os.makedirs(folder, exist_ok=True)
    for created in [*missing, missing[-1].parent]:
        fsync_dir(created)


def make_folder_durable(folder: Path) -> None:
    """``mkdir(folder)`` (never the folders above it, as ``mkdir`` without ``-p``) whose new
    name survives a power cut: the folder and the one that holds it fsynced. Nothing when
    *folder* is a folder already. Raises OSError: FileNotFoundError when the folder that
    would hold it is gone (a drive unmounted since: never made anew on the disk below)."""
    if folder.is_dir():
        return
    try:
        os.mkdir(folder)
    except FileExistsError:
        if not folder.is_dir():
            raise
        return  # made meanwhile by another run
    fsync_dir(folder)
    fsync_dir(folder.parent)


def syncfs(fd: int) -> None:
    """Flush the whole filesystem that *fd* lives on (one call instead of one fsync a file).

    Raises OSError. Note: syncfs reports writeback errors only since Linux 5.8, so callers
    still fsync each file after it (cheap once the data is clean) to collect per-file errors.
    """
    if _libc.syncfs(fd) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def start_writeback(fd: int) -> None:
    """Ask the kernel to start writing *fd*'s dirty pages back now, without waiting
    (``sync_file_range(SYNC_FILE_RANGE_WRITE)``): a hint, never a durability point, so every
    error (and a system without the call) is ignored; the file's ``fsync`` still makes it
    durable and reports its errors. Called on several files before they are fsynced one by
    one, it lets ext4 place all their blocks in one journal transaction, which the first
    ``fsync`` commits: the others then need no commit of their own, only a cache flush
    (docs/performance.md, "The end's fsyncs: eighteenth pass": 10 device flushes for four
    documents in two folders, 7-8 with it)."""
    if _sync_file_range is None:
        return
    _sync_file_range(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)


def full_fsync(fd: int) -> None:
    """Make a file's data durable on the medium: ``fsync`` on Linux; on macOS, where fsync
    only reaches the drive's cache, ``fcntl(F_FULLFSYNC)``. Raises OSError (final: never
    retried into a success)."""
    full = getattr(fcntl, "F_FULLFSYNC", None)
    if full is None:
        os.fsync(fd)
    else:
        fcntl.fcntl(fd, full)


def drop_cache(fd: int) -> None:
    """Ask the kernel to drop the file's clean pages (after fsync) so a re-read hits the media."""
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


_PROT_READ = 1
_MAP_SHARED = 1
_MAP_FAILED = ctypes.c_void_p(-1).value
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]


_LOWEST_BIT = bytes(byte & 1 for byte in range(256))


def cached_pages(fd: int, size: int) -> int | None:
    """How many pages of the file are in the page cache now (``mincore``), None if unknown.

    Used to record honestly whether a ``POSIX_FADV_DONTNEED`` really emptied the cache (it
    cannot on tmpfs, where the cache is the storage).
    """
    if size <= 0:
        return 0
    address = _libc.mmap(None, size, _PROT_READ, _MAP_SHARED, fd, 0)
    if address is None or address == _MAP_FAILED:
        return None
    try:
        pages = (size + PAGE_SIZE - 1) // PAGE_SIZE
        vector = ctypes.create_string_buffer(pages)
        if _libc.mincore(address, size, vector) != 0:
            return None
        # A page is resident when its byte's lowest bit is set (the others are reserved):
        # counted in C (a Python loop over the bytes was ~2 µs a small file's read-back).
        return vector.raw.translate(_LOWEST_BIT).count(1)
    finally:
        _libc.munmap(address, size)


class _StatFs(ctypes.Structure):
    _fields_ = [
        ("f_type", ctypes.c_long),
        ("f_bsize", ctypes.c_long),
        ("f_blocks", ctypes.c_ulong),
        ("f_bfree", ctypes.c_ulong),
        ("f_bavail", ctypes.c_ulong),
        ("f_files", ctypes.c_ulong),
        ("f_ffree", ctypes.c_ulong),
        ("f_fsid", ctypes.c_int * 2),
        ("f_namelen", ctypes.c_long),
        ("f_frsize", ctypes.c_long),
        ("f_flags", ctypes.c_long),
        ("f_spare", ctypes.c_long * 4),
    ]


_libc.fstatfs.argtypes = [ctypes.c_int, ctypes.POINTER(_StatFs)]


def filesystem_magic(fd: int) -> int | None:
    """``f_type`` of the filesystem holding *fd* (``fstatfs``), None if unknown."""
    buffer = _StatFs()
    if _libc.fstatfs(fd, ctypes.byref(buffer)) != 0:
        return None
    return int(buffer.f_type) & 0xFFFFFFFF


def mount_id(path: Path | str | int) -> int | None:
    """The id of the mount *path* (or the open descriptor *path*) is on (Linux: ``mnt_id``
    in ``/proc/self/fdinfo``, what ``statx``'s ``STATX_MNT_ID`` answers), None where unknown
    (another system, no ``/proc``). Two paths with one mount id are on one superblock (one
    ``syncfs`` covers both); two ids may still be one superblock (a bind mount). Raises
    OSError if *path* cannot be opened."""
    if isinstance(path, int):
        return _fd_mount_id(path)
    flags = getattr(os, "O_PATH", 0)
    if not flags:
        return None
    fd = os.open(path, flags | os.O_CLOEXEC)
    try:
        return _fd_mount_id(fd)
    finally:
        os.close(fd)


def _fd_mount_id(fd: int) -> int | None:
    try:
        with open(f"/proc/self/fdinfo/{fd}", "rb") as info:
            for line in info:
                if line.startswith(b"mnt_id:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None
