"""A card whose own ASC MHL history records operating-system files (``ascmhl create`` on a
Mac-mounted card records its ``._*`` AppleDouble files): the history is the authority on
what the card held, so those files are copied despite the default ignore patterns, with a
``card-history-os-files-kept`` warning naming them; the default pattern that named them is
dropped for the run, so the same kind of file not in the history is copied too.

Before the fix they were left out silently and ``ascmhl-debug verify -dh`` of a perfect copy
failed (content and structure hash mismatch of the folders, exit 12). Judged by the
reference tool (``ascmhl`` 1.2, the judge venv)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main
from support.ascmhl_judge import AscmhlJudge


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def offload(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue(), err.getvalue()


def test_os_files_the_card_history_records_are_copied(judge: AscmhlJudge, tmp_path: Path) -> None:
    card = tmp_path / "cards" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(1000))
    (card / "CLIPS" / "._C001.mov").write_bytes(os.urandom(4096))
    created = judge.create(card, "xxh64")
    assert created.returncode == 0, created.describe()
    destination = tmp_path / "dst"
    destination.mkdir()
    code, _, err = offload("copy", str(card), str(destination))
    assert code == 0, err
    copy = destination / "A001"
    assert (copy / "CLIPS" / "._C001.mov").read_bytes() == (
        card / "CLIPS" / "._C001.mov"
    ).read_bytes()
    assert "'CLIPS/._C001.mov': operating-system files" in err, err
    verdict = judge.verify(copy, directory_hashes=True)
    assert verdict.clean, verdict.describe()
    assert judge.verify(copy).clean
    code, _, err = offload("verify", "--json", str(copy))
    assert code == 0, err
    # The JSON report names the warning by its code.
    (report,) = (tmp_path / "reports").glob("A001_*.json")
    codes = [w["code"] for w in json.loads(report.read_text())["warnings"]]
    assert "card-history-os-files-kept" in codes, codes


def test_the_kind_the_history_records_is_copied_whole_and_fast(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A Mac-made history of a card with an AppleDouble file beside each of its 1,500 clips:
    every ``._*`` file is copied, also one written after the history (the kind is kept, not
    each name), and the planning stays linear (before, one ``!name`` pattern a recorded file,
    the rules compiled again after each: minutes for this card)."""
    card = tmp_path / "cards" / "A002"
    (card / "CLIPS").mkdir(parents=True)
    for i in range(1500):
        (card / "CLIPS" / f"C{i:04d}.mov").write_bytes(b"c%d" % i)
        (card / "CLIPS" / f"._C{i:04d}.mov").write_bytes(b"a%d" % i)
    created = judge.create(card, "xxh64")
    assert created.returncode == 0, created.describe()
    (card / "CLIPS" / "._LATE.mov").write_bytes(b"late")
    destination = tmp_path / "dst"
    destination.mkdir()
    code, _, err = offload("copy", "--verify", "transfer", str(card), str(destination))
    assert code == 0, err
    copied = {p.name for p in (destination / "A002" / "CLIPS").iterdir()}
    assert {f"._C{i:04d}.mov" for i in range(1500)} <= copied
    assert "._LATE.mov" in copied
    assert "and 1,495 more: operating-system files" in err, err
