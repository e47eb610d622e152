"""``run_record._write``: a short ``write(2)`` of the record's temporary (review of runrec66,
L5). It wrote once and renamed the temporary over the record whatever that write stored, so
a short write left a record cut short: no record (INCOMPLETE, and the next run refused on
it), the other cards' entries lost. Now it writes the rest. Real fault: a FaultyFS drive
whose write of the temporary stores half and says so."""

from __future__ import annotations

import errno
import json
import re
from collections.abc import Callable

import pytest

from offload import run_record
from support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault


def _digits_masked(data: bytes) -> bytes:
    return re.sub(rb"[0-9]", b"0", data)


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


@pytest.mark.timeout(600)
def test_a_settle_written_in_place_cut_at_every_byte_never_leaves_a_record_that_parses(
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """The settle that takes a ``finished`` back where no temporary can be made (a full
    drive: the temporary's create refused ENOSPC) writes over the record in place
    (``save_over``). Cut for real at every byte of that write: the drive stores the first
    *k* bytes of the record after its first byte (a short write) and fails the rest, or
    fails the put-back of the first byte. Each cut's file is read back (exactly the old
    record with the new one's first *k* bytes over it, its first byte ``#``) and parsed as
    every reader does: never JSON, never a record (``read_all``: unreadable), and ``offload
    verify``'s words INCOMPLETE, never the old ``finished``. Uncut, the new record parses,
    ``failed``."""
    fs = faulty_fs()
    root = fs.mountpoint / "RAID"
    (root / ".offload").mkdir(parents=True)
    path = run_record.record_path(root)
    mine = run_record.FirstFile("CLIPS/A001C001.mov", 300_000)
    other = run_record.FirstFile("CLIPS/B002C001.mov", 5_000)
    for run, source, first in (("run0", "/cards/B002", other), ("run1", "/cards/A001", mine)):
        assert run_record.mark_started([root], run, 1.0, source, first=first).refused == {}
        done = run_record.settle(root, run, 1.0, run_record.FINISHED, source=source, first=first)
        assert done is None
    old = path.read_bytes()
    record = "RAID/.offload/last-run.json"

    def settle_failed() -> OSError | None:
        fs.fail("create", errno.ENOSPC, path="RAID/.offload/.last-run.json.*")
        return run_record.settle(
            root, "run1", 1.0, run_record.FAILED, source="/cards/A001", first=mine,
            failed=["CLIPS/A001C001.mov"],
        )  # fmt: skip

    # Uncut: the new record, padded to the old one's length, parses and says ``failed``.
    assert settle_failed() is None
    fs.clear()
    new = path.read_bytes()
    assert len(new) == len(old) and new != old
    states = {r.source: r.state for r in run_record.read_all(root) or []}
    assert states == {"/cards/A001": "failed", "/cards/B002": "finished"}, states
    parsed_without_mark = 0
    for cut in range(len(new)):
        path.write_bytes(old)
        if 0 < cut < len(new) - 1:
            fs.short_write(path=record, max_bytes=cut, nth=2, times=1)
        failing = fs.fail("write", errno.EIO, path=record, nth=2 if cut == 0 else 3)
        torn = settle_failed()
        assert fs.fired(failing) == 1, cut
        fs.clear()
        assert isinstance(torn, run_record.TornRecord), (cut, torn)
        found = path.read_bytes()
        # Cut at *cut*: the old record's tail kept, the new one's start over it (its
        # ``settled`` time may be a later second's than the uncut one's: digits masked).
        assert found[:1] == b"#" and found[1 + cut :] == old[1 + cut :], cut
        assert _digits_masked(found[1 : 1 + cut]) == _digits_masked(new[1 : 1 + cut]), cut
        with pytest.raises(ValueError):
            json.loads(found)
        assert run_record.read_all(root) == [run_record.RunRecord("")], cut
        words = run_record.unfinished(root) or ""
        assert words.startswith("INCOMPLETE") and "cannot be read" in words, (cut, words)
        try:
            json.loads(new[:1] + found[1:])
            parsed_without_mark += 1
        except ValueError:
            pass
    # The first byte is what keeps them unreadable: with the record's own first byte, some
    # of these cuts would parse (the old record's tail after the new one's start).
    assert parsed_without_mark > 0
