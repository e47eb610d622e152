"""The per-disk read-back gate under real faults (issue 14): two destinations in one FUSE
filesystem (one device) read back one at a time (``--device-concurrency serial``); the
first one's read-back is held in the filesystem while the second waits at the gate.

* a cancel while the second waits: it stops waiting at once (its partial is removed while
  the first is still held), and the job ends cancelled with nothing left behind;
* the first destination lost while holding the gate (its read-back fails with EIO): the
  gate is released and the second destination verifies its copy;
* without a gate (``auto`` on a FUSE filesystem, a device the kernel does not describe) the
  second destination verifies and publishes while the first one's read-back is held.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from faults.test_destination_faults import partials_under
from offload.engine.cancel import CancelToken
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.events import Event, PhaseChanged
from offload.model import SourceFile
from offload.options import CopyOptions, DeviceConcurrency
from offload.results import DestinationStatus, JobReport
from support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault

WAIT_S = 20.0


class WaitWatcher:
    """A sink that notes when a destination starts waiting at the gate ("wait" phase)."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.waiting = threading.Event()

    def emit(self, event: Event) -> None:
        if (
            isinstance(event, PhaseChanged)
            and event.destination_index == self.index
            and event.phase == "wait"
        ):
            self.waiting.set()


def start_job(
    tmp_path: Path,
    fs: FaultyFS,
    cancel: CancelToken,
    sink: WaitWatcher,
    mode: DeviceConcurrency = DeviceConcurrency.SERIAL,
) -> tuple[threading.Thread, list[JobReport], Path, Path]:
    source = tmp_path / "card" / "clip.mov"
    source.parent.mkdir()
    source.write_bytes(os.urandom(2 * 1024 * 1024))
    st = source.stat()
    file = SourceFile(source, "clip.mov", st.st_size, st.st_mtime_ns)
    a, b = fs.mountpoint / "a", fs.mountpoint / "b"
    a.mkdir()
    b.mkdir()
    job = CopyJob(
        [FileTask(file, (str(a / "clip.mov"), str(b / "clip.mov")))],
        [a, b],
        CopyOptions(device_concurrency=mode),
        sink=sink,
        cancel=cancel,
    )
    reports: list[JobReport] = []
    thread = threading.Thread(target=lambda: reports.append(job.run()))
    thread.start()
    return thread, reports, a, b


def hold_a_then_let_b_reach_the_gate(fs: FaultyFS, *, then_errno: int | None) -> tuple[str, str]:
    """A's read-back is held in the filesystem; B's flush is held until then, so B comes to
    the gate second."""
    held_read = fs.stall("read", path="a/*", then_errno=then_errno)
    held_sync = fs.stall("fsync", path="b/*")
    return held_read, held_sync


def test_cancel_while_a_read_back_waits_at_the_gate(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    fs = faulty_fs(direct_io=True)
    held_read, held_sync = hold_a_then_let_b_reach_the_gate(fs, then_errno=None)
    cancel, watcher = CancelToken(), WaitWatcher(1)
    thread, reports, a, b = start_job(tmp_path, fs, cancel, watcher)
    try:
        fs.wait_stalled(held_read, timeout_s=WAIT_S)  # A holds the gate
        fs.release(held_sync)
        assert watcher.waiting.wait(WAIT_S), "B never waited at the gate"
        cancel.cancel()
        # B stops waiting while A is still held: its partial goes first.
        for _ in range(200):
            if not partials_under(b):
                break
            threading.Event().wait(0.05)
        assert partials_under(b) == []
        assert fs.fired(held_read) == 1 and thread.is_alive()
    finally:
        fs.release()
        thread.join(WAIT_S)
    assert not thread.is_alive()
    report = reports[0]
    assert report.cancelled and int(report.exit_code) == 130
    assert [d.status for d in report.files[0].destinations] == [DestinationStatus.CANCELLED] * 2
    assert partials_under(a) == [] and not (a / "clip.mov").exists()
    assert not (b / "clip.mov").exists()


def test_a_destination_lost_while_holding_the_gate_releases_it(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    fs = faulty_fs(direct_io=True)
    held_read, held_sync = hold_a_then_let_b_reach_the_gate(fs, then_errno=errno.EIO)
    watcher = WaitWatcher(1)
    thread, reports, a, b = start_job(tmp_path, fs, CancelToken(), watcher)
    try:
        fs.wait_stalled(held_read, timeout_s=WAIT_S)
        fs.release(held_sync)
        assert watcher.waiting.wait(WAIT_S), "B never waited at the gate"
        fs.release(held_read)  # A's read-back now fails: A is lost, holding the gate
        thread.join(WAIT_S)
    finally:
        fs.release()
        thread.join(WAIT_S)
    assert not thread.is_alive()
    report = reports[0]
    lost, kept = report.files[0].destinations
    assert lost.status is DestinationStatus.FAILED and "read back" in (lost.error or "")
    assert report.destinations[0].lost
    assert kept.status is DestinationStatus.VERIFIED
    assert (b / "clip.mov").read_bytes() == (tmp_path / "card" / "clip.mov").read_bytes()
    assert partials_under(a) == []


def test_without_a_gate_a_destination_verifies_while_another_is_reading_back(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    fs = faulty_fs(direct_io=True)
    held_read, held_sync = hold_a_then_let_b_reach_the_gate(fs, then_errno=None)
    watcher = WaitWatcher(1)
    thread, reports, a, b = start_job(tmp_path, fs, CancelToken(), watcher, DeviceConcurrency.AUTO)
    try:
        fs.wait_stalled(held_read, timeout_s=WAIT_S)  # A reads back
        fs.release(held_sync)  # only now may B read back
        for _ in range(400):
            if (b / "clip.mov").exists():
                break
            threading.Event().wait(0.05)
        assert (b / "clip.mov").exists(), "B did not finish while A was reading back"
        assert thread.is_alive() and not watcher.waiting.is_set()
    finally:
        fs.release()
        thread.join(WAIT_S)
    assert not thread.is_alive()
    (group,) = reports[0].devices
    assert (group.kind, group.read_backs, group.destinations) == ("unknown", "parallel", (0, 1))
    assert int(reports[0].exit_code) == 0 and (a / "clip.mov").exists()
