"""A delete by version id that fails is not a refusal unless the service refuses it (403
AccessDenied, 405, 501): a 503 SlowDown, a 5xx, no answer is the service unwell, and no
plain delete follows (it would lay a delete marker over the version: after a replacement
whose copy did not confirm, over the user's object that a delete by id makes current
again). A bucket that is gone leaves nothing to name. A delete that did not happen (another
object under the key) is never called done. Real server (moto keeps versions), the fault
proxy answering SlowDown or NoSuchBucket, or gone for good.

Failed before: the SlowDown counted as a refusal (``refused=True``, the note advising
s3:DeleteObjectVersion) and a plain delete hid the user's object under a delete marker; a
NoSuchBucket was named in left_behind; a copy not deleted (412) was said to be deleted; a
failed HEAD was worded "its delete failed: [Errno 107] cannot look up s3://… (http://…)"."""

from __future__ import annotations

import json
import os

import pytest

from offload.destinations.s3card import left_behind_notes
from s3.conftest import admin, destination
from s3.test_s3_cli import card_local_url
from s3.test_s3_cli import offload as offload_cli
from support.cards import mtime_metadata

MiB = 1024 * 1024


def _versioned(endpoint: str, bucket: str) -> None:
    admin(endpoint).put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )


def test_a_slowed_down_version_delete_after_a_failed_replacement_lays_no_marker(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # the SlowDowns end soon
    _versioned(s3_server.url, bucket)
    client = admin(s3_server.url)
    key = "day1/A001/CLIPS/A001C002.mov"
    card, local, url = card_local_url(tmp_path, bucket, {"CLIPS/A001C002.mov": 300_000})
    # The user's object at the card file's key, of its size, dated by rclone's mtime metadata
    # as the card file (a copy that kept its dates: the copy root is this card's, so the run
    # goes on to replace it). Dated by its upload alone, it was this card's only when the
    # machine took under 2 s between the put and making the card: under load the run was
    # refused (exit 64, copy-root-of-other-files, "another modification time").
    old = client.put_object(
        Bucket=bucket,
        Key=key,
        Body=b"x" * 300_000,
        Metadata=mtime_metadata(card / "CLIPS" / "A001C002.mov"),
    )
    proxy.intercept("GET", f"/{bucket}/{key}", flip=True, count=50)  # the copy won't confirm
    proxy.intercept("DELETE", "versionId=", status=503, code="SlowDown", count=200)
    code, out, err = offload_cli(
        tmp_path, "--s3-endpoint", proxy.url, "--overwrite", "--json", str(card), str(local), url
    )
    assert code == 1, err
    said = " ".join((out + err).split())
    assert "did not confirm after its copy" in said, said
    assert "its delete failed too (SlowDown" in said, said
    assert "the copy was deleted" not in said, said
    final = json.loads(out.strip().splitlines()[-1])
    # A SlowDown is no policy: nothing advises allowing s3:DeleteObjectVersion.
    assert not any("allow s3:DeleteObjectVersion" in note for note in final["notes"]), final
    assert not any(entry["refused"] for entry in final["left_behind"]["objects"]), final
    listing = client.list_object_versions(Bucket=bucket, Prefix=key)
    # No delete marker: the copy is the current version, the user's object noncurrent under
    # it (a later delete of the copy by its id makes it current again).
    assert not listing.get("DeleteMarkers"), listing["DeleteMarkers"]
    current = [v["VersionId"] for v in listing["Versions"] if v["IsLatest"]]
    assert len(current) == 1 and current[0] != old["VersionId"], listing
    assert old["VersionId"] in [v["VersionId"] for v in listing["Versions"]]


def test_a_record_whose_version_delete_is_slowed_down_stays_unmarked(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    _versioned(s3_server.url, bucket)
    client = admin(s3_server.url)
    key = "cards/clip.mov"
    store = destination(proxy.url, bucket, max_attempts=2)
    try:
        upload = store.open_upload(key, 11 * MiB)  # multipart: its record stored
        upload_id = upload.upload_id
        assert upload_id
        record = store._record_key(key)
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        proxy.intercept("DELETE", "versionId=", status=503, code="SlowDown", count=20)
        store._drop_record(key, upload_id, upload_gone=True)
        (left,) = store.left_behind
        assert left.key == record and left.version_id and not left.refused, left
        assert left.reason.startswith("its delete by version id failed (SlowDown)"), left
        assert "the record stays" in left.reason, left.reason
    finally:
        store.close()
    listing = client.list_object_versions(Bucket=bucket, Prefix=record)
    assert len(listing["Versions"]) == 1 and not listing.get("DeleteMarkers"), listing


def test_a_bucket_gone_names_nothing(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    _versioned(s3_server.url, bucket)
    store = destination(proxy.url, bucket)
    try:
        data = os.urandom(300_000)  # one PutObject
        upload = store.open_upload("cards/A001.xml", len(data))
        upload.write(memoryview(data))
        upload.complete()
        proxy.intercept("DELETE", "A001.xml", status=404, code="NoSuchBucket", count=20)
        upload.discard()
        assert store.left_behind == []
        assert left_behind_notes(store) == []
    finally:
        store.close()


def test_a_copy_not_deleted_is_not_said_to_be(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    client = admin(s3_server.url)
    key = "cards/A001.mov"
    client.put_object(Bucket=bucket, Key=key, Body=b"another writer's")
    store = destination(s3_server.url, bucket)
    try:
        said = store._delete_unconfirmed(key, '"0123456789abcdef0123456789abcdef"', None)
    finally:
        store.close()
    assert said == (
        "another object is now under the key; left as it is: the object the copy replaced is gone"
    ), said
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == b"another writer's"


def test_a_failed_head_before_a_record_delete_says_so(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    store = destination(proxy.url, bucket, max_attempts=2, connect_timeout_s=1.0)
    try:
        proxy.go_down()
        store._delete_record_unchanged("cards/.offload/uploads/x.json", '"abc"')
        (left,) = store.left_behind
        assert left.reason == (
            "its HEAD before the delete failed (the service cannot be reached: the connection "
            "was refused (nothing answers at the endpoint's port: the server is down, or the "
            "port is wrong)); a later run deletes it"
        ), left.reason
    finally:
        store.close()


def test_a_slowed_down_digest_version_delete_advises_no_policy(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch
) -> None:
    """The version a multipart object's digests copy leaves, its delete by id answered 503
    SlowDown: stored twice, said so, but no "allow s3:DeleteObjectVersion" (before: any
    answer was worded as a refusal of that permission)."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    _versioned(s3_server.url, bucket)
    card, local, url = card_local_url(tmp_path, bucket, {"CLIPS/A001C001.mov": 9 * MiB + 5})
    proxy.intercept("DELETE", "versionId=", status=503, code="SlowDown", count=200)
    code, out, err = offload_cli(
        tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), str(local), url
    )
    assert code == 0, err
    notes = json.loads(out.strip().splitlines()[-1])["notes"]
    (twice,) = [note for note in notes if "are stored twice" in note]
    # What happened, in words (before: the bare code, "could not be deleted: SlowDown").
    assert "could not be deleted: its delete by version id failed (SlowDown" in twice, twice
    assert "the service kept failing after the retries" in twice, twice
    assert "s3:DeleteObjectVersion" not in twice, twice


@pytest.mark.parametrize(
    ("status", "code", "said", "not_said"),
    [
        (403, "AccessDenied", "(s3:DeleteObjectVersion: the bucket keeps versions)", "failed"),
        (503, "SlowDown", "no permission is missing", "s3:DeleteObject"),
        # Another refusal: named, no cause guessed (before: "the service failed to answer
        # the delete (no permission is missing)", for a 409 it did answer).
        (
            409,
            "OperationAborted",
            "the service refused the delete (OperationAborted): delete them once it allows",
            "failed to answer",
        ),
    ],
    ids=["refused", "slowed-down", "conflict"],
)
def test_the_probe_left_warning_advises_what_its_answer_calls_for(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, monkeypatch, status, code, said, not_said
) -> None:
    """The preflight's probe objects on a bucket that keeps versions, each deleted by its
    version id: a 403 there wants s3:DeleteObjectVersion; a 503 SlowDown is the service
    failing, which no permission mends: the warning says so and advises none (before: both
    advised "s3:DeleteObject, and s3:DeleteObjectVersion on a bucket that keeps versions",
    whatever the answer)."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    _versioned(s3_server.url, bucket)
    proxy.intercept("DELETE", "versionId=", status=status, code=code, count=50)
    store = destination(proxy.url, bucket)
    try:
        findings = store.probe()
    finally:
        store.close()
    [left] = [message for finding, message in findings if finding == "s3-probe-left"]
    assert f"({code})" in left and said in left, left
    assert not_said not in left, left
    probes = admin(s3_server.url).list_object_versions(Bucket=bucket, Prefix="cards/.offload/")
    for version in probes.get("Versions", []):
        assert version["Key"] in left, (version["Key"], left)
