"""A copy's failure line says the one next step that is true, once: a read-back that did
not match the source (FaultyFS flips a byte on its way to the destination's disk), and a
copy already there whose read-back fails (FaultyFS answers EIO), as ``offload verify`` says
of that read. Real parts: FaultyFS destinations (direct_io: every read reaches them), the
command a subprocess."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault

OFFLOAD = str(Path(sys.executable).with_name("offload"))
AGAIN = "check the drive and its cable, then run the same command again"


def _card(root: Path) -> Path:
    card = root / "A001"
    card.mkdir(parents=True)
    for name in ("A001C001.mov", "A001C002.mov"):
        (card / name).write_bytes(os.urandom(300_000))
    return card


def _offload(tmp_path: Path, *argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OFFLOAD, *map(str, argv)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )


def _error_line(stderr: str, words: str) -> str:
    [line] = [x for x in stderr.splitlines() if x.startswith("ERROR:") and words in x]
    return line


def test_a_read_back_that_does_not_match_says_what_to_do(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Failed before: "... does not match the source: xxh64 A read back twice, B read from
    the source", and nothing after it."""
    card, drive = _card(tmp_path / "cards"), faulty_fs(direct_io=True)
    drive.flip(100_000, path="*A001C002.mov*")
    done = _offload(tmp_path, "copy", "--report-dir", tmp_path / "r", card, drive.mountpoint)
    assert done.returncode != 0, done.stderr
    line = _error_line(done.stderr, "does not match the source")
    assert line.endswith(f"{AGAIN} to copy it again"), line


def test_a_copy_already_there_that_cannot_be_read_says_what_to_do(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A copy whose read failed under ``offload verify`` (its ledger entry revoked) is read
    back by the next ``offload copy``; the read fails again. Failed before: "cannot read
    .../A001C002.mov: Input/output error (EIO)", where verify says what to do."""
    card, drive = _card(tmp_path / "cards"), faulty_fs(direct_io=True)
    reports = tmp_path / "r"
    assert (
        _offload(tmp_path, "copy", "--report-dir", reports, card, drive.mountpoint).returncode == 0
    )
    drive.fail("read", errno.EIO, path="*A001C002.mov")
    verified = _offload(tmp_path, "verify", "--report-dir", reports, drive.mountpoint / card.name)
    assert verified.returncode != 0, verified.stderr
    done = _offload(tmp_path, "copy", "--report-dir", reports, card, drive.mountpoint)
    assert done.returncode != 0, done.stderr
    line = _error_line(done.stderr, "cannot read")
    assert "A001C002.mov" in line and AGAIN in line, line
