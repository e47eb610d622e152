"""``--json``: one JSON object per line on stdout for other programs (schema in docs/json.md).

Every engine event becomes a line ``{"event": "<snake_case name>", "time": <unix s>, ...}``
with the event's fields, except the per-chunk byte counts (and ``destination_writing``, a
chunk's write starting), which are folded into a ``progress`` line at most every
``interval_s`` seconds. While a job runs (from its ``JobStarted``, or ``WorkPlanned``, to
its ``JobFinished``), a thread of the sink's writes one too every ``interval_s`` that no
byte came (``JsonLinesSink.close`` ends it): a card or a destination that stops answering,
before the job's first byte too, sends no byte event, and the last line's rate and ETA
stood for the whole stall, where the live view shows neither; those lines follow the live
view's rule (``still_work``: ``rate_bytes_s``, ``eta_s`` and ``card_eta_s`` null while
``still_s`` is not 0). The ticker stops once the stream is abandoned (``write``); an
exception of its own is raised from the sink's next ``emit``, so the caller's
``FanoutSink`` names it as it names any subscriber's (``events.isolated``), never a
thread's traceback on stderr.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from offload.events import (
    BytesVerified,
    DestinationBytesWritten,
    DestinationWriting,
    Event,
    JobFinished,
    JobStarted,
    OffloadFinished,
    SourceBytesRead,
    SourceWaiting,
    WorkPlanned,
)
from offload.json_text import ascii_only_for, dumps, write_whole
from offload.progress import ProgressModel

_BYTE_EVENTS = (
    SourceBytesRead,
    SourceWaiting,
    DestinationBytesWritten,
    DestinationWriting,
    BytesVerified,
)


def event_name(event: Event) -> str:
    return event_class_name(type(event))


def event_class_name(cls: type[Event]) -> str:
    """``FileVerified`` → ``file_verified``: the name an event has in JSON lines and traces."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


class JsonLinesSink:
    """Writes events as JSON lines, each valid JSON whatever the names and the stream's
    encoding (``json_text``). Thread-safe (one lock around each write)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        progress: ProgressModel,
        interval_s: float = 0.5,
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        self._stream = stream
        # Told once why the lines are lost from here on (a write error, ENOSPC, not a
        # reader gone): its caller says so on stderr, never silence.
        self._on_lost = on_lost
        self._progress = progress
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._last_progress = 0.0
        self._broken = False
        self._ascii_only = ascii_only_for(stream)
        # Held from a progress line's snapshot to its write, by the ticker and the byte
        # events alike: the lines' snapshots are in order (their fraction never goes back),
        # and a tick's line never comes after the job_finished that ends its job.
        self._pace = threading.Lock()
        # A job runs (its JobStarted, WorkPlanned or a byte event came, its JobFinished not
        # yet): the ticker writes lines only then, never between the jobs nor while the
        # reports are made; a stall before the job's first byte has its lines too.
        self._moving = False
        self._ticker: threading.Thread | None = None
        self._closed = threading.Event()
        # The ticker's exception, raised from the next ``emit`` (module doc), once.
        self._tick_error: Exception | None = None

    def write(self, payload: dict[str, Any]) -> None:
        """Write one line. A reader that went away (``| head``) never stops the copy: the
        stream is then abandoned and the offload goes on. A line the stream cannot encode
        is not a reader gone (``UnicodeEncodeError`` is a ``ValueError``, as a closed file's
        write raises): it is raised, for the sink's caller to name."""
        line = dumps(payload, ascii_only=self._ascii_only)
        with self._lock:
            if self._broken:
                return
            try:
                write_whole(self._stream, line + "\n")  # a signal cuts no line short
            except UnicodeError:
                raise
            except (OSError, ValueError) as exc:  # a pipe closed, or the stream closed
                self._broken = True
                lost = isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError)
                if lost and self._on_lost is not None:
                    self._on_lost(getattr(exc, "strerror", None) or str(exc))

    def emit(self, event: Event) -> None:
        self._progress.emit(event)
        if isinstance(event, _BYTE_EVENTS):
            self._moving = True  # (``_running``, inline: a call per chunk's event costs)
            if self._ticker is None:
                self._start_ticker()
            if time.monotonic() - self._last_progress >= self._interval_s:
                self._paced_progress()
            if self._tick_error is not None:
                self._raise_tick_error()
            return
        if isinstance(event, JobFinished | OffloadFinished):
            with self._pace:  # after a tick's line being written, before the next one
                self._moving = False
            self.write_progress()  # where the job ended; the offload's last one: 1.0
        payload: dict[str, Any] = {"event": event_name(event), "time": round(time.time(), 3)}
        payload.update(dataclasses.asdict(event))
        self.write(payload)
        if isinstance(event, JobStarted | WorkPlanned):  # after its line: the job runs
            self._running()
        self._raise_tick_error()

    def _running(self) -> None:
        """A job runs: the ticker's lines from here to its ``JobFinished``."""
        self._moving = True
        if self._ticker is None:
            self._start_ticker()

    def _raise_tick_error(self) -> None:
        """Raise the ticker's exception, once (module doc)."""
        error, self._tick_error = self._tick_error, None
        if error is not None:
            raise RuntimeError(
                f"its progress ticker stopped ({type(error).__name__}: {error}): no progress "
                "line while no byte moves from here on"
            ) from error

    def close(self) -> None:
        """End the ticker (module doc), if it was started; the sink still writes lines."""
        self._closed.set()
        ticker = self._ticker
        if ticker is not None:
            ticker.join()

    def _start_ticker(self) -> None:
        with self._pace:
            if self._ticker is not None or self._closed.is_set():
                return
            self._ticker = threading.Thread(
                target=self._tick, name="offload-json-progress", daemon=True
            )
            self._ticker.start()

    def _tick(self) -> None:
        """A progress line every ``interval_s`` that none was written while a job's bytes
        move: a stall's lines, their rate and ETA null once the work stands still."""
        try:
            while not self._closed.wait(self._interval_s / 2):
                if self._broken:  # the stream abandoned: no line is read any more
                    return
                if self._moving and time.monotonic() - self._last_progress >= self._interval_s:
                    self._paced_progress()
        except Exception as exc:  # said by the next emit, as a subscriber's failure
            self._tick_error = exc

    def _paced_progress(self) -> None:
        """A progress line unless one was written less than ``interval_s`` ago (by the
        other of the byte events and the ticker, meanwhile)."""
        with self._pace:
            now = time.monotonic()
            if now - self._last_progress < self._interval_s:
                return
            self._last_progress = now
            if self._moving:  # not once its job_finished line is written
                self.write_progress()

    def write_progress(self) -> None:
        snap = self._progress.snapshot()
        still = snap.still_s > 0  # no rate nor ETA says anything true then (still_work)
        self.write(
            {
                "event": "progress",
                "time": round(time.time(), 3),
                "bytes_total": snap.total_bytes,
                "source_bytes_read": snap.source_bytes_read,
                "source_bytes_verified": snap.source_bytes_verified,
                "files_total": snap.total_files,
                "files_finished": snap.files_finished,
                "fraction": round(snap.fraction, 4),
                "rate_bytes_s": None if still else round(snap.rate_bytes_s),
                "eta_s": None if still or snap.eta_s is None else round(snap.eta_s, 1),
                "card_eta_s": (
                    None if still or snap.card_eta_s is None else round(snap.card_eta_s, 1)
                ),
                "still_s": round(snap.still_s, 1),
                "destinations": [
                    {
                        "index": d.index,
                        "phase": d.phase,
                        "bytes_written": d.bytes_written,
                        "bytes_verified": d.bytes_verified,
                        "files_done": d.files_done,
                        "files_failed": d.files_failed,
                        "files_transfer_checked": d.files_transfer_checked,
                        "files_verified_earlier": d.files_verified_earlier,
                        "lost": d.lost is not None,  # why: its destination_lost line
                        "writing": d.writing,
                    }
                    for d in snap.destinations
                ],
            }
        )
