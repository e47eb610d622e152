"""What a stop says of a cascade stopped once its copies were over: the stage it came in.

A cascade's copy jobs over, it checks its fast copies (each still there as verified) and
takes back the mark it left on their drives (``cascade_unsettled``), then writes the slow
destinations' manifests. A second Ctrl-C while it checks the fast copies stops the run
(exit 130): the line names that stage, not "while the manifests were written" (said
before, though no manifest step had begun: the fast destinations' were written, the slow
ones' not yet).

A Ctrl-C there cancels nothing, a slow drive on fusefat too where none of its copies is
to be read again after the renames (every one verified earlier): the live view never says
CANCELLING for it.

Real parts: the real CLI as a child process (on a pty for the live view), real SIGINTs, a
real FAT image through fusefat, a FaultyFS holding the drive's ``unlink`` of that mark (the
one call the check makes there and no other step does) until each signal is sent."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.cards import three_clip_card
from support.faultyfs import FaultyFS, signal_at_stalls

pytestmark = pytest.mark.fault

OFFLOAD = str(Path(sys.executable).with_name("offload"))


def test_a_second_ctrl_c_while_the_cascade_checks_the_fast_copies_names_that_stage(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Two fast destinations on a FaultyFS, a slow folder: the first Ctrl-C comes as the
    check takes the mark back on the first (cancelling nothing), the second as it does on
    the second: the run stops, exit 130, its line naming the check of the fast copies, and
    the same command run again (without a signal) finishes it: exit 0, the slow copy's
    manifest written. Failed before: "stopped by a further Ctrl-C while the manifests were
    written"."""
    card = three_clip_card(cards)
    fs = faulty_fs()
    fast = [fs.mountpoint / "F1", fs.mountpoint / "F2"]
    for folder in fast:
        folder.mkdir()
    slow, reports = tmp_path / "SLOW", tmp_path / "reports"
    slow.mkdir()
    mark = f"{card.name}/.offload/cascade-unsettled.json"
    held = [fs.stall("unlink", path=f"{f.name}/{mark}") for f in fast]
    argv = ["copy", "--report-dir", str(reports), str(card), *map(str, fast)]
    argv += ["--cascade-to", str(slow)]
    with subprocess.Popen(
        [OFFLOAD, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        signal_at_stalls(
            fs, process, (held[0], [signal.SIGINT]), (held[1], [signal.SIGINT]), pause_s=0.3
        )
        _out, err = process.communicate(timeout=120)
    said = " ".join(err.split())
    assert process.returncode == 130, err
    assert "Traceback" not in err, err
    assert "while the manifests were written" not in said, said
    assert (
        "ERROR: stopped by a further Ctrl-C while the cascade checked the fast copies, the "
        "copy over: the slow destinations' manifests and the reports are missing; run the "
        "same command again to write them"
    ) in said, said
    assert not (slow / card.name / "ascmhl").exists() or not any(
        p.name.endswith(".mhl") for p in (slow / card.name / "ascmhl").iterdir()
    )
    fs.clear()
    again = subprocess.run([OFFLOAD, *argv], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert any(p.name.endswith(".mhl") for p in (slow / card.name / "ascmhl").iterdir())


def test_a_ctrl_c_that_cancels_nothing_on_a_fusefat_slow_drive_is_never_shown_cancelling(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS], fusefat_mount: Any
) -> None:
    """The same cascade run again, its slow drive on fusefat (a real FAT image), every copy
    there verified earlier: fusefat's re-read after the renames has nothing to read, so a
    Ctrl-C while the cascade checks the fast copies cancels nothing (the run ends exit 0,
    "nothing cancelled"). On a terminal, the frames drawn after it never say CANCELLING.
    Failed before: the cascade said its copy over only after that re-read, whatever it had
    to read, so the view said "CANCELLING · 3/3 files" for a run that then cancelled
    nothing. The Ctrl-C is sent while FaultyFS holds the unlink of the first fast drive's
    cascade mark; the frames are read while it holds the second's."""
    card = three_clip_card(cards)
    fs = faulty_fs()
    fast = [fs.mountpoint / "F1", fs.mountpoint / "F2"]
    for folder in fast:
        folder.mkdir()
    fat = fusefat_mount(32 << 20)
    reports = tmp_path / "reports"
    argv = ["copy", "--report-dir", str(reports), str(card), *map(str, fast)]
    argv += ["--cascade-to", str(fat.path)]
    first = subprocess.run([OFFLOAD, *argv], capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    mark = f"{card.name}/.offload/cascade-unsettled.json"
    held = [fs.stall("unlink", path=f"{f.name}/{mark}") for f in fast]
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 100, 160, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env["TERM"] = "xterm-256color"
    output = bytearray()
    after_ctrl_c = 0  # where the output after the Ctrl-C starts

    def read() -> None:
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the command's end is closed
                return
            if not chunk:
                return
            output.extend(chunk)

    process = subprocess.Popen(
        [OFFLOAD, *argv], stdin=secondary, stdout=secondary, stderr=secondary, env=env
    )
    os.close(secondary)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        fs.wait_stalled_while_working(held[0], process)
        after_ctrl_c = len(output)
        process.send_signal(signal.SIGINT)
        fs.release(held[0])
        fs.wait_stalled_while_working(held[1], process)
        # The Ctrl-C was taken (the run went on to the second drive): the view draws a
        # frame every 0.1 s meanwhile; one saying what the Ctrl-C did is awaited.
        deadline = time.monotonic() + 60
        said = (b"CANCELLING", b"nothing cancelled")
        while not any(w in output[after_ctrl_c:] for w in said):
            assert time.monotonic() < deadline, bytes(output[after_ctrl_c:])
            time.sleep(0.05)
        fs.release(held[1])
        code = process.wait(timeout=120)
    finally:
        fs.release()
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=10)
        os.close(primary)
    text = bytes(output).decode(errors="replace")
    assert code == 0, text
    assert b"CANCELLING" not in output[after_ctrl_c:], text
    assert b"CANCELLED" not in output, text
    assert "Ctrl-C after every copy finished: nothing cancelled" in text, text
