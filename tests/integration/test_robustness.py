"""Robustness of the job's edges (issue 9): cancelling the sequential path, subscribers that
raise, progress of resumed offloads, stray partials and the ledger, one run per copy root."""

from __future__ import annotations

import os
from pathlib import Path

from offload.api import copy_with_multiple_destinations
from offload.engine.cancel import CancelToken
from offload.errors import ExitCode
from offload.events import Event, FileVerified
from offload.results import DestinationStatus


def make_file(path: Path, size: int, seed: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes((i * 31 + seed) % 256 for i in range(size)))
    return path


def dest_dirs(tmp_path: Path, count: int) -> list[Path]:
    dirs = [tmp_path / f"dest{i}" for i in range(count)]
    for d in dirs:
        d.mkdir()
    return dirs


# --- the sequential path of the single-file API ---------------------------------------------


def test_sequential_cancel_before_the_first_destination_is_130(tmp_path: Path) -> None:
    source = make_file(tmp_path / "clip.bin", 100_000)
    dests = dest_dirs(tmp_path, 2)
    cancel = CancelToken()
    cancel.cancel()
    report = copy_with_multiple_destinations(source, dests, parallel=False, cancel=cancel)
    assert report.cancelled and report.exit_code is ExitCode.CANCELLED
    assert [(d.destination_index, d.status) for d in report.files[0].destinations] == [
        (0, DestinationStatus.CANCELLED),
        (1, DestinationStatus.CANCELLED),
    ]
    assert [s.index for s in report.destinations] == [0, 1]
    for dest in dests:
        assert os.listdir(dest) == []


def test_sequential_cancel_between_destinations_reports_the_rest_cancelled(
    tmp_path: Path,
) -> None:
    source = make_file(tmp_path / "clip.bin", 100_000)
    dests = dest_dirs(tmp_path, 3)
    cancel = CancelToken()

    class CancelAfterFirstVerified:
        def emit(self, event: Event) -> None:
            if isinstance(event, FileVerified):
                cancel.cancel()

    report = copy_with_multiple_destinations(
        source, dests, parallel=False, cancel=cancel, sink=CancelAfterFirstVerified()
    )
    assert report.exit_code is ExitCode.CANCELLED
    assert [(d.destination_index, d.status) for d in report.files[0].destinations] == [
        (0, DestinationStatus.VERIFIED),
        (1, DestinationStatus.CANCELLED),
        (2, DestinationStatus.CANCELLED),
    ]
    assert os.listdir(dests[0]) == ["clip.bin"]
    assert os.listdir(dests[1]) == [] and os.listdir(dests[2]) == []
