"""The ``--json`` sink's progress ticker (``report/events_json.py``): its lines end with the
stream, and an exception of its own is said as any subscriber's, never a thread's traceback."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from offload.events import FanoutSink, JobStarted, SourceBytesRead
from offload.progress import ProgressModel
from offload.report.events_json import JsonLinesSink

TICKER = "offload-json-progress"
STARTED = JobStarted(
    files=1, total_bytes=10, destinations=("/d",), verify="full", algorithms=("xxh128",)
)


@pytest.fixture
def thread_errors(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The exceptions that ended a thread (each would be a traceback on stderr)."""
    seen: list[str] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(repr(args.exc_value)))
    yield seen


def test_the_ticker_ends_once_the_stream_is_abandoned(thread_errors: list[str]) -> None:
    """A reader gone (a pipe's read end closed): the first line abandons the stream, and the
    ticker ends at its next tick instead of making a line every 0.5 s nobody reads. Failed
    before: it ran to the job's end."""
    read, write = os.pipe()
    os.close(read)
    with open(write, "w", encoding="utf-8") as stream:
        sink = JsonLinesSink(stream, progress=ProgressModel(), interval_s=0.2)
        sink.emit(STARTED)
        sink.emit(SourceBytesRead(nbytes=1))
        # This sink's own ticker (another test's, in the same worker process, may still be
        # winding down: the CI's run under xdist saw one).
        ticker = sink._ticker
        assert ticker is not None and ticker.name == TICKER
        deadline = time.monotonic() + 2.0
        while ticker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        still = ticker.is_alive()
        sink.close()
    assert not still
    assert not thread_errors


def test_an_exception_of_the_ticker_is_said_as_a_subscriber_s(thread_errors: list[str]) -> None:
    """The ticker's snapshot raising (its model's clock failing on that thread): no thread
    traceback; the sink's next event raises it, and the ``FanoutSink`` the engine is handed
    names it in one warning (``events.isolated``). Failed before: the thread died with a
    traceback and the run never said so."""

    def clock() -> float:
        if threading.current_thread().name == TICKER:
            raise OSError("the clock failed")
        return time.monotonic()

    out = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    sink = JsonLinesSink(out, progress=ProgressModel(clock=clock), interval_s=0.2)
    fanout = FanoutSink(sink)
    try:
        fanout.emit(STARTED)
        fanout.emit(SourceBytesRead(nbytes=1))
        time.sleep(0.6)  # a tick or two
        fanout.emit(SourceBytesRead(nbytes=1))
    finally:
        sink.close()
        out.close()
    assert not thread_errors
    (warning,) = fanout.warnings
    assert "JsonLinesSink raised RuntimeError: its progress ticker stopped (OSError: " in warning
    assert "the clock failed" in warning, warning
