"""What the cascade's sentence counts of the fast copies refused because a file is in the
way (``cascade_words.fast_refused``), from the refusals' kinds (``remedies.Refusal``)."""

from __future__ import annotations

from offload.remedies import Refusal
from offload.report.cascade_words import CascadeFacts, cascade_sentence, fast_refused

# Each failed copy's refusal kind (``DestinationFileResult.refusal``): a file in the way,
# another card's copy, and a file there that cannot be read (no refusal: a re-run reads it).
IN_THE_WAY = Refusal.IN_THE_WAY
OTHER_CARD = Refusal.ANOTHER_CARD
EARLIER = Refusal.EARLIER_COPY
UNREAD = None


def test_refused_copies_are_counted_as_files_and_told_apart_by_their_remedy() -> None:
    """a0.mov refused on both fast destinations is one file; a1.mov another card's copy; a
    file in the way that cannot be read is no refusal (a plain re-run reads it back). Failed
    before: copies were counted (a0.mov twice: "different files hold their names" for 2 of
    3 failed files), by the words "already exists" (the unreadable one counted, and another
    card's copy given --overwrite)."""
    copies = [("a0.mov", IN_THE_WAY), ("a0.mov", IN_THE_WAY), ("a2.mov", UNREAD)]
    assert fast_refused(copies) == (1, 0, 0, 1)
    assert fast_refused([*copies, ("a1.mov", OTHER_CARD)]) == (2, 1, 0, 1)
    # Read once: a generator of them counts the same (the terminal's summary passes one).
    assert fast_refused(iter([*copies, ("a1.mov", OTHER_CARD)])) == (2, 1, 0, 1)
    # An earlier take's copy is counted apart (``Refusal.EARLIER_COPY``); a file refused for
    # another card's copy on one fast destination, an earlier take's on another, in both
    # (failed before: once, as another card's, its earlier take never named); a3.mov refused
    # for an earlier take's copy on one and a plain file on another, in both too (failed
    # before: as an earlier take's alone, the plain file said to be one).
    both = [
        *copies,
        ("a1.mov", OTHER_CARD),
        ("a3.mov", EARLIER),
        ("a1.mov", EARLIER),
        ("a3.mov", IN_THE_WAY),
    ]
    assert fast_refused(both) == (3, 1, 2, 2)
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
    assert "earlier take" not in other, other
    # Of an earlier take's copies, by their kind: never "other cards'" (failed before: the
    # kind was another card's, the words naming both).
    takes = cascade_sentence(facts._replace(fast_refused=2, fast_earlier=2))
    assert "--overwrite (" not in takes and "never --overwrite" in takes, takes
    assert "earlier takes' copies hold their names there" in takes, takes
    assert "other card" not in takes, takes
    mixed = cascade_sentence(facts._replace(fast_refused=2, fast_other_card=1, fast_earlier=1))
    assert (
        "copies never to be overwritten (other cards', or earlier takes') hold their names there"
        in mixed
    ), mixed
    # One of them a plain file in the way: still never --overwrite, which is for the whole
    # run and would replace the earlier take's copy too (failed before: "--overwrite ...
    # where a file of no other card holds the name", which an earlier take's copy is).
    some = cascade_sentence(facts._replace(fast_refused=2, fast_earlier=1, fast_plain=1))
    assert "--overwrite (" not in some and "never --overwrite" in some, some
    assert "earlier takes' copies or different files hold their names there" in some, some
    assert "no other card" not in some, some
    # Not counted (a caller that does not count plain files): the file no kind accounts for
    # is a plain one all the same.
    assert some == cascade_sentence(facts._replace(fast_refused=2, fast_earlier=1))
