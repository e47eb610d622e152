"""Signals in a command's last moments: while ``offload copy --json`` writes its refusal
line, and once its outcome is stated, up to the process's exit. Real ``offload`` processes,
real signals, a full pipe holding the write the signal must land in."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support.faultyfs import FaultyFS
from support.signal_pipes import drain, fill, full_pipe, writing

OFFLOAD = str(Path(sys.executable).with_name("offload"))


@pytest.mark.parametrize("number", ["SIGINT", "SIGTERM"])
def test_a_signal_while_the_json_refusal_line_is_written_keeps_it_whole(
    tmp_path: Path, number: str
) -> None:
    """``offload copy --json`` refused (its source missing, exit 64) and held writing its
    ``offload_refused`` line (stdout a full pipe) when a real signal comes: the line is
    written whole, the exit code is the one it gives, and one WARNING line names the signal.
    Failed before: a Ctrl-C there ended it on a KeyboardInterrupt traceback (exit 1, the line
    cut short), a SIGTERM killed it (-15)."""
    (tmp_path / "disk").mkdir()
    read, write = full_pipe()
    fill(read, write)
    process = subprocess.Popen(
        [OFFLOAD, "copy", "--json", str(tmp_path / "gone"), str(tmp_path / "disk")],
        stdout=write,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        writing(process, 1)
        process.send_signal(getattr(signal, number))
        time.sleep(0.3)
        out = drain(read, write, process)
        assert process.stderr is not None
        err = process.stderr.read().decode()
        process.stderr.close()
    finally:
        if process.poll() is None:
            process.kill()
    assert "Traceback" not in err, err
    [line] = [json.loads(text) for text in out.splitlines() if text.strip()]
    assert line["event"] == "offload_refused" and line["exit_code"] == 64, line
    assert process.returncode == 64, err
    words = "Ctrl-C" if number == "SIGINT" else "SIGTERM"
    assert f"WARNING: {words} came while the offload_refused line was written" in err, err


@pytest.mark.fault
def test_a_second_ctrl_c_while_the_cancel_line_is_written_keeps_it_whole(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``offload copy --json`` cancelled by a real Ctrl-C during its scan (FaultyFS holds
    the card's listing), then held writing its ``offload_refused`` line (stdout a full
    pipe) when a second Ctrl-C comes: the line is written whole, exit 130 as it says, the
    second Ctrl-C named in one line. Failed before: a KeyboardInterrupt traceback, exit 1,
    the line cut short."""
    card_fs = faulty_fs()
    card = card_fs.backing / "A001"
    card.mkdir()
    (card / "A001C001.mov").write_bytes(b"take")
    (tmp_path / "disk").mkdir()
    stall = card_fs.stall("readdir", path="A001")
    read, write = full_pipe()
    process = subprocess.Popen(
        [OFFLOAD, "copy", "--json", str(card_fs.mountpoint / "A001"), str(tmp_path / "disk")],
        stdout=write,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        card_fs.wait_stalled(stall, timeout_s=30)
        fill(read, write)
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
        card_fs.release(stall)
        writing(process, 1)
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)
        out = drain(read, write, process)
        assert process.stderr is not None
        err = process.stderr.read().decode()
        process.stderr.close()
    finally:
        card_fs.release()
        if process.poll() is None:
            process.kill()
    assert "Traceback" not in err, err
    [line] = [json.loads(text) for text in out.splitlines() if text.strip()]
    assert line["event"] == "offload_refused" and line["exit_code"] == 130, line
    assert process.returncode == 130, err
    assert "WARNING: Ctrl-C came while the offload_refused line was written" in err, err
