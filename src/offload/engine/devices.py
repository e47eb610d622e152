"""Destinations grouped by the physical disk they share, how each group reads back, and the
gate that makes a group's read-backs take turns.

``group_destinations`` maps each local destination (and the source) to its disk
(``fs.devices.block_device_of``) and decides, per group, whether its read-backs run in
parallel or one at a time (``DeviceConcurrency``; the rule and its evidence are in
docs/design.md and docs/performance.md):

* ``auto``: one at a time only on a **spinning disk shared by two or more destinations**
  (sysfs ``rotational`` = 1 on a disk that is not virtual): read in parallel, two copies on
  one disk make its heads seek between them. Everything else stays parallel, as on separate
  drives: SSDs and NVMe (parallel streams keep them busy), memory-backed disks, filesystems
  on no disk sysfs knows (network, FUSE, tmpfs), object stores, and **virtual disks**
  (virtio ``vd*``, Xen ``xvd*``, a model naming a hypervisor's disk), whose ``rotational``
  flag describes nothing: virtio reports 1 whatever the host stores it on, and on this
  project's virtio test machine parallel read-backs measured faster than serial ones. A loop
  device is judged by the disk under its backing file; only when that file is on no disk
  (tmpfs, FUSE, network) is the loop device's own flag used (the kernel sets it from the
  backing filesystem, an administrator may set it); the group then names that filesystem
  (``backing_filesystem``: the loop device is no disk of its own, and is on the source when
  the source is on that filesystem; the card-release rule reads it).
* ``parallel`` / ``serial``: as asked, for every group of two or more destinations.

Only the read-back is scheduled: writes keep flowing, and the number of writers and the
chunk size are the same on every device (no gain was measured from changing them).

``ReadBackGate`` is held by a committer (``engine.committer``) while it reads a batch back
from the media, and by nothing else: never while it waits for the reader's verdict or for
another destination, released on every exit (error, loss, cancel), and its wait polls the
cancel token.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from offload.engine.cancel import CANCEL_POLL_S, CancelToken

# The words of a group, in a module of their own for the reports (used here too).
from offload.engine.device_words import PARALLEL as PARALLEL
from offload.engine.device_words import SERIAL as SERIAL
from offload.errors import CancelledError
from offload.fs.devices import BlockDevice, block_device_of_dev, device_number, disk_of_mount
from offload.options import DeviceConcurrency

# Disk models that name a hypervisor's virtual disk (VMware "Virtual disk", Hyper-V
# "Virtual Disk", QEMU "QEMU HARDDISK", VirtualBox "VBOX HARDDISK").
_VIRTUAL_MODEL = re.compile(r"virtual|qemu|vbox", re.IGNORECASE)

_REASONS = {
    "alone": "the only destination on it",
    "rotational": "a spinning disk shared by {n} destinations: each reads back in turn, so "
    "the heads read one copy at a time instead of seeking between them",
    "non-rotational": "not rotational (SSD, NVMe): parallel streams keep it busy",
    "virtual": "a virtual disk: its rotational flag says nothing of the storage behind it, "
    "and parallel read-backs measured faster than serial ones on one",
    "memory": "held in memory",
    "unknown": "no disk the kernel describes (network, FUSE or memory filesystem): as on "
    "separate drives",
    "remote": "an object store, reached over the network",
    DeviceConcurrency.PARALLEL.value: "--device-concurrency parallel",
    DeviceConcurrency.SERIAL.value: "--device-concurrency serial",
}


class DeviceGroup(NamedTuple):
    """Destinations on one physical device and how they read back.

    ``device``: ``/dev/NAME`` of the disk, ``filesystem MAJ:MIN`` when the filesystem is on
    no disk sysfs knows, or a remote destination's own name; ``kind``: ``rotational``,
    ``non-rotational``, ``virtual``, ``memory``, ``unknown`` or ``remote`` (what the rule
    acted on); ``rotational``, ``transport``, ``model``, ``layers``: as sysfs said
    (``fs.devices.BlockDevice``); ``source``: the source is on this device too;
    ``read_backs``: ``serial`` or ``parallel``; ``reason``: why, in words;
    ``backing_filesystem``: for a loop device whose image file is on no disk sysfs knows,
    the type of the filesystem holding that file (``fs.devices.BlockDevice``).
    """

    device: str
    destinations: tuple[int, ...]
    kind: str
    read_backs: str
    reason: str
    rotational: bool | None = None
    transport: str | None = None
    model: str | None = None
    layers: tuple[str, ...] = ()
    source: bool = False
    backing_filesystem: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The group as the job report's ``devices`` entry (docs/json.md)."""
        return {
            "device": self.device,
            "destinations": list(self.destinations),
            "kind": self.kind,
            "rotational": self.rotational,
            "transport": self.transport,
            "model": self.model,
            "layers": list(self.layers),
            "source_on_device": self.source,
            "backing_filesystem": self.backing_filesystem,
            "read_backs": self.read_backs,
            "reason": self.reason,
        }


def group_destinations(
    roots: Sequence[Path | str | None],
    *,
    mode: DeviceConcurrency = DeviceConcurrency.AUTO,
    remote: Sequence[str | None] | None = None,
    source: Path | str | None = None,
) -> list[DeviceGroup]:
    """Group destinations (by index in *roots*) by physical device and decide each group.

    *remote*: for each index, the name of a destination that is not a local folder (S3),
    else None; such a destination (or a None root) is a group of its own. *source*: the
    source's path, to say which device it shares. Never raises; cheap (sysfs reads).
    """
    remote = list(remote) if remote is not None else [None] * len(roots)
    members: dict[str, list[int]] = {}
    found: dict[str, BlockDevice | None] = {}
    for index, (root, name) in enumerate(zip(roots, remote, strict=True)):
        if name is not None or root is None:
            key = f"remote {index}"
            found[key] = None
        else:
            key, found[key] = _device_key(root, found)
        members.setdefault(key, []).append(index)
    source_key = _device_key(source, found)[0] if source is not None else None
    source_dev = device_number(source) if source is not None else None
    groups = []
    for key, indexes in members.items():
        device = found[key]
        if key.startswith("remote "):
            index = indexes[0]
            label = remote[index] or f"destination {index + 1}"
            groups.append(_decide(label, tuple(indexes), "remote", None, mode, source=False))
            continue
        kind = _kind(device)
        label = device.path if device is not None else key
        # A loop device whose image file is on the source's filesystem is on the source.
        on_source = key == source_key or (
            device is not None
            and device.backing_device is not None
            and device.backing_device == source_dev
        )
        groups.append(_decide(label, tuple(indexes), kind, device, mode, source=on_source))
    return groups


def _device_key(
    path: Path | str, found: dict[str, BlockDevice | None]
) -> tuple[str, BlockDevice | None]:
    st_dev = device_number(path)
    if st_dev is None:
        return f"unreachable {path}", None
    # A filesystem whose st_dev is anonymous (btrfs, also on one disk) is on the disk of
    # its mount's source, as report/volumes.py finds it.
    device = block_device_of_dev(st_dev) or disk_of_mount(path)
    if device is None:
        return f"filesystem {os.major(st_dev)}:{os.minor(st_dev)}", None
    return device.path, found.get(device.path, device)


def _kind(device: BlockDevice | None) -> str:
    if device is None:
        return "unknown"
    if device.transport in ("virtio", "xen") or _VIRTUAL_MODEL.search(device.model or ""):
        return "virtual"
    if device.transport in ("zram", "ram", "pmem"):
        return "memory"
    if device.transport == "nvme" or device.rotational is False:
        return "non-rotational"
    if device.rotational is None:
        return "unknown"
    return "rotational"


def _decide(
    label: str,
    indexes: tuple[int, ...],
    kind: str,
    device: BlockDevice | None,
    mode: DeviceConcurrency,
    *,
    source: bool,
) -> DeviceGroup:
    if len(indexes) < 2:
        read_backs, why = PARALLEL, "alone"
    elif mode is not DeviceConcurrency.AUTO:
        read_backs, why = mode.value, mode.value
    elif kind == "rotational":
        read_backs, why = SERIAL, "rotational"
    else:
        read_backs, why = PARALLEL, kind
    return DeviceGroup(
        device=label,
        destinations=indexes,
        kind=kind,
        read_backs=read_backs,
        reason=_REASONS[why].format(n=len(indexes)),
        rotational=device.rotational if device is not None else None,
        transport=device.transport if device is not None else None,
        model=device.model if device is not None else None,
        layers=device.layers if device is not None else (),
        source=source,
        backing_filesystem=device.backing_filesystem if device is not None else None,
    )


class ReadBackGate:
    """One read-back at a time among the destinations of a serial group. Thread-safe."""

    def __init__(self, device: str) -> None:
        self.device = device
        self._lock = threading.Lock()

    @contextmanager
    def held(self, cancel: CancelToken, *, on_wait: Callable[[], None]) -> Iterator[None]:
        """Hold the gate for the body; *on_wait* is called once if another holds it first.

        Raises CancelledError when the job is cancelled while waiting (polled every
        ``CANCEL_POLL_S``). Released when the body ends, however it ends.
        """
        if not self._lock.acquire(blocking=False):
            on_wait()
            while not self._lock.acquire(timeout=CANCEL_POLL_S):
                if cancel.cancelled:
                    raise CancelledError(f"cancelled while waiting to read back on {self.device}")
        try:
            yield
        finally:
            self._lock.release()


def read_back_gates(groups: Sequence[DeviceGroup], count: int) -> list[ReadBackGate | None]:
    """For each of *count* destinations, its group's gate (None: reads back freely)."""
    gates: list[ReadBackGate | None] = [None] * count
    for group in groups:
        if group.read_backs != SERIAL:
            continue
        gate = ReadBackGate(group.device)
        for index in group.destinations:
            if index < count:
                gates[index] = gate
    return gates
