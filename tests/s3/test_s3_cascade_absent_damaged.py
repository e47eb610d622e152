"""A cascade re-run without its card whose fast copy feeding the bucket was changed since it
was verified (same size, same date): that copy fails and loses its ledger entry, and the
file is fed from the other fast copy; a later run with the card never trusts the damaged
copy (a real moto server process, real boto3, the real CLI in this process).

Failed before: the re-run failed the file on the bucket as "a file of the card failed as it
was read", never tried fast2's good copy, left fast1's ledger entry standing, and the next run
said "All 3 files verified ... The card may be formatted on the ledger's word" with fast1
holding the damaged bytes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from s3.conftest import admin
from support.cards import ledger_sees_no_write
from support.offload_cli import copy_with_reports_in

CLIP = "CLIPS/C003C002.mov"


def _damage_in_place(path: Path, at: int = 1_000_000) -> None:
    """Four bytes written over at *at* (the middle of a 2 MB clip) in *path*, its size and
    date as they were, and (as bit rot: no write through the filesystem) its change time as
    its ledger records it."""
    st = os.stat(path)
    with open(path, "r+b") as handle:
        handle.seek(at)
        handle.write(b"XXXX")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    ledger_sees_no_write(path, st.st_ctime_ns)


def test_a_damaged_fast_copy_without_the_card_is_revoked_and_the_other_feeds(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, cards
) -> None:
    card = cards / "C003"
    (card / "CLIPS").mkdir(parents=True)
    for index in range(1, 4):
        (card / "CLIPS" / f"C003C00{index}.mov").write_bytes(os.urandom(2_000_000))
    fast1, fast2 = tmp_path / "fast1" / "d18", tmp_path / "fast2" / "d18"
    fast1.mkdir(parents=True)
    fast2.mkdir(parents=True)
    url = f"s3://{bucket}/day18"
    command = ["--s3-endpoint", s3_server.url, "--cascade", str(card), str(fast1), str(fast2), url]
    code, said = copy_with_reports_in(tmp_path, *command)
    assert code == 0, said
    admin(s3_server.url).delete_object(Bucket=bucket, Key=f"day18/C003/{CLIP}")
    damaged = fast1 / "C003" / CLIP
    _damage_in_place(damaged)
    card.rename(cards / "away")  # ejected
    code, said = copy_with_reports_in(tmp_path, *command)
    assert code == 1, said  # fast1's copy failed: never a clean run
    assert f"fed again from the fast copy {fast2 / 'C003' / CLIP}" in said, said
    assert f"the fast copy {damaged}" in said and "its ledger no longer vouches for it" in said, (
        said
    )
    assert "failed as it was read" not in said, said
    body = admin(s3_server.url).get_object(Bucket=bucket, Key=f"day18/C003/{CLIP}")["Body"]
    assert body.read() == (cards / "away" / CLIP).read_bytes()
    reports = sorted((tmp_path / "reports").glob("*.json"), key=os.path.getmtime)
    (row,) = [f for f in json.loads(reports[-1].read_text())["files"] if f["path"] == CLIP]
    assert [d["status"] for d in row["destinations"]] == ["verified"], row
    (cards / "away").rename(card)
    code, said = copy_with_reports_in(tmp_path, str(card), str(fast1))
    # fast1's copy is read back (its entry revoked), found unlike the card, and fails there.
    assert "may be formatted" not in said, said
    assert code != 0, said


def test_a_damaged_fast_copy_without_the_card_and_no_other_fails_the_file_in_its_words(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, cards
) -> None:
    card = cards / "C003"
    (card / "CLIPS").mkdir(parents=True)
    (card / CLIP).write_bytes(os.urandom(2_000_000))
    fast = tmp_path / "fast1" / "d18"
    fast.mkdir(parents=True)
    url = f"s3://{bucket}/day18"
    command = ["--s3-endpoint", s3_server.url, "--cascade", str(card), str(fast), url]
    code, said = copy_with_reports_in(tmp_path, *command)
    assert code == 0, said
    reports = tmp_path / "reports"
    (first,) = reports.glob("*.json")
    (row,) = json.loads(first.read_text())["files"]
    admin(s3_server.url).delete_object(Bucket=bucket, Key=f"day18/C003/{CLIP}")
    _damage_in_place(fast / "C003" / CLIP)
    card.rename(cards / "away")
    code, said = copy_with_reports_in(tmp_path, *command)
    assert code == 2, said  # nothing copied and verified
    assert "failed as it was read" not in said, said
    assert f"not fed: the fast copy {fast / 'C003' / CLIP} no longer matches" in said, said
    (second,) = set(reports.glob("*.json")) - {first}
    data = json.loads(second.read_text())
    (again,) = data["files"]
    assert again["digests"] == row["digests"], again  # the card's, not the damaged copy's
    assert [d["status"] for d in again["destinations"]] == ["failed"], again
    assert any("its ledger no longer vouches for it" in e for e in data["folder_errors"]), data


def test_an_object_replaced_without_the_card_is_said_replaced_from_the_fast_copy(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, cards
) -> None:
    card = cards / "C003"
    (card / "CLIPS").mkdir(parents=True)
    (card / CLIP).write_bytes(os.urandom(200_000))
    (card / "CLIPS" / "C003C001.mov").write_bytes(os.urandom(200_000))
    fast = tmp_path / "fast1" / "d18"
    fast.mkdir(parents=True)
    command = ["--s3-endpoint", s3_server.url, "--cascade", str(card), str(fast)]
    code, said = copy_with_reports_in(tmp_path, *command, f"s3://{bucket}/day18")
    assert code == 0, said
    # The bucket's copy root forgets its copies, and a file not ours takes one's name.
    client = admin(s3_server.url)
    for key in [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]:
        if "/.offload/" in key:
            client.delete_object(Bucket=bucket, Key=key)
    client.put_object(Bucket=bucket, Key=f"day18/C003/{CLIP}", Body=b"not ours")
    card.rename(cards / "away")
    code, said = copy_with_reports_in(tmp_path, "--overwrite", *command, f"s3://{bucket}/day18")
    assert code == 0, said
    (line,) = [line for line in said.splitlines() if line.startswith("REPLACED")]
    assert "replaced by the card's" not in line, line
    assert f"replaced by copies from the card's fast copy {fast / 'C003'} (the card" in line, line


def test_a_trusted_fast_copy_the_cascade_failed_is_not_counted_trusted(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, cards
) -> None:
    """With the card: fast1's copy damaged in place, its object deleted, the cascade reads it,
    fails it there and feeds the bucket from fast2. Failed before: the summary said 7
    copies verified earlier, the closing note "8 copies (3 on fast1 ...) trusted ... matched
    by fingerprint", counting the copy the same run failed. Checks the report's counts
    whether or not the card's identity is read (never skipped)."""
    card = cards / "C003"
    (card / "CLIPS").mkdir(parents=True)
    for index in range(1, 4):
        (card / "CLIPS" / f"C003C00{index}.mov").write_bytes(os.urandom(2_000_000))
    fast1, fast2 = tmp_path / "fast1" / "d18", tmp_path / "fast2" / "d18"
    fast1.mkdir(parents=True)
    fast2.mkdir(parents=True)
    url = f"s3://{bucket}/day18"
    command = ["--s3-endpoint", s3_server.url, "--cascade", str(card), str(fast1), str(fast2), url]
    code, said = copy_with_reports_in(tmp_path, *command)
    assert code == 0, said
    admin(s3_server.url).delete_object(Bucket=bucket, Key=f"day18/C003/{CLIP}")
    _damage_in_place(fast1 / "C003" / CLIP)
    code, said = copy_with_reports_in(tmp_path, *command)
    assert code == 1, said
    reports = sorted((tmp_path / "reports").glob("*.json"), key=os.path.getmtime)
    fast1_summary = json.loads(reports[-1].read_text())["destinations"][0]
    # The copy it failed is no copy trusted: 2 verified earlier, 1 failed.
    assert (fast1_summary["files_verified_earlier"], fast1_summary["files_failed"]) == (2, 1)
    said = " ".join(said.split())
    # With the card's identity unknown, the closing note counts the copies matched by
    # fingerprint alone: fast1's failed copy not among them (with it known: no note).
    assert f"3 on {fast1 / 'C003'}" not in said, said
    if "matched to this card's files by path, size" in said:
        assert f"2 on {fast1 / 'C003'}" in said, said


def test_a_fast_copy_damaged_in_its_fingerprint_has_the_object_read_against_its_record(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, cards
) -> None:
    """Without the card, ``--reverify``, the one fast copy damaged in its first 64 KiB (its
    fingerprint unlike the card's the bucket's ledger recorded), the object intact: it is
    read back against its ledger's record and verified at destination level, the file
    failed by its fast copy alone. Failed before (QA of the thirty-eighth pass): read as an
    object no ledger vouches for, compared with the damaged fast copy alone, failed and
    kept "neither adopted nor written over", its entry left vouching for it unread."""
    card = cards / "C003"
    (card / "CLIPS").mkdir(parents=True)
    (card / CLIP).write_bytes(os.urandom(2_000_000))
    fast = tmp_path / "fast1" / "d18"
    fast.mkdir(parents=True)
    command = ["--s3-endpoint", s3_server.url, "--cascade", str(card), str(fast)]
    command.append(f"s3://{bucket}/day18")
    code, said = copy_with_reports_in(tmp_path, *command)
    assert code == 0, said
    _damage_in_place(fast / "C003" / CLIP, at=1000)
    card.rename(cards / "away")
    code, said = copy_with_reports_in(tmp_path, "--reverify", *command)
    assert code == 1, said
    assert "neither adopted nor written over" not in said, said
    reports = sorted((tmp_path / "reports").glob("*.json"), key=os.path.getmtime)
    (row,) = json.loads(reports[-1].read_text())["files"]
    (copy,) = row["destinations"]
    assert (copy["status"], copy["verified_mode"]) == ("verified", "destination"), copy
