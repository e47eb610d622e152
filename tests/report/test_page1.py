"""Page 1 and the rows, as a producer reads them: may the card be formatted, a re-offload
refused only for the camera's index files, the digests of copies trusted from the ledger,
long names in the PDF and the HTML. Real offloads; the HTML in headless Chromium, the PDF
through pdftotext."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from report.helpers import Browser, offload_cli, pdf_text

SEQUENCE = "A001C003_240101_R2EC"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def canon_card(root: Path) -> Path:
    """A Canon C70 card: a clip folder, the card's index file, and a long sequence name."""
    card = root / "C70CARD"
    _write(card / "CONTENTS/CLIPS001/INDEX.MIF", b"index: 1 clip")
    _write(card / "CONTENTS/CLIPS001/A001C001/A001C001.MXF", os.urandom(5000))
    for frame in range(1, 9):
        _write(card / SEQUENCE / f"{SEQUENCE}.{frame:07d}.arx", os.urandom(100))
    return card


def offload(args: list[str], reports: Path) -> tuple[int, str, dict[str, Any], Path]:
    code, _, err = offload_cli(["copy", *args, "--report-dir", str(reports)])
    job_path = sorted(reports.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)[-1]
    return code, err, json.loads(job_path.read_text()), job_path


def page_one(browser: Browser, poppler: dict[str, str], job_path: Path) -> tuple[str, str]:
    """The HTML as rendered up to the production table, and the PDF's text up to it."""
    html = browser.open(job_path.with_suffix(".html"))
    assert not html.errors
    pdf = pdf_text(poppler, job_path.with_suffix(".pdf"))
    return html.text.split("Production")[0], pdf.split("Production")[0]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_card_may_be_formatted_only_with_a_verified_copy_on_another_disk(
    tmp_path: Path,
    memory_card: Path,
    disk_folder: Path,
    browser: Browser,
    poppler: dict[str, str],
) -> None:
    card = canon_card(memory_card)
    dest = disk_folder / "RAID"
    dest.mkdir()
    code, err, job, job_path = offload([str(card), str(dest)], tmp_path / "r1")
    assert code == 0, err
    assert job["card_release"]["may_format"] is True
    said = "The card may be formatted: every file is verified (read back) on 1 disk other than"
    assert said in flat(err)  # the terminal says it under the verdict
    html, pdf = page_one(browser, poppler, job_path)
    assert said in flat(html)
    assert said in flat(pdf)

    # A copy never read back proves nothing about the media: keep the card.
    other = disk_folder / "RAID2"
    other.mkdir()
    code, err, job, job_path = offload(
        [str(card), str(other), "--verify", "transfer"], tmp_path / "r2"
    )
    assert code == 0, err
    assert job["card_release"]["may_format"] is False
    html, pdf = page_one(browser, poppler, job_path)
    for text in (html, pdf, err):
        assert "Do not format the card: 10 of 10 files" in flat(text)
        assert "only transfer-checked" in flat(text)
        assert "may be formatted" not in text


def test_a_copy_on_the_cards_own_disk_keeps_the_card(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    card = canon_card(tmp_path / "card")
    dests = [tmp_path / "A", tmp_path / "B"]
    for dest in dests:
        dest.mkdir()
    code, err, job, job_path = offload([str(card), *map(str, dests)], tmp_path / "r")
    assert code == 0, err
    release = job["card_release"]
    assert release["may_format"] is False
    expected = "Do not format the card: no destination is on a disk other than the card's"
    assert expected in release["text"]
    assert "on the card's own disk" in release["text"]
    html, pdf = page_one(browser, poppler, job_path)
    assert "ALL COPIES VERIFIED" in html  # the copies are verified; the card must stay
    for text in (html, pdf):
        assert "Do not format the card" in text and "formatted" not in text


@pytest.mark.parametrize("index", ["CONTENTS/CLIPS001/INDEX.MIF", "LASTCLIP.TXT"])
def test_a_card_that_shot_more_says_only_its_index_changed(
    tmp_path: Path,
    memory_card: Path,
    disk_folder: Path,
    browser: Browser,
    poppler: dict[str, str],
    index: str,
) -> None:
    card = canon_card(memory_card)
    _write(card / index, b"index: 1 clip")
    dest = disk_folder / "RAID"
    dest.mkdir()
    code, err, _, _ = offload([str(card), str(dest)], tmp_path / "r1")
    assert code == 0, err
    # The camera recorded another clip and rewrote its index.
    _write(card / "CONTENTS/CLIPS001/A001C002/A001C002.MXF", os.urandom(5000))
    _write(card / index, b"index: 2 clips, longer")
    code, err, job, job_path = offload([str(card), str(dest)], tmp_path / "r2")
    assert code == 1, err  # never overwritten unasked; the exit code stays a failure
    release = job["card_release"]
    assert release["may_format"] is False
    assert release["index_files_changed"] == [index]
    html, pdf = page_one(browser, poppler, job_path)
    for text in (flat(html), flat(pdf), flat(err)):
        assert f"only the card's index file {index} differs from the one already on a" in text
        assert "all clips are safe" in text
        assert "run the same offload again with --overwrite" in text
    assert (dest / card.name / index).read_bytes() == b"index: 1 clip"

    code, err, job, job_path = offload([str(card), str(dest), "--overwrite"], tmp_path / "r3")
    assert code == 0, err
    assert (dest / card.name / index).read_bytes() == b"index: 2 clips, longer"
    assert job["card_release"]["may_format"] is True


def test_the_pdf_wraps_a_long_sequence_name_between_its_parts(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    card = canon_card(tmp_path / "card")
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, err, _, job_path = offload([str(card), str(dest)], tmp_path / "r")
    assert code == 0, err
    text = pdf_text(poppler, job_path.with_suffix(".pdf"))
    # Too long for the clip column: wrapped at a separator, never inside the extension
    # (it was "...R2EC.[0000001-0000008].a" / "rx").
    assert f"{SEQUENCE}." in text
    assert "].arx" in text
    assert not re.search(r"\.a\s*\nrx", text)


def test_a_rerun_shows_the_recorded_digests(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    card = canon_card(tmp_path / "card")
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, err, first, _ = offload([str(card), str(dest)], tmp_path / "r1")
    assert code == 0, err
    clip = next(f for f in first["files"] if f["path"].endswith("A001C001.MXF"))
    digest = clip["digests"]["xxh64"]
    code, err, job, job_path = offload([str(card), str(dest)], tmp_path / "r2")
    assert code == 0, err
    again = next(f for f in job["files"] if f["path"].endswith("A001C001.MXF"))
    assert again["destinations"][0]["status"] == "verified_earlier"
    html = flat(browser.open(job_path.with_suffix(".html")).text)
    pdf = flat(pdf_text(poppler, job_path.with_suffix(".pdf")))
    for text in (html, pdf):
        assert f"xxh64 {digest} (recorded earlier, not re-read)" in text


def test_a_failed_row_with_a_long_path_keeps_the_clip_table_in_the_window(
    tmp_path: Path, browser: Browser
) -> None:
    card = tmp_path / "card"
    deep = "/".join(["A_VERY_LONG_FOLDER_NAME_WITHOUT_SPACES_0123456789"] * 4)
    _write(card / deep / "A001C001.MXF", os.urandom(2000))
    _write(card / "A001C002.MXF", os.urandom(1000))
    dests = [tmp_path / "RAID1", tmp_path / "RAID2"]
    for dest in dests:
        dest.mkdir()
    # On the first destination the clip is already there with other content: it fails,
    # and the error names its long path. (Beside a copy of the card's other clip keeping
    # its dates, as a run killed before its ledger's first line leaves it: a folder of
    # nothing but another file at a card file's name is refused whole, card_folder.)
    _write(dests[0] / "card" / deep / "A001C001.MXF", b"someone else's clip")
    shutil.copy2(card / "A001C002.MXF", dests[0] / "card" / "A001C002.MXF")
    code, err, _, job_path = offload([str(card), *map(str, dests)], tmp_path / "r")
    assert code == 1, err
    page = browser.open(
        job_path.with_suffix(".html"),
        width=1100,
        measure="JSON.stringify([document.querySelector('table.clips').scrollWidth,"
        " document.documentElement.clientWidth, document.documentElement.scrollWidth])",
    )
    table, window, document = json.loads(page.measured)
    assert window <= 1100
    assert table <= window and document <= window, (table, window, document)
    assert "Destination 2: RAID2" in page.text


@pytest.mark.parametrize("width", [700, 400])
def test_a_narrow_window_shows_the_page_at_its_width_the_wide_tables_scrolling(
    tmp_path: Path, browser: Browser, width: int
) -> None:
    """A phone's mail, a narrow window: the page is the window's width and the tables that
    need more (the destinations' ten columns, the clip list) scroll in their own box.
    Failed before: at 700 px the destinations table made the page 778 px wide, its last
    columns (speed, bytes written) off screen. Every column is still in the page's text."""
    card = tmp_path / "card"
    _write(card / "A001C001.MXF", os.urandom(2000))
    dests = [tmp_path / "RAID1", tmp_path / "SHUTTLE_DRIVE_2"]
    for dest in dests:
        dest.mkdir()
    code, err, _, job_path = offload([str(card), *map(str, dests)], tmp_path / "r")
    assert code == 0, err
    page = browser.open(
        job_path.with_suffix(".html"),
        width=width,
        measure="JSON.stringify([document.documentElement.clientWidth,"
        " document.documentElement.scrollWidth])",
    )
    window, document = json.loads(page.measured)
    assert window <= width and document <= window, (window, document)
    assert not page.errors, page.errors
    for column in ("Speed", "Written", "Destination 2: SHUTTLE_DRIVE_2"):
        assert column in page.text


# Each clip name's rendered lines and width, the clip table's width and the window's.
_CLIP_NAMES = (
    "JSON.stringify([Array.from(document.querySelectorAll('table.clips td.name b')).map("
    "e => [e.textContent, e.getClientRects().length, Math.round(e.getBoundingClientRect().width)]),"
    " document.documentElement.clientWidth, document.documentElement.scrollWidth])"
)


@pytest.mark.parametrize("width", [1280, 900])
def test_a_long_clip_name_keeps_a_readable_column_beside_four_destinations(
    tmp_path: Path, browser: Browser, width: int
) -> None:
    """Four destinations' columns beside the clip column: a 60-character clip name wraps on
    at most 3 lines in a column at least 180 px wide, a short one on 1; the page stays the
    window's width (the clip table scrolls in its own box where it needs more). Failed
    before: no width of its own, the column was squeezed: at 900 px the long name stood 13
    lines of ~4 letters (47 px), ``B002C003.MXF`` 3 lines."""
    card = tmp_path / "card"
    long_name = "A001C001_230615_R1AB_LONG_DESCRIPTIVE_NAME_SCENE12_TAKE3.MXF"
    spaced = "Interview with the director, second camera angle.mov"
    for name in (long_name, spaced, "B002C003.MXF"):
        _write(card / "CLIPS" / name, os.urandom(2000))
    dests = [tmp_path / f"SHUTTLE_DRIVE_{n}" for n in range(1, 5)]
    for dest in dests:
        dest.mkdir()
    code, err, _, job_path = offload([str(card), *map(str, dests)], tmp_path / "r")
    assert code == 0, err
    page = browser.open(job_path.with_suffix(".html"), width=width, measure=_CLIP_NAMES)
    names, window, document = json.loads(page.measured)
    shown = {name: (lines, px) for name, lines, px in names}
    assert set(shown) == {long_name, spaced, "B002C003.MXF"}, shown
    assert shown["B002C003.MXF"][0] == 1, shown
    for name in (long_name, spaced):
        lines, px = shown[name]
        assert lines <= 3 and px >= 180, (name, lines, px, width)
    assert document <= window <= width, (document, window)
    assert not page.errors, page.errors


def test_the_pdf_keeps_the_extension_of_a_long_name_without_a_separator_whole(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    """A name of 251 letters and ``.mov`` (no ``_``, ``-`` or ``.`` to break at before its
    extension): its rows wrap it one letter before the dot, the extension whole on its line
    with what precedes it. Failed before (QA): "WWW…W.mo" / "v"."""
    card = tmp_path / "card" / "A001"
    name = "W" * 251 + ".mov"
    _write(card / name, os.urandom(1000))
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, err, _, job_path = offload([str(card), str(dest), "--verify", "transfer"], tmp_path / "r")
    assert code == 0, err
    text = pdf_text(poppler, job_path.with_suffix(".pdf"))
    assert "W.mov" in text, text
    assert not re.search(r"\.(m|mo)\s*\n", text), text
