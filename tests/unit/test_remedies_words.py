"""The remedies' words agree in number with what they name."""

from __future__ import annotations

from offload.remedies import many_in_the_way


def test_one_copy_of_ours_among_files_in_the_way_is_an_it() -> None:
    """Two files in the way, one a copy of ours whose size changed: before, "1 of them is a
    copy of ours whose size changed since they were recorded"."""
    words = many_in_the_way(1, 2)
    assert "1 of them is a copy of ours whose size changed since it was recorded" in words
    assert "--reverify replaces it" in words
    words = many_in_the_way(2, 3)
    assert "2 of them are copies of ours whose size changed since they were recorded" in words
    assert "--reverify replaces those" in words
    assert "since they were recorded" in many_in_the_way(2, 2)


def test_earlier_copies_among_files_in_the_way_are_counted_in_the_right_number() -> None:
    """Files in the way of which some are copies an earlier offload made of earlier takes
    (``earlier``), the rest of other kinds: each part in its own number. Failed before:
    "1 of them is recorded ... as copies ... of card files of these names", "for the
    other: --overwrite replaces them ...; all 1 are copies of ours", "for the other: all are
    recorded ... from another card"."""
    words = many_in_the_way(0, 3, earlier=1)
    assert "1 of them is recorded in this copy root's ledger as a copy an earlier" in words
    assert "of a card file of its name" in words and "as copies" not in words, words
    # (--overwrite is for the whole run: offered for the others, it would replace the
    # earlier take's copy too.)
    assert "for the others: --keep-both keeps both, --into another folder" in words, words
    words = many_in_the_way(1, 2, earlier=1)
    assert "all 1" not in words and "replaces them" not in words, words
    assert "for the other: --keep-both keeps both, --into another folder" in words, words
    assert "it is a copy of ours whose size changed" in words, words
    words = many_in_the_way(0, 2, other_card=1, earlier=1)
    assert "all are recorded in this copy root's ledger from another card" not in words, words
    assert "for the other: it is recorded in this copy root's ledger from another card" in words
    assert "2 of them are recorded" in many_in_the_way(0, 3, earlier=2)
    assert "all are recorded" in many_in_the_way(0, 2, earlier=2)


def _offers_overwrite_first(words: str) -> bool:
    """Whether *words* name --overwrite before --keep-both (or without it)."""
    return "--overwrite" in words and (
        "--keep-both" not in words or words.index("--overwrite") < words.index("--keep-both")
    )


def test_a_copy_of_ours_beside_another_cards_copy_is_never_offered_overwrite_first() -> None:
    """Three files in the way of one destination, one another card's copy, one a copy of
    ours whose size changed: --overwrite is for the whole run and would replace the other
    card's copy too, so the words for the copy of ours offer --keep-both first. Failed
    before: "...; --overwrite replaces them once the new copies are verified, --keep-both
    keeps both; 1 of them is a copy of ours ..." after the other card's words."""
    words = many_in_the_way(1, 3, other_card=1)
    _, _, rest = words.partition("--keep-both keeps both here")
    assert rest and not _offers_overwrite_first(rest), words
    assert "--reverify replaces it" in words, words


def test_the_engines_default_remedy_follows_the_run() -> None:
    """``Remedies.of`` a target the planner words nothing for (a plain file in the way, or
    one that appeared after the plan): --overwrite first in a run with no copy never to be
    overwritten in its way, --keep-both first (--overwrite only as what it would also
    replace) in one with such a copy, on any destination (``holds_protected``)."""
    from offload.remedies import Refusal, Remedies, earlier_word, holds_protected

    assert not holds_protected(["", "size", "revoked"])
    assert holds_protected(["", "card"])
    assert holds_protected(["size", earlier_word("verified on 2026-12-06 10:00 UTC")])
    plain = Remedies({}).of("/d/A001/C000.mov")
    assert plain.words.startswith("--overwrite replaces it"), plain
    assert plain.refusal is Refusal.IN_THE_WAY
    kept = Remedies({}, protected=True).of("/d/A001/C000.mov")
    assert kept.words.startswith("--keep-both keeps both, --into another folder"), kept
    assert "--overwrite is for the whole run: it would also replace" in kept.words, kept
    assert kept.refusal is Refusal.IN_THE_WAY


def test_one_other_cards_copy_among_files_in_the_way_is_an_it() -> None:
    """Failed before: "1 of them are recorded in this copy root's ledger from another
    card"."""
    words = many_in_the_way(0, 3, other_card=1)
    assert "1 of them is recorded in this copy root's ledger from another card" in words
    assert "2 of them are recorded" in many_in_the_way(0, 3, other_card=2)


def test_the_plain_files_beside_another_cards_copy_are_counted_and_offered_keep_both() -> None:
    """Three files in the way of one destination, one another card's copy, two plain files:
    the two get words of their own, their count said, --keep-both first. Failed before: the
    other card's words alone ("1 of them is recorded ... from another card: --into ...,
    --keep-both keeps both here"), nothing said of the other 2."""
    words = many_in_the_way(0, 3, other_card=1)
    _, _, rest = words.partition("--keep-both keeps both here")
    assert rest.startswith("; for the other 2: --keep-both keeps both"), words
    assert not _offers_overwrite_first(rest), words
    assert "for the other" not in many_in_the_way(0, 2, other_card=2)


def test_a_copy_found_other_before_its_manifest_is_never_offered_overwrite_first() -> None:
    """A copy found another file when its drive's copies are looked at again before the
    manifest: on a disk, --reverify (its revocation keeps the entry it ended, the next run
    names --reverify); on a bucket, --overwrite first only where no copy never to be
    overwritten stands in the run's way (QA qawords67: followed, --overwrite replaced an
    earlier take's copy)."""
    from offload.remedies import LOOKED_AGAIN_OTHER, object_found_other

    assert "--overwrite" not in LOOKED_AGAIN_OTHER and "--reverify" in LOOKED_AGAIN_OTHER
    assert object_found_other().index("--overwrite") < object_found_other().index("--keep-both")
    guarded = object_found_other(protected=True)
    assert guarded.index("--keep-both") < guarded.index("--overwrite"), guarded
    assert "would also replace" in guarded, guarded
