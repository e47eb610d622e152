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


@pytest.mark.timeout(60)
def test_a_write_in_place_cut_part_way_leaves_no_record_that_parses(
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """``save_over`` (a settle saying less where no temporary can be made) whose write fails
    after its first byte: the record starts with a byte no JSON starts with, written first
    and put back last, so no reader takes a mix of the new record's start and the old one's
    tail for a record (review of revfix4_66, M1: such a mix parsed, still ``finished``, in
    447 of 3,043 cuts). Before, one ``pwrite`` from the first byte carried the new record
    over the old, so a cut part-way (a power cut, not made here) left that mix; this test
    failed there for want of the first byte's own write (DID NOT RAISE)."""
    fs = faulty_fs()
    root = fs.mountpoint / "RAID"
    (root / ".offload").mkdir(parents=True)
    path = run_record.record_path(root)
    old = {"state": "finished", "cards": [{"state": "finished", "run": "run1", "x": "y" * 400}]}
    path.write_text(json.dumps(old, indent=2))
    new = json.dumps({"state": "failed", "cards": [{"state": "failed", "run": "run1"}]})
    # The second write of the record fails: after the first byte (now) or after the new
    # start (before), the old record's tail beyond it.
    rule = fs.fail("write", path="RAID/.offload/last-run.json", nth=2)
    place = run_record._place(root)
    with pytest.raises(run_record.TornRecord):
        place.save_over(new.encode())
    assert fs.fired(rule) == 1
    fs.clear()
    with pytest.raises(ValueError):
        json.loads(path.read_bytes())
