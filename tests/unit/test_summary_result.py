"""The terminal summary's result column (``report/summary._result``): the live view's words."""

from __future__ import annotations

import pytest

from offload.report.summary import _result
from offload.results import DestinationSummary


@pytest.mark.parametrize(
    ("verified", "earlier", "failed", "shown"),
    [
        (2, 0, 2, "PARTLY\nFAILED"),  # a fast drive pulled mid-cascade: it said FAILED
        (0, 1, 1, "PARTLY\nFAILED"),
        (0, 0, 3, "FAILED"),
        (3, 0, 0, "FAILED"),  # every copy good, a step of its finish failed
    ],
)
def test_a_destination_with_good_copies_and_failed_ones_is_partly_failed(
    verified: int, earlier: int, failed: int, shown: str
) -> None:
    dest = DestinationSummary(index=0, root="/mnt/FAST/A001", device="/mnt/FAST")
    dest.files_verified, dest.files_verified_earlier, dest.files_failed = verified, earlier, failed
    assert _result(dest, "failed").plain == shown
