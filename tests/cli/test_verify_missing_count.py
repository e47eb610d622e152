"""``offload verify``'s "N missing" counts files: a whole clip folder deleted from a copy
root is its files missing, the recorded folder said apart, alike on the terminal, in
``--json`` and in the report file. Real copies by ``offload copy``, the CLI in this process.

Failed before: the history records each folder too (ASC MHL ``<directoryhash>``), and the
folder gone was counted among the files ("4 missing" for 3 files deleted)."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue(), err.getvalue()


def _copied(tmp_path: Path, mhl: str) -> Path:
    card = tmp_path / "A001"
    for clip in ("A001C001", "A001C002"):
        (card / "CLIPS" / clip).mkdir(parents=True)
        for part in range(3):
            (card / "CLIPS" / clip / f"{clip}_{part}.MXF").write_bytes(os.urandom(2_000))
    (tmp_path / "dest").mkdir()
    code, _, err = run("copy", "--quiet", "--mhl", mhl, card, tmp_path / "dest")
    assert code == 0, err
    return tmp_path / "dest" / "A001"


@pytest.mark.parametrize("mhl", ["ascmhl", "none"])
def test_a_deleted_clip_folder_counts_its_files(tmp_path: Path, mhl: str) -> None:
    root = _copied(tmp_path, mhl)
    shutil.rmtree(root / "CLIPS" / "A001C002")
    reports = tmp_path / "reports"

    code, out, err = run("verify", "--report-dir", reports, root)
    assert code == 10, err  # missing files (docs: exit codes)
    summary = next(line for line in out.splitlines() if line.startswith(f"{root}:"))
    assert ", 3 missing" in summary, summary
    if mhl == "ascmhl":  # the history records the folder: said apart, as a folder
        assert "1 recorded folder gone" in summary, summary
    else:
        assert "recorded folder" not in summary, summary

    code, out, _ = run("verify", "--json", "--report-dir", reports, root)
    data = json.loads(out)
    gone = sorted(f"CLIPS/A001C002/A001C002_{part}.MXF" for part in range(3))
    assert data["totals"]["missing"] == 3 and data["missing"] == gone
    folders = ["CLIPS/A001C002"] if mhl == "ascmhl" else []
    assert data["totals"]["missing_folders"] == len(folders)
    assert data["missing_folders"] == folders

    written = sorted(reports.glob("verify_*.json"))
    assert len(written) == 2, written
    for report in written:
        saved = json.loads(report.read_text())
        assert saved["totals"]["missing"] == 3 and saved["missing"] == gone, report
        assert saved["missing_folders"] == folders
