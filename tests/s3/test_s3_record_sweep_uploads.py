"""The upload-record sweep (``S3Destination.abort_abandoned``) asks whether each record's
upload is still in progress from one ListMultipartUploads of the prefix, made after the
records' listing, not one a record: an upload listed there is in progress; one not listed
is asked of its own key before its record is dropped (a service may not list uploads by
prefix: MinIO matches a prefix as an exact key), and so is a record stored since that
listing (another ETag: it may name an upload created after the uploads' listing), so a live
run's record is never taken for a dead one (the real test server, the requests counted by
the tests' proxy; the other run's upload and record made at the race's point by a hook
on the sweep's own listing)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from offload.destinations.s3 import S3Destination, S3Upload
from s3.conftest import S3Server, admin, destination, serving
from support.s3_records import record, stored

MiB = 1024 * 1024


def _uploads_listings(targets: list[str]) -> list[str]:
    """The ListMultipartUploads among the proxy's *targets* (a GET with ``?uploads``)."""
    return [t for t in targets if "uploads" in t.partition("?")[2].split("&")]


def _uploads_left(endpoint: str, bucket: str, names: tuple[str, ...]) -> dict[str, S3Upload]:
    """Uploads of 6 MiB (in parts: each recorded) to *names* under the bucket's prefix,
    opened by an earlier run that ended without finishing them: name → upload."""
    earlier = destination(endpoint, bucket)
    try:
        return {name: earlier.open_upload(earlier.url.key(name), 6 * MiB) for name in names}
    finally:
        earlier.close()


def _swept(endpoint: str, bucket: str) -> S3Destination:
    """A destination of the bucket's prefix whose upload-record sweep ran (then closed)."""
    store: S3Destination = destination(endpoint, bucket)
    try:
        store.abort_abandoned()
    finally:
        store.close()
    return store


def test_the_record_sweep_lists_the_uploads_once(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    """Three records an earlier run left, two of them naming uploads the service no longer
    has, one an upload still in progress (young: kept): the live one is answered by the
    one ListMultipartUploads of the prefix (asked of its own key before), the two dead ones
    asked of their own keys before they are dropped; the two dead records are deleted, the
    live one stays."""
    client = admin(s3_server.url)
    uploads = _uploads_left(s3_server.url, bucket, ("a.mov", "b.mov", "c.mov"))
    for name in ("a.mov", "b.mov"):
        upload = uploads[name]
        client.abort_multipart_upload(Bucket=bucket, Key=upload.key, UploadId=str(upload.upload_id))
    store = _swept(proxy.url, bucket)
    listings = _uploads_listings(proxy.targets)
    assert len(listings) == 3, proxy.targets
    assert not any("c.mov" in target for target in listings), listings
    for name in ("a.mov", "b.mov"):
        assert stored(client, bucket, store._record_key(uploads[name].key)) is None
    live = uploads["c.mov"]
    assert stored(client, bucket, store._record_key(live.key)) is not None
    assert not store.left_behind
    client.abort_multipart_upload(Bucket=bucket, Key=live.key, UploadId=str(live.upload_id))


def test_a_record_stored_after_the_uploads_listing_is_not_taken_for_dead(  # type: ignore[no-untyped-def]
    s3_server, bucket, monkeypatch
) -> None:
    """Two records an earlier run left (their uploads gone) are listed; the first one read
    has the sweep list the uploads, and just after, a live one-file copy of the second's key
    creates its upload and stores its record over the old one. The sweep reads the live
    record (another ETag than the one listed), whose upload the uploads' listing cannot
    show: it asks of that key alone, finds the upload in progress and keeps the record
    (young: not aborted), while the first dead record is deleted. Taken from the listing,
    the live record was judged dead and deleted (``If-Match`` on the ETag it was read with
    matches it)."""
    client = admin(s3_server.url)
    store = destination(s3_server.url, bucket)
    keys = [store.url.key(f"A001/CLIPS/A001C00{n}.mov") for n in (1, 2)]
    for n, key in enumerate(keys):
        body = record(key, f"u-done-{n}", "earlier")
        client.put_object(Bucket=bucket, Key=store._record_key(key), Body=body)
    # Records are listed (and read) in key order: the second read is replaced.
    first, second = sorted(keys, key=store._record_key)
    listed = store._sweep_uploads
    made: dict[str, str] = {}

    def another_run_meanwhile() -> dict[str, list[tuple[str, float | None]]]:
        found = listed()
        if made:
            return found  # the sweep's listing, kept: asked again
        made["upload"] = client.create_multipart_upload(Bucket=bucket, Key=second)["UploadId"]
        body = record(second, made["upload"], "live", created_at=store.started_at)
        client.put_object(Bucket=bucket, Key=store._record_key(second), Body=body)
        return found

    monkeypatch.setattr(store, "_sweep_uploads", another_run_meanwhile)
    try:
        store.abort_abandoned()
    finally:
        store.close()
    assert made, "the sweep never listed the uploads"
    assert stored(client, bucket, store._record_key(first)) is None
    kept = stored(client, bucket, store._record_key(second))
    assert kept == record(second, made["upload"], "live", created_at=store.started_at)
    listing = client.list_multipart_uploads(Bucket=bucket, Prefix=second)
    assert [u["UploadId"] for u in listing.get("Uploads", [])] == [made["upload"]]
    assert not store.left_behind
    client.abort_multipart_upload(Bucket=bucket, Key=second, UploadId=made["upload"])


@pytest.fixture
def exact_prefix_server() -> Iterator[S3Server]:
    """A server of its own that lists multipart uploads by exact key only, as MinIO does."""
    yield from serving("exact-upload-prefix")


def test_a_service_listing_no_uploads_by_prefix_keeps_a_live_record(  # type: ignore[no-untyped-def]
    exact_prefix_server,
) -> None:
    """On a service whose ListMultipartUploads matches a prefix as an exact key (MinIO), the
    prefix's listing names no upload: a young upload's record is kept and its upload not
    aborted, a dead one's record deleted. Failed before: the live record was dropped as dead
    (its upload missing from the prefix's listing), its run's resume record lost."""
    server = exact_prefix_server
    bucket = "exact-prefix"
    client = admin(server.url)
    client.create_bucket(Bucket=bucket)
    uploads = _uploads_left(server.url, bucket, ("live.mov", "dead.mov"))
    live, dead = uploads["live.mov"], uploads["dead.mov"]
    client.abort_multipart_upload(Bucket=bucket, Key=dead.key, UploadId=str(dead.upload_id))
    store = _swept(server.url, bucket)
    assert stored(client, bucket, store._record_key(live.key)) is not None
    listing = client.list_multipart_uploads(Bucket=bucket, Prefix=live.key)
    assert [u["UploadId"] for u in listing.get("Uploads", [])] == [str(live.upload_id)]
    assert stored(client, bucket, store._record_key(dead.key)) is None
    assert not store.left_behind


def _record_reads(proxy) -> list[str]:  # type: ignore[no-untyped-def]
    """The GETs of a record object among the proxy's requests (not a listing: no query)."""
    return [
        target
        for method, target in zip(proxy.stats.methods, proxy.targets, strict=True)
        if method == "GET" and "/.offload/uploads/" in target and "?" not in target
    ]


@pytest.fixture
def upload_times_server() -> Iterator[S3Server]:
    """A server of its own that lists each upload with the time it began, as AWS does."""
    yield from serving("upload-times")


@pytest.mark.parametrize("locked", [True, False], ids=["live-lock-above", "no-lock"])
def test_the_record_sweep_reads_only_the_records_that_need_it(  # type: ignore[no-untyped-def]
    upload_times_server, locked
) -> None:
    """Three records an earlier run left: two naming young uploads still in progress, one
    naming an upload the service no longer has. Below the live lock of another run
    (*locked*), the listings show the first two need nothing (each key has one upload in
    progress, begun no later than its record was stored, the record is young, and that run
    may be writing it): they are not read, kept, their uploads left. The dead one is read
    and its record deleted. Before: all three read (one GET a record: 1,500 at 1,500
    records). With no live lock above, the young ones are read too (their maker may be
    provably gone: ``_dead_and_unlocked``; here it runs, so they are kept).
    (A record stored before the upload now in progress under its key began is read too; not
    staged here. The server gives each upload its start time, as AWS does: moto alone lists
    every upload as begun in 2010, old, whose records are read.)"""
    from support.tcpproxy import FaultProxy

    server = upload_times_server
    bucket = "upload-times"
    client = admin(server.url)
    client.create_bucket(Bucket=bucket)
    earlier = destination(server.url, bucket)
    try:
        uploads = {
            name: earlier.open_upload(earlier.url.key(name), 6 * MiB)  # recorded: in parts
            for name in ("a.mov", "b.mov", "c.mov")
        }
    finally:
        earlier.close()
    dead = uploads["c.mov"]
    client.abort_multipart_upload(Bucket=bucket, Key=dead.key, UploadId=str(dead.upload_id))
    if locked:  # another machine's run, its lock fresh by the service's clock: live
        holder = {"pid": 4242, "host": "another-cart", "token": "another-live-run"}
        client.put_object(Bucket=bucket, Key="cards/.offload/lock", Body=json.dumps(holder))
    proxy = FaultProxy(server.port)
    store = destination(proxy.url, bucket)
    try:
        store.abort_abandoned()
    finally:
        store.close()
        proxy.close()
    reads = [target.removeprefix(f"/{bucket}/") for target in _record_reads(proxy)]
    expected = ["c.mov"] if locked else ["a.mov", "b.mov", "c.mov"]
    assert sorted(reads) == sorted(store._record_key(f"cards/{n}") for n in expected)
    for name in ("a.mov", "b.mov"):
        live = uploads[name]
        assert stored(client, bucket, store._record_key(live.key)) is not None
        listing = client.list_multipart_uploads(Bucket=bucket, Prefix=live.key)
        assert [u["UploadId"] for u in listing.get("Uploads", [])] == [str(live.upload_id)]
        client.abort_multipart_upload(Bucket=bucket, Key=live.key, UploadId=str(live.upload_id))
    assert stored(client, bucket, store._record_key(dead.key)) is None
    assert not store.left_behind
