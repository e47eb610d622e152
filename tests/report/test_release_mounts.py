""" "May the card be formatted" on real mounts whose disk the kernel does not name directly:
a loop ext4 whose image is on a tmpfs, two FUSE filesystems whose files sit on the card's own
disk (report/release.py; docs/reports.md). Real offloads through the CLI, real mounts (root,
as CI runs them). Failed before: each destination counted as a disk of its own, so the card
"may be formatted"."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from report.helpers import offload_cli
from support import mounts
from support.faultyfs import FaultyFS
from support.requirements import skip_unavailable

MIB = 1024 * 1024


def make_card(root: Path) -> Path:
    card = root / "A001"
    (card / "CLIP").mkdir(parents=True)
    for index in range(3):
        (card / "CLIP" / f"A001C{index:03}.MXF").write_bytes(os.urandom(200_000))
    return card


def offload(args: list[str], reports: Path) -> tuple[int, str, dict[str, Any]]:
    code, _, err = offload_cli(["copy", *args, "--report-dir", str(reports)])
    (job_path,) = reports.glob("*.json")
    return code, err, json.loads(job_path.read_text())


def test_a_loop_disk_whose_image_is_in_memory_keeps_the_card(tmp_path: Path) -> None:
    skip_unavailable(mounts.unavailable_reason("ext4"))
    card = make_card(tmp_path)
    # ext4 on /dev/loopN, its image on a tmpfs (as a loop image in /dev/shm would be).
    with mounts.loop_disk(tmp_path / "disk", 32 * MIB, rotational=False) as disk:
        code, err, job = offload([str(card), str(disk.path)], tmp_path / "r")
    assert code == 0, err
    release = job["card_release"]
    assert release["may_format"] is False, release
    (group,) = job["devices"]
    assert group["device"] == disk.device and group["backing_filesystem"] == "tmpfs"
    assert (
        f"a loop device ({disk.device}) whose image file is held in memory (tmpfs)"
        in (release["text"])
    )


def test_a_card_on_a_loop_disk_whose_image_is_in_memory_is_on_no_destinations_disk(
    tmp_path: Path, disk_folder: Path
) -> None:
    """The card on ext4 over /dev/loopN whose image is on a tmpfs (in memory: on no disk at
    all), the copy on a real disk: that disk is not the card's, the card may be formatted,
    as the cascade's rule (``cascade.card_on_no_known_disk``) says too. ``source_volume``
    records the image's filesystem. Failed before: the card release saw only a card on no
    disk it could name, "cannot tell whether destination 1 is on the card's disk"."""
    skip_unavailable(mounts.unavailable_reason("ext4"))
    dest = disk_folder / "RAID"
    dest.mkdir()
    with mounts.loop_disk(tmp_path / "disk", 32 * MIB, rotational=False) as disk:
        card = make_card(disk.path)
        code, err, job = offload([str(card), str(dest)], tmp_path / "r")
    assert code == 0, err
    assert job["source_volume"]["disk"] is None
    assert job["source_volume"]["backing_filesystem"] == "tmpfs"
    release = job["card_release"]
    assert "cannot tell" not in release["text"], release
    assert release["may_format"] is True, release


def test_two_fuse_drives_on_no_known_disk_count_as_no_disk_apart_from_the_card(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = make_card(tmp_path)
    # Two FUSE filesystems (pass-through, as sshfs or a FUSE exFAT without a block device
    # would be): each is "filesystem 0:N", on no disk sysfs knows, and their files are in
    # fact beside the card, on its disk.
    drives = [faulty_fs(), faulty_fs()]
    code, err, job = offload([str(card), *(str(d.mountpoint) for d in drives)], tmp_path / "r")
    assert code == 0, err
    release = job["card_release"]
    assert release["may_format"] is False, release
    assert [g["device"].split()[0] for g in job["devices"]] == ["filesystem", "filesystem"]
    assert [d["disk"] for d in job["destinations"]] == [None, None]
    assert "cannot tell whether destination 1 is on the card's disk" in release["text"]


def test_a_card_read_through_fuse_may_be_on_the_destinations_disk(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    # The card through a pass-through FUSE mount whose files are on the destination's disk:
    # the card's filesystem is on no disk sysfs knows, so no local destination can be shown
    # to be on another disk than the card's.
    make_card(tmp_path / "backing")
    card = faulty_fs(backing=tmp_path / "backing").mountpoint / "A001"
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, err, job = offload([str(card), str(dest)], tmp_path / "r")
    assert code == 0, err
    release = job["card_release"]
    assert release["may_format"] is False, release
    assert job["source_volume"]["disk"] is None
    assert (
        "cannot tell whether destination 1 is on the card's disk (the card's filesystem"
        in (release["text"])
    )
