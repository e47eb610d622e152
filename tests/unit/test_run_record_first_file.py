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
    # As a version before ``first`` wrote it: no ``first`` key at all.
    older = {"state": "running", "run": "old", "started": "2026-01-01T00:00:00Z"}
    older |= {"source": CARD, "card": ""}
    run_record.record_path(root).write_text(json.dumps({**older, "cards": [older]}))
    run_record.mark_started([root], "new", 2.0, CARD, first=A)
    assert run_record.settle(root, "new", 2.0, run_record.FINISHED, source=CARD, first=A) is None
    assert _states(root) == [("finished", list(A))]


def test_an_entry_this_version_wrote_without_a_first_file_is_no_other_cards(
    tmp_path: Path,
) -> None:
    """Review of runrec66, H1: an entry written without a first file was every card's of its
    path, so card B's run from there replaced card A's ``running`` and verify passed. This
    version writes ``"first": null`` for a card with no file, which only such a card's run
    takes: B's run goes beside it. Failed before: B's ``finished`` replaced it."""
    root = _root(tmp_path)
    run_record.mark_started([root], "runA", 1.0, CARD)  # no first file: killed
    entry = json.loads(run_record.record_path(root).read_text())["cards"][0]
    assert "first" in entry and entry["first"] is None, entry
    run_record.mark_started([root], "runB", 2.0, CARD, first=B)
    assert run_record.settle(root, "runB", 2.0, run_record.FINISHED, source=CARD, first=B) is None
    assert _states(root) == [("finished", list(B)), ("running", [])]
    assert run_record.unfinished(root) is not None


def test_a_known_card_never_takes_an_unknown_cards_entry_of_another_first_file(
    tmp_path: Path,
) -> None:
    """Review of runrec66, L1: a card whose identity is known, from the path where a card of
    unknown identity was killed, replaced that entry whatever its first file. Now its first
    file is recorded and compared too. Failed before: one ``finished`` entry, no INCOMPLETE."""
    root = _root(tmp_path)
    run_record.mark_started([root], "runA", 1.0, CARD, first=A)  # killed
    known = '1234-ABCD "A001"'
    run_record.mark_started([root], "runK", 2.0, CARD, known, first=B)
    settled = run_record.settle(
        root, "runK", 2.0, run_record.FINISHED, source=CARD, card=known, first=B
    )
    assert settled is None
    assert _states(root) == [("finished", list(B)), ("running", list(A))]
    assert "1,234,567 bytes" in (run_record.unfinished(root) or "")


def test_the_first_files_name_is_printed_as_the_terminal_shows_names(tmp_path: Path) -> None:
    """Review of runrec66, L5: the card's first file, a name from the card, went into the
    INCOMPLETE line as it is (a control character could forge a line or drive the
    terminal). Now as ``errors.printable_name`` spells it. Failed before: a raw ESC."""
    root = _root(tmp_path)
    sly = run_record.FirstFile("CLIPS/\x1b[2JC1.mov", 10)
    run_record.mark_started([root], "runA", 1.0, CARD, first=sly)  # killed
    run_record.mark_started([root], "runB", 2.0, CARD, first=B)
    run_record.settle(root, "runB", 2.0, run_record.FINISHED, source=CARD, first=B)
    words = run_record.unfinished(root) or ""
    assert "first file CLIPS/\\x1b[2JC1.mov, 10 bytes" in words, words
    assert "\x1b" not in words, words
