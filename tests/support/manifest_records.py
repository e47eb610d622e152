"""One card's records for one destination, handed to the manifests writer: the shared set-up
of the unit tests that call ``write_manifests`` directly on a copy root they built."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from offload.manifest import ManifestFile
from offload.manifest_options import ManifestOptions
from offload.manifests_writer import (
    DestinationRecords,
    LinkToRecord,
    ManifestResult,
    OffloadRecords,
    write_manifests,
)


def write_one_destination(
    tmp_path: Path,
    root: Path,
    destination: Path,
    files: Sequence[ManifestFile],
    *,
    links: tuple[LinkToRecord, ...] = (),
    directories: tuple[str, ...] = (),
    anything_new: bool = True,
) -> ManifestResult:
    """Write the manifests of a card at ``tmp_path/card`` (no history of its own, xxh64, no
    ignore patterns) copied to *root* under *destination*, with *files* verified there and
    *links* of the card; returns that one destination's result."""
    records = OffloadRecords(
        source=tmp_path / "card",
        card_has_history=False,
        directories=directories,
        algorithms=("xxh64",),
        ignore_patterns=(),
        started_at=0.0,
        destinations=(
            DestinationRecords(
                index=0,
                root=root,
                destination=destination,
                files=list(files),
                anything_new=anything_new,
                links=links,
            ),
        ),
    )
    (result,) = write_manifests(records, ManifestOptions())
    return result


def listed_actions(root: Path) -> list[dict[str, set[str]]]:
    """What each generation of *root*'s ASC MHL history lists, oldest first: path → the
    actions of its hash elements."""
    from offload.manifest import read_history

    return [
        {record.path: {entry.action or "" for entry in record.hashes} for record in gen.files}
        for gen in read_history(root).generations
    ]
