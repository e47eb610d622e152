"""The events a job makes are the ones its subscribers take (``EventSink.accepts``): a
subscriber that names the events it takes gets no per-file event it did not name, because
the engine does not make them (``offload copy --quiet``'s subscribers take warnings and a
few phases; the ~5 events a file and destination it made for nobody were a share of a small
file's cost: docs/performance.md, "The 50,000-file card: tenth pass"). A subscriber that
names nothing still gets every event, beside one that names a few."""

from __future__ import annotations

import io
import os
import shutil
import threading
from pathlib import Path

import pytest

from offload.card import OffloadOptions, _PlannedWorkAnnouncer, offload
from offload.cli.common import Environment
from offload.cli.offload import _ReportModulesLoader, _WarningPrinter
from offload.events import (
    BytesVerified,
    CardReleased,
    DestinationBytesWritten,
    Event,
    FanoutSink,
    FileStarted,
    FileVerified,
    JobFinished,
    JobStarted,
    NullSink,
    PhaseChanged,
    SourceBytesRead,
    WarningIssued,
    phases_of,
    wanted,
    wanted_phase,
)
from offload.options import CopyOptions, VerifyMode

FILES = 5
# The events made for each file (and destination): none of them is made for a subscriber
# that does not take them.
PER_FILE = (FileStarted, SourceBytesRead, DestinationBytesWritten, BytesVerified, FileVerified)


class Taking:
    """Keeps every event it is given; *accepts*: the classes it says it takes (None: all);
    *phases*: the phases it says it takes (None: all)."""

    def __init__(
        self, accepts: frozenset[type[Event]] | None, phases: frozenset[str] | None = None
    ) -> None:
        if accepts is not None:
            self.accepts = accepts
        if phases is not None:
            self.phases = phases
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)


def _card(root: Path) -> Path:
    card = root / "CARD"
    (card / "CLIPS").mkdir(parents=True)
    for index in range(FILES):
        (card / "CLIPS" / f"C{index:03d}.MOV").write_bytes(os.urandom(3000 + index))
    return card


@pytest.mark.parametrize("verify", [VerifyMode.TRANSFER, VerifyMode.FULL])
def test_a_subscriber_that_names_its_events_gets_no_per_file_event(
    tmp_path: Path, verify: VerifyMode
) -> None:
    """Failed before: the engine made every per-file event whatever its subscribers took
    (the narrow subscriber got FileStarted, the byte counts, FileVerified and each file's
    phases, and ignored them)."""
    card = _card(tmp_path)
    dests = [tmp_path / "d1", tmp_path / "d2"]
    for dest in dests:
        dest.mkdir()
    narrow = Taking(frozenset({WarningIssued, JobFinished}))
    report = offload(
        card, dests, options=OffloadOptions(copy=CopyOptions(verify=verify)), sink=narrow
    )
    assert report.exit_code == 0
    assert len(report.job.files) == FILES and all(f.ok for f in report.job.files)
    kinds = {type(event) for event in narrow.events}
    assert not kinds & set(PER_FILE), kinds
    assert JobFinished in kinds
    # Each file's phases are not made (a batch's, once a batch, still are).
    phases = {e.phase for e in narrow.events if isinstance(e, PhaseChanged)}
    assert not phases & {"copy", "verify"}, phases
    for dest in dests:
        for index in range(FILES):
            name = f"C{index:03d}.MOV"
            copied = (dest / "CARD" / "CLIPS" / name).read_bytes()
            assert copied == (card / "CLIPS" / name).read_bytes()


@pytest.mark.parametrize("verify", [VerifyMode.TRANSFER, VerifyMode.FULL])
def test_a_subscriber_that_names_its_phases_gets_no_file_phase(
    tmp_path: Path, verify: VerifyMode
) -> None:
    """A subscriber taking ``PhaseChanged`` of the "flush" phase alone (``offload copy
    --quiet``'s report-modules loader) gets no file's own phase: the engine does not make
    them, while a subscriber beside it that names no phases still gets them all. Failed
    before: the engine made "copy" (source and each destination) and "verify" (each
    read-back, the source's re-read) for every file once anyone took ``PhaseChanged``."""
    card = _card(tmp_path)
    dests = [tmp_path / "d1", tmp_path / "d2"]
    for dest in dests:
        dest.mkdir()
    flush_only = Taking(frozenset({PhaseChanged, JobFinished}), frozenset({"flush"}))
    options = OffloadOptions(copy=CopyOptions(verify=verify))
    report = offload(card, dests, options=options, sink=flush_only)
    assert report.exit_code == 0
    assert len(report.job.files) == FILES and all(f.ok for f in report.job.files)
    phases = [e.phase for e in flush_only.events if isinstance(e, PhaseChanged)]
    assert "flush" in phases, phases
    assert not {"copy", "verify"} & set(phases), phases
    # Beside a subscriber that takes every phase, both get them all (a FanoutSink forwards).
    for dest in dests:
        shutil.rmtree(dest)
        dest.mkdir()
    flush_only, every = Taking(frozenset({PhaseChanged}), frozenset({"flush"})), Taking(None)
    report = offload(card, dests, options=options, sink=FanoutSink(flush_only, every))
    assert report.exit_code == 0
    copying = [e for e in every.events if isinstance(e, PhaseChanged) and e.phase == "copy"]
    assert len(copying) == FILES * (len(dests) + 1)  # each destination's and the source's
    if verify is VerifyMode.FULL:
        verifying = {e.phase for e in every.events if isinstance(e, PhaseChanged)}
        assert "verify" in verifying


def test_a_subscriber_that_names_nothing_still_gets_every_event(tmp_path: Path) -> None:
    card = _card(tmp_path)
    dests = [tmp_path / "d1", tmp_path / "d2"]
    for dest in dests:
        dest.mkdir()
    narrow = Taking(frozenset({WarningIssued}))
    every = Taking(None)
    options = OffloadOptions(copy=CopyOptions(verify=VerifyMode.FULL))
    report = offload(card, dests, options=options, sink=FanoutSink(narrow, every))
    assert report.exit_code == 0
    seen = [type(e) for e in every.events]
    assert seen.count(FileStarted) == FILES
    assert seen.count(FileVerified) == FILES * len(dests)
    for kind in (SourceBytesRead, DestinationBytesWritten, BytesVerified, JobStarted):
        assert kind in seen, kind
    phases = {e.phase for e in every.events if isinstance(e, PhaseChanged)}
    assert {"copy", "flush", "verify", "commit"} <= phases, phases


def test_what_subscribers_take_together() -> None:
    """A FanoutSink takes what its subscribers take; one taking everything makes it take
    everything; the card layer's announcer also takes the JobStarted it answers with
    WorkPlanned; a NullSink takes nothing."""
    narrow = Taking(frozenset({WarningIssued}))
    assert FanoutSink(narrow).accepts == {WarningIssued}
    assert FanoutSink(narrow, Taking(None)).accepts is None
    assert FanoutSink().accepts == frozenset()
    assert not wanted(NullSink(), FileVerified)
    assert wanted(object(), FileVerified)  # a sink that names nothing takes everything
    announcer = _PlannedWorkAnnouncer(FanoutSink(narrow), [])
    assert wanted(announcer, JobStarted) and wanted(announcer, WarningIssued)
    assert not wanted(announcer, FileVerified)
    assert _PlannedWorkAnnouncer(Taking(None), []).accepts is None
    # Phases: a subscriber that takes no PhaseChanged adds none; one that names none takes
    # them all; the wrappers pass on what their subscribers name.
    flush = Taking(frozenset({PhaseChanged}), frozenset({"flush"}))
    assert phases_of([narrow, flush]) == {"flush"}
    assert phases_of([flush, Taking(frozenset({PhaseChanged}))]) is None
    assert phases_of([narrow]) == frozenset()
    assert wanted_phase(FanoutSink(narrow, flush), "flush")
    assert not wanted_phase(FanoutSink(narrow, flush), "copy")
    assert not wanted_phase(_PlannedWorkAnnouncer(FanoutSink(flush), []), "verify")
    assert wanted_phase(_PlannedWorkAnnouncer(FanoutSink(flush, Taking(None)), []), "copy")
    assert not wanted_phase(FanoutSink(narrow), "flush")  # takes no PhaseChanged at all


def test_offload_copy_quiet_subscribers_take_no_per_file_event() -> None:
    """``offload copy --quiet`` (no live view, no ``--json``, no progress trace) hands the job
    its warning printer and its report-modules loader, as ``cli.offload._offload`` composes
    them: together they take warnings, the card's release, the job's end and the phases,
    none of the per-file events. Failed before: neither named what it takes (everything)."""
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO())
    quiet = _PlannedWorkAnnouncer(
        FanoutSink(FanoutSink(_WarningPrinter(env)), _ReportModulesLoader(summary=True)), []
    )
    for kind in PER_FILE:
        assert not wanted(quiet, kind), kind
    for kind in (WarningIssued, CardReleased, JobFinished, PhaseChanged):
        assert wanted(quiet, kind), kind
    # Of the phases, the batch's "flush" that starts the loader; no file's own phase.
    assert wanted_phase(quiet, "flush")
    assert not wanted_phase(quiet, "copy") and not wanted_phase(quiet, "verify")
