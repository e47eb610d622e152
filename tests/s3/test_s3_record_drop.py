"""Dropping an upload record (``S3Destination._drop_record``) on a bucket without versions:
the record object is deleted only while it is still the one judged (``If-Match`` on the ETag
it was read with), so a record another live run (a one-file copy of the same key, which
holds no lock) stored meanwhile stays; where the service cannot delete on a condition, the
record is left and named in ``left_behind``, never deleted blindly (the real server process;
the other writer's PUT is made at the race's point by a hook on the run's own check)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from s3.conftest import S3Server, admin, destination, start_server, stop_server

KEY = "cards/A001/CLIPS/A001C001.mov"


@pytest.fixture(scope="module")
def unconditional() -> Iterator[S3Server]:
    """``If-None-Match`` and ``If-Match`` ignored (s3rver, a proxy stripping them)."""
    server = start_server(modes=("ignore-conditions",))
    try:
        yield server
    finally:
        stop_server(server)


def _record(upload_id: str, run: str) -> bytes:
    return json.dumps({"key": KEY, "upload_id": upload_id, "created_at": 0.0, "run": run}).encode()


def _stored(endpoint: str, bucket: str, key: str) -> bytes | None:
    try:
        return bytes(admin(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read())
    except Exception as exc:
        if "NoSuchKey" in str(exc):
            return None
        raise


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
        store.check()
        store.probe()
        assert store.conditional_delete
        client = admin(s3_server.url)
        record_key = store._record_key(KEY)
        client.put_object(Bucket=bucket, Key=record_key, Body=_record("u-done", "earlier"))
        live = _record("u-live", "live")
        checked = store._upload_in_progress

        def another_writer_meanwhile(key: str, upload_id: str) -> bool:
            if upload_id == "u-done":
                client.put_object(Bucket=bucket, Key=record_key, Body=live)
            return checked(key, upload_id)

        monkeypatch.setattr(store, "_upload_in_progress", another_writer_meanwhile)
        store.abort_abandoned()
        assert _stored(s3_server.url, bucket, record_key) == live
        assert store.left_behind == []
        # Nobody else wrote it: the done record is deleted.
        monkeypatch.setattr(store, "_upload_in_progress", checked)
        client.put_object(Bucket=bucket, Key=record_key, Body=_record("u-done", "earlier"))
        store.abort_abandoned()
        assert _stored(s3_server.url, bucket, record_key) is None
    finally:
        store.close()


def test_a_service_that_ignores_if_match_on_delete_has_the_record_left_and_named(  # type: ignore[no-untyped-def]
    unconditional,
) -> None:
    """The probe finds that a DeleteObject with a wrong If-Match deletes all the same: a
    record judged done is then left where it is and named in ``left_behind`` with why
    (a later run on a service that can sweeps it), never deleted blindly over what another
    run may have just stored. Failed before: deleted by a plain delete, nothing said."""
    endpoint = unconditional.url
    bucket = "t-unconditional-records"
    admin(endpoint).create_bucket(Bucket=bucket)
    store = destination(endpoint, bucket, head_check=True)
    try:
        store.check()
        store.probe()
        assert not store.conditional_delete
        record_key = store._record_key(KEY)
        admin(endpoint).put_object(Bucket=bucket, Key=record_key, Body=_record("u-done", "x"))
        store.abort_abandoned()
        assert _stored(endpoint, bucket, record_key) == _record("u-done", "x")
        (left,) = store.left_behind
        assert left.key == record_key and left.version_id is None
        assert "cannot delete on a condition (If-Match)" in left.reason
        # The probe's own object is gone all the same (deleted by the ignored condition).
        listed = admin(endpoint).list_objects_v2(Bucket=bucket, Prefix="cards/.offload/probe/")
        assert listed.get("KeyCount", 0) == 0
    finally:
        store.close()
