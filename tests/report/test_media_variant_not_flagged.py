"""A file FFmpeg says "invalid data" of is NOT READABLE AS MEDIA only where its structure
itself is broken (an ISO BMFF/QuickTime file whose boxes cannot be walked or hold no
index), its card read whole and its copies good; otherwise its row carries a grey note
(``media.NOT_READ_BY_FFMPEG``), never the ⚠, and no ``CARD CONTENT:`` line names it.

Failed before (review of reports66, M1): a 12-bit packed Phantom Cine ("P12L", as Phantom
Camera Control writes it), a WAV whose odd-length iXML chunk lacks its pad byte and a real
MP4 with a 6-byte ``loci`` box in its ``udta`` were each flagged NOT READABLE AS MEDIA,
"so on the card itself ... check with the camera department". (M2) A clip whose card read
failed (EIO under FaultyFS) was flagged too, its line saying "the copies hold what the card
holds" beside the run's EIO failure. (LOW 3) That tail was said of copies transfer-checked
only, and "the camera department" of audio takes. (LOW 2) A Mac's AppleDouble twin
(``._A001C001.mov``) was a clip, flagged. (LOW 1) Past MAX_CLIP_ROWS the folded files not
readable were named nowhere past the first three: ``card_content``'s line lists them all.
Real files (PyAV clips, Cine/WAV bytes as their writers lay them out), the real CLI
in-process, a real FaultyFS mount."""

from __future__ import annotations

import errno
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
from offload.report.media import NOT_READ_BY_FFMPEG, ProbeBudget, probe_clips
from offload.report.sniff import _top_boxes
from report.helpers import offload_cli

FLAG = "NOT READABLE AS MEDIA"
AS_ON_THE_CARD = "the copies hold what the card holds"


def cine(*, bits: int = 8, bi_compression: int = 0, images: int = 2) -> bytes:
    """A whole Phantom Cine of *images* 16×8 frames: its file header, its BITMAPINFOHEADER
    (*bits* ``biBitCount``, *bi_compression* ``biCompression``: 0 plain, 1024 the 12-bit
    packed P12L), a setup block of the length FFmpeg's demuxer asks for (its "TS" mark, a
    frame rate), the images' offsets and the images, each behind its annotation size."""
    header_at, setup_at, setup_len = 44, 84, 0x163C + 0x1000
    offsets_at = setup_at + setup_len
    first = offsets_at + 8 * images
    pixels = 16 * 8 * bits // 8
    header = b"CI" + struct.pack(
        "<HHHiIiIIIIQ", 44, 0, 1, 0, images, 0, images, header_at, setup_at, offsets_at, 0
    )
    bitmap = struct.pack("<IiiHHIIiiII", 40, 16, 8, 1, bits, bi_compression, pixels, 0, 0, 0, 0)
    setup = bytearray(setup_len)
    struct.pack_into("<HH", setup, 140, 0x5453, 0x163C)  # "TS", the setup's length
    struct.pack_into("<I", setup, 768, 24)  # frames per second
    offsets = b"".join(struct.pack("<Q", first + i * (8 + pixels)) for i in range(images))
    frames = b"".join(
        struct.pack("<II", 8, pixels) + bytes((i * 37 + j) & 0xFF for j in range(pixels))
        for i in range(images)
    )
    return header + bitmap + bytes(setup) + offsets + frames


def wav(*, padded: bool) -> bytes:
    """A 16-bit mono WAV with a 5-byte iXML chunk before its ``data``, with its pad byte
    (as RIFF asks) or without (as non-compliant writers leave it)."""
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, 48_000, 96_000, 2, 16)
    ixml = b"iXML" + struct.pack("<I", 5) + b"<x/>\n" + (b"\0" if padded else b"")
    pcm = bytes(4800)
    body = b"WAVE" + fmt + ixml + b"data" + struct.pack("<I", len(pcm)) + pcm
    return b"RIFF" + struct.pack("<I", len(body)) + body


def with_loci(path: Path) -> None:
    """A ``udta`` holding a ``loci`` box of 6 bytes (too short for FFmpeg's demuxer)
    appended to *path*'s ``moov``, its last box (PyAV writes it last)."""
    walked = _top_boxes(path)
    assert walked is not None
    boxes, size = walked
    assert boxes[-1][0] == b"moov", boxes
    loci = struct.pack(">I4s", 14, b"loci") + bytes(6)
    udta = struct.pack(">I4s", 8 + len(loci), b"udta") + loci
    data = bytearray(path.read_bytes()) + udta
    struct.pack_into(">I", data, size - boxes[-1][1], boxes[-1][1] + len(udta))
    path.write_bytes(bytes(data))


def broken_mov() -> bytes:
    """A QuickTime ``ftyp`` over random bytes: no box after it can be walked. The box after
    ``ftyp`` is given a size no box can have (3, under its own 8-byte header): random bytes
    there read, now and then, as a box running past the file's end, which is the cut-off
    recording's finding (``cut_off``), not this one."""
    bad = struct.pack(">I", 3) + b"junk"
    return struct.pack(">I", 20) + b"ftypqt  \0\0\0\0qt  " + bad + os.urandom(60_000)


def _card(root: Path) -> Path:
    card = root / "A001"
    (card / "PHANTOM").mkdir(parents=True)
    (card / "PHANTOM" / "Cine1.cine").write_bytes(cine(bits=16, bi_compression=1024))
    (card / "PHANTOM" / "Cine2.cine").write_bytes(cine())
    (card / "SOUND").mkdir()
    (card / "SOUND" / "T001.wav").write_bytes(wav(padded=False))
    (card / "SOUND" / "T002.wav").write_bytes(wav(padded=True))
    encode_clip(card, ClipSpec("CLIPS/A001C001.mp4", seconds=0.4, width=160, height=90))
    with_loci(card / "CLIPS" / "A001C001.mp4")
    (card / "CLIPS" / "A001C002.mov").write_bytes(broken_mov())
    return card


def _view_of(
    card: Path, status: str = "verified", **entry: Any
) -> tuple[Any, list[dict[str, Any]]]:
    """The documents' view and ``card_content`` of *card*, each file's one copy in
    *status*, its entry with *entry* besides, probed from the card."""
    files = sorted(str(p.relative_to(card)) for p in card.rglob("*") if p.is_file())
    entries = [
        {
            "path": path,
            "size_bytes": (card / path).stat().st_size,
            "destinations": [{"index": 0, "status": status}],
            **entry,
        }
        for path in files
    ]
    clips = group_clips(entries)
    probed, notes = probe_clips(clips, lambda c: card / str(c.primary["path"]), ProbeBudget())
    data = {"source": str(card), "files": entries, "destinations": [{"index": 0, "path": "/d"}]}
    return build_view(data, clips, probed, notes), card_content(clips, probed)


def test_a_variant_ffmpeg_does_not_read_is_a_note_not_a_flag(tmp_path: Path, media: Any) -> None:
    card = _card(tmp_path / "cards")
    dest, reports = tmp_path / "D1", tmp_path / "r"
    dest.mkdir()

    code, out, err = offload_cli(
        ["copy", "--json", "--report-dir", str(reports), str(card), str(dest)]
    )

    assert code == 0, err
    [job] = [e for e in map(json.loads, out.splitlines()) if e["event"] == "job_report"]
    [line] = job["card_content"]
    # The broken QuickTime alone: its boxes cannot be walked past its ftyp.
    assert line["kind"] == "not-readable-as-media" and line["count"] == 1, line
    assert line["paths"] == ["CLIPS/A001C002.mov"], line
    assert "Cine1" not in line["message"] and "T001" not in line["message"], line

    view, lines = _view_of(card)
    assert lines == job["card_content"], lines
    rows = {row.name: row for row in view.clips}
    for name in ("Cine1.cine", "T001.wav", "A001C001.mp4"):
        row = rows[name]
        assert not row.flagged, (name, row.details)
        assert not any(FLAG in d for d in row.details), (name, row.details)
        assert str(row.media_note).startswith(NOT_READ_BY_FFMPEG + "Invalid data"), (
            name,
            row.media_note,
        )
    assert rows["A001C002.mov"].flagged
    for name in ("Cine2.cine", "T002.wav"):  # FFmpeg reads them: no note of that kind
        assert "not readable" not in str(rows[name].media_note), rows[name].media_note
    assert not any(FLAG in w and ("Cine1" in w or "T001" in w) for w in view.warnings)


@pytest.mark.parametrize(
    ("status", "entry", "flagged"),
    [
        ("verified", {}, True),
        ("transfer_checked", {}, True),
        ("failed", {}, False),
        ("failed", {"source_error": "cannot read bytes 0-60020 of source: EIO"}, False),
    ],
)
def test_invalid_data_is_flagged_only_of_a_file_read_whole_with_good_copies(
    tmp_path: Path, media: Any, status: str, entry: dict[str, Any], flagged: bool
) -> None:
    """A read that failed makes FFmpeg say "invalid data" too: a file whose card read
    failed, or a copy of which failed, is never said to be no media (its row's state says
    what failed). Where it is flagged, the line says the copies hold what the card holds
    only of copies read back (verified), never of copies transfer-checked only."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C002.mov").write_bytes(broken_mov())
    view, lines = _view_of(card, status, **entry)
    [row] = view.clips
    assert row.flagged is flagged, row.details
    if not flagged:
        assert lines == [], lines
        return
    [line] = lines
    tail = line["message"].rsplit(" (so on the card itself", 1)[1]
    if status == "verified":
        assert (
            tail == f": {AS_ON_THE_CARD}, not a copy problem; check with the camera department)."
        ), tail
    else:
        assert tail == ", not a copy problem; check with the camera department).", tail


def test_an_audio_take_not_readable_is_the_sound_departments(tmp_path: Path, media: Any) -> None:
    card = tmp_path / "A001"
    (card / "SOUND").mkdir(parents=True)
    (card / "SOUND" / "T003.wav").write_bytes(os.urandom(5_000))
    _, [line] = _view_of(card)
    assert line["message"].startswith(
        "CARD CONTENT: 1 file named as an audio take on the card is not readable as media"
    ), line
    assert line["message"].endswith(
        f"(so on the card itself: {AS_ON_THE_CARD}, not a copy problem; check with the sound "
        "department)."
    ), line


def test_transfer_checked_copies_are_not_said_to_hold_what_the_card_holds(
    tmp_path: Path, media: Any
) -> None:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C002.mov").write_bytes(broken_mov())
    dest = tmp_path / "D1"
    dest.mkdir()
    code, out, err = offload_cli(
        ["copy", "--json", "--verify", "transfer", "--report-dir", str(tmp_path / "r"),
         str(card), str(dest)]
    )  # fmt: skip
    assert code == 0, err
    [job] = [e for e in map(json.loads, out.splitlines()) if e["event"] == "job_report"]
    [line] = job["card_content"]
    assert AS_ON_THE_CARD not in line["message"], line
    assert line["message"].endswith(
        "(so on the card itself, not a copy problem; check with the camera department)."
    ), line


def test_a_macs_appledouble_twins_are_other_files(tmp_path: Path, media: Any) -> None:
    """``._A001C001.mov`` (an AppleDouble header, 00051607) beside its clip, copied with
    ``--no-default-ignore``: an other file, never a clip, never flagged."""
    card = tmp_path / "A001"
    for n in (1, 2):
        encode_clip(card, ClipSpec(f"CLIPS/A001C00{n}.mov", seconds=0.4, width=160, height=90))
        twin = card / "CLIPS" / f"._A001C00{n}.mov"
        twin.write_bytes(bytes.fromhex("00051607") + struct.pack(">I", 0x20000) + bytes(4088))
    dest = tmp_path / "D1"
    dest.mkdir()
    code, out, err = offload_cli(
        ["copy", "--json", "--no-default-ignore", "--report-dir", str(tmp_path / "r"),
         str(card), str(dest)]
    )  # fmt: skip
    assert code == 0, err
    [job] = [e for e in map(json.loads, out.splitlines()) if e["event"] == "job_report"]
    assert job["card_content"] == [], job["card_content"]
    view, lines = _view_of(card)
    assert lines == []
    kinds = {row.name: row.kind for row in view.clips}
    assert [n for n, k in kinds.items() if k == "clip"] == ["A001C001.mov", "A001C002.mov"], kinds
    names = ("CLIPS/._A001C001.mov", "._T1.wav", "._F.0001.dpx", "._F.0002.dpx")
    grouped = group_clips([{"path": name, "size_bytes": 4096} for name in names])
    by_name = {str(c.primary["path"]): c.kind for c in grouped}
    assert sorted(by_name) == sorted(names), by_name
    assert set(by_name.values()) == {"file"}, by_name


def test_folded_files_not_readable_are_each_named_in_the_json(
    tmp_path: Path, media: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_CLIP_ROWS (here 2) the clip list counts them on their folder's row, which
    names three: ``card_content``'s line names every one, and page 1 says where each is."""
    monkeypatch.setattr(content, "MAX_CLIP_ROWS", 2)
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for n in range(5):
        (card / "CLIPS" / f"C{n}.mp4").write_bytes(os.urandom(2_000))
    view, [line] = _view_of(card)
    assert line["paths"] == [f"CLIPS/C{n}.mp4" for n in range(5)], line
    [warning] = [w for w in view.warnings if FLAG in w]
    assert (
        "(each marked on its row of the clip list, or counted on its folder's row where "
        "the list folds them; --json's card_content names every one)" in warning
    ), warning


def test_a_card_read_that_failed_is_no_finding_about_media(
    tmp_path: Path, media: Any, faulty_fs: Any
) -> None:
    """A real 3 MB MJPEG ``.mov`` on FaultyFS (direct_io), its reads past its size - 500
    failing EIO: the run fails the file (exit 2, the EIO under ``failures``), and nothing
    says it is not media, nor that the copies hold what the card holds."""
    av = media
    fs = faulty_fs(direct_io=True)
    clip = fs.backing / "CLIPS" / "A001C001.mov"
    clip.parent.mkdir(parents=True)
    with av.open(str(clip), "w", format="mov") as out:
        stream = out.add_stream("mjpeg", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuvj420p"
        stream.options = {"q:v": "2"}
        for n in range(60):
            # Noise without numpy (the media extra does not bring it): the plane filled
            # with random bytes.
            frame = av.VideoFrame(320, 240, "rgb24")
            frame.planes[0].update(os.urandom(frame.planes[0].buffer_size))
            frame.pts = n
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    size = clip.stat().st_size
    assert size > 1_000_000, size
    fs.fail("read", errno.EIO, path="CLIPS/A001C001.mov", offset=size - 500)
    dest = tmp_path / "D1"
    dest.mkdir()

    code, out, err = offload_cli(
        ["copy", "--json", "--report-dir", str(tmp_path / "r"), str(fs.mountpoint), str(dest)]
    )

    assert code == 2, err
    [job] = [e for e in map(json.loads, out.splitlines()) if e["event"] == "job_report"]
    assert any("Input/output error" in f["error"] for f in job["failures"]), job["failures"]
    assert not any(line["kind"] == "not-readable-as-media" for line in job["card_content"]), job[
        "card_content"
    ]
    assert not any(AS_ON_THE_CARD in line["message"] for line in job["card_content"])
