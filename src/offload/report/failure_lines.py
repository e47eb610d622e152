"""The ``ERROR`` lines a finished offload prints for what failed (``offload copy``'s end, on
stderr): one per distinct error, but for a destination lost mid-run (a drive pulled, its
filesystem answering EIO, unmounted) one line naming the destination and the cause, then one
counting the other files that failed there of it. A card of 2,000 files on a drive pulled at
its first file prints those two lines, not 2,000; the JSON report, the CSV, the HTML/PDF and
``--json``'s events keep every file.

A failure there is counted as of the loss only when its error says so, and a file the card
failed to read (but for a card gone away) keeps its own line: ``loss.Losses.cause``, the
judgement the HTML and PDF make too. Any other failure there (a mismatch found before
the loss) keeps its own line.

Likewise the folders whose time a destination refused (``folder_error_lines``): a drive gone
read-only refuses each one's, and one line with a count stands for those of one errno."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from offload.card import OffloadReport
from offload.destinations.s3url import display_path
from offload.errors import printable_name
from offload.report.loss import (
    ALIKE,
    CARD_FOLDER,
    GONE,
    LOST,
    Losses,
    OwnFailures,
    alike_counts,
    error_words,
    folder_error_causes,
)


def failure_lines(report: OffloadReport, failed: Sequence[Mapping[str, Any]]) -> list[str]:
    """The lines (without ``ERROR: ``) for *failed*, ``job_report.failures(report)``'s
    entries, in their order: each distinct error once; a lost destination's failures of the
    loss as its first one, prefixed with the destination (and the cause, where that error
    does not give it), then ``... and N more files on DEST failed: same cause``, the count
    placed right after that first line; likewise the copies of one destination past
    ``LISTED_ALONE`` failed with one error once each one's path is taken out
    (``loss.alike_counts``): the first, then ``... and N more files on DEST failed: same
    error``; and the other failures of one destination (each with an error of its own: a
    read-back that did not match, with its digests; a write refused) past ``LISTED_ALONE``
    there (``loss.OwnFailures``, as page 1 counts them): the first ``LISTED_ALONE``, then,
    where the first counted came, ``... and N more files on DEST failed (M of them did not
    match the source when read back) (the reports list each)``, or ``... did not match the
    source when read back, each with its own digests`` where each did
    (``OwnFailures.words``); a copy with no error recorded is always listed."""
    if not failed:  # nothing to judge: no file is read
        return [] if report.card_gone is None else [report.card_gone]
    lost = {d.index: d for d in report.job.destinations if d.lost}
    roots = {d.index: display_path(d.root) for d in report.job.destinations}
    # The files the card failed to read, by path: each named (``Losses.cause``).
    unread = {f.relative_path: f.source_error for f in report.job.files if f.source_error}
    alike = alike_counts(
        (
            (failure["destination_index"], failure["error"] or "", failure["path"])
            for failure in failed
            if failure["kind"] == "file" and failure["path"] not in unread
        ),
        lost,
    )
    losses = Losses(
        {index: d.lost_reason or "" for index, d in lost.items()},
        report.card_gone is not None,
        alike,
    )
    alike_first: dict[tuple[int, str], int] = {}  # (destination, error) → its first line
    lines: list[str] = []
    seen: set[str] = set()
    first_at: dict[int, int] = {}  # lost destination → the index of its first line
    more: dict[int, int] = {}
    # The other failures of each destination: past LISTED_ALONE there, one line counts the
    # rest (``loss.OwnFailures``, page 1's count too), placed where the first counted came.
    own = OwnFailures()
    if report.card_gone is not None:
        lines.append(report.card_gone)  # first: it stands for each file that failed for it
    for failure in failed:
        recorded = failure["error"] or ""  # as the documents judge it (``Losses.cause``)
        index = failure["destination_index"]
        error = recorded or _unexplained(failure, roots.get(index, "?"))
        kind = None
        if failure["kind"] == "file":
            kind = losses.cause(unread.get(failure["path"]), index, recorded, failure["path"])
        if kind == GONE:
            continue
        if kind == LOST:
            dest = lost[index]
            if index in first_at:
                more[index] += 1
                continue
            root = printable_name(roots[index])
            first_at[index] = len(lines)
            more[index] = 0
            # The cause once: the file's error names it where it says "destination failed
            # (REASON)"; else it is given before.
            reason = "" if (dest.lost_reason or "") in error else f" ({dest.lost_reason})"
            if not reason and f"destination {root} " in error:
                lines.append(error)  # it names the destination and says it is gone: once
            else:
                lines.append(f"destination {root} lost{reason}: {error}")
            continue
        if kind == ALIKE:
            key = (index, error_words(recorded, failure["path"]))
            if key not in alike_first:
                alike_first[key] = len(lines)
                lines.append(error)
            continue
        # Counted: its line's place held, its words once all are counted.
        own_failure = failure["kind"] == "file" and failure["path"] not in unread
        if own_failure and not own.take(index, recorded, lines):
            continue
        if error in seen:
            continue
        seen.add(error)
        lines.append(error)
    # Before the lines below are put in: each place held is still its place.
    own.fill(
        lines,
        lambda index: (
            f"... and {own.words(index, printable_name(roots[index]))} (the reports list each)"
        ),
    )
    counted: list[tuple[int, str]] = [
        (at, _same(more[index], roots[index], "cause"))
        for index, at in first_at.items()
        if more[index]
    ]
    counted += [
        (at, _same(alike[key] - 1, roots[key[0]], "error")) for key, at in alike_first.items()
    ]
    for at, line in sorted(counted, reverse=True):
        lines.insert(at + 1, line)
    return lines


def _unexplained(failure: Mapping[str, Any], root: str) -> str:
    """The line for a *failure* with no error recorded, on the destination *root*: what
    failed and where, as page 1 words it ("PATH on DEST: FAILED: no reason recorded"), never
    a bare path."""
    what = "symlink not made" if failure["kind"] == "symlink" else "FAILED"
    name = printable_name(str(failure["path"]))
    return f"{name} on {printable_name(root)}: {what}: no reason recorded"


def _same(count: int, root: str, what: str) -> str:
    """The line counting *count* more files on *root* failed of the same *what* (cause,
    error) as the line before."""
    return (
        f"... and {count:,} more {'file' if count == 1 else 'files'} on {printable_name(root)} "
        f"failed: same {what} (the reports list each)"
    )


def folder_error_lines(report: OffloadReport) -> list[str]:
    """The lines (without ``ERROR: ``) for *report*'s ``folder_errors``, in their order:
    each, but for a card that went away (``card_gone``, printed by ``failure_lines``) those of
    its folders whose time could not be read, which that line stands for, and but for the
    folders of one destination whose time it refused with one errno (``folder_times_unset``:
    a drive gone read-only refuses every folder's): the first of them, then ``... and N more
    folders on DEST whose times could not be set: same cause (the reports list each)``. A
    card of 300 clip folders on a drive gone read-only prints those two lines, not 300."""
    roots = {d.index: display_path(d.root) for d in report.job.destinations}
    errors = list(report.folder_errors)
    causes = folder_error_causes(
        errors, report.folder_times_unset, report.card_gone is not None, roots
    )
    lines: list[str] = []
    first_at: dict[tuple[int, str], int] = {}  # (destination, errno) → its first line's index
    more: dict[tuple[int, str], int] = {}
    for error, cause in zip(errors, causes, strict=True):
        if cause == CARD_FOLDER:  # the card gone away's line, printed first, stands for it
            continue
        if cause is not None:
            if cause in first_at:
                more[cause] += 1
                continue
            first_at[cause] = len(lines)
            more[cause] = 0
        lines.append(error)
    for cause in sorted(first_at, key=first_at.__getitem__, reverse=True):
        count = more[cause]
        if count:
            lines.insert(
                first_at[cause] + 1,
                f"... and {count:,} more {'folder' if count == 1 else 'folders'} on "
                f"{printable_name(roots[cause[0]])} whose times could not be set: same cause "
                "(the reports list each)",
            )
    return lines
