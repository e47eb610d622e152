"""A destination that is a drive's empty mount folder on the system disk.

``/mnt/RAID2`` left from a drive that is not mounted now is a folder of ``/``'s filesystem:
a copy written there is on the machine's own disk, not on the drive the user named, and
nothing else would say so (the copy is verified, on "a disk other than the card's"). The
rule catches that failure without crying wolf at a folder meant to be on the system disk:
the destination (or its nearest existing folder, where the copy root is to be made) is on
the filesystem of ``/`` **and** lies where drives are mounted:

- strictly below a folder drives are mounted in (``/mnt``, ``/media``, ``/run/media``,
  ``/Volumes``; ``$OFFLOAD_MOUNT_PARENTS``, ``:``-separated, replaces that list), or
- at or below a mount point ``/etc/fstab`` lists (other than ``/``), which is then not
  mounted.

A drive mounted there is another filesystem (another ``st_dev``), so a mounted drive is
never warned of. Raises nothing: what cannot be looked at is not warned of.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from offload.errors import printable_name
from offload.fs.devices import folder_device, nearest_folder_device, unescape_escapes
from offload.plan.destination import DestinationPlan
from offload.plan.filesystem import detect_filesystem, disk_of, within
from offload.plan.preflight.findings import C, Findings

MOUNT_PARENTS_ENV = "OFFLOAD_MOUNT_PARENTS"
# Where Linux (udisks: /media/USER, /run/media/USER), admins (/mnt) and macOS mount drives.
MOUNT_PARENTS = ("/mnt", "/media", "/run/media", "/Volumes")
FSTAB = Path("/etc/fstab")


def mount_parents(env: dict[str, str] | None = None) -> tuple[str, ...]:
    """The folders drives are mounted in: ``$OFFLOAD_MOUNT_PARENTS`` (``:``-separated,
    empty entries left out) when set, else :data:`MOUNT_PARENTS`."""
    value = (os.environ if env is None else env).get(MOUNT_PARENTS_ENV)
    if value is None:
        return MOUNT_PARENTS
    return tuple(part for part in value.split(":") if part)


def fstab_mount_points(fstab: Path = FSTAB) -> tuple[str, ...]:
    """The mount points ``/etc/fstab`` lists (its second field, unescaped), but ``/``,
    swap and ``none``; () when it cannot be read."""
    try:
        lines = fstab.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except OSError:
        return ()
    found = []
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        point = unescape_escapes(fields[1])
        if point.startswith("/") and point != "/" and (len(fields) < 3 or fields[2] != "swap"):
            found.append(point)
    return tuple(found)


def _real(path: str) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return path


def drive_folder(folder: str, parents: Iterable[str], fstab_points: Iterable[str]) -> str | None:
    """Where *folder* (a real path) lies as a drive's folder would, strictly below a mount
    parent or at or below an fstab mount point: the folder (a real path) whose filesystem
    it is on when its drive is not mounted (the mount parent; the fstab mount point's
    parent); None when it lies in neither."""
    for parent in parents:
        real = _real(parent)
        if real != "/" and folder != real and within(folder, real):
            return real
    for point in fstab_points:
        real = _real(point)
        if real != "/" and within(folder, real):
            return os.path.dirname(real)
    return None


def check_system_disk(
    plans: Sequence[DestinationPlan],
    out: Findings,
    *,
    parents: Sequence[str] | None = None,
    fstab_points: Sequence[str] | None = None,
) -> None:
    """A ``dest-on-system-disk`` warning for each local destination (*plans*) that lies
    where drives are mounted on the filesystem of the folder holding them (the module's
    rule): its words name that disk (the system disk, ``/``'s, as a rule) and ask whether
    its drive is mounted. A stat of each destination's nearest existing folder and of the
    folder above it where a drive is mounted; ``/etc/fstab`` read once."""
    parents = mount_parents() if parents is None else parents
    points = fstab_mount_points() if fstab_points is None else fstab_points
    for plan in plans:
        found = nearest_folder_device(plan.destination)
        if found is None:
            continue
        folder, dev = found
        holder = drive_folder(_real(str(folder)), parents, points)
        if holder is None or folder_device(holder) != dev:
            continue  # a drive mounted there: a filesystem of its own
        out.warning(
            C.DEST_ON_SYSTEM_DISK,
            plan.destination,
            f"destination {printable_name(str(plan.destination))} is on "
            f"{_disk_words(dev, holder)}, not on a drive of its own: is its drive mounted? (a "
            "copy there is on this machine's own disk: mount the drive, or give the folder "
            "it is mounted at)",
            plan.index,
        )


def _disk_words(dev: int, holder: str) -> str:
    """Where the copy would be: ``the system disk (/dev/vda, mounted at /)`` for ``/``'s
    filesystem; else the filesystem of *holder* (``/run/media``: tmpfs, mounted at /run),
    its disk if any."""
    fs = detect_filesystem(Path(holder))
    mount = str(fs.mount_point) if fs.mount_point is not None else ""
    disk = disk_of(dev, holder)
    at = ", ".join(
        part
        for part in (f"/dev/{disk}" if disk else "", f"mounted at {mount}" if mount else "")
        if part
    )
    if mount == "/":
        return f"the system disk ({at})"
    kind = fs.fstype if fs.fstype != "unknown" else ""
    inner = ", ".join(part for part in (kind, at) if part)
    return f"the filesystem of {printable_name(holder)}" + (f" ({inner})" if inner else "")
