"""An upload of ours whose abort fails keeps its record and is named: in the sweep of
abandoned uploads (``abort_abandoned``) and where an upload of ours that cannot be resumed
is started again (``S3Upload.start``). Before, ``abort_upload`` ignored the failure and then
dropped the record: nothing would resume, abort or name that upload again (its parts stored
for nothing until a lifecycle rule, if any). The abort is refused for real: the fault proxy
answers the DELETE ?uploadId= 403, before the real test server (moto) sees it."""

from __future__ import annotations

import os

from offload.destinations.s3card import left_behind_entries
from s3.conftest import admin, destination
from s3.test_s3_resume import MiB, _interrupted

KEY = "cards/clip.mov"


def _uploads(endpoint: str, bucket: str) -> dict[str, str]:
    listed = admin(endpoint).list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return {u["UploadId"]: u["Key"] for u in listed}


def _records(endpoint: str, bucket: str) -> list[str]:
    listed = admin(endpoint).list_objects_v2(Bucket=bucket, Prefix="cards/.offload/uploads/")
    return [o["Key"] for o in listed.get("Contents", [])]


def _named(store, upload_id: str) -> dict:  # type: ignore[no-untyped-def]
    (entry,) = [e for e in left_behind_entries(store) if e["upload_id"] == upload_id]
    assert entry["key"] == KEY and entry["version_id"] is None
    assert entry["remove"] == (
        f"aws s3api abort-multipart-upload --endpoint-url {store.settings.endpoint_url} "
        f"--bucket {store.url.bucket} --key {KEY} "
        f"--upload-id {upload_id}"
    )
    assert entry["reason"].startswith("an unfinished multipart upload: its abort failed ("), entry
    assert "AccessDenied" in entry["reason"], entry["reason"]
    return entry


def test_a_sweep_whose_abort_fails_keeps_the_record_and_names_the_upload(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    upload_id = _interrupted(s3_server.url, bucket, KEY, os.urandom(11 * MiB), parts=1)
    (record,) = _records(s3_server.url, bucket)
    store = destination(proxy.url, bucket, abandon_after_s=0.0)
    try:
        proxy.intercept("DELETE", "uploadId=", status=403, code="AccessDenied", count=1)
        assert store.abort_abandoned([]) == []  # not aborted: not counted as removed
        assert proxy.stats.intercepted == 1
        assert _uploads(s3_server.url, bucket) == {upload_id: KEY}
        assert _records(s3_server.url, bucket) == [record]  # was deleted: nothing found it
        entry = _named(store, upload_id)
        assert "its record stays under .offload/uploads/" in entry["reason"]
        # The next sweep, the abort answered: upload and record both gone.
        again = destination(proxy.url, bucket, abandon_after_s=0.0)
        try:
            assert again.abort_abandoned([]) == [KEY]
            assert again.left_behind == []
        finally:
            again.close()
        assert _uploads(s3_server.url, bucket) == {}
        assert _records(s3_server.url, bucket) == []
    finally:
        store.close()


def test_a_changed_upload_whose_abort_fails_keeps_its_record_and_is_named(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    old_id = _interrupted(s3_server.url, bucket, KEY, os.urandom(17 * MiB), parts=2)
    (record,) = _records(s3_server.url, bucket)
    data = os.urandom(12 * MiB)  # another size: not resumable, started again
    store = destination(proxy.url, bucket)
    try:
        proxy.intercept("DELETE", "uploadId=", status=403, code="AccessDenied", count=1)
        upload = store.open_upload(KEY, len(data))
        assert upload.upload_id not in (None, old_id)
        upload.write(memoryview(data))
        upload.complete()
        got = admin(s3_server.url).get_object(Bucket=bucket, Key=KEY)["Body"].read()
        assert got == data  # the copy itself goes on
        # The old upload stays, and so does its record (before: dropped), still naming it.
        assert _uploads(s3_server.url, bucket) == {old_id: KEY}
        assert _records(s3_server.url, bucket) == [record]
        body = admin(s3_server.url).get_object(Bucket=bucket, Key=record)["Body"].read()
        assert old_id in body.decode()
        entry = _named(store, old_id)
        assert (
            "the upload of the source this run starts in its place is not recorded"
            in (entry["reason"])
        )
    finally:
        store.close()
    # A later sweep aborts it and drops its record.
    again = destination(proxy.url, bucket, abandon_after_s=0.0)
    try:
        assert again.abort_abandoned([]) == [KEY]
    finally:
        again.close()
    assert _uploads(s3_server.url, bucket) == {}
    assert _records(s3_server.url, bucket) == []
