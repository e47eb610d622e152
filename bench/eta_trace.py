"""Record progress traces of real offloads and score the ETA on them (before → after).

    .venv/bin/python bench/eta_trace.py [--out bench-results] [--only NAME ...] [--quick]
    .venv/bin/python bench/eta_trace.py --score TRACE.jsonl|FOLDER ... [--baseline ETA.py]

Each case runs ``offload copy --progress-trace`` in a subprocess on a real card (cold source:
its pages dropped first) to real destinations: folders on the disk, a tmpfs folder
(/dev/shm, a fast destination) and a FUSE pass-through mount (tests/support/faultyfs.py, a
slow one), so per-destination speeds differ. Every trace is then replayed through the
progress model with the ETA of today and the ETA before per-lane rates
(``offload.bench.eta``), or with ``--baseline`` a copy of an earlier ``offload/eta.py``
(``git show REV:src/offload/eta.py > before.py``), and both are scored on the same polls.
Writes ``<out>/eta-<timestamp>/`` (the traces, ``cases.json``, ``scores.json``,
``summary.md``) and prints the table, and for several traces in how many each score went
down or up (a paired count: free of how loaded the machine was during each recording).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, cast

from offload.bench.data import DatasetSpec, ensure_dataset
from offload.bench.eta import Score, main_job, replay, score
from offload.progress_trace import read_trace

REPO = Path(__file__).resolve().parent.parent
OFFLOAD = Path(sys.executable).with_name("offload")


@dataclass(frozen=True)
class Case:
    name: str
    card: str  # a key of _CARDS
    destinations: tuple[str, ...]  # "disk", "tmpfs", "fuse"
    verify: str


# name: (full-size spec, --quick spec); "mixed" and "clips-then-small" are built below.
_CARDS: dict[str, tuple[DatasetSpec, DatasetSpec]] = {
    "clips": (
        DatasetSpec("eta-clips-4x512MiB", "card", 512 << 20, count=4),
        DatasetSpec("eta-clips-3x64MiB", "card", 64 << 20, count=3),
    ),
    "small": (
        DatasetSpec("eta-small-3000x100KB", "card", 100_000, count=3000),
        DatasetSpec("eta-small-500x100KB", "card", 100_000, count=500),
    ),
    "small-5000": (
        DatasetSpec("eta-small-5000x100KB", "card", 100_000, count=5000),
        DatasetSpec("eta-small-500x100KB", "card", 100_000, count=500),
    ),
    "sequence": (
        DatasetSpec("eta-sequence-300x4MB", "card", 4_000_000, count=300, layout="sequence"),
        DatasetSpec("eta-sequence-50x4MB", "card", 4_000_000, count=50, layout="sequence"),
    ),
}

CASES = (
    Case("clips, 1 destination, full", "clips", ("disk",), "full"),
    Case("clips, 3 destinations, full", "clips", ("disk", "disk", "disk"), "full"),
    Case("clips, 3 destinations, transfer", "clips", ("disk", "disk", "disk"), "transfer"),
    Case("small files, 1 destination, full", "small", ("disk",), "full"),
    Case("small files, 3 destinations, full", "small", ("disk", "disk", "disk"), "full"),
    Case("small files, 3 destinations, transfer", "small", ("disk", "disk", "disk"), "transfer"),
    Case("image sequence, 3 destinations, full", "sequence", ("disk", "disk", "disk"), "full"),
    Case("mixed card, 3 destinations, full", "mixed", ("disk", "disk", "disk"), "full"),
    Case("clips, disk + tmpfs + FUSE, full", "clips", ("disk", "tmpfs", "fuse"), "full"),
    Case("mixed card, tmpfs + FUSE, full", "mixed", ("tmpfs", "fuse"), "full"),
    Case("small files, disk + FUSE, transfer", "small", ("disk", "fuse"), "transfer"),
    # The QA card of issue 14 (clips, then many small files: the commits' per-file cost
    # comes late) and many small files to two fast destinations.
    Case("clips then small files, 2 × tmpfs, full", "clips-then-small", ("tmpfs", "tmpfs"), "full"),
    Case("small files (5,000), 2 × tmpfs, full", "small-5000", ("tmpfs", "tmpfs"), "full"),
)


def _mixed_card(data_dir: Path, quick: bool) -> Path:
    """A camera card's mix: a few large clips, each with many small sidecars, proxies and
    thumbnails, in the order a scan meets them (clip folders one after the other)."""
    clips, clip_size, sidecars = (2, 32 << 20, 40) if quick else (4, 256 << 20, 150)
    home = data_dir / f"eta-mixed-{clips}x{clip_size}-{sidecars}"
    card = home / "CARD"
    marker = home / ".done"
    if marker.exists():
        return card
    shutil.rmtree(home, ignore_errors=True)
    for clip in range(clips):
        folder = card / "CLIPS" / f"A001C{clip + 1:03d}"
        folder.mkdir(parents=True)
        (folder / f"A001C{clip + 1:03d}.mov").write_bytes(os.urandom(clip_size))
        for index in range(sidecars):
            size = (20_000, 150_000, 600_000)[index % 3]
            (folder / f"A001C{clip + 1:03d}_{index:04d}.jpg").write_bytes(os.urandom(size))
    os.sync()
    marker.touch()
    return card


def _clips_then_small_card(data_dir: Path, quick: bool) -> Path:
    """A card whose clips all come first in the scan's order (``CLIPS/``), then its many
    small files (``META/``, 100 per folder): nothing of the small files' cost is seen while
    the clips are copied."""
    clips, clip_size, small = (2, 32 << 20, 200) if quick else (3, 200 << 20, 2000)
    home = data_dir / f"eta-clips-then-small-{clips}x{clip_size}-{small}"
    card = home / "CARD"
    marker = home / ".done"
    if marker.exists():
        return card
    shutil.rmtree(home, ignore_errors=True)
    (card / "CLIPS").mkdir(parents=True)
    for clip in range(clips):
        with (card / "CLIPS" / f"A001C{clip + 1:03d}.mov").open("wb") as out:
            for _ in range(clip_size >> 20):
                out.write(os.urandom(1 << 20))
    for index in range(small):
        folder = card / "META" / f"{index // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"M{index:05d}.xml").write_bytes(os.urandom(100_000))
    os.sync()
    marker.touch()
    return card


def _card(name: str, data_dir: Path, quick: bool) -> Path:
    if name == "mixed":
        return _mixed_card(data_dir, quick)
    if name == "clips-then-small":
        return _clips_then_small_card(data_dir, quick)
    return ensure_dataset(_CARDS[name][1 if quick else 0], data_dir).root


def _drop_cache(root: Path) -> None:
    """The source cold: its pages dropped (only its own; the machine is shared)."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


@contextmanager
def _destinations(kinds: tuple[str, ...], work: Path) -> Iterator[list[Path]]:
    with ExitStack() as stack:
        paths = []
        for index, kind in enumerate(kinds):
            if kind == "disk":
                path = work / f"dest{index}"
            elif kind == "tmpfs":
                path = Path(stack.enter_context(tempfile.TemporaryDirectory(dir="/dev/shm")))
            elif kind == "fuse":
                sys.path.insert(0, str(REPO))
                from tests.support.faultyfs import FaultyFS

                backing, path = work / f"fuse-backing{index}", work / f"fuse{index}"
                backing.mkdir()
                path.mkdir()
                stack.enter_context(FaultyFS(backing, path))
            else:
                raise ValueError(f"unknown destination kind {kind!r}")
            path.mkdir(exist_ok=True)
            paths.append(path)
        yield paths


def record(case: Case, card: Path, trace: Path, work: Path) -> float:
    """Runs the case's offload, writing *trace*; returns its wall time."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with _destinations(case.destinations, work) as dests:
        _drop_cache(card)
        started = time.monotonic()
        command = [str(OFFLOAD), "copy", "--quiet", "--verify", case.verify]
        command += ["--progress-trace", str(trace), "--report-dir", str(work / "reports")]
        result = subprocess.run(
            [*command, str(card), *map(str, dests)], capture_output=True, text=True, check=False
        )
        wall = time.monotonic() - started
    shutil.rmtree(work, ignore_errors=True)
    if result.returncode != 0:
        raise RuntimeError(f"{case.name}: offload exited {result.returncode}: {result.stderr}")
    return wall


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _row(name: str, before: Score, after: Score) -> str:
    pairs = [
        (_pct(before.error_median), _pct(after.error_median)),
        (_pct(before.error_p90), _pct(after.error_p90)),
        (_pct(before.max_jump), _pct(after.max_jump)),
        (_s(before.max_rise_s), _s(after.max_rise_s)),
        (_s(before.overshoot_s), _s(after.overshoot_s)),
        (f"{before.stall_s:.1f}", f"{after.stall_s:.1f}"),
        (f"{before.none_s:.1f}", f"{after.none_s:.1f}"),
    ]
    cells = " | ".join(f"{b} → {a}" for b, a in pairs)
    return f"| {name} | {after.duration_s:.1f} | {cells} |"


HEADER = (
    "| trace | job s | error median | error p90 | largest jump | largest rise in 5 s, s "
    "| largest overshoot s | stall at 100 % s | no ETA s |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def load_baseline(path: Path) -> Callable[[], Any]:
    """The ``EtaEstimator`` of another version of ``offload/eta.py`` (e.g. ``git show
    REV:src/offload/eta.py > before.py``), to be judged against today's on the same polls.
    Raises ``ValueError`` naming *path* when it is not one."""
    spec = importlib.util.spec_from_file_location("eta_baseline", path)
    if not path.is_file() or spec is None or spec.loader is None:
        raise ValueError(f"--baseline {path}: no such file; give a copy of an offload/eta.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    estimator = getattr(module, "EtaEstimator", None)
    if estimator is None:
        raise ValueError(f"--baseline {path}: no EtaEstimator in it; give an offload/eta.py")
    return cast(Callable[[], Any], estimator)


def score_traces(
    traces: list[tuple[str, Path]], baseline: Callable[[], Any] | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """Each trace scored before → after: before is the single-rate ETA, or *baseline* (an
    earlier ``EtaEstimator``) replayed on the same polls."""
    rows, raw = [], []
    for name, path in traces:
        trace = read_trace(path)
        job = main_job(replay(trace))
        if job is None:
            print(f"{path}: no finished copy job in this trace; skipped", file=sys.stderr)
            continue
        if baseline is None:
            before = score(job, legacy=True)
        else:
            before = score(main_job(replay(trace, estimator=baseline)) or job)
        after = score(job)
        assert before is not None and after is not None
        rows.append(_row(name, before, after))
        raw.append(
            {"trace": name, "path": str(path), "before": asdict(before), "after": asdict(after)}
        )
    if len(raw) > 1:
        medians = (_medians(raw, key) for key in ("before", "after"))
        rows.append(_row("**median over the traces**", *medians))
    return rows, raw


def paired(raw: list[dict[str, Any]]) -> str:
    """In how many traces each score went down or up, after against before: on the same
    polls of the same runs, so unlike medians over traces it is free of how loaded the
    machine was during each recording (which moves every estimator's error alike)."""
    parts = []
    for key, label in (
        ("error_median", "error median"),
        ("error_p90", "error p90"),
        ("max_jump", "largest jump"),
    ):
        deltas = [
            r["after"][key] - r["before"][key]
            for r in raw
            if r["after"][key] is not None and r["before"][key] is not None
        ]
        lower = sum(d < -1e-3 for d in deltas)
        higher = sum(d > 1e-3 for d in deltas)
        mean = 100 * statistics.mean(deltas) if deltas else 0.0
        parts.append(f"{label} lower in {lower}, higher in {higher} ({mean:+.1f} points a trace)")
    stall = sum(r["after"]["stall_s"] - r["before"]["stall_s"] for r in raw)
    parts.append(f"stall at 100 % {stall:+.1f} s in all")
    return f"Of {len(raw)} traces: " + "; ".join(parts) + "."


def _medians(raw: list[dict[str, Any]], key: str) -> Score:
    """Each metric's median over the traces (a trace without a value is left out)."""
    values: dict[str, Any] = {}
    for spec in fields(Score):
        found = [r[key][spec.name] for r in raw if r[key][spec.name] is not None]
        values[spec.name] = statistics.median(found) if found else None
    return Score(**values)


def _case_name(trace: Path) -> str:
    """The case a trace of this tool was recorded for (its run's cases.json), else its name."""
    try:
        names = json.loads((trace.parent / "cases.json").read_text())
        return str(names[trace.name])
    except (OSError, ValueError, KeyError):
        return trace.name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench-results")
    parser.add_argument("--only", action="append", help="cases whose name contains this")
    parser.add_argument("--quick", action="store_true", help="small cards (a smoke run)")
    parser.add_argument("--work", type=Path, help="where destinations go (default: under --out)")
    parser.add_argument(
        "--score",
        type=Path,
        nargs="+",
        help="score these traces (or every trace in these folders of this tool), run nothing",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="judge against this copy of an earlier offload/eta.py instead of the single rate",
    )
    args = parser.parse_args()
    try:
        baseline = load_baseline(args.baseline) if args.baseline else None
    except ValueError as error:
        parser.error(str(error))  # one line, exit 2
    if args.score:
        found = [sorted(p.glob("trace-*.jsonl")) if p.is_dir() else [p] for p in args.score]
        traces = [(_case_name(path), path) for paths in found for path in paths]
        out = None
    else:
        out = args.out / f"eta-{time.strftime('%Y%m%d-%H%M%S')}"
        out.mkdir(parents=True)
        data_dir = args.out / "data"
        traces = []
        for number, case in enumerate(CASES):
            if args.only and not any(word in case.name for word in args.only):
                continue
            card = _card(case.card, data_dir, args.quick)
            trace = out / f"trace-{number:02d}.jsonl"
            wall = record(case, card, trace, args.work or out / "work")
            print(f"{case.name}: {wall:.1f} s ({trace.name})", file=sys.stderr, flush=True)
            traces.append((case.name, trace))
    if out is not None:
        names = {path.name: name for name, path in traces}
        (out / "cases.json").write_text(json.dumps(names, indent=1))
    rows, raw = score_traces(traces, baseline)
    table = "\n".join([HEADER, *rows])
    if len(raw) > 1:
        table += "\n\n" + paired(raw)
    print(table)
    if out is not None:
        (out / "scores.json").write_text(json.dumps(raw, indent=1))
        (out / "summary.md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
