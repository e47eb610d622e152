"""A card whose own ASC MHL history records a name spelled otherwise than the card lists it
(composed, NFC, or decomposed, NFD: ``ascmhl create`` run on a Mac, the card read on Linux,
or the reverse), on a real filesystem that keeps the bytes of each name as given.

Before: the recorded name was "in the card's own ASC MHL history but not on the card" (a
false lost clip, exit 1) and the file under the card's spelling was checked against nothing,
so a file unlike the history was copied and called verified. Now the file is the card's,
checked against the history's record under the card's spelling (the legacy MHLs' one rule,
``respelling.spelled_as_listed``), and unlike it, it fails."""

from __future__ import annotations

import io
import os
import unicodedata
from pathlib import Path

import pytest

from offload.card_history import check_card_history
from offload.cli.common import Environment
from offload.cli.offload import main
from support.ascmhl_judge import AscmhlJudge

NFC = unicodedata.normalize("NFC", "Café.mov")
NFD = unicodedata.normalize("NFD", "Café.mov")


def offload(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue(), err.getvalue()


def _card(judge: AscmhlJudge, card: Path, recorded: str, listed: str, data: bytes) -> None:
    """A card whose history (made by the reference tool) records CLIPS/*recorded*, its file
    then respelled *listed* on the card (as a Mac or Linux lists it)."""
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / recorded).write_bytes(data)
    (card / "CLIPS" / "C002.mov").write_bytes(os.urandom(500))
    created = judge.create(card, "xxh64")
    assert created.returncode == 0, created.describe()
    os.rename(card / "CLIPS" / recorded, card / "CLIPS" / listed)
    assert sorted(os.listdir(card / "CLIPS")) == sorted(["C002.mov", listed])


@pytest.mark.parametrize(("recorded", "listed"), [(NFC, NFD), (NFD, NFC)])
def test_a_recorded_name_the_card_spells_otherwise_is_its_file_and_checked(
    judge: AscmhlJudge, tmp_path: Path, recorded: str, listed: str
) -> None:
    assert recorded != listed
    data = os.urandom(3_000)
    card = tmp_path / "cards" / "A001"
    _card(judge, card, recorded, listed, data)
    dest = tmp_path / "dst"
    dest.mkdir()
    code, _, err = offload("copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(dest))
    assert code == 0, err
    assert "but not on the card" not in err, err
    assert (dest / "A001" / "CLIPS" / listed).read_bytes() == data
    # The copy's history holds the card's record (the recorded spelling) and ours (the
    # card's): offload verify reads the file against both, and passes.
    code, _, err = offload("verify", "--report-dir", str(tmp_path / "r"), str(dest / "A001"))
    assert code == 0, err
    assert "RESPELLED" in err and "MISSING" not in err, err
    # What the reference tool makes of it: names compared byte for byte, the card's record
    # is missing (said in the RESPELLED line).
    assert not judge.verify(dest / "A001").clean

    # The same card whose file is no longer the one the history records: it fails, checked
    # against the record under the card's spelling (before: copied, exit 1 for a "lost" clip).
    (card / "CLIPS" / listed).write_bytes(os.urandom(3_000))
    again = tmp_path / "dst2"
    again.mkdir()
    code, _, err = offload("copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(again))
    assert code == 1, err
    assert "ASC MHL history" in err and "but not on the card" not in err, err
    assert not (again / "A001" / "CLIPS" / listed).exists()

    names = frozenset(["CLIPS/C002.mov", f"CLIPS/{listed}"])
    history = check_card_history(card, names=lambda: names)
    assert history.missing_from_card == (), history
    # Said before the copy: ascmhl-debug verify of each copy misses the recorded spelling.
    assert [w.code.value for w in history.warnings] == ["card-history-respelled"], history
    assert set(history.references) == names
