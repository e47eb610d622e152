"""A card copied into the tree of another card's copy is named where the enclosing copy's
ignore list hides files of it from ``ascmhl-debug verify`` of the enclosing folder.

``A001`` (a dangling link ``CLIPS/take.mov``) is copied into ``RAID``: its history ignores
``**/CLIPS/take.mov``. ``C001``, whose ``CLIPS/take.mov`` is a clip, is then copied into
``RAID/A001/EXTRA``: its copy root is a nested history of ``RAID/A001``, whose verify
(``ascmhl`` 1.2) checks the nested copy's files with ``A001``'s list alone and so skips
that clip: it passes with the clip damaged, while ``ascmhl-debug verify`` of the copy and
``offload verify`` of ``RAID/A001`` find it. The enclosing history is not this run's to
change; before, nothing said so (no warning, exit 0)."""

from __future__ import annotations

import os
from pathlib import Path

from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import newest_report, run_offload


def test_a_copy_whose_file_an_enclosing_history_ignores_is_named(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    a001, c001 = tmp_path / "cards" / "A001", tmp_path / "cards" / "C001"
    (a001 / "CLIPS").mkdir(parents=True)
    (c001 / "CLIPS").mkdir(parents=True)
    (a001 / "CLIPS" / "A.MOV").write_bytes(os.urandom(50_000))
    (a001 / "CLIPS" / "take.mov").symlink_to("nothing-here.mov")  # dangling
    (c001 / "CLIPS" / "take.mov").write_bytes(os.urandom(40_000))
    (c001 / "CLIPS" / "other.mov").write_bytes(os.urandom(1_000))
    raid = tmp_path / "RAID"
    raid.mkdir()
    reports = tmp_path / "reports"
    done = run_offload("copy", "--quiet", "--report-dir", reports, a001, raid, columns=400)
    assert done.returncode == 0, done.stderr
    assert "enclosing" not in done.stdout + done.stderr
    extra = raid / "A001" / "EXTRA"
    extra.mkdir()

    done = run_offload("copy", "--report-dir", reports, c001, extra, columns=1000)

    assert done.returncode == 0, done.stderr
    copy = extra / "C001"
    warned = [line for line in done.stderr.splitlines() if "ascmhl-debug verify of" in line]
    assert len(warned) == 1, done.stderr
    assert (
        f"WARNING: the ASC MHL history of {raid / 'A001'}, a folder above the copy root "
        f"{copy}, ignores CLIPS/take.mov of this copy: "
    ) in warned[0]
    assert "other.mov" not in warned[0] and "1 other" not in warned[0]
    report = newest_report(reports)
    coded = [w for w in report["warnings"] if w["code"] == "enclosing-history-hides"]
    assert len(coded) == 1 and coded[0]["message"] in warned[0], report["warnings"]
    # What the warning says, as the reference tool finds it: the clip damaged, verify of
    # the enclosing folder passes; verify of the copy fails; so does offload verify.
    clip = copy / "CLIPS" / "take.mov"
    clip.write_bytes(bytes(len(clip.read_bytes())))
    assert judge.verify(raid / "A001").returncode == 0
    assert judge.verify(copy).returncode == 11
    done = run_offload("verify", "--report-dir", reports, raid / "A001", columns=400)
    assert done.returncode == 11, done.stdout + done.stderr


def test_no_warning_where_no_enclosing_history_hides_a_file(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    """The same layout with a clip of another name: nothing hidden, no warning, and the
    reference tool checks the nested copy's clip from the enclosing folder."""
    a001, c001 = tmp_path / "cards" / "A001", tmp_path / "cards" / "C001"
    (a001 / "CLIPS").mkdir(parents=True)
    (c001 / "CLIPS").mkdir(parents=True)
    (a001 / "CLIPS" / "A.MOV").write_bytes(os.urandom(50_000))
    (a001 / "CLIPS" / "take.mov").symlink_to("nothing-here.mov")
    (c001 / "CLIPS" / "take2.mov").write_bytes(os.urandom(40_000))
    raid = tmp_path / "RAID"
    raid.mkdir()
    reports = tmp_path / "reports"
    assert run_offload("copy", "--quiet", "--report-dir", reports, a001, raid).returncode == 0
    extra = raid / "A001" / "EXTRA"
    extra.mkdir()
    done = run_offload("copy", "--report-dir", reports, c001, extra, columns=1000)
    assert done.returncode == 0, done.stderr
    assert "ascmhl-debug verify of" not in done.stderr
    assert not [w for w in newest_report(reports)["warnings"] if "enclosing" in w["code"]]
    clip = extra / "C001" / "CLIPS" / "take2.mov"
    clip.write_bytes(bytes(len(clip.read_bytes())))
    assert judge.verify(raid / "A001").returncode == 11
