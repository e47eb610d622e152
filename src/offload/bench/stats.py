"""Summaries of repeated timings: medians, min–max, ratios. Pure functions, no I/O."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """Median and range of one contender's successful repetitions."""

    median: float
    minimum: float
    maximum: float
    count: int

    def spread(self) -> float:
        """(max − min) / median: how noisy the repetitions were (0 for one sample)."""
        return (self.maximum - self.minimum) / self.median if self.median else 0.0


def summarize(values: Iterable[float]) -> Summary | None:
    """Median, min and max of *values*; None when there is none."""
    data = sorted(values)
    if not data:
        return None
    return Summary(statistics.median(data), data[0], data[-1], len(data))


def ratio(ours: Summary | None, theirs: Summary | None) -> float | None:
    """ours.median / theirs.median (a time ratio: below 1 means ours is faster)."""
    if ours is None or theirs is None or theirs.median <= 0:
        return None
    return ours.median / theirs.median


def throughput_mb_s(size_bytes: int, seconds: float) -> float:
    """MB/s (10^6 bytes per second) of *size_bytes* moved in *seconds*."""
    return size_bytes / seconds / 1e6 if seconds > 0 else 0.0


def rotation(names: Sequence[str], repetition: int) -> list[str]:
    """The contenders' order in one repetition: A B C, then B C A, then C A B, ...

    Every contender runs once per repetition (interleaved, never in blocks), and no contender
    always runs first, right after the data was made, or always after the same neighbour.
    """
    if not names:
        return []
    shift = repetition % len(names)
    return [*names[shift:], *names[:shift]]


def format_seconds(summary: Summary | None) -> str:
    """``12.3 (11.9–14.0)``; ``n/a`` when nothing succeeded."""
    if summary is None:
        return "n/a"
    return f"{_short(summary.median)} ({_short(summary.minimum)}–{_short(summary.maximum)})"


def format_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _short(seconds: float) -> str:
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"


def human_size(size_bytes: int) -> str:
    """A short, exact-looking label for sizes in plan titles: 1 GiB, 30 MB, 100 KB, 64 KiB."""
    for factor, unit in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if size_bytes >= factor and size_bytes % factor == 0:
            return f"{size_bytes // factor} {unit}"
    for factor, unit in ((10**9, "GB"), (10**6, "MB"), (10**3, "KB")):
        if size_bytes >= factor and size_bytes % factor == 0:
            return f"{size_bytes // factor} {unit}"
    if size_bytes >= 2**20:
        return f"{size_bytes / 2**20:.1f} MiB"
    return f"{size_bytes} B"
