"""Preflight check of file sizes: a file larger than the destination filesystem can hold
(FAT's 4 GiB - 1 byte), refused before the copy instead of failing with EFBIG after the
first 4 GiB of it were written."""

from __future__ import annotations

from pathlib import Path

from offload.errors import printable_name
from offload.plan.destination import DestinationPlan
from offload.plan.filesystem import FilesystemInfo
from offload.plan.preflight.findings import C, Findings, human_bytes
from offload.plan.scan import SourceTree


def check_file_sizes(
    tree: SourceTree, plan: DestinationPlan, fs: FilesystemInfo, out: Findings
) -> None:
    """An error (``file-too-large``) for each file of *tree* larger than *fs* holds.

    Every file is checked, not only those this run writes: none that large can already be
    there. Reads only the sizes the scan recorded; never raises.
    """
    limit = fs.max_file_bytes
    if limit is None:
        return
    for f in tree.files:
        if f.size_bytes > limit:
            out.error(
                C.FILE_TOO_LARGE,
                Path(f.path_text),
                f"{printable_name(f.relative_path)!r} ({human_bytes(f.size_bytes)}) is larger than "
                f"{fs.name} at {plan.destination} can hold (FAT keeps a file to 4 GiB - 1 "
                "byte): copy it to an exFAT, NTFS or other drive, or reformat this one as "
                "exFAT",
                plan.index,
            )
