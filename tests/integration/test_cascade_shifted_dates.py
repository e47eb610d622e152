"""A cascade with a drive that shows every date shifted from the one set: fusefat under a
time zone other than UTC (FAT holds local time). Its copies are read back and intact: they
are verified (one date-shift warning, ``dates_kept``), and the checks before the manifests
(``cascade._changed_since_verified`` for the fast copies, ``local_looked_again`` for the
slow drives') compare a copy's date with the one it showed when this run's read-back
verified it (``Ledger.dated_as_verified``), never with the card file's alone.

Failed before (review of reads67, H1): fast or slow, every copy on that drive was failed
"... found with another modification time than the card's file ...", revoked from its
ledger and left out of its manifest (no ``ascmhl/`` there), exit 1. Real fusefat mounts
under ``TZ=Asia/Tokyo``, the real CLI, no mocks."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from support import mounts
from support.offload_cli import copy_with_reports_in

# 2023-11-14, a date every FAT holds.
CARD_DATE_NS = 1_700_000_000_000_000_000


def _card(cards: Path) -> Path:
    card = cards / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for index in range(2):
        clip = card / "CLIPS" / f"C{index}.mov"
        clip.write_bytes(os.urandom(120_000 + index))
        os.utime(clip, ns=(CARD_DATE_NS, CARD_DATE_NS))
    return card


@pytest.mark.parametrize("fat_is", ["fast", "slow"])
def test_a_drive_showing_dates_shifted_keeps_its_copies_verified(
    tmp_path: Path,
    cards: Path,
    fusefat_mount: Callable[..., mounts.Mount],
    monkeypatch: pytest.MonkeyPatch,
    fat_is: str,
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # fusefat's, started below: its local time
    fat = fusefat_mount(32 << 20).path
    monkeypatch.setenv("TZ", "UTC")
    card = _card(cards)
    ext4 = tmp_path / "D4"
    ext4.mkdir()
    fast, slow = (fat, ext4) if fat_is == "fast" else (ext4, fat)
    code, err = copy_with_reports_in(tmp_path, str(card), str(fast), "--cascade-to", str(slow))
    shown = (fat / "A001" / "CLIPS" / "C0.mov").stat().st_mtime_ns
    assert abs(shown - CARD_DATE_NS) > 3600 * 10**9, (
        f"fusefat kept the card's date: the test proves nothing ({shown})"
    )
    assert "shows it 9 h earlier" in err, err
    assert "another modification time" not in err, err
    assert code == 0, err
    assert "All 2 files" in err and "verified on every destination" in err, err
    assert list((fat / "A001" / "ascmhl").glob("*.mhl")), "no manifest on the shifting drive"
    ledger = (fat / "A001" / ".offload" / "ledger.jsonl").read_text()
    assert '"revoked"' not in ledger, ledger
