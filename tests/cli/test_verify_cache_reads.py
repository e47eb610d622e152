"""``offload verify``'s CSV says which files were read through a cache that could not be
dropped, as the terminal's WARNING counts them. Real parts: the CLI as a child process, a
copy whose ``SOUND`` folder is a tmpfs mount (RAM: no media below it, its pages are its
storage) beside folders on the disk, read with O_DIRECT.

Failed before: the terminal warned "2 files read through a cache, not from the media ..."
and the JSON counted them (``files_read_through_cache``), but the CSV gave every file the
same ``verified`` row with nothing in ``detail``: a script reading the CSV took the two for
files read from the disk."""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.cli.verify_cmd import THROUGH_A_CACHE
from tests.support import mounts
from tests.support.offload_cli import run_offload

pytestmark = pytest.mark.timeout(120)


def _onto_tmpfs(folder: Path, kept: Path, tmpfs_mount: Callable[..., mounts.Mount]) -> Path:
    """Moves a copy's *folder* onto a tmpfs (8 MiB) mounted in its place, its files' dates
    kept (by way of *kept*, a folder not yet there): read there, no file comes from a
    media. Returns *folder*."""
    shutil.copytree(folder, kept)
    shutil.rmtree(folder)
    folder.mkdir()
    tmpfs_mount(8 << 20, path=folder)
    shutil.copytree(kept, folder, dirs_exist_ok=True)
    return folder


def test_the_csv_marks_each_file_read_through_a_cache(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    card = tmp_path / "A001"
    for folder, names in (("CLIPS", ("C1.MOV", "C2.MOV")), ("SOUND", ("S1.WAV", "S2.WAV"))):
        (card / folder).mkdir(parents=True)
        for name in names:
            (card / folder / name).write_bytes(os.urandom(20_000))
    dest, reports = tmp_path / "RAID", tmp_path / "reports"
    dest.mkdir()
    copied = run_offload("copy", "--report-dir", reports, card, dest)
    assert copied.returncode == 0, copied.stderr
    _onto_tmpfs(dest / "A001" / "SOUND", tmp_path / "kept", tmpfs_mount)

    checked = tmp_path / "checked"
    verified = run_offload("verify", dest / "A001", "--report-dir", checked)
    assert verified.returncode == 0, verified.stderr
    assert "2 files read through a cache, not from the media" in " ".join(
        verified.stderr.split()
    ), verified.stderr
    [report] = checked.glob("*.json")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["files_read_through_cache"] == 2 and data["files_read_from_media"] == 2, data
    assert data["read_through_cache"] == ["SOUND/S1.WAV", "SOUND/S2.WAV"], data
    [table] = checked.glob("*.csv")
    with table.open(encoding="utf-8", newline="") as rows:
        detail = {row["path"]: (row["status"], row["detail"]) for row in csv.DictReader(rows)}
    assert detail == {
        "CLIPS/C1.MOV": ("verified", ""),
        "CLIPS/C2.MOV": ("verified", ""),
        "SOUND/S1.WAV": ("verified", THROUGH_A_CACHE),
        "SOUND/S2.WAV": ("verified", THROUGH_A_CACHE),
    }, detail


def test_a_file_only_a_legacy_mhl_has_read_through_a_cache_is_marked(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """The files ``offload verify`` reads through a cache are collected around its own
    reader (``verify_path``), not kept by ``MediaHasher`` (twenty-ninth pass): a file the
    check itself does not read, new to the copy's history but listed by the card's legacy
    MHL copied with it, is read when that MHL is judged, through the same reader, and named
    so too."""
    from tests.support.cards import legacy_mhl_card

    late = os.urandom(20_000)
    card = legacy_mhl_card(tmp_path / "A001", {"C1.MOV": os.urandom(20_000)}, {"C2.MOV": late})
    dest, reports = tmp_path / "RAID", tmp_path / "reports"
    dest.mkdir()
    run_offload("copy", "--report-dir", reports, card, dest)  # C2.MOV: missing from the card
    clips = _onto_tmpfs(dest / "A001" / "CLIPS", tmp_path / "kept", tmpfs_mount)
    (clips / "C2.MOV").write_bytes(late)  # what the MHL lists, put in the copy afterwards

    checked = tmp_path / "checked"
    run_offload("verify", dest / "A001", "--report-dir", checked)
    [report] = checked.glob("*.json")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert "CLIPS/C2.MOV" in data["read_through_cache"], data
    [check] = data["legacy_mhls"]
    assert "CLIPS/C2.MOV" in check["verified"], check
