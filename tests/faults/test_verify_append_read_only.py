"""``offload verify --append`` of a copy on a drive mounted read-only: refused at once, exit
11, nothing read or written. QA (forty-first pass): the check read the whole copy first,
then said "EROFS; no generation was appended". Real parts: an ext4 loop, remounted
read-only by the kernel (``mount -o remount,ro``); the real CLI in-process."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from support.mounts import Ext4Loop
from support.offload_cli import offload


@pytest.mark.fault
def test_append_on_a_read_only_mount_is_refused_before_any_read(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop]
) -> None:
    card = tmp_path / "card" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for number in range(3):
        (card / "CLIPS" / f"C00{number}.mov").write_bytes(os.urandom(50_000))
    drive = ext4_loop()
    reports = tmp_path / "reports"
    code, output = offload("copy", "--quiet", "--report-dir", reports, card, drive.path)
    assert code == 0, output
    root = drive.path / "A001"
    subprocess.run(["mount", "-o", "remount,ro", str(drive.path)], check=True)
    try:
        code, output = offload("verify", "--append", "--report-dir", reports, root)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(drive.path)], check=True)
    assert code == 11, output
    flat = " ".join(output.split())
    assert (
        f"cannot append a generation to {root / 'ascmhl'}: its drive is mounted read-only "
        "(EROFS); nothing was verified or written: mount the drive read-write, then run "
        "offload verify --append again, or verify without --append"
    ) in flat, flat
    assert "OK," not in flat, flat  # refused before the check: nothing read, no counts

    # Read-write again: the same command appends.
    code, output = offload("verify", "--append", "--report-dir", reports, root)
    assert code == 0, output
    assert len(list((root / "ascmhl").glob("0002_*.mhl"))) == 1
