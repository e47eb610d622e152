"""An object's metadata holds an ``offload-<algorithm>`` for every hash the run computed
(its ``-t`` algorithms, xxh64 by default, and those the card's reference adds), each as the
system's tools print it, also when the card's legacy MHL or its ASC MHL history gave the
upload reference digests up front. Before, the up-front digests were the metadata alone: an
XXH32-, md5- or sha1-only legacy MHL on the card left the objects without ``offload-xxh64``
(the run's own hash), small (one PutObject) and multipart (above 8 MiB) alike. Real offloads
to the suite's S3 server; the expected values from ``xxhsum``/``md5sum``/``sha1sum``."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from offload.destinations.s3 import digests_of
from s3.conftest import admin
from s3.test_s3_cli import offload

SMALL = 40_000
LARGE = 9 * 1024 * 1024  # above the 8 MiB of one PutObject: multipart
# The system's tool for each hash: the first word it prints is the digest.
TOOLS = {
    "xxh64": ["xxhsum", "-H1"],
    "md5": ["md5sum"],
    "sha1": ["sha1sum"],
    "xxh32": ["xxhsum", "-H0"],
}


def system_digest(name: str, path: Path) -> str:
    argv = TOOLS[name]
    if shutil.which(argv[0]) is None:
        pytest.skip(f"{argv[0]}: apt-get install xxhash coreutils")
    out = subprocess.run([*argv, str(path)], capture_output=True, text=True, check=True)
    return out.stdout.split()[0].lower()


def _legacy_card(tmp_path: Path, element: str, size: int) -> Path:
    """A card A001 whose one clip a legacy MHL records by *element* alone."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    clip = card / "CLIPS" / "A001C001.mov"
    clip.write_bytes(os.urandom(size))
    name = {"md5": "md5", "sha1": "sha1", "xxhash": "xxh32"}[element]
    value = system_digest(name, clip)
    if element == "xxhash":
        value = f"{int(value, 16):010d}"  # XXH32 in decimal, as mhl-tool wrote it
    (card / "CLIPS" / "CLIPS_2024-05-01_100200.mhl").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1"><creatorinfo>'
        "<username>u</username><hostname>h</hostname><tool>Silverstack 8</tool>"
        "<startdate>2024-01-01T00:00:00Z</startdate><finishdate>2024-01-01T00:00:00Z"
        f"</finishdate></creatorinfo>\n<hash><file>A001C001.mov</file><size>{size}</size>"
        f"<{element}>{value}</{element}><hashdate>2024-01-01T00:00:00Z</hashdate></hash>\n"
        "</hashlist>\n"
    )
    return card


def _metadata_digests(endpoint: str, bucket: str) -> dict[str, str]:
    head = admin(endpoint).head_object(Bucket=bucket, Key="day1/A001/CLIPS/A001C001.mov")
    return digests_of(head["Metadata"])


def _expected(card: Path, names: tuple[str, ...]) -> dict[str, str]:
    clip = card / "CLIPS" / "A001C001.mov"
    return {name: system_digest(name, clip) for name in names}


@pytest.mark.parametrize(
    ("element", "size"),
    [
        ("xxhash", SMALL),
        ("md5", SMALL),
        ("sha1", SMALL),
        ("xxhash", LARGE),
    ],
)
def test_a_legacy_mhl_adds_its_hash_to_the_runs_own(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, element, size
) -> None:
    card = _legacy_card(tmp_path, element, size)
    code, _, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, str(card), f"s3://{bucket}/day1"
    )
    assert code == 0, err
    added = {"md5": "md5", "sha1": "sha1", "xxhash": "xxh32"}[element]
    assert _metadata_digests(s3_server.url, bucket) == _expected(card, ("xxh64", added))


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_a_cards_asc_mhl_history_adds_its_hash_to_the_runs_own(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, size
) -> None:
    # A card that holds an ASC MHL history recording md5 alone: an earlier offload's copy.
    first = tmp_path / "first"
    (first / "A001" / "CLIPS").mkdir(parents=True)
    (first / "A001" / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(size))
    drive = tmp_path / "drive"
    drive.mkdir()
    code, _, err = offload(tmp_path / "first", "-t", "md5", str(first / "A001"), str(drive))
    assert code == 0, err
    card = drive / "A001"
    assert (card / "ascmhl").is_dir()
    code, _, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "-t", "xxh64", "-t", "sha1", str(card),
        f"s3://{bucket}/day1",
    )  # fmt: skip
    assert code == 0, err
    assert _metadata_digests(s3_server.url, bucket) == _expected(card, ("xxh64", "sha1", "md5"))
