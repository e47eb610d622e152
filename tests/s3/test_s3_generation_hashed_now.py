"""An ``s3://`` copy root's re-run with a new clip: its generation lists the clip alone, not
the objects trusted from the bucket's ledger (neither read nor hashed by the re-run: before,
listed ``verified``). The prefix downloaded by a plain client passes ascmhl 1.2's verify,
and ``offload verify s3://`` finds each object's record."""

from __future__ import annotations

import os

from s3.test_s3_cli import offload
from s3.test_s3_verify import download_prefix, make_card, verify
from support.manifest_records import listed_actions

SIZES = {"CLIPS/A001C001.mov": 300_000, "CLIPS/A001C002.mov": 200_000, "A001.xml": 900}


def test_a_rerun_with_a_new_clip_lists_only_that_clip(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, judge
) -> None:
    card = make_card(tmp_path, SIZES)
    url = f"s3://{bucket}/day1"
    for run in range(2):
        if run:
            (card / "CLIPS" / "A001C003.mov").write_bytes(os.urandom(100_000))
        code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
        assert code == 0, err
    downloaded = download_prefix(s3_server.url, bucket, "day1/A001", tmp_path / "dl" / "A001")
    first, second = listed_actions(downloaded)
    assert set(first) == set(SIZES)
    assert second == {"CLIPS/A001C003.mov": {"original"}}
    assert judge.verify(downloaded).clean, judge.verify(downloaded).describe()
    code, out, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 0, err
    assert "4 OK, 0 changed, 0 missing, 0 new" in out
