"""``offload history`` stopped by a real signal, or read by a reader that goes away: one
line and exit 130 while the reports are read (nothing on stdout); ``--json``'s document
written whole once begun (exit 0, stderr names the signal); a closed pipe (``| head -c
10``) ends it quietly. Failed before: a Ctrl-C ended it on a traceback, a SIGTERM while the
document was written killed it (-15) with the document cut short, and a closed pipe gave a
``BrokenPipeError`` traceback (the document was a plain ``print``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support.faultyfs import FaultyFS, signalled_at_stall
from support.signal_pipes import held_full, one_page

OFFLOAD = str(Path(sys.executable).with_name("offload"))


def _store(folder: Path, count: int = 60) -> None:
    """A report folder of *count* files that are not reports (each listed with why): a
    document of several pages."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (folder / f"notes_{index:03d}_{'n' * 60}.json").write_text("{not json")


def _history_json(tmp_path: Path) -> subprocess.Popen[bytes]:
    """``offload history --json`` of the report folder ``tmp_path/r``, its stdout and stderr
    pipes, started in *tmp_path*."""
    return subprocess.Popen(
        [OFFLOAD, "history", "--json", "--report-dir", str(tmp_path / "r")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )


def _held_in_its_write(process: subprocess.Popen[bytes]) -> int:
    """Shrink *process*'s stdout pipe to one page and wait until it is full (the document
    begun, its writer held in the write); the page's size."""
    reader, page = one_page(process)
    held_full(process, reader, page, time.monotonic() + 30, "no document")
    return page


@pytest.mark.timeout(60)
def test_history_json_to_a_reader_that_goes_away_ends_quietly(tmp_path: Path) -> None:
    """``offload history --json | head -c 10``: the reader takes 10 bytes and goes."""
    _store(tmp_path / "r")
    process = _history_json(tmp_path)
    try:
        _held_in_its_write(process)
        assert process.stdout is not None
        assert os.read(process.stdout.fileno(), 10) == b'[{"report"'
        process.stdout.close()
        _, err_bytes = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    err = err_bytes.decode()
    assert process.returncode == 0, err
    assert err == "", err


@pytest.mark.timeout(60)
def test_history_json_signalled_while_its_document_is_written_writes_it_whole(
    tmp_path: Path,
) -> None:
    _store(tmp_path / "r")
    process = _history_json(tmp_path)
    try:
        page = _held_in_its_write(process)
        for number in (signal.SIGTERM, signal.SIGINT):
            process.send_signal(number)
            time.sleep(0.3)
        out, err_bytes = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    err = err_bytes.decode()
    assert process.returncode == 0, err
    assert "Traceback" not in err, err
    entries = json.loads(out)  # one whole document
    assert len(out) > 2 * page and len(entries) == 60, out[-200:]
    assert "came while the list was written: it was written whole" in err, err


@pytest.mark.fault
@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_history_signalled_while_it_reads_the_reports_stops_with_one_line(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], number: int
) -> None:
    """A real signal while FaultyFS holds the read of a report in the store."""
    fs = faulty_fs()
    _store(fs.mountpoint, count=3)
    rule = fs.stall("read", path="*notes_001_*")
    argv = [OFFLOAD, "history", "--json", "--report-dir", str(fs.mountpoint)]
    done = signalled_at_stall(fs, rule, argv, number, cwd=tmp_path, timeout_s=30)
    out, err = done.stdout, done.stderr
    assert done.returncode == 130, err
    words = "Ctrl-C" if number == signal.SIGINT else "SIGTERM"
    assert err == f"ERROR: stopped by {words}: nothing listed\n", err
    assert out == "", out


@pytest.mark.fault
def test_history_names_a_stopped_run_stopped_and_a_cancelled_one_cancelled(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Two real ``offload copy`` runs into one report folder: one stopped by a real SIGTERM
    while its HTML report's creation is held (every copy verified: exit 130, its JSON
    restated "stopped"), one cancelled by a real Ctrl-C while a clip's write is held (exit
    130, copies cancelled). ``offload history`` calls the first "verified, then stopped"
    (its copies read back through FaultyFS: ", 3 through a cache") and the second
    "cancelled". Failed before: both "cancelled", though the first run's
    copies were all verified and nothing was cancelled. Without its ``totals.results`` the
    first is "stopped" and its copies' states unknown."""
    card = tmp_path / "A001"
    card.mkdir()
    for index in range(3):
        (card / f"C{index:03d}.mov").write_bytes(os.urandom(200_000))
    fs = faulty_fs()
    reports = fs.mountpoint / "reports"
    reports.mkdir()
    (fs.mountpoint / "one").mkdir()
    (fs.mountpoint / "two").mkdir()

    def run(stall: str, number: signal.Signals, dest: Path) -> subprocess.CompletedProcess[str]:
        held = fs.stall("create" if stall.endswith("*") else "write", path=stall, nth=1)
        argv = [OFFLOAD, "copy", "-q", "--report-dir", str(reports), str(card), str(dest)]
        done = signalled_at_stall(fs, held, argv, number, cwd=tmp_path)
        assert done.returncode == 130 and "Traceback" not in done.stderr, done.stderr
        return done

    run("*.html*", signal.SIGTERM, fs.mountpoint / "one")
    time.sleep(1.1)  # a second apart: the newest first
    run("two/*C001*", signal.SIGINT, fs.mountpoint / "two")

    def listed() -> list[dict[str, object]]:
        done = subprocess.run(
            [OFFLOAD, "history", "--json", "--report-dir", str(reports)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        entries: list[dict[str, object]] = json.loads(done.stdout)
        return entries

    entries = listed()
    assert [(e["result"], e["exit_code"]) for e in entries] == [
        ("cancelled", 130),
        ("verified, 3 through a cache, then stopped", 130),  # read back through FUSE
    ], entries
    # The stopped run's report without ``totals.results`` (as an earlier version's, or one
    # edited, may be): it gives no copy's state, so none is claimed, good or failed.
    # Failed before: "partly failed, then stopped".
    stopped = Path(str(entries[1]["report"]))
    data = json.loads(stopped.read_text())
    del data["totals"]["results"]
    stopped.write_text(json.dumps(data))
    assert [(e["result"], e["exit_code"]) for e in listed()] == [
        ("cancelled", 130),
        ("stopped, copies' states unknown (no totals.results)", 130),
    ]
