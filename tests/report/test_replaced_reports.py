"""``--overwrite`` replacing a file already at a copy's name: every report says which.

Before (QA, December 2026): the file that was there was gone, but the saved JSON (its
entry ``action`` ``copied``, no warning), the CSV, the HTML, the PDF and the terminal's
summary read as for any new copy: nothing recorded what had been replaced. Real files, the
real CLI, the HTML in headless Chromium, the PDF through pdftotext.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from report.helpers import Browser, copy_over_other_tools_file, offload_cli, pdf_words

CODE = "existing-replaced"


def test_the_files_overwrite_replaced_are_named_in_every_report(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    card, theirs, reports, argv = copy_over_other_tools_file(tmp_path, "--overwrite")
    code, out, err = offload_cli(argv)
    assert code == 0, out + err
    assert theirs.read_bytes() == (card / "CLIPS" / "C001.mov").read_bytes()
    (line,) = [text for text in (out + err).splitlines() if text.startswith("REPLACED: ")]
    assert "1 file already on" in line and str(theirs) in line and "C002" not in line

    (local,) = reports.glob("*.json")
    data: dict[str, Any] = json.loads(local.read_text())
    actions = {f["path"]: f["destinations"][0]["action"] for f in data["files"]}
    assert actions == {"CLIPS/C001.mov": "replaced", "CLIPS/C002.mov": "copied"}
    (warning,) = [w for w in data["warnings"] if w["code"] == CODE]
    assert warning["path"] == str(theirs)
    assert "replaced by the card's (--overwrite)" in warning["message"]
    assert "verified (read back)" in warning["message"]
    rows = csv.DictReader(io.StringIO(local.with_suffix(".csv").read_text()))
    assert {row["relative_path"]: row["action"] for row in rows} == actions

    page = browser.open(local.with_suffix(".html"))
    assert page.errors == []
    text = " ".join(page.text.split())
    assert "replaced by the card's (--overwrite)" in text and str(theirs) in text
    flat = pdf_words(poppler, local.with_suffix(".pdf"))
    assert "replaced by the card's" in flat, flat[:2000]

    # A re-run replaces nothing: the copy there is its own now.
    code, out, err = offload_cli(argv)
    assert code == 0, out + err
    assert "REPLACED" not in out + err
