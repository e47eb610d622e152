"""What the runner asks of the OS: measured subprocesses, sync, page-cache state, load.

Every contender runs as child processes of the runner. ``Spawner.run`` keeps the largest
``ru_maxrss`` of its children. On Linux a child's rusage also covers the descendants it waited
for, so a peer that forks (rsync does) is counted whole; but it also keeps the high-water mark
of the memory the child was forked from, so a child forked straight from this Python process
would never show less than the runner's own ~25 MiB. Commands therefore go through GNU
``time`` when it is installed (a small process whose children start small) and its ``%M``
(the child's ``ru_maxrss`` from ``wait4``) is what we keep; without it, ``os.wait4`` of the
direct child, which overstates small programs.

``ru_maxrss`` is one process's high-water mark, never the sum of processes alive together:
``offload copy``'s report worker beside the command (a card of up to 10,000 files) was not
counted (docs/performance.md, thirtieth pass: at 50,000 files with the worker drawing the
documents, ``%M`` said 143 MB where the two held 251-257 MB). So ``Spawner.run`` also sums
the resident sets of the command and every process below it (``/proc``, every
``TREE_INTERVAL_S``, on a thread) and keeps the larger of the two figures: the tree's peak as
sampled: the sum of the processes' resident sets at each reading (pages they share, such as
the interpreter's libraries, counted in each; a process that lives between two readings
missed), never below the largest single process's.

The CPU seconds (``cpu_s``) are the same ``wait4``'s user + system time, which covers a
command and the descendants it waited for, and no others: ``offload copy``'s report worker
is not waited for once it has answered (the console script's, ``report/worker.py``: it may
still write its cache of generated code), so it is orphaned when the command exits and its
CPU (~150 ms at 200 files, most of it while the command runs) was in no rusage the runner
read (docs/performance.md, "Profile of the forty-fourth pass"). So while a command runs the
runner is the **subreaper** of its descendants (``PR_SET_CHILD_SUBREAPER``): a process of
the command's tree orphaned before the command ends becomes the runner's child instead of
init's, and ``reap_descendants`` (called by the runner after the clock stops, so the wall
time is the same) waits for each one and adds its CPU to ``cpu_s``: each process the tree's
readings saw, and each child the runner gained while the command ran (an orphan reparented
between two readings, or before the first, is never seen below the command: left unwaited
it stayed a zombie of the runner, its CPU uncounted). The runner starts nothing else while
a command runs (``Spawner`` is not thread-safe): a child it had before the command is never
taken for one. One still running after ``DESCENDANT_PATIENCE_S`` is killed and waited for
``KILL_PATIENCE_S`` more; one that a kill does not end then (a process in uninterruptible
sleep, on a dead FUSE mount) is left, its pid noted in ``Spawner.unreaped``: the bench
never hangs on it. Off Linux, or where ``prctl`` fails, nothing changes: orphans go to
init, uncounted.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

DROP_CACHES = Path("/proc/sys/vm/drop_caches")
DISKSTATS = Path("/proc/diskstats")
_SECTOR = 512  # /proc/diskstats counts 512-byte sectors, whatever the device's own
GNU_TIME = "/usr/bin/time"
# How often the process tree's resident sets are summed while a command runs.
TREE_INTERVAL_S = 0.02
_READ_BLOCK = 4 * 1024 * 1024
# How long ``reap_descendants`` waits for an orphaned descendant to end before killing it.
DESCENDANT_PATIENCE_S = 30.0
# How long it then waits for one it killed (SIGKILL) before leaving it, its pid noted.
KILL_PATIENCE_S = 5.0
_PR_SET_CHILD_SUBREAPER = 36  # prctl(2)


class CommandError(RuntimeError):
    """A contender's command failed (non-zero exit); the message holds the end of its stderr."""


class Spawner:
    """Runs commands for one measured run and remembers their peak memory and CPU time (user
    + system, the command and the descendants it waited for). Not thread-safe."""

    def __init__(self, scratch: Path, *, use_gnu_time: bool | None = None) -> None:
        self.scratch = scratch
        self.peak_rss_kib = 0
        self.cpu_s = 0.0
        self.commands = 0
        # Descendants of a command orphaned before it ended (now this process's children),
        # waited for by reap_descendants; how many were, and the CPU they added to cpu_s.
        self._orphans: list[int] = []
        # Those a kill did not end within KILL_PATIENCE_S (left running, not counted).
        self.unreaped: list[int] = []
        self.descendants_reaped = 0
        self.descendants_cpu_s = 0.0
        if use_gnu_time is None:
            use_gnu_time = os.access(GNU_TIME, os.X_OK)
        self.use_gnu_time = use_gnu_time

    def run(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        stdin: Path | None = None,
        capture: bool = False,
        env: dict[str, str] | None = None,
    ) -> str:
        """Run *argv* to completion; returns its stdout when *capture* (else "").

        stdout goes to /dev/null unless captured (a temporary file, so nothing waits on a
        pipe while we wait4). Raises CommandError on a non-zero exit, OSError if it cannot
        start.
        """
        self.scratch.mkdir(parents=True, exist_ok=True)
        with (
            tempfile.TemporaryFile(dir=self.scratch) as out,
            tempfile.TemporaryFile(dir=self.scratch) as err,
        ):
            command = [os.fspath(a) for a in argv]
            rss_file = None
            if self.use_gnu_time:
                rss_file = self.scratch / f".rss-{os.getpid()}-{self.commands}"
                command = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *command]
            stdin_file = open(stdin, "rb") if stdin is not None else None  # noqa: SIM115
            subreaper = _set_subreaper(True)
            before = set(_children(os.getpid())) if subreaper else set()
            try:
                proc = subprocess.Popen(
                    command,
                    stdin=stdin_file if stdin_file is not None else subprocess.DEVNULL,
                    stdout=out if capture else subprocess.DEVNULL,
                    stderr=err,
                    env=env,
                )
            finally:
                if stdin_file is not None:
                    stdin_file.close()
            # GNU time's own process is not the command's: its descendants alone are summed.
            tree = TreePeak(proc.pid, with_root=not self.use_gnu_time)
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                tree_kib = tree.stop()
                if subreaper:
                    _set_subreaper(False)
                    # The command's orphans: those its tree's readings saw, and every child
                    # the runner gained meanwhile (one orphaned between two readings was
                    # never seen below the command); never a child it had before.
                    now = set(_children(os.getpid()))
                    gained = (tree.seen | (now - before)) - {proc.pid}
                    self._orphans.extend(sorted(gained & now))
            proc.returncode = os.waitstatus_to_exitcode(status)
            self.commands += 1
            self.cpu_s += usage.ru_utime + usage.ru_stime
            rss_kib = int(usage.ru_maxrss)
            if rss_file is not None:
                rss_kib = _read_time_output(rss_file, fallback=rss_kib)
            self.peak_rss_kib = max(self.peak_rss_kib, rss_kib, tree_kib)
            if proc.returncode != 0:
                err.seek(0)
                tail = err.read()[-2000:].decode(errors="replace").strip()
                raise CommandError(
                    f"{os.path.basename(os.fspath(argv[0]))} exited with {proc.returncode}: {tail}"
                )
            if not capture:
                return ""
            out.seek(0)
            return out.read().decode(errors="replace")

    def reap_descendants(
        self, patience_s: float = DESCENDANT_PATIENCE_S, kill_patience_s: float = KILL_PATIENCE_S
    ) -> None:
        """Wait for the commands' orphaned descendants (see the module's docstring) and add
        their CPU to ``cpu_s``. One still running after *patience_s* is killed, then counted
        all the same (a contender's process outliving its command by that much is a bug to
        see in the numbers, not a reason to hang the bench); one the kill has not ended
        *kill_patience_s* later is left running, its pid in ``unreaped``, uncounted.
        Idempotent."""
        deadline = time.monotonic() + patience_s
        while self._orphans:
            pid = self._orphans.pop()
            killed_at: float | None = None
            while True:
                try:
                    done, _, usage = os.wait4(pid, os.WNOHANG)
                except ChildProcessError:  # reaped elsewhere: nothing to count
                    break
                if done:
                    cpu = usage.ru_utime + usage.ru_stime
                    self.cpu_s += cpu
                    self.descendants_cpu_s += cpu
                    self.descendants_reaped += 1
                    break
                if time.monotonic() >= deadline:
                    if killed_at is not None:  # the kill did not end it: never hang on it
                        self.unreaped.append(pid)
                        break
                    try:
                        os.kill(pid, 9)
                    except ProcessLookupError:
                        pass
                    killed_at = time.monotonic()
                    deadline = killed_at + kill_patience_s
                time.sleep(0.005)


def _set_subreaper(on: bool) -> bool:
    """Make this process the subreaper of its descendants (or stop); whether it could."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


class TreePeak:
    """The largest sum, while it runs, of the resident sets (``VmRSS``) of the processes below
    *pid* (and of *pid* itself if *with_root*), read from ``/proc`` every ``TREE_INTERVAL_S``
    on a thread of its own from construction to ``stop``. A process that ends between two
    readings is missed for that reading; 0 where ``/proc`` cannot be read. Linux only (the
    ``children`` file of each task)."""

    def __init__(self, pid: int, *, with_root: bool) -> None:
        self._pid = pid
        self._with_root = with_root
        self._peak_kib = 0
        # Every process seen below *pid* (for Spawner: the ones that may outlive it).
        self.seen: set[int] = set()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="tree-rss", daemon=True)
        self._thread.start()

    def stop(self) -> int:
        """Stop reading; the largest sum seen, in KiB."""
        self._stopped.set()
        self._thread.join()
        return self._peak_kib

    def _poll(self) -> None:
        while True:
            self._peak_kib = max(self._peak_kib, self._sum_kib())
            if self._stopped.wait(TREE_INTERVAL_S):
                return

    def _sum_kib(self) -> int:
        total = _rss_kib(self._pid) if self._with_root else 0
        seen = {self._pid}
        below = _children(self._pid)
        while below:
            pid = below.pop()
            if pid in seen:
                continue
            seen.add(pid)
            self.seen.add(pid)
            total += _rss_kib(pid)
            below.extend(_children(pid))
        return total


def _children(pid: int) -> list[int]:
    """The processes *pid*'s threads started ([] once it is gone)."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                found.extend(int(child) for child in listing.read().split())
    except (OSError, ValueError):
        pass
    return found


def _rss_kib(pid: int) -> int:
    """*pid*'s resident set in KiB (0 once it is gone, or for a zombie)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _read_time_output(path: Path, *, fallback: int) -> int:
    """The ``%M`` that GNU time wrote (its last line; a failed command adds a line first)."""
    try:
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        path.unlink()
        return int(lines[-1])
    except (OSError, ValueError, IndexError):
        return fallback


def sync() -> None:
    """Flush every filesystem's dirty data (what ``sync`` does; part of each timing)."""
    os.sync()


def can_drop_caches() -> bool:
    return os.geteuid() == 0 and os.access(DROP_CACHES, os.W_OK)


def drop_all_caches() -> bool:
    """``sync; echo 3 > /proc/sys/vm/drop_caches``; returns False when not allowed (not root)."""
    os.sync()
    if not can_drop_caches():
        return False
    DROP_CACHES.write_text("3\n")
    return True


def evict(paths: Iterable[Path]) -> None:
    """Drop the (clean) cached pages of each file: POSIX_FADV_DONTNEED after a sync."""
    os.sync()
    for path in paths:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def warm(paths: Iterable[Path]) -> None:
    """Read each file once so that it sits in the page cache."""
    buffer = bytearray(_READ_BLOCK)
    view = memoryview(buffer)
    for path in paths:
        with open(path, "rb", buffering=0) as handle:
            while handle.readinto(view):
                pass


def disk_io_bytes(path: Path) -> tuple[int, int] | None:
    """Bytes read from and written to the block device holding *path* since boot
    (``/proc/diskstats``), or None where there is none to ask (tmpfs, overlayfs, btrfs
    subvolumes, not Linux).

    The device's counters include every process's I/O on it, not only a contender's: on a
    shared machine the difference over a run is an upper bound of what the run moved.
    """
    try:
        device = os.stat(path).st_dev
        lines = DISKSTATS.read_text().splitlines()
    except OSError:
        return None
    major, minor = str(os.major(device)), str(os.minor(device))
    for line in lines:
        fields = line.split()
        if len(fields) >= 10 and fields[0] == major and fields[1] == minor:
            return int(fields[5]) * _SECTOR, int(fields[9]) * _SECTOR
    return None


def load_average() -> float:
    """The 1-minute load average (other work sharing the machine shows here)."""
    return os.getloadavg()[0]


def memory_available_kib() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def pause(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)
