"""A destination on a kernel loop device over an image file (``fs/below.py``).

Without direct I/O (``/sys/block/loopN/loop/dio`` 0, what ``mount -o loop`` and ``losetup``
make), the loop driver reads the image through the page cache of the filesystem holding the
image: O_DIRECT on ext4 there, or exfat-fuse's device cache dropped, still read what that
cache remembers. Failed before (QA): the read-back said ``o_direct`` (ext4) or ``device``
(exfat-fuse) while the image's pages holding the copy were still cached; with the image in
tmpfs (RAM, no media below) it said ``o_direct`` too. Now the image's cache is written back
and dropped before the read-back, and where that reaches no media the read is ``none``.

Real parts: ext4 and exFAT (exfat-fuse) images on loop devices, tmpfs, the ``offload`` CLI
in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from offload.fs.below import cache_below
from offload.results import CacheBypass
from tests.faults.test_cache_below import make_card, newest_report, run
from tests.support import mounts
from tests.support.page_cache import pages_cached
from tests.support.requirements import require_root


def _written(folder: Path, size: int) -> None:
    path = folder / "clip.mov"
    with open(path, "wb") as handle:
        handle.write(os.urandom(size))
        handle.flush()
        os.fsync(handle.fileno())


def test_ext4_on_a_loop_image_drops_the_images_cache_before_the_read_back(
    tmp_path: Path,
) -> None:
    require_root("loop devices")
    with mounts.ext4_loop(tmp_path / "ext4", 32 << 20) as disk:
        _written(disk.path, 4 << 20)
        assert pages_cached(disk.image) > 0  # the write went through the image's cache
        below = cache_below(disk.path)
        how = below.bypass(CacheBypass.O_DIRECT, below.written())
        assert how is CacheBypass.O_DIRECT
        assert pages_cached(disk.image) == 0  # so O_DIRECT now reaches the disk


def test_exfat_fuse_on_a_loop_image_drops_the_images_cache_too(tmp_path: Path) -> None:
    require_root("loop devices")
    with mounts.exfat_loop(tmp_path / "exfat", 32 << 20) as disk:
        _written(disk.path, 4 << 20)
        below = cache_below(disk.path)
        how = below.bypass(CacheBypass.O_DIRECT, below.written())
        assert how is CacheBypass.DEVICE
        assert pages_cached(disk.image) == 0


def test_a_loop_image_in_ram_is_read_through_a_cache(tmp_path: Path) -> None:
    """The image in tmpfs: its pages are its storage; the copy's read-back is ``none``."""
    require_root("loop devices")
    with (
        mounts.tmpfs(tmp_path / "ram", 64 << 20),
        mounts.ext4_loop(tmp_path / "ext4", 32 << 20, image=tmp_path / "ram" / "d.img") as disk,
    ):
        card, _ = make_card(tmp_path / "card", 1 << 20)
        reports = tmp_path / "reports"
        copied = run("copy", card, disk.path, "--report-dir", reports)
        assert copied.returncode == 0, copied.stderr
        (entry,) = newest_report(reports)["files"]
        assert entry["destinations"][0]["cache_bypass"] == "none"


def test_a_loop_device_with_direct_io_has_no_image_cache_to_drop(tmp_path: Path) -> None:
    require_root("loop devices")
    image = tmp_path / "dio.img"
    with open(image, "wb") as handle:
        handle.truncate(32 << 20)
    mounts._run("mkfs.ext4", "-q", "-F", "-m", "0", str(image))
    device = mounts._run("losetup", "--direct-io=on", "-f", "--show", str(image)).strip()
    mount = tmp_path / "dio"
    mount.mkdir()
    try:
        mounts._run("mount", device, str(mount))
        try:
            name = Path(device).name
            assert Path(f"/sys/block/{name}/loop/dio").read_text().strip() == "1"
            below = cache_below(mount)
            assert below.backing is None
            assert below.bypass(CacheBypass.O_DIRECT) is CacheBypass.O_DIRECT
        finally:
            mounts.unmount(mount)
    finally:
        mounts._run("losetup", "-d", device)


def _disk_of(path: Path) -> str:
    from offload.fs.devices import block_device_of

    device = block_device_of(path)
    assert device is not None
    return device.name


def test_two_loop_images_on_one_disk_are_named_as_one_disk(tmp_path: Path) -> None:
    """Failed before: an ext4 image and an exFAT (exfat-fuse) image, both files of one disk,
    were two destinations with no warning (each loop device counted as a disk of its own,
    the FUSE one as none)."""
    require_root("loop devices")
    disk = _disk_of(tmp_path)
    with (
        mounts.ext4_loop(tmp_path / "ext4", 32 << 20) as one,
        mounts.exfat_loop(tmp_path / "exfat", 32 << 20) as two,
    ):
        card, _ = make_card(tmp_path / "card", 1 << 20)
        copied = run("copy", "--dry-run", card, one.path, two.path)
        assert copied.returncode == 0, copied.stderr
        text = " ".join((copied.stdout + copied.stderr).split())
        assert f"are on one disk ({disk})" in text, text


def test_an_absent_cards_fast_copy_read_back_through_a_cache_is_no_backup(
    tmp_path: Path,
) -> None:
    """The fast copy (ext4 on a loop over an image in tmpfs) is read back through the page
    cache (``cache_bypass`` none): it does not release the card (no record of the card's
    pass), so once its image is moved to a disk and mounted at the same path, the card gone,
    the re-run is refused, nothing written. Failed before (review): exit 0,
    ``card_release.may_format`` true, "every file is verified (read back) on 1 disk, that
    copy among them": the copy's one read-back proved no media; then (words17) the card was
    called released on the strength of that copy in RAM."""
    require_root("loop devices")
    card, _data = make_card(tmp_path / "cards", 1 << 20)
    with mounts.tmpfs(tmp_path / "shm", 64 << 20) as shm:
        raid = tmp_path / "RAID"
        image = shm.path / "raid.img"
        (shm.path / "SH").mkdir()
        with mounts.ext4_loop(raid, 32 << 20, image=image):
            first = run(
                "copy", card, raid, "--cascade-to", shm.path / "SH", "--report-dir", tmp_path / "r1"
            )
            assert first.returncode == 0, first.stderr
            ledger = (raid / card.name / ".offload" / "ledger.jsonl").read_text()
            assert '"cache_bypass": "none"' in ledger, ledger
            assert "CARD PASS DONE" in first.stderr and "CARD RELEASED" not in first.stderr
            kept = tmp_path / "raid.img"
            kept.write_bytes(image.read_bytes())
        try:
            subprocess.run(["mount", "-o", "loop", str(kept), str(raid)], check=True)
            card.rename(card.with_name("gone"))
            (raid / "SH2").mkdir()  # a slow destination on the fast copy's own disk
            again = run(
                "copy",
                card,
                raid,
                "--cascade-to",
                shm.path / "SH",
                "--cascade-to",
                raid / "SH2",
                "--report-dir",
                tmp_path / "r2",
            )
        finally:
            mounts.unmount(raid)
    assert again.returncode == 64, again.stderr
    assert f"the card {card} is absent and no fast copy holds it" in again.stderr
    assert not list((tmp_path / "r2").glob("*.json"))  # refused: nothing written
