"""``offload verify`` stopped by a real second signal while it revokes the ledger's record
of a copy it found wrong: the revocation is finished first (whole, durable), then the
command stops with exit 130 and one line, and its report, written, lists what was revoked.
Failed before: the revoke ran outside the check's signal holding, so the second signal
raised KeyboardInterrupt in the ledger's append (its line written, not fsynced) and no
report was written at all."""

from __future__ import annotations

import errno
import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.cards import corrupt_keeping_size_and_mtime
from support.faultyfs import FaultyFS, signal_at_stalls
from support.held_process import start
from support.offload_cli import offloaded_card

OFFLOAD = str(Path(sys.executable).with_name("offload"))


def _copied_then_one_changed(tmp_path: Path) -> Path:
    """A card ``A001`` of three clips ``CLIPS/C000.MOV``... copied by ``offload copy`` into
    ``tmp_path/disk`` (``offloaded_card``), then the copy of ``CLIPS/C001.MOV`` changed, its
    size and date kept: that folder."""
    backing = offloaded_card(tmp_path, clip="C{:03d}.MOV")
    corrupt_keeping_size_and_mtime(backing / "A001" / "CLIPS" / "C001.MOV")
    return backing


def _verify_stopped_twice(fs: FaultyFS, held: str, reports: Path) -> subprocess.Popen[str]:
    """``offload verify`` of the copy through *fs*, sent SIGTERM then SIGINT once the stall
    rule *held* holds it; the hold is let go after them. The process, to be communicated."""
    process = start([OFFLOAD, "verify", "--report-dir", str(reports), str(fs.mountpoint / "A001")])
    signal_at_stalls(fs, process, (held, [signal.SIGTERM, signal.SIGINT]), pause_s=0.3)
    return process


@pytest.mark.fault
@pytest.mark.timeout(90)
def test_a_second_signal_while_verify_revokes_finishes_the_revoke_then_stops(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    backing = _copied_then_one_changed(tmp_path)
    ledger = backing / "A001" / ".offload" / "ledger.jsonl"
    lines_before = ledger.read_text().splitlines()

    fs = faulty_fs(backing=backing)
    held = fs.stall("write", path="A001/.offload/ledger.jsonl", nth=1)
    reports = tmp_path / "reports"
    # Two different signals while the revoke's append is held: both are taken once the
    # write returns, the first recorded (the check is over), the second a stop.
    process = _verify_stopped_twice(fs, held, reports)
    out, err = process.communicate(timeout=60)

    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    said = " ".join(err.split())
    assert (
        "ERROR: stopped by a further signal while the check revoked the ledger's record of "
        "the copies it found wrong, the check over: the revocation was finished first" in said
    ), said
    assert "this check revoked this copy root's ledger record of the 1 copy" in said, said
    assert "the summary was not printed: the report gives the check's results" in said, said
    # The revocation is whole and durable: one more line, complete, every earlier one kept.
    lines = ledger.read_text().splitlines()
    assert lines[: len(lines_before)] == lines_before
    added = [json.loads(line) for line in lines[len(lines_before) :]]  # each line whole
    assert added, "nothing revoked"
    assert (added[0]["relative_path"], added[0]["state"]) == ("CLIPS/C001.MOV", "revoked")
    # The report is written and says what was revoked, and that the command was stopped.
    (saved,) = reports.glob("verify_*.json")
    data = json.loads(saved.read_text())
    assert data["revoked"] == ["CLIPS/C001.MOV"], data
    assert data["exit_code"] == 130 and data["passed"] is False, data
    # The check had finished: it looked for every list, and was stopped after it (as a
    # report restated after a stop says); ``offload history`` reads it so. Failed before:
    # not_looked_for named all those lists and stopped_after_check was false.
    assert (data["not_looked_for"], data["stopped_after_check"]) == ([], True), data
    assert [c["path"] for c in data["changed"]] == ["CLIPS/C001.MOV"], data
    (note,) = data["notes"]
    # Python takes the two pending signals in the order of their numbers: Ctrl-C first.
    assert note.startswith(
        "stopped by SIGTERM while this check revoked the ledger's record of the copies it "
        "found wrong, after Ctrl-C had come once the check was over (exit 130)"
    ), note
    assert f"Report: {saved}" in err, err
    assert saved.with_suffix(".csv").is_file()


@pytest.mark.fault
@pytest.mark.timeout(90)
def test_a_stop_while_revoking_whose_report_cannot_be_written_says_no_report_gives_results(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """As above, but the report folder refuses the report (ENOSPC at its files' creation):
    the stop's line says no report was written and nothing gives the check's results, not
    that the report gives them. Failed before: "the report gives the check's results and
    what it revoked", of a report that does not exist."""
    backing = _copied_then_one_changed(tmp_path)
    (backing / "reports").mkdir()

    fs = faulty_fs(backing=backing)
    refused = fs.fail("create", errno.ENOSPC, path="reports/*")
    held = fs.stall("write", path="A001/.offload/ledger.jsonl", nth=1)
    reports = fs.mountpoint / "reports"
    process = _verify_stopped_twice(fs, held, reports)
    out, err = process.communicate(timeout=60)

    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    assert fs.fired(refused) >= 1
    assert list((backing / "reports").iterdir()) == []
    said = " ".join(err.split())
    assert "cannot write the verify report into" in said, said
    assert "this check revoked this copy root's ledger record of the 1 copy" in said, said
    assert "the report gives" not in said and "Report: " not in err, said
    assert (
        "the summary was not printed and no report was written, so nothing gives the "
        "check's results" in said
    ), said


@pytest.mark.fault
@pytest.mark.timeout(90)
def test_a_signal_while_a_cancelled_check_revokes_stops_it_once_revoked(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Ctrl-C while the third clip is read (the second, found changed, judged before), then
    SIGTERM while the cancelled check revokes the ledger's record of that copy: the
    revocation is finished, then the command stops (the cancel was the first signal), exit
    130, the report written as a cancelled check's, never "after the check had finished".
    Failed before: SIGTERM was taken as a first signal after a finished check ("came while
    the report was written, after the check had finished: nothing was cancelled")."""
    backing = _copied_then_one_changed(tmp_path)
    fs = faulty_fs(backing=backing)
    read = fs.stall("read", path="A001/CLIPS/C002.MOV", nth=1)
    held = fs.stall("write", path="A001/.offload/ledger.jsonl", nth=1)
    reports = tmp_path / "reports"
    process = start(
        [OFFLOAD, "verify", "-q", "--report-dir", str(reports), str(fs.mountpoint / "A001")]
    )
    signal_at_stalls(fs, process, (read, [signal.SIGINT]), (held, [signal.SIGTERM]))
    out, err = process.communicate(timeout=60)

    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    assert "after the check had finished" not in err, err
    said = " ".join(err.split())
    assert "this check revoked this copy root's ledger record of the 1 copy" in said, said
    assert "ERROR: stopped by a further signal while the check revoked" in said, said
    (saved,) = reports.glob("verify_*.json")
    data = json.loads(saved.read_text())
    assert data["revoked"] == ["CLIPS/C001.MOV"], data
    assert data["exit_code"] == 130 and data["stopped_after_check"] is False, data
    assert data["not_looked_for"] and data["cancelled"] == ["CLIPS/C002.MOV"], data
    assert data["error"].startswith("interrupted: the check did not finish"), data
    (note,) = data["notes"]
    assert note.startswith("stopped by SIGTERM while this check revoked"), note


@pytest.mark.fault
@pytest.mark.timeout(90)
def test_a_third_signal_while_the_csv_is_written_keeps_stopped_after_check(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A finished check, SIGTERM then Ctrl-C while it revokes (stopped once revoked, its
    JSON written at 130, ``stopped_after_check`` true), then SIGTERM while the CSV is
    written: the JSON restated still says the check had finished. Failed before: the
    restatement took the JSON's exit code (130 already) for a cancelled check's and set
    ``stopped_after_check`` false beside "every list was looked for"."""
    backing = _copied_then_one_changed(tmp_path)
    (backing / "reports").mkdir()
    fs = faulty_fs(backing=backing)
    held = fs.stall("write", path="A001/.offload/ledger.jsonl", nth=1)
    csv = fs.stall("write", path="reports/.verify_*.csv.*.partial", nth=1)
    reports = fs.mountpoint / "reports"
    process = start([OFFLOAD, "verify", "--report-dir", str(reports), str(fs.mountpoint / "A001")])
    signal_at_stalls(
        fs, process, (held, [signal.SIGTERM, signal.SIGINT]), (csv, [signal.SIGTERM]), pause_s=0.3
    )
    out, err = process.communicate(timeout=60)

    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    (saved,) = (backing / "reports").glob("verify_*.json")
    data = json.loads(saved.read_text())
    assert data["revoked"] == ["CLIPS/C001.MOV"], data
    assert data["exit_code"] == 130 and data["passed"] is False, data
    assert (data["not_looked_for"], data["stopped_after_check"]) == ([], True), data
    first, second = data["notes"]
    assert first.startswith("stopped by SIGTERM while this check revoked"), first
    assert "every list was looked for" in second, second
