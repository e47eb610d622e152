"""The ``offload bench`` command (also ``python -m offload.bench``).

    offload bench [--quick] [--reps N] [--sleep S] [--only SECTION ...] [--out DIR] ...

Exit codes: 0 every run succeeded; 1 some runs failed (see summary.md); 64 usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from offload.bench.plan import SECTIONS, BenchConfig, build_cases
from offload.bench.report import issue_targets_table, s3_table, write_report
from offload.bench.runner import Results, Runner
from offload.bench.stats import human_size
from offload.cli.common import UsageParser, path_text, path_value
from offload.errors import UsageError
from offload.sizes import parse_size

DEFAULT_OUT = Path("bench-results")


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _sizes(text: str) -> tuple[int, ...]:
    """``512MiB,2GiB`` → sizes; an empty string → ()."""
    return tuple(_size(part) for part in text.split(",") if part.strip())


def _counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of counts: {text!r}") from None
    if any(count < 1 for count in counts):
        raise argparse.ArgumentTypeError(f"counts must be positive: {text!r}")
    return counts


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the bench options to *parser* (the standalone one or a subcommand's)."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes, 2 repetitions, short pauses: a few minutes' smoke test",
    )
    parser.add_argument("--reps", type=int, help="repetitions of each contender (full: 3)")
    parser.add_argument(
        "--sleep", type=float, help="seconds of idle before each run (full: 8, quick: 0.5)"
    )
    parser.add_argument(
        "--large-file-size",
        type=_size,
        help="size of each large-card file and of the sequential-vs-parallel table's "
        "large file (full: 1GiB)",
    )
    parser.add_argument("--large-card-files", type=int, help="files on the large card (3)")
    parser.add_argument("--small-card-files", type=int, help="files on the small card (full: 5000)")
    parser.add_argument("--small-file-size", type=_size, help="small-card file size (100KB)")
    parser.add_argument("--destinations", type=int, help="destinations for the cards (3)")
    parser.add_argument(
        "--large-card-sizes",
        type=_sizes,
        metavar="SIZE,...",
        help="extra large cards (large-card section: ours full vs the DIT script), one per "
        "file size (full: 512MiB,2GiB; quick: none); '' for none",
    )
    parser.add_argument(
        "--image-frames", type=int, help="frames on the image-sequence card (full: 300, quick: 40)"
    )
    parser.add_argument("--image-frame-size", type=_size, help="size of each frame (4MB)")
    parser.add_argument(
        "--fixed-cost-files", type=int, help="files on the fixed-cost card (200 × small size)"
    )
    parser.add_argument(
        "--scale-counts",
        type=_counts,
        metavar="N,...",
        help="file counts of the scale section, 1 KB files in 50 folders "
        "(full: 5000,50000,200000; quick: 1000,5000)",
    )
    parser.add_argument("--s3-clips", type=int, help="clips on the S3 section's card (3)")
    parser.add_argument(
        "--s3-clip-size",
        type=_size,
        help="size of each clip of the S3 card (full: 256MiB, quick: 32MiB)",
    )
    parser.add_argument("--s3-sidecars", type=int, help="sidecar files on the S3 card (20)")
    parser.add_argument("--s3-sidecar-size", type=_size, help="size of each sidecar (100KB)")
    parser.add_argument(
        "--aws",
        type=path_text,
        help="path of the aws program (default: .test-venvs/awscli, then PATH)",
    )
    parser.add_argument(
        "--no-warm", action="store_true", help="skip the warm-source (page cache) case"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="SECTION",
        help=f"run only these sections or case ids ({', '.join(SECTIONS)}); repeatable",
    )
    parser.add_argument(
        "--out",
        type=path_value,
        default=DEFAULT_OUT,
        help="results go to OUT/<timestamp>/ (default bench-results/)",
    )
    parser.add_argument(
        "--data-dir",
        type=path_value,
        help="where test data is made and kept for later runs (default OUT/data); it must "
        "be on the disk you want to measure",
    )
    parser.add_argument(
        "--ocopy", type=path_text, help="path of the ocopy program (default: PATH, .test-venvs)"
    )
    parser.add_argument("--list", action="store_true", help="print the plan and exit")
    parser.add_argument(
        "--report-only",
        type=path_value,
        metavar="DIR",
        help="re-render summary.md and plots from DIR/results.json; run nothing",
    )
    return parser


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    overrides: dict[str, Any] = {}
    for option, key in (
        ("reps", "repetitions"),
        ("sleep", "sleep_s"),
        ("large_file_size", "large_file_size"),
        ("large_card_files", "large_card_files"),
        ("small_card_files", "small_card_files"),
        ("small_file_size", "small_file_size"),
        ("destinations", "destinations"),
        ("large_card_sizes", "large_card_sizes"),
        ("image_frames", "image_frames"),
        ("image_frame_size", "image_frame_size"),
        ("fixed_cost_files", "fixed_cost_files"),
        ("scale_counts", "scale_counts"),
        ("ocopy", "ocopy"),
        ("s3_clips", "s3_clips"),
        ("s3_clip_size", "s3_clip_size"),
        ("s3_sidecars", "s3_sidecars"),
        ("s3_sidecar_size", "s3_sidecar_size"),
        ("aws", "aws"),
    ):
        value = getattr(args, option)
        if value is not None:
            overrides[key] = value
    unknown = [name for name in args.only if name not in SECTIONS]
    overrides["only"] = tuple(args.only)
    overrides["warm"] = not args.no_warm
    overrides["data_dir"] = args.data_dir or args.out / "data"
    if overrides.get("repetitions", 1) < 1:
        raise ValueError("--reps must be at least 1")
    del unknown  # case ids are accepted too; an unknown name simply matches nothing
    if args.quick:
        return BenchConfig.quick_config(**overrides)
    return BenchConfig(**overrides)


def add_bench_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``bench`` on an ``add_subparsers()`` object; returns the new parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "bench",
        help="benchmark the engine against cp, tee, rsync, ocopy, a DIT script, awscli and rclone",
        description="Measure the engine and its peers in one run (contenders alternate, "
        "medians of several repetitions) and write results under OUT/<timestamp>/. "
        "The full run takes about an hour and needs ~40 GB free on the data disk.",
    )
    return configure_parser(parser)


def cmd_bench(args: argparse.Namespace, env: Any = None) -> int:
    """Run the benchmark described by *args*; returns the exit code (0, 1 or 64).

    *env* is the CLI's Environment (anything with ``stdout`` and ``stderr``), or None for the
    process's streams. Blocks for the whole run.
    """
    stdout: TextIO = getattr(env, "stdout", None) or sys.stdout
    stderr: TextIO = getattr(env, "stderr", None) or sys.stderr
    if args.report_only is not None:
        results = Results.load(args.report_only / "results.json")
        for path in write_report(results, args.report_only):
            print(f"wrote {path}", file=stdout)
        print(f"\nTargets of issue 14:\n{issue_targets_table(results)}", file=stdout)
        _print_s3(results, stdout)
        return 0
    try:
        config = config_from_args(args)
    except (TypeError, ValueError) as exc:
        print(f"ERROR: {exc}", file=stderr)
        return 64
    cases = build_cases(config)
    if not cases:
        print(f"ERROR: --only matched no section ({', '.join(SECTIONS)})", file=stderr)
        return 64
    if args.list:
        for case in cases:
            names = ", ".join(c.name for c in case.contenders)
            print(f"{case.id}: {case.title} [{case.source_state}] — {names}", file=stdout)
        return 0
    out_dir = args.out / time.strftime("%Y%m%d-%H%M%S")

    def log(line: str) -> None:
        print(line, file=stdout, flush=True)

    log(
        f"offload bench: {len(cases)} cases, {config.repetitions} repetitions, "
        f"{config.sleep_s} s pauses, large files {human_size(config.large_file_size)}; "
        f"results in {out_dir}"
    )
    results = Runner(config, out_dir, log=log).run(cases)
    for path in write_report(results, out_dir):
        log(f"wrote {path}")
    log(f"\nTargets of issue 14 (image sequences and small files):\n{issue_targets_table(results)}")
    _print_s3(results, stdout)
    return 0 if all(r.ok for r in results.runs) else 1


def _print_s3(results: Results, stdout: TextIO) -> None:
    table = s3_table(results)
    if table:
        print(f"\nS3: ours against awscli and rclone (issue 12):\n{table}", file=stdout)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m offload.bench``: bad input (an empty path among it) is one ``ERROR:``
    line and exit 64, as ``offload bench`` says it (argparse's own exit 2 and usage block
    before)."""
    parser = configure_parser(
        UsageParser(
            prog="python -m offload.bench",
            description="Benchmark the engine against its peers (see docs/performance.md).",
        )
    )
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 64
    return cmd_bench(args)
