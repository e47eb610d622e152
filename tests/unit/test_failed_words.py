"""``report.words.failed_words``: the count of what failed in the terminal's ``NOT ALL
VERIFIED`` line and the HTML/PDF verdict. Where no copy failed, only the read of the source:
it names what was read (the card, or the fast copy standing in for it in a cascade re-run
without its card) and that no copy failed; it never says "on at least one destination" of a
run where none failed (it did: "1 of 1 file failed on at least one destination")."""

from __future__ import annotations

from offload.report.words import failed_words


def test_copies_that_failed_are_counted_by_destination() -> None:
    assert failed_words(2, 10, 1) == "2 of 10 files failed on 1 destination"
    assert failed_words(2, 10, 3, card_only=True) == "2 of 10 files failed on 3 destinations"
    assert failed_words(1, 10, 0) == "1 of 10 files failed on at least one destination"
    assert failed_words(0, 10, 0, card_only=True) == ""


def test_no_copy_failed_names_what_was_read() -> None:
    assert failed_words(1, 1, 0, card_only=True) == (
        "1 of 1 file failed as the card was read (no copy failed)"
    )
    assert failed_words(2, 5, 0, card_only=True, stand_in=True) == (
        "2 of 5 files failed as the fast copy standing in for the card was read (no copy failed)"
    )


def test_cancelled_files_are_counted_apart_never_as_failed() -> None:
    """A copy root refused at the start in a ``--reverify`` run: its rechecks cancelled,
    counted so (tests/integration/test_refused_root_headline.py makes it for real)."""
    assert failed_words(0, 3, 0, cancelled=3, cancelled_on=1) == (
        "3 of 3 files were cancelled on 1 destination"
    )
    assert failed_words(1, 4, 1, cancelled=3, cancelled_on=1) == (
        "1 of 4 files failed on 1 destination and 3 were cancelled on 1 destination"
    )
    assert failed_words(1, 2, 0, card_only=True, cancelled=1, cancelled_on=2) == (
        "1 of 2 files failed as the card was read (no copy failed) and 1 was cancelled on "
        "2 destinations"
    )
