"""A folder made immutable (``chattr +i``) for a test: nothing can be made in it, root's
writes too, a real EPERM where a destination or a copy root refuses a write."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def immutable(folder: Path) -> Iterator[None]:
    """*folder* made immutable (``chattr +i``) while the block runs, mutable again after it
    however it ends; skips the test where the flag cannot be set (not root, a filesystem
    without it)."""
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make {folder} immutable: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
