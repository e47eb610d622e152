"""``existing.record_formats``: the format a card file is hashed in too when its ledger
record shares none with the run's (a ``-t`` change since)."""

from __future__ import annotations

from pathlib import Path

from offload.existing import CheckKind, ExistingCopy, record_formats


def _check(card_recorded: dict[str, str]) -> ExistingCopy:
    return ExistingCopy(
        task_index=0,
        destination_index=0,
        final_path=Path("/nowhere/A.mov"),
        kind=CheckKind.REVERIFY,
        changed="grown since",
        card_recorded=card_recorded,
    )


def test_the_card_file_is_hashed_in_the_fastest_format_of_its_record_alone() -> None:
    """A ``-t md5`` entry records xxh128 too (its read-back's): one digest of the record
    proves the card file as it, so it is hashed in the fastest (xxh128), not in both.
    Failed before (review of fixrev61, LOW 5): ("md5", "xxh128"), md5 the slower by far."""
    recorded = {"md5": "0" * 32, "xxh128": "1" * 32, "from-a-later-version": "2"}
    assert record_formats(_check(recorded), ["xxh64"]) == ("xxh128",)
    assert record_formats(_check({"md5": "0" * 32}), ["xxh64"]) == ("md5",)


def test_no_format_where_the_record_shares_one_or_computes_none() -> None:
    assert record_formats(_check({"md5": "0" * 32, "xxh64": "1" * 16}), ["xxh64"]) == ()
    assert record_formats(_check({"from-a-later-version": "2"}), ["xxh64"]) == ()
    assert record_formats(_check({}), ["xxh64"]) == ()
