"""A copy root of ours as the SOURCE (the DIT's drive feeding a shuttle drive) is no card:
the release never tells anyone to format it, nor calls it the card, on the terminal, in the
``--json`` job_report line, the job report's ``card_release``, the HTML and the PDF. Real
runs of the real CLI as a child process: the card and the DIT's drive in memory (/dev/shm),
the shuttle on a disk, so that every other condition of "may be formatted" holds."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from offload.cli.live import _bytes_words, _eta_words, _quiet_words
from offload.events import OffloadPlanned
from offload.progress import ProgressModel
from report.test_release_agrees import _copy, _said
from support.cards import three_clip_card
from support.offload_cli import run_offload


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
        # The PDF's heading and page 1's media line (QA qawords67 LOW: "Production and
        # card", "a checksum proves only that a copy equals the card" before).
        assert "Production and source" in run.documents, run.documents
        assert "Production and card" not in run.documents, run.documents
        # The Warnings lines say the source, and so does each clip row's own ⚠ ("⚠ NOT
        # READABLE" in the HTML, "!! NOT READABLE" in the PDF: the card's words before).
        assert "a copy equals the source, not that the file plays" in run.documents
        assert "a copy equals the card" not in run.documents, run.documents
        rows = re.findall(r"(?:⚠|!!) NOT READABLE AS MEDIA[^)]*equals the source,", run.documents)
        assert len(rows) == 6, run.documents  # 3 clips, in the HTML and in the PDF
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


def test_a_copy_root_of_ours_as_a_cascade_source_is_never_called_the_card(
    tmp_path: Path, memory_card: Path, disk_folder: Path, poppler: dict[str, str]
) -> None:
    """``offload copy DRIVE_A/A001 FAST --cascade-to SLOW``, DRIVE_A a copy root a real
    ``offload copy`` made (in memory: its re-read goes through the page cache), its clips
    random bytes (not readable as media). Failed before (review rev5_66 M2, srcwords67):
    "CARD RELEASED: DRIVE_A/A001 can be ejected ... (the card is not read again ...)", "The
    card was released at ...", "CARD RE-READ THROUGH A CACHE: ... 3 card files ... not to
    the card", "CARD CONTENT: 3 files named as clips on the card ... check with the camera
    department", the HTML's "Fed from: the card". Now each is said of the source, a copy of
    ours, on the terminal, in the ``--json`` events and the report, the HTML and the PDF; the
    card's own run still says the card's words."""
    card = three_clip_card(memory_card, 100_000)
    drive_a, reports = memory_card / "DRIVE_A", tmp_path / "r"
    for folder in (drive_a, reports):
        folder.mkdir()
    first = _copy(reports, poppler, card, drive_a)
    assert first.code == 0, first.err
    # The card's words where the source is the card: the same lines, worded for it.
    assert "CARD CONTENT: 3 files named as clips on the card " in first.err, first.err
    assert "check with the camera department" in first.err, first.err
    assert "CARD RE-READ THROUGH A CACHE: " in first.err, first.err

    source = drive_a / card.name
    for json_lines in (False, True):
        fast, slow = disk_folder / f"FAST{json_lines}", disk_folder / f"SLOW{json_lines}"
        fast.mkdir()
        slow.mkdir()
        run = _copy(reports, poppler, source, fast, "--cascade-to", slow, json_lines=json_lines)
        assert run.code == 0, run.err
        assert run.report["card_release"]["source_is_copy"] is True, run.report
        # 1. The cascade's release line, and its sentence at the end.
        if json_lines:
            (released,) = [e for e in run.events if e["event"] == "card_released"]
            assert released["source_is_copy"] is True, released
            assert released["without_card"] is True, released
            (said,) = [e for e in run.events if e["event"] == "job_report"]
            content = said["card_content"]
        else:
            assert (
                f"SOURCE RELEASED: {source} (a copy of ours, not a card) can be ejected: all 3 "
                f"files are verified on {fast}. Now feeding {slow} from those copies (the source "
                "is not read again; should this stop, the same command finishes it without the "
                "source). Ignored (not copied): 2 folders (.offload/, ascmhl/) (listed in the "
                "report), one of them the source's ASC MHL history, not copied as a folder of "
                "the source."
            ) in run.err, run.err
            assert "The source was released at " in run.err, run.err
            assert f"; {slow} was then fed from the fast copies." in run.err, run.err
            content = []
        assert "The source was released at " in run.documents, run.documents
        assert "; destination 2 was then fed from the fast copies." in run.documents
        # 2. The clips flagged: the source copy's, looked at in the offload that made it.
        copy_content = (
            "SOURCE CONTENT: 3 files named as clips in the source copy are not readable as "
            "media (their first bytes are no format FFmpeg reads): CLIPS/A001C001.mov, "
            "CLIPS/A001C002.mov, CLIPS/A001C003.mov; their contents were not looked at: a "
            "checksum proves only that a copy equals the source copy, not that the file plays "
            "(so in the source copy itself: the copies hold what the source copy holds, not a "
            "problem of this run's copies; check the offload that made the source copy (its "
            "report, and the camera card if it is still kept) before the camera department)."
        )
        if json_lines:
            assert [line["message"] for line in content] == [copy_content], content
        else:
            assert copy_content in run.err, run.err
        # 3. The source's re-read through the page cache (it is in memory).
        cached = (
            "SOURCE RE-READ THROUGH A CACHE: the full verification's second read of 3 source "
            "files went through this machine's page cache"
        )
        assert cached in run.documents, run.documents
        assert "not to the source: it matched the first read" in run.documents
        if not json_lines:
            assert cached in run.err, run.err
        # 4. The HTML/PDF's panel and destinations: the source named as the copy it is.
        assert f"Source: a copy of ours, not a card {source}" in run.documents, run.documents
        assert "the source (a copy of ours, not a card)" in run.documents, run.documents
        assert f"read from the fast copy {fast / card.name} (not from the source)" in run.documents
        # Its ascmhl/ is the source's history too (its ignored entry's reason: the card's
        # words before srcwords68, ``card_history.history_words``).
        assert [e["reason"] for e in run.report["ignored"] if e["path"] == "ascmhl"] == [
            "/ascmhl/: the source's ASC MHL history, to be carried and continued"
        ], run.report["ignored"]
        events = " ".join(str(e) for e in run.events)
        for words in (run.err, events):
            for card_words in ("CARD ", "the card", "The card", "card file"):
                assert card_words not in words, (card_words, words)
        for card_words in ("CARD RELEASED", "CARD RE-READ", "CARD CONTENT", "The card was"):
            assert card_words not in run.documents, (card_words, run.documents)


def test_a_copy_root_of_ours_kept_by_a_cascade_is_no_card_kept(
    tmp_path: Path, memory_card: Path, disk_folder: Path, poppler: dict[str, str]
) -> None:
    """The same source, its fast copy in memory beside it (the same filesystem, read back
    through the page cache): the cascade keeps it. Failed before: the preflight's "this
    cascade will not release the card on its copy: keep the card ...", "CARD PASS DONE: ...
    keep the card until SLOW is done", "The card's pass ended at ..., the card NOT released
    ... a re-run needs the card". Now each says the source, a copy of ours."""
    card = three_clip_card(memory_card, 100_000)
    drive_a, fast, reports = memory_card / "DRIVE_A", memory_card / "FAST", tmp_path / "r"
    slow = disk_folder / "SLOW"
    for folder in (drive_a, fast, slow, reports):
        folder.mkdir()
    assert _copy(reports, poppler, card, drive_a).code == 0
    source = drive_a / card.name
    run = _copy(reports, poppler, source, fast, "--cascade-to", slow)
    assert run.code == 0, run.err
    assert run.report["cascade"]["card_released_at"] is None, run.report["cascade"]
    for said in (
        f"destination {fast} is on the same filesystem as the source (a copy of ours, not a "
        "card): it is not a backup of the source (this cascade will not release the source on "
        "its copy: keep the source until a copy on another disk is read back)",
        f"SOURCE PASS DONE: {source} (a copy of ours, not a card) is no longer read; all 3 "
        f"files are verified on {fast} (3 of them read back through a cache, not from the "
        "media), but the copy there is on the source's own filesystem or disk, no backup of it "
        f"(keep the source until {slow} is done: a re-run needs it). Now feeding {slow} from "
        "those copies.",
        "the source NOT released: every file is on the fast destinations, but "
        f"{fast} is on the source's own filesystem or disk, no backup of it, so a re-run needs "
        "the source;",
    ):
        assert said in run.err, run.err
    assert "the source NOT released: every file is on the fast destinations" in run.documents
    for card_words in ("CARD ", "the card", "The card"):
        assert card_words not in run.err.replace("the card release", ""), (card_words, run.err)


def test_the_live_view_says_the_source_of_a_copy_root_of_ours() -> None:
    """``offload_planned`` ``source_is_copy`` (as ``OffloadPlan.source_is_copy`` sets it:
    the real run's event is checked by the tests above through ``card_released``): the
    live view's cascade ETA, its re-read bytes and its stall say the source, never the card.
    Failed before: "card released in 00:05", "of the card re-read", "no data from the
    card"."""
    for copy, source in ((False, "card"), (True, "source")):
        model = ProgressModel()
        planned = OffloadPlanned(1, ("fast", "slow"), 10, (10, 10), (1, 1), (1,))
        model.emit(dataclasses.replace(planned, source_is_copy=copy))
        snap = dataclasses.replace(
            model.snapshot(),
            card_eta_s=5.0,
            source_bytes_read=10,
            bytes_read_back=20,
            card_bytes_checked=10,
        )
        assert snap.source_is_copy is copy
        assert _eta_words(snap).startswith(f"{source} released in 00:05"), _eta_words(snap)
        assert f"10 bytes of the {source} re-read" in _bytes_words(snap, 10), _bytes_words(snap, 10)
        assert _quiet_words(12, None, snap).startswith(f"no data from the {source} for 12 s")


def test_a_dry_run_of_a_cascade_from_a_copy_root_of_ours_names_the_source(
    tmp_path: Path, memory_card: Path
) -> None:
    """``offload copy --dry-run DRIVE_A/A001 FAST --cascade-to SLOW``: the plan's cascade
    line and each destination's pass say the source, as the run's lines will. Failed
    before: "pass 1 reads the card to FAST; the card is released (CARD RELEASED, it can be
    ejected) ...", "pass 1: from the card"."""
    card = three_clip_card(memory_card, 10_000)
    drive_a, fast, slow = memory_card / "DRIVE_A", tmp_path / "FAST", tmp_path / "SLOW"
    for folder in (drive_a, fast, slow):
        folder.mkdir()
    assert run_offload("copy", "-q", "--report-dir", tmp_path / "r", card, drive_a).returncode == 0
    done = run_offload("copy", "--dry-run", drive_a / card.name, fast, "--cascade-to", slow)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert (
        f"Cascading copy: pass 1 reads the source to {fast}; the source is released (SOURCE "
        f"RELEASED, it can be ejected) once those are verified; pass 2 then feeds {slow} from "
        "the verified copies, checked against the source's digests"
    ) in said, said
    assert "pass 1: from the source" in said and "pass 2: after the source is released" in said
    assert "CARD RELEASED" not in said and "from the card" not in said, said
