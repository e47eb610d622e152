"""An S3 destination's ledger is loaded for planning as a drive's is: a re-run names the
card files it records that the card no longer has (``not-on-card``, the copy's ``s3://``
URL), the objects kept. A real moto server process, the real CLI (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

from s3.test_s3_cli import card_local_url, keys
from s3.test_s3_cli import offload as cli_offload

SIZES = {"CLIPS/A001C001.mov": 30_000, "CLIPS/A001C002.mov": 20_000, "A001.xml": 900}


def test_a_file_deleted_from_the_card_is_named_for_a_bucket(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Failed before: the re-run said nothing of the clip the bucket's ledger records."""
    card, local, url = card_local_url(tmp_path, bucket, SIZES)
    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), str(local), url)
    assert code == 0, err
    (card / "CLIPS" / "A001C002.mov").unlink()

    code, out, err = cli_offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), str(local), url
    )
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    issued = [e for e in events if e["event"] == "warning_issued" and e["code"] == "not-on-card"]
    assert [e["path"] for e in issued] == [
        str(local / "A001" / "CLIPS" / "A001C002.mov"),
        f"s3://{bucket}/day1/A001/CLIPS/A001C002.mov",
    ], issued
    assert f"recorded on s3://{bucket}/day1/A001 is not on the card now" in issued[1]["message"]
    assert "day1/A001/CLIPS/A001C002.mov" in keys(s3_server.url, bucket)  # kept
    report = json.loads(Path(events[-1]["reports"][0]).read_text())
    assert [w["path"] for w in report["warnings"] if w["code"] == "not-on-card"] == [
        e["path"] for e in issued
    ]
