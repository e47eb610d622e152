"""The rule of "may the card be formatted" (report/release.py) on job reports that a real
run rarely makes on one machine: a destination in memory, a report without ``devices``, a
copy trusted from a transfer-mode record, a lost destination."""

from __future__ import annotations

import posixpath
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offload.report.release import INDEX_FILES, card_release, index_file


def report(*statuses: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """One file on destinations 0 and 1, each on a disk of its own, the card on a third."""
    data: dict[str, Any] = {
        "cancelled": False,
        "source_volume": {"mount_point": "/media/CARD", "filesystem": "exfat",
                          "disk": "/dev/sdd"},
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


VERIFIED = {"status": "verified", "cache_bypass": "o_direct"}
EARLIER = {"status": "verified_earlier", "verified_mode": "full"}
TRUSTED_TRANSFER = {"status": "transfer_checked", "action": "trusted", "verified_mode": "transfer"}


def test_two_verified_copies_on_two_other_disks() -> None:
    release = card_release(report(VERIFIED, EARLIER))
    assert release.may_format
    assert release.text == (
        "The card may be formatted: every file is verified (read back) on 2 disks other than "
        "the card's."
    )


def test_one_verified_copy_is_enough_but_says_it_is_one_backup() -> None:
    """Destination 2's copy, transfer-checked only, is named as not counted. Failed before:
    the answer never mentioned it."""
    data = report(VERIFIED, TRUSTED_TRANSFER)
    data["destinations"][1]["copy_root"] = "/mnt/b/A001"
    release = card_release(data)
    assert release.may_format
    assert release.text == (
        "The card may be formatted: every file is verified (read back) on 1 disk other than "
        "the card's. That is one backup: keep the card if your production wants two. Not "
        "counted: destination 2 (/mnt/b/A001) holds 1 copy transfer-checked only (never read "
        "back); --verify destination reads it back."
    )


def test_a_transfer_checked_copy_on_the_cards_disk_is_not_said_to_count_once_read() -> None:
    """A third destination on the card's own disk holding a copy transfer-checked only: no
    read-back would make it count, so the "--verify destination reads it back" line does not
    name it. Failed before: "Not counted: destination 3 (/media/CARD/backup/A001) holds 1
    copy transfer-checked only (never read back); --verify destination reads it back."""
    data = report(VERIFIED, VERIFIED, TRUSTED_TRANSFER)
    data["destinations"].append(
        {"index": 2, "filesystem": "exfat", "mount_point": "/media/CARD",
         "copy_root": "/media/CARD/backup/A001"}
    )  # fmt: skip
    data["devices"].append(
        {"device": "/dev/sdd", "destinations": [2], "kind": "non-rotational",
         "source_on_device": True}
    )  # fmt: skip
    release = card_release(data)
    assert release.may_format
    assert release.text == (
        "The card may be formatted: every file is verified (read back) on 2 disks other than "
        "the card's."
    )


def test_a_transfer_checked_copy_on_the_cards_disk_does_not_name_why_the_card_is_kept() -> None:
    """The only copy on another disk read back through the page cache, the other
    transfer-checked on the card's disk: the card is kept for the cache, not for a copy
    never read back "on a disk other than the card's" (none is). Failed before: "... is only
    transfer-checked (never read back) on a disk other than the card's; ..."."""
    data = report({"status": "verified", "cache_bypass": "none"}, TRUSTED_TRANSFER)
    data["devices"][1]["source_on_device"] = True
    release = card_release(data)
    assert not release.may_format
    assert release.text.startswith(
        "Do not format the card: 1 of 1 files (A001C001.MXF first) is read back only through "
        "the page cache"
    ), release.text


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
    assert card_release(data).text == "Do not format the card: destination 2 was lost."
    assert not card_release(report(VERIFIED, VERIFIED, cancelled=True)).may_format


def test_a_lost_destination_without_its_index_is_named_by_its_place() -> None:
    """A hand-made report whose lost destination has no "index" names it by its place in the
    list, as the rest of the rule reads it. Failed before: "destination 1 was lost."."""
    data = report(VERIFIED, VERIFIED)
    data["destinations"][1]["lost"] = True
    for destination in data["destinations"]:
        destination.pop("index", None)
    assert card_release(data).text == "Do not format the card: destination 2 was lost."


def test_a_lost_destination_names_the_other_destinations_copies_that_do_not_count() -> None:
    """Destination 2 lost, destination 1's copy never read back: both said, and the lost
    destination's copy, verified before the loss, counts for nothing. Failed before:
    "destination 2 was lost." alone, read as "destination 1 is complete"."""
    data = report(TRUSTED_TRANSFER, VERIFIED)
    data["destinations"][1]["lost"] = True
    assert card_release(data).text == (
        "Do not format the card: destination 2 was lost; 1 of 1 files (A001C001.MXF first) "
        "is only transfer-checked (never read back) on a disk other than the card's."
    )


def test_a_lost_destination_still_names_the_entries_left_out() -> None:
    """Failed before: "destination 2 was lost." alone, the clip --ignore left out unsaid
    (a fast drive pulled mid-cascade, lost since this pass, said no more of a card that
    held a clip no destination has)."""
    clip = {"path": "A002C001.MXF", "reason": "matches ignore pattern *.MXF"}
    data = report(VERIFIED, VERIFIED, ignored=[clip])
    data["destinations"][1]["lost"] = True
    assert card_release(data).text.startswith(
        "Do not format the card: destination 2 was lost; 1 of the card's entries was left out "
        "by an ignore pattern (A002C001.MXF first)"
    ), card_release(data).text


def test_a_cancel_after_the_cascade_released_the_card_says_why_it_is_kept() -> None:
    """Ctrl-C after ``CARD RELEASED ... can be ejected``: the card is kept, and the line
    says why (the cascaded copies unfinished), never a bare "cancelled before it finished"
    beside the release (QA: the two lines contradicted each other)."""
    data = report(VERIFIED, VERIFIED, cancelled=True)
    data["cascade"] = {"destinations": [1], "card_released_at": "2026-12-05T05:00:00Z"}
    answer = card_release(data)
    assert not answer.may_format
    assert answer.text.startswith(
        "Do not format the card: the offload was cancelled before the cascade finished: the "
        "card was released (its fast copies verified, it could be ejected), but the cascaded "
        "destinations' copies are unfinished: run the same command to finish them."
    ), answer.text
    data["cascade"]["card_released_at"] = None  # cancelled in the card's pass
    assert card_release(data).text == (
        "Do not format the card: the offload was cancelled before it finished."
    )


def test_a_lost_cascaded_destination_says_the_fast_copies_hold_every_file() -> None:
    """A cascade whose card was released at its pass (every file verified on the fast
    destination) and whose cascaded destination was then lost: the last words say what the
    terminal's CARD RELEASED line said. Failed before: "destination 2 was lost." alone (QA:
    the documents' headline never said a re-run needs no card)."""
    data = report(VERIFIED, FAILED)
    data["destinations"][1]["lost"] = True
    data["cascade"] = {"destinations": [1], "card_released_at": "2026-12-05T05:00:00Z"}
    assert card_release(data).text == (
        "Do not format the card: destination 2 was lost; every file is verified on "
        "destination 1 (the card was released at its pass), so the same command finishes "
        "destination 2 from it without the card."
    )
    # Not so when the fast copy failed since, the card was not released, or a fast
    # destination was the one lost.
    failed = report(FAILED, FAILED)
    failed["destinations"][1]["lost"] = True
    failed["cascade"] = data["cascade"]
    kept = report(VERIFIED, FAILED)
    kept["destinations"][1]["lost"] = True
    kept["cascade"] = {"destinations": [1], "card_released_at": None}
    fast_lost = report(FAILED, VERIFIED)
    fast_lost["destinations"][0]["lost"] = True
    fast_lost["cascade"] = data["cascade"]
    for other in (failed, kept, fast_lost):
        assert "without the card" not in card_release(other).text, other


CACHED = {"status": "verified", "cache_bypass": "none"}
FAILED = {"status": "failed", "error": "I/O error"}


def unknown_groups(data: dict[str, Any], *volumes: dict[str, Any]) -> dict[str, Any]:
    """*data* with each destination on a filesystem of no disk sysfs knows (btrfs, FUSE,
    NFS): groups ``filesystem MAJ:MIN``, kind unknown; *volumes* update each destination."""
    data["devices"] = [
        {"device": f"filesystem 0:{40 + i}", "destinations": [i], "kind": "unknown",
         "source_on_device": False}
        for i in range(len(data["destinations"]))
    ]  # fmt: skip
    for destination, volume in zip(data["destinations"], volumes, strict=True):
        destination.update(volume)
    return data


def test_two_fuse_filesystems_on_no_known_disk_are_no_backup() -> None:
    # Two FUSE drives (ntfs-3g, exfat-fuse) whose source cannot be resolved: either may be
    # on the card's own disk; they were counted as two disks.
    data = unknown_groups(
        report(VERIFIED, VERIFIED),
        {"filesystem": "fuseblk", "device": "/dev/fuse"},
        {"filesystem": "fuse.exfat", "device": "exfat-fuse"},
    )
    release = card_release(data)
    assert not release.may_format
    assert "cannot tell whether destination 1 is on the card's disk" in release.text


def test_filesystems_resolved_to_the_cards_disk_or_one_disk() -> None:
    # btrfs subvolumes on /dev/sdb2 and /dev/sdb3: one disk, not two.
    data = unknown_groups(
        report(VERIFIED, VERIFIED),
        {"filesystem": "btrfs", "device": "/dev/sdb2", "disk": "/dev/sdb"},
        {"filesystem": "btrfs", "device": "/dev/sdb3", "disk": "/dev/sdb"},
    )
    release = card_release(data)
    assert release.may_format
    assert "on 1 disk other than the card's" in release.text
    # ...and when the card is on that disk too (its FUSE mount's source /dev/sdb1).
    data["source_volume"]["disk"] = "/dev/sdb"
    release = card_release(data)
    assert not release.may_format
    assert not release.may_format
    assert "on the card's own disk (/dev/sdb)" in release.text
    # A group that names the card's disk though the card's filesystem has none of its own.
    plain = report(VERIFIED, VERIFIED)
    plain["source_volume"]["disk"] = "/dev/sdc"
    release = card_release(plain)
    assert release.may_format
    assert "on 1 disk other than the card's" in release.text


def test_network_shares_never_count_and_one_of_this_host_is_named() -> None:
    """A client reads what a share's server returns, maybe from its cache: neither a copy
    read back now (``server``) nor one verified earlier proves the share's disk. Before, two
    shares counted as "1 disk other than the card's", and one served from 127.0.0.1 (on the
    card's own disk, maybe) too (QA, items 1 and 7). Then, both said "no destination is on a
    disk other than the card's": untrue of another host's share, unknown of this host's."""
    for copy in ({"status": "verified", "cache_bypass": "server"}, EARLIER, VERIFIED):
        data = unknown_groups(
            report(copy, copy),
            {"filesystem": "nfs4", "device": "nas:/export/a"},
            {"filesystem": "cifs", "device": "//nas/b"},
        )
        release = card_release(data)
        assert not release.may_format, release.text
        assert "destination 1 is a network share (nfs4 nas:/export/a)" in release.text
        # Their disks are the servers', not the card's: no read proves them, but "no
        # destination is on a disk other than the card's" would be untrue.
        assert "no destination counts as a copy on a disk other than the card's (" in (
            release.text
        ), release.text
        assert "no destination is on a disk" not in release.text, release.text
    local = unknown_groups(
        report(VERIFIED, VERIFIED),
        {"filesystem": "fuse.sshfs", "device": "root@127.0.0.1:/srv/x"},
        {"filesystem": "nfs", "device": "localhost:/export"},
    )
    release = card_release(local)
    assert not release.may_format
    assert "(fuse.sshfs root@127.0.0.1:/srv/x, served from this host: it may be on the card's" \
        in release.text  # fmt: skip
    # Served from this host, a share may be on the card's disk: that cannot be told, and
    # "no destination is on a disk other than the card's" would claim it (failed before).
    assert "cannot tell whether any destination is on a disk other than the card's (" in (
        release.text
    ), release.text
    assert "no destination is on a disk" not in release.text, release.text


def test_a_loop_device_on_no_known_disk_is_no_backup() -> None:
    data = report(VERIFIED, VERIFIED)
    data["devices"][1].update(device="/dev/loop7", backing_filesystem="fuseblk")
    data["files"][0]["destinations"][0] = {"index": 0, **FAILED}
    release = card_release(data)
    assert not release.may_format
    only = report(FAILED, VERIFIED)
    only["devices"][1].update(device="/dev/loop7", backing_filesystem="fuseblk")
    only["files"][0]["destinations"][0] = {"index": 0, "status": "transfer_checked"}
    release = card_release(only)
    assert not release.may_format
    assert "cannot tell whether destination 2 is on the card's disk (a loop device" in release.text


def s3_groups(
    data: dict[str, Any], *urls: str, endpoint: str = "https://s3.eu-central-1.wasabisys.com"
) -> dict[str, Any]:
    data["devices"] = [
        {"device": url, "destinations": [i], "kind": "remote", "source_on_device": False}
        for i, url in enumerate(urls)
    ]
    for destination in data["destinations"]:
        destination.update(filesystem=None, mount_point=None, endpoint=endpoint)
    return data


REMOTE = {"status": "verified", "cache_bypass": "remote"}


def test_two_prefixes_of_one_bucket_are_one_storage() -> None:
    release = card_release(s3_groups(report(REMOTE, REMOTE), "s3://rushes/a", "s3://rushes/b"))
    assert release.may_format
    assert release.text == (
        "The card may be formatted: every file is verified (read back) in 1 bucket "
        "(2 destinations). That is one backup: keep the card if your production wants two."
    )
    release = card_release(s3_groups(report(REMOTE, REMOTE), "s3://rushes/a", "s3://vault/b"))
    assert release.text == (
        "The card may be formatted: every file is verified (read back) in 2 buckets."
    )


def test_the_release_line_reads_well_for_drives_buckets_and_both() -> None:
    """QA: "on 1 destination, on 1 bucket other than the card's" (a bucket is no disk of the
    card's to be other than, and two "on"s). Every combination, each word true."""
    said = "The card may be formatted: every file is verified (read back) "
    one_backup = " That is one backup: keep the card if your production wants two."
    # A drive and a bucket.
    data = report(VERIFIED, REMOTE)
    data["devices"][1].update(device="s3://rushes/day4", kind="remote")
    data["destinations"][1].update(filesystem=None, mount_point=None, endpoint="https://s3.x.io")
    assert card_release(data).text == f"{said}on 1 disk other than the card's and in 1 bucket."
    # Two folders of one drive.
    two = report(VERIFIED, EARLIER)
    two["devices"] = [{"device": "/dev/sdb", "destinations": [0, 1], "kind": "rotational",
                       "source_on_device": False}]  # fmt: skip
    assert card_release(two).text == (
        f"{said}on 1 disk other than the card's (2 destinations).{one_backup}"
    )
    # One bucket alone.
    alone = s3_groups(report(REMOTE, FAILED), "s3://rushes/a", "s3://rushes/b")
    alone["files"][0]["destinations"].pop()
    assert card_release(alone).text == f"{said}in 1 bucket.{one_backup}"


def test_a_bucket_served_from_this_host_is_no_backup_off_the_card() -> None:
    """QA: with the S3 server on 127.0.0.1 the card "may be formatted ... on 1 bucket other
    than the card's": a bucket this machine serves (MinIO, moto) stores on one of its disks,
    maybe the card's, as a network share it serves. Named, never counted."""
    for endpoint in ("http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"):
        data = s3_groups(report(REMOTE, REMOTE), "s3://rushes/a", "s3://vault/b", endpoint=endpoint)
        release = card_release(data)
        assert not release.may_format, release.text
        assert release.text == (
            "Do not format the card: cannot tell whether any destination is on a disk other "
            f"than the card's (destination 1 is a bucket served from this host ({endpoint}): "
            "it may be on the "
            f"card's own disk; destination 2 is a bucket served from this host ({endpoint}): "
            "it may be on the card's own disk)."
        )
    # The report's host name, as an endpoint's host.
    named = s3_groups(
        report(REMOTE, REMOTE), "s3://rushes/a", "s3://rushes/b", endpoint="http://dit-cart:9000"
    )
    assert card_release({**named, "hostname": "dit-cart"}).may_format is False
    # Beside a drive off the card: that drive releases the card, the bucket is not counted.
    data = report(VERIFIED, REMOTE)
    data["devices"][1].update(device="s3://rushes/day4", kind="remote")
    data["destinations"][1].update(endpoint="http://127.0.0.1:9000")
    release = card_release(data)
    assert release.may_format
    assert "bucket" not in release.text and "on 1 disk other than the card's." in release.text
    # A report without the endpoint (older) says nothing of it: the bucket counts, as before.
    old = s3_groups(report(REMOTE, REMOTE), "s3://rushes/a", "s3://vault/b")
    for destination in old["destinations"]:
        del destination["endpoint"]
    assert card_release(old).may_format


def test_a_read_back_through_the_page_cache_proves_nothing_of_the_disk() -> None:
    release = card_release(report(CACHED, CACHED))
    assert not release.may_format
    assert "read back only through the page cache (cache_bypass none" in release.text
    # One copy read from the media is enough.
    assert card_release(report(CACHED, VERIFIED)).may_format
    # A report that does not say how it read back (no cache_bypass) proves nothing either.
    assert not card_release(report({"status": "verified"}, {"status": "verified"})).may_format


def test_files_left_out_by_a_user_ignore_pattern_keep_the_card() -> None:
    junk = {"path": ".DS_Store", "reason": ".DS_Store: macOS Finder view settings"}
    state = {"path": ".offload", "reason": "matches ignore pattern /.offload/"}  # older words
    assert card_release(report(VERIFIED, VERIFIED, ignored=[junk, state])).may_format
    # Our own state with its ledger: the source is a copy root of ours, no card to format
    # (shuttle66: "The card may be formatted" of the DIT's drive), said so.
    state = {"path": ".offload", "reason": "/.offload/: offload-ai's own state (...)"}
    ours = card_release(report(VERIFIED, VERIFIED, ignored=[junk, state]))
    assert not ours.may_format and ours.source_is_copy, ours
    assert ours.text.startswith("The source is a copy (offload-ai's copy root"), ours.text
    clip = {"path": "A002C001.MXF", "reason": "matches ignore pattern *.MXF"}
    release = card_release(report(VERIFIED, VERIFIED, ignored=[junk, clip]))
    assert not release.may_format
    assert "left out by an ignore pattern (A002C001.MXF first)" in release.text


def test_an_untrusted_card_history_keeps_the_card() -> None:
    release = card_release(report(VERIFIED, VERIFIED, card_history_untrusted="digest mismatch"))
    assert not release.may_format
    assert "history is not trusted" in release.text


def test_a_file_failed_on_one_destination_keeps_the_card() -> None:
    release = card_release(report(FAILED, VERIFIED))
    assert not release.may_format
    assert release.text == "Do not format the card: a copy failed: A001C001.MXF."


def test_copies_failed_are_counted_the_first_named() -> None:
    """Failed before: "Keep the card: a copy failed: A001C001.MXF." (the words then) named
    one file when three copies had failed (the ignore case says how many and which first)."""
    data = report(FAILED, FAILED)
    data["files"].append({"path": "A001C002.MXF", "destinations": [
        {"index": 0, **VERIFIED}, {"index": 1, **FAILED}]})  # fmt: skip
    release = card_release(data)
    assert not release.may_format
    assert release.text == "Do not format the card: 3 copies failed (A001C001.MXF first)."


def test_missing_files_failed_symlinks_and_folder_errors_keep_the_card() -> None:
    release = card_release(report(VERIFIED, VERIFIED, missing_from_card=["A000C009.MXF"]))
    assert "missing from it: A000C009.MXF" in release.text
    links = [{"path": "latest", "status": "failed"}]
    assert "a symlink" in card_release(report(VERIFIED, VERIFIED, symlinks=links)).text
    errors = ["cannot set the times of CLIPS on destination 1"]
    release = card_release(report(VERIFIED, VERIFIED, folder_errors=errors))
    assert release.text == f"Do not format the card: {errors[0]}."


def test_a_destination_on_the_cards_disk_in_memory_or_unreachable_is_no_backup() -> None:
    data = report(VERIFIED, VERIFIED)
    data["devices"][0]["source_on_device"] = True
    data["devices"][1].update(device="/dev/zram0", kind="memory")
    release = card_release(data)
    assert not release.may_format
    assert "destination 1 is on the card's own disk (/dev/sdb)" in release.text
    data["devices"][0].update(source_on_device=False, device="unreachable /mnt/a")
    release = card_release(data)
    assert "held in memory or unreachable (unreachable /mnt/a)" in release.text
    # Two destinations on the card's disk, named as two (failed before: "destination 1, 2
    # are on the card's own disk"), and three.
    for count, words in ((2, "destinations 1 and 2 are"), (3, "destinations 1, 2 and 3 are")):
        data = report(*[VERIFIED] * count)
        data["devices"] = [{**data["devices"][0], "destinations": list(range(count))}]
        data["devices"][0]["source_on_device"] = True
        text = card_release(data).text
        assert f"{words} on the card's own disk (/dev/sdb)" in text, text
    # The other copy on its own disk still releases the card.
    data = report(VERIFIED, VERIFIED)
    data["devices"][1].update(device="/dev/zram0", kind="memory")
    release = card_release(data)
    assert release.may_format
    assert "on 1 disk other than the card's. That is one backup" in release.text


def test_a_card_on_no_known_disk_may_be_on_any_local_destinations_disk() -> None:
    # The card through a pass-through FUSE mount (or a share): its disk is unknown.
    data = report(VERIFIED, VERIFIED)
    data["source_volume"] = {"mount_point": "/media/CARD", "filesystem": "fuse.card",
                             "device": "cardfs", "disk": None}  # fmt: skip
    release = card_release(data)
    assert not release.may_format
    assert "cannot tell whether destination 1 is on the card's disk (the card's filesystem" in (
        release.text
    )
    # A bucket is on no local disk: it still counts.
    data = s3_groups(report(REMOTE, REMOTE), "s3://rushes/a", "s3://vault/b")
    data["source_volume"] = {"mount_point": "/media/CARD", "filesystem": "fuse.card"}
    assert card_release(data).may_format
    # A card in memory (tmpfs) is on no disk: a destination on a disk is off the card.
    data = report(VERIFIED, VERIFIED)
    data["source_volume"] = {"mount_point": "/dev/shm/card", "filesystem": "tmpfs"}
    assert card_release(data).may_format


def test_a_copy_verified_earlier_through_a_cache_proves_nothing_of_the_disk() -> None:
    """The ledger entry's ``cache_bypass`` carried into the verified-earlier copy: it counts
    as a read-back through the cache (reviewer: a re-run released the card on it)."""
    earlier_cached = {**EARLIER, "cache_bypass": "none"}
    release = card_release(report(earlier_cached, earlier_cached))
    assert not release.may_format
    assert "through the page cache (cache_bypass none, by this run or by the earlier run" in (
        release.text
    )
    assert card_release(report(earlier_cached, VERIFIED)).may_format
    # A verified-earlier copy whose entry records no cache (``not-read``) counts, as before.
    assert card_release(report({**EARLIER, "cache_bypass": "not-read"}, EARLIER)).may_format


def fusefat_card(data: dict[str, Any]) -> dict[str, Any]:
    """*data* as a real run reports a card on fusefat (QA): the card's filesystem on no disk
    this machine names; destination 1 on /dev/vda, destination 2 a tmpfs."""
    data["source_volume"] = {
        "mount_point": "/mnt/card",
        "device": "fusefat",
        "disk": None,
        "filesystem": "fuse.fusefat",
    }
    data["devices"] = [
        {
            "device": "/dev/vda",
            "destinations": [0],
            "kind": "virtual",
            "source_on_device": False,
            "backing_filesystem": None,
        },
        {
            "device": "filesystem 0:41",
            "destinations": [1],
            "kind": "unknown",
            "source_on_device": False,
            "backing_filesystem": None,
        },
    ]
    data["destinations"] = [
        {"index": 0, "filesystem": "ext4", "mount_point": "/", "device": "/dev/vda",
         "disk": "/dev/vda"},
        {"index": 1, "filesystem": "tmpfs", "mount_point": "/mnt/tmpfs", "device": "tmpfs",
         "disk": None},
    ]  # fmt: skip
    return data


def test_a_card_on_no_known_disk_says_it_cannot_tell_and_keeps_each_reason() -> None:
    """Failed before: "Do not format the card: no destination is on a disk other than the
    card's (cannot tell whether destination 1 ...; cannot tell whether destination 2 ...)":
    it asserted what it cannot know, and dropped the tmpfs's own reason ("held in memory")
    that a card on a known disk gets."""
    release = card_release(fusefat_card(report(VERIFIED, CACHED)))
    assert not release.may_format
    assert release.text == (
        "Do not format the card: cannot tell whether any destination is on a disk other than "
        "the card's (cannot tell whether destination 1 is on the card's disk (the card's "
        "filesystem, fuse.fusefat on fusefat, is on no disk this machine names); destination "
        "2 is held in memory (tmpfs): gone at the next reboot)."
    ), release.text
    # Every destination known not to count: "no destination is on a disk other than the card's".
    data = report(VERIFIED, VERIFIED)
    data["devices"][0]["source_on_device"] = True
    data["devices"][1].update(device="/dev/zram0", kind="memory")
    assert card_release(data).text.startswith(
        "Do not format the card: no destination is on a disk other than the card's ("
    )


def test_an_ignore_pattern_keeps_the_card_with_every_other_reason() -> None:
    """Failed before: with a user's ignore pattern the sentence gave that reason alone and
    dropped "no destination is on a disk other than the card's (...)" that the same
    destinations get otherwise."""
    clip = {"path": "A001.xml", "reason": "matches ignore pattern /A001.xml"}
    data = report(VERIFIED, VERIFIED, ignored=[clip])
    data["devices"][0]["source_on_device"] = True
    data["devices"][1]["source_on_device"] = True
    release = card_release(data)
    assert not release.may_format
    assert release.text == (
        "Do not format the card: 1 of the card's entries was left out by an ignore pattern "
        "(A001.xml first) and was not copied from the card by this run; no destination is on "
        "a disk other than the card's (destination 1 is on the card's own disk (/dev/sdb): "
        "no backup if that disk fails; destination 2 is on the card's own disk (/dev/sdc): "
        "no backup if that disk fails)."
    ), release.text


def test_which_endpoint_hosts_are_this_machine() -> None:
    """Review: a remote service's host was taken for this machine when its first label was
    this host's or the report's host name (``storage.googleapis.com`` on a machine called
    ``storage``: "a bucket served from this host", untrue), and ``127.example.com`` by its
    first characters; the other spellings of a loopback address the resolver takes
    (``0``, ``127.1``, ``2130706433``) were not, so such a bucket could release the card."""
    from offload.fs.below import this_host

    for host, named in [
        ("storage.googleapis.com", "storage"),
        ("s3.eu-west-1.amazonaws.com", "s3.studio.lan"),
        ("s3.us-west-002.backblazeb2.com", "s3"),
        ("127.example.com", ""),
        ("example.com", ""),
    ]:
        assert not this_host(host, named), host
    for host, named in [
        ("0", ""),
        ("127.1", ""),
        ("2130706433", ""),
        ("0x7f.1", ""),
        ("127.0.0.1", ""),
        ("[::1]", ""),
        ("::ffff:127.0.0.1", ""),
        ("localhost", ""),
        ("dit-cart", "dit-cart.studio.lan"),
        ("dit-cart.studio.lan", "dit-cart.studio.lan"),
        ("dit-cart.local", "dit-cart"),
    ]:
        assert this_host(host, named), host


def test_a_report_refused_in_doubt_takes_that_destination_out_of_the_count() -> None:
    """A report refused with an errno that may mean the disk failed (EIO) takes that
    destination out of the count: the other disk still holds every file, so the card may be
    formatted on one disk, said why. Refused in the way (ENOSPC), it still counts. A
    refusal of no known destination in doubt, or an older report without
    ``reports_refused`` (its refusal a plain folder error), keeps the card."""
    message = "cannot write the report into /mnt/a/C9/.offload/reports: I/O error (EIO)"

    def refused(index: int | None, code: str, in_doubt: bool) -> dict[str, Any]:
        return report(
            VERIFIED,
            VERIFIED,
            folder_errors=[message],
            reports_refused=[
                {"index": index, "errno": code, "copies_in_doubt": in_doubt, "message": message}
            ],
        )

    release = card_release(refused(0, "EIO", True))
    assert release.may_format, release.text
    assert release.text.startswith(
        "The card may be formatted: every file is verified (read back) on 1 disk other than "
        "the card's."
    ), release.text
    assert release.text.endswith(
        "Destination 1 refused its report (EIO): its disk may have failed since its copies "
        "were read back, so they do not count."
    ), release.text
    in_the_way = card_release(refused(0, "ENOSPC", False))
    assert in_the_way.may_format and "on 2 disks other than the card's" in in_the_way.text
    assert "refused its report" not in in_the_way.text, in_the_way.text
    only = card_release({**refused(0, "EROFS", True), "devices": report()["devices"][:1]})
    assert not only.may_format, only.text
    assert only.text.startswith(
        "Do not format the card: no destination holds a copy that counts (destination 1 "
        "refused its report (EROFS)"
    ), only.text
    assert not card_release(refused(None, "EIO", True)).may_format
    older = report(VERIFIED, VERIFIED, folder_errors=[message])
    assert card_release(older).text == f"Do not format the card: {message}."


def test_a_folder_time_refused_in_doubt_takes_that_destination_out_of_the_count() -> None:
    """A folder time a destination refused with an errno that may mean its disk failed
    (EIO) takes it out of the count, said why; refused in the way (EPERM) it still counts,
    and the sentence names the folders whose date differs. Both destinations refusing in
    doubt keeps the card. Failed before: "Do not format the card: cannot set the time of
    folder ..." for each."""
    message = (
        "cannot set the time of folder /mnt/a/C9: {} (its copies are not affected; run the "
        "same command again to set it)"
    )

    def unset(*refusals: tuple[int, str, bool]) -> dict[str, Any]:
        entries = [
            {"index": i, "errno": code, "copies_in_doubt": doubt, "message": message.format(code)}
            for i, code, doubt in refusals
        ]
        data = report(VERIFIED, VERIFIED, folder_errors=[e["message"] for e in entries])
        data["folder_times_unset"] = entries
        data["destinations"][0]["copy_root"] = "/mnt/a/C9"
        data["destinations"][1]["copy_root"] = "/mnt/b/C9"
        return data

    doubted = card_release(unset((0, "EIO", True)))
    assert doubted.may_format, doubted.text
    assert doubted.text == (
        "The card may be formatted: every file is verified (read back) on 1 disk other than "
        "the card's. That is one backup: keep the card if your production wants two. Some "
        "folders on /mnt/a/C9 did not get the card's folder times, so only their dates differ "
        f"from the card's: {message.format('EIO')}. Destination 1 could not set its folders' "
        "times (EIO): its disk may have failed since its copies were read back, so they do "
        "not count."
    ), doubted.text
    in_the_way = card_release(unset((0, "EPERM", False)))
    assert in_the_way.may_format and "on 2 disks other than the card's" in in_the_way.text
    assert "Some folders on /mnt/a/C9 did not get" in in_the_way.text, in_the_way.text
    both = card_release(unset((0, "EIO", True), (1, "EROFS", True)))
    assert not both.may_format, both.text
    assert "could not set its folders' times (EIO)" in both.text, both.text


def test_a_release_resting_on_copies_verified_earlier_only_says_so() -> None:
    """Every copy that counts trusted from the ledger (read back by an earlier run, not by
    this one): counted, but never the plain "may be formatted"."""
    release = card_release(report(EARLIER, EARLIER))
    assert release.may_format and release.earlier_only == 1
    assert release.text == (
        "The card may be formatted on the ledger's word (1 of 1 file verified only by an "
        "earlier run, trusted from the ledger, not read back now: --reverify reads them "
        "back): every file is verified (read back) on 2 disks other than the card's."
    )
    assert release.as_json()["files_verified_earlier_only"] == 1
    # One copy read back now is enough for the plain words.
    assert card_release(report(VERIFIED, EARLIER)).earlier_only == 0


def test_a_cascade_that_did_not_release_the_card_keeps_it() -> None:
    """The cascade's verdict (not released: this run proved none of the fast copies an
    earlier run verified) is the report's."""
    cascade = {"destinations": [1], "card_pass_ended_at": "2026-12-03T09:00:00+00:00",
               "card_released_at": None, "files_verified_earlier_unproven": 1}  # fmt: skip
    release = card_release(report(EARLIER, EARLIER, cascade=cascade))
    assert not release.may_format
    assert release.text.startswith(
        "Do not format the card: the cascade did not release it: 1 file on the fast "
        "destinations was verified by an earlier run (trusted from the ledger) and not read "
        "again by this run"
    ), release.text


def test_a_fast_copy_the_cascade_read_is_read_back_by_this_run() -> None:
    """Released after the cascade read fast copy 1 (``fast_copies_reread``): its copies
    verified earlier were read by this run; the other's were not."""
    cascade = {"destinations": [1], "card_released_at": "2026-12-03T09:00:00+00:00",
               "card_released_after_reread": True, "fast_copies_reread": [0]}  # fmt: skip
    release = card_release(report(EARLIER, TRUSTED_TRANSFER, cascade=cascade))
    assert release.may_format and release.earlier_only == 0, release
    cascade["fast_copies_reread"] = [1]
    assert card_release(report(EARLIER, EARLIER, cascade=cascade)).earlier_only == 0
    cascade["fast_copies_reread"] = []
    assert card_release(report(EARLIER, EARLIER, cascade=cascade)).earlier_only == 1


def test_index_files_refused_beside_clips_verified_earlier_say_so() -> None:
    """A card that shot more: the clips are safe on the ledger's word, said so."""
    data = report(EARLIER, EARLIER)
    data["files"].append(
        {"path": "CONTENTS/CLIPS001/INDEX.MIF", "destinations": [
            {"index": i, "status": "failed", "error": "INDEX.MIF already exists"}
            for i in (0, 1)
        ]}
    )  # fmt: skip
    release = card_release(data)
    assert not release.may_format
    assert (
        "all clips are safe (every other file is verified on a disk other than the card's, 1 "
        "of 2 files verified only by an earlier run, trusted from the ledger, not read back "
        "now: --reverify reads them back)" in release.text
    ), release.text


def test_a_destination_that_no_longer_answers_is_never_said_to_be_pulled_alone() -> None:
    # `unreachable` holds the strerror of the copy root's stat at report time: ENOTCONN (a
    # FUSE program killed) or EIO, which a failing drive still plugged in answers too.
    data = report(VERIFIED, VERIFIED)
    data["destinations"][1]["unreachable"] = "Input/output error"
    data["devices"][0].update(device="/dev/zram0", kind="memory")  # the other no backup
    release = card_release(data)
    assert not release.may_format
    assert (
        "destination 2 no longer answers (Input/output error): its drive was pulled or "
        "unmounted since the run began, or is failing"
    ) in release.text, release.text


def test_a_legacy_mhl_entry_missing_its_keys_keeps_the_card_without_raising() -> None:
    """``card_release`` never raises on a report missing keys (``content`` calls it on
    reports read back): a ``missing_from_legacy_mhl`` entry without ``path`` or ``mhl``
    still keeps the card, naming what it has. Failed before: KeyError 'path'."""
    answer = card_release(report(VERIFIED, VERIFIED, missing_from_legacy_mhl=[{}]))
    assert not answer.may_format
    assert "files a legacy MHL on it lists are missing from it" in answer.text, answer
    named = card_release(
        report(VERIFIED, VERIFIED, missing_from_legacy_mhl=[{"path": "C/A001.MXF"}])
    )
    assert "C/A001.MXF" in named.text and "(in " not in named.text, named


def test_card_files_named_like_offload_partials_keep_the_card_and_are_named() -> None:
    """Failed before: left out by default, counted in "Ignored: N entries" alone, and the
    card said free to format (a card file left out must never be silent before a format)."""
    partial = {"path": "CLIPS/.offload-partial.x", "reason": ".offload-partial.*: a partial"}
    piece = {"path": "CLIPS/.offload-part", "reason": ".offload-part: a piece"}
    release = card_release(report(VERIFIED, VERIFIED, ignored=[partial, piece]))
    assert not release.may_format
    assert (
        "2 of the card's entries are named like offload-ai's partial files "
        "(CLIPS/.offload-partial.x first), left out by default and not copied from the card "
        "by this run" in release.text
    ), release.text
    # A cascade re-run's fast copy standing in for the card: its partials are its own; the
    # card's are those its record of the card's pass lists (``card_left_out``).
    absent = report(VERIFIED, VERIFIED, ignored=[partial])
    absent["warnings"] = [{"code": "card-absent", "path": "/media/A001", "card_left_out": []}]
    assert "partial files" not in card_release(absent).text
    absent["warnings"][0]["card_left_out"] = [{**piece, "size": 5}]
    release = card_release(absent)
    assert not release.may_format
    assert (
        "1 of the card's entries is named like offload-ai's partial files (CLIPS/.offload-part "
        "first), left out by default and not copied from the card by the card's run" in release.text
    ), release.text


def test_card_files_named_like_offload_write_probes_are_named_as_probes() -> None:
    """Review of the fixs3v60 merge: a card holding ``.offload-probe-*`` was told "named like
    offload-ai's partial files". Failed before. A probe alone is named as a write probe; a
    probe and a partial as either."""
    probe = {"path": "CLIPS/.offload-probe-99999-abc", "reason": ".offload-probe-*: a probe"}
    partial = {"path": "CLIPS/.offload-partial.x", "reason": ".offload-partial.*: a partial"}
    alone = card_release(report(VERIFIED, VERIFIED, ignored=[probe]))
    assert not alone.may_format
    assert (
        "1 of the card's entries is named like offload-ai's write probes "
        "(CLIPS/.offload-probe-99999-abc first), left out by default" in alone.text
    ), alone.text
    both = card_release(report(VERIFIED, VERIFIED, ignored=[probe, partial])).text
    assert "2 of the card's entries are named like offload-ai's partial files or write " in both


def test_a_card_absent_rerun_whose_record_lists_nothing_left_out_keeps_the_card() -> None:
    """A fast copy's record of the card's pass written before it listed the card's entries
    left out (or a report older than ``card_left_out``): whether the card's run left any out
    is unknown, so the card is kept and the line says why. Failed before: "may be
    formatted" (review of hostilefix57)."""
    absent = report(VERIFIED, VERIFIED)
    absent["warnings"] = [{"code": "card-absent", "path": "/media/A001"}]
    release = card_release(absent)
    assert not release.may_format
    assert "does not list the card's entries its run left out" in release.text, release.text


@pytest.mark.parametrize("ignored", [False, True], ids=["alone", "beside-ignored"])
@pytest.mark.parametrize("index", [0, 1, 2], ids=lambda n: f"index{n}")
@pytest.mark.parametrize("others", [(), (1,), (2,), (1, 2)], ids=lambda o: f"others{o}")
def test_every_failed_copy_is_counted_and_every_index_file_named(
    others: tuple[int, ...], index: int, ignored: bool
) -> None:
    """Every combination of other files' failed copies (*others*: how many copies of each
    file failed, of 2), index files refused on both destinations (*index*) and another
    reason keeping the card (an entry left out by --ignore): the line counts every failed
    copy, names the first failed file and every index file, and ``index_files`` lists
    them. Failed before: beside another failure, "3 copies failed" of 6, the index file
    unnamed and ``index_files`` empty (QA, a Sony card's MEDIAPRO.XML)."""
    data = report(VERIFIED, VERIFIED)
    failed = {"status": "failed", "error": "already exists with other content"}
    for n, copies in enumerate(others):
        data["files"].append({"path": f"CLIPS/C{n}.MXF", "destinations": [
            {"index": i, **(failed if i < copies else VERIFIED)} for i in (0, 1)]})  # fmt: skip
    names = ["M4ROOT/MEDIAPRO.XML", "CONTENTS/CLIPS001/INDEX.MIF"][:index]
    for name in names:
        data["files"].append({"path": name, "destinations": [
            {"index": i, "status": "failed", "error": "INDEX.MIF already exists"}
            for i in (0, 1)]})  # fmt: skip
    if ignored:
        data["ignored"] = [{"path": "CLIPS/x.tmp", "reason": "matches ignore pattern *.tmp"}]
    release = card_release(data)
    total = sum(others) + 2 * index
    assert release.may_format == (not total and not ignored), release
    assert release.index_files == tuple(names), release
    for name in names:
        assert name in release.text, release.text
    if others:
        assert "CLIPS/C0.MXF" in release.text, release.text
    if others and index:
        assert f" {total} copies failed: {sum(others)} of {len(others)} other file" in (
            release.text
        ), release.text
    elif total == 1:
        assert " a copy failed" in release.text, release.text
    elif total and (others or ignored):
        assert f" {total} copies failed" in release.text, release.text
    assert "copies failed" not in release.text.replace(f"{total} copies failed", ""), release
    if ignored:
        assert "CLIPS/x.tmp" in release.text, release.text


@pytest.mark.parametrize(
    "table", ["NOTES/NOTES.csv", "DAY01/DAY01.CSV", "A001R1AB/A001R1AB.csv", "250101/250101.CSV"]
)
def test_a_csv_named_after_its_folder_is_a_sound_report_only_beside_a_recorders_takes(
    table: str,
) -> None:
    """A user's table named after its folder, with no take beside it, that differs from
    the one on a destination is a failed copy, said in a conflict's words. Failed before
    (review): "a sound recorder rewrites it whenever it records more" and "run the same
    offload again with --overwrite". Beside a recorder's takes it is a sound report, and the
    advice has the one there checked first: two recorders' reports of a day share a name,
    and --overwrite would replace the other recorder's."""
    refused = {"status": "failed", "error": f"{table} already exists on destination /mnt/a"}
    data = report(VERIFIED, VERIFIED)
    data["files"].append({"path": table, "destinations": [{"index": 0, **refused}]})
    release = card_release(data)
    assert release.index_files == () and f"a copy failed: {table}" in release.text, release
    assert "sound recorder" not in release.text and "--overwrite" not in release.text
    folder = table.rpartition("/")[0]
    data["files"].append({"path": f"{folder}/S01T01.WAV", "destinations": [
        {"index": i, **VERIFIED} for i in (0, 1)]})  # fmt: skip
    release = card_release(data)
    assert release.index_files == (table,), release
    said = " ".join(release.text.split())
    assert "(a sound recorder rewrites it whenever it records more)" in said, said
    assert (
        "check that the one there is this card's older report; if it is, run the same "
        "offload again with --overwrite"
    ) in said, said
    assert "To update the copies, run the same offload again" not in said, said


def test_a_sound_cards_release_says_takes_and_sound_report() -> None:
    """The QA's (qa70rep L2): a sound card (four takes, no clip) offloaded again after the
    recorder took another take: its sound report differs from the one already copied.
    Failed before: "all clips are safe ... only the card's index file 250101/250101.CSV
    differs": a sound card has no clips, and a recorder's CSV is its sound report. A
    camera's index file keeps its words."""
    refused = {"status": "failed", "error": "250101/250101.CSV already exists on destination"}
    data = report(VERIFIED, VERIFIED)
    data["files"] = [
        {"path": f"250101/250101_T0{n}.WAV", "destinations": [
            {"index": i, **VERIFIED} for i in (0, 1)]} for n in range(1, 5)
    ] + [{"path": "250101/250101.CSV", "destinations": [
        {"index": i, **refused} for i in (0, 1)]}]  # fmt: skip
    said = " ".join(card_release(data).text.split())
    assert said.startswith("Do not format the card: all takes are safe (every other"), said
    assert "only the card's sound report 250101/250101.CSV differs from the one" in said, said
    assert "clips" not in said and "index file" not in said, said
    assert "keep the old sound report under its name" in said, said
    # A camera's index file: its clips and its index file, as before.
    data["files"] = [
        {"path": "CONTENTS/CLIPS001/A001C001.MXF", "destinations": [
            {"index": i, **VERIFIED} for i in (0, 1)]},
        _index_file("INDEX.MIF already exists", "INDEX.MIF already exists"),
    ]  # fmt: skip
    said = " ".join(card_release(data).text.split())
    assert "all clips are safe" in said and "the card's index file CONTENTS/" in said, said
    assert "keep the old index under its name" in said, said


def test_which_files_are_a_cameras_index_files() -> None:
    """By name (Canon, P2, Sony, XDCAM, Insta360), an AVCHD card's playlists by their
    folder, a Sound Devices sound report named after its folder, case-insensitively; not
    the files no source says a camera rewrites as it records (AVCHD's INDEX.BDM and
    MOVIEOBJ.BDM among them)."""
    for path in ("CONTENTS/CLIPS001/INDEX.MIF", "XDROOT/mediapro.xml",
                 "PRIVATE/AVCHD/BDMV/PLAYLIST/00000.MPL",
                 "PRIVATE/AVCHD/BDMV/BACKUP/playlist/00001.mpl",
                 "DCIM/fileinfo_list.list", "SD888_1206/SD888_1206.CSV",
                 "250101/250101.csv"):  # fmt: skip
        assert index_file(path), path
    for path in ("PRIVATE/M4ROOT/STATUS.BIN", "MISC/00000.MPL", "PLAYLIST/A.MPLX",
                 "MISC/INDEX.BDM", "PRIVATE/AVCHD/BDMV/INDEX.BDM",
                 "PRIVATE/AVCHD/BDMV/BACKUP/movieobj.bdm", "250101.CSV", "250101/NOTES.CSV",
                 "250101/250101.TXT"):  # fmt: skip
        assert not index_file(path), path


_PATH_PIECES = ("/", ".", "PLAYLIST", "playList", ".MPL", ".mpl", "MPL", "00000", "INDEX.MIF",
                "mediapro.xml", "BACKUP", "ß", "a", ".CSV", ".csv", "250101")  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PATH_PIECES), max_size=8).map("".join))
def test_an_index_file_answered_without_the_folders_pieces_says_what_they_said(
    path: str,
) -> None:
    """``index_file`` asks for the folder's name and the extension only of a name ending in
    an index folder's extension (thirty-seventh pass): the same answer as the pieces of
    ``posixpath`` give for every path (slashes doubled, dots leading, a final ``/``)."""
    for spelled in (path, f"PRIVATE/AVCHD/BDMV/PLAYLIST/{path}"):
        folder, name = posixpath.split(spelled.upper())
        pieces = (posixpath.basename(folder), posixpath.splitext(name)[1])
        stem, extension = posixpath.splitext(name)
        sound_report = extension == ".CSV" and bool(stem) and stem == posixpath.basename(folder)
        expected = name in INDEX_FILES or pieces == ("PLAYLIST", ".MPL") or sound_report
        assert index_file(spelled) is expected, spelled


def _index_file(*errors: str | None) -> dict[str, Any]:
    """``CONTENTS/CLIPS001/INDEX.MIF`` failed on each destination with *errors* in turn
    (None: verified there)."""
    return {"path": "CONTENTS/CLIPS001/INDEX.MIF", "destinations": [
        {"index": i, "status": "failed", "error": error} if error else {"index": i, **VERIFIED}
        for i, error in enumerate(errors)]}  # fmt: skip


REFUSED_INDEX = "INDEX.MIF already exists"


def test_overwrite_is_not_advised_beside_a_clip_already_there_with_other_content() -> None:
    """Review of the fixcards59 merge: A001C001.MXF failed "already exists with other
    content" on destination 1, INDEX.MIF refused on both: the line advised --overwrite,
    which applies to the whole run and would replace that clip (maybe another card's) too.
    Failed before; now it says so instead."""
    conflict = {"status": "failed", "error": "A001C001.MXF already exists with other content"}
    data = report(conflict, VERIFIED)
    data["files"].append(_index_file(REFUSED_INDEX, REFUSED_INDEX))
    release = card_release(data)
    assert release.text == (
        "Do not format the card: 3 copies failed: 1 of 1 other file (A001C001.MXF) and 2 of "
        "the card's index file CONTENTS/CLIPS001/INDEX.MIF, which differs from the one "
        "already on a destination (a camera rewrites it whenever it records more) and was not "
        "replaced (--overwrite would replace A001C001.MXF too, which is already there with "
        "other content: check it first)."
    ), release.text
    # Another failure (no conflict): the advice stays.
    data["files"][0]["destinations"][0]["error"] = "Input/output error"
    assert "run the same offload again with --overwrite" in card_release(data).text


def test_an_index_file_refused_and_failed_otherwise_is_named_once() -> None:
    """Review of the fixcards59 merge: an index file failed for another reason on one
    destination and refused on the other was named twice, as an "other file" and as the
    card's index file. Failed before; it is another failed file, both copies counted."""
    data = report(VERIFIED, VERIFIED)
    data["files"].append(_index_file("Input/output error", REFUSED_INDEX))
    release = card_release(data)
    assert release.text.count("INDEX.MIF") == 1, release.text
    assert release.text == (
        "Do not format the card: 2 copies failed (CONTENTS/CLIPS001/INDEX.MIF first)."
    ), release.text
    assert release.index_files == ()


def test_index_files_refused_on_the_cards_disk_say_why_the_clips_are_not_safe() -> None:
    """Review of the fixcards59 merge: both destinations on the card's disk, 00000.MPL
    refused: "only the card's index file ... differs" and no word of the disks, so "only"
    was false. Failed before; the disks' reason comes first and "only" is gone, as it is
    when a clip is not verified."""
    data = report(VERIFIED, VERIFIED)
    for device in data["devices"]:
        device["source_on_device"] = True
    playlist = _index_file(REFUSED_INDEX, REFUSED_INDEX)
    playlist["path"] = "PRIVATE/AVCHD/BDMV/PLAYLIST/00000.MPL"
    data["files"].append(playlist)
    release = card_release(data)
    assert release.text.startswith(
        "Do not format the card: no destination is on a disk other than the card's ("
    ), release.text
    assert "; the card's index file PRIVATE/AVCHD/BDMV/PLAYLIST/00000.MPL differs" in (
        release.text
    ), release.text
    assert "only the card" not in release.text, release.text
    assert release.index_files == ("PRIVATE/AVCHD/BDMV/PLAYLIST/00000.MPL",)
    data = report(TRUSTED_TRANSFER, TRUSTED_TRANSFER)
    data["files"].append(_index_file(REFUSED_INDEX, REFUSED_INDEX))
    release = card_release(data)
    assert release.text.startswith(
        "Do not format the card: 1 of 2 files (A001C001.MXF first) is only transfer-checked "
        "(never read back) on a disk other than the card's; the other files are listed below "
        "with their state; the card's index file CONTENTS/CLIPS001/INDEX.MIF differs"
    ), release.text


def test_an_index_file_refused_is_told_by_its_refusal_kind_not_its_words() -> None:
    """Review of the ledger65 merge: the card release told an index file refused for the
    one already there by the words "already exists" in its error, which a failure of
    another kind may carry (a cascade's slow copy quotes its fast copies' errors). A report
    with the copy's ``refusal`` is read by the kind: a failure whose words say "already
    exists" but that was refused by nothing is a failed file; a refusal worded otherwise
    (a later pass's words) is the index file's refusal. Failed before (both ways)."""
    data = report(VERIFIED, VERIFIED)
    data["files"].append(_index_file("INDEX.MIF: could not read it (already exists?)", None))
    data["files"][-1]["destinations"][0]["refusal"] = None
    release = card_release(data)
    assert not release.may_format and not release.index_files, release
    assert "other file" in release.text or "failed" in release.text, release.text
    reworded = "INDEX.MIF is held by another file there; not replaced"
    for kind in ("in_the_way", "fast_refused"):
        data["files"][-1] = _index_file(reworded, reworded)
        for copy in data["files"][-1]["destinations"]:
            copy["refusal"] = kind
        release = card_release(data)
        assert release.index_files == ("CONTENTS/CLIPS001/INDEX.MIF",), (kind, release)
    # A report written before the key: its words, as before.
    data["files"][-1] = _index_file(REFUSED_INDEX, REFUSED_INDEX)
    assert card_release(data).index_files == ("CONTENTS/CLIPS001/INDEX.MIF",)


def test_a_copy_root_of_ours_as_the_source_is_said_so_in_a_bucket_and_on_the_ledgers_word() -> None:
    """QA (shuttle66 #1): the DIT's copy offloaded to a bucket not on this host said "The card
    may be formatted: every file is verified (read back) in 1 bucket. That is one backup:
    keep the card ...", ``may_format`` true. Failed before. Now the source is said to be a
    copy, never a card to format, where its files are and to keep it."""
    ours = [{"path": ".offload", "reason": "/.offload/: offload-ai's own state (...)"}]
    one = s3_groups(report(REMOTE, REMOTE, ignored=ours), "s3://shut66/a", "s3://shut66/b")
    release = card_release(one)
    assert not release.may_format and release.source_is_copy, release
    assert release.as_json()["source_is_copy"] is True
    assert release.text == (
        "The source is a copy (offload-ai's copy root, it holds .offload/), not a card: every "
        "file is verified (read back) in 1 bucket (2 destinations); keep the source until "
        "your production's backups are made."
    )
    # Trusted from the ledgers alone: said so, "the source's", never the card's.
    earlier = card_release(report(EARLIER, EARLIER, ignored=ours))
    assert "on 2 disks other than the source's on the ledger's word (1 of 1 file" in earlier.text
    assert "card's" not in earlier.text and not earlier.may_format, earlier
    # A report of a card (no state of ours at its root) is read as before; an older one
    # without the key reads it false.
    assert card_release(report(VERIFIED, VERIFIED)).as_json()["source_is_copy"] is False


def test_a_copy_root_sources_reasons_name_the_source_not_the_card() -> None:
    """Each reason worded for a card says "the source" of a copy root of ours: a file that
    failed as read, a symlink not made, a destination on its disk."""
    ours = [{"path": ".offload", "reason": "/.offload/: offload-ai's own state (...)"}]
    data = report(VERIFIED, VERIFIED, ignored=ours)
    data["files"][0]["source_error"] = "Input/output error"
    data["symlinks"] = [{"path": "LINK", "status": "failed"}]
    data["devices"][0]["source_on_device"] = True
    release = card_release(data)
    assert release.text.startswith("Keep the source (a copy of ours, not a card): "), release
    assert "a file of the source failed as it was read: A001C001.MXF" in release.text
    assert "a symlink of the source could not be made" in release.text
    assert "card" not in release.text.replace("not a card", ""), release.text
