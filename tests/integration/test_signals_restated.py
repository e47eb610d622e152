"""A signal while a report already written is restated, and a signal once a run's outcome
is stated (its reports final, ``--json``'s last line or document written): real
``offload`` processes, real signals, FaultyFS holding the call the signal must land in.

A stopped run never exits 0, and never exits with another code than the one its last JSON
line (or document) and its reports give."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support.faultyfs import FaultyFS

OFFLOAD = str(Path(sys.executable).with_name("offload"))


def _card(root: Path) -> Path:
    card = root / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(300_000))
    (card / "CLIPS" / "A001C002.mov").write_bytes(b"second clip")
    return card


def _copied(tmp_path: Path) -> Path:
    """A card offloaded to ``tmp_path/disk``: the copy root."""
    card = _card(tmp_path / "cards")
    (tmp_path / "disk").mkdir()
    done = subprocess.run(
        [
            OFFLOAD,
            "copy",
            "-q",
            "--report-dir",
            str(tmp_path / "r0"),
            str(card),
            str(tmp_path / "disk"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return tmp_path / "disk" / card.name


@pytest.mark.fault
def test_verify_stopped_while_its_report_is_restated_exits_130(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``offload verify``: a first SIGTERM while its JSON report's creation is held (the
    check over: recorded, the report restated with it once written), then a second one
    while that restatement's creation is held: the command is stopped, so it exits 130 and
    its report says so. Failed before: the restatement swallowed the stop and the command
    exited 0 ("stopped again ..." on stderr), its report giving exit 0 too."""
    root = _copied(tmp_path)
    fs = faulty_fs()
    written = fs.stall("create", path="*verify_*.json*", nth=1)
    restated = fs.stall("create", path="*verify_*.json*", nth=2)
    process = subprocess.Popen(
        [OFFLOAD, "verify", "--report-dir", str(fs.mountpoint), str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        fs.wait_stalled(written, timeout_s=60)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        fs.release(written)
        fs.wait_stalled(restated, timeout_s=30)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
    finally:
        fs.release()
    out, err = process.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    [report] = fs.mountpoint.glob("verify_*.json")
    data = json.loads(report.read_text())
    assert data["exit_code"] == 130 and data["passed"] is False, data
    assert any(note.startswith("stopped by a further signal") for note in data["notes"]), data
