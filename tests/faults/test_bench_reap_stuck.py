"""The bench never hangs on a descendant a kill cannot end (``bench/system.py``,
``Spawner.reap_descendants``): a command's orphan stuck in a read of a dead drive (a real
FUSE read its daemon holds: after SIGKILL the process waits, uninterruptible, for the
answer) is killed, waited for ``kill_patience_s``, then left and named in ``unreaped``.

Failed before: after the kill the wait had no deadline, and ``reap_descendants`` did not
return until the stall was let go."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from offload.bench.system import Spawner

pytestmark = [pytest.mark.fault, pytest.mark.timeout(120)]


def test_a_descendant_stuck_after_its_kill_is_left_and_named_not_waited_for(
    tmp_path: Path, faulty_fs: Any
) -> None:
    drive = faulty_fs(direct_io=True)  # every read reaches the daemon
    clip = drive.mountpoint / "clip.mov"
    clip.write_bytes(os.urandom(64 << 10))
    rule = drive.stall("read", path="clip.mov")
    spawner = Spawner(tmp_path / "scratch", use_gnu_time=False)
    # The command lives on until its reader is held, seen below it by the tree's readings.
    spawner.run(["sh", "-c", f"cat '{clip}' > /dev/null & sleep 0.5; exit 0"])
    drive.wait_stalled(rule, timeout_s=30)
    done = threading.Event()
    reaper = threading.Thread(
        target=lambda: (spawner.reap_descendants(0.2, kill_patience_s=0.5), done.set()),
        daemon=True,
    )
    reaper.start()
    try:
        ended = done.wait(timeout=30)  # ~0.7 s: the patience, the kill, the kill's patience
    finally:
        stuck = list(spawner.unreaped)
        drive.release(rule)
        reaper.join(timeout=30)
        for pid in stuck:  # ended by the release: reaped here, never left a zombie
            os.waitpid(pid, 0)
    assert ended, "reap_descendants waited on a process its kill could not end"
    assert len(stuck) == 1, stuck
    assert spawner.descendants_reaped == 0
