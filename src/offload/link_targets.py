"""Which file of the card a symlink of the card leads to, and whether a destination holds
that file's proven copy where the link, made there, would lead.

A link of the card is reproduced as a link (never followed), so on a destination it leads
to whatever stands at its target's name there. That is the card's content only when the
copy of the file it leads to on the card is at that name there and was proven by this run
or an earlier one (verified now, verified earlier, or transfer-checked): not when that copy
failed or was refused (a foreign file at its name), was kept under another name
(``--keep-both``), or was not finished. Then the link made there would lead to content that
is not the card's, which a manifest reading through it would record as the card's: the card
layer does not make it, and names why (:func:`unproven_targets`).

The card's side is read from its scan (``SourceTree``), never from the card again: a
cascade has released the card before it finishes its slow destinations. The walk is the
manifests' own (:func:`offload.manifest.links.follow_link`): a link counts here exactly
when a manifest would list it as a file of the card.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping

from offload.errors import printable_name
from offload.model import SourceSymlink
from offload.plan import DestinationPlan, SourceTree
from offload.results import GOOD_STATUSES, DestinationStatus, FileResult


def card_targets(tree: SourceTree) -> dict[str, str]:
    """``{link: file}``: each symlink of the card that, followed inside the card one step at
    a time (never through an absolute target, never above the card's root), ends on a file
    the scan found (ignored entries are not the card's files), with that file's relative
    path. Links to anything else (a folder, nothing, out of the card) are not in it."""
    if not tree.symlinks:
        return {}
    from offload.manifest.links import LinkKind, follow_link

    modes: dict[str, int] = {f.relative_path: stat.S_IFREG for f in tree.files}
    modes.update((d, stat.S_IFDIR) for d in tree.directories)
    links = {link.relative_path: link.target for link in tree.symlinks}
    modes.update((path, stat.S_IFLNK) for path in links)
    found: dict[str, str] = {}
    for link in tree.symlinks:
        kind, leads_to = follow_link(link.relative_path, modes.get, links.__getitem__)
        if kind is LinkKind.FILE and leads_to is not None:
            found[link.relative_path] = leads_to
    return found


def unproven_targets(
    links: Iterable[SourceSymlink],
    targets: Mapping[str, str],
    files: Mapping[str, FileResult],
    plan: DestinationPlan,
) -> dict[str, str]:
    """``{link: error}`` for each of *links* (the card's) that leads to a file of the card
    (*targets*, from :func:`card_targets`) whose proven copy on the destination of *plan*
    is not at the name the link leads to there (*files*: the job's results of those files,
    by relative path): the link is not made there, and *error* says why, in words."""
    found: dict[str, str] = {}
    for link in links:
        leads_to = targets.get(link.relative_path)
        if leads_to is None:
            continue
        file = files.get(leads_to)
        result = None if file is None else file.destination(plan.index)
        shown = printable_name(leads_to)
        if result is None:
            why = f"{shown} was not copied there"
        elif result.status is DestinationStatus.FAILED:
            why = f"the copy of {shown} there failed ({result.error or 'no reason recorded'})"
        elif result.status not in GOOD_STATUSES:
            why = f"the copy of {shown} there was not finished ({result.status.value})"
        elif result.final_path != plan.target_text(leads_to):
            kept = printable_name(result.final_path)
            why = (
                f"the card's {shown} is kept there as {kept} (another file stands at its "
                "name: --keep-both)"
            )
        else:
            continue
        path = plan.target_text(link.relative_path)
        left = "; the entry already at its path is left as it is" if os.path.lexists(path) else ""
        found[link.relative_path] = (
            f"symlink {printable_name(path)} -> {printable_name(link.target)} not made: {why}, "
            "so the link would lead there to content that is not the card's (a re-run makes "
            f"it once the card's file is verified at its own name there){left}"
        )
    return found
