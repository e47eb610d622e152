"""``--s3-part-size`` and ``--s3-checksum`` of ``offload copy`` (and ``S3Settings`` in the
library), against the real server: the parts have the size asked for and carry the checksum
asked for (which the test server checks); values S3 would refuse stop with one line, exit 64,
nothing written; a file too large for 10,000 parts of the size asked gets larger parts."""

from __future__ import annotations

import os

import pytest

from offload.destinations.s3config import MAX_PARTS, S3Settings, part_size_for
from offload.errors import UsageError
from s3.conftest import admin
from s3.test_s3_cli import keys, offload

MiB = 1024 * 1024


def test_part_size_and_checksum_options(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = tmp_path / "A001"
    card.mkdir()
    data = os.urandom(13 * MiB)
    (card / "clip.mov").write_bytes(data)
    code, _, err = offload(
        tmp_path,
        "--s3-endpoint",
        s3_server.url,
        "--s3-part-size",
        "6MiB",
        "--s3-checksum",
        "sha1",
        str(card),
        f"s3://{bucket}/day1",
    )
    assert code == 0, err
    client = admin(s3_server.url)
    first = client.head_object(Bucket=bucket, Key="day1/A001/clip.mov", PartNumber=1)
    assert first["ContentLength"] == 6 * MiB and first["PartsCount"] == 3
    head = client.head_object(Bucket=bucket, Key="day1/A001/clip.mov", ChecksumMode="ENABLED")
    assert "ChecksumSHA1" in head and "ChecksumCRC32" not in head
    assert client.get_object(Bucket=bucket, Key="day1/A001/clip.mov")["Body"].read() == data


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--s3-part-size", "1MiB", "5MiB to 5GiB"),
        ("--s3-part-size", "6GiB", "5MiB to 5GiB"),
        ("--s3-part-size", "lots", "not a size"),
        ("--s3-checksum", "XXH64", "invalid choice"),
    ],
)
def test_bad_values_stop_before_the_first_byte(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, option: str, value: str, says: str
) -> None:
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(b"x" * 1000)
    code, _, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, option, value, str(card), f"s3://{bucket}/d"
    )
    assert code == 64
    lines = err.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and option in lines[0], err
    assert keys(s3_server.url, bucket) == []


def test_settings_refuse_what_s3_refuses() -> None:
    with pytest.raises(UsageError, match="5 MiB to 5 GiB"):
        S3Settings(part_size=4 * MiB)
    with pytest.raises(UsageError, match="unknown S3 part checksum"):
        S3Settings(checksum="XXH64")


def test_part_size_grows_for_files_that_need_more_than_10000_parts() -> None:
    settings = S3Settings(part_size=8 * MiB)
    assert part_size_for(50 * 1024 * MiB, settings) == 8 * MiB  # 6,400 parts
    huge = 500 * 1024 * MiB
    grown = part_size_for(huge, settings)
    assert grown == 52 * MiB and -(-huge // grown) <= MAX_PARTS
