"""A card file that changed since its copies were verified (bit rot, an edit with its date put
back), while a copy still holds what was verified: ``--reverify`` keeps that copy and fails
the file, saying the card changed; only a copy unlike both the card and its record is
copied again. Failed before: the intact copy was called wrong ("copy no longer matches ...
differs from the source") and replaced by the card's new bytes, "All 1 file ... verified",
and ``offload verify`` of the copy then said CHANGED."""

from __future__ import annotations

import os
from pathlib import Path

from integration.test_field_filesystems import run, write
from support.cards import corrupt_keeping_size_and_mtime

CLIP = "CLIPS/C.mov"


def test_reverify_keeps_a_copy_as_verified_when_the_card_file_changed(tmp_path: Path) -> None:
    card, dest, reports = tmp_path / "C", tmp_path / "D", tmp_path / "reports"
    write(card / CLIP, os.urandom(1 << 20))
    dest.mkdir()
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    copy = dest / "C" / CLIP
    verified = copy.read_bytes()
    corrupt_keeping_size_and_mtime(card / CLIP)
    result = run("copy", "--reverify", card, dest, "--report-dir", reports)
    out = result.stdout + result.stderr
    assert result.returncode == 2, out  # the one file failed: nothing verified
    assert copy.read_bytes() == verified
    assert "no longer matches" not in out and "copying it again" not in out, out
    line = next(x for x in result.stderr.splitlines() if "differs from what was verified on" in x)
    assert str(card / CLIP) in line and str(copy) in line, line
    assert "still matches that record and is kept, not written over" in line, line
    assert "check the card" in line and "--into" in line, line
    # The copy is still what every record of it says: its ledger and ASC MHL agree.
    checked = run("verify", dest / "C")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_reverify_still_copies_again_a_copy_unlike_the_card_and_its_record(
    tmp_path: Path,
) -> None:
    card, dest, reports = tmp_path / "C", tmp_path / "D", tmp_path / "reports"
    write(card / CLIP, os.urandom(1 << 20))
    dest.mkdir()
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    corrupt_keeping_size_and_mtime(card / CLIP)
    corrupt_keeping_size_and_mtime(dest / "C" / CLIP, at=600_000)  # the copy rotted too, elsewhere
    result = run("copy", "--reverify", card, dest, "--report-dir", reports)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "copy no longer matches, copying it again" in result.stderr
    assert (dest / "C" / CLIP).read_bytes() == (card / CLIP).read_bytes()
