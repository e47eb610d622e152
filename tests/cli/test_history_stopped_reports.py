"""A run stopped (SIGTERM) once its local JSON report is written leaves no start record
behind (``report/started.py``: removed once its reports are written, whatever its outcome):
a real ``offload copy`` whose local report folder is on a FaultyFS, held in the fsync of
that folder that follows the JSON and CSV's renames, then SIGTERM.

Before, ``main``'s stop branch restated the reports and returned 130 but never removed the
record: ``started/<run>.json`` stayed beside the run's own report.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import PIPE

import pytest

from tests.support.faultyfs import FaultyFS

OFFLOAD = str(Path(sys.executable).with_name("offload"))


@pytest.mark.fault
@pytest.mark.timeout(240)
def test_a_run_stopped_once_its_report_is_written_leaves_no_start_record(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = tmp_path / "card"
    (card / "DCIM").mkdir(parents=True)
    for index in range(5):
        (card / "DCIM" / f"C{index}.MOV").write_bytes(bytes([index]) * 4096)
    dest = tmp_path / "dest"
    dest.mkdir()
    drive = faulty_fs()
    local = drive.mountpoint / "local"
    (local / "started").mkdir(parents=True)  # made now: the run fsyncs neither again
    held = drive.stall("fsyncdir", path="local", nth=1, times=1)
    process = subprocess.Popen(
        [OFFLOAD, "copy", "-q", "--report-dir", str(local), str(card), str(dest)],
        stdout=PIPE,
        stderr=PIPE,
        text=True,
        cwd=tmp_path,
        start_new_session=True,
    )
    try:
        drive.wait_stalled(held, timeout_s=60)
        # Held after the local JSON and CSV are in place, before the run's end (seen on the
        # backing folder: the held fsync holds the mounted folder's lock).
        backing = drive.backing / "local"
        assert len(list(backing.glob("*.json"))) == 1
        assert len(list((backing / "started").glob("*.json"))) == 1
        os.killpg(process.pid, signal.SIGTERM)
        time.sleep(0.5)
    finally:
        drive.release()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    reports = list(local.glob("*.json"))
    assert len(reports) == 1, reports
    assert json.loads(reports[0].read_text())["exit_code"] == 130
    assert list((local / "started").glob("*.json")) == [], err
    history = subprocess.run(
        [OFFLOAD, "history", "--json", "--report-dir", str(local)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert history.returncode == 0, history.stderr
    # Listed once, as its report says.
    assert [e["kind"] for e in json.loads(history.stdout)] == ["offload"], history.stdout
