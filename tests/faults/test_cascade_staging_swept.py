"""The cascade's scratch folder (``$TMPDIR/offload-cascade-*``, ``cascade_staging``) left by a
run SIGKILLed mid-cascade is removed by the next cascade; a live run's never is.

Real parts: the card on a tmpfs of its own (``cards``), the slow drive a FaultyFS whose writes
wait until the run is killed, the real CLI as a child process, a real ``flock``."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload import cascade_staging, lock
from support.cards import three_clip_card
from support.faultyfs import FaultyFS
from support.offload_cli import copy_acting_at_release, run_offload

pytestmark = pytest.mark.fault


def _aged(folder: Path, seconds: float = 7200) -> None:
    """*folder* dated *seconds* (two hours) back: as the next run finds it, later."""
    past = time.time() - seconds
    os.utime(folder, (past, past))


class KilledCascade:
    """A cascade SIGKILLed mid-run: a card (in *cards*) copied to a fast folder, then to the
    FaultyFS *slow*, whose first clip write is held until the run is killed, with
    ``$TMPDIR`` a folder of the test's (*tmp_path*/tmp, set in this process too). ``left``:
    the scratch folder the killed run left there (asserted: exactly one)."""

    def __init__(
        self, tmp_path: Path, cards: Path, slow: FaultyFS, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.scratch = tmp_path / "tmp"
        self.scratch.mkdir()
        monkeypatch.setenv("TMPDIR", str(self.scratch))
        self.card = three_clip_card(cards)
        self.fast = tmp_path / "RAID"
        self.fast.mkdir()
        stalled = slow.stall("write", path="A001/CLIPS/*")
        reports = tmp_path / "reports"
        self.args = ("--report-dir", str(reports), "--cascade-to", str(slow.mountpoint))

        def kill_once_the_cascade_writes(process: subprocess.Popen[str]) -> None:
            slow.wait_stalled(stalled, timeout_s=60)
            process.kill()
            slow.release()

        _, rest, code = copy_acting_at_release(
            *self.args, str(self.card), str(self.fast), at_release=kill_once_the_cascade_writes
        )
        assert code == -signal.SIGKILL, rest
        (self.left,) = self.scratch.glob(f"{cascade_staging.PREFIX}*")

    def rerun_sweeps_it(self) -> None:
        """The same cascade run again (the FaultyFS holding nothing now): it succeeds and
        no scratch folder is left in ``$TMPDIR``."""
        again = run_offload(
            "copy", *self.args, self.card, self.fast, env={"TMPDIR": str(self.scratch)}
        )
        assert again.returncode == 0, again.stderr
        assert list(self.scratch.glob(f"{cascade_staging.PREFIX}*")) == [], again.stderr


def test_a_killed_cascades_scratch_folder_is_removed_by_the_next_run(
    tmp_path: Path,
    cards: Path,
    faulty_fs: Callable[..., FaultyFS],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Failed before: the killed run's empty ``offload-cascade-XXXXXXXX`` stayed for good."""
    killed = KilledCascade(tmp_path, cards, faulty_fs(), monkeypatch)
    _aged(killed.left)
    killed.rerun_sweeps_it()


def test_a_killed_cascades_scratch_folder_is_removed_by_a_rerun_at_once(
    tmp_path: Path,
    cards: Path,
    faulty_fs: Callable[..., FaultyFS],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A re-run started right after the kill, the killed run's folder changed seconds ago:
    its lock file names a process proven gone (``lock.body_gone``), so it is removed at
    once, whatever its age. Failed before: kept by the one-minute rule for a folder just
    made (``run_scratch._FRESH_S``), until a run a minute later."""
    killed = KilledCascade(tmp_path, cards, faulty_fs(), monkeypatch)
    holder = json.loads((killed.left / cascade_staging.LOCK).read_text())
    assert lock.body_gone(holder), holder  # the killed run, reaped
    # As a re-run a few seconds after the kill finds it, however slow this one.
    os.utime(killed.left)
    killed.rerun_sweeps_it()


def test_a_fresh_scratch_folder_is_removed_only_when_its_holder_is_proven_gone(
    tmp_path: Path,
) -> None:
    """A folder changed less than a minute ago, its ``flock`` free: one whose lock file names
    a process that ended is a dead run's, removed; one naming a live process (a run between
    writing its lock file and taking the lock) or no one yet (an empty lock file) is kept."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    gone, alive, empty = (
        tmp_path / f"{cascade_staging.PREFIX}{n}" for n in ("gone", "alive", "empty")
    )
    # A pid reaped: no process of it started when the body says (any "pid_start" now).
    _locked_by(gone, pid=int(ended.stdout), pid_start=lock.process_start(os.getpid()))
    _locked_by(alive)  # this process, alive
    empty.mkdir()
    (empty / cascade_staging.LOCK).write_bytes(b"")
    for folder in (gone, alive, empty):
        os.utime(folder)  # changed just now
    cascade_staging.sweep(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, empty.name])


def test_a_live_runs_scratch_folder_is_kept_and_an_old_unlocked_one_removed(
    tmp_path: Path,
) -> None:
    live, old, fresh = (tmp_path / f"{cascade_staging.PREFIX}{n}" for n in ("a", "b", "c"))
    for folder in (live, old, fresh):
        folder.mkdir()
    fd = os.open(live / cascade_staging.LOCK, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a running cascade holds it
        _aged(live)
        _aged(old, 8 * 86400)  # older than a week: no run of an earlier version lives so long
        cascade_staging.sweep(str(tmp_path))
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, fresh.name])
    finally:
        os.close(fd)
    cascade_staging.sweep(str(tmp_path))  # its run ended: its lock free
    assert not live.exists() and fresh.exists()


def test_a_cascade_whose_scratch_folder_cannot_be_locked_runs_without_the_lock(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """$TMPDIR on a filesystem whose ``flock`` fails ENOLCK (NFS without lockd): the cascade
    runs without the lock, its lock file naming it, and removes its folder at the end. Failed
    before: the ENOLCK raised out of the cascade after the card's pass: a traceback, exit 1,
    no report."""
    scratch = faulty_fs(no_flock=True)
    card = three_clip_card(cards)
    fast, slow, reports = tmp_path / "RAID", tmp_path / "SHUTTLE", tmp_path / "reports"
    fast.mkdir()
    slow.mkdir()
    run = run_offload(
        "copy", "--report-dir", reports, "--cascade-to", slow, card, fast,
        env={"TMPDIR": str(scratch.mountpoint)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert list(reports.glob("*.json")), run.stderr
    assert list(scratch.mountpoint.glob(f"{cascade_staging.PREFIX}*")) == []


def _locked_by(folder: Path, **holder: object) -> None:
    """*folder* a scratch folder whose lock file names *holder* (no ``flock`` held), aged."""
    folder.mkdir()
    identity = {**lock.process_identity(), **holder}
    (folder / cascade_staging.LOCK).write_text(json.dumps(identity))
    _aged(folder)


def test_a_scratch_folder_named_by_another_host_or_this_boot_is_judged_by_its_holder(
    tmp_path: Path,
) -> None:
    """A lock file naming another host (a $TMPDIR shared over NFS, whose locks that host
    alone sees) is kept, its ``flock`` free here; one of this host's earlier boot is removed;
    an old folder without a lock file is kept for a week (an S3 cascade of an earlier
    version runs for hours). Failed before: the other host's live run's folder removed."""
    other_host, earlier_boot, unlocked = (
        tmp_path / f"{cascade_staging.PREFIX}{n}" for n in ("host", "boot", "old")
    )
    _locked_by(other_host, host="another-cart")
    _locked_by(earlier_boot, pid_space="0-earlier-boot/4026531836")
    unlocked.mkdir()
    _aged(unlocked)
    cascade_staging.sweep(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([other_host.name, unlocked.name])


def test_a_scratch_folder_of_an_earlier_boot_whose_lock_is_held_is_kept(tmp_path: Path) -> None:
    """The lock is asked before the body's boot is: a folder whose body names another boot
    of this host name (a second cart of the same default name on an NFS $TMPDIR) but whose
    flock a live process holds is a live run's. Failed before (the review of revfix5_57):
    removed, the boot rule asked first."""
    folder = tmp_path / f"{cascade_staging.PREFIX}held"
    _locked_by(folder, pid_space="0-earlier-boot/4026531836")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
            str(folder / cascade_staging.LOCK),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        _aged(folder)
        cascade_staging.sweep(str(tmp_path))
        assert folder.is_dir()
    finally:
        holder.kill()
        holder.communicate(timeout=10)  # reaped, its pipe closed
    cascade_staging.sweep(str(tmp_path))
    assert not folder.exists()  # its holder gone, the flock free: a dead run's


def test_an_old_looking_scratch_folder_whose_holder_is_alive_is_kept(tmp_path: Path) -> None:
    """A folder dated two hours back, its ``flock`` free, its lock file naming a process
    proven running (this one): a live run between writing its lock file and taking the
    lock, its folder dated by an NFS server whose clock is behind; kept. Failed before: the
    free ``flock`` alone judged it, and the live run's folder was removed."""
    folder = tmp_path / f"{cascade_staging.PREFIX}behind"
    _locked_by(folder)  # this process, alive; aged two hours
    cascade_staging.sweep(str(tmp_path))
    assert folder.is_dir()
