"""Drives pulled where no check looked (``umount -l``, what udisks does to a pulled drive):
the empty mount point is a folder of the disk below, where nothing may be written unseen.

A destination pulled between the plan and the first write: before the fix the destination
took its root's device when the job opened it, after the preflight, so it compared every
later look with the disk below: every copy, the ASC MHL history and the ledger were written
into the bare mount point, each copy "verified", exit 0. Now the device the preflight saw is
the one every check compares with: the destination is lost at its first file, nothing lands
on the disk below, and the run exits 1.

Real parts: a tmpfs detached between ``plan_offload`` and ``run_offload`` (the moment the CLI
prints its "Offloading" line).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from offload.card import plan_offload, run_offload
from offload.results import GOOD_STATUSES
from support.cards import clips_card
from support.mounts import Mount, detach


def test_a_drive_pulled_after_the_plan_is_lost_never_written_below(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    card = clips_card(tmp_path, 5, 20_000)
    ok, drive = tmp_path / "ok", tmpfs_mount(64 << 20)
    ok.mkdir()
    plan = plan_offload(card, [ok, drive.path])
    detach(drive.path)
    report = run_offload(plan)
    assert os.listdir(drive.path) == []  # the bare mount point: nothing written below
    assert report.exit_code == 1
    [lost] = [d for d in report.job.destinations if d.lost]
    assert lost.root == str(drive.path)
    assert "is now on another device" in (lost.lost_reason or ""), lost.lost_reason
    assert all(f.destinations[0].status in GOOD_STATUSES for f in report.job.files)
