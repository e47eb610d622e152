"""fs/readahead.py: the card's first small files asked of the disk while the command loads.

Real files on the test's filesystem, their pages dropped first (``POSIX_FADV_DONTNEED`` after
``fsync``), then looked at with ``mincore`` (``fs.ops.cached_pages``): a file asked for comes
into the page cache, one not asked for stays out of it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from offload.fs.ops import cached_pages
from offload.fs.readahead import read_ahead
from support.page_cache import on_tmpfs, pages_cached

SIZE = 64 * 1024


def _drop(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        assert cached_pages(fd, os.fstat(fd).st_size) == 0, f"{path} stayed in the page cache"
    finally:
        os.close(fd)


def _whole_soon(path: Path) -> bool:
    """Whether every page of *path* is cached within 10 s (the hint's read is the kernel's,
    in the background)."""
    pages = (path.stat().st_size + 4095) // 4096
    deadline = time.monotonic() + 10
    while pages_cached(path) < pages:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def card(tmp_path: Path) -> Path:
    if on_tmpfs(tmp_path):
        pytest.skip("the temporary folder is on tmpfs, whose pages cannot be dropped")
    root = tmp_path / "CARD"
    for name in ("A/1.MP4", "A/2.MP4", "B/3.MP4", "B/4.MP4", "Z.XML"):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(SIZE))
    (root / "B" / "big.MOV").write_bytes(os.urandom(4 * SIZE))
    (root / "empty").write_bytes(b"")
    for path in root.rglob("*"):
        if path.is_file():
            _drop(path)
    return root


def test_the_first_small_files_in_the_scans_order_come_into_the_page_cache(card: Path) -> None:
    """The files asked for are the first ones in the walk's order (folders' entries sorted,
    depth first), at most ``max_files``; the others stay on the disk only."""
    assert read_ahead(str(card), below=2 * SIZE, max_files=3) == 3
    for name in ("A/1.MP4", "A/2.MP4", "B/3.MP4"):
        assert _whole_soon(card / name), name
    for name in ("B/4.MP4", "Z.XML"):
        assert pages_cached(card / name) == 0, name


def test_files_the_reader_streams_past_the_cache_are_not_asked_for(card: Path) -> None:
    """A file of the read block or more (the reader reads it with O_DIRECT: a cached page
    would not serve it, and it would be read twice), and an empty one, are not asked for."""
    assert read_ahead(str(card), below=2 * SIZE) == 5
    assert pages_cached(card / "B" / "big.MOV") == 0
    assert _whole_soon(card / "Z.XML")


def test_no_more_bytes_than_the_budget_are_asked_for(card: Path) -> None:
    assert read_ahead(str(card), below=2 * SIZE, max_bytes=2 * SIZE + 1) == 2
    assert pages_cached(card / "B" / "3.MP4") == 0


def test_a_symlink_is_not_followed(card: Path, tmp_path: Path) -> None:
    """A link of the card (to a file outside it) is the scan's to judge: nothing is asked
    through it."""
    outside = tmp_path / "outside.bin"
    outside.write_bytes(os.urandom(SIZE))
    _drop(outside)
    link_card = tmp_path / "LINKS"
    link_card.mkdir()
    (link_card / "clip.MP4").symlink_to(outside)
    assert read_ahead(str(link_card), below=2 * SIZE) == 0
    assert pages_cached(outside) == 0


def test_one_file_as_the_source(card: Path) -> None:
    assert read_ahead(str(card / "Z.XML"), below=2 * SIZE) == 1
    assert _whole_soon(card / "Z.XML")
    assert read_ahead(str(card / "B" / "big.MOV"), below=2 * SIZE) == 0


def test_a_source_that_cannot_be_read_asks_for_nothing_and_raises_nothing(tmp_path: Path) -> None:
    assert read_ahead(str(tmp_path / "missing"), below=SIZE) == 0
    assert read_ahead("bad\0name", below=SIZE) == 0
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert read_ahead(str(fifo), below=SIZE) == 0
