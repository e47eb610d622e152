#!/usr/bin/env python3
"""The memory a command's process tree holds while it runs, counted two ways: the largest
sum of the processes' resident sets (``VmRSS``, as ``offload bench`` counts its peak:
``offload.bench.system.TreePeak``) and the largest sum of their proportional sets (``Pss``
of ``/proc/PID/smaps_rollup``: a page shared by n processes counts 1/n in each), every
``--interval`` seconds from the command's start to its exit.

Why: a child made by ``fork`` shares its parent's pages until either writes them, so the
resident sets' sum counts those pages twice, while the proportional sets' sum counts the
memory the tree really holds (pages shared with processes outside it, such as the
interpreter's libraries, split with them too). Which of the two a design is judged by must be
said; this prints both, and with ``--timeline N`` every Nth reading (seconds since the
start, processes, both sums in MiB), to see which step of a run holds the peak.

    .venv/bin/python bench/tree_memory.py [--interval S] [--timeline N] -- COMMAND ARGS...

Prints one JSON line: the exit code, the wall time, both peaks in MiB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from offload.bench.system import _children, _rss_kib


def _pss_kib(pid: int) -> int:
    """*pid*'s proportional set in KiB (0 once it is gone, or for a zombie)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tree(pid: int) -> list[int]:
    """*pid* and every process below it."""
    found, below = [], [pid]
    while below:
        current = below.pop()
        if current not in found:
            found.append(current)
            below.extend(_children(current))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interval", type=float, default=0.02)
    parser.add_argument("--timeline", type=int, default=0, metavar="N")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    began = time.perf_counter()
    process = subprocess.Popen(command)
    peak_rss = peak_pss = 0
    readings: list[tuple[float, int, float, float]] = []
    while process.poll() is None:
        pids = _tree(process.pid)
        rss = sum(map(_rss_kib, pids))
        pss = sum(map(_pss_kib, pids))
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        readings.append((time.perf_counter() - began, len(pids), rss / 1024, pss / 1024))
        time.sleep(args.interval)
    print(
        json.dumps(
            {
                "exit_code": process.returncode,
                "wall_s": round(time.perf_counter() - began, 2),
                "peak_rss_sum_mib": round(peak_rss / 1024, 1),
                "peak_pss_sum_mib": round(peak_pss / 1024, 1),
            }
        )
    )
    for when, count, rss_mib, pss_mib in readings[:: args.timeline] if args.timeline else ():
        print(f"{when:7.2f} s  {count} process(es)  rss {rss_mib:6.1f}  pss {pss_mib:6.1f} MiB")
    return 0 if process.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
