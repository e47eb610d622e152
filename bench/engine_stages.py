#!/usr/bin/env python3
"""Which stage of the engine paces a copy: how long each engine thread waited for the
stage before or after it, and what each thread spent (CPU, user and system, and its
voluntary and involuntary context switches), for ``offload copy`` runs of a card.

Why: the engine is a pipeline (the reader; a writer and a committer per destination:
docs/design.md), and the stage that never waits for its input while the one before it
waits for room is the one that paces the copy; cutting the others' costs moves nothing
but their idle time (docs/performance.md, "Which stage paces the 50,000-file card":
twenty-fourth pass). Waits are wall time, but a wait of seconds against one of
milliseconds says which way the pipeline leans even on a loaded machine; the CPU and the
switches are the thread's own (``getrusage(RUSAGE_THREAD)`` at its end), and so is
``runq``: the time the thread was runnable but waited for a CPU (the kernel's
``/proc/thread-self/schedstat``; 0 where it cannot be read). On a shared machine a thread's
wall is its CPU, its waits for the stages around it, its ``runq`` (the machine's load, or
the job's own threads outnumbering the cores) and the rest blocked in the kernel: a
writer's 0.6 s of CPU in a 12 s engine with 10 s of ``runq`` is the load's engine, not the
code's (docs/performance.md, "thirty-third pass").

The waits, each summed over the run and over the destinations' threads (seconds, and how
many calls):

* ``reader room``: the reader waiting for a free buffer (``ChunkPool.acquire``): every
  buffer is held by a writer, i.e. some writer is behind the reader.
* ``writer input``: a writer waiting for the reader's next message (its queue's ``get``).
* ``writer hand-off``: a writer waiting for room to hand its committer a batch (two wait).
* ``committer input``: a committer waiting for the writer's next batch.

Each run is the bench's command (``offload copy --quiet --verify MODE --report-dir R CARD
D1..Dn``) in a process of its own, trees (``--tree NAME=PATH``, PATH a folder holding the
``offload`` package) interleaved, the order reversed every other round; before each run:
new destination folders, ``sync``, the card's pages dropped, a pause; the copies emptied
after it, and everything made deleted at the end (``interleaved.py``'s method, shared
with ``around_engine.py``: the wait for freed inodes, ``probe_us``, ``--keep``).

    .venv/bin/python bench/engine_stages.py CARD --destinations 1 --tree main=/tmp/main-src
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from interleaved import Tool

_WAITS = ("reader room", "writer input", "writer hand-off", "committer input")


def _child() -> None:
    """Run the command (``sys.argv[2:]``) with the waits and the threads' costs recorded;
    write them as one JSON line to ``$ENGINE_STAGES_OUT`` at exit."""
    import atexit
    import resource
    import threading

    from offload.engine import buffers, job, writer

    lock = threading.Lock()
    waits: dict[str, list[float]] = {name: [0.0, 0] for name in _WAITS}  # type: ignore[misc]
    threads: list[tuple[str, float, float, int, int]] = []
    engine: list[float] = []

    def waited(name: str, since: float) -> None:
        elapsed = time.perf_counter() - since
        with lock:
            waits[name][0] += elapsed
            waits[name][1] += 1

    acquire = buffers.ChunkPool.acquire

    def timed_acquire(self: Any, cancel: Any, on_wait: Any = None) -> Any:
        since = time.perf_counter()
        try:
            return acquire(self, cancel, on_wait)
        finally:
            waited("reader room", since)

    buffers.ChunkPool.acquire = timed_acquire  # type: ignore[method-assign]

    class _Timed:
        """A queue whose ``get`` (and ``put``) waits are counted under the given names."""

        def __init__(self, inner: Any, get_name: str, put_name: str | None) -> None:
            self._inner, self._get_name, self._put_name = inner, get_name, put_name

        def get(self, *args: Any, **kwargs: Any) -> Any:
            since = time.perf_counter()
            try:
                return self._inner.get(*args, **kwargs)
            finally:
                waited(self._get_name, since)

        def put(self, item: Any) -> None:
            if self._put_name is None:
                self._inner.put(item)
                return
            since = time.perf_counter()
            try:
                self._inner.put(item)
            finally:
                waited(self._put_name, since)

    original_init = writer.DestinationWriter.__init__

    def init(self: Any, state: Any) -> None:
        original_init(self, state)
        self.queue = _Timed(self.queue, "writer input", None)
        state.batches = _Timed(state.batches, "committer input", "writer hand-off")

    writer.DestinationWriter.__init__ = init  # type: ignore[method-assign]

    def run_delay() -> float:
        """This thread's time runnable but waiting for a CPU since it started (the
        kernel's ``schedstat``, seconds; 0 where it cannot be read)."""
        try:
            with open("/proc/thread-self/schedstat") as stat:
                return int(stat.read().split()[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return 0.0

    def costed(owner: type) -> None:
        original = owner.run

        def run(self: threading.Thread) -> None:
            try:
                original(self)
            finally:
                usage = resource.getrusage(resource.RUSAGE_THREAD)
                runq = run_delay()
                with lock:
                    threads.append(
                        (self.name, usage.ru_utime, usage.ru_stime, usage.ru_nvcsw,
                         usage.ru_nivcsw, runq)
                    )  # fmt: skip

        owner.run = run  # type: ignore[method-assign]

    costed(threading.Thread)  # the committers
    costed(job._SignallingThread)  # the reader and the writers: their own ``run``
    run_job = job.CopyJob.run

    def timed_run(self: Any, *args: Any, **kwargs: Any) -> Any:
        since = time.perf_counter()
        try:
            return run_job(self, *args, **kwargs)
        finally:
            engine.append(time.perf_counter() - since)

    job.CopyJob.run = timed_run  # type: ignore[method-assign]

    def dump() -> None:
        with open(os.environ["ENGINE_STAGES_OUT"], "a") as out:
            out.write(json.dumps({"waits": waits, "threads": threads, "engine": engine}) + "\n")

    atexit.register(dump)
    from offload.cli.entry import entry_point

    sys.argv = ["offload", *sys.argv[2:]]
    entry_point()


def _row(record: dict[str, Any]) -> dict[str, float]:
    """One run's figures: the engine's wall, each wait, each thread role's costs."""
    row = {"engine_s": sum(record["engine"])}
    for name, (seconds, calls) in record["waits"].items():
        row[f"{name} s"] = seconds
        row[f"{name} n"] = calls
    for name, user, system, voluntary, involuntary, runq in record["threads"]:
        role = name.rstrip("0123456789").rstrip("-") or name
        if role not in ("reader", "destination", "commit"):
            continue
        for key, value in (("user", user), ("sys", system), ("vcsw", voluntary),
                           ("ivcsw", involuntary), ("runq", runq)):  # fmt: skip
            row[f"{role} {key}"] = row.get(f"{role} {key}", 0.0) + value
    return row


def main() -> int:
    return Tool(
        __file__,
        __doc__,
        _child,
        _row,
        out_variable="ENGINE_STAGES_OUT",
        prefix="engine-stages-",
        destinations=1,
        pause=2.0,
        extra_path=os.path.dirname(os.path.abspath(__file__)),
    ).main()


if __name__ == "__main__":
    sys.exit(main())
