"""A card file deleted after its copy, before the source's re-read (``full`` verification):
its failure says it was on the card when scanned and is gone now, and what to do, as one
deleted before its open does (README, exit code 1). Real card folder, real destination, the
real engine: the file is deleted by the sink when the engine announces that file's re-read."""

from __future__ import annotations

from pathlib import Path

from offload.card import plan_offload, run_offload
from offload.engine.reader import SOURCE_INDEX
from offload.events import Event, PhaseChanged
from offload.report.loss import of_the_gone_card
from offload.results import DestinationStatus
from support.cards import clips_card


def test_a_file_deleted_before_its_reread_is_said_to_be_gone(tmp_path: Path) -> None:
    """Failed before: "cannot re-read source .../C001.mov: No such file or directory
    (ENOENT)" alone, no word of the file being gone nor what to do."""
    card = clips_card(tmp_path, 3, 50_000)
    dest = tmp_path / "dest"
    dest.mkdir()
    plan = plan_offload(card, [dest])
    doomed = card / "CLIPS" / "C001.mov"

    class DeleteAtItsReread:
        def emit(self, event: Event) -> None:
            if (
                isinstance(event, PhaseChanged)
                and event.destination_index == SOURCE_INDEX
                and event.relative_path == "CLIPS/C001.mov"
                and event.phase == "verify"
            ):
                doomed.unlink(missing_ok=True)

    report = run_offload(plan, sink=DeleteAtItsReread())

    assert not doomed.exists()  # the sink was called: the re-read found it gone
    [gone] = [f for f in report.job.files if f.relative_path == "CLIPS/C001.mov"]
    error = gone.source_error or ""
    assert "was on the card when it was scanned and is gone now" in error, error
    assert "cannot re-read it: No such file or directory (ENOENT)" in error, error
    assert of_the_gone_card(error)
    assert report.exit_code == 1
    assert {d.status for d in gone.destinations} == {DestinationStatus.FAILED}


def test_a_file_deleted_before_its_copy_already_there_is_read_is_said_to_be_gone(
    tmp_path: Path,
) -> None:
    """A copy already at the destination that no ledger records is read against the card
    file; that file deleted after the scan. Failed before: "cannot read source ...: No such
    file or directory (ENOENT)" alone."""
    import shutil

    card = clips_card(tmp_path, 2, 20_000)
    dest = tmp_path / "dest"
    dest.mkdir()
    assert run_offload(plan_offload(card, [dest])).exit_code == 0
    shutil.rmtree(dest / "A001" / ".offload")  # the copies there, recorded nowhere
    plan = plan_offload(card, [dest])
    (card / "CLIPS" / "C001.mov").unlink()
    report = run_offload(plan)

    [gone] = [f for f in report.job.files if f.relative_path == "CLIPS/C001.mov"]
    [error] = [d.error or "" for d in gone.destinations]
    assert "was on the card when it was scanned and is gone now" in error, error
    assert error.endswith("cannot read it: No such file or directory (ENOENT)"), error
    assert report.exit_code == 1
