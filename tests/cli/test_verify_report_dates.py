"""``offload verify``'s report writes its dates as the offload's job report does: UTC to the
second, ``2026-12-07T06:00:41Z`` (it wrote ``2026-12-07T06:00:41.123456+00:00``), the start
to the microsecond beside it in ``started_unix``. Real ``offload copy`` and ``offload
verify`` processes; a report in the old format is still read (``offload history``, the
report's validation)."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from offload.report.validate import verify_report_problem
from support.offload_cli import run_offload

REPORT_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def test_the_verify_report_dates_as_the_job_report_does(tmp_path: Path) -> None:
    """Failed before: the verify report's ``started`` was ``...T06:00:41.123456+00:00``
    beside the job report's ``...T06:00:41Z``, and it had no ``started_unix``."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(5000))
    dest = tmp_path / "RAID"
    dest.mkdir()
    jobs, checks = tmp_path / "jobs", tmp_path / "checks"
    copied = run_offload("copy", "-q", "--report-dir", jobs, card, dest)
    assert copied.returncode == 0, copied.stderr
    checked = run_offload("verify", "-q", "--report-dir", checks, dest / "A001")
    assert checked.returncode == 0, checked.stderr
    job = json.loads(next(jobs.glob("*.json")).read_text())
    check = json.loads(next(checks.glob("verify_*.json")).read_text())
    for report in (job, check):
        for key in ("started", "finished"):
            assert REPORT_DATE.fullmatch(report[key]), (key, report[key])
        assert isinstance(report["started_unix"], float), report
        # The date is the start's second (its floor), as the job report's.
        assert report["started"].startswith(
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(report["started_unix"])))
        ), report
    assert verify_report_problem(check) is None


def test_a_verify_report_of_the_old_format_is_still_read(tmp_path: Path) -> None:
    """A report an older offload-ai wrote (microseconds and ``+00:00``, no ``started_unix``)
    validates and is listed by ``offload history`` at its second, as before."""
    dest = tmp_path / "RAID" / "A001"
    dest.mkdir(parents=True)
    (dest / "a.mov").write_bytes(b"x" * 100)
    checks = tmp_path / "checks"
    checked = run_offload("verify", "-q", "--report-dir", checks, dest)
    # A copy root with no manifest: whatever the verdict, the report is written.
    report_path = next(checks.glob("verify_*.json"))
    data = json.loads(report_path.read_text())
    data.pop("started_unix", None)
    data["started"] = "2025-01-02T03:04:05.678901+00:00"
    data["finished"] = "2025-01-02T03:04:06.000001+00:00"
    report_path.write_text(json.dumps(data))
    assert verify_report_problem(data) is None
    listed = run_offload("history", "--report-dir", checks)
    assert listed.returncode == 0, (checked.stderr, listed.stderr)
    assert "2025-01-02 03:04:05" in listed.stdout, listed.stdout
