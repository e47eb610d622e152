"""The start of an ``offload copy`` (the plan, the engine's set-up): made with the cyclic
collector paused, and it runs again before the copy's threads start, also when the plan
refuses the run."""

from __future__ import annotations

import gc
import io
import os
from pathlib import Path

import pytest

import offload.cli.offload as command
from offload.cli.common import Environment
from offload.engine import job
from offload.engine.messages import FileTicket


def _card(root: Path, count: int = 5) -> Path:
    card = root / "A001"
    for i in range(count):
        path = card / "CLIPS" / f"C{i:04d}.MOV"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(1000 + i))
    return card


def _run(tmp_path: Path, card: Path, dest: Path) -> int:
    return command.main(
        ["copy", "--quiet", "--verify", "transfer", "--report-dir", str(tmp_path / "R"),
         str(card), str(dest)],
        Environment(stdout=io.StringIO(), stderr=io.StringIO(), install_signal_handlers=False),
    )  # fmt: skip


def test_the_plan_and_the_set_up_run_with_the_collector_paused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, list[bool]] = {"plan": [], "ticket": [], "threads": []}
    plan_offload = command.plan_offload

    def planned(*args: object, **kwargs: object) -> object:
        seen["plan"].append(gc.isenabled())
        return plan_offload(*args, **kwargs)  # type: ignore[arg-type]

    class Ticket(FileTicket):
        __slots__ = ()

        def __init__(self, *args: object) -> None:
            seen["ticket"].append(gc.isenabled())
            super().__init__(*args)  # type: ignore[arg-type]

    start = job._SignallingThread.start

    def started(thread: job._SignallingThread) -> None:
        seen["threads"].append(gc.isenabled())
        start(thread)

    monkeypatch.setattr(command, "plan_offload", planned)
    monkeypatch.setattr(job, "FileTicket", Ticket)
    monkeypatch.setattr(job._SignallingThread, "start", started)
    dest = tmp_path / "dest"
    dest.mkdir()
    assert gc.isenabled()
    assert _run(tmp_path, _card(tmp_path), dest) == 0
    assert seen["plan"] == [False]
    assert seen["ticket"] == [False] * 5
    assert seen["threads"] and all(seen["threads"])  # on again before the copy starts
    assert gc.isenabled()
    assert sorted(p.name for p in (dest / "A001" / "CLIPS").iterdir()) == [
        f"C{i:04d}.MOV" for i in range(5)
    ]


def test_a_refused_plan_leaves_the_collector_on(tmp_path: Path) -> None:
    assert gc.isenabled()
    assert _run(tmp_path, _card(tmp_path), tmp_path / "missing") == 64
    assert gc.isenabled()


def test_the_set_up_restores_what_it_found_also_on_errors() -> None:
    assert gc.isenabled()
    with pytest.raises(KeyError), job._collector_paused():
        assert not gc.isenabled()
        raise KeyError("x")
    assert gc.isenabled()
    gc.disable()
    try:
        with job._collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()
