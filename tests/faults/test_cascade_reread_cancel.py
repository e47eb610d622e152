"""A cascade cancelled while it feeds its slow drive still checks its fast copies at its end
(``cascade._changed_since_verified``): one whose change time moved since it was verified is
read again whole there (``local_looked_again.found_at``), minutes on a large clip. The
job's cancel stops that read (asked before each of its reads): the copy is compared with
nothing, ``cancelled`` (never verified, nor failed: nothing found it bad), its ledger
entry revoked so the next run reads it back.

Real parts: the real CLI as a child process, a real SIGINT, the fast drive a folder on this
machine's disk (a filesystem that keeps inode numbers and change times, where the check
reads a copy whose change time moved), the slow drive a FaultyFS holding the cascade's
write of the clip until the signal is sent, a real ``chmod`` of the fast copy meanwhile.

Failed before: the cancelled run read the fast copy again whole, to its end, whatever
Ctrl-C came meanwhile (a further one while cancelling changes nothing), and kept it
verified."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.cascade import NOT_READ_AGAIN
from support.faultyfs import FaultyFS, signal_at_stalls

pytestmark = pytest.mark.fault

CLI = [sys.executable, "-m", "offload.cli.offload", "copy"]


def test_a_cancelled_cascade_does_not_read_a_moved_fast_copy_again_whole(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = tmp_path / "card"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(24 << 20))
    (card / "CLIPS" / "C002.mov").write_bytes(os.urandom(100_000))
    fast = tmp_path / "FAST"
    fast.mkdir()
    drive = faulty_fs()
    slow = drive.mountpoint / "SLOW"
    slow.mkdir()
    held = drive.stall("write", path="SLOW/*C001.mov*", offset=8 << 20)
    argv = ["--json", "--report-dir", str(tmp_path / "r"), str(card), str(fast)]
    process = subprocess.Popen(
        [*CLI, *argv, "--cascade-to", str(slow)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    copy = fast / "card" / "CLIPS" / "C001.mov"
    try:
        drive.wait_stalled_while_working(held, process)
        copy.chmod(0o600)  # its change time moves: the check at the end reads it again whole
        signal_at_stalls(drive, process, (held, (signal.SIGINT,)), pause_s=0.3, timeout_s=60)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    events = [json.loads(line) for line in out.splitlines()]
    (cut,) = [e for e in events if e["event"] == "file_cancelled" and e["destination_index"] == 0]
    assert cut["relative_path"] == "CLIPS/C001.mov" and NOT_READ_AGAIN in cut["message"], cut
    (warned,) = [
        e for e in events if e["event"] == "warning_issued" and NOT_READ_AGAIN in e["message"]
    ]
    assert warned["message"].startswith(f"the fast copy {copy} was cancelled and kept"), warned
    (job,) = [e for e in events if e["event"] == "job_report"]
    report = json.loads(Path(job["reports"][0]).read_text())
    (clip,) = [f for f in report["files"] if f["path"] == "CLIPS/C001.mov"]
    (on_fast,) = [d for d in clip["destinations"] if d["index"] == 0]
    assert on_fast["status"] == "cancelled", on_fast
    assert NOT_READ_AGAIN in on_fast["error"], on_fast
    ledger = (fast / "card" / ".offload" / "ledger.jsonl").read_text().splitlines()
    last = [json.loads(line) for line in ledger if '"CLIPS/C001.mov"' in line][-1]
    assert last["state"] == "revoked", last
