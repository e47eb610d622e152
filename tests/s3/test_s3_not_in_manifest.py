"""A card file whose name no XML manifest can hold, offloaded to a bucket: copied, left out
of the manifest stored there, and named in the report by its object's s3:// URL (never the
stand-in path the copy root has on this machine). Real server (moto), real files."""

from __future__ import annotations

import os
from pathlib import Path

from offload.card import OffloadOptions, offload
from offload.destinations.s3config import S3Settings

ODD = "CLIPS/C002\x01take.mov"


def test_a_file_left_out_of_a_buckets_manifest_is_named_by_its_url(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(20_000))
    (card / ODD).write_bytes(os.urandom(10_000))
    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", max_attempts=3)
    report = offload(card, [f"s3://{bucket}/day1"], options=OffloadOptions(s3=settings))
    assert report.exit_code == 0
    (warning,) = [w for w in report.warnings if w.code.value == "not-in-manifest"]
    assert str(warning.path) == f"s3://{bucket}/day1/A001/{ODD}"
    assert warning.message.startswith(f"s3://{bucket}/day1/A001/CLIPS/C002\\x01take.mov is")
    assert report.not_in_manifest() == {
        0: {ODD: "its name holds the control character \\x01, which an XML manifest cannot hold"}
    }
