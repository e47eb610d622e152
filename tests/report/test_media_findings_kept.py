"""The run's media findings are kept in its job JSON, and ``offload report`` made away from
the media (the card formatted, both copies shelved) says them: the files not readable as
media stay flagged and are not counted as clips. Failed before: the JSON had no
``card_content`` (only ``--json``'s event line had it), and the documents made again said
"3 clips", each file a green CLIP row "not probed: neither the card nor a verified copy is
there", both NOT READABLE warnings gone. A report without the key (an older offload-ai's)
still renders, as before. Real files, the real CLI in-process, the PDF through pdftotext."""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path
from typing import Any

from offload.demo import ClipSpec, encode_clip
from report.helpers import offload_cli, pdf_words

FLAG = "NOT READABLE AS MEDIA"
#: A box no box can be, right after the ``ftyp``: FFmpeg finds invalid data (the second way
#: a file is not readable as media), never a box running past the end (a cut-off clip).
BAD_BOX = struct.pack(">I", 3) + b"junk"


def _card(root: Path) -> Path:
    card = root / "A001"
    encode_clip(card, ClipSpec("CLIPS/A001C001.mov", seconds=0.4, width=160, height=90))
    (card / "BRAW").mkdir()
    (card / "BRAW" / "A007_01021430_C001.braw").write_bytes(os.urandom(40_000))
    (card / "CLIPS" / "A001C003.mov").write_bytes(
        struct.pack(">I", 20) + b"ftypqt  \0\0\0\0qt  " + BAD_BOX + os.urandom(60_000)
    )
    return card


def test_report_made_away_from_the_media_keeps_the_runs_findings(
    tmp_path: Path, media: Any, poppler: dict[str, str]
) -> None:
    card = _card(tmp_path / "cards")
    d1, d2, reports = tmp_path / "D1", tmp_path / "D2", tmp_path / "r"
    d1.mkdir()
    d2.mkdir()
    code, _, err = offload_cli(["copy", "--report-dir", str(reports), str(card), str(d1), str(d2)])
    assert code == 0, err
    [local] = reports.glob("*.json")
    before = pdf_words(poppler, local.with_suffix(".pdf"))
    page = local.with_suffix(".html").read_text()
    counts = "A001: 3 files, "
    clips = "2 clips, 0 image sequences, 1 file named as a clip, not video"
    assert counts in before and clips in before, before[:2000]

    # Every JSON report holds the findings, the destinations' too, each file exactly.
    for report in [local, *(d / "A001" / ".offload" / "reports" / local.name for d in (d1, d2))]:
        [line] = json.loads(report.read_bytes())["card_content"]
        assert line["kind"] == "not-readable-as-media" and line["count"] == 2, line
        assert line["files"] == [
            {
                "path": "BRAW/A007_01021430_C001.braw",
                "invalid_data": False,
                "error": "not probed: its first bytes are no picture or video format FFmpeg reads",
            },
            {
                "path": "CLIPS/A001C003.mov",
                "invalid_data": True,
                "error": line["files"][1]["error"],
            },
        ], line

    # A producer makes the PDF again later: the JSON elsewhere, the card and its copies gone.
    kept = tmp_path / "kept" / local.name
    kept.parent.mkdir()
    shutil.copyfile(local, kept)
    aside = tmp_path / "shelf"
    aside.mkdir()
    for gone in (card, d1, d2):
        gone.rename(aside / f"{gone.parent.name}-{gone.name}")
    code, _, said = offload_cli(["report", str(kept)])
    assert code == 0, said
    assert [x for x in said.splitlines() if x.startswith("CARD CONTENT:")] == [line["message"]], (
        said
    )
    flat = pdf_words(poppler, kept.with_suffix(".pdf"))
    # The run's own counts (the file whose first bytes are no format is no clip), not 3 clips.
    assert counts in flat and clips in flat, flat[:2000]
    # Page 1's line and the row's, each file, as the run's own PDF said them.
    assert flat.count(FLAG) == before.count(FLAG) == 4, flat
    assert "taken from its JSON report" in flat, flat
    html = kept.with_suffix(".html").read_text()
    assert html.count(FLAG) == page.count(FLAG) > 0, html[:2000]

    # A report without the key (an older offload-ai's) still renders, as it did.
    older = json.loads(kept.read_bytes())
    del older["card_content"]
    kept.write_text(json.dumps(older))
    code, _, said = offload_cli(["report", "--overwrite", str(kept)])
    assert code == 0, said
    flat = pdf_words(poppler, kept.with_suffix(".pdf"))
    assert FLAG not in flat and "3 clips," in flat, flat[:2000]
    assert "neither the card nor a verified copy is there" in flat, flat[:2000]


def test_report_with_no_media_says_why_the_clips_were_not_probed(
    tmp_path: Path, media: Any
) -> None:
    """``offload report --no-media`` with the card and its copy there: the note of the
    findings taken from the JSON says --no-media, not "neither the card nor a verified copy
    is there" (review of qafix70r, M3: that false note stood beside "Clips were not probed
    … (--no-media)"). Failed before: the false note was in the HTML."""
    card = _card(tmp_path / "cards")
    d1, reports = tmp_path / "D1", tmp_path / "r"
    d1.mkdir()
    code, _, err = offload_cli(["copy", "--report-dir", str(reports), str(card), str(d1)])
    assert code == 0, err
    [local] = reports.glob("*.json")
    code, _, said = offload_cli(["report", "--no-media", "--overwrite", str(local)])
    assert code == 0, said
    html = local.with_suffix(".html").read_text()
    assert "neither the card nor a verified copy is there" not in html, html[:3000]
    assert "2 clip(s) were not probed now (--no-media): what the offload" in html, html[:3000]
    assert html.count(FLAG) > 0, html[:2000]
