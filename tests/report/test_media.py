"""Probing real clips with PyAV: metadata, a middle frame, budgets, undecodable files."""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from offload.demo import ClipSpec, encode_clip, write_sequence
from offload.report.clips import group_clips
from offload.report.media import MediaInfo, ProbeBudget, probe_clips, probe_file
from offload.report.sniff import not_media


def _box_position(thumbnail: bytes) -> int:
    """Which sixteenth of the width the demo clip's moving box is in (0..15)."""
    from PIL import Image

    with Image.open(io.BytesIO(thumbnail)) as thumb:
        row = thumb.convert("RGB").crop((0, 75, 160, 86)).resize((16, 1)).tobytes()
    brightness = [sum(row[i : i + 3]) for i in range(0, len(row), 3)]
    return brightness.index(max(brightness))


def _as_mpegts_starting_at(clip: Path, start_s: int) -> Path:
    """The clip's packets re-muxed into MPEG-TS with every time shifted by *start_s*: a
    transport stream starts where its clock stood, rarely at 0."""
    import av

    out_path = clip.with_suffix(".ts")
    with av.open(str(clip)) as source, av.open(str(out_path), "w") as out:
        video = source.streams.video[0]
        target = out.add_stream_from_template(video)
        shift = int(start_s / video.time_base)
        for packet in source.demux(video):
            if packet.dts is None:  # the demuxer's flush packet
                continue
            packet.pts += shift
            packet.dts += shift
            packet.stream = target
            out.mux(packet)
    return out_path


def test_h264_mov_metadata_timecode_and_middle_frame(tmp_path: Path, media: Any) -> None:
    from PIL import Image

    clip = encode_clip(
        tmp_path, ClipSpec("A001C001.mov", seconds=2.0, rate=25, timecode="10:11:12:13")
    )
    info = probe_file(clip)
    assert info.error is None
    assert info.codec is not None and info.codec.startswith("H.264")
    assert (info.width, info.height, info.frame_rate) == (640, 360, "25")
    assert info.timecode == "10:11:12:13"
    assert info.duration_s is not None and abs(info.duration_s - 2.0) < 0.1
    assert info.frames == 50
    assert info.thumbnail is not None and len(info.thumbnail) < 20_000
    with Image.open(io.BytesIO(info.thumbnail)) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (160, 90)
    # The moving box is at the middle of its path in the middle frame (not frame 0).
    assert _box_position(info.thumbnail) in range(5, 11)


def test_short_h264_transport_stream_has_a_thumbnail(tmp_path: Path, media: Any) -> None:
    # 0.2-0.5 s: one keyframe; a seek to the middle landed past it and nothing decoded.
    for seconds in (0.2, 0.48):
        clip = encode_clip(tmp_path, ClipSpec(f"S{int(seconds * 100):03d}.ts", seconds=seconds))
        info = probe_file(clip)
        assert info.error is None and info.thumbnail, (seconds, info.error)


def test_middle_frame_of_a_stream_that_starts_late(tmp_path: Path, media: Any) -> None:
    clip = encode_clip(tmp_path, ClipSpec("A001C003.mp4", seconds=2.0, rate=25))
    late = _as_mpegts_starting_at(clip, 10)
    info = probe_file(late)
    assert info.error is None and info.thumbnail
    assert info.duration_s is not None and abs(info.duration_s - 2.0) < 0.1
    # The middle of the clip, not its first frame (the box starts at the left).
    assert _box_position(info.thumbnail) in range(5, 11)


def test_mpeg2_mxf_and_dpx(tmp_path: Path, media: Any) -> None:
    mxf = encode_clip(tmp_path, ClipSpec("C.mxf", codec="mpeg2video", seconds=1.0))
    info = probe_file(mxf)
    assert info.error is None and info.codec is not None and info.codec.startswith("MPEG-2")
    assert info.timecode == "01:00:00:00" and info.thumbnail
    write_sequence(tmp_path / "SEQ", "S", range(1, 4))
    dpx = probe_file(tmp_path / "SEQ" / "S.0000002.dpx")
    assert dpx.error is None and dpx.codec == "DPX" and dpx.thumbnail
    assert dpx.frame_rate is None  # a single frame has no rate of its own


def test_undecodable_files_have_no_thumbnail_and_no_crash(tmp_path: Path, media: Any) -> None:
    junk = tmp_path / "A001_C001.R3D"
    junk.write_bytes(os.urandom(50_000))
    empty = tmp_path / "empty.mov"
    empty.write_bytes(b"")
    truncated = encode_clip(tmp_path, ClipSpec("t.mp4", seconds=1.0))
    truncated.write_bytes(truncated.read_bytes()[:3000])
    for path in (junk, empty, truncated, tmp_path / "gone.mov"):
        info = probe_file(path)
        assert info.thumbnail is None and info.error, path


def test_budgets(tmp_path: Path, media: Any) -> None:
    paths = [
        encode_clip(tmp_path, ClipSpec(f"C{n:03d}.mov", seconds=1.0, width=320, height=180))
        for n in range(3)
    ]
    clips = group_clips([{"path": p.name, "size_bytes": 1} for p in paths])

    # A card reader that hangs after the first clip. The budget is spent while the second is
    # being read, however slow the machine: no sleep races the budget (a 0.6 s budget against
    # a 0.4 s sleep plus a real probe failed on a loaded machine, the first clip unprobed).
    # The budget is still 100 times what the first clip's probe takes on an idle machine.
    hung: list[str] = []
    release = threading.Event()

    def hangs_after_the_first(clip: Any) -> Path:
        name = str(clip.primary["path"])
        if name != "C000.mov":
            hung.append(name)
            release.wait(120)
            hung.append("released")
        return tmp_path / name

    try:
        results, notes = probe_clips(clips, hangs_after_the_first, ProbeBudget(total_s=5.0))
        assert hung == ["C001.mov"]  # returned while the reader hangs, never waited for it
    finally:
        release.set()
    probed = [i for i, info in results.items() if info.thumbnail]
    assert probed == [0] and len(results) == 3
    assert results[1].error == results[2].error == "not probed: the 5 s time budget was spent"
    assert notes and "total time budget of 5 s" in notes[0]
    results, notes = probe_clips(clips, lambda c: None)
    assert all(isinstance(i, MediaInfo) and i.error for i in results.values()) and not notes
    # Past max_clips, the rest are not even opened.
    opened: list[str] = []

    def fast(clip: Any) -> Path:
        opened.append(str(clip.primary["path"]))
        return tmp_path / str(clip.primary["path"])

    results, notes = probe_clips(clips, fast, ProbeBudget(max_clips=2))
    assert opened == ["C000.mov", "C001.mov"] and results[1].thumbnail
    assert results[2].error == "not probed: only the first 2 clips of a card are"
    assert notes == [
        "Only the first 2 clips and sequences were probed for thumbnails and metadata; "
        "1 more are listed without them."
    ]


def test_without_pyav_clips_are_listed_without_thumbnails_and_the_report_says_so(
    tmp_path: Path, media: Any, monkeypatch: Any
) -> None:
    from offload.report.documents import build_documents

    card = tmp_path / "CARD"
    encode_clip(card, ClipSpec("A001C001.mov", seconds=1.0, width=320, height=180))
    data = {
        "schema": "offload-ai/job-report/1",
        "source": str(card),
        "files": [{"path": "A001C001.mov", "size_bytes": 1, "destinations": []}],
        "destinations": [],
    }
    assert "data:image/jpeg" in build_documents(data)[".html"].decode()
    monkeypatch.setitem(sys.modules, "av", None)  # as if the media extra were not installed
    documents = build_documents(data)
    html = documents[".html"].decode()
    assert "data:image/jpeg" not in html and "A001C001.mov" in html
    assert "need PyAV (pip install &#x27;offload-ai[media]&#x27;)" in html
    assert documents[".pdf"].startswith(b"%PDF-")


def test_every_container_ffmpeg_writes_passes_the_header_sniff(tmp_path: Path, media: Any) -> None:
    """Real files of each format a card holds are still handed to FFmpeg (sniff), and come
    back with their codec; files that only carry a clip's name are not."""
    from PIL import Image

    clips = [
        encode_clip(tmp_path, ClipSpec(f"c.{ext}", codec=codec, seconds=0.5, width=64, height=36))
        for ext, codec in (
            ("mov", "mpeg4"),
            ("mp4", "mpeg4"),
            ("m4v", "mpeg4"),
            ("3gp", "mpeg4"),
            ("mxf", "mpeg2video"),
            ("mkv", "mpeg4"),
            ("webm", "libvpx") if "libvpx" in av_codecs() else ("mkv", "mpeg4"),
            ("avi", "mpeg4"),
            ("mts", "mpeg2video"),
            ("m2ts", "mpeg2video"),
            ("mpg", "mpeg2video"),
        )
    ]
    stills = []
    for fmt, ext in (
        ("PNG", "png"),
        ("JPEG", "jpg"),
        ("TIFF", "tif"),
        ("BMP", "bmp"),
        ("SGI", "sgi"),
    ):
        stills.append(tmp_path / f"s.{ext}")
        Image.new("RGB", (64, 36), (200, 30, 30)).save(stills[-1], fmt)
    write_sequence(tmp_path / "SEQ", "S", range(1, 2))
    for path in [*clips, *stills, tmp_path / "SEQ" / "S.0000001.dpx"]:
        assert not_media(path) is None, path
        info = probe_file(path)  # opened by FFmpeg: it names the codec
        assert info.codec, (path, info.error)
    # A clip's name on bytes that are none of these: FFmpeg is not asked (its own error
    # would read "not readable by FFmpeg: ..."), and an empty file says so.
    junk = tmp_path / "C0001.MP4"
    junk.write_bytes(os.urandom(1000))
    empty = tmp_path / "C0002.MXF"
    empty.write_bytes(b"")
    assert probe_file(junk).error == (
        "not probed: its first bytes are no picture or video format FFmpeg reads"
    )
    assert probe_file(empty).error == "not probed: the file is empty"
    # An MXF with a run-in before its header partition is still recognised.
    run_in = tmp_path / "runin.mxf"
    run_in.write_bytes(os.urandom(3000) + clips[4].read_bytes())
    assert not_media(run_in) is None


def test_two_byte_signatures_need_their_next_fields(tmp_path: Path) -> None:
    """Failed before: a file that only started with an SGI or BMP signature (two bytes: one
    file in 65,536 of any content), or had a transport stream's sync byte at 0 and 188 only,
    was handed to FFmpeg (the 50,000-file bench card loaded PyAV for one such file: +18 MiB
    of peak memory). Real ones pass (test above: BMP, SGI, MTS, M2TS)."""
    refused = "not probed: its first bytes are no picture or video format FFmpeg reads"
    rest = bytes(range(7, 250)) * 4  # no 0x47 where a packet would start, no valid field
    for name, head in (
        ("a.bin", b"\x01\xda\x07\x09\x00\x09"),  # SGI magic, storage 7, 9 bytes a channel
        ("b.bin", b"BM" + bytes(12) + (99).to_bytes(4, "little")),  # info header of 99 bytes
        ("c.bin", b"\x47" + bytes(187) + b"\x47" + bytes(300)),  # 2 syncs, not the third
    ):
        path = tmp_path / name
        path.write_bytes(head + rest)
        assert not_media(path) == refused, name
    short = tmp_path / "d.ts"  # shorter than two packets: its first sync byte is all there is
    short.write_bytes(b"\x47" + bytes(100))
    assert not_media(short) is None


def av_codecs() -> set[str]:
    import av

    return set(av.codecs_available)


def test_files_the_sniff_refuses_do_not_use_up_the_probe_quota(tmp_path: Path, media: Any) -> None:
    """1,100 files named ``.MP4`` that are no video, then a DPX sequence: the sequence, the
    one picture on the card, said "not probed: only the first 1,000 clips of a card are",
    as the files the first-bytes check refused had used up the quota."""
    junk = tmp_path / "DCIM/100MEDIA"
    junk.mkdir(parents=True)
    for n in range(1100):
        (junk / f"C{n:04d}.MP4").write_bytes(b"not a clip\n" * 4)
    write_sequence(tmp_path / "VFX", "SH010", range(1001, 1041))
    entries = [
        {"path": p.relative_to(tmp_path).as_posix(), "size_bytes": p.stat().st_size}
        for p in sorted(tmp_path.rglob("*"))
        if p.is_file()
    ]
    clips = group_clips(entries)
    assert [c.kind for c in clips].count("clip") == 1100 and clips[-1].kind == "sequence"
    results, notes = probe_clips(clips, lambda c: tmp_path / str(c.primary["path"]))
    assert results[1100].error is None and results[1100].thumbnail
    refused = "not probed: its first bytes are no picture or video format FFmpeg reads"
    assert all(results[i].error == refused for i in range(1100))
    assert notes == []
    # The quota still counts every file handed to FFmpeg.
    results, notes = probe_clips(
        clips, lambda c: tmp_path / str(c.primary["path"]), ProbeBudget(max_clips=0)
    )
    assert results[1100].error == "not probed: only the first 0 clips of a card are"
    assert len(notes) == 1 and "1,101 more" in notes[0]
    # Looking at files the sniff refuses is bounded too (max_looked_at), and says so.
    results, notes = probe_clips(
        clips, lambda c: tmp_path / str(c.primary["path"]), ProbeBudget(max_looked_at=1000)
    )
    assert all(results[i].error == refused for i in range(1000))
    left = "not probed: only the first 1,000 clips of a card are looked at"
    assert results[1000].error == results[1100].error == left
    assert notes == [
        "Only the first 1,000 clips and sequences were looked at for thumbnails and metadata "
        "(those FFmpeg reads are probed); 101 more are listed without them."
    ]


def test_an_audio_take_of_several_files_is_described_whole(tmp_path: Path, media: Any) -> None:
    """A Zoom take of three files said "Audio 1 track(s), 48 kHz, 2 ch": its first file's."""
    from support.camera_cards import _wav

    take = ("250101-T001_LR.WAV", "250101-T001_Tr1.WAV", "250101-T001_Tr2.WAV")
    for name, channels in zip(take, (2, 1, 1), strict=True):
        (tmp_path / name).write_bytes(_wav(name, channels))
    clips = group_clips([{"path": name, "size_bytes": 1} for name in take])
    assert [c.name for c in clips] == ["250101-T001_Tr1.WAV (+2 tracks)"]
    results, _ = probe_clips(clips, lambda c: tmp_path / str(c.primary["path"]))
    assert results[0].audio == "3 files, 48 kHz, 4 ch"
    assert results[0].duration_s
    # A track FFmpeg cannot read is said, never counted.
    (tmp_path / take[2]).write_bytes(b"broken\n")
    results, _ = probe_clips(clips, lambda c: tmp_path / str(c.primary["path"]))
    assert results[0].audio == "3 files, 48 kHz, 3 ch in the 2 read (1 not readable)"


def test_an_audio_takes_sidecar_is_not_counted_one_of_its_tracks(
    tmp_path: Path, media: Any
) -> None:
    """A take of one polyphonic WAV with the recorder's ``.PMF`` beside it (its sidecar) is
    described as that WAV, and a take of two mono files with one as their two files: the
    .PMF is no track (the take's files less its sidecars are probed). Failed before: "2
    files, 48 kHz, 2 ch in the 1 read (1 not readable)" for the WAV and its .PMF, "3 files,
    ..." for the pair."""
    from support.camera_cards import _wav

    (tmp_path / "S01T01.WAV").write_bytes(_wav("S01T01.WAV", 2))
    (tmp_path / "S01T01.PMF").write_bytes(b"<project/>\n")
    for name in ("S01T02_1.WAV", "S01T02_2.WAV"):
        (tmp_path / name).write_bytes(_wav(name, 1))
    (tmp_path / "S01T02.PMF").write_bytes(b"<project/>\n")
    names = ("S01T01.WAV", "S01T01.PMF", "S01T02_1.WAV", "S01T02_2.WAV", "S01T02.PMF")
    clips = group_clips([{"path": name, "size_bytes": 1} for name in names])
    assert [(c.name, len(c.sidecars)) for c in clips] == [
        ("S01T01.WAV", 1),
        ("S01T02_1.WAV (+1 track)", 1),
    ]
    results, _ = probe_clips(clips, lambda c: tmp_path / str(c.primary["path"]))
    assert results[0].audio == probe_file(tmp_path / "S01T01.WAV").audio
    assert results[0].audio is not None and "not readable" not in results[0].audio
    assert results[1].audio == "2 files, 48 kHz, 2 ch"


def test_locating_and_sniffing_a_clip_costs_one_stat_open_read_and_close(
    tmp_path: Path, media: Any
) -> None:
    """``offload report`` of a real offload of 12 files named ``.MP4`` that are no video, to
    three destinations, under strace: each file is located with one ``stat`` of its first
    copy and sniffed with one ``open``, one hint that its first bytes are wanted soon
    (``fadvise64``: each but the first is opened ahead of its sniff, ``sniff.open_ahead``),
    one ``read`` and one ``close`` of it; the other copies and the card are not touched.
    The sniff opened a file object, whose ``fstat`` was a fifth call a file (with the
    ``Path`` objects of every copy made first, it cost three times the sniff on a card of
    5,000 such files: docs/performance.md)."""
    import re
    import subprocess

    from support.requirements import require_tool

    strace = require_tool("strace")
    card = tmp_path / "CARD" / "DCIM" / "100MEDIA"
    card.mkdir(parents=True)
    names = [f"C{n:04d}.MP4" for n in range(12)]
    for name in names:
        (card / name).write_bytes(os.urandom(5000))
    dests = [tmp_path / f"D{n}" for n in (1, 2, 3)]
    for dest in dests:
        dest.mkdir()
    offload = [sys.executable, "-m", "offload"]
    reports = tmp_path / "reports"
    copy = ["copy", "--quiet", "--verify", "transfer", "--report-dir", str(reports)]
    subprocess.run(
        [*offload, *copy, str(tmp_path / "CARD"), *map(str, dests)], check=True, capture_output=True
    )
    job = next(reports.glob("*.json"))
    traces = tmp_path / "trace"
    traces.mkdir()
    report = ["report", str(job), "--html", str(tmp_path / "r.html")]
    report += ["--pdf", str(tmp_path / "r.pdf")]
    # -ff: one file a thread, so no call is split by another thread's.
    strace_command = [strace, "-ff", "-qq", "-e", "trace=%file,%desc", "-o", str(traces / "t")]
    subprocess.run([*strace_command, *offload, *report], check=True, capture_output=True)
    threads = [path.read_text().splitlines() for path in sorted(traces.iterdir())]
    text = "\n".join(line for calls in threads for line in calls)
    for name in names:
        first, *others = (d / "CARD" / "DCIM" / "100MEDIA" / name for d in dests)
        calls = next(calls for calls in threads if f'"{first}"' in "\n".join(calls))
        named = [call for call in calls if f'"{first}"' in call]
        assert [call.split("(")[0] for call in named] in (
            ["newfstatat", "openat"],
            ["statx", "openat"],
            ["stat", "openat"],
        ), named
        # The calls on the descriptor the sniff opened, until it is closed.
        descriptor = re.search(r"= (\d+)$", named[-1])
        assert descriptor is not None, named
        after = calls[calls.index(named[-1]) + 1 :]
        on_it = [c.split("(")[0] for c in after if re.match(rf"\w+\({descriptor.group(1)}[,)]", c)]
        # The first is sniffed at once, every other one was opened ahead (a hint on it).
        hinted = ["fadvise64"] if name != names[0] else []
        assert on_it[: on_it.index("close") + 1] == [*hinted, "read", "close"], on_it
        for path in (*others, card / name):
            assert f'"{path}"' not in text, path


def _open_descriptors(folder: Path) -> set[str]:
    """This process's descriptors open on files in *folder*: not every one, which threads an
    earlier test left in the process (an S3 client's, a prober's) open and close meanwhile."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed since the listing
            continue
        if target.startswith(f"{folder}/"):
            found.add(fd)
    return found


def test_clips_are_opened_ahead_of_their_sniff_and_every_descriptor_closed(
    tmp_path: Path, media: Any
) -> None:
    """The prober opens the next clips' files ahead of their sniff (``sniff.open_ahead``),
    and closes every one it opened whatever stops it: at the end, at the looking quota with
    clips opened ahead and never sniffed, for a clip of no checked format (``.dv``: left to
    FFmpeg, no sniff), and for one whose file is gone (located, never opened). The results
    are the sniff's, as before."""
    folder = tmp_path / "DCIM/100MEDIA"
    folder.mkdir(parents=True)
    for n in range(60):
        (folder / f"C{n:04d}.MP4").write_bytes(b"not a clip\n" * 4)
    (folder / "C0007.dv").write_bytes(b"not dv\n")  # no sniff: FFmpeg decides (cannot)
    entries = [
        {"path": p.relative_to(tmp_path).as_posix(), "size_bytes": p.stat().st_size}
        for p in sorted(tmp_path.rglob("*"))
        if p.is_file()
    ]
    entries.append({"path": "DCIM/100MEDIA/C9999.MP4", "size_bytes": 40})  # gone
    clips = group_clips(entries)

    def locate(clip: Any) -> Path | None:
        path = tmp_path / str(clip.primary["path"])
        return path if path.exists() else None

    refused = "not probed: its first bytes are no picture or video format FFmpeg reads"
    before = _open_descriptors(tmp_path)
    results, notes = probe_clips(clips, locate)
    assert _open_descriptors(tmp_path) == before
    kinds = {str(c.primary["path"]).rsplit("/", 1)[-1]: results[i] for i, c in enumerate(clips)}
    assert kinds["C9999.MP4"].error == ("not probed: neither the card nor a verified copy is there")
    assert kinds["C0007.dv"].error != refused
    assert all(kinds[f"C{n:04d}.MP4"].error == refused for n in range(60))
    # Stopped by the quota (none is opened ahead past it).
    results, notes = probe_clips(clips, locate, ProbeBudget(max_looked_at=20))
    assert _open_descriptors(tmp_path) == before
    assert sum(info.error == refused for info in results.values()) == 20 - 1  # one .dv
    # Stopped by the time budget while a card reader hangs on a later clip's file, with
    # clips opened ahead of it: once the reader answers, the prober stops and closes them.
    release = threading.Event()

    def hangs_at_the_40th(clip: Any) -> Path | None:
        if str(clip.primary["path"]).endswith("C0040.MP4"):
            release.wait(60)
        return locate(clip)

    results, notes = probe_clips(clips, hangs_at_the_40th, ProbeBudget(total_s=1.0))
    assert notes and "total time budget" in notes[0]
    assert len(_open_descriptors(tmp_path) - before) > 0  # opened ahead, held while it hangs
    release.set()
    deadline = time.monotonic() + 10
    while _open_descriptors(tmp_path) != before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _open_descriptors(tmp_path) == before


def test_a_header_opened_ahead_is_read_into_the_page_cache(tmp_path: Path) -> None:
    """``open_ahead`` asks the kernel for a file's first bytes: a file whose pages were
    dropped from the cache has them there soon after, without a read of ours; the
    descriptor it returns is the one ``not_media`` then reads and closes."""
    from offload.fs.ops import cached_pages
    from offload.report.sniff import open_ahead

    path = tmp_path / "C0001.MP4"
    path.write_bytes(os.urandom(1 << 20))
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        # Dropped, on a filesystem that can (tmpfs cannot: its pages are its storage).
        dropped = cached_pages(fd, 1 << 20) == 0
        descriptor = open_ahead(path)
        assert descriptor is not None
        deadline = time.monotonic() + 5
        while not cached_pages(fd, 4096) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert cached_pages(fd, 4096) == 1, f"dropped before: {dropped}"
    finally:
        os.close(fd)
    before = _open_descriptors(tmp_path)
    assert not_media(path, descriptor) is not None  # random bytes: refused
    assert _open_descriptors(tmp_path) == before - {str(descriptor)}
    assert open_ahead(tmp_path / "gone.MP4") is None
    assert open_ahead(tmp_path / "X.dv") is None  # a format the sniff leaves to FFmpeg


def _iphone_clip(
    path: Path, codec: str, pix_fmt: str, frames: int = 24, *, sound: bool = False
) -> Path:
    """A 1 s 24 fps MOV as an iPhone records it (ProRes 422 HQ, or HEVC Main 10), frames
    that change (so each one is encoded, none skipped); with *sound*, 1 s of 48 kHz stereo
    PCM beside them."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=24)
        stream.width, stream.height, stream.pix_fmt = 320, 180, pix_fmt
        if codec == "prores_ks":
            stream.codec_context.profile = "HQ"
        else:
            stream.codec_context.options = {"x265-params": "log-level=error"}
        if sound:
            audio = container.add_stream("pcm_s16le", rate=48_000, layout="stereo")
            samples = av.AudioFrame(format="s16", layout="stereo", samples=48_000)
            samples.sample_rate = 48_000
            samples.planes[0].update(bytes(samples.planes[0].buffer_size))
            for packet in [*audio.encode(samples), *audio.encode()]:
                container.mux(packet)
        for n in range(frames):
            frame = av.VideoFrame(320, 180, "rgb24")
            frame.planes[0].update(bytes([(n * 10) % 256]) * frame.planes[0].buffer_size)
            for packet in stream.encode(frame.reformat(format=pix_fmt)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_iphone_prores_and_hevc_clips_are_probed(tmp_path: Path, media: Any) -> None:
    """An iPhone's ProRes 422 HQ and HEVC (10-bit) MOVs, the codecs a phone card holds: each
    is named with its codec, size, rate, duration and frames, and has a thumbnail (the demo
    clips the other tests probe are H.264 and MPEG-2)."""
    prores = probe_file(_iphone_clip(tmp_path / "IMG_0101.MOV", "prores_ks", "yuv422p10le"))
    hevc = probe_file(_iphone_clip(tmp_path / "IMG_0102.MOV", "libx265", "yuv420p10le"))
    for info, codec in ((prores, "Apple ProRes HQ"), (hevc, "HEVC/H.265 Main 10")):
        assert info.error is None, info.error
        assert info.codec is not None and info.codec.startswith(codec), info.codec
        assert (info.width, info.height, info.frame_rate) == (320, 180, "24")
        assert info.frames == 24
        assert info.duration_s is not None and abs(info.duration_s - 1.0) < 0.05
        assert info.thumbnail is not None


@pytest.mark.parametrize(
    "name, tag",
    [("A001_08151234_C009.braw", b"brxq"), ("A001C001_230101AB_CANON.CRM", b"CRAW")],
)
def test_a_clip_ffmpeg_cannot_decode_keeps_its_facts_and_says_why(
    tmp_path: Path, media: Any, name: str, tag: bytes
) -> None:
    """A QuickTime clip whose codec FFmpeg has no decoder for (Blackmagic RAW, Canon Cinema
    RAW Light: a ProRes MOV's codec tag rewritten) keeps its codec tag, size, rate, length
    and sound, and says FFmpeg cannot decode it. Failed before: "not readable by FFmpeg:
    'NoneType' object has no attribute 'name'", every fact lost."""
    made = _iphone_clip(tmp_path / "made.mov", "prores_ks", "yuv422p10le", sound=True)
    data = made.read_bytes()
    assert data.count(b"apch") == 1
    clip = tmp_path / name
    clip.write_bytes(data.replace(b"apch", tag))
    info = probe_file(clip)
    assert info.error == (
        f"not decodable by FFmpeg: it has no decoder for this clip's codec ('{tag.decode()}')"
    ), info
    assert info.codec == f"'{tag.decode()}' (codec tag)", info
    assert (info.width, info.height, info.frame_rate, info.frames) == (320, 180, "24", 24)
    assert info.audio == "1 track, 48 kHz, 2 ch", info
    assert info.thumbnail is None


def _box(kind: bytes, *body: bytes) -> bytes:
    """One ISO BMFF box: its 32-bit size, its type, then *body*."""
    data = b"".join(body)
    return (8 + len(data)).to_bytes(4, "big") + kind + data


def _video_trak(tag: bytes) -> bytes:
    """A ``trak`` whose handler is ``vide`` and whose one sample description has codec *tag*
    and a 320x180 picture (the fields ``video_sample_entry`` reads, the rest zeros)."""
    hdlr = _box(b"hdlr", bytes(8), b"vide", bytes(12))
    entry = (86).to_bytes(4, "big") + tag + bytes(24) + (320).to_bytes(2, "big")
    entry += (180).to_bytes(2, "big") + bytes(50)
    stsd = _box(b"stsd", bytes(4), (1).to_bytes(4, "big"), entry)
    return _box(b"trak", _box(b"mdia", hdlr, _box(b"minf", _box(b"stbl", stsd))))


def test_an_index_of_a_million_empty_boxes_is_given_up_on_in_little_time_and_memory(
    tmp_path: Path,
) -> None:
    """Review of the fixfirstB59 merge: ``video_sample_entry`` read the whole ``moov`` (up
    to 64 MiB) and listed every box in it, so a ``moov`` of millions of empty ``free`` boxes
    before one ``brxq`` track took seconds and hundreds of MB for one clip. Failed before
    (1M boxes: ~2 s of CPU, ~130 MB); only box headers are read now, at most 4096 of them.
    The same track without the boxes in front is read."""
    import tracemalloc

    from offload.report.sniff import SampleEntry, video_sample_entry

    ftyp = _box(b"ftyp")
    good = tmp_path / "A001_08151234_C009.braw"
    good.write_bytes(ftyp + _box(b"moov", _video_trak(b"brxq")))
    assert video_sample_entry(good) == SampleEntry("brxq", 320, 180)
    hostile = tmp_path / "A001_08151234_C010.braw"
    hostile.write_bytes(ftyp + _box(b"moov", _box(b"free") * 1_000_000, _video_trak(b"brxq")))
    tracemalloc.start()
    cpu = time.thread_time()
    try:
        found = video_sample_entry(hostile)
        cpu = time.thread_time() - cpu
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (cpu < 0.5, peak < 1 << 20) == (True, True), (cpu, peak)
    assert found is None


def cine_header(*, header_size: int = 44, compression: int = 0, images: int = 1) -> bytes:
    """A Phantom Cine file's 44-byte header (little-endian): type ``CI``, header size,
    compression, version 1, first movie image, total image count, first image number, image
    count, the offsets of the image header, the setup and the image offsets, trigger time."""
    fields = [(b"CI", 2), (header_size, 2), (compression, 2), (1, 2), (0, 4), (images, 4)]
    fields += [(0, 4), (images, 4), (44, 4), (84, 4), (1000, 4), (0, 8)]
    return b"".join(v if isinstance(v, bytes) else v.to_bytes(n, "little") for v, n in fields)


def test_a_phantom_cine_is_handed_to_ffmpeg_and_two_bytes_ci_are_not(tmp_path: Path) -> None:
    """Failed before: a Phantom ``Cine1.cine`` (FFmpeg's cine demuxer reads it) was "not
    probed: its first bytes are no picture or video format FFmpeg reads". A file that only
    starts with ``CI`` (its header fields not a Cine header's) still is not handed over."""
    cine = tmp_path / "Cine1.cine"
    cine.write_bytes(cine_header() + bytes(2000))
    assert not_media(cine) is None
    refused = "not probed: its first bytes are no picture or video format FFmpeg reads"
    for name, head in (
        ("short.cine", cine_header(header_size=20)),
        ("codec.cine", cine_header(compression=9)),
        ("none.cine", cine_header(images=0)),
    ):
        (tmp_path / name).write_bytes(head + bytes(2000))
        assert not_media(tmp_path / name) == refused, name


def _mjpeg_with_pictures_zeroed(path: Path, zeroed: set[int], count: int = 50) -> Path:
    """A real MJPEG MOV of *count* small pictures (PyAV), the data of those in *zeroed*
    overwritten with zeros where they lie (its index whole): pictures FFmpeg refuses."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mjpeg", rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 90, "yuvj420p"
        for index in range(count):
            frame = av.VideoFrame(160, 90, "yuvj420p")
            for plane in frame.planes:
                plane.update(bytes([index * 5 % 256]) * plane.buffer_size)
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    with av.open(str(path)) as source:
        places = [(p.pos, p.size) for p in source.demux(source.streams.video[0]) if p.size]
    data = bytearray(path.read_bytes())
    for index in zeroed:
        pos, size = places[index]
        data[pos : pos + size] = bytes(size)
    path.write_bytes(data)
    return path


def test_one_bad_picture_does_not_make_a_clip_said_to_have_none(tmp_path: Path, media: Any) -> None:
    """Review of the report-words merge: decoding stopped at the first picture FFmpeg
    refused, so a clip whose first and middle pictures were damaged (48 of 50 decode) was
    said to have none that decode, "no player shows it". Failed before; the bad pictures
    are skipped and counted, the next one shown; "none" only when none decodes."""
    clip = _mjpeg_with_pictures_zeroed(tmp_path / "C0001.MOV", {0, 25})
    info = probe_file(clip)
    assert info.thumbnail is not None
    assert info.damage is not None and "none" not in info.damage, info.damage
    assert info.damage.startswith("1 of the 2 pictures read around its middle does not decode")
    every = _mjpeg_with_pictures_zeroed(tmp_path / "C0002.MOV", set(range(50)))
    info = probe_file(every)
    assert info.thumbnail is None
    assert info.damage is not None
    assert info.damage.startswith("no picture decodes: its index reads, but FFmpeg decodes none")


def test_a_file_of_data_tracks_only_is_not_said_damaged(tmp_path: Path, media: Any) -> None:
    """Review of the report-words merge: an MP4 whose index reads but holds only a data
    track (no picture, no sound) was said damaged, "its index (the 'moov' box) cannot be
    read". Failed before; it says what it holds."""
    from fractions import Fraction

    import av

    path = tmp_path / "D0001.MP4"
    with av.open(str(path), "w") as out:
        stream = out.add_data_stream("bin_data")
        for index in range(10):
            packet = av.Packet(b"x" * 100)
            packet.stream, packet.pts, packet.dts = stream, index, index
            packet.time_base = Fraction(1, 25)
            out.mux(packet)
    info = probe_file(path)
    assert info.damage is None
    assert info.error == "no picture and no sound in this file: it holds only 1 data track"
