"""The headline's words of copies read back through a cache have one reading: those an
earlier run read back through a cache (its ledger entries say so; not re-read now) are said
to be that run's reads, apart from those this run read back through a cache. Before, the
terminal said "2 earlier (not re-read, 2 of them through a cache)" and the HTML/PDF verdict
"(2 of 4 verified earlier, not re-read; 4 of 4 read back through a cache)": read as this
run's reads. Real runs to tmpfs folders (``/dev/shm``: no cache to drop, ``cache_bypass``
``none``): a terminal through a real process, the HTML in headless Chromium, the PDF
through pdftotext."""

from __future__ import annotations

import os
from pathlib import Path

from report.helpers import Browser, pdf_words
from support.offload_cli import run_offload

EARLIER = "2 of them read back through a cache by the earlier run, not from the media"


def test_copies_read_through_a_cache_earlier_and_now_are_said_apart(
    tmp_path: Path, memory_card: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    card = tmp_path / "A001"
    card.mkdir()
    for number in range(2):
        (card / f"A001C00{number}.mov").write_bytes(os.urandom(200_000))
    first, second = memory_card / "SHM1", memory_card / "SHM2"
    first.mkdir()
    second.mkdir()
    done = run_offload("copy", "-q", "--report-dir", tmp_path / "r1", card, first)
    assert done.returncode == 0, done.stderr
    reports = tmp_path / "r2"
    again = run_offload("copy", "--report-dir", reports, card, first, second)
    assert again.returncode == 0, again.stderr
    said = " ".join((again.stdout + again.stderr).split())
    assert f"2 earlier (not re-read, {EARLIER})" in said, said
    assert "not re-read, 2 of them through a cache" not in said, said
    job_path = next(reports.glob("*.json"))
    verdict = (
        f"ALL COPIES VERIFIED (2 of 4 verified earlier, not re-read, {EARLIER}; 2 of 4 read "
        "back now through a cache)"
    )
    page = browser.open(
        job_path.with_suffix(".html"), measure="document.querySelector('.verdict').innerText"
    )
    assert page.errors == []
    assert " ".join(page.measured.split()) == f"✔ {verdict}", page.measured
    pdf = pdf_words(poppler, job_path.with_suffix(".pdf"))
    assert verdict in pdf, pdf


def test_a_transfer_run_says_the_earlier_runs_cache_reads_as_that_runs(
    tmp_path: Path, memory_card: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """``--verify transfer`` to copies an earlier run read back through a cache and to a new
    folder: the verdict says those reads were the earlier run's, as the terminal does, and
    page 1's cache warning says when they were read. Before, the verdict said only "2 of 4
    verified earlier, not re-read" and the warning "now, or by the earlier run", undivided."""
    card = tmp_path / "A001"
    card.mkdir()
    for number in range(2):
        (card / f"A001C00{number}.mov").write_bytes(os.urandom(200_000))
    first = memory_card / "SHM1"
    first.mkdir()
    done = run_offload("copy", "-q", "--report-dir", tmp_path / "r1", card, first)
    assert done.returncode == 0, done.stderr
    disk = tmp_path / "DISK"
    disk.mkdir()
    reports = tmp_path / "r2"
    again = run_offload("copy", "--verify", "transfer", "--report-dir", reports, card, first, disk)
    assert again.returncode == 0, again.stderr
    said = " ".join((again.stdout + again.stderr).split())
    assert EARLIER in said, said
    job_path = next(reports.glob("*.json"))
    verdict = (
        "COPIED, TRANSFER-CHECKED ONLY: 2 of 4 copies were never read back (2 of 4 verified "
        f"earlier, not re-read, {EARLIER})"
    )
    page = browser.open(
        job_path.with_suffix(".html"), measure="document.querySelector('.verdict').innerText"
    )
    assert page.errors == []
    assert " ".join(page.measured.split()) == f"≈ {verdict}", page.measured
    pdf = pdf_words(poppler, job_path.with_suffix(".pdf"))
    assert verdict in pdf, pdf
    assert "could not be dropped; by the earlier run the ledger records, not now)" in pdf, pdf
    assert "now, or by the earlier run" not in pdf, pdf
