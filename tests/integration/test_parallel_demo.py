"""examples/parallel_demo.py runs as documented: with the venv's python and with a plain one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "parallel_demo.py"
SPEED = r"\s+(\d+\.\d) MB/s \((\d+\.\d\d) s\)$"


@pytest.mark.parametrize("python", ["venv", "plain"])
def test_parallel_demo_prints_both_speeds_and_the_gain(tmp_path: Path, python: str) -> None:
    executable = sys.executable
    if python == "plain":
        # The interpreter the venv was made from: offload-ai is not installed there, so the
        # example re-runs itself with the checkout's .venv/bin/python.
        executable = getattr(sys, "_base_executable", sys.executable)
        if not (REPO / ".venv" / "bin" / "python").exists():
            pytest.skip("this checkout has no .venv (tests run from another environment)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    done = subprocess.run(
        [executable, str(DEMO), "--size-mb", "6", "--destinations", "3", "--dir", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("6 MB file, 3 destination(s), 2097152 byte chunks, in ")
    assert re.match(
        r"sequential \(one destination after another, xxh64 while copying\)" + SPEED, lines[1]
    )
    assert re.match(
        r"parallel engine \(one read, 3 writers, transfer verification\)" + SPEED, lines[2]
    )
    assert re.fullmatch(r"xxh64 [0-9a-f]{16}: the same in both runs", lines[3])
    assert re.fullmatch(r"gain: \d+\.\d\dx \([+-]\d+%\)", lines[4])
    assert list(tmp_path.iterdir()) == []  # the generated files are removed


def test_parallel_demo_refuses_bad_sizes(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(DEMO), "--size-mb", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "must be positive" in done.stderr
