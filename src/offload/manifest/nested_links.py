"""The links a nested history ignores, ignored by the root generation too.

A generation written at a copy root that also holds card copies with histories of their own
(a single file copied into a folder of card copies: the folder's new root history above
``A001/ascmhl``) leaves those folders to their nested histories. The reference tool
(``ascmhl`` 1.2) checks the nested histories' files in ``verify`` of the root, but with the
root history's ignore list alone: a dangling or looping link a nested history ignores by its
exact pattern (``manifest/links.py``) is then a new file to it (exit 21), though ``offload
verify`` of the root, which applies each history's own list, and ``ascmhl-debug verify`` of
the nested folder pass. A link to a folder needs nothing: ascmhl never enters one, nor calls
it new.

Contract: :func:`nested_links` tells a generation at a root that does not list its whole
tree which exact patterns (``**/<nested folder>/<path>``) to add, and which carried ones to
drop. A pattern is *due* for each exact pattern of a found nested history's newest ignore
list (``**/<path>``: the only kind offload-ai writes for a link, the only kind naming one
path) whose path is, there, a link not leading to a folder, that the root's other patterns
do not ignore, that XML can hold (:func:`~offload.manifest.xmlchars.xml_can_hold`), and
whose pattern hides nothing else: ascmhl matches it at any depth (``**/A001/CLIPS/dangling``
matches ``DAY2/A001/CLIPS/dangling`` too; there is no anchored form, as it matches patterns
against absolute paths), so no pattern is due that would match any other path standing in
the tree (a full listing of it, links not entered) or any path a history there records
(the root's, every nested one's, every generation, previous paths and folders included),
nor one whose own path a history records (:func:`~offload.manifest.links.pattern_hides`).
A history that cannot be read makes none due. The carried exact patterns of paths below a
found nested folder that are not due any longer are dropped (a real file now stands there,
or the pattern would now hide one): ascmhl reads the root's newest list alone, so a pattern
kept would hide that path from it for good. Where a nested history is found, every other
carried exact pattern that would hide another path than its own, standing or recorded in
the tree, is dropped too (a copy renamed away, its name reused by a copy in a day folder).
The links are judged with every carried exact pattern left out of the list (each is judged
here again), so a pattern dropped hides no other link from its own. Each path dropped comes
with a path its pattern would hide (``""`` when none is known), for the caller's warning.
The manifests and links are read from the local disk at *root*: the caller asks only with a
local lister (:func:`~offload.manifest.coverage.is_local`). For a tree listed elsewhere (an
S3 copy root's keys), :func:`hiding_elsewhere` names the carried exact patterns that would
hide a file standing there (a store holds no link): those alone are dropped there.

The tree a pattern must not hide (every path standing, every path a history records) is read
once a generation, :class:`TreeRead`: the manifests writer reads it for the card's own
links' patterns and hands it to this module through ``write_generation``. Its walk enters no
link, no history folder and no folder the generation's list ignores as plain ``ascmhl-debug
verify`` applies it (an anchored pattern never: :func:`~offload.manifest.ignore.
verify_skips`; it walks none of those folders, so a pattern hides nothing in one; one only
root may enter, a volume's ``.Spotlight-V100``, leaves the tree readable whole): a folder
named like a copy root's state (``.offload``) among them, which the root's list hides by
that name at any depth (a card's own folder so named is brought back and its content
recorded by the generation, so checked as the card's).

Cost: nothing where the generation lists its root whole (no nested history can stand
there). Else one listing of each folder not listed whole and not ignored, the nested
histories' folders included (a history nested in a nested one is checked by ``ascmhl-debug
verify`` of the root with the root's list too), and the ``<processinfo>`` of each one's
newest generation;
only when some pattern is due, or an exact pattern is carried (or the card has a link to
ignore), a listing of every folder of the tree and a read of every history in it (the
reference tool's ``verify`` of the root reads and walks as much). The caller's lister is
memoized, so no folder is listed twice in one generation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from offload.errors import describe_os_error, printable_name
from offload.manifest.coverage import Entry, Lister
from offload.manifest.errors import HistoryError
from offload.manifest.history import History, latest_ignore_patterns_of, read_history
from offload.manifest.ignore import IgnoreSpec, verify_skips
from offload.manifest.layout import ASCMHL_FOLDER
from offload.manifest.links import exact_pattern, exact_pattern_path, pattern_hides
from offload.manifest.xmlchars import unlisted_name_reason, xml_can_hold


class NestedLinks(NamedTuple):
    """What a generation changes in its list for the nested histories' links."""

    added: list[str]  # the patterns to add (sorted): due and not carried
    # the carried exact paths dropped, each with a path its pattern would hide ("": none
    # known: a real file stands there, the nested history no longer ignores it, or the tree
    # could not be read)
    retired: dict[str, str]


_NOTHING = NestedLinks([], {})


def nested_links(
    root: Path,
    patterns: Collection[str],
    carried: Mapping[str, str],
    whole: Collection[str],
    recorded: Iterable[str],
    history: History,
    lister: Lister,
    read: TreeRead | None = None,
) -> NestedLinks:
    """For a generation at *root* whose ignore list is *patterns*, *carried* its carried
    exact patterns (path -> pattern) it may drop, which lists the folders *whole* whole as
    plain ``ascmhl-debug verify`` walks them (``""`` the root; :func:`~offload.manifest.coverage.
    whole_as_walked`, not the folder hashes' ``whole_folders``, which apply an anchored
    pattern) and records the paths *recorded* (files and folders) over the root's
    *history*, *lister* telling what stands in a folder: the patterns to add and the
    carried paths to drop (module contract). *read*: the tree as the generation's caller
    read it already (:class:`TreeRead`), not read again. Every search applies *patterns* as
    plain ``ascmhl-debug verify`` does (:func:`~offload.manifest.ignore.verify_skips`: an
    anchored pattern never), so a folder an anchored pattern names is searched and its
    links judged, as ascmhl walks and checks it."""
    if "" in whole:
        return _NOTHING
    found = _nested_histories(patterns, whole, lister)
    if not found:
        return _NOTHING
    below = tuple(f"{folder}/" for folder in found)
    stale = {path for path in carried if path.startswith(below)}
    # judged as if none were carried: each is judged again below
    exact = set(carried.values())
    kept = [p for p in patterns if p not in exact]
    walk = verify_skips(kept)
    candidates: set[str] = set()
    for nested in found:
        candidates.update(_links_ignored(root, nested, walk, lister))
    others = set(carried) - stale
    if not candidates and not others:
        return NestedLinks([], dict.fromkeys(stale, ""))
    tree = _tree_paths(recorded, read or TreeRead(root, history, lister, kept))
    if tree is None:  # nothing can be shown to hide nothing: none due, the others kept
        return NestedLinks([], dict.fromkeys(stale, ""))
    standing, records = tree
    hiding = pattern_hides(candidates, standing, root)
    hiding.update(pattern_hides(candidates, records, root, itself=True))
    due = candidates - hiding.keys()
    # a carried pattern elsewhere (a copy renamed away, the root's own link) that would now
    # hide another path: a copy with the name reused, below a nested folder
    hides_another = pattern_hides(others, [*standing, *records], root)
    retired = {path: hiding.get(path, "") for path in stale - due}
    retired.update(hides_another)
    return NestedLinks(sorted(exact_pattern(p) for p in due - stale), retired)


def hiding_elsewhere(
    root: Path, carried: Mapping[str, str], patterns: Iterable[str], lister: Lister
) -> dict[str, str]:
    """The carried exact patterns (*carried*: path -> pattern) of a generation at *root*
    whose tree *lister* lists elsewhere than the local disk (an S3 copy root's keys) that
    would hide a file standing there, each with such a path (its own path included: what
    stands there is no link). An object store holds no link, and ``aws s3 sync`` down makes
    none, so such a pattern, written for a link on a disk (a card's own history carried, a
    copy root uploaded by another tool), only hides a real file from ``ascmhl-debug verify`` of
    the downloaded root: another copy's clip at that path. The nested histories there cannot
    be read (the staging root holds the root's alone), so a path only they record, gone from
    the store, is not known: such a pattern is kept. Entries the lister calls links are
    passed over, and folders *patterns* (what the generation's list hides whatever it drops)
    ignore as plain ``ascmhl-debug verify`` applies them are not entered (ascmhl does not walk
    them; :func:`~offload.manifest.ignore.verify_skips`). Nothing (every pattern kept) when
    a folder cannot be listed. Costs no request more than the generation's whole-folder
    check: the store's lister lists the prefix once."""
    if not carried:
        return {}
    try:
        files, _ = _whole_tree(lister, patterns, links=False)
    except OSError:
        return {}
    return pattern_hides(carried, files, root, itself=True)


def _nested_histories(patterns: Iterable[str], whole: Collection[str], lister: Lister) -> list[str]:
    """The folders below the root holding an ``ascmhl`` folder (a nested history), found by
    listing each folder not listed whole and not ignored by *patterns* as plain ``ascmhl-debug
    verify`` applies them (:func:`~offload.manifest.ignore.verify_skips`: it walks a folder
    an anchored pattern names, so one is searched), never entering a link or a history's
    folder. A nested history's own folders are searched too: ``ascmhl-debug verify`` of the root
    walks them and checks a history nested in a nested one (a card copied into
    ``A001/EXTRA``) with the root's list alone, as every other nested history's files."""
    spec = verify_skips(patterns)
    walk = _walk(
        lister,
        enter=lambda path: path not in whole and not spec.matches(path, is_dir=True),
        strict=False,
    )
    return sorted(folder for folder, entries in walk if _holds_history(folder, entries))


def _holds_history(folder: str, entries: list[Entry]) -> bool:
    """Whether *folder* (below the root: ``""`` is not) holds a history's folder."""
    return bool(folder) and any(_is_history(e) for e in entries)


def _is_history(entry: Entry) -> bool:
    return entry.name == ASCMHL_FOLDER and entry.is_dir and not entry.is_link


def _walk(
    lister: Lister,
    *,
    enter: Callable[[str], bool],
    strict: bool,
) -> Iterator[tuple[str, list[Entry]]]:
    """Each folder listed from the root down, with its entries: of a folder listed, each
    real sub-folder (not a link, not a history's folder) whose path *enter* takes is listed
    in turn. A folder that cannot be listed raises OSError if *strict*, else is passed
    over."""
    pending = [""]
    while pending:
        folder = pending.pop()
        try:
            entries = list(lister(folder))
        except OSError:
            if strict:
                raise
            continue
        yield folder, entries
        prefix = f"{folder}/" if folder else ""
        for entry in entries:
            path = prefix + entry.name
            if entry.is_dir and not entry.is_link and not _is_history(entry) and enter(path):
                pending.append(path)


def _links_ignored(root: Path, nested: str, spec: IgnoreSpec, lister: Lister) -> list[str]:
    """The paths (from *root*) of the links in the nested history's folder *nested* that its
    newest ignore list names by an exact pattern, that do not lead to a folder (as *lister*
    tells), that XML can hold and that *spec* does not ignore."""
    try:
        listed = latest_ignore_patterns_of(root / nested)
    except (OSError, HistoryError):
        return []  # its own check says why
    paths = []
    folders: dict[str, dict[str, Entry]] = {}  # each folder's entries by name, once
    for pattern in listed:
        named = exact_pattern_path(pattern)
        if named is None:
            continue
        path = f"{nested}/{named}"
        folder, _, name = path.rpartition("/")
        if folder not in folders:
            folders[folder] = _by_name(lister, folder)
        entry = folders[folder].get(name)
        if (
            entry is not None
            and entry.is_link
            and not entry.is_dir  # ascmhl never enters it, nor calls it new
            and xml_can_hold(path)
            and not spec.excludes(path, is_dir=False)
        ):
            paths.append(path)
    return paths


def _by_name(lister: Lister, folder: str) -> dict[str, Entry]:
    """What stands in *folder* (from the root) as *lister* lists it, by name; nothing if it
    cannot be listed (a name below a link, a file, or nothing: no link there)."""
    try:
        return {e.name: e for e in lister(folder)}
    except OSError:
        return {}


class TreeRead:
    """The tree below a generation's *root*, read once for all its checks (the manifests writer's
    card links, :func:`nested_links`): every path standing there and every path the root's
    *history* and every nested history records, or None when a folder cannot be listed or a
    history read (:meth:`paths`; :attr:`error` then says which, and why). Lists every folder
    through *lister* but those *spec* ignores (ascmhl's ``verify`` walks none of them, so a
    pattern hides nothing there: a volume's ``.Spotlight-V100`` only root may enter is
    passed over) and links and history folders; give the generation's memoized lister, so
    the folders its other checks list are listed once. *patterns*: what the generation's
    list hides whatever it drops (not a carried exact pattern, which it may drop), the raw
    list: the walk applies it as plain ``ascmhl-debug verify`` does (:func:`~offload.manifest.
    ignore.verify_skips`: an anchored pattern never, so what it names is read). Reads every
    nested history, as ascmhl's ``verify`` of the root does; the nested ones from the local
    disk at *root*, so a lister of another tree (an object store's keys) with a nested
    history in it gives None. Read when first asked, never again."""

    def __init__(
        self, root: Path, history: History, lister: Lister, patterns: Iterable[str]
    ) -> None:
        self.root = root
        self.history = history
        self._lister = lister
        self._patterns = tuple(patterns)

    def paths(self) -> tuple[list[str], list[str]] | None:
        """(standing, recorded) as the class doc says, or None."""
        read = self._read
        return None if isinstance(read, Exception) else read

    @property
    def error(self) -> OSError | HistoryError | None:
        """Why the tree could not be read whole (the folder not listed, the history not
        read), or None."""
        read = self._read
        return read if isinstance(read, Exception) else None

    @cached_property
    def _read(self) -> tuple[list[str], list[str]] | OSError | HistoryError:
        try:
            standing, histories = _whole_tree(self._lister, self._patterns)
            records = _recorded_paths(self.history, "")
            for folder in histories:
                nested = read_history(self.root / folder, check_chain=False)
                records += _recorded_paths(nested, folder)
        except (OSError, HistoryError) as exc:
            return exc
        return standing, records


def why_unread(error: OSError | HistoryError) -> str:
    """What of the copy root's tree could not be read (:attr:`TreeRead.error`), and why: the
    folder or file named and the error's words (``PRIVATE: Permission denied (EACCES)``), or
    the history's error. The one wording of ``offload copy``'s link warnings and ``offload
    verify --append``'s notes."""
    if isinstance(error, OSError):
        where = f"{printable_name(str(error.filename))}: " if error.filename else ""
        return f"{where}{describe_os_error(error)}"
    return str(error)


def no_pattern_shown(error: OSError | HistoryError) -> str:
    """Why a link gets no exact ignore pattern where the copy root's tree could not be read
    whole (:attr:`TreeRead.error`, worded by :func:`why_unread`): ``offload copy``'s warning
    for a card's link and ``offload verify --append``'s note for a link it did not read."""
    return (
        f"the copy root's tree could not be read whole ({why_unread(error)}), so no ignore "
        "pattern for it can be shown to hide no other path"
    )


def hides_words(hidden: str) -> str:
    """Why a link gets no exact ignore pattern when that pattern would hide *hidden*
    (another path ascmhl matches it against): the one wording of ``offload copy``'s warning
    and ``offload verify --append``'s note."""
    return f"an ignore pattern for it would also hide {printable_name(hidden)}"


def link_pattern_problems(
    candidates: Collection[str],
    listed_hides: Mapping[str, str],
    tree: TreeRead | None,
    root: Path,
) -> dict[str, str]:
    """Why each link of *candidates* (paths below *root* a generation would ignore by an
    exact pattern, :func:`~offload.manifest.links.exact_pattern`) gets none, by path; the
    others get theirs. One reason each, the first that holds, in this order:

    1. its pattern would hide a path the generation lists or its history records
       (*listed_hides*: ``pattern_hides(candidates, listed, root)``, made by the caller,
       ``offload copy`` once for its plan), that path named (:func:`hides_words`);
    2. XML cannot hold its name (``unlisted_name_reason``);
    3. with *tree* (the copy root's tree as plain ``ascmhl-debug verify`` walks it), where that
       tree cannot be read whole: why (:func:`no_pattern_shown`: no pattern is shown to
       hide nothing);
    4. its pattern would hide another path standing in that tree or recorded by a history
       there (a file in a folder only an anchored pattern names, a nested copy's file).

    The tree is read only when some link is left after 1 and 2. ``offload copy``'s links
    of a card and ``offload verify --append``'s unrecorded links are judged by it alike."""
    problems = {
        path: hides_words(listed_hides[path]) for path in candidates if path in listed_hides
    }
    rest: list[str] = []
    for path in candidates:
        if path in problems:
            continue
        if not xml_can_hold(path):
            problems[path] = unlisted_name_reason(path)
        else:
            rest.append(path)
    if tree is None or not rest:
        return problems
    found = tree.paths()
    if found is None:
        error = tree.error
        assert error is not None  # paths() is None exactly when error says why
        problems.update(dict.fromkeys(rest, no_pattern_shown(error)))
        return problems
    for path, hidden in pattern_hides(rest, itertools.chain(*found), root).items():
        problems[path] = hides_words(hidden)
    return problems


def _tree_paths(recorded: Iterable[str], read: TreeRead) -> tuple[list[str], list[str]] | None:
    """Every path standing below the root and every path a history there records:
    *read*'s (:class:`TreeRead`), with *recorded* (the generation's own)."""
    found = read.paths()
    if found is None:
        return None
    standing, records = found
    return standing, [*records, *recorded]


def _whole_tree(
    lister: Lister, patterns: Iterable[str], *, links: bool = True
) -> tuple[list[str], list[str]]:
    """Every path standing below the root (files, folders, links, or no link unless
    *links*; links, history folders and folders *patterns* ignore as plain ``ascmhl-debug
    verify`` applies them not entered (:func:`~offload.manifest.ignore.verify_skips`): a
    folder so ignored is a path, its content none) and the folders holding a history (``""`` left
    out). Raises OSError if a folder entered cannot be listed. The generation's list hides
    a folder named like a copy root's state (``.offload``: a nested copy's ledger and
    reports, the root's own) at any depth (``copy_root``), and brings back only the card's
    own folders so named, whose content the generation lists and checks against its
    patterns itself."""
    spec = verify_skips(patterns)
    standing: list[str] = []
    histories: list[str] = []
    walk = _walk(
        lister,
        enter=lambda path: not spec.matches(path, is_dir=True),
        strict=True,
    )
    for folder, entries in walk:
        prefix = f"{folder}/" if folder else ""
        for entry in entries:
            if _is_history(entry):  # ignored by every list (ascmhl's defaults)
                if folder:
                    histories.append(folder)
            elif links or not entry.is_link:
                standing.append(prefix + entry.name)
    return standing, histories


def _recorded_paths(history: History, folder: str) -> list[str]:
    """Every path *history* (of *folder*, ``""`` the root) records, in any generation:
    files, their previous paths, folders; from the root."""
    prefix = f"{folder}/" if folder else ""
    return [prefix + p for p in history.recorded_paths() if p not in ("", ".")]
