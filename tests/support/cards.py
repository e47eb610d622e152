"""Source files written for engine tests: random content, returned as the engine's tasks see
them (``SourceFile``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from offload.model import SourceFile


def write_source_files(root: Path, sizes: Mapping[str, int]) -> list[SourceFile]:
    """Write ``root/card/<relative>`` with *sizes* random bytes each, in the given order."""
    files = []
    for relative, size in sizes.items():
        path = root / "card" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
        st = path.stat()
        files.append(SourceFile(path, relative, st.st_size, st.st_mtime_ns))
    return files
