"""``pfndispatchcopy -v`` cancelled while a destination's write hangs: a real process in a
session of its own, a real SIGINT to its group, a FaultyFS destination whose write of the
copy is held until the test lets it go.

Before: nothing acknowledged the Ctrl-C, and ``INFO: copied 0 of N bytes`` went on each
second until the call returned. Now an ``INFO: cancelling`` line at once on stdout (where
the ``INFO:`` lines a host reads are), no progress line after it, and, once the cancel has
waited 5 s, the line saying which call it waits for and what ends it, on stderr (as
``offload copy`` says it).
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import PIPE
from typing import IO

import pytest

from tests.support.faultyfs import FaultyFS

PFN = str(Path(sys.executable).with_name("pfndispatchcopy"))
SIZE = 5_000_000


class _Lines:
    """The lines of *stream* as the process writes them, each with when it came."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[tuple[float, str]] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append((time.monotonic(), line))

    def first(self, words: str, timeout_s: float) -> float | None:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            for at, line in list(self.lines):
                if words in line:
                    return at
            time.sleep(0.05)
        return None

    def text(self) -> str:
        self._thread.join(timeout=30)
        return "".join(line for _, line in self.lines)


@pytest.mark.fault
def test_a_cancel_waiting_on_a_hung_destination_is_said_and_ends_the_progress(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    drive, disk = faulty_fs(), tmp_path / "disk"
    disk.mkdir()
    held = drive.stall("write", path="*clip.mov")
    target = drive.mountpoint / "clip.mov"
    process = subprocess.Popen(
        [PFN, "-v", str(source), str(disk / "clip.mov"), str(target)],
        stdout=PIPE,
        stderr=PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None and process.stderr is not None
    out, err = _Lines(process.stdout), _Lines(process.stderr)
    try:
        drive.wait_stalled(held, timeout_s=60)
        assert out.first("INFO: copied ", timeout_s=10) is not None  # the progress under way
        os.killpg(process.pid, signal.SIGINT)
        cancelling = out.first("INFO: cancelling (Ctrl-C)", timeout_s=3)
        waiting = err.first("cancelling: waiting for a call on", timeout_s=15)
        time.sleep(1.5)  # room for a progress line, had the clock gone on
        assert drive.fired(held) >= 1
    finally:
        drive.release()
    with process:
        process.wait(timeout=60)
        stdout, stderr = out.text(), " ".join(err.text().split())
    assert cancelling is not None, stdout + stderr
    assert waiting is not None, stdout + stderr
    later = [line for at, line in out.lines if at > cancelling and "INFO: copied" in line]
    assert later == [], stdout  # before: one each second until the call returned
    assert process.returncode == 130, stdout + stderr
    assert (
        f"cancelling: waiting for a call on {target} to return (none for 5 s: that drive may "
        "still be writing or flushing its cache" in stderr
    ), stderr
    assert "kill -9 ends the run only once that call returns" in stderr, stderr
    assert "Traceback" not in stderr, stderr


@pytest.mark.fault
def test_a_partial_a_lost_drive_left_is_removed_by_the_re_run(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """QA stop65: the FaultyFS drive's write held, its daemon SIGKILLed (the drive gone
    mid-copy: exit 1, ECONNABORTED), then mounted again: it holds the hidden
    ``.offload-partial.<id>.clip.mov``, and the re-run (exit 0) left it without a word.
    Now the re-run removes it and says so; another file's partial there (a stray too, but
    not this copy's to judge) and a live writer's (claimed) are kept. Failed before."""
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(SIZE))
    drive, disk = faulty_fs(), tmp_path / "disk"
    disk.mkdir()
    held = drive.stall("write", path="*clip.mov")
    targets = [str(disk / "clip.mov"), str(drive.mountpoint / "clip.mov")]
    process = subprocess.Popen([PFN, "-v", str(source), *targets], stdout=PIPE, stderr=PIPE)
    try:
        drive.wait_stalled(held, timeout_s=60)
    except BaseException:
        drive.release()
        raise
    drive.kill()  # the drive gone while its write is held
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    drive.remount()
    [left] = [p for p in drive.mountpoint.iterdir() if p.name.startswith(".offload-partial.")]
    other = drive.mountpoint / ".offload-partial.abcdef1.other.mov"
    other.write_bytes(b"another file's")
    live = drive.mountpoint / ".offload-partial.abcdef2.clip.mov"
    live.write_bytes(b"a live writer's")
    with live.open("rb") as claim:
        fcntl.flock(claim.fileno(), fcntl.LOCK_SH)  # as a live writer claims its partial
        again = subprocess.run(
            [PFN, str(source), *targets], capture_output=True, text=True, timeout=120
        )
        assert live.exists()  # claimed: a live writer's, never removed
    said = " ".join(again.stderr.split())
    assert again.returncode == 0, said
    assert not left.exists(), sorted(p.name for p in drive.mountpoint.iterdir())
    assert other.exists()  # another file's partial: not this copy's
    assert (
        f"WARNING: removed 1 partial file of {drive.mountpoint / 'clip.mov'} an interrupted "
        "copy left beside it" in said
    ), said
    assert (drive.mountpoint / "clip.mov").read_bytes() == source.read_bytes()
