"""A card of 2,000 DPX frames and 20 clips: the HTML + PDF reports in under 10 s of CPU beyond
the offload itself, small, with a sane page count. CPU time of this process, not wall time: a
loaded machine stretches wall time, while work that grows too fast (quadratic grouping, a
probe per frame) shows in the CPU time too."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from offload.card import offload
from offload.demo import ClipSpec, encode_clip, write_sequence
from offload.report.clips import group_clips
from offload.report.job_report import job_report_dict, write_reports
from report.helpers import Browser, pdf_info, pdf_text, pdf_words

REPORT_BUDGET_S = 10.0


def test_2000_frames_and_20_clips(
    tmp_path: Path, media: Any, browser: Browser, poppler: dict[str, str]
) -> None:
    card = tmp_path / "B002R7XY"
    for n in range(1, 21):
        name = f"B002C{n:03d}_261130_R7XY"
        clip = encode_clip(
            card, ClipSpec(f"CLIPS/{name}.mov", seconds=1.0, width=320, height=180, hue=n)
        )
        clip.with_suffix(".xml").write_text(f"<clip name='{name}'/>\n")
    assert write_sequence(card / "VFX" / "B002_plate", "B002_plate", range(0, 2000), width=64,
                          height=36) == 2000  # fmt: skip
    dests = [tmp_path / "RAID1", tmp_path / "RAID2"]
    for dest in dests:
        dest.mkdir()
    report = offload(card, dests)
    assert report.exit_code == 0

    started = time.process_time()
    written = write_reports(report, tmp_path / "reports")
    elapsed = time.process_time() - started
    assert len(written.paths) == 3
    assert not written.destination_errors and written.local_error is None
    print(f"\nreports (JSON, CSV, HTML, PDF into 3 folders) took {elapsed:.2f} s of CPU")
    assert elapsed < REPORT_BUDGET_S

    html = Path(written.paths[0]).with_suffix(".html")
    pdf = html.with_suffix(".pdf")
    assert html.stat().st_size < 1_000_000 and pdf.stat().st_size < 1_000_000
    print(f"HTML {html.stat().st_size:,} bytes, PDF {pdf.stat().st_size:,} bytes")
    names = [c.name for c in group_clips(job_report_dict(report)["files"])]
    assert "B002_plate.[0000000-0001999].dpx" in names and len(names) == 21
    page = browser.open(html)
    assert page.errors == [] and page.images == 21
    for name in names:
        assert name in page.text
    flat = pdf_words(poppler, pdf)
    for name in names:
        assert name in flat
    pages = int(pdf_info(poppler, pdf)["Pages"])
    assert 2 <= pages <= 8, pages
    # Never a row split across pages: a clip's name and its last line (its sidecar) and
    # its state on the last destination are on the same page.
    texts = [" ".join(t.split()) for t in pdf_text(poppler, pdf).split("\f")]
    for n in range(1, 21):
        name = f"B002C{n:03d}_261130_R7XY"
        on = [i for i, t in enumerate(texts) if f"{name}.mov" in t]
        assert len(on) == 1, (name, on)
        assert f"+ {name}.xml" in texts[on[0]]
        row = texts[on[0]][texts[on[0]].index(f"{name}.mov") :]
        assert "[2: RAID2] OK Verified now" in row
