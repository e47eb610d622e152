"""What the cascade's sentence counts of the fast copies refused because a file is in the
way (``cascade_words.fast_refused``), from the refusals' own words (``remedies``)."""

from __future__ import annotations

from offload import remedies
from offload.report.cascade_words import CascadeFacts, cascade_sentence, fast_refused

IN_THE_WAY = (
    f"F1/C9/a0.mov already exists on destination F1; not overwritten: {remedies.in_the_way()}"
)
OTHER_CARD = (
    "F2/C9/a1.mov already exists with other content; this copy root's ledger records it from "
    f"another card; not overwritten ({remedies.another_card()})"
)
UNREAD = (
    "F1/C9/a2.mov already exists on destination F1 and cannot be read back (EIO); not "
    "overwritten: check that drive; the same command run again reads the file there back"
)


def test_refused_copies_are_counted_as_files_and_told_apart_by_their_remedy() -> None:
    """a0.mov refused on both fast destinations is one file; a1.mov another card's copy; a
    file in the way that cannot be read is no refusal (a plain re-run reads it back). Failed
    before: copies were counted (a0.mov twice: "different files hold their names" for 2 of
    3 failed files), by the words "already exists" (the unreadable one counted, and another
    card's copy given --overwrite)."""
    copies = [("a0.mov", IN_THE_WAY), ("a0.mov", IN_THE_WAY), ("a2.mov", UNREAD)]
    assert fast_refused(copies) == (1, 0)
    assert fast_refused([*copies, ("a1.mov", OTHER_CARD)]) == (2, 1)
    facts = CascadeFacts(
        slow="SLOW",
        slow_count=1,
        pass_ended_at="12:00",
        released=False,
        card_pass_failed=2,
        cancelled=False,
        fed=False,
        slow_failed=True,
        fast_failed=True,
        fast_refused=1,
    )
    said = cascade_sentence(facts)
    assert "re-run with it to copy them, with --overwrite" in said, said
    assert "where a different file holds the name there" in said, said
    other = cascade_sentence(facts._replace(fast_refused=2, fast_other_card=2))
    assert "--overwrite (" not in other and "never --overwrite" in other, other
    assert "other cards' copies hold their names there" in other, other
