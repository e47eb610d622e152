"""Folder hashes under a list holding an anchored pattern, judged by ``ascmhl-debug verify
-dh`` (1.2), which recomputes them.

``-dh`` roots an anchored pattern of the root's list at the root's absolute path and puts it
after every other pattern, so a ``!`` pattern earlier cannot bring back what it names; plain
``verify`` never applies it. A card file a carried pattern hides is listed again by a ``!``
pattern (``ascmhl.hidden_by_carried``): plain ``verify`` reads it, ``-dh`` skips it, so a
hash of its folder with it is one ``-dh`` cannot match."""

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


def _day2_copied_into_roll(tmp_path: Path, judge: AscmhlJudge, *clips: str) -> Path:
    """``ROLL`` (``OLD/o.mov``) with its history made by ``ascmhl create -i /CLIPS/x.mov``,
    then the card ``DAY2`` holding *clips* in ``CLIPS`` copied ``--into`` it (xxh128, the
    format of ROLL's folder hashes), exit 0: ROLL's path."""
    roll = tmp_path / "ROLL"
    (roll / "OLD").mkdir(parents=True)
    (roll / "OLD" / "o.mov").write_bytes(os.urandom(5_000))
    made = judge.run("ascmhl", "create", "-i", "/CLIPS/x.mov", roll)
    assert made.returncode == 0, made.describe()
    card = tmp_path / "cards" / "DAY2"
    (card / "CLIPS").mkdir(parents=True)
    for clip in clips:
        (card / "CLIPS" / clip).write_bytes(os.urandom(20_000))
    code, output = offload(
        "copy", "-t", "xxh128", "--allow-card-destination", "--into", str(card), str(roll)
    )
    assert code == 0, output
    return roll


def _newest(root: Path) -> str:
    return sorted((root / "ascmhl").glob("*.mhl"))[-1].read_text(encoding="utf-8")


def _errors_of_ours(verdict_stderr: str) -> list[str]:
    """The ``-dh`` errors but those of generation 0001 (``ascmhl create``'s, whose root hash
    was of the root before the card was copied into it)."""
    return [
        line
        for line in verdict_stderr.splitlines()
        if line.startswith("ERROR") and not line.endswith("(generation 0001)")
    ]


def test_a_folder_holding_a_file_listed_again_past_an_anchored_pattern_gets_no_hash(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    """ROLL's history made by ``ascmhl create -i /CLIPS/x.mov``; DAY2 (``CLIPS/x.mov``,
    ``CLIPS/y.mov``) copied ``--into ROLL`` (xxh128, the format of ROLL's folder hashes):
    ``x.mov`` is listed again (``!**/CLIPS/x.mov``), read by plain ``verify``, skipped by
    ``-dh``, so ``CLIPS`` gets no hash. Failed before: a ``CLIPS`` hash with ``x.mov``,
    ``ascmhl-debug verify -dh ROLL`` exit 12 (content and structure hash mismatch)."""
    roll = _day2_copied_into_roll(tmp_path, judge, "x.mov", "y.mov")
    patterns = read_history(roll).latest_ignore_patterns() or ()
    assert "/CLIPS/x.mov" in patterns and "!**/CLIPS/x.mov" in patterns, patterns
    assert "<directoryhash>" not in _newest(roll)
    verdict = judge.verify(roll, directory_hashes=True)
    assert verdict.returncode == 0, verdict.describe()
    assert _errors_of_ours(verdict.stderr) == [], verdict.describe()
    plain = judge.verify(roll)
    assert plain.returncode == 0, plain.describe()
    judge.assert_checks(roll, "CLIPS/x.mov")


def test_verify_append_leaves_such_a_folder_unhashed_too(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    """The same root, then ``offload verify --append``, whose own walk is the tree it lists
    (no lister: ``write_generation`` hashed every folder it lists): ``CLIPS`` and the root
    get no hash, ``OLD`` does, and ``-dh`` matches it. Failed before: ``CLIPS`` and the root
    hashed with ``x.mov``, ``ascmhl-debug verify -dh`` exit 12."""
    roll = _day2_copied_into_roll(tmp_path, judge, "x.mov")
    code, output = offload("verify", "--append", str(roll))
    assert code == 0, output
    text = _newest(roll)
    assert "in-place" in text and text.count("<directoryhash>") == 1, text
    assert "<path" in text and ">OLD</path>" in text, text
    verdict = judge.verify(roll, directory_hashes=True)
    assert verdict.returncode == 0, verdict.describe()
    assert _errors_of_ours(verdict.stderr) == [], verdict.describe()
    plain = judge.verify(roll)
    assert plain.returncode == 0, plain.describe()
