"""``offload copy``'s summary names the HTML and PDF reports it wrote beside its JSON report,
as ``make demo`` and ``offload report`` do, and only those written. A real offload in a
subprocess; the documents' writer with a real folder in the way of one of them.

Failed before (QA, "the first hour"): only ``Report: ….json`` was named; the HTML and PDF
were there, unnamed."""

from __future__ import annotations

from pathlib import Path

from offload.report.documents import write_beside_json
from support.cards import clips_card
from support.offload_cli import run_offload


def test_the_summary_names_the_html_and_pdf_reports_it_wrote(tmp_path: Path) -> None:
    card = clips_card(tmp_path, 2, 20_000)
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    done = run_offload("copy", "--report-dir", reports, card, dest, timeout_s=120)
    assert done.returncode == 0, done.stderr
    (job,) = reports.glob("*.json")
    html, pdf = job.with_suffix(".html"), job.with_suffix(".pdf")
    assert html.is_file() and pdf.is_file()
    # The JSON's line stays the last (scripts read it), the documents' just above it.
    assert done.stderr.splitlines()[-3:] == [
        f"HTML report: {html}",
        f"PDF report: {pdf}",
        f"Report: {job}",
    ], done.stderr


def test_only_the_documents_written_are_named(tmp_path: Path) -> None:
    """A folder where the PDF would go: the HTML is written and named as written, the PDF
    is not (its note says why), never named as written."""
    job = tmp_path / "A001.json"
    (tmp_path / "A001.pdf").mkdir()
    published: list[Path] = []
    notes = write_beside_json([(".html", b"<html>"), (".pdf", b"%PDF")], [job], published)
    assert published == [tmp_path / "A001.html"], (published, notes)
    assert len(notes) == 1 and "A001.pdf" in notes[0], notes
