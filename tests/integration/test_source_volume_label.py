"""Without udev (no /dev/disk/by-label: containers, minimal systems) the job report named
the card's volume by its mount point ("card on /dev/loop0"), while the same report's
``card.label`` held the label blkid read ("A001CARD"). A real labelled ext4 volume on a loop
device, the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.mounts import Mount

CLI = [sys.executable, "-m", "offload.cli.offload"]


def test_the_source_volume_is_named_by_the_label_blkid_read(
    tmp_path: Path, ext4_loop: Callable[..., Mount]
) -> None:
    if os.path.isdir("/dev/disk/by-label"):
        pytest.skip("udev names the label here: the fallback is not reached")
    card = ext4_loop(32 << 20, path=tmp_path / "mounted-card", mkfs_args=("-L", "A001CARD")).path
    (card / "CLIPS").mkdir()
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(1000))
    dest = tmp_path / "raid"
    dest.mkdir()
    reports = tmp_path / "r"
    done = subprocess.run(
        [*CLI, "copy", card, dest, "--report-dir", reports], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(next(reports.glob("*.json")).read_text())
    assert report["card"]["label"] == "A001CARD", report["card"]
    assert report["source_volume"]["volume_label"] == "A001CARD"
    # A destination keeps the mount point's name where no label is known: the raid folder is
    # on the volume of tmp_path, which is no card.
    assert report["destinations"][0]["volume_label"] != "A001CARD"
