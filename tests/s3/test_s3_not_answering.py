"""A service that accepts connections but never answers (a hung server, a proxy holding every
request, a server process stopped): each attempt waits its read timeout and is retried.
``s3unreachable`` sets the latch on a read timeout only on proof that the service answers
nothing (no request of the destination answered since the one that gave up started), and
says while it is quiet (``on_wait``: "retrying" after ``WAIT_SAID_S``, then "answering" or
"lost"). Real parts: the suite's S3 server process (a server of its own stopped for real
with SIGSTOP in one test), the fault proxy in front of it holding requests, real boto3 clients; read
timeouts of a second or so (60 s in real life) so each request gives up in seconds."""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.destinations import s3 as s3_module
from offload.destinations.s3config import S3Settings, make_client
from offload.destinations.s3unreachable import WAIT_SAID_S, NotSent, UnreachableLatch
from s3.conftest import S3Server, admin, new_bucket, start_server, stop_server
from support.tcpproxy import FaultProxy

METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")


def _client(endpoint: str, *, attempts: int, read_timeout_s: float = 1.0) -> Any:
    return make_client(
        S3Settings(
            endpoint_url=endpoint,
            region="us-east-1",
            max_attempts=attempts - 1,
            connect_timeout_s=2.0,
            read_timeout_s=read_timeout_s,
        )
    )


def _hold_all(proxy: FaultProxy, path_part: str) -> None:
    """Every request whose path holds *path_part* held at the proxy, whatever its method:
    accepted, never answered (until ``release``)."""
    for n, method in enumerate(METHODS):
        proxy.hold(method, path_part, also=n > 0)


def test_a_slow_answer_while_others_are_answered_sets_nothing(proxy, bucket) -> None:  # type: ignore[no-untyped-def]
    admin(f"http://127.0.0.1:{proxy.upstream[1]}").put_object(Bucket=bucket, Key="k", Body=b"x")
    client = _client(proxy.url, attempts=2)
    latch = UnreachableLatch()
    latch.watch(client)
    client.head_object(Bucket=bucket, Key="k")
    stop = threading.Event()
    answered: list[int] = []

    def others() -> None:  # another thread's requests, answered all along
        while not stop.wait(0.1):
            client.head_object(Bucket=bucket, Key="k")
            answered.append(1)

    _hold_all(proxy, f"/{bucket}/slow")  # one key's requests never answered
    thread = threading.Thread(target=others, daemon=True)
    thread.start()
    try:
        with pytest.raises(ReadTimeoutError):
            client.head_object(Bucket=bucket, Key="slow")
    finally:
        stop.set()
        thread.join(30)
    assert answered  # the service answered others meanwhile
    assert latch.first is None  # so one slow answer loses nothing
    client.head_object(Bucket=bucket, Key="k")  # still sent

    # The contrast: nothing answered at all while a request gave up on read timeouts.
    _hold_all(proxy, f"/{bucket}/")
    try:
        with pytest.raises(ReadTimeoutError):
            client.head_object(Bucket=bucket, Key="k")
        assert isinstance(latch.first, ReadTimeoutError)
        before = proxy.stats.requests
        with pytest.raises(NotSent):
            client.head_object(Bucket=bucket, Key="k")
        assert proxy.stats.requests == before  # nothing sent
    finally:
        proxy.release()


def test_quiet_service_said_then_answering(proxy, bucket) -> None:  # type: ignore[no-untyped-def]
    admin(f"http://127.0.0.1:{proxy.upstream[1]}").put_object(Bucket=bucket, Key="k", Body=b"x")
    client = _client(proxy.url, attempts=9)  # a budget well beyond WAIT_SAID_S
    latch = UnreachableLatch()
    latch.watch(client)
    told: list[tuple[str, float]] = []
    latch.on_wait = lambda state, since: told.append((state, since))
    client.head_object(Bucket=bucket, Key="k")
    _hold_all(proxy, f"/{bucket}/")
    sent = time.time()
    thread = threading.Thread(
        target=client.head_object, kwargs={"Bucket": bucket, "Key": "k"}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + WAIT_SAID_S + 10
    while not told and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [state for state, _ in told] == ["retrying"], told
    assert sent - 1 <= told[0][1] <= sent + 1  # since the first unanswered attempt was sent
    proxy.release()  # it answers again: the next attempt is answered
    thread.join(60)
    assert not thread.is_alive()
    assert [state for state, _ in told] == ["retrying", "answering"], told
    assert told[1][1] == told[0][1]
    assert latch.first is None


def _run(tmp_path: Path, endpoint: str, url: str, card: Path) -> tuple[int, list[Any], str]:
    """``offload copy --json`` in this process, the card to a local folder and *url*."""
    out, err = io.StringIO(), io.StringIO()
    dest = tmp_path / "dest"
    dest.mkdir(exist_ok=True)
    code = main(
        [
            *("copy", "--json", "--report-dir", str(tmp_path / "r"), "--s3-endpoint"),
            *(endpoint, str(card), str(dest), url),
        ],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    events = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return code, events, err.getvalue()


@pytest.fixture
def short_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy's clients wait 1 s for an answer (60 s by default): a request of 6 attempts
    gives up in ~7-9 s, beyond ``WAIT_SAID_S``."""
    real = s3_module.make_client

    def made(settings: S3Settings) -> Any:
        if settings.read_timeout_s == S3Settings.read_timeout_s:
            settings = replace(settings, read_timeout_s=1.0)
        return real(settings)

    monkeypatch.setattr(s3_module, "make_client", made)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "6")


def _card(tmp_path: Path, files: int, size: int) -> Path:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for n in range(files):
        (card / "CLIPS" / f"C{n:03d}.mov").write_bytes(os.urandom(size))
    return card


def _first_clip_stored(url: str, bucket: str) -> None:
    """Wait (120 s at most) until the service at *url* holds a clip of the card in *bucket*
    under ``day1/``: the copy is under way."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        listed = admin(url).list_objects_v2(Bucket=bucket, Prefix="day1/A001/CLIPS/")
        if listed.get("KeyCount", 0) >= 1:
            return
        time.sleep(0.02)


def _hang_once_stored(proxy: FaultProxy, bucket: str) -> threading.Thread:
    """A thread, started, that has *proxy* answer nothing more (every request held) once a
    clip is stored in *bucket* behind it (``_first_clip_stored``)."""

    def hang() -> None:
        _first_clip_stored(f"http://127.0.0.1:{proxy.upstream[1]}", bucket)
        _hold_all(proxy, "/")

    thread = threading.Thread(target=hang, daemon=True)
    thread.start()
    return thread


def _run_stopping(
    tmp_path: Path, card: Path, stop: Callable[[S3Server, str, list[float]], None]
) -> tuple[int, list[Any], str]:
    """``_run`` of *card* to a new bucket ``day1`` of a server of its own (stopped for real,
    no other test's requests on it), while a thread runs *stop* (the server, the bucket and
    a list it adds the time it stopped the server to); the server is let go on and stopped
    after. Asserts the server was stopped. ``_run``'s result."""
    server = start_server()
    stopped: list[float] = []
    try:
        bucket = new_bucket(server.url)
        thread = threading.Thread(target=stop, args=(server, bucket, stopped), daemon=True)
        thread.start()
        ran = _run(tmp_path, server.url, f"s3://{bucket}/day1", card)
        thread.join(30)
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
        stop_server(server)
    assert stopped, "the server was never stopped"
    return ran


def test_a_service_that_never_answers_is_lost_and_the_run_ends(  # type: ignore[no-untyped-def]
    proxy, bucket, tmp_path, short_reads
) -> None:
    card = _card(tmp_path, 12, 1024 * 1024)
    thread = _hang_once_stored(proxy, bucket)
    try:
        code, events, err = _run(tmp_path, proxy.url, f"s3://{bucket}/day1", card)
    finally:
        proxy.release()
        thread.join(30)
    assert code == 1, err
    said = [e for e in events if e["event"] == "destination_not_answering"]
    assert [e["state"] for e in said] == ["retrying", "lost"], said
    assert {e["destination_index"] for e in said} == {1}
    (lost,) = [e for e in events if e["event"] == "destination_lost"]
    assert lost["destination_index"] == 1
    assert events.index(said[0]) < events.index(lost)
    report = json.loads(Path(events[-1]["reports"][0]).read_text())
    local = {d["status"] for f in report["files"] for d in f["destinations"] if d["index"] == 0}
    assert local == {"verified"}, local  # the other destination goes on
    # What it meant to delete there is named as left, not sent (never waited out).
    left = json.dumps(events[-1]["left_behind"])
    assert "not sent" in left and "CLIPS/C0" in left, left


def test_a_server_stopped_for_a_while_is_waited_for(  # type: ignore[no-untyped-def]
    tmp_path, short_reads
) -> None:
    card = _card(tmp_path, 24, 1024 * 1024)

    def stop_a_while(server: S3Server, bucket: str, stopped: list[float]) -> None:
        _first_clip_stored(server.url, bucket)  # mid-copy: the other clips to come
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            stopped.append(time.monotonic())
            time.sleep(WAIT_SAID_S + 2)  # long enough to be said, within the budget
        finally:
            os.kill(server.process.pid, signal.SIGCONT)

    code, events, err = _run_stopping(tmp_path, card, stop_a_while)
    assert code == 0, err + json.dumps(events[-3:])[-3000:]
    assert not [e for e in events if e["event"] == "destination_lost"]
    said = [e for e in events if e["event"] == "destination_not_answering"]
    assert [e["state"] for e in said] == ["retrying", "answering"], said
    report = json.loads(Path(events[-1]["reports"][0]).read_text())
    for file in report["files"]:
        assert [d["status"] for d in file["destinations"]] == ["verified", "verified"]
    assert events[-1]["left_behind"]["count"] == 0, events[-1]["left_behind"]


@pytest.mark.parametrize("quiet", [False, True])
def test_the_words_without_a_live_view_and_with_quiet(  # type: ignore[no-untyped-def]
    proxy, bucket, tmp_path, short_reads, quiet
) -> None:
    """stderr not a terminal: the waiting line printed, then that it was given up on;
    ``--quiet``: neither (the summary's verdict alone)."""
    card = _card(tmp_path, 12, 1024 * 1024)
    thread = _hang_once_stored(proxy, bucket)
    out, err = io.StringIO(), io.StringIO()
    dest = tmp_path / "dest"
    dest.mkdir()
    argv = ["copy", *(["--quiet"] if quiet else []), "--report-dir", str(tmp_path / "r")]
    argv += ["--s3-endpoint", proxy.url, str(card), str(dest), f"s3://{bucket}/day1"]
    try:
        code = main(argv, Environment(stdout=out, stderr=err, install_signal_handlers=False))
    finally:
        proxy.release()
        thread.join(30)
    assert code == 1, err.getvalue()
    said = err.getvalue()
    waiting = f"waiting for s3://{bucket}/day1: not answering since "
    given_up = f"s3://{bucket}/day1: not answering since "
    if quiet:
        assert "not answering" not in said + out.getvalue(), said
        return
    assert said.count(waiting) == 1 and said.count("(retrying)") == 1, said
    lines = [line for line in said.splitlines() if line.startswith(given_up)]
    assert len(lines) == 1 and lines[0].endswith("given up on (lost)"), lines
    assert said.index(waiting) < said.index(lines[0])


@pytest.fixture
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """As ``short_reads``, and 1 s to connect (10 s by default): a part's body is sent under
    the connect timeout (urllib3), so a part stuck on a stopped server gives up in seconds."""
    real = s3_module.make_client

    def made(settings: S3Settings) -> Any:
        if settings.read_timeout_s == S3Settings.read_timeout_s:
            # Parts of 24 MiB, more than the sockets' buffers take in: a part's body stalls.
            settings = replace(
                settings, read_timeout_s=1.0, connect_timeout_s=1.0, part_size=24 * 1024 * 1024
            )
        return real(settings)

    monkeypatch.setattr(s3_module, "make_client", made)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "4")


def test_a_server_stopped_mid_multipart_is_lost_by_its_parts(  # type: ignore[no-untyped-def]
    tmp_path, short_waits
) -> None:
    """A clip above the part size (the common case: camera clips are large), the server
    stopped for good once its upload is started: the parts' bodies stall and they fail with
    a connection closed, not a read timeout. That sets the latch (nothing answered since
    they started), so the upload's abort is not sent to wait out its own retries (9 read
    timeouts of 60 s by default): "lost" is said before the destination is lost."""
    card = _card(tmp_path, 1, 80 * 1024 * 1024)

    def stop_mid_upload(server: S3Server, bucket: str, stopped: list[float]) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            # The upload's record stored: its parts are being sent.
            listed = admin(server.url).list_objects_v2(
                Bucket=bucket, Prefix="day1/.offload/uploads/"
            )
            if listed.get("KeyCount", 0) >= 1:
                break
            time.sleep(0.01)
        os.kill(server.process.pid, signal.SIGSTOP)
        stopped.append(time.monotonic())

    code, events, err = _run_stopping(tmp_path, card, stop_mid_upload)
    assert code == 1, err
    said = [e for e in events if e["event"] == "destination_not_answering"]
    assert [e["state"] for e in said] == ["retrying", "lost"], said
    (lost,) = [e for e in events if e["event"] == "destination_lost"]
    assert lost["destination_index"] == 1
    # Lost by the parts' own failure, not by the abort's retries waited out after it.
    assert events.index(said[-1]) < events.index(lost), (said, lost)
    left = json.dumps(events[-1]["left_behind"])
    assert "not sent" in left, left  # the abort kept back, named as left
    report = json.loads(Path(events[-1]["reports"][0]).read_text())
    local = {d["status"] for f in report["files"] for d in f["destinations"] if d["index"] == 0}
    assert local == {"verified"}, local


def test_pfndispatchcopy_says_a_bucket_not_answering_on_stderr(  # type: ignore[no-untyped-def]
    proxy, bucket, tmp_path, short_reads
) -> None:
    """``pfndispatchcopy`` to a drive and a bucket whose service holds the clip's PUT (the
    bucket checked first, answered): a ``WARNING:`` line says it waits for the bucket, then
    one that it was given up on; nothing of it on stdout, whose lines are Pomfort's (its
    hash line: the drive's copy verified). Failed before: the job's sink was never told (no
    line at all), ~9 s of silence with 1 s read timeouts, ~9.5 min by default."""
    from offload.cli.pfndispatchcopy import main as pfndispatchcopy

    clip = tmp_path / "clip.mov"
    clip.write_bytes(os.urandom(64 * 1024))  # within the sockets' buffers: its body sent
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1/clip.mov"
    proxy.hold("PUT", f"/{bucket}/day1/clip.mov")
    out, err = io.StringIO(), io.StringIO()
    try:
        code = pfndispatchcopy(
            ["-v", "--s3-endpoint", proxy.url, str(clip), str(local), url],
            Environment(stdout=out, stderr=err, install_signal_handlers=False),
        )
    finally:
        proxy.release()
    said = err.getvalue()
    assert code == 1, said
    waiting = [line for line in said.splitlines() if line.startswith("WARNING: waiting for ")]
    assert waiting == [line for line in waiting if line.endswith("(retrying)")], said
    assert len(waiting) == 1 and waiting[0].startswith(f"WARNING: waiting for {url}: "), said
    lost = [line for line in said.splitlines() if line.endswith("given up on (lost)")]
    assert len(lost) == 1 and lost[0].startswith(f"WARNING: {url}: not answering since "), said
    assert said.index(waiting[0]) < said.index(lost[0])
    assert "not answering" not in out.getvalue(), out.getvalue()
    assert "hash XXH64BE:" in out.getvalue()  # the drive's copy verified all the same
