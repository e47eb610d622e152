"""Which folders a generation lists whole (``offload.manifest.coverage``), on real trees."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.manifest.coverage import local_lister, whole_folders
from offload.manifest.ignore import DEFAULT_IGNORE_PATTERNS

PATTERNS = (*DEFAULT_IGNORE_PATTERNS, ".offload")


def tree(root: Path, *files: str) -> None:
    for relative in files:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(relative.encode())


def whole(root: Path, folders: set[str], files: list[str]) -> set[str]:
    return whole_folders(folders, files, PATTERNS, local_lister(root))


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
    ignoring = (*PATTERNS, "**/D/dangling")
    assert whole_folders(folders, listed, ignoring, local_lister(tmp_path)) == {"A", "D"}


def test_an_anchored_pattern_is_applied_as_each_ascmhl_walk_applies_it(tmp_path: Path) -> None:
    """Both take the generation's raw list. ``whole_folders`` (the folder hashes) applies it
    as ``ascmhl-debug verify -dh`` does (``ignore.directory_hash_skips``): an anchored pattern
    (``/A/extra``, ``NEST/DAY/``) at the root, so ``A`` is whole (``NEST``, standing and not
    listed, still breaks the root). ``whole_as_walked`` (the nested histories' search)
    applies it as plain ``ascmhl-debug verify`` does (``ignore.verify_skips``): an anchored pattern
    never, so ``A`` is not whole. An unanchored one (``extra``, ``**/extra``) hides it for
    both. Before, ``whole_folders`` applied it as plain verify: ``A`` got no hash, which
    ``-dh`` would have matched."""
    from offload.manifest.coverage import whole_as_walked

    tree(tmp_path, "A/a.mov", "A/extra", "NEST/DAY/x.mov", "N/n.mov")
    folders = {"", "A", "N"}
    listed = ["A/a.mov", "N/n.mov"]
    lister = local_lister(tmp_path)
    anchored = (*PATTERNS, "/A/extra", "NEST/DAY/")
    assert whole_folders(folders, listed, anchored, lister) == {"A", "N"}
    assert whole_as_walked(folders, listed, anchored, lister) == {"N"}
    for unanchored in ((*PATTERNS, "extra", "NEST"), (*PATTERNS, "**/extra", "NEST/")):
        assert whole_folders(folders, listed, unanchored, lister) == folders
        assert whole_as_walked(folders, listed, unanchored, lister) == folders


def test_a_listed_file_an_anchored_pattern_names_leaves_its_folder_unhashed(
    tmp_path: Path,
) -> None:
    """``/CLIPS/x.mov`` then ``!**/CLIPS/x.mov`` (a card file a carried pattern hides,
    listed again): ``-dh`` puts the anchored pattern last and skips the file, so a hash of
    ``CLIPS`` with it is not one it recomputes: ``CLIPS`` (and the root) not whole. Plain
    ``verify`` walks it as listed: whole as walked. Failed before: ``CLIPS`` whole, its hash
    written, ``ascmhl-debug verify -dh`` exit 12."""
    from offload.manifest.coverage import whole_as_walked

    tree(tmp_path, "CLIPS/x.mov", "CLIPS/y.mov")
    folders = {"", "CLIPS"}
    listed = ["CLIPS/x.mov", "CLIPS/y.mov"]
    lister = local_lister(tmp_path)
    patterns = (*PATTERNS, "/CLIPS/x.mov", "!**/CLIPS/x.mov")
    assert whole_folders(folders, listed, patterns, lister) == set()
    assert whole_as_walked(folders, listed, patterns, lister) == folders


def test_a_local_lister_of_the_same_folder_otherwise_spelled_is_local(tmp_path: Path) -> None:
    """``coverage.is_local`` compared the two paths' text: a lister of the copy root given
    as ``X/..`` or through a symlink to it was not local, so ``write_generation`` skipped
    the nested histories' links (none added, ascmhl-debug verify of the root: a new file).
    The same folder is the same file on the same device, however spelled; another folder
    (even of the same name) is not, nor one that cannot be looked up."""
    from offload.manifest.coverage import is_local, memoized

    root = tmp_path / "RAID"
    (root / "X").mkdir(parents=True)
    os.symlink(root, tmp_path / "link")
    for spelling in (root, Path(f"{root}/"), root / "X" / "..", tmp_path / "link"):
        assert is_local(local_lister(spelling), root), spelling
        assert is_local(memoized(local_lister(spelling)), root), spelling
    other = tmp_path / "elsewhere" / "RAID"
    other.mkdir(parents=True)
    assert not is_local(local_lister(other), root)
    assert not is_local(local_lister(tmp_path / "gone" / ".."), tmp_path)  # no lookup
    assert not is_local(lambda folder: list(local_lister(root)(folder)), root)


def test_a_bind_mount_of_the_folder_is_local(tmp_path: Path) -> None:
    """The same folder through a bind mount (its own user and mount namespace, where the
    machine allows one): the same device and inode, so local."""
    import shutil
    import subprocess
    import sys

    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare here")
    root = tmp_path / "RAID"
    root.mkdir()
    mount = tmp_path / "mnt"
    mount.mkdir()
    check = (
        "import sys; from pathlib import Path; "
        "from offload.manifest.coverage import is_local, local_lister; "
        "print(is_local(local_lister(Path(sys.argv[2])), Path(sys.argv[1])))"
    )
    done = subprocess.run(
        [
            unshare,
            "-r",
            "-m",
            "sh",
            "-c",
            f'mount --bind "$1" "$2" && exec "$3" -c "{check}" "$1" "$2"',
            "sh",
            str(root),
            str(mount),
            sys.executable,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if "mount" in done.stderr or "unshare" in done.stderr:
        pytest.skip(f"no bind mount here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
