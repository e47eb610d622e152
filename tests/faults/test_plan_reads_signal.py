"""Planning's whole read of an earlier take's copy in the way (``card._earlier_intact``: a
card file of another size now, the copy there as this copy root's ledger recorded it) is
said as it is made, and a Ctrl-C during it stops the run. A real ``offload copy`` process,
its read of that copy held by FaultyFS mid-file, then a real SIGINT; the read is let go
after the signal, so only the handling of the signal ends the run before the plan's end
(the copy read whole, then the run's own refusal of the file in the way: exit 1).

Failed before: nothing was said of the read (a DIT saw no line for as long as it lasted,
an hour on a large clip of a slow drive)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.faultyfs import FaultyFS, signal_at_stalls

pytestmark = pytest.mark.fault

CLI = [sys.executable, "-m", "offload.cli.offload", "copy"]


def _earlier_take_in_the_way(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> tuple[Path, FaultyFS]:
    """A card offloaded once onto a FaultyFS drive, then one of its clips grown (another
    take at its name): its copy there is an earlier offload's, of another size."""
    card = tmp_path / "card"
    (card / "CLIPS").mkdir(parents=True)
    for name in ("C002.mov", "C003.mov"):
        (card / "CLIPS" / name).write_bytes(os.urandom(100_000))
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(24 << 20))
    drive = faulty_fs()
    first = subprocess.run(
        [*CLI, "-q", "--report-dir", str(tmp_path / "r"), str(card), str(drive.mountpoint)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr
    with open(card / "CLIPS" / "C001.mov", "ab") as clip:
        clip.write(b"another take")
    return card, drive


def _ctrl_c_at_the_read(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], *options: str
) -> tuple[FaultyFS, int | None, str, str]:
    """``offload copy *options`` of ``_earlier_take_in_the_way``'s card to its drive (a
    child process, 300 columns wide, its reports in tmp_path/r2), a SIGINT sent while the
    drive holds planning's read of the earlier copy of C001.mov mid-file: the drive, the
    exit code, stdout and stderr."""
    card, drive = _earlier_take_in_the_way(tmp_path, faulty_fs)
    held = drive.stall("read", path="card/CLIPS/C001.mov", offset=8 << 20)
    process = subprocess.Popen(
        [*CLI, *options, "--report-dir", str(tmp_path / "r2"), str(card), str(drive.mountpoint)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
    )
    try:
        signal_at_stalls(drive, process, (held, (signal.SIGINT,)), pause_s=0.3, timeout_s=60)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return drive, process.returncode, out, err


@pytest.mark.parametrize("quiet", [False, True], ids=["said", "quiet"])
def test_a_ctrl_c_while_planning_reads_an_earlier_copy_stops_the_run(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], quiet: bool
) -> None:
    drive, code, out, err = _ctrl_c_at_the_read(tmp_path, faulty_fs, *(["-q"] if quiet else []))
    assert code == 130, err
    said = [line for line in err.splitlines() if line.startswith("reading back ")]
    assert out == "", out
    if quiet:
        assert said == [], err
    else:
        (line,) = said
        assert str(drive.mountpoint / "card" / "CLIPS" / "C001.mov") in line, line
        assert "(25.2 MB)" in line, line
        assert "Ctrl-C stops the run within a moment, between two reads of the copy" in line
    assert "cancelled" in err and "nothing was copied" in err, err
    assert "verified" not in err.lower(), err  # nothing claimed of the copy read in part
    assert not (tmp_path / "r2").exists() or not list((tmp_path / "r2").glob("*.json"))


def test_a_json_run_says_the_read_as_a_plan_reading_line_then_its_cancel(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``--json``: the read is a ``plan_reading`` line on stdout (before ``offload_planned``:
    the stream's progress lines come once the plan is made), the Ctrl-C's outcome the
    stream's ``offload_refused`` line, exit code 130; nothing on stderr but its ERROR."""
    drive, code, out, err = _ctrl_c_at_the_read(tmp_path, faulty_fs, "--json")
    assert code == 130, err
    reading, refused = [json.loads(line) for line in out.splitlines()]
    copy = drive.mountpoint / "card" / "CLIPS" / "C001.mov"
    assert reading["event"] == "plan_reading" and reading["path"] == str(copy), reading
    assert reading["started"] is True and reading["size_bytes"] == (24 << 20), reading
    assert (reading["bytes_done"], reading["bytes_total"]) == (0, 24 << 20), reading
    assert refused["event"] == "offload_refused" and refused["exit_code"] == 130, refused
    assert not any(line.startswith("reading back ") for line in err.splitlines()), err
