"""A copy root of ours as the SOURCE (the DIT's drive feeding a shuttle drive) is no card:
the release never tells anyone to format it, nor calls it the card, on the terminal, in the
``--json`` job_report line, the job report's ``card_release``, the HTML and the PDF. Real
runs of the real CLI as a child process: the card and the DIT's drive in memory (/dev/shm),
the shuttle on a disk, so that every other condition of "may be formatted" holds."""

from __future__ import annotations

from pathlib import Path

from report.test_release_agrees import _copy, _said
from support.cards import three_clip_card


def test_a_copy_root_of_ours_as_the_source_is_never_released_as_a_card(
    tmp_path: Path, memory_card: Path, disk_folder: Path, poppler: dict[str, str]
) -> None:
    """QA (shuttle66 #1): ``offload copy DRIVE_A/A001 SHUTTLE`` said "The card may be
    formatted: every file is verified (read back) on 1 disk other than the card's. That is
    one backup: keep the card ...", ``may_format`` true, of the DIT's master copy. Failed
    before: that sentence everywhere. Now: the source is a copy, not a card, where its files
    are verified, and to keep it; ``may_format`` false, ``source_is_copy`` true."""
    card = three_clip_card(memory_card, 100_000)
    drive_a, shuttle, reports = memory_card / "DRIVE_A", disk_folder / "SHUTTLE", tmp_path / "r"
    for folder in (drive_a, shuttle, reports):
        folder.mkdir()
    first = _copy(reports, poppler, card, drive_a)
    assert first.code == 0, first.err
    assert not first.report["card_release"].get("source_is_copy"), first.report["card_release"]
    assert "Do not format the card" in first.report["card_release"]["text"]  # a drive in memory

    for json_lines in (False, True):
        into = shuttle / str(json_lines)
        into.mkdir()
        run = _copy(reports, poppler, drive_a / card.name, into, json_lines=json_lines)
        assert run.code == 0, run.err
        release = run.report["card_release"]
        assert release["may_format"] is False, release
        _said(
            run,
            "The source is a copy (offload-ai's copy root, it holds .offload/), not a card: "
            "every file is verified (read back) on 1 disk other than the source's; keep the "
            "source until your production's backups are made.",
        )
        assert release["source_is_copy"] is True, release
        for said in (release["text"], run.err, run.documents):
            assert "may be formatted" not in said, said
            assert "keep the card" not in said, said
        # A success shown as one (rev5_66: the HTML and PDF showed it in the "bad" red).
        assert release["source_verified"] is True, release
        page = max(reports.glob("*.html"), key=lambda p: p.stat().st_mtime_ns).read_text()
        assert '<div class="release ok">' in page


def test_a_copy_root_of_ours_as_the_source_kept_is_no_card_kept(
    tmp_path: Path, memory_card: Path, poppler: dict[str, str]
) -> None:
    """The same source copied to a folder of its own disk: kept, and said as the source's,
    never "Do not format the card" (QA: the words with local drives). Failed before: "Do not
    format the card: no destination is on a disk other than the card's ..."."""
    card = three_clip_card(memory_card, 100_000)
    drive_a, other, reports = memory_card / "DRIVE_A", memory_card / "OTHER", tmp_path / "r"
    for folder in (drive_a, other, reports):
        folder.mkdir()
    assert _copy(reports, poppler, card, drive_a).code == 0
    run = _copy(reports, poppler, drive_a / card.name, other)
    assert run.code == 0, run.err
    release = run.report["card_release"]
    _said(run, "Keep the source (a copy of ours, not a card): ")
    assert release["may_format"] is False and release["source_is_copy"] is True, release
    assert release["source_verified"] is False, release  # kept: shown as a warning
    for said in (release["text"], run.err, run.documents):
        assert "format the card" not in said, said
        assert "the card's" not in release["text"], release
    # The preflight's warning too: a drive's copy is no card to keep (failed before: "it is
    # not a backup of the card: keep the card until a copy on another disk is read back").
    assert (
        "is on the same filesystem as the source (a copy of ours, not a card): it is not a "
        "backup of the source: keep the source until a copy on another disk is read back"
    ) in run.err, run.err
    assert "backup of the card" not in run.err and "keep the card" not in run.err, run.err
