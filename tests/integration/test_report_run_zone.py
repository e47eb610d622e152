"""A job report records the run's zone (``time_zone``: its name and UTC offset at the
start), and its HTML/PDF say the run's times in it wherever they are made again: a report
re-made by ``offload report`` on a machine in another zone said that machine's times (QA
names70). Real card folder, the real CLI in processes of their own, each its own ``TZ``
(POSIX zones: no zone database needed)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "offload.cli.offload"]


def offload(tz: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TZ": tz, "COLUMNS": "250"},
    )


def test_a_report_made_again_in_another_zone_says_the_runs_times(tmp_path: Path) -> None:
    """Offloaded in CET (+1), its report made again in EST (-5): the HTML says CET, as the
    run's machine did. Failed before: no ``time_zone`` in the JSON, the HTML in EST."""
    card = tmp_path / "A001"
    (card / "CLIP").mkdir(parents=True)
    (card / "CLIP" / "a.mov").write_bytes(os.urandom(3000))
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    run = offload("CET-1", "copy", "--quiet", card, dest, "--report-dir", reports)
    assert run.returncode == 0, run.stderr
    [job] = sorted(reports.glob("*.json"))
    data = json.loads(job.read_text())
    assert data["time_zone"] == {"name": "CET", "utc_offset_s": 3600}, data.get("time_zone")
    made_then = job.with_suffix(".html").read_text()
    again = tmp_path / "again.html"
    run = offload("EST+5", "report", "--no-media", "--html", again, job)
    assert run.returncode == 0, run.stderr
    html = again.read_text()
    started = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z]+ \(\S+ UTC\)", html)
    assert started is not None, html
    assert " CET (" in started[0], started[0]
    assert " EST" not in html, "the re-made report says the machine's zone"
    # The same words as the report the run made.
    assert started[0] in made_then
    # A report an earlier version wrote (no time_zone) is in the machine's zone, as before.
    del data["time_zone"]
    older = tmp_path / "older.json"
    older.write_text(json.dumps(data))
    run = offload("EST+5", "report", "--no-media", "--html", tmp_path / "older.html", older)
    assert run.returncode == 0, run.stderr
    assert " EST (" in (tmp_path / "older.html").read_text()
