"""A C4 ID (base58: case is part of the value) through an S3 destination, compared exactly:
the cascade's check against the card, the digests stored in the object's metadata, the
re-run resumed from the bucket's ledger, ``--reverify`` (each object read back by a GET) and
``offload verify s3://`` (against the history, then the ledger). Before, the cascade lowered
the card's C4 ID and declared every verified fast copy damaged (exit 2, nothing uploaded).
The IDs are computed by the test from hashlib's SHA-512, not by offload-ai's code."""

from __future__ import annotations

from integration.test_digest_encodings import assert_mixed_case, c4_of
from s3.conftest import admin
from s3.test_s3_cli import CARD, make_card, offload
from s3.test_s3_verify import verify


def test_c4_through_a_cascade_to_s3(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1"
    expected = {relative: c4_of((card / relative).read_bytes()) for relative in CARD}
    assert_mixed_case(list(expected.values()))
    common = ("--s3-endpoint", s3_server.url, "-t", "c4", str(card), str(local))
    code, out, err = offload(tmp_path, *common, "--cascade-to", url)
    assert code == 0, out + err
    client = admin(s3_server.url)
    for relative, c4 in expected.items():
        head = client.head_object(Bucket=bucket, Key=f"day1/A001/{relative}")
        assert head["Metadata"].get("offload-c4") == c4
    # A re-run: the bucket's ledger vouches for every object; then each read back again.
    code, out, err = offload(tmp_path, *common, "--cascade-to", url)
    assert code == 0, out + err
    code, out, err = offload(tmp_path, *common, url, "--reverify")
    assert code == 0, out + err
    code, out, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 0 and "against ascmhl" in out, out + err
