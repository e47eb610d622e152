"""A rename that fails and loses the destination, in the middle of a batch (real FUSE fault).

The engine's committer renames a batch's verified partials one after another. When one rename
fails with EIO the destination is lost: every file of that batch must then be failed there
(the ones renamed before it too: the folders were never fsynced) and no partial may stay.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.card import offload
from offload.engine.partial import PARTIAL_PREFIX
from offload.results import DestinationStatus
from support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault


def test_a_rename_that_loses_the_destination_fails_the_rest_of_its_batch(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = tmp_path / "cards" / "A007R1CD"
    names = [f"CLIPS/A007C{i:03d}.xml" for i in range(6)]  # small: one batch
    for i, name in enumerate(names):
        (card / name).parent.mkdir(parents=True, exist_ok=True)
        (card / name).write_bytes(os.urandom(20_000 + i))
    healthy = tmp_path / "RAID0"
    healthy.mkdir()
    fs = faulty_fs()
    # The third rename of the batch fails: two files are renamed before it, three after.
    rule = fs.fail("rename", errno.EIO, path="*A007C002.xml", times=1)
    report = offload(card, [healthy, fs.mountpoint])
    assert fs.fired(rule) == 1
    assert report.exit_code == 1
    lost = report.job.destinations[1]
    assert lost.lost and "EIO" in (lost.lost_reason or "")
    for file in report.job.files:
        assert file.destination(0).status is DestinationStatus.VERIFIED  # type: ignore[union-attr]
    # Every file of the batch failed on the lost destination, each for that reason (the
    # files after the failed rename got "no outcome recorded (internal error)").
    outcomes = {
        f.relative_path: (f.destination(1).status, f.destination(1).error)  # type: ignore[union-attr]
        for f in report.job.files
    }
    for name in names:
        status, error = outcomes[name]
        assert status is DestinationStatus.FAILED, (name, outcomes)
        assert error is not None and "internal error" not in error, (name, outcomes)
        assert "EIO" in error or "lost" in error, (name, outcomes)
    # No partial is left behind on the lost destination (the files after the failed rename
    # kept theirs).
    left = [
        os.path.join(folder, name)
        for folder, _dirs, files in os.walk(fs.backing)
        for name in files
        if name.startswith(PARTIAL_PREFIX)
    ]
    assert left == []
