"""What a ``fuseblk`` mount is, read from its device: boot sectors made by the real mkfs
tools on image files (no root needed), and udev's record as a real file."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from offload.fs.fstype import block_filesystem, from_boot_sector
from support.requirements import require_tool


@pytest.mark.parametrize(
    ("tool", "args", "found"),
    [
        ("mkfs.ntfs", ["-F", "-Q"], "ntfs"),
        ("mkfs.exfat", [], "exfat"),
        ("mkfs.vfat", [], "vfat"),
        ("mkfs.vfat", ["-F", "32"], "vfat"),
        ("mkfs.ext4", ["-q", "-F"], None),
    ],
)
def test_boot_sectors_made_by_mkfs(tmp_path: Path, tool: str, args: list[str], found: str) -> None:
    mkfs = require_tool(tool)
    image = tmp_path / "volume.img"
    with open(image, "wb") as handle:
        handle.truncate(64 << 20)
    subprocess.run([mkfs, *args, str(image)], check=True, capture_output=True, timeout=60)
    assert from_boot_sector(image.read_bytes()[:512]) == found
    # An image file is no block device: its sector is not read through the mount's source.
    assert block_filesystem(str(image), udev=tmp_path / "no-udev") is None


def test_udev_says_when_the_device_cannot_be_read(tmp_path: Path) -> None:
    udev = tmp_path / "udev"
    udev.mkdir()
    rdev = os.makedev(250, 7)  # no such device node: nothing to read, udev alone answers
    (udev / "b250:7").write_text("S:disk/by-uuid/1234\nE:ID_FS_TYPE=exfat\nE:ID_FS_USAGE=x\n")
    assert block_filesystem("sdz-not-a-path", rdev, udev=udev) == "exfat"
    (udev / "b250:7").write_text("E:ID_FS_TYPE=ext4\n")
    assert block_filesystem("sdz-not-a-path", rdev, udev=udev) is None
    assert block_filesystem("sdz-not-a-path", os.makedev(250, 8), udev=udev) is None
