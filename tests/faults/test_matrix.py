"""The fault matrix: real faults on one of three destinations (or on the card), the real
offload running against them. Every test asserts that its fault fired, that the other
destinations finished verified, that nothing incomplete carries a final name, and what the
report and exit code say. See docs/reliability.md for the table."""

from __future__ import annotations

import errno
import io
import itertools
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from offload.card import OffloadOptions, OffloadReport, offload, plan_offload, run_offload
from offload.cli.common import Environment
from offload.cli.offload import main as offload_main
from offload.engine.partial import PARTIAL_PREFIX
from offload.errors import refusal_lines
from offload.options import CopyOptions, VerifyMode
from offload.report.summary import verdict_lines
from offload.results import DestinationStatus
from support.cards import partials_under
from support.faultyfs import FaultyFS
from support.pfn import other_lines
from support.terminal import ControllingTerminal

pytestmark = pytest.mark.fault

MIB = 1024 * 1024
OFFLOAD = str(Path(sys.executable).with_name("offload"))


def make_card(root: Path, sizes: dict[str, int]) -> Path:
    card = root / "A007R1CD"
    for relative, size in sizes.items():
        path = card / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    return card


CARD = {
    "CLIPS/A007C001.mov": 6 * MIB + 123,
    "CLIPS/A007C002.mov": 3 * MIB,
    "CLIPS/A007C003.xml": 2000,
    "THUMBS/t1.jpg": 40_000,
    "THUMBS/t2.jpg": 50_000,
}


def plain_dests(tmp_path: Path, count: int = 2) -> list[Path]:
    dests = [tmp_path / f"RAID{i}" for i in range(count)]
    for dest in dests:
        dest.mkdir()
    return dests


def assert_complete_copy(card: Path, copy_root: Path) -> None:
    for folder, _dirs, files in os.walk(card):
        for name in files:
            source = Path(folder, name)
            assert (copy_root / source.relative_to(card)).read_bytes() == source.read_bytes()
    assert partials_under(copy_root) == []


def assert_nothing_bad_named(card: Path, copy_root: Path) -> None:
    """Every file with a final name on a failed destination is complete and correct
    (partials, hidden and never trusted, may stay on a drive that could not be reached)."""
    if not copy_root.exists():
        return
    for folder, _dirs, files in os.walk(copy_root):
        if ".offload" in Path(folder).parts or "ascmhl" in Path(folder).parts:
            continue
        for name in files:
            if name.startswith(PARTIAL_PREFIX):
                continue
            copy = Path(folder, name)
            source = card / copy.relative_to(copy_root)
            assert copy.read_bytes() == source.read_bytes(), f"{copy} is not the card's file"


def status_by_destination(report: OffloadReport, index: int) -> dict[str, DestinationStatus]:
    statuses = {}
    for file in report.job.files:
        result = file.destination(index)
        assert result is not None
        statuses[file.relative_path] = result.status
    return statuses


def assert_others_verified(
    report: OffloadReport, card: Path, dests: list[Path], good: list[int]
) -> None:
    for index in good:
        assert set(status_by_destination(report, index).values()) == {DestinationStatus.VERIFIED}
        assert_complete_copy(card, dests[index] / card.name)


def run_with(
    card: Path,
    dests: list[Path],
    *,
    before: Callable[[], None] | None = None,
    options: OffloadOptions | None = None,
) -> OffloadReport:
    plan = plan_offload(card, dests, options)
    if before is not None:
        before()  # the fault arrives after the preflight, as it does in life
    return run_offload(plan)


# -- destination full -----------------------------------------------------------------------


def test_tmpfs_fills_up_mid_file(tmp_path: Path, tmpfs_mount: Callable[..., object]) -> None:
    card = make_card(tmp_path / "cards", CARD)
    full = tmpfs_mount(16 * MIB).path  # type: ignore[attr-defined]
    dests = [*plain_dests(tmp_path), full]

    def fill() -> None:  # leave ~2 MiB: the 6 MiB clip runs out of space half-way
        with open(full / "filler.bin", "wb") as handle:
            handle.write(b"\0" * (14 * MIB))

    report = run_with(card, dests, before=fill)
    assert report.exit_code == 1
    lost = report.job.destinations[2]
    assert lost.lost and "No space left on device (ENOSPC)" in (lost.lost_reason or "")
    assert str(full) in (lost.lost_reason or "")
    # What to do, in the same line (failed before: the errno alone).
    assert "the destination is full: free space there" in (lost.lost_reason or "")
    assert "run the same command again to resume" in (lost.lost_reason or "")
    assert_others_verified(report, card, dests, [0, 1])
    assert partials_under(full) == []
    assert_nothing_bad_named(card, full / card.name)


def test_a_drive_that_fills_alone_is_not_said_to_have_had_nothing_written(
    tmp_path: Path, tmpfs_mount: Callable[..., object]
) -> None:
    """The only destination fills half-way through the first clip: ~2 MiB reach the drive,
    then the partial is removed. Failed before: the verdict line ended "nothing written",
    which the bytes that reached the drive make untrue; it says no copy completed."""
    card = make_card(tmp_path / "cards", CARD)
    full = tmpfs_mount(16 * MIB).path  # type: ignore[attr-defined]

    def fill() -> None:  # leave ~2 MiB: the 6 MiB clip runs out of space half-way
        with open(full / "filler.bin", "wb") as handle:
            handle.write(b"\0" * (14 * MIB))

    report = run_with(card, [full], before=fill)
    assert report.exit_code == 2
    assert "ENOSPC" in (report.job.destinations[0].lost_reason or "")
    assert partials_under(full) == []  # what was written is gone again
    (verdict,) = [line for line in verdict_lines(report) if line.startswith("NOT ALL VERIFIED")]
    assert "nothing written" not in verdict, verdict
    assert verdict.endswith(" s)."), verdict
    assert "; no copy completed (" in verdict, verdict


def test_inode_exhaustion(tmp_path: Path, tmpfs_mount: Callable[..., object]) -> None:
    """Too few inodes is refused before the copy (tests/faults/test_preflight_room.py);
    here another program takes them after the preflight. The message says so: out of
    inodes, not "free space there" with 60 MB free (failed before)."""
    card = make_card(tmp_path / "cards", CARD)
    few = tmpfs_mount(64 * MIB, nr_inodes=64).path  # type: ignore[attr-defined]
    dests = [*plain_dests(tmp_path), few]

    def fill() -> None:  # all but 2 inodes: the copy root and a folder, then no file
        for n in range(64):
            if os.statvfs(few).f_favail <= 2:
                break
            (few / f"other{n}").touch()

    report = run_with(card, dests, before=fill)
    assert report.exit_code == 1
    assert report.job.destinations[2].lost
    reason = report.job.destinations[2].lost_reason or ""
    assert "ENOSPC" in reason
    assert "out of inodes" in reason and "free space there" not in reason, reason
    assert_others_verified(report, card, dests, [0, 1])
    assert partials_under(few) == []
    assert_nothing_bad_named(card, few / card.name)


@pytest.mark.parametrize("op", ["write", "fsync", "flush"])
@pytest.mark.parametrize("code", [errno.EIO, errno.ENOSPC])
def test_destination_io_error(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], op: str, code: int
) -> None:
    card = make_card(tmp_path / "cards", CARD)
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path), fs.mountpoint]
    offset = {"offset": 2 * MIB} if op == "write" else {}
    rule = fs.fail(op, code, path="*A007C001.mov", **offset)
    report = offload(card, dests)
    assert fs.fired(rule) >= 1
    if op == "fsync":
        assert fs.fired(rule) == 1, "a failed fsync must never be retried into a success"
    assert report.exit_code == 1
    lost = report.job.destinations[2]
    assert lost.lost and errno.errorcode[code] in (lost.lost_reason or ""), lost.lost_reason
    assert "A007C001.mov" in (lost.lost_reason or "")
    assert_others_verified(report, card, dests, [0, 1])
    statuses = status_by_destination(report, 2)
    assert DestinationStatus.VERIFIED not in statuses.values() or all(
        (fs.mountpoint / card.name / p).exists()
        for p, s in statuses.items()
        if s is DestinationStatus.VERIFIED
    )
    assert_nothing_bad_named(card, fs.mountpoint / card.name)
    assert partials_under(fs.backing) == []


@pytest.mark.parametrize("verify", [VerifyMode.TRANSFER, VerifyMode.FULL])
def test_a_close_error_at_the_seal_fails_the_copy_without_a_read_back(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], verify: VerifyMode
) -> None:
    """A FUSE filesystem flushes at close(2), which can fail (a deferred write error): there
    the seal closes the partial's descriptor (a duplicate holds its claim) and the error
    fails the copy, also in transfer mode, where no read-back would notice it. (Where close
    reports nothing, ext4 or tmpfs, the descriptor itself holds the claim until the rename:
    ``tests/integration/test_writer_calls.py``; closed after the rename here, the error was
    never heard and the copy was called transfer-checked.)"""
    card = make_card(tmp_path / "cards", CARD)
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path), fs.mountpoint]
    rule = fs.fail("flush", errno.EIO, path="*A007C003.xml")
    report = offload(card, dests, options=OffloadOptions(copy=CopyOptions(verify=verify)))
    assert fs.fired(rule) >= 1
    assert report.exit_code == 1
    assert status_by_destination(report, 2)["CLIPS/A007C003.xml"] is DestinationStatus.FAILED
    good = (
        DestinationStatus.TRANSFER_CHECKED
        if verify is VerifyMode.TRANSFER
        else DestinationStatus.VERIFIED
    )
    for index in (0, 1):
        assert set(status_by_destination(report, index).values()) == {good}
        assert_complete_copy(card, dests[index] / card.name)
    assert_nothing_bad_named(card, fs.mountpoint / card.name)


def test_short_writes_are_completed(tmp_path: Path, faulty_fs: Callable[..., FaultyFS]) -> None:
    card = make_card(tmp_path / "cards", CARD)
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path), fs.mountpoint]
    rule = fs.short_write(path="*.mov", max_bytes=100_000)
    report = offload(card, dests)
    assert fs.fired(rule) > 10
    assert report.exit_code == 0
    assert_others_verified(report, card, dests, [0, 1, 2])


@pytest.mark.parametrize("how", ["flip", "lie"])
def test_silent_corruption_is_caught_by_read_back(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], how: str
) -> None:
    card = make_card(tmp_path / "cards", CARD)
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path), fs.mountpoint]
    if how == "flip":
        rule = fs.flip(4 * MIB + 17, path="*A007C001.mov")
    else:
        rule = fs.lie(1 * MIB, path="*A007C002.mov")
    report = offload(
        card, dests, options=OffloadOptions(copy=CopyOptions(verify=VerifyMode.DESTINATION))
    )
    assert fs.fired(rule) >= 1
    victim = "CLIPS/A007C001.mov" if how == "flip" else "CLIPS/A007C002.mov"
    statuses = status_by_destination(report, 2)
    assert statuses.pop(victim) is DestinationStatus.FAILED
    assert set(statuses.values()) == {DestinationStatus.VERIFIED}
    failed = next(f for f in report.job.files if f.relative_path == victim).destination(2)
    assert failed is not None and "does not match the source" in (failed.error or "")
    assert failed.reread  # re-read once before it was declared
    assert not (fs.mountpoint / card.name / victim).exists()
    assert report.exit_code == 1
    assert_others_verified(report, card, dests, [0, 1])
    assert partials_under(fs.backing) == []


# -- destination unplugged -------------------------------------------------------------------


@pytest.mark.parametrize("how", ["unplug", "kill", "unmount"])
def test_destination_unplugged_mid_card(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], how: str
) -> None:
    sizes = {f"CLIPS/A007C{i:03d}.mov": 2 * MIB for i in range(12)}
    card = make_card(tmp_path / "cards", sizes)
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path), fs.mountpoint]
    # Pull the drive when the fourth clip is being written to it.
    stall = fs.stall("create", path="*A007C003.mov")
    plan = plan_offload(card, dests)
    import threading

    outcome: dict[str, OffloadReport] = {}
    runner = threading.Thread(target=lambda: outcome.setdefault("report", run_offload(plan)))
    runner.start()
    fs.wait_stalled(stall, timeout_s=30)
    if how == "unplug":
        fs.unplug()
        fs.release(stall)
    elif how == "kill":
        fs.kill()
    else:
        subprocess.run(["umount", "-l", str(fs.mountpoint)], check=True)
        fs.release(stall)
    runner.join(timeout=60)
    assert not runner.is_alive()
    report = outcome["report"]
    assert report.exit_code == 1
    lost = report.job.destinations[2]
    assert lost.lost, lost
    assert_others_verified(report, card, dests, [0, 1])
    # Nothing landed on the disk under the mount point once the drive was gone.
    if how == "unmount":
        leftovers = [p for p in fs.mountpoint.rglob("*")]
        assert leftovers == [], leftovers
    # Partials on a drive that vanished cannot be removed, but none has a final name.
    assert_nothing_bad_named(card, fs.backing / card.name)
    if how == "unmount":
        return
    # The drive comes back: the same offload again cleans up and completes it.
    if how == "unplug":
        fs.replug()
    else:
        fs.remount()
    again = offload(card, dests)
    assert again.exit_code == 0
    assert_complete_copy(card, fs.mountpoint / card.name)
    assert partials_under(fs.backing) == []


def test_an_ext4_drive_unmounted_mid_card_keeps_its_partial_and_a_replugged_rerun_completes(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    ext4_loop: Callable[..., Any],
) -> None:
    """A real ext4 drive lazily unmounted (``umount -l``) while the card, stalled mid-clip,
    is being copied to it: the descriptors the run holds keep the detached filesystem alive,
    so the bytes of the clip being written land on the drive itself (not on the host disk
    under the empty mount point). The run loses that destination (exit 1); the drive plugged
    back shows only a hidden partial, never a final name; the same command then sweeps it
    and completes. (The FaultyFS ``umount -l`` case above never plugs the drive back.)"""
    card = faulty_fs(tmp_path / "cardback", tmp_path / "A007R1CD")
    for name, size in {"CLIPS/C001.mov": 2 * MIB + 17, "CLIPS/C002.mov": 2 * MIB}.items():
        (card.backing / name).parent.mkdir(parents=True, exist_ok=True)
        (card.backing / name).write_bytes(os.urandom(size))
    drive = ext4_loop(32 * MIB)
    dests = [*plain_dests(tmp_path, 1), drive.path]
    stall = card.stall("read", path="CLIPS/C002.mov", offset=MIB)
    argv = [OFFLOAD, "copy", str(card.mountpoint), *map(str, dests)]
    with subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as run:
        card.wait_stalled(stall, timeout_s=30)
        subprocess.run(["umount", "-l", str(drive.path)], check=True)
        card.release(stall)
        card.remove(stall)
        _out, said = run.communicate(timeout=60)
    assert run.returncode == 1, said
    # Said once as the drive gone, not as copies missing (failed before: "cannot read back
    # .../C001.mov ...: No such file or directory (ENOENT)", a line a file, no drive named).
    # One line naming the drive once, with what to do (thirty-second pass: before, "ERROR:
    # destination D lost: destination D is gone: D ...", no next step).
    # The line is the drive's own ("ERROR: destination D is gone: it ...") or, where the
    # loss came while a file was in a batch, that file's ("ERROR: D/.../C001.mov not
    # completed: the destination failed (destination D is gone: it ...)"): which is timing.
    gone = [
        line
        for line in said.splitlines()
        if line.startswith("ERROR: ") and f"destination {drive.path} is gone: it " in line
    ]
    assert gone and "reconnect it, then run the same command again" in gone[0], said
    assert "No such file or directory" not in said, said
    assert "Traceback" not in said, said
    assert os.listdir(drive.path) == []  # nothing on the host disk under the mount point
    # The detached filesystem goes with the run's last descriptor, its loop device after it.
    deadline = time.monotonic() + 10
    while subprocess.run(
        ["losetup", "-j", str(drive.image)], capture_output=True, text=True, check=True
    ).stdout.strip():
        assert time.monotonic() < deadline, "the detached drive's loop device stayed"
        time.sleep(0.05)
    subprocess.run(["mount", "-o", "loop", str(drive.image), str(drive.path)], check=True)
    copy_root = drive.path / card.mountpoint.name
    assert_nothing_bad_named(card.backing, copy_root)
    again = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert_complete_copy(card.backing, copy_root)


def _run_to_late_failure(argv: list[str], fs: FaultyFS, rule: str) -> tuple[str, str]:
    """Run *argv* in-process, asserting it hit *rule* on *fs* and exited 1: what it said and
    its verdict line (every copy verified, a later step failed)."""
    err = io.StringIO()
    code = offload_main(argv, Environment(stdout=io.StringIO(), stderr=err))
    said = err.getvalue()
    assert fs.fired(rule) >= 1
    assert code == 1, said
    verdict = next(line for line in said.splitlines() if "verified on every destination" in line)
    return said, verdict


def _late_step_failed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], op: str, path: str
) -> tuple[Path, FaultyFS, str, list[str], str, str]:
    """A 2-file card copied to a plain destination and a FaultyFS one whose *op* on *path*
    fails with EIO (a step of the end: the copies are verified before it): the card, the
    filesystem, its rule, the command's argv, what it said and its verdict line. The run is
    asserted to have hit the rule and to exit 1."""
    card = make_card(tmp_path / "cards", {"A.mov": 200_000, "B.mov": 100_000})
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path, 1), fs.mountpoint]
    rule = fs.fail(op, errno.EIO, path=path)
    argv = ["copy", "--report-dir", str(tmp_path / "reports"), str(card), *map(str, dests)]
    said, verdict = _run_to_late_failure(argv, fs, rule)
    return card, fs, rule, argv, said, verdict


def test_destination_gone_after_its_copies_ends_the_run_with_reports(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A drive that starts answering EIO once its copies are verified (pulled while its
    manifest is written), under a card whose name is not ASCII: the reports' name asks each
    destination's filesystem whether it takes only ASCII names, and that look must not raise
    (``detect_filesystem`` never raises). The run ends with its reports on the healthy
    destination and locally, the lost drive's failures named, exit 1. Failed before: a
    traceback from ``nearest_existing`` (OSError EIO) at the end of the run, no report."""
    card = make_card(tmp_path / "cards", {"A.mov": 200_000, "B.mov": 100_000})
    card = card.rename(card.with_name("Café"))
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path, 1), fs.mountpoint]
    stall = fs.stall("mkdir", path="*ascmhl")
    out, err = io.StringIO(), io.StringIO()
    reports = tmp_path / "reports"
    outcome: list[int] = []
    import threading

    runner = threading.Thread(
        target=lambda: outcome.append(
            offload_main(
                ["copy", "--report-dir", str(reports), str(card), *map(str, dests)],
                Environment(stdout=out, stderr=err, install_signal_handlers=False),
            )
        )
    )
    runner.start()
    fs.wait_stalled(stall, timeout_s=30)
    fs.unplug()
    fs.release(stall)
    runner.join(timeout=60)
    assert not runner.is_alive()
    assert outcome == [1], err.getvalue()
    said = err.getvalue()
    assert "Traceback" not in said
    assert f"cannot write the report into {fs.mountpoint / 'Café'}" in said, said
    assert len(list(reports.glob("Café_*.json"))) == 1
    assert len(list((dests[0] / "Café" / ".offload" / "reports").glob("Café_*.json"))) == 1
    assert_complete_copy(card, dests[0] / "Café")
    # What the reports' name asked, on the drive still gone: its mount, not an error.
    from offload.plan.filesystem import detect_filesystem, writes_ascii_only

    gone = fs.mountpoint / "Café" / ".offload" / "reports"
    assert detect_filesystem(gone).mount_point == fs.mountpoint
    assert writes_ascii_only(gone) is False


def test_manifest_not_written_is_said_in_the_verdict_and_a_rerun_writes_it(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A drive that refuses its manifest (EIO at the ``ascmhl`` folder) once its copies are
    verified: the verdict line, the card release (terminal, JSON, HTML) say the files are
    verified there but that drive has no manifest, and to run the same command again; the
    re-run writes it without copying anything again, exit 0. Failed before: "All 2 files
    (...) are verified on every destination" and nothing more, beside a table saying FAILED."""
    card, fs, rule, argv, said, verdict = _late_step_failed(tmp_path, faulty_fs, "mkdir", "*ascmhl")
    reports = tmp_path / "reports"
    assert f"NO MANIFEST on {fs.mountpoint}" in verdict, said
    assert "run the same command again" in verdict, said
    release = next(line for line in said.splitlines() if line.startswith("Do not format"))
    assert "run the same command again" in release, said
    (report,) = reports.glob("A007R1CD_*.json")
    data = json.loads(report.read_text())
    assert "run the same command again" in data["card_release"]["text"]
    html = report.with_suffix(".html").read_text()
    assert "manifest not written" in html and "run the same command again" in html
    assert not (fs.mountpoint / card.name / "ascmhl").exists()
    fs.remove(rule)
    err = io.StringIO()
    assert offload_main(argv, Environment(stdout=io.StringIO(), stderr=err)) == 0, err.getvalue()
    assert list((fs.mountpoint / card.name / "ascmhl").glob("0001_*.mhl"))
    assert "0 to copy" in err.getvalue(), err.getvalue()


def test_manifest_not_written_after_transfer_checks_never_calls_the_copies_verified(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The same refused manifest (EIO at the ``ascmhl`` folder) after ``--verify
    transfer``: the copies were never read back, and the manifest's error (terminal,
    ``folder_errors``) says they keep the states the run gave them, never that they are
    verified. Failed before: "...; its copies stay verified: run the same command again"
    beside copies all ``transfer_checked``."""
    card = make_card(tmp_path / "cards", {"A.mov": 200_000, "B.mov": 100_000})
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path, 1), fs.mountpoint]
    rule = fs.fail("mkdir", errno.EIO, path="*ascmhl")
    reports = tmp_path / "reports"
    argv = ["copy", "--verify", "transfer", "--report-dir", str(reports), str(card)]
    err = io.StringIO()
    code = offload_main([*argv, *map(str, dests)], Environment(stdout=io.StringIO(), stderr=err))
    said = err.getvalue()
    assert fs.fired(rule) >= 1
    assert code == 1, said
    assert f"NO MANIFEST on {fs.mountpoint}" in said, said
    (report,) = reports.glob("A007R1CD_*.json")
    data = json.loads(report.read_text())
    assert {d["status"] for f in data["files"] for d in f["destinations"]} == {"transfer_checked"}
    (error,) = [e for e in data["folder_errors"] if "manifest not written" in e]
    lines = [line for line in said.splitlines() if "manifest not written" in line]
    assert lines, said
    for text in (error, *lines):
        assert "verified" not in text, text
        assert "keep the states this run gave them" in text, text
        assert "run the same command again to write the manifest" in text, text


@pytest.mark.parametrize(
    ("op", "path", "words"),
    [
        ("utimens", "*A007R1CD", "folders' times could not be set"),
        ("create", "*/reports/*", "this run's report could not be written there"),
    ],
    ids=["folder-times", "report"],
)
def test_late_step_failed_is_said_in_the_verdict_and_a_rerun_mends_it(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], op: str, path: str, words: str
) -> None:
    """A drive whose copies are verified but that refuses a step of its end (its folder's
    time, its report): the verdict line names that drive, what failed, what still holds and
    the remedy; the re-run does it without copying anything again, exit 0. Failed before:
    "All 2 files (...) are verified on every destination" and nothing more, beside a table
    saying FAILED and an ERROR line."""
    card, fs, rule, argv, said, verdict = _late_step_failed(tmp_path, faulty_fs, op, path)
    assert f"BUT ON {fs.mountpoint}: " in verdict, said
    assert words in verdict and "run the same command again" in verdict, said
    assert "NO MANIFEST" not in verdict, said
    if op == "create":  # a drive, never a bucket (tests/s3/test_s3_report_stop.py)
        assert "that drive holds no report of this run" in " ".join(verdict.split()), said
    if op == "utimens":  # a folder's date keeps no card: the release gives its own reason
        release = next(line for line in said.splitlines() if line.startswith("Do not format"))
        assert "cannot set the time" not in release, said
        assert "copies are not affected; run the same command again" in said, said
    fs.remove(rule)
    err = io.StringIO()
    assert offload_main(argv, Environment(stdout=io.StringIO(), stderr=err)) == 0, err.getvalue()
    assert "0 to copy" in err.getvalue(), err.getvalue()
    if op == "utimens":
        assert (fs.mountpoint / card.name).stat().st_mtime_ns == card.stat().st_mtime_ns
    else:
        assert list((fs.mountpoint / card.name / ".offload" / "reports").glob("*.json"))


def test_a_folder_time_refused_after_the_copies_are_verified_keeps_no_card(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    tmpfs_mount: Callable[..., Any],
    ext4_loop: Callable[..., Any],
) -> None:
    """The card on a tmpfs, copied to an ext4 drive (a disk other than the card's) and to a
    drive that refuses the card folder's time (EPERM at ``utimens``: a last step, after every
    copy is verified and the manifests written): the copies are verified on both, a folder's
    date is no copy, so the card may be formatted, and the same sentence (terminal, JSON,
    HTML) says which folders kept another date and why; the verdict line still says
    ``BUT ON <root>``, the run exits 1 and the JSON lists the refusal, not in doubt. Failed
    before: "Do not format the card: cannot set the time of folder ..." with every file
    verified on the ext4 drive."""
    card = make_card(tmpfs_mount(16 << 20).path, {"A.mov": 200_000, "B.mov": 100_000})
    disk = ext4_loop(32 << 20).path
    fs = faulty_fs()
    rule = fs.fail("utimens", errno.EPERM, path=f"*{card.name}")
    reports = tmp_path / "reports"
    argv = ["copy", "--report-dir", str(reports), str(card), str(disk), str(fs.mountpoint)]
    said, verdict = _run_to_late_failure(argv, fs, rule)
    assert f"BUT ON {fs.mountpoint}: its folders' times could not be set" in verdict, said
    release = next(line for line in said.splitlines() if line.startswith("The card may be"))
    assert f"Some folders on {fs.mountpoint / card.name} did not get the card's folder" in release
    assert "Operation not permitted (its copies are not affected" in release, release
    (report,) = reports.glob("A007R1CD_*.json")
    data = json.loads(report.read_text())
    assert data["card_release"]["may_format"] is True
    assert data["card_release"]["text"] == release
    [unset] = data["folder_times_unset"]
    assert (unset["index"], unset["errno"], unset["copies_in_doubt"]) == (1, "EPERM", False)
    html = report.with_suffix(".html").read_text()
    assert "did not get the card&#x27;s folder times" in html or "did not get the card's" in html


def test_folder_times_a_read_only_drive_refuses_are_one_line_and_a_count(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """An ALEXA 35 card (a folder per clip, 12 clips) copied to a plain destination and to a
    drive that turned read-only once its copies were verified and its manifests written
    (EROFS at every clip folder's ``utimens``): the first clip folder's time is asked, the
    rest are not (a read-only filesystem refuses them all); the terminal says that first
    folder and one line counting the other 12 (the clips' and the copy root's), of that
    cause, on that drive; the JSON report lists each folder, those not asked as such.
    Failed before: 12 ``ERROR: cannot set the time of folder ...`` lines, one a clip folder
    (a card of 300 clips: 300 lines); then, with one line and a count, each folder's time
    still asked after the first EROFS (12 asked, each refused)."""
    sizes = {f"A002C{n:03d}_261204_R2AB/A002C{n:03d}_261204_R2AB.mxf": 5_000 for n in range(12)}
    card = make_card(tmp_path / "cards", sizes)
    fs = faulty_fs()
    rule = fs.fail("utimens", errno.EROFS, path="*/A002C0[0-9][0-9]_261204_R2AB")
    reports = tmp_path / "reports"
    dests = [*plain_dests(tmp_path, 1), fs.mountpoint]
    argv = ["copy", "--report-dir", str(reports), str(card), *map(str, dests)]
    said, verdict = _run_to_late_failure(argv, fs, rule)
    assert fs.fired(rule) == 1, fs.fired(rule)
    assert f"BUT ON {fs.mountpoint}: its folders' times could not be set" in verdict, said
    lines = [line for line in said.splitlines() if line.startswith("ERROR: ")]
    timed = [line for line in lines if "time of folder" in line]
    assert len(timed) == 1, said
    assert "cannot set the time of folder" in timed[0], timed
    assert "Read-only file system (its copies are not affected" in timed[0], timed
    count = lines[lines.index(timed[0]) + 1]
    assert count == (
        f"ERROR: ... and 12 more folders on {fs.mountpoint} whose times could not be set: "
        "same cause (the reports list each)"
    ), said
    (report,) = reports.glob("A007R1CD_*.json")
    data = json.loads(report.read_text())
    unset = data["folder_times_unset"]
    assert len(unset) == 13 and {u["errno"] for u in unset} == {"EROFS"}, unset
    assert {u["copies_in_doubt"] for u in unset} == {True}, unset
    asked, *untried = [u["message"] for u in unset]
    assert asked.startswith("cannot set the time of folder "), asked
    first = asked.removeprefix("cannot set the time of folder ").split(":")[0]
    copy_root = fs.mountpoint / "A007R1CD"
    assert {m.split(":")[0] for m in untried} == {
        f"did not try to set the time of folder {folder}"
        for folder in [copy_root, *(p.parent for p in map(copy_root.joinpath, sizes))]
        if str(folder) != first
    }, untried
    assert all(
        f"setting the time of folder {first} failed with Read-only file system" in m
        for m in untried
    ), untried
    assert sum("time of folder" in e for e in data["folder_errors"]) == 13


def test_several_revoked_copies_in_the_way_are_each_named_revoked(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Two copies a ``--reverify`` found wrong (cut short on the drive) and could not rewrite
    (the drive refuses the new copies: EIO at their partials) are revoked; the next run's
    warning before the copy, with a third file in the way (another tool's), says that two of
    the three are copies an earlier offload revoked. Failed before: only a lone file in the
    way was named as a revoked copy; with several, the words of any other file."""
    card = make_card(tmp_path / "cards", {"A.mov": 200_000, "B.mov": 100_000})
    fs = faulty_fs()
    argv = ["copy", "--report-dir", str(tmp_path / "reports"), str(card), str(fs.mountpoint)]
    err = io.StringIO()
    assert offload_main(argv, Environment(stdout=io.StringIO(), stderr=err)) == 0, err.getvalue()
    for name in ("A.mov", "B.mov"):  # the copies damaged: cut short
        os.truncate(fs.mountpoint / card.name / name, 1000)
    rule = fs.fail("create", errno.EIO, path=f"*{PARTIAL_PREFIX}*")
    err = io.StringIO()
    code = offload_main([*argv, "--reverify"], Environment(stdout=io.StringIO(), stderr=err))
    assert fs.fired(rule) >= 1
    assert code != 0, err.getvalue()
    fs.remove(rule)
    (card / "C.mov").write_bytes(os.urandom(5000))  # a new file, and another's at its name
    (fs.mountpoint / card.name / "C.mov").write_bytes(b"another tool's")
    err = io.StringIO()
    code = offload_main(argv, Environment(stdout=io.StringIO(), stderr=err))
    said = err.getvalue()
    assert code == 2, said  # a copy failed
    warning = next(line for line in said.splitlines() if "of another size already" in line)
    assert "3 files of another size" in warning, said
    assert "2 of them are copies an earlier offload revoked at their names" in warning, said
    # Revoked keeping the entries they ended (the --reverify's own revocation): the repair
    # without --overwrite is named, and works. Failed before: no record, --overwrite alone.
    assert "their records kept: --reverify replaces them" in warning, said
    err = io.StringIO()
    code = offload_main([*argv, "--reverify"], Environment(stdout=io.StringIO(), stderr=err))
    assert code == 1, err.getvalue()  # C.mov, another tool's file, still refused
    for name in ("A.mov", "B.mov"):
        assert (fs.mountpoint / card.name / name).read_bytes() == (card / name).read_bytes()


# -- the card --------------------------------------------------------------------------------


def test_source_read_error_fails_that_file_everywhere(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    reader = faulty_fs()
    card = make_card(reader.backing, CARD)
    mounted_card = reader.mountpoint / card.name
    dests = plain_dests(tmp_path, 3)
    rule = reader.fail("read", errno.EIO, path="*A007C001.mov", offset=5 * MIB)
    report = offload(mounted_card, dests)
    assert reader.fired(rule) >= 1
    assert report.exit_code == 1
    bad = next(f for f in report.job.files if f.relative_path == "CLIPS/A007C001.mov")
    assert bad.source_error is not None
    assert "A007C001.mov" in bad.source_error and "EIO" in bad.source_error
    assert {d.status for d in bad.destinations} == {DestinationStatus.FAILED}
    for dest in dests:
        assert not (dest / card.name / "CLIPS" / "A007C001.mov").exists()
        assert partials_under(dest) == []
        others = [f for f in report.job.files if f is not bad]
        assert all(f.ok for f in others)


def test_source_open_refused_at_read_time_says_what_to_do(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A card file the permissions allow but the card's filesystem refuses to open (EACCES
    from FUSE, past the preflight's permission check): that file fails, named, and the error
    says what to do. Failed before: the error alone ("Permission denied (EACCES)")."""
    reader = faulty_fs()
    card = make_card(reader.backing, CARD)
    dests = plain_dests(tmp_path, 2)
    rule = reader.fail("open", errno.EACCES, path="*A007C003.xml")
    report = offload(reader.mountpoint / card.name, dests)
    assert reader.fired(rule) >= 1
    assert report.exit_code == 1
    bad = next(f for f in report.job.files if f.relative_path == "CLIPS/A007C003.xml")
    assert bad.source_error is not None and "Permission denied (EACCES)" in bad.source_error
    assert "give this user read access to it, then run the same command again" in (bad.source_error)
    assert all(f.ok for f in report.job.files if f is not bad)


def test_card_unplugged_mid_card(tmp_path: Path, faulty_fs: Callable[..., FaultyFS]) -> None:
    reader = faulty_fs()
    # Clips of 8 MiB are streamed, not prefetched: the reader opens each when it gets there.
    card = make_card(reader.backing, {f"CLIPS/A007C{i:03d}.mov": 8 * MIB for i in range(6)})
    dests = plain_dests(tmp_path, 3)
    stall = reader.stall("open", path="*A007C003.mov")
    plan = plan_offload(reader.mountpoint / card.name, dests)
    import threading

    outcome: dict[str, OffloadReport] = {}
    runner = threading.Thread(target=lambda: outcome.setdefault("report", run_offload(plan)))
    runner.start()
    reader.wait_stalled(stall, timeout_s=30)
    reader.unplug()
    reader.release(stall)
    runner.join(timeout=60)
    report = outcome["report"]
    failed = [f for f in report.job.files if f.source_error]
    # Clips 3-5 were never read. A clip read before the unplug may still fail: in full mode
    # its source re-read runs behind the reader and can meet the dead card (on a loaded
    # machine, every one of them can: then nothing was verified, exit 2). Either way a clip is
    # verified everywhere or failed everywhere.
    expected_exit = 2 if len(failed) == len(report.job.files) else 1
    assert report.exit_code == expected_exit, [
        (f.relative_path, f.source_error, [(d.status, d.error) for d in f.destinations])
        for f in report.job.files
    ]
    assert {f"CLIPS/A007C{i:03d}.mov" for i in range(3, 6)} <= {f.relative_path for f in failed}
    assert all(f.ok or f.source_error for f in report.job.files)
    assert all("EIO" in (f.source_error or "") for f in failed)
    # Said once: the card's root answers EIO too (its reader gone).
    assert report.card_gone is not None and "cannot be reached" in report.card_gone
    assert f"{len(failed)} files of it failed" in report.card_gone, report.card_gone
    for dest in dests:
        assert partials_under(dest) == []
        for f in failed:
            assert not (dest / card.name / f.relative_path).exists()
        assert_nothing_bad_named(card, dest / card.name)


@pytest.mark.timeout(120)
def test_a_card_pulled_mid_file_is_said_once_and_a_rerun_after_reinserting_completes(
    tmp_path: Path, ext4_loop: Callable[..., Any], faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A real card (an ext4 loop image) unmounted lazily, as udisks does when it is pulled,
    while its third clip is read (held there: a FaultyFS destination stalls that clip's
    create, so the reader waits on its queue mid-file): one ERROR line names the card, says
    it went away and what to do, instead of a "cannot open source" line a file; the saved
    JSON and HTML say it too; the copies verified before are kept and the same command, the
    card mounted again, completes. Failed before: a line a remaining file, and never that
    the card was gone."""
    import threading

    from support import mounts

    loop = ext4_loop(64 * MIB, path=tmp_path / "A003")
    card = loop.path
    for i in range(5):  # 8 MiB clips are streamed, each opened when the reader gets to it
        (card / "CLIPS").mkdir(exist_ok=True)
        (card / "CLIPS" / f"C{i:03d}.mov").write_bytes(os.urandom(8 * MIB + i))
    kept = {p.relative_to(card): p.read_bytes() for p in (card / "CLIPS").iterdir()}
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path, 1), fs.mountpoint]
    stall = fs.stall("create", path="*C002.mov")
    reports = tmp_path / "reports"
    # 1 MiB blocks: the reader runs at most a few MiB ahead of the held writer, so it is
    # mid-C002 when the card goes (8 MiB ones could buffer the whole card first).
    argv = ["copy", "-b", str(MIB), "--report-dir", str(reports), str(card), *map(str, dests)]
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
    outcome: dict[str, int] = {}
    runner = threading.Thread(target=lambda: outcome.setdefault("code", offload_main(argv, env)))
    runner.start()
    try:
        fs.wait_stalled(stall, timeout_s=30)
        mounts.detach(card)  # pulled: open files read on, new look-ups see the folder below
    finally:
        fs.release(stall)
        runner.join(timeout=90)
    assert not runner.is_alive()
    text = err.getvalue()
    assert outcome["code"] in (1, 2), text  # 2 when even the first clips' re-reads met it gone
    errors = [line for line in text.splitlines() if line.startswith("ERROR:")]
    gone = [line for line in errors if "went away during the offload" in line]
    assert len(gone) == 1, text
    assert f"the card {card} went away" in gone[0] and "re-insert it" in gone[0], gone
    assert not any("cannot open source" in line for line in errors), text
    assert not any("cannot read the time of the card's folder" in line for line in errors), text
    (saved,) = reports.glob("A003_*.json")
    data = json.loads(saved.read_text())
    assert data["card_gone"] == gone[0].removeprefix("ERROR: ")
    unread = [f for f in data["files"] if f["source_error"]]
    assert {"CLIPS/C003.mov", "CLIPS/C004.mov"} <= {f["path"] for f in unread}  # each listed
    assert f"{len(unread)} files of it failed as read" in data["card_gone"]
    html = saved.with_suffix(".html").read_text()
    assert "went away during the offload" in html
    verified = [
        f["path"]
        for f in data["files"]
        if all(d["status"] == "verified" for d in f["destinations"])
    ]
    for dest in dests:
        assert partials_under(dest) == []

    subprocess.run(["mount", "-o", "loop", str(loop.image), str(card)], check=True)
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
    assert offload_main(argv, env) == 0, err.getvalue()
    data = json.loads(sorted(reports.glob("A003_*.json"))[-1].read_text())
    assert data["card_gone"] is None
    for entry in data["files"]:  # the copies verified before were kept, not copied again
        states = {d["status"] for d in entry["destinations"]}
        assert states == ({"verified_earlier"} if entry["path"] in verified else {"verified"})
    for dest in dests:
        for relative, content in kept.items():
            assert (dest / card.name / relative).read_bytes() == content


@pytest.mark.parametrize("mode", [VerifyMode.FULL, VerifyMode.DESTINATION])
def test_flaky_card_reader_is_caught_by_the_source_reread(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], mode: VerifyMode
) -> None:
    """A reader that corrupts one read (not the card) gives a copy the source re-read
    disagrees with: full verification fails the file everywhere; destination mode cannot
    know (that is what full mode is for)."""
    reader = faulty_fs()
    card = make_card(reader.backing, CARD)
    dests = plain_dests(tmp_path, 2)
    rule = reader.flip(1 * MIB + 5, path="*A007C002.mov", op="read", times=1)
    report = offload(
        reader.mountpoint / card.name, dests, options=OffloadOptions(copy=CopyOptions(verify=mode))
    )
    assert reader.fired(rule) == 1
    bad = next(f for f in report.job.files if f.relative_path == "CLIPS/A007C002.mov")
    if mode is VerifyMode.FULL:
        assert report.exit_code == 1
        assert "reads differently" in (bad.source_error or "")
        for dest in dests:
            assert not (dest / card.name / "CLIPS" / "A007C002.mov").exists()
            assert partials_under(dest) == []
    else:
        assert report.exit_code == 0  # copies match what was read; only full mode can tell


# -- power cut -------------------------------------------------------------------------------


def test_power_cut_after_verified_keeps_every_verified_file(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    sizes = {**CARD, **{f"SEQ/f{i:04d}.dpx": 30_000 for i in range(40)}}
    card = make_card(tmp_path / "cards", sizes)
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path, 1), fs.mountpoint]
    report = offload(card, dests)
    assert report.exit_code == 0
    summary = fs.power_cut()
    verified = [
        f.relative_path
        for f in report.job.files
        if f.destination(1) and f.destination(1).status is DestinationStatus.VERIFIED
    ]
    assert len(verified) == len(sizes)
    for relative in verified:
        copy = fs.mountpoint / card.name / relative
        assert copy.read_bytes() == (card / relative).read_bytes(), relative
    assert summary  # the cut really rebuilt the durable state
    # And the same offload afterwards finds everything in place.
    again = offload(card, dests)
    assert again.exit_code == 0
    assert {d.status for f in again.job.files for d in f.destinations} == {
        DestinationStatus.VERIFIED_EARLIER
    }


def test_power_cut_mid_card_never_leaves_a_bad_final_name(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = make_card(tmp_path / "cards", {f"CLIPS/A007C{i:03d}.mov": MIB for i in range(8)})
    fs = faulty_fs()
    dests = [fs.mountpoint]
    stall = fs.stall("create", path="*A007C005.mov")
    plan = plan_offload(card, dests)
    import threading

    runner = threading.Thread(target=lambda: run_offload(plan))
    runner.start()
    fs.wait_stalled(stall, timeout_s=30)
    fs.power_cut()
    runner.join(timeout=60)
    assert not runner.is_alive()  # else the offload below would race the one cut short
    assert_nothing_bad_named(card, fs.mountpoint / card.name)
    again = offload(card, dests)
    assert again.exit_code == 0
    assert_complete_copy(card, fs.mountpoint / card.name)


# -- signals ---------------------------------------------------------------------------------


def test_sigint_exits_130_promptly_and_removes_partials(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = make_card(tmp_path / "cards", CARD)
    slow = faulty_fs()
    dests = [*plain_dests(tmp_path, 2), slow.mountpoint]
    stall = slow.stall("write", path="*A007C002.mov", seconds=3)
    process = subprocess.Popen(
        [
            OFFLOAD,
            "copy",
            "--json",
            "--report-dir",
            str(tmp_path / "r"),
            str(card),
            *map(str, dests),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    slow.wait_stalled(stall, timeout_s=30)
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 130
    # Promptly: not after the rest of the card. Generous, as the reports are still written
    # after the cancel and a loaded CI machine stretches that (the cancel is proven below).
    assert time.monotonic() - started < 20
    events = [json.loads(line) for line in out.splitlines()]
    finished = next(e for e in events if e["event"] == "job_finished")
    assert finished["cancelled"] is True and finished["exit_code"] == 130
    for dest in dests:
        assert partials_under(dest) == []
    assert partials_under(slow.backing) == []
    _rerun_completes(tmp_path / "r", card, dests)  # resumable


def _rerun_completes(reports: Path, card: Path, dests: Sequence[Path]) -> None:
    """The same command again (``offload copy -q``, its reports in *reports*) completes the
    copy of *card* on every one of *dests*: exit 0, each copy whole."""
    rerun = subprocess.run(
        [OFFLOAD, "copy", "-q", "--report-dir", str(reports), str(card), *map(str, dests)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rerun.returncode == 0, rerun.stderr
    for dest in dests:
        assert_complete_copy(card, dest / card.name)


def _ignoring(*signals: signal.Signals) -> Callable[[], None]:
    """A ``preexec_fn`` starting the child with *signals* ignored, as a non-interactive
    shell starts ``cmd &`` (SIGINT) and ``nohup`` starts its command (SIGHUP)."""

    def ignore() -> None:
        for sig in signals:
            signal.signal(sig, signal.SIG_IGN)

    return ignore


def _copy_held_ignoring_sigint_and_sighup(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> tuple[Path, list[Path], FaultyFS, str, subprocess.Popen[str]]:
    """``offload copy`` of card CARD to two plain folders and a FaultyFS drive, started with
    SIGINT and SIGHUP ignored (``_ignoring``), once a write of ``A007C002.mov`` on the drive
    is held (until released): (card, destinations, drive, its stall, the process)."""
    card = make_card(tmp_path / "cards", CARD)
    slow = faulty_fs()
    dests = [*plain_dests(tmp_path, 2), slow.mountpoint]
    stall = slow.stall("write", path="*A007C002.mov")  # until released
    process = subprocess.Popen(
        [OFFLOAD, "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card)]
        + [str(dest) for dest in dests],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ignoring(signal.SIGINT, signal.SIGHUP),
    )
    slow.wait_stalled(stall, timeout_s=30)
    return card, dests, slow, stall, process


def test_copy_started_with_sigint_and_sighup_ignored_keeps_them_ignored_mid_copy(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``offload copy ... &`` in a script (SIGINT ignored) under ``nohup`` (SIGHUP ignored):
    a ``kill -INT`` and a ``kill -HUP`` while a file is being written leave the copy
    running to its end, exit 0, as they do while it loads and scans (the Unix convention
    Python follows). Failed before: the handler installed for the copy took SIGINT all the
    same, and the same signal cancelled it (exit 130)."""
    card, dests, slow, stall, process = _copy_held_ignoring_sigint_and_sighup(tmp_path, faulty_fs)
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    assert process.poll() is None  # neither ended it
    slow.release(stall)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    for dest in dests:
        assert_complete_copy(card, dest / card.name)


def test_copy_started_with_sigint_ignored_still_cancels_on_sigterm(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """SIGTERM is not ignored by a script's ``cmd &`` nor by ``nohup``: it cancels the copy
    as documented (exit 130, partials removed) in a run whose SIGINT is ignored."""
    _card, dests, slow, stall, process = _copy_held_ignoring_sigint_and_sighup(tmp_path, faulty_fs)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    slow.release(stall)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    for dest in dests:
        assert partials_under(dest) == []


def _exit_after_hang_up(terminal: ControllingTerminal, slow: FaultyFS, stall: str) -> int:
    """Read the command's terminal until *stall* holds a write of it, then close the terminal
    (its window closed, its ssh connection dropped), then let the write go; the command's
    exit code (within 60 s). The terminal is closed however it ends."""
    try:
        deadline = time.monotonic() + 30
        while slow.stats()["rules"].get(stall, {}).get("waiting", 0) < 1:
            assert time.monotonic() < deadline, "the stall never held a write"
            assert terminal.process.poll() is None, terminal.output.decode(errors="replace")
            terminal.drain()
        terminal.hang_up()
        time.sleep(0.2)
        slow.release(stall)
        return terminal.process.wait(timeout=60)
    finally:
        terminal.close()


def test_a_closed_terminal_cancels_the_copy_and_its_report_says_so(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The terminal of ``offload copy`` closed mid-copy (SIGHUP, and EIO on every later write
    to it): the copy is cancelled as by SIGTERM: exit 130, partial files removed, and the
    job report written, cancelled, each copy verified (complete under its name) or
    cancelled; the same command again completes it. Failed before: SIGHUP's default ended
    the process at once (no report, the partial files left); with only a handler, the first
    line to the dead terminal ended it (exit 1, no report)."""
    card = make_card(tmp_path / "cards", CARD)
    slow = faulty_fs()
    dests = [*plain_dests(tmp_path, 2), slow.mountpoint]
    reports = tmp_path / "r"
    stall = slow.stall("write", path="*A007C002.mov")  # until released
    terminal = ControllingTerminal(
        [OFFLOAD, "copy", "--report-dir", reports, card, *dests], columns=200
    )
    assert _exit_after_hang_up(terminal, slow, stall) == 130
    for dest in dests:
        assert partials_under(dest) == []
    assert partials_under(slow.backing) == []
    report = json.loads(max(reports.glob("*.json"), key=os.path.getmtime).read_text())
    assert report["cancelled"] is True and report["exit_code"] == 130
    statuses = set()
    for file in report["files"]:
        for copy in file["destinations"]:
            statuses.add(copy["status"])
            final = dests[copy["index"]] / card.name / file["path"]
            if copy["status"] == "verified":
                assert final.read_bytes() == (card / file["path"]).read_bytes()
            else:
                assert copy["status"] == "cancelled" and not final.exists(), (file, copy)
    assert "cancelled" in statuses  # the stalled clip, at least, on the slow drive
    _rerun_completes(reports, card, dests)


def test_a_terminal_closed_after_every_copy_finished_changes_nothing(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The terminal closed while the manifests are written (every copy verified): nothing is
    left to cancel, so the run goes on to its end, unprinted: exit 0, the ASC MHL on every
    destination, the job report not cancelled and with no note of a Ctrl-C. Failed before:
    SIGHUP ended the process at the manifest step (no manifest, no report)."""
    card = make_card(tmp_path / "cards", CARD)
    slow = faulty_fs()
    dests = [*plain_dests(tmp_path, 2), slow.mountpoint]
    reports = tmp_path / "r"
    stall = slow.stall("mkdir", path=f"{card.name}/ascmhl")  # until released
    terminal = ControllingTerminal([OFFLOAD, "copy", "--report-dir", reports, card, *dests])
    assert _exit_after_hang_up(terminal, slow, stall) == 0
    report = json.loads(max(reports.glob("*.json"), key=os.path.getmtime).read_text())
    assert report["cancelled"] is False and report["exit_code"] == 0 and report["notes"] == []
    for dest in dests:
        assert_complete_copy(card, dest / card.name)
        assert list((dest / card.name / "ascmhl").glob("0001_*.mhl"))
    assert {c["status"] for f in report["files"] for c in f["destinations"]} == {"verified"}


def test_a_closed_terminal_cancels_pfndispatchcopy(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``pfndispatchcopy``'s terminal closed while its slow destination is held mid-file: exit
    130 and no partial file left, as for SIGTERM. Failed before: SIGHUP ended it at once
    (the partial files left); with only a handler, exit 1 on the first line to the dead
    terminal."""
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(12 * MIB))
    slow = faulty_fs()
    dests = [*plain_dests(tmp_path, 2), slow.mountpoint]
    stall = slow.stall("write", path="*clip.mov", offset=4 * MIB)  # until released
    exe = str(Path(sys.executable).with_name("pfndispatchcopy"))
    terminal = ControllingTerminal([exe, "-v", source, *dests])
    assert _exit_after_hang_up(terminal, slow, stall) == 130
    for dest in dests:
        assert partials_under(dest) == []
    assert os.listdir(slow.mountpoint) == []  # held mid-file when the terminal closed
    assert [n for n in os.listdir(slow.backing) if n != ".faultyfs-state"] == []


# A process whose stdout and stderr are a terminal that hung up, with no descriptor left
# to open (RLIMIT_NOFILE at the lowest free one), sent a SIGHUP while the command's handler
# is in place: it says what its handler saw, and whether anything was raised at it.
_HUNG_UP_AT_THE_LIMIT = """
import os, pty, resource, signal, sys
from offload.cli.common import Environment, handling_signals
said = os.fdopen(int(sys.argv[1]), "w")
primary, secondary = pty.openpty()
os.dup2(secondary, 1)
os.dup2(secondary, 2)
os.close(secondary)
os.close(primary)
seen = []
with handling_signals(Environment(), lambda signum, frame: seen.append(signum)):
    lowest = os.open(os.devnull, os.O_RDONLY)
    os.close(lowest)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowest, hard))
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        said.write(f"handled {seen}")
    except BaseException as exc:
        said.write(f"raised {exc!r}, handled {seen}")
said.close()
"""


def test_a_terminal_closed_with_no_descriptor_left_still_cancels_and_raises_nothing() -> None:
    """The SIGHUP of a closed terminal reaching a process at its descriptors' limit: the
    command's handler (the cancel) runs and nothing is raised into the code the signal
    interrupted; the output stays on the dead terminal (nothing to point it at). Failed
    before: /dev/null's open raised EMFILE out of the signal handler, before the cancel."""
    read_end, write_end = os.pipe()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _HUNG_UP_AT_THE_LIMIT, str(write_end)],
            pass_fds=(write_end,),
            capture_output=True,
            timeout=60,
        )
        os.close(write_end)
        write_end = -1
        with os.fdopen(read_end, "r") as said:
            read_end = -1
            assert said.read() == f"handled [{int(signal.SIGHUP)}]", done.stderr
    finally:
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)
    assert done.returncode == 0, done.stderr


def test_verify_started_with_sigint_ignored_keeps_it_ignored(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``offload verify ... &`` in a script starts with SIGINT ignored: a ``kill -INT``
    leaves it ignored (the check ends, exit 0), as in ``offload copy``; SIGTERM still stops
    it (exit 130, a report saying so). Before: a handler of its own took SIGINT while the
    check ran (exit 130), though the same signal was ignored while the command loaded."""
    drive = faulty_fs()
    card = make_card(tmp_path / "cards", CARD)
    reports = tmp_path / "r"
    copied = subprocess.run(
        [OFFLOAD, "copy", "-q", "--report-dir", str(reports), str(card), str(drive.mountpoint)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert copied.returncode == 0, copied.stderr
    for sig, code in ((signal.SIGINT, 0), (signal.SIGTERM, 130)):
        stall = drive.stall("read", path="*A007C002.mov")  # until released
        process = subprocess.Popen(
            [OFFLOAD, "verify", "--report-dir", str(reports), str(drive.mountpoint / card.name)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_ignoring(signal.SIGINT),
        )
        drive.wait_stalled(stall, timeout_s=30)
        process.send_signal(sig)
        time.sleep(0.2)
        drive.release(stall)
        _out, err = process.communicate(timeout=60)
        assert process.returncode == code, (sig, err)
        report = json.loads(max(reports.glob("verify_*.json"), key=os.path.getmtime).read_text())
        assert report["exit_code"] == code
        drive.clear()


def test_pfndispatchcopy_sigint_mid_copy(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Ctrl-C while the slow destination is held mid-file, once the fast ones hold the
    verified clip; then the same command again completes the slow one (README: "re-run to
    resume"). Failed before: the re-run refused the fast destinations' copies ("already
    exists", exit 64) and never completed the slow one."""
    source = tmp_path / "clip.mov"
    data = os.urandom(20 * MIB)
    source.write_bytes(data)
    slow = faulty_fs()
    dests = [*plain_dests(tmp_path, 2), slow.mountpoint]
    stall = slow.stall("write", path="*clip.mov", offset=8 * MIB)  # until released
    exe = str(Path(sys.executable).with_name("pfndispatchcopy"))
    command = [exe, "-v", str(source), *map(str, dests)]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    slow.wait_stalled(stall, timeout_s=30)
    # The reader runs ahead of the stalled destination (the file's three chunks fit the
    # pool): the fast destinations verify and publish the clip while the slow one is held.
    deadline = time.monotonic() + 60
    while not all((dest / "clip.mov").exists() for dest in dests[:2]):
        assert time.monotonic() < deadline, "the fast destinations never published the clip"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    time.sleep(0.2)
    slow.release(stall)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    # The cancel names the destination it left unfinished and says how to finish it.
    slow_target = slow.mountpoint / "clip.mov"
    assert f"{slow_target}: cancelled before it was verified" in err, err
    assert "run the same command again" in err, err
    for dest in dests[:2]:
        assert os.listdir(dest) == ["clip.mov"], err
        assert (dest / "clip.mov").read_bytes() == data
    assert os.listdir(slow.mountpoint) == []  # held mid-file when the signal came
    assert [n for n in os.listdir(slow.backing) if n != ".faultyfs-state"] == []
    slow.clear()
    # The same command again: the fast copies are read back and adopted, the slow one made.
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    for dest in dests:
        assert (dest / "clip.mov").read_bytes() == data
        assert partials_under(dest) == []
    assert "hash XXH64BE:" in rerun.stdout
    for dest in dests[:2]:
        assert f"INFO: {dest / 'clip.mov'} already holds this file: read back, verified" in (
            rerun.stdout
        )


# -- file too large --------------------------------------------------------------------------


def test_file_too_large_for_the_destination(tmp_path: Path) -> None:
    """A FAT32-like size limit, made real with RLIMIT_FSIZE in the child: EFBIG."""
    card = make_card(tmp_path / "cards", {"BIG.mov": 5 * MIB, "small.xml": 1000})
    dests = plain_dests(tmp_path, 2)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (4 * MIB, 4 * MIB))

    result = subprocess.run(
        [
            OFFLOAD,
            "copy",
            "-q",
            "--mhl",
            "none",
            "--report-dir",
            str(tmp_path / "r"),
            str(card),
            *map(str, dests),
        ],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "File too large (EFBIG)" in result.stderr and "BIG.mov" in result.stderr
    for dest in dests:
        assert not (dest / card.name / "BIG.mov").exists()
        assert (dest / card.name / "small.xml").read_bytes() == (card / "small.xml").read_bytes()
        assert partials_under(dest) == []


# -- exFAT -----------------------------------------------------------------------------------


def test_exfat_names_refused_before_copying(
    tmp_path: Path, exfat_loop: Callable[..., object]
) -> None:
    card = make_card(
        tmp_path / "cards", {"CLIPS/A001.MOV": 1000, "CLIPS/a001.mov": 1000, "CLIPS/what?.xml": 10}
    )
    exfat = exfat_loop(64 * MIB).path  # type: ignore[attr-defined]
    dests = [*plain_dests(tmp_path, 1), exfat]
    out, err = io.StringIO(), io.StringIO()
    code = offload_main(
        ["copy", str(card), *map(str, dests)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 64
    assert "A001.MOV" in err.getvalue() and "a001.mov" in err.getvalue()
    assert "what?.xml" in err.getvalue()
    assert os.listdir(exfat) == [] and os.listdir(dests[0]) == []


def test_exfat_case_insensitive_existing_file_is_never_overwritten(
    tmp_path: Path, exfat_loop: Callable[..., object]
) -> None:
    exfat = exfat_loop(64 * MIB).path  # type: ignore[attr-defined]
    (exfat / "CLIP.MOV").write_bytes(b"the first take")
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(300_000))
    exe = str(Path(sys.executable).with_name("pfndispatchcopy"))
    result = subprocess.run(
        [exe, str(source), str(exfat / "clip.mov")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 64, result.stderr
    # Refused by the preflight, naming both names (it said "already exists" before the
    # existing destination entries were compared under exFAT's case rule).
    assert f"{exfat / 'clip.mov'} would be written where {exfat / 'CLIP.MOV'} already is" in (
        result.stderr
    )
    assert (exfat / "CLIP.MOV").read_bytes() == b"the first take"
    assert sorted(os.listdir(exfat)) == ["CLIP.MOV"]


def test_rename_without_replacing_on_exfat(
    tmp_path: Path, exfat_loop: Callable[..., object]
) -> None:
    """exFAT via FUSE refuses RENAME_NOREPLACE and hard links: the fallback must still never
    replace a name that differs only by case."""
    from offload.fs.ops import rename_noreplace

    exfat = exfat_loop(64 * MIB).path  # type: ignore[attr-defined]
    (exfat / "CLIP.MOV").write_bytes(b"the first take")
    (exfat / ".partial").write_bytes(b"new take")
    with pytest.raises(FileExistsError):
        rename_noreplace(exfat / ".partial", exfat / "clip.mov")
    assert (exfat / "CLIP.MOV").read_bytes() == b"the first take"
    rename_noreplace(exfat / ".partial", exfat / "other.mov")
    assert (exfat / "other.mov").read_bytes() == b"new take"


# -- bit rot ---------------------------------------------------------------------------------


def test_bit_rot_found_by_verify_although_the_cache_holds_good_data(
    tmp_path: Path, ext4_loop: Callable[..., object]
) -> None:
    card = make_card(tmp_path / "cards", CARD)
    disk = ext4_loop(64 * MIB)
    dest = disk.path  # type: ignore[attr-defined]
    report = offload(card, [dest])
    assert report.exit_code == 0
    victim = dest / card.name / "CLIPS" / "A007C001.mov"
    good = victim.read_bytes()  # the page cache now holds the good bytes
    disk.flip_bit(victim, 3 * MIB + 99)  # type: ignore[attr-defined]
    assert victim.read_bytes() == good  # a plain read still sees good data
    out = io.StringIO()
    code = offload_main(
        ["verify", "--json", str(dest / card.name)],
        Environment(stdout=out, stderr=io.StringIO(), install_signal_handlers=False),
    )
    result = json.loads(out.getvalue())
    assert code == 11
    assert [c["path"] for c in result["changed"]] == ["CLIPS/A007C001.mov"]


# -- refused before writing ------------------------------------------------------------------


def _pfn(*argv: Path | str) -> subprocess.CompletedProcess[str]:
    """The real ``pfndispatchcopy`` of this venv, run as a process."""
    exe = str(Path(sys.executable).with_name("pfndispatchcopy"))
    return subprocess.run([exe, *map(str, argv)], capture_output=True, text=True, timeout=60)


def test_destination_without_room_fails_alone_in_pfndispatchcopy(
    tmp_path: Path, tmpfs_mount: Callable[..., object]
) -> None:
    """A small tmpfs among the destinations (2 MiB for a 3 MiB file), and one of a single
    inode (its root's): ``pfndispatchcopy`` (``-k``, always in effect) copies and verifies
    the others, exit 1, one ``ERROR:`` line naming the full folder, what is free there,
    what the copy needs and what to do (the preflight's words, as ``offload copy`` says
    them), nothing written there; alone, exit 2. ``offload copy`` (no ``-k``) still refuses
    the card, exit 64, in the same words. Failed before: exit 64 and nothing written
    anywhere, though its help promised a failed destination never stops the others."""
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(3 * MIB))
    small = tmpfs_mount(2 * MIB).path  # type: ignore[attr-defined]
    d1, d2 = plain_dests(tmp_path, 2)
    result = _pfn("-v", source, d1, small, d2)
    assert result.returncode == 1, result.stderr
    (line,) = other_lines(result.stderr)
    assert line.startswith(f"ERROR: not enough free space: {small} has 2.1 MB free but the "), line
    assert line.endswith(
        f"; free space or choose a larger destination; {small / source.name} was not copied"
    ), line
    assert " free but the copy needs 3.1 MB: short by " in line, line  # no 1 MiB margin
    lines = result.stdout.splitlines()
    assert lines[0] == f"INFO: copying {source}..." and lines[1].startswith("hash XXH64BE:")
    assert lines[-1].startswith("INFO: copy speed 3145728 bytes in "), lines
    assert (d1 / source.name).read_bytes() == source.read_bytes()
    assert (d2 / source.name).read_bytes() == source.read_bytes()
    assert os.listdir(small) == []
    # Out of inodes: the same, in its own words.
    no_inode = tmpfs_mount(8 * MIB, nr_inodes=1).path  # type: ignore[attr-defined]
    (d1 / source.name).unlink()
    result = _pfn(source, no_inode, d1)
    assert result.returncode == 1, result.stderr
    (line,) = other_lines(result.stderr)
    assert line.startswith(f"ERROR: out of inodes: {no_inode} has room for 0 more files"), line
    assert line.endswith(f"; {no_inode / source.name} was not copied"), line
    assert (d1 / source.name).read_bytes() == source.read_bytes()
    # Alone: nothing verified, exit 2, no hash of a copy that was not made.
    alone = _pfn(source, small)
    assert alone.returncode == 2, alone.stderr
    assert "not enough free space" in alone.stderr and alone.stdout == ""
    assert os.listdir(small) == [] and os.listdir(no_inode) == []
    card = make_card(tmp_path / "cards", {"a.mov": 3 * MIB})
    out, err = io.StringIO(), io.StringIO()
    code = offload_main(
        ["copy", str(card), str(tmp_path / "RAID0"), str(small)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 64, err.getvalue()
    assert f"not enough free space: {small} has 2.1 MB free" in err.getvalue()
    assert os.listdir(small) == []


def test_two_destinations_on_one_small_drive_the_first_given_gets_the_room(
    tmp_path: Path, tmpfs_mount: Callable[..., object]
) -> None:
    """A 4 MiB tmpfs, room for one copy of a 3 MB file but not two, holding two of the
    destinations: ``pfndispatchcopy`` copies and verifies the first given there (and the
    others), the next fails alone before a byte is written, its one line saying whom it
    shares the drive with and how much more room both need (exit 1). ``offload copy`` (no
    ``-k``) refuses the card (64) as for any destination without room, naming the next
    alone, in the same words, on the terminal and in its JSON line. Failed before: both
    destinations there failed (pfndispatchcopy wrote to neither; both named in the refusal)."""
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(3_000_000))
    shared = tmpfs_mount(4 * MIB).path  # type: ignore[attr-defined]
    a, b = shared / "a", shared / "b"
    a.mkdir()
    b.mkdir()
    (d1,) = plain_dests(tmp_path, 1)
    result = _pfn(source, a, d1, b)
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    assert errors == [
        f"ERROR: not enough free space: {b} shares one filesystem with {a}, given the room "
        f"first (3.0 MB of the 4.2 MB free); the copy to {b} needs 3.0 MB: both need 6.0 MB, "
        "short by 1.8 MB (1,810,432 bytes); free space or choose a larger destination for "
        f"{b}; {b / source.name} was not copied"
    ], result.stderr
    assert (a / source.name).read_bytes() == source.read_bytes()
    assert (d1 / source.name).read_bytes() == source.read_bytes()
    assert os.listdir(b) == []
    (a / source.name).unlink()
    card = make_card(tmp_path / "cards", {"a.mov": 3_000_000})
    out, err = io.StringIO(), io.StringIO()
    code = offload_main(
        ["copy", "--json", str(card), str(a), str(b)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 64, err.getvalue()
    refused = json.loads(out.getvalue().splitlines()[-1])
    assert refused["event"] == "offload_refused"
    (error,) = refused["errors"]
    assert error["code"] == "insufficient-space" and error["destination_index"] == 1
    assert error["message"].startswith(
        f"not enough free space: {b} shares one filesystem with {a}, given the room first ("
    ), error["message"]
    # One refusal, one line (``errors.refusal_lines``).
    assert f"ERROR: {refusal_lines([error['message']])}" in err.getvalue().splitlines()
    assert os.listdir(b) == [] and os.listdir(a) == []


def test_a_copy_of_another_date_on_a_read_only_drive_fails_in_clear_words(
    tmp_path: Path, tmpfs_mount: Callable[..., object]
) -> None:
    """A copy an earlier ``pfndispatchcopy`` made, equal to the source but given another
    date since, on a drive remounted read-only: read back and found equal, but the source's
    date cannot be given to it. That destination fails alone (exit 1; 2 alone) with one
    line naming the copy, saying its drive is read-only and what to do; once the drive is
    read-write again, the same command keeps it with the source's date (exit 0). Failed
    before: "cannot record ... as verified: Read-only file system (EROFS)", which said
    neither that the copy was found equal nor what to do."""
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(MIB + 5))
    drive = tmpfs_mount(8 * MIB).path  # type: ignore[attr-defined]
    (d1,) = plain_dests(tmp_path, 1)
    assert _pfn(source, drive).returncode == 0
    copy = drive / source.name
    source_mtime = source.stat().st_mtime_ns
    os.utime(copy, ns=(source_mtime - 3600 * 10**9,) * 2)
    subprocess.run(["mount", "-o", "remount,ro", str(drive)], check=True)
    result = _pfn(source, d1, drive)
    assert result.returncode == 1, result.stderr
    assert other_lines(result.stderr) == [
        f"ERROR: {copy} already holds this file (read back: equal to the source), but its "
        "date is not the source's and cannot be set: its drive is read-only (EROFS); remount "
        "it read-write and run the same command again, or leave this destination out"
    ]
    assert (d1 / source.name).read_bytes() == source.read_bytes()
    assert copy.stat().st_mtime_ns == source_mtime - 3600 * 10**9
    alone = _pfn(source, drive)
    assert alone.returncode == 2 and "its drive is read-only (EROFS)" in alone.stderr
    subprocess.run(["mount", "-o", "remount,rw", str(drive)], check=True)
    again = _pfn("-v", source, drive)
    assert again.returncode == 0, again.stderr
    assert f"INFO: {copy} already holds this file" in again.stdout
    assert copy.stat().st_mtime_ns == source_mtime


def test_read_only_destination_fails_alone_in_pfndispatchcopy(
    tmp_path: Path, tmpfs_mount: Callable[..., object]
) -> None:
    """A tmpfs remounted read-only among the destinations: ``pfndispatchcopy`` (``-k``,
    always in effect) copies and verifies the others, exit 1, one ``ERROR:`` line naming the
    read-only folder (EROFS), nothing written there; alone, exit 2. A copy already there
    is still read back and kept (exit 0). ``offload copy`` still refuses it (exit 64).
    Failed before: exit 64 and nothing written anywhere, though its help promised a failed
    destination never stops the others."""
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(3 * MIB + 7))
    read_only = tmpfs_mount(8 * MIB).path  # type: ignore[attr-defined]
    subprocess.run(["mount", "-o", "remount,ro", str(read_only)], check=True)
    d1, d2 = plain_dests(tmp_path, 2)
    result = _pfn(source, d1, read_only, d2)
    assert result.returncode == 1, result.stderr
    assert other_lines(result.stderr) == [
        f"ERROR: destination {read_only} is not writable: Read-only file system (EROFS); "
        "mount it read-write or fix its permissions, or choose another destination; "
        f"{read_only / source.name} was not copied"
    ]
    assert result.stdout.startswith("hash XXH64BE:"), result.stdout
    assert (d1 / source.name).read_bytes() == source.read_bytes()
    assert (d2 / source.name).read_bytes() == source.read_bytes()
    assert os.listdir(read_only) == []
    # One at a time (the library's in-turn path) the same; alone: nothing verified, exit 2.
    from offload.api import copy_with_multiple_destinations

    (d1 / source.name).unlink()
    report = copy_with_multiple_destinations(source, [read_only, d1], parallel=False)
    assert int(report.exit_code) == 1
    assert [r.status for r in report.files[0].destinations] == [
        DestinationStatus.FAILED,
        DestinationStatus.VERIFIED,
    ]
    alone = _pfn("-v", source, read_only)
    assert alone.returncode == 2, alone.stderr
    assert "not writable" in alone.stderr and "EROFS" in alone.stderr
    # No copy made: no hash of one, no speed of a copy that did not happen, nor a word of
    # copying (every destination refused up front).
    assert alone.stdout == "", alone.stdout
    assert os.listdir(read_only) == []
    # The copy an earlier run made there before the drive went read-only: read back and
    # kept (the source's mtime it has already: nothing to write), the ERROR line gone.
    subprocess.run(["mount", "-o", "remount,rw", str(read_only)], check=True)
    assert _pfn(source, read_only).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(read_only)], check=True)
    again = _pfn("-v", source, d1, read_only)
    assert again.returncode == 0, again.stderr
    assert f"INFO: {read_only / source.name} already holds this file" in again.stdout
    assert "ERROR" not in again.stderr, again.stderr
    card = make_card(tmp_path / "cards", {"a.mov": 1000})
    out, err = io.StringIO(), io.StringIO()
    code = offload_main(
        ["copy", str(card), str(tmp_path / "RAID0"), str(read_only)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 64 and str(read_only) in err.getvalue()


def test_offload_copy_onto_a_drive_out_of_inodes_says_full_not_read_only(
    tmp_path: Path, tmpfs_mount: Callable[..., object]
) -> None:
    """``offload copy`` onto a tmpfs whose every inode is taken (free bytes left): its line
    says the drive is out of inodes (delete files there), not "not writable ... mount it
    read-write or fix its permissions"; exit 64, nothing written. Failed before: the
    read-only remedy for a full drive. (The inode count refuses it before any write: no
    write probe is made then, so the probe's own "is full" line, ENOSPC, is not said.)"""
    full = Path(tmpfs_mount(8 * MIB, nr_inodes=8).path)  # type: ignore[attr-defined]
    for n in itertools.count():
        try:
            (full / f"f{n}").touch()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
            break
    taken = sorted(os.listdir(full))
    card = make_card(tmp_path / "cards", {"a.mov": 1000})
    out, err = io.StringIO(), io.StringIO()
    code = offload_main(
        ["copy", str(card), str(tmp_path / "RAID0"), str(full)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    said = err.getvalue()
    assert code == 64, said
    assert f"out of inodes: {full} has room for 0 more files and folders" in said, said
    assert "mount it read-write" not in said, said
    assert sorted(os.listdir(full)) == taken


def test_destination_lost_mid_batch_reports_every_file(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Review finding: files of a batch that had passed fsync when the destination was lost
    got no result there, and their partials stayed."""
    card = make_card(tmp_path / "cards", {f"f{i}.bin": 10_000 for i in range(8)})
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path, 1), fs.mountpoint]
    rule = fs.fail("fsync", errno.EIO, path="*f*.bin", nth=4)
    report = offload(card, dests)
    assert fs.fired(rule) == 1
    assert report.job.destinations[1].lost
    for file in report.job.files:
        assert [d.destination_index for d in file.destinations] == [0, 1], file
        assert file.destination(1).status is DestinationStatus.FAILED  # type: ignore[union-attr]
    assert partials_under(fs.backing) == []
    assert_others_verified(report, card, dests, [0])


def test_ctrl_c_in_a_library_call_cancels_cleanly(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Review finding: on Python 3.11 a KeyboardInterrupt inside Thread.join() let run()
    return while engine threads still ran (and crashed freeing the buffers they used)."""
    import threading

    from offload.api import copy_with_multiple_destinations
    from offload.engine.cancel import CancelToken

    source = tmp_path / "clip.mov"
    data = os.urandom(24 * MIB)
    source.write_bytes(data)
    slow = faulty_fs()
    dests = [*plain_dests(tmp_path, 1), slow.mountpoint]
    # Held until the job has seen the Ctrl-C, not for a fixed time: a 2 s hold was a window
    # that a loaded machine can miss (the job then finishes uncancelled).
    stall = slow.stall("write", path="*clip.mov", offset=8 * MIB)
    cancel = CancelToken()  # the job's own token, watched here: what Ctrl-C sets

    def interrupt() -> None:
        try:
            slow.wait_stalled(stall, timeout_s=30)
            os.kill(os.getpid(), signal.SIGINT)
            deadline = time.monotonic() + 30
            while not cancel.cancelled and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            slow.release(stall)

    # Threads of earlier tests in this process (a report's media prober, an S3 client's
    # clean-up) are not this job's: only threads started by this call must be gone.
    before = set(threading.enumerate())
    interrupter = threading.Thread(target=interrupt)
    # Ctrl-C in a library call is Python's KeyboardInterrupt, whatever started pytest: a
    # shell without job control starts a background command with SIGINT ignored, and then
    # Python installs no handler and the job never hears the Ctrl-C.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        interrupter.start()
        report = copy_with_multiple_destinations(source, dests, cancel=cancel)
        interrupter.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert report.cancelled and int(report.exit_code) == 130
    assert [t.name for t in threading.enumerate() if t not in before] == []
    # The reader runs ahead of the held destination (the file fits the chunk pool): the
    # fast one may have verified and published the clip before the Ctrl-C, and keeps it.
    # Never a partial, nor other bytes under the final name.
    assert os.listdir(dests[0]) in ([], ["clip.mov"])
    if os.listdir(dests[0]):
        assert (dests[0] / "clip.mov").read_bytes() == data
    assert [n for n in os.listdir(slow.backing) if n != ".faultyfs-state"] == []


def test_a_destination_lost_mid_card_is_one_error_line_and_a_count(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A drive pulled mid-card (EIO everywhere from the fifth clip on): the terminal names the
    destination and the cause once, then counts the other files that failed there of it;
    the saved report keeps every file. Failed before: one ERROR line per file."""
    import threading

    files = 40
    card = make_card(tmp_path / "cards", {f"CLIPS/A007C{i:03d}.mov": 100_000 for i in range(files)})
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path), fs.mountpoint]
    stall = fs.stall("create", path="*A007C004.mov")
    reports = tmp_path / "reports"
    out, err = io.StringIO(), io.StringIO()
    argv = ["copy", "--report-dir", str(reports), str(card), *map(str, dests)]
    outcome: dict[str, int] = {}
    env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
    runner = threading.Thread(target=lambda: outcome.setdefault("code", offload_main(argv, env)))
    runner.start()
    fs.wait_stalled(stall, timeout_s=30)
    fs.unplug()
    fs.release(stall)
    runner.join(timeout=60)
    assert not runner.is_alive()
    assert outcome["code"] == 1, err.getvalue()
    (saved,) = reports.glob("A007R1CD_*.json")
    report = json.loads(saved.read_text())
    failed = [f["path"] for f in report["files"] if f["destinations"][2]["status"] == "failed"]
    assert len(failed) >= files - 5, failed  # every file from the fifth on, each listed
    for i in (0, 1):
        assert all(f["destinations"][i]["status"] == "verified" for f in report["files"])
    errors = [line for line in err.getvalue().splitlines() if line.startswith("ERROR:")]
    assert len(errors) <= 4, "\n".join(errors)  # not one a file
    start = f"ERROR: destination {fs.mountpoint} lost"
    (first,) = [line for line in errors if line.startswith(start)]
    assert "Input/output error (EIO)" in first, first
    assert first.count("Input/output error") == 1, first  # the cause once
    (more,) = [line for line in errors if line.startswith("ERROR: ... and ")]
    counted = int(more.split()[3].replace(",", ""))
    shown = len(errors) - 1  # every other line names one file
    assert counted + shown == len(failed), errors
    assert f"more files on {fs.mountpoint} failed: same cause" in more, more


class _Sink:
    """An event sink calling *emit* with each event, in the engine's thread."""

    def __init__(self, emit: Callable[[Any], None]) -> None:
        self.emit = emit


def _pull_card_while_held(
    tmp_path: Path,
    card: Path,
    faulty_fs: Callable[..., FaultyFS],
    op: str,
    path: str,
    swap: Callable[[], None],
) -> OffloadReport:
    """Offload *card* to a plain folder and a FaultyFS destination whose *op* on *path* is
    held; while held, *swap* (pull the card, put something at its path); then the report."""
    import threading

    fs = faulty_fs()
    dests = [*plain_dests(tmp_path, 1), fs.mountpoint]
    stall = fs.stall(op, path=path)
    plan = plan_offload(card, dests, OffloadOptions(copy=CopyOptions(chunk_size=MIB)))
    outcome: dict[str, OffloadReport] = {}
    runner = threading.Thread(target=lambda: outcome.setdefault("report", run_offload(plan)))
    runner.start()
    try:
        fs.wait_stalled(stall, timeout_s=30)
        swap()
    finally:
        fs.release(stall)
        runner.join(timeout=90)
    assert not runner.is_alive()
    return outcome["report"]


@pytest.mark.timeout(120)
def test_a_different_card_put_at_the_cards_path_mid_run_is_named_as_another(
    tmp_path: Path, ext4_loop: Callable[..., Any], faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Card A003 pulled mid-file (lazily unmounted) and another card, B001, mounted at the
    same path before the run looks: the one line says a different card (its label) is there
    and to put A003 back, not "re-insert it" (which would have the same command read B001).
    Failed before: "re-insert it", B001 never named."""
    from support import mounts

    card = ext4_loop(64 * MIB, path=tmp_path / "A003", mkfs_args=("-L", "A003")).path
    (card / "CLIPS").mkdir()
    for i in range(5):  # 8 MiB clips are streamed, each opened when the reader gets to it
        (card / "CLIPS" / f"C{i:03d}.mov").write_bytes(os.urandom(8 * MIB + i))
    other = ext4_loop(16 * MIB, path=tmp_path / "B001", mkfs_args=("-L", "B001")).path

    def swap() -> None:
        mounts.detach(card)
        mounts.move_mount(other, card)

    report = _pull_card_while_held(tmp_path, card, faulty_fs, "create", "*C002.mov", swap)
    line = report.card_gone
    assert line is not None and f"the card {card} went away" in line, line
    assert 'a different card ("B001", volume ' in line and f"is at {card} now" in line, line
    assert f'put card {card} ("A003", volume ' in line and "back" in line, line
    assert "re-insert" not in line, line


@pytest.mark.timeout(120)
def test_the_same_card_pulled_and_put_back_mid_run_is_said_put_back(
    tmp_path: Path, ext4_loop: Callable[..., Any], faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Card A003 pulled mid-file (lazily unmounted while a FaultyFS destination holds its
    third clip's create), its last clips failing as read while it is out, then put back at
    its path while the manifests are written (its image set up again on a free loop device,
    read-only: usually the number the first one had, freed once the pulled mount's last file
    closed, as a re-inserted card's reader device comes back with its number, so the
    card's root is on the scan's device again): the line says it was pulled and put back,
    that the files read while it was out failed and to run the same command again, not
    "re-insert it" (it is there). Failed before: "re-insert it"."""
    import threading

    from support import mounts

    loop = ext4_loop(64 * MIB, path=tmp_path / "A003", mkfs_args=("-L", "A003"))
    card = loop.path
    (card / "CLIPS").mkdir()
    for i in range(5):  # 8 MiB clips are streamed, each opened when the reader gets to it
        (card / "CLIPS" / f"C{i:03d}.mov").write_bytes(os.urandom(8 * MIB + i))
    # Read-only from here: mounted again below while the pulled mount still holds the clip
    # being read, and an ext4 mounted twice read-write would be damaged.
    subprocess.run(["mount", "-o", "remount,ro", str(card)], check=True)
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path, 1), fs.mountpoint]
    held = fs.stall("create", path="*C002.mov")
    late = fs.stall("mkdir", path="*ascmhl")  # after the copy jobs and the card's check
    plan = plan_offload(card, dests, OffloadOptions(copy=CopyOptions(chunk_size=MIB)))
    outcome: dict[str, OffloadReport] = {}
    runner = threading.Thread(target=lambda: outcome.setdefault("report", run_offload(plan)))
    device = ""
    runner.start()
    try:
        fs.wait_stalled(held, timeout_s=30)
        mounts.detach(card)
        fs.release(held)
        fs.wait_stalled(late, timeout_s=60)
        device = subprocess.run(
            ["losetup", "-f", "--show", "-r", str(loop.image)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        subprocess.run(["mount", "-o", "ro", device, str(card)], check=True)
    finally:
        fs.release()
        runner.join(timeout=90)
        if device:
            mounts.unmount(card)
            subprocess.run(["losetup", "-d", device], check=False)
    assert not runner.is_alive()
    report = outcome["report"]
    unread = [f for f in report.job.files if f.source_error]
    assert {"CLIPS/C003.mov", "CLIPS/C004.mov"} <= {f.relative_path for f in unread}
    line = report.card_gone
    assert line is not None, report.job.files
    assert f'the card {card} ("A003", volume ' in line, line
    assert "was pulled and put back during the offload" in line, line
    assert f"{len(unread)} files of it read while it was out failed" in line, line
    assert f"it is at {card} again: run the same command again to finish" in line, line
    assert "the copies already made and checked are kept" in line, line
    assert "re-insert" not in line and "different card" not in line, line


@pytest.mark.timeout(120)
def test_a_card_put_back_before_the_copies_end_is_still_said_pulled_and_put_back(
    tmp_path: Path, ext4_loop: Callable[..., Any], faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Card A003 pulled mid-file, its last two clips failing as read (ENOENT) while it is out,
    and put back at its path before the copy jobs end (as the last clip's failure is
    reported: the run's event sink mounts it), from its own loop device (as a re-inserted
    card's reader device comes back with its number): its root is on the scan's device
    again, and its clips that failed ENOENT are there again (``card_presence.came_back``).
    The line says it was pulled and put back and to run the same command again. Failed
    before: no line at all, only a "cannot open source" error a file (``card_gone`` saw the
    scan's device)."""
    import threading

    from offload.events import Event, FileFailed
    from support import mounts

    loop = ext4_loop(64 * MIB, path=tmp_path / "A003", mkfs_args=("-L", "A003"))
    card = loop.path
    (card / "CLIPS").mkdir()
    for i in range(5):  # 8 MiB clips are streamed, each opened when the reader gets to it
        (card / "CLIPS" / f"C{i:03d}.mov").write_bytes(os.urandom(8 * MIB + i))
    subprocess.run(["mount", "-o", "remount,ro", str(card)], check=True)  # mounted twice below
    fs = faulty_fs()
    dests = [*plain_dests(tmp_path, 1), fs.mountpoint]
    held = fs.stall("create", path="*C002.mov")
    plan = plan_offload(card, dests, OffloadOptions(copy=CopyOptions(chunk_size=MIB)))
    mounted: list[bool] = []

    def put_back(event: Event) -> None:
        # The last clip failed as read (the card out): put it back, before the check that
        # follows the copy jobs.
        last = isinstance(event, FileFailed) and event.relative_path == "CLIPS/C004.mov"
        if last and event.destination_index == -1 and not mounted:
            # Its own device again (the pulled mount kept alive by a file held open below):
            # the scan's device number, as a re-inserted card's reader device comes back.
            subprocess.run(["mount", "-o", "ro", loop.source, str(card)], check=True)
            mounted.append(True)

    outcome: dict[str, OffloadReport] = {}
    runner = threading.Thread(
        target=lambda: outcome.setdefault("report", run_offload(plan, sink=_Sink(put_back)))
    )
    kept = os.open(card / "CLIPS" / "C000.mov", os.O_RDONLY)  # the pulled mount lives on
    runner.start()
    try:
        fs.wait_stalled(held, timeout_s=30)
        mounts.detach(card)
    finally:
        fs.release()
        runner.join(timeout=90)
        if mounted:
            mounts.unmount(card)
        os.close(kept)
    assert mounted, "the last clip never failed"
    assert not runner.is_alive()
    line = outcome["report"].card_gone
    assert line is not None, [f.source_error for f in outcome["report"].job.files]
    assert f'the card {card} ("A003", volume ' in line, line
    assert "was pulled and put back during the offload" in line, line
    unread = [f for f in outcome["report"].job.files if f.source_error]
    assert {"CLIPS/C003.mov", "CLIPS/C004.mov"} <= {f.relative_path for f in unread}
    assert f"{len(unread)} files of it read while it was out failed" in line, line
    assert f"it is at {card} again: run the same command again to finish" in line, line


@pytest.mark.timeout(120)
def test_a_card_pulled_after_the_copies_before_its_folder_times_is_said_once(
    tmp_path: Path, ext4_loop: Callable[..., Any], faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The card pulled once every file is copied, while the manifests are written (a
    FaultyFS destination holds its ascmhl/ folder's mkdir), so after the check that follows
    the copy jobs but before the card's folder times are read: the card's one line, not a
    "cannot read the time of the card's folder" line a folder. Failed before: no
    ``card_gone``, and one such line for each folder."""
    from offload.report.failure_lines import folder_error_lines
    from support import mounts

    card = ext4_loop(16 * MIB, path=tmp_path / "A004").path
    for folder in ("CLIPS", "AUDIO"):
        (card / folder).mkdir()
        (card / folder / "C001.mov").write_bytes(os.urandom(100_000))
    report = _pull_card_while_held(
        tmp_path, card, faulty_fs, "mkdir", "*ascmhl", lambda: mounts.detach(card)
    )
    assert all(f.ok for f in report.job.files), report.job.files
    line = report.card_gone
    assert line is not None and f"the card {card} went away" in line, report.folder_errors
    assert "every file of it had been read" in line and "re-insert it" in line, line
    assert any(e.startswith("cannot read the time") for e in report.folder_errors)
    assert folder_error_lines(report) == [], folder_error_lines(report)


@pytest.mark.timeout(120)
def test_a_destination_drive_unmounted_cleanly_mid_run_is_named_gone_by_the_release(
    tmp_path: Path, ext4_loop: Callable[..., Any], faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A destination drive (an ext4 loop image at DEST) unmounted with a real ``umount``
    once its copies and folder times are done, while a FaultyFS destination holds a folder
    time: its path is a plain folder on the filesystem below now (no ENOTCONN anywhere). The
    report names it unreachable and the card release says it is gone, never describing the
    empty mount-point folder left below. Failed before: ``unreachable`` null, and that
    folder's volume reported as the copies'."""
    from offload.report.job_report import job_report_dict
    from support import mounts

    card = tmp_path / "A005"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(100_000))
    drive = ext4_loop(16 * MIB, path=tmp_path / "DRIVE").path
    fs = faulty_fs()
    stall = fs.stall("utimens", path="*CLIPS")
    plan = plan_offload(card, [drive, fs.mountpoint])
    import threading

    outcome: dict[str, OffloadReport] = {}
    runner = threading.Thread(target=lambda: outcome.setdefault("report", run_offload(plan)))
    runner.start()
    try:
        fs.wait_stalled(stall, timeout_s=30)
        mounts.unmount(drive)  # ejected: DRIVE is the empty folder below
    finally:
        fs.release(stall)
        runner.join(timeout=90)
    assert not runner.is_alive()
    assert not os.path.ismount(drive)
    data = job_report_dict(outcome["report"])
    first = data["destinations"][0]
    assert first["unreachable"] == "another filesystem is at its path now", first
    assert first["mount_point"] is None and first["device"] is None, first
    assert data["destinations"][1]["unreachable"] is None, data["destinations"][1]
    release = data["card_release"]
    assert not release["may_format"], release
    assert (
        "destination 1 no longer answers (another filesystem is at its path now)"
        in (release["text"])
    ), release


def test_a_lost_drive_s_written_zero_is_said_to_count_finished_copies_only(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drive that fails a write 12 MiB into a 20 MiB clip (EIO: lost) after taking the
    bytes before it: its row's "written" says 0 bytes (the JSON's ``bytes_written``: copies
    finished), and the table's caption says what that column counts. Failed before: "0
    bytes" under "written" and nothing more, read as "nothing reached the drive". A run
    whose copies all finish has no caption."""
    monkeypatch.setenv("COLUMNS", "80")
    card = make_card(tmp_path / "cards", {"CLIPS/A007C001.mov": 20 * MIB})
    fs = faulty_fs()
    rule = fs.fail("write", errno.EIO, path="*A007C001.mov*", offset=12 * MIB)
    dests = [*plain_dests(tmp_path, 1), fs.mountpoint]
    reports = tmp_path / "reports"
    argv = ["copy", "--report-dir", str(reports), str(card), *map(str, dests)]
    err = io.StringIO()
    code = offload_main(argv, Environment(stdout=io.StringIO(), stderr=err))
    said = err.getvalue()
    assert code == 1 and fs.fired(rule) >= 1, said
    assert fs.op_count("write") >= 1
    (saved,) = reports.glob("A007R1CD_*.json")
    lost = json.loads(saved.read_text())["destinations"][1]
    assert lost["lost"] and lost["bytes_written"] == 0, lost
    lines = said.splitlines()
    # The lost drive's line names it, and the file whose write failed on it: not the drive
    # again (failed before: "... on destination <drive>: ...", the drive 3 times a line).
    (gone,) = [line for line in lines if line.startswith(f"ERROR: destination {fs.mountpoint}")]
    assert gone.count(str(fs.mountpoint)) == 2, gone
    assert f"cannot write {fs.mountpoint / card.name / 'CLIPS'}/A007C001.mov: Input" in gone
    (row,) = [line for line in lines if "LOST: " in line]
    assert " 0 bytes " in row, said
    flat = " ".join(said.split())
    assert (
        "written: the bytes this run sent of the copies it finished on that destination "
        "(verified or transfer-checked; the parts of a resumed upload already there not "
        "counted); a copy that failed or was cancelled is not counted, though a drive gone "
        "or cut off mid-copy may still hold part of it"
    ) in flat, said
    # The summary's table, from its header (the title above it, the card's path, wraps
    # where the path is longer than the terminal: a long --basetemp makes it so).
    title = next(
        (i for i, line in enumerate(lines) if "destination" in line and "result" in line), None
    )
    assert title is not None, said
    assert all(len(line) <= 80 for line in lines[title : title + 12]), said

    fine = tmp_path / "fine"
    fine.mkdir()
    err = io.StringIO()
    argv = ["copy", "--report-dir", str(reports), str(card), str(fine)]
    assert offload_main(argv, Environment(stdout=io.StringIO(), stderr=err)) == 0
    assert "written: the bytes" not in err.getvalue(), err.getvalue()
