"""Clip grouping as a producer reads it: a real offload, the HTML in headless Chromium and
the PDF through poppler (proxies under their clips, a raw clip's proxy, an audio take)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from offload.demo import ClipSpec, encode_clip
from report.helpers import Browser, offload_cli, pdf_text

MIRRORED = (
    "Clips/A001R1AB/A001C001_250101_R1AB.mov",
    "Clips/A001R1AB/A001C002_250101_R1AB.mov",
    "Proxies/A001R1AB/A001C001_250101_R1AB.mov",
    "Proxies/A001R1AB/A001C002_250101_R1AB.mov",
)


def _texts(tmp_path: Path, card: Path, browser: Browser, poppler: dict[str, str]) -> list[str]:
    """The HTML's text as Chromium shows it and the PDF's as pdftotext reads it, each with
    its runs of white space made one space."""
    dests = [tmp_path / "D1", tmp_path / "D2"]
    for dest in dests:
        dest.mkdir()
    code, _, err = offload_cli(
        ["copy", str(card), *map(str, dests), "--report-dir", str(tmp_path / "r")]
    )
    assert code == 0, err
    html = sorted((tmp_path / "r").glob("*.html"))[-1]
    page = browser.open(html)
    assert page.errors == []
    return [
        " ".join(page.text.split()),
        " ".join(pdf_text(poppler, html.with_suffix(".pdf")).split()),
    ]


def test_mirrored_proxies_and_a_raw_clips_video_are_listed_under_their_clips(
    tmp_path: Path, browser: Browser, poppler: dict[str, str], media: Any
) -> None:
    """The acceptance pass's cards: proxies in a folder mirroring the clip folders were four
    clips, each name twice; Nikon's ``DSC_0001.NEV`` with its ``DSC_0001.MP4`` was one row
    "DSC_0001.MP4 (+1 spans)" with the NEV as its span."""
    card = tmp_path / "card"
    for path in MIRRORED:
        (card / path).parent.mkdir(parents=True, exist_ok=True)
        (card / path).write_text(path + "\n")
    encode_clip(card, ClipSpec("DCIM/100NCZ_9/DSC_0001.MP4", seconds=1.0))
    (card / "DCIM/100NCZ_9/DSC_0001.NEV").write_bytes(b"nraw\n")
    for text in _texts(tmp_path, card, browser, poppler):
        for clip in ("A001C001_250101_R1AB.mov", "A001C002_250101_R1AB.mov"):
            # the row, and its proxy under it; never a row in Proxies/ of its own
            assert text.count(clip) == 2, text
            assert f"Proxies/A001R1AB/{clip} (42 B)" in text, text
        assert "Proxies/A001R1AB/ " not in text
        assert "spans" not in text and "(span," not in text
        assert "DSC_0001.NEV" in text and "DSC_0001.MP4 (" in text
        assert text.index("DSC_0001.NEV") < text.index("DSC_0001.MP4 (")
