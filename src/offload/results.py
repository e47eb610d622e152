"""What a job did: per file, per destination, per job; and the exit code that follows.

All result objects are plain data, filled by the engine and read after the job; they are not
shared between threads while the job runs (each worker owns the results it builds and hands
them over through the job's lock).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from offload.errors import ExitCode


class DestinationStatus(StrEnum):
    """What this run proved about one file on one destination; the only words reports use.

    VERIFIED: read back from the destination's media in this run and matched (destination or
    full mode). VERIFIED_EARLIER: trusted from the destination's ledger, where an earlier run
    recorded it verified (``verified_at``, ``verified_mode``); not re-read now.
    TRANSFER_CHECKED: written with the in-flight hash and the size checked, never read back
    (transfer mode). FAILED: see ``error``. CANCELLED: the job was cancelled before this copy
    was verified (no final name was given to it by this run).
    """

    VERIFIED = "verified"
    VERIFIED_EARLIER = "verified_earlier"
    TRANSFER_CHECKED = "transfer_checked"
    FAILED = "failed"
    CANCELLED = "cancelled"


GOOD_STATUSES = frozenset(
    {
        DestinationStatus.VERIFIED,
        DestinationStatus.TRANSFER_CHECKED,
        DestinationStatus.VERIFIED_EARLIER,
    }
)


class CacheBypass(StrEnum):
    """How a read-back avoided the page cache (so that it read the media)."""

    O_DIRECT = "o_direct"  # read with O_DIRECT: the page cache was not used
    FADVISE = "fadvise"  # fsync + POSIX_FADV_DONTNEED, and mincore() showed nothing cached
    NONE = "none"  # the data was (partly) still cached: the read-back may have come from RAM
    NOT_READ = "not-read"  # no read-back (transfer mode)


@dataclass
class DestinationFileResult:
    destination_index: int
    final_path: str
    status: DestinationStatus
    error: str | None = None
    bytes_written: int = 0
    digests: dict[str, str] = field(default_factory=dict)  # read back from this destination
    cache_bypass: CacheBypass = CacheBypass.NOT_READ
    reread: bool = False  # a mismatch was re-read once (and then matched, if verified)
    copy_s: float = 0.0
    verify_s: float = 0.0
    # When this copy was last verified (time.time()); for a skipped file, by an earlier run.
    verified_at: float | None = None


@dataclass
class FileResult:
    relative_path: str
    source_path: str
    size_bytes: int
    mtime_ns: int
    inflight_digests: dict[str, str] = field(default_factory=dict)
    source_reread_digests: dict[str, str] = field(default_factory=dict)
    source_error: str | None = None
    source_cache_bypass: CacheBypass = CacheBypass.NOT_READ
    destinations: list[DestinationFileResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.source_error is None
            and bool(self.destinations)
            and all(d.status in GOOD_STATUSES for d in self.destinations)
        )

    def destination(self, index: int) -> DestinationFileResult | None:
        for result in self.destinations:
            if result.destination_index == index:
                return result
        return None


@dataclass
class DestinationSummary:
    index: int
    root: str
    device: str
    lost: bool = False
    lost_reason: str | None = None
    files_verified: int = 0
    files_transfer_checked: int = 0
    files_verified_earlier: int = 0
    files_failed: int = 0
    bytes_written: int = 0
    copy_s: float = 0.0
    verify_s: float = 0.0

    @property
    def throughput_mb_s(self) -> float:
        busy = self.copy_s + self.verify_s
        return self.bytes_written / busy / 1e6 if busy > 0 else 0.0


@dataclass
class JobReport:
    """The outcome of one job. ``exit_code`` is derived, never stored."""

    verify: str
    algorithms: tuple[str, ...]
    files: list[FileResult] = field(default_factory=list)
    destinations: list[DestinationSummary] = field(default_factory=list)
    started_at: float = 0.0  # time.time()
    finished_at: float = 0.0
    elapsed_s: float = 0.0  # monotonic
    cancelled: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(f.size_bytes for f in self.files)

    @property
    def speed_mb_sec(self) -> float:
        """Source bytes per second of the whole job (copy + verification), MB = 10^6."""
        return self.total_bytes / self.elapsed_s / 1e6 if self.elapsed_s > 0 else 0.0

    @property
    def exit_code(self) -> ExitCode:
        if self.cancelled:
            return ExitCode.CANCELLED
        outcomes = [d.status for f in self.files for d in f.destinations]
        sources_failed = any(f.source_error for f in self.files)
        if not self.files:
            return ExitCode.OK
        good = [s for s in outcomes if s in GOOD_STATUSES]
        if not good:
            return ExitCode.FAILED
        if sources_failed or len(good) != len(outcomes):
            return ExitCode.PARTIAL
        return ExitCode.OK

    # Read-only mapping access (``report["speed_mb_sec"]``) for code written against a dict
    # result; the typed attributes above stay the API. Keys: public fields and properties.
    def keys(self) -> tuple[str, ...]:
        properties = [
            name for name, value in vars(JobReport).items() if isinstance(value, property)
        ]
        return (*(f.name for f in fields(self)), *properties)

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self.keys() else default
