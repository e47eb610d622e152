"""``offload verify`` cancelled by a real signal, and a second one sent at once: a real
``offload copy``, then a real ``offload verify`` child process held by a FaultyFS stall rule
(in a clip's read, or in ``--append``'s write of the new generation) while two signals are
sent; both are pending when the hold is let go, so Python runs the second handler while the
cancel of the first is being unwound. Failed before: the second handler raised
KeyboardInterrupt there (``verify_cmd.py`` ``check_over``), a traceback, the process killed
by the signal (returncode -2), no ``ERROR:`` line, no report."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support.ascmhl_judge import AscmhlJudge
from support.faultyfs import FaultyFS, signal_at_stalls
from support.held_process import signal_while_held, start
from support.offload_cli import offloaded_card

OFFLOAD = str(Path(sys.executable).with_name("offload"))


def _copied(tmp_path: Path, clips: int = 3, size: int = 40_000) -> Path:
    """A card ``A001`` of *clips* clips ``CLIPS/C00000.MOV``... of *size* bytes copied by
    ``offload copy`` into ``tmp_path/disk``: that folder (``offloaded_card``)."""
    return offloaded_card(tmp_path, clips, size, clip="C{:05d}.MOV")


def _verify_signalled(
    fs: FaultyFS, held: str, reports: Path, *signals: int, append: bool = False
) -> tuple[subprocess.Popen[str], str, str]:
    """``offload verify -q`` of the copy through *fs*, sent *signals* at once while the
    stall rule *held* holds it; then let go. The process, its stdout and stderr."""
    command = [OFFLOAD, "verify", "-q", "--report-dir", str(reports)]
    process = start([*command, *(["--append"] if append else []), str(fs.mountpoint / "A001")])
    signal_at_stalls(fs, process, (held, signals))
    out, err = process.communicate(timeout=60)
    return process, out, err


def _one_report(reports: Path) -> dict[str, object]:
    (saved,) = reports.glob("verify_*.json")
    assert saved.with_suffix(".csv").is_file()
    data = json.loads(saved.read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.fault
@pytest.mark.timeout(90)
@pytest.mark.parametrize("second", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_second_signal_while_the_check_is_cancelled_is_a_further_stop_of_it(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], second: int
) -> None:
    """Ctrl-C, then SIGTERM (or Ctrl-C again: one pending signal of a kind, as a terminal's
    two fast presses may be), while a clip is read: exit 130, one ``ERROR:`` line naming
    the second as a further stop of the check already cancelled, the report written."""
    backing = _copied(tmp_path)
    fs = faulty_fs(backing=backing)
    held = fs.stall("read", path="A001/CLIPS/C00001.MOV", nth=1)
    reports = tmp_path / "reports"
    process, out, err = _verify_signalled(fs, held, reports, signal.SIGINT, second)

    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    errors = [line for line in err.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, err
    assert errors[0].startswith("ERROR: interrupted: the check did not finish"), err
    if second == signal.SIGTERM:
        # Both pending: Python takes Ctrl-C first (the lower number), SIGTERM in the unwind.
        assert "SIGTERM came again while the check was being cancelled" in errors[0], err
        assert "a further stop of the check already cancelled" in errors[0], err
    assert "after the check had finished" not in err, err
    assert "nothing was cancelled" not in err, err
    data = _one_report(reports)
    assert data["exit_code"] == 130 and data["passed"] is False, data
    assert data["error"] == errors[0].removeprefix("ERROR: "), data
    assert data["stopped_after_check"] is False, data
    assert f"Report: {data['report']}" in err, err


@pytest.mark.fault
@pytest.mark.timeout(90)
def test_two_signals_while_append_writes_its_generation_leave_no_partial(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """SIGTERM and Ctrl-C while ``--append`` writes the new generation, every file checked:
    exit 130, one ``ERROR:`` line, no generation and no partial of it left in ascmhl/, the
    report written."""
    backing = _copied(tmp_path)
    fs = faulty_fs(backing=backing)
    held = fs.stall("write", path="A001/ascmhl/.0002_*.partial", nth=1)
    reports = tmp_path / "reports"
    process, out, err = _verify_signalled(
        fs, held, reports, signal.SIGTERM, signal.SIGTERM, append=True
    )

    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    errors = [line for line in err.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, err
    history = sorted(p.name for p in (backing / "A001" / "ascmhl").iterdir())
    assert [n for n in history if n.startswith((".0002", "0002"))] == [], history
    data = _one_report(reports)
    assert data["exit_code"] == 130 and data["generation"] is None, data


@pytest.mark.fault
@pytest.mark.timeout(90)
def test_a_cancel_while_append_writes_its_generation_says_every_file_was_checked(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """One Ctrl-C while ``--append`` writes the new generation, every file checked and
    matched: the line says so, and that the generation was not written (no partial left),
    and to run the check again to append; never "0 recorded files not checked" as if the
    check had been stopped in its reads. Failed before: "interrupted: the check did not
    finish; 0 recorded files not checked (cancelled), ..." beside 3 verified."""
    backing = _copied(tmp_path)
    fs = faulty_fs(backing=backing)
    held = fs.stall("write", path="A001/ascmhl/.0002_*.partial", nth=1)
    reports = tmp_path / "reports"
    process, out, err = _verify_signalled(fs, held, reports, signal.SIGINT, append=True)

    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    (line,) = [line for line in err.splitlines() if line.startswith("ERROR:")]
    assert "0 recorded files not checked" not in line, err
    assert (
        "interrupted once every recorded file found was read (3 OK, 0 changed, 0 unreadable)"
        in line
    ), line
    assert "the new ASC MHL generation was not written (no partial of it is left)" in line, line
    assert "run offload verify --append again to append it" in line, line
    history = sorted(p.name for p in (backing / "A001" / "ascmhl").iterdir())
    assert [n for n in history if n.startswith((".0002", "0002"))] == [], history
    data = _one_report(reports)
    assert data["exit_code"] == 130 and data["generation"] is None, data
    assert len(data["verified"]) == 3 and data["cancelled"] == [], data  # type: ignore[arg-type]


@pytest.mark.fault
@pytest.mark.timeout(600)
def test_a_second_signal_soon_after_the_first_while_a_big_check_unwinds(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The QA's case: a copy of 6,000 small files, Ctrl-C while the check reads (held at
    the 5,000th file, then let go), the second signal 20 ms later, while the cancel of a
    check that read 5,000 files is unwound (its report built). Failed before: a traceback
    from ``check_over``, returncode -2, or the check's proved files lost ("interrupted: the
    check did not finish" alone).
    Its way to the stall is ~100,000 FUSE operations (each file's lookups and getattrs,
    answered by the daemon one by one): ~40 s here, more than the 120 s once waited on a
    loaded machine. So it is waited for as long as the check works (an operation each
    minute at least), not by the clock; the test's timeout is the bound of last resort."""
    backing = _copied(tmp_path, clips=6_000, size=64)
    fs = faulty_fs(backing=backing)
    held = fs.stall("read", path="A001/CLIPS/C05000.MOV", nth=1)
    reports = tmp_path / "reports"
    process = start(
        [OFFLOAD, "verify", "-q", "--report-dir", str(reports), str(fs.mountpoint / "A001")]
    )
    try:
        fs.wait_stalled_while_working(held, process)
        process.send_signal(signal.SIGINT)
    finally:
        fs.release()
    time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)

    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    errors = [line for line in err.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, err
    assert errors[0].startswith("ERROR: interrupted: the check did not finish;"), err
    assert "after the check had finished" not in err, err
    data = _one_report(reports)
    assert data["exit_code"] == 130 and data["passed"] is False, data
    # What the check read before the cancel stands.
    assert len(data["verified"]) >= 4_999, len(data["verified"])  # type: ignore[arg-type]


@pytest.mark.fault
@pytest.mark.timeout(90)
def test_a_signal_while_a_cancelled_checks_report_is_written_is_a_further_stop(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Ctrl-C while a clip is read (the check cancelled), then SIGTERM while the report's
    CSV is written (its JSON written): exit 130, the line names SIGTERM as a further stop
    of the check already cancelled, the JSON restated so, still a cancelled check (not
    ``stopped_after_check``). Failed before: "SIGTERM came while the report was written,
    after the check had finished: nothing was cancelled; the exit code is the check's"
    beside "interrupted: the check did not finish", and that note in the JSON."""
    backing = _copied(tmp_path)
    (backing / "reports").mkdir()
    fs = faulty_fs(backing=backing)
    read = fs.stall("read", path="A001/CLIPS/C00001.MOV", nth=1)
    csv = fs.stall("write", path="reports/.verify_*.csv.*.partial", nth=1)
    reports = fs.mountpoint / "reports"
    process = start(
        [OFFLOAD, "verify", "-q", "--report-dir", str(reports), str(fs.mountpoint / "A001")]
    )
    signal_at_stalls(fs, process, (read, [signal.SIGINT]), (csv, [signal.SIGTERM]))
    out, err = process.communicate(timeout=60)

    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    assert "after the check had finished" not in err, err
    assert "nothing was cancelled" not in err, err
    said = " ".join(err.split())
    assert (
        "ERROR: stopped by SIGTERM while the report of the cancelled check was written: a "
        "further stop of the check already cancelled (exit 130 either way)" in said
    ), said
    (saved,) = (backing / "reports").glob("verify_*.json")
    data = json.loads(saved.read_text())
    assert data["exit_code"] == 130 and data["passed"] is False, data
    assert data["stopped_after_check"] is False, data
    assert data["not_looked_for"], data
    assert data["error"].startswith("interrupted: the check did not finish"), data
    (note,) = data["notes"]
    assert note.startswith(
        "stopped by SIGTERM while this report was written: a further stop of the check "
        "already cancelled"
    ), note


@pytest.mark.fault
@pytest.mark.timeout(90)
def test_a_cancel_after_the_reads_with_a_file_unreadable_says_none_is_appended(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``--append``, one recorded clip unreadable (EIO), a new file beside the clips, Ctrl-C
    once every file was read (while the check looks in the ledger for why the new file is
    there): the line says no generation is appended because of the file not read, in the
    words of the report's note for an uncancelled check; never "the new ASC MHL generation
    was not written ...; run offload verify --append again to append it", as if one would
    have been. Failed before: it said so."""
    backing = _copied(tmp_path)
    (backing / "A001" / "CLIPS" / "NEW.MOV").write_bytes(os.urandom(4_000))
    fs = faulty_fs(backing=backing)
    fs.fail("read", errno.EIO, path="A001/CLIPS/C00001.MOV")
    # The ledger's first open is before the reads (``own_record``: the records the history's
    # check holds each copy to); its second, after them.
    held = fs.stall("open", path="A001/.offload/ledger.jsonl", nth=2)
    reports = tmp_path / "reports"
    process, out, err = _verify_signalled(fs, held, reports, signal.SIGINT, append=True)

    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    # The other ERROR: line names the unreadable clip.
    errors = [line for line in err.splitlines() if line.startswith("ERROR:")]
    (line,) = [line for line in errors if "interrupted" in line]
    assert (
        "interrupted once every recorded file found was read (2 OK, 0 changed, 1 unreadable)"
        in line
    ), line
    assert line.endswith(
        "no ASC MHL generation appended (--append): 1 file could not be read, and a "
        "generation without it would record this check in part; the history is as it was; "
        "run the check again once it can be read"
    ), line
    assert "append it" not in line, line
    history = sorted(p.name for p in (backing / "A001" / "ascmhl").iterdir())
    assert [n for n in history if n.startswith((".0002", "0002"))] == [], history


@pytest.mark.fault
@pytest.mark.timeout(90)
def test_a_cancel_while_append_writes_whose_folder_cannot_be_listed_says_so(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Ctrl-C while ``--append`` writes the new generation, every file checked, then
    ``ascmhl/`` cannot be listed (EIO at its opendir): the line says it could not look
    there for a partial of it, never "(no partial of it is left)" of a look that failed.
    Failed before: "the new ASC MHL generation was not written (no partial of it is
    left)"."""
    backing = _copied(tmp_path)
    fs = faulty_fs(backing=backing)
    held = fs.stall("write", path="A001/ascmhl/.0002_*.partial", nth=1)
    reports = tmp_path / "reports"
    command = [OFFLOAD, "verify", "-q", "--append", "--report-dir", str(reports)]
    process = start([*command, str(fs.mountpoint / "A001")])
    signal_while_held(
        process,
        signal.SIGINT,
        wait_held=lambda: (
            fs.wait_stalled(held, timeout_s=60),
            fs.fail("opendir", errno.EIO, path="A001/ascmhl"),
        ),
        release=fs.release,
        pause_s=0,
    )
    out, err = process.communicate(timeout=60)

    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    (line,) = [line for line in err.splitlines() if line.startswith("ERROR:")]
    assert "no partial of it is left" not in line, line
    folder = fs.mountpoint / "A001" / "ascmhl"
    assert (
        f"the new ASC MHL generation was not written (could not look in {folder} for a "
        "partial of it: " in line
    ), line
    assert line.endswith("; run offload verify --append again to append it"), line


@pytest.mark.fault
@pytest.mark.timeout(90)
def test_a_cancel_after_a_damaged_clip_was_read_holds_it_to_the_ledger(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], judge: AscmhlJudge
) -> None:
    """A history rebuilt (``ascmhl create``) over a damaged first clip, Ctrl-C while the
    last clip is read: what the check proved before holds the damaged clip to the copy
    root's own ledger, changed (``own-record-mismatch``), never verified. Review of later65,
    M2: failed before (exit 130, ``"verified": ["CLIPS/C00000.MOV"]``, "1 OK, 0 changed")."""
    backing = _copied(tmp_path)
    clip = backing / "A001" / "CLIPS" / "C00000.MOV"
    st = clip.stat()
    with open(clip, "r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00\xff")
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns))
    shutil.rmtree(backing / "A001" / "ascmhl")
    assert judge.create(backing / "A001", "xxh64").returncode == 0
    fs = faulty_fs(backing=backing)
    held = fs.stall("read", path="A001/CLIPS/C00002.MOV")
    reports = tmp_path / "reports"
    process, out, err = _verify_signalled(fs, held, reports, signal.SIGINT)

    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    data = _one_report(reports)
    assert "CLIPS/C00000.MOV" not in json.dumps(data["verified"]), data
    assert "CLIPS/C00000.MOV" in json.dumps(data["changed"]), data
    assert "own-record-mismatch" in json.dumps(data), data


@pytest.mark.fault
@pytest.mark.timeout(90)
def test_a_ledger_that_cannot_be_read_is_said_never_claimed_held(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], judge: AscmhlJudge
) -> None:
    """The copy root's ledger unreadable (EIO) under a history rebuilt by ``ascmhl create``:
    the check says the files were checked against the history alone, and the replaced-history
    warning never claims they were held to the ledger. Review of later65, L3: before, the
    check was silently off and the warning said "files the ledger vouches for were held to
    it too"."""
    backing = _copied(tmp_path)
    shutil.rmtree(backing / "A001" / "ascmhl")
    assert judge.create(backing / "A001", "xxh64").returncode == 0
    fs = faulty_fs(backing=backing)
    fs.fail("open", errno.EIO, path="A001/.offload/ledger.jsonl")
    reports = tmp_path / "reports"
    process = start([OFFLOAD, "verify", "--report-dir", str(reports), str(fs.mountpoint / "A001")])
    out, err = process.communicate(timeout=60)
    said = out + err
    assert "Traceback" not in err, err
    assert "were held to it too" not in said, said
    assert "could not be read" in said and "ASC MHL history alone" in said, said
