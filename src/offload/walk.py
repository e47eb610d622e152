"""The one tree walker: the scan of a source, the manifests' verification, ``offload verify``.

Each caller classifies the entries itself (the scan by ``lstat``, the manifests as the
reference tool does, following links to files) and says which folders to enter; the walk
itself is the same for all:

* depth first, the entries of each folder sorted by the bytes of their names
  (``os.fsencode``), a folder yielded just before its content;
* a folder is entered only when the caller asks (:meth:`WalkEntry.enter`, before asking for
  the next entry), and never through a symlink;
* a folder that cannot be listed raises its ``OSError`` (a dying card must not look like an
  empty one), unless the caller's ``on_error`` decides otherwise;
* an explicit stack, not recursion: a path may legally nest ~2000 folders deep, beyond
  Python's recursion limit.

With *workers* (the scan's), the folders are listed ahead of the walk by that many threads
(:class:`_Lookahead`): a cold card's folder and inode reads are then several in flight at
once instead of one after another, while the walk itself, its order and its errors stay
those above (docs/performance.md, "The cold scan's folders listed ahead: thirtieth pass").
"""

from __future__ import annotations

import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from operator import attrgetter
from pathlib import Path

#: Called with a folder that cannot be listed and the error: raise (an error of the caller's
#: own kind) to stop the walk, return to pass the folder over.
OnError = Callable[[Path, OSError], None]


class WalkEntry:
    """One entry met by :func:`walk_tree`: its ``os.DirEntry`` and its ``/``-separated path
    relative to the root."""

    __slots__ = ("_enter", "entry", "relative")

    def __init__(self, entry: os.DirEntry[str], relative: str) -> None:
        self.entry = entry
        self.relative = relative
        self._enter = False

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def path(self) -> str:
        return self.entry.path

    def enter(self) -> None:
        """Walk into this folder next (ignored for anything but a folder; links are not
        followed)."""
        self._enter = True


_NAME = attrgetter("name")


def _raise(folder: Path, error: OSError) -> None:
    raise error


def _list_sorted(folder: Path, on_error: OnError) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError as exc:
        on_error(folder, exc)
        return []
    if "".join(map(_NAME, entries)).isascii():
        # ASCII names sort as their bytes do: no bytes made a name (~1 µs each)
        entries.sort(key=_NAME)
    else:
        entries.sort(key=lambda e: os.fsencode(e.name))
    return entries


def walk_tree(
    root: Path, *, on_error: OnError | None = None, workers: int = 0, lstat: bool = False
) -> Iterator[WalkEntry]:
    """Every entry below *root* that the walk reaches (module doc), root itself not included.

    Raises the ``OSError`` of a folder that cannot be listed (the root included), or whatever
    *on_error* raises for it; a folder for which *on_error* returns is passed over.

    *workers* > 0: the folders below the root are listed ahead by at most that many threads
    (:class:`_Lookahead`), and with *lstat* each listed entry's ``lstat`` is asked there too
    (kept by its ``DirEntry``: ``entry.stat(follow_symlinks=False)`` then makes no call; one
    that failed is asked again by the caller's own call, which raises). The entries, their
    order and the errors raised are the same as with none; a folder's listing is the state
    of the folder when a thread listed it, a moment before the walk reaches it.
    """
    fail = on_error or _raise
    ahead = _Lookahead(workers, lstat) if workers > 0 else None
    try:
        # The root's entries lstat-ed here, before any folder of it is listed (_Lookahead).
        first = _list_sorted(root, fail) if ahead is None else ahead.listing(str(root), fail)
        stack: list[tuple[str, Iterator[os.DirEntry[str]]]] = [("", iter(first))]
        while stack:
            prefix, entries = stack[-1]
            entry = next(entries, None)
            if entry is None:
                stack.pop()
                continue
            item = WalkEntry(entry, prefix + entry.name)
            yield item
            if item._enter and not entry.is_symlink():
                if ahead is None:
                    listed = _list_sorted(Path(entry.path), fail)
                else:
                    listed = ahead.listing(entry.path, fail)
                stack.append((item.relative + "/", iter(listed)))
            elif ahead is not None and entry.is_dir(follow_symlinks=False):
                # Only a folder can have a listing to drop: no call a file (a scan's walk
                # passes over every file; docs/performance.md, "A few calls a file less":
                # thirty-second pass).
                ahead.passed(entry)
    finally:
        if ahead is not None:
            ahead.close()


class _Lookahead:
    """The folders the walk will enter, listed (and sorted, and with *lstat* their entries
    ``lstat``-ed) by *workers* threads before the walk asks for them.

    Which folders: every folder (by the listing's type, never a symlink) of a folder the
    walk entered, in the walk's own order (a folder's subfolders before its later
    siblings), at most ``2 × workers`` listings held or under way at once, so memory stays
    a few folders' entries. A folder the walk passes over (the caller did not enter it: an
    ignored folder) is not listed, or its listing dropped, error and all. An error of a
    listing is kept by the thread, not raised there, and raised (``on_error``) by the walk
    when it enters that folder, as without threads. A folder is listed only once the walk
    has its parent's listing, whose entries were ``lstat``-ed with it (the root's by the
    walk's own thread): an entry's ``lstat`` comes before its own listing, as without
    threads. ``os.scandir`` and ``lstat`` let go of the GIL while they wait for the disk.

    Plain threads and a queue, not ``concurrent.futures``: that module imports ``logging``
    (~7 ms of start-up before the first byte, which a local copy otherwise never loads).
    Used by the walk's thread alone; the threads are ended and joined by :meth:`close`
    (the walk's end, or its generator closed early).
    """

    __slots__ = ("_lstat", "_passed", "_pending", "_queue", "_threads", "_todo", "_window")

    def __init__(self, workers: int, lstat: bool) -> None:
        self._lstat = lstat
        self._window = 2 * workers
        self._queue: deque[str] = deque()  # folders to list, the next one first
        self._pending: dict[str, _Listing] = {}
        self._passed: set[str] = set()  # queued folders the walk did not enter
        self._todo: queue.SimpleQueue[_Listing | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"offload-walk-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (slot := self._todo.get()) is not None:
            try:
                if not slot.dropped:
                    slot.entries, slot.error = _listed(slot.folder, self._lstat)
            except BaseException as exc:  # MemoryError and the like: the walk raises it
                slot.raised = exc
            finally:
                slot.done.set()

    def found(self, entries: list[os.DirEntry[str]]) -> None:
        """*entries* (a folder the walk entered, sorted): its folders go first in line."""
        folders = [e.path for e in entries if e.is_dir(follow_symlinks=False)]
        if folders:
            self._queue.extendleft(reversed(folders))
            self._fill()

    def listing(self, folder: str, fail: OnError) -> list[os.DirEntry[str]]:
        """*folder*'s sorted entries, listed ahead if it was (else here); its error raised
        through *fail* (or ``[]`` if *fail* returns)."""
        slot = self._pending.pop(folder, None)
        if slot is None:
            entries, error = _listed(folder, self._lstat)
        else:
            slot.done.wait()
            if slot.raised is not None:
                # Not an OSError (on_error's): never a folder taken as empty, nor a wait
                # forever on a thread that died.
                raise slot.raised
            entries, error = slot.entries, slot.error
        if error is not None:
            fail(Path(folder), error)
            entries = []
        self.found(entries)
        self._fill()
        return entries

    def passed(self, entry: os.DirEntry[str]) -> None:
        """The walk did not enter *entry*, a folder (by its listing's type, not a link): its
        listing, if asked for, is dropped."""
        slot = self._pending.pop(entry.path, None)
        if slot is None:
            self._passed.add(entry.path)
        else:
            slot.dropped = True
            self._fill()

    def _fill(self) -> None:
        while self._queue and len(self._pending) < self._window:
            folder = self._queue.popleft()
            if folder in self._passed:
                self._passed.discard(folder)
                continue
            slot = _Listing(folder)
            self._pending[folder] = slot
            self._todo.put(slot)

    def close(self) -> None:
        """No more listings: those not begun are dropped, those under way waited for (at
        most one a thread)."""
        self._queue.clear()
        for slot in self._pending.values():
            slot.dropped = True
        self._pending.clear()
        for _ in self._threads:
            self._todo.put(None)
        for thread in self._threads:
            thread.join()


class _Listing:
    """One folder's listing asked of :class:`_Lookahead`'s threads: set by one thread, read
    by the walk once ``done`` is set; ``dropped`` (the walk passed it over, or ended) makes
    the thread skip it; ``raised``, what else than an ``OSError`` the listing raised, which
    the walk raises in turn."""

    __slots__ = ("done", "dropped", "entries", "error", "folder", "raised")

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.done = threading.Event()
        self.dropped = False
        self.entries: list[os.DirEntry[str]] = []
        self.error: OSError | None = None
        self.raised: BaseException | None = None


def _listed(folder: str, lstat: bool) -> tuple[list[os.DirEntry[str]], OSError | None]:
    """*folder* listed and sorted as ``_list_sorted`` does (its error returned, not raised),
    and with *lstat* each entry ``lstat``-ed (an error left for the caller's own call)."""
    error: list[OSError] = []
    entries = _list_sorted(Path(folder), lambda _folder, exc: error.append(exc))
    if error:
        return [], error[0]
    if lstat:
        for entry in entries:
            try:
                entry.stat(follow_symlinks=False)
            except OSError:
                pass  # asked again by the caller, whose call raises it
    return entries, None


__all__ = ["OnError", "WalkEntry", "walk_tree"]
