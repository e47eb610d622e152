"""Card entries that an ASC MHL ignore pattern of the copy root's own hides, listed again.

A generation's ignore list hides what a copy root holds besides the card: ascmhl's defaults
(``ascmhl``, ``ascmhl/``: the history), and the copy root's legacy MHLs
(``<root name>_*.mhl``, ``manifests_writer``). Each is a name pattern: it hides that name at
any depth, folders included, and the reference tool (``ascmhl`` 1.2) never walks into an
ignored folder. A card may hold any name, so each card entry such a pattern hides is brought
back by a pattern after it, or left out with the reason, never silently:

* a card *file* named ``ascmhl`` below the root (:func:`history_named_files`): ``!`` and its
  exact pattern (:func:`~offload.manifest.links.exact_pattern`), then the same path as a
  folder-only pattern, which hides again a *folder* at that path: the copy root's own
  history when the root's absolute path ends with the file's folder (``A001/ascmhl`` in a
  root ``/mnt/RAID/A001``: ascmhl matches patterns against absolute paths). Nothing in the
  ASC MHL specification reserves the name for a file; only a *folder* so named is a
  history (ascmhl's ``os.walk`` looks for one among folders alone). At the card's root the
  name is the history folder's own: such a card is refused before the copy
  (:func:`root_entry_in_the_way`);
* a card *folder* named like the legacy MHLs (``DAY2_2024.mhl/`` in a root ``DAY2``):
  :func:`legacy_named_folders`.

pathspec matches a folder's pattern on everything below it (``!`` ones too) while
offload-ai's own matcher (:mod:`offload.manifest.ignore`) looks at a folder's verdict alone;
each folder brought back is therefore followed by every hiding pattern before it scoped
below it (:func:`~offload.manifest.copy_root.scoped_below`), and each folder the pattern
hides deeper in one brought back gets its own ``!`` pattern, so that both matchers list
the same paths.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from offload.manifest.copy_root import scoped_below
from offload.manifest.ignore import IgnoreSpec
from offload.manifest.layout import ASCMHL_FOLDER
from offload.manifest.links import exact_pattern, exact_pattern_path
from offload.manifest.xmlchars import xml_can_hold


def root_entry_in_the_way(files: Iterable[str]) -> str | None:
    """``ascmhl`` when it is among *files* (relative paths of the card's files and links):
    an entry at the card's root that is not a folder but has the name of the ASC MHL history
    folder every copy root needs (``ROOT/ascmhl/``, the specification's layout), so no
    history can be written beside its copy; None otherwise."""
    return ASCMHL_FOLDER if ASCMHL_FOLDER in files else None


def history_named_files(files: Iterable[str]) -> list[str]:
    """The patterns that list again each of *files* (relative paths, ``/``-separated) named
    ``ascmhl`` below the root (module doc): two a file, none for any other. A name XML
    cannot hold is skipped (the manifest step leaves such a file out, named)."""
    patterns: list[str] = []
    for path in _ending_with("/" + ASCMHL_FOLDER, files):
        if not xml_can_hold(path):
            continue
        exact = exact_pattern(path)
        patterns += ["!" + exact, exact + "/"]
    return patterns


def _ending_with(suffix: str, paths: Iterable[str]) -> list[str]:
    """Those of *paths* that end with *suffix*, in order: one search of the paths joined
    by NUL, which no path holds (the manifest step of a 50,000-file card asks it of every
    path: ~1 ms, where an ``endswith`` a path took ~3)."""
    text = "\0".join(paths) + "\0"
    found: list[str] = []
    end = text.find(suffix + "\0")
    while end >= 0:
        start = text.rfind("\0", 0, end) + 1
        found.append(text[start : end + len(suffix)])
        end = text.find(suffix + "\0", end + len(suffix))
    return found


def legacy_named_folders(
    root: Path, pattern: str, folders: Iterable[str], hiding: Sequence[str]
) -> tuple[list[str], dict[str, str]]:
    """The patterns that list again the card's *folders* (relative, ``/``-separated) that
    *pattern* (the copy root's legacy MHLs, ``<root name>_*.mhl``) hides, with what is in
    them, to follow *pattern* in an ignore list whose patterns before it are *hiding*
    (ascmhl's defaults, the history's newest list, the requested ones: re-applied below
    each folder brought back); and those left hidden, path → why: a folder whose path is
    part of *root*'s absolute path (``**/`` and its path, as ascmhl matches it, would list
    everything in the copy root, the legacy MHLs included). ``([], {})`` when no folder is
    so named: the list is then as it was."""
    spec = IgnoreSpec([pattern])
    named = sorted(f for f in folders if f and spec.matches(f, is_dir=True) and xml_can_hold(f))
    if not named:
        return [], {}
    root_parts = Path(os.path.abspath(root)).parts[1:]
    patterns: list[str] = []
    hidden: dict[str, str] = {}
    for folder in named:
        parts = tuple(folder.split("/"))
        inside = any(
            root_parts[start : start + len(parts)] == parts
            for start in range(len(root_parts) - len(parts) + 1)
        )
        if inside or any(folder.startswith(h + "/") for h in hidden):
            hidden[folder] = (
                f"the copy root's own path holds {folder}, so a pattern that lists it would "
                "list the copy root's legacy MHLs too"
                if inside
                else "it is in a folder left out so"
            )
            continue
        exact = exact_pattern(folder)
        patterns.append(f"!{exact}/")
        for earlier in dict.fromkeys(hiding):
            if _lists_again(earlier, pattern, spec):
                # this pattern's own, carried from the history: scoped below a folder it
                # would hide what it lists (the files so named, its nested folders)
                continue
            if earlier == ASCMHL_FOLDER:
                # a file so named in there is the card's, listed (history_named_files); a
                # folder so named stays hidden by ascmhl's "ascmhl/", scoped below too
                continue
            scoped = scoped_below(exact, earlier)
            if scoped is not None:
                patterns.append(scoped)
    return patterns, hidden


def _lists_again(earlier: str, pattern: str, spec: IgnoreSpec) -> bool:
    """Whether *earlier* (a pattern of the list before *pattern*, the legacy MHLs', whose
    matcher is *spec*) is *pattern* itself or one of the ``!`` ones that list its folders
    again (:func:`legacy_named_folders`): an earlier generation's, carried. Scoped below a
    folder brought back it would hide there what this list brings back: the legacy pattern,
    the card files so named (listed after it); a nested folder's ``!``, the rest of it."""
    if earlier == pattern:
        return True
    if not (earlier.startswith("!") and earlier.endswith("/")):
        return False
    path = exact_pattern_path(earlier[1:-1])
    return path is not None and spec.matches(path, is_dir=True)
