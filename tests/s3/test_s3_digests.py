"""The file's digests in the object's metadata (``x-amz-meta-offload-<algorithm>``), on every
path that creates an object while they are known, checked by a HEAD against ``xxhsum`` and
``md5sum`` run on the card: a cascade from a verified local copy (the card's digests are
known before the upload starts), a replacement (staged, copied once verified, with the
digests then known), an upload resumed from its parts (only with the digests it was started
with). Before, the cascade and the replacement stored none, and a resume could complete an
upload with the metadata of another source of the same size. Objects adopted or re-checked
are not rewritten (no metadata of ours), and a direct copy from the card stores none: its
digests are known only after its object is complete (docs/s3.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from offload.card import OffloadOptions, offload
from offload.destinations.s3config import S3Settings
from offload.options import CopyOptions
from s3.conftest import admin, destination
from s3.test_s3_cli import CARD, make_card

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
    assert offload(card, [url], options=options(s3_server.url)).exit_code == 0
    client = admin(s3_server.url)
    for relative in CARD:
        key = f"day1/A001/{relative}"
        # A direct copy: its digests were not known when its object was created.
        assert object_digests(s3_server.url, bucket, key) == {}
        client.put_object(Bucket=bucket, Key=key, Body=b"\1" * CARD[relative])
    report = offload(card, [url], options=options(s3_server.url, reverify=True))
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    for relative in CARD:
        key = f"day1/A001/{relative}"
        assert object_digests(s3_server.url, bucket, key) == tool_digests(card / relative)


def test_an_adopted_object_is_not_rewritten(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    client = admin(s3_server.url)
    for relative in CARD:
        data = (card / relative).read_bytes()
        client.put_object(Bucket=bucket, Key=f"day1/A001/{relative}", Body=data)
    before = {r: client.head_object(Bucket=bucket, Key=f"day1/A001/{r}")["ETag"] for r in CARD}
    report = offload(card, [f"s3://{bucket}/day1"], options=options(s3_server.url))
    assert report.exit_code == 0
    for relative in CARD:
        head = client.head_object(Bucket=bucket, Key=f"day1/A001/{relative}")
        assert head["ETag"] == before[relative] and head["Metadata"] == {}


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
