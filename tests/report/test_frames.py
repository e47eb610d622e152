"""A sequence's frames that are not whole (``report/frames.py``, ``clips._frame_sizes``): real
DPX frames written with PyAV, one emptied and one cut short, read back as a producer reads
the report (its page 1 and its row, in the HTML and in ``pdftotext``); frames that differ in
size and are whole (a compressed EXR sequence, a DPX with more user data) are not flagged."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

from offload.demo import write_sequence
from offload.report.clips import group_clips
from offload.report.documents import DocumentOptions, build_documents
from report.helpers import pdf_words
from tests.report.test_content import job


def _entries(card: Path) -> list[dict[str, Any]]:
    return [
        {
            "path": path.relative_to(card).as_posix(),
            "size_bytes": path.stat().st_size,
            "destinations": [
                {"index": 0, "status": "verified"},
                {"index": 1, "status": "verified"},
            ],
        }
        for path in sorted(card.rglob("*"))
        if path.is_file()
    ]


def _exr_frames(folder: Path, count: int) -> None:
    """Real OpenEXR frames (PyAV, ZIP-compressed): pictures of different detail, so of
    different sizes, as a camera's or a render's compressed frames are."""
    import random

    import av
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    generator = random.Random(3)
    for n in range(count):
        codec = av.CodecContext.create("exr", "w")
        codec.width, codec.height, codec.pix_fmt = 64, 36, "gbrpf32le"
        codec.time_base = Fraction(1, 24)
        codec.options = {"compression": "zip16"}
        noisy = 64 * 36 * 3 * (n % 4) // 4  # how much of the picture is noise
        pixels = generator.randbytes(noisy) + bytes(64 * 36 * 3 - noisy)
        frame = av.VideoFrame.from_image(Image.frombytes("RGB", (64, 36), pixels))
        packets = [*codec.encode(frame.reformat(format="gbrpf32le")), *codec.encode(None)]
        (folder / f"B001C002.{1000 + n:07d}.exr").write_bytes(b"".join(map(bytes, packets)))


def test_an_empty_and_a_truncated_dpx_frame_are_flagged_and_whole_ones_are_not(
    tmp_path: Path, media: Any, poppler: dict[str, str]
) -> None:
    """20 DPX frames, one emptied (0 bytes) and one cut to 2,000 bytes: the row said "No
    missing frames" and page 1 nothing. Each is named with what is wrong, on the row and in
    a page-1 warning (the truncated one by the size its header states). A DPX frame with
    bytes after its picture (its header states that size: more user data) and a compressed
    EXR sequence whose frames all differ in size are not flagged."""
    card = tmp_path / "CARD"
    write_sequence(card / "A005C001", "A005C001", range(1000, 1020))
    (card / "A005C001/A005C001.0001005.dpx").write_bytes(b"")
    cut = card / "A005C001/A005C001.0001010.dpx"
    whole = cut.stat().st_size
    cut.write_bytes(cut.read_bytes()[:2000])
    # Another sequence: one frame longer than the others, its header stating that length.
    write_sequence(card / "A005C002", "A005C002", range(1000, 1010))
    longer = card / "A005C002/A005C002.0001004.dpx"
    data = bytearray(longer.read_bytes() + bytes(4096))
    order = "big" if data[:4] == b"SDPX" else "little"  # XPDS: a little-endian header
    data[16:20] = len(data).to_bytes(4, order)  # DPX: the file's size at offset 16
    longer.write_bytes(bytes(data))
    _exr_frames(card / "B001C002", 8)
    sizes = {p.stat().st_size for p in (card / "B001C002").iterdir()}
    assert len(sizes) > 2, sizes

    entries = _entries(card)
    data_ = job(source=str(card), files=entries, totals={"files": len(entries), "bytes": 1})
    documents = build_documents(data_, DocumentOptions(media=False))
    html = documents[".html"].decode()
    said = (
        "DAMAGED FRAMES: 2 of 20: 1005 (empty, 0 bytes), 1010 (truncated: 2,000 of the "
        f"{whole:,} bytes its header states) (so on the card: check with the camera "
        "department)"
    )
    assert f"<li>Sequence A005C001.[0001000-0001019].dpx: {said}</li>" in html
    assert f'<div class="gap">⚠ {said}</div>' in html
    assert "No frame numbers missing" in html
    assert "A005C002" not in html.split("<h2>Warnings</h2>")[1].split("<h2>")[0]
    assert html.count("DAMAGED FRAMES") == 2 and html.count("No missing frames") == 2
    (tmp_path / "report.pdf").write_bytes(documents[".pdf"])
    text = pdf_words(poppler, tmp_path / "report.pdf")
    assert "1010 (truncated: 2,000 of the" in text and "1005 (empty, 0 bytes)" in text
    # Grouping flags the empty frame (no read); the header check, the truncated one.
    clips = {clip.name: clip for clip in group_clips(entries)}
    damaged = clips["A005C001.[0001000-0001019].dpx"]
    assert list(damaged.bad_frames) == [(1005, "empty, 0 bytes")]
    assert [number for number, _ in damaged.odd_frames] == [1010]
    assert not clips["A005C002.[0001000-0001009].dpx"].bad_frames
    assert not clips["B001C002.[0001000-0001007].exr"].odd_frames
