#!/usr/bin/env python3
"""A bound on what preparing the end's per-file text during the copy could take off the end:
on N made-up results of a transfer-mode run to one destination (1 KB files in 50 folders,
as ``offload bench``'s scale card; ``FileResult``s and ``DestinationFileResult``s of the
engine's own types, no engine run), the main thread's CPU (``time.thread_time``, the
median of ``--repeat``, the cyclic collector off) of:

* what the end makes a file today: the JSON report's entries (``entries_json.entries_text``)
  and the CSV's rows (``job_report._csv_pieces``, a report of one destination, no
  production fields, nothing left out of the manifests);
* what a text prepared during the copy would cost: a snapshot of each result made when it
  is final (the file's result made anew, each copy's ``copy.copy``: the text must be keyed
  on values that cannot change under it), and at the end the check that each result is
  still its snapshot (the dataclasses' ``==``, every field) before its text is used.

Why: the twenty-ninth pass left "the end's per-file work made during the copy on the idle
main thread" as the lead for the 50,000-file card; what the texts cost against what their
key's check costs says how much of the end such a preparation could take, and what it adds
to the copy's interpreter lock (docs/performance.md, "The end's work off the critical path,
measured": thirtieth pass). Not part of the package; nothing is written.

    .venv/bin/python bench/end_text_bound.py --files 50000
"""

from __future__ import annotations

import argparse
import copy
import gc
import statistics
import time
from collections.abc import Callable
from types import SimpleNamespace

from offload.report.entries_json import entries_text
from offload.report.job_report import _csv_pieces
from offload.results import (
    NO_DIGESTS,
    CacheBypass,
    CopyAction,
    DestinationFileResult,
    DestinationStatus,
    FileResult,
)


def _results(count: int) -> list[FileResult]:
    """*count* transfer-checked files of 1,000 bytes, 1,000 a folder, one copy each."""
    files = []
    for i in range(count):
        relative = f"A{i // 1000:03d}/F{i:06d}.bin"
        copied = DestinationFileResult(
            0,
            f"/mnt/dest/CARD/{relative}",
            DestinationStatus.TRANSFER_CHECKED,
            bytes_written=1000,
            copy_s=0.000123 + i * 1e-9,
            verified_at=1764900000.0 + i // 1000,
            verified_mode="transfer",
            action=CopyAction.COPIED,
        )
        files.append(
            FileResult(
                relative,
                1000,
                1764800000_000000000 + i,
                {"xxh64": f"{i:016x}"},
                NO_DIGESTS,
                None,
                CacheBypass.NOT_READ,
                [copied],
            )
        )
    return files


def _snapshot(file: FileResult) -> FileResult:
    """*file* as it is now, sharing nothing that can change: its copies copied."""
    return FileResult(
        file.relative_path,
        file.size_bytes,
        file.mtime_ns,
        dict(file.inflight_digests),
        file.source_reread_digests,
        file.source_error,
        file.source_cache_bypass,
        [copy.copy(d) for d in file.destinations],
    )


def _cpu(work: Callable[[], object], repeat: int) -> float:
    """The median thread CPU of *work*, run *repeat* times."""
    spent = []
    for _ in range(repeat):
        began = time.thread_time()
        work()
        spent.append(time.thread_time() - began)
    return statistics.median(spent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = _results(args.files)
    report = SimpleNamespace(
        job=SimpleNamespace(
            destinations=[SimpleNamespace(index=0, root="/mnt/dest/CARD")], files=files
        ),
        production={},
        not_in_manifest=dict,
        plans=[],
    )
    snapshots = [_snapshot(f) for f in files]
    gc.disable()
    rows = {
        "JSON entries (entries_text), at the end today": lambda: entries_text(files),
        "CSV rows (_csv_pieces), at the end today": lambda: list(_csv_pieces(report)),  # type: ignore[arg-type]
        "snapshots of the results, during the copy": lambda: [_snapshot(f) for f in files],
        "check: each result still its snapshot, at the end": lambda: [
            a == b for a, b in zip(snapshots, files, strict=True)
        ],
    }
    for label, work in rows.items():
        spent = _cpu(work, args.repeat)
        print(f"{label:55s} {spent:6.3f} s  ({spent / args.files * 1e6:.2f} µs a file)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
