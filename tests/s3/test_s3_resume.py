"""Resume of an interrupted multipart upload and abort of abandoned ones, on a real server."""

from __future__ import annotations

import os

from s3.conftest import admin, destination

MiB = 1024 * 1024


def _interrupted(endpoint: str, bucket: str, key: str, data: bytes, parts: int) -> str:
    """Upload the first *parts* parts of *data*, then stop as a killed run would (no abort)."""
    dest = destination(endpoint, bucket)
    upload = dest.open_upload(key, len(data))
    upload.write(memoryview(data)[: parts * 5 * MiB])
    upload._wait()  # the parts are on the service; then the process "dies"
    dest.close()
    assert upload.upload_id is not None
    return upload.upload_id


def test_interrupted_upload_resumes_from_the_parts_already_there(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(22 * MiB)  # 5 parts
    upload_id = _interrupted(s3_server.url, bucket, "cards/clip.mov", data, parts=3)
    dest = destination(proxy.url, bucket)
    upload = dest.open_upload("cards/clip.mov", len(data))
    assert upload.upload_id == upload_id
    for start in range(0, len(data), MiB):
        upload.write(memoryview(data)[start : start + MiB])
    upload.complete()
    assert upload.resumed_parts == 3
    assert proxy.stats.methods.count("PUT") == 2  # only the 2 missing parts were sent
    assert (
        admin(s3_server.url).get_object(Bucket=bucket, Key="cards/clip.mov")["Body"].read() == data
    )
    keys = [o["Key"] for o in admin(s3_server.url).list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["cards/clip.mov"]  # the record is gone
    dest.close()


def test_a_part_that_differs_from_the_source_is_sent_again(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    old = os.urandom(17 * MiB)
    _interrupted(s3_server.url, bucket, "cards/clip.mov", old, parts=3)
    new = bytearray(old)
    new[6 * MiB] ^= 0x55  # the source's part 2 is not what was uploaded
    dest = destination(proxy.url, bucket)
    upload = dest.open_upload("cards/clip.mov", len(new))
    upload.write(memoryview(new))
    upload.complete()
    assert upload.resumed_parts == 2  # parts 1 and 3 matched; 2 and 4 were sent
    assert proxy.stats.methods.count("PUT") == 2
    got = admin(s3_server.url).get_object(Bucket=bucket, Key="cards/clip.mov")["Body"].read()
    assert got == bytes(new)
    dest.close()


def test_upload_of_another_modification_time_is_started_again(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    """An upload started for a source of another modification time (the metadata is fixed
    at CreateMultipartUpload) is not resumed: started again, the object carries the new
    time (``mtime``, as rclone reads it). Failed before the time was compared: resumed, the
    object kept the other source's time."""
    data = os.urandom(12 * MiB)
    dest = destination(s3_server.url, bucket)
    old = dest.open_upload("cards/clip.mov", len(data), mtime_ns=1_600_000_000_000_000_001)
    old.write(memoryview(data)[: 5 * MiB])
    old._wait()
    dest.close()
    dest = destination(proxy.url, bucket)
    upload = dest.open_upload("cards/clip.mov", len(data), mtime_ns=1_700_000_000_500_000_000)
    assert upload.upload_id != old.upload_id
    upload.write(memoryview(data))
    upload.complete()
    assert upload.resumed_parts == 0
    head = admin(s3_server.url).head_object(Bucket=bucket, Key="cards/clip.mov")
    assert head["Metadata"]["mtime"] == "1700000000.500000000", head["Metadata"]
    assert admin(s3_server.url).list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    dest.close()


def test_upload_of_another_size_is_aborted_and_started_again(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    old_id = _interrupted(s3_server.url, bucket, "cards/clip.mov", os.urandom(17 * MiB), parts=2)
    data = os.urandom(12 * MiB)
    dest = destination(proxy.url, bucket)
    upload = dest.open_upload("cards/clip.mov", len(data))
    assert upload.upload_id != old_id
    upload.write(memoryview(data))
    upload.complete()
    assert upload.resumed_parts == 0
    uploads = admin(s3_server.url).list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert uploads == []
    dest.close()


def test_abandoned_uploads_of_ours_are_aborted_others_kept(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    client = admin(s3_server.url)
    _interrupted(s3_server.url, bucket, "cards/old/clip.mov", os.urandom(11 * MiB), parts=1)
    _interrupted(s3_server.url, bucket, "cards/now/clip.mov", os.urandom(11 * MiB), parts=1)
    theirs = client.create_multipart_upload(Bucket=bucket, Key="cards/theirs.mov")["UploadId"]
    dest = destination(s3_server.url, bucket, abandon_after_s=0.0)
    aborted = dest.abort_abandoned(["cards/now/clip.mov"])
    assert aborted == ["cards/old/clip.mov"]
    left = {
        u["Key"]: u["UploadId"] for u in client.list_multipart_uploads(Bucket=bucket)["Uploads"]
    }
    assert set(left) == {"cards/now/clip.mov", "cards/theirs.mov"}
    assert left["cards/theirs.mov"] == theirs  # not ours: never touched
    # A young upload of ours is kept too (another run may be writing it).
    dest_young = destination(s3_server.url, bucket)
    assert dest_young.abort_abandoned([]) == []
    dest.close()
    dest_young.close()


def test_record_of_an_upload_the_service_forgot_is_dropped(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    client = admin(s3_server.url)
    upload_id = _interrupted(s3_server.url, bucket, "cards/clip.mov", os.urandom(11 * MiB), parts=1)
    client.abort_multipart_upload(Bucket=bucket, Key="cards/clip.mov", UploadId=upload_id)
    dest = destination(s3_server.url, bucket, abandon_after_s=0.0)
    assert dest.abort_abandoned([]) == []
    assert "Contents" not in client.list_objects_v2(Bucket=bucket)
    dest.close()


def test_discard_aborts_an_unfinished_upload(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    dest = destination(s3_server.url, bucket)
    upload = dest.open_upload("cards/clip.mov", 12 * MiB)
    upload.write(memoryview(os.urandom(6 * MiB)))
    upload.discard()
    upload.discard()  # twice is fine
    client = admin(s3_server.url)
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    assert "Contents" not in client.list_objects_v2(Bucket=bucket)
    dest.close()


def test_discard_after_completion_deletes_only_our_object(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    dest = destination(s3_server.url, bucket)
    ours = dest.open_upload("cards/a.mov", 1000)
    ours.write(os.urandom(1000))
    ours.complete()
    ours.discard()  # e.g. its read-back failed: the object goes
    client = admin(s3_server.url)
    assert "Contents" not in client.list_objects_v2(Bucket=bucket)
    replaced = dest.open_upload("cards/b.mov", 1000)
    replaced.write(os.urandom(1000))
    replaced.complete()
    client.put_object(Bucket=bucket, Key="cards/b.mov", Body=b"someone else's since")
    replaced.discard()  # not ours any more: kept
    assert (
        client.get_object(Bucket=bucket, Key="cards/b.mov")["Body"].read()
        == b"someone else's since"
    )
    dest.close()


def test_a_resumed_upload_counts_only_what_it_sent(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The QA's case at the CLI: parts 1-4 and 8 of a file already on the service from a
    killed run. Before, the report counted the whole object as written (62.9 MB written, ~25
    MB sent) and said nothing of the resume."""
    import json

    from s3.test_s3_cli import make_card, offload

    card = make_card(tmp_path, {"clip.mov": 12 * 5 * MiB - 123})  # 12 parts of 5 MiB
    data = (card / "clip.mov").read_bytes()
    dest = destination(s3_server.url, bucket, prefix="day1")
    # Started as the run below starts it (the card file's time in its metadata).
    mtime_ns = (card / "clip.mov").stat().st_mtime_ns
    upload = dest.open_upload("day1/A001/clip.mov", len(data), mtime_ns=mtime_ns)
    upload.write(memoryview(data)[: 8 * 5 * MiB])  # parts 1-8 sent...
    upload._wait()
    dest.close()
    client = admin(s3_server.url)
    # ... and 5, 6, 7 lost (a service that kept only some of them): replaced by other bytes
    for number in (5, 6, 7):
        client.upload_part(
            Bucket=bucket,
            Key="day1/A001/clip.mov",
            UploadId=str(upload.upload_id),
            PartNumber=number,
            Body=os.urandom(5 * MiB),
        )
    code, out, err = offload(
        tmp_path,
        "--s3-endpoint",
        s3_server.url,
        "--s3-part-size",
        "5MiB",
        str(card),
        f"s3://{bucket}/day1",
    )
    assert code == 0, out + err
    assert client.get_object(Bucket=bucket, Key="day1/A001/clip.mov")["Body"].read() == data
    report = json.loads(next((tmp_path / "reports").glob("*.json")).read_text())
    (summary,) = report["destinations"]
    assert summary["bytes_written"] == len(data) - 5 * 5 * MiB  # sent: all but parts 1-4, 8
    assert summary["bytes_resumed"] == 5 * 5 * MiB
    assert summary["files_resumed"] == 1
    assert "RESUMED on s3://" in out + err and "1 upload continued" in out + err
