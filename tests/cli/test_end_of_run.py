"""The end of an ``offload copy`` (reports, summary): made with the cyclic collector paused,
the engine's tasks released first, and everything as it would be otherwise."""

from __future__ import annotations

import gc
import io
import json
import os
from pathlib import Path

import pytest

from offload.card import OffloadOptions, plan_offload
from offload.cli.common import Environment
from offload.cli.offload import collector_paused, main


class _Watched(io.StringIO):
    """The command's stdout, noting whether the collector ran when each ``--json`` line was
    written (a real stream: the lines are read back after)."""

    def __init__(self) -> None:
        super().__init__()
        self.enabled_at: dict[str, bool] = {}

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.startswith("{"):
                self.enabled_at.setdefault(json.loads(line)["event"], gc.isenabled())
        return super().write(text)


def _card(root: Path, count: int = 12) -> Path:
    card = root / "A001"
    for i in range(count):
        path = card / "CLIPS" / f"C{i:04d}.MOV"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(1000 + i))
    return card


def test_the_reports_are_made_with_the_collector_paused_and_it_runs_again_after(
    tmp_path: Path,
) -> None:
    card = _card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    out = _Watched()
    assert gc.isenabled()
    code = main(
        ["copy", "--json", "--verify", "transfer", "--report-dir", str(tmp_path / "R"),
         str(card), str(dest)],
        Environment(stdout=out, stderr=io.StringIO(), install_signal_handlers=False),
    )  # fmt: skip
    assert code == 0, out.getvalue()
    # The copy ran with the collector (a job may make cycles); its reports without.
    assert out.enabled_at["job_started"] is True
    assert out.enabled_at["job_report"] is False
    assert gc.isenabled()
    line = json.loads(out.getvalue().splitlines()[-1])
    assert line["event"] == "job_report"
    report = json.loads(Path(line["reports"][0]).read_text())
    assert [f["path"] for f in report["files"]] == [f"CLIPS/C{i:04d}.MOV" for i in range(12)]
    assert all(Path(p).with_suffix(".pdf").is_file() for p in line["reports"])


def test_collector_paused_restores_what_it_found_also_on_errors() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("x")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_release_files_forgets_the_tasks_and_the_files_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    card = _card(tmp_path, 3)
    dest = tmp_path / "dest"
    dest.mkdir()
    plan = plan_offload(card, [dest], OffloadOptions())
    assert len(plan.tasks) == 3
    assert plan.tree.file_count == 3
    plan.release_files()
    assert plan.tasks == []
    assert plan.tree.files == ()
    assert plan.tree.directories == ("CLIPS",)
    assert plan.plans[0].root == dest / "A001"
