"""Secrets are never printed, logged or written: a run with a known secret, everything it
produced grepped for it (log records at DEBUG from every logger, botocore's included, error
messages, every object it stored and its metadata)."""

from __future__ import annotations

import json
import logging
import os

import pytest

from offload.errors import UsageError
from s3.conftest import SECRET_KEY, admin, destination

MiB = 1024 * 1024


def test_known_secret_appears_nowhere(s3_server, bucket, proxy, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    said: list[str] = []
    dest = destination(proxy.url, bucket)
    dest.check()
    for key, size in (("cards/a.mov", 1000), ("cards/b.mov", 12 * MiB)):
        upload = dest.open_upload(key, size, digests={"xxh64": "0123456789abcdef"})
        upload.write(os.urandom(size))
        upload.complete()
        dest.read_back(key, ["xxh64", "md5"])
    interrupted = dest.open_upload("cards/c.mov", 12 * MiB)
    interrupted.write(os.urandom(6 * MiB))
    interrupted._wait()
    for attempt in (
        lambda: destination(proxy.url, "no-such-bucket").check(),
        lambda: (lambda u: (u.write(b"x"), u.complete()))(dest.open_upload("cards/a.mov", 1)),
    ):
        with pytest.raises((UsageError, OSError)) as caught:
            attempt()
        said.append(str(caught.value))
        said.append(repr(caught.value))
    proxy.go_down()
    gone = dest.open_upload("cards/d.mov", 500)
    with pytest.raises(OSError) as caught:
        gone.write(b"y" * 500)
        gone.complete()
    said.append(str(caught.value))
    said.append(repr(dest.settings))
    dest.close()

    client = admin(s3_server.url)
    stored: list[str] = []
    for item in client.list_objects_v2(Bucket=bucket)["Contents"]:
        got = client.get_object(Bucket=bucket, Key=item["Key"])
        stored.append(got["Body"].read().decode("latin-1"))
        stored.append(json.dumps(got["Metadata"]))
    assert any(
        ".offload/uploads/" in item["Key"]
        for item in client.list_objects_v2(Bucket=bucket)["Contents"]
    )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged  # botocore did log (at DEBUG) while we ran
    for text in (logged, *said, *stored):
        assert SECRET_KEY not in text


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://key:pa55word@[::1",
        "http://key:pa55word@ho st:9x",
        # botocore's S3 rules refuse a query at the first request: once "the service failed:
        # Custom endpoint ... was not a valid URI (HeadBucket); check the network".
        "http://key:pa55word@127.0.0.1:9100/?token=pa55word",
    ],
)
def test_an_endpoint_refused_is_named_without_its_password(endpoint: str) -> None:
    from offload.destinations.s3config import S3Settings, make_client

    with pytest.raises(UsageError) as caught:
        make_client(S3Settings(endpoint_url=endpoint, region="us-east-1"))
    said = f"{caught.value} {caught.value!r}"
    assert "pa55word" not in said and "key:" not in said, said
    assert "cannot use the S3 endpoint 'http://" in said
