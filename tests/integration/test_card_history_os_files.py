"""A card whose own ASC MHL history records operating-system files (``ascmhl create`` on a
Mac-mounted card records its ``._*`` AppleDouble files): the history is the authority on
what the card held, so those files are copied despite the default ignore patterns, with a
``card-history-os-files-kept`` warning naming them. The same name not in the history is
still left out.

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
    # Written after the history: the card's history does not vouch for it.
    (card / "CLIPS" / "._C002.mov").write_bytes(os.urandom(100))
    destination = tmp_path / "dst"
    destination.mkdir()
    code, _, err = offload("copy", str(card), str(destination))
    assert code == 0, err
    copy = destination / "A001"
    assert (copy / "CLIPS" / "._C001.mov").read_bytes() == (
        card / "CLIPS" / "._C001.mov"
    ).read_bytes()
    assert not (copy / "CLIPS" / "._C002.mov").exists()
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
