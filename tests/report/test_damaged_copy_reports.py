"""A copy of ours found damaged when read back again (``--reverify``) and copied again: every
saved report says so, not only the terminal.

Before (QA, December 2026): the run exited 0 and the terminal and ``--json`` carried
``WARNING: copy no longer matches, copying it again: ...``, but the saved JSON (``warnings``,
``notes``), the HTML, the PDF and ``offload history`` showed only ``verified``/``copied``:
a producer reading the report never learnt that a copy had been damaged. Real files, the
real CLI, the HTML and PDF the run writes (read with pdftotext).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from offload.existing import FoundWrong, found_wrong_warnings
from offload.results import DestinationFileResult, DestinationStatus, FileResult
from report.helpers import copied_once, offload_cli, two_clip_card
from support.cards import corrupt_keeping_size_and_mtime

CODE = "copy-no-longer-matches"


def newest(folder: Path, pattern: str = "*.json") -> Path:
    return sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime_ns)[-1]


def page_one(poppler: dict[str, str], pdf: Path) -> str:
    text = subprocess.run(
        [poppler["pdftotext"], "-f", "1", "-l", "1", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return " ".join(text.split())


def test_a_copy_found_damaged_and_replaced_is_in_every_saved_report(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    card = two_clip_card(tmp_path, 150_000)
    dest, reports = copied_once(card, tmp_path)
    bad = dest / card.name / "CLIPS" / "C001.mov"
    corrupt_keeping_size_and_mtime(bad)

    argv = ["copy", "--reverify", str(card), str(dest), "--report-dir", str(reports)]
    code, out, err = offload_cli(argv)
    assert code == 0, out + err
    assert bad.read_bytes() == (card / "CLIPS" / "C001.mov").read_bytes()
    local = newest(reports)
    on_destination = newest(dest / card.name / ".offload" / "reports")
    for saved in (local, on_destination):
        data: dict[str, Any] = json.loads(saved.read_text())
        found = [w for w in data["warnings"] if w["code"] == CODE]
        assert len(found) == 1, data["warnings"]
        (warning,) = found
        assert warning["path"] == str(bad)
        assert str(bad) in warning["message"] and "differs" in warning["message"]
        assert "replaced by a new copy from the card, verified now" in warning["message"]
        (entry,) = [f for f in data["files"] if f["path"] == "CLIPS/C001.mov"]
        assert entry["destinations"][0]["status"] == "verified"
        assert entry["destinations"][0]["action"] == "copied"
    message = warning["message"]

    html = local.with_suffix(".html").read_text()
    assert "copy found damaged" in html and "replaced by a new copy" in html
    first = page_one(poppler, local.with_suffix(".pdf"))
    assert "copy found damaged" in first and "replaced by a new copy" in first, first
    assert " ".join(message.split()[:4]) in first

    listed = offload_cli(["history", "--json", "--report-dir", str(reports)])
    entries = json.loads(listed[1])
    assert entries[0]["report"] == str(local)
    assert entries[0]["result"] == "verified, 1 damaged copy replaced"
    assert entries[1]["result"] == "verified"  # the first run found nothing damaged


def _result(status: DestinationStatus, error: str | None = None) -> FileResult:
    file = FileResult("CLIPS/C001.mov", 10, 0)
    file.destinations.append(
        DestinationFileResult(
            destination_index=0, final_path="/d/A001/CLIPS/C001.mov", status=status, error=error
        )
    )
    return file


def test_the_warning_says_what_became_of_the_damaged_copy() -> None:
    """Never "replaced" unless the new copy was proven: a re-copy that failed or was
    cancelled says NOT replaced, and why."""
    wrong = [FoundWrong("CLIPS/C001.mov", 0, "/d/A001/CLIPS/C001.mov", "it differs")]
    said = {
        status: found_wrong_warnings(wrong, [_result(status, "ENOSPC")])[0].message
        for status in DestinationStatus
    }
    assert said[DestinationStatus.VERIFIED].endswith("verified now (read back)")
    assert "transfer-checked only" in said[DestinationStatus.TRANSFER_CHECKED]
    # Why is the file's error, said with it (once): never repeated here.
    assert said[DestinationStatus.FAILED].endswith(
        "NOT replaced: the file failed there (its error says why)"
    )
    assert "ENOSPC" not in said[DestinationStatus.FAILED]
    assert "NOT replaced" in said[DestinationStatus.CANCELLED]
    assert "cancelled" in said[DestinationStatus.CANCELLED]
    for message in said.values():
        assert message.startswith("copy found damaged: it differs; ")
    (item,) = found_wrong_warnings(wrong, [])
    assert item.code.value == CODE and "not copied again" in item.message


def test_page_one_counts_the_damaged_copies_past_its_cap(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    """A destination with every copy damaged (bit rot over a whole drive, found by
    --reverify): page 1 names the first MAX_WARNING_LINES_PER_CODE and counts the rest in
    one line; the saved JSON keeps every warning. Failed before: page 1 listed all of them
    (a page of warnings per hundred files)."""
    from offload.report.content import MAX_WARNING_LINES_PER_CODE as CAP

    count = CAP + 7
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for n in range(count):
        (card / "CLIPS" / f"C{n:03}.xml").write_bytes(os.urandom(3_000))
    dest, reports = copied_once(card, tmp_path)
    for copy in (dest / card.name / "CLIPS").iterdir():
        corrupt_keeping_size_and_mtime(copy)

    argv = ["copy", "--reverify", str(card), str(dest), "--report-dir", str(reports)]
    code, out, err = offload_cli(argv)
    assert code == 0, out + err
    local = newest(reports)
    data: dict[str, Any] = json.loads(local.read_text())
    assert len([w for w in data["warnings"] if w["code"] == CODE]) == count
    html = local.with_suffix(".html").read_text()
    assert html.count("copy found damaged") == CAP
    assert f"… and 7 more warnings like these ({CODE}): every one is in the JSON report" in html
    text = subprocess.run(
        [poppler["pdftotext"], str(local.with_suffix(".pdf")), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    flat = " ".join(text.split())
    assert flat.count("copy found damaged") == CAP, flat
    assert "and 7 more warnings like these" in flat
