"""A cascade re-run without its card (``cascade.fast_copy_source``) whose source, a fast copy,
is found unlike the card's digests its ledger recorded as the run reads a file of it: that
copy fails there (an ``ERROR`` line naming it, exit 1) and loses its ledger entry and its
record of the card's pass (a later run reads it back, never trusts it "verified earlier",
and no re-run without the card is fed from it), and the file is fed to the slow
destinations from the next fast copy of the command line (``OffloadPlan.other_fast_copies``)
that holds it at the card's size, read against the same digests. One found unlike them
too is failed so, and the next tried. With none left, the file fails on the slow
destinations in words naming the fast copies (never the card's read: the card was not
read), its digests in the reports the card's (docs/design.md, "Cascading copy").

The same rule as a cascade with its card (``cascade._explain``/``_fail_damaged``), for the
run whose source is the fast copy itself (so it is no destination of the plan: its failure
is said in ``folder_errors``, not in a row).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from offload.engine.messages import FileTask
from offload.events import EventSink, WarningIssued
from offload.hashing.registry import comparable_digest
from offload.ledger import STATE_FOLDER, Ledger
from offload.model import dated_as_card
from offload.results import DestinationStatus, FileResult, JobReport, merge_job_reports

if TYPE_CHECKING:
    from offload.card import OffloadPlan


def _unlike(file: FileResult, task: FileTask) -> str | None:
    """The first digest (name) of *file*'s read that differs from *task*'s reference (the
    card's digests), None when the read matched or failed otherwise (an I/O error: the
    engine's own words stand)."""
    if file.source_error is None:
        return None
    for name, expected in task.reference_digests.items():
        read = file.inflight_digests.get(name)
        if read is not None and read != comparable_digest(name, expected):
            return name
    return None


def _next_copy(plan: OffloadPlan, task: FileTask, after: int) -> tuple[int, Path] | None:
    """The first fast copy of *plan*'s others from position *after* on that holds *task*'s
    file at the card's size (its bytes are checked by the read itself), and its position."""
    for position in range(after, len(plan.other_fast_copies)):
        path = plan.other_fast_copies[position] / task.source.relative_path
        try:
            if os.stat(path).st_size == task.source.size_bytes:
                return position, path
        except OSError:
            continue
    return None


def _revoke(plan: OffloadPlan, root: Path, relative: str) -> str:
    """Revoke the entry of *relative* in the ledger of the fast copy *root* and remove its
    record of the card's pass there; the words of what became of its ledger."""
    from offload.cascade import CARD_PASS_RECORD

    ledger = Ledger(root, card=plan.card.key if plan.card is not None else "")
    try:
        ledger.revoke({relative: ledger.card})
        (root / STATE_FOLDER / CARD_PASS_RECORD).unlink(missing_ok=True)
    except OSError as exc:
        return (
            f"its ledger could not be told ({exc.strerror or exc}), so a re-run would trust "
            "it again: re-run with the card and --reverify"
        )
    return "its ledger no longer vouches for it: re-run with the card and --overwrite to replace it"


def refeed(
    plan: OffloadPlan,
    job: JobReport,
    tasks: Sequence[FileTask],
    run: Callable[[list[FileTask]], JobReport],
    sink: EventSink,
) -> list[str]:
    """After *job* (the run of *tasks*, in a plan whose source stands for its absent card):
    each file read unlike the card's digests is failed on its fast copy (revoked there) and
    fed again by *run* from the next fast copy that holds it, its results merged into *job*;
    one no copy is left for fails on the slow destinations, named. Returns the lines for
    ``folder_errors`` (each fast copy found unlike the card). Nothing for a plan fed from
    the card, or a cancelled job."""
    if plan.stands_in_for is None or job.cancelled:
        return []
    if not any(file.source_error for file in job.files):
        return []  # the usual run: one look a file, nothing built
    by_path = {task.source.relative_path: task for task in tasks}
    fed_from: dict[str, tuple[Path, int]] = {}  # by path: the copy root, the next to try
    errors: list[str] = []
    current = job
    while True:
        again: list[FileTask] = []
        for file in current.files:
            task = by_path.get(file.relative_path)
            name = _unlike(file, task) if task is not None else None
            if task is None or name is None:
                continue
            relative = file.relative_path
            root, after = fed_from.get(relative, (plan.source, 0))
            copy = root / relative
            words = _revoke(plan, root, relative)
            line = (
                f"{relative}: the fast copy {copy} was verified by an earlier run, then "
                "changed: read to feed the cascade in the card's place, "
                f"{name} {file.inflight_digests[name]} ≠ {task.reference_digests[name]} (the "
                f"card's digests its ledger recorded); it failed there and {words}"
            )
            errors.append(line)
            sink.emit(WarningIssued(line, str(copy)))
            found = _next_copy(plan, task, after)
            if found is None or current.cancelled:
                _fail_unfed(file, task, copy)
                continue
            position, path = found
            fed_from[relative] = (plan.other_fast_copies[position], position + 1)
            said = f"{relative}: fed again from the fast copy {path} ({copy} no longer matches)"
            sink.emit(WarningIssued(said, str(path)))
            job.warnings.append(said)
            st = os.stat(path)
            again.append(
                FileTask(
                    dated_as_card(path, relative, st.st_size, task.source.mtime_ns, st.st_mtime_ns),
                    task.targets,
                    (),
                    task.reference_digests,
                    reference_origin="the card's digests (recorded in the fast copies' ledgers "
                    "when they were copied from the card); the copy changed since it was verified",
                    reference_record=task.reference_record,
                )
            )
        for summary in job.destinations:
            summary.count(job.files)
        if not again:
            return errors
        retried = {task.source.relative_path for task in again}
        current = run(again)
        job.files = [f for f in job.files if f.relative_path not in retried]
        merge_job_reports(job, current)


def _fail_unfed(file: FileResult, task: FileTask, copy: Path) -> None:
    """*file*, read unlike the card from *copy*, the last fast copy that held it: failed on
    the slow destinations in words naming that copy, never as a read of the card; its
    digests the card's (the reports' ``digests``), not the damaged copy's."""
    why = (
        f"{file.relative_path}: not fed: the fast copy {copy} no longer matches the card's "
        "digests, and no other fast copy holds it at the card's size and digests; re-run with "
        "the card"
    )
    file.source_error = None
    file.inflight_digests = dict(task.reference_digests)
    file.source_reread_digests = {}
    for result in file.destinations:
        if result.status is DestinationStatus.FAILED:
            result.error = why
