"""The engine (CopyJob) writing through the S3 backend (``destinations.s3backend``) next to a
local destination: one read of the source feeds both; every S3 object read back by a GET;
the ledger on S3; faults made for real by the proxy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import xxhash

from offload.destinations.local import LocalDestination
from offload.destinations.s3backend import S3Backend
from offload.destinations.s3ledger import S3Ledger
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.model import SourceFile
from offload.options import CopyOptions, ExistingFilePolicy, VerifyMode
from offload.results import CacheBypass, DestinationStatus, JobReport
from s3.conftest import admin, destination
from support.cards import write_source_files
from support.tcpproxy import FaultProxy

MiB = 1024 * 1024
SIZES = {"CLIPS/A001C001.mov": 7 * MiB + 17, "CLIPS/A001C002.mov": 70_000, "meta.xml": 0}


def make_card(root: Path) -> list[SourceFile]:
    return write_source_files(root, SIZES)


def run(
    tmp: Path,
    backend: S3Backend,
    files: list[SourceFile],
    mode: VerifyMode = VerifyMode.DESTINATION,
    existing: ExistingFilePolicy = ExistingFilePolicy.FAIL,
) -> JobReport:
    local_root = tmp / "local"
    local_root.mkdir(parents=True, exist_ok=True)
    roots = [local_root, backend.root]
    tasks = [FileTask(f, tuple(r / "A001" / f.relative_path for r in roots)) for f in files]
    with LocalDestination(local_root) as local:
        return CopyJob(
            tasks,
            roots,
            CopyOptions(verify=mode, chunk_size=MiB, existing=existing),
            destinations=[local, backend],
            ledgers=[None, S3Ledger(backend, backend.root / "A001")],
        ).run()


def stored(endpoint: str, bucket: str, key: str) -> bytes:
    return admin(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.mark.parametrize("mode", list(VerifyMode))
def test_card_to_local_and_s3(s3_server, bucket, proxy, tmp_path, mode) -> None:  # type: ignore[no-untyped-def]
    files = make_card(tmp_path)
    backend = S3Backend(destination(proxy.url, bucket, prefix="day1"))
    report = run(tmp_path, backend, files, mode)
    backend.close()
    assert report.exit_code == 0, [(f.relative_path, f.destinations) for f in report.files]
    for file in files:
        data = file.path.read_bytes()
        assert stored(s3_server.url, bucket, f"day1/A001/{file.relative_path}") == data
        result = next(f for f in report.files if f.relative_path == file.relative_path)
        s3_result = result.destination(1)
        assert s3_result is not None
        if mode is VerifyMode.TRANSFER:
            assert s3_result.status is DestinationStatus.TRANSFER_CHECKED
            assert s3_result.cache_bypass is CacheBypass.NOT_READ
        else:
            assert s3_result.status is DestinationStatus.VERIFIED
            assert s3_result.cache_bypass is CacheBypass.REMOTE
            assert s3_result.digests == {"xxh64": xxhash.xxh64(data).hexdigest()}
    # The ledger is on S3, next to the copies: one object per batch.
    ledger = S3Ledger(backend, backend.root / "A001").load()
    assert set(ledger) == set(SIZES)
    assert all(e.verify == mode.value for e in ledger.values())
    client = admin(s3_server.url)
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {k for k in keys if "/.offload/" not in k} == {f"day1/A001/{r}" for r in SIZES}
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_existing_object_fails_that_file_only(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = make_card(tmp_path)
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key="day1/A001/meta.xml", Body=b"theirs")
    backend = S3Backend(destination(s3_server.url, bucket, prefix="day1"))
    report = run(tmp_path, backend, files)
    backend.close()
    meta = next(f for f in report.files if f.relative_path == "meta.xml").destination(1)
    assert meta is not None and meta.status is DestinationStatus.FAILED
    assert "exists" in (meta.error or "")
    assert stored(s3_server.url, bucket, "day1/A001/meta.xml") == b"theirs"
    others = [f.destination(1) for f in report.files if f.relative_path != "meta.xml"]
    assert all(r is not None and r.status is DestinationStatus.VERIFIED for r in others)
    assert report.exit_code == 1


def test_keep_both_on_s3(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = make_card(tmp_path)
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key="day1/A001/CLIPS/A001C001.mov", Body=b"theirs")
    backend = S3Backend(
        destination(s3_server.url, bucket, prefix="day1"), existing=ExistingFilePolicy.KEEP_BOTH
    )
    report = run(tmp_path, backend, files, existing=ExistingFilePolicy.KEEP_BOTH)
    backend.close()
    assert report.exit_code == 0
    clip = next(f for f in report.files if f.relative_path == "CLIPS/A001C001.mov")
    result = clip.destination(1)
    assert result is not None and result.final_path.endswith("A001C001 (1).mov")
    assert stored(s3_server.url, bucket, "day1/A001/CLIPS/A001C001.mov") == b"theirs"
    data = files[0].path.read_bytes()
    assert stored(s3_server.url, bucket, "day1/A001/CLIPS/A001C001 (1).mov") == data


def test_server_gone_loses_the_s3_destination_only(s3_server, bucket, proxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = make_card(tmp_path)
    proxy.go_down()
    backend = S3Backend(destination(proxy.url, bucket, prefix="day1", max_attempts=2))
    report = run(tmp_path, backend, files)
    backend.close()
    assert report.exit_code == 1
    print(report.destinations[1].lost_reason)
    print([f.destination(1).error for f in report.files])  # type: ignore[union-attr]
    assert report.destinations[1].lost and "cannot be reached" in (
        report.destinations[1].lost_reason or ""
    )
    assert all(
        f.destination(0) is not None and f.destination(0).status is DestinationStatus.VERIFIED  # type: ignore[union-attr]
        for f in report.files
    )
    assert all(f.destination(1).status is DestinationStatus.FAILED for f in report.files)  # type: ignore[union-attr]


def test_corrupted_part_on_the_wire_is_resent_within_a_job(
    s3_server, bucket, proxy, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    files = make_card(tmp_path)
    proxy.corrupt_next(1, min_body=MiB)
    backend = S3Backend(destination(proxy.url, bucket, prefix="day1"))
    report = run(tmp_path, backend, files)
    backend.close()
    assert proxy.stats.corrupted == 1
    assert report.exit_code == 0
    clip = files[0]
    assert (
        stored(s3_server.url, bucket, f"day1/A001/{clip.relative_path}") == clip.path.read_bytes()
    )


def test_upload_cut_off_by_a_lost_service_resumes_on_the_next_run(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    path = tmp_path / "card" / "A001C003.mov"
    path.parent.mkdir(parents=True)
    data = os.urandom(26 * MiB)  # 6 parts of 5 MiB
    path.write_bytes(data)
    st = path.stat()
    files = [SourceFile(path, "A001C003.mov", st.st_size, st.st_mtime_ns)]
    # Lookups, the upload's creation and record, then 3 parts: then the service is gone.
    proxy.down_after(6)
    first = S3Backend(destination(proxy.url, bucket, prefix="day1", max_attempts=2))
    report = run(tmp_path, first, files)
    first.close()
    assert report.destinations[1].lost
    client = admin(s3_server.url)
    uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [u["Key"] for u in uploads] == ["day1/A001/A001C003.mov"]  # left for a resume
    parts = client.list_parts(Bucket=bucket, Key=uploads[0]["Key"], UploadId=uploads[0]["UploadId"])
    assert parts.get("Parts")

    second_proxy = FaultProxy(s3_server.port)
    again = S3Backend(destination(second_proxy.url, bucket, prefix="day1"))
    report = run(tmp_path / "second", again, files)
    again.close()
    second_proxy.close()
    assert report.exit_code == 0
    # Only the parts the service lacked were sent (6 parts in all).
    sent = [t for t in second_proxy.targets if "partNumber=" in t]
    assert len(sent) <= 6 - len(parts["Parts"])
    assert stored(s3_server.url, bucket, "day1/A001/A001C003.mov") == data
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    # The upload was resumed (its record is gone once completed).
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert not [k for k in keys if "/.offload/uploads/" in k]


def test_cancel_aborts_the_uploads_in_flight(s3_server, bucket, proxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from offload.engine.cancel import CancelToken
    from offload.events import DestinationBytesWritten, Event

    path = tmp_path / "card" / "big.mov"
    path.parent.mkdir(parents=True)
    path.write_bytes(os.urandom(30 * MiB))
    st = path.stat()
    source = SourceFile(path, "big.mov", st.st_size, st.st_mtime_ns)
    backend = S3Backend(destination(proxy.url, bucket, prefix="day1"))
    cancel = CancelToken()
    written = [0]

    class Sink:
        def emit(self, event: Event) -> None:
            if isinstance(event, DestinationBytesWritten) and event.destination_index == 0:
                written[0] += event.nbytes
                if written[0] >= 12 * MiB:
                    cancel.cancel()

    report = CopyJob(
        [FileTask(source, (backend.root / "A001" / "big.mov",))],
        [backend.root],
        CopyOptions(chunk_size=MiB),
        destinations=[backend],
        sink=Sink(),
        cancel=cancel,
    ).run()
    backend.close()
    assert report.cancelled
    client = admin(s3_server.url)
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    assert not client.list_objects_v2(Bucket=bucket).get("Contents")


def test_a_name_that_is_not_utf8_fails_that_file_on_s3_only(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = make_card(tmp_path)
    odd = tmp_path / "card" / os.fsdecode(b"clip-\xff.mov")
    odd.write_bytes(b"odd name")
    st = odd.stat()
    files.append(SourceFile(odd, odd.name, st.st_size, st.st_mtime_ns))
    backend = S3Backend(destination(s3_server.url, bucket, prefix="day1"))
    report = run(tmp_path, backend, files)
    backend.close()
    by_name = {f.relative_path: f for f in report.files}
    failed = by_name[odd.name].destination(1)
    assert failed is not None and failed.status is DestinationStatus.FAILED
    assert "not valid UTF-8" in (failed.error or "")
    local = by_name[odd.name].destination(0)
    assert local is not None and local.status is DestinationStatus.VERIFIED
    assert not report.destinations[1].lost
    others = [by_name[r].destination(1) for r in SIZES]
    assert all(r is not None and r.status is DestinationStatus.VERIFIED for r in others)


def test_the_lost_line_names_the_object_once(s3_server, bucket, proxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The service failing every attempt at part 2 of the big clip (500 from the proxy):
    the destination is lost, and its line names the clip once ("cannot flush <url> on
    destination ...: cannot upload part 2 of it (...)"). Before, "cannot flush <url> on
    destination <root>: cannot upload part 2 of <url> (...)"."""
    files = make_card(tmp_path)
    proxy.intercept("PUT", "partNumber=2", status=500, code="InternalError", count=100)
    backend = S3Backend(destination(proxy.url, bucket, prefix="day1", max_attempts=2))
    report = run(tmp_path, backend, files)
    backend.close()
    assert report.exit_code == 1
    from offload.destinations.s3url import shown

    lost = shown(report.destinations[1].lost_reason or "")  # as the card layer shows it
    url = f"s3://{bucket}/day1/A001/CLIPS/A001C001.mov"
    assert report.destinations[1].lost, lost
    assert f" {url} on destination s3://{bucket}/day1: cannot upload part 2 of it (" in lost
    assert lost.startswith("cannot ") and lost.count(url) == 1, lost


def test_hash_copy_keeps_metadata_only_of_an_object_of_ours_lacking_its_digests(  # type: ignore[no-untyped-def]
    s3_server, bucket
) -> None:
    """``hash_copy`` reads three objects: another writer's, one of ours holding its digests,
    one of ours without them (a run stopped before its digests' copy). Only the last one's
    metadata and size are kept (what ``complete_adopted`` may complete), and
    ``complete_adopted`` drops them once it gave that object its digests. Failed before:
    every object's metadata and size kept for the whole run."""
    from offload.destinations.s3 import MARKER_KEY, digest_metadata, digests_of

    client = admin(s3_server.url)
    body = b"clip" * 1000
    digests = {"xxh64": xxhash.xxh64(body).hexdigest()}
    kept = {MARKER_KEY: "run1"}
    for name, metadata in (
        ("theirs.mov", {}),
        ("whole.mov", {**kept, **digest_metadata(digests)}),
        ("bare.mov", kept),
    ):
        client.put_object(Bucket=bucket, Key=f"day1/{name}", Body=body, Metadata=metadata)
    backend = S3Backend(destination(s3_server.url, bucket, prefix="day1"))
    try:
        for name in ("theirs.mov", "whole.mov", "bare.mov"):
            assert backend.hash_copy(backend.root / name, ["xxh64"]) == digests
        assert set(backend._read_metadata) == {"day1/bare.mov"}
        assert set(backend._read_sizes) == {"day1/bare.mov"}
        backend.complete_adopted(backend.root / "bare.mov", digests)
        assert backend._read_metadata == {} and backend._read_sizes == {}
    finally:
        backend.close()
    head = client.head_object(Bucket=bucket, Key="day1/bare.mov")
    assert digests_of(head["Metadata"]) == digests
