"""A file whose source fails after its bytes were handed to an S3 upload leaves no object:
its PutObject is not sent once the reader said the source failed (``hashed`` resolved with
None), and ``discard`` waits for a request already sent and deletes what it stored (pinned
to that object's ETag). Before, a 1–8 MiB file's PutObject went as soon as its last byte was
written, and a failing source (changed while read, or not matching the card's own ASC MHL
history) left an unverified object under the final key while the report said failed."""

from __future__ import annotations

import os
from concurrent.futures import Future
from pathlib import Path

import pytest

from offload.card import OffloadOptions, offload
from offload.destinations.s3backend import S3Backend
from offload.destinations.s3card import complete_refused_notes
from offload.destinations.s3config import S3Settings
from offload.options import CopyOptions
from s3.conftest import admin, destination
from s3.test_s3_cli import keys

MiB = 1024 * 1024


def test_a_put_already_stored_is_deleted_by_discard(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    dest = destination(s3_server.url, bucket)
    try:
        upload = dest.open_upload("cards/clip.mov", 300_000)
        upload.write(os.urandom(300_000))  # the last byte: its PutObject is sent
        upload._futures[0].result()  # stored, not yet completed: then the source fails
        assert keys(s3_server.url, bucket) == ["cards/clip.mov"]
        upload.discard()
        assert keys(s3_server.url, bucket) == []
    finally:
        dest.close()


def test_a_put_waiting_for_a_failed_source_is_not_sent(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    dest = destination(s3_server.url, bucket)
    try:
        hashed: Future[dict[str, str] | None] = Future()
        upload = dest.open_upload("cards/clip.mov", 300_000, hashed=hashed)
        upload.write(os.urandom(300_000))
        hashed.set_result(None)  # the reader: the source failed (changed while read)
        upload.discard()
        assert keys(s3_server.url, bucket) == []
    finally:
        dest.close()


def test_a_card_file_not_matching_its_own_history_leaves_no_object(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    # A card with its own ASC MHL history: a local offload writes one, then that copy is the
    # card (its files then carry the reference digests a direct S3 upload stores up front).
    first = tmp_path / "first" / "A001"
    first.mkdir(parents=True)
    sizes = {"CLIPS/A001C001.mov": 3 * MiB, "CLIPS/A001C002.mov": 200_000, "A001.xml": 900}
    for relative, size in sizes.items():
        (first / relative).parent.mkdir(parents=True, exist_ok=True)
        (first / relative).write_bytes(os.urandom(size))
    local = tmp_path / "local"
    local.mkdir()
    opts = OffloadOptions(
        copy=CopyOptions(algorithms=("xxh64",)),
        s3=S3Settings(
            endpoint_url=s3_server.url, region="us-east-1", max_attempts=2, single_put_max=4 * MiB
        ),
    )
    assert offload(first, [local], options=opts).exit_code == 0
    card = local / "A001"
    assert list((card / "ascmhl").glob("*.mhl"))
    damaged = [card / "CLIPS" / "A001C001.mov", card / "CLIPS" / "A001C002.mov"]
    for path in damaged:  # other bytes, same size and mtime: only the history tells
        stat = path.stat()
        data = bytearray(path.read_bytes())
        data[1000] ^= 0x01
        path.write_bytes(bytes(data))
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    report = offload(card, [f"s3://{bucket}/day1"], options=opts)
    assert report.exit_code != 0
    failed = {f.relative_path for f in report.job.files if not f.ok}
    assert failed == {"CLIPS/A001C001.mov", "CLIPS/A001C002.mov"}, failed
    stored = keys(s3_server.url, bucket)
    assert "day1/A001/A001.xml" in stored
    assert not [k for k in stored if k.endswith(".mov")], stored


def test_an_object_replaced_before_its_digests_were_stored_is_named_so(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    # A multipart object, completed; its copy onto itself (pinned to the ETag it completed
    # with) answered 412: another object replaced it in between.
    dest = destination(proxy.url, bucket)
    try:
        hashed: Future[dict[str, str] | None] = Future()
        hashed.set_result({"xxh64": "0123456789abcdef"})
        upload = dest.open_upload("cards/clip.mov", 6 * MiB, hashed=hashed)
        upload.write(os.urandom(6 * MiB))
        proxy.intercept(
            "PUT",
            "/cards/clip.mov",
            header="x-amz-copy-source",
            status=412,
            code="PreconditionFailed",
        )
        with pytest.raises(OSError) as caught:
            upload.complete()
        assert not isinstance(caught.value, FileExistsError)
        assert "changed before its digests were stored" in str(caught.value)
        upload.discard()
    finally:
        dest.close()


def _digests_copied_in_parts(proxy, bucket, status: int, code: str):  # type: ignore[no-untyped-def]
    """A 6 MiB multipart upload, all written, whose copy onto itself (the digests into its
    metadata) is a multipart copy (``copy_max`` 5 MiB), completed with If-Match, which the
    proxy answers *status* (*code*)."""
    dest = destination(proxy.url, bucket, copy_max=5 * MiB)
    hashed: Future[dict[str, str] | None] = Future()
    hashed.set_result({"xxh64": "0123456789abcdef"})
    upload = dest.open_upload("cards/clip.mov", 6 * MiB, hashed=hashed)
    upload.write(os.urandom(6 * MiB))
    proxy.intercept(
        "POST", "/cards/clip.mov?uploadId", header="if-match:", status=status, code=code
    )
    return dest, upload


def test_a_multipart_copy_onto_itself_completes_only_over_that_object(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    # The service's answer when another object replaced it since (moto ignores If-Match).
    dest, upload = _digests_copied_in_parts(proxy, bucket, 412, "PreconditionFailed")
    try:
        with pytest.raises(OSError, match="changed before its digests were stored"):
            upload.complete()
        assert not admin(s3_server.url).list_multipart_uploads(Bucket=bucket).get("Uploads")
        upload.discard()
    finally:
        dest.close()


def test_without_conditional_writes_a_head_pins_the_copy_onto_itself(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    dest, upload = _digests_copied_in_parts(proxy, bucket, 501, "NotImplemented")
    try:
        assert upload.complete() == 6 * MiB
        # Completions alone fall back to the HEAD (a 501 to If-Match on a completion says
        # nothing of PutObject's If-None-Match; before the twenty-ninth pass, every later
        # PutObject lost its condition too).
        assert dest.conditional_create
        assert dest.complete_refused == ["If-Match"]
        # Completions keep If-None-Match (failed before: atomic_noreplace turned False).
        assert S3Backend(dest).features.atomic_noreplace
        (note,) = complete_refused_notes({0: S3Backend(dest)})
        assert "answered 501 to If-Match on CompleteMultipartUpload" in note, note
        assert "copied onto itself in parts with its digests" in note, note
        assert "uploaded in parts" not in note, note
        head = admin(s3_server.url).head_object(Bucket=bucket, Key="cards/clip.mov")
        assert head["Metadata"]["offload-xxh64"] == "0123456789abcdef"
        assert head["ETag"] == upload.etag
    finally:
        dest.close()
