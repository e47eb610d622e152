"""``interruptible.call``: a signal's stop comes out of it only once the worker has ended,
whatever further signal lands meanwhile; real signals sent to this process itself."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from offload import interruptible


class Stop(Exception):
    """What the test's SIGINT handler raises, numbered so that each raise is its own object."""


@contextmanager
def sigint_raising() -> Iterator[list[Stop]]:
    """A SIGINT handler that raises on every signal (the worst case a command's handler can
    be); yields the exceptions raised, in order."""
    raised: list[Stop] = []

    def handler(signum: int, frame: object) -> None:
        raised.append(Stop(f"stop {len(raised) + 1}"))
        raise raised[-1]

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield raised
    finally:
        signal.signal(signal.SIGINT, previous)


def sigint_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def stepping(steps: list[float], until: float = 5.0) -> Callable[[], None]:
    """A step every 0.1 s (its time appended to *steps*) for *until* seconds."""

    def function() -> None:
        end = time.monotonic() + until
        while time.monotonic() < end:
            time.sleep(0.1)
            steps.append(time.monotonic())

    return function


def workers(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name and t.is_alive()]


def ended(name: str) -> bool:
    """Whether the workers called *name* have settled (``done`` set, or stopped before they
    began: nothing more of theirs runs) and their threads then exit (given 10 s). Not ``not
    workers(name)`` at once: ``done`` is the worker's last step, and ``call`` may come out
    before its thread has exited (descheduled right after, as under load)."""
    for worker in workers(name):
        if not worker.settled():  # type: ignore[attr-defined]
            return False
        worker.join(10)
    return not workers(name)


def test_the_function_s_value_and_its_own_exception_come_back() -> None:
    assert interruptible.call("w", lambda: 42) == 42
    failure = ValueError("disk on fire")

    def failing() -> None:
        raise failure

    with pytest.raises(ValueError) as caught:
        interruptible.call("w", failing)
    assert caught.value is failure


def test_off_the_main_thread_the_function_is_called_directly() -> None:
    seen: list[object] = []

    def where() -> str:
        return threading.current_thread().name

    thread = threading.Thread(target=lambda: seen.append(interruptible.call("w", where)))
    thread.name = "api"
    thread.start()
    thread.join()
    assert seen == ["api"]


def test_a_signal_s_stop_comes_out_as_the_same_object_once_the_worker_ended() -> None:
    steps: list[float] = []
    with sigint_raising() as raised:
        timer = sigint_after(0.25)
        with pytest.raises(Stop) as caught:
            interruptible.call("w-stop", stepping(steps))
        timer.join()
    assert caught.value is raised[0] and str(caught.value) == "stop 1"
    assert ended("w-stop")
    count = len(steps)
    time.sleep(0.4)
    assert len(steps) == count


def test_a_further_signal_inside_the_stop_does_not_leave_the_worker_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Failed before: the second handler's raise inside ``stop`` escaped ``call`` with the
    worker alive; it took 6 more steps after ``call`` had raised."""
    real_stop = interruptible._Worker.stop
    signalled: list[bool] = []

    def stop_after_a_further_signal(self: interruptible._Worker[None], kind: type) -> None:
        if not signalled:
            signalled.append(True)
            signal.raise_signal(signal.SIGINT)
        real_stop(self, kind)

    monkeypatch.setattr(interruptible._Worker, "stop", stop_after_a_further_signal)
    steps: list[float] = []
    with sigint_raising() as raised:
        timer = sigint_after(0.25)
        with pytest.raises(Stop) as caught:
            interruptible.call("w-further", stepping(steps))
        timer.join()
    assert len(raised) == 2 and caught.value is raised[0]
    assert ended("w-further")
    count = len(steps)
    time.sleep(0.4)
    assert len(steps) == count


def test_a_signal_as_the_worker_starts_does_not_leave_it_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Failed before: ``start`` was outside the ``try``: its stop escaped with the worker
    started, the function running on."""
    real_start = interruptible._Worker.start

    def start_then_signal(self: interruptible._Worker[None]) -> None:
        real_start(self)
        signal.raise_signal(signal.SIGINT)  # as ``Thread.start``'s own wait would see it

    monkeypatch.setattr(interruptible._Worker, "start", start_then_signal)
    steps: list[float] = []
    with sigint_raising() as raised, pytest.raises(Stop) as caught:
        interruptible.call("w-start", stepping(steps))
    assert caught.value is raised[0] and ended("w-start")
    count = len(steps)
    time.sleep(0.4)
    assert len(steps) == count


def test_a_stop_after_the_function_returned_still_ends_the_worker_cleanly() -> None:
    """The signal comes as the function returns, its outcome not yet set (the worker's lock
    held until just after): the stop comes out, the worker ends, no exception escapes it."""
    escaped: list[threading.ExceptHookArgs] = []
    previous_hook = threading.excepthook
    threading.excepthook = escaped.append
    try:
        with sigint_raising() as raised:

            def returning() -> int:
                worker = threading.current_thread()
                lock = worker._lock  # type: ignore[attr-defined]
                lock.acquire()  # the outcome cannot be set until the timer lets it
                threading.Timer(0.3, lock.release).start()
                os.kill(os.getpid(), signal.SIGINT)
                return 7

            with pytest.raises(Stop) as caught:
                interruptible.call("w-late", returning)
        assert caught.value is raised[0]
        assert ended("w-late") and escaped == []
    finally:
        threading.excepthook = previous_hook
