"""The warning that the card's ASC MHL history is not carried on to a destination (its
history there has generations of its own) is in the job report's ``warnings`` as docs/json.md
promises, with its code, and in ``--json``'s ``warning_issued`` with the same code. Before:
printed, and in ``--json`` with ``code: null``, but the report's ``warnings`` was []. The
card's history is made by the reference tool (``ascmhl create``)."""

from __future__ import annotations

import json
from pathlib import Path

from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import newest_report, offload

CODE = "card-history-not-carried"


def create(judge: AscmhlJudge, root: Path) -> None:
    done = judge.run("ascmhl", "create", "-h", "xxh64", root)
    assert done.returncode == 0, done.describe()


def test_the_history_not_carried_is_in_the_job_report_warnings(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card = tmp_path / "R1"
    (card / "C").mkdir(parents=True)
    (card / "C" / "a.mov").write_bytes(b"a\n")
    create(judge, card)
    raid = tmp_path / "D"
    raid.mkdir()
    reports = tmp_path / "reports"
    code, out = offload("copy", "--quiet", "--report-dir", str(reports), str(card), str(raid))
    assert code == 0, out
    (card / "C" / "b.mov").write_bytes(b"b\n")
    create(judge, card)

    code, out = offload("copy", "--json", "--report-dir", str(reports), str(card), str(raid))
    assert code == 0, out
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    said = [
        e for e in events if e["event"] == "warning_issued" and "not carried on" in e["message"]
    ]
    assert len(said) == 1, out
    assert said[0]["code"] == CODE
    warnings = newest_report(reports)["warnings"]
    listed = [w for w in warnings if w["code"] == CODE]
    assert len(listed) == 1, warnings
    assert listed[0]["message"] == said[0]["message"]
    assert listed[0]["path"] == str(raid / "R1")
