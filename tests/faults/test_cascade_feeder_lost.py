"""``offload copy --cascade-to SLOW CARD FAST0 FAST1`` where FAST0 (a FaultyFS drive) fails
the close of its verified copies with EIO once the card is released, as a drive pulled
between the cascade's open of a copy and its close does (first seen so: FAST0 unplugged at
"CARD RELEASED"; the close is armed here so the fault fires every time). FAST1 holds every
file verified, so SLOW is fed from it.

Before the fix the run died in ``cascade._drop_cache``: the close of the descriptor opened
to drop FAST0's copy from the page cache raised EIO (the FUSE flush) and the error escaped:
a traceback, no summary, no report anywhere, SLOW left empty. A failed cache drop is no
error of the cascade: the read that follows says whether the copy can be read (here its
close fails again, and the next fast copy feeds the file).

Real parts: a FaultyFS FUSE mount, the real CLI as a subprocess."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from support.faultyfs import FaultyFS
from support.offload_cli import copy_acting_at_release

pytestmark = pytest.mark.fault


def test_a_fast_drive_failing_its_closes_after_the_release_leaves_the_other_to_feed(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = cards / "A004"  # apart from the fast copies: one beside it releases nothing
    (card / "CLIPS").mkdir(parents=True)
    for index in range(3):
        (card / "CLIPS" / f"C00{index}.mov").write_bytes(os.urandom(300_000 + index))
    fast0 = faulty_fs()
    fast1, slow, reports = tmp_path / "FAST1", tmp_path / "SLOW", tmp_path / "reports"
    fast1.mkdir()
    slow.mkdir()
    # Only a close of a copy under its final name fails: nothing before the cascade closes
    # one (the read-backs read the partials).
    rule = fast0.fail("flush", errno.EIO, path="A004/CLIPS/C00*.mov")
    released, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--cascade-to", str(slow), str(card),
        str(fast0.mountpoint), str(fast1),
    )  # fmt: skip
    assert fast0.fired(rule) >= 1
    assert "can be ejected" in released, released + rest
    assert "Traceback" not in rest, rest
    assert code == 1, rest
    # SLOW was fed from FAST1, byte for byte.
    for source in sorted((card / "CLIPS").iterdir()):
        assert (slow / "A004" / "CLIPS" / source.name).read_bytes() == source.read_bytes()
    # The report is written, and says which destination failed.
    (local,) = sorted(reports.glob("A004_*.json"))
    data = json.loads(local.read_text())
    assert data["exit_code"] == 1
    results = {d["copy_root"]: d["result"] for d in data["destinations"]}
    assert results[str(fast0.mountpoint / "A004")] == "failed", results
    assert results[str(fast1 / "A004")] == "ok", results
    assert results[str(slow / "A004")] == "ok", results
