"""A root generation over a history nested in a nested one: ``RAID/A001`` a card's copy,
``RAID/A001/EXTRA/C001`` another card's copy inside it, then a single file copied into
``RAID`` (a root history above both).

``ascmhl-debug verify`` of ``RAID`` (``ascmhl`` 1.2) checks both nested histories' files with
``RAID``'s list alone, so each one's dangling link needs its exact pattern there. Failed
before: the search for nested histories stopped at ``A001``, so ``C001``'s link got none
and was a new file to ``ascmhl-debug verify RAID`` (exit 21)."""

from __future__ import annotations

import os
from pathlib import Path

from offload.manifest import read_history
from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import run_offload


def test_the_links_of_a_history_nested_twice_are_ignored_by_the_root(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    a001, c001 = tmp_path / "cards" / "A001", tmp_path / "cards" / "C001"
    (a001 / "CLIPS").mkdir(parents=True)
    (c001 / "CLIPS").mkdir(parents=True)
    (a001 / "CLIPS" / "A.MOV").write_bytes(os.urandom(50_000))
    (a001 / "CLIPS" / "dangling").symlink_to("nothing-here")
    (c001 / "CLIPS" / "C.MOV").write_bytes(os.urandom(40_000))
    (c001 / "CLIPS" / "lost").symlink_to("nothing-here")
    single = tmp_path / "cards" / "clip.mov"
    single.write_bytes(b"a single file\n")
    raid = tmp_path / "RAID"
    raid.mkdir()
    reports = tmp_path / "reports"
    for card, into in ((a001, raid), (c001, raid / "A001" / "EXTRA"), (single, raid)):
        into.mkdir(exist_ok=True)
        done = run_offload("copy", "--quiet", "--report-dir", reports, card, into)
        assert done.returncode == 0, done.stderr

    patterns = read_history(raid).latest_ignore_patterns() or ()
    assert "**/A001/CLIPS/dangling" in patterns, patterns
    assert "**/A001/EXTRA/C001/CLIPS/lost" in patterns, patterns
    verdict = judge.verify(raid)
    assert verdict.clean, verdict.describe()
    # and the reference tool still reads the copy nested twice from the root
    judge.assert_checks(raid, "A001/EXTRA/C001/CLIPS/C.MOV")
    done = run_offload("verify", "--report-dir", reports, raid)
    assert done.returncode == 0, done.stdout + done.stderr
