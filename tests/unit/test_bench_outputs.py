"""The bench's run folders: no run creates files where the bench has just deleted some.

ext4 without a journal makes every create walk past the inodes freed in the last minutes;
the bench used to delete one run's copies seconds before the next run into the same folders
(docs/performance.md, "Many small files: twelfth pass"). Real files, real runs of `cp`.
"""

from __future__ import annotations

import os
from pathlib import Path

from offload.bench.contenders import Contender, Cp, RunContext
from offload.bench.data import DatasetSpec
from offload.bench.outputs import (
    FREED_WINDOW_S,
    MANY_INODES,
    RunFolders,
    empty_files,
    freed_note,
    note_freed,
    read_freed,
    wait_for,
    walks_freed_inodes,
)
from offload.bench.plan import BenchConfig, Case
from offload.bench.report import markdown
from offload.bench.runner import Results, Runner
from support.requirements import require_root, require_tool
from tests.support import mounts


def _tree(root: Path, folders: int, files: int, size: int) -> list[Path]:
    made = []
    for f in range(folders):
        folder = root / f"F{f:02d}"
        folder.mkdir(parents=True)
        for n in range(files):
            path = folder / f"C{n:04d}.MP4"
            path.write_bytes(os.urandom(size))
            made.append(path)
    return made


def test_a_retired_run_keeps_its_inodes_and_gives_its_bytes_back(tmp_path: Path) -> None:
    folders = RunFolders(tmp_path / "work", note_dir=tmp_path)
    first = folders.new()
    files = _tree(first, 3, 10, 64 * 1024)
    os.symlink(files[0], first / "link")  # not followed: its target is emptied as itself
    inodes = {path: path.stat().st_ino for path in files}

    assert folders.retire(first) == len(files)

    for path in files:
        info = path.stat()
        assert info.st_ino == inodes[path]  # the same inode: none was freed
        assert info.st_size == 0 and info.st_blocks == 0  # its data blocks were
    assert (first / "link").is_symlink()
    second = folders.new()
    assert second != first and not any(second.iterdir())


def test_empty_files_leaves_what_it_cannot_truncate(tmp_path: Path) -> None:
    _tree(tmp_path / "run", 1, 3, 1000)
    fifo = tmp_path / "run" / "pipe"
    os.mkfifo(fifo)  # not a regular file: never opened (it would block)
    assert empty_files(tmp_path / "run") == 3
    assert fifo.exists()


class _Recorder(Contender):
    """`cp -r` to each destination, noting where it was sent and what the earlier runs'
    folders held at that moment."""

    card_only = True

    def __init__(self, name: str, seen: list[tuple[list[Path], list[int]]]) -> None:
        super().__init__(name)
        self.seen = seen
        self.cp = Cp("cp")

    def describe(self) -> str:
        return "cp -r, recorded"

    def run(self, ctx: RunContext) -> None:
        earlier = [dest for dests, _ in self.seen for dest in dests]
        present = [sum(1 for p in dest.rglob("*") if p.is_file()) for dest in earlier]
        assert all(not any(dest.iterdir()) for dest in ctx.destinations)  # fresh and empty
        self.seen.append((list(ctx.destinations), present))
        self.cp.run(ctx)


def test_every_run_writes_into_new_folders_and_the_last_ones_copies_stay_until_the_end(
    tmp_path: Path,
) -> None:
    # Fails on the runner before: every run got work/dest1..N, deleted just before it.
    require_tool("cp")
    config = BenchConfig(repetitions=2, sleep_s=0, data_dir=tmp_path / "data")
    spec = DatasetSpec("card", "card", 2_000, count=40)
    seen: list[tuple[list[Path], list[int]]] = []
    case = Case(
        id="card",
        section="small-card",
        title="card",
        dataset=spec,
        destinations=2,
        source_state="cold",
        contenders=(_Recorder("a", seen), _Recorder("b", seen)),
        references={},
    )
    out = tmp_path / "out"
    results = Runner(config, out, log=lambda line: None, note_dir=tmp_path).run([case])

    assert all(r.ok for r in results.runs), [r.error for r in results.runs]
    assert len(seen) == 4
    every = [dest for dests, _ in seen for dest in dests]
    assert len(set(every)) == len(every)  # no folder used twice
    for _, present in seen:
        assert present == [40] * len(present)  # earlier runs' copies not deleted (emptied)
    assert not (out / "work").exists()  # all gone when the bench ends
    header = markdown(results).split("## Targets")[0]
    assert "each run wrote into new folders" in header  # the summary says how
    # No note in note_dir: no wait, said as such (before: "waited 0.0 s first for ...").
    assert "no wait was needed" in header and "waited 0.0 s" not in header, header
    older = Results.load(out / "results.json")
    del older.machine["waited_for_freed_inodes_s"]
    assert "deleted before each run" in markdown(older).split("## Targets")[0]


def test_a_mass_delete_is_noted_and_waited_out(tmp_path: Path) -> None:
    now = 1_000_000.0
    folders = RunFolders(tmp_path / "work", note_dir=tmp_path, clock=lambda: now)
    run = folders.new()
    for n in range(MANY_INODES):
        (run / f"f{n}").touch()
    folders.retire(run)

    removed = folders.remove_all()

    assert removed >= MANY_INODES and not (tmp_path / "work").exists()
    later = RunFolders(tmp_path / "work", note_dir=tmp_path, clock=lambda: now + 5)
    assert later.wait_left() == FREED_WINDOW_S - 5
    after = RunFolders(tmp_path / "work", note_dir=tmp_path, clock=lambda: now + FREED_WINDOW_S)
    assert after.wait_left() == 0


def test_a_few_deleted_files_cost_no_wait(tmp_path: Path) -> None:
    folders = RunFolders(tmp_path / "work", note_dir=tmp_path)
    (folders.new() / "report.json").write_text("{}")
    folders.remove_all()
    assert folders.wait_left() == 0
    assert read_freed(freed_note(tmp_path, tmp_path)) == []


def test_the_note_keeps_the_window_and_survives_garbage(tmp_path: Path) -> None:
    note = freed_note(tmp_path, tmp_path)
    note.write_text("not json")
    assert read_freed(note) == []  # unreadable: no wait, no crash
    note_freed(note, 5_000, at=100.0)
    note_freed(note, 2_000, at=100.0 + FREED_WINDOW_S + 1)  # the first is out of the window
    assert read_freed(note) == [(100.0 + FREED_WINDOW_S + 1, 2_000)]
    assert wait_for(read_freed(note), now=100.0 + FREED_WINDOW_S + 11) == FREED_WINDOW_S - 10
    assert wait_for([(0.0, MANY_INODES - 1)], now=1.0) == 0


def _mass_delete_then_wait(work: Path, notes: Path) -> float:
    """Make and delete MANY_INODES files under *work*, as a bench's end does; the wait a
    bench started 5 s later on that filesystem would take."""
    now = 1_000_000.0
    folders = RunFolders(work, note_dir=notes, clock=lambda: now)
    run = folders.new()
    for n in range(MANY_INODES):
        (run / f"f{n}").touch()
    assert folders.remove_all() >= MANY_INODES
    return RunFolders(work, note_dir=notes, clock=lambda: now + 5).wait_left()


def test_only_ext4_without_a_journal_notes_a_mass_delete_and_waits(tmp_path: Path) -> None:
    """Journaled ext4 and tmpfs do not walk recently freed inodes (only a journal-less
    ext4's ``find_inode_bit`` consults ``recently_deleted``). Failed before (review): a bench
    on any of them waited ~6 minutes after another bench's clean-up."""
    require_root("loop devices")
    with mounts.ext4_loop(tmp_path / "bare", 64 << 20, mkfs_args=("-O", "^has_journal")) as bare:
        assert walks_freed_inodes(bare.path)
        assert _mass_delete_then_wait(bare.path / "work", tmp_path) == FREED_WINDOW_S - 5
    with mounts.ext4_loop(tmp_path / "journaled", 64 << 20) as journaled:
        assert not walks_freed_inodes(journaled.path)
        # Notes apart: a loop device's number comes back after the one before is gone.
        notes = tmp_path / "journaled-notes"
        notes.mkdir()
        assert _mass_delete_then_wait(journaled.path / "work", notes) == 0
        assert read_freed(freed_note(journaled.path, notes)) == []  # nothing noted
    with mounts.tmpfs(tmp_path / "memory", 64 << 20) as memory:
        assert not walks_freed_inodes(memory.path)
        assert _mass_delete_then_wait(memory.path / "work", notes) == 0
