"""Self-tests of the fault tooling: each fault really happens, seen through plain OS calls.

A fault that never fires makes a green test that proves nothing, so every test here asserts
both the effect seen by the caller and the rule's fired count.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support import faultyfs, mounts
from support.faultyfs import STATE_NAME, FaultyFS, FaultyFSError, FaultyFSGone
from support.mounts import read_direct, read_uncached
from support.requirements import skip_unavailable

pytestmark = pytest.mark.fault

FaultyFactory = Callable[..., FaultyFS]

_libc = ctypes.CDLL(None, use_errno=True)
_libc.renameat2.argtypes = [
    ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint,
]  # fmt: skip
AT_FDCWD = -100
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2

DATA = bytes(range(256)) * 1024  # 256 KiB, every byte value at a known offset


def renameat2(old: Path, new: Path, flags: int) -> None:
    if _libc.renameat2(AT_FDCWD, os.fsencode(old), AT_FDCWD, os.fsencode(new), flags) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(new))


def create(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)


def write_all(fd: int, data: bytes) -> int:
    """Write everything, looping on short writes like a correct copy tool; returns calls."""
    view, calls = memoryview(data), 0
    while view:
        calls += 1
        view = view[os.write(fd, view) :]
    return calls


def write_file(path: Path, data: bytes, *, fsync: bool = True) -> None:
    fd = create(path)
    try:
        write_all(fd, data)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def in_thread(target: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:  # handed to the test, which asserts on it
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


# -- the pass-through filesystem ------------------------------------------------------------


def test_mount_lifecycle_leaves_nothing_behind(tmp_path: Path) -> None:
    skip_unavailable(faultyfs.unavailable_reason())  # FaultyFS used directly, not the fixture
    backing, mnt = tmp_path / "backing", tmp_path / "mnt"
    # Threads that earlier tests of this session left running (in a random order, S3 and
    # report tests ran first: 21 of them) are not FaultyFS's.
    before = set(threading.enumerate())
    with FaultyFS(backing, mnt) as fs:
        assert mounts.mount_entry(mnt) == {
            "fstype": "fuse.faultyfs",
            "source": "faultyfs",
            "options": mounts.mount_entry(mnt)["options"],  # type: ignore[index]
        }
        assert fs.start_duration_s < 5
        assert set(threading.enumerate()) <= before  # no helper thread in the test process
        pid = fs.pid
        assert pid is not None
    assert not mounts.is_mounted(mnt)
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    assert not (backing / STATE_NAME).exists()


class _HeldInACycle:
    """A descriptor on a mount that only the collector releases (as a CopyJob's cycle holds
    its LocalDestination's SharedSyncfs)."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        self.me = self

    def __del__(self) -> None:
        os.close(self.fd)


def test_a_mount_held_only_by_garbage_is_unmounted_and_its_daemon_exits(tmp_path: Path) -> None:
    """Failed before: the unmount was lazy, the mount lived on under the garbage's descriptor
    and the daemon was SIGKILLed after EXIT_TIMEOUT_S (5 s of each such test's teardown)."""
    skip_unavailable(faultyfs.unavailable_reason())
    fs = FaultyFS(tmp_path / "backing", tmp_path / "mnt")
    fs.start()
    daemon = fs._proc
    assert daemon is not None
    held = _HeldInACycle(fs.mountpoint)
    del held  # unreachable, not freed: a cycle
    try:
        fs.close()
    finally:
        gc.collect()
    assert daemon.returncode == 0  # exited on its own, not killed (-9)
    assert not mounts.is_mounted(tmp_path / "mnt")


def test_passthrough_supports_what_a_copy_tool_uses(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    mnt, backing = fs.mountpoint, fs.backing
    (mnt / "clips").mkdir()
    write_file(mnt / "clips" / "a.part", DATA)
    with pytest.raises(FileExistsError):
        create(mnt / "clips" / "a.part")
    assert read_direct(mnt / "clips" / "a.part") == DATA  # O_DIRECT open and read work
    os.rename(mnt / "clips" / "a.part", mnt / "clips" / "a.mov")
    write_file(mnt / "clips" / "b.mov", b"b")
    with pytest.raises(FileExistsError):
        renameat2(mnt / "clips" / "b.mov", mnt / "clips" / "a.mov", RENAME_NOREPLACE)
    with pytest.raises(OSError) as exchange:
        renameat2(mnt / "clips" / "b.mov", mnt / "clips" / "a.mov", RENAME_EXCHANGE)
    assert exchange.value.errno == errno.EINVAL
    renameat2(mnt / "clips" / "b.mov", mnt / "clips" / "c.mov", RENAME_NOREPLACE)
    fsync_dir(mnt / "clips")
    os.link(mnt / "clips" / "a.mov", mnt / "clips" / "hard.mov")
    os.symlink("a.mov", mnt / "clips" / "soft.mov")
    assert os.readlink(mnt / "clips" / "soft.mov") == "a.mov"
    assert os.stat(mnt / "clips" / "hard.mov").st_nlink == 2
    os.chmod(mnt / "clips" / "c.mov", 0o600)
    os.utime(mnt / "clips" / "c.mov", ns=(1_000_000_123, 1_500_000_000_987_654_321))
    st = os.stat(mnt / "clips" / "c.mov")
    assert (st.st_mode & 0o777, st.st_mtime_ns) == (0o600, 1_500_000_000_987_654_321)
    os.truncate(mnt / "clips" / "hard.mov", 1000)
    assert os.stat(mnt / "clips" / "a.mov").st_size == 1000
    assert sorted(os.listdir(mnt)) == ["clips"]  # the daemon's state dir stays hidden
    assert sorted(os.listdir(mnt / "clips")) == ["a.mov", "c.mov", "hard.mov", "soft.mov"]
    assert os.statvfs(mnt).f_blocks == os.statvfs(backing).f_blocks
    os.unlink(mnt / "clips" / "soft.mov")
    (mnt / "empty").mkdir()
    os.rmdir(mnt / "empty")
    with pytest.raises(OSError) as not_empty:
        os.rmdir(mnt / "clips")
    assert not_empty.value.errno == errno.ENOTEMPTY
    assert sorted(os.listdir(backing / "clips")) == ["a.mov", "c.mov", "hard.mov"]
    assert (backing / "clips" / "a.mov").read_bytes() == DATA[:1000]
    assert fs.op_count("fsyncdir") == 1


def test_bad_rules_are_refused(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    with pytest.raises(FaultyFSError, match="unknown operation"):
        fs.fail("wirte")
    with pytest.raises(FaultyFSError, match="offset only applies"):
        fs.fail("fsync", offset=10)
    with pytest.raises(KeyError):
        fs.fired("never-armed")


# -- errors ---------------------------------------------------------------------------------


def test_write_eio_at_an_exact_offset(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    rule = fs.fail("write", errno.EIO, path="*.mov", offset=100_003)
    fd = create(fs.mountpoint / "a.mov")
    try:
        with pytest.raises(OSError) as failure:
            write_all(fd, DATA)
        assert failure.value.errno == errno.EIO
        assert os.fstat(fd).st_size == 100_003  # exactly the bytes before the bad offset
    finally:
        os.close(fd)
    assert fs.fired(rule) == 1
    write_file(fs.mountpoint / "other.bin", DATA)  # the glob spares other files


def test_write_enospc_on_the_nth_write_and_efbig(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    full = fs.fail("write", errno.ENOSPC, path="full.bin", nth=3)
    big = fs.fail("write", errno.EFBIG, path="big.bin", offset=4096)
    fd = create(fs.mountpoint / "full.bin")
    try:
        os.write(fd, b"1" * 4096)
        os.write(fd, b"2" * 4096)
        with pytest.raises(OSError) as nospace:
            os.write(fd, b"3" * 4096)
        assert nospace.value.errno == errno.ENOSPC
        os.write(fd, b"4" * 4096)  # nth implies once
    finally:
        os.close(fd)
    fd = create(fs.mountpoint / "big.bin")
    try:
        with pytest.raises(OSError) as too_big:
            write_all(fd, DATA)
        assert too_big.value.errno == errno.EFBIG
    finally:
        os.close(fd)
    assert (fs.fired(full), fs.fired(big)) == (1, 1)


def test_fsync_eio(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    rule = fs.fail("fsync", errno.EIO, path="a.mov")
    fd = create(fs.mountpoint / "a.mov")
    try:
        write_all(fd, DATA)
        with pytest.raises(OSError) as failure:
            os.fsync(fd)
        assert failure.value.errno == errno.EIO
        with pytest.raises(OSError):
            os.fdatasync(fd)
    finally:
        os.close(fd)
    assert fs.fired(rule) == 2


def test_close_eio(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    rule = fs.fail("flush", errno.EIO, path="a.mov", times=1)
    fd = create(fs.mountpoint / "a.mov")
    write_all(fd, b"x")
    with pytest.raises(OSError) as failure:
        os.close(fd)  # the fd is gone all the same
    assert failure.value.errno == errno.EIO
    assert fs.fired(rule) == 1


def test_create_rename_and_fsyncdir_errors(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    mnt = fs.mountpoint
    no_create = fs.fail("create", errno.EACCES, path="denied/*")
    no_rename = fs.fail("rename", errno.EIO, path="*.mov")
    no_dirsync = fs.fail("fsyncdir", errno.EIO, path="")  # the mount's root directory
    (mnt / "denied").mkdir()
    with pytest.raises(PermissionError):
        create(mnt / "denied" / "a.part")
    write_file(mnt / "a.part", b"x")
    with pytest.raises(OSError) as failed_rename:
        os.rename(mnt / "a.part", mnt / "a.mov")  # matched by the new name
    assert failed_rename.value.errno == errno.EIO
    with pytest.raises(OSError):
        fsync_dir(mnt)
    fsync_dir(mnt / "denied")
    assert (fs.fired(no_create), fs.fired(no_rename), fs.fired(no_dirsync)) == (1, 1, 1)


def test_read_error_at_an_offset_like_a_dying_card(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    (fs.backing / "A001.mov").write_bytes(DATA)  # put on the card behind the mount's back
    rule = fs.fail("read", errno.EIO, path="A001.mov", offset=200_000)
    fd = os.open(fs.mountpoint / "A001.mov", os.O_RDONLY)
    try:
        assert os.pread(fd, 65536, 0) == DATA[:65536]  # a page-cache read before the offset
        with pytest.raises(OSError) as failure:
            os.pread(fd, 65536, 196_608)
        assert failure.value.errno == errno.EIO
    finally:
        os.close(fd)
    with pytest.raises(OSError):
        read_direct(fs.mountpoint / "A001.mov")
    assert fs.fired(rule) >= 2


# -- short writes, stalls -------------------------------------------------------------------


def test_short_writes_are_passed_to_the_caller(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    rule = fs.short_write(path="a.mov", max_bytes=1000, times=5)
    fd = create(fs.mountpoint / "a.mov")
    try:
        assert os.write(fd, DATA) == 1000  # what a naive caller would take as done
        calls = write_all(fd, DATA[1000:])
        os.fsync(fd)
    finally:
        os.close(fd)
    assert calls >= 2  # the loop went round (the kernel may split at page boundaries too)
    assert fs.fired(rule) == 5
    assert read_direct(fs.mountpoint / "a.mov") == DATA


def test_stall_until_released(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    rule = fs.stall("fsync", path="a.mov")
    fd = create(fs.mountpoint / "a.mov")
    try:
        write_all(fd, DATA)
        thread, errors = in_thread(lambda: os.fsync(fd))
        fs.wait_stalled(rule)
        thread.join(0.3)
        assert thread.is_alive()  # fsync(2) is held in the kernel
        fs.release(rule)
        thread.join(10)
        assert not thread.is_alive()
        assert errors == []
    finally:
        os.close(fd)
    assert fs.fired(rule) == 1


def test_stall_for_some_seconds_then_fail(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    rule = fs.stall("write", path="a.mov", seconds=0.3, then_errno=errno.EIO, nth=2)
    fd = create(fs.mountpoint / "a.mov")
    try:
        os.write(fd, b"fast")
        started = time.monotonic()
        with pytest.raises(OSError) as failure:
            os.write(fd, b"slow")
        assert time.monotonic() - started >= 0.3
        assert failure.value.errno == errno.EIO
    finally:
        os.close(fd)
    assert fs.fired(rule) == 1


# -- silent corruption ----------------------------------------------------------------------


def test_flipped_byte_is_seen_only_past_the_page_cache(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    path = fs.mountpoint / "a.mov"
    rule = fs.flip(123_457, path="a.mov")
    write_file(path, DATA)
    assert fs.fired(rule) == 1
    assert path.read_bytes() == DATA  # served from the page cache: the write looked fine
    direct = read_direct(path)
    assert len(direct) == len(DATA)
    assert [i for i in range(len(DATA)) if direct[i] != DATA[i]] == [123_457]
    assert direct[123_457] == DATA[123_457] ^ 0xFF
    assert read_uncached(path) == direct  # fsync + POSIX_FADV_DONTNEED, then read
    assert (fs.backing / "a.mov").read_bytes() == direct


def test_flip_on_read_leaves_the_stored_byte_good(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    (fs.backing / "A001.mov").write_bytes(DATA)
    rule = fs.flip(5, path="A001.mov", op="read", mask=0x01, times=1)
    first = (fs.mountpoint / "A001.mov").read_bytes()
    assert first[5] == DATA[5] ^ 0x01 and first[:5] == DATA[:5] and first[6:] == DATA[6:]
    assert read_direct(fs.mountpoint / "A001.mov") == DATA  # fired once: a flaky read
    assert fs.fired(rule) == 1


@pytest.mark.parametrize("mode", ["zeros", "drop"])
def test_lying_drive(faulty_fs: FaultyFactory, mode: str) -> None:
    fs = faulty_fs()
    path = fs.mountpoint / "a.mov"
    rule = fs.lie(65_536, path="a.mov", mode=mode)
    fd = create(path)
    try:
        assert write_all(fd, DATA) == 1  # every byte acknowledged
        os.fsync(fd)
    finally:
        os.close(fd)
    assert fs.fired(rule) >= 1
    stored = read_direct(path)
    if mode == "zeros":
        assert path.read_bytes() == DATA  # the page cache still holds what was written
        assert stored == DATA[:65_536] + bytes(len(DATA) - 65_536)
    else:
        assert stored == DATA[:65_536]  # nothing past the offset reached the disk
        assert os.stat(path).st_size == 65_536


def test_direct_io_mount_shows_corruption_to_plain_reads(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs(direct_io=True)
    path = fs.mountpoint / "a.mov"
    rule = fs.flip(10, path="a.mov")
    write_file(path, DATA)
    assert path.read_bytes()[10] == DATA[10] ^ 0xFF  # no page cache on this mount
    assert fs.fired(rule) == 1


# -- losing the device ----------------------------------------------------------------------


def test_unplug_fails_everything_with_eio(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    fd = create(fs.mountpoint / "a.mov")
    try:
        os.write(fd, b"before")
        fs.unplug()
        for call in (
            lambda: os.write(fd, b"after"),
            lambda: os.fsync(fd),
            lambda: os.stat(fs.mountpoint / "a.mov"),
            lambda: os.listdir(fs.mountpoint),
            lambda: create(fs.mountpoint / "b.mov"),
        ):
            with pytest.raises(OSError) as failure:
                call()
            assert failure.value.errno == errno.EIO
        fs.replug()
        os.write(fd, b"again")
    finally:
        os.close(fd)
    assert fs.stats()["ops"]["write"] >= 3


def test_kill_gives_enotconn_and_a_plain_looking_directory(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    fd = create(fs.mountpoint / "a.mov")
    try:
        os.write(fd, b"x")
        rule = fs.fail("fsync", path="never-used")
        fs.kill()
        with pytest.raises(OSError) as failure:
            os.write(fd, b"y")
        assert failure.value.errno == errno.ENOTCONN
        with pytest.raises(OSError) as stat_failure:
            os.stat(fs.mountpoint / "a.mov")
        assert stat_failure.value.errno == errno.ENOTCONN
        assert not os.path.ismount(fs.mountpoint)  # lstat fails: looks like no mount at all
        assert mounts.is_mounted(fs.mountpoint)  # but the dead mount is still in the table
    finally:
        with pytest.raises(OSError):
            os.close(fd)
    assert not fs.alive
    assert fs.fired(rule) == 0  # counts stay readable after the kill


def test_watchdog_kills_a_hung_daemon(tmp_path: Path) -> None:
    skip_unavailable(faultyfs.unavailable_reason())  # FaultyFS used directly, not the fixture
    with FaultyFS(tmp_path / "b", tmp_path / "m", watchdog_s=0.3) as fs:
        rule = fs.stall("getattr", path="a.mov")
        (fs.backing / "a.mov").write_bytes(b"x")
        started = time.monotonic()
        with pytest.raises(OSError) as failure:
            os.stat(fs.mountpoint / "a.mov")  # held until the watchdog kills the daemon
        assert failure.value.errno == errno.ECONNABORTED  # a call in flight when it died
        assert time.monotonic() - started < 10
        with pytest.raises(OSError) as later:
            os.stat(fs.mountpoint / "a.mov")
        assert later.value.errno == errno.ENOTCONN  # every call after
        assert fs.watchdog_fired
        assert fs.fired(rule) == 1  # the watchdog printed the counts before the kill
    assert not mounts.is_mounted(tmp_path / "m")
    assert fs.watchdog_fired and fs.fired(rule) == 1


# Its signal is sent on purpose: the teardown's warning of it (below) left out.
@pytest.mark.filterwarnings("ignore::support.faultyfs.StraySignalWarning")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stray_signal_is_logged_with_its_sender_and_the_daemon_goes_on(
    faulty_fs: FaultyFactory, signum: signal.Signals
) -> None:
    """A SIGTERM, SIGINT or SIGHUP from another process (a test's signal to a pid since
    reused by a daemon: pids wrap at 32,768 over a full suite), while the test waits for a
    stall: the daemon logs it with its sender and goes on; the stall is reached and held.
    Failed before: libfuse's handler ended the FUSE loop, the daemon exited and
    ``wait_stalled`` raised ``ConnectionRefusedError`` (or ``ConnectionResetError``), as
    the full suite's test_fast_copy_changed_in_place[chmod] did, nothing said."""
    fs = faulty_fs()
    rule = fs.stall("write", path="a.mov")
    os.kill(fs.pid, signum)  # this process: alive, so the daemon can name it
    writer = threading.Thread(target=lambda: (fs.mountpoint / "a.mov").write_bytes(b"x"))
    writer.start()
    try:
        fs.wait_stalled(rule, timeout_s=30)
    finally:
        fs.release(rule)
        writer.join(timeout=30)
    assert fs.alive and fs.fired(rule) == 1
    said = fs.log_text()
    assert f"signalled: {signum.name} from pid {os.getpid()} (" in said, said


@pytest.mark.filterwarnings("ignore::support.faultyfs.StraySignalWarning")  # the teardown's
def test_a_stray_signal_before_a_remount_is_warned_of_naming_its_sender(
    faulty_fs: FaultyFactory,
) -> None:
    """A stray SIGTERM to a daemon that the test then remounts: the earlier daemon's log is
    kept (shown under a failure with the next one's), and the teardown's warning
    (``warn_of_stray_signals``, which the ``faulty_fs`` fixture calls) names the sender,
    though the test passes. Failed before: ``remount`` deleted the earlier daemon's log, and
    a passing test said nothing of the signal."""
    fs = faulty_fs()
    os.kill(fs.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while faultyfs.SIGNALLED_PREFIX not in fs.log_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    fs.remount()
    assert faultyfs.SIGNALLED_PREFIX not in fs.log_text()  # the new daemon's own log
    [stray] = fs.stray_signals()
    assert f"SIGTERM from pid {os.getpid()} (" in stray, stray
    with pytest.warns(faultyfs.StraySignalWarning, match=f"SIGTERM from pid {os.getpid()} "):
        faultyfs.warn_of_stray_signals([fs])


def test_a_daemon_killed_from_outside_is_named_gone_so(faulty_fs: FaultyFactory) -> None:
    """SIGKILL (no handler can log it) from another process than the harness: the request
    raises FaultyFSGone saying it was neither its watchdog nor ``FaultyFS.kill``."""
    fs = faulty_fs()
    subprocess.run(["kill", "-KILL", str(fs.pid)], check=True)
    with pytest.raises(FaultyFSGone, match="killed by SIGKILL from outside this harness"):
        fs.stats()


# A process that starts a FaultyFS (its ``--parent-pid``), says its daemon's pid and dies
# without closing it; run by _REAPER, which outlives it and is the daemon's new parent.
_STARTER = """
import os, sys
from pathlib import Path
from support.faultyfs import FaultyFS
fs = FaultyFS(Path(sys.argv[1]) / "b", Path(sys.argv[1]) / "m")
fs.start()
print(fs.pid, flush=True)
os._exit(0)
"""

# A child subreaper (prctl PR_SET_CHILD_SUBREAPER): the daemon orphaned by _STARTER's death
# is reparented to it, so it can wait for the daemon's own exit status, and print it.
_REAPER = """
import ctypes, os, subprocess, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
for round in range(int(sys.argv[2])):
    where = os.path.join(sys.argv[1], str(round))
    starter = subprocess.run(
        [sys.executable, "-c", sys.argv[3], where], capture_output=True, text=True, timeout=60
    )
    assert starter.returncode == 0, starter.stderr
    _, status = os.waitpid(int(starter.stdout), 0)  # ``_watch_parent`` looks every 0.5 s
    print(os.waitstatus_to_exitcode(status), flush=True)
"""


def test_a_daemon_whose_test_process_died_exits_3(tmp_path: Path) -> None:
    """The process that started a daemon dies without closing it: the daemon sees it
    (``_watch_parent``), unmounts and exits ``PARENT_GONE_EXIT`` (3), as ``ended_how`` and
    docs/reliability.md say, each of several times. Failed before (not every time: a race):
    the unmount ended the FUSE loop in the main thread, whose ``return 0`` could exit first
    (0, which ``ended_how`` reads as "its mount was unmounted")."""
    skip_unavailable(faultyfs.unavailable_reason())  # FaultyFS used directly, not the fixture
    tests = Path(__file__).resolve().parents[1]
    path = os.pathsep.join(p for p in (str(tests), os.environ.get("PYTHONPATH", "")) if p)
    rounds = 6
    done = subprocess.run(
        [sys.executable, "-c", _REAPER, str(tmp_path), str(rounds), _STARTER],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(faultyfs.PARENT_GONE_EXIT)] * rounds, done.stdout
    assert not any(Path(tmp_path, str(n), "m").is_mount() for n in range(rounds))


def test_a_wait_the_watchdog_ends_says_the_watchdog(tmp_path: Path) -> None:
    """A wait for a stall that never comes, outlasting the watchdog (the fixture's is the
    test's timeout less 5 s; a ``wait_stalled`` asks up to 60 s): FaultyFSGone names the
    watchdog, and the log it holds the rule's counts (no call held). Failed before:
    ``ConnectionRefusedError`` (or ``ConnectionResetError``)."""
    skip_unavailable(faultyfs.unavailable_reason())  # FaultyFS used directly, not the fixture
    with FaultyFS(tmp_path / "b", tmp_path / "m", watchdog_s=1.0) as fs:
        rule = fs.stall("write", path="never-written")
        with pytest.raises(FaultyFSGone, match="its watchdog killed it") as gone:
            fs.wait_stalled(rule, timeout_s=30)
        assert f'"{rule}": {{"fired": 0, "calls": 0, "waiting": 0}}' in str(gone.value)


# -- power cut ------------------------------------------------------------------------------


def test_power_cut_keeps_only_what_was_made_durable(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    mnt = fs.mountpoint
    (fs.backing / "card").mkdir()
    (fs.backing / "card" / "old.mov").write_bytes(b"old content")  # durable from the start
    rule = fs.fail("fsync", path="never-used")
    d = mnt / "card"
    write_file(d / "kept.mov", DATA)  # data fsynced...
    write_file(d / "renamed.part", DATA[:1000])
    fsync_dir(d)  # ... and both names made durable
    fd = os.open(d / "kept.mov", os.O_WRONLY | os.O_APPEND)
    write_all(fd, b"appended, never fsynced")
    os.close(fd)
    os.rename(d / "renamed.part", d / "renamed.mov")  # never followed by fsyncdir
    write_file(d / "unsynced.mov", b"never fsynced", fsync=False)
    write_file(d / "no-dirsync.mov", b"fsynced, but its directory was not")
    write_file(d / "old.mov.new", b"new content")
    os.rename(d / "old.mov.new", d / "old.mov")  # atomic replace, no fsyncdir
    (mnt / "durable").mkdir()
    write_file(mnt / "durable" / "y.part", b"y" * 100)
    os.rename(mnt / "durable" / "y.part", mnt / "durable" / "y.mov")
    fsync_dir(mnt / "durable")
    fsync_dir(mnt)
    (mnt / "later").mkdir()  # the root directory is not fsynced again
    write_file(mnt / "later" / "x.mov", b"x")
    stale = os.open(d / "kept.mov", os.O_RDONLY)

    # kept.mov (appended) and unsynced.mov; card/, later/ and the root.
    assert fs.stats()["unsynced"] == {"files": 2, "dirs": 3}
    summary = fs.power_cut()
    assert summary["restored_files"] >= 1

    assert sorted(os.listdir(d)) == ["kept.mov", "old.mov", "renamed.part"]
    assert (d / "kept.mov").read_bytes() == DATA  # the append is gone
    assert read_direct(d / "kept.mov") == DATA
    assert (d / "renamed.part").read_bytes() == DATA[:1000]  # the rename was undone
    assert (d / "old.mov").read_bytes() == b"old content"
    assert sorted(os.listdir(mnt)) == ["card", "durable"]
    assert os.listdir(mnt / "durable") == ["y.mov"]  # rename + fsyncdir survive
    assert (mnt / "durable" / "y.mov").read_bytes() == b"y" * 100
    assert sorted(set(os.listdir(fs.backing)) - {STATE_NAME}) == ["card", "durable"]
    with pytest.raises(OSError) as failure:
        os.fstat(stale)  # files opened before the cut are on the dead mount
    assert failure.value.errno == errno.ENOTCONN
    with pytest.raises(OSError):
        os.close(stale)  # close(2) flushes to the dead mount: ENOTCONN, the fd is gone anyway
    assert fs.fired(rule) == 0
    assert fs.stats()["unsynced"] == {"files": 0, "dirs": 0}
    write_file(d / "after.mov", b"the new mount works")


def test_power_cut_file_synced_dir_not(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    d = fs.mountpoint
    write_file(d / "empty-after-cut.mov", b"data never fsynced", fsync=False)
    fsync_dir(d)  # the name is durable, the data is not: an empty file, as on ext4
    fs.power_cut()
    assert os.listdir(d) == ["empty-after-cut.mov"]
    assert (d / "empty-after-cut.mov").read_bytes() == b""


def test_power_cut_while_other_threads_write_fsync_and_close(faulty_fs: FaultyFactory) -> None:
    # Regression: power_cut closed every open handle's fd while other FUSE threads were still
    # using it; when a release closed the same fd first, the cut failed with EBADF (about one
    # cut in ten with this churn, so a dozen cuts catch it most of the time).
    fs = faulty_fs()
    for _cut in range(12):
        stop = threading.Event()
        done = [0]

        def churn(n: int, stop: threading.Event = stop, done: list[int] = done) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                path = fs.mountpoint / f"churn{n}-{i % 3}.mov"
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    try:
                        write_all(fd, DATA[:8192])
                        os.fsync(fd)
                    finally:
                        os.close(fd)
                    path.read_bytes()  # a read-back handle too, like a verifying copy
                    done[0] += 1
                except OSError:  # EIO, ENOTCONN, ENOENT around the cut: what a cut does
                    time.sleep(0.001)

        threads = [threading.Thread(target=churn, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        try:
            deadline = time.monotonic() + 10
            while done[0] < 8 and time.monotonic() < deadline:
                time.sleep(0.005)
            fs.power_cut()
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
        assert not any(thread.is_alive() for thread in threads)
    write_file(fs.mountpoint / "after.mov", b"the new mount works")
    assert (fs.mountpoint / "after.mov").read_bytes() == b"the new mount works"


def test_oplog_shows_the_order_of_durability_calls(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs()
    mnt = fs.mountpoint
    fs.oplog(clear=True)
    write_file(mnt / "a.part", b"x")
    os.rename(mnt / "a.part", mnt / "a.mov")
    fsync_dir(mnt)
    ops = [(r.op, r.path) for r in fs.oplog() if r.op in ("create", "fsync", "rename", "fsyncdir")]
    assert ops == [
        ("create", "a.part"),
        ("fsync", "a.part"),
        ("rename", "a.part -> a.mov"),
        ("fsyncdir", ""),
    ]


def test_rename_flags_none_refuses_noreplace_like_exfat(faulty_fs: FaultyFactory) -> None:
    fs = faulty_fs(rename_flags="none")
    mnt = fs.mountpoint
    write_file(mnt / "a", b"a")
    write_file(mnt / "b", b"b")
    with pytest.raises(OSError) as refused:
        renameat2(mnt / "a", mnt / "c", RENAME_NOREPLACE)
    assert refused.value.errno == errno.EINVAL
    with pytest.raises(FileExistsError):  # the VFS checks an existing target before the fs
        renameat2(mnt / "a", mnt / "b", RENAME_NOREPLACE)


# -- kernel filesystems ---------------------------------------------------------------------


def test_tmpfs_disk_full(tmpfs_mount: Callable[..., mounts.Mount]) -> None:
    disk = tmpfs_mount(1 << 20)
    fd = create(disk.path / "big.mov")
    try:
        with pytest.raises(OSError) as failure:
            write_all(fd, DATA * 8)
        assert failure.value.errno == errno.ENOSPC
        assert os.fstat(fd).st_size <= 1 << 20
    finally:
        os.close(fd)


def test_faultyfs_over_a_full_tmpfs_passes_enospc_through(
    faulty_fs: FaultyFactory, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    disk = tmpfs_mount(1 << 20)
    fs = faulty_fs(backing=disk.path)
    fd = create(fs.mountpoint / "big.mov")
    try:
        with pytest.raises(OSError) as failure:
            write_all(fd, DATA * 8)
        assert failure.value.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_tmpfs_inode_exhaustion(tmpfs_mount: Callable[..., mounts.Mount]) -> None:
    disk = tmpfs_mount(1 << 20, nr_inodes=4)
    made = 0
    with pytest.raises(OSError) as failure:
        for i in range(10):
            os.close(create(disk.path / f"{i}.mov"))
            made += 1
    assert failure.value.errno == errno.ENOSPC
    assert 1 <= made < 4


def test_ext4_bit_rot_is_seen_only_past_the_page_cache(
    ext4_loop: Callable[..., mounts.Ext4Loop],
) -> None:
    disk = ext4_loop(16 << 20)
    assert disk.fstype == "ext4" and disk.source.startswith("/dev/loop")
    path = disk.path / "a.mov"
    write_file(path, DATA)
    assert path.read_bytes() == DATA
    where = disk.flip_bit(path, 70_001, bit=3)
    assert where > 0
    assert path.read_bytes() == DATA  # the page cache does not know
    direct = read_direct(path)
    assert [i for i in range(len(DATA)) if direct[i] != DATA[i]] == [70_001]
    assert direct[70_001] == DATA[70_001] ^ 0x08
    assert read_uncached(path) == direct


def test_exfat_names_collide_by_case_and_forbidden_characters_are_refused(
    exfat_loop: Callable[..., mounts.ExfatLoop],
) -> None:
    disk = exfat_loop(16 << 20)
    assert disk.fstype == "fuseblk"
    write_file(disk.path / "A001.MOV", b"upper")
    with pytest.raises(FileExistsError):
        create(disk.path / "a001.mov")  # O_EXCL catches the collision
    (disk.path / "a001.mov").write_bytes(b"lower")  # open(..., "wb") silently replaces
    assert os.listdir(disk.path) == ["A001.MOV"]
    assert (disk.path / "A001.MOV").read_bytes() == b"lower"
    for char in ':?*"<>|\\':
        with pytest.raises(FileNotFoundError):  # exfat-fuse says ENOENT
            create(disk.path / f"a{char}b.mov")
    write_file(disk.path / "x.part", b"x")
    with pytest.raises(OSError) as refused:  # exfat-fuse (libfuse 2) has no renameat2 flags
        renameat2(disk.path / "x.part", disk.path / "x.mov", RENAME_NOREPLACE)
    assert refused.value.errno == errno.EINVAL
    os.utime(disk.path / "x.part", ns=(0, 1_500_000_000_123_456_789))
    assert os.stat(disk.path / "x.part").st_mtime_ns % 1_000_000_000 == 0  # 1 s mtimes


# -- the session ----------------------------------------------------------------------------


def test_session_mounts_are_private(tmpfs_mount: Callable[..., mounts.Mount]) -> None:
    # pytest's parent (a shell, make) stayed in the namespace the session started from.
    parent = os.getppid()
    if os.readlink("/proc/self/ns/mnt") == os.readlink(f"/proc/{parent}/ns/mnt"):
        pytest.skip("the session shares its parent's mount namespace (see conftest.NAMESPACE)")
    disk = tmpfs_mount(1 << 20)
    assert mounts.is_mounted(disk.path)
    assert str(disk.path) not in Path(f"/proc/{parent}/mountinfo").read_text()


@pytest.mark.parametrize("ci", ["true", ""])
def test_ci_turns_a_skipped_fault_test_into_a_failure(tmp_path: Path, ci: str) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    fault: x\n    slow: x\n")
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.fault
            def test_runtime_skip():
                pytest.skip("no device here")

            @pytest.mark.fault
            @pytest.mark.skipif(True, reason="static skip")
            def test_static_skip():
                pass

            def test_plain_skip():
                pytest.skip("not a fault test")

            @pytest.mark.fault
            def test_fault_timeout(request):
                assert request.node.get_closest_marker("timeout").args[0] == 60
            """
        )
    )
    tests_dir = Path(__file__).resolve().parents[1]
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(tests_dir)}
    env.pop("PYTEST_ADDOPTS", None)
    # Its own basetemp (and no cache): by default it shares /tmp/pytest-of-<user> with every
    # pytest on the machine, and its start removes the oldest numbered folder there, which
    # may be a whole suite's (6 GB: under load this test's 60 s timeout ran out meanwhile).
    inner_temp = tmp_path / "inner-basetemp"
    argv = [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*argv, "--basetemp", str(inner_temp), "-q", "-rA", "test_inner.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard: at a load of 12 on two cores the child took over 60 s
        check=False,
    )
    assert inner_temp.is_dir(), done.stdout  # the session's temporary folders were there
    if ci:
        assert done.returncode == 1, done.stdout
        assert "no device here" in done.stdout and "static skip" in done.stdout
        assert "1 passed, 1 skipped" in done.stdout
        assert "fault tests must run in CI" in done.stdout
    else:
        assert done.returncode == 0, done.stdout
        assert "1 passed, 3 skipped" in done.stdout
