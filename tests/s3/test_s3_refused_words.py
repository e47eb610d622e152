"""The S3 server down (its process killed: every later connection refused, ECONNREFUSED)
while an ``offload copy`` is under way: the lines name what happened, a connection
refused, never "(ENOTCONN)", whose words ("Transport endpoint is not connected") are not
what a refused connection is. Real parts: the suite's S3 server process of this test's
own, stopped for real while FaultyFS holds the card's read of the second clip."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from s3.conftest import new_bucket, start_server, stop_server
from support.faultyfs import FaultyFS


def test_a_server_killed_mid_copy_is_said_to_refuse_the_connection(  # type: ignore[no-untyped-def]
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Failed before: "the service cannot be reached (EndpointConnectionError) (ENOTCONN)"."""
    card_fs, dest = faulty_fs(direct_io=True), tmp_path / "dest"
    dest.mkdir()
    for name in ("C1.mov", "C2.mov"):
        (card_fs.mountpoint / name).write_bytes(os.urandom(1 << 16))
    server = start_server()
    try:
        url = f"s3://{new_bucket(server.url)}/day1"
        held = card_fs.stall("read", path="*C2.mov", times=1)
        argv = ["copy", "--report-dir", str(tmp_path / "r"), "--s3-endpoint", server.url]
        argv += [str(card_fs.mountpoint), str(dest), url]
        process = subprocess.Popen(
            [sys.executable, "-m", "offload.cli.offload", *argv],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "AWS_MAX_ATTEMPTS": "2"},  # few retries of a server gone
        )  # fmt: skip
        card_fs.wait_stalled(held, timeout_s=60)
    finally:
        stop_server(server)  # the server's process gone: nothing listens at its port
    card_fs.release(held)
    _, err = process.communicate(timeout=240)
    assert process.returncode == 1, err
    (lost,) = [
        line for line in err.splitlines() if line.startswith(f"ERROR: destination {url} lost")
    ]
    assert "the connection was refused" in lost and "(ECONNREFUSED)" in lost, lost
    assert "ENOTCONN" not in err and "not connected" not in err, err
    assert (dest / card_fs.mountpoint.name / "C2.mov").is_file()  # the local copy goes on
