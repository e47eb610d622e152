"""A destination whose copies were read back only by ``--reverify`` (copies already there,
nothing written) states the time it spent reading them back: the JSON's ``verify_s`` (its
files' read-backs summed, as docs/json.md says), the HTML's and the PDF's "Time". A real
offload, then a real ``--reverify`` run; the HTML in headless Chromium, the PDF through
pdftotext."""

from __future__ import annotations

import json
import os
from pathlib import Path

from report.helpers import Browser, offload_cli, pdf_words


def test_a_destination_read_back_only_by_reverify_shows_its_time(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """Failed before: the destination's ``verify_s`` was 0.0 beside its files' read-backs
    (each ``verify_s`` > 0, ``action`` ``rechecked``), and the HTML's and PDF's "Time" of
    that destination were empty."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for number in range(3):
        (card / "CLIPS" / f"A001C00{number}.mov").write_bytes(os.urandom(1 << 20))
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, _, err = offload_cli(
        ["copy", "-q", str(card), str(dest), "--report-dir", str(tmp_path / "r1")]
    )
    assert code == 0, err
    reports = tmp_path / "r2"
    code, _, err = offload_cli(
        ["copy", str(card), str(dest), "--reverify", "--report-dir", str(reports)]
    )
    assert code == 0, err
    job_path = next(reports.glob("*.json"))
    job = json.loads(job_path.read_text())
    copies = [f["destinations"][0] for f in job["files"]]
    assert {c["action"] for c in copies} == {"rechecked"}, copies
    read = sum(c["verify_s"] for c in copies)
    assert read > 0, copies
    (summary,) = job["destinations"]
    assert summary["bytes_written"] == 0 and summary["copy_s"] == 0, summary
    assert abs(summary["verify_s"] - read) < 1e-5, (summary["verify_s"], read)
    page = browser.open(
        job_path.with_suffix(".html"),
        measure="[...document.querySelectorAll('h2')].find(h => h.textContent === 'Destinations')"
        ".nextElementSibling.innerText",
    )
    assert page.errors == []
    assert "reading back" in page.measured, page.measured
    pdf = pdf_words(poppler, job_path.with_suffix(".pdf"))
    assert "reading back Speed:" in pdf, pdf
