"""The ETA of a job from the progress of its lanes: the job ends when its slowest lane ends.

A lane is a stream of work that goes at its own speed: the source read, the source's re-read
(``full``), each destination's bytes (written and read back) and its files committed. One
rate over all the work (the sum) is wrong as soon as the lanes differ: a fast destination
that is done takes its share of the rate away, and the ETA then runs out while the slow one
is still working (the bar "stalled at 100 %"). So each lane's rate is measured on its own,
and the ETA is the largest of remaining ÷ rate.

A lane's rate is its progress over the last ``window_s`` seconds, from its move to where it
was at the window's start (a lane moving in steps seconds apart is not measured on a step
more or less than the window holds); while it made none there (a long flush), its average
since its first move. A lane is measured from its first move on,
once it has moved as far again (the first step of a lane that moves in steps, a batch of
files committed at once, is the pipeline filling up, not a rate); between two steps it
counts down at the rate it had up to the last one, and a late step counts against it. A
lane that follows another (the source's re-read follows the read, a destination's commits
follow its bytes) ends no earlier than that one, which alone gives its ETA until it has a
rate of its own; while it keeps pace with that one (the time it trails it by, measured at
each of its moves, does not grow), it ends no later than that one's end plus that time:
commits in batches of a few large files tell their rate only roughly, step by step, how far
behind their bytes they are they tell at every step. And a follower ends no later than its
leader's end plus what it has left at its own pace so far, its current wait left out (the
commits: their files left at their time per file; the re-read: its bytes left at its rate
while it moved): while a large clip is copied, the commits and the re-read stand still with
a few small files' bytes measured, and their rate from that near-zero denominator said an
end a hundred times the job's length. A lane that follows none takes at most
``PACE_FACTOR`` times what it has left at its rate while it moved: its waits on others count
against its rate, but a lane that resumes after one with a trickle (the read, once the
re-read has caught up, with a small file) is not measured on that trickle alone. A lane's
time "while it moved" credits each move with the time since its previous one (progress
comes a chunk or an S3 part at a time: a 6 MB/s drive moves once in 13 polls), a gap longer
than ``MOVE_GAP_S`` and than ``MOVE_GAP_FACTOR`` × its median gap counted only that long (a
wait on others). Both bounds come from the lane's own past pace: they cut an ETA that a
near-zero rate made absurd, and can cut a true one when a lane's pace slows down (then the
ETA is low until its window's rate catches up); they are not guarantees. The
predicted end (now + ETA) is smoothed over ``smoothing_s`` (less early in a job), or
``smoothing_earlier_s`` when it moves earlier (work done faster than foreseen, which no
later batch undoes), so the ETA counts down instead of jumping with each batch; a lane that
leaves with work left (a lost destination) moves it at once. No ETA until every lane with
work left has been measured for ``warmup_s`` (or follows one that has); never less than
``floor_s`` while work remains (0:00 means done).

No I/O, no threads: ``ProgressModel`` calls ``estimate`` under its lock, at whatever pace its
renderers poll; samples are spaced by time, so the pace hardly changes the estimate.
Measured on recorded runs in docs/performance.md ("ETA").
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

WINDOW_S = 10.0  # spans many batches and I/O stalls; 3 s and 5 s were no better overall
SMOOTHING_S = 3.0  # time constant of the predicted end's smoothing
WARMUP_S = 1.0  # no ETA from less than this much measurement
FLOOR_S = 1.0  # an ETA while work remains is never shown as 0
# Early in a job (the first estimates still rough) the smoothing is shorter: a fraction of
# the time measured so far, so a first guess is not dragged along for seconds.
SMOOTHING_FRACTION = 0.3
# A predicted end that moves earlier is work done faster than foreseen, which no later batch
# undoes: it is followed with this shorter time constant (a later one may be a flush that the
# next batch makes up). 1.5 s: 0.5 and 1 s lowered the error a little more on the recorded
# runs and ran the ETA out more often before the end.
SMOOTHING_EARLIER_S = 1.5
# A lane that follows another keeps pace while the time it trails it by grows by less than
# this a second (measured at its moves); 0.25 and 0.5 lowered the error a little more on the
# recorded runs and ran the ETA out more often before the end.
TRAIL_GROWTH = 0.1
# A lane that follows none takes at most this many times what it has left at its rate while
# it moved (its long waits left out). On the 18 recorded runs of 2026-12-05, 2 lowered the error
# median of 3 runs by 0.1 point more and 5 raised one's; 3 keeps most of a lane's waits (a
# flush it really waits for) counted.
PACE_FACTOR = 3.0
# A lane's time "while it moved" is the time since its previous move, not the sample's
# interval: progress comes in steps (an 8 MiB chunk written, a part buffered for S3), and a
# lane slower than a step per few samples would otherwise look many times faster than it is
# (a 6 MB/s drive measured at 3 × 6 MB/s: the ETA a third of the time left). A gap longer
# than MOVE_GAP_FACTOR times the lane's usual one (the median of its last MOVE_GAPS), and
# than MOVE_GAP_S, is a wait on others: it counts that much, the rest left out.
MOVE_GAP_S = 2.0
MOVE_GAP_FACTOR = 2.0
MOVE_GAPS = 9
_SAMPLE_S = 0.1  # samples are at least this far apart, however often the model is polled


@dataclass(frozen=True)
class Lane:
    """One lane's work in its own units: ``done`` of ``total``. ``follows``: the key of an
    earlier lane (in the list given to ``estimate``) whose output this one works on: it ends
    no earlier than that one, which alone gives its ETA until it has a rate of its own, and
    while it keeps pace no later than that one's end plus the time it trails it by, and
    never later than that one's end plus what it has left at its own pace so far (its time
    per file, for a lane that counts files: ``files_done`` of ``files_total``)."""

    key: str
    done: float
    total: float
    follows: str | None = None
    # A lane that commits files (a destination's commits) counts them too: its rate in
    # bytes says nothing while one large file is pending (it stands still for the clip's
    # whole copy, then moves by the clip's bytes at once); its time per file does.
    files_done: int = 0
    files_total: int = 0


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
        smoothing_earlier_s: float = SMOOTHING_EARLIER_S,
        trail_growth: float = TRAIL_GROWTH,
    ) -> None:
        self.smoothing_earlier_s = smoothing_earlier_s
        self.trail_growth = trail_growth
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
        self._first: dict[str, tuple[float, float]] = {}  # each lane's first move: when, where
        self._done: dict[str, float] = {}  # each lane's progress at the last estimate
        self._moved: dict[str, float] = {}  # the last time each lane's progress changed
        # Per lane, its moves (when, where) in the window and the last one before it.
        self._steps: dict[str, deque[tuple[float, float]]] = {}
        self._end: float | None = None
        self._last = now
        self._busy: set[str] = set()  # the lanes with work left at the last estimate
        self._trails: dict[str, deque[tuple[float, float]]] = {}  # per follower, at its moves
        # Per lane, the seconds it spent moving (each move credited the time since its
        # previous one, a wait capped) and how far it moved then.
        self._moving: dict[str, tuple[float, float]] = {}
        self._last_step: dict[str, float] = {}  # the sample at which each lane last moved
        self._gaps: dict[str, deque[float]] = {}  # each lane's last gaps between moves
        self._files: dict[str, int] = {}  # each lane's files at the last estimate
        self._files_moved: dict[str, float] = {}  # the last time a lane's files changed

    def estimate(self, now: float, lanes: list[Lane]) -> float | None:
        """Seconds left at *now*, or None while no rate is known. *lanes* with nothing left
        are done; an empty list (or all done) gives 0."""
        done = {lane.key: lane.done for lane in lanes}
        if any(key not in done for key in self._busy):
            self._end = None  # a lane left with work to do (a lost destination): not smoothed
        self._busy = {lane.key for lane in lanes if lane.done < lane.total}
        for lane in lanes:
            if self._done.get(lane.key) != lane.done:
                self._done[lane.key] = lane.done
                self._moved[lane.key] = now
                self._steps.setdefault(lane.key, deque()).append((now, lane.done))
                if lane.key not in self._first and lane.done > 0:
                    self._first[lane.key] = (now, lane.done)
            if self._files.get(lane.key) != lane.files_done:
                self._files[lane.key] = lane.files_done
                self._files_moved[lane.key] = now
        if not self._samples or now - self._samples[-1][0] >= _SAMPLE_S:
            if self._samples:
                self._count_moving(now, self._samples[-1], done)
            self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window_s:
            self._samples.popleft()
        oldest = self._samples[0][0]
        for steps in self._steps.values():
            while len(steps) > 1 and steps[1][0] <= oldest:
                steps.popleft()
        ends: dict[str, float] = {}  # seconds left per lane
        totals = {lane.key: lane.total for lane in lanes}
        for lane in lanes:
            left = lane.total - lane.done
            if left <= 0:
                ends[lane.key] = 0.0
                continue
            own = self._own(now, lane)
            if own is not None and lane.follows is None:
                # Its waits on others count against its rate (the read held back by a slow
                # destination is as slow), but never more than PACE_FACTOR times: a lane that
                # resumes after a wait (the read after the re-read caught up) with a trickle
                # would otherwise be measured on that trickle.
                pace = self._pace(lane)
                if pace is not None:
                    own = min(own, PACE_FACTOR * pace)
            known = [] if own is None else [own]
            if lane.follows in ends:
                # A lane ends no earlier than the one it follows (commits, their bytes), and
                # no later than that one's end plus the time it trails it by: a lane that
                # moves in steps (a batch committed at once) tells its rate only roughly,
                # how far behind its leader it is it tells at every step.
                lead = ends[lane.follows]
                trail = self._trail(now, lane, totals, done)
                if own is not None and trail is not None:
                    known = [min(own, lead + trail)]
                pace = self._pace(lane)
                if known and pace is not None:
                    # It takes no longer than its pace so far (before its current wait) for
                    # what is left, once what it waits for is there: a rate measured on a few
                    # small files while a large one is pending (the commits, the re-read
                    # standing still for a clip's whole copy) would otherwise say a hundred
                    # times the job's length.
                    known = [min(known[0], lead + pace)]
                known.append(lead)
            if not known:
                self._end = None
                self._last = now
                return None
            ends[lane.key] = max(known)
        if not self._busy:
            self._end = now
            return 0.0
        raw = max(ends.values())  # 0 when the lanes left wait on finished ones: the floor
        end = now + raw
        if self._end is None:
            self._end = end
        else:
            tau = min(self.smoothing_s, self.smoothing_fraction * (now - self._start))
            if end < self._end:
                tau = min(tau, self.smoothing_earlier_s)
            alpha = 1.0 - math.exp(-max(now - self._last, 0.0) / max(tau, 1e-3))
            self._end += alpha * (end - self._end)
        self._last = now
        return max(self._end - now, self.floor_s)

    def _own(self, now: float, lane: Lane) -> float | None:
        """Seconds left in *lane* at its own rate, measured from its first move on, or None
        until it has been measured for ``warmup_s`` and has moved as far again as that first
        move (a lane's first step is often the pipeline filling up, a first batch committed
        at once, not a rate)."""
        first = self._first.get(lane.key)
        if first is None or now - first[0] < self.warmup_s:
            return None
        # As far again as the first move, or half of what was left after it (a model polled
        # rarely may first see a lane well advanced).
        if lane.done - first[1] < min(first[1], (lane.total - first[1]) / 2):
            return None
        left = lane.total - lane.done
        then, sample = self._samples[0]
        before = sample.get(lane.key, 0.0)
        steps = self._steps.get(lane.key)
        if steps and then - self.window_s <= steps[0][0] <= then:
            # Measured from its move to where it was at the window's start, not from that
            # start: a lane moving in steps seconds apart would be measured on one step
            # more or less than the time holds (a part every 4 s, 3 in a 10 s window).
            then, before = steps[0]
        if then <= first[0]:  # it started within the window: measured from its first move
            then, before = first
        progress = lane.done - before
        moved = self._moved.get(lane.key, now)
        if progress <= 0 or moved <= then:  # stalled over the window: its average rate
            return left * (now - first[0]) / (lane.done - first[1])
        # A lane that moves in steps counts down through the gap after a step at the rate
        # it had up to it; once the next step is late, the gap counts against its rate.
        at_step = moved + left * (moved - then) / progress - now
        return at_step if at_step > 0 else left * (now - then) / progress

    def _pace(self, lane: Lane) -> float | None:
        """Seconds *lane* needs for what it has left at its own pace, its current wait left
        out (a bound from its past pace, once what it waits for is there): for a lane
        that counts files, its files left at its time per file from the job's start to its
        last move (its bytes are its leader's to wait for; a batch committed at once says
        nothing of a file's time); else its work left at its rate while it moved (each move
        credited the time since its previous one, from its start on: ``_count_moving``),
        its waits on others left out. None before it has moved."""
        if lane.files_total > 0:
            moved = self._files_moved.get(lane.key)
            if moved is None or lane.files_done <= 0 or moved <= self._start:
                return None
            left = max(lane.files_total - lane.files_done, 0)
            return left * (moved - self._start) / lane.files_done
        seconds, progress = self._moving.get(lane.key, (0.0, 0.0))
        if seconds <= 0 or progress <= 0:
            return None
        return (lane.total - lane.done) * seconds / progress

    def _count_moving(
        self, now: float, previous: tuple[float, dict[str, float]], done: dict[str, float]
    ) -> None:
        """Adds to each lane that moved since the *previous* sample its progress and the time
        since its previous move (the sample's interval for its first): a lane's rate while
        it moves, a step's whole time counted (a lane moving by a chunk every second moves
        all that second), its waits on others left out (a gap longer than ``MOVE_GAP_S`` and
        than ``MOVE_GAP_FACTOR`` times its median gap counts only that long)."""
        then, before = previous
        for key, value in done.items():
            progress = value - before.get(key, 0.0)
            if progress <= 0:
                continue
            gap = now - self._last_step.get(key, then)
            gaps = self._gaps.setdefault(key, deque(maxlen=MOVE_GAPS))
            usual = sorted(gaps)[len(gaps) // 2] if gaps else 0.0
            credit = min(gap, max(MOVE_GAP_S, MOVE_GAP_FACTOR * usual))
            gaps.append(gap)
            self._last_step[key] = now
            seconds, total = self._moving.get(key, (0.0, 0.0))
            self._moving[key] = (seconds + credit, total + progress)

    def _trail(
        self, now: float, lane: Lane, totals: dict[str, float], done: dict[str, float]
    ) -> float | None:
        """How far *lane* trails the lane it follows, in seconds, at its last move: how long
        before that move its leader was as far (in fractions of their totals). None until it
        has moved twice within the window, and while it falls behind (its trail grew by more
        than ``trail_growth`` s a second since the smallest one in the window: it is slower
        than its leader, and its own rate says when it ends)."""
        history = self._trails.setdefault(lane.key, deque())
        if self._moved.get(lane.key) == now:  # measured at a move: exact for a step
            trail = self._trail_now(now, lane, totals, done)
            if trail is not None and history and now - history[-1][0] < _SAMPLE_S:
                history[-1] = (now, trail)  # a batch's files one after the other: its end
            elif trail is not None:
                history.append((now, trail))
        while history and now - history[0][0] > self.window_s:
            history.popleft()
        if len(history) < 2:
            return None  # one move says nothing yet of whether it keeps pace
        last_t, last = history[-1]
        low_t, low = min(history, key=lambda item: item[1])
        if last - low > self.trail_growth * (last_t - low_t):
            return None
        return last

    def _trail_now(
        self, now: float, lane: Lane, totals: dict[str, float], done: dict[str, float]
    ) -> float | None:
        """How long ago (from the samples kept) the leader of *lane* was as far as *lane* is
        now; 0 when it is not ahead, None when that may have been before the oldest sample."""
        lead = lane.follows or ""
        lead_total = totals.get(lead, 0.0)
        if lane.done <= 0 or lane.total <= 0 or lead_total <= 0:
            return None
        where = lane.done / lane.total
        if done.get(lead, 0.0) / lead_total < where:
            return 0.0
        for index, (then, sample) in enumerate(self._samples):
            if sample.get(lead, 0.0) / lead_total >= where:
                if index == 0 and then > self._start:
                    return None  # it may have been there before the oldest sample
                return now - then
        return 0.0
