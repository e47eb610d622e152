"""Destination backend paths under real faults and on a real FUSE filesystem: the publish
that fails and loses the destination (issue 11), and the local backend's fallbacks seen in
the operations the filesystem receives (each capability switched off by a Features
override, as on a filesystem or platform without it)."""

from __future__ import annotations

import dataclasses
import errno
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.card import offload
from offload.destinations.local import LocalDestination, probe_features
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.events import Event, PhaseChanged
from offload.ledger import Ledger
from offload.model import SourceFile
from offload.options import CopyOptions, VerifyMode
from offload.results import CopyAction, DestinationStatus, JobReport
from support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault


def partials_under(root: Path) -> list[str]:
    return [
        name
        for _folder, _dirs, files in os.walk(root)
        for name in files
        if name.startswith(".offload-partial.")
    ]


def make_sources(root: Path, count: int, size: int = 10_000, prefix: str = "f") -> list[SourceFile]:
    root.mkdir(parents=True, exist_ok=True)
    files = []
    for index in range(count):
        path = root / f"{prefix}{index}.bin"
        path.write_bytes(os.urandom(size))
        st = path.stat()
        files.append(SourceFile(path, path.name, st.st_size, st.st_mtime_ns))
    return files


def copy_through(
    destination: LocalDestination, files: list[SourceFile], **options: int
) -> JobReport:
    tasks = [FileTask(f, (destination.root / f.relative_path,)) for f in files]
    return CopyJob(
        tasks, [destination.root], CopyOptions(**options), destinations=[destination]
    ).run()


def test_rename_eio_mid_batch_fails_every_remaining_file_and_removes_partials(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Issue 11: the rename of the 3rd file of a batch fails with EIO (the destination is
    lost); the files after it in the batch had no outcome and kept their partials."""
    card = tmp_path / "cards" / "A001"
    make_sources(card, 8)
    fs = faulty_fs()
    plain = tmp_path / "RAID0"
    plain.mkdir()
    rule = fs.fail("rename", errno.EIO, path="*f*.bin", nth=3)
    report = offload(card, [plain, fs.mountpoint])
    assert fs.fired(rule) == 1
    assert report.job.destinations[1].lost
    for file in report.job.files:
        assert file.destination(0).status is DestinationStatus.VERIFIED  # type: ignore[union-attr]
        result = file.destination(1)
        assert result is not None and result.status is DestinationStatus.FAILED, file
        assert "no outcome recorded" not in (result.error or ""), result
    assert partials_under(fs.backing) == []
    # The two files published before the failing rename are reported failed: their ledger
    # must not vouch for them (it did: "verified", trusted by the next run).
    assert_ledger_agrees_with(report.job, 1, copy_root=fs.mountpoint / card.name)
    fs.remove(rule)
    again = offload(card, [plain, fs.mountpoint])
    assert again.exit_code == 0
    assert_nothing_failed_here_is_trusted(report.job, again.job, 1)


def assert_ledger_agrees_with(job: JobReport, index: int, *, copy_root: Path) -> None:
    """No file reported failed on destination *index* has an entry vouching for it in the
    ledger of the copy root *copy_root*, as a later run reads it."""
    entries = Ledger(copy_root).load()
    failed = [
        f.relative_path
        for f in job.files
        if f.destination(index).status is DestinationStatus.FAILED  # type: ignore[union-attr]
    ]
    assert failed
    vouched = [
        path
        for path in failed
        if path in entries and entries[path].state in ("verified", "transfer_checked")
    ]
    assert vouched == [], f"reported failed, yet the ledger vouches for {vouched}"


def assert_nothing_failed_here_is_trusted(first: JobReport, again: JobReport, index: int) -> None:
    """The re-run proves again (reads back or copies) every file the first run reported
    failed on destination *index*: none is trusted from the ledger."""
    failed = {
        f.relative_path
        for f in first.files
        if f.destination(index).status is DestinationStatus.FAILED  # type: ignore[union-attr]
    }
    for file in again.files:
        if file.relative_path not in failed:
            continue
        result = file.destination(index)
        assert result is not None and result.status is DestinationStatus.VERIFIED, result
        assert result.action is not CopyAction.TRUSTED, result


def test_a_folder_fsync_that_fails_leaves_no_verified_entry_for_the_files_it_failed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """QA (a drive unplugged mid-copy): the batch was recorded verified in the ledger,
    published, then the folder fsync failed (the drive gone): every file was reported
    FAILED "not completed", yet the ledger kept a "verified" entry for each, and the re-run
    trusted them ("verified earlier (not re-read)") and a new ASC MHL generation recorded
    them. An entry is now written only once the names it vouches for are durable."""
    card = tmp_path / "cards" / "A001R1AB"
    make_sources(card / "CLIPS", 3)
    make_sources(card / "SEQ" / "shot010", 5, prefix="frame")
    fs = faulty_fs()
    plain = tmp_path / "R1"
    plain.mkdir()
    rule = fs.fail("fsyncdir", errno.EIO, path="A001R1AB/SEQ/shot010")
    report = offload(card, [plain, fs.mountpoint])
    assert fs.fired(rule) >= 1
    assert report.exit_code != 0 and report.job.destinations[1].lost
    copy_root = fs.mountpoint / card.name
    for file in report.job.files:
        assert file.destination(0).status is DestinationStatus.VERIFIED  # type: ignore[union-attr]
        result = file.destination(1)
        assert result is not None and result.status is DestinationStatus.FAILED, result
        # The renames happened (the folder fsync failed after them): what a drive plugged
        # back in may well show, at the final names.
        assert (copy_root / file.relative_path).exists()
    assert_ledger_agrees_with(report.job, 1, copy_root=copy_root)
    fs.remove(rule)
    again = offload(card, [plain, fs.mountpoint])
    assert again.exit_code == 0, [f.destination(1) for f in again.job.files]
    assert_nothing_failed_here_is_trusted(report.job, again.job, 1)
    for file in again.job.files:
        assert file.destination(1).action is CopyAction.ADOPTED  # type: ignore[union-attr]


def test_a_file_failed_by_another_files_write_says_why_it_was_not_completed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """QA: "…/A001C002_big.mov not completed: cannot write …/A002C001.mov" read as if this
    file's own write had failed. Each file the loss took says why it was not completed (or
    not copied): the destination failed, and what failed there."""
    card = tmp_path / "cards" / "A001"
    make_sources(card, 8)
    # A file whose path the failing file's path starts with (a clip and its sidecar,
    # A001.MOV and A001.MOV.xmp): review found it given the other file's error as its own.
    (card / "f3").write_bytes(os.urandom(50_000))
    fs = faulty_fs()
    plain = tmp_path / "RAID"
    plain.mkdir()
    rule = fs.fail("write", errno.ENOSPC, path="A001/.offload-partial.*f3.bin")
    report = offload(card, [plain, fs.mountpoint])
    assert fs.fired(rule) >= 1
    assert report.job.destinations[1].lost
    culprit = str(fs.mountpoint / card.name)
    others = 0
    for file in report.job.files:
        result = file.destination(1)
        assert result is not None and result.status is DestinationStatus.FAILED, result
        error = result.error or ""
        if file.relative_path == "f3.bin":  # the file whose write failed: its own words
            assert error.startswith(f"cannot write {culprit}/f3.bin"), error
            continue
        others += 1
        assert (
            f"{result.final_path} not completed: the destination failed (cannot write " in error
            or f"{result.final_path} not copied: the destination failed (cannot write " in error
        ), error
        assert f"(cannot write {culprit}/f3.bin on destination" in error, error
    assert others == 8


def ops_of(fs: FaultyFS, *names: str) -> list[str]:
    return [r.op for r in fs.oplog() if r.op in names]


def test_batch_sync_switch_decides_fsyncs_per_file(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    fs = faulty_fs()
    files = make_sources(tmp_path / "src", 6)
    probed = probe_features(fs.mountpoint)
    assert not probed.durable_batch  # FUSE: syncfs is not trusted to report errors
    fs.oplog(clear=True)
    report = copy_through(LocalDestination(fs.mountpoint), files)
    assert report.exit_code == 0
    assert ops_of(fs, "fsync").count("fsync") >= 6  # one a file
    trusting = dataclasses.replace(probed, durable_batch=True)
    more = make_sources(tmp_path / "src2", 6, prefix="g")
    fs.oplog(clear=True)
    report = copy_through(LocalDestination(fs.mountpoint, features=trusting), more)
    assert report.exit_code == 0
    assert ops_of(fs, "fsync") == []  # one syncfs stood for the batch


@pytest.mark.parametrize(
    ("off", "expected"),
    [
        ({}, ["rename"]),
        ({"atomic_noreplace": False}, ["link", "unlink"]),
        ({"atomic_noreplace": False, "hard_links": False}, ["rename"]),
    ],
    ids=["renameat2", "link-unlink", "check-then-rename"],
)
def test_publish_path_follows_the_features(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    off: dict[str, bool],
    expected: list[str],
) -> None:
    fs = faulty_fs()
    features = dataclasses.replace(probe_features(fs.mountpoint), **off)
    files = make_sources(tmp_path / "src", 1)
    fs.oplog(clear=True)
    report = copy_through(LocalDestination(fs.mountpoint, features=features), files)
    assert report.exit_code == 0
    assert ops_of(fs, "rename", "link", "unlink") == expected
    assert (fs.mountpoint / "f0.bin").read_bytes() == files[0].path.read_bytes()


def test_folder_sync_switch(tmp_path: Path, faulty_fs: Callable[..., FaultyFS]) -> None:
    fs = faulty_fs()
    files = make_sources(tmp_path / "src", 2)
    fs.oplog(clear=True)
    copy_through(LocalDestination(fs.mountpoint), files[:1])
    assert "fsyncdir" in ops_of(fs, "fsyncdir")
    features = dataclasses.replace(probe_features(fs.mountpoint), folder_sync=False)
    fs.oplog(clear=True)
    copy_through(LocalDestination(fs.mountpoint, features=features), files[1:])
    assert ops_of(fs, "fsyncdir") == []


def test_unchanged_folders_are_fsynced_once_and_every_published_name_survives_a_power_cut(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Each batch fsyncs the folders its files were published in, and a folder above them
    only while it may hold a name not yet durable (the first batch; a new clip folder's
    parent): it fsynced every folder up to the destination every batch, each an extra cache
    flush of the disk on ext4. After a power cut every file reported verified is there."""
    card = tmp_path / "src"
    files = []
    for clip in ("100MEDIA", "101MEDIA"):
        for source in make_sources(card / "DCIM" / clip, 6, prefix=clip):
            relative = f"CARD/DCIM/{clip}/{source.relative_path}"
            files.append(SourceFile(source.path, relative, source.size_bytes, source.mtime_ns))
    fs = faulty_fs()
    destination = LocalDestination(fs.mountpoint)
    tasks = [FileTask(f, (destination.root / f.relative_path,)) for f in files]
    fs.oplog(clear=True)
    report = CopyJob(
        tasks, [destination.root], CopyOptions(batch_files=3), destinations=[destination]
    ).run()
    assert report.exit_code == 0
    synced = [r.path for r in fs.oplog() if r.op == "fsyncdir"]
    assert synced.count("CARD/DCIM/100MEDIA") == 2  # its two batches
    assert synced.count("CARD/DCIM/101MEDIA") == 2
    assert synced.count("CARD/DCIM") == 2  # 100MEDIA, then 101MEDIA appeared in it
    assert synced.count("CARD") == 1
    assert synced.count("") == 1  # the destination's root
    fs.power_cut()
    for source in files:
        assert (fs.mountpoint / source.relative_path).read_bytes() == source.path.read_bytes()


@pytest.mark.parametrize("where", ["fsync", "short-write"])
def test_a_ledger_append_that_fails_leaves_no_line_for_the_files_it_failed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], where: str
) -> None:
    """Review: the ledger's append failed after its lines reached the file (its fsync
    refused; or the write cut short, as a full disk does, then refused): the run reported
    every file of the batch FAILED, yet the lines written stayed, and the next run trusted
    those copies ("verified earlier", dated in the run that called them failed). The append
    now takes back what it wrote before raising. Failed before: lines left."""
    card = tmp_path / "cards" / "A001"
    make_sources(card, 8)
    fs = faulty_fs()
    if where == "fsync":
        rule = fs.fail("fsync", errno.EIO, path="A001/.offload/ledger.jsonl")
    else:
        # The first append's write stores 100 bytes (part of its first line), its next fails.
        rule = fs.fail("write", errno.ENOSPC, path="A001/.offload/ledger.jsonl", offset=100)
    report = offload(card, [fs.mountpoint])
    assert fs.fired(rule) >= 1
    failed = {
        f.relative_path
        for f in report.job.files
        if (r := f.destination(0)) is not None and r.status is DestinationStatus.FAILED
    }
    assert failed, "the ledger's failure failed the batch"
    fs.clear()
    ledger = fs.mountpoint / card.name / ".offload" / "ledger.jsonl"
    kept = ledger.read_text() if ledger.exists() else ""
    for relative in failed:
        assert f'"relative_path": "{relative}"' not in kept, (relative, kept)
    # A re-run trusts none of them: each is read back (adopted) or copied again.
    again = offload(card, [fs.mountpoint])
    assert again.exit_code == 0
    for file in again.job.files:
        if file.relative_path in failed:
            result = file.destination(0)
            assert result is not None and result.action is not CopyAction.TRUSTED, result


def _flush_stage_run(
    tmp_path: Path, fs: FaultyFS, during_read_back: Callable[[], bool]
) -> tuple[JobReport, list[SourceFile], list[bool]]:
    """30 files in batches of 10, full mode, to a plain folder (0) and *fs* (1). Destination
    1's committer calls *during_read_back* as it starts reading batch 1 back (while its
    flush thread makes batch 2 durable), and what it says is returned. The job runs on a
    thread: one still going after a minute is a hang, and the test fails."""
    sources = make_sources(tmp_path / "card", 30, prefix="f0")
    plain = tmp_path / "plain"
    plain.mkdir()
    roots = [plain, fs.mountpoint]
    said: list[bool] = []

    class Sink:
        def emit(self, event: Event) -> None:
            if (
                isinstance(event, PhaseChanged)
                and event.destination_index == 1
                and event.phase == "verify"
                and not said
            ):
                said.append(during_read_back())

    tasks = [FileTask(f, tuple(root / "A001" / f.relative_path for root in roots)) for f in sources]
    options = CopyOptions(batch_files=10, verify=VerifyMode.FULL)
    reports: list[JobReport] = []
    job = CopyJob(tasks, roots, options, sink=Sink())
    runner = threading.Thread(target=lambda: reports.append(job.run()), daemon=True)
    runner.start()
    runner.join(60)
    assert not runner.is_alive(), "the job hung"
    return reports[0], sources, said


def _assert_lost_alone(report: JobReport, copies: Path) -> None:
    """Destination 1 lost, every file failed there and no copy of it under a final name;
    destination 0 verified whole."""
    assert report.exit_code == 1
    assert report.destinations[1].lost
    for file in report.files:
        assert file.destination(0).status is DestinationStatus.VERIFIED  # type: ignore[union-attr]
        there = file.destination(1)
        assert there is not None and there.status is DestinationStatus.FAILED, there
        assert "internal error" not in (there.error or ""), there
    finals = [
        name
        for folder, _dirs, names in os.walk(copies)
        for name in names
        if not name.startswith(".offload-partial.") and ".offload" not in Path(folder).parts
    ]
    assert finals == []


def test_an_fsync_that_fails_in_the_flush_stage_loses_that_destination_alone(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Full mode, pipelined committer: batch 2's fsync fails with EIO in destination 1's
    flush thread (held until its committer starts reading batch 1 back, then let fail).
    That destination is lost alone: batch 1, durable but not yet read back, is not
    published (nothing is called good on a drive that failed), batch 2 is never called
    durable (fsyncgate: not retried), batch 3 is not written; no partial is left;
    destination 0 has every file verified; the run ends, exit 1."""
    fs = faulty_fs()
    stall = fs.stall("fsync", path="*.f015.bin", then_errno=errno.EIO)

    def fail_the_next_batchs_fsync() -> bool:
        try:
            fs.wait_stalled(stall, timeout_s=10)
        except TimeoutError:  # batch 2 is not being made durable now: said False
            return False
        fs.release(stall)
        fs.wait_fired(stall)
        return True

    report, _sources, said = _flush_stage_run(tmp_path, fs, fail_the_next_batchs_fsync)
    assert fs.fired(stall) == 1
    assert said == [True], "the fsync did not fail while batch 1 waited to be read back"
    assert "EIO" in (report.destinations[1].lost_reason or "")
    _assert_lost_alone(report, fs.backing / "A001")
    assert partials_under(fs.backing) == []


def test_a_destination_gone_during_the_flush_stage_is_lost_alone(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The drive is pulled out (every operation EIO from then on) while destination 1's
    flush thread is in batch 2's fsync and its committer starts reading batch 1 back: the
    destination is lost alone, nothing there is called good or put under a final name,
    destination 0 is verified whole, the run ends (exit 1) instead of waiting on it."""
    fs = faulty_fs()
    stall = fs.stall("fsync", path="*.f015.bin")

    def pull_the_drive() -> bool:
        fs.wait_stalled(stall, timeout_s=10)
        fs.unplug()
        fs.release(stall)
        return True

    report, _sources, said = _flush_stage_run(tmp_path, fs, pull_the_drive)
    assert said == [True]
    fs.replug()
    _assert_lost_alone(report, fs.backing / "A001")
