"""A report folder the user named (``--report-dir`` on an external drive) whose drive is
gone by the end of the run: the end-of-run write makes the named folder if missing, never
the folders above it (``cli.common.local_report_dir``'s rule), so nothing of the drive's
path is rebuilt on the disk below; the run says its local report was not written (a
warning: the copies are not affected) and the destination's report is written, saying so
in its notes (JSON, HTML). Real card,
destination and CLI in-process; the drive's removal happens right after the copy (the
real ``run_offload`` returns, then its folder is removed), before the reports."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import offload.cli.offload as offload_cmd
from report.helpers import offload_cli, two_clip_card


@pytest.mark.parametrize("named_by", ["--report-dir", "OFFLOAD_REPORT_DIR"])
def test_a_named_report_folder_whose_drive_went_away_is_not_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, named_by: str
) -> None:
    """Failed before: the end of the run made drive/offload-reports anew (makedirs) and
    wrote the report there, on the disk the drive had been mounted over."""
    card = two_clip_card(tmp_path, 40_000)
    dest = tmp_path / "dest"
    dest.mkdir()
    drive = tmp_path / "drive"
    folder = drive / "offload-reports"
    drive.mkdir()  # the named folder itself is made at the end: its drive is there now
    real = offload_cmd.run_offload

    def then_unplugged(*args: object, **kwargs: object) -> object:
        report = real(*args, **kwargs)  # type: ignore[arg-type]
        shutil.rmtree(drive)  # unmounted before the reports are written
        return report

    monkeypatch.setattr(offload_cmd, "run_offload", then_unplugged)
    argv = ["copy", str(card), str(dest)]
    if named_by == "--report-dir":
        argv += ["--report-dir", str(folder)]
        monkeypatch.delenv("OFFLOAD_REPORT_DIR", raising=False)
    else:
        monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(folder))
    code, out, err = offload_cli(argv)
    assert not os.path.lexists(drive), sorted(p.name for p in drive.rglob("*"))
    assert code == 0, out + err  # the local report folder's failure is a warning
    said = " ".join(err.split())
    assert f"cannot write the local report into {folder}" in said, said
    assert "No such file or directory" in said or "ENOENT" in said, said
    (on_dest,) = (dest / "A001" / ".offload" / "reports").glob("*.json")
    saved = json.loads(on_dest.read_text())
    assert saved["exit_code"] == 0
    # The saved reports say it too (failed before: ``notes: []``, the HTML silent).
    [note] = [n for n in saved["notes"] if "cannot write the local report" in n]
    assert str(folder) in note
    html = " ".join(on_dest.with_suffix(".html").read_text().split())
    assert f"cannot write the local report into {folder}" in html
