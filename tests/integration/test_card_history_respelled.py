"""A card whose own ASC MHL history records a name spelled otherwise than the card lists it
(composed, NFC, in the history; decomposed, NFD, on the card: a history made where names
are composed, the card's folder respelled since by macOS, or the reverse). The file is that
card file (checked against its record, copied, recorded under the card's spelling), but the
history carried to each copy still names the other spelling, which ``ascmhl-debug verify``
(names compared byte for byte) reports missing, exit 10, on every copy. Said before the
copy, as the upper-case-hex history is: warning ``card-history-respelled``. The card is made
by ``ascmhl create`` itself (the judge) and offloaded by the real CLI."""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path

from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import copy_quietly

NAME = "Scène_Café.mov"


def test_a_card_history_spelling_a_name_otherwise_is_said_before_the_copy(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Failed before: no word of it; the copy said every file verified, and ascmhl-debug
    verify of each copy then reported the history's spelling missing (exit 10)."""
    card = tmp_path / "MAC_CARD"
    (card / "Clips").mkdir(parents=True)
    composed = unicodedata.normalize("NFC", NAME)
    decomposed = unicodedata.normalize("NFD", NAME)
    (card / "Clips" / composed).write_bytes(os.urandom(20_000))
    (card / "Clips" / "plain.mov").write_bytes(os.urandom(20_000))
    made = judge.create(card, "xxh64")
    assert made.returncode == 0, made.describe()
    (card / "Clips" / composed).rename(card / "Clips" / decomposed)
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    done = copy_quietly(card, dest, reports)
    assert done.returncode == 0, done.stderr
    [line] = [x for x in done.stderr.splitlines() if "spelled otherwise" in x]
    assert line.startswith("WARNING: "), line
    assert f"'Clips/{composed}'" in line and "ascmhl-debug verify" in line, line
    assert "(exit 10)" in line, line
    report = json.loads(next(reports.glob("*.json")).read_text())
    codes = [w["code"] for w in report["warnings"]]
    assert codes.count("card-history-respelled") == 1, report["warnings"]
    # What the warning says of the copy is so: the judge reports the other spelling missing.
    verdict = judge.verify(dest / "MAC_CARD")
    assert verdict.returncode == 10, verdict.describe()
    # A card whose names are spelled as recorded has no such warning.
    (card / "Clips" / decomposed).rename(card / "Clips" / composed)
    (tmp_path / "d2").mkdir()
    again = copy_quietly(card, tmp_path / "d2", reports)
    assert again.returncode == 0, again.stderr
    assert "spelled otherwise" not in again.stderr, again.stderr
