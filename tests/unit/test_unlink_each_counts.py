"""What the sweep of a dead run's temporaries counts (``card._unlink_each``): only what it
removed. A temporary gone already is not counted, in a ``.offload`` this process's lock
holds (removed through ``state_folder.unlink_in``, which takes "not there" for done) and
outside one (``ascmhl/``, the copy root). Real files and a real ``flock`` of the copy root;
review rev4_69 L4 (the ``lexists`` guard of commit 6a15cedc had no test)."""

from __future__ import annotations

from pathlib import Path

from offload.card import _unlink_each
from offload.lock import lock_copy_roots
from offload.state_names import STATE_FOLDER


def _made(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"partial")
    return path


def test_a_temporary_gone_already_in_a_held_state_folder_is_not_counted(
    tmp_path: Path,
) -> None:
    root = tmp_path / "RAID" / "A001"
    with lock_copy_roots([root], source=str(tmp_path / "A001")):
        folder = root / STATE_FOLDER
        kept = sorted(p.name for p in folder.iterdir())  # the lock's own file
        gone = folder / ".ledger.jsonl.4242.partial"
        assert _unlink_each([gone]) == 0
        there = _made(folder / ".last-run.json.4242.partial")
        assert _unlink_each([gone, there]) == 1
        assert sorted(p.name for p in folder.iterdir()) == kept  # nothing else removed


def test_a_temporary_gone_already_outside_a_state_folder_is_not_counted(
    tmp_path: Path,
) -> None:
    root = tmp_path / "RAID" / "A001"
    gone = root / "ascmhl" / ".ascmhl_chain.xml.4242.partial"
    assert _unlink_each([gone]) == 0
    there = _made(root / "ascmhl" / ".0001_A001_2026-12-07_070000Z.mhl.4242.partial")
    assert _unlink_each([there, gone, str(gone)]) == 1
    assert not there.exists()
    # Held elsewhere (another copy root's lock): a path outside it is removed by its path.
    other = tmp_path / "RAID" / "B002"
    with lock_copy_roots([other], source=str(tmp_path / "B002")):
        assert _unlink_each([gone]) == 0
