"""``--keep-both`` on an exFAT drive against names that differ only by case: a real exFAT
image on a loop device (exfat-fuse: one name in either case), the real CLI in a subprocess.
A card file whose twin already stands in its folder (``clip.mov`` beside ``CLIP.MOV``) is
refused before anything is written, and with ``--keep-both`` the line says that option
does not keep both there (before, the line named the other ways alone, as if --keep-both
had been ignored); two cards whose names differ only by case are refused as one folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

CLI = [sys.executable, "-m", "offload.cli.offload", "copy"]


def run(*args: str | Path, reports: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "--report-dir", str(reports), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": "300"},
    )


def files_below(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_keep_both_does_not_keep_a_case_twin_and_says_so_before_any_write(
    tmp_path: Path, exfat_loop: Any
) -> None:
    drive = exfat_loop(16 << 20).path
    card = tmp_path / "cards" / "B001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "clip.mov").write_bytes(b"card " * 200)
    (card / "CLIPS" / "other.mov").write_bytes(b"more " * 100)
    root = drive / "B001"
    (root / "CLIPS").mkdir(parents=True)
    (root / "CLIPS" / "CLIP.MOV").write_bytes(b"someone else's")
    before = files_below(drive)
    reports = tmp_path / "reports"

    for policy, said in ((["--keep-both"], True), ([], False), (["--overwrite"], False)):
        refused = run(*policy, "--into", card, root, reports=reports)
        assert refused.returncode == 64, refused.stdout + refused.stderr
        (line,) = [x for x in refused.stderr.splitlines() if "differ only by case" in x]
        assert f"{root / 'CLIPS' / 'clip.mov'} would be written where" in line, line
        assert f"{root / 'CLIPS' / 'CLIP.MOV'} already is" in line, line
        keep = "--keep-both keeps a copy beside a file of the card file's exact name only"
        assert (keep in line) is said, line
        assert "rename or move" in line, line
        assert files_below(drive) == before  # not a byte written, no ledger, no partial

    # Two cards whose names differ only by case: one folder on exFAT, refused whole.
    first, second = tmp_path / "r1" / "A001", tmp_path / "r2" / "a001"
    for card_root, seed in ((first, b"one "), (second, b"two ")):
        (card_root / "CLIPS").mkdir(parents=True)
        (card_root / "CLIPS" / "C1.mov").write_bytes(seed * 1000)
    assert run(first, drive, reports=reports).returncode == 0
    before = files_below(drive)
    refused = run("--keep-both", second, drive, reports=reports)
    assert refused.returncode == 64, refused.stdout + refused.stderr
    assert f"{drive / 'A001'} holds another offload, of this card or another" in refused.stderr, (
        refused.stderr
    )
    assert files_below(drive) == before
