"""A terminal's reader that goes away (``offload copy ... 2>&1 | head -1``) is no failure of
the run: the run goes on, writes every report (the HTML and PDF too) and exits with its own
code, the one its JSON report states. Before, the summary's write to the closed pipe raised
BrokenPipeError: exit 1 ("some destination or file failed", which none had) and no HTML or
PDF written, nothing saying so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.pfn import other_text

OFFLOAD = str(Path(sys.executable).with_name("offload"))
PFNDISPATCHCOPY = str(Path(sys.executable).with_name("pfndispatchcopy"))


def _card(tmp_path: Path) -> Path:
    card = tmp_path / "card"
    (card / "CLIPS").mkdir(parents=True)
    for i in range(20):
        (card / "CLIPS" / f"C{i:03d}.mov").write_bytes(bytes([i]) * 2000)
    return card


def _first_line_then_gone(argv: list[str]) -> int:
    """Run ``offload`` with its stderr (and stdout) on a pipe, read its first line, close the
    pipe as ``head -1`` does, and return its exit code."""
    process = subprocess.Popen(
        [OFFLOAD, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    first = process.stderr.readline()
    process.stderr.close()  # the reader gone: every later write to stderr finds EPIPE
    assert first, "no line on stderr"
    return process.wait(timeout=120)


@pytest.mark.timeout(180)
def test_a_copy_whose_stderr_reader_went_away_ends_as_its_report_says(tmp_path: Path) -> None:
    card = _card(tmp_path)
    (tmp_path / "dest").mkdir()
    reports = tmp_path / "reports"

    code = _first_line_then_gone(
        ["copy", "--report-dir", str(reports), str(card), str(tmp_path / "dest")]
    )

    (job,) = reports.glob("*.json")
    assert json.loads(job.read_text())["exit_code"] == 0
    assert code == 0
    assert len(list(reports.glob("*.html"))) == 1 and len(list(reports.glob("*.pdf"))) == 1
    assert (tmp_path / "dest" / "card" / "CLIPS" / "C019.mov").read_bytes() == bytes([19]) * 2000


@pytest.mark.timeout(180)
def test_a_verify_whose_stderr_reader_went_away_exits_with_its_reports_code(
    tmp_path: Path,
) -> None:
    card = _card(tmp_path)
    (tmp_path / "dest").mkdir()
    done = subprocess.run(
        [
            OFFLOAD,
            "copy",
            "-q",
            "--report-dir",
            str(tmp_path / "r1"),
            str(card),
            str(tmp_path / "dest"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (tmp_path / "dest" / "card" / "CLIPS" / "C003.mov").write_bytes(b"\xff" * 2000)  # same size
    reports = tmp_path / "r2"

    code = _first_line_then_gone(
        ["verify", "--report-dir", str(reports), str(tmp_path / "dest" / "card")]
    )

    (report,) = reports.glob("*.json")
    assert json.loads(report.read_text())["exit_code"] == 11
    assert code == 11


@pytest.mark.timeout(180)
def test_a_pfndispatchcopy_whose_stderr_reader_went_away_copies_and_prints_its_lines(
    tmp_path: Path,
) -> None:
    """``pfndispatchcopy`` as its console script, its stderr a pipe whose reader is gone
    before its first line (its ``-noflush_dest`` WARNING): both copies made and verified,
    its ``-v`` lines on stdout to the last, exit 0. Failed before (stderr not wrapped as
    ``offload``'s): exit 1 ("some destination failed", none had), no hash line, no speed
    line."""
    source = tmp_path / "A001C003.mov"
    source.write_bytes(bytes(range(256)) * 12_000)
    copies = [tmp_path / name / source.name for name in ("d1", "d2")]
    for copy in copies:
        copy.parent.mkdir()
    reader, writer = os.pipe()
    os.close(reader)  # every write to stderr finds EPIPE
    try:
        done = subprocess.run(
            [PFNDISPATCHCOPY, "-v", "-noflush_dest", str(copies[1]), str(source)]
            + [str(copy) for copy in copies],
            stdout=subprocess.PIPE,
            stderr=writer,
            text=True,
            timeout=120,
        )
    finally:
        os.close(writer)
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout
    assert lines[0] == f"INFO: copying {source}..." and lines[-2].startswith("hash XXH64BE:")
    assert lines[-1].startswith("INFO: copy speed 3072000 bytes in "), done.stdout
    assert all(copy.read_bytes() == source.read_bytes() for copy in copies)


@pytest.mark.timeout(180)
def test_a_pfndispatchcopy_whose_stdout_reader_went_away_copies_and_exits_its_own_code(
    tmp_path: Path,
) -> None:
    """``pfndispatchcopy -v ... | head -1``: its stdout a pipe whose reader is gone after the
    first line. Both copies made, exit 0, nothing on stderr. Failed before (stdout not
    wrapped): a ``BrokenPipeError`` traceback from the hash line's print, exit 1 ("some
    destination failed", none had)."""
    source = tmp_path / "A001C004.mov"
    source.write_bytes(bytes(range(256)) * 12_000)
    copies = [tmp_path / name / source.name for name in ("d1", "d2")]
    for copy in copies:
        copy.parent.mkdir()
    process = subprocess.Popen(
        [PFNDISPATCHCOPY, "-v", str(source)] + [str(copy) for copy in copies],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # the reader gone: every later write to stdout finds EPIPE
    errors = process.stderr.read()
    process.stderr.close()
    code = process.wait(timeout=120)
    assert first == f"INFO: copying {source}...\n"
    assert code == 0 and other_text(errors) == "", errors
    assert all(copy.read_bytes() == source.read_bytes() for copy in copies)


def _shell(command: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """*command* run by ``sh`` in *tmp_path*, ``$P`` the ``pfndispatchcopy`` console script,
    ``$O`` ``offload``'s: the redirections (``>/dev/full``, ``>&-``) its own."""
    return subprocess.run(
        ["sh", "-c", command],
        cwd=tmp_path,
        env={**os.environ, "P": PFNDISPATCHCOPY, "O": OFFLOAD},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("redirect", "why"),
    [(">/dev/full", "No space left on device"), (">&-", "it was closed")],
)
def test_a_pfndispatchcopy_whose_stdout_cannot_be_written_says_its_hash_on_stderr(
    tmp_path: Path, redirect: str, why: str
) -> None:
    """QA pfn60: stdout on a full device or closed. The copy verified, exit 0, and the hash
    line that could not be written said on stderr, not silently lost. Failed before: an
    OSError (ENOSPC) or AttributeError ('NoneType' ... 'flush') traceback, exit 1 ("some
    destination failed", none had)."""
    source = tmp_path / "A001C005.mov"
    source.write_bytes(bytes(range(256)) * 1000)
    (tmp_path / "d").mkdir()
    done = _shell(f'"$P" -v -t md5 -t xxh64 {source.name} d/ {redirect} 2>err', tmp_path)
    errors = other_text((tmp_path / "err").read_text())
    assert done.returncode == 0, errors
    assert (tmp_path / "d" / source.name).read_bytes() == source.read_bytes()
    said = f"WARNING: stdout could not be written ({why}): its hash line is this one: hash "
    md5, xxh64 = errors.splitlines()
    assert md5.startswith(f"{said}MD5:") and xxh64.startswith(f"{said}XXH64BE:"), errors


@pytest.mark.timeout(180)
@pytest.mark.parametrize("redirect", ["2>/dev/full", "2>&-"])
def test_a_pfndispatchcopy_whose_stderr_cannot_be_written_prints_its_hash_line(
    tmp_path: Path, redirect: str
) -> None:
    """QA pfn60: ``2>/dev/full`` ended a verified copy with exit 1 and no hash line on
    stdout ("lost sys.stderr"). Failed before."""
    source = tmp_path / "A001C006.mov"
    source.write_bytes(bytes(range(256)) * 1000)
    (tmp_path / "d").mkdir()
    done = _shell(f'"$P" {source.name} d/ {redirect}', tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("hash XXH64BE:"), done.stdout
    assert (tmp_path / "d" / source.name).read_bytes() == source.read_bytes()


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("redirect", "why"),
    [(">/dev/full", "No space left on device"), (">&-", "it was closed")],
)
def test_offloads_stdout_that_cannot_be_written_is_said_lost_not_a_failure(
    tmp_path: Path, redirect: str, why: str
) -> None:
    """QA pfn60: ``offload copy --json`` and ``offload verify`` with stdout on a full device
    or closed. Each exits with its own code (0), and one WARNING line says stdout's text is
    lost. Failed before: ``copy --json >/dev/full`` lost its lines silently, exit 0;
    ``>&-``, and ``verify`` either way, a traceback, exit 1."""
    _card(tmp_path)
    (tmp_path / "dest").mkdir()
    said = (
        f"WARNING: stdout could not be written ({why}): what this command writes there is "
        "lost; its exit code and its reports still give its outcome"
    )
    for command in ("copy --json --report-dir r card dest", "verify --report-dir r dest/card"):
        done = _shell(f'"$O" {command} {redirect}', tmp_path)
        assert done.returncode == 0, done.stderr
        assert said in done.stderr.splitlines() and "Traceback" not in done.stderr
    assert (tmp_path / "dest" / "card" / "CLIPS" / "C019.mov").read_bytes() == bytes([19]) * 2000
