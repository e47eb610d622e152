"""Compare engine knobs on a card, with the benchmark's method (alternating, medians).

    .venv/bin/python bench/knobs.py [--card small|large] [--reps 3] [--sleep 8]
        "default:verify=transfer" "qd32:verify=transfer,queue_depth=32,chunk_size=1048576"

Each variant is ``NAME:key=value,...`` with keys verify, chunk_size, queue_depth,
batch_files (CopyOptions fields); every variant runs ``offload.card.offload`` in a child
process on the same data as the main benchmark's cards, 3 destinations. Writes
bench-results/knobs-<timestamp>/ (results.json, summary.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from offload.bench.contenders import OursFile
from offload.bench.data import DatasetSpec
from offload.bench.plan import BenchConfig, Case
from offload.bench.report import write_report
from offload.bench.runner import Runner


def variant(text: str) -> OursFile:
    name, _, spec = text.partition(":")
    values = dict(item.split("=", 1) for item in spec.split(",") if item)
    numbers = {k: int(v) for k, v in values.items() if k != "verify"}
    return OursFile(name, verify=values.get("verify", "full"), card=True, **numbers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+")
    parser.add_argument("--card", choices=["small", "large"], default="small")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--sleep", type=float, default=8.0)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    config = BenchConfig(repetitions=args.reps, sleep_s=args.sleep, data_dir=args.out / "data")
    if args.card == "small":
        count, size = config.small_card_files, config.small_file_size
    else:
        count, size = config.large_card_files, config.large_file_size
    spec = DatasetSpec(f"card-{count}x{size}", "card", size, count=count)
    contenders = tuple(variant(text) for text in args.variants)
    case = Case(
        id=f"knobs-{args.card}",
        section="knobs",
        title=f"Engine knobs: {spec.label()} card, 3 destinations, cold source",
        dataset=spec,
        destinations=3,
        source_state="cold",
        contenders=contenders,
        references={"engine": contenders[0].name},
    )
    out = args.out / f"knobs-{time.strftime('%Y%m%d-%H%M%S')}"
    results = Runner(config, out).run([case])
    for path in write_report(results, out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
