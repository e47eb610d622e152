"""A file named as a clip that the probing cannot read as media at all (random bytes named
``.mxf``; a ``.mov`` whose first box is an ``ftyp`` and the rest no QuickTime FFmpeg
reads) is flagged on its row, on page 1, in the terminal's ``CARD CONTENT:`` lines and in
``--json``'s ``card_content``: its copies are verified (their checksums equal the card's),
but a green row read as "this clip is good". Failed before: its row was green with no ⚠,
page 1 and the terminal said nothing. The copies' verdict and the exit code are unchanged;
a real clip (made with PyAV), its sidecar, an other file, a camera raw FFmpeg cannot read
and a clip the probing did not look at are not flagged. Real files, the real CLI
in-process, the HTML in headless Chromium, the PDF through pdftotext."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

import pytest

from offload.demo import ClipSpec, encode_clip
from offload.report import content
from offload.report.card_content import card_content
from offload.report.clips import group_clips
from offload.report.content import build_view
from offload.report.media import ProbeBudget, probe_clips
from report.helpers import Browser, offload_cli, pdf_words

FLAG = "NOT READABLE AS MEDIA"
NOT_MEDIA_ROW = (
    "⚠ NOT READABLE AS MEDIA: its first bytes are no picture or video format FFmpeg reads; "
    "its contents were not looked at (a checksum proves only that a copy equals the card, "
    "not that the file plays)"
)
INVALID_ROW = (
    "⚠ NOT READABLE AS MEDIA: FFmpeg found no picture or video it reads in it (invalid "
    "data); its contents were not looked at (a checksum proves only that a copy equals the "
    "card, not that the file plays)"
)
# A row of the clip list, as the browser shows it, by the file it names.
ROWS = "[...document.querySelectorAll('table.clips tr')].map(r => r.innerText)"


#: A box no box can be (size 3, under its own 8-byte header), put right after the ``ftyp``:
#: random bytes there read, now and then, as a box running past the file's end, the
#: cut-off recording's finding (a second ``card_content`` line), not this test's.
BAD_BOX = struct.pack(">I", 3) + b"junk"


def _card(root: Path) -> Path:
    """A real clip with its sidecar, random bytes named as an MXF clip, a QuickTime header
    over random bytes, and an other file of random bytes."""
    card = root / "A001"
    encode_clip(card, ClipSpec("CLIPS/A001C001.mov", seconds=0.4, width=160, height=90))
    (card / "CLIPS" / "A001C001.xml").write_text("<clip/>")
    (card / "CLIPS" / "A001C002.mxf").write_bytes(os.urandom(60_000))
    (card / "CLIPS" / "A001C003.mov").write_bytes(
        struct.pack(">I", 20) + b"ftypqt  \0\0\0\0qt  " + BAD_BOX + os.urandom(60_000)
    )
    (card / "NOTES").mkdir()
    (card / "NOTES" / "notes.bin").write_bytes(os.urandom(5_000))
    return card


def _row(rows: list[str], name: str) -> str:
    [row] = [r for r in rows if name in r]
    return " ".join(row.split())


def test_a_clip_not_readable_as_media_is_flagged_everywhere(
    tmp_path: Path, media: Any, browser: Browser, poppler: dict[str, str]
) -> None:
    card = _card(tmp_path / "cards")
    dest, reports = tmp_path / "D1", tmp_path / "r"
    dest.mkdir()

    code, out, err = offload_cli(
        ["copy", "--json", "--report-dir", str(reports), str(card), str(dest)]
    )

    assert code == 0, err  # the copies are verified: the exit code is theirs
    [job] = [e for e in map(json.loads, out.splitlines()) if e["event"] == "job_report"]
    assert all(d["result"] == "ok" for d in job["destinations"]), job["destinations"]
    [line] = job["card_content"]
    assert line["kind"] == "not-readable-as-media" and line["count"] == 2, line
    assert line["message"] == (
        "CARD CONTENT: 2 files named as clips on the card are not readable as media (their "
        "first bytes are no format FFmpeg reads or FFmpeg found invalid data in them): "
        "CLIPS/A001C002.mxf, CLIPS/A001C003.mov; their contents were not looked at: a "
        "checksum proves only that a copy equals the card, not that the file plays (so on "
        "the card itself: the copies hold what the card holds, not a copy problem; check "
        "with the camera department)."
    ), line
    # The terminal says the same line (offload report prints what offload copy prints).
    [local] = reports.glob("*.json")
    code, _, said = offload_cli(["report", "--html", str(tmp_path / "again.html"), str(local)])
    assert code == 0, said
    assert [x for x in said.splitlines() if x.startswith("CARD CONTENT:")] == [line["message"]]

    page = browser.open(local.with_suffix(".html"), measure=ROWS)
    assert not page.errors, page.errors
    rows = page.measured
    assert NOT_MEDIA_ROW in _row(rows, "A001C002.mxf"), rows
    assert INVALID_ROW in _row(rows, "A001C003.mov"), rows
    for whole in ("A001C001.mov", "notes.bin"):
        assert "⚠" not in _row(rows, whole), rows
    # Flagged rows first ("problems first"), their states still the copies' own.
    assert FLAG in rows[1] and FLAG in rows[2] and "A001C001.mov" in rows[3], rows
    assert "Verified now" in _row(rows, "A001C002.mxf")
    text = " ".join(page.text.split())
    assert f"CLIPS/A001C002.mxf: {NOT_MEDIA_ROW[2:]}" in text, text[:3000]
    assert f"CLIPS/A001C003.mov: {INVALID_ROW[2:]}" in text, text[:3000]
    assert "ALL COPIES VERIFIED" in text

    flat = pdf_words(poppler, local.with_suffix(".pdf"))
    # Page 1's line and the row's, each file; the ⚠ is "!!" in the PDF's Latin-1 fonts.
    assert flat.count(FLAG) == 4, flat
    assert f"CLIPS/A001C002.mxf: {NOT_MEDIA_ROW[2:]}" in flat, flat[:3000]
    assert f"!! {INVALID_ROW[2:]}" in flat, flat
    assert "ALL COPIES VERIFIED" in flat


def _view_of(card: Path, budget: ProbeBudget | None = None) -> tuple[Any, list[dict[str, Any]]]:
    files = sorted(str(p.relative_to(card)) for p in card.rglob("*") if p.is_file())
    entries = [
        {
            "path": path,
            "size_bytes": (card / path).stat().st_size,
            "destinations": [{"index": 0, "status": "verified"}],
        }
        for path in files
    ]
    clips = group_clips(entries)
    probed, notes = probe_clips(clips, lambda c: card / str(c.primary["path"]), budget)
    data = {"source": str(card), "files": entries, "destinations": [{"index": 0, "path": "/d"}]}
    return build_view(data, clips, probed, notes), card_content(clips, probed)


def test_what_the_probing_did_not_look_at_is_not_flagged(tmp_path: Path, media: Any) -> None:
    """Past the probing's budget (here 1 file looked at), a file named as a clip is "not
    probed": nothing was found, nothing is flagged, and the note says so, as before. A
    camera raw FFmpeg cannot read (an R3D's ``RED2`` header) is a clip, never flagged."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A.mxf").write_bytes(os.urandom(5_000))
    (card / "CLIPS" / "B.mxf").write_bytes(os.urandom(5_000))
    view, lines = _view_of(card, ProbeBudget(max_looked_at=1))
    rows = {row.name: row for row in view.clips}
    assert rows["A.mxf"].flagged and not rows["B.mxf"].flagged, view.clips
    assert "not probed: only the first 1 clips of a card are looked at" in str(
        rows["B.mxf"].media_note
    )
    assert any("Only the first 1 clips and sequences were looked at" in n for n in view.notes)
    assert [line["count"] for line in lines] == [1], lines

    red = tmp_path / "RED" / "A002_C001_0202CD.RDC"
    red.mkdir(parents=True)
    (red / "A002_C001_0202CD_001.R3D").write_bytes(
        struct.pack(">I", 512) + b"RED2" + os.urandom(5_000)
    )
    view, lines = _view_of(tmp_path / "RED")
    assert not any(row.flagged for row in view.clips) and lines == [], view.clips


def test_many_files_not_readable_fold_into_their_folders_row_and_one_page_one_line(
    tmp_path: Path, media: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``MAX_CLIP_ROWS`` (here 2) files named as clips that are no media fold into
    their folder's row, which carries the ⚠ and counts them; past ``EMPTY_NAMED`` (3), page
    1 gives them one line: a card of 50,000 files named ``.MP4`` that are no video would
    otherwise give the 5,000 the probing looks at a row and a page-1 line each."""
    monkeypatch.setattr(content, "MAX_CLIP_ROWS", 2)
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for n in range(5):
        (card / "CLIPS" / f"C{n}.mp4").write_bytes(os.urandom(2_000))
    view, lines = _view_of(card)
    [row] = view.clips
    assert row.flagged and row.kind == "media", row
    assert any(
        d.startswith("⚠ NOT READABLE AS MEDIA: 5 of them (C0.mp4, C1.mp4, C2.mp4 and 2 more)")
        for d in row.details
    ), row.details
    [warning] = [w for w in view.warnings if FLAG in w]
    assert warning.startswith(
        "5 files named as clips are NOT READABLE AS MEDIA (their first bytes are no format "
        "FFmpeg reads, or it found invalid data in them), so their contents were not looked "
        "at: CLIPS/C0.mp4, CLIPS/C1.mp4, CLIPS/C2.mp4 and 2 more"
    ), warning
    assert lines[0]["count"] == 5 and "and 2 more" in lines[0]["message"], lines
    assert "each named in the HTML/PDF report" not in lines[0]["message"]
