"""Whether each local destination kept the dates its copies were given.

A copy is given its card file's modification time; a re-run matches the copy to its ledger
entry by that date. A filesystem that stores another date than the one set (fusefat under a
time zone other than UTC: FAT holds local time, so every date it shows is off by the zone's
offset) breaks that silently: the copies are verified, but no later run trusts them. So,
once a destination's copies are written, one copy it wrote there in this run (the first
whose card date every FAT and exFAT holds: the preflight names the others, code
``mtime-not-kept``) is ``stat``-ed and its date compared with its card file's, within FAT's
2 s steps: one call a destination, none a file. Off, one warning names the destination,
the copy and the shift, with the same code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from offload.fs.mtimes import mtime_range
from offload.plan.codes import PreflightCode, PreflightItem
from offload.results import CopyAction, DestinationStatus, FileResult
from offload.zone_shift import SLACK_NS, as_zone_offset

_NS = 1_000_000_000
_FAT = mtime_range("vfat")
# Copies asked at most a destination (one answers; a few more where copies vanished since).
_ASKED_AT_MOST = 3


def shift_words(shift_ns: int) -> str:
    """*shift_ns* (the copy's date minus its card file's) in words: ``5 h later``, ``5 h 30
    min earlier``, ``42 s later``. A shift within FAT's 2 s of a whole quarter hour is a
    time zone's (``zone_shift.as_zone_offset``: at most 14 h) and said as one: a card file
    dated at an odd second shows 4:59:59 later under a 5 h zone (FAT keeps 2 s steps), said
    ``5 h later``, not ``4 h 59 min``; a shift no zone has (14:59:59) is said as it is."""
    shift_ns = as_zone_offset(shift_ns) or shift_ns
    seconds = round(abs(shift_ns) / _NS)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    if not hours and not minutes:
        parts = [f"{secs} s"]
    return " ".join(p for p in parts if p) + (" later" if shift_ns > 0 else " earlier")


def date_not_kept(
    root: Path | str, index: int, files: Sequence[FileResult]
) -> PreflightItem | None:
    """The warning (``mtime-not-kept``) for destination *index* at *root* when a copy this
    run wrote there does not show its card file's date (beyond FAT's 2 s); None when it
    does, or no copy of this run there can tell (none written, a copy gone since)."""
    assert _FAT is not None
    asked = 0
    for file in files:
        if asked == _ASKED_AT_MOST:
            return None
        result = file.destination(index)
        if (
            result is None
            or result.action is not CopyAction.COPIED
            or result.status not in (DestinationStatus.VERIFIED, DestinationStatus.TRANSFER_CHECKED)
            or not _FAT.lowest_ns <= file.mtime_ns <= _FAT.highest_ns
        ):
            continue
        asked += 1
        try:
            shown = os.stat(result.final_path).st_mtime_ns
        except OSError:
            continue  # gone since, or the drive: others say so
        shift = shown - file.mtime_ns
        # FAT stores a date in steps of 2 s: a copy within that of its card file's kept it.
        if abs(shift) < SLACK_NS:
            return None
        return PreflightItem(
            PreflightCode.MTIME_NOT_KEPT,
            Path(root),
            f"{root}: the copies' dates are not their card files': {result.final_path} was "
            f"given its card file's date and its filesystem shows it {shift_words(shift)} "
            "(a filesystem that stores another date than the one set: FAT through a driver "
            "that holds local time, such as fusefat under a time zone other than UTC, shows "
            "every date off by the zone's offset); the copies are verified, but a later run "
            "cannot match them to their ledger by date and reads them back instead of "
            "trusting them: mount the drive so that it keeps the dates (fusefat: run it "
            "with TZ=UTC)",
            index,
        )
    return None
