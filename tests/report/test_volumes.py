"""Volume, device, filesystem and free space of a path (Linux /proc/self/mountinfo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.report import volumes


def test_volume_of_a_real_folder(tmp_path: Path) -> None:
    info = volumes.volume_of(tmp_path)
    st = os.statvfs(tmp_path)
    assert info["free_bytes"] == pytest.approx(st.f_bavail * st.f_frsize, rel=0.05)
    assert info["total_bytes"] == st.f_blocks * st.f_frsize
    if Path("/proc/self/mountinfo").exists():
        assert info["filesystem"] and info["mount_point"] and info["device"]
        assert str(tmp_path).startswith(info["mount_point"])
    # A destination folder that is gone (lost drive): its nearest existing parent answers.
    gone = volumes.volume_of(tmp_path / "not" / "there")
    assert gone["free_bytes"] == pytest.approx(info["free_bytes"], rel=0.05)  # others write too
    assert gone["mount_point"] == info["mount_point"]


def test_mountinfo_parsing_with_escaped_spaces_and_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
        "40 22 8:17 / /media/dit/SHUTTLE\\0402 rw,nosuid shared:1 - exfat /dev/sdb1 rw\n"
        "41 22 8:33 / /media/dit/RAID1 rw - ext4 /dev/sdc1 rw\n"
    )
    by_label = tmp_path / "by-label"
    by_label.mkdir()
    (by_label / "SHUTTLE\\x202").symlink_to("/dev/sdb1")
    monkeypatch.setattr(volumes, "MOUNTINFO", mountinfo)
    monkeypatch.setattr(volumes, "BY_LABEL", by_label)
    assert volumes._mounts()[1] == ("/media/dit/SHUTTLE 2", "exfat", "/dev/sdb1")
    assert volumes._labels() == {"/dev/sdb1": "SHUTTLE 2"}
    monkeypatch.setattr(volumes, "_existing", lambda path: path)
    monkeypatch.setattr(os.path, "realpath", lambda p, **_: str(p))
    monkeypatch.setattr(os, "statvfs", None, raising=False)
    info = volumes.volume_of("/media/dit/SHUTTLE 2/A001")
    assert (info["volume_label"], info["device"], info["filesystem"]) == (
        "SHUTTLE 2",
        "/dev/sdb1",
        "exfat",
    )
    # No udev label: the mount point's name, as a file browser shows it.
    assert volumes.volume_of("/media/dit/RAID1/x")["volume_label"] == "RAID1"
    assert volumes.volume_of("/home/dit")["volume_label"] is None  # the system disk


def test_add_volume_info_keys() -> None:
    data = {"source": "/", "destinations": [{"index": 0, "path": "/", "copy_root": "/x/y"}]}
    volumes.add_volume_info(data)
    dest = data["destinations"][0]
    for key in ("volume_label", "device", "filesystem", "mount_point", "free_bytes_after"):
        assert key in dest
    assert set(data["source_volume"]) >= {"device", "filesystem", "free_bytes"}
