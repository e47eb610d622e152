"""On a bucket that keeps versions, what a failed replacement and a clean-up cut short say
is true: a replacement's copy that did not confirm is deleted by its own version id (a plain
delete left it as a noncurrent version under a delete marker while the error said "the copy
was deleted"), and a delete by version id that got no answer (the service gone) is named
with what becomes of the object (its left_behind reason said only "its delete by version id
failed (EndpointConnectionError)"). The real test server (moto keeps versions), the fault
proxy flipping a byte of an answer or gone for good."""

from __future__ import annotations

import os

from s3.conftest import admin, destination
from s3.test_s3_cli import card_local_url
from s3.test_s3_cli import offload as offload_cli
from support.cards import mtime_metadata
from support.tcpproxy import FaultProxy

MiB = 1024 * 1024


def _versioned(endpoint: str, bucket: str) -> None:
    admin(endpoint).put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )


def test_a_replacement_that_does_not_confirm_leaves_the_old_object_current(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    _versioned(s3_server.url, bucket)
    client = admin(s3_server.url)
    key = "day1/A001/CLIPS/A001C002.mov"
    card, local, url = card_local_url(tmp_path, bucket, {"CLIPS/A001C002.mov": 300_000})
    # Dated as the card file (rclone's mtime metadata): dated by its upload alone, the
    # object made the copy root this card's only within 2 s of making the card (else
    # refused under load: copy-root-of-other-files, "another modification time").
    dated = mtime_metadata(card / "CLIPS" / "A001C002.mov")
    old = client.put_object(Bucket=bucket, Key=key, Body=b"x" * 300_000, Metadata=dated)
    # Every GET of the final key answers one byte flipped: the copy's confirming read-back
    # differs from the verified replacement (the staging key's GETs are not touched).
    proxy.intercept("GET", f"/{bucket}/{key}", flip=True, count=50)
    code, out, err = offload_cli(
        tmp_path, "--s3-endpoint", proxy.url, "--overwrite", str(card), str(local), url
    )
    assert code == 1, err
    said = " ".join((out + err).split())
    assert "did not confirm after its copy" in said, said
    assert (
        "the copy was deleted by its version id, nothing of it kept, and the object it "
        "replaced stays in the bucket (the bucket keeps versions: it is the key's current "
        "object again, unless another writer stored one since): copy the file again"
    ) in said, said
    listing = client.list_object_versions(Bucket=bucket, Prefix=key)
    # The user's object is the key's current one again; the copy is gone, no delete marker
    # (before: the copy stayed as a noncurrent version, under a delete marker).
    assert [(v["VersionId"], v["IsLatest"]) for v in listing["Versions"]] == [
        (old["VersionId"], True)
    ], listing
    assert not listing.get("DeleteMarkers"), listing["DeleteMarkers"]
    # The staging object is gone too, every version of it (docs/s3.md: deleted with the
    # failed file).
    staged = client.list_object_versions(Bucket=bucket, Prefix="day1/.offload/staging/")
    assert not staged.get("Versions") and not staged.get("DeleteMarkers"), staged


def test_an_object_whose_delete_got_no_answer_is_named_with_what_the_next_run_does(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    _versioned(s3_server.url, bucket)
    store = destination(proxy.url, bucket, max_attempts=2, connect_timeout_s=1.0)
    try:
        data = os.urandom(300_000)  # one PutObject
        upload = store.open_upload("cards/A001.xml", len(data))
        upload.write(memoryview(data))
        upload.complete()
        version = upload.version_id
        assert version and version != "null"
        proxy.go_down()  # the service gone: the discard's delete gets no answer
        upload.discard()
        (left,) = store.left_behind
        assert (left.key, left.version_id, left.upload_id) == ("cards/A001.xml", version, None)
        assert left.reason.startswith("its delete failed (the service cannot be reached"), left
        # What the next run does about it (before: "its delete by version id failed
        # (EndpointConnectionError)", and nothing more).
        assert "never verified" in left.reason and "reads it back" in left.reason, left.reason
        # Nothing was deleted plainly: the object is the key's current one, no delete marker.
        listing = admin(s3_server.url).list_object_versions(Bucket=bucket, Prefix="cards/")
        assert [v["VersionId"] for v in listing["Versions"]] == [version]
        assert not listing.get("DeleteMarkers")
    finally:
        store.close()


def test_a_record_whose_version_delete_got_no_answer_is_swept_by_the_next_run(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    _versioned(s3_server.url, bucket)
    client = admin(s3_server.url)
    key = "cards/clip.mov"
    store = destination(proxy.url, bucket, max_attempts=2, connect_timeout_s=1.0)
    try:
        upload = store.open_upload(key, 11 * MiB)  # multipart: its record stored
        upload_id = upload.upload_id
        assert upload_id
        record = store._record_key(key)
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)  # done
        proxy.go_down()
        store._drop_record(key, upload_id, upload_gone=True)
        (left,) = store.left_behind
        assert left.key == record and left.version_id, left
        assert left.reason.startswith("its delete by version id failed ("), left.reason
        assert (
            "the record stays, and the next offload into this destination deletes it, each "
            "version by its id"
        ) in left.reason, left.reason
    finally:
        store.close()
    listing = client.list_object_versions(Bucket=bucket, Prefix=record)
    assert len(listing["Versions"]) == 1 and not listing.get("DeleteMarkers"), listing
    # The next run, the service back, writing this very key (its file already verified, say:
    # no upload of it is opened): its sweep deletes the record, each version by its id.
    again_proxy = FaultProxy(s3_server.port)
    again = destination(again_proxy.url, bucket)
    try:
        again.abort_abandoned([key])
    finally:
        again.close()
        again_proxy.close()
    listing = client.list_object_versions(Bucket=bucket, Prefix=record)
    assert not listing.get("Versions") and not listing.get("DeleteMarkers"), listing
