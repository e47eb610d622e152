"""Destinations grouped by the disk they share, on real block devices (loop devices whose
``rotational`` flag the test sets), and the read-back decision seen in the job's own events
and in the report (issue 14, storage-aware concurrency)."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from offload.card import OffloadOptions, plan_offload, run_offload
from offload.engine.device_words import describe
from offload.engine.devices import SERIAL, group_destinations
from offload.events import BytesVerified, Event, PhaseChanged
from offload.fs.devices import BlockDevice, block_device_of, block_device_of_dev
from offload.options import CopyOptions, DeviceConcurrency
from offload.results import DestinationStatus
from support import mounts
from support.event_log import EventLog
from support.requirements import skip_unavailable

MIB = 1024 * 1024


@pytest.fixture
def loop_disk(tmp_path: Path) -> Iterator[Callable[..., mounts.LoopDisk]]:
    """Factory: ``loop_disk(size_bytes=96 MiB, *, rotational) -> LoopDisk``."""
    skip_unavailable(mounts.unavailable_reason("ext4"))
    numbers = itertools.count()
    with contextlib.ExitStack() as stack:

        def make(size_bytes: int = 96 * MIB, *, rotational: bool) -> mounts.LoopDisk:
            where = tmp_path / f"disk-{next(numbers)}"
            return stack.enter_context(mounts.loop_disk(where, size_bytes, rotational=rotational))

        yield make


def make_card(root: Path, sizes: list[int]) -> Path:
    card = root / "card"
    (card / "CLIP").mkdir(parents=True)
    for index, size in enumerate(sizes):
        (card / "CLIP" / f"A{index:03}.mov").write_bytes(os.urandom(size))
    return card


def read_back_runs(events: list[Event]) -> list[tuple[int, int]]:
    """(destination whose read-back was announced last, destination of a BytesVerified) for
    every destination BytesVerified event, in emission order."""
    pairs = []
    current = -1
    for event in events:
        if isinstance(event, PhaseChanged) and event.destination_index >= 0:
            if event.phase == "verify":
                current = event.destination_index
        elif isinstance(event, BytesVerified) and event.destination_index >= 0:
            pairs.append((current, event.destination_index))
    return pairs


def offload_to(
    card: Path, roots: list[Path], mode: DeviceConcurrency, sink: EventLog | None = None
) -> tuple[list, object]:
    for root in roots:
        root.mkdir(parents=True, exist_ok=True)
    plan = plan_offload(
        card,
        roots,
        OffloadOptions(copy=CopyOptions(device_concurrency=mode)),
    )
    report = run_offload(plan, sink=sink)
    return plan.devices, report


def test_a_loop_device_on_no_disk_is_described_by_its_own_flag(
    loop_disk: Callable[..., mounts.LoopDisk],
) -> None:
    spinning = loop_disk(rotational=True)
    solid = loop_disk(rotational=False)
    found = block_device_of(spinning.path / "not-yet" / "there")
    assert found is not None
    assert (found.path, found.rotational, found.transport) == (spinning.device, True, "loop")
    other = block_device_of(solid.path)
    assert other is not None and (other.path, other.rotational) == (solid.device, False)


def test_a_loop_device_whose_image_is_on_no_disk_names_that_filesystem(
    tmp_path: Path, loop_disk: Callable[..., mounts.LoopDisk]
) -> None:
    """The loop device is no disk of its own: the group says where its image is
    (``backing_filesystem``), and a source on that filesystem is on the loop device too.
    Failed before: the loop device was a disk apart from the source."""
    disk = loop_disk(rotational=False)
    backing = disk.path.with_name(disk.path.name + ".backing")  # the tmpfs holding the image
    found = block_device_of(disk.path)
    assert found is not None and found.backing_filesystem == "tmpfs"
    assert found.backing_device == os.stat(backing).st_dev
    card = backing / "card"
    card.mkdir()
    (group,) = group_destinations([disk.path], source=card)
    assert group.device == disk.device and group.backing_filesystem == "tmpfs"
    assert group.source
    (elsewhere,) = group_destinations([disk.path], source=tmp_path)
    assert not elsewhere.source or os.stat(tmp_path).st_dev == os.stat(backing).st_dev


def test_a_loop_device_over_a_file_is_the_disk_under_that_file(
    tmp_path: Path, ext4_loop: Callable[..., mounts.Ext4Loop]
) -> None:
    disk = block_device_of(tmp_path)
    if disk is None:
        pytest.skip(f"{tmp_path} is on no block device: nothing to resolve the loop device to")
    mount = ext4_loop()
    found = block_device_of(mount.path)
    assert found == disk.__class__(
        name=disk.name,
        rotational=disk.rotational,
        transport=disk.transport,
        model=disk.model,
        layers=(*disk.layers, os.path.basename(mount.source), str(mount.image)),
    )


def test_two_destinations_on_one_spinning_disk_read_back_one_at_a_time(
    tmp_path: Path, loop_disk: Callable[..., mounts.LoopDisk]
) -> None:
    disk = loop_disk(192 * MIB, rotational=True)
    # Large files (each read back in several 8 MiB pieces, a batch each) and small ones (a
    # batch read back through the prefetched cache).
    card = make_card(tmp_path, [20 * MIB, 17 * MIB, 24 * MIB] + [100_000] * 20)
    recorder = EventLog()
    devices, report = offload_to(
        card, [disk.path / "a", disk.path / "b"], DeviceConcurrency.AUTO, recorder
    )
    assert [(g.device, g.destinations, g.kind, g.read_backs) for g in devices] == [
        (disk.device, (0, 1), "rotational", SERIAL)
    ]
    assert report.job.devices == devices
    statuses = {d.status for f in report.job.files for d in f.destinations}
    assert statuses == {DestinationStatus.VERIFIED}
    # Read back in turn: every piece read back belongs to the destination that announced
    # the read-back last (two interleaved read-backs would break this within a file).
    pairs = read_back_runs(recorder.events)
    assert len(pairs) >= 2 * (3 * 3 + 20)
    assert [p for p in pairs if p[0] != p[1]] == []


def test_destinations_on_two_disks_read_back_in_parallel_and_the_report_says_so(
    tmp_path: Path, loop_disk: Callable[..., mounts.LoopDisk]
) -> None:
    first, second = loop_disk(rotational=True), loop_disk(rotational=True)
    card = make_card(tmp_path, [3 * MIB])
    devices, report = offload_to(
        card, [first.path / "a", second.path / "b"], DeviceConcurrency.AUTO
    )
    assert [(g.device, g.destinations, g.read_backs) for g in devices] == [
        (first.device, (0,), "parallel"),
        (second.device, (1,), "parallel"),
    ]
    names = ["A", "B"]
    assert describe(devices[0].as_json(), names) == (
        f"A is on {first.device} (rotational, loop): read-backs in parallel "
        "(the only destination on it)"
    )
    assert report.exit_code == 0


def test_serial_is_the_users_choice_on_any_shared_disk_and_parallel_on_a_spinning_one(
    tmp_path: Path, loop_disk: Callable[..., mounts.LoopDisk]
) -> None:
    spinning, solid = loop_disk(rotational=True), loop_disk(rotational=False)
    roots = [solid.path / "a", solid.path / "b", spinning.path / "c", spinning.path / "d"]
    auto = group_destinations(roots)
    assert [(g.kind, g.read_backs) for g in auto] == [
        ("non-rotational", "parallel"),
        ("rotational", "serial"),
    ]
    serial = group_destinations(roots, mode=DeviceConcurrency.SERIAL)
    assert [g.read_backs for g in serial] == ["serial", "serial"]
    assert serial[0].reason == "--device-concurrency serial"
    parallel = group_destinations(roots, mode=DeviceConcurrency.PARALLEL)
    assert [g.read_backs for g in parallel] == ["parallel", "parallel"]


def test_a_virtual_disk_reads_back_in_parallel_whatever_its_rotational_flag(
    tmp_path: Path,
) -> None:
    disk = block_device_of(tmp_path)
    if disk is None or disk.transport not in ("virtio", "xen"):
        pytest.skip(f"{tmp_path} is not on a virtio or Xen disk here ({disk})")
    (tmp_path / "a").mkdir()
    groups = group_destinations([tmp_path / "a", tmp_path / "b"], source=tmp_path)
    assert [(g.kind, g.read_backs, g.source) for g in groups] == [("virtual", "parallel", True)]
    assert groups[0].rotational == disk.rotational


def test_filesystems_on_no_disk_and_remote_destinations_are_groups_of_their_own(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    memory = tmpfs_mount(4 * MIB)
    groups = group_destinations(
        [memory.path / "a", memory.path / "b", None, tmp_path],
        remote=[None, None, "s3://bucket/card", None],
    )
    st_dev = os.stat(memory.path).st_dev
    assert [(g.device, g.destinations, g.kind, g.read_backs) for g in groups][:2] == [
        (f"filesystem {os.major(st_dev)}:{os.minor(st_dev)}", (0, 1), "unknown", "parallel"),
        ("s3://bucket/card", (2,), "remote", "parallel"),
    ]


def fake_block(
    sys: Path, where: str, dev: tuple[int, int], *, rotational: bool, slaves: tuple[Path, ...] = ()
) -> Path:
    """A block device's sysfs entries as the kernel lays them out (``/sys/devices/...``, a
    ``/sys/dev/block/MAJ:MIN`` link to it, ``slaves/`` links to the devices under it)."""
    real = sys / "devices" / where
    (real / "queue").mkdir(parents=True)
    (real / "queue" / "rotational").write_text(f"{int(rotational)}\n")
    (real / "dev").write_text(f"{dev[0]}:{dev[1]}\n")
    (real / "slaves").mkdir()
    for slave in slaves:
        (real / "slaves" / slave.name).symlink_to(slave)
    (sys / "dev" / "block").mkdir(parents=True, exist_ok=True)
    (sys / "dev" / "block" / f"{dev[0]}:{dev[1]}").symlink_to(real)
    return real


def test_device_mapper_over_one_disk_is_that_disk_and_md_over_two_is_itself(
    tmp_path: Path,
) -> None:
    # This kernel has no device-mapper, no md and no partition tables (no MSDOS or EFI
    # partition support): their sysfs layout is written out here.
    sys = tmp_path / "sys"
    host = "pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block"
    sda = fake_block(sys, f"{host}/sda", (8, 0), rotational=True)
    sdb = fake_block(sys, f"{host}/sdb", (8, 16), rotational=True)
    parts = [
        fake_block(sys, f"{host}/{disk.name}/{disk.name}{n}", (8, minor), rotational=True)
        for disk, n, minor in ((sda, 1, 1), (sda, 2, 2), (sdb, 1, 17))
    ]
    for part in parts:
        (part / "partition").write_text("1\n")
    (sda / "device").mkdir()
    (sda / "device" / "model").write_text("WDC WD40EFRX-68N\n")
    fake_block(sys, "virtual/block/dm-0", (253, 0), rotational=True, slaves=(parts[1],))
    fake_block(sys, "virtual/block/md0", (9, 0), rotational=True, slaves=(parts[0], parts[2]))
    dm = block_device_of_dev(os.makedev(253, 0), sys=sys)
    assert dm == BlockDevice("sda", True, "ata", "WDC WD40EFRX-68N", ("dm-0", "sda2"))
    md = block_device_of_dev(os.makedev(9, 0), sys=sys)
    assert md == BlockDevice("md0", True, "md", None, ())
    assert block_device_of_dev(os.makedev(8, 17), sys=sys) == BlockDevice(
        "sdb", True, "ata", None, ("sdb1",)
    )
    assert block_device_of_dev(os.makedev(7, 99), sys=sys) is None
