"""Which folders a generation lists whole (``offload.manifest.coverage``), on real trees."""

from __future__ import annotations

import os
from pathlib import Path

from offload.manifest.coverage import local_lister, whole_folders
from offload.manifest.ignore import DEFAULT_IGNORE_PATTERNS, IgnoreSpec

SPEC = IgnoreSpec((*DEFAULT_IGNORE_PATTERNS, ".offload"))


def tree(root: Path, *files: str) -> None:
    for relative in files:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(relative.encode())


def whole(root: Path, folders: set[str], files: list[str]) -> set[str]:
    return whole_folders(folders, files, SPEC, local_lister(root))


def test_a_tree_listed_entirely_is_whole(tmp_path: Path) -> None:
    tree(tmp_path, "A/a.mov", "A/B/b.mov", "c.txt", "ascmhl/0001.mhl", ".offload/ledger.jsonl")
    (tmp_path / "EMPTY").mkdir()
    folders = {"", "A", "A/B", "EMPTY"}
    assert whole(tmp_path, folders, ["A/a.mov", "A/B/b.mov", "c.txt"]) == folders


def test_a_file_not_listed_breaks_its_folder_and_every_folder_above(tmp_path: Path) -> None:
    tree(tmp_path, "A/a.mov", "A/B/b.mov", "A/B/other_card.mov", "C/c.mov")
    folders = {"", "A", "A/B", "C"}
    assert whole(tmp_path, folders, ["A/a.mov", "A/B/b.mov", "C/c.mov"]) == {"C"}


def test_a_folder_not_listed_breaks_its_parent(tmp_path: Path) -> None:
    tree(tmp_path, "A/a.mov", "A/OTHER/x.mov")
    assert whole(tmp_path, {"", "A"}, ["A/a.mov"]) == set()


def test_a_listed_file_that_is_not_there_breaks_its_folder(tmp_path: Path) -> None:
    tree(tmp_path, "A/a.mov")
    assert whole(tmp_path, {"", "A"}, ["A/a.mov", "A/gone.mov"]) == set()
    # a listed folder that is not there cannot be listed (OSError): not whole, nor its parents
    assert whole(tmp_path, {"", "A", "A/GONE"}, ["A/a.mov"]) == set()


def test_links(tmp_path: Path) -> None:
    """A link to a file the generation lists is a file; a link to a folder, or a dangling
    one, that it does not list (nor ignore) breaks the folder; an ignored one does not."""
    tree(tmp_path, "A/a.mov", "B/b.mov", "C/c.mov", "D/d.mov")
    os.symlink("a.mov", tmp_path / "A" / "latest.mov")
    os.symlink("../A", tmp_path / "B" / "to_a")
    os.symlink("missing", tmp_path / "C" / "dangling")
    os.symlink("missing", tmp_path / "D" / "dangling")
    folders = {"", "A", "B", "C", "D"}
    listed = ["A/a.mov", "A/latest.mov", "B/b.mov", "C/c.mov", "D/d.mov"]
    assert whole(tmp_path, folders, listed) == {"A"}
    ignoring = IgnoreSpec((*SPEC.patterns, "**/D/dangling"))
    assert whole_folders(folders, listed, ignoring, local_lister(tmp_path)) == {"A", "D"}
