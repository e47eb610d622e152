"""Every message of a read through this machine's page cache (``CacheBypass.NONE``) gives
the same reasons it could not be avoided (``report.words.PAGE_CACHE_CAUSES``)."""

from __future__ import annotations

from collections import Counter

from offload.cli.pfndispatchcopy import _through_a_cache
from offload.report.summary import _cached_line
from offload.report.words import card_reread_through_a_cache
from offload.results import CacheBypass, DestinationFileResult, DestinationStatus

# The causes ``fs.media`` and ``fs.below`` give CacheBypass.NONE for.
CAUSES = (
    "a filesystem held in memory (tmpfs, ramfs), whose storage is that cache",
    "a FUSE filesystem whose storage no mount table names, or whose block device this user "
    "may not open",
    "a loop device whose image this user may not open, or whose image is in memory, on FUSE "
    "or on another image",
    "pages that stayed cached when dropped (another program keeps the file mapped, or is "
    "reading or writing it)",
)


def test_the_summary_the_card_re_read_and_pfndispatchcopy_give_every_cause() -> None:
    """Failed before: the three were written apart and had drifted (the summary and
    pfndispatchcopy said "pages still cached", the card re-read "pages another program
    keeps mapped"; none named a loop device's image, pfndispatchcopy no FUSE filesystem)."""
    copy = DestinationFileResult(
        destination_index=0,
        final_path="/d/a.mov",
        status=DestinationStatus.VERIFIED,
        cache_bypass=CacheBypass.NONE,
    )
    said = {
        "summary": _cached_line(Counter({CacheBypass.NONE: 2})),
        "card re-read": card_reread_through_a_cache(2),
        "pfndispatchcopy": _through_a_cache(copy) or "",
    }
    for where, words in said.items():
        for cause in CAUSES:
            assert cause in words, (where, cause, words)
        assert "pages still cached" not in words, (where, words)


def test_one_rule_says_which_read_backs_went_through_a_cache() -> None:
    """The hasher's counter, the summary's, pfndispatchcopy's caveat and the reports'
    ledger words all rest on ``CacheBypass.through_cache``: the page cache that could not
    be dropped and a network share's server, no other way of reading."""
    from offload.report.content import _THROUGH_A_CACHE
    from offload.state_names import THROUGH_A_CACHE

    cached = {bypass for bypass in CacheBypass if bypass.through_cache}
    assert cached == {CacheBypass.NONE, CacheBypass.SERVER}
    assert {bypass.value for bypass in cached} == THROUGH_A_CACHE == set(_THROUGH_A_CACHE)
