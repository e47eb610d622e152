"""A destination that is a drive's empty mount folder on the system disk (``/mnt/RAID2``, its
drive not mounted): the preflight warns (``dest-on-system-disk``), in ``--dry-run`` and the
offload, terminal, JSON and the job report's warnings, and the card release says the disk it
counts is the system disk. The folder drives are mounted in is a folder of this test's
(``$OFFLOAD_MOUNT_PARENTS``, the documented setting), on the filesystem of ``/`` as
``/mnt`` is; a real tmpfs mounted at the folder is the drive mounted there (no warning)."""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from offload.cli.common import Environment
from offload.cli.pfndispatchcopy import main as pfn_main
from offload.fs.devices import unescape_escapes
from offload.plan.preflight.system_disk import FSTAB, drive_folder, fstab_mount_points
from support import mounts
from support.cards import clips_card
from support.offload_cli import newest_report, offload_streams

WORDS = "is on the system disk"


@pytest.fixture
def drives_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``FOLDER/mnt``, the folder drives are mounted in for this test, on ``/``'s filesystem
    (the system disk, whose words the tests check): in pytest's tmp_path when that is on
    it, else in a folder made beside the checkout (where /tmp is a tmpfs of its own); a
    skip only when neither is."""
    root = os.stat("/").st_dev
    checkout = Path(__file__).resolve().parents[2]
    made = None
    if os.stat(tmp_path).st_dev == root:
        base = tmp_path
    elif os.stat(checkout).st_dev == root:
        base = made = Path(tempfile.mkdtemp(prefix=".drives-folder-", dir=checkout))
    else:
        pytest.skip(f"neither {tmp_path} nor {checkout} is on the filesystem of /")
    folder = base / "mnt"
    folder.mkdir()
    monkeypatch.setenv("OFFLOAD_MOUNT_PARENTS", f"/nowhere-{os.getpid()}:{folder}")
    try:
        yield folder
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


@pytest.fixture
def fake_fstab(
    tmp_path: Path, bind_mount: Callable[[Path, Path], mounts.Mount]
) -> Callable[[str], Path]:
    """Factory: ``fake_fstab(text)``, a file of *text* bound over ``/etc/fstab`` inside the
    session's private mount namespace (a skip where the session shares its parent's: the
    host's ``/etc/fstab`` is never touched); undone at the end of the test."""
    if os.readlink("/proc/self/ns/mnt") == os.readlink(f"/proc/{os.getppid()}/ns/mnt"):
        pytest.skip("the session shares its parent's mount namespace (see conftest.NAMESPACE)")
    if not FSTAB.is_file():
        pytest.skip(f"{FSTAB} is not a file here: nothing to bind a fake one over")

    def make(text: str) -> Path:
        fake = tmp_path / "fstab"
        fake.write_text(text)
        bind_mount(fake, FSTAB)
        assert FSTAB.read_text() == text
        return fake

    return make


@pytest.fixture
def card_in_memory(tmpfs_mount: Callable[..., mounts.Mount]) -> Path:
    """A card on a tmpfs of its own (on no disk: the copy on the system disk counts)."""
    return clips_card(Path(tmpfs_mount(4 << 20).path), 2, 30_000)


def test_dry_run_warns_of_a_drive_folder_on_the_system_disk(
    tmp_path: Path, drives_folder: Path, card_in_memory: Path
) -> None:
    """Failed before: no WARNING line at all (QA: ``/mnt/RAID2`` left from a drive not
    mounted took the copy without a word)."""
    raid = drives_folder / "RAID2"
    raid.mkdir()
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, raid)
    assert code == 0, out + err
    warned = [line for line in (out + err).splitlines() if WORDS in line]
    assert len(warned) == 1, out + err
    assert warned[0].startswith(f"WARNING: destination {raid} {WORDS} (")
    assert "mounted at /), not on a drive of its own: is its drive mounted?" in warned[0]
    # The dry run's JSON carries it with its code.
    code, out, _ = offload_streams("copy", "--dry-run", "--json", card_in_memory, raid)
    assert code == 0
    codes = [w["code"] for w in json.loads(out.splitlines()[-1])["warnings"]]
    assert codes == ["dest-on-system-disk"]


def test_a_folder_deeper_below_it_is_warned_of_too(
    drives_folder: Path, card_in_memory: Path
) -> None:
    """``/mnt/RAID2/shoot``, made on the system disk (a script's ``mkdir -p``): warned of;
    the drives' folder itself (``/mnt``) names no drive: not warned of."""
    shoot = drives_folder / "RAID2" / "shoot"
    shoot.mkdir(parents=True)
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, shoot)
    assert code == 0, out + err
    assert f"destination {shoot} {WORDS}" in out + err
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, drives_folder)
    assert code == 0, out + err
    assert WORDS not in out + err


def test_the_offload_warns_and_the_release_names_the_system_disk(
    tmp_path: Path, drives_folder: Path, card_in_memory: Path
) -> None:
    """Failed before: "The card may be formatted: every file is verified (read back) on 1
    disk other than the card's. That is one backup" and nothing else."""
    raid = drives_folder / "RAID2"
    raid.mkdir()
    reports = tmp_path / "reports"
    code, out, err = offload_streams("copy", "--report-dir", reports, card_in_memory, raid)
    assert code == 0, out + err
    assert f"WARNING: destination {raid} {WORDS}" in err
    report = newest_report(reports)
    assert [w["code"] for w in report["warnings"]] == ["dest-on-system-disk"]
    release = report["card_release"]
    assert release["may_format"] is True
    assert f"{raid} is a folder on the system disk (" in release["text"]
    assert "not on a drive of its own (is its drive mounted?)" in release["text"]
    assert release["text"] in " ".join(err.split())


def test_a_drive_mounted_at_the_folder_is_not_warned_of(
    drives_folder: Path, card_in_memory: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """The drive mounted (a tmpfs at ``TMP/mnt/RAID2``): another filesystem, no warning;
    and a folder on the system disk outside the drives' folders neither."""
    raid = Path(tmpfs_mount(4 << 20, path=drives_folder / "RAID2").path)
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, raid)
    assert code == 0, out + err
    assert WORDS not in out + err
    elsewhere = drives_folder.parent / "offloads"
    elsewhere.mkdir()
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, elsewhere)
    assert code == 0, out + err
    assert WORDS not in out + err


def test_an_fstab_mount_point_counts_as_a_drive_folder(tmp_path: Path) -> None:
    """A mount point ``/etc/fstab`` lists (not ``/``, not swap) is a drive's folder, itself
    and below, compared with the filesystem of the folder above it; a mount parent only
    strictly below it, compared with the parent's own."""
    fstab = tmp_path / "fstab"
    fstab.write_text(
        "# comment\n"
        "UUID=1 / ext4 defaults 0 1\n"
        "UUID=2 none swap sw 0 0\n"
        "LABEL=RAID /srv/RAID\\0402 exfat nofail 0 0  # the drive\n"
    )
    points = fstab_mount_points(fstab)
    assert points == ("/srv/RAID 2",)
    assert drive_folder("/srv/RAID 2", (), points) == "/srv"
    assert drive_folder("/srv/RAID 2/day1", (), points) == "/srv"
    assert drive_folder("/srv", (), points) is None
    assert drive_folder("/mnt", ("/mnt",), ()) is None
    assert drive_folder("/mnt/RAID2", ("/mnt",), ()) == "/mnt"
    assert fstab_mount_points(tmp_path / "none") == ()


def test_pfndispatchcopy_says_it_too(
    drives_folder: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """One file copied into a drive's folder on the system disk: the same WARNING line on
    stderr (``api._SAID_WARNINGS``), the copy made (exit 0)."""
    source = Path(tmpfs_mount(1 << 20).path) / "clip.mov"
    source.write_bytes(os.urandom(10_000))
    raid = drives_folder / "RAID2"
    raid.mkdir()
    out, err = io.StringIO(), io.StringIO()
    code = pfn_main(
        [str(source), str(raid / "clip.mov")],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 0, err.getvalue()
    assert f"WARNING: destination {raid} {WORDS} (" in err.getvalue()
    assert (raid / "clip.mov").read_bytes() == source.read_bytes()


def test_a_drive_folder_on_another_filesystem_than_roots_is_named_as_that(
    monkeypatch: pytest.MonkeyPatch,
    tmpfs_mount: Callable[..., mounts.Mount],
    card_in_memory: Path,
) -> None:
    """``/run/media/USER`` is on a tmpfs (``/run``): a drive's folder left there, its drive
    not mounted, is on that tmpfs, not on ``/``'s filesystem: warned of, named so."""
    run = Path(tmpfs_mount(1 << 20).path)
    shuttle = run / "media" / "dit" / "SHUTTLE"
    shuttle.mkdir(parents=True)
    monkeypatch.setenv("OFFLOAD_MOUNT_PARENTS", str(run / "media"))
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, shuttle)
    assert code == 0, out + err
    assert (
        f"WARNING: destination {shuttle} is on the filesystem of {run / 'media'} (tmpfs, "
        f"mounted at {run}), not on a drive of its own: is its drive mounted?"
    ) in out + err


def test_the_release_names_the_disk_of_a_drives_folder_off_root(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    disk_folder: Path,  # before exfat_loop: torn down after the image is unmounted
    exfat_loop: Any,
    card_in_memory: Path,
) -> None:
    """The folder drives are mounted in, a folder of a filesystem of its own (an exFAT
    image mounted at ``TMP/drives``, on the disk of the test's folder, as ``/run/media`` is
    a folder of ``/run``): the release names that filesystem's disk, not "the system disk".
    (Pinned before: the exFAT's mount point itself as the mount parent, warned of; a drive
    mounted at the mount parent is one of its own, never warned of.)"""
    holder = Path(exfat_loop(path=disk_folder / "drives").path)  # its image on a disk
    parent = holder / "media"
    raid = parent / "RAID2"
    raid.mkdir(parents=True)
    monkeypatch.setenv("OFFLOAD_MOUNT_PARENTS", str(parent))
    reports = tmp_path / "reports"
    code, out, err = offload_streams("copy", "--report-dir", reports, card_in_memory, raid)
    assert code == 0, out + err
    assert f"WARNING: destination {raid} is on the filesystem of {parent} (" in err
    release = newest_report(reports)["card_release"]
    assert release["may_format"] is True, release
    assert f"{raid} is a folder on the disk of {holder} (" in release["text"]
    assert "system disk" not in release["text"]


def test_an_odd_fstab_line_stops_no_run(
    tmp_path: Path,
    fake_fstab: Callable[[str], Path],
    card_in_memory: Path,
    tmpfs_mount: Callable[..., mounts.Mount],
) -> None:
    """Failed before: ``\\089`` (8 and 9 are no octal digits) in a hand-written
    ``/etc/fstab`` line raised ValueError from the warning's check: a traceback and exit 1
    for every ``offload copy`` and ``pfndispatchcopy``. Now the line is taken as written."""
    fake_fstab("/dev/sdb1 /srv/take\\0891 ext4 nofail 0 0\n")
    assert fstab_mount_points() == ("/srv/take\\0891",)
    assert unescape_escapes("/srv/take\\0891 \\040 \\x+1 \\x41") == "/srv/take\\0891   \\x+1 A"
    dest = tmp_path / "offloads"
    dest.mkdir()
    code, out, err = offload_streams("copy", card_in_memory, dest)
    assert code == 0, out + err
    assert (dest / card_in_memory.name / "CLIPS" / "C000.mov").is_file()
    source = Path(tmpfs_mount(1 << 20).path) / "clip.mov"
    source.write_bytes(os.urandom(10_000))
    out_, err_ = io.StringIO(), io.StringIO()
    code = pfn_main(
        [str(source), str(dest / "clip.mov")],
        Environment(stdout=out_, stderr=err_, install_signal_handlers=False),
    )
    assert code == 0, err_.getvalue()


def test_an_unmounted_fstab_drive_is_warned_of_but_not_a_bind_entry(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_fstab: Callable[[str], Path],
    card_in_memory: Path,
) -> None:
    """A real ``/etc/fstab`` (bound over it): its drive's mount point, not mounted, warned
    of; a bind entry (``none``, option ``bind``: a folder seen at another path) is no drive
    (failed before: warned of as one)."""
    drive = tmp_path / "srv" / "RAID 2"
    bound = tmp_path / "srv" / "exports"
    drive.mkdir(parents=True)
    bound.mkdir()
    spelled = str(drive).replace(" ", "\\040")
    fake_fstab(
        "UUID=1 / ext4 defaults 0 1\n"
        f"LABEL=RAID {spelled} ext4 nofail 0 0\n"
        f"{tmp_path}/data {bound} none bind 0 0\n"
    )
    monkeypatch.setenv("OFFLOAD_MOUNT_PARENTS", f"/nowhere-{os.getpid()}")
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, drive)
    assert code == 0, out + err
    assert f"WARNING: destination {drive} is on " in out + err
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, bound)
    assert code == 0, out + err
    assert "not on a drive of its own" not in out + err


def test_nested_fstab_points_count_the_deepest(tmp_path: Path) -> None:
    """``/srv/RAID/proxies`` listed below ``/srv/RAID``: a folder of the proxies' drive is
    compared with ``/srv/RAID``'s filesystem, the folder holding its mount point (failed
    before: with ``/srv``'s, so the proxies' drive unmounted on a mounted RAID was missed)."""
    points = ("/srv/RAID", "/srv/RAID/proxies")
    assert drive_folder("/srv/RAID/proxies/day1", (), points) == "/srv/RAID"
    assert drive_folder("/srv/RAID/day1", (), points) == "/srv"
    assert drive_folder("/media/dit/X/y", ("/media", "/media/dit"), ()) == "/media/dit"


def test_pfndispatchcopy_warns_of_a_drive_folder_it_creates(
    drives_folder: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """``--create-folders`` into ``/mnt/RAID2/day1``, ``RAID2`` not there (its drive not
    mounted): the folders are made on the system disk. Failed before: no warning (the rule
    was asked of ``/mnt``, the nearest existing folder, which names no drive)."""
    source = Path(tmpfs_mount(1 << 20).path) / "clip.mov"
    source.write_bytes(os.urandom(10_000))
    raid = drives_folder / "RAID2"
    target = raid / "day1" / "clip.mov"
    out, err = io.StringIO(), io.StringIO()
    code = pfn_main(
        ["--create-folders", str(source), str(target)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 0, err.getvalue()
    assert f"WARNING: destination {raid / 'day1'} {WORDS} (" in err.getvalue()
    assert target.read_bytes() == source.read_bytes()


def test_a_drive_mounted_at_the_copy_root_is_not_warned_of(
    tmp_path: Path,
    drives_folder: Path,
    card_in_memory: Path,
    ext4_loop: Callable[..., mounts.Ext4Loop],
) -> None:
    """``offload copy CARD /mnt/shuttles`` where ``/mnt/shuttles/<card>`` is a drive's mount
    point: the files land on that drive. Failed before: warned "on the system disk" (the
    rule looked at the destination, not where the files land) while the release counted the
    drive."""
    shuttles = drives_folder / "shuttles"
    ext4_loop(path=shuttles / card_in_memory.name)
    # A drive mounted inside the copy root (``DEST/A001/CLIPS``): the card's clips land on
    # it: not warned of either.
    inside = drives_folder / "inside"
    ext4_loop(path=inside / card_in_memory.name / "CLIPS")
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, inside)
    assert code == 0, out + err
    assert "not on a drive of its own" not in out + err
    reports = tmp_path / "reports"
    code, out, err = offload_streams("copy", "--report-dir", reports, card_in_memory, shuttles)
    assert code == 0, out + err
    assert "not on a drive of its own" not in out + err
    report = newest_report(reports)
    assert report["warnings"] == [], report["warnings"]
    assert "system disk" not in report["card_release"]["text"]


def test_a_drive_mounted_at_the_mount_parent_itself_is_not_warned_of(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    card_in_memory: Path,
    ext4_loop: Callable[..., mounts.Ext4Loop],
    tmpfs_mount: Callable[..., mounts.Mount],
    fake_fstab: Callable[[str], Path],
) -> None:
    """Azure's ``/mnt`` resource disk (listed in ``/etc/fstab``), a RAID mounted at
    ``/media``: every folder of it is that drive's. Failed before: each was warned of as a
    drive's folder not mounted. A mount parent that is a folder of a mount (``/run/media``
    on ``/run``'s tmpfs) is still the rule's."""
    mnt = Path(ext4_loop(path=tmp_path / "mnt").path)
    (mnt / "offloads").mkdir()
    fake_fstab(f"/dev/sdb1 {mnt} ext4 defaults,nofail 0 2\n")
    run = Path(tmpfs_mount(1 << 20).path)
    shuttle = run / "media" / "dit" / "SHUTTLE"
    shuttle.mkdir(parents=True)
    monkeypatch.setenv("OFFLOAD_MOUNT_PARENTS", f"{mnt}:{run / 'media'}")
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, mnt / "offloads")
    assert code == 0, out + err
    assert "not on a drive of its own" not in out + err
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, shuttle)
    assert code == 0, out + err
    assert f"WARNING: destination {shuttle} is on the filesystem of {run / 'media'}" in out + err


def test_a_mount_parent_on_a_filesystem_of_its_own_but_no_drive_is_still_the_rules(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    card_in_memory: Path,
    tmpfs_mount: Callable[..., mounts.Mount],
) -> None:
    """The mount parent itself a mount point, but of no drive of its own: macOS's
    ``/Volumes`` (a firmlink into the Data volume, another ``st_dev`` than ``/``'s, one
    disk), ``/mnt`` bind-mounted into a container; here a tmpfs mounted at ``TMP/mnt`` (on
    no disk, as the folder above it is on no other), not in ``/etc/fstab``: a drive's folder
    left in it, its drive not mounted, is warned of. Failed before: any mount parent that
    was a mount point was dropped, and the check with it (no warning at all)."""
    mnt = Path(tmpfs_mount(1 << 20, path=tmp_path / "mnt").path)
    raid = mnt / "RAID2"
    raid.mkdir()
    monkeypatch.setenv("OFFLOAD_MOUNT_PARENTS", str(mnt))
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, raid)
    assert code == 0, out + err
    assert (
        f"WARNING: destination {raid} is on the filesystem of {mnt} (tmpfs, mounted at {mnt}), "
        "not on a drive of its own: is its drive mounted?"
    ) in out + err


def test_the_release_names_the_disk_of_each_warned_folder(
    tmp_path: Path,
    drives_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    disk_folder: Path,  # before exfat_loop: torn down after the image is unmounted
    exfat_loop: Any,
    card_in_memory: Path,
) -> None:
    """Two drives' folders, on two filesystems: the release names each one's disk. Failed
    before: both said to be on the first one's ("RAID2, RAID3 are folders on the system
    disk")."""
    raid2 = drives_folder / "RAID2"
    raid2.mkdir()
    holder = Path(exfat_loop(path=disk_folder / "drives").path)  # its image on a disk
    raid3 = holder / "media" / "RAID3"
    raid3.mkdir(parents=True)
    monkeypatch.setenv("OFFLOAD_MOUNT_PARENTS", f"{drives_folder}:{holder / 'media'}")
    reports = tmp_path / "reports"
    code, out, err = offload_streams("copy", "--report-dir", reports, card_in_memory, raid2, raid3)
    assert code == 0, out + err
    report = newest_report(reports)
    codes = [w["code"] for w in report["warnings"]]
    assert codes.count("dest-on-system-disk") == 2, codes  # and dest-same-disk: one disk
    text = report["card_release"]["text"]
    assert f"{raid2} is a folder on the system disk (" in text
    assert f"{raid3} is a folder on the disk of {holder} (" in text
    assert "those disks are counted, not the drive." in text


def test_only_fstab_entries_of_a_drive_or_a_share_name_a_drives_folder(tmp_path: Path) -> None:
    """An fstab entry says a drive (or a share) belongs at its mount point unless it is
    known to hold no storage: a ``tmpfs``, a kernel filesystem (``proc``, ``sysfs``,
    ``devpts``...) or a ``none`` source of a type no share has. A device, a tag, an image
    file, a dataset, a share, ``noauto`` or not, and a share named by a bare word of a type
    unknown here (VirtualBox's ``vboxsf``, Parallels' ``prl_fs``) count. Failed before: every
    entry but ``/``, swap and bind mounts counted (first65); then the bare-word shares were
    left out (its review)."""
    drives = [
        ("UUID=0a1b-2c3d", "exfat", "noauto,nofail,user"),
        ("LABEL=RAID", "ext4", "nofail"),
        ("PARTUUID=5e6f-01", "xfs", "defaults"),
        ("PARTLABEL=shuttle", "btrfs", "noauto"),
        ("/dev/sdz1", "auto", "noauto,user"),
        ("/dev/mapper/vg-footage", "ext4", "defaults"),
        ("/srv/images/disk.img", "ext4", "loop"),
        ("tank/footage", "zfs", "defaults"),
        ("tank", "zfs", "defaults"),
        ("nas:/export/footage", "nfs4", "noauto,_netdev"),
        ("//nas/footage", "cifs", "credentials=/etc/nas"),
        ("hostshare", "virtiofs", "defaults"),
        ("dit@nas:/footage", "fuse.sshfs", "noauto,_netdev"),
        ("footage", "vboxsf", "uid=1000,gid=1000"),
        ("Footage", "prl_fs", "noauto"),
        ("none", "fuse.sshfs", "noauto"),  # none with a FUSE type: the type tells
    ]
    others = [
        ("tmpfs", "tmpfs", "size=4g"),
        ("none", "tmpfs", "defaults"),
        ("ramfs", "ramfs", "defaults"),
        ("proc", "proc", "defaults"),
        ("sysfs", "sysfs", "defaults"),
        ("devpts", "devpts", "gid=5,mode=620"),
        ("cgroup2", "cgroup2", "defaults"),
        ("hugetlbfs", "hugetlbfs", "defaults"),
        ("overlay", "overlay", "lowerdir=/a,upperdir=/b,workdir=/c"),
        ("/dev/shm-like", "tmpfs", "defaults"),  # a path as source: still a tmpfs
        ("none", "aufs", "br=/a:/b"),  # a none source of another type
    ]
    lines, wanted = [], []
    for n, (source, kind, options) in enumerate(drives + others):
        point = f"/srv/m{n:02d}"
        lines.append(f"{source} {point} {kind} {options} 0 0\n")
        if n < len(drives):
            wanted.append(point)
    fstab = tmp_path / "fstab"
    fstab.write_text("UUID=1 / ext4 defaults 0 1\n" + "".join(lines))
    assert fstab_mount_points(fstab) == tuple(wanted)


def test_an_unmounted_fstab_tmpfs_is_no_drives_folder(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_fstab: Callable[[str], Path],
    card_in_memory: Path,
) -> None:
    """A real ``/etc/fstab`` (bound over it) listing a ``tmpfs`` and a ``proc`` whose mount
    points are not mounted, and a ``noauto`` drive not mounted: a folder below the tmpfs's
    or proc's mount point is not warned of as a drive's ("is its drive mounted?": no drive
    belongs there; failed before: warned of); the drive's, plugged in by hand, still is."""
    scratch = tmp_path / "srv" / "scratch"
    proc = tmp_path / "srv" / "proc"
    drive = tmp_path / "srv" / "shuttle"
    for folder in (scratch / "day1", proc, drive):
        folder.mkdir(parents=True)
    fake_fstab(
        "UUID=1 / ext4 defaults 0 1\n"
        f"tmpfs {scratch} tmpfs size=4g 0 0\n"
        f"proc {proc} proc defaults 0 0\n"
        f"UUID=0a1b-2c3d {drive} exfat noauto,nofail,user 0 0\n"
    )
    monkeypatch.setenv("OFFLOAD_MOUNT_PARENTS", f"/nowhere-{os.getpid()}")
    for folder in (scratch / "day1", proc):
        code, out, err = offload_streams("copy", "--dry-run", card_in_memory, folder)
        assert code == 0, out + err
        assert "not on a drive of its own" not in out + err, folder
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, drive)
    assert code == 0, out + err
    assert f"WARNING: destination {drive} is on " in out + err


def test_a_mount_parent_fstab_lists_as_a_tmpfs_is_still_the_rules(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    card_in_memory: Path,
    tmpfs_mount: Callable[..., mounts.Mount],
    fake_fstab: Callable[[str], Path],
) -> None:
    """``/mnt`` a tmpfs ``/etc/fstab`` lists (mounted): no drive of its own, its folders
    where drives are mounted, a drive's folder left in it warned of (the copy would land in
    memory). Failed before: an fstab entry made the mount parent a drive's own mount point,
    and nothing below it was looked at."""
    mnt = Path(tmpfs_mount(1 << 20, path=tmp_path / "mnt").path)
    raid = mnt / "RAID2"
    raid.mkdir()
    fake_fstab(f"tmpfs {mnt} tmpfs defaults 0 0\n")
    monkeypatch.setenv("OFFLOAD_MOUNT_PARENTS", str(mnt))
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, raid)
    assert code == 0, out + err
    assert (
        f"WARNING: destination {raid} is on the filesystem of {mnt} (tmpfs, mounted at {mnt}), "
        "not on a drive of its own: is its drive mounted?"
    ) in out + err


def test_a_share_fstab_names_by_a_bare_word_is_a_drives_folder(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    card_in_memory: Path,
    tmpfs_mount: Callable[..., mounts.Mount],
    fake_fstab: Callable[[str], Path],
) -> None:
    """A real ``/etc/fstab`` (bound over it) listing VirtualBox shares (``footage ... vboxsf``:
    a bare word, a type unknown here). Not mounted: a copy to its folder lands on the disk
    below, warned of. Mounted at a mount parent (a tmpfs stands in for the share: on no
    disk either): that parent is the share's own mount point, its folders not warned of.
    Failed before (the entry did not count): no warning for the first, "not on a drive of
    its own" for the second."""
    share = tmp_path / "srv" / "footage"
    share.mkdir(parents=True)
    mnt = Path(tmpfs_mount(1 << 20, path=tmp_path / "mnt").path)
    (mnt / "day1").mkdir()
    fake_fstab(
        "UUID=1 / ext4 defaults 0 1\n"
        f"footage {share} vboxsf uid=1000,gid=1000 0 0\n"
        f"Footage {mnt} prl_fs defaults 0 0\n"
    )
    monkeypatch.setenv("OFFLOAD_MOUNT_PARENTS", str(mnt))
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, share)
    assert code == 0, out + err
    assert f"WARNING: destination {share} is on " in out + err
    code, out, err = offload_streams("copy", "--dry-run", card_in_memory, mnt / "day1")
    assert code == 0, out + err
    assert "not on a drive of its own" not in out + err
