"""``run_record.settle``'s rule (review of the runrec66 brief, item 1): a settled entry moves
only to say less (``finished`` to ``failed`` or ``cancelled``) by the run that wrote it, never
back to ``finished``; another run's entry is never rewritten; a settle that says less and
cannot make its temporary writes the record over in place (tests/faults/
test_fast_root_record.py). Real files in a real folder."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from offload import run_record
from support.mounts import Mount

CARD = "/cards/A001"


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "RAID"
    (root / ".offload").mkdir(parents=True)
    return root


def _state(root: Path) -> str:
    (entry,) = json.loads(run_record.record_path(root).read_text())["cards"]
    return str(entry["state"])


def test_a_finished_entry_is_taken_back_failed_by_its_run(tmp_path: Path) -> None:
    root = _root(tmp_path)
    run_record.mark_started([root], "run1", 1.0, source=CARD)
    assert run_record.settle(root, "run1", 1.0, run_record.FINISHED, source=CARD) is None
    failed = ["CLIPS/C001.mov"]
    assert (
        run_record.settle(root, "run1", 1.0, run_record.FAILED, source=CARD, failed=failed) is None
    )
    assert _state(root) == "failed"
    assert "CLIPS/C001.mov" in (run_record.unfinished(root) or "")


@pytest.mark.parametrize("was", [run_record.FAILED, run_record.CANCELLED])
def test_a_run_never_makes_its_own_unfinished_entry_finished(tmp_path: Path, was: str) -> None:
    root = _root(tmp_path)
    run_record.mark_started([root], "run1", 1.0, source=CARD)
    assert run_record.settle(root, "run1", 1.0, was, source=CARD, failed=["a.mov"]) is None
    refused = run_record.settle(root, "run1", 1.0, run_record.FINISHED, source=CARD)
    assert isinstance(refused, run_record.SettleRefused), refused
    assert f"already that it {was}" in str(refused)
    assert _state(root) == was


def test_another_runs_entry_is_never_rewritten(tmp_path: Path) -> None:
    """The card's entry marked by run2 since run1 marked it (run1's lock lost, say): run1's
    settle refused, run2's ``running`` kept (INCOMPLETE until run2 settles it)."""
    root = _root(tmp_path)
    run_record.mark_started([root], "run1", 1.0, source=CARD)
    run_record.mark_started([root], "run2", 2.0, source=CARD)
    refused = run_record.settle(root, "run1", 1.0, run_record.FINISHED, source=CARD)
    assert isinstance(refused, run_record.SettleRefused), refused
    assert "another run (run2)" in str(refused)
    assert _state(root) == "running"
    assert run_record.settle(root, "run2", 2.0, run_record.FINISHED, source=CARD) is None
    assert _state(root) == "finished"


def _full_of_inodes(tmpfs_mount: Callable[..., Mount], tmp_path: Path) -> tuple[Path, Path]:
    """A copy root on a real tmpfs whose record says ``finished`` (card A001) beside another
    card's ``finished`` entry, then every inode of that tmpfs taken: the record's temporary
    cannot be made (ENOSPC), its own bytes can be written over. The root and that mount."""
    mount = tmpfs_mount(4 << 20, nr_inodes=64).path
    root = mount / "RAID"
    (root / ".offload").mkdir(parents=True)
    other = "/cards/B001"
    run_record.mark_started([root], "runB", 1.0, source=other)
    assert run_record.settle(root, "runB", 1.0, run_record.FINISHED, source=other) is None
    run_record.mark_started([root], "run1", 2.0, source=CARD)
    assert run_record.settle(root, "run1", 2.0, run_record.FINISHED, source=CARD) is None
    for n in range(1000):
        try:
            (mount / f"fill{n}").touch()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
            break
    return root, mount


def _failed(root: Path, failed: list[str]) -> OSError | None:
    return run_record.settle(root, "run1", 2.0, run_record.FAILED, source=CARD, failed=failed)


def test_a_failed_settle_on_a_full_drive_is_written_in_the_records_own_bytes(
    tmpfs_mount: Callable[..., Mount], tmp_path: Path
) -> None:
    """Review of runrec66, M2: written over in place, the record was truncated first. Now
    never: it shrinks to fit its own bytes, the other card's entry kept, whatever the
    number of failed files (past what fits, its state alone)."""
    root, _ = _full_of_inodes(tmpfs_mount, tmp_path)
    record = run_record.record_path(root)
    size = record.stat().st_size
    failed = [f"CLIPS/C{n:03}.mov" for n in range(40)]
    assert _failed(root, failed) is None
    assert record.stat().st_size == size
    states = {e["source"]: e["state"] for e in json.loads(record.read_text())["cards"]}
    assert states == {"/cards/B001": "finished", CARD: "failed"}, states
    assert run_record.unfinished(root) is not None


@pytest.mark.parametrize("kind", ["hard link", "symlink"])
def test_a_record_written_over_in_place_never_changes_another_file(
    tmpfs_mount: Callable[..., Mount], tmp_path: Path, kind: str
) -> None:
    """Review of runrec66, L3: written over in place, the record was opened through a
    symlink and through its hard links (a snapshot made with ``cp -al``), changing that
    file too. Now such a record is not written (the settle's error returned, for the run
    to say), and the other file is as it was. Failed before: the other file changed."""
    root, mount = _full_of_inodes(tmpfs_mount, tmp_path)
    record = run_record.record_path(root)
    before = record.read_bytes()
    if kind == "hard link":
        (mount / "fill0").unlink()
        os.link(record, mount / "snapshot")
        other = mount / "snapshot"
    else:
        other = mount / "elsewhere.json"
        record.rename(other)  # its inode kept: no inode needed
        (mount / "fill0").unlink()
        record.symlink_to(other)
    assert isinstance(_failed(root, ["CLIPS/C001.mov"]), OSError)
    assert other.read_bytes() == before
