"""Clip grouping as a producer reads it: a real offload, the HTML in headless Chromium and
the PDF through poppler (proxies under their clips, a raw clip's proxy, an audio take)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import xxhash

from offload.demo import ClipSpec, encode_clip, write_sequence
from report.helpers import Browser, offload_cli, pdf_words
from support import camera_cards
from support.camera_cards import _wav

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
        pdf_words(poppler, html.with_suffix(".pdf")),
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
        # Page 1 names each clip too: a line of text named .mov is not readable as media.
        rows = text[text.index("Clips and files") :]
        for clip in ("A001C001_250101_R1AB.mov", "A001C002_250101_R1AB.mov"):
            # the row, and its proxy under it; never a row in Proxies/ of its own
            assert rows.count(clip) == 2, rows
            assert f"Proxies/A001R1AB/{clip} (42 B)" in text, text
        assert "Proxies/A001R1AB/ " not in text
        assert "spans" not in text and "(span," not in text
        assert "DSC_0001.NEV" in text and "DSC_0001.MP4 (" in text
        assert text.index("DSC_0001.NEV") < text.index("DSC_0001.MP4 (")


def test_an_audio_take_of_several_files_is_described_whole(
    tmp_path: Path, browser: Browser, poppler: dict[str, str], media: Any
) -> None:
    """A Zoom take of three files said "Audio 1 track(s), 48 kHz, 2 ch", its first file's
    description, as if it were the take's; a take of two files said "(+1 tracks)"."""
    card = tmp_path / "ZOOM"
    layout = {
        "250101/250101-T001_LR.WAV": _wav("250101-T001_LR.WAV", 2),
        "250101/250101-T001_Tr1.WAV": _wav("250101-T001_Tr1.WAV", 1),
        "250101/250101-T001_Tr2.WAV": _wav("250101-T001_Tr2.WAV", 1),
        "250101/250101-T002_Tr1.WAV": _wav("250101-T002_Tr1.WAV", 1),
        "250101/250101-T002_Tr2.WAV": _wav("250101-T002_Tr2.WAV", 1),
    }
    camera_cards.write_card(card, layout)
    for text in _texts(tmp_path, card, browser, poppler):
        assert "250101-T001_Tr1.WAV (+2 tracks)" in text
        assert "Audio 3 files, 48 kHz, 4 ch" in text
        assert "250101-T002_Tr1.WAV (+1 track)" in text and "(+1 tracks)" not in text
        assert "Audio 2 files, 48 kHz, 2 ch" in text
        assert "track(s)" not in text


def test_a_take_of_twelve_tracks_and_its_mix_is_one_take(
    tmp_path: Path, browser: Browser, poppler: dict[str, str], media: Any
) -> None:
    """A Sound Devices 888 take split into 12 mono tracks and its mix (``_X1``, ``_X2``) is
    one take. Failed before (QA): "S02T01_1.WAV (+8 tracks)", ``_10``, ``_11``, ``_12``,
    ``_X1`` and ``_X2`` each an audio take of their own, the card counting 6 takes."""
    card = tmp_path / "C"
    names = [f"S02T01_{k}.WAV" for k in (*range(1, 13), "X1", "X2")]
    camera_cards.write_card(card, {f"SD888_1206/{n}": _wav(n, 1) for n in names})
    for text in _texts(tmp_path, card, browser, poppler):
        assert "S02T01_1.WAV (+13 tracks)" in text, text
        assert "1 audio take" in text and "audio takes" not in text, text
        assert "Audio 14 files, 48 kHz, 14 ch" in text, text


def test_a_sequence_after_many_files_that_are_no_video_gets_its_thumbnail(
    tmp_path: Path, browser: Browser, poppler: dict[str, str], media: Any
) -> None:
    """1,100 files named ``.MP4`` that are no video, then the card's one sequence: the files
    the first-bytes check refused used up the 1,000-probe quota, so the sequence, drawn
    first (the others fold), said "not probed: only the first 1,000 clips of a card are"."""
    card = tmp_path / "card"
    junk = card / "DCIM/100MEDIA"
    junk.mkdir(parents=True)
    for n in range(1100):
        (junk / f"C{n:04d}.MP4").write_bytes(b"not a clip %d\n" % n)
    write_sequence(card / "VFX", "SH010", range(1001, 1041))
    for text in _texts(tmp_path, card, browser, poppler):
        assert "SH010." in text
        assert "only the first 1,000" not in text
        assert "Only the first" not in text
    html = sorted((tmp_path / "r").glob("*.html"))[-1].read_text()
    assert html.count("data:image/jpeg;base64,") == 1  # the sequence's thumbnail


def test_a_spanned_clips_digest_is_labelled_its_first_files(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """Failed before (QA): a RED clip of three spans showed "13.82 kB in 3 files" and
    under it "xxh64 …", the first span's digest alone, which read as a digest of the whole
    clip. The digest is labelled as the first file's, in the HTML and the PDF alike; a
    clip of one file keeps its digest unlabelled."""
    card = tmp_path / "A001"
    clip = card / "A001_C001_0101XX.RDC"
    clip.mkdir(parents=True)
    for span in ("001", "002", "003"):
        (clip / f"A001_C001_0101XX_{span}.R3D").write_bytes(os.urandom(4_600))
    (card / "A001_C002_0101XX.RDC").mkdir()
    (card / "A001_C002_0101XX.RDC" / "A001_C002_0101XX_001.R3D").write_bytes(os.urandom(900))
    first = xxhash.xxh64((clip / "A001_C001_0101XX_001.R3D").read_bytes()).hexdigest()
    alone = xxhash.xxh64(
        (card / "A001_C002_0101XX.RDC" / "A001_C002_0101XX_001.R3D").read_bytes()
    ).hexdigest()
    for text in _texts(tmp_path, card, browser, poppler):
        assert "A001_C001_0101XX_001.R3D (+2 spans)" in text and "13.80 kB in 3 files" in text
        assert f"first file xxh64 {first}" in text, text
        assert text.count("first file") == 1, text  # the one-file clip: its own digest
        assert f"xxh64 {alone}" in text and f"first file xxh64 {alone}" not in text, text


def test_a_phantom_card_is_two_clips_and_the_cihx_is_its_clips_sidecar(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """A QA card: ``PHANTOM_CF/Cine1.cine``, ``Cine2.cine``, ``Cine1.cihx`` was "0 clips, 0
    image sequences, 3 other files", each row a plain file and the ``.cine`` never probed."""
    from report.test_media import cine_header

    card = tmp_path / "PHANTOM_CF"
    card.mkdir()
    for name in ("Cine1.cine", "Cine2.cine"):
        (card / name).write_bytes(cine_header() + bytes(4000))
    (card / "Cine1.cihx").write_text("<chd><cameraSetup/></chd>\n")
    for text in _texts(tmp_path, card, browser, poppler):
        assert "2 clips, 0 image sequences, 0 other files" in text, text
        assert "Cine1.cihx (26 B)" in text, text  # listed under its clip, with its size
        # Handed to FFmpeg (this header alone is no whole Cine: its demuxer says so), and
        # a note, never NOT READABLE AS MEDIA: a Cine header FFmpeg's probe accepts may be
        # a variant its demuxer does not read (12-bit packed, compressed).
        assert "no picture or video format FFmpeg reads" not in text, text
        assert "NOT READABLE AS MEDIA" not in text, text
        said = "not readable by FFmpeg (a variant it does not read, or damaged): Invalid data"
        assert text.count(said) == 2, text
