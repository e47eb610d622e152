"""A carried link pattern on an S3 copy root never hides another copy's object from
``ascmhl-debug verify`` of the prefix downloaded.

An object store holds no symlink (a card's link fails there; ``aws s3 sync`` down makes
none), so an exact pattern (``**/<path>``) an S3 root history carries, written for a link
on a disk, can only hide real files there. Before, such patterns were kept as they were
on S3 (the nested histories cannot be read from the staging root): a card's own history
carried to ``s3://b/shoot`` with ``**/CLIPS/take.mov``, then a copy root ``shoot/A001``
whose ``CLIPS/take.mov`` is a real clip, then another card ``--into shoot``: its
generation carried the pattern, and ``ascmhl-debug verify`` of the downloaded ``shoot`` skipped
A001's clip: with that copy damaged it named only DAY1's empty ``CLIPS`` folder, which no
bucket holds (exit 10), never the clip. Now a carried pattern that would hide an object
standing under the copy root's prefix is dropped, and the damaged clip is a hash
mismatch."""

from __future__ import annotations

import os
from pathlib import Path

from offload.manifest.history import read_history
from s3.test_s3_cli import offload
from s3.test_s3_verify import download_prefix


def _card(tmp: Path, name: str, files: dict[str, int]) -> Path:
    card = tmp / "cards" / name
    for relative, size in files.items():
        (card / relative).parent.mkdir(parents=True, exist_ok=True)
        (card / relative).write_bytes(os.urandom(size))
    return card


def test_a_carried_pattern_hiding_a_nested_copys_object_is_dropped(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, judge
) -> None:
    endpoint = ("--s3-endpoint", s3_server.url)
    shoot = f"s3://{bucket}/shoot"
    # DAY1 is a copy root of ours whose dangling link CLIPS/take.mov its history ignores
    # (removed since: its history still carries the pattern), offloaded on to the bucket.
    day1 = _card(tmp_path, "DAY1", {"SOUND/S01.wav": 20_000})
    (day1 / "CLIPS").mkdir()
    os.symlink("GONE.mov", day1 / "CLIPS" / "take.mov")
    (tmp_path / "RAID").mkdir()
    code, _, err = offload(tmp_path, str(day1), str(tmp_path / "RAID"))
    assert code == 0, err
    first = tmp_path / "RAID" / "DAY1"
    (first / "CLIPS" / "take.mov").unlink()
    assert "**/CLIPS/take.mov" in (read_history(first).latest_ignore_patterns() or ())
    code, _, err = offload(tmp_path, *endpoint, "--into", str(first), shoot)
    assert code == 0, err
    clip = _card(tmp_path, "A001", {"CLIPS/take.mov": 30_000})
    code, _, err = offload(tmp_path, *endpoint, str(clip), shoot)
    assert code == 0, err
    third = _card(tmp_path, "DAY3", {"SOUND/S03.wav": 20_000})
    code, _, err = offload(tmp_path, *endpoint, "--into", str(third), shoot)
    assert code == 0, err

    local = download_prefix(s3_server.url, bucket, "shoot", tmp_path / "dl" / "shoot")
    assert "**/CLIPS/take.mov" not in (read_history(local).latest_ignore_patterns() or ())
    judge.assert_checks(local, "A001/CLIPS/take.mov")
    judge.assert_checks(local, "SOUND/S03.wav")
