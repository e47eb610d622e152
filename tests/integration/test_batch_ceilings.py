"""Where a destination's batch closes: at ``batch_files`` files, the byte ceiling, or
``batch_seconds`` after its first file, whichever comes first (``engine.writer``)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.errors import ExitCode
from offload.events import Event, FileStarted, FileVerified, SourceBytesRead
from offload.model import SourceFile
from offload.options import CopyOptions, VerifyMode

MIB = 1024 * 1024


def _card(root: Path, sizes: list[int]) -> list[SourceFile]:
    files = []
    for n, size in enumerate(sizes):
        path = root / "card" / "DCIM" / f"C{n:04d}.MP4"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
        st = path.stat()
        files.append(SourceFile(path, f"DCIM/{path.name}", st.st_size, st.st_mtime_ns))
    return files


def _stalled_run(tmp_path: Path, batch_seconds: float, stall: float) -> tuple[bool, ExitCode]:
    """Five small files, then a large one whose read stalls (the sink holds the reader at
    the large file's first chunk) until the small files are reported transfer-checked, or
    *stall* seconds. Returns whether they were reported during the stall, and the job's
    exit code."""
    files = _card(tmp_path, [3_000] * 5 + [3 * MIB])
    small = {f.relative_path for f in files[:5]}
    large = files[5].relative_path
    destination = tmp_path / "dest"
    destination.mkdir()
    reported: set[str] = set()
    all_reported = threading.Event()
    in_large = threading.Event()
    seen_during_stall: list[bool] = []
    lock = threading.Lock()

    class Sink:
        def emit(self, event: Event) -> None:
            if isinstance(event, FileVerified):
                with lock:
                    reported.add(event.relative_path)
                    if small <= reported:
                        all_reported.set()
            elif isinstance(event, FileStarted) and event.relative_path == large:
                in_large.set()
            elif isinstance(event, SourceBytesRead) and in_large.is_set() and not seen_during_stall:
                # The reader thread, inside the large file: the small files were handed to
                # the writer before it (the order of the card); nothing more ends there now.
                seen_during_stall.append(all_reported.wait(stall))

    tasks = [FileTask(f, (destination / f.relative_path,)) for f in files]
    options = CopyOptions(
        verify=VerifyMode.TRANSFER,
        chunk_size=MIB,
        batch_files=1000,
        batch_seconds=batch_seconds,
    )
    report = CopyJob(tasks, [destination], options, sink=Sink()).run()
    assert seen_during_stall, "the large file's read was never seen"
    return seen_during_stall[0], report.exit_code


def test_an_open_batch_is_handed_on_at_its_time_ceiling_while_nothing_else_ends(
    tmp_path: Path,
) -> None:
    """Small files written, then the card stalls inside a large file: their batch (far
    below its file and byte ceilings) is made durable and reported within its time ceiling,
    not held until more files end. Failed before: a batch closed only at its files or bytes
    (or the card's end), so the small files waited out the whole stall."""
    during_stall, code = _stalled_run(tmp_path, batch_seconds=0.2, stall=20.0)
    assert code is ExitCode.OK
    assert during_stall


def test_a_batch_below_every_ceiling_waits_for_more_files(tmp_path: Path) -> None:
    """The control: with a time ceiling longer than the stall, the small files are not
    reported during it (the test above sees the ceiling, not some other hand-off). A
    ceiling past what a lock can wait (``threading.TIMEOUT_MAX``) is waited up to that:
    it raised OverflowError in the writer before, the destination lost."""
    during_stall, code = _stalled_run(tmp_path, batch_seconds=1e12, stall=2.0)
    assert code is ExitCode.OK
    assert not during_stall


def test_a_batch_closes_at_its_time_ceiling_as_files_end(tmp_path: Path) -> None:
    """Files that keep ending but slowly: a batch closes once the ceiling has passed since
    its first file, so files are reported before the card's last file is read (not one
    batch at the card's end). The last file's start waits (up to 20 s, a loaded machine's
    syncfs) for the first report, so the test does not race the committer."""
    files = _card(tmp_path, [MIB + MIB // 2] * 12)  # each streamed: messages of its own
    last = files[-1].relative_path
    destination = tmp_path / "dest"
    destination.mkdir()
    batches: list[int] = []
    started: list[str] = []
    first_reported = threading.Event()

    class Sink:
        def emit(self, event: Event) -> None:
            if isinstance(event, FileStarted):
                started.append(event.relative_path)
                # Every file takes ~0.1 s to start reading.
                threading.Event().wait(0.1)
                if event.relative_path == last:
                    first_reported.wait(20.0)
            elif isinstance(event, FileVerified):
                batches.append(len(started))
                first_reported.set()

    tasks = [FileTask(f, (destination / f.relative_path,)) for f in files]
    options = CopyOptions(
        verify=VerifyMode.TRANSFER, chunk_size=MIB, batch_files=1000, batch_seconds=0.25
    )
    report = CopyJob(tasks, [destination], options, sink=Sink()).run()
    assert report.exit_code is ExitCode.OK
    assert len(batches) == 12
    # Files were reported before the last one was read: not one batch at the card's end.
    assert batches[0] < 12
