"""A card with its own ASC MHL history (offloaded before, or a camera's), copied to two
destinations with ignore patterns as ``--ignore`` takes them: ``/CLIPS/sub/`` (rooted, the
way the preflight says to leave out a file the card cannot read) and ``*.tmp`` (a name at
any depth), a decomposed (NFD) name among the clips.

The copy's generation carries the card's history and the run's patterns at any depth alone:
an anchored one is matched by ``ascmhl-debug verify`` against absolute paths, so never. So the
files the history records that ``/CLIPS/sub/`` left out are missing to ``ascmhl-debug verify``
(exit 10) and to ``offload verify`` of each copy, where the recorded ``x.tmp`` is not (its
pattern is carried). Before, the copy said every destination was ``ok`` and nothing said
its verify would fail; now a ``card-history-files-ignored`` warning names those files."""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path

import pytest

from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import offload


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


NFD_NAME = unicodedata.normalize("NFD", "Café.mov")


def _proxy_hidden_card(judge: AscmhlJudge, card: Path) -> Path:
    """A card (``CLIPS/A.mov``, ``PROXY/p.mov``) whose own history ``ascmhl create -i
    /PROXY/`` made: its list carries the anchored ``/PROXY/``, which hides ``p.mov``."""
    (card / "CLIPS").mkdir(parents=True)
    (card / "PROXY").mkdir()
    (card / "CLIPS" / "A.mov").write_bytes(os.urandom(20_000))
    (card / "PROXY" / "p.mov").write_bytes(os.urandom(5_000))
    made = judge.run("ascmhl", "create", "-h", "xxh64", "-i", "/PROXY/", card)
    assert made.returncode == 0, made.describe()
    return card


def test_recorded_files_an_anchored_ignore_leaves_out_are_named(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card = tmp_path / "cards" / "A001"
    (card / "CLIPS" / "sub").mkdir(parents=True)
    (card / "CLIPS" / "A001.mov").write_bytes(os.urandom(30_000))
    (card / "CLIPS" / NFD_NAME).write_bytes(os.urandom(10_000))
    (card / "CLIPS" / "sub" / "B.mov").write_bytes(os.urandom(10_000))
    (card / "CLIPS" / "x.tmp").write_bytes(b"tmp\n")
    created = judge.create(card, "xxh64")
    assert created.returncode == 0, created.describe()
    d1, d2 = tmp_path / "D1", tmp_path / "D2"
    d1.mkdir()
    d2.mkdir()

    code, output = offload(
        "copy", "--ignore", "/CLIPS/sub/", "--ignore", "*.tmp", str(card), str(d1), str(d2)
    )

    assert code == 0, output
    flat = " ".join(output.split())
    assert (
        "WARNING: 'CLIPS/sub/B.mov': the card's own ASC MHL history records it, but this "
        "run's ignore patterns leave it out (not copied): ascmhl-debug verify and offload verify "
        "of each copy that carries that history report it missing (exit 10)"
    ) in flat, output
    assert "x.tmp" not in flat.split("WARNING: 'CLIPS/sub/B.mov'")[1].split("WARNING")[0]
    (report,) = (tmp_path / "reports").glob("A001_*.json")
    codes = [w["code"] for w in json.loads(report.read_text())["warnings"]]
    assert codes.count("card-history-files-ignored") == 1, codes
    for destination in (d1, d2):
        copy = destination / "A001"
        assert not (copy / "CLIPS" / "sub").exists()
        assert (copy / "CLIPS" / NFD_NAME).is_file()
        verdict = judge.verify(copy)
        assert verdict.returncode == 10, verdict.describe()
        assert "CLIPS/sub/B.mov" in verdict.stderr and "x.tmp" not in verdict.stderr
        code, output = offload("verify", str(copy))
        assert code == 10, output
        assert f"MISSING {copy / 'CLIPS' / 'sub' / 'B.mov'}" in output, output
        assert "x.tmp" not in output
        judge.assert_checks(copy, f"CLIPS/{NFD_NAME}")


def test_no_warning_where_the_ignore_is_carried(judge: AscmhlJudge, tmp_path: Path) -> None:
    """``--ignore sub`` (a name at any depth) is carried: neither tool calls ``B.mov``
    missing, and no warning is given."""
    card = tmp_path / "cards" / "A002"
    (card / "CLIPS" / "sub").mkdir(parents=True)
    (card / "CLIPS" / "A001.mov").write_bytes(os.urandom(30_000))
    (card / "CLIPS" / "sub" / "B.mov").write_bytes(os.urandom(10_000))
    created = judge.create(card, "xxh64")
    assert created.returncode == 0, created.describe()
    d1 = tmp_path / "D1"
    d1.mkdir()
    code, output = offload("copy", "--ignore", "sub", str(card), str(d1))
    assert code == 0, output
    assert "card-history-files-ignored" not in output
    assert "history records it, but" not in " ".join(output.split())
    copy = d1 / "A002"
    verdict = judge.verify(copy)
    assert verdict.returncode == 0, verdict.describe()
    code, output = offload("verify", str(copy))
    assert code == 0, output


def test_a_card_file_only_a_carried_anchored_pattern_hides_is_said_new_to_ascmhl(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The card's own history made by ``ascmhl create -i /PROXY/``: its ``PROXY/p.mov`` is
    copied, and left out of the copy's manifest (the carried list hides its folder, which no
    ``!`` can list again). ``ascmhl-debug verify`` of the copy never applies the anchored pattern
    and calls it new (exit 21); ``offload verify`` passes over it with a note. Failed
    before: the warning and the summary said both checks pass over it."""
    card = _proxy_hidden_card(judge, tmp_path / "cards" / "A003")
    d1 = tmp_path / "D1"
    d1.mkdir()
    code, output = offload("copy", str(card), str(d1))
    assert code == 0, output
    flat = " ".join(output.split())
    assert "(ascmhl-debug verify and offload verify pass over it)" not in flat, output
    assert (
        "(ascmhl-debug verify, which never applies an anchored pattern, calls it new (exit 21); "
        "offload verify passes over it, naming it in a note)"
    ) in flat, output
    assert (
        "Of the checks of the copy against its manifest, ascmhl-debug verify, which never applies "
        "an anchored pattern, calls it new (exit 21); offload verify passes over it, naming "
        "it in a note."
    ) in flat, output
    (report,) = (tmp_path / "reports").glob("A003_*.json")
    warned = [
        w["message"]
        for w in json.loads(report.read_text())["warnings"]
        if w["code"] == "not-in-manifest"
    ]
    assert any("calls it new (exit 21); offload verify passes over it" in m for m in warned)
    copy = d1 / "A003"
    verdict = judge.verify(copy)
    assert verdict.returncode == 21, verdict.describe()
    assert "found new file PROXY/p.mov" in verdict.stderr
    code, output = offload("verify", str(copy))
    assert code == 0, output
    assert "PROXY/p.mov on" in output and "lists it as new (exit 21)" in output, output


def test_only_ascmhl_is_named_where_the_carried_list_holds_the_anchored_pattern(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The card's history records ``PROXY/x.mov`` (its first generation) and its newest list
    holds ``/PROXY/`` (its second, ``ascmhl create -i /PROXY/``, which writes it and exits
    10 naming ``PROXY``, the folder it left out); ``--ignore /PROXY/``
    leaves the file out. The copy carries ``/PROXY/``: ``ascmhl-debug verify`` never applies it
    and reports the file missing (exit 10), ``offload verify`` applies it at the root and
    passes over it (exit 0). Failed before: the warning said both report it missing."""
    card = tmp_path / "cards" / "A004"
    (card / "CLIPS").mkdir(parents=True)
    (card / "PROXY").mkdir()
    (card / "CLIPS" / "A.mov").write_bytes(os.urandom(20_000))
    (card / "PROXY" / "x.mov").write_bytes(os.urandom(5_000))
    made = judge.create(card, "xxh64")
    assert made.returncode == 0, made.describe()
    again = judge.run("ascmhl", "create", "-h", "xxh64", "-i", "/PROXY/", card)
    # ascmhl writes the generation, then calls the folder it left out missing (exit 10)
    assert again.returncode == 10, again.describe()
    assert len(list((card / "ascmhl").glob("0002_*.mhl"))) == 1
    d1 = tmp_path / "D1"
    d1.mkdir()

    code, output = offload("copy", "--ignore", "/PROXY/", str(card), str(d1))

    assert code == 0, output
    flat = " ".join(output.split())
    assert (
        "WARNING: 'PROXY/x.mov': the card's own ASC MHL history records it, but this run's "
        "ignore patterns leave it out (not copied): ascmhl-debug verify of each copy that carries "
        "that history reports it missing (exit 10)"
    ) in flat, output
    assert "ascmhl-debug verify and offload verify of each copy" not in flat, output
    copy = d1 / "A004"
    verdict = judge.verify(copy)
    assert verdict.returncode == 10, verdict.describe()
    assert "PROXY/x.mov" in verdict.stderr
    code, output = offload("verify", str(copy))
    assert code == 0, output


def test_the_summary_names_only_the_kinds_of_files_left_out_that_are_there(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """``PROXY/p.mov`` in a folder only the card's carried ``/PROXY/`` hides, and
    ``CLIPS/b\\x01.mov``, a name XML cannot hold: both are in no manifest, both new to
    ``ascmhl-debug verify`` (exit 21). No file there is one the ignore list hides for both checks,
    so the summary's line says nothing of such files. Failed before: it said the check
    "passes over those its ignore list hides"."""
    card = _proxy_hidden_card(judge, tmp_path / "cards" / "A005")
    (card / "CLIPS" / "b\x01.mov").write_bytes(os.urandom(5_000))
    d1 = tmp_path / "D1"
    d1.mkdir()
    code, output = offload("copy", str(card), str(d1))
    assert code == 0, output
    flat = " ".join(output.split())
    line = flat.split("NOT IN THE MANIFEST on")[1]
    assert "passes over those its ignore list hides" not in line, output
    assert (
        "ascmhl-debug verify of the copy calls it new (exit 21), as offload verify of an s3:// "
        "copy does; offload verify of a local copy checks it against its ledger. The file in a "
        "folder only an anchored pattern hides: ascmhl-debug verify, "
        "which never applies an anchored pattern, calls it new (exit 21); offload verify "
        "passes over it, naming it in a note."
    ) in line, output
    verdict = judge.verify(d1 / "A005")
    assert verdict.returncode == 21, verdict.describe()
    assert "PROXY/p.mov" in verdict.stderr
