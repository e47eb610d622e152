"""The ``offload`` command's entry point (the console script, and ``python -m offload``):
``offload.cli.offload``'s ``main``. A module of its own so that the installed script's target
stays the same whatever the command's module imports."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from offload.report.worker import DocumentWorker


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    worker = _report_worker(words)
    from offload.cli.offload import main as command

    return command(words, report_worker=worker)


def _report_worker(words: list[str]) -> DocumentWorker | None:
    """For what looks like an ``offload copy`` that will write its reports, its report
    worker (``report/worker.py``), spawned before the command imports anything: the
    worker's interpreter and imports (~0.1 s of CPU) then run on the other core while the
    command loads, not while it copies. The command closes it if it turns out unused (a
    usage error, a card too large for it)."""
    if words[:1] != ["copy"] or {"--dry-run", "-h", "--help"} & set(words):
        return None
    from offload.report.worker import DocumentWorker

    return DocumentWorker.start()


def entry_point() -> None:
    sys.exit(main())
