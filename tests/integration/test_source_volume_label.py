"""Without udev (no /dev/disk/by-label: containers, minimal systems) the job report named
the card's volume by its mount point ("card on /dev/loop0"), while the same report's
``card.label`` held the label blkid read ("A001CARD"). A real labelled ext4 volume on a loop
device, the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.faultyfs import FaultyFS
from support.mounts import ExfatLoop, Mount, unmount

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


def test_a_cascade_rerun_without_its_card_does_not_name_its_fast_copy_by_the_cards_label(
    tmp_path: Path,
    cards: Path,
    ext4_loop: Callable[..., Mount],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """A cascade whose slow destination failed, re-run after the card (a labelled volume)
    was unmounted: the re-run's source is the fast copy, made ``--into`` the root of an
    unlabelled volume. Its ``source_volume`` took the card's label from the card record the
    ledger rebuilt ("A001CARD" for the fast drive) before; now the fast drive's own name."""
    if os.path.isdir("/dev/disk/by-label"):
        pytest.skip("udev names the label here: the fallback is not reached")
    card = ext4_loop(32 << 20, path=cards / "A001CARD", mkfs_args=("-L", "A001CARD")).path
    (card / "CLIPS").mkdir()
    for index in range(3):
        (card / "CLIPS" / f"C00{index}.mov").write_bytes(os.urandom(100_000))
    fast = ext4_loop(32 << 20, path=tmp_path / "FASTSSD").path  # no label
    slow = faulty_fs()
    slow.fail("write")
    reports = tmp_path / "r"
    args = [
        *CLI, "copy", "--into", "--report-dir", reports, "--cascade-to", slow.mountpoint,
        card, fast, slow.mountpoint,
    ]  # fmt: skip
    first = subprocess.run(args, capture_output=True, text=True)
    assert first.returncode != 0, first.stderr  # the slow copies failed: the re-run is needed
    slow.clear()
    unmount(card)
    card.rmdir()
    second = subprocess.run(args, capture_output=True, text=True)
    latest = max(reports.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    report = json.loads(latest.read_text())
    assert any(w["code"] == "card-absent" for w in report["warnings"]), second.stderr
    assert report["card"]["label"] == "A001CARD", report["card"]  # the card it stands in for
    assert report["source_volume"]["volume_label"] == "FASTSSD", report["source_volume"]


def test_destinations_are_named_by_the_labels_their_filesystems_hold(
    tmp_path: Path, ext4_loop: Callable[..., Mount], exfat_loop: Callable[..., ExfatLoop]
) -> None:
    """Without udev a destination's volume was named by its mount point ("mnt-raid") even
    when its filesystem holds a label: now the label blkid reads from the device, for ext4
    and exFAT (exfat-fuse over a loop device) labelled by their mkfs; a volume without a
    label keeps its mount point's name, and the report says that is what it is."""
    if os.path.isdir("/dev/disk/by-label"):
        pytest.skip("udev names the label here: the fallback is not reached")
    card = tmp_path / "A001"
    card.mkdir()
    (card / "C001.mov").write_bytes(os.urandom(1000))
    raid = ext4_loop(path=tmp_path / "mnt-raid", mkfs_args=("-L", "RAID_7")).path
    shuttle = exfat_loop(path=tmp_path / "mnt-shuttle", label="SHUTTLE 2").path
    bare = ext4_loop(path=tmp_path / "BARE").path
    reports = tmp_path / "r"
    done = subprocess.run(
        [*CLI, "copy", card, raid, shuttle, bare, "--report-dir", reports],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(next(reports.glob("*.json")).read_text())
    labels = [d["volume_label"] for d in report["destinations"]]
    assert labels == ["RAID_7", "SHUTTLE 2", "BARE"], report["destinations"]
    said = [d["volume_label_from"] for d in report["destinations"]]
    assert said == ["filesystem", "filesystem", "mount point"]
    # The HTML and PDF say it too, in words, for BARE alone: a name shown as a volume's is
    # read as its label (failed before: "BARE on /dev/loopN (ext4)", like the labelled ones).
    from offload.report.content import MOUNT_POINT_NAME

    saved = next(reports.glob("*.json"))
    html = saved.with_suffix(".html").read_text()
    assert html.count(MOUNT_POINT_NAME) == 1, html
    assert html.index("BARE on ") < html.index(MOUNT_POINT_NAME)
    pdftotext = shutil.which("pdftotext")
    if pdftotext is not None:
        text = subprocess.run(
            [pdftotext, "-raw", str(saved.with_suffix(".pdf")), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert " ".join(MOUNT_POINT_NAME.split()) in " ".join(text.split()), text
