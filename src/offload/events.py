"""Past-tense events the engine emits; renderers (progress bars, JSON lines, logs) subscribe.

The engine never prints. Events are emitted from the engine's threads: a sink must be
thread-safe and fast (it runs on the copy's hot path for the byte-count events).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Event:
    pass


@dataclass(frozen=True)
class JobStarted(Event):
    files: int
    total_bytes: int
    destinations: tuple[str, ...]
    verify: str
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class FileStarted(Event):
    relative_path: str
    size_bytes: int


@dataclass(frozen=True)
class SourceBytesRead(Event):
    """Bytes read from the source in flight (the copy pass)."""

    nbytes: int


@dataclass(frozen=True)
class DestinationBytesWritten(Event):
    destination_index: int
    nbytes: int


@dataclass(frozen=True)
class BytesVerified(Event):
    """Bytes re-read for verification: a destination's (index ≥ 0) or the source's (-1)."""

    destination_index: int
    nbytes: int


@dataclass(frozen=True)
class PhaseChanged(Event):
    """A destination (or the source, index -1) moved to another phase of a file."""

    destination_index: int
    relative_path: str
    phase: str  # "copy", "flush", "verify", "commit", "idle"


@dataclass(frozen=True)
class FileVerified(Event):
    """One file is complete on one destination under its final name."""

    destination_index: int
    relative_path: str
    final_path: str
    status: str  # "verified", or "transfer_checked" in transfer mode (never read back)
    digests: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FileFailed(Event):
    """A file failed on one destination, or on all of them (index -1: source error)."""

    destination_index: int
    relative_path: str
    message: str


@dataclass(frozen=True)
class FileVerifiedEarlier(Event):
    """A copy an earlier run verified is trusted from the destination's ledger: not copied
    and not re-read by this run. ``verified_at`` is when that run verified it (Unix s),
    ``verified_mode`` how ("transfer" means transfer-checked only)."""

    destination_index: int
    relative_path: str
    final_path: str
    verified_at: float | None
    verified_mode: str | None


@dataclass(frozen=True)
class DestinationLost(Event):
    destination_index: int
    message: str


@dataclass(frozen=True)
class WarningIssued(Event):
    message: str
    path: str | None = None


@dataclass(frozen=True)
class JobFinished(Event):
    exit_code: int
    cancelled: bool


class EventSink(Protocol):
    """Receives events. Called from several threads at once; must not block for long."""

    def emit(self, event: Event) -> None: ...


class NullSink:
    def emit(self, event: Event) -> None:
        pass


class FanoutSink:
    """Forwards every event to several sinks, in order."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = sinks

    def emit(self, event: Event) -> None:
        for sink in self.sinks:
            sink.emit(event)
