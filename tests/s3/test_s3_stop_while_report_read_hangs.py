"""A second Ctrl-C while the report a bucket is sent is read back from a hung local report
folder stops the run at once (review of stop65, M3): a real ``offload copy`` in a session
of its own, a real S3 server process, a FaultyFS destination whose report's open (the
bytes read back for the bucket: ``StreamedFile.content``) is held until the test lets it
go, real SIGINTs to the process group.

Before, that read was made on the main thread: its first SIGINT stayed pending and the
kernel merged the others into it, so nothing was said while it hung and, once let go, the
run ended "went on to its end", exit 0. Now it is read on a worker (``job_report._content``)
and the put made on the main thread after it."""

from __future__ import annotations

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

from support.faultyfs import FaultyFS

OFFLOAD = str(Path(sys.executable).with_name("offload"))
STOPPING = "stopping: waiting for a call on"

pytestmark = pytest.mark.fault


def _card(root: Path) -> Path:
    folder = root / "card" / "DCIM"
    folder.mkdir(parents=True)
    for index in range(3):
        (folder / f"C{index}.MOV").write_bytes(bytes([index]) * 4096)
    return root / "card"


def test_a_stop_while_a_buckets_report_is_read_back_is_heard_at_once(  # type: ignore[no-untyped-def]
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], s3_server, bucket: str
) -> None:
    card = _card(tmp_path)
    drive = faulty_fs()
    held = drive.stall("open", path="*reports/*.json", nth=1, times=1)
    argv = [OFFLOAD, "copy", "-q", "--report-dir", str(tmp_path / "r")]
    process = subprocess.Popen(
        [
            *argv,
            "--s3-endpoint",
            s3_server.url,
            str(card),
            str(drive.mountpoint),
            f"s3://{bucket}/x",
        ],
        stdout=PIPE,
        stderr=PIPE,
        text=True,
        cwd=tmp_path,
        start_new_session=True,
    )
    lines: list[str] = []
    assert process.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        drive.wait_stalled_while_working(held, process, quiet_s=60.0)  # type: ignore[arg-type]
        for _ in range(3):
            os.killpg(process.pid, signal.SIGINT)
            time.sleep(0.5)
        end = time.monotonic() + 20
        while time.monotonic() < end and not any(STOPPING in line for line in lines):
            time.sleep(0.05)
        told = any(STOPPING in line for line in lines)
    finally:
        drive.release()
    with process:  # its pipes closed
        process.wait(timeout=60)
        reader.join(timeout=30)
    said = " ".join("".join(lines).split())
    assert told, said
    assert process.returncode == 130, said
    assert "went on to its end" not in said, said
    assert "Traceback" not in said and "Exception ignored" not in said, said
