"""Two cards whose names differ only in case (``A001``, ``a001``) offloaded to one exFAT
drive: the second card's copy root, ``DEST/a001``, is the first card's folder (exFAT folds
case), and its refusal names that folder as it is on the drive, ``DEST/A001``, never a
``DEST/a001`` the user will not find there. Real exFAT image on a loop device, real CLI."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

from support.offload_cli import run_offload

run = partial(run_offload, columns=250, timeout_s=300)


def shoot(card: Path, seed: bytes) -> None:
    for name, size in (("CLIPS/C001.MOV", 60_000), ("CLIPS/C002.MOV", 30_000)):
        path = card / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((seed * (size // len(seed) + 1))[:size])


def test_the_refusal_names_the_folder_as_it_is_on_the_drive(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Failed before: "ERROR: .../dest/a001 holds another card's offload ..." while the
    drive holds A001 (and the --into way named a001 too)."""
    drive = exfat_loop(16 << 20, path=tmp_path / "dest")
    first, second = tmp_path / "r1" / "A001", tmp_path / "r2" / "a001"
    shoot(first, b"card one ")
    shoot(second, b"card two ")
    done = run("copy", first, drive.path, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert os.listdir(drive.path) == ["A001"]

    refused = run("copy", second, drive.path, cwd=tmp_path)
    assert refused.returncode == 64, refused.stderr
    [line] = [x for x in refused.stderr.splitlines() if x.startswith("ERROR")]
    assert f"{drive.path}/A001 holds" in line, line
    assert f"--into {drive.path}/A001 to add it" in line, line
    assert "/a001 holds" not in line and "--into " + f"{drive.path}/a001 " not in line, line
