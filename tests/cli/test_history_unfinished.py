"""``offload history`` lists an ``offload copy`` that never ended (SIGKILL, a power cut) as
unfinished, from the start record the run writes into the report folder's ``started/``
(``report/started.py``); a run still going as running; a run that ended (verified, failed,
Ctrl-C'd) leaves no start record, its job report says what it did.

Real processes: an ``offload copy`` of a card on a FaultyFS mount whose read of the clip is
held mid-clip, then ``offload history`` asked while it runs, then SIGKILLed.
Failed before: the killed run was absent from ``offload history`` (nothing listed at all).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from offload.report.started import STARTED_FOLDER
from tests.support.faultyfs import FaultyFS

OFFLOAD = str(Path(sys.executable).with_name("offload"))
CLIP = "C1.mov"
CLIP_BYTES = 16 << 20
HELD_AT = 8 << 20  # the first read of the clip's second chunk (8 MiB chunks)

pytestmark = pytest.mark.fault


def _history(reports: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OFFLOAD, "history", "--report-dir", str(reports), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "COLUMNS": "250"},
    )


def _listed(reports: Path) -> list[dict[str, object]]:
    shown = _history(reports, "--json")
    assert shown.returncode == 0, shown.stderr
    return list(json.loads(shown.stdout))


@pytest.fixture
def held_card(faulty_fs: Callable[..., FaultyFS]) -> Iterator[tuple[FaultyFS, str]]:
    """A card on FaultyFS (its clip written to the backing) whose read of the clip at
    ``HELD_AT`` is held until released: the card and the rule's id."""
    card = faulty_fs(direct_io=True)
    (card.backing / CLIP).write_bytes(b"x" * CLIP_BYTES)
    rule = card.add_rule("read", "stall", path=f"*{CLIP}", offset=HELD_AT, length=1 << 20, nth=1)
    yield card, rule


def _start(card: FaultyFS, tmp_path: Path, reports: Path, *extra: str) -> subprocess.Popen[str]:
    dest = tmp_path / "dest"
    dest.mkdir(exist_ok=True)
    argv = [OFFLOAD, "copy", "-q", "--report-dir", str(reports), *extra, str(card.mountpoint),
            str(dest)]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextmanager
def _held_run(
    held_card: tuple[FaultyFS, str], tmp_path: Path
) -> Iterator[tuple[FaultyFS, Path, subprocess.Popen[str]]]:
    """The offload of ``held_card``'s card (``_start``, its reports in tmp_path/reports)
    while its read of the clip is held: the card, the report folder and the process. The
    read is let go on leaving; on an error in the block the process is killed and reaped."""
    card, rule = held_card
    reports = tmp_path / "reports"
    process = _start(card, tmp_path, reports)
    try:
        card.wait_stalled_while_working(rule, process)
        yield card, reports, process
    except BaseException:
        card.release()
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)
        raise
    card.release()


def test_a_killed_offload_is_listed_unfinished_and_a_live_one_running(
    tmp_path: Path, held_card: tuple[FaultyFS, str]
) -> None:
    with _held_run(held_card, tmp_path) as (card, reports, process):
        # Running: its process is alive (never "unfinished").
        [entry] = _listed(reports)
        assert entry["kind"] == "started" and entry["state"] == "running", entry
        assert entry["result"] == "running" and entry["pid"] == process.pid, entry
        assert entry["card"] == card.mountpoint.name, entry
        # Its copy root, as the job report of the same card lists it.
        assert entry["destinations"] == [str(tmp_path / "dest" / card.mountpoint.name)], entry
        assert "verified" not in str(entry["result"]), entry
        text = _history(reports)
        assert text.returncode == 0 and "running" in text.stdout, text.stdout
        assert "unfinished" not in text.stdout, text.stdout

        # Killed while its read of the card is held (the FUSE call ends once let go).
        process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL

    [entry] = _listed(reports)
    assert entry["kind"] == "started", entry
    assert entry["state"] == "unfinished" and entry["result"] == "unfinished", entry
    assert entry["exit_code"] is None and entry["files"] is None, entry
    assert "run the same offload copy again with the card" in str(entry["reason"]), entry
    assert "offload verify" in str(entry["reason"]), entry
    assert isinstance(entry["run"], str) and entry["run"], entry
    text = _history(reports)
    assert text.returncode == 0, text.stderr
    assert "unfinished" in text.stdout and card.mountpoint.name in text.stdout, text.stdout
    assert "run the same offload copy again" in text.stdout, text.stdout
    assert "Traceback" not in text.stderr
    # No job report: the run never reached its end.
    assert not list(reports.glob("*.json"))


def test_a_ctrl_c_offload_leaves_no_start_record(
    tmp_path: Path, held_card: tuple[FaultyFS, str]
) -> None:
    with _held_run(held_card, tmp_path) as (_card, reports, process):
        assert list((reports / STARTED_FOLDER).glob("*.json"))  # written as the copy began
        process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    # Its record gone; the folder stays, empty, for the next run (nothing to make, fsync).
    assert not (reports / STARTED_FOLDER).exists(), err
    [entry] = _listed(reports)
    assert entry["kind"] == "offload" and entry["exit_code"] == 130, entry


def test_a_verified_and_a_failed_offload_leave_no_start_record(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = faulty_fs(direct_io=True)
    (card.backing / CLIP).write_bytes(os.urandom(1 << 20))
    reports, dest = tmp_path / "reports", tmp_path / "dest"
    dest.mkdir()
    argv = [OFFLOAD, "copy", "-q", "--report-dir", str(reports), str(card.mountpoint)]
    good = subprocess.run([*argv, str(dest)], capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, good.stderr
    assert not (reports / STARTED_FOLDER).exists()
    # A card read error of the clip: the run fails (exit 2: no file copied), its report written.
    card.add_rule("read", "error", path=f"*{CLIP}", errno=5)
    other = tmp_path / "other"
    other.mkdir()
    bad = subprocess.run([*argv, str(other)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2, bad.stderr
    assert not (reports / STARTED_FOLDER).exists()
    codes = sorted(e["exit_code"] for e in _listed(reports))  # type: ignore[type-var]
    assert codes == [0, 2]


def test_a_start_record_that_cannot_be_written_is_a_warning_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    """``started`` is a file in the report folder: the record cannot be written; one warning
    (a ``warning_issued`` line with ``--json``) says the run is not in offload history until
    it ends; the copy and its reports are as ever."""
    card, dest, reports = tmp_path / "A001", tmp_path / "dest", tmp_path / "reports"
    card.mkdir()
    (card / CLIP).write_bytes(os.urandom(1 << 16))
    dest.mkdir()
    reports.mkdir()
    (reports / STARTED_FOLDER).write_text("in the way")
    argv = [OFFLOAD, "copy", "--report-dir", str(reports), str(card), str(dest)]
    plain = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stderr.splitlines()
    [line] = [x for x in lines if "not in offload history" in x]
    assert lines[0].startswith("Offloading 1 file"), lines  # the run's first line, then it
    assert line.startswith("WARNING: this offload is not in offload history until it ends: ")
    assert str(reports / STARTED_FOLDER) in line, line
    as_json = subprocess.run([*argv, "--json"], capture_output=True, text=True, timeout=120)
    assert as_json.returncode == 0, as_json.stderr
    events = [json.loads(x) for x in as_json.stdout.splitlines()]
    [warned] = [e for e in events if "not in offload history" in e.get("message", "")]
    assert warned["event"] == "warning_issued", warned
    assert [e["kind"] for e in _listed(reports)] == ["offload", "offload"]


def test_an_unfinished_offload_is_finished_by_the_first_later_run_that_copied_it_all(
    tmp_path: Path, held_card: tuple[FaultyFS, str]
) -> None:
    """Killed mid-clip (SIGKILL), then the same offload again, whose read of the clip fails
    (exit 2): the killed run stays unfinished, naming that later offload and its result.
    Then the same offload once more, verified: the killed run is listed as finished by that
    run (its state ``finished_later``, its result "finished by the run of <its start> UTC"),
    never as open; the failed re-run is its own entry, as its report says.
    Failed before: the killed run stayed "unfinished" whatever came after it."""
    with _held_run(held_card, tmp_path) as (card, reports, process):
        process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL

    broken = card.add_rule("read", "error", path=f"*{CLIP}", errno=5)
    failed = _start(card, tmp_path, reports)
    _, err = failed.communicate(timeout=120)
    assert failed.returncode == 2, err
    bad, killed = _listed(reports)
    assert bad["kind"] == "offload" and bad["exit_code"] == 2, bad
    assert killed["kind"] == "started" and killed["state"] == "unfinished", killed
    assert killed["result"] == "unfinished" and killed["finished_by"] is None, killed
    assert killed["followed_by"] == bad["report"], killed
    assert f"{Path(str(bad['report'])).name} ({bad['result']})" in str(killed["reason"]), killed

    card.remove(broken)
    again = _start(card, tmp_path, reports)
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    newest, bad_again, killed = _listed(reports)
    assert newest["kind"] == "offload" and newest["result"] == "verified", newest
    assert bad_again["report"] == bad["report"] and bad_again["exit_code"] == 2, bad_again
    assert killed["kind"] == "started" and killed["state"] == "finished_later", killed
    assert killed["finished_by"] == newest["report"], killed
    assert killed["followed_by"] == newest["report"], killed
    when = str(newest["started"]).replace("T", " ").removesuffix("Z")
    assert killed["result"] == f"finished by the run of {when} UTC", killed
    assert killed["exit_code"] is None and killed["files"] is None, killed
    reason = str(killed["reason"])
    assert f"{Path(str(newest['report'])).name} (verified)" in reason, reason
    assert "run the same offload copy again" not in reason, reason
    assert newest["finished_by"] is None and newest["followed_by"] is None, newest
    # The table and its why line: the killed run listed, finished, nowhere "unfinished".
    text = _history(reports)
    assert text.returncode == 0, text.stderr
    assert f"finished by the run of {when} UTC" in text.stdout, text.stdout
    # (The folder's path holds the test's name: the word alone, as a result says it.)
    assert " unfinished " not in text.stdout, text.stdout
    assert Path(str(killed["report"])).name in text.stdout, text.stdout


def test_a_start_record_a_power_cut_left_beside_its_run_s_report_is_listed_once(
    tmp_path: Path,
) -> None:
    """A run ends: its job report written (fsynced), its start record removed without an
    fsync (``report/started.py``). A power cut before that removal reached the disk leaves
    both: written here by hand as it would leave them, beside the real report of a real
    run. The run is listed once, as its report says (never also "unfinished"); a record of
    another run, the same card, killed before it, is listed on its own, finished by it.
    Failed before: the job report named no run (``run``), and the run was listed twice."""
    card, dest, reports = tmp_path / "A001", tmp_path / "dest", tmp_path / "reports"
    card.mkdir()
    (card / CLIP).write_bytes(os.urandom(1 << 16))
    dest.mkdir()
    argv = [OFFLOAD, "copy", "-q", "--report-dir", str(reports), str(card), str(dest)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    [written] = reports.glob("*.json")
    report = json.loads(written.read_text(encoding="utf-8"))
    assert isinstance(report["run"], str) and report["run"], report
    assert not (reports / STARTED_FOLDER).exists()  # removed as the run ended

    from offload.report.started import start_record, write_start_record

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip

    def left(run: str, started: float) -> None:
        record = start_record(
            source=report["source"],
            destinations=[str(dest)],
            copy_roots=[d["copy_root"] for d in report["destinations"]],
            started=started,
            run=run,
            report=written.stem,
        )
        record.update(pid=int(gone.stdout), pid_start="")  # its process over
        path, problem = write_start_record(reports, record)
        assert path is not None, problem

    left(report["run"], report["started_unix"])
    [entry] = _listed(reports)
    assert entry["kind"] == "offload" and entry["report"] == str(written), entry
    assert entry["result"] == "verified" and entry["exit_code"] == 0, entry
    text = _history(reports)
    assert text.returncode == 0, text.stderr
    assert "unfinished" not in text.stdout and "started/" not in text.stdout, text.stdout

    left("another-1", report["started_unix"] - 60)  # a run of this card killed earlier
    newest, killed = _listed(reports)
    assert newest["kind"] == "offload" and newest["report"] == str(written), newest
    assert killed["kind"] == "started" and killed["state"] == "finished_later", killed
    assert killed["run"] == "another-1" and killed["finished_by"] == str(written), killed


def test_a_later_run_finishes_a_killed_one_only_where_the_killed_run_s_rules_left_out_its_omissions(
    tmp_path: Path, held_card: tuple[FaultyFS, str]
) -> None:
    """The review's HIGH 1, with a real kill: the card holds SOUND.wav and ._C1.mov (an
    AppleDouble file the default rules leave out). Killed mid-clip (its start record
    states its scan's patterns, ``ignore_patterns``), then the same offload with
    ``--ignore '*.wav'``: verified, but SOUND.wav has no copy, and the killed run was to
    copy it: listed unfinished, naming that run. Then the same offload as the killed one:
    it too left ._C1.mov out, as the killed run's own rules would: finished by it.
    Failed before: the ``--ignore`` run finished the killed one (SOUND.wav never copied);
    with the record stating no rules, none would have finished it."""
    card, _ = held_card
    (card.backing / "SOUND.wav").write_bytes(os.urandom(4096))
    (card.backing / "._C1.mov").write_bytes(os.urandom(512))
    with _held_run(held_card, tmp_path) as (card, reports, process):
        process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    [record] = (reports / STARTED_FOLDER).glob("*.json")
    patterns = json.loads(record.read_text(encoding="utf-8"))["ignore_patterns"]
    assert "._*" in patterns and "*.wav" not in patterns, patterns

    narrower = _start(card, tmp_path, reports, "--ignore", "*.wav")
    _, err = narrower.communicate(timeout=120)
    assert narrower.returncode == 0, err
    wav_run, killed = _listed(reports)
    assert wav_run["kind"] == "offload" and wav_run["result"] == "verified", wav_run
    assert not (tmp_path / "dest" / card.mountpoint.name / "SOUND.wav").exists()
    assert killed["state"] == "unfinished" and killed["finished_by"] is None, killed
    assert killed["followed_by"] == wav_run["report"], killed

    again = _start(card, tmp_path, reports)
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    newest, _, killed = _listed(reports)
    assert newest["kind"] == "offload" and newest["exit_code"] == 0, newest
    assert (tmp_path / "dest" / card.mountpoint.name / "SOUND.wav").exists()
    assert killed["state"] == "finished_later", killed
    assert killed["finished_by"] == newest["report"], killed
