"""The patterns that hide the copy root's own state from a generation and bring back the
card's entries so named (offload.manifest.copy_root), checked with the manifests' engine."""

from __future__ import annotations

from pathlib import Path

from offload.manifest.copy_root import COPY_ROOT_STATE, nested_state_paths, unhide_nested_state
from offload.manifest.ignore import DEFAULT_IGNORE_PATTERNS, IgnoreSpec
from offload.manifest.listed_again import history_named_files, legacy_named_folders


def test_nested_entries_are_found_the_roots_own_is_not() -> None:
    found = nested_state_paths([".offload", "OLD", "OLD/.offload", "OLD/.offloads"], ["a/.offload"])
    assert found == {"OLD/.offload", "a/.offload"}


def test_each_nested_entry_is_brought_back_and_the_roots_state_stays_hidden(
    tmp_path: Path,
) -> None:
    root = tmp_path / "RAID0" / "A001"
    unhiding = unhide_nested_state(root, {"OLD/.offload", "C [1]/.offload"})
    assert unhiding.hidden == {}
    spec = IgnoreSpec([*COPY_ROOT_STATE, *unhiding.patterns])
    assert spec.excludes(".offload/ledger.jsonl", is_dir=False)
    assert not spec.excludes("OLD/.offload/ledger.jsonl", is_dir=False)
    assert not spec.excludes("C [1]/.offload", is_dir=False)
    assert spec.excludes("OLD/.offload/.offload-partial.x.mov", is_dir=False)


def test_an_entry_no_pattern_can_list_is_named(tmp_path: Path) -> None:
    root = tmp_path / "A001"
    unhiding = unhide_nested_state(root, {"A001/.offload", "B/.offload", "!x/B/.offload"})
    assert set(unhiding.hidden) == {"A001/.offload", "!x/B/.offload"}
    spec = IgnoreSpec([*COPY_ROOT_STATE, *unhiding.patterns])
    assert spec.excludes("A001/.offload/f", is_dir=False)
    assert spec.excludes("!x/B/.offload/f", is_dir=False)
    assert not spec.excludes("B/.offload/f", is_dir=False)


def test_what_the_list_hides_stays_hidden_below_a_nested_state_folder_for_ascmhl_too(
    tmp_path: Path,
) -> None:
    """pathspec (ascmhl: absolute paths, the last matching pattern wins) and our IgnoreSpec
    agree on every entry below a nested ``.offload`` brought back: what the list hides
    elsewhere (ascmhl's defaults, a user's ``*.tmp``, our state, partials) stays hidden there.
    Failed before: ``!**/OLD/.offload`` brought ``OLD/.offload/.DS_Store`` back for pathspec
    while IgnoreSpec hid it (a new file to ``ascmhl-debug verify``, a ``-dh`` mismatch)."""
    import pathspec
    from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern

    from offload.manifest.ignore import DEFAULT_IGNORE_PATTERNS

    root = tmp_path / "RAID0" / "A001"
    hiding = [*DEFAULT_IGNORE_PATTERNS, "*.tmp", "!keep.tmp", "cache/", *COPY_ROOT_STATE]
    unhiding = unhide_nested_state(root, {"OLD/.offload", "OLD/.offload/sub/.offload"}, hiding)
    final = [*hiding, *unhiding.patterns]
    ours = IgnoreSpec(final)
    theirs = pathspec.PathSpec.from_lines(GitIgnoreBasicPattern, final)  # gitwildmatch
    cases = {
        "OLD/.offload/ledger.jsonl": False,
        "OLD/.offload/.DS_Store": True,
        "OLD/.offload/reports/.DS_Store": True,
        "OLD/.offload/ascmhl/0001.mhl": True,
        "OLD/.offload/x.tmp": True,
        "OLD/.offload/keep.tmp": False,
        "OLD/.offload/cache/f": True,
        "OLD/.offload/.offload-partial.a.b": True,
        "OLD/.offload/more/.offload/f": True,  # a state folder inside, not brought back
        "OLD/.offload/sub/.offload/f": False,  # one brought back itself
        "OLD/.offload/sub/.offload/.DS_Store": True,
        ".offload/ledger.jsonl": True,  # the root's own
        "CLIPS/.DS_Store": True,
        "CLIPS/a.mov": False,
    }
    for relative, hidden in cases.items():
        absolute = str(root / relative).lstrip("/")
        assert theirs.match_file(absolute) is hidden, (relative, "pathspec")
        assert ours.excludes(relative, is_dir=False) is hidden, (relative, "IgnoreSpec")


def test_card_files_named_ascmhl_are_listed_again_and_folders_so_named_stay_hidden() -> None:
    """offload.manifest.listed_again: a card file named ascmhl below the root is listed
    after ascmhl's defaults; a folder at its path (the copy root's own history, where the
    root's path ends with the file's folder) and the root's own name stay hidden."""
    paths = ["ascmhl", "A001/ascmhl", "A001/xascmhl", "B [1]/ascmhl", "C/ascmhl/x"]
    patterns = history_named_files(iter(paths))
    assert patterns == [
        "!**/A001/ascmhl",
        "**/A001/ascmhl/",
        "!**/B \\[1]/ascmhl",
        "**/B \\[1]/ascmhl/",
    ]
    spec = IgnoreSpec([*DEFAULT_IGNORE_PATTERNS, *patterns])
    assert not spec.excludes("A001/ascmhl", is_dir=False)
    assert not spec.excludes("B [1]/ascmhl", is_dir=False)
    assert spec.excludes("A001/ascmhl", is_dir=True)
    assert spec.excludes("A001/ascmhl/0001_A001.mhl", is_dir=False)


def test_card_folders_named_like_the_legacy_mhls_are_listed_again_with_their_files(
    tmp_path: Path,
) -> None:
    hiding = [*DEFAULT_IGNORE_PATTERNS, ".DS_Store", *COPY_ROOT_STATE]
    folders = ["CLIPS", "DAY2_a.mhl", "DAY2_a.mhl/DAY2_b.mhl", "X/DAY2_c.mhl"]
    patterns, hidden = legacy_named_folders(tmp_path / "DAY2", "DAY2_*.mhl", folders, hiding)
    assert hidden == {}
    assert patterns[0] == "!**/DAY2_a.mhl/" and "!**/X/DAY2_c.mhl/" in patterns
    spec = IgnoreSpec([*hiding, "DAY2_*.mhl", *patterns])
    assert spec.excludes("DAY2_2026-12-03_120000.mhl", is_dir=False)  # the root's own
    for listed in ("DAY2_a.mhl/C.mov", "DAY2_a.mhl/DAY2_b.mhl/C.mov", "X/DAY2_c.mhl/C.mov"):
        assert not spec.excludes(listed, is_dir=False), listed
    assert spec.excludes("DAY2_a.mhl/.DS_Store", is_dir=False)
    assert spec.excludes("DAY2_a.mhl/.offload/ledger.jsonl", is_dir=False)
    assert legacy_named_folders(tmp_path / "DAY2", "DAY2_*.mhl", ["CLIPS"], hiding) == ([], {})
    # A folder whose path is part of the copy root's own: no pattern lists it alone.
    inside = tmp_path / "X" / "DAY2_c.mhl" / "DAY2"
    patterns, hidden = legacy_named_folders(inside, "DAY2_*.mhl", folders, hiding)
    assert set(hidden) == {"X/DAY2_c.mhl"} and "!**/X/DAY2_c.mhl/" not in patterns
