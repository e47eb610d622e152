"""A service that accepted the connection but answered nothing within the read timeout is
said so, with that timeout ("did not answer within 1 s (read timeout"), never as a service
that "cannot be reached": in a copy's lost line and report, and in ``offload verify s3://``.
And a lone ``offload verify s3://`` of a hung service gives it up after one object's GET and
the latch's probe (``s3unreachable``: one HeadBucket, sent once with the store's own
timeouts, that got no answer either), not two objects' budgets, while one slow object of a
service that answers, even late, still sets nothing. Real parts: the suite's S3 server (one
of its own, stopped for real with SIGSTOP), the fault proxy holding or delaying requests,
real boto3 clients; read timeouts of 1-5 s (60 s in real life)."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from offload.destinations import s3 as s3_module
from offload.destinations.s3config import S3Settings
from s3.conftest import new_bucket, start_server, stop_server
from s3.test_s3_cli import offload
from s3.test_s3_not_answering import _card, _hang_once_stored, _run
from s3.test_s3_verify import verify
from support.tcpproxy import FaultProxy

OBJECTS = 8


def _shorten(
    monkeypatch: pytest.MonkeyPatch, *, read_s: float, connect_s: float, attempts: int
) -> None:
    """Every client ``s3.make_client`` makes (the store's, its clean-up's) waits at most
    *connect_s* to connect and *read_s* for an answer (10 s and 60 s by default), *attempts*
    attempts (9); the probe, made like the store's client, waits as long, once."""
    real = s3_module.make_client

    def made(settings: S3Settings) -> Any:
        return real(
            replace(
                settings,
                read_timeout_s=min(settings.read_timeout_s, read_s),
                connect_timeout_s=min(settings.connect_timeout_s, connect_s),
            )
        )

    monkeypatch.setattr(s3_module, "make_client", made)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", str(attempts))


@pytest.fixture
def short_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """1 s to connect and to answer, 6 attempts (``_shorten``)."""
    _shorten(monkeypatch, read_s=1.0, connect_s=1.0, attempts=6)


def test_a_copy_lost_to_read_timeouts_says_the_service_did_not_answer(  # type: ignore[no-untyped-def]
    proxy, bucket, tmp_path, short_everything
) -> None:
    """Every request held at the proxy once a clip is stored: the bucket's requests give up
    on read timeouts. Failed before: "the service cannot be reached (ReadTimeoutError)"."""
    card = _card(tmp_path, 12, 1024 * 1024)
    thread = _hang_once_stored(proxy, bucket)
    try:
        code, events, err = _run(tmp_path, proxy.url, f"s3://{bucket}/day1", card)
    finally:
        proxy.release()
        thread.join(30)
    assert code == 1, err
    (lost,) = [e for e in events if e["event"] == "destination_lost"]
    said = json.dumps(lost)
    assert "did not answer within 1 s (read timeout" in said, said
    assert "the request sent, but no answer came" in said, said
    assert "cannot be reached" not in said, said
    report = Path(events[-1]["reports"][0]).read_text()
    assert "did not answer within 1 s (read timeout" in report
    assert "cannot be reached (ReadTimeoutError)" not in report


def test_verify_whose_listing_times_out_says_the_service_did_not_answer(  # type: ignore[no-untyped-def]
    tmp_path: Path, short_everything
) -> None:
    """The copy root's listing held at the proxy (the preflight's HeadBucket answered): one
    line naming the URL and what was seen. Failed before: "the service cannot be reached
    (ReadTimeoutError)", though it had just answered the preflight."""
    card = _card(tmp_path, 2, 16 * 1024)
    server = start_server()
    proxy = FaultProxy(server.port)
    try:
        bucket = new_bucket(server.url)
        code, _, err = offload(
            tmp_path, "--s3-endpoint", server.url, str(card), f"s3://{bucket}/day1"
        )
        assert code == 0, err
        proxy.hold("GET", "list-type=2")
        code, out, err = verify(tmp_path, proxy.url, f"s3://{bucket}/day1/A001")
    finally:
        proxy.release()
        proxy.close()
        stop_server(server)
    assert code == 64, out + err
    # The preflight's own listing (its client: 15 s to answer).
    assert re.search(r"the service did not answer within \d+ s \(read timeout", err), err
    assert "cannot be reached" not in err, err


def test_a_hung_service_is_given_up_after_one_object_by_the_probe(  # type: ignore[no-untyped-def]
    tmp_path: Path, short_everything
) -> None:
    """The server stopped for real as the first object's GET arrives. That GET gives up
    (6 attempts of 1 s and their back-offs); the latch's probe, one HeadBucket sent once
    with the store's own 1 s, gets no answer either: the service is given up on, no other
    object's GET sent. Failed before: a lone latch needed a second object's GET to give up
    the same (two budgets: C000's and C001's GETs sent); and the probe sent two HEADs."""
    card = _card(tmp_path, OBJECTS, 16 * 1024)
    server = start_server()  # its own: stopped for real, no other test's requests on it
    proxy = FaultProxy(server.port)
    stopped: list[float] = []
    try:
        bucket = new_bucket(server.url)
        code, _, err = offload(
            tmp_path, "--s3-endpoint", server.url, str(card), f"s3://{bucket}/day1"
        )
        assert code == 0, err
        proxy.hold("GET", "/day1/A001/CLIPS/")

        def stop_at_the_first_get() -> None:
            if proxy.held.wait(60):
                os.kill(server.process.pid, signal.SIGSTOP)
                stopped.append(time.monotonic())
                proxy.release()

        thread = threading.Thread(target=stop_at_the_first_get, daemon=True)
        thread.start()
        began = time.monotonic()
        code, out, err = verify(tmp_path, proxy.url, f"s3://{bucket}/day1/A001")
        waited = time.monotonic() - began
        thread.join(30)
    finally:
        proxy.release()
        os.kill(server.process.pid, signal.SIGCONT)
        proxy.close()
        stop_server(server)
    assert stopped, "the server was never stopped"
    print(f"verify of a hung service: {waited:.1f} s")  # measured, never asserted
    assert code == 11, out + err
    arrivals = list(proxy.arrivals)
    gets = [(i, t) for i, (_, m, t) in enumerate(arrivals) if m == "GET" and "/CLIPS/" in t]
    assert {t.rsplit("/", 1)[1].split(" ")[0] for _, t in gets} == {"C000.mov"}, gets
    # The probe: one HEAD of the bucket after C000's GETs, sent once (failed before: two,
    # its client's max_attempts=1 being one retry).
    heads = [i for i, (_, m, t) in enumerate(arrivals) if m == "HEAD" and i > gets[-1][0]]
    assert len(heads) == 1, arrivals
    (report,) = (tmp_path / "vreports").glob("verify_*.json")
    data = json.loads(report.read_text())
    names = [f"CLIPS/C{n:03d}.mov" for n in range(OBJECTS)]
    assert sorted(data["unreadable"]) == names, data
    assert not data["verified"] and not data["changed"] and not data["missing"], data
    # The timeout waited, named (failed before: "its read timed out on every attempt: ").
    text = data["reasons"]["CLIPS/C000.mov"]["text"]
    assert "its read timed out on every attempt (no answer within 1 s): check" in text, text
    for name in names[1:]:
        text = data["reasons"][name]["text"]
        assert "(the GET of CLIPS/C000.mov got none), so no GET was sent" in text, text
    lost = [line for line in err.splitlines() if line.endswith("given up on (lost)")]
    assert len(lost) == 1, err


def test_two_slow_objects_in_a_row_of_a_service_that_answers_give_nothing_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The GETs of C000 and C001, one after the other, held at the proxy on every attempt
    (two objects on a bad disk, or being fetched back from a remote tier), the service
    answering everything else: the probe asked after each is answered, so the other objects
    are read and verified. Failed before: two GETs in a row given up with nothing answered
    between them set a lone latch: C002-C007 not read ("the service answered nothing"), the
    bucket "given up on (lost)". 3 s to answer, 2 attempts: the probe, which has the
    store's timeouts and one attempt, is answered in time on a loaded machine too."""
    _shorten(monkeypatch, read_s=3.0, connect_s=3.0, attempts=2)
    card = _card(tmp_path, OBJECTS, 16 * 1024)
    server = start_server()
    proxy = FaultProxy(server.port)
    try:
        bucket = new_bucket(server.url)
        code, _, err = offload(
            tmp_path, "--s3-endpoint", server.url, str(card), f"s3://{bucket}/day1"
        )
        assert code == 0, err
        proxy.hold("GET", "/day1/A001/CLIPS/C000.mov HTTP")
        proxy.hold("GET", "/day1/A001/CLIPS/C001.mov HTTP", also=True)
        code, out, err = verify(tmp_path, proxy.url, f"s3://{bucket}/day1/A001")
    finally:
        proxy.release()
        proxy.close()
        stop_server(server)
    assert code == 11, out + err
    (report,) = (tmp_path / "vreports").glob("verify_*.json")
    data = json.loads(report.read_text())
    assert sorted(data["unreadable"]) == ["CLIPS/C000.mov", "CLIPS/C001.mov"], data
    names = [f"CLIPS/C{n:03d}.mov" for n in range(2, OBJECTS)]
    assert sorted(data["verified"]) == names, data
    for name in ("CLIPS/C000.mov", "CLIPS/C001.mov"):
        text = data["reasons"][name]["text"]
        assert "answered nothing" not in text and "(no answer within 3 s" in text, text
    assert "given up on (lost)" not in err, err


class _SlowHeads(FaultProxy):
    """A proxy that forwards each HEAD (a probe's, a ledger entry's) *HEAD_DELAY_S* late:
    a service slow to answer, but within the read timeout."""

    def _pass_gate(self, method: str, head: bytes) -> None:
        if method == "HEAD":
            time.sleep(HEAD_DELAY_S)
        super()._pass_gate(method, head)


HEAD_DELAY_S = 2.5


def test_a_slow_object_of_a_service_slow_to_answer_heads_gives_nothing_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """C000's GET held at the proxy on every attempt; every HEAD answered 2.5 s late; the
    clients wait 5 s for an answer (standing for 60 s), 2 attempts. C000's GET gives up,
    and the probe, which waits the store's own 5 s, is answered: C001-C003 are read and
    verified, C000 alone unreadable, nothing given up on. Failed before (the probe's
    timeouts capped at 5 s and 10 s, here 1 s and 2 s as the reviewer scaled them, beside
    the GET's 60 s): the probe gave up first, the service was given up on although it
    answered, C001-C003 "not read: the service answered nothing since ...", exit 11."""
    _shorten(monkeypatch, read_s=5.0, connect_s=1.0, attempts=2)
    # The old cap, scaled (no longer read since the probe takes the store's timeouts).
    monkeypatch.setattr(s3_module, "PROBE_TIMEOUTS_S", (1.0, 2.0), raising=False)
    objects = 4
    card = _card(tmp_path, objects, 16 * 1024)
    server = start_server()
    proxy = _SlowHeads(server.port)
    try:
        bucket = new_bucket(server.url)
        code, _, err = offload(
            tmp_path, "--s3-endpoint", server.url, str(card), f"s3://{bucket}/day1"
        )
        assert code == 0, err
        proxy.hold("GET", "/day1/A001/CLIPS/C000.mov HTTP")
        code, out, err = verify(tmp_path, proxy.url, f"s3://{bucket}/day1/A001")
    finally:
        proxy.release()
        proxy.close()
        stop_server(server)
    assert code == 11, out + err
    (report,) = (tmp_path / "vreports").glob("verify_*.json")
    data = json.loads(report.read_text())
    assert data["unreadable"] == ["CLIPS/C000.mov"], data
    names = [f"CLIPS/C{n:03d}.mov" for n in range(1, objects)]
    assert sorted(data["verified"]) == names, data
    text = data["reasons"]["CLIPS/C000.mov"]["text"]
    assert "answered nothing" not in text and "(no answer within 5 s" in text, text
    assert "given up on (lost)" not in err, err
    # The probe: one HeadBucket after the check's listing (a held GET is listed in
    # ``arrivals`` only once let go, at the end), answered.
    arrivals = [(m, t) for _, m, t in proxy.arrivals]
    listing = next(i for i, (m, t) in enumerate(arrivals) if "list-type=2" in t)
    probes = [t for m, t in arrivals[listing:] if m == "HEAD" and t == f"/{bucket}"]
    assert len(probes) == 1, arrivals


def test_the_probe_resolves_no_credentials_again(  # type: ignore[no-untyped-def]
    s3_server, bucket, monkeypatch, tmp_path
) -> None:
    """The profile's credentials come from a ``credential_process`` helper (as an assume-role
    profile's from STS, an MFA profile's from a prompt): the probe signs with the store's
    own, never running the helper again. Failed before: each probe made a client of a new
    session, the helper run once more per probe (an STS call unanswered would have passed
    for the S3 service silent)."""
    from offload.destinations.s3 import S3Destination
    from offload.destinations.s3config import settings_from_env
    from offload.destinations.s3unreachable import UnreachableLatch
    from offload.destinations.s3url import S3Url
    from s3.conftest import ACCESS_KEY, SECRET_KEY

    runs = tmp_path / "helper-runs"
    helper = tmp_path / "helper.py"
    answer = {"Version": 1, "AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET_KEY}
    helper.write_text(
        "import json, sys\n"
        f"with open({str(runs)!r}, 'a') as f:\n"
        "    f.write('run\\n')\n"
        f"print(json.dumps({answer!r}))\n"
    )
    config = tmp_path / "config"
    config.write_text(
        f"[profile dit]\nregion = us-east-1\ncredential_process = {sys.executable} {helper}\n"
    )
    (tmp_path / "credentials").write_text("")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    given = {
        "AWS_ENDPOINT_URL": s3_server.url,
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    store = S3Destination(S3Url(bucket, "day1"), settings_from_env(given, profile="dit"))
    try:
        store.stop_once_unreachable(UnreachableLatch(lone=True))
        store.client.head_bucket(Bucket=bucket)  # the store's own credentials, resolved
        before = runs.read_text().count("run")
        assert before >= 1
        assert store.answers() and store.answers()
        assert runs.read_text().count("run") == before
    finally:
        store.close()
