"""A cancellation token shared by every thread of a job."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import TypeVar

from offload.errors import CancelledError

T = TypeVar("T")

# How often a blocked wait looks at the cancel token.
CANCEL_POLL_S = 0.1


class CancelToken:
    """Set once (Ctrl-C, SIGTERM, a caller) and seen by every thread of the job.

    Thread-safe. Setting it is safe from a signal handler (it only sets an Event).
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


def wait_for(future: Future[T], cancel: CancelToken) -> T:
    """The future's result, waiting as long as it takes unless the job is cancelled.

    Raises CancelledError once *cancel* is set while waiting (looked at every
    ``CANCEL_POLL_S``), and whatever the future was resolved with as an exception.
    """
    while True:
        try:
            return future.result(timeout=CANCEL_POLL_S)
        except TimeoutError:
            if cancel.cancelled:
                raise CancelledError("cancelled") from None
