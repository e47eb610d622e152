"""The fault matrix: real faults on one of three destinations (or on the card), the real
offload running against them. Every test asserts that its fault fired, that the other
destinations finished verified, that nothing incomplete carries a final name, and what the
report and exit code say. See docs/reliability.md for the table."""

from __future__ import annotations

import errno
import io
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.card import OffloadOptions, OffloadReport, offload, plan_offload, run_offload
from offload.cli.common import Environment
from offload.cli.offload import main as offload_main
from offload.engine.partial import PARTIAL_PREFIX
from offload.options import CopyOptions, VerifyMode
from offload.results import DestinationStatus
from support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault

MIB = 1024 * 1024
OFFLOAD = str(Path(sys.executable).with_name("offload"))


def make_card(root: Path, sizes: dict[str, int]) -> Path:
    card = root / "A007R1CD"
    for relative, size in sizes.items():
        path = card / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    return card


CARD = {
    "CLIPS/A007C001.mov": 6 * MIB + 123,
    "CLIPS/A007C002.mov": 3 * MIB,
    "CLIPS/A007C003.xml": 2000,
    "THUMBS/t1.jpg": 40_000,
    "THUMBS/t2.jpg": 50_000,
}


def plain_dests(tmp_path: Path, count: int = 2) -> list[Path]:
    dests = [tmp_path / f"RAID{i}" for i in range(count)]
    for dest in dests:
        dest.mkdir()
    return dests


def partials_under(root: Path) -> list[str]:
    return [
        os.path.join(folder, name)
        for folder, _dirs, files in os.walk(root)
        for name in files
        if name.startswith(PARTIAL_PREFIX)
    ]


def assert_complete_copy(card: Path, copy_root: Path) -> None:
    for folder, _dirs, files in os.walk(card):
        for name in files:
            source = Path(folder, name)
            assert (copy_root / source.relative_to(card)).read_bytes() == source.read_bytes()
    assert partials_under(copy_root) == []


def assert_nothing_bad_named(card: Path, copy_root: Path) -> None:
    """Every file with a final name on a failed destination is complete and correct
    (partials, hidden and never trusted, may stay on a drive that could not be reached)."""
    if not copy_root.exists():
        return
    for folder, _dirs, files in os.walk(copy_root):
        if ".offload" in Path(folder).parts or "ascmhl" in Path(folder).parts:
            continue
        for name in files:
            if name.startswith(PARTIAL_PREFIX):
                continue
            copy = Path(folder, name)
            source = card / copy.relative_to(copy_root)
            assert copy.read_bytes() == source.read_bytes(), f"{copy} is not the card's file"


def status_by_destination(report: OffloadReport, index: int) -> dict[str, DestinationStatus]:
    statuses = {}
    for file in report.job.files:
        result = file.destination(index)
        assert result is not None
        statuses[file.relative_path] = result.status
    return statuses


def assert_others_verified(
    report: OffloadReport, card: Path, dests: list[Path], good: list[int]
) -> None:
    for index in good:
        assert set(status_by_destination(report, index).values()) == {DestinationStatus.VERIFIED}
        assert_complete_copy(card, dests[index] / card.name)


def run_with(
    card: Path,
    dests: list[Path],
    *,
    before: Callable[[], None] | None = None,
    options: OffloadOptions | None = None,
) -> OffloadReport:
    plan = plan_offload(card, dests, options)
    if before is not None:
        before()  # the fault arrives after the preflight, as it does in life
    return run_offload(plan)


# -- destination full -----------------------------------------------------------------------


def test_tmpfs_fills_up_mid_file(tmp_path: Path, tmpfs_mount: Callable[..., object]) -> None:
    card = make_card(tmp_path / "cards", CARD)
    full = tmpfs_mount(16 * MIB).path  # type: ignore[attr-defined]
    dests = [*plain_dests(tmp_path), full]

    def fill() -> None:  # leave ~2 MiB: the 6 MiB clip runs out of space half-way
        with open(full / "filler.bin", "wb") as handle:
            handle.write(b"\0" * (14 * MIB))

    report = run_with(card, dests, before=fill)
    assert report.exit_code == 1
    lost = report.job.destinations[2]
    assert lost.lost and "No space left on device (ENOSPC)" in (lost.lost_reason or "")
    assert str(full) in (lost.lost_reason or "")
    assert_others_verified(report, card, dests, [0, 1])
    assert partials_under(full) == []
    assert_nothing_bad_named(card, full / card.name)


def test_inode_exhaustion(tmp_path: Path, tmpfs_mount: Callable[..., object]) -> None:
    card = make_card(tmp_path / "cards", CARD)
    few = tmpfs_mount(64 * MIB, nr_inodes=6).path  # type: ignore[attr-defined]
    dests = [*plain_dests(tmp_path), few]
    report = offload(card, dests)
    assert report.exit_code == 1
    assert report.job.destinations[2].lost
    assert "ENOSPC" in (report.job.destinations[2].lost_reason or "")
    assert_others_verified(report, card, dests, [0, 1])
    assert partials_under(few) == []
    assert_nothing_bad_named(card, few / card.name)


@pytest.mark.parametrize("op", ["write", "fsync", "flush"])
@pytest.mark.parametrize("code", [errno.EIO, errno.ENOSPC])
def test_destination_io_error(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], op: str, code: int
) -> None:
    card = make_card(tmp_path / "cards", CARD)
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path), fs.mountpoint]
    offset = {"offset": 2 * MIB} if op == "write" else {}
    rule = fs.fail(op, code, path="*A007C001.mov", **offset)
    report = offload(card, dests)
    assert fs.fired(rule) >= 1
    if op == "fsync":
        assert fs.fired(rule) == 1, "a failed fsync must never be retried into a success"
    assert report.exit_code == 1
    lost = report.job.destinations[2]
    assert lost.lost and errno.errorcode[code] in (lost.lost_reason or ""), lost.lost_reason
    assert "A007C001.mov" in (lost.lost_reason or "")
    assert_others_verified(report, card, dests, [0, 1])
    statuses = status_by_destination(report, 2)
    assert DestinationStatus.VERIFIED not in statuses.values() or all(
        (fs.mountpoint / card.name / p).exists()
        for p, s in statuses.items()
        if s is DestinationStatus.VERIFIED
    )
    assert_nothing_bad_named(card, fs.mountpoint / card.name)
    assert partials_under(fs.backing) == []


def test_short_writes_are_completed(tmp_path: Path, faulty_fs: Callable[..., FaultyFS]) -> None:
    card = make_card(tmp_path / "cards", CARD)
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path), fs.mountpoint]
    rule = fs.short_write(path="*.mov", max_bytes=100_000)
    report = offload(card, dests)
    assert fs.fired(rule) > 10
    assert report.exit_code == 0
    assert_others_verified(report, card, dests, [0, 1, 2])


@pytest.mark.parametrize("how", ["flip", "lie"])
def test_silent_corruption_is_caught_by_read_back(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], how: str
) -> None:
    card = make_card(tmp_path / "cards", CARD)
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path), fs.mountpoint]
    if how == "flip":
        rule = fs.flip(4 * MIB + 17, path="*A007C001.mov")
    else:
        rule = fs.lie(1 * MIB, path="*A007C002.mov")
    report = offload(
        card, dests, options=OffloadOptions(copy=CopyOptions(verify=VerifyMode.DESTINATION))
    )
    assert fs.fired(rule) >= 1
    victim = "CLIPS/A007C001.mov" if how == "flip" else "CLIPS/A007C002.mov"
    statuses = status_by_destination(report, 2)
    assert statuses.pop(victim) is DestinationStatus.FAILED
    assert set(statuses.values()) == {DestinationStatus.VERIFIED}
    failed = next(f for f in report.job.files if f.relative_path == victim).destination(2)
    assert failed is not None and "does not match the source" in (failed.error or "")
    assert failed.reread  # re-read once before it was declared
    assert not (fs.mountpoint / card.name / victim).exists()
    assert report.exit_code == 1
    assert_others_verified(report, card, dests, [0, 1])
    assert partials_under(fs.backing) == []


# -- destination unplugged -------------------------------------------------------------------


@pytest.mark.parametrize("how", ["unplug", "kill", "unmount"])
def test_destination_unplugged_mid_card(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], how: str
) -> None:
    sizes = {f"CLIPS/A007C{i:03d}.mov": 2 * MIB for i in range(12)}
    card = make_card(tmp_path / "cards", sizes)
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path), fs.mountpoint]
    # Pull the drive when the fourth clip is being written to it.
    stall = fs.stall("create", path="*A007C003.mov")
    plan = plan_offload(card, dests)
    import threading

    outcome: dict[str, OffloadReport] = {}
    runner = threading.Thread(target=lambda: outcome.setdefault("report", run_offload(plan)))
    runner.start()
    fs.wait_stalled(stall, timeout_s=30)
    if how == "unplug":
        fs.unplug()
        fs.release(stall)
    elif how == "kill":
        fs.kill()
    else:
        subprocess.run(["umount", "-l", str(fs.mountpoint)], check=True)
        fs.release(stall)
    runner.join(timeout=60)
    assert not runner.is_alive()
    report = outcome["report"]
    assert report.exit_code == 1
    lost = report.job.destinations[2]
    assert lost.lost, lost
    assert_others_verified(report, card, dests, [0, 1])
    # Nothing landed on the disk under the mount point once the drive was gone.
    if how == "unmount":
        leftovers = [p for p in fs.mountpoint.rglob("*")]
        assert leftovers == [], leftovers
    # Partials on a drive that vanished cannot be removed, but none has a final name.
    assert_nothing_bad_named(card, fs.backing / card.name)
    if how == "unmount":
        return
    # The drive comes back: the same offload again cleans up and completes it.
    if how == "unplug":
        fs.replug()
    else:
        fs.remount()
    again = offload(card, dests)
    assert again.exit_code == 0
    assert_complete_copy(card, fs.mountpoint / card.name)
    assert partials_under(fs.backing) == []
