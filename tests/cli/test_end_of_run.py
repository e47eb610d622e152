"""The end of an ``offload copy`` (reports, summary): made with the cyclic collector paused,
the engine's tasks released first, and everything as it would be otherwise; its job with the
young generation collected less often."""

from __future__ import annotations

import gc
import io
import json
import os
from pathlib import Path

import pytest

from offload.card import OffloadOptions, plan_offload
from offload.cli.common import Environment
from offload.cli.offload import _JOB_YOUNG, collector_paused, main, young_collections_spaced


class WatchedStdout(io.StringIO):
    """The command's stdout, noting whether the collector ran when each ``--json`` line was
    written (a real stream: the lines are read back after)."""

    def __init__(self) -> None:
        super().__init__()
        self.enabled_at: dict[str, bool] = {}
        self.thresholds_at: dict[str, tuple[int, int, int]] = {}

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.startswith("{"):
                event = json.loads(line)["event"]
                self.enabled_at.setdefault(event, gc.isenabled())
                self.thresholds_at.setdefault(event, gc.get_threshold())
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
    out = WatchedStdout()
    assert gc.isenabled()
    before = gc.get_threshold()
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
    # The job's young generation collected every _JOB_YOUNG allocations, the oldest not at
    # all (``full_collections_paused``); the thresholds as they were once the command is over.
    assert out.thresholds_at["job_started"][0] == max(before[0], _JOB_YOUNG)
    assert out.thresholds_at["job_started"][1] == before[1]
    assert gc.get_threshold() == before
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


def test_young_collections_spaced_restores_the_thresholds_also_on_errors() -> None:
    before = gc.get_threshold()
    with young_collections_spaced():
        assert gc.get_threshold() == (max(before[0], _JOB_YOUNG), *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(KeyError), young_collections_spaced():
        raise KeyError("x")
    assert gc.get_threshold() == before
    gc.set_threshold(_JOB_YOUNG * 2, *before[1:])
    try:
        with young_collections_spaced():  # a caller's higher threshold is never lowered
            assert gc.get_threshold()[0] == _JOB_YOUNG * 2
    finally:
        gc.set_threshold(*before)


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


def test_the_copy_makes_no_full_collection_and_young_ones_still_run(tmp_path: Path) -> None:
    """From the copy's start to the reports, the collector never walks its oldest generation (a
    full collection holds the interpreter lock over every object of the run, stalling the
    engine's threads: ~0.6 s of a 50,000-file run's CPU, docs/performance.md, sixteenth
    pass), while its young generations are still collected (a cycle
    dropped young is freed); the thresholds are as they were after, also with a low one
    that makes a full collection every few allocations (here, to make one certain)."""
    card = _card(tmp_path, 40)
    dest = tmp_path / "dest"
    dest.mkdir()
    collections: list[int] = []  # the generation of each, once the copy began
    begun = False

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and begun:
            collections.append(info["generation"])

    class _Begun(io.StringIO):
        def write(self, text: str) -> int:
            nonlocal begun
            begun = True  # the first --json line: the plan is made, the copy starts
            return super().write(text)

    before = gc.get_threshold()
    gc.set_threshold(50, 1, 1)
    # A full collection also waits for the objects new since the last one to be a quarter
    # of those it found: the test process's own objects frozen out of its reach, it has
    # found few, and the copy's make one due every few allocations.
    gc.freeze()
    gc.collect()
    gc.callbacks.append(seen)
    try:
        code = main(
            ["copy", "--json", "--verify", "transfer", "--report-dir", str(tmp_path / "R"),
             str(card), str(dest)],
            Environment(stdout=_Begun(), stderr=io.StringIO(), install_signal_handlers=False),
        )  # fmt: skip
        assert gc.get_threshold() == (50, 1, 1)
    finally:
        gc.callbacks.remove(seen)
        gc.set_threshold(*before)
        gc.unfreeze()
    assert code == 0
    assert any(generation < 2 for generation in collections)  # young ones ran
    assert 2 not in collections
