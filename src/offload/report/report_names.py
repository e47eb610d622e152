"""The names of a run's reports: ``<card>_<start, UTC>Z[_N]`` and a suffix each.

A module of its own so that the preflight's look at the reports' names
(``offload.own_names``) needs none of the reports' writer (``job_report``, which
re-exports these)."""

from __future__ import annotations

import time


def report_basename_for(name: str, started_at: float) -> str:
    """``<name>_<started_at, UTC>Z``: :func:`report_basename` of a card's *name* as its
    report is named (``plan.names.report_name``) and a run's start."""
    return f"{name}_{time.strftime('%Y-%m-%d_%H%M%S', time.gmtime(started_at))}Z"


#: A report's files, by suffix: the JSON and CSV, then the HTML and PDF made from them.
REPORT_SUFFIXES = (".json", ".csv", ".html", ".pdf")
#: The highest number a report's name takes when the names before it are taken
#: (``numbered_name``): one run's reports of the same card and second, 9,998 before it.
MAX_REPORT_NUMBER = 9_999


def numbered_name(base: str, number: int) -> str:
    """The report name *base* takes when *number* - 1 names are taken: *base* itself for
    1, else ``<base>_<number>``."""
    return base if number == 1 else f"{base}_{number}"
