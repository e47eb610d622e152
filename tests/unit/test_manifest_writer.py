"""ASC MHL writer: golden files, actions across generations, input rules, atomicity."""

from __future__ import annotations

import os
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from offload.hashing import new_hasher
from offload.manifest import (
    CreatorInfo,
    HistoryError,
    ManifestError,
    ManifestFile,
    UnsupportedTreeError,
    read_history,
    write_generation,
)
from offload.manifest import ascmhl as ascmhl_module
from offload.manifest.errors import UntrustedHistoryError
from offload.manifest.history import c4_of_file, parse_chain

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE_GOLDEN = os.environ.get("OFFLOAD_UPDATE_GOLDEN") == "1"
NS = "{urn:ASC:MHL:v2.0}"
FIXED_MTIME_NS = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z
CREATOR = CreatorInfo(
    tool_version="0.1.0",
    hostname="dit-cart.local",
    author_name="Dana <DIT> & Co",
    author_email="dana@example.org",
    author_role="DIT",
    location="Stage 5",
    comment="day 1, card A001",
)

NFC_NAME = unicodedata.normalize("NFC", "Café.txt")
NFD_NAME = unicodedata.normalize("NFD", "Café.txt")
SMALL_TREE: dict[str, bytes] = {
    "Clips/A001C001_230101.mov": b"first clip bytes",
    "Clips/A001C002 & <odd>.mov": b"second clip",
    f"Clips/{NFC_NAME}": b"composed",
    f"Clips/{NFD_NAME}": b"decomposed",
    "Sidecar.xml": b"<xml/>",
    "Sub Folder/deeper/empty.bin": b"",
}
SMALL_DIRS = ("Empty Folder", "Sub Folder/Also Empty")
FORMATS = ("xxh64", "md5", "c4", "xxh128")


def fixed_clock(*moments: datetime) -> Callable[[], datetime]:
    pending = list(moments)

    def now() -> datetime:
        return pending.pop(0) if len(pending) > 1 else pending[0]

    return now


def digests_of(data: bytes, formats: tuple[str, ...] = FORMATS) -> dict[str, str]:
    result = {}
    for name in formats:
        hasher = new_hasher(name)
        hasher.update(data)
        result[name] = hasher.hexdigest()
    return result


def make_tree(root: Path, files: Mapping[str, bytes], directories: tuple[str, ...] = ()) -> None:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, ns=(FIXED_MTIME_NS, FIXED_MTIME_NS))
    for relative in directories:
        (root / relative).mkdir(parents=True, exist_ok=True)
    for current, folders, _ in os.walk(root):
        for name in folders:
            os.utime(os.path.join(current, name), ns=(FIXED_MTIME_NS, FIXED_MTIME_NS))


def manifest_files(
    files: Mapping[str, bytes],
    hash_date: datetime,
    formats: tuple[str, ...] = FORMATS,
) -> list[ManifestFile]:
    return [
        ManifestFile(rel, len(data), FIXED_MTIME_NS, digests_of(data, formats), hash_date)
        for rel, data in files.items()
    ]


def actions(manifest: Path) -> dict[str, dict[str, str]]:
    """path → {format → action} of the file entries of a manifest."""
    result: dict[str, dict[str, str]] = {}
    for element in ET.parse(manifest).getroot().iter(f"{NS}hash"):
        path = element.findtext(f"{NS}path", "")
        result[path] = {
            child.tag.removeprefix(NS): child.get("action", "")
            for child in element
            if child.tag != f"{NS}path"
        }
    return result


def check_golden(actual: Path, golden_name: str) -> None:
    golden = GOLDEN / golden_name
    if UPDATE_GOLDEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(actual.read_bytes())
    assert actual.read_bytes() == golden.read_bytes(), f"{actual} differs from {golden}"


T1 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
T2 = datetime(2024, 5, 2, 11, 30, 15, tzinfo=UTC)


def test_golden_first_and_second_generation(tmp_path: Path) -> None:
    root = tmp_path / "A001_CARD"
    make_tree(root, SMALL_TREE, SMALL_DIRS)

    first = write_generation(
        root,
        manifest_files(SMALL_TREE, T1),
        directories=["Clips", "Sub Folder", "Sub Folder/deeper", *SMALL_DIRS],
        creator=CREATOR,
        now=fixed_clock(T1),
    )
    assert first.name == "0001_A001_CARD_2024-05-01_100000Z.mhl"
    check_golden(first, "ascmhl_small/0001_A001_CARD_2024-05-01_100000Z.mhl")
    check_golden(root / "ascmhl" / "ascmhl_chain.xml", "ascmhl_small/chain_after_0001.xml")

    second = write_generation(
        root,
        manifest_files(SMALL_TREE, T2),
        directories=["Clips", "Sub Folder", "Sub Folder/deeper", *SMALL_DIRS],
        creator=CREATOR,
        process="in-place",
        now=fixed_clock(T2),
    )
    assert second.name == "0002_A001_CARD_2024-05-02_113015Z.mhl"
    check_golden(second, "ascmhl_small/0002_A001_CARD_2024-05-02_113015Z.mhl")
    check_golden(root / "ascmhl" / "ascmhl_chain.xml", "ascmhl_small/chain_after_0002.xml")
    assert all(a == "verified" for per in actions(second).values() for a in per.values())


def test_nfc_and_nfd_names_are_distinct_entries_written_as_given(tmp_path: Path) -> None:
    root = tmp_path / "card"
    make_tree(root, SMALL_TREE)
    manifest = write_generation(
        root, manifest_files(SMALL_TREE, T1), creator=CREATOR, now=fixed_clock(T1)
    )
    paths = set(actions(manifest))
    assert f"Clips/{NFC_NAME}" in paths and f"Clips/{NFD_NAME}" in paths
    raw = manifest.read_bytes()
    assert NFC_NAME.encode() in raw and NFD_NAME.encode() in raw
    assert b"Clips/A001C002 &amp; &lt;odd&gt;.mov" in raw


def test_chain_lists_c4_of_exact_manifest_bytes(tmp_path: Path) -> None:
    root = tmp_path / "card"
    make_tree(root, SMALL_TREE)
    m1 = write_generation(root, manifest_files(SMALL_TREE, T1), creator=CREATOR, now=lambda: T1)
    m2 = write_generation(root, manifest_files(SMALL_TREE, T2), creator=CREATOR, now=lambda: T2)
    chain = parse_chain(root / "ascmhl" / "ascmhl_chain.xml")
    assert [(e.sequence_number, e.path) for e in chain] == [(1, m1.name), (2, m2.name)]
    assert [e.c4 for e in chain] == [c4_of_file(m1), c4_of_file(m2)]


def test_changed_file_gets_failed_and_new_formats_are_left_out(tmp_path: Path) -> None:
    root = tmp_path / "card"
    files = {"a.bin": b"alpha", "b.bin": b"beta"}
    make_tree(root, files)
    write_generation(root, manifest_files(files, T1, ("xxh64",)), creator=CREATOR, now=lambda: T1)
    changed = {"a.bin": b"ALPHA", "b.bin": b"beta"}
    second = write_generation(
        root, manifest_files(changed, T2, ("xxh64", "md5")), creator=CREATOR, now=lambda: T2
    )
    # a.bin: xxh64 differs → failed, and the md5 of bytes known to be wrong is not recorded;
    # b.bin: xxh64 verified, so the new md5 computed in the same pass is verified too.
    assert actions(second) == {
        "a.bin": {"xxh64": "failed"},
        "b.bin": {"md5": "verified", "xxh64": "verified"},
    }


def test_new_format_without_common_format_is_original(tmp_path: Path) -> None:
    root = tmp_path / "card"
    root.mkdir()
    files = {"a.bin": b"alpha"}
    write_generation(root, manifest_files(files, T1, ("md5",)), creator=CREATOR, now=lambda: T1)
    second = write_generation(
        root, manifest_files(files, T2, ("xxh64",)), creator=CREATOR, now=lambda: T2
    )
    assert actions(second) == {"a.bin": {"xxh64": "original"}}
    history = read_history(root)
    assert history.reference_hashes()["a.bin"] == {
        "md5": digests_of(b"alpha")["md5"],
        "xxh64": digests_of(b"alpha")["xxh64"],
    }


def test_first_unheld_names_what_a_new_generation_would_add_and_converges(tmp_path: Path) -> None:
    """What the manifest step of a run that verified nothing new asks (an earlier run may
    have stopped between its ledger and its generation): each file the history does not
    hold as a generation written now would record it; once written, nothing."""
    root = tmp_path / "card"
    files = {"a.bin": b"alpha", "b.bin": b"beta", ".DS_Store": b"x"}
    make_tree(root, files)
    first = manifest_files(files, T1, ("xxh64",))
    unheld = ascmhl_module.first_unheld
    assert unheld(first, read_history(root)) == "a.bin"  # no history at all
    write_generation(root, first[:1], creator=CREATOR, now=lambda: T1)
    assert unheld(first, read_history(root)) == "b.bin"  # a generation without it
    write_generation(root, first, creator=CREATOR, now=lambda: T2)
    assert unheld(first, read_history(root)) is None  # .DS_Store: ignored by every one
    # no format in common with the history: the new one would be "original"
    assert unheld(manifest_files(files, T2, ("md5",)), read_history(root)) == "a.bin"
    # a copy of other content: recorded "failed" once, then held
    changed = manifest_files({"a.bin": b"ALPHA", "b.bin": b"beta"}, T2, ("xxh64",))
    assert unheld(changed, read_history(root)) == "a.bin"
    write_generation(root, changed, creator=CREATOR, now=lambda: T2 + timedelta(seconds=1))
    assert unheld(changed, read_history(root)) is None


def test_failed_files_written_only_against_a_recorded_hash(tmp_path: Path) -> None:
    root = tmp_path / "card"
    files = {"known.bin": b"known", "other.bin": b"other"}
    make_tree(root, files)
    write_generation(root, manifest_files(files, T1), creator=CREATOR, now=lambda: T1)
    bad = [
        # known to the history and different: written as failed
        ManifestFile("known.bin", 5, FIXED_MTIME_NS, digests_of(b"KNOWN"), T2),
        # unknown to the history: left out (bad bytes must not become the original)
        ManifestFile("new.bin", 3, FIXED_MTIME_NS, digests_of(b"new"), T2),
        # matching the history: nothing failed to record, left out
        ManifestFile("other.bin", 5, FIXED_MTIME_NS, digests_of(b"other"), T2),
    ]
    second = write_generation(root, [], failed=bad, creator=CREATOR, now=lambda: T2)
    assert actions(second) == {"known.bin": dict.fromkeys(sorted(FORMATS), "failed")}


def test_ignored_files_and_folders_are_left_out_and_patterns_recorded(tmp_path: Path) -> None:
    root = tmp_path / "card"
    files = {
        "keep.mov": b"k",
        ".DS_Store": b"finder",
        "Clips/.DS_Store": b"finder",
        "scratch.tmp": b"t",
        "cache/x.bin": b"x",
    }
    make_tree(root, files)
    manifest = write_generation(
        root,
        manifest_files(files, T1),
        directories=["Clips", "cache"],
        ignore_patterns=["*.tmp", "cache/"],
        creator=CREATOR,
        now=lambda: T1,
    )
    assert set(actions(manifest)) == {"keep.mov"}
    history = read_history(root)
    assert history.latest_ignore_patterns() == (".DS_Store", "ascmhl", "ascmhl/", "*.tmp", "cache/")
    assert {d.path for d in history.generations[0].directories} == {"Clips"}
    # the next generation keeps the recorded patterns without being told again
    second = write_generation(root, manifest_files(files, T2), creator=CREATOR, now=lambda: T2)
    assert set(actions(second)) == {"keep.mov"}
    assert read_history(root).latest_ignore_patterns() == history.latest_ignore_patterns()


def test_a_carried_exact_pattern_that_would_hide_a_recorded_path_is_not_carried(
    tmp_path: Path,
) -> None:
    """A pattern naming one path exactly (written for a link) is carried until a file or a
    folder this generation records stands at that path: then it is left out of the new list
    (the reference tool reads the newest list alone), and the file is recorded. Before, the
    carried pattern hid the file from every later generation."""
    root = tmp_path / "card"
    first = {"Clips/keep.mov": b"k"}
    make_tree(root, first)
    link_patterns = ["**/Clips/take.mov", "**/Clips/folder", "**/Clips/gone.mov", "**/card/up"]
    write_generation(
        root,
        manifest_files(first, T1),
        ignore_patterns=["*.tmp", "**/Clips/*.bak", *link_patterns],
        creator=CREATOR,
        now=lambda: T1,
    )
    later = {
        **first,
        "Clips/take.mov": b"now a real take",
        "Clips/folder/inside.xml": b"<xml/>",
        "up": b"**/card/up matches it below the root's absolute path",
        "Clips/x.bak": b"still ignored",
    }
    make_tree(root, later)
    second = write_generation(root, manifest_files(later, T2), creator=CREATOR, now=lambda: T2)
    assert set(actions(second)) == {
        "Clips/keep.mov",
        "Clips/take.mov",
        "Clips/folder/inside.xml",
        "up",
    }
    # what names no recorded path (a link still dangling) and any other pattern stay
    assert read_history(root).latest_ignore_patterns() == (
        ".DS_Store",
        "ascmhl",
        "ascmhl/",
        "*.tmp",
        "**/Clips/*.bak",
        "**/Clips/gone.mov",
    )
    # a pattern the caller asks for again is kept, and what it names is left out
    third = write_generation(
        root,
        manifest_files(later, T2 + timedelta(hours=1)),
        ignore_patterns=["**/Clips/take.mov"],
        creator=CREATOR,
        now=lambda: T2 + timedelta(hours=1),
    )
    assert "Clips/take.mov" not in actions(third)
    assert "**/Clips/take.mov" in (read_history(root).latest_ignore_patterns() or ())


def test_empty_tree_writes_a_valid_manifest_without_hashes(tmp_path: Path) -> None:
    root = tmp_path / "card"
    root.mkdir()
    manifest = write_generation(root, [], creator=CREATOR, now=lambda: T1, hash_formats=["xxh64"])
    document = ET.parse(manifest).getroot()
    assert document.find(f"{NS}hashes") is None  # the XSD needs at least one entry inside
    root_hash = document.find(f"{NS}processinfo/{NS}roothash/{NS}content/{NS}xxh64")
    assert root_hash is not None and root_hash.text == "ef46db3751d8e999"  # XXH64(b"")


def test_sequence_numbers_continue_after_a_gap(tmp_path: Path) -> None:
    root = tmp_path / "card"
    root.mkdir()
    files = {"a.bin": b"a"}
    write_generation(root, manifest_files(files, T1), creator=CREATOR, now=lambda: T1)
    history_folder = root / "ascmhl"
    # a later manifest that the chain does not list still counts (as for the reference tool)
    (history_folder / "0007_card_2024-05-01_100001Z.mhl").write_bytes(
        next(history_folder.glob("0001_*.mhl")).read_bytes()
    )
    # By default no generation is chained on top of a manifest the chain does not list
    # (History.refuse_unchained); a caller that takes it on (offload copy) is told of it.
    with pytest.raises(UntrustedHistoryError, match=r"0007_card_2024-05-01_100001Z\.mhl"):
        write_generation(root, manifest_files(files, T2), creator=CREATOR, now=lambda: T2)
    assert not list(history_folder.glob("0008_*"))
    notes: list[str] = []
    manifest = write_generation(
        root,
        manifest_files(files, T2),
        creator=CREATOR,
        now=lambda: T2,
        on_unvouched=notes.extend,
    )
    assert manifest.name.startswith("0008_card_")
    assert any("0007_card_2024-05-01_100001Z.mhl is not listed" in n for n in notes), notes


def test_clock_in_another_zone_is_written_in_utc(tmp_path: Path) -> None:
    root = tmp_path / "card"
    root.mkdir()
    moment = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    manifest = write_generation(
        root, manifest_files({"a": b"a"}, moment), creator=CREATOR, now=lambda: moment
    )
    assert manifest.name == "0001_card_2024-05-01_100000Z.mhl"
    assert "<creationdate>2024-05-01T10:00:00+00:00</creationdate>" in manifest.read_text()


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ([ManifestFile("/abs", 1, 0, {"xxh64": "0" * 16}, T1)], ValueError),
        ([ManifestFile("a/../b", 1, 0, {"xxh64": "0" * 16}, T1)], ValueError),
        ([ManifestFile("a//b", 1, 0, {"xxh64": "0" * 16}, T1)], ValueError),
        ([ManifestFile("a", 1, 0, {"xxh64": "xyz"}, T1)], ValueError),
        ([ManifestFile("a", 1, 0, {"sha256": "0" * 64}, T1)], ValueError),
        ([ManifestFile("a", 1, 0, {"xxh64": "0" * 16}, datetime(2024, 1, 1))], ValueError),
        ([ManifestFile("a\x01b", 1, 0, {"xxh64": "0" * 16}, T1)], UnsupportedTreeError),
        ([ManifestFile("bad\udcff", 1, 0, {"xxh64": "0" * 16}, T1)], UnsupportedTreeError),
        (
            [
                ManifestFile("a", 1, 0, {"xxh64": "0" * 16}, T1),
                ManifestFile("a", 1, 0, {"xxh64": "0" * 16}, T1),
            ],
            ValueError,
        ),
        (
            [
                ManifestFile("a", 1, 0, {"xxh64": "0" * 16}, T1),
                ManifestFile("b", 1, 0, {"md5": "0" * 32}, T1),
            ],
            ValueError,
        ),
    ],
)
def test_bad_input_raises_before_anything_is_written(
    tmp_path: Path, files: list[ManifestFile], error: type[Exception]
) -> None:
    root = tmp_path / "card"
    root.mkdir()
    with pytest.raises(error):
        write_generation(root, files, creator=CREATOR, now=lambda: T1)
    assert not (root / "ascmhl").exists()


def test_upper_case_hex_and_aliases_are_normalised(tmp_path: Path) -> None:
    root = tmp_path / "card"
    root.mkdir()
    upper = digests_of(b"x", ("xxh64",))["xxh64"].upper()
    manifest = write_generation(
        root, [ManifestFile("x", 1, 0, {"xxh64be": upper}, T1)], creator=CREATOR, now=lambda: T1
    )
    assert f">{upper.lower()}</xxh64>" in manifest.read_text()


def test_bad_creator_and_process_are_refused(tmp_path: Path) -> None:
    files = manifest_files({"a": b"a"}, T1)
    with pytest.raises(ValueError, match="e-mail"):
        write_generation(
            tmp_path,
            files,
            creator=CreatorInfo(tool_version="1", hostname="h", author_email="nobody"),
            now=lambda: T1,
        )
    with pytest.raises(ValueError, match="process"):
        write_generation(tmp_path, files, creator=CREATOR, process="copy", now=lambda: T1)


def test_nested_history_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "day1"
    make_tree(root, {"A001/clip.mov": b"c"})
    (root / "A001" / "ascmhl").mkdir()
    with pytest.raises(UnsupportedTreeError, match="nested"):
        write_generation(
            root,
            manifest_files({"A001/clip.mov": b"c"}, T1),
            directories=["A001"],
            creator=CREATOR,
            now=lambda: T1,
        )


def test_a_file_named_ascmhl_is_no_nested_history(tmp_path: Path) -> None:
    """A *file* named ascmhl below the root was taken for a nested history and the whole
    generation refused; listed again after ascmhl's default pattern, it is recorded. A
    folder so named below it is still one (refused)."""
    root = tmp_path / "day1"
    files = {"A001/ascmhl": b"a", "A001/clip.mov": b"c"}
    make_tree(root, files)
    manifest = write_generation(
        root,
        manifest_files(files, T1),
        directories=["A001"],
        creator=CREATOR,
        now=lambda: T1,
        ignore_patterns=["!**/A001/ascmhl", "**/A001/ascmhl/"],
    )
    assert set(actions(manifest)) == set(files)
    deeper = {"A001/ascmhl/x": b"x"}
    make_tree(root / "B", deeper)
    with pytest.raises(UnsupportedTreeError, match="nested"):
        write_generation(root / "B", manifest_files(deeper, T1), creator=CREATOR, now=lambda: T1)


def test_modified_history_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "card"
    root.mkdir()
    manifest = write_generation(
        root, manifest_files({"a": b"a"}, T1), creator=CREATOR, now=lambda: T1
    )
    manifest.write_bytes(manifest.read_bytes().replace(b"dit-cart", b"dit-kart"))
    with pytest.raises(HistoryError, match="modified"):
        write_generation(root, manifest_files({"a": b"a"}, T2), creator=CREATOR, now=lambda: T2)


def test_failed_chain_write_removes_the_new_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "card"
    root.mkdir()
    files = manifest_files({"a": b"a"}, T1)
    write_generation(root, files, creator=CREATOR, now=lambda: T1)
    chain_before = (root / "ascmhl" / "ascmhl_chain.xml").read_bytes()

    def broken_write(*args: object, **kwargs: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ascmhl_module, "write_file_atomically", broken_write)
    with pytest.raises(ManifestError, match="No space left"):
        write_generation(root, files, creator=CREATOR, now=lambda: T2)
    assert sorted(p.name for p in (root / "ascmhl").iterdir()) == [
        "0001_card_2024-05-01_100000Z.mhl",
        "ascmhl_chain.xml",
    ]
    assert (root / "ascmhl" / "ascmhl_chain.xml").read_bytes() == chain_before


def test_existing_manifest_name_is_never_replaced(tmp_path: Path) -> None:
    root = tmp_path / "card"
    (root / "ascmhl").mkdir(parents=True)
    taken = root / "ascmhl" / "0001_card_2024-05-01_100000Z.mhl"
    taken.write_bytes(b"not ours")
    (root / "ascmhl" / "ascmhl_chain.xml").write_text(
        '<ascmhldirectory xmlns="urn:ASC:MHL:DIRECTORY:v2.0"/>'
    )
    with pytest.raises(HistoryError):  # "not ours" is not XML: the history is unusable
        write_generation(root, manifest_files({"a": b"a"}, T1), creator=CREATOR, now=lambda: T1)
    assert taken.read_bytes() == b"not ours"
    assert [p.name for p in (root / "ascmhl").iterdir() if p.name.endswith(".partial")] == []


def test_work_shared_between_destinations_leaves_each_manifest_as_written_alone(
    tmp_path: Path,
) -> None:
    # One offload's destinations: the same card's files with the very same digests objects
    # (transfer mode's in-flight digests), but each with its own hash dates, and here one
    # with a file whose copy differs, one without a file, one with its own ignore list.
    files = {**SMALL_TREE, "scratch.tmp": b"t"}
    digests = {rel: digests_of(data) for rel, data in files.items()}

    def records(date: datetime, **changed: dict[str, str]) -> list[ManifestFile]:
        return [
            ManifestFile(rel, len(data), FIXED_MTIME_NS, changed.get(rel, digests[rel]), date)
            for rel, data in files.items()
            if rel not in changed or changed[rel]
        ]

    other = "Clips/A001C001_230101.mov"
    destinations = [
        (records(T1), ()),
        (records(T2, **{other: digests_of(b"another clip")}), ()),
        (records(T1, **{"Sidecar.xml": {}}), ("*.tmp",)),
        (records(T2), ()),
        (records(T2), ()),  # a history there already knows the files: verified, not original
    ]
    shared = ascmhl_module.SharedWork()
    for index, (listed, patterns) in enumerate(destinations):
        written = []
        for way, with_shared in (("with", shared), ("alone", None)):
            root = tmp_path / way / str(index) / "card"
            make_tree(root, files, SMALL_DIRS)
            if index == 4:
                write_generation(root, records(T1), creator=CREATOR, now=fixed_clock(T1))
            written.append(
                write_generation(
                    root,
                    listed,
                    directories=["Clips", "Sub Folder", "Sub Folder/deeper", *SMALL_DIRS],
                    creator=CREATOR,
                    ignore_patterns=patterns,
                    now=fixed_clock(T2),
                    shared=with_shared,
                ).read_bytes()
            )
        assert written[0] == written[1], index
        assert (b'action="verified"' in written[0]) == (index == 4)
    # the third's ignore list is not the others'
    assert b"scratch.tmp" in written[0]
