"""Findings of a black-box QA pass of ``offload history``, each run as the QA ran it: a
real ``offload history`` process over report files, its exit code and output."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from support.lock_holder import start_holder, stop
from support.offload_cli import CLI, newest_report, offloaded_card, run_offload


def _verify_report(folder: Path, name: str, **changes: object) -> Path:
    """A verify report *name* in *folder* (made if missing), that of a check of
    ``/copies/A001`` which verified one file, with *changes* over its keys."""
    data: dict[str, object] = {
        "schema": "offload-ai/verify-report/1",
        "path": "/copies/A001",
        "reference": "ascmhl",
        "started": "2026-12-05T10:00:00+00:00",
        "finished": "2026-12-05T10:00:01+00:00",
        "exit_code": 0,
        "passed": True,
        "error": None,
        "totals": {"verified": 1, "changed": 0, "unreadable": 0, "missing": 0, "extra": 0},
        "verified": ["clip.mov"],
        **changes,
    }
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(json.dumps(data))
    return folder / name


def test_history_shows_a_start_of_another_offset_in_utc(tmp_path: Path) -> None:
    """A report whose ``started`` has an offset (``21:30:00+05:30``) is listed under
    "started (UTC)" at 16:00:00. Failed before: 21:30:00, the local time, called UTC."""
    reports = tmp_path / "reports"
    _verify_report(reports, "verify_A001.json", started="2026-12-05T21:30:00+05:30")
    listed = run_offload("history", "--report-dir", reports, columns=200)
    assert listed.returncode == 0, listed.stderr
    assert "2026-12-05 16:00:00" in listed.stdout, listed.stdout
    assert "21:30:00" not in listed.stdout, listed.stdout


def test_history_gives_a_file_that_is_no_report_the_documented_result(tmp_path: Path) -> None:
    """A JSON file that is not one of our reports, and a verify report of the wrong shape:
    ``result`` ``unreadable`` (docs/json.md), ``error`` saying why in words. Failed before:
    ``not a report`` and ``not a valid report`` as the result, a value the docs never give."""
    reports = tmp_path / "reports"
    _verify_report(reports, "verify_bad.json", started=12)
    (reports / "other.json").write_text('{"hello": 1}')
    listed = run_offload("history", "--json", "--report-dir", reports)
    entries = {Path(e["report"]).name: e for e in json.loads(listed.stdout)}
    assert [entries[n]["result"] for n in ("verify_bad.json", "other.json")] == [
        "unreadable",
        "unreadable",
    ], entries
    assert entries["verify_bad.json"]["error"].startswith("not a valid verify report: ")
    assert entries["other.json"]["error"].endswith("is not an offload-ai report"), entries


def test_history_words_a_refused_check_by_its_reason(tmp_path: Path) -> None:
    """A check refused because another offload held the copy root (a real holder of its
    lock: exit 64, its reason in ``error``): listed as refused, the reason on its ``why``
    line. Failed before: "usage error", the reason nowhere."""
    root = offloaded_card(tmp_path, clip="C{:03d}.mov") / "A001"
    reports = tmp_path / "reports"
    holder = start_holder(root)
    try:
        refused = run_offload("verify", "--report-dir", reports, root)
    finally:
        stop(holder)
    assert refused.returncode == 64, refused.stderr
    busy = newest_report(reports)["error"]
    assert f"copy root {root} is in use by another offload (pid {holder.pid}" in busy, busy
    (entry,) = json.loads(run_offload("history", "--json", "--report-dir", reports).stdout)
    assert (entry["result"], entry["reason"]) == ("refused, nothing verified", busy), entry
    listed = run_offload("history", "--report-dir", reports, columns=200)
    assert "is in use by another offload" in " ".join(listed.stdout.split()), listed.stdout


@pytest.mark.parametrize("columns", [80, 200])
def test_history_to_a_reader_that_goes_away_ends_quietly(tmp_path: Path, columns: int) -> None:
    """``offload history | head -2`` of more runs than a pipe holds, as blocks (80 columns)
    and as a table: exit 0, nothing on stderr. Failed before: exit 1 for the blocks (rich's
    ``Console.on_broken_pipe`` raised SystemExit(1) past the command's ``except
    BrokenPipeError``)."""
    reports = tmp_path / "reports"
    for index in range(400):
        _verify_report(reports, f"verify_A{index:03d}.json", path=f"/copies/A{index:03d}")
    process = subprocess.Popen(
        [*CLI, "history", "--report-dir", str(reports)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": str(columns)},
    )
    try:
        assert process.stdout is not None
        assert process.stdout.read(100)  # the reader takes its lines and goes
        process.stdout.close()
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert (process.returncode, err.decode()) == (0, "")
