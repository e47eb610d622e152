"""A cascade whose fast copy is on a filesystem that keeps coarser dates than the card's
(exFAT and FAT through FUSE: whole seconds or 2 s; NTFS: 100 ns): the slow copies get the
card's date and their ledgers record it, so a re-run, with the card or without it, finds
them verified earlier. Real filesystems on loop devices, the real CLI, no mocks.

Failed before (QA): the slow copies were dated from the fast copy (10:09:48.000 for a card
file of 10:09:48.715387570) and their ledger recorded that date; the same command again
exited 64, "... holds another card's offload (its ledger records 3 files ... none on this
card at its size and date ...)", and so did a plain ``offload copy CARD SLOW``; a re-run
without the card was refused ("its ledger does not record ... verified as it is now")."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from support import mounts
from support.offload_cli import copy_with_reports_in

# A card file's date with a fraction of a second none of the three filesystems keeps whole
# (NTFS keeps 100 ns: ...5700 is not a multiple of 100), an odd second FAT rounds too.
CARD_DATE_NS = 1_796_465_389_715_387_573


cli = copy_with_reports_in


def _card(cards: Path) -> Path:
    card = cards / "CASC"
    (card / "C").mkdir(parents=True)
    for index in range(3):
        clip = card / "C" / f"k{index}.mov"
        clip.write_bytes(os.urandom(150_000 + index))
        os.utime(clip, ns=(CARD_DATE_NS, CARD_DATE_NS + index))
    return card


def _ledger_dates(root: Path) -> dict[str, int]:
    lines = (root / ".offload" / "ledger.jsonl").read_text().splitlines()
    return {e["relative_path"]: e["mtime_ns"] for e in map(json.loads, lines)}


def _fast(kind: str, request: pytest.FixtureRequest) -> mounts.Mount:
    factory: Callable[..., mounts.Mount] = request.getfixturevalue(kind)
    return factory(32 << 20)


@pytest.mark.parametrize("kind", ["exfat_loop", "ntfs_loop", "fusefat_mount"])
def test_a_cascade_rerun_finds_its_slow_copies_verified_earlier(
    tmp_path: Path, cards: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    card = _card(cards)
    fast = _fast(kind, request).path
    slow = tmp_path / "SLOW"
    slow.mkdir()
    args = (str(card), str(fast), "--cascade-to", str(slow))
    code, err = cli(tmp_path, *args)
    assert code == 0, err
    shown = {p.name: p.stat().st_mtime_ns for p in (fast / "CASC" / "C").iterdir()}
    assert any(date != CARD_DATE_NS + int(name[1]) for name, date in shown.items()), (
        f"{kind} kept the card's dates whole: the test proves nothing there ({shown})"
    )
    card_dates = {f"C/k{i}.mov": CARD_DATE_NS + i for i in range(3)}
    # The slow copies have the card's dates, and their ledger records them.
    for relative, date in card_dates.items():
        assert (slow / "CASC" / relative).stat().st_mtime_ns == date, relative
    assert _ledger_dates(slow / "CASC") == card_dates

    code, err = cli(tmp_path, *args)
    assert code == 0, err
    assert "another card" not in err and "where the destination's ledger records" not in err
    assert "all 6 copies earlier (not re-read" in err, err
    # A plain offload to the slow destination alone trusts them too.
    code, err = cli(tmp_path, str(card), str(slow))
    assert code == 0, err
    assert "all 3 copies earlier" in err, err


@pytest.mark.parametrize("kind", ["exfat_loop", "ntfs_loop"])
def test_without_the_card_the_fast_copy_feeds_the_cards_dates(
    tmp_path: Path, cards: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    """The card gone, its fast copy (dates rounded) stands for it: the slow copies get the
    card's dates its ledger records, and a re-run, with or without the card, trusts them."""
    card = _card(cards)
    fast = _fast(kind, request).path
    slow = tmp_path / "SLOW"
    slow.mkdir()
    args = (str(card), str(fast), "--cascade-to", str(slow))
    code, err = cli(tmp_path, *args)
    assert code == 0, err
    if not (fast / "CASC" / ".offload" / "cascade-card.json").exists():
        pytest.skip(f"the card was not released on {kind} here (its image in memory?): {err}")
    # Only the fast copy holds the card now: the slow one is fed again without it.
    for copy in (slow / "CASC" / "C").iterdir():
        copy.unlink()
    (slow / "CASC" / ".offload" / "ledger.jsonl").unlink()
    card.rename(card.with_name("gone"))
    code, err = cli(tmp_path, *args)
    assert code == 0, err
    assert "is absent: the source is its fast copy" in err, err
    card_dates = {f"C/k{i}.mov": CARD_DATE_NS + i for i in range(3)}
    for relative, date in card_dates.items():
        assert (slow / "CASC" / relative).stat().st_mtime_ns == date, relative
    assert _ledger_dates(slow / "CASC") == card_dates
    code, err = cli(tmp_path, *args)
    assert code == 0 and "all 3 copies earlier" in err, err
    card.with_name("gone").rename(card)
    code, err = cli(tmp_path, *args)
    assert code == 0 and "all 6 copies earlier" in err, err


def test_an_older_slow_folder_with_rounded_dates_is_adopted_by_the_into_rerun(
    tmp_path: Path, cards: Path, exfat_loop: Callable[..., mounts.ExfatLoop]
) -> None:
    """A slow folder an older version cascaded from exFAT (its copies and ledger dated as the
    fast copy: whole seconds) is still refused as another card's (its rounded date and size
    are all its entries say); the refusal's --into re-run reads those copies back against the
    card and adopts them with the card's dates, and the same command then exits 0, as the
    README says."""
    card = _card(cards)
    fast = exfat_loop(32 << 20).path
    slow = tmp_path / "SLOW"
    slow.mkdir()
    args = (str(card), str(fast), "--cascade-to", str(slow))
    assert cli(tmp_path, *args)[0] == 0
    # What an older version left: each slow copy and its ledger entry dated as the fast copy.
    ledger = slow / "CASC" / ".offload" / "ledger.jsonl"
    entries = [json.loads(line) for line in ledger.read_text().splitlines()]
    for entry in entries:
        shown = (fast / "CASC" / entry["relative_path"]).stat().st_mtime_ns
        assert shown != entry["mtime_ns"]
        entry["mtime_ns"] = shown
        os.utime(slow / "CASC" / entry["relative_path"], ns=(shown, shown))
    ledger.write_text("".join(json.dumps(e) + "\n" for e in entries))
    code, err = cli(tmp_path, *args)
    assert code == 64 and "holds another offload, of this card or another" in err, err
    assert "cascaded by an older version, dated as its fast copy" in err, err
    into = (str(slow / "CASC"),)
    code, err = cli(tmp_path, "--into", str(card), str(fast / "CASC"), *into, "--cascade-to", *into)
    assert code == 0, err
    assert "read back, found equal to the source and adopted" in err, err
    assert "probably an older version's cascade, which dated it as its fast copy" in err, err
    assert _ledger_dates(slow / "CASC") == {f"C/k{i}.mov": CARD_DATE_NS + i for i in range(3)}
    code, err = cli(tmp_path, *args)
    assert code == 0 and "all 6 copies earlier" in err, err
