"""The drives of a cascade's fault tests: the card ``C9`` on a tmpfs of its own (no disk of
its own: a copy elsewhere releases it), a fast ext4 drive, and a slow FaultyFS whose writes
of the card's files wait (a stall rule) until the test has made its fault, so that the
cascade is still feeding the slow drive when the fault comes; and the run's report folder.

    drives = cascade_drives(tmp_path, tmpfs_mount, ext4_loop, faulty_fs)
    def at_release(_process: object) -> None:  # given to ``offload_cli.copy_acting_at_release``
        make_the_fault()
        drives.slow.release(drives.stalled)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from support.faultyfs import FaultyFS
from support.mounts import Ext4Loop, Mount


def tmpfs_card(tmpfs_mount: Callable[..., Mount], count: int, size: int) -> Path:
    """The card ``C9`` on a tmpfs of 64 MiB: *count* clips ``a0.mov``... of random bytes,
    each one byte longer than the one before, from *size*. Returns its folder."""
    card = tmpfs_mount(64 << 20).path / "C9"
    card.mkdir()
    for index in range(count):
        (card / f"a{index}.mov").write_bytes(os.urandom(size + index))
    return card


class CascadeDrives(NamedTuple):
    """A cascade's drives (``cascade_drives``), in this order."""

    card: Path  # C9, on its tmpfs
    fast: Ext4Loop  # an ext4 loop of 32 MiB
    slow: FaultyFS
    stalled: str  # the stall rule holding the slow drive's writes
    reports: Path  # tmp_path/reports, not made


def cascade_drives(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
    *,
    files: int = 4,
    size: int = 200_000,
    stall: str = "C9/*.mov",
) -> CascadeDrives:
    """The card (``tmpfs_card`` of *files* clips from *size* bytes), a fast ext4 drive and a
    slow FaultyFS whose writes of paths matching *stall* wait until released, from the
    tests' fixtures."""
    card = tmpfs_card(tmpfs_mount, files, size)
    fast = ext4_loop(32 << 20)
    slow = faulty_fs()
    return CascadeDrives(card, fast, slow, slow.stall("write", path=stall), tmp_path / "reports")
