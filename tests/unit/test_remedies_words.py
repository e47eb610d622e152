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
