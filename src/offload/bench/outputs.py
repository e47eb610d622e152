"""Where each measured run writes, and when what it wrote goes away.

Why this is its own thing: on ext4 without a journal (the bench machine's root filesystem),
creating a file searches its block group's inode bitmap from the start and skips, one inode
at a time (looking each one's inode-table block up), every free inode deleted in the last
60 s, or the last 360 s while that table block is dirty (``find_inode_bit`` →
``recently_deleted``). Deleting a run's 15,000 copies seconds before the next run made every
contender's creates walk past them: a third of `cp`'s CPU and of ours on the small card. A
DIT's destination drive has not just had its files deleted, so the bench must not time that.

The contract, the same for every contender:

- ``new()`` gives each run folders of its own, made fresh; nothing has been deleted in them.
- ``retire()`` after the run empties its regular files (truncated to 0 bytes: the data blocks
  go back to the disk, so the copies do not pile up, but the inodes stay in use and there is
  nothing freed for the next run's creates to walk past). Truncation frees blocks, as the
  old deletes did; it frees no inode.
- ``remove_all()`` at the end of the bench deletes everything and notes, per filesystem, when
  and how many inodes it freed (in the temporary folder: any bench on the machine reads it).
- ``wait_left()`` before the first timed run: the seconds until the last noted mass delete on
  the work folder's filesystem is out of ext4's window (0 when there is none), so a bench
  started right after another one does not time the first one's clean-up either.

Only ext4 without a journal walks recently freed inodes (``walks_freed_inodes``: the mount's
type is ext4 and the kernel has no ``/proc/fs/jbd2/<device>-*`` for it; with a journal,
``recently_deleted`` is not consulted, and XFS, btrfs and tmpfs have no such walk): on any
other filesystem a mass delete is not noted and nothing is waited for.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# ext4 skips an inode freed within 60 s, or 60 + 300 s while its table block is dirty (its
# neighbours' creates dirty it); a few seconds more for the clock's whole seconds.
FREED_WINDOW_S = 365.0
# Fewer freed inodes than this make no walk worth waiting for (a run's report folder, a
# 3-file card's copies).
MANY_INODES = 1_000


def walks_freed_inodes(folder: Path) -> bool:
    """Whether creating a file on *folder*'s filesystem walks past recently freed inodes:
    ext4 (``/proc/self/mountinfo``'s type for its device) without a journal (no
    ``/proc/fs/jbd2/<device>-*``, the device named by ``/sys/dev/block/<major>:<minor>``).
    An ext4 whose device cannot be named counts as journal-less: a wait too many costs
    minutes, a walk timed costs the numbers."""
    device = os.stat(folder).st_dev
    majmin = f"{os.major(device)}:{os.minor(device)}"
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as handle:
            types = {
                line.split(" - ", 1)[1].split()[0]
                for line in handle
                if " - " in line and line.split()[2] == majmin
            }
    except OSError:
        return True  # no mount table to read: do as before, wait
    if types != {"ext4"}:
        return False
    name = os.path.basename(os.path.realpath(f"/sys/dev/block/{majmin}"))
    if not name or name == majmin:
        return True
    return not glob.glob(f"/proc/fs/jbd2/{glob.escape(name)}-*")


def freed_note(folder: Path, note_dir: Path | None = None) -> Path:
    """Where mass deletes on *folder*'s filesystem are noted: one note per device, in
    *note_dir* (default: the temporary folder, which every bench on the machine reads)."""
    device = os.stat(folder).st_dev
    home = note_dir if note_dir is not None else Path(tempfile.gettempdir())
    return home / f"offload-bench-freed-{device}.json"


def read_freed(note: Path) -> list[tuple[float, int]]:
    """The noted deletes, ``(unix time, inodes)``; none if the note is missing or unreadable."""
    try:
        raw = json.loads(note.read_text())
        return [(float(at), int(count)) for at, count in raw["freed"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def note_freed(note: Path, count: int, at: float) -> None:
    """Add a delete of *count* inodes at *at* to the note (entries out of the window are
    dropped; written whole and renamed, so a reader never sees half a note)."""
    if count < MANY_INODES:
        return
    kept = [(t, n) for t, n in read_freed(note) if at - t < FREED_WINDOW_S]
    kept.append((at, count))
    tmp = note.with_name(f"{note.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"freed": kept}))
    os.replace(tmp, note)


def wait_for(freed: list[tuple[float, int]], now: float) -> float:
    """Seconds from *now* until every noted mass delete is older than the window."""
    ends = [at + FREED_WINDOW_S for at, count in freed if count >= MANY_INODES]
    return max([0.0, *(end - now for end in ends)])


def empty_files(folder: Path) -> int:
    """Truncate every regular file below *folder* to 0 bytes (links not followed); returns
    how many. A file that cannot be truncated is left as it is: it only costs space."""
    emptied = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            try:
                if os.path.isfile(path) and not os.path.islink(path):
                    os.truncate(path, 0)
                    emptied += 1
            except OSError:
                pass
    return emptied


def count_entries(folder: Path) -> int:
    """Files and folders below *folder* (each an inode a delete frees; hard links aside)."""
    return sum(len(dirs) + len(files) for _root, dirs, files in os.walk(folder))


class RunFolders:
    """The folders of one bench run's measured runs, under *work*. Single-threaded."""

    def __init__(
        self,
        work: Path,
        *,
        note_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.work = work
        self.note_dir = note_dir
        self.clock = clock
        self._made = 0
        self._walks: bool | None = None

    def walks_freed_inodes(self) -> bool:
        """Whether the work folder's filesystem walks recently freed inodes (the module's
        doc); asked once, the folder made if needed."""
        if self._walks is None:
            self.work.mkdir(parents=True, exist_ok=True)
            self._walks = walks_freed_inodes(self.work)
        return self._walks

    def new(self) -> Path:
        """A new, empty folder for one measured run (``work/runs/NNNN``)."""
        self._made += 1
        folder = self.work / "runs" / f"{self._made:04d}"
        folder.mkdir(parents=True)
        return folder

    def retire(self, folder: Path) -> int:
        """The run is over: give its bytes back, keep its inodes (see the module's doc)."""
        return empty_files(folder)

    def wait_left(self) -> float:
        """Seconds to wait before a timed run on this filesystem (see the module's doc): 0
        on one that does not walk freed inodes."""
        if not self.walks_freed_inodes():
            return 0.0
        self.work.mkdir(parents=True, exist_ok=True)  # freed_note asks its device
        return wait_for(read_freed(freed_note(self.work, self.note_dir)), self.clock())

    def remove_all(self) -> int:
        """Delete the work folder and note the inodes it freed (on a filesystem that walks
        them only); returns how many."""
        if not self.work.exists():
            return 0
        walks = self.walks_freed_inodes()
        note = freed_note(self.work, self.note_dir)
        count = count_entries(self.work) + 1
        shutil.rmtree(self.work, ignore_errors=True)
        if not walks:
            return count
        try:
            note_freed(note, count, self.clock())
        except OSError:
            pass  # the note is a courtesy to the next bench; no note, no wait
        return count
