"""``--keep-both`` names one file alike on a disk and in a bucket (``naming.keep_both_text``).

Failed before: a card file named ``clip.`` (a trailing dot) kept beside another file of that
name became ``clip. (1)`` on the disk and ``clip (1)`` in the bucket: two names for one copy,
and ``clip (1)`` is the kept name of another card file, ``clip``. Copied ``--into`` the
card's folders: without, a disk folder of nothing but another file at a card file's name is
refused whole (card_folder)."""

from __future__ import annotations

import pytest

from s3.conftest import admin
from s3.test_s3_cli import keys, make_card, offload


@pytest.mark.parametrize("name", ["clip.", "CLIP.MOV", "..x", ".hidden", "a.tar.gz"])
def test_a_file_kept_beside_another_gets_one_name_on_a_disk_and_in_a_bucket(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, name: str
) -> None:
    card = make_card(tmp_path, {name: 3000})
    local = tmp_path / "local"
    (local / "A001").mkdir(parents=True)
    (local / "A001" / name).write_bytes(b"theirs")
    admin(s3_server.url).put_object(Bucket=bucket, Key=f"day1/A001/{name}", Body=b"theirs")
    code, _out, err = offload(
        tmp_path,
        "--s3-endpoint",
        s3_server.url,
        "--keep-both",
        "--into",
        str(card),
        str(local / "A001"),
        f"s3://{bucket}/day1/A001",
    )
    assert code == 0, err
    on_disk = sorted(
        p.name for p in (local / "A001").iterdir() if p.name not in (".offload", "ascmhl")
    )
    in_bucket = sorted(
        key.removeprefix("day1/A001/")
        for key in keys(s3_server.url, bucket)
        if "/.offload/" not in key and "/ascmhl/" not in key
    )
    assert on_disk == in_bucket
    (kept,) = set(on_disk) - {name}
    expected = {"clip.": "clip. (1)", "CLIP.MOV": "CLIP (1).MOV", "..x": "..x (1)"}
    expected |= {".hidden": ".hidden (1)", "a.tar.gz": "a.tar (1).gz"}
    assert kept == expected[name]
    assert (local / "A001" / kept).read_bytes() == (card / name).read_bytes()
    stored = admin(s3_server.url).get_object(Bucket=bucket, Key=f"day1/A001/{kept}")
    assert stored["Body"].read() == (card / name).read_bytes()


def test_a_kept_copy_never_takes_the_name_of_another_card_file(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """The card holds ``clip.mov`` and ``clip (1).mov``; ``clip.mov`` of other bytes is on
    the disk and in the bucket. Failed before (exit 1, on both): the new ``clip.mov`` was
    given ``clip (1).mov``, the name the card's own ``clip (1).mov`` then found taken, and
    the refusal advised "--keep-both keeps both" to a run given --keep-both. Now it is
    kept as ``clip (2).mov``, the card's ``clip (1).mov`` under its own name, nothing lost."""
    card = make_card(tmp_path, {"clip.mov": 3000, "clip (1).mov": 3001})
    local = tmp_path / "local"
    (local / "A001").mkdir(parents=True)
    (local / "A001" / "clip.mov").write_bytes(b"theirs")
    admin(s3_server.url).put_object(Bucket=bucket, Key="day1/A001/clip.mov", Body=b"theirs")
    args = ("--s3-endpoint", s3_server.url, "--keep-both", "--into", str(card), str(local / "A001"))
    code, _out, err = offload(tmp_path, *args, f"s3://{bucket}/day1/A001")
    assert code == 0, err
    assert "--keep-both keeps both" not in err, err
    expected = {
        "clip.mov": b"theirs",
        "clip (1).mov": (card / "clip (1).mov").read_bytes(),
        "clip (2).mov": (card / "clip.mov").read_bytes(),
    }
    on_disk = {
        p.name: p.read_bytes()
        for p in (local / "A001").iterdir()
        if p.name not in (".offload", "ascmhl")
    }
    assert on_disk == expected
    client = admin(s3_server.url)
    in_bucket = {
        key.removeprefix("day1/A001/"): client.get_object(Bucket=bucket, Key=key)["Body"].read()
        for key in keys(s3_server.url, bucket)
        if "/.offload/" not in key and "/ascmhl/" not in key
    }
    assert in_bucket == expected
