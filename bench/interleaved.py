"""The command line and the interleaved runs that ``around_engine.py`` and
``engine_stages.py`` share: each tool gives its child (the wrapper that records what it
measures around ``offload copy``) and how a run's figures are made of the child's record;
this module parses the command line, runs the trees and prints the rows and medians.

Each run is the bench's command (``offload copy --quiet --verify MODE --report-dir R CARD
D1..Dn``), run as ``TOOL --child copy ...`` in a process of its own. Trees (``--tree
NAME=PATH``, PATH a folder holding the ``offload`` package, put first on ``PYTHONPATH``)
run interleaved, the order reversed every other round. Before each run: new destination
folders, ``sync``, the card's pages dropped (``POSIX_FADV_DONTNEED``), a pause. After it
the copies are emptied (truncated), not deleted, so no later run creates files past inodes
just freed (docs/performance.md, Method); everything made is deleted when all runs are
done, and that delete is noted as ``offload bench`` notes its own
(``offload.bench.outputs``), unless ``--keep``.

Freed inodes: on ext4 without a journal (this project's bench machine) every create walks
past the inodes its block group freed in the last 60-360 s, a buffer-cache look-up each
(``recently_deleted``): after a mass delete by anyone on the disk, the writer's system time
on a 50,000-file card grows by seconds (docs/performance.md, "The writer's kernel-time
swing": twenty-fifth pass). So, as ``offload bench`` does, each run first waits until the
mass deletes noted on the work folder's filesystem are out of that window (``--no-wait``:
say so and go on), and each run's row has ``probe_us``: the CPU a create took in a new
folder beside the destinations just before the run (500 empty files, kept), ~10 µs on an
undisturbed disk and tens to hundreds while a walk is under way, whoever deleted what: a
run with a high ``probe_us`` timed the walk, not the tree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offload.bench.outputs import RunFolders, empty_files
from offload.bench.system import evict

#: A run's figures made of the child's record (``launch_s``, ``load``, ``wall_s`` and
#: ``probe_us`` are added by ``interleaved_runs``).
Row = Callable[[dict[str, Any]], dict[str, float]]


@dataclass(frozen=True)
class Tool:
    """One of the tools: its own file (*script*, run again as ``SCRIPT --child copy ...``
    for each run) and *doc* (its help: the first paragraph); its *child*, which runs the
    command with what it measures recorded, written as a JSON line to the file named by
    the environment variable *out_variable*; *row*, which makes a run's figures of that
    record; its defaults (*destinations*, *pause*), the prefix of its work folder
    (*prefix*), the figures a run's line shows (*shown*: those keys, else all) and a
    folder put on the child's ``PYTHONPATH`` after the tree's (*extra_path*)."""

    script: str
    doc: str | None
    child: Callable[[], None]
    row: Row
    out_variable: str
    prefix: str
    destinations: int
    pause: float
    shown: Sequence[str] | None = None
    extra_path: str = ""

    def main(self) -> int:
        """The tool's ``main``: as the child, the command run by *child*; else its command
        line (``common_arguments``) and its runs (``interleaved_runs``). Returns the exit
        code."""
        if sys.argv[1:2] == ["--child"]:
            self.child()
            return 0
        description = (self.doc or "").split("\n\n")[0]
        args = common_arguments(description, destinations=self.destinations, pause=self.pause)
        return interleaved_runs(args, self)


def _card_files(card: Path) -> list[Path]:
    """The regular files of *card* (links not followed): what ``evict`` drops before a run."""
    return [
        path
        for folder, _, names in os.walk(card)
        for path in (Path(folder, name) for name in names)
        if path.is_file() and not path.is_symlink()
    ]


# Empty files a run's create probe makes (``_create_probe``).
_PROBE_FILES = 500


def _create_probe(folder: Path, count: int = _PROBE_FILES) -> float:
    """Create *count* empty files in *folder* (made here, new) and return the CPU one create
    took, in µs (``time.thread_time``: the loop is almost all the kernel's create). The
    files are kept: deleting them would free inodes for the next creates to walk past."""
    folder.mkdir()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    names = [os.path.join(folder, f"p{n:04d}") for n in range(count)]
    before = time.thread_time()
    for name in names:
        os.close(os.open(name, flags, 0o600))
    return (time.thread_time() - before) / count * 1e6


def _wait_for_freed_inodes(folders: RunFolders, *, wait: bool) -> None:
    """Before a run: wait until the mass deletes noted on the work folder's filesystem are
    out of ext4's window (the module's doc), or, with *wait* False, say how long that
    would have been."""
    left = folders.wait_left()
    if left <= 0:
        return
    if not wait:
        print(f"not waiting {left:.0f} s for inodes freed by a noted delete (--no-wait): "
              "this run's creates may walk past them", flush=True)  # fmt: skip
        return
    print(f"waiting {left:.0f} s for inodes freed by a noted delete to leave ext4's "
          "window", flush=True)  # fmt: skip
    time.sleep(left)


def common_arguments(description: str, *, destinations: int, pause: float) -> argparse.Namespace:
    """The command line both tools take (``around_engine.py``, ``engine_stages.py``): the
    card, the trees, the destinations, rounds, verification mode, pause, work folder, the
    freed-inode wait and notes, and ``--keep``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("card", type=Path)
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--destinations", type=int, default=destinations)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--verify", default="transfer")
    parser.add_argument("--pause", type=float, default=pause)
    parser.add_argument(
        "--work", type=Path, help="folder for the copies (default: beside the card)"
    )
    parser.add_argument(
        "--no-wait", action="store_true",
        help="do not wait for a noted mass delete's freed inodes to leave ext4's window",
    )  # fmt: skip
    parser.add_argument(
        "--freed-notes", type=Path, default=None,
        help="folder of the notes of mass deletes (default: the temporary folder, as "
        "offload bench)",
    )  # fmt: skip
    parser.add_argument(
        "--keep", action="store_true",
        help="keep the runs' folders (their copies emptied) and print where: a later tool "
        "run then creates past no inodes this one freed; delete them with "
        "RunFolders(PATH).remove_all(), which notes the delete",
    )  # fmt: skip
    args = parser.parse_args()
    args.card = args.card.resolve()  # each run's child works in another folder
    return args


def interleaved_runs(args: argparse.Namespace, tool: Tool) -> int:
    """Run *tool*'s script ``--child copy ...`` on *args*' card once a tree a round, the
    trees interleaved and their order reversed every other round (the method of the
    module's docstring); *tool*'s row makes a run's figures of its child's record
    (``launch_s``, ``load``, ``wall_s`` and ``probe_us`` added here). Prints each run (the
    tool's *shown* figures, else all) and each tree's medians; deletes everything it made,
    the delete noted (``RunFolders.remove_all``), unless ``--keep``: then it deletes
    nothing and prints the folder. Before each run it waits for the noted mass deletes'
    freed inodes (``--no-wait``: says so) and probes what a create costs (``probe_us``;
    the module's doc). Returns 0; raises CalledProcessError when a run fails."""
    script, shown = os.path.abspath(tool.script), tool.shown
    trees = [tuple(t.split("=", 1)) for t in args.tree] or [("installed", "")]
    work = Path(tempfile.mkdtemp(prefix=tool.prefix, dir=args.work or args.card.parent))
    if args.freed_notes is not None:
        args.freed_notes.mkdir(parents=True, exist_ok=True)
    folders = RunFolders(work, note_dir=args.freed_notes)
    rows: dict[str, list[dict[str, float]]] = {name: [] for name, _ in trees}
    card_files = _card_files(args.card)
    try:
        number = 0
        for round_number in range(args.rounds):
            order = trees if round_number % 2 == 0 else trees[::-1]
            for name, path in order:
                number += 1
                run = work / f"{number:03d}"
                destinations = [run / f"d{i}" for i in range(1, args.destinations + 1)]
                for destination in destinations:
                    destination.mkdir(parents=True)
                out = run / "record.jsonl"
                env = dict(os.environ, **{tool.out_variable: str(out)})
                env["PYTHONPATH"] = os.pathsep.join(
                    filter(None, [os.path.abspath(path) if path else "", tool.extra_path,
                                  env.get("PYTHONPATH")])
                )  # fmt: skip
                _wait_for_freed_inodes(folders, wait=not args.no_wait)
                evict(card_files)  # os.sync() first, then each card file's pages dropped
                time.sleep(args.pause)
                probe = _create_probe(run / "probe")
                load = os.getloadavg()[0]
                began, spawned = time.perf_counter(), time.time()
                subprocess.run(
                    [sys.executable, script, "--child", "copy", "--quiet",
                     "--verify", args.verify, "--report-dir", str(run / "reports"),
                     str(args.card), *map(str, destinations)],
                    check=True, cwd=run, env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                wall = time.perf_counter() - began
                record = json.loads(out.read_text().splitlines()[-1])
                figures = tool.row(record)
                if "launched" in record:
                    figures["launch_s"] = record["launched"] - spawned
                figures["load"], figures["wall_s"] = load, wall
                figures["probe_us"] = probe
                rows[name].append(figures)
                for destination in destinations:
                    empty_files(destination)
                keys = [k for k in shown if k in figures] if shown is not None else figures
                line = ", ".join(f"{key} {figures[key]:.3f}" for key in keys)
                print(f"{name} (load {load:.1f}): {line}", flush=True)
    finally:
        if getattr(args, "keep", False):
            print(f"kept (copies emptied, nothing deleted): {work}", flush=True)
        else:
            folders.remove_all()
    print("\nmedians:")
    for name, runs in rows.items():
        keys = sorted({key for figures in runs for key in figures})
        medians = {key: statistics.median([f[key] for f in runs if key in f]) for key in keys}
        print(f"{name}: " + ", ".join(f"{key} {value:.3f}" for key, value in medians.items()))
    return 0
