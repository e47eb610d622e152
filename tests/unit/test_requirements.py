"""Tests that need a program or root skip with the reason, and fail instead under CI=true.

The inner runs use the real test files on a machine made to lack the tools: an empty PATH
(no xxhsum, md5sum, ...) and, when this run is root, an unprivileged user (setpriv), so the
FaultyFS tests lose root too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from support.requirements import UNAVAILABLE, require_tool, tool_reason

REPO = Path(__file__).resolve().parents[2]
NEED_TOOLS_OR_ROOT = [
    "tests/cli/test_pfndispatchcopy.py::test_verbose_lines_exactly",
    "tests/cli/test_pfndispatchcopy.py::test_several_hashes_one_line_each",
    "tests/integration/test_engine.py::test_copies_match_xxhsum",
    "tests/faults/test_faultyfs.py::test_mount_lifecycle_leaves_nothing_behind",
    "tests/faults/test_faultyfs.py::test_watchdog_kills_a_hung_daemon",
]


def inner_pytest(
    args: list[str], *, ci: str, cwd: Path, path: str, as_user: bool = True
) -> subprocess.CompletedProcess[str]:
    """pytest on *args* in *cwd*; as root, as an unprivileged user unless not *as_user*."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(CI=ci, PATH=path, PYTHONPATH=str(REPO / "tests"), OFFLOAD_TESTS_SHARED_MOUNTS="1")
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", *args]
    if os.geteuid() == 0 and as_user:
        setpriv = require_tool("setpriv")
        argv = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_reason_names_the_tool_and_its_package() -> None:
    assert tool_reason("sh") is None
    reason = tool_reason("xxhsum-not-here") or ""
    assert reason.startswith(UNAVAILABLE) and "xxhsum-not-here not found on PATH" in reason
    assert "Debian package xxhash" in (tool_reason("xxhsum") or "Debian package xxhash")


@pytest.mark.parametrize("ci", ["", "true"])
def test_tests_without_their_tools_skip_with_the_reason(ci: str) -> None:
    done = inner_pytest(NEED_TOOLS_OR_ROOT, ci=ci, cwd=REPO, path="/nonexistent-offload-bin")
    out = done.stdout
    if not ci:
        assert done.returncode == 0, out + done.stderr
        assert "5 skipped" in out and "failed" not in out and "error" not in out, out
        assert "xxhsum not found on PATH (Debian package xxhash;" in out
        assert "md5sum not found on PATH (Debian package coreutils;" in out
        assert "FaultyFS needs root" in out
    else:
        assert done.returncode == 1, out + done.stderr
        assert "5 failed" in out, out
        assert "skipped under CI=true (CI must have every tool and run as root)" in out
        assert "fault tests must run in CI" in out


@pytest.mark.parametrize("ci", ["", "true"])
def test_a_missing_tool_fails_only_under_ci(ci: str) -> None:
    with tempfile.TemporaryDirectory(prefix="offload-requirements-") as folder:
        tmp = Path(folder)
        tmp.chmod(0o755)  # the inner run may be an unprivileged user (pytest's tmp_path is 0700)
        check_inner_run(tmp, ci)


def check_inner_run(tmp_path: Path, ci: str) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    fault: x\n    slow: x\n")
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            """
            import pytest
            from support.requirements import require_tool, root_mark

            def test_missing_tool():
                require_tool("no-such-tool-for-offload")

            @root_mark("mounting")
            def test_needs_root():
                assert __import__("os").geteuid() == 0

            def test_plain_skip():
                pytest.skip("not about the machine")
            """
        )
    )
    os.chmod(tmp_path / "test_inner.py", 0o644)
    done = inner_pytest(
        ["-p", "conftest", "test_inner.py"], ci=ci, cwd=tmp_path, path=os.environ["PATH"]
    )
    out = done.stdout
    assert "no-such-tool-for-offload not found on PATH" in out
    assert "mounting needs root" in out
    if ci:
        # a skipif mark skips in setup, so its failure is reported as an error
        assert done.returncode == 1 and "1 failed, 1 skipped, 1 error" in out, out + done.stderr
    else:
        assert done.returncode == 0 and "3 skipped" in out, out + done.stderr


def test_under_xdist_workers_a_skip_still_fails_ci(tmp_path: Path) -> None:
    """`make test` runs pytest-xdist's ``-n 2``: the skips are made on the workers, and the
    CI=true rule (tests/conftest.py) must still turn them into failures the run reports. As
    the caller's user: the workers are new processes of the venv's Python, which the
    unprivileged user of the other inner runs may not be allowed to start."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    fault: x\n    slow: x\n")
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            """
            import pytest
            from support.requirements import require_tool

            def test_missing_tool():
                require_tool("no-such-tool-for-offload")

            @pytest.mark.fault
            def test_fault_skipped():
                pytest.skip("no fault tooling here")

            def test_plain_skip():
                pytest.skip("not about the machine")
            """
        )
    )
    args = ["-n", "2", "-p", "conftest", "test_inner.py"]
    done = inner_pytest(args, ci="true", cwd=tmp_path, path=os.environ["PATH"], as_user=False)
    out = done.stdout
    assert done.returncode == 1 and "2 failed, 1 skipped" in out, out + done.stderr
    assert "[gw0] linux" in out or "[gw1] linux" in out, out  # reported by a worker
    assert "skipped under CI=true (CI must have every tool and run as root)" in out, out
    assert "fault tests must run in CI" in out, out
