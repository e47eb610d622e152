"""Page 1 of the HTML/PDF folds a card's many empty files into one line, as the terminal's
``CARD CONTENT:`` line does (QA, thirty-ninth pass: 498 empty files, each its own line on
page 1, the terminal one line). A few (up to ``content.EMPTY_NAMED``) keep a line each; every
row of the clip list keeps its own mark; the CSV lists every file with its size. Real files,
the real CLI in-process, the PDF through pdftotext."""

from __future__ import annotations

import csv
import html
import io
import os
import re
from pathlib import Path

import pytest

from report.helpers import offload_cli, pdf_words

EMPTY = "EMPTY (0 bytes): nothing was recorded in it (a recording that failed)"


def _html_words(path: Path) -> str:
    text = re.sub(r"<style.*?</style>|<[^>]+>", " ", path.read_text(), flags=re.S)
    return " ".join(html.unescape(text).split())


@pytest.mark.parametrize("empties", [3, 12])
def test_page_one_folds_many_empty_files_into_one_line(
    tmp_path: Path, poppler: dict[str, str], empties: int
) -> None:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for n in range(empties):
        (card / "CLIPS" / f"E{n:02}.mov").write_bytes(b"")
    (card / "CLIPS" / "G.mov").write_bytes(os.urandom(5_000))
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    code, out, err = offload_cli(["copy", str(card), str(dest), "--report-dir", str(reports)])
    assert code == 0, out + err
    (local,) = reports.glob("*.json")
    page = _html_words(local.with_suffix(".html"))
    flat = pdf_words(poppler, local.with_suffix(".pdf"))
    # Each row of the clip list keeps its own mark.
    assert page.count(f"⚠ {EMPTY}") == empties, page
    folded = (
        f"{empties} files named as clips on the card are empty (0 bytes: nothing was recorded "
        "in them): CLIPS/E00.mov, CLIPS/E01.mov, CLIPS/E02.mov and 9 more (each marked on its "
        "row of the clip list; the CSV and JSON reports list every file with its size)"
    )
    for text in (page, flat):
        said = [n for n in range(empties) if f"CLIPS/E{n:02}.mov: {EMPTY}" in text]
        if empties > 3:
            assert said == [], said  # before: one page-1 line each
            assert folded in text, text[:3000]
        else:
            assert said == list(range(empties)), text[:3000]
            assert "files named as clips on the card are empty" not in text
    rows = list(csv.DictReader(io.StringIO(local.with_suffix(".csv").read_text())))
    sizes = {row["relative_path"]: row["size_bytes"] for row in rows}
    assert [p for p, size in sizes.items() if size == "0"] == [
        f"CLIPS/E{n:02}.mov" for n in range(empties)
    ], sizes
