"""Which physical block device holds a path, and what the kernel says about it (Linux sysfs).

``block_device_of(path)`` follows the path's filesystem (``st_dev``) down to the disk that
really stores the bytes: ``/sys/dev/block/MAJ:MIN`` → a partition's parent disk → a loop
device's backing file (and the disk under that file) → a device-mapper or md device's only
underlying device. What sysfs says about that disk is kept as found (``rotational``, the
transport, the model); how to act on it is the engine's decision (``engine.devices``).

Never raises and never blocks on a dead mount beyond one ``stat``: whatever cannot be read
(no sysfs, a network or FUSE filesystem, tmpfs, a dm device over several disks) gives
``None`` or stops the descent at the last device known. Cheap: a few small sysfs reads a
path, no device is opened.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import NamedTuple

from offload.errors import reach
from offload.fs import mount_table

SYS = Path("/sys")
MOUNTINFO = Path("/proc/self/mountinfo")
# A loop over a file on a loop over a file...: deeper than this is treated as unknown.
_MAX_LAYERS = 8
# The three digits of an octal escape (``\\040``): only these, never ``isdigit``'s 8 and 9.
_OCTAL = re.compile(rb"[0-7]{3}")
# The two digits of a hex escape (``\\x20``): never ``int``'s sign, blank or underscore.
_HEX = re.compile(rb"[0-9A-Fa-f]{2}")


def folder_device(path: Path | str) -> int | None:
    """The device (``st_dev``) the folder *path* is on now; None when it cannot be looked at
    (not there, not a folder, its drive gone). Asked of ``<path>/``: a stat of an autofs
    mount point's own name does not mount it and gives the automount's device, not the
    drive's. The one form every comparison of a folder's device uses (a drive pulled: its
    empty mount point is on the disk below)."""
    try:
        return os.stat(f"{path}/").st_dev
    except OSError:
        return None


def still_on(looked_at: Path, device: int) -> None:
    """Raise OSError (ENODEV) where the folder *looked_at* as a run began (a report folder
    the user named, or, not there then, the folder it is to be made in: ``cli.common.
    report_folder_device``) is no longer on *device*, the one it was on then: its drive
    unmounted since (``umount -l``, a pulled drive), its path a folder of the disk below,
    where a report would be written unseen. Any other failure to look is left to the
    write. The one check of ``offload copy``'s local reports and ``offload verify``'s."""
    now = folder_device(looked_at)
    if now is not None and now != device:
        from offload.errors import printable_name  # this module imports no offload module

        raise OSError(
            errno.ENODEV,
            f"{printable_name(str(looked_at))} is on another filesystem than when the run "
            "began (its drive unmounted or pulled?)",
            str(looked_at),
        )


def nearest_folder_device(path: Path) -> tuple[Path, int] | None:
    """The folder looked at for *path* and its device (``folder_device``'s form): *path*
    itself if it is a folder, else its nearest ancestor that is (a folder still to be
    created is made on that one's filesystem). None when that one cannot be looked at (a
    drive that does not answer: never its parent's device, which would be the disk below).
    A ``stat`` a level."""
    folder = path
    while True:
        try:
            return folder, os.stat(f"{folder}/").st_dev
        except (FileNotFoundError, NotADirectoryError):
            if folder.parent == folder:
                return None
            folder = folder.parent
        except OSError:
            return None


def unescape_escapes(text: str) -> str:
    """*text* with the escapes of mountinfo and fstab (octal: ``\\040``) and udev (hex:
    ``\\x20``, in ``/dev/disk/by-label`` names and blkid's ``ID_FS_LABEL_ENC``) turned back
    into their bytes, decoded as UTF-8 (a byte that is not: ``surrogateescape``). A
    backslash that starts no valid escape (``\\089``: 8 and 9 are no octal digits, as a
    hand-written ``/etc/fstab`` line may hold) is kept as it is. Raises nothing."""
    out = bytearray()
    i = 0
    raw = text.encode("utf-8", "surrogateescape")
    while i < len(raw):
        if raw[i : i + 1] == b"\\" and _OCTAL.fullmatch(raw[i + 1 : i + 4]):
            out.append(int(raw[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        elif raw[i : i + 2] == b"\\x" and _HEX.fullmatch(raw[i + 2 : i + 4]):
            out.append(int(raw[i + 2 : i + 4], 16))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "surrogateescape")


class BlockDevice(NamedTuple):
    """A whole disk as sysfs describes it.

    ``name``: the kernel's name (``sda``, ``nvme0n1``, ``vda``, ``loop3``);
    ``rotational``: ``queue/rotational`` (None: unreadable); ``transport``: how it is
    attached, from its name and its sysfs path (``nvme``, ``virtio``, ``xen``, ``usb``,
    ``ata``, ``scsi``, ``mmc``, ``loop``, ``zram``, ``ram``, ``pmem``, ``md``, ``dm``,
    ``unknown``); ``model``: ``device/model`` if any; ``layers``: the devices and files
    crossed on the way down, top first (``sda1``, ``loop0``, ``/images/card.img``);
    ``backing_filesystem`` and ``backing_device``: for a loop device whose backing file is
    on no disk sysfs knows (tmpfs ``/dev/shm``, a FUSE or network mount), the type and the
    device number (``st_dev``) of the filesystem holding that file (``unknown`` and None when
    the file cannot be stat'ed): the loop device itself is then no disk of its own.
    """

    name: str
    rotational: bool | None
    transport: str
    model: str | None = None
    layers: tuple[str, ...] = ()
    backing_filesystem: str | None = None
    backing_device: int | None = None

    @property
    def path(self) -> str:
        return f"/dev/{self.name}"


def block_device_of(path: Path | str) -> BlockDevice | None:
    """The physical disk holding *path* (its nearest existing ancestor if it does not exist
    yet), or None when its filesystem is on no block device sysfs knows."""
    st_dev = device_number(path)
    return None if st_dev is None else block_device_of_dev(st_dev)


def device_number(path: Path | str) -> int | None:
    """``st_dev`` of *path*'s filesystem (of its nearest existing ancestor), None if even
    ``/`` cannot be stat'ed."""
    current = Path(os.path.abspath(path))
    while True:
        try:
            return os.stat(current).st_dev
        except OSError:
            if current.parent == current:
                return None
            current = current.parent


def block_device_of_dev(st_dev: int, *, sys: Path = SYS) -> BlockDevice | None:
    """The physical disk under the filesystem of device number *st_dev*, or None."""
    return _descend(st_dev, sys, (), 0)


def _descend(st_dev: int, sys: Path, layers: tuple[str, ...], depth: int) -> BlockDevice | None:
    node = sys / "dev" / "block" / f"{os.major(st_dev)}:{os.minor(st_dev)}"
    try:
        real = node.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if (real / "partition").exists():
        layers = (*layers, real.name)
        real = real.parent
    name = real.name
    if depth < _MAX_LAYERS:
        below = _below(real, sys, (*layers, name), depth)
        if below is not None:
            return below
    backing_fs, backing_dev = _backing_off_disk(real)
    return BlockDevice(
        name=name,
        rotational=_flag(real / "queue" / "rotational"),
        transport=_transport(name, real),
        model=_text(real / "device" / "model"),
        layers=layers,
        backing_filesystem=backing_fs,
        backing_device=backing_dev,
    )


def _backing_off_disk(real: Path) -> tuple[str | None, int | None]:
    """For a loop device the descent stopped at: what holds its backing file (filesystem
    type, ``st_dev``), else (None, None) when *real* is no loop device."""
    backing = _text(real / "loop" / "backing_file")
    if backing is None:
        return None, None
    try:
        st_dev = os.stat(backing).st_dev
    except OSError:  # deleted, or in another mount namespace
        return "unknown", None
    return filesystem_type(st_dev) or "unknown", st_dev


def filesystem_type(st_dev: int) -> str | None:
    """The type (``tmpfs``, ``fuseblk``, ``nfs4``...) of the mounted filesystem whose device
    number is *st_dev*, from /proc/self/mountinfo; None when not found (or off Linux)."""
    wanted = f"{os.major(st_dev)}:{os.minor(st_dev)}"
    try:
        lines = MOUNTINFO.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) > 2 and fields[2] == wanted and " - " in line:
            tail = line.partition(" - ")[2].split()
            if tail:
                return tail[0]
    return None


def disk_of_source(source: str | None) -> BlockDevice | None:
    """The whole disk under a mount's source device (``/dev/sdb2`` → ``sdb``), or None when
    the source is no block device (``server:/export``, ``/dev/fuse``, a FUSE program's
    name), sysfs cannot say, or it is a loop device whose file is on no known disk. For
    filesystems whose own ``st_dev`` is no block device (btrfs, ntfs-3g, exfat-fuse)."""
    if not source or not source.startswith("/dev/"):
        return None
    try:
        st = os.stat(source)
    except OSError:
        return None
    if not stat.S_ISBLK(st.st_mode):
        return None
    device = block_device_of_dev(st.st_rdev)
    return None if device is None or device.backing_filesystem is not None else device


def disk_of_mount(path: Path | str) -> BlockDevice | None:
    """:func:`disk_of_source` of the mount holding *path* (the longest mount point of
    /proc/self/mountinfo above its real path, the last of stacked ones): the disk of a
    filesystem whose own ``st_dev`` is anonymous (btrfs, a FUSE block mount), None off
    Linux or when the mount's source is on no disk sysfs knows. A drive gone since the
    planner last looked at *path* (a FUSE program killed: ENOTCONN) raises
    ``errors.DriveUnreachable`` (its one line, exit 64), never a bare OSError."""
    current = Path(os.path.abspath(path))
    # ``errors.reach``, not ``Path.exists``: that raises ENOTCONN bare (a traceback).
    while reach(current) is None and current.parent != current:
        current = current.parent
    real = os.path.realpath(current)
    try:
        lines = mount_table.read_lines(MOUNTINFO)
    except OSError:
        return None
    best: tuple[str, str] | None = None
    for line in lines:
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 5 or len(tail) < 2:
            continue
        point = _octal(fields[4])
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best[0])):
            best = (point, _octal(tail[1]))
    return disk_of_source(best[1]) if best is not None else None


def _octal(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo.
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _below(real: Path, sys: Path, layers: tuple[str, ...], depth: int) -> BlockDevice | None:
    """The device under a loop device (its backing file's disk) or under a dm/md device with
    exactly one underlying device; None when there is none or it cannot be resolved."""
    backing = _text(real / "loop" / "backing_file")
    if backing is not None:
        try:
            st_dev = os.stat(backing).st_dev
        except OSError:  # deleted, or in another mount namespace
            return None
        return _descend(st_dev, sys, (*layers, backing), depth + 1)
    try:
        slaves = sorted(os.listdir(real / "slaves"))
    except OSError:
        return None
    if len(slaves) != 1:  # none, or spread over several disks: this device is the unit
        return None
    try:
        dev = _text(real / "slaves" / slaves[0] / "dev")
        major, minor = (int(part) for part in (dev or "").split(":"))
    except ValueError:
        return None
    return _descend(os.makedev(major, minor), sys, layers, depth + 1)


def _transport(name: str, real: Path) -> str:
    for prefix, transport in (
        ("nvme", "nvme"),
        ("vd", "virtio"),
        ("xvd", "xen"),
        ("mmcblk", "mmc"),
        ("loop", "loop"),
        ("zram", "zram"),
        ("ram", "ram"),
        ("pmem", "pmem"),
        ("md", "md"),
        ("dm-", "dm"),
    ):
        if name.startswith(prefix):
            return transport
    text = str(real)
    for marker, transport in (
        ("/usb", "usb"),
        ("/virtio", "virtio"),
        ("/nvme", "nvme"),
        ("/ata", "ata"),
        ("/host", "scsi"),
    ):
        if marker in text:
            return transport
    return "unknown"


def _text(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    return text or None


def _flag(path: Path) -> bool | None:
    text = _text(path)
    return None if text not in ("0", "1") else text == "1"
