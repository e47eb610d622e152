"""A second S3 server implementation, for real: npm ``s3rver`` 3.7.1 (scripts/install-test-deps
installs it into ``$OFFLOAD_TEST_TOOLS``, default ``~/.cache/offload-ai/test-tools``), one
process per module on a free loopback port, stopped by its PID.

s3rver lacks ListMultipartUploads (501) and ignores If-None-Match, so ``offload copy`` is
refused there before its first byte; ``offload verify s3://`` reads only, so a copy root put
there by another tool (as ``aws s3 sync`` of a copy made elsewhere) is checked: OK, CHANGED,
and ``--append``. Node.js 17 and later need ``--openssl-legacy-provider`` for s3rver's
listings (its continuation tokens use a cipher OpenSSL 3 leaves out: 500 InternalError
otherwise)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offload.bench.s3server import LocalServer, start_local_server, stop_local_server
from s3.conftest import admin
from s3.test_s3_cli import CARD, make_card, offload
from s3.test_s3_verify import verify
from support.requirements import skip_unavailable

TOOLS = Path(
    os.environ.get("OFFLOAD_TEST_TOOLS") or Path.home() / ".cache" / "offload-ai" / "test-tools"
)
S3RVER = TOOLS / "node_modules" / ".bin" / "s3rver"
KEY = "S3RVER"  # s3rver's own access key id and secret (it checks the signature)


@pytest.fixture(scope="module")
def s3rver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    if not S3RVER.exists() or shutil.which("node") is None:
        skip_unavailable(f"npm s3rver 3.7.1 in {TOOLS} (scripts/install-test-deps installs it)")
    data = tmp_path_factory.mktemp("s3rver")
    env = {**os.environ, "NODE_OPTIONS": "--openssl-legacy-provider"}
    server = start_local_server(
        lambda port: [str(S3RVER), "-d", str(data), "-a", "127.0.0.1", "-p", str(port), "-s"],
        env=env,
        what="npm s3rver",
    )
    try:
        yield server
    finally:
        stop_local_server(server)


def _client(server: LocalServer) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=KEY,
    )


def test_a_copy_is_refused_and_a_synced_copy_root_is_verified(  # type: ignore[no-untyped-def]
    s3_server, bucket, s3rver, tmp_path, monkeypatch
) -> None:
    """``offload copy`` to s3rver: exit 64 naming ListMultipartUploads, nothing stored. The
    copy root ``offload copy`` made on the test server, copied object by object to s3rver
    with a plain client: ``offload verify s3://`` there is OK (exit 0), ``--append`` stores
    its generation, and a clip replaced by other bytes of its size is CHANGED (exit 11)."""
    card = make_card(tmp_path, CARD)
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), f"s3://{bucket}/d")
    assert code == 0, err
    source = admin(s3_server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEY)
    other = _client(s3rver)
    other.create_bucket(Bucket=bucket)

    code, _, err = offload(tmp_path, "--s3-endpoint", s3rver.url, str(card), f"s3://{bucket}/x")
    assert code == 64 and "does not support ListMultipartUploads" in err, err
    assert "Contents" not in other.list_objects_v2(Bucket=bucket)

    for item in source.list_objects_v2(Bucket=bucket, Prefix="d/A001/")["Contents"]:
        body = source.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        other.put_object(Bucket=bucket, Key=item["Key"], Body=body)
    url = f"s3://{bucket}/d/A001"
    code, out, err = verify(tmp_path, s3rver.url, url)
    assert code == 0, out + err
    assert "3 OK, 0 changed, 0 missing, 0 new, 0 unreadable" in out, out
    code, out, err = verify(tmp_path, s3rver.url, "--append", "--author-name", "Dana", url)
    assert code == 0 and f"Recorded in {url}/ascmhl/0002_" in out, out + err

    clip = "CLIPS/A001C002.mov"
    other.put_object(Bucket=bucket, Key=f"d/A001/{clip}", Body=os.urandom(CARD[clip]))
    code, out, err = verify(tmp_path, s3rver.url, url)
    assert code == 11 and f"CHANGED {url}/{clip}" in err, out + err
