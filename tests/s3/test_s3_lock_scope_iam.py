"""Credentials limited to a prefix by a real IAM policy (moto's server checking every
request, ``INITIAL_NO_AUTH_ACTION_COUNT``), meeting the records' sweep's lock reads outside
that prefix: a copy of an upload record (a prefix moved server-side, ``s3copied``) names a
key outside the URL's prefix, whose copy roots' locks are read from the bucket's top down
(``s3lock.live_tokens_above``), and a credential allowed only ``<bucket>/moved/*`` is
refused them (403 AccessDenied, by the server's own policy evaluation: no proxy).

What must hold (docs/s3.md, "Credentials limited to a prefix"): the refusal blocks nothing
(the sweep ends, nothing raised: the run goes on); it is never taken for "no lock" (the
upload is not aborted while a run may be live there: only an upload older than 12 hours
is); and the lock that could not be read is named by its key.

Failed before: the proxy stood in for the policy (``test_s3_lock_scope``); and a kept
upload's reason said "or a live lock above it", never that a lock could not be read, nor
which."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator

import pytest

from s3.conftest import S3Server, admin, destination, new_bucket, start_server, stop_server
from s3.test_s3_copied_records import KEY, _moved
from s3.test_s3_dead_run_sweep import _dead_runs_upload
from s3.test_s3_nested_roots import _uploads
from support.s3_iam import first_user, make_user

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def iam_server() -> Iterator[tuple[S3Server, str, str]]:
    """A server that checks every request against IAM; a user ``dit`` allowed everything
    (s3 and iam): the server, its key id and secret."""
    # The first 3 requests (making dit, its policy and its key) are not checked.
    server = start_server({"INITIAL_NO_AUTH_ACTION_COUNT": "3"})
    try:
        yield server, *first_user(server.url)
    finally:
        stop_server(server)


@pytest.fixture
def as_dit(iam_server, monkeypatch) -> tuple[S3Server, str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """dit's credentials in the environment, and a new bucket of its: (server, bucket,
    dit's key id and secret)."""
    server, key_id, secret = iam_server
    _use(monkeypatch, (key_id, secret))
    bucket = new_bucket(server.url)
    return server, bucket, (key_id, secret)


def _use(monkeypatch, who: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", who[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", who[1])


def _limited(
    server: S3Server, bucket: str, *readable: str, prefix: str = "moved"
) -> tuple[str, str]:
    """A user whose policy allows every object action under ``<bucket>/<prefix>/`` only
    (and GetObject of the keys *readable* match), and the bucket's listings; its key id
    and secret (made with dit's credentials)."""
    name = f"moved-only-{secrets.token_hex(4)}"
    statements: list[dict[str, object]] = [
        {"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/{prefix}/*"},
        {
            "Effect": "Allow",
            # AWS's names, and moto's for the same requests (ListObjectsV2, ...).
            "Action": [
                "s3:ListBucket",
                "s3:ListObjectsV2",
                "s3:ListBucketMultipartUploads",
                "s3:ListMultipartUploads",
                "s3:HeadBucket",
            ],
            "Resource": f"arn:aws:s3:::{bucket}",
        },
    ]
    if readable:
        statements.append(
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": [f"arn:aws:s3:::{bucket}/{key}" for key in readable],
            }
        )
    # Made with the environment's credentials (dit's), given explicitly.
    dit = (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    return make_user(server.url, name, statements, by=dit, policy="prefix")


def _sweep_as(monkeypatch, server: S3Server, bucket: str, who: tuple[str, str]):  # type: ignore[no-untyped-def]
    """The sweep of ``s3://bucket/moved`` with *who*'s credentials: (aborted, left behind,
    the lock keys it could not read)."""
    _use(monkeypatch, who)
    sweeper = destination(server.url, bucket, prefix="moved")
    try:
        aborted = sweeper.abort_abandoned([])
        return aborted, list(sweeper.left_behind), set(sweeper.unreadable_locks)
    finally:
        sweeper.close()


def test_the_policy_is_real(as_dit, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The limited user is refused a key outside ``moved/`` by the server itself."""
    import botocore.exceptions

    server, bucket, _ = as_dit
    admin(server.url).put_object(Bucket=bucket, Key=".offload/lock", Body=b"{}")
    _use(monkeypatch, _limited(server, bucket))
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        admin(server.url).get_object(Bucket=bucket, Key=".offload/lock")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    admin(server.url).put_object(Bucket=bucket, Key="moved/x", Body=b"x")


def test_a_young_upload_under_locks_it_may_not_read_is_kept_and_the_lock_named(  # type: ignore[no-untyped-def]
    as_dit, monkeypatch
) -> None:
    """The moved copy's real record is gone (readable to the user: its GET answers 404),
    the upload young and its maker dead: the dead-maker rule would abort it unless a live
    run's lock lies above the key, and every lock there is refused (403). The sweep ends
    (nothing raised), the upload stays, and its reason names the lock that could not be
    read."""
    server, bucket, dit = as_dit
    upload_id, record = _dead_runs_upload(server.url, bucket, b"\0" * 6 * MiB)
    _moved(server.url, bucket, record)
    who = _limited(server, bucket, record)
    aborted, left, unreadable = _sweep_as(monkeypatch, server, bucket, who)
    assert aborted == []
    assert unreadable == {".offload/lock"}, unreadable  # the first lock from the top
    (named,) = left
    assert named.upload_id == upload_id and named.key == KEY
    assert f"the lock s3://{bucket}/.offload/lock above it could not be read" in named.reason
    assert "kept so until 12 hours old" in named.reason, named.reason
    _use(monkeypatch, dit)
    assert upload_id in _uploads(server.url, bucket)  # not taken for "no lock": kept


def test_an_upload_older_than_12_hours_under_locks_it_may_not_read_is_not_kept_by_them(  # type: ignore[no-untyped-def]
    as_dit, monkeypatch
) -> None:
    """The same, the record two days old: a live run refreshes its lock every 30 s and no
    upload of one file lasts 12 hours, so the locks that cannot be read no longer keep it;
    its abort is tried, and refused to this user (its key lies outside ``moved/``): named,
    nothing raised, the upload left for credentials that may abort it."""
    server, bucket, dit = as_dit
    upload_id, record = _dead_runs_upload(server.url, bucket, b"\0" * 6 * MiB)
    _moved(server.url, bucket, record, host="another-cart", created_at=time.time() - 2 * 86400)
    who = _limited(server, bucket, record)
    aborted, left, unreadable = _sweep_as(monkeypatch, server, bucket, who)
    assert aborted == [] and unreadable == {".offload/lock"}, (aborted, unreadable)
    (named,) = left
    assert named.upload_id == upload_id and "AccessDenied" in named.reason, named.reason
    _use(monkeypatch, dit)
    assert upload_id in _uploads(server.url, bucket)


def test_a_whole_offload_with_credentials_limited_to_its_prefix(  # type: ignore[no-untyped-def]
    as_dit, monkeypatch, tmp_path
) -> None:
    """``offload copy`` into ``s3://bucket/day1`` with a credential allowed every object
    action under ``day1/`` only (and the bucket's listings): nothing it needs lies above
    its prefix, so it copies and verifies the card, exit 0, and a re-run trusts it."""
    from s3.test_s3_cli import make_card, offload

    server, bucket, dit = as_dit
    card = make_card(tmp_path, {"CLIPS/A001C001.mov": 6 * MiB + 5, "A001.xml": 900})
    _use(monkeypatch, dit)
    who = _limited(server, bucket, prefix="day1")
    _use(monkeypatch, who)
    url = f"s3://{bucket}/day1"
    code, out, err = offload(tmp_path, "--s3-endpoint", server.url, str(card), url)
    assert code == 0, out + err
    assert "WARNING" not in err, err
    code, out, err = offload(tmp_path, "--s3-endpoint", server.url, str(card), url)
    assert code == 0, out + err
