"""A card read under another time zone than the one its copies were recorded under.

FAT stores a file's local time, with no zone: a card mounted by a system in another zone
(fusefat, or a kernel's ``vfat`` with another ``tz=``/``time_offset=``) shows every date off
by that zone's offset, a whole number of quarter hours up to 14 h. Name, size and content
are the card's; only the dates moved, all by the same amount. The ledger matches a copy by
date, so none matches: without this, a card of unknown identity read so was refused as
another card's offload (exit 64) and a known one re-read whole with words blaming another
card or a changed file.

``zone_shift`` tells it from the scan and the ledger alone, then proves it by content: every
(or nearly every) card file with an entry of its size at its path off by the same zone
offset, and the fingerprints (``offload.fingerprint``) of up to three of them equal to those
their entries recorded. The usual re-run costs one comparison (its first file's date is the
entry's); only a shift reads, at most three fingerprints.

What is done with such a card is the honest thing, not the quick one: its copies are read
back and compared with the card (adopted: verified now, recorded with the dates as read
now), never trusted by a date that does not match; one warning says why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from offload import fingerprint
from offload.ledger import LedgerEntries
from offload.model import SourceFile

_NS = 1_000_000_000
# Time zones are whole quarter hours from UTC (India +5:30, Nepal +5:45), at most 14 h
# (Kiribati +14); FAT's dates are in 2 s steps.
ZONE_STEP_NS = 15 * 60 * _NS
MOST_NS = 14 * 3600 * _NS
SLACK_NS = 2 * _NS
# "Nearly every": a file changed since (its own date) may stand beside the shifted ones.
_NEARLY_EVERY = 0.9
_FINGERPRINTS_READ = 3
# The files compared before a card whose dates differ otherwise is let go (another card's
# dates are not one zone offset away): the rest of a 50,000-file card is not walked.
_DECIDED_AFTER = 16


def as_zone_offset(delta_ns: int) -> int | None:
    """*delta_ns* as a zone offset (a whole quarter hour, within FAT's 2 s, not 0, at most
    14 h), or None. One rule for every place that tells a zone's shift from another
    (``dates_kept.shift_words`` too)."""
    steps = round(delta_ns / ZONE_STEP_NS)
    offset = steps * ZONE_STEP_NS
    if steps == 0 or abs(offset) > MOST_NS or abs(delta_ns - offset) > SLACK_NS:
        return None
    return offset


def _shifted(offsets: Counter[int | None]) -> bool:
    """Whether every, or nearly every, date compared is off by one zone offset."""
    if not offsets:
        return False
    ((offset, count),) = offsets.most_common(1)
    return offset is not None and count >= _NEARLY_EVERY * offsets.total()


def zone_shift(
    entries: LedgerEntries, files: Sequence[SourceFile], card: str = ""
) -> tuple[int, int] | None:
    """The offset (ns, card date minus recorded date) by which every, or nearly every, card
    file of *files* with a standing entry of its size at its path in *entries* is dated,
    and how many are, when it is a time zone's, those files are nearly every entry the
    ledger holds (of the card *card*, its ``CardIdentity.key``, when it is known and the
    ledger records it; at least three, or all of them), and up to three of them read now
    have the fingerprint their entries recorded; else None (no entry, the dates match,
    differ otherwise, too few of the ledger's files are on the card shifted, no entry
    records a fingerprint, or one read differs).

    Nearly every file of the LEDGER, not only of the card's files it records: another card
    of the same folder name that shares one file with this one (a camera's setup file,
    dated an hour apart) is not this card read under another zone."""
    if not entries.latest:
        return None
    offsets: Counter[int | None] = Counter()
    candidates: list[tuple[SourceFile, str, int | None]] = []
    for file in files:
        entry = entries.latest.get(file.relative_path)
        if entry is None or not entry.vouches or entry.size_bytes != file.size_bytes:
            continue
        delta = file.mtime_ns - entry.mtime_ns
        if not offsets and abs(delta) <= SLACK_NS:
            return None  # the usual re-run: the first file's date is its entry's
        offset = as_zone_offset(delta)
        offsets[offset] += 1
        if offsets.total() == _DECIDED_AFTER and not _shifted(offsets):
            return None  # dates that differ otherwise (another card): no need to go on
        if entry.fingerprint and len(candidates) < 4 * _FINGERPRINTS_READ:
            candidates.append((file, entry.fingerprint, offset))
    if not _shifted(offsets):
        return None
    ((offset, count),) = offsets.most_common(1)
    if not _most_of_the_ledger(entries, card, count):
        return None
    read = 0
    for file, recorded, its_offset in candidates:
        if its_offset != offset:
            continue
        if fingerprint.read_or_nothing(file.path_text, file.size_bytes) != recorded:
            return None
        read += 1
        if read == _FINGERPRINTS_READ:
            break
    return (offset, count) if read and offset is not None else None


def _most_of_the_ledger(entries: LedgerEntries, card: str, count: int) -> bool:
    """Whether *count* card files shifted by one offset are nearly every standing entry of
    *entries* (those of *card* where the ledger records it: another card's beside them
    are not this card's) and at least three, or all of them. Walked on a shift only."""
    vouching = [e for e in entries.latest.values() if e.vouches]
    own = [e for e in vouching if e.card == card] if card else []
    recorded = len(own or vouching)
    return count >= _NEARLY_EVERY * recorded and count >= min(_FINGERPRINTS_READ, recorded)


def offset_words(offset_ns: int) -> str:
    """*offset_ns* as a zone difference: ``5 h``, ``5 h 30 min``, ``45 min``."""
    minutes = abs(offset_ns) // (60 * _NS)
    hours, minutes = divmod(minutes, 60)
    return " ".join(
        p for p in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if p
    )


def warning_words(root: str, offset_ns: int, count: int) -> str:
    """The warning of a card whose files are dated *offset_ns* off from what the ledger of
    the copy root *root* records (``zone_shift``): the same card read under another zone."""
    direction = "later" if offset_ns > 0 else "earlier"
    return (
        f"{root}: this card's files are dated {offset_words(offset_ns)} {direction} than its "
        f"ledger records for the same files (names, sizes and content fingerprints equal, "
        f"{count} files): the same card read under another time zone (FAT stores local "
        "time); its copies there are read back and compared with the card, not trusted by "
        "date (equal: adopted, verified now, recorded with the dates as read now)"
    )
