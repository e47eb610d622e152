"""What the card itself holds that is not whole, in the terminal's words: one line a kind.

    card_content(clips, media) -> [{"kind": ..., "count": ..., "message": "CARD CONTENT: ..."}]

The clip grouping (``clips.group_clips``, then ``frames.check_headers``) finds, from the
card's own file list, a recording whose spans skip a number (a RED clip's ``_001``,
``_002``, ``_004``: ``_003`` is not on the card), an image sequence whose frame numbers
skip some, frames that are not whole (0 bytes, or shorter than their DPX/Cineon header
states) and files named as clips that hold nothing (0 bytes); the clips' probing
(``media.probe_clips``, when the documents probe them) finds clips cut off or otherwise
not whole (``MediaInfo.damage``, each named with its words). The HTML and PDF reports name
each on page 1 and on its row; a DIT reading only the terminal saw "All N files verified"
and nothing of them. These lines are what the summary adds, one a kind: the count, the
first few named (the documents name every one) and, in each, that it is the card's own
content, copied as it is, not a copy that failed: a missing span is missing on the card too.
They change no exit code: the copies are what the verdict says.

Made where the grouping is made for the documents (``documents.render``: the report
worker, or the command for a large card), from the same clips: never a second grouping
(~0.16 s of CPU at 50,000 files, docs/performance.md, "twenty-sixth pass"). A pure
function: nothing here reads the card.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from offload.errors import printable_name
from offload.report.clips import Clip
from offload.report.words import plural

if TYPE_CHECKING:
    from offload.report.media import MediaInfo

#: How many of a kind a line names one by one (the HTML/PDF name them all).
NAMED = 3

#: What every line says of the copies: the card's content as it is, not a copy problem.
_AS_ON_THE_CARD = (
    "so on the card itself: the copies hold what the card holds, not a copy problem; check "
    "with the camera department"
)


def card_content(
    clips: Sequence[Clip], media: Mapping[int, MediaInfo] | None = None
) -> list[dict[str, Any]]:
    """The lines of *clips* (``group_clips``' rows, frames checked) and of their probing
    (*media*: ``probe_clips``' facts by row index; None or {}: not probed): for each kind
    found, ``kind`` (``spans-missing``, ``frames-missing``, ``frames-damaged``,
    ``empty-clip``, ``clip-damaged``), ``count`` (its rows) and ``message`` (the terminal's
    line); [] when the card's clips are whole. One pass over the rows."""
    spans: list[Clip] = []
    gaps: list[Clip] = []
    damaged: list[Clip] = []
    empty: list[Clip] = []
    cut: list[tuple[Clip, str]] = []  # a probed clip's damage, as the report's row says it
    probed = media or {}
    for index, clip in enumerate(clips):
        info = probed.get(index)
        if info is not None and info.damage:
            cut.append((clip, info.damage))
        if clip.missing_spans:
            spans.append(clip)
        if clip.kind == "sequence":
            if clip.gaps:
                gaps.append(clip)
            if clip.bad_frames:
                damaged.append(clip)
        elif clip.kind == "empty":
            empty.append(clip)
    found: list[dict[str, Any]] = []
    if spans:
        one = len(spans) == 1
        named = "; ".join(
            f"{_where(c)} has no {_listed([printable_name(m) for m in c.missing_spans], 5)}"
            for c in spans[:NAMED]
        )
        found.append(
            _line(
                "spans-missing",
                len(spans),
                f"{plural(len(spans), 'clip')} on the card {'is' if one else 'are'} missing "
                f"{'a span' if one and len(spans[0].missing_spans) == 1 else 'spans'} "
                f"({'a gap in its' if one else 'gaps in their'} numbers): {named}",
                "clips",
            )
        )
    if gaps:
        one = len(gaps) == 1
        named = "; ".join(
            f"{_where(c)} lacks {plural(c.missing_frames, 'frame')} "
            f"({_listed([_range(a, b) for a, b in c.gaps], 5)})"
            for c in gaps[:NAMED]
        )
        found.append(
            _line(
                "frames-missing",
                len(gaps),
                f"{plural(len(gaps), 'image sequence')} on the card "
                f"{'is' if one else 'are'} missing frames "
                f"({'a gap in its' if one else 'gaps in their'} frame numbers): "
                f"{named}",
                "sequences",
            )
        )
    if damaged:
        one = len(damaged) == 1
        named = "; ".join(
            f"{_where(c)}: {len(c.bad_frames)} of {c.frames} frames ("
            + _listed([f"{number} {why}" for number, why in c.bad_frames], 3)
            + ")"
            for c in damaged[:NAMED]
        )
        found.append(
            _line(
                "frames-damaged",
                len(damaged),
                f"{plural(len(damaged), 'image sequence')} on the card "
                f"{'has' if one else 'have'} frames that are not whole: {named}",
                "sequences",
            )
        )
    if empty:
        one = len(empty) == 1
        named = _listed([printable_name(str(c.primary.get("path"))) for c in empty], NAMED)
        found.append(
            _line(
                "empty-clip",
                len(empty),
                f"{plural(len(empty), 'file')} named as {'a clip' if one else 'clips'} on the "
                f"card {'is' if one else 'are'} empty (0 bytes: nothing was recorded in "
                f"{'it' if one else 'them'}): {named}",
                "files",
            )
        )
    if cut:
        one = len(cut) == 1
        named = "; ".join(f"{_where(c)}: {damage}" for c, damage in cut[:NAMED])
        found.append(
            _line(
                "clip-damaged",
                len(cut),
                f"{plural(len(cut), 'clip')} on the card {'is' if one else 'are'} not whole "
                f"(found by probing {'it' if one else 'them'}): {named}",
                "clips",
            )
        )
    return found


def _line(kind: str, count: int, what: str, rows: str) -> dict[str, Any]:
    more = (
        f"; and {count - NAMED} more {rows}, each named in the HTML/PDF report"
        if count > NAMED and kind != "empty-clip"
        else ""
    )
    return {
        "kind": kind,
        "count": count,
        "message": f"CARD CONTENT: {what}{more} ({_AS_ON_THE_CARD}).",
    }


def _where(clip: Clip) -> str:
    """A row as the line names it: its folder and its name (a spanned clip's first file
    and its count of spans, a sequence's frame range), as the terminal shows a name
    (``printable_name``: a control character or a byte that is not UTF-8 as its escape),
    so the line is the terminal's in ``--json``'s ``card_content`` too."""
    return printable_name(f"{clip.folder}/{clip.name}" if clip.folder else clip.name)


def _range(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _listed(items: list[str], limit: int) -> str:
    """The first *limit* of *items*, joined, with how many more there are."""
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown
