"""A ledger whose last line a run stopped writing (killed, a power cut): ``offload verify``
and ``offload copy`` say so once, naming the copy it was recording and what becomes of it,
instead of calling that copy new without a word (QA, thirty-sixth pass). The real CLI in a
subprocess on real files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from integration.test_field_filesystems import run
from support.offload_cli import newest_report

TORN = "ends in an incomplete line (it was recording DCIM/C0003T01.JPG): a run stopped"


def test_a_torn_last_line_is_named_by_verify_and_copy(tmp_path: Path) -> None:
    card = tmp_path / "B002"
    (card / "DCIM").mkdir(parents=True)
    for index in (1, 2, 3):
        (card / "DCIM" / f"C000{index}T01.JPG").write_bytes(os.urandom(5000))
    dest, reports = tmp_path / "nm", tmp_path / "reports"
    dest.mkdir()
    copy = ("copy", "--mhl", "none", "--verify", "transfer", "--report-dir", reports, card, dest)
    assert run(*copy).returncode == 0
    ledger = dest / "B002" / ".offload" / "ledger.jsonl"
    os.truncate(ledger, ledger.stat().st_size - 100)

    checked = run("verify", "--json", dest / "B002")
    (note,) = json.loads(checked.stdout)["notes"]
    assert note.startswith(f"{ledger} {TORN}") and "`offload copy` of the card reads" in note

    again = run(*copy)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count(TORN) == 1
    (warning,) = [w for w in newest_report(reports)["warnings"] if w["code"] == "ledger-torn-line"]
    assert warning["path"] == str(ledger) and TORN in warning["message"]
    statuses = {f["path"]: f["destinations"][0]["action"] for f in newest_report(reports)["files"]}
    assert statuses["DCIM/C0003T01.JPG"] == "adopted"
