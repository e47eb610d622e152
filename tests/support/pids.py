"""A pid that no process of this pid namespace holds now: the maker of a lock or an upload
record that is provably over (its pid no longer runs here)."""

from __future__ import annotations

import os


def a_pid_not_running() -> int:
    """The highest pid from 4,000,000 down to 3,000,001 that ``kill(pid, 0)`` finds no
    process under (a pid refused otherwise, EPERM, runs); AssertionError if every one runs."""
    for pid in range(4_000_000, 3_000_000, -1):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except OSError:
            continue
    raise AssertionError("every pid runs")
