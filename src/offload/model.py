"""Frozen value types shared by the planner, the engine, the manifests and the reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SourceFile:
    """One regular file to copy, as the scan saw it.

    ``relative_path`` is ``/``-separated, relative to the source root, with the names exactly as
    the filesystem returned them (no Unicode normalisation). ``mtime_ns``/``size_bytes`` are
    from the scan's ``lstat``; the reader compares them with what it sees when it opens the file.
    """

    path: Path
    relative_path: str
    size_bytes: int
    mtime_ns: int


@dataclass(frozen=True)
class SourceSymlink:
    """A symbolic link inside the source, copied as a link (never followed)."""

    path: Path
    relative_path: str
    target: str
    mtime_ns: int


@dataclass(frozen=True)
class DestinationFileTarget:
    """Where one source file goes on one destination: the final path, in its folder."""

    destination_index: int
    final_path: Path
