"""The ETA of a job from the progress of its lanes: the job ends when its slowest lane ends.

A lane is a stream of work that goes at its own speed: the source read, the source's re-read
(``full``), and each destination (its writes, its read-backs and its per-file commits, in work
units). One rate over all the work (the sum) is wrong as soon as the lanes differ: a fast
destination that is done takes its share of the rate away, and the ETA then runs out while the
slow one is still reading back (the bar "stalled at 100 %"). So each lane's rate is measured on
its own, and the ETA is the largest of remaining ÷ rate.

A lane's rate is its progress over the last ``window_s`` seconds; while it made none there
(a batch being flushed), its average since it started. A lane that has not started yet (the
source's re-read follows the read) is given the rate of the lane it follows. The predicted end
(now + ETA) is smoothed over ``smoothing_s`` (less early in a job) so the ETA counts down
instead of jumping with each batch; a lane that leaves with work left (a lost destination)
moves it at once. No ETA until every lane with work left has been measured for ``warmup_s``
(or follows one that has); never less than ``floor_s`` while work remains (0:00 means done).

No I/O, no threads: ``ProgressModel`` calls ``estimate`` under its lock, at whatever pace its
renderers poll; the estimate does not depend on that pace (samples are spaced by time).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

WINDOW_S = 10.0  # the recent rate: spans many batches and I/O stalls (5 s did worse)
SMOOTHING_S = 3.0  # time constant of the predicted end's smoothing
WARMUP_S = 1.0  # no ETA from less than this much measurement
FLOOR_S = 1.0  # an ETA while work remains is never shown as 0
# Early in a job (the first estimates still rough) the smoothing is shorter: a fraction of
# the time measured so far, so a first guess is not dragged along for seconds.
SMOOTHING_FRACTION = 0.3
_SAMPLE_S = 0.1  # samples are at least this far apart, however often the model is polled


@dataclass(frozen=True)
class Lane:
    """One lane's work in its own units: ``done`` of ``total``. ``follows``: the key of the
    lane whose output it works on (its rate stands in until this lane has one)."""

    key: str
    done: float
    total: float
    follows: str | None = None


class EtaEstimator:
    """Remaining seconds of a job from its lanes (see the module's docstring). Not
    thread-safe: its owner calls it under a lock."""

    def __init__(
        self,
        *,
        window_s: float = WINDOW_S,
        smoothing_s: float = SMOOTHING_S,
        warmup_s: float = WARMUP_S,
        floor_s: float = FLOOR_S,
        smoothing_fraction: float = SMOOTHING_FRACTION,
    ) -> None:
        self.smoothing_fraction = smoothing_fraction
        self.window_s = window_s
        self.smoothing_s = smoothing_s
        self.warmup_s = warmup_s
        self.floor_s = floor_s
        self.reset(0.0)

    def reset(self, now: float) -> None:
        """A new job starts at *now*."""
        self._start = now
        self._samples: deque[tuple[float, dict[str, float]]] = deque()
        self._idle_since: dict[str, float] = {}  # the last time a lane had done nothing
        self._end: float | None = None
        self._last = now
        self._busy: set[str] = set()  # the lanes with work left at the last estimate

    def estimate(self, now: float, lanes: list[Lane]) -> float | None:
        """Seconds left at *now*, or None while no rate is known. *lanes* with nothing left
        are done; an empty list (or all done) gives 0."""
        done = {lane.key: lane.done for lane in lanes}
        if any(key not in done for key in self._busy):
            self._end = None  # a lane left with work to do (a lost destination): not smoothed
        self._busy = {lane.key for lane in lanes if lane.done < lane.total}
        for lane in lanes:
            if lane.done <= 0 or lane.key not in self._idle_since:
                self._idle_since[lane.key] = now if lane.done <= 0 else self._start
        if not self._samples or now - self._samples[-1][0] >= _SAMPLE_S:
            self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window_s:
            self._samples.popleft()
        rates = {lane.key: self._rate(now, lane) for lane in lanes}
        raw = 0.0
        for lane in lanes:
            left = lane.total - lane.done
            if left <= 0:
                continue
            rate = self._measured(lane, rates, {lane.key: lane for lane in lanes})
            if rate is None:
                self._end = None
                self._last = now
                return None
            raw = max(raw, left / rate)
        if raw <= 0:
            self._end = now
            return 0.0
        end = now + raw
        if self._end is None:
            self._end = end
        else:
            tau = min(self.smoothing_s, self.smoothing_fraction * (now - self._start))
            alpha = 1.0 - math.exp(-max(now - self._last, 0.0) / max(tau, 1e-3))
            self._end += alpha * (end - self._end)
        self._last = now
        return max(self._end - now, self.floor_s)

    def _rate(self, now: float, lane: Lane) -> float | None:
        """The lane's own rate, or None until it has been measured for ``warmup_s``."""
        since = self._idle_since.get(lane.key, now)
        if lane.done <= 0 or now - since < self.warmup_s:
            return None
        then, before = self._samples[0]
        if then <= since:  # it started within the window: measured from its start
            then, before = since, {}
        recent = (lane.done - before.get(lane.key, 0.0)) / (now - then) if now > then else 0.0
        if recent > 0:
            return recent
        return lane.done / (now - since)  # stalled over the window: its average since it began

    def _measured(
        self, lane: Lane, rates: dict[str, float | None], by_key: dict[str, Lane]
    ) -> float | None:
        seen = set()
        current: Lane | None = lane
        while current is not None and current.key not in seen:
            seen.add(current.key)
            rate = rates.get(current.key)
            if rate:
                return rate
            current = by_key.get(current.follows) if current.follows else None
        return None
