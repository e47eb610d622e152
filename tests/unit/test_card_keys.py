"""Card identities compared and read as the same card whoever answered (review findings):
the label is for people, never compared; blkid's and udev's spellings of a label agree."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from offload import card_identity
from offload.card_identity import CardIdentity, same_volume_and_folder
from offload.ledger import LedgerEntry, same_card
from support.requirements import require_tool


def entry(card: str) -> LedgerEntry:
    return LedgerEntry("CLIPS/C001.mov", "verified", 1, 1, {"xxh64": "00"}, card=card)


def test_two_keys_of_one_card_differing_in_label_alone_are_one_card() -> None:
    """Failed before: a card read once with its label (udev's by-label link) and once
    without (a second card labelled alike took the link) was "another card": every copy
    read back, "recorded from another card"."""
    labelled = CardIdentity("EB93-701A", "EOS_DIGITAL", "exfat", "").key
    unlabelled = CardIdentity("EB93-701A", "", "", "").key
    assert same_card(entry(labelled), unlabelled)
    assert same_volume_and_folder(unlabelled, labelled)
    # Another volume, or another folder of one volume (cards on a shuttle drive), is not.
    assert not same_card(entry(labelled), CardIdentity("0000-0001", "EOS_DIGITAL", "", "").key)
    shuttle = CardIdentity("uuid-1", "SHUTTLE", "ext4", "CARDS/A001").key
    assert not same_card(entry(shuttle), CardIdentity("uuid-1", "SHUTTLE", "", "CARDS/A002").key)
    # A key this version cannot read is equal to itself alone.
    assert same_card(entry("future-format"), "future-format")
    assert not same_card(entry("future-format"), labelled)


def test_blkid_reads_a_non_ascii_label_as_udev_names_it(tmp_path: Path) -> None:
    """Failed before: `blkid -o export` gave "CAMÉRA 1" as `CAMM-CM-^IRA 1`, so a run
    answered by blkid and one by udev's links read two labels. A real exFAT image."""
    mkfs = require_tool("mkfs.exfat")
    require_tool("blkid")
    image = tmp_path / "card.img"
    with image.open("wb") as f:
        f.truncate(16 << 20)
    subprocess.run([mkfs, "-L", "CAMÉRA 1", str(image)], check=True, capture_output=True)
    found = card_identity._from_blkid(str(image), 10.0)
    assert found is not None
    uuid, label, filesystem = found
    assert (label, filesystem) == ("CAMÉRA 1", "exfat")
    assert len(uuid) == 9 and uuid[4] == "-"


@pytest.mark.parametrize(
    ("name", "label"), [("CAM\\xc3\\x89RA\\x201", "CAMÉRA 1"), ("CAMÉRA\\x201", "CAMÉRA 1")]
)
def test_a_by_label_link_name_is_read_back_to_its_label(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, label: str
) -> None:
    """udev's link names escape bytes as \\xNN; an escaped byte of a UTF-8 character is a
    byte, not a character of its own (before: U+00C3 U+0089)."""
    device = tmp_path / "sdz1"
    device.write_bytes(b"")
    for folder, link in (("by-uuid", "1234-ABCD"), ("by-label", name)):
        (tmp_path / "disk" / folder).mkdir(parents=True)
        os.symlink(device, tmp_path / "disk" / folder / link)
    monkeypatch.setattr(card_identity, "DISK_LINKS", tmp_path / "disk")
    assert card_identity._from_udev(str(device)) == ("1234-ABCD", label, "")
