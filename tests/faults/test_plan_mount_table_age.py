"""The plan's kept mount table is never older than ``fs/mount_table.MAX_AGE_S``: a drive
mounted while the plan reads an earlier copy whole is seen by the preflight after that read.

Real things only: the earlier offload's copy on a real FUSE drive (FaultyFS) whose read the
plan makes (the card's clip now another take, of another size) is held by a stall; while it
is held a real tmpfs is mounted on the second destination's folder, and the stall is let go
once the table the plan read before it is older than the limit.

Failed before (the table kept for the whole plan, read once by the card's identity): the
preflight said the second destination was on the filesystem below it (ext4), not the tmpfs
mounted there during the plan's read."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from offload.card import plan_offload
from offload.fs import mount_table
from support.cards import clips_card, new_take
from support.offload_cli import offload

pytestmark = [pytest.mark.fault, pytest.mark.timeout(120)]


def test_a_drive_mounted_during_the_plans_whole_read_is_seen_by_the_preflight(
    tmp_path: Path, faulty_fs: Any, tmpfs_mount: Any
) -> None:
    card = clips_card(tmp_path / "cards", 2, 200_000)
    drive = faulty_fs(mountpoint=tmp_path / "d1")
    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, drive.mountpoint)
    assert code == 0, out
    new_take(card / "CLIPS" / "C001.mov", 240_000)  # the copy in the way is read whole
    later = tmp_path / "d2"
    later.mkdir()
    rule = drive.stall("read", path="A001/CLIPS/C001.mov")
    errors: list[BaseException] = []

    def mount_during_the_read() -> None:
        try:
            drive.wait_stalled(rule, timeout_s=60)
            held_from = time.monotonic()  # every table the plan kept was read before this
            tmpfs_mount(8 << 20, path=later)
            while time.monotonic() - held_from <= mount_table.MAX_AGE_S + 0.2:
                time.sleep(0.05)
        except BaseException as exc:  # (said by the test below)
            errors.append(exc)
        finally:
            drive.release(rule)

    helper = threading.Thread(target=mount_during_the_read)
    helper.start()
    try:
        plan = plan_offload(card, [drive.mountpoint, later])
    finally:
        helper.join(timeout=90)
    assert not errors, errors
    assert drive.fired(rule) >= 1, "the plan never read the earlier copy"
    (check,) = [c for c in plan.preflight.destinations if c.destination == later]
    assert check.filesystem is not None, check
    assert (check.filesystem.fstype, check.filesystem.mount_point) == ("tmpfs", later), (
        check.filesystem
    )
