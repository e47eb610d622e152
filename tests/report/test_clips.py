"""Clip grouping on the folder layouts of common camera cards."""

from __future__ import annotations

from offload.report.clips import Clip, group_clips


def files(*paths: str) -> list[dict[str, object]]:
    return [{"path": p, "size_bytes": 10} for p in paths]


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
        "A001_C001_0101XY_001.R3D (+1 spans)": ["A001_C001_0101XY.RMD", "A001_C001_0101XY_001.mov"]
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
    assert names["GH010042.MP4 (+1 spans)"] == ["GH010042.THM", "GL010042.LRV"]


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
