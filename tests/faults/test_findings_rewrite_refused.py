"""The JSON reports are written a second time, with the probing's findings
(``card_content``), once the documents are made (``ReportsWritten.finish_documents``). That
second write refused (a full drive) left the report there, whole, only without them; the
run said "REPORT NOT WRITTEN: cannot restate the report …" and ``--json`` gave a
``report_refused`` event for it, so a script took the report as missing (review of
qafix70r, M1). Now: a WARNING that the report is written but the findings could not be
added, no REPORT NOT WRITTEN, no ``report_refused``. Real fault: a FaultyFS drive refusing
the second temporary of the JSON report (ENOSPC)."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from support.faultyfs import FaultyFS
from support.offload_cli import offload_streams

pytestmark = pytest.mark.fault


def _card(root: Path) -> Path:
    card = root / "A001"
    (card / "BRAW").mkdir(parents=True)
    # Random bytes named as a clip: not readable as media, a finding only the probing makes.
    (card / "BRAW" / "A007_01021430_C001.braw").write_bytes(os.urandom(40_000))
    (card / "README.TXT").write_bytes(b"notes\n")
    return card


@pytest.mark.timeout(120)
@pytest.mark.parametrize("as_json", [False, True], ids=["lines", "json"])
def test_findings_not_added_leave_a_report_not_called_missing(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], as_json: bool
) -> None:
    """Failed before: REPORT NOT WRITTEN for D1's report (and a ``report_refused`` event)."""
    card = _card(tmp_path / "cards")
    fs = faulty_fs()
    d1, d2, reports = fs.mountpoint / "D1", tmp_path / "D2", tmp_path / "r"
    d1.mkdir()
    d2.mkdir()
    # The second temporary of D1's JSON report (the first is the report written): refused.
    rule = fs.fail("create", errno.ENOSPC, path="D1/A001/.offload/reports/.A001_*.json*", nth=2)
    argv = ["copy", "--report-dir", str(reports), *(["--json"] if as_json else [])]
    code, out, err = offload_streams(*argv, str(card), str(d1), str(d2))
    assert fs.fired(rule) == 1, fs.log_text()
    fs.clear()
    assert code == 0, err
    assert "REPORT NOT WRITTEN" not in err + out, err
    [local] = reports.glob("*.json")
    shelved = d1 / "A001" / ".offload" / "reports" / local.name
    # D1's report is there, whole, as first written: only without the findings.
    assert "card_content" not in json.loads(shelved.read_bytes())
    for whole in (local, d2 / "A001" / ".offload" / "reports" / local.name):
        [line] = json.loads(whole.read_bytes())["card_content"]
        assert line["kind"] == "not-readable-as-media", line
    said = (
        f"the JSON report {shelved} is written, but the probing's findings could not be "
        "added to it (No space left on device (ENOSPC))"
    )
    if as_json:
        events = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
        assert not [e for e in events if e["event"] == "report_refused"], events
        [final] = [e for e in events if e["event"] == "job_report"]
        assert any(said in note for note in final["notes"]), final["notes"]
    else:
        [warned] = [x for x in err.splitlines() if said in x]
        assert warned.startswith("WARNING: "), err
