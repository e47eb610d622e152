"""The terminal's ``ERROR`` lines for what failed (``failure_lines``) judge a copy's cause as
the documents do (``loss.Losses.cause``): checked here on a report built by hand (the
fields ``failure_lines`` reads), where a real run of a card's bad sector on a drive lost
with the same errno is impractical."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from offload.card import SymlinkStatus
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
    documents name each. Failed before; each keeps its line, as on page 1."""
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
    assert lines == [
        *(f"f{i}.mov on /mnt/RAID: FAILED: no reason recorded" for i in range(LISTED_ALONE)),
        "... and 5 more files on /mnt/RAID failed, each for a reason of its own (the reports "
        "list each)",
    ]


def test_a_copy_failed_with_no_error_recorded_says_what_failed_and_where() -> None:
    """Failed before: a copy failed with no error recorded printed its bare path ("ERROR:
    clip.mov"), and the same file so on two destinations one line for both. Now each says
    what happened and where, as page 1 words it ("... on destination 2: FAILED: no reason
    recorded"); a symlink not made likewise."""
    copies = [
        SimpleNamespace(destination_index=index, status=DestinationStatus.FAILED, error=None)
        for index in (0, 1)
    ]
    files = [SimpleNamespace(relative_path="clip.mov", source_error=None, destinations=copies)]
    destinations = [
        SimpleNamespace(index=index, root=root, lost=False, lost_reason=None)
        for index, root in enumerate(("/mnt/RAID", "/mnt/SHUTTLE"))
    ]
    link = SimpleNamespace(
        relative_path="LATEST", destination_index=1, status=SymlinkStatus.FAILED, error=None
    )
    job = SimpleNamespace(files=files, destinations=destinations)
    report: Any = SimpleNamespace(job=job, symlinks=[link], card_gone=None)
    assert failure_lines(report, failures(report)) == [
        "clip.mov on /mnt/RAID: FAILED: no reason recorded",
        "clip.mov on /mnt/SHUTTLE: FAILED: no reason recorded",
        "LATEST on /mnt/SHUTTLE: symlink not made: no reason recorded",
    ]
