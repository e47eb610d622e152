"""``card_content``: the summary's CARD CONTENT lines from the clip grouping, one a kind,
the first three of a kind named and the rest counted (the HTML/PDF name every one)."""

from __future__ import annotations

from offload.report.card_content import card_content
from offload.report.clips import group_clips


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
        "; and 2 more clips, each named in the HTML/PDF report (so on the card itself: "
        in (line["message"])
    )
    assert "not a copy problem" in line["message"]


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
