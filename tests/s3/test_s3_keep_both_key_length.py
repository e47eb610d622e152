"""``--keep-both`` never stores a copy under a key longer than S3's 1,024 bytes: a card file
whose key is exactly 1,024 bytes, another object at that key, the name ``(1)`` would make
1,028 bytes; the preflight refuses the run before the copy (exit 64), naming the kept name
and what to do, as a local kept name past 255 bytes is refused (nothing stored; the object
kept). A real S3 server process (moto stores such a key, as AWS does not), the real CLI.
Failed before the copy-time guard: exit 0, ``KEPT BOTH`` and the copy stored at 1,028 bytes;
before the preflight's check: exit 1, that file failed once the rest was copied."""

from __future__ import annotations

from pathlib import Path

from s3.conftest import admin
from s3.test_s3_cli import keys, make_card, offload


def test_keep_both_past_1024_bytes_is_refused_before_the_copy(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    # day14/B001/ (11 bytes) + 4 folders of 201 bytes + a 209-byte name: 1,024 bytes.
    relative = "/".join(["d" * 200] * 4) + "/" + "f" * 205 + ".bin"
    card = make_card(tmp_path, {relative: 3000, "B001.xml": 500})
    card = card.rename(tmp_path / "B001")
    key = f"day14/B001/{relative}"
    assert len(key.encode()) == 1024
    admin(s3_server.url).put_object(Bucket=bucket, Key=key, Body=b"theirs")
    code, out, err = offload(
        tmp_path,
        "--s3-endpoint",
        s3_server.url,
        "--into",
        "--keep-both",
        str(card),
        f"s3://{bucket}/day14/B001",
    )
    assert code == 64, err
    assert "KEPT BOTH" not in out + err
    assert f"as '{'f' * 205} (1).bin', which makes its key 1028 bytes long" in err, err
    assert "S3 keys are at most 1024 bytes" in err and "move the object at that key away" in err
    stored = keys(s3_server.url, bucket)
    assert max(len(k.encode()) for k in stored) == 1024
    assert "day14/B001/B001.xml" not in stored  # refused before the copy
    body = admin(s3_server.url).get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == b"theirs"


def test_the_kept_key_the_run_will_use_is_the_one_checked(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    """A card file's key of 1,020 bytes taken, and its `` (1)`` to `` (9)`` too (1,024
    bytes each): the copy would be kept as `` (10)``, 1,025 bytes: refused before the copy
    naming that name (exit 64), nothing stored. Failed before: the preflight checked
    `` (1)`` alone (it fits): the run went on and failed that file at its commit."""
    relative = "/".join(["d" * 200] * 4) + "/" + "f" * 201 + ".bin"
    card = make_card(tmp_path, {relative: 3000, "B001.xml": 500})
    card = card.rename(tmp_path / "B001")
    key = f"day14/B001/{relative}"
    assert len(key.encode()) == 1020
    s3 = admin(s3_server.url)
    taken = [key, *(f"{key[:-4]} ({n}).bin" for n in range(1, 10))]
    for other in taken:
        s3.put_object(Bucket=bucket, Key=other, Body=b"theirs")
    code, out, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--into", "--keep-both", str(card),
        f"s3://{bucket}/day14/B001",
    )  # fmt: skip
    assert code == 64, out + err
    assert f"as '{'f' * 201} (10).bin', which makes its key 1025 bytes long" in err, err
    assert sorted(keys(s3_server.url, bucket)) == sorted(taken)  # refused before the copy
