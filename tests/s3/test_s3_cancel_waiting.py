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
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from s3.conftest import S3Server, admin, new_bucket, serving
from support.credential_helper import helpers, use_helper
from support.held_process import line_starting

if TYPE_CHECKING:
    from offload.card import OffloadPlan

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


@contextmanager
def planned(tmp_path: Path, endpoint: str, *others: str) -> Iterator[tuple[OffloadPlan, list[str]]]:
    """A real plan of a one-clip card to a new bucket of the server at *endpoint* (its
    destination 1) and *others* (a drive's path, or ``"bucket"`` for another new bucket);
    and its destinations as given. Its clients closed on leaving."""
    from offload.card import OffloadOptions, plan_offload
    from offload.destinations.s3config import S3Settings

    card = tmp_path / "A001"
    card.mkdir()
    (card / "C1.mov").write_bytes(b"x" * 1000)
    url = f"s3://{new_bucket(endpoint)}/day1"
    targets = [f"s3://{new_bucket(endpoint)}/day1" if o == "bucket" else o for o in others]
    settings = S3Settings(endpoint_url=endpoint, region="us-east-1", max_attempts=3)
    plan = plan_offload(card, [url, *targets], OffloadOptions(s3=settings))
    try:
        yield plan, [url, *targets]
    finally:
        for backend in plan.backends.values():
            backend.store.close()


def words(plan: OffloadPlan, *destinations: int) -> str:
    from offload.cli.offload import cancel_waiting_words
    from offload.events import CancelWaiting

    event = CancelWaiting(card=False, destinations=destinations)
    return cancel_waiting_words(plan, event, card_done=False)


def test_a_cancel_waiting_on_a_bucket_and_a_drive_words_each_by_its_kind(
    s3_server: S3Server, tmp_path: Path
) -> None:
    """Failed before: a bucket waited for with a drive was worded as a drive ("those drives
    may still be writing or flushing their caches", "disconnect"), the service's silence
    unsaid. A real plan to the suite's S3 server and a local drive."""
    drive = tmp_path / "drive"
    drive.mkdir()
    with planned(tmp_path, s3_server.url, str(drive)) as (plan, (url, _)):
        said = words(plan, 0, 1)
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


def helper_asleep(plan: OffloadPlan, log: Path, sleep: Path, *waits: tuple[int, ...]) -> list[str]:
    """What a cancel says waiting on each of *waits* (destinations) while destination 1's
    client signs a request (a HEAD of its bucket, on a thread of its own) with the
    credentials of a helper that sleeps (``support.credential_helper``); then the helper
    ended and the request waited for."""
    store = plan.backends[0].store
    sleep.touch()

    def head() -> None:
        with suppress(Exception):  # the helper ended: no credentials, the request refused
            store.client.head_bucket(Bucket=store.url.bucket)

    thread = threading.Thread(target=head, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not (asleep := [h for h in helpers(log) if h["sleeping"]]):
        assert time.monotonic() < deadline, "no helper asleep"
        time.sleep(0.05)
    try:
        return [words(plan, *destinations) for destinations in waits]
    finally:
        os.kill(asleep[0]["pid"], signal.SIGTERM)
        thread.join(30)


def test_a_cancel_waiting_on_a_helper_and_a_drive_or_a_bucket_words_each_in_its_clause(
    s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review of the fixs3v60 merge: with a bucket waiting for its credential helper and a
    drive, "the partial uploads are removed once the helper answers or is ended the wait";
    with another bucket, "the service has of destination 2 not answered" and that bucket's
    timeout left out of when its uploads are removed. Failed before (both). A real helper
    process, asleep, that destination 1's client waits for."""
    log, sleep = use_helper(tmp_path)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    drive = tmp_path / "drive"
    drive.mkdir()
    with planned(tmp_path, s3_server.url, str(drive), "bucket") as (plan, (url, _, other)):
        with_drive, with_bucket = helper_asleep(plan, log, sleep, (0, 1), (0, 2))
    helper = (
        "the credential helper (the AWS profile's credential_process) that the requests of "
        "destination 1 wait for has not answered, and nothing times it out: it may be waiting "
        "for someone (an MFA code, a login): answer it or end it"
    )
    assert with_drive == (
        f"waiting for calls on destination 1 ({url}) and destination 2 ({drive}) to return "
        f"(none for 5 s: {helper}; on destination 2, it may still be writing or flushing its "
        "cache, which a slow drive takes long to do, or may hang); the partial uploads are "
        "removed once the helper answers or is ended, the partial files once the drive's "
        "call returns; kill -9 ends the run only once the drive's call returns; do not "
        "disconnect a drive that may be writing (it can damage its filesystem and the copies "
        "on it): only one that no longer works, or stop its driver (the same command run "
        "again removes what is left)"
    ), with_drive
    assert with_bucket == (
        f"waiting for calls on destination 1 ({url}) and destination 3 ({other}) to return "
        f"(none for 5 s: {helper}; the service of destination 3 has not answered, a timeout "
        "ending that wait); the partial uploads are removed once the helper answers or is "
        "ended, and once the service of destination 3 answers, or its timeout ends (the same "
        "command run again removes what is left)"
    ), with_bucket


def test_a_cancel_waiting_on_a_helper_while_another_request_hangs_says_the_service_may_not(
    own_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review of the fixs3v60 merge: a running helper was taken for what every call of its
    client waits for, but botocore refreshes on one thread while the others keep sending: a
    request hung on the wire (the service stopped) was worded as the helper's, its timeout
    unsaid. Failed before ("... answer it or end it); the partial uploads are removed once
    it answers or is ended"). A PutObject sent to the stopped server, then a HEAD signed
    with a helper asleep."""
    log, sleep = use_helper(tmp_path)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with planned(tmp_path, own_server.url) as (plan, (url,)):
        store = plan.backends[0].store

        def put() -> None:
            with suppress(Exception):  # (its answer, once the server runs again, whatever)
                store.client.put_object(Bucket=store.url.bucket, Key="hung", Body=b"x" * (8 << 20))

        started = len(helpers(log))
        own_server.process.send_signal(signal.SIGSTOP)
        thread = threading.Thread(target=put, daemon=True)
        try:
            thread.start()
            deadline = time.monotonic() + 30
            while len(helpers(log)) == started:  # its credentials given: sent just after
                assert time.monotonic() < deadline, "the PutObject's helper never ran"
                time.sleep(0.05)
            time.sleep(1)
            (said,) = helper_asleep(plan, log, sleep, (0,))
        finally:
            own_server.process.send_signal(signal.SIGCONT)
        thread.join(60)
    assert said == (
        f"waiting for a call on destination 1 ({url}) to return (none for 5 s: the credential "
        "helper (the AWS profile's credential_process) that the requests of destination 1 "
        "wait for has not answered, and nothing times it out: it may be waiting for someone "
        "(an MFA code, a login): answer it or end it; the service of destination 1 may not "
        "have answered others of its requests either, a timeout ending that wait); the "
        "partial uploads are removed once the helper answers or is ended, and once the "
        "service of destination 1 answers, or its timeout ends (the same command run again "
        "removes what is left)"
    ), said
