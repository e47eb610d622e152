"""Which folders a generation lists whole, and so may record a folder hash for.

A folder hash (``<directoryhash>``, the root's ``<roothash>``) describes a folder's whole
content. The reference tool (``ascmhl`` 1.2, ``verify -dh``) recomputes it from what is on
disk: every entry its walk does not ignore, a file by its hash, a sub-folder by its own
hashes (``os.path.isdir`` follows links; a link to a folder is not entered, and ``-dh``
cannot hash it). A generation that lists only part of a folder (a second card copied
``--into`` the same root, a file put there by hand, a name left out of the manifest) would
record a hash of a folder that is not on disk; listing the rest from an earlier record
would claim a check this run did not make. So such a folder, and every folder above it, is
left without a hash in that generation (its files keep their own hashes). A folder is
*whole* when:

* every entry in it that the generation's ignore list does not ignore is a file the
  generation lists, or a real folder (not a link) that is itself whole;
* every file and sub-folder the generation lists in it is there.

What is in a folder is asked of a :data:`Lister`, so a destination that is not a local
filesystem (an object store's keys) can answer too. A folder that cannot be listed is not
whole: no hash is better than a guess.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import NamedTuple

from offload.manifest.ignore import IgnoreSpec, directory_hash_skips, has_anchored, verify_skips


class Entry(NamedTuple):
    """One name in a folder as the reference tool's walk sees it.

    ``is_dir``: ``os.path.isdir`` of it (links followed); ``is_link``: it is a symlink.
    """

    name: str
    is_dir: bool
    is_link: bool


#: The entries of one folder, given relative to the root (``""``: the root itself).
#: Raises OSError when the folder cannot be listed.
Lister = Callable[[str], Iterable[Entry]]


def local_lister(root: Path) -> Lister:
    """What stands in the folders of *root* on the local filesystem (:func:`is_local`)."""
    return _LocalLister(root)


def is_local(lister: Lister, root: Path) -> bool:
    """Whether *lister* is :func:`local_lister` of *root* (or :func:`memoized` of one): what
    it lists is the local tree at *root*, whose files can be read there too (not an object
    store's keys). The same folder however spelled (``..``, a symlink to it, a bind mount
    of it): the same file on the same device (``st_dev``, ``st_ino``), not the same path
    text; a folder that cannot be looked up is not taken for it."""
    if isinstance(lister, _Memoized):
        lister = lister.inner
    if not isinstance(lister, _LocalLister):
        return False
    if lister.root == root:
        return True
    try:
        return os.path.samefile(lister.root, root)
    except OSError:
        return False


def memoized(lister: Lister) -> Lister:
    """*lister* answering each folder once (an error is not kept: asked again, it lists
    again), local where *lister* is (:func:`is_local`); one already memoized as it is, so
    callers that each memoize share one set of listings."""
    return lister if isinstance(lister, _Memoized) else _Memoized(lister)


class _Memoized:
    """:func:`memoized`."""

    def __init__(self, inner: Lister) -> None:
        self.inner = inner
        self._listings: dict[str, list[Entry]] = {}

    def __call__(self, folder: str) -> list[Entry]:
        found = self._listings.get(folder)
        if found is None:
            found = self._listings[folder] = list(self.inner(folder))
        return found


class _LocalLister:
    """:func:`local_lister`: a Lister that knows its root."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, folder: str) -> Iterable[Entry]:
        path = os.path.join(self.root, folder) if folder else os.fspath(self.root)
        with os.scandir(path) as listing:
            found = []
            for entry in listing:
                link = entry.is_symlink()
                try:
                    is_dir = entry.is_dir()  # follows a link, as os.path.isdir does
                except OSError:
                    is_dir = False  # a looping link: isdir is False for ascmhl too
                found.append(Entry(entry.name, is_dir, link))
        return found


def whole_folders(
    folders: Collection[str],
    files: Iterable[str],
    patterns: Iterable[str],
    lister: Lister,
) -> set[str]:
    """The folders among *folders* (relative, ``""`` the root) that a generation listing
    *files* (relative paths) and *folders* lists whole (module doc), as judged with the
    generation's own ignore list *patterns*, the raw list, applied as ``ascmhl-debug verify -dh``
    applies it, which recomputes the folder hashes (:func:`~offload.manifest.ignore.
    directory_hash_skips`: an anchored pattern at the root, after every other one). A
    listed file or folder that ``-dh`` skips (one an anchored pattern names that a later
    ``!`` pattern lists again) leaves its folder not whole: ``-dh`` would hash the folder
    without it. Lists each of *folders* once, deepest first."""
    listed = tuple(patterns)
    # without an anchored pattern the writer left out all -dh skips: no listed entry asked
    spec = directory_hash_skips(listed)
    return _whole(folders, files, spec, lister, listed_too=has_anchored(listed))


def whole_as_walked(
    folders: Collection[str],
    files: Iterable[str],
    patterns: Iterable[str],
    lister: Lister,
) -> set[str]:
    """The folders among *folders* in which plain ``ascmhl-debug verify`` of the root walks nothing
    a generation listing *files* and *folders* does not list, *patterns* applied as it
    applies them (:func:`~offload.manifest.ignore.verify_skips`: an anchored pattern never,
    so a folder holding what one names is not whole): where no nested history can stand
    (``nested_links``' search). The same as :func:`whole_folders` where *patterns* hold no
    anchored pattern (``ignore.has_anchored``)."""
    return _whole(folders, files, verify_skips(patterns), lister, listed_too=False)


def _whole(
    folders: Collection[str],
    files: Iterable[str],
    spec: IgnoreSpec,
    lister: Lister,
    *,
    listed_too: bool,
) -> set[str]:
    listed: dict[str, set[str]] = {folder: set() for folder in folders}
    subfolders: dict[str, set[str]] = {folder: set() for folder in folders}
    for path in files:
        parent, _, name = path.rpartition("/")
        listed.setdefault(parent, set()).add(name)
    for folder in folders:
        if folder:
            parent, _, name = folder.rpartition("/")
            subfolders.setdefault(parent, set()).add(name)
    whole: set[str] = set()
    # deepest first, so that each sub-folder is decided before its parent
    for folder in sorted(folders, key=lambda f: f.count("/") + bool(f), reverse=True):
        if _is_whole(folder, listed[folder], subfolders[folder], whole, spec, lister, listed_too):
            whole.add(folder)
    return whole


def _is_whole(
    folder: str,
    files: set[str],
    subfolders: set[str],
    whole: set[str],
    spec: IgnoreSpec,
    lister: Lister,
    listed_too: bool,
) -> bool:
    prefix = f"{folder}/" if folder else ""
    seen_files: set[str] = set()
    seen_folders: set[str] = set()
    try:
        entries = list(lister(folder))
    except OSError:
        return False
    for entry in entries:
        # What the generation lists is not ignored by its own list as the writer applies it
        # (it left out what that ignores); *listed_too*: asked anyway, as the spec (-dh's)
        # may skip more.
        if entry.is_dir and not entry.is_link and entry.name in subfolders:
            if prefix + entry.name not in whole:
                return False
            if listed_too and spec.matches(prefix + entry.name, is_dir=True):
                return False
            seen_folders.add(entry.name)
        elif not entry.is_dir and entry.name in files:
            if listed_too and spec.matches(prefix + entry.name, is_dir=False):
                return False
            seen_files.add(entry.name)
        elif not spec.matches(prefix + entry.name, is_dir=entry.is_dir):
            # a file, a dangling link, a folder or a link to one (never entered: ascmhl's
            # -dh cannot hash it) that the generation does not list
            return False
    # what the generation lists there but is gone (or is not what it lists) breaks it too
    return seen_files == files and seen_folders == subfolders
