"""Dropping an upload record (``S3Destination._drop_record``) on a bucket without versions:
the record object is deleted only while it is still the one judged (``If-Match`` on the ETag
it was read with), so a record another live run (a one-file copy of the same key, which
holds no lock) stored meanwhile stays. Where the service cannot delete on a condition, a
record whose upload is gone (completed, aborted, not listed in progress) is deleted by a
plain delete once a HEAD just before shows it unchanged, and a record another run stored
since stays; a record whose upload may still be in progress is left and named in
``left_behind``, never deleted blindly (the real server process, in the modes that drop
``If-Match``; the other writer's PUT is made at the race's point by a hook on the run's own
check)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from offload.destinations.s3 import S3Destination
from s3.conftest import S3Server, admin, destination, serving
from support.s3_records import probed, record, replaced_meanwhile, stored

KEY = "cards/A001/CLIPS/A001C001.mov"


@pytest.fixture(scope="module")
def unconditional() -> Iterator[S3Server]:
    """``If-None-Match`` and ``If-Match`` ignored (s3rver, a proxy stripping them)."""
    yield from serving("ignore-conditions")


@contextmanager
def _head_checked(
    server: S3Server, bucket: str, endpoint: str | None = None
) -> Iterator[tuple[S3Destination, Any]]:
    """A new *bucket* on *server* and a destination in it with ``--s3-head-check``
    (reached through *endpoint*, else the server itself), checked and probed on a service
    that deletes on no condition; yields it and an admin client of the server itself, the
    destination closed after."""
    admin(server.url).create_bucket(Bucket=bucket)
    store = destination(endpoint or server.url, bucket, head_check=True)
    try:
        probed(store, conditional_delete=False)
        yield store, admin(server.url)
    finally:
        store.close()


def test_a_record_another_run_stored_since_it_was_read_is_not_deleted(  # type: ignore[no-untyped-def]
    s3_server, bucket, monkeypatch
) -> None:
    """The sweep reads an earlier run's record, finds its upload gone, and drops it; just
    before, a live one-file copy of the same key stored its own record there. That record
    stays (the delete was refused with 412); a record nobody replaced is deleted. Failed
    before: the plain delete took the live copy's record (not resumable, its upload
    unrecorded if it is killed)."""
    store = destination(s3_server.url, bucket)
    try:
        probed(store, conditional_delete=True)
        client = admin(s3_server.url)
        record_key = store._record_key(KEY)
        checked = store._upload_in_progress
        live = replaced_meanwhile(monkeypatch, store, client, bucket, KEY)
        store.abort_abandoned()
        assert stored(client, bucket, record_key) == live
        assert store.left_behind == []
        # Nobody else wrote it: the done record is deleted.
        monkeypatch.setattr(store, "_upload_in_progress", checked)
        client.put_object(Bucket=bucket, Key=record_key, Body=record(KEY, "u-done", "earlier"))
        store.abort_abandoned()
        assert stored(client, bucket, record_key) is None
    finally:
        store.close()


def test_a_service_that_ignores_if_match_on_delete_has_a_dead_record_deleted_once_unchanged(  # type: ignore[no-untyped-def]
    unconditional,
) -> None:
    """The probe finds that a DeleteObject with a wrong If-Match deletes all the same. A
    record whose upload the service no longer has is then deleted by a plain delete once a
    HEAD just before shows it unchanged, nothing named in ``left_behind``; a record of an
    upload still in progress (young: not abandoned) stays. Failed before: every such record
    was left and named, and the next run read, listed and named it again (``left_behind``
    grew run after run)."""
    bucket = "t-unconditional-records"
    with _head_checked(unconditional, bucket) as (store, client):
        record_key = store._record_key(KEY)
        client.put_object(Bucket=bucket, Key=record_key, Body=record(KEY, "u-done", "x"))
        other = "cards/A001/CLIPS/A001C002.mov"
        upload = client.create_multipart_upload(Bucket=bucket, Key=other)["UploadId"]
        live_key = store._record_key(other)
        live = record(other, upload, "y", created_at=store.started_at)
        client.put_object(Bucket=bucket, Key=live_key, Body=live)
        store.abort_abandoned()
        assert stored(client, bucket, record_key) is None
        assert stored(client, bucket, live_key) == live
        assert store.left_behind == []
        # The probe's own object is gone all the same (deleted by the ignored condition).
        listed = client.list_objects_v2(Bucket=bucket, Prefix="cards/.offload/probe/")
        assert listed.get("KeyCount", 0) == 0
        client.abort_multipart_upload(Bucket=bucket, Key=other, UploadId=upload)


def test_without_conditional_deletes_a_record_another_run_stored_since_it_was_read_stays(  # type: ignore[no-untyped-def]
    unconditional, monkeypatch
) -> None:
    """The sweep reads an earlier run's record and finds its upload gone; just before its
    HEAD, a live one-file copy of the same key stored its own record there: the HEAD shows
    another ETag, so that record stays (no delete sent), and nothing is named."""
    bucket = "t-unconditional-race"
    with _head_checked(unconditional, bucket) as (store, client):
        record_key = store._record_key(KEY)
        live = replaced_meanwhile(monkeypatch, store, client, bucket, KEY)
        store.abort_abandoned()
        assert stored(client, bucket, record_key) == live
        assert store.left_behind == []


def test_without_conditional_deletes_a_record_whose_abort_failed_is_left_and_named(  # type: ignore[no-untyped-def]
    unconditional,
) -> None:
    """An abandoned upload whose abort the service refused (403) may still be in progress:
    its record is not deleted (it is how a later run finds the upload to abort), and the
    upload is named in ``left_behind`` with why and its upload id (before, the record was
    named, as one that cannot be deleted on a condition: it is not for deleting)."""
    from support.tcpproxy import FaultProxy

    bucket = "t-unconditional-abort"
    proxy = FaultProxy(unconditional.port)
    try:
        with _head_checked(unconditional, bucket, proxy.url) as (store, client):
            upload = client.create_multipart_upload(Bucket=bucket, Key=KEY)["UploadId"]
            record_key = store._record_key(KEY)
            client.put_object(Bucket=bucket, Key=record_key, Body=record(KEY, upload, "gone"))
            proxy.intercept("DELETE", "uploadId=", status=403, count=1)
            store.abort_abandoned()  # created_at 0.0: abandoned long ago
            assert stored(client, bucket, record_key) == record(KEY, upload, "gone")
            (left,) = store.left_behind
            assert (left.key, left.upload_id, left.version_id) == (KEY, upload, None)
            assert left.reason.startswith("an unfinished multipart upload: its abort failed (")
            assert "its record stays under .offload/uploads/" in left.reason, left.reason
            # A later sweep, the abort answered: upload and record both gone.
            store.left_behind.clear()
            store.abort_abandoned()
            assert stored(client, bucket, record_key) is None
            assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
            assert store.left_behind == []
    finally:
        proxy.close()


@pytest.fixture(scope="module")
def no_conditional_delete() -> Iterator[S3Server]:
    """``If-Match`` ignored on a DELETE only: conditional writes honoured."""
    yield from serving("ignore-delete-conditions")


def test_runs_on_a_service_without_conditional_deletes_leave_no_record_and_name_none(  # type: ignore[no-untyped-def]
    no_conditional_delete, tmp_path
) -> None:
    """Two cards, each with a clip uploaded in parts, into one bucket prefix of a service
    that honours If-None-Match but ignores If-Match on a delete (no ``--s3-head-check``
    needed): each run deletes its upload record once its upload completed (a HEAD showing
    it unchanged first), so no record is left under ``.offload/uploads/`` and the reports'
    ``left_behind`` is empty run after run. Failed before: the first run's record was left
    and named, and the second run named it again beside its own (2: growing each run)."""
    from s3.test_s3_cli import make_card, offload

    endpoint = no_conditional_delete.url
    bucket = "t-no-conditional-delete"
    admin(endpoint).create_bucket(Bucket=bucket)
    for run in ("A001", "A002"):
        made = make_card(tmp_path / run, {"CLIPS/C001.mov": 9 * 1024 * 1024, "A.xml": 99})
        card = made.rename(made.with_name(run))
        code, out, err = offload(
            tmp_path / run, "--s3-endpoint", endpoint, "--json", str(card), f"s3://{bucket}/day1"
        )
        assert code == 0, err
        final = json.loads(out.strip().splitlines()[-1])
        assert final["left_behind"]["count"] == 0, final["left_behind"]
        assert not final.get("notes"), final.get("notes")
        listed = admin(endpoint).list_objects_v2(Bucket=bucket, Prefix="day1/")
        assert not [
            o["Key"] for o in listed.get("Contents", []) if "/.offload/uploads/" in o["Key"]
        ]
    assert not admin(endpoint).list_multipart_uploads(Bucket=bucket).get("Uploads")


@pytest.mark.parametrize("versioned", [False, True], ids=["plain", "versioned"])
def test_a_delete_on_an_etag_the_service_would_ignore_leaves_an_object_replaced_since(  # type: ignore[no-untyped-def]
    no_conditional_delete, versioned
) -> None:
    """``delete_key(key, etag=)`` (the generation record and a dead run's unchained manifest
    of ``s3unchained.settle``, on the ETag its GET judged) on a service whose probe found it
    ignores ``If-Match`` on a DELETE: an object stored there since is left (a HEAD judges),
    the one judged deleted. Failed before: the If-Match went out and was ignored, deleting
    (or, versioned, hiding under a delete marker) the newer object."""
    bucket = f"t-no-conditional-delete-{'v' if versioned else 'p'}"
    with _head_checked(no_conditional_delete, bucket) as (store, client):
        if versioned:
            client.put_bucket_versioning(
                Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
            )
        key = "cards/A001/.offload/ascmhl-generation.json"
        judged = client.put_object(Bucket=bucket, Key=key, Body=b"judged")["ETag"]
        client.put_object(Bucket=bucket, Key=key, Body=b"a newer writer's")
        assert store.delete_key(key, etag=judged) is False
        assert stored(client, bucket, key) == b"a newer writer's"
        newer = client.head_object(Bucket=bucket, Key=key)["ETag"]
        assert store.delete_key(key, etag=newer) is True
        assert stored(client, bucket, key) is None
