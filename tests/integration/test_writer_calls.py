"""The system calls a destination's writer thread makes a file, seen from outside: a real
``offload copy`` under ``strace -ff`` (one trace a thread).

The writer paces a card of small files (docs/performance.md, "Many small files: thirteenth
pass"): each of its calls is a trip through the interpreter lock. Its per-file calls are the
partial's create and its write; the destination's presence is asked before a folder can be
made and once a batch, and the source's modification time is set by the committer, before
the batch is made durable. Every copy still gets its time (checked on the copies); a drive
gone in the middle of a batch is still a lost destination
(``test_card_offload.test_destination_folder_vanishing_is_a_lost_destination``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from support.requirements import require_tool

FILES = 12
SIZE = 10_000
MTIME_NS = 1_600_000_000_123_456_789
# The stat calls by every name the C library may use, the creates and the times set.
_CALLS = "newfstatat,statx,stat,lstat,openat,utimensat"


def _traces(tmp_path: Path, dest: Path) -> dict[Path, str]:
    """``offload copy --verify transfer`` of a 12-file card into *dest* under ``strace -ff``
    of ``_CALLS``: each thread's trace by file."""
    strace = require_tool("strace")
    card = tmp_path / "CARD" / "CLIPS"
    card.mkdir(parents=True)
    for index in range(FILES):
        path = card / f"C{index:04d}.MP4"
        path.write_bytes(os.urandom(SIZE))
        os.utime(path, ns=(MTIME_NS, MTIME_NS + index))
    dest.mkdir()
    trace = tmp_path / "trace"
    command = [sys.executable, "-m", "offload", "copy", "--quiet", "--verify", "transfer"]
    command += ["--report-dir", str(tmp_path / "reports"), str(tmp_path / "CARD"), str(dest)]
    subprocess.run(
        [strace, "-ff", "-qq", "-e", f"trace={_CALLS}", "-o", str(trace), *command],
        check=True,
        capture_output=True,
    )
    return {path: path.read_text() for path in tmp_path.glob("trace.*")}


def test_the_writer_makes_two_calls_a_small_file_and_every_copy_keeps_its_time(
    tmp_path: Path,
) -> None:
    """The writer thread (the one that creates the partials) asks for the destination root
    once for the batch (it was once a file) and sets no time (it did, once a file); the
    committer sets each copy's time, and each copy has its source's."""
    dest = tmp_path / "dest"
    traces = _traces(tmp_path, dest)
    creates = re.compile(r'openat\([^"]*"[^"]*/CLIPS/[^"/]*"[^)]*O_EXCL')
    writers = [text for text in traces.values() if creates.search(text)]
    assert len(writers) == 1, "one thread creates the partials"
    writer = writers[0]
    assert len(creates.findall(writer)) == FILES
    root_stats = re.findall(rf'stat[a-z0-9]*\([^"]*"{re.escape(str(dest))}"', writer)
    assert len(root_stats) == 1, root_stats
    assert "utimensat" not in writer
    # A time set on a descriptor (futimens): the copies' (other files' times go by path).
    times = sum(len(re.findall(r"utimensat\(\d+, NULL", text)) for text in traces.values())
    assert times == FILES
    for index in range(FILES):
        copy = dest / "CARD" / "CLIPS" / f"C{index:04d}.MP4"
        assert copy.stat().st_mtime_ns == MTIME_NS + index
