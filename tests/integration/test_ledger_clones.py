"""A clone of a copy root (``cp -a``, ``rsync -a``: its ``.offload/ledger.jsonl`` copied
along, every file's name, size and date kept) is not the copies offload-ai verified: each
is read back before it is trusted (``ledger.same_file``: an entry records its copy's inode
and change time where the filesystem keeps them). The very copies, seen again after their
drive was unmounted and mounted elsewhere, are still trusted from the ledger. Real ext4
and exFAT images on loop devices, the real CLI in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from integration.test_card_identity import ledger_lines, statuses
from integration.test_field_filesystems import run
from support.cards import clips_card, flip_bytes
from support.mounts import exfat_replugged, ext4_remounted, rclone_view
from support.offload_cli import newest_report

GOOD, BAD = "CLIPS/C000.mov", "CLIPS/C001.mov"


def offloaded(tmp_path: Path, drive: Path) -> tuple[Path, Path]:
    """Card ``A001`` (two 300 KB clips) offloaded into *drive*: the card and its copy root."""
    card = clips_card(tmp_path / "cards", 2, 300_000)
    done = run("copy", card, drive, "--report-dir", tmp_path / "reports")
    assert done.returncode == 0, done.stdout + done.stderr
    return card, drive / "A001"


def copy_into(tmp_path: Path, card: Path, root: Path) -> subprocess.CompletedProcess[str]:
    return run("copy", "--into", card, root, "--report-dir", tmp_path / "reports")


def report(tmp_path: Path) -> dict[str, Any]:
    return newest_report(tmp_path / "reports")


@pytest.mark.skipif(shutil.which("rsync") is None, reason="rsync not installed")
@pytest.mark.parametrize("tool", [("cp", "-a"), ("rsync", "-a")], ids=["cp-a", "rsync-a"])
def test_a_clone_of_a_copy_root_is_read_back_not_trusted(
    tmp_path: Path, ext4_loop: Any, tool: tuple[str, str]
) -> None:
    drive = ext4_loop().path
    card, root = offloaded(tmp_path, drive)
    clone = drive / "clone"
    clone.mkdir()
    subprocess.run([*tool, str(root), f"{clone}/"], check=True)
    # One clone of the two files bad, its size and date put back (no quick check sees it).
    bad = clone / "A001" / BAD
    dated = bad.stat()
    flip_bytes(bad, 150_000)
    os.utime(bad, ns=(dated.st_atime_ns, dated.st_mtime_ns))

    done = copy_into(tmp_path, card, clone / "A001")

    assert done.returncode != 0, done.stdout + done.stderr
    files = {f["path"]: f["destinations"][0] for f in report(tmp_path)["files"]}
    assert files[GOOD]["status"] == "verified" and files[GOOD]["action"] == "adopted"
    assert files[BAD]["status"] == "failed"
    assert (
        "read back: not the file an earlier run verified there, a copy of it?"
        in (files[BAD]["error"])
    )
    assert "not the file an earlier run verified there (a copy of that file" in done.stderr
    # The original copies are still trusted, and the good clone now is (recorded as read).
    again = copy_into(tmp_path, card, root)
    assert again.returncode == 0, again.stderr
    assert set(statuses(report(tmp_path)).values()) == {"verified_earlier"}


def test_a_copy_root_mounted_again_elsewhere_is_still_trusted(
    tmp_path: Path, ext4_loop: Any
) -> None:
    loop = ext4_loop()
    card, _ = offloaded(tmp_path, loop.path)
    assert all(line["inode"] and line["ctime_ns"] for line in ledger_lines(loop.path / "A001"))

    with ext4_remounted(loop, tmp_path / "elsewhere") as moved:
        done = copy_into(tmp_path, card, moved.path / "A001")

    assert done.returncode == 0, done.stdout + done.stderr
    assert set(statuses(report(tmp_path)).values()) == {"verified_earlier"}


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone not installed")
def test_a_copy_root_seen_through_a_mount_of_made_up_inodes_is_still_trusted(
    tmp_path: Path, ext4_loop: Any
) -> None:
    # An ext4 copy root viewed through rclone mount (a share, sshfs without use_ino alike):
    # the very files its entries recorded, under inode numbers the mount makes up.
    drive = ext4_loop().path
    card, _ = offloaded(tmp_path, drive)
    assert all(line["inode"] for line in ledger_lines(drive / "A001"))

    with rclone_view(drive, tmp_path / "view") as view:
        done = copy_into(tmp_path, card, view.path / "A001")

    # (rclone mount fails the copy root's own report, EIO: the run's exit says that alone.)
    said = done.stdout + done.stderr
    assert [line for line in said.splitlines() if "ERROR" in line] == [
        f"ERROR: cannot write the report into {view.path}/A001/.offload/reports: "
        "Input/output error (EIO)"
    ], said
    assert "not the file an earlier run verified there" not in said
    assert set(statuses(report(tmp_path)).values()) == {"verified_earlier"}


def test_exfat_records_no_identity_and_a_replugged_drive_is_still_trusted(
    tmp_path: Path, exfat_loop: Any
) -> None:
    # exfat-fuse numbers inodes in the order a mount looks files up, and shows the
    # modification time as the change time: nothing there tells one file from its clone.
    loop = exfat_loop()
    card, _ = offloaded(tmp_path, loop.path)
    assert not any("inode" in line for line in ledger_lines(loop.path / "A001"))

    with exfat_replugged(loop) as again:
        done = copy_into(tmp_path, card, again.path / "A001")

    assert done.returncode == 0, done.stdout + done.stderr
    assert set(statuses(report(tmp_path)).values()) == {"verified_earlier"}


def test_a_copy_written_over_in_place_is_reread_as_ours_and_replaced(
    tmp_path: Path, ext4_loop: Any
) -> None:
    # Its inode kept, its change time not the one recorded: ours, changed since.
    drive = ext4_loop().path
    card, root = offloaded(tmp_path, drive)
    bad = root / BAD
    dated = bad.stat()
    flip_bytes(bad, 150_000)
    os.utime(bad, ns=(dated.st_atime_ns, dated.st_mtime_ns))

    done = copy_into(tmp_path, card, root)

    assert done.returncode == 0, done.stdout + done.stderr
    files = {f["path"]: f["destinations"][0] for f in report(tmp_path)["files"]}
    assert files[GOOD]["status"] == "verified_earlier"
    assert files[BAD]["status"] == "verified" and files[BAD]["action"] == "copied"
    assert bad.read_bytes() == (card / BAD).read_bytes()
