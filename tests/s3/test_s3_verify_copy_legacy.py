"""``offload verify s3://bucket/prefix/CARD`` checks the legacy MHLs (v1) copied inside the
bucket's copy, the card's own record, beside its ASC MHL history or ledger, as ``offload
verify`` of a folder does (offload/copy_legacy_mhl.py): the same lists, reasons and exit
codes (verified 0, a clip only the MHL lists MISSING 10, a file unlike it CHANGED 11), each
listed object read by one GET (its MHL's md5 computed in the check's own read), the MHL's
object downloaded once. Before, a bucket's copy was checked against its own records alone:
the card's MHL was never read (exit 0 where the folder's verify said 10 or 11). Real
offloads to the real test server (moto), requests counted at the fault proxy."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from s3.test_s3_cli import offload
from s3.test_s3_verify import download_prefix, verify
from s3.test_s3_verify_legacy import verify_local
from support.cards import LEGACY_MHL, legacy_mhl_card

MHL = LEGACY_MHL


def _card(tmp_path: Path, clips: dict[str, bytes], listed: dict[str, bytes | None]) -> Path:
    """A card A001 whose CLIPS/ holds *clips* and a legacy MHL (md5 alone) recording
    *listed* (name → the content whose md5 and size it records; None: ``<null>``, the size
    of the clip of that name)."""
    return legacy_mhl_card(tmp_path / "A001", clips, listed)


def _verify_both(
    tmp_path: Path, endpoint: str, bucket: str, url: str, name: str
) -> tuple[int, dict[str, Any]]:
    """The bucket's verify (JSON) and the local verify of the prefix downloaded with a plain
    client: the same exit code and the same legacy MHL verdicts, lists and reasons."""
    code, out, err = verify(tmp_path, endpoint, "--json", url)
    data = json.loads(out)
    folder = download_prefix(endpoint, bucket, "day1/A001", tmp_path / name / "A001")
    local_code, local_out, local_err = verify_local(tmp_path, folder, "--json")
    local = json.loads(local_out)
    assert (code, data["reference"]) == (local_code, local["reference"]), (err, local_err)
    for key in ("legacy_mhls", "verified", "missing", "extra", "unverifiable"):
        assert data[key] == local[key], (key, data[key], local[key])
    assert [c["path"] for c in data["changed"]] == [c["path"] for c in local["changed"]]
    assert {p: r["code"] for p, r in data["reasons"].items()} == {
        p: r["code"] for p, r in local["reasons"].items()
    }
    return code, data


def test_a_bucket_copy_is_checked_against_the_cards_mhl_in_the_same_gets(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    one, two = os.urandom(40_000), os.urandom(30_000)
    card = _card(
        tmp_path,
        {"A001C001.mov": one, "A001C002.mov": two},
        {"A001C001.mov": one, "A001C002.mov": None, "A001C003.mov": b"lost"},
    )
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "-t", "xxh64", str(card), url)
    assert code == 1, err  # A001C003.mov, which the card's MHL lists, is lost
    url += "/A001"

    proxy.reset()
    code, out, err = verify(tmp_path, proxy.url, "--json", url)
    assert code == 10, err
    data = json.loads(out)
    assert data["legacy_mhls"] == [
        {
            "mhl": MHL,
            "verified": ["CLIPS/A001C001.mov"],
            "changed": [],
            "missing": ["CLIPS/A001C003.mov"],
            "size_only": ["CLIPS/A001C002.mov"],
            "not_checked": [],
        }
    ]
    assert data["missing"] == ["CLIPS/A001C003.mov"]
    assert data["reasons"]["CLIPS/A001C003.mov"]["code"] == "legacy-mhl-lists"
    # One GET an object: the clips' md5 in the check's own read, the MHL downloaded once
    # (the check hashes that download), never a second read.
    gets = Counter(
        target.split("?")[0]
        for method, target in zip(proxy.stats.methods, proxy.targets, strict=True)
        if method == "GET"
        and "/.offload/" not in target
        and "/ascmhl/" not in target
        and "list-type" not in target
    )
    for relative in ("CLIPS/A001C001.mov", "CLIPS/A001C002.mov", MHL):
        assert gets.pop(f"/{bucket}/day1/A001/{relative}") == 1, gets
    assert data["objects_read_back"] == len(data["verified"]) == 3, data

    code, _ = _verify_both(tmp_path, s3_server.url, bucket, url, "lost")
    assert code == 10


def test_a_file_the_bucket_proves_but_the_cards_mhl_does_not_is_changed(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """The card's MHL rewritten after a first offload (another tool re-offloaded the card)
    with a record of A001C002.mov its file does not match; a second offload with
    --overwrite stores that MHL (and fails A001C002.mov against it, its copy left as it
    is), the clips trusted from the ledger (``--mhl none``: the
    ledger is the reference). The check of the bucket's copy then finds A001C002.mov
    CHANGED (11), reason ``legacy-mhl-mismatch``, as the check of the folder copy the same
    runs wrote does."""
    one, two = os.urandom(40_000), os.urandom(30_000)
    # Another last byte for certain: a fixed one would equal the random one once in 256 runs
    # (the MHL then unchanged, the re-run passing).
    other = two[:-1] + bytes([two[-1] ^ 0xFF])
    clips = {"A001C001.mov": one, "A001C002.mov": two}
    card = _card(tmp_path, clips, dict(clips))
    url, local = f"s3://{bucket}/day1", tmp_path / "local"
    local.mkdir()
    for extra in ((), ("--overwrite",)):
        code, _, err = offload(
            tmp_path, "--s3-endpoint", s3_server.url, "--mhl", "none", *extra,
            str(card), str(local), url,
        )  # fmt: skip
        if extra:
            # The re-run compares the trusted copy of A001C002.mov with the card's new MHL
            # without a read and fails it (exit 1), leaving the copy and its ledger entry
            # as they are; the MHL itself is stored (replaced).
            assert code == 1, err
            assert "A001C002.mov differs from the legacy MHL" in err, err
        else:
            assert code == 0, err
        code, out, err = verify(tmp_path, s3_server.url, "--json", url + "/A001")
        data = json.loads(out)
        local_code, local_out, _ = verify_local(tmp_path, local / "A001", "--json")
        expected = json.loads(local_out)
        assert (code, data["reference"]) == (local_code, expected["reference"]) == (code, "ledger")
        for key in ("legacy_mhls", "verified", "missing", "changed", "reasons"):
            assert data[key] == expected[key], (key, data[key], expected[key])
        if not extra:
            assert code == 0, err
            assert data["legacy_mhls"][0]["verified"] == sorted(f"CLIPS/{n}" for n in clips)
            _card(tmp_path, {}, {"A001C001.mov": one, "A001C002.mov": other})
    assert code == 11, err
    (changed,) = data["changed"]
    assert changed["path"] == "CLIPS/A001C002.mov" and changed["reason"] == "hash"
    assert changed["expected"] == {"md5": hashlib.md5(other).hexdigest()}
    assert data["reasons"]["CLIPS/A001C002.mov"]["code"] == "legacy-mhl-mismatch"
    assert data["legacy_mhls"][0]["changed"] == ["CLIPS/A001C002.mov"]
    assert (
        f"CHANGED {url}/A001/CLIPS/A001C002.mov"
        in verify(tmp_path, s3_server.url, url + "/A001")[2]
    )


def test_an_mhl_whose_get_fails_is_a_note_not_a_failure(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """The MHL's download refused (403 once, at the proxy): one note names it and why, its
    files are not judged by it, and the check of the copy's own records stands (exit 0),
    as for an MHL that cannot be read in a folder's copy."""
    one = os.urandom(10_000)
    card = _card(tmp_path, {"A001C001.mov": one}, {"A001C001.mov": one})
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, err
    proxy.intercept("GET", "CLIPS_2024-05-01_100200.mhl", status=403, code="AccessDenied")
    code, out, err = verify(tmp_path, proxy.url, "--json", url + "/A001")
    assert code == 0, err
    data = json.loads(out)
    assert data["legacy_mhls"] == [] and "CLIPS/A001C001.mov" in data["verified"]
    notes = [n for n in data["notes"] if MHL in n]
    assert len(notes) == 1, (data["notes"], err)
    note = notes[0]
    assert note.startswith(
        f"legacy MHL '{MHL}' in this copy cannot be read (its GET was refused (access denied)"
    ), note
    assert note.endswith("the files it lists are not checked against it"), note


def test_an_mhl_at_the_copy_root_is_downloaded_once_and_judged_from_that_download(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """A card holding an earlier offload-ai legacy MHL at its root (``A001_<date>.mhl``, a
    shuttle drive's), which the copy's records hold: its object is downloaded once, before
    the check, which hashes that download, and the verdicts come from it. Before, it was
    left out of the download before the check (named like the copy root's own): the check
    hashed it through a GET of its own, then the verdicts read a second download (2 GETs,
    and bytes the check never proved)."""
    one = os.urandom(20_000)
    card = _card(tmp_path, {"A001C001.mov": one}, {"A001C001.mov": one})
    (card / MHL).rename(card / "A001_2024-05-01_100200.mhl")
    text = (card / "A001_2024-05-01_100200.mhl").read_text(encoding="utf-8")
    (card / "A001_2024-05-01_100200.mhl").write_text(
        text.replace("<file>A001C001.mov</file>", "<file>CLIPS/A001C001.mov</file>"),
        encoding="utf-8",
    )
    url = f"s3://{bucket}/day1"
    # md5, the MHL's format: the check computes it in its own GET of the clip.
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "-t", "md5", str(card), url)
    assert code == 0, err

    proxy.reset()
    code, out, err = verify(tmp_path, proxy.url, "--json", url + "/A001")
    assert code == 0, err
    data = json.loads(out)
    own = "A001_2024-05-01_100200.mhl"
    assert data["legacy_mhls"] == [
        {
            "mhl": own,
            "verified": ["CLIPS/A001C001.mov"],
            "changed": [],
            "missing": [],
            "size_only": [],
            "not_checked": [],
        }
    ], data
    gets = Counter(
        target.split("?")[0]
        for method, target in zip(proxy.stats.methods, proxy.targets, strict=True)
        if method == "GET" and "list-type" not in target
    )
    assert gets[f"/{bucket}/day1/A001/{own}"] == 1, gets
    assert gets[f"/{bucket}/day1/A001/CLIPS/A001C001.mov"] == 1, gets
    assert own in data["verified"], data
