"""A network share that fails under ``offload verify`` and ``offload copy``: what the lines
say (the errno and what to do about a share, not a drive's cable), and that the counts are
true.

Real parts: the share is a FaultyFS FUSE mount whose type is ``fuse.sshfs`` (the product
takes it for a network share, as a real sshfs mount: ``fs.below.NETWORK_FILESYSTEMS``); its
server "dies" by ``unplug`` (every call EIO from then on, as sshfs answers with
``-o reconnect`` once the server is gone); the commands run as subprocesses. Black-box QA
found these on real sshfs mounts of an sftp-server on 127.0.0.1."""

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
MIB = 1024 * 1024


def _card(root: Path, count: int, size: int) -> Path:
    card = root / "A001"
    (card / "CLIP").mkdir(parents=True)
    for index in range(1, count + 1):
        (card / "CLIP" / f"f{index:02d}.mov").write_bytes(os.urandom(size))
    return card


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*OFFLOAD, *argv], capture_output=True, text=True, timeout=120)


def test_verify_when_the_share_dies_mid_check_says_why_and_counts_true(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The server dies while f03 is read (2 of its 4 MiB read): each UNREADABLE line gives
    its errno and what to do about a share, the JSON ``reasons`` too; one line says the
    ledger could not be written, so nothing was revoked; f03 (failed mid-read) is neither
    OK nor counted as read through a cache. Before: no reason (``reasons: {}``), no line
    about the ledger (its look failed EIO, taken for "no ledger"), no report at all where
    the share's root no longer answered, and a file whose close failed after its last read
    counted through a cache though UNREADABLE."""
    share = faulty_fs(subtype="sshfs")
    card = _card(tmp_path / "cards", 6, 4 * MIB)
    reports = tmp_path / "r"
    # The copy made on the server's own disk (its backing folder), read through the share.
    copied = _run("copy", "-q", "--report-dir", str(reports), str(card), str(share.backing))
    assert copied.returncode == 0, copied.stderr
    stall = share.stall("read", path="A001/CLIP/f03.mov", offset=2 * MIB)
    process = subprocess.Popen(
        [*OFFLOAD, "verify", "--report-dir", str(reports), str(share.mountpoint / "A001")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        share.wait_stalled(stall, timeout_s=60)
        share.unplug()  # the server is gone: every call EIO from now on
    finally:
        share.release()
    out, err = process.communicate(timeout=120)
    said = out + err
    assert process.returncode == 11, said
    unreadable = [line for line in err.splitlines() if line.startswith("ERROR: UNREADABLE")]
    assert len(unreadable) == 4, said  # f03 to f06
    for line in unreadable:
        assert "(EIO)" in line and "check the server, its disk and the network" in line, line
        assert "cable" not in line, line
    assert "0 files read from the media, 2 through a cache" in out, said
    assert "was not revoked" in err and "ledger" in err, said
    (verify_json,) = reports.glob("verify_*.json")
    report = json.loads(verify_json.read_text())
    assert report["verified"] == ["CLIP/f01.mov", "CLIP/f02.mov"]
    assert report["files_read_through_cache"] == 2
    assert report["read_through_cache"] == ["CLIP/f01.mov", "CLIP/f02.mov"]
    assert sorted(report["reasons"]) == [f"CLIP/f0{i}.mov" for i in range(3, 7)]
    assert {why["code"] for why in report["reasons"].values()} == {"read-error"}
    assert report["revoked"] == []
    assert any("was not revoked" in note for note in report["notes"]), report["notes"]


def test_verify_file_whose_close_fails_is_not_counted_through_a_cache(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A share whose close of f02 fails (the FUSE flush: EIO) after every byte was read:
    f02 is UNREADABLE, and the count of files read through a cache is that of the files
    judged OK (2), as the CSV's list is. Before: 3 through a cache, 2 OK."""
    share = faulty_fs(subtype="sshfs")
    card = _card(tmp_path / "cards", 3, MIB)
    reports = tmp_path / "r"
    copied = _run("copy", "-q", "--report-dir", str(reports), str(card), str(share.backing))
    assert copied.returncode == 0, copied.stderr
    rule = share.fail("flush", errno.EIO, path="A001/CLIP/f02.mov")
    done = _run("verify", "--report-dir", str(reports), str(share.mountpoint / "A001"))
    assert share.fired(rule) >= 1
    assert done.returncode == 11, done.stdout + done.stderr
    assert "2 OK" in done.stdout and "2 through a cache" in done.stdout, done.stdout
    (verify_json,) = reports.glob("verify_*.json")
    report = json.loads(verify_json.read_text())
    assert report["unreadable"] == ["CLIP/f02.mov"]
    assert report["files_read_through_cache"] == 2
    assert report["reasons"]["CLIP/f02.mov"]["code"] == "read-error"
