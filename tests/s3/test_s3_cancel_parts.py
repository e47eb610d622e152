"""A cancel while a large file's parts go to the real server over a slow link (the fault
proxy's ``throttle``): Ctrl-C (SIGINT) or SIGTERM of a real ``offload copy`` process, and the
library's ``CancelToken`` (a card's ``offload``, the one-file
``copy_with_multiple_destinations``). The parts stop being sent once the cancel came, the
parts in flight stop mid-body, the multipart upload is aborted (none left open, nothing under
the final key) and the report says cancelled (130).

Before, the writer went on writing the chunks the reader had queued before it saw the cancel,
each one waiting for a part in flight to free its buffer: on this link the last part request
reached the server 15 s after the signal (12 of the clip's 25 parts were sent after it).

A file the reader had read (queued for the bucket) before the cancel is never uploaded:
before, the writer created its upload after the cancel, once the first file's parts let it.

The proxy notes when each request's head arrived (``arrivals``), on the test's own clock. The
cancel's moment is when the job's token was set: in the library, by the test's thread; in a
process, by its signal handler, which notes the moment (``CLOCK_MONOTONIC``, one clock for
every process) so that a loaded machine's delay in delivering the signal is not counted
against the cancel (it is what a user waits for, but no measure of the cancel). A part
request that reached the server after the cancel is one a part thread had let go before it:
at most one a thread (``parallel_parts``), within a part's time on the link, never a part
that waited for a part in flight to end (5 s here) nor the rest of the file (before: 12
parts, the last 15 s after the signal)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.api import copy_with_multiple_destinations
from offload.card import OffloadOptions, offload
from offload.destinations.s3config import S3Settings
from offload.engine.cancel import CancelToken
from offload.events import FileStarted
from offload.options import CopyOptions
from offload.results import DestinationStatus, JobReport
from s3.conftest import admin
from s3.test_s3_cli import keys, make_card
from s3.test_s3_faults import report_of
from support.tcpproxy import FaultProxy

MiB = 1024 * 1024
CLIP = "CLIPS/A001C001.mov"
PART = 5 * MiB
PARTS = 25
CARD = {CLIP: (PARTS - 1) * PART + 7}
LINK = 4 * MiB  # bytes a second: a part takes 1.25 s on the link, the clip 30 s
PARALLEL = S3Settings().parallel_parts  # the part threads of a destination, by default

# ``offload copy`` whose job's cancel token notes when it is first set (its signal handler
# sets it), on CLOCK_MONOTONIC: the clock of the test and its proxy (time.monotonic).
_NOTING_CANCEL = """
import sys, time
from offload.cli.offload import entry_point
from offload.engine.cancel import CancelToken
note, sys.argv[1:] = sys.argv[1], sys.argv[2:]
cancel = CancelToken.cancel
def noted(self):
    if not self.cancelled:
        with open(note, "a") as out:
            out.write(f"{time.monotonic()!r}\\n")
    cancel(self)
CancelToken.cancel = noted
entry_point()
"""


def _offload_noting_cancel(
    tmp: Path, endpoint: str, note: Path, *args: str
) -> subprocess.Popen[str]:
    """``offload copy --json ARGS`` in a process of its own, writing into *note* when its
    cancel token was set."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            _NOTING_CANCEL,
            str(note),
            "copy",
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


def _parts(proxy: FaultProxy, key: str) -> list[tuple[float, str]]:
    return [
        (when, target)
        for when, method, target in list(proxy.arrivals)
        if method == "PUT" and key in target and "partNumber=" in target
    ]


def _when_mid_upload(
    proxy: FaultProxy,
    key: str,
    alive: Callable[[], bool],
    *,
    parts: int = 3,
    ready: Callable[[], bool] = lambda: True,
) -> None:
    """Wait until *parts* parts of *key* are on their way (most of the file still to send)
    and *ready* says so."""
    deadline = time.monotonic() + 120

    def under_way() -> bool:
        return len(_parts(proxy, key)) >= parts and ready()

    while not under_way() and time.monotonic() < deadline:
        assert alive(), "the copy ended before its upload was under way"
        time.sleep(0.02)
    assert under_way(), "the upload never started"


def _check_stopped(
    proxy: FaultProxy,
    endpoint: str,
    bucket: str,
    key: str,
    cancelled_at: float,
    ended: float,
    *,
    parallel: int = PARALLEL,
) -> None:
    """At most one part request a part thread (*parallel*) reached the server after the
    cancel, none later than a part's time on the link after it, and nothing is left on the
    server: no object under *key*, no multipart upload open."""
    assert proxy.wait_for_bodies(60), "a part's body was still being sent a minute later"
    parts = _parts(proxy, key)
    after = [when - cancelled_at for when, _ in parts if when > cancelled_at]
    stopped = [t for t in proxy.stats.ended_mid_body if key in t and "partNumber=" in t]
    print(
        f"{len(parts)} part requests, {len(after)} after the cancel (the last "
        f"{max(after, default=0):.2f} s after it), {len(stopped)} stopped mid-body; "
        f"ended {ended - cancelled_at:.2f} s after it"
    )
    assert len(parts) < PARTS
    assert len(after) <= parallel, after
    assert max(after, default=0.0) <= PART / LINK, after
    # The parts in flight at the cancel were stopped mid-body (not sent to their end).
    assert stopped, "no part in flight was stopped"
    assert key not in keys(endpoint, bucket)
    assert not admin(endpoint).list_multipart_uploads(Bucket=bucket).get("Uploads")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_parts_and_aborts_the_upload(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, stop
) -> None:
    card = make_card(tmp_path, CARD)
    key = f"day1/A001/{CLIP}"
    proxy.throttle(LINK)
    note = tmp_path / "cancelled_at"
    process = _offload_noting_cancel(
        tmp_path, proxy.url, note, "--s3-part-size", "5MiB", str(card), f"s3://{bucket}/day1"
    )
    try:
        _when_mid_upload(proxy, key, lambda: process.poll() is None)
        signalled = time.monotonic()
        process.send_signal(stop)
        out, err = process.communicate(timeout=120)
        ended = time.monotonic()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    report = report_of(out)
    assert report["cancelled"] is True and report["exit_code"] == 130
    assert {d["status"] for f in report["files"] for d in f["destinations"]} == {"cancelled"}
    # The process set its token after the signal was sent: the clocks are one.
    cancelled_at = float(note.read_text().split()[0])
    assert signalled <= cancelled_at <= ended
    print(f"the signal handled {cancelled_at - signalled:.3f} s after it was sent")
    _check_stopped(proxy, s3_server.url, bucket, key, cancelled_at, ended)


def _cancel_mid_upload(
    proxy: FaultProxy,
    key: str,
    run: Callable[[CancelToken], JobReport],
    *,
    parts: int = 3,
    ready: Callable[[], bool] = lambda: True,
) -> tuple[JobReport, float, float]:
    """Run *run* with a token that is cancelled once the upload of *key* is under way
    (``_when_mid_upload``); returns its report, when the cancel came and when *run*
    returned."""
    cancel = CancelToken()
    running = threading.Event()
    running.set()
    moments: list[float] = []

    def cancel_mid_upload() -> None:
        try:
            _when_mid_upload(proxy, key, running.is_set, parts=parts, ready=ready)
        finally:
            moments.append(time.monotonic())
            cancel.cancel()

    helper = threading.Thread(target=cancel_mid_upload)
    helper.start()
    try:
        report = run(cancel)
    finally:
        running.clear()
        ended = time.monotonic()
        helper.join()
    return report, moments[0], ended


@pytest.mark.parametrize("entry", ["card", "file"])
def test_a_library_cancel_stops_the_parts_and_aborts_the_upload(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, entry
) -> None:
    card = make_card(tmp_path, CARD)
    settings = S3Settings(endpoint_url=proxy.url, region="us-east-1", part_size=PART)
    proxy.throttle(LINK)
    if entry == "card":
        key = f"day1/A001/{CLIP}"
        options = OffloadOptions(copy=CopyOptions(), s3=settings)
        job, cancelled_at, ended = _cancel_mid_upload(
            proxy,
            key,
            lambda cancel: (
                offload(card, [f"s3://{bucket}/day1"], options=options, cancel=cancel).job
            ),
        )
    else:
        key = "day1/clip.mov"
        job, cancelled_at, ended = _cancel_mid_upload(
            proxy,
            key,
            lambda cancel: copy_with_multiple_destinations(
                card / CLIP, [f"s3://{bucket}/{key}"], s3=settings, cancel=cancel
            ),
        )
    assert job.cancelled
    assert [d.status for f in job.files for d in f.destinations] == [DestinationStatus.CANCELLED]
    _check_stopped(proxy, s3_server.url, bucket, key, cancelled_at, ended)


def test_a_file_read_before_the_cancel_is_not_uploaded(s3_server, bucket, proxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The reader had read the next clip, queued for the bucket's writer, when the cancel came
    # (the writer was waiting for a part buffer of the first one). Before, the writer went
    # on: it finished the first clip's parts, then created the second one's upload after
    # the cancel.
    second = "CLIPS/A001C002.mov"
    card = make_card(tmp_path, {CLIP: 4 * PART + 7, second: 4 * PART + 7})
    settings = S3Settings(
        endpoint_url=proxy.url, region="us-east-1", part_size=PART, parallel_parts=2
    )
    options = OffloadOptions(copy=CopyOptions(), s3=settings)
    read = threading.Event()

    class SecondRead:
        def emit(self, event: object) -> None:
            if isinstance(event, FileStarted) and event.relative_path == second:
                read.set()

    proxy.throttle(LINK)
    key = f"day1/A001/{CLIP}"
    job, cancelled_at, ended = _cancel_mid_upload(
        proxy,
        key,
        lambda cancel: (
            offload(
                card, [f"s3://{bucket}/day1"], options=options, sink=SecondRead(), cancel=cancel
            ).job
        ),
        parts=2,
        ready=read.is_set,
    )
    assert job.cancelled
    assert {d.status for f in job.files for d in f.destinations} == {DestinationStatus.CANCELLED}
    _check_stopped(proxy, s3_server.url, bucket, key, cancelled_at, ended, parallel=2)
    assert not [t for t in proxy.targets if second in t]  # no request about it at all
