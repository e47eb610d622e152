"""``run_record.settle``'s rule (review of the runrec66 brief, item 1): a settled entry moves
only to say less (``finished`` to ``failed`` or ``cancelled``) by the run that wrote it, never
back to ``finished``; another run's entry is never rewritten; a settle that says less and
cannot make its temporary writes the record over in place (tests/faults/
test_fast_root_record.py). Real files in a real folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offload import run_record

CARD = "/cards/A001"


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "RAID"
    (root / ".offload").mkdir(parents=True)
    return root


def _state(root: Path) -> str:
    (entry,) = json.loads(run_record.record_path(root).read_text())["cards"]
    return str(entry["state"])


def test_a_finished_entry_is_taken_back_failed_by_its_run(tmp_path: Path) -> None:
    root = _root(tmp_path)
    run_record.mark_started([root], "run1", 1.0, source=CARD)
    assert run_record.settle(root, "run1", 1.0, run_record.FINISHED, source=CARD) is None
    failed = ["CLIPS/C001.mov"]
    assert (
        run_record.settle(root, "run1", 1.0, run_record.FAILED, source=CARD, failed=failed) is None
    )
    assert _state(root) == "failed"
    assert "CLIPS/C001.mov" in (run_record.unfinished(root) or "")


@pytest.mark.parametrize("was", [run_record.FAILED, run_record.CANCELLED])
def test_a_run_never_makes_its_own_unfinished_entry_finished(tmp_path: Path, was: str) -> None:
    root = _root(tmp_path)
    run_record.mark_started([root], "run1", 1.0, source=CARD)
    assert run_record.settle(root, "run1", 1.0, was, source=CARD, failed=["a.mov"]) is None
    refused = run_record.settle(root, "run1", 1.0, run_record.FINISHED, source=CARD)
    assert isinstance(refused, run_record.SettleRefused), refused
    assert f"already that it {was}" in str(refused)
    assert _state(root) == was


def test_another_runs_entry_is_never_rewritten(tmp_path: Path) -> None:
    """The card's entry marked by run2 since run1 marked it (run1's lock lost, say): run1's
    settle refused, run2's ``running`` kept (INCOMPLETE until run2 settles it)."""
    root = _root(tmp_path)
    run_record.mark_started([root], "run1", 1.0, source=CARD)
    run_record.mark_started([root], "run2", 2.0, source=CARD)
    refused = run_record.settle(root, "run1", 1.0, run_record.FINISHED, source=CARD)
    assert isinstance(refused, run_record.SettleRefused), refused
    assert "another run (run2)" in str(refused)
    assert _state(root) == "running"
    assert run_record.settle(root, "run2", 2.0, run_record.FINISHED, source=CARD) is None
    assert _state(root) == "finished"
