"""The line of a card file that does not match the card's ASC MHL history gives the file's
own date, as it was read: for a cascade's fast copy read in place of its card file
(``model.DatedCopy``) that is the copy's date, not the card's it carries."""

from __future__ import annotations

from offload.engine.reader import _history_mismatch
from offload.model import DatedCopy
from offload.report.dates import utc_words

CARD_DATE_NS = 1_700_000_000_123_456_789
COPY_DATE_NS = 1_700_000_600_000_000_000  # ten minutes later: another local time


def test_a_dated_copys_mismatch_line_gives_the_copys_own_date() -> None:
    source = DatedCopy("/fast/A001/C001.MOV", "C001.MOV", 42, CARD_DATE_NS, COPY_DATE_NS)
    line = _history_mismatch(source, "xxh64", "aa", "bb")
    own = utc_words(COPY_DATE_NS // 1_000_000_000, seconds=True)
    card = utc_words(CARD_DATE_NS // 1_000_000_000, seconds=True)
    assert f"now 42 bytes, modified {own}" in line, line
    assert card not in line, line  # failed before: the card's date, not the file's
