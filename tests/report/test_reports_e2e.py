"""The HTML and PDF reports as a production reads them: a real offload of the demo card (real
clips), the HTML opened in headless Chromium, the PDF read with poppler."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from offload.demo import make_sample_card
from offload.report.clips import group_clips
from report.helpers import (
    Browser,
    colourful,
    not_blank,
    offload_cli,
    pdf_info,
    pdf_page_png,
    pdf_text,
    pdf_words,
)
from support import camera_cards
from support.offload_cli import run_offload

CLASH = "A001C001_261127_R1AB/A001C002_261127_R1AB.xml"
SEEDED = "A001C001_261127_R1AB/A001C001_261127_R1AB.xml"


def clip_names(job: dict[str, Any]) -> list[str]:
    return [clip.name for clip in group_clips(job["files"])]


def assert_clash_named_once(text: str, offloaded: dict[str, Any]) -> None:
    """The copy refused for the file in the way is one problem line naming that file once:
    its error names the copy's path already, so no second path is put before it (before:
    "A001C001_.../A001C002_....xml on destination 2: RAID2: FAILED: /.../RAID2/A001/
    A001C001_.../A001C002_....xml already exists on destination ...")."""
    target = offloaded["dests"][1] / offloaded["card"].name / CLASH
    flat = " ".join(text.split())
    line = f"Destination 2: RAID2: FAILED: {target} already exists on destination"
    assert line in flat, flat
    assert f"{CLASH} on destination" not in flat, flat


@pytest.fixture(scope="module")
def offloaded(tmp_path_factory: pytest.TempPathFactory, media: Any) -> dict[str, Any]:
    """The demo card offloaded to two drives; on the second, one sidecar is already there
    with other content, so that copy fails (and must be the first thing the reports say)."""
    root = tmp_path_factory.mktemp("e2e")
    card = make_sample_card(root / "card")
    dests = [root / "RAID1", root / "RAID2"]
    for dest in dests:
        dest.mkdir()
    clash = dests[1] / card.name / CLASH
    clash.parent.mkdir(parents=True)
    clash.write_text("someone else's file\n")
    # One clip already there as a copy keeping its dates (a run killed before its ledger's
    # first line): the folder is this card's, the sidecar in the way refused alone (a folder
    # of nothing but another file at a card file's name is refused whole: card_folder).
    shutil.copy2(card / SEEDED, dests[1] / card.name / SEEDED)
    code, _, err = offload_cli(
        ["copy", str(card), *map(str, dests), "--report-dir", str(root / "reports")]
    )
    assert code == 1, err
    job_path = sorted((root / "reports").glob("*.json"))[-1]
    return {
        "root": root,
        "card": card,
        "dests": dests,
        "job_path": job_path,
        "job": json.loads(job_path.read_text()),
    }


def test_reports_are_written_beside_json_and_csv_everywhere(offloaded: dict[str, Any]) -> None:
    job_path: Path = offloaded["job_path"]
    base = job_path.stem
    folders = [job_path.parent] + [
        d / offloaded["card"].name / ".offload" / "reports" for d in offloaded["dests"]
    ]
    for folder in folders:
        names = sorted(p.name for p in folder.iterdir() if p.stem == base)
        assert names == [f"{base}.csv", f"{base}.html", f"{base}.json", f"{base}.pdf"], folder
    html = job_path.with_suffix(".html").read_text()
    # Self-contained: nothing is fetched (pictures inline, no links to files or servers).
    assert not re.search(r'(src|href)="(?!data:)', html)
    assert html.count('src="data:image/jpeg;base64,') == 5  # 4 clips + 1 sequence


def test_json_report_names_the_volumes(offloaded: dict[str, Any]) -> None:
    job = offloaded["job"]
    for dest in job["destinations"]:
        assert dest["filesystem"], dest
        assert dest["free_bytes_after"] > 0
        assert "volume_label" in dest and "device" in dest
    assert job["source_volume"]["filesystem"]


def test_html_in_chromium(offloaded: dict[str, Any], browser: Browser, tmp_path: Path) -> None:
    job = offloaded["job"]
    page = browser.open(offloaded["job_path"].with_suffix(".html"))
    assert page.errors == []
    assert page.broken_images == 0 and page.images == 5
    assert not_blank(page.screenshot) > 0.05
    assert colourful(page.screenshot) > 0.01  # the colour-bar thumbnails are really drawn
    text = page.text
    for name in clip_names(job):
        assert name in text
    assert "A001_shot010.[0001001-0001048].dpx" in text
    assert "GAPS: 1 frame(s) missing: 1030" in text
    assert "14:02:10:00" in text and "H.264" in text and "MPEG-2" in text and "640×360" in text
    # The failure comes first: in the verdict, the problem list, and the first clip row.
    assert text.index("FAILED") < text.index("Production")
    assert_clash_named_once(text, offloaded)
    first_row = text.index("Clips and files")
    assert text.index("A001C002_261127_R1AB.mov", first_row) < text.index(
        "A001C001_261127_R1AB.mov", first_row
    )
    assert "Verified now" in text and "ALL COPIES VERIFIED" not in text


def test_pdf_with_poppler(
    offloaded: dict[str, Any], poppler: dict[str, str], tmp_path: Path
) -> None:
    pdf = offloaded["job_path"].with_suffix(".pdf")
    text = pdf_text(poppler, pdf)
    flat = " ".join(text.split())
    for name in clip_names(offloaded["job"]):
        assert name in flat
    assert "× FAILED" in flat and "XX" not in flat  # a real mark, not a placeholder
    assert_clash_named_once(flat, offloaded)
    assert flat.index("FAILED") < flat.index("Production and card")
    assert "OK Verified now" in flat
    info = pdf_info(poppler, pdf)
    assert "A4" in info["Page size"] or "595" in info["Page size"]
    assert 1 <= int(info["Pages"]) <= 4
    png = pdf_page_png(poppler, pdf, 1, tmp_path).read_bytes()
    assert not_blank(png) > 0.03


def test_offload_report_regenerates_from_json_when_the_card_is_gone(
    offloaded: dict[str, Any], browser: Browser, poppler: dict[str, str], tmp_path: Path
) -> None:
    card: Path = offloaded["card"]
    moved = card.with_name(card.name + ".gone")
    shutil.move(card, moved)
    try:
        html, pdf = tmp_path / "again.html", tmp_path / "out" / "again.pdf"
        pdf.parent.mkdir()
        code, out, err = offload_cli(
            [
                "report",
                str(offloaded["job_path"]),
                "--html",
                str(html),
                "--pdf",
                str(pdf),
                "--paper",
                "letter",
            ]
        )
    finally:
        shutil.move(moved, card)
    assert code == 0, err
    assert f"HTML report: {html}" in out and f"PDF report: {pdf}" in out
    # Thumbnails were read from a verified copy on a destination.
    assert html.read_text().count("data:image/jpeg;base64,") == 5
    page = browser.open(html)
    assert page.errors == [] and page.images == 5
    assert (
        "Letter" in pdf_info(poppler, pdf)["Page size"]
        or "612 x 792" in pdf_info(poppler, pdf)["Page size"]
    )


def test_offload_report_usage_errors(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"schema": "something-else"}')
    code, _, err = offload_cli(["report", str(bad)])
    assert code == 64 and "not an offload-ai job report" in err
    code, _, err = offload_cli(["report", str(tmp_path / "missing.json")])
    assert code == 64 and "cannot read" in err
    # What to do (failed before: the error alone).
    assert "name a saved JSON job report (offload history lists the report folder's)" in err
    # Not JSON, or JSON of another kind: the same advice (failed before: the parser's words
    # alone, "is not JSON: Expecting value: line 1 column 1 (char 0)").
    (tmp_path / "afile").write_text("some notes\n")
    for wrong in (tmp_path / "afile", bad):
        code, _, err = offload_cli(["report", str(wrong)])
        assert code == 64 and err.count("\n") == 1, err
        assert "name a saved JSON job report (offload history lists the report folder's)" in err


def test_offload_report_help_says_which_documents_each_option_writes() -> None:
    """Failed before: "--pdf OUT  PDF output (default JOB.pdf)", though ``--html X`` alone
    writes no PDF (and ``--pdf Y`` alone no HTML)."""
    done = run_offload("report", "--help")
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())
    assert "write the HTML report to OUT (with --html alone, no PDF is written;" in said, said
    assert "write the PDF report to OUT (with --pdf alone, no HTML is written;" in said, said
    assert "both are written beside JOB.json: JOB.html and JOB.pdf" in said, said
    assert "default JOB" not in said, said


def test_offload_report_refuses_a_folder_that_does_not_exist(
    offloaded: dict[str, Any], tmp_path: Path
) -> None:
    """Failed before: the folders were made silently and it exited 0."""
    for option in ("--pdf", "--html"):
        target = tmp_path / "no" / "such" / "dir" / "x.out"
        code, out, err = offload_cli(["report", str(offloaded["job_path"]), option, str(target)])
        assert code == 64, err
        assert err.count("\n") == 1 and f"the folder {target.parent} does not exist" in err
        assert out == "" and not (tmp_path / "no").exists()


def test_transfer_mode_never_claims_verified(
    tmp_path: Path, browser: Browser, poppler: dict[str, str], media: Any
) -> None:
    card = make_sample_card(tmp_path / "card")
    dest = tmp_path / "D1"
    dest.mkdir()
    code, _, err = offload_cli(
        ["copy", "--verify", "transfer", str(card), str(dest), "--report-dir", str(tmp_path / "r")]
    )
    assert code == 0, err
    html = sorted((tmp_path / "r").glob("*.html"))[-1]
    page = browser.open(html)
    assert page.errors == []
    assert "TRANSFER-CHECKED ONLY" in page.text
    assert "Transfer-checked only (not read back)" in page.text
    assert "Verified now" not in page.text and "ALL COPIES VERIFIED" not in page.text
    flat = pdf_words(poppler, html.with_suffix(".pdf"))
    assert "Transfer-checked only (not read back)" in flat and "Verified now" not in flat


def test_second_offload_says_verified_earlier(
    offloaded: dict[str, Any], browser: Browser, tmp_path: Path
) -> None:
    """Run again onto the first drive: every file is trusted from its ledger, none re-read."""
    card, dest = offloaded["card"], offloaded["dests"][0]
    code, _, err = offload_cli(["copy", str(card), str(dest), "--report-dir", str(tmp_path)])
    assert code == 0, err
    page = browser.open(sorted(tmp_path.glob("*.html"))[-1])
    assert page.errors == []
    assert "Verified earlier (" in page.text and "not re-read" in page.text
    assert "Verified now" not in page.text
    assert "ALL COPIES VERIFIED (" in page.text  # and how many were not re-read


def test_the_browser_check_sees_errors(browser: Browser, tmp_path: Path) -> None:
    """The checks above would catch a broken report: console errors, exceptions, bad images."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><body><p>hello</p>"
        '<img src="data:image/jpeg;base64,AAAA">'
        "<script>console.error('boom'); undefined_function();</script></body></html>"
    )
    result = browser.open(page)
    assert len(result.errors) >= 2, result.errors
    assert any("boom" in e for e in result.errors)
    assert any("undefined_function" in e for e in result.errors)
    assert result.broken_images == 1 and result.text.strip() == "hello"


def test_offload_report_html_only_without_media(offloaded: dict[str, Any], tmp_path: Path) -> None:
    out_html = tmp_path / "only.html"
    code, out, err = offload_cli(
        ["report", str(offloaded["job_path"]), "--html", str(out_html), "--no-media"]
    )
    assert code == 0, err
    assert out.strip() == f"HTML report: {out_html}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["only.html"]
    html = out_html.read_text()
    assert "data:image/jpeg" not in html and "(--no-media)" in html
    assert "A001C003_261127_R1AB.mxf" in html


def test_a_cancelled_offload_says_so(tmp_path: Path, browser: Browser, media: Any) -> None:
    from offload.card import offload
    from offload.engine.cancel import CancelToken
    from offload.report.job_report import write_reports

    card = make_sample_card(tmp_path / "card")
    dest = tmp_path / "D1"
    dest.mkdir()
    cancel = CancelToken()
    cancel.cancel()  # Ctrl-C before the first byte
    report = offload(card, [dest], cancel=cancel)
    assert report.job.cancelled
    written = write_reports(report, tmp_path / "r")
    page = browser.open(Path(written.paths[0]).with_suffix(".html"))
    assert page.errors == []
    assert "CANCELLED" in page.text and "Cancelled" in page.text
    assert "Verified now" not in page.text and "ALL COPIES VERIFIED" not in page.text


def _copy_and_open(card: Path, tmp_path: Path, browser: Browser) -> tuple[str, Path]:
    """A real ``offload copy`` of *card* into ``tmp_path/D1`` (made here), its reports in
    ``tmp_path/r``, exit 0 asserted; its HTML laid out by Chromium without an error: (the
    page's text, the HTML's path, the PDF beside it)."""
    dest = tmp_path / "D1"
    dest.mkdir()
    code, _, err = offload_cli(["copy", str(card), str(dest), "--report-dir", str(tmp_path / "r")])
    assert code == 0, err
    html = sorted((tmp_path / "r").glob("*.html"))[-1]
    page = browser.open(html)
    assert page.errors == []
    return page.text, html


def test_a_folded_folder_of_audio_takes_is_labelled_audio_takes(
    tmp_path: Path, browser: Browser, poppler: dict[str, str], media: Any
) -> None:
    """A recorder's folder of more takes than the reports give rows folds into one row,
    titled "SOUND/DAY1/ (1001 audio takes)": its label said "CLIPS IN A FOLDER" (HTML and
    PDF), as if a camera had shot them."""
    from offload.report.content import MAX_CLIP_ROWS

    takes = MAX_CLIP_ROWS + 1
    card = camera_cards.write_card(
        tmp_path / "SOUND_01", camera_cards.sound_library("SOUND/DAY1", takes)
    )
    page_text, html = _copy_and_open(card, tmp_path, browser)
    text = page_text
    assert f"SOUND/DAY1/ ({takes:,} audio takes)" in text
    assert "AUDIO TAKES IN A FOLDER" in text
    assert "CLIPS IN A FOLDER" not in text
    flat = pdf_words(poppler, html.with_suffix(".pdf"))
    assert "AUDIO TAKES IN A FOLDER" in flat and f"SOUND/DAY1/ ({takes:,} audio takes)" in flat
    assert "CLIPS IN A FOLDER" not in flat


def test_a_clip_missing_a_span_keeps_its_row_and_its_warning_past_a_thousand_clips(
    tmp_path: Path, browser: Browser, poppler: dict[str, str], media: Any
) -> None:
    """Past 1,000 clips a folder's good clips without a thumbnail fold into one row: a
    GoPro recording missing its second chapter, tiny (no thumbnail), among 1,001 others,
    keeps its row and its ⚠ in the HTML (as Chromium lays it out) and the PDF. Failed
    before: it was one of "DCIM/100GOPRO/ (1002 clips)", its ⚠ on page 1 alone."""
    from offload.report.content import MAX_CLIP_ROWS

    count = MAX_CLIP_ROWS + 1
    layout: dict[str, bytes | None] = {
        f"DCIM/100GOPRO/GH01{n:04d}.MP4": b"x%d" % n for n in range(count)
    }
    layout |= {"DCIM/100GOPRO/GH015000.MP4": b"a", "DCIM/100GOPRO/GH035000.MP4": b"b"}
    card = camera_cards.write_card(tmp_path / "GOPRO", layout)
    page_text, html = _copy_and_open(card, tmp_path, browser)
    warning = "SPANS MISSING: 1 span of this recording is missing: GH025000.MP4"
    flat_html = " ".join(page_text.split())
    flat_pdf = pdf_words(poppler, html.with_suffix(".pdf"))
    for text in (flat_html, flat_pdf):
        # Tiny files, no video format: counted as the totals count them (was "clips").
        assert f"DCIM/100GOPRO/ ({count:,} files named as clips, not video)" in text, text[-3000:]
        assert "GH015000.MP4 (+1 span)" in text
        # On page 1's problems and on the clip's own row.
        assert text.count(warning) == 2, text.count(warning)


def test_files_named_as_clips_that_are_none_are_counted_apart_past_a_thousand_clips(
    tmp_path: Path, poppler: dict[str, str], media: Any
) -> None:
    """Past 1,000 clips a folder's clips without a thumbnail fold into one row, whose title
    counts them: on a real card, 1,001 files named .MP4 whose bytes are no video, a WAV
    named .MOV and one MP4 FFmpeg cannot read are counted as page 1's totals count them
    (a file named as a clip, not video, or audio only, is never a clip). Failed before: the
    row was "DCIM/100MEDIA/ (1003 clips)" beside totals of 1 clip."""
    import io
    import wave

    from offload.report.content import MAX_CLIP_ROWS

    layout: dict[str, bytes | None] = {
        f"DCIM/100MEDIA/C{n:04d}.MP4": b"x%d" % n for n in range(MAX_CLIP_ROWS + 1)
    }
    # An MP4's first box (ftyp) then a box of nothing: FFmpeg cannot read it, a clip still.
    ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    layout["DCIM/100MEDIA/C5000.MP4"] = ftyp + (508).to_bytes(4, "big") + b"free" + bytes(500)
    sound = io.BytesIO()
    with wave.open(sound, "wb") as take:  # a real WAV (0.1 s of silence), named .MOV
        take.setnchannels(1)
        take.setsampwidth(2)
        take.setframerate(48_000)
        take.writeframes(bytes(9_600))
    layout["DCIM/100MEDIA/C5001.MOV"] = sound.getvalue()
    card = camera_cards.write_card(tmp_path / "MEDIA", layout)
    dest = tmp_path / "D1"
    dest.mkdir()
    code, _, err = offload_cli(["copy", str(card), str(dest), "--report-dir", str(tmp_path / "r")])
    assert code == 0, err
    [html] = (tmp_path / "r").glob("*.html")
    title = (
        "DCIM/100MEDIA/ (1 clip, 1 audio-only file named as a clip, "
        f"{MAX_CLIP_ROWS + 1:,} files named as clips, not video)"
    )
    page = " ".join(html.read_text(encoding="utf-8").split())
    flat = pdf_words(poppler, html.with_suffix(".pdf"))
    assert title in page, page[-3000:]
    # The PDF's row title wraps in its column, whose lines pdftotext may interleave with the
    # next column's (the media notes, which vary with what FFmpeg says): its words in order.
    words = iter(flat.split())
    assert all(word in words for word in title.split()), flat[-3000:]
    for text in (page, flat):
        assert "1,003 clips" not in text
    assert (
        f"1 clip, 0 image sequences, 1 audio-only file named as a clip, "
        f"{MAX_CLIP_ROWS + 1:,} files named as clips, not video"
    ) in flat, flat[:3000]


def test_an_xdcam_ex_take_names_the_clip_folder_of_each_span(
    tmp_path: Path, browser: Browser, poppler: dict[str, str], media: Any
) -> None:
    """An XDCAM EX take split into clip folders is one clip shown in ``BPAV/CLPR/``; its
    spans were named by file name alone ("FISH0046_02.MP4 (span, ...)"), which is in no
    folder a producer opens there. Each span is named from the clip's folder, as its
    sidecars in those folders already were."""
    card = camera_cards.write_card(tmp_path / "XDCAM_EX", camera_cards.XDCAM_EX)
    page_text, html = _copy_and_open(card, tmp_path, browser)
    flat_html = " ".join(page_text.split())
    flat_pdf = pdf_words(poppler, html.with_suffix(".pdf"))
    for text in (flat_html, flat_pdf):
        assert "FISH0046_01/FISH0046_01.MP4 (+1 span)" in text
        assert "FISH0046_02/FISH0046_02.MP4 (span," in text
        assert "FISH0047_01/FISH0047_01.MP4" in text
        assert "BPAV/CLPR/" in text
        assert "FISH0046_02/FISH0046_02M01.XML" in text  # its sidecars, named the same way


def test_offload_report_never_replaces_a_file_it_was_not_asked_to(
    offloaded: dict[str, Any], tmp_path: Path
) -> None:
    """Failed before: ``--html EXISTING`` replaced the file silently and exited 0. Refused
    now before anything is built (one line, exit 64), unless --overwrite; the report's own
    JOB.html beside JOB.json is written again, as documented."""
    for option in ("--html", "--pdf"):
        target = tmp_path / f"mine{option.replace('--', '.')}"
        target.write_bytes(b"a document of mine")
        argv = ["report", str(offloaded["job_path"]), option, str(target), "--no-media"]
        code, out, err = offload_cli(argv)
        assert code == 64, err
        assert err.count("\n") == 1 and f"{target} exists" in err and "--overwrite" in err
        assert out == "" and target.read_bytes() == b"a document of mine"
        code, out, err = offload_cli([*argv, "--overwrite"])
        assert code == 0, err
        assert target.read_bytes() != b"a document of mine"
    own = offloaded["job_path"].with_suffix(".html")
    assert own.exists()
    code, out, err = offload_cli(["report", str(offloaded["job_path"]), "--no-media"])
    assert code == 0 and f"HTML report: {own}" in out, err


def test_names_and_digests_read_back_exactly(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """What a post house searches for is in the reports' text whole. Failed before: the HTML
    showed "take  two.mov" as "take two.mov" (white-space: normal), and the PDF cut every
    md5, xxh128 and sha1 over two lines (pdftotext: two words)."""
    card = tmp_path / "A002"
    card.mkdir()
    (card / "take  two.mov").write_bytes(b"\x01" * 5000)
    (card / "A002C001.mov").write_bytes(b"\x02" * 7000)
    dest = tmp_path / "RAID1"
    dest.mkdir()
    argv = ["copy", str(card), str(dest), "--report-dir", str(tmp_path / "r")]
    code, _, err = offload_cli([*argv, "-t", "md5", "-t", "xxh128", "-t", "sha1"])
    assert code == 0, err
    html = sorted((tmp_path / "r").glob("*.html"))[-1]
    page = browser.open(html)
    assert page.errors == []
    assert "take  two.mov" in page.text
    words = set(pdf_text(poppler, html.with_suffix(".pdf")).split())
    job = json.loads(html.with_suffix(".json").read_text())
    digests = [v for f in job["files"] for v in f["digests"].values()]
    assert len(digests) == 6
    assert [d for d in digests if d not in words] == []


def test_an_ignored_folder_is_said_a_folder_not_an_entry(
    browser: Browser, poppler: dict[str, str], tmp_path: Path
) -> None:
    """``offload copy --ignore /PROXY/ MANY E1``, PROXY a folder of files. Failed before
    (QA): "Ignored (not copied): 1 entry" and "1 of the card's entries was left out ...
    (PROXY first)", on the terminal and in the JSON, HTML and PDF reports alike."""
    card = camera_cards.write_card(
        tmp_path / "MANY",
        {"CLIPS/A001.MOV": b"clip", **{f"PROXY/P{n:03d}.MOV": b"proxy" for n in range(30)}},
    )
    dest, reports = tmp_path / "E1", tmp_path / "r"
    dest.mkdir()
    dry = run_offload("copy", "--dry-run", "--ignore", "/PROXY/", card, dest)
    assert "ignored: PROXY/\n" in dry.stderr, dry.stderr
    # --json: a script tells the folder from a file (failed before: plain strings alone).
    dry_json = json.loads(
        run_offload("copy", "--dry-run", "--json", "--ignore", "/PROXY/", card, dest).stdout
    )
    assert (dry_json["ignored"], dry_json["ignored_folders"]) == (["PROXY"], ["PROXY"])
    done = run_offload("copy", "--ignore", "/PROXY/", card, dest, "--report-dir", reports)
    said = " ".join(done.stderr.split())
    assert "Ignored (not copied): 1 folder (PROXY/) (listed in the report)." in said, said
    left_out = "1 of the card's folders was left out by an ignore pattern (PROXY/ first)"
    assert left_out in said, said
    data = json.loads(next(reports.glob("*.json")).read_text())
    assert data["ignored"] == [
        {"path": "PROXY", "reason": "matches ignore pattern /PROXY/", "kind": "folder"}
    ]
    assert left_out in data["card_release"]["text"]
    html = next(reports.glob("*.html"))
    page = browser.open(html)
    for text in (" ".join(page.text.split()), pdf_words(poppler, html.with_suffix(".pdf"))):
        assert "Ignored (not copied): 1 folder (PROXY/)" in text, text
        assert "PROXY/ — matches ignore pattern /PROXY/" in text, text
        assert left_out in text, text
        assert "1 entry" not in text, text


def test_a_flagged_row_comes_before_the_clean_rows(tmp_path: Path, media: Any) -> None:
    """ "Problems first" puts the rows flagged ⚠ of their own after the failures and before
    the clean rows: a sequence with a frame missing, named after a clean one, heads the
    clip list of the HTML (and the PDF: the same view). Failed before: it stayed in name
    order, after the clean sequence (QA: a gap on page 77 of 92)."""
    from offload.demo import write_sequence

    card = tmp_path / "A001"
    write_sequence(card / "A_CLEAN", "A_CLEAN", range(1, 6))
    write_sequence(card / "Z_GAPS", "Z_GAPS", range(1, 7), skip=frozenset({3}))
    dest = tmp_path / "D1"
    dest.mkdir()
    code, _, err = offload_cli(["copy", str(card), str(dest), "--report-dir", str(tmp_path / "r")])
    assert code == 0, err
    [page] = (tmp_path / "r").glob("*.html")
    names = re.findall(
        r'<td class="name"><div class="kind">[^<]*</div><b>([^<]*)</b>',
        page.read_text(encoding="utf-8"),
    )
    assert len(names) == 2, names
    assert names[0].startswith("Z_GAPS") and names[1].startswith("A_CLEAN"), names
