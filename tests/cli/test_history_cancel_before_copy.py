"""Ctrl-C while ``offload copy`` plans (its scan held on a stalled FUSE lookup of the card):
the run says nothing was copied (one ``ERROR:`` line, exit 130) and its attempt is recorded
where a refusal before the copy is, the report folder's ``refused/`` (exit code 130), so
``offload history`` lists it as cancelled before the copy; nothing else is written: no job
report, no start record, nothing on the destination (no manifest, no ``.offload``).
Failed before: the attempt left no trace, ``offload history`` listed nothing.

Real processes: ``offload copy`` of a card on a FaultyFS mount, SIGINT sent while its scan
waits on the card's folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offload.report.refused import REFUSED_FOLDER
from offload.report.started import STARTED_FOLDER
from support.faultyfs import FaultyFS

OFFLOAD = str(Path(sys.executable).with_name("offload"))

pytestmark = pytest.mark.fault


def _history(reports: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OFFLOAD, "history", "--report-dir", str(reports), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "COLUMNS": "250"},
    )


def _card(card_fs: FaultyFS, tmp_path: Path) -> tuple[list[str], Path, Path]:
    """The card A001 on *card_fs*: the ``offload copy`` arguments of it into tmp_path/dest,
    its reports in tmp_path/reports (both made), the report folder and the destination."""
    card = card_fs.backing / "A001"
    card.mkdir()
    for number in range(5):
        (card / f"C{number:03d}.mov").write_bytes(os.urandom(30_000))
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    reports.mkdir()
    argv = ["--report-dir", str(reports), str(card_fs.mountpoint / "A001"), str(dest)]
    return argv, reports, dest


def _cancel_while_scanning(
    card_fs: FaultyFS, tmp_path: Path, *extra: str
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """``offload copy`` of the card A001 on *card_fs* (with *extra* options) into
    tmp_path/dest, SIGINT sent while the card's folder is listed (released after): on a
    first run that is the read-ahead's walk while the command loads (``entry.main``). The
    finished process, the report folder and the destination."""
    args, reports, dest = _card(card_fs, tmp_path)
    stall = card_fs.stall("readdir", path="A001")
    argv = [OFFLOAD, "copy", *extra, *args]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        card_fs.wait_stalled(stall, timeout_s=30)
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
    finally:
        card_fs.release(stall)
    out, err = process.communicate(timeout=60)
    done = subprocess.CompletedProcess(argv, process.returncode, out, err)
    return done, reports, dest


@pytest.mark.timeout(120)
@pytest.mark.parametrize("as_json", [False, True], ids=["terminal", "json"])
def test_ctrl_c_while_planning_is_listed_as_cancelled_before_the_copy(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], as_json: bool
) -> None:
    card_fs = faulty_fs()
    done, reports, dest = _cancel_while_scanning(card_fs, tmp_path, *(["--json"] * as_json))
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert lines == ["ERROR: cancelled before the copy started: nothing was copied"], lines
    if as_json:
        [line] = [json.loads(x) for x in done.stdout.splitlines()]
        assert line["event"] == "offload_refused" and line["exit_code"] == 130, line

    # Nothing written anywhere but the record: no job report, no start record, nothing on
    # the destination (no manifest, no ledger, no run record).
    assert list(dest.iterdir()) == []
    assert sorted(p.name for p in reports.iterdir()) == [REFUSED_FOLDER]
    assert not (reports / STARTED_FOLDER).exists()
    [written] = (reports / REFUSED_FOLDER).iterdir()
    record: dict[str, Any] = json.loads(written.read_text(encoding="utf-8"))
    assert record["exit_code"] == 130 and record["codes"] == [], record
    assert record["message"] == "cancelled before the copy started: nothing was copied"
    assert record["source"] == str(card_fs.mountpoint / "A001"), record
    assert record["destinations"] == [str(dest)], record

    shown = _history(reports, "--json")
    assert shown.returncode == 0, shown.stderr
    [entry] = json.loads(shown.stdout)
    assert entry["kind"] == "cancelled" and entry["exit_code"] == 130, entry
    assert entry["result"] == "cancelled before the copy, nothing copied", entry
    assert entry["card"] == "A001" and entry["destinations"] == [str(dest)], entry
    assert entry["files"] is None and entry["verify"] is None, entry
    assert entry["html"] is None and entry["pdf"] is None, entry
    text = _history(reports)
    assert text.returncode == 0, text.stderr
    assert "cancelled before the copy, nothing copied" in text.stdout, text.stdout
    assert "refused" not in text.stdout.replace(f"{REFUSED_FOLDER}/", ""), text.stdout


@pytest.mark.timeout(120)
def test_ctrl_c_while_a_dry_run_plans_records_nothing(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A dry run records nothing, cancelled or not (as a refused one)."""
    done, reports, dest = _cancel_while_scanning(faulty_fs(), tmp_path, "--dry-run")
    assert done.returncode == 130, done.stderr
    assert "nothing was copied" in done.stderr, done.stderr
    assert list(dest.iterdir()) == [] and list(reports.iterdir()) == []


@pytest.mark.timeout(180)
def test_ctrl_c_while_a_re_run_plans_is_recorded_and_changes_nothing_there(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A re-run (the card's copy there, its ``.offload``): the wait is the plan's scan. The
    cancelled attempt is listed above the first run; the copy root is as that run left it,
    its run record still ``finished`` (nothing claimed, nothing revoked)."""
    card_fs = faulty_fs()
    args, reports, dest = _card(card_fs, tmp_path)
    first = subprocess.run([OFFLOAD, "copy", "-q", *args], capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert first.returncode == 0, first.stderr
    root = dest / "A001"
    before = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}
    record = (root / ".offload" / "last-run.json").read_bytes()
    assert b'"finished"' in record

    stall = card_fs.stall("readdir", path="A001")
    process = subprocess.Popen([OFFLOAD, "copy", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        card_fs.wait_stalled(stall, timeout_s=30)
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
    finally:
        card_fs.release(stall)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "ERROR: cancelled before the copy started: nothing was copied" in err, err
    assert "Traceback" not in err, err

    after = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}
    assert after == before
    assert (root / ".offload" / "last-run.json").read_bytes() == record
    shown = _history(reports, "--json")
    assert shown.returncode == 0, shown.stderr
    cancelled, offload = json.loads(shown.stdout)
    assert cancelled["kind"] == "cancelled" and cancelled["exit_code"] == 130, cancelled
    assert offload["kind"] == "offload" and offload["result"] == "verified", offload


def _cancel_then_stall(
    card_fs: FaultyFS, reports_fs: FaultyFS, tmp_path: Path, op: str, path: str
) -> tuple[subprocess.Popen[str], str, Path]:
    """``offload copy`` of the card A001 on *card_fs*, its report folder ``reports`` on
    *reports_fs*: SIGINT while the card's folder is listed (the command loading), then
    *op* on *path* of *reports_fs* held (``stall``) once the card is released. The running
    process, the held rule (released by the caller) and the report folder."""
    args, _, _ = _card(card_fs, tmp_path)
    reports = reports_fs.mountpoint / "reports"
    (reports_fs.backing / "reports").mkdir()
    args[1] = str(reports)
    listing = card_fs.stall("readdir", path="A001")
    process = subprocess.Popen([OFFLOAD, "copy", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        card_fs.wait_stalled(listing, timeout_s=30)
        held = reports_fs.stall(op, path=path)
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
    finally:
        card_fs.release(listing)
    reports_fs.wait_stalled(held, timeout_s=30)
    return process, held, reports


@pytest.mark.timeout(120)
def test_sigterm_while_a_hung_report_folder_holds_the_cancel_record_ends_the_run(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The review's MEDIUM 2: Ctrl-C before the copy, the report folder then hanging as the
    record of that cancel is written into its ``refused/``: a SIGTERM meanwhile ends the
    process as a SIGTERM before the copy does (README: exit 143, killed by it), as soon as
    the folder's call returns (a call the kernel handed to a FUSE daemon outlives any
    signal). Failed before: every signal was held while the record was written, the
    record then written whole and the SIGTERM named in a WARNING line, exit 130."""
    card_fs, reports_fs = faulty_fs(), faulty_fs()
    process, held, _ = _cancel_then_stall(
        card_fs, reports_fs, tmp_path, "create", "reports/refused/*"
    )
    try:
        process.send_signal(signal.SIGTERM)
        time.sleep(0.2)
    finally:
        reports_fs.release(held)
    _, err = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGTERM, err
    assert "Traceback" not in err and "SIGTERM came" not in err, err


@pytest.mark.timeout(120)
def test_a_second_ctrl_c_while_the_report_folder_is_looked_at_exits_130(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The review's MEDIUM 3: Ctrl-C while the command loads, then a second one while the
    report folder's lookup for the cancel's record hangs: the record is given up (one
    warning line), the run says nothing was copied, exit 130. Failed before: a
    KeyboardInterrupt traceback out of ``local_report_dir``, the process killed by SIGINT."""
    card_fs, reports_fs = faulty_fs(), faulty_fs()
    process, held, reports = _cancel_then_stall(card_fs, reports_fs, tmp_path, "getattr", "reports")
    try:
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
    finally:
        reports_fs.release(held)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err, err
    assert err.splitlines() == [
        "WARNING: this cancelled offload is not in offload history: Ctrl-C came while it was "
        "written",
        "ERROR: cancelled before the copy started: nothing was copied",
    ], err
    assert not (reports / REFUSED_FOLDER).exists()


@pytest.mark.timeout(120)
def test_ctrl_c_while_loading_a_copy_its_options_would_refuse_records_nothing(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A Ctrl-C while the command loads, its command line one ``offload copy`` refuses
    once loaded (an empty ``--ignore`` pattern: exit 64, which by the README leaves no
    record): nothing recorded, as for a refused report folder. Failed before: a
    ``cancelled`` attempt was recorded in ``refused/``."""
    done, reports, dest = _cancel_while_scanning(faulty_fs(), tmp_path, "--ignore", "")
    assert done.returncode == 130, done.stderr
    assert "nothing was copied" in done.stderr and "Traceback" not in done.stderr
    assert list(dest.iterdir()) == [] and list(reports.iterdir()) == []
