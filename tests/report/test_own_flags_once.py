"""A report's documents judge each clip's own ⚠ once (``content.own_flags_of``), and say
the same as when the clip list, page 1 and the ``CARD CONTENT:`` lines each judged them
anew. Failed before: ``render`` made each clip's flags three times (its row, page 1, the
summary's line: measured at 5,000 clips, 3 × 11.6–12.6 ms of the report worker's
~0.53–0.59 s of CPU, ~6–7 %; docs/performance.md, "Profile of the forty-fifth pass").
A real card (files named as clips whose bytes are no media, one sequence with a frame
missing), copied by the real CLI in-process; its JSON report drawn as the report worker
draws it."""

from __future__ import annotations

import json
import os
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

import pytest

from offload.report import card_content as card_content_module
from offload.report import content
from offload.report.card_content import card_content
from offload.report.clips import empty_files_of, group_clips
from offload.report.documents import DocumentOptions, locator, render
from offload.report.html import render_html
from offload.report.media import probe_clips
from report.helpers import offload_cli


def _card(root: Path) -> Path:
    """Six files named as clips that are random bytes, one image sequence with frame 3
    missing (its own ⚠ of another kind), a sidecar and an other file."""
    card = root / "A001"
    clips = card / "DCIM" / "100MEDIA"
    clips.mkdir(parents=True)
    for n in range(1, 7):
        (clips / f"C{n:05d}.MP4").write_bytes(os.urandom(3_000 + n))
    frames = card / "A001C007"
    frames.mkdir()
    for frame in (1, 2, 4, 5):
        (frames / f"A001C007.{frame:07d}.dpx").write_bytes(os.urandom(2_048))
    (card / "DCIM" / "100MEDIA" / "C00001.XML").write_text("<clip/>")
    (card / "notes.txt").write_text("day 1")
    return card


@pytest.fixture
def report(tmp_path: Path) -> dict[str, Any]:
    card = _card(tmp_path / "cards")
    dest, reports = tmp_path / "D1", tmp_path / "r"
    dest.mkdir()
    argv = ["copy", "--quiet", "--verify", "transfer", "--report-dir", str(reports)]
    code, _, err = offload_cli([*argv, str(card), str(dest)])
    assert code == 0, err
    [local] = reports.glob("*.json")
    data: dict[str, Any] = json.loads(local.read_text())
    return data


def test_render_judges_each_clip_once(report: dict[str, Any], monkeypatch: Any) -> None:
    made: Counter[str] = Counter()
    judge = content.own_flags

    def counted(clip: Any, *args: Any, **kwargs: Any) -> Any:
        made[clip.name] += 1
        return judge(clip, *args, **kwargs)

    # Every name the documents' modules call it by.
    monkeypatch.setattr(content, "own_flags", counted)
    monkeypatch.setattr(card_content_module, "own_flags", counted)

    _, _, lines = render(report, DocumentOptions())

    # The clips were flagged (the check has something to count) ...
    assert {line["kind"] for line in lines} >= {"not-readable-as-media", "frames-missing"}, lines
    clips = group_clips(list(report["files"]))
    media_rows = [c.name for c in clips if c.kind != "file"]
    assert len(media_rows) >= 7, media_rows
    # ... and each clip's row judged once: not once for its row, once for page 1 and once
    # for the summary's line (an other file's row, drawn without its probing, is judged
    # for itself as before: ``_file_rows``).
    assert set(made) == {c.name for c in clips}, made
    assert {name: made[name] for name in media_rows} == dict.fromkeys(media_rows, 1), made


def test_the_flags_made_once_say_what_each_made_anew_says(report: dict[str, Any]) -> None:
    clips = group_clips(list(report["files"]))
    media, notes = probe_clips(clips, locator(report), DocumentOptions().budget)
    empty_of = empty_files_of(clips)
    flags_of = content.own_flags_of(clips, media, empty_of)
    assert flags_of, "no clip flagged: nothing compared"

    # Each media row says the ⚠ that ``own_flags`` makes of its clip on its own (one call a
    # clip, the judgement itself: the rows' path never given the shared lists), in its order.
    view = content.build_view(report, clips, media, notes, empty_of=empty_of, flags_of=flags_of)
    rows = {row.name: row for row in view.clips}
    flagged = 0
    for index, clip in enumerate(clips):
        if clip.kind == "file":
            continue
        judged = content.own_flags(clip, media.get(index), empty_of.get(id(clip), ()))
        said = [detail for detail in rows[clip.name].details if detail.startswith("⚠ ")]
        assert said == [f"⚠ {flag.row}" for flag in judged], (clip.name, said)
        flagged += bool(judged)
    assert flagged >= 7, flagged  # six clips no media, the sequence's gap
    html = render_html(view)
    for row in view.clips:
        for detail in row.details:
            if detail.startswith("⚠ "):
                assert escape(detail, quote=False) in html, detail
    # Without the shared lists, build_view makes them itself: the same page.
    anew = content.build_view(report, clips, media, notes, empty_of=empty_of)
    assert render_html(view) == render_html(anew)
    # card_content without them judges each clip anew (its own path): the same lines.
    assert card_content(clips, media, empty_of, flags_of=flags_of) == card_content(
        clips, media, empty_of
    )
