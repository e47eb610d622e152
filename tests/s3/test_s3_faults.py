"""The faults of an S3 destination, made for real at the level a DIT sees them (the ``offload``
CLI, in-process or as a real subprocess; a real server process; the fault proxy): 503 SlowDown
retried with backoff; the service gone for good mid-card (that destination lost, the local one
verified, exit 1; the re-run resumes the upload and finishes); refused credentials, a missing
bucket or no network (one line, exit 64, nothing written anywhere); Ctrl-C mid-upload (130,
nothing incomplete under a final key) and a kill between an object's completion and its
read-back (not recorded as verified; the re-run reads it back and adopts it)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from offload.destinations.s3 import S3Destination
from offload.destinations.s3config import S3Settings, settings_from_env
from offload.destinations.s3ledger import S3Ledger
from offload.destinations.s3url import S3Url
from s3 import test_s3_preflight
from s3.conftest import ACCESS_KEY, SECRET_KEY, admin, destination
from s3.test_s3_cli import card_local_url, keys, make_card, offload
from support.service_gone import down_once_parts_stored, service_back
from support.tcpproxy import FaultProxy

# The module-scoped server that checks credentials (its IAM authentication on).
auth_server = test_s3_preflight.auth_server

MiB = 1024 * 1024
BIG = "CLIPS/A001C001.mov"
CARD = {BIG: 40 * MiB + 3, "CLIPS/A001C002.mov": 300_000, "A001.xml": 900}  # BIG: 6 parts


def report_of(out: str) -> dict:  # type: ignore[type-arg]
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    final = events[-1]
    assert final["event"] == "job_report"
    return json.loads(Path(final["reports"][0]).read_text())  # type: ignore[no-any-return]


def statuses(report: dict, index: int) -> dict[str, str]:  # type: ignore[type-arg]
    return {
        f["path"]: d["status"]
        for f in report["files"]
        for d in f["destinations"]
        if d["index"] == index
    }


def test_slow_down_is_retried_with_backoff(s3_server, bucket, proxy, caplog) -> None:  # type: ignore[no-untyped-def]
    dest = destination(proxy.url, bucket)
    data = os.urandom(6 * MiB)
    proxy.slow_down_next(2)
    with caplog.at_level(logging.DEBUG, logger="botocore.retries.standard"):
        upload = dest.open_upload(dest.url.key("clip.mov"), len(data))
        upload.write(memoryview(data))
        upload.complete()
    dest.close()
    assert proxy.stats.slowed == 2
    # botocore's standard mode computed an exponential backoff delay before each retry.
    delays = [
        float(r.getMessage().rsplit(":", 1)[1])
        for r in caplog.records
        if r.getMessage().startswith("Retry needed, retrying request after delay of")
    ]
    assert len(delays) == 2 and all(d >= 0 for d in delays)
    stored = admin(s3_server.url).get_object(Bucket=bucket, Key="cards/clip.mov")["Body"].read()
    assert stored == data


def test_a_service_restarting_for_seconds_is_waited_for(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    """docs/s3.md (Retries): with the default attempts (9), a service that refuses every
    connection for 5 s mid-upload (its proxy gone after the 2nd part, back at the same port)
    is waited for: every part gets there, the object is whole. Failed before: botocore 1.44's
    standard mode backs off from 50 ms on a refused connection, so one of the parallel parts
    gave up after ~4-6 s (``cannot upload part ... ECONNREFUSED``) and the destination was
    lost."""
    dest = destination(proxy.url, bucket, max_attempts=S3Settings().max_attempts)
    data = os.urandom(6 * 5 * MiB)  # 6 parts
    server = admin(s3_server.url)
    proxy.hold("PUT", "partNumber=3")  # not done before the service goes, however fast
    watcher = down_once_parts_stored(proxy, server, bucket, parts=2)
    away: list[FaultProxy] = []

    def restart() -> None:
        watcher.join()
        time.sleep(5.0)
        away.append(FaultProxy(s3_server.port, port=proxy.port))

    restarter = threading.Thread(target=restart, daemon=True)
    restarter.start()
    try:
        upload = dest.open_upload(dest.url.key("clip.mov"), len(data))
        upload.write(memoryview(data))
        upload.complete()
    finally:
        restarter.join()
        dest.close()
        for again in away:
            again.close()
    assert away and away[0].stats.methods  # the service was gone, and asked again once back
    assert server.get_object(Bucket=bucket, Key="cards/clip.mov")["Body"].read() == data


def test_retry_backoff_waits_out_seconds_and_gives_up_in_tens_of_them() -> None:
    """The numbers docs/s3.md states: 8 retries wait 12-24 s in all; the first ~0.1-0.2 s."""
    from offload.destinations.s3retries import delay_s, total_wait_s

    least, most = total_wait_s(S3Settings().max_attempts)
    assert (round(least, 1), round(most, 1)) == (12.1, 24.2)
    assert (delay_s(1, 0.0), delay_s(1, 0.999999) < 0.2) == (0.1, True)


def test_aws_max_attempts_bounds_the_attempts_a_request_gets(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch
) -> None:
    """The standard ``AWS_MAX_ATTEMPTS`` (attempts, the first included) is what a request
    gets: 2 attempts against a service answering 503 SlowDown to 5 requests, then the
    upload fails. A value that is no number of attempts is refused: one line naming it,
    exit 64, nothing written. Failed before: the variable was ignored (the client's own
    retries, 8, overrode it) and the upload went through on the 6th attempt."""
    settings = settings_from_env(
        {"AWS_MAX_ATTEMPTS": "2", "AWS_REGION": "us-east-1"}, endpoint_url=proxy.url
    )
    dest = S3Destination(S3Url(bucket, "cards"), settings)
    proxy.slow_down_next(5)
    try:
        with pytest.raises(OSError):
            dest.put_small(dest.url.key("clip.mov"), b"clip")
    finally:
        dest.close()
    assert proxy.stats.slowed == 2
    assert "cards/clip.mov" not in keys(s3_server.url, bucket)

    card, local, url = card_local_url(tmp_path, bucket, {"A001.xml": 900})
    # '²' is a digit to str.isdigit() but not to int(): it crashed (ValueError) before.
    for value in ("lots", "\u00b2"):
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", value)
        code, out, err = offload(
            tmp_path, "--s3-endpoint", s3_server.url, str(card), str(local), url
        )
        assert code == 64, out + err
        said = [line for line in err.splitlines() if line.strip()]
        assert len(said) == 1, said
        assert f"AWS_MAX_ATTEMPTS={value!r} is not a number of attempts" in said[0], said
        assert not any(local.iterdir()) and keys(s3_server.url, bucket) == []


def test_profile_max_attempts_in_the_aws_config_file_is_honoured(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch
) -> None:
    """A profile's ``max_attempts`` in the AWS config file (``AWS_CONFIG_FILE``) bounds the
    attempts a request gets, in AWS's order: ``AWS_MAX_ATTEMPTS`` first, then the profile's
    (``[profile x]``, or ``[default]`` without one), then offload-ai's 9. A bad value is one
    line naming the file and profile, exit 64, nothing written. Failed before: the profile
    was ignored (8 retries) and the upload went through on the 6th attempt."""
    config = tmp_path / "aws-config"
    # A named profile's credentials are its own (botocore then skips the variables).
    keys_of = f"aws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
    config.write_text(
        f"[default]\nmax_attempts = 4\n\n[profile shoot]\nmax_attempts = 2\n{keys_of}"
        f"\n[profile bad]\nmax_attempts = many\n{keys_of}"
    )
    env = {"AWS_CONFIG_FILE": str(config), "AWS_REGION": "us-east-1"}
    assert settings_from_env(env).max_attempts == 3  # [default]'s 4 attempts
    assert settings_from_env({**env, "AWS_PROFILE": "shoot"}).max_attempts == 1
    assert settings_from_env(env, profile="shoot").max_attempts == 1
    assert settings_from_env({**env, "AWS_MAX_ATTEMPTS": "6"}, profile="shoot").max_attempts == 5
    assert settings_from_env({**env, "AWS_CONFIG_FILE": str(tmp_path / "none")}).max_attempts == 8

    # botocore's session reads the file the process's environment names.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    settings = settings_from_env(env, endpoint_url=proxy.url, profile="shoot")
    dest = S3Destination(S3Url(bucket, "cards"), settings)
    proxy.slow_down_next(5)
    try:
        with pytest.raises(OSError) as caught:
            dest.put_small(dest.url.key("clip.mov"), b"clip")
    finally:
        dest.close()
    assert proxy.stats.slowed == 2, caught.value
    assert "cards/clip.mov" not in keys(s3_server.url, bucket)

    card, local, url = card_local_url(tmp_path, bucket, {"A001.xml": 900})
    code, out, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--s3-profile", "bad", str(card), str(local), url
    )
    assert code == 64, out + err
    said = [line for line in err.splitlines() if line.strip()]
    assert len(said) == 1, said
    assert f"max_attempts = 'many' of profile 'bad' in {config}" in said[0], said[0]
    assert not any(local.iterdir()) and keys(s3_server.url, bucket) == []


def test_service_gone_mid_card_loses_s3_only_then_the_rerun_resumes(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch
) -> None:
    # Three attempts a request (AWS_MAX_ATTEMPTS, as a DIT sets it): the service is gone for
    # good, and each of its requests failing after the default nine waited ~21 s of backoff.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    card, local, url = card_local_url(tmp_path, bucket, CARD)

    # The big file's third part is held (its upload cannot complete); once the server holds
    # two other parts, the service goes for good: mid-card, mid-file. A001.xml's read-back
    # (its GET) is held too, so no S3 copy is verified before the service goes, however late
    # the watcher looks (before, under load, A001.xml could be: the check below failed).
    proxy.hold("PUT", "partNumber=3")
    proxy.hold("GET", "/A001/A001.xml HTTP", also=True)

    watcher = down_once_parts_stored(proxy, admin(s3_server.url), bucket)
    code, out, err = offload(
        tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), str(local), url
    )
    watcher.join()
    assert code == 1, err
    first = report_of(out)
    assert set(statuses(first, 0).values()) == {"verified"}  # the local copy, whole
    assert "verified" not in statuses(first, 1).values() or len(statuses(first, 1)) < 3
    assert first["destinations"][1]["lost"]
    client = admin(s3_server.url)
    uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [u["Key"] for u in uploads] == [f"day1/A001/{BIG}"]  # left for the re-run
    there = client.list_parts(Bucket=bucket, Key=uploads[0]["Key"], UploadId=uploads[0]["UploadId"])
    assert there.get("Parts")
    assert f"day1/A001/{BIG}" not in keys(s3_server.url, bucket)  # nothing partial visible

    with service_back(s3_server.port) as again:
        code, out, err = offload(
            tmp_path, "--s3-endpoint", again.url, "--json", str(card), str(local), url
        )
    assert code == 0, err
    second = report_of(out)
    assert set(statuses(second, 0).values()) == {"verified_earlier"}  # not copied again
    assert set(statuses(second, 1).values()) <= {"verified", "verified_earlier"}
    # The upload was resumed: only the parts the server lacked, or held with other bytes than
    # the card's, were sent (6 in all). Counted by part number: a request the client retried
    # (a slow server under load) is one part sent twice, not two parts.
    data = (card / BIG).read_bytes()
    part_size = 8 * MiB
    held_right = {
        int(p["PartNumber"])
        for p in there["Parts"]
        if p["ETag"].strip('"')
        == hashlib.md5(data[(int(p["PartNumber"]) - 1) * part_size :][:part_size]).hexdigest()
    }
    sent = {
        int(t.rsplit("partNumber=", 1)[1].split("&")[0])
        for m, t in zip(again.stats.methods, again.targets, strict=True)
        if m == "PUT" and "partNumber=" in t
    }
    assert held_right and sent == set(range(1, 7)) - held_right, (sent, there["Parts"])
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    for relative in CARD:
        body = client.get_object(Bucket=bucket, Key=f"day1/A001/{relative}")["Body"].read()
        assert body == (card / relative).read_bytes()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("fault", ["credentials", "bucket", "network"])
def test_refused_before_the_first_byte_nothing_written_anywhere(  # type: ignore[no-untyped-def]
    s3_server, bucket, auth_server, monkeypatch, tmp_path, fault
) -> None:
    card, local, url = card_local_url(tmp_path, bucket, CARD)
    endpoint = s3_server.url
    if fault == "credentials":
        server, key_id, _secret = auth_server
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        endpoint, url = server.url, "s3://rushes/day1"
    elif fault == "bucket":
        url = "s3://nope-bucket/day1"
    else:
        endpoint = f"http://127.0.0.1:{_free_port()}"
    code, out, err = offload(tmp_path, "--s3-endpoint", endpoint, str(card), str(local), url)
    assert code == 64
    assert out == "" and len(err.strip().splitlines()) == 1, err
    assert url in err and "nothing was written" in err
    assert list(local.iterdir()) == []
    # The local report folder holds the refusal's record alone (``offload history`` lists the
    # attempt; it claims no copy), and no secret in it.
    reports = tmp_path / "reports"
    written = sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*") if p.is_file())
    assert len(written) == 1 and written[0].startswith("refused/"), written
    record = json.loads((reports / written[0]).read_text())
    assert record["exit_code"] == 64 and "not-the-secret" not in json.dumps(record), record
    assert keys(s3_server.url, bucket) == []


def _offload_process(
    tmp: Path, endpoint: str, *args: str, command: str = "copy"
) -> subprocess.Popen[str]:
    # ``--report-dir`` makes its own folder, never the folders above it.
    tmp.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "offload.cli.offload",
            command,
            "--report-dir",
            str(tmp / "reports"),
            "--s3-endpoint",
            endpoint,
            "--json",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ledger(endpoint: str, bucket: str) -> dict[str, str]:
    from offload.destinations.s3backend import S3Backend

    backend = S3Backend(destination(endpoint, bucket, prefix="day1"))
    try:
        entries = S3Ledger(backend, backend.root / "A001").load()
    finally:
        backend.close()
    return {path: entry.state for path, entry in entries.items()}


def stop_while_held(
    proxy: FaultProxy, process: subprocess.Popen[str], stop: int, what: str
) -> tuple[str, str]:
    """Once the proxy holds a request of *process* (*what*, for the message), send it *stop*,
    let the request go on, and return the process's output."""
    try:
        assert proxy.held.wait(120), f"{what} never started"
        process.send_signal(stop)
        if stop == signal.SIGINT:
            time.sleep(0.5)  # Ctrl-C seen before the held request goes on
        proxy.release()
        return process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL])
def test_stopped_after_completion_before_the_read_back(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, stop
) -> None:
    card = make_card(tmp_path, CARD)
    url = f"s3://{bucket}/day1"
    big_key = f"day1/A001/{BIG}"
    # The big file's read-back GET is held: its object is complete, not yet read back.
    proxy.hold("GET", f"/{bucket}/{big_key}")
    process = _offload_process(tmp_path, proxy.url, str(card), url)
    out, err = stop_while_held(proxy, process, stop, "the read-back")
    client = admin(s3_server.url)
    ledger = _ledger(s3_server.url, bucket)
    if stop == signal.SIGINT:
        assert process.returncode == 130, err
        report = report_of(out)
        assert report["cancelled"] is True or report["exit_code"] == 130
        # Completed, not read back: cancelled, not in the ledger, and the object (still
        # ours) deleted, as a partial file is removed on a disk.
        assert statuses(report, 0)[BIG] == "cancelled"
        assert BIG not in ledger
        assert big_key not in keys(s3_server.url, bucket)
    else:
        assert process.returncode == -signal.SIGKILL
        # Complete under its key, but nothing of ours calls it verified.
        head = client.head_object(Bucket=bucket, Key=big_key)
        assert head["ContentLength"] == CARD[BIG]
        assert BIG not in ledger
    # Nothing incomplete is visible under a final key: what is there is whole.
    for key in keys(s3_server.url, bucket):
        relative = key.removeprefix("day1/A001/")
        if relative in CARD:
            assert client.head_object(Bucket=bucket, Key=key)["ContentLength"] == CARD[relative]
    if stop == signal.SIGINT:
        assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")

    # The re-run proves what is there (read back and adopted, or uploaded again).
    code, out, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), url)
    assert code == 0, err
    report = report_of(out)
    by_path = {f["path"]: f["destinations"][0] for f in report["files"]}  # one destination
    assert by_path[BIG]["status"] in ("verified", "verified_earlier")
    if stop == signal.SIGKILL:
        assert by_path[BIG]["status"] == "verified" and by_path[BIG]["action"] == "adopted"
    assert _ledger(s3_server.url, bucket)[BIG] == "verified"
    body = client.get_object(Bucket=bucket, Key=big_key)["Body"].read()
    assert body == (card / BIG).read_bytes()
