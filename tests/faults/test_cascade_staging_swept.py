"""The cascade's scratch folder (``$TMPDIR/offload-cascade-*``, ``cascade_staging``) left by a
run SIGKILLed mid-cascade is removed by the next cascade; a live run's never is.

Real parts: the card on a tmpfs of its own (``cards``), the slow drive a FaultyFS whose writes
wait until the run is killed, the real CLI as a child process, a real ``flock``."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload import cascade_staging
from support.cards import three_clip_card
from support.faultyfs import FaultyFS
from support.offload_cli import copy_acting_at_release, run_offload

pytestmark = pytest.mark.fault


def _aged(folder: Path) -> None:
    """*folder* dated two hours back: as the next run finds it, later."""
    past = time.time() - 7200
    os.utime(folder, (past, past))


def test_a_killed_cascades_scratch_folder_is_removed_by_the_next_run(
    tmp_path: Path,
    cards: Path,
    faulty_fs: Callable[..., FaultyFS],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Failed before: the killed run's empty ``offload-cascade-XXXXXXXX`` stayed for good."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    card = three_clip_card(cards)
    fast = tmp_path / "RAID"
    fast.mkdir()
    slow = faulty_fs()
    stalled = slow.stall("write", path="A001/CLIPS/*")
    args = ("--report-dir", str(tmp_path / "reports"), "--cascade-to", str(slow.mountpoint))

    def kill_once_the_cascade_writes(process: subprocess.Popen[str]) -> None:
        slow.wait_stalled(stalled, timeout_s=60)
        process.kill()
        slow.release()

    _, rest, code = copy_acting_at_release(
        *args, str(card), str(fast), at_release=kill_once_the_cascade_writes
    )
    assert code == -signal.SIGKILL, rest
    (left,) = scratch.glob(f"{cascade_staging.PREFIX}*")
    _aged(left)
    again = run_offload("copy", *args, card, fast, env={"TMPDIR": str(scratch)})
    assert again.returncode == 0, again.stderr
    assert list(scratch.glob(f"{cascade_staging.PREFIX}*")) == [], again.stderr


def test_a_live_runs_scratch_folder_is_kept_and_an_old_unlocked_one_removed(
    tmp_path: Path,
) -> None:
    live, old, fresh = (tmp_path / f"{cascade_staging.PREFIX}{n}" for n in ("a", "b", "c"))
    for folder in (live, old, fresh):
        folder.mkdir()
    fd = os.open(live / cascade_staging.LOCK, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a running cascade holds it
        for folder in (live, old):
            _aged(folder)
        cascade_staging.sweep(str(tmp_path))
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, fresh.name])
    finally:
        os.close(fd)
    cascade_staging.sweep(str(tmp_path))  # its run ended: its lock free
    assert not live.exists() and fresh.exists()
