"""A ``-t`` change on an ``s3://`` copy root: the new generation records each file the
history knows in the history's format too (``verified``, or ``failed`` for a file replaced
there), as ``ascmhl create -h`` over that history does, never a second ``original`` whose
first record stays the reference for ``ascmhl-debug verify`` (``offload.history_formats``). The
suite's S3 server, the real CLI entry point."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from s3.conftest import admin
from s3.test_s3_cli import keys, offload
from support.tcpproxy import FaultProxy


def _generation(endpoint: str, bucket: str, number: str) -> str:
    (key,) = [k for k in keys(endpoint, bucket) if re.search(rf"/ascmhl/{number}_", k)]
    return admin(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def card_of_two(tmp_path: Path) -> Path:
    """A card ``A001`` of two 40 kB clips."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for name in ("A001C001.mov", "A001C002.mov"):
        (card / "CLIPS" / name).write_bytes(os.urandom(40_000))
    return card


def test_a_format_change_records_the_historys_format_verified_on_a_bucket(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``-t md5``, then ``-t xxh64`` to the same bucket: each object is read back (the
    ledger lacks xxh64) and the generation records it ``md5 verified`` and ``xxh64
    verified``. Failed before: ``xxh64 action="original"`` beside the md5 original, and
    no md5 in the second generation. A clip then replaced on the card and copied with
    ``-t sha1 --overwrite`` is recorded ``failed`` in the history's formats and warned of
    (failed before: ``sha1 original``, nothing said)."""
    card = card_of_two(tmp_path)
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "-t", "md5", str(card), url)
    assert code == 0, err
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "-t", "xxh64", str(card), url)
    assert code == 0, err
    text = _generation(s3_server.url, bucket, "0002")
    assert 'action="original"' not in text, text
    assert text.count('<md5 action="verified"') == 2, text
    assert text.count('<xxh64 action="verified"') == 2, text
    # The camera rewrites a clip; copied again over the object in a third format.
    (card / "CLIPS" / "A001C002.mov").write_bytes(os.urandom(40_000))
    code, _, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "-t", "sha1", "--overwrite", str(card), url
    )
    assert code == 0, err
    text = _generation(s3_server.url, bucket, "0003")
    assert 'action="original"' not in text, text
    assert text.count('<sha1 action="verified"') == 1, text  # the clip kept as it was
    assert text.count('action="failed"') == 2, text  # md5 and xxh64 of the replaced clip
    assert "now records CLIPS/A001C002.mov as failed" in err, err
    flat = " ".join(err.split())
    # The clip kept was hashed in the history's formats by its read-back; the one written
    # now (the engine's read-back hashes the run's formats alone) is read once more.
    assert f"1 object on {url}/A001 that its ASC MHL history knows only" in flat, err
    # A bucket's GETs stop at a cancel (failed before: "which a Ctrl-C does not stop").
    assert "a Ctrl-C stops them" in flat and "does not stop" not in flat, err


def test_a_history_lacking_the_runs_format_gets_one_generation_not_a_read_each_run(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``-t md5``, then ``-t xxh64`` (the ledger now holds xxh64), then the bucket's
    ``ascmhl/`` put back as the first run left it (the second's generation lost): the next
    nothing-new run writes the generation it lacks, reading each object once (said), and
    the runs after it read nothing. Failed before: every such run GET each object at its
    manifest step, wrote no generation and said nothing."""
    card = card_of_two(tmp_path)
    url = f"s3://{bucket}/day1"
    client = admin(s3_server.url)
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "-t", "md5", str(card), url)
    assert code == 0, err
    first = {
        k: client.get_object(Bucket=bucket, Key=k)["Body"].read()
        for k in keys(s3_server.url, bucket)
        if "/ascmhl/" in k
    }
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "-t", "xxh64", str(card), url)
    assert code == 0, err
    for k in keys(s3_server.url, bucket):
        if "/ascmhl/" in k:
            client.delete_object(Bucket=bucket, Key=k)
    for k, body in first.items():
        client.put_object(Bucket=bucket, Key=k, Body=body)
    clips = {f"/{bucket}/day1/A001/CLIPS/{n}" for n in ("A001C001.mov", "A001C002.mov")}
    reads, said = [], []
    for _ in range(3):
        proxy = FaultProxy(s3_server.port)
        try:
            code, _, err = offload(
                tmp_path, "--s3-endpoint", proxy.url, "-t", "xxh64", str(card), url
            )
            methods, targets = proxy.stats.methods, proxy.targets
        finally:
            proxy.close()
        assert code == 0, err
        reads.append(
            sum(
                m == "GET" and t.split("?")[0] in clips
                for m, t in zip(methods, targets, strict=True)
            )
        )
        said.append("only in formats this run did not compute" in " ".join(err.split()))
    assert reads == [2, 0, 0]
    assert said == [True, False, False]
    text = _generation(s3_server.url, bucket, "0002")
    assert text.count('<md5 action="verified"') == 2, text
    assert text.count('<xxh64 action="verified"') == 2, text


def _clip_gets(tmp_path: Path, s3_server, bucket: str, *args: str) -> tuple[int, str, int]:  # type: ignore[no-untyped-def]
    """``offload copy *args*`` through a fault proxy: its exit code, stderr, and how many
    GETs of the card's clips' objects it made (the server's request log, as the proxy saw)."""
    clips = {f"/{bucket}/day1/A001/CLIPS/{n}" for n in ("A001C001.mov", "A001C002.mov")}
    proxy = FaultProxy(s3_server.port)
    try:
        code, _, err = offload(tmp_path, "--s3-endpoint", proxy.url, *args)
        methods, targets = proxy.stats.methods, proxy.targets
    finally:
        proxy.close()
    gets = sum(
        m == "GET" and t.split("?")[0] in clips for m, t in zip(methods, targets, strict=True)
    )
    return code, err, gets


@pytest.mark.parametrize("ledger", ["kept", "lost"])
def test_a_format_change_reads_each_object_at_the_manifest_step_no_more(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, ledger: str
) -> None:
    """``-t md5``, then ``-t xxh64`` (*ledger* "lost": the bucket's ledger objects deleted
    first, so the objects are adopted without a ledger entry): each object's read-back
    hashes it in md5 too (the history's format), and the manifest step lists it with that
    digest, reading it no more, as on a disk. 4 GETs of the 2 objects: the read-back's, and
    the read of each after its metadata is given xxh64 (``complete_adopted``). Failed
    before: 6 (the manifest step read each again, and said so)."""
    card = card_of_two(tmp_path)
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "-t", "md5", str(card), url)
    assert code == 0, err
    if ledger == "lost":
        client = admin(s3_server.url)
        for key in keys(s3_server.url, bucket):
            if "/.offload/ledger/" in key:
                client.delete_object(Bucket=bucket, Key=key)
    code, err, gets = _clip_gets(tmp_path, s3_server, bucket, "-t", "xxh64", str(card), url)
    assert code == 0, err
    assert "read once more at the manifest step" not in " ".join(err.split()), err
    assert gets == 4, err
    text = _generation(s3_server.url, bucket, "0002")
    assert 'action="original"' not in text, text
    assert text.count('<md5 action="verified"') == 2, text
    assert text.count('<xxh64 action="verified"') == 2, text


def test_the_history_read_at_the_start_is_not_downloaded_again_at_the_manifest_step(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """Review of the fixs3v60 merge: an S3 re-run with an adopted object downloaded the
    copy root's history at the start (``s3card.history_of``) and again, whole, at the
    manifest step (~10 MB a generation at 50,000 files). Failed before (each manifest GET
    twice, the chain three times). Now the manifest step GETs only the objects whose listed
    ETag is not the one downloaded at the start. Counted in the requests the proxy passed
    on."""
    card = card_of_two(tmp_path)
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "-t", "md5", str(card), url)
    assert code == 0, err
    client = admin(s3_server.url)
    for key in keys(s3_server.url, bucket):
        if "/.offload/ledger/" in key:  # the objects adopted: the history read at the start
            client.delete_object(Bucket=bucket, Key=key)
    history = f"/{bucket}/day1/A001/ascmhl/"
    proxy = FaultProxy(s3_server.port)
    try:
        code, _, err = offload(tmp_path, "--s3-endpoint", proxy.url, "-t", "md5", str(card), url)
        methods, targets = proxy.stats.methods, proxy.targets
    finally:
        proxy.close()
    assert code == 0, err
    gets = [t.split("?")[0] for m, t in zip(methods, targets, strict=True) if m == "GET"]
    read = [t for t in gets if t.startswith(history)]
    manifests = [t for t in read if t.endswith(".mhl")]
    assert manifests and len(manifests) == len(set(manifests)), read  # each one once
    # The chain: downloaded once, and read again by the new chain's store (``_put_chain``:
    # the If-Match's ETag, of the bytes read now).
    assert read.count(f"{history}ascmhl_chain.xml") == 2, read
