"""The end-of-job summary table for a terminal (plain text when not a TTY)."""

from __future__ import annotations

from rich.table import Table

from offload.card import OffloadReport


def summary_table(report: OffloadReport) -> Table:
    job = report.job
    table = Table(
        title=f"Offload of {report.source} ({job.verify} verification, "
        f"{', '.join(job.algorithms)})",
        title_justify="left",
    )
    for column in (
        "destination",
        "verified",
        "copied",
        "skipped",
        "failed",
        "bytes",
        "time",
        "throughput",
        "state",
    ):
        table.add_column(
            column, justify="right" if column not in ("destination", "state") else "left"
        )
    for dest in job.destinations:
        busy = dest.copy_s + dest.verify_s
        table.add_row(
            dest.root,
            str(dest.files_verified),
            str(dest.files_transfer_checked),
            str(dest.files_verified_earlier),
            str(dest.files_failed),
            f"{dest.bytes_written / 1e6:,.1f} MB",
            f"{busy:.1f} s",
            f"{dest.throughput_mb_s:,.1f} MB/s",
            "LOST: " + (dest.lost_reason or "") if dest.lost else "ok",
        )
    return table
