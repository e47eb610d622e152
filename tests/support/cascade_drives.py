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

from support.cards import flip_bytes, three_clip_card
from support.faultyfs import FaultyFS
from support.mounts import Ext4Loop, Mount
from support.offload_cli import copy_acting_at_release


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
    stall_op: str = "write",
) -> CascadeDrives:
    """The card (``tmpfs_card`` of *files* clips from *size* bytes), a fast ext4 drive and a
    slow FaultyFS whose *stall_op* calls (writes, or ``"rename"``: a copy published under
    its final name, once the cascade's read and full mode's re-read of its source are
    done) of paths matching *stall* wait until released, from the tests' fixtures."""
    card = tmpfs_card(tmpfs_mount, files, size)
    fast = ext4_loop(32 << 20)
    slow = faulty_fs()
    stalled = slow.stall(stall_op, path=stall)
    return CascadeDrives(card, fast, slow, stalled, tmp_path / "reports")


class FlippedAtRelease(NamedTuple):
    """What ``fast_copy_flipped_at_release`` ran and what it printed."""

    card: Path  # three_clip_card's, in the cards folder
    fast: Path  # tmp_path/FAST
    argv: list[str]  # the copy's arguments after ``copy``: run them again to re-run it
    released: str  # its CARD RELEASED line ("" if none came)
    rest: str  # what stderr printed before and after that line
    code: int  # its exit code


def fast_copy_flipped_at_release(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> FlippedAtRelease:
    """``offload copy`` (a child process, ``copy_acting_at_release``) of a
    ``three_clip_card`` in *cards* to the folder tmp_path/FAST, ``--cascade-to`` a slow
    FaultyFS whose writes of the card's clips wait, its reports in tmp_path/reports; at the
    card's release, 100 bytes of the first fast copy (by name) are flipped, then the slow
    drive's writes go on: a fast copy changed after the card's release, which the
    cascade's re-read finds."""
    card = three_clip_card(cards)
    fast, reports = tmp_path / "FAST", tmp_path / "reports"
    fast.mkdir()
    slow = faulty_fs()
    stalled = slow.stall("write", path=f"{card.name}/CLIPS/*.mov")

    def flip_a_fast_copy(_process: object) -> None:
        copies = sorted(
            p for p in (fast / card.name).rglob("*") if p.is_file() and ".offload" not in p.parts
        )
        flip_bytes(copies[0], 100)
        slow.release(stalled)

    argv = [
        "--report-dir",
        str(reports),
        str(card),
        str(fast),
        "--cascade-to",
        str(slow.mountpoint),
    ]
    released, rest, code = copy_acting_at_release(*argv, at_release=flip_a_fast_copy)
    return FlippedAtRelease(card, fast, argv, released, rest, code)
