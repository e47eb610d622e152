"""A signal while a report already written is restated, and a signal once a run's outcome
is stated (its reports final, ``--json``'s last line or document written): real
``offload`` processes, real signals, FaultyFS holding the call the signal must land in.

A stopped run never exits 0, and never exits with another code than the one its last JSON
line (or document) and its reports give."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support.faultyfs import FaultyFS, signal_at_stalls
from support.signal_pipes import drain as _drain
from support.signal_pipes import fill as _fill
from support.signal_pipes import full_pipe as _full_pipe
from support.signal_pipes import held_full, lines_up_to, one_page
from support.signal_pipes import writing as _writing

OFFLOAD = str(Path(sys.executable).with_name("offload"))


def _card(root: Path) -> Path:
    card = root / "A001"
    (card / "CLIPS").mkdir(parents=True)
    # Files named as no clip: random bytes named .mov are now NOT READABLE AS MEDIA, a
    # CARD CONTENT line more in the summary, which moved where the full pipe holds the run.
    (card / "CLIPS" / "A001C001.bin").write_bytes(os.urandom(300_000))
    (card / "CLIPS" / "A001C002.bin").write_bytes(b"second clip")
    return card


def _copied(tmp_path: Path) -> Path:
    """A card offloaded to ``tmp_path/disk``: the copy root."""
    card = _card(tmp_path / "cards")
    (tmp_path / "disk").mkdir()
    done = subprocess.run(
        [
            OFFLOAD,
            "copy",
            "-q",
            "--report-dir",
            str(tmp_path / "r0"),
            str(card),
            str(tmp_path / "disk"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return tmp_path / "disk" / card.name


@pytest.mark.fault
def test_verify_stopped_while_its_report_is_restated_exits_130(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``offload verify``: a first SIGTERM while its JSON report's creation is held (the
    check over: recorded, the report restated with it once written), then a second one
    while that restatement's creation is held: the command is stopped, so it exits 130 and
    its report says so. Failed before: the restatement swallowed the stop and the command
    exited 0 ("stopped again ..." on stderr), its report giving exit 0 too."""
    root = _copied(tmp_path)
    fs = faulty_fs()
    written = fs.stall("create", path="*verify_*.json*", nth=1)
    restated = fs.stall("create", path="*verify_*.json*", nth=2)
    process = subprocess.Popen(
        [OFFLOAD, "verify", "--report-dir", str(fs.mountpoint), str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    out, err = _signalled_at_two_stalls(
        fs, process, (written, signal.SIGTERM), (restated, signal.SIGTERM)
    )
    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    [report] = fs.mountpoint.glob("verify_*.json")
    data = json.loads(report.read_text())
    assert data["exit_code"] == 130 and data["passed"] is False, data
    assert data["stopped_after_check"] is True, data
    assert any(note.startswith("stopped by a further signal") for note in data["notes"]), data

    def listed() -> dict[str, object]:
        done = subprocess.run(
            [OFFLOAD, "history", "--json", "--report-dir", str(fs.mountpoint)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        [entry] = json.loads(done.stdout)
        assert entry["exit_code"] == 130, entry
        return entry

    # offload history calls it stopped, not cancelled: the check was over (before: cancelled).
    assert listed()["result"] == "stopped after the check"
    # From the report's key, not its note's words, which are for people and may change
    # (before: "cancelled" once the note read otherwise).
    notes = data["notes"]
    report.write_text(json.dumps({**data, "notes": ["reworded: " + n for n in notes]}))
    assert listed()["result"] == "stopped after the check"
    # A report of a version before the key: its note alone says it, and still does.
    earlier = {k: v for k, v in data.items() if k != "stopped_after_check"}
    report.write_text(json.dumps(earlier))
    assert listed()["result"] == "stopped after the check"
    report.write_text(json.dumps({**earlier, "notes": []}))
    assert listed()["result"] == "cancelled"


@pytest.mark.fault
@pytest.mark.parametrize("moment", ["summary", "last lines"])
def test_copy_sigterm_while_its_summary_or_last_lines_are_printed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], moment: str
) -> None:
    """``offload copy`` held writing to its stderr (a full pipe) by a real SIGTERM's time.
    While the summary is printed (its HTML and PDF not yet written): a stop, exit 130,
    every JSON report restated with exit 130, no HTML or PDF, no temporary. Once every
    report is final (the summary printed, the HTML and PDF written; its last lines being
    printed): the outcome is stated, nothing is stopped: exit 0 as every report says, the
    HTML and PDF kept, a WARNING naming the signal. Failed before (last lines): exit 130,
    the finished HTML and PDF removed, the JSON reports restated with exit 130 and a note
    saying the reports not yet written are missing, when none was. Twenty-fourth pass: the
    stop's line and notes said the manifests not yet written were missing, when every one
    was written before the reports; they now say so."""
    card = _card(tmp_path / "cards")
    dest = tmp_path / "disk"
    dest.mkdir()
    fs = faulty_fs()
    html = fs.stall("create", path="*.html*")
    read, write = _full_pipe()
    command = [OFFLOAD, "copy", "--report-dir", str(fs.mountpoint), str(card), str(dest)]
    if moment == "summary":  # the reports' creation held until the pipe is full
        held = fs.stall("create", path="[!s]*.json*")
        html, held = held, html
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=write, cwd=tmp_path)
    try:
        fs.wait_stalled(html, timeout_s=60)
        _fill(read, write)
        fs.release()
        _writing(process, 2)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        err = _drain(read, write, process)
    finally:
        fs.release()
        if process.poll() is None:
            process.kill()
    assert process.stdout is not None
    process.stdout.close()
    assert "Traceback" not in err, err
    folders = [fs.mountpoint, dest / card.name / ".offload" / "reports"]
    reports = [json.loads(next(folder.glob("*.json")).read_text()) for folder in folders]
    # The local folder's started/ (start records, report/started.py) stays, empty.
    kinds = [
        sorted(n.rsplit(".", 1)[1] for n in os.listdir(folder) if n != "started")
        for folder in folders
    ]
    if moment == "summary":
        assert process.returncode == 130, err
        assert "stopped by SIGTERM while the reports were written" in err, err
        assert all(data["exit_code"] == 130 for data in reports), reports
        assert kinds == [["csv", "json"], ["csv", "json"]], kinds
        # The manifests were written before the reports: said so, never "missing" (before:
        # the line and every restated note said the manifests not yet written were missing).
        history = dest / card.name / "ascmhl"
        assert any(p.name.endswith(".mhl") for p in history.iterdir()), list(history.iterdir())
        said = "the manifests are written on every destination"
        assert f"{said}; the reports not yet written are missing" in " ".join(err.split()), err
        for data in reports:
            [note] = [n for n in data["notes"] if n.startswith("stopped by SIGTERM")]
            assert f"({said})" in note and "manifests not yet written" not in note, note
        # Each JSON report's HTML and PDF, not there, named as the summary names a report
        # not written (before: only the JSON's note said so).
        flat = " ".join(err.split())
        for folder in folders:
            [saved] = folder.glob("*.json")
            html, pdf = saved.with_suffix(".html"), saved.with_suffix(".pdf")
            assert f"REPORT NOT WRITTEN: the HTML and PDF reports {html} and {pdf}:" in flat, err
            assert f"offload report {saved} makes them" in flat, err
        return
    assert process.returncode == 0, err
    assert "SIGTERM came once the reports were written: nothing was stopped" in err, err
    assert all(data["exit_code"] == 0 and data["notes"] == [] for data in reports), reports
    assert kinds == [["csv", "html", "json", "pdf"]] * 2, kinds


@pytest.mark.timeout(90)
@pytest.mark.parametrize("second", ["SIGTERM", "SIGINT"])
def test_copy_json_signalled_after_its_job_report_line_keeps_its_exit_code(
    tmp_path: Path, second: str
) -> None:
    """``offload copy --json``: a Ctrl-C while its ``job_report`` line (exit code 0) is held
    in a full stdout pipe, then, the line out, a second signal while the command is held
    writing the warning that names the first (stderr a full pipe too). The line stands: exit
    0, as it says, the reports as written (HTML and PDF kept). Failed before: a SIGTERM there
    killed the process (-15) and a SIGINT made it exit 130, its reports restated with exit
    130 and their HTML and PDF removed, after a ``job_report`` line of exit code 0. Then
    (twenty-fourth pass) the second signal, past the check that named the first, was not
    said at all: now one more WARNING line names it as the process ends."""
    card = _card(tmp_path / "cards")
    for index in range(60):  # ignored entries, each named in the line: several pages
        folder = card / f"take_{index:03d}_{'y' * 60}"
        folder.mkdir()
        (folder / ".DS_Store").write_bytes(b"os")
    dest = tmp_path / "disk"
    dest.mkdir()
    read, write = _full_pipe()
    process = subprocess.Popen(
        [OFFLOAD, "copy", "--json", "--report-dir", str(tmp_path / "r"), str(card), str(dest)],
        stdout=subprocess.PIPE,
        stderr=write,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        reader, page = one_page(process)
        deadline = time.monotonic() + 60
        lines_up_to(reader, "offload_finished", deadline)
        held_full(process, reader, page, deadline, "no job_report")
        _fill(read, write)
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)
        last = b""
        while not last.endswith(b"\n"):
            chunk = os.read(reader, 65536)
            assert chunk, last[-200:]
            last += chunk
        line = json.loads(last)
        assert line["event"] == "job_report" and line["exit_code"] == 0, line
        _writing(process, 2)  # the warning naming the Ctrl-C
        process.send_signal(getattr(signal, second))
        time.sleep(0.3)
        err = _drain(read, write, process)
        process.stdout.close()
    finally:
        if process.poll() is None:
            process.kill()
    assert "Traceback" not in err, err
    assert process.returncode == 0, err
    assert "Ctrl-C came while the job_report line was written" in err, err
    # The second came while the first was named: said too, as the process ended.
    words = "Ctrl-C" if second == "SIGINT" else "SIGTERM"
    assert f"{words} came once the job_report line was written: it was written whole" in err, err
    [saved] = (tmp_path / "r").glob("*.json")
    assert json.loads(saved.read_text())["exit_code"] == 0
    assert saved.with_suffix(".html").exists() and saved.with_suffix(".pdf").exists()


@pytest.mark.fault
@pytest.mark.parametrize("second", ["SIGTERM", "SIGINT"])
def test_verify_json_signalled_once_its_outcome_is_stated_keeps_its_exit_code(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], second: str
) -> None:
    """``offload verify --json``: a first SIGTERM while its report's creation is held (the
    check over: recorded, the report restated with it), then, its document printed (exit
    code 0), a second signal while the command is held writing the warning that names the
    first (stderr a full pipe): the document stands, exit 0, no traceback. Failed before:
    the handler was put back before that warning, so a SIGTERM killed the process (-15)
    and a SIGINT ended it on a KeyboardInterrupt traceback, after a document of exit 0."""
    root = _copied(tmp_path)
    fs = faulty_fs()
    held = fs.stall("create", path="*verify_*.json*", nth=1)
    read, write = _full_pipe()
    process = subprocess.Popen(
        [OFFLOAD, "verify", "--json", "--report-dir", str(fs.mountpoint), str(root)],
        stdout=subprocess.PIPE,
        stderr=write,
        cwd=tmp_path,
    )
    try:
        fs.wait_stalled(held, timeout_s=60)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        _fill(read, write)
        fs.release()
        _writing(process, 2)  # the document printed, the warning held
        process.send_signal(getattr(signal, second))
        time.sleep(0.3)
        err = _drain(read, write, process)
        assert process.stdout is not None
        document = json.loads(process.stdout.read())
        process.stdout.close()
    finally:
        fs.release()
        if process.poll() is None:
            process.kill()
    assert "Traceback" not in err, err
    assert process.returncode == document["exit_code"] == 0, err
    assert "SIGTERM came while the report was written" in err, err
    words = "Ctrl-C" if second == "SIGINT" else "SIGTERM"  # held in the line naming the first
    assert f"{words} came after the report was written, while the command finished" in err, err
    saved = json.loads(Path(document["report"]).read_text())
    assert saved["exit_code"] == 0 and len(saved["notes"]) == 1, saved


@pytest.mark.fault
@pytest.mark.parametrize("number", ["SIGINT", "SIGTERM"])
def test_pfndispatchcopy_signalled_while_its_hash_line_is_printed_keeps_its_outcome(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], number: str
) -> None:
    """``pfndispatchcopy``: the copy verified and published on both destinations, a real
    signal while the command is held writing its hash line (stdout a full pipe): the line
    is written whole, exit 0, as after any signal once every copy had its outcome. Failed
    before: the handler was put back before the outcome was printed, so a SIGINT ended it
    on a KeyboardInterrupt traceback and a SIGTERM killed it (-15), the hash line a caller
    parses never written."""
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(300_000))
    fast = tmp_path / "fast"
    fast.mkdir()
    fs = faulty_fs()
    published = fs.stall("fsyncdir", path="*")  # the slow destination's rename made durable
    read, write = _full_pipe()
    exe = str(Path(sys.executable).with_name("pfndispatchcopy"))
    process = subprocess.Popen(
        [exe, str(source), str(fast), str(fs.mountpoint)],
        stdout=write,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        fs.wait_stalled(published, timeout_s=60)
        _fill(read, write)
        fs.release()
        deadline = time.monotonic() + 30
        while Path(f"/proc/{process.pid}/syscall").read_text().split()[:2] != ["1", "0x1"]:
            assert process.poll() is None and time.monotonic() < deadline, "no hash line"
            time.sleep(0.01)
        process.send_signal(getattr(signal, number))
        time.sleep(0.3)
        out = _drain(read, write, process)
        assert process.stderr is not None
        err = process.stderr.read().decode()
        process.stderr.close()
    finally:
        fs.release()
        if process.poll() is None:
            process.kill()
    assert "Traceback" not in err, err
    assert process.returncode == 0, err
    [line] = out.splitlines()
    assert line.startswith("hash XXH64BE:") and len(line) == len("hash XXH64BE:") + 16, out
    # Said, in one line (twenty-fourth pass: before, nothing said it came).
    words = "Ctrl-C" if number == "SIGINT" else "SIGTERM"
    assert f"WARNING: {words} came while the outcome was printed: nothing was cancelled" in err
    assert (fast / "clip.mov").read_bytes() == (fs.mountpoint / "clip.mov").read_bytes()


@pytest.mark.fault
def test_copy_stopped_again_while_its_reports_are_restated_names_those_left(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``offload copy`` stopped by a real SIGTERM while its HTML report's creation is held,
    then a real SIGINT while the restatement of its first JSON report (the local one, on
    FaultyFS) is held: exit 130, and one line names each JSON report that still gives the
    exit code it was written with (both here), never "some". Failed before: "some may still
    give exit 0", naming none."""
    card = _card(tmp_path / "cards")
    dest = tmp_path / "disk"
    dest.mkdir()
    fs = faulty_fs()
    html = fs.stall("create", path="*.html*")
    restated = fs.stall("create", path="[!s]*.json*", nth=2)
    process = subprocess.Popen(
        [OFFLOAD, "copy", "-q", "--report-dir", str(fs.mountpoint), str(card), str(dest)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    out, err = _signalled_at_two_stalls(
        fs, process, (html, signal.SIGTERM), (restated, signal.SIGINT)
    )
    assert "Traceback" not in err, err
    assert process.returncode == 130, out + err
    [local] = fs.mountpoint.glob("*.json")
    [other] = (dest / card.name / ".offload" / "reports").glob("*.json")
    said = " ".join(err.split())
    assert (
        "stopped again while the reports were restated: these still give the exit code they "
        f"were written with, not the run's 130: {local}, {other}"
    ) in said, err
    assert json.loads(local.read_text())["exit_code"] == 0
    assert json.loads(other.read_text())["exit_code"] == 0


def _signalled_at_two_stalls(
    fs: FaultyFS,
    process: subprocess.Popen[str],
    first: tuple[str, signal.Signals],
    second: tuple[str, signal.Signals],
) -> tuple[str, str]:
    """Send each (stall, signal)'s signal once *process* is held at that stall of *fs*,
    letting the first stall go before waiting for the second; every stall released at the
    end. The process's (stdout, stderr) once it exits."""
    signal_at_stalls(fs, process, (first[0], [first[1]]), (second[0], [second[1]]), pause_s=0.3)
    return process.communicate(timeout=60)
