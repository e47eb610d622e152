"""Preflight checks of what the destination filesystem can hold of a file: its size (FAT's
4 GiB - 1 byte), refused before the copy instead of failing with EFBIG after the first
4 GiB of it were written; its mtime (FAT and exFAT: 1980 to 2107), named in a warning
before the copy instead of changed silently."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from offload.errors import printable_name
from offload.fs.mtimes import describe, mtime_range
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
                f"'{printable_name(f.relative_path)}' ({human_bytes(f.size_bytes)}) is larger than "
                f"{fs.name} at {plan.destination} can hold (FAT keeps a file to 4 GiB - 1 "
                "byte): copy it to an exFAT, NTFS or other drive, or reformat this one as "
                "exFAT",
                plan.index,
            )


# Files a warning names; the rest are counted.
_NAMED = 5


def check_mtimes(
    tree: SourceTree,
    plan: DestinationPlan,
    fs: FilesystemInfo,
    out: Findings,
    *,
    to_write: Collection[str] | None = None,
) -> None:
    """A warning (``mtime-not-kept``) naming the files this run writes to *plan*'s
    destination whose mtime its filesystem cannot hold (``fs.mtimes``), with what their
    copies will show: copied and checked as any file's (what the check found is the report's
    to say: a warning speaks before any outcome), their date is not the card's.
    *to_write*: the relative paths written there (None: every file of *tree*). Never raises."""
    held = mtime_range(fs.on_device or fs.fstype, fs.fstype)
    if held is None:
        return
    outside = [
        f
        for f in tree.files
        if not held.holds(f.mtime_ns) and (to_write is None or f.relative_path in to_write)
    ]
    if not outside:
        return
    named = "; ".join(
        f"'{printable_name(f.relative_path)}' dated {describe(f.mtime_ns)} will show "
        f"{held.held_as(f.mtime_ns)}"
        for f in outside[:_NAMED]
    )
    more = f"; and {len(outside) - _NAMED} more" if len(outside) > _NAMED else ""
    if tree.root_is_file:  # one source file (``pfndispatchcopy``): no card to count
        what = "the source file is"
        kept = "its content is copied and checked, but its copy there does not keep its mtime"
    else:
        what = f"{len(outside)} file(s) of the card are"
        kept = (
            "their content is copied and checked as any file's, but their copies there do "
            "not keep the card's mtime"
        )
    out.warning(
        C.MTIME_NOT_KEPT,
        Path(outside[0].path_text),
        f"{what} dated outside what {fs.name} at {plan.destination} holds (1980-01-01 to "
        f"2107-12-31): {kept}: {named}{more}",
        plan.index,
    )
