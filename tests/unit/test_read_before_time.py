"""The time a destination spent reading back copies already there before the copy (a copy
adopted, ``--reverify``) is counted once, in ``DestinationSummary.verify_before_s``, from the
files' results as they stand: never twice when a second job over the same files keeps those
results (a file fed again from another fast copy keeps its presets), and not lost where a
destination whose result was known before the copy gets no job of its own (one file copied
to its destinations in turn). Real jobs on real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.api import copy_with_multiple_destinations
from offload.cascade_refeed import fed_from_copy
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.model import SourceFile
from offload.options import CopyOptions, ExistingFilePolicy
from offload.results import (
    CopyAction,
    DestinationFileResult,
    DestinationStatus,
    merge_job_reports,
)


def test_a_file_fed_again_keeps_its_read_back_before_the_copy_counted_once(
    tmp_path: Path,
) -> None:
    """A task whose copy on A was read back before the copy (its preset, 0.5 s), written to B,
    then fed again from another copy of the card file (``fed_from_copy``: its preset kept),
    merged as the cascade merges it. Failed before: A's time was 1.0 s, the preset's read
    counted by each job and the two jobs' times summed."""
    card = tmp_path / "card"
    card.mkdir()
    clip = card / "A001C001.mov"
    clip.write_bytes(os.urandom(300_000))
    fast = tmp_path / "fast"
    fast.mkdir()
    (fast / clip.name).write_bytes(clip.read_bytes())
    first, second = tmp_path / "A", tmp_path / "B"
    first.mkdir()
    second.mkdir()
    st = clip.stat()
    source = SourceFile(clip, clip.name, st.st_size, st.st_mtime_ns)
    read_before = DestinationFileResult(
        destination_index=0,
        final_path=str(first / clip.name),
        status=DestinationStatus.VERIFIED,
        action=CopyAction.RECHECKED,
        verify_s=0.5,
    )
    task = FileTask(source, (None, second / clip.name), (read_before,))
    roots = [first, second]
    job = CopyJob([task], roots, CopyOptions()).run()
    # Written over B's copy, as a cascade feeds again a file whose copies are rewritten.
    overwrite = CopyOptions(existing=ExistingFilePolicy.OVERWRITE)
    again = CopyJob([fed_from_copy(task, fast / clip.name)], roots, overwrite).run()
    assert again.exit_code == 0
    job.files = []  # the file fed again: its results are the second job's (cascade_refeed)
    merge_job_reports(job, again)
    summary = job.destinations[0]
    # Read as a report older than the field reads it too: every read-back, once.
    assert summary.verify_s + getattr(summary, "verify_before_s", 0.0) == pytest.approx(0.5)
    assert summary.verify_before_s == pytest.approx(0.5)
    assert summary.files_verified == 1


def test_a_copy_adopted_before_a_copy_made_in_turn_keeps_its_read_back_time(
    tmp_path: Path,
) -> None:
    """One file to two destinations in turn (``parallel=False``), the first already holding
    it: adopted, read back before the copy. Failed before: its destination's time was 0,
    its summary made with nothing of its result."""
    clip = tmp_path / "A001C001.mov"
    clip.write_bytes(os.urandom(2_000_000))
    first, second = tmp_path / "A", tmp_path / "B"
    first.mkdir()
    second.mkdir()
    (first / clip.name).write_bytes(clip.read_bytes())
    report = copy_with_multiple_destinations(clip, [first, second], parallel=False)
    assert report.exit_code == 0
    adopted = report.files[0].destination(0)
    assert adopted is not None and adopted.action is CopyAction.ADOPTED, adopted
    assert adopted.verify_s > 0
    summary = report.destinations[0]
    before = getattr(summary, "verify_before_s", 0.0)  # the field is new
    assert summary.verify_s + before == pytest.approx(adopted.verify_s)
    assert summary.files_verified == 1
    # The copy made by the job: its read-back is the job's, none before it.
    assert report.destinations[1].verify_before_s == 0
    assert report.destinations[1].verify_s > 0
