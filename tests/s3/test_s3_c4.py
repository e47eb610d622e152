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


def test_a_legacy_mhl_with_xxh32_checks_the_objects(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A legacy MHL's <xxhash> (XXH32, decimal; from the xxhash library, not offload-ai's
    code) recomputed from each object's GET: an object whose bytes changed is CHANGED (11);
    before, each was checked for size only and the run exited 0."""
    import xxhash

    from s3.test_s3_verify import copied

    url = copied(s3_server, bucket, tmp_path)
    client = admin(s3_server.url)
    card = tmp_path / "A001"  # make_card's folder, copied to day1/A001
    entries = "".join(
        f"<hash><file>{relative}</file><size>{size}</size>"
        "<lastmodificationdate>2024-01-01T00:00:00Z</lastmodificationdate>"
        f"<xxhash>{xxhash.xxh32((card / relative).read_bytes()).intdigest():010d}</xxhash>"
        "<hashdate>2024-01-01T00:00:00Z</hashdate></hash>"
        for relative, size in CARD.items()
    )
    mhl = tmp_path / "given.mhl"
    mhl.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><hashlist version="1.1"><creatorinfo>'
        "<username>u</username><hostname>h</hostname><tool>t</tool>"
        "<startdate>2024-01-01T00:00:00Z</startdate><finishdate>2024-01-01T00:00:00Z</finishdate>"
        f"</creatorinfo>{entries}</hashlist>"
    )
    code, out, err = verify(tmp_path, s3_server.url, "--mhl-file", str(mhl), url)
    assert code == 0 and f"{len(CARD)} OK" in out, out + err
    key = "day1/A001/A001.xml"
    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    client.put_object(Bucket=bucket, Key=key, Body=bytes([body[0] ^ 1]) + body[1:])
    code, out, err = verify(tmp_path, s3_server.url, "--mhl-file", str(mhl), url)
    assert code == 11 and "CHANGED" in err and "A001.xml" in err, out + err


def test_a_card_whose_legacy_mhl_records_xxh32_is_copied_to_s3(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The S3 side of a card carrying a legacy MHL in ``<xxhash>`` (XXH32) alone: copied
    (a traceback before this pass: the copy refused the format its plan added), each
    object's metadata holding the record's digest the read proved (as a card history's
    digests are given up front), the bucket's ledger then vouching for every object
    (``offload verify``: 0)."""
    import xxhash

    card = make_card(tmp_path, {"CLIPS/A001C001.mov": 300_000, "A001.xml": 900})
    entries = "".join(
        f"<hash><file>{p.relative_to(card)}</file><size>{p.stat().st_size}</size>"
        f"<xxhash>{xxhash.xxh32(p.read_bytes()).intdigest():010d}</xxhash></hash>"
        for p in sorted(card.rglob("*"))
        if p.is_file()
    )
    (card / "A001.mhl").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><hashlist version="1.1">{entries}</hashlist>'
    )
    url = f"s3://{bucket}/day2"
    code, out, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0 and "Traceback" not in err, out + err
    head = admin(s3_server.url).head_object(Bucket=bucket, Key="day2/A001/A001.xml")
    xml = (card / "A001.xml").read_bytes()  # the record's digest, proved by the read
    assert head["Metadata"].get("offload-xxh32") == xxhash.xxh32(xml).hexdigest(), head
    code, out, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 0, out + err
