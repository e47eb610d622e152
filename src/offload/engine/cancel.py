"""A cancellation token shared by every thread of a job."""

from __future__ import annotations

import threading

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
