"""A second Ctrl-C, or a SIGTERM, once every copy has finished stops the run at once while
a destination's report call hangs, as it does while a manifest call hangs (README, exit
130): a real ``offload copy`` in a session of its own, real signals to its process group,
a FaultyFS destination whose report file's create is held until the test lets it go.

Before, the reports were written on the main thread: held in that FUSE call, its first
signal stayed pending and the kernel merged the others into it (standard signals do not
queue), so three Ctrl-Cs were one, only recorded once the call returned: nothing said
meanwhile, "Ctrl-C came while the reports were written ... went on to its end", exit 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import PIPE

import pytest

from tests.support.faultyfs import FaultyFS
from tests.support.terminal import run_on_terminal

OFFLOAD = str(Path(sys.executable).with_name("offload"))
STOPPING = "stopping: waiting for a call on"
STOPPED = "while the reports were written, the copy over"


def _card(root: Path) -> Path:
    folder = root / "card" / "DCIM"
    folder.mkdir(parents=True)
    for index in range(5):
        (folder / f"C{index}.MOV").write_bytes(bytes([index]) * 4096)
    return root / "card"


class _Lines:
    """The lines of *stream*, read on a thread of its own as the process writes them."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.append(line)

    def wait_for(self, words: str, timeout_s: float) -> bool:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if any(words in line for line in self.lines):
                return True
            time.sleep(0.05)
        return False

    def text(self) -> str:
        self._thread.join(timeout=30)
        return "".join(self.lines)


@pytest.mark.fault
@pytest.mark.parametrize(
    ("signals", "by"),
    [
        ([signal.SIGINT] * 3, "a further Ctrl-C"),
        ([signal.SIGTERM], "SIGTERM"),
    ],
    ids=["three-ctrl-c", "sigterm"],
)
def test_a_stop_while_a_report_call_hangs_is_heard_at_once(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], signals: list[int], by: str
) -> None:
    card = _card(tmp_path)
    drive, other, local = faulty_fs(), tmp_path / "disk", tmp_path / "r"
    other.mkdir()
    held = drive.stall("create", path="*reports/*", nth=1, times=1)
    argv = [OFFLOAD, "copy", "-q", "--report-dir", str(local), str(card)]
    process = subprocess.Popen(
        [*argv, str(drive.mountpoint), str(other)],
        stdout=PIPE,
        stderr=PIPE,
        text=True,
        cwd=tmp_path,
        start_new_session=True,
    )
    err = _Lines(process.stderr)
    try:
        drive.wait_stalled(held, timeout_s=60)
        for number in signals:
            os.killpg(process.pid, number)
            time.sleep(0.5)
        # Said while the call is still held (before: nothing until it returned).
        told = err.wait_for(STOPPING, timeout_s=20)
        assert drive.fired(held) == 1  # the one create held; still held: nothing let it go
    finally:
        drive.release()
    with process:  # its pipes closed; stderr is the reader's (``communicate`` takes some)
        process.wait(timeout=60)
        assert process.stdout is not None
        out = process.stdout.read()
        said = " ".join(err.text().split())
    assert told, said
    assert process.returncode == 130, out + said
    assert f"{STOPPING} {drive.mountpoint / 'card' / '.offload' / 'reports'} to return" in said
    assert f"stopped by {by} {STOPPED}" in said, said
    assert "went on to its end" not in said, said
    assert "Traceback" not in said and "Exception ignored" not in said, said
    # Nothing half-written under a final name; what was written says the stop (exit 130).
    for folder in (drive.mountpoint / "card" / ".offload" / "reports", local):
        for path in folder.glob("*.json") if folder.is_dir() else ():
            assert json.loads(path.read_text())["exit_code"] == 130, path


@pytest.mark.fault
def test_a_stop_while_a_report_call_hangs_says_so_on_its_view(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """On a terminal: while the report's create hangs, the first Ctrl-C is shown as
    nothing cancelled, the second stops the run, the view says STOPPING and the line what
    it waits for (before: "writing the reports…" until the call returned, then exit 0).
    The stall is let go only once the line is shown."""
    card = _card(tmp_path)
    drive, other = faulty_fs(), tmp_path / "disk"
    other.mkdir()
    held = drive.stall("create", path="*reports/*", nth=1, times=1)

    def released(index: int) -> None:
        if index == 0:
            drive.wait_stalled(held, timeout_s=60)  # the second Ctrl-C lands in the held call
        if index == 2:
            drive.release()

    try:
        run = run_on_terminal(
            "copy",
            "--report-dir",
            tmp_path / "r",
            card,
            drive.mountpoint,
            other,
            interrupt_after=["writing the reports", "Ctrl-C after every copy finished", STOPPING],
            after_interrupt=released,
            timeout_s=120,
        )
    finally:
        drive.release()
    raw = " ".join(run.raw.decode(errors="replace").split())
    assert run.returncode == 130, run.text
    assert "STOPPING" in raw, run.text
    assert f"{STOPPING} {drive.mountpoint / 'card' / '.offload' / 'reports'} to return" in raw
    assert run.shows(f"stopped by a further Ctrl-C {STOPPED}"), run.text
    assert "Traceback" not in raw, run.text
