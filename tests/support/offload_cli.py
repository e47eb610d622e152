"""The ``offload`` command as the CLI tests drive it: in-process (``offload``), or as a child
process (``run_offload``: the real entry point, its own signal handlers and exit code), and
the job report a run wrote (``newest_report``)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from offload.cli.common import Environment
from offload.cli.offload import main

CLI = [sys.executable, "-m", "offload.cli.offload"]


def offload(*argv: str) -> tuple[int, str]:
    """Run ``offload *argv`` in this process: its exit code and its stdout then stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue() + err.getvalue()


def run_offload(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``offload *args`` in a child process (200 columns wide, so no line is wrapped)."""
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


def newest_report(folder: Path) -> dict[str, Any]:
    """The JSON job report written last in *folder*."""
    reports = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    return dict(json.loads(reports[-1].read_text()))
