"""Fixtures of the S3 tests: a real S3 server process (moto's, behind the checksum gate of
``support.s3server``) on a free loopback port, started once a session and stopped by its PID;
a fault proxy in front of it per test; real boto3 clients.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.requirements import unavailable

try:
    import boto3  # noqa: F401
    import moto  # noqa: F401
except ImportError:  # a failure under CI=true (tests/conftest.py), where the extras are installed
    pytest.skip(
        unavailable("boto3 and moto: pip install -e '.[dev,s3]' (make test does)"),
        allow_module_level=True,
    )

from offload.bench.s3server import LocalServer, start_local_server, stop_local_server
from offload.destinations.s3 import S3Destination
from offload.destinations.s3config import S3Settings, make_client
from offload.destinations.s3url import S3Url
from support.tcpproxy import FaultProxy

TESTS = Path(__file__).resolve().parents[1]
ACCESS_KEY = "AKIAOFFLOADTEST00001"
SECRET_KEY = "offload-test-secret-0000000000000000000"


S3Server = LocalServer


def start_server(extra_env: dict[str, str] | None = None, modes: tuple[str, ...] = ()) -> S3Server:
    """moto behind the checksum gate (``support.s3server``) on a free loopback port; *modes*:
    the server's ``--mode`` behaviours of other S3 servers (``ignore-conditions``,
    ``slash-keys``, ``no-checksums``)."""
    env = {**os.environ, **(extra_env or {})}
    env["PYTHONPATH"] = str(TESTS) + os.pathsep + env.get("PYTHONPATH", "")
    flags = [arg for mode in modes for arg in ("--mode", mode)]
    return start_local_server(
        lambda port: [sys.executable, "-m", "support.s3server", "--port", str(port), *flags],
        env=env,
        what="the S3 test server",
    )


def stop_server(server: S3Server) -> None:
    """Stop *server* and drop the admin clients of its URL (a later server may get its port)."""
    for key in [key for key in _ADMIN_CLIENTS if key[0] == server.url]:
        _ADMIN_CLIENTS.pop(key).close()
    stop_local_server(server)


def serving(*modes: str) -> Iterator[S3Server]:
    """A test server of its own in *modes* (``start_server``), for a fixture to ``yield
    from``: stopped (``stop_server``) when the fixture ends."""
    server = start_server(modes=modes)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = start_server()
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Credentials from the environment only: never the machine's ~/.aws."""
    home = tmp_path_factory.mktemp("aws")
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def new_bucket(endpoint: str) -> str:
    """A new, empty bucket on the server at *endpoint* (made with a plain client, not the
    code under test): its name."""
    name = f"t-{secrets.token_hex(6)}"
    admin(endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    """A new, empty bucket on the server (made with a plain client, not the code under test)."""
    return new_bucket(s3_server.url)


@pytest.fixture(scope="module")
def limited() -> Iterator[S3Server]:
    """A server of the module's own that refuses a key longer than S3's 1,024 bytes, as AWS
    does (``support.s3server``'s ``key-limit`` mode)."""
    yield from serving("key-limit")


@pytest.fixture
def limited_bucket(limited: S3Server) -> str:
    """A new, empty bucket on the ``limited`` server."""
    return new_bucket(limited.url)


@pytest.fixture(scope="module")
def unchecked() -> Iterator[S3Server]:
    """A server of the module's own without the checksum gate (``no-checksums``: plain moto,
    which stores a part whatever its checksum, as the preflight's ``s3-checksums-unchecked``
    finds): its copies are size-checked only."""
    yield from serving("no-checksums")


_ADMIN_CLIENTS: dict[tuple[str, str | None, str | None], Any] = {}


def admin(endpoint: str):  # type: ignore[no-untyped-def]
    """A plain boto3 client straight to the server (no proxy), to set up and to inspect.

    One per endpoint and credentials (the environment's, which every test sets: aws_env) for
    the session, dropped when its server stops (stop_server): making a boto3 client costs
    0.1-1 s (its own session loads the service's model), and the S3 tests ask for hundreds.
    Clients are thread-safe and these only set up and inspect, so sharing them proves the same.
    """
    key = (endpoint, os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY"))
    client = _ADMIN_CLIENTS.get(key)
    if client is None:
        settings = S3Settings(endpoint_url=endpoint, region="us-east-1", max_attempts=2)
        client = _ADMIN_CLIENTS[key] = make_client(settings)
    return client


@pytest.fixture
def proxy(s3_server: S3Server) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(s3_server.port)
    try:
        yield fault_proxy
    finally:
        fault_proxy.close()


FAST = dict(
    part_size=5 * 1024 * 1024,
    single_put_max=1024 * 1024,
    parallel_parts=3,
    max_attempts=4,
    connect_timeout_s=2.0,
    read_timeout_s=5.0,
)


def destination(endpoint: str, bucket: str, prefix: str = "cards", **overrides: object):  # type: ignore[no-untyped-def]
    settings = S3Settings(endpoint_url=endpoint, region="us-east-1", **{**FAST, **overrides})  # type: ignore[arg-type]
    return S3Destination(S3Url(bucket, prefix), settings)


def corrupt_in_place(
    endpoint: str, bucket: str, relative: str, data: bytes, *, prefix: str = "day1/A001"
) -> None:
    """Other bytes under ``<prefix>/<relative>`` that the ledger still records as ours: what
    a copy corrupted on the service looks like (its ETag stays the one our ledger recorded).
    Through the API a new object gets a new ETag, so the ledger's entry is given it too; an
    object merely replaced by another writer is ``admin().put_object`` alone (not trusted)."""
    from dataclasses import replace

    from offload.destinations.s3backend import S3Backend
    from offload.destinations.s3ledger import S3Ledger

    client = admin(endpoint)
    key = f"{prefix}/{relative}"
    client.put_object(Bucket=bucket, Key=key, Body=data)
    etag = client.head_object(Bucket=bucket, Key=key)["ETag"]
    root, _, card = prefix.rpartition("/")
    backend = S3Backend(destination(endpoint, bucket, prefix=root))
    try:
        ledger = S3Ledger(backend, backend.root / card)
        ledger.append([replace(ledger.load()[relative], etag=etag)])
    finally:
        backend.close()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A live process of this host and process space (not this one)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        yield process
    finally:
        process.kill()
        process.wait()
