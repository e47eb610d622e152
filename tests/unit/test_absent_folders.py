"""The plan's look at what is already at each final path (``card._existing_copy_kind``)
asks each destination folder once whether it is there (``plan.AbsentFolders``) and looks
up names only in the folders that are: the same plan as an ``lstat`` a name, on real
folders and files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.card import OffloadPlan, plan_offload, run_offload
from offload.plan import AbsentFolders


def _card(root: Path, folders: int = 4, per_folder: int = 5) -> Path:
    card = root / "CARD"
    for f in range(folders):
        folder = card / "DCIM" / f"{100 + f}MEDIA"
        folder.mkdir(parents=True)
        for n in range(per_folder):
            (folder / f"C{f:02d}{n:03d}.MP4").write_bytes(os.urandom(100 + n))
    return card


def test_a_folder_is_absent_only_when_stat_says_so(tmp_path: Path) -> None:
    (tmp_path / "here").mkdir()
    (tmp_path / "file").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "here")
    absent = AbsentFolders()
    assert absent.holds_nothing_at(f"{tmp_path}/gone/a.mov")  # ENOENT
    assert absent.holds_nothing_at(f"{tmp_path}/gone/deeper/a.mov")
    assert absent.holds_nothing_at(f"{tmp_path}/file/a.mov")  # ENOTDIR
    assert not absent.holds_nothing_at(f"{tmp_path}/here/a.mov")  # there: ask the name
    assert not absent.holds_nothing_at(f"{tmp_path}/link/a.mov")  # a link to a folder
    assert not absent.holds_nothing_at("/a.mov")  # the root folder
    # A snapshot: asked once a folder (the plan writes nothing meanwhile).
    (tmp_path / "gone").mkdir()
    assert absent.holds_nothing_at(f"{tmp_path}/gone/b.mov")
    assert not AbsentFolders().holds_nothing_at(f"{tmp_path}/gone/b.mov")


def test_a_plan_into_an_empty_destination_looks_up_no_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Into a destination without the card's folder, no file name is looked up (before: one
    failing ``lstat`` a file); the plan copies every file."""
    card = _card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    looked_up: list[str] = []
    real_lstat = os.lstat

    def counting_lstat(path: str | os.PathLike[str], *args: object, **kwargs: object) -> object:
        looked_up.append(os.fspath(path))
        return real_lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "lstat", counting_lstat)
    plan = plan_offload(card, [dest])
    monkeypatch.undo()
    below = [p for p in looked_up if p.startswith(f"{dest}/CARD/")]
    assert below == []
    assert plan.files_to_copy == 20
    assert all(task.targets[0] is not None for task in plan.tasks)


def test_files_already_there_are_found_as_before(tmp_path: Path) -> None:
    """Where the card's folders are there (a `cp -r` copy, part of it, a file in the way),
    each name is looked up: an equal-size copy is read back (ADOPT), another file is in the
    way, the folders the destination lacks hold nothing."""
    card = _card(tmp_path)
    dest = tmp_path / "dest"
    there = dest / "CARD" / "DCIM" / "101MEDIA"
    there.mkdir(parents=True)
    (there / "C01000.MP4").write_bytes((card / "DCIM/101MEDIA/C01000.MP4").read_bytes())
    (there / "C01001.MP4").write_bytes(b"another file")
    plan = plan_offload(card, [dest])
    checked = {str(check.final_path) for check in plan.checks_to_read}
    assert checked == {str(there / "C01000.MP4")}
    assert plan.copies_not_overwritten == 1  # C01001.MP4: refused, the file is kept
    assert plan.files_to_copy == 18  # the 20 less the one read back and the one refused


def test_a_first_offload_plans_the_tasks_the_file_by_file_look_plans(tmp_path: Path) -> None:
    """A card's first offload (each copy root absent, no ledger: its tasks made at once)
    plans what the file-by-file look plans into a copy root that is there and empty: the
    same files, targets, nothing preset, and the digests the card's own ASC MHL history
    records for each file (the card here is a copy holding its own history, an ignored OS
    file and a symlink), onto two destinations at once."""
    first = _card(tmp_path, folders=3, per_folder=4)
    (first / "DCIM" / "._C00000.MP4").write_bytes(b"resource fork")
    (first / "DCIM" / "link.MP4").symlink_to("100MEDIA/C00000.MP4")
    copied = tmp_path / "copied"
    (copied / "CARD").mkdir(parents=True)  # the card copied file by file, as before
    assert run_offload(plan_offload(first, [copied])).job.exit_code == 0
    card = copied / "CARD"  # a card with a history of its own
    fresh = [tmp_path / "a", tmp_path / "b"]
    there = [tmp_path / "c", tmp_path / "d"]
    for dest in (*fresh, *there):
        dest.mkdir()
    for dest in there:
        (dest / "CARD").mkdir()  # there and empty: each file looked at in turn
    at_once, one_by_one = plan_offload(card, fresh), plan_offload(card, there)

    def tasks(plan: OffloadPlan, dests: list[Path]) -> list[object]:
        return [
            (
                task.source,
                [
                    None if t is None else os.path.relpath(t, d)
                    for t, d in zip(task.targets, dests, strict=True)
                ],
                task.preset,
                dict(task.reference_digests),
                task.reference_origin,
            )
            for task in plan.tasks
        ]

    assert tasks(at_once, fresh) == tasks(one_by_one, there)
    assert len(at_once.tasks) == 12
    assert all(task.reference_digests for task in at_once.tasks)  # the history's digests
    assert at_once.files_to_copy == one_by_one.files_to_copy == 12
    counts = [
        [(c.files_to_copy, c.bytes_to_copy) for c in plan.preflight.destinations]
        for plan in (at_once, one_by_one)
    ]
    assert counts[0] == counts[1]
