"""The links a nested history ignores, ignored by the root generation too.

A generation written at a copy root that also holds card copies with histories of their own
(a single file copied into a folder of card copies: the folder's new root history above
``A001/ascmhl``) leaves those folders to their nested histories. The reference tool
(``ascmhl`` 1.2) checks the nested histories' files in ``verify`` of the root, but with the
root history's ignore list alone: a link a nested history ignores by its exact pattern (a
link to a folder, a dangling one: ``manifest/links.py``) is then a new file to it (exit 21),
though ``offload verify`` of the root, which applies each history's own list, and
``ascmhl-debug verify`` of the nested folder pass.

Contract: :func:`nested_link_patterns` gives, for each nested history found below a root
whose generation does not list its whole tree, each exact pattern of that history's newest
ignore list (``**/<path>``: the only kind offload-ai writes for a link, and the only kind
that names one path) whose path is a link there and the root's list does not ignore,
scoped to the root (``**/<nested folder>/<path>``), so that the root generation ignores
those paths too. Never one that would hide a file or folder the generation records
(:func:`offload.manifest.links.pattern_hides`). Costs nothing where the generation lists
its root whole (no other folder can stand there); else one listing of each folder not
listed whole, down to the first nested history on each branch, and one read of each
nested history found: its newest generation's ``<processinfo>`` alone (the patterns come
before the file records), its chain not checked (its own check does that). Only links
(``islink``) are so ignored: a pattern of a nested list naming a file hides no file from
the root's check. A nested history that cannot be read adds nothing (its own check says
why); a folder that cannot be listed is passed over.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable
from pathlib import Path

from offload.manifest.coverage import Lister
from offload.manifest.ignore import IgnoreSpec
from offload.manifest.layout import ASCMHL_FOLDER
from offload.manifest.links import exact_pattern, exact_pattern_path, pattern_hides


def nested_link_patterns(
    root: Path,
    patterns: Iterable[str],
    whole: Collection[str],
    recorded: Collection[str],
    lister: Lister,
) -> list[str]:
    """The patterns to add to a generation at *root* whose ignore list is *patterns*, which
    lists the folders *whole* whole (``""`` the root) and records the paths *recorded*
    (files and folders), *lister* telling what stands in a folder (module contract).
    Sorted; empty when the root is listed whole or no nested history ignores a link."""
    if "" in whole:
        return []
    spec = IgnoreSpec(patterns)
    added: set[str] = set()
    for nested in _nested_histories(spec, whole, lister):
        added.update(_links_ignored(root, nested, spec))
    if not added:
        return []
    hiding = pattern_hides(added, recorded, root)
    return sorted(exact_pattern(path) for path in added if path not in hiding)


def _nested_histories(spec: IgnoreSpec, whole: Collection[str], lister: Lister) -> list[str]:
    """The folders below the root holding an ``ascmhl`` folder (a nested history), found by
    listing each folder not listed whole and not ignored, never entering a link, nor a
    nested history's folder (its own nested ones are its business)."""
    found: list[str] = []
    pending = [""]
    while pending:
        folder = pending.pop()
        prefix = f"{folder}/" if folder else ""
        try:
            entries = list(lister(folder))
        except OSError:
            continue
        if folder and any(e.name == ASCMHL_FOLDER and e.is_dir and not e.is_link for e in entries):
            found.append(folder)
            continue
        for entry in entries:
            path = prefix + entry.name
            if (
                entry.is_dir
                and not entry.is_link
                and path not in whole
                and not spec.matches(path, is_dir=True)
            ):
                pending.append(path)
    return sorted(found)


def _links_ignored(root: Path, nested: str, spec: IgnoreSpec) -> list[str]:
    """The paths (from *root*) of the links in the nested history's folder *nested* that its
    newest ignore list names by an exact pattern and *spec* does not ignore."""
    paths = []
    for pattern in _newest_ignore_list(root / nested / ASCMHL_FOLDER):
        named = exact_pattern_path(pattern)
        if named is None:
            continue
        path = f"{nested}/{named}"
        stands = root / path
        if os.path.islink(stands) and not spec.excludes(path, is_dir=os.path.isdir(stands)):
            paths.append(path)
    return paths


def _newest_ignore_list(folder: Path) -> list[str]:
    """The ignore patterns of the newest generation in the history folder *folder* (the
    highest ``NNNN_*.mhl``), read up to the end of its ``<processinfo>``, which holds them
    and comes before its ``<hashes>``: a card's history of 50,000 files is not parsed for
    them. Empty where there is none or it cannot be read."""
    import xml.etree.ElementTree as ET

    from offload.manifest.history import generation_number_of

    try:
        with os.scandir(folder) as listing:
            numbered = [
                (number, entry.name)
                for entry in listing
                if (number := generation_number_of(entry.name)) is not None
            ]
        if not numbered:
            return []
        patterns: list[str] = []
        for _, element in ET.iterparse(folder / max(numbered)[1], events=("end",)):
            tag = element.tag.rpartition("}")[2]
            if tag == "pattern":
                patterns.append(element.text or "")
            elif tag in ("processinfo", "hashes"):
                break
        return patterns
    except (OSError, ET.ParseError):
        return []
