"""The batch's "flush" phase and what it releases: the command's imports for its end run
during the batch's ``syncfs``, never against the batch's own system calls (docs/performance.md,
"Fixed cost: fourteenth pass"); and how many batches (flushes) a mode makes of a card's frames
("The image sequence's batches: seventeenth pass")."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from offload.cli.offload import _ReportModulesLoader
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.errors import ExitCode
from offload.events import Event, JobFinished, PhaseChanged
from offload.model import SourceFile
from offload.options import CopyOptions, VerifyMode
from offload.results import DestinationStatus, JobReport

MIB = 1024 * 1024
# A source time no copy can have by chance: 2001-09-09.
PAST_NS = 1_000_000_000 * 1_000_000_000 + 123_456_789


def _card(root: Path, count: int) -> list[SourceFile]:
    files = []
    for n in range(count):
        path = root / "card" / "DCIM" / f"C{n:04d}.MP4"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(3_000 + n))
        os.utime(path, ns=(PAST_NS, PAST_NS))
        st = path.stat()
        files.append(SourceFile(path, f"DCIM/{path.name}", st.st_size, st.st_mtime_ns))
    return files


def test_a_batch_announces_its_flush_once_every_file_has_its_source_time(tmp_path: Path) -> None:
    """When a committer says "flush" (which releases the command's imports for its end),
    the batch's partials on the real destination already carry their sources' times: the
    one system call a file it makes before its ``syncfs`` is done, so the imports overlap
    the flush alone. Failed before: "flush" came first, every partial still had the time it
    was written at."""
    files = _card(tmp_path, 30)
    destination = tmp_path / "dest"
    destination.mkdir()
    seen: list[dict[str, int]] = []  # at each "flush": the partials' times by final name

    class Sink:
        def emit(self, event: Event) -> None:
            if isinstance(event, PhaseChanged) and event.phase == "flush":
                seen.append(
                    {
                        name.rsplit(".", 2)[-2] + ".MP4": os.stat(
                            os.path.join(folder, name)
                        ).st_mtime_ns
                        for folder, _dirs, names in os.walk(destination)
                        for name in names
                        if name.startswith(".offload-partial.")
                    }
                )

    tasks = [FileTask(f, (destination / "copy" / f.relative_path,)) for f in files]
    report = CopyJob(
        tasks, [destination], CopyOptions(chunk_size=MIB, batch_files=10), sink=Sink()
    ).run()
    assert report.exit_code is ExitCode.OK
    assert len(seen) == 3  # batches of 10
    for number, times in enumerate(seen):
        # The batch's own files (the writer may already be writing the next batch's).
        batch = [f.path.name for f in files[number * 10 : number * 10 + 10]]
        assert [times.get(name) for name in batch] == [PAST_NS] * 10, number
    for f in files:
        assert (destination / "copy" / f.relative_path).stat().st_mtime_ns == PAST_NS


def test_the_loader_releases_its_imports_without_starting_a_thread() -> None:
    """The loader's thread is made with it, parked: the committer that sends "flush" only
    sets an event (before: it started the thread there and waited for it to run, on the
    batch's critical path)."""
    loader = _ReportModulesLoader(summary=False)
    try:
        assert loader.imports.thread.is_alive() and not loader.imports.released
        before = threading.active_count()
        loader.emit(PhaseChanged(0, "a", "flush"))
        assert threading.active_count() <= before
        assert loader.imports.released
        loader.imports.thread.join(60)
        assert "offload.manifests_writer" in sys.modules
        loader.emit(JobFinished(0, False))  # a second release does nothing
    finally:
        loader.close()


def test_a_loader_closed_before_its_release_imports_nothing_and_ends() -> None:
    """A run that ends before its first flush (a lock refused, an error) closes the loader:
    its thread ends without loading anything, and a release after that loads nothing
    either (a fresh process: nothing loaded before)."""
    script = (
        "import sys\n"
        "from offload.cli.offload import _ReportModulesLoader\n"
        "from offload.events import JobFinished\n"
        "loader = _ReportModulesLoader(summary=True)\n"
        "loader.close()\n"
        "loader.imports.thread.join(60)\n"
        "loader.emit(JobFinished(0, False))  # too late: closed\n"
        "print(loader.imports.thread.is_alive(), loader.imports.released)\n"
        "print(sorted({'offload.manifests_writer', 'offload.report.job_report', 'rich.console'}"
        " & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.stdout.split("\n")[:2] == ["False False", "[]"], done.stderr


def _frames(root: Path, count: int, size: int) -> list[SourceFile]:
    folder = root / "card" / "A004C001"
    folder.mkdir(parents=True)
    frame = os.urandom(size)
    files = []
    for n in range(count):
        path = folder / f"A004C001.{n:07d}.dpx"
        path.write_bytes(frame[n:] + frame[:n])  # each frame its own bytes
        st = path.stat()
        files.append(SourceFile(path, f"A004C001/{path.name}", st.st_size, st.st_mtime_ns))
    return files


def _batches(files: list[SourceFile], destination: Path, verify: VerifyMode) -> int:
    """How many batches the destination made (its committer says "flush" once a batch), its
    batches closed by their byte ceilings alone: the time ceiling is set out of reach (on a
    loaded machine one second can pass while frames are still read, closing a batch early)."""
    flushes: list[str] = []

    class Sink:
        def emit(self, event: Event) -> None:
            if isinstance(event, PhaseChanged) and event.phase == "flush":
                flushes.append(event.relative_path)

    destination.mkdir()
    tasks = [FileTask(f, (destination / f.relative_path,)) for f in files]
    report = CopyJob(
        tasks, [destination], CopyOptions(verify=verify, batch_seconds=3600.0), sink=Sink()
    ).run()
    assert report.exit_code is ExitCode.OK
    for f in files:
        assert (destination / f.relative_path).read_bytes() == f.path.read_bytes()
    return len(flushes)


def test_transfer_mode_makes_frames_durable_in_fewer_larger_batches(tmp_path: Path) -> None:
    """Transfer mode reads nothing back, so a batch of frames closes at 256 MiB: twenty 4 MB
    frames are one batch (one syncfs, one folder fsync, one ledger fsync a destination),
    where copies read back (full mode) still close theirs at 64 MiB: two. Failed before:
    transfer mode closed at 64 MiB too (two batches; 300 frames made 18 a destination)."""
    files = _frames(tmp_path, 20, 4_000_000)
    assert _batches(files, tmp_path / "transfer", VerifyMode.TRANSFER) == 1
    assert _batches(files, tmp_path / "full", VerifyMode.FULL) == 2


def test_a_transfer_batch_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch limits must be positive"):
        CopyOptions(transfer_batch_bytes=0)
    assert CopyOptions(verify=VerifyMode.TRANSFER).closing_batch_bytes == 256 * MIB
    assert CopyOptions(verify=VerifyMode.FULL).closing_batch_bytes == 64 * MIB


def _run_bounded(job: CopyJob) -> JobReport:
    """Run *job* on a thread; a run still going after a minute is a hang: the test fails
    (the stuck thread is left behind, the test run goes on)."""
    reports: list[JobReport] = []
    runner = threading.Thread(target=lambda: reports.append(job.run()), daemon=True)
    runner.start()
    runner.join(60)
    assert not runner.is_alive(), "the job hung"
    return reports[0]


def test_a_bug_while_a_batch_is_made_durable_loses_that_destination_alone(
    tmp_path: Path,
) -> None:
    """Something raises while destination 1's committer makes batch 2 durable (here its
    progress subscriber, on that batch's "flush"): that destination is lost, every file it
    had not committed fails there and leaves no partial (batch 1, committed before, stays
    verified), destination 0 is verified whole, the run ends (exit 1) instead of hanging."""
    files = _card(tmp_path, 30)
    roots = [tmp_path / "d0", tmp_path / "d1"]
    for root in roots:
        root.mkdir()

    class Sink:
        def emit(self, event: Event) -> None:
            if (
                isinstance(event, PhaseChanged)
                and event.phase == "flush"
                and event.destination_index == 1
                and event.relative_path == files[10].relative_path
            ):
                raise RuntimeError("a bug while making a batch durable")

    tasks = [FileTask(f, tuple(root / f.relative_path for root in roots)) for f in files]
    options = CopyOptions(chunk_size=MIB, batch_files=10, verify=VerifyMode.FULL)
    report = _run_bounded(CopyJob(tasks, roots, options, sink=Sink()))
    assert report.exit_code is ExitCode.PARTIAL
    lost = report.destinations[1]
    assert lost.lost and "a bug while making a batch durable" in (lost.lost_reason or "")
    for number, f in enumerate(report.files):
        assert f.destination(0).status is DestinationStatus.VERIFIED  # type: ignore[union-attr]
        there = f.destination(1)
        assert there is not None
        # Batch 1 was published and recorded before batch 2 was taken: it stays verified.
        good = number < 10
        assert there.status is (DestinationStatus.VERIFIED if good else DestinationStatus.FAILED)
        assert (roots[1] / f.relative_path).exists() is good, there
    partials = [n for _f, _d, names in os.walk(roots[1]) for n in names if n.startswith(".off")]
    assert partials == []
