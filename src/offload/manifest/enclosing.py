"""The histories above a copy root whose ignore lists hide files of the copy.

A copy root written inside the tree of another folder with an ASC MHL history (a card
copied into a folder of another card's copy, ``RAID/A001/EXTRA/C001``) is a nested history
of that folder. The reference tool (``ascmhl`` 1.2) checks a nested history's files in
``verify`` of the enclosing folder with the enclosing history's newest ignore list alone
(section "Nested histories under a root" of docs/design.md): a pattern there, such as the
exact pattern ``**/CLIPS/take.mov`` the enclosing copy holds for a dangling link of its own
card, hides the copy's file of that path from it, so ``ascmhl-debug verify`` of the
enclosing folder passes with that file damaged (``offload verify`` of it applies each
history's own list, and ``ascmhl-debug verify`` of the copy root its own). The enclosing
history is not this run's to change (a generation there would record no check of its
files), so the copy's generation is written as it is and the caller names each such file.

Contract: :func:`enclosing_hides` names, for a copy root and the paths its new generation
records, each folder above the root holding a history (``<folder>/ascmhl`` a folder) whose
newest ignore list, applied as plain ``ascmhl-debug verify`` applies it (an anchored pattern
never: :func:`~offload.manifest.ignore.verify_skips`), excludes one of those paths, with the
first such path and how many there are (:class:`Hidden`); and each such history whose list
cannot be read (:class:`Unread`: whether it hides files of the copy is not known, so the
caller says so, never a silence that reads as "nothing hidden"). Matched from the folder
down, as the patterns offload-ai and ``ascmhl create`` write are (a pattern whose match
would begin in the folder's own path above it is not looked for). Costs one ``stat`` per
folder above the root; only a history found is read, up to its ``<processinfo>``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from offload.manifest.errors import HistoryError
from offload.manifest.history import latest_ignore_patterns_of
from offload.manifest.ignore import verify_skips
from offload.manifest.layout import ASCMHL_FOLDER


class Hidden(NamedTuple):
    """The files of a copy an enclosing history's ignore list hides from ``ascmhl-debug verify``
    of its folder."""

    folder: Path  # the enclosing folder (holding the history)
    first: str  # the first such path, relative to the copy root
    hides: int  # how many of the paths given it hides


class Unread(NamedTuple):
    """A history above a copy root whose newest ignore list could not be read: what it hides
    of the copy is not known."""

    folder: Path  # the enclosing folder (holding the history)
    error: OSError | HistoryError  # why (the manifest or folder named)


def enclosing_hides(root: Path, paths: Sequence[str]) -> list[Hidden | Unread]:
    """For the copy root *root* and the paths (relative, ``/``-separated) its new generation
    records, what each history above *root* hides of them, or that it could not be read
    (module contract), nearest first."""
    if not paths:
        return []
    found: list[Hidden | Unread] = []
    here = Path(os.path.abspath(root))
    below = [here.name]
    for folder in here.parents:
        if os.path.isdir(folder / ASCMHL_FOLDER) and not os.path.islink(folder / ASCMHL_FOLDER):
            hidden = _hidden_by(folder, "/".join(reversed(below)), paths)
            if hidden is not None:
                found.append(hidden)
        below.append(folder.name)
    return found


def _hidden_by(folder: Path, prefix: str, paths: Sequence[str]) -> Hidden | Unread | None:
    """What the history in *folder* hides of *paths*, which stand below it at *prefix*
    (None: nothing), or why its list could not be read."""
    try:
        patterns = latest_ignore_patterns_of(folder)
    except (OSError, HistoryError) as exc:
        return Unread(folder, exc)
    spec = verify_skips(patterns)
    placed = [f"{prefix}/{path}" for path in paths]
    if spec.excludes_no_file(placed):
        return None
    hidden = [
        path for path, at in zip(paths, placed, strict=True) if spec.excludes(at, is_dir=False)
    ]
    return Hidden(folder, hidden[0], len(hidden)) if hidden else None
