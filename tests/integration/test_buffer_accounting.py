"""The copy engine's buffer pool at the job's end: a buffer that did not come back, came
back twice or is still viewed is a bug, named as the job's warning, never a crash that loses
the job's results (``ChunkPool.close``)."""

from __future__ import annotations

from pathlib import Path

from offload.engine.buffers import ChunkPool
from offload.engine.cancel import CancelToken
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.errors import ExitCode
from offload.events import Event, NullSink, WarningIssued
from offload.options import CopyOptions, VerifyMode
from offload.results import DestinationStatus
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
