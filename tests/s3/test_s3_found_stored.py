"""What proves an object under a key the one a request of ours stored when that request's
answer was lost (``S3Destination.found_stored``, ``settle_unanswered``): its
``offload-upload`` metadata must be the token the request gave it. A resumed multipart
upload's object carries the token of the run that created the upload (fixed at its
CreateMultipartUpload), not this run's; a PutObject retried by botocore and refused 412 is
this request's only if the object there has the request's metadata. On the real test
server, through the fault proxy."""

from __future__ import annotations

import os

import pytest

from offload.destinations import s3
from s3.conftest import admin, destination

MiB = 1024 * 1024
EARLIER = "0123456789abcdef"  # the token of the run that created the upload


def _resumable(monkeypatch: pytest.MonkeyPatch, endpoint: str, bucket: str, data: bytes) -> str:
    """An upload of *data* begun by an earlier run (its token ``EARLIER``, in the upload's
    metadata and its record), three parts sent, then abandoned as a killed run leaves it."""
    with monkeypatch.context() as patched:
        patched.setattr(s3, "_RUN_TOKEN", EARLIER)
        dest = destination(endpoint, bucket)
        upload = dest.open_upload("cards/clip.mov", len(data))
        upload.write(memoryview(data)[: 3 * 5 * MiB])
        upload._wait()
        dest.close()
    assert upload.upload_id is not None
    return upload.upload_id


def test_a_resumed_upload_whose_completion_answer_was_lost_is_found_stored(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, monkeypatch
) -> None:
    """A run resumes an earlier run's upload and its CompleteMultipartUpload's answer is
    lost (one attempt: no retry): the HEAD after it finds the object these parts make, with the
    earlier run's token, and the upload counts as completed (its ETag that object's).
    Before: looked for with this run's token, the object was never proved, the file failed
    (and the clean-up left the object, taken for another writer's, unnamed)."""
    data = os.urandom(22 * MiB)
    upload_id = _resumable(monkeypatch, s3_server.url, bucket, data)
    dest = destination(proxy.url, bucket, max_attempts=0, abandon_after_s=0)
    upload = dest.open_upload("cards/clip.mov", len(data))
    assert upload.upload_id == upload_id
    proxy.lose_answer("POST", "uploadId=", go_down=False)
    upload.write(memoryview(data))
    upload.complete()
    assert proxy.stats.answers_lost
    stored = admin(s3_server.url).head_object(Bucket=bucket, Key="cards/clip.mov")
    assert stored["Metadata"]["offload-upload"] == EARLIER
    assert upload.completed and upload.resumed_parts == 3
    got = admin(s3_server.url).get_object(Bucket=bucket, Key="cards/clip.mov")["Body"].read()
    assert got == data
    assert dest.left_behind == []
    dest.close()


def test_a_resumed_upload_found_by_the_clean_up_is_deleted_as_this_runs(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, monkeypatch
) -> None:
    """As above, but the HEAD right after the lost answer fails too (503): the file fails,
    and the clean-up's look finds the object stored with the earlier run's token, the one
    this run's upload makes: it is deleted (never verified), nothing left or named. Before:
    taken for another writer's (not this run's token), it was left in the bucket unverified
    and unnamed."""
    data = os.urandom(22 * MiB)
    _resumable(monkeypatch, s3_server.url, bucket, data)
    dest = destination(proxy.url, bucket, max_attempts=0, abandon_after_s=0)
    upload = dest.open_upload("cards/clip.mov", len(data))
    proxy.lose_answer("POST", "uploadId=", go_down=False)
    proxy.intercept("HEAD", "/cards/clip.mov", status=503, code="SlowDown")
    upload.write(memoryview(data))
    with pytest.raises(OSError):
        upload.complete()
    assert proxy.stats.answers_lost and proxy.stats.intercepted == 1
    upload.discard()
    client = admin(s3_server.url)
    listed = client.list_objects_v2(Bucket=bucket, Prefix="cards/clip.mov").get("Contents", [])
    assert listed == [], listed
    assert dest.left_behind == [], dest.left_behind
    dest.close()


def test_a_retried_put_refused_over_another_writers_same_bytes_is_not_taken(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    """A PutObject's first attempt answered 503 (never reaching the service), botocore's
    retry refused 412 (If-None-Match): under the key is an object of the same bytes, stored
    by another writer (another token). It is not this request's: the file fails as the key
    existing, and that object stays as it was. Before: any object of the same bytes was
    taken for the one the first attempt stored, the upload said complete over it."""
    data = os.urandom(300_000)
    client = admin(s3_server.url)
    client.put_object(
        Bucket=bucket, Key="cards/clip.wav", Body=data, Metadata={"offload-upload": EARLIER}
    )
    dest = destination(proxy.url, bucket)
    upload = dest.open_upload("cards/clip.wav", len(data))
    proxy.slow_down_next(1)
    upload.write(data)
    with pytest.raises(FileExistsError):
        upload.complete()
    assert proxy.stats.methods.count("PUT") == 2
    head = client.head_object(Bucket=bucket, Key="cards/clip.wav")
    assert head["Metadata"]["offload-upload"] == EARLIER
    upload.discard()
    assert client.head_object(Bucket=bucket, Key="cards/clip.wav")["ETag"] == head["ETag"]
    dest.close()
