"""``run_record``'s entries of cards whose identity is unknown, told apart by their first file
(``FirstFile``): two such cards from one path are two entries; an entry written without one
(an older version, a run that could not tell it) is still the card's of that path, so a
re-run clears it. Real files in a real folder."""

from __future__ import annotations

import json
from pathlib import Path

from offload import run_record

CARD = "/media/card"
A = run_record.FirstFile("CLIPS/C0001.MP4", 1_234_567)
B = run_record.FirstFile("CLIPS/C0001.MP4", 7_654_321)


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "RAID"
    (root / ".offload").mkdir(parents=True)
    return root


def _states(root: Path) -> list[tuple[str, object]]:
    cards = json.loads(run_record.record_path(root).read_text())["cards"]
    return sorted((e["state"], e.get("first") or []) for e in cards)


def test_two_unknown_cards_from_one_path_are_two_entries(tmp_path: Path) -> None:
    root = _root(tmp_path)
    run_record.mark_started([root], "runA", 1.0, CARD, first=A)  # killed: never settled
    run_record.mark_started([root], "runB", 2.0, CARD, first=B)
    assert run_record.settle(root, "runB", 2.0, run_record.FINISHED, source=CARD, first=B) is None
    assert _states(root) == [("finished", list(B)), ("running", list(A))]
    words = run_record.unfinished(root) or ""
    assert f"card {CARD} (first file CLIPS/C0001.MP4, 1,234,567 bytes)" in words, words
    assert "7,654,321" not in words, words
    # Card A again, to its end: its own entry replaced, B's kept.
    run_record.mark_started([root], "runA2", 3.0, CARD, first=A)
    assert run_record.settle(root, "runA2", 3.0, run_record.FINISHED, source=CARD, first=A) is None
    assert _states(root) == [("finished", list(A)), ("finished", list(B))]
    assert run_record.unfinished(root) is None


def test_an_entry_without_a_first_file_is_the_cards_of_that_path(tmp_path: Path) -> None:
    root = _root(tmp_path)
    run_record.mark_started([root], "old", 1.0, CARD)  # as an older version wrote it
    run_record.mark_started([root], "new", 2.0, CARD, first=A)
    assert run_record.settle(root, "new", 2.0, run_record.FINISHED, source=CARD, first=A) is None
    assert _states(root) == [("finished", list(A))]


def test_a_run_without_a_first_file_never_takes_one_of_two_cards_entries(tmp_path: Path) -> None:
    """A cascade re-run fed from a fast copy records no first file: where two cards of its
    path have entries, it cannot tell its own, so it replaces neither (A's ``running`` is
    never settled by it)."""
    root = _root(tmp_path)
    run_record.mark_started([root], "runA", 1.0, CARD, first=A)  # killed
    run_record.mark_started([root], "runB", 2.0, CARD, first=B)
    run_record.settle(root, "runB", 2.0, run_record.FINISHED, source=CARD, first=B)
    run_record.mark_started([root], "rerun", 3.0, CARD)
    assert run_record.settle(root, "rerun", 3.0, run_record.FINISHED, source=CARD) is None
    assert _states(root) == [("finished", []), ("finished", list(B)), ("running", list(A))]
    assert "1,234,567 bytes" in (run_record.unfinished(root) or "")
