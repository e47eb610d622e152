"""The cascade's remedy for its failed fast copies is decided by each copy's kind
(``results.FastCopyFailure``, the JSON's copy ``fast_failure``), never by its error's words;
a job report written before that key is read by the words those versions wrote
(``cascade_words.legacy_fast_failure``)."""

from __future__ import annotations

from typing import Any

from offload.report.cascade_words import fast_rerun, fast_unreachable, legacy_fast_failure
from offload.report.content import _fast_failure
from offload.results import FastCopyFailure

# The words an older offload-ai's reasons carried, one of each kind it told apart.
OLD_REMOVED = (
    "C.mov: the copy /RAID/A001/C.mov was verified, then found gone when the cascade came "
    "to read it; run again with the card to copy it anew (its ledger no longer vouches for it)"
)
OLD_UNREADABLE = (
    "C.mov: the copy /RAID/A001/C.mov was verified, then failed its read for the cascade "
    "(Input/output error); check that drive (offload verify) and run the same command again"
)
OLD_GONE = (
    "C.mov: the copy /RAID/A001/C.mov was verified, then could not be read when the cascade "
    "came to it: its drive is gone; the copy was not found bad: reconnect that drive"
)
OLD_CHANGED = (
    "C.mov: the copy /RAID/A001/C.mov was verified, then changed: re-read for the cascade; "
    "re-run with the card and --overwrite to replace it"
)


def test_a_report_before_the_key_is_read_by_its_words() -> None:
    """A copy's entry without ``fast_failure`` (an older report): its kind from its words,
    as the sentence was decided then."""
    copies: list[dict[str, Any]] = [
        {"status": "failed", "error": words}
        for words in (OLD_REMOVED, OLD_UNREADABLE, OLD_GONE, OLD_CHANGED)
    ]
    assert [_fast_failure(c) for c in copies] == ["removed", "unreadable", "drive_gone", None]
    assert legacy_fast_failure(None) is None
    assert fast_rerun([_fast_failure(copies[0])]) == "anew"
    assert fast_rerun([_fast_failure(c) for c in copies[:2]]) == "read"
    assert fast_rerun([_fast_failure(c) for c in copies]) == ""
    assert fast_unreachable([_fast_failure(copies[2])])


def test_the_key_decides_whatever_the_words() -> None:
    """A report with the key is read by it alone: a removal whose words hold none of the
    phrases (an object in a bucket found gone: "re-run with the card to copy it again")
    is copied anew, never --overwrite; a copy failed otherwise (null) whose words happen
    to hold one is not taken for it. Failed before (the words decided): "" (--overwrite)
    for the first, "anew" for the second."""
    removal = {
        "status": "failed",
        "error": "C.mov: the copy s3://b/day1/A001/C.mov was verified, then found gone when "
        "the cascade checked the fast copies at its end; re-run with the card to copy it again",
        "fast_failure": "removed",
    }
    other = {"status": "failed", "error": OLD_REMOVED, "fast_failure": None}
    assert fast_rerun([_fast_failure(removal)]) == "anew"
    assert fast_rerun([_fast_failure(other)]) == ""
    assert fast_rerun([FastCopyFailure.REMOVED, FastCopyFailure.UNREADABLE]) == "read"
    assert fast_rerun([FastCopyFailure.REMOVED, FastCopyFailure.CHANGED]) == ""
    assert fast_unreachable([FastCopyFailure.DRIVE_GONE, "drive_gone"])
    assert not fast_unreachable([FastCopyFailure.DRIVE_GONE, None])
