"""A bucket copy root named after the card (``s3://bucket/day1/EOS_DIGITAL``, no ``--into``)
with no ledger line, holding objects at the card's names (another tool's copy of another
card of the same name): refused before anything is written, as a disk's folder is (exit
64, code ``copy-root-of-other-files``, the same words). Failed before: the run went on and
each object in a copy's way was refused on its own (exit 2), the card's other clips merged
among the other card's objects. An object keeping the card file's date in its ``mtime``
metadata (rclone's, ours) is the card's file: the run goes on. A ledger whose lines are
all revoked is read as on a disk: no refusal of the folder, the object in the way refused
naming the revocation. A real moto server process behind a counting proxy, the real CLI
(in-process)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import unquote

from offload.destinations.s3 import mtime_metadata
from s3.conftest import admin
from s3.test_s3_cli import keys
from s3.test_s3_cli import offload as cli_offload
from support.tcpproxy import FaultProxy

CLIPS = {"DCIM/100CANON/MVI_0001.MOV": 250_000, "DCIM/100CANON/MVI_0003.MOV": 90_000}
OTHER = {"DCIM/100CANON/MVI_0001.MOV": 300_000, "DCIM/100CANON/MVI_0002.MOV": 70_000}
FIRST = "DCIM/100CANON/MVI_0001.MOV"
SHOT_NS = 1_780_000_000_123_456_789


def _card(folder: Path, clips: dict[str, int], seed: bytes) -> Path:
    card = folder / "EOS_DIGITAL"
    for name, size in clips.items():
        path = card / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(((seed + name.encode()) * (size // len(seed) + 1))[:size])
        # Shot days ago, as a card's clips are: an upload's LastModified is never their date.
        os.utime(path, ns=(SHOT_NS, SHOT_NS + len(name)))
    return card


def _put(endpoint: str, bucket: str, card: Path, *, dates: bool, prefix: str) -> None:
    """Another tool's copy of *card* under *prefix*: ``aws s3 cp`` (no date), or rclone's
    (the card file's time in the ``mtime`` metadata, *dates*)."""
    client = admin(endpoint)
    for path in sorted(p for p in card.rglob("*") if p.is_file()):
        meta = mtime_metadata(path.stat().st_mtime_ns) if dates else {}
        key = f"{prefix}/{path.relative_to(card).as_posix()}"
        client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), Metadata=meta)


def _run(tmp: Path, endpoint: str, *args: str) -> tuple[int, str, str, list[tuple[str, str]]]:
    """The CLI through a counting proxy: its exit code, stdout, stderr and requests."""
    proxy = FaultProxy(int(endpoint.rsplit(":", 1)[1]))
    try:
        code, out, err = cli_offload(tmp, "--s3-endpoint", proxy.url, *args)
        sent = zip(proxy.stats.methods, proxy.targets, strict=True)
        return code, out, err, [(method, unquote(target)) for method, target in sent]
    finally:
        proxy.close()


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("ERROR")]


def _before_writes(requests: list[tuple[str, str]], root: str) -> list[tuple[str, str]]:
    """The requests before the first write below *root* (its lock: the plan's and the
    preflight's requests)."""
    for at, (method, target) in enumerate(requests):
        if method in ("PUT", "POST") and f"/{root}/" in target:
            return requests[:at]
    return requests


def _full_listings(requests: list[tuple[str, str]], prefix: str) -> int:
    """How many listings without a delimiter of *prefix* the run asked for."""
    return sum(
        1
        for method, target in requests
        if method == "GET"
        and "list-type=2" in target
        and f"prefix={prefix}&" in target
        and "delimiter" not in target
    )


def test_a_bucket_copy_root_of_another_tools_objects_is_refused_before_any_write(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    other = _card(tmp_path / "r1", OTHER, b"card one ")
    card = _card(tmp_path / "r2", CLIPS, b"card two ")
    url, root = f"s3://{bucket}/day1", "day1/EOS_DIGITAL"
    _put(s3_server.url, bucket, other, dates=True, prefix=root)  # rclone's copy of another card
    before = keys(s3_server.url, bucket)

    code, out, err, asked = _run(tmp_path, s3_server.url, str(card), url)
    assert code == 64, out + err
    (line,) = _error_lines(err)
    assert f"{url}/EOS_DIGITAL holds files at this card's names that are not" in line, line
    assert f"('{FIRST}': 300000 bytes there, 250000 on the card)" in line, line
    assert f"offload copy --into {card} {url}/EOS_DIGITAL_2 (" in line, line
    assert "mkdir" not in line  # a bucket's folder needs no making
    assert f"or --into {url}/EOS_DIGITAL to add it to that folder" in line, line
    assert "--overwrite" not in line and "--keep-both" not in line
    assert keys(s3_server.url, bucket) == before  # not an object written, none left
    # One listing of the copy root's prefix, no HEAD of an object (sizes told it).
    assert _full_listings(asked, f"{root}/") == 1, asked
    assert not [t for m, t in asked if m == "HEAD" and root in t], asked

    code, out, err, _ = _run(tmp_path, s3_server.url, "--json", str(card), url)
    assert code == 64, out + err
    (refusal,) = [json.loads(text) for text in out.splitlines()]
    assert refusal["event"] == "offload_refused"
    (found,) = refusal["errors"]
    assert found["code"] == "copy-root-of-other-files" and found["destination_index"] == 0
    assert found["path"] == f"{url}/EOS_DIGITAL"
    code, _, err, _ = _run(tmp_path, s3_server.url, "--dry-run", str(card), url)
    assert code == 64 and _error_lines(err) == [line], err
    assert keys(s3_server.url, bucket) == before

    # This card copied without its dates (aws s3 cp: no mtime metadata, LastModified the
    # upload's time): it cannot be told from another card's, refused the same way, after a
    # HEAD of each object of the card file's size.
    bare = f"s3://{bucket}/day2"
    _put(s3_server.url, bucket, card, dates=False, prefix="day2/EOS_DIGITAL")
    code, out, err, asked = _run(tmp_path, s3_server.url, str(card), bare)
    assert code == 64, out + err
    (line,) = _error_lines(err)
    assert f"('{FIRST}': of its size, another modification time and 1 other)" in line, line
    heads = [t for m, t in asked if m == "HEAD" and "day2/EOS_DIGITAL/" in t]
    assert len(heads) == len(CLIPS), asked

    # --into the folder: asked for; the object in the way refused, kept; the new one copied.
    code, out, err, _ = _run(
        tmp_path,
        s3_server.url,
        "--into",
        "--allow-card-destination",
        str(card),
        f"{url}/EOS_DIGITAL",
    )
    assert code == 1, out + err  # one verified, one refused
    client = admin(s3_server.url)
    held = client.get_object(Bucket=bucket, Key=f"{root}/{FIRST}")["Body"].read()
    assert held == (other / FIRST).read_bytes()
    third = "DCIM/100CANON/MVI_0003.MOV"
    assert (
        client.get_object(Bucket=bucket, Key=f"{root}/{third}")["Body"].read()
        == (card / third).read_bytes()
    )


def test_a_copy_keeping_the_cards_dates_or_an_empty_prefix_goes_on_without_more_requests(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    card = _card(tmp_path / "r", CLIPS, b"card two ")
    # An empty prefix (a first offload): the check asks nothing of its own (no listing of
    # the copy root's prefix, no HEAD).
    code, out, err, asked = _run(tmp_path, s3_server.url, str(card), f"s3://{bucket}/day1")
    assert code == 0, out + err
    asked = _before_writes(asked, "day1/EOS_DIGITAL")
    assert _full_listings(asked, "day1/EOS_DIGITAL/") == 0, asked
    assert not [t for m, t in asked if m == "HEAD" and "EOS_DIGITAL/DCIM" in t], asked
    # Its re-run (the ledger tells): no HEAD an object, the same listings as before.
    code, out, err, again = _run(tmp_path, s3_server.url, str(card), f"s3://{bucket}/day1")
    assert code == 0, out + err
    assert not [t for m, t in again if m == "HEAD" and "EOS_DIGITAL/DCIM" in t], again
    # rclone's copy of this card (its mtime metadata): the card's file; the run goes on,
    # reading the objects back (adopted: no upload).
    _put(s3_server.url, bucket, card, dates=True, prefix="day2/EOS_DIGITAL")
    before = keys(s3_server.url, bucket)
    code, out, err, asked = _run(tmp_path, s3_server.url, str(card), f"s3://{bucket}/day2")
    assert code == 0, out + err
    assert "holds files at this card's names" not in err
    assert [t for m, t in asked if m == "HEAD" and "day2/EOS_DIGITAL/DCIM" in t][:1], asked
    # One listing of the copy root before its lock (ours, then the type check's, shared).
    assert _full_listings(_before_writes(asked, "day2/EOS_DIGITAL"), "day2/EOS_DIGITAL/") == 1, (
        asked
    )
    clips = [k for k in keys(s3_server.url, bucket) if k.startswith("day2/EOS_DIGITAL/DCIM")]
    assert clips == [k for k in before if k.startswith("day2/EOS_DIGITAL/DCIM")]


def test_a_ledger_of_revoked_lines_alone_is_read_as_on_a_disk(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """Every ledger line revoked (the copies a run of ours revoked): the folder is not
    refused on a disk (the revocation is no other card's entry, and the ledger has lines,
    so its files are not looked at); the file in the way is refused alone, naming the
    revocation, exit 2. A bucket's copy root does the same."""
    card = _card(tmp_path / "r", {FIRST: 5000}, b"card ")
    revoked = json.dumps({"relative_path": FIRST, "state": "revoked"}) + "\n"
    disk = tmp_path / "disk" / "EOS_DIGITAL"
    (disk / FIRST).parent.mkdir(parents=True)
    (disk / FIRST).write_bytes(b"x" * 700)
    (disk / ".offload").mkdir()
    (disk / ".offload" / "ledger.jsonl").write_text(revoked)
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key=f"day1/EOS_DIGITAL/{FIRST}", Body=b"x" * 700)
    client.put_object(
        Bucket=bucket,
        Key="day1/EOS_DIGITAL/.offload/ledger/00000000000000000001-run-000000.jsonl",
        Body=revoked.encode(),
    )
    for destination in (str(disk.parent), f"s3://{bucket}/day1"):
        code, out, err, _ = _run(tmp_path, s3_server.url, str(card), destination)
        assert code == 2, out + err
        assert "holds files at this card's names" not in err
        (line,) = _error_lines(err)
        assert "already exists" in line and "an earlier offload revoked the copy" in line, line
    assert (disk / FIRST).read_bytes() == b"x" * 700
    held = client.get_object(Bucket=bucket, Key=f"day1/EOS_DIGITAL/{FIRST}")["Body"].read()
    assert held == b"x" * 700
    assert os.listdir(disk.parent) == ["EOS_DIGITAL"]
