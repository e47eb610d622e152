"""``run_record._write``: a short ``write(2)`` of the record's temporary (review of runrec66,
L5). It wrote once and renamed the temporary over the record whatever that write stored, so
a short write left a record cut short: no record (INCOMPLETE, and the next run refused on
it), the other cards' entries lost. Now it writes the rest. Real fault: a FaultyFS drive
whose write of the temporary stores half and says so."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from offload import run_record
from support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault


@pytest.mark.timeout(60)
def test_a_short_write_of_the_records_temporary_is_written_whole(
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """Failed before: the record held half its bytes (not JSON)."""
    fs = faulty_fs()
    root = fs.mountpoint / "RAID"
    (root / ".offload").mkdir(parents=True)
    rule = fs.short_write(path="RAID/.offload/.last-run.json.*", times=1)
    assert run_record.mark_started([root], "run1", 1.0, "/cards/A001").refused == {}
    assert fs.fired(rule) == 1
    fs.clear()
    (entry,) = json.loads(run_record.record_path(root).read_text())["cards"]
    assert entry["state"] == "running" and entry["run"] == "run1", entry
