"""The copy engine's buffer pool at the job's end: a buffer that did not come back, came
back twice or is still viewed is a bug, named as the job's warning, never a crash that loses
the job's results (``ChunkPool.close``)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from offload.engine import writer as writer_module
from offload.engine.buffers import ChunkPool
from offload.engine.cancel import CancelToken
from offload.engine.committer import DestinationCommitter
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.engine.state import DestinationState
from offload.errors import ExitCode
from offload.events import Event, NullSink, WarningIssued
from offload.options import CopyOptions, VerifyMode
from offload.results import DestinationStatus, JobReport
from support.cards import write_source_files
from support.memory_destination import MemoryDestination


def test_a_pool_whose_buffers_all_came_back_closes_quietly() -> None:
    pool = ChunkPool(count=3, chunk_size=4096)
    chunk = pool.acquire(CancelToken())
    chunk.hand_out(2)
    chunk.release()
    chunk.release()
    assert pool.close() is None


def test_a_buffer_kept_viewed_or_given_back_twice_is_named_not_raised() -> None:
    """One buffer kept by its consumer (never released) and viewed, one given back twice:
    ``close`` frees what it can and says what was wrong (it raised ``BufferError`` at the
    view, and said nothing of the others)."""
    pool = ChunkPool(count=4, chunk_size=4096)
    cancel = CancelToken()
    kept = pool.acquire(cancel)
    kept.hand_out(1)
    kept.length = 3
    view = kept.data  # a consumer's view, outliving the job
    view[:] = b"abc"
    twice = pool.acquire(cancel)
    twice.hand_out(1)
    twice.release()
    pool.give_back(twice)  # one release too many
    words = pool.close()
    assert words is not None
    assert "of its 4 buffers of 4 KiB" in words
    assert "1 did not come back" in words
    assert "1 came back twice" in words
    assert bytes(view) == b"abc"  # its memory was not freed under it
    view.release()


class _Warnings(NullSink):
    accepts: frozenset[type[Event]] = frozenset({WarningIssued})

    def __init__(self) -> None:
        self.messages: list[str] = []

    def emit(self, event: Event) -> None:
        if isinstance(event, WarningIssued):
            self.messages.append(event.message)


def test_a_backend_that_keeps_a_buffer_is_a_warning_of_the_job(tmp_path: Path) -> None:
    """A destination backend keeps a view of the buffers it was given: the job ends with its
    results (every file copied and read back) and names the leak in its warnings and as a
    ``WarningIssued`` (it raised ``BufferError`` from ``CopyJob.run``: no report)."""
    files = write_source_files(tmp_path, {f"{n:03d}.JPG": 1000 + n for n in range(20)})
    root = Path("/memory/keeping")
    destination = MemoryDestination(root)
    destination.keep_views()
    tasks = [FileTask(f, (str(root / f.relative_path),)) for f in files]
    sink = _Warnings()
    report = CopyJob(
        tasks,
        [root],
        CopyOptions(verify=VerifyMode.FULL),
        sink=sink,
        destinations=[destination],
    ).run()
    assert report.exit_code is ExitCode.OK
    assert {d.status for r in report.files for d in r.destinations} == {DestinationStatus.VERIFIED}
    for source in files:
        assert destination.read(root / source.relative_path) == Path(source.path_text).read_bytes()
    leaks = [w for w in report.warnings if "buffer accounting is off" in w]
    assert leaks and "still in use" in leaks[0], report.warnings
    assert sink.messages == leaks


def _run_within(job: CopyJob, seconds: float) -> JobReport:
    """*job*'s report, or a test failure (not a hang) if it has not ended within *seconds*."""
    outcome: list[JobReport | BaseException] = []

    def body() -> None:
        try:
            outcome.append(job.run())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=body, name="job-under-test", daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the job did not end within {seconds} s (a buffer leaked?)"
    [result] = outcome
    if isinstance(result, BaseException):
        raise result
    return result


def test_a_writer_whose_committer_cannot_start_loses_its_destination_not_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first destination's committer cannot start (``can't start new thread``, raised
    once by the writer's own call): that destination is lost, each of its files failed
    naming why, the other gets every file verified, and every buffer of the pool comes
    back (no warning). Failed before: the writer thread ended before it took a message, so
    the chunks queued to it were never released; once the pool's 4 buffers were out the
    reader waited for one forever (the job hung)."""
    files = write_source_files(tmp_path, {f"C{n:03d}.MOV": 300_000 for n in range(12)})
    roots = [tmp_path / "RAID", tmp_path / "SHUTTLE"]
    for root in roots:
        root.mkdir()
    real = writer_module.DestinationCommitter
    refused: list[int] = []

    def committer_once(state: DestinationState) -> DestinationCommitter:
        if not refused:
            refused.append(state.index)
            raise RuntimeError("can't start new thread")
        return real(state)

    monkeypatch.setattr(writer_module, "DestinationCommitter", committer_once)
    tasks = [FileTask(f, tuple(str(root / f.relative_path) for root in roots)) for f in files]
    options = CopyOptions(verify=VerifyMode.FULL, chunk_size=65_536, queue_depth=2)
    report = _run_within(CopyJob(tasks, roots, options), 60)

    assert refused == [0]
    assert report.exit_code is ExitCode.PARTIAL, report
    lost, kept = report.destinations
    assert lost.lost and "can't start new thread" in (lost.lost_reason or ""), lost
    assert (lost.files_failed, kept.files_verified) == (12, 12), report.destinations
    for result in report.files:
        failed, verified = result.destinations
        assert failed.status is DestinationStatus.FAILED and failed.error, failed
        assert verified.status is DestinationStatus.VERIFIED, verified
    for source in files:
        copy = roots[1] / source.relative_path
        assert copy.read_bytes() == Path(source.path_text).read_bytes()
        assert not (roots[0] / source.relative_path).exists()
    assert not [w for w in report.warnings if "buffer accounting" in w], report.warnings
