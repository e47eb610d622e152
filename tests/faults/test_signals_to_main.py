"""The signals the commands handle (SIGINT, SIGTERM, SIGHUP) go to the main thread, never to
an engine thread held in a call on a hung drive: every thread a copy job makes (the reader,
each destination's writer, and what they make: committers, hashers, the re-read's) is made
with them blocked (``interruptible.signals_to_main``). A real ``offload copy`` process, its
card's read of a clip held by FaultyFS, its threads' masks read from ``/proc``, then two
real SIGINTs.

Where the kernel gave a signal to a thread held in a call, the filesystem was sent an
interrupt; one that answers it with EINTR (CIFS, NFS; FaultyFS and an ext4 or FUSE card's
page-cache read do not: their waits are killable only) fails a call Python does not retry
(``fs.ops``' ``ctypes`` calls), the file then "failed" where it was cancelled."""

from __future__ import annotations

import json
import platform
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.faultyfs import FaultyFS, signal_at_stalls

pytestmark = pytest.mark.fault

OFFLOAD = str(Path(sys.executable).with_name("offload"))
HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: The system calls that read a file (read, pread64, readv, preadv, preadv2), by machine.
READS = {"x86_64": {0, 17, 19, 295, 327}, "aarch64": {63, 67, 65, 69, 286}}


def _threads(pid: int) -> dict[int, tuple[int, bool]]:
    """Each thread of *pid* but the main one: its blocked signals (a mask) and whether it
    is in a call that reads a file."""
    threads = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        if int(task.name) == pid:
            continue
        status = dict(line.split(":\t", 1) for line in (task / "status").read_text().splitlines())
        call = (task / "syscall").read_text().split()[0]
        reading = call.isdigit() and int(call) in READS[platform.machine()]
        threads[int(task.name)] = (int(status["SigBlk"], 16), reading)
    return threads


@pytest.mark.skipif(platform.machine() not in READS, reason="read calls known for x86_64, aarch64")
def test_the_thread_held_in_a_hung_card_read_never_takes_a_signal(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Failed before: no thread but the main one blocked any of them (SigBlk 0), the one
    held in the card's read included. The two SIGINTs then cancel the run (exit 130), its
    files cancelled, none failed."""
    card = faulty_fs()
    clips = card.mountpoint / "CLIPS"
    clips.mkdir()
    for name in ("C001.mov", "C002.mov"):
        (clips / name).write_bytes(b"x" * (3 << 20))
    held = card.stall("read", path="CLIPS/C002.mov", offset=2 << 20)
    dests = [tmp_path / "d1", tmp_path / "d2"]
    for dest in dests:
        dest.mkdir()
    process = subprocess.Popen(
        [OFFLOAD, "copy", "--json", "--report-dir", str(tmp_path / "r"), str(card.mountpoint)]
        + [str(dest) for dest in dests],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        card.wait_stalled(held, timeout_s=30)
        threads = _threads(process.pid)
    except BaseException:
        card.release()
        process.kill()
        raise
    signal_at_stalls(card, process, (held, (signal.SIGINT, signal.SIGINT)), pause_s=0.3)
    out, err = process.communicate(timeout=60)
    in_the_card = [mask for mask, reading in threads.values() if reading]
    assert len(in_the_card) == 1, threads  # the thread held in the read
    engine = [mask for mask, _reading in threads.values() if mask]
    assert len(engine) >= 3, threads  # the reader, the two writers, and what they made
    for mask in in_the_card + engine:
        assert all(mask >> (number - 1) & 1 for number in HANDLED), threads
    assert process.returncode == 130, out + err
    (job,) = [json.loads(line) for line in out.splitlines() if '"job_report"' in line]
    assert job["totals"]["results"]["failed"] == 0, job["totals"]
    assert job["totals"]["results"]["cancelled"] > 0, job["totals"]
