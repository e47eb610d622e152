"""offload copy's human output: the summary and the verdict line say what was proven."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main


@pytest.mark.parametrize(
    ("mode", "files", "verdict"),
    [
        ("transfer", 1, "1 file (5.0 kB) is on every destination, TRANSFER-CHECKED ONLY"),
        ("destination", 1, "The 1 file (5.0 kB) is verified on every destination (destination "),
        ("full", 1, "The 1 file (5.0 kB) is verified on every destination (full verification)"),
        ("transfer", 2, "2 files (10.0 kB) are on every destination, TRANSFER-CHECKED ONLY"),
        ("full", 2, "All 2 files (10.0 kB) are verified on every destination (full verification)"),
    ],
)
def test_verdict_line(tmp_path: Path, mode: str, files: int, verdict: str) -> None:
    card = tmp_path / "CARD"
    card.mkdir()
    for n in range(files):
        (card / f"{n}.mov").write_bytes(b"x" * 5000)
    dest = tmp_path / "dest"
    dest.mkdir()
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["copy", "--verify", mode, "--report-dir", str(tmp_path / "r"), str(card), str(dest)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 0
    assert verdict in err.getvalue()
    assert f"Offloading {files} file{'s' if files > 1 else ''} (" in err.getvalue()
    assert f" ({files} cop{'ies' if files > 1 else 'y'})" in err.getvalue() or mode != "transfer"
    assert out.getvalue() == ""  # stdout stays free for --json


def test_the_reports_and_the_terminal_library_load_once_the_copy_job_has_finished() -> None:
    """rich (~25 ms of start-up) and the reports' modules (~10 ms) are not imported with the
    command's modules: they load on a thread once the job has finished (``JobFinished``),
    while the manifests and reports wait for fsyncs; rich at once only for a live view."""
    script = (
        "import sys\n"
        "from offload.cli.offload import _ReportModulesLoader\n"
        "from offload.events import JobFinished, WarningIssued\n"
        "late = {'rich.console', 'rich.table', 'offload.report.job_report',\n"
        "        'offload.report.summary', 'offload.report.content', 'offload.report.html'}\n"
        "print(sorted(late & set(sys.modules)))\n"
        "loader = _ReportModulesLoader(summary=True)\n"
        "loader.emit(WarningIssued('not yet'))\n"
        "print(loader.thread)\n"
        "loader.emit(JobFinished(0, False))\n"
        "loader.thread.join(60)\n"
        "print(sorted(late - set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.stdout.split() == ["[]", "None", "[]"], done.stderr
