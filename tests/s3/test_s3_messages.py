"""What an S3 error says: the endpoint botocore really talks to (a profile's ``endpoint_url``
too), a TLS certificate failure named as one (not "cannot be reached"), the preflight's
operation and why it failed (a service without an operation, a busy one, retried as botocore's
own retries would), and the chain URL of a manifest error under the card's folder."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from offload.errors import UsageError
from s3.conftest import admin, destination
from s3.test_s3_cli import make_card, offload


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_profile_endpoint_named_in_the_refusal(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No flag, no variable: the profile's endpoint_url (~/.aws/config) is the one named, not
    "the AWS default endpoint"."""
    port = _dead_port()
    config = tmp_path / "aws-config"
    config.write_text(f"[default]\nendpoint_url = http://127.0.0.1:{port}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    card = make_card(tmp_path, {"a.wav": 1000})
    code, out, err = offload(tmp_path, str(card), "s3://rushes/day1")
    assert code == 64, out + err
    assert f"http://127.0.0.1:{port}" in err
    assert "AWS default" not in err


def test_unknown_profile_names_the_files_actually_read(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A profile in neither file: the refusal names the config and credentials files botocore
    read (``AWS_CONFIG_FILE``, ``AWS_SHARED_CREDENTIALS_FILE``), not ~/.aws's, in one line,
    exit 64, nothing written. Failed before: it always named ~/.aws/config."""
    config = tmp_path / "shoot-config"
    config.write_text("[profile other]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    credentials = tmp_path / "shoot-credentials"
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    card = make_card(tmp_path, {"a.wav": 1000})
    local = tmp_path / "local"
    local.mkdir()
    code, out, err = offload(
        tmp_path, "--s3-profile", "nope", str(card), str(local), "s3://rushes/day1"
    )
    assert code == 64, out + err
    said = [line for line in err.splitlines() if line.strip()]
    assert len(said) == 1, said
    assert f"'nope' is not in {config} or {credentials}" in said[0], said[0]
    assert "~/.aws" not in said[0]
    assert not any(local.iterdir())


def test_profile_endpoint_used_for_a_copy(s3_server, bucket, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "aws-config"
    config.write_text(f"[default]\nendpoint_url = {s3_server.url}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    card = make_card(tmp_path, {"a.wav": 1000})
    code, out, err = offload(tmp_path, str(card), f"s3://{bucket}/day1")
    assert code == 0, out + err
    stored = admin(s3_server.url).get_object(Bucket=bucket, Key="day1/A001/a.wav")
    assert stored["Body"].read() == (card / "a.wav").read_bytes()


@pytest.fixture
def self_signed(tmp_path: Path) -> Iterator[str]:
    """An HTTPS listener whose certificate no CA vouches for (a self-signed TLS front)."""
    key, cert = tmp_path / "tls.key", tmp_path / "tls.crt"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                context.wrap_socket(client, server_side=True).close()
            except (OSError, ssl.SSLError):
                client.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_self_signed_certificate_named_in_the_preflight(self_signed) -> None:  # type: ignore[no-untyped-def]
    dest = destination(self_signed, "rushes", max_attempts=1)
    try:
        with pytest.raises(UsageError) as caught:
            dest.check()
        message = str(caught.value)
        assert "certificate" in message and "AWS_CA_BUNDLE" in message, message
        assert "cannot be reached" not in message and _balanced(message), message
    finally:
        dest.close()


def test_self_signed_certificate_named_in_a_request_error(self_signed) -> None:  # type: ignore[no-untyped-def]
    dest = destination(self_signed, "rushes", max_attempts=1)
    try:
        with pytest.raises(OSError) as caught:
            dest.stat_key("cards/a.wav")
        assert "certificate" in str(caught.value) and "AWS_CA_BUNDLE" in str(caught.value)
    finally:
        dest.close()


def _balanced(text: str) -> bool:
    return text.count("(") == text.count(")")


def test_https_endpoint_of_a_plain_http_service_is_not_called_a_certificate_problem(
    s3_server, bucket
) -> None:  # type: ignore[no-untyped-def]
    """An https:// endpoint of a service that answers in plain HTTP: OpenSSL's "wrong version
    number", no certificate ever seen. The line says the service does not answer in TLS and
    to give http://, with its parentheses closed, in the preflight and in a request's error.
    Failed before: "the TLS certificate of the service is not trusted ([SSL:
    WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006); … point AWS_CA_BUNDLE …"."""
    dest = destination(s3_server.url.replace("http://", "https://", 1), bucket, max_attempts=1)
    try:
        with pytest.raises(UsageError) as refused:
            dest.check()
        with pytest.raises(OSError) as failed:
            dest.stat_key("cards/a.wav")
    finally:
        dest.close()
    for message in (str(refused.value), str(failed.value)):
        assert "does not answer in TLS" in message and "http://" in message, message
        assert "certificate" not in message and "AWS_CA_BUNDLE" not in message, message
        assert "_ssl.c" not in message and _balanced(message), message
    assert "\n" not in str(refused.value)


def test_service_without_list_multipart_uploads(proxy, bucket) -> None:  # type: ignore[no-untyped-def]
    """s3rver 3.7.1 answers ListMultipartUploads 501 NotImplemented."""
    proxy.intercept("GET", "uploads", status=501, code="NotImplemented")
    dest = destination(proxy.url, bucket)
    try:
        with pytest.raises(UsageError) as caught:
            dest.check()
        message = str(caught.value)
        assert "does not support ListMultipartUploads" in message, message
        assert f"s3://{bucket}/cards" in message and "\n" not in message
    finally:
        dest.close()


def test_busy_service_retried_then_passes(proxy, bucket) -> None:  # type: ignore[no-untyped-def]
    """Three 503 SlowDown at the start: more than the quick client's two attempts, fewer than
    the destination's own retries (botocore's standard mode): the check passes."""
    proxy.slow_down_next(3)
    dest = destination(proxy.url, bucket)
    try:
        dest.check()
        assert proxy.stats.slowed == 3
    finally:
        dest.close()


def test_busy_service_said_busy(proxy, bucket) -> None:  # type: ignore[no-untyped-def]
    """The attempts the line counts are the requests the service answered SlowDown: the
    quick client's two, then the destination's four (``max_attempts`` 3: retries after the
    first). Failed before: the quick client made three, and the line said 3 of 7."""
    proxy.slow_down_next(50)
    dest = destination(proxy.url, bucket, max_attempts=3)
    try:
        with pytest.raises(UsageError) as caught:
            dest.check()
        message = str(caught.value)
        assert "busy or failing" in message and "HeadBucket" in message, message
        assert "503" in message and "try again" in message
        assert proxy.stats.slowed == 2 + 4
        assert "after 6 attempts" in message, message
    finally:
        dest.close()


def test_missing_chain_file_named_under_the_card_folder(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The QA's repro: the chain file deleted by hand, a file added, copied again: the error
    names the chain URL that really is missing (the card's folder kept in it)."""
    card = make_card(tmp_path, {"a.wav": 1000})
    url = f"s3://{bucket}/hist"
    code, _out, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, err
    admin(s3_server.url).delete_object(Bucket=bucket, Key="hist/A001/ascmhl/ascmhl_chain.xml")
    (card / "b.wav").write_bytes(b"more" * 100)
    code, out, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 1, out + err
    assert f"{url}/A001/ascmhl/ascmhl_chain.xml" in out + err
    assert f"{url}/ascmhl/" not in out + err


@pytest.mark.parametrize(
    ("status", "code", "advice"),
    [
        # A refusal of these credentials (403 AccessDenied) loses that destination alone, the
        # others copied: ``test_s3_rerun_unreadable``.
        (
            500,
            "InternalError",
            " (the service kept failing after the retries) (EIO): run the same command again "
            "once the service answers; nothing was copied",
        ),
        # The service answered, refusing the request for another reason than these
        # credentials: not "once the service answers" (failed before: so it said).
        (
            400,
            "InvalidRequest",
            " (EINVAL): check the bucket, the endpoint and the network, then run the same "
            "command again; nothing was copied",
        ),
    ],
)
def test_a_bucket_ledger_that_cannot_be_read_is_named_by_its_url(  # type: ignore[no-untyped-def]
    s3_server, proxy, bucket, tmp_path, monkeypatch, status: int, code: str, advice: str
) -> None:
    """A re-run into a copy root whose ledger objects' GET keeps failing or is refused for
    another reason than these credentials: one line naming the ledger by its s3:// URL, with advice
    fitting the answer, exit 64. Failed before: "cannot read /s3:/bucket/.../.offload/ledger:
    ...; fix or move it away" (the engine's stand-in path, and advice for a local file that
    would lose what the ledger vouches for)."""
    card = make_card(tmp_path, {"a.wav": 1000})
    url = f"s3://{bucket}/day1"
    code_, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code_ == 0, err
    proxy.intercept("GET", "/.offload/ledger/", status=status, code=code, count=1000)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code_, out, err = offload(tmp_path, "--s3-endpoint", proxy.url, str(card), url)
    assert code_ == 64, out + err
    line = err.strip()
    assert "\n" not in line and "/s3:/" not in line, line
    # The one wording of a copy root's records unread (``s3unread``, as offload verify's):
    # the ledger, then the object refused by its URL (the bucket), the endpoint and the
    # service's code, then what to do.
    ledger = f"{url}/A001/.offload/ledger"
    assert line.startswith(f"ERROR: cannot read the ledger {ledger}: cannot read {ledger}/"), line
    assert f".jsonl ({proxy.url}): {code} intercepted by the test proxy" in line, line
    assert line.endswith(advice), line
    assert "move it away" not in line
