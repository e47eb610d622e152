"""offload.manifest.nested_links: the links a nested history ignores, for the root's list."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from offload.manifest import CreatorInfo, ManifestFile, read_history, write_generation
from offload.manifest.coverage import Entry, local_lister
from offload.manifest.history import History, latest_ignore_patterns_of
from offload.manifest.nested_links import NestedLinks, nested_links

_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">
  <processinfo>
    <process>in-place</process>
    <ignore>
{patterns}    </ignore>
  </processinfo>
  <hashes>
    <hash><path size="1">{recorded}</path></hash>
  </hashes>
</hashlist>
"""


def _nested(
    folder: Path, patterns: list[str], number: int = 1, recorded: str = "CLIPS/not xml we read"
) -> None:
    history = folder / "ascmhl"
    history.mkdir(parents=True, exist_ok=True)
    text = "".join(f"      <pattern>{p}</pattern>\n" for p in patterns)
    (history / f"{number:04d}_{folder.name}_2026-01-01_000000Z.mhl").write_text(
        _MANIFEST.format(patterns=text, recorded=recorded)
    )
    # its chain (not checked here: read_history(check_chain=False) needs it to exist)
    (history / "ascmhl_chain.xml").write_text(
        '<ascmhldirectory xmlns="urn:ASC:MHL:DIRECTORY:v2.0"></ascmhldirectory>\n'
    )


def _links(
    root: Path,
    patterns: list[str],
    whole: set[str],
    recorded: list[str],
    carried: dict[str, str] | None = None,
) -> NestedLinks:
    return nested_links(
        root,
        patterns,
        carried or {},
        whole,
        recorded,
        History(root, (), ()),
        local_lister(root),
    )


def test_only_links_to_no_folder_the_newest_nested_list_names_exactly_are_scoped_to_the_root(
    tmp_path: Path,
) -> None:
    root = tmp_path / "RAID"
    card = root / "DAY1" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    os.symlink("nowhere", card / "CLIPS" / "dangling")
    os.symlink("CLIPS", card / "to_folder")  # ascmhl never enters it: no pattern
    (card / "CLIPS" / "real.mov").write_bytes(b"x")
    os.symlink("nowhere", card / "CLIPS" / "older")
    _nested(card, ["**/CLIPS/older"], number=1)  # an older generation: not read
    _nested(card, ["**/CLIPS/dangling", "**/to_folder", "**/CLIPS/real.mov", "*.tmp", "!x"], 2)
    (root / "one.mov").write_bytes(b"y")
    found = _links(root, [".offload"], {"x"}, ["one.mov"])
    assert found == NestedLinks(["**/DAY1/A001/CLIPS/dangling"], {})
    # A path the root's list ignores already, or whose pattern would hide a recorded one.
    assert _links(root, ["**/CLIPS/dangling"], set(), []) == NestedLinks([], {})
    found = _links(root, [], set(), ["X/DAY1/A001/CLIPS/dangling"])
    assert found == NestedLinks([], {})


def test_no_pattern_hides_a_path_standing_beside_or_one_another_history_records(
    tmp_path: Path,
) -> None:
    """``**/A001/CLIPS/dangling`` matches at any depth: not written while such a path
    stands anywhere else in the tree, or another history records one (even gone)."""
    root = tmp_path / "RAID"
    card = root / "A001"
    (card / "CLIPS").mkdir(parents=True)
    os.symlink("nowhere", card / "CLIPS" / "dangling")
    _nested(card, ["**/CLIPS/dangling"])
    assert _links(root, [], set(), []).added == ["**/A001/CLIPS/dangling"]
    beside = root / "OLD" / "A001" / "CLIPS"
    beside.mkdir(parents=True)
    (beside / "dangling").write_bytes(b"no history records it")
    assert _links(root, [], set(), []) == NestedLinks([], {})
    (beside / "dangling").unlink()
    other = root / "DAY2" / "A001"
    other.mkdir(parents=True)
    _nested(other, [], recorded="CLIPS/dangling")  # gone from disk since
    assert _links(root, [], set(), []) == NestedLinks([], {})
    _nested(other, [], number=2, recorded="CLIPS/dangling/below")  # as a folder, earlier
    (other / "ascmhl" / "0001_A001_2026-01-01_000000Z.mhl").unlink()
    assert _links(root, [], set(), []) == NestedLinks([], {})


def test_a_carried_pattern_below_a_nested_folder_no_longer_due_is_retired(
    tmp_path: Path,
) -> None:
    root = tmp_path / "RAID"
    card = root / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "dangling").write_bytes(b"a real file now")
    os.symlink("nowhere", card / "CLIPS" / "still")
    _nested(card, ["**/CLIPS/still"])
    carried = {
        "A001/CLIPS/dangling": "**/A001/CLIPS/dangling",
        "A001/CLIPS/still": "**/A001/CLIPS/still",
        "elsewhere/link": "**/elsewhere/link",
    }
    found = _links(root, list(carried.values()), set(), [], carried)
    assert found == NestedLinks([], {"A001/CLIPS/dangling": ""})


def test_latest_ignore_patterns_of_reads_the_newest_ignore_list_alone(tmp_path: Path) -> None:
    card = tmp_path / "A001"
    assert latest_ignore_patterns_of(card) == ()
    _nested(card, ["**/old"], number=1)
    _nested(card, ["**/new", "*.tmp"], number=2)
    (card / "ascmhl" / "0003_not_a_file.mhl").mkdir()  # not a generation
    assert latest_ignore_patterns_of(card) == ("**/new", "*.tmp")


def test_a_root_listed_whole_lists_nothing(tmp_path: Path) -> None:
    def lister(folder: str) -> list[Entry]:
        raise AssertionError(f"listed {folder!r}")

    history = History(tmp_path, (), ())
    found = nested_links(tmp_path, [], {}, {""}, [], history, lister)
    assert found == NestedLinks([], {})


def test_a_carried_pattern_elsewhere_hides_no_nested_link_from_being_due(tmp_path: Path) -> None:
    """The copy renamed away, DAY2's copy of the same name with a dangling link at the same
    relative path: the carried ``**/A001/CLIPS/dangling`` (dropped: it hides DAY2's link)
    must not keep DAY2's link from its own pattern. Before, the candidates were judged with
    it still in the list: neither pattern was written (ascmhl-debug verify of the root: 21)."""
    root = tmp_path / "RAID"
    for card in (root / "A001_first", root / "DAY2" / "A001"):
        (card / "CLIPS").mkdir(parents=True)
        os.symlink("nowhere", card / "CLIPS" / "dangling")
        _nested(card, ["**/CLIPS/dangling"])
    carried = {"A001/CLIPS/dangling": "**/A001/CLIPS/dangling"}
    found = _links(root, list(carried.values()), set(), [], carried)
    assert found.added == ["**/A001_first/CLIPS/dangling", "**/DAY2/A001/CLIPS/dangling"]
    assert found.retired == {"A001/CLIPS/dangling": "DAY2/A001/CLIPS/dangling"}


def test_a_tree_listed_elsewhere_keeps_the_carried_patterns_as_they_are(tmp_path: Path) -> None:
    """An S3 destination: the nested histories are found among the bucket's keys, but the
    local staging root holds the root's history alone, so none can be read there. Before,
    the carried ``**/A001/CLIPS/dangling`` was then judged stale and dropped (ascmhl-debug verify
    of the bucket's copy would list the link as new); now nested_links is not asked."""
    root = tmp_path / "staging"
    root.mkdir()
    (root / "one.mov").write_bytes(b"1")
    when = datetime(2026, 1, 1, tzinfo=UTC)
    creator = CreatorInfo(tool_version="0.1.0", hostname="host")
    one = [ManifestFile("one.mov", 1, 0, {"xxh64": "0" * 16}, when)]
    write_generation(
        root, one, creator=creator, ignore_patterns=["**/A001/CLIPS/dangling"], now=lambda: when
    )
    keys = {
        "": [Entry("one.mov", False, False), Entry("A001", True, False)],
        "A001": [Entry("ascmhl", True, False), Entry("CLIPS", True, False)],
        "A001/CLIPS": [Entry("dangling", False, True)],
    }

    def bucket(folder: str) -> list[Entry]:
        if folder == "" or folder.startswith("A001"):
            return keys.get(folder, [])
        return list(local_lister(root)(folder))

    write_generation(root, one, creator=creator, lister=bucket, now=lambda: when)
    assert "**/A001/CLIPS/dangling" in (read_history(root).latest_ignore_patterns() or ())


def test_recorded_paths_are_every_generations_and_escaping_ones_among_them(
    tmp_path: Path,
) -> None:
    """History.recorded_paths, shared by escaping_paths and the tree's records here."""
    card = tmp_path / "A001"
    _nested(card, [], number=1, recorded="CLIPS/old.mov")
    _nested(card, [], number=2, recorded="../escape.mov")
    history = read_history(card, check_chain=False)
    assert history.recorded_paths() == {"CLIPS/old.mov", "../escape.mov"}
    assert history.escaping_paths() == ["../escape.mov"]


def test_a_tree_listed_elsewhere_drops_a_carried_pattern_that_hides_a_real_file_there(
    tmp_path: Path,
) -> None:
    """An S3 copy root holds no link (an object store has none; ``aws s3 sync`` down makes
    none): a carried exact pattern whose path (or a path below it) is an object there
    hides a real file from ``ascmhl-debug verify`` of the downloaded root (another copy's clip in
    a nested copy root). Before, every carried pattern was kept on such a tree; now one
    that would hide a file standing there (not a link) is dropped, the others kept."""
    root = tmp_path / "staging"
    root.mkdir()
    (root / "one.mov").write_bytes(b"1")
    when = datetime(2026, 1, 1, tzinfo=UTC)
    creator = CreatorInfo(tool_version="0.1.0", hostname="host")
    one = [ManifestFile("one.mov", 1, 0, {"xxh64": "0" * 16}, when)]
    carried = ["**/CLIPS/take.mov", "**/CLIPS/gone.mov", "**/B001/CLIPS/link"]
    write_generation(root, one, creator=creator, ignore_patterns=carried, now=lambda: when)
    keys = {
        "": [Entry("one.mov", False, False), Entry("A001", True, False)],
        "A001": [Entry("ascmhl", True, False), Entry("CLIPS", True, False)],
        "A001/CLIPS": [Entry("take.mov", False, False)],
        "B001": [Entry("CLIPS", True, False)],
        "B001/CLIPS": [Entry("link", False, True)],  # as a lister may say: not a file
    }
    keys[""].append(Entry("B001", True, False))

    def bucket(folder: str) -> list[Entry]:
        return keys.get(folder, [])

    dropped: list[tuple[str, str]] = []
    write_generation(
        root,
        one,
        creator=creator,
        lister=bucket,
        now=lambda: when,
        on_uncarried=lambda path, hidden: dropped.append((path, hidden)),
    )
    latest = read_history(root).latest_ignore_patterns() or ()
    assert "**/CLIPS/take.mov" not in latest
    assert "**/CLIPS/gone.mov" in latest and "**/B001/CLIPS/link" in latest
    assert dropped == [("CLIPS/take.mov", "A001/CLIPS/take.mov")]


def test_a_history_nested_in_a_nested_one_has_its_links_scoped_to_the_root(
    tmp_path: Path,
) -> None:
    """``ascmhl-debug verify`` of the root walks into a nested history's folders and checks a
    history nested there (a card copied into ``A001/EXTRA``) with the root's list too.
    Failed before: the search stopped at ``A001``, so ``C001``'s dangling link got no
    pattern at the root (new to ascmhl, exit 21)."""
    root = tmp_path / "RAID"
    outer = root / "A001"
    inner = outer / "EXTRA" / "C001"
    (outer / "CLIPS").mkdir(parents=True)
    (inner / "CLIPS").mkdir(parents=True)
    os.symlink("nowhere", outer / "CLIPS" / "dangling")
    os.symlink("nowhere", inner / "CLIPS" / "lost")
    (inner / "CLIPS" / "c.mov").write_bytes(b"c")
    _nested(outer, ["**/CLIPS/dangling"])
    _nested(inner, ["**/CLIPS/lost"])
    (root / "one.mov").write_bytes(b"y")
    found = _links(root, [".offload"], set(), ["one.mov"])
    assert found == NestedLinks(["**/A001/CLIPS/dangling", "**/A001/EXTRA/C001/CLIPS/lost"], {})
