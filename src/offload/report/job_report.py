"""The machine-readable job report (JSON) and the per-file CSV, written atomically.

Schema (``schema`` = ``offload-ai/job-report/1``): see docs/json.md. Written locally and
into ``<copy root>/.offload/reports/`` on every destination that was not lost.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import time
from pathlib import Path
from typing import Any

from offload import __version__
from offload.card import OffloadReport
from offload.ledger import STATE_FOLDER
from offload.manifest.atomic import write_file_atomically

SCHEMA = "offload-ai/job-report/1"
CSV_COLUMNS = (
    "relative_path",
    "size_bytes",
    "mtime_ns",
    "destination_index",
    "destination",
    "status",
    "final_path",
    "error",
    "digests",
    "readback_digests",
    "cache_bypass",
    "source_error",
)


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def job_report_dict(report: OffloadReport, *, hostname: str | None = None) -> dict[str, Any]:
    """The report as plain JSON-able data (stable key order)."""
    job = report.job
    return {
        "schema": SCHEMA,
        "tool": {"name": "offload-ai", "version": __version__},
        "hostname": hostname or socket.gethostname(),
        "source": report.source,
        "started": _iso(job.started_at),
        "finished": _iso(job.finished_at),
        "elapsed_s": round(job.elapsed_s, 6),
        "verify": job.verify,
        "algorithms": list(job.algorithms),
        "cancelled": job.cancelled,
        "exit_code": report.exit_code,
        "totals": {
            "files": len(job.files),
            "bytes": job.total_bytes,
            "folders": report.directories,
            "symlinks": len(report.symlinks),
        },
        "destinations": [
            {
                "index": d.index,
                "path": d.root,
                "copy_root": str(report.plans[d.index].root),
                "lost": d.lost,
                "lost_reason": d.lost_reason,
                "files_verified": d.files_verified,
                "files_transfer_checked": d.files_transfer_checked,
                "files_verified_earlier": d.files_verified_earlier,
                "files_failed": d.files_failed,
                "bytes_written": d.bytes_written,
                "copy_s": round(d.copy_s, 6),
                "verify_s": round(d.verify_s, 6),
                "throughput_mb_s": round(d.throughput_mb_s, 3),
            }
            for d in job.destinations
        ],
        "files": [
            {
                "path": f.relative_path,
                "size_bytes": f.size_bytes,
                "mtime_ns": f.mtime_ns,
                "digests": f.inflight_digests,
                "source_reread_digests": f.source_reread_digests,
                "source_cache_bypass": f.source_cache_bypass.value,
                "source_error": f.source_error,
                "destinations": [
                    {
                        "index": d.destination_index,
                        "status": d.status.value,
                        "final_path": d.final_path,
                        "error": d.error,
                        "readback_digests": d.digests,
                        "cache_bypass": d.cache_bypass.value,
                        "copy_s": round(d.copy_s, 6),
                        "verify_s": round(d.verify_s, 6),
                        "reread": d.reread,
                    }
                    for d in f.destinations
                ],
            }
            for f in job.files
        ],
        "symlinks": [vars(s) for s in report.symlinks],
        "warnings": [
            {
                "code": w.code.value,
                "path": None if w.path is None else str(w.path),
                "message": w.message,
            }
            for w in report.warnings
        ]
        # Problems of the run itself (an event subscriber that raised): no path, one code.
        + [{"code": "job-warning", "path": None, "message": w} for w in job.warnings],
        "folder_errors": report.folder_errors,
        "removed_stray_partials": report.removed_partials,
    }


def csv_text(report: OffloadReport) -> str:
    """One row per file and destination."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    roots = {d.index: d.root for d in report.job.destinations}
    for file in report.job.files:
        digests = " ".join(f"{k}:{v}" for k, v in file.inflight_digests.items())
        for dest in file.destinations:
            writer.writerow(
                [
                    file.relative_path,
                    file.size_bytes,
                    file.mtime_ns,
                    dest.destination_index,
                    roots.get(dest.destination_index, ""),
                    dest.status.value,
                    dest.final_path,
                    dest.error or "",
                    digests,
                    " ".join(f"{k}:{v}" for k, v in dest.digests.items()),
                    dest.cache_bypass.value,
                    file.source_error or "",
                ]
            )
    return out.getvalue()


def report_basename(report: OffloadReport) -> str:
    name = Path(report.source).name or "source"
    return f"{name}_{time.strftime('%Y-%m-%d_%H%M%S', time.gmtime(report.job.started_at))}Z"


def write_reports(report: OffloadReport, local_dir: Path | None) -> list[str]:
    """Write JSON + CSV locally (if *local_dir*) and into every destination not lost.

    Returns the paths written; a destination that refuses the report is listed in
    ``report.folder_errors`` instead (the copies themselves are not affected).
    """
    base = report_basename(report)
    folders: list[Path] = []
    if local_dir is not None:
        folders.append(local_dir)
    lost = {d.index for d in report.job.destinations if d.lost}
    folders.extend(
        plan.root / STATE_FOLDER / "reports"
        for plan in report.plans
        if plan.index not in lost and plan.root.is_dir()
    )
    written: list[str] = []
    # Compact: with indent, json falls back to its pure-Python encoder (0.7 s for 5,000
    # files on three destinations); `python -m json.tool` pretty-prints it.
    data = json.dumps(job_report_dict(report), ensure_ascii=False).encode(
        "utf-8", "surrogateescape"
    )
    table = csv_text(report).encode("utf-8", "surrogateescape")
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Temporary name, fsync, rename, fsync of the folder (as the manifests are).
            write_file_atomically(folder / f"{base}.json", data, replace=True)
            write_file_atomically(folder / f"{base}.csv", table, replace=True)
            written.append(str(folder / f"{base}.json"))
        except OSError as exc:
            report.folder_errors.append(f"cannot write the report into {folder}: {exc}")
    report.report_paths = written
    return written
