"""One ``syncfs`` at a time for every destination on one filesystem (a group commit).

Three destinations on one disk each made their batches durable with a ``syncfs`` of their
own, and each wrote the whole filesystem back (the others' data, the inode tables, the
journal) and flushed the device's cache: three flushes where one covers the same bytes
(docs/performance.md, "The small card's flushes: seventeenth pass"). A ``SharedSyncfs`` is
shared by the local destinations of a job that lie on one filesystem (``SharedSyncfsTable``,
keyed by ``st_dev``): a committer that asks while another's ``syncfs`` runs waits for the
next one, and every committer that asked during a ``syncfs`` shares the next.

Error routing, the contract: ``syncfs(2)`` reports a writeback error (Linux ≥ 5.8, the
superblock's ``s_wb_err``) only to a descriptor opened before the error, and to each
descriptor once (its ``f_sb_err`` advances). Every round goes through one descriptor, the
table's, opened when the job made its destinations (before any of the job's writes), so
every error of the job's files is reported by exactly one round: the first whose ``syncfs``
checks after the error. That round's number is kept (``_failed_round``). A caller passes
``since``, the number of rounds done (``mark``) before the first write of the files it asks
for: an error reported by round ``since`` or earlier happened before those writes and is not
theirs; one reported later may be. ``sync`` then answers False, and the caller fsyncs each
of its files, which tells whose the error is (each file's descriptor reports its own
mapping's error); its other files are not failed for another's error. A caller never
learns "durable" from a round that started before it asked (its writes may have come after
that round wrote the filesystem back).

Thread-safety: every method may be called from any thread. ``sync`` blocks while the
round it waits for runs (uncancellable, as the ``syncfs`` itself). ``mark`` reads one
integer. Ownership: the table owns the descriptors it opened and closes them in ``close``
(or when it is collected); a ``SharedSyncfs`` made alone (``SharedSyncfs.open``) owns its
own and closes it in ``close`` (or when it is collected).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

from offload.fs.ops import syncfs


class SharedSyncfs:
    """The ``syncfs`` rounds of one filesystem (see the module docstring)."""

    def __init__(self, fd: int) -> None:
        # A descriptor on the filesystem opened before any write it must report the errors
        # of; owned by whoever made this (``open``: this object).
        self._fd = fd
        self._cond = threading.Condition(threading.Lock())
        self.started = 0  # rounds begun (what a caller waits beyond; tests read it)
        self.done = 0  # rounds finished (read by ``mark`` without the lock: see there)
        self._running = False
        self._failed_round = 0  # the last round that reported an error (0: none)
        self.rounds_failed = 0  # how many did (tests read it)
        # Closes the descriptor where this object owns it (``open``), once.
        self._close_fd: Callable[[], object] | None = None

    @classmethod
    def open(cls, root: Path | str) -> SharedSyncfs:
        """A ``SharedSyncfs`` on *root*'s filesystem with a descriptor of its own, closed
        when it is collected. Raises OSError if *root* cannot be opened."""
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        shared = cls(fd)
        shared._close_fd = weakref.finalize(shared, os.close, fd)
        return shared

    def close(self) -> None:
        """Close the descriptor this object owns (made by ``open``; one of a table's is the
        table's to close: only forgotten). Idempotent; a ``sync`` after it fails (every
        file is then fsynced by its writer). Call once no ``sync`` runs."""
        self.detach()
        if self._close_fd is not None:
            self._close_fd()

    def mark(self) -> int:
        """The rounds done so far: what ``sync`` needs as ``since`` for files whose first
        write comes after this call. A plain read: a stale (smaller) answer only makes
        ``sync`` more careful."""
        return self.done

    def sync(self, since: int) -> bool:
        """Make everything written on the filesystem before this call durable: wait for a
        ``syncfs`` that starts after this call (leading it if none runs). True when no round
        after round *since* reported an error; False otherwise, or when the ``syncfs``
        failed outright: then every file written since must be fsynced by its writer, and
        nothing may be called durable from this call. Never raises."""
        cond = self._cond
        with cond:
            wanted = self.started + 1  # a round running now may have missed our writes
            while self.done < wanted:
                if self._running:
                    cond.wait()
                    continue
                self._running = True
                self.started += 1
                number = self.started
                failed = True
                cond.release()
                try:
                    failed = self._syncfs()
                finally:
                    cond.acquire()
                    self._running = False
                    self.done = number
                    if failed:
                        self._failed_round = number
                        self.rounds_failed += 1
                    cond.notify_all()
            return self._failed_round <= since

    def detach(self) -> None:
        """Forget the descriptor (its owner closes it): later rounds fail, never reach
        another file that reuses its number."""
        with self._cond:
            self._fd = -1

    def _syncfs(self) -> bool:
        """One ``syncfs``; whether it failed (a writeback error, or the call itself)."""
        try:
            syncfs(self._fd)
        except OSError:
            return True
        return False


class SharedSyncfsTable:
    """A job's ``SharedSyncfs`` per filesystem (by ``st_dev``). Thread-safe; ``close`` once
    the job's threads have stopped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_device: dict[int, SharedSyncfs] = {}
        self._fds: list[int] = []
        # Closed when collected too (a job that raised before its end).
        self._close = weakref.finalize(self, _close_all, self._fds)

    def for_root(self, root: Path | str, st_dev: int) -> SharedSyncfs:
        """The rounds of the filesystem *root* (whose device is *st_dev*) is on; the first
        destination there opens the descriptor every round goes through. Raises OSError if
        *root* cannot be opened."""
        with self._lock:
            shared = self._by_device.get(st_dev)
            if shared is None:
                fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
                self._fds.append(fd)
                shared = self._by_device[st_dev] = SharedSyncfs(fd)
            return shared

    def close(self) -> None:
        """Close the descriptors, once no ``sync`` runs; a ``sync`` after it fails (EBADF),
        which only makes its caller fsync each file."""
        with self._lock:
            for shared in self._by_device.values():
                shared.detach()
            self._by_device.clear()
        self._close()


def _close_all(fds: list[int]) -> None:
    while fds:
        try:
            os.close(fds.pop())
        except OSError:
            continue
