"""Legacy MHL v1.1: golden output, element names and order, reader tolerance."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
import xxhash

from offload.manifest import CreatorInfo, ManifestFile, read_legacy_mhl, write_legacy_mhl
from tests.unit.test_manifest_writer import (
    FIXED_MTIME_NS,
    SMALL_TREE,
    check_golden,
    digests_of,
)

CREATOR = CreatorInfo(
    tool_version="0.1.0", hostname="dit-cart.local", author_name="Dana", user_name="dana"
)
START = datetime(2024, 5, 1, 9, 58, 0, tzinfo=UTC)
FINISH = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


def files(formats: tuple[str, ...]) -> list[ManifestFile]:
    return [
        ManifestFile(rel, len(data), FIXED_MTIME_NS, digests_of(data, formats), FINISH)
        for rel, data in SMALL_TREE.items()
    ]


def test_golden_legacy_mhl(tmp_path: Path) -> None:
    root = tmp_path / "A001_CARD"
    root.mkdir()
    path = write_legacy_mhl(
        root,
        files(("xxh64", "md5", "xxh128")),
        creator=CREATOR,
        now=lambda: FINISH,
        start_date=START,
    )
    assert path.name == "A001_CARD_2024-05-01_100000.mhl"
    check_golden(path, "legacy_small/A001_CARD_2024-05-01_100000.mhl")
    text = path.read_text()
    assert "<xxhash64be>" in text and "<xxhash64>" not in text and "xxh128" not in text
    first = ET.parse(path).getroot().find("hash")
    assert first is not None
    assert [child.tag for child in first] == [
        "file",
        "size",
        "lastmodificationdate",
        "md5",
        "xxhash64be",
        "hashdate",
    ]


def test_round_trip_and_name_collision(tmp_path: Path) -> None:
    first = write_legacy_mhl(tmp_path, files(("sha1",)), creator=CREATOR, now=lambda: FINISH)
    second = write_legacy_mhl(tmp_path, files(("sha1",)), creator=CREATOR, now=lambda: FINISH)
    assert second.name == first.name.replace(".mhl", "_2.mhl")
    hash_list = read_legacy_mhl(first)
    assert hash_list.version == "1.1" and hash_list.user_name == "dana"
    assert hash_list.tool == "offload-ai 0.1.0"
    by_path = {entry.path: entry for entry in hash_list.entries}
    assert set(by_path) == set(SMALL_TREE)
    for rel, data in SMALL_TREE.items():
        assert by_path[rel].digests == {"sha1": digests_of(data, ("sha1",))["sha1"]}
        assert by_path[rel].size_bytes == len(data)


def test_the_names_recognised_as_legacy_mhls_are_the_names_the_writer_gives(
    tmp_path: Path,
) -> None:
    # One rule in legacy_names: legacy_name_at makes a name, legacy_name_pattern recognises it.
    from offload.manifest.legacy import is_legacy_mhl_name, newest_legacy_mhl
    from offload.manifest.legacy_names import (
        LEGACY_TIME_FORMAT,
        legacy_name_at,
        legacy_name_pattern,
    )

    finished = FINISH.strftime(LEGACY_TIME_FORMAT)
    pattern = legacy_name_pattern(["DAY 1", "DAY.2"])
    for number in (1, 2, 9, 10, 123):
        match = pattern.fullmatch(legacy_name_at("DAY 1", finished, number))
        assert match is not None and match.group(1) == finished
        assert match.group(2) == (None if number == 1 else str(number))
    assert pattern.fullmatch(legacy_name_at("DAY.2", finished)) is not None
    for other in ("DAYx2", "DAY 1_", "DAY"):  # "." matched as itself; another root's name
        assert pattern.fullmatch(legacy_name_at(other, finished)) is None
    assert pattern.fullmatch(f"DAY 1_{finished}_.mhl") is None
    assert pattern.fullmatch(f"DAY 1_{finished}.mhl.partial") is None
    root = tmp_path / "DAY 1"
    root.mkdir()
    written = [
        write_legacy_mhl(root, files(("sha1",)), creator=CREATOR, now=lambda: FINISH)
        for _ in range(3)
    ]
    assert [p.name for p in written] == [legacy_name_at(root.name, finished, n) for n in (1, 2, 3)]
    assert all(is_legacy_mhl_name(root.name, p.name) for p in written)
    assert newest_legacy_mhl(root) == written[-1]


def test_a_file_without_a_v1_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="legacy"):
        write_legacy_mhl(tmp_path, files(("xxh128",)), creator=CREATOR, now=lambda: FINISH)
    assert list(tmp_path.iterdir()) == []


def test_reader_accepts_older_dialects(tmp_path: Path) -> None:
    be = xxhash.xxh64(b"abc").hexdigest()
    le = bytes.fromhex(be)[::-1].hex().upper()
    path = tmp_path / "old.mhl"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<hashlist version="1.0" xmlns="http://www.mediahashlist.org/v1.1">'
        "<creatorinfo><username>u</username><hostname>h</hostname><tool>t</tool>"
        "<startdate>2018-01-07T21:31:17Z</startdate><finishdate>2018-01-07T21:31:52Z</finishdate>"
        "</creatorinfo>"
        f"<hash><file>Clips\\A.mov</file><size>3</size><xxhash64>{le}</xxhash64>"
        "<hashdate>2018-01-07T21:31:52Z</hashdate></hash>"
        "<hash><file>B.mov</file><size>3</size><xxhash>0001234567</xxhash></hash>"
        "<hash><file>C.mov</file><size>3</size><xxhash>4294967296</xxhash></hash>"
        "<hash><file>D.mov</file><size>3</size><null></null></hash>"
        # A digit to str.isdigit() that int() refuses: no size (ValueError before).
        "<hash><file>E.mov</file><size>\u00b2</size><null></null></hash>"
        "</hashlist>"
    )
    hash_list = read_legacy_mhl(path)
    assert hash_list.version == "1.0" and hash_list.hostname == "h"
    a, b, c, d, e = hash_list.entries
    assert e.path == "E.mov" and e.size_bytes is None
    assert a.path == "Clips/A.mov" and a.digests == {"xxh64": be}
    # <xxhash> is XXH32 in decimal (mhl-tool: %010u): canonical hex, recomputed on verify.
    assert b.digests == {"xxh32": "0012d687"} and b.other_digests == {}
    # Not a 32-bit number, or no hash at all: nothing to recompute (checked by size only).
    assert c.digests == {} and c.other_digests == {"xxhash": "4294967296"}
    assert d.digests == {} and d.other_digests == {"null": ""}
