"""A copy root whose ledger is gone (deleted, lost) but whose ASC MHL history stands, one
of its copies damaged (a byte flipped): a plain ``offload copy`` reads it back unlike the
card and refuses it, naming it damaged against what the copy root's own history records
for it (the card's content), and the way to repair it. Before: "already exists with other
content", as for any foreign file in the way."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from support.cards import flip_bytes
from support.offload_cli import offloaded_card, run_offload


def test_a_damaged_copy_its_history_records_is_named_damaged(tmp_path: Path) -> None:
    disk = offloaded_card(tmp_path, clip="A001C{:03d}.mov")
    root = disk / "A001"
    (root / ".offload" / "ledger.jsonl").unlink()
    copy = root / "CLIPS" / "A001C001.mov"
    flip_bytes(copy, 20_000, 1)
    done = run_offload(
        "copy", "--report-dir", tmp_path / "jobs", "--into", tmp_path / "A001", root, timeout_s=60
    )
    flat = " ".join(done.stderr.split())
    assert done.returncode == 1, done.stderr
    assert "already exists with other content" not in flat, flat
    assert (
        f"{copy} differs from what this copy root's ASC MHL history records for it (xxh64 "
    ) in flat, flat
    assert (
        "the card's file as read now): the copy there is damaged; not overwritten, as no "
        "ledger entry there records it as ours (--overwrite replaces it once the new copy is "
        "verified, --keep-both keeps both)"
    ) in flat, flat


def test_another_cards_file_the_history_records_otherwise_is_other_content(
    tmp_path: Path,
) -> None:
    """The opposite case: the ledger gone, the file at a card file's path is another card's
    (what the copy root's history records there, not this card's content): it is not named
    damaged, but "already exists with other content", as any file in the way."""
    disk = offloaded_card(tmp_path, clip="A001C{:03d}.mov")
    root = disk / "A001"
    (root / ".offload" / "ledger.jsonl").unlink()
    other = tmp_path / "other" / "A001"
    shutil.copytree(tmp_path / "A001", other)  # its other files the same (size, date)
    clip = other / "CLIPS" / "A001C001.mov"
    clip.write_bytes(os.urandom(clip.stat().st_size))  # this card's own, unlike the copy
    done = run_offload(
        "copy", "--report-dir", tmp_path / "jobs", "--into", other, root, timeout_s=60
    )
    flat = " ".join(done.stderr.split())
    assert done.returncode == 1, done.stderr
    copy = root / "CLIPS" / "A001C001.mov"
    assert f"{copy} already exists with other content" in flat, flat
    assert "the copy there is damaged" not in flat and "history records for it" not in flat
