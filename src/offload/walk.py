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
"""

from __future__ import annotations

import os
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


def walk_tree(root: Path, *, on_error: OnError | None = None) -> Iterator[WalkEntry]:
    """Every entry below *root* that the walk reaches (module doc), root itself not included.

    Raises the ``OSError`` of a folder that cannot be listed (the root included), or whatever
    *on_error* raises for it; a folder for which *on_error* returns is passed over.
    """
    fail = on_error or _raise
    stack: list[tuple[str, Iterator[os.DirEntry[str]]]] = [("", iter(_list_sorted(root, fail)))]
    while stack:
        prefix, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        item = WalkEntry(entry, prefix + entry.name)
        yield item
        if item._enter and not entry.is_symlink():
            listed = _list_sorted(Path(entry.path), fail)
            stack.append((item.relative + "/", iter(listed)))


__all__ = ["OnError", "WalkEntry", "walk_tree"]
