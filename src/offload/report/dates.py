"""The reports' one date format: UTC, to the second, ``2026-12-07T06:00:41Z``. Every
report's dates are written so, the job report's (``job_report``) and ``offload verify``'s
alike: a reader of both meets one format (docs/json.md). A module of its own so that a
command writing dates only (``offload verify``) does not import the job report's."""

from __future__ import annotations

import functools
import math
import time


def iso_date(timestamp: float | None) -> str | None:
    """*timestamp* (seconds since the epoch) as the reports' UTC date, to the second (its
    floor, as ``gmtime``); None for None."""
    if timestamp is None:
        return None
    # gmtime takes a float's floor (its seconds); a run's dates share their seconds (the
    # files verified in the same second, a card's clips recorded in it), so each second is
    # formatted once: twice a file and report file (mtime, verified_at) was ~0.14 s of
    # CPU at 50,000 files for the JSON and again for the CSV.
    return _iso_second(math.floor(timestamp))


@functools.lru_cache(maxsize=4096)
def _iso_second(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))


def utc_words(timestamp: float, *, seconds: bool = False) -> str:
    """*timestamp* in UTC, the zone named (``2026-12-07 09:19 UTC``; *seconds*:
    ``09:19:05 UTC``): the one wording of a time inside a message a report keeps (a file's
    ``error``, a warning's ``message``, a refusal's reason: the JSON, the CSV, the HTML and
    PDF, ``offload verify``'s report), which the terminal prints as it is. Never the
    machine's zone: a report mailed and archived must read the same wherever it was made,
    and its other dates are UTC (``Started 2026-12-07 09:21:48 UTC``); a local time there,
    another calendar day in Honolulu, read as another time. The summary's own lines, which
    no report keeps, give local time (``report.words.local_time``)."""
    shape = "%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC"
    return time.strftime(shape, time.gmtime(timestamp))
