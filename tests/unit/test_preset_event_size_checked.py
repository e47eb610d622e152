"""``engine.job.preset_event``: a copy trusted from the ledger is announced
(``file_verified_earlier``) with what its earlier check proved: ``size_checked_only`` where
that check proved its size alone (an S3 service that stores a part whatever its checksum),
as the job report's copy entry says. Before: the event had no such field, and a consumer of
the ``--json`` lines read such a copy as transfer-checked."""

from __future__ import annotations

import dataclasses

from offload.engine.job import preset_event
from offload.events import FileVerifiedEarlier
from offload.results import CopyAction, DestinationFileResult, DestinationStatus


def _trusted(*, size_only: bool) -> DestinationFileResult:
    return DestinationFileResult(
        destination_index=1,
        final_path="s3://rushes/A001/CLIPS/a.mov",
        status=DestinationStatus.TRANSFER_CHECKED,
        verified_at=1_765_000_000.0,
        verified_mode="transfer",
        action=CopyAction.TRUSTED,
        size_checked_only=size_only,
    )


def test_a_trusted_copy_says_what_its_check_proved() -> None:
    sized = preset_event("CLIPS/a.mov", _trusted(size_only=True))
    checked = preset_event("CLIPS/a.mov", _trusted(size_only=False))
    assert isinstance(sized, FileVerifiedEarlier) and isinstance(checked, FileVerifiedEarlier)
    # The fields its ``--json`` line carries (``JsonLinesSink.emit``: ``asdict`` of it).
    said = [
        (e["status"], e["size_checked_only"]) for e in map(dataclasses.asdict, (sized, checked))
    ]
    assert said == [("transfer_checked", True), ("transfer_checked", False)], said
