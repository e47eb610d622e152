"""A card of small files written inline: the reader's thread creates and writes every
destination's partials itself (``DestinationWriter.inline``, chosen by
``engine.job.writes_inline``), with no hand-off to a writer thread; the committers stay
threads of their own. Real files, real destinations.

What must not change is what the engine promises of each file: one destination's failure
(here a bug in its writer) never sinks the others, nothing half-written is left under any
name, and a card with a file too large for a small buffer keeps the writer threads.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from offload.destinations.local import LocalDestination
from offload.engine import job as job_module
from offload.engine.job import SMALL_CHUNK_SIZE, CopyJob, writes_inline
from offload.engine.messages import FileTask, WholeFiles
from offload.engine.partial import PARTIAL_PREFIX
from offload.engine.writer import DestinationWriter
from offload.errors import ExitCode
from offload.options import CopyOptions, VerifyMode
from offload.results import DestinationStatus
from support.cards import write_source_files
from support.requirements import require_tool

_CREATED = re.compile(r'openat\([^"]*"[^"]*/(\.offload-partial\.[^"/]*)"[^)]*O_EXCL')


def _card_reads_and_creates(tmp_path: Path, sizes: dict[str, int]) -> list[tuple[int, int]]:
    """``offload copy --verify transfer`` of a card of *sizes* to two destinations under
    ``strace -ff`` of ``openat``: for each thread that created a partial, how many card
    files it opened for reading and how many partials it created (other threads open card
    files too: the scan, the reports' look at clips)."""
    strace = require_tool("strace")
    write_source_files(tmp_path, sizes)
    dests = [tmp_path / "d1", tmp_path / "d2"]
    for dest in dests:
        dest.mkdir()
    trace = tmp_path / "trace"
    command = [sys.executable, "-m", "offload", "copy", "--quiet", "--verify", "transfer"]
    command += ["--report-dir", str(tmp_path / "reports"), str(tmp_path / "card")]
    command += [str(dest) for dest in dests]
    subprocess.run(
        [strace, "-ff", "-qq", "-e", "trace=openat", "-o", str(trace), *command],
        check=True,
        capture_output=True,
    )
    card = re.escape(str(tmp_path / "card")) + r"/CLIPS/C\d+\.MP4"
    reads = re.compile(rf'openat\([^"]*"{card}", O_RDONLY')
    threads = []
    for path in tmp_path.glob("trace.*"):
        text = path.read_text()
        counts = (len(reads.findall(text)), len(_CREATED.findall(text)))
        if counts[1]:
            threads.append(counts)
    for dest in dests:  # every copy made, no partial left
        for index in range(len(sizes)):
            copy = dest / "card" / "CLIPS" / f"C{index:04d}.MP4"
            assert copy.stat().st_size == sizes[f"CLIPS/C{index:04d}.MP4"]
    return threads


def test_a_card_of_small_files_is_written_by_the_thread_that_reads_it(tmp_path: Path) -> None:
    """Every partial (two destinations) is created by one thread, the one that read every
    card file. Before: each destination's writer thread created its partials, and read
    nothing."""
    sizes = {f"CLIPS/C{index:04d}.MP4": 10_000 for index in range(12)}
    assert _card_reads_and_creates(tmp_path, sizes) == [(12, 24)]


def test_a_card_with_a_file_too_large_for_a_small_buffer_keeps_its_writer_threads(
    tmp_path: Path,
) -> None:
    """One file of a small buffer's size: the card goes through the writer threads, one a
    destination, as before (the reader creates nothing)."""
    sizes = {f"CLIPS/C{index:04d}.MP4": 10_000 for index in range(6)}
    sizes["CLIPS/C0006.MP4"] = SMALL_CHUNK_SIZE
    assert _card_reads_and_creates(tmp_path, sizes) == [(0, 7), (0, 7)]


def test_which_cards_are_written_inline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small files only and local destinations only; a destination of another kind (an S3
    bucket's writes wait on the network) keeps the writer threads; the switch turns it off."""
    files = write_source_files(tmp_path, {"a": 10, "b": SMALL_CHUNK_SIZE - 1})
    (tmp_path / "dest").mkdir()
    tasks = [FileTask(f, (str(tmp_path / "dest" / f.relative_path),)) for f in files]
    local = LocalDestination(tmp_path / "dest")
    try:
        assert writes_inline(tasks, [local], SMALL_CHUNK_SIZE)
        assert not writes_inline(tasks, [local], SMALL_CHUNK_SIZE - 1)
        assert not writes_inline(tasks, [local, object()], SMALL_CHUNK_SIZE)  # type: ignore[list-item]
        monkeypatch.setattr(job_module, "INLINE_SMALL_CARDS", False)
        assert not writes_inline(tasks, [local], SMALL_CHUNK_SIZE)
    finally:
        local.close()


def test_a_bug_in_one_inline_writer_loses_that_destination_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug while destination 2's writer takes a pack (on the reader's thread): that
    destination is lost and every file fails there, its later packs are drained, not
    written; destinations 1 and 3 get every file, transfer-checked; the job ends, with no
    partial left anywhere and no buffer held."""
    sizes = {f"CLIPS/C{index:04d}.MP4": 3_000 + index for index in range(300)}
    files = write_source_files(tmp_path, sizes)
    dests = [tmp_path / f"d{index}" for index in range(3)]
    for dest in dests:
        dest.mkdir()
    tasks = [FileTask(f, tuple(str(d / f.relative_path) for d in dests)) for f in files]
    on_pack = DestinationWriter._on_pack
    threads: set[str] = set()

    def broken(self: DestinationWriter, message: WholeFiles) -> None:
        threads.add(threading.current_thread().name)
        if self.index == 1:
            raise RuntimeError("a bug in the writer")
        on_pack(self, message)

    monkeypatch.setattr(DestinationWriter, "_on_pack", broken)
    report = CopyJob(tasks, dests, CopyOptions(verify=VerifyMode.TRANSFER, batch_files=16)).run()
    assert threads == {"reader"}
    assert report.exit_code is not ExitCode.OK
    assert not report.warnings, report.warnings  # every pooled buffer came back
    for file in report.files:
        statuses = [file.destination(index).status for index in range(3)]  # type: ignore[union-attr]
        assert statuses == [
            DestinationStatus.TRANSFER_CHECKED,
            DestinationStatus.FAILED,
            DestinationStatus.TRANSFER_CHECKED,
        ]
    for index in (0, 2):
        for relative, size in sizes.items():
            assert (dests[index] / relative).stat().st_size == size
    assert not list((dests[1]).rglob("C*.MP4"))
    for dest in dests:
        assert not [
            n for _r, _d, names in os.walk(dest) for n in names if n.startswith(PARTIAL_PREFIX)
        ]
    assert report.destinations[1].lost
