"""`offload history`: past offloads from the local report store, newest first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "offload.cli.offload"]


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def test_history_lists_offloads_newest_first_with_result_and_exit_code(tmp_path: Path) -> None:
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(os.urandom(10_000))
    good, reports = tmp_path / "good", tmp_path / "reports"
    good.mkdir()
    assert _run("copy", card, good, "--report-dir", reports).returncode == 0
    # A second offload that fails on one destination (its copy root is a file).
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "A001").write_text("in the way")
    second = _run("copy", card, good, bad, "--report-dir", reports)
    assert second.returncode in (1, 64)
    (reports / "notes.json").write_text("{not json")  # listed as unreadable, not fatal

    listed = _run("history", "--json", "--report-dir", reports)
    assert listed.returncode == 0, listed.stderr
    entries = [e for e in json.loads(listed.stdout) if e["error"] is None]
    assert entries, listed.stdout
    reported = [json.loads(Path(e["report"]).read_text())["exit_code"] for e in entries]
    assert [e["exit_code"] for e in entries] == reported
    assert entries[-1]["result"] == "verified" and entries[-1]["card"] == "A001"
    assert entries[-1]["destinations"] == [str(good / "A001")]
    starts = [e["started"] for e in entries]
    assert starts == sorted(starts, reverse=True)

    text = _run("history", "--report-dir", reports)
    assert text.returncode == 0 and "A001" in text.stdout and "verified" in text.stdout


def test_history_of_an_empty_store(tmp_path: Path) -> None:
    result = _run("history", "--report-dir", tmp_path / "none")
    assert result.returncode == 0
    assert "No offload reports" in result.stdout
    assert json.loads(_run("history", "--json", "--report-dir", tmp_path / "x").stdout) == []
