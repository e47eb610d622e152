"""A cancellation token shared by every thread of a job."""

from __future__ import annotations

# How often a blocked wait looks at the cancel token.
CANCEL_POLL_S = 0.1

#: Seconds a cancelled job's threads may take to stop before the job says what it waits
#: for (``events.CancelWaiting``): each looks at the token every ``CANCEL_POLL_S`` and
#: between its calls, and a call of a working card or drive returns well within this (a
#: chunk of 8 MiB written at 2 MB/s: 4 s).
CANCEL_WAITING_S = 5.0


class CancelToken:
    """Set once (Ctrl-C, SIGTERM, a caller) and seen by every thread of the job.

    Thread-safe: ``cancelled`` is a plain attribute, set to True once by ``cancel`` and never
    back (one store of a constant; safe from a signal handler), read without a call. Every
    wait polls it (``CANCEL_POLL_S``), so no Event is needed; a property over one was two
    Python calls each time it was asked, several times a file on every engine thread
    (docs/performance.md, "The 50,000-file card's copy phase: twentieth pass").
    """

    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
