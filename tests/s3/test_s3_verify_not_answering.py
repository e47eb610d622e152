"""``offload verify s3://`` against a service that stops answering mid-check (a server process
stopped for real with SIGSTOP: it accepts connections, it never answers). Each object's GET
waits its read timeouts and retries; the copy's latch (``s3unreachable``), shared by the
check's clients, gives the service up once a GET gave up with nothing answered since it
started and the latch's probe (one HeadBucket, sent once) got no answer either (made ``lone``:
one GET alone may be one slow object): the objects after it are not sent a GET, each
``unreadable`` in words that say the service did not answer (never changed, never missing),
exit 11. Read timeouts of 1 s and 6
attempts (60 s and 9 by default) so one GET gives up in seconds."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from offload.destinations import s3 as s3_module
from offload.destinations.s3config import S3Settings
from s3.conftest import S3Server, new_bucket, start_server, stop_server
from s3.test_s3_cli import offload
from s3.test_s3_verify import verify
from support.tcpproxy import FaultProxy

OBJECTS = 20


@pytest.fixture
def short_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check's clients wait 1 s for an answer (60 s by default), 6 attempts."""
    real = s3_module.make_client

    def made(settings: S3Settings) -> Any:
        if settings.read_timeout_s == S3Settings.read_timeout_s:
            settings = replace(settings, read_timeout_s=1.0, connect_timeout_s=1.0)
        return real(settings)

    monkeypatch.setattr(s3_module, "make_client", made)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "6")


@contextmanager
def _offloaded(
    tmp_path: Path, objects: int, size: int, proxy_type: type[FaultProxy] = FaultProxy
) -> Iterator[tuple[S3Server, FaultProxy, str]]:
    """A card of *objects* clips of *size* random bytes (tmp_path/A001) offloaded to a new
    bucket's ``day1`` of a test server of its own (stopped for real by one test: no other
    test's requests on it), the check to reach it through a proxy of *proxy_type*: the
    server, the proxy and the bucket's name. At the end every request held is let go, the
    proxy closed and the server stopped."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for n in range(objects):
        (card / "CLIPS" / f"C{n:03d}.mov").write_bytes(os.urandom(size))
    server = start_server()
    proxy = proxy_type(server.port)
    try:
        bucket = new_bucket(server.url)
        code, _, err = offload(
            tmp_path, "--s3-endpoint", server.url, str(card), f"s3://{bucket}/day1"
        )
        assert code == 0, err
        yield server, proxy, bucket
    finally:
        proxy.release()
        proxy.close()
        stop_server(server)


@pytest.mark.parametrize("append", [False, True])
def test_a_service_that_stops_answering_mid_verify_is_given_up_on(  # type: ignore[no-untyped-def]
    tmp_path: Path, short_reads, append
) -> None:
    stopped: list[float] = []
    with _offloaded(tmp_path, OBJECTS, 64 * 1024) as (server, proxy, bucket):
        # The first object's GET held at the proxy, the server stopped, then the GET let go
        # to it: the listing and the records were answered, no object will be.
        proxy.hold("GET", "/day1/A001/CLIPS/")

        def stop_at_the_first_get() -> None:
            if proxy.held.wait(60):
                os.kill(server.process.pid, signal.SIGSTOP)
                stopped.append(time.monotonic())
                proxy.release()

        thread = threading.Thread(target=stop_at_the_first_get, daemon=True)
        thread.start()
        try:
            code, out, err = verify(
                tmp_path, proxy.url, *(["--append"] if append else []), f"s3://{bucket}/day1/A001"
            )
            thread.join(30)
        finally:
            proxy.release()
            os.kill(server.process.pid, signal.SIGCONT)
    assert stopped, "the server was never stopped"
    assert code == 11, out + err
    # The GETs given up on (their attempts), no other object's GET sent. Before: each of the
    # 20 waited its own 6 attempts (120 GETs, ~230 s here; ~9.5 min an object by default).
    # One GET given up and the latch's probe unanswered give the service up (a lone
    # latch), that GET not counted where something was answered since it started (the
    # lock's refresh of --append, just before the stop): then the next one is.
    gets = [t for _, m, t in proxy.arrivals if m == "GET" and "/A001/CLIPS/" in t]
    sent = sorted({"CLIPS/" + t.rsplit("/", 1)[1] for t in gets})
    assert sent[0] == "CLIPS/C000.mov" and 1 <= len(sent) <= 2, gets
    # --append's lock: its release not sent either (it waited its own attempts before,
    # ~9.5 min by default, after the report): the next --append or copy takes a stale
    # check's lock over.
    deletes = [t for _, m, t in proxy.arrivals if m == "DELETE"]
    assert not deletes, deletes
    (report,) = (tmp_path / "vreports").glob("verify_*.json")
    data = json.loads(report.read_text())
    # That lock is named as left, and what becomes of it (failed before: named nowhere).
    left = [n for n in data["notes"] if "/day1/A001/.offload/lock" in n]
    if append:
        assert len(left) == 1 and "the next offload into it takes it over" in left[0], data
        objects = data["left_behind"]["objects"]
        assert len(objects) == 1 and ".offload/lock" in json.dumps(objects[0]), data
    else:
        assert not left and data["left_behind"]["count"] == 0, data
    names = [f"CLIPS/C{n:03d}.mov" for n in range(OBJECTS)]
    assert sorted(data["unreadable"]) == names, data
    assert not data["changed"] and not data["missing"] and not data["verified"], data
    reasons = data["reasons"]
    assert {reasons[n]["code"] for n in names} == {"get-failed"}
    for name in sent:
        text = reasons[name]["text"]
        assert text.startswith("its GET got no answer: the service answered nothing since "), text
    for name in names[len(sent) :]:
        text = reasons[name]["text"]
        assert text.startswith("not read: the service answered nothing since "), text
        assert f"(the GET of {sent[-1]} got none), so no GET was sent" in text, text
        assert text.endswith("check it again once the service answers; it is not verified")
    # Nothing sent to revoke the ledger's record either: the check gave the service up.
    (note,) = [n for n in data["notes"] if "ledger record" in n]
    assert "not sent: an earlier request of this run found so" in note, note
    # In the objects' words (failed before: "the service cannot be reached (ReadTimeoutError)").
    assert "the service answered nothing (ReadTimeoutError)" in note, note
    assert "cannot be reached" not in note, note
    # While it waited, the line said so (stderr no terminal: printed once), then that the
    # bucket was given up on. Failed before: the check said nothing while it waited.
    url = f"s3://{bucket}/day1/A001"
    waiting = [line for line in err.splitlines() if line.startswith(f"waiting for {url}: ")]
    assert len(waiting) == 1 and waiting[0].endswith("(retrying)"), err
    lost = [line for line in err.splitlines() if line.endswith("given up on (lost)")]
    assert len(lost) == 1 and lost[0].startswith(f"{url}: not answering since "), err
    assert err.index(waiting[0]) < err.index(lost[0])
    for said in (out, err, json.dumps(data)):  # never damaged nor missing
        assert "CHANGED" not in said and "MISSING" not in said, said
    unreadable = [line for line in err.splitlines() if line.startswith("ERROR: UNREADABLE")]
    assert len(unreadable) == OBJECTS, err
    assert not [line for line in unreadable if "cannot be reached" in line], unreadable


def test_one_object_that_never_answers_leaves_the_others_verified_and_revoked(  # type: ignore[no-untyped-def]
    tmp_path: Path, short_reads
) -> None:
    """One object's GET held at the proxy on every attempt (a bad disk under one object, a
    remote tier fetching it back), the service answering everything else. The check reads
    its GETs one after another, so nothing else is ever in flight beside that GET: a lone
    GET given up is no proof that the service answers nothing. Failed before: the latch
    was set on it, the 7 other objects were not read ("the service answered nothing"),
    the bucket was "given up on (lost)" and the slow object's ledger record was not
    revoked (the next copy trusted it as verified earlier)."""
    with _offloaded(tmp_path, 8, 16 * 1024) as (_, proxy, bucket):
        proxy.hold("GET", "/day1/A001/CLIPS/C000.mov HTTP")
        code, out, err = verify(tmp_path, proxy.url, f"s3://{bucket}/day1/A001")
    assert code == 11, out + err
    gets = {t.rsplit("/", 1)[1] for _, m, t in proxy.arrivals if m == "GET" and "/CLIPS/" in t}
    assert gets == {f"C{n:03d}.mov" for n in range(8)}, gets
    (report,) = (tmp_path / "vreports").glob("verify_*.json")
    data = json.loads(report.read_text())
    assert data["unreadable"] == ["CLIPS/C000.mov"], data
    assert sorted(data["verified"]) == [f"CLIPS/C{n:03d}.mov" for n in range(1, 8)], data
    assert data["revoked"] == ["CLIPS/C000.mov"], data
    text = data["reasons"]["CLIPS/C000.mov"]["text"]
    # The service answered the other GETs: never "the service answered nothing".
    assert "answered nothing" not in text and "timed out on every attempt" in text, text
    assert "given up on (lost)" not in err and "not revoked" not in err, err


class _GoesDownWhole(FaultProxy):
    """A proxy whose ``go_down`` forwards nothing more, a request it held included:
    ``FaultProxy.go_down`` lets the held requests go before it closes their sockets, so a
    held GET could still be forwarded and answered (seen once here, on a loaded machine)."""

    def go_down(self) -> None:
        with self._lock:
            self._down = True
        super().go_down()

    close = go_down

    def _pass_gate(self, method: str, head: bytes) -> None:
        if self._down:
            raise OSError("the proxy went down")  # ``_serve`` closes the connection
        super()._pass_gate(method, head)


def test_a_service_gone_mid_verify_is_said_unreachable_not_silent(  # type: ignore[no-untyped-def]
    tmp_path: Path, short_reads
) -> None:
    """The proxy (the service's only way in) goes down as C003's GET arrives: that GET's
    connection is closed, its retries refused. The latch is set by a connection refused,
    so the objects after it are not sent a GET, and their reasons say so without claiming
    the service "answered nothing" (it could not be reached). Failed before: they said
    "not read: the service answered nothing since ... (the GET of CLIPS/C003.mov got
    none)", the refused attempts taken for a silent service."""
    with _offloaded(tmp_path, 8, 16 * 1024, _GoesDownWhole) as (_, proxy, bucket):
        proxy.hold("GET", "/day1/A001/CLIPS/C003.mov HTTP")

        def down_at_c003() -> None:
            if proxy.held.wait(60):
                proxy.close()

        thread = threading.Thread(target=down_at_c003, daemon=True)
        thread.start()
        code, out, err = verify(tmp_path, proxy.url, f"s3://{bucket}/day1/A001")
        thread.join(30)
    assert code == 11, out + err
    (report,) = (tmp_path / "vreports").glob("verify_*.json")
    data = json.loads(report.read_text())
    assert sorted(data["verified"]) == [f"CLIPS/C{n:03d}.mov" for n in range(3)], data
    after = [f"CLIPS/C{n:03d}.mov" for n in range(4, 8)]
    assert sorted(data["unreadable"]) == ["CLIPS/C003.mov", *after], data
    for name in ["CLIPS/C003.mov", *after]:
        text = data["reasons"][name]["text"]
        assert "answered nothing" not in text, text
        assert "cannot be reached" in text, text
    for name in after:
        assert data["reasons"][name]["text"].startswith("not read: no GET was sent ("), data


class _HalfAnswers(FaultProxy):
    """Answers each intercepted request with the server's answer head and the first half of
    its body, then nothing more: an answer that stops (the client's read times out)."""

    def _intercepted(self, rule: Any, head: bytes, body: bytes) -> bytes:
        answer_head, data = self._side_request(head, body)
        return answer_head + b"\r\n\r\n" + bytes(data[: len(data) // 2])


def test_an_answer_that_stops_is_not_said_as_a_service_answering_nothing(  # type: ignore[no-untyped-def]
    tmp_path: Path, short_reads
) -> None:
    """Every GET of C000 answered, its body stopping half-way: the service answered, so its
    reason never says "the service answered nothing", and the other objects are verified.
    Failed before: "its GET got no answer: the service answered nothing, its read timed
    out on every attempt"."""
    with _offloaded(tmp_path, 4, 16 * 1024, _HalfAnswers) as (_, proxy, bucket):
        proxy.intercept("GET", "/day1/A001/CLIPS/C000.mov HTTP", flip=True, count=100)
        code, out, err = verify(tmp_path, proxy.url, f"s3://{bucket}/day1/A001")
    assert code == 11, out + err
    (report,) = (tmp_path / "vreports").glob("verify_*.json")
    data = json.loads(report.read_text())
    assert data["unreadable"] == ["CLIPS/C000.mov"], data
    assert sorted(data["verified"]) == [f"CLIPS/C{n:03d}.mov" for n in range(1, 4)], data
    text = data["reasons"]["CLIPS/C000.mov"]["text"]
    assert "answered nothing" not in text and "no answer" in text, text
    assert "or an answer that stopped" in text, text
