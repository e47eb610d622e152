"""A file whose whole key (prefix + card folder + relative path) is longer than S3's 1,024
bytes is refused before the first byte (exit 64, named), though every name in it is short:
a real S3 server process (moto, which stores such a key: AWS refuses it), the real CLI.
Failed before: the copy exited 0 with a 1,100-byte key stored."""

from __future__ import annotations

from pathlib import Path

from s3.test_s3_cli import keys, make_card, offload


def _deep(total_names: int) -> str:
    return "/".join(["d" * 100] * total_names)


def test_a_whole_key_longer_than_1024_bytes_is_refused_up_front(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    # day1/A001/ (10 bytes) + 10 folders of 101 bytes + "clip.mov": 1,028 bytes.
    deep = _deep(10) + "/clip.mov"
    card = make_card(tmp_path, {deep: 2000, "A001.xml": 900})
    code, _, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, str(card), f"s3://{bucket}/day1"
    )
    assert code == 64, err
    assert "clip.mov" in err and "1028 bytes long" in err and "at most 1024 bytes" in err
    assert f"s3://{bucket}/day1/A001" in err
    assert keys(s3_server.url, bucket) == []  # nothing written, the short file neither


def test_a_key_of_exactly_1024_bytes_is_copied(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    deep = _deep(10) + "/clip"  # 10 + 1,010 + 4 = 1,024 bytes
    card = make_card(tmp_path, {deep: 2000})
    code, _, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, str(card), f"s3://{bucket}/day1"
    )
    assert code == 0, err
    assert f"day1/A001/{deep}" in keys(s3_server.url, bucket)
