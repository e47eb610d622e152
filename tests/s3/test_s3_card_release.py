"""Two prefixes of one bucket are one storage for "may the card be formatted"
(report/release.py): the bucket deleted, its credentials revoked or its service down loses
both. Real S3 server process, real offload through the CLI. Failed before: each remote
destination was a group of its own and the card "may be formatted ... on 2 disks"."""

from __future__ import annotations

import json

from s3.test_s3_cli import make_card, offload


def test_two_prefixes_of_one_bucket_are_one_bucket(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    urls = [f"s3://{bucket}/day1", f"s3://{bucket}/mirror"]
    code, _out, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), *urls)
    assert code == 0, err
    (json_path,) = (tmp_path / "reports").glob("*.json")
    release = json.loads(json_path.read_text())["card_release"]
    assert release["may_format"] is True, release
    assert "on 2 destinations, on 1 bucket other than the card's" in release["text"]
    assert "That is one backup" in release["text"]
    assert "disk" not in release["text"]
