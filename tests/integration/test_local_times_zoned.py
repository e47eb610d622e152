"""Every local time a line prints names its zone (``report.words.local_time``), as the
summary's and the documents' do (``22:46 CET``; the documents UTC beside it): the JSON and
``offload history`` give UTC, and a bare local time read beside them as another time. Real
card folders, the real CLI in a process of its own, its zone set (``TZ=CET-1``, POSIX: no
zone database needed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "offload.cli.offload"]
ZONED = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? CET\b")
BARE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?(?! CET)(?![:\d])")


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


def test_each_local_time_of_a_line_names_its_zone(tmp_path: Path) -> None:
    """Failed before: ``verified there on 2026-12-04 22:30`` (card.py), ``the last on
    2026-12-04 22:30`` (card_folder.py), ``modified 2026-12-04 22:30:05`` (the reader), no
    zone, where the summary says ``CET``."""
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
    run = offload(tmp_path, "copy", "--reverify", card, first)
    assert run.returncode == 0, run.stderr
    line = line_with(run.stderr, "copy no longer matches")
    assert ZONED.search(line) and not BARE.search(line), line
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
