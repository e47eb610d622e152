"""Replacing an object of ours found wrong (``--reverify``) on S3, against the real server:
the replacement is uploaded to a staging key under ``<prefix>/.offload/staging/``, read back
there, copied over the final key server-side (CopyObject, or UploadPartCopy above
``copy_max``), confirmed, and only then is the staging object deleted. Each step's failure
(a corrupted read-back, a copy refused, a Ctrl-C) leaves the old object under its key; before,
the new upload replaced it at completion, before it was read back, and a failed read-back
left the key empty."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import xxhash

from offload.card import OffloadOptions, offload
from offload.destinations.s3 import S3Destination
from offload.destinations.s3config import S3Settings
from offload.destinations.s3url import S3Url
from offload.engine.cancel import CancelToken
from offload.events import PhaseChanged
from offload.options import CopyOptions
from offload.results import CopyAction, DestinationStatus
from s3.conftest import admin, corrupt_in_place, destination
from s3.test_s3_cli import CARD, keys, make_card

CLIP = "CLIPS/A001C001.mov"  # 7 MiB + 3: a multipart upload with these settings
SMALL = "CLIPS/A001C002.mov"  # one PutObject


def settings(endpoint: str, **overrides: object) -> S3Settings:
    values: dict[str, object] = dict(
        endpoint_url=endpoint,
        region="us-east-1",
        max_attempts=2,
        single_put_max=1024 * 1024,
        part_size=5 * 1024 * 1024,
    )
    values.update(overrides)
    return S3Settings(**values)  # type: ignore[arg-type]


def options(endpoint: str, *, reverify: bool = False, **overrides: object) -> OffloadOptions:
    return OffloadOptions(copy=CopyOptions(), reverify=reverify, s3=settings(endpoint, **overrides))


def spoil(endpoint: str, bucket: str, relative: str) -> bytes:
    """Replace our copy of *relative* by other bytes of its size (a copy gone wrong on the
    service: the ledger still trusts it)."""
    bad = b"\1" * CARD[relative]
    corrupt_in_place(endpoint, bucket, relative, bad)
    return bad


def stored(endpoint: str, bucket: str, relative: str) -> bytes:
    answer = admin(endpoint).get_object(Bucket=bucket, Key=f"day1/A001/{relative}")
    return bytes(answer["Body"].read())


def staging_keys(endpoint: str, bucket: str) -> list[str]:
    return [k for k in keys(endpoint, bucket) if "/.offload/staging/" in k]


def result_of(report, relative: str):  # type: ignore[no-untyped-def]
    (file,) = [f for f in report.job.files if f.relative_path == relative]
    (result,) = file.destinations
    return result


def first_copy(endpoint: str, bucket: str, card: Path) -> str:
    url = f"s3://{bucket}/day1"
    assert offload(card, [url], options=options(endpoint)).exit_code == 0
    return url


def test_a_wrong_copy_is_replaced_through_a_staging_key(s3_server, bucket, proxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    url = first_copy(s3_server.url, bucket, card)
    for relative in (CLIP, SMALL):
        spoil(s3_server.url, bucket, relative)
    report = offload(card, [url], options=options(proxy.url, reverify=True))
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    client = admin(s3_server.url)
    for relative in (CLIP, SMALL):
        data = (card / relative).read_bytes()
        assert stored(s3_server.url, bucket, relative) == data
        result = result_of(report, relative)
        assert result.status is DestinationStatus.VERIFIED
        assert result.action is CopyAction.COPIED
        # The card's digests are in the object's metadata (known when it is copied over).
        meta = client.head_object(Bucket=bucket, Key=f"day1/A001/{relative}")["Metadata"]
        assert meta["offload-xxh64"] == xxhash.xxh64(data).hexdigest()
    assert staging_keys(s3_server.url, bucket) == []
    # A replacement's ledger entry records the ETag of the copy made over the final key,
    # which the copy's confirmation read back whole: a plain re-run trusts it, reading
    # nothing. (Before, the entry claimed no ETag: the re-run read every replacement back
    # again, "no longer as recorded there", and adopted it.)
    proxy.reset()
    proxy.targets.clear()
    again = offload(card, [url], options=options(proxy.url))
    assert again.exit_code == 0
    for relative in (CLIP, SMALL):
        assert result_of(again, relative).status is DestinationStatus.VERIFIED_EARLIER
        assert result_of(again, relative).action is CopyAction.TRUSTED
    gets = [t for m, t in zip(proxy.stats.methods, proxy.targets, strict=True) if m == "GET"]
    assert not [t for t in gets if CLIP in t or SMALL in t], gets


def test_a_transfer_mode_replacement_records_the_etag_of_its_copy(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``--verify transfer``: a replacement's ledger entry records the ETag of the copy over
    the final key (the HEAD of its confirmation showed it, with the upload's size), as a
    direct upload's records its own; the next run trusts it as transfer-checked, and an
    object stored at the key since (another ETag) is not trusted. Failed before: no ETag,
    only the full and destination modes recorded one."""
    from offload.destinations.s3backend import S3Backend
    from offload.destinations.s3ledger import S3Ledger
    from offload.options import VerifyMode

    card = make_card(tmp_path)
    url = first_copy(s3_server.url, bucket, card)
    for relative in (CLIP, SMALL):
        spoil(s3_server.url, bucket, relative)
    transfer = OffloadOptions(
        copy=CopyOptions(verify=VerifyMode.TRANSFER), reverify=True, s3=settings(s3_server.url)
    )
    assert offload(card, [url], options=transfer).exit_code == 0
    backend = S3Backend(destination(s3_server.url, bucket, prefix="day1"))
    try:
        ledger = S3Ledger(backend, backend.root / "A001").load()
    finally:
        backend.close()
    client = admin(s3_server.url)
    for relative in (CLIP, SMALL):
        head = client.head_object(Bucket=bucket, Key=f"day1/A001/{relative}")
        assert ledger[relative].etag == head["ETag"], relative
        assert stored(s3_server.url, bucket, relative) == (card / relative).read_bytes()
    plain = OffloadOptions(copy=CopyOptions(verify=VerifyMode.TRANSFER), s3=settings(s3_server.url))
    again = offload(card, [url], options=plain)
    for relative in (CLIP, SMALL):
        assert result_of(again, relative).action is CopyAction.TRUSTED, relative
        assert result_of(again, relative).status is DestinationStatus.TRANSFER_CHECKED


def test_a_replacement_that_fails_its_read_back_leaves_the_old_object(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    card = make_card(tmp_path)
    url = first_copy(s3_server.url, bucket, card)
    bad = spoil(s3_server.url, bucket, SMALL)
    # Every read-back of the staging object comes back with a byte flipped (the read and
    # the re-read that follows a mismatch).
    proxy.intercept("GET", "/.offload/staging/", flip=True, count=10)
    report = offload(card, [url], options=options(proxy.url, reverify=True))
    assert report.exit_code == 1
    result = result_of(report, SMALL)
    assert result.status is DestinationStatus.FAILED
    assert "does not match the source" in (result.error or "")
    assert proxy.stats.intercepted >= 2
    # Before: the key held nothing (the new object replaced the old one at its upload, and
    # was deleted when its read-back failed).
    assert stored(s3_server.url, bucket, SMALL) == bad
    assert staging_keys(s3_server.url, bucket) == []


def test_a_refused_copy_leaves_the_old_object(s3_server, bucket, proxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    url = first_copy(s3_server.url, bucket, card)
    bad = spoil(s3_server.url, bucket, SMALL)
    proxy.intercept("PUT", "/day1/A001/", header="x-amz-copy-source", status=403, count=10)
    report = offload(card, [url], options=options(proxy.url, reverify=True))
    assert report.exit_code == 1
    result = result_of(report, SMALL)
    assert result.status is DestinationStatus.FAILED
    assert "cannot replace" in (result.error or "") and "AccessDenied" in (result.error or "")
    # S3 has no rename: the step that failed is named as what it is, the publish of the
    # replacement (a server-side copy). Failed before: "cannot rename s3://...".
    assert (result.error or "").startswith(f"cannot publish {url}/A001/{SMALL} on "), result
    assert "rename" not in (result.error or ""), result
    assert stored(s3_server.url, bucket, SMALL) == bad
    assert staging_keys(s3_server.url, bucket) == []
    # Not trusted afterwards: the re-run reads it back (and refuses it: other content).
    again = offload(card, [url], options=options(s3_server.url))
    assert result_of(again, SMALL).status is DestinationStatus.FAILED
    assert "other content" in (result_of(again, SMALL).error or "")


def test_a_large_replacement_is_copied_in_parts(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    url = first_copy(s3_server.url, bucket, card)
    spoil(s3_server.url, bucket, CLIP)
    # copy_max below the clip's size: UploadPartCopy (5 MiB + 2 MiB), as above 5 GiB.
    report = offload(
        card, [url], options=options(s3_server.url, reverify=True, copy_max=6 * 1024 * 1024)
    )
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    data = (card / CLIP).read_bytes()
    assert stored(s3_server.url, bucket, CLIP) == data
    head = admin(s3_server.url).head_object(Bucket=bucket, Key=f"day1/A001/{CLIP}")
    assert head["Metadata"]["offload-xxh64"] == xxhash.xxh64(data).hexdigest()
    assert str(head["ETag"]).strip('"').endswith("-2")  # two copied parts
    assert staging_keys(s3_server.url, bucket) == []


@pytest.mark.parametrize("copy_max", [6 * 1024 * 1024, 5 * 1024 * 1024 * 1024])
def test_ctrl_c_before_the_copy_leaves_the_old_object(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, copy_max
) -> None:
    # In parts (UploadPartCopy) and as one CopyObject: before, the CopyObject was sent after
    # the cancel and replaced the old object, and either way the file was reported failed.
    card = make_card(tmp_path)
    url = first_copy(s3_server.url, bucket, card)
    bad = spoil(s3_server.url, bucket, CLIP)
    cancel = CancelToken()

    class CancelAtCommit:
        def emit(self, event: object) -> None:
            if isinstance(event, PhaseChanged) and event.phase == "commit":
                cancel.cancel()  # verified at its staging key, about to be copied

    report = offload(
        card,
        [url],
        options=options(s3_server.url, reverify=True, copy_max=copy_max),
        sink=CancelAtCommit(),
        cancel=cancel,
    )
    assert report.job.cancelled
    result = result_of(report, CLIP)
    assert result.status is DestinationStatus.CANCELLED, result.error
    assert stored(s3_server.url, bucket, CLIP) == bad
    assert staging_keys(s3_server.url, bucket) == []
    # No multipart copy left behind under the final key.
    uploads = admin(s3_server.url).list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [u["Key"] for u in uploads if not u["Key"].startswith("day1/.offload/")] == []


def test_a_replacements_entry_is_trusted_only_while_its_key_holds_that_copy(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """A replacement's ledger entry records the ETag of the copy over the final key (read
    back whole by its confirmation): a staging object left over changes nothing (the key
    holds that copy: trusted), other bytes stored at the key since are not trusted but read
    back and found different (refused, not replaced unasked)."""
    card = make_card(tmp_path)
    url = first_copy(s3_server.url, bucket, card)
    spoil(s3_server.url, bucket, SMALL)
    assert offload(card, [url], options=options(s3_server.url, reverify=True)).exit_code == 0
    store = S3Destination(S3Url(bucket, "day1"), settings(s3_server.url))
    try:
        staging = store.staging_key(f"day1/A001/{SMALL}")
    finally:
        store.close()
    admin(s3_server.url).put_object(Bucket=bucket, Key=staging, Body=b"left over")
    again = offload(card, [url], options=options(s3_server.url))
    assert result_of(again, SMALL).status is DestinationStatus.VERIFIED_EARLIER
    # Another writer's bytes of the same size under the key: another ETag.
    other = b"\2" * CARD[SMALL]
    admin(s3_server.url).put_object(Bucket=bucket, Key=f"day1/A001/{SMALL}", Body=other)
    third = offload(card, [url], options=options(s3_server.url))
    result = result_of(third, SMALL)
    assert result.status is DestinationStatus.FAILED, result
    assert "already exists with other content" in (result.error or ""), result
    assert stored(s3_server.url, bucket, SMALL) == other


def test_old_staging_objects_are_deleted(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    store = S3Destination(S3Url(bucket, "day1"), settings(s3_server.url, abandon_after_s=0.0))
    try:
        staging = store.staging_key("day1/A001/x.mov")
        admin(s3_server.url).put_object(Bucket=bucket, Key=staging, Body=b"left over")
        fresh = S3Destination(S3Url(bucket, "day1"), settings(s3_server.url, abandon_after_s=0.0))
        try:
            assert fresh.abort_abandoned(["day1/A001/x.mov"]) == [staging]
        finally:
            fresh.close()
        assert staging_keys(s3_server.url, bucket) == []
    finally:
        store.close()


def test_two_runs_replacing_one_small_object_stage_it_apart(  # type: ignore[no-untyped-def]
    s3_server, bucket
) -> None:
    """Two runs (two destinations of one URL: a card ``--into`` it and a nested card's run,
    as in ``test_s3_nested_staging``) replace one small object (one PutObject each) at once:
    each replacement is staged under a key of its own, so each is copied over the final key
    whole, in turn. Before, a single PUT took the shared ``staging/<hash of the final key>``
    (only a multipart upload checked for a live run's): the second PUT replaced the first
    run's staged object, whose copy then failed ("changed before it was copied"), or, the
    same bytes (the same ETag), copied the other run's object and deleted it under it."""
    key = "cards/day2/clip.mov"
    admin(s3_server.url).put_object(Bucket=bucket, Key=key, Body=b"old")
    first, second = os.urandom(200_000), os.urandom(200_000)
    runs = [destination(s3_server.url, bucket) for _ in range(2)]
    try:
        uploads = [
            dest.open_upload(key, len(data), replace=True, staged=True)
            for dest, data in zip(runs, (first, second), strict=True)
        ]
        assert not any(u.multipart for u in uploads)
        assert uploads[0].key != uploads[1].key, "one staging key for two replacements"
        for upload, data in zip(uploads, (first, second), strict=True):
            upload.write(memoryview(data))
            upload.complete()
        for dest, upload in zip(runs, uploads, strict=True):
            dest.promote(upload)
            assert stored_key(s3_server.url, bucket, key) == (first if dest is runs[0] else second)
    finally:
        for dest in runs:
            dest.close()
    assert staging_keys(s3_server.url, bucket) == []


def stored_key(endpoint: str, bucket: str, key: str) -> bytes:
    return bytes(admin(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read())
