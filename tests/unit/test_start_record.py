"""What ``offload history`` says of a start record (``report/started.py``) whose run it
cannot watch end: another host's (a shared report folder), one of this machine from before
its last boot (a power cut), one whose process cannot be told apart and whose copy root's
lock is held or free (real ``flock``s), and a torn record. Records are real files written by
``write_start_record``; the test's own process and locks stand for a live run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from offload.cli.history_cmd import read_history
from offload.lock import lock_copy_roots, process_space
from offload.report.started import (
    RUNNING,
    STARTED_FOLDER,
    UNFINISHED,
    UNKNOWN,
    boot_time,
    liveness,
    machine_id,
    remove_start_record,
    start_record,
    write_start_record,
)


def _record(tmp_path: Path, run: str = "abcdef-1", **changed: object) -> dict[str, object]:
    record = start_record(
        source=str(tmp_path / "A001"),
        destinations=[str(tmp_path / "RAID")],
        copy_roots=[str(tmp_path / "RAID" / "A001")],
        started=time.time(),
        run=run,
        report="A001_2026-12-07_010203Z",
    )
    record.update(changed)
    return record


def test_another_host_s_record_is_not_known_to_have_finished(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    path, problem = write_start_record(
        reports, _record(tmp_path, host="cart-2", pid_space="x/1", pid=os.getpid())
    )
    assert problem == "" and path is not None
    [entry] = read_history(reports)
    assert entry.kind == "started" and entry.state == UNKNOWN, entry
    assert entry.result == "started on cart-2, not known to have finished", entry
    assert entry.reason is not None and "offload verify" in entry.reason
    assert "verified" not in entry.result


def test_this_machine_s_record_from_before_its_boot_is_unfinished(tmp_path: Path) -> None:
    """A power cut: the same host name and machine id, another boot. Never where the
    machine id is not this machine's (two carts of one default host name)."""
    if not machine_id() or not process_space():
        pytest.skip("no machine id or process space to tell a boot by here")
    booted = boot_time()
    if booted is None:
        pytest.skip("no boot time to tell a boot by here")
    earlier = f"00000000-0000-0000-0000-000000000000/{process_space().partition('/')[2]}"
    record = _record(
        tmp_path, pid=os.getpid(), pid_space=earlier, pid_start="", started_unix=booted - 60
    )
    assert liveness(record) == UNFINISHED
    assert liveness({**record, "machine": "another-machine"}) == UNKNOWN
    assert liveness({**record, "host": "cart-2"}) == UNKNOWN


def test_a_cloned_machine_s_run_since_this_boot_is_not_known_to_have_finished(
    tmp_path: Path,
) -> None:
    """A cloned cart image: the same host name and machine id, another boot id, its run
    started after this machine booted (a shared report folder): not proved over (before:
    ``unfinished``, a live run on the other cart told to be run again)."""
    if not machine_id() or not process_space() or boot_time() is None:
        pytest.skip("no machine id, process space or boot time to tell a boot by here")
    clone = f"11111111-1111-1111-1111-111111111111/{process_space().partition('/')[2]}"
    record = _record(tmp_path, pid=os.getpid(), pid_space=clone, pid_start="")
    assert liveness(record) == UNKNOWN


def test_a_live_pid_without_its_start_is_told_by_its_copy_root_s_lock(tmp_path: Path) -> None:
    """Its pid runs, its start not recorded (no comparing it): running while its copy root's
    lock is held by a body naming its run; once that lock is free, not known (never
    unfinished: a run releases its locks before it writes its reports)."""
    root = tmp_path / "RAID" / "A001"
    with lock_copy_roots([root], source=str(tmp_path / "A001")) as locks:
        record = _record(tmp_path, run=locks.run, pid=os.getpid(), pid_start="")
        assert liveness(record) == RUNNING
        assert liveness({**record, "run": "another-1"}) == UNKNOWN  # held by another run
    assert liveness(record) == UNKNOWN


def test_a_dead_pid_is_unfinished_and_the_record_s_removal_takes_its_empty_folder(
    tmp_path: Path,
) -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    reports = tmp_path / "reports"
    record = _record(tmp_path, pid=int(done.stdout))
    path, _ = write_start_record(reports, record)
    assert path is not None
    [entry] = read_history(reports)
    assert entry.state == UNFINISHED and entry.result == "unfinished", entry
    assert entry.reason is not None and "run the same offload copy again" in entry.reason
    other = write_start_record(reports, _record(tmp_path, run="x-2", pid=int(done.stdout)))
    assert other[0] is not None
    assert remove_start_record(path) == ""
    assert [p.name for p in (reports / STARTED_FOLDER).iterdir()] == ["x-2.json"]  # kept
    assert remove_start_record(other[0]) == ""
    # No empty folder left where tools read every entry of a report folder as a report.
    assert not (reports / STARTED_FOLDER).exists()
    assert read_history(reports) == []


def test_a_torn_start_record_is_one_line_naming_it(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    path, _ = write_start_record(reports, _record(tmp_path))
    assert path is not None
    path.write_bytes(path.read_bytes()[:40])  # cut short
    listed = subprocess.run(
        [sys.executable, "-m", "offload.cli.offload", "history", "--report-dir", str(reports)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "250"},
    )
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr
    [why] = [line for line in listed.stdout.splitlines() if line.startswith("why")]
    assert f"cannot read {path}" in why, listed.stdout
