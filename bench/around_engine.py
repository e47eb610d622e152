#!/usr/bin/env python3
"""What an ``offload copy`` spends around its engine: the start (``launch_s``: the process
spawned to the interpreter's first line of the wrapper, then ``start_s``: that line to the
job, which includes the wrapper importing the modules it measures, else loaded later or on
the command's import thread), the engine, and the end (the job's return to the exit:
manifests, JSON + CSV reports, the documents' wait, the summary), each as wall time and as
the main thread's CPU (user and system), minor page faults and fsyncs (their count and
wall), plus every engine thread's CPU at its end. The rest of each span's wall is split in
two (``_runq``: the main thread runnable but waiting for a CPU, the kernel's ``schedstat``;
``_blocked``: neither running nor runnable, i.e. waiting for I/O such as an fsync, a lock or
a sleep): whether the wall a span has beyond its CPU is the machine's load or the disk.
``clips`` is the documents' probe of the clips (``media.probe_clips``), whose thread reads
the card while the main thread waits.

Why: on a card of small files the time around the engine is a large part of the run
(docs/performance.md, "The small card's timeline in transfer mode": twenty-first pass;
"around the engine": twenty-third pass), and on this shared machine walls move with the
load while the main thread's CPU and faults barely do; those are what to compare trees by.

Each run is the benchmark's command (``offload copy --quiet --verify MODE --report-dir R
CARD D1..Dn``) in a process of its own, under a thin wrapper that records
``time.perf_counter`` and ``getrusage(RUSAGE_THREAD)`` around a few of the command's own
functions (looked up by name: one that a tree lacks is left out of that tree's columns,
never an error). The command line, the trees' interleaved runs, the wait for freed inodes
and each run's create probe (``probe_us``: a run with a high one timed ext4's walk past
freed inodes, not the tree), the copies emptied after each run and everything deleted at
the end (noted; ``--keep``: nothing deleted) are ``interleaved.py``'s, shared with
``engine_stages.py``.

    .venv/bin/python bench/around_engine.py CARD --tree main=/tmp/main-src --tree new=src
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from interleaved import Tool

# (label, module, owner attribute path, function name): spans recorded in the child.
_SPANS = (
    ("plan", "offload.cli.offload", "", "plan_offload"),
    ("job", "offload.engine.job", "CopyJob", "run"),
    ("manifests", "offload.card", "", "_finish_destinations"),
    ("reports", "offload.report.job_report", "", "write_reports"),
    ("documents", "offload.report.job_report", "ReportsWritten", "finish_documents"),
    # The HTML and PDF made (in the command past the report worker's size), and of that the
    # clips' probe (the main thread waits for its thread's reads of the card).
    ("render", "offload.report.documents", "", "render"),
    ("clips", "offload.report.media", "", "probe_clips"),
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
    marks: list[tuple[str, float, float, float, int, float, float, int]] = []
    threads: list[tuple[str, float, float]] = []
    main_thread = threading.get_ident()
    # The main thread's fsyncs so far: seconds (wall) and how many.
    fsyncs = [0.0, 0]
    original_fsync = os.fsync

    def fsync(fd: int) -> None:
        if threading.get_ident() != main_thread:
            return original_fsync(fd)
        began = time.perf_counter()
        try:
            return original_fsync(fd)
        finally:
            fsyncs[0] += time.perf_counter() - began
            fsyncs[1] += 1

    os.fsync = fsync

    def run_delay() -> float:
        """The main thread's time runnable but waiting for a CPU so far (the kernel's
        ``schedstat``, seconds; 0 where it cannot be read)."""
        try:
            with open("/proc/thread-self/schedstat") as stat:
                return int(stat.read().split()[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return 0.0

    def mark(name: str) -> None:
        usage = resource.getrusage(resource.RUSAGE_THREAD)
        marks.append(
            (
                name,
                time.perf_counter() - start,
                usage.ru_utime,
                usage.ru_stime,
                usage.ru_minflt,
                run_delay(),
                fsyncs[0],
                fsyncs[1],
            )
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


def _row(record: dict[str, Any]) -> dict[str, float]:
    """One run's figures from the child's marks: seconds, CPU seconds, faults."""
    # (seconds, user, system, faults, run-queue wait, fsyncs' seconds, fsyncs); a record of
    # before the last three were kept has 0 for them
    marks = {name: (*rest, 0.0, 0.0, 0)[:7] for name, *rest in record["marks"]}
    row: dict[str, float] = {}

    def span(key: str, first: str, last: str) -> None:
        if first in marks and last in marks:
            a, b = marks[first], marks[last]
            row[f"{key}_s"] = b[0] - a[0]
            row[f"{key}_user"] = b[1] - a[1]
            row[f"{key}_sys"] = b[2] - a[2]
            row[f"{key}_faults"] = b[3] - a[3]
            # The main thread runnable, waiting for a CPU (other processes', other threads'
            # turn), and neither running nor runnable: blocked (I/O: an fsync, a read;
            # a lock; a sleep): the span's wall is its CPU plus these two.
            row[f"{key}_runq"] = b[4] - a[4]
            row[f"{key}_blocked"] = max(
                0.0, row[f"{key}_s"] - row[f"{key}_user"] - row[f"{key}_sys"] - row[f"{key}_runq"]
            )
            # The main thread's fsyncs in the span (their wall: CPU and waits included).
            row[f"{key}_fsync_s"] = b[5] - a[5]
            row[f"{key}_fsyncs"] = b[6] - a[6]

    span("start", "start", "job<")  # the wrapper's own imports included (loaded up front)
    span("engine", "job<", "job>")
    span("end", "job>", "exit")
    for label in ("plan", "manifests", "reports", "documents", "render", "clips"):
        span(label, f"{label}<", f"{label}>")
    for name, user, system in record["threads"]:
        role = name.rstrip("0123456789").rstrip("-") or name
        row[f"thread {role}"] = row.get(f"thread {role}", 0.0) + user + system
    return row


def main() -> int:
    return Tool(
        __file__,
        __doc__,
        _child,
        _row,
        out_variable="AROUND_ENGINE_OUT",
        prefix="around-engine-",
        destinations=3,
        pause=3.0,
        shown=("probe_us", "wall_s", "launch_s", "start_s", "engine_s", "end_s", "end_user",
               "end_sys", "end_runq", "end_blocked", "manifests_user", "reports_user",
               "reports_sys", "reports_runq", "reports_blocked", "end_fsync_s", "end_fsyncs",
               "clips_s", "clips_blocked", "end_faults"),
    ).main()  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
