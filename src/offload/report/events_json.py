"""``--json``: one JSON object per line on stdout for other programs (schema in docs/json.md).

Every engine event becomes a line ``{"event": "<snake_case name>", "time": <unix s>, ...}``
with the event's fields, except the per-chunk byte counts (and ``destination_writing``, a
chunk's write starting), which are folded into a ``progress`` line at most every
``interval_s`` seconds.
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
    OffloadFinished,
    SourceBytesRead,
    SourceWaiting,
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
            now = time.monotonic()
            if now - self._last_progress >= self._interval_s:
                self._last_progress = now
                self.write_progress()
            return
        if isinstance(event, JobFinished | OffloadFinished):
            self.write_progress()  # where the job ended; the offload's last one: 1.0
        payload: dict[str, Any] = {"event": event_name(event), "time": round(time.time(), 3)}
        payload.update(dataclasses.asdict(event))
        self.write(payload)

    def write_progress(self) -> None:
        snap = self._progress.snapshot()
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
                "rate_bytes_s": round(snap.rate_bytes_s),
                "eta_s": None if snap.eta_s is None else round(snap.eta_s, 1),
                "card_eta_s": None if snap.card_eta_s is None else round(snap.card_eta_s, 1),
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
