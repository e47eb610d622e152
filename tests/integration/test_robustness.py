"""Robustness of the job's edges (issue 9): cancelling the sequential path, subscribers that
raise, progress of resumed offloads, stray partials and the ledger, one run per copy root."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from offload.api import copy_with_multiple_destinations
from offload.card import OffloadOptions, offload, plan_offload
from offload.cli.common import Environment
from offload.cli.offload import main
from offload.engine.cancel import CancelToken
from offload.errors import ExitCode
from offload.events import (
    Event,
    FanoutSink,
    FileStarted,
    FileVerified,
    FileVerifiedEarlier,
    JobFinished,
    OffloadFinished,
    WarningIssued,
)
from offload.hashing import new_hasher
from offload.ledger import Ledger, verified_entry
from offload.options import CopyOptions, ExistingFilePolicy, VerifyMode
from offload.progress import ProgressModel
from offload.results import DestinationStatus
from support.event_log import EventLog
from support.pfn import other_warnings


def make_file(path: Path, size: int, seed: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes((i * 31 + seed) % 256 for i in range(size)))
    return path


def dest_dirs(tmp_path: Path, count: int) -> list[Path]:
    dirs = [tmp_path / f"dest{i}" for i in range(count)]
    for d in dirs:
        d.mkdir()
    return dirs


# --- the sequential path of the single-file API ---------------------------------------------


def test_sequential_cancel_before_the_first_destination_is_130(tmp_path: Path) -> None:
    source = make_file(tmp_path / "clip.bin", 100_000)
    dests = dest_dirs(tmp_path, 2)
    cancel = CancelToken()
    cancel.cancel()
    report = copy_with_multiple_destinations(source, dests, parallel=False, cancel=cancel)
    assert report.cancelled and report.exit_code is ExitCode.CANCELLED
    assert [(d.destination_index, d.status) for d in report.files[0].destinations] == [
        (0, DestinationStatus.CANCELLED),
        (1, DestinationStatus.CANCELLED),
    ]
    assert [s.index for s in report.destinations] == [0, 1]
    for dest in dests:
        assert os.listdir(dest) == []


def test_sequential_cancel_between_destinations_reports_the_rest_cancelled(
    tmp_path: Path,
) -> None:
    source = make_file(tmp_path / "clip.bin", 100_000)
    dests = dest_dirs(tmp_path, 3)
    cancel = CancelToken()

    class CancelAfterFirstVerified:
        def emit(self, event: Event) -> None:
            if isinstance(event, FileVerified):
                cancel.cancel()

    report = copy_with_multiple_destinations(
        source, dests, parallel=False, cancel=cancel, sink=CancelAfterFirstVerified()
    )
    assert report.exit_code is ExitCode.CANCELLED
    assert [(d.destination_index, d.status) for d in report.files[0].destinations] == [
        (0, DestinationStatus.VERIFIED),
        (1, DestinationStatus.CANCELLED),
        (2, DestinationStatus.CANCELLED),
    ]
    assert os.listdir(dests[0]) == ["clip.bin"]
    assert os.listdir(dests[1]) == [] and os.listdir(dests[2]) == []


# --- event subscribers that raise -----------------------------------------------------------


class RaisesOnNthEvent:
    """A subscriber with a bug: raises on the job's Nth event (the preflight's warnings not
    counted: event 1 is JobStarted) and, with *every*, on each later FileVerified too."""

    def __init__(self, n: int, *, every: bool = False) -> None:
        self.n = n
        self.every = every
        self.seen = 0
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        if isinstance(event, WarningIssued):
            return
        with self._lock:
            self.seen += 1
            seen = self.seen
        if seen == self.n or (self.every and seen > self.n and isinstance(event, FileVerified)):
            raise RuntimeError(f"renderer bug at event {seen}")


def make_card(root: Path, files: int = 6, size: int = 200_000) -> Path:
    for i in range(files):
        make_file(root / "CLIPS" / f"C{i:03d}.MOV", size + i, seed=i)
    return root


@pytest.mark.timeout(60)  # before the fix, the job hung until cancelled
@pytest.mark.parametrize(
    ("n", "every"),
    [(1, False), (5, False), (30, False), (3, True)],
    ids=["job-started", "5th-event", "30th-event", "every-file-verified"],
)
def test_a_subscriber_that_raises_neither_kills_nor_hangs_the_job(
    tmp_path: Path, n: int, every: bool
) -> None:
    card = make_card(tmp_path / "CARD")
    dests = dest_dirs(tmp_path, 2)
    bad = RaisesOnNthEvent(n, every=every)
    recorder = EventLog()
    report = offload(card, dests, sink=FanoutSink(bad, recorder))
    assert report.exit_code == 0
    assert all(f.ok for f in report.job.files) and len(report.job.files) == 6
    [warning] = report.job.warnings  # once, however often it raised
    assert "RaisesOnNthEvent" in warning and "RuntimeError: renderer bug" in warning
    surfaced = [
        e
        for e in recorder.events
        if isinstance(e, WarningIssued) and e.message.startswith("event subscriber")
    ]
    assert [e.message for e in surfaced] == [warning]
    assert sum(isinstance(e, FileVerified) for e in recorder.events) == 12
    for dest in dests:
        assert sorted(os.listdir(dest / "CARD" / "CLIPS")) == [f"C{i:03d}.MOV" for i in range(6)]


@pytest.mark.timeout(60)
def test_a_lone_subscriber_is_isolated_too(tmp_path: Path) -> None:
    card = make_card(tmp_path / "CARD", files=3)
    dests = dest_dirs(tmp_path, 2)
    report = offload(card, dests, sink=RaisesOnNthEvent(8))
    assert report.exit_code == 0
    assert len(report.job.warnings) == 1
    source = make_file(tmp_path / "clip.bin", 300_000)
    single = copy_with_multiple_destinations(
        source, [tmp_path / "a.bin", tmp_path / "b.bin"], sink=RaisesOnNthEvent(6)
    )
    assert single.exit_code is ExitCode.OK
    [warning] = other_warnings(single.warnings)  # beside the preflight's: a.bin on clip's drive
    assert "RaisesOnNthEvent" in warning


# --- progress ---------------------------------------------------------------------------------


class FractionRecorder:
    """A ProgressModel and, after each event, the fraction and percent it shows then."""

    def __init__(self) -> None:
        self.model = ProgressModel()
        self.seen: list[tuple[Event, float, float]] = []
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        with self._lock:
            self.model.emit(event)
            snap = self.model.snapshot()
            self.seen.append((event, snap.fraction, snap.percent))

    def assert_honest(self) -> None:
        """Monotonic; below 1.0 (and below 100.0 %) until the last file_verified; 1.0 at the
        end."""
        fractions = [f for _e, f, _p in self.seen]
        assert fractions == sorted(fractions), fractions
        last_verified = max(
            i for i, (e, _f, _p) in enumerate(self.seen) if isinstance(e, FileVerified)
        )
        for event, fraction, percent in self.seen[:last_verified]:
            assert fraction < 1.0 and percent < 100.0, (event, fraction, percent)
        assert isinstance(self.seen[-1][0], JobFinished | OffloadFinished)
        assert self.seen[-1][1:] == (1.0, 100.0)
        assert self.model.snapshot().fraction == 1.0


def test_progress_of_a_resumed_offload_reaches_one(tmp_path: Path) -> None:
    card = make_card(tmp_path / "CARD", files=10, size=100_000)
    dests = dest_dirs(tmp_path, 2)
    assert offload(card, dests).exit_code == 0
    make_file(card / "CLIPS" / "NEW.MOV", 150_000, seed=99)
    recorder = FractionRecorder()
    report = offload(card, dests, sink=recorder)
    assert report.exit_code == 0
    assert [
        f.relative_path for f in report.job.files if f.destinations[0].status == "verified"
    ] == ["CLIPS/NEW.MOV"]
    recorder.assert_honest()  # it ended at 0.091 (10 files verified earlier in the total)
    # What an earlier run verified is not this run's work: nothing done yet at the start.
    first_started = next(
        i for i, (e, *_r) in enumerate(recorder.seen) if isinstance(e, FileStarted)
    )
    assert sum(isinstance(e, FileVerifiedEarlier) for e, *_r in recorder.seen[:first_started]) == 20
    assert recorder.seen[first_started][1] == 0.0
    snap = recorder.model.snapshot()
    assert snap.work_done == snap.work_total


@pytest.mark.parametrize("verify", [VerifyMode.FULL, VerifyMode.DESTINATION, VerifyMode.TRANSFER])
def test_progress_reaches_one_only_with_the_last_verification(
    tmp_path: Path, verify: VerifyMode
) -> None:
    # Many small files and one large: the bytes are all read back long before the batch's
    # files are committed; the bar said 100.0 % at 4 of 304 files.
    card = make_card(tmp_path / "CARD", files=150, size=3_000)
    make_file(card / "BIG.MOV", 12_000_000, seed=7)
    dests = dest_dirs(tmp_path, 2)
    recorder = FractionRecorder()
    options = OffloadOptions(copy=CopyOptions(verify=verify))
    report = offload(card, dests, options=options, sink=recorder)
    assert report.exit_code == 0
    recorder.assert_honest()


def test_json_progress_ends_at_one_before_job_finished(tmp_path: Path) -> None:
    card = make_card(tmp_path / "CARD", files=4)
    dests = dest_dirs(tmp_path, 2)
    assert offload(card, dests).exit_code == 0
    make_file(card / "CLIPS" / "NEW.MOV", 150_000, seed=99)
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["copy", "--json", "--report-dir", str(tmp_path / "reports"), str(card), *map(str, dests)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 0, err.getvalue()
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    names = [e["event"] for e in events]
    finished = names.index("job_finished")
    assert names[finished - 1] == "progress"
    assert events[finished - 1]["fraction"] == 1.0
    fractions = [e["fraction"] for e in events if e["event"] == "progress"]
    # the last two: the job's end, then the offload's (its links, manifests)
    assert fractions[-1] == 1.0 and all(f < 1.0 for f in fractions[:-2])


# --- stray partials and the ledger's proof ---------------------------------------------------


def digest_of(data: bytes, name: str = "xxh64") -> str:
    hasher = new_hasher(name)
    hasher.update(data)
    return hasher.hexdigest()


def test_a_partial_that_proves_an_unfinished_rename_is_not_lost(tmp_path: Path) -> None:
    """Killed between recording a file verified and renaming it: the partial is the ledger's
    proof that the final-named file is not ours. Cleaning the strays must not lose it."""
    card = make_card(tmp_path / "CARD", files=2)
    [dest] = dest_dirs(tmp_path, 1)
    overwrite = OffloadOptions(copy=CopyOptions(existing=ExistingFilePolicy.OVERWRITE))
    assert offload(card, [dest]).exit_code == 0
    source = card / "CLIPS" / "C000.MOV"
    final = dest / "CARD" / "CLIPS" / "C000.MOV"
    st = source.stat()
    # The card is re-recorded: new content, same size and mtime. An --overwrite run wrote
    # and verified the new partial, recorded it in the ledger, and was SIGKILLed before its
    # rename: the old copy still has the final name.
    new = bytes(reversed(source.read_bytes()))
    source.write_bytes(new)
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    partial = final.with_name(".offload-partial.dead01.C000.MOV")
    partial.write_bytes(new)
    os.utime(partial, ns=(st.st_atime_ns, st.st_mtime_ns))
    stray = final.with_name(".offload-partial.dead02.C001.MOV")  # named by no entry
    stray.write_bytes(b"half")
    ledger = Ledger(dest / "CARD")
    ledger.append(
        [
            verified_entry(
                "CLIPS/C000.MOV",
                size_bytes=st.st_size,
                mtime_ns=st.st_mtime_ns,
                digests={"xxh64": digest_of(new)},
                partial_name=partial.name,
                final_name="C000.MOV",
                verify="full",
            )
        ]
    )

    def trusted() -> bool:
        """Whether the plan takes the copy on the ledger's word (no read-back)."""
        plan = plan_offload(card, [dest], overwrite)
        [task] = [t for t in plan.tasks if t.source.path == source]
        return any(p.status is DestinationStatus.VERIFIED_EARLIER for p in task.preset)

    assert not trusted()  # the partial is there: the old copy is not taken on trust
    # A run that cleans the strays and is then cancelled before it copies anything.
    cancel = CancelToken()
    cancel.cancel()
    report = offload(card, [dest], options=overwrite, cancel=cancel)
    assert report.exit_code == ExitCode.CANCELLED
    assert not stray.exists()
    # The old copy must still not be trusted (it was: the proof had been deleted).
    assert not trusted()
    assert final.read_bytes() != new
    assert offload(card, [dest], options=overwrite).exit_code == 0
    assert final.read_bytes() == new
    assert not [n for n in os.listdir(final.parent) if n.startswith(".offload-partial.")]
    assert trusted()


def test_a_rerun_says_it_removed_the_partials_an_interrupted_run_left(tmp_path: Path) -> None:
    """Partials a run left (its writer gone: no claim on them) are removed by the next run,
    which says so in one line with the JSON's count (``removed_stray_partials``), naming
    their kind. Failed before (QA, a drive pulled mid-run then the run again): the JSON
    counted 981, the terminal said nothing; then (QA, thirty-eighth pass) "2 unfinished
    files ... (partial copies or uploads, and temporary manifest, report, ledger or staging
    files ...)", every kind it might be."""
    card = make_card(tmp_path / "CARD", files=2)
    [dest] = dest_dirs(tmp_path, 1)
    reports = tmp_path / "r"
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
    assert main(["copy", str(card), str(dest), "--report-dir", str(reports)], env) == 0
    for name in (".offload-partial.dead01.C000.MOV", ".offload-partial.dead02.C001.MOV"):
        (dest / "CARD" / "CLIPS" / name).write_bytes(b"half")
    err.truncate(0)
    code = main(["copy", str(card), str(dest), "--report-dir", str(tmp_path / "r2")], env)
    assert code == 0, err.getvalue()
    [saved] = (tmp_path / "r2").glob("*.json")
    data = json.loads(saved.read_text())
    assert data["removed_stray_partials"] == 2
    assert data["removed_unfinished"] == _removed_kinds(partial_copies=2)
    said = [line for line in err.getvalue().splitlines() if line.startswith("Removed ")]
    assert said == [_removed_line("2 partial copies")], err.getvalue()


def _removed_line(kinds: str) -> str:
    """The summary's line of the unfinished files a re-run removed, *kinds* its counts."""
    return (
        "Removed what interrupted runs left unfinished on the destinations, their writer "
        f"gone: {kinds}."
    )


def _removed_kinds(**counts: int) -> dict[str, int]:
    """The JSON report's ``removed_unfinished``: *counts*, every other kind 0."""
    kinds = ("partial_copies", "uploads", "staging_objects", "manifest_files", "ledger_files")
    return {kind: 0 for kind in (*kinds, "report_files")} | counts


def test_a_rerun_counts_the_report_temporaries_it_names_once(tmp_path: Path) -> None:
    """Two report temporaries, a manifest's and a partial copy a dead run left: the
    WARNING names the 2 report files, and the summary counts each kind, the report files
    "named in a WARNING line above", never reading as 2 more. Failed before: "removed 2
    unfinished report file(s) ..." then "Removed 3 unfinished files an interrupted run
    left", read as 5; then (QA, thirty-eighth pass) "Removed 4 unfinished files in all
    ...", one number for the three kinds."""
    card = make_card(tmp_path / "CARD", files=2)
    [dest] = dest_dirs(tmp_path, 1)
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
    assert main(["copy", str(card), str(dest), "--report-dir", str(tmp_path / "r")], env) == 0
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    reports = dest / "CARD" / ".offload" / "reports"
    for kind in ("json", "csv"):
        (reports / f".CARD_2026-01-01_000000Z.{kind}.{gone.pid}.0123abcd.partial").write_text("x")
    (dest / "CARD" / "CLIPS" / ".offload-partial.dead01.C000.MOV").write_bytes(b"half")
    manifest = dest / "CARD" / "ascmhl" / f".ascmhl_chain.xml.{gone.pid}.0123abcd.partial"
    manifest.write_text("x")
    err.truncate(0)
    code = main(["copy", str(card), str(dest), "--report-dir", str(tmp_path / "r2")], env)
    assert code == 0, err.getvalue()
    text = err.getvalue()
    assert "WARNING: removed 2 unfinished report file(s)" in text, text
    said = [line for line in text.splitlines() if line.startswith("Removed ")]
    kinds = (
        "1 partial copy, 1 temporary manifest file and 2 temporary report files (named in a "
        "WARNING line above)"
    )
    assert said == [_removed_line(kinds)], text
    assert not manifest.exists()
    [saved] = (tmp_path / "r2").glob("*.json")
    counts = _removed_kinds(partial_copies=1, manifest_files=1, report_files=2)
    assert json.loads(saved.read_text())["removed_unfinished"] == counts
