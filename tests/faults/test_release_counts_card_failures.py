"""The card release line counts every file of the card that failed as it was read: a read
that failed, and a stat that failed (``cannot stat source``) too, naming the first.

Real parts: the card is a FaultyFS FUSE mount (``direct_io``, no attribute cache): the read
of A001C003 is held, the stat of A001C004 and A001C005 then fails EIO, and the held read
fails EIO; ``offload copy`` runs as a subprocess onto two folders. Black-box QA found it
with the card unplugged mid-read (forty-fifth pass): the ERROR line and the reports said 3
card files failed, the release line named one."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault

OFFLOAD = [sys.executable, "-m", "offload.cli.offload"]


def test_the_release_line_counts_each_card_file_that_failed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Exit 1, three card files failed (C003's read, C004's and C005's stat): the release
    says "3 files of the card failed as they were read (CLIPS/A001C003.MOV first)", in the
    terminal and the JSON alike. Failed before: "a file of the card failed as it was read:
    CLIPS/A001C003.MOV" alone."""
    card = faulty_fs(direct_io=True)
    clips = card.backing / "A001" / "CLIPS"
    clips.mkdir(parents=True)
    for index in range(1, 7):
        (clips / f"A001C00{index}.MOV").write_bytes(os.urandom(700_000))
    destinations = [tmp_path / "D1", tmp_path / "D2"]
    for folder in destinations:
        folder.mkdir()
    reports = tmp_path / "reports"
    held = card.stall(
        "read", path="A001/CLIPS/A001C003.MOV", offset=300_000, then_errno=errno.EIO, times=1
    )
    process = subprocess.Popen(
        [*OFFLOAD, "copy", "-q", "--report-dir", str(reports), str(card.mountpoint / "A001")]
        + [str(folder) for folder in destinations],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        card.wait_stalled(held, timeout_s=60)
        for clip in ("A001C004.MOV", "A001C005.MOV"):
            card.fail("getattr", errno.EIO, path=f"A001/CLIPS/{clip}")
    finally:
        card.release(held)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 1, out + err
    (report,) = reports.glob("A001_*.json")
    document = json.loads(report.read_text())
    failed = {f["path"]: f["source_error"] for f in document["files"] if f["source_error"]}
    assert sorted(failed) == [f"CLIPS/A001C00{i}.MOV" for i in (3, 4, 5)], failed
    assert all("cannot stat source" in failed[f"CLIPS/A001C00{i}.MOV"] for i in (4, 5)), failed
    said = "3 files of the card failed as they were read (CLIPS/A001C003.MOV first)"
    assert said in document["card_release"]["text"], document["card_release"]
    (line,) = [x for x in (out + err).splitlines() if x.startswith("Do not format the card")]
    assert said in line and "a file of the card" not in line, line
