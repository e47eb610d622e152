"""A re-run names the card files an earlier offload recorded (each destination's ledger)
that the card no longer has: a clip deleted in camera after the offload. Nothing is
deleted, the exit code is unchanged; one warning a destination before the
copy (code ``not-on-card``), on the terminal, in ``--json``, the reports and ``--dry-run``.

Real cards on the real filesystem, the real CLI in a subprocess where the terminal's words
matter (as tests/integration/test_every_word_true.py drives it)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from offload.ledger import Ledger, LedgerEntry
from support.offload_cli import run_offload

CODE = "not-on-card"


def make_card(root: Path, files: int = 6) -> Path:
    card = root / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "PROXY").mkdir()
    for i in range(files):
        (card / "CLIPS" / f"A001C{i:03d}.mov").write_bytes(os.urandom(20_000 + i))
    (card / "PROXY" / "A001C000_proxy.mov").write_bytes(os.urandom(5_000))
    return card


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_offload(*args, timeout_s=120)


def newest_report(folder: Path) -> dict[str, Any]:
    reports = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    return json.loads(reports[-1].read_text())


def offloaded(tmp_path: Path) -> tuple[Path, list[Path], Path]:
    """A card offloaded once to two drives: (card, destinations, report folder)."""
    card = make_card(tmp_path)
    dests = [tmp_path / "d1", tmp_path / "d2"]
    for dest in dests:
        dest.mkdir()
    reports = tmp_path / "reports"
    first = run("copy", card, *dests, "--report-dir", reports)
    assert first.returncode == 0, first.stderr
    return card, dests, reports


def warnings_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in report["warnings"] if w["code"] == CODE]


def test_a_clip_deleted_from_the_card_is_named_on_a_rerun(tmp_path: Path) -> None:
    """Failed before: the re-run said every file verified, exit 0, and nothing named the
    clip the card no longer has though both ledgers record it."""
    card, dests, reports = offloaded(tmp_path)
    (card / "CLIPS" / "A001C003.mov").unlink()

    again = run("copy", card, *dests, "--report-dir", reports)
    assert again.returncode == 0, again.stderr  # a warning, not a failure
    lines = [line for line in again.stderr.splitlines() if "not on the card now" in line]
    assert len(lines) == 2, again.stderr  # one a destination
    for dest, line in zip(dests, lines, strict=True):
        assert line.startswith("WARNING: 1 file an earlier offload recorded on "), line
        assert f"{dest / 'A001'} is not on the card now (CLIPS/A001C003.mov)" in line, line
        assert "(CLIPS/A001C003.mov): nothing there is deleted (" in line, line
        # What to do (failed before, QA 38th pass: it said what, not what to do).
        assert line.endswith(
            "; if it was not deleted on purpose, check that this is the card offloaded there, "
            "and keep what that offload left there: it may be the only copy"
        ), line
        assert "kept" not in line, line  # the drive was not looked at: no claim it is there
    # Before the copy's summary, as the planner's other warnings (the summary's "verified
    # earlier": a warning's "until a copy on another disk is read back" comes before).
    assert again.stderr.index(lines[0]) < again.stderr.index("verified earlier")
    for dest in dests:  # the copy is still there, untouched
        assert (dest / "A001" / "CLIPS" / "A001C003.mov").stat().st_size == 20_003

    report = newest_report(reports)
    assert report["exit_code"] == 0
    found = warnings_of(report)
    assert [w["path"] for w in found] == [
        str(dest / "A001" / "CLIPS" / "A001C003.mov") for dest in dests
    ]

    # --json: the warning_issued event carries the code; the report's warnings too.
    streamed = run("copy", "--json", card, *dests, "--report-dir", reports)
    assert streamed.returncode == 0, streamed.stderr
    events = [json.loads(line) for line in streamed.stdout.splitlines()]
    issued = [e for e in events if e["event"] == "warning_issued" and e["code"] == CODE]
    assert len(issued) == 2 and "CLIPS/A001C003.mov" in issued[0]["message"], issued
    assert events.index(issued[0]) < [e["event"] for e in events].index("job_started")
    report = json.loads(Path(events[-1]["reports"][0]).read_text())
    assert len(warnings_of(report)) == 2

    # --dry-run says it too, text and JSON.
    dry = run("copy", "--dry-run", card, *dests)
    assert dry.returncode == 0, dry.stderr
    assert (dry.stdout + dry.stderr).count("is not on the card now (CLIPS/A001C003.mov)") == 2
    dry_json = run("copy", "--dry-run", "--json", card, *dests)
    assert dry_json.returncode == 0, dry_json.stderr
    said = json.loads(dry_json.stdout)["warnings"]
    assert sum("not on the card now (CLIPS/A001C003.mov)" in w["message"] for w in said) == 2
    # With their code and path, as the job report gives them (failed before: strings alone).
    assert [(w["code"], w["path"]) for w in said if w["code"] == CODE] == [
        (CODE, str(dest / "A001" / "CLIPS" / "A001C003.mov")) for dest in dests
    ], said


def test_a_copy_deleted_by_hand_is_not_said_to_be_kept(tmp_path: Path) -> None:
    """Failed before: the warning said "its copy there is kept" from the ledger alone, though
    the copy had been deleted from the drive by hand. It now says only what the run knows:
    nothing there is deleted."""
    card, dests, reports = offloaded(tmp_path)
    (card / "CLIPS" / "A001C003.mov").unlink()
    (dests[0] / "A001" / "CLIPS" / "A001C003.mov").unlink()  # gone from the drive too
    again = run("copy", card, dests[0], "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    (line,) = [line for line in again.stderr.splitlines() if "not on the card now" in line]
    assert "is kept" not in line and "are kept" not in line, line
    assert "(CLIPS/A001C003.mov): nothing there is deleted" in line, line
    (found,) = warnings_of(newest_report(reports))
    assert "kept" not in found["message"], found


def test_many_deleted_name_three_and_the_count(tmp_path: Path) -> None:
    """Up to three paths named (sorted), then how many more; the count in front."""
    card, dests, reports = offloaded(tmp_path)
    for i in (1, 2, 4, 5):
        (card / "CLIPS" / f"A001C{i:03d}.mov").unlink()
    again = run("copy", card, dests[0], "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    assert (
        "4 files an earlier offload recorded on "
        f"{dests[0] / 'A001'} are not on the card now (CLIPS/A001C001.mov, CLIPS/A001C002.mov, "
        "CLIPS/A001C004.mov, and 1 more): nothing there is deleted"
    ) in again.stderr, again.stderr
    assert (
        "; if they were not deleted on purpose, check that this is the card offloaded there, "
        "and keep what that offload left there: it may be the only copy of them"
    ) in again.stderr, again.stderr


def test_no_warning_when_nothing_was_deleted(tmp_path: Path) -> None:
    card, dests, reports = offloaded(tmp_path)
    again = run("copy", card, *dests, "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    assert "not on the card" not in again.stderr
    assert not warnings_of(newest_report(reports))


def test_no_warning_without_a_ledger_read_or_for_a_single_file(tmp_path: Path) -> None:
    """--no-resume reads no ledger; a single-file copy is no card offload (its copy root's
    ledger records other files: the card's, copied earlier into that folder)."""
    card, dests, reports = offloaded(tmp_path)
    (card / "CLIPS" / "A001C003.mov").unlink()
    again = run("copy", "--no-resume", card, dests[0], "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    assert "not on the card" not in again.stderr
    one = run("copy", card / "CLIPS" / "A001C000.mov", dests[0] / "A001", "--report-dir", reports)
    assert one.returncode == 0, one.stderr
    assert "not on the card" not in one.stderr
    assert not warnings_of(newest_report(reports))


def test_files_the_user_ignores_are_not_gone(tmp_path: Path) -> None:
    """A file (or a folder's files) still on the card that --ignore leaves out is not named:
    the scan did not look at it. Failed before the exclusion (with the warning in place):
    the ignored proxy and clip were named as not on the card."""
    card, dests, reports = offloaded(tmp_path)
    again = run(
        "copy",
        "--ignore",
        "PROXY/",
        "--ignore",
        "CLIPS/A001C002.mov",
        card,
        *dests,
        "--report-dir",
        reports,
    )
    assert again.returncode == 0, again.stderr
    assert "not on the card" not in again.stderr, again.stderr
    # A deleted file is named all the same, ignored ones still not.
    (card / "CLIPS" / "A001C004.mov").unlink()
    again = run("copy", "--ignore", "PROXY/", card, dests[0], "--report-dir", reports)
    assert "1 file an earlier offload recorded on" in again.stderr
    assert "(CLIPS/A001C004.mov)" in again.stderr, again.stderr


def test_a_revoked_entry_is_not_named(tmp_path: Path) -> None:
    """An entry whose last line revokes it vouches for no copy: not named. (The revocation
    line is appended by the ledger's own API, as a run that revokes an entry writes it.)"""
    card, dests, reports = offloaded(tmp_path)
    Ledger(dests[0] / "A001").append([LedgerEntry("CLIPS/A001C003.mov", "revoked")])
    (card / "CLIPS" / "A001C003.mov").unlink()
    again = run("copy", card, *dests, "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    found = warnings_of(newest_report(reports))
    assert [w["path"] for w in found] == [str(dests[1] / "A001" / "CLIPS" / "A001C003.mov")]
