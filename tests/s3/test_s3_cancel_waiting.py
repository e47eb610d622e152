"""A cancel waiting on a bucket whose service no longer answers (the suite's real S3 server
stopped with SIGSTOP mid-upload: its socket open, nothing answered) says so at once and
truly: a call on that destination, the service not answering, the partial uploads removed
once it does; never advice to pull a drive. ``offload copy --json``, a real process sent a
real SIGINT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from s3.conftest import S3Server, admin, new_bucket, serving
from support.held_process import line_starting

OFFLOAD = str(Path(sys.executable).with_name("offload"))


@pytest.fixture
def own_server() -> Iterator[S3Server]:
    """A server of the test's own: it is stopped (SIGSTOP), which the shared one must not be."""
    yield from serving()


def test_a_cancel_waiting_on_a_stopped_service_says_the_service_has_not_answered(
    own_server: S3Server, tmp_path: Path
) -> None:
    """Untested before (fixkill58's words for a bucket); they were true. The line comes
    while the server is still stopped; once it answers again, no upload is left open and no
    object under the clip's key."""
    bucket = new_bucket(own_server.url)
    card = tmp_path / "A001"
    card.mkdir()
    (card / "C1.mov").write_bytes(os.urandom(40 << 20))  # multipart, long enough to stop in
    url = f"s3://{bucket}/day1"
    options = ["--json", "--s3-endpoint", own_server.url, "--report-dir", str(tmp_path / "r")]
    process = subprocess.Popen(
        [OFFLOAD, "copy", *options, str(card), url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    stopped = False
    try:
        for line in process.stdout:  # the upload under way
            event = json.loads(line)
            if event["event"] == "progress" and event["destinations"][0]["bytes_written"]:
                break
        own_server.process.send_signal(signal.SIGSTOP)
        stopped = True
        process.send_signal(signal.SIGINT)
        said = line_starting(process.stderr, "cancelling:")  # while the server is stopped
    finally:
        if stopped:
            own_server.process.send_signal(signal.SIGCONT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, out + err
    assert said == (
        f"cancelling: waiting for a call on destination 1 ({url}) to return (none for 5 s: "
        "the service has not answered); the partial uploads are removed once it does, or "
        "once its timeout ends the wait (the same command run again removes what is left)\n"
    ), said + err
    (waiting,) = [json.loads(x) for x in out.splitlines() if '"cancel_waiting"' in x]
    assert waiting["card"] is False and waiting["destinations"] == [0], waiting
    client = admin(own_server.url)
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    listed = client.list_objects_v2(Bucket=bucket, Prefix="day1/A001/C1")
    assert not listed.get("Contents"), listed


def test_a_cancel_waiting_on_a_bucket_and_a_drive_words_each_by_its_kind(
    s3_server: S3Server, tmp_path: Path
) -> None:
    """Failed before: a bucket waited for with a drive was worded as a drive ("those drives
    may still be writing or flushing their caches", "disconnect"), the service's silence
    unsaid. A real plan to the suite's S3 server and a local drive."""
    from offload.card import OffloadOptions, plan_offload
    from offload.cli.offload import cancel_waiting_words
    from offload.destinations.s3config import S3Settings
    from offload.events import CancelWaiting

    card, drive = tmp_path / "A001", tmp_path / "drive"
    card.mkdir()
    drive.mkdir()
    (card / "C1.mov").write_bytes(b"x" * 1000)
    url = f"s3://{new_bucket(s3_server.url)}/day1"
    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", max_attempts=3)
    plan = plan_offload(card, [url, drive], OffloadOptions(s3=settings))
    try:
        said = cancel_waiting_words(
            plan, CancelWaiting(card=False, destinations=(0, 1)), card_done=False
        )
    finally:
        for backend in plan.backends.values():
            backend.store.close()
    assert said == (
        f"waiting for calls on destination 1 ({url}) and destination 2 ({drive}) to return "
        "(none for 5 s: on destination 1, its service has not answered; on destination 2, it "
        "may still be writing or flushing its cache, which a slow drive takes long to do, or "
        "may hang); the partial uploads are removed once the service answers, or once its "
        "timeout ends the wait, the partial files once the drive's call returns; kill -9 "
        "ends the run only once the drive's call returns; do not disconnect a drive that may "
        "be writing (it can damage its filesystem and the copies on it): only one that no "
        "longer works, or stop its driver (the same command run again removes what is left)"
    ), said
