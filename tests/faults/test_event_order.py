"""``offload copy --json``'s event stream keeps each file's order on each destination: a
card read that fails mid-clip (FaultyFS: EIO from 6 MiB on) fails the clip on every
destination at once, from the reading thread, while a destination's writer may not have
taken the clip up yet: its ``phase_changed`` ``copy`` for the clip must not come after the
clip's ``file_failed`` there (a consumer then showed a failed file as copying).

Real parts: the card a FaultyFS FUSE mount (direct_io: every read reaches it), two local
destinations, the command a subprocess whose stdout lines are read."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.support.faultyfs import FaultyFS

MIB = 1 << 20
OFFLOAD = str(Path(sys.executable).with_name("offload"))


def test_no_copy_phase_after_a_files_failure_on_a_destination(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The second destination's writer held 1 s in the first clip's write (FaultyFS), so
    the reader meets the second clip's EIO, and fails it everywhere, before that writer
    takes the clip up. Failed before: its ``phase_changed`` ``copy`` came after its
    ``file_failed`` there."""
    card_fs, slow = faulty_fs(direct_io=True), faulty_fs()
    clips = card_fs.mountpoint / "CLIPS"
    clips.mkdir()
    (clips / "A001C001.mov").write_bytes(os.urandom(MIB))
    (clips / "A001C002.mov").write_bytes(os.urandom(8 * MIB))
    other = tmp_path / "d1"
    other.mkdir()
    bad = card_fs.fail("read", errno.EIO, path="*C002.mov", offset=6 * MIB)
    slow.stall("write", path="*C001.mov*", seconds=1.0, times=1)
    done = subprocess.run(
        [OFFLOAD, "copy", "--json", "--report-dir", str(tmp_path / "r"), str(card_fs.mountpoint),
         str(other), str(slow.mountpoint)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert card_fs.fired(bad) >= 1
    assert done.returncode == 1, done.stderr
    failed: set[tuple[int, str]] = set()
    late = []
    for line in done.stdout.splitlines():
        event = json.loads(line)
        where = (event.get("destination_index"), event.get("relative_path"))
        if event["event"] == "file_failed":
            failed.add(where)
        elif event["event"] == "phase_changed" and where in failed:
            late.append(event)
    assert (1, "CLIPS/A001C002.mov") in failed, done.stdout
    assert late == [], late
