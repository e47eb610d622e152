"""One folder reached two ways no identity tells (two FUSE mounts of one folder, as two
sshfs mounts of one export; a share and the folder it serves from this host) named as two
destinations: refused before anything is written, exit 64, as any folder named twice.
Real FUSE mounts (tests/support/faultyfs.py, pass-through), the real CLI, no mocks.

Failed before (QA, sshfs): the preflight took them for two folders (each mount its own
``st_dev``); run 1 failed one of them ("already exists on destination ... --overwrite
replaces it"), run 2 said "All 5 files are verified on every destination ... 10 earlier"
with 5 files on disk."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from support.faultyfs import FaultyFS
from support.offload_cli import copy_with_reports_in

cli = copy_with_reports_in


def _card(tmp_path: Path) -> Path:
    card = tmp_path / "CARD"
    (card / "C").mkdir(parents=True)
    for index in range(5):
        (card / "C" / f"c{index}.mov").write_bytes(os.urandom(20_000))
    return card


def _refused_as_one_folder(tmp_path: Path, first: Path, second: Path, *more: str) -> None:
    card = _card(tmp_path) if not (tmp_path / "CARD").exists() else tmp_path / "CARD"
    before = sorted(p.name for p in first.iterdir())
    code, err = cli(tmp_path, *more, str(card), str(first), str(second))
    assert code == 64, err
    assert f"destinations {first} and {second} are the same folder" in err, err
    assert f"a file made in {first} is seen in {second}" in err, err
    # Nothing written, no probe left behind.
    assert sorted(p.name for p in first.iterdir()) == before


def _dry_run_says_it_did_not_check(tmp_path: Path, first: Path, second: Path) -> None:
    """``--dry-run`` writes nothing, not even the probe that tells them apart: it warns
    that they may be one folder and the offload checks (``dest-maybe-duplicate``), and
    leaves both folders as they were."""
    card = tmp_path / "CARD"
    before = sorted(p.name for p in first.iterdir()), first.stat().st_mtime_ns
    code, err = cli(tmp_path, "--dry-run", str(card), str(first), str(second))
    assert code == 0, err
    assert f"destinations {first} and {second} may be one folder reached two ways" in err, err
    assert "the dry run writes nothing, so it did not check" in err, err
    assert (sorted(p.name for p in first.iterdir()), first.stat().st_mtime_ns) == before


def test_two_fuse_mounts_of_one_folder_are_refused(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    backing = tmp_path / "export"
    backing.mkdir()
    one = faulty_fs(backing=backing, mountpoint=tmp_path / "mnt-a").mountpoint
    two = faulty_fs(backing=backing, mountpoint=tmp_path / "mnt-b").mountpoint
    assert os.stat(one).st_dev != os.stat(two).st_dev
    _refused_as_one_folder(tmp_path, one, two)
    _dry_run_says_it_did_not_check(tmp_path, one, two)


def test_a_share_and_its_own_folder_are_refused(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    backing = tmp_path / "share"
    backing.mkdir()
    mounted = faulty_fs(backing=backing, mountpoint=tmp_path / "net").mountpoint
    _refused_as_one_folder(tmp_path, backing, mounted)
    _refused_as_one_folder(tmp_path, mounted, backing)


def test_two_mounts_of_two_folders_are_two_destinations(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The probe finds no file of one in the other: both copied, exit 0."""
    one = faulty_fs(backing=tmp_path / "x", mountpoint=tmp_path / "mnt-a").mountpoint
    two = faulty_fs(backing=tmp_path / "y", mountpoint=tmp_path / "mnt-b").mountpoint
    card = _card(tmp_path)
    code, err = cli(tmp_path, str(card), str(one), str(two))
    assert code == 0, err
    for root in (one, two):
        assert len(list((root / "CARD" / "C").iterdir())) == 5
        assert not [p for p in root.iterdir() if p.name.startswith(".offload-probe")]
