"""A path named on the command line that cannot be looked at for a reason of its own (a
symlink loop, a name too long): one line and exit 64, from `offload verify` (its --json
document too) and `pfndispatchcopy`, as for a missing path. Real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

OFFLOAD = [sys.executable, "-m", "offload.cli.offload"]
PFN = [sys.executable, "-m", "offload.cli.pfndispatchcopy"]


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=120, cwd=cwd, env=dict(os.environ)
    )


@pytest.fixture(params=["loop", "long"])
def bad_path(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(the path, the errno's name its look raises)."""
    if request.param == "loop":
        os.symlink("loopy", tmp_path / "loopy")
        return "loopy", "ELOOP"
    return "a" * 300, "ENAMETOOLONG"


def test_verify_names_a_path_it_cannot_look_at_in_one_line(
    tmp_path: Path, bad_path: tuple[str, str]
) -> None:
    """Failed before: a traceback (OSError from the look at PATH), exit 1, and with --json
    no document at all."""
    path, errno_name = bad_path
    done = run([*OFFLOAD, "verify", path, "--report-dir", str(tmp_path / "r")], tmp_path)
    assert done.returncode == 64, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"ERROR: cannot read {tmp_path / path}: ") and errno_name in line
    as_json = run(
        [*OFFLOAD, "verify", "--json", path, "--report-dir", str(tmp_path / "r")], tmp_path
    )
    assert as_json.returncode == 64
    assert json.loads(as_json.stdout)["exit_code"] == 64


def test_pfndispatchcopy_names_a_source_it_cannot_look_at_in_one_line(
    tmp_path: Path, bad_path: tuple[str, str]
) -> None:
    """Failed before: a traceback and exit 1."""
    path, errno_name = bad_path
    (tmp_path / "out").mkdir()
    done = run([*PFN, path, "out/z.mov"], tmp_path)
    assert done.returncode == 64, done.stderr
    assert "Traceback" not in done.stderr
    assert f"cannot read source {tmp_path / path}: " in done.stderr and errno_name in done.stderr
    assert list((tmp_path / "out").iterdir()) == []
