"""``manifest.foreign.foreign_entries``: what plain ``ascmhl-debug verify`` of a copy root will call
new, judged from the listings of the folders a generation does not list whole (a real tree,
the local lister the writer uses)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from offload.manifest import CreatorInfo, ManifestFile, read_history
from offload.manifest.ascmhl import write_generation
from offload.manifest.coverage import local_lister, memoized, whole_folders
from offload.manifest.foreign import foreign_entries
from offload.manifest.ignore import DEFAULT_IGNORE_PATTERNS, verify_skips

PATTERNS = [*DEFAULT_IGNORE_PATTERNS, ".offload", ".offload-partial.*", "*.tmp"]


def touch(root: Path, relative: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")


def judged(root: Path, listed: list[str], folders: set[str], **kwargs: object) -> list[str]:
    lister = memoized(local_lister(root))
    whole = whole_folders(folders, listed, PATTERNS, lister)
    kwargs.setdefault("known", lambda path: False)
    found = foreign_entries(folders, whole, listed, verify_skips(PATTERNS), lister, **kwargs)  # type: ignore[arg-type]
    assert found.anchored_only == []
    # a nested history met: offload verify --append of the root refuses, the warning says
    assert found.nested == (root / "NESTED" / "ascmhl").is_dir()
    return found.entries


def test_only_what_ascmhl_verify_calls_new_is_foreign(tmp_path: Path) -> None:
    listed = ["CLIPS/A.mov", "CLIPS/B.mov"]
    for path in listed:
        touch(tmp_path, path)
    touch(tmp_path, "CLIPS/x.tmp")  # ignored
    touch(tmp_path, ".offload/ledger.jsonl")  # our state
    touch(tmp_path, "CLIPS/.offload-partial.C.mov.1")  # a partial
    touch(tmp_path, "FINDER/.DS_Store")  # a folder of ignored entries alone
    (tmp_path / "EMPTY").mkdir()  # a folder is never new
    touch(tmp_path, "NESTED/ascmhl/0001_x.mhl")  # a nested history: its own to judge
    touch(tmp_path, "NESTED/take.mov")
    touch(tmp_path, "OUTSIDE/take.mov")
    os.symlink(tmp_path / "OUTSIDE", tmp_path / "CLIPS" / "to_folder")  # never entered
    os.symlink("nowhere", tmp_path / "CLIPS" / "dangling")  # a file to ascmhl: new
    touch(tmp_path, "CLIPS/old.mov")  # recorded by an earlier generation
    touch(tmp_path, "CLIPS/failed.mov")  # the card's own, left out (expected)
    touch(tmp_path, "BADNAME/other.mov")  # a card folder the generation does not list
    touch(tmp_path, "BADNAME/card.mov")
    found = judged(
        tmp_path,
        listed,
        {"", "CLIPS"},
        known=lambda path: path == "CLIPS/old.mov",
        expected={"CLIPS/failed.mov", "BADNAME", "BADNAME/card.mov"},
    )
    assert found == ["BADNAME/other.mov", "CLIPS/dangling", "OUTSIDE/"]


def test_a_copy_root_listed_whole_is_not_listed_again(tmp_path: Path) -> None:
    listed = ["CLIPS/A.mov", "notes.txt"]
    for path in listed:
        touch(tmp_path, path)
    asked: list[str] = []
    lister = memoized(local_lister(tmp_path))
    whole = whole_folders({"", "CLIPS"}, listed, PATTERNS, lister)

    def counting(folder: str) -> list[object]:
        asked.append(folder)
        return list(lister(folder))

    found = foreign_entries(
        {"", "CLIPS"}, whole, listed, verify_skips(PATTERNS), counting, known=lambda p: False
    )
    assert found == ([], [], False) and asked == []


class _Broken:
    """An *expected* whose every question fails: an error the look did not foresee."""

    def __contains__(self, path: object) -> bool:
        raise RuntimeError("the card's paths could not be gathered")


def test_an_error_of_the_look_never_costs_the_generation(tmp_path: Path) -> None:
    """Before: any error inside the look (a RecursionError of a deep folder) escaped
    write_generation before the manifest was written: no generation, no reports."""
    touch(tmp_path, "one.mov")
    touch(tmp_path, "notes.txt")  # foreign: the look asks the broken *expected* of it
    when = datetime(2026, 1, 1, tzinfo=UTC)
    unread: list[str] = []
    written = write_generation(
        tmp_path,
        [ManifestFile("one.mov", 1, 0, {"xxh64": "0" * 16}, when)],
        creator=CreatorInfo(tool_version="0.1.0", hostname="host"),
        now=lambda: when,
        lister=local_lister(tmp_path),
        on_foreign=lambda found: pytest.fail(f"nothing known to be foreign: {found}"),
        expected=_Broken(),
        on_foreign_unread=unread.append,
    )
    assert written.is_file()
    assert [g.sequence_number for g in read_history(tmp_path).generations] == [1]
    assert unread == ["RuntimeError: the card's paths could not be gathered"]
