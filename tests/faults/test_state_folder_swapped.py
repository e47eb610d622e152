"""A copy root's ``.offload`` swapped for a symlink to another copy root's ``.offload`` under a
live run (review of statefold68, item 1).

Before: the preflight refused a symlinked ``.offload`` and the lock opened the folder with
``O_NOFOLLOW``, but the ledger, the run record, the stamp and the reports were opened by
name afterwards: a folder renamed away and replaced by a symlink mid-run had this run's
ledger lines, its ``finished`` and its report written into the other copy root's state.
Now each write checks the name is still the folder the lock holds (``state_folder``):
that destination fails with one line naming the folder, nothing is written into the other
one, the other destination is copied as usual, exit 1.

Real parts: the card on a FaultyFS whose read of a clip waits while the test swaps the
folder (``mv`` then ``ln -s``), the real CLI as a child process, the other copy root made
by a real offload of another card."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from support.cards import clips_card, flip_bytes, three_clip_card
from support.faultyfs import FaultyFS
from support.held_process import start
from support.mounts import Mount, detach
from support.offload_cli import CLI, copy_acting_at_release, run_offload

pytestmark = pytest.mark.fault


def _tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry below *folder* (hidden ones too): a file's bytes, a folder's or a
    link's kind."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = f"link to {os.readlink(path)}"
        elif path.is_dir():
            found[name] = "folder"
        else:
            found[name] = path.read_bytes()
    return found


def _other_copy_root(tmp_path: Path) -> tuple[Path, dict[str, bytes | str]]:
    """Another copy root made by a real offload of another card (B002), with its own records
    (ledger, run record, reports, stamp): its ``.offload`` and every entry below it."""
    other_card = clips_card(tmp_path / "others", 2, 30_000, card="B002")
    other_dest = tmp_path / "other"
    other_dest.mkdir()
    done = run_offload("copy", "--report-dir", tmp_path / "r0", other_card, other_dest)
    assert done.returncode == 0, done.stderr
    other_state = other_dest / "B002" / ".offload"
    return other_state, _tree(other_state)


def _swap(state: Path, other_state: Path) -> None:
    """*state* moved away beside (``mv .offload .offload-moved``) and a symlink to
    *other_state* put at its name (``ln -s OTHER/.offload .offload``)."""
    os.rename(state, state.with_name(".offload-moved"))
    os.symlink(other_state, state)


def _swapped_while_held(
    fs: FaultyFS, held: str, state: Path, other_state: Path, *argv: str | Path
) -> tuple[int | None, str]:
    """``offload copy *argv`` (the real CLI, a child process, 200 columns wide), *state*
    swapped for a symlink to *other_state* (``_swap``) while *fs* holds its call *held*:
    the exit code and stderr."""
    process = start(
        [*CLI, "copy", *argv], env={**os.environ, "COLUMNS": "200"}, stdout=subprocess.DEVNULL
    )
    try:
        fs.wait_stalled_while_working(held, process)
        _swap(state, other_state)
    finally:
        fs.release(held)
    _out, err = process.communicate(timeout=240)
    return process.returncode, err


def _unchanged(other_state: Path, before: dict[str, bytes | str], said: str) -> None:
    """Nothing of the run in the other copy root's state: its every byte as it was."""
    after = _tree(other_state)
    assert sorted(after) == sorted(before), said
    assert after == before, said


def test_a_state_folder_swapped_for_another_copy_roots_is_never_written_through(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    other_state, before = _other_copy_root(tmp_path)
    assert "ledger.jsonl" in before and "last-run.json" in before, sorted(before)

    fs = faulty_fs()
    card = clips_card(fs.mountpoint, 3, 200_000)
    swapped_dest, kept_dest = tmp_path / "a", tmp_path / "b"
    swapped_dest.mkdir()
    kept_dest.mkdir()
    held = fs.stall("read", path="A001/CLIPS/C002.mov", nth=1)
    state = swapped_dest / "A001" / ".offload"
    code, err = _swapped_while_held(
        fs, held, state, other_state, "--report-dir", tmp_path / "r1", card, swapped_dest, kept_dest
    )
    said = " ".join(err.split())

    _unchanged(other_state, before, err)
    assert code == 1, err
    assert "Traceback" not in err, err
    # The destination fails, its line naming the swapped folder.
    assert f"{state} was replaced while this offload ran (now a symlink to {other_state})" in said
    # The other destination copied and verified whole.
    for index in range(3):
        name = f"C{index:03d}.mov"
        assert (kept_dest / "A001" / "CLIPS" / name).read_bytes() == (
            card / "CLIPS" / name
        ).read_bytes()
    again = run_offload("verify", kept_dest / "A001")
    assert again.returncode == 0, again.stdout + again.stderr
    (report,) = (tmp_path / "r1").glob("A001_*.json")
    results = {d["copy_root"]: d["result"] for d in json.loads(report.read_text())["destinations"]}
    assert results[str(kept_dest / "A001")] == "ok", results
    assert results[str(swapped_dest / "A001")] != "ok", results
    # The folder the lock held (moved away) never says this run finished there.
    moved = json.loads((swapped_dest / "A001" / ".offload-moved" / "last-run.json").read_text())
    assert moved["state"] != "finished", moved


def test_a_drive_pulled_under_a_held_state_folder_is_said_gone_never_replaced(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], tmpfs_mount: Callable[..., Mount]
) -> None:
    """A drive unmounted lazily (``umount -l``, udisks' way with a pulled drive) while the
    other destination's manifests are written: its ``.offload`` is simply not there at the
    bare mount point. Failed before (review of statefold68, M2): "…/.offload was replaced
    while this offload ran (it is gone): … put back the folder that was there", next to
    the reports' line saying the same drive is not reachable. Now the drive-gone words,
    "reconnect it", and never "replaced"."""
    card = clips_card(tmp_path / "cards", 3, 20_000)
    drive = tmpfs_mount(64 << 20)
    fs = faulty_fs()
    held = fs.stall("create", path=f"{card.name}/ascmhl/*")
    process = start(
        [*CLI, "copy", "--report-dir", tmp_path / "r", card, drive.path, fs.mountpoint],
        env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.DEVNULL,
    )
    try:
        fs.wait_stalled_while_working(held, process)
        detach(drive.path)  # umount -l
    finally:
        fs.release(held)
    _out, err = process.communicate(timeout=240)
    said = " ".join(err.split())
    assert process.returncode == 1, err
    assert "Traceback" not in err, err
    assert "was replaced while this offload ran" not in said, err
    assert "put back the folder" not in said, err
    assert f"the drive holding {drive.path / card.name} is not reachable" in said, err
    assert os.listdir(drive.path) == []  # the bare mount point: nothing written below


def test_a_state_folder_swapped_during_the_manifests_is_never_written_or_removed_through(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The swap made while the other destination's ASC MHL history is written (its create
    held by FaultyFS), after every copy: the stamp of complete manifests is removed and the
    reports are written then, the reports after the run's lock is let go. Failed before
    (review of statefold68, M1): the other copy root's ``manifests-complete.json`` removed
    (an unlink by name, unchecked) and this run's reports (JSON, CSV, HTML) written into
    its ``.offload/reports`` (nothing checked once the lock was let go). Now nothing of the
    other copy root's state changes; that destination's report is refused, one line."""
    other_state, before = _other_copy_root(tmp_path)
    assert "manifests-complete.json" in before, sorted(before)

    card = clips_card(tmp_path / "cards", 3, 20_000)
    fs = faulty_fs()
    swapped_dest = tmp_path / "a"
    swapped_dest.mkdir()
    held = fs.stall("create", path=f"{card.name}/ascmhl/*")
    state = swapped_dest / card.name / ".offload"
    code, err = _swapped_while_held(
        fs, held, state, other_state, "--report-dir", tmp_path / "r1", card, fs.mountpoint,
        swapped_dest,
    )  # fmt: skip
    said = " ".join(err.split())

    _unchanged(other_state, before, err)
    assert code == 1, err
    assert "Traceback" not in err, err
    assert f"cannot write the report into {state / 'reports'}" in said, err
    assert f"{state} was replaced while this offload ran" in said, err


@pytest.mark.timeout(180)  # two cascades, each of them held: beside busy CPUs, over 60 s
def test_a_state_folder_swapped_while_a_damaged_fast_copy_is_revoked_removes_nothing_else(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], tmpfs_mount: Callable[..., Mount]
) -> None:
    """The swap made while a cascade's damaged fast copy is revoked in its ledger (that
    append's write held by FaultyFS), before the record of the card's pass is removed.
    Failed before (fold69, item 1): ``_revoke_fast_copies`` removed
    ``.offload/cascade-card.json`` by name, unchecked, so the other copy root's record of its
    own card's pass was removed through the symlink. Now nothing of the other copy root's
    state changes, and the warning says the copies were revoked, only the record not
    removed, naming the replaced folder (review rev4_69 L1: it said "cannot revoke" and the
    copy's line "its ledger could not be told")."""
    # Another copy root holding its record of a card's pass: its cascade killed once the
    # card was released (the record stays until the slow copies are done).
    fast, slow = faulty_fs(), faulty_fs()
    # (the cards on a tmpfs of their own: a copy elsewhere releases them)
    other_card = clips_card(tmpfs_mount(16 << 20).path, 2, 30_000, card="B002")
    other_dest = tmp_path / "other"
    other_dest.mkdir()
    other_stalled = slow.stall("write", path="B002/CLIPS/*.mov")

    def kill(process: subprocess.Popen[str]) -> None:
        process.kill()
        slow.release(other_stalled)

    released, rest, _code = copy_acting_at_release(
        "--report-dir", str(tmp_path / "r0"), str(other_card), str(other_dest),
        "--cascade-to", str(slow.mountpoint), at_release=kill,
    )  # fmt: skip
    assert "CARD RELEASED" in released, rest
    other_state = other_dest / "B002" / ".offload"
    before = _tree(other_state)
    assert "cascade-card.json" in before, sorted(before)

    card = three_clip_card(tmpfs_mount(16 << 20).path)
    stalled = slow.stall("write", path=f"{card.name}/CLIPS/*.mov")
    state = fast.mountpoint / card.name / ".offload"

    def damage_then_swap_at_the_revocation(_process: object) -> None:
        flip_bytes(fast.mountpoint / card.name / "CLIPS" / "A001C001.mov", 100)
        revoking = fast.stall("write", path=f"{card.name}/.offload/ledger.jsonl")
        slow.release(stalled)
        fast.wait_stalled(revoking, timeout_s=60)
        # Swapped on the drive below the mount (the mount's own rename would wait behind
        # the held write); FaultyFS caches no entry, so the run sees it at once.
        _swap(fast.backing / card.name / ".offload", other_state)
        fast.release(revoking)

    released, rest, code = copy_acting_at_release(
        "--report-dir", str(tmp_path / "r1"), str(card), str(fast.mountpoint),
        "--cascade-to", str(slow.mountpoint), at_release=damage_then_swap_at_the_revocation,
        line_starts="CARD ",  # (read back through FUSE's cache: the card is kept, "CARD PASS")
    )  # fmt: skip
    said = " ".join(rest.split())

    assert released, f"{code}: {rest}"
    _unchanged(other_state, before, rest)
    assert code != 0, rest
    assert "Traceback" not in rest, rest
    # The revocation was appended before the swap, in the folder the lock holds: only the
    # record's removal failed, and the words say so (never "cannot revoke", nor the file's
    # "its ledger could not be told"; the reports' own lines name the replaced folder too).
    assert (
        f"revoked the copies the cascade found changed or could not read in "
        f"{state / 'ledger.jsonl'}; its record of the card's pass could not be removed "
        f"({state} was replaced while this offload ran"
    ) in said, rest
    assert "cannot revoke" not in said, rest
    assert "its ledger could not be told" not in said, rest
