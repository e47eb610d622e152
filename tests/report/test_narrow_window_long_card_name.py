"""The HTML report of a card with a long name (one word: a folder named by a camera or a
DIT's convention, ``DAY01_ACAM_A001_...``) in a narrow window (760 px, a phone's 390 px):
the page stays the window's width, its title, the line under the verdict and the footer
wrapped, the clip table scrolling in its own box; the name is whole in the page's text. A
real offload, the HTML in headless Chromium."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from report.helpers import Browser, offload_cli

NAME = "DAY01_ACAM_A001_C001_20261207_ALEXA35_SN12345_SHUTTLE_CARD_NUMBER_ONE"

# The window's width, the page's, and the clip table box's right edge.
MEASURE = (
    "JSON.stringify([document.documentElement.clientWidth, document.documentElement.scrollWidth,"
    " Math.round(document.querySelector('table.clips').parentElement"
    ".getBoundingClientRect().right)])"
)


@pytest.mark.parametrize("width", [760, 390])
def test_a_long_card_name_keeps_the_page_in_a_narrow_window(
    tmp_path: Path, browser: Browser, width: int
) -> None:
    """Failed before: the title "Offload report: <name>" and the line under the verdict
    did not wrap: at 760 px the page was wider than the window (scrollWidth >
    clientWidth), the clip table's box with it."""
    card = tmp_path / NAME
    (card / "CLIPS").mkdir(parents=True)
    for number in range(2):
        (card / "CLIPS" / f"A001C00{number}_261207_R1AB.mov").write_bytes(os.urandom(3000))
    dests = [tmp_path / "SHUTTLE_1", tmp_path / "RAID_2"]
    for dest in dests:
        dest.mkdir()
    reports = tmp_path / "r"
    code, _, err = offload_cli(["copy", str(card), *map(str, dests), "--report-dir", str(reports)])
    assert code == 0, err
    html = next(reports.glob("*.html"))
    page = browser.open(html, width=width, measure=MEASURE)
    window, document, box_right = json.loads(page.measured)
    assert window <= width, (window, width)
    assert document <= window, (document, window, width)
    assert box_right <= window, (box_right, window)
    assert not page.errors, page.errors
    # Wrapped, never cut: the name whole in the page's text (its title and the line under
    # the verdict), as are the clips.
    assert page.text.count(NAME) >= 2, page.text
    assert "A001C000_261207_R1AB.mov" in page.text
