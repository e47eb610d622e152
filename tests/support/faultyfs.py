"""FaultyFS: a real FUSE filesystem that injects faults, for tests.

``FaultyFS(backing, mountpoint)`` mounts a pass-through view of ``backing`` at ``mountpoint``,
served by ``faultyfs_daemon.py`` in a subprocess (so a test can SIGKILL it), and arms faults
on it at run time::

    with FaultyFS(tmp_path / "disk", tmp_path / "mnt") as fs:
        rule = fs.fail("write", errno.EIO, path="clips/*.mov", offset=1 << 20)
        ...  # the copy under test
        assert fs.fired(rule) == 1

Rules match an operation (``"write"``, ``"fsync"``, ... or ``"*"``) and a glob on the path
relative to the mount (``fnmatch``: ``*`` also matches ``/``). A rule fires from its ``nth``
matching call on, at most ``times`` times (default: unlimited; once when ``nth`` is given). For
``read``/``write`` an ``offset`` narrows the match to requests that reach that byte of the file
(``flip`` to requests that contain it). Every request returns once the daemon has applied it.

A rule's ``fired`` count is what a test asserts: a fault that never fired proves nothing.
Nothing here is thread-safe across threads calling the same ``FaultyFS`` method at once,
except the read-only ``fired``/``stats``/``wait_*`` calls.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno as errno_module
import importlib.util
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

from .held_process import signal_while_held
from .mounts import mount_entry, unmount

DAEMON = Path(__file__).with_name("faultyfs_daemon.py")
FINAL_STATS_PREFIX = "faultyfs-final-stats: "
WATCHDOG_LINE = "faultyfs: watchdog fired after"
SIGNALLED_PREFIX = "faultyfs: signalled: "
PARENT_GONE_EXIT = 3
"""The daemon's exit status when the process that started it died (``_watch_parent``)."""
STATE_NAME = ".faultyfs-state"
"""Hidden directory the daemon keeps inside the backing root (invisible through the mount)."""

START_TIMEOUT_S = 20.0
CONTROL_TIMEOUT_S = 10.0
EXIT_TIMEOUT_S = 5.0


class FaultyFSError(RuntimeError):
    """The daemon could not be started, or refused or could not answer a request."""


class StraySignalWarning(UserWarning):
    """A daemon of this test was sent SIGINT, SIGTERM or SIGHUP, which it logged with the
    sender and ignored (``FaultyFS.stray_signals``): a warning at the test's teardown, never
    a failure (on a shared machine it may be another session's signal to a reused pid)."""


class FaultyFSGone(FaultyFSError):
    """The daemon is gone (its control socket refused or closed): the message says how it
    ended (its watchdog, a signal and who sent it, its parent's death, a crash) and holds
    the end of its log, so that a test failing on it says why, not ``Connection refused``."""


@dataclass(frozen=True)
class OpRecord:
    """One logged operation: sequence number, op name, path(s) ``"a -> b"``, detail."""

    seq: int
    op: str
    path: str
    detail: str


def unavailable_reason() -> str | None:
    """Why FaultyFS cannot run on this machine, or None when it can."""
    if os.geteuid() != 0:
        return "FaultyFS needs root (mounting FUSE filesystems); CI runs as root"
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse is missing (kernel without FUSE?)"
    if importlib.util.find_spec("mfusepy") is None:
        return "Python package mfusepy is not installed (pip install mfusepy)"
    if ctypes.util.find_library("fuse3") is None:
        return "libfuse3 is not installed (apt-get install fuse3)"
    return None


class FaultyFS:
    """A FUSE pass-through mount of ``backing`` at ``mountpoint`` with injectable faults.

    Use it as a context manager: entering starts the daemon and returns once the mount is
    live (typically under 0.1 s); leaving releases stalls, unmounts (lazily if busy) and reaps
    the daemon, SIGKILLing it if it does not exit within ``EXIT_TIMEOUT_S``. Every wait has a
    timeout, so a hung mount cannot hang the test run.

    ``direct_io=True`` mounts with FUSE direct_io: no page cache at all, so every read and
    write reaches the daemon (and plain reads see stored corruption). ``rename_flags="none"``
    answers EINVAL to any renameat2 flag, as many FUSE filesystems (and exFAT via FUSE 2) do,
    instead of honouring RENAME_NOREPLACE. ``watchdog_s``: the daemon SIGKILLs itself that
    long after the first start, so a test blocked on a stalled call gets ECONNABORTED (and every
    later call ENOTCONN) instead of hanging: pytest-timeout cannot interrupt a FUSE call. The
    watchdog runs in the daemon, so the test process gets no extra thread. ``no_flock``:
    ``flock`` on the mount fails ENOLCK (NFSv3 without lockd). ``ctime_is_mtime``: every
    file's ctime is answered as its mtime (as from a filesystem keeping no ctime of its own),
    so a test can date a file's last change with ``utime`` alone. ``subtype``: the mount's
    type is ``fuse.<subtype>``; ``"sshfs"`` makes it one the product takes for a network
    share (``fs.below.NETWORK_FILESYSTEMS``), with this mount's faults.
    """

    def __init__(
        self,
        backing: Path,
        mountpoint: Path,
        *,
        direct_io: bool = False,
        rename_flags: str = "noreplace",
        watchdog_s: float | None = None,
        no_flock: bool = False,
        ctime_is_mtime: bool = False,
        subtype: str = "faultyfs",
    ) -> None:
        if rename_flags not in ("noreplace", "none"):
            raise ValueError("rename_flags is 'noreplace' or 'none'")
        self.backing = Path(backing)
        self.mountpoint = Path(mountpoint)
        self.direct_io = direct_io
        self.rename_flags = rename_flags
        self.watchdog_s = watchdog_s
        self.no_flock = no_flock
        self.ctime_is_mtime = ctime_is_mtime
        self.subtype = subtype
        self._proc: subprocess.Popen[bytes] | None = None
        self._control = ""
        self._log_path: Path | None = None
        # The logs of this mount's daemons before a remount (what each said: a stray
        # signal's sender among it), shown with the current one's (``all_logs_text``).
        self._earlier_logs: list[str] = []
        self._ids = itertools.count(1)
        self._fired_base: dict[str, int] = {}
        self._ops_base: dict[str, int] = {}
        self._deadline: float | None = None
        self._final_stats_taken = False
        self._watchdog_fired = False
        self._killed = False
        self._answered = False  # the running daemon answered once: a refusal now means gone
        self.start_duration_s = 0.0

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> FaultyFS:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def alive(self) -> bool:
        """Whether the daemon process is running and not being killed (it may be unplugged)."""
        return not self._killed and self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the daemon and wait until the mount answers; raise FaultyFSError if not."""
        if self._proc is not None:
            raise FaultyFSError("already started")
        self._killed = False
        self._answered = False
        reason = unavailable_reason()
        if reason:
            raise FaultyFSError(reason)
        self.backing.mkdir(parents=True, exist_ok=True)
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        self._control = f"faultyfs-{os.getpid()}-{secrets.token_hex(6)}"
        if self._log_path is not None:  # from before a remount: kept, as text
            if earlier := self.log_text().strip():
                self._earlier_logs.append(earlier)
            self._log_path.unlink(missing_ok=True)
        fd, log_name = tempfile.mkstemp(prefix="faultyfs-", suffix=".log")
        self._log_path = Path(log_name)
        cmd = [
            sys.executable,
            str(DAEMON),
            str(self.backing),
            str(self.mountpoint),
            "--control",
            self._control,
            "--parent-pid",
            str(os.getpid()),
            "--rename-flags",
            self.rename_flags,
        ]
        if self.direct_io:
            cmd.append("--direct-io")
        if self.no_flock:
            cmd.append("--no-flock")
        if self.ctime_is_mtime:
            cmd.append("--ctime-is-mtime")
        cmd += ["--subtype", self.subtype]
        started = time.monotonic()
        if self.watchdog_s is not None:
            if self._deadline is None:  # a remount keeps the first start's deadline
                self._deadline = started + self.watchdog_s
            cmd += ["--watchdog-s", f"{max(0.1, self._deadline - started):.3f}"]
        self._final_stats_taken = False
        try:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=fd,
                stderr=fd,
                env={**os.environ, "FUSE_LIBRARY_NAME": "fuse3"},
                start_new_session=True,  # a Ctrl-C in the terminal must not kill it mid-test
            )
        finally:
            os.close(fd)
        deadline = started + START_TIMEOUT_S
        while True:
            if self._proc.poll() is not None:
                log = self.log_text()
                self.close()
                raise FaultyFSError(f"faultyfs daemon exited at start:\n{log}")
            try:
                self._request({"cmd": "ping"}, timeout_s=1.0)
                break
            except (ConnectionRefusedError, FileNotFoundError, TimeoutError):
                pass  # not listening yet
            if time.monotonic() > deadline:
                log = self.log_text()
                self.close()
                raise FaultyFSError(f"faultyfs mount not live after {START_TIMEOUT_S} s:\n{log}")
            time.sleep(0.02)
        self.start_duration_s = time.monotonic() - started

    def close(self) -> None:
        """Release stalls, unmount and reap the daemon. Idempotent; never hangs."""
        try:
            if self._proc is not None:
                self._take_final_stats()
                if self.alive:
                    self._snapshot_counts(ops=True)
                    try:
                        self._request({"cmd": "clear"}, timeout_s=2.0)  # releases stalls
                    except (OSError, FaultyFSError):
                        pass
                try:
                    self._unmount()
                finally:
                    self._reap()
        finally:
            shutil.rmtree(self.backing / STATE_NAME, ignore_errors=True)
            if self._log_path is not None:
                self._log_path.unlink(missing_ok=True)
                self._log_path = None
            self._earlier_logs = []

    def _unmount(self) -> None:
        # Only our own mount: a failed start must not unmount what lies below the mount point.
        entry = mount_entry(self.mountpoint)
        if entry is not None and entry["fstype"] == f"fuse.{self.subtype}":
            unmount(self.mountpoint)

    def _reap(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=EXIT_TIMEOUT_S)

    @property
    def watchdog_fired(self) -> bool:
        """Whether the daemon's watchdog killed it (see ``watchdog_s``)."""
        return self._watchdog_fired or FINAL_STATS_PREFIX in self.log_text()

    def kill(self) -> None:
        """SIGKILL the daemon: a call in flight fails with ECONNABORTED, later ones ENOTCONN.

        The dead mount stays until ``close()`` (or ``remount()``); ``fired()`` keeps answering
        with the counts taken just before the kill.
        """
        proc = self._proc
        if proc is None or proc.poll() is not None:
            self._take_final_stats()
            return
        self._snapshot_counts(ops=True)
        self._killed = True
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=EXIT_TIMEOUT_S)

    def remount(self) -> None:
        """Kill the daemon if it runs, detach the mount, and mount a fresh daemon.

        Rules are not carried over; fired counts are. Files opened before stay dead (ENOTCONN).
        """
        self.kill()
        self._unmount()
        self._reap()
        self.start()

    def power_cut(self) -> dict[str, int]:
        """Cut the power: everything not made durable is lost, then the disk comes back.

        The daemon rewrites the backing tree to its durable state: file data as of each file's
        last fsync (a file created since has empty durable data), directory entries as of each
        directory's last fsyncdir (so a create, rename, unlink or mkdir not followed by an fsync
        of its parent directory is undone). Metadata (mode, times) is kept as it is. Then the
        daemon is SIGKILLed and a fresh one mounted, so no kernel cache survives either; files
        opened before the cut fail with ENOTCONN/EIO. Operations in flight at the cut either
        finish before the rebuild or fail with EIO. Returns counts from the rebuild.
        """
        summary = self._request({"cmd": "power_cut"})
        summary.pop("ok", None)
        self.remount()
        return summary

    def log_text(self) -> str:
        """The daemon's stdout/stderr so far (libfuse and Python tracebacks): the one mounted
        now (or last), not those before a remount (``all_logs_text``)."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_text(errors="replace")[-20000:]

    def all_logs_text(self) -> str:
        """What every daemon of this mount said: those before each ``remount`` (or
        ``power_cut``), kept, then the current one's (``log_text``); "" none said anything.
        Until ``close``."""
        now = self.log_text().strip()
        logs = [*self._earlier_logs, *([now] if now else [])]
        return "\n-- faultyfs: remounted: the next daemon's log --\n".join(logs)

    def stray_signals(self) -> list[str]:
        """The lines where a daemon of this mount (one before a remount too) logged a
        SIGINT, SIGTERM or SIGHUP it ignored, each naming its sender."""
        return [
            line for line in self.all_logs_text().splitlines() if line.startswith(SIGNALLED_PREFIX)
        ]

    # -- arming ---------------------------------------------------------------------------

    def add_rule(
        self,
        op: str,
        action: str,
        *,
        path: str = "*",
        errno: int | None = None,
        offset: int | None = None,
        length: int | None = None,
        nth: int | None = None,
        times: int | None = None,
        short_bytes: int | None = None,
        stall_s: float | None = None,
        mask: int = 0xFF,
        lie_mode: str = "zeros",
        rule_id: str | None = None,
    ) -> str:
        """Arm a rule and return its id. Prefer the helpers below; this is the general form.

        ``action`` is one of ``error`` (fail with ``errno``), ``short`` (a write stores and
        acknowledges only ``short_bytes``, default half), ``stall`` (sleep ``stall_s`` seconds,
        or until ``release()`` when None, then go on or fail with ``errno``), ``flip`` (XOR the
        byte at file ``offset`` with ``mask`` on its way to disk, or to the reader for
        ``op="read"``), ``lie`` (acknowledge writes but store zeros, or nothing with
        ``lie_mode="drop"``, from file ``offset`` on). Raises FaultyFSError for a bad rule.
        """
        if nth is not None and times is None:
            times = 1
        spec: dict[str, Any] = {
            "rule_id": rule_id or f"r{next(self._ids)}",
            "op": op,
            "action": action,
            "path": path,
            "errno": errno,
            "offset": offset,
            "length": length,
            "nth": nth or 1,
            "times": times,
            "short_bytes": short_bytes,
            "stall_s": stall_s,
            "mask": mask,
            "lie_mode": lie_mode,
        }
        return str(self._request({"cmd": "add", "rule": spec})["id"])

    def fail(
        self,
        op: str,
        err: int = errno_module.EIO,
        *,
        path: str = "*",
        offset: int | None = None,
        length: int | None = None,
        nth: int | None = None,
        times: int | None = None,
        rule_id: str | None = None,
    ) -> str:
        """Make ``op`` fail with ``err`` (EIO, ENOSPC, EFBIG, ...).

        ``op`` is any FUSE operation name: ``write``, ``read``, ``fsync``, ``flush`` (the error
        close(2) returns), ``create``, ``open``, ``rename``, ``fsyncdir``, ``unlink``,
        ``mkdir``, ``getattr`` (stat), ``readdir``, ``truncate``, ``utimens``, ... or ``*``.
        A write that starts before ``offset`` stores the bytes up to it and returns that short
        count; the caller's next write, at ``offset``, fails: the caller sees exactly
        ``offset`` bytes accepted. Reads fail for a request that reaches ``offset`` (through
        the page cache that is a page or a readahead window, not a byte). With ``length``, only
        requests that start before ``offset + length`` match: bad sectors in that range of
        the file (an image under a loop device), the rest of it good.
        """
        return self.add_rule(
            op,
            "error",
            path=path,
            errno=err,
            offset=offset,
            length=length,
            nth=nth,
            times=times,
            rule_id=rule_id,
        )

    def short_write(
        self,
        *,
        path: str = "*",
        max_bytes: int | None = None,
        offset: int | None = None,
        nth: int | None = None,
        times: int | None = None,
        rule_id: str | None = None,
    ) -> str:
        """Make matching writes store and return only ``max_bytes`` (default: half) bytes.

        The kernel passes the short count on: write(2) returns it and the caller must loop.
        ``max_bytes=0``: the write stores nothing and write(2) returns 0 with no error.
        """
        return self.add_rule(
            "write",
            "short",
            path=path,
            short_bytes=max_bytes,
            offset=offset,
            nth=nth,
            times=times,
            rule_id=rule_id,
        )

    def stall(
        self,
        op: str,
        *,
        path: str = "*",
        seconds: float | None = None,
        then_errno: int | None = None,
        offset: int | None = None,
        nth: int | None = None,
        times: int | None = None,
        rule_id: str | None = None,
    ) -> str:
        """Block matching calls ``seconds`` long, or until ``release(rule_id)`` when None.

        Afterwards the call goes on, or fails with ``then_errno``. The caller's syscall is
        blocked meanwhile (use a thread or a subprocess); see ``wait_stalled``.
        """
        return self.add_rule(
            op,
            "stall",
            path=path,
            stall_s=seconds,
            errno=then_errno,
            offset=offset,
            nth=nth,
            times=times,
            rule_id=rule_id,
        )

    def flip(
        self,
        offset: int,
        *,
        path: str = "*",
        op: str = "write",
        mask: int = 0xFF,
        nth: int | None = None,
        times: int | None = None,
        rule_id: str | None = None,
    ) -> str:
        """Silently corrupt the byte at file ``offset`` (XOR ``mask``) on its way to disk.

        With ``op="read"`` the stored byte stays good and readers get the corrupt one (a flaky
        card reader). The write still reports success.
        """
        return self.add_rule(
            op, "flip", path=path, offset=offset, mask=mask, nth=nth, times=times, rule_id=rule_id
        )

    def lie(
        self, offset: int, *, path: str = "*", mode: str = "zeros", rule_id: str | None = None
    ) -> str:
        """A lying drive: writes succeed but from file ``offset`` on store zeros (or nothing).

        ``mode="zeros"`` keeps the file size (like fake-capacity flash); ``mode="drop"``
        stores nothing, so the stored file is shorter than what was acknowledged.
        """
        return self.add_rule(
            "write", "lie", path=path, offset=offset, lie_mode=mode, rule_id=rule_id
        )

    def remove(self, rule_id: str) -> int:
        """Disarm a rule (releasing its stalled calls); returns how often it fired."""
        fired = int(self._request({"cmd": "remove", "id": rule_id})["fired"])
        self._fired_base[rule_id] = self._fired_base.get(rule_id, 0) + fired
        return self._fired_base[rule_id]

    def clear(self) -> None:
        """Disarm every rule (releasing stalled calls); fired counts are kept."""
        self._snapshot_counts(ops=False)
        self._request({"cmd": "clear"})

    def release(self, rule_id: str | None = None) -> None:
        """Let the calls blocked by a stall rule (every rule when None) go on, now and later."""
        self._request({"cmd": "release", "id": rule_id})

    def unplug(self) -> None:
        """Every operation fails with EIO from now on, like a drive pulled out under FUSE.

        Operations already past their fault rules finish first: once this returns, nothing
        touches the backing directory until ``replug()``.
        """
        self._request({"cmd": "unplug"})

    def replug(self) -> None:
        """Undo ``unplug()``."""
        self._request({"cmd": "replug"})

    # -- observing ------------------------------------------------------------------------

    def stats(self, *, timeout_s: float = CONTROL_TIMEOUT_S) -> dict[str, Any]:
        """``{"rules": {id: {"fired", "calls", "waiting"}}, "ops": {op: count},
        "unplugged": bool, "unsynced": {"files": n, "dirs": n}}`` from the live daemon."""
        reply = self._request({"cmd": "stats"}, timeout_s=timeout_s)
        reply.pop("ok", None)
        return reply

    def _live_stats(self) -> dict[str, Any]:
        """Stats of the daemon if it answers, else empty ones (it died or is being killed)."""
        if self.alive:
            try:
                return self.stats()
            except (OSError, FaultyFSError) as exc:
                # Dying (its watchdog fired)? Then its socket closed just before it exited.
                proc = self._proc
                if proc is None:
                    raise
                try:
                    proc.wait(timeout=EXIT_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    raise exc from None
        self._take_final_stats()
        return {"rules": {}, "ops": {}}

    def _take_final_stats(self) -> None:
        """Keep the counts the watchdog printed before the daemon killed itself."""
        if self._final_stats_taken or self._proc is None or self._proc.poll() is None:
            return
        self._final_stats_taken = True
        for line in self.log_text().splitlines():
            if line.startswith(FINAL_STATS_PREFIX):
                self._watchdog_fired = True
                self._absorb(json.loads(line[len(FINAL_STATS_PREFIX) :]), ops=True)

    def fired(self, rule_id: str) -> int:
        """How often a rule fired, across remounts, kills and removal of the rule."""
        live = self._live_stats()["rules"]
        if rule_id not in live and rule_id not in self._fired_base:
            raise KeyError(f"no rule {rule_id!r}")
        return self._fired_base.get(rule_id, 0) + int(live.get(rule_id, {}).get("fired", 0))

    def op_count(self, op: str) -> int:
        """How many times the kernel called ``op`` (e.g. ``"fsyncdir"``) since the start."""
        return self._ops_base.get(op, 0) + int(self._live_stats()["ops"].get(op, 0))

    def oplog(self, *, clear: bool = False) -> list[OpRecord]:
        """Operations in the order the daemon received them (not getattr/readdir/statfs).

        Useful to assert ordering, e.g. that a file's fsync came before its rename and the
        rename before the fsyncdir of its directory.
        """
        reply = self._request({"cmd": "oplog", "clear": clear})
        return [OpRecord(*entry) for entry in reply["log"]]

    def wait_stalled(self, rule_id: str, *, count: int = 1, timeout_s: float = 10.0) -> None:
        """Block until ``count`` calls are held by stall rule ``rule_id``; TimeoutError if not."""
        self._wait(lambda s: s["rules"].get(rule_id, {}).get("waiting", 0) >= count, timeout_s)

    def wait_stalled_while_working(
        self, rule_id: str, process: subprocess.Popen[str], *, quiet_s: float = 60.0
    ) -> None:
        """Block until stall rule ``rule_id`` holds a call, however long *process* takes to
        reach it while it works through this filesystem (a long walk on a loaded machine):
        TimeoutError once no operation reached the daemon for *quiet_s* s, or *process*
        exited first (a way to the stall that was missed, never waited out)."""
        last, moved = -1, time.monotonic()
        while True:
            stats = self.stats()
            if stats["rules"].get(rule_id, {}).get("waiting", 0) >= 1:
                return
            if process.poll() is not None:
                raise TimeoutError(
                    f"faultyfs: the process exited ({process.returncode}) before stall "
                    f"rule {rule_id} held a call"
                )
            ops = sum(stats["ops"].values())
            if ops != last:
                last, moved = ops, time.monotonic()
            elif time.monotonic() - moved > quiet_s:
                raise TimeoutError(
                    f"faultyfs: no operation for {quiet_s} s before stall rule {rule_id} "
                    f"held a call ({ops} operations so far)"
                )
            time.sleep(0.05)

    def wait_fired(self, rule_id: str, *, count: int = 1, timeout_s: float = 10.0) -> None:
        """Block until rule ``rule_id`` fired ``count`` times; TimeoutError if not."""
        self._wait(lambda s: s["rules"].get(rule_id, {}).get("fired", 0) >= count, timeout_s)

    def _wait(self, done: Any, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not done(self.stats()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"faultyfs: condition not met within {timeout_s} s")
            time.sleep(0.01)

    def _snapshot_counts(self, *, ops: bool, timeout_s: float = CONTROL_TIMEOUT_S) -> None:
        """Keep the counts of rules (and ops) that are about to vanish with the daemon."""
        try:
            stats = self.stats(timeout_s=timeout_s)
        except (OSError, FaultyFSError):
            return
        self._absorb(stats, ops=ops)

    def _absorb(self, stats: dict[str, Any], *, ops: bool) -> None:
        for rule_id, rule in stats.get("rules", {}).items():
            self._fired_base[rule_id] = self._fired_base.get(rule_id, 0) + rule["fired"]
        if ops:
            for op, count in stats.get("ops", {}).items():
                self._ops_base[op] = self._ops_base.get(op, 0) + count

    # -- transport ------------------------------------------------------------------------

    def _request(
        self, request: dict[str, Any], *, timeout_s: float = CONTROL_TIMEOUT_S
    ) -> dict[str, Any]:
        if not self._control:
            raise FaultyFSError("not started")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout_s)
            try:
                sock.connect("\0" + self._control)
                sock.sendall(json.dumps(request).encode() + b"\n")
                data = b""
                while not data.endswith(b"\n"):
                    chunk = sock.recv(1 << 20)
                    if not chunk:
                        raise ConnectionResetError(errno_module.ECONNRESET, "closed")
                    data += chunk
            except (ConnectionError, FileNotFoundError) as exc:  # refused, reset, closed
                if not self._answered:
                    raise  # starting: the daemon does not listen yet
                raise self._gone(request) from exc
        reply: dict[str, Any] = json.loads(data)
        if not reply.get("ok"):
            raise FaultyFSError(f"faultyfs refused {request}: {reply.get('error')}")
        self._answered = True
        return reply

    def _gone(self, request: dict[str, Any]) -> FaultyFSError:
        """The error for *request* refused or cut off by a daemon that is gone: how it ended
        (waited for ``EXIT_TIMEOUT_S`` at most: a SIGKILLed daemon's socket closes just
        before it exits) and the end of its log."""
        proc = self._proc
        if proc is None:
            return FaultyFSError(f"faultyfs: no daemon to answer {request}")
        try:
            code = proc.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return FaultyFSError(
                f"faultyfs daemon (pid {proc.pid}) closed its control socket on {request} "
                f"and still runs {EXIT_TIMEOUT_S} s later; its log:\n{self.log_text()[-4000:]}"
            )
        log = self.log_text()
        return FaultyFSGone(
            f"faultyfs daemon (pid {proc.pid}, mount {self.mountpoint}) is gone, asked "
            f"{request}: {ended_how(code, log, killed_here=self._killed)}; its log:\n"
            f"{log[-4000:]}"
        )


def ended_how(code: int, log: str, *, killed_here: bool = False) -> str:
    """How a daemon that exited with *code* (a Popen return code) ended, read with what it
    logged: its watchdog, a signal (SIGKILL: SIGINT, SIGTERM and SIGHUP it logs with their
    sender and ignores), its parent's death, its mount gone, a crash (its traceback is in
    the log)."""
    if WATCHDOG_LINE in log:
        return (
            "its watchdog killed it (the test's timeout less the fixture's margin ran out: "
            "the test took that long, or waited for a fault that never came)"
        )
    if code < 0:
        name = signal.Signals(-code).name
        if killed_here:
            return f"killed by this test ({name}: FaultyFS.kill, remount or power_cut)"
        return f"killed by {name} from outside this harness (not its watchdog, not FaultyFS.kill)"
    if code == PARENT_GONE_EXIT:
        return "it saw the process that started it die (--parent-pid) and exited"
    if code == 0:
        return "its FUSE loop ended: its mount was unmounted (by whom: not logged)"
    return f"exited with status {code} (a crash: see the traceback in its log)"


def signalled_at_stall(
    fs: FaultyFS,
    rule: str,
    argv: list[str],
    signum: int,
    *,
    cwd: Path,
    timeout_s: float = 60.0,
) -> subprocess.CompletedProcess[str]:
    """Run *argv* (a real process), send it *signum* once stall *rule* of *fs* holds one of
    its calls, then release the stall and wait for it to end; its exit code and output."""
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd
    )
    # A pause after the signal: handled while the call is still held.
    signal_at_stalls(fs, process, (rule, (signum,)), pause_s=0.3, timeout_s=timeout_s)
    out, err = process.communicate(timeout=timeout_s)
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


def signal_at_stalls(
    fs: FaultyFS,
    process: subprocess.Popen[str],
    *steps: tuple[str, Sequence[int]],
    pause_s: float = 0.0,
    timeout_s: float = 60.0,
) -> None:
    """For each step ``(rule, signals)`` in turn: wait (*timeout_s* at most) until stall
    *rule* of *fs* holds a call of *process*, send it each of *signals* (*pause_s* after
    each), then let that rule's calls go (a later step's stall then holds the next call it
    matches). Every stall of *fs* is let go at the end, whatever was raised, so that the
    test can read what the process wrote with ``communicate``. Each step is
    ``held_process.signal_while_held`` on that rule."""
    try:
        for rule, signals in steps:
            signal_while_held(
                process,
                *signals,
                wait_held=partial(fs.wait_stalled, rule, timeout_s=timeout_s),
                release=partial(fs.release, rule),
                pause_s=pause_s,
            )
    finally:
        fs.release()


def warn_of_stray_signals(made: Iterable[FaultyFS]) -> None:
    """A ``StraySignalWarning`` (in the warnings summary, never a failure: on a shared
    machine another session's signal may reach a reused pid) for each daemon of *made* that
    logged a SIGINT, SIGTERM or SIGHUP, naming its sender; those before a remount too. A
    test that passes would otherwise hide them (its daemons' logs are shown only when it
    fails, and are deleted at its teardown): the ``faulty_fs`` fixture calls it at teardown."""
    for fs in made:
        strays = fs.stray_signals()
        if not strays:
            continue
        # Shown, not raised: pyproject.toml's filter of this category comes after "error".
        warnings.warn(
            StraySignalWarning(
                f"faultyfs daemon of {fs.mountpoint} was signalled and went on: "
                + "; ".join(line.removeprefix(SIGNALLED_PREFIX) for line in strays)
            ),
            stacklevel=2,
        )
