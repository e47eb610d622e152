"""What a dry run says in advance of the card's symlinks and empty folders: the links and
folders the run will make on each local destination, and the warnings its manifests will
give of the links they ignore (one that dangles can mean a missing clip).

A copy reproduces the card's tree: each link is copied as a link (never followed), each
folder made, empty ones included. An object store (``s3://``) holds neither: its own
preflight warnings name the links it cannot hold. The manifests (ASC MHL only: ``--mhl
none`` and ``legacy`` list no links) follow each link there as
:func:`offload.manifest.links.follow_link` does; the card's scan is followed the same way
(:func:`offload.link_targets.card_links`), and each link that does not end on a file of the
card is named with the run's own words (:func:`offload.manifests_writer.ignored_link_note`).
A link already standing at its path on a destination (a re-run: an earlier run copied it,
and that destination's history holds it) is neither made there nor warned of again, as the
run does not. A link whose target, on the card a path the card lacks, already stands on a
destination (a stray file there) is judged there by the run against what stands; its line
says it is the card's view, not the run's words.
What the dry run cannot tell in advance: a link whose ignore pattern would hide another
path standing on that destination (the run then leaves it out of the manifest, and says so).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offload.card import OffloadPlan
from offload.errors import printable_name


@dataclass(frozen=True)
class LinkWarning:
    """A warning the run's manifests will give of one link on one destination."""

    destination_index: int
    path: str
    message: str


@dataclass(frozen=True)
class LinksAndFolders:
    """The card's links (``path``, ``target``, the manifests' ``kind``), its empty folders,
    the destinations that will hold them (local ones) and the link warnings."""

    symlinks: list[dict[str, str]]
    empty_folders: list[str]
    local: frozenset[int]
    warnings: list[LinkWarning]
    # By destination, the card's links already standing at their path there (not made).
    standing: dict[int, frozenset[str]] = field(default_factory=dict)

    def made_on(self, index: int) -> tuple[int, int]:
        """(links, empty folders) the run makes on destination *index* (0, 0 on S3): not
        the links already standing there."""
        if index not in self.local:
            return 0, 0
        return len(self.symlinks) - len(self.standing.get(index, ())), len(self.empty_folders)

    def as_json(self) -> dict[str, Any]:
        return {"symlinks": self.symlinks, "empty_folders": self.empty_folders}

    def warnings_on(self, index: int) -> list[str]:
        return [w.message for w in self.warnings if w.destination_index == index]


def links_and_folders(plan: OffloadPlan) -> LinksAndFolders:
    """What the run will make of the card's links and empty folders (module doc)."""
    from offload.link_targets import card_links
    from offload.manifest.links import LinkKind
    from offload.manifests_writer import ignored_link_note

    tree = plan.tree
    kinds = card_links(tree)
    targets = {link.relative_path: link.target for link in tree.symlinks}
    symlinks = [
        {"path": path, "target": targets[path], "kind": str(kind)}
        for path, (kind, _) in kinds.items()
    ]
    # A folder is empty on the copy when nothing copied stands below it: no file, link or
    # folder (a FIFO, a device or an ignored entry is not copied).
    holding = {
        path.rpartition("/")[0]
        for path in (
            *(f.relative_path for f in tree.files),
            *targets,
            *tree.directories,
        )
    }
    empty = [d for d in tree.directories if d not in holding]
    local = frozenset(p.index for p in plan.plans if p.index not in plan.backends)
    warnings = []
    standing: dict[int, frozenset[str]] = {}
    for destination in plan.plans:
        if destination.index not in local:
            continue
        root = Path(destination.root)
        there = frozenset(path for path in kinds if os.path.lexists(root / path))
        standing[destination.index] = there
        if not plan.options.manifests.writes_ascmhl:
            continue
        for path, (kind, _) in kinds.items():
            if kind is LinkKind.FILE or path in there:
                continue  # a link standing already: neither made nor warned of again
            shown = f"symlink {printable_name(path)} on {destination.root}"
            message = f"{shown}: {ignored_link_note(kind)}"
            if _target_stands(root, path, targets[path]):
                message += (
                    " (as the card holds it: something already stands at its target on this "
                    "destination, which the run judges then)"
                )
            warnings.append(LinkWarning(destination.index, path, message))
    return LinksAndFolders(symlinks, empty, local, warnings, standing)


def _target_stands(root: Path, path: str, target: str) -> bool:
    """Whether the relative *target* of the link at *path* already stands under *root*
    (a destination's copy root), where the run then judges what stands, not the card."""
    if os.path.isabs(target):
        return False
    resolved = os.path.normpath(os.path.join(root, os.path.dirname(path), target))
    inside = os.path.commonpath([resolved, os.path.normpath(root)]) == os.path.normpath(root)
    return inside and os.path.lexists(resolved)


def add_to_json(shown: dict[str, Any], made: LinksAndFolders) -> dict[str, Any]:
    """*shown* (the dry run's JSON) with the card's ``symlinks`` and ``empty_folders``, and
    on each destination what the run makes there and the link warnings it gives
    (docs/json.md)."""
    for entry in shown["destinations"]:
        links, folders = made.made_on(entry["index"])
        entry["symlinks_made"] = links
        entry["empty_folders_made"] = folders
        entry["link_warnings"] = made.warnings_on(entry["index"])
    return {**shown, **made.as_json()}


def print_made(stream: Any, made: LinksAndFolders, index: int) -> None:
    """The text's lines of what the run makes on destination *index* (none on S3, none of
    0: most cards hold neither)."""
    from offload.report.words import plural

    links, folders = made.made_on(index)
    if links:
        print(
            f"  {plural(links, 'symlink')} would be made (copied as links, never followed)",
            file=stream,
        )
    if folders:
        print(f"  {plural(folders, 'empty folder')} would be made", file=stream)
