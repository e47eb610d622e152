"""Our engine on one file, in the child process the runner measures.

    python -m offload.bench.child [--verify MODE] [--sequential] [--chunk-size N]
                                  [--write-call-size N] [--queue-depth N]
                                  [--batch-bytes N] [--batch-files N] [--card] SOURCE DEST...

``--card`` offloads a folder through ``offload.card.offload`` (what ``offload copy`` runs,
without the CLI's reports) so that engine knobs the CLI does not expose can be compared.

Prints one JSON line (exit code, the engine's own elapsed time, copy and verify seconds per
destination) and exits with the report's exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import offload
from offload.api import copy_with_multiple_destinations
from offload.card import OffloadOptions
from offload.card import offload as offload_card
from offload.options import CopyOptions, VerifyMode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offload.bench.child")
    parser.add_argument("--verify", choices=[m.value for m in VerifyMode], default="full")
    parser.add_argument("--sequential", action="store_true", help="parallel=False")
    parser.add_argument("--chunk-size", type=int)
    parser.add_argument("--write-call-size", type=int)
    parser.add_argument("--queue-depth", type=int)
    parser.add_argument("--batch-bytes", type=int)
    parser.add_argument("--batch-files", type=int)
    parser.add_argument("--card", action="store_true", help="SOURCE is a folder (card)")
    parser.add_argument("source")
    parser.add_argument("destinations", nargs="+")
    args = parser.parse_args(argv)
    tuning = {
        key: value
        for key, value in (
            ("chunk_size", args.chunk_size),
            ("write_call_size", args.write_call_size),
            ("queue_depth", args.queue_depth),
            ("batch_bytes", args.batch_bytes),
            ("batch_files", args.batch_files),
        )
        if value is not None
    }
    options = CopyOptions(verify=VerifyMode(args.verify), **tuning)
    if args.card:
        report = offload_card(
            args.source, args.destinations, options=OffloadOptions(copy=options)
        ).job
    else:
        report = copy_with_multiple_destinations(
            args.source, args.destinations, options=options, parallel=not args.sequential
        )
    print(
        json.dumps(
            {
                "exit_code": int(report.exit_code),
                "engine_s": report.elapsed_s,
                "copy_s": [d.copy_s for d in report.destinations],
                "verify_s": [d.verify_s for d in report.destinations],
                "engine_from": str(Path(offload.__file__).parent),
            }
        )
    )
    return int(report.exit_code)


if __name__ == "__main__":
    sys.exit(main())
