"""``offload copy --progress-trace``: a real run's trace, read back and replayed, keeps the
progress model's promises (no timing thresholds: only the order and the ends of things)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from offload.bench.eta import main_job, replay, score
from offload.cli.common import Environment
from offload.cli.offload import main
from offload.errors import ExitCode
from offload.events import (
    FileVerified,
    JobFinished,
    JobStarted,
    OffloadFinished,
    OffloadFinishing,
)
from offload.progress_trace import read_trace


def _card(root: Path) -> Path:
    for index in range(20):
        path = root / "CLIPS" / f"C{index:03d}.MOV"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(3_000_000 if index % 5 == 0 else 40_000))
    return root


def _copy(args: list[str], tmp_path: Path) -> tuple[int, str]:
    err = io.StringIO()
    code = main(
        ["copy", "--quiet", "--report-dir", str(tmp_path / "reports"), *args],
        Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False),
    )
    return code, err.getvalue()


@pytest.mark.parametrize("verify", ["full", "transfer"])
def test_a_recorded_trace_keeps_the_progress_promises(tmp_path: Path, verify: str) -> None:
    card = _card(tmp_path / "A001")
    dests = [tmp_path / f"dest{i}" for i in range(2)]
    for dest in dests:
        dest.mkdir()
    trace_path = tmp_path / "trace.jsonl"
    code, err = _copy(
        ["--verify", verify, "--progress-trace", str(trace_path), str(card), *map(str, dests)],
        tmp_path,
    )
    assert code == 0, err
    trace = read_trace(trace_path)
    names = [type(event) for _t, event in trace.events]
    assert names.count(JobStarted) == 1
    assert names[-3:] == [JobFinished, OffloadFinishing, OffloadFinished]
    assert names.count(FileVerified) == 2 * 20
    times = [t for t, _event in trace.events]
    assert times == sorted(times)

    # What the live model showed: monotone, 1.0 only at the end, never 0:00 before it.
    shown = trace.snapshots
    fractions = [s["fraction"] for s in shown]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and shown[-1]["finished"]
    # 1.0 once the last job's work is done (its JobFinished); finished at OffloadFinished.
    job_end = next(t for t, event in trace.events if isinstance(event, JobFinished))
    assert all(f < 1.0 for s, f in zip(shown, fractions, strict=True) if s["t"] < job_end)
    assert all(s["eta_s"] is None or s["eta_s"] >= 1.0 for s in shown if s["fraction"] < 1.0)
    assert len(shown[-1]["destinations"]) == 2

    # Replayed on its own clock: the same promises at every poll, and a score.
    job = main_job(replay(trace))
    assert job is not None and job.end is not None
    polled = [p.fraction for p in job.polls]
    assert polled == sorted(polled) and polled[-1] == 1.0 and job.polls[-1].finished
    assert all(p.eta is None or p.eta >= 1.0 for p in job.polls if p.fraction < 1.0)
    result = score(job)
    assert result is not None and result.duration_s == job.end


def test_an_existing_trace_file_is_refused_before_anything_is_copied(tmp_path: Path) -> None:
    card = _card(tmp_path / "A001")
    dest = tmp_path / "dest"
    dest.mkdir()
    trace_path = tmp_path / "trace.jsonl"
    trace_path.write_text("a user's file\n")
    code, err = _copy(["--progress-trace", str(trace_path), str(card), str(dest)], tmp_path)
    assert code == ExitCode.USAGE
    assert f"--progress-trace {trace_path}: the file exists" in err
    assert trace_path.read_text() == "a user's file\n"
    assert not any(dest.iterdir())


def test_a_file_that_is_not_a_trace_is_named(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"event": "job_started"}\n')
    with pytest.raises(ValueError, match=r"events\.jsonl: not a progress trace"):
        read_trace(path)


def test_a_trace_written_before_a_field_was_added_is_read_with_its_default(
    tmp_path: Path,
) -> None:
    """``DestinationBytesWritten.taken`` (thirty-ninth pass) is not in a trace written before
    it: read as its default, never "not a progress trace line ('taken')" (failed before)."""
    from offload.events import DestinationBytesWritten
    from offload.progress_trace import TRACE_FORMAT, TRACE_VERSION

    path = tmp_path / "old.jsonl"
    header = {"trace": TRACE_FORMAT, "version": TRACE_VERSION, "started": 1.0}
    old = {"event": "destination_bytes_written", "t": 0.5, "destination_index": 0, "nbytes": 7}
    path.write_text(f"{json.dumps(header)}\n{json.dumps(old)}\n")
    (event,) = [e for _, e in read_trace(path).events]
    assert event == DestinationBytesWritten(0, 7, 0)


def test_a_trace_that_cannot_be_written_never_stops_the_events(tmp_path: Path) -> None:
    """A full disk (/dev/full answers every write with ENOSPC): the trace is abandoned, the
    subscriber never raises into the engine's threads."""
    from offload.events import SourceBytesRead
    from offload.progress import ProgressModel
    from offload.progress_trace import ProgressTraceWriter

    model = ProgressModel()
    writer = ProgressTraceWriter(open("/dev/full", "w", encoding="utf-8"), progress=model)  # noqa: SIM115
    model.emit(JobStarted(1, 10_000_000, ("/d",), "transfer", ("xxh64",)))
    for _ in range(5000):  # far more than the stream's buffer
        writer.emit(SourceBytesRead(2000))
    writer.emit(JobFinished(0, False))
    writer.close()


def test_no_snapshot_counts_a_file_before_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/json.md: the trace's lines are in the order of their ``t``, and a ``snapshot``
    shows what the progress showed then; so a snapshot never counts a copy (``files_done``)
    whose ``file_verified`` line comes after it. A real run of 200 files to two destinations,
    the trace's snapshot taken at every event (interval 0: the 0.25 s default makes the same
    race rarer, not impossible). Failed before: the model was fed by one subscriber and the
    trace written by the next, so a second thread's snapshot landed between the two: ~190
    snapshots a run ahead of their ``file_verified`` line."""
    from offload import progress_trace

    init = progress_trace.ProgressTraceWriter.__init__

    def every_event(self: Any, stream: Any, *, progress: Any, interval_s: float = 0.25) -> None:
        init(self, stream, progress=progress, interval_s=0.0)

    monkeypatch.setattr(progress_trace.ProgressTraceWriter, "__init__", every_event)
    card = tmp_path / "A001"
    (card / "C").mkdir(parents=True)
    for index in range(200):
        (card / "C" / f"f{index:03d}.bin").write_bytes(os.urandom(1000 + 97 * index))
    dests = [tmp_path / f"dest{i}" for i in range(2)]
    for dest in dests:
        dest.mkdir()
    trace_path = tmp_path / "trace.jsonl"
    code, err = _copy(["--progress-trace", str(trace_path), str(card), *map(str, dests)], tmp_path)
    assert code == 0, err
    outcomes = [0, 0]
    ahead = []
    snapshots = 0
    for line in trace_path.read_text().splitlines()[1:]:
        entry = json.loads(line)
        if entry["event"] in ("file_verified", "file_failed", "file_verified_earlier"):
            outcomes[entry["destination_index"]] += 1
        elif entry["event"] == "snapshot":
            snapshots += 1
            done = [d["files_done"] for d in entry["destinations"]]
            if any(d > o for d, o in zip(done, outcomes, strict=False)):  # [] before the plan
                ahead.append((entry["t"], done, list(outcomes)))
    assert outcomes == [200, 200] and snapshots > 400
    assert ahead == [], f"{len(ahead)} snapshots ahead of their lines, the first {ahead[:3]}"
