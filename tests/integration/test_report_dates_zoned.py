"""The JSON's and the CSV's dates are UTC whatever the machine's zone (docs/json.md,
``report.dates``): the session's ``TZ=UTC`` (tests/conftest.py) hides a date written in the
machine's zone, so this run's zone is another one (``TZ=CET-1``, POSIX: no zone database
needed). A real card folder, the real CLI in a process of its own."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

CLI = [sys.executable, "-m", "offload.cli.offload"]
# 2025-12-04 21:46:05 UTC, 22:46:05 in CET: the card's file's time.
MTIME = 1_764_884_765
MTIME_UTC = "2025-12-04T21:46:05Z"


def utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(seconds)))


def test_a_runs_json_and_csv_dates_are_utc_on_a_machine_in_another_zone(tmp_path: Path) -> None:
    """Checked to fail with ``report.dates`` writing the machine's local time (an hour
    later here, still ending in ``Z``): the file's mtime, the start, the finish and each
    copy's verification time, in the JSON and the CSV."""
    assert utc(MTIME) == MTIME_UTC
    card = tmp_path / "A001"
    (card / "CLIP").mkdir(parents=True)
    clip = card / "CLIP" / "A001C001.mov"
    clip.write_bytes(os.urandom(5000))
    os.utime(clip, (MTIME, MTIME))
    first, second, reports = tmp_path / "d1", tmp_path / "d2", tmp_path / "reports"
    first.mkdir()
    second.mkdir()
    run = subprocess.run(
        [*CLI, "copy", "--quiet", str(card), str(first), str(second), "--report-dir", str(reports)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TZ": "CET-1"},
    )
    assert run.returncode == 0, run.stderr
    [job] = reports.glob("A001_*.json")
    data = json.loads(job.read_text())
    assert data["time_zone"]["name"] == "CET", data["time_zone"]
    assert data["started"] == utc(data["started_unix"])
    assert data["started"] <= data["finished"] <= utc(time.time())
    [entry] = data["files"]
    assert entry["mtime"] == MTIME_UTC
    verified = [d["verified_at"] for d in entry["destinations"]]
    assert len(verified) == 2
    assert all(data["started"] <= when <= data["finished"] for when in verified), verified
    with job.with_suffix(".csv").open(newline="") as table:
        rows = list(csv.DictReader(table))
    assert [row["mtime"] for row in rows] == [MTIME_UTC, MTIME_UTC]
    assert [row["verified_at"] for row in rows] == verified
