"""An S3 copy root: a card file whose object an earlier offload verified, now of another
size or date on the card (changed since, or a new take of its name), the object still as
the ledger recorded it (its listed size). Its refusal names that record and leads with
--keep-both / --into, never --overwrite, as on a drive (tests/cli/
test_earlier_copy_in_the_way.py). A real S3 server on 127.0.0.1. Failed before: the refusal
and the preflight warning led with --overwrite, the kind ``in_the_way``."""

from __future__ import annotations

import json
import os

import pytest

from s3.conftest import admin
from s3.test_s3_cli import make_card
from s3.test_s3_cli import offload as cli_offload
from support.cards import new_take

LEDGER = "this copy root's ledger records the file there as a copy an earlier offload made"


@pytest.mark.parametrize("size", [200_000, 250_000], ids=["same-size", "other-size"])
def test_an_object_verified_earlier_in_the_way_is_never_offered_overwrite_first(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, size
) -> None:
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, err
    key = "day1/A001/CLIPS/A001C002.mov"
    client = admin(s3_server.url)
    kept = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    new_take(card / "CLIPS" / "A001C002.mov", size)

    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 1, err
    (error,) = [x for x in err.splitlines() if x.startswith("ERROR:") and "A001C002" in x]
    assert LEDGER in error and " verified on " in error, error
    assert "--overwrite" not in error, error
    assert "--keep-both keeps both here, --into another folder keeps them apart" in error
    for line in err.splitlines():
        if "of another size already at the name of a copy" in line:
            assert LEDGER in line and "--overwrite" not in line, line
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == kept
    report = json.loads(
        sorted((tmp_path / "reports").glob("*.json"), key=os.path.getmtime)[-1].read_text()
    )
    (copied,) = [f for f in report["files"] if f["path"] == "CLIPS/A001C002.mov"]
    # Its own kind: this card's earlier take, never another card's (before: "another_card").
    assert copied["destinations"][0]["refusal"] == "earlier_copy", copied


def test_another_object_of_the_recorded_size_is_not_called_the_earlier_copy(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """The object at the key replaced by another of the same size (another ETag than the
    ledger's), the card file a new take of another size: the listing's ETag tells it is not
    the object the ledger vouches for, so it is refused as any object in the way. Failed
    before: its size alone was compared, and the refusal named the ledger's record."""
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, err
    key = "day1/A001/CLIPS/A001C002.mov"
    client = admin(s3_server.url)
    size = len(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    other = os.urandom(size)
    client.put_object(Bucket=bucket, Key=key, Body=other)
    new_take(card / "CLIPS" / "A001C002.mov", size + 50_000)

    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 1, err
    (error,) = [x for x in err.splitlines() if x.startswith("ERROR:") and "A001C002" in x]
    assert LEDGER not in error and "--overwrite replaces it" in error, error
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == other


@pytest.mark.fault
def test_verify_of_a_bucket_whose_offload_failed_before_its_first_record_says_so(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, faulty_fs
) -> None:
    """Every card file's read refused (EIO, the card on a real FUSE filesystem): the
    offload settles its record ``failed`` in the bucket, no ledger. ``offload verify`` of
    it says how that run ended, as of a local copy root (the record staged in its mirror),
    in a bucket's words. Failed before: "an offload of it ended before it recorded a copy
    (stopped: killed, a power cut; or failed there: ...)", the record never read."""
    import errno

    from s3.test_s3_verify import verify

    card_fs = faulty_fs()
    card = make_card(card_fs.mountpoint)
    card_fs.fail("read", errno.EIO)
    url = f"s3://{bucket}/day1"
    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    card_fs.clear()
    assert code != 0, err
    code, _, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 30, err
    (line,) = [x for x in err.splitlines() if x.startswith("ERROR:")]
    assert "failed there, and no copy it recorded stands here (its record names " in line, line
    assert "killed, a power cut" not in line, line
    assert "the service refused its uploads" in line and "drive" not in line, line


@pytest.mark.parametrize("plain", [100_000, 7_777], ids=["read-back", "other-size"])
def test_an_earlier_take_read_back_keeps_overwrite_from_an_object_in_the_way(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, plain
) -> None:
    """The bucket holds an earlier take of A001C002 of the new take's size (read back before
    the copy, refused as an earlier take's copy) and an object no ledger records at the key
    of a new card file, A001C004: of the card file's size (read back in the same read-back)
    or of another (the planner's warning, the engine's refusal). Its WARNING and ERROR offer
    --keep-both first, never --overwrite (it would replace the earlier take's object too).
    Failed before: "--overwrite replaces it once the new copy is verified, --keep-both keeps
    both" (the ERROR of the one read back, the WARNING of the other)."""
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, err
    key = "day1/A001/CLIPS/A001C002.mov"
    client = admin(s3_server.url)
    kept = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    clip = card / "CLIPS" / "A001C002.mov"
    before = clip.stat().st_mtime_ns
    clip.write_bytes(os.urandom(len(kept)))  # the same size: read back, then refused
    os.utime(clip, ns=(before + 60 * 10**9, before + 60 * 10**9))
    (card / "CLIPS" / "A001C004.mov").write_bytes(os.urandom(100_000))
    client.put_object(Bucket=bucket, Key="day1/A001/CLIPS/A001C004.mov", Body=os.urandom(plain))

    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 1, err
    (error,) = [x for x in err.splitlines() if x.startswith("ERROR:") and "A001C004" in x]
    assert "--keep-both keeps both" in error, error
    for line in err.splitlines():
        if "A001C004" in line and "--overwrite" in line:
            assert line.index("--keep-both") < line.index("--overwrite"), line
            assert "--overwrite replaces it" not in line, line
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == kept
