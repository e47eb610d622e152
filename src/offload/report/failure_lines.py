"""The ``ERROR`` lines a finished offload prints for what failed (``offload copy``'s end, on
stderr): one per distinct error, but for a destination lost mid-run (a drive pulled, its
filesystem answering EIO, unmounted) one line naming the destination and the cause, then one
counting the other files that failed there of it. A card of 2,000 files on a drive pulled at
its first file prints those two lines, not 2,000; the JSON report, the CSV, the HTML/PDF and
``--json``'s events keep every file.

A failure there is counted as of the loss only when its error says so (``loss.of_the_loss``,
the judgement the HTML and PDF make too). Any other failure there (a mismatch found before
the loss) keeps its own line.

Likewise the folders whose time a destination refused (``folder_error_lines``): a drive gone
read-only refuses each one's, and one line with a count stands for those of one errno."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from offload.card import CARD_FOLDER_UNREAD, OffloadReport
from offload.card_presence import of_the_gone_card
from offload.destinations.s3url import display_path
from offload.errors import printable_name
from offload.report.loss import LISTED_ALONE, error_words, of_the_loss


def failure_lines(report: OffloadReport, failed: Sequence[Mapping[str, Any]]) -> list[str]:
    """The lines (without ``ERROR: ``) for *failed*, ``job_report.failures(report)``'s
    entries, in their order: each distinct error once; a lost destination's failures of the
    loss as its first one, prefixed with the destination (and the cause, where that error
    does not give it), then ``... and N
    more files on DEST failed: same cause``, the count placed right after that first line;
    likewise the copies of one destination past ``LISTED_ALONE`` failed with one error once
    each one's path is taken out (``_alike``): the first, then ``... and N more files on
    DEST failed: same error``."""
    gone: set[str] = set()  # the files that failed because the card went away
    if report.card_gone is not None:
        gone = {f.relative_path for f in report.job.files if of_the_gone_card(f.source_error)}
    lost = {d.index: d for d in report.job.destinations if d.lost}
    roots = {d.index: display_path(d.root) for d in report.job.destinations}
    unread = {f.relative_path for f in report.job.files if f.source_error}
    alike = _alike(failed, gone | unread, lost)
    alike_first: dict[tuple[int, str], int] = {}  # (destination, error) → its first line
    lines: list[str] = []
    seen: set[str] = set()
    first_at: dict[int, int] = {}  # lost destination → the index of its first line
    more: dict[int, int] = {}
    if report.card_gone is not None:
        lines.append(report.card_gone)  # first: it stands for each file that failed for it
    for failure in failed:
        if failure["kind"] == "file" and failure["path"] in gone:
            continue
        error = failure["error"] or failure["path"]
        index = failure["destination_index"]
        dest = lost.get(index)
        if (
            dest is not None
            and failure["kind"] == "file"
            and of_the_loss(error, failure["path"], dest.lost_reason or "")
        ):
            if index in first_at:
                more[index] += 1
                continue
            root = printable_name(roots[index])
            first_at[index] = len(lines)
            more[index] = 0
            # The cause once: the file's error names it where it says "destination failed
            # (REASON)"; else it is given before.
            reason = "" if (dest.lost_reason or "") in error else f" ({dest.lost_reason})"
            lines.append(f"destination {root} lost{reason}: {error}")
            continue
        key = (index, error_words(error, failure["path"]))
        if key in alike and failure["kind"] == "file" and failure["path"] not in unread:
            if key not in alike_first:
                alike_first[key] = len(lines)
                lines.append(error)
            continue
        if error not in seen:
            seen.add(error)
            lines.append(error)
    counted = [(at, index, more[index], "cause") for index, at in first_at.items() if more[index]]
    counted += [(at, key[0], alike[key] - 1, "error") for key, at in alike_first.items()]
    for at, index, count, what in sorted(counted, reverse=True):
        root = printable_name(roots[index])
        lines.insert(
            at + 1,
            f"... and {count:,} more {'file' if count == 1 else 'files'} on {root} failed: "
            f"same {what} (the reports list each)",
        )
    return lines


def _alike(
    failed: Sequence[Mapping[str, Any]], named: set[str], lost: Mapping[int, Any]
) -> dict[tuple[int, str], int]:
    """The errors more than ``LISTED_ALONE`` copies of one destination failed with (their
    paths taken out: ``loss.error_words``), by (destination, error), with their counts: the
    copies of a folder a drive refused (EACCES at each create), each naming its own
    temporary file, are one line and a count, as the documents count them
    (``loss.Losses.alike``). Not on a lost destination (its loss is counted; any other
    failure there is named), nor those of the files *named* otherwise (the card gone
    away's, those the card did not read: each named)."""
    counts: dict[tuple[int, str], int] = {}
    for failure in failed:
        path, index = failure["path"], failure["destination_index"]
        if failure["kind"] != "file" or path in named:
            continue
        if index in lost:  # as the documents: a lost destination's own failures each named
            continue
        error = failure["error"] or path
        key = (index, error_words(error, path))
        counts[key] = counts.get(key, 0) + 1
    return {key: count for key, count in counts.items() if count > LISTED_ALONE}


def folder_error_lines(report: OffloadReport) -> list[str]:
    """The lines (without ``ERROR: ``) for *report*'s ``folder_errors``, in their order:
    each, but for a card that went away (``card_gone``, printed by ``failure_lines``) those of
    its folders whose time could not be read, which that line stands for, and but for the
    folders of one destination whose time it refused with one errno (``folder_times_unset``:
    a drive gone read-only refuses every folder's): the first of them, then ``... and N more
    folders on DEST whose times could not be set: same cause (the reports list each)``. A
    card of 300 clip folders on a drive gone read-only prints those two lines, not 300."""
    errors = list(report.folder_errors)
    if report.card_gone is not None:
        errors = [e for e in errors if not e.startswith(CARD_FOLDER_UNREAD)]
    roots = {d.index: display_path(d.root) for d in report.job.destinations}
    causes = {
        str(entry["message"]): (entry["index"], entry["errno"])
        for entry in report.folder_times_unset
        if entry.get("errno") is not None and entry.get("index") in roots
    }
    lines: list[str] = []
    first_at: dict[tuple[int, str], int] = {}  # (destination, errno) → its first line's index
    more: dict[tuple[int, str], int] = {}
    for error in errors:
        cause = causes.get(error)
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
