"""Two cards ``--into`` one copy root on S3 and on a disk, in the same two runs: the S3
history's folder hashes are those of the disk's (``tests/integration/test_shared_copy_root.py``
judges the disk's with ``ascmhl``): the second generation hashes only the folders it lists
whole, as the store's keys show them; a card's empty folder, which a store cannot hold, is
neither listed nor hashed there (it is named in a ``folder-not-kept`` warning) and is no
content left out."""

from __future__ import annotations

import os
from pathlib import Path

from offload.card import OffloadOptions, plan_offload, run_offload
from offload.destinations.s3config import S3Settings
from offload.manifest.history import read_history
from s3.conftest import admin
from s3.test_s3_cli import offload


def write(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))


def hashed_folders(root: Path) -> list[set[str]]:
    """Per generation, the folders it records a hash for (``"."``: the root)."""
    found = []
    for generation in read_history(root).generations:
        folders = {d.path for d in generation.directories}
        if generation.root_hash is not None and generation.root_hash.content:
            folders.add(".")
        found.append(folders)
    return found


def test_two_cards_into_one_s3_root_hash_the_folders_a_disk_does(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """Failed before: the second generation hashed the root and CLIPS/ over the second
    card's files alone, on S3 as on the disk."""
    first, second = tmp_path / "cards" / "DAY1", tmp_path / "cards" / "DAY2"
    write(first / "CLIPS" / "A001C001.mov", 30_000)
    write(first / "SOUND" / "S01T01.wav", 20_000)
    write(second / "CLIPS" / "B001C001.mov", 25_000)
    write(second / "GRADE" / "LUT" / "show.cube", 2_000)
    (second / "EMPTY").mkdir()
    local = tmp_path / "RAID" / "ROLL"
    local.mkdir(parents=True)
    url = f"s3://{bucket}/ROLL"
    for card in (first, second):
        code, _, err = offload(
            tmp_path, "--s3-endpoint", s3_server.url, "--into", str(card), str(local), url
        )
        assert code == 0, err
    client = admin(s3_server.url)
    mirror = tmp_path / "mirror"
    listing = client.list_objects_v2(Bucket=bucket, Prefix="ROLL/ascmhl/")
    for item in listing.get("Contents", []):
        target = mirror / item["Key"][len("ROLL/") :]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
    expected = [{".", "CLIPS", "SOUND"}, {"GRADE", "GRADE/LUT", "EMPTY"}]
    assert hashed_folders(local) == expected
    assert hashed_folders(mirror) == [{".", "CLIPS", "SOUND"}, {"GRADE", "GRADE/LUT"}]
    newest = read_history(mirror).generations[-1]
    assert {f.path for f in newest.files} == {"CLIPS/B001C001.mov", "GRADE/LUT/show.cube"}


def test_an_object_at_a_folders_key_leaves_the_root_unhashed(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """S3 keys are flat: another tool's object at ``ROLL/CLIPS`` beside the card's
    ``ROLL/CLIPS/...``. The root then holds content no generation lists, so a re-run's
    generation (``--reverify`` writes one) hashes CLIPS/ and SOUND/ but not the root, as on
    a disk holding a file put there by hand. Failed before: the store's listing made one
    folder of both names, and the generation recorded a root hash of content it did not
    list whole. The object is stored after the re-run's plan (a race no preflight closes):
    one there before is refused (``target-type-conflict``, tests/s3/test_s3_existing.py)."""
    card = tmp_path / "cards" / "DAY1"
    write(card / "CLIPS" / "A001C001.mov", 3_000)
    write(card / "SOUND" / "S01T01.wav", 2_000)
    url = f"s3://{bucket}/ROLL"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "--into", str(card), url)
    assert code == 0, err
    client = admin(s3_server.url)
    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", max_attempts=3)
    plan = plan_offload(card, [url], OffloadOptions(into=True, reverify=True, s3=settings))
    client.put_object(Bucket=bucket, Key="ROLL/CLIPS", Body=b"another tool's object")
    assert run_offload(plan).exit_code == 0
    mirror = tmp_path / "mirror"
    listing = client.list_objects_v2(Bucket=bucket, Prefix="ROLL/ascmhl/")
    for item in listing.get("Contents", []):
        target = mirror / item["Key"][len("ROLL/") :]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
    assert hashed_folders(mirror) == [{".", "CLIPS", "SOUND"}, {"CLIPS", "SOUND"}]
    # Another tool's object is left as it is (a copy never writes over what is not ours).
    body = client.get_object(Bucket=bucket, Key="ROLL/CLIPS")["Body"].read()
    assert body == b"another tool's object"
