"""The ``offload`` command's entry point (the console script, and ``python -m offload``).

Before importing the command (~0.25 s of imports: engine, planner, manifests, terminal
output), it starts the PDF report's renderer process when the command line is an
``offload copy`` that will write reports (``report.pdf_process``): that process loads the
PDF library on another core meanwhile. Anything else goes straight to ``offload.cli.offload``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from offload.report.pdf_process import close_early, start_early

# Options after which `offload copy` writes no PDF (or nothing at all).
_NO_REPORTS = frozenset({"--dry-run", "-h", "--help", "--version"})


def writes_reports(argv: Sequence[str]) -> bool:
    """Whether *argv* (without the program name) is an ``offload copy`` that writes the
    HTML/PDF reports. A guess before parsing: wrong either way costs only time (a renderer
    started for nothing is ended; one not started is started later)."""
    return bool(argv) and argv[0] == "copy" and not _NO_REPORTS.intersection(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if writes_reports(args):
        start_early()
    try:
        from offload.cli.offload import main as command

        return command(args)
    finally:
        close_early()


def entry_point() -> None:
    sys.exit(main())
