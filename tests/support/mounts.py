"""Real mounts for tests: tmpfs, ext4, exFAT, NTFS, FAT (fusefat) and btrfs images, a private
mount namespace, cache helpers.

Every mount helper is a context manager whose exit unmounts (lazily if busy) and releases its
loop device, with a timeout on every external command, so neither a failing test nor a hung
filesystem can leak a mount or hang the run. As a second line of defence the test session runs
in a private mount namespace (``enter_private_mount_namespace``, called by tests/conftest.py):
whatever is still mounted when pytest exits disappears with it.

All of this needs root; ``unavailable_reason`` says why a helper cannot run.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import gc
import mmap
import os
import re
import shutil
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

COMMAND_TIMEOUT_S = 60.0
MOUNT_TIMEOUT_S = 15.0
EXIT_TIMEOUT_S = 5.0
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.mount.argtypes = [
    ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p,
]  # fmt: skip
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]

CLONE_NEWNS = 0x00020000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
MS_MOVE = 0x2000

FS_IOC_FIEMAP = 0xC020660B
FIEMAP_FLAG_SYNC = 0x1
FIEMAP_EXTENT_LAST = 0x1
FIEMAP_EXTENT_UNMAPPED_FLAGS = 0x2 | 0x4 | 0x8 | 0x100 | 0x200 | 0x800
"""UNKNOWN, DELALLOC, ENCODED, NOT_ALIGNED, DATA_INLINE, UNWRITTEN: no plain image offset."""
_FIEMAP_HEADER = struct.Struct("=QQIIII")
_FIEMAP_EXTENT = struct.Struct("=QQQ16xI12x")

TOOLS = {
    "tmpfs": (),
    "bind": (),
    "ext4": ("mkfs.ext4", "mount"),
    "exfat": ("losetup", "mkfs.exfat", "mount.exfat-fuse"),
    "ntfs": ("losetup", "mkfs.ntfs", "ntfs-3g"),
    "fusefat": ("mkfs.vfat", "fusefat"),
    "btrfs": ("mkfs.btrfs", "mount"),
}
PACKAGES = {
    "mkfs.ext4": "e2fsprogs",
    "mount": "mount",
    "losetup": "mount",
    "mkfs.exfat": "exfatprogs",
    "mount.exfat-fuse": "exfat-fuse",
    "mkfs.ntfs": "ntfs-3g",
    "ntfs-3g": "ntfs-3g",
    "mkfs.vfat": "dosfstools",
    "fusefat": "fusefat",
    "mkfs.btrfs": "btrfs-progs",
}


class MountError(RuntimeError):
    """A mount helper could not set up its filesystem."""


# -- discovery --------------------------------------------------------------------------------


def which(tool: str) -> str | None:
    """Full path of ``tool``, also looking in the sbin directories a CI PATH may lack."""
    return shutil.which(tool, path=os.environ.get("PATH", "") + ":" + SBIN_PATH)


def unavailable_reason(kind: str) -> str | None:
    """Why ``kind`` (a key of ``TOOLS``) cannot be mounted here, or None if it can."""
    if os.geteuid() != 0:
        return f"mounting {kind} needs root; CI runs as root"
    missing = [tool for tool in TOOLS[kind] if which(tool) is None]
    if missing:
        packages = sorted({PACKAGES[tool] for tool in missing})
        return f"{', '.join(missing)} not found (Debian: apt-get install {' '.join(packages)})"
    if kind in ("exfat", "ntfs", "fusefat") and not os.path.exists("/dev/fuse"):
        return f"/dev/fuse is missing: {kind} is mounted through FUSE"
    return None


def _run(*args: str, timeout_s: float = COMMAND_TIMEOUT_S) -> str:
    tool = which(args[0])
    if tool is None:
        raise MountError(f"{args[0]} not found")
    try:
        done = subprocess.run(
            [tool, *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise MountError(f"{' '.join(args)} timed out after {timeout_s} s") from exc
    if done.returncode != 0:
        raise MountError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _mountinfo_unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo (octal).
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mount_entry(path: Path | str) -> dict[str, str] | None:
    """The /proc/self/mountinfo entry of ``path`` (top-most), or None if not a mount point.

    Reads the table instead of stat()ing, so it cannot hang on a dead FUSE mount.
    """
    wanted = os.path.realpath(os.fspath(path))
    found = None
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as info:
        for line in info:
            fields = line.split()
            if _mountinfo_unescape(fields[4]) != wanted:
                continue
            rest = fields[fields.index("-") + 1 :]
            found = {"fstype": rest[0], "source": _mountinfo_unescape(rest[1]), "options": rest[2]}
    return found


def is_mounted(path: Path | str) -> bool:
    """Whether something is mounted at ``path`` (from mountinfo: no stat, no hang)."""
    return mount_entry(path) is not None


def unmount(path: Path | str) -> None:
    """Unmount ``path``, detaching lazily if still busy once this process's garbage is
    collected; nothing if nothing is mounted there.

    Never blocks on a hung or dead FUSE daemon: umount2 does not wait for it.
    """
    target = os.fsencode(os.path.realpath(os.fspath(path)))
    for attempt, flags in enumerate((0, 0, MNT_DETACH)):
        if _libc.umount2(target, flags) == 0:
            return
        code = ctypes.get_errno()
        if code in (errno.EINVAL, errno.ENOENT):
            return  # not (or no longer) a mount point
        if code != errno.EBUSY:
            raise OSError(code, f"umount {os.fspath(path)}: {os.strerror(code)}")
        if attempt == 0:
            # A test's objects in a reference cycle (a CopyJob and its LocalDestination) keep
            # the descriptors they opened on the mount (a SharedSyncfs's, closed by its
            # finaliser) until the collector runs: a lazy unmount then left the mount alive
            # and its FUSE daemon waited out (FaultyFS's EXIT_TIMEOUT_S, 5 s a test).
            gc.collect()
    raise OSError(errno.EBUSY, f"umount {os.fspath(path)}: still busy")


def detach(path: Path | str) -> None:
    """Unmount ``path`` lazily (``umount2(MNT_DETACH)``, what ``umount -l`` does): open files
    stay on the detached filesystem, new lookups of ``path`` see the folder below."""
    if _libc.umount2(os.fsencode(os.fspath(path)), MNT_DETACH) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"umount -l {os.fspath(path)}: {os.strerror(code)}")


def move_mount(source: Path | str, target: Path | str) -> None:
    """Move the filesystem mounted at ``source`` to ``target`` (``mount --move``)."""
    if (
        _libc.mount(
            os.fsencode(os.fspath(source)), os.fsencode(os.fspath(target)), None, MS_MOVE, None
        )
        != 0
    ):
        code = ctypes.get_errno()
        raise OSError(code, f"mount --move {source} {target}: {os.strerror(code)}")


# -- mount objects ------------------------------------------------------------------------


@dataclass
class Mount:
    """A mounted filesystem: its mount point, type and source."""

    path: Path
    fstype: str
    source: str

    def statvfs(self) -> os.statvfs_result:
        return os.statvfs(self.path)

    def is_mounted(self) -> bool:
        return is_mounted(self.path)


def leave_free_inodes(drive: Path, free: int) -> None:
    """Fill *drive* with empty files in ``drive/filler`` (made if gone) until *free* inodes
    are left (``f_favail``: a filesystem with a fixed number, tmpfs with ``nr_inodes``)."""
    filler = drive / "filler"
    filler.mkdir(exist_ok=True)
    while os.statvfs(drive).f_favail > free:
        (filler / str(os.statvfs(drive).f_favail)).touch()


@dataclass(frozen=True)
class Extent:
    """One FIEMAP extent of a file: byte offsets in the file and in the device (image)."""

    logical: int
    physical: int
    length: int
    flags: int


def file_extents(path: Path | str, *, max_extents: int = 256, sync: bool = True) -> list[Extent]:
    """The extents of ``path`` from the FIEMAP ioctl, after syncing the file (no delalloc);
    ``sync=False``: as they are now (an extent not yet allocated is flagged so)."""
    buf = bytearray(_FIEMAP_HEADER.size + _FIEMAP_EXTENT.size * max_extents)
    flags = FIEMAP_FLAG_SYNC if sync else 0
    _FIEMAP_HEADER.pack_into(buf, 0, 0, 2**64 - 1, flags, 0, max_extents, 0)
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.ioctl(fd, FS_IOC_FIEMAP, buf, True)
    finally:
        os.close(fd)
    mapped = _FIEMAP_HEADER.unpack_from(buf, 0)[3]
    extents = []
    for i in range(mapped):
        logical, physical, length, flags = _FIEMAP_EXTENT.unpack_from(
            buf, _FIEMAP_HEADER.size + i * _FIEMAP_EXTENT.size
        )
        extents.append(Extent(logical, physical, length, flags))
    return extents


@dataclass
class Ext4Loop(Mount):
    """An ext4 filesystem in ``image``, mounted through a loop device (autoclear)."""

    image: Path

    def physical_offset(self, file: Path | str, offset: int) -> int:
        """Byte offset in the image of byte ``offset`` of ``file`` (a path in the mount)."""
        for extent in file_extents(file):
            if extent.logical <= offset < extent.logical + extent.length:
                if extent.flags & FIEMAP_EXTENT_UNMAPPED_FLAGS:
                    raise MountError(f"{file}: extent flags {extent.flags:#x} have no offset")
                return extent.physical + offset - extent.logical
        raise MountError(f"{file}: offset {offset} is not allocated")

    def flip_bit(self, file: Path | str, offset: int, *, bit: int = 0) -> int:
        """Flip one bit of ``file`` at ``offset`` by writing the image under the mounted fs.

        Bit rot after the copy: the filesystem does not know. A read served from the page cache
        still shows the good byte; one that bypasses it (O_DIRECT, or POSIX_FADV_DONTNEED
        first: ``read_direct``/``read_uncached``) shows the flipped one. Returns the image
        offset written.
        """
        where = self.physical_offset(file, offset)
        fd = os.open(self.image, os.O_RDWR)
        try:
            (old,) = os.pread(fd, 1, where)
            os.pwrite(fd, bytes([old ^ (1 << bit)]), where)
            os.fsync(fd)
        finally:
            os.close(fd)
        return where


@dataclass
class ExfatLoop(Mount):
    """An exFAT filesystem in ``image`` on loop ``device``, served by mount.exfat-fuse."""

    image: Path
    device: str
    pid: int


# -- mount helpers ------------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, size_bytes: int, nr_inodes: int | None = None) -> Iterator[Mount]:
    """Mount a tmpfs of ``size_bytes`` (rounded up to pages) and at most ``nr_inodes`` inodes.

    Writes past the size fail with ENOSPC; creating a file past the inode limit fails with
    ENOSPC too (the root directory uses one inode).
    """
    reason = unavailable_reason("tmpfs")
    if reason:
        raise MountError(reason)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size_bytes},mode=0755"
    if nr_inodes is not None:
        options += f",nr_inodes={nr_inodes}"
    if _libc.mount(b"tmpfs", os.fsencode(path), b"tmpfs", 0, options.encode()) != 0:
        code = ctypes.get_errno()
        raise MountError(f"mount tmpfs on {path}: {os.strerror(code)}")
    try:
        yield Mount(path, "tmpfs", "tmpfs")
    finally:
        unmount(path)


@contextlib.contextmanager
def bind_mount(source: Path, path: Path) -> Iterator[Mount]:
    """Bind-mount the folder ``source`` at ``path``: the same folder reached by a second
    path, which no ``..`` from ``path`` leads back from. A file ``source`` is bound over the
    file ``path``, which must be there (a fake ``/etc/fstab`` inside the session's private
    mount namespace)."""
    reason = unavailable_reason("bind")
    if reason:
        raise MountError(reason)
    path = Path(path)
    if not Path(source).is_file():
        path.mkdir(parents=True, exist_ok=True)
    if _libc.mount(os.fsencode(source), os.fsencode(path), None, MS_BIND, None) != 0:
        code = ctypes.get_errno()
        raise MountError(f"mount --bind {source} {path}: {os.strerror(code)}")
    try:
        yield Mount(path, "bind", str(source))
    finally:
        unmount(path)


@contextlib.contextmanager
def ext4_loop(
    path: Path,
    size_bytes: int,
    *,
    image: Path | None = None,
    mkfs_args: tuple[str, ...] = (),
) -> Iterator[Ext4Loop]:
    """Make an ext4 image (``mkfs.ext4 -m 0``: root gets no reserved blocks) and mount it.

    ``image`` defaults to ``<path>.ext4.img`` beside the mount point; it is deleted on exit.
    ``mkfs_args`` are passed on to mkfs.ext4 (``("-N", "64")``: few inodes; ``("-b",
    "4096")``). Takes about 0.1 s for a few MiB.
    """
    reason = unavailable_reason("ext4")
    if reason:
        raise MountError(reason)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    image = Path(image) if image is not None else path.with_name(path.name + ".ext4.img")
    try:
        with open(image, "wb") as handle:
            handle.truncate(size_bytes)
        _run("mkfs.ext4", "-q", "-F", "-m", "0", "-E", "nodiscard", *mkfs_args, str(image))
        _run("mount", "-o", "loop", str(image), str(path))
        entry = mount_entry(path) or {}
        try:
            yield Ext4Loop(path, "ext4", entry.get("source", ""), image)
        finally:
            unmount(path)
    finally:
        image.unlink(missing_ok=True)


@contextlib.contextmanager
def exfat_loop(
    path: Path,
    size_bytes: int,
    *,
    image: Path | None = None,
    cluster: str | None = None,
    label: str | None = None,
    serial: int | None = None,
) -> Iterator[ExfatLoop]:
    """Make an exFAT image on a loop device and mount it with ``mount.exfat-fuse``;
    *cluster*: its cluster size (``mkfs.exfat -c 64K``), else mkfs.exfat's default;
    *label*: its volume label (``mkfs.exfat -L``), else none; *serial*: its volume serial
    (``tune.exfat -I``), else the one mkfs.exfat makes from the clock, which two images
    formatted within the same instant share (a test of two cards told apart by their
    serials must give each its own).

    The kernel here has no exFAT driver and exfat-fuse wants a block device, hence the loop
    device. It is marked autoclear once mounted, so it vanishes with the FUSE daemon even if
    this process dies. Takes about 0.2 s.
    """
    with _fuseblk_loop(
        "exfat",
        Path(path),
        size_bytes,
        Path(image) if image is not None else None,
        ["mkfs.exfat", *(("-c", cluster) if cluster else ()), *(("-L", label) if label else ())],
        lambda device, mount: ["mount.exfat-fuse", "-d", device, mount],
        () if serial is None else (["tune.exfat", "-I", f"{serial:#010x}"],),
    ) as loop:
        yield loop


@contextlib.contextmanager
def _fuseblk_loop(
    kind: str,
    path: Path,
    size_bytes: int,
    image: Path | None,
    mkfs: list[str],
    daemon: Callable[[str, str], list[str]],
    tunes: Iterable[list[str]] = (),
) -> Iterator[ExfatLoop]:
    """An image of *kind* (``<path>.<kind>.img`` unless *image*) on a loop device, made by
    *mkfs* (the device appended), changed by each of *tunes* (the device appended) and
    mounted by the FUSE program *daemon* (device, mount point) returns; the loop device
    autoclears with the daemon."""
    reason = unavailable_reason(kind)
    if reason:
        raise MountError(reason)
    path.mkdir(parents=True, exist_ok=True)
    image = image if image is not None else path.with_name(f"{path.name}.{kind}.img")
    with open(image, "wb") as handle:
        handle.truncate(size_bytes)
    device = ""
    try:
        device = _run("losetup", "-f", "--show", str(image)).strip()
        _run(*mkfs, device)
        for tune in tunes:
            _run(*tune, device)
        with _fuse_daemon(daemon(device, str(path)), path) as pid:
            # A detach of a busy loop device only marks it autoclear: it goes with its user.
            _run("losetup", "-d", device)
            yield ExfatLoop(path, "fuseblk", device, image, device, pid)
    finally:
        if device:
            _detach_if_backed_by(device, image)
        image.unlink(missing_ok=True)


@contextlib.contextmanager
def exfat_replugged(loop: ExfatLoop) -> Iterator[ExfatLoop]:
    """*loop*'s drive unplugged and plugged in again: its exfat-fuse unmounted (the daemon
    gone, with what it held in memory), then its image mounted at the same path by a new
    exfat-fuse on a new loop device, which reads what the media hold."""
    unmount(loop.path)
    deadline = time.monotonic() + EXIT_TIMEOUT_S
    while time.monotonic() < deadline:  # the first daemon has written its last and exited
        try:
            state = Path(f"/proc/{loop.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            break
        if state in ("Z", "X"):
            break
        time.sleep(0.02)
    device = _run("losetup", "-f", "--show", str(loop.image)).strip()
    try:
        with _fuse_daemon(["mount.exfat-fuse", "-d", device, str(loop.path)], loop.path) as pid:
            _run("losetup", "-d", device)  # autoclear: it goes with the daemon
            yield ExfatLoop(loop.path, "fuseblk", device, loop.image, device, pid)
    finally:
        _detach_if_backed_by(device, loop.image)


@contextlib.contextmanager
def ext4_remounted(loop: Ext4Loop, path: Path) -> Iterator[Ext4Loop]:
    """*loop*'s filesystem unmounted and its image mounted again at *path* (the drive
    plugged in elsewhere: what the kernel kept in memory gone, what the disk holds read
    anew); unmounted from there at the end."""
    unmount(loop.path)
    path.mkdir(parents=True, exist_ok=True)
    _run("mount", "-o", "loop", str(loop.image), str(path))
    try:
        yield Ext4Loop(path, "ext4", (mount_entry(path) or {}).get("source", ""), loop.image)
    finally:
        unmount(path)


def _detach_if_backed_by(device: str, image: Path) -> None:
    """Detach loop *device* if it still holds *image*. Marked autoclear, it went with its
    FUSE daemon, and the kernel may since have given the same number to another test's image
    (the other xdist worker's): a blind ``losetup -d`` then detached that one under it (its
    mkfs saw a device of size 0: "invalid block device size")."""
    backing = Path("/sys/block") / os.path.basename(device) / "loop" / "backing_file"
    try:
        held = backing.read_text().strip()
    except OSError:  # detached already
        return
    if os.path.realpath(held.removesuffix(" (deleted)")) == os.path.realpath(image):
        with contextlib.suppress(MountError):
            _run("losetup", "-d", device)


@contextlib.contextmanager
def _fuse_daemon(argv: list[str], path: Path) -> Iterator[int]:
    """Run a FUSE program in the foreground (``argv``, its first item looked up by
    ``which``) until it has mounted ``path``; unmount and reap it on exit."""
    tool = which(argv[0])
    if tool is None:
        raise MountError(f"{argv[0]} not found")
    # The foreground option (-d, -f, no_detach) keeps the daemon a child, so it can be
    # reaped; setpriv makes the kernel SIGKILL it if this process dies first, so it cannot
    # keep the session's mount namespace (and its loop devices) alive.
    setpriv = which("setpriv")
    wrapper = [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [*wrapper, tool, *argv[1:]],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + MOUNT_TIMEOUT_S
            while not is_mounted(path):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode(errors="replace")[-4000:]
                    raise MountError(f"{' '.join(argv)} did not mount:\n{output}")
                time.sleep(0.02)
            yield proc.pid
        finally:
            unmount(path)
            try:
                proc.wait(timeout=EXIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=EXIT_TIMEOUT_S)


@contextlib.contextmanager
def ntfs_loop(path: Path, size_bytes: int) -> Iterator[ExfatLoop]:
    """Make an NTFS image on a loop device and mount it with ``ntfs-3g`` (type ``fuseblk``,
    as exfat-fuse's: only the device tells them apart). Its image is beside ``path``."""
    with _fuseblk_loop(
        "ntfs",
        Path(path),
        size_bytes,
        None,
        ["mkfs.ntfs", "-F", "-Q"],
        lambda device, mount: ["ntfs-3g", "-o", "no_detach", device, mount],
    ) as loop:
        yield loop


@contextlib.contextmanager
def ntfs_image_mount(path: Path, size_bytes: int) -> Iterator[Mount]:
    """Make an NTFS image file beside ``path`` and mount it there with ``ntfs-3g`` straight
    from the file, no loop device: the mount is type ``fuse`` (no subtype), its source the
    image's path, unlike :func:`ntfs_loop`'s ``fuseblk``."""
    reason = unavailable_reason("ntfs")
    if reason:
        raise MountError(reason)
    path.mkdir(parents=True, exist_ok=True)
    image = path.with_name(f"{path.name}.ntfs.img")
    with open(image, "wb") as handle:
        handle.truncate(size_bytes)
    try:
        _run("mkfs.ntfs", "-F", "-Q", str(image))
        with _fuse_daemon(["ntfs-3g", "-o", "no_detach", str(image), str(path)], path):
            yield Mount(path, "fuse", str(image))
    finally:
        image.unlink(missing_ok=True)


@contextlib.contextmanager
def rclone_view(backing: Path, path: Path) -> Iterator[Mount]:
    """Mount a view of the folder *backing* at *path* with ``rclone mount`` (type
    ``fuse.rclone``; no config: its local backend; writes cached beside *path*, so a file
    can be appended to): the same files, under inode numbers
    rclone makes up, as a share or a cloud mount shows them."""
    if which("rclone") is None:
        raise MountError("rclone not found")
    path.mkdir(parents=True, exist_ok=True)
    argv = ["rclone", "mount", "--config", "/dev/null", "--vfs-cache-mode", "writes"]
    argv += ["--cache-dir", str(path.with_name(path.name + ".cache")), str(backing), str(path)]
    with _fuse_daemon(argv, path):
        yield Mount(path, "fuse.rclone", str(backing))


@contextlib.contextmanager
def fusefat_mount(
    path: Path, size_bytes: int, *, fat_bits: int | None = None, folders: tuple[str, ...] = ()
) -> Iterator[Mount]:
    """Make a FAT image (``mkfs.vfat``, ``-F fat_bits`` when given: 12, 16 or 32) and mount
    it read-write with ``fusefat`` (type ``fuse.fusefat``, no loop device: fusefat reads the
    image file). On FAT32 fusefat reports a size of 0 blocks (``statvfs``). *folders*
    (paths from the root) are made first with mtools' ``mmd``, as Windows or a camera
    would: names fusefat cannot create (any that is not ASCII)."""
    reason = unavailable_reason("fusefat")
    if reason:
        raise MountError(reason)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    image = path.with_name(path.name + ".fat.img")
    with open(image, "wb") as handle:
        handle.truncate(size_bytes)
    try:
        _run("mkfs.vfat", *(("-F", str(fat_bits)) if fat_bits else ()), str(image))
        for folder in folders:
            _run("mmd", "-i", str(image), f"::/{folder}")
        with _fuse_daemon(["fusefat", "-f", "-o", "rw+", str(image), str(path)], path):
            yield Mount(path, "fuse.fusefat", "fusefat")
    finally:
        image.unlink(missing_ok=True)


@contextlib.contextmanager
def btrfs_loop(
    path: Path, size_bytes: int = 128 << 20, *, image: Path | None = None
) -> Iterator[Ext4Loop]:
    """Make a btrfs image (at least 114 MiB) and mount it through a loop device. Its
    ``st_dev`` is anonymous (``0:NN``): only the mount's source names the loop device and the
    disk under its image (which is where ``image`` is: by default beside ``path``)."""
    reason = unavailable_reason("btrfs")
    if reason:
        raise MountError(reason)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    image = Path(image) if image is not None else path.with_name(path.name + ".btrfs.img")
    try:
        with open(image, "wb") as handle:
            handle.truncate(size_bytes)
        _run("mkfs.btrfs", "-q", "-f", str(image))
        _run("mount", "-o", "loop", str(image), str(path))
        entry = mount_entry(path) or {}
        try:
            yield Ext4Loop(path, "btrfs", entry.get("source", ""), image)
        finally:
            unmount(path)
    finally:
        image.unlink(missing_ok=True)


def without_device(device: str) -> list[str]:
    """A command prefix that runs a program in a mount namespace of its own where
    ``device`` is ``/dev/null`` (a bind mount over its node): what a user outside the
    ``disk`` group sees of a device, which they cannot read."""
    tool = which("unshare")
    if tool is None:
        raise MountError("unshare not found")
    script = 'mount --bind /dev/null "$0" && exec "$@"'
    return [tool, "-m", "--propagation", "private", "sh", "-c", script, device]


def without_proc() -> list[str]:
    """A command prefix that runs a program in a mount namespace of its own where ``/proc``
    is not mounted (a container or a chroot without it)."""
    tool = which("unshare")
    if tool is None:
        raise MountError("unshare not found")
    script = 'umount -l /proc && exec "$@"'
    return [tool, "-m", "--propagation", "private", "sh", "-c", script, "sh"]


@dataclass
class LoopDisk(Mount):
    """ext4 on a loop device of its own (``device``, e.g. ``/dev/loop3``), its image on a
    tmpfs: a block device whose ``queue/rotational`` flag was set by the test."""

    device: str


@contextlib.contextmanager
def loop_disk(path: Path, size_bytes: int, *, rotational: bool) -> Iterator[LoopDisk]:
    """A real block device the kernel describes as spinning (*rotational*) or not.

    The image lives on a tmpfs beside ``path``, so no disk lies under the loop device and
    its own flag (written to ``/sys/block/loopN/queue/rotational``, as an administrator
    may) is all the kernel says about it. ext4 is made on it and mounted at ``path``; on
    exit it is unmounted and the loop device and the tmpfs released.
    """
    reason = unavailable_reason("ext4") or (None if which("losetup") else "losetup not found")
    if reason:
        raise MountError(reason)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    with tmpfs(path.with_name(path.name + ".backing"), size_bytes + (1 << 20)) as backing:
        image = backing.path / "disk.img"
        with open(image, "wb") as handle:
            handle.truncate(size_bytes)
        device = _run("losetup", "-f", "--show", str(image)).strip()
        try:
            flag = Path("/sys/block") / os.path.basename(device) / "queue" / "rotational"
            flag.write_text("1" if rotational else "0")
            _run("mkfs.ext4", "-q", "-F", "-m", "0", "-E", "nodiscard", device)
            _run("mount", device, str(path))
            try:
                yield LoopDisk(path, "ext4", device, device)
            finally:
                unmount(path)
        finally:
            _run("losetup", "-d", device)


# -- the session's mount namespace --------------------------------------------------------


@dataclass(frozen=True)
class NamespaceResult:
    """Outcome of ``enter_private_mount_namespace``."""

    entered: bool
    detail: str
    threads_left_behind: int = 0


def enter_private_mount_namespace() -> NamespaceResult:
    """Move this process into a new, private mount namespace (root only).

    unshare(CLONE_NEWNS) then make every mount private (``mount --make-rprivate /``), so the
    mounts made afterwards are invisible outside and vanish when the last process in the
    namespace exits; children started afterwards share it. unshare() only moves the calling
    thread: threads that already run stay in the old namespace (counted in
    ``threads_left_behind``), while threads started afterwards by the caller inherit the new
    one. Call it early, from the main thread, before any thread starts (pytest's conftest
    import is such a point). Never raises; the result says what happened.
    """
    if os.geteuid() != 0:
        return NamespaceResult(False, "not root: mounts are shared with the host")
    before = os.readlink("/proc/thread-self/ns/mnt")
    if _libc.unshare(CLONE_NEWNS) != 0:
        code = ctypes.get_errno()
        return NamespaceResult(False, f"unshare(CLONE_NEWNS) failed: {os.strerror(code)}")
    if _libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        code = ctypes.get_errno()
        return NamespaceResult(False, f"mount --make-rprivate / failed: {os.strerror(code)}")
    mine = os.readlink("/proc/thread-self/ns/mnt")
    left_behind = 0
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/task/{tid}/ns/mnt") != mine:
                left_behind += 1
    return NamespaceResult(True, f"private mount namespace {mine} (was {before})", left_behind)


# -- reading past the page cache --------------------------------------------------------------


def read_direct(path: Path | str, *, chunk_size: int = 1 << 20) -> bytes:
    """Read a whole file with O_DIRECT (page-aligned mmap buffer, os.preadv).

    The bytes come from the device, never from the page cache.
    """
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    try:
        with mmap.mmap(-1, chunk_size) as buf:
            out = bytearray()
            while True:
                count = os.preadv(fd, [buf], len(out))
                out += buf[:count]
                if count < chunk_size:
                    return bytes(out)
    finally:
        os.close(fd)


def drop_cache(path: Path | str) -> None:
    """fsync ``path`` then drop its clean pages from the page cache (POSIX_FADV_DONTNEED)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def read_uncached(path: Path | str) -> bytes:
    """``drop_cache`` then read the whole file: what the device holds now."""
    drop_cache(path)
    with open(path, "rb") as handle:
        return handle.read()
