"""The rule of "may the card be formatted" (report/release.py) on job reports that a real
run rarely makes on one machine: a destination in memory, a report without ``devices``, a
copy trusted from a transfer-mode record, a lost destination."""

from __future__ import annotations

from typing import Any

from offload.report.release import card_release


def report(*statuses: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """One file on destinations 0 and 1, each on a disk of its own, the card on a third."""
    data: dict[str, Any] = {
        "cancelled": False,
        "source_volume": {"mount_point": "/media/CARD"},
        "destinations": [
            {"index": 0, "filesystem": "ext4", "mount_point": "/mnt/a"},
            {"index": 1, "filesystem": "exfat", "mount_point": "/mnt/b"},
        ],
        "devices": [
            {"device": "/dev/sdb", "destinations": [0], "kind": "rotational",
             "source_on_device": False},
            {"device": "/dev/sdc", "destinations": [1], "kind": "non-rotational",
             "source_on_device": False},
        ],
        "files": [
            {"path": "A001C001.MXF", "destinations": [
                {"index": i, **status} for i, status in enumerate(statuses)
            ]},
        ],
    }  # fmt: skip
    data.update(changes)
    return data


VERIFIED = {"status": "verified"}
EARLIER = {"status": "verified_earlier", "verified_mode": "full"}
TRUSTED_TRANSFER = {"status": "transfer_checked", "action": "trusted", "verified_mode": "transfer"}


def test_two_verified_copies_on_two_other_disks() -> None:
    release = card_release(report(VERIFIED, EARLIER))
    assert release.may_format
    assert release.text == (
        "The card may be formatted: every file is verified (read back) on 2 destinations, "
        "on 2 disks other than the card's."
    )


def test_one_verified_copy_is_enough_but_says_it_is_one_backup() -> None:
    release = card_release(report(VERIFIED, TRUSTED_TRANSFER))
    assert release.may_format
    assert "at least 1 destination, on 1 disk" in release.text
    assert "one backup" in release.text


def test_a_copy_trusted_from_a_transfer_record_is_no_verified_copy() -> None:
    release = card_release(report(TRUSTED_TRANSFER, {"status": "transfer_checked"}))
    assert not release.may_format
    assert "only transfer-checked" in release.text


def test_memory_and_the_cards_own_mount_are_no_backup() -> None:
    data = report(VERIFIED, VERIFIED)
    data["destinations"][0]["filesystem"] = "tmpfs"
    data["destinations"][1]["mount_point"] = "/media/CARD"
    release = card_release(data)
    assert not release.may_format
    assert "held in memory (tmpfs)" in release.text


def test_a_report_without_devices_keeps_the_card() -> None:
    release = card_release(report(VERIFIED, VERIFIED, devices=None))
    assert not release.may_format
    assert "does not say which disk" in release.text


def test_a_lost_destination_or_a_cancel_keeps_the_card() -> None:
    data = report(VERIFIED, VERIFIED)
    data["destinations"][1]["lost"] = True
    assert card_release(data).text == "Keep the card: destination 2 was lost."
    assert not card_release(report(VERIFIED, VERIFIED, cancelled=True)).may_format
