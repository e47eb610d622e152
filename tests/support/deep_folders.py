"""A chain of folders deeper than Python's recursion limit, made and removed without
recursing: ``os.makedirs``, ``Path.mkdir(parents=True)`` and ``shutil.rmtree`` each recurse a
call a level, so pytest's clean-up of such a tree would fail a later session's start."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def folders_deep(root: Path, depth: int, name: str = "d") -> Iterator[Path]:
    """*depth* folders ``name/name/...`` made below *root* a level at a time; the last one
    while the block runs; then everything in that chain removed, deepest first (whatever
    the block put in them: files and empty folders)."""
    deep = root
    for _ in range(depth):
        deep = deep / name
        deep.mkdir()
    try:
        yield deep
    finally:
        while deep != root:
            for entry in deep.iterdir():
                if entry.is_dir() and not entry.is_symlink() and entry.name != name:
                    entry.rmdir()
                elif entry.name != name:
                    entry.unlink()
            deep.rmdir()
            deep = deep.parent
