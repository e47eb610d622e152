"""A card file deleted after the scan (by hand, by a camera app, a card swapped for one
without it) fails its copy with words that say so: it was on the card when scanned and is
gone now, and what to do; never a bare "cannot open source ... (ENOENT)". Real card folder,
real destinations, the real planner and engine."""

from __future__ import annotations

import os
from pathlib import Path

from offload.card import plan_offload, run_offload
from offload.report.loss import of_the_gone_card
from offload.results import DestinationStatus


def test_a_file_deleted_after_the_scan_is_said_to_be_gone(tmp_path: Path) -> None:
    """Failed before: "cannot open source .../C001.mov: No such file or directory (ENOENT)"
    alone, which reads like a fault of the card reader or of offload-ai."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for i in range(3):
        (card / "CLIPS" / f"C{i:03d}.mov").write_bytes(os.urandom(50_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    plan = plan_offload(card, [dest])
    (card / "CLIPS" / "C001.mov").unlink()
    report = run_offload(plan)

    assert report.exit_code != 0
    [gone] = [f for f in report.job.files if f.relative_path == "CLIPS/C001.mov"]
    error = gone.source_error or ""
    assert "was on the card when it was scanned and is gone now" in error, error
    assert "deleted, or the card changed" in error, error
    assert "run the same command again" in error, error
    # Still the OS error's own words at its end (``card_presence`` reads them).
    assert error.endswith("No such file or directory (ENOENT)"), error
    assert of_the_gone_card(error)
    assert {d.status for d in gone.destinations} == {DestinationStatus.FAILED}
    others = [f for f in report.job.files if f.relative_path != "CLIPS/C001.mov"]
    assert all(d.status is DestinationStatus.VERIFIED for f in others for d in f.destinations)
    assert report.card_gone is None  # the card is there: only this file went
