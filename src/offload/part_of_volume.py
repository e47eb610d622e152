"""Part of a volume offloaded: a source below its volume's root beside other entries with data.

The fact the preflight finds (``plan.preflight.volumes``), the card's pass record keeps
(``cascade``) and the card release reads (``report.release``). A module of its own, outside
the ``plan`` package, so that the report worker, which draws the release's words, never
loads the copy's planning (``tests/report/test_report_worker.py`` checks what it loads).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from offload.errors import printable_name


class PartOfVolume(NamedTuple):
    """A source below its volume's root beside other entries with data (the
    ``source-part-of-volume`` finding): the volume's mount point (or, for a bind mount of a
    folder whose volume is mounted nowhere else, the source's path), the source's path below it,
    the first entry left outside (a folder's ending in ``/``) and how many (``outside``)
    were: 0 when the rest could not be looked at (that bind mount). ``card``: the volume
    may be a camera card (FAT or exFAT, or a camera card's layout at its root): only then is
    it called "the card", offered whole, and kept by the card release. The preflight warns
    only of a card (a folder of a data drive or a RAID offloaded is everyday work, no card
    to format); False is read as "no card to keep" (``report.release``)."""

    volume: str
    within: str
    outside_first: str
    outside: int
    card: bool = True

    def as_dict(self) -> dict[str, object]:
        """As a report (``card_part_of_volume``) and the record of the card's pass give it."""
        return {
            "path": self.volume,
            "within": self.within,
            "outside_first": self.outside_first,
            "count": self.outside,
            "card": self.card,
        }

    @classmethod
    def of(cls, found: object) -> PartOfVolume | None:
        """The fact as *found* (``as_dict``'s mapping, a report's warning, a record's) gives
        it; None where it is no mapping. A missing ``card`` is True (an older record: every
        part-of-volume fact then kept the card)."""
        if not isinstance(found, dict):
            return None
        count = found.get("count")
        return cls(
            str(found.get("path") or ""),
            str(found.get("within") or ""),
            str(found.get("outside_first") or ""),
            count if isinstance(count, int) else 0,
            found.get("card") is not False,
        )

    def words(self, *, done: bool, by_whom: str = "this run") -> str:
        """The one sentence of the preflight's warning (*done* False: "is offloaded ... is not
        copied") and of the card release's reason (*done* True: "was offloaded ... was not
        copied from the card by *by_whom*")."""
        noun = "card" if self.card else "volume"
        is_ = "was" if done else "is"
        within = printable_name(self.within)
        if not self.outside:
            return (
                f"only {within} of the {noun} seen at {printable_name(self.volume)} {is_} "
                f"offloaded: the source is a bind mount of that folder and the {noun} is "
                "mounted nowhere else, so the rest of it could not be looked at"
            )
        one = self.outside == 1
        where = f"the {noun} mounted at {printable_name(self.volume)}"
        head = (
            f"only {within} of {where} {is_} offloaded: "
            f"{'1 other entry' if one else f'{self.outside:,} other entries'} on it "
            f"({printable_name(self.outside_first)} first) "
        )
        are = ("was" if one else "were") if done else ("is" if one else "are")
        if done:
            return f"{head}{are} not copied from the {noun} by {by_whom}"
        return f"{head}{are} not copied by this run"


def card_of(warnings: Iterable[object], source_volume: object) -> tuple[PartOfVolume, str] | None:
    """The card a run offloaded one folder (or file) of, and the card's name, from the run's
    *warnings* (a job report's, as dicts: its ``source-part-of-volume`` warning, a card's)
    and its *source_volume* (``report.volumes``): the card's volume label (read from the
    filesystem, of the volume mounted where the card is), else its mount folder's name
    (``/media/A001`` -> ``A001``). None for any other run (a whole card, a folder of a drive
    that is no card) and for a bind mount of the folder alone (the card's name is not
    known). The one naming of such a card: the documents' title and Card row, the JSON's
    default ``production.reel``, the reports' file names."""
    for warning in warnings:
        if not isinstance(warning, Mapping) or warning.get("code") != "source-part-of-volume":
            continue
        part = PartOfVolume.of(dict(warning))
        if part is None or not part.card or not part.within:
            continue
        volume: Mapping[str, Any] = source_volume if isinstance(source_volume, Mapping) else {}
        label = volume.get("volume_label")
        if (
            label
            and volume.get("volume_label_from") != "mount point"
            and str(volume.get("mount_point") or "").rstrip("/") == part.volume.rstrip("/")
        ):
            return part, str(label)
        if part.outside:  # the card mounted whole: its mount folder
            return part, part.volume.rstrip("/").rsplit("/", 1)[-1] or part.volume
        return None  # a bind mount of the folder alone
    return None


def absent_card_name(warnings: Iterable[object]) -> str | None:
    """The name of the card a cascade re-run without its card stands in for, where the
    card's run offloaded one folder of it (the ``card-absent`` warning's
    ``card_part_of_volume``, a card's): its mount folder's name (``/media/A001``: the card
    is gone, its label unread). None for any other run, and for a card offloaded whole
    (its path is then the card's own, named by the caller)."""
    for warning in warnings:
        if not isinstance(warning, Mapping) or warning.get("code") != "card-absent":
            continue
        part = PartOfVolume.of(warning.get("card_part_of_volume"))
        if part is None or not part.card or not part.within or not part.outside:
            return None
        return part.volume.rstrip("/").rsplit("/", 1)[-1] or part.volume
    return None
