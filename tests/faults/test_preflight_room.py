"""The preflight refuses, before the first byte, a destination that will not hold the card
and offload-ai's own files (ledger, manifests, reports), counted in the destination's
allocation unit, or that has too few inodes for the files and folders to create; and it
lets through the largest card that does fit, which then copies cleanly, manifests and
reports included. Real filesystems on loop devices (exFAT with 64 KiB clusters, ext4 with
few inodes), the real ``offload copy``, and the reference tool judging the manifests.

Failed before: each refused card passed the preflight and then lost its manifest or report
(ENOSPC, exit 1, the destination still ``ok``), or every file (out of inodes, told to "free
space" with 58 MB free)."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.card import OffloadOptions, plan_offload
from offload.cli.common import Environment
from offload.cli.offload import main
from offload.errors import PreflightRefused, UsageError
from offload.options import CopyOptions, ExistingFilePolicy, VerifyMode
from support.ascmhl_judge import AscmhlJudge
from support.faultyfs import FaultyFS
from support.mounts import ExfatLoop, Ext4Loop, Mount, leave_free_inodes

pytestmark = pytest.mark.fault

MIB = 1 << 20


def offload(*argv: str | Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue() + err.getvalue()


def make_card(root: Path, count: int, size: int, *, name: str = "A006") -> Path:
    card = root / name
    card.mkdir(parents=True)
    for i in range(count):
        (card / f"C{i:04d}.bin").write_bytes(os.urandom(size))
    return card


def plain(tmp_path: Path, *names: str) -> list[Path]:
    folders = [tmp_path / name for name in names]
    for folder in folders:
        folder.mkdir()
    return folders


def passes(card: Path, dests: list[Path]) -> bool:
    try:
        plan_offload(card, dests, OffloadOptions())
    except UsageError:
        return False
    return True


def largest_card_that_passes(card: Path, spare: Path, dests: list[Path]) -> int:
    """Move files of *card* into *spare* (a folder beside it) until the preflight lets the
    card through onto *dests* with one file fewer and refuses it with one more: the card
    then holds the largest number of its files that the preflight accepts. Bisection."""
    spare.mkdir()
    names = sorted(os.listdir(card))
    assert not passes(card, dests), "the whole card must not fit"
    low, high = 0, len(names)  # low passes (no file), high is refused

    def keep(count: int) -> None:
        for name in names[:count]:
            if not (card / name).exists():
                os.rename(spare / name, card / name)
        for name in names[count:]:
            if (card / name).exists():
                os.rename(card / name, spare / name)

    while high - low > 1:
        middle = (low + high) // 2
        keep(middle)
        if passes(card, dests):
            low = middle
        else:
            high = middle
    keep(high)
    assert not passes(card, dests)
    keep(low)
    assert passes(card, dests)
    return low


def assert_complete(judge: AscmhlJudge, copy_root: Path, files: int) -> None:
    """Every file copied, the manifests accepted by the reference tool, every report there."""
    assert len([n for n in os.listdir(copy_root) if n.endswith(".bin")]) == files
    result = judge.verify(copy_root)
    assert result.clean, result.describe()
    reports = os.listdir(copy_root / ".offload" / "reports")
    assert {Path(n).suffix for n in reports} >= {".json", ".csv", ".html", ".pdf"}, reports


# -- exFAT, 64 KiB clusters: every file of ours takes a cluster --------------------------------


def test_exfat_64k_clusters_without_room_for_our_files_is_refused_up_front(
    tmp_path: Path, exfat_loop: Callable[..., ExfatLoop]
) -> None:
    """QA's card: 214 files of 60,000 bytes onto 16 MiB of 64 KiB clusters (221 free). The
    files fit; the manifest and the reports did not (exit 1, ``ok`` all the same)."""
    ex64 = exfat_loop(16 * MIB, cluster="64K").path
    assert os.statvfs(ex64).f_frsize == 64 * 1024
    card = make_card(tmp_path / "card", 214, 60_000)
    [other] = plain(tmp_path, "xf")
    code, output = offload("copy", card, ex64, other, "--report-dir", tmp_path / "reports")
    assert code == 64, output
    assert "not enough free space" in output and str(ex64) in output, output
    assert os.listdir(ex64) == [] and os.listdir(other) == []


def test_exfat_64k_the_largest_card_the_preflight_accepts_copies_whole(
    tmp_path: Path, exfat_loop: Callable[..., ExfatLoop], judge: AscmhlJudge
) -> None:
    ex64 = exfat_loop(16 * MIB, cluster="64K").path
    card = make_card(tmp_path / "card", 214, 60_000)
    [other] = plain(tmp_path, "xf")
    count = largest_card_that_passes(card, tmp_path / "spare", [ex64, other])
    assert count >= 195  # the 64 KiB clusters of our own files, not a blanket margin
    code, output = offload("copy", card, ex64, other, "--report-dir", tmp_path / "reports")
    assert code == 0, output
    assert_complete(judge, ex64 / card.name, count)


# -- ext4, 4 KiB blocks, a card of small files to three destinations --------------------------


def ext4_small(ext4_loop: Callable[..., Ext4Loop]) -> Path:
    return ext4_loop(24 * MIB, mkfs_args=("-b", "4096", "-N", "4096")).path


def test_ext4_card_that_filled_the_old_reserve_is_refused_up_front(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop]
) -> None:
    """QA's card: files of 4 KiB sized to fill the free space within the old reserve (64 KiB
    and 1 KiB a file), to three destinations: the reports (1.3 KB a file and more) did not
    fit, exit 1."""
    e4s = ext4_small(ext4_loop)
    st = os.statvfs(e4s)
    free = st.f_bavail * st.f_frsize
    count = (free - 4096 - 64 * 1024) // (4096 + 1024)
    assert count > 3000
    card = make_card(tmp_path / "card", count, 4096, name="A007")
    xf, bt = plain(tmp_path, "xf", "bt")
    code, output = offload("copy", card, e4s, xf, bt, "--report-dir", tmp_path / "reports")
    assert code == 64, output
    assert "not enough free space" in output and str(e4s) in output, output
    assert sorted(os.listdir(e4s)) == ["lost+found"]


# Up to 30 s of the fault suite's 60 under load on two xdist workers: room to spare.
@pytest.mark.timeout(120)
def test_ext4_the_largest_card_of_small_files_the_preflight_accepts_copies_whole(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop], judge: AscmhlJudge
) -> None:
    e4s = ext4_small(ext4_loop)
    st = os.statvfs(e4s)
    card = make_card(tmp_path / "card", (st.f_bavail * st.f_frsize) // 4096, 4096, name="A007")
    xf, bt = plain(tmp_path, "xf", "bt")
    count = largest_card_that_passes(card, tmp_path / "spare", [e4s, xf, bt])
    code, output = offload("copy", card, e4s, xf, bt, "--report-dir", tmp_path / "reports")
    assert code == 0, output
    assert_complete(judge, e4s / card.name, count)


# -- ext4 with few inodes ------------------------------------------------------------------------


def few_inodes(ext4_loop: Callable[..., Ext4Loop]) -> Path:
    return ext4_loop(64 * MIB, mkfs_args=("-N", "64")).path


def test_out_of_inodes_is_refused_up_front_and_named(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop]
) -> None:
    """QA's card: 100 files of 3 KB onto an ext4 with 53 free inodes and 58 MB free. Before:
    every file failed there, the message said to free space."""
    e4 = few_inodes(ext4_loop)
    assert os.statvfs(e4).f_favail < 100
    card = make_card(tmp_path / "card", 100, 3000, name="A004")
    [other] = plain(tmp_path, "xf")
    code, output = offload("copy", card, e4, other, "--report-dir", tmp_path / "reports")
    assert code == 64, output
    assert "out of inodes" in output and str(e4) in output, output
    assert "not enough free space" not in output, output
    assert sorted(os.listdir(e4)) == ["lost+found"]


def test_the_largest_card_the_inodes_allow_copies_whole(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop], judge: AscmhlJudge
) -> None:
    e4 = few_inodes(ext4_loop)
    card = make_card(tmp_path / "card", 100, 3000, name="A004")
    [other] = plain(tmp_path, "xf")
    count = largest_card_that_passes(card, tmp_path / "spare", [e4, other])
    # The copy root, the files and at most 18 entries of our own (OWN_ENTRIES).
    assert count >= os.statvfs(e4).f_favail - 1 - 18
    code, output = offload("copy", card, e4, other, "--report-dir", tmp_path / "reports")
    assert code == 0, output
    assert_complete(judge, e4 / card.name, count)


# -- a re-run onto a nearly full drive --------------------------------------------------------


# Up to 30 s of the fault suite's 60 under load on two xdist workers: room to spare.
@pytest.mark.timeout(120)
def test_a_rerun_with_nothing_new_fits_where_a_whole_ledger_and_generation_would_not(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop], judge: AscmhlJudge
) -> None:
    """A card already offloaded; the drive then filled up: the re-run (nothing to copy, the
    manifests found complete by the first run) appends nothing to the ledger and writes no
    generation, only its reports. The preflight keeps room for those alone, not for a whole
    ledger and a whole generation more. Failed before: refused, exit 64, with room to spare."""
    from offload.plan.preflight.space import own_files
    from offload.plan.scan import scan_source

    drive = ext4_loop(32 * MIB, mkfs_args=("-b", "4096", "-N", "8192")).path
    card = tmp_path / "card" / "A008"
    card.mkdir(parents=True)
    for i in range(3000):
        (card / f"A008C{i:04d}_250101_{'x' * 24}.bin").write_bytes(os.urandom(100))
    reports = tmp_path / "reports"
    code, output = offload("copy", card, drive, "--report-dir", reports)
    assert code == 0, output
    tree = scan_source(card)
    roots = [str(drive / card.name)]
    whole = own_files(tree, 4096, copy_roots=roots).bytes
    rerun = own_files(tree, 4096, copy_roots=roots, ledger_paths=(), generation=False).bytes
    assert whole - rerun > 1 * MIB  # the ledger and the generation of 3,000 files
    # Fill the drive to half-way between the two reserves.
    st = os.statvfs(drive)
    filler = drive / "filler"
    with open(filler, "wb") as out:
        os.posix_fallocate(out.fileno(), 0, st.f_bavail * st.f_frsize - (whole + rerun) // 2)
        os.fsync(out.fileno())
    st = os.statvfs(drive)
    free = st.f_bavail * st.f_frsize
    assert rerun < free < whole, (rerun, free, whole)

    code, output = offload("copy", card, drive, "--report-dir", reports)
    assert code == 0, output
    assert "not enough free space" not in output, output
    copy_root = drive / card.name
    assert len(list((copy_root / "ascmhl").glob("*.mhl"))) == 1  # no generation written
    assert judge.verify(copy_root).clean
    assert len(os.listdir(copy_root / ".offload" / "reports")) == 8  # two runs' reports


def test_a_rerun_onto_a_tmpfs_left_with_5_inodes_creates_its_reports_alone(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """QA's case: a finished card's re-run onto a tmpfs with 5 free inodes (nr_inodes) was
    refused "out of inodes ... the copy creates 17: short by 12", though it makes its 4
    reports alone (the folders, ledger, lock, stamp and chain are there, no generation is
    written). Failed before: exit 64. Now it passes and creates 4; with 4 free it is
    refused, naming 5 (a report's temporary copy kept), nothing written."""
    drive = tmpfs_mount(16 * MIB, nr_inodes=400).path
    card = make_card(tmp_path / "card", 30, 1000)
    reports = tmp_path / "reports"
    code, output = offload("copy", card, drive, "--report-dir", reports)
    assert code == 0, output
    filler = drive / "filler"
    filler.mkdir()
    for free in (4, 5):
        leave_free_inodes(drive, free)
        code, output = offload("copy", card, drive, "--report-dir", reports)
        if free == 4:
            assert code == 64 and "the copy creates 5: short by 1" in output, output
            (filler / str(os.statvfs(drive).f_favail + 1)).unlink()
        else:
            assert code == 0, output
    assert os.statvfs(drive).f_favail == 1  # its 4 reports
    assert len(os.listdir(drive / card.name / ".offload" / "reports")) == 8


def test_a_rerun_that_asks_for_a_new_manifest_kind_counts_the_generation_it_writes(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """A finished card's re-run asking for a legacy MHL its stamp does not record writes a
    new generation and the legacy MHL. With 5 inodes free it must be refused up front, not
    start and lose its report to ENOSPC. Failed before: the preflight took the stamp's
    presence for "no generation", counted 5, the copy started (exit 0, a report not
    written)."""
    rerun, copy_root, before = _finished_card_with_5_inodes_free(tmp_path, tmpfs_mount, [])
    code, output = offload("copy", "--mhl", "both", *rerun)
    assert code == 64 and "out of inodes" in output, output
    assert sorted(os.listdir(copy_root / "ascmhl")) == before  # nothing written
    assert len(os.listdir(copy_root / ".offload" / "reports")) == 4


@pytest.mark.parametrize(
    ("first", "changed"),
    [
        ([], ["--ignore", "*.tmp"]),
        ([], ["--ignore", "C0001.bin"]),
        (["-t", "xxh64,md5"], ["-t", "md5,xxh64"]),
        (["-t", "xxh64,md5"], ["-t", "md5"]),
    ],
    ids=["ignore-changed", "ignore-a-clip", "hashes-reordered", "fewer-hashes"],
)
def test_a_rerun_whose_other_options_write_no_manifest_needs_its_reports_alone(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount], first: list[str], changed: list[str]
) -> None:
    """A finished card's re-run with other ignore patterns, or hash types its stamp records
    (another order, fewer), does not match the stamp, but the manifest step's full check
    finds every file held and writes no generation: with 5 inodes free it needs its 4
    reports alone. Failed before: exit 64, "the copy creates 8: short by 3" (any stamp
    difference counted a generation)."""
    rerun, copy_root, before = _finished_card_with_5_inodes_free(tmp_path, tmpfs_mount, first)
    code, output = offload("copy", *changed, *rerun)
    assert code == 0, output
    assert sorted(os.listdir(copy_root / "ascmhl")) == before  # no generation written
    assert len(os.listdir(copy_root / ".offload" / "reports")) == 8


def _finished_card_with_5_inodes_free(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount], options: list[str]
) -> tuple[list[object], Path, list[str]]:
    """A 30-file card offloaded (with *options*) onto a small tmpfs, filled until 5 inodes
    are free: the arguments of its re-run (card, drive, report folder), its copy root and
    the listing of its ``ascmhl/``."""
    drive = tmpfs_mount(16 * MIB, nr_inodes=400).path
    card = make_card(tmp_path / "card", 30, 1000)
    reports = tmp_path / "reports"
    code, output = offload("copy", *options, card, drive, "--report-dir", reports)
    assert code == 0, output
    copy_root = drive / card.name
    before = sorted(os.listdir(copy_root / "ascmhl"))
    leave_free_inodes(drive, 5)
    return [card, drive, "--report-dir", reports], copy_root, before


def test_a_rerun_onto_exfat_1m_clusters_nearly_full_needs_its_reports_alone(
    tmp_path: Path, exfat_loop: Callable[..., ExfatLoop], judge: AscmhlJudge
) -> None:
    """QA's case: exFAT with 1 MiB clusters and 4 free (4.2 MB): a finished card's re-run
    was refused "needs 13.6 MB: short by 9.4 MB" (a whole ledger, the folders, stamp, chain
    and lock again), though it writes 4 reports of a cluster each. Failed before: exit 64.
    Now it passes and takes 4 clusters; with 3 it is refused."""
    drive = exfat_loop(48 * MIB, cluster="1M").path
    card = make_card(tmp_path / "card", 20, 3000)
    reports = tmp_path / "reports"
    code, output = offload("copy", card, drive, "--report-dir", reports)
    assert code == 0, output

    def free() -> int:
        st = os.statvfs(drive)
        return st.f_bavail * st.f_frsize // MIB

    for clusters in (3, 4):
        with open(drive / f"filler{clusters}", "wb") as out:
            out.write(bytes((free() - clusters) * MIB))
        assert free() == clusters
        code, output = offload("copy", card, drive, "--report-dir", reports)
        if clusters == 3:
            assert code == 64 and "not enough free space" in output, output
            (drive / "filler3").unlink()
        else:
            assert code == 0, output
    assert free() == 0
    assert judge.verify(drive / card.name).clean


def test_few_inodes_reported_by_a_fuse_filesystem_warn_and_the_copy_starts(
    tmp_path: Path,
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
    judge: AscmhlJudge,
) -> None:
    """A FUSE program (here FaultyFS, over an ext4 with few inodes) reports free inodes the
    preflight cannot trust (sshfs, s3fs, rclone make them up): a card that needs a few more
    than it reports by the preflight's count (which keeps room for every file of ours that
    may exist at once) is warned about, not refused, and here it fits. On the kernel's own
    ext4 the same numbers refuse it (``test_out_of_inodes_is_refused_up_front_and_named``).
    Failed before: refused, exit 64."""
    e4 = few_inodes(ext4_loop)
    fs = faulty_fs(backing=e4 / "backing")
    favail = os.statvfs(fs.mountpoint).f_favail
    # 17 left for the copy root and offload-ai's own entries (the last run's record among
    # them since it was added: 16 before).
    card = make_card(tmp_path / "card", favail - 17, 3000, name="A004")
    code, output = offload("copy", card, fs.mountpoint, "--report-dir", tmp_path / "reports")
    assert code == 0, output
    assert "few inodes" in output and "fuse.faultyfs" in output, output
    assert_complete(judge, fs.mountpoint / card.name, favail - 17)


def test_a_rerun_after_a_kill_counts_the_partials_it_removes_as_free(
    tmp_path: Path, exfat_loop: Callable[..., ExfatLoop]
) -> None:
    """QA's F8: a run SIGKILLed once its first file was verified leaves full-size partials of
    the next ones; the re-run, which removes them under the copy root's lock before its first
    byte, was refused "not enough free space" for the room they held (exit 64)."""
    import json
    import signal
    import subprocess
    import sys

    card = make_card(tmp_path, 3, 62_000_000, name="C1")
    drive = exfat_loop(200 * MIB)
    with subprocess.Popen(
        [sys.executable, "-m", "offload.cli.offload", "copy", "--json", str(card), str(drive.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "OFFLOAD_REPORT_DIR": str(tmp_path / "reports")},
    ) as killed:
        assert killed.stdout is not None
        for line in killed.stdout:
            if json.loads(line)["event"] == "file_verified":
                killed.send_signal(signal.SIGKILL)
                break
        killed.wait(timeout=60)
    copy_root = drive.path / "C1"
    partials = [p for p in copy_root.iterdir() if p.name.startswith(".offload-partial.")]
    held = sum(p.stat().st_blocks * 512 for p in partials)
    # The fault is real: without the partials' room the rest of the card does not fit.
    assert held > 0
    missing = 3 - sum(1 for p in copy_root.iterdir() if p.name.startswith("C000"))
    free = drive.statvfs().f_bavail * drive.statvfs().f_frsize
    assert free < missing * 62_000_000
    # The dry run counts them as the run does (failed before, review: it showed the space
    # left after the copy as 0, its free_after_bytes negative, while the real run went on).
    command = ["copy", "--dry-run", "--json", str(card), str(drive.path)]
    planned = subprocess.run(
        [sys.executable, "-m", "offload.cli.offload", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    (destination,) = json.loads(planned.stdout)["destinations"]
    assert destination["reclaimable_bytes"] == held
    assert destination["free_after_bytes"] == free + held - destination["copy_bytes"] > 0
    code, output = offload("copy", card, drive.path)
    assert code == 0, output
    assert sorted(p.name for p in copy_root.iterdir() if p.is_file()) == [
        "C0000.bin",
        "C0001.bin",
        "C0002.bin",
    ]


def offloaded_then_filled(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop], *options: str
) -> tuple[Path, Path, Path, Path]:
    """A card of 3 × 4 MiB offloaded to a 32 MB ext4 drive (with *options*), then the drive
    filled (a file allocated) but for 2 MiB: less than one clip. The drive, card, report
    folder, filler."""
    drive = ext4_loop(32 * MIB, mkfs_args=("-b", "4096", "-m", "0")).path
    card = make_card(tmp_path / "card", 3, 4 * MIB)
    reports = tmp_path / "reports"
    code, output = offload("copy", *options, card, drive, "--report-dir", reports)
    assert code == 0, output
    st = os.statvfs(drive)
    filler = drive / "filler"
    with open(filler, "wb") as out:
        os.posix_fallocate(out.fileno(), 0, st.f_bavail * st.f_frsize - 2 * MIB)
        os.fsync(out.fileno())
    return drive, card, reports, filler


def test_reverify_on_a_nearly_full_drive_reads_every_copy_back_and_warns(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop]
) -> None:
    """A card offloaded, the drive then filled but for less than one clip: ``--reverify``
    re-reads every copy (nothing to write when they verify) and warns that a copy found
    wrong could not be written again there. Failed before: refused, exit 64, "not enough
    free space ... the copy needs" the room of rewrites that verified copies never need.
    Then a copy rots in place (same size and date): the re-read finds it, names it, and its
    new copy fails for want of room, the old one left, the drive full but not lost (its other
    copies stand), and the error names ``--overwrite``: with room again, a plain re-run
    refuses the wrong copy, and ``--overwrite`` copies it anew. Failed before: exit 1 with
    the drive ``LOST`` and "run the same command again to resume", a remedy that refused."""
    drive, card, reports, filler = offloaded_then_filled(tmp_path, ext4_loop)

    code, output = offload("copy", "--reverify", card, drive, "--report-dir", reports)
    assert code == 0, output
    assert "not enough free space" not in output
    assert "(--reverify, or a stricter --verify" in output, output
    assert "not for writing again the copies" in output, output
    assert (
        "3 copies were verified by an earlier run (read back then): read back again now and matched"
        in (output)
    )

    copy = drive / card.name / "C0001.bin"
    before = copy.stat()
    with open(copy, "r+b") as f:
        f.seek(1000)
        f.write(b"\xff" * 16)
        os.fsync(f.fileno())
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))
    code, output = offload("copy", "--reverify", card, drive, "--report-dir", reports)
    assert code == 1, output
    assert "copy no longer matches, copying it again" in output and "C0001.bin" in output
    assert "No space left on device" in output
    # The remedy that works (a plain re-run refuses the wrong copy as a file in the way),
    # and the drive is full, its two good copies verified: not lost.
    assert "--overwrite replaces it once the new copy is verified" in output, output
    assert "run the same command again to resume" not in output, output
    assert "LOST" not in output and " lost" not in output, output
    # Every reason the card is kept: the failed copy, then the destination's disk.
    assert "Do not format the card: a copy failed: C0001.bin; no destination is on a disk " in (
        " ".join(output.split())
    ), output
    assert copy.exists() and copy.stat().st_size == before.st_size  # left, not half-written
    assert not [n for n in os.listdir(copy.parent) if n.startswith(".offload-partial.")]
    # The revocation kept the entry it ended (``Ledger.revoke``): with room again,
    # --reverify takes the wrong copy up as ours and replaces it, no --overwrite. Failed
    # before: the plain ``revoked`` line alone, refused (exit 1) naming --overwrite.
    lines = (drive / card.name / ".offload" / "ledger.jsonl").read_text().splitlines()
    plain, carrying = [e for e in map(json.loads, lines) if e["relative_path"] == "C0001.bin"][-2:]
    assert plain["state"] == "revoked", plain
    assert "revoked_copy" not in plain, plain  # what every version reads
    assert carrying["revoked_by"] == "offload", carrying
    assert carrying["revoked_copy"]["state"] == "verified", carrying
    assert carrying["revoked_copy"]["size_bytes"] == before.st_size, carrying
    filler.unlink()
    code, output = offload("copy", "--reverify", card, drive, "--report-dir", reports)
    assert code == 0, output
    assert "an earlier offload revoked the ledger's record of the copy verified at" in output
    assert copy.read_bytes() == (card / "C0001.bin").read_bytes()
    code, output = offload("copy", card, drive, "--report-dir", reports)
    assert code == 0 and "0 to copy" in output, output


def test_a_stricter_verify_on_a_nearly_full_drive_reads_the_transfer_checked_copies_back(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop]
) -> None:
    """A card offloaded with ``--verify transfer``, the drive then filled but for less than
    one clip: the default (full) verify reads the copies back, writing none unless found
    wrong (README), so it is let through, with the warning that a copy found wrong could not
    be written again there. Failed before: refused, exit 64, "not enough free space ... the
    copy needs" the room of rewrites that copies the ledger vouches for never need, while
    ``--dry-run`` said "0 would copy"."""
    drive, card, reports, _ = offloaded_then_filled(tmp_path, ext4_loop, "--verify", "transfer")

    code, output = offload("copy", card, drive, "--report-dir", reports)
    assert code == 0, output
    assert "not enough free space" not in output, output
    data = json.loads(sorted(reports.glob("A006_*.json"))[-1].read_text())
    (warning,) = [w for w in data["warnings"] if w["code"] == "reverify-room-short"]
    assert not warning["message"].startswith("--reverify"), warning  # not asked for
    assert "not for writing again the copies" in warning["message"], warning
    assert {f["destinations"][0]["status"] for f in data["files"]} == {"verified"}, data["files"]


def test_a_transfer_checked_copy_found_wrong_by_a_stricter_verify_on_a_full_drive(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop]
) -> None:
    """As above, the copies transfer-checked only (``--verify transfer``), then one rots in
    place (same size and date) and the drive is filled but for less than one clip: the
    default (full) verify reads them back (``CheckKind.UPGRADE``), finds it, names it, and
    its new copy fails for want of room: exit 1, the wrong copy left as it was, no partial,
    ENOSPC said, the drive not lost. A plain re-run then refuses it as a file in the way,
    naming ``--reverify`` and ``--keep-both``. (Pinned: no test ran this before.)"""
    drive, card, reports, _filler = offloaded_then_filled(
        tmp_path, ext4_loop, "--verify", "transfer"
    )
    copy = drive / card.name / "C0001.bin"
    before = copy.stat()
    with open(copy, "r+b") as f:
        f.seek(1000)
        f.write(b"\xff" * 16)
        os.fsync(f.fileno())
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))
    rotten = copy.read_bytes()

    code, output = offload("copy", card, drive, "--report-dir", reports)
    assert code == 1, output
    assert "not enough free space" not in output, output
    assert "copy no longer matches, copying it again" in output, output
    assert "--overwrite replaces it once the new copy is verified" in output, output
    assert "C0001.bin" in output and "No space left on device" in output, output
    assert "LOST" not in output and " lost" not in output, output
    assert copy.read_bytes() == rotten  # left as it was, not half-written
    assert not [n for n in os.listdir(copy.parent) if n.startswith(".offload-partial.")]

    code, output = offload("copy", card, drive, "--report-dir", reports)
    assert code == 1, output
    said = " ".join(output.split())
    assert "C0001.bin" in said and "--reverify" in said and "--keep-both" in said, output
    assert copy.read_bytes() == rotten


def test_a_copy_found_wrong_on_a_full_drive_never_calls_the_drive_lost_as_it_happens(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop]
) -> None:
    """As the run goes (``--json``): the rewrite of a copy found wrong fails for want of
    room, its file fails naming ``--overwrite``, and no ``destination_lost`` event says the
    drive, whose other copies stand, was lost. Failed before: ``destination_lost`` (ENOSPC,
    "run the same command again to resume")."""
    drive, card, reports, _filler = offloaded_then_filled(tmp_path, ext4_loop)
    copy = drive / card.name / "C0002.bin"
    before = copy.stat()
    with open(copy, "r+b") as f:
        f.write(b"\x00" * 16)
        os.fsync(f.fileno())
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))
    code, output = offload("copy", "--json", "--reverify", card, drive, "--report-dir", reports)
    assert code == 1, output
    events = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert not [e for e in events if e["event"] == "destination_lost"], output
    failed = {e["relative_path"]: e["message"] for e in events if e["event"] == "file_failed"}
    assert list(failed) == ["C0002.bin"], failed
    assert "--overwrite replaces it" in failed["C0002.bin"], failed
    # Said as what it is: the drive filled (failed before: no event said so at all).
    (full,) = [e for e in events if e["event"] == "destination_full"]
    assert full["destination_index"] == 0 and full["errno"] == 28, full
    assert "--overwrite replaces it" in full["message"], full


def test_the_live_row_of_a_drive_filled_by_a_rewrite_says_full(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop]
) -> None:
    """On a DIT's terminal (a pty read by a terminal emulator): the last frame's row of the
    drive that a rewrite of a copy found wrong filled says "full", with its failed copy and
    what to do (the end of the reason: ``--overwrite``), never "done" (nor LOST: its other
    copies stand). Failed before: "done", 2 done, 1 failed, no word of the full drive."""
    from tests.support.terminal import run_on_terminal

    drive, card, reports, _filler = offloaded_then_filled(tmp_path, ext4_loop)
    _rot(drive / card.name / "C0001.bin")
    run = run_on_terminal("copy", "--reverify", "--report-dir", reports, card, drive, columns=160)
    assert run.returncode == 1, run.text
    frame = [line for line in run.lines if " files · " in line]
    assert len(frame) == 1 and "FINISHED WITH FAILURES: 1 copy failed" in frame[0], run.text
    start = run.lines.index(frame[0])
    (row,) = [line for line in run.lines[start:] if line.split()[:1] == ["1"]]
    cells = row.split()
    assert cells[2] == "full" and "done" not in cells and "LOST" not in row, row
    # Nothing written; read back: what --reverify's check read of the copies already there
    # (the row counts it since the check's bytes joined the jobs'), never nothing.
    assert cells[3:5] == ["0", "bytes"] and cells[7:9] == ["2", "1"], row
    assert cells[6] in ("kB", "MB") and float(cells[5]) > 0, row
    assert row.endswith("replaces it once the new copy is verified"), row  # what to do


def _rot(copy: Path, *, truncate: bool = False) -> None:
    """Damage a copy in place: 16 bytes changed (same size and date), or its last byte cut."""
    before = copy.stat()
    with open(copy, "r+b") as f:
        if truncate:
            f.truncate(before.st_size - 1)
        else:
            f.seek(1000)
            f.write(b"\xff" * 16)
        os.fsync(f.fileno())
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))


@pytest.mark.parametrize("damage", ["same-size", "cut-short"])
def test_a_copy_whose_rewrite_failed_is_refused_not_the_run_on_the_still_full_drive(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop], damage: str
) -> None:
    """A copy of ours found wrong by ``--reverify`` whose rewrite failed on the full drive:
    its ledger entry is revoked, keeping the entry it ended, the wrong copy left. The drive
    still full, a plain run never writes that file (the wrong copy is in the way: kept, the
    file refused naming ``--reverify``), so it keeps no room for it: the run goes on, the
    other copies verified earlier, exit 1 for the refused file, the wrong copy untouched.
    ``--reverify`` and ``--overwrite``, which would write it again, are refused for want of
    room (exit 64, nothing written); with room again, ``--reverify`` replaces it. Failed
    before: every run refused, exit 64, "not enough free space", counting room for a rewrite
    the run would never make; then (the revocation keeping no record) ``--reverify`` refused
    the copy as any file in the way, naming ``--overwrite``."""
    drive, card, reports, filler = offloaded_then_filled(tmp_path, ext4_loop)
    copy = drive / card.name / "C0001.bin"
    _rot(copy)
    code, output = offload("copy", "--reverify", card, drive, "--report-dir", reports)
    assert code == 1 and "No space left on device" in output, output
    if damage == "cut-short":  # then cut short: a file of another size in the way
        _rot(copy, truncate=True)
    wrong = copy.read_bytes()
    assert wrong != (card / "C0001.bin").read_bytes()

    code, output = offload("copy", card, drive, "--report-dir", reports)
    assert code == 1, output
    assert "not enough free space" not in output, output
    # Read back and found different (same size), or of another size: the refusal says
    # whose it was and the repair that works. Failed before: "--overwrite replaces it".
    assert "C0001.bin" in output and "an earlier offload revoked its record" in output, output
    assert "--reverify replaces it" in output, output
    # Every reason the card is kept: the failed copy, then the destination's disk.
    assert "Do not format the card: a copy failed: C0001.bin; no destination is on a disk " in (
        " ".join(output.split())
    ), output
    assert copy.read_bytes() == wrong  # kept as it is
    assert not [n for n in os.listdir(copy.parent) if n.startswith(".offload-partial.")]
    report = json.loads(max((reports).glob("*.json"), key=os.path.getmtime).read_text())
    states = {f["path"]: [d["status"] for d in f["destinations"]] for f in report["files"]}
    good = "verified_earlier"
    assert states == {"C0000.bin": [good], "C0001.bin": ["failed"], "C0002.bin": [good]}

    for flags in (("--reverify",), ("--overwrite",)):
        code, output = offload("copy", *flags, card, drive, "--report-dir", reports)
        assert code == 64 and "not enough free space" in output, (flags, output)
        assert copy.read_bytes() == wrong

    filler.unlink()
    code, output = offload("copy", "--reverify", card, drive, "--report-dir", reports)
    assert code == 0, output
    assert copy.read_bytes() == (card / "C0001.bin").read_bytes()


def test_a_rewrite_that_failed_for_want_of_room_is_a_refusal_of_its_own_kind(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop]
) -> None:
    """Review of the ledger65 merge (no test covered ``Refusal.REWRITE_FAILED``): a copy of
    ours found wrong by ``--reverify`` whose rewrite fails for real (ENOSPC, the drive
    filled) is refused as the same command would refuse it again: its result's kind is
    ``rewrite_failed`` (the JSON's copy ``refusal``), and the copy root's run record names
    it apart (``in_the_way``), never as a copy simply not made."""
    from offload import run_record

    drive, card, reports, _filler = offloaded_then_filled(tmp_path, ext4_loop)
    _rot(drive / card.name / "C0001.bin")
    code, output = offload("copy", "--reverify", card, drive, "--report-dir", reports)
    assert code == 1 and "No space left on device" in output, output
    report = json.loads(max(reports.glob("*.json"), key=os.path.getmtime).read_text())
    kinds = {f["path"]: [d["refusal"] for d in f["destinations"]] for f in report["files"]}
    assert kinds == {"C0000.bin": [None], "C0001.bin": ["rewrite_failed"], "C0002.bin": [None]}
    (record,) = run_record.read_all(drive / card.name) or ()
    assert record.state == run_record.FAILED, record
    assert record.failed == ("C0001.bin",) and record.in_the_way == ("C0001.bin",), record
    words = run_record.unfinished(drive / card.name) or ""
    assert "1 card file refused here for a file in the way (C0001.bin)" in words, words


def test_overwrite_in_transfer_mode_keeps_room_for_the_larger_transfer_batches(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """``--overwrite`` writes each new copy beside its old one; the job holds up to
    ``BATCHES_HELD`` batches of them at once, and in transfer mode a batch closes at
    ``transfer_batch_bytes`` (256 MiB), not the read-back batches' 64 MiB. 300 copies of
    1 MiB there (sparse: no room taken) on a 280 MiB tmpfs: all 300 may be written at once
    in transfer mode, refused; 4 x 64 MiB + 4 MiB with read-backs, let through. Failed
    before: transfer mode let through as well (room for 260 MiB of rewrites kept)."""
    dest = tmpfs_mount(280 * MIB).path
    card = tmp_path / "A006"
    (dest / "A006").mkdir()
    card.mkdir()
    for i in range(300):
        for path in (card / f"C{i:04d}.bin", dest / "A006" / f"C{i:04d}.bin"):
            with open(path, "wb") as handle:
                handle.truncate(MIB)

    def plan(verify: VerifyMode) -> None:
        copy = CopyOptions(verify=verify, existing=ExistingFilePolicy.OVERWRITE)
        plan_offload(card, [dest], OffloadOptions(copy=copy))

    plan(VerifyMode.DESTINATION)
    with pytest.raises(UsageError, match="not enough free space"):
        plan(VerifyMode.TRANSFER)


def test_a_card_folder_that_is_a_smaller_drive_mounted_below_the_destination_is_counted(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """The card's folder on the destination (``DEST/A006``) is where another filesystem is
    mounted: the files land there, so its free space is what counts, not the
    destination's. Failed before: the destination's (the machine's disk) let a card of
    3 MiB through onto a 1 MiB drive."""
    card = make_card(tmp_path / "cards", 3, MIB)
    (dest,) = plain(tmp_path, "dest")
    tmpfs_mount(MIB, path=dest / "A006")
    with pytest.raises(UsageError, match=r"not enough free space: .* has 1\.0 MB free"):
        plan_offload(card, [dest], OffloadOptions())


def _refused_for_room_on(card: Path, dest: Path, mounted: Path) -> str:
    """Plan *card* onto *dest*, where a 1 MB drive is mounted at *mounted* inside it:
    refused for room, the one finding naming that drive, its free space and what to do
    there. Returns the finding's line."""
    with pytest.raises(PreflightRefused) as refused:
        plan_offload(card, [dest], OffloadOptions())
    (space,) = [e for e in refused.value.errors if e["code"] == "insufficient-space"]
    assert space["path"] == str(mounted)
    line = str(space["message"])
    assert f"not enough free space: {mounted}, a drive mounted inside {dest}, has 1.0 MB " in line
    assert line.endswith(f"free space on that drive, or mount a larger one at {mounted}"), line
    return line


def test_the_refusal_names_the_drive_mounted_inside_the_destination_that_lacks_room(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """The drive that lacks room is the one mounted at the card's folder (``DEST/A006``),
    not the destination (the machine's disk, with room to spare): the one line names the
    mount point, its free space and shortfall, and what to do there, and the finding's path
    is the mount point; with the inodes short, likewise. Failed before: "DEST has 1.0 MB
    free", naming the destination, whose own filesystem was not the one short."""
    card = make_card(tmp_path / "cards", 3, MIB)
    (dest,) = plain(tmp_path, "dest")
    mounted = dest / "A006"
    tmpfs_mount(MIB, path=mounted)
    line = _refused_for_room_on(card, dest, mounted)
    assert f"{dest} has" not in line and "\n" not in line

    few = tmp_path / "few"
    few.mkdir()
    tmpfs_mount(64 * MIB, nr_inodes=4, path=few / "A006")
    with pytest.raises(PreflightRefused) as refused:
        plan_offload(card, [few], OffloadOptions())
    (inodes,) = [e for e in refused.value.errors if e["code"] == "insufficient-inodes"]
    assert inodes["path"] == str(few / "A006")
    assert str(inodes["message"]).startswith(
        f"out of inodes: {few / 'A006'}, a drive mounted inside {few}, has room for "
    ), inodes


def test_a_drive_mounted_deeper_inside_the_copy_root_is_checked_for_what_lands_on_it(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount], exfat_loop: Callable[..., ExfatLoop]
) -> None:
    """``DEST/A006/CLIPS`` the mount point of a small drive, below the card's folder on a
    destination with room to spare: the clips land on that drive, so its room, its inodes
    and its names' rules are the ones checked, each refusal naming it. Failed before: all
    was counted against the destination's own filesystem, and the copy was let start
    onto a drive that could not hold it (ENOSPC mid-card)."""
    card = tmp_path / "cards" / "A006"
    (card / "CLIPS").mkdir(parents=True)
    for i in range(3):
        (card / "CLIPS" / f"C{i:04d}.bin").write_bytes(os.urandom(MIB))
    (card / "A006.xml").write_bytes(b"<clip/>")
    (dest,) = plain(tmp_path, "dest")
    mounted = dest / "A006" / "CLIPS"
    tmpfs_mount(MIB, path=mounted)
    _refused_for_room_on(card, dest, mounted)

    (few,) = plain(tmp_path, "few")
    tmpfs_mount(64 * MIB, nr_inodes=2, path=few / "A006" / "CLIPS")
    with pytest.raises(PreflightRefused) as refused:
        plan_offload(card, [few], OffloadOptions())
    (inodes,) = [e for e in refused.value.errors if e["code"] == "insufficient-inodes"]
    assert inodes["path"] == str(few / "A006" / "CLIPS")
    assert "creates 3" in str(inodes["message"]), inodes

    # Room enough there, but its names are exFAT's: a ':' the destination's own takes.
    (card / "CLIPS" / "C0001.bin").unlink()
    (card / "CLIPS" / "C0002.bin").rename(card / "CLIPS" / "C:0002.bin")
    (named,) = plain(tmp_path, "named")
    exfat_loop(16 * MIB, path=named / "A006" / "CLIPS")
    with pytest.raises(PreflightRefused) as refused:
        plan_offload(card, [named], OffloadOptions())
    (name,) = refused.value.errors
    assert name["code"] == "name-invalid-chars", name
    assert f"exFAT (fuseblk) at {named / 'A006' / 'CLIPS'} will not take" in str(name["message"])
    # A card name that drive takes for a file already on it (exFAT folds case): refused,
    # naming both, never taken for the copy at its name. Failed before: the drive's
    # folder was looked for at DEST/A006/CLIPS/CLIPS, and the plan passed.
    (card / "CLIPS" / "C:0002.bin").rename(card / "CLIPS" / "c0002.bin")
    clips = named / "A006" / "CLIPS"
    (clips / "C0002.BIN").write_bytes(b"another tool's file")
    with pytest.raises(PreflightRefused) as refused:
        plan_offload(card, [named], OffloadOptions())
    (twin,) = refused.value.errors
    assert twin["code"] == "name-case-collision", twin
    assert str(twin["message"]).startswith(
        f"{clips / 'c0002.bin'} would be written where {clips / 'C0002.BIN'} already is"
    ), twin

    # A drive with room, inodes and names enough: the plan passes.
    (roomy,) = plain(tmp_path, "roomy")
    tmpfs_mount(64 * MIB, path=roomy / "A006" / "CLIPS")
    assert passes(card, [roomy])
