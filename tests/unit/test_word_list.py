"""``word_list``: the one rule by which a message names several things in words."""

from __future__ import annotations

import pytest

from offload.plan.preflight.findings import join_paths
from offload.word_list import word_list


@pytest.mark.parametrize(
    ("texts", "said"),
    [
        (["a"], "a"),
        (["a", "b"], "a and b"),
        (["a", "b", "c"], "a, b and c"),
        (["a, b", "c"], "a, b and c"),  # joined as they are
    ],
)
def test_a_list_in_words(texts: list[str], said: str) -> None:
    assert word_list(texts) == said


def test_nothing_to_list_raises() -> None:
    with pytest.raises(IndexError):
        word_list([])


def test_paths_made_printable_then_listed() -> None:
    """The preflight's names: each printable first (a line break never cuts the line)."""
    assert join_paths(["/a", "/b\nc", "/d"]) == "/a, /b\\x0ac and /d"


@pytest.mark.parametrize(
    ("counts", "listed"),
    [
        ((2, 0, 0), "the 2 copies found wrong above"),
        ((0, 1, 3), "the 1 copy listed CHANGED above by size alone and the 3 copies listed"),
        (
            (2, 1, 3),
            "the 2 copies found wrong above, the 1 copy listed CHANGED above by size alone "
            "and the 3 copies listed UNREADABLE above",
        ),
    ],
)
def test_verify_footer_lists_the_copies_it_cannot_vouch_for(
    counts: tuple[int, int, int], listed: str
) -> None:
    """``offload verify``'s footer where the ledger could not be read: the copies whose
    record is unknown, listed by the same rule."""
    from offload.cli.verify_cmd import _ledger_unknown_words

    words = _ledger_unknown_words(PermissionError(13, "Permission denied"), *counts)
    assert f"whether it still records {listed}" in words, words
