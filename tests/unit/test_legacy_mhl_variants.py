"""Legacy MHL (v1) files as the tools of that era write them, read by
``offload.manifest.legacy.read_legacy_mhl`` and checked against real files by
``verify_tree(legacy_mhl=...)``. Each sample is written here by hand after the v1.1 schema
(mediahashlist.org) and what mhl-tool prints: ``<xxhash64be>`` the canonical big-endian hex
(``xxhsum -H1``), ``<xxhash64>`` the same 8 bytes little-endian, ``<xxhash>`` XXH32 in
decimal (``%010u``), ``<null/>`` no hash (size only), dates in ISO 8601 or mhl-tool 1.0's
``2012-12-14 16-54-27``, attributes on the hash elements, paths with ``\\`` from Windows
tools, files in UTF-16, UTF-32 or a multi-byte encoding."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import xxhash

from offload.manifest import read_legacy_mhl, verify_tree

ONE, TWO, THREE = b"first clip " * 300, b"second clip " * 200, b"third"


def _card(tmp_path: Path) -> Path:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.MOV").write_bytes(ONE)
    (card / "CLIPS" / "A001C002.MOV").write_bytes(TWO)
    (card / "A001.XML").write_bytes(THREE)
    return card


def _le(data: bytes) -> str:
    return xxhash.xxh64(data).digest()[::-1].hex()


def test_silverstack_style_xxhash64be_with_name_and_iso_dates(tmp_path: Path) -> None:
    card = _card(tmp_path)
    mhl = card / "A001_2024-05-01_100200.mhl"
    mhl.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n'
        "  <creatorinfo>\n    <name>Data Wrangler</name>\n    <username>dit</username>\n"
        "    <hostname>DIT-Cart.local</hostname>\n    <tool>Silverstack 8.3</tool>\n"
        "    <startdate>2024-05-01T10:00:00Z</startdate>\n"
        "    <finishdate>2024-05-01T10:02:00Z</finishdate>\n  </creatorinfo>\n"
        + "".join(
            f"  <hash>\n    <file>{name}</file>\n    <size>{len(data)}</size>\n"
            "    <creationdate>2024-05-01T09:00:00Z</creationdate>\n"
            "    <lastmodificationdate>2024-05-01T09:00:00Z</lastmodificationdate>\n"
            f"    <xxhash64be>{xxhash.xxh64(data).hexdigest()}</xxhash64be>\n"
            "    <hashdate>2024-05-01T10:01:00Z</hashdate>\n  </hash>\n"
            for name, data in (
                ("A001.XML", THREE),
                ("CLIPS/A001C001.MOV", ONE),
                ("CLIPS/A001C002.MOV", TWO),
            )
        )
        + "</hashlist>\n",
        encoding="utf-8",
    )
    listed = read_legacy_mhl(mhl)
    assert listed.tool == "Silverstack 8.3" and listed.finish_date == "2024-05-01T10:02:00Z"
    report = verify_tree(card, legacy_mhl=mhl)
    assert report.passed and len(report.verified) == 3, report


def test_windows_tool_style_little_endian_xxhash64_upper_case_and_backslashes(
    tmp_path: Path,
) -> None:
    """``<xxhash64>`` is the little-endian rendering (mhl-tool prints the bytes of the
    number in memory order): read as such, in upper case too; ``CLIPS\\A001C001.MOV`` is
    the card's ``CLIPS/A001C001.MOV``, and so is ``.\\CLIPS\\A001C002.MOV``."""
    card = _card(tmp_path)
    mhl = card / "A001.mhl"
    mhl.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\r\n<hashlist version="1.1">\r\n'
        "<creatorinfo><username>Operator</username><hostname>DIT-PC</hostname>"
        "<tool>ShotPut Pro for Windows</tool><startdate>2019-03-02T18:10:00Z</startdate>"
        "<finishdate>2019-03-02T18:12:00Z</finishdate></creatorinfo>\r\n"
        f"<hash><file>CLIPS\\A001C001.MOV</file><size>{len(ONE)}</size>"
        f"<xxhash64>{_le(ONE).upper()}</xxhash64><hashdate>2019-03-02T18:11:00Z</hashdate>"
        "</hash>\r\n"
        f"<hash><file>.\\CLIPS\\A001C002.MOV</file><size>{len(TWO)}</size>"
        f"<xxhash64>{_le(TWO)}</xxhash64></hash>\r\n"
        f"<hash><file>A001.XML</file><size>{len(THREE)}</size>"
        f"<md5>{hashlib.md5(THREE).hexdigest().upper()}</md5></hash>\r\n"
        "</hashlist>\r\n",
        encoding="utf-8",
    )
    entries = read_legacy_mhl(mhl).entries
    assert [e.path for e in entries] == ["CLIPS/A001C001.MOV", "CLIPS/A001C002.MOV", "A001.XML"]
    assert entries[0].digests == {"xxh64": xxhash.xxh64(ONE).hexdigest()}
    report = verify_tree(card, legacy_mhl=mhl)
    assert sorted(report.verified) == ["A001.XML", "CLIPS/A001C001.MOV", "CLIPS/A001C002.MOV"]
    assert report.passed, report


def test_mhl_tool_1_0_style_dates_attributes_xxhash_decimal_and_null(tmp_path: Path) -> None:
    """mhl-tool 1.0 writes ``2012-12-14 16-54-27`` dates and ``bit``/``encoding``
    attributes on its hash elements; ``<xxhash>`` (XXH32) in decimal is recomputed;
    ``<null/>`` and a ``<hash>`` with a size and no hash element are checked by size only."""
    card = _card(tmp_path)
    mhl = card / "CLIPS" / "CLIPS_2012-12-14_165427.mhl"
    mhl.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.0">\n\n'
        "  <creatorinfo>\n    <name>Anna,,,</name>\n    <username>anna</username>\n"
        "    <hostname>ubuntu-12</hostname>\n    <tool>mhlcreate v0.0</tool>\n"
        "    <startdate>2012-12-14 16-54-27</startdate>\n"
        "    <finishdate>2012-12-14 16-54-27</finishdate>\n  </creatorinfo>\n\n"
        f"  <hash>\n    <file>A001C001.MOV</file>\n    <size>{len(ONE)}</size>\n"
        "    <lastmodificationdate>2012-12-14 14-48-50</lastmodificationdate>\n"
        f'    <md5 bit="128" encoding="hex">{hashlib.md5(ONE).hexdigest()}</md5>\n'
        f"    <xxhash>{xxhash.xxh32(ONE).intdigest():010d}</xxhash>\n"
        "    <hashdate>2012-12-14 16-54-27</hashdate>\n  </hash>\n\n"
        f"  <hash>\n    <file>A001C002.MOV</file>\n    <size>{len(TWO)}</size>\n"
        "    <null/>\n  </hash>\n"
        "</hashlist>\n",
        encoding="utf-8",
    )
    (first, second) = read_legacy_mhl(mhl).entries
    assert first.digests == {
        "md5": hashlib.md5(ONE).hexdigest(),
        "xxh32": xxhash.xxh32(ONE).hexdigest(),
    }
    assert first.last_modification_date == "2012-12-14 14-48-50"
    assert second.digests == {} and second.other_digests == {"null": ""}
    report = verify_tree(card / "CLIPS", legacy_mhl=mhl)
    assert report.verified == ("A001C001.MOV",)
    assert report.unverifiable == ("A001C002.MOV",)  # exit 22: size only, never a pass


@pytest.mark.parametrize(
    ("element", "text"),
    [
        ("md5", "n/a"),  # a placeholder where the tool had no digest
        ("md5", ""),  # an empty element
        ("sha1", hashlib.sha1(ONE).hexdigest()[:39]),  # cut short
        ("xxhash64be", str(xxhash.xxh64(ONE).intdigest())),  # a decimal number
        ("xxhash64", str(xxhash.xxh64(ONE).intdigest())),
    ],
)
def test_a_value_that_is_no_digest_of_its_element_is_size_only_not_changed(
    tmp_path: Path, element: str, text: str
) -> None:
    """Before, an ``<md5>n/a</md5>`` (or an empty one, a digest cut short, a decimal
    ``<xxhash64be>``) was compared as if it were a digest: the file, intact, was called
    changed (exit 11). No digest of its element is recorded there: the file is checked by
    its size only (``unverifiable``, exit 22), as docs/json.md says of such a value."""
    card = _card(tmp_path)
    mhl = card / "A001.mhl"
    mhl.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">'
        f"<hash><file>CLIPS/A001C001.MOV</file><size>{len(ONE)}</size>"
        f"<{element}>{text}</{element}></hash></hashlist>\n",
        encoding="utf-8",
    )
    (entry,) = read_legacy_mhl(mhl).entries
    assert entry.digests == {} and entry.other_digests == {element: text}
    report = verify_tree(card, legacy_mhl=mhl)
    assert report.changed == () and report.unverifiable == ("CLIPS/A001C001.MOV",), report


@pytest.mark.parametrize("encoding", ["UTF-16", "UTF-32", "Shift_JIS", "EUC-KR", "ISO-8859-15"])
def test_files_in_the_encodings_mhl_tool_wrote_are_read(tmp_path: Path, encoding: str) -> None:
    """The XML parser reads UTF-8, UTF-16 and single-byte encodings itself, but not UTF-32
    nor a multi-byte one (Shift_JIS, EUC-KR: "multi-byte encodings are not supported"), in
    which mhl-tool wrote with such a locale: before, such a file "cannot be read" (its
    files checked against nothing); now it is decoded first, and its names come out as
    the card's."""
    name = {"Shift_JIS": "日本語.MOV", "EUC-KR": "한국어.MOV", "ISO-8859-15": "Straße€.MOV"}.get(
        encoding, "Café_日本.MOV"
    )
    card = tmp_path / "card"
    card.mkdir()
    (card / name).write_bytes(ONE)
    mhl = card / "card.mhl"
    mhl.write_bytes(
        (
            f'<?xml version="1.0" encoding="{encoding}"?>\n<hashlist version="1.0">\n'
            "<creatorinfo><username>u</username><hostname>h</hostname><tool>mhlcreate</tool>"
            "</creatorinfo>\n"
            f"<hash><file>{name}</file><size>{len(ONE)}</size>"
            f"<md5>{hashlib.md5(ONE).hexdigest()}</md5></hash>\n</hashlist>\n"
        ).encode(encoding)
    )
    (entry,) = read_legacy_mhl(mhl).entries
    assert entry.path == name
    report = verify_tree(card, legacy_mhl=mhl)
    assert report.verified == (name,) and report.passed, report


def test_creatorinfo_variations_are_read_or_passed_over(tmp_path: Path) -> None:
    """``<creatorinfo>`` missing, after the hashes, or with elements of a tool's own
    (``<log>``, ``<comment>``), and no ``version`` attribute: the entries are read alike,
    the fields it has are kept, a missing one is None (a file two MHLs list is decided by
    ``<finishdate>``: none sorts first)."""
    card = _card(tmp_path)
    entry = (
        f"<hash><file>A001.XML</file><size>{len(THREE)}</size>"
        f"<sha1>{hashlib.sha1(THREE).hexdigest()}</sha1><unknownelement>x</unknownelement>"
        "</hash>"
    )
    variants = {
        "none.mhl": f"<hashlist version='1.1'>{entry}</hashlist>",
        "after.mhl": (
            f"<hashlist>{entry}<creatorinfo><tool>YoYotta 2.1</tool><finishdate>"
            "2021-07-01T08:00:00Z</finishdate><log>copied 1 file</log><comment>day 3"
            "</comment></creatorinfo></hashlist>"
        ),
    }
    for name, text in variants.items():
        (card / name).write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n', "utf-8")
    none, after = read_legacy_mhl(card / "none.mhl"), read_legacy_mhl(card / "after.mhl")
    assert none.tool is None and none.finish_date is None and none.version == "1.1"
    assert after.tool == "YoYotta 2.1" and after.finish_date == "2021-07-01T08:00:00Z"
    assert after.version is None
    for listed in (none, after):
        (found,) = listed.entries
        assert found.digests == {"sha1": hashlib.sha1(THREE).hexdigest()}
        assert verify_tree(card, legacy_mhl=listed.path).verified == ("A001.XML",)


@pytest.mark.parametrize(
    ("tool", "files", "paths"),
    [
        # ours: each name as the card spells it, a "/" path beside it or not
        ("offload-ai 1.4.0", ["CLIPS/c7\\x.mov"], ["CLIPS/c7\\x.mov"]),
        ("offload-ai", ["c7\\x.mov"], ["c7\\x.mov"]),
        # a Mac tool's "\\" is part of a name: its paths hold "/" (review of fixhost62: read
        # as CLIPS/c7/x.mov, a false MISSING; failed before)
        ("Silverstack 8.4", ["A001.XML", "CLIPS/c7\\x.mov"], ["A001.XML", "CLIPS/c7\\x.mov"]),
        ("YoYotta", ["CLIPS/A.MOV", "c7\\x.mov"], ["CLIPS/A.MOV", "c7\\x.mov"]),
        # a Windows tool writes "\\" throughout: its separator
        (
            "ShotPut Pro for Windows",
            ["A001.XML", "CLIPS\\c7\\x.mov"],
            ["A001.XML", "CLIPS/c7/x.mov"],
        ),
        ("offload-ai-fork 2.0", [".\\CLIPS\\c7\\x.mov"], ["CLIPS/c7/x.mov"]),  # not ours
    ],
)
def test_a_backslash_is_a_separator_only_in_an_mhl_of_windows_paths(
    tmp_path: Path, tool: str, files: list[str], paths: list[str]
) -> None:
    """QA hostile62: our writer puts ``CLIPS/c7\\x.mov`` as the card spells it; the reader
    made it ``CLIPS/c7/x.mov`` (a false MISSING). Failed before for offload-ai's tool. A
    ``\\`` is a separator only in an MHL not of ours whose paths hold no ``/``."""
    mhl = tmp_path / "A001.mhl"
    digest = hashlib.md5(THREE).hexdigest()
    mhl.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n'
        f"<creatorinfo><username>u</username><hostname>h</hostname><tool>{tool}</tool>"
        "<startdate>2026-12-06T08:00:00Z</startdate><finishdate>2026-12-06T08:00:00Z"
        "</finishdate></creatorinfo>\n"
        + "".join(
            f"<hash><file>{name}</file><size>5</size><md5>{digest}</md5></hash>\n" for name in files
        )
        + "</hashlist>\n",
        encoding="utf-8",
    )
    assert [e.path for e in read_legacy_mhl(mhl).entries] == paths
