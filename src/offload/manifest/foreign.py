"""What stands in a copy root that a generation does not list and no history records: the
entries plain ``ascmhl-debug verify`` (1.2) of that root will call new files (exit 21), and
``offload verify`` too, right after a run that verified every copy of the card.

``ascmhl-debug verify`` walks the root as its newest generation's ignore list lets it (a folder it
ignores is not entered, a link to a folder is never entered) and calls *new* each file (a
link to a file, a dangling link) for which no generation records an ``original`` hash; a
folder is never new itself. So an entry of a folder the generation lists is *foreign* when
it is:

* a file (or a link that is no folder) that the ignore list does not hide, the generation
  does not list, the history does not record (*known*), and the caller does not account
  for (*expected*: the card's own files it leaves out, each named by a warning of its own:
  a failed copy, a name XML cannot hold, a link left out);
* a real folder (not a link) the generation does not list that holds, at any depth, such a
  file: named once, as the folder (``OTHER/``), the first such file found ending its walk.
  One holding an ``ascmhl`` folder is a nested history: its files are judged against it,
  not this one, and it is not named. A folder of *expected* (a card folder the generation
  does not list) is entered and its foreign entries named one by one.

Only folders that are not whole as plain ``ascmhl-debug verify`` walks them are looked at
(:func:`~offload.manifest.coverage.whole_as_walked`, or ``whole_folders`` where the list
holds no anchored pattern: the same): a folder listed whole holds nothing unlisted that the
walk sees. Their listings are the ones the generation's own checks made, through its
memoized lister: a clean copy root is not listed again; only a folder no generation lists
(foreign content) is listed here, and only until its first foreign file. A folder that
cannot be listed is not named: nothing is said of what is not known.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Iterable

from offload.manifest.coverage import Entry, Lister
from offload.manifest.ignore import IgnoreSpec
from offload.manifest.layout import ASCMHL_FOLDER


def foreign_entries(
    folders: Collection[str],
    whole: Collection[str],
    files: Iterable[str],
    spec: IgnoreSpec,
    lister: Lister,
    *,
    known: Callable[[str], bool],
    expected: Container[str] = frozenset(),
) -> list[str]:
    """The foreign entries (module doc) of the generation's *folders* (relative, ``""`` the
    root) that are not *whole*, given the *files* it lists and *spec*, its ignore list as
    plain ``ascmhl-debug verify`` applies it (``ignore.verify_skips``): relative paths, a folder's
    with a trailing ``/``, sorted. Empty, with no listing asked, where every folder is whole."""
    scanned = sorted(f for f in folders if f not in whole)
    if not scanned:
        return []
    listed = set(files)
    found: list[str] = []

    def foreign_file(path: str) -> bool:
        return path not in listed and path not in expected and not known(path)

    def holds_new(folder: str) -> bool:
        entries = _listing(lister, folder)
        if entries is None or any(e.name == ASCMHL_FOLDER and e.is_dir for e in entries):
            return False
        for entry in entries:
            path = f"{folder}/{entry.name}"
            if spec.matches(path, is_dir=entry.is_dir):
                continue
            if not entry.is_dir:
                if foreign_file(path):
                    return True
            elif not entry.is_link and holds_new(path):
                return True
        return False

    def scan(folder: str, entries: Iterable[Entry]) -> None:
        prefix = f"{folder}/" if folder else ""
        for entry in entries:
            path = prefix + entry.name
            if spec.matches(path, is_dir=entry.is_dir):
                continue
            if not entry.is_dir:
                if foreign_file(path):
                    found.append(path)
            elif entry.is_link or path in folders:
                continue  # never entered; or a folder of the generation, scanned on its own
            elif path in expected:
                inner = _listing(lister, path)
                if inner is not None:
                    scan(path, inner)
            elif holds_new(path):
                found.append(path + "/")

    for folder in scanned:
        entries = _listing(lister, folder)
        if entries is not None:
            scan(folder, entries)
    return sorted(found)


def _listing(lister: Lister, folder: str) -> list[Entry] | None:
    try:
        return list(lister(folder))
    except OSError:
        return None
