"""A drive that went away before the command: its exfat-fuse killed (the cable pulled), so
every look at it fails with ENOTCONN ("Transport endpoint is not connected").

Before the fix ``offload verify`` and ``pfndispatchcopy`` died with a traceback (exit 1, no
``--json`` document, the healthy destination not written) and ``offload copy`` said to move
the ledger away. Now: one line naming the path and what to do (reconnect it), a documented
exit code, and ``pfndispatchcopy`` writes the destinations that answer.

Real parts: an exFAT image on a loop device served by exfat-fuse, killed with SIGKILL; the
commands run as subprocesses.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import mounts
from tests.support.faultyfs import FaultyFS

OFFLOAD = [sys.executable, "-m", "offload.cli.offload"]
PFN = [sys.executable, "-m", "offload.cli.pfndispatchcopy"]
GONE = "is not reachable (Transport endpoint is not connected): reconnect it"


def run(argv: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "OFFLOAD_REPORT_DIR": str(tmp_path / "reports")},
    )


def pull_cable(drive: mounts.ExfatLoop) -> None:
    """Kill the drive's exfat-fuse: the mount stays, every call on it fails ENOTCONN."""
    os.kill(drive.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.stat(drive.path)
        except OSError as exc:
            # ECONNABORTED while the kernel tears the connection down, then ENOTCONN.
            if exc.errno == errno.ENOTCONN:
                return
        time.sleep(0.02)
    raise AssertionError("the killed exfat-fuse still answers")


@pytest.fixture
def gone_copy(
    tmp_path: Path, exfat_loop: Callable[..., mounts.ExfatLoop]
) -> tuple[Path, mounts.ExfatLoop]:
    """A card offloaded to an exFAT drive whose exfat-fuse was then killed."""
    card = tmp_path / "card" / "C2"
    card.mkdir(parents=True)
    (card / "A.mov").write_bytes(os.urandom(300_000))
    drive = exfat_loop(32 << 20)
    done = run([*OFFLOAD, "copy", str(card), str(drive.path)], tmp_path)
    assert done.returncode == 0, done.stderr
    pull_cable(drive)
    return card, drive


def test_verify_on_a_drive_that_went_away(
    tmp_path: Path, gone_copy: tuple[Path, mounts.ExfatLoop]
) -> None:
    _, drive = gone_copy
    copy_root = drive.path / "C2"
    done = run([*OFFLOAD, "verify", str(copy_root)], tmp_path)
    assert done.returncode == 64, done.stderr
    assert "Traceback" not in done.stderr
    assert (
        done.stderr.strip()
        == f"ERROR: the drive holding {copy_root} {GONE}, then run the same command again"
    )
    as_json = run([*OFFLOAD, "verify", "--json", str(copy_root)], tmp_path)
    assert as_json.returncode == 64
    document = json.loads(as_json.stdout)
    assert document["exit_code"] == 64
    assert GONE in document["error"]


def test_copy_to_a_drive_that_went_away_names_the_drive_not_the_ledger(
    tmp_path: Path, gone_copy: tuple[Path, mounts.ExfatLoop]
) -> None:
    card, drive = gone_copy
    healthy = tmp_path / "healthy"
    healthy.mkdir()
    # The copy root that holds a ledger, and one below a folder that was never made.
    for destination in (drive.path, drive.path / "sub"):
        done = run([*OFFLOAD, "copy", str(card), str(healthy), str(destination)], tmp_path)
        assert done.returncode == 64, done.stderr
        assert "Traceback" not in done.stderr
        assert "move it away" not in done.stderr
        assert f"the drive holding {destination / 'C2'} {GONE}" in done.stderr
    assert not (healthy / "C2").exists()  # refused before anything was written


def test_pfndispatchcopy_writes_the_destination_that_answers(
    tmp_path: Path, gone_copy: tuple[Path, mounts.ExfatLoop]
) -> None:
    card, drive = gone_copy
    healthy = tmp_path / "healthy"
    healthy.mkdir()
    source = card / "A.mov"
    done = run([*PFN, str(source), str(drive.path / "x.mov"), str(healthy / "y.mov")], tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert (healthy / "y.mov").read_bytes() == source.read_bytes()
    assert "Transport endpoint is not connected (ENOTCONN)" in done.stderr
    assert "reconnect it" in done.stderr
    # Every destination gone: nothing copied and verified.
    alone = run([*PFN, str(source), str(drive.path / "x.mov")], tmp_path)
    assert alone.returncode == 2, alone.stderr
    assert "Traceback" not in alone.stderr


def test_pfndispatchcopy_from_a_card_that_went_away(
    tmp_path: Path, gone_copy: tuple[Path, mounts.ExfatLoop]
) -> None:
    _, drive = gone_copy
    healthy = tmp_path / "healthy"
    healthy.mkdir()
    source = drive.path / "C2" / "A.mov"
    done = run([*PFN, str(source), str(healthy / "z.mov")], tmp_path)
    assert done.returncode == 64, done.stderr
    assert (
        done.stderr.strip()
        == f"ERROR: the drive holding {source} {GONE}, then run the same command again"
    )
    assert list(healthy.iterdir()) == []


def test_a_name_exfat_refuses_offers_ignore_before_a_rename_on_the_card(
    tmp_path: Path, exfat_loop: Callable[..., mounts.ExfatLoop]
) -> None:
    """QA: the refusal advised only "rename it on the source", a write to the card."""
    card = tmp_path / "card" / "C3"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "a:b.mov").write_bytes(b"x" * 1000)
    drive = exfat_loop(32 << 20)
    done = run([*OFFLOAD, "copy", str(card), str(drive.path)], tmp_path)
    assert done.returncode == 64, done.stderr
    assert "leave it out with --ignore /CLIPS/a:b.mov, choose another destination" in done.stderr
    assert not (drive.path / "C3").exists()


def test_copy_from_a_card_that_went_away_says_reconnect_it(
    tmp_path: Path, exfat_loop: Callable[..., mounts.ExfatLoop]
) -> None:
    """Failed before (review): "source ... does not exist ... (check the path, and that the
    card is mounted)" for a card whose exfat-fuse died, mounted all along."""
    card = exfat_loop(32 << 20)
    (card.path / "A001").mkdir()
    (card.path / "A001" / "C001.mov").write_bytes(os.urandom(100_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    pull_cable(card)
    source = card.path / "A001"
    for extra in ([], ["--dry-run"]):
        done = run([*OFFLOAD, "copy", *extra, str(source), str(dest)], tmp_path)
        assert done.returncode == 64, done.stderr
        assert "Traceback" not in done.stderr
        assert "does not exist" not in done.stderr
        assert f"the drive holding {source} {GONE}" in done.stderr
    assert list(dest.iterdir()) == []


def test_a_ledger_that_alone_cannot_be_read_is_named_not_the_drive(
    tmp_path: Path, faulty_fs: Callable[..., Any]
) -> None:
    """Failed before (review): a drive whose ledger file alone fails to open (EIO), every
    other file read fine, was called "not reachable ... reconnect it", which cannot help;
    the ledger file is named instead, as before the drive-gone change."""
    card = tmp_path / "card" / "C001"
    card.mkdir(parents=True)
    (card / "A.mov").write_bytes(os.urandom(100_000))
    fs = faulty_fs()
    assert run([*OFFLOAD, "copy", str(card), str(fs.mountpoint)], tmp_path).returncode == 0
    fs.fail("open", errno.EIO, path="*/.offload/ledger*")
    done = run([*OFFLOAD, "copy", str(card), str(fs.mountpoint)], tmp_path)
    assert done.returncode == 64, done.stderr
    assert "reconnect it" not in done.stderr
    ledger = fs.mountpoint / "C001" / ".offload" / "ledger.jsonl"
    assert f"cannot read {ledger}: Input/output error (EIO)" in done.stderr


def test_a_drive_pulled_mid_copy_says_reconnect_it_naming_it_once(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    tmpfs_mount: Callable[..., mounts.Mount],
) -> None:
    """A destination unmounted lazily mid-copy (``umount -l``, what udisks does to a pulled
    drive; FaultyFS holds the card's read of the second clip until then): its ERROR line
    says what to do (reconnect it, run the same command again) and names the drive once.
    Failed before: "destination D lost: destination D is gone: D no longer exists
    (unplugged or unmounted?)", no next step, the path three times."""
    card_fs = faulty_fs(direct_io=True)
    (card_fs.mountpoint / "C1.mov").write_bytes(os.urandom(1 << 20))
    (card_fs.mountpoint / "C2.mov").write_bytes(os.urandom(1 << 20))
    drive, other = tmpfs_mount(64 << 20), tmp_path / "other"
    other.mkdir()
    held = card_fs.stall("read", path="*C2.mov", times=1)
    process = subprocess.Popen(
        [*OFFLOAD, "copy", "--report-dir", str(tmp_path / "r"), str(card_fs.mountpoint),
         str(drive.path), str(other)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        card_fs.wait_stalled(held, timeout_s=60)
        mounts.detach(drive.path)
    finally:
        card_fs.release(held)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, out + err
    [line] = [x for x in err.splitlines() if x.startswith("ERROR:") and "gone" in x]
    assert "reconnect it, then run the same command again" in line, line
    copy = str(drive.path / card_fs.mountpoint.name / "C1.mov")  # the file's path aside
    assert line.replace(copy, "C1").count(str(drive.path)) == 1, line


def test_a_drive_killed_during_planning_says_reconnect_it(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``offload copy`` to a FUSE drive whose daemon dies during planning: held as the
    preflight removes its write probe (its last write there, nothing left to sync), the
    daemon is stopped by the fixture's own kill; the planner's next looks (its disk,
    ``preflight.space.check_devices``) refuse the run in one line naming the drive, exit
    64, nothing copied. Failed before (review of fixcasc60): a traceback (ENOTCONN raised
    bare by ``Path.exists`` in ``fs.devices.disk_of_mount``)."""
    card = tmp_path / "card" / "C2"
    card.mkdir(parents=True)
    (card / "A.mov").write_bytes(os.urandom(300_000))
    drive = faulty_fs()
    held = drive.stall("unlink", path="*.offload-probe-*")
    process = subprocess.Popen(
        [*OFFLOAD, "copy", str(card), str(drive.mountpoint)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", "OFFLOAD_REPORT_DIR": str(tmp_path / "reports")},
    )
    try:
        drive.wait_stalled_while_working(held, process)
        drive.kill()
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
    assert "Traceback" not in stderr, stderr
    assert process.returncode == 64, stderr
    assert f"the drive holding {drive.mountpoint}" in stderr and "reconnect it" in stderr


def test_a_drive_gone_as_the_planner_looks_for_its_disk_says_reconnect_it(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A FUSE drive whose daemon dies after the planner's first looks at it: the look for
    its disk (``disk_of_mount``, from ``preflight.space.check_devices`` by
    ``plan.filesystem.disk_of``) raises the one line "the drive holding PATH is not
    reachable (ENOTCONN): reconnect it" (exit 64). Failed before (review of fixcasc60):
    ``Path.exists`` raised ENOTCONN bare, a traceback out of planning. The daemon is
    stopped by the fixture's own kill, nothing writing to it."""
    from offload.errors import DriveUnreachable, ExitCode
    from offload.fs.devices import disk_of_mount
    from offload.plan.filesystem import disk_of

    drive = faulty_fs()
    (drive.mountpoint / "C9").mkdir()
    st_dev = os.stat(drive.mountpoint).st_dev  # the planner's earlier look, answered
    drive.kill()
    for look in (
        lambda: disk_of_mount(drive.mountpoint / "C9"),
        lambda: disk_of(st_dev, drive.mountpoint / "C9"),
    ):
        with pytest.raises(DriveUnreachable) as caught:
            look()
        assert GONE in str(caught.value), caught.value
        assert str(drive.mountpoint) in str(caught.value), caught.value
        assert caught.value.exit_code == ExitCode.USAGE == 64


def test_a_backslash_name_exfat_refuses_is_shown_as_ls_shows_it(
    tmp_path: Path, exfat_loop: Callable[..., mounts.ExfatLoop]
) -> None:
    """QA qa70faults L1: ``back\\slash.mov`` (one backslash) was shown doubled in the ERROR
    line and in the card release of the run its --ignore leaves it out of
    (``back\\\\slash.mov``), as ``ls`` never shows it. Now as ``ls`` shows it; the --ignore
    pattern keeps its backslash doubled (the pattern language's escape), said so, and
    copies the rest. Failed before: the name doubled in both lines."""
    card = tmp_path / "card" / "C4"
    (card / "DCIM").mkdir(parents=True)
    (card / "DCIM" / "back\\slash.mov").write_bytes(b"x" * 1000)
    (card / "DCIM" / "ok.mov").write_bytes(b"y" * 1000)
    drive = exfat_loop(32 << 20)
    done = run([*OFFLOAD, "copy", str(card), str(drive.path)], tmp_path)
    assert done.returncode == 64, done.stderr
    assert "'DCIM/back\\slash.mov': the name 'back\\slash.mov' contains '\\'" in done.stderr
    assert "back\\\\slash.mov'" not in done.stderr.replace("--ignore '/DCIM/back\\\\", ""), (
        done.stderr
    )
    assert (
        "--ignore '/DCIM/back\\\\slash.mov' (the pattern doubles each backslash of the name"
        in done.stderr
    ), done.stderr
    again = run(
        [*OFFLOAD, "copy", "--ignore", "/DCIM/back\\\\slash.mov", str(card), str(drive.path)],
        tmp_path,
    )
    assert again.returncode == 0, again.stderr
    (release,) = [
        line
        for line in (again.stdout + again.stderr).splitlines()
        if line.startswith("Do not format the card")
    ]
    assert "(DCIM/back\\slash.mov first)" in release, release
    assert (drive.path / "C4" / "DCIM" / "ok.mov").read_bytes() == b"y" * 1000
