"""A link's ignore pattern in a root generation never hides another copy's file.

A card copied ``--into`` a folder that holds other copies: the pattern written for each of
its links ascmhl cannot hash (``**/<path>``) matches that path at any depth, and ascmhl 1.2
matches it against every path of the root, the nested histories' files included. Before,
the pattern was checked against this card's own files alone, so it could hide another
copy's file: ``ascmhl verify`` of the root then skipped it (a damaged copy passed). Now the
pattern is checked against every path standing in the tree and every path a history there
records; a link whose pattern would hide one is left out, named (ascmhl calls it new).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.manifest import read_history
from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import offload


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def _card(parent: Path, name: str, files: dict[str, int], links: dict[str, str]) -> Path:
    card = parent / "cards" / name
    for relative, size in files.items():
        (card / relative).parent.mkdir(parents=True, exist_ok=True)
        (card / relative).write_bytes(os.urandom(size))
    for relative, target in links.items():
        (card / relative).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, card / relative)
    return card


def _patterns(root: Path) -> tuple[str, ...]:
    return read_history(root).latest_ignore_patterns() or ()


def test_a_link_pattern_never_hides_a_nested_copys_file(judge: AscmhlJudge, tmp_path: Path) -> None:
    """``ROLL/A001`` is a copy root of its own (its history records ``CLIPS/take.mov``);
    DAY2, copied ``--into ROLL``, has a dangling link ``CLIPS/take.mov``, whose pattern
    ``**/CLIPS/take.mov`` would hide ``A001/CLIPS/take.mov`` from ``ascmhl verify ROLL``.
    Failed before: the pattern was written and the damaged copy in A001 passed (exit 0)."""
    roll = tmp_path / "RAID" / "ROLL"
    roll.mkdir(parents=True)
    first = _card(tmp_path, "A001", {"CLIPS/take.mov": 30_000}, {})
    code, output = offload("copy", str(first), str(roll))
    assert code == 0, output
    second = _card(tmp_path, "DAY2", {"SOUND/s.wav": 20_000}, {"CLIPS/take.mov": "GONE.mov"})
    code, output = offload("copy", "--into", str(second), str(roll))
    assert code == 0, output
    assert "**/CLIPS/take.mov" not in _patterns(roll)
    assert "would also hide A001/CLIPS/take.mov" in " ".join(output.split()), output
    judge.assert_checks(roll, "A001/CLIPS/take.mov")
    judge.assert_checks(roll, "SOUND/s.wav")


def test_a_link_pattern_never_hides_a_file_an_earlier_card_into_the_root_recorded(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """DAY1 copied ``--into ROLL`` (the root history records ``SOUND/take.wav``), then DAY2
    with a dangling link ``take.wav``: ``**/take.wav`` would hide DAY1's file. Failed
    before: written, and ``ascmhl verify ROLL`` passed with DAY1's copy damaged. Its other
    link, whose pattern hides nothing, is still ignored."""
    roll = tmp_path / "RAID" / "ROLL"
    roll.mkdir(parents=True)
    first = _card(tmp_path, "DAY1", {"SOUND/take.wav": 20_000}, {})
    code, output = offload("copy", "--into", str(first), str(roll))
    assert code == 0, output
    second = _card(
        tmp_path,
        "DAY2",
        {"S02T01.wav": 20_000},
        {"take.wav": "gone.wav", "hostname": "/etc/hostname"},
    )
    code, output = offload("copy", "--into", str(second), str(roll))
    assert code == 0, output
    patterns = _patterns(roll)
    assert "**/take.wav" not in patterns
    assert "**/hostname" in patterns
    assert "would also hide SOUND/take.wav" in " ".join(output.split()), output
    judge.assert_checks(roll, "SOUND/take.wav")
    judge.assert_checks(roll, "S02T01.wav")
    verdict = judge.verify(roll)
    assert "found new file take.wav" in verdict.stderr, verdict.describe()


def test_a_link_pattern_that_hides_nothing_else_is_still_written(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The same root holding another copy, DAY2's dangling link with a name nothing else
    has: ignored as before, and ``ascmhl verify`` of the root is clean."""
    roll = tmp_path / "RAID" / "ROLL"
    roll.mkdir(parents=True)
    first = _card(tmp_path, "A001", {"CLIPS/take.mov": 30_000}, {})
    code, output = offload("copy", str(first), str(roll))
    assert code == 0, output
    second = _card(tmp_path, "DAY2", {"SOUND/s.wav": 20_000}, {"CLIPS/other.mov": "GONE.mov"})
    code, output = offload("copy", "--into", str(second), str(roll))
    assert code == 0, output
    assert "**/CLIPS/other.mov" in _patterns(roll)
    verdict = judge.verify(roll)
    assert verdict.clean, verdict.describe()
