"""What the HTML and PDF reports say, built once from the JSON report dict.

Both renderers draw the same ``ReportView``, so the wording of a state is decided here only.
The words never claim more than the JSON's ``status`` says:

=====================  ==================================================  =======
status                 words                                               mark
=====================  ==================================================  =======
``verified``           Verified now                                        ✔ / OK
``verified_earlier``   Verified earlier (date, not re-read); on a fast     ✔ / OK
                       copy a cascade read this run, matched to the
                       card's digests (``cascade.fast_copies_reread``):
                       Verified earlier (date, read again now by the
                       cascade, equal to the card's digests)
``transfer_checked``   Transfer-checked only (not read back); trusted      ~
                       from the ledger: Transfer-checked earlier
                       (date, never read back), Size-checked earlier
                       where that check proved the size alone (the
                       copy's ``size_checked_only``)
``failed``             FAILED: the error                                   ✖ / XX
``cancelled``          Cancelled                                           – / --
=====================  ==================================================  =======

A copy under another name than its card file's (``--keep-both``) adds "; under another name,
beside the file kept at its name (--keep-both)" to its words (``KEPT_BESIDE_ROW``); a row of
several files says once how many of them: "; 1 of 2 files under another name, ...".
"""

from __future__ import annotations

import calendar
import contextlib
import contextvars
import functools
import os
import posixpath
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from rich import filesize

from offload.destinations.naming import under_another_name
from offload.destinations.s3url import display_path, is_s3_destination
from offload.engine.device_words import describe as describe_devices
from offload.errors import names_path, printable_name
from offload.part_of_volume import absent_card_name, card_of
from offload.report.cascade_words import (
    READ_AGAIN,
    CascadeFacts,
    cascade_sentence,
    earlier_how,
    fast_refused,
    fast_rerun,
    fast_unreachable,
    held_elsewhere,
    legacy_fast_failure,
    never_in_run,
)
from offload.report.clips import (
    NO_VIDEO,
    Clip,
    FileEntry,
    empty_files_of,
    empty_noun,
    spans_missing_why,
)
from offload.report.loss import (
    ALIKE,
    CARD_FOLDER,
    GONE,
    LISTED_ALONE,
    LOST,
    Losses,
    OwnFailures,
    error_words,
    folder_error_causes,
)
from offload.report.media import NO_PICTURE, MediaInfo, clip_duration
from offload.report.probed_kinds import CLIP_DAMAGED, NOT_READABLE
from offload.report.release import (
    absent_card,
    card_release,
    destinations_named,
    source_is_copy,
    user_ignored,
)
from offload.report.sniff import NOT_MEDIA
from offload.report.source_words import of_the_source
from offload.report.words import (
    CACHED_BY_THE_EARLIER_RUN,
    WARNING_LABELS,
    algorithms_words,
    card_reread_through_a_cache,
    duration,
    failed_at_the_card_only,
    failed_words,
    fast_copies_failed,
    ignored_count_words,
    listed,
    local_and_utc,
    local_time,
    lost_but_trusted,
    nothing_copied_again,
    number,
    plural,
    proven_words,
    run_check,
    what_was_read,
)
from offload.results import beside_proof, kept_damaged
from offload.state_names import THROUGH_A_CACHE

# Worst first: a clip's state on a destination is its worst file's.
SEVERITY = ("failed", "cancelled", "missing", "transfer_checked", "verified_earlier", "verified")
GOOD = frozenset({"verified", "verified_earlier", "transfer_checked"})
MAX_PROBLEM_LINES = 200
# Entries the scan left out (the JSON's ``ignored``) listed by name, each with its reason;
# past this many, the rest are counted by reason (the JSON lists them all).
MAX_IGNORED_LINES = 100
# Past this many "other files" (no clip, no sequence), the good ones are folded into one row
# per folder; every file that is not fine keeps its own row. The JSON/CSV list them all.
MAX_FILE_ROWS = 300
# Past this many clips, sequences and audio takes, the clips and takes in a good state that
# have no thumbnail (not probed: not media, or the probing budget was spent; a sound take
# never has one) are folded the same way: a card
# of 50,000 clips gave a PDF of ~2,000 pages that took ~55 s to draw, and nobody reads it. A
# clip with a picture, a sequence and every clip that is not fine keep their own rows.
MAX_CLIP_ROWS = 1000
# The states a folded row may count (past those limits): the good ones, and a copy cancelled
# (a run stopped: a cancelled copy says nothing of its file, and every copy the stop left
# unfinished is one). A stop on a card of 10,000 files gave every file a row of its own:
# a PDF of 456 pages that took ~1 s of CPU to draw (50,000 files: ~2,300 pages) after the
# Ctrl-C, where one row per folder says "Cancelled: 95 of 100 files" and the JSON and CSV
# name each. A file failed, missing, or that the card did not read keeps its own row.
FOLDABLE = GOOD | {"cancelled"}
# A destination lost mid-run (a drive pulled) fails every file it had not verified, each
# with its error saying so (``loss.of_the_loss``): past this many such files, page 1 counts
# them in one line under the LOST line that gives the cause, instead of a line a file (a
# card of 3,005 files made 8 pages of one sentence), and their rows fold as good ones do,
# their state there worded ``LOST_COPY`` (the cause once, on page 1). Each file that failed
# for a reason of its own keeps its line and its row. The JSON and CSV name every file.
# Likewise a card gone away during the offload (``card_gone``): past this many files that
# failed for it, its line (which counts them) stands for them, and their rows fold, worded
# ``GONE_COPY`` (a card of 3,000 files pulled at its 1,096th: a PDF of 166 pages).
MAX_LOSS_LINES = LISTED_ALONE
# Never "not verified here": a cascade's fast copy was verified, then its drive went (lost
# when the cascade came to read it, ``cascade._declare_gone``).
LOST_COPY = "FAILED: the destination was lost (the cause is under Problems)"
GONE_COPY = "FAILED: not verified here: the card went away (the cause is under Problems)"


def gone_copy(stand_in: bool) -> str:
    """``GONE_COPY`` in the words of what was read (``what_was_read``): the fast copy a
    cascade re-run without its card reads in its place (*stand_in*) went away, not the
    card, as the folded row's own line and page 1 say."""
    return (
        f"FAILED: not verified here: {what_was_read(stand_in)} went away "
        "(the cause is under Problems)"
    )


# Warnings of the run (the JSON's ``warnings``) shown per code on page 1; past this many of one
# code (a damaged destination gives one ``copy-no-longer-matches`` per copy), the rest are
# counted in one line: page 1 stays a page, the JSON lists them all.
MAX_WARNING_LINES_PER_CODE = 20


class State(NamedTuple):
    level: str  # a status value of the JSON (or "missing")
    text: str

    @property
    def mark(self) -> str:
        """A symbol a black-and-white print keeps (HTML)."""
        return {
            "verified": "✔",
            "verified_earlier": "✔",
            "transfer_checked": "≈",
            "failed": "✖",
            "cancelled": "–",
        }.get(self.level, "?")

    @property
    def ascii_mark(self) -> str:
        """The same in Latin-1 (the PDF's core fonts)."""
        return {
            "verified": "OK",
            "verified_earlier": "OK",
            "transfer_checked": "~",
            "failed": "×",  # Latin-1 (pdf._REPLACEMENTS': "XX" read as a placeholder)
            "cancelled": "--",
        }.get(self.level, "?")

    @property
    def bad(self) -> bool:
        return self.level not in GOOD


@dataclass
class ClipRow:
    name: str
    # clip, sequence, audio, file; folded per folder: "folder" (files), "clips" (clips, or
    # clips and audio takes together), "takes" (audio takes alone), "media" (files named as
    # clips that are none, and takes: no clip)
    kind: str
    folder: str
    thumbnail: bytes | None
    details: list[str]
    size: str
    digests: list[str]
    sidecars: list[str]
    states: list[tuple[str, State]]  # (destination label, state)
    media_note: str | None = None

    @property
    def bad(self) -> bool:
        return any(state.bad for _, state in self.states)

    @property
    def flagged(self) -> bool:
        """A ⚠ of its own on its row (``own_flags``: gaps, bad frames, damage, spans missing,
        empty files, a GoPro video absent): what the card holds, not how its copies went."""
        return any(detail.startswith("⚠ ") for detail in self.details)

    @property
    def kind_label(self) -> str:
        """What the row is, in words (the HTML and PDF reports print the same label)."""
        return _KIND_LABELS.get(self.kind, self.kind)


_KIND_LABELS = {
    "empty": "empty file",
    "sequence": "image sequence",
    "folder": "files in a folder",
    "clips": "clips in a folder",
    "takes": "audio takes in a folder",
    "media": "files named as media in a folder",
    "audio": "audio take",
    "not-sound": "file named as an audio take",
    # As page 1's totals count them (``_FOLDED_NOUNS``): never "clip".
    "audio-only": "audio-only file named as a clip",
    "not-video": "file named as a clip, not video",
    "no-video": "GoPro proxy/thumbnail only, video absent",
}


@dataclass
class ReportView:
    title: str
    verdict: str
    verdict_ok: bool
    verdict_detail: str
    production: list[tuple[str, str]]
    card: list[tuple[str, str]]
    destinations: list[list[tuple[str, str]]]
    problems: list[str]
    warnings: list[str]
    notes: list[str]
    clips: list[ClipRow]
    totals: list[tuple[str, str]]
    generated: str = ""
    destination_labels: list[str] = field(default_factory=list)
    # May the card be formatted: one sentence on page 1, under the verdict (release.py).
    release: str = ""
    release_ok: bool = False
    # A verdict with no problem that claims less than every copy verified ("≈ COPIED,
    # TRANSFER-CHECKED ONLY", "≈ ...; BUT ... NOT IN THE MANIFEST"): the HTML and PDF draw
    # it amber, as its rows are, never the green a producer reads as safe.
    verdict_warn: bool = False
    # What the scan left out (not copied): "path — reason" lines, the user's --ignore patterns'
    # first, capped (MAX_IGNORED_LINES) with the rest counted; ignored_count: every entry;
    # ignored_said: them in words ("1 folder (PROXY/)", "3 entries": ignored_count_words).
    ignored: list[str] = field(default_factory=list)
    ignored_count: int = 0
    ignored_said: str = "0 entries"
    # The Production rows (labels) whose value is a name, not the DIT's own words (the Reel
    # that fell back to the card's folder name): its line breaks are spelled ``\x0a``, as
    # the Card block's, never made real (``free_text_lines`` is for the DIT's words only).
    production_names: frozenset[str] = frozenset()
    # The source is no card but a copy root of ours (``release.source_is_copy``): the PDF's
    # "Production and source" heading, its Card block naming the card the copy holds.
    source_is_copy: bool = False


_UNITS = ["B", "kB", "MB", "GB", "TB"]  # as the terminal writes them (rich: "kB")


def human_bytes(count: float | None) -> str:
    """Decimal units with two decimals (``1.50 kB``, the terminal's "kB"), bytes as they are
    (``100 B``)."""
    if count is None:
        return ""
    unit, suffix = filesize.pick_unit_and_suffix(int(abs(count)), _UNITS, 1000)
    return f"{count:,.0f} B" if unit == 1 else f"{count / unit:,.2f} {suffix}"


# The zone the documents being made say their times in: the run's, as its job report
# records it (``in_run_zone``); None: the machine's. A context variable: documents made in
# two threads at once each keep their own.
_ZONE: contextvars.ContextVar[tuple[str, int] | None] = contextvars.ContextVar(
    "offload_document_zone", default=None
)


def recorded_zone(data: Mapping[str, Any]) -> tuple[str, int] | None:
    """The run's zone the job report *data* records (``time_zone``: its name and UTC
    offset in seconds at the run's start), None where it records none (reports of earlier
    versions) or none that can be a zone (a name not text, an offset past ±24 hours)."""
    zone = data.get("time_zone")
    if not isinstance(zone, Mapping):
        return None
    name, offset = zone.get("name"), zone.get("utc_offset_s")
    if not isinstance(name, str) or not name or isinstance(offset, bool):
        return None
    if not isinstance(offset, int) or abs(offset) >= 24 * 3600:
        return None
    return name, offset


@contextlib.contextmanager
def in_run_zone(data: Mapping[str, Any]) -> Iterator[None]:
    """Within it, ``when`` and the copies' minutes say times in the zone *data* records
    (``recorded_zone``; the machine's where none): a report re-made later on a machine in
    another zone says the run's times as the run's machine did. Thread-safe (a context
    variable)."""
    token = _ZONE.set(recorded_zone(data))
    try:
        yield
    finally:
        _ZONE.reset(token)


def when(iso: str | float | None) -> str:
    """``2026-11-30T13:28:03Z`` (the JSON's UTC, or Unix seconds) → ``2026-11-30 14:28:03
    CET (13:28:03 UTC)``: the run's zone (``in_run_zone``; else the machine's) first, as
    the terminal says it, UTC beside it (``words.local_and_utc``; a zone that is UTC:
    ``2026-11-30 13:28:03 UTC``). A text that is no such date is shown as it is (``T`` a
    space)."""
    if not iso:
        return ""
    if isinstance(iso, int | float):
        return local_and_utc(iso, _ZONE.get())
    text = str(iso)
    seconds = _utc_seconds(text)
    if seconds is None:
        return (
            text[:-1].replace("T", " ") + " UTC" if text.endswith("Z") else text.replace("T", " ")
        )
    return local_and_utc(seconds, _ZONE.get())


def _verified_minute(at: str | float) -> str:
    """A copy's ``verified_at`` (the JSON's UTC, or Unix seconds) to the minute, in the
    machine's zone, named (``2026-11-27 15:02 CET``), as the terminal's "(verified ...)"
    says it (``words.local_time``): the time of a copy verified earlier, in its row's
    words. A text that is no such date is shown as ``when`` shows it."""
    seconds = at if isinstance(at, int | float) else _utc_seconds(str(at))
    if seconds is None:
        return when(at)
    return _minute_in(seconds, (*time.tzname, time.timezone), _ZONE.get())


# A run's copies verified earlier share their minutes: each worded once (strftime, ~2 µs,
# was ~0.1 s at 50,000 copies), by the zone too (a test sets another in the same process).
@functools.lru_cache(maxsize=4096)
def _minute_in(seconds: float, machine: tuple[str, str, int], zone: tuple[str, int] | None) -> str:
    """``local_time(seconds)`` in the run's zone *zone*, else the machine's (*machine*:
    ``time.tzname`` and ``time.timezone``, the cache's key)."""
    return local_time(seconds, zone=zone)


# The dates of a run's copies share their seconds (verified in the same second): each read
# once, not once a copy (~50,000 of them).
@functools.lru_cache(maxsize=4096)
def _utc_seconds(text: str) -> int | None:
    """Unix seconds of a date the reports write (``dates.iso_date``: ``2026-11-30T13:28:03Z``),
    else None."""
    # Read by hand, not ``time.strptime``: its module, loaded at its first call, would be
    # loaded by the report worker after its request (tests/report/test_report_worker.py).
    if len(text) != 20 or text[4::3] != "--T::Z":
        return None
    fields = [text[at : at + size] for at, size in _ISO_FIELDS]
    if not all(part.isdigit() and part.isascii() for part in fields):
        return None
    year, month, day, hour, minute, second = map(int, fields)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        return None
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


# Where each field of ``2026-11-30T13:28:03Z`` is: (offset, length).
_ISO_FIELDS = ((0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2))


# A copy verified now whose read-back went through a cache (``cache_bypass`` one of
# ``THROUGH_A_CACHE``, ``CacheBypass.through_cache``): matched, but what it rests on is not
# the disk (fs/below.py, report/release.py). The words of each.
_THROUGH_A_CACHE = {
    "server": "read through a network share's server, maybe from its cache",
    "none": "read through the page cache, not from the disk",
}


# A copy verified earlier that a cascade read this run, every file of its fast copy
# matched to the card's digests (``cascade.fast_copies_reread``): read again now, though
# its status (trusted from the ledger) is the earlier run's, as the terminal's CARD
# RELEASED line says. Not "verified now": that read fed the slow destinations, and
# nothing says it did not come from the page cache.
REREAD_BY_CASCADE = f"{READ_AGAIN}, equal to the card's digests"


def reread_by_cascade(data: dict[str, Any]) -> frozenset[int]:
    """The destinations (indexes) whose copies verified earlier a cascade read this run and
    matched to the card's digests (the JSON's ``cascade.fast_copies_reread``)."""
    cascade = data.get("cascade") or {}
    return frozenset(int(i) for i in cascade.get("fast_copies_reread") or ())


def read_by_cascade(entry: Mapping[str, Any], reread: frozenset[int]) -> bool:
    """A copy verified earlier that a cascade read this run, equal to the card's digests:
    its destination's every such copy (*reread*, :func:`reread_by_cascade`), or this copy
    itself (its ``action`` ``rechecked``: ``cascade._mark_read``), where the card was not
    released after the cascade (another copy of that drive was not read)."""
    return entry.get("index") in reread or entry.get("action") == "rechecked"


# ``describe``'s words of the states most copies are in, made once (a State is immutable):
# one a copy was ~1 µs of a 50,000-file card's documents each.
_VERIFIED = State("verified", "Verified now")
_VERIFIED_NOW = {
    bypass: State("verified", f"Verified now ({through})")
    for bypass, through in _THROUGH_A_CACHE.items()
}
_TRANSFER_CHECKED = State("transfer_checked", "Transfer-checked only (not read back)")
#: Such a copy on a destination whose service does not check the in-flight hashes (the
#: JSON's ``size_checked_only``): its size alone was checked, as the terminal says.
_SIZE_CHECKED = State("transfer_checked", "Size-checked only (not read back)")
SIZE_ONLY_COUNT = "size-checked only (not read back)"
#: How a destination's result and the Totals count the copies of each kind of
#: transfer-checked row: this run's, and those trusted from the ledger.
TRANSFER_ONLY_COUNT = "transfer-checked only (not read back)"
TRANSFER_EARLIER_COUNT = "transfer-checked earlier (trusted from the ledger, never read back)"
#: Those whose earlier check proved the size alone (the copy's ``size_checked_only``: its
#: ledger entry records it, or is too old to tell).
SIZE_EARLIER_COUNT = "size-checked earlier (trusted from the ledger, never read back)"


def describe(entry: dict[str, Any], *, reread: frozenset[int] = frozenset()) -> State:
    """The words for one file on one destination (see the module's table); *reread*: the
    destinations a cascade read this run (:func:`reread_by_cascade`)."""
    status = str(entry.get("status") or "missing")
    if status == "verified":
        return _VERIFIED_NOW.get(str(entry.get("cache_bypass")), _VERIFIED)
    if status == "transfer_checked" and entry.get("action") != "trusted":
        return _TRANSFER_CHECKED  # the words of most copies of a transfer-mode run
    mode = entry.get("verified_mode")
    # Trusted from a transfer-mode record: no run read it back (reports before the status
    # said so wrote it `verified_earlier`); shown, and marked, as transfer-checked (and
    # counted so, apart, by ``build_view``'s pass over the copies).
    trusted = (status == "transfer_checked" and entry.get("action") == "trusted") or (
        status == "verified_earlier" and mode == "transfer"
    )
    if status == "verified_earlier" or trusted:
        parts = []
        if entry.get("verified_at"):
            parts.append(_verified_minute(entry["verified_at"]))
        if trusted:
            parts.append("never read back")
            # Its earlier check proved the size alone: never "transfer-checked" of it.
            what = "Size-checked" if entry.get("size_checked_only") else "Transfer-checked"
            return State("transfer_checked", f"{what} earlier ({', '.join(parts)})")
        if mode:
            parts.append(f"{mode} verification")
        # The earlier run read it back through a cache (its ledger entry says so).
        if entry.get("cache_bypass") in THROUGH_A_CACHE:
            parts.append("through a cache")
        if read_by_cascade(entry, reread):
            return State(status, f"Verified earlier ({', '.join(parts)}; {REREAD_BY_CASCADE})")
        parts.append("not re-read")
        return State(status, f"Verified earlier ({', '.join(parts)})")
    if status == "transfer_checked":
        return State(status, "Transfer-checked only (not read back)")
    if status == "failed":
        return State(status, f"FAILED: {entry.get('error') or 'no reason recorded'}")
    if status == "cancelled":
        return State(status, "Cancelled")
    if status == "missing":
        return State(status, "No record of this copy")
    return State(status, status)


def clip_state(clip: Clip, index: int, *, reread: frozenset[int] = frozenset()) -> State:
    """The state of a clip (all its files) on destination *index* (*reread*: ``describe``)."""
    return clip_states(clip, [index], reread=reread)[0]


def clip_states(
    clip: Clip,
    indexes: Iterable[int],
    *,
    reread: frozenset[int] = frozenset(),
    losses: Losses | None = None,
) -> list[State]:
    """``clip_state(clip, index)`` for each of *indexes*, each file's copies read once (a
    file's ``destinations`` is built each time it is read: ``FileEntryView``); *losses*:
    ``_file_states``."""
    indexes = list(indexes)
    states = _file_states(clip.files, indexes, reread, losses)[0]
    return _row_states(clip.files, states, len(indexes))


_MISSING = {"status": "missing"}
_LOST = State("failed", LOST_COPY)
_GONE = {stand_in: State("failed", gone_copy(stand_in)) for stand_in in (False, True)}


@functools.lru_cache(maxsize=64)
def _alike(words: str, count: int) -> State:
    """The words of a copy that failed as *count* copies of its destination did, with the
    error *words* (``Losses.alike``): the first of them is named on page 1."""
    return State(
        "failed", f"FAILED: {words} ({count:,} files failed so here; the first is under Problems)"
    )


#: A file's copy on one destination as a row counts it (``_file_states``): its state,
#: whether it is under another name than its card file's (``--keep-both``), and what of a
#: copy of ours it took the place of this run (``REPLACED_DAMAGED_ROW`` or
#: ``REPLACED_UNREADABLE_ROW``; "" none), each of which the row's tally counts apart and
#: says once (``_Tally``).
_Copy = tuple[State, bool, str]

#: The "Time" of a destination's read-backs of the copies already there, before the copy
#: (the JSON's ``verify_before_s``), after the span and its phases, never inside them.
READ_BEFORE_WORDS = "reading back copies already there, before the copy"

#: A copy under a name that is not its card file's: ``--keep-both`` wrote it beside a file
#: that was at that name and is kept (``existing-kept-beside``, or a copy of ours found
#: wrong: ``copy-no-longer-matches``); the page-1 line names where each went.
KEPT_BESIDE_ROW = "under another name, beside the file kept at its name (--keep-both)"

#: A good copy written this run in the place of a copy of ours found damaged there (its
#: ``copy-no-longer-matches`` warning, not kept: ``Losses.found_damaged``): the row says
#: what was found and what was done, where its state alone ("Verified now") said nothing
#: of it; the JSON's warning says how the damaged copy differed, and page 1 shows it only
#: among the first ``MAX_WARNING_LINES_PER_CODE`` of its code (the rest counted in a line).
REPLACED_DAMAGED_ROW = (
    "replaced this run: the copy found there was damaged (not the card's content; the JSON "
    "report's warnings say how it differed, page 1 lists the first "
    f"{MAX_WARNING_LINES_PER_CODE}) and a new copy was written in its place"
)

#: Likewise in the place of a copy of ours this run could not read back there (its
#: ``copy-unreadable`` warning, not kept: ``Losses.found_unreadable``): never called
#: damaged, as the warning's words never do.
REPLACED_UNREADABLE_ROW = (
    "replaced this run: the copy found there could not be read back (not found damaged) "
    "and a new copy was written in its place"
)


def _file_states(
    files: Sequence[FileEntry],
    indexes: Sequence[int],
    reread: frozenset[int],
    losses: Losses | None = None,
) -> tuple[list[list[_Copy]], bool]:
    """Each of *files*' states on *indexes* (a list a file: ``describe`` of its first copy on
    each, and whether it is under another name: ``_Copy``), and whether all of them are
    ``FOLDABLE`` (good, or cancelled, or a failure of a cause many files share) and the
    card read every file or failed only as a card gone away fails (a row that may be
    folded). *losses*: the run's (``Losses.of_report``); a failure of a destination's loss
    is worded ``LOST_COPY``, a failed copy of a file the card gone away failed
    ``GONE_COPY`` (``gone_copy``: the fast copy standing in for it, *losses*'
    ``stand_in``), one of an error many copies of its destination share
    (``Losses.alike``) that error and their count (``_alike``). One
    read of each file's copies: the documents of a 50,000-file card read them
    once for this and once for the page-1 counts (``build_view``), where they were read
    three times (a view's copies are made each time they are read)."""
    states: list[list[_Copy]] = []
    fine = True
    for entry in files:
        source_error = entry.get("source_error")
        gone = bool(source_error) and losses is not None and losses.of_card(source_error)
        if fine and source_error and not gone:
            fine = False
        copies: dict[Any, Any] = {}
        for d in entry.get("destinations", ()):
            index = d.get("index")
            if index not in copies:  # the first copy of an index
                copies[index] = d
        mine = []
        # Copies not FOLDABLE, and of those the failures of a cause the row's words name
        # for many files: counted here, not by a second pass over *mine* (a generator a
        # file: ~0.3 µs of a 50,000-file card's ~2.5 µs a file here).
        bad = explained = 0
        for index in indexes:
            copy = copies.get(index, _MISSING)
            state = describe(copy, reread=reread)
            if (
                state is _TRANSFER_CHECKED
                and losses is not None
                and index in losses.size_checked_only
            ):
                state = _SIZE_CHECKED
            level = state.level
            if level not in FOLDABLE:
                bad += 1
            if level == "failed" and losses is not None:
                error, path = str(copy.get("error") or ""), str(entry.get("path"))
                cause = losses.cause(source_error, index, error, path)
                if cause is not None:
                    state = (
                        _GONE[losses.stand_in]
                        if cause == GONE
                        else _LOST
                        if cause == LOST
                        else _alike(
                            error_words(error, path), losses.alike_count(index, error, path)
                        )
                    )
                    explained += 1
            final = copy.get("final_path")
            # A copy there, under another name: the rule of the KEPT BOTH warning.
            beside = bool(
                final
                and state.level in GOOD
                and under_another_name(str(final), str(entry.get("path") or ""))
            )
            # A new copy in the place of a damaged or unreadable one of ours: the rule of
            # its warning.
            replaced = ""
            if (
                final
                and losses is not None
                and (losses.found_damaged or losses.found_unreadable)
                and state.level in GOOD
                and copy.get("action") in _WRITTEN
            ):
                if str(final) in losses.found_damaged:
                    replaced = REPLACED_DAMAGED_ROW
                elif str(final) in losses.found_unreadable:
                    replaced = REPLACED_UNREADABLE_ROW
            mine.append((state, beside, replaced))
        if fine:
            fine = bad == explained
        states.append(mine)
    return states, fine


#: The actions of a copy written by this run (``CopyAction``): only such a copy can have
#: taken a damaged one's place.
_WRITTEN = frozenset({"copied", "replaced"})


def _row_states(files: Sequence[FileEntry], states: list[list[_Copy]], count: int) -> list[State]:
    """A row's state on each of its *count* destinations from its *files*' *states*
    (``_file_states``)."""
    tallies = [_Tally() for _ in range(count)]
    for entry, mine in zip(files, states, strict=True):
        for tally, (state, beside, replaced) in zip(tallies, mine, strict=True):
            tally.add(state, entry, beside=beside, replaced=replaced)
    return [tally.state() for tally in tallies]


class _Tally:
    """A row's state on one destination from its files' states, counted as they come
    (``add``): what the list of them says (one text, or each level's share, the worst
    first) without keeping a state a file; a folded row of a 50,000-file card stands for
    ~1,000 files, whose states are a few distinct ones. Not thread-safe (one row's, in one
    thread). The copies under another name (``_Copy``) are counted apart, their states
    with the others': the row says once how many of its files are."""

    __slots__ = ("beside", "failed", "replaced", "states", "unreadable")

    def __init__(self) -> None:
        # Files by state, in the order each state first came (a State is its level and text).
        self.states: dict[State, int] = {}
        # Each failed state's first file here: the row names it with that state's words.
        self.failed: dict[State, FileEntry] = {}
        self.beside = 0  # files whose copy here is under another name (--keep-both)
        self.replaced = 0  # files whose copy here took a damaged copy's place
        self.unreadable = 0  # ... an unreadable copy's place

    def add(
        self, state: State, entry: FileEntry, *, beside: bool = False, replaced: str = ""
    ) -> None:
        """Count *entry*'s *state* (the files in the row's order); *beside*: its copy is
        under another name; *replaced*: what of a copy of ours it took the place of
        (``_Copy``)."""
        if beside:
            self.beside += 1
        if replaced == REPLACED_DAMAGED_ROW:
            self.replaced += 1
        elif replaced:
            self.unreadable += 1
        states = self.states
        states[state] = states.get(state, 0) + 1
        if state.level == "failed" and state not in self.failed:
            self.failed[state] = entry

    def state(self) -> State:
        """The row's state: its files' one state when they all read the same, else each
        level's share (a failure's first file named), the worst first; no file: missing.
        Then, where copies are under another name, how many ("1 of 2 files under another
        name, ..."; a row of one file: "under another name, ...")."""
        if not self.states:
            return describe(_MISSING)
        whole = self._shares(self.states)
        if not self.beside and not self.replaced and not self.unreadable:
            return whole
        total = sum(self.states.values())
        notes = [
            note if total == 1 else f"{count:,} of {total:,} files {note}"
            for count, note in (
                (self.beside, KEPT_BESIDE_ROW),
                (self.replaced, REPLACED_DAMAGED_ROW),
                (self.unreadable, REPLACED_UNREADABLE_ROW),
            )
            if count
        ]
        return State(whole.level, "; ".join([whole.text, *notes]))

    def _shares(self, states: dict[State, int]) -> State:
        """The row's state from its files' *states* (by state, in the order each came)."""
        first = next(iter(states))
        if len(states) == 1 or len({state.text for state in states}) == 1:
            return first
        counts: dict[str, int] = {}
        for state, count in states.items():
            counts[state.level] = counts.get(state.level, 0) + count
        total = sum(counts.values())
        worst = min(counts, key=SEVERITY.index)
        parts = []
        for level in sorted(counts, key=SEVERITY.index):
            # Each wording of the level counted apart (a lost destination's files beside one
            # that did not match; copies verified earlier at other times, read back through a
            # cache or not): never the first file's said of all. A failure names its first file.
            worded = [(state, count) for state, count in states.items() if state.level == level]
            for state, count in worded[:_WORDINGS]:
                if level == "failed":
                    more = f" and {count - 1:,} more" if count > 1 else ""
                    reason = state.text.removeprefix("FAILED: ")
                    name = str(self.failed.get(state, {}).get("path", "")).rsplit("/", 1)[-1]
                    parts.append(f"FAILED: {count:,} of {total:,} files ({name}{more}): {reason}")
                else:
                    parts.append(f"{state.text}: {count:,} of {total:,} files")
            rest = sum(count for _state, count in worded[_WORDINGS:])
            if rest:
                parts.append(
                    f"{_LEVEL_WORDS.get(level, level)} otherwise: {rest:,} of {total:,} files (the "
                    "JSON and CSV reports give each)"
                )
        return State(worst, "; ".join(parts))


#: Past this many wordings of one level in a row (verified earlier at as many times, failed
#: with as many errors), the others are counted together under the level's words
#: (``_LEVEL_WORDS``). Only "failed" and the levels whose words carry a date can have more
#: (``describe``); "verified" has three at most (read from the media, or through either
#: cache of ``_THROUGH_A_CACHE``), the others one.
_WORDINGS = 3
_LEVEL_WORDS = {
    "failed": "FAILED",
    "transfer_checked": "Transfer-checked",
    "verified_earlier": "Verified earlier",
}


def _production(data: dict[str, Any], card_name: str) -> list[tuple[str, str]]:
    production = data.get("production") or {}

    def get(key: str) -> str:
        value = production.get(key)
        return "" if value is None else str(value)

    author = get("author_name")
    if get("author_email"):
        author = f"{author} <{get('author_email')}>".strip()
    if get("author_role"):
        author = f"{author} ({get('author_role')})".strip()
    if not get("author_name") and data.get("login_name"):
        # No --author-name: the account the run ran as, said to be that (the legacy MHL's
        # <username> too), never passed off as the DIT's own words.
        login = f"{data['login_name']} (login name)"
        author = f"{login} <{get('author_email')}>" if get("author_email") else login
        if get("author_role"):
            author = f"{author} ({get('author_role')})"
    return [
        ("Production", get("production")),
        ("Shoot day", get("shoot_day")),
        ("Camera", get("camera")),
        ("Reel", get("reel") or card_name),
        ("Offloaded by", author),
        ("Location", get("location")),
        ("Comment", get("comment")),
    ]


def part_of_card(data: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(the card's name, the part offloaded, printable, the words of it) of a run whose source is
    one folder (or file) of a card (its ``source-part-of-volume`` warning, a card's:
    ``PartOfVolume.card``): the card's volume label (``source_volume``'s, where that volume
    is mounted where the card is), else its mount folder's name (``/media/A001`` →
    ``A001``), else, a bind mount of the folder alone, the source's name; the part
    ``only PRIVATE/M4ROOT/CLIP of it was offloaded`` with what was left on it. None for
    any other run (a whole card, a folder of a drive that is no card, a cascade re-run
    without its card, which names its card absent)."""
    found = card_of(data.get("warnings") or (), data.get("source_volume"))
    if found is not None:
        part, name = found
        within = printable_name(part.within)
        if not part.outside:
            return name, within, f"only {within} of it was offloaded"
        # The rest in PartOfVolume's words, the preflight's and the release's (one wording).
        return name, within, f"only {within} of it was offloaded; {part.left_out(done=True)}"
    return None


def _absent_name(data: Mapping[str, Any], absent: str) -> str:
    """The name of the absent card of a cascade re-run without it (*absent*: its path): its
    mount folder's where the card's run offloaded one folder of it
    (``part_of_volume.absent_card_name``; QA: the Card row said "CLIP"), else its path's."""
    return absent_card_name(data.get("warnings") or ()) or (
        os.path.basename(absent.rstrip("/")) or absent
    )


def _production_names(data: dict[str, Any], *names: str) -> frozenset[str]:
    """The labels of ``_production``'s rows that show a name rather than the DIT's words:
    the Reel when it is one of *names* (the card's name, the default the run records; the
    source folder's, an older report's default for one folder of a card), or none is
    recorded (an older report)."""
    reel = (data.get("production") or {}).get("reel")
    return frozenset({"Reel"}) if not reel or reel in names else frozenset()


#: What the Volume row adds when its name is no label: ``volume_label_from`` "mount point"
#: (report/volumes.py), a producer reading it as the drive's label would be misled.
MOUNT_POINT_NAME = "no label read from the filesystem: the name shown is that of its mount folder"


def _volume_text(volume: Mapping[str, Any]) -> str:
    """A volume's row (a destination's or ``source_volume``): its label, device and
    filesystem, and where the label is only the mount point's name, that it is."""
    label, device, filesystem = (
        volume.get("volume_label"),
        volume.get("device"),
        volume.get("filesystem"),
    )
    parts = [str(p) for p in (label, device) if p]
    text = " on ".join(parts)
    if filesystem == "fuseblk":  # ntfs-3g or exfat-fuse, its device unread
        filesystem = "FUSE block filesystem"
    if filesystem:
        text = f"{text} ({filesystem})" if text else str(filesystem)
    if label and volume.get("volume_label_from") == "mount point":
        text = f"{text}; {MOUNT_POINT_NAME}"
    return text


def destination_label(destination: dict[str, Any]) -> str:
    name = os.path.basename(str(destination.get("path") or "").rstrip("/")) or "?"
    return f"{int(destination.get('index', 0)) + 1}: {name}"


def _destination_rows(
    data: dict[str, Any],
    transfer_earlier: Mapping[tuple[int, str], int],
    read_again: Mapping[int, int],
    losses: Losses,
) -> list[list[tuple[str, str]]]:
    """Each destination's rows. *transfer_earlier*: its copies trusted from a
    transfer-mode record, by (index, the status its summary counts them under), counted
    apart in its result as their rows say them: "transfer-checked earlier". *read_again*:
    its copies verified earlier that a cascade read this run (:func:`read_by_cascade`), by
    index, counted apart from those not re-read, as the terminal's table does. *losses*:
    the run's (``Losses.of_report``): its ``size_checked_only``, the one reader of the
    JSON's field, says whose transfer-checked copies had their size checked only."""
    rows = []
    reread = reread_by_cascade(data)
    for d in data.get("destinations", []):
        index = int(d.get("index", 0))
        sized = transfer_earlier.get((index, "size_checked"), 0)
        trusted = transfer_earlier.get((index, "transfer_checked"), 0)
        trusted_old = transfer_earlier.get((index, "verified_earlier"), 0)  # an older report
        proven_earlier = int(d.get("files_verified_earlier") or 0) - trusted_old
        # Every such copy there, or those the cascade read one by one (the card not released).
        again = proven_earlier if index in reread else read_again.get(index, 0)
        earlier_count = proven_earlier - again  # trusted from the ledger, not re-read
        counts = [
            (d.get("files_verified"), "verified now"),
            (earlier_count, "verified earlier (not re-read)"),
            (again, f"verified earlier ({REREAD_BY_CASCADE})"),
            (
                int(d.get("files_transfer_checked") or 0) - trusted - sized,
                SIZE_ONLY_COUNT if index in losses.size_checked_only else TRANSFER_ONLY_COUNT,
            ),
            (trusted + trusted_old, TRANSFER_EARLIER_COUNT),
            (sized, SIZE_EARLIER_COUNT),
            (d.get("files_failed"), "FAILED"),
            (d.get("files_cancelled"), "cancelled"),
            (
                d.get("symlinks_failed"),
                f"symlink{'' if d.get('symlinks_failed') == 1 else 's'} NOT MADE",
            ),
        ]
        result = ", ".join(f"{n:,} {label}" for n, label in counts if n)
        if d.get("result") == "cancelled" and not d.get("files_cancelled"):
            # Every file had its outcome there, but the cancel came before its links,
            # folders and manifests (OffloadReport.destination_result): not finished.
            result = f"{result}; not finished (cancelled)" if result else "not finished (cancelled)"
        if d.get("lost"):
            result = f"✖ LOST: {d.get('lost_reason') or 'no reason recorded'}" + (
                f" ({result})" if result else ""
            )
        # The facts the JSON's `result` comes from (DestinationSummary.result): a link not
        # made there fails it too; a report older than `result` has the counts alone.
        elif d.get("result") in ("failed", "cancelled") or any(
            d.get(key) for key in ("files_failed", "files_cancelled", "symlinks_failed")
        ):
            result = f"✖ {result}"
        elif d.get("files_transfer_checked") or trusted_old:  # none read back: never ✔
            result = f"≈ {result}"
        elif result and earlier_count:
            # Some copies there only an earlier run read back, trusted from the ledger: the
            # summary's word for it (``summary._result``), never ✔ (the PDF's "OK"), which
            # says every copy there was verified now; "Verified, partly earlier" where some
            # were read back now (``proven_words``): "Verified earlier" stood before "7
            # verified now, 2 verified earlier (not re-read)".
            now = int(d.get("files_verified") or 0) + again
            result = f"{proven_words(now).capitalize()}: {result}"
        elif result:
            result = f"✔ {result}"
        # copy_s and verify_s are each summed over the files (copy_s with each batch's sync,
        # which no file's counts: docs/reports.md), and the two phases run at once
        # (a batch is read back while the next is written): their sum is no wall time and
        # can exceed the job's elapsed time, so each is shown by its name, after the wall
        # span from the first write there to the last copy done (``span_s``, which the
        # "Speed" divides the bytes written by; a report older than it has the phases alone).
        copying, reading = float(d.get("copy_s") or 0), float(d.get("verify_s") or 0)
        phases = ", ".join(
            f"{duration(seconds)} {what}"
            for seconds, what in ((copying, "copying"), (reading, "reading back"))
            if seconds
        )
        if copying and reading:
            phases += ", overlapping" if d.get("span_s") else " (overlapping)"
        if d.get("span_s"):
            span = f"{duration(float(d['span_s']))} from first write to last copy done"
            phases = f"{span} ({phases})" if phases else span
        if before := float(d.get("verify_before_s") or 0):
            # The copies already there read back before the copy (``--reverify``, a copy of
            # ours adopted): in no job's span nor its phases, so said outside their brackets.
            earlier = f"{duration(before)} {READ_BEFORE_WORDS}"
            phases = f"{phases}; {earlier}" if phases else earlier
        free = d.get("free_bytes_after")
        total = d.get("total_bytes")
        free_text = human_bytes(free)
        if free is not None and total:
            free_text += f" of {human_bytes(total)}"
        # A bucket's stand-in path (``/s3:/bucket/...``) shown as its URL, as the JSON's.
        where = display_path(str(d.get("copy_root") or d.get("path") or ""))
        volume = _volume_text(d)
        if is_s3_destination(where):  # a bucket: no local volume, no free space to speak of
            volume = f"S3 bucket {where[len('s3://') :].split('/', 1)[0]}"
            free_text = free_text or "—"
        rows.append(
            [
                ("Destination", destination_label(d)),
                ("Path", where),
                ("Volume", volume),
                ("Free after", free_text),
                ("Verification", str(data.get("verify") or "")),
                ("Algorithms", algorithms_words(data.get("algorithms") or [])),
                ("Result", result or "nothing copied"),
                ("Time", phases),
                (
                    "Speed",
                    f"{float(d['throughput_mb_s']):,.1f} MB/s" if d.get("throughput_mb_s") else "",
                ),
                ("Written", human_bytes(d.get("bytes_written"))),
            ]
        )
    # Where each destination's copies were read from, once one was fed from fast copies
    # (a cascade): every row gets the column, the HTML's table one head for all.
    copy = source_is_copy(data)
    fed = [_fed_from_words(d, copy=copy) for d in data.get("destinations", [])]
    if any(isinstance(d.get("fed_from"), list) for d in data.get("destinations", [])):
        for row, words in zip(rows, fed, strict=False):
            row.append(("Fed from", words))
    return rows


#: The "Fed from" of a destination whose copies were read from the card.
CARD_FED = "the card"
#: ... from the source, where it is no card but a copy root of ours (``source_is_copy``).
COPY_FED = "the source (a copy of ours, not a card)"


def _fed_from_words(destination: Mapping[str, Any], *, copy: bool = False) -> str:
    """Where a destination's copies were read from, from the JSON's ``fed_from``: the card
    (``"card"``, or a report older than the key), else each fast copy and how many files
    read whole from it fed this one (a cascaded destination, or any in a re-run without
    the card), verified against the card's digests through it, not read from the card.
    *copy*: the source is a copy root of ours, no card, and named so."""
    fed = destination.get("fed_from")
    if not isinstance(fed, list):
        return COPY_FED if copy else CARD_FED
    said = "; ".join(
        f"{plural(int(feeder.get('files') or 0), 'file')} read from the fast copy "
        f"{display_path(str(feeder.get('copy_root') or ''))}"
        for feeder in fed
        if isinstance(feeder, Mapping)
    )
    source = "the source" if copy else "the card"
    return f"{said} (not from {source})" if said else "no file read whole from a fast copy"


def _clip_row(
    clip: Clip,
    info: MediaInfo | None,
    labels: dict[int, str],
    reread: frozenset[int] = frozenset(),
    states: list[State] | None = None,
    *,
    all_read: bool = False,
    losses: Losses | None = None,
    empty: Sequence[tuple[str, str]] = (),
    flags: Sequence[Flag] | None = None,
) -> ClipRow:
    """The row of *clip*; *states*: its state on each destination of *labels* when known
    (``_row_states``), else worded here (*losses*: ``_file_states``); *all_read*: no file's
    ``source_error`` to give a line each (a folded row's files are fine, or failed as a card
    gone away fails: the row counts those); *empty*: its empty files (``clips.empty_files``,
    found once for the documents: ``clips.empty_files_of``). Its ⚠ of its own
    (``own_flags``) come after what the probing and the names tell of it; *flags*: those of
    *info* and *empty* where the caller made them (``own_flags_of``: ``_media_rows``), else
    made here (an other file's row, a clip of a folded list not all fine, a folded row)."""
    details: list[str] = []
    if info is not None:
        picture = " · ".join(
            p
            for p in (
                info.codec,
                _picture_size(info),
                f"{info.frame_rate} fps" if info.frame_rate else None,
            )
            if p
        )
        if picture:
            details.append(picture)
        # Damaged, the header's duration is no fact here: its ⚠ (below) says both.
        if not info.damage and info.duration_s and clip.kind != "sequence":
            frames = f" ({info.frames} frames)" if info.frames else ""
            in_spans = f" in {info.spans} spans" if info.spans > 1 else ""
            if clip.missing_spans:  # what is summed is what the card holds, not the take
                in_spans = f" in the {plural(info.spans, 'span')} on the card"
            if info.estimated:  # no header states it: FFmpeg's estimate from the data
                details.append(
                    f"Duration about {clip_duration(info.duration_s)}{in_spans} "
                    "(estimated from its data: the file states no length)"
                )
            else:
                details.append(f"Duration {clip_duration(info.duration_s)}{frames}{in_spans}")
        if info.timecode:
            details.append(f"Start TC {info.timecode}")
        elif info.start_time:
            details.append(f"Start {info.start_time} (BWF time reference)")
        if info.audio:
            details.append(f"Audio {info.audio}")
    if clip.kind == "sequence":
        details.append(f"{clip.frames} frames ({clip.first_frame}–{clip.last_frame})")
        if not clip.gaps:  # else its ⚠ (below) counts the frames missing
            # With bad frames, every number is there, not every frame whole.
            details.append("No frame numbers missing" if clip.bad_frames else "No missing frames")
    if flags is None:
        flags = own_flags(clip, info, empty)
    if flags and losses is not None and losses.source_copy:  # no card: said of the source
        names = clip_names(clip)
        details.extend(f"⚠ {said_of_the_source(flag.row, names)}" for flag in flags)
    else:
        details.extend(f"⚠ {flag.row}" for flag in flags)
    primary = clip.primary
    digests = [f"{k} {v}" for k, v in (primary.get("digests") or {}).items()] or _recorded(primary)
    if len(clip.files) > 1:
        # The digest is the row's first file's (the first span, track or lens, or the clip
        # file its sidecars belong to), beside a size of every file: said so, never read as
        # a digest of the whole group (each file's own is in the JSON/CSV report).
        digests = [f"first file {digest}" for digest in digests]
    if clip.kind == "sequence":
        digests = [f"per frame in the JSON/CSV report ({clip.frames} frames)"]
    sidecars = [
        f"{printable_name(_member_name(clip, str(e['path'])))} ({human_bytes(e.get('size_bytes'))})"
        for e in clip.sidecars
    ]
    if clip.kind in ("clip", "audio") and len(clip.files) - len(clip.sidecars) > 1:
        spans = [e for e in clip.files if e not in clip.sidecars][1:]
        sidecars = [
            *(
                f"{printable_name(_member_name(clip, str(e['path'])))} "
                f"({clip.part}, {human_bytes(e.get('size_bytes'))})"
                for e in spans
            ),
            *sidecars,
        ]
    source_errors = (
        () if all_read else {str(e["source_error"]) for e in clip.files if e.get("source_error")}
    )
    for error in sorted(source_errors):
        details.append(f"{_read_failed(losses)}: {error}")
    # The names as shown (``errors.printable_name``: a literal backslash doubled, so that
    # ``a\\x0ab.mov`` never reads as the newline's ``a\x0ab.mov``), in the HTML and the PDF.
    return ClipRow(
        name=printable_name(clip.name),
        kind=_row_kind(clip, info),
        folder=printable_name(clip.folder),
        thumbnail=None if info is None else info.thumbnail,
        details=details,
        # The clip's size counts every file of it (spans, sidecars), the digest beside it is
        # the row's own file's: the count says the size is not that file's alone.
        size=human_bytes(clip.size_bytes)
        + (f" in {len(clip.files):,} files" if len(clip.files) > 1 else ""),
        digests=digests,
        sidecars=sidecars,
        states=list(
            zip(
                labels.values(),
                clip_states(clip, labels, reread=reread, losses=losses)
                if states is None
                else states,
                strict=True,
            )
        ),
        media_note=(
            said_of_the_source(note, clip_names(clip))
            if (note := _media_note(clip, info)) and losses is not None and losses.source_copy
            else note
        ),
    )


def _row_kind(clip: Clip, info: MediaInfo | None) -> str:
    """A row's kind (``ClipRow.kind``): its clip's, but for a file named as a clip or an
    audio take that the totals count apart (``not_sound``, ``audio_only``, ``not_video``):
    labelled as what they count it as, never "clip" or "audio take"."""
    if not_sound(clip, info):
        return "not-sound"
    if audio_only(clip, info):
        return "audio-only"
    if not_video(clip, info):
        return "not-video"
    return clip.kind


# What a file named as a clip that holds nothing says, on its row and on page 1.
EMPTY_CLIP = (
    "EMPTY (0 bytes): nothing was recorded in it (a recording that failed); not counted as a clip"
)


#: What a sound file of 0 bytes a clip claims says (``clips.empty_sound_sidecars``), on the
#: clip's row and, followed by "of CLIP", on page 1: as a sound file no clip claims says.
EMPTY_SOUND_SIDECAR = (
    "EMPTY (0 bytes): nothing was recorded in it (a recording that failed); the sound file"
)


def empty_words(clip: Clip) -> str:
    """What an empty row (kind "empty") says: ``EMPTY_CLIP`` for a file named as a clip,
    and for a sound file (``clips.empty_noun``) that it is not counted as an audio take."""
    if empty_noun(clip) == "clip":
        return EMPTY_CLIP
    return (
        "EMPTY (0 bytes): nothing was recorded in it (a recording that failed); not counted "
        "as an audio take"
    )


# The kinds of a clip's own ⚠ (``Flag.kind``): each names the ``CARD CONTENT:`` line that
# counts it, and goes as it is into ``--json``'s ``card_content``.
SPANS_MISSING = "spans-missing"
FRAMES_MISSING = "frames-missing"
FRAMES_DAMAGED = "frames-damaged"
EMPTY_FILES = "empty-clip"
VIDEO_MISSING = "video-missing"
# CLIP_DAMAGED and NOT_READABLE: imported from probed_kinds (above), the command's one
# light reference to them.

#: Every kind of ``Flag``, in the order of their ``CARD CONTENT:`` lines
#: (``card_content``, which has a line for each and for no other).
FLAG_KINDS = (
    SPANS_MISSING,
    FRAMES_MISSING,
    FRAMES_DAMAGED,
    EMPTY_FILES,
    VIDEO_MISSING,
    CLIP_DAMAGED,
    NOT_READABLE,
)


class Flag(NamedTuple):
    """A ⚠ of a clip's own (what the card holds, not how its copies went), as its row says
    it (after "⚠ ") and as page 1 does (naming the clip or the file), and its kind (one of
    ``FLAG_KINDS``): the ``CARD CONTENT:`` line that counts it (``card_content``)."""

    row: str
    page: str
    kind: str


#: How many empty files page 1 names one by one; past it, one line counts them and names
#: this many (as the terminal's ``CARD CONTENT:`` line does): each row still says its own.
EMPTY_NAMED = 3


def _empty_files_said(found: Sequence[tuple[str, tuple[str, str]]]) -> list[str]:
    """Page 1's lines of the card's empty files (*found*: each one's own line, with its
    (path, noun): ``clips.empty_files_of``): each line as it is up to ``EMPTY_NAMED``, else
    one line, their count and the first named. A card of 498 empty files listed 498 lines
    on page 1 of the HTML/PDF, where the terminal folds them into one; every row of the
    clip list keeps its own mark, and the CSV and JSON list every file with its size."""
    if len(found) <= EMPTY_NAMED:
        return [page for page, _ in found]
    nouns = sorted({noun for _, (_, noun) in found})
    looks = " or ".join(f"{noun}s" for noun in nouns)
    shown = ", ".join(path for _, (path, _) in found[:EMPTY_NAMED])
    return [
        f"{len(found):,} files named as {looks} on the card are empty (0 bytes: nothing was "
        f"recorded in them): {shown} and {len(found) - EMPTY_NAMED:,} more (each marked on "
        "its row of the clip list; the CSV and JSON reports list every file with its size)"
    ]


def _unreadable_said(found: Sequence[tuple[str, tuple[str, str]]]) -> list[str]:
    """Page 1's lines of the files not readable as media (*found*: each one's own line, with
    its (path, noun): "clip" or "audio take"): each line as it is up to ``EMPTY_NAMED``,
    else one line counting them, the first named (each row says its own, or its folder's
    row counts it)."""
    if len(found) <= EMPTY_NAMED:
        return [page for page, _ in found]
    shown = listed([printable_name(path) for _, (path, _) in found], EMPTY_NAMED)
    looks = " or ".join(f"{noun}s" for noun in sorted({noun for _, (_, noun) in found}))
    return [
        f"{len(found):,} files named as {looks} are NOT READABLE AS MEDIA (their "
        "first bytes are no format FFmpeg reads, or it found invalid data in them), so their "
        f"contents were not looked at: {shown} (each marked on its row of the clip list, or "
        "counted on its folder's row where the list folds them; --json's card_content names "
        "every one); a checksum proves only that a copy equals the card, not that the file "
        "plays"
    ]


def own_flags(
    clip: Clip, info: MediaInfo | None, empty: Sequence[tuple[str, str]] = ()
) -> list[Flag]:
    """The ⚠ of *clip*'s own, in its row's order: damage the probing found (*info*), its
    empty files (*empty*: ``clips.empty_files``: an empty row's own, or the sound files of
    0 bytes it claims; one ``EMPTY_FILES`` flag each, in *empty*'s order), a GoPro
    recording's video absent, spans missing, a sequence's gaps and bad frames (one flag
    each at most). The one list of them: its row's ⚠ lines, page 1's warnings, the
    summary's ``CARD CONTENT:`` lines (``card_content``, by each flag's ``kind``), and, past
    MAX_CLIP_ROWS, whether it keeps its row (a folded row says nothing of any one clip)."""
    flags: list[Flag] = []
    if info is not None and info.damage:
        flags.append(
            Flag(info.damage, f"Clip {printable_name(clip.name)}: {info.damage}", CLIP_DAMAGED)
        )
    if unreadable_as_media(clip, info):
        words = not_readable_words(clip, info)
        flags.append(Flag(words, f"{printable_name(clip.primary['path'])}: {words}", NOT_READABLE))
    for path, _ in empty:
        if clip.kind == "empty":
            words = empty_words(clip)
            flags.append(Flag(words, f"{printable_name(path)}: {words}", EMPTY_FILES))
        else:
            flags.append(
                Flag(
                    f"{printable_name(_member_name(clip, path))}: {EMPTY_SOUND_SIDECAR}",
                    f"{printable_name(path)}: {EMPTY_SOUND_SIDECAR} of {printable_name(clip.name)}",
                    EMPTY_FILES,
                )
            )
    if clip.kind == "no-video":
        flags.append(
            Flag(NO_VIDEO, f"{printable_name(clip.primary['path'])}: {NO_VIDEO}", VIDEO_MISSING)
        )
    if clip.missing_spans:
        spans = _missing_spans_text(clip)
        flags.append(Flag(spans, f"Clip {printable_name(clip.name)}: {spans}", SPANS_MISSING))
    if clip.kind == "sequence" and clip.gaps:
        ranges = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in clip.gaps[:10])
        more = " …" if len(clip.gaps) > 10 else ""
        flags.append(
            Flag(
                f"GAPS: {clip.missing_frames:,} frame(s) missing: {ranges}{more}",
                f"Sequence {printable_name(clip.name)}: {clip.missing_frames:,} frame(s) missing "
                "(not on the card: check with the camera department)",
                FRAMES_MISSING,
            )
        )
    if clip.bad_frames:
        bad = _bad_frames_text(clip)
        flags.append(Flag(bad, f"Sequence {printable_name(clip.name)}: {bad}", FRAMES_DAMAGED))
    return flags


#: What a clip's own ⚠ says of the card, and of a source that is a copy root of ours (before
#: ``of_the_source``): where it is ("so on the card", "not on the card", "incomplete on the
#: card"), and whom to ask first (the offload that made that copy, then the camera department).
_OF_A_COPY = (
    ("NO VIDEO ON THE CARD", "NO VIDEO IN THE SOURCE"),
    (" on the card", " in the source"),
    (
        "check with the camera department",
        "check the offload that made the source before the camera department",
    ),
)


def own_flags_of(
    clips: Sequence[Clip],
    media: Mapping[int, MediaInfo],
    empty_of: Mapping[int, Sequence[tuple[str, str]]],
) -> dict[int, list[Flag]]:
    """Each row of *clips* that has ⚠ of its own (``own_flags`` of its probing, *media* by
    row index, and its empty files, *empty_of*), by the ``id`` of its clip: the one making
    of them for a report's documents (``documents.render``), whose rows and their folding
    (``_media_rows``), page 1 (``build_view``) and ``CARD CONTENT:`` lines
    (``card_content.card_content``) read it, where each made them anew (three times a
    clip: measured, one pass over a card of 5,000 clips is 11.6–12.6 ms of thread CPU, the
    three ~35–38 ms of the report worker's ~0.53–0.59 s, ~6–7 %; docs/performance.md,
    "Profile of the forty-fifth pass"). Most rows have none and are not in it. The lists
    are shared: read them, never change them."""
    found: dict[int, list[Flag]] = {}
    for index, clip in enumerate(clips):
        if flags := own_flags(clip, media.get(index), empty_of.get(id(clip), ())):
            found[id(clip)] = flags
    return found


def said_of_the_source(words: str, names: Iterable[str]) -> str:
    """*words* (a clip's own ⚠ as its row or page 1 says it, ``own_flags``; or page 1's
    line folding several) worded for the card, said of a source that is a copy root of ours
    (``source_words``); *names*: every name the words may print, kept as it is."""
    return of_the_source(words, keep=names, also=_OF_A_COPY)


def clip_names(clip: Clip) -> list[str]:
    """Every name a ⚠ of *clip*'s own may print (``said_of_the_source``'s *names*): its
    name, its folder, its spans missing, each file's path and its name under the clip."""
    paths = [str(entry["path"]) for entry in clip.files]
    names = [clip.name, clip.folder, *clip.missing_spans, *paths]
    return names + [_member_name(clip, path) for path in paths]


def _bad_frames_text(clip: Clip) -> str:
    """A sequence's frames that are not whole ("DAMAGED FRAMES: 2 of 20: 1005 (empty, 0
    bytes), 1010 (truncated: ...)"); the row and the page-1 warning say the same."""
    bad = clip.bad_frames
    listed = ", ".join(f"{number} ({why})" for number, why in bad[:10])
    more = f" and {len(bad) - 10:,} more" if len(bad) > 10 else ""
    return (
        f"DAMAGED FRAMES: {len(bad):,} of {clip.frames:,}: {listed}{more} (so on the card: check "
        "with the camera department)"
    )


def _missing_spans_text(clip: Clip) -> str:
    """A recording's spans missing, named ("SPANS MISSING: 1 span of this recording is
    missing: GX020005.MP4 (a gap in its numbers: ...)"); the row and the page-1 warning say
    the same. Missing, not "not on the card": an empty file of that name is on it, as a row
    of its own."""
    missing = clip.missing_spans
    names = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
    return (
        f"SPANS MISSING: {plural(len(missing), 'span')} of this recording "
        f"{'is' if len(missing) == 1 else 'are'} missing: {names} ({spans_missing_why(clip)}: "
        "the recording is incomplete on the card; check with the camera department)"
    )


def _recorded(entry: FileEntry) -> list[str]:
    """The digests a destination's ledger recorded for a file this run did not read (trusted:
    verified earlier, or transfer-checked by an earlier run), marked as recorded: nothing
    computed them now."""
    for copy in entry.get("destinations") or []:
        recorded = copy.get("recorded_digests") or {}
        if recorded:
            return [f"{k} {v} (recorded earlier, not re-read)" for k, v in recorded.items()]
    return []


def _member_name(clip: Clip, path: str) -> str:
    """A member's name as listed under its clip: the file's name in the clip's folder, else
    its path from the folder the two share (``AUDIO/0001AB00.MXF`` under a P2 clip of
    ``CONTENTS/VIDEO``, ``THMBNL/C0001T01.JPG`` under ``CLIP/C0001.MP4``, an XDCAM EX span
    ``FISH0046_02/FISH0046_02.MP4`` under its take in ``BPAV/CLPR``), which says what it is
    and where to find it."""
    folder, _, name = path.rpartition("/")
    if folder == clip.folder:
        return name
    shared = posixpath.commonpath([folder, clip.folder]) if folder and clip.folder else ""
    return path[len(shared) + 1 :] if shared else path


def _picture_size(info: MediaInfo) -> str | None:
    """The size as displayed: a picture its display matrix turns a quarter (a phone held
    upright) is shown the other way round, and the row says so."""
    if not (info.width and info.height):
        return None
    if info.rotation in (90, 270):
        way = "clockwise" if info.rotation == 270 else "counter-clockwise"
        return (
            f"{info.height}×{info.width} (displayed; stored {info.width}×{info.height}, "
            f"turned 90° {way})"
        )
    if info.rotation == 180:
        return f"{info.width}×{info.height} (displayed upside down: turned 180°)"
    return f"{info.width}×{info.height}"


def audio_only(clip: Clip, info: MediaInfo | None) -> bool:
    """A file grouped as a clip by its name that holds sound and no picture."""
    return clip.kind == "clip" and info is not None and info.error == NO_PICTURE


def not_video(clip: Clip, info: MediaInfo | None) -> bool:
    """A file grouped as a clip by its name whose first bytes are no picture or video
    format at all (``sniff.not_media``): no clip, whatever its name. One FFmpeg opened and
    failed on (damaged, cut off) stays a clip with a problem; one not probed (the budget
    spent, no media extra) stays a clip: nothing proved otherwise."""
    return clip.kind == "clip" and info is not None and info.error == NOT_MEDIA


def not_sound(clip: Clip, info: MediaInfo | None) -> bool:
    """A file grouped as an audio take by its name (a WAV...) whose first bytes are no
    format FFmpeg reads (``sniff.not_media``, which knows the sound formats' signatures):
    no audio take, whatever its name; counted apart, as ``not_video`` counts a clip's."""
    return clip.kind == "audio" and info is not None and info.error == NOT_MEDIA


def unreadable_as_media(clip: Clip, info: MediaInfo | None) -> bool:
    """A file named as a clip or an audio take that the probing could not read as media at
    all: its first bytes are no format FFmpeg reads (``sniff.NOT_MEDIA``: random bytes,
    another tool's file), or FFmpeg, opening it, found invalid data where no cut-off
    recording explains it (``MediaInfo.invalid_data``; one cut off says its ``damage``).
    Its copies may all be verified: a checksum proves a copy equals the card, never that
    the file plays, and a green row read as "this clip is good". Never a file not looked at
    (the probing's budgets spent, no media extra: nothing was found), a camera raw FFmpeg
    cannot read (``sniff.camera_raw``), a codec it cannot decode (``media.NO_DECODER``),
    a sidecar or an other file (never probed), nor one FFmpeg found invalid data in whose
    card read failed or a copy of which is not good (``read_whole``: a read that failed
    makes FFmpeg say "invalid data" too; the row's state says what failed)."""
    return (
        clip.kind in ("clip", "audio")
        and info is not None
        and not info.damage
        and (info.error == NOT_MEDIA or (info.invalid_data and read_whole(clip)))
    )


def read_whole(clip: Clip) -> bool:
    """Whether the card read every file of *clip* (no ``source_error``) and each of their
    copies is in a good state (``GOOD``; a file with no copy is not)."""
    for entry in clip.files:
        if entry.get("source_error"):
            return False
        copies = entry.get("destinations") or ()
        if not copies or any(str(d.get("status")) not in GOOD for d in copies):
            return False
    return True


def read_back(clip: Clip) -> bool:
    """Whether every copy of every file of *clip* was read back and found equal to the
    card's (``describe``: verified now, or earlier), at its card file's name, and the card
    read each whole: what lets a line say the copies hold what the card holds. A copy
    under another name (``--keep-both``) does not: the file kept at the card file's name
    there is not that copy (a damaged copy of ours, or another file), and a line saying
    "the copies hold what the card holds" read as said of it too."""
    return read_whole(clip) and all(
        describe(d).level in ("verified", "verified_earlier")
        and not (
            d.get("final_path")
            and under_another_name(str(d["final_path"]), str(entry.get("path") or ""))
        )
        for entry in clip.files
        for d in entry.get("destinations") or ()
    )


def not_readable_words(clip: Clip, info: MediaInfo | None) -> str:
    """What a file ``unreadable_as_media`` says on its row and on page 1 (after its path):
    that, why, and what its checksums prove: only that each verified copy equals the card."""
    what = "sound" if clip.kind == "audio" else "picture or video"
    if info is not None and info.invalid_data:
        why = f"FFmpeg found no {what} it reads in it (invalid data)"
    else:
        why = f"its first bytes are no {what} format FFmpeg reads"
    return (
        f"NOT READABLE AS MEDIA: {why}; its contents were not looked at (a checksum proves "
        "only that a copy equals the card, not that the file plays)"
    )


#: The media note of a file named as an audio take whose first bytes are no sound format.
NOT_SOUND = "not probed: its first bytes are no sound format FFmpeg reads"


def _media_note(clip: Clip, info: MediaInfo | None) -> str | None:
    """Why a row has no picture; a sound take is expected to have none."""
    if clip.kind == "empty":
        return "empty file: nothing to show"
    if clip.kind == "no-video":
        return "no video on the card"
    if info is None:
        return None
    if clip.kind == "audio" and info.error == NO_PICTURE:
        return "sound only"
    if not_sound(clip, info):
        return NOT_SOUND
    if audio_only(clip, info):  # named as a clip: say what it really is
        return f"audio only ({info.audio_only})" if info.audio_only else "audio only"
    return info.error


def _media_rows(
    clips: list[tuple[Clip, MediaInfo | None]],
    labels: dict[int, str],
    reread: frozenset[int],
    losses: Losses | None,
    empty_of: Mapping[int, Sequence[tuple[str, str]]],
    flags_of: Mapping[int, Sequence[Flag]],
) -> list[ClipRow]:
    """A row per clip, sequence and audio take; past MAX_CLIP_ROWS, one per folder for the
    clips and audio takes in a good state (or failed only by a lost destination's loss or
    the card gone away: ``_file_states``, *losses*) without a thumbnail, and with no ⚠ of
    their own (``own_flags``: its row's ⚠ names it); each folded file named as a clip that
    is none (``not_video``, ``audio_only``) is counted as page 1's totals count it
    (``_folded_count``). *empty_of*: each clip's empty files by its ``id``
    (``clips.empty_files_of``, found once for the documents; a clip not in it has none).
    *flags_of*: each clip's ``own_flags`` of its *info* and empty files by its ``id``
    (``own_flags_of``, made once for the documents by ``build_view``, its one caller; a
    clip not in it has none).

    Folding, each file's states are worded once (``_file_states``): they tell whether its
    clip is fine, and are counted into its folder's row (``_Tally``) or its own."""
    if len(clips) <= MAX_CLIP_ROWS:
        return [
            _clip_row(
                clip,
                info,
                labels,
                reread,
                losses=losses,
                empty=empty_of.get(id(clip), ()),
                flags=flags_of.get(id(clip), ()),
            )
            for clip, info in clips
        ]
    indexes = list(labels)
    rows: list[ClipRow] = []
    tallied: dict[str, list[_Tally]] = {}
    folded: dict[str, list[tuple[Clip, MediaInfo | None]]] = {}
    for clip, info in clips:
        empty = empty_of.get(id(clip), ())
        flags = flags_of.get(id(clip), ())
        if (
            clip.kind not in ("clip", "audio")
            or (info is not None and info.thumbnail)
            or not_sound(clip, info)  # a row of its own: never counted as an audio take
            # A folded row says nothing of any one clip; but one not readable as media is
            # counted on its folder's row, which says so (a card of 50,000 files named .MP4
            # that are no video would give the first 5,000 looked at a row each).
            or any(flag.kind != NOT_READABLE for flag in flags)
        ):
            rows.append(
                _clip_row(clip, info, labels, reread, losses=losses, empty=empty, flags=flags)
            )
            continue
        own = _own_row_or_tallied(clip, info, labels, indexes, reread, losses, tallied)
        if own is not None:
            rows.append(own)
        elif (members := folded.get(clip.folder)) is not None:
            members.append((clip, info))
        else:
            folded[clip.folder] = [(clip, info)]
    for folder, members in sorted(folded.items()):
        tallies = tallied[folder]
        entries = [entry for clip, _ in members for entry in clip.files]
        count, kind, what = _folded_count(members)
        row = _folded_row(folder, count, kind, entries, labels, reread, tallies)
        reasons = Counter(_media_note(clip, info) or "no thumbnail" for clip, info in members)
        row.media_note = "; ".join(
            f"{reason} ({count})" if len(reasons) > 1 else reason
            for reason, count in reasons.most_common(3)
        ) + ("; ..." if len(reasons) > 3 else "")
        unreadable = _unreadable_details(members)
        if unreadable and losses is not None and losses.source_copy:  # no card: the source
            names = [printable_name(clip.name) for clip, _ in members]
            unreadable = [said_of_the_source(line, names) for line in unreadable]
        row.details = [
            f"{what} ({plural(len(entries), 'file')} with their sidecars), "
            "each listed in the JSON/CSV report",
            *unreadable,
            *_gone_details(entries, losses),
        ]
        rows.append(row)
    return rows


#: What a folded clip or take is counted as (one, many), in the order and the words of
#: page 1's totals: a file named as a clip that holds only sound, or no video format at
#: all, is never a clip.
_FOLDED_NOUNS = {
    "clip": ("clip", "clips"),
    "audio": ("audio take", "audio takes"),
    "audio-only": ("audio-only file named as a clip", "audio-only files named as clips"),
    "not-video": ("file named as a clip, not video", "files named as clips, not video"),
}


def _unreadable_details(members: list[tuple[Clip, MediaInfo | None]]) -> list[str]:
    """A folded row's ⚠ line for its *members* not readable as media
    (``unreadable_as_media``), counted and the first named; none when all are readable."""
    unreadable = [clip for clip, info in members if unreadable_as_media(clip, info)]
    if not unreadable:
        return []
    named = listed([printable_name(clip.name) for clip in unreadable], EMPTY_NAMED)
    return [
        f"⚠ NOT READABLE AS MEDIA: {len(unreadable):,} of them ({named}): their first bytes "
        "are no format FFmpeg reads, or it found invalid data in them, so their contents were "
        "not looked at; a checksum proves only that a copy equals the card, not that the file "
        "plays"
    ]


def _folded_count(members: list[tuple[Clip, MediaInfo | None]]) -> tuple[str, str, str]:
    """A folded row's count of its *members* ("998 clips, 3 files named as clips, not
    video"), its kind ("takes": audio takes alone; "clips": any clip; else "media": files
    named as clips or takes, none a clip) and its first detail line (the count, and that
    none has a thumbnail)."""
    counted: Counter[str] = Counter(
        "audio"
        if clip.kind == "audio"
        else "audio-only"
        if audio_only(clip, info)
        else "not-video"
        if not_video(clip, info)
        else "clip"
        for clip, info in members
    )
    count = ", ".join(
        plural(counted[key], *_FOLDED_NOUNS[key]) for key in _FOLDED_NOUNS if counted[key]
    )
    if set(counted) == {"audio"}:  # a take is expected to have no picture
        return count, "takes", count
    kind = "clips" if counted["clip"] else "media"
    if set(counted) == {"clip"}:
        return count, kind, f"{count} without a thumbnail"
    return count, kind, f"{count}, none with a thumbnail"


def _own_row_or_tallied(
    clip: Clip,
    info: MediaInfo | None,
    labels: dict[int, str],
    indexes: list[int],
    reread: frozenset[int],
    losses: Losses | None,
    tallied: dict[str, list[_Tally]],
) -> ClipRow | None:
    """Where a folded list puts *clip* (``_media_rows``, ``_file_rows``): its files' states
    worded once (``_file_states``, *losses*); not all fine (a file the card did not read, or
    failed otherwise), its own row, returned; else None, its files counted into its folder's
    tallies in *tallied* (a ``_Tally`` a destination of *indexes*, *labels*' keys, made at
    its first clip)."""
    states, fine = _file_states(clip.files, indexes, reread, losses)
    if not fine:
        row_states = _row_states(clip.files, states, len(indexes))
        return _clip_row(clip, info, labels, reread, row_states, losses=losses)
    tallies = tallied.get(clip.folder)
    if tallies is None:
        tallies = tallied[clip.folder] = [_Tally() for _ in indexes]
    for entry, mine in zip(clip.files, states, strict=True):
        for tally, (state, beside, replaced) in zip(tallies, mine, strict=True):
            tally.add(state, entry, beside=beside, replaced=replaced)
    return None


def _folded_row(
    folder: str,
    count: str,
    kind: str,
    entries: list[FileEntry],
    labels: dict[int, str],
    reread: frozenset[int] = frozenset(),
    tallies: list[_Tally] | None = None,
) -> ClipRow:
    """One row for *entries* of *folder* ("DATA/b/ (399 files)"), their states counted
    (*tallies*: already, one a destination of *labels*)."""
    group = Clip(
        name=f"{folder or '(card root)'}/ ({count})",
        kind=kind,
        folder=posixpath.dirname(folder),
        primary=entries[0],
        files=entries,
    )
    states = None if tallies is None else [tally.state() for tally in tallies]
    # Folded with their tallies, the files are fine: the card read each of them.
    row = _clip_row(group, None, labels, reread, states, all_read=tallies is not None)
    row.digests = ["per file in the JSON/CSV report"]
    return row


def _read_failed(losses: Losses | None) -> str:
    """A row's mark of a file whose read failed: the card's, or the fast copy's standing in
    for it (*losses*' ``stand_in``: the card was not read, ``what_was_read``)."""
    if losses is not None and losses.stand_in:
        return f"✖ READ OF {what_was_read(True).upper()} FAILED"
    return "✖ CARD READ FAILED"


def _gone_details(entries: list[FileEntry], losses: Losses | None) -> list[str]:
    """A folded row's line for its files the card gone away failed (the only files with a
    ``source_error`` a folded row holds: ``_file_states``), or none (*losses*: the run's,
    whose ``stand_in`` says what went away)."""
    if losses is None or not losses.card_gone:
        # No file the card failed to read is folded then (``_file_states``): none to count,
        # and a read of each folded file's error (a view's read is a call: ~20 ms of a
        # 50,000-file card's documents) is spared.
        return []
    gone = sum(1 for entry in entries if entry.get("source_error"))
    if not gone:
        return []
    went = what_was_read(losses is not None and losses.stand_in)
    return [
        f"{_read_failed(losses)}: {gone:,} of {plural(len(entries), 'file')}: {went} went away "
        "(the cause is under Problems)"
    ]


def _folder_error_lines(data: Mapping[str, Any], labels: Mapping[int, str]) -> list[str]:
    """Page 1's lines for the JSON's ``folder_errors``. Each its line, but past
    MAX_LOSS_LINES of one cause, one line with the count (the JSON lists each): the card's
    folders whose time could not be read once the card went away (``card_gone``: a card of
    300 clip folders, 300 lines), and the folders whose time one destination refused with
    one errno (``folder_times_unset``: a drive gone read-only refuses each), as the
    terminal's ``failure_lines`` counts them."""
    errors = [str(error) for error in data.get("folder_errors") or []]
    causes = folder_error_causes(
        errors, data.get("folder_times_unset") or [], bool(data.get("card_gone")), labels
    )
    by_cause: dict[tuple[Any, ...], list[int]] = {}
    for at, cause in enumerate(causes):
        if cause is not None:
            by_cause.setdefault(cause, []).append(at)
    counted: dict[int, str] = {}  # a cause's first line's place → the line that counts it
    dropped: set[int] = set()
    for cause, places in by_cause.items():
        if len(places) <= MAX_LOSS_LINES:
            continue
        dropped.update(places)
        if cause == CARD_FOLDER:
            counted[places[0]] = (
                f"{len(places):,} folders of the card whose times could not be read: the card "
                "went away (the first problem); the JSON report lists each"
            )
        else:
            counted[places[0]] = (
                f"{len(places):,} folders on destination {labels[cause[0]]} whose times could not "
                f"be set ({cause[1]}), the first: {errors[places[0]]}; the JSON report lists each"
            )
    lines = [
        counted.get(at, error)
        for at, error in enumerate(errors)
        if at not in dropped or at in counted
    ]
    return lines


def _file_rows(
    files: list[Clip],
    labels: dict[int, str],
    reread: frozenset[int] = frozenset(),
    losses: Losses | None = None,
) -> list[ClipRow]:
    """A row per other file; past MAX_FILE_ROWS, one per folder for those in a good state
    (or failed only by a lost destination's loss or the card gone away: ``_file_states``,
    *losses*)."""
    if len(files) <= MAX_FILE_ROWS:
        return [_clip_row(clip, None, labels, reread, losses=losses) for clip in files]
    indexes = list(labels)
    rows: list[ClipRow] = []
    tallied: dict[str, list[_Tally]] = {}
    folded: dict[str, list[FileEntry]] = {}
    for clip in files:
        # A file the card did not read keeps its row, its error on it, as a clip does
        # (``_file_states``): folded, its folder's row said nothing of it.
        own = _own_row_or_tallied(clip, None, labels, indexes, reread, losses, tallied)
        if own is not None:
            rows.append(own)
        elif (entries := folded.get(clip.folder)) is not None:
            entries.extend(clip.files)
        else:
            folded[clip.folder] = list(clip.files)
    for folder, entries in sorted(folded.items()):
        count = plural(len(entries), "file")
        row = _folded_row(folder, count, "folder", entries, labels, reread, tallied[folder])
        row.details = [
            f"{plural(len(entries), 'other file')}, each listed in the JSON/CSV report",
            *_gone_details(entries, losses),
        ]
        rows.append(row)
    return rows


def ignored_said(data: Mapping[str, Any], *, count_alone: bool = False) -> str:
    """The JSON report *data*'s ``ignored`` entries in words, its folders named
    (``ignored_count_words``: "1 folder (PROXY/)", "2 entries"); with *count_alone*, the
    count alone ("2") when none is a folder."""
    entries = list(data.get("ignored") or ())
    folders = ignored_folders(entries)
    if count_alone and not folders:
        return str(len(entries))
    return ignored_count_words(len(entries), folders)


def ignored_folders(entries: Iterable[Any]) -> tuple[str, ...]:
    """The paths of the JSON's ``ignored`` *entries* that are folders (``kind`` "folder";
    a report written before that key says none)."""
    return tuple(
        str(e.get("path")) for e in entries if isinstance(e, dict) and e.get("kind") == "folder"
    )


def _ignored_lines(entries: list[Any]) -> list[str]:
    """The JSON's ``ignored`` entries as "path — reason" lines (a folder's path ending in
    ``/``), those a user's pattern left out first (they keep the card: release.py), then in
    the scan's order; past MAX_IGNORED_LINES, one line per reason counting the rest."""
    pairs = [
        (
            f"{e.get('path')}{'/' if e.get('kind') == 'folder' else ''}",
            str(e.get("reason") or "no reason recorded"),
            user_ignored(e),
        )
        if isinstance(e, dict)
        else (str(e), "no reason recorded", False)
        for e in entries
    ]
    pairs.sort(key=lambda pair: not pair[2])  # stable: the scan's order within each
    lines = [
        f"{printable_name(path)} — {reason}{' (a pattern given for this offload)' if user else ''}"
        for path, reason, user in pairs[:MAX_IGNORED_LINES]
    ]
    rest = Counter(reason for _, reason, _ in pairs[MAX_IGNORED_LINES:])
    lines.extend(
        f"… and {plural(count, 'more entry', 'more entries')}: {reason}"
        for reason, count in rest.most_common()
    )
    return lines


def _link_notes(symlinks: list[dict[str, Any]]) -> list[str]:
    """One line per symlink a destination's manifest does not list (ignored or left out),
    naming the destinations it concerns (usually all: the same card, the same links)."""
    where: dict[tuple[str, str, str], list[int]] = {}
    for link in symlinks:
        if link.get("manifest") in ("ignored", "left-out"):
            key = (
                str(link.get("relative_path")),
                str(link.get("target")),
                str(link.get("manifest_note")),
            )
            where.setdefault(key, []).append(int(link.get("destination_index", 0)) + 1)
    return [
        f"Symlink {path} -> {target} (destination {', '.join(map(str, numbers))}): {note}"
        for (path, target, note), numbers in where.items()
    ]


def _refusal(dest: Mapping[str, Any]) -> str | None:
    """The kind of the refusal of a failed copy (*dest*, a copy's entry of the job report:
    its ``refusal``, ``remedies.Refusal``'s value; None: not refused). A report written
    before the key said it by the remedy its error carried, in the words every version
    before it wrote (``_LEGACY_REFUSALS``), read so: those words are fixed, as written."""
    if "refusal" in dest:
        kind = dest["refusal"]
        return kind if isinstance(kind, str) else None
    error = dest.get("error")
    if not isinstance(error, str):
        return None
    for words, kind in _LEGACY_REFUSALS:
        if words in error:
            return kind
    return None


def _fast_failure(dest: Mapping[str, Any]) -> str | None:
    """Why a cascade failed a fast copy (*dest*, a copy's entry of the job report: its
    ``fast_failure``, ``results.FastCopyFailure``'s value; None: failed otherwise). A report
    written before the key said it only in its error's words, read so
    (``cascade_words.legacy_fast_failure``: those versions' words, fixed as written)."""
    if "fast_failure" in dest:
        kind = dest["fast_failure"]
        return kind if isinstance(kind, str) else None
    return legacy_fast_failure(dest.get("error"))


# The remedies a refusal's error carried in reports written before a copy's ``refusal``
# (``_refusal``), most particular first: another card's copy; any file in the way; a copy
# of ours found wrong whose rewrite failed.
_LEGACY_REFUSALS = (
    (
        "--into another folder keeps the two cards apart, --keep-both keeps both here",
        "another_card",
    ),
    ("--keep-both keeps both", "in_the_way"),
    ("the copy found wrong is left as it is (recorded as wrong in the ledger)", "rewrite_failed"),
)


def _cascade_text(
    data: dict[str, Any],
    fed: bool,
    slow_failed: int,
    fast_copies: Sequence[tuple[str, str | None, str | None]],
    slow_refused: int = 0,
) -> str:
    """The cascade's sentence (``cascade_words``, the terminal summary's), from the job
    report: *fed*, a copy the cascade wrote on a slow destination; *slow_failed*, how many
    failed there (true: some), *slow_refused* of them already there and refused (not written
    now); *fast_copies*, those failed on a fast destination (each its file, why the cascade
    failed it: ``_fast_failure``, and its refusal's kind: ``_refusal``).
    A report written before ``card_pass_ended_at`` existed set ``card_released_at`` whenever
    the pass ended: read so (it cannot tell a card kept after a transfer check)."""
    cascaded: dict[str, Any] = data["cascade"]
    cascaded_to = [int(i) for i in cascaded.get("destinations") or []]
    ended = cascaded.get("card_pass_ended_at", cascaded.get("card_released_at"))
    fast_kinds = [kind for _, kind, _ in fast_copies]
    refused, other_card, earlier, plain = fast_refused(
        (path, kind) for path, _, kind in fast_copies
    )
    reread = [int(i) for i in cascaded.get("fast_copies_reread") or []]
    on_card = [int(i) for i in cascaded.get("fast_copies_on_card_disk") or []]
    # The other fast copies holding files an earlier run verified (``cascade_words``).
    not_reread = [
        int(d.get("index", i))
        for i, d in enumerate(data.get("destinations") or [])
        if reread
        and d.get("files_verified_earlier")
        and int(d.get("index", i)) not in cascaded_to
        and int(d.get("index", i)) not in reread
    ]
    return cascade_sentence(
        CascadeFacts(
            slow=_numbered(cascaded_to),
            slow_count=len(cascaded_to),
            # The documents' form of a time (``when``), not the JSON's ISO text.
            pass_ended_at=when(ended) if ended else None,
            released=bool(cascaded.get("card_released_at")),
            card_pass_failed=int(cascaded.get("card_pass_failed") or 0),
            cancelled=bool(data.get("cancelled")),
            fed=fed,
            slow_failed=bool(slow_failed),
            slow_refused=slow_refused,
            slow_refused_only=slow_refused == slow_failed,
            fast_failed=bool(fast_kinds),
            fast_unreachable=fast_unreachable(fast_kinds),
            fast_rerun=fast_rerun(fast_kinds),
            fast_refused=refused,
            fast_other_card=other_card,
            fast_earlier=earlier,
            fast_plain=plain,
            never_in_run=never_in_run(
                d.get("refusal")
                for f in data.get("files") or ()
                for d in f.get("destinations") or ()
            ),
            unproven=int(cascaded.get("files_verified_earlier_unproven") or 0),
            card_pass_held=held_elsewhere(
                (
                    (
                        f.get("source_error"),
                        (
                            str(d.get("status"))
                            for d in f.get("destinations") or ()
                            if int(d.get("index", -1)) not in cascaded_to
                        ),
                    )
                    for f in data.get("files") or ()
                ),
                len(data.get("destinations") or ()) - len(cascaded_to),
            )
            if cascaded.get("card_pass_failed")
            else 0,
            after_reread=bool(cascaded.get("card_released_after_reread")),
            failures_listed="listed under Problems",  # the list before the warnings
            released_at=when(cascaded.get("card_released_at")) or None,
            reread=_numbered(reread),
            not_reread=_numbered(not_reread),
            on_card_disk=_numbered(on_card),
            on_card_count=len(on_card),
            # Decided once by the run; a report of an older version: by the run's rule.
            only_on_card_disk=bool(on_card) and _kept_by_its_disk(data, cascaded_to, on_card),
            card_disk_unknown=bool(cascaded.get("card_disk_unknown")),
            unrecorded=_numbered([int(i) for i in cascaded.get("fast_copies_unrecorded") or []]),
            bucket=any(
                is_s3_destination(str(d.get("path") or ""))
                for i, d in enumerate(data.get("destinations") or [])
                if int(d.get("index", i)) not in cascaded_to
            ),
            source_is_copy=source_is_copy(data),
        )
    )


def _kept_by_its_disk(data: dict[str, Any], cascaded_to: list[int], on_card: list[int]) -> bool:
    """Whether every local fast destination of the cascade is on the card's own filesystem
    or disk (JSON ``cascade.card_kept_by_its_disk``, decided by the run). A report of a
    version before that key (one with ``fast_copies_on_card_disk``) is read by the run's own
    rule (``cascade.kept_by_its_disk``) over what it gives: its fast destinations, those not
    cascaded to, less those in a bucket (an ``s3://`` path: a copy there never stands for
    the card), all among *on_card*. Read as False it said "and no other copy there is
    recorded read back whole" of a bucket verified now, or of no other copy at all."""
    kept = (data.get("cascade") or {}).get("card_kept_by_its_disk")
    if isinstance(kept, bool):
        return kept
    slow = set(cascaded_to)
    local = {
        int(d.get("index", i))
        for i, d in enumerate(data.get("destinations") or [])
        if int(d.get("index", i)) not in slow and not is_s3_destination(str(d.get("path") or ""))
    }
    return bool(local) and local <= set(on_card)


def _numbered(indexes: list[int]) -> str:
    """Destinations by number, as the cascade's sentence names them in the documents: as
    the release rule names them (``release.destinations_named``); none: ""."""
    return destinations_named(indexes)[0] if indexes else ""


def _capped_warnings(raw: list[Any]) -> list[str]:
    """The run's warnings as page-1 lines, in order; past MAX_WARNING_LINES_PER_CODE of one
    code, one line counts the rest of that code (the JSON report keeps every one). A
    warning without a code is always shown. A code the terminal's summary prints under a
    word of its own (``words.WARNING_LABELS``) has that word here too."""
    lines: list[str] = []
    shown: Counter[str] = Counter()
    for warning in raw:
        fields = warning if isinstance(warning, dict) else {}
        code = str(fields.get("code") or "")
        if code:  # a warning without a code (an older report's) is like no other: shown
            shown[code] += 1
        if not code or shown[code] <= MAX_WARNING_LINES_PER_CODE:
            label = WARNING_LABELS.get(code)
            lines.append((f"{label}: " if label else "") + str(fields.get("message") or warning))
    for code, count in shown.items():
        if count > MAX_WARNING_LINES_PER_CODE:
            more = count - MAX_WARNING_LINES_PER_CODE
            lines.append(
                f"… and {plural(more, 'more warning', 'more warnings')} like these ({code}): "
                "every one is in the JSON report"
            )
    return lines


def _at_the_stop(statuses: Counter[str], read_again: int = 0) -> str:
    """The copies of a run cancelled or stopped, by state, as the run left them: "the
    copies: 3 verified now, 1 transfer-checked only (never read back), 4 cancelled";
    *read_again*: of those verified earlier, the copies a cascade read before the stop
    (``read_by_cascade``), never "not re-read": in the summary's words
    (``cascade_words.earlier_how``)."""
    how = earlier_how(statuses["verified_earlier"], read_again)
    words = (
        ("verified", "verified now"),
        ("verified_earlier", f"verified earlier ({how})"),
        ("transfer_checked", "transfer-checked only (never read back)"),
        ("failed", "failed"),
        ("cancelled", "cancelled"),
        ("missing", "missing"),
    )
    counts = [f"{statuses[state]} {said}" for state, said in words if statuses[state]]
    return f"the copies: {', '.join(counts)}" if counts else "no copy was made"


def _read_from(destinations: Sequence[Any]) -> tuple[str, str]:
    """Where the run's copies were read back from, as the verdict says it for one copy and
    for all: a drive, a bucket (an ``s3://`` destination), or either where the run had
    both kinds ("from its drive or bucket")."""
    kinds = {
        "bucket" if is_s3_destination(str((d or {}).get("path") or "")) else "drive"
        for d in destinations
        if isinstance(d, dict)
    }
    if kinds == {"bucket"}:
        return "its bucket", "their buckets"
    if kinds == {"drive", "bucket"}:
        return "its drive or bucket", "their drives or buckets"
    return "its drive", "their drives"


def _cached_when(cached: int, cached_earlier: int) -> str:
    """When *cached* copies were read back through a cache: this run, or *cached_earlier* of
    them the earlier run the ledger records (not re-read now), each said apart, as the
    verdict and the terminal's head line say them."""
    now = cached - cached_earlier
    if not cached_earlier:
        return "now"
    if not now:
        return "by the earlier run the ledger records, not now"
    return f"{now:,} of them now, {cached_earlier:,} by the earlier run the ledger records"


def _proved(
    statuses: Counter[str],
    *,
    copies: int,
    cached: int,
    read_again: int,
    cached_earlier: int = 0,
    read_from: tuple[str, str] = ("its drive", "their drives"),
    checked_earlier: int = 0,
    transfer_run: bool = False,
    size_only: int = 0,
    size_earlier: int = 0,
) -> tuple[str, str] | None:
    """What the copies' states prove, when every copy is good (verified now or earlier, or
    transfer-checked): the verdict of a run with no problem, and the same in a clause for a
    run whose problems came after its copies. None when a copy is not good, or there is
    none. *cached*: copies read back through a cache, *cached_earlier* of them by the
    earlier run that verified them (its ledger entry says so), said apart from those read
    so now ("2 of 3 read back through a cache" read as this run's reads); *read_again*:
    copies verified earlier that a cascade read now; *read_from*: where a copy and all were
    read back from (``_read_from``); *checked_earlier*: copies transfer-checked by an
    earlier run, trusted from the ledger (of those counted ``transfer_checked``): this run
    neither copied nor checked them, so never "all copied" of them, as the verified ones
    are "earlier";
    *transfer_run*: the run's ``--verify transfer``, which reads back no copy it makes: a
    copy it verified now is one already there, read back now (never "copied" either);
    *size_only*: copies of this run on a service that does not check the in-flight hashes
    (``SIZE_ONLY_COUNT``), of those counted ``transfer_checked``: said so; *size_earlier*:
    of *checked_earlier*, those whose earlier check proved the size alone
    (``SIZE_EARLIER_COUNT``): said so too."""
    if not copies or any(n for status, n in statuses.items() if status not in GOOD):
        return None
    if statuses["transfer_checked"]:
        never = statuses["transfer_checked"]
        verified_earlier = statuses["verified_earlier"]
        read_now = statuses["verified"]
        # What this run did not do itself: copies an earlier run transfer-checked (of the
        # ones never read back), copies verified earlier and copies read back now (of all:
        # under --verify transfer, ones already there); any means never "all N copied" of
        # this run.
        head_notes: list[str] = []
        clause_notes: list[str] = []
        if checked_earlier:
            # Those whose earlier check proved the size alone: never "transfer-checked".
            sized_then = (
                f", {size_earlier:,} of those size-checked only (their in-flight hashes not "
                "checked or not recorded as checked)"
                if size_earlier
                else ""
            )
            head_notes.append(
                f"{checked_earlier:,} of them transfer-checked by an earlier run, "
                f"not re-checked now{sized_then}"
            )
            clause_notes.append(
                f"{checked_earlier:,} of them by an earlier run, not re-checked now{sized_then}"
            )
        sized = (
            f"{size_only:,} of them size-checked only (their service does not check the "
            "in-flight hashes)"
        )
        if size_only:
            head_notes.append(sized)
        if verified_earlier:
            by_now = (
                f"{verified_earlier:,} of {copies:,} verified earlier, "
                f"{earlier_how(verified_earlier, read_again)}"
            )
            if cached_earlier:  # that run's reads, never this run's: as the branch below
                by_now += f", {cached_earlier:,} of them {CACHED_BY_THE_EARLIER_RUN}"
            head_notes.append(by_now)
            clause_notes.append(by_now)
        if read_now:
            there = "already there, " if transfer_run else ""
            now = f"{read_now:,} of {copies:,} {there}read back now"
            head_notes.append(now)
            clause_notes.append(now)
        head = (
            f"≈ COPIED, TRANSFER-CHECKED ONLY: {never:,} of {copies:,} "
            f"{'copy was' if copies == 1 else 'copies were'} never read back"
        )
        if head_notes:
            head += f" ({'; '.join(head_notes)})"
        if not clause_notes:
            clause = (
                f"all {copies:,} copied, {never:,} of them transfer-checked only (never read back)"
            )
        elif never == copies:
            clause = f"all {copies:,} transfer-checked only, never read back"
        else:
            clause = (
                f"all {copies:,} there, {never:,} of them transfer-checked only, never read back"
            )
        if clause_notes:
            clause += f" ({'; '.join(clause_notes)})"
        if size_only:  # copies of this run: never a reason not to say "all N copied"
            clause += f", {sized}"
        return head, clause
    if statuses["verified_earlier"]:
        earlier = statuses["verified_earlier"]
        how = earlier_how(earlier, read_again)
        if cached_earlier:
            how += f", {cached_earlier:,} of them {CACHED_BY_THE_EARLIER_RUN}"
        now_cached = cached - cached_earlier
        through = (
            f"; {now_cached:,} of {copies:,} read back now through a cache" if now_cached else ""
        )
        return (
            f"✔ ALL COPIES VERIFIED ({earlier:,} of {copies:,} verified earlier, {how}{through})",
            f"all {copies:,} verified ({earlier:,} of them earlier, {how}{through})",
        )
    if cached:
        return (
            f"✔ ALL COPIES VERIFIED: every copy read back and matched, {cached:,} of {copies:,} "
            "through a cache, not from the media",
            f"all {copies:,} verified now (read back and matched, {cached:,} of them through a "
            "cache, not from the media)",
        )
    return (
        f"✔ ALL COPIES VERIFIED: every copy read back from {read_from[0]} and matched",
        f"all {copies:,} verified now (read back from {read_from[1]} and matched)",
    )


def build_view(
    data: dict[str, Any],
    clips: list[Clip],
    media: dict[int, MediaInfo],
    notes: list[str],
    *,
    generated: str = "",
    empty_of: Mapping[int, Sequence[tuple[str, str]]] | None = None,
    flags_of: Mapping[int, Sequence[Flag]] | None = None,
) -> ReportView:
    """The documents' view of the job report *data*, its *clips* (``group_clips``' rows,
    frames checked) and their probing (*media*, by row index; *notes*: what the probing
    said). *empty_of*: each row's empty files by the ``id`` of its clip
    (``clips.empty_files_of``, found once for the documents: ``CARD CONTENT:`` counts the
    same); None: found here. *flags_of*: each row's ``own_flags`` by the ``id`` of its
    clip (``own_flags_of`` of *media* and *empty_of*, made once for the documents:
    ``CARD CONTENT:`` reads the same); None: made here."""
    source = str(data.get("source") or "")
    card_name = os.path.basename(source.rstrip("/")) or source
    # One folder of a card offloaded (``source-part-of-volume``): the card named as the
    # card, the folder said (QA: the report was named "CLIP" after CARD/PRIVATE/M4ROOT/CLIP).
    source_name = card_name
    part = part_of_card(data)
    card_part = title_part = ""
    if part is not None:
        card_name, within, card_part = part
        title_part = f", only {within}"
    destinations = data.get("destinations", [])
    labels = {int(d.get("index", i)): destination_label(d) for i, d in enumerate(destinations)}
    reread = reread_by_cascade(data)
    # Without its card, a cascade re-run read a fast copy: a read failed is that copy's.
    losses = Losses.of_report(data)._replace(
        stand_in=absent_card(data) is not None,
        source_copy=source_is_copy(data),
    )
    # Each row's empty files (an "empty" row's own, the sound files of 0 bytes a clip
    # claims: ``clips.empty_files``, as ``CARD CONTENT:`` counts them), found once: the
    # rows and page 1 read them here. Most clips have none (no sidecar).
    if empty_of is None:
        empty_of = empty_files_of(clips)
    if flags_of is None:
        flags_of = own_flags_of(clips, media, empty_of)
    rows = _media_rows(
        [(clip, media.get(i)) for i, clip in enumerate(clips) if clip.kind != "file"],
        labels,
        reread,
        losses,
        empty_of,
        flags_of,
    )
    rows.extend(_file_rows([c for c in clips if c.kind == "file"], labels, reread, losses))
    # Problems first, as the heading says: the failures, then the rows flagged ⚠ of their
    # own (a sequence's gaps, a clip cut off: QA found one on page 77 of 92, in name
    # order), then the rest; within each, clips and sequences, then other files (each in
    # path order: the sort is stable).
    order = {
        **dict.fromkeys(
            (
                "clip",
                "sequence",
                "audio",
                "not-sound",
                "audio-only",
                "not-video",
                "empty",
                "no-video",
                "clips",
                "takes",
                "media",
            ),
            0,
        ),
        **dict.fromkeys(("file", "folder"), 1),
    }
    rows.sort(key=lambda r: (not r.bad, not r.flagged, order.get(r.kind, 2)))

    problems: list[str] = []
    if data.get("card_gone"):  # first: the files that failed for it are listed below
        problems.append(str(data["card_gone"]))
    if data.get("cancelled"):
        problems.append("The offload was CANCELLED before it finished: run it again to resume.")
    elif data.get("exit_code") == 130:
        # Stopped after its copies (the verdict's STOPPED AFTER THE COPIES): a problem as a
        # cancel is, never "Problems: none" under that verdict.
        problems.append(
            "The offload was STOPPED (exit 130) while its reports were written: those not "
            "written before the stop are missing (the notes say what the stop left); run the "
            f"same command again to write them{nothing_copied_again(data.get('totals'))}."
        )
    lost = any(d.get("lost") for d in destinations)
    # A lost destination's failures of the loss, by index: its LOST line then their lines,
    # or one line counting them past MAX_LOSS_LINES (placed once the files are read).
    of_loss: dict[int, list[str]] = {index: [] for index in losses.destinations}
    # The files that failed for the card gone away (its line, first, counts them), and
    # where their lines are among ``failed_lines``: past MAX_LOSS_LINES files, taken out.
    gone_files = 0
    gone_at: list[int] = []
    # Failures many copies of one destination share (``Losses.alike``): their one line's
    # place among ``failed_lines``, by (destination, error).
    alike_at: dict[tuple[int, str], int] = {}
    # The other failures of each destination (``loss.OwnFailures``, the terminal's count
    # too): past LISTED_ALONE there, one line counts the rest, its place among
    # ``failed_lines`` held where the first counted came (``take``, then ``fill``).
    own = OwnFailures()
    # One pass over the files' copies for the failures, the counts by state, the copies
    # read back through a cache and what a cascade wrote or failed on its slow destinations:
    # a file's ``destinations`` is made each time it is read after an offload
    # (``FileEntryView``), and three passes were ~0.3 s at 50,000 files.
    cascaded: dict[str, Any] = data.get("cascade") or {}
    slow = set(cascaded.get("destinations") or [])
    slow_fed = False
    slow_failed = slow_refused = 0  # copies failed on a slow destination; of them refused
    # The failed fast copies: each its file and its reason (``cascade_words``).
    fast_copies: list[tuple[str, str | None, str | None]] = []
    failed_lines: list[str] = []
    statuses: Counter[str] = Counter()
    size_only = 0  # of statuses' transfer_checked, those SIZE_ONLY_COUNT counts
    # Copies verified earlier a cascade read now (``REREAD_BY_CASCADE``), by destination.
    read_again_on: Counter[int] = Counter()
    # Copies trusted from a transfer-mode record, by (destination, the status they are
    # counted under in its summary: ``transfer_checked``, or in a report before that status
    # said so, ``verified_earlier``): "transfer-checked earlier" in its result and Totals.
    transfer_earlier: Counter[tuple[int, str]] = Counter()
    cached = cached_earlier = 0  # of the copies verified now or earlier; of the earlier ones
    card_cached = card_server = 0  # card files the full mode re-read through a cache
    failed_files = 0  # files the card failed to read or some copy of which failed
    failed_on: set[int] = set()  # the destinations where some copy failed (``failed_words``)
    # Files none of whose copies failed with one cancelled, and where (``failed_words``).
    cancelled_files = 0
    cancelled_on: set[int] = set()
    # Without its card, a cascade re-run read a fast copy of it: that read failed, not the
    # card's (``what_was_read``).
    stand_in = absent_card(data) is not None
    read_failed = f"read of {what_was_read(True)} FAILED" if stand_in else "card read FAILED"
    for entry in data.get("files", []):
        source_error = entry.get("source_error")  # read once (a view's read is a call)
        file_failed = bool(source_error)
        card_bypass = entry.get("source_cache_bypass")
        if card_bypass in THROUGH_A_CACHE:
            card_cached += 1
            card_server += card_bypass == "server"
        gone = losses.of_card(source_error)
        gone_files += gone
        if source_error:
            error = str(source_error)
            if gone:
                gone_at.append(len(failed_lines))
            failed_lines.append(
                f"{read_failed[0].upper()}{read_failed[1:]}: {error}"
                if names_path(error, entry["path"])
                else f"{printable_name(entry['path'])}: {read_failed}: {error}"
            )
        for dest in entry.get("destinations", []):
            status = dest.get("status")
            if status == "failed":
                index = int(dest.get("index", 0))
                file_failed = True
                failed_on.add(index)
                label = labels.get(index, "?")
                recorded = str(dest.get("error") or "")  # as the rows and the terminal judge it
                error = recorded or "no reason recorded"
                line = (
                    f"Destination {label}: FAILED: {error}"
                    if names_path(error, entry["path"])
                    else f"{printable_name(entry['path'])} on destination {label}: FAILED: {error}"
                )
                rel = str(entry["path"])
                kind = losses.cause(source_error, index, recorded, rel)
                if kind == LOST:
                    of_loss[index].append(line)
                elif kind == ALIKE:
                    # One line for them all, where the first came (made once counted).
                    key = (index, error_words(recorded, rel))
                    if key not in alike_at:
                        alike_at[key] = len(failed_lines)
                        alike = losses.alike_count(index, recorded, rel)
                        failed_lines.append(
                            f"{alike:,} files FAILED on destination {label} with the same "
                            f"error ({key[1]}), the first: {line}; the CSV and JSON reports "
                            "list each, with its error"
                        )
                elif kind is None and not source_error:
                    # An error of its own (e.g. a read-back that did not match, with its
                    # digests; a write refused): past LISTED_ALONE of a destination, one
                    # line counts the rest with an error recorded, in the place the first
                    # counted came (held by ``own``, its words made once all are counted).
                    if own.take(index, recorded, failed_lines):
                        failed_lines.append(line)
                else:
                    if kind == GONE:
                        gone_at.append(len(failed_lines))
                    failed_lines.append(line)
            if slow and dest.get("index") not in slow and status == "failed":
                fast_copies.append((str(entry.get("path")), _fast_failure(dest), _refusal(dest)))
            if slow and dest.get("index") in slow:
                if status == "failed":
                    slow_failed += 1
                    # Already there, refused (``CascadeFacts.slow_refused``): not written now.
                    slow_refused += dest.get("action") not in ("copied", "replaced")
                # Fed: a copy the cascade wrote there (from a fast copy).
                slow_fed = slow_fed or (
                    dest.get("action") in ("copied", "replaced")
                    and status in ("verified", "transfer_checked")
                )
            # A copy trusted from a transfer-mode record was never read back: count it so,
            # and apart, as its row says it ("Transfer-checked earlier": ``describe``'s test,
            # spelled out here: a call a copy cost ~0.4 µs, 40 ms at 100,000 copies).
            if status == "verified_earlier" and dest.get("verified_mode") == "transfer":
                statuses["transfer_checked"] += 1
                transfer_earlier[dest.get("index", 0), "verified_earlier"] += 1
            else:
                statuses[str(status)] += 1
                if status == "verified_earlier" and read_by_cascade(dest, reread):
                    read_again_on[int(dest.get("index", 0))] += 1
                elif status == "transfer_checked" and dest.get("action") == "trusted":
                    # Its earlier check proved the size alone: counted apart, as its row.
                    kind = "size_checked" if dest.get("size_checked_only") else status
                    transfer_earlier[dest.get("index", 0), kind] += 1
                elif status == "transfer_checked" and (
                    dest.get("index", 0) in losses.size_checked_only
                ):
                    size_only += 1  # this run's, its size alone checked (``describe``)
            # Verified now, or earlier by a run whose ledger entry says it read through a
            # cache.
            if (
                status in ("verified", "verified_earlier")
                and dest.get("cache_bypass") in THROUGH_A_CACHE
            ):
                cached += 1
                if status == "verified_earlier":
                    cached_earlier += 1
        failed_files += file_failed
        if not file_failed:
            halted = {
                int(d.get("index", 0))
                for d in entry.get("destinations", [])
                if d.get("status") == "cancelled"
            }
            cancelled_files += bool(halted)
            cancelled_on |= halted
    read_again = sum(read_again_on.values())

    def counting_line(index: int) -> str:
        where = f"destination {labels.get(index, '?')}"
        return (
            f"… and {own.words(index, where)}: the clip list and the CSV and JSON reports "
            "list each, with its error"
        )

    own.fill(failed_lines, counting_line)  # before the lines are taken out: still its place
    # The lists are capped: a "… and N more" line says how many it stands for, and the
    # verdict how many files failed (``failed_files``).
    if gone_files > MAX_LOSS_LINES:
        dropped = set(gone_at)
        failed_lines = [line for i, line in enumerate(failed_lines) if i not in dropped]
    lost_lines: list[str] = []  # each lost destination, as the verdict names it
    for d in destinations:
        if not d.get("lost"):
            continue
        label = destination_label(d)
        at = f" at {when(d['lost_at'])}" if d.get("lost_at") else ""  # reports before: none
        problems.append(f"Destination {label} LOST{at}: {d.get('lost_reason') or 'no reason'}")
        lost_lines.append(str(d.get("path") or label))  # as the terminal names it
        taken = of_loss.get(int(d.get("index", 0))) or []
        if len(taken) <= MAX_LOSS_LINES:
            problems.extend(taken)
            continue
        # Never "before their copies there were verified": a cascade's fast drive is lost
        # with copies verified before the card's release (``cascade._declare_gone``).
        problems.append(
            f"{len(taken):,} files FAILED on destination {label}, lost{at} (the line above "
            "gives the cause): the CSV and JSON reports list each, with its error"
        )
    problems.extend(failed_lines[:MAX_PROBLEM_LINES])
    if len(failed_lines) > MAX_PROBLEM_LINES:
        more = len(failed_lines) - MAX_PROBLEM_LINES
        problems.append(f"… and {more:,} more failures (see the clip list)")
    # Files the card's own ASC MHL history lists, then those a legacy MHL on it lists, that
    # the card no longer has: each source its own lines, capped alike.
    missing = [
        (path, "its own ASC MHL history lists it") for path in data.get("missing_from_card") or []
    ]
    lost_clips = [
        (item.get("path"), f"the legacy MHL {item.get('mhl')} on it lists it")
        for item in data.get("missing_from_legacy_mhl") or []
        if isinstance(item, dict)
    ]
    copy = source_is_copy(data)  # a copy root of ours as the source: no card (source_words)
    for gone_paths in (missing, lost_clips):
        for path, why in gone_paths[:MAX_PROBLEM_LINES]:
            shown = printable_name(str(path))
            line = f"{shown}: MISSING FROM THE CARD ({why}): not copied"
            # No card: the source's words, its path and the MHL's name as they are.
            problems.append(of_the_source(line, keep=[str(path), why]) if copy else line)
        if len(gone_paths) > MAX_PROBLEM_LINES:
            more = len(gone_paths) - MAX_PROBLEM_LINES
            source = "the source" if copy else "the card"
            problems.append(f"… and {more:,} more missing from {source}")
    problems.extend(_folder_error_lines(data, labels))
    for symlink in data.get("symlinks") or []:
        if symlink.get("status") == "failed":
            error = str(symlink.get("error") or "no reason recorded")  # never "None"
            path = str(symlink.get("relative_path"))
            problems.append(
                f"Symlink not made: {error}"
                if names_path(error, path)
                else f"Symlink {path}: {error}"
            )

    warnings = _capped_warnings(data.get("warnings") or [])
    warnings.extend(_link_notes(data.get("symlinks") or []))
    if data.get("card_history_untrusted"):
        whose = "The source's" if source_is_copy(data) else "The card's"
        warnings.append(f"{whose} own ASC MHL history was not trusted: "
                        f"{data['card_history_untrusted']}")  # fmt: skip
    if cascaded:
        cascade = _cascade_text(data, slow_fed, slow_failed, fast_copies, slow_refused)
        warnings.append(f"Cascading copy: {cascade}")
    warnings.extend(str(note) for note in data.get("notes") or [])
    # The rows counted by kind in the same pass (one pass, not eight, over 50,000 clips).
    kinds: Counter[str] = Counter()
    n_sound_named = n_not_video = n_not_sound = frames = 0
    # Empty files by what their names made them look like ("clip", "sound file"): the
    # "empty" rows' and the sound files a clip claims (``empty_of``), as ``CARD CONTENT:``
    # counts them.
    empty_nouns: Counter[str] = Counter()
    # Each empty file's page-1 line with its (path, noun), folded past EMPTY_NAMED into one
    # line at the place of the first (``_empty_files_said``).
    empty_pages: list[tuple[str, tuple[str, str]]] = []
    empty_at: int | None = None
    # Likewise the files not readable as media (up to the 5,000 the probing looks at):
    # each line, with its path, folded past EMPTY_NAMED (``_unreadable_said``).
    unreadable_pages: list[tuple[str, tuple[str, str]]] = []
    unreadable_at: int | None = None
    for index, clip in enumerate(clips):
        damaged = media.get(index)
        kinds[clip.kind] += 1
        if clip.kind == "sequence":
            frames += clip.frames
        # A clip is counted by its picture: a file named as one that holds only sound (a
        # WAV named .MOV) is counted apart, as what it is; likewise a file named as one
        # whose bytes are no video format (random data, another tool's file): never a clip.
        elif damaged is not None:
            n_sound_named += audio_only(clip, damaged)
            n_not_video += not_video(clip, damaged)
            n_not_sound += not_sound(clip, damaged)
        empty = empty_of.get(id(clip), ())
        for _, noun in empty:
            empty_nouns[noun] += 1
        if flags := flags_of.get(id(clip)):  # most clips have none
            paths = iter(empty)  # one EMPTY_FILES flag a file of *empty*, in its order
            for flag in flags:
                if flag.kind == NOT_READABLE:
                    if unreadable_at is None:
                        unreadable_at = len(warnings)
                    noun = "audio take" if clip.kind == "audio" else "clip"
                    unreadable_pages.append((flag.page, (str(clip.primary["path"]), noun)))
                    continue
                if flag.kind != EMPTY_FILES:
                    # No card: said of the source copy, as its row says it.
                    page = flag.page
                    warnings.append(said_of_the_source(page, clip_names(clip)) if copy else page)
                    continue
                if empty_at is None:
                    empty_at = len(warnings)
                empty_pages.append((flag.page, next(paths)))
    # The later place first: the earlier one's index stays true.
    folds: list[tuple[int, list[str]]] = []
    if empty_at is not None:
        empty_said = _empty_files_said(empty_pages)
        if copy:  # no card: "named as clips in the source copy" (source_words)
            kept = [path for _, (path, _) in empty_pages]
            empty_said = [said_of_the_source(line, kept) for line in empty_said]
        folds.append((empty_at, empty_said))
    if unreadable_at is not None:
        unreadable_said = _unreadable_said(unreadable_pages)
        if copy:  # no card: "a copy equals the source" (source_words)
            kept = [path for _, (path, _) in unreadable_pages]
            unreadable_said = [said_of_the_source(line, kept) for line in unreadable_said]
        folds.append((unreadable_at, unreadable_said))
    for place, lines in sorted(folds, key=lambda fold: fold[0], reverse=True):
        warnings[place:place] = lines

    copies = sum(statuses.values())
    if cached:
        warnings.append(
            f"{cached:,} of {copies:,} {'copy was' if copies == 1 else 'copies were'} read back "
            "through a cache, not from the media (a network share's server, or a page cache "
            f"that could not be dropped; {_cached_when(cached, cached_earlier)}): they "
            "matched what the cache returned, and the card release does not count them"
        )
    if card_cached:
        warnings.append(
            card_reread_through_a_cache(
                card_cached, server=card_server, source_is_copy=source_is_copy(data)
            )
        )
    unfinished = sum(n for status, n in statuses.items() if status not in GOOD | {"failed"})
    if unfinished and not data.get("cancelled"):
        problems.append(
            f"{unfinished:,} of {copies:,} {'copy was' if copies == 1 else 'copies were'} not "
            "finished (cancelled or missing)"
        )
    # The copies trusted from an earlier check that proved their sizes alone: the verdict's
    # words and the totals' row.
    size_earlier = sum(n for (_, kind), n in transfer_earlier.items() if kind == "size_checked")
    proved = _proved(
        statuses,
        copies=copies,
        cached=cached,
        cached_earlier=cached_earlier,
        read_again=read_again,
        read_from=_read_from(data.get("destinations") or []),
        checked_earlier=sum(transfer_earlier.values()),
        size_only=size_only,
        size_earlier=size_earlier,
        transfer_run=data.get("verify") == "transfer",
    )
    if data.get("cancelled"):
        # What stood at the cancel, as the terminal's CANCELLED line gives it: never a page
        # that reads as done, nor one that hides the copies already proved.
        verdict, ok = (
            f"✖ CANCELLED: the offload did not finish; {_at_the_stop(statuses, read_again)}",
            False,
        )
    elif data.get("exit_code") == 130:
        # Stopped once every copy had its outcome, by a second Ctrl-C or a SIGTERM while
        # the reports were written (a JSON report is written once the manifest step is
        # over: the stop left the manifests as its note says): the JSON restated with exit
        # 130 and that note, these documents made again from it (offload report).
        verdict, ok = (
            "✖ STOPPED AFTER THE COPIES (exit 130), while the reports were written: those "
            f"not written before the stop are missing (see the notes); "
            f"{_at_the_stop(statuses, read_again)}",
            False,
        )
    elif (
        problems
        and proved
        and not (failed_lines or missing or lost_clips or unfinished or lost)
        and fast_copies_failed(data.get("folder_errors"))
    ):
        # A cascade re-run without its card whose source, a fast copy, was found unlike the
        # card as it was read: failed during the copy, not after it (the copies are good).
        verdict, ok = (
            f"✖ A FAST COPY FAILED: {plural(len(problems), 'problem')}, listed first below; "
            f"the copies: {proved[1]}",
            False,
        )
    elif proved and lost_lines and not (failed_lines or missing or lost_clips or unfinished):
        # Every copy good, a destination lost with none of its copies failed (its copies
        # trusted from its records): as the terminal's "...; BUT <root> WAS LOST" says it,
        # never "N problem(s)" alone, which reads as copies lost (QA: "FAILED: 1 problem").
        others = len(problems) - len(lost_lines)
        verdict, ok = (
            f"✖ FAILED: {lost_but_trusted(lost_lines, 'the Problems say why')}; the copies: "
            f"{proved[1]}"
            + (f"; {plural(others, 'other problem')}, listed below" if others > 0 else ""),
            False,
        )
    elif problems and proved and not (failed_lines or missing or lost_clips or unfinished or lost):
        # Every copy is what *proved* says; what failed came after them (a manifest, a
        # folder, its times, a report, a link of the card), as the terminal's "...; BUT ON
        # <root>" line says: never "N problem(s)" alone, which reads as copies lost.
        verdict, ok = (
            f"✖ FAILED AFTER THE COPIES: {plural(len(problems), 'problem')}, listed first "
            f"below; the copies: {proved[1]}",
            False,
        )
    elif problems:
        # As the terminal's line decides it (``summary``): no copy failed and every file not
        # good failed at the card (``failed_words``' *card_only*); read from a fast copy in a
        # cascade re-run without its card (*stand_in*).
        files = data.get("files") or ()
        card_only = (
            bool(failed_files)
            and not failed_on
            and failed_at_the_card_only(
                (
                    bool(f.get("source_error")),
                    [str(d.get("status")) for d in f.get("destinations") or ()],
                )
                for f in files
            )
        )
        said = failed_words(
            failed_files,
            len(files),
            len(failed_on),
            card_only,
            absent_card(data) is not None,
            cancelled=cancelled_files,
            cancelled_on=len(cancelled_on),
        )
        verdict, ok = (
            f"✖ FAILED: {said}"
            f"{'; ' if said else ''}{plural(len(problems), 'problem')}, listed first below",
            False,
        )
    else:
        verdict, ok = proved[0] if proved else "Nothing was copied", True
    outside_manifest = sum(
        1
        for warning in data.get("warnings") or []
        if isinstance(warning, dict) and warning.get("code") == "not-in-manifest"
    )
    not_in_manifest = ""
    if outside_manifest and ok and copies:
        # The copies are what their states say; the manifests do not vouch for all of them.
        one = outside_manifest == 1
        not_in_manifest = (
            f"{outside_manifest:,} OF THEM {'IS' if one else 'ARE'} NOT "
            "IN THE MANIFEST (named below: a check against the manifest does not check "
            f"{'it' if one else 'them'})"
        )
        verdict = f"≈{verdict[1:]}; BUT {not_in_manifest}"
    kept_paths = [
        str(warning.get("path") or "")
        for warning in data.get("warnings") or []
        if isinstance(warning, dict) and kept_damaged(warning.get("code"), warning.get("kept"))
    ]
    kept_wrong = len(kept_paths)
    # The good copies' own states (--verify transfer: transfer-checked, never "verified").
    kept_proof = beside_proof(
        str(copy.get("status"))
        for entry in data.get("files") or []
        if isinstance(entry, dict)
        for path in kept_paths
        if path.endswith(f"/{entry.get('path')}")
        for copy in entry.get("destinations") or []
        if isinstance(copy, dict)
        and copy.get("final_path") != path
        and str(copy.get("final_path") or "").startswith(path.rpartition("/")[0] + "/")
    )
    if kept_wrong and ok and proved:
        # The good copies are verified under other names; the file at each card file's name
        # is our own damaged copy, which the copy root's history records as the card's: a
        # check of that copy root fails for it (exit 1), never "ALL COPIES VERIFIED".
        one = kept_wrong == 1
        verdict, ok = (
            f"✖ {plural(kept_wrong, 'DAMAGED COPY', 'DAMAGED COPIES')} OF OURS "
            f"{'IS' if one else 'ARE'} KEPT AT THE CARD'S NAME (--keep-both; named below: "
            "copy found damaged): the good "
            f"{'copy is' if one else 'copies are'} {kept_proof}beside {'it' if one else 'them'} "
            "under another name, but ascmhl-debug verify and offload verify of that copy root "
            f"fail for {'it' if one else 'them'} (editing software relinks by that name); "
            f"the copies: {proved[1]}" + (f"; AND {not_in_manifest}" if not_in_manifest else ""),
            # Both, as the terminal says both (its NOT IN THE MANIFEST line stays).
            False,
        )
    totals_data = data.get("totals") or {}
    n_clips = kinds["clip"] - n_sound_named - n_not_video
    n_sequences = kinds["sequence"]
    n_audio = kinds["audio"] - n_not_sound
    # Audio takes are named only on a card that has them (a camera card's words unchanged).
    audio = f", {plural(n_audio, 'audio take')}" if n_audio else ""
    if n_sound_named:
        named = "a clip" if n_sound_named == 1 else "clips"
        audio += f", {plural(n_sound_named, 'audio-only file')} named as {named}"
    if n_not_video:
        named = "a clip" if n_not_video == 1 else "clips"
        audio += f", {plural(n_not_video, 'file')} named as {named}, not video"
    if n_not_sound:
        named = "an audio take" if n_not_sound == 1 else "audio takes"
        audio += f", {plural(n_not_sound, 'file')} named as {named}, not sound"
    # A file named as a clip (or a sound file) that holds nothing: counted apart too, as
    # what it is.
    n_empty, n_empty_sound = empty_nouns["clip"], empty_nouns["sound file"]
    if n_empty:
        audio += (
            f", {plural(n_empty, 'empty file')} named as {'a clip' if n_empty == 1 else 'clips'}"
        )
    if n_empty_sound:
        named = "a sound file" if n_empty_sound == 1 else "sound files"
        audio += f", {plural(n_empty_sound, 'empty file')} named as {named}"
    # A GoPro recording whose proxy or thumbnail alone is on the card: a recording's, never
    # "other files".
    n_no_video = kinds["no-video"]
    if n_no_video:
        its = "its" if n_no_video == 1 else "their"
        audio += f", {plural(n_no_video, 'GoPro recording')} without {its} video"
    detail = (
        f"{card_name}{title_part}: {plural(int(totals_data.get('files', 0)), 'file')}, "
        f"{human_bytes(totals_data.get('bytes'))}, {plural(n_clips, 'clip')}, "
        f"{plural(n_sequences, 'image sequence')}{audio} "
        f"→ {len(destinations)} destination(s); {run_check(str(data.get('verify')))} "
        f"({algorithms_words(data.get('algorithms') or [])})"
    )

    volume = data.get("source_volume") or {}
    tool = data.get("tool") or {}
    # A cascade re-run whose card is gone reads a fast copy of it: the panel names the card
    # absent and the source as that copy, never the copy's path and volume as the card's.
    absent = absent_card(data)
    # A source that is a copy root of ours is no card: named as the copy it is, the card
    # being the one its ledger records (``source_copy_root``).
    copy = source_is_copy(data)
    card = [
        *(
            [("Card", f"{_absent_name(data, absent)} (absent: not read)")]
            if absent
            else [("Card", card_name)]
        ),
        *([("Offloaded", card_part)] if card_part else []),
        *([("Card path", absent)] if absent else []),
        (
            "Source: fast copy"
            if absent
            else "Source: a copy of ours, not a card"
            if copy
            else "Path",
            source,
        ),
        (
            "Volume of the fast copy" if absent else "Volume of the copy" if copy else "Volume",
            _volume_text(volume),
        ),
        ("Size", human_bytes(totals_data.get("bytes"))),
        ("Files", number(totals_data.get("files", ""))),
        (
            "Clips",
            f"{plural(n_clips, 'clip')}, {plural(n_sequences, 'image sequence')}{audio}, "
            f"{plural(kinds['file'], 'other file')}",
        ),
        ("Started", when(data.get("started"))),
        ("Finished", when(data.get("finished"))),
        ("Elapsed", duration(data.get("elapsed_s"))),
        ("Computer", str(data.get("hostname") or "")),
        ("Tool", f"{tool.get('name', '')} {tool.get('version', '')}".strip()),
    ]

    names = {
        "verified": "Verified now",
        "verified_earlier": "Verified earlier (not re-read)",
        "transfer_checked": "Transfer-checked only (not read back)",
        "failed": "FAILED",
        "cancelled": "Cancelled",
    }
    totals = [
        (
            "Files",
            f"{number(totals_data.get('files', 0))} ({human_bytes(totals_data.get('bytes'))})",
        ),
        ("Clips", number(n_clips)),
        (
            "Image sequences",
            f"{n_sequences:,} ({number(frames)} frames)",
        ),
        *([("Audio takes", number(n_audio))] if n_audio else []),
        *([("Audio-only files named as clips", number(n_sound_named))] if n_sound_named else []),
        *([("Empty files named as clips", number(n_empty))] if n_empty else []),
        *([("Files named as clips, not video", number(n_not_video))] if n_not_video else []),
        *([("Empty files named as sound files", number(n_empty_sound))] if n_empty_sound else []),
        *([("Files named as audio takes, not sound", number(n_not_sound))] if n_not_sound else []),
        *([("GoPro recordings without their video", number(n_no_video))] if n_no_video else []),
        ("Other files", number(kinds["file"])),
        # A count, or the words when a folder was left out ("1 folder (PROXY/)").
        ("Ignored (not copied)", ignored_said(data, count_alone=True)),
        ("Destinations", number(len(destinations))),
    ]
    trusted = sum(transfer_earlier.values()) - size_earlier
    counted = {
        **statuses,
        "verified_earlier": statuses["verified_earlier"] - read_again,
        "transfer_checked": statuses["transfer_checked"] - trusted - size_only - size_earlier,
    }
    for status in SEVERITY:
        if status == "verified_earlier" and read_again:
            totals.append((f"Copies: Verified earlier ({REREAD_BY_CASCADE})", number(read_again)))
        if counted.get(status):
            totals.append((f"Copies: {names.get(status, status)}", number(counted[status])))
        if status == "transfer_checked" and size_only:
            totals.append((f"Copies: {SIZE_ONLY_COUNT.capitalize()}", number(size_only)))
        if status == "transfer_checked" and trusted:
            totals.append((f"Copies: {TRANSFER_EARLIER_COUNT.capitalize()}", number(trusted)))
        if status == "transfer_checked" and size_earlier:
            totals.append((f"Copies: {SIZE_EARLIER_COUNT.capitalize()}", number(size_earlier)))
    # One line per disk (a bucket's says "Bucket": no disk of this machine's): what was
    # detected and how its destinations read back.
    totals.extend(
        (
            f"{'Bucket' if entry.get('kind') == 'remote' else 'Disk'} {entry.get('device')}",
            describe_devices(
                entry, list(labels.values()), read_back=data.get("verify") != "transfer"
            ),
        )
        for entry in data.get("devices") or []
        if entry.get("destinations")
    )
    totals.append(("Problems", f"{len(problems):,}" if problems else "none"))
    totals.append(("Exit code", str(data.get("exit_code", ""))))
    # The JSON's own answer; a report written before it had one gets it computed here.
    release = data.get("card_release") or card_release(data).as_json()
    return ReportView(
        title=f"Offload report: {card_name}{title_part}",
        verdict=verdict,
        verdict_ok=ok,
        verdict_detail=detail,
        production=_production(data, source_name),
        production_names=_production_names(data, source_name, card_name),
        source_is_copy=copy,
        card=card,
        destinations=_destination_rows(data, transfer_earlier, read_again_on, losses),
        problems=problems,
        warnings=warnings,
        notes=notes,
        clips=rows,
        totals=totals,
        generated=generated,
        destination_labels=list(labels.values()),
        release=str(release.get("text") or ""),
        # A copy of ours as the source, verified as a card would be released: a success too.
        release_ok=bool(release.get("may_format") or release.get("source_verified")),
        verdict_warn=ok and verdict.startswith("≈"),
        ignored=_ignored_lines(list(data.get("ignored") or [])),
        ignored_count=len(data.get("ignored") or []),
        ignored_said=ignored_said(data),
    )
