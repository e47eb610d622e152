"""No file the repository tracks keeps a merge conflict's markers.

A conflict resolved by hand in a document once left its ``<<<<<<<``/``=======``/``>>>>>>>``
lines in docs/json.md, and no other test reads that row; this one reads every tracked text
file, so a marker left anywhere fails the suite.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# A conflict's opening and closing lines carry a label after the markers; the middle line
# is exactly seven '='. Markdown's setext headings use '=' too, but never exactly seven
# alone between an opening and a closing marker, so only the labelled lines are matched.
MARKER = re.compile(rb"^(<{7}|>{7}) \S", re.MULTILINE)


def _tracked_files() -> list[Path]:
    try:
        listing = subprocess.run(
            ["git", "-C", str(REPO), "ls-files", "-z"],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"{REPO} is not a git checkout ({error}): nothing to list")
    return [REPO / name for name in listing.decode().split("\0") if name]


def test_no_tracked_file_keeps_a_conflicts_markers() -> None:
    offenders = []
    for path in _tracked_files():
        try:
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            continue
        if b"\0" in data[:8192]:
            continue  # binary: no text conflict markers to find
        for match in MARKER.finditer(data):
            line = data.count(b"\n", 0, match.start()) + 1
            offenders.append(f"{path.relative_to(REPO)}:{line}")
    assert not offenders, "merge conflict markers left in: " + ", ".join(offenders)
