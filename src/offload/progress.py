"""A thread-safe progress model fed by engine events: bytes, files, phases, rate and ETA.

No I/O here: renderers (the live terminal view, JSON progress lines) take ``snapshot()``
at their own pace. ``emit`` is called from the engine's threads; it only updates counters
under one lock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from offload.events import (
    BytesVerified,
    DestinationBytesWritten,
    DestinationLost,
    Event,
    FileFailed,
    FileStarted,
    FileVerified,
    FileVerifiedEarlier,
    JobFinished,
    JobStarted,
    PhaseChanged,
    SourceBytesRead,
)

_RATE_WINDOW_S = 5.0  # the rate is measured over the last few seconds, so the ETA follows


@dataclass
class DestinationProgress:
    index: int
    path: str
    phase: str = "waiting"
    current_file: str = ""
    bytes_written: int = 0
    bytes_verified: int = 0
    files_done: int = 0
    files_failed: int = 0
    lost: str | None = None


@dataclass
class ProgressSnapshot:
    total_bytes: int
    total_files: int
    source_bytes_read: int
    source_bytes_verified: int
    files_started: int
    files_finished: int
    work_done: int
    work_total: int
    rate_bytes_s: float
    eta_s: float | None
    elapsed_s: float
    current_file: str
    finished: bool
    destinations: list[DestinationProgress] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        return self.work_done / self.work_total if self.work_total else 1.0


class ProgressModel:
    """Follows a job through its events (EventSink). Thread-safe.

    Work is counted in bytes: every byte read from the source, written to a destination and
    read back for verification is one unit, so the bar and the ETA account for the
    verification passes (which take as long as the copy) instead of jumping at the end.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total_bytes = 0
        self._total_files = 0
        self._verify = "full"
        self._source_read = 0
        self._source_verified = 0
        self._files_started = 0
        self._current = ""
        self._destinations: list[DestinationProgress] = []
        self._finished_per_file: dict[str, int] = {}
        self._files_finished = 0
        self._started = time.monotonic()
        self._samples: deque[tuple[float, int]] = deque()
        self._finished = False

    def emit(self, event: Event) -> None:
        with self._lock:
            self._apply(event)

    def _apply(self, event: Event) -> None:
        if isinstance(event, JobStarted):
            self._total_bytes = event.total_bytes
            self._total_files = event.files
            self._verify = event.verify
            self._destinations = [
                DestinationProgress(i, p) for i, p in enumerate(event.destinations)
            ]
            self._started = time.monotonic()
        elif isinstance(event, SourceBytesRead):
            self._source_read += event.nbytes
        elif isinstance(event, DestinationBytesWritten):
            self._destinations[event.destination_index].bytes_written += event.nbytes
        elif isinstance(event, BytesVerified):
            if event.destination_index < 0:
                self._source_verified += event.nbytes
            else:
                self._destinations[event.destination_index].bytes_verified += event.nbytes
        elif isinstance(event, FileStarted):
            self._files_started += 1
            self._current = event.relative_path
        elif isinstance(event, PhaseChanged) and event.destination_index >= 0:
            dest = self._destinations[event.destination_index]
            if dest.lost is None:
                dest.phase = event.phase
                dest.current_file = event.relative_path
        elif isinstance(event, FileVerified | FileFailed | FileVerifiedEarlier):
            if event.destination_index >= 0:
                dest = self._destinations[event.destination_index]
                if isinstance(event, FileFailed):
                    dest.files_failed += 1
                else:
                    dest.files_done += 1
                count = self._finished_per_file.get(event.relative_path, 0) + 1
                self._finished_per_file[event.relative_path] = count
                if count == len(self._destinations):
                    self._files_finished += 1
                    del self._finished_per_file[event.relative_path]
        elif isinstance(event, DestinationLost):
            dest = self._destinations[event.destination_index]
            dest.lost = event.message
            dest.phase = "lost"
        elif isinstance(event, JobFinished):
            self._finished = True
            for dest in self._destinations:
                if dest.lost is None:
                    dest.phase = "done"

    def _work(self) -> tuple[int, int]:
        passes_per_destination = 1 if self._verify == "transfer" else 2
        total = self._total_bytes * (1 + passes_per_destination * len(self._destinations))
        if self._verify == "full":
            total += self._total_bytes
        done = (
            self._source_read
            + self._source_verified
            + sum(d.bytes_written + d.bytes_verified for d in self._destinations)
        )
        # A lost destination's remaining work will never be done: take it out of the total.
        for dest in self._destinations:
            if dest.lost is not None:
                total -= max(
                    0,
                    self._total_bytes * passes_per_destination
                    - dest.bytes_written
                    - dest.bytes_verified,
                )
        return done, max(total, done)

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            now = time.monotonic()
            done, total = self._work()
            self._samples.append((now, done))
            while len(self._samples) > 2 and now - self._samples[0][0] > _RATE_WINDOW_S:
                self._samples.popleft()
            first_t, first_done = self._samples[0]
            rate = (done - first_done) / (now - first_t) if now > first_t else 0.0
            eta = (total - done) / rate if rate > 0 else None
            return ProgressSnapshot(
                total_bytes=self._total_bytes,
                total_files=self._total_files,
                source_bytes_read=self._source_read,
                source_bytes_verified=self._source_verified,
                files_started=self._files_started,
                files_finished=self._files_finished,
                work_done=done,
                work_total=total,
                rate_bytes_s=rate,
                eta_s=eta,
                elapsed_s=now - self._started,
                current_file=self._current,
                finished=self._finished,
                destinations=[DestinationProgress(**vars(d)) for d in self._destinations],
            )
