"""A refused offload and a dry run write nothing: not on the card, not on a destination, not
even the preflight's write probe (a file made and deleted again changes its folder's times).
The real CLI in a subprocess; real symlinks, bind mounts and a read-only tmpfs.

Failed before (QA, "the first hour"): ``offload copy card/A002 card/A002/PRIVATE`` was
refused (exit 64) after creating and deleting ``PRIVATE/.offload-probe-…`` on the card (its
folder's mtime changed); on a read-only card a second line told the user to mount the card
read-write; ``offload copy --dry-run CARD DEST`` made and removed one in DEST."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from support.mounts import Mount
from support.offload_cli import run_offload
from support.untouched import tree_state


def _card(parent: Path) -> Path:
    """A card ``A002`` in *parent*: a clip in ``DCIM/``, an empty ``PRIVATE/``."""
    card = parent / "A002"
    (card / "DCIM").mkdir(parents=True)
    (card / "PRIVATE").mkdir()
    (card / "DCIM" / "C0001.MP4").write_bytes(b"clip" * 1000)
    return card


def _refused(tmp_path: Path, card: Path, *destinations: Path | str) -> str:
    """``offload copy`` of *card* to *destinations*: exit 64, nothing below the card's parent
    changed (the card and what holds it); its stderr."""
    before = tree_state(card.parent)
    done = run_offload("copy", "--report-dir", tmp_path / "reports", card, *destinations)
    assert done.returncode == 64, done.stderr
    assert tree_state(card.parent) == before, done.stderr
    return done.stderr


@pytest.mark.parametrize("way", ["inside", "symlink", "the-card-itself"])
def test_a_destination_inside_the_card_is_refused_without_a_write(tmp_path: Path, way: str) -> None:
    card = _card(tmp_path / "card")
    if way == "inside":
        dest = card / "PRIVATE"
    elif way == "symlink":  # a link beside the card, to a folder on it
        dest = tmp_path / "private"
        dest.symlink_to(card / "PRIVATE")
    else:  # `offload copy card/A002 card`: the copy root is the card itself
        dest = card.parent
    err = _refused(tmp_path, card, dest)
    said = (
        f"would write over the source {card}"
        if way == "the-card-itself"
        else f"destination {dest} is inside the source {card}"
    )
    assert said in err, err
    assert "writable" not in err, err


def test_a_bind_mount_of_a_folder_of_the_card_is_refused_without_a_write(
    tmp_path: Path, bind_mount: Callable[[Path, Path], Mount]
) -> None:
    card = _card(tmp_path / "card")
    view = tmp_path / "view"
    bind_mount(card / "PRIVATE", view)
    err = _refused(tmp_path, card, view)
    assert f"destination {view} is inside the source {card}" in err, err


def test_a_read_only_card_is_not_said_to_need_mounting_read_write(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """A destination on the read-only card: one line, the overlap's; before, a second one
    said to mount the card read-write ("is not writable ... mount it read-write")."""
    mount = tmpfs_mount(1 << 20)
    card = _card(mount.path)
    subprocess.run(["mount", "-o", "remount,ro", str(mount.path)], check=True)
    err = _refused(tmp_path, card, card / "PRIVATE")
    errors = [line for line in err.splitlines() if line.startswith("ERROR:")]
    assert errors == [
        "ERROR: preflight refused the offload; nothing was copied: destination "
        f"{card / 'PRIVATE'} is inside the source {card}: choose a destination on another drive",
    ], err


def test_a_refusal_writes_no_probe_on_the_other_destinations(tmp_path: Path) -> None:
    """One destination inside the card, one good one: the good one is not probed either
    (the run is refused; nothing is written anywhere)."""
    card = _card(tmp_path / "card")
    good = tmp_path / "good"
    good.mkdir()
    before = tree_state(good)
    _refused(tmp_path, card, good, card / "PRIVATE")
    assert tree_state(good) == before


def test_a_dry_run_writes_nothing_on_its_destination(tmp_path: Path) -> None:
    card = _card(tmp_path / "card")
    dest = tmp_path / "dest"
    dest.mkdir()
    before = tree_state(dest), tree_state(card.parent)
    done = run_offload("copy", "--dry-run", card, dest)
    assert done.returncode == 0, done.stderr
    assert (tree_state(dest), tree_state(card.parent)) == before


def test_a_dry_run_finds_a_read_only_destination_without_writing(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """No probe, but a read-only mount is still found (``os.access``): exit 64 as the run."""
    card = _card(tmp_path / "card")
    mount = tmpfs_mount(1 << 20)
    subprocess.run(["mount", "-o", "remount,ro", str(mount.path)], check=True)
    done = run_offload("copy", "--dry-run", card, mount.path)
    assert done.returncode == 64, done.stderr
    assert f"destination {mount.path} is not writable" in done.stderr, done.stderr


def test_the_same_destination_twice_via_dotdot_is_named_as_typed_without_a_write(
    tmp_path: Path,
) -> None:
    """``d2`` and ``x/../d2``: named as typed, the folder resolved once; nothing written in
    it. Failed before: "destinations /x/d2 and /x/d2 are the same folder", after a probe
    made and deleted there."""
    card = _card(tmp_path / "card")
    (tmp_path / "x").mkdir()
    (tmp_path / "d2").mkdir()
    before = tree_state(tmp_path / "d2")
    done = run_offload("copy", card, "d2", "x/../d2", cwd=tmp_path)
    assert done.returncode == 64, done.stderr
    said = f"destinations d2 and x/../d2 are the same folder, {tmp_path / 'd2'}: name each"
    assert said in done.stderr, done.stderr
    assert tree_state(tmp_path / "d2") == before


def test_a_probe_refused_elsewhere_leaves_a_healthy_copy_roots_dates(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """``offload copy cards/A002 RO RAID2``, RO a read-only mount, RAID2 holding the card's
    copy of an earlier run (its copy root dated as the card folder): exit 64, "nothing was
    copied", and every folder of RAID2 keeps its modification time (its change time is the
    kernel's: no program can set it back). Failed before: the write probe made and deleted
    in RAID2/A002 (and in RAID2) left the refusal's time as their date."""
    card = _card(tmp_path / "cards")
    raid2 = tmp_path / "RAID2"
    raid2.mkdir()
    done = run_offload("copy", "--report-dir", tmp_path / "reports", card, raid2)
    assert done.returncode == 0, done.stderr
    dated = {".": 1_000_000_000_000_000_000, "A002": os.stat(card).st_mtime_ns}
    os.utime(raid2, ns=(dated["."], dated["."]))
    assert os.stat(raid2 / "A002").st_mtime_ns == dated["A002"]
    read_only = tmpfs_mount(1 << 20).path
    subprocess.run(["mount", "-o", "remount,ro", str(read_only)], check=True)
    before = {path: st[0] for path, st in tree_state(raid2).items()}

    done = run_offload("copy", "--report-dir", tmp_path / "reports", card, read_only, raid2)

    assert done.returncode == 64, done.stderr
    assert f"destination {read_only} is not writable" in done.stderr, done.stderr
    assert {path: st[0] for path, st in tree_state(raid2).items()} == before
    assert {name: os.stat(raid2 / name).st_mtime_ns for name in dated} == dated
