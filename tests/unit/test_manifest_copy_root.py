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
