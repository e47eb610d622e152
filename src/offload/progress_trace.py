"""Progress traces (``offload copy --progress-trace FILE``): what a run's progress was fed, and
what it showed, as JSON lines, so an ETA estimator can be judged (and replayed) on real runs.

The first line is a header ``{"trace": "offload-progress", "version": 1, "started": <unix s>}``;
then every engine event as ``{"t": <s since the header>, "event": "<snake_case name>", ...its
fields}`` (the byte counts too, unlike ``--json``), and at most every ``interval_s`` a
``{"t": ..., "event": "snapshot", ...}`` line with what the live model showed then (elapsed,
fraction, ETA, per-destination bytes, files and phase). ``read_trace`` turns the event lines
back into events (the snapshots are kept as dicts), so any version of the progress model can
be fed the same run again (``offload.bench.eta`` does, on a virtual clock).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from offload import events as events_module
from offload.events import Event, JobFinished, OffloadFinished
from offload.json_text import dumps
from offload.progress import ProgressModel
from offload.report.events_json import event_class_name, event_name

TRACE_FORMAT = "offload-progress"
TRACE_VERSION = 1
SNAPSHOT = "snapshot"


class ProgressTraceWriter:
    """An event sink that writes a progress trace to an open text stream. Thread-safe: one
    lock around each line (events come from the engine's threads). It never feeds *progress*;
    it only takes snapshots of it: the subscriber that feeds it comes before this one, in an
    ``events.SerialFanoutSink``, so that no snapshot counts an event whose line another
    thread has yet to write (a plain ``FanoutSink`` lets that happen). A write that fails (a
    full disk) abandons the trace, never the copy."""

    def __init__(
        self, stream: IO[str], *, progress: ProgressModel, interval_s: float = 0.25
    ) -> None:
        self._stream = stream
        self._progress = progress
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._last_snapshot = -interval_s
        self._broken = False
        self._write(
            {"trace": TRACE_FORMAT, "version": TRACE_VERSION, "started": round(time.time(), 3)},
            timed=False,
        )

    def emit(self, event: Event) -> None:
        payload: dict[str, Any] = {"event": event_name(event)}
        payload.update(dataclasses.asdict(event))
        now = self._write(payload)
        # The model is fed by another subscriber (before this one in the CLI's fan-out).
        if (
            isinstance(event, JobFinished | OffloadFinished)
            or now - self._last_snapshot >= self._interval_s
        ):
            self._last_snapshot = now
            self.write_snapshot()

    def write_snapshot(self) -> None:
        snap = self._progress.snapshot()
        self._write(
            {
                "event": SNAPSHOT,
                "elapsed_s": round(snap.elapsed_s, 3),
                "fraction": round(snap.fraction, 6),
                "eta_s": None if snap.eta_s is None else round(snap.eta_s, 2),
                "card_eta_s": None if snap.card_eta_s is None else round(snap.card_eta_s, 2),
                "work_done": snap.work_done,
                "work_total": snap.work_total,
                "finished": snap.finished,
                "destinations": [
                    {
                        "phase": d.phase,
                        "bytes_written": d.bytes_written,
                        "bytes_verified": d.bytes_verified,
                        "files_done": d.files_done,
                        "files_failed": d.files_failed,
                        "lost": d.lost is not None,
                    }
                    for d in snap.destinations
                ],
            }
        )

    def close(self) -> None:
        """Flushes and closes the stream, also after a failed write (its data is lost, its
        file is not left open); never raises."""
        with self._lock:
            self._broken = True  # nothing more is written
            try:
                self._stream.close()  # closes the file even when the flush fails
            except (OSError, ValueError):
                pass

    def _write(self, payload: dict[str, Any], *, timed: bool = True) -> float:
        """Writes one line; its time is taken under the lock, so the lines (written by
        several threads) are in the order of their times. Returns that time."""
        with self._lock:
            now = time.monotonic() - self._start
            if self._broken:
                return now
            line = {"t": round(now, 4), **payload} if timed else payload
            try:  # names escaped (json_text): a name that is not UTF-8 is no encoding error
                self._stream.write(dumps(line, separators=(",", ":")))
                self._stream.write("\n")
            except UnicodeError:  # not a closed file: a bug, for the sink's caller to name
                raise
            except (OSError, ValueError):  # the file's drive failed or it was closed
                self._broken = True
            return now


@dataclass
class ProgressTrace:
    """A trace read back: ``events`` with their times (s since the trace started), and the
    snapshots the live model gave (dicts, as written)."""

    started: float
    events: list[tuple[float, Event]] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)


def _event_classes() -> dict[str, type[Event]]:
    found: dict[str, type[Event]] = {}
    for value in vars(events_module).values():
        if isinstance(value, type) and issubclass(value, Event) and value is not Event:
            found[event_class_name(value)] = value
    return found


def _event(cls: type[Event], payload: dict[str, Any]) -> Event:
    values = {}
    for spec in dataclasses.fields(cls):
        if spec.name not in payload and spec.default is not dataclasses.MISSING:
            continue  # a field added since the trace was written (its default then)
        value = payload[spec.name]
        if isinstance(value, list) and "tuple" in str(spec.type):
            value = tuple(value)
        values[spec.name] = value
    return cls(**values)


def read_trace(path: Path) -> ProgressTrace:
    """The trace at *path*. Raises ``ValueError`` naming the path and line when it is not a
    progress trace (or a newer version); lines of events this version does not know are
    skipped (a trace from a later version still replays what it can)."""
    classes = _event_classes()
    lines = _lines(path)
    try:
        header = json.loads(next(lines)[1])
    except (StopIteration, ValueError) as error:
        raise ValueError(f"{path}: not a progress trace (no header line)") from error
    if not isinstance(header, dict) or header.get("trace") != TRACE_FORMAT:
        raise ValueError(f"{path}: not a progress trace (its first line is not its header)")
    if header.get("version") != TRACE_VERSION:
        raise ValueError(f"{path}: progress trace version {header.get('version')} is unknown")
    trace = ProgressTrace(started=float(header.get("started", 0.0)))
    for number, line in lines:
        try:
            payload = json.loads(line)
            name = payload["event"]
            t = float(payload["t"])
            if name == SNAPSHOT:
                trace.snapshots.append(payload)
            elif name in classes:
                trace.events.append((t, _event(classes[name], payload)))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a progress trace line ({error})") from error
    return trace


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with open(path, encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                yield number, line
