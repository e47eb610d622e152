"""Which card an offload reads: the identity each ledger entry it writes records, so that a
re-run trusts a recorded copy from the ledger only for the card that was copied
(``ledger.same_card``; README, "Re-running an offload").

A card's identity is its filesystem's own: the volume UUID or serial (exFAT and FAT: the
volume serial a format writes, new at each format in camera; ext4: the UUID; NTFS: its
serial; btrfs: none found, its subvolumes' device numbers are not the mount table's) with
its type and label, and the source's path relative to the volume's root ("" when the
source is the volume's root). Two identities are one card when volume and folder agree
(``same_volume_and_folder``): the label is for people. The folder is always part of it: on a shuttle
drive holding many cards in folders of one volume, the volume's UUID names the drive, not a
card, and only the folder tells them apart. (The same card offloaded once from its root and
once from a folder in it has two identities: the second run reads its copies back instead
of trusting them; never the other way.)

Found once a run, read-only: one read of ``/proc/self/mountinfo`` (the mount holding the
source: its device and the mount's root within the filesystem, so a bind mount of a folder
names that folder), then the device's UUID and label from udev's ``/dev/disk/by-uuid`` and
``/dev/disk/by-label`` links, or where udev made none for it (a loop device, a container)
``blkid -p -o udev DEVICE`` (util-linux; ``-p`` probes the device itself, never blkid's
cache, which may remember the card before it was formatted again), with a timeout. The
mount source must be a block device or an image file: a kernel mount (``/dev/sdb1``) or a
FUSE daemon's over a device or image (exfat-fuse, ntfs-3g, fusefat). Unknown (None): no
such source (tmpfs, overlay, a network share, a FUSE filesystem of another kind), no UUID
on the device, no blkid, or not permitted to read the device.
"""

from __future__ import annotations

import functools
import json
import os
import re
import stat
from json.encoder import encode_basestring
from pathlib import Path
from typing import NamedTuple

from offload.fs import mount_table
from offload.fs.devices import unescape_escapes
from offload.plan.filesystem import MOUNTINFO, MountEntry, find_mount, parse_mountinfo

BLKID_TIMEOUT_S = 5.0
DISK_LINKS = Path("/dev/disk")
# Where blkid is when a PATH lacks the sbin folders (a user's shell on Debian).
_SBIN = ("/usr/sbin", "/sbin")


class CardIdentity(NamedTuple):
    """The identity of a card (see the module's docstring)."""

    volume_id: str  # the filesystem's UUID or serial, as blkid spells it ("1234-ABCD")
    label: str  # the volume's label ("" for none)
    filesystem: str  # blkid's TYPE ("exfat", "vfat", "ext4", "ntfs"; "" when not given)
    folder: str  # the source's path relative to the volume's root ("" for its root)

    @property
    def key(self) -> str:
        """The text a ledger entry records (``card``): volume id, label (JSON-quoted, so no
        label can run into the folder) and folder: ``1234-ABCD "A001"`` or ``<uuid>
        "SHUTTLE"/CARDS/A001``. Runs compare the volume id and folder alone
        (``same_volume_and_folder``): the label is recorded for people. Not the type: udev's
        links do not give it."""
        key = f"{self.volume_id} {encode_basestring(self.label)}"
        return f"{key}/{self.folder}" if self.folder else key

    def as_json(self) -> dict[str, str]:
        """The JSON reports' ``card`` object (docs/json.md)."""
        return {
            "volume_id": self.volume_id,
            "label": self.label,
            "filesystem": self.filesystem,
            "folder": self.folder,
            "key": self.key,
        }

    def words(self) -> str:
        """The identity in a message: ``"A001", volume 1234-ABCD`` (``volume 1234-ABCD``
        without a label), and for a folder ``folder CARDS/A001 of "SHUTTLE", volume
        <uuid>``."""
        return describe_key(self.key)


def parse_key(key: str) -> CardIdentity | None:
    """The identity a ``CardIdentity.key`` (as a ledger entry records it) stands for, its
    ``filesystem`` unknown (""); None for "" or a key this version cannot read."""
    volume, _, rest = key.partition(" ")
    match = re.match(r'"(?:[^"\\]|\\.)*"', rest)
    if not volume or match is None:
        return None
    try:
        label = json.loads(match.group(0))
    except ValueError:
        return None
    return CardIdentity(volume, label, "", rest[match.end() :].removeprefix("/"))


@functools.lru_cache(maxsize=64)
def _volume_and_folder(key: str) -> tuple[str, str] | None:
    identity = parse_key(key)
    return None if identity is None else (identity.volume_id, identity.folder)


def same_volume_and_folder(key: str, other: str) -> bool:
    """Whether two ``CardIdentity.key``s name one card: the same volume serial or UUID and
    folder on it. Not the label: it is for people, and where it is read from differs from
    run to run (two cards labelled alike in two readers: udev links one ``by-label`` name to
    one of them only, so the other reads as unlabelled). A key this version cannot read is
    equal to itself alone."""
    if key == other:
        return True
    mine, theirs = _volume_and_folder(key), _volume_and_folder(other)
    return mine is not None and mine == theirs


def describe_key(key: str) -> str:
    """A ``CardIdentity.key`` (as a ledger entry records it) in words (``words``); a key
    this version cannot read (a newer version's) quoted as it is."""
    identity = parse_key(key)
    if identity is None:
        return repr(key)
    label = encode_basestring(identity.label) + ", " if identity.label else ""
    if identity.folder:
        return f"folder {identity.folder} of {label}volume {identity.volume_id}"
    return f"{label}volume {identity.volume_id}"


def card_identity(source: Path, *, timeout_s: float = BLKID_TIMEOUT_S) -> CardIdentity | None:
    """The identity of the card (or folder of cards) at *source*, or None when unknown.
    Never raises, never writes: one read of the mount table, then udev's links or one
    ``blkid`` of the device (at most *timeout_s*)."""
    try:
        real = os.path.realpath(source)
        st_dev = os.stat(real).st_dev
        mounts = mount_table.parsed(MOUNTINFO, parse_mountinfo)
    except OSError:
        return None
    # The mount holding the source whose filesystem is the source's (its device number: a
    # mount point listed but hidden by another is not it).
    mount = find_mount(Path(real), [m for m in mounts if m.device == st_dev] or mounts)
    if mount is None or mount.device != st_dev:
        return None
    device = _device_of(mount)
    if device is None:
        return None
    found = _from_udev(device) or _from_blkid(device, timeout_s)
    if found is None:
        return None
    volume_id, label, filesystem = found
    return CardIdentity(volume_id, label, filesystem, volume_folder(real, mount))


def volume_folder(real: str, mount: MountEntry) -> str:
    """The folder *real* (a realpath on *mount*) is on its volume: the mount's root (a bind
    mount's folder) and the path below the mount point, ``/``-joined ("" for the root)."""
    inside = os.path.relpath(real, mount.mount_point) if real != mount.mount_point else ""
    return "/".join(
        part for part in (*mount.root.split("/"), *inside.split("/")) if part not in ("", ".")
    )


def _device_of(mount: MountEntry) -> str | None:
    """The device (or image file) a mount's source names, or None: a network share's
    ``host:/path``, tmpfs, a FUSE daemon's own word."""
    if not mount.source.startswith("/"):
        return None
    try:
        mode = os.stat(mount.source).st_mode
    except OSError:
        return None
    return mount.source if stat.S_ISBLK(mode) or stat.S_ISREG(mode) else None


def _from_udev(device: str) -> tuple[str, str, str] | None:
    """The UUID udev's ``/dev/disk/by-uuid`` names *device* by (with its label from
    ``by-label``; no type: udev's links give none), or None."""
    uuid = _link_to(DISK_LINKS / "by-uuid", device)
    if uuid is None:
        return None
    return uuid, _link_to(DISK_LINKS / "by-label", device) or "", ""


def _link_to(folder: Path, device: str) -> str | None:
    """The (unescaped) name of the link in *folder* that leads to *device*, or None."""
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    real = os.path.realpath(device)
    for name in sorted(names):
        if os.path.realpath(folder / name) == real:
            return unescape_escapes(name)
    return None


def _from_blkid(device: str, timeout_s: float) -> tuple[str, str, str] | None:
    """UUID, label and type from ``blkid -p -o udev DEVICE`` (:func:`_probe`), or None (no
    blkid, not permitted, no UUID, timed out)."""
    values = _probe(device, timeout_s)
    if values is None:
        return None
    uuid = unescape_escapes(values.get("ID_FS_UUID_ENC", values.get("ID_FS_UUID", "")))
    if not uuid:
        return None
    label = unescape_escapes(values.get("ID_FS_LABEL_ENC", ""))
    return uuid, label, values.get("ID_FS_TYPE", "")


def filesystem_label(device: str, *, timeout_s: float = BLKID_TIMEOUT_S) -> str | None:
    """The label the filesystem on *device* (a block device or an image file) holds, as
    udev's ``/dev/disk/by-label`` link names it or, where udev made none (a container, a
    loop device without udev), as ``blkid -p`` reads it from the device itself: ext4,
    exFAT, FAT and NTFS all answer. ``""`` when the filesystem has no label; None when no
    one could tell (no blkid, not permitted to read the device, no filesystem blkid knows,
    timed out). Never raises; at most one blkid (*timeout_s*)."""
    label = _link_to(DISK_LINKS / "by-label", device)
    if label is not None:
        return label
    values = _probe(device, timeout_s)
    if values is None or not values.get("ID_FS_TYPE"):
        return None
    return unescape_escapes(values.get("ID_FS_LABEL_ENC", ""))


def _probe(device: str, timeout_s: float) -> dict[str, str] | None:
    """What ``blkid -p -o udev DEVICE`` says of *device* (``ID_FS_*`` name → value), or None
    (no blkid, not permitted, nothing found, timed out). The udev format: its
    ``ID_FS_LABEL_ENC`` escapes a label as udev's ``by-label`` links do (``CAMÉRA\\x201``),
    so the label reads the same whichever answered; ``-o export`` mangles a byte above 127
    (``CAMM-CM-^IRA``). Not cached: a library process offloads card after card from one
    reader (``/dev/sdb1``), and a card formatted again is another card."""
    blkid = _blkid()
    if blkid is None or not _readable(device):
        return None
    import subprocess  # here: a card udev names needs none (start-up cost)

    try:
        done = subprocess.run(
            [blkid, "-p", "-o", "udev", device],
            capture_output=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
            env={"LC_ALL": "C", "PATH": os.environ.get("PATH", "")},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return dict(
        line.partition("=")[::2]
        for line in done.stdout.decode("utf-8", "surrogateescape").splitlines()
        if "=" in line
    )


def _readable(device: str) -> bool:
    """Whether this process may open *device* for reading (blkid must): a device it may not
    (a user outside the ``disk`` group, a container's device rules, which deny even root)
    spares the spawn of a blkid bound to fail. Opened read-only, nothing read."""
    try:
        os.close(os.open(device, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK))
    except OSError:
        return False
    return True


def _blkid() -> str | None:
    """blkid's path: on PATH, else in the sbin folders a user's PATH may lack (Debian).
    Looked up here, not by ``shutil.which``: shutil is not otherwise loaded before the
    copy (tests/cli/test_offload_cli.py holds the start-up's imports)."""
    folders = [*os.environ.get("PATH", "").split(os.pathsep), *_SBIN]
    for folder in folders:
        path = os.path.join(folder or ".", "blkid")
        if os.access(path, os.X_OK) and not os.path.isdir(path):
            return path
    return None
