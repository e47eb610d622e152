"""What a link of a copied card is to a manifest (``offload.manifest.links``), on a real tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.manifest.ignore import IgnoreSpec
from offload.manifest.links import (
    LinkKind,
    classify_link,
    exact_pattern,
    exact_pattern_path,
    pattern_hides,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    card = tmp_path / "A001"
    (card / "CLIPS" / "sub").mkdir(parents=True)
    (card / "CLIPS" / "clip.mov").write_bytes(b"clip")
    (card / "ascmhl").mkdir()
    (card / "ascmhl" / "0001.mhl").write_bytes(b"<hashlist/>")
    (tmp_path / "beside.txt").write_bytes(b"outside the card")
    return card


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("clip.mov", LinkKind.FILE),
        ("./sub/../clip.mov", LinkKind.FILE),
        ("sub", LinkKind.FOLDER),
        ("..", LinkKind.FOLDER),  # the card's root
        ("../..", LinkKind.OUTSIDE),
        ("../../beside.txt", LinkKind.OUTSIDE),  # there on this machine, not on the card
        ("../../A001/CLIPS/clip.mov", LinkKind.OUTSIDE),  # out by the card's name, then in
        ("/etc/hostname", LinkKind.OUTSIDE),
        ("../ascmhl/0001.mhl", LinkKind.OUTSIDE),  # the history is not the card's content
        ("gone.mov", LinkKind.DANGLING),
        ("clip.mov/x", LinkKind.DANGLING),  # a file where a folder is needed
        ("link", LinkKind.LOOP),  # itself
    ],
)
def test_classify_link(root: Path, target: str, kind: LinkKind) -> None:
    os.symlink(target, root / "CLIPS" / "link")
    assert classify_link(root, "CLIPS/link") is kind


def test_a_chain_and_a_cycle(root: Path) -> None:
    os.symlink("clip.mov", root / "CLIPS" / "one")
    os.symlink("one", root / "CLIPS" / "two")
    os.symlink("b", root / "CLIPS" / "a")
    os.symlink("a", root / "CLIPS" / "b")
    os.symlink("CLIPS", root / "dir_link")
    os.symlink("../dir_link/two", root / "CLIPS" / "via_folder_link")
    assert classify_link(root, "CLIPS/two") is LinkKind.FILE
    assert classify_link(root, "CLIPS/via_folder_link") is LinkKind.FILE
    assert classify_link(root, "CLIPS/a") is LinkKind.LOOP
    assert classify_link(root, "dir_link") is LinkKind.FOLDER


@pytest.mark.parametrize(
    "name", ["take.mov", "odd [1] *name?.mov", "back\\slash", "trailing ", "!bang", "#hash"]
)
def test_exact_pattern_matches_that_path_alone(name: str) -> None:
    spec = IgnoreSpec([exact_pattern(f"CLIPS/{name}")])
    assert spec.matches(f"CLIPS/{name}", is_dir=False)
    assert spec.matches(f"CLIPS/{name}", is_dir=True)
    assert not spec.matches(f"CLIPS/{name}x", is_dir=False)
    assert not spec.matches(name, is_dir=False)
    assert not spec.matches("CLIPS/take1.mov", is_dir=False)


@pytest.mark.parametrize(
    "path", ["take.mov", "CLIPS/odd [1] *name?.mov", "back\\slash", "trailing ", "!bang", "#hash"]
)
def test_exact_pattern_path_reads_back_the_path(path: str) -> None:
    assert exact_pattern_path(exact_pattern(path)) == path


@pytest.mark.parametrize(
    "pattern", ["take.mov", "*.tmp", "**/*.bak", "**/CLIPS/a?.mov", "**/[ab]", "**/", "/**/x", ""]
)
def test_exact_pattern_path_is_none_for_any_other_pattern(pattern: str) -> None:
    assert exact_pattern_path(pattern) is None


def test_pattern_hides_what_ends_with_the_path_or_crosses_the_root() -> None:
    found = pattern_hides(
        ["x", "Card/y", "a/b"],
        ["sub/x", "x2", "y", "a/b2", "z/a/b/c", "a"],
        Path("/media/Card"),
    )
    # "**/x" hides sub/x; "**/Card/y" hides y below /media/Card (ascmhl-debug verify matches
    # absolute paths); "**/a/b" hides z/a/b/c (what is below an ignored folder is ignored)
    assert found == {"x": "sub/x", "Card/y": "y", "a/b": "z/a/b/c"}
    assert pattern_hides(["x"], ["x1/x2", "xx"], Path("/media/Card")) == {}
    # "**/RAID0" and "**/mnt/RAID0" match every path below /mnt/RAID0/A001 (ascmhl-debug verify
    # matches absolute paths): they would hide the whole tree
    assert pattern_hides(
        ["RAID0", "mnt/RAID0", "RAID0/A001/x", "A001x"], ["CLIPS/a.mov"], Path("/mnt/RAID0/A001")
    ) == {"RAID0": "CLIPS/a.mov", "mnt/RAID0": "CLIPS/a.mov"}
    # the path itself, when asked: a file now where the ignored link was
    assert pattern_hides(["x"], ["x"], Path("/media/Card")) == {}
    assert pattern_hides(["x", "a"], ["x", "a/b"], Path("/m"), itself=True) == {
        "x": "x",
        "a": "a/b",
    }
