"""Planning's whole reads of copies already on a destination, told as they are made.

The plan reads a few copies whole before anything is copied, where only a read tells what
they are: an earlier take's copy in the way, of another size than the card's file now
(``card._earlier_intact``, through ``copy_reread.reads_as_recorded``), and, on a cascade
re-run without its card, the fast copy's files a cascade left marked unsettled
(``cascade._read_back_unfed``). On a large clip that is minutes of reading with nothing
copied yet and no live view up (the plan comes before it): so each such read is told
before it starts (the copy read, its size) and the plan's reads' bytes done of their total
are told again every ``SAID_EVERY_S`` while one lasts (``PlanRead``), which the command
says on stderr, or as ``plan_reading`` lines with ``--json`` (docs/json.md), nowhere with
``--quiet``. A Ctrl-C meanwhile stops the planning within a moment, between two reads of
the copy (``copy_reread``: a chunk at a time, never the whole copy first), as it stops the
scan (``offload copy``: "cancelled before the copy started", exit 130): nothing was locked,
written or recorded yet, and a copy whose read was cut short is called nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

#: How many reads the terminal names as they begin (``text_teller``): a plan with many
#: earlier takes in the way says the first ones, then only how far its reads are.
NAMED_READS = 3

#: How often a read under way is told again: often enough that a DIT watching sees it move,
#: seldom enough that a read of an hour says ~120 lines, not thousands.
SAID_EVERY_S = 30.0


class PlanRead(NamedTuple):
    """One telling of planning's reads. ``path``: the copy read now; ``size_bytes``: its
    size; ``bytes_done`` and ``bytes_total``: of every read of the plan told so far (the
    total grows as reads begin: the plan does not know them all before); ``started``: True
    for the line a read begins with (``why``, a clause: what the read is for), False for
    one told while it goes on."""

    path: str
    size_bytes: int
    bytes_done: int
    bytes_total: int
    started: bool
    why: str = ""


class PlanReads:
    """Tells planning's whole reads to *tell* (None: ``--quiet``, or no command: nothing
    told, nothing counted). *clock*: seconds, for the pace of the tellings
    (``time.monotonic``)."""

    __slots__ = ("_clock", "_every_s", "_tell", "bytes_done", "bytes_total")

    def __init__(
        self,
        tell: Callable[[PlanRead], None] | None,
        *,
        every_s: float = SAID_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tell = tell
        self._every_s = every_s
        self._clock = clock
        self.bytes_total = 0
        self.bytes_done = 0

    def reading(
        self, path: object, size: int, why: str = "", *, said: bool = True
    ) -> Callable[[int], None] | None:
        """Count the read of the copy at *path* (*size* bytes), told now (*said*: False for
        reads a line of the caller's told already, a cascade's "reading back N files of the
        fast copy ...", told only as they go on); the callable to give each read's byte count
        (told again at the pace above), or None where nothing is told."""
        tell = self._tell
        if tell is None:
            return None
        shown = str(path)
        self.bytes_total += size
        if said:
            tell(PlanRead(shown, size, self.bytes_done, self.bytes_total, True, why))
        last = [self._clock()]

        def on_read(nbytes: int) -> None:
            self.bytes_done += nbytes
            now = self._clock()
            if now - last[0] >= self._every_s:
                last[0] = now
                tell(PlanRead(shown, size, self.bytes_done, self.bytes_total, False))

        return on_read


def text_teller(say: Callable[[str], None]) -> Callable[[PlanRead], None]:
    """The terminal's teller of planning's reads on *say*: each ``plan_read_words``, but of
    the reads begun after the first ``NAMED_READS`` only one line saying more follow (the
    bytes lines name the copy read then)."""
    begun = [0]

    def tell(read: PlanRead) -> None:
        if read.started:
            begun[0] += 1
            if begun[0] > NAMED_READS + 1:
                return
            if begun[0] == NAMED_READS + 1:
                say(
                    "reading back more copies already there before the copy: how far the "
                    f"plan's reads are is said every {SAID_EVERY_S:.0f} s"
                )
                return
        say(plan_read_words(read))

    return tell


def plan_read_words(read: PlanRead) -> str:
    """The terminal's line of *read* (stderr, before the live view is up)."""
    from offload.errors import printable_name
    from offload.plan import human_bytes

    if read.started:
        why = f" {read.why}" if read.why else ""
        return (
            f"reading back {printable_name(read.path)} ({human_bytes(read.size_bytes)}){why}: "
            "nothing is copied until the plan's reads end "
            "(Ctrl-C stops the run within a moment, between two reads of the copy)"
        )
    return (
        f"reading back copies already there before the copy: {human_bytes(read.bytes_done)} "
        f"of {human_bytes(read.bytes_total)} read (now {printable_name(read.path)})"
    )
