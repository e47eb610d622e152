"""Every time a line prints names its zone: a bare local time read beside the documents'
as another time. The summary's local times name it (``report.words.local_time``: ``22:46
CET``; the documents give UTC beside it). A time inside a message the reports keep (a
warning's message, a file's error, a refusal's reason: the JSON, the CSV, the HTML/PDF,
``offload verify``'s report) is UTC (``report.dates.utc_words``), as the JSON's and ``offload
history``'s dates: a report mailed and archived must not depend on the laptop's zone (QA qa70rep
M2: ``verified there on 2026-12-06 23:19 HST``). Real card folders, the real CLI in a process
of its own, its zone set (``TZ=CET-1``, POSIX: no zone database needed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "offload.cli.offload"]
ZONED = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC\b")
BARE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?(?! UTC)(?![:\d])")


def offload(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args), "--report-dir", str(tmp_path / "reports")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TZ": "CET-1", "COLUMNS": "250"},
    )


def line_with(output: str, words: str) -> str:
    [line] = [x for x in output.splitlines() if words in x]
    return line


def test_each_time_of_a_kept_message_is_utc(tmp_path: Path) -> None:
    """Failed before: ``verified there on 2026-12-04 22:30 CET`` (card.py, through
    ``ledger.proven_when``), ``the last on 2026-12-04 22:30 CET`` (card_folder.py),
    ``modified 2026-12-04 22:30:05 CET`` (the reader), in the terminal's lines and in the
    JSON, CSV and documents that keep them; and in ``offload verify``'s JSON and CSV."""
    card = tmp_path / "X"
    (card / "CLIP").mkdir(parents=True)
    (card / "CLIP" / "a.mov").write_bytes(os.urandom(3000))
    (card / "CLIP" / "a.xml").write_bytes(b"<x/>\n")
    first, second = tmp_path / "d1", tmp_path / "d2"
    first.mkdir()
    second.mkdir()
    assert offload(tmp_path, "copy", "--quiet", card, first).returncode == 0
    root = first / "X"
    # A copy found wrong by a check, then replaced by --reverify: when it was verified.
    clip = root / "CLIP" / "a.mov"
    data = bytearray(clip.read_bytes())
    data[10] ^= 0xFF
    clip.write_bytes(bytes(data))
    os.utime(clip, ns=(os.stat(card / "CLIP" / "a.mov").st_mtime_ns,) * 2)  # as copied
    assert offload(tmp_path, "verify", root).returncode == 11
    reports = tmp_path / "reports"
    before = set(reports.glob("X_*.json"))
    run = offload(tmp_path, "copy", "--reverify", card, first)
    assert run.returncode == 0, run.stderr
    line = line_with(run.stderr, "copy no longer matches")
    assert ZONED.search(line) and not BARE.search(line), line
    # The job's reports keep the line as it is: UTC (the HTML's Started and Finished give the
    # run's zone with UTC beside; the kept message is UTC alone).
    [job] = set(reports.glob("X_*.json")) - before
    assert "CET" not in job.read_text(), job
    for kept in (job, job.with_suffix(".html")):
        said = kept.read_text()
        assert re.search(r"verified there on \d{4}-\d\d-\d\d \d\d:\d\d UTC", said), kept
    # Another card of the same name: the last date its ledger records.
    other = tmp_path / "other" / "X"
    other.mkdir(parents=True)
    (other / "b.mov").write_bytes(b"b")
    run = offload(tmp_path, "copy", other, first)
    assert run.returncode == 64, run.stderr
    line = line_with(run.stderr, "holds another offload, of this card or another")
    assert ZONED.search(line) and not BARE.search(line), line
    # The copy offloaded again: its own ASC MHL history (the source's: a copy root of ours,
    # no card), a sidecar edited since.
    (root / "CLIP" / "a.xml").write_bytes(b"<y/>\n")
    run = offload(tmp_path, "copy", root, second)
    assert run.returncode != 0, run.stderr
    line = line_with(run.stderr, "does not match the source's own ASC MHL history")
    assert ZONED.search(line) and not BARE.search(line), line


def test_a_verify_reports_times_are_utc(tmp_path: Path) -> None:
    """``offload verify``'s JSON and CSV keep a reason's words as they are: a file replaced
    by ``--overwrite`` since the card's history recorded it says when the ledger's version
    was verified there, in UTC. Failed before: ``verified there on 2026-12-04 22:30 CET``."""
    card = tmp_path / "X"
    (card / "CLIP").mkdir(parents=True)
    (card / "CLIP" / "a.mov").write_bytes(os.urandom(3000))
    (card / "INDEX.XML").write_bytes(b"<x/>\n")
    dest = tmp_path / "d1"
    dest.mkdir()
    assert offload(tmp_path, "copy", "--quiet", card, dest).returncode == 0
    (card / "INDEX.XML").write_bytes(b"<index rewritten by the camera/>\n")
    run = offload(tmp_path, "copy", "--quiet", "--overwrite", card, dest)
    assert run.returncode == 0, run.stderr
    run = offload(tmp_path, "verify", dest / "X")
    line = line_with(run.stderr + run.stdout, "verified there on")
    assert ZONED.search(line) and not BARE.search(line), line
    [report] = (tmp_path / "reports").glob("verify_*.json")
    for kept in (report, report.with_suffix(".csv")):
        said = kept.read_text()
        assert "verified there on" in said and "CET" not in said, said
        after = said.split("verified there on ")[1]
        assert ZONED.match(after), after[:60]
