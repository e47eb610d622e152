"""Signals in a command's last moments: while ``offload copy --json`` writes its refusal
line, and once its outcome is stated, up to the process's exit. Real ``offload`` processes,
real signals, a full pipe holding the write the signal must land in."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

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
