"""FaultyFS daemon: a FUSE pass-through filesystem (mfusepy, libfuse 3) that injects faults.

Do not import this module from tests: run it through ``tests/support/faultyfs.py``
(``FaultyFS``), which starts it as a subprocess so that a test can SIGKILL it.

    python faultyfs_daemon.py BACKING MOUNTPOINT --control NAME [--parent-pid PID]
                              [--direct-io] [--rename-flags noreplace|none]

The mount mirrors BACKING. Faults are armed at run time over a unix stream socket in the
abstract namespace (``NAME``), one JSON object per line each way; a request returns only
once the daemon has applied it, so a rule is armed when ``FaultyFS.fail()`` returns.

Threading model: libfuse's multi-threaded loop calls the operations from several threads.
``_rules_lock`` guards the rules and counters; ``_fs_lock`` guards the durability journal and
every namespace change, so that ``power_cut`` sees a consistent state. Data I/O and stalls run
outside both locks. Every access to the backing tree or to a handle's fd (after the fault gate,
so never during a stall) runs inside ``FaultyOps._backing()``, which counts it; ``power_cut`` and
``unplug`` stop admitting new ones and wait until those in flight are done. A handle's fd is
closed only by ``release`` (the kernel sends it after every other request on that handle), never
by a fault switch. The control server answers each connection on its own thread.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import errno
import fnmatch
import json
import os
import shutil
import signal
import socket
import stat
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# mfusepy picks libfuse 2 by default; libfuse 3 passes rename flags and has fuse_config.
os.environ.setdefault("FUSE_LIBRARY_NAME", "fuse3")
import mfusepy

STATE_NAME = ".faultyfs-state"
"""Hidden directory inside the backing root: undo copies, buried inodes, power-cut staging."""

MAX_STALL_S = 3600.0
"""A stall "until released" still ends after an hour: the test's timeout fires long before."""

DRAIN_TIMEOUT_S = 5.0
"""How long ``power_cut``/``unplug`` wait for the operations in flight on the backing tree."""

OPLOG_LIMIT = 200_000
"""Operations kept in the log; older ones are dropped (the count of dropped ones is kept)."""

RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
RENAME_WHITEOUT = 4
AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100

# fuse_common.h (libfuse 3): capability bits of fuse_conn_info.want.
FUSE_CAP_AUTO_INVAL_DATA = 1 << 12
FUSE_CAP_READDIRPLUS = 1 << 13
FUSE_CAP_READDIRPLUS_AUTO = 1 << 14
FUSE_CAP_WRITEBACK_CACHE = 1 << 16

OPS = frozenset(
    {
        "getattr", "readlink", "mkdir", "unlink", "rmdir", "symlink", "rename", "link",
        "chmod", "chown", "truncate", "open", "read", "write", "statfs", "flush", "release",
        "fsync", "opendir", "readdir", "releasedir", "fsyncdir", "create", "utimens",
    }
)  # fmt: skip
ACTIONS = frozenset({"error", "short", "stall", "flip", "lie"})
QUIET_OPS = frozenset({"getattr", "statfs", "opendir", "readdir", "releasedir", "readlink"})
"""Operations not written to the operation log (too frequent to be useful there)."""

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.renameat2.argtypes = [
    ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint,
]  # fmt: skip
_libc.utimensat.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
_libc.futimens.argtypes = [ctypes.c_int, ctypes.c_void_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _fail(code: int) -> mfusepy.FuseOSError:
    return mfusepy.FuseOSError(code)


def _check_libc(result: int) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


@dataclass
class Rule:
    """One armed fault. See ``FaultyFS.add_rule`` for the meaning of each field."""

    rule_id: str
    op: str
    action: str
    path: str = "*"
    errno: int | None = None
    offset: int | None = None
    length: int | None = None
    nth: int = 1
    times: int | None = None
    short_bytes: int | None = None
    stall_s: float | None = None
    mask: int = 0xFF
    lie_mode: str = "zeros"
    calls: int = 0
    fired: int = 0
    waiting: int = 0
    released: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def from_request(cls, spec: dict[str, Any]) -> Rule:
        allowed = {
            "rule_id", "op", "action", "path", "errno", "offset", "length", "nth", "times",
            "short_bytes", "stall_s", "mask", "lie_mode",
        }  # fmt: skip
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown rule fields: {sorted(unknown)}")
        rule = cls(**spec)
        if rule.op != "*" and rule.op not in OPS:
            raise ValueError(f"unknown operation {rule.op!r}; one of {sorted(OPS)} or '*'")
        if rule.action not in ACTIONS:
            raise ValueError(f"unknown action {rule.action!r}; one of {sorted(ACTIONS)}")
        if rule.action in {"short", "flip", "lie"} and rule.op not in {"read", "write"}:
            raise ValueError(f"action {rule.action!r} needs op 'read' or 'write'")
        if rule.action in {"short", "lie"} and rule.op != "write":
            raise ValueError(f"action {rule.action!r} only applies to 'write'")
        if rule.action in {"flip", "lie"} and rule.offset is None:
            raise ValueError(f"action {rule.action!r} needs an offset")
        if rule.offset is not None and rule.op not in {"read", "write"}:
            raise ValueError("an offset only applies to 'read' and 'write'")
        if rule.length is not None and (rule.offset is None or rule.length < 1):
            raise ValueError("a length needs an offset, and is at least 1")
        if rule.action == "error" and not rule.errno:
            raise ValueError("action 'error' needs an errno")
        if rule.lie_mode not in {"zeros", "drop"}:
            raise ValueError("lie_mode is 'zeros' or 'drop'")
        if rule.nth < 1:
            raise ValueError("nth counts from 1")
        return rule

    def matches(self, op: str, paths: tuple[str, ...], offset: int, size: int) -> bool:
        if self.op not in ("*", op):
            return False
        if not any(fnmatch.fnmatchcase(p, self.path) for p in paths):
            return False
        if self.offset is None or op not in ("read", "write"):
            return True
        if self.action == "flip":
            return offset <= self.offset < offset + size
        if self.length is not None and offset >= self.offset + self.length:
            return False  # past the range the rule is bounded to
        # Every other action fires on a request that reaches the offset.
        return offset + size > self.offset

    def armed_for_next_call(self) -> bool:
        return self.calls + 1 >= self.nth and (self.times is None or self.fired < self.times)


@dataclass
class Effects:
    """What the matched rules do to one read or write request."""

    limit: int | None = None
    flips: list[int] = field(default_factory=list)
    masks: list[int] = field(default_factory=list)
    lie_from: int | None = None
    lie_mode: str = "zeros"


@dataclass
class Handle:
    fd: int
    path: str
    ino: int


Entry = tuple[str, int, str | None, int]
"""A directory entry as (kind 'f'/'d'/'l'/'o', inode, symlink target, mode)."""


class Durability:
    """Journal of what a power cut would lose; all methods need ``_fs_lock``.

    Model (POSIX strict, like ext4 without its journal's generosity):
      * a file's data is durable up to its last fsync/fdatasync: before the first change after
        that (write, truncate, O_TRUNC) the durable content is copied to ``undo/<ino>``; a file
        created during the session has empty durable content until it is fsynced;
      * a directory's entries are durable as of its last fsyncdir: before its first change after
        that, its listing (name -> inode) is kept; a directory made during the session is empty;
      * unlinked or replaced inodes are hard-linked under ``grave/`` (directories moved there)
        so that a power cut can bring them back and their inode numbers are never reused.
    Metadata (mode, times, owner) is not journaled: it survives a power cut as it is.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self.state = os.path.join(root, STATE_NAME)
        self.undo = os.path.join(self.state, "undo")
        self.grave = os.path.join(self.state, "grave")
        shutil.rmtree(self.state, ignore_errors=True)
        os.makedirs(self.undo)
        os.makedirs(self.grave)
        self.root_ino = os.lstat(root).st_ino
        self.dirty_files: dict[int, str | None] = {}
        self.dirty_dirs: dict[int, dict[str, Entry]] = {}

    def listing(self, directory: str) -> dict[str, Entry]:
        entries: dict[str, Entry] = {}
        is_root = os.path.samefile(directory, self.root)
        with os.scandir(directory) as it:
            for entry in it:
                if is_root and entry.name == STATE_NAME:
                    continue
                st = entry.stat(follow_symlinks=False)
                target = None
                if stat.S_ISDIR(st.st_mode):
                    kind = "d"
                elif stat.S_ISREG(st.st_mode):
                    kind = "f"
                elif stat.S_ISLNK(st.st_mode):
                    kind, target = "l", os.readlink(entry.path)
                else:
                    kind = "o"
                entries[entry.name] = (kind, st.st_ino, target, stat.S_IMODE(st.st_mode))
        return entries

    def before_data_change(self, ino: int, readable: str) -> None:
        if ino in self.dirty_files:
            return
        blob = os.path.join(self.undo, str(ino))
        shutil.copyfile(readable, blob)
        self.dirty_files[ino] = blob

    def new_file(self, ino: int) -> None:
        self.dirty_files.setdefault(ino, None)

    def synced_file(self, ino: int) -> None:
        blob = self.dirty_files.pop(ino, None)
        if blob:
            os.unlink(blob)

    def before_dir_change(self, directory: str) -> None:
        ino = os.lstat(directory).st_ino
        if ino not in self.dirty_dirs:
            self.dirty_dirs[ino] = self.listing(directory)

    def new_dir(self, ino: int) -> None:
        self.dirty_dirs.setdefault(ino, {})

    def synced_dir(self, directory: str) -> None:
        self.dirty_dirs.pop(os.lstat(directory).st_ino, None)

    def bury(self, real: str) -> None:
        """Keep the inode behind ``real`` alive before its name goes away."""
        st = os.lstat(real)
        if stat.S_ISDIR(st.st_mode):
            self.before_dir_change(real)
            os.rename(real, os.path.join(self.grave, f"d{st.st_ino}"))
            return
        keep = os.path.join(self.grave, str(st.st_ino))
        if not os.path.lexists(keep):
            os.link(real, keep, follow_symlinks=False)

    def unsynced(self) -> dict[str, int]:
        return {"files": len(self.dirty_files), "dirs": len(self.dirty_dirs)}

    def power_cut(self) -> dict[str, int]:
        """Replace the backing tree by its durable state; returns counts of what was done."""
        live: dict[int, str] = {}  # inode -> a path to it, names in the tree first
        for top in (self.root, self.grave):
            for dirpath, dirnames, filenames in os.walk(top):
                if dirpath == self.root:
                    dirnames[:] = [d for d in dirnames if d != STATE_NAME]
                for name in dirnames + filenames:
                    path = os.path.join(dirpath, name)
                    live.setdefault(os.lstat(path).st_ino, path)
        staging = os.path.join(self.state, "staging")
        trash = os.path.join(self.state, "trash")
        os.mkdir(staging)
        os.mkdir(trash)
        counts = {"restored_files": 0, "linked_files": 0, "dirs": 0, "lost": 0}
        restored: dict[int, str] = {}
        self._build(self.root_ino, staging, live, restored, counts, set())
        for name in os.listdir(self.root):
            if name != STATE_NAME:
                os.rename(os.path.join(self.root, name), os.path.join(trash, name))
        for name in os.listdir(staging):
            os.rename(os.path.join(staging, name), os.path.join(self.root, name))
        shutil.rmtree(self.state, ignore_errors=True)
        os.makedirs(self.undo)
        os.makedirs(self.grave)
        self.dirty_files.clear()
        self.dirty_dirs.clear()
        return counts

    def _build(
        self,
        dir_ino: int,
        dst: str,
        live: dict[int, str],
        restored: dict[int, str],
        counts: dict[str, int],
        seen: set[int],
    ) -> None:
        if dir_ino in seen:  # entries durable at different times can form a cycle
            return
        seen.add(dir_ino)
        listing = self.dirty_dirs.get(dir_ino)
        if listing is None:
            if dir_ino == self.root_ino:
                listing = self.listing(self.root)
            elif dir_ino in live:
                listing = self.listing(live[dir_ino])
            else:
                listing = {}
        for name, (kind, ino, target, mode) in sorted(listing.items()):
            path = os.path.join(dst, name)
            if kind == "d":
                os.mkdir(path)
                os.chmod(path, mode)
                counts["dirs"] += 1
                self._build(ino, path, live, restored, counts, seen)
            elif kind == "l" and target is not None:
                os.symlink(target, path)
            elif kind == "f" and ino in restored:
                os.link(restored[ino], path)
            elif kind == "f" and ino in self.dirty_files:
                blob = self.dirty_files[ino]
                if blob:
                    shutil.copyfile(blob, path)
                else:
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
                os.chmod(path, mode)
                restored[ino] = path
                counts["restored_files"] += 1
            elif kind == "f" and ino in live:
                os.link(live[ino], path)
                restored[ino] = path
                counts["linked_files"] += 1
            else:
                counts["lost"] += 1


class FaultyOps(mfusepy.Operations):
    """The filesystem operations: pass-through to the backing directory, plus faults."""

    use_ns = True
    #: answer each file's ctime as its mtime (``--ctime-is-mtime``)
    ctime_is_mtime = False

    def __init__(self, backing: str, *, direct_io: bool, rename_flags: str) -> None:
        self.root = os.path.realpath(backing)
        self.direct_io = direct_io
        self.rename_flags = rename_flags
        self.durability = Durability(self.root)
        self.handles: dict[int, Handle] = {}
        self._handles_lock = threading.Lock()
        self._next_dir = 0  # the last folder handle given (opendir)
        # What each open folder's listing read at its first call (readdir_with_offset).
        self._listings: dict[int, list[tuple[str, dict[str, int], int]]] = {}
        self.rules: dict[str, Rule] = {}
        self.op_counts: dict[str, int] = {}
        self.oplog: list[tuple[int, str, str, str]] = []
        self.oplog_dropped = 0
        self.seq = 0
        self.unplugged = False
        self.dead = False
        self.conn_info: dict[str, int] = {}
        self._rules_lock = threading.Lock()
        self._fs_lock = threading.RLock()
        # Operations inside _backing(), and the condition power_cut/unplug wait on for none.
        self._in_flight = 0
        self._idle = threading.Condition(self._fs_lock)
        self.on_init: list[Any] = []

    # -- plumbing -------------------------------------------------------------------------

    def init_with_config(self, conn_info: Any, config_3: Any) -> None:
        if config_3 is not None:
            # Every lookup and stat reaches the daemon, so path rules, unplug and kill are
            # seen at once; a cached attribute would hide them.
            config_3.entry_timeout = 0.0
            config_3.negative_timeout = 0.0
            config_3.attr_timeout = 0.0
            config_3.hard_remove = 1  # no .fuse_hidden files for unlinked open files
            config_3.use_ino = 1
            # Like a local disk: the page cache survives close/open, so only a read that
            # bypasses it (O_DIRECT, or fsync + POSIX_FADV_DONTNEED) sees what was stored.
            config_3.kernel_cache = 0 if self.direct_io else 1
            config_3.auto_cache = 0
            config_3.direct_io = 1 if self.direct_io else 0
        if conn_info is not None:
            # A changed mtime must not drop the page cache (it would reveal a flipped byte to a
            # plain read), and writes go straight to the daemon (no writeback cache).
            # libfuse < 3.16 answers READDIRPLUS with no entries when the filler gets offset 0
            # (libfuse PR 896), which mfusepy passes: ask the kernel for plain READDIR.
            conn_info.want &= ~(
                FUSE_CAP_AUTO_INVAL_DATA
                | FUSE_CAP_WRITEBACK_CACHE
                | FUSE_CAP_READDIRPLUS
                | FUSE_CAP_READDIRPLUS_AUTO
            )
            self.conn_info = {
                "capable": int(conn_info.capable),
                "want": int(conn_info.want),
                "max_write": int(conn_info.max_write),
                "max_read": int(conn_info.max_read),
                "max_readahead": int(conn_info.max_readahead),
            }
        for callback in self.on_init:
            callback()

    def _real(self, path: str | None) -> str:
        if path is None:
            raise _fail(errno.EBADF)
        rel = path.lstrip("/")
        if rel == STATE_NAME or rel.startswith(STATE_NAME + "/"):
            raise _fail(errno.ENOENT)
        return os.path.join(self.root, rel) if rel else self.root

    @staticmethod
    def _rel(path: str | None) -> str:
        return "" if path is None else path.lstrip("/")

    def _handle(self, fh: int) -> Handle:
        # The fd stays open for the whole request: only release() closes it, and the kernel
        # sends RELEASE for a handle after every other request on it has been answered.
        handle = self._find_handle(fh)
        if handle is None:
            raise _fail(errno.EBADF)
        return handle

    def _find_handle(self, fh: int | None) -> Handle | None:
        if fh is None:
            return None
        with self._handles_lock:
            return self.handles.get(fh)

    def _add_handle(self, fd: int, rel: str, ino: int) -> None:
        with self._handles_lock:
            self.handles[fd] = Handle(fd, rel, ino)

    @contextlib.contextmanager
    def _backing(self) -> Iterator[None]:
        """Admit one request to the backing tree and its fds, or fail it with EIO.

        Why: the fault switches used to act while requests that ``_gate`` had let through were
        still running in other FUSE threads. ``power_cut`` closed every handle's fd under them,
        and ``release`` (with no lock) closed its own: when both closed one fd, power_cut failed
        with EBADF (the intermittent "faultyfs refused power_cut" of a test_matrix test); in the
        other order the second close, or a late pwrite, hit whatever file had reused the fd
        number meanwhile (power_cut's own scandir or copies, another open). And a rename or
        write already past the gate could change the tree power_cut had just rebuilt.

        Now a switch sets its flag under ``_fs_lock``, so no request is admitted after it, and
        waits until the admitted ones are done (``_wait_idle``): each request either completes
        before the cut or unplug or fails with EIO, and fds are closed only by ``release``.
        The stall in ``_gate`` stays outside: a stalled request must not hold up a switch.
        """
        with self._fs_lock:
            if self.dead or self.unplugged:
                raise _fail(errno.EIO)
            self._in_flight += 1
        try:
            yield
        finally:
            with self._fs_lock:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self._idle.notify_all()

    def _wait_idle(self) -> None:
        """Wait (holding ``_fs_lock``) until no request is inside ``_backing()``."""
        if not self._idle.wait_for(lambda: self._in_flight == 0, timeout=DRAIN_TIMEOUT_S):
            raise TimeoutError(
                f"{self._in_flight} operations on the backing tree still running "
                f"after {DRAIN_TIMEOUT_S} s"
            )

    def _gate(
        self, op: str, paths: tuple[str, ...], offset: int = 0, size: int = 0, note: str = ""
    ) -> Effects:
        """Count and log ``op``, then apply the rules that match it.

        Blocks while a stall rule holds the call; raises FuseOSError for an injected error, for
        an unplugged device and after a power cut. Returns the data effects of the rules.
        """
        effects = Effects()
        stalls: list[Rule] = []
        error: int | None = None
        with self._rules_lock:
            self.op_counts[op] = self.op_counts.get(op, 0) + 1
            if op not in QUIET_OPS:
                self.seq += 1
                self.oplog.append((self.seq, op, " -> ".join(paths), note))
                if len(self.oplog) > OPLOG_LIMIT:
                    del self.oplog[: len(self.oplog) - OPLOG_LIMIT]
                    self.oplog_dropped += 1
            if self.dead or self.unplugged:
                raise _fail(errno.EIO)
            for rule in self.rules.values():
                if not rule.matches(op, paths, offset, size):
                    continue
                if (
                    rule.action == "error"
                    and op == "write"
                    and rule.offset is not None
                    and offset < rule.offset
                    and rule.armed_for_next_call()
                ):
                    # Store the bytes before the bad offset; the caller's retry starts at it.
                    prefix = rule.offset - offset
                    effects.limit = prefix if effects.limit is None else min(effects.limit, prefix)
                    continue
                rule.calls += 1
                if rule.calls < rule.nth or (rule.times is not None and rule.fired >= rule.times):
                    continue
                rule.fired += 1
                if rule.action == "stall":
                    stalls.append(rule)
                    rule.waiting += 1
                    if rule.errno:
                        error = error or rule.errno
                elif rule.action == "error":
                    error = error or rule.errno
                elif rule.action == "short":
                    # 0: the write stores nothing and answers 0, no error (a daemon that
                    # lies about room); write(2) then returns 0, which a writer must not
                    # ask again for ever (``offload.fs.whole``).
                    want = size // 2 if rule.short_bytes is None else rule.short_bytes
                    want = max(0 if rule.short_bytes == 0 else 1, min(want, size))
                    effects.limit = want if effects.limit is None else min(effects.limit, want)
                elif rule.action == "flip":
                    assert rule.offset is not None
                    effects.flips.append(rule.offset - offset)
                    effects.masks.append(rule.mask)
                elif rule.action == "lie":
                    assert rule.offset is not None
                    start = max(0, rule.offset - offset)
                    effects.lie_from = (
                        start if effects.lie_from is None else min(effects.lie_from, start)
                    )
                    effects.lie_mode = rule.lie_mode
        for rule in stalls:
            try:
                rule.released.wait(MAX_STALL_S if rule.stall_s is None else rule.stall_s)
            finally:
                with self._rules_lock:
                    rule.waiting -= 1
        if stalls and (self.dead or self.unplugged):
            raise _fail(errno.EIO)
        if error:
            raise _fail(error)
        return effects

    def _mark_data_change(self, handle: Handle | None, real: str | None) -> None:
        with self._fs_lock:
            if self.dead:
                raise _fail(errno.EIO)
            if handle is not None:
                self.durability.before_data_change(handle.ino, f"/proc/self/fd/{handle.fd}")
            elif real is not None:
                self.durability.before_data_change(os.lstat(real).st_ino, real)

    def _chown_to_caller(self, real: str) -> None:
        uid, gid, _pid = mfusepy.fuse_get_context()
        if (uid, gid) != (os.geteuid(), os.getegid()):
            os.lchown(real, uid, gid)

    # -- control --------------------------------------------------------------------------

    def control(self, request: dict[str, Any]) -> dict[str, Any]:
        cmd = request.get("cmd")
        if cmd == "ping":
            return {"pid": os.getpid(), "conn": self.conn_info}
        if cmd == "add":
            rule = Rule.from_request(request["rule"])
            with self._rules_lock:
                if rule.rule_id in self.rules:
                    raise ValueError(f"rule {rule.rule_id!r} exists")
                self.rules[rule.rule_id] = rule
            return {"id": rule.rule_id}
        if cmd == "remove":
            with self._rules_lock:
                rule = self.rules.pop(request["id"])
            rule.released.set()
            return {"fired": rule.fired}
        if cmd == "clear":
            with self._rules_lock:
                rules = list(self.rules.values())
                self.rules.clear()
            for rule in rules:
                rule.released.set()
            return {}
        if cmd == "release":
            with self._rules_lock:
                targets = (
                    list(self.rules.values())
                    if request.get("id") is None
                    else [self.rules[request["id"]]]
                )
            for rule in targets:
                rule.released.set()
            return {}
        if cmd == "stats":
            with self._rules_lock:
                rules = {
                    r.rule_id: {"fired": r.fired, "calls": r.calls, "waiting": r.waiting}
                    for r in self.rules.values()
                }
                ops = dict(self.op_counts)
            with self._fs_lock:
                unsynced = self.durability.unsynced()
            return {
                "rules": rules,
                "ops": ops,
                "unplugged": self.unplugged,
                "unsynced": unsynced,
            }
        if cmd == "oplog":
            with self._rules_lock:
                log = list(self.oplog)
                dropped = self.oplog_dropped
                if request.get("clear"):
                    self.oplog.clear()
                    self.oplog_dropped = 0
            return {"log": log, "dropped": dropped}
        if cmd == "unplug":
            # Once unplug() returns, no request touches the backing tree any more: those
            # admitted before it finish first (see _backing).
            with self._fs_lock:
                self.unplugged = True
                self._wait_idle()
            return {}
        if cmd == "replug":
            with self._fs_lock:
                self.unplugged = False
            return {}
        if cmd == "power_cut":
            with self._fs_lock:
                self.dead = True  # _backing() admits nothing from here on
                with self._rules_lock:
                    rules = list(self.rules.values())
                for rule in rules:
                    rule.released.set()  # stalled requests wake up and fail with EIO
                # Wait for the requests in flight (a write, fsync, rename, ...) instead of
                # closing their fds under them; wait_for releases _fs_lock meanwhile, so the
                # journal changes they still make are whole when the rebuild reads it. The
                # handles stay open until their release (or until remount kills the daemon):
                # every later request on them fails with EIO.
                self._wait_idle()
                return self.durability.power_cut()
        raise ValueError(f"unknown command {cmd!r}")

    # -- metadata -------------------------------------------------------------------------

    def getattr(self, path: str | None, fh: int | None = None) -> dict[str, Any]:
        self._gate("getattr", (self._rel(path),))
        with self._backing():
            if path is None and fh is not None:
                st = os.fstat(self._handle(fh).fd)
            else:
                st = os.lstat(self._real(path))
        return {
            "st_mode": st.st_mode,
            "st_ino": st.st_ino,
            "st_nlink": st.st_nlink,
            "st_uid": st.st_uid,
            "st_gid": st.st_gid,
            "st_rdev": st.st_rdev,
            "st_size": st.st_size,
            "st_blocks": st.st_blocks,
            "st_blksize": st.st_blksize,
            "st_atime": st.st_atime_ns,
            "st_mtime": st.st_mtime_ns,
            "st_ctime": st.st_mtime_ns if self.ctime_is_mtime else st.st_ctime_ns,
        }

    def readlink(self, path: str) -> str:
        self._gate("readlink", (self._rel(path),))
        with self._backing():
            return os.readlink(self._real(path))

    def statfs(self, path: str) -> dict[str, int]:
        self._gate("statfs", (self._rel(path),))
        with self._backing():
            sv = os.statvfs(self.root)
            keys = (
                "f_bsize", "f_frsize", "f_blocks", "f_bfree", "f_bavail",
                "f_files", "f_ffree", "f_favail", "f_namemax",
            )  # fmt: skip
            return {key: getattr(sv, key) for key in keys}

    def chmod(self, path: str | None, mode: int) -> int:
        self._gate("chmod", (self._rel(path),))
        with self._backing():
            os.chmod(self._real(path), stat.S_IMODE(mode))
            return 0

    def chown(self, path: str | None, uid: int, gid: int) -> int:
        self._gate("chown", (self._rel(path),))
        with self._backing():
            os.lchown(self._real(path), uid, gid)
            return 0

    def utimens_raw(
        self, path: str | None, times: tuple[tuple[int, int], tuple[int, int]] | None, fh: Any
    ) -> int:
        self._gate("utimens", (self._rel(path),))
        with self._backing():
            ts = None
            if times is not None:
                ts = (_Timespec * 2)(_Timespec(*times[0]), _Timespec(*times[1]))
            if path is None and fh is not None:
                _check_libc(_libc.futimens(self._handle(fh).fd, ts))
            else:
                real = os.fsencode(self._real(path))
                _check_libc(_libc.utimensat(AT_FDCWD, real, ts, AT_SYMLINK_NOFOLLOW))
            return 0

    def utimens(self, path: str | None, times: tuple[int, int] | None = None) -> int:
        # Registers the callback; FaultyFUSE.utimens_fuse_3 calls utimens_raw instead, which
        # keeps UTIME_NOW/UTIME_OMIT (mfusepy would turn them into nanosecond counts).
        raise _fail(errno.ENOSYS)

    def truncate(self, path: str | None, length: int, fh: int | None = None) -> int:
        self._gate("truncate", (self._rel(path),), note=str(length))
        with self._backing():
            handle = self._find_handle(fh)
            real = None if handle is not None else self._real(path)
            self._mark_data_change(handle, real)
            if handle is not None:
                os.ftruncate(handle.fd, length)
            else:
                assert real is not None
                os.truncate(real, length)
            return 0

    # -- namespace ------------------------------------------------------------------------

    def mkdir(self, path: str, mode: int) -> int:
        self._gate("mkdir", (self._rel(path),))
        with self._backing():
            real = self._real(path)
            with self._fs_lock:
                self.durability.before_dir_change(os.path.dirname(real))
                os.mkdir(real, mode)
                self.durability.new_dir(os.lstat(real).st_ino)
            self._chown_to_caller(real)
            return 0

    def rmdir(self, path: str) -> int:
        self._gate("rmdir", (self._rel(path),))
        with self._backing():
            real = self._real(path)
            with self._fs_lock:
                if not stat.S_ISDIR(os.lstat(real).st_mode):
                    raise _fail(errno.ENOTDIR)
                if os.listdir(real):
                    raise _fail(errno.ENOTEMPTY)
                self.durability.before_dir_change(os.path.dirname(real))
                self.durability.bury(real)  # moves the empty directory under grave/
            return 0

    def unlink(self, path: str) -> int:
        self._gate("unlink", (self._rel(path),))
        with self._backing():
            real = self._real(path)
            with self._fs_lock:
                if stat.S_ISDIR(os.lstat(real).st_mode):
                    raise _fail(errno.EISDIR)
                self.durability.before_dir_change(os.path.dirname(real))
                self.durability.bury(real)
                os.unlink(real)
            return 0

    def symlink(self, target: str, source: str) -> int:
        self._gate("symlink", (self._rel(target),), note=source)
        with self._backing():
            real = self._real(target)
            with self._fs_lock:
                self.durability.before_dir_change(os.path.dirname(real))
                os.symlink(source, real)
            self._chown_to_caller(real)
            return 0

    def link(self, target: str, source: str) -> int:
        self._gate("link", (self._rel(source), self._rel(target)))
        with self._backing():
            real_new = self._real(target)
            with self._fs_lock:
                self.durability.before_dir_change(os.path.dirname(real_new))
                os.link(self._real(source), real_new, follow_symlinks=False)
            return 0

    def rename(self, old: str, new: str, flags: int = 0) -> int:
        self._gate("rename", (self._rel(old), self._rel(new)), note=f"flags={flags}")
        with self._backing():
            if flags & ~RENAME_NOREPLACE or (flags and self.rename_flags == "none"):
                raise _fail(errno.EINVAL)  # like many FUSE filesystems: no RENAME_EXCHANGE etc.
            real_old, real_new = self._real(old), self._real(new)
            with self._fs_lock:
                self.durability.before_dir_change(os.path.dirname(real_old))
                self.durability.before_dir_change(os.path.dirname(real_new))
                if not flags & RENAME_NOREPLACE:
                    try:
                        st = os.lstat(real_new)
                    except FileNotFoundError:
                        pass
                    else:
                        if os.path.samestat(st, os.lstat(real_old)):
                            return 0
                        if stat.S_ISDIR(st.st_mode):
                            self.durability.before_dir_change(real_new)
                        else:
                            self.durability.bury(real_new)
                _check_libc(
                    _libc.renameat2(
                        AT_FDCWD, os.fsencode(real_old), AT_FDCWD, os.fsencode(real_new), flags
                    )
                )
            return 0

    # -- files ----------------------------------------------------------------------------

    @staticmethod
    def _backing_flags(flags: int) -> int:
        # The kernel already applied O_APPEND to the offsets it sends, so the backing fd must
        # not append again; O_DIRECT/O_SYNC would only slow the daemon down.
        return (flags & os.O_ACCMODE) | os.O_CLOEXEC | os.O_NOFOLLOW

    def open(self, path: str, flags: int) -> int:
        self._gate("open", (self._rel(path),), note=oct(flags))
        with self._backing():
            real = self._real(path)
            if flags & os.O_TRUNC:
                self._mark_data_change(None, real)
            fd = os.open(real, self._backing_flags(flags) | (flags & os.O_TRUNC))
            self._add_handle(fd, self._rel(path), os.fstat(fd).st_ino)
            return fd

    def create(self, path: str, mode: int, flags: int) -> int:
        self._gate("create", (self._rel(path),), note=oct(flags))
        with self._backing():
            real = self._real(path)
            with self._fs_lock:
                if self.dead:
                    raise _fail(errno.EIO)
                existed = os.path.lexists(real)
                if existed and flags & os.O_EXCL:
                    raise _fail(errno.EEXIST)
                if existed and flags & os.O_TRUNC:
                    self._mark_data_change(None, real)
                if not existed:
                    self.durability.before_dir_change(os.path.dirname(real))
                extra = os.O_CREAT | (flags & (os.O_EXCL | os.O_TRUNC))
                fd = os.open(real, self._backing_flags(flags) | extra, mode)
                ino = os.fstat(fd).st_ino
                if not existed:
                    self.durability.new_file(ino)
                self._add_handle(fd, self._rel(path), ino)
            if not existed:
                self._chown_to_caller(real)
            return fd

    def read(self, path: str | None, size: int, offset: int, fh: int) -> bytes:
        handle = self._handle(fh)
        rel = handle.path if path is None else self._rel(path)
        effects = self._gate("read", (rel,), offset, size, note=f"{offset}+{size}")
        with self._backing():
            data = os.pread(handle.fd, size, offset)
            if effects.flips:
                buf = bytearray(data)
                for at, mask in zip(effects.flips, effects.masks, strict=True):
                    if at < len(buf):
                        buf[at] ^= mask
                data = bytes(buf)
            return data

    def write(self, path: str | None, data: bytes, offset: int, fh: int) -> int:
        handle = self._handle(fh)
        rel = handle.path if path is None else self._rel(path)
        size = len(data)
        effects = self._gate("write", (rel,), offset, size, note=f"{offset}+{size}")
        if effects.limit is not None:
            data = data[: effects.limit]
        stored = data
        if effects.flips:
            buf = bytearray(stored)
            for at, mask in zip(effects.flips, effects.masks, strict=True):
                if at < len(buf):
                    buf[at] ^= mask
            stored = bytes(buf)
        if effects.lie_from is not None and effects.lie_from < len(stored):
            if effects.lie_mode == "zeros":
                cut = effects.lie_from
                stored = stored[:cut] + bytes(len(stored) - cut)
            else:
                stored = stored[: effects.lie_from]
        with self._backing():
            self._mark_data_change(handle, None)
            done = 0
            while done < len(stored):
                done += os.pwrite(handle.fd, stored[done:], offset + done)
        return len(data)

    def flush(self, path: str | None, fh: int) -> int:
        handle = self._handle(fh)
        self._gate("flush", (handle.path if path is None else self._rel(path),))
        return 0

    def release(self, path: str | None, fh: int) -> int:
        # Not gated: the fd is closed even after a power cut or unplug (nothing else closes
        # it), and whoever pops the handle from the table is the only one to close its fd.
        with self._handles_lock:
            handle = self.handles.pop(fh, None)
        with self._rules_lock:
            self.op_counts["release"] = self.op_counts.get("release", 0) + 1
        if handle is not None:
            os.close(handle.fd)
        return 0

    def fsync(self, path: str | None, datasync: int, fh: int) -> int:
        handle = self._handle(fh)
        rel = handle.path if path is None else self._rel(path)
        self._gate("fsync", (rel,), note="datasync" if datasync else "")
        with self._backing():
            with self._fs_lock:
                if self.dead:
                    raise _fail(errno.EIO)
                self.durability.synced_file(handle.ino)
            return 0

    # -- directories ----------------------------------------------------------------------

    def opendir(self, path: str) -> int:
        self._gate("opendir", (self._rel(path),))
        with self._backing():
            if not os.path.isdir(self._real(path)):
                raise _fail(errno.ENOTDIR)
        with self._handles_lock:
            self._next_dir += 1  # each listing its own handle: its entries kept for it
            return self._next_dir

    def readdir_with_offset(
        self, path: str, offset: int, fh: int
    ) -> list[tuple[str, dict[str, int], int]]:
        """The folder's entries from the *offset*-th on, each with its offset (its index + 1)
        so that the kernel asks again for the rest once its buffer is full: a long listing is
        several FUSE_READDIR calls, each gated, so a rule with ``nth`` fails one partway
        through (a folder whose later blocks cannot be read), not only the first. The folder
        is read at a listing's first call and its later batches come from that read (kept
        by its handle until ``releasedir``)."""
        self._gate("readdir", (self._rel(path),))
        with self._handles_lock:
            listed = self._listings.get(fh) if offset else None
        if listed is not None:  # a listing's next batch: from what its first call read
            return [entry for entry in listed if entry[2] > offset]
        with self._backing():
            real = self._real(path)
            # With use_ino every entry needs its inode number: glibc's readdir skips d_ino == 0.
            here = os.lstat(real)
            entries = [(".", here), ("..", here)]
            with os.scandir(real) as it:
                for entry in it:
                    if real == self.root and entry.name == STATE_NAME:
                        continue
                    entries.append((entry.name, entry.stat(follow_symlinks=False)))
            entries.sort(key=lambda pair: pair[0])  # one order from call to call
            listed = [
                (name, {"st_ino": st.st_ino, "st_mode": st.st_mode}, index + 1)
                for index, (name, st) in enumerate(entries)
            ]
        with self._handles_lock:
            self._listings[fh] = listed
        return [entry for entry in listed if entry[2] > offset]

    def releasedir(self, path: str, fh: int) -> int:
        with self._handles_lock:
            self._listings.pop(fh, None)
        return 0

    def fsyncdir(self, path: str, datasync: int, fh: int) -> int:
        self._gate("fsyncdir", (self._rel(path),))
        with self._backing():
            with self._fs_lock:
                if self.dead:
                    raise _fail(errno.EIO)
                self.durability.synced_dir(self._real(path))
            return 0

    def destroy(self, path: str) -> None:
        with self._handles_lock:
            handles = list(self.handles.values())
            self.handles.clear()
        for handle in handles:
            os.close(handle.fd)


class FaultyFUSE(mfusepy.FUSE):
    """mfusepy.FUSE with the libfuse 3 arguments that mfusepy 3.1 drops passed on."""

    def rename_fuse_3(self, old: bytes, new: bytes, flags: int) -> int:
        return self.operations.rename(
            old.decode(self.encoding, self.errors), new.decode(self.encoding, self.errors), flags
        )

    def truncate_fuse_3(self, path: bytes | None, length: int, fip: Any) -> int:
        fh = fip.contents.fh if fip else None
        decoded = None if path is None else path.decode(self.encoding, self.errors)
        return self.operations.truncate(decoded, length, fh)

    def utimens_fuse_3(self, path: bytes | None, buf: Any, fip: Any) -> int:
        fh = fip.contents.fh if fip else None
        times = None
        if buf:
            at, mt = buf.contents.actime, buf.contents.modtime
            times = ((at.tv_sec, at.tv_nsec), (mt.tv_sec, mt.tv_nsec))
        decoded = None if path is None else path.decode(self.encoding, self.errors)
        return self.operations.utimens_raw(decoded, times, fh)


class ControlServer:
    """Answers JSON requests on an abstract unix socket, one thread per connection."""

    def __init__(self, name: str, ops: FaultyOps) -> None:
        self.ops = ops
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind("\0" + name)
        self.sock.listen(16)

    def start(self) -> None:
        threading.Thread(target=self._serve, name="faultyfs-control", daemon=True).start()

    def _serve(self) -> None:
        while True:
            conn, _addr = self.sock.accept()
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            try:
                reply = {"ok": True, **self.ops.control(json.loads(data))}
            except Exception as exc:  # every failure goes back to the test as its message
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            conn.sendall(json.dumps(reply).encode() + b"\n")


PARENT_GONE_EXIT = 3
"""Exit status when the process that started the daemon died (``_watch_parent``)."""

_PARENT_GONE = threading.Event()
"""Set by ``_watch_parent`` before it unmounts: the FUSE loop that unmount ends in the main
thread then exits ``PARENT_GONE_EXIT`` too, whichever thread's exit comes first (before,
the main thread's ``return 0`` could win the race, and the harness said "unmounted")."""

SIGNALLED_PREFIX = "faultyfs: signalled: "
"""Start of the line logged for a SIGINT, SIGTERM or SIGHUP, naming the process that sent it."""

STRAY_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
"""The signals libfuse's own handlers ended the FUSE loop on (``fuse_set_signal_handlers``),
which the daemon now logs and ignores (``_log_stray_signals``)."""


def _watch_parent(parent_pid: int, mountpoint: str) -> None:
    """Detach the mount and exit if the test process dies, so no mount outlives it."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            print(f"faultyfs: the test process {parent_pid} is gone: exiting", file=sys.stderr)
            sys.stderr.flush()
            _PARENT_GONE.set()  # before the unmount, which ends the FUSE loop in main
            _libc.umount2(os.fsencode(mountpoint), 2)  # MNT_DETACH
            os._exit(PARENT_GONE_EXIT)


def _sender(pid: int) -> str:
    """*pid* and its command line, as far as /proc still tells them."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return f"pid {pid} (gone)"
    return f"pid {pid} ({' '.join(a.decode(errors='replace') for a in argv if a)[:300]})"


def _log_stray_signals() -> None:
    """Take SIGINT, SIGTERM and SIGHUP (blocked in every thread, ``main``) and log each with
    its sender, the daemon going on. Nothing of the harness ends a daemon so: ``close``
    unmounts it (its FUSE loop then returns), ``kill``, its watchdog and its last resort
    SIGKILL it, ``_watch_parent`` exits. One of these signals is a stray: another test's
    signal to a pid since reused by this daemon (pids wrap at 32,768 over a full suite's
    thousands of processes), or a person's; libfuse's handlers ended the loop on it, and the
    test then failed on "Connection refused" mid-test with nothing to say who."""
    while True:
        info = signal.sigwaitinfo(STRAY_SIGNALS)
        name = signal.Signals(info.si_signo).name
        print(
            f"{SIGNALLED_PREFIX}{name} from {_sender(info.si_pid)}: ignored (the harness "
            "unmounts or SIGKILLs its daemons)",
            file=sys.stderr,
            flush=True,
        )


FINAL_STATS_PREFIX = "faultyfs-final-stats: "
"""Line the watchdog prints (with the stats as JSON) just before it kills the daemon."""


def _watchdog(seconds: float, ops: FaultyOps) -> None:
    """SIGKILL this daemon after ``seconds``: calls blocked on the mount get ECONNABORTED.

    A test blocked in a syscall on a stalled mount cannot be interrupted by pytest-timeout
    (FUSE waits for the daemon's answer); killing the daemon ends the call, so the test fails
    with a traceback instead of hanging.
    """
    time.sleep(seconds)
    try:
        stats = ops.control({"cmd": "stats"})
    except Exception:  # the daemon dies below whatever state it is in
        stats = {}
    print(f"faultyfs: watchdog fired after {seconds} s", file=sys.stderr)
    print(FINAL_STATS_PREFIX + json.dumps(stats), file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


class NoFlockOps(FaultyOps):
    """A filesystem whose ``flock`` fails ENOLCK (NFSv3 without lockd): implementing the
    operation makes the kernel send flocks here instead of taking them locally."""

    def flock(self, path: str, fh: int, op: int) -> int:
        raise _fail(errno.ENOLCK)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backing")
    parser.add_argument("mountpoint")
    parser.add_argument("--control", required=True, help="abstract unix socket name")
    parser.add_argument("--parent-pid", type=int, default=None)
    parser.add_argument("--direct-io", action="store_true")
    parser.add_argument("--rename-flags", choices=("noreplace", "none"), default="noreplace")
    parser.add_argument("--watchdog-s", type=float, default=None)
    parser.add_argument("--no-flock", action="store_true")
    parser.add_argument("--ctime-is-mtime", action="store_true")
    parser.add_argument("--subtype", default="faultyfs")
    args = parser.parse_args(argv)
    if mfusepy.fuse_version_major != 3:
        print("faultyfs: needs libfuse 3 (Debian package fuse3)", file=sys.stderr)
        return 2
    os.umask(0)  # the kernel already applied the caller's umask to the modes it sends
    # Blocked before any thread starts, so every thread (libfuse's too) inherits the mask and
    # only _log_stray_signals takes them, with their sender (a handler is not told it).
    signal.pthread_sigmask(signal.SIG_BLOCK, STRAY_SIGNALS)
    threading.Thread(target=_log_stray_signals, name="faultyfs-signals", daemon=True).start()
    kind = NoFlockOps if args.no_flock else FaultyOps
    ops = kind(args.backing, direct_io=args.direct_io, rename_flags=args.rename_flags)
    ops.ctime_is_mtime = args.ctime_is_mtime
    server = ControlServer(args.control, ops)
    ops.on_init.append(server.start)  # answering pings means the mount is live
    if args.watchdog_s is not None:
        threading.Thread(target=_watchdog, args=(args.watchdog_s, ops), daemon=True).start()
    if args.parent_pid is not None:
        threading.Thread(
            target=_watch_parent, args=(args.parent_pid, args.mountpoint), daemon=True
        ).start()
    try:
        FaultyFUSE(
            ops,
            args.mountpoint,
            foreground=True,
            fsname="faultyfs",
            subtype=args.subtype,
        )
    except BaseException:
        # The test prints this log when the daemon is gone (faultyfs.FaultyFSGone).
        print("faultyfs: the FUSE loop failed:", file=sys.stderr)
        traceback.print_exc()
        sys.stderr.flush()
        raise
    if _PARENT_GONE.is_set():  # _watch_parent's unmount ended it: its exit status
        return PARENT_GONE_EXIT
    print("faultyfs: the FUSE loop ended (the mount is gone)", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
