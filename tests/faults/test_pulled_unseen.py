"""Drives pulled where no check looked (``umount -l``, what udisks does to a pulled drive):
the empty mount point is a folder of the disk below, where nothing may be written unseen.

A destination pulled between the plan and the first write: before the fix the destination
took its root's device when the job opened it, after the preflight, so it compared every
later look with the disk below: every copy, the ASC MHL history and the ledger were written
into the bare mount point, each copy "verified", exit 0. Now the device the plan saw is the
one every check compares with: the destination is lost at its first file, nothing lands
on the disk below, and the run exits 1.

A ``--report-dir`` drive pulled during the run: before the fix the local reports were
written to the disk below with no warning. Now they are not written, a warning says so.

Real parts: tmpfs mounts detached between ``plan_offload`` and ``run_offload`` (the moment
the CLI prints its "Offloading" line), or while FaultyFS holds the card's read (the copy
running in a real subprocess).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offload import api
from offload import card as card_module
from offload.card import OffloadOptions, plan_offload, run_offload
from offload.results import GOOD_STATUSES
from support.cards import clips_card
from support.faultyfs import FaultyFS
from support.mounts import Mount, detach
from support.offload_cli import CLI


def test_a_drive_pulled_after_the_plan_is_lost_never_written_below(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    card = clips_card(tmp_path, 5, 20_000)
    ok, drive = tmp_path / "ok", tmpfs_mount(64 << 20)
    ok.mkdir()
    plan = plan_offload(card, [ok, drive.path])
    detach(drive.path)
    report = run_offload(plan)
    assert os.listdir(drive.path) == []  # the bare mount point: nothing written below
    assert report.exit_code == 1
    [lost] = [d for d in report.job.destinations if d.lost]
    assert lost.root == str(drive.path)
    assert "is now on another device" in (lost.lost_reason or ""), lost.lost_reason
    assert all(f.destinations[0].status in GOOD_STATUSES for f in report.job.files)


def test_a_drive_pulled_while_the_plan_ends_is_lost_never_written_below(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pulled after the preflight looked at it, before the plan's last look (here while the
    destinations are grouped by device). Failed before: the plan took the disk below as the
    drive, a full copy there, exit 0."""
    card = clips_card(tmp_path, 5, 20_000)
    ok, drive = tmp_path / "ok", tmpfs_mount(64 << 20)
    ok.mkdir()
    group = card_module.group_destinations

    def pulled_then_grouped(*args: Any, **kwargs: Any) -> Any:
        detach(drive.path)  # only the moment is chosen here; the unmount is real
        return group(*args, **kwargs)

    monkeypatch.setattr(card_module, "group_destinations", pulled_then_grouped)
    report = run_offload(plan_offload(card, [ok, drive.path]))
    assert os.listdir(drive.path) == []  # the bare mount point: nothing written below
    assert report.exit_code == 1
    [lost] = [d for d in report.job.destinations if d.lost]
    assert lost.root == str(drive.path)
    assert all(f.destinations[0].status in GOOD_STATUSES for f in report.job.files)


def test_a_drive_mounted_at_the_copy_root_pulled_after_the_plan_is_lost_never_written_below(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """The drive mounted at ``DEST/A001`` itself, DEST on the disk below. Failed before: the
    copies written into the bare mount point, DEST never moved."""
    card = clips_card(tmp_path, 5, 20_000)
    ok, dest = tmp_path / "ok", tmp_path / "dest"
    ok.mkdir()
    dest.mkdir()
    drive = tmpfs_mount(64 << 20, path=dest / card.name)
    plan = plan_offload(card, [ok, dest])
    detach(drive.path)
    report = run_offload(plan)
    assert os.listdir(drive.path) == []  # the bare mount point: nothing written below
    assert report.exit_code == 1
    [lost] = [d for d in report.job.destinations if d.lost]
    assert lost.root == str(dest)
    assert f"{drive.path} is now on another device" in (lost.lost_reason or ""), lost.lost_reason
    assert all(f.destinations[0].status in GOOD_STATUSES for f in report.job.files)


def test_a_cascade_drive_pulled_after_the_plan_is_lost_never_written_below(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """Failed before: the cascade's job took the disk below as the drive, a full copy there,
    exit 0."""
    card = clips_card(tmp_path, 5, 20_000)
    fast, slow = tmp_path / "fast", tmpfs_mount(64 << 20)
    fast.mkdir()
    plan = plan_offload(card, [fast, slow.path], OffloadOptions(cascade=frozenset({1})))
    detach(slow.path)
    report = run_offload(plan)
    assert os.listdir(slow.path) == []  # the bare mount point: nothing written below
    assert report.exit_code == 1
    [lost] = [d for d in report.job.destinations if d.lost]
    assert lost.root == str(slow.path)
    assert all(f.destinations[0].status in GOOD_STATUSES for f in report.job.files)


@pytest.mark.parametrize("parallel", [True, False])
def test_a_drive_pulled_after_a_file_copy_is_planned_is_lost_never_written_below(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    monkeypatch: pytest.MonkeyPatch,
    parallel: bool,
) -> None:
    """``copy_with_multiple_destinations`` (pfndispatchcopy's): the drive pulled once its
    targets are planned. Failed before: the file written into the bare mount point, exit 0."""
    source = tmp_path / "C001.mov"
    source.write_bytes(os.urandom(1 << 16))
    ok, drive = tmp_path / "ok", tmpfs_mount(16 << 20)
    ok.mkdir()
    plan_targets = api._plan_targets

    def planned_then_pulled(*args: Any, **kwargs: Any) -> Any:
        planned = plan_targets(*args, **kwargs)
        detach(drive.path)  # only the moment is chosen here; the unmount is real
        return planned

    monkeypatch.setattr(api, "_plan_targets", planned_then_pulled)
    report = api.copy_with_multiple_destinations(source, [ok, drive.path], parallel=parallel)
    assert os.listdir(drive.path) == []  # the bare mount point: nothing written below
    assert report.exit_code == 1
    [copied, pulled] = report.files[0].destinations
    assert copied.status in GOOD_STATUSES
    assert "is now on another device" in (pulled.error or ""), pulled.error


def _run_changing_reports(
    card_fs: FaultyFS, argv: list[str], cwd: Path, change: Callable[[], object]
) -> tuple[str, str]:
    """``offload *argv*`` (one that reads ``C1.mov`` through *card_fs*), *change* made while
    FaultyFS holds that read (the run under way); its stdout and stderr."""
    held = card_fs.stall("read", path="*C1.mov", times=1)
    process = subprocess.Popen(
        [*CLI, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    try:
        card_fs.wait_stalled(held, timeout_s=60)
        change()
    finally:
        card_fs.release(held)
    return process.communicate(timeout=120)


def _copy_changing_reports(
    card_fs: FaultyFS, reports: Path, dest: Path, change: Callable[[], object]
) -> tuple[str, str]:
    """``offload copy --report-dir REPORTS`` of *card_fs* (one clip) to *dest*, *change*
    made while FaultyFS holds the card's read (the run under way); its stdout and stderr."""
    (card_fs.mountpoint / "C1.mov").write_bytes(os.urandom(1 << 16))
    dest.mkdir()
    argv = ["copy", "--report-dir", str(reports), str(card_fs.mountpoint), str(dest)]
    out, err = _run_changing_reports(card_fs, argv, dest.parent, change)
    assert (dest / card_fs.mountpoint.name / "C1.mov").is_file()
    return out, err


def _verify_changing_reports(
    tmp_path: Path, copy_fs: FaultyFS, reports: Path, change: Callable[[], object]
) -> tuple[str, str]:
    """``offload verify --report-dir REPORTS`` of a copy (one clip) on *copy_fs*, *change*
    made while FaultyFS holds the copy's read (the check under way); its stdout and
    stderr."""
    card = tmp_path / "A001"
    card.mkdir()
    (card / "C1.mov").write_bytes(os.urandom(1 << 16))
    argv = ["copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(copy_fs.mountpoint)]
    copied = subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=120)
    assert copied.returncode == 0, copied.stderr
    argv = ["verify", "--report-dir", str(reports), str(copy_fs.mountpoint / "A001")]
    return _run_changing_reports(copy_fs, argv, tmp_path, change)


def test_a_report_folder_pulled_mid_run_gets_no_report_and_a_warning(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    tmpfs_mount: Callable[..., Mount],
) -> None:
    """Failed before: exit 0, no warning, the JSON/CSV/HTML/PDF in the bare mount point."""
    card_fs = faulty_fs(direct_io=True)
    reports = tmpfs_mount(16 << 20)
    out, err = _copy_changing_reports(
        card_fs, reports.path, tmp_path / "dest", lambda: detach(reports.path)
    )
    assert os.listdir(reports.path) == [], out + err  # nothing on the disk below
    [line] = [x for x in err.splitlines() if "cannot write the local report" in x]
    assert "is on another filesystem than when the run began" in line, line


def test_a_report_folder_made_during_the_run_on_its_own_drive_gets_its_report(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    tmpfs_mount: Callable[..., Mount],
) -> None:
    """A ``--report-dir`` not there at the start, a drive mounted there meanwhile: the
    folder it was to be made in never moved. Failed before: refused as 'unmounted or
    pulled' (the start looked at its parent, the end at the folder)."""
    card_fs, reports = faulty_fs(direct_io=True), tmp_path / "reports"
    out, err = _copy_changing_reports(
        card_fs, reports, tmp_path / "dest", lambda: tmpfs_mount(16 << 20, path=reports)
    )
    assert "cannot write the local report" not in err, err
    assert sorted(p.suffix for p in reports.iterdir() if p.suffix in (".json", ".csv")) == [
        ".csv",
        ".json",
    ], out + err


def test_a_verify_report_folder_pulled_mid_check_gets_no_report_and_a_warning(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    tmpfs_mount: Callable[..., Mount],
) -> None:
    """``offload verify``'s report folder follows ``offload copy``'s rule: its drive pulled
    during the check (the bare mount point left, a folder of the disk below), the report is
    not written there; one line says why. Failed before: the JSON and CSV in the bare mount
    point, no line."""
    copy_fs, reports = faulty_fs(direct_io=True), tmpfs_mount(16 << 20)
    out, err = _verify_changing_reports(
        tmp_path, copy_fs, reports.path, lambda: detach(reports.path)
    )
    assert os.listdir(reports.path) == [], out + err  # nothing on the disk below
    [line] = [x for x in err.splitlines() if "cannot write the verify report" in x]
    assert "is on another filesystem than when the run began" in line, line
    assert "1 OK" in out + err, out + err  # the check itself stands


def test_a_verify_report_folder_whose_mount_point_went_with_its_drive_is_not_made_below(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    tmpfs_mount: Callable[..., Mount],
) -> None:
    """A named report folder inside a drive pulled during the check, its mount point
    removed too (udisks removes ``/media/USER/DRIVE``): made if missing, never the folders
    above it, as ``offload copy``'s (``common.local_report_dir``). Failed before: the whole
    path made again on the disk below, the report written there."""
    copy_fs, drive = faulty_fs(direct_io=True), tmpfs_mount(16 << 20)
    reports = drive.path / "reports"

    def pulled() -> None:
        detach(drive.path)
        drive.path.rmdir()

    out, err = _verify_changing_reports(tmp_path, copy_fs, reports, pulled)
    assert not drive.path.exists(), out + err
    [line] = [x for x in err.splitlines() if "cannot write the verify report" in x]
    assert str(reports) in line, line
