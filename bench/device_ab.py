"""Interleaved A/B of the read-back schedule on one disk: ``--device-concurrency parallel``
against ``serial`` (issue 14, docs/performance.md).

    sudo .venv/bin/python bench/device_ab.py WORKDIR [--files 3] [--size-mib 512]
        [--destinations 3] [--reps 3] [--verify full] [--size 256KiB]

Makes a card of ``--files`` random files of ``--size-mib`` MiB (or ``--size``, any size
``offload copy`` options take) in WORKDIR/card (kept between invocations while the same), then
runs ``offload copy --verify full`` of it to ``--destinations`` folders in WORKDIR, ``--reps``
times per mode, the two modes alternating (ABAB..., BABA... on odd repetitions) so drifting
load hits both alike. Before each run the copies are removed, the disk synced and the page
cache dropped (root; else the card is warm and the line says so). Prints each run (wall
seconds, the engine's ``elapsed_s`` from the job report, the child's CPU seconds, the load
average) and the medians per mode. All destinations are on WORKDIR's disk: the point is
destinations that share one disk.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from offload.sizes import parse_size

MIB = 1024 * 1024
MODES = ("parallel", "serial")


def make_card(card: Path, files: int, size: int) -> None:
    want = [card / "CLIP" / f"A{index:05}C001.mov" for index in range(files)]
    if all(p.exists() and p.stat().st_size == size for p in want):
        return
    shutil.rmtree(card, ignore_errors=True)
    (card / "CLIP").mkdir(parents=True)
    for path in want:
        with open(path, "wb") as out:
            for _ in range(size // MIB):
                out.write(os.urandom(MIB))
            out.write(os.urandom(size % MIB))


def cold() -> bool:
    subprocess.run(["sync"], check=True)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def run_once(work: Path, mode: str, destinations: int, verify: str) -> dict[str, float | str]:
    roots = [work / f"dest{i + 1}" for i in range(destinations)]
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir()
    reports = work / "reports" / mode
    shutil.rmtree(reports, ignore_errors=True)
    was_cold = cold()
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "offload",
            "copy",
            "-q",
            "--verify",
            verify,
            "--device-concurrency",
            mode,
            "--report-dir",
            str(reports),
            str(work / "card"),
            *map(str, roots),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(next(reports.glob("*.json")).read_text())
    return {
        "mode": mode,
        "wall_s": wall,
        "engine_s": float(report["elapsed_s"]),
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "load": load,
        "cold": "cold" if was_cold else "WARM",
        "read_backs": ",".join(d["read_backs"] for d in report.get("devices", [])),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--destinations", type=int, default=3)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--verify", default="full")
    parser.add_argument("--size", type=parse_size, help="file size (overrides --size-mib)")
    args = parser.parse_args(argv)
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    make_card(work / "card", args.files, args.size or args.size_mib * MIB)
    runs = []
    for rep in range(args.reps):
        for mode in MODES if rep % 2 == 0 else MODES[::-1]:
            result = run_once(work, mode, args.destinations, args.verify)
            runs.append(result)
            print(
                f"rep {rep + 1} {mode:8} wall {result['wall_s']:6.2f} s  engine "
                f"{result['engine_s']:6.2f} s  cpu {result['cpu_s']:5.2f} s  load "
                f"{result['load']:5.2f}  {result['cold']}  read-backs {result['read_backs']}",
                flush=True,
            )
    for mode in MODES:
        mine = [r for r in runs if r["mode"] == mode]
        walls = [float(r["wall_s"]) for r in mine]
        engines = [float(r["engine_s"]) for r in mine]
        print(
            f"{mode:8} wall median {statistics.median(walls):6.2f} s ({min(walls):.2f}–"
            f"{max(walls):.2f})  engine median {statistics.median(engines):6.2f} s "
            f"({min(engines):.2f}–{max(engines):.2f})"
        )
    for root in [work / f"dest{i + 1}" for i in range(args.destinations)]:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
