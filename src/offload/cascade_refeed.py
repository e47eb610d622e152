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

import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from offload.engine.messages import FileTask
from offload.events import EventSink, WarningIssued
from offload.hashing.registry import comparable_digest
from offload.ledger import STATE_FOLDER, Ledger, LedgerEntry
from offload.model import dated_as_card
from offload.report.words import FED_IN_THE_CARDS_PLACE
from offload.results import DestinationStatus, FileResult, JobReport, merge_job_reports

if TYPE_CHECKING:
    from offload.card import OffloadPlan


def _unlike_read(digests: Mapping[str, str], task: FileTask) -> str | None:
    """The first digest (name) of the read *digests* that differs from *task*'s reference
    (the card's digests), None when none does (an I/O error computes none: the engine's
    own words stand, nothing is revoked)."""
    for name, expected in task.reference_digests.items():
        read = digests.get(name)
        if read is not None and read != comparable_digest(name, expected):
            return name
    return None


def _unlike(file: FileResult, task: FileTask) -> str | None:
    """``_unlike_read`` of *file*'s read, None for a read that did not fail."""
    if file.source_error is None:
        return None
    return _unlike_read(file.inflight_digests, task)


class Revoker:
    """The fast copies of a run without its card found unlike the card's digests, told
    (``found_unlike``, the engine's ``CopyJob.on_source_failed``) as each read fails, before
    the failure is announced: the copy's ledger entry is revoked and its record of the
    card's pass removed then, durably, so a cancel, a kill or a power loss after that read
    leaves no ledger vouching for it (a later run reads it back, and the card is not called
    formattable on its word). Only where that copy's ledger vouched for the file with the
    card's digests (``vouches``): a folder no ledger vouches for is written nothing.
    Thread-safe (the copy job's reader and re-read threads, the existing copies' source
    reader): each file once (``words``), whichever read found it, a root's revocations one
    at a time."""

    def __init__(self, plan: OffloadPlan) -> None:
        self._plan = plan
        self._lock = threading.Lock()
        self._said: dict[tuple[Path, str], str | None] = {}
        self._entries: dict[Path, dict[str, LedgerEntry] | None] = {}
        self._root_locks: dict[Path, threading.Lock] = {}

    def roots(self) -> tuple[Path, ...]:
        return (self._plan.source, *self._plan.other_fast_copies)

    def _root_of(self, task: FileTask) -> Path | None:
        path = Path(task.source.path_text)
        for root in self.roots():
            if path == root / task.source.relative_path:
                return root
        return None

    def vouches(self, root: Path, task: FileTask) -> bool:
        """Whether the fast copy *root* is this card's (its record of the card's pass names
        it) and its ledger vouches for *task*'s file with the card's digests: the rule
        ``cascade.fast_copy_source`` applies to the copy it feeds from, a file at a time."""
        with self._lock:
            if root not in self._entries:
                self._entries[root] = _card_entries(root, self._plan)
            entries = self._entries[root]
        if entries is None:
            return False
        entry = entries.get(task.source.relative_path)
        if entry is None or entry.state != "verified":
            return False
        if entry.size_bytes != task.source.size_bytes or not task.reference_digests:
            return False
        return all(
            name in entry.digests
            and comparable_digest(name, entry.digests[name]) == comparable_digest(name, expected)
            for name, expected in task.reference_digests.items()
        )

    def found_unlike(self, task: FileTask, digests: Mapping[str, str]) -> None:
        """A read of *task*'s file failed with *digests*: revoked where read unlike the card
        in a fast copy whose ledger vouched for it (``CopyJob.on_source_failed``)."""
        root = self._root_of(task)
        if root is not None and _unlike_read(digests, task) is not None:
            self.words(root, task)

    def unlike_at_source(self, task: FileTask, digests: Mapping[str, str]) -> str | None:
        """The existing copies' check read *task*'s file, in the fast copy that is the run's
        source, as *digests*, unlike the card's (``existing.check_existing``'s
        *on_source_unlike*): revoked there as ``found_unlike`` does (the same vetting, once
        a file); the words of it (``it failed there and ...``), None where nothing was."""
        root = self._root_of(task)
        if root is None or _unlike_read(digests, task) is None:
            return None
        words = self.words(root, task)
        return None if words is None else f"it failed there and {words}"

    def words(self, root: Path, task: FileTask) -> str | None:
        """What became of the ledger of *root* for *task*'s file: revoked once (the first
        call), the same words after; None where its ledger never vouched for it (nothing
        written there)."""
        key = (root, task.source.relative_path)
        with self._lock:
            if key in self._said:
                return self._said[key]
            root_lock = self._root_locks.setdefault(root, threading.Lock())
        # One revocation of a root at a time (the reader's thread and the re-read's may find
        # files of it at once): each appends to that ledger and removes its record, and a
        # file found by both is revoked once.
        with root_lock:
            with self._lock:
                if key in self._said:
                    return self._said[key]
            vouched = self.vouches(root, task)
            said = _revoke(self._plan, root, task.source.relative_path) if vouched else None
            with self._lock:
                self._said[key] = said
            return said


def _card_entries(root: Path, plan: OffloadPlan) -> dict[str, LedgerEntry] | None:
    """The ledger entries of the fast copy *root* where its record of the card's pass names
    the card *plan* stands in for; None otherwise (or unreadable)."""
    from offload.cascade import CARD_PASS_RECORD

    try:
        record = json.loads((root / STATE_FOLDER / CARD_PASS_RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("card") != str(plan.stands_in_for):
        return None
    try:
        return Ledger(root).load()
    except OSError:
        return None


def _next_copy(
    plan: OffloadPlan, task: FileTask, after: int, revoker: Revoker
) -> tuple[int, Path] | None:
    """The first fast copy of *plan*'s others from position *after* on that holds *task*'s
    file at the card's size and whose ledger vouches for it with the card's digests
    (``Revoker.vouches``: its bytes are checked by the read itself), and its position."""
    for position in range(after, len(plan.other_fast_copies)):
        root = plan.other_fast_copies[position]
        path = root / task.source.relative_path
        try:
            if os.stat(path).st_size != task.source.size_bytes:
                continue
        except OSError:
            continue
        if revoker.vouches(root, task):
            return position, path
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
    revoker: Revoker,
    feeds: dict[str, str],
) -> list[str]:
    """After *job* (the run of *tasks*, in a plan whose source stands for its absent card):
    each file read unlike the card's digests is failed on its fast copy (revoked there) and
    fed again by *run* from the next fast copy that holds it, its results merged into *job*;
    one no copy is left for fails on the slow destinations, named. Returns the lines for
    ``folder_errors`` (each fast copy found unlike the card). Nothing for a plan fed from
    the card. A cancelled job feeds nothing again, but each copy found unlike the card is
    said (*revoker* revoked it as its read failed, before the cancel could stop the run).
    *feeds*: by path, the copy root of each file fed again (its last feed; none for one no
    copy fed), for the reports' ``fed_from`` and the ``existing-replaced`` warning."""
    if plan.stands_in_for is None:
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
            words = revoker.words(root, task)
            digest = f"{name} {file.inflight_digests[name]} ≠ {task.reference_digests[name]}"
            if words is None:  # no ledger of that copy vouched for it: nothing written there
                line = (
                    f"{relative}: the fast copy {copy} does not match the card's digests: "
                    f"{FED_IN_THE_CARDS_PLACE}, {digest}"
                )
            else:
                line = (
                    f"{relative}: the fast copy {copy} was verified by an earlier run, then "
                    f"changed: {FED_IN_THE_CARDS_PLACE}, {digest} (the "
                    f"card's digests its ledger recorded); it failed there and {words}"
                )
            if line not in errors:
                errors.append(line)
                sink.emit(WarningIssued(line, str(copy)))
            found = None if current.cancelled else _next_copy(plan, task, after, revoker)
            if found is None:
                feeds.pop(relative, None)
                _fail_unfed(file, task, copy, cancelled=current.cancelled)
                continue
            position, path = found
            fed_from[relative] = (plan.other_fast_copies[position], position + 1)
            feeds[relative] = str(plan.other_fast_copies[position])
            said = f"{relative}: fed again from the fast copy {path} ({copy} no longer matches)"
            sink.emit(WarningIssued(said, str(path)))
            job.warnings.append(said)
            st = os.stat(path)
            again.append(
                FileTask(
                    dated_as_card(path, relative, st.st_size, task.source.mtime_ns, st.st_mtime_ns),
                    task.targets,
                    task.preset,  # its other destinations' results stand
                    task.reference_digests,
                    reference_origin="the card's digests (recorded in the fast copies' ledgers "
                    "when they were copied from the card); the copy changed since it was verified",
                    reference_record=task.reference_record,
                    reference_size=task.reference_size,
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


def _fail_unfed(file: FileResult, task: FileTask, copy: Path, *, cancelled: bool) -> None:
    """*file*, read unlike the card from *copy*, the last fast copy that held it (or the run
    *cancelled* before another was tried): failed on the slow destinations in words naming
    that copy, never as a read of the card; its digests the card's (the reports'
    ``digests``), not the damaged copy's."""
    why = f"{file.relative_path}: not fed: the fast copy {copy} no longer matches the card's " + (
        "digests, and the run was cancelled before another fast copy was tried; re-run"
        if cancelled
        else "digests, and no other fast copy holds it at the card's size and digests; "
        "re-run with the card"
    )
    file.source_error = None
    file.inflight_digests = dict(task.reference_digests)
    file.source_reread_digests = {}
    for result in file.destinations:
        if result.status is DestinationStatus.FAILED:
            result.error = why
