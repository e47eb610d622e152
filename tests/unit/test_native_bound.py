"""bench/native_bound.py: the C loop builds (where there is a compiler), both loops make
every call of every file without a failure, and nothing of theirs is left behind."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "native_bound.py"


@pytest.mark.skipif(
    shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0]) is None
    or not Path(sysconfig.get_paths()["include"], "Python.h").exists()
    or not Path("/proc/self/fd").is_dir(),
    reason="no C compiler, Python headers or /proc/self/fd here",
)
def test_both_loops_make_every_call_and_leave_nothing(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(work), "--files", "300", "--rounds", "2",
         "--batch-files", "64", "--freed-notes", str(tmp_path / "notes")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    runs = [line for line in done.stdout.splitlines() if "failed calls" in line]
    assert len(runs) == 4  # two rounds of both loops
    assert sum(line.startswith("python") for line in runs) == 2
    assert all(line.split("failed calls ")[1].startswith("0 ") for line in runs), runs
    medians = done.stdout.split("medians:")[1]
    assert "python wall" in medians and "c      wall" in medians
    assert list(work.iterdir()) == []  # every run's files and the built module deleted
