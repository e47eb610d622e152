"""``card_content``: the summary's CARD CONTENT lines from the clip grouping, one a kind,
the first three of a kind named and the rest counted (the HTML/PDF name every one)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.demo import ClipSpec, encode_clip
from offload.report.card_content import card_content
from offload.report.clips import group_clips
from offload.report.media import probe_clips


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


def test_copy_prints_the_probings_damage_as_card_content(tmp_path: Path, media: Any) -> None:
    """The whole path: ``offload copy`` of a card with a clip cut off prints its CARD
    CONTENT line under the verdict, and ``--json`` gives it in ``card_content``."""
    card = tmp_path / "cards" / "A003"
    _cut_clip(card, "C0001.MP4")
    dest = tmp_path / "D1"
    dest.mkdir()
    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False)
    assert main(["copy", "--report-dir", str(tmp_path / "r"), str(card), str(dest)], env) == 0
    [said] = [x for x in err.getvalue().splitlines() if x.startswith("CARD CONTENT:")]
    assert said.startswith(
        "CARD CONTENT: 1 clip on the card is not whole (found by probing it): C0001.MP4: cut off"
    ), err.getvalue()
    out = io.StringIO()
    env = Environment(stdout=out, stderr=io.StringIO(), install_signal_handlers=False)
    again = ["copy", "--json", "--report-dir", str(tmp_path / "r2"), str(card), str(dest)]
    assert main(again, env) == 0
    [job] = [e for e in map(json.loads, out.getvalue().splitlines()) if e["event"] == "job_report"]
    assert [(c["kind"], c["message"]) for c in job["card_content"]] == [("clip-damaged", said)]
