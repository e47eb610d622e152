"""Write-behind (engine.writer): a file's last chunk is written on a helper thread while the
writer goes on with the next file. Real writes through the FUSE fault filesystem: stalled,
failed, and timed, to show the overlap happens and that it never costs a promise."""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.card import OffloadOptions, OffloadReport, offload, plan_offload, run_offload
from offload.engine.partial import PARTIAL_PREFIX
from offload.options import CopyOptions, VerifyMode
from offload.results import DestinationStatus
from support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault

MIB = 1024 * 1024
# One chunk each (below the 8 MiB chunk size), big enough to be written behind, with a tail
# past a page boundary like a real frame.
FRAME = 2 * MIB + 2304
FRAMES = 6


def make_sequence(root: Path) -> Path:
    card = root / "A004R1"
    clip = card / "A004C001"
    clip.mkdir(parents=True)
    for n in range(1, FRAMES + 1):
        (clip / f"A004C001.{n:07d}.dpx").write_bytes(os.urandom(FRAME))
    return card


def frame_name(n: int) -> str:
    return f"A004C001.{n:07d}.dpx"


def statuses(report: OffloadReport, index: int) -> dict[str, DestinationStatus]:
    found = {}
    for file in report.job.files:
        result = file.destination(index)
        assert result is not None
        found[Path(file.relative_path).name] = result.status
    return found


def partials_under(root: Path) -> list[str]:
    return [
        name for _folder, _dirs, files in os.walk(root) for name in files if PARTIAL_PREFIX in name
    ]


def test_the_next_frame_is_written_while_the_one_before_is_still_being_written(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = make_sequence(tmp_path / "cards")
    fs = faulty_fs()
    stall = fs.stall("write", path=f"*{frame_name(1)}")
    plan = plan_offload(card, [fs.mountpoint])
    reports: list[OffloadReport] = []
    job = threading.Thread(target=lambda: reports.append(run_offload(plan)))
    job.start()
    try:
        fs.wait_stalled(stall)
        # Frame 1's write is held by the filesystem; frame 2 must still reach it.
        deadline = time.monotonic() + 10
        while not any(r.op == "write" and r.path.endswith(frame_name(2)) for r in fs.oplog()):
            assert time.monotonic() < deadline, "frame 2 waited for frame 1's write"
            time.sleep(0.05)
    finally:
        fs.release(stall)
        job.join(timeout=60)
    assert not job.is_alive()
    (report,) = reports
    assert report.exit_code == 0
    assert set(statuses(report, 0).values()) == {DestinationStatus.VERIFIED}
    for n in range(1, FRAMES + 1):
        relative = Path("A004C001", frame_name(n))
        assert (fs.mountpoint / card.name / relative).read_bytes() == (card / relative).read_bytes()


@pytest.mark.parametrize("code", [errno.EFBIG, errno.EIO], ids=["file-level", "lost"])
def test_a_write_error_on_a_frame_written_behind_is_scoped_like_any_other(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], code: int
) -> None:
    """Frame 3 is written behind (frames 1, 3, 5 are; 2, 4, 6 go on the writer thread while
    the one before is in flight). EFBIG fails that frame only; EIO loses the destination.
    Either way the other destination is verified and nothing bad carries a final name."""
    card = make_sequence(tmp_path / "cards")
    fs = faulty_fs()
    good = tmp_path / "RAID0"
    good.mkdir()
    rule = fs.fail("write", code, path=f"*{frame_name(3)}")
    report = offload(card, [good, fs.mountpoint])
    assert fs.fired(rule) >= 1
    assert report.exit_code == 1
    assert set(statuses(report, 0).values()) == {DestinationStatus.VERIFIED}
    found = statuses(report, 1)
    assert found.pop(frame_name(3)) is DestinationStatus.FAILED
    lost = report.job.destinations[1]
    if code == errno.EFBIG:
        assert not lost.lost
        assert set(found.values()) == {DestinationStatus.VERIFIED}
    else:
        assert lost.lost and frame_name(3) in (lost.lost_reason or "")
    copy = fs.mountpoint / card.name / "A004C001"
    assert not (copy / frame_name(3)).exists()
    for name, status in found.items():
        path = copy / name
        assert path.exists() == (status is DestinationStatus.VERIFIED)
        if path.exists():
            assert path.read_bytes() == (card / "A004C001" / name).read_bytes()
    assert partials_under(fs.backing) == []


def test_a_destination_copy_time_counts_overlapping_frames_once(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The report's speed of a destination is its bytes ÷ its busy time: frames written
    behind overlap the next one, which must not be counted twice."""
    card = make_sequence(tmp_path / "cards")
    fs = faulty_fs()
    # Every frame's data write takes 0.3 s: the writer, not the reader, sets the pace.
    stall = fs.stall("write", path="*.dpx", seconds=0.3, offset=0, times=FRAMES)
    options = OffloadOptions(copy=CopyOptions(verify=VerifyMode.TRANSFER))
    report = offload(card, [fs.mountpoint], options=options)
    assert report.exit_code == 0
    assert fs.fired(stall) == FRAMES
    destination = report.job.destinations[0]
    assert destination.copy_s <= report.job.elapsed_s, (destination.copy_s, report.job.elapsed_s)
