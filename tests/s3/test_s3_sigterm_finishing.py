"""A SIGTERM while ``offload copy`` stores its manifests in the bucket (every object written
and read back) is recorded, as a first Ctrl-C is (the run goes on to its end); a second one
stops the run as a second Ctrl-C does, and cleans up as that path does. Real ``python -m
offload`` processes, real signals, the real S3 test server behind the fault proxy holding
the chain's PUT (and, the service then silent, every DELETE)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
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


def _keys(server: S3Server, bucket: str) -> list[str]:
    listed = admin(server.url).list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(o["Key"] for o in listed)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("service", ["answering", "silent"])
def test_a_second_sigterm_while_the_manifests_are_stored_cleans_up_as_a_second_ctrl_c(
    s3_server: S3Server, bucket: str, proxy: FaultProxy, tmp_path: Path, service: str
) -> None:
    """Answering: exit 130, the generation's manifest and the lock deleted, no upload left;
    the copies stand. Silent (every DELETE held): ended within the clean-up's budget, a
    WARNING naming the manifest and the lock it may leave and how the next run treats the
    lock; the same command again (the service back) takes the lock over and completes.
    Failed before (silent): the lock's delete held the stopped run for its read timeout and
    retries (not ended within 20 s), and nothing named the lock."""
    card = _card(tmp_path)
    env = dict(os.environ, AWS_ENDPOINT_URL=proxy.url, OFFLOAD_NO_CODE_CACHE="1")
    proxy.hold("PUT", "/ascmhl/ascmhl_chain.xml")
    command = [sys.executable, "-m", "offload", "copy", "--quiet"]
    command += ["--report-dir", str(tmp_path / "r"), str(card), f"s3://{bucket}/day1"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        assert proxy.held.wait(120), "the chain's upload was never held"
        if service == "silent":
            proxy.hold("DELETE", "/")
        process.send_signal(signal.SIGTERM)  # recorded (qafix68): the run would go on
        time.sleep(0.3)  # handled apart from the next (two pending SIGTERMs are one)
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=20)
    finally:
        proxy.release()
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    assert "stopped by SIGTERM while the manifests were written" in err, err
    assert "Traceback" not in err, err
    clips = [f"day1/A001/CLIPS/A001C00{i}.mov" for i in range(3)]
    uploads = admin(s3_server.url).list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert uploads == []
    if service == "answering":
        keys = _keys(s3_server, bucket)
        assert [k for k in keys if "/ascmhl/" in k or k.endswith("/.offload/lock")] == [], keys
        assert set(clips) <= set(keys), keys
        return
    said = " ".join(err.split())
    assert "--key day1/A001/ascmhl/0001_" in said, err
    assert "the lock of s3://" in said and "the next offload into it takes it over" in said, err
    time.sleep(1)  # the held DELETEs, let go, may still land
    again = subprocess.run(
        command,
        env=dict(env, AWS_ENDPOINT_URL=s3_server.url),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    keys = _keys(s3_server, bucket)
    assert set(clips) <= set(keys) and "day1/A001/ascmhl/ascmhl_chain.xml" in keys, keys
    assert "day1/A001/.offload/lock" not in keys, keys


@pytest.mark.timeout(240)
def test_a_first_sigterm_while_the_manifests_are_stored_lets_the_run_end(
    s3_server: S3Server, bucket: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    """One SIGTERM while the chain's PUT is held, then the service answers: exit 0, the
    manifests stored, the local report written with the signal in its notes, the copy root's
    record settled (its lock gone). Failed before: exit 130, no report, the record
    ``running``."""
    card = _card(tmp_path)
    env = dict(os.environ, AWS_ENDPOINT_URL=proxy.url, OFFLOAD_NO_CODE_CACHE="1")
    proxy.hold("PUT", "/ascmhl/ascmhl_chain.xml")
    reports = tmp_path / "r"
    command = [sys.executable, "-m", "offload", "copy", "--quiet"]
    command += ["--report-dir", str(reports), str(card), f"s3://{bucket}/day1"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        assert proxy.held.wait(120), "the chain's upload was never held"
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)  # handled while the PUT is still held
        proxy.release()
        _out, err = process.communicate(timeout=120)
    finally:
        proxy.release()
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    keys = _keys(s3_server, bucket)
    assert "day1/A001/ascmhl/ascmhl_chain.xml" in keys, keys
    assert "day1/A001/.offload/lock" not in keys, keys
    (report,) = reports.glob("*.json")
    notes = json.loads(report.read_text())["notes"]
    assert any(n.startswith("SIGTERM came after every copy had finished") for n in notes), notes
