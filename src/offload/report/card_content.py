"""What the card itself holds that is not whole, in the terminal's words: one line a kind.

    card_content(clips, media) -> [{"kind": ..., "count": ..., "message": "CARD CONTENT: ..."}]

The clip grouping (``clips.group_clips``, then ``frames.check_headers``) finds, from the
card's own file list, a recording whose spans skip a number (a RED clip's ``_001``,
``_002``, ``_004``: ``_003`` is not on the card), an image sequence whose frame numbers
skip some, frames that are not whole (0 bytes, or shorter than their DPX/Cineon header
states), files named as clips and sound files (a clip's own too) that hold nothing (0
bytes) and GoPro recordings whose proxy
or thumbnail is on the card without their video; the clips' probing
(``media.probe_clips``, when the documents probe them) finds clips cut off or otherwise
not whole (``MediaInfo.damage``, each named with its words), and files named as clips or
audio takes that are not readable as media at all (``content.unreadable_as_media``). The
HTML and PDF reports name each on page 1 and on its row; a DIT reading only the terminal
saw "All N files verified" and nothing of them. These lines are what the summary adds, one
a kind: the count, the first few named (the documents name every one) and, in each, that
it is the card's own content, copied as it is, not a copy that failed: a missing span is
missing on the card too.
They change no exit code: the copies are what the verdict says.

Made where the grouping is made for the documents (``documents.render``: the report
worker, or the command for a large card), from the same clips: never a second grouping
(~0.16 s of CPU at 50,000 files, docs/performance.md, "twenty-sixth pass"). A pure
function: nothing here reads the card.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from offload.errors import printable_name
from offload.report.clips import Clip, empty_files_of, spans_told
from offload.report.content import (
    EMPTY_FILES,
    FLAG_KINDS,
    FRAMES_DAMAGED,
    FRAMES_MISSING,
    SPANS_MISSING,
    VIDEO_MISSING,
    Flag,
    own_flags,
    read_back,
)
from offload.report.media_record import files_found
from offload.report.probed_kinds import CLIP_DAMAGED, NOT_READABLE, PROBED_KINDS
from offload.report.source_words import of_the_source
from offload.report.words import listed, plural

if TYPE_CHECKING:
    from offload.report.media import MediaInfo

#: How many of a kind a line names one by one (the HTML/PDF name them all).
NAMED = 3

#: What every line says of the copies: the card's content as it is, not a copy problem;
#: that the copies hold what the card holds only where each copy of its rows was read back
#: (``content.read_back``), never of a copy transfer-checked only or failed, nor of a file
#: the card did not read whole (``_as_on_the_card``).
_AS_ON_THE_CARD = (
    "so on the card itself: the copies hold what the card holds, not a copy problem; check "
    "with the {who}"
)
_ON_THE_CARD = "so on the card itself, not a copy problem; check with the {who}"
#: The same of a source that is a copy root of ours (``source_is_copy``): no card, so the
#: offload that made that copy is the first to look at, then the card if it is kept, before
#: the department that recorded it.
_AS_IN_THE_COPY = (
    "so in the source copy itself: the copies hold what the source copy holds, not a problem "
    "of this run's copies; check the offload that made the source copy (its report, and the "
    "camera card if it is still kept) before the {who}"
)
_IN_THE_COPY = (
    "so in the source copy itself, not a problem of this run's copies; check the offload that "
    "made the source copy (its report, and the camera card if it is still kept) before the {who}"
)


def _as_on_the_card(clips: Sequence[Clip], sound: set[bool], *, copy: bool = False) -> str:
    """The tail of a line of *clips* (its rows' clips; *sound*: whether each row is named
    as sound, True, or as a picture, False): whom to ask (the sound department of a sound
    file, the camera department of a clip), and whether the copies are proven to hold what
    the card holds (``content.read_back``); of a source that is a copy root of ours
    (*copy*), the source copy's words."""
    who = (
        "camera or sound department"
        if len(sound) > 1
        else "sound department"
        if True in sound
        else "camera department"
    )
    whole = all(read_back(c) for c in clips)
    if copy:
        return (_AS_IN_THE_COPY if whole else _IN_THE_COPY).format(who=who)
    said = _AS_ON_THE_CARD if whole else _ON_THE_CARD
    return said.format(who=who)


def card_content(
    clips: Sequence[Clip],
    media: Mapping[int, MediaInfo] | None = None,
    empty_of: Mapping[int, Sequence[tuple[str, str]]] | None = None,
    *,
    source_is_copy: bool = False,
    flags_of: Mapping[int, Sequence[Flag]] | None = None,
) -> list[dict[str, Any]]:
    """The lines of *clips* (``group_clips``' rows, frames checked) and of their probing
    (*media*: ``probe_clips``' facts by row index; None or {}: not probed): for each kind
    found (``content.FLAG_KINDS``), ``kind``, ``count`` (its rows) and ``message`` (the
    terminal's line); [] when the card's clips are whole. *empty_of*: each row's empty
    files by the ``id`` of its clip (``clips.empty_files_of``, found once for the
    documents: their rows and page 1 count the same); None: found here. One pass over the
    rows, each counted under the kinds of its own ⚠ (``content.own_flags``: the one
    judgement of what is not whole, its row's and page 1's too), then one line a kind
    found, in ``FLAG_KINDS``' order (``_LINES``: what its rows are called, its words). A
    flag of a kind with no line raises KeyError: never a line silently left out.
    *source_is_copy*: the source is no card but a copy root of ours (JSON
    ``card_release.source_is_copy``): each line is said of the source copy, ``SOURCE
    CONTENT``, its rows' names as they are (``source_words``). *flags_of*: each row's own ⚠
    by the ``id`` of its clip (``content.own_flags_of`` of *media* and *empty_of*, made
    once for the documents); None: made here."""
    if empty_of is None:
        empty_of = empty_files_of(clips)
    probed = media or {}
    # A kind's rows: its clips; an empty file's (path, what its name made it look like);
    # a probed clip's (clip, its damage as the report's row says it).
    rows: dict[str, list[Any]] = {kind: [] for kind in FLAG_KINDS}
    # Each kind's clips, for what its line may say of their copies (``_as_on_the_card``).
    clips_of: dict[str, list[Clip]] = {kind: [] for kind in FLAG_KINDS}
    # What the probing found of each file, for the kinds only it finds: kept in the job
    # report, so that documents made again without the media say it too (``media_record``).
    files_of: dict[str, list[dict[str, Any]]] = {kind: [] for kind in PROBED_KINDS}
    for index, clip in enumerate(clips):
        found = empty_of.get(id(clip), ())
        # The row's own ⚠ decide which lines count it, as they decide its row's and page
        # 1's warnings (``own_flags``: the one judgement); most clips have none.
        if flags_of is None:
            flags: Sequence[Flag] = own_flags(clip, probed.get(index), found)
        else:
            flags = flags_of.get(id(clip), ())
        if not flags:
            continue
        empty = iter(found)  # one EMPTY_FILES flag a file of *found*, in its order
        for flag in flags:
            clips_of[flag.kind].append(clip)
            if flag.kind in files_of:
                files_of[flag.kind].append(files_found(flag.kind, clip, probed[index]))
            rows[flag.kind].append(
                next(empty)
                if flag.kind == EMPTY_FILES
                else (clip, flag.row)
                if flag.kind == CLIP_DAMAGED
                else (clip, probed[index].invalid_data)
                if flag.kind == NOT_READABLE
                else clip
            )
    lines = []
    for kind in FLAG_KINDS:
        noun, said = _LINES[kind]
        if found_rows := rows[kind]:
            # Named as sound: an audio take; an empty file by its noun (a clip's own WAV).
            sound = (
                {noun == "sound file" for _, noun in found_rows}
                if kind == EMPTY_FILES
                else {c.kind == "audio" for c in clips_of[kind]}
            )
            tail = _as_on_the_card(clips_of[kind], sound, copy=source_is_copy)
            line = _line(kind, len(found_rows), said(found_rows), noun, tail)
            if source_is_copy:
                names = [_where(c) for c in clips_of[kind]]
                if kind == EMPTY_FILES:  # named by their paths, not their clips
                    names += [printable_name(path) for path, _ in found_rows]
                line["message"] = of_a_copy(line["message"], names)
            if kind == NOT_READABLE:
                # Every one by name: past MAX_CLIP_ROWS the clip list folds them into
                # their folder's row, which names the first few (``content._media_rows``).
                # Exact, as every path field of the JSON is (its file's path on the card,
                # never the printed name the message shows: docs/json.md).
                line["paths"] = [str(c.primary["path"]) for c, _ in found_rows]
            if kind in files_of:
                line["files"] = files_of[kind]
            lines.append(line)
    return lines


# The words of each kind's line before its "and N more": one function a kind, given that
# kind's rows (never empty), in ``_LINES``; the first NAMED rows named each by a function
# of its own, joined by ``_each``.


def _spans_missing(spans: list[Clip]) -> str:
    one, once = len(spans) == 1, len(spans[0].missing_spans) == 1
    # A GoPro chapter is told missing by its proxy or thumbnail too, the last one included:
    # then "a gap in its numbers" alone would not say how it was told.
    told = spans_told(any(c.spans_told_by_sidecars for c in spans), one=one)
    return (
        f"{plural(len(spans), 'clip')} on the card {'is' if one else 'are'} missing "
        f"{'a span' if one and once else 'spans'} ({told}): {_each(spans, _has_no)}"
    )


def _frames_missing(gaps: list[Clip]) -> str:
    one = len(gaps) == 1
    return (
        f"{plural(len(gaps), 'image sequence')} on the card {'is' if one else 'are'} missing "
        f"frames ({'a gap in its' if one else 'gaps in their'} frame numbers): "
        f"{_each(gaps, _lacks)}"
    )


def _frames_damaged(damaged: list[Clip]) -> str:
    have = "has" if len(damaged) == 1 else "have"
    return (
        f"{plural(len(damaged), 'image sequence')} on the card {have} frames that are not "
        f"whole: {_each(damaged, _bad_frames)}"
    )


def _empty_clips(empty: list[tuple[str, str]]) -> str:
    one = len(empty) == 1
    named = listed([printable_name(path) for path, _ in empty], NAMED)
    # What each name made it look like: a clip (a video's name) or a sound file (a WAV's,
    # a clip's own or none's), never an audio take: nothing was recorded in it.
    nouns = sorted({noun for _, noun in empty})
    looks = f"a {nouns[0]}" if one else " or ".join(f"{noun}s" for noun in nouns)
    return (
        f"{plural(len(empty), 'file')} named as {looks} on the "
        f"card {'is' if one else 'are'} empty (0 bytes: nothing was recorded in "
        f"{'it' if one else 'them'}): {named}"
    )


def _videos_missing(rows: list[Clip]) -> str:
    one = len(rows) == 1
    return (
        f"{plural(len(rows), 'GoPro recording')} on the card {'has' if one else 'have'} "
        f"{'its' if one else 'their'} proxy (LRV) or thumbnail (THM) but no video: the main "
        f"clip is absent: {_each(rows, _where)}"
    )


def _clips_damaged(cut: list[tuple[Clip, str]]) -> str:
    one = len(cut) == 1
    named = "; ".join(f"{_where(c)}: {damage}" for c, damage in cut[:NAMED])
    return (
        f"{plural(len(cut), 'clip')} on the card {'is' if one else 'are'} not whole "
        f"(found by probing {'it' if one else 'them'}): {named}"
    )


def _not_readable(found: list[tuple[Clip, bool]]) -> str:
    """*found*: each file not readable as media, and whether FFmpeg found invalid data in
    it (else its first bytes are no format FFmpeg reads: ``content.not_readable_words``)."""
    one = len(found) == 1
    # Named as clips, as audio takes, or both: never called clips (none is one, as read).
    nouns = sorted({"audio take" if c.kind == "audio" else "clip" for c, _ in found})
    article = "an" if nouns[0].startswith("a") else "a"
    looks = f"{article} {nouns[0]}" if one else " or ".join(f"{noun}s" for noun in nouns)
    named = listed([_where(c) for c, _ in found], NAMED)
    its, it = ("its", "it") if one else ("their", "them")
    why = " or ".join(
        words
        for words, said in (
            (f"{its} first bytes are no format FFmpeg reads", any(not i for _, i in found)),
            (f"FFmpeg found invalid data in {it}", any(i for _, i in found)),
        )
        if said
    )
    return (
        f"{plural(len(found), 'file')} named as {looks} on the card {'is' if one else 'are'} "
        f"not readable as media ({why}): {named}; {its} contents were not looked at: a "
        "checksum proves only that a copy equals the card, not that the file plays"
    )


def _each(rows: list[Clip], named: Callable[[Clip], str]) -> str:
    """The first NAMED of *rows*, each as *named* names it, joined."""
    return "; ".join(named(c) for c in rows[:NAMED])


def _has_no(clip: Clip) -> str:
    return f"{_where(clip)} has no {listed([printable_name(m) for m in clip.missing_spans], 5)}"


def _lacks(clip: Clip) -> str:
    gaps = listed([_range(a, b) for a, b in clip.gaps], 5)
    return f"{_where(clip)} lacks {plural(clip.missing_frames, 'frame')} ({gaps})"


def _bad_frames(clip: Clip) -> str:
    bad = listed([f"{number} {why}" for number, why in clip.bad_frames], 3)
    return f"{_where(clip)}: {len(clip.bad_frames):,} of {clip.frames:,} frames ({bad})"


def _line(kind: str, count: int, what: str, rows: str, tail: str) -> dict[str, Any]:
    more = (
        f"; and {count - NAMED} more {rows}, each named in the HTML/PDF report"
        if count > NAMED and kind not in (EMPTY_FILES, NOT_READABLE)
        else ""
    )
    return {
        "kind": kind,
        "count": count,
        "message": f"CARD CONTENT: {what}{more} ({tail}).",
    }


#: Each kind's line (``content.FLAG_KINDS``): what its rows are called past NAMED ("and N
#: more clips") and the function of its words.
_LINES: dict[str, tuple[str, Callable[[Any], str]]] = {
    SPANS_MISSING: ("clips", _spans_missing),
    FRAMES_MISSING: ("sequences", _frames_missing),
    FRAMES_DAMAGED: ("sequences", _frames_damaged),
    EMPTY_FILES: ("files", _empty_clips),
    VIDEO_MISSING: ("recordings", _videos_missing),
    CLIP_DAMAGED: ("clips", _clips_damaged),
    NOT_READABLE: ("files", _not_readable),
}


def of_a_copy(message: str, names: Sequence[str]) -> str:
    """A line's *message*, worded for the card, said of a source that is a copy root of
    ours: its clips "in the source copy", what a checksum proves of it, its heading
    (``source_words``); *names* (its rows') as they are."""
    return of_the_source(message, keep=names, also=_IN_THE_SOURCE_COPY)


# What a line says of the card's clips, and of a copy root's (before ``of_the_source``).
_IN_THE_SOURCE_COPY = (
    (" on the card ", " in the source copy "),
    (" on the card:", " in the source copy:"),
    ("equals the card,", "equals the source copy,"),
)


def _where(clip: Clip) -> str:
    """A row as the line names it: its folder and its name (a spanned clip's first file
    and its count of spans, a sequence's frame range), as the terminal shows a name
    (``printable_name``: a control character or a byte that is not UTF-8 as its escape),
    so the line is the terminal's in ``--json``'s ``card_content`` too."""
    return printable_name(f"{clip.folder}/{clip.name}" if clip.folder else clip.name)


def _range(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"
