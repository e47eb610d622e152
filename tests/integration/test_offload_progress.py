"""The progress of a whole offload, driven by real jobs on real files: one model over every job
of the offload (a cascade's card pass and its cascade), each destination's state true in both
passes, the fraction monotonic and 1.0 only at the very end; a cancelled run says cancelled."""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from rich.console import Console

from offload.card import OffloadOptions, offload
from offload.cli.live import render
from offload.engine.cancel import CancelToken
from offload.events import (
    CardReleased,
    Event,
    FanoutSink,
    FileFailed,
    FileStarted,
    FileVerified,
    OffloadFinished,
    OffloadPlanned,
)
from offload.options import CopyOptions
from offload.progress import ProgressModel, ProgressSnapshot
from offload.report.events_json import JsonLinesSink
from support.cards import flip_bytes

SIZE = 300_000


def make_card(root: Path, files: int = 4) -> Path:
    card = root / "A005R1"
    (card / "CLIPS").mkdir(parents=True)
    for index in range(files):
        (card / "CLIPS" / f"A005C{index:03d}.mov").write_bytes(os.urandom(SIZE))
    return card


class Recorder:
    """Feeds the model, then notes the event and a snapshot taken right after it. *tick*:
    the model's clock moves on by that much at each event (an ETA needs a second of
    measurement, longer than these small jobs take)."""

    def __init__(self, model: ProgressModel | None = None, *, tick: float = 0.0) -> None:
        self.now = 0.0
        self.tick = tick
        self.model = model or ProgressModel(clock=lambda: self.now)
        self.seen: list[tuple[Event, ProgressSnapshot]] = []
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        with self._lock:
            self.now += self.tick
            self.model.emit(event)
            self.seen.append((event, self.model.snapshot()))


def test_a_cascade_is_one_progress_from_the_card_to_the_last_slow_copy(tmp_path: Path) -> None:
    card = make_card(tmp_path / "cards")
    fast, slow = tmp_path / "k1", tmp_path / "k2"
    fast.mkdir()
    slow.mkdir()
    recorder = Recorder(tick=0.05)
    options = OffloadOptions(cascade=frozenset({1}), copy=CopyOptions(batch_files=1))
    report = offload(card, [fast, slow], options=options, sink=recorder)
    assert report.exit_code == 0
    seen = recorder.seen
    released = next(i for i, (e, _) in enumerate(seen) if isinstance(e, CardReleased))
    outcomes = [i for i, (e, _) in enumerate(seen) if isinstance(e, FileVerified)]
    assert len(outcomes) == 8  # 4 files on each of the two destinations

    fractions = [snap.fraction for _, snap in seen]
    assert fractions == sorted(fractions), fractions  # never goes back
    assert fractions.index(1.0) >= outcomes[-1], fractions  # 1.0 once the last is verified
    assert max(fractions[: released + 1]) < 0.75  # the card pass is not the whole offload

    total = 4 * SIZE
    planned = next(i for i, (e, _) in enumerate(seen) if isinstance(e, OffloadPlanned))
    for event, snap in seen[planned : released + 1]:  # the card's pass: the slow one waits
        assert snap.destinations[1].phase == "waiting", (event, snap.destinations[1])
        assert snap.destinations[1].bytes_written == 0
    # The slow one, not fed yet, has no rate: it must not hold the card's release's ETA at
    # none (the offload's own ETA is none then: the slow one's speed decides its end).
    assert any(snap.card_eta_s is not None for _, snap in seen[planned:released]), "no ETA"
    card_pass_end = seen[released][1]
    assert card_pass_end.files_finished == 0  # no file is on both yet
    assert card_pass_end.destinations[0].phase == "done"
    assert card_pass_end.destinations[0].files_done == 4
    for event, snap in seen[released:]:  # the cascade: the fast one stays done, its counts
        fast_state = snap.destinations[0]
        assert (fast_state.phase, fast_state.files_done) == ("done", 4), (event, fast_state)
        assert fast_state.bytes_written == total and fast_state.bytes_verified == total
    finished = [snap.files_finished for _, snap in seen]
    assert finished == sorted(finished) and finished[-1] == 4
    last = seen[-1][1]
    assert isinstance(seen[-1][0], OffloadFinished) and last.finished
    assert [(d.phase, d.files_done, d.bytes_written) for d in last.destinations] == [
        ("done", 4, total),
        ("done", 4, total),
    ]
    assert (last.total_files, last.fraction) == (4, 1.0)


def json_lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_json_progress_of_a_cascade_counts_files_and_rises_once(tmp_path: Path) -> None:
    card = make_card(tmp_path / "cards")
    fast, slow = tmp_path / "k1", tmp_path / "k2"
    fast.mkdir()
    slow.mkdir()
    out = io.StringIO()
    options = OffloadOptions(cascade=frozenset({1}))
    report = offload(
        card, [fast, slow], options=options, sink=JsonLinesSink(out, progress=ProgressModel())
    )
    assert report.exit_code == 0
    lines = json_lines(out)
    progress = [line for line in lines if line["event"] == "progress"]
    fractions = [line["fraction"] for line in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0, fractions
    names = [line["event"] for line in lines]
    last_verified = len(names) - 1 - names[::-1].index("file_verified")
    first_whole = next(i for i, line in enumerate(lines) if line.get("fraction") == 1.0)
    assert first_whole > last_verified  # 1.0 only once the last file is verified
    assert progress[-1]["files_finished"] == 4 and progress[-1]["files_total"] == 4
    assert [d["phase"] for d in progress[-1]["destinations"]] == ["done", "done"]  # type: ignore[union-attr,index]
    assert [d["files_done"] for d in progress[-1]["destinations"]] == [4, 4]  # type: ignore[union-attr,index]


def test_a_cancelled_offload_says_cancelled_in_its_last_progress(tmp_path: Path) -> None:
    card = make_card(tmp_path / "cards", files=12)
    dests = [tmp_path / "c1", tmp_path / "c2"]
    for dest in dests:
        dest.mkdir()
    cancel = CancelToken()

    class CancelAtFirstFile:
        def emit(self, event: Event) -> None:
            if isinstance(event, FileStarted):
                cancel.cancel()

    out = io.StringIO()
    json_sink = JsonLinesSink(out, progress=ProgressModel())
    report = offload(
        card,
        dests,
        options=OffloadOptions(copy=CopyOptions(batch_files=1)),
        sink=FanoutSink(json_sink, CancelAtFirstFile()),
        cancel=cancel,
    )
    assert report.exit_code == 130
    progress = [line for line in json_lines(out) if line["event"] == "progress"]
    last = progress[-1]["destinations"]
    assert [d["phase"] for d in last] == ["cancelled", "cancelled"], last  # type: ignore[index,union-attr]
    assert [d["lost"] for d in last] == [False, False], last  # type: ignore[index,union-attr]
    assert progress[-1]["fraction"] < 1.0


def test_a_finished_destination_names_no_current_file(tmp_path: Path) -> None:
    """Once a job ends, a destination whose files all have their outcome is done and the
    live view's "current file" cell is empty there. Failed before: the last file a phase
    was announced for stayed beside "done" (a full run of 56 files: the 13th clip, while the
    reports were written), as if it were still being copied."""
    card = make_card(tmp_path / "cards", files=6)
    dests = [tmp_path / "c1", tmp_path / "c2"]
    for dest in dests:
        dest.mkdir()
    recorder = Recorder(ProgressModel())
    report = offload(card, dests, sink=recorder)
    assert report.exit_code == 0
    last = recorder.seen[-1][1]
    assert [(d.phase, d.files_done) for d in last.destinations] == [("done", 6), ("done", 6)]
    console = Console(width=160, record=True, color_system=None, force_terminal=False)
    console.print(render(last))
    text = console.export_text()
    assert "current file" in text, text
    rows = [line.split() for line in text.splitlines() if line.startswith(("1 ", "2 "))]
    # index, destination, state, written, read back, done, failed: no file after them
    assert [row[2:] for row in rows] == [["done", "1.8", "MB", "1.8", "MB", "6", "0"]] * 2, text


def test_a_cancelled_cascade_keeps_the_fast_copy_done(tmp_path: Path) -> None:
    card = make_card(tmp_path / "cards", files=12)
    fast, slow = tmp_path / "k1", tmp_path / "k2"
    fast.mkdir()
    slow.mkdir()
    cancel = CancelToken()
    recorder = Recorder(ProgressModel())

    class CancelInCascade:
        def emit(self, event: Event) -> None:
            recorder.emit(event)
            if isinstance(event, FileVerified | FileFailed) and event.destination_index == 1:
                cancel.cancel()

    options = OffloadOptions(cascade=frozenset({1}), copy=CopyOptions(batch_files=1))
    report = offload(card, [fast, slow], options=options, sink=CancelInCascade(), cancel=cancel)
    assert report.exit_code == 130
    last = recorder.seen[-1][1]
    fast_state = last.destinations[0]
    assert (fast_state.phase, fast_state.files_done) == ("done", 12)
    assert last.destinations[1].phase == "cancelled"
    assert last.fraction < 1.0


def test_a_file_fed_again_from_another_fast_copy_keeps_the_bar_below_one(tmp_path: Path) -> None:
    # Two fast copies; one copy of a file is damaged after its verification: the cascade's
    # first job fails it on the slow destination, then feeds it again from the other copy.
    # That retry is work the offload's plan did not have: until it is read back the bar is
    # below 1.0 and the slow destination not done, and the file ends verified, not failed.
    card = make_card(tmp_path / "cards")
    fast = [tmp_path / "k1", tmp_path / "k2"]
    slow = tmp_path / "k3"
    for folder in (*fast, slow):
        folder.mkdir()
    victim = "CLIPS/A005C002.mov"
    recorder = Recorder(tick=0.05)

    class Damage:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):
                flip_bytes(fast[0] / card.name / victim, 7)
            recorder.emit(event)

    options = OffloadOptions(cascade=frozenset({2}), copy=CopyOptions(batch_files=1))
    report = offload(card, [*fast, slow], options=options, sink=Damage())
    assert report.exit_code == 1  # the damaged fast copy is reported
    bad = next(f for f in report.job.files if f.relative_path == victim)
    assert bad.destination(2).status.value == "verified"  # type: ignore[union-attr]
    seen = recorder.seen
    on_slow = [
        i
        for i, (e, _) in enumerate(seen)
        if isinstance(e, FileVerified) and e.destination_index == 2
    ]
    assert len(on_slow) == 4
    for event, snap in seen[: on_slow[-1] + 1]:
        assert snap.fraction < 1.0, (event, snap.fraction)
    retried = [
        i
        for i, (e, _) in enumerate(seen)
        if isinstance(e, FileStarted) and e.relative_path == victim
    ]
    assert len(retried) == 3  # the card's pass, the cascade, the retry
    for event, snap in seen[retried[-1] : on_slow[-1]]:
        assert snap.destinations[2].phase != "done", (event, snap.destinations[2])
    fractions = [snap.fraction for _, snap in seen]
    assert fractions == sorted(fractions), fractions
    last = seen[-1][1]
    assert (last.fraction, last.files_finished, last.total_files) == (1.0, 4, 4)
    slow_state = last.destinations[2]
    assert (slow_state.phase, slow_state.files_done, slow_state.files_failed) == ("done", 4, 0)
    # The damaged fast copy is reported failed (report and view agree), the other one good.
    assert bad.destination(0).status.value == "failed"  # type: ignore[union-attr]
    counts = [(d.files_done, d.files_failed) for d in last.destinations]
    assert counts == [(3, 1), (4, 0), (4, 0)], counts


def test_a_slow_target_no_fast_copy_can_feed_shows_as_failed(tmp_path: Path) -> None:
    card = make_card(tmp_path / "cards")
    fast, slow = tmp_path / "k1", tmp_path / "k2"
    slow.mkdir()
    # Another file already where the fast copy goes: it fails there, so the cascade has no
    # copy of it to read and fails it on the slow destination without running a job for it.
    (fast / card.name / "CLIPS").mkdir(parents=True)
    (fast / card.name / "CLIPS" / "A005C001.mov").write_bytes(b"another file")
    # Beside a copy of another card file keeping its dates (a run stopped before its
    # ledger's first line): the folder is this card's (else refused whole: card_folder).
    seeded = next(f for f in sorted((card / "CLIPS").iterdir()) if f.name != "A005C001.mov")
    shutil.copy2(seeded, fast / card.name / "CLIPS" / seeded.name)
    recorder = Recorder()
    options = OffloadOptions(cascade=frozenset({1}))
    report = offload(card, [fast, slow], options=options, sink=recorder)
    assert report.exit_code == 1
    failed = [e for e, _ in recorder.seen if isinstance(e, FileFailed) and e.destination_index == 1]
    assert [e.relative_path for e in failed] == ["CLIPS/A005C001.mov"]
    assert "cannot be cascaded" in failed[0].message
    last = recorder.seen[-1][1]
    assert (last.files_finished, last.total_files) == (4, 4)
    assert [(d.files_done, d.files_failed) for d in last.destinations] == [(3, 1), (3, 1)]


def test_a_cancel_after_every_outcome_before_the_manifests_is_cancelled(tmp_path: Path) -> None:
    """A run cancelled once its last file had its outcome everywhere, before the steps that
    finish the destinations (links, folders, manifests): each destination's phase ends
    ``cancelled``, as the summary's result and its "not finished" note say (a cascade's fast
    destination, finished at the card's release, stays done:
    test_a_cancelled_cascade_keeps_the_fast_copy_done). Failed before: "done" in green on
    every row of the last frame beside a summary of two "cancelled"."""
    card = make_card(tmp_path / "cards", files=6)
    dests = [tmp_path / "c1", tmp_path / "c2"]
    for dest in dests:
        dest.mkdir()
    cancel = CancelToken()
    recorder = Recorder(ProgressModel())

    class CancelAtTheLastOutcome:
        def emit(self, event: Event) -> None:
            recorder.emit(event)
            if isinstance(event, FileVerified) and recorder.model.snapshot().files_finished == 6:
                cancel.cancel()

    report = offload(
        card,
        dests,
        options=OffloadOptions(copy=CopyOptions(batch_files=1)),
        sink=CancelAtTheLastOutcome(),
        cancel=cancel,
    )
    last = recorder.seen[-1][1]
    assert [s.files_verified for s in report.job.destinations] == [6, 6]
    results = [report.destination_result(s) for s in report.job.destinations]
    assert report.job.cancelled and results == ["cancelled", "cancelled"], results
    assert [d.phase for d in last.destinations] == results, last.destinations
    console = Console(width=120, record=True, color_system=None)
    console.print(render(last, cancelled=True))
    rows = [line.split() for line in console.export_text().splitlines() if "/c" in line]
    assert [row[2] for row in rows] == ["cancelled", "cancelled"], rows


def test_the_per_file_maps_are_freed_when_the_offload_ends_and_the_end_stands(
    tmp_path: Path,
) -> None:
    card = make_card(tmp_path / "cards", files=3)
    dest = tmp_path / "d1"
    dest.mkdir()
    recorder = Recorder()
    offload(card, [dest], options=OffloadOptions(), sink=recorder)
    event, last = recorder.seen[-1]
    assert isinstance(event, OffloadFinished)
    model = recorder.model
    # Nothing per file is kept past the end (the command's reports come next) ...
    assert not (model._started_paths or model._failed_on or model._done_on)
    assert not model._finished_per_file
    # ... and what the end showed is what the model still shows.
    assert model.snapshot() == last
    assert last.fraction == 1.0
    assert all(d.files_done == 3 and d.phase == "done" for d in last.destinations)


def _reverify(card: Path, dests: list[Path], cancel: CancelToken | None = None) -> Recorder:
    """Copy *card* to *dests*, then offload it again with ``--reverify`` (every copy read
    back with its source before the jobs, which have nothing left to copy)."""
    assert offload(card, dests).exit_code == 0
    recorder = Recorder()
    offload(card, dests, options=OffloadOptions(reverify=True), sink=recorder, cancel=cancel)
    return recorder


def test_a_reverify_is_one_rising_progress_and_says_what_it_read_back(tmp_path: Path) -> None:
    """Before, the check's bar went 0 → 86.6 % in whole files, then back to 0.0 % ("0 bytes
    of 0 bytes") at the offload's plan, then 100 %."""
    card = make_card(tmp_path / "cards", files=5)
    dests = [tmp_path / "c1", tmp_path / "c2"]
    for dest in dests:
        dest.mkdir()
    recorder = _reverify(card, dests)
    shown = [snap for _event, snap in recorder.seen]
    fractions = [snap.fraction for snap in shown]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0, fractions
    checking = [snap for snap in shown if snap.checking]
    assert checking and max(s.work_done for s in checking) == 3 * 5 * SIZE  # source + 2 copies
    assert [s.fraction for s in checking][-1] > 0.5
    planned = next(
        i for i, (event, _snap) in enumerate(recorder.seen) if isinstance(event, OffloadPlanned)
    )
    assert all(s.bytes_read_back == 3 * 5 * SIZE for s in shown[planned:])


def test_a_reverify_cancelled_while_checking_ends_below_one(tmp_path: Path) -> None:
    """Before, a Ctrl-C early in the check showed CANCELLED at 100.0 % with 1 file of many
    read back: the offload's plan had no work, and no work is "all done"."""
    card = make_card(tmp_path / "cards", files=12)
    dests = [tmp_path / "c1", tmp_path / "c2"]
    for dest in dests:
        dest.mkdir()
    assert offload(card, dests).exit_code == 0
    cancel = CancelToken()
    recorder = Recorder()

    class CancelAtFirstReadBack:
        def emit(self, event: Event) -> None:
            recorder.emit(event)
            if type(event).__name__ == "BytesVerified":
                cancel.cancel()

    report = offload(
        card,
        dests,
        options=OffloadOptions(reverify=True),
        sink=CancelAtFirstReadBack(),
        cancel=cancel,
    )
    assert report.exit_code == 130
    last = recorder.seen[-1][1]
    assert last.finished and last.fraction < 0.5, last


def test_a_cascade_card_pass_gives_the_card_release_eta_not_a_false_end(tmp_path: Path) -> None:
    """Before, during the card's pass the ETA counted down to the end of that pass (00:01 at
    38 % with 17 s left, the cascaded bucket behind a slow link): an end of the offload that
    nothing measured. Now ``eta_s`` is None then and ``card_eta_s`` counts down to the card's
    release; the offload's ETA comes once the cascade's job has measured its own speed."""
    card = make_card(tmp_path / "cards", files=8)
    fast, slow = tmp_path / "k1", tmp_path / "k2"
    fast.mkdir()
    slow.mkdir()
    recorder = Recorder(tick=0.05)  # an ETA needs a second of measurement
    options = OffloadOptions(cascade=frozenset({1}), copy=CopyOptions(batch_files=1))
    assert offload(card, [fast, slow], options=options, sink=recorder).exit_code == 0
    released = next(
        i for i, (event, _snap) in enumerate(recorder.seen) if isinstance(event, CardReleased)
    )
    card_pass = [snap for _event, snap in recorder.seen[:released]]
    assert all(snap.eta_s is None for snap in card_pass)
    assert any(snap.card_eta_s is not None for snap in card_pass)
    cascade = [snap for _event, snap in recorder.seen[released + 1 :] if not snap.finished]
    assert all(snap.card_eta_s is None for snap in cascade)
    assert any(snap.eta_s is not None for snap in cascade)


def _reverify_that_copies(tmp_path: Path) -> Recorder:
    """A card copied to two destinations, then one copy deleted on the first and one
    corrupted (same size) on the second, then offloaded again with ``--reverify``: the check
    reads the copies back, the first job copies the deleted one, a second job replaces the
    corrupted one."""
    card = make_card(tmp_path / "cards", files=4)
    dests = [tmp_path / "c1", tmp_path / "c2"]
    for dest in dests:
        dest.mkdir()
    assert offload(card, dests).exit_code == 0
    (dests[0] / "A005R1" / "CLIPS" / "A005C000.mov").unlink()
    (dests[1] / "A005R1" / "CLIPS" / "A005C001.mov").write_bytes(os.urandom(SIZE))
    recorder = Recorder(tick=0.05)  # an ETA needs a second of measurement
    report = offload(card, dests, options=OffloadOptions(reverify=True), sink=recorder)
    assert report.exit_code == 0
    return recorder


def test_a_reverify_that_copies_never_takes_the_bar_back(tmp_path: Path) -> None:
    """Before, the check's bar reached 100.0 % (its total was the check's work alone), then
    fell back to 0.0 at the offload's plan (which reset the floor too), rose to 100.0, and
    fell again to 42.8 when the job replacing the corrupted copy was added."""
    recorder = _reverify_that_copies(tmp_path)
    fractions = [snap.fraction for _event, snap in recorder.seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0, fractions
    planned = next(
        i for i, (event, _snap) in enumerate(recorder.seen) if isinstance(event, OffloadPlanned)
    )
    # The check is not the whole offload: the missing copy was known before it.
    assert max(fractions[:planned]) < 0.9, fractions
    outcomes = [i for i, (e, _) in enumerate(recorder.seen) if isinstance(e, FileVerified)]
    assert fractions.index(1.0) >= outcomes[-1], fractions  # 1.0 once the last is verified


def test_a_reverify_that_replaces_a_copy_is_no_cascade(tmp_path: Path) -> None:
    """Before, a run without ``--cascade`` showed the cascade's ETA ("card released in …,
    then the cascade", ``eta_s`` None) during the first job, because a destination had work
    only in a later job: the one replacing the copy found wrong."""
    recorder = _reverify_that_copies(tmp_path)
    assert all(snap.card_eta_s is None for _event, snap in recorder.seen)
    assert any(snap.eta_s is not None for _event, snap in recorder.seen if not snap.finished)


def test_a_reverify_moves_the_bar_while_a_large_clip_is_read_back(tmp_path: Path) -> None:
    """A clip of 20 MB (three reads of 8 MiB) checked with ``--reverify``: its source and its
    copy are counted a read at a time, the bar moving through the clip and never back.
    Failed before: one BytesVerified of 20 MB each, at the end of its read-back."""
    card = tmp_path / "cards" / "A006R1"
    card.mkdir(parents=True)
    size = 20_000_000
    (card / "A006C001.mov").write_bytes(os.urandom(size))
    dest = tmp_path / "c1"
    dest.mkdir()
    recorder = _reverify(card, [dest])
    reads = [
        (event.destination_index, event.nbytes)  # type: ignore[attr-defined]
        for event, snap in recorder.seen
        if type(event).__name__ == "BytesVerified" and snap.checking
    ]
    for index in (-1, 0):  # the source's read, the copy's
        counted = [nbytes for i, nbytes in reads if i == index]
        assert len(counted) >= 3 and max(counted) < size and sum(counted) == size, reads
    checking = [snap for _event, snap in recorder.seen if snap.checking]
    inside = {s.destinations[0].bytes_verified for s in checking} - {0, size}
    assert len(inside) >= 2, inside  # seen part-way through the clip's read-back
    fractions = [snap.fraction for _event, snap in recorder.seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0, fractions


@pytest.mark.parametrize("files", [2, 1])
def test_a_card_file_read_in_its_records_format_is_counted_in_the_check(
    tmp_path: Path, files: int
) -> None:
    """A copy of ours grown since, its entry recording md5 only (read back with ``-t md5``):
    ``--reverify`` finds it wrong by its size (its copy not read) and reads its card file in
    md5 before writing it again (``existing.record_formats``): that read is planned work of
    the check, counted in its total and as it is read, on a one-file card too (no other
    copy to read back). Failed before the plan counted it: the check's bar went to 600,000
    of 600,000 bytes, that read of 300,000 never seen; and, for the one-file card, before
    the review of fixrev61: no check event at all, the bar at 0 of 0 during that read."""
    card = make_card(tmp_path / "cards", files=files)
    dest = tmp_path / "c1"
    dest.mkdir()
    assert offload(card, [dest]).exit_code == 0
    md5 = OffloadOptions(copy=CopyOptions(algorithms=("md5",)))
    assert offload(card, [dest], options=md5).exit_code == 0
    with (dest / "A005R1" / "CLIPS" / "A005C000.mov").open("ab") as handle:
        handle.write(b"appended")
    recorder = Recorder()
    report = offload(card, [dest], options=OffloadOptions(reverify=True), sink=recorder)
    assert report.exit_code == 0
    checking = [snap for _event, snap in recorder.seen if snap.checking]
    assert checking and all(s.work_done <= s.work_total for s in checking), checking
    # Each other file's copy and card file, and the card file read in md5.
    assert max(s.work_done for s in checking) == (2 * files - 1) * SIZE
    fractions = [snap.fraction for _event, snap in recorder.seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0, fractions
