"""The engine's cancellable wait on a concurrent.futures.Future."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

import pytest

from offload.engine.cancel import CancelToken, wait_for
from offload.errors import CancelledError


def test_wait_for_returns_the_result_set_by_another_thread() -> None:
    future: Future[str] = Future()
    threading.Timer(0.15, future.set_result, ("published",)).start()
    assert wait_for(future, CancelToken()) == "published"


def test_wait_for_stops_waiting_once_cancelled() -> None:
    future: Future[None] = Future()
    cancel = CancelToken()
    threading.Timer(0.05, cancel.cancel).start()
    started = time.monotonic()
    with pytest.raises(CancelledError):
        wait_for(future, cancel)
    assert time.monotonic() - started < 2


def test_wait_for_raises_what_the_future_was_resolved_with() -> None:
    future: Future[None] = Future()
    future.set_exception(OSError("boom"))
    with pytest.raises(OSError, match="boom"):
        wait_for(future, CancelToken())
