"""The terminal summary's speed column (``report/summary._speed``)."""

from __future__ import annotations

import pytest

from offload.report.summary import _speed
from offload.results import DestinationSummary


@pytest.mark.parametrize(
    ("written", "seconds", "shown"),
    [
        (7_070_000, 17.7, "0.4 MB/s"),  # a bucket's: it said "0 MB/s" beside 7.1 MB written
        (5_000_000, 1.0, "5.0 MB/s"),
        (99_960_000, 10.0, "10 MB/s"),
        (250_400_000, 1.0, "250 MB/s"),
        (0, 0.0, "-"),
    ],
)
def test_a_slow_destinations_speed_is_never_zero(written: int, seconds: float, shown: str) -> None:
    dest = DestinationSummary(index=0, root="s3://b/p", device="s3://b/p")
    dest.bytes_written, dest.span_s = written, seconds
    assert dest.throughput_mb_s == pytest.approx(written / seconds / 1e6 if seconds else 0, 0.01)
    assert _speed(dest) == shown
