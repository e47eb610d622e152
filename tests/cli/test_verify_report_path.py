"""offload verify's report names the folder it checked as offload copy's reports name theirs:
absolute (os.path.abspath), whatever was typed. The real CLI in a subprocess, run from the
drive's folder with a relative PATH."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from support import mounts

CLI = [sys.executable, "-m", "offload.cli.offload"]


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, timeout=120, cwd=cwd, env=dict(os.environ)
    )


def offloaded(tmp_path: Path, *flags: str) -> Path:
    """A one-clip card offloaded to tmp_path/dest: the destination folder."""
    card = tmp_path / "card" / "A001"
    card.mkdir(parents=True)
    (card / "clip.mov").write_bytes(b"x" * 1000)
    dest = tmp_path / "dest"
    dest.mkdir()
    assert run("copy", *flags, card, dest, "--report-dir", tmp_path / "r0").returncode == 0
    return dest


def test_verify_report_names_the_folder_absolute_as_copy_reports_do(tmp_path: Path) -> None:
    """offload verify given a relative PATH (typed from the drive's folder): its JSON report
    gives the folder absolute, as offload copy's reports give the source and copy roots, so
    the report still names the folder checked when read from elsewhere (offload history).
    Failed before: "path": "A001", as typed."""
    dest = offloaded(tmp_path)
    reports = tmp_path / "reports"
    checked = run("verify", "--json", "A001", "--report-dir", reports, cwd=dest)
    assert checked.returncode == 0, checked.stderr
    (saved,) = reports.glob("*.json")
    data = json.loads(saved.read_text())
    assert data["path"] == str(dest / "A001"), data["path"]
    assert json.loads(checked.stdout)["path"] == str(dest / "A001")


def test_a_relative_mhl_file_is_still_found_from_where_it_was_typed(tmp_path: Path) -> None:
    """PATH and --mhl-file both typed relative: the legacy MHL is read (inside PATH), the
    report names both folders absolute."""
    dest = offloaded(tmp_path, "--mhl", "both")
    (legacy,) = [p for p in (dest / "A001").glob("*.mhl")]
    reports = tmp_path / "reports"
    checked = run(
        "verify",
        "--json",
        "A001",
        "--mhl-file",
        f"A001/{legacy.name}",
        "--report-dir",
        reports,
        cwd=dest,
    )
    assert checked.returncode == 0, checked.stderr
    data = json.loads(checked.stdout)
    assert data["path"] == str(dest / "A001"), data
    assert data["totals"]["verified"] == 1, data


def test_a_verify_report_is_named_in_ascii_on_a_fat_report_folder(
    tmp_path: Path, fusefat_mount: Callable[..., mounts.Mount]
) -> None:
    """A check of a copy root "Café" into a report folder on FAT through fusefat, which
    takes only ASCII names: its report is ``verify_Cafe_...``, as offload copy names its
    reports there. Failed before: "cannot write the report" (EPERM), the report lost."""
    card = tmp_path / "card" / "Café"
    card.mkdir(parents=True)
    (card / "clip.mov").write_bytes(b"x" * 1000)
    dest = tmp_path / "dest"
    dest.mkdir()
    assert run("copy", card, dest, "--report-dir", tmp_path / "r0").returncode == 0
    reports = fusefat_mount().path / "reports"
    checked = run("verify", dest / "Café", "--report-dir", reports)
    assert checked.returncode == 0, checked.stderr
    (report,) = reports.glob("*.json")
    assert report.name.startswith("verify_Cafe_"), report
    assert json.loads(report.read_text())["path"] == str(dest / "Café")
