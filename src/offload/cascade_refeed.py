"""A cascade re-run without its card (``cascade.fast_copy_source``) whose source, a fast copy,
is found unlike the card's digests its ledger recorded as the run reads a file of it: that
copy fails there (an ``ERROR`` line naming it, exit 1) and loses its ledger entry and its
record of the card's pass (a later run reads it back, never trusts it "verified earlier",
and no re-run without the card is fed from it), and the file is fed to the slow
destinations from the next fast copy of the command line (``OffloadPlan.other_fast_copies``)
that holds it at the card's size, read against the same digests. One found unlike them
too is failed so, and the next tried. With none left, the file fails on the slow
destinations in words naming the fast copies (never the card's read: the card was not
read), its digests in the reports the card's (docs/design.md, "Cascading copy"). The
existing copies' check (``--reverify``) follows the same rule as it reads the source
(``Revoker.unlike_at_source``, ``read_in_place``). Each copy found so is said once, as it
is found (``Revoker.found``).

The same rule as a cascade with its card (``cascade._explain``/``_fail_damaged``), for the
run whose source is the fast copy itself (so it is no destination of the plan: its failure
is said in ``folder_errors``, not in a row).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from offload.engine.messages import FileTask
from offload.errors import REREAD_ALIKE
from offload.events import EventSink, NullSink, WarningIssued
from offload.hashing.registry import comparable_digest
from offload.ledger import STATE_FOLDER, Ledger, LedgerEntry
from offload.model import dated_as_card
from offload.report.words import (
    CHECKED_IN_THE_CARDS_PLACE,
    FED_IN_THE_CARDS_PLACE,
    UNREADABLE_IN_THE_CARDS_PLACE,
)
from offload.results import DestinationStatus, FileResult, JobReport, merge_job_reports
from offload.state_folder import unlink_in

if TYPE_CHECKING:
    from offload.card import OffloadPlan
    from offload.existing import SourceUnlike


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
    at a time. Each copy found so is said once, as it is found (``found``: a live
    ``WarningIssued`` on *sink*, the line ``lines`` gives the run's ``folder_errors``)."""

    def __init__(self, plan: OffloadPlan, sink: EventSink | None = None) -> None:
        self._plan = plan
        self._sink = sink or NullSink()
        self._lock = threading.Lock()
        self._said: dict[tuple[Path, str], str | None] = {}
        self._lines: dict[tuple[Path, str], str] = {}  # in the order found
        # Those of ``_lines`` that say the copy could not be read (``unreadable``): a later
        # read of it found unlike the card revokes it and its line replaces that one
        # (``found``): a copy found damaged is never left "not found damaged".
        self._unreadable: set[tuple[Path, str]] = set()
        # Found by the existing copies' check with no other copy to read in its place: the
        # file's own failure names that copy and its ledger's fate (``unlike_at_source``).
        self._in_file_failure: set[tuple[Path, str]] = set()
        # The copy job's reads that failed otherwise than unlike the card (EIO): by copy
        # root and path (``found_unlike``, ``failed_read``).
        self._failed_reads: set[tuple[Path, str]] = set()
        self._entries: dict[Path, dict[str, LedgerEntry] | None] = {}
        # The fast copies whose record of the card's pass named this card when first read
        # (``vouches``): a revocation there removes that record, yet each other file of it
        # found unlike the card still loses its ledger entry (``words``, README: each such
        # copy "loses its ledger entry"; QA qa70c M2: the second one kept its entry).
        self._ours: set[Path] = set()
        self._root_locks: dict[Path, threading.Lock] = {}
        # The existing copies' check: by path, the position of the next fast copy to try,
        # and the copy root read in the source's place (``unlike_at_source``).
        self._next_at_check: dict[str, int] = {}
        self.in_place_roots: dict[str, Path] = {}
        #: Each such read's line, said live and kept for the job report's warnings (as the
        #: copy job's "fed again from" is: JSON, HTML, PDF), in the order read; one whose
        #: read then failed (EIO) reworded by ``read_in_place`` (``tried_in_place``).
        self.in_place_said: list[str] = []
        # By path, the last such line and its words should that read fail.
        self._in_place_tried: dict[str, tuple[str, str]] = {}

    def roots(self) -> tuple[Path, ...]:
        return (self._plan.source, *self._plan.other_fast_copies)

    def _root_of(self, task: FileTask, path_text: str | None = None) -> Path | None:
        """The fast copy whose file *task* reads (or *path_text* is), None for none."""
        path = Path(task.source.path_text if path_text is None else path_text)
        for root in self.roots():
            if path == root / task.source.relative_path:
                return root
        return None

    def root_read(self, task: FileTask) -> Path:
        """The fast copy *task* reads its file from (the run's source by default)."""
        return self._root_of(task) or self._plan.source

    def next_position(self, root: Path) -> int:
        """The position in ``other_fast_copies`` of the copy to try after *root*."""
        others = self._plan.other_fast_copies
        return others.index(root) + 1 if root in others else 0

    def lines(self) -> list[str]:
        """Each fast copy found unlike the card (``found``) or unreadable in its place
        (``unreadable``), in the order first found: the run's ``folder_errors`` lines for
        them, one a copy and file; none for one the file's own failure says whole
        (``unlike_at_source`` with no copy left to read: said once, its live event kept)."""
        with self._lock:
            return [line for key, line in self._lines.items() if key not in self._in_file_failure]

    def found(self, root: Path, task: FileTask, digests: Mapping[str, str], how: str) -> str | None:
        """The fast copy *root* read *task*'s file as *digests* (*how*: to what end, in
        words): where unlike the card's digests, revoked (``words``) and its line made and
        said as a live ``WarningIssued`` the first time; that line (None: not unlike). An
        earlier read of it that failed (``unreadable``) does not stop that: its line is
        replaced by this one, in its place."""
        name = _unlike_read(digests, task)
        if name is None:
            return None
        key = (root, task.source.relative_path)
        with self._lock:
            if key in self._lines and key not in self._unreadable:
                return self._lines[key]
        words = self.words(root, task)
        line = _unlike_line(root / task.source.relative_path, task, name, digests, how, words)
        with self._lock:
            if key in self._lines and key not in self._unreadable:
                return self._lines[key]
            self._lines[key] = line
            self._unreadable.discard(key)
        from offload.plan.codes import PreflightCode

        code = PreflightCode.FAST_COPY_UNLIKE_CARD.value
        self._sink.emit(WarningIssued(line, str(root / task.source.relative_path), code))
        return line

    def unreadable(
        self, root: Path, task: FileTask, error: str, how: str = "to feed the cascade"
    ) -> str:
        """The fast copy *root*'s read of *task*'s file (*how*: to what end) failed with
        *error* (EIO: no digest, nothing revoked) and the next fast copy is read in its
        place: its line (``_unreadable_line``), one of ``lines`` the first time, said as the
        run's ``folder_errors`` (the live "fed again from" / "read from ... in its place"
        warning says it as it happens); a copy already found unlike the card keeps that
        line (returned), a later read finding it so replaces this one (``found``)."""
        key = (root, task.source.relative_path)
        line = _unreadable_line(root / task.source.relative_path, key[1], error, how)
        with self._lock:
            if key not in self._lines:
                self._lines[key] = line
                self._unreadable.add(key)
            return self._lines[key]

    def unreadable_at_source(self, task: FileTask, path_text: str, error: str) -> str | None:
        """The existing copies' check's read of *task*'s file at *path_text*, a fast copy
        standing for the card (the run's source, or one read in its place), failed with
        *error* (EIO: no digest; ``check_existing``'s *on_source_unreadable*): as
        ``unlike_at_source``, the next fast copy whose ledger vouches for the file is read in
        its place, its path returned, this one named unreadable (``unreadable``), nothing
        revoked; None (no other copy left): the read's error is the file's."""
        root = self._root_of(task, path_text)
        if root is None:
            return None
        relative = task.source.relative_path
        with self._lock:
            after = max(self._next_at_check.get(relative, 0), self.next_position(root))
        found = _next_copy(self._plan, task, after, self)
        if found is None:
            return None
        self.unreadable(root, task, error, "to check the copies already there")
        with self._lock:
            if self.in_place_roots.get(relative) == root:
                # That copy was itself read in another's place: nothing came from it.
                self._tried_in_place(relative)
        return self._read_in_place_of(relative, found, path_text, "could not be read")

    def _read_in_place_of(
        self, relative: str, found: tuple[int, Path], path_text: str, why: str
    ) -> str:
        """The existing copies' check reads *relative* from the fast copy *found*
        (``_next_copy``: its position, its file) in the place of *path_text* (*why*: what
        became of that read): recorded (``in_place_roots``, the next to try), its line said
        live and kept (``in_place_said``) with its words should that read fail; its path."""
        position, path = found
        said = f"{relative}: read from the fast copy {path} in its place ({path_text} {why})"
        tried = tried_in_place(relative, path, path_text, why)
        with self._lock:
            self._next_at_check[relative] = position + 1
            self.in_place_roots[relative] = self._plan.other_fast_copies[position]
            self.in_place_said.append(said)
            self._in_place_tried[relative] = (said, tried)
        self._sink.emit(WarningIssued(said, str(path)))
        return str(path)

    def vouches(self, root: Path, task: FileTask) -> bool:
        """Whether the fast copy *root* is this card's (its record of the card's pass names
        it) and its ledger vouches for *task*'s file with the card's digests: the rule
        ``cascade.fast_copy_source`` applies to the copy it feeds from, a file at a time.
        Each copy's ledger is read once, and again after a revocation there (``words``)."""
        with self._lock:
            if root not in self._entries:
                self._entries[root] = _card_entries(root, self._plan)
                if self._entries[root] is not None:
                    self._ours.add(root)
            entries = self._entries[root]
        if entries is None:
            return False
        return _entry_vouches(entries.get(task.source.relative_path), task)

    def _still_vouches(self, root: Path, task: FileTask) -> bool:
        """Whether the ledger of *root*, a fast copy of this card (its record of the card's
        pass named it when first read, ``_ours``), vouches for *task*'s file with the card's
        digests as it is now, its record removed since by a revocation of another file:
        that entry is revoked too (``words``). Reads the ledger (a second file found unlike
        on the same copy: rare)."""
        with self._lock:
            if root not in self._ours:
                return False
        try:
            entries = Ledger(root).load()
        except OSError:
            return False
        return _entry_vouches(entries.get(task.source.relative_path), task)

    def found_unlike(
        self, task: FileTask, digests: Mapping[str, str], errno: int | None = None
    ) -> None:
        """A read of *task*'s file failed with *digests* (*errno*: the failure's, None for
        no OS error): revoked where read unlike the card in a fast copy whose ledger vouched
        for it (``CopyJob.on_source_failed``); else, an I/O error (an errno), kept as a read
        of the copy job's that failed (``failed_read``: the next copy feeds it). Any other
        failure (a copy changed since the scan, or read differently twice) is the file's,
        in the engine's words: no copy is called unreadable for it."""
        root = self._root_of(task)
        if root is None:
            return
        if self.found(root, task, digests, FED_IN_THE_CARDS_PLACE) is None and errno is not None:
            with self._lock:
                self._failed_reads.add((root, task.source.relative_path))

    def failed_read(self, root: Path, relative: str) -> bool:
        """Whether the copy job read *relative* in the fast copy *root* and that read failed
        with an I/O error (``found_unlike``): not a file the existing copies' check failed,
        which the copy job never read, nor one that failed otherwise."""
        with self._lock:
            return (root, relative) in self._failed_reads

    def unlike_at_source(
        self, task: FileTask, digests: Mapping[str, str], path_text: str
    ) -> SourceUnlike | None:
        """The existing copies' check read *task*'s file at *path_text*, in a fast copy
        standing for the card (the run's source, or the one read in its place), as
        *digests*, unlike the card's (``existing.check_existing``'s *on_source_unlike*):
        revoked and said there as ``found_unlike`` does (the same vetting, once a file).
        Then the next fast copy of the command line whose ledger vouches for the file
        (``_next_copy``, as the copy job's ``refeed``) is read in its place (``instead``,
        its root in ``in_place_roots``); with none left, the words of what became of that
        copy's ledger (``it failed there and ...``), None where nothing was: the file's
        failure then names that copy, so ``lines`` leaves its line out (said once)."""
        from offload.existing import SourceUnlike

        root = self._root_of(task, path_text)
        if root is None or self.found(root, task, digests, CHECKED_IN_THE_CARDS_PLACE) is None:
            return None
        relative = task.source.relative_path
        with self._lock:
            after = max(self._next_at_check.get(relative, 0), self.next_position(root))
        found = _next_copy(self._plan, task, after, self)
        if found is not None:
            return SourceUnlike(
                None, self._read_in_place_of(relative, found, path_text, "no longer matches")
            )
        with self._lock:
            self.in_place_roots.pop(relative, None)
            self._in_file_failure.add((root, relative))  # its failure names it (``lines``)
        words = self.words(root, task)
        return SourceUnlike(None if words is None else f"it failed there and {words}")

    def read_failed(self, relative: str) -> None:
        """The check's read of *relative* in the fast copy ``unlike_at_source`` last named
        failed (EIO): its kept line says it was tried, not read (nothing came from it)."""
        with self._lock:
            self._tried_in_place(relative)

    def _tried_in_place(self, relative: str) -> None:
        """``read_failed``, the lock held."""
        said, tried = self._in_place_tried.pop(relative, (None, ""))
        if said is not None:
            self.in_place_said[self.in_place_said.index(said)] = tried

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
            vouched = self.vouches(root, task) or self._still_vouches(root, task)
            said = _revoke(self._plan, root, task.source.relative_path) if vouched else None
            with self._lock:
                self._said[key] = said
                if vouched:
                    # Its ledger and record of the card's pass as they are now (the record
                    # removed: it vouches for no other file either), read again at the
                    # next look (``vouches``): not the entries of the first.
                    self._entries.pop(root, None)
            return said


def _entry_vouches(entry: LedgerEntry | None, task: FileTask) -> bool:
    """Whether *entry* vouches for *task*'s file verified, at the card's size and with the
    card's digests (``task.reference_digests``)."""
    if entry is None or entry.state != "verified":
        return False
    if entry.size_bytes != task.source.size_bytes or not task.reference_digests:
        return False
    return all(
        name in entry.digests
        and comparable_digest(name, entry.digests[name]) == comparable_digest(name, expected)
        for name, expected in task.reference_digests.items()
    )


def _unlike_line(
    copy: Path, task: FileTask, name: str, digests: Mapping[str, str], how: str, words: str | None
) -> str:
    """The line of the fast copy's file *copy* read unlike the card's digest *name* (*how*:
    to what end it was read), *words*: what became of its ledger (None: no ledger of it
    vouched for the file, nothing written there)."""
    relative = task.source.relative_path
    digest = f"{name} {digests[name]} ≠ {task.reference_digests[name]}"
    if words is None:
        return (
            f"{relative}: the fast copy {copy} does not match the card's digests: {how}, {digest}"
        )
    return (
        f"{relative}: the fast copy {copy} was verified by an earlier run, then changed: "
        f"{how}, {digest} (the card's digests its ledger recorded); it failed there and {words}"
    )


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
        unlink_in(root / STATE_FOLDER / CARD_PASS_RECORD)  # never another root's
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
    *feeds*: by path, the copy root of each file fed again (its last feed; "" for one no
    copy fed: its reads failed), for the reports' ``fed_from`` and the
    ``existing-replaced`` warning."""
    if plan.stands_in_for is None:
        return []
    if not any(file.source_error for file in job.files):
        return []  # the usual run: one look a file, nothing built
    by_path = {task.source.relative_path: task for task in tasks}
    fed_from: dict[str, tuple[Path, int]] = {}  # by path: the copy root, the next to try
    # By path, the last feed's line (in job.warnings) and its words should that read fail.
    fed_said: dict[str, tuple[str, str]] = {}
    errors: list[str] = []
    current = job
    while True:
        again: list[FileTask] = []
        for file in current.files:
            task = by_path.get(file.relative_path)
            if task is None or not file.source_error:
                continue
            relative = file.relative_path
            # The copy the file was read from: the source, the one the existing copies'
            # check read in its place, or the last this loop fed it from.
            root = revoker.root_read(task)
            root, after = fed_from.get(relative, (root, revoker.next_position(root)))
            copy = root / relative
            if _unlike(file, task) is None:
                # Its read failed otherwise: nothing came from the copy fed from
                # (``fed_from``), nor was it fed from there: tried. No digest, so nothing
                # is revoked; for an I/O error (``failed_read``) the next fast copy feeds it
                # as for a mismatch, this one named unreadable (``_unreadable_line``); any
                # other failure, or none left: the read's error is
                # the file's, in the engine's words, and nothing fed it ("": the reports'
                # ``fed_from`` credits no copy, not the run's source, with it).
                feeds[relative] = ""
                fed_line, tried = fed_said.pop(relative, (None, ""))
                if fed_line is not None:
                    job.warnings[job.warnings.index(fed_line)] = tried
                if REREAD_ALIKE in file.source_error:
                    _say_changed_since_read(file, copy)
                if current.cancelled or not revoker.failed_read(root, relative):
                    continue  # (a file the existing copies' check failed: not read here)
                found = _next_copy(plan, task, after, revoker)
                if found is None:
                    continue
                unread = revoker.unreadable(root, task, file.source_error)
                if unread not in errors:
                    errors.append(unread)
                why = "could not be read"
            else:
                line = revoker.found(root, task, file.inflight_digests, FED_IN_THE_CARDS_PLACE)
                if line is not None and line not in errors:
                    errors.append(line)  # said as it was found (``Revoker.found``)
                found = None if current.cancelled else _next_copy(plan, task, after, revoker)
                if found is None:
                    feeds[relative] = ""  # nothing fed it
                    _fail_unfed(file, task, copy, cancelled=current.cancelled)
                    continue
                why = "no longer matches"
            position, path = found
            fed_from[relative] = (plan.other_fast_copies[position], position + 1)
            feeds[relative] = str(plan.other_fast_copies[position])
            said = f"{relative}: fed again from the fast copy {path} ({copy} {why})"
            sink.emit(WarningIssued(said, str(path)))
            job.warnings.append(said)
            fed_said[relative] = (said, tried_in_place(relative, path, str(copy), why))
            again.append(fed_from_copy(task, path))
        for summary in job.destinations:
            summary.count(job.files)
        if not again:
            return errors
        retried = {task.source.relative_path for task in again}
        current = run(again)
        job.files = [f for f in job.files if f.relative_path not in retried]
        merge_job_reports(job, current)


def tried_in_place(relative: str, path: Path, unlike: str, why: str = "no longer matches") -> str:
    """The kept line of a fast copy's file *path* read in the place of *unlike* (its copy
    found unlike the card, or *why* else) whose read then failed: tried, nothing read
    from it."""
    return f"{relative}: tried the fast copy {path} in its place ({unlike} {why}): its read failed"


def _unreadable_line(copy: Path, relative: str, error: str, how: str) -> str:
    """The ``folder_errors`` line of the fast copy's file *copy* whose read (*how*: to what
    end) failed with *error* (EIO: no digest), the file read from the next fast copy:
    unreadable, never called damaged (the ``copy-unreadable`` warning's rule), its ledger
    left as it is."""
    return (
        f"{relative}: the fast copy {copy} {UNREADABLE_IN_THE_CARDS_PLACE} {how} (not found "
        f"damaged: its ledger is left as it is; check that drive): {error}"
    )


def fed_from_copy(task: FileTask, path: Path) -> FileTask:
    """*task* fed from the fast copy's file *path* instead (another fast copy of the card,
    its ledger vouching for the file: ``_next_copy``), checked against the same card's
    digests as it is read; its other destinations' results (``preset``) stand."""
    st = os.stat(path)
    relative = task.source.relative_path
    return FileTask(
        dated_as_card(path, relative, st.st_size, task.source.mtime_ns, st.st_mtime_ns),
        task.targets,
        task.preset,
        task.reference_digests,
        reference_origin="the card's digests (recorded in the fast copies' ledgers when they "
        "were copied from the card); the copy changed since it was verified",
        reference_record=task.reference_record,
        reference_size=task.reference_size,
    )


def read_in_place(
    tasks: Sequence[FileTask], revoker: Revoker, feeds: dict[str, str], read: Collection[str]
) -> list[FileTask]:
    """*tasks* (the plan's), each one whose file the existing copies' check read from
    another fast copy in the source's place (``Revoker.unlike_at_source``) fed from that
    copy: a copy of it found wrong is written again from there, not from the copy found
    unlike the card. *feeds* (``refeed``'s) gets that copy's root, by path, where the
    check's read of it succeeded (*read*: the paths it read digests of): one that failed
    there (EIO) fed nothing ("": the reports' ``fed_from``)."""
    if not revoker.in_place_roots:
        return list(tasks)
    out = []
    for task in tasks:
        root = revoker.in_place_roots.get(task.source.relative_path)
        if root is None:
            out.append(task)
            continue
        if task.source.relative_path in read:
            feeds[task.source.relative_path] = str(root)
        else:  # nothing fed it: "" credits no copy (the reports' ``fed_from``)
            feeds[task.source.relative_path] = ""
            revoker.read_failed(task.source.relative_path)
        try:
            out.append(fed_from_copy(task, root / task.source.relative_path))
        except OSError:
            out.append(task)  # gone since: read where it was, and failed there as it is read
    return out


def _say_changed_since_read(file: FileResult, copy: Path) -> None:
    """*file*'s read of the fast copy *copy* found it read alike twice since, other than
    while copying (``errors.REREAD_ALIKE``): the engine's words blame "card, reader or
    cable" (its source is the card to it); said instead of the fast copy, in its error and
    each failed copy's: it changed on its drive since it was read, or that drive returns
    other bytes than it stored; what mends it (--overwrite, the card back). Nothing is
    revoked here (no digest of the copy says it differs from the card's). Its digests are
    the file's own (``inflight_digests``, ``source_reread_digests``), never parsed out of
    the engine's words, which hold the path (a path may hold brackets)."""
    old = file.source_error or ""
    said = [
        f"{name} {file.inflight_digests[name]} while copying, {reread} {REREAD_ALIKE}"
        for name, reread in file.source_reread_digests.items()
        if name in file.inflight_digests
    ]
    digests = f" ({'; '.join(said)})" if said else ""
    why = (
        f"the fast copy {copy} reads differently than while copying{digests}: it changed on "
        "its drive since it was read, or that drive returns other bytes than it stored; "
        "check it with offload verify, and re-run with the card and --overwrite, which "
        "replaces that copy"
    )
    file.source_error = why
    for result in file.destinations:
        if result.status is DestinationStatus.FAILED and result.error == old:
            result.error = why


def _fail_unfed(file: FileResult, task: FileTask, copy: Path, *, cancelled: bool) -> None:
    """*file*, read unlike the card from *copy*, the last fast copy that held it (or the run
    *cancelled* before another was tried): failed on the slow destinations in words naming
    that copy, never as a read of the card (none "left to try": one tried before whose read
    failed, EIO, may hold it, its own line says so); its digests the card's (the reports'
    ``digests``), not the damaged copy's."""
    why = f"{file.relative_path}: not fed: the fast copy {copy} no longer matches the card's " + (
        "digests, and the run was cancelled before another fast copy was tried; re-run"
        if cancelled
        else "digests, and no other fast copy left to try holds it at the card's size and "
        "digests; re-run with the card"
    )
    file.source_error = None
    file.inflight_digests = dict(task.reference_digests)
    file.source_reread_digests = {}
    for result in file.destinations:
        if result.status is DestinationStatus.FAILED:
            result.error = why
