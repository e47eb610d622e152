"""What a stop says of a cascade stopped once its copies were over: the stage it came in.

A cascade's copy jobs over, it checks its fast copies (each still there as verified) and
takes back the mark it left on their drives (``cascade_unsettled``), then writes the slow
destinations' manifests. A second Ctrl-C while it checks the fast copies stops the run
(exit 130): the line names that stage, not "while the manifests were written" (said
before, though no manifest step had begun: the fast destinations' were written, the slow
ones' not yet).

Real parts: the real CLI as a child process, real SIGINTs, a FaultyFS holding the drive's
``unlink`` of that mark (the one call the check makes there and no other step does) until
each signal is sent."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

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
