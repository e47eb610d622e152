"""Where a run not given ``--report-dir`` nor ``$OFFLOAD_REPORT_DIR`` writes its local reports:
``$XDG_STATE_HOME/offload-ai/reports``, else ``~/.local/state/offload-ai/reports``
(``cli/common.py``'s ``default_report_dir`` names it), made with its parents when the run's
reports are written. The real CLI in child processes,
each given a home or state folder of the test's own: the suite writes nothing into the
user's real one (tests/conftest.py points ``XDG_STATE_HOME`` at a folder of the session's).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from support.offload_cli import CLI, one_file_card, run_offload


def _without_report_settings(**extra: str) -> dict[str, str]:
    """This process's environment without ``XDG_STATE_HOME`` and ``OFFLOAD_REPORT_DIR``,
    *extra* over it."""
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_STATE_HOME", "OFFLOAD_REPORT_DIR")}
    return {**env, **extra}


def _run(*args: str | Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=120, env=dict(env)
    )


def _reports_naming(folder: Path, dest: Path) -> list[Path]:
    """The JSON job reports in *folder* whose text names *dest*."""
    return [p for p in sorted(folder.glob("*.json")) if str(dest) in p.read_text()]


def test_a_run_of_the_suite_writes_its_reports_into_a_folder_of_the_session_s(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An ``offload copy`` a test starts without ``--report-dir`` inherits the session's
    ``XDG_STATE_HOME`` (and no ``OFFLOAD_REPORT_DIR``): its reports land there. Failed
    before: no such variable was set, and every such run wrote into the user's
    ``~/.local/state/offload-ai/reports``."""
    state = Path(os.environ["XDG_STATE_HOME"])
    assert state.is_relative_to(tmp_path_factory.getbasetemp())
    assert "OFFLOAD_REPORT_DIR" not in os.environ
    card, dest = one_file_card(tmp_path), tmp_path / "dest"
    dest.mkdir()
    done = run_offload("copy", "-q", card, dest)
    assert done.returncode == 0, done.stderr
    (report,) = _reports_naming(state / "offload-ai" / "reports", dest)
    assert json.loads(report.read_text())["exit_code"] == 0


def test_without_xdg_state_home_the_reports_go_under_home_made_with_its_parents(
    tmp_path: Path,
) -> None:
    """A home with no ``~/.local`` yet: the first run makes
    ``~/.local/state/offload-ai/reports`` and writes there; ``offload history`` (no folder
    named) lists that run from the same default."""
    home = tmp_path / "home"
    home.mkdir()
    card, dest = one_file_card(tmp_path), tmp_path / "dest"
    dest.mkdir()
    env = _without_report_settings(HOME=str(home))
    done = _run("copy", "-q", card, dest, env=env)
    assert done.returncode == 0, done.stderr
    reports = home / ".local" / "state" / "offload-ai" / "reports"
    assert len(_reports_naming(reports, dest)) == 1
    listed = _run("history", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [entry["exit_code"] for entry in json.loads(listed.stdout)] == [0]


def test_xdg_state_home_places_the_default_report_folder(tmp_path: Path) -> None:
    """``XDG_STATE_HOME`` set: the reports go into its ``offload-ai/reports``, nothing under
    ``HOME``."""
    home, state = tmp_path / "home", tmp_path / "state"
    home.mkdir()
    card, dest = one_file_card(tmp_path), tmp_path / "dest"
    dest.mkdir()
    env = _without_report_settings(HOME=str(home), XDG_STATE_HOME=str(state))
    done = _run("copy", "-q", card, dest, env=env)
    assert done.returncode == 0, done.stderr
    assert len(_reports_naming(state / "offload-ai" / "reports", dest)) == 1
    assert list(home.iterdir()) == []


def test_a_file_in_the_default_report_folder_s_place_is_refused_as_a_named_one(
    tmp_path: Path,
) -> None:
    """Failed before (QA): ``offload copy`` went on (exit 0) with two warnings, ENOTDIR for
    its start record and EEXIST for its local report, while ``offload verify`` and a
    ``--report-dir`` naming a file were refused: now one wording, exit 64, before anything
    is copied or verified."""
    state = tmp_path / "state"
    (state / "offload-ai").mkdir(parents=True)
    blocker = state / "offload-ai" / "reports"
    blocker.write_text("")
    card, dest = one_file_card(tmp_path), tmp_path / "dest"
    dest.mkdir()
    env = _without_report_settings(XDG_STATE_HOME=str(state))
    words = (
        f"ERROR: the report folder {blocker} is not a folder; it is the default report "
        "folder: remove what is in its place, or name another folder with --report-dir (or "
        "$OFFLOAD_REPORT_DIR); nothing was "
    )
    refused = _run("copy", "-q", card, dest, env=env)
    assert refused.returncode == 64, refused.stderr
    assert refused.stderr.splitlines() == [words + "copied"]
    assert list(dest.iterdir()) == []
    done = _run("copy", "-q", "--report-dir", tmp_path / "reports", card, dest, env=env)
    assert done.returncode == 0, done.stderr
    refused = _run("verify", dest / "CARD", env=env)
    assert refused.returncode == 64, refused.stderr
    assert refused.stderr.splitlines() == [words + "verified"]
    named = _run("copy", "-q", "--report-dir", blocker, card, dest, env=env)
    assert named.returncode == 64
    assert named.stderr.splitlines() == [
        f"ERROR: the report folder {blocker} is not a folder; --report-dir names the folder "
        "the local reports go in, made if missing; nothing was copied"
    ]
