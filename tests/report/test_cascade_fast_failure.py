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


def test_a_drive_gone_mixed_with_copies_nothing_found_bad_never_gets_overwrite() -> None:
    """A failing drive that gives EIO and then drops away (ENOTCONN): one copy unreadable,
    the others' drive gone; or one removed beside them. None of them was found bad: the
    drive is reconnected and the same command run again with the card, which reads them
    back, never --overwrite. Failed before (revfix1_66, M2): "" (--overwrite), the headline
    "re-run with it and --overwrite to replace that copy". A copy found changed among them
    still gets --overwrite."""
    from offload.report.cascade_words import CascadeFacts, cascade_sentence

    gone, unreadable = FastCopyFailure.DRIVE_GONE, FastCopyFailure.UNREADABLE
    removed, changed = FastCopyFailure.REMOVED, FastCopyFailure.CHANGED
    facts = CascadeFacts(
        slow="SLOW",
        slow_count=1,
        pass_ended_at="12:00",
        released=True,
        card_pass_failed=0,
        cancelled=False,
        fed=True,
        slow_failed=False,
        fast_failed=True,
    )
    for kinds in ([gone, unreadable], [gone, gone, gone, removed], ["drive_gone", "removed"]):
        assert not fast_unreachable(kinds)
        said = cascade_sentence(
            facts._replace(fast_unreachable=False, fast_rerun=fast_rerun(kinds))
        )
        assert "--overwrite to replace" not in said, (kinds, said)
        assert "reconnect that drive" in said and "reads those copies back" in said, said
    assert fast_rerun([gone, changed]) == ""
    assert fast_rerun([gone, None]) == ""
