"""What is at a name in a destination's folders, from one listing a folder.

A re-run's plan asks, for every file and destination, what is at the name a ledger entry
records and whether the partial the entry names is still there (``Ledger._at_its_name``):
two ``lstat``s a file and destination, each of which gives up the interpreter lock and
waits to get it back while the fingerprint readers run (``fingerprint.ReadAhead``).
``FolderListings`` answers both from one ``os.scandir`` of each folder: a name the listing
holds is stat'ed (``lstat``, through its ``DirEntry``: one call, none when its type says it
is no regular file); a name it does not hold costs no call, unless the filesystem could find
it under another spelling (below). The preflight's ``lstat`` of each target
(``preflight.space.check_targets``) and the plan's of a name no ledger entry vouches for
(``card._existing_copy_kind``) ask the same listings: the stat a name got is kept with its
listing, so a trusted copy costs one call in all.

What a listing proves: a name is in a folder exactly as spelled, or is not. A filesystem
may find a name under another spelling (exFAT, FAT, NTFS through a driver, SMB, HFS+: case,
Unicode normalization), where an ``lstat`` of the asked name succeeds although the listing
holds it only as spelled otherwise. So a name missing from the listing is looked up with the
call itself when the folder holds a name equal to it caselessly (Unicode's canonical
caseless match: ``NFD(casefold(NFD(name)))``, a wider match than any of those
filesystems'); only a name matching nothing is answered "not there" without a call. The
answers are those of the calls they replace, in the same order of time: a snapshot taken
when the plan first asks about a folder, as the ``lstat``s were (the plan holds the copy
root's lock; nothing else of ours writes there meanwhile).

A folder that cannot be listed (absent, no folder, EACCES, a name with a NUL) answers every
name with the call itself. At most ``KEEP`` folders' listings are held at once (the oldest
dropped, listed again if asked again): a card's files are planned folder by folder, and a
destination folder of 100,000 names is ~15 MB of ``DirEntry``s.

Not thread-safe: one plan's thread owns an instance, for the plan only (the job after it
asks the filesystem itself).
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata

KEEP = 16


def caseless(name: str) -> str:
    """*name*'s key for a caseless match: NFD(casefold(NFD(name))) (Unicode, "canonical
    caseless matching"; for an ASCII name, which NFD leaves as it is, its lower case). A
    name with bytes that are no UTF-8 (surrogate escapes) keeps them as they are."""
    if name.isascii():
        return name.lower()
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


class _Listing:
    """One folder's names as listed, and their caseless keys once a name is missing."""

    __slots__ = ("_caseless", "entries")

    def __init__(self, entries: dict[str, os.DirEntry[str]]) -> None:
        self.entries = entries
        self._caseless: frozenset[str] | None = None

    def may_hold_as(self, name: str) -> bool:
        """Whether a name the listing does not hold could still be found under another
        spelling of one it holds (a caseless match)."""
        if self._caseless is None:
            self._caseless = frozenset(caseless(held) for held in self.entries)
        return caseless(name) in self._caseless


class FolderListings:
    """``lstat`` and ``lexists`` of names in a destination's folders, answered from one
    listing a folder (the module's docstring: what it proves, when it still calls).

    Paths are absolute text, ``/``-separated, as the plan spells them (``str`` of a
    ``Path``; non-UTF-8 bytes as surrogate escapes, which the listing returns alike)."""

    __slots__ = ("_listings",)

    def __init__(self) -> None:
        self._listings: dict[str, _Listing | None] = {}  # folder -> listing (None: unlistable)

    def _listing(self, folder: str) -> _Listing | None:
        if folder in self._listings:
            return self._listings[folder]
        listing: _Listing | None = None
        try:
            # A folder listed but not searchable (r without x) answers EACCES to an lstat
            # of any name in it, not "not there": asked name by name.
            if os.access(folder, os.X_OK):
                with os.scandir(folder) as scan:
                    listing = _Listing({entry.name: entry for entry in scan})
        except (OSError, ValueError):  # absent, no folder, EACCES, a NUL: ask each name
            listing = None
        if len(self._listings) >= KEEP:
            del self._listings[next(iter(self._listings))]
        self._listings[folder] = listing
        return listing

    def lstat(self, path: str) -> os.stat_result:
        """What ``os.lstat(path)`` returns, or raises: ``FileNotFoundError`` for a name
        the listing does not hold (without a call), the call's ``OSError`` otherwise. A
        name's answer is kept with the listing: asked again, the same answer, no call."""
        folder, _, name = path.rpartition("/")
        listing = self._listing(folder or "/")
        if listing is not None:
            entry = listing.entries.get(name)
            if entry is not None:
                return entry.stat(follow_symlinks=False)
            if not listing.may_hold_as(name):
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
        return os.lstat(path)

    def regular(self, path: str) -> os.stat_result | None:
        """``lstat`` of *path* when it is a regular file, else None (nothing there, a
        folder, a link, a FIFO, an error). A name the listing holds typed as something else
        (``d_type``) costs no call."""
        folder, _, name = path.rpartition("/")
        listing = self._listing(folder or "/")
        entry = None if listing is None else listing.entries.get(name)
        try:
            if entry is None:
                st = self.lstat(path)
            elif entry.is_file(follow_symlinks=False):  # d_type (DT_UNKNOWN: one lstat)
                st = entry.stat(follow_symlinks=False)
            else:
                return None  # a folder, a link, a FIFO
        except (OSError, ValueError):
            return None
        return st if stat.S_ISREG(st.st_mode) else None

    def lexists(self, path: str) -> bool:
        """What ``os.path.lexists(path)`` returns."""
        folder, _, name = path.rpartition("/")
        listing = self._listing(folder or "/")
        if listing is not None:
            if name in listing.entries:
                return True
            if not listing.may_hold_as(name):
                return False
        return os.path.lexists(path)
