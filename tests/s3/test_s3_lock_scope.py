"""An upload record left by a killed run, and locks the next run's credentials cannot read.

Run A copies a card ``day2`` (one 40 MiB file) to ``s3://bucket/shoot`` through the fault
proxy, which holds its part 2; A is killed (SIGKILL): its multipart upload and its record
under ``shoot/.offload/uploads/`` stay. Run B (a card ``day3``, ``abandon_after_s`` 0: every
record is old) then cleans up abandoned uploads. B's credentials are limited to ``shoot/``:
the proxy answers 403 AccessDenied for the lock objects they may not read (the real server
behind it cannot scope credentials).

Failed before: B read the lock of every folder above the record's key up to the bucket's top
(``.offload/lock``, outside ``shoot/``); the 403 meant "any run may be live there", so A's
upload was kept, by this run and every later one, silently."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from offload.card import OffloadOptions, offload
from offload.destinations.s3config import S3Settings
from offload.events import WarningIssued
from offload.manifest_options import ManifestOptions
from s3.conftest import admin
from s3.test_s3_cli import make_card
from s3.test_s3_faults import _offload_process
from s3.test_s3_nested_roots import _uploads

MiB = 1024 * 1024
BIG = 40 * MiB + 3  # 6 parts: the proxy holds part 2


def _killed_run_a(s3_server, bucket: str, proxy, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """Run A held mid-upload, then SIGKILLed; returns its upload's id (left on the service)."""
    card_a = make_card(tmp_path / "a", {"BIG.mov": BIG}).rename(tmp_path / "a" / "day2")
    proxy.hold("PUT", "partNumber=2")
    process = _offload_process(
        tmp_path / "ra", proxy.url, "--mhl", "none", str(card_a), f"s3://{bucket}/shoot"
    )
    try:
        assert proxy.held.wait(120), "run A never uploaded its big file"
        process.send_signal(signal.SIGKILL)
    finally:
        proxy.release()
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=60)  # its pipes closed too
    (upload,) = _uploads(s3_server.url, bucket)
    return upload


class _Warnings:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def emit(self, event: object) -> None:
        if isinstance(event, WarningIssued):
            self.messages.append(event.message)


def _run_b(proxy, bucket: str, tmp_path: Path, name: str) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path / name, {"C001.mov": 300_000}).rename(tmp_path / name / name)
    options = OffloadOptions(
        s3=S3Settings(endpoint_url=proxy.url, region="us-east-1", abandon_after_s=0.0),
        manifests=ManifestOptions(kinds=frozenset()),
    )
    sink = _Warnings()
    report = offload(card, [f"s3://{bucket}/shoot"], options=options, sink=sink)
    return report.exit_code, sink.messages


def test_a_lock_above_the_destination_prefix_is_never_read(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    live_upload = _killed_run_a(s3_server, bucket, proxy, tmp_path)
    proxy.intercept("GET", f"/{bucket}/.offload/lock", status=403, count=1000)
    code, _warnings = _run_b(proxy, bucket, tmp_path, "day3")
    assert code == 0
    assert live_upload not in _uploads(s3_server.url, bucket)  # A's abandoned upload: aborted
    # Its record dropped with it.
    records = admin(s3_server.url).list_objects_v2(Bucket=bucket, Prefix="shoot/.offload/uploads/")
    assert not records.get("Contents")


def test_an_unreadable_lock_keeps_an_upload_until_it_is_12_hours_old_and_says_so(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """A lock below the prefix that the credentials cannot read (A's copy root's): a run may
    be live there, so A's upload is kept, with a warning naming the lock; once its record is
    older than 12 hours it is aborted all the same (a live run refreshes its lock every 30 s:
    nothing of it is that old unless the run is gone)."""
    live_upload = _killed_run_a(s3_server, bucket, proxy, tmp_path)
    lock = "shoot/day2/.offload/lock"
    proxy.intercept("GET", f"/{bucket}/{lock}", status=403, count=1000)
    code, warnings = _run_b(proxy, bucket, tmp_path, "day3")
    assert code == 0
    assert live_upload in _uploads(s3_server.url, bucket)  # kept: cannot tell
    named = [w for w in warnings if f"s3://{bucket}/{lock}" in w]
    assert named, warnings
    # The record made 13 hours ago (the service's own object, rewritten with an older time).
    client = admin(s3_server.url)
    (record_key,) = [
        o["Key"]
        for o in client.list_objects_v2(Bucket=bucket, Prefix="shoot/.offload/uploads/")["Contents"]
    ]
    record = json.loads(client.get_object(Bucket=bucket, Key=record_key)["Body"].read())
    record["created_at"] = time.time() - 13 * 3600
    client.put_object(Bucket=bucket, Key=record_key, Body=json.dumps(record).encode())
    code, _warnings = _run_b(proxy, bucket, tmp_path, "day4")
    assert code == 0
    assert live_upload not in _uploads(s3_server.url, bucket)  # aborted: 12 hours old
