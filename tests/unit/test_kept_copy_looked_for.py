"""``card._kept_copy``: the copy an earlier ``--keep-both`` run kept beside a file in the way
(its ledger line unwritten), looked for by its own name beside the file at the planned name,
with the card file's size and date, never a name the ledger records for another card file."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from offload.card import _kept_copy
from offload.model import SourceFile

MTIME = 1_700_000_000_123_456_789


def _file(path: Path, size: int = 100, mtime_ns: int = MTIME) -> Path:
    path.write_bytes(b"x" * size)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def _card_file(relative: str) -> SourceFile:
    return SourceFile(Path("/card") / relative, relative, 100, MTIME)


def test_the_kept_name_is_made_from_the_planned_name_as_spelled_there(tmp_path: Path) -> None:
    """The destination spells the name otherwise than the card (composed, NFC, there;
    decomposed, NFD, on the card): the committer made the kept name from the name there.
    Failed before: built from the card's spelling, it never matched (None)."""
    there = unicodedata.normalize("NFC", "Café.bin")
    on_card = unicodedata.normalize("NFD", "Café.bin")
    _file(tmp_path / there, size=5)
    kept = _file(tmp_path / unicodedata.normalize("NFC", "Café (1).bin"))
    found = _kept_copy(str(tmp_path / there), _card_file(f"A001/{on_card}"), frozenset())
    assert found == str(kept)


def test_a_file_of_another_date_is_not_taken_for_ours(tmp_path: Path) -> None:
    """Another tool's ``f0 (1).bin`` of the card file's size but its own date is passed
    over (a copy of ours has the card file's date); the first free name ends the search.
    Failed before: it was returned, read back each run, adopted as ours if equal."""
    _file(tmp_path / "f0.bin", size=5)
    _file(tmp_path / "f0 (1).bin", mtime_ns=MTIME + 60_000_000_000)
    assert _kept_copy(str(tmp_path / "f0.bin"), _card_file("f0.bin"), frozenset()) is None
    ours = _file(tmp_path / "f0 (2).bin")
    assert _kept_copy(str(tmp_path / "f0.bin"), _card_file("f0.bin"), frozenset()) == str(ours)


def test_a_name_the_ledger_records_for_another_card_file_is_passed_over(tmp_path: Path) -> None:
    """``f0 (1).bin`` is recorded by the ledger's entry of ``f0.bin`` (another card file's
    kept copy, of the same size and date by chance): never read back as this one's.
    Failed before: returned, read back in full every run."""
    _file(tmp_path / "f0.bin", size=5)
    _file(tmp_path / "f0 (1).bin")
    found = _kept_copy(
        str(tmp_path / "f0.bin"), _card_file("f0.bin"), frozenset(), recorded_name="f0 (1).bin"
    )
    assert found is None


def test_a_kept_copy_whose_date_the_drive_rounded_is_found(tmp_path: Path) -> None:
    """FAT keeps dates in 2 s steps (exFAT and fusefat round too): the kept copy's date is
    the card file's rounded down. Failed before (review): the exact date test passed over
    it, and each --keep-both run wrote one more copy beside the file in the way."""
    _file(tmp_path / "f0.bin", size=5)
    kept = _file(tmp_path / "f0 (1).bin", mtime_ns=MTIME - MTIME % 2_000_000_000)
    assert _kept_copy(str(tmp_path / "f0.bin"), _card_file("f0.bin"), frozenset()) == str(kept)
