"""A bucket served from this host is no backup off the card's disk (report/release.py): a
MinIO or moto on this machine stores on one of its disks, maybe the card's, as a network
share this host serves. Real S3 server process (on 127.0.0.1), real offload through the CLI.
Failed before (QA, a DIT's shoot week): "The card may be formatted: every file is verified
(read back) on 1 destination, on 1 bucket other than the card's." and ``may_format`` true,
also with ``--cascade``. (That two prefixes of one bucket are one storage, and how the line
reads for a bucket elsewhere, is tests/report/test_release.py's: this server is on this
host.)"""

from __future__ import annotations

import json

import pytest

from s3.test_s3_cli import card_local_url, offload


@pytest.mark.parametrize("cascade", [False, True], ids=["plain", "cascade"])
def test_a_bucket_on_this_host_is_named_and_never_counted(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, cascade
) -> None:
    card, local, url = card_local_url(tmp_path, bucket)
    urls = [f"{url}/day4", f"{url}/mirror"]
    extra = ["--cascade"] if cascade else []
    code, _out, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, *extra, str(card), str(local), *urls
    )
    assert code == 0, err
    assert s3_server.url.startswith("http://127.0.0.1:")
    (json_path,) = (tmp_path / "reports").glob("*.json")
    data = json.loads(json_path.read_text())
    assert [d["endpoint"] for d in data["destinations"]] == [None, s3_server.url, s3_server.url]
    release = data["card_release"]
    assert release["may_format"] is False, release
    for number in (2, 3):
        assert (
            f"destination {number} is a bucket served from this host ({s3_server.url}): it "
            "may be on the card's own disk"
        ) in release["text"]
    terminal = " ".join(err.split())
    assert "may be formatted" not in terminal
    assert f"destination 2 is a bucket served from this host ({s3_server.url})" in terminal
