"""A copy root whose ``.offload`` is a symlink is refused (offload.state_folder): its ledger,
run record and lock would be another folder's. Real symlinks, real runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from offload.lock import lock_copy_roots
from offload.state_folder import StateFolderLinked
from support.cards import clips_card
from support.offload_cli import offload


def _tree(root: Path) -> dict[str, bytes | str]:
    """Every entry below *root*: a file's bytes, a symlink's target, a folder's "/"."""
    found: dict[str, bytes | str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                found[key] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[key] = "/"
            else:
                found[key] = path.read_bytes()
    return found


@pytest.mark.parametrize("target", ["another-copy-root", "empty-folder", "nowhere"])
def test_a_copy_root_whose_state_folder_is_a_symlink_is_refused_before_any_write(
    tmp_path: Path, target: str
) -> None:
    """``DEST/A001/.offload`` a symlink: to another copy root's ``.offload`` (the first
    offload's, on the other drive), to an empty folder, or to nothing. Refused by the
    preflight, exit 64, one line naming the symlink and what to do; neither the copy root
    nor where the symlink points gets a byte. Failed before: the copy went on, its ledger,
    run record, lock and reports written into the folder the symlink points to (``another
    copy root``: the first copy's ledger and record rewritten by the second)."""
    card = clips_card(tmp_path, 2, 120_000)
    first = tmp_path / "d1"
    second = tmp_path / "d2"
    first.mkdir()
    (second / "A001").mkdir(parents=True)
    reports = tmp_path / "reports"
    code, said = offload("copy", "-q", "--report-dir", reports, card, first)
    assert code == 0, said
    pointed = {
        "another-copy-root": first / "A001" / ".offload",
        "empty-folder": tmp_path / "elsewhere",
        "nowhere": tmp_path / "gone",
    }[target]
    if target == "empty-folder":
        pointed.mkdir()
    link = second / "A001" / ".offload"
    link.symlink_to(pointed)
    before = _tree(tmp_path / "d1"), _tree(second), _tree(pointed) if pointed.exists() else None

    code, said = offload("copy", "--report-dir", reports, "--json", card, second)

    assert code == 64, said
    lines = [line for line in said.splitlines() if line.startswith("ERROR:")]
    assert len(lines) == 1, said
    assert f"{link} is a symlink to {pointed}" in lines[0], lines[0]
    assert "remove the symlink" in lines[0] and "run this again" in lines[0], lines[0]
    # A link leading nowhere has no folder to move in its place (QA qawords67: said so
    # before, whatever the link led to).
    moved = "put the folder it points to in its place (mv)" in lines[0]
    assert moved == (target != "nowhere"), lines[0]
    if target == "nowhere":
        assert "it leads to no folder (dangling): remove the symlink" in lines[0], lines[0]
    refused = next(json.loads(line) for line in said.splitlines() if '"offload_refused"' in line)
    assert [e["code"] for e in refused["errors"]] == ["state-folder-linked"], refused
    after = _tree(tmp_path / "d1"), _tree(second), _tree(pointed) if pointed.exists() else None
    assert after == before


def test_the_lock_refuses_a_state_folder_made_a_symlink_after_the_preflight(
    tmp_path: Path,
) -> None:
    """The lock's own look (a symlink put there between the preflight and the lock, or a
    caller that runs no preflight): ``StateFolderLinked`` (exit 64), the lock file made
    neither there nor where it points, the copy root's other roots released."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    good = tmp_path / "d1" / "A001"
    root = tmp_path / "d2" / "A001"
    root.mkdir(parents=True)
    (root / ".offload").symlink_to(elsewhere)
    with pytest.raises(StateFolderLinked) as refused:
        lock_copy_roots([good, root])
    assert refused.value.exit_code == 64
    assert str(root / ".offload") in str(refused.value)
    assert list(elsewhere.iterdir()) == []
    # The first root's lock was released with the refusal: taken again at once.
    with lock_copy_roots([good]) as locks:
        assert locks.paths == [good]


def test_verify_refuses_a_copy_root_whose_state_folder_is_a_symlink(tmp_path: Path) -> None:
    """``offload verify`` of a copy whose ``.offload`` points at another copy root's: its
    ledger and run record are that copy's, never this one's. Exit 64, one line naming the
    symlink. Failed before: verified against the other copy's ledger, exit 0, its record's
    ``finished`` taken for this copy's."""
    card = clips_card(tmp_path, 1, 200_000)
    reports = tmp_path / "reports"
    (tmp_path / "d1").mkdir()
    d1 = tmp_path / "d1"
    code, said = offload("copy", "-q", "--report-dir", reports, "--mhl", "none", card, d1)
    assert code == 0, said
    copy = tmp_path / "d2" / "A001"
    (copy / "CLIPS").mkdir(parents=True)
    (copy / "CLIPS" / "C000.mov").write_bytes((card / "CLIPS" / "C000.mov").read_bytes())
    (copy / ".offload").symlink_to(tmp_path / "d1" / "A001" / ".offload")
    code, said = offload("verify", "--report-dir", reports, copy)
    assert code == 64, said
    assert f"ERROR: {copy / '.offload'} is a symlink to" in said, said
