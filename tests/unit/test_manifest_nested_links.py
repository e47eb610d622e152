"""offload.manifest.nested_links: the links a nested history ignores, for the root's list."""

from __future__ import annotations

import os
from pathlib import Path

from offload.manifest.coverage import Entry, local_lister
from offload.manifest.nested_links import nested_link_patterns

_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">
  <processinfo>
    <process>in-place</process>
    <ignore>
{patterns}    </ignore>
  </processinfo>
  <hashes>
    <hash><path size="1">CLIPS/not xml we read</path></hash>
  </hashes>
</hashlist>
"""


def _nested(folder: Path, patterns: list[str], number: int = 1) -> None:
    history = folder / "ascmhl"
    history.mkdir(parents=True, exist_ok=True)
    text = "".join(f"      <pattern>{p}</pattern>\n" for p in patterns)
    (history / f"{number:04d}_{folder.name}_2026-01-01_000000Z.mhl").write_text(
        _MANIFEST.format(patterns=text)
    )


def test_only_links_the_newest_nested_list_names_exactly_are_scoped_to_the_root(
    tmp_path: Path,
) -> None:
    root = tmp_path / "RAID"
    card = root / "DAY1" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    os.symlink("nowhere", card / "CLIPS" / "dangling")
    os.symlink("CLIPS", card / "to_folder")
    (card / "CLIPS" / "real.mov").write_bytes(b"x")
    os.symlink("nowhere", card / "CLIPS" / "older")
    _nested(card, ["**/CLIPS/older"], number=1)  # an older generation: not read
    _nested(card, ["**/CLIPS/dangling", "**/to_folder", "**/CLIPS/real.mov", "*.tmp", "!x"], 2)
    (root / "one.mov").write_bytes(b"y")
    found = nested_link_patterns(root, [".offload"], {"x"}, ["one.mov"], local_lister(root))
    assert found == ["**/DAY1/A001/CLIPS/dangling", "**/DAY1/A001/to_folder"]
    # A path the root's list ignores already, or whose pattern would hide a recorded one.
    found = nested_link_patterns(
        root, ["**/to_folder"], set(), ["X/DAY1/A001/CLIPS/dangling"], local_lister(root)
    )
    assert found == []


def test_a_root_listed_whole_lists_nothing(tmp_path: Path) -> None:
    def lister(folder: str) -> list[Entry]:
        raise AssertionError(f"listed {folder!r}")

    assert nested_link_patterns(tmp_path, [], {""}, [], lister) == []
