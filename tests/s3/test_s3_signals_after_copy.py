"""Once every copy has its outcome, ``offload copy`` can still be stopped while its reports
hang (a stalled bucket): a SIGTERM, or a second Ctrl-C, ends it with one line and exit
130. The first Ctrl-C there is only recorded (nothing
is left to cancel). Real ``python -m offload`` processes, real signals, the real S3 test
server with the report's upload held by the fault proxy. Failed before: both signals were
held until the upload went on (only a kill -9 got out)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from s3.conftest import S3Server, admin
from support.tcpproxy import FaultProxy


def _card(root: Path) -> Path:
    card = root / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for index in range(3):
        (card / "CLIPS" / f"A001C00{index}.mov").write_bytes(os.urandom(100_000))
    return card


@contextlib.contextmanager
def _held_run(
    tmp_path: Path,
    bucket: str,
    proxy: FaultProxy,
    path: str = "/reports/",
    what: str = "the report's upload",
) -> Iterator[subprocess.Popen[str]]:
    """``offload copy`` of a small card to the bucket, running with the PUT of *path* held
    (*what*: by default its report's upload); on leaving, the upload let go and the process
    ended (killed if it still runs)."""
    card = _card(tmp_path)
    env = dict(os.environ, AWS_ENDPOINT_URL=proxy.url, OFFLOAD_NO_CODE_CACHE="1")
    proxy.hold("PUT", path)
    command = [sys.executable, "-m", "offload", "copy", "--quiet"]
    command += ["--report-dir", str(tmp_path / "r"), str(card), f"s3://{bucket}/day1"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proxy.held.wait(120), f"{what} was never held"
        yield process
    finally:
        proxy.release()
        if process.poll() is None:
            process.kill()


def _ended_within(process: subprocess.Popen[str], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return process.poll() is not None


@pytest.mark.timeout(240)
def test_a_sigterm_while_the_reports_hang_ends_the_process(
    s3_server: S3Server, bucket: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    with _held_run(tmp_path, bucket, proxy) as process:
        process.send_signal(signal.SIGTERM)
        assert _ended_within(process, 10), "SIGTERM was held while the reports hung"
    _out, err = process.communicate()
    # Stopped as by a second Ctrl-C (the JSON reports already written restated with exit
    # 130: tests/integration/test_manifest_truth.py), not killed: one line, exit 130.
    assert process.returncode == 130, err
    assert "stopped by SIGTERM while the reports were written" in err, err
    assert "Traceback" not in err, err


@pytest.mark.timeout(240)
def test_a_second_ctrl_c_while_the_reports_hang_stops_with_one_line(
    s3_server: S3Server, bucket: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    with _held_run(tmp_path, bucket, proxy) as process:
        process.send_signal(signal.SIGINT)
        assert not _ended_within(process, 2), "the first Ctrl-C after the copy is only recorded"
        process.send_signal(signal.SIGINT)
        assert _ended_within(process, 10), "a second Ctrl-C was held while the reports hung"
    _out, err = process.communicate()
    assert process.returncode == 130, err
    assert "stopped by a further Ctrl-C while the reports were written" in err, err
    assert "Traceback" not in err, err
    # Every copy stands: the objects are there whole, nothing of ours half-written.
    keys = {o["Key"] for o in admin(s3_server.url).list_objects_v2(Bucket=bucket)["Contents"]}
    assert {f"day1/A001/CLIPS/A001C00{i}.mov" for i in range(3)} <= keys


@pytest.mark.timeout(240)
def test_a_second_ctrl_c_while_the_chain_hangs_names_the_manifest_it_may_leave(
    s3_server: S3Server, bucket: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    """The chain's PUT held, then the service silent (the clean-up's DELETE held too): a
    second Ctrl-C ends the run within 10 s, exit 130, and a WARNING names the generation's
    manifest it may have left and the command that removes it. Failed before: the DELETE
    waited for the read timeout and its retries (60 s each), and nothing named it."""
    chain = "/ascmhl/ascmhl_chain.xml"
    with _held_run(tmp_path, bucket, proxy, chain, "the chain's upload") as process:
        proxy.hold("DELETE", "/ascmhl/")
        process.send_signal(signal.SIGINT)
        assert not _ended_within(process, 1), "the first Ctrl-C after the copy is only recorded"
        process.send_signal(signal.SIGINT)
        assert _ended_within(process, 10), "the clean-up held the second Ctrl-C"
    _out, err = process.communicate()
    assert process.returncode == 130, err
    said = " ".join(err.split())
    assert "may be left in the bucket" in said and "had not finished" in said, err
    assert (
        f"aws s3api delete-object --endpoint-url {proxy.url} --bucket {bucket} "
        f"--key day1/A001/ascmhl/0001_" in said
    ), err
    assert "Traceback" not in err, err
