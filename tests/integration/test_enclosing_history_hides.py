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
from subprocess import CompletedProcess

from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import newest_report, run_offload


def _c001_into_a001s_copy(tmp_path: Path, clip: str) -> tuple[Path, Path, Path]:
    """A001 (``CLIPS/A.MOV`` and a dangling link ``CLIPS/take.mov``) copied into ``RAID``
    (exit 0, no warning of a history above it), then ``RAID/A001/EXTRA`` made; C001 holds
    ``CLIPS/<clip>`` (40 kB) and ``CLIPS/other.mov`` (1 kB), not copied yet. Returns C001,
    ``RAID/A001`` and ``EXTRA``."""
    a001, c001 = tmp_path / "cards" / "A001", tmp_path / "cards" / "C001"
    (a001 / "CLIPS").mkdir(parents=True)
    (c001 / "CLIPS").mkdir(parents=True)
    (a001 / "CLIPS" / "A.MOV").write_bytes(os.urandom(50_000))
    (a001 / "CLIPS" / "take.mov").symlink_to("nothing-here.mov")  # dangling
    (c001 / "CLIPS" / clip).write_bytes(os.urandom(40_000))
    (c001 / "CLIPS" / "other.mov").write_bytes(os.urandom(1_000))
    raid = tmp_path / "RAID"
    raid.mkdir()
    done = run_offload(
        "copy", "--quiet", "--report-dir", tmp_path / "reports", a001, raid, columns=400
    )
    assert done.returncode == 0, done.stderr
    assert "a folder above the copy root" not in done.stdout + done.stderr
    extra = raid / "A001" / "EXTRA"
    extra.mkdir()
    return c001, raid / "A001", extra


def _copy_into(c001: Path, extra: Path, tmp_path: Path) -> tuple[CompletedProcess[str], Path]:
    """``offload copy`` of *c001* into *extra* (the report in ``tmp_path/reports``, the
    terminal 1,000 columns wide: a warning one line), exit 0 asserted: what it printed, and
    the report folder."""
    reports = tmp_path / "reports"
    done = run_offload("copy", "--report-dir", reports, c001, extra, columns=1000)
    assert done.returncode == 0, done.stderr
    return done, reports


def _zero(clip: Path) -> None:
    """Damages the copy *clip*: as many bytes, each 0."""
    clip.write_bytes(bytes(len(clip.read_bytes())))


def test_a_copy_whose_file_an_enclosing_history_ignores_is_named(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    c001, enclosing, extra = _c001_into_a001s_copy(tmp_path, "take.mov")

    done, reports = _copy_into(c001, extra, tmp_path)

    copy = extra / "C001"
    warned = [line for line in done.stderr.splitlines() if "ascmhl-debug verify of" in line]
    assert len(warned) == 1, done.stderr
    assert (
        f"WARNING: the ASC MHL history of {enclosing}, a folder above the copy root "
        f"{copy}, ignores CLIPS/take.mov of this copy: "
    ) in warned[0]
    assert "other.mov" not in warned[0] and "1 other" not in warned[0]
    report = newest_report(reports)
    coded = [w for w in report["warnings"] if w["code"] == "enclosing-history-hides"]
    assert len(coded) == 1 and coded[0]["message"] in warned[0], report["warnings"]
    # What the warning says, as the reference tool finds it: the clip damaged, verify of
    # the enclosing folder passes; verify of the copy fails; so does offload verify.
    clip = copy / "CLIPS" / "take.mov"
    _zero(clip)
    assert judge.verify(enclosing).returncode == 0
    assert judge.verify(copy).returncode == 11
    done = run_offload("verify", "--report-dir", reports, enclosing, columns=400)
    assert done.returncode == 11, done.stdout + done.stderr


def test_no_warning_where_no_enclosing_history_hides_a_file(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    """The same layout with a clip of another name: nothing hidden, no warning, and the
    reference tool checks the nested copy's clip from the enclosing folder."""
    c001, enclosing, extra = _c001_into_a001s_copy(tmp_path, "take2.mov")
    done, reports = _copy_into(c001, extra, tmp_path)
    assert "ascmhl-debug verify of" not in done.stderr
    assert not [w for w in newest_report(reports)["warnings"] if "enclosing" in w["code"]]
    clip = extra / "C001" / "CLIPS" / "take2.mov"
    _zero(clip)
    assert judge.verify(enclosing).returncode == 11


def test_an_enclosing_history_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    """The same layout, ``A001``'s newest manifest not well-formed: whether its list hides
    files of the copy is not known, and the warning says so, naming the folder and why.
    Failed before: the history was passed over unsaid (exit 0, no warning), as if it hid
    nothing."""
    c001, enclosing, extra = _c001_into_a001s_copy(tmp_path, "take.mov")
    manifests = sorted((enclosing / "ascmhl").glob("*.mhl"))
    manifests[-1].write_bytes(b"<hashlist")

    done, reports = _copy_into(c001, extra, tmp_path)

    copy = extra / "C001"
    warned = [line for line in done.stderr.splitlines() if "could not be read (" in line]
    assert len(warned) == 1, done.stderr
    assert warned[0].startswith(
        f"WARNING: the ASC MHL history of {enclosing}, a folder above the copy root {copy}, "
        f"could not be read ({manifests[-1]} is not well-formed XML: "
    ), warned[0]
    assert warned[0].endswith(
        "), so whether its ignore list hides files of this copy from ascmhl-debug verify of "
        f"{enclosing} is not known; ascmhl-debug verify and offload verify of {copy} check "
        "them"
    ), warned[0]
    coded = [w for w in newest_report(reports)["warnings"] if "enclosing" in w["code"]]
    assert [w["code"] for w in coded] == ["enclosing-history-unread"], coded
    assert coded[0]["message"] in warned[0]
