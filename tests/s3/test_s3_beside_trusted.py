"""A card file written to one destination while its copy on another, local or S3, is trusted
from that one's ledger: the card's read must match that copy's entry before the new copy is
committed (``offload.trusted_copies``), against the real S3 server. The card's clip changed
in place (size, date and fingerprint kept) after the offload: nothing committed at the new
copy's name, the trusted copy kept, exit 1. Each failed before (exit 0, the new copy the
changed bytes, "verified" beside the trusted copy of other bytes)."""

from __future__ import annotations

import json

import pytest

from s3.conftest import admin
from s3.test_s3_cli import keys, make_card
from s3.test_s3_cli import offload as cli_offload
from support.cards import corrupt_keeping_size_and_mtime

CLIP = "CLIPS/A001C002.mov"  # 200,000 bytes: byte 100,000 is outside its fingerprint


@pytest.mark.parametrize("written", ["local", "s3"], ids=["trusted-on-s3", "trusted-local"])
@pytest.mark.parametrize("changed", [True, False], ids=["card-file-changed", "card-as-offloaded"])
def test_a_copy_is_not_written_beside_a_trusted_copy_from_a_changed_card_file(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, written: str, changed: bool
) -> None:
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1"
    args = ("--s3-endpoint", s3_server.url, str(card), str(local), url)
    code, _, err = cli_offload(tmp_path, "--quiet", *args)
    assert code == 0, err
    key = f"day1/A001/{CLIP}"
    copy = local / "A001" / CLIP
    kept = copy.read_bytes()
    if changed:
        corrupt_keeping_size_and_mtime(card / CLIP, at=100_000)
    if written == "local":
        copy.unlink()
    else:
        admin(s3_server.url).delete_object(Bucket=bucket, Key=key)

    code, out, err = cli_offload(tmp_path, "--json", *args)
    events = [json.loads(line) for line in out.splitlines()]
    outcomes = {
        (e["relative_path"], e["destination_index"]): e["event"]
        for e in events
        if e["event"] in ("file_verified", "file_verified_earlier", "file_failed")
    }
    trusted_index, written_index = (1, 0) if written == "local" else (0, 1)
    assert outcomes[CLIP, trusted_index] == "file_verified_earlier", outcomes
    if written == "s3":
        assert copy.read_bytes() == kept
    if not changed:
        assert code == 0, out + err
        assert outcomes[CLIP, written_index] == "file_verified", outcomes
        assert key in keys(s3_server.url, bucket)
        return
    assert code == 1, out + err
    assert outcomes[CLIP, written_index] == "file_failed", outcomes
    failed = next(
        e
        for e in events
        if e["event"] == "file_failed"
        and e["relative_path"] == CLIP
        and e["destination_index"] == written_index
    )
    assert failed["message"].startswith(f"{card / CLIP} differs from what was verified on "), failed
    if written == "local":
        assert not copy.exists()
        assert not [p for p in copy.parent.iterdir() if p.name != "A001C001.mov"]
    else:
        assert key not in keys(s3_server.url, bucket)
        assert not admin(s3_server.url).list_multipart_uploads(Bucket=bucket).get("Uploads")


@pytest.mark.parametrize("changed", [True, False], ids=["card-file-changed", "card-as-offloaded"])
def test_an_object_adopted_beside_a_trusted_copy_is_not_verified_from_a_changed_card_file(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, changed: bool
) -> None:
    """The card offloaded to a local destination, its copy there trusted from its ledger;
    the card's clip changed in place since (size, date and fingerprint kept) and uploaded
    with another tool to the bucket, where no ledger of ours is (an ADOPT: the object and
    the card file read by the existing-copies check, not by the engine). The card file read
    unlike the local copy's entry: the card's failure, the object kept as it is (not
    adopted: its metadata not completed), the local copy kept, exit 1. Failed before: exit
    0, the object "verified" beside the trusted copy of other bytes. The control: the card
    as offloaded, the object adopted (verified now), exit 0."""
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1"
    code, _, err = cli_offload(tmp_path, "--quiet", str(card), str(local))
    assert code == 0, err
    copy = local / "A001" / CLIP
    kept = copy.read_bytes()
    if changed:
        corrupt_keeping_size_and_mtime(card / CLIP, at=100_000)
    key = f"day1/A001/{CLIP}"
    s3 = admin(s3_server.url)
    s3.put_object(Bucket=bucket, Key=key, Body=(card / CLIP).read_bytes())
    uploaded = s3.head_object(Bucket=bucket, Key=key)

    code, out, err = cli_offload(
        tmp_path, "--json", "--s3-endpoint", s3_server.url, str(card), str(local), url
    )
    events = [json.loads(line) for line in out.splitlines()]
    outcomes = {
        (e["relative_path"], e["destination_index"]): e
        for e in events
        if e["event"] in ("file_verified", "file_verified_earlier", "file_failed")
    }
    assert outcomes[CLIP, 0]["event"] == "file_verified_earlier", outcomes
    assert copy.read_bytes() == kept
    if not changed:
        assert code == 0, out + err
        assert outcomes[CLIP, 1]["event"] == "file_verified", outcomes
        return
    assert code == 1, out + err
    failed = outcomes[CLIP, 1]
    assert failed["event"] == "file_failed", outcomes
    assert failed["message"].startswith(f"{card / CLIP} differs from what was verified on "), failed
    assert f" at {copy} is kept; " in failed["message"], failed
    assert (
        "is kept as it is, neither adopted nor written over: check the card" in (failed["message"])
    ), failed
    now = s3.head_object(Bucket=bucket, Key=key)
    assert (now["ETag"], now["Metadata"]) == (uploaded["ETag"], uploaded["Metadata"])
