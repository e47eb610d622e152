"""``plan_reads.PlanReads``: planning's whole read of a copy (``copy_reread.reads_as_recorded``,
a real file read) told when it begins and again at its pace while it goes on, with the
bytes done of the plan's reads' total; told nowhere without a teller (``--quiet``). The
pace is the clock's, given here (no timing asserted): one step of the pace per read."""

from __future__ import annotations

from pathlib import Path

from offload.copy_reread import reads_as_recorded
from offload.hashing import new_hasher
from offload.plan_reads import PlanRead, PlanReads, plan_read_words, text_teller


def _copy(tmp_path: Path, size: int) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "A001.mov"
    data = bytes(range(256)) * (size // 256)
    path.write_bytes(data)
    hasher = new_hasher("xxh64")
    hasher.update(data)
    return path, {"xxh64": hasher.hexdigest()}


def test_a_read_is_told_as_it_begins_and_as_it_goes(tmp_path: Path) -> None:
    path, recorded = _copy(tmp_path, 10 << 20)  # three reads of 4 MiB at most
    told: list[PlanRead] = []
    ticks = iter(range(0, 1000, 30))  # each read 30 s after the last: each one told
    reads = PlanReads(told.append, every_s=30, clock=lambda: next(ticks))

    on_read = reads.reading(path, 10 << 20, "to tell whether it is intact")
    assert reads_as_recorded(path, recorded, on_read) is True

    first, *going = told
    assert first == PlanRead(str(path), 10 << 20, 0, 10 << 20, True, "to tell whether it is intact")
    assert [(t.bytes_done, t.started) for t in going] == [
        (4 << 20, False),
        (8 << 20, False),
        (10 << 20, False),
    ]
    assert plan_read_words(first) == (
        f"reading back {path} (10.5 MB) to tell whether it is intact: nothing is copied until "
        "the plan's reads end (Ctrl-C stops the run within a moment, between two reads of the copy)"
    )
    assert plan_read_words(going[-1]) == (
        f"reading back copies already there before the copy: 10.5 MB of 10.5 MB read (now {path})"
    )


def test_reads_within_the_pace_are_not_told_again(tmp_path: Path) -> None:
    path, recorded = _copy(tmp_path, 10 << 20)
    told: list[PlanRead] = []
    reads = PlanReads(told.append, every_s=30, clock=lambda: 0.0)

    assert reads_as_recorded(path, recorded, reads.reading(path, 10 << 20, "")) is True
    assert [t.started for t in told] == [True]
    assert reads.bytes_done == 10 << 20  # counted all the same


def test_nothing_is_told_without_a_teller(tmp_path: Path) -> None:
    path, recorded = _copy(tmp_path, 1 << 20)
    reads = PlanReads(None)

    assert reads.reading(path, 1 << 20, "why") is None
    assert reads_as_recorded(path, recorded, None) is True
    assert (reads.bytes_done, reads.bytes_total) == (0, 0)


def test_a_copy_unlike_its_record_reads_unlike_it(tmp_path: Path) -> None:
    path, _ = _copy(tmp_path, 1 << 20)
    assert reads_as_recorded(path, {"xxh64": "0" * 16}) is False


def test_the_terminal_names_the_first_reads_then_says_more_follow(tmp_path: Path) -> None:
    said: list[str] = []
    tell = text_teller(said.append)
    for n in range(6):
        tell(PlanRead(f"/d/C00{n}.mov", 10, 10 * n, 10 * (n + 1), True, "why"))
    tell(PlanRead("/d/C005.mov", 10, 55, 60, False))

    assert [line.split(" (")[0] for line in said[:3]] == [
        "reading back /d/C000.mov",
        "reading back /d/C001.mov",
        "reading back /d/C002.mov",
    ]
    assert said[3] == (
        "reading back more copies already there before the copy: how far the plan's reads are "
        "is said every 30 s"
    )
    assert said[4] == (
        "reading back copies already there before the copy: 55 bytes of 60 bytes read "
        "(now /d/C005.mov)"
    )
    assert len(said) == 5
