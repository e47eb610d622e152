"""Profile our engine on a card with py-spy and say where the time goes, per thread role.

    .venv/bin/python bench/profile_engine.py CARD [--destinations 3] [--verify full]
                                             [--rate 250] [--out bench-results/profile]

Runs ``offload copy`` on CARD twice under ``py-spy record``: once with ``--idle`` (every
thread, every sample: where each thread spends its wall time) and once with ``--gil`` (only
the thread holding the GIL: how busy the GIL is). Each sample is classified by the source line
of its deepest frame in our package (``os.write`` → write, ``preadv`` → read, ``.update(`` →
hash, ``fsync``/``syncfs`` → fsync, a queue or lock wait → waiting, ...). Needs py-spy
(``pip install py-spy``) and root or ptrace rights. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import collections
import json
import linecache
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

CATEGORIES = (
    ("fsync", ("fsync", "syncfs", ".sync()")),
    ("write", ("os.write",)),
    ("read", ("preadv", "read_at(")),
    ("hash", (".update(", "hexdigest", ".digest(")),
    ("open/rename/stat", ("os.open", "rename", "os.utime", "stat(", "makedirs", "unlink")),
)
WAIT_WORDS = (".get(", ".wait(", ".join(", "acquire(", "_wait_for_tstate_lock", "sleep(")


def classify(stack: list[str]) -> str:
    """The category of one sampled stack (leaf last)."""
    if any("importlib" in frame for frame in stack):
        return "startup (imports)"
    leaf_function = stack[-1].split(" (")[0]
    if leaf_function.endswith(("wait", "Queue.get", "_wait_for_tstate_lock", "join")):
        return "waiting (queue/lock)"
    for frame in reversed(stack):
        if "/offload/" not in frame:
            continue
        text = _source_line(frame)
        if any(word in text for word in WAIT_WORDS):
            return "waiting (queue/lock)"
        for category, keywords in CATEGORIES:
            if any(keyword in text for keyword in keywords):
                return category
        return "python (other)"
    return "python (other)"


def _source_line(frame: str) -> str:
    # "function (/full/path/file.py:123)"
    location = frame[frame.rfind("(") + 1 : -1]
    path, _, line = location.rpartition(":")
    return linecache.getline(path, int(line)) if line.isdigit() else ""


def role(thread: str, stack: list[str]) -> str:
    """The thread's role from its name ("thread (123): destination-0" → "destination")."""
    name = thread.partition(": ")[2] or thread
    base = name.rstrip("0123456789").rstrip("-_ ")
    if base.startswith("Thread") and any("multihasher" in f for f in stack):
        return "hasher"
    return base or name


def parse_raw(path: Path) -> list[tuple[str, list[str], int]]:
    """py-spy raw output → (thread, frames leaf last, count)."""
    rows = []
    for line in path.read_text().splitlines():
        stack_text, _, count = line.rpartition(" ")
        frames = stack_text.split(";")
        rows.append((frames[0], frames[1:], int(count)))
    return rows


def record(args: argparse.Namespace, work: Path, output: Path, *, gil: bool) -> float:
    destinations = [work / f"dest{i + 1}" for i in range(args.destinations)]
    for folder in destinations:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    os.sync()
    for file in Path(args.card).rglob("*"):
        if file.is_file():
            fd = os.open(file, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
    time.sleep(args.sleep)
    spy = [shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"), "record"]
    spy += ["--rate", str(args.rate), "--threads", "--full-filenames", "--format", "raw"]
    spy += ["--gil"] if gil else ["--idle"]
    spy += ["-o", str(output), "--", sys.executable, "-m", "offload.cli.offload", "copy"]
    spy += ["--quiet", "--verify", args.verify, "--report-dir", str(work / "reports")]
    if args.block_size:
        spy += ["--block-size", str(args.block_size)]
    spy += [args.card, *map(str, destinations)]
    started = time.perf_counter()
    subprocess.run(spy, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.sync()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("card")
    parser.add_argument("--destinations", type=int, default=3)
    parser.add_argument("--verify", default="full")
    parser.add_argument("--block-size", type=int)
    parser.add_argument("--rate", type=int, default=250)
    parser.add_argument("--sleep", type=float, default=8.0)
    parser.add_argument("--out", type=Path, default=Path("bench-results/profile"))
    parser.add_argument(
        "--analyze-only", action="store_true", help="re-read OUT/idle.txt and OUT/gil.txt"
    )
    args = parser.parse_args()
    work = args.out / "work"
    args.out.mkdir(parents=True, exist_ok=True)
    idle_file, gil_file = args.out / "idle.txt", args.out / "gil.txt"
    walls_file = args.out / "walls.json"
    if args.analyze_only:
        wall, gil_wall = json.loads(walls_file.read_text())
    else:
        wall = record(args, work, idle_file, gil=False)
        gil_wall = record(args, work, gil_file, gil=True)
        walls_file.write_text(json.dumps([wall, gil_wall]))
    reports = sorted((work / "reports").rglob("*.json"))
    engine = json.loads(reports[-1].read_text()) if reports else {}
    shutil.rmtree(work, ignore_errors=True)

    per_role: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    threads: dict[str, set[str]] = collections.defaultdict(set)
    for thread, stack, count in parse_raw(idle_file):
        if not stack:
            continue
        who = role(thread, stack)
        threads[who].add(thread)
        per_role[who][classify(stack)] += count
    gil_samples: collections.Counter[str] = collections.Counter()
    for thread, stack, count in parse_raw(gil_file):
        if stack:
            gil_samples[f"{role(thread, stack)}: {classify(stack)}"] += count
    rate = args.rate
    categories = sorted({c for counter in per_role.values() for c in counter})
    print(f"# Profile of `offload copy --verify {args.verify}` on {args.card}")
    print(f"\nwall {wall:.1f} s (under py-spy --idle), {gil_wall:.1f} s (under --gil)\n")
    print(
        "Share of each thread role's samples (py-spy drops samples under load, so shares, "
        "not sample counts, are what to read; × wall ≈ seconds per thread):\n"
    )
    print("| role | threads | samples | " + " | ".join(categories) + " |")
    print("|---|---|---|" + "---|" * len(categories))
    for who, counter in sorted(per_role.items()):
        total = sum(counter.values())
        cells = " | ".join(f"{counter[c] / total:.0%}" for c in categories)
        print(f"| {who} | {len(threads[who])} | {total} | {cells} |")
    held = sum(gil_samples.values()) / rate
    print(f"\nGIL held {held:.1f} s of {gil_wall:.1f} s wall ({held / gil_wall:.0%}); by holder:\n")
    for name, count in gil_samples.most_common(12):
        print(f"- {name}: {count / rate:.2f} s")
    job = engine.get("job", engine)
    if isinstance(job, dict) and "destinations" in job:
        print("\nEngine's own accounting (per destination): ")
        for d in job["destinations"]:
            print(
                f"- destination {d.get('index')}: copy {d.get('copy_s', 0):.1f} s, verify "
                f"{d.get('verify_s', 0):.1f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
