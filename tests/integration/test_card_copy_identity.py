"""Copies of one card are that card to the next copy root: a source that is a copy root of
ours carries the identity its ledger records (the card's volume and folder), never the
drive it is on. The shuttle flow on real exFAT volumes (loop devices, exfat-fuse, each
with a serial of its own): card -> DRIVE_A (the DIT's copy) -> SHUTTLE (a copy of that copy,
by offload or by ``rsync -a``) -> RAID, topped up from another copy or the card itself.
Each test runs the real CLI in a subprocess."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from integration.test_card_identity import NAMES, ledger_lines, shoot, statuses
from integration.test_field_filesystems import newest_report, run
from offload.card_identity import card_identity


def _volume(exfat_loop: Any, path: Path, serial: int) -> Path:
    return Path(exfat_loop(16 << 20, path=path, serial=serial).path)


def _copy(reports: Path, *args: str | Path) -> tuple[int, str]:
    done = run("copy", "--report-dir", reports, *args)
    return done.returncode, done.stdout + done.stderr


def test_a_copy_of_the_dits_copy_and_the_card_itself_are_one_card_on_the_shuttle(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """QA repro B: ``offload copy DRIVE_A/A001 SHUTTLE`` then ``offload copy CARD SHUTTLE``
    was refused, exit 64, "holds another card's offload (... folder A001 of DRIVE_A's volume;
    this card: ... volume <card>)": the first run recorded the drive's identity, not the
    card's. Failed before (exit 64). Now the shuttle's entries record the card, and the card
    itself finds its copies there, each trusted from the ledger (verified earlier)."""
    card = _volume(exfat_loop, tmp_path / "reader" / "A001", 0x7B3DD26C)
    drive_a = _volume(exfat_loop, tmp_path / "DRIVE_A", 0x0A0A0A0A)
    shuttle, reports = tmp_path / "SHUTTLE", tmp_path / "reports"
    shuttle.mkdir()
    shoot(card, b"take 1 ")
    identity = card_identity(card)
    assert identity is not None and identity != card_identity(drive_a)

    assert _copy(reports, card, drive_a)[0] == 0
    code, out = _copy(reports, drive_a / "A001", shuttle)
    assert code == 0, out
    # The shuttle's ledger records the card, not DRIVE_A's volume and folder.
    assert {line["card"] for line in ledger_lines(shuttle / "A001")} == {identity.key}
    assert newest_report(reports)["card"]["volume_id"] == identity.volume_id

    code, out = _copy(reports, card, shuttle)
    assert code == 0, out
    assert "another card" not in out, out
    assert statuses(newest_report(reports)) == dict.fromkeys(NAMES, "verified_earlier")


def test_an_rsync_of_the_dits_copy_and_the_dits_copy_are_one_card_on_the_raid(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """QA repro A: the DIT's copy rsync'd (``rsync -a``: its ``.offload/`` and ``ascmhl/``
    along) to a shuttle drive; that copy offloaded to RAID/x, then the DIT's copy into the
    same RAID/x was refused as "another card's offload" (folder rs/A001 of the shuttle's
    volume against folder clean/A001 of DRIVE_A's), its advice a duplicate folder
    ``A001_2`` of the same card. Failed before (exit 64). Now both are the card, and the
    second run trusts the copies the first made."""
    card = _volume(exfat_loop, tmp_path / "reader" / "A001", 0x1A2B3C4D)
    drive_a = _volume(exfat_loop, tmp_path / "DRIVE_A", 0x0B0B0B0B)
    shuttle = _volume(exfat_loop, tmp_path / "SHUTTLE", 0x0C0C0C0C)
    raid, reports = tmp_path / "RAID" / "x", tmp_path / "reports"
    raid.mkdir(parents=True)
    (drive_a / "clean").mkdir()
    shoot(card, b"take 1 ")
    identity = card_identity(card)
    assert identity is not None

    assert _copy(reports, card, drive_a / "clean")[0] == 0
    # rsync -a: every entry, the dates kept (copy2), the state and history folders too.
    shutil.copytree(drive_a / "clean" / "A001", shuttle / "rs" / "A001")
    code, out = _copy(reports, shuttle / "rs" / "A001", raid)
    assert code == 0, out
    code, out = _copy(reports, drive_a / "clean" / "A001", raid)
    assert code == 0, out
    assert "another card" not in out and "mkdir" not in out, out
    assert statuses(newest_report(reports)) == dict.fromkeys(NAMES, "verified_earlier")
    assert {line["card"] for line in ledger_lines(raid / "A001")} == {identity.key}


def test_a_copy_of_another_card_of_the_same_name_is_still_another_card(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Never merged: card 1's copy on DRIVE_A offloaded to the shuttle, then card 2 (the
    same folder name A001, the same clip names, sizes and dates, another volume) into the
    same shuttle: refused as another card's offload, as two cards of one name always are;
    and the other way round, card 2's copy after card 1's copy."""
    first = _volume(exfat_loop, tmp_path / "reader1" / "A001", 0x11112222)
    second = _volume(exfat_loop, tmp_path / "reader2" / "A001", 0x33334444)
    drive_a = _volume(exfat_loop, tmp_path / "DRIVE_A", 0x0D0D0D0D)
    shuttle, reports = tmp_path / "SHUTTLE", tmp_path / "reports"
    shuttle.mkdir()
    (drive_a / "one").mkdir()
    (drive_a / "two").mkdir()
    shoot(first, b"take 1 ")
    shoot(second, b"take 2 ")
    assert _copy(reports, first, drive_a / "one")[0] == 0
    assert _copy(reports, second, drive_a / "two")[0] == 0
    assert _copy(reports, drive_a / "one" / "A001", shuttle)[0] == 0

    code, out = _copy(reports, second, shuttle)
    assert code == 64 and "holds another card's offload" in out, out
    code, out = _copy(reports, drive_a / "two" / "A001", shuttle)
    assert code == 64 and "holds another card's offload" in out, out
    for name in NAMES:  # nothing merged: card 1's clips still there
        assert (shuttle / "A001" / name).read_bytes() == (first / name).read_bytes()
