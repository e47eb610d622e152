"""Judging the ETA on recorded progress traces (``offload copy --progress-trace``).

A trace is replayed into a ``ProgressModel`` on a virtual clock (the trace's own times),
polled every ``poll_s`` as the live view polls the real one; the estimator in use now and the
one before it (``legacy_eta``: all the work left ÷ the rate of all the work over the last
5 s) are judged on the same polls, so a comparison is free of the run-to-run noise of this
shared machine. Each job in a trace (a JobStarted, or the read-back of existing copies, up to
the next one or its JobFinished; an offload's jobs as one, from its OffloadPlanned to its
OffloadFinished, as its progress follows them) is scored against the time it really ended:

- ``error_median``, ``error_p90``: |t + ETA − t_end| ÷ t_end over the polls from 10 % to 90 %
  of the job's time (t from the job's start), where an ETA was shown;
- ``max_jump``: the largest move of the predicted end (t + ETA) between two consecutive polls
  with an ETA, ÷ t_end (a countdown at the right pace moves it by nothing);
- ``max_rise_s``: the largest rise of the predicted end within ``RISE_WINDOW_S``, in seconds,
  from a fifth of the job on (the first fifth is the warm-up's): a rise spread over a few
  polls, which ``max_jump`` does not see, is what a user sees as an ETA going back up;
- ``overshoot_s``: the largest t + ETA − t_end over the polls from 10 % to 90 % of the job, in
  seconds (negative when every ETA there was early);
- ``stall_s``: time spent showing ≥ 99.9 % or an ETA of 1 s or less (0:00 or 0:01, where
  the ETA's floor stays) earlier than the job's last second;
- ``none_s``: time with no ETA shown while the job was not finished.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from offload.eta import EtaEstimator
from offload.events import (
    ExistingCopiesChecking,
    JobFinished,
    JobStarted,
    OffloadFinished,
    OffloadPlanned,
)
from offload.progress import ProgressModel
from offload.progress_trace import ProgressTrace

POLL_S = 0.1  # the live view redraws ~10 times a second
RISE_WINDOW_S = 5.0  # max_rise_s: how far apart the two predicted ends may be
LEGACY_WINDOW_S = 5.0


@dataclass
class Poll:
    """What the model showed at ``t`` (s since the job started)."""

    t: float
    fraction: float
    eta: float | None
    legacy_eta: float | None
    finished: bool


@dataclass
class Job:
    """One job of a trace, replayed: its polls and when it really ended (``end``, s since
    its start; None when the trace stops before its JobFinished)."""

    kind: str
    end: float | None
    polls: list[Poll] = field(default_factory=list)


@dataclass(frozen=True)
class Score:
    duration_s: float
    error_median: float | None
    error_p90: float | None
    max_jump: float | None
    stall_s: float
    none_s: float
    max_rise_s: float | None = None
    overshoot_s: float | None = None


class LegacyEta:
    """The ETA before per-lane rates: all the work left ÷ the rate of all the work over the
    last 5 s of polls (what ``ProgressModel.snapshot`` computed until then)."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int]] = deque()

    def eta(self, now: float, done: int, total: int) -> float | None:
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > LEGACY_WINDOW_S:
            self._samples.popleft()
        first_t, first_done = self._samples[0]
        rate = (done - first_done) / (now - first_t) if now > first_t else 0.0
        return (total - done) / rate if rate > 0 else None


def replay(
    trace: ProgressTrace,
    *,
    estimator: Callable[[], EtaEstimator] = EtaEstimator,
    poll_s: float = POLL_S,
) -> list[Job]:
    """The jobs of *trace*, each polled every *poll_s* from its start to its end."""
    clock = [0.0]
    model = ProgressModel(clock=lambda: clock[0], estimator=estimator())
    jobs: list[Job] = []
    job: Job | None = None
    start = 0.0
    legacy = LegacyEta()
    next_poll = 0.0
    in_offload = False  # an OffloadPlanned came: its jobs are one, up to OffloadFinished

    def poll(at: float) -> None:
        assert job is not None
        clock[0] = at
        snap = model.snapshot()
        job.polls.append(
            Poll(
                t=at - start,
                fraction=snap.fraction,
                eta=snap.eta_s,
                legacy_eta=legacy.eta(at, snap.work_done, snap.work_total),
                finished=snap.finished,
            )
        )

    for t, event in trace.events:
        if job is not None and job.end is None:
            while next_poll < t:
                poll(next_poll)
                next_poll += poll_s
        starts = isinstance(event, OffloadPlanned | ExistingCopiesChecking) or (
            isinstance(event, JobStarted) and not in_offload
        )
        if isinstance(event, OffloadPlanned):
            in_offload = True
        if starts:
            if job is not None and job.end is None:
                job.end = t - start  # the read-back of existing copies ends as the job starts
            job = Job("check" if isinstance(event, ExistingCopiesChecking) else "copy", None)
            jobs.append(job)
            start, next_poll, legacy = t, t, LegacyEta()
        clock[0] = t
        model.emit(event)
        ends = OffloadFinished if in_offload else JobFinished
        if isinstance(event, ends) and job is not None and job.end is None:
            job.end = t - start
            poll(t)
    return jobs


def score(job: Job, *, legacy: bool = False) -> Score | None:
    """*job*'s score (see the module's docstring), with the legacy estimator's ETAs if
    *legacy*; None for a job that did not end in the trace or took no time."""
    end = job.end
    if end is None or end <= 0:
        return None
    errors: list[float] = []
    overshoots: list[float] = []
    ends: list[tuple[float, float]] = []  # (t, t + ETA) from a fifth of the job on
    jumps: list[float] = []
    stall = none = 0.0
    previous: tuple[float, float] | None = None
    for index, poll in enumerate(job.polls):
        eta = poll.legacy_eta if legacy else poll.eta
        step = job.polls[index + 1].t - poll.t if index + 1 < len(job.polls) else 0.0
        if not poll.finished:
            if eta is None:
                none += step
            # An ETA of 1 s or less (what the floor shows), or 99.9 %, more than 1 s early.
            if poll.t < end - 1.0 and (poll.fraction >= 0.999 or (eta is not None and eta <= 1.0)):
                stall += step
        if eta is None:
            continue
        if 0.1 * end <= poll.t <= 0.9 * end:
            errors.append(abs(poll.t + eta - end) / end)
            overshoots.append(poll.t + eta - end)
        if poll.t >= 0.2 * end and not poll.finished:
            ends.append((poll.t, poll.t + eta))
        if previous is not None and not poll.finished:
            jumps.append(abs(poll.t + eta - previous[0] - previous[1]) / end)
        previous = (poll.t, eta)
    return Score(
        duration_s=end,
        error_median=statistics.median(errors) if errors else None,
        error_p90=_quantile(errors, 0.9),
        max_jump=max(jumps) if jumps else None,
        stall_s=stall,
        none_s=none,
        max_rise_s=_max_rise(ends) if ends else None,
        overshoot_s=max(overshoots) if overshoots else None,
    )


def _max_rise(ends: list[tuple[float, float]]) -> float:
    """The largest rise of the predicted end between two of *ends* (t, end) at most
    ``RISE_WINDOW_S`` apart, the later after the earlier; 0 when it never rises."""
    rise = 0.0
    for index, (t1, earlier) in enumerate(ends):
        for t2, later in ends[index + 1 :]:
            if t2 - t1 > RISE_WINDOW_S:
                break
            rise = max(rise, later - earlier)
    return rise


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main_job(jobs: list[Job]) -> Job | None:
    """The longest copy job that ended (a card offload's second job, replacing wrong copies,
    and the read-back of existing copies are usually short)."""
    ended = [j for j in jobs if j.end is not None and j.kind == "copy"]
    return max(ended, key=lambda j: j.end or 0.0, default=None)
