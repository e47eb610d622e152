"""The free name a refusal of another card's copy root suggests (``card_folder``), asked of
a bucket destination too: before, a bucket was never listed and ``NAME_2`` was named even
where objects already lay below it. A real moto server process, the real CLI (in-process),
two card folders of one name whose identity no run can tell (their content tells)."""

from __future__ import annotations

import json
from pathlib import Path

from s3.conftest import admin
from s3.test_s3_cli import offload as cli_offload


def _card(folder: Path, seed: bytes) -> Path:
    card = folder / "EOS_DIGITAL"
    (card / "DCIM").mkdir(parents=True)
    (card / "DCIM" / "IMG_0001.CR3").write_bytes(seed * 5000)
    return card


def test_the_free_name_is_one_the_bucket_does_not_hold(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    first, second = _card(tmp_path / "r1", b"one "), _card(tmp_path / "r2", b"second ")
    url = f"s3://{bucket}/day1"
    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(first), url)
    assert code == 0, err
    client = admin(s3_server.url)
    # EOS_DIGITAL_2 holds an object below it (another card's, another tool's), and
    # EOS_DIGITAL_3 is an object's own key: neither is free.
    client.put_object(Bucket=bucket, Key="day1/EOS_DIGITAL_2/DCIM/IMG_0001.CR3", Body=b"x")
    client.put_object(Bucket=bucket, Key="day1/EOS_DIGITAL_3", Body=b"y")
    local = tmp_path / "disk"
    (local / "EOS_DIGITAL_4").mkdir(parents=True)  # a local destination's taken name too

    code, out, err = cli_offload(
        tmp_path, "--s3-endpoint", s3_server.url, str(second), url, str(local)
    )
    assert code == 64, out + err
    assert f"{url}/EOS_DIGITAL holds another offload, of this card or another" in err, err
    free = f"{url}/EOS_DIGITAL_5 {local}/EOS_DIGITAL_5 ("
    assert f"mkdir {local}/EOS_DIGITAL_5 && offload copy --into {second} {free}" in err, err
    listing = client.list_objects_v2(Bucket=bucket, Prefix="day1/EOS_DIGITAL_5")
    assert listing.get("KeyCount", 0) == 0
    # --json names the folder by its URL (failed before: "s3:/bucket/...", a Path of it).
    code, out, err = cli_offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--json", str(second), url
    )
    assert code == 64, out + err
    (refusal,) = [json.loads(line) for line in out.splitlines()]
    (found,) = refusal["errors"]
    assert found["code"] == "copy-root-of-another-card" and found["path"] == f"{url}/EOS_DIGITAL"
