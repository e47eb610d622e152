"""A card that carries its own ASC MHL history (``ascmhl/``) offloaded with ``--mhl legacy``
(or ``--mhl none``): no ASC MHL is written on the destinations, so the card's history is not
carried there (its folder is not copied as card content either). That must never be silent:
one warning before the copy, coded ``card-history-not-carried``, in the report's warnings,
naming the history and ``--mhl both``. The card is a real copy root written by
``offload copy`` (its own ascmhl/ history), offloaded again by the real CLI."""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

import pytest

from support.offload_cli import card_with_history, run_offload

run = partial(run_offload, columns=250, timeout_s=120)


@pytest.mark.parametrize("mhl", ["legacy", "none"])
def test_the_cards_history_not_carried_is_said(tmp_path: Path, mhl: str) -> None:
    """Failed before: no word of it; only "Ignored (not copied): 2 entries" in the summary,
    the card's history on no destination."""
    card = card_with_history(tmp_path, {"C001.mov": 30_000}, ours=False)
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    done = run("copy", "--mhl", mhl, "--report-dir", reports, card, dest, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (dest / "A001" / "ascmhl").exists()  # not carried: what the warning says
    [line] = [x for x in done.stderr.splitlines() if "ASC MHL history" in x]
    assert line.startswith("WARNING: "), line
    assert f"the card's ASC MHL history ({card}/ascmhl) is not carried to the destinations" in (
        line
    ), line
    assert f"--mhl {mhl}" in line and "--mhl both" in line, line
    report = json.loads(next(reports.glob("*.json")).read_text())
    codes = [w["code"] for w in report["warnings"]]
    assert codes.count("card-history-not-carried") == 1, report["warnings"]


def test_the_cards_history_carried_says_nothing_of_it(tmp_path: Path) -> None:
    card = card_with_history(tmp_path, {"C001.mov": 30_000})
    dest = tmp_path / "dest"
    dest.mkdir()
    done = run("copy", "--mhl", "both", "--report-dir", tmp_path / "r", card, dest, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (dest / "A001" / "ascmhl" / "ascmhl_chain.xml").is_file()
    assert "not carried" not in done.stderr, done.stderr


def _ignored_reason(reports: Path) -> str:
    report = json.loads(next(reports.glob("*.json")).read_text())
    [reason] = [entry["reason"] for entry in report["ignored"] if entry["path"] == "ascmhl"]
    return str(reason)


@pytest.mark.parametrize("mhl", ["legacy", "none"])
def test_the_reports_reason_for_a_history_not_carried_says_so(tmp_path: Path, mhl: str) -> None:
    """Failed before: the report's ignored entry for the card's ascmhl/ said "the card's ASC
    MHL history, carried and continued" (JSON, HTML, PDF) while --mhl legacy/none carried it
    to no destination, as the run's own warning said."""
    card = card_with_history(tmp_path, {"C001.mov": 30_000}, ours=False)
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    done = run("copy", "--mhl", mhl, "--report-dir", reports, card, dest, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (dest / "A001" / "ascmhl").exists()
    reason = _ignored_reason(reports)
    assert "carried and continued" not in reason, reason
    assert reason == (
        f"/ascmhl/: the card's ASC MHL history, not carried: --mhl {mhl} writes no ASC MHL"
    ), reason


def test_the_reports_reason_for_an_ascmhl_folder_without_history_says_not_carried(
    tmp_path: Path,
) -> None:
    """Failed before: a card's ascmhl/ folder holding no manifest (a note left there) is
    left out (not a history to carry) and the report said it was "carried and continued"."""
    card = tmp_path / "A002"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(20_000))
    (card / "ascmhl").mkdir()
    (card / "ascmhl" / "notes.txt").write_text("no manifest here\n")
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    done = run("copy", "--report-dir", reports, card, dest, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (dest / "A002" / "ascmhl" / "notes.txt").exists()
    reason = _ignored_reason(reports)
    assert reason == "/ascmhl/: the card's ASC MHL history, not carried: it holds no manifest", (
        reason
    )


def test_the_reports_reason_for_a_history_to_be_carried_says_so(tmp_path: Path) -> None:
    card = card_with_history(tmp_path, {"C001.mov": 30_000})
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    done = run("copy", "--report-dir", reports, card, dest, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (dest / "A001" / "ascmhl" / "ascmhl_chain.xml").is_file()
    # The card with a history here is a copy root of ours (``card_with_history``): no card,
    # its history the source's (the card's words before srcwords68).
    assert _ignored_reason(reports) == (
        "/ascmhl/: the source's ASC MHL history, to be carried and continued"
    )
    # Failed before: the summary said "Ignored (not copied): 2 entries (listed in the
    # report)." and no more, of a history whose manifests were just carried to the copy.
    [line] = [x for x in done.stderr.splitlines() if x.startswith("Ignored (not copied)")]
    assert line == (
        "Ignored (not copied): 2 folders (.offload/, ascmhl/) (listed in the report), one of "
        "them the source's ASC "
        # The card with a history here is a copy root of ours (``card_with_history``): no card.
        "MHL history, not copied as a folder of the source: its manifests are carried into the "
        "destinations' ASC MHL histories and continued there (a destination that does not take "
        "them is named in a warning)."
    ), line
