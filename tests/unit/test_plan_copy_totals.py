"""What a plan says it will copy (``OffloadPlan.files_to_copy``, ``bytes_to_copy``: the
"Offloading N files ... M to copy" line and the live view's total): a file counts when at
least one destination gets a copy of it, none when every target is None (verified there
already) or refused as in the way; the same count whether anything is in the way or not
(the plan takes a shorter path when nothing is)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from offload.card import plan_offload
from offload.engine.messages import FileTask


def _plan(tmp_path: Path):  # type: ignore[no-untyped-def]
    card = tmp_path / "CARD" / "DCIM"
    card.mkdir(parents=True)
    for n, size in enumerate((100, 200, 300, 400)):
        (card / f"C{n:03d}.MP4").write_bytes(os.urandom(size))
    dests = [tmp_path / "a", tmp_path / "b"]
    for dest in dests:
        dest.mkdir()
    return plan_offload(tmp_path / "CARD", dests)


def test_a_first_offload_copies_every_file(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    assert (plan.files_to_copy, plan.bytes_to_copy) == (4, 1000)


def test_files_without_a_copy_to_write_are_not_counted(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    # By size: 100 everywhere, 200 nowhere (verified on both already), 300 on the second
    # destination alone, 400 on both.
    first, second, third, fourth = plan.tasks
    tasks = [
        first,
        FileTask(second.source, (None, None)),
        FileTask(third.source, (None, third.targets[1])),
        fourth,
    ]
    free = dataclasses.replace(plan, tasks=tasks)
    assert (free.files_to_copy, free.bytes_to_copy) == (3, 800)
    # Refused as in the way: the 300's only copy, and one of the 400's two.
    refused = dataclasses.replace(plan, tasks=tasks, in_the_way={(2, 1): "", (3, 0): "size"})
    assert (refused.files_to_copy, refused.bytes_to_copy) == (2, 500)
    # Something in the way elsewhere changes nothing for the others.
    other = dataclasses.replace(plan, tasks=tasks, in_the_way={(1, 0): ""})
    assert (other.files_to_copy, other.bytes_to_copy) == (3, 800)
