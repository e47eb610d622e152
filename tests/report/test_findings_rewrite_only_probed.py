"""The JSON reports are written a second time (``ReportsWritten.finish_documents``) only
for what the probing alone finds (``probed_kinds.PROBED_KINDS``): every other line of the
card's content ``offload report`` makes again from the report's ``files``. Before, any
line did: a card whose only finding is an empty clip file had every JSON rewritten (a
50,000-file card's 56 MB, on every drive and bucket; review of qafix70r, L1). Real files,
the real CLI in-process."""

from __future__ import annotations

import json
from pathlib import Path

from report.helpers import offload_cli


def test_an_empty_clip_file_alone_does_not_rewrite_the_json_reports(tmp_path: Path) -> None:
    """Failed before: each JSON report held ``card_content`` (written again for it)."""
    card = tmp_path / "cards" / "A001"
    (card / "DCIM").mkdir(parents=True)
    (card / "DCIM" / "C0002.MP4").write_bytes(b"")
    (card / "DCIM" / "NOTES.TXT").write_bytes(b"take 2\n")
    d1, reports = tmp_path / "D1", tmp_path / "r"
    d1.mkdir()
    code, out, err = offload_cli(
        ["copy", "--json", "--report-dir", str(reports), str(card), str(d1)]
    )
    assert code == 0, err
    [job] = [e for e in map(json.loads, out.splitlines()) if e["event"] == "job_report"]
    [line] = job["card_content"]  # found, and said
    assert line["kind"] == "empty-clip", line
    [local] = reports.glob("*.json")
    for report in (local, d1 / "A001" / ".offload" / "reports" / local.name):
        assert "card_content" not in json.loads(report.read_bytes()), report
    # ``offload report`` of it says the line all the same, from the report's files.
    code, _, said = offload_cli(["report", "--no-media", str(local)])
    assert code == 0, said
    assert [x for x in said.splitlines() if x.startswith("CARD CONTENT:")] == [line["message"]]
