"""Words of a run that reads nothing back, or of pictures that do not decode, held to what
happened (QA): a ``--verify transfer`` run's "Disk" line spoke of "read-backs in parallel",
though none ran; a frame file of an image sequence that does not decode was said to have
an index that "reads" (a DPX frame has none). Both failed before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from offload.demo import write_sequence
from offload.report.media import probe_file
from report.helpers import offload_cli, two_clip_card


def test_a_transfer_only_run_says_its_copies_are_not_read_back(tmp_path: Path) -> None:
    card = two_clip_card(tmp_path, 20_000)
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    code, out, err = offload_cli(
        ["copy", "--verify", "transfer", "--report-dir", str(reports), str(card), str(dest)]
    )
    assert code == 0, out + err
    [saved] = reports.glob("*.json")
    summaries = [d["summary"] for d in json.loads(saved.read_text())["devices"]]
    assert summaries and all("read-backs" not in s for s in summaries), summaries
    assert all(s.endswith("its copies are not read back (--verify transfer)") for s in summaries)
    html = " ".join(saved.with_suffix(".html").read_text().split())
    assert "read-backs" not in html
    assert "its copies are not read back (--verify transfer)" in html


def test_a_sequence_frame_that_does_not_decode_is_not_said_to_have_an_index(
    tmp_path: Path, media: Any
) -> None:
    write_sequence(tmp_path / "SEQ", "S", range(1, 4))
    frame = tmp_path / "SEQ" / "S.0000002.dpx"
    with open(frame, "r+b") as file:
        file.truncate(4_000)  # the header whole, the picture cut off
    info = probe_file(frame)
    assert info.damage is not None and "index" not in info.damage, info.damage
    assert info.damage.startswith(
        "no picture decodes: the frame file read opens, but FFmpeg cannot decode its picture"
    )


def test_a_transfer_only_verdict_is_amber_never_green(
    tmp_path: Path, browser: Any, poppler: dict[str, str]
) -> None:
    """ "≈ COPIED, TRANSFER-CHECKED ONLY" proves no copy on its media: its box is drawn in
    the warning's amber, as its rows are, in the HTML (Chromium's computed style) and on the
    PDF's page 1 (its pixels). Failed before: green, the colour a producer reads as safe."""
    from PIL import Image

    from offload.report.pdf import AMBER, GREEN
    from report.helpers import pdf_page_png

    card = two_clip_card(tmp_path, 20_000)
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    code, out, err = offload_cli(
        ["copy", "--verify", "transfer", "--report-dir", str(reports), str(card), str(dest)]
    )
    assert code == 0, out + err
    [saved] = reports.glob("*.json")
    page = browser.open(
        saved.with_suffix(".html"),
        measure="[document.querySelector('.verdict').innerText,"
        " getComputedStyle(document.querySelector('.verdict')).color,"
        " getComputedStyle(document.querySelector('.verdict')).borderTopColor]",
    )
    text, color, border = page.measured
    assert text.startswith("≈ COPIED, TRANSFER-CHECKED ONLY"), text
    assert color == border == "rgb(138, 90, 0)", page.measured  # --warn, not --ok's green
    png = pdf_page_png(poppler, saved.with_suffix(".pdf"), 1, tmp_path, dpi=100)
    with Image.open(png) as image:
        rgb = image.convert("RGB")
        top = rgb.crop((0, 0, rgb.width, rgb.height // 5))  # the title, verdict and release
        raw = top.tobytes()
        pixels = [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]

    def near(colour: tuple[int, int, int]) -> int:
        return sum(
            1 for p in pixels if all(abs(a - b) <= 12 for a, b in zip(p, colour, strict=True))
        )

    assert near(AMBER) > 50 and near(GREEN) == 0, (near(AMBER), near(GREEN))
