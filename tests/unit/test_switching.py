"""``engine.switching``: the switch interval held by overlapping jobs of one process."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from offload.engine.switching import JOB_SWITCH_INTERVAL, job_switch_interval


@pytest.fixture(autouse=True)
def _interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield
    sys.setswitchinterval(before)


def _is(value: float) -> bool:
    return abs(sys.getswitchinterval() - value) < 1e-9


def test_overlapping_holders_restore_once_the_last_leaves_in_any_order() -> None:
    first, second = job_switch_interval(), job_switch_interval()
    first.__enter__()
    assert _is(JOB_SWITCH_INTERVAL)
    second.__enter__()
    first.__exit__(None, None, None)  # the first job ends while the second runs
    assert _is(JOB_SWITCH_INTERVAL)
    second.__exit__(None, None, None)
    assert _is(0.005)


def test_a_shorter_interval_set_before_is_kept() -> None:
    sys.setswitchinterval(0.0001)
    with job_switch_interval():
        assert _is(0.0001)
    assert _is(0.0001)


def test_restored_when_the_body_raises() -> None:
    with pytest.raises(RuntimeError), job_switch_interval():
        raise RuntimeError("a job's bug")
    assert _is(0.005)


def test_jobs_on_threads_restore_the_interval_found_by_the_first() -> None:
    inside = threading.Barrier(4)
    leave = threading.Event()

    def job() -> None:
        with job_switch_interval():
            inside.wait()
            leave.wait()

    threads = [threading.Thread(target=job) for _ in range(3)]
    for thread in threads:
        thread.start()
    inside.wait()
    assert _is(JOB_SWITCH_INTERVAL)
    leave.set()
    for thread in threads:
        thread.join()
    assert _is(0.005)


def test_an_interval_the_interpreter_reads_back_inexactly_is_restored_exactly() -> None:
    """The interpreter keeps whole microseconds; some read back a hair below and, set back
    as read, lose one. The job restores every one of them exactly."""
    inexact = []
    for micros in range(501, 20_000, 7):
        sys.setswitchinterval((micros + 0.5) / 1e6)
        sys.setswitchinterval(sys.getswitchinterval())  # a plain restore
        if round(sys.getswitchinterval() * 1e6) != micros:
            inexact.append(micros)
    assert inexact  # what the test is about exists
    for micros in inexact:
        sys.setswitchinterval((micros + 0.5) / 1e6)
        with job_switch_interval():
            pass
        assert round(sys.getswitchinterval() * 1e6) == micros
