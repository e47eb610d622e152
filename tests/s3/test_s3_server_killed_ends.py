"""The S3 server killed for good mid-run, never restarted, with objects of the run stored and
waiting for their read-back: the run ends soon after the bucket is lost (its local copy
verified, exit 1), and what it meant to delete there is named as left in the bucket, said as
not sent. Before, each read-back's GET was retried 9 times over botocore's own 9 attempts
(12-24 s each) and each of those objects' deletes waited its 12-24 s of retries in turn: the
run held for many minutes, printing nothing. Real parts: the suite's S3 server process of
this test's own, killed for real; the fault proxy in front of it holds the read-backs (so
objects are stored and not yet read back when it dies) and then goes too, so that every
later connection is refused as by the dead server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from s3.conftest import admin, new_bucket, start_server, stop_server
from support.tcpproxy import FaultProxy

FILES = 24


def test_a_server_killed_for_good_ends_the_run_soon(tmp_path: Path) -> None:
    card, dest = tmp_path / "A002R1AB", tmp_path / "dest"
    (card / "CLIPS").mkdir(parents=True)
    dest.mkdir()
    for n in range(FILES):
        (card / "CLIPS" / f"F{n:03d}.dat").write_bytes(os.urandom(16384))
    server = start_server()
    proxy = FaultProxy(server.port)
    process: subprocess.Popen[str] | None = None
    try:
        bucket = new_bucket(server.url)
        url = f"s3://{bucket}/s7"
        proxy.hold("GET", "/CLIPS/")  # every clip's read-back waits
        argv = ["copy", "--json", "--report-dir", str(tmp_path / "r"), "--s3-endpoint"]
        argv += [proxy.url, str(card), str(dest), url]
        process = subprocess.Popen(
            [sys.executable, "-m", "offload.cli.offload", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip  (the default 9 attempts a request: the documented 12-24 s)
        assert proxy.held.wait(90), "no read-back came"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            listed = admin(server.url).list_objects_v2(Bucket=bucket, Prefix="s7/A002R1AB/CLIPS/")
            if listed.get("KeyCount", 0) >= 4:
                break
            time.sleep(0.1)
    finally:
        stop_server(server)  # killed: gone for good
        proxy.go_down()  # and nothing listens at the address the run knows either
    assert process is not None
    try:
        # Not a timing test: before, this run held for many minutes (each of its stored
        # objects' deletes waiting 12-24 s of retries); a bounded run ends well within this.
        out, err = process.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("the run did not end within 150 s of the server's death")
    assert process.returncode == 1, err
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    (lost,) = [e for e in events if e["event"] == "destination_lost"]
    assert "the connection was refused" in json.dumps(lost), lost
    report = json.loads(Path(events[-1]["reports"][0]).read_text())
    local = {d["status"] for f in report["files"] for d in f["destinations"] if d["index"] == 0}
    assert local == {"verified"}, local  # the local copy's result is untouched
    assert all((dest / card.name / "CLIPS" / f"F{n:03d}.dat").is_file() for n in range(FILES))
    # Nothing said deleted: each object it meant to delete is named as left, not sent.
    left = events[-1]["left_behind"]
    assert left, events[-1]
    said = json.dumps(left)
    assert "not sent" in said and "CLIPS/F0" in said, said
