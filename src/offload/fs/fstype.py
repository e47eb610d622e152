"""Which filesystem a FUSE block mount (``fuseblk``) really is: NTFS, exFAT or FAT (and a
plain ``fuse`` mount of an image file, :func:`image_filesystem`).

ntfs-3g and exfat-fuse both mount as ``fuseblk``, and their mountinfo line says nothing
more (``fuseblk /dev/sdb1 rw,user_id=0,...``). Their names rules differ (NTFS holds
symlinks, exFAT does not) and a person knows the drive as NTFS or exFAT, not as "fuseblk".
What the device holds is read, in this order:

1. the boot sector's signature (``NTFS    `` or ``EXFAT   `` at byte 3; ``FAT12``,
   ``FAT16``, ``FAT`` at byte 54 or ``FAT32`` at byte 82): the truth, but the device node
   is readable by root (and the ``disk`` group) only;
2. udev's record of the device (``/run/udev/data/bMAJ:MIN``, ``E:ID_FS_TYPE=``), world
   readable, which desktop systems keep and containers often lack.

Neither answering, the type stays unknown (``None``): the caller says "FUSE block
filesystem" and applies the rules every candidate shares. Never raises; one 512-byte read
or one small file read. ``fuseblk`` mounts report the block device itself as their
``st_dev`` (unlike btrfs or a FUSE filesystem on no device), so either the mount's source
or ``st_dev`` names it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

UDEV_DATA = Path("/run/udev/data")

NAMES = {"ntfs": "NTFS", "exfat": "exFAT", "vfat": "FAT"}
"""How a person calls each filesystem this module can find (the kernel's type as key)."""


def from_boot_sector(sector: bytes) -> str | None:
    """``ntfs``, ``exfat`` or ``vfat`` from the first 512 bytes of a volume, else None."""
    if len(sector) < 90:
        return None
    if sector[3:11] == b"NTFS    ":
        return "ntfs"
    if sector[3:11] == b"EXFAT   ":
        return "exfat"
    if sector[510:512] == b"\x55\xaa" and (
        sector[54:59] in (b"FAT12", b"FAT16") or sector[54:62] == b"FAT     "
        or sector[82:87] == b"FAT32"
    ):  # fmt: skip
        return "vfat"
    return None


def _first_sector(path: str, *, images: bool) -> bytes | None:
    """The first 512 bytes of *path* when it is a block device (or, *images*, a regular
    file), else None; never raises. Looked at before it is opened: opening a FIFO waits for
    (or releases) its writer, a character device's open can act (a tape rewinds), and
    ``/dev/fuse`` or ``/dev/zero`` are no volume. A link is followed to its end first (a
    ``/dev/block/MAJ:MIN`` link), the end opened without following one, and the descriptor
    confirmed to be the file looked at (``st_dev``, ``st_ino``)."""
    try:
        real = os.path.realpath(path)
        st = os.lstat(real)
        if not (stat.S_ISBLK(st.st_mode) or (images and stat.S_ISREG(st.st_mode))):
            return None
        fd = os.open(real, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
            return None  # replaced between the look and the open
        return os.pread(fd, 512, 0)
    except OSError:
        return None
    finally:
        os.close(fd)


def _from_udev(rdev: int, udev: Path) -> str | None:
    try:
        text = (udev / f"b{os.major(rdev)}:{os.minor(rdev)}").read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("E:ID_FS_TYPE="):
            found = line.partition("=")[2].strip().lower()
            return found if found in NAMES else None
    return None


#: What ntfs-3g (and its lowntfs-3g) may put as a plain ``fuse`` mount's source or subtype.
_NTFS_PROGRAMS = frozenset({"ntfs-3g", "lowntfs-3g"})


UNREADABLE = "?"
"""What :func:`image_filesystem` says of an image it found but could not read (root's
``0600`` image, the DIT a user): the filesystem could not be told, as a ``fuseblk`` mount's
whose device is unreadable."""


def image_filesystem(source: str) -> str | None:
    """The filesystem a plain ``fuse`` mount (no subtype) serves, where it can be told: ntfs-3g
    mounting an image file (``ntfs-3g disk.img /mnt``) is type ``fuse`` with the image as its
    source, and a program may name itself there (``ntfs-3g``). ``ntfs``, ``exfat`` or
    ``vfat`` from the source's boot sector when it is a regular file or a block device (one
    512-byte read; nothing else is opened: a FIFO, ``/dev/fuse``, a folder), ``ntfs`` for a
    source naming ntfs-3g; :data:`UNREADABLE` for an image or device this user may not read
    (or whose read fails); else None. Never raises."""
    if os.path.basename(source).lower() in _NTFS_PROGRAMS:
        return "ntfs"
    if not source.startswith("/"):
        return None
    try:
        st = os.stat(source)
    except OSError as exc:
        # Not there (a program's own words): no image. Not reachable (EACCES on a folder
        # above it, EIO): an image may be there, unread.
        return None if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP) else UNREADABLE
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISBLK(st.st_mode)):
        return None
    sector = _first_sector(source, images=True)
    if sector is None:
        return UNREADABLE
    return from_boot_sector(sector)


def block_filesystem(
    source: str, st_dev: int | None = None, *, udev: Path = UDEV_DATA
) -> str | None:
    """The filesystem on the block device of a ``fuseblk`` mount (``ntfs``, ``exfat``,
    ``vfat``), or None when neither its boot sector nor udev says. *source* is the mount's
    source (``/dev/sdb1``); *st_dev*, the mount's device number, names the device when the
    source is no device path (a FUSE program may put anything there)."""
    rdev: int | None = None
    device = source if source.startswith("/dev/") else ""
    if device:
        try:
            st = os.stat(device)
        except OSError:
            device = ""
        else:
            rdev = st.st_rdev if stat.S_ISBLK(st.st_mode) else None
            device = device if rdev is not None else ""
    if not device and st_dev is not None:
        rdev = st_dev
        device = f"/dev/block/{os.major(st_dev)}:{os.minor(st_dev)}"
    if device:
        sector = _first_sector(device, images=False)
        found = from_boot_sector(sector) if sector else None
        if found is not None:
            return found
    return _from_udev(rdev, udev) if rdev is not None else None
