"""What the preflight needs to know about a destination's filesystem, and how it finds out.

Each probe is a plain function so :func:`~offload.plan.preflight.preflight` can take a
replacement (tests simulate exFAT without mounting anything).
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from offload.fs import mount_table
from offload.fs.fstype import NAMES, UNREADABLE, block_filesystem, image_filesystem

MOUNTINFO = Path("/proc/self/mountinfo")


class NameFamily(StrEnum):
    """Families of filesystems that share their naming rules."""

    POSIX = "posix"  # ext4, xfs, btrfs, zfs, tmpfs, nfs...: any byte but "/" and NUL
    WINDOWS = "windows"  # exFAT, FAT, NTFS, SMB: Windows' character set, case-insensitive
    APPLE = "apple"  # HFS+, APFS: case- and normalisation-insensitive (by default)
    UNKNOWN = "unknown"  # could not tell: POSIX rules are checked, and a warning says so


@dataclass(frozen=True)
class NameRules:
    """What names a filesystem accepts and which names it treats as the same. A dataclass,
    unlike the records below: its fields are read for every name the preflight checks, and
    a named tuple's fields are slower to read (~50 ns more each on Python 3.11).

    ``symlinks`` is ``None`` when it depends on the driver (a ``fuseblk`` mount whose device
    could not be read may be exFAT or NTFS).
    """

    family: NameFamily
    forbidden_chars: frozenset[str] = frozenset()
    forbid_control_chars: bool = False
    forbid_trailing_dot_or_space: bool = False
    max_name_utf16: int | None = None
    case_insensitive: bool = False
    normalisation_insensitive: bool = False
    requires_unicode: bool = False
    symlinks: bool | None = True
    # Only ASCII names: fusefat refuses any other character (EPERM at the create).
    ascii_only: bool = False


POSIX_RULES = NameRules(NameFamily.POSIX)
UNKNOWN_RULES = NameRules(NameFamily.UNKNOWN)
WINDOWS_FORBIDDEN = frozenset('"*/:<>?\\|')


def _windows_rules(*, symlinks: bool | None, ascii_only: bool = False) -> NameRules:
    # exFAT/FAT/NTFS as Windows and macOS see them: the Linux drivers accept some of these
    # names (ntfs-3g takes ":"; exfat strips trailing dots), but the drive is read elsewhere.
    return NameRules(
        NameFamily.WINDOWS,
        forbidden_chars=WINDOWS_FORBIDDEN,
        forbid_control_chars=True,
        forbid_trailing_dot_or_space=True,
        max_name_utf16=255,
        case_insensitive=True,
        requires_unicode=True,
        symlinks=symlinks,
        ascii_only=ascii_only,
    )


APPLE_RULES = NameRules(
    NameFamily.APPLE,
    max_name_utf16=255,
    case_insensitive=True,
    normalisation_insensitive=True,
    requires_unicode=True,
)

_NO_SYMLINKS = {"exfat", "vfat", "msdos", "fat", "umsdos"}
_MAYBE_SYMLINKS = {"fuseblk"}  # exfat-fuse and ntfs-3g both mount as fuseblk
# Inodes these report are no fixed limit: exfat-fuse reports its free clusters (the space
# check counts those), ntfs-3g its MFT records, which grow as needed.
NO_FIXED_INODES = frozenset({"fuseblk", "fuse.exfat", "fuse.exfat-fuse", "fuse.ntfs-3g"})
_WINDOWS = {"ntfs", "ntfs3", "ntfs-3g", "cifs", "smb3", "smbfs"}
_APPLE = {"hfs", "hfsplus", "apfs", "fuse.apfs-fuse", "fuse.hfsfuse"}


def rules_for_fstype(fstype: str) -> NameRules:
    """The naming rules of a filesystem type as ``/proc/self/mountinfo`` spells it.

    A FUSE filesystem's type names its program (``fuse.fusefat``, ``fuse.exfat``,
    ``fuse.ntfs-3g``, ``fuse.lowntfs-3g``): one serving FAT, exFAT or NTFS gets those
    filesystems' rules whatever the program is called; fusefat, ASCII names only besides.
    """
    fstype = fstype.lower()
    subtype = fstype[5:] if fstype.startswith("fuse.") else ""
    if fstype in _NO_SYMLINKS or ("fat" in subtype and fstype not in _APPLE):
        # fusefat writes only ASCII names (no Unicode long names): 'café.mov' is EPERM.
        return _windows_rules(symlinks=False, ascii_only=subtype == "fusefat")
    if fstype in _MAYBE_SYMLINKS:
        return _windows_rules(symlinks=None)
    if fstype in _WINDOWS or "ntfs" in subtype:
        return _windows_rules(symlinks=True)
    if fstype in _APPLE:
        return APPLE_RULES
    if fstype == "unknown":
        return UNKNOWN_RULES
    return POSIX_RULES


_FAT = {"vfat", "msdos", "fat", "umsdos"}
FAT_MAX_FILE_BYTES = 2**32 - 1  # a FAT directory entry holds a file's size in 32 bits


def max_file_bytes(fstype: str) -> int | None:
    """The largest file a filesystem type (as :attr:`FilesystemInfo.on_device` or
    ``/proc/self/mountinfo`` spells it) can hold, or None for no limit a card reaches.

    Only FAT's is known here: 4 GiB - 1 byte, on the kernel's ``vfat``/``msdos`` or a FUSE
    program serving FAT (``fuse.fusefat``). exFAT, NTFS, HFS+ and the Linux filesystems hold
    files far larger than any camera writes.
    """
    fstype = fstype.lower()
    subtype = fstype[5:] if fstype.startswith("fuse.") else ""
    if fstype in _FAT or ("fat" in subtype and "exfat" not in subtype):
        return FAT_MAX_FILE_BYTES
    return None


class FilesystemInfo(NamedTuple):
    """The mount that holds a path: its type, mount point and source device.

    ``on_device``: for a ``fuseblk`` mount (ntfs-3g, exfat-fuse), the filesystem found on
    its device (``ntfs``, ``exfat``, ``vfat``; :mod:`offload.fs.fstype`), for a plain
    ``fuse`` one (ntfs-3g on an image file) the one found on its source, else ``""``; its
    rules and its name are then that filesystem's.

    ``image_unread``: a plain ``fuse`` mount whose source is an image (or device) this user
    may not read: which filesystem it serves could not be told, and it gets the rules NTFS,
    exFAT and FAT share, as a ``fuseblk`` mount whose device is unread.
    """

    fstype: str
    mount_point: Path | None = None
    source: str = ""
    on_device: str = ""
    image_unread: bool = False

    @property
    def rules(self) -> NameRules:
        if self.image_unread:
            return rules_for_fstype("fuseblk")
        return rules_for_fstype(self.on_device or self.fstype)

    @property
    def max_file_bytes(self) -> int | None:
        """The largest file it can hold (:func:`max_file_bytes`), None for no limit."""
        return max_file_bytes(self.on_device or self.fstype)

    @property
    def name(self) -> str:
        """The filesystem as messages name it: ``NTFS`` or ``exFAT`` for a FUSE block mount
        of one (``FUSE block filesystem`` when its device could not be read), else the
        kernel's type (``ext4``, ``fuse.fusefat``); a plain ``fuse`` mount of an image this
        user cannot read says so."""
        if self.image_unread:
            return f"FUSE filesystem of an image this user cannot read ({self.fstype})"
        return filesystem_name(self.fstype, self.on_device)


def filesystem_name(fstype: str, on_device: str = "") -> str:
    """A filesystem type as a person knows it (see :attr:`FilesystemInfo.name`)."""
    if on_device:
        return f"{NAMES.get(on_device, on_device)} ({fstype})"
    if fstype == "fuseblk":
        return "FUSE block filesystem (fuseblk)"
    return fstype


class MountEntry(NamedTuple):
    """One line of ``/proc/self/mountinfo`` (the fields the preflight and
    ``card_identity`` use)."""

    mount_point: str
    fstype: str
    source: str
    # The folder of the filesystem mounted there ("/" but for a bind mount of a folder).
    root: str = "/"
    # The filesystem's device number (``st_dev`` of its files); -1 when not given.
    device: int = -1


_OCTAL_ESCAPE = re.compile(rb"\\([0-7]{3})")


def _unescape(field: bytes) -> str:
    raw = _OCTAL_ESCAPE.sub(lambda m: bytes([int(m.group(1), 8)]), field)
    return os.fsdecode(raw)


def parse_mountinfo(data: bytes) -> list[MountEntry]:
    """Parse the text of ``/proc/<pid>/mountinfo`` (see proc(5)); malformed lines are skipped."""
    mounts: list[MountEntry] = []
    for line in data.splitlines():
        fields = line.split(b" ")
        try:
            sep = fields.index(b"-", 6)
            mount_point = _unescape(fields[4])
            fstype = _unescape(fields[sep + 1])
            source = _unescape(fields[sep + 2]) if len(fields) > sep + 2 else ""
            major, _, minor = fields[2].partition(b":")
            device = os.makedev(int(major), int(minor))
        except (ValueError, IndexError):
            continue
        mounts.append(MountEntry(mount_point, fstype, source, _unescape(fields[3]), device))
    return mounts


def within(path: str, root: str) -> bool:
    """Whether *path* is *root* or below it, as strings (both absolute and normalised: no
    ``..``, no trailing ``/`` but for ``/`` itself); the disk is not touched."""
    return path == root or path.startswith(root.rstrip("/") + "/")


# What stat says of a name that is not there (or not reachable as a name: a dangling or
# looping link): look one folder up. Any other error (EIO, ENOTCONN: a drive gone) says
# something is there, on the mount that holds the name, and the look stops at it.
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.EBADF})


def nearest_existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (``/`` at worst), or the first that
    cannot be looked at for another reason than its absence (EIO, ENOTCONN: a drive gone
    mid-copy; the mount holding it is still the one it is on). The disk is read, but this
    never raises."""
    current = Path(os.path.abspath(path))
    while current.parent != current:
        try:
            os.stat(current)
        except OSError as exc:
            if exc.errno not in _ABSENT:
                return current
            current = current.parent
        else:
            return current
    return current


def find_mount(path: Path, mounts: list[MountEntry]) -> MountEntry | None:
    """The mount holding ``path`` (absolute, already resolved; the disk is not touched): the
    longest mount point that contains it. Of mounts stacked on one mount point the last listed
    is the one visible.
    """
    real = str(path)
    best: MountEntry | None = None
    for mount in mounts:
        if within(real, mount.mount_point) and (
            best is None or len(mount.mount_point) >= len(best.mount_point)
        ):
            best = mount
    return best


#: The filesystems whose root folder takes no time: setting one kills fusefat's daemon (the
#: copy root's folder times, ``card._set_folder_times``; the write probe's folder given its
#: times back, ``preflight.paths``).
ROOT_TAKES_NO_TIME = frozenset({"fuse.fusefat"})


def detect_filesystem(path: Path) -> FilesystemInfo:
    """Find the filesystem type of the mount holding ``path`` from ``/proc/self/mountinfo``.

    ``path`` need not exist (its nearest existing ancestor is used, :func:`nearest_existing`)
    nor be readable (a drive answering EIO or ENOTCONN is still found by its mount point).
    Never raises: where mountinfo cannot be read (not Linux) the type is ``"unknown"``.
    """
    try:
        mounts = mount_table.parsed(MOUNTINFO, parse_mountinfo)
    except OSError:
        return FilesystemInfo("unknown")
    real = Path(os.path.realpath(nearest_existing(path)))
    mount = find_mount(real, mounts)
    if mount is None:
        return FilesystemInfo("unknown")
    on_device = ""
    if mount.fstype == "fuseblk":
        try:
            st_dev: int | None = os.stat(real).st_dev
        except OSError:
            st_dev = None
        on_device = block_filesystem(mount.source, st_dev) or ""
    elif mount.fstype == "fuse":  # no subtype: ntfs-3g on an image file, say
        on_device = _image_of(mount)
    return FilesystemInfo(
        mount.fstype,
        Path(mount.mount_point),
        mount.source,
        "" if on_device == UNREADABLE else on_device,
        image_unread=on_device == UNREADABLE,
    )


# A plain fuse mount's source read once per mount (its source and device number: a new
# mount has a new device), not at each of the many callers that want its type alone.
_IMAGES: dict[tuple[str, int], str] = {}


def _image_of(mount: MountEntry) -> str:
    key = (mount.source, mount.device)
    found = _IMAGES.get(key)
    if found is None:
        found = _IMAGES[key] = image_filesystem(mount.source) or ""
    return found


def writes_ascii_only(path: Path) -> bool:
    """Whether the filesystem holding *path* (or its nearest existing ancestor) takes only
    ASCII names (fusefat, :attr:`NameRules.ascii_only`): where a name offload-ai chooses
    itself must be written in :func:`~offload.plan.names.ascii_form`. Never raises."""
    return detect_filesystem(path).rules.ascii_only


class SpaceInfo(NamedTuple):
    """Free space for an unprivileged writer (``None``: the filesystem does not say), the
    allocation unit to round files up to, and the files and folders that can still be
    created (``None``: no fixed number of inodes)."""

    free_bytes: int | None
    block_size: int
    free_inodes: int | None = None


def statvfs_space(path: Path) -> SpaceInfo:
    """``f_bavail * f_frsize`` and ``f_favail`` of the filesystem holding ``path``; raises
    ``OSError``. A filesystem reporting no inodes at all (``f_files`` 0: btrfs, and others
    that make them as needed) has no fixed limit: ``free_inodes`` is None. One reporting a
    size of no blocks (``f_blocks`` 0: fusefat on a FAT32 volume) says nothing of its free
    space: ``free_bytes`` is None, not 0 (no filesystem a copy can be written to is 0 bytes
    large)."""
    st = os.statvfs(path)
    block = st.f_frsize or st.f_bsize or 4096
    inodes = st.f_favail if st.f_files else None
    free = st.f_bavail * block if st.f_blocks else None
    return SpaceInfo(free_bytes=free, block_size=block, free_inodes=inodes)


def disk_of(st_dev: int, path: Path | str | None = None) -> str | None:
    """The whole disk (``sda``, ``nvme0n1``, ``vda``) that stores the filesystem of
    ``st_dev``, if known: through a partition, a loop device's backing file (two images on
    one disk are on that disk) and a dm/md device over one device (``fs.devices``); for a
    filesystem whose ``st_dev`` is no block device (a FUSE block mount such as exfat-fuse
    over a loop image, btrfs), the disk under the source of the mount holding *path*.
    ``None`` for tmpfs, a network filesystem, a loop image kept on no disk (tmpfs), or when
    sysfs is not there.
    """
    from offload.fs.devices import block_device_of_dev, disk_of_mount

    device = block_device_of_dev(st_dev)
    if device is None and path is not None:
        device = disk_of_mount(path)
    if device is None or device.backing_filesystem is not None:
        return None
    return device.name
