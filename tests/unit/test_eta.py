"""The ETA on synthetic runs fed on a virtual clock: lanes at different speeds, a verification
pass slower than the copy, the ends of a job. Times are the model's virtual seconds, never
the machine's: nothing here depends on how loaded the machine is."""

from __future__ import annotations

import heapq
import importlib.util
import itertools
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

import pytest

import offload.eta
from offload.bench.eta import Job, LegacyEta, Poll, score
from offload.eta import EtaEstimator, Lane
from offload.events import (
    BytesVerified,
    DestinationBytesWritten,
    DestinationLost,
    Event,
    ExistingCopiesChecking,
    FileStarted,
    FileVerified,
    JobFinished,
    JobStarted,
    SourceBytesRead,
)
from offload.progress import ProgressModel

MB = 1_000_000
MIB = 1 << 20


class Run:
    """Events at virtual times, fed in time order to a model polled every ``poll_s``."""

    def __init__(self) -> None:
        self._queue: list[tuple[float, int, Event]] = []
        self._order = 0

    def at(self, t: float, event: Event) -> None:
        heapq.heappush(self._queue, (t, self._order, event))
        self._order += 1

    def stream(self, start: float, rate: float, total: int, make: type, *index: int) -> float:
        """Chunks of 1 MB from *start* at *rate* bytes/s (``make(*index, nbytes)``); returns
        when the last one is done."""
        t = start
        for _ in range(total // MB):
            t += MB / rate
            self.at(t, make(*index, MB))
        return t

    def play(self, poll_s: float = 0.1) -> Iterable[tuple[float, float | None, float, bool]]:
        """(t, ETA, legacy ETA, finished) at every poll."""
        clock = [0.0]
        model = ProgressModel(clock=lambda: clock[0])
        legacy = LegacyEta()
        t_poll = 0.0
        queue = sorted(self._queue)
        for t, _order, event in queue:
            while t_poll < t:
                clock[0] = t_poll
                snap = model.snapshot()
                yield t_poll, snap.eta_s, legacy.eta(t_poll, snap.work_done, snap.work_total), False
                t_poll += poll_s
            clock[0] = t
            model.emit(event)
        snap = model.snapshot()
        yield clock[0], snap.eta_s, 0.0, snap.finished


def _job(run: Run, *, files: int, size: int, destinations: int, verify: str) -> None:
    run.at(
        0.0,
        JobStarted(
            files, files * size, tuple(f"/d{i}" for i in range(destinations)), verify, ("xxh64",)
        ),
    )
    for index in range(files):
        run.at(0.0, FileStarted(f"C{index:03d}.MOV", size))


def _verified(run: Run, t: float, destination: int, index: int) -> None:
    run.at(t, FileVerified(destination, f"C{index:03d}.MOV", f"/d/C{index:03d}.MOV", "verified"))


def two_speeds(run: Run) -> float:
    """Transfer mode, one 1,000 MB file: the source and destination 0 at 100 MB/s, destination 1
    at 50 MB/s (it finishes 10 s after the others). Returns the end."""
    _job(run, files=1, size=1000 * MB, destinations=2, verify="transfer")
    run.stream(0.0, 100 * MB, 1000 * MB, SourceBytesRead)
    fast = run.stream(0.0, 100 * MB, 1000 * MB, DestinationBytesWritten, 0)
    slow = run.stream(0.0, 50 * MB, 1000 * MB, DestinationBytesWritten, 1)
    _verified(run, fast + 0.05, 0, 0)
    _verified(run, slow + 0.05, 1, 0)
    run.at(slow + 0.1, JobFinished(0, False))
    return slow + 0.1


def slow_source_reread(run: Run) -> float:
    """Full verification, 10 × 100 MB: the copy and each destination's read-back at
    100 MB/s (a file read back as soon as written), the source re-read at 40 MB/s."""
    _job(run, files=10, size=100 * MB, destinations=1, verify="full")
    end = run.stream(0.0, 100 * MB, 1000 * MB, SourceBytesRead)
    run.stream(0.0, 100 * MB, 1000 * MB, DestinationBytesWritten, 0)
    run.stream(1.0, 100 * MB, 1000 * MB, BytesVerified, 0)
    reread = run.stream(1.0, 40 * MB, 1000 * MB, BytesVerified, -1)
    for index in range(10):
        _verified(run, max(2.0 + index, (index + 1) * 2.5 + 1.0), 0, index)
    end = max(end, reread) + 0.1
    run.at(end, JobFinished(0, False))
    return end


def commits_in_batches(run: Run) -> float:
    """Transfer mode, 2,048 files of 100 kB: the bytes at 20 MB/s, the files committed by
    batches of 256, each taking 2 s (fsyncs, renames): the commits are the slowest lane and
    move in steps, and end 6 s after the last byte."""
    files, size, batch = 2048, 100_000, 256
    _job(run, files=files, size=size, destinations=1, verify="transfer")
    written = 0.0
    committed = 0.0
    for first in range(0, files, batch):
        for _index in range(first, first + batch):
            written += size / (20 * MB)
            run.at(written, SourceBytesRead(size))
            run.at(written, DestinationBytesWritten(0, size))
        committed = max(committed, written) + 2.0
        for index in range(first, first + batch):
            _verified(run, committed - 0.002 * (first + batch - index), 0, index)
    run.at(committed + 0.1, JobFinished(0, False))
    return committed + 0.1


def clips_then_small_files(run: Run) -> float:
    """Transfer mode, one destination, a card of 4 × 250 MB clips then 2,000 × 100 kB files
    (a QA card) read and written at a steady 60 MB/s plus a steady 4 ms a file (open,
    create, close): the small files go at 17 MB/s. A clip is committed 0.5 s after its last
    byte, the small files by batches of 64, each 0.5 s after its last file's."""
    sizes = [250 * MB] * 4 + [100_000] * 2000
    run.at(0.0, JobStarted(len(sizes), sum(sizes), ("/d0",), "transfer", ("xxh64",)))
    t = end = 0.0
    batch: list[int] = []
    for index, size in enumerate(sizes):
        run.at(t, FileStarted(f"C{index:03d}.MOV", size))
        for chunk in [MB] * (size // MB) + ([size % MB] if size % MB else []):
            t += chunk / (60 * MB)
            run.at(t, SourceBytesRead(chunk))
            run.at(t, DestinationBytesWritten(0, chunk))
        t += 0.004
        batch.append(index)
        if size > MB or len(batch) == 64 or index == len(sizes) - 1:
            end = t + 0.5
            for number in batch:
                _verified(run, end, 0, number)
            batch = []
    run.at(end + 0.05, JobFinished(0, False))
    return end + 0.05


def one_clip_among_small_files(run: Run) -> float:
    """Full verification, a card of 100 small files (20–600 kB), one 1,000 MB clip, then 200
    more, to a fast destination (80 MB/s, the source's pace) and a slow one (40 MB/s), 2 ms
    a file; a file is read back 0.3 s after it is written, the source re-read once a file is
    read (the clip's 1,000 MB from its last byte on, at 80 MB/s); each destination commits
    its small files by batches of 32 and the clip on its own, 0.5 s after their last byte.
    While the clip is copied, the slow destination's commits stand still for 25 s and the
    re-read for 12 s, both measured on a few small files' bytes: near-zero denominators."""
    small = [(20_000, 150_000, 600_000)[index % 3] for index in range(300)]
    sizes = [*small[:100], 1000 * MB, *small[100:]]
    names = [f"C{index:03d}.MOV" for index in range(len(sizes))]
    run.at(0.0, JobStarted(len(sizes), sum(sizes), ("/d0", "/d1"), "full", ("xxh64",)))
    end = reread = 0.0
    for destination, rate in enumerate((80 * MB, 40 * MB)):
        t = 0.0
        batch: list[int] = []
        for index, size in enumerate(sizes):
            if destination == 0:
                run.at(t, FileStarted(names[index], size))
            for chunk in [MB] * (size // MB) + ([size % MB] if size % MB else []):
                t += chunk / rate
                if destination == 0:
                    run.at(t, SourceBytesRead(chunk))
                if destination == 0 and size <= MB:  # a small file is re-read once read
                    reread = max(reread, t) + chunk / rate
                    run.at(reread, BytesVerified(-1, chunk))
                run.at(t, DestinationBytesWritten(destination, chunk))
                run.at(t + 0.3, BytesVerified(destination, chunk))
            if destination == 0 and size > MB:  # the clip is re-read once read
                reread = run.stream(max(t, reread), rate, size, BytesVerified, -1)
            t += 0.002
            batch.append(index)
            if size > MB or len(batch) == 32 or index == len(sizes) - 1:
                for number in batch:
                    _verified(run, max(t, reread) + 0.5, destination, number)
                batch = []
        end = max(end, t + 0.5, reread + 0.5)
    run.at(end + 0.05, JobFinished(0, False))
    return end + 0.05


S3_SLOTS = 5  # part buffers: 4 parts in flight and one being filled
S3_PART_S = 8 * MIB / (2 * MB)  # a part's upload over a 2 MB/s uplink


def s3_parts_over_a_slow_uplink(run: Run) -> float:
    """Transfer mode, one 36 × 8 MiB clip to S3 over a 2 MB/s uplink (4.2 s a part), 5 part
    buffers: a part's bytes are counted when copied into its buffer, the next then waits
    for a slot, so the source and the destination move by a whole part at once every 4.2 s
    after a first burst of 5; the last 5 parts upload after the last byte is counted (21 s
    that no event tells), then the file is verified."""
    parts = 36
    _job(run, files=1, size=parts * 8 * MIB, destinations=1, verify="transfer")
    for index in range(parts):
        t = 0.1 * (index + 1) if index < S3_SLOTS else (index - S3_SLOTS + 1) * S3_PART_S
        run.at(t, SourceBytesRead(8 * MIB))
        run.at(t, DestinationBytesWritten(0, 8 * MIB))
    end = parts * S3_PART_S + 0.5
    _verified(run, end, 0, 0)
    run.at(end + 0.05, JobFinished(0, False))
    return end + 0.05


def _too_early(
    shown: list[tuple[float, float]], left: Callable[[float], float], start: float, stop: float
) -> list[tuple[float, float, float]]:
    """(t, ETA, time left) of the ETAs from *start* to *stop* below 0.7 × the time left:
    an end promised too early."""
    return [(t, eta, left(t)) for t, eta in shown if start <= t <= stop and eta < 0.7 * left(t)]


def _stalled_s(shown: list[tuple[float, float]], end: float, poll_s: float = 0.1) -> float:
    """How long "0:01" (the floor) was shown more than a second before the *end*."""
    return poll_s * sum(1 for t, eta in shown if eta <= offload.eta.FLOOR_S and t < end - 1.0)


def slow_card_full_verify(run: Run) -> float:
    """Full verification, 4 × 256 MiB clips from a 20 MB/s card to a fast destination, 8 MiB
    chunks: the card's 20 MB/s shared by the read of a clip and the re-read of the one
    before (10 MB/s each), the last re-read alone; each clip read back 0.3 s after it is
    written and committed 0.2 s after its re-read. The re-read (a follower) moves a chunk
    every 0.8 s: one poll in 8."""
    files, chunk = 4, 8 * MIB
    _job(run, files=files, size=32 * chunk, destinations=1, verify="full")
    t = 0.0
    for index in range(files + 1):
        rate = 20 * MB if index in (0, files) else 10 * MB
        for _ in range(32):
            t += chunk / rate
            if index < files:
                run.at(t, SourceBytesRead(chunk))
                run.at(t, DestinationBytesWritten(0, chunk))
                run.at(t + 0.3, BytesVerified(0, chunk))
            if index > 0:
                run.at(t, BytesVerified(-1, chunk))
        if index > 0:
            _verified(run, t + 0.2, 0, index - 1)
    run.at(t + 0.3, JobFinished(0, False))
    return t + 0.3


_COMMITS_UNSEEN = pytest.mark.xfail(
    strict=True,
    reason="open: until commits in batches have a rate of their own they follow their bytes, "
    "whose rate counts no commit's cost (0.44-0.73 × the time left here)",
)


@pytest.mark.parametrize(
    "scenario",
    [
        two_speeds,
        slow_source_reread,
        one_clip_among_small_files,
        slow_card_full_verify,
        pytest.param(commits_in_batches, marks=_COMMITS_UNSEEN),
        pytest.param(clips_then_small_files, marks=_COMMITS_UNSEEN),
    ],
)
def test_no_eta_promises_an_end_much_earlier_than_the_real_one(scenario) -> None:  # type: ignore[no-untyped-def]
    """From a fifth of the job to 90 % of it no ETA is below 0.7 × the time really left, and
    "0:01" is shown for less than a second before the job's last second. The slow card's
    failed before a lane's moves were credited the time since its previous one (0.54 × the
    time left: the read's and the re-read's pace measured on the polls they moved in, 8 ×
    too fast)."""
    run = Run()
    end = scenario(run)
    shown = [(t, eta) for t, eta, _l, finished in run.play() if eta is not None and not finished]
    assert not _too_early(shown, lambda t: end - t, 0.2 * end, 0.9 * end)
    assert _stalled_s(shown, end) < 1.0


def test_a_slow_lane_moving_in_steps_is_measured_at_its_pace() -> None:
    """A 6 MB/s drive: 8 MB written every 1.333 s (one synchronous chunk at a time), 600 MB,
    polled at 10 Hz. Its counter changes in one poll out of 13: measured on those polls
    alone its rate was 3 × too high, and the cap at 3 × its pace "while moving" cut a true
    ETA to a third (85 s left: 29.7 s; 10 s left: 2.0 s; failed so before the time since
    its previous move was counted); from a fifth to 90 % none is below 0.7 × the time left."""
    estimator = EtaEstimator()
    step, total = 8 * MB / (6 * MB), 600 * MB
    end = total / (8 * MB) * step
    shown = []
    for tenth in range(int(end * 10)):
        t = tenth / 10
        done = min(int(t / step) * 8 * MB, total)
        eta = estimator.estimate(t, [Lane("destination 0", done, total)])
        if eta is not None:
            shown.append((t, eta))
    assert not _too_early(shown, lambda t: end - t, 0.2 * end, 0.9 * end)


def test_s3_parts_over_a_slow_uplink_give_no_early_eta() -> None:
    """The S3 run above through the progress model. Its last 21 s (5 parts uploaded after
    the last byte is counted) no event tells; before them, no ETA from a fifth of the job
    on is below 0.7 × the time left less those 21 s, and "0:01" is shown for less than a
    part's upload before the last byte is counted. Failed before the time since a lane's
    previous move and the move at the window's start were counted: ETA 6.5 s with 121 s
    left, "0:01" shown for 58 s; with the first alone, 0.58 × the time left (a window
    starting between two parts measured 3 parts in 9 s)."""
    run = Run()
    end = s3_parts_over_a_slow_uplink(run)
    shown = [(t, eta) for t, eta, _l, finished in run.play() if eta is not None and not finished]
    tail = S3_SLOTS * S3_PART_S + 0.55
    assert not _too_early(shown, lambda t: end - t - tail, 0.2 * end, end - tail)
    assert _stalled_s(shown, end - tail + 1.0) < S3_PART_S


def test_a_large_clip_pending_among_small_files_gives_no_absurd_eta() -> None:
    """The QA run's defect (ETA 1:12:05 with 21 s left, a 2 GiB clip among small files):
    while the clip is copied, the slow destination's commits and the source's re-read stand
    still, their rates from a few small files' bytes; the ETA was 264 s with 15.7 s left
    and 686 s with 3.6 s left (failed so before the bounds by a follower's own pace; with
    the commits' bound alone it still failed, on the re-read). Every ETA in the last 30 % of
    the job is within 3 × the time really left (plus the 1 s floor), and none from a fifth
    of the job on is more than 3 × either."""
    run = Run()
    end = one_clip_among_small_files(run)
    shown = [(t, eta) for t, eta, _l, finished in run.play() if eta is not None and not finished]
    late = [(t, eta) for t, eta in shown if t >= 0.7 * end]
    assert late
    assert all(eta <= 3 * (end - t) + offload.eta.FLOOR_S for t, eta in late), max(
        late, key=lambda item: item[1] / (end - item[0])
    )
    early = [(t, eta) for t, eta in shown if t >= 0.2 * end]
    assert all(eta <= 3 * (end - t) for t, eta in early if t < 0.7 * end)


def test_a_lane_resuming_after_a_wait_is_not_measured_on_its_trickle() -> None:
    """The read of a 2 GiB clip among small files (a recorded run: ETA 61 s with 11 s left)
    held back while the re-read catches up, then one small file read: its rate over the
    window was that trickle. Here a lane at 100 MB/s for 9.9 s, standing still for 10 s, then
    1 MB: its ETA rose to 37.6 s within 2 s with 9 MB left, on its way to 90 s (failed so
    before the cap at 3 × its rate while it moved); it stays under 3 s."""
    estimator = EtaEstimator()
    estimator.reset(0.0)
    shown = []
    for step in range(0, 221):
        t = step / 10
        done = min(t, 9.9) * 100 * MB if t < 20 else 991 * MB
        shown.append((t, estimator.estimate(t, [Lane("source", done, 1000 * MB)])))
    after = [eta for t, eta in shown if t >= 20 and eta is not None]
    assert after and max(after) < 3.0, max(after)


@pytest.mark.xfail(
    strict=True,
    reason="open: the commits' per-file cost enters the ETA only once they have a rate of "
    "their own (docs/performance.md, 'A card of clips, then many small files')",
)
def test_the_eta_does_not_rise_when_the_commits_get_a_rate_of_their_own() -> None:
    """Known to fail: on the card above (rates steady all along) the predicted end rises by
    7.7 s (27 % of the job) within 5 s once the second clip is committed: until then the
    commits follow their bytes, whose rate counts no file's cost yet, and their own rate
    then charges the 2,000 small files 256 KiB each (recordings of a throttled card: +6 to
    +10 s so). Pacing the commits at their bytes' rate with their files weighed in from
    the start passed this test and doubled the error on those recordings; not taken. A
    per-file cost in every lane from the start (thirty-first pass) passes it with a prior
    of ~192 KiB a file or more: before the small files nothing tells their cost, the test's
    is 240 kB and the throttled card's ~3 kB, whose error that prior tripled; not taken. No
    ETA while the small files are unmeasured (thirty-sixth pass, commit 6468122c) passes it
    and the early test of this card, not commits_in_batches', with no ETA for 12.9 s of
    these 28.6 s; not taken."""
    run = Run()
    end = clips_then_small_files(run)
    shown = [(t, eta) for t, eta, _l, finished in run.play() if eta is not None]
    ends = [(t, t + eta) for t, eta in shown]
    rises = [
        later - earlier
        for index, (t1, earlier) in enumerate(ends)
        for t2, later in ends[index:]
        if t2 - t1 <= 5.0
    ]
    assert max(rises) <= 0.1 * end, (max(rises), end)


@pytest.mark.parametrize(
    ("scenario", "tolerance"),
    [(two_speeds, 0.1), (slow_source_reread, 0.1), (commits_in_batches, 0.3)],
)
def test_eta_converges_on_the_slowest_lane_and_does_not_jump(scenario, tolerance) -> None:  # type: ignore[no-untyped-def]
    """Within 10 % of the real end once every lane has been measured (at a third of the run
    here); 30 % for commits in batches, whose rate two steps tell only roughly."""
    run = Run()
    end = scenario(run)
    polls = list(run.play())
    shown = [(t, eta) for t, eta, _legacy, finished in polls if eta is not None and not finished]
    assert shown and shown[0][0] <= 2.0  # an ETA within 2 s of the start
    for t, eta in shown:
        if t >= 0.35 * end:
            assert abs(t + eta - end) <= tolerance * end, (t, eta, end)
    moves = [abs((t2 + e2) - (t1 + e1)) for (t1, e1), (t2, e2) in itertools.pairwise(shown)]
    # The one move allowed: when a lane that followed another gets a rate of its own.
    assert max(moves) <= 0.1 * end, max(moves)


@pytest.mark.parametrize("scenario", [two_speeds, slow_source_reread, commits_in_batches])
def test_the_eta_before_lanes_ran_out_early_on_the_same_runs(scenario) -> None:  # type: ignore[no-untyped-def]
    """The scenarios above are ones the single-rate ETA got wrong (the test's baseline)."""
    run = Run()
    end = scenario(run)
    legacy = [(t, e) for t, _eta, e, finished in run.play() if e is not None and not finished]
    assert max(abs(t + e - end) for t, e in legacy if t >= 0.35 * end) > 0.2 * end


def test_no_eta_before_a_rate_is_known_and_never_zero_while_work_remains() -> None:
    run = Run()
    _job(run, files=1, size=100 * MB, destinations=1, verify="transfer")
    run.stream(0.5, 10 * MB, 100 * MB, SourceBytesRead)
    last = run.stream(0.5, 10 * MB, 100 * MB, DestinationBytesWritten, 0)
    _verified(run, last + 3.0, 0, 0)  # a long commit after the last byte
    run.at(last + 3.1, JobFinished(0, False))
    polls = list(run.play())
    assert all(eta is None for t, eta, _l, _f in polls if t < 1.0)
    # Until the file is verified some work remains (its commit): never 0:00.
    assert all(eta is not None and eta >= 1.0 for t, eta, _l, _f in polls if 2.0 <= t < last + 3)
    assert polls[-1][1] == 0.0 and polls[-1][3]


def test_eta_does_not_depend_on_how_often_it_is_polled() -> None:
    etas = {}
    for poll_s in (0.05, 1.0):
        run = Run()
        two_speeds(run)
        etas[poll_s] = {round(t, 2): eta for t, eta, _l, _f in run.play(poll_s)}
    for t in (5.0, 10.0, 15.0):
        fast, slow = etas[0.05][t], etas[1.0][t]
        assert fast is not None and slow is not None
        assert abs(fast - slow) <= 1.0, (t, fast, slow)


def test_a_lane_first_seen_well_advanced_is_measured() -> None:
    """Polled rarely, a model may first see a lane 60 % done: it cannot move as far again,
    and still gets a rate (it had none for the rest of the job)."""
    estimator = EtaEstimator()
    assert estimator.estimate(0.0, [Lane("source", 0, 1000)]) is None
    assert estimator.estimate(3.0, [Lane("source", 600, 1000)]) is None  # not measured yet
    eta = estimator.estimate(4.0, [Lane("source", 800, 1000)])  # 200 in 1 s, 200 left
    assert eta is not None and abs(eta - 1.0) <= 0.01  # before, None to the end of the job


def test_a_lost_destination_leaves_the_eta() -> None:
    """The slow destination is lost at 5 s: from then on the job ends with the fast one."""
    run = Run()
    _job(run, files=1, size=1000 * MB, destinations=2, verify="transfer")
    run.stream(0.0, 100 * MB, 1000 * MB, SourceBytesRead)
    fast = run.stream(0.0, 100 * MB, 1000 * MB, DestinationBytesWritten, 0)
    run.stream(0.0, 50 * MB, 250 * MB, DestinationBytesWritten, 1)
    run.at(5.0, DestinationLost(1, "ENOSPC"))
    _verified(run, fast + 0.05, 0, 0)
    run.at(fast + 0.1, JobFinished(1, False))
    late = [(t, eta) for t, eta, _l, f in run.play() if eta is not None and t >= 7.0 and not f]
    assert late and all(abs(t + eta - (fast + 0.1)) <= 1.0 for t, eta in late)


def test_the_scores_measure_what_they_say() -> None:
    """An exact countdown scores 0. A 10 s job whose predicted end goes 10, 10, 12, 12, 12, 12,
    8, 9, 10 s: its largest jump is 4 s (40 %), its errors 0–20 %, its largest rise within 5 s
    and its largest overshoot 2 s, and the ETA at 1 s from 7 s on is 2 s of stall (its last
    second is not). A rise in the first fifth (the warm-up) is not counted."""
    exact = Job("copy", 10.0, [Poll(t, t / 10, 10.0 - t, None, False) for t in range(10)])
    exact.polls.append(Poll(10.0, 1.0, 0.0, None, True))
    result = score(exact)
    assert result is not None
    assert (result.error_median, result.error_p90, result.max_jump) == (0.0, 0.0, 0.0)
    assert (result.stall_s, result.none_s) == (0.0, 0.0)
    assert (result.max_rise_s, result.overshoot_s) == (0.0, 0.0)

    etas: list[float | None] = [None, 9.0, 8.0, 9.0, 8.0, 7.0, 6.0, 1.0, 1.0, 1.0, 0.0]
    moved = Job("copy", 10.0, [Poll(t, t / 10, etas[t], None, t == 10) for t in range(11)])
    result = score(moved)
    assert result is not None
    assert result.none_s == 1.0
    assert result.max_jump == pytest.approx(0.4)
    assert result.error_median == pytest.approx(0.2)
    assert result.stall_s == 2.0
    assert result.max_rise_s == pytest.approx(2.0)
    assert result.overshoot_s == pytest.approx(2.0)

    early = Job(
        "copy",
        10.0,
        [Poll(t, t / 10, 5.0 - t if t < 2 else 10.0 - t, None, False) for t in range(10)],
    )
    result = score(early)
    assert result is not None
    assert result.max_rise_s == 0.0  # 5 → 10 s from 1 to 2 s: the warm-up's
    assert result.overshoot_s == pytest.approx(0.0)


def test_the_read_back_of_existing_copies_has_its_own_eta() -> None:
    """Before the job, copies already there are read back (--reverify): the source at 100 MB/s,
    the destination at 50 MB/s; the ETA follows the destination, then the job starts afresh."""
    run = Run()
    run.at(0.0, ExistingCopiesChecking(1, ("/d0",), 500 * MB, (500 * MB,)))
    run.stream(0.0, 100 * MB, 500 * MB, BytesVerified, -1)
    end = run.stream(0.0, 50 * MB, 500 * MB, BytesVerified, 0)
    run.at(end + 0.1, JobStarted(0, 0, ("/d0",), "full", ("xxh64",)))
    run.at(end + 0.2, JobFinished(0, False))
    polls = list(run.play())
    checking = [(t, eta) for t, eta, _l, _f in polls if 3.0 <= t < end]
    assert checking and all(eta is not None and abs(t + eta - end) <= 1.0 for t, eta in checking)
    assert all(eta is None for t, eta, _l, f in polls if end + 0.1 < t and not f)


def test_the_read_back_before_a_copy_counts_the_copy_in_its_eta() -> None:
    """--reverify with files still to copy: 500 MB read back from the card and the copy
    (each at 100 MB/s) while 500 MB wait to be copied and verified (read, written, read
    back: 1.5 GB of work at the check's 200 MB/s, ~7.5 s). Near the check's end the ETA
    still counts that copy. Failed before: it counted the check alone, ~1 s ("ETA 00:01")
    with the whole copy ahead, then jumped back up when the copy started."""
    run = Run()
    run.at(
        0.0,
        ExistingCopiesChecking(
            1, ("/d0",), 500 * MB, (500 * MB,), 500 * MB, (500 * MB,), (1,), "destination"
        ),
    )
    run.stream(0.0, 100 * MB, 500 * MB, BytesVerified, -1)
    end = run.stream(0.0, 100 * MB, 500 * MB, BytesVerified, 0)
    polls = [(t, eta) for t, eta, _l, _f in run.play() if 3.0 <= t < end - 0.2]
    assert polls and all(eta is not None for _t, eta in polls), polls
    assert all(eta is not None and eta >= end - t + 5.0 for t, eta in polls), polls


def test_a_lane_that_keeps_pace_ends_its_trail_after_the_one_it_follows() -> None:
    """Bytes at 5 % a second for 10 s, then 25 % a second (another job on the drive ended):
    done at 12 s. Commits in steps of 25 %, each 1 s after the bytes got there (6, 11, 12,
    13 s). After the second step the commits' own steps say 5 % a second (an end 8 s late);
    they trail the bytes by a steady 1 s, so the ETA is the bytes' end plus 1 s (within 2 s:
    the bytes' own rate is still catching up with their speed-up)."""
    estimator = EtaEstimator(smoothing_s=0.0, smoothing_fraction=0.0)

    def bytes_at(now: float) -> float:
        return min(5.0 * now, 50.0) + min(max(now - 10.0, 0.0) * 25.0, 50.0)

    steps = [(6.0, 25.0), (11.0, 50.0), (12.0, 75.0), (13.0, 100.0)]
    for tenth in range(0, 119):
        now = tenth / 10
        commits = max([done for at, done in steps if at <= now + 1e-9], default=0.0)
        lanes = [
            Lane("bytes", bytes_at(now), 100.0),
            Lane("commits", commits, 100.0, follows="bytes"),
        ]
        eta = estimator.estimate(now, lanes)
        if now >= 11.2:
            assert eta is not None and abs(now + eta - 13.0) <= 2.0, (now, eta)


def test_a_follower_slower_than_its_leader_is_not_bounded_by_its_trail() -> None:
    """The source re-read at 40 MB/s behind a read at 100 MB/s trails it more every second: its
    own rate says when it ends, not the read's end plus how far it trails (which would run
    out 10 s early)."""
    run = Run()
    end = slow_source_reread(run)
    late = [(t, e) for t, e, _l, f in run.play() if e is not None and not f and t >= 12.0]
    assert late and all(abs(t + e - end) <= 0.1 * end for t, e in late)


class _ScriptedEnd(EtaEstimator):
    """One lane whose raw predicted end is *ends(now)*: the smoothing alone is under test."""

    def __init__(self, ends: Callable[[float], float]) -> None:
        super().__init__()
        self._ends = ends

    def _own(self, now: float, lane: Lane) -> float | None:
        return self._ends(now) - now


def _shown_end(ends: Callable[[float], float], until: float) -> float:
    estimator = _ScriptedEnd(ends)
    eta = None
    for tenth in range(int(until * 10) + 1):
        eta = estimator.estimate(tenth / 10, [Lane("source", 1.0, 100.0)])
    assert eta is not None
    return until + eta


def test_an_earlier_end_is_followed_sooner_than_a_later_one() -> None:
    """A predicted end that moves 4 s earlier at 10 s (work done faster than foreseen) is
    followed to within 0.3 s by 14 s; one that moves 4 s later (a flush the next batch may
    make up) has moved by less than 1.5 s after 1 s: no jump either way."""
    assert abs(_shown_end(lambda now: 20.0 if now < 10 else 16.0, 14.0) - 16.0) <= 0.3
    assert _shown_end(lambda now: 20.0 if now < 10 else 24.0, 11.0) - 20.0 <= 1.5
    assert _shown_end(lambda now: 20.0 if now < 10 else 24.0, 20.0) >= 23.5


def test_a_steady_run_counts_down_second_by_second() -> None:
    """One destination at a steady 100 MB/s: once shown, the ETA falls by the time that passed
    between two polls (within 0.05 s) and never rises."""
    run = Run()
    _job(run, files=1, size=1000 * MB, destinations=1, verify="transfer")
    run.stream(0.0, 100 * MB, 1000 * MB, SourceBytesRead)
    last = run.stream(0.0, 100 * MB, 1000 * MB, DestinationBytesWritten, 0)
    _verified(run, last + 0.05, 0, 0)
    run.at(last + 0.1, JobFinished(0, False))
    shown = [(t, e) for t, e, _l, f in run.play() if e is not None and not f and e > 1.0]
    assert len(shown) > 50
    for (t1, e1), (t2, e2) in itertools.pairwise(shown):
        assert e2 <= e1 and abs((e1 - e2) - (t2 - t1)) <= 0.05, (t1, e1, t2, e2)


def _eta_trace_script(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """bench/eta_trace.py (a script, not a package), imported from its file."""
    path = Path(__file__).resolve().parents[2] / "bench" / "eta_trace.py"
    spec = importlib.util.spec_from_file_location("eta_trace_script", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look it up there
    spec.loader.exec_module(module)
    return module


def test_the_trace_scorer_judges_an_earlier_estimator_and_counts_traces_paired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--baseline`` loads the EtaEstimator of a copy of an offload/eta.py (a missing file
    is one line naming it); the paired line counts the traces whose scores went down or up."""
    script = _eta_trace_script(monkeypatch)
    monkeypatch.setitem(sys.modules, "eta_baseline", None)  # gone again after the test
    copy = tmp_path / "before.py"
    copy.write_text((Path(offload.eta.__file__)).read_text())
    estimator = script.load_baseline(copy)()
    assert estimator.estimate(0.0, [Lane("source", 0.0, 10.0)]) is None
    with pytest.raises(ValueError, match=r"--baseline .*missing\.py: no such file"):
        script.load_baseline(tmp_path / "missing.py")

    def scores(median: float, p90: float, jump: float, stall: float) -> dict[str, float]:
        return {"error_median": median, "error_p90": p90, "max_jump": jump, "stall_s": stall}

    raw = [
        {"before": scores(0.2, 0.3, 0.1, 0.0), "after": scores(0.1, 0.3, 0.1, 0.5)},
        {"before": scores(0.2, 0.3, 0.1, 0.0), "after": scores(0.3, 0.2, 0.1, 0.0)},
        {"before": scores(0.2, 0.3, 0.1, 0.0), "after": scores(0.1, 0.2, 0.05, 0.0)},
    ]
    line = script.paired(raw)
    assert line.startswith("Of 3 traces: error median lower in 2, higher in 1 (-3.3 points")
    assert "error p90 lower in 2, higher in 0" in line
    assert "largest jump lower in 1, higher in 0" in line
    assert line.endswith("stall at 100 % +0.5 s in all.")
