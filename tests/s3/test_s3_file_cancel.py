"""A cancel reaches the S3 store's own long steps on the one-file path
(``copy_with_multiple_destinations``, ``pfndispatchcopy``) as on a card's: a replacement's
multipart copy over the final key (UploadPartCopy, objects above ``copy_max``) stops before
its next part, is aborted, the final key keeps the object it held, and the file is reported
cancelled. Before, the store's ``cancelled`` stayed ``lambda: False`` there: Ctrl-C let the
copy run to its end and replace the object; then the file was reported failed ("cancelled:
... unchanged") instead of cancelled."""

from __future__ import annotations

import os
from pathlib import Path

from offload.api import copy_with_multiple_destinations
from offload.destinations.s3config import S3Settings
from offload.options import CopyOptions, ExistingFilePolicy
from offload.results import DestinationStatus
from s3.conftest import FAST, admin
from s3.test_s3_cancel_windows import run_cancelled_while_held

MiB = 1024 * 1024


def test_a_cancel_stops_the_replacements_multipart_copy(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    clip = tmp_path / "A001C001.mov"
    clip.write_bytes(os.urandom(12 * MiB + 5))  # a copy in three parts of 5 MiB
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key="day1/clip.mov", Body=b"the old object")
    before = client.head_object(Bucket=bucket, Key="day1/clip.mov")["ETag"]
    # The first UploadPartCopy onto the final key is held; the cancel comes meanwhile.
    proxy.hold("PUT", f"/{bucket}/day1/clip.mov?", header="x-amz-copy-source")
    report = run_cancelled_while_held(
        proxy,
        lambda cancel: copy_with_multiple_destinations(
            clip,
            [f"s3://{bucket}/day1/clip.mov"],
            options=CopyOptions(existing=ExistingFilePolicy.OVERWRITE),
            s3=S3Settings(
                endpoint_url=proxy.url,
                region="us-east-1",
                **{**FAST, "copy_max": 5 * MiB},  # type: ignore[arg-type]
            ),
            cancel=cancel,
        ),
    )
    assert proxy.held.is_set(), "the multipart copy never started"
    assert report.cancelled
    (result,) = report.files[0].destinations
    assert result.status is DestinationStatus.CANCELLED, result.error
    head = client.head_object(Bucket=bucket, Key="day1/clip.mov")
    assert head["ETag"] == before and head["ContentLength"] == len(b"the old object")
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
