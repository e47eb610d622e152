"""Which volume a path is on: device, label, filesystem, free space (for the reports).

Linux: the mount is the longest mount point in ``/proc/self/mountinfo`` that holds the path;
the label comes from ``/dev/disk/by-label`` (udev) when there is one, else from the
filesystem itself (``blkid -p`` of the mount's device or image: containers and systems
without udev), and only where neither can tell from the mount point's name, which
``volume_label_from`` then says. Elsewhere (or when /proc is not there) only
``os.statvfs`` answers, and the other fields stay ``None``. Nothing here raises: a report
must never fail because a drive was unplugged after the copy.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from offload.fs import mount_table
from offload.fs.devices import block_device_of, disk_of_source, unescape_escapes
from offload.fs.fstype import block_filesystem
from offload.report.release import absent_card

MOUNTINFO = Path("/proc/self/mountinfo")
BY_LABEL = Path("/dev/disk/by-label")


def _mounts() -> list[tuple[str, str, str]]:
    """(mount point, filesystem type, source device) of every mount, or [] off Linux."""
    try:
        lines = mount_table.read_lines(MOUNTINFO)
    except OSError:
        return []
    mounts = []
    for line in lines:
        left, sep, right = line.partition(" - ")
        fields = left.split()
        tail = right.split()
        if not sep or len(fields) < 5 or len(tail) < 2:
            continue
        mounts.append((unescape_escapes(fields[4]), tail[0], unescape_escapes(tail[1])))
    return mounts


def _labels() -> dict[str, str]:
    """Resolved device path → volume label, from udev's /dev/disk/by-label."""
    labels: dict[str, str] = {}
    try:
        entries = list(os.scandir(BY_LABEL))
    except OSError:
        return labels
    for entry in entries:
        try:
            labels[os.path.realpath(entry.path)] = unescape_escapes(entry.name)
        except OSError:
            continue
    return labels


def _existing(path: Path) -> Path | None:
    """*path*, or its nearest ancestor that exists (a lost destination may be half gone)."""
    for candidate in (path, *path.parents):
        try:
            if candidate.exists():
                return candidate
        except OSError:
            continue
    return None


def _st_dev(path: Path) -> int | None:
    try:
        return os.stat(path).st_dev
    except OSError:
        return None


def volume_of(
    path: str | os.PathLike[str], *, card: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``mount_point``, ``device``, ``disk``, ``volume_label``, ``filesystem``,
    ``backing_filesystem``, ``free_bytes``, ``total_bytes`` of the volume holding *path*
    (``None`` where unknown).
    ``volume_label``: udev's; else, for the card (*card*: the report's ``card``, read by
    blkid) when *path* is that card's folder, its label; else the label ``blkid -p`` reads
    from the mount's device or image (``card_identity.filesystem_label``); else the mount
    point's name. ``volume_label_from``: where it came from, ``"filesystem"`` (the first
    three: the volume's own label) or ``"mount point"`` (none could be read, or the
    filesystem has none: the name a file browser shows), None with no label.
    ``filesystem``: the mount's type, but for a FUSE block mount (``fuseblk``: ntfs-3g,
    exfat-fuse) the filesystem on its device (``ntfs``, ``exfat``, ``vfat``) when its boot
    sector or udev says (``fs.fstype``).
    ``disk``: the whole disk under ``device`` (``/dev/sdb`` for ``/dev/sdb2``), else under
    the filesystem's own device number, when sysfs says (``fs.devices``); None for a
    filesystem on no disk (tmpfs, NFS, a pass-through FUSE) or a loop device whose image
    file is on no known disk. ``backing_filesystem``: for that loop device, the filesystem
    its image file is on (``tmpfs``: the volume is held in memory), else None."""
    info: dict[str, Any] = {
        "mount_point": None,
        "device": None,
        "disk": None,
        "volume_label": None,
        "volume_label_from": None,
        "filesystem": None,
        "backing_filesystem": None,
        "free_bytes": None,
        "total_bytes": None,
    }
    found = _existing(Path(os.path.abspath(path)))
    if found is None:
        return info
    try:
        real = os.path.realpath(found)
    except OSError:
        real = str(found)
    best: tuple[str, str, str] | None = None
    for mount in _mounts():
        point = mount[0]
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best[0])):
            best = mount  # the last of equal mount points is the one on top
    if best is not None:
        info["mount_point"], info["filesystem"], info["device"] = best
        if best[1] == "fuseblk":
            # ntfs-3g and exfat-fuse both say fuseblk: the device says which it is.
            info["filesystem"] = block_filesystem(best[2], _st_dev(found)) or "fuseblk"
        # The mount's source (btrfs, ntfs-3g: their own st_dev is on no disk), else the
        # filesystem's st_dev (a source sysfs cannot name, such as /dev/root).
        disk = disk_of_source(best[2]) or block_device_of(found)
        if disk is not None and disk.backing_filesystem is None:
            info["disk"] = disk.path
        elif disk is not None:  # a loop device whose image file is on no disk sysfs names
            info["backing_filesystem"] = disk.backing_filesystem
        if best[2].startswith("/dev/"):
            try:
                info["volume_label"] = _labels().get(os.path.realpath(best[2]))
            except OSError:
                pass
    if info["volume_label"] is None and card:
        info["volume_label"] = _card_label(real, card, info["filesystem"])
    if info["volume_label"] is None and best is not None:
        info["volume_label"] = _read_label(best[2]) or None  # "": the filesystem has none
    if info["volume_label"] is not None:
        info["volume_label_from"] = "filesystem"
    elif info["mount_point"] not in (None, "/"):
        # No label to read (a network share, a filesystem without one, blkid not allowed):
        # the mount point's name is what a person sees in a file browser (/media/dit/RAID1
        # → RAID1), said to be that.
        named = os.path.basename(str(info["mount_point"]).rstrip("/"))
        if named:
            info["volume_label"], info["volume_label_from"] = named, "mount point"
    statvfs = getattr(os, "statvfs", None)
    if statvfs is not None:
        try:
            st = statvfs(found)
        except OSError:
            pass
        else:
            if st.f_blocks:  # a size of 0 blocks (fusefat on FAT32) says nothing: null
                info["free_bytes"] = st.f_bavail * st.f_frsize
                info["total_bytes"] = st.f_blocks * st.f_frsize
    return info


def _read_label(source: str) -> str | None:
    """The label the filesystem of a mount whose source is *source* holds (udev's link or
    ``blkid -p``), ``""`` for none, None when unknown or no device or image: tmpfs, a
    network share, a pass-through FUSE filesystem (``card_identity.filesystem_label``)."""
    from offload.card_identity import filesystem_label

    if not source.startswith("/"):
        return None
    try:
        mode = os.stat(source).st_mode
    except OSError:
        return None
    if not (stat.S_ISBLK(mode) or stat.S_ISREG(mode)):
        return None
    return filesystem_label(source)


def _card_label(real: str, card: Mapping[str, Any], filesystem: str | None) -> str | None:
    """The card's label (``card_identity``'s, from blkid where udev names none) when *real*
    is that card's folder: the same folder on its volume and, where both say, the same
    filesystem; None otherwise: a cascade's fast copy standing in for an absent card
    records that card, and is not on it."""
    from offload.card_identity import volume_folder
    from offload.plan.filesystem import find_mount, parse_mountinfo

    label = card.get("label")
    if not label:
        return None
    try:
        st_dev = os.stat(real).st_dev
        mounts = mount_table.parsed(MOUNTINFO, parse_mountinfo)
    except OSError:
        return None
    mount = find_mount(Path(real), [m for m in mounts if m.device == st_dev])
    if mount is None or volume_folder(real, mount) != card.get("folder"):
        return None
    said = card.get("filesystem")
    if said and filesystem and said != filesystem:
        return None
    return str(label)


_UNKNOWN: dict[str, Any] = dict.fromkeys(
    (
        "mount_point",
        "device",
        "disk",
        "volume_label",
        "volume_label_from",
        "filesystem",
        "backing_filesystem",
        "free_bytes",
        "total_bytes",
    )
)


def _is_url(where: str) -> bool:
    """``s3://bucket/prefix`` and the like: a scheme before ``://``."""
    scheme, sep, _ = where.partition("://")
    return bool(sep) and scheme.isalnum() and not scheme.isdigit()


def _unreachable(where: str) -> str | None:
    """Why the copy root *where* is on a drive that went away since (``errors.
    drive_unreachable``'s errnos: ENOTCONN from a killed FUSE program, ENODEV, EIO, ...),
    looked at now; None when it answers or is merely missing. Never raises."""
    from offload.errors import drive_unreachable

    try:
        os.stat(where)
    except OSError as exc:
        if drive_unreachable(exc, where) is not None:
            return exc.strerror or str(exc)
    return None


def _unmounted(at_start: tuple[str, int] | None) -> str | None:
    """Why the destination folder on the device (``st_dev``) *at_start* gives, as the run
    began, is no longer on it: unmounted cleanly (``umount``, udisks' eject), its path now a
    folder of the filesystem below or gone. None when on it still, when *at_start* is None,
    or when it cannot be told (EACCES...). Never raises; one ``stat``."""
    if at_start is None:
        return None
    where, device = at_start
    try:
        now = os.stat(where).st_dev
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "its folder no longer exists"
        return None
    return "another filesystem is at its path now" if now != device else None


def add_volume_info(
    data: dict[str, Any],
    *,
    devices: Mapping[int, tuple[str, int]] | None = None,
    source_volume: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Add ``source_volume`` and, per destination, ``volume_label``, ``device``, ``disk``,
    ``filesystem``, ``mount_point`` and ``free_bytes_after`` to a job report dict (in place;
    returned for chaining), all ``None`` for a URL destination (S3) and for one whose drive
    no longer answers (``unreachable``: why, else None): ENOTCONN-like errors, or, where
    *devices* gives a destination's folder and its device at the start (by index), the folder no
    longer on it (``_unmounted``). Called once the copies are done, so the free space is
    "after". *source_volume*: the source's volume as the scan found it (``card.
    OffloadPlan.source_volume``), taken as it is: the card may be ejected by now (CARD
    RELEASED invites it), its path then on the disk below; looked up here without it."""
    if source_volume is not None:
        data["source_volume"] = dict(source_volume)
        return _add_destination_volumes(data, devices)
    # A cascade re-run whose card is absent reads a fast copy of it (the ``card-absent``
    # warning): its card record, rebuilt from the ledger, is of a volume this run never saw,
    # so its label is never the source's.
    card = None if absent_card(data) is not None else data.get("card")
    data["source_volume"] = volume_of(data.get("source") or ".", card=card)
    return _add_destination_volumes(data, devices)


def _add_destination_volumes(
    data: dict[str, Any], devices: Mapping[int, tuple[str, int]] | None
) -> dict[str, Any]:
    """``add_volume_info``'s part for each destination."""
    for destination in data.get("destinations", []):
        where = str(destination.get("copy_root") or destination.get("path") or ".")
        # A URL (s3://bucket/prefix) is on no local volume: every field unknown (null), never
        # the volume of the folder the command ran in, which a relative path would give.
        gone = (
            None
            if _is_url(where)
            else _unreachable(where)
            or _unmounted((devices or {}).get(destination.get("index", -1)))
        )
        # A drive that no longer answers (its FUSE program killed, its device pulled): the
        # nearest folder that answers is the empty mount point on the filesystem below,
        # which is not the volume the copies are on (nor the card's, when that is "/").
        info = _UNKNOWN if _is_url(where) or gone else volume_of(where)
        destination["unreachable"] = gone
        destination["volume_label"] = info["volume_label"]
        destination["volume_label_from"] = info["volume_label_from"]
        destination["device"] = info["device"]
        destination["disk"] = info["disk"]
        destination["filesystem"] = info["filesystem"]
        destination["mount_point"] = info["mount_point"]
        destination["free_bytes_after"] = info["free_bytes"]
        destination["total_bytes"] = info["total_bytes"]
    return data
