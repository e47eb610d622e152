"""A re-run whose destination holds 2 copies an earlier run read back (trusted from the
ledger, not re-read) and 7 it reads back now is "verified, partly earlier" in the terminal's
summary, the HTML's and the PDF's destination Result, as ``offload history`` calls such a
run; one whose every copy was an earlier run's proof stays "verified earlier". Failed
before: "verified earlier" in the summary's result and "Verified earlier: 7 verified now, 2
verified earlier (not re-read)" in the documents, a word that says no copy there was read
back now. The JSON's counts say the same (its ``result`` stays "ok"). Real files, the real
CLI on a pty, the HTML in headless Chromium, the PDF through pdftotext."""

from __future__ import annotations

import json
import os
from pathlib import Path

from report.helpers import Browser, pdf_words
from tests.support.terminal import run_on_terminal

# The destinations' table cell in the HTML; "Result: " before it in the PDF's block.
PARTLY = "Verified, partly earlier: 7 verified now, 2 verified earlier (not re-read)"


def test_a_destination_mostly_verified_now_is_not_called_verified_earlier(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    card = tmp_path / "cards" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for n in range(2):
        (card / "CLIPS" / f"F{n}.bin").write_bytes(os.urandom(20_000))
    dest = tmp_path / "mnt" / "RAID"
    dest.mkdir(parents=True)
    first = run_on_terminal("copy", "-q", "--report-dir", tmp_path / "r1", card, dest)
    assert first.returncode == 0, first.text
    for n in range(2, 9):
        (card / "CLIPS" / f"F{n}.bin").write_bytes(os.urandom(20_000))

    reports = tmp_path / "r2"
    run = run_on_terminal("copy", "-q", "--report-dir", reports, card, dest, columns=70)

    assert run.returncode == 0, run.text
    results = [line.strip() for line in run.lines if line.startswith("  result: ")]
    assert results == ["result: verified, partly earlier"], run.text
    [local] = reports.glob("*.json")
    [entry] = json.loads(local.read_text())["destinations"]
    assert (entry["files_verified"], entry["files_verified_earlier"]) == (7, 2), entry
    assert entry["result"] == "ok"
    page = " ".join(browser.open(local.with_suffix(".html")).text.split())
    assert PARTLY in page, page[:3000]
    flat = pdf_words(poppler, local.with_suffix(".pdf"))
    assert f"Result: {PARTLY}" in flat, flat[:3000]
    assert "Verified earlier:" not in page + flat

    # Nothing new: every copy there an earlier run's proof, "verified earlier" alone.
    again = run_on_terminal("copy", "-q", "--report-dir", tmp_path / "r3", card, dest, columns=70)
    assert again.returncode == 0, again.text
    results = [line.strip() for line in again.lines if line.startswith("  result: ")]
    assert results == ["result: verified earlier"], again.text
    [local] = (tmp_path / "r3").glob("*.json")
    flat = pdf_words(poppler, local.with_suffix(".pdf"))
    assert "Result: Verified earlier: 9 verified earlier (not re-read)" in flat, flat[:3000]
