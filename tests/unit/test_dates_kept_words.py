"""``dates_kept.shift_words``: a shift within FAT's 2 s of a time zone's offset is said as
that zone's, by the one rule ``zone_shift.as_zone_offset`` (whole quarter hours, at most
14 h); any other shift as it is."""

from __future__ import annotations

import pytest

from offload.dates_kept import shift_words

S = 1_000_000_000
H = 3600 * S


@pytest.mark.parametrize(
    ("shift", "words"),
    [
        (5 * H - S, "5 h later"),  # an odd second under a 5 h zone: FAT's 2 s steps
        (-(5 * H + 30 * 60 * S) + 2 * S, "5 h 30 min earlier"),
        (14 * H + S, "14 h later"),  # Kiribati's, the furthest zone
        (42 * S, "42 s later"),
        # No zone is 15 h from UTC: said as it is. Failed before ("15 h later": its own
        # rounding to a quarter hour had no 14 h cap).
        (15 * H - S, "14 h 59 min later"),
    ],
)
def test_a_shift_is_said_as_a_zone_only_when_one_has_it(shift: int, words: str) -> None:
    assert shift_words(shift) == words
