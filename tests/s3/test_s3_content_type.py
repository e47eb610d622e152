"""Objects are stored with a Content-Type from their name, so a report opened from the
bucket (a console's link, a presigned URL) displays instead of downloading: the job reports
(text/html; charset=utf-8, application/pdf, application/json, text/csv), the ASC MHL
manifests, and the card's files (Python's table: .mov video/quicktime; .mxf
application/mxf; an unknown extension application/octet-stream), on every path that makes
an object: a PutObject, a multipart upload, its copy onto itself with the digests (which
replaces the metadata, the type with it), a replacement copied from its staging key.
Real server, read with HEAD. Failed before: every object binary/octet-stream."""

from __future__ import annotations

import os

from s3.conftest import admin
from s3.test_s3_cli import card_local_url, keys
from s3.test_s3_cli import offload as offload_cli

MiB = 1024 * 1024
SIZES = {
    "CLIPS/A001C001.MOV": 9 * MiB + 1,  # multipart, then copied onto itself
    "CLIPS/A001C002.mov": 200_000,  # one PutObject
    "CLIPS/A001C003.MXF": 1000,
    "RAW/A001C004.R3D": 1000,  # no registered type
    "A001.xml": 300,
}
EXPECTED = {
    "CLIPS/A001C001.MOV": "video/quicktime",
    "CLIPS/A001C002.mov": "video/quicktime",
    "CLIPS/A001C003.MXF": "application/mxf",
    "RAW/A001C004.R3D": "application/octet-stream",
    "A001.xml": "text/xml",
}
REPORT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
}


def content_type(endpoint: str, bucket: str, key: str) -> str:
    return str(admin(endpoint).head_object(Bucket=bucket, Key=key)["ContentType"])


def test_objects_are_stored_with_a_content_type_from_their_name(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    card, local, url = card_local_url(tmp_path, bucket, SIZES)
    code, _out, err = offload_cli(
        tmp_path, "--s3-endpoint", s3_server.url, str(card), str(local), url
    )
    assert code == 0, err
    for relative, expected in EXPECTED.items():
        assert content_type(s3_server.url, bucket, f"day1/A001/{relative}") == expected, relative
    stored = keys(s3_server.url, bucket)
    reports = [k for k in stored if k.startswith("day1/A001/.offload/reports/")]
    assert sorted(os.path.splitext(k)[1] for k in reports) == sorted(REPORT_TYPES)
    for key in reports:
        assert content_type(s3_server.url, bucket, key) == REPORT_TYPES[os.path.splitext(key)[1]]
    manifests = [k for k in stored if k.startswith("day1/A001/ascmhl/") and k.endswith(".mhl")]
    assert manifests
    for key in manifests:
        assert content_type(s3_server.url, bucket, key) == "text/xml; charset=utf-8"

    # A replacement (--overwrite over another object), staged then copied over the key, and a
    # multipart upload kept as it completed (--s3-no-digest-metadata): the same types.
    client = admin(s3_server.url)
    for relative in ("CLIPS/A001C001.MOV", "CLIPS/A001C002.mov"):
        client.put_object(Bucket=bucket, Key=f"day1/B/{relative}", Body=b"another object")
    code, _out, err = offload_cli(
        tmp_path,
        "--s3-endpoint",
        s3_server.url,
        "--overwrite",
        "--into",
        str(card),
        f"s3://{bucket}/day1/B",
    )
    assert code == 0, err
    code, _out, err = offload_cli(
        tmp_path,
        "--s3-endpoint",
        s3_server.url,
        "--s3-no-digest-metadata",
        str(card),
        f"s3://{bucket}/day2",
    )
    assert code == 0, err
    for prefix in ("day1/B", "day2/A001"):
        for relative, expected in EXPECTED.items():
            assert content_type(s3_server.url, bucket, f"{prefix}/{relative}") == expected, (
                prefix,
                relative,
            )
