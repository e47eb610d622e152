"""The terminal's ``ERROR`` lines for what failed (``failure_lines``) judge a copy's cause as
the documents do (``loss.Losses.cause``): checked here on a report built by hand (the
fields ``failure_lines`` reads), where a real run of a card's bad sector on a drive lost
with the same errno is impractical."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from offload.report.failure_lines import failure_lines
from offload.report.job_report import failures
from offload.results import DestinationStatus


def _report(count: int) -> Any:
    """A run of *count* files to 2 destinations, the second lost with EIO at the first
    file's rename, every file failing there of the loss; and ``bad.mov``, which the card
    (still there) failed to read with EIO: failed on both destinations with that error."""
    reason = "cannot rename /mnt/SHUTTLE/A001/f0.mov: Input/output error (EIO)"
    lost = f"the destination failed ({reason})"

    def copy(index: int, error: str) -> Any:
        return SimpleNamespace(
            destination_index=index, status=DestinationStatus.FAILED, error=error
        )

    files = [
        SimpleNamespace(
            relative_path=f"f{i}.mov",
            source_error=None,
            destinations=[copy(1, f"/mnt/SHUTTLE/A001/f{i}.mov not copied: {lost}")],
        )
        for i in range(count)
    ]
    bad = "cannot read source /media/A001/bad.mov: Input/output error (EIO)"
    files.append(
        SimpleNamespace(
            relative_path="bad.mov", source_error=bad, destinations=[copy(0, bad), copy(1, bad)]
        )
    )
    destinations = [
        SimpleNamespace(index=0, root="/mnt/RAID", lost=False, lost_reason=None),
        SimpleNamespace(index=1, root="/mnt/SHUTTLE", lost=True, lost_reason=reason),
    ]
    job = SimpleNamespace(files=files, destinations=destinations)
    return SimpleNamespace(job=job, symlinks=[], card_gone=None)


def test_a_bad_sector_of_the_card_is_not_counted_with_a_lost_destinations_files() -> None:
    """Review of the reports merge: the terminal counted a file the card failed to read
    with EIO (a bad sector, the card still there) among the files of a destination lost
    with EIO (``of_the_loss``: the same words once the path is out), where the documents
    name it. Failed before (25 more files); it keeps its line, the count is the loss's."""
    report = _report(25)
    lines = failure_lines(report, failures(report))
    bad = "cannot read source /media/A001/bad.mov: Input/output error (EIO)"
    assert lines == [
        "destination /mnt/SHUTTLE lost: /mnt/SHUTTLE/A001/f0.mov not copied: the destination "
        "failed (cannot rename /mnt/SHUTTLE/A001/f0.mov: Input/output error (EIO))",
        "... and 24 more files on /mnt/SHUTTLE failed: same cause (the reports list each)",
        bad,
    ]


def test_copies_failed_with_no_error_recorded_are_not_counted_as_one_error() -> None:
    """Review of the shared-error rule: copies failed with no error recorded were counted
    as one error of their destination, "" (the terminal's path-only words with the path
    taken out): one line and "... and N more files on DEST failed: same error", where the
    documents name each. Failed before; each keeps its line, as on page 1. Review of the
    reports merge: past LISTED_ALONE they were then folded into "... and 5 more files on
    DEST failed, each for a reason of its own": failed before; none is (nothing recorded to
    count them by: each is named)."""
    from offload.report.loss import LISTED_ALONE

    count = LISTED_ALONE + 5
    files = [
        SimpleNamespace(
            relative_path=f"f{i}.mov",
            source_error=None,
            destinations=[
                SimpleNamespace(destination_index=0, status=DestinationStatus.FAILED, error=None)
            ],
        )
        for i in range(count)
    ]
    destinations = [SimpleNamespace(index=0, root="/mnt/RAID", lost=False, lost_reason=None)]
    job = SimpleNamespace(files=files, destinations=destinations)
    report: Any = SimpleNamespace(job=job, symlinks=[], card_gone=None)
    lines = failure_lines(report, failures(report))
    assert lines == [f"f{i}.mov on /mnt/RAID: FAILED: no reason recorded" for i in range(count)]


def _own_failures(errors: list[str | None]) -> Any:
    """A run of a file per error of *errors* onto /mnt/RAID, each copy failed with it."""
    files = [
        SimpleNamespace(
            relative_path=f"f{i}.mov",
            source_error=None,
            destinations=[
                SimpleNamespace(destination_index=0, status=DestinationStatus.FAILED, error=error)
            ],
        )
        for i, error in enumerate(errors)
    ]
    destinations = [SimpleNamespace(index=0, root="/mnt/RAID", lost=False, lost_reason=None)]
    return SimpleNamespace(
        job=SimpleNamespace(files=files, destinations=destinations), symlinks=[], card_gone=None
    )


def _mismatch(i: int) -> str:
    return (
        f"/mnt/RAID/f{i}.mov on /dev/sdb does not match the source: xxh64 {i:016x} read back "
        "twice, ffffffffffffffff read from the source"
    )


def test_copies_past_twenty_are_not_said_each_its_own_unless_each_is_a_mismatch() -> None:
    """Review of the reports merge: past LISTED_ALONE failures of one destination, the
    count said "failed, each for a reason of its own" of copies sharing one error (up to
    LISTED_ALONE of them are not counted alike) and of those with no error recorded, which
    it folded too. Failed before; now it says how many failed and how many of them did not
    match, "each with its own digests" only when each did; an unrecorded copy keeps its
    line past LISTED_ALONE."""
    from offload.report.loss import LISTED_ALONE

    denied = "cannot write /mnt/RAID: Permission denied (EACCES)"
    errors: list[str | None] = [_mismatch(i) for i in range(LISTED_ALONE)]
    errors += [_mismatch(LISTED_ALONE), denied, denied, None]
    lines = failure_lines(_own_failures(errors), failures(_own_failures(errors)))
    assert lines == [
        *(_mismatch(i) for i in range(LISTED_ALONE)),
        "... and 3 more files on /mnt/RAID failed (1 of them did not match the source when "
        "read back) (the reports list each)",
        f"f{LISTED_ALONE + 3}.mov on /mnt/RAID: FAILED: no reason recorded",
    ]
    alike = [_mismatch(i) for i in range(LISTED_ALONE)] + [denied] * 3
    assert failure_lines(_own_failures(alike), failures(_own_failures(alike)))[-1] == (
        "... and 3 more files on /mnt/RAID failed (the reports list each)"
    )
    each = [_mismatch(i) for i in range(LISTED_ALONE + 2)]
    assert failure_lines(_own_failures(each), failures(_own_failures(each)))[-1] == (
        "... and 2 more files on /mnt/RAID did not match the source when read back, each with "
        "its own digests (the reports list each)"
    )


def test_a_repeated_error_is_counted_past_twenty_as_page_1_counts_it() -> None:
    """Review of the reports merge: the terminal dropped a repeated line before counting
    the failures of a destination past LISTED_ALONE, page 1 after: 10 copies failed with
    "file exists", then 15 read back wrong, printed 16 lines and no count, where page 1
    lists 20 and counts 5 more. Failed before; both count with ``loss.OwnFailures`` now
    (the terminal still prints a repeated line once)."""
    from offload.report.loss import LISTED_ALONE

    report = _own_failures(["file exists"] * 10 + [_mismatch(i) for i in range(15)])
    assert failure_lines(report, failures(report)) == [
        "file exists",
        *(_mismatch(i) for i in range(LISTED_ALONE - 10)),
        "... and 5 more files on /mnt/RAID did not match the source when read back, each with "
        "its own digests (the reports list each)",
    ]


def test_own_failures_hold_the_counting_lines_place_and_fill_it() -> None:
    """``loss.OwnFailures`` holds the place of each destination's counting line where its
    first counted copy came (both callers kept it apart before, ``own_at``), and fills it
    once all are counted: past ``LISTED_ALONE`` listed, the others with an error counted,
    a copy with no error always listed."""
    from offload.report.loss import LISTED_ALONE, OwnFailures

    own = OwnFailures()
    lines: list[str] = []
    for n in range(LISTED_ALONE + 3):
        if own.take(0, f"write refused {n}", lines):
            lines.append(f"listed {n}")
        if n == LISTED_ALONE:
            lines.append("another error")  # a line of another kind, after the place held
    assert own.take(0, "", lines)  # no error recorded: listed, never counted
    lines.append("unexplained")
    own.fill(lines, lambda index: f"... and {own.words(index, f'D{index}')}")
    assert lines == [
        *(f"listed {n}" for n in range(LISTED_ALONE)),
        "... and 3 more files on D0 failed",
        "another error",
        "unexplained",
    ], lines
