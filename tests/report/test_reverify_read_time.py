"""A destination whose copies were read back only by ``--reverify`` (copies already there,
nothing written) states the time it spent reading them back: the JSON's ``verify_before_s``
(its files' read-backs summed, as docs/json.md says), the HTML's and the PDF's "Time". A real
offload, then a real ``--reverify`` run; the HTML in headless Chromium, the PDF through
pdftotext."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from report.helpers import Browser, offload_cli, pdf_words


def test_a_destination_read_back_only_by_reverify_shows_its_time(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """Failed before reportlow69: the destination's ``verify_s`` was 0.0 beside its files'
    read-backs (each ``verify_s`` > 0, ``action`` ``rechecked``), and the HTML's and PDF's "Time" of
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
    # Its own field (docs/json.md): no job's read-back, so never in verify_s or the span.
    assert abs(summary["verify_before_s"] - read) < 1e-5, (summary["verify_before_s"], read)
    assert summary["verify_s"] == 0 and summary["span_s"] == 0, summary
    page = browser.open(
        job_path.with_suffix(".html"),
        measure="[...document.querySelectorAll('h2')].find(h => h.textContent === 'Destinations')"
        ".nextElementSibling.innerText",
    )
    assert page.errors == []
    assert "reading back copies already there, before the copy" in page.measured, page.measured
    pdf = pdf_words(poppler, job_path.with_suffix(".pdf"))
    assert "reading back copies already there, before the copy Speed:" in pdf, pdf


def test_read_backs_before_the_copy_are_said_outside_the_span(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """A card copied, a new clip added, ``--reverify``: the copies already there are read
    back before the new one is written. Their time is the JSON's ``verify_before_s`` and is
    said after the span's brackets, never inside them. Failed before: ``verify_s`` held it,
    and the HTML and PDF printed it as "reading back" inside the brackets of a span that
    starts at the first write (0.5 s of read-back within "under 0.1 s from first write")."""
    card = tmp_path / "A001"
    card.mkdir()
    for number in range(3):
        (card / f"A001C00{number}.mov").write_bytes(os.urandom(4 << 20))
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, _, err = offload_cli(
        ["copy", "-q", str(card), str(dest), "--report-dir", str(tmp_path / "r1")]
    )
    assert code == 0, err
    (card / "A001C009.mov").write_bytes(os.urandom(1 << 20))
    reports = tmp_path / "r2"
    code, _, err = offload_cli(
        ["copy", "-q", str(card), str(dest), "--reverify", "--report-dir", str(reports)]
    )
    assert code == 0, err
    job_path = next(reports.glob("*.json"))
    job = json.loads(job_path.read_text())
    copies = {f["path"]: f["destinations"][0] for f in job["files"]}
    before = sum(c["verify_s"] for c in copies.values() if c["action"] == "rechecked")
    written = [c for c in copies.values() if c["action"] == "copied"]
    assert len(written) == 1 and before > 0, copies
    (summary,) = job["destinations"]
    # The job's own read-back: the new copy's alone.
    assert abs(summary["verify_s"] - written[0]["verify_s"]) < 1e-5, summary
    assert abs(summary.get("verify_before_s", 0) - before) < 1e-5, (summary, before)
    assert summary["span_s"] > 0, summary
    page = browser.open(
        job_path.with_suffix(".html"),
        measure="[...document.querySelectorAll('h2')].find(h => h.textContent === 'Destinations')"
        ".nextElementSibling.innerText",
    )
    assert page.errors == []
    shown = " ".join(page.measured.split())
    # The span, its phases in brackets, then the read-backs before the copy after them.
    assert re.search(
        r" s from first write to last copy done \([^()]*reading back, overlapping\); "
        r"(under )?[\d.]+ s reading back copies already there, before the copy",
        shown,
    ), shown
    pdf = pdf_words(poppler, job_path.with_suffix(".pdf"))
    # The PDF draws the same words (``content``'s one string; the HTML checks their order:
    # pdftotext may set a wrapped cell's lines among its neighbours').
    assert "overlapping)" in pdf, pdf
    assert "reading back copies already there, before the copy" in pdf, pdf
