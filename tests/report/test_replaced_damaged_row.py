"""A copy of ours found damaged and replaced in this run (``--reverify`` reading it back, or
a plain re-run finding its date changed and reading it back) has a mark on its clip row in
the HTML and the PDF: what was found there and what was done, beside its "Verified now",
where the row said "Verified now" alone and only page 1's warning told of the damage. The
other clip's row has no such mark. Real offloads of a real card, the copy damaged on disk;
the HTML in headless Chromium, the PDF through pdftotext."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from report.helpers import Browser, offload_cli, pdf_words
from support.nobody import WITHOUT_DAC
from support.offload_cli import offloaded_card, run_offload
from support.requirements import require_root, require_tool

# What the row of such a copy adds to its state (``content.REPLACED_DAMAGED_ROW``'s start).
REPLACED = "replaced this run: the copy found there was damaged"
# Each clip row's text (the clip table's body), in the page's order.
ROWS = "[...document.querySelectorAll('table.clips tbody tr')].map(r => r.innerText)"


@pytest.mark.parametrize("reverify", [True, False], ids=["reverify", "date-changed"])
def test_a_damaged_copy_replaced_this_run_is_marked_on_its_row(
    tmp_path: Path, browser: Browser, poppler: dict[str, str], reverify: bool
) -> None:
    """Failed before: the replaced clip's row said "✔ Verified now" and nothing else."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for number in range(2):
        (card / "CLIPS" / f"A001C00{number}.mov").write_bytes(os.urandom(300_000))
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, _, err = offload_cli(
        ["copy", "-q", str(card), str(dest), "--report-dir", str(tmp_path / "r1")]
    )
    assert code == 0, err
    damaged = dest / "A001" / "CLIPS" / "A001C000.mov"
    before = damaged.stat()
    data = bytearray(damaged.read_bytes())
    data[1000] ^= 0xFF  # one byte flipped, its size the same
    damaged.write_bytes(bytes(data))
    if reverify:  # its date kept: only --reverify reads it back
        os.utime(damaged, ns=(before.st_atime_ns, before.st_mtime_ns))
    reports = tmp_path / "r2"
    extra = ["--reverify"] if reverify else []
    code, _, err = offload_cli(["copy", str(card), str(dest), *extra, "--report-dir", str(reports)])
    assert code == 0, err
    assert "COPY FOUND DAMAGED" in err and "replaced by a new copy" in err, err
    job_path = next(reports.glob("*.json"))
    job = json.loads(job_path.read_text())
    assert [w["path"] for w in job["warnings"] if w["code"] == "copy-no-longer-matches"] == [
        str(damaged)
    ]
    page = browser.open(job_path.with_suffix(".html"), measure=ROWS)
    assert page.errors == []
    rows = [" ".join(row.split()) for row in page.measured]
    (replaced,) = [row for row in rows if "A001C000.mov" in row]
    (other,) = [row for row in rows if "A001C001.mov" in row]
    assert f"Verified now; {REPLACED}" in replaced, replaced
    assert "replaced" not in other and "damaged" not in other, other
    pdf = pdf_words(poppler, job_path.with_suffix(".pdf"))
    assert REPLACED in pdf, pdf
    assert pdf.count("replaced this run") == 1, pdf


def test_the_mark_of_more_replaced_copies_than_page_1_lists_says_where_each_is_told(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    """25 copies found damaged (``--reverify``): page 1 lists 20 of their warnings and counts
    the other 5, so the mark on each of the 25 rows says where every one is told (the JSON
    report) and that page 1 lists the first 20. Failed before: each row said "the warning on
    page 1 says how it differed", 5 of them of a warning page 1 does not show."""
    card = tmp_path / "A001"
    card.mkdir()
    for number in range(25):
        (card / f"A001C{number:03d}.mov").write_bytes(os.urandom(4_000))
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, _, err = offload_cli(
        ["copy", "-q", str(card), str(dest), "--report-dir", str(tmp_path / "r1")]
    )
    assert code == 0, err
    for copy in (dest / "A001").glob("*.mov"):
        before = copy.stat()
        data = bytearray(copy.read_bytes())
        data[100] ^= 0xFF
        copy.write_bytes(bytes(data))
        os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))
    reports = tmp_path / "r2"
    code, _, err = offload_cli(
        ["copy", "-q", str(card), str(dest), "--reverify", "--report-dir", str(reports)]
    )
    assert code == 0, err
    job_path = next(reports.glob("*.json"))
    job = json.loads(job_path.read_text())
    assert sum(w["code"] == "copy-no-longer-matches" for w in job["warnings"]) == 25
    pdf = pdf_words(poppler, job_path.with_suffix(".pdf"))
    assert "… and 5 more warnings like these (copy-no-longer-matches)" in pdf, pdf
    told = "the JSON report's warnings say how it differed, page 1 lists the first 20"
    assert pdf.count(told) == 25, pdf
    assert "the warning on page 1 says" not in pdf, pdf


def test_an_unreadable_copy_replaced_this_run_is_marked_on_its_row(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    """``--reverify`` cannot read a copy of ours (mode 000, read by a root without
    ``CAP_DAC_OVERRIDE``): a new copy is written in its place, and its row says so, never
    "damaged". Failed before: the row said "Verified now" alone."""
    require_root("a mode that stops root once its capabilities are dropped")
    require_tool("setpriv")
    disk = offloaded_card(tmp_path, clip="A001C{:03d}.mov")
    copy = disk / "A001" / "CLIPS" / "A001C001.mov"
    copy.chmod(0)
    # Not "jobs", where offloaded_card left the first run's report: next(glob) would
    # pick either (directory order), and the first has no such warning.
    reports = tmp_path / "rerun"
    done = run_offload(
        "copy",
        "-q",
        "--reverify",
        "--report-dir",
        reports,
        tmp_path / "A001",
        disk,
        prefix=WITHOUT_DAC,
        timeout_s=60,
    )
    assert done.returncode == 0, done.stderr
    job_path = next(reports.glob("*.json"))
    job = json.loads(job_path.read_text())
    assert [w["path"] for w in job["warnings"] if w["code"] == "copy-unreadable"] == [str(copy)]
    pdf = pdf_words(poppler, job_path.with_suffix(".pdf"))
    marked = (
        "Verified now; replaced this run: the copy found there could not be read back (not "
        "found damaged) and a new copy was written in its place"
    )
    assert pdf.count(marked) == 1, pdf
    assert "replaced this run: the copy found there was damaged" not in pdf, pdf
