"""``--ignore`` typed as a name is shown: a card a Mac wrote holds decomposed (NFD) names,
which look the same as the composed (NFC) spelling a keyboard types. The preflight names
such a file with ``--ignore /PATH`` as the way on (a drive that cannot take the name); the
user types it, and the file must be left out. Failed before: the pattern matched only the
bytes typed, the file was scanned and copied (or the preflight refused the card again with
the same line). Real CLI in process, real files, the copies judged by ascmhl 1.2."""

from __future__ import annotations

import io
import json
import os
import unicodedata
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main
from support.ascmhl_judge import AscmhlJudge

SHOWN = "Señal_día.txt"
ON_CARD = unicodedata.normalize("NFD", SHOWN)
TYPED = unicodedata.normalize("NFC", SHOWN)


def offload(*argv: str | Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue() + err.getvalue()


def make_card(root: Path) -> Path:
    card = root / "A001"
    (card / "NOTES").mkdir(parents=True)
    (card / "CLIPS").mkdir()
    (card / "NOTES" / ON_CARD).write_bytes(b"written on a Mac\n")
    (card / "NOTES" / "plan.txt").write_bytes(b"plan\n")
    (card / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(30_000))
    return card


def test_an_ignore_typed_composed_leaves_out_the_decomposed_file(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    assert ON_CARD != TYPED
    card = make_card(tmp_path)
    anchored, anywhere = tmp_path / "d1", tmp_path / "d2"
    anchored.mkdir()
    anywhere.mkdir()
    reports = tmp_path / "reports"

    for dest, pattern in ((anchored, f"/NOTES/{TYPED}"), (anywhere, TYPED)):
        code, output = offload(
            "copy", card, dest, "--ignore", pattern, "--report-dir", reports, "--quiet"
        )
        assert code == 0, output
        copy = dest / "A001"
        assert sorted(os.listdir(copy / "NOTES")) == ["plan.txt"], output
        report = json.loads(next((copy / ".offload" / "reports").glob("*.json")).read_text())
        assert report["ignored"] == [
            {"path": f"NOTES/{ON_CARD}", "reason": f"matches ignore pattern {pattern}"}
        ]
        assert [f["path"] for f in report["files"]] == [
            "CLIPS/A001C001.mov",
            "NOTES/plan.txt",
        ]
        for verdict in (judge.verify(copy), judge.verify(copy, directory_hashes=True)):
            assert verdict.clean, verdict.describe()
