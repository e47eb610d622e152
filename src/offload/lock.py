"""One offload at a time per copy root: an exclusive ``flock`` on ``<copy root>/.offload/lock``.

Two runs writing into the same copy root (the same card started twice, from two terminals)
remove each other's partials as strays and race on the ledger. ``lock_copy_roots`` makes the
second one stop before its first byte.

Contract:

* ``lock_copy_roots(roots)`` takes, without waiting, an exclusive ``flock`` on an open
  descriptor of ``<root>/.offload/lock`` for every copy root, and returns a ``CopyRootLocks``
  that holds them until ``release()`` (or the end of its ``with`` block). If another open
  file description holds one (another run, in this process or another), every lock taken so
  far is released and ``CopyRootBusy`` (a UsageError: exit 64) is raised, with a one-line
  message naming the holder: pid, host, start time and command line, from the lock file's
  JSON body.
* The lock is the ``flock``, never the file's existence: the kernel releases it when the
  holder's descriptor is closed, including when the process crashes or is SIGKILLed, so a
  dead run never leaves a copy root locked (nor refused by its body left behind, below).
  The file stays (it is never unlinked: unlinking a lock file lets two runs lock two
  different inodes); its body only describes the holder, is written once the lock is taken
  and emptied on release.
* Copy roots are independent: offloads into different copy roots of one drive run side by
  side. The same root named twice is locked once.
* It creates the copy root and its ``.offload`` folder when missing (and fsyncs the new
  folders, as the ledger would have: its first entry relies on a durable folder). Call it
  only once the preflight has passed: it writes on the destinations.
* Advisory: only offload-ai takes it. A destination that cannot be locked (a filesystem
  without ``flock``, a read-only or failing drive) is not a reason to refuse the others:
  it is left unlocked and ``warnings`` says why (a drive that cannot be written fails in the
  copy anyway). ``flock`` on NFS is a POSIX lock the server sees; on SMB it may be local only.
* A lock reached through another mount of the same folder (two sshfs mounts of one share,
  two computers' mounts of it) is another lock: both runs take it. Once taken, the body
  already there is read: one naming a process of this machine proven to be the one that
  wrote it (``body_alive``: its pid runs with the start time the body records; it locked
  the folder through another path and never cleared the body) refuses the copy root as
  busy. One naming a process whose end is not proven (``body_gone``) but that is not proven
  to run either (another computer's, container's or boot's, which cannot be asked; or a pid
  of this machine that runs now with no start recorded, an older version's body, or one
  that cannot be read here, ``/proc`` with hidepid: maybe a pid given to another process
  since a run crashed) is a warning (``warnings``) naming it, and the run goes on: refusing
  would refuse every later run. A killed run of this machine's is over: its body is
  replaced silently. So a dead run never leaves a copy root refused. Best effort: a run
  that takes its lock through the other mount between this run's ``flock`` and its
  body's write is not seen by either (each reads the body before the other wrote it).
* A copy root whose ``.offload`` is a symlink is refused (``state_folder.StateFolderLinked``,
  a UsageError: exit 64) before anything is made, and the lock file is opened in the folder
  a descriptor opened without following a symlink holds (``state_folder``). That descriptor
  is kept while the lock is held (``state_folder.hold``, ``let_go`` on ``release``): the
  run's other writes into ``.offload`` check the name is still that folder
  (``state_folder.check_held``), never writing into another one swapped in.
* Not thread-safe (one object per run); ``release()`` is idempotent.
* ``busy_copy_root(roots)``: the same refusal for a copy root another offload holds now
  (its ``flock``, or a live holder its body names through another mount: ``UNSEEN``),
  asked without taking a lock, for a run refused before its locks (the preflight: a near-full
  drive whose room the other run's partials take), so that it says the lock, not the room.
* Each ``CopyRootLocks`` has a token of its own run (``run``, ``new_run``), which its bodies
  name (``run``) and the run record writes (``run_record``): a body naming this very
  process is an ended job's leftover, replaced in silence, only where no live job of this
  process has that token (``_this_process``); a live one is refused as any live holder.
* The body also names the token this process's partial files carry (``partials``,
  ``destinations.naming.run_token``): a run that finds partials in a folder it writes to
  asks ``other_holder`` of every copy root above them, and leaves those of a live holder
  alone (``plan/strays.py``: copy roots may nest, and two live runs then share folders).
  ``other_holder`` probes a lock with a shared ``flock`` for an instant; a run taking the
  lock in that instant waits for it (``_BODY_WAIT_S``) instead of being refused.
"""

from __future__ import annotations

import errno
import fcntl
import itertools
import json
import os
import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from offload.destinations.naming import run_token
from offload.errors import UsageError, describe_os_error
from offload.fs.ops import make_folders_durable
from offload.json_text import STRICT
from offload.ledger import STATE_FOLDER
from offload.state_folder import (
    StateFolderLinked,
    hold,
    let_go,
    linked_state_folder,
    open_state_folder,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from offload.plan.codes import PreflightItem

LOCK_NAME = "lock"
_BODY_WAIT_S = 0.5  # a holder writes its body right after it took the lock
_COMMAND_MAX = 300  # characters of the holder's command line in the message
# The key ``other_holder``'s answer has when the lock cannot be asked (its value: why).
CANNOT_ASK = "cannot_ask"
# The key ``other_holder``'s answer has (True) when the ``flock`` is free but the body names
# a live holder of this machine that this path's ``flock`` does not see (``_lock_one``).
UNSEEN = "unseen"
# What a run refused by a lock did not do (``_busy``'s *outcome*): an offload's words.
NOTHING_WRITTEN = "nothing was written"
#: The ``role`` a check's lock body names (``holder_body``): ``offload verify``'s (its
#: ``--append``, its revocation), which writes no copy (``verify_lock``).
CHECK_ROLE = "check"


class CopyRootBusy(UsageError):
    """Another offload holds a copy root's lock; nothing was written.

    ``destination_index``: the destination whose copy root it is, where the refusing code
    knows it (the preflight's, ``card.plan_offload``); None where it does not (the lock's
    own refusal), as in its ``copy-root-busy`` finding."""

    destination_index: int | None = None

    def finding(self, index: int | None = None) -> PreflightItem:
        """The refusal as a preflight finding: ``copy-root-busy``, its message the line
        printed, its path the local copy root (None for an S3 one's), *index* (else
        ``destination_index``) its destination's."""
        from offload.plan.codes import PreflightCode, PreflightItem

        where = None if self.path is None else Path(self.path)
        if index is None:
            index = self.destination_index
        return PreflightItem(PreflightCode.COPY_ROOT_BUSY, where, self.message, index)

    @property
    def errors(self) -> list[dict[str, object]]:
        """The refusal as ``offload copy --json``'s ``offload_refused`` and the refused
        record list its findings (``PreflightRefused.errors``' shape): its one
        ``copy-root-busy`` finding (``finding``)."""
        return [self.finding().as_dict()]


class CopyRootLocks:
    """The locks of one run (see the module's contract)."""

    def __init__(self) -> None:
        self._held: list[tuple[Path, int]] = []
        self.warnings: list[str] = []
        # This run's own token (``new_run``): its lock bodies' ``run`` and its run record's.
        self.run = new_run()
        _LIVE_RUNS.add(self.run)

    @property
    def paths(self) -> list[Path]:
        return [path for path, _fd in self._held]

    def release(self) -> None:
        """Never raises: a destination lost during the run (unplugged, its FUSE daemon
        gone) fails these calls, and its lock goes with the descriptor anyway."""
        _LIVE_RUNS.discard(self.run)
        while self._held:
            path, fd = self._held.pop()
            let_go(path)  # descriptor closed; its identity kept to check the reports
            try:
                os.ftruncate(fd, 0)  # the body describes a holder: there is none now
            except OSError:
                pass
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            except OSError:
                pass
            try:
                os.close(fd)  # closing alone would release it too
            except OSError:
                pass  # the descriptor is closed all the same (EIO/ENOTCONN from a flush)

    def __enter__(self) -> CopyRootLocks:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def lock_path(copy_root: Path) -> Path:
    return copy_root / STATE_FOLDER / LOCK_NAME


def lock_copy_roots(
    roots: Sequence[Path],
    *,
    command: Sequence[str] | None = None,
    source: str | None = None,
    outcome: str = NOTHING_WRITTEN,
    role: str | None = None,
) -> CopyRootLocks:
    """Lock every copy root in *roots* (see the module's contract), the body naming *role*
    (``holder_body``). Raises CopyRootBusy, its line saying *outcome* (what the refused run
    did not do)."""
    locks = CopyRootLocks()
    body = holder_body(command, source, role=role, run=locks.run)
    seen: set[str] = set()
    try:
        for root in roots:
            key = os.path.realpath(root)
            if key in seen:
                continue
            seen.add(key)
            _lock_one(Path(root), body, locks, outcome)
    except BaseException:
        locks.release()
        raise
    return locks


def _lock_one(root: Path, body: bytes, locks: CopyRootLocks, outcome: str) -> None:
    path = lock_path(root)
    # A symlinked ``.offload`` is refused before anything is made (the copy root included):
    # its lock, ledger and record would be another folder's (``state_folder``).
    linked = linked_state_folder(root)
    if linked is not None:
        raise StateFolderLinked(linked, path=path.parent)
    try:
        make_folders_durable(path.parent)
        # Opened in the folder a descriptor holds, never through a symlink put there since.
        folder = open_state_folder(root)
        try:
            fd = os.open(
                LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                dir_fd=folder,
            )  # fmt: skip
        except BaseException:
            os.close(folder)
            raise
    except OSError as exc:
        locks.warnings.append(
            f"cannot lock copy root {root} ({describe_os_error(exc)}); "
            "another offload into it would not be stopped"
        )
        return
    # The folder's descriptor is kept while the lock is held: the run's other writes there
    # are checked against it (``state_folder.check_held``), closed on any other way out.
    try:
        _take_held(root, body, locks, outcome, fd)
    except BaseException:
        os.close(folder)
        raise
    if locks._held and locks._held[-1] == (root, fd):
        try:
            hold(root, folder)
        except OSError:
            pass  # (closed there) a folder gone already: the writes fail on their own
    else:
        os.close(folder)


def _take_held(root: Path, body: bytes, locks: CopyRootLocks, outcome: str, fd: int) -> None:
    """The lock of *fd* (``root``'s lock file) taken for *locks*, its body written, or a
    warning where the filesystem has no locks; raises CopyRootBusy (``_lock_one``)."""
    try:
        taken, holder = _take(fd)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
            locks.warnings.append(
                f"cannot lock copy root {root}: its filesystem does not support locks "
                f"({describe_os_error(exc)}); another offload into it would not be stopped"
            )
            return
        raise
    if not taken:
        os.close(fd)
        raise _busy(root, holder, outcome)
    # The flock taken, the body may still name a live holder that flock does not reach: a
    # run writing into the same folder through another mount of a share (each mount's
    # flock its own: sshfs, most FUSE filesystems) or from another computer.
    # Refused only when that process is proven to be the one that wrote the body
    # (``body_alive``): a pid that runs but cannot be told from a later process given it
    # (no start recorded, or one not comparable here) is a warning, never a refusal that
    # would hold the copy root until an unrelated process exits.
    named = _read_body(fd)
    if named is not None and _unseen_live_holder(named, locks.run):
        os.close(fd)
        raise _busy(root, named, outcome, unseen=True)
    if named is not None and not body_gone(named) and not _this_process(named, locks.run):
        locks.warnings.append(_unseen_holder(root, named))
    locks._held.append((root, fd))
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, body, 0)
    except OSError:
        pass  # the body only describes the holder; the lock is held


def _unseen_live_holder(named: Mapping[str, object], own: str | None = None) -> bool:
    """Whether a lock body *named* (``_read_body``), found under a free ``flock``, names a
    live holder of this machine that ``flock`` does not see (it locked the folder through
    another mount of it): the one condition ``_lock_one`` refuses by and ``other_holder``
    reports as ``UNSEEN``: proven to be the process that wrote it (``body_alive``), and not
    this very process's (``_this_process``: an earlier job of it that could not clear it;
    *own*, the asking run's token: its own body)."""
    return body_alive(named) and not _this_process(named, own)


def _busy(
    root: Path,
    holder: Mapping[str, object] | None,
    outcome: str = NOTHING_WRITTEN,
    *,
    unseen: bool = False,
) -> CopyRootBusy:
    """The refusal of *root*, held by *holder* (its lock body, ``_read_body``), its line
    saying *outcome*; *unseen*: the lock was taken, but the process its lock file names is
    proven to be the one that wrote it (``body_alive``), still running, and never cleared
    it: its ``flock`` is not seen through this path (as through another mount of the same
    folder). A holder proven to be that process and stuck (``stuck_words``: killed but not
    ended, a call of it not returned) is said so, with what ends it: "stop it" would not."""
    how = (
        "; the process that wrote its lock file is still running and never cleared it, "
        "though its lock is not seen through this path (as through another mount of the "
        "same folder)"
        if unseen
        else ""
    )
    stuck = stuck_words(holder) if holder is not None else ""
    then = stuck or "wait for it to finish, or stop it, and run this again"
    return CopyRootBusy(
        f"copy root {root} is in use by another offload ({describe_holder(holder)}{how}); "
        f"{outcome}: {then}",
        path=root,
    )


def stuck_words(holder: Mapping[str, object]) -> str:
    """What ends the hold of *holder* (a lock body) where its process is proven to be the
    one that wrote it (``body_alive``) and is stuck, by ``/proc/<pid>/stat``'s state: a
    zombie (``Z``: killed, or ended, while a thread of it is still in a call that has not
    returned; the lock goes only with that thread); "" for any other. A process in state
    ``D`` is not taken for stuck: a healthy run is in ``D`` for part of every disk call it
    makes (one reading of a run writing with O_DIRECT found it so in 9 of 37 samples), and
    telling its user to pull a drive mid-write could damage that drive. A call that has not
    returned may be a slow drive still writing its cache (it returns by itself) or a hung
    card reader or drive (a FUSE filesystem's daemon that does not answer), which no signal
    ends, kill -9 included; the device gone, or its driver stopped, does."""
    pid = holder.get("pid")
    if not isinstance(pid, int) or not body_alive(holder):
        return ""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rpartition(b")")[2].split()[0]
    except (OSError, IndexError):
        return ""
    if state != b"Z":
        return ""
    return (
        "that process was killed, or has ended, but a call of it on a card or drive has not "
        "returned, and the lock goes only with it: a slow drive still writing its cache "
        "returns by itself (wait a few minutes; do not disconnect a drive that may be "
        "writing, which can damage its filesystem); a hung card reader or drive does not: "
        "pull the card, disconnect a drive that no longer works, or stop its stuck driver (a "
        "FUSE filesystem's daemon), then run this again"
    )


def _unseen_holder(root: Path, holder: Mapping[str, object]) -> str:
    """The warning of a lock taken whose body names a holder not known to be over
    (``body_gone``) nor proven to run (``body_alive``): one of another computer, container
    or boot (whether it still runs cannot be told from here), whose ``flock`` this one may
    not reach (a share's clients do not see each other's); or a pid of this machine that
    runs but cannot be told from a process given that pid since (no start recorded: an
    older version's body; or its start unreadable here: ``/proc`` mounted with hidepid)."""
    described = describe_holder(holder)
    if same_process_space(holder.get("host"), holder.get("pid_space")):
        return (
            f"copy root {root}: its lock file names another offload ({described}) whose pid "
            "runs, but cannot be proven to be that offload (its start time is not recorded "
            "or cannot be read here: the pid may have been given to another process since "
            "a run crashed); if it is, stop one of the two runs, or they take each other's "
            "files; that name is replaced now"
        )
    return (
        f"copy root {root}: its lock file names another offload ({described}) "
        "that this computer cannot see nor ask whether it still runs (a share's clients do "
        "not see each other's locks); if it does, stop one of the two runs, or they take "
        "each other's files; a run killed there leaves that name behind, replaced now"
    )


def busy_copy_root(
    roots: Sequence[Path],
    *,
    outcome: str = NOTHING_WRITTEN,
    skip: Callable[[Mapping[str, object]], bool] | None = None,
) -> CopyRootBusy | None:
    """The refusal ``lock_copy_roots`` would raise for the first of *roots* whose lock
    another offload holds now (``other_holder``: its ``flock``, or a live holder of this
    machine its body names that this path's ``flock`` does not see, ``UNSEEN``), None when
    none is held or none can be asked. A holder *skip* says yes to (its body) refuses
    nothing (``offload verify``: another check's). Takes no lock and writes nothing: for a
    refusal found before the locks are taken (the preflight's: that run's partials take
    room, its ledger changes; ``--dry-run``'s; ``offload verify``'s, whose *outcome* words
    say what it did not do), which the other run's hold explains, and which waiting for it
    may end."""
    for root in roots:
        holder = other_holder(str(root))
        if holder is None or CANNOT_ASK in holder:
            continue
        if skip is not None and skip(holder):
            continue
        unseen = holder.get(UNSEEN) is True
        return _busy(Path(root), holder or None, outcome, unseen=unseen)
    return None


def holder_body(
    command: Sequence[str] | None,
    source: str | None,
    *,
    role: str | None = None,
    run: str | None = None,
) -> bytes:
    """The JSON body describing this run as a lock's holder (also an S3 copy root's lock
    object, ``destinations/s3lock.py``); *role*, when given, is its ``role`` (``"check"``:
    an ``offload verify --append``, which writes no copy: ``verify_lock``)."""
    started = time.gmtime()
    holder = {
        **process_identity(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", started),
        # Redacted: the body is a file on the destination drive and is printed to whoever
        # is refused; an endpoint's user:password must be in neither (docs/s3.md).
        "command": shlex.join(
            _redacted(word) for word in (_command_line() if command is None else command)
        ),
        "source": source,
        # The token this process's partial files carry: a run finding them in a folder it
        # writes to leaves them alone while this lock is held (``other_holder``).
        "partials": run_token(),
    }
    if run is not None:
        # The run's own token (``CopyRootLocks.run``): another job of this very process
        # holding it is told from one that ended (``_this_process``).
        holder["run"] = run
    if role is not None:
        holder["role"] = role
    return (STRICT.encode(holder) + "\n").encode("utf-8", "surrogateescape")


def _redacted(text: str) -> str:
    """*text* through ``s3config.redact_secrets``, whose module (the S3 settings', ~3 ms of
    start-up) is loaded only for a text that holds a URL: both of the secrets it hides, a
    URL's ``user:password@`` and an http(s) URL's query, follow a ``://``, so any other text
    is its own redaction."""
    if "://" not in text:
        return text
    from offload.destinations.s3config import redact_secrets

    return redact_secrets(text)


def _command_line() -> list[str]:
    """This process's command line, its program by name (``offload copy ...``, also when run
    as ``python -m offload.cli.offload``)."""
    argv = list(sys.argv) or ["?"]
    program = os.path.basename(argv[0])
    argv[0] = program.removesuffix(".py") if program.endswith(".py") else program
    return argv


def _take(fd: int) -> tuple[bool, dict[str, object] | None]:
    """Take the exclusive lock of *fd* without waiting for a holder: (True, None) once
    taken, (False, the holder's body, ``_read_body``) when another run holds it. A lock held
    while its body does not describe a live holder (a run that has just taken it, or
    ``other_holder``'s instant probe; the body then is empty, or names a run killed while it
    held the lock, which never emptied it) is tried again for ``_BODY_WAIT_S``. Raises
    OSError (no locks on that filesystem)."""
    deadline = time.monotonic() + _BODY_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True, None
        except BlockingIOError:
            pass
        holder = _read_body(fd)
        if (holder is not None and not body_gone(holder)) or time.monotonic() >= deadline:
            return False, holder
        time.sleep(0.05)


def body_gone(holder: Mapping[str, object]) -> bool:
    """Whether the holder a lock body or an upload record names (``process_identity``'s
    fields) is provably over (``holder_gone``)."""
    return holder_gone(
        holder.get("host"), holder.get("pid"), holder.get("pid_space"), holder.get("pid_start")
    )


def body_alive(holder: Mapping[str, object]) -> bool:
    """Whether the holder a lock body names (``process_identity``'s fields) is proven to be
    running now: it ran in this process space (``same_process_space``), and the process that
    has its pid now started when the body records (``process_start``, read here, non-empty
    and equal to its ``pid_start``). False whenever that cannot be proven (no start
    recorded, a ``/proc`` that hides the process, another pid or time namespace): never the
    converse of ``body_gone``, which says only what is proven over."""
    pid, start = holder.get("pid"), holder.get("pid_start")
    if not isinstance(pid, int) or pid <= 0 or not isinstance(start, str) or not start:
        return False
    if not same_process_space(holder.get("host"), holder.get("pid_space")):
        return False
    now = process_start(pid)
    return bool(now) and now == start


def _this_process(holder: Mapping[str, object], own: str | None = None) -> bool:
    """Whether the holder a lock body names is this very process and no live job of it
    (``CopyRootLocks``) but *own* (the asking run's token): an earlier job of it that could
    not clear the body (its drive pulled, then plugged in again), whose lock went with its
    descriptor; replaced in silence. A job of this process that holds its locks now (a
    library caller's other offload, the same folder through another mount) is told by the
    body's ``run`` (``_LIVE_RUNS``): a live holder, never taken for a leftover (review of
    runrec67: before, two jobs of one process shared one token and one such body). A body
    without ``run`` (an older version's) is a leftover, as before."""
    if holder.get("pid") != os.getpid() or not same_process_space(
        holder.get("host"), holder.get("pid_space")
    ):
        return False
    run = holder.get("run")
    return run == own or run not in _LIVE_RUNS


def _read_body(fd: int) -> dict[str, object] | None:
    """The holder a lock file's body describes, None when it describes none."""
    try:
        raw = os.pread(fd, 64 * 1024, 0)
        holder = json.loads(raw.decode("utf-8", "surrogateescape")) if raw.strip() else None
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def other_holder(copy_root: str) -> dict[str, object] | None:
    """Who holds the lock of *copy_root* now, for a run that does not hold it: None when no
    one does (no lock file there, or its ``flock`` is free: a killed holder's went with it),
    else the holder's body (``holder_body``), ``{}`` when it does not say, ``{CANNOT_ASK:
    why}`` when the lock cannot be asked (no ``flock`` on that filesystem, a lock file that
    cannot be opened): a caller deciding whether files there are abandoned must take both as
    "maybe live" (``plan/strays.py`` then goes by age where it cannot ask). A free
    ``flock`` whose body names a live holder of this machine (``_unseen_live_holder``: it
    locked the folder through another mount, whose ``flock`` this one does not see) is that
    body with ``UNSEEN: True``, the holder ``_lock_one`` refuses. A held lock whose body is
    empty (its holder has just taken it) is asked again for ``_BODY_WAIT_S``. Probes with a
    shared ``flock`` held for an instant (``_take`` waits out such a probe). Never
    raises."""
    try:
        fd = os.open(
            os.path.join(copy_root, STATE_FOLDER, LOCK_NAME),
            os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK,
        )
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return {CANNOT_ASK: describe_os_error(exc)}
    try:
        deadline = time.monotonic() + _BODY_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                held = _read_body(fd)
                if held is not None or time.monotonic() >= deadline:
                    return held or {}
                time.sleep(0.05)  # a holder writes its body right after it took the lock
                continue
            break
        named = _read_body(fd)
        if named is not None and _unseen_live_holder(named):
            return {**named, UNSEEN: True}
        return None
    except OSError as exc:
        return {CANNOT_ASK: describe_os_error(exc)}
    finally:
        os.close(fd)  # and with it the probe's lock, if it was taken


def describe_holder(holder: object) -> str:
    """The holder a lock body (``holder_body``, parsed) names, for a message."""
    if not isinstance(holder, dict):
        return "its lock file does not say which one"
    command = _redacted(str(holder.get("command", "?")))  # also one an older run wrote
    if len(command) > _COMMAND_MAX:
        command = command[: _COMMAND_MAX - 1] + "…"
    return (
        f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, started "
        f"{holder.get('started', '?')}: {command}"
    )


_PROCESS_SPACE: list[str] = []

#: The tokens of this process's runs that hold their locks now (``CopyRootLocks``).
_LIVE_RUNS: set[str] = set()
_RUNS = itertools.count(1)


def new_run() -> str:
    """A token of its own for one run of this process: the process's token
    (``naming.run_token``, its partials') and the run's number in the process
    (``"a1b2c3-2"``). Two runs of one process (a library caller's, a script's, the tests')
    never share it: the run record's "same run" checks (``run_record._may_settle``) and the
    lock's "this process" (``_this_process``) tell them apart."""
    return f"{run_token()}-{next(_RUNS)}"


def process_space() -> str:
    """Where this process's pid means something: this kernel's boot (``boot_id``) and this
    process's pid namespace (its inode), "" when either cannot be read. A host name does not
    say it: two carts keep a default one, and containers on one machine share its name while
    each counts pids from 1."""
    if not _PROCESS_SPACE:
        try:
            with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
                boot = f.read().strip()
            namespace = os.stat("/proc/self/ns/pid").st_ino
            _PROCESS_SPACE.append(f"{boot}/{namespace}" if boot else "")
        except OSError:
            _PROCESS_SPACE.append("")
    return _PROCESS_SPACE[0]


_IDENTITY: dict[int, dict[str, object]] = {}


def process_identity() -> dict[str, object]:
    """Who this process is, as a lock's body (``holder_body``) and an S3 upload record name
    their maker: its ``pid``, ``host`` (``os.uname().nodename``, ``socket.gethostname()``
    without importing socket), ``pid_space`` (``process_space``) and ``pid_start``
    (``process_start``: tells this process from a later one given its pid), what
    ``body_gone`` judges. Read once a process (a forked child reads its own); a new dict
    each call."""
    pid = os.getpid()
    if pid not in _IDENTITY:
        _IDENTITY[pid] = {
            "pid": pid,
            "host": os.uname().nodename,
            "pid_space": process_space(),
            "pid_start": process_start(pid),
        }
    return dict(_IDENTITY[pid])


def same_process_space(host: object, pid_space: object) -> bool:
    """Whether a holder recorded with *host* and *pid_space* (``holder_body``) counted its
    pid as this process does: same host name and same ``process_space``, known."""
    own = process_space()
    return host == os.uname().nodename and bool(own) and pid_space == own


def process_start(pid: int) -> str:
    """When the process *pid* of this process space started, as ``"<time namespace>:<clock
    ticks since boot>"`` (``/proc/<pid>/stat``'s starttime, which the kernel shows in the
    reader's time namespace: named, so that only marks read in one are compared); "" when it
    cannot be told (no such process, no ``/proc``, or a ``/proc`` of another pid namespace
    than this process's, where ``<pid>`` names another process). A pid and this mark name one
    process of one boot: a pid reused since has another."""
    if not _proc_is_ours():
        return ""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
        ticks = int(raw.rpartition(b")")[2].split()[19])  # field 22; fields after ")" begin at 3
    except (OSError, ValueError, IndexError):
        return ""
    return f"{_time_space()}:{ticks}"


_PROC_OURS: list[bool] = []


def _proc_is_ours() -> bool:
    """Whether ``/proc`` counts pids as this process does (its own entry there is its pid)."""
    if not _PROC_OURS:
        try:
            with open("/proc/self/stat", "rb") as f:
                _PROC_OURS.append(int(f.read().split(b" ", 1)[0]) == os.getpid())
        except (OSError, ValueError):
            _PROC_OURS.append(False)
    return _PROC_OURS[0]


_TIME_SPACE: list[str] = []


def _time_space() -> str:
    """This process's time namespace (its inode), "" on a kernel without them. Read once
    (a process's time namespace is fixed: ``unshare`` changes only its children's)."""
    if not _TIME_SPACE:
        try:
            _TIME_SPACE.append(str(os.stat("/proc/self/ns/time").st_ino))
        except OSError:
            _TIME_SPACE.append("")
    return _TIME_SPACE[0]


def holder_gone(host: object, pid: object, pid_space: object, pid_start: object = None) -> bool:
    """Whether the process *pid* of *host* (a lock's or an upload record's holder, its pids
    counted in *pid_space*, started at *pid_start*: ``process_start``, None or "" when not
    recorded) is known to be over: it ran in this process space (``same_process_space``:
    this machine's boot and pid namespace) and no process has that pid now, or the process
    that has it started at another time than the one recorded (the pid was reused: marks read
    in another time namespace than ours are not compared). Another host's, container's or
    boot's is never known to be over; a pid that runs, with no start recorded or one that
    cannot be compared, counts as alive (the caller's other rule, an age, frees it then:
    never the other way round)."""
    if not same_process_space(host, pid_space) or not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        pass  # EPERM: a process of another user has that pid (maybe a reused one)
    return _reused(pid, pid_start)


def _reused(pid: int, pid_start: object) -> bool:
    """Whether the process *pid* runs now is provably not the one recorded as started at
    *pid_start* (``holder_gone``)."""
    if not isinstance(pid_start, str) or ":" not in pid_start:
        return False
    now = process_start(pid)
    if not now or now.partition(":")[0] != pid_start.partition(":")[0]:
        return False  # gone meanwhile (a later look tells), or another time namespace's mark
    return now != pid_start
