"""``card._in_the_way_warnings``: the copies a destination's warning names (the first three
and how many more, ``card._up_to_three``) and its remedy."""

from __future__ import annotations

from pathlib import Path

from offload.card import _in_the_way_warnings
from offload.plan.destination import DestinationPlan


def test_one_file_in_the_way_is_named_alone_and_five_as_three_and_2_more() -> None:
    plans = [
        DestinationPlan(0, Path("/d0"), Path("/d0/A001"), True),
        DestinationPlan(1, Path("/d1"), Path("/d1/A001"), True),
    ]
    five = [(i, f"/d1/A001/C{i}.mov", "") for i in range(5)]
    one, many = _in_the_way_warnings(
        plans, {0: [(0, "/d0/A001/C0.mov", "size")], 1: five}, protected=False
    )
    assert one.destination_index == 0 and many.destination_index == 1
    assert (
        "1 file of another size already at the name of a copy on /d0/A001: it is not "
        "overwritten and that copy fails (/d0/A001/C0.mov); " in one.message
    ), one.message
    assert "a copy of ours whose size changed" in one.message, one.message
    assert (
        "5 files of another size already at the name of a copy on /d1/A001: they are not "
        "overwritten and those copies fail (/d1/A001/C0.mov, /d1/A001/C1.mov, "
        "/d1/A001/C2.mov and 2 more); " in many.message
    ), many.message
