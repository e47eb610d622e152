"""Reports of an earlier version, read by this one (``offload report JOB.json``): what they
do not give is never said as if they gave it.

The fixture is a real job report (a cascade: the card's fast copy on the card's own disk, a
second fast copy in a bucket, verified now, then a slow destination) without the
``cascade.card_kept_by_its_disk`` key, exactly as versions before that key wrote it (the one
key that version did not write). Real files, the real CLI, the HTML in headless Chromium,
the PDF through pdftotext.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from report.helpers import Browser, offload_cli, pdf_words

OLD = Path(__file__).parent.parent / "golden" / "old_reports"


def test_an_older_cascade_report_never_says_a_bucket_copy_was_not_read_back(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """Without ``card_kept_by_its_disk`` the cascade's sentence is read by the run's own
    rule (every local fast copy on the card's disk: the bucket never stands for the card).
    Failed before: "... destination 1 is on the card's own filesystem or disk, no backup of
    it, and no other copy there is recorded read back whole from its media (transfer-checked
    only, or read back through a cache)" of a bucket copy verified now (read back whole)."""
    job = tmp_path / "A001_2026-12-04_191425Z.json"
    shutil.copy(OLD / "cascade_before_card_kept_by_its_disk.json", job)
    data = json.loads(job.read_text())
    assert "card_kept_by_its_disk" not in data["cascade"]
    bucket = [f["destinations"][1] for f in data["files"]]
    assert {(d["status"], d["cache_bypass"]) for d in bucket} == {("verified", "remote")}, bucket

    html, pdf = tmp_path / "old.html", tmp_path / "old.pdf"
    code, out, err = offload_cli(["report", str(job), "--html", str(html), "--pdf", str(pdf)])
    assert code == 0, out + err
    sentence = (
        "the card NOT released: every file is on the fast destinations, but destination 1 is "
        "on the card's own filesystem or disk, no backup of it, so a re-run needs the card; "
        "destination 3 was then fed from the fast copies."
    )
    page = browser.open(html)
    assert page.errors == []
    text = " ".join(page.text.split())
    assert sentence in text, text[:3000]
    assert "read back whole" not in text, text[:3000]
    flat = pdf_words(poppler, pdf)
    assert "no backup of it, so a re-run needs the card" in flat, flat[:3000]
    assert "read back whole" not in flat, flat[:3000]


def test_an_older_cascade_report_still_says_what_its_fast_copies_lacked(tmp_path: Path) -> None:
    """The same report with the bucket made a local fast copy off the card's disk (as an
    older version wrote such a run): not every local fast copy is on the card's disk, so the
    sentence still says the other was not read back whole, as the run said then."""
    from offload.report.clips import group_clips
    from offload.report.content import build_view

    data = json.loads((OLD / "cascade_before_card_kept_by_its_disk.json").read_text())
    data["destinations"][1]["path"] = "/mnt/shuttle"
    view = build_view(data, group_clips(data["files"]), {}, [])
    (said,) = [w for w in view.warnings if w.startswith("Cascading copy:")]
    assert (
        "destination 1 is on the card's own filesystem or disk, no backup of it, and no other "
        "copy there is recorded read back whole from its media"
    ) in said, said
