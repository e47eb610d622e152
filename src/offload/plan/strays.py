"""The partial files an interrupted run left in the folders an offload writes to.

A run killed mid-copy (SIGKILL, power cut) leaves its ``.offload-partial.*`` files, full
size, beside the names they were to take. The next offload of that card removes them
(``card._remove_stray_partials``, under the copy root's lock, before its first byte), so the
preflight counts the room they hold as free (``space.check_devices``): a re-run onto a
nearly full drive is not refused for the space its own clean-up gives back. Only the
folders this offload writes to are looked at: with ``--into`` a destination may hold much
else, and another card's partials are not ours to remove.
"""

from __future__ import annotations

import os

from offload.destinations.naming import is_partial_name
from offload.plan.destination import DestinationPlan
from offload.plan.scan import SourceTree


def stray_partials(tree: SourceTree, plan: DestinationPlan) -> list[tuple[str, int]]:
    """Each partial file in the folders *plan* writes *tree*'s files to, with the bytes it
    holds on its filesystem (``st_blocks``: what removing it gives back); a folder that is
    not there or cannot be listed has none (the copy says what is wrong with it)."""
    # The folders first (a card has a few dozen), then one path each: a Path per file
    # took ~1 s on a 50,000-file card.
    folders = {
        plan.target_for(f.relative_path).parent
        for f in {f.relative_path.rpartition("/")[0]: f for f in tree.files}.values()
    }
    found: list[tuple[str, int]] = []
    for folder in sorted(folders):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not is_partial_name(entry.name):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if entry.is_file(follow_symlinks=False):
                found.append((entry.path, st.st_blocks * 512))
    return found
