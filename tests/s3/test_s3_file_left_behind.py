"""The one-file copy (``pfndispatchcopy``, ``copy_with_multiple_destinations``) names what it
may leave in the bucket, as a card's report does (``s3card.left_behind_notes``): an object
of its own never verified whose delete the service refused (its read-back flipped on the
wire by the fault proxy, twice: not the source's bytes), and an unfinished multipart upload
a cancel mid-upload meant to abort and could not (the proxy refusing the abort); each with
why and the ``aws s3api`` command that removes it, on a WARNING line (pfndispatchcopy) and
in ``report.warnings`` (the library). A real server behind the proxy.

Failed before: nothing said either, the object (or the upload and its record) left in the
bucket unnamed."""

from __future__ import annotations

import os
from pathlib import Path

from offload.api import copy_with_multiple_destinations
from offload.destinations.s3config import S3Settings
from s3.conftest import FAST, admin
from s3.test_s3_cancel_windows import run_cancelled_while_held
from s3.test_s3_file import pfn

MiB = 1024 * 1024


def test_an_object_whose_delete_is_refused_is_named_with_its_command(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    clip = tmp_path / "A001C001.mov"
    clip.write_bytes(os.urandom(12 * MiB + 5))
    proxy.intercept("GET", "/day1/clip.mov HTTP", flip=True, count=100)
    proxy.intercept("DELETE", "/day1/clip.mov", status=403, code="AccessDenied", count=100)
    code, _out, err = pfn("--s3-endpoint", proxy.url, str(clip), f"s3://{bucket}/day1/clip.mov")
    assert code == 2, err
    # Left there for real: the object the read-back found unlike the source.
    listed = admin(s3_server.url).list_objects_v2(Bucket=bucket, Prefix="day1/clip.mov")
    assert [o["Key"] for o in listed.get("Contents", [])] == ["day1/clip.mov"]
    (line,) = [e for e in err.splitlines() if e.startswith("WARNING: ")]
    assert line.startswith(
        f"WARNING: s3://{bucket}/day1: 1 object or version that this run or an earlier one "
        "left, and that this run meant to delete or abort, may be left in the bucket: "
        f"s3://{bucket}/day1/clip.mov (its delete failed (AccessDenied"
    ), line
    assert line.endswith(
        f"remove it: aws s3api delete-object --endpoint-url {proxy.url} --bucket {bucket} "
        "--key day1/clip.mov)"
    ), line


def test_an_upload_a_cancel_could_not_abort_is_named_with_its_command(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    clip = tmp_path / "A001C001.mov"
    clip.write_bytes(os.urandom(12 * MiB + 5))  # three parts of 5 MiB
    proxy.hold("PUT", "partNumber=2")  # the cancel comes while part 2 is on its way
    proxy.intercept("DELETE", "uploadId=", status=403, code="AccessDenied", count=100)
    report = run_cancelled_while_held(
        proxy,
        lambda cancel: copy_with_multiple_destinations(
            clip,
            [f"s3://{bucket}/day1/clip.mov"],
            s3=S3Settings(endpoint_url=proxy.url, region="us-east-1", **FAST),  # type: ignore[arg-type]
            cancel=cancel,
        ),
    )
    assert report.cancelled and report.exit_code == 130
    (upload,) = admin(s3_server.url).list_multipart_uploads(Bucket=bucket)["Uploads"]
    upload_id = upload["UploadId"]
    (note,) = report.warnings
    assert f"the upload of s3://{bucket}/day1/clip.mov (upload id {upload_id}) (" in note, note
    assert "an unfinished multipart upload: its abort failed (AccessDenied" in note, note
    assert note.endswith(
        f"remove it: aws s3api abort-multipart-upload --endpoint-url {proxy.url} --bucket "
        f"{bucket} --key day1/clip.mov --upload-id {upload_id})"
    ), note
