"""Every JSON offload-ai prints is valid JSON whatever the names: a name byte that is not
UTF-8 is the escape ``\\udcNN`` (as in the saved report, docs/json.md), on any stdout
encoding; an encoding error is never taken for a reader gone (each test runs the command
as a subprocess on real files)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "offload.cli.offload"]

# The stdout encodings a user's locale gives Python: strict UTF-8 (a UTF-8 locale other than
# C), surrogateescape (the C/C.UTF-8 locale: the byte itself was written), Latin-1.
ENCODINGS = ["utf-8:strict", "utf-8:surrogateescape", "latin-1:strict"]


def run(
    *args: str | bytes | Path, reports: Path, encoding: str
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "OFFLOAD_REPORT_DIR": str(reports), "PYTHONIOENCODING": encoding}
    return subprocess.run(
        [*CLI, *(a if isinstance(a, bytes) else os.fsencode(a) for a in args)],
        capture_output=True,
        timeout=120,
        check=False,
        env=env,
    )


def json_values(stdout: bytes) -> list[object]:
    """Each line of *stdout* parsed as JSON (RFC 8259: UTF-8 text)."""
    return [json.loads(line.decode("utf-8")) for line in stdout.splitlines() if line.strip()]


@pytest.fixture
def card(tmp_path: Path) -> bytes:
    """A card whose folder's name and one file's name hold the byte 0xff, and a name with
    a character that is not ASCII."""
    root = os.path.join(os.fsencode(tmp_path), b"card\xff")
    os.makedirs(os.path.join(root, b"CLIPS"))
    for name, size in ((b"bad\xff.mov", 100), ("caf\u00e9.mov".encode(), 200)):
        with open(os.path.join(root, b"CLIPS", name), "wb") as handle:
            handle.write(os.urandom(size))
    return root


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_copy_json_lines_are_json_with_escaped_names(
    card: bytes, tmp_path: Path, encoding: str
) -> None:
    """Failed before: the lines held the raw byte 0xff (not UTF-8, not JSON); on a strict
    stdout no line at all was printed (the encoding error taken for a reader gone), exit 0."""
    dest = tmp_path / f"dest-{encoding.replace(':', '-')}"
    dest.mkdir()
    result = run("copy", "--json", card, dest, reports=tmp_path / "r", encoding=encoding)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    lines = json_values(result.stdout)
    assert isinstance(lines[-1], dict) and lines[-1]["event"] == "job_report"
    started = {
        os.fsencode(line["relative_path"])
        for line in lines
        if isinstance(line, dict) and line["event"] == "file_started"
    }
    assert started == {b"CLIPS/bad\xff.mov", "CLIPS/caf\u00e9.mov".encode()}
    assert b"\\udcff" in result.stdout  # the saved report's escape


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_dry_run_json_is_json_with_escaped_names(
    card: bytes, tmp_path: Path, encoding: str
) -> None:
    """Failed before: a traceback and exit 1 on a strict stdout, the raw byte otherwise."""
    dest = tmp_path / "dest"
    dest.mkdir()
    result = run(
        "copy", "--dry-run", "--json", card, dest, reports=tmp_path / "r", encoding=encoding
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    (plan,) = json_values(result.stdout)
    assert isinstance(plan, dict)
    copied = {os.fsencode(p) for p in plan["destinations"][0]["copy"]}
    assert copied == {b"CLIPS/bad\xff.mov", "CLIPS/caf\u00e9.mov".encode()}


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_verify_and_history_json_are_json_with_escaped_names(
    card: bytes, tmp_path: Path, encoding: str
) -> None:
    """``offload verify --json`` and ``offload history --json`` on a copy root whose path is
    not UTF-8 (failed before: history's raw byte, or a traceback on a strict stdout; verify's
    ``é`` in the encoding of a Latin-1 stdout)."""
    reports = tmp_path / "r"
    dest = tmp_path / "dest"
    dest.mkdir()
    copied = run("copy", "-q", card, dest, reports=reports, encoding="utf-8")
    assert copied.returncode == 0, copied.stderr.decode(errors="replace")
    root = os.path.join(os.fsencode(dest), b"card\xff")
    # A file with a character that is not ASCII the records do not hold: listed as new.
    with open(os.path.join(root, b"CLIPS", "n\u00e9w.mov".encode()), "wb") as handle:
        handle.write(b"new")
    verified = run("verify", "--json", root, reports=reports, encoding=encoding)
    assert verified.returncode == 21, verified.stderr.decode(errors="replace")
    data = json.loads(verified.stdout.decode("utf-8"))  # one document, indented
    assert isinstance(data, dict) and os.fsencode(data["path"]).endswith(b"card\xff")
    # bad\xff.mov: no manifest can record its name; checked against the copy root's ledger
    # instead (docs/json.md, `ledger_checked`), its name escaped there as everywhere.
    extra = [os.fsencode(p) for p in data["extra"]]
    assert extra == ["CLIPS/n\u00e9w.mov".encode()]
    assert [os.fsencode(p) for p in data["ledger_checked"]] == [b"CLIPS/bad\xff.mov"]
    history = run("history", "--json", "--report-dir", reports, reports=reports, encoding=encoding)
    assert history.returncode == 0, history.stderr.decode(errors="replace")
    (entries,) = json_values(history.stdout)
    assert isinstance(entries, list) and len(entries) == 2
    assert all(b"card\xff" in os.fsencode(json.dumps(e, ensure_ascii=False)) for e in entries)


def test_progress_trace_holds_every_event_of_a_name_that_is_not_utf8(
    card: bytes, tmp_path: Path
) -> None:
    """Failed before: the trace stopped at the first event naming the file (the encoding
    error taken for a failed write), silently."""
    dest = tmp_path / "dest"
    dest.mkdir()
    trace = tmp_path / "trace.jsonl"
    result = run(
        "copy",
        "-q",
        "--progress-trace",
        trace,
        card,
        dest,
        reports=tmp_path / "r",
        encoding="utf-8",
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    lines = json_values(trace.read_bytes())
    names = {
        os.fsencode(line["relative_path"])
        for line in lines
        if isinstance(line, dict) and line.get("relative_path")
    }
    assert b"CLIPS/bad\xff.mov" in names
