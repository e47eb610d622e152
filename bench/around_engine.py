#!/usr/bin/env python3
"""What an ``offload copy`` spends around its engine: the start (``launch_s``: the process
spawned to the interpreter's first line of the wrapper, then ``start_s``: that line to the
job, which includes the wrapper importing the modules it measures, else loaded later or on
the command's import thread), the engine, and the end (the job's return to the exit:
manifests, JSON + CSV reports, the documents' wait, the summary), each as wall time and as
the main thread's CPU (user and system) and minor page faults, plus every engine thread's
CPU at its end.

Why: on a card of small files the time around the engine is a large part of the run
(docs/performance.md, "The small card's timeline in transfer mode": twenty-first pass;
"around the engine": twenty-third pass), and on this shared machine walls move with the
load while the main thread's CPU and faults barely do; those are what to compare trees by.

Each run is the benchmark's command (``offload copy --quiet --verify MODE --report-dir R
CARD D1..Dn``) in a process of its own, under a thin wrapper that records
``time.perf_counter`` and ``getrusage(RUSAGE_THREAD)`` around a few of the command's own
functions (looked up by name: one that a tree lacks is left out of that tree's columns,
never an error). Trees (``--tree NAME=PATH``, PATH a folder holding the ``offload``
package, put first on ``PYTHONPATH``) run interleaved, the order reversed every other
round. Before each run: new destination folders, ``sync``, the card's pages dropped
(``POSIX_FADV_DONTNEED``), a pause. After it the copies are emptied (truncated), not
deleted, so no later run creates files past inodes just freed (docs/performance.md,
Method); everything made is deleted when all runs are done, and that delete is noted as
``offload bench`` notes its own (``offload.bench.outputs``).

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

    .venv/bin/python bench/around_engine.py CARD --tree main=/tmp/main-src --tree new=src
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
from pathlib import Path
from typing import Any

from offload.bench.outputs import RunFolders

# (label, module, owner attribute path, function name): spans recorded in the child.
_SPANS = (
    ("plan", "offload.cli.offload", "", "plan_offload"),
    ("job", "offload.engine.job", "CopyJob", "run"),
    ("manifests", "offload.card", "", "_finish_destinations"),
    ("reports", "offload.report.job_report", "", "write_reports"),
    ("documents", "offload.report.job_report", "ReportsWritten", "finish_documents"),
)


def _child() -> None:
    """Run the command (``sys.argv[2:]``) with the spans recorded; write them as one JSON
    line to ``$AROUND_ENGINE_OUT`` at exit."""
    import atexit
    import importlib
    import resource
    import threading

    start = time.perf_counter()
    launched = time.time()  # against the parent's clock: the interpreter's own start
    marks: list[tuple[str, float, float, float, int]] = []
    threads: list[tuple[str, float, float]] = []

    def mark(name: str) -> None:
        usage = resource.getrusage(resource.RUSAGE_THREAD)
        marks.append(
            (name, time.perf_counter() - start, usage.ru_utime, usage.ru_stime, usage.ru_minflt)
        )

    def timed(owner: object, attribute: str, label: str) -> None:
        original = getattr(owner, attribute)

        def wrapper(*args: object, **kwargs: object) -> object:
            mark(f"{label}<")
            try:
                return original(*args, **kwargs)
            finally:
                mark(f"{label}>")

        setattr(owner, attribute, wrapper)

    def thread_cpu(owner: type, attribute: str = "run") -> None:
        original = getattr(owner, attribute)

        def run(self: threading.Thread) -> None:
            try:
                original(self)
            finally:
                usage = resource.getrusage(resource.RUSAGE_THREAD)
                threads.append((self.name, usage.ru_utime, usage.ru_stime))

        setattr(owner, attribute, run)

    def dump() -> None:
        mark("exit")
        with open(os.environ["AROUND_ENGINE_OUT"], "a") as out:
            out.write(json.dumps({"marks": marks, "threads": threads, "launched": launched}) + "\n")

    atexit.register(dump)
    mark("start")
    for label, module_name, owner_path, name in _SPANS:
        try:
            owner: object = importlib.import_module(module_name)
            for part in filter(None, owner_path.split(".")):
                owner = getattr(owner, part)
            getattr(owner, name)
        except (ImportError, AttributeError):
            continue
        timed(owner, name, label)
    thread_cpu(threading.Thread)
    try:
        from offload.engine import job

        thread_cpu(job._SignallingThread)  # the reader and writers: their own ``run``
    except (ImportError, AttributeError):
        pass
    mark("imported")
    from offload.cli.entry import entry_point

    sys.argv = ["offload", *sys.argv[2:]]
    entry_point()


def _drop_pages(card: Path) -> None:
    for folder, _, names in os.walk(card):
        for name in names:
            try:
                fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def _empty(folder: Path) -> None:
    for parent, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(parent, name)
            if not os.path.islink(path):
                os.truncate(path, 0)


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


def _row(record: dict[str, Any]) -> dict[str, float]:
    """One run's figures from the child's marks: seconds, CPU seconds, faults."""
    marks = {name: (t, user, system, faults) for name, t, user, system, faults in record["marks"]}
    row: dict[str, float] = {}

    def span(key: str, first: str, last: str) -> None:
        if first in marks and last in marks:
            a, b = marks[first], marks[last]
            row[f"{key}_s"] = b[0] - a[0]
            row[f"{key}_user"] = b[1] - a[1]
            row[f"{key}_sys"] = b[2] - a[2]
            row[f"{key}_faults"] = b[3] - a[3]

    span("start", "start", "job<")  # the wrapper's own imports included (loaded up front)
    span("engine", "job<", "job>")
    span("end", "job>", "exit")
    for label in ("plan", "manifests", "reports", "documents"):
        span(label, f"{label}<", f"{label}>")
    for name, user, system in record["threads"]:
        role = name.rstrip("0123456789").rstrip("-") or name
        row[f"thread {role}"] = row.get(f"thread {role}", 0.0) + user + system
    return row


def common_arguments(description: str, *, destinations: int, pause: float) -> argparse.Namespace:
    """The command line both tools take (this one and ``engine_stages.py``): the card, the
    trees, the destinations, rounds, verification mode, pause and work folder."""
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


def interleaved_runs(
    args: argparse.Namespace,
    script: str,
    *,
    prefix: str,
    out_variable: str,
    row: Callable[[dict[str, Any]], dict[str, float]],
    shown: Sequence[str] | None = None,
    extra_path: str = "",
) -> int:
    """Run *script* ``--child copy ...`` on *args*' card once a tree a round, the trees
    interleaved and their order reversed every other round (the method of the module's
    docstring); the child writes its record as a JSON line to the file named by the
    environment variable *out_variable*; *row* makes a run's figures of it (``launch_s``,
    ``load`` and ``wall_s`` added here). Prints each run (*shown*: those keys, else all)
    and each tree's medians; deletes everything it made, the delete noted
    (``RunFolders.remove_all``), unless ``--keep``: then it deletes nothing and prints the
    folder. Before each run it waits for the noted mass deletes' freed
    inodes (``--no-wait``: says so) and probes what a create costs (``probe_us``; the
    module's doc). Returns 0; raises CalledProcessError when a run fails."""
    trees = [tuple(t.split("=", 1)) for t in args.tree] or [("installed", "")]
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=args.work or args.card.parent))
    if args.freed_notes is not None:
        args.freed_notes.mkdir(parents=True, exist_ok=True)
    folders = RunFolders(work, note_dir=args.freed_notes)
    rows: dict[str, list[dict[str, float]]] = {name: [] for name, _ in trees}
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
                env = dict(os.environ, **{out_variable: str(out)})
                env["PYTHONPATH"] = os.pathsep.join(
                    filter(None, [os.path.abspath(path) if path else "", extra_path,
                                  env.get("PYTHONPATH")])
                )  # fmt: skip
                _wait_for_freed_inodes(folders, wait=not args.no_wait)
                os.sync()
                _drop_pages(args.card)
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
                figures = row(record)
                if "launched" in record:
                    figures["launch_s"] = record["launched"] - spawned
                figures["load"], figures["wall_s"] = load, wall
                figures["probe_us"] = probe
                rows[name].append(figures)
                for destination in destinations:
                    _empty(destination)
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


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        _child()
        return 0
    args = common_arguments(__doc__.split("\n\n")[0], destinations=3, pause=3.0)
    return interleaved_runs(
        args,
        os.path.abspath(__file__),
        prefix="around-engine-",
        out_variable="AROUND_ENGINE_OUT",
        row=_row,
        shown=("probe_us", "wall_s", "launch_s", "start_s", "engine_s", "end_s", "end_user",
               "end_sys", "manifests_user", "reports_user", "reports_sys", "end_faults"),
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
