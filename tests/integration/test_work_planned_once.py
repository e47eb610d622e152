"""The first job's ``WorkPlanned`` (the progress's totals) when it is the whole offload (no
cascade, nothing to write again): taken from the offload's ``OffloadPlanned``, not summed
again, and the same numbers as the sums of the job's tasks; on a re-run with copies there
already (their targets None) as on a first offload."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

import offload.card as card
from offload.card import plan_offload, run_offload
from offload.events import Event, OffloadPlanned, WorkPlanned


class _Events:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        with self.lock:
            self.events.append(event)


def _card(root: Path) -> Path:
    card_root = root / "CARD"
    for folder in ("DCIM/100", "DCIM/101"):
        (card_root / folder).mkdir(parents=True)
        for n in range(4):
            (card_root / folder / f"F{n}.JPG").write_bytes(os.urandom(100 + n))
    return card_root


def _summed(tasks: list, destinations: int) -> WorkPlanned:  # type: ignore[type-arg]
    return WorkPlanned(
        source_bytes=sum(t.source.size_bytes for t in tasks if any(t.targets)),
        destination_bytes=tuple(
            sum(t.source.size_bytes for t in tasks if t.targets[i] is not None)
            for i in range(destinations)
        ),
        destination_files=tuple(
            sum(1 for t in tasks if t.targets[i] is not None) for i in range(destinations)
        ),
    )


@pytest.mark.parametrize("destinations", [1, 2])
def test_work_planned_is_the_offload_planned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, destinations: int
) -> None:
    source = _card(tmp_path)
    dests = [tmp_path / f"d{i}" for i in range(destinations)]
    for dest in dests:
        dest.mkdir()
    given: list[object] = []
    announcer = card._PlannedWorkAnnouncer

    class Announcer(announcer):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            given.append(kwargs.get("planned"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(card, "_PlannedWorkAnnouncer", Announcer)
    for run in range(2):
        if run == 1:  # a re-run with one copy gone: the others' targets None
            (dests[-1] / "CARD" / "DCIM" / "100" / "F0.JPG").unlink()
        plan = plan_offload(source, dests)
        events = _Events()
        report = run_offload(plan, sink=events)
        assert report.exit_code == 0
        offload_planned = [e for e in events.events if isinstance(e, OffloadPlanned)]
        work_planned = [e for e in events.events if isinstance(e, WorkPlanned)]
        assert len(offload_planned) == 1 and len(work_planned) == 1
        assert given[-1] is offload_planned[0]  # taken from it, not summed again
        assert work_planned[0] == _summed(plan.tasks, destinations)
    assert work_planned[0].destination_files[-1] == 1
