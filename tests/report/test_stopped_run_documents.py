"""The HTML and PDF reports of a run a real signal cancelled or stopped say so on their
first line, with what the copies were at the stop, never a verdict that reads as done.
Real ``offload`` processes, real signals; the PDF read with pdftotext."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from report.helpers import pdf_words
from support.faultyfs import FaultyFS, signalled_at_stall

OFFLOAD = str(Path(sys.executable).with_name("offload"))


def _html_text(path: Path) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", path.read_text()).split())


def test_a_cancelled_runs_documents_say_cancelled_and_what_the_copies_were(
    tmp_path: Path, poppler: dict[str, str]
) -> None:
    """A real SIGINT once the first copy is verified: the verdict says CANCELLED and counts
    the copies by state, as the JSON gives them (the terminal's CANCELLED line counts what
    was verified too). Failed before: "CANCELLED: the offload did not finish" alone, the
    copies already verified not said."""
    card = tmp_path / "A001"
    card.mkdir()
    for index in range(40):  # as test_every_word_true's cancel: the copy outlasts the signal
        (card / f"C{index:03d}.mov").write_bytes(os.urandom(4_000_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "r"
    process = subprocess.Popen(
        [OFFLOAD, "copy", "--json", "--report-dir", str(reports), str(card), str(dest)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if json.loads(line)["event"] == "file_verified":
            break
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    [saved] = reports.glob("*.json")
    data = json.loads(saved.read_text())
    states = Counter(d["status"] for f in data["files"] for d in f["destinations"])
    assert data["cancelled"] and states["verified"] and states["cancelled"], states
    said = (
        f"CANCELLED: the offload did not finish; the copies: {states['verified']} verified "
        f"now, {states['cancelled']} cancelled"
    )
    assert said in _html_text(saved.with_suffix(".html"))
    assert said in pdf_words(poppler, saved.with_suffix(".pdf"))


@pytest.mark.fault
def test_a_stopped_runs_documents_made_again_say_stopped_never_all_verified(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], poppler: dict[str, str]
) -> None:
    """A real SIGTERM while the HTML report's creation is held (the copy over): the run
    stops, exit 130, its JSON restated with exit 130 and a note, its HTML and PDF removed;
    ``offload report JOB.json`` makes them again. Their verdict: STOPPED AFTER THE COPIES,
    the copies as they stand. Failed before: "✔ ALL COPIES VERIFIED" in green over a run
    that exited 130 with its manifests and reports possibly missing."""
    fs = faulty_fs()
    code, err, _card, _dest = _copy_signalled_while_held(
        tmp_path, fs, fs.stall("create", path="*.html*"), signal.SIGTERM
    )
    assert code == 130, err
    [saved] = fs.mountpoint.glob("*.json")
    assert json.loads(saved.read_text())["exit_code"] == 130
    again = subprocess.run(
        [OFFLOAD, "report", "--no-media", str(saved)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    said = (
        "STOPPED AFTER THE COPIES (exit 130), while the reports were written: those not "
        "written before the stop are missing (see the notes); the copies: 3 verified now"
    )
    for text in (
        _html_text(saved.with_suffix(".html")),
        pdf_words(poppler, saved.with_suffix(".pdf")),
    ):
        assert said in text and "ALL COPIES VERIFIED" not in text, text[:600]


@pytest.mark.fault
def test_a_ctrl_c_during_the_reports_is_in_the_html_and_pdf_too(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], poppler: dict[str, str]
) -> None:
    """A real Ctrl-C while the local JSON report's creation is held (every copy had its
    outcome: it cancels nothing, exit 0): the note saying so is in every JSON report and,
    the HTML and PDF not written yet, in them too. Failed before: in the JSON reports and on
    stderr only, the documents a producer reads silent about it."""
    fs = faulty_fs()
    code, err, card, dest = _copy_signalled_while_held(
        tmp_path, fs, fs.stall("create", path="[!s]*.json*", nth=1), signal.SIGINT
    )
    assert code == 0, err
    said = "Ctrl-C came while the reports were written, after every copy had finished"
    assert said in err, err
    for folder in (fs.mountpoint, dest / card.name / ".offload" / "reports"):
        [saved] = folder.glob("*.json")
        assert any(said in note for note in json.loads(saved.read_text())["notes"])
        assert said in _html_text(saved.with_suffix(".html")), folder
        assert said in pdf_words(poppler, saved.with_suffix(".pdf")), folder


def _copy_signalled_while_held(
    tmp_path: Path, fs: FaultyFS, held: str, signum: int
) -> tuple[int, str, Path, Path]:
    """A 3-clip card copied with ``--report-dir`` on *fs*, sent *signum* once the stall
    *held* (a report's create) holds it; returns its exit code, stderr, card and
    destination."""
    card = tmp_path / "A001"
    card.mkdir()
    for index in range(3):
        (card / f"C{index:03d}.mov").write_bytes(os.urandom(100_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    argv = [OFFLOAD, "copy", "-q", "--report-dir", str(fs.mountpoint), str(card), str(dest)]
    done = signalled_at_stall(fs, held, argv, signum, cwd=tmp_path)
    return done.returncode, done.stderr, card, dest


@pytest.mark.fault
def test_a_run_stopped_after_one_destinations_report_names_where_none_is(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], poppler: dict[str, str]
) -> None:
    """A real SIGTERM while the second destination's report is held (the first one's JSON
    and CSV written, none on the second nor in --report-dir): the terminal names the folders
    without a report, never "the JSON and CSV reports are written" alone; the documents
    made again from the first one's JSON count the stop among the problems. Failed before
    (QA): nothing said of the folders without one, and Totals "Problems: none" under "✖
    STOPPED AFTER THE COPIES"."""
    fs = faulty_fs()
    card = tmp_path / "A001"
    card.mkdir()
    for index in range(3):
        (card / f"C{index:03d}.mov").write_bytes(os.urandom(100_000))
    first = tmp_path / "D1"
    first.mkdir()
    local = tmp_path / "r"
    argv = [OFFLOAD, "copy", "-q", "--report-dir", str(local), str(card), str(first)]
    held = fs.stall("create", path="*/.offload/reports/*")
    done = signalled_at_stall(fs, held, [*argv, str(fs.mountpoint)], signal.SIGTERM, cwd=tmp_path)
    assert done.returncode == 130, done.stderr
    [saved] = (first / "A001" / ".offload" / "reports").glob("*.json")
    assert saved.with_suffix(".csv").exists()
    assert not list(local.glob("*.json")) if local.exists() else True
    second = fs.mountpoint / "A001" / ".offload" / "reports"
    assert not list(second.glob("*.json")), list(second.iterdir())
    err = " ".join(done.stderr.split())
    assert f"its JSON and CSV reports are written there; offload report {saved}" in err, err
    assert f"REPORT NOT WRITTEN: no report of this run in {second}, {local}: " in err, err
    again = subprocess.run(
        [OFFLOAD, "report", "--no-media", str(saved)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    stop = "The offload was STOPPED (exit 130) while its reports were written"
    for text in (
        _html_text(saved.with_suffix(".html")),
        pdf_words(poppler, saved.with_suffix(".pdf")),
    ):
        assert "STOPPED AFTER THE COPIES" in text and stop in text, text[:2000]
        assert "Problems none" not in text and "Problems: none" not in text, text


def _card(tmp_path: Path) -> Path:
    """A 3-clip card, ``A001``, under *tmp_path*."""
    card = tmp_path / "A001"
    card.mkdir()
    for index in range(3):
        (card / f"C{index:03d}.mov").write_bytes(os.urandom(100_000))
    return card


@pytest.mark.fault
def test_a_stopped_run_names_a_refused_report_folder_by_its_error_not_as_stopped(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A destination whose reports folder is a file refuses the report; a real SIGTERM
    while the local report (on FaultyFS) is held: the terminal names the refused folder by
    its error, never among the folders "the run was stopped before they were written"
    (the same command fails there again). Failed before: D1's folder in that list, its
    "Not a directory" printed nowhere."""
    fs = faulty_fs()
    card = _card(tmp_path)
    dest = tmp_path / "D1"
    dest.mkdir()
    first = [OFFLOAD, "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(dest)]
    subprocess.run(first, capture_output=True, check=True, cwd=tmp_path, timeout=120)
    reports = dest / "A001" / ".offload" / "reports"
    shutil.rmtree(reports)
    reports.write_text("not a folder")
    argv = [OFFLOAD, "copy", "-q", "--report-dir", str(fs.mountpoint), str(card), str(dest)]
    held = fs.stall("create", path="[!s]*.json*")
    done = signalled_at_stall(fs, held, argv, signal.SIGTERM, cwd=tmp_path)
    assert done.returncode == 130, done.stderr
    err = " ".join(done.stderr.split())
    assert f"REPORT NOT WRITTEN: cannot write the report into {reports}: " in err, err
    assert f"REPORT NOT WRITTEN: no report of this run in {fs.mountpoint}: " in err, err
    assert f"{reports}: the run was stopped" not in err and f"{reports}, " not in err, err


@pytest.mark.fault
def test_a_report_published_just_before_the_stop_is_restated_not_called_missing(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A real SIGTERM while the fsync of the local report folder (FaultyFS), its JSON and
    CSV already renamed into place, is held: that JSON is restated with exit 130 like the
    others, and the terminal never says the folder holds no report. Failed before: "no
    report of this run in <folder>" over a JSON and CSV there giving exit code 0."""
    fs = faulty_fs()
    code, err, _card, _dest = _copy_signalled_while_held(
        tmp_path, fs, fs.stall("fsyncdir"), signal.SIGTERM
    )
    assert code == 130, err
    [saved] = fs.mountpoint.glob("*.json")
    assert saved.with_suffix(".csv").exists()
    assert json.loads(saved.read_text())["exit_code"] == 130
    assert "no report of this run" not in err, err


@pytest.mark.fault
def test_a_stopped_run_with_a_failed_copy_never_says_nothing_is_copied_again(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], poppler: dict[str, str]
) -> None:
    """Two destinations, C001's write on the second (FaultyFS) failing with EACCES; a real
    SIGTERM while that destination's report is held: the terminal's and the documents'
    "run the same command again to write them" never add "(nothing is copied again)": that
    command copies C001 again. Failed before: both said it next to "1 failed"."""
    fs = faulty_fs()
    card = _card(tmp_path)
    dest = tmp_path / "D1"
    dest.mkdir()
    fs.fail("write", errno.EACCES, path="*C001*")
    held = fs.stall("create", path="*/.offload/reports/*")
    argv = [OFFLOAD, "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(dest)]
    done = signalled_at_stall(fs, held, [*argv, str(fs.mountpoint)], signal.SIGTERM, cwd=tmp_path)
    assert done.returncode == 130, done.stderr
    err = " ".join(done.stderr.split())
    assert "run the same command again to write them" in err, err
    assert "nothing is copied again" not in err, err
    [saved] = (dest / "A001" / ".offload" / "reports").glob("*.json")
    assert json.loads(saved.read_text())["totals"]["results"]["failed"] == 1
    again = subprocess.run(
        [OFFLOAD, "report", "--no-media", str(saved)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    for text in (
        _html_text(saved.with_suffix(".html")),
        pdf_words(poppler, saved.with_suffix(".pdf")),
    ):
        assert "run the same command again to write them" in text, text[:2000]
        assert "nothing is copied again" not in text, text[:2000]
