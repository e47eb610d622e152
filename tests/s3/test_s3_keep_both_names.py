"""``--keep-both`` names one file alike on a disk and in a bucket (``naming.keep_both_text``).

Failed before: a card file named ``clip.`` (a trailing dot) kept beside another file of that
name became ``clip. (1)`` on the disk and ``clip (1)`` in the bucket: two names for one copy,
and ``clip (1)`` is the kept name of another card file, ``clip``."""

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
        str(card),
        str(local),
        f"s3://{bucket}/day1",
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
