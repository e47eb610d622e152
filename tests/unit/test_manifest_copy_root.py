"""The patterns that hide the copy root's own state from a generation and bring back the
card's entries so named (offload.manifest.copy_root), checked with the manifests' engine."""

from __future__ import annotations

from pathlib import Path

from offload.manifest.copy_root import COPY_ROOT_STATE, nested_state_paths, unhide_nested_state
from offload.manifest.ignore import IgnoreSpec


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
    while IgnoreSpec hid it (a new file to ``ascmhl verify``, a ``-dh`` mismatch)."""
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
