"""Uploads through a real S3 server process with real boto3: small, empty and multipart files,
read back by a GET; part checksums really sent and checked; faults made for real by the proxy."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import pytest
import xxhash

from offload.destinations.s3 import MARKER_KEY, S3Destination
from offload.destinations.s3backend import S3Backend
from offload.destinations.s3card import complete_refused_notes
from s3.conftest import admin, destination
from support.tcpproxy import FaultProxy

MiB = 1024 * 1024


def upload(
    dest: S3Destination, key: str, data: bytes, *, chunk: int = MiB, **kwargs: object
) -> int:
    upload = dest.open_upload(key, len(data), **kwargs)  # type: ignore[arg-type]
    try:
        for start in range(0, len(data), chunk):
            upload.write(memoryview(data)[start : start + chunk])
        return upload.complete()
    except BaseException:
        upload.discard()
        raise


def stored(endpoint: str, bucket: str, key: str) -> bytes:
    return admin(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.mark.parametrize("size", [0, 1, 1000, MiB, 12 * MiB + 7])
def test_upload_and_read_back(s3_server, bucket, size: int) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(size)
    dest = destination(s3_server.url, bucket)
    key = dest.url.key("A001/clip.mov")
    assert upload(dest, key, data) == size
    assert stored(s3_server.url, bucket, "cards/A001/clip.mov") == data
    digests, read = dest.read_back(key, ["xxh64", "md5"])
    assert read == size
    assert digests == {
        "xxh64": xxhash.xxh64(data).hexdigest(),
        "md5": hashlib.md5(data).hexdigest(),
    }
    head = admin(s3_server.url).head_object(Bucket=bucket, Key=key)
    assert head["Metadata"][MARKER_KEY]
    # Nothing else under the prefix: no partial object, no upload record left behind.
    keys = [
        o["Key"] for o in admin(s3_server.url).list_objects_v2(Bucket=bucket).get("Contents", [])
    ]
    assert keys == [key]
    assert not admin(s3_server.url).list_multipart_uploads(Bucket=bucket).get("Uploads")
    dest.close()


def test_multipart_parts_in_parallel_and_digests_metadata(
    s3_server, bucket, proxy: FaultProxy
) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(23 * MiB)
    dest = destination(proxy.url, bucket)
    key = dest.url.key("big.mxf")
    upload(dest, key, data, digests={"xxh64": xxhash.xxh64(data).hexdigest()})
    # 5 parts of 5 MiB (the last 3 MiB) and the upload's resume record.
    assert proxy.stats.methods.count("PUT") == 6
    head = admin(s3_server.url).head_object(Bucket=bucket, Key=key)
    assert head["Metadata"]["offload-xxh64"] == xxhash.xxh64(data).hexdigest()
    assert head["ContentLength"] == len(data)
    assert stored(s3_server.url, bucket, key) == data
    dest.close()


@pytest.mark.parametrize("checksum", ["CRC32", "SHA256", "MD5"])
def test_corrupted_part_is_refused_by_the_server_and_sent_again(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy: FaultProxy, checksum: str
) -> None:
    data = os.urandom(11 * MiB)
    dest = destination(proxy.url, bucket, checksum=checksum)
    key = dest.url.key("clip.mov")
    proxy.corrupt_next(1, min_body=MiB)  # one byte flipped in the first part on the wire
    upload(dest, key, data)
    assert proxy.stats.corrupted == 1
    # The server refused the corrupted part (400 BadDigest) and we sent it again: the
    # record, 3 parts, 1 part again.
    assert proxy.stats.methods.count("PUT") == 5
    assert stored(s3_server.url, bucket, key) == data
    dest.close()


def test_corrupted_small_object_is_refused_and_sent_again(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(300_000)
    dest = destination(proxy.url, bucket)
    proxy.corrupt_next(1)
    upload(dest, dest.url.key("small.wav"), data)
    assert proxy.stats.corrupted == 1 and proxy.stats.methods.count("PUT") == 2
    assert stored(s3_server.url, bucket, "cards/small.wav") == data
    dest.close()


def test_a_part_corrupted_every_time_fails_the_file_and_leaves_nothing(
    s3_server, bucket, proxy
) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(7 * MiB)
    dest = destination(proxy.url, bucket, parallel_parts=1)
    proxy.corrupt_next(100, min_body=MiB)
    with pytest.raises(OSError) as caught:
        upload(dest, dest.url.key("clip.mov"), data)
    assert caught.value.errno == errno.EBADMSG
    assert "BadDigest" in str(caught.value) and "s3://" in str(caught.value)
    client = admin(s3_server.url)
    assert "Contents" not in client.list_objects_v2(Bucket=bucket)
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    dest.close()


def test_connection_cut_mid_part_is_retried(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(11 * MiB)
    dest = destination(proxy.url, bucket)
    proxy.cut_next(2 * MiB)  # both sockets closed 2 MiB into the first part
    upload(dest, dest.url.key("clip.mov"), data)
    assert proxy.stats.cut == 1
    assert stored(s3_server.url, bucket, "cards/clip.mov") == data
    dest.close()


def test_slow_down_is_retried_with_backoff(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(6 * MiB)
    dest = destination(proxy.url, bucket)
    proxy.slow_down_next(2)
    upload(dest, dest.url.key("clip.mov"), data)
    assert proxy.stats.slowed == 2
    assert stored(s3_server.url, bucket, "cards/clip.mov") == data
    dest.close()


def test_stalled_answer_times_out_and_is_retried(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(200_000)
    dest = destination(proxy.url, bucket, read_timeout_s=1.0)
    proxy.stall_next(3.0)
    upload(dest, dest.url.key("clip.mov"), data)
    assert proxy.stats.stalled == 1
    assert stored(s3_server.url, bucket, "cards/clip.mov") == data
    dest.close()


def test_server_gone_for_good_is_a_destination_lost_error(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(11 * MiB)
    dest = destination(proxy.url, bucket, max_attempts=2)
    upload_ = dest.open_upload(dest.url.key("clip.mov"), len(data))
    upload_.write(memoryview(data)[: 3 * MiB])
    proxy.go_down()
    with pytest.raises(OSError) as caught:
        upload_.write(memoryview(data)[3 * MiB :])
        upload_.complete()
    upload_.discard()
    # The proxy's listener closed: the retries' connections are refused, and said so.
    assert caught.value.errno == errno.ECONNREFUSED
    assert "s3://" in str(caught.value) and "cannot be reached" in str(caught.value)
    assert "the connection was refused" in str(caught.value)
    dest.close()


def test_existing_object_is_refused_atomically(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key="cards/clip.mov", Body=b"someone else's")
    client.put_object(Bucket=bucket, Key="cards/big.mov", Body=b"someone else's too")
    dest = destination(proxy.url, bucket)
    assert dest.conditional_create
    with pytest.raises(FileExistsError):
        upload(dest, "cards/clip.mov", os.urandom(1000))
    with pytest.raises(FileExistsError):
        upload(dest, "cards/big.mov", os.urandom(6 * MiB))
    assert stored(s3_server.url, bucket, "cards/clip.mov") == b"someone else's"
    assert stored(s3_server.url, bucket, "cards/big.mov") == b"someone else's too"
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    # Asked to replace: replaced.
    data = os.urandom(6 * MiB)
    upload(dest, "cards/big.mov", data, replace=True)
    assert stored(s3_server.url, bucket, "cards/big.mov") == data
    dest.close()


def test_existing_object_refused_by_head_check_without_conditional_writes(
    s3_server, bucket
) -> None:  # type: ignore[no-untyped-def]
    admin(s3_server.url).put_object(Bucket=bucket, Key="cards/big.mov", Body=b"x")
    dest = destination(s3_server.url, bucket, conditional_writes=False)
    assert not dest.conditional_create
    with pytest.raises(FileExistsError):
        upload(dest, "cards/big.mov", os.urandom(6 * MiB))
    assert stored(s3_server.url, bucket, "cards/big.mov") == b"x"
    dest.close()


def test_a_501_to_if_none_match_uses_no_attempt(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    """A PutObject's If-None-Match answered 501 (a condition the probe did not see refused),
    ``part_attempts`` 1: stored after a HEAD, the destination switched to the HEAD check.
    Failed before: the 501 used the one attempt (`refused every attempt`)."""
    dest = destination(proxy.url, bucket, part_attempts=1)
    assert dest.conditional_create
    proxy.intercept("PUT", "/cards/", header="if-none-match", status=501, code="NotImplemented")
    dest.put_small("cards/report.json", b"{}")
    assert proxy.stats.intercepted == 1
    assert not dest.conditional_create
    assert stored(s3_server.url, bucket, "cards/report.json") == b"{}"
    # Said in the report's notes (failed before: the switch was silent).
    assert dest.put_refused and dest.complete_refused == []
    (note,) = complete_refused_notes({0: S3Backend(dest)})
    assert "answered 501 to If-None-Match on PutObject mid-copy" in note, note
    assert "was made after a HEAD of its key instead" in note, note
    assert "writes only over a given object (If-Match) kept their condition" in note, note
    assert not S3Backend(dest).features.atomic_noreplace
    dest.close()


def test_a_501_to_if_none_match_keeps_if_match(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    """After a 501 to a PutObject's If-None-Match (``put_refused``), a PutObject pinned to
    an ETag (a record's takeover) and a completion pinned to one (a copy onto itself) still
    carry If-Match (each answered 412 here by the proxy: the condition was sent, and it
    held the object). Failed before: the 501 turned every condition off, so both were made
    after a HEAD, racy (no If-Match sent: stored, completed)."""
    dest = destination(proxy.url, bucket, part_attempts=1)
    client = admin(s3_server.url)
    try:
        proxy.intercept("PUT", "/cards/", header="if-none-match", status=501, code="NotImplemented")
        dest.put_small("cards/report.json", b"{}")
        assert dest.put_refused and not dest.conditional_create and dest.conditional_match
        assert proxy.stats.intercepted == 1
        etag = client.head_object(Bucket=bucket, Key="cards/report.json")["ETag"]
        # A pinned PutObject.
        proxy.intercept("PUT", "/cards/", header="if-match", status=412, code="PreconditionFailed")
        with pytest.raises(OSError):
            dest._put("cards/report.json", b"[]", metadata={}, replace=True, pinned=etag)
        assert proxy.stats.intercepted == 2
        assert stored(s3_server.url, bucket, "cards/report.json") == b"{}"
        # A pinned completion.
        upload_id = client.create_multipart_upload(Bucket=bucket, Key="cards/report.json")[
            "UploadId"
        ]
        part = client.upload_part(
            Bucket=bucket, Key="cards/report.json", UploadId=upload_id, PartNumber=1, Body=b"x"
        )
        parts = [{"PartNumber": 1, "ETag": part["ETag"]}]
        proxy.intercept(
            "POST", "uploadId=", header="if-match", status=412, code="PreconditionFailed"
        )
        with pytest.raises(Exception, match="PreconditionFailed"):
            dest.complete_multipart("cards/report.json", upload_id, parts, pinned=etag)
        assert proxy.stats.intercepted == 3
        assert stored(s3_server.url, bucket, "cards/report.json") == b"{}"
        assert dest.complete_refused == []
        client.abort_multipart_upload(Bucket=bucket, Key="cards/report.json", UploadId=upload_id)
    finally:
        dest.close()


def test_a_501_to_a_conditional_completion_spares_every_putobject(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy
) -> None:
    """A service that does If-None-Match on PutObject (the probe saw it) but answers 501 to
    it on CompleteMultipartUpload: that upload completes after a HEAD, and so does each
    later one (no 501 asked for again), but PutObject keeps its atomic If-None-Match
    (``conditional_create``), and an object stored meanwhile under a multipart key is still
    found by the HEAD. Failed before: the 501 turned ``conditional_create`` off for the
    whole destination, so every later PutObject (objects, reports, the copy root's lock)
    went racy too."""
    dest = destination(proxy.url, bucket, part_attempts=1)
    assert dest.conditional_create and dest.complete_refused == []
    proxy.intercept("POST", "uploadId=", header="if-none-match", status=501, code="NotImplemented")
    data = os.urandom(6 * MiB)
    upload(dest, "cards/clip.mov", data)
    assert proxy.stats.intercepted == 1
    assert stored(s3_server.url, bucket, "cards/clip.mov") == data
    assert dest.conditional_create and dest.complete_refused == ["If-None-Match"]
    # PutObject still carries its condition: a 501 to it is the next one intercepted.
    (note,) = complete_refused_notes({0: S3Backend(dest)})
    assert note.endswith("; single-request uploads kept the condition"), note
    proxy.intercept("PUT", "/cards/", header="if-none-match", status=501, code="NotImplemented")
    dest.put_small("cards/report.json", b"{}")
    assert proxy.stats.intercepted == 2
    # That 501 turned every write to the HEAD check: the notes no longer say PutObject kept
    # its condition, and say it lost it (failed before: "kept the condition", and no note).
    completion, put = complete_refused_notes({0: S3Backend(dest)})
    assert "single-request" not in completion, completion
    assert "answered 501 to If-None-Match on PutObject mid-copy" in put, put
    # A later completion is HEAD-checked without asking again: the key taken meanwhile.
    admin(s3_server.url).put_object(Bucket=bucket, Key="cards/other.mov", Body=b"x")
    with pytest.raises(FileExistsError):
        upload(dest, "cards/other.mov", data)
    assert stored(s3_server.url, bucket, "cards/other.mov") == b"x"
    dest.close()


def _notes_of_a_copy_told_501(
    tmp_path: Path, bucket: str, proxy: FaultProxy, size: int, request: tuple[str, str]
) -> list[str]:
    """A real ``offload --json`` of a card of one clip of *size* bytes to a local folder and
    the bucket through *proxy*, which answers 501 NotImplemented to the first *request*
    (method, what its path holds) sent with If-None-Match: the copy succeeds (exit 0), that
    request refused once; the report's notes."""
    from s3.test_s3_cli import card_local_url
    from s3.test_s3_cli import offload as offload_cli

    card, local, url = card_local_url(tmp_path, bucket, {"CLIPS/A001C001.mov": size})
    proxy.intercept(*request, header="if-none-match", status=501, code="NotImplemented")
    code, out, err = offload_cli(
        tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), str(local), url
    )
    assert code == 0, err
    assert proxy.stats.intercepted == 1
    notes: list[str] = json.loads(out.strip().splitlines()[-1])["notes"]
    return notes


def test_a_501_to_a_conditional_completion_is_in_the_reports_notes(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """The same 501, in a copy (``offload``): the copy succeeds, and the report's notes say
    that files uploaded in parts were completed after a HEAD (racy) from then on. Failed
    before: nothing said so (the switch was silent)."""
    notes = _notes_of_a_copy_told_501(tmp_path, bucket, proxy, 9 * MiB + 5, ("POST", "uploadId="))
    (note,) = [note for note in notes if "CompleteMultipartUpload" in note]
    assert "answered 501 to If-None-Match on CompleteMultipartUpload" in note, note
    assert "completed after a HEAD of its key instead (racy" in note, note


def test_a_501_to_a_putobjects_condition_mid_copy_is_in_the_reports_notes(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """A 501 to a card file's PutObject If-None-Match (the probe's own went through): the
    copy succeeds after a HEAD, and the report's notes say that every write from then on
    was HEAD-checked. Failed before: nothing said so (the switch was silent)."""
    notes = _notes_of_a_copy_told_501(tmp_path, bucket, proxy, 1000, ("PUT", "/CLIPS/"))
    (note,) = [note for note in notes if "501" in note]
    assert "answered 501 to If-None-Match on PutObject mid-copy" in note, note


def test_object_corrupted_afterwards_is_found_by_the_read_back(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(7 * MiB)
    dest = destination(s3_server.url, bucket)
    upload(dest, "cards/clip.mov", data)
    recorded = xxhash.xxh64(data).hexdigest()
    assert dest.read_back("cards/clip.mov", ["xxh64"])[0]["xxh64"] == recorded
    bad = bytearray(data)
    bad[4 * MiB] ^= 1
    admin(s3_server.url).put_object(Bucket=bucket, Key="cards/clip.mov", Body=bytes(bad))
    digests, size = dest.read_back("cards/clip.mov", ["xxh64"])
    assert size == len(data) and digests["xxh64"] != recorded
    dest.close()


def test_read_back_survives_a_cut_connection(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(9 * MiB)
    upload(destination(s3_server.url, bucket), "cards/clip.mov", data)
    dest = destination(proxy.url, bucket)
    proxy.cut_answer_next(3 * MiB)  # the GET's connection closed 3 MiB into the object
    reader_digests, size = dest.read_back("cards/clip.mov", ["xxh64"])
    assert size == len(data) and reader_digests["xxh64"] == xxhash.xxh64(data).hexdigest()
    assert proxy.stats.cut == 1
    assert proxy.stats.methods.count("GET") == 2  # resumed with a ranged GET
    dest.close()


def test_keep_both_picks_a_free_key(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key="cards/A/clip.mov", Body=b"1")
    client.put_object(Bucket=bucket, Key="cards/A/clip (1).mov", Body=b"2")
    dest = destination(s3_server.url, bucket)
    assert dest.free_key("cards/A/clip.mov") == (
        "cards/A/clip (2).mov",
        ("cards/A/clip.mov", "cards/A/clip (1).mov"),
    )
    assert dest.free_key("cards/A/other.mov") == ("cards/A/other.mov", ())
    dest.close()


def test_memory_is_bounded_by_the_part_buffers(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    """60 MiB through 5 MiB parts, 2 in flight: the upload holds at most 3 buffers (+ the
    copy of a short last part), however fast the source is."""
    import tracemalloc

    dest = destination(s3_server.url, bucket, parallel_parts=2)
    chunk = os.urandom(MiB)
    tracemalloc.start()
    try:
        upload_ = dest.open_upload("cards/big.mov", 60 * MiB)
        for _ in range(60):
            upload_.write(chunk)
        upload_.complete()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 5 * MiB + 4 * MiB, peak / MiB
    dest.close()


def test_client_side_errors_fail_the_file_not_the_destination(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    dest = destination(s3_server.url, bucket)
    with pytest.raises(OSError) as caught:
        dest.stat_key(os.fsdecode(b"cards/clip-\xff.mov"))
    assert caught.value.errno == errno.EILSEQ
    with pytest.raises(OSError) as caught:
        upload(dest, "cards/a.mov", b"x", digests={"xxh64": "caf\u00e9"})  # not ASCII metadata
    assert caught.value.errno in (errno.EINVAL, errno.EILSEQ)
    dest.close()


def test_a_put_whose_answer_was_lost_is_not_refused_as_existing(s3_server, bucket, proxy) -> None:  # type: ignore[no-untyped-def]
    # The service stored the object, its answer was lost on the way back, botocore sent the
    # PutObject again, and If-None-Match refused it (412): that is our own object, not
    # another's. Before, the file failed as "already exists".
    dest = destination(proxy.url, bucket)
    data = os.urandom(300_000)
    key = dest.url.key("small.wav")
    proxy.cut_answer_next(60)  # past the two "100 Continue" (50 bytes): in the final answer
    dest.put_small(key, data)
    assert proxy.stats.cut == 1 and proxy.stats.methods.count("PUT") == 2
    assert stored(s3_server.url, bucket, key) == data
    # A key someone else holds is still refused.
    with pytest.raises(FileExistsError):
        dest.put_small(key, os.urandom(300_000))
    dest.close()
