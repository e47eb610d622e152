"""The file's digests in the object's metadata (``x-amz-meta-offload-<algorithm>``), on every
path that creates an object while they are known, checked by a HEAD against ``xxhsum`` and
``md5sum`` run on the card: a cascade from a verified local copy (the card's digests are
known before the upload starts), a replacement (staged, copied once verified, with the
digests then known), an upload resumed from its parts (only with the digests it was started
with), and a direct copy from the card (its PutObject sent once the digests are known, its
multipart object copied onto itself with them; also when resumed, refused, or stopped by a
Ctrl-C during that copy). Before, the cascade, the replacement and the direct copy stored
none, and a resume could complete an upload with the metadata of another source of the same
size. Objects adopted or re-checked are not rewritten (no metadata of ours)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from offload.card import OffloadOptions, offload
from offload.destinations.s3config import S3Settings
from offload.destinations.s3ledger import S3Ledger
from offload.options import CopyOptions
from offload.results import DestinationStatus
from s3.conftest import admin, corrupt_in_place, destination
from s3.test_s3_cli import CARD, card_local_url, keys, make_card
from s3.test_s3_cli import offload as offload_cli
from support.cards import mtime_metadata

MiB = 1024 * 1024
ALGORITHMS = ("xxh64", "md5")


def tool_digests(path: Path) -> dict[str, str]:
    """The digests of *path* by the system's own tools (not by offload-ai's code)."""
    if not shutil.which("xxhsum") or not shutil.which("md5sum"):
        pytest.skip("xxhsum and md5sum: apt-get install xxhash coreutils")
    xxh = subprocess.run(["xxhsum", "-H1", str(path)], capture_output=True, check=True, text=True)
    md5 = subprocess.run(["md5sum", str(path)], capture_output=True, check=True, text=True)
    return {"xxh64": xxh.stdout.split()[0], "md5": md5.stdout.split()[0]}


def object_digests(endpoint: str, bucket: str, key: str) -> dict[str, str]:
    metadata = admin(endpoint).head_object(Bucket=bucket, Key=key)["Metadata"]
    return {
        name: metadata[f"offload-{name}"] for name in ALGORITHMS if f"offload-{name}" in metadata
    }


def options(endpoint: str, **more: object) -> OffloadOptions:
    return OffloadOptions(
        copy=CopyOptions(algorithms=ALGORITHMS),
        s3=S3Settings(
            endpoint_url=endpoint, region="us-east-1", max_attempts=2, single_put_max=MiB
        ),
        **more,  # type: ignore[arg-type]
    )


def test_a_cascade_stores_the_cards_digests(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1"
    report = offload(card, [local, url], options=options(s3_server.url, cascade=frozenset({1})))
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    for relative in CARD:  # a multipart upload (7 MiB) and two PutObjects
        key = f"day1/A001/{relative}"
        assert object_digests(s3_server.url, bucket, key) == tool_digests(card / relative)


def test_a_replacement_stores_the_digests(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    # The first copy without digests in its metadata (the opt-out): the replacement adds them.
    first = options(s3_server.url)
    first = replace(first, s3=replace(first.s3, metadata_digests=False))
    assert offload(card, [url], options=first).exit_code == 0
    for relative in CARD:
        key = f"day1/A001/{relative}"
        assert object_digests(s3_server.url, bucket, key) == {}
        corrupt_in_place(s3_server.url, bucket, relative, b"\1" * CARD[relative])
    report = offload(card, [url], options=options(s3_server.url, reverify=True))
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    for relative in CARD:
        key = f"day1/A001/{relative}"
        assert object_digests(s3_server.url, bucket, key) == tool_digests(card / relative)


def test_an_adopted_object_is_not_rewritten(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    client = admin(s3_server.url)
    # Dated as the card files (rclone's mtime metadata): dated by their upload alone, the
    # objects made the copy root this card's only within 2 s of making the card (else
    # refused under load: copy-root-of-other-files, "another modification time").
    dated = {relative: mtime_metadata(card / relative) for relative in CARD}
    for relative in CARD:
        data = (card / relative).read_bytes()
        key = f"day1/A001/{relative}"
        client.put_object(Bucket=bucket, Key=key, Body=data, Metadata=dated[relative])
    before = {r: client.head_object(Bucket=bucket, Key=f"day1/A001/{r}")["ETag"] for r in CARD}
    report = offload(card, [f"s3://{bucket}/day1"], options=options(s3_server.url))
    assert report.exit_code == 0
    for relative in CARD:
        head = client.head_object(Bucket=bucket, Key=f"day1/A001/{relative}")
        assert head["ETag"] == before[relative] and head["Metadata"] == dated[relative]


def test_a_resumed_upload_keeps_its_digests_only_for_the_same_ones(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    path = tmp_path / "clip.mov"
    path.write_bytes(os.urandom(17 * MiB))
    data = path.read_bytes()
    digests = tool_digests(path)

    def interrupted(with_digests: dict[str, str]) -> str:
        dest = destination(s3_server.url, bucket)
        upload = dest.open_upload("cards/clip.mov", len(data), digests=with_digests)
        upload.write(memoryview(data)[: 10 * MiB])
        upload._wait()  # two parts on the service; then the process "dies"
        dest.close()
        assert upload.upload_id is not None
        return upload.upload_id

    def finish(with_digests: dict[str, str]) -> int:
        dest = destination(s3_server.url, bucket)
        upload = dest.open_upload("cards/clip.mov", len(data), digests=with_digests)
        upload.write(memoryview(data))
        upload.complete()
        dest.close()
        return upload.resumed_parts

    interrupted(digests)
    assert finish(digests) == 2  # resumed from its parts, with the same digests
    assert object_digests(s3_server.url, bucket, "cards/clip.mov") == digests
    admin(s3_server.url).delete_object(Bucket=bucket, Key="cards/clip.mov")
    # Started for another source of the same size (other digests): not resumed, since
    # its metadata, fixed at its creation, would be wrong.
    interrupted({"xxh64": "0" * 16, "md5": "0" * 32})
    assert finish(digests) == 0
    assert object_digests(s3_server.url, bucket, "cards/clip.mov") == digests


def test_a_direct_copy_stores_the_digests(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Above the CLI's 8 MiB PutObject limit: one multipart object; and two PutObjects.
    sizes = {"CLIPS/A001C001.mov": 9 * MiB + 3, "CLIPS/A001C002.mov": 200_000, "A001.xml": 900}
    card, local, url = card_local_url(tmp_path, bucket, sizes)
    code, _out, err = offload_cli(
        tmp_path, "--s3-endpoint", s3_server.url, "--hash", "xxh64,md5", str(card), str(local), url
    )
    assert code == 0, err
    client = admin(s3_server.url)
    ledger = _ledger(s3_server.url, bucket)
    for relative in sizes:
        key = f"day1/A001/{relative}"
        assert object_digests(s3_server.url, bucket, key) == tool_digests(card / relative)
        # The ledger records the object as it finally is (the copy with the metadata, for a
        # multipart one): the read-back read that one.
        assert ledger[relative].etag == client.head_object(Bucket=bucket, Key=key)["ETag"]


def test_a_multipart_copy_stores_the_digests(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    report = offload(card, [f"s3://{bucket}/day1"], options=options(s3_server.url))
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    client = admin(s3_server.url)
    clip = "CLIPS/A001C001.mov"  # 7 MiB, above single_put_max (1 MiB): multipart
    head = client.head_object(Bucket=bucket, Key=f"day1/A001/{clip}")
    assert head["ContentLength"] == CARD[clip]
    for relative in CARD:
        key = f"day1/A001/{relative}"
        assert object_digests(s3_server.url, bucket, key) == tool_digests(card / relative)
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    # The re-run trusts every entry: each recorded the ETag of the object finally stored.
    again = offload(card, [f"s3://{bucket}/day1"], options=options(s3_server.url))
    assert {r.status for f in again.job.files for r in f.destinations} == {
        DestinationStatus.VERIFIED_EARLIER
    }


def test_the_opt_out_stores_no_digests(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sizes = {"CLIPS/A001C001.mov": 9 * MiB + 3, "A001.xml": 900}
    card, _local, url = card_local_url(tmp_path, bucket, sizes)
    code, _out, err = offload_cli(
        tmp_path, "--s3-endpoint", s3_server.url, "--s3-no-digest-metadata", str(card), url
    )
    assert code == 0, err
    for relative in sizes:
        assert object_digests(s3_server.url, bucket, f"day1/A001/{relative}") == {}


def test_a_refused_metadata_copy_fails_the_file(s3_server, bucket, proxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    clip = "CLIPS/A001C001.mov"
    proxy.intercept("PUT", f"/day1/A001/{clip}", header="x-amz-copy-source", status=403, count=10)
    report = offload(card, [url], options=options(proxy.url))
    assert report.exit_code == 1
    results = {f.relative_path: f.destinations[0] for f in report.job.files}
    assert results[clip].status is DestinationStatus.FAILED
    error = results[clip].error or ""
    assert "cannot store the digests in the metadata of" in error and "AccessDenied" in error
    assert all(r.status is DestinationStatus.VERIFIED for p, r in results.items() if p != clip)
    # The object it completed (ours, without the digests) is gone; nothing is left half done.
    assert f"day1/A001/{clip}" not in keys(s3_server.url, bucket)
    assert not admin(s3_server.url).list_multipart_uploads(Bucket=bucket).get("Uploads")
    assert clip not in _ledger(s3_server.url, bucket)
    again = offload(card, [url], options=options(s3_server.url))
    assert again.exit_code == 0
    assert object_digests(s3_server.url, bucket, f"day1/A001/{clip}") == tool_digests(card / clip)


def test_a_resumed_direct_upload_stores_the_digests(s3_server, bucket, proxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path, {"CLIPS/A001C001.mov": 17 * MiB})
    clip = card / "CLIPS/A001C001.mov"
    data = clip.read_bytes()
    key = "day1/A001/CLIPS/A001C001.mov"
    # As the run below would start it (same part size, checksum and card file's time): no
    # digests yet.
    dest = destination(s3_server.url, bucket, prefix="day1", part_size=8 * MiB)
    upload = dest.open_upload(key, len(data), mtime_ns=clip.stat().st_mtime_ns)
    upload.write(memoryview(data)[: 10 * MiB])
    upload._wait()  # part 1 (8 MiB) on the service, the rest not: then the process "dies"
    dest.close()
    report = offload(card, [f"s3://{bucket}/day1"], options=options(proxy.url))
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    sent = [t for t in proxy.targets if "partNumber=" in t and "uploadId=" in t]
    assert not any("partNumber=1&" in t or t.endswith("partNumber=1") for t in sent), sent
    assert object_digests(s3_server.url, bucket, key) == tool_digests(clip)


def test_ctrl_c_during_the_metadata_copy(s3_server, bucket, proxy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from s3.test_s3_faults import BIG, _offload_process, report_of, statuses, stop_while_held
    from s3.test_s3_faults import CARD as BIG_CARD

    card = make_card(tmp_path, BIG_CARD)
    url = f"s3://{bucket}/day1"
    big_key = f"day1/A001/{BIG}"
    # The big file's copy onto itself (its digests into its metadata) is held: its object
    # is complete, and the copy has not reached the service.
    proxy.hold("PUT", f"/{bucket}/{big_key}", header="x-amz-copy-source")
    process = _offload_process(tmp_path, proxy.url, str(card), url)
    out, err = stop_while_held(proxy, process, signal.SIGINT, "the copy")
    assert process.returncode == 130, err
    report = report_of(out)
    assert statuses(report, 0)[BIG] == "cancelled"
    assert BIG not in _ledger(s3_server.url, bucket)
    client = admin(s3_server.url)
    # No half object: the key holds nothing, or a whole object (still ours: deleted).
    if big_key in keys(s3_server.url, bucket):
        assert client.head_object(Bucket=bucket, Key=big_key)["ContentLength"] == BIG_CARD[BIG]
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    code, out, err = offload_cli(
        tmp_path, "--s3-endpoint", s3_server.url, "--hash", "xxh64,md5", str(card), url
    )
    assert code == 0, err
    assert object_digests(s3_server.url, bucket, big_key) == tool_digests(card / BIG)


def test_an_object_replaced_behind_our_back_is_not_trusted(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    assert offload(card, [url], options=options(s3_server.url)).exit_code == 0
    small = "CLIPS/A001C002.mov"
    # Another writer's object of the same size under the key: the size alone would trust it.
    admin(s3_server.url).put_object(
        Bucket=bucket, Key=f"day1/A001/{small}", Body=b"\1" * CARD[small]
    )
    again = offload(card, [url], options=options(s3_server.url))
    results = {f.relative_path: f.destinations[0] for f in again.job.files}
    assert results[small].status is DestinationStatus.FAILED  # read back: other content
    assert "other content" in (results[small].error or "")
    for relative in CARD:
        if relative != small:
            assert results[relative].status is DestinationStatus.VERIFIED_EARLIER


def _ledger(endpoint: str, bucket: str) -> dict:  # type: ignore[type-arg]
    from offload.destinations.s3backend import S3Backend

    backend = S3Backend(destination(endpoint, bucket, prefix="day1"))
    try:
        return S3Ledger(backend, backend.root / "A001").load()
    finally:
        backend.close()
