"""Two files in one folder whose names differ only as composed (NFC) and decomposed (NFD)
spellings ("twins": ``café.mov`` and ``café.mov``; Linux keeps both), one of them gone.

The match of a record to a file of its name spelled otherwise (``offload.respelling``) must
never tie a twin's record to the other twin: that record is missing, as the reference tool
says, and the twin still there is judged by its own record alone. Before:

* the card's own history listing both twins, one deleted from the card: ``offload copy``
  tied the lost twin's record to the other twin, exit 0, a ``card-history-respelled``
  warning and no word of the lost clip; ``offload verify`` of the copy then said CHANGED
  (exit 11) where ``ascmhl-debug verify`` says 1 missing (exit 10);
* a copy of a card with both twins, one twin deleted on the copy: ``offload verify`` read
  the other twin against both records and said CHANGED with the lost twin's hash, "0
  missing", exit 11 (either twin deleted), and ``--append`` wrote a generation listing no
  files; the ledger's check (``--mhl none``) said 1 missing already;
* a legacy MHL listing both twins (``offload verify --mhl-file``): both entries tied to the
  twin still there, which was read against the lost twin's record.

Real files on the test's filesystem (which keeps both spellings apart: checked), the
reference tool ``ascmhl`` 1.2 as the judge, the real CLI in process."""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path

import pytest

from offload.errors import printable_name
from support.ascmhl_judge import AscmhlJudge
from support.spellings import run

NFC = unicodedata.normalize("NFC", "café.mov")
NFD = unicodedata.normalize("NFD", NFC)
BYTES = {NFC: b"the composed twin\n", NFD: b"the decomposed twin, longer\n", "x.mov": b"x\n"}


def _card(card: Path) -> Path:
    """A card *card* holding both twins and ``x.mov`` (the test is skipped where the
    filesystem keeps only one spelling)."""
    card.mkdir(parents=True)
    for name, data in BYTES.items():
        (card / name).write_bytes(data)
    if len(os.listdir(card)) != 3:
        pytest.skip("this filesystem does not keep both spellings of a name apart")
    return card


@pytest.mark.parametrize("gone", [NFD, NFC], ids=["nfd-gone", "nfc-gone"])
def test_a_twin_lost_from_a_card_whose_history_lists_both_is_missing(
    judge: AscmhlJudge, tmp_path: Path, gone: str
) -> None:
    card = _card(tmp_path / "cards" / "T001")
    made = judge.create(card, "xxh64")
    assert made.returncode == 0, made.describe()
    (card / gone).unlink()
    dest = tmp_path / "X"
    dest.mkdir()
    code, _, err = run("copy", "--report-dir", tmp_path / "r", card, dest)
    assert code == 1, err
    # Named as printed: an NFD name's marks spelled as codes, so the line says which twin.
    assert (
        f"'{printable_name(gone)}' is in the card's own ASC MHL history but not on the card" in err
    ), err
    assert "spelled otherwise" not in err, err
    [kept] = [name for name in (NFC, NFD) if name != gone]
    assert (dest / "T001" / kept).read_bytes() == BYTES[kept]
    assert not (dest / "T001" / gone).exists()

    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "r", dest / "T001")
    assert code == 10, err
    data = json.loads(out)
    assert data["missing"] == [gone] and data["changed"] == [], data
    assert sorted(data["verified"]) == sorted([kept, "x.mov"]), data
    assert judge.verify(dest / "T001").returncode == 10


@pytest.mark.parametrize("gone", [NFD, NFC], ids=["nfd-gone", "nfc-gone"])
def test_a_twin_deleted_on_the_copy_is_missing_and_the_other_verified(
    judge: AscmhlJudge, tmp_path: Path, gone: str
) -> None:
    card = _card(tmp_path / "card" / "T001")
    dst = tmp_path / "dst"
    dst.mkdir()
    code, _, err = run("copy", "--quiet", "--report-dir", tmp_path / "r", card, dst)
    assert code == 0, err
    copy = dst / "T001"
    (copy / gone).unlink()
    [kept] = [name for name in (NFC, NFD) if name != gone]

    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "r", copy)
    assert code == 10, err
    data = json.loads(out)
    assert data["missing"] == [gone] and data["changed"] == [], data
    assert sorted(data["verified"]) == sorted([kept, "x.mov"]), data
    assert kept not in data["reasons"], data["reasons"]
    # The missing one's reason names the twin there, judged by its own record.
    why = data["reasons"][gone]
    assert why["code"] == "twin-recorded" and "in its own right" in why["text"], why
    assert judge.verify(copy).returncode == 10

    # --append records what stands (the twin still there, x.mov), the lost twin missing.
    code, _, err = run("verify", "--append", "--report-dir", tmp_path / "r", copy)
    assert code == 10, err
    [line] = [x for x in err.splitlines() if x.startswith("ERROR: MISSING")]
    assert line.endswith(printable_name(str(copy / gone))) and "CHANGED" not in err, err
    [generation] = sorted((copy / "ascmhl").glob("0002_*.mhl"))
    text = generation.read_text(encoding="utf-8")
    assert f">{kept}</path>" in text and ">x.mov</path>" in text, text
    assert f">{gone}</path>" not in text, text


@pytest.mark.parametrize("gone", [NFD, NFC], ids=["nfd-gone", "nfc-gone"])
def test_a_twin_deleted_on_a_copy_checked_by_its_ledger_or_a_legacy_mhl_is_missing(
    tmp_path: Path, gone: str
) -> None:
    """The same against the ledger (``--mhl none``: right before too) and against the
    legacy MHL the copy root holds (``--mhl legacy``, checked with ``--mhl-file``)."""
    card = _card(tmp_path / "card" / "T001")
    [kept] = [name for name in (NFC, NFD) if name != gone]
    for mhl in ("none", "legacy"):
        dst = tmp_path / f"dst-{mhl}"
        dst.mkdir()
        code, _, err = run(
            "copy", "--quiet", "--mhl", mhl, "--report-dir", tmp_path / "r", card, dst
        )
        assert code == 0, err
        copy = dst / "T001"
        (copy / gone).unlink()
        given = [] if mhl == "none" else ["--mhl-file", *copy.glob("T001_*.mhl")]
        code, out, err = run("verify", "--json", *given, "--report-dir", tmp_path / "r", copy)
        assert code == 10, (mhl, err)
        data = json.loads(out)
        assert data["missing"] == [gone] and data["changed"] == [], (mhl, data)
        assert sorted(data["verified"]) == sorted([kept, "x.mov"]), (mhl, data)
        assert data["reasons"][gone]["code"] == "twin-recorded", (mhl, data["reasons"])


def _recorded_again(
    judge: AscmhlJudge, card: Path, now: bytes, formats: tuple[str, str] = ("xxh64", "xxh64")
) -> None:
    """*card* holding ``x.mov`` and ``café.mov`` decomposed (NFD), recorded by ``ascmhl
    create`` (generation 1); then the clip's name spelled composed (NFC), holding *now*,
    and recorded again by ``ascmhl create`` (generation 2, which reports the NFD spelling
    missing: exit 10): no generation records the two spellings together. *formats*: each
    generation's hash format."""
    card.mkdir(parents=True)
    (card / NFD).write_bytes(BYTES[NFD])
    (card / "x.mov").write_bytes(BYTES["x.mov"])
    made = judge.create(card, formats[0])
    assert made.returncode == 0, made.describe()
    (card / NFD).unlink()
    (card / NFC).write_bytes(now)
    made = judge.create(card, formats[1])
    assert made.returncode == 10, made.describe()
    assert len(list((card / "ascmhl").glob("000[12]_*.mhl"))) == 2


def test_a_clip_renamed_and_recorded_again_is_checked_against_both_records(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The clip renamed to its other spelling (a copy moved through a Mac), its bytes the
    same: the card's file is checked against both records (they agree), copied, the
    warning says so; ``offload verify`` of the copy reads it against both and passes."""
    card = tmp_path / "cards" / "T001"
    _recorded_again(judge, card, BYTES[NFD])
    dest = tmp_path / "X"
    dest.mkdir()
    code, _, err = run("copy", "--report-dir", tmp_path / "r", card, dest)
    assert code == 0, err
    assert "not on the card" not in err, err
    [warning] = [x for x in err.splitlines() if "spelled otherwise" in x]
    assert "checked against its record and against the one" in warning, warning
    assert (dest / "T001" / NFC).read_bytes() == BYTES[NFD]

    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "r", dest / "T001")
    assert code == 0, err
    data = json.loads(out)
    assert sorted(data["verified"]) == sorted([NFC, "x.mov"]), data
    assert data["missing"] == [] and data["changed"] == [], data


def test_a_lost_clip_whose_other_spelling_names_a_new_recorded_clip_is_missing(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The clip recorded NFD lost, a different clip named NFC added and recorded by a
    later generation: the two records disagree (xxh64 of other bytes), so they are two
    files, never tied. Before, the card's check tied the old record to the new clip, then
    dropped it (the new clip's own record won): the copy passed quietly (exit 0, a
    ``card-history-respelled`` warning that the file "is checked against its record"),
    ``offload verify`` said CHANGED (exit 11) and ``ascmhl-debug verify`` one missing (exit 10).
    Now the lost clip is missing from the card (exit 1) and from the copy (exit 10), the
    new clip copied and verified against its own record."""
    card = tmp_path / "cards" / "T001"
    other = b"a different clip, added later\n"
    _recorded_again(judge, card, other)
    dest = tmp_path / "X"
    dest.mkdir()
    code, _, err = run("copy", "--report-dir", tmp_path / "r", card, dest)
    assert code == 1, err
    assert (
        f"'{printable_name(NFD)}' is in the card's own ASC MHL history but not on the card" in err
    ), err
    assert "spelled otherwise" not in err, err
    assert (dest / "T001" / NFC).read_bytes() == other

    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "r", dest / "T001")
    assert code == 10, err
    data = json.loads(out)
    assert data["missing"] == [NFD] and data["changed"] == [], data
    assert sorted(data["verified"]) == sorted([NFC, "x.mov"]), data
    why = data["reasons"][NFD]
    assert why["code"] == "twin-recorded" and "with other bytes" in why["text"], why
    assert judge.verify(dest / "T001").returncode == 10


def test_a_renamed_clip_recorded_again_in_another_format_must_match_both_records(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Generation 1 records the NFD clip in md5 alone, generation 2 the NFC clip (other
    bytes) in xxh64 alone: no format to tell them apart by, so the card's file is checked
    against both records, and fails against the md5 of the old one (not copied, exit 1),
    as ``offload verify`` of the card says CHANGED against it (exit 11): never passed
    against its own record alone."""
    card = tmp_path / "cards" / "T001"
    _recorded_again(judge, card, b"other bytes under the new spelling\n", ("md5", "xxh64"))
    dest = tmp_path / "X"
    dest.mkdir()
    code, _, err = run("copy", "--report-dir", tmp_path / "r", card, dest)
    assert code == 1, err
    [line] = [x for x in err.splitlines() if "md5" in x and "ERROR" in x]
    assert NFC in line, line
    assert not (dest / "T001" / NFC).exists()
    assert (dest / "T001" / "x.mov").read_bytes() == BYTES["x.mov"]

    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "r", card)
    assert code == 11, err
    data = json.loads(out)
    assert [c["path"] for c in data["changed"]] == [NFC] and data["missing"] == [], data
