"""How long a job's work has stood still, once longer than its own pace explains.

The live view's rate is the work of the last few seconds (``ProgressModel``), and the ETA
counts down between two steps at the pace of the last ones (``offload.eta``): both are right
for a run that moves in steps, and both went on looking normal for seconds of a total stall
(a card or a destination that stopped answering: "29.0 MB/s · ETA 00:01" with nothing
moving, then "1.0 MB/s · ETA 00:01" with 89 MB left, until the quiet card's words came
after ``live.QUIET_SAID_S``). :class:`StillWork` tells the view when to stop showing them.

Contract: :meth:`StillWork.observe` is given the work done at each poll (any pace; a
clock's seconds) and returns the seconds since it last changed once that is longer than
``STILL_MIN_S`` and ``STILL_FACTOR`` times the longest of its last ``GAPS`` gaps between
moves (its pace: a run whose slowest lane lands a chunk every few seconds is not called
still between two), else 0.0; 0.0 before its first move. The longest, not a middle one:
a run's moves come in cycles of a long gap and short ones (an upload's part counts once
sent, and the freed buffer's card read lands after it, as late as a whole chunk takes the
card: seconds on a slow card, and several reads a part with a small buffer), so most gaps
can be the short ones, and the pace is the long one whatever the lag, while a cycle has
at most ``GAPS`` moves (a part of more chunks than that, each read landing on its own poll,
is called still between its parts: ``ETA --:--`` while it moves; and one long pause makes
the pace for the next ``GAPS`` moves, so a stall right after one is called still only
``STILL_FACTOR`` times that pause later: both known limits). A stall counts from the last
move. No I/O, no threads: the model calls it under its lock.
"""

from __future__ import annotations

from collections import deque

#: Never called still before this long without a move: a healthy run's polls see its work
#: move several times a second; 3 s is well past a fast drive's flush of a chunk.
STILL_MIN_S = 3.0
#: ... nor before this many times the usual gap between its moves (a 0.8 MB/s destination
#: that the copy waits on lands an 8 MiB chunk every ~10 s: still only after ~30 s).
STILL_FACTOR = 3.0
#: How many of the latest gaps between moves make its pace (their longest): a cycle of
#: a part sent and the card reads it frees spans a few moves, so the pace is in there.
GAPS = 9


class StillWork:
    """The seconds a job's work has stood still (module doc)."""

    def __init__(self) -> None:
        self._done: int | None = None
        self._moved: float | None = None  # when the work last changed
        self._gaps: deque[float] = deque(maxlen=GAPS)
        self._pace = 0.0  # the longest of the gaps

    def observe(self, now: float, done: int) -> float:
        """Note *done* at *now*; the seconds still (module doc), else 0.0."""
        if done != self._done:
            if self._done is not None:
                if self._moved is not None:
                    self._gaps.append(now - self._moved)
                    self._pace = max(self._gaps)  # once a move, not each poll
                self._moved = now  # still counts from the last move
            self._done = done
            return 0.0
        if self._moved is None:
            return 0.0
        still = now - self._moved
        return still if still > max(STILL_MIN_S, STILL_FACTOR * self._pace) else 0.0
