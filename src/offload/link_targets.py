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

A re-run finishes what such a run left: once the name the card's file was kept beside is
free (the user moved the other file away), the copy kept under another name no longer
stands for the file; it is copied again to its own name, proven there, and the link made
(:func:`copy_home`). Until then the link is not made, and the error says what to do.

The card's side is read from its scan (``SourceTree``), never from the card again: a
cascade has released the card before it finishes its slow destinations. The walk is the
manifests' own (:func:`offload.manifest.links.follow_link`): a link counts here exactly
when a manifest would list it as a file of the card.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from offload.errors import printable_name
from offload.ledger import LedgerEntry
from offload.model import SourceSymlink
from offload.plan import DestinationPlan, SourceTree
from offload.results import GOOD_STATUSES, DestinationStatus, FileResult

if TYPE_CHECKING:
    from offload.manifest.links import LinkKind


def card_targets(tree: SourceTree) -> dict[str, str]:
    """``{link: file}``: each symlink of the card that, followed inside the card one step at
    a time (never through an absolute target, never above the card's root), ends on a file
    the scan found (ignored entries are not the card's files), with that file's relative
    path. Links to anything else (a folder, nothing, out of the card) are not in it."""
    from offload.manifest.links import LinkKind

    return {
        link: leads_to
        for link, (kind, leads_to) in card_links(tree).items()
        if kind is LinkKind.FILE and leads_to is not None
    }


def card_links(tree: SourceTree) -> dict[str, tuple[LinkKind, str | None]]:
    """``{link: (kind, file)}``: each symlink of the card followed inside the card's scan as
    a manifest follows it on a copy (:func:`offload.manifest.links.follow_link`), in the
    scan's order; *file* the card's file it ends on for :attr:`LinkKind.FILE`, else None.
    A copy reproduces the card's tree, so on a destination that held nothing in their way
    the manifests judge each link so: the dry run names the links they will ignore."""
    if not tree.symlinks:
        return {}
    from offload.manifest.links import follow_link

    modes: dict[str, int] = {f.relative_path: stat.S_IFREG for f in tree.files}
    modes.update((d, stat.S_IFDIR) for d in tree.directories)
    links = {link.relative_path: link.target for link in tree.symlinks}
    modes.update((path, stat.S_IFLNK) for path in links)
    return {
        link.relative_path: follow_link(link.relative_path, modes.get, links.__getitem__)
        for link in tree.symlinks
    }


def copy_home(
    relative_path: str,
    own: str,
    linked: Collection[str],
    recorded: LedgerEntry | None,
    object_store: bool,
) -> bool:
    """Whether the plan copies the card's file *relative_path* again, to its own name *own*
    on a destination whose ledger trusts its copy (*recorded*) under another name
    (``--keep-both``: another file stood at *own*): only when a link of the card leads to
    it (*linked*: the values of :func:`card_targets`) and *own* is free now. The copy kept
    under the other name stays as it is (ours, verified); the new one, proven at its own
    name, is what the link leads to. Never on an object store (no links there). One lstat,
    for such a file only."""
    return (
        recorded is not None
        and bool(recorded.final_name)
        and relative_path in linked
        and not object_store
        and not os.path.lexists(own)
    )


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
        remedy = "a re-run makes it once the card's file is verified at its own name there"
        if result is None:
            why = f"{shown} was not copied there"
        elif result.status is DestinationStatus.FAILED:
            why = f"the copy of {shown} there failed ({result.error or 'no reason recorded'})"
        elif result.status not in GOOD_STATUSES:
            why = f"the copy of {shown} there was not finished ({result.status.value})"
        elif result.final_path != (home := plan.target_text(leads_to)):
            kept = printable_name(result.final_path)
            why = (
                f"the card's {shown} is kept there as {kept} (another file stands at its "
                "name: --keep-both)"
            )
            # What gets out: the name freed, a re-run copies the file there (copy_home).
            remedy = (
                f"move the other file at {printable_name(home)} away, then re-run: the card's "
                f"{shown} is copied to its own name, verified, and the link made ({kept} stays)"
            )
        else:
            continue
        path = plan.target_text(link.relative_path)
        left = "; the entry already at its path is left as it is" if os.path.lexists(path) else ""
        found[link.relative_path] = (
            f"symlink {printable_name(path)} -> {printable_name(link.target)} not made: {why}, "
            f"so the link would lead there to content that is not the card's ({remedy}){left}"
        )
    return found
