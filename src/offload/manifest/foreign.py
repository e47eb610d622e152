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
  One holding an ``ascmhl`` folder is a nested history: not named itself, its files are
  judged against that history (``ascmhl-debug verify`` of the root does, with the root's list;
  ``offload verify`` with the nested list too: a file either hides is not named), and each
  it does not record named one by one (``OTHER/late.mov``); where that history cannot be
  read (an S3 copy root's staging holds the root's alone), they are not named. A folder
  of *expected* (a card folder the generation does not list) is entered and its foreign
  entries named one by one.

A foreign entry in a folder the list as written hides (*checked*: the list as ``offload
verify``, ``ascmhl create`` and ``verify -dh`` apply it) but plain ``ascmhl-debug verify`` walks
(an anchored pattern's folder, ``/PROXY/``: it never applies one) is *anchored-only*, kept
apart (:attr:`Foreign.anchored_only`): ``offload verify`` passes over it with a note, and
neither it nor ``ascmhl create`` would ever record it. A file only an anchored pattern for
that file hides is left out: ``offload verify`` passes over it without a word, so no
sentence of ours would be true of it.

Only folders that are not whole as plain ``ascmhl-debug verify`` walks them are looked at
(:func:`~offload.manifest.coverage.whole_as_walked`, or ``whole_folders`` where the list
holds no anchored pattern: the same): a folder listed whole holds nothing unlisted that the
walk sees. Their listings are the ones the generation's own checks made, through its
memoized lister: a clean copy root is not listed again; only a folder no generation lists
(foreign content) is listed here, and only until its first foreign file. A folder that
cannot be listed is not named: nothing is said of what is not known. The walk keeps its own
stack (no recursion): a folder put there by hand may be deeper than Python's recursion limit.
The caller (``write_generation``) turns any other error of this look into a warning of its
own: it never costs the generation.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Iterable
from typing import NamedTuple

from offload.manifest.coverage import Entry, Lister
from offload.manifest.ignore import IgnoreSpec
from offload.manifest.layout import ASCMHL_FOLDER

#: How the files of a folder are judged: what its history records (by path from the root),
#: and what the list as written hides there (None: nothing apart from the walk's list).
_Judge = tuple[Callable[[str], bool], IgnoreSpec | None]


class Foreign(NamedTuple):
    """What :func:`foreign_entries` found: relative paths, a folder's with a trailing ``/``,
    sorted."""

    entries: list[str]  # what plain ascmhl-debug verify and offload verify both call new
    anchored_only: list[str]  # what only plain ascmhl-debug verify calls new (module doc)
    # a nested history was met (offload verify --append of the root refuses to write then)
    nested: bool = False


def foreign_entries(
    folders: Collection[str],
    whole: Collection[str],
    files: Iterable[str],
    spec: IgnoreSpec,
    lister: Lister,
    *,
    known: Callable[[str], bool],
    expected: Container[str] = frozenset(),
    checked: IgnoreSpec | None = None,
    nested_known: Callable[[str], Callable[[str], bool] | None] | None = None,
) -> Foreign:
    """The foreign entries (module doc) of the generation's *folders* (relative, ``""`` the
    root) that are not *whole*, given the *files* it lists and *spec*, its ignore list as
    plain ``ascmhl-debug verify`` applies it (``ignore.verify_skips``); *checked*: that list as
    ``offload verify`` applies it (None: as *spec*). *nested_known*: for a nested history's
    folder, what its history records (or hides by its own list) by path from the root, or
    None where it cannot be read (then its files are not named); None: nested histories are
    not looked into. Empty, with no listing asked, where every folder is whole."""
    scanned = sorted(f for f in folders if f not in whole)
    if not scanned:
        return Foreign([], [])
    listed = set(files)
    found: set[str] = set()
    apart: set[str] = set()  # anchored-only
    # the foreign folders named already (not listed further), each anchored-only or not: the
    # flag of its top, which every folder in it shares (one the list as written hides below
    # a top it does not is passed over: what offload verify notes apart)
    named: dict[str, bool] = {}
    nested = False
    # An explicit stack, never recursion: a folder put there by hand may be deeper than
    # Python's recursion limit (a thousand levels of one-letter names). Each item: a folder,
    # the foreign folder it lies in ("": none, its foreign entries are named one by one),
    # and whether the list as written hides it (anchored-only).
    root_judge: _Judge = (known, checked)
    pending: list[tuple[str, str, bool, _Judge]] = [
        (folder, "", False, root_judge) for folder in reversed(scanned)
    ]
    while pending:
        folder, within, hidden, (known, checked) = pending.pop()
        if within and within in named:
            continue  # its folder is named already: the first foreign file ends its walk
        entries = _listing(lister, folder)
        if entries is None:
            continue
        if within and any(e.name == ASCMHL_FOLDER and e.is_dir for e in entries):
            # a nested history: its files are judged against it (ascmhl-debug verify of the root
            # does, with the root's list; offload verify with its own list too), one by one
            nested = True
            its = nested_known(folder) if nested_known is not None else None
            if its is not None:
                pending.append((folder, "", False, (its, None)))
            continue
        prefix = f"{folder}/" if folder else ""
        below: list[tuple[str, str, bool, _Judge]] = []
        judge: _Judge = (known, checked)
        for entry in entries:
            path = prefix + entry.name
            if not entry.is_dir and (path in listed or known(path)):
                continue  # never foreign, ignored or not: asked first, the usual case
            if spec.matches(path, is_dir=entry.is_dir):
                continue
            # a folder the list as written hides, or what lies in one: anchored-only
            skipped = checked is not None and checked.matches(path, is_dir=entry.is_dir)
            if not entry.is_dir:
                if skipped and not hidden:
                    continue  # a file only an anchored pattern for it hides (module doc)
                if path not in expected:
                    if within:
                        named[within] = hidden
                        break
                    (apart if hidden else found).add(path)
            elif entry.is_link or (not within and path in folders):
                continue  # never entered; or a folder of the generation, scanned on its own
            elif within:
                if skipped and not hidden:
                    continue  # what offload verify notes apart: not this folder's to name
                below.append((path, within, hidden, judge))
            elif path not in expected or skipped:
                below.append((path, path, hidden or skipped, judge))
            else:  # a card folder the generation does not list: entered, named one by one
                below.append((path, "", hidden, judge))
        pending.extend(reversed(below))
    return Foreign(
        sorted({*found, *(f"{f}/" for f, hidden in named.items() if not hidden)}),
        sorted({*apart, *(f"{f}/" for f, hidden in named.items() if hidden)}),
        nested,
    )


def _listing(lister: Lister, folder: str) -> list[Entry] | None:
    try:
        return list(lister(folder))
    except OSError:
        return None
