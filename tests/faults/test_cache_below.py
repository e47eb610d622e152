"""Reading "back from the media" on filesystems with a cache below them (src/offload/fs/below.py).

exfat-fuse and ntfs-3g read their block device through its page cache, so O_DIRECT on the
FUSE file reached that cache, not the disk: a copy on a lying drive was "verified now", and
a byte flipped under the filesystem after the copy passed ``offload verify`` and
``--reverify``. An sshfs share's server reads through its own cache, which a client cannot
drop. Every test here failed before the fix (QA's report, items 1 and 7).

Real parts: exFAT and NTFS images on loop devices served by their FUSE daemons, FaultyFS as
the lying drive under an image, sshfs over sftp-server on this host, the ``offload`` CLI
in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import mounts
from tests.support.offload_cli import run_offload
from tests.support.requirements import require_root, require_tool

CLI = [sys.executable, "-m", "offload.cli.offload"]
SFTP_SERVER = "/usr/lib/openssh/sftp-server"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_offload(*args, timeout_s=120)


def make_card(root: Path, size: int) -> tuple[Path, bytes]:
    card = root / "S1"
    card.mkdir(parents=True)
    data = os.urandom(size)
    (card / "s.mov").write_bytes(data)
    return card, data


def newest_report(folder: Path) -> dict[str, Any]:
    reports = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    return json.loads(reports[-1].read_text())  # type: ignore[no-any-return]


def flip_in_image(image: Path, data: bytes) -> None:
    """Bit rot under the filesystem, as QA did: find the copy's first 4 KiB in the image and
    flip a byte 100 bytes in (through the image file, not the filesystem on it)."""
    fd = os.open(image, os.O_RDWR)
    try:
        raw = os.pread(fd, os.fstat(fd).st_size, 0)
        where = raw.find(data[:4096])
        assert where >= 0 and raw.find(data[:4096], where + 1) < 0
        (old,) = os.pread(fd, 1, where + 100)
        os.pwrite(fd, bytes([old ^ 0x40]), where + 100)
        os.fsync(fd)
    finally:
        os.close(fd)


@pytest.fixture
def ntfs_loop(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """An NTFS image on a loop device mounted with ntfs-3g: (mount point, image)."""
    require_root("mounting NTFS")
    require_tool("ntfs-3g")
    mkntfs = mounts.which("mkntfs")
    if mkntfs is None:
        require_tool("mkntfs")
    image, path = tmp_path / "nt.img", tmp_path / "nt"
    path.mkdir()
    with open(image, "wb") as handle:
        handle.truncate(32 << 20)
    device = subprocess.check_output(["losetup", "-f", "--show", str(image)], text=True).strip()
    try:
        subprocess.run([str(mkntfs), "-Q", "-F", device], check=True, capture_output=True)
        subprocess.run(["ntfs-3g", device, str(path)], check=True, capture_output=True)
        try:
            yield path, image
        finally:
            mounts.unmount(path)
            time.sleep(0.2)  # ntfs-3g closes the device as it exits
    finally:
        subprocess.run(["losetup", "-d", device], check=False, capture_output=True)


@pytest.mark.fault
def test_bit_rot_under_exfat_fuse_is_found_by_verify_and_reverify(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Failed before: the copy's read-back recorded ``o_direct`` though exfat-fuse read its
    device's page cache; after a byte flipped in the image, ``offload verify`` said 1 OK
    (exit 0) and ``--reverify`` "read back again now and matched" (exit 0)."""
    disk = exfat_loop(16 << 20)
    card, data = make_card(tmp_path / "card", 1 << 20)
    reports = tmp_path / "reports"
    copied = run("copy", card, disk.path, "--report-dir", reports)
    assert copied.returncode == 0, copied.stderr
    (entry,) = newest_report(reports)["files"]
    assert entry["destinations"][0]["cache_bypass"] == "device"

    flip_in_image(disk.image, data)
    # --reverify finds the copy wrong and copies it again (the bad copy replaced only once
    # the new one is verified).
    reverified = run("copy", "--reverify", card, disk.path, "--report-dir", reports)
    assert "copy no longer matches, copying it again" in reverified.stderr
    assert "read back again now and matched" not in reverified.stderr
    assert reverified.returncode == 0, reverified.stderr
    # The repaired copy rots again: offload verify reads the device, not its cache. (Its
    # finding revokes the ledger's record, so it is checked after --reverify here:
    # tests/cli/test_verify_revokes.py holds what a run does after such a check.)
    flip_in_image(disk.image, data)
    verified = run("verify", disk.path / "S1", "--report-dir", reports)
    assert verified.returncode == 11, verified.stdout + verified.stderr
    assert "CHANGED" in verified.stderr


@pytest.mark.fault
def test_bit_rot_under_ntfs_3g_is_found_by_verify(tmp_path: Path, ntfs_loop: Any) -> None:
    """Failed before: ``offload verify`` of a copy on ntfs-3g read the device's page cache
    and said 1 OK, exit 0, after a byte flipped in the image."""
    path, image = ntfs_loop
    card, data = make_card(tmp_path / "card", 1 << 20)
    reports = tmp_path / "reports"
    copied = run("copy", card, path, "--report-dir", reports)
    assert copied.returncode == 0, copied.stderr
    flip_in_image(image, data)
    verified = run("verify", path / "S1", "--report-dir", reports, "--json")
    assert verified.returncode == 11, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert (report["totals"]["changed"], report["files_read_from_media"]) == (1, 1)
    assert report["files_read_through_cache"] == 0


@pytest.mark.fault
def test_a_lying_drive_under_exfat_fuse_fails_the_copy(tmp_path: Path, faulty_fs: Any) -> None:
    """Failed before: with the exFAT image on a drive that stores zeros from 12 MiB on, the
    copy said "1 verified now", ``cache_bypass`` ``o_direct``, exit 0 (the read-back came from
    the loop device's page cache)."""
    require_root("loop devices")
    fs = faulty_fs(direct_io=True)
    with mounts.exfat_loop(tmp_path / "exl", 48 << 20, image=fs.mountpoint / "ex.img") as disk:
        fs.lie(12 << 20, path="*.img")
        card, _ = make_card(tmp_path / "card", 20 << 20)
        reports = tmp_path / "reports"
        copied = run("copy", card, disk.path, "--report-dir", reports)
        assert copied.returncode == 2, copied.stderr  # its only destination failed
        assert "read back twice" in copied.stderr, copied.stderr
        (entry,) = newest_report(reports)["files"]
        assert entry["destinations"][0]["status"] == "failed"


def test_a_device_this_user_cannot_open_is_recorded_as_read_through_its_cache(
    tmp_path: Path,
) -> None:
    """No permission to open the device (a user without root, EACCES): the read went through
    the device's page cache and says so (``none``), never ``device``."""
    require_root("a loop device, and a user that may not open it")
    require_tool("setpriv")
    require_tool("losetup")
    from offload.fs.below import CacheBelow
    from offload.results import CacheBypass

    image = tmp_path / "x.img"
    with open(image, "wb") as handle:
        handle.truncate(1 << 20)
    device = subprocess.check_output(["losetup", "-f", "--show", str(image)], text=True).strip()
    try:
        probe = (
            "import sys; from offload.fs.below import CacheBelow; "
            "from offload.results import CacheBypass as C; "
            f"print(CacheBelow('device', {device!r}).bypass(C.O_DIRECT).value)"
        )
        as_nobody = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             sys.executable, "-c", probe],
            capture_output=True, text=True, timeout=30,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )  # fmt: skip
        if as_nobody.returncode != 0 and "Permission denied" in as_nobody.stderr:
            pytest.skip(f"nobody cannot run this venv's python: {as_nobody.stderr[-200:]}")
        assert as_nobody.stdout.strip() == "none", as_nobody.stderr
        # As root the same device's cache is dropped.
        assert CacheBelow("device", device).bypass(CacheBypass.O_DIRECT) is CacheBypass.DEVICE
    finally:
        subprocess.run(["losetup", "-d", device], check=False, capture_output=True)


@pytest.fixture
def sshfs_share(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """``served`` (a folder on this host) mounted with sshfs as ``share``, served by
    sftp-server over a pipe as if from 127.0.0.1: (share, served)."""
    require_root("mounting sshfs")
    require_tool("sshfs")
    if not os.path.exists(SFTP_SERVER):
        require_tool("sftp-server")
    served, share = tmp_path / "served", tmp_path / "share"
    served.mkdir()
    share.mkdir()
    # ssh_command replaces ssh: sshfs runs it with ssh's arguments; this one ignores them
    # and speaks SFTP on its stdin/stdout, as sshd's sftp-server would on 127.0.0.1.
    fake_ssh = tmp_path / "fake-ssh"
    fake_ssh.write_text(f"#!/bin/sh\nexec {SFTP_SERVER}\n")
    fake_ssh.chmod(0o755)
    subprocess.run(
        ["sshfs", "-o", f"ssh_command={fake_ssh}", f"127.0.0.1:{served}", str(share)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    try:
        yield share, served
    finally:
        mounts.unmount(share)


@pytest.mark.fault
def test_an_sshfs_share_of_this_host_is_read_through_its_server(
    tmp_path: Path, sshfs_share: Any
) -> None:
    """Failed before: the share's read-back was recorded ``o_direct``, the card "may be
    formatted ... on 1 disk other than the card's" (the share is on this host's disk), and
    ``offload verify`` said "1 file read from the media"."""
    share, _ = sshfs_share
    card, _ = make_card(tmp_path / "card", 200_000)
    reports = tmp_path / "reports"
    copied = run("copy", card, share, "--report-dir", reports)
    assert copied.returncode == 0, copied.stderr
    report = newest_report(reports)
    (entry,) = report["files"]
    assert entry["destinations"][0]["cache_bypass"] == "server"
    release = report["card_release"]
    assert not release["may_format"], release["text"]
    assert "served from this host" in release["text"]
    assert "may be formatted" not in copied.stderr + copied.stdout
    assert (
        "READ THROUGH A CACHE: 1 copy verified now was read back through a cache, not from the "
        "media: 1 from a network share's server" in " ".join(copied.stderr.split())
    )
    verified = run("verify", share / "S1", "--report-dir", reports)
    assert verified.returncode == 0, verified.stderr
    assert "1 file read from the media" not in verified.stdout
    assert "0 files read from the media, 1 through a cache" in verified.stdout
    assert "read through a cache, not from the media" in verified.stderr


@pytest.mark.fault
def test_a_copy_read_back_through_a_cache_does_not_release_the_card_on_a_re_run() -> None:
    """A run as a user who may not open the drive's device reads the copy back through the
    device's cache (``none``) and keeps the card; its ledger entry records that, so the re-run
    that trusts the copy (``verified_earlier``) keeps the card too, and says why. Before the
    fix the ledger kept no trace of it: the re-run said "The card may be formatted"
    (reviewer's rerun.py)."""
    require_root("a loop device, tmpfs, and a user that may not open the device")
    require_tool("setpriv")
    require_tool("losetup")
    require_tool("mount.exfat-fuse")
    require_tool("mkfs.exfat")
    # Paths nobody can reach: pytest's tmp_path is under a folder only root may enter.
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        root = Path(folder)
        root.chmod(0o755)
        image, drive, card_mount, reports = root / "d.img", root / "d", root / "c", root / "r"
        drive.mkdir()
        reports.mkdir(mode=0o777)
        reports.chmod(0o777)
        with open(image, "wb") as handle:
            handle.truncate(64 << 20)
        device = subprocess.check_output(["losetup", "-f", "--show", str(image)], text=True)
        device = device.strip()
        try:
            subprocess.run(["mkfs.exfat", device], check=True, capture_output=True)
            argv = ["mount.exfat-fuse", "-d", "-o",
                    "allow_other,umask=0,uid=65534,gid=65534", device, str(drive)]  # fmt: skip
            with mounts._fuse_daemon(argv, drive), mounts.tmpfs(card_mount, 8 << 20):
                card, _ = make_card(card_mount, 300_000)
                subprocess.run(["chmod", "-R", "a+rwX", str(card_mount)], check=True)
                releases = []
                for _ in range(2):
                    done = subprocess.run(
                        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                         *CLI, "copy", str(card), str(drive), "--report-dir", str(reports)],
                        capture_output=True, text=True, timeout=120,
                        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
                             "HOME": str(reports), "COLUMNS": "200"},
                    )  # fmt: skip
                    if done.returncode != 0 and "Permission denied" in done.stderr:
                        pytest.skip(f"nobody cannot run this venv's python: {done.stderr[-200:]}")
                    report = newest_report(reports)
                    copy = report["files"][0]["destinations"][0]
                    releases.append((copy["status"], copy["cache_bypass"], report["card_release"]))
                    time.sleep(0.02)  # the next report is newer
                    assert done.returncode == 0, done.stderr
        finally:
            subprocess.run(["losetup", "-d", device], check=False, capture_output=True)
    (first, first_bypass, first_release), (second, second_bypass, second_release) = releases
    assert (first, first_bypass, first_release["may_format"]) == ("verified", "none", False)
    assert (second, second_bypass) == ("verified_earlier", "none")
    assert second_release["may_format"] is False, second_release
    assert "read back only through the page cache" in second_release["text"]
    assert "earlier run" in second_release["text"]


@pytest.mark.fault
def test_the_full_re_read_of_a_card_on_exfat_fuse_reaches_the_card(
    tmp_path: Path, faulty_fs: Any
) -> None:
    """The card is exFAT through exfat-fuse, its image on a drive (FaultyFS, no cache) that
    returns one flipped byte on the second read of the card file's data only. The first read
    fills the loop device's page cache; the full mode's re-read must reach the drive (the
    device cache dropped): the flip fires, the re-read differs, and is read once more from
    the drive (dropped again) and matches. Failed before (reviewer's src_reread.py): the
    re-read came from the device cache, recorded ``o_direct``; the flip never fired."""
    require_root("loop devices")
    fs = faulty_fs(direct_io=True)
    with mounts.exfat_loop(tmp_path / "exl", 48 << 20, image=fs.mountpoint / "ex.img") as disk:
        # Over 8 MiB: streamed with O_DIRECT, so the first read goes through the daemon.
        card, data = make_card(disk.path, 9 << 20)
        os.sync()
        raw = (fs.mountpoint / "ex.img").read_bytes()
        where = raw.find(data[:4096])
        assert where >= 0 and raw.find(data[:4096], where + 1) < 0
        del raw
        mounts.drop_cache(disk.device)  # the card's pages as written are not the card's
        rule = fs.flip(where + 100, path="*.img", op="read", nth=2)
        dest = tmp_path / "dest"
        dest.mkdir()
        reports = tmp_path / "reports"
        copied = run("copy", card, dest, "--report-dir", reports)
        assert copied.returncode == 0, copied.stderr
        (entry,) = newest_report(reports)["files"]
        assert fs.fired(rule) == 1, entry
        # The device's cache and the image's were dropped, but the image lies on a FUSE
        # filesystem whose daemon keeps it in files read through their own page cache: a
        # cache below no one here drops (fs/below.py), so not "device".
        assert entry["source_cache_bypass"] == "none"
        assert entry["destinations"][0]["status"] == "verified"
