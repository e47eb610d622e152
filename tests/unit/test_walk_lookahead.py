"""The walk with its folders listed ahead by threads (``walk_tree``'s *workers*, the scan's
``SCAN_THREADS``): the same entries in the same order as the walk without threads, the same
errors naming the same paths, folders the caller does not enter never reported, and no
thread left behind."""

from __future__ import annotations

import errno
import os
import shutil
import threading
from pathlib import Path

import pytest

import offload.plan.scan as scan_module
from offload.plan import ScanError, scan_source
from offload.plan.ignore import IgnoreRules
from offload.walk import walk_tree
from support.listings import act_after_listing, act_before_listing, fail_listing


def _card(root: Path) -> None:
    """Folders nested three deep, some wide, names that sort differently as text and as
    bytes, an empty folder, a folder reached by a symlink, and one left out (``SKIP``)."""
    for top in ["A", "a-b", "a.b", "B", "é", "Z\u00ff", "SKIP"]:
        for middle in range(6):
            folder = root / top / f"M{middle}"
            for inner in range(3):
                (folder / f"I{inner}").mkdir(parents=True)
                (folder / f"I{inner}" / "x.mov").write_bytes(b"x")
            (folder / "clip.mov").write_bytes(b"c")
    (root / "empty").mkdir()
    os.symlink("A", root / "link-to-A")
    (root / "top.mov").write_bytes(b"t")


def _walked(root: Path, workers: int) -> list[tuple[str, int]]:
    seen = []
    for item in walk_tree(root, workers=workers, lstat=workers > 0):
        st = item.entry.stat(follow_symlinks=False)
        seen.append((item.relative, st.st_ino))
        if item.entry.is_dir(follow_symlinks=False) and not item.relative.startswith("SKIP"):
            item.enter()
    return seen


@pytest.mark.parametrize("workers", [1, 2, 4, 16])
def test_listed_ahead_the_walk_is_the_same_entries_in_the_same_order(
    tmp_path: Path, workers: int
) -> None:
    root = tmp_path / "card"
    _card(root)
    serial = _walked(root, 0)
    assert serial == _walked(root, workers)
    assert "SKIP" in [rel for rel, _ in serial]
    assert not any(rel.startswith("SKIP/") for rel, _ in serial)
    assert "link-to-A" in [rel for rel, _ in serial]
    assert not any(rel.startswith("link-to-A/") for rel, _ in serial)


def test_the_scan_is_the_same_with_threads_and_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "card"
    _card(root)
    rules = IgnoreRules.default().adding(["SKIP/"])
    threaded = scan_source(root, ignore=rules)
    monkeypatch.setattr(scan_module, "SCAN_THREADS", 0)
    serial = scan_source(root, ignore=rules)
    assert scan_module.SCAN_THREADS == 0
    assert threaded == serial
    assert threaded.ignored == ("SKIP",)
    assert len(threaded.files) == 6 * 6 * 4 + 1


def test_the_first_unlistable_folder_in_walk_order_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two folders whose listing fails (the OS's error for a dying card's folder): the later
    # one in walk order may well be listed first by its thread, yet the error raised is the
    # earlier one's, as without threads.
    src = tmp_path / "card"
    for name in ["A", "B", "C", "D"]:
        (src / name / "sub").mkdir(parents=True)
        (src / name / "sub" / "f.mov").write_bytes(b"f")
    fail_listing(monkeypatch, src / "B", src / "D")
    with pytest.raises(ScanError) as info:
        scan_source(src)
    assert (info.value.errno, info.value.path, info.value.operation) == (
        errno.EIO,
        src / "B",
        "list folder",
    )


def test_a_folder_vanishing_below_the_root_is_a_list_folder_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Really removed when its thread lists it (the real os.scandir then really fails): its
    # lstat was asked with its parent's listing, before, so the scan says it could not list
    # it, as without threads (the root's own entries: tests/unit/test_plan_scan.py).
    src = tmp_path / "card"
    for name in ["A", "B", "C"]:
        (src / "DCIM" / name).mkdir(parents=True)
        (src / "DCIM" / name / "f.mov").write_bytes(b"f")
    lock = threading.RLock()  # rmtree lists with os.scandir too, in the same thread
    removed: set[Path] = set()

    def dying(folder: Path) -> None:
        with lock:
            if folder == src / "DCIM" / "B" and folder not in removed:
                removed.add(folder)
                shutil.rmtree(folder)

    act_before_listing(monkeypatch, dying)
    with pytest.raises(ScanError) as info:
        scan_source(src)
    assert (info.value.errno, info.value.path, info.value.operation) == (
        errno.ENOENT,
        src / "DCIM" / "B",
        "list folder",
    )


def test_an_ignored_folder_that_cannot_be_listed_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its listing may be asked ahead of the walk (and fail): the rules leave it out, so the
    # scan never reports it, as without threads.
    src = tmp_path / "card"
    for name in ["A", "GONE", "Z"]:
        (src / name).mkdir(parents=True)
        (src / name / "f.mov").write_bytes(b"f")
    fail_listing(monkeypatch, src / "GONE")
    tree = scan_source(src, ignore=IgnoreRules.default().adding(["GONE/"]))
    assert [f.relative_path for f in tree.files] == ["A/f.mov", "Z/f.mov"]
    assert tree.ignored == ("GONE",)
    with pytest.raises(ScanError) as info:
        scan_source(src)
    assert (info.value.errno, info.value.path) == (errno.EIO, src / "GONE")


def test_a_file_vanishing_in_a_folder_listed_ahead_is_an_lstat_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Removed between its folder's listing and the lstat asked ahead by a thread: that lstat
    # fails, is asked again by the scan, and the scan names the file, as without threads.
    src = tmp_path / "card"
    (src / "CLIPS").mkdir(parents=True)
    for name in ["a.mov", "b.mov", "c.mov"]:
        (src / "CLIPS" / name).write_bytes(b"x")

    def removing(folder: Path) -> None:
        if folder == src / "CLIPS":
            (src / "CLIPS" / "b.mov").unlink()

    act_after_listing(monkeypatch, removing)
    with pytest.raises(ScanError) as info:
        scan_source(src)
    assert (info.value.errno, info.value.path, info.value.operation) == (
        errno.ENOENT,
        src / "CLIPS" / "b.mov",
        "lstat",
    )


def test_no_thread_is_left_when_the_walk_ends_or_is_left_early(tmp_path: Path) -> None:
    # No thread but those there before (a count would also take one of an earlier test in
    # this process, ending meanwhile: an S3 client's clean-up, for a thread of the walk's).
    root = tmp_path / "card"
    _card(root)
    before = set(threading.enumerate())
    for item in walk_tree(root, workers=4, lstat=True):
        if item.entry.is_dir(follow_symlinks=False):
            item.enter()
    assert set(threading.enumerate()) <= before
    walk = walk_tree(root, workers=4, lstat=True)
    for item in walk:
        item.enter()
        if item.relative.count("/") == 2:
            break
    walk.close()
    assert set(threading.enumerate()) <= before


def test_an_error_other_than_an_os_error_in_a_listing_ahead_is_raised_by_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A listing ahead that raises what is no OSError (a MemoryError on a huge folder) is
    # raised by the walk, its threads ended: before, its thread died without saying the
    # listing done and the walk waited for it for ever.
    src = tmp_path / "card"
    for name in ["A", "B", "C"]:
        (src / name / "sub").mkdir(parents=True)
        (src / name / "sub" / "f.mov").write_bytes(b"f")
    fail_listing(monkeypatch, src / "B", error=lambda _: MemoryError())
    before = set(threading.enumerate())
    outcome: list[BaseException | None] = []

    def walk() -> None:
        try:
            for item in walk_tree(src, workers=4, lstat=True):
                if item.entry.is_dir(follow_symlinks=False):
                    item.enter()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    walker = threading.Thread(target=walk, daemon=True)
    walker.start()
    walker.join(timeout=30)
    assert not walker.is_alive(), "the walk waited for ever for a listing whose thread died"
    assert len(outcome) == 1 and isinstance(outcome[0], MemoryError), outcome
    assert set(threading.enumerate()) <= before
