"""The interpreter's switch interval while copy jobs run.

Contract: ``job_switch_interval()`` is a context manager a job holds while its threads run.
While at least one holder is inside it, ``sys.getswitchinterval()`` is at most
``JOB_SWITCH_INTERVAL`` (a shorter interval set before the first holder entered is kept);
when the last holder leaves, the interval the first holder found is restored. The setting is
process-wide, so overlapping jobs in one process (threads, a cascade's jobs, a library
caller's) share it: a count of holders under a lock, set by the first to enter, restored by
the last to leave, whatever the order they leave in. A change another caller makes while
jobs hold it is overwritten by the restore at the end (the interpreter has one value; this
module does not guess whose wins).

Why (docs/performance.md, "The switch interval": twenty-sixth pass): a copy is a pipeline of
threads (a reader, a writer and a committer a destination) that hand each other small
pieces of work; with the default 5 ms interval a thread that a peer woke waits up to 5 ms
for the interpreter lock while the holder runs Python, and on a card of small files the
stages take turns thousands of times a second. At 0.5 ms they take turns sooner. Large
files spend their time in C calls that release the lock (reads, writes, hashing), where the
interval does not apply.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Seconds: the interval while a job runs.
JOB_SWITCH_INTERVAL = 0.0005

_lock = threading.Lock()
_holders = 0
_found = 0.0  # the interval the first holder found, restored by the last
_changed = False  # whether the first holder changed it (else nothing is restored)


@contextmanager
def job_switch_interval() -> Iterator[None]:
    """Hold the job's switch interval for the body (see the module docstring)."""
    global _holders, _found, _changed
    with _lock:
        if _holders == 0:
            _found = sys.getswitchinterval()
            _changed = _found > JOB_SWITCH_INTERVAL
            if _changed:
                sys.setswitchinterval(JOB_SWITCH_INTERVAL)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _changed:
                sys.setswitchinterval(_restorable(_found))


def _restorable(found: float) -> float:
    """*found* as ``sys.setswitchinterval`` takes it back: the interpreter keeps whole
    microseconds, truncated, and ``getswitchinterval`` returns them divided by a million,
    which can read a hair below (100 µs as 9.999999999999999e-05, set back as 99 µs)."""
    return (round(found * 1e6) + 0.5) / 1e6
