"""What stands under an S3 copy root's prefix that is not the card's (objects put there by
hand before the offload): warned of as on a disk (``foreign-in-copy-root``, the copy root
named by its URL), never hashed nor recorded; ``offload verify`` of the URL and
``ascmhl-debug verify`` of the prefix downloaded call them new (exit 21). Before: exit 0
and not a word."""

from __future__ import annotations

import json
import re

from s3.conftest import admin
from s3.test_s3_cli import offload
from s3.test_s3_verify import download_prefix, verify


def test_objects_not_the_cards_are_warned_of(s3_server, bucket, tmp_path, judge) -> None:  # type: ignore[no-untyped-def]
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.mov").write_bytes(b"a" * 20_000)
    client = admin(s3_server.url)
    for key in ("r3/A001/notes.txt", "r3/A001/CLIPS/B002C001.mov", "r3/A001/.DS_Store"):
        client.put_object(Bucket=bucket, Key=key, Body=b"by hand")
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), f"s3://{bucket}/r3")
    assert code == 0, err
    url = f"s3://{bucket}/r3/A001"
    message = (
        f"{url} holds 2 files that are not the card's (CLIPS/B002C001.mov, notes.txt): this "
        "run did not copy them, and they are in no manifest of this run"
    )
    assert f"WARNING: {message}" in err
    (report,) = (tmp_path / "reports").glob("A001_*.json")
    (saved,) = [
        w for w in json.loads(report.read_text())["warnings"] if w["code"] == "foreign-in-copy-root"
    ]
    assert saved["message"].startswith(message)
    assert "/tmp" not in saved["message"]  # the staging folder never named
    assert saved["path"] == url  # its s3:// URL (was /s3:/..., the stand-in path)

    code, out, _ = verify(tmp_path, s3_server.url, url)
    assert code == 21
    assert f"{url}: 1 OK, 0 changed, 0 missing, 2 new" in out
    downloaded = download_prefix(s3_server.url, bucket, "r3/A001", tmp_path / "dl" / "A001")
    verdict = judge.verify(downloaded)
    assert verdict.returncode == 21, verdict.describe()
    found = set(re.findall(r"found new file (\S+)", verdict.stdout + verdict.stderr))
    assert found == {"CLIPS/B002C001.mov", "notes.txt"}

    # The way on the warning names works on S3 too: recorded, then nothing is new.
    assert f"recorded there (offload verify --append {url}," in saved["message"]
    assert verify(tmp_path, s3_server.url, "--append", url)[0] == 21  # new, now recorded
    code, out, _ = verify(tmp_path, s3_server.url, url)
    assert code == 0, out


def test_the_object_keep_both_kept_at_the_cards_name_is_named(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """--keep-both on S3: an object not the card's at CLIPS/a.mov, kept; the card's copy at
    CLIPS/a (1).mov. The object kept is named, as on a disk."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "b.mov").write_bytes(b"b" * 1_000)
    endpoint = ("--s3-endpoint", s3_server.url)
    assert offload(tmp_path, *endpoint, str(card), f"s3://{bucket}/r4")[0] == 0
    (card / "CLIPS" / "a.mov").write_bytes(b"a" * 1_000)
    admin(s3_server.url).put_object(Bucket=bucket, Key="r4/A001/CLIPS/a.mov", Body=b"by hand")
    code, _, err = offload(tmp_path, *endpoint, "--keep-both", str(card), f"s3://{bucket}/r4")
    assert code == 0, err
    url = f"s3://{bucket}/r4/A001"
    assert f"WARNING: {url} holds 1 file that is not the card's (CLIPS/a.mov)" in err
