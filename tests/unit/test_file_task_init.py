"""``FileTask``'s own ``__init__`` (not the dataclass's) and the first offload's task list:
the same task as before, field for field, whichever way it is made.

A task keeps its targets as text (a ``Path`` given is turned into its text, None stays
None), its defaults are the dataclass's (no preset, no reference digests, no origin), it
stays frozen, and ``dataclasses.replace`` makes a task as before. A card's first offload to
one destination without a card history takes a shorter path in the plan (one target a
file, no digests looked up): its tasks are those of the general path."""

from __future__ import annotations

import copy
import dataclasses
import os
import pickle
from pathlib import Path

import pytest

from offload.card import plan_offload
from offload.engine.messages import FileTask
from offload.model import SourceFile
from offload.results import NO_DIGESTS


def _source() -> SourceFile:
    return SourceFile("/card/DCIM/A.JPG", "DCIM/A.JPG", 10, 1)


def test_defaults_and_text_targets() -> None:
    task = FileTask(_source(), ("/d1/CARD/DCIM/A.JPG", None))
    assert task.targets == ("/d1/CARD/DCIM/A.JPG", None)
    assert task.preset == ()
    assert task.reference_digests is NO_DIGESTS
    assert task.reference_origin == ""


def test_path_targets_become_text() -> None:
    task = FileTask(_source(), (None, Path("/d2/CARD/DCIM/A.JPG"), "/d3/CARD/DCIM/A.JPG"))
    assert task.targets == (None, "/d2/CARD/DCIM/A.JPG", "/d3/CARD/DCIM/A.JPG")
    assert all(t is None or type(t) is str for t in task.targets)


def test_keywords_replace_equality_and_frozen() -> None:
    task = FileTask(
        source=_source(),
        targets=(Path("/d1/A"),),
        reference_digests={"xxh64": "00"},
        reference_origin="card",
    )
    assert task.targets == ("/d1/A",)
    assert (task.reference_digests, task.reference_origin) == ({"xxh64": "00"}, "card")
    moved = dataclasses.replace(task, targets=(Path("/d2/A"),))
    assert moved.targets == ("/d2/A",)
    assert moved.reference_origin == "card"
    assert moved == FileTask(_source(), ("/d2/A",), (), {"xxh64": "00"}, "card")
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.targets = ()  # type: ignore[misc]


@pytest.mark.parametrize("destinations", [1, 2])
def test_first_offload_tasks(tmp_path: Path, destinations: int) -> None:
    card = tmp_path / "CARD"
    for folder in ("DCIM/100", "DCIM/101"):
        (card / folder).mkdir(parents=True)
        for n in range(3):
            (card / folder / f"F{n}.JPG").write_bytes(os.urandom(10 + n))
    dests = [tmp_path / f"d{i}" for i in range(destinations)]
    for dest in dests:
        dest.mkdir()
    plan = plan_offload(card, dests)
    expected = [
        FileTask(
            source,
            tuple(str(dest / "CARD" / source.relative_path) for dest in dests),
            (),
            NO_DIGESTS,
            "",
        )
        for source in plan.tree.files
    ]
    assert plan.tasks == expected
    assert [task.source for task in plan.tasks] == list(plan.tree.files)


def test_source_file_fields_each_in_its_own_slot() -> None:
    made = SourceFile(Path("/card/DCIM/A.JPG"), "DCIM/A.JPG", 10, 7)
    assert (made.path_text, made.relative_path, made.size_bytes, made.mtime_ns) == (
        "/card/DCIM/A.JPG",
        "DCIM/A.JPG",
        10,
        7,
    )
    assert made.path == Path("/card/DCIM/A.JPG")
    assert made == SourceFile("/card/DCIM/A.JPG", "DCIM/A.JPG", 10, 7)
    assert hash(made) == hash(SourceFile("/card/DCIM/A.JPG", "DCIM/A.JPG", 10, 7))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.size_bytes = 11  # type: ignore[misc]


def test_pickled_and_copied_as_they_were() -> None:
    task = FileTask(_source(), ("/d1/A", None), (), {"xxh64": "00"}, "card")
    assert pickle.loads(pickle.dumps(task)) == task
    assert copy.deepcopy(task) == task
    assert pickle.loads(pickle.dumps(task.source)) == task.source
