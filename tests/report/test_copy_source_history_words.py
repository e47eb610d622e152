"""A copy root of ours as the source (``offload copy DRIVE_A/A001 OTHER``) said as the source,
not the card, where last pass left the card's words (srcwords68): the card history's lines
(its ASC MHL history listing a file the source no longer has: the preflight warning, the
terminal's MISSING FROM THE CARD, the report's problem line), each clip row's own ⚠ in the
HTML (read in headless Chromium) and the PDF (pdftotext), page 1's lines of a clip's own;
and the same card offloaded from the card folder itself keeps every card word. Real runs of
the real CLI as a child process; the card's sequence has real DPX frames, one emptied, and
a clip of random bytes (not readable as media)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from offload.demo import write_sequence
from report.helpers import Browser, pdf_text
from support.offload_cli import run_offload


def _card(folder: Path) -> Path:
    """The card ``A001``: a DPX sequence of 10 frames, frame 1005 empty (DAMAGED FRAMES, "so
    on the card: check with the camera department"), two clips of random bytes."""
    card = folder / "A001"
    write_sequence(card / "A001S001", "A001S001", range(1000, 1010))
    (card / "A001S001" / "A001S001.0001005.dpx").write_bytes(b"")
    (card / "CLIPS").mkdir(parents=True)
    for n in (1, 2):
        (card / "CLIPS" / f"A001C00{n}.mov").write_bytes(bytes([n]) * 50_000 + b"\x07" * n)
    return card


def _run(reports: Path, browser: Browser, poppler: dict[str, str], *args: str | Path) -> Any:
    """``offload copy`` of *args* (text, then --json): its stderr, its --json events, the job
    report, the HTML as the browser shows it and the PDF's text, each in one line."""
    before = set(reports.glob("*.json"))
    text = run_offload("copy", "--report-dir", reports, *args)
    (written,) = set(reports.glob("*.json")) - before
    page = browser.open(written.with_suffix(".html"))
    assert not page.errors, page.errors
    shown = " ".join(page.text.split())
    pdf = " ".join(pdf_text(poppler, written.with_suffix(".pdf")).split())
    return text, json.loads(written.read_text()), shown, pdf


def test_a_copy_root_of_ours_as_the_source_says_the_source_in_its_history_and_rows(
    tmp_path: Path,
    memory_card: Path,
    disk_folder: Path,
    media: Any,
    browser: Browser,
    poppler: dict[str, str],
) -> None:
    """Failed before: the copy root's run said "'CLIPS/A001C002.mov' is in the card's own ASC
    MHL history but not on the card (deleted in camera, or lost)", "MISSING FROM THE CARD:
    its own ASC MHL history lists 1 file the card no longer has", and each row's ⚠ "(so on
    the card: check with the camera department)", "a checksum proves only that a copy equals
    the card". Now the source's words there; the card's own run keeps the card's."""
    card = _card(memory_card)
    drive_a, reports = memory_card / "DRIVE_A", tmp_path / "r"
    drive_a.mkdir()
    reports.mkdir()
    first = run_offload("copy", "--report-dir", reports, card, drive_a)
    assert first.returncode == 0, first.stderr
    source = drive_a / card.name
    assert (source / "ascmhl").is_dir() and (source / ".offload").is_dir()
    # The file both lose since: the copy root's history (carried onto the card too, as a
    # card a tool wrote an ASC MHL history on) lists it.
    for root in (card, source):
        (root / "CLIPS" / "A001C002.mov").unlink()
    shutil.copytree(source / "ascmhl", card / "ascmhl")

    said: dict[str, tuple[str, dict[str, Any], str, str, list[dict[str, Any]]]] = {}
    for name, given in (("card", card), ("copy", source)):
        into, again = disk_folder / name, disk_folder / f"{name}-json"
        into.mkdir()
        again.mkdir()
        (err, report, html, pdf) = _run(reports, browser, poppler, given, into)
        assert err.returncode == 1, err.stderr  # a file the history lists is missing
        events = run_offload("copy", "--json", "--report-dir", reports, given, again)
        lines = [json.loads(line) for line in events.stdout.splitlines()]
        said[name] = (" ".join(err.stderr.split()), report, html, pdf, lines)

    missing = "'CLIPS/A001C002.mov' is in {0}'s own ASC MHL history but not on {0} ({1})"
    card_row = "(so on the card: check with the camera department)"
    copy_row = (
        "(so in the source: check the offload that made the source before the camera department)"
    )
    unreadable = "a checksum proves only that a copy equals {}, not that the file plays"
    # The card's run: the card's words, exactly as before.
    err, report, html, pdf, lines = said["card"]
    assert not report["card_release"].get("source_is_copy"), report["card_release"]
    assert missing.format("the card", "deleted in camera, or lost") in err, err
    assert (
        "MISSING FROM THE CARD: its own ASC MHL history lists 1 file the card no longer "
        "has: CLIPS/A001C002.mov"
    ) in err, err
    for document in (html, pdf):
        assert (
            "CLIPS/A001C002.mov: MISSING FROM THE CARD (its own ASC MHL history lists it): "
            "not copied"
        ) in document, document
        assert card_row in document, document
        assert unreadable.format("the card") in document, document
        assert "in the source" not in document and "the source's" not in document, document
    assert "\"/ascmhl/: the card's ASC MHL history" in json.dumps(report["ignored"])

    # The copy root's run: the source's words, its names as they are.
    err, report, html, pdf, lines = said["copy"]
    assert report["card_release"]["source_is_copy"] is True, report["card_release"]
    assert missing.format("the source", "deleted or lost since") in err, err
    assert (
        "MISSING FROM THE SOURCE: its own ASC MHL history lists 1 file the source no longer "
        "has: CLIPS/A001C002.mov"
    ) in err, err
    warnings = json.dumps([e for e in lines if e["event"] == "warning_issued"])
    assert missing.format("the source", "deleted or lost since") in warnings, warnings
    for document in (html, pdf):
        assert (
            "CLIPS/A001C002.mov: MISSING FROM THE SOURCE (its own ASC MHL history lists it): "
            "not copied"
        ) in document, document
        # The sequence's row and page 1, the clip's row.
        assert copy_row in document, document
        assert unreadable.format("the source") in document, document
        for card_words in ("MISSING FROM THE CARD", "on the card", "equals the card"):
            assert card_words not in document, (card_words, document)
    assert "\"/ascmhl/: the source's ASC MHL history" in json.dumps(report["ignored"])
    for words in (err, json.dumps(lines)):
        for card_words in ("the card's own", "not on the card", "MISSING FROM THE CARD"):
            assert card_words not in words, (card_words, words)


def test_a_copy_root_of_ours_refused_for_other_files_there_is_said_as_the_source(
    tmp_path: Path,
) -> None:
    """``card_folder``'s refusal of a copy root named after the source that holds other files
    at its names (no ledger there: code ``copy-root-of-other-files``). Failed before, of a
    copy root of ours as the source: "holds files at this card's names that are not this
    card's ('CLIPS/A001C001.mov': 7 bytes there, 50001 on the card) ... copy this card into
    a folder of its own". The card itself keeps the card's words, exactly."""
    card = _card(tmp_path / "shot")
    drive_a = tmp_path / "DRIVE_A"
    drive_a.mkdir()
    assert run_offload("copy", "--quiet", card, drive_a).returncode == 0
    source = drive_a / card.name
    lines = {}
    for name, given in (("card", card), ("copy", source)):
        dest = tmp_path / f"DEST_{name}"
        (dest / "A001" / "CLIPS").mkdir(parents=True)
        (dest / "A001" / "CLIPS" / "A001C001.mov").write_bytes(b"another")
        refused = run_offload("copy", given, dest)
        assert refused.returncode == 64, refused.stderr
        (line,) = [x for x in refused.stderr.splitlines() if x.startswith("ERROR: ")]
        lines[name] = line
    assert (
        "holds files at this card's names that are not this card's ('CLIPS/A001C001.mov': 7 "
        "bytes there, 50001 on the card) and no ledger says whose they are (another card of "
        "the same name's, or this card's copied without its dates): nothing was copied; copy "
        "this card into a folder of its own: "
    ) in lines["card"], lines["card"]
    assert (
        "holds files at the source's names that are not the source's ('CLIPS/A001C001.mov': 7 "
        "bytes there, 50001 in the source) and no ledger says whose they are (another card of "
        "the same name's, or the source's files copied without their dates): nothing was "
        "copied; copy the source into a folder of its own: "
    ) in lines["copy"], lines["copy"]
    assert "this card" not in lines["copy"] and "the card" not in lines["copy"], lines["copy"]


def test_a_copy_root_of_ours_refused_for_another_offload_there_is_said_as_the_source(
    tmp_path: Path,
) -> None:
    """``card_folder``'s other refusal of a copy root named after the source: it holds
    another offload by its ledger (another card of the same name offloaded there first,
    code ``copy-root-of-another-card``; neither card's identity known, a plain folder).
    Failed before, of a copy root of ours as the source: "holds another offload, of this
    card or another (its ledger records 2 files, ..., none on this card at its size and
    date: another card of the same name, or this card formatted and shot again) ...; copy
    this card into a folder of its own". The card itself keeps the card's words, exactly."""
    card = _card(tmp_path / "shot")
    drive_a = tmp_path / "DRIVE_A"
    drive_a.mkdir()
    assert run_offload("copy", "--quiet", card, drive_a).returncode == 0
    source = drive_a / card.name
    other = tmp_path / "other" / "A001" / "CLIPS"  # another card of the same name
    other.mkdir(parents=True)
    for n in (1, 2):
        (other / f"B00{n}.mov").write_bytes(bytes([n + 5]) * 3_000)
    lines = {}
    for name, given in (("card", card), ("copy", source)):
        dest = tmp_path / f"DEST_{name}"
        dest.mkdir()
        assert run_offload("copy", "--quiet", other.parent, dest).returncode == 0
        refused = run_offload("copy", given, dest)
        assert refused.returncode == 64, refused.stderr
        (line,) = [x for x in refused.stderr.splitlines() if x.startswith("ERROR: ")]
        lines[name] = line
    for name, this, its_card, on_it in (
        ("card", "this card", "this card", "on this card"),
        ("copy", "the source", "the source's card", "in the source"),
    ):
        line = lines[name]
        assert f"holds another offload, of {its_card} or another (its ledger records 2 " in line
        assert (
            f", none {on_it} at its size and date: another card of the same name, or "
            f"{its_card} formatted and shot again), and cards that share a name must not share "
            f"a folder: nothing was copied; copy {this} into a folder of its own: "
        ) in line, line
    assert "this card" not in lines["copy"] and "the card" not in lines["copy"], lines["copy"]


def test_card_contents_paths_are_exact_where_its_message_prints_them(
    tmp_path: Path, media: Any
) -> None:
    """``--json``'s ``card_content[].paths`` (``not-readable-as-media``) held the printed
    names (``printable_name``: a literal backslash doubled, a control character as
    ``\\x07``), where every other path field of the JSON is exact (docs/json.md). Failed
    before: ``CLIPS/back\\\\slash.mov`` for the file ``CLIPS/back\\slash.mov``. The message
    still prints the name as the terminal does."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    names = ["CLIPS/back\\slash.mov", "CLIPS/bell\x07.mov"]
    for name in names:
        (card / name).write_bytes(b"\x01" * 40_000)
    dest = tmp_path / "dest"
    dest.mkdir()
    done = run_offload("copy", "--json", "--report-dir", tmp_path / "r", card, dest)
    assert done.returncode == 0, done.stderr
    (job,) = [e for e in map(json.loads, done.stdout.splitlines()) if e["event"] == "job_report"]
    (line,) = job["card_content"]
    assert line["kind"] == "not-readable-as-media", line
    assert sorted(line["paths"]) == sorted(names), line
    assert "CLIPS/back\\slash.mov" in line["message"], line  # printed as ls shows it
    assert "CLIPS/bell\\x07.mov" in line["message"], line


def test_a_folded_rows_unreadable_line_says_the_source_of_a_copy_root() -> None:
    """Past MAX_CLIP_ROWS the clip list folds a folder's clips into one row, whose ⚠ counts
    those not readable as media: "a checksum proves only that a copy equals the card" of a
    copy root of ours too (failed before). The job report as the documents read it, the
    source's ``.offload/`` among its ignored entries (a copy root of ours); the same
    without it (a card) keeps the card's words."""
    from offload.report.clips import group_clips
    from offload.report.content import MAX_CLIP_ROWS, build_view
    from offload.report.media import MediaInfo
    from offload.report.sniff import NOT_MEDIA
    from tests.report.test_content import job

    entries = [
        {
            "path": f"CLIPS/C{n:04d}.mov",
            "size_bytes": 10,
            "destinations": [{"index": i, "status": "verified"} for i in (0, 1)],
        }
        for n in range(MAX_CLIP_ROWS + 1)
    ]
    clips = group_clips(entries)
    media = {i: MediaInfo(error=NOT_MEDIA) for i in range(len(clips))}
    state = {"path": ".offload", "reason": "/.offload/: offload-ai's own state", "kind": "folder"}
    said = {}
    for name, ignored in (("card", []), ("copy", [state])):
        data = job(files=entries, ignored=ignored, totals={"files": len(entries), "bytes": 1})
        view = build_view(data, clips, media, [])
        (row,) = view.clips  # the folder's one row
        (said[name],) = [d for d in row.details if "NOT READABLE AS MEDIA" in d]
    assert said["card"].endswith("a copy equals the card, not that the file plays"), said
    assert said["copy"] == said["card"].replace("equals the card,", "equals the source,"), said
