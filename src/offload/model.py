"""Frozen value types shared by the planner, the engine, the manifests and the reports."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple


@dataclass(frozen=True, slots=True, init=False)
class SourceFile:
    """One regular file to copy, as the scan saw it.

    ``relative_path`` is ``/``-separated, relative to the source root, with the names exactly as
    the filesystem returned them (no Unicode normalisation). ``mtime_ns``/``size_bytes`` are
    from the scan's ``lstat``; the reader compares them with what it sees when it opens the file.

    The path is held as text (``path_text``; ``path`` makes a ``Path`` of it on each call): a
    card of 50,000 files keeps one of these per file from the scan to the end of the job, and
    a ``Path`` (its parts list and their strings) cost ~350 B more a file than its text. The
    job's results do not hold it (``FileResult``: it is freed with the scan's tree).
    """

    path_text: str
    relative_path: str
    size_bytes: int
    mtime_ns: int

    def __init__(
        self, path: str | os.PathLike[str], relative_path: str, size_bytes: int, mtime_ns: int
    ) -> None:
        # A scan makes one a file: each slot set through its own setter (below), no fspath
        # call for a text
        _set_path_text(self, path if type(path) is str else os.fspath(path))
        _set_relative_path(self, relative_path)
        _set_size_bytes(self, size_bytes)
        _set_mtime_ns(self, mtime_ns)

    @property
    def path(self) -> Path:
        """The file's path (a new ``Path`` each call: hot paths use ``path_text``)."""
        return Path(self.path_text)

    @property
    def seen_mtime_ns(self) -> int:
        """The mtime the file itself showed at the scan, which a read of it is checked
        against (``engine/reader.py``, ``existing.py``): ``mtime_ns`` here; a ``DatedCopy``'s
        own, where its date is its card's."""
        return self.mtime_ns


# The slots' own setters, bound once: a frozen dataclass's fields are set past its
# ``__setattr__``, and ``object.__setattr__(self, name, value)`` looks the slot up by its
# name at each call, the slot's ``__set__`` does not (a 50,000-file scan: 22 -> 15 ms of CPU,
# docs/performance.md, "The start of a 50,000-file card, counted: twenty-fourth pass").
_set_path_text, _set_relative_path, _set_size_bytes, _set_mtime_ns = (
    SourceFile.__dict__[name].__set__
    for name in ("path_text", "relative_path", "size_bytes", "mtime_ns")
)


class DatedCopy(SourceFile):
    """A copy of a card file read in place of it (a cascade's fast copy, which feeds the
    slow destinations), dated as the card's file: ``mtime_ns`` is the card file's date
    (what its copies get, what their ledgers record, what a plan compares a copy or an
    entry with), ``seen_mtime_ns`` the copy's own as its ``lstat`` showed it (what a read
    of it is checked against). The two differ where the copy's filesystem keeps coarser
    dates than the card's (exFAT, FAT and network shares whole seconds or 2 s, NTFS
    100 ns): a slow copy dated from the fast one recorded that rounded date, and a re-run
    with the card then found no entry of its date and refused the folder as another card's.
    A subclass, not a field of every ``SourceFile``: a card's files never need it."""

    __slots__ = ("_seen",)
    _seen: int

    def __init__(
        self,
        path: str | os.PathLike[str],
        relative_path: str,
        size_bytes: int,
        mtime_ns: int,
        seen_mtime_ns: int,
    ) -> None:
        super().__init__(path, relative_path, size_bytes, mtime_ns)
        _set_seen(self, seen_mtime_ns)

    @property
    def seen_mtime_ns(self) -> int:
        return self._seen


_set_seen = DatedCopy.__dict__["_seen"].__set__


def dated_as_card(
    path: str | os.PathLike[str],
    relative_path: str,
    size_bytes: int,
    card_mtime_ns: int,
    own_mtime_ns: int,
) -> SourceFile:
    """The source of a copy of a card file read in place of it (a cascade's fast copy),
    dated *card_mtime_ns*, the card file's date: a ``DatedCopy`` checked when read against
    its own date *own_mtime_ns* where the two differ, else a plain ``SourceFile`` (the one
    rule of ``cascade``'s slow copies fed from a fast one and of ``card``'s re-run whose
    source is that fast copy)."""
    if own_mtime_ns == card_mtime_ns:
        return SourceFile(path, relative_path, size_bytes, card_mtime_ns)
    return DatedCopy(path, relative_path, size_bytes, card_mtime_ns, own_mtime_ns)


class SourceSymlink(NamedTuple):
    """A symbolic link inside the source, copied as a link (never followed)."""

    path: Path
    relative_path: str
    target: str
    mtime_ns: int


class DestinationFileTarget(NamedTuple):
    """Where one source file goes on one destination: the final path, in its folder."""

    destination_index: int
    final_path: Path
