"""The keys offload-ai itself stores under an S3 destination (its ledger, upload records,
ASC MHL and reports) are held to S3's 1,024 bytes as the card's are: a prefix that leaves
them no room is refused before the first byte (exit 64, the longest named, what to do).
A real S3 server process that refuses a key longer than 1,024 bytes as AWS does
(``support.s3server``'s ``key-limit`` mode), the real CLI.

Failed before: a 990-byte prefix was let through (exit 0 on moto, which stores the ledger
at 1,054 bytes; through the key-limit gate the card's files were uploaded, then the ledger
refused)."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from s3.conftest import S3Server, admin
from s3.test_s3_cli import keys, make_card, offload


def _prefix(size: int) -> str:
    """A prefix of *size* bytes, of names of 200 bytes at most."""
    names, left = [], size
    while left > 0:
        take = min(200, left if left <= 200 else left - 1)
        names.append("p" * take)
        left -= take + (1 if left > take else 0)
    prefix = "/".join(names)
    assert len(prefix) == size
    return prefix


def test_the_server_refuses_a_key_longer_than_1024_bytes(limited: S3Server, limited_bucket) -> None:  # type: ignore[no-untyped-def]
    client = admin(limited.url)
    client.put_object(Bucket=limited_bucket, Key="k" * 1024, Body=b"x")
    with pytest.raises(ClientError, match="KeyTooLongError"):
        client.put_object(Bucket=limited_bucket, Key="k" * 1025, Body=b"x")


def test_a_prefix_too_long_for_the_ledger_is_refused_up_front(  # type: ignore[no-untyped-def]
    limited: S3Server, limited_bucket, tmp_path: Path
) -> None:
    # The QA's case: a 990-byte prefix; card A001: its ledger objects would be
    # 990 + /A001/.offload/ledger/ (22) + 42 = 1,054 bytes.
    card = make_card(tmp_path, {"CLIP/a.mov": 2000, "A001.xml": 900})
    code, _, err = offload(
        tmp_path, "--s3-endpoint", limited.url, str(card), f"s3://{limited_bucket}/{_prefix(990)}"
    )
    assert code == 64, err
    assert "path-too-long" in err or "too long for offload-ai's own objects" in err
    assert "/A001/.offload/ledger/" in err and "1054 bytes long" in err, err
    assert "at least 30 bytes shorter" in err, err
    # One refusal, one line (review of the fixfirstB59 merge: it took two; failed before).
    (line,) = err.splitlines()
    assert line.startswith("ERROR: preflight refused the offload; nothing was copied: "), err
    assert keys(limited.url, limited_bucket) == []  # nothing written


def test_the_longest_prefix_let_through_stores_every_key(  # type: ignore[no-untyped-def]
    limited: S3Server, limited_bucket, tmp_path: Path
) -> None:
    # 960 bytes: the ledger's keys are 1,024 bytes exactly, every other key shorter; the
    # gate refusing any longer key, a whole offload (ledger, ASC MHL, reports) stored.
    prefix = _prefix(960)
    card = make_card(tmp_path, {"CLIP/a.mov": 2000, "A001.xml": 900})
    code, _, err = offload(
        tmp_path, "--s3-endpoint", limited.url, str(card), f"s3://{limited_bucket}/{prefix}"
    )
    assert code == 0, err
    stored = keys(limited.url, limited_bucket)
    assert f"{prefix}/A001/CLIP/a.mov" in stored
    assert any(k.startswith(f"{prefix}/A001/.offload/ledger/") for k in stored)
    assert any(k.startswith(f"{prefix}/A001/.offload/reports/") for k in stored)
    assert any(k.startswith(f"{prefix}/A001/ascmhl/0001_") for k in stored)
    assert max(len(k.encode()) for k in stored) == 1024
    # One byte more: refused.
    other = tmp_path / "again"
    other.mkdir()
    card = make_card(other, {"CLIP/a.mov": 2000})
    code, _, err = offload(
        other, "--s3-endpoint", limited.url, str(card), f"s3://{limited_bucket}/{prefix}x"
    )
    assert code == 64 and "1025 bytes long" in err, err


def test_into_a_prefix_whose_last_folder_is_long_is_refused_before_the_probe(  # type: ignore[no-untyped-def]
    limited: S3Server, limited_bucket, tmp_path: Path
) -> None:
    # --into a 1,000-byte prefix whose last folder's name is 200 bytes: the copy root is the
    # prefix, and an ASC MHL generation carries its name (ascmhl/9999_<200 bytes>_<date>Z.mhl:
    # 1,232 bytes), longer than an upload record (1,063) or the ledger's objects (1,059); the
    # probe's object (1,041) would be refused by the server: refused before the probe.
    card = make_card(tmp_path, {"CLIP/a.mov": 2000})
    url = f"s3://{limited_bucket}/{_prefix(1000)}"
    code, _, err = offload(tmp_path, "--s3-endpoint", limited.url, "--into", str(card), url)
    assert code == 64, err
    assert "Z.mhl, would be 1232 bytes long" in err, err
    assert "PutObject" not in err and "KeyTooLong" not in err, err
    assert keys(limited.url, limited_bucket) == []


def test_into_a_long_prefix_of_short_folders_names_an_upload_record(  # type: ignore[no-untyped-def]
    limited: S3Server, limited_bucket, tmp_path: Path
) -> None:
    # Short folder names (1,000 bytes of 9-byte names): the upload record is the longest.
    prefix = "/".join(["p" * 9] * 100)[:1000].rstrip("/")
    card = make_card(tmp_path, {"CLIP/a.mov": 2000})
    url = f"s3://{limited_bucket}/{prefix}"
    code, _, err = offload(tmp_path, "--s3-endpoint", limited.url, "--into", str(card), url)
    assert code == 64, err
    size = len(prefix) + len("/.offload/uploads/") + 40 + len(".json")
    assert "/.offload/uploads/" in err and f"{size} bytes long" in err, err
    assert keys(limited.url, limited_bucket) == []


def test_mhl_none_counts_no_generation_as_a_local_copy_root_does(  # type: ignore[no-untyped-def]
    limited, limited_bucket, tmp_path: Path
) -> None:
    # --into a 960-byte prefix whose last folder is 156 bytes: a generation's key
    # (ascmhl/9999_<156 bytes>_<date>Z.mhl) would be 1,152 bytes, every other key of ours
    # fits (an upload record 1,023, the ledger's objects 1,019). --mhl none writes no
    # generation: let through, as the local check lets it (``ManifestOptions.writes_ascmhl``,
    # one rule). Failed before: refused, exit 64, naming the generation nothing would write.
    prefix = _prefix(960)
    card = make_card(tmp_path, {"CLIP/a.mov": 2000})
    url = f"s3://{limited_bucket}/{prefix}"
    args = ("--s3-endpoint", limited.url, "--into", str(card), url)
    code, _, err = offload(tmp_path, "--mhl", "none", *args)
    assert code == 0, err
    stored = keys(limited.url, limited_bucket)
    assert f"{prefix}/CLIP/a.mov" in stored
    assert not any("/ascmhl/" in k for k in stored), stored
    assert any(k.startswith(f"{prefix}/.offload/ledger/") for k in stored)
    assert max(len(k.encode()) for k in stored) <= 1024
    # Writing an ASC MHL history, the generation counts: refused before the first byte.
    other = tmp_path / "again"
    other.mkdir()
    card = make_card(other, {"CLIP/b.mov": 2000})
    code, _, err = offload(other, *args[:3], str(card), url)
    assert code == 64, err
    assert "Z.mhl, would be 1152 bytes long" in err, err
    assert f"{prefix}/CLIP/b.mov" not in keys(limited.url, limited_bucket)


def test_mhl_legacy_counts_the_legacy_mhl(  # type: ignore[no-untyped-def]
    limited, limited_bucket, tmp_path: Path
) -> None:
    # --mhl legacy writes <root name>_<date>_<time>.mhl at the copy root, named after its
    # last folder (156 bytes): 960 + 1 + 180 (``_2``: one of its second there already, as
    # the local check counts it, ``own_names``) = 1,141 bytes.
    # Counted only when written, as the generation is; without it, the 1,152-byte
    # generation no longer counted, the card would be uploaded and the legacy MHL refused.
    prefix = _prefix(960)
    card = make_card(tmp_path, {"CLIP/a.mov": 2000})
    url = f"s3://{limited_bucket}/{prefix}"
    code, _, err = offload(
        tmp_path, "--s3-endpoint", limited.url, "--mhl", "legacy", "--into", str(card), url
    )
    assert code == 64, err
    assert "_2.mhl, would be 1141 bytes long" in err, err
    assert keys(limited.url, limited_bucket) == []


def test_a_single_files_offload_copy_is_held_to_the_same_keys(  # type: ignore[no-untyped-def]
    limited, limited_bucket, tmp_path: Path
) -> None:
    # ``offload copy clip.mov s3://...``: the prefix is its copy root (ledger, ASC MHL
    # history named after the prefix's last folder, reports named after the file), checked
    # as a card's: refused before the probe, nothing stored.
    clip = tmp_path / "clip.mov"
    clip.write_bytes(b"x" * 2000)
    url = f"s3://{limited_bucket}/{_prefix(990)}"
    code, _, err = offload(tmp_path, "--s3-endpoint", limited.url, str(clip), url)
    assert code == 64, err
    assert "too long for offload-ai's own objects there" in err, err
    assert "Z.mhl, would be 1212 bytes long" in err, err
    assert keys(limited.url, limited_bucket) == []
