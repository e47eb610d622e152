"""The modification times a filesystem can hold, where that is narrower than a card's.

FAT and exFAT store a file's date as years since 1980 in 7 bits: 1980-01-01 00:00:00 to
2107-12-31 23:59:59 (FAT in steps of 2 s). A card file dated outside that range (a camera
whose clock was never set: 1970; a bad one: 2120) cannot keep its mtime there: the kernel's
drivers clamp it to the nearest end, exfat-fuse clamps a date before 1980 to 1980-01-01 but
stores one after 2107 128 years earlier, within a day (2120-01-01 read back as 1991-12-31,
2200 as 2071-12-31, once the drive is mounted again); until then the cached inode shows
the time that was set. fusefat wraps the
7-bit year at both ends and shows it at once: 1975 is stored as 2103, 2120 as 1992.

So a copy's mtime on such a drive is not evidence of anything when the source's is out of
range: the preflight names those files (``mtime-not-kept``), and the ledger recognises its
own copy whose mtime the filesystem changed (``ledger.Ledger.recorded``).
Other filesystems a card is offloaded to (ext4, XFS with bigtime, btrfs, NTFS, APFS) hold
every date a camera writes; they are not listed here.
"""

from __future__ import annotations

import time
from typing import NamedTuple

_NS = 1_000_000_000


class MtimeRange(NamedTuple):
    """The modification times a filesystem holds, inclusive, in ns since the epoch (UTC: the
    drivers' default; a FAT drive mounted with another ``tz=`` shifts them by its offset)."""

    name: str  # as messages say it: "exFAT", "FAT"
    lowest_ns: int
    highest_ns: int
    # A date before the range is stored 128 years later (fusefat's 7-bit year wraps), not
    # clamped to the range's start; after the range it wraps 128 years earlier likewise.
    wraps: bool = False
    # A date after the range alone is stored 128 years earlier, one before it clamped to
    # the range's start (exfat-fuse; the kernel's exfat clamps both ends).
    wraps_after: bool = False

    def holds(self, mtime_ns: int) -> bool:
        return self.lowest_ns <= mtime_ns <= self.highest_ns

    def stored_as(self, mtime_ns: int, shown_ns: int) -> bool:
        """Whether *shown_ns* is a date this filesystem gives a file set to *mtime_ns* (out
        of its range): the nearer end of the range (the kernel drivers' clamp; exfat-fuse's
        before 1980), within FAT's 2 s; or, after the range, the date exfat-fuse stores
        instead (its 7-bit year wraps: 128 years earlier), within a day (exfat-fuse keeps
        local time); for a range that ``wraps`` (fusefat), the date 128 years later or
        earlier, within FAT's 2 s. Nothing else: a date a user or another tool gave the file
        is not one."""
        if self.wraps:
            wrapped = self._wrapped(mtime_ns)
            return wrapped is not None and abs(shown_ns - wrapped) <= 2 * _NS
        end = self.lowest_ns if mtime_ns < self.lowest_ns else self.highest_ns
        if abs(shown_ns - end) <= 2 * _NS:
            return True
        if mtime_ns <= self.highest_ns:
            return False
        wrapped = _years_earlier(mtime_ns, 128)
        return wrapped is not None and abs(shown_ns - wrapped) <= 26 * 3600 * _NS

    def _wrapped(self, mtime_ns: int) -> int | None:
        """The date a wrapping filesystem stores for *mtime_ns* (out of its range)."""
        return _years_earlier(mtime_ns, -128 if mtime_ns < self.lowest_ns else 128)

    def held_as(self, mtime_ns: int) -> str:
        """What the copy of a file dated *mtime_ns* will show, in words."""
        if self.wraps:
            wrapped = self._wrapped(mtime_ns)
            shown = "an unrelated date" if wrapped is None else _date(wrapped)
            return f"{shown} ({self.name} stores the year 128 years off: its 7-bit year wraps)"
        if mtime_ns < self.lowest_ns:
            return f"{_date(self.lowest_ns)} (the earliest date {self.name} holds)"
        if self.wraps_after:
            wrapped = _years_earlier(mtime_ns, 128)
            # Within a day: exfat-fuse keeps local time (``stored_as``).
            shown = "an unrelated date" if wrapped is None else f"about {_date(wrapped)[:10]}"
            return (
                f"{shown} once the drive is mounted again (exfat-fuse stores the year 128 "
                "years earlier: its 7-bit year wraps)"
            )
        return f"{_date(self.highest_ns)} (the latest date {self.name} holds)"


def _years_earlier(mtime_ns: int, years: int) -> int | None:
    """*mtime_ns* (UTC) the same day and time *years* earlier (29 February: the 28th); None
    where the calendar cannot say."""
    import datetime

    try:
        when = datetime.datetime.fromtimestamp(mtime_ns // _NS, datetime.UTC)
        try:
            earlier = when.replace(year=when.year - years)
        except ValueError:
            earlier = when.replace(year=when.year - years, day=28)
    except (OverflowError, OSError, ValueError):
        return None
    return int(earlier.timestamp()) * _NS + mtime_ns % _NS


def _date(mtime_ns: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(mtime_ns // _NS))


def describe(mtime_ns: int) -> str:
    """A file's mtime as messages name it (UTC), also one before 1970."""
    seconds = mtime_ns // _NS
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))
    except (OverflowError, OSError, ValueError):
        return f"{seconds} s since 1970"


# 1980-01-01 00:00:00 and 2107-12-31 23:59:59 UTC (calendar.timegm; not imported at start-up).
_LOWEST_S = 315_532_800
_HIGHEST_S = 4_354_819_199
_EXFAT = MtimeRange("exFAT", _LOWEST_S * _NS, _HIGHEST_S * _NS + _NS - 1)
_EXFAT_FUSE = _EXFAT._replace(wraps_after=True)
_FAT = MtimeRange("FAT", _LOWEST_S * _NS, (_HIGHEST_S - 1) * _NS)
# fusefat keeps FAT's 2 s steps but wraps the year at both ends instead of clamping it.
_FUSEFAT = MtimeRange("FAT through fusefat", _FAT.lowest_ns, _FAT.highest_ns, wraps=True)
_FAT_TYPES = frozenset({"vfat", "msdos", "fat", "umsdos"})


def mtime_range(fstype: str, mounted_as: str = "") -> MtimeRange | None:
    """The range of *fstype* (``plan.filesystem.FilesystemInfo``'s ``on_device`` or the
    kernel's type: ``exfat``, ``vfat``, ``fuse.exfat``, ``fuse.fusefat``), or None: a
    filesystem that holds every date a card holds. *mounted_as*: the kernel's type of the
    mount (``fuseblk`` for exfat-fuse, whose dates after 2107 wrap: ``wraps_after``)."""
    fstype = fstype.lower()
    subtype = fstype[5:] if fstype.startswith("fuse.") else fstype
    if "exfat" in subtype:
        return _EXFAT_FUSE if (mounted_as or fstype).startswith("fuse") else _EXFAT
    if fstype == "fuse.fusefat":
        return _FUSEFAT
    if fstype in _FAT_TYPES or (fstype.startswith("fuse.") and "fat" in subtype):
        return _FAT
    return None
