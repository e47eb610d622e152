"""``camera_card_volume`` looks into the folders of a volume's root (``volume_root_sign``:
a sound recorder's folder of takes, ``250101/250101.CSV``) only on a volume a camera formats
(FAT, exFAT): an ext4 or NFS destination drive of 5,000 folders at its root paid one
``isfile`` a folder on every run (0.45 s; review of names70, L3). Real FUSE drive
(FaultyFS, not a card's filesystem), the kernel's own count of the listings asked of it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from offload.plan.cardlike import camera_card_volume, card_filesystem
from support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault


@pytest.mark.timeout(60)
def test_a_drive_no_camera_formats_has_its_root_not_listed(
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """Failed before: the folder of takes beside its sound report listed (readdir)."""
    fs = faulty_fs()
    root = fs.mountpoint
    assert not card_filesystem(root)
    for day in ("250101", "250102"):
        (root / day).mkdir()
        (root / day / f"{day}.CSV").write_bytes(b"Sound Report\n")
        (root / day / f"{day}_T01.WAV").write_bytes(b"RIFF take")
    (root / "D1").mkdir()
    # A folder of takes beside its sound report is listed (``_recorder_folder``) only once
    # its report is found: its listing asked of the drive, never cached by the kernel.
    rule = fs.fail("readdir", path="250101")
    assert camera_card_volume(root / "D1") is None
    assert fs.fired(rule) == 0
