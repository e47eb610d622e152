"""The cache below a filesystem: what a read of a file cannot go around by itself.

O_DIRECT (or dropping a file's pages) avoids the page cache of the file's own filesystem.
That reaches the media only when the kernel itself reads the disk. Two kinds of filesystem
read through a second cache below it:

* a FUSE filesystem over a local block device (``fuseblk`` in the mount table: ntfs-3g,
  exfat-fuse): its daemon reads the device through the device's page cache, so a
  read-back may return what was written, not what the disk holds. That cache can be written
  back and dropped (``fsync`` then ``POSIX_FADV_DONTNEED`` on the device opened read-only;
  measured here to work for both daemons, 0.3-2.4 ms on a 64 MiB loop device, and it needs
  only read permission where ``BLKFLSBUF`` needs CAP_SYS_ADMIN). ``DeviceCache.bypass`` does
  so once per batch of files written (``written``), not per file, and says
  ``CacheBypass.DEVICE``; a device that cannot be opened (a user without read permission on
  it: EACCES) leaves the read through that cache: ``CacheBypass.NONE``.
* a network filesystem (``NETWORK_FILESYSTEMS``, by type from the mount table): the server
  answers, maybe from its own cache; a client cannot reach the server's disk.
  ``CacheBypass.SERVER``.

* any other FUSE filesystem (``fuse``, ``fuse.*``: fusefat, ntfs-3g or exfat-fuse over an
  image file, a pass-through such as the tests' FaultyFS): its daemon reads its storage
  through some cache this process cannot name from the mount table (the mount source is
  whatever text the daemon chose). When that source is a block device, its cache is dropped
  as for ``fuseblk``; otherwise the read is recorded as through a cache,
  ``CacheBypass.NONE`` (kind "cache"). O_DIRECT on the FUSE file proves only that the
  kernel's FUSE page cache was skipped: fusefat over an image answered from the image's
  page cache while the read-back said ``o_direct`` (reviewer's fusefat.py).

* a filesystem held in memory (``MEMORY_FILESYSTEMS``: tmpfs, ramfs): its page cache is
  its storage, with no media below it. O_DIRECT there (tmpfs takes it for files of some
  size) reads the very pages a buffered read would, and dropping them is refused: a
  read-back is a read of RAM, whatever the file's size, ``CacheBypass.NONE`` (kind
  "memory"), never ``o_direct`` for a large file beside ``none`` for a small one.

* a filesystem on a kernel loop device over an image file (``losetup``, without direct I/O:
  ``/sys/block/loopN/loop/dio`` 0, the default), under any of the above or none: the loop
  driver reads the image through the page cache of the filesystem holding the image, so a
  read-back may again return what was written. That cache is written back and dropped too
  (``fsync`` then ``POSIX_FADV_DONTNEED`` on the image file, ``backing``), with the device's,
  once a batch; where the image cannot be opened, or lies where dropping reaches no media
  (tmpfs, a network share, another FUSE filesystem), the read goes through a cache:
  ``CacheBypass.NONE`` (``SERVER`` for a share). A loop device with direct I/O reads the
  image past that cache: nothing more to drop.

Everything else (a kernel filesystem on a block device) is read as the file-level bypass
says.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from offload.results import CacheBypass

# Filesystems served over the network (types as /proc/self/mountinfo spells them): a read
# comes from a server, never from a disk this machine reads. Also the card-release rule's
# list (report/release.py): on no disk this machine names.
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "ceph",
        "glusterfs",
        "9p",
        "virtiofs",
        "afs",
        "lustre",
        "davfs",
        "afpfs",
        "fuse.sshfs",
        "fuse.rclone",
        "fuse.davfs",
        "fuse.afpfs",
        "fuse.afpfsd",
        "fuse.glusterfs",
        "fuse.ceph-fuse",
        "fuse.s3fs",
        "fuse.gcsfuse",
        "fuse.goofys",
    }
)
# A FUSE filesystem whose daemon reads a local block device (the mount source).
BLOCK_FUSE = "fuseblk"
# Filesystems whose storage is RAM: their page cache holds the only copy (also the
# card-release rule's: report/release.py).
MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})


def on_no_known_disk(
    disk: str | None, filesystem: str | None, backing_filesystem: str | None
) -> bool:
    """A folder (the card's) is on no disk this machine names (a pass-through FUSE mount, a
    network share, a loop device whose image file is on such a mount), and not held in
    memory: neither its *filesystem* nor, for a loop device, its image file's
    (*backing_filesystem*) is tmpfs or ramfs. *disk*: the whole disk sysfs names under it,
    None where none. The one rule of the cascade (``cascade.card_disk_unknown``) and of the
    card release (``report/release.py``) for a card that may share any destination's disk."""
    if disk:
        return False
    return (filesystem or "").lower() not in MEMORY_FILESYSTEMS and (
        backing_filesystem or ""
    ).lower() not in MEMORY_FILESYSTEMS


_FILE_LEVEL_MEDIA = frozenset({CacheBypass.O_DIRECT, CacheBypass.FADVISE})


class CacheBelow:
    """What lies under one filesystem's files (see the module docstring). Thread-safe.

    ``kind``: "" (nothing known below), "device" (``fuseblk`` over ``device``, or another
    FUSE filesystem whose source is a block device), "server" (a network filesystem),
    "cache" (another FUSE filesystem: a cache below that cannot be dropped) or "memory"
    (tmpfs, ramfs: no media, the cache is the storage). For "device",
    ``written()`` must be called once a file is durable (fsynced) and before it is read back,
    so that the next ``bypass`` drops the device's cache again.
    """

    __slots__ = (
        "_dropped",
        "_lock",
        "_usable",
        "_written",
        "backing",
        "backing_below",
        "device",
        "kind",
    )

    def __init__(
        self, kind: str = "", device: str | None = None, backing: str | None = None
    ) -> None:
        """*backing*: the image file of a loop device (without direct I/O) under the
        filesystem, or under *device*: its page cache is dropped too (module docstring)."""
        self.kind = kind
        self.device = device
        self.backing = backing
        # What lies below the image's own filesystem (where dropping its pages reaches).
        self.backing_below = cache_below(backing) if backing is not None else None
        self._lock = threading.Lock()
        self._written = 1  # files made durable since the start; the start counts as one
        self._dropped = 0  # the value of _written the last drop covered
        self._usable = True  # False once the device could not be opened (no permission)

    def written(self) -> int:
        """A file of this filesystem was made durable (or read: a card's): the next read-back
        drops again. Returns the count it made, for ``bypass``'s *written_at* (0 when there
        is no device cache to drop)."""
        if self.kind != "device" and self.backing is None:
            return 0
        with self._lock:
            self._written += 1
            return self._written

    def bypass(self, file_level: CacheBypass, written_at: int | None = None) -> CacheBypass:
        """How a read whose own filesystem's cache was avoided as *file_level* reaches the
        media, the cache below dropped first where that is needed and possible. Call it
        before the read. *written_at*: what ``written()`` returned for the file read; a drop
        since then holds for it (None: any file written since the last drop drops again).
        Never raises."""
        if file_level not in _FILE_LEVEL_MEDIA or (not self.kind and self.backing is None):
            return file_level
        if self.kind == "server":
            return CacheBypass.SERVER
        if self.kind in ("cache", "memory"):
            return CacheBypass.NONE
        level = CacheBypass.DEVICE if self.kind == "device" else file_level
        if not self._drop(written_at):
            return CacheBypass.NONE
        if self.backing_below is None:
            return level
        # The image's pages are gone from its filesystem's cache: what that filesystem
        # reads them from next is what the read-back reaches.
        below = self.backing_below
        if below.kind == "server":
            return CacheBypass.SERVER
        if below.kind or below.backing is not None:
            # tmpfs (the image is RAM), another FUSE filesystem, or an image on an image:
            # a cache this drop did not reach.
            return CacheBypass.NONE
        return level

    def _drop(self, written_at: int | None) -> bool:
        """Write back and drop the caches below (the device's, then the loop image's);
        False if one of them could not be."""
        with self._lock:
            targets = [self.device if self.kind == "device" else None, self.backing]
            if not self._usable or not any(targets):
                return False
            if self._dropped >= (self._written if written_at is None else written_at):
                return True  # nothing made durable since: the last drop still holds
            target = self._written
            for path in targets:
                if path is None:
                    continue
                try:
                    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                except OSError:
                    # EACCES for a user who may not read the disk or the image (the usual
                    # case without root), ENOENT for one gone: this read goes through a cache.
                    self._usable = False
                    return False
                try:
                    # Dirty pages survive DONTNEED: write them back first (fsync of a block
                    # device writes its page cache back, and the loop driver's flush that of
                    # its image; read permission is enough).
                    os.fsync(fd)
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                except OSError:
                    return False
                finally:
                    os.close(fd)
            self._dropped = target
            return True


NOTHING_BELOW = CacheBelow()
# Another FUSE filesystem's storage, read by its daemon through a cache nobody here names.
CACHE_ONLY = CacheBelow("cache")
# A filesystem in RAM: the read-back reads the pages the copy is stored in.
IN_MEMORY = CacheBelow("memory")


def cache_below(path: Path | str) -> CacheBelow:
    """What lies below the filesystem holding *path* (the mount table; never raises)."""
    # Here, not with the module: ``offload.plan`` (its package loads the scan and the
    # preflight: ~16 ms) is the copy's, loaded by then; the report worker, which imports
    # this module for its filesystem names (report/release.py), never needs it
    # (docs/performance.md, "Fixed cost: eighteenth pass").
    from offload.plan.filesystem import detect_filesystem

    info = detect_filesystem(Path(path))
    if info.fstype in NETWORK_FILESYSTEMS:
        return CacheBelow("server")
    if info.fstype in MEMORY_FILESYSTEMS:
        return IN_MEMORY
    fuse = info.fstype == "fuse" or info.fstype.startswith("fuse.")
    if (info.fstype == BLOCK_FUSE and info.source.startswith("/")) or (
        fuse and _block_device(info.source) is not None
    ):
        return CacheBelow("device", info.source, _loop_image(_block_device(info.source)))
    if fuse:
        return CACHE_ONLY
    try:
        st_dev = os.stat(path).st_dev
    except OSError:
        return NOTHING_BELOW
    image = _loop_image(st_dev)
    return CacheBelow(backing=image) if image is not None else NOTHING_BELOW


def _block_device(source: str) -> int | None:
    """The device number of the block device a mount source names, or None (a FUSE daemon
    chooses its source text: only a path that is one counts)."""
    if not source.startswith("/"):
        return None
    try:
        st = os.stat(source)
    except OSError:
        return None
    return st.st_rdev if stat.S_ISBLK(st.st_mode) else None


def _loop_image(device: int | None, sys: Path = Path("/sys")) -> str | None:
    """The image file of the loop device *device* (or of the loop device a partition of it
    is on) when the loop reads it through its page cache (``loop/dio`` not 1); None for any
    other device, or where sysfs cannot say."""
    if device is None:
        return None
    try:
        node = (sys / "dev" / "block" / f"{os.major(device)}:{os.minor(device)}").resolve(
            strict=True
        )
    except (OSError, RuntimeError):
        return None
    if (node / "partition").exists():
        node = node.parent
    try:
        image = (node / "loop" / "backing_file").read_text(errors="surrogateescape").strip()
        dio = (node / "loop" / "dio").read_text().strip()
    except OSError:
        return None
    return image if image and dio != "1" else None


class CachesBelow:
    """``CacheBelow`` per filesystem, probed once each (by ``st_dev``) for one run that reads
    files of several filesystems (``offload verify``, the copies already there)."""

    def __init__(self) -> None:
        self._by_device: dict[int, CacheBelow] = {}
        self._lock = threading.Lock()

    def of(self, path: Path | str) -> CacheBelow:
        """The cache below *path*'s filesystem. Raises OSError from ``stat``."""
        return self.of_device(os.stat(path).st_dev, path)

    def of_device(self, device: int, path: Path | str) -> CacheBelow:
        """The cache below the filesystem of device *device*, which *path* is on (probed
        from *path* the first time the device is asked). Thread-safe: two first askers may
        both probe; the first answer kept is every caller's."""
        with self._lock:
            found = self._by_device.get(device)
        if found is None:
            found = cache_below(path)
            with self._lock:
                found = self._by_device.setdefault(device, found)
        return found


def this_host(host: str, *names: str) -> bool:
    """Whether *host* (a mount source's server, an S3 endpoint's host: ``127.0.0.1``,
    ``localhost``, a name, an address) is this machine, or the machine called one of *names*
    (a report's ``hostname``): a share or a bucket it serves is on one of its own disks. An
    address is this machine's when it is a loopback or unspecified one, or one of the
    addresses the kernel holds for it (``own_addresses``); a name, when this machine's
    ``/etc/hosts`` gives it such an address. Never raises, never asks a resolver."""
    name = host.strip("[]").lower()
    if not name:
        return False
    if name in ("localhost", "localhost.localdomain", "::1", "0.0.0.0"):
        return True
    own = {n.lower() for n in (os.uname().nodename, *names) if n}
    if name in own or any(_same_machine_name(name, n) for n in own):
        return True
    import ipaddress  # only for a host no name matched
    import socket

    try:
        addresses = [ipaddress.ip_address(name.split("%", 1)[0])]  # fe80::1%eth0: its zone
    except ValueError:
        try:
            # The other spellings of an IPv4 address the C resolver takes as one (``0``,
            # ``127.1``, ``2130706433``, ``0x7f.1``): parsed, never looked up.
            addresses = [ipaddress.IPv4Address(socket.inet_aton(name))]
        except OSError:
            # A name: what this machine's own hosts file says it is (ip6-localhost, an
            # alias of this host), never a resolver's answer.
            addresses = []
            for text in _hosts_file().get(name, ()):
                try:
                    addresses.append(ipaddress.ip_address(text.split("%", 1)[0]))
                except ValueError:
                    continue
    held = own_addresses()
    for address in addresses:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address.is_loopback or address.is_unspecified or address.compressed in held:
            return True
    return False


def _same_machine_name(host: str, own: str) -> bool:
    """Whether *host* names the machine called *own* though they differ: a bare name and
    the full name it stands for in the local domain (``dit-laptop`` and
    ``dit-laptop.studio.lan``, either way round), or its mDNS name (``dit-laptop.local``).
    Not two full names that share a first label (``storage.googleapis.com`` is not the
    machine ``storage``; ``s3.eu-west-1.amazonaws.com`` not ``s3.studio.lan``)."""
    host_first, host_dot, host_rest = host.partition(".")
    own_first, own_dot, _ = own.partition(".")
    if host_first != own_first:
        return False
    if not host_dot or not own_dot:
        # One of them bare: the other is its full name, or a stranger's that happens to
        # start with it; only a bare name, or an mDNS/local-domain one, is taken as it.
        bare_host = not host_dot
        return bare_host or host_rest in ("local", "localdomain")
    return False


def _hosts_file() -> dict[str, list[str]]:
    """``/etc/hosts``: each name (lower case) and the addresses it gives; empty where it
    cannot be read."""
    names: dict[str, list[str]] = {}
    try:
        with open("/etc/hosts", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.split("#", 1)[0].split()
                for alias in fields[1:]:
                    names.setdefault(alias.lower(), []).append(fields[0])
    except OSError:
        pass
    return names


def own_addresses() -> frozenset[str]:
    """This machine's own IP addresses as ``ipaddress`` writes them, from the kernel's tables
    (``/proc/net/fib_trie``: each address of the local routing table, ``/32 host LOCAL``;
    ``/proc/net/if_inet6``: each IPv6 address of an interface); empty where they cannot be
    read. No socket, no resolver: a few small reads."""
    import ipaddress

    found: set[str] = set()
    try:
        with open("/proc/net/fib_trie", encoding="ascii", errors="replace") as handle:
            last = ""
            for line in handle:
                text = line.strip()
                if text.startswith(("|--", "+--")):
                    last = text[3:].split()[0].split("/")[0] if len(text) > 3 else ""
                elif text.startswith("/32 host LOCAL") and last:
                    found.add(last)
    except OSError:
        pass
    try:
        with open("/proc/net/if_inet6", encoding="ascii", errors="replace") as handle:
            for line in handle:
                fields = line.split()
                if fields and len(fields[0]) == 32:
                    try:
                        found.add(ipaddress.IPv6Address(int(fields[0], 16)).compressed)
                    except ValueError:
                        continue
    except OSError:
        pass
    return frozenset(found)


def share_host(source: str) -> str:
    """The server named by a network mount's source: ``host:/path`` (NFS),
    ``user@host:path`` (sshfs), ``//host/share`` (SMB), ``host:port:/path``; "" if none."""
    text = source.strip()
    if text.startswith("//") or text.startswith("\\\\"):
        return text[2:].replace("\\", "/").split("/", 1)[0]
    if "@" in text.split(":", 1)[0]:
        text = text.split("@", 1)[1]
    if text.startswith("["):  # [::1]:/export
        return text[1:].split("]", 1)[0]
    host, sep, _ = text.partition(":")
    return host if sep else ""
