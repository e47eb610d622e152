"""An S3 destination's ledger records the card too: a reshot card (another exFAT volume
serial, the same names, sizes and dates) offloaded into the same bucket prefix is not
trusted from the first card's entries: into the prefix named after the card it is refused
before the copy, and ``--into`` that prefix each object is read back and refused. A real moto
server process, real exFAT cards (loop devices, exfat-fuse), the real CLI (in-process)."""

from __future__ import annotations

import json
from typing import Any

from integration.test_card_identity import NAMES, two_cards
from offload.card_identity import card_identity
from s3.conftest import admin
from s3.test_s3_cli import offload as cli_offload
from s3.test_s3_verify import verify


def test_a_reshot_card_is_read_back_from_a_bucket_and_refused(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, exfat_loop: Any
) -> None:
    """Failed before: the second card's clips were "verified earlier" from the bucket's
    ledger (the first card's entries) and never uploaded; exit 0."""
    first, second = two_cards(tmp_path, exfat_loop, b"take 2 ")
    url = f"s3://{bucket}/day1"
    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(first), url)
    assert code == 0, err
    client = admin(s3_server.url)
    identity = card_identity(first)
    assert identity is not None

    # Into the prefix named after the card (s3://.../day1/A001), the second card of that
    # name is refused before anything is uploaded: its ledger records another card's offload.
    code, out, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(second), url)
    assert code == 64, out + err
    assert f"{url}/A001 holds another card's offload" in err, err
    assert f"offload copy --into {second} {url}/A001_2 (" in err, err
    # --into that prefix: asked for, each object read back and refused.
    code, out, err = cli_offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--into", str(second), f"{url}/A001"
    )
    assert code == 2, out + err
    assert "ledger records it from another card" in err, err
    assert f"volume {identity.volume_id}" in err
    for name in NAMES:  # the first card's objects are kept
        body = client.get_object(Bucket=bucket, Key=f"day1/A001/{name}")["Body"].read()
        assert body == (first / name).read_bytes()
    # Every entry records the first card (the refusals recorded nothing).
    ledger = [
        json.loads(line)
        for item in client.list_objects_v2(Bucket=bucket, Prefix="day1/A001/.offload/ledger/")[
            "Contents"
        ]
        for line in client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().splitlines()
    ]
    assert {line["card"] for line in ledger} == {identity.key}


def test_two_cards_kept_both_under_one_prefix_each_find_their_own_objects(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, exfat_loop: Any
) -> None:
    """The bucket's ledger folds its lines as a disk's: card A, then B ``--keep-both``
    (its clips beside A's as "name (1).ext"), then A and B again: each re-run trusts its
    own card's objects and uploads nothing. Failed before: A's re-run read its objects
    back, and B's then uploaded "name (2).ext"."""
    first, second = two_cards(tmp_path, exfat_loop, b"take 2 ")
    url = f"s3://{bucket}/day1"
    endpoint = ("--s3-endpoint", s3_server.url)
    code, _, err = cli_offload(tmp_path, *endpoint, str(first), url)
    assert code == 0, err
    # --into: the prefix of the first card named on purpose (test_s3_card_identity's first test)
    code, _, err = cli_offload(
        tmp_path, *endpoint, "--keep-both", "--into", str(second), f"{url}/A001"
    )
    assert code == 0, err
    client = admin(s3_server.url)

    def keys() -> list[str]:
        listed = client.list_objects_v2(Bucket=bucket, Prefix="day1/A001/CLIPS/")
        return sorted(item["Key"] for item in listed["Contents"])

    before = keys()
    assert before == sorted(
        [f"day1/A001/{n}" for n in NAMES] + [f"day1/A001/{n[:-4]} (1).MOV" for n in NAMES]
    )
    for card in (first, second):
        code, out, err = cli_offload(tmp_path, *endpoint, "--keep-both", "--json", str(card), url)
        assert code == 0, err
        trusted = [json.loads(line) for line in out.splitlines()]
        assert sum(e["event"] == "file_verified_earlier" for e in trusted) == len(NAMES), err
        assert not any(e["event"] == "file_verified" for e in trusted), err
    assert keys() == before
    # Against the bucket's ledger alone (its ASC MHL history removed): every object of both
    # cards is checked. Failed before: the last line of each path alone was the reference,
    # so A's objects were extra ("new") objects, never checked.
    listed = client.list_objects_v2(Bucket=bucket, Prefix="day1/A001/ascmhl/")["Contents"]
    for item in listed:
        client.delete_object(Bucket=bucket, Key=item["Key"])
    code, out, err = verify(tmp_path, s3_server.url, "--json", f"{url}/A001")
    assert code == 0, err
    data = json.loads(out)
    assert data["reference"] == "ledger" and data["extra"] == [], data
    assert sorted(data["verified"]) == sorted(k.removeprefix("day1/A001/") for k in before)
