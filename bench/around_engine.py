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
               "end_sys", "manifests_user", "reports_user", "reports_sys", "end_faults"),
    ).main()  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
