"""The engine's ``JobFinished`` code (``job_exit_code`` over ``counted_outcomes``, the
destinations' counts just made) is ``JobReport.exit_code`` (the same rule over a pass over
every outcome) for every mix of outcomes: real result objects, counted by the engine's own
``DestinationSummary.count``."""

from __future__ import annotations

import itertools
import random

from offload.errors import ExitCode
from offload.results import (
    DestinationFileResult,
    DestinationStatus,
    DestinationSummary,
    FileResult,
    JobReport,
    counted_outcomes,
    job_exit_code,
)


def _report(
    rows: list[list[DestinationStatus | None]], errors: set[int], cancelled: bool = False
) -> JobReport:
    """A job of one file a row, each with the result of each destination that is not None
    (a destination may hold no result for a file), its source failed for the rows in
    *errors*; the destinations counted as the engine counts them at the job's end."""
    files = []
    for n, row in enumerate(rows):
        results = [
            DestinationFileResult(index, f"/d{index}/f{n}", status)
            for index, status in enumerate(row)
            if status is not None
        ]
        files.append(
            FileResult(
                f"f{n}", 1, 0, source_error="EIO" if n in errors else None, destinations=results
            )
        )
    width = max((len(row) for row in rows), default=2)
    summaries = [DestinationSummary(index, f"/d{index}", "dev") for index in range(width)]
    for summary in summaries:
        summary.count(files)
    return JobReport("full", ("xxh64",), files=files, destinations=summaries, cancelled=cancelled)


def _counted(report: JobReport) -> ExitCode:
    """The code the engine emits at the job's end (``engine.job``)."""
    return job_exit_code(report, *counted_outcomes(report.destinations))


def test_the_counted_code_is_the_derived_one_for_every_mix_of_outcomes() -> None:
    states: list[DestinationStatus | None] = [*DestinationStatus, None]
    seen = set()
    # Every pair of outcomes of a file on two destinations, alone and beside a good file.
    for a, b in itertools.product(states, repeat=2):
        for rows in ([[a, b]], [[a, b], [DestinationStatus.VERIFIED] * 2]):
            for errors in (set(), {0}):
                report = _report(rows, errors)
                assert _counted(report) == report.exit_code, (rows, errors)
                seen.add(report.exit_code)
    # Random jobs of up to 40 files on up to 3 destinations.
    rng = random.Random(63)
    for _ in range(400):
        width = rng.randint(1, 3)
        rows = [[rng.choice(states) for _ in range(width)] for _ in range(rng.randint(1, 40))]
        errors = {n for n in range(len(rows)) if rng.random() < 0.05}
        report = _report(rows, errors)
        assert _counted(report) == report.exit_code, (rows, errors)
        seen.add(report.exit_code)
    assert seen == {ExitCode.OK, ExitCode.PARTIAL, ExitCode.FAILED}
    # An empty job, a cancelled one.
    assert _counted(_report([], set())) == ExitCode.OK == _report([], set()).exit_code
    cancelled = _report([[DestinationStatus.VERIFIED]], set(), cancelled=True)
    assert _counted(cancelled) == ExitCode.CANCELLED == cancelled.exit_code
