"""A destination that is a drive's empty mount folder on the system disk.

``/mnt/RAID2`` left from a drive that is not mounted now is a folder of ``/``'s filesystem:
a copy written there is on the machine's own disk, not on the drive the user named, and
nothing else would say so (the copy is verified, on "a disk other than the card's"). The
rule catches that failure without crying wolf at a folder meant to be on the system disk:
the destination (a folder still to be made counted as the path it will have) lies where
drives are mounted, **and** the copy root (``DEST/<card>``, where the files land) or its
nearest existing folder is on the filesystem of the folder holding that drive's folder:

- strictly below a folder drives are mounted in (``/mnt``, ``/media``, ``/run/media``,
  ``/Volumes``; ``$OFFLOAD_MOUNT_PARENTS``, ``:``-separated, replaces that list), unless
  that folder is itself the mount point of a drive (listed in ``/etc/fstab`` as a drive's
  or a share's, as Azure's ``/mnt`` resource disk, or on another disk than the folder
  above it, a RAID mounted at ``/media``: its folders are that drive's; never
  ``/Volumes``, a firmlink into the Data volume, nor a bind mount or a tmpfs), compared
  with that folder's filesystem, or
- at or below a mount point ``/etc/fstab`` lists for a drive or a share (``names_storage``:
  every entry but what holds no storage, a ``tmpfs``, a kernel filesystem such as ``proc``
  or a ``none`` source of a type no share has, where no drive belongs; a device, a tag
  such as ``UUID=``, an image file, a dataset, a share, one of a type unknown here such as
  VirtualBox's ``vboxsf``; ``noauto`` or not; other than ``/``, swap and bind mounts),
  which is then not mounted, compared with the filesystem of the folder holding it.

A drive mounted there (at the destination, at the copy root or below it) is another
filesystem (another ``st_dev``), so a mounted drive is never warned of. Raises nothing:
what cannot be looked at is not warned of.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from offload.errors import printable_name
from offload.fs.below import MEMORY_FILESYSTEMS, NETWORK_FILESYSTEMS
from offload.fs.devices import folder_device, nearest_folder_device, unescape_escapes
from offload.plan.destination import DestinationPlan
from offload.plan.filesystem import detect_filesystem, disk_of, within
from offload.plan.preflight.drives import mounted_below
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


# The kernel's own filesystems, made of nothing stored (fstab lists ``/proc``, ``/sys``,
# ``/dev/pts`` on some systems): no drive belongs at their mount points. Types as
# /proc/self/mountinfo and fstab spell them.
_KERNEL_FILESYSTEMS = frozenset(
    {
        "proc",
        "sysfs",
        "devpts",
        "devtmpfs",
        "mqueue",
        "cgroup",
        "cgroup2",
        "securityfs",
        "debugfs",
        "tracefs",
        "pstore",
        "efivarfs",
        "bpf",
        "hugetlbfs",
        "configfs",
        "fusectl",
        "binfmt_misc",
        "rpc_pipefs",
        "nfsd",
        "selinuxfs",
        "overlay",
    }
)
# The tags fstab(5) takes for a device (util-linux): ``UUID=...``, ``LABEL=...``.
_DEVICE_TAGS = ("UUID=", "LABEL=", "PARTUUID=", "PARTLABEL=", "ID=")


def names_storage(source: str, kind: str) -> bool:
    """Whether an fstab entry (its first field *source*, its type *kind*) may put storage
    of its own at its mount point, a drive or a share, whose folder on the disk below is
    where a copy lands when it is not mounted. Only what is known to hold no storage is
    left out: a filesystem held in memory (``tmpfs``, ``ramfs``) or a kernel filesystem
    (``proc``, ``sysfs``, ``devpts``, ``overlay``...: :data:`_KERNEL_FILESYSTEMS`), whatever
    its source, and a ``none`` source of a type that is no share's (a network type:
    ``nfs``, ``cifs``, ``virtiofs``...; a FUSE type: ``fuse.sshfs``; ``zfs``). Every other
    entry counts: a device (``/dev/sdb1``), a tag (``UUID=``, ``LABEL=``, ``PARTUUID=``,
    ``PARTLABEL=``, ``ID=``), an image file, a dataset, a share (``host:/export``,
    ``//host/share``), and a share named by a bare word of a type not listed here
    (VirtualBox's ``footage /srv/footage vboxsf``, Parallels' ``Footage /media/psf
    prl_fs``): a type unknown here is taken as storage, a share unmounted being a folder of
    the disk below. ``noauto`` changes nothing: a drive mounted by hand still belongs
    there."""
    if kind in MEMORY_FILESYSTEMS or kind in _KERNEL_FILESYSTEMS:
        return False
    if kind in NETWORK_FILESYSTEMS or kind in ("zfs", "fuse") or kind.startswith("fuse."):
        return True
    return source != "none"


def fstab_mount_points(fstab: Path = FSTAB) -> tuple[str, ...]:
    """The mount points ``/etc/fstab`` lists (its second field, unescaped) of entries that
    may put a drive or a share there (:func:`names_storage`: not a ``tmpfs``, ``proc``,
    ``sysfs``, a ``none`` source of a type no share has...), but ``/``, swap and bind
    mounts (option ``bind``/``rbind``: a folder seen at another path, no drive of its own);
    () when it cannot be read. Raises nothing: an odd line (``\\089``, no octal escape) is
    taken as written."""
    try:
        lines = fstab.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except (OSError, ValueError):
        return ()
    found = []
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        point = unescape_escapes(fields[1])
        kind = fields[2] if len(fields) > 2 else ""
        options = fields[3].split(",") if len(fields) > 3 else []
        if "bind" in options or "rbind" in options or kind == "swap":
            continue
        if kind and not names_storage(unescape_escapes(fields[0]), kind):
            continue
        if point.startswith("/") and point != "/":
            found.append(point)
    return tuple(found)


def _real(path: str) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return path


def _depth(path: str) -> int:
    return path.rstrip("/").count("/")


def drive_folder(folder: str, parents: Iterable[str], fstab_points: Iterable[str]) -> str | None:
    """Where *folder* (a real path) lies as a drive's folder would, strictly below a mount
    parent or at or below an fstab mount point: the folder (a real path) whose filesystem
    it is on when its drive is not mounted (the mount parent; the fstab mount point's
    parent), the deepest of them when several hold it (``/srv/RAID/proxies`` listed below
    ``/srv/RAID``: the proxies' drive not mounted puts the folder on ``/srv/RAID``'s); None
    when it lies in neither."""
    holders = [
        real
        for real in map(_real, parents)
        if real != "/" and folder != real and within(folder, real)
    ] + [
        os.path.dirname(real)
        for real in map(_real, fstab_points)
        if real != "/" and within(folder, real)
    ]
    return max(holders, key=_depth, default=None)


def _drive_of_its_own(folder: str, fstab_points: Iterable[str]) -> bool:
    """*folder* (a mount parent, not ``/``) is a drive's own mount point, whose folders are
    that drive's, never an unmounted drive's: a mount point ``/etc/fstab`` lists (Azure's
    ``/mnt`` resource disk; *fstab_points*, bind mounts left out), or a filesystem other
    than its parent's on another physical disk than the folder above it (a RAID mounted at
    ``/media``: ``filesystem.disk_of``). Not merely another filesystem: macOS's
    ``/Volumes`` (a firmlink into the Data volume, another ``st_dev`` than ``/``'s, one
    disk), a ``/mnt`` or ``/media`` bind-mounted into a container, a tmpfs (on no disk):
    their folders are still where drives are mounted, each one checked. ``/Volumes`` never
    is one."""
    real = _real(folder)
    if real in ("/", "/Volumes"):
        return False
    if real in {_real(point) for point in fstab_points}:
        return True
    here = folder_device(real)
    above = os.path.dirname(real)
    there = folder_device(above)
    if here is None or there is None or here == there:
        return False
    disk = disk_of(here, real)
    return disk is not None and disk != disk_of(there, above)


def _named_path(path: Path) -> str | None:
    """*path* as a real path: its nearest existing folder's real path, joined with the
    folders still to be made (``/mnt/RAID2/day1`` for a missing ``RAID2`` below ``/mnt``);
    None when no folder of it can be looked at."""
    found = nearest_folder_device(path)
    if found is None:
        return None
    folder = found[0]
    rest = os.path.relpath(path, folder)
    return os.path.normpath(os.path.join(_real(str(folder)), rest))


def system_disk_holder(
    plan: DestinationPlan, parents: Sequence[str], fstab_points: Sequence[str]
) -> tuple[str, int] | None:
    """The folder whose filesystem *plan*'s copy would land on in place of a drive's (the
    module's rule), and that filesystem's device; None when the copy lands on a drive (or
    nothing can be told). Whether the destination is a drive's folder is told from the path
    the user named (a folder still to be made too: ``--create-folders``, the copy root);
    where the files land, from the copy root (``plan.root``: a drive mounted at
    ``DEST/<card>`` takes them) or its nearest existing folder; a drive mounted below the
    copy root takes some of them: not warned of."""
    named = _named_path(plan.destination)
    if named is None:
        return None
    holder = drive_folder(named, parents, fstab_points)
    if holder is None:
        return None
    landed = nearest_folder_device(plan.root)
    held = nearest_folder_device(Path(holder))
    if landed is None or held is None or landed[1] != held[1]:
        return None  # a drive mounted there: a filesystem of its own
    if mounted_below(plan.root):
        return None  # a drive mounted inside the copy root
    return holder, landed[1]


def check_system_disk(
    plans: Sequence[DestinationPlan],
    out: Findings,
    *,
    parents: Sequence[str] | None = None,
    fstab_points: Sequence[str] | None = None,
) -> None:
    """A ``dest-on-system-disk`` warning for each local destination (*plans*) that lies
    where drives are mounted on the filesystem of the folder holding them (the module's
    rule, :func:`system_disk_holder`): its words name that disk (the system disk, ``/``'s,
    as a rule) and ask whether its drive is mounted. A mount parent that is itself a
    drive's mount point (:func:`_drive_of_its_own`: listed in ``/etc/fstab``, or on another
    disk than the folder above it) is a drive's: its folders are not warned of. A few stats of
    each destination's folders; ``/etc/fstab`` and the mount table read once a
    destination at most. Raises nothing: a warning's check never stops a run."""
    try:
        parents = mount_parents() if parents is None else parents
        points = fstab_mount_points() if fstab_points is None else fstab_points
        parents = [parent for parent in parents if not _drive_of_its_own(parent, points)]
    except (OSError, ValueError):
        return
    for plan in plans:
        try:
            found = system_disk_holder(plan, parents, points)
            if found is None:
                continue
            words = _disk_words(found[1], found[0])
        except (OSError, ValueError):
            continue
        out.warning(
            C.DEST_ON_SYSTEM_DISK,
            plan.destination,
            f"destination {printable_name(str(plan.destination))} is on {words}, not on a "
            "drive of its own: is its drive mounted? (a copy there is not on that drive: "
            "mount the drive, or give the folder it is mounted at)",
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
