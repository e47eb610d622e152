"""``existing.wholly_unread``: the destinations whose rewrites are all of copies that could
not be read back (never found different from the card), one rule for the job's report
(``settle_rewrites``) and its live events: a destination lost there as a whole names
``--reverify``, one lost with a rewrite of a copy found different ``--overwrite``."""

from __future__ import annotations

from offload.card import _PlannedWorkAnnouncer
from offload.engine.messages import FileTask
from offload.events import DestinationFull, DestinationLost, Event
from offload.existing import settle_rewrites, wholly_unread
from offload.model import SourceFile
from offload.results import (
    DestinationFileResult,
    DestinationStatus,
    DestinationSummary,
    FileResult,
    JobReport,
)

UNREAD = frozenset({("A/a.mov", 0), ("A/b.mov", 0), ("A/a.mov", 1)})


def test_destinations_whose_rewrites_are_all_unread() -> None:
    rewrites = [("A/a.mov", 0), ("A/b.mov", 0), ("A/a.mov", 1), ("A/c.mov", 1), ("A/c.mov", 2)]
    # 0: both unread; 1: a.mov unread, c.mov found different; 2: none unread.
    assert wholly_unread(UNREAD, rewrites) == {0}
    assert wholly_unread(UNREAD, iter(rewrites)) == {0}  # read once, a generator will do


def test_no_rewrite_there_is_not_unread() -> None:
    """A destination no rewrite targets is not one whose copies could not be read."""
    assert wholly_unread(UNREAD, []) == frozenset()
    assert wholly_unread(UNREAD, [("A/b.mov", 0)]) == {0}
    assert wholly_unread(frozenset(), [("A/a.mov", 0)]) == frozenset()


def _file(path: str, *indexes: int) -> FileResult:
    return FileResult(
        path,
        1,
        0,
        destinations=[
            DestinationFileResult(i, f"/d{i}/{path}", DestinationStatus.FAILED) for i in indexes
        ],
    )


def test_a_lost_destination_names_the_remedy_of_its_rewrites() -> None:
    report = JobReport(
        "destination",
        ("xxh64",),
        files=[_file("A/a.mov", 0, 1), _file("A/b.mov", 0), _file("A/c.mov", 1)],
        destinations=[
            DestinationSummary(i, f"/d{i}", "dev", lost=True, lost_reason="drive gone")
            for i in range(2)
        ],
    )
    settle_rewrites(report, UNREAD)
    unread, different = (d.lost_reason or "" for d in report.destinations)
    assert "--reverify" in unread and "--overwrite" not in unread, unread
    assert "--overwrite" in different and "--reverify" not in different, different


class _Kept:
    """A sink keeping every event it is handed."""

    accepts = None

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)


def test_a_filled_destination_names_the_remedy_of_its_rewrites_as_it_happens() -> None:
    """The live event of a destination the rewrites filled: the same rule as the report's."""
    tasks = [
        FileTask(SourceFile(f"/card/{path}", path, 1, 0), tuple(targets))
        for path, targets in (
            ("A/a.mov", ("/d0/A/a.mov", "/d1/A/a.mov")),
            ("A/b.mov", ("/d0/A/b.mov", None)),
            ("A/c.mov", (None, "/d1/A/c.mov")),
        )
    ]
    kept = _Kept()
    announcer = _PlannedWorkAnnouncer(kept, tasks, rewrites=True, unread=UNREAD)
    for index in (0, 1):
        announcer.emit(DestinationLost(index, "no space left", full=True))
    unread, different = (e.message for e in kept.events if isinstance(e, DestinationFull))
    assert "--reverify" in unread and "--overwrite" not in unread, unread
    assert "--overwrite" in different and "--reverify" not in different, different
