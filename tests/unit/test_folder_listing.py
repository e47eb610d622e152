"""``fs.listing.FolderListings``: one listing a folder answers what the plan's ``lstat``s
and ``lexists`` answered, on real filesystems; and a ledger entry vouches, through it, only
for the regular file at its name whose partial is gone (``Ledger.recorded``). Every name
kind a destination can hold at re-run time: a regular file, a link (to a file, dangling), a
folder, a FIFO, a name with bytes that are no UTF-8, a name not there; and on exFAT (which
finds a name whatever its case) a name asked in another case than listed."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offload.fs.listing import KEEP, FolderListings
from offload.ledger import Ledger, LedgerEntry, verified_entry

MTIME_NS = 1_700_000_000_000_000_000
NOT_UTF8 = os.fsdecode(b"A001C\xff\xfe.MOV")  # surrogate escapes, as a scan spells it


def _answer(
    call: Callable[[str], os.stat_result], path: str | Path
) -> tuple[int, int, int] | type[OSError]:
    """What an lstat of *path* answered: the file (inode, mode, size), or the error's type."""
    try:
        st = call(str(path))
    except OSError as exc:
        return type(exc)
    return st.st_ino, st.st_mode, st.st_size


def _names(folder: Path) -> list[str]:
    """Every kind of name at re-run time, made in *folder*; and names not there."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "clip.mov").write_bytes(b"0123456789")
    (folder / NOT_UTF8).write_bytes(b"x" * 7)
    os.symlink("clip.mov", folder / "link.mov")
    os.symlink("gone.mov", folder / "dangling.mov")
    (folder / "sub").mkdir()
    os.mkfifo(folder / "fifo.mov")
    return ["clip.mov", NOT_UTF8, "link.mov", "dangling.mov", "sub", "fifo.mov", "none.mov"]


def test_each_answer_is_the_calls_own_for_every_kind_of_name(tmp_path: Path) -> None:
    folder = tmp_path / "dest" / "CLIPS"
    names = _names(folder)
    listing = FolderListings()
    for name in [*names, "sub/inner.mov", "clip.mov/x"]:
        path = f"{folder}/{name}"
        assert _answer(listing.lstat, path) == _answer(os.lstat, path), name
        assert listing.lexists(path) == os.path.lexists(path), name
        regular = listing.regular(path)
        expected = name in ("clip.mov", NOT_UTF8)
        assert (regular is not None) == expected, name
        assert regular is None or stat.S_ISREG(regular.st_mode)
    # A folder not there, and the listing of more folders than it keeps.
    assert _answer(listing.lstat, f"{tmp_path}/none/clip.mov") is FileNotFoundError
    for index in range(KEEP + 1):
        (tmp_path / f"f{index}" / "x").mkdir(parents=True)
    for index in range(KEEP + 1):
        assert listing.lexists(f"{tmp_path}/f{index}/x")
    assert _answer(listing.lstat, folder / "clip.mov") == _answer(os.lstat, folder / "clip.mov")


def test_on_exfat_a_name_asked_in_another_case_is_found_as_the_filesystem_finds_it(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """exFAT finds "clip.mov" under "CLIP.MOV": the listing holds only the latter, so a
    listing that answered its own miss ("not there") would tell the plan nothing is at a
    name where an lstat finds a file (and a partial gone that is still there)."""
    drive = exfat_loop().path
    (drive / "CLIP.MOV").write_bytes(b"0123456789")
    (drive / ".OFFLOAD-PARTIAL.ABC.CLIP.MOV").write_bytes(b"0")
    listing = FolderListings()
    for name in ("clip.mov", "Clip.Mov", ".offload-partial.abc.clip.mov", "other.mov"):
        path = f"{drive}/{name}"
        assert _answer(listing.lstat, path) == _answer(os.lstat, path), name
        assert listing.lexists(path) == os.path.lexists(path), name
    assert listing.lexists(f"{drive}/clip.mov")
    assert listing.regular(f"{drive}/clip.mov") is not None


def _entry(name: str, size: int, partial: str = "") -> LedgerEntry:
    return verified_entry(
        f"CLIPS/{name}", size_bytes=size, mtime_ns=MTIME_NS, digests={"xxh64": "00"},
        partial_name=partial, final_name="", verify="destination", recorded_at=1.0,
    )  # fmt: skip


def _vouched(ledger: Ledger, entry: LedgerEntry, listing: FolderListings | None) -> bool:
    entries = {entry.relative_path: entry}
    found = ledger.recorded(
        entry.relative_path,
        size_bytes=entry.size_bytes,
        mtime_ns=MTIME_NS,
        algorithms=("xxh64",),
        entries=entries,
        listing=listing,
    )
    return found is not None


@pytest.mark.parametrize("through", ["lstat", "listing"])
def test_an_entry_vouches_only_for_the_regular_file_at_its_name(
    tmp_path: Path, through: str
) -> None:
    """A link or a folder at the name, of the recorded size and date, is no copy of ours.
    Failed before (``lstat``): a link whose target's name is as long as the copy was, its
    date set to the copy's (``touch -h``), was vouched for (the size and mtime alone)."""
    folder = tmp_path / "CLIPS"
    folder.mkdir()
    ledger = Ledger(tmp_path)

    def listing() -> FolderListings | None:
        return FolderListings() if through == "listing" else None

    (folder / "clip.mov").write_bytes(b"0123456789")
    (folder / NOT_UTF8).write_bytes(b"x" * 7)
    os.symlink("0123456789", folder / "link.mov")  # 10 bytes, as the copy recorded
    for name in ("clip.mov", NOT_UTF8, "link.mov"):
        os.utime(folder / name, ns=(MTIME_NS, MTIME_NS), follow_symlinks=False)
    assert _vouched(ledger, _entry("clip.mov", 10), listing())
    assert _vouched(ledger, _entry(NOT_UTF8, 7), listing())
    assert not _vouched(ledger, _entry("link.mov", 10), listing())
    os.mkdir(folder / "sub.mov")
    size = os.lstat(folder / "sub.mov").st_size  # a folder's own size on this filesystem
    os.utime(folder / "sub.mov", ns=(MTIME_NS, MTIME_NS))
    assert not _vouched(ledger, _entry("sub.mov", size), listing())
    # Its partial still there (the rename never happened): not ours.
    (folder / ".offload-partial.abc.clip.mov").write_bytes(b"")
    assert not _vouched(ledger, _entry("clip.mov", 10, ".offload-partial.abc.clip.mov"), listing())
    assert _vouched(ledger, _entry("clip.mov", 10, ".offload-partial.abd.clip.mov"), listing())


def test_on_exfat_a_partial_still_there_in_another_case_keeps_the_copy_untrusted(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """The partial an entry names is found by exFAT under its name spelled otherwise: the
    rename never happened as far as the filesystem says, so the copy is not trusted, as
    with the ``lstat``s the listing replaced."""
    drive = exfat_loop().path
    (drive / "CLIPS").mkdir()
    (drive / "CLIPS" / "CLIP.MOV").write_bytes(b"0123456789")
    os.utime(drive / "CLIPS" / "CLIP.MOV", ns=(MTIME_NS, MTIME_NS))
    (drive / "CLIPS" / ".OFFLOAD-PARTIAL.ABC.CLIP.MOV").write_bytes(b"")
    ledger = Ledger(drive)
    partial = ".offload-partial.abc.CLIP.MOV"
    assert not _vouched(ledger, _entry("CLIP.MOV", 10, partial), None)
    assert not _vouched(ledger, _entry("CLIP.MOV", 10, partial), FolderListings())
    # The copy asked for in another case: found as the filesystem finds it.
    assert _vouched(ledger, _entry("clip.mov", 10), FolderListings())
    assert _vouched(ledger, _entry("clip.mov", 10), None)
