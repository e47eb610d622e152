"""``card_content``: the summary's CARD CONTENT lines from the clip grouping, one a kind,
the first three of a kind named and the rest counted (the HTML/PDF name every one)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from offload.demo import ClipSpec, encode_clip
from offload.report.card_content import card_content
from offload.report.clips import group_clips
from offload.report.media import probe_clips
from report.helpers import offload_cli, pdf_words


def entries(paths: dict[str, int]) -> list[dict[str, object]]:
    return [{"path": path, "size_bytes": size} for path, size in paths.items()]


def test_many_clips_missing_spans_name_three_and_count_the_rest() -> None:
    files = {}
    for clip in range(5):
        for span in (1, 2, 5):  # 003 and 004 missing from each
            files[f"A001_C00{clip}_0101XX.RDC/A001_C00{clip}_0101XX_{span:03d}.R3D"] = 10
    [line] = card_content(group_clips(entries(files)))
    assert line["kind"] == "spans-missing" and line["count"] == 5
    assert line["message"].startswith(
        "CARD CONTENT: 5 clips on the card are missing spans (gaps in their numbers): "
        "A001_C000_0101XX.RDC/A001_C000_0101XX_001.R3D (+2 spans) has no "
        "A001_C000_0101XX_003.R3D, A001_C000_0101XX_004.R3D; "
    ), line
    assert line["message"].count(" has no ") == 3
    assert (
        "; and 2 more clips, each named in the HTML/PDF report (so on the card itself"
        in (line["message"])
    )
    assert "not a copy problem" in line["message"]
    # No copy of them is recorded here: none is said to hold what the card holds.
    assert "the copies hold what the card holds" not in line["message"]


def test_a_whole_card_and_a_one_file_clip_say_nothing() -> None:
    files = {
        "A001_C001_0101XX.RDC/A001_C001_0101XX_001.R3D": 10,
        "A001_C001_0101XX.RDC/A001_C001_0101XX_002.R3D": 10,
        "CLIPS/C0001.MP4": 10,
        **{f"DPX/shot.{n:07d}.dpx": 10 for n in range(1, 30)},
        "notes.txt": 0,  # an empty file that is no clip: not the card's content problem
    }
    assert card_content(group_clips(entries(files))) == []


def test_a_sequences_gaps_are_ranges_and_several_empty_clips_are_named() -> None:
    files = {f"DPX/shot.{n:04d}.dpx": 10 for n in range(1, 21) if n not in (4, 10, 11, 12)}
    files.update({f"CLIPS/C000{n}.MOV": 0 for n in range(1, 6)})
    gaps, empty = card_content(group_clips(entries(files)))
    assert gaps["kind"] == "frames-missing"
    assert "DPX/shot.[0001-0020].dpx lacks 4 frames (4, 10-12)" in gaps["message"]
    assert empty["kind"] == "empty-clip" and empty["count"] == 5
    assert (
        "5 files named as clips on the card are empty (0 bytes: nothing was recorded in them): "
        "CLIPS/C0001.MOV, CLIPS/C0002.MOV, CLIPS/C0003.MOV and 2 more (so on the card itself"
    ) in empty["message"], empty


def _cut_clip(card: Path, name: str) -> Path:
    """A real MP4 (PyAV) whose index (``moov``, written last) never reached the card: a
    recording cut off when the card was pulled."""
    whole = encode_clip(card, ClipSpec(f"W_{name}", seconds=1.0, width=160, height=90))
    data = whole.read_bytes()
    cut = card / name
    cut.write_bytes(data[: data.index(b"moov") - 4])
    return whole


def test_a_clip_the_probing_found_cut_off_gets_a_line(tmp_path: Path, media: Any) -> None:
    """The probing's damage (``MediaInfo.damage``: a clip cut off while recording) is the
    card's own content too: one line, naming the clip and what its row says. Failed before:
    the HTML/PDF said it (a page-1 warning, the row), the terminal nothing."""
    card = tmp_path / "card"
    whole = _cut_clip(card, "C0001.MP4")
    files = entries({"C0001.MP4": 1, whole.name: 1})
    clips = group_clips(files)
    probed, _ = probe_clips(clips, lambda c: card / str(c.primary["path"]))
    [line] = card_content(clips, probed)
    assert line["kind"] == "clip-damaged" and line["count"] == 1
    assert line["message"].startswith(
        "CARD CONTENT: 1 clip on the card is not whole (found by probing it): C0001.MP4: cut "
        "off while recording: the file holds recorded data but no index"
    ), line
    assert line["message"].endswith("check with the camera department).")
    assert whole.name not in line["message"]
    # Not probed (--no-media): nothing known, nothing said.
    assert card_content(clips) == card_content(clips, {}) == []


def _copy_card(card: Path, tmp_path: Path) -> tuple[str, Path, Path]:
    """A real ``offload copy`` of *card* into ``tmp_path/D1`` (made here), its reports in
    ``tmp_path/r``, exit code 0 asserted: (what it printed on stderr, the reports' folder,
    the destination)."""
    dest, reports = tmp_path / "D1", tmp_path / "r"
    dest.mkdir()
    code, _, err = offload_cli(["copy", "--report-dir", str(reports), str(card), str(dest)])
    assert code == 0, err
    return err, reports, dest


def _card_content_lines(err: str) -> list[str]:
    """The ``CARD CONTENT:`` lines of a run's stderr, *err*."""
    return [x for x in err.splitlines() if x.startswith("CARD CONTENT:")]


def _pdf_words(poppler: dict[str, str], reports: Path) -> str:
    """The text of the one PDF in *reports*, its white space folded (``pdf_words``)."""
    [pdf] = reports.glob("*.pdf")
    return pdf_words(poppler, pdf)


def test_copy_prints_the_probings_damage_as_card_content(tmp_path: Path, media: Any) -> None:
    """The whole path: ``offload copy`` of a card with a clip cut off prints its CARD
    CONTENT line under the verdict, and ``--json`` gives it in ``card_content``."""
    card = tmp_path / "cards" / "A003"
    _cut_clip(card, "C0001.MP4")
    err, _, dest = _copy_card(card, tmp_path)
    [said] = _card_content_lines(err)
    assert said.startswith(
        "CARD CONTENT: 1 clip on the card is not whole (found by probing it): C0001.MP4: cut off"
    ), err
    again = ["copy", "--json", "--report-dir", str(tmp_path / "r2"), str(card), str(dest)]
    code, out, err = offload_cli(again)
    assert code == 0, err
    [job] = [e for e in map(json.loads, out.splitlines()) if e["event"] == "job_report"]
    assert [(c["kind"], c["message"]) for c in job["card_content"]] == [("clip-damaged", said)]


def _damaged_clips(card: Path) -> None:
    """In *card*, two real clips (PyAV) damaged where their data still is: ``C0001.MOV``
    with the 400 bytes after its ``moov`` header XORed (its index unreadable, its pictures
    still in its ``mdat``), ``C0002.MP4`` with the first 30 kB of its ``mdat`` zeroed (its
    index whole, no picture decodes)."""
    for name in ("C0001.MOV", "C0002.MP4"):
        data = bytearray(encode_clip(card, ClipSpec(name, seconds=3.0, width=320)).read_bytes())
        box = data.index(b"moov" if name.endswith("MOV") else b"mdat") + 4
        if name.endswith("MOV"):
            data[box : box + 400] = bytes(b ^ 0xFF for b in data[box : box + 400])
        else:
            length = int.from_bytes(data[box - 8 : box - 4], "big") - 8
            data[box : box + min(30_000, length)] = bytes(min(30_000, length))
        (card / name).write_bytes(data)


def test_clips_whose_index_or_pictures_cannot_be_read_are_said_damaged(
    tmp_path: Path, media: Any, poppler: dict[str, str]
) -> None:
    """A real ``offload copy`` of ``_damaged_clips``: each is a ``clip-damaged`` CARD
    CONTENT line and a page-1 warning in true words ("its index ... cannot be read, though
    the file holds recorded data", "no picture decodes"), never "nothing recorded"; the
    copies are verified all the same (they equal the card). Failed before: the MOV's row
    said "no picture and no sound in this file (nothing recorded)", the MP4's showed its
    frames and "not readable by FFmpeg" in its picture cell only: no warning, no line."""
    card = tmp_path / "cards" / "A009"
    _damaged_clips(card)
    err, reports, _ = _copy_card(card, tmp_path)
    [said] = _card_content_lines(err)
    assert said.startswith("CARD CONTENT: 2 clips on the card are not whole"), err
    assert "C0001.MOV: its index (the 'moov' box) cannot be read, though the file holds" in said
    assert "C0002.MP4: no picture decodes: its index reads, but FFmpeg decodes none" in said
    pdf = _pdf_words(poppler, reports)
    assert "nothing recorded" not in pdf
    assert "ALL COPIES VERIFIED" in pdf
    assert "Clip C0001.MOV: its index (the 'moov' box) cannot be read" in pdf, pdf
    assert "Clip C0002.MP4: no picture decodes" in pdf, pdf


def _wav(path: Path, seconds: float = 0.5) -> None:
    """A real WAV (mono, 16 bit, 48 kHz) of silence."""
    import wave

    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as take:
        take.setnchannels(1)
        take.setsampwidth(2)
        take.setframerate(48_000)
        take.writeframes(bytes(int(96_000 * seconds)))


def _sound(path: Path, container: str, codec: str) -> None:
    """A real sound file PyAV encodes: *container* (``flac``, ``aiff``, ``mp3``) of *codec*."""
    import av

    with av.open(str(path), "w", format=container) as output:
        stream = output.add_stream(codec, rate=48_000, layout="mono")
        samples = stream.codec_context.frame_size or 1024
        sample_format = stream.codec_context.codec.audio_formats[0].name
        for index in range(20):
            frame = av.AudioFrame(format=sample_format, layout="mono", samples=samples)
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.sample_rate, frame.pts = 48_000, index * samples
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)


def test_a_sound_file_is_an_audio_take_only_where_it_holds_sound(
    tmp_path: Path, media: Any
) -> None:
    """A sound recorder's card: a real WAV, FLAC, AIFF and MP3 are audio takes; a WAV of
    random bytes is a file named as an audio take, not sound (not counted as a take, its
    row saying no sound format was found); an empty WAV is an empty file named as a sound
    file, with a CARD CONTENT line as an empty clip has. Failed before: all six were "audio
    takes", the random one's row said "no picture or video format" (as did the FLAC's, the
    AIFF's and the MP3's, never probed), and the empty one had no CARD CONTENT line."""
    from offload.report.content import build_view

    card = tmp_path / "card"
    _wav(card / "SOUND" / "S01T01.WAV")
    _sound(card / "SOUND" / "S02T01.FLAC", "flac", "flac")
    _sound(card / "SOUND" / "S03T01.AIF", "aiff", "pcm_s16be")
    _sound(card / "SOUND" / "S04T01.MP3", "mp3", "mp3")
    (card / "SOUND" / "S05T01.WAV").write_bytes(bytes(range(256)) * 200)
    (card / "SOUND" / "S06T01.WAV").write_bytes(b"")
    files = [
        {"path": str(p.relative_to(card)), "size_bytes": p.stat().st_size}
        for p in sorted((card / "SOUND").iterdir())
    ]
    clips = group_clips(files)
    assert [(c.name, c.kind) for c in clips] == [
        ("S01T01.WAV", "audio"),
        ("S02T01.FLAC", "audio"),
        ("S03T01.AIF", "audio"),
        ("S04T01.MP3", "audio"),
        ("S05T01.WAV", "audio"),
        ("S06T01.WAV", "empty"),
    ]
    probed, _ = probe_clips(clips, lambda c: card / str(c.primary["path"]))
    for index in range(4):
        assert probed[index].duration_s, (clips[index].name, probed[index])
    data = {"source": str(card), "files": files, "destinations": [{"index": 0, "path": "/d"}]}
    view = build_view(data, clips, probed, [])
    rows = {row.name: row for row in view.clips}
    assert [
        rows[f"S0{n}T01.{e}"].kind_label for n, e in enumerate(("WAV", "FLAC", "AIF", "MP3"), 1)
    ] == ["audio take"] * 4
    assert rows["S05T01.WAV"].kind_label == "file named as an audio take"
    assert rows["S05T01.WAV"].media_note == (
        "not probed: its first bytes are no sound format FFmpeg reads"
    )
    assert rows["S06T01.WAV"].kind_label == "empty file"
    assert any("not counted as an audio take" in d for d in rows["S06T01.WAV"].details)
    totals = dict(view.totals)
    assert totals["Audio takes"] == "4", totals
    assert totals["Files named as audio takes, not sound"] == "1", totals
    assert totals["Empty files named as sound files"] == "1", totals
    # S05T01.WAV, no sound format, is flagged as its row is (not readable as media).
    empty, unreadable = card_content(clips, probed)
    assert unreadable["kind"] == "not-readable-as-media" and unreadable["message"].startswith(
        "CARD CONTENT: 1 file named as an audio take on the card is not readable as media "
        "(its first bytes are no format FFmpeg reads): SOUND/S05T01.WAV"
    ), unreadable
    assert any(d.startswith("⚠ NOT READABLE AS MEDIA") for d in rows["S05T01.WAV"].details)
    assert empty["kind"] == "empty-clip" and empty["message"].startswith(
        "CARD CONTENT: 1 file named as a sound file on the card is empty (0 bytes: nothing "
        "was recorded in it): SOUND/S06T01.WAV"
    ), empty


def test_a_gopro_chapter_told_by_its_proxy_and_thumbnail_is_missing(tmp_path: Path) -> None:
    """A GoPro recording whose chapter 02 left its low-res proxy and thumbnail on the card
    but not its video: the clip lacks GH020001.MP4, though it is the last chapter. And in a
    folder outside DCIM, another recording's proxies and thumbnails (no video of theirs)
    are not files of the folder's only clip. Failed before: the clip said nothing missing
    (the last chapter "cannot be told from the names"), and the other recording's four
    files were counted as sidecars of GH010001.MP4."""
    lacking = group_clips(
        entries(
            {
                "DCIM/100GOPRO/GH010001.MP4": 9,
                "DCIM/100GOPRO/GH010001.THM": 1,
                "DCIM/100GOPRO/GL010001.LRV": 3,
                "DCIM/100GOPRO/GH020001.THM": 1,
                "DCIM/100GOPRO/GL020001.LRV": 3,
            }
        )
    )
    [clip] = lacking
    assert list(clip.missing_spans) == ["GH020001.MP4"], clip
    [line] = card_content(lacking)
    assert line["message"].startswith(
        "CARD CONTENT: 1 clip on the card is missing a span (a gap in its numbers, or a "
        "chapter whose proxy or thumbnail is on the card): DCIM/100GOPRO/GH010001.MP4 has no "
        "GH020001.MP4"
    ), line
    other = group_clips(
        entries(
            {
                "GOPRO/GH010001.MP4": 9,
                "GOPRO/GL010002.LRV": 3,
                "GOPRO/GL020002.LRV": 3,
                "GOPRO/GH010002.THM": 1,
                "GOPRO/GH020002.THM": 1,
            }
        )
    )
    # Recording 0002's proxies and thumbnails: one row of their recording, its video absent
    # (was four "other files" and no CARD CONTENT line).
    assert [(c.name, c.kind, len(c.files)) for c in other] == [
        ("GH010001.MP4", "clip", 1),
        ("GH010002.THM", "no-video", 4),
    ], other
    assert [line["kind"] for line in card_content(other)] == ["video-missing"]


def test_a_gopro_recording_with_only_its_proxy_and_thumbnail_is_a_recording_without_video(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    """Failed before: a GoPro recording whose LRV proxy and THM thumbnail are on the card
    but not its MP4 was two "other files" (FILE rows, "2 other files"), nothing saying they
    were a recording's or that its video was absent. Now, on a real ``offload copy``: one
    row of kind "GoPro proxy/thumbnail only, video absent", saying the main clip is absent,
    counted apart from other files; a CARD CONTENT line on the terminal; a still named as a
    first chapter (GOPR0043.JPG) stays an other file."""
    card = tmp_path / "cards" / "GOPRO1"
    folder = card / "DCIM" / "100GOPRO"
    folder.mkdir(parents=True)
    (folder / "GL010042.LRV").write_bytes(b"\x00" * 3000)
    (folder / "GH010042.THM").write_bytes(b"\xff\xd8" + b"\x00" * 500)
    (folder / "GOPR0043.JPG").write_bytes(b"\xff\xd8" + b"\x00" * 700)
    err, reports, _ = _copy_card(card, tmp_path)
    [said] = _card_content_lines(err)
    assert said.startswith(
        "CARD CONTENT: 1 GoPro recording on the card has its proxy (LRV) or thumbnail (THM) "
        "but no video: the main clip is absent: DCIM/100GOPRO/GH010042.THM"
    ), err
    text = _pdf_words(poppler, reports)
    assert "0 clips, 0 image sequences, 1 GoPro recording without its video, 1 other file" in (
        text
    ), text
    assert "GOPRO PROXY/THUMBNAIL ONLY, VIDEO ABSENT" in text, text
    assert "NO VIDEO ON THE CARD: a GoPro recording's proxy (LRV) or thumbnail (THM) only" in (
        text
    ), text
    [html] = reports.glob("*.html")
    assert "GL010042.LRV" in html.read_text(encoding="utf-8")  # listed under its row


def test_an_empty_gopro_video_beside_its_proxy_is_empty_not_absent(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    """Review of the reports merge: a GoPro recording whose MP4 is on the card but empty (0
    bytes), beside its LRV and THM, made those a "no-video" row: page 1 said "NO VIDEO ON
    THE CARD … main clip (MP4) is absent" beside "GH010042.MP4: EMPTY", and CARD CONTENT
    counted the recording twice (an empty clip, and a recording without video). Failed
    before; on a real ``offload copy`` it is the empty clip alone."""
    card = tmp_path / "cards" / "GOPRO1"
    folder = card / "DCIM" / "100GOPRO"
    folder.mkdir(parents=True)
    (folder / "GH010042.MP4").write_bytes(b"")
    (folder / "GL010042.LRV").write_bytes(b"\x00" * 3000)
    (folder / "GH010042.THM").write_bytes(b"\xff\xd8" + b"\x00" * 500)
    err, reports, _ = _copy_card(card, tmp_path)
    said = _card_content_lines(err)
    assert len(said) == 1 and "GH010042.MP4" in said[0], said
    assert "but no video" not in err, err
    text = _pdf_words(poppler, reports)
    assert "NO VIDEO ON THE CARD" not in text, text
    assert "VIDEO ABSENT" not in text, text
    assert "GoPro recording without its video" not in text, text


def test_an_mp3_without_its_id3_tag_is_sniffed_as_sound(tmp_path: Path, media: Any) -> None:
    """An MP3 whose first bytes are an MPEG audio frame (no ID3v2 tag before it) is handed
    to FFmpeg, which reads it; the same bytes named ``.WAV`` are not (a two-byte signature
    is trusted only under its own extension). Failed before: the MP3 was "not probed"."""
    from offload.report.sniff import NOT_MEDIA, not_media

    tagged = tmp_path / "tagged.mp3"
    _sound(tagged, "mp3", "mp3")
    data = tagged.read_bytes()
    assert data.startswith(b"ID3")
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]  # syncsafe
    bare = tmp_path / "S01T01.MP3"
    bare.write_bytes(data[10 + size :])
    assert bare.read_bytes()[0] == 0xFF
    assert not_media(str(tagged)) is None and not_media(str(bare)) is None
    (tmp_path / "S01T01.WAV").write_bytes(bare.read_bytes())
    assert not_media(str(tmp_path / "S01T01.WAV")) == NOT_MEDIA


def test_clips_missing_spans_told_two_ways_say_both_and_each_row_its_own() -> None:
    """Two GoPro recordings: one lacks its last chapter (told by its proxy alone), the other
    a chapter between two on the card (a gap in its numbers). The line says both ways, in
    the plural; each row (``spans_missing_why``) says its own, from the flag group_clips
    set (``Clip.spans_told_by_sidecars``)."""
    from offload.report.clips import spans_missing_why

    clips = group_clips(
        entries(
            {
                "DCIM/100GOPRO/GH010001.MP4": 9,
                "DCIM/100GOPRO/GL020001.LRV": 3,
                "DCIM/100GOPRO/GH010002.MP4": 9,
                "DCIM/100GOPRO/GH030002.MP4": 9,
            }
        )
    )
    told = {c.name.split(" ")[0]: spans_missing_why(c) for c in clips}
    assert told == {
        "GH010001.MP4": "a gap in its numbers, or a chapter whose proxy or thumbnail is on "
        "the card",
        "GH010002.MP4": "a gap in its numbers",
    }, told
    [line] = card_content(clips)
    assert line["message"].startswith(
        "CARD CONTENT: 2 clips on the card are missing spans (gaps in their numbers, or "
        "chapters whose proxy or thumbnail is on the card): "
    ), line


def test_an_empty_sound_file_a_clip_claims_is_warned_about_as_an_unclaimed_one(
    tmp_path: Path, media: Any, poppler: dict[str, str]
) -> None:
    """Failed before: a WAV of 0 bytes beside its clip (``A001C001.WAV``, claimed by
    ``A001C001.MP4`` as its sound) was listed under the clip "(0 B)" and nothing more: no
    warning, no CARD CONTENT line, where the same file no clip claims gets both. Now, on a
    real ``offload copy``: the terminal's CARD CONTENT line names it with the empty sound
    file no clip claims, page 1 warns of it naming its clip, and the clip's row says it."""
    card = tmp_path / "cards" / "A001"
    clips = card / "CLIPS"
    encode_clip(clips, ClipSpec("A001C001.MP4", seconds=1.0, width=160, height=90))
    (clips / "A001C001.WAV").write_bytes(b"")  # the clip's, empty
    _wav(card / "SOUND" / "S01T01.WAV")  # a take, whole
    (card / "SOUND" / "S02T01.WAV").write_bytes(b"")  # no clip's, empty
    err, reports, _ = _copy_card(card, tmp_path)
    [said] = _card_content_lines(err)
    assert said.startswith(
        "CARD CONTENT: 2 files named as sound files on the card are empty (0 bytes: nothing "
        "was recorded in them): CLIPS/A001C001.WAV, SOUND/S02T01.WAV"
    ), err
    text = _pdf_words(poppler, reports)
    assert (
        "CLIPS/A001C001.WAV: EMPTY (0 bytes): nothing was recorded in it (a recording that "
        "failed); the sound file of A001C001.MP4"
    ) in text, text
    assert "A001C001.WAV: EMPTY (0 bytes)" in text.partition("Clips and files")[2], text
    # Review of the reports merge: the totals counted the file no clip claims alone ("1
    # empty file named as a sound file") where CARD CONTENT counts 2. Failed before.
    assert "2 empty files named as sound files" in text, text
    assert "Empty files named as sound files 2" in text, text


def test_only_an_empty_video_of_the_same_chapter_puts_a_gopro_video_on_the_card() -> None:
    """An empty file of a GoPro recording stands for its video only when it is that
    chapter's video: an empty low-res proxy named as a clip (``GL010042.MP4``), or another
    chapter's empty video (``GH020043.MP4``), leaves the chapter's proxy and thumbnail a
    recording without its video. Failed before: any empty file of the recording made them
    other files, no CARD CONTENT line saying the video was absent. An empty video of the
    same chapter (``GH010044.MP4``) still leaves its thumbnail an other file."""
    clips = group_clips(
        entries(
            {
                "DCIM/100GOPRO/GL010042.MP4": 0,  # a proxy, named as a clip, empty
                "DCIM/100GOPRO/GH010042.THM": 500,
                "DCIM/100GOPRO/GH020043.MP4": 0,  # chapter 2's video, empty
                "DCIM/100GOPRO/GL010043.LRV": 3000,  # chapter 1's proxy: its video absent
                "DCIM/100GOPRO/GH010044.MP4": 0,  # the thumbnail's own video, empty
                "DCIM/100GOPRO/GH010044.THM": 500,
            }
        )
    )
    kinds = {str(f["path"]).rsplit("/", 1)[1]: c.kind for c in clips for f in c.files}
    assert kinds == {
        "GL010042.MP4": "empty",
        "GH010042.THM": "no-video",
        "GH020043.MP4": "empty",
        "GL010043.LRV": "no-video",
        "GH010044.MP4": "empty",
        "GH010044.THM": "file",
    }, kinds
    lines = {line["kind"]: line for line in card_content(clips)}
    assert lines["video-missing"]["count"] == 2, lines
    assert lines["empty-clip"]["count"] == 3, lines


def test_an_empty_p2_audio_channel_is_an_empty_sound_file_on_a_real_copy(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    """A Panasonic P2 clip's audio channel of 0 bytes (``CONTENTS/AUDIO/0001AB00.MXF``) is
    warned of as an empty WAV beside a clip is, on a real ``offload copy``: the CARD CONTENT
    line names it as a sound file, page 1 names its clip, the totals count it as a sound
    file. Failed before: it was "1 file named as a clip" and an empty row of its own."""
    card = tmp_path / "cards" / "P2"
    contents = card / "CONTENTS"
    for folder in ("VIDEO", "AUDIO", "CLIP"):
        (contents / folder).mkdir(parents=True)
    (contents / "VIDEO" / "0001AB.MXF").write_bytes(b"\x06\x0e\x2b\x34" + b"\x00" * 996)
    (contents / "AUDIO" / "0001AB00.MXF").write_bytes(b"")
    (contents / "AUDIO" / "0001AB01.MXF").write_bytes(b"\x06\x0e\x2b\x34" + b"\x00" * 96)
    (contents / "CLIP" / "0001AB.XML").write_bytes(b"<P2Main/>")
    err, reports, _ = _copy_card(card, tmp_path)
    # Its video, a partition key's first 4 bytes and zeros, is no MXF FFmpeg reads.
    said, video = _card_content_lines(err)
    assert said.startswith(
        "CARD CONTENT: 1 file named as a sound file on the card is empty (0 bytes: nothing "
        "was recorded in it): CONTENTS/AUDIO/0001AB00.MXF"
    ), err
    assert video.startswith(
        "CARD CONTENT: 1 file named as a clip on the card is not readable as media "
        "(its first bytes are no format FFmpeg reads): CONTENTS/VIDEO/0001AB.MXF"
    ), err
    text = _pdf_words(poppler, reports)
    assert (
        "CONTENTS/AUDIO/0001AB00.MXF: EMPTY (0 bytes): nothing was recorded in it (a "
        "recording that failed); the sound file of 0001AB.MXF"
    ) in text, text
    assert "1 empty file named as a sound file" in text, text
    assert "empty clip" not in text.lower(), text


def test_camera_raw_clips_with_their_real_headers_are_clips_not_files_named_as_clips(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    """QA (27f73e8e): a modern RED clip, whose R3D spans start as the camera writes them (a
    block size, then ``RED2``), was "0 clips … 1 file named as a clip, not video": the sniff
    knew no camera raw FFmpeg cannot read, so it took them for random bytes. Failed before.
    Now an R3D (``RED2``) and an ARRIRAW frame (``ARRI`` and its byte-order mark
    ``12 34 56 78``) are said to be camera raw, not probed, and counted as what they are;
    random bytes named ``.R3D`` are still no video."""
    import struct

    from offload.report.sniff import NOT_MEDIA, not_media

    card = tmp_path / "cards" / "A002"
    clip = card / "A002_0202CD.RDM" / "A002_C001_0202CD.RDC"
    clip.mkdir(parents=True)
    for span in (1, 2):
        (clip / f"A002_C001_0202CD_00{span}.R3D").write_bytes(
            struct.pack(">I", 512) + b"RED2" + os.urandom(9000)
        )
    frames = card / "A002C004_250101_R1AB"
    frames.mkdir()
    for frame in range(1, 4):
        header = b"ARRI" + bytes.fromhex("12345678") + (4096).to_bytes(4, "little")
        (frames / f"A002C004_250101_R1AB.{frame:07d}.ari").write_bytes(header + os.urandom(5000))
    junk = card / "JUNK" / "B001_C001_0101AB_001.R3D"
    junk.parent.mkdir()
    junk.write_bytes(os.urandom(9000))
    r3d = clip / "A002_C001_0202CD_001.R3D"
    ari = frames / "A002C004_250101_R1AB.0000001.ari"
    assert not_media(r3d) == "not probed: RED R3D (REDCODE RAW), a camera raw FFmpeg cannot read"
    assert not_media(ari) == "not probed: ARRIRAW, a camera raw FFmpeg cannot read"
    assert not_media(junk) == NOT_MEDIA
    red_one = tmp_path / "A001_C001_0101AB_001.R3D"  # the RED ONE's: FFmpeg's r3d demuxer
    red_one.write_bytes(struct.pack(">I", 512) + b"RED1" + os.urandom(600))
    assert not_media(red_one) is None
    _, reports, _ = _copy_card(card, tmp_path)
    text = _pdf_words(poppler, reports)
    assert "1 clip, 1 image sequence" in text, text[:3000]
    assert "1 file named as a clip, not video" in text, text[:3000]
    assert "REDCODE RAW), a camera raw FFmpeg cannot read" in text, text


def test_a_format_only_checked_against_a_legacy_mhl_is_named_apart(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    """Review of the card merge: a card whose legacy MHL holds only ``<xxhash>`` (XXH32)
    was said "full verification, xxh64, xxh32" on the terminal and "Algorithms: xxh64,
    xxh32" in the documents, as if XXH32 proved the read-back, which it never does. Failed
    before; the checked-only format is named apart, in each."""
    import xxhash

    card = tmp_path / "cards" / "A010"
    card.mkdir(parents=True)
    clip = card / "C0001.MOV"
    clip.write_bytes(os.urandom(5_000))
    (card / "A010.mhl").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1"><hash>'
        f"<file>C0001.MOV</file><size>5000</size>"
        f"<xxhash>{xxhash.xxh32(clip.read_bytes()).intdigest():010d}</xxhash>"
        "<hashdate>2024-01-01T00:00:00Z</hashdate></hash></hashlist>\n"
    )
    err, reports, _ = _copy_card(card, tmp_path)
    apart = "xxh64; xxh32 checked against the card's legacy MHL only"
    assert apart in " ".join(err.split()), err
    assert "xxh64, xxh32" not in err
    assert f"algorithms: {apart}" in _pdf_words(poppler, reports)
    [html] = reports.glob("*.html")
    assert apart.replace("'", "&#x27;") in html.read_text() or apart in html.read_text()
