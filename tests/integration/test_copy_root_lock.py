"""One offload at a time per copy root (offload.lock): real processes, really killed."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.ledger import Ledger
from offload.lock import (
    CopyRootBusy,
    lock_copy_roots,
    lock_path,
    other_holder,
    process_identity,
    process_start,
)
from offload.plan.destination import plan_destinations
from offload.plan.scan import scan_source
from offload.plan.strays import stray_partials
from support.faultyfs import FaultyFS
from support.held_process import signal_while_held, start
from support.lock_holder import is_locked, start_holder, stop
from support.mounts import Mount

MIB = 1024 * 1024


def make_card(root: Path, sizes: dict[str, int]) -> Path:
    for relative, size in sizes.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        seed = sum(relative.encode())
        path.write_bytes(bytes((i * 31 + seed) % 251 for i in range(256)) * (size // 256))
    return root


def offload_cli(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "offload.cli.offload", "copy", *map(str, args)]


def run(command: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def listing(root: Path) -> dict[str, int]:
    found = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = path.stat().st_size
    return found


def settled_listing(root: Path, *, quiet_s: float = 5.0, timeout_s: float = 120) -> dict[str, int]:
    """The listing once it has not changed for *quiet_s* seconds.

    Generous: on a machine whose disk is busy with other work one flush of the run being
    watched can take seconds, and a listing taken before the run settled changes later.
    """
    deadline = time.monotonic() + timeout_s
    last, since = listing(root), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = listing(root)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return now
    raise TimeoutError(f"{root} kept changing")


def test_a_second_run_is_refused_until_the_holder_is_killed(tmp_path: Path) -> None:
    card = make_card(tmp_path / "A001", {"CLIPS/C001.MOV": 300_000, "CLIPS/C002.MOV": 5_000})
    dest = tmp_path / "dest"
    dest.mkdir()
    holder = start_holder(dest / "A001")
    try:
        body = json.loads(lock_path(dest / "A001").read_text())
        before = listing(dest)
        refused = run(offload_cli("--report-dir", tmp_path / "r1", card, dest))
        assert refused.returncode == 64, refused.stderr
        lines = refused.stderr.strip().splitlines()
        message = next(line for line in lines if "in use by another offload" in line)
        assert f"pid {holder.pid} on {socket.gethostname()}" in message
        assert body["started"] in message and "offload copy A001" in message
        assert str(dest / "A001") in message
        # Refused before it began: it does not announce an offload (failed before).
        assert "Offloading" not in refused.stderr
        assert listing(dest) == before  # not a byte written
        # The attempt is recorded for offload history, in its own words (report/refused.py).
        (record,) = (tmp_path / "r1" / "refused").glob("A001_*Z.json")
        recorded = json.loads(record.read_text())
        # Its one error, copy-root-busy, as --json's offload_refused lists it (failed
        # before: codes [], errors [], the lock's words in the message alone).
        assert recorded["exit_code"] == 64 and recorded["codes"] == ["copy-root-busy"], recorded
        assert "in use by another offload" in recorded["message"], recorded
        as_json = run(offload_cli("--json", "--report-dir", tmp_path / "r1", card, dest))
        assert as_json.returncode == 64, as_json.stderr
        (refused,) = [json.loads(x) for x in as_json.stdout.splitlines() if "offload_refused" in x]
        (error,) = refused["errors"]
        assert error["code"] == "copy-root-busy" and error["path"] == str(dest / "A001"), error
        assert error["message"] == refused["message"] and error["message"] in as_json.stderr
    finally:
        stop(holder)  # SIGKILL
    # The kernel released the dead holder's lock: nothing to clean up by hand.
    done = run(offload_cli("--report-dir", tmp_path / "r2", card, dest))
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("Offloading 2 files")
    assert (dest / "A001" / "CLIPS" / "C001.MOV").stat().st_size == 300_000 // 256 * 256
    assert lock_path(dest / "A001").read_bytes() == b""  # released: no holder described
    assert not is_locked(dest / "A001")


def test_a_busy_root_releases_the_roots_already_locked(tmp_path: Path) -> None:
    free, busy = tmp_path / "free" / "A001", tmp_path / "busy" / "A001"
    holder = start_holder(busy)
    try:
        with pytest.raises(CopyRootBusy, match=f"pid {holder.pid}"):
            lock_copy_roots([free, busy])
        assert not is_locked(free)
        # Other copy roots on the same drive are independent.
        with lock_copy_roots([tmp_path / "busy" / "A002", free]) as locks:
            assert is_locked(free) and len(locks.paths) == 2
        assert not is_locked(free)
    finally:
        stop(holder)


def test_the_lock_creates_its_folders_and_describes_its_holder(tmp_path: Path) -> None:
    root = tmp_path / "dest" / "A001"
    with lock_copy_roots([root], command=["offload", "copy", "A001"]) as locks:
        assert locks.warnings == [] and is_locked(root)
        body = json.loads(lock_path(root).read_text())
        assert body["pid"] == os.getpid() and body["command"] == "offload copy A001"
        assert body["host"] == socket.gethostname()
        assert sorted(os.listdir(root / ".offload")) == ["lock"]
    assert not is_locked(root) and lock_path(root).read_bytes() == b""


def test_the_lock_fsyncs_each_folder_it_made_once_and_they_survive_a_power_cut(
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """The copy root and its ``.offload`` are made before the first byte, and each new
    folder and the folder that held the topmost is fsynced once: ``A001`` was fsynced twice
    (as ``.offload``'s parent, then as itself), one more wait on the disk before the copy.
    A power cut then keeps every folder the lock made."""
    fs = faulty_fs()
    root = fs.mountpoint / "dest" / "A001"
    fs.oplog(clear=True)
    with lock_copy_roots([root]):
        synced = [r.path for r in fs.oplog() if r.op == "fsyncdir"]
    assert synced == ["dest/A001/.offload", "dest/A001", "dest", ""]
    fs.power_cut()
    assert (root / ".offload").is_dir()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_a_refused_preflight_creates_nothing_on_the_destination(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    card = make_card(tmp_path / "A001", {"CLIPS/C001.MOV": 2 * MIB})
    where = tmpfs_mount(1 * MIB).path
    refused = run(offload_cli("--report-dir", tmp_path / "r", card, where))
    assert refused.returncode == 64, refused.stderr
    assert os.listdir(where) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_a_second_run_on_a_drive_the_first_run_fills_is_refused_by_the_lock_not_the_room(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """The card started twice onto a drive with about its size free: the first run's
    partial takes the room. Failed before: the second was refused "not enough free space
    ... free space or choose a larger destination" (a remedy that could lead to deleting
    footage), recorded as refused (insufficient-space); with room to spare it gave the
    lock's words. Now the lock's words both ways, nothing written."""
    card = make_card(tmp_path / "A001", {"CLIPS/C001.MOV": 3 * MIB})
    dest = tmpfs_mount(4 * MIB).path
    holder = start_holder(dest / "A001")
    try:
        token = json.loads(lock_path(dest / "A001").read_text())["partials"]
        (dest / "A001" / "CLIPS").mkdir()
        partial = dest / "A001" / "CLIPS" / f".offload-partial.{token}1.C001.MOV"
        partial.write_bytes(b"\0" * (2 * MIB))  # the first run's copy so far
        before = listing(dest)
        for dry in ((), ("--dry-run",)):
            refused = run(offload_cli(*dry, "--report-dir", tmp_path / "r", card, dest))
            assert refused.returncode == 64, refused.stderr
            (line,) = refused.stderr.strip().splitlines()
            assert line.startswith(f"ERROR: copy root {dest / 'A001'} is in use by another "), line
            assert f"(pid {holder.pid} on " in line and "wait for it to finish" in line, line
            assert "free space" not in line, line
        assert listing(dest) == before
        (record,) = (tmp_path / "r" / "refused").glob("A001_*Z.json")
        recorded = json.loads(record.read_text())
        assert recorded["codes"] == ["copy-root-busy"], recorded
        assert "in use by another offload" in recorded["message"]
        # --json's one error names its destination, as beside other errors (failed before:
        # destination_index None on this path, 0 on the other).
        as_json = run(offload_cli("--json", "--report-dir", tmp_path / "r", card, dest))
        assert as_json.returncode == 64, as_json.stderr
        (refused,) = [json.loads(x) for x in as_json.stdout.splitlines() if "offload_refused" in x]
        (error,) = refused["errors"]
        assert error["code"] == "copy-root-busy" and error["destination_index"] == 0, error
        assert error["path"] == str(dest / "A001") and error["indices"] == [], error
        assert listing(dest) == before
    finally:
        stop(holder)
    # The holder gone, its partial a stray of a dead run: removed and counted free.
    done = run(offload_cli("--report-dir", tmp_path / "r", card, dest))
    assert done.returncode == 0, done.stderr


def test_a_busy_root_beside_an_error_waiting_would_not_end_lists_both(tmp_path: Path) -> None:
    """A copy root another offload holds, and a second destination inside the card: the
    refusal names that destination ("inside the source") and, after it, the lock; nothing
    written. Failed before: the lock's line alone, "wait for it to finish", though waiting
    would never make a destination inside the card a valid one."""
    card = make_card(tmp_path / "A001", {"CLIPS/C001.MOV": 64 * 1024})
    dest, inside = tmp_path / "RAID", card / "BACKUP"
    dest.mkdir()
    inside.mkdir()
    holder = start_holder(dest / "A001")
    try:
        before = listing(dest)
        refused = run(offload_cli("--report-dir", tmp_path / "r", card, dest, inside))
        assert refused.returncode == 64, refused.stderr
        said = refused.stderr
        assert f"destination {inside} is inside the source" in said, said
        assert f"copy root {dest / 'A001'} is in use by another offload" in said, said
        assert said.index("inside the source") < said.index("in use by another"), said
        assert listing(dest) == before and os.listdir(inside) == []
        # The lock's line is an error of the refusal's record as printed (``copy-root-busy``;
        # failed before: printed, but neither in --json's errors nor in the record's codes).
        (record,) = (tmp_path / "r" / "refused").glob("A001_*Z.json")
        recorded = json.loads(record.read_text())
        assert recorded["codes"] == ["dest-inside-source", "copy-root-busy"], recorded
        as_json = run(offload_cli("--json", "--report-dir", tmp_path / "r", card, dest, inside))
        assert as_json.returncode == 64, as_json.stderr
        (refused,) = [json.loads(x) for x in as_json.stdout.splitlines() if "offload_refused" in x]
        busy = [e for e in refused["errors"] if e["code"] == "copy-root-busy"]
        assert len(busy) == 1 and busy[0]["destination_index"] == 0, refused["errors"]
        assert busy[0]["path"] == str(dest / "A001")
        assert busy[0]["message"].startswith(f"copy root {dest / 'A001'} is in use by another ")
        assert busy[0]["message"] in as_json.stderr
    finally:
        stop(holder)


@pytest.mark.fault
@pytest.mark.timeout(300)  # five offloads in subprocesses, on a busy machine
def test_two_offloads_of_one_card_into_one_copy_root(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The same card started twice: the second is refused before its first byte and the
    first finishes untouched; a third into another copy root of the drive runs meanwhile.
    Then the first is SIGKILLed mid-card and a new run completes it."""
    reader = faulty_fs()
    clips = {f"CLIPS/C{i:03d}.MOV": 8 * MIB for i in range(4)}
    make_card(reader.backing / "A001", clips)
    card = reader.mountpoint / "A001"
    other = make_card(tmp_path / "B002", {"CLIPS/B.MOV": 100_000})
    dest = tmp_path / "dest"
    dest.mkdir()
    # Clips of 8 MiB are streamed in order: the first run holds the lock and has partials
    # on the destination when it reaches the third clip, and waits there.
    stall = reader.stall("open", path="A001/CLIPS/C002.MOV")
    first = subprocess.Popen(
        offload_cli("--report-dir", tmp_path / "r1", card, dest),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        reader.wait_stalled(stall, timeout_s=60)
        # The first run finishes what it can (C000 and C001 renamed, C002's partial created)
        # and then waits for the card: its files stop changing.
        before = settled_listing(dest)
        assert ".offload-partial." in " ".join(before)
        second = run(offload_cli("--report-dir", tmp_path / "r2", card, dest), timeout=60)
        assert second.returncode == 64, second.stderr
        assert is_locked(dest / "A001")
        assert f"pid {first.pid} on {socket.gethostname()}" in second.stderr
        assert f"offload copy --report-dir {tmp_path / 'r1'} {card} {dest}" in second.stderr
        assert listing(dest) == before  # its partials were not "cleaned" away
        third = run(offload_cli("--report-dir", tmp_path / "r3", other, dest))
        assert third.returncode == 0, third.stderr
        reader.release(stall)
        _out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
    finally:
        if first.poll() is None:  # the test failed: stop the first run, whatever it waits for
            first.kill()
            reader.release()
        if first.stdout is not None and not first.stdout.closed:
            first.communicate()
    ledger = Ledger(dest / "A001").load()
    assert sorted(ledger) == sorted(clips)
    assert all(entry.state == "verified" for entry in ledger.values())

    # Killed while it holds the lock: the kernel releases it, the next run resumes.
    make_card(reader.backing / "A001", {"CLIPS/C004.MOV": 8 * MIB, "CLIPS/C005.MOV": 8 * MIB})
    stall = reader.stall("open", path="A001/CLIPS/C005.MOV")
    killed = subprocess.Popen(
        offload_cli("--report-dir", tmp_path / "r4", card, dest),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    reader.wait_stalled(stall, timeout_s=60)
    assert is_locked(dest / "A001")
    killed.send_signal(signal.SIGKILL)
    # A process killed inside a FUSE call the daemon holds dies when the call returns.
    reader.release(stall)
    assert killed.wait(timeout=60) == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while is_locked(dest / "A001") and time.monotonic() < deadline:
        time.sleep(0.05)
    resumed = run(offload_cli("--report-dir", tmp_path / "r5", card, dest))
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(Ledger(dest / "A001").load()) == sorted(
        [*clips, "CLIPS/C004.MOV", "CLIPS/C005.MOV"]
    )
    assert not [n for n in os.listdir(dest / "A001" / "CLIPS") if n.startswith(".offload")]


def test_a_run_locking_while_another_probes_the_lock_waits_for_the_probe(
    tmp_path: Path,
) -> None:
    """A run checking for live writers above a folder (``other_holder``, ``plan/strays.py``)
    holds a copy root's lock shared for an instant; a run taking it then is not refused as
    if another offload held it (the lock's body names no holder): it waits the probe out."""
    import threading

    root = tmp_path / "dest" / "A001"
    lock_copy_roots([root]).release()  # the lock file is there, no one holds it
    probe = os.open(lock_path(root), os.O_RDONLY)
    fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
    threading.Timer(0.2, os.close, [probe]).start()
    with lock_copy_roots([root]) as locks:
        assert locks.paths == [root] and is_locked(root)
    assert other_holder(str(root)) is None
    # A holder SIGKILLed leaves its body behind (it never emptied it): a probe then is
    # waited out too, not refused as if that dead run held the lock.
    stop(start_holder(root))
    assert b'"pid"' in lock_path(root).read_bytes()
    probe = os.open(lock_path(root), os.O_RDONLY)
    fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
    threading.Timer(0.2, os.close, [probe]).start()
    with lock_copy_roots([root]) as locks:
        assert locks.paths == [root] and is_locked(root)
    # A live holder is named, with the token its partials carry.
    holder = start_holder(root)
    try:
        body = other_holder(str(root))
        assert body is not None and body["pid"] == holder.pid
        assert isinstance(body["partials"], str) and len(body["partials"]) == 6
    finally:
        stop(holder)


def _partials(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(".offload-partial."))


def test_partials_of_a_killed_run_on_a_filesystem_without_locks_are_not_kept_silently(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """NFSv3 without lockd: ``flock`` fails ENOLCK, so no run can say whether a partial's
    writer lives. A killed run's partial is kept while young, with a warning naming its
    folder; once older than ``UNASKABLE_STALE_S`` it is removed (it used to be kept
    forever, silently)."""
    from offload.plan.strays import UNASKABLE_STALE_S

    # Its ctime answered as its mtime, so that ``utime`` can date the partial's last change
    # (a partial is aged by the later of the two: ``strays.touched``).
    drive = faulty_fs(no_flock=True, ctime_is_mtime=True)
    card = make_card(tmp_path / "card2", {"CLIPS/A.MOV": 16 * MIB})
    stall = drive.stall("write", path="card2/CLIPS/.offload-partial.*", offset=4 * MIB)
    killed = start(
        offload_cli("--mhl", "none", "--report-dir", tmp_path / "r", card, drive.mountpoint),
        stdout=subprocess.DEVNULL,
    )
    try:
        signal_while_held(
            killed,
            signal.SIGKILL,
            wait_held=lambda: drive.wait_stalled(stall, timeout_s=60),
            # a process killed inside a FUSE call dies when it returns
            release=lambda: drive.release(stall),
            pause_s=0,
        )
    finally:
        killed.communicate(timeout=60)
    assert killed.returncode == -signal.SIGKILL
    folder = drive.mountpoint / "card2" / "CLIPS"
    [partial] = _partials(folder)

    again = run(
        offload_cli("--mhl", "none", "--report-dir", tmp_path / "r", card, drive.mountpoint)
    )
    assert again.returncode == 0, again.stderr
    assert "cannot lock copy root" in again.stderr
    assert _partials(folder) == [partial]  # young: maybe a live run's
    assert "1 partial file(s)" in again.stderr and str(folder) in again.stderr
    assert "this filesystem has no locks" in again.stderr

    old = time.time() - UNASKABLE_STALE_S - 60
    os.utime(partial, (old, old))
    third = run(
        offload_cli("--mhl", "none", "--report-dir", tmp_path / "r", card, drive.mountpoint)
    )
    assert third.returncode == 0, third.stderr
    assert _partials(folder) == []
    assert "this filesystem has no locks" not in third.stderr
    assert (folder / "A.MOV").stat().st_size == 16 * MIB


def test_a_nested_run_starting_while_the_strays_are_listed_keeps_its_partial(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The stray scan asks the locks above a folder after listing it, every time: a nested
    run (copy root ``card/day2``) that locks and writes while an earlier folder's answer
    ("no one holds ``card/day2``") is known still has its partial kept. It used to be
    taken for a stray from that remembered answer, and the run failed its read-back."""
    import threading

    drive = faulty_fs()
    card = make_card(tmp_path / "card", {"day2/A2/a.bin": 4096, "day2/B/b.bin": 4096})
    tree = scan_source(card)
    [plan] = plan_destinations(tree, card, [drive.mountpoint], into=False)
    root = drive.mountpoint / "card"
    dead = root / "day2" / "A2" / ".offload-partial.000000.a.bin"
    dead.parent.mkdir(parents=True)
    dead.write_bytes(b"x" * 4096)  # a killed run's: token 000000 is no live holder's
    (root / "day2" / "B").mkdir()
    found: list[list[tuple[str, int]]] = []
    nested: subprocess.Popen[str] | None = None
    with lock_copy_roots([root]):
        stall = drive.stall("opendir", path="card/day2/B", times=1)
        scan = threading.Thread(
            target=lambda: found.append(stray_partials(tree, plan, held={os.path.realpath(root)}))
        )
        scan.start()
        try:
            drive.wait_stalled(stall, timeout_s=30)
            nested = start_holder(root / "day2")  # day2 asked (free) for A2 before this
            body = other_holder(str(root / "day2"))
            assert body is not None
            live = root / "day2" / "B" / f".offload-partial.{body['partials']}.b.bin"
            live.write_bytes(b"y" * 4096)
        finally:
            drive.release(stall)
            scan.join(timeout=60)
            if nested is not None and not found:
                stop(nested)
        try:
            [strays] = found
            assert str(live) not in [path for path, _ in strays]
            assert [path for path, _ in strays] == [str(dead)]
        finally:
            if nested is not None:
                stop(nested)


def test_a_new_report_folder_survives_a_power_cut(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``--report-dir`` names a folder that does not exist yet: it is made and its name made
    durable in its parent before the reports in it are called written (its name was never
    fsynced: a power cut took the whole folder, reports and all)."""
    card = make_card(tmp_path / "A001", {"CLIPS/C001.MOV": 100_000})
    fs = faulty_fs()
    reports = fs.mountpoint / "day1"
    (tmp_path / "dest").mkdir()
    done = run(offload_cli("--report-dir", reports, card, tmp_path / "dest"))
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in reports.iterdir())
    assert any(name.endswith(".json") for name in written), written
    fs.power_cut()
    assert sorted(p.name for p in reports.iterdir()) == written


def test_a_root_locked_through_another_mount_of_its_folder_is_refused(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Two FUSE mounts of one folder (as two sshfs mounts of one share): each mount's flock
    is its own, so a run locking through the second took the lock beside a live holder of
    the first (QA: both runs split the files). The lock file's body names that live holder:
    refused, naming it. Failed before: the second lock was taken."""
    backing = tmp_path / "share"
    backing.mkdir()
    one = faulty_fs(backing=backing, mountpoint=tmp_path / "mnt-a").mountpoint
    two = faulty_fs(backing=backing, mountpoint=tmp_path / "mnt-b").mountpoint
    holder = start_holder(one / "A001")
    try:
        with pytest.raises(CopyRootBusy, match=f"pid {holder.pid}") as refused:
            lock_copy_roots([two / "A001"])
        assert "still running and never cleared it" in str(refused.value)
    finally:
        stop(holder)
    # The holder killed (its body left behind): the lock is taken, nothing said.
    assert json.loads(lock_path(backing / "A001").read_text())["pid"] == holder.pid
    with lock_copy_roots([two / "A001"]) as locks:
        assert locks.warnings == []


def test_a_root_another_job_of_this_process_holds_through_another_mount_is_refused(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Two jobs of one process (a library caller's two offloads, one on a thread) into one
    folder through two FUSE mounts of it: each mount's flock is its own, and the body the
    first job wrote names this very process, which was taken for an ended job's leftover
    and replaced in silence (one token a process: review of runrec67). Now each run has a
    token of its own (``CopyRootLocks.run``): the second job is refused while the first
    holds the lock, and once it released it, the body it left is replaced in silence.
    Failed before: the second lock was taken, no word."""
    backing = tmp_path / "share"
    backing.mkdir()
    one = faulty_fs(backing=backing, mountpoint=tmp_path / "mnt-a").mountpoint
    two = faulty_fs(backing=backing, mountpoint=tmp_path / "mnt-b").mountpoint
    first = lock_copy_roots([one / "A001"])
    try:
        with pytest.raises(CopyRootBusy, match=f"pid {os.getpid()}") as refused:
            lock_copy_roots([two / "A001"])
        assert "still running and never cleared it" in str(refused.value)
        assert json.loads(lock_path(backing / "A001").read_text())["run"] == first.run
    finally:
        first.release()
    # Released: its body (emptied, or left by a job whose drive went away) is no live job's.
    lock_path(backing / "A001").write_text(
        json.dumps({**process_identity(), "started": "2026-12-06T00:00:00Z", "run": first.run})
    )
    with lock_copy_roots([two / "A001"]) as second:
        assert second.warnings == [] and second.run != first.run


def test_a_lock_body_of_another_computer_is_a_warning(tmp_path: Path) -> None:
    """A body naming a process of another host (a share's other client, whose lock this one
    cannot see, or a run killed there): whether it runs cannot be told, so the lock is taken
    with a warning naming it, never silently."""
    root = tmp_path / "dest" / "A001"
    path = lock_path(root)
    path.parent.mkdir(parents=True)
    other = {"pid": 4242, "host": "cart-2", "pid_space": "x/1", "started": "2026-12-05T09:00:00Z"}
    path.write_text(json.dumps({**other, "command": "offload copy A001 /mnt/share"}))
    with lock_copy_roots([root]) as locks:
        (warning,) = locks.warnings
        assert "pid 4242 on cart-2" in warning and "cannot see" in warning, warning
        assert json.loads(path.read_text())["pid"] == os.getpid()  # replaced by ours


@pytest.mark.parametrize("recorded", ["none", "other-namespace"])
def test_a_lock_body_naming_a_live_unrelated_process_is_a_warning(
    tmp_path: Path, recorded: str
) -> None:
    """A crashed run's body left behind whose pid now belongs to an unrelated process (a
    ``sleep`` here), its start not comparable: none recorded (an older version's body) or
    one read in another time namespace. That process is not proven to be the one that
    wrote the body: the lock is taken with a warning naming it. Failed before: refused
    (CopyRootBusy) until that unrelated process exited."""
    root = tmp_path / "dest" / "A001"
    path = lock_path(root)
    path.parent.mkdir(parents=True)
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        start = process_start(sleeper.pid)
        body: dict[str, object] = {
            **process_identity(),
            "pid": sleeper.pid,
            "started": "2026-12-05T09:00:00Z",
            "command": "offload copy A001 /mnt/share",
        }
        if recorded == "none":
            del body["pid_start"]
        else:
            assert start, "process_start cannot be read on this machine"
            body["pid_start"] = "another-time-namespace:" + start.partition(":")[2]
        path.write_text(json.dumps(body))
        with lock_copy_roots([root]) as locks:
            (warning,) = locks.warnings
            assert f"pid {sleeper.pid}" in warning and "cannot be proven" in warning, warning
            assert json.loads(path.read_text())["pid"] == os.getpid()  # replaced by ours
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_lock_body_naming_this_process_is_its_own_leftover_replaced_in_silence(
    tmp_path: Path,
) -> None:
    """A job of this process that could not clear its body (its drive pulled mid-run, then
    plugged in again) leaves a body naming this live process, proven by its start time; the
    next job of the same process (the library, or the fault suite's in-process runs) took
    the lock now, so no job of it holds it. Failed before: refused (CopyRootBusy) as a
    holder through another mount (tests/faults/test_matrix.py's unplugged-mid-card runs)."""
    root = tmp_path / "dest" / "A001"
    path = lock_path(root)
    path.parent.mkdir(parents=True)
    body = {**process_identity(), "started": "2026-12-05T09:00:00Z", "command": "offload"}
    assert body["pid"] == os.getpid()
    path.write_text(json.dumps(body))
    with lock_copy_roots([root]) as locks:
        assert locks.warnings == []
        assert json.loads(path.read_text())["pid"] == os.getpid()


@pytest.mark.fault
def test_a_killed_holder_stuck_in_a_hung_card_read_is_said_with_what_ends_it(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """An offload killed (kill -9) while its read of the card hangs (FaultyFS, no timeout)
    stays a zombie holding the copy root's lock until that read returns (QA: 631 s): the
    next run's refusal said "wait for it to finish, or stop it", neither of which ends it.
    Now it says the holder was killed, that a call of it has not returned, and what ends
    it: the card pulled or its driver stopped. Failed before: the line said to stop it."""
    card_fs = faulty_fs(direct_io=True)
    (card_fs.mountpoint / "C1.mov").write_bytes(b"x" * (3 << 20))
    held = card_fs.stall("read", path="*C1.mov", offset=2 << 20)
    dest = tmp_path / "dest"
    dest.mkdir()
    holder = subprocess.Popen(
        offload_cli("-q", "--report-dir", tmp_path / "r1", card_fs.mountpoint, dest),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        card_fs.wait_stalled(held, timeout_s=60)
        holder.kill()
        deadline = time.monotonic() + 10
        while Path(f"/proc/{holder.pid}/stat").read_bytes().rpartition(b")")[2].split()[0] != b"Z":
            assert time.monotonic() < deadline, "the killed holder never became a zombie"
            time.sleep(0.05)
        refused = run(offload_cli("--report-dir", tmp_path / "r2", card_fs.mountpoint, dest))
    finally:
        card_fs.release()
        holder.wait(timeout=60)
    assert refused.returncode == 64, refused.stderr
    message = next(line for line in refused.stderr.splitlines() if "in use by another" in line)
    assert f"(pid {holder.pid} on {socket.gethostname()}" in message, message
    assert (
        "nothing was written: that process was killed, or has ended, but a call of it on a "
        "card or drive has not returned, and the lock goes only with it: a slow drive still "
        "writing its cache returns by itself (wait a few minutes; do not disconnect a drive "
        "that may be writing, which can damage its filesystem); a hung card reader or drive "
        "does not: pull the card, disconnect a drive that no longer works, or stop its stuck "
        "driver (a FUSE filesystem's daemon), then run this again"
    ) in message, message
    assert "wait for it to finish" not in message, message


def test_a_live_partial_with_the_clips_old_date_is_kept_where_no_lock_can_be_asked(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Review of stop65 (M1), ``offload copy``'s age rule: a live run's partial, its clip's
    date (2 days old) stamped on it before its read-back, was aged by its mtime alone, so a
    second run onto the same lockless drive (NFS; FaultyFS ``no_flock``) took it for one a
    killed run left and removed it under the live run. Now aged by the later of its mtime
    and ctime (the stamp sets the ctime): kept, the first run ends whole."""
    drive = faulty_fs(no_flock=True)
    card = make_card(tmp_path / "card3", {"CLIPS/A.MOV": 2 * MIB})
    old = time.time() - 2 * 24 * 3600
    os.utime(card / "CLIPS" / "A.MOV", (old, old))
    held = drive.stall("read", path="card3/CLIPS/.offload-partial.*", times=1)
    argv = offload_cli("--mhl", "none", "--report-dir", tmp_path / "r", card, drive.mountpoint)
    first = start(argv, stdout=subprocess.DEVNULL)
    try:
        drive.wait_stalled_while_working(held, first, quiet_s=30.0)
        [partial] = _partials(drive.mountpoint / "card3" / "CLIPS")
        assert partial.stat().st_mtime < old + 60  # the clip's date, stamped
        second = run(
            offload_cli("--mhl", "none", "--report-dir", tmp_path / "r2", card, drive.mountpoint)
        )
        assert partial.exists(), second.stderr  # the live run's: kept
    finally:
        drive.release(held)
    _, err = first.communicate(timeout=120)
    # The second run, unstopped by a lock, may publish A.MOV first: the first then refuses
    # the file at the name (exit 2, "already exists"), as two runs race on such a drive,
    # never a rename of a partial removed under it (before: ENOENT).
    assert first.returncode == 0 or "already exists" in err, err
    assert "cannot rename" not in err and "ENOENT" not in err, err
    assert "1 partial file(s)" in second.stderr and "this filesystem has no locks" in second.stderr
    assert (drive.mountpoint / "card3" / "CLIPS" / "A.MOV").read_bytes() == (
        card / "CLIPS" / "A.MOV"
    ).read_bytes()
