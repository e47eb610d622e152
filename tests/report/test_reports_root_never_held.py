"""A destination whose copy root is not there when the reports are written is said to be a
drive not reachable only where the root held a good copy of this run: a root with only
failed or cancelled copies (never made, or removed by the user) is not a pulled drive."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from offload.card import offload
from offload.report import job_report
from offload.results import DestinationStatus


@pytest.mark.parametrize("status", [DestinationStatus.FAILED, DestinationStatus.CANCELLED])
def test_a_root_gone_that_held_no_good_copy_is_not_called_a_drive_not_reachable(
    tmp_path: Path, status: DestinationStatus
) -> None:
    """Failed before: every result with a status counted as a copy held, so the report
    said "the drive holding ... is not reachable ... unmounted or pulled?" (ENODEV, exit
    1) for a root that never held a good copy."""
    card = tmp_path / "CARD"
    card.mkdir()
    for n in range(3):
        (card / f"C{n}.MP4").write_bytes(os.urandom(100 + n))
    dests = [tmp_path / "d1", tmp_path / "d2"]
    for dest in dests:
        dest.mkdir()
    report = offload(card, dests)
    assert report.exit_code == 0
    for file in report.job.files:
        result = file.destination(1)
        assert result is not None
        result.status, result.error = status, "none made"
    shutil.rmtree(report.plans[1].root)
    job_report.write_reports(report, tmp_path / "local")
    said = " ".join(r.get("message", "") for r in report.reports_refused)
    assert "not reachable" not in said, report.reports_refused
    assert not report.plans[1].root.exists()
