"""Clip grouping on the folder layouts of common camera cards."""

from __future__ import annotations

import pytest

from offload.report.card_content import card_content
from offload.report.clips import Clip, group_clips
from support import camera_cards


def files(*paths: str) -> list[dict[str, object]]:
    return [{"path": p, "size_bytes": 10} for p in paths]


def sized(paths: dict[str, int]) -> list[dict[str, object]]:
    return [{"path": p, "size_bytes": size} for p, size in paths.items()]


def by_name(clips: list[Clip]) -> dict[str, list[str]]:
    return {c.name: sorted(str(e["path"]).rsplit("/", 1)[-1] for e in c.sidecars) for c in clips}


def test_arri_mxf_with_xml_sidecars() -> None:
    clips = group_clips(
        files(
            "A001C001_261127_R1AB/A001C001_261127_R1AB.mxf",
            "A001C001_261127_R1AB/A001C001_261127_R1AB.xml",
            "A001C001_261127_R1AB/A001C002_261127_R1AB.mxf",
            "A001C001_261127_R1AB/A001C002_261127_R1AB.xml",
        )
    )
    assert by_name(clips) == {
        "A001C001_261127_R1AB.mxf": ["A001C001_261127_R1AB.xml"],
        "A001C002_261127_R1AB.mxf": ["A001C002_261127_R1AB.xml"],
    }
    assert all(c.kind == "clip" for c in clips)


def test_image_sequence_is_one_row_with_gaps() -> None:
    frames = [f"SEQ/A004C001.{n:07d}.dpx" for n in range(0, 1500) if n not in (10, 11, 700)]
    clips = group_clips(files(*frames, "SEQ/A004C001.xml"))
    assert len(clips) == 1
    seq = clips[0]
    assert seq.kind == "sequence"
    assert seq.name == "A004C001.[0000000-0001499].dpx"
    assert seq.frames == 1497 and seq.gaps == [(10, 11), (700, 700)] and seq.missing_frames == 3
    assert [e["path"] for e in seq.sidecars] == ["SEQ/A004C001.xml"]
    assert seq.primary["path"] == frames[len(frames) // 2]  # the middle frame is probed
    assert seq.size_bytes == 10 * 1498


def test_unpadded_frame_numbers_are_one_sequence_and_padded_widths_stay_apart() -> None:
    """``shot.9.exr``, ``shot.10.exr``, ``shot.100.exr``: one sequence (it was one a digit
    count, with false gaps); frames padded to a width (``plate.0099.dpx``) are never joined
    with another width's (``plate.00100.dpx``: a different sequence)."""
    unpadded = [f"EXR/shot.{n}.exr" for n in range(1, 121) if n != 50]
    padded = [f"DPX/plate.{n:04d}.dpx" for n in range(90, 100)]
    padded += [f"DPX/plate.{n:05d}.dpx" for n in range(100, 110)]
    clips = {c.name: c for c in group_clips(files(*unpadded, *padded))}
    assert sorted(clips) == ["plate.[00100-00109].dpx", "plate.[0090-0099].dpx", "shot.[1-120].exr"]
    shot = clips["shot.[1-120].exr"]
    assert shot.kind == "sequence" and shot.frames == 119 and shot.gaps == [(50, 50)]


def test_a_lone_frame_of_another_padding_is_never_a_file_of_that_sequence() -> None:
    """``plate.0099.dpx`` beside ``plate.00100.dpx`` and ``plate.00101.dpx``: a frame of
    another width is another sequence's (a lone one a file of its own), never listed under
    ``plate.[00100-00101].dpx`` as if it were part of it; the folder's other files still
    are. Failed before: "+ plate.0099.dpx" under that sequence (its name starts with the
    sequence's, and it was the folder's only clip)."""
    frames = ("misc/plate.0099.dpx", "misc/plate.00100.dpx", "misc/plate.00101.dpx")
    for extra in ((), ("misc/notes.txt",)):
        rows = {c.name: c for c in group_clips(files(*frames, *extra))}
        assert sorted(rows) == ["plate.0099.dpx", "plate.[00100-00101].dpx"], rows
        assert rows["plate.0099.dpx"].kind == "file"
        sequence = rows["plate.[00100-00101].dpx"]
        assert [str(e["path"]) for e in sequence.sidecars] == list(extra), sequence


def test_arriraw_folder_per_clip() -> None:
    clips = group_clips(
        files(
            *(f"A002C003_XYZ/A002C003_XYZ.{n:07d}.ari" for n in range(1, 25)),
            "A002C003_XYZ/A002C003_XYZ_metadata.xml",
            "A002C003_XYZ/lens.csv",  # any other file in the clip's own folder
        )
    )
    assert len(clips) == 1 and clips[0].kind == "sequence"
    assert by_name(clips)[clips[0].name] == ["A002C003_XYZ_metadata.xml", "lens.csv"]


def test_red_spanned_clip_in_rdc_folder() -> None:
    clips = group_clips(
        files(
            "A001_0101AB.RDM/A001_C001_0101XY.RDC/A001_C001_0101XY_001.R3D",
            "A001_0101AB.RDM/A001_C001_0101XY.RDC/A001_C001_0101XY_002.R3D",
            "A001_0101AB.RDM/A001_C001_0101XY.RDC/A001_C001_0101XY.RMD",
            "A001_0101AB.RDM/A001_C001_0101XY.RDC/A001_C001_0101XY_001.mov",  # a proxy
        )
    )
    assert by_name(clips) == {
        "A001_C001_0101XY_001.R3D (+1 span)": ["A001_C001_0101XY.RMD", "A001_C001_0101XY_001.mov"]
    }
    assert len(clips[0].files) == 4


def test_sony_xavc_card() -> None:
    clips = group_clips(
        files(
            "PRIVATE/M4ROOT/CLIP/C0001.MP4",
            "PRIVATE/M4ROOT/CLIP/C0001M01.XML",
            "PRIVATE/M4ROOT/CLIP/C0002.MP4",
            "PRIVATE/M4ROOT/CLIP/C0002M01.XML",
            "PRIVATE/M4ROOT/THMBNL/C0001T01.JPG",
            "PRIVATE/M4ROOT/SUB/C0001S03.MP4",
            "PRIVATE/M4ROOT/MEDIAPRO.XML",
        )
    )
    assert by_name(clips) == {
        "C0001.MP4": ["C0001M01.XML", "C0001S03.MP4", "C0001T01.JPG"],
        "C0002.MP4": ["C0002M01.XML"],
        "MEDIAPRO.XML": [],
    }
    assert [c.kind for c in clips] == ["clip", "clip", "file"]


def test_canon_xf_folder_per_clip() -> None:
    clips = group_clips(
        files(
            "CONTENTS/CLIPS001/AA0012/AA001201.MXF",
            "CONTENTS/CLIPS001/AA0012/AA0012.CIF",
            "CONTENTS/CLIPS001/AA0012/AA0012.XML",
            "CONTENTS/CLIPS001/AA0012/AA0012I.JPG",
        )
    )
    assert by_name(clips) == {"AA001201.MXF": ["AA0012.CIF", "AA0012.XML", "AA0012I.JPG"]}


def test_blackmagic_dji_gopro() -> None:
    clips = group_clips(
        files(
            "A001_08251015_C001.braw",
            "A001_08251015_C001.sidecar",
            "DCIM/100MEDIA/DJI_0001.MP4",
            "DCIM/100MEDIA/DJI_0001.SRT",
            "DCIM/100MEDIA/DJI_0001.LRF",
            "DCIM/100MEDIA/DJI_0002.MP4",
            "DCIM/100GOPRO/GH010042.MP4",
            "DCIM/100GOPRO/GH020042.MP4",
            "DCIM/100GOPRO/GL010042.LRV",
            "DCIM/100GOPRO/GH010042.THM",
        )
    )
    names = by_name(clips)
    assert names["A001_08251015_C001.braw"] == ["A001_08251015_C001.sidecar"]
    assert names["DJI_0001.MP4"] == ["DJI_0001.LRF", "DJI_0001.SRT"]
    assert names["DJI_0002.MP4"] == []
    assert names["GH010042.MP4 (+1 span)"] == ["GH010042.THM", "GL010042.LRV"]


def test_similar_names_are_not_merged() -> None:
    clips = group_clips(files("shot_010.mov", "shot_020.mov", "C0001.MP4", "C00010.MP4"))
    assert sorted(c.name for c in clips) == [
        "C0001.MP4",
        "C00010.MP4",
        "shot_010.mov",
        "shot_020.mov",
    ]


def test_a_few_camera_thumbnails_are_not_a_sequence() -> None:
    clips = group_clips(files(*(f"THUMBS/thumb_{n:03d}.jpg" for n in range(3))))
    assert [c.kind for c in clips] == ["file", "file", "file"]
    stills = group_clips(files(*(f"TL/frame_{n:05d}.jpg" for n in range(100))))
    assert [c.kind for c in stills] == ["sequence"]


def test_a_card_of_ten_thousand_clips_with_sidecars_is_grouped_by_index() -> None:
    """Sony-like: every clip has an XML beside it and a thumbnail elsewhere. Each sidecar
    finds its clip through the base-name index (comparing every sidecar with every clip
    made this 10⁸ comparisons: minutes)."""
    count = 10_000
    clips = group_clips(
        files(
            *(f"M4ROOT/CLIP/C{n:05d}.MP4" for n in range(count)),
            *(f"M4ROOT/CLIP/C{n:05d}M01.XML" for n in range(count)),
            *(f"M4ROOT/THMBNL/C{n:05d}T01.JPG" for n in range(count)),
        )
    )
    assert len(clips) == count and all(c.kind == "clip" for c in clips)
    assert by_name(clips[:2]) == {
        "C00000.MP4": ["C00000M01.XML", "C00000T01.JPG"],
        "C00001.MP4": ["C00001M01.XML", "C00001T01.JPG"],
    }
    assert all(len(c.sidecars) == 2 for c in clips)


def test_p2_audio_channels_and_voice_memos_belong_to_their_video_clip() -> None:
    """P2 writes a clip's audio as one MXF a channel in CONTENTS/AUDIO, named after the clip
    and two digits: each was a "clip" of its own (the digit after the clip's name kept them
    from matching it), and the voice memo went to the first channel's row."""
    clips = group_clips(files(*camera_cards.file_paths(camera_cards.P2)))
    assert by_name(clips) == {
        "0001AB.MXF": [
            "0001AB.BIN",
            "0001AB.BMP",
            "0001AB.MP4",
            "0001AB.XML",
            "0001AB00.MXF",
            "0001AB00.WAV",
            "0001AB01.MXF",
            "0001AB02.MXF",
            "0001AB03.MXF",
        ],
        "0002CD.MXF": ["0002CD.BMP", "0002CD.XML", "0002CD00.MXF", "0002CD01.MXF"],
        "LASTCLIP.TXT": [],
    }
    assert [c.kind for c in clips] == ["clip", "clip", "file"]


def test_p2_audio_without_its_video_stays_a_clip() -> None:
    clips = group_clips(files("CONTENTS/AUDIO/0003EF00.MXF", "CONTENTS/VOICE/0003EF00.WAV"))
    assert by_name(clips) == {"0003EF00.MXF": ["0003EF00.WAV"]}  # the same name elsewhere
    assert [c.kind for c in clips] == ["clip"]


def test_dcim_stills_are_neither_a_sequence_nor_a_clip_sidecar() -> None:
    """A drone's or phone's photos are numbered with its videos: DNGs 0003, 0004, 0006 were
    a "sequence" with a missing frame (a false warning) that also claimed DJI_0002.JPG, and a
    GoPro photo was a sidecar of the folder's only video."""
    dji = group_clips(files(*camera_cards.file_paths(camera_cards.DJI)))
    assert by_name(dji) == {
        "DJI_0001.MP4": ["DJI_0001.LRF", "DJI_0001.SRT"],
        "DJI_0007.MP4": ["DJI_0007.SRT"],
        "DJI_0002.JPG": [],
        "DJI_0003.DNG": [],
        "DJI_0004.DNG": [],
        "DJI_0006.DNG": [],
    }
    assert not any(c.kind == "sequence" for c in dji)
    gopro = by_name(group_clips(files(*camera_cards.file_paths(camera_cards.GOPRO))))
    assert gopro["GX010042.MP4 (+1 span)"] == ["GL010042.LRV", "GL020042.LRV", "GX010042.THM"]
    assert gopro["GOPR0043.JPG"] == []
    iphone = group_clips(files(*camera_cards.file_paths(camera_cards.IPHONE)))
    assert [(c.name, c.kind) for c in iphone if c.kind != "clip"] == [
        ("IMG_0002.AAE", "file"),
        ("IMG_0002.HEIC", "file"),
        ("IMG_0004.DNG", "file"),
        ("IMG_0005.DNG", "file"),
    ]
    # Frames outside DCIM, or not named the DCF way, are still sequences.
    assert [c.kind for c in group_clips(files("STILLS/IMG_0001.DNG", "STILLS/IMG_0002.DNG"))] == [
        "sequence"
    ]
    cdng = [f"DCIM/CLIP_0001/CLIP_0001_{n:06d}.DNG" for n in range(3)]
    assert [c.kind for c in group_clips(files(*cdng))] == ["sequence"]


def test_avchd_clip_info_belongs_to_its_stream_and_playlists_to_the_card() -> None:
    clips = by_name(group_clips(files(*camera_cards.file_paths(camera_cards.AVCHD))))
    assert clips["00000.MTS"] == ["00000.CPI", "00000.CPI"]  # CLIPINF and its BACKUP
    assert clips["00001.MTS"] == ["00001.CPI", "00001.CPI"]
    assert clips["00000.MPL"] == []  # a playlist may list several clips


def test_sound_recorder_takes_are_audio_rows_with_their_tracks() -> None:
    clips = group_clips(files(*camera_cards.file_paths(camera_cards.SOUND_DEVICES)))
    rows = {
        c.name: (c.kind, [str(e["path"]).rsplit("/", 1)[-1] for e in c.files[1:]]) for c in clips
    }
    assert rows == {
        "S01T01.WAV": ("audio", []),  # polyphonic: every track in one file
        "S01T02.WAV": ("audio", []),
        "S02T01_1.WAV (+2 tracks)": ("audio", ["S02T01_2.WAV", "S02T01_3.WAV"]),
        # Named after its first track, never its _LR mix, which sorts first by name (QA).
        "ZOOM0001_Tr1.WAV (+2 tracks)": ("audio", ["ZOOM0001_Tr2.WAV", "ZOOM0001_LR.WAV"]),
        "250101.CSV": ("file", []),  # the recorder's sound report
    }
    assert all(not c.sidecars for c in clips)
    # A WAV beside a clip with its name is still that clip's sidecar (Blackmagic, scratch).
    clip = group_clips(files("A001C001.mov", "A001C001.wav"))
    assert by_name(clip) == {"A001C001.mov": ["A001C001.wav"]}


def test_a_take_is_named_after_its_first_numbered_track() -> None:
    """Numbered tracks before named ones, by number: Zoom ``_Tr2`` before ``_Tr10`` and
    both before ``_LR`` and ``_MS``; Sound Devices ``_1`` before ``_A``. Failed before:
    "ZOOM0001_LR.WAV (+3 tracks)", "ZOOM0001_Tr10.WAV" before ``_Tr2``."""
    zoom = [f"ZOOM0001/ZOOM0001_{t}.WAV" for t in ("MS", "LR", "Tr10", "Tr2", "Tr1_2", "Tr1")]
    ((take,),) = [group_clips(files(*zoom))]
    assert take.name == "ZOOM0001_Tr1.WAV (+5 tracks)", take.name
    assert [str(e["path"])[18:-4] for e in take.files] == [
        "Tr1", "Tr1_2", "Tr2", "Tr10", "LR", "MS"
    ]  # fmt: skip
    ((sound,),) = [group_clips(files("S02T01_A.WAV", "S02T01_2.WAV", "S02T01_1.WAV"))]
    assert sound.name == "S02T01_1.WAV (+2 tracks)", sound.name


def test_canon_xf_clip_in_several_files_is_one_clip() -> None:
    """Past the FAT32 file size a Canon XF clip is AA001201.MXF, AA001202.MXF...: two clips
    before, and the clip folder's CIF, XML, thumbnail and SIFs other files."""
    clips = group_clips(files(*camera_cards.file_paths(camera_cards.CANON_XF)))
    assert by_name(clips) == {
        "AA001201.MXF (+1 span)": [
            "AA0012.CIF",
            "AA0012.XML",
            "AA001201.SIF",
            "AA001202.SIF",
            "AA0012I.JPG",
        ],
        "AA001301.MXF": ["AA0013.XML"],
        "INDEX.MIF": [],
    }
    assert [len(c.files) for c in clips] == [7, 2, 1]
    # Only a Canon XF clip folder's (two letters, four digits): a user's SHOT01, SHOT02 stay.
    user = group_clips(files("SHOT/SHOT01.MXF", "SHOT/SHOT02.MXF"))
    assert [c.name for c in user] == ["SHOT01.MXF", "SHOT02.MXF"]


def test_insta360_lenses_and_proxy_are_one_clip_and_gopro_time_lapses_sequences() -> None:
    """An Insta360 recording's second file is its other lens, not a span (before: "+1 spans")."""
    insta = group_clips(files(*camera_cards.file_paths(camera_cards.INSTA360)))
    assert by_name(insta) == {
        "VID_20250101_120000_00_001.insv (+1 lens)": ["LRV_20250101_120000_01_001.lrv"],
        "IMG_20250101_120100_00_002.insp": [],
    }
    assert [c.part for c in insta] == ["lens", "span"]
    three = group_clips(
        files(*(f"DCIM/Camera01/VID_20250101_120000_{n}_001.insv" for n in ("00", "10", "20")))
    )
    assert [c.name for c in three] == ["VID_20250101_120000_00_001.insv (+2 lenses)"]
    lapse = group_clips(files(*camera_cards.file_paths(camera_cards.GOPRO_TIMELAPSE)))
    assert [(c.kind, c.name, c.frames, c.gaps) for c in lapse] == [
        ("sequence", "G001[0001-0030].JPG", 30, []),
        ("sequence", "G002[0001-0025].JPG", 25, []),
    ]


def test_files_named_by_a_letter_alone_are_takes_of_their_own() -> None:
    """Sound Devices names a take's tenth track _A, beside _1.._9; CAM_A.WAV and CAM_B.WAV
    alone are two recordings (camera A and B scratch), not one take of two tracks."""
    clips = group_clips(
        files(
            "T01_1.WAV",
            *(f"T01_{n}.WAV" for n in range(2, 10)),
            "T01_A.WAV",
        )
        + sized({"SCRATCH/CAM_A.WAV": 4_800_000, "SCRATCH/CAM_B.WAV": 5_100_000})
    )
    assert [(c.name, len(c.files)) for c in clips] == [
        ("T01_1.WAV (+9 tracks)", 10),
        ("CAM_A.WAV", 1),
        ("CAM_B.WAV", 1),
    ]


def test_a_take_of_ten_tracks_or_more_and_its_mix_is_one_take() -> None:
    """A Sound Devices 888 take split into 12 mono tracks and its mix ``_X1``, ``_X2``: one
    take, its tracks by number (``_2`` before ``_10``). Failed before: "S02T01_1.WAV (+8
    tracks)", then ``_10``, ``_11``, ``_12``, ``_X1``, ``_X2`` a take each. Files numbered
    from 10 with no track beside them (``INT_10``, ``INT_11``) stay recordings of their own."""
    tracks = [f"SD888_1206/S02T01_{k}.WAV" for k in (*range(12, 0, -1), "X2", "X1", "L")]
    clips = group_clips(
        files(*tracks, "INT/INT_01.WAV")
        + sized({"INT/INT_10.WAV": 2_000_000, "INT/INT_11.WAV": 3_500_000})
    )
    assert [(c.name, len(c.files)) for c in clips] == [
        ("INT_01.WAV", 1),
        ("INT_10.WAV", 1),
        ("INT_11.WAV", 1),
        ("S02T01_1.WAV (+14 tracks)", 15),
    ]
    assert [str(e["path"])[18:-4] for e in clips[3].files] == [
        *map(str, range(1, 13)), "L", "X1", "X2"
    ]  # fmt: skip


def test_numbered_recordings_are_takes_of_their_own_and_a_takes_tracks_one_take() -> None:
    """Tracks a take relies on a letter or a number from 10 for are one take only when they
    are of one length, as a take's mono tracks are. Failed before: ``V/INT.WAV``,
    ``INT_10``, ``INT_11`` one take "INT_10.WAV (+2 tracks)" (the file with no track part
    taken for a recorder's track); an app's ``REC_1`` .. ``REC_12`` one 12-track take; an
    888 take recording only tracks 10 to 12, or 10, 11 and its mix _L/_R, a take a file."""
    mono = 48_000 * 3 * 60  # a minute of 24-bit 48 kHz mono
    clips = group_clips(
        sized({"V/INT.WAV": 9_000_000, "V/INT_10.WAV": 7_000_000, "V/INT_11.WAV": 11_000})
        + sized({f"APP/REC_{n}.WAV": 1_000_000 + 250_000 * n for n in range(1, 13)})
        + sized({f"SD/S03T02_{n}.WAV": mono + 4 * n for n in (10, 11, 12)})
        + sized({f"SD/S03T03_{k}.WAV": mono for k in ("10", "11", "L", "R")})
        + sized({f"SD/S03T04_{n}.WAV": mono for n in (*range(1, 13), "X1", "X2")})
    )
    rows = [(c.folder, c.name, len(c.files)) for c in clips]
    assert [r for r in rows if r[0] == "V"] == [
        ("V", "INT.WAV", 1),
        ("V", "INT_10.WAV", 1),
        ("V", "INT_11.WAV", 1),
    ]
    assert sorted((r[1], r[2]) for r in rows if r[0] == "APP") == sorted(
        (f"REC_{n}.WAV", 1) for n in range(1, 13)
    )
    assert [r for r in rows if r[0] == "SD"] == [
        ("SD", "S03T02_10.WAV (+2 tracks)", 3),
        ("SD", "S03T03_10.WAV (+3 tracks)", 4),
        ("SD", "S03T04_1.WAV (+13 tracks)", 14),
    ]


def test_nikon_n_raw_and_older_camera_files_are_clips() -> None:
    """Nikon's N-RAW (.NEV), HDV (.M2T) and JVC's .MOD/.TOD were other files."""
    clips = group_clips(
        files(
            "DCIM/100NCZ_9/DSC_0001.NEV",
            "DCIM/100NCZ_9/DSC_0002.NEV",
            "HDV/tape01.m2t",
            "SD_VIDEO/PRG001/MOV001.MOD",
            "SD_VIDEO/PRG001/MOV001.MOI",
            "EVENT/MOV002.TOD",
        )
    )
    assert [(c.kind, c.name) for c in clips] == [
        ("clip", "DSC_0001.NEV"),
        ("clip", "DSC_0002.NEV"),
        ("clip", "MOV002.TOD"),
        ("clip", "tape01.m2t"),
        ("clip", "MOV001.MOD"),
    ]
    assert by_name(clips)["MOV001.MOD"] == ["MOV001.MOI"]


def test_xdcam_ex_take_split_into_clip_folders_is_one_clip() -> None:
    """XDCAM EX splits a take past 4 GB into CLPR/FISH0046_01, _02: two clips before, and
    the take list in TAKR other files."""
    clips = group_clips(files(*camera_cards.file_paths(camera_cards.XDCAM_EX)))
    assert [(c.kind, c.name, len(c.files)) for c in clips] == [
        ("clip", "FISH0046_01/FISH0046_01.MP4 (+1 span)", 10),
        ("clip", "FISH0047_01/FISH0047_01.MP4", 3),
        ("file", "CUEUP.XML", 1),
        ("file", "MEDIAPRO.XML", 1),
    ]
    take = clips[0]
    assert [str(e["path"]) for e in take.files[:2]] == [
        "BPAV/CLPR/FISH0046_01/FISH0046_01.MP4",
        "BPAV/CLPR/FISH0046_02/FISH0046_02.MP4",
    ]
    assert "BPAV/TAKR/FISH0046/FISH0046.SMI" in [str(e["path"]) for e in take.sidecars]


def test_proxies_in_a_proxy_folder_mirroring_the_clip_folders_are_under_their_clips() -> None:
    """A proxy folder that mirrors the clip folders (``Proxies/A001R1AB/X.mov`` beside
    ``Clips/A001R1AB/X.mov``) was taken for clips: only a proxy folder *holding* the file
    counted, so the report said "4 clips", each name twice."""
    clips = group_clips(
        files(
            "Clips/A001R1AB/A001C001_250101_R1AB.mov",
            "Clips/A001R1AB/A001C002_250101_R1AB.mov",
            "Proxies/A001R1AB/A001C001_250101_R1AB.mov",
            "Proxies/A001R1AB/A001C002_250101_R1AB.mov",
        )
    )
    assert [(c.kind, c.folder, c.name) for c in clips] == [
        ("clip", "Clips/A001R1AB", "A001C001_250101_R1AB.mov"),
        ("clip", "Clips/A001R1AB", "A001C002_250101_R1AB.mov"),
    ]
    assert [[str(e["path"]) for e in c.sidecars] for c in clips] == [
        ["Proxies/A001R1AB/A001C001_250101_R1AB.mov"],
        ["Proxies/A001R1AB/A001C002_250101_R1AB.mov"],
    ]


def test_a_mirrored_proxy_goes_to_the_clip_at_the_same_path_when_names_repeat() -> None:
    """Two reels with a clip of one name: the proxy folder's path below it decides."""
    clips = group_clips(
        files(
            "Clips/R1/C001.mov",
            "Clips/R2/C001.mov",
            "Proxies/R2/C001.mov",
            "Proxies/R1/C001.mov",
        )
    )
    assert [(c.folder, [str(e["path"]) for e in c.sidecars]) for c in clips] == [
        ("Clips/R1", ["Proxies/R1/C001.mov"]),
        ("Clips/R2", ["Proxies/R2/C001.mov"]),
    ]


def test_proxy_folders_by_other_names_and_proxy_suffixes() -> None:
    """``Proxy Media/``, ``_Proxy/`` with ``_proxy`` names, a Sony ``S03`` proxy in a folder
    named after its clip under a proxy folder, and a clip folder's ``S03`` proxy in a folder
    of its own named after the clip; a proxy no clip has stays a row of its own."""
    clips = group_clips(
        files(
            "A001C001_250101XY.mxf",
            "A002C001_250101XY.mxf",
            "A003C001_250101XY.mxf",
            "B001.mov",
            "Proxy Media/B001.mov",
            "Card/Clips/C001.mov",
            "Card/_Proxy/C001_proxy.mov",
            "Card/_Proxy/C001_Proxy.mp4",
            "Proxy/A001C001_250101XY/A001C001_250101XYS03.mp4",
            "A002C001_250101XY/A002C001_250101XYS03.mp4",
            "Proxies/Z999.mov",
        )
    )
    assert by_name(clips) == {
        "A001C001_250101XY.mxf": ["A001C001_250101XYS03.mp4"],
        "A002C001_250101XY.mxf": ["A002C001_250101XYS03.mp4"],
        "A003C001_250101XY.mxf": [],
        "B001.mov": ["B001.mov"],
        "C001.mov": ["C001_Proxy.mp4", "C001_proxy.mov"],
        "Z999.mov": [],
    }
    assert all(c.kind == "clip" for c in clips)


def test_a_raw_clip_and_a_video_of_its_name_beside_it_are_the_raw_clip_and_its_proxy() -> None:
    """Nikon's N-RAW ``DSC_0001.NEV`` with its ``DSC_0001.MP4``: one row
    "DSC_0001.MP4 (+1 spans)" whose main file was the MP4. The raw file is the clip, the
    video its proxy (a sidecar); spans of one format stay spans."""
    clips = group_clips(
        files(
            "DCIM/100NCZ_9/DSC_0001.MP4",
            "DCIM/100NCZ_9/DSC_0001.NEV",
            "DCIM/100NCZ_9/DSC_0002.NEV",
            "RED/A001_C001_0101AB.RDC/A001_C001_0101AB_001.R3D",
            "RED/A001_C001_0101AB.RDC/A001_C001_0101AB_002.R3D",
            "RED/A001_C001_0101AB.RDC/A001_C001_0101AB_001.mov",
            "BRAW/A001_C003.braw",
            "BRAW/A001_C003.mov",
        )
    )
    assert [(c.name, str(c.primary["path"]).rsplit(".", 1)[-1]) for c in clips] == [
        ("A001_C003.braw", "braw"),
        ("DSC_0001.NEV", "NEV"),
        ("DSC_0002.NEV", "NEV"),
        ("A001_C001_0101AB_001.R3D (+1 span)", "R3D"),
    ]
    assert by_name(clips) == {
        "A001_C003.braw": ["A001_C003.mov"],
        "DSC_0001.NEV": ["DSC_0001.MP4"],
        "DSC_0002.NEV": [],
        "A001_C001_0101AB_001.R3D (+1 span)": ["A001_C001_0101AB_001.mov"],
    }


def test_a_take_of_two_files_counts_one_track_in_the_singular() -> None:
    clips = group_clips(files("SOUND/S01T01_1.WAV", "SOUND/S01T01_2.WAV"))
    assert [c.name for c in clips] == ["S01T01_1.WAV (+1 track)"]


def test_a_file_beside_a_take_named_as_it_is_its_sidecar() -> None:
    """A recorder's ``S01T01.PMF`` beside the take's tracks is a sidecar of the take, as a
    clip's ``.xml`` is of the clip, not a row of its own. Failed before: a "file" row
    "S01T01.PMF". A file of another take's name, or in another folder, is not this take's;
    a take's name that only begins another's is not that take's (``S01`` of ``S01T02``,
    a take not on the card: failed before, S01.WAV claimed S01T02.PMF); a track's part
    after the take's name is (``S01T01_2.PMF``); the take's tracks are counted without
    them."""
    clips = group_clips(
        files(
            "SOUND/S01T01_1.WAV",
            "SOUND/S01T01_2.WAV",
            "SOUND/S01T01.PMF",
            "SOUND/S01T01_2.PMF",
            "SOUND/S01.WAV",
            "SOUND/S01T02.PMF",
            "SOUND/S01T010.PMF",
            "SOUND/S01_NOTES.TXT",
            "NOTES/S01T01.PMF",
        )
    )
    rows = {(c.kind, c.folder, c.name): [str(e["path"]) for e in c.sidecars] for c in clips}
    assert rows == {
        ("audio", "SOUND", "S01T01_1.WAV (+1 track)"): [
            "SOUND/S01T01.PMF",
            "SOUND/S01T01_2.PMF",
        ],
        ("audio", "SOUND", "S01.WAV"): [],
        # Takes not on the card, or no take's: rows of their own, never a take's.
        ("file", "SOUND", "S01T02.PMF"): [],
        ("file", "SOUND", "S01T010.PMF"): [],
        ("file", "SOUND", "S01_NOTES.TXT"): [],
        ("file", "NOTES", "S01T01.PMF"): [],
    }
    take = next(c for c in clips if c.name.startswith("S01T01_1"))
    assert [str(e["path"]) for e in take.files] == [
        "SOUND/S01T01_1.WAV",
        "SOUND/S01T01_2.WAV",
        "SOUND/S01T01.PMF",
        "SOUND/S01T01_2.PMF",
    ]


def test_one_name_in_two_formats_is_two_clips_not_spans() -> None:
    """A camera that writes a take as A001.MOV and A001.MP4 side by side (a master and an
    H.264 copy) made one clip "A001.MOV (+1 spans)", its duration their sum; spans are of
    one format. GoPro's chapters (one format) stay one clip."""
    clips = group_clips(
        files(
            "CLIPS/A001.MOV",
            "CLIPS/A001.MP4",
            "DCIM/100GOPRO/GX010001.MP4",
            "DCIM/100GOPRO/GX020001.MP4",
        )
    )
    assert sorted((c.name, len(c.files)) for c in clips) == [
        ("A001.MOV", 1),
        ("A001.MP4", 1),
        ("GX010001.MP4 (+1 span)", 2),
    ]


def test_a_gap_in_a_recordings_span_numbers_names_the_spans_missing() -> None:
    """A GoPro recording of chapters 01 and 03 (02 lost), a RED clip of spans _001 and _003,
    and recordings whose first span is missing (the row named after ``GX02…``, ``_002.R3D``,
    a Canon XF part 02, an XDCAM EX ``_02`` folder) name the spans they lack. Failed
    before: each read "(+1 spans)" like a whole recording. A whole recording, a plain clip
    and an Insta360 recording's lens lack nothing; GoPro's older names (``GOPR0042``, then
    ``GP010042``) are one recording whose first chapter is GOPR."""
    clips = group_clips(
        files(
            "DCIM/100GOPRO/GX010005.MP4",
            "DCIM/100GOPRO/GX030005.MP4",
            "DCIM/100GOPRO/GX020007.MP4",
            "DCIM/100GOPRO/GH010008.MP4",
            "DCIM/100GOPRO/GH020008.MP4",
            "DCIM/101GOPRO/GOPR0042.MP4",
            "DCIM/101GOPRO/GP020042.MP4",
            "DCIM/101GOPRO/GP010043.MP4",
            "DCIM/101GOPRO/GOPR0044.MP4",
            "DCIM/101GOPRO/GP010044.MP4",
            "RED/A002_C003_0101XY.RDC/A002_C003_0101XY_001.R3D",
            "RED/A002_C003_0101XY.RDC/A002_C003_0101XY_003.R3D",
            "RED/A002_C004_0101XY.RDC/A002_C004_0101XY_002.R3D",
            "CONTENTS/CLIPS001/AA0012/AA001202.MXF",
            "BPAV/CLPR/FISH0046_02/FISH0046_02.MP4",
            "PRIVATE/M4ROOT/CLIP/C0001.MP4",
            "DCIM/Camera01/VID_20250101_120000_10_001.insv",
        )
    )
    missing = {clip.name: list(clip.missing_spans) for clip in clips}
    assert missing == {
        "GX010005.MP4 (+1 span)": ["GX020005.MP4"],
        "GX020007.MP4": ["GX010007.MP4"],
        "GH010008.MP4 (+1 span)": [],
        "GOPR0042.MP4 (+1 span)": ["GP010042.MP4"],
        "GP010043.MP4": ["GOPR0043.MP4"],
        "GOPR0044.MP4 (+1 span)": [],
        "A002_C003_0101XY_001.R3D (+1 span)": ["A002_C003_0101XY_002.R3D"],
        "A002_C004_0101XY_002.R3D": ["A002_C004_0101XY_001.R3D"],
        "AA001202.MXF": ["AA001201.MXF"],
        "FISH0046_02/FISH0046_02.MP4": ["FISH0046_01/FISH0046_01.MP4"],
        "C0001.MP4": [],
        "VID_20250101_120000_10_001.insv": [],
    }


def test_a_row_and_page_1_say_a_recording_lacks_a_span() -> None:
    """The row says which spans are missing, its duration is "in the 2 spans on the card",
    and page 1 warns, as a sequence's missing frames do."""
    from offload.report.content import build_view
    from offload.report.media import MediaInfo

    entries = files("DCIM/100GOPRO/GX010005.MP4", "DCIM/100GOPRO/GX030005.MP4")
    clips = group_clips(entries)
    info = MediaInfo(codec="H.264", duration_s=4.0, frames=120, spans=2)
    data = {"source": "/CARD", "files": entries, "destinations": [{"index": 0, "path": "/d"}]}
    view = build_view(data, clips, {0: info}, [])
    (row,) = view.clips
    assert "Duration 00:00:04.00 (120 frames) in the 2 spans on the card" in row.details
    alarm = (
        "⚠ SPANS MISSING: 1 span of this recording is missing: GX020005.MP4 (a gap in its "
        "numbers: the recording is incomplete on the card; check with the camera department)"
    )
    assert alarm in row.details
    assert f"Clip GX010005.MP4 (+1 span): {alarm[2:]}" in view.warnings


def test_an_empty_sound_file_is_an_empty_row_not_a_take_or_a_track() -> None:
    """A recorder's take of 0 bytes (polyphonic, or one mono track of a take) recorded
    nothing, as a 0-byte clip did: a row of its own, kind "empty", that the summary's CARD
    CONTENT line names. Failed before: the polyphonic take was an "audio" row like a whole
    one and the empty track a "+1 track" of its take, and the summary said nothing."""
    clips = group_clips(
        sized(
            {
                "250101/S01T01.WAV": 0,  # polyphonic
                "250101/S01T02.WAV": 10,
                "250101/S02T01_1.WAV": 10,  # mono tracks: the second empty
                "250101/S02T01_2.WAV": 0,
                "250101/S02T01_3.WAV": 10,
                "ZOOM0001/ZOOM0001_LR.WAV": 10,
                "ZOOM0001/ZOOM0001_Tr1.WAV": 0,
            }
        )
    )
    rows = [(c.kind, c.folder, c.name) for c in clips]
    assert rows == [
        ("empty", "250101", "S01T01.WAV"),
        ("audio", "250101", "S01T02.WAV"),
        ("audio", "250101", "S02T01_1.WAV (+1 track)"),
        ("empty", "250101", "S02T01_2.WAV"),
        ("audio", "ZOOM0001", "ZOOM0001_LR.WAV"),
        ("empty", "ZOOM0001", "ZOOM0001_Tr1.WAV"),
    ]
    [line] = card_content(clips)
    assert line["kind"] == "empty-clip" and line["count"] == 3
    assert (
        "3 files named as sound files on the card are empty "
        "(0 bytes: nothing was recorded in them): "
        "250101/S01T01.WAV, 250101/S02T01_2.WAV, ZOOM0001/ZOOM0001_Tr1.WAV ("
    ) in line["message"], line


def test_a_clip_folders_index_is_the_cards_even_beside_a_single_clip() -> None:
    """Canon Cinema RAW Light writes an ``INDEX.MIF`` in each clip folder: it indexes the
    folder's clips, so it is a file of the card's in a folder of one clip too, as in a folder
    of three. Failed before: ``CLIPS002/INDEX.MIF`` was listed under that folder's only clip
    (and not counted among the other files) while ``CLIPS001/INDEX.MIF`` was a row."""
    clips = group_clips(files(*camera_cards.file_paths(camera_cards.CANON_CRM_FOLDERS)))
    rows = {
        (c.kind, c.folder, c.name): [str(e["path"]).rsplit("/", 1)[-1] for e in c.sidecars]
        for c in clips
    }
    assert rows == {
        **{
            ("clip", "CONTENTS/CLIPS001", f"A001C00{n}_261203AB_CANON.CRM"): [
                f"A001C00{n}_261203AB_CANON.XML"
            ]
            for n in (1, 2, 3)
        },
        ("clip", "CONTENTS/CLIPS002", "A001C004_261203AB_CANON.CRM"): [
            "A001C004_261203AB_CANON.MP4",
            "A001C004_261203AB_CANON.XML",
        ],
        ("file", "CONTENTS", "CANONMVI.MIF"): [],
        ("file", "CONTENTS/CLIPS001", "INDEX.MIF"): [],
        ("file", "CONTENTS/CLIPS002", "INDEX.MIF"): [],
    }


def test_a_gopro_max_360_recordings_chapters_are_one_clip() -> None:
    """A GoPro MAX names a 360 recording's chapters ``GS010135.360``, ``GS020135.360``...
    (as a HERO's ``GX01``/``GX02``): one clip, its proxies and thumbnail under it, a chapter
    lost between two named missing. Failed before: each chapter was a clip of its own (three
    clips counted for one recording) and the second chapter's proxy an other file."""
    clips = group_clips(files(*camera_cards.file_paths(camera_cards.GOPRO_MAX)))
    rows = {
        (c.kind, c.name): sorted(str(e["path"]).rsplit("/", 1)[-1] for e in c.sidecars)
        for c in clips
    }
    assert rows == {
        ("clip", "GS010135.360 (+2 spans)"): [
            "GS010135.LRV", "GS010135.THM", "GS020135.LRV", "GS030135.LRV"
        ],
        ("clip", "GS010136.360"): ["GS010136.LRV", "GS010136.THM"],
        ("clip", "GH010137.MP4"): ["GH010137.THM", "GL010137.LRV"],
        ("file", "GS__8588.JPG"): [],
        ("file", "version.txt"): [],
    }  # fmt: skip
    [lost] = group_clips(files("DCIM/100GOPRO/GS010140.360", "DCIM/100GOPRO/GS030140.360"))
    assert lost.missing_spans == ("GS020140.360",)


def _layout_rows() -> dict[str, list[tuple[str, str]]]:
    from integration.test_camera_cards import ROWS

    return ROWS


@pytest.mark.parametrize("layout", sorted(_layout_rows()))
def test_each_card_layouts_rows(layout: str) -> None:
    """The rows the card layouts' end-to-end test expects (``ROWS``), from the layout's file
    list alone (each file's size its content's, what the ignore rules leave out left out):
    grouping checked on every machine, not only where the field tools that test needs
    are installed."""
    from integration.test_camera_cards import IGNORED

    ignored = IGNORED.get(layout, [])
    content = camera_cards.LAYOUTS[layout]
    entries = [
        {"path": path, "size_bytes": len(data)}
        for path, data in sorted(content.items())
        if data is not None and not any(path == i or path.startswith(i + "/") for i in ignored)
    ]
    assert [(c.kind, c.name) for c in group_clips(entries)] == _layout_rows()[layout]


def test_empty_files_are_an_empty_rows_own_and_the_empty_sound_files_a_clip_claims() -> None:
    """``empty_files``: the one count of empty files of ``CARD CONTENT:`` and page 1 (each
    was written apart before): an "empty" row's file by what its name made it look like, a
    clip's sound files of 0 bytes, never a clip's other members nor a whole clip."""
    from offload.report.clips import empty_files

    clips = group_clips(
        [
            {"path": "CLIPS/A001C001.MOV", "size_bytes": 100},
            {"path": "CLIPS/A001C001.WAV", "size_bytes": 0},  # the clip's, empty
            {"path": "CLIPS/A001C001.XML", "size_bytes": 0},  # the clip's, no sound file
            {"path": "SOUND/S02T01.WAV", "size_bytes": 0},  # no clip's: an "empty" row
            {"path": "CLIPS/B001C001.MOV", "size_bytes": 0},  # an "empty" row
            {"path": "CLIPS/B001C002.MOV", "size_bytes": 100},
        ]
    )
    found = sorted(pair for clip in clips for pair in empty_files(clip))
    assert found == [
        ("CLIPS/A001C001.WAV", "sound file"),
        ("CLIPS/B001C001.MOV", "clip"),
        ("SOUND/S02T01.WAV", "sound file"),
    ], found


def test_a_p2_clips_empty_audio_channel_is_an_empty_sound_file() -> None:
    """A Panasonic P2 clip's audio is one MXF a channel (``CONTENTS/AUDIO/0001AB00.MXF``):
    one of 0 bytes has nothing recorded in it, as a WAV of 0 bytes a clip claims. Failed
    before: ``empty_files`` looked for sound files by their name's ending alone (WAV, ...),
    so an empty channel was neither on the ``CARD CONTENT:`` line nor in page 1's count
    (and one whose video is not on the card was called an empty clip)."""
    from offload.report.clips import empty_files

    clips = group_clips(
        sized(
            {
                "CONTENTS/VIDEO/0001AB.MXF": 100,
                "CONTENTS/AUDIO/0001AB00.MXF": 0,  # the clip's channel 1, empty
                "CONTENTS/AUDIO/0001AB01.MXF": 10,
                "CONTENTS/CLIP/0001AB.XML": 0,  # the clip's, no sound file
                "CONTENTS/VOICE/0001AB00.WAV": 0,  # its voice memo, empty
                "CONTENTS/VIDEO/0002AB.MXF": 100,
                "CONTENTS/AUDIO/0002AB00.MXF": 10,
                "CONTENTS/AUDIO/0003AB00.MXF": 0,  # no video on the card: a row of its own
            }
        )
    )
    found = sorted(pair for clip in clips for pair in empty_files(clip))
    assert found == [
        ("CONTENTS/AUDIO/0001AB00.MXF", "sound file"),
        ("CONTENTS/AUDIO/0003AB00.MXF", "sound file"),
        ("CONTENTS/VOICE/0001AB00.WAV", "sound file"),
    ], found
    [line] = card_content(clips)
    assert line["kind"] == "empty-clip" and line["count"] == 3, line
    assert (
        "3 files named as sound files on the card are empty (0 bytes: nothing was recorded in "
        "them): "
    ) in line["message"], line
    for path, _ in found:
        assert path in line["message"], line


def test_a_phantom_cine_is_a_raw_clip_with_its_cihx_and_xml() -> None:
    """A Phantom card (``Cine1.cine``, ``Cine2.cine``, ``Cine1.cihx``) was 0 clips and 3 other
    files: ``.cine`` was no camera media, its ``.cihx`` no sidecar."""
    clips = group_clips(
        files("PHANTOM_CF/Cine1.cine", "PHANTOM_CF/Cine2.cine", "PHANTOM_CF/Cine1.cihx")
        + files("V2640/Cine3.cine", "V2640/Cine3.xml")
    )
    assert by_name(clips) == {
        "Cine1.cine": ["Cine1.cihx"],
        "Cine2.cine": [],
        "Cine3.cine": ["Cine3.xml"],
    }
    assert all(c.kind == "clip" for c in clips)
