"""An S3 copy root: the object an earlier offload verified at a card file's key, replaced
since by another writer (another object of the same size, a byte changed). Our ledger
records that key as our copy of this very card file; its bytes are no longer the card's,
and the copy root's ASC MHL history still records the card's hash at that name.

As on a disk (tests/report/test_keep_both_own_damaged_copy.py): ``offload verify``'s
INCOMPLETE advice names ``--overwrite`` (which replaces it once verified) beside
``--keep-both``; a ``--keep-both`` run keeps the object as it is (never overwritten
unasked), writes the card's file beside it, says the card's name still holds other bytes
(COPY FOUND DAMAGED, ``BUT 1 DAMAGED COPY OF OURS IS KEPT AT THE CARD'S NAME``) and exits 1.
Failed before: the advice named --keep-both alone, and the --keep-both run said "All ...
verified on every destination", a plain KEPT BOTH, exit 0, while ``offload verify`` of the
copy root then found the object CHANGED on every run. A real S3 server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re

from s3.conftest import admin
from s3.test_s3_cli import make_card
from s3.test_s3_cli import offload as cli_offload
from s3.test_s3_verify import verify
from support.cards import new_take

KEY = "day1/A001/CLIPS/A001C002.mov"


def _replaced(s3_server, bucket, tmp_path):  # type: ignore[no-untyped-def]
    """A card offloaded to s3://bucket/day1, then A001C002's object replaced by another
    writer's of its size (one byte flipped): the card, the URL, the other object's bytes."""
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, err
    client = admin(s3_server.url)
    other = bytearray(client.get_object(Bucket=bucket, Key=KEY)["Body"].read())
    other[len(other) // 2] ^= 0xFF
    client.put_object(Bucket=bucket, Key=KEY, Body=bytes(other))
    return card, url, bytes(other)


def test_verify_advice_names_overwrite_for_an_object_of_ours_replaced(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    card, url, other = _replaced(s3_server, bucket, tmp_path)
    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 1, err
    assert admin(s3_server.url).get_object(Bucket=bucket, Key=KEY)["Body"].read() == other
    code, _, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 11, err
    flat = " ".join(err.split())
    # The advice alone: up to the report's path (what follows is no part of it).
    (line,) = [x.partition(" Report:")[0] for x in flat.split("INCOMPLETE")[1:2]]
    assert "--overwrite" in line and "--keep-both" in line, line
    assert "this copy root's ledger recorded as the card's copy" in line, line
    assert line.index("--overwrite") < line.index("--keep-both"), line


def test_keep_both_beside_an_object_of_ours_replaced_says_so_and_exits_1(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    card, url, other = _replaced(s3_server, bucket, tmp_path)
    # Its dry run cannot tell (only the read-back finds it different): it says so.
    code, out, err = cli_offload(
        tmp_path,
        "--s3-endpoint",
        s3_server.url,
        "--keep-both",
        "--dry-run",
        "--json",
        str(card),
        url,
    )
    assert code == 0, err
    (planned,) = json.loads(out)["destinations"]
    (why,) = [r["why"] for r in planned["read_back"] if r["path"] == "CLIPS/A001C002.mov"]
    assert "kept at the card's name as our damaged copy" in why and "exits 1" in why, why
    code, _, err = cli_offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--keep-both", str(card), url
    )
    flat = " ".join(err.split())
    assert code == 1, flat
    client = admin(s3_server.url)
    assert client.get_object(Bucket=bucket, Key=KEY)["Body"].read() == other  # kept as it is
    beside = "day1/A001/CLIPS/A001C002 (1).mov"
    assert (
        client.get_object(Bucket=bucket, Key=beside)["Body"].read()
        == (card / "CLIPS" / "A001C002.mov").read_bytes()
    )
    # Never "all verified" alone: the verdict says the card's name holds other bytes.
    assert f"BUT 1 DAMAGED COPY OF OURS IS KEPT AT THE CARD'S NAME on {url} " in flat, flat
    damaged = f"s3://{bucket}/{KEY}"
    assert f"COPY FOUND DAMAGED: {damaged} is another object than the copy verified there on " in (
        flat
    ), flat
    assert "(another writer stored it over ours since)" in flat, flat
    assert "KEPT BOTH" not in flat, flat
    report = json.loads(
        sorted((tmp_path / "reports").glob("*.json"), key=os.path.getmtime)[-1].read_text()
    )
    assert report["exit_code"] == 1
    (found,) = [w for w in report["warnings"] if w["code"] == "copy-no-longer-matches"]
    assert found["kept"] is True, found
    # The copy root's check still fails for it (its history records the card's hash there):
    # what the run said.
    code, _, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 11, err


def test_another_file_of_the_recorded_name_size_and_date_is_not_ours(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """The card file itself another now (its name, size and date as recorded, another
    content: the entry's fingerprint tells), the object replaced too: nothing makes the
    object ours (the entry records another file), so --keep-both keeps it beside as any
    object in the way, never named our damaged copy."""
    card, url, other = _replaced(s3_server, bucket, tmp_path)
    clip = card / "CLIPS" / "A001C002.mov"
    stat = clip.stat()
    clip.write_bytes(os.urandom(stat.st_size))
    os.utime(clip, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _code, _, err = cli_offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--keep-both", str(card), url
    )
    flat = " ".join(err.split())
    assert "DAMAGED COPY OF OURS" not in flat and "COPY FOUND DAMAGED" not in flat, flat
    assert "KEPT BOTH: 1 card file copied to" in flat, flat
    assert admin(s3_server.url).get_object(Bucket=bucket, Key=KEY)["Body"].read() == other


def test_a_users_object_kept_beside_is_never_called_ours(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """A user's object of the card file's size at its key first: --keep-both wrote the
    card's copy beside it as ``A001C002 (1).mov``, which the ledger records as ours. Another
    writer replaces that (1) object. The object at the card's name is still the user's,
    kept as someone else's: never called ours, never --overwrite advised for it, and a
    --keep-both run keeps it as any object in the way. Failed before: verify advised
    --overwrite (following it deleted the user's object) and --keep-both said COPY FOUND
    DAMAGED of the user's object and "1 DAMAGED COPY OF OURS IS KEPT AT THE CARD'S NAME"."""
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    client = admin(s3_server.url)
    users = os.urandom((card / "CLIPS" / "A001C002.mov").stat().st_size)
    client.put_object(Bucket=bucket, Key=KEY, Body=users)
    code, _, err = cli_offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--keep-both", str(card), url
    )
    assert code == 0, err
    beside = "day1/A001/CLIPS/A001C002 (1).mov"
    ours = bytearray(client.get_object(Bucket=bucket, Key=beside)["Body"].read())
    assert bytes(ours) == (card / "CLIPS" / "A001C002.mov").read_bytes()
    ours[len(ours) // 2] ^= 0xFF
    client.put_object(Bucket=bucket, Key=beside, Body=bytes(ours))
    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 1, err
    code, _, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 11, err
    flat = " ".join(err.split())
    assert "INCOMPLETE" in flat, flat
    assert "--overwrite" not in flat, flat
    assert "--keep-both" in flat, flat
    code, _, err = cli_offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--keep-both", str(card), url
    )
    flat = " ".join(err.split())
    assert "DAMAGED COPY OF OURS" not in flat and "COPY FOUND DAMAGED" not in flat, flat
    assert "another writer stored it over ours" not in flat, flat
    assert client.get_object(Bucket=bucket, Key=KEY)["Body"].read() == users


def test_verify_never_offers_overwrite_where_an_earlier_take_was_refused_too(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """One object of ours replaced (A001C002) and one card file a new take (A001.xml: the
    object at its key an earlier take's copy, never to be overwritten). The run's own
    refusal withholds --overwrite (it is for the whole run and would replace the earlier
    take's copy, maybe its only one); ``offload verify``'s advice withholds it too. Failed
    before: verify named --overwrite for A001C002 "(and every other file in the way too)"."""
    card, url, other = _replaced(s3_server, bucket, tmp_path)
    client = admin(s3_server.url)
    xml_key = "day1/A001/A001.xml"
    earlier = client.get_object(Bucket=bucket, Key=xml_key)["Body"].read()
    new_take(card / "A001.xml", 950)
    code, _, err = cli_offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 1, err
    assert "--overwrite replaces" not in err and "again with --overwrite" not in err, err
    code, _, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 11, err
    flat = " ".join(err.split())
    (line,) = [x.partition(" Report:")[0] for x in flat.split("INCOMPLETE")[1:2]]
    assert "--keep-both" in line, line
    assert "--overwrite" not in line, line
    assert client.get_object(Bucket=bucket, Key=xml_key)["Body"].read() == earlier
    assert client.get_object(Bucket=bucket, Key=KEY)["Body"].read() == other


def test_an_entry_without_etag_never_says_another_writer(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """The ledger's entry of A001C002 as an older version wrote it (no ETag): it cannot tell
    another writer's object from one bad since its size-only upload, so the words say only
    that the object is not the copy verified there. Failed before: "(another writer stored
    it over ours since)" whatever the entry recorded."""
    card, url, _other = _replaced(s3_server, bucket, tmp_path)
    client = admin(s3_server.url)
    ledgers = [
        o["Key"]
        for o in client.list_objects_v2(Bucket=bucket, Prefix="day1/A001/")["Contents"]
        if "ledger" in o["Key"]
    ]
    blanked = 0
    for key in ledgers:
        text = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        new, count = re.subn(r'"etag": "(?:[^"\\]|\\.)+"', '"etag": ""', text)
        if count:
            client.put_object(Bucket=bucket, Key=key, Body=new.encode())
            blanked += count
    assert blanked, ledgers
    code, _, err = cli_offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--keep-both", str(card), url
    )
    flat = " ".join(err.split())
    assert code == 1, flat
    damaged = f"s3://{bucket}/{KEY}"
    assert f"COPY FOUND DAMAGED: {damaged} is not the copy verified there on " in flat, flat
    assert "another writer" not in flat, flat
