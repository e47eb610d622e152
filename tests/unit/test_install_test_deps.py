"""scripts/install-test-deps, which `make test` runs first: quick when nothing is missing, and
never a failure of `make test` where it cannot install (the tests then skip with reasons)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from support.requirements import require_tool

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "install-test-deps"


def run(path: str, *, user: bool = False) -> subprocess.CompletedProcess[str]:
    argv = [require_tool("bash"), str(SCRIPT)]
    if user and os.geteuid() == 0:
        argv = [require_tool("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    env = {**os.environ, "PATH": path, "CI": ""}
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_make_test_and_ci_run_call_it() -> None:
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/install-test-deps" in recipe
    lines = (REPO / ".ci" / "run").read_text().splitlines()
    commands = [line for line in lines if line.strip() and not line.startswith("#")]
    assert commands[-1] == "exec make test" and "apt-get" not in "\n".join(commands)


def test_without_dpkg_it_explains_and_succeeds() -> None:
    done = run("/nonexistent-offload-bin")
    assert done.returncode == 0, done.stderr
    assert "no dpkg/apt-get here" in done.stderr and "xxhash" in done.stderr


def test_as_a_user_it_never_fails() -> None:
    started = time.monotonic()
    done = run(os.environ.get("PATH", "/usr/bin:/bin"), user=True)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 30  # dpkg-query only, never apt-get
    assert done.stdout == ""
    assert done.stderr == "" or "not root, so not installing" in done.stderr
