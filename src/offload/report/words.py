"""Counted nouns, the one place the reports and messages make them agree ("1 file",
"2 files"), the state words the live view and the summary share, and the one wording of a
local time (``local_time``: its zone named), and the lines of the DIT's own free text
(``free_text_lines``), and the run's formats as the reports name them
(``algorithms_words``): no imports (``time``, built in, when a time is worded), so a
command's first line can use it for free, and the report worker loads no hasher."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # no import at run time (the module's docstring)
    from collections.abc import Iterable
    from typing import Any

#: In a cascade re-run without its card, the words of each ``folder_errors`` line naming a
#: fast copy found unlike the card as the run read it to feed the cascade
#: (``cascade_refeed``): what ``fast_copies_failed`` finds in a job report.
FED_IN_THE_CARDS_PLACE = "read to feed the cascade in the card's place"


#: The same, for a fast copy read by the existing copies' check (``--reverify``) in the
#: card's place and found unlike it (``cascade_refeed.Revoker.unlike_at_source``).
CHECKED_IN_THE_CARDS_PLACE = "read in the card's place to check the copies already there"


#: The same, for a fast copy whose read in the card's place (to feed the cascade, or to
#: check the copies already there) failed (EIO: no digest, so not found damaged, its ledger
#: left as it is), the file read from the next fast copy instead (``cascade_refeed``
#: ``refeed``, ``Revoker.unreadable_at_source``); the ``copy-unreadable`` warning's kind.
UNREADABLE_IN_THE_CARDS_PLACE = "could not be read in the card's place"


def fast_copies_failed(folder_errors: object) -> int:
    """How many fast copies a job report's cascade re-run without its card found unlike the
    card, or could not read, as it read them, by its ``folder_errors``
    (``FED_IN_THE_CARDS_PLACE``, ``CHECKED_IN_THE_CARDS_PLACE``,
    ``UNREADABLE_IN_THE_CARDS_PLACE``): a copy failed DURING the copy, the run's source,
    which no row shows; 0 for any other report."""
    if not isinstance(folder_errors, list):
        return 0
    return sum(1 for line in folder_errors if fast_copy_failed(line))


def fast_copies_unreadable(folder_errors: object) -> int:
    """How many of ``fast_copies_failed`` could not be read (not found unlike the card)."""
    if not isinstance(folder_errors, list):
        return 0
    return sum(1 for line in folder_errors if fast_copy_unreadable(line))


def fast_copy_failed(line: object) -> bool:
    """Whether the ``folder_errors`` *line* is one of ``fast_copies_failed``."""
    return isinstance(line, str) and (
        FED_IN_THE_CARDS_PLACE in line
        or CHECKED_IN_THE_CARDS_PLACE in line
        or UNREADABLE_IN_THE_CARDS_PLACE in line
    )


def fast_copy_unreadable(line: object) -> bool:
    """Whether the ``folder_errors`` *line* is one of ``fast_copies_unreadable``."""
    return isinstance(line, str) and UNREADABLE_IN_THE_CARDS_PLACE in line


def what_was_read(stand_in: bool) -> str:
    """What a run read as its source, in the words that say a file failed there: the card,
    or (*stand_in*: a cascade re-run without its card, ``cascade.fast_copy_source``) the
    fast copy standing in for it, whose drive is then what failed, never the card, which
    was not read. The one rule of ``failed_words``, the card's release (``release``) and
    the documents' problem lines (``content``)."""
    return "the fast copy standing in for the card" if stand_in else "the card"


#: A copy's states that hold the file, as the JSON spells them (``results.GOOD_STATUSES``).
_GOOD_STATES = frozenset({"verified", "verified_earlier", "transfer_checked"})


def failed_at_the_card_only(files: Iterable[tuple[bool, Iterable[str]]]) -> bool:
    """Whether every file of *files* that is not good failed as the card was read, but for
    those only cancelled (``failed_words``' *card_only*): each file as (its card read
    failed, its copies' states as the JSON spells them). A file whose card read was fine is
    good with every copy in a good state, and only cancelled with no copy failed and one
    cancelled (counted apart, ``failed_words``' *cancelled*); any other makes it False
    (a copy failed, or none there). The one rule of the terminal's ``NOT ALL VERIFIED``
    line and the HTML/PDF verdict (review of runrec65, M3: the documents counted a
    cancelled copy as a failure there, "failed on at least one destination")."""
    for card_failed, states in files:
        if card_failed:
            continue
        held = tuple(states)
        if held and all(state in _GOOD_STATES for state in held):
            continue
        if "failed" not in held and "cancelled" in held:
            continue
        return False
    return True


def failed_words(
    files: int,
    total: int,
    destinations: int,
    card_only: bool = False,
    stand_in: bool = False,
    *,
    cancelled: int = 0,
    cancelled_on: int = 0,
) -> str:
    """What failed, as the terminal's ``NOT ALL VERIFIED`` line and the HTML/PDF verdict
    count it: "2,690 of 3,000 files failed on 1 destination" (*files* of *total*, on the
    *destinations* where some copy failed: "on at least one destination" where not known,
    0), or "" for no file failed. *card_only*: no copy failed, each of those files failed
    at the card (its file unreadable, or unlike what was offloaded before): "1 of 1 file
    failed as the card was read (no copy failed)" — no destination is said to have failed;
    *stand_in*: the run's source was a fast copy standing in for the absent card (a cascade
    re-run without it), which is what was read, not the card. *cancelled*: the files, none
    of whose copies failed, with a copy cancelled (never reached: a stop, a destination lost
    or refused before it got to them), on *cancelled_on* destinations: said apart, "and 2
    were cancelled on 1 destination" (or "3 of 3 files were cancelled on 1 destination"
    where none failed), never counted as failed, as each destination's counts and the
    JSON's ``totals`` count them."""
    of = f"of {total:,} {'file' if total == 1 else 'files'}"
    halted = ""
    if cancelled:
        where = (
            f"on {cancelled_on:,} destination{'' if cancelled_on == 1 else 's'}"
            if cancelled_on
            else "on at least one destination"
        )
        were = "was" if cancelled == 1 else "were"
        if not files:
            return f"{cancelled:,} {of} {were} cancelled {where}"
        halted = f" and {cancelled:,} {were} cancelled {where}"
    if not files:
        return ""
    if card_only and not destinations:
        return (
            f"{files:,} {of} failed as {what_was_read(stand_in)} was read (no copy failed)" + halted
        )
    on = (
        f"on {destinations:,} destination{'' if destinations == 1 else 's'}"
        if destinations
        else "on at least one destination"
    )
    return f"{files:,} {of} failed {on}{halted}"


def lost_but_trusted(names: list[str], why: str) -> str:
    """The words of destinations the run lost with none of their copies failed (a copy
    root refused at the start whose copies an earlier run verified), after the words of
    their copies: ``X WAS LOST (WHY): its copies are as counted, trusted from its records,
    but this run did not finish that destination``; *names*, the destinations as the
    document names them; *why*, where the document says why. One wording for the
    terminal's headline (``summary``) and the HTML/PDF verdict (``content``): a failure of
    the run, never worded as a copy that failed."""
    one = len(names) == 1
    its = "its" if one else "their"
    return (
        f"{', '.join(names)} {'WAS' if one else 'WERE'} LOST ({why}): {its} copies are as "
        f"counted, trusted from {its} records, but this run did not finish "
        f"{'that destination' if one else 'those destinations'}"
    )


def nothing_copied_again(totals: object) -> str:
    """``" (nothing is copied again)"``, said after "run the same command again to write
    them" of a report whose *totals* (a JSON report's ``totals``) count no copy failed or
    cancelled; else ``""``: that command copies a failed copy again."""
    results = totals.get("results") if isinstance(totals, dict) else None
    if not isinstance(results, dict) or results.get("failed") or results.get("cancelled"):
        return ""
    return " (nothing is copied again)"


def are(count: int) -> str:
    """The verb for ``count`` things: ``is`` for one, ``are`` otherwise."""
    return "is" if count == 1 else "are"


def number(count: object) -> str:
    """A count as every count of our words is written, with the thousands separator
    ("1,024"; ``f"{n:,}"`` in a sentence); anything not a whole number (an older report's
    missing count: "") as it is."""
    if isinstance(count, int) and not isinstance(count, bool):
        return f"{count:,}"
    return str(count)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``count`` and ``noun``, in the plural (*nouns*, by default ``noun`` and an ``s``)
    unless ``count`` is 1: ``1 file``, ``0 files``, ``2 copies``, ``1,024 files``."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {nouns or noun + 's'}"


def ignored_count_words(count: int, folders: tuple[str, ...] = ()) -> str:
    """*count* entries left out, *folders* (their paths) those of them that are folders,
    each named with a ``/`` (the first three): "2 entries", "1 folder (PROXY/)", "2 folders
    (PROXY/, CACHE/)", "1 folder (PROXY/) and 2 other entries". A folder's content was not
    looked at: how many files it holds is not said."""
    if not folders:
        return plural(count, "entry", "entries")
    named = f"{plural(len(folders), 'folder')} ({listed([f'{f}/' for f in folders], 3)})"
    others = count - len(folders)
    if others <= 0:
        return named
    return f"{named} and {plural(others, 'other entry', 'other entries')}"


def ignored_words(
    count: int,
    history: bool,
    fates: str = "",
    folders: tuple[str, ...] = (),
    *,
    source_is_copy: bool = False,
) -> str:
    """The words for the *count* entries the run left out (*folders*: those of them that
    are folders, ``ignored_count_words``), the summary's line and the ``CARD RELEASED``
    line's alike (``cli/offload._not_taken``), without the full stop: "Ignored (not
    copied): N entries (listed in the report)", then, when the source's ASC MHL history is
    one of them (*history*: ``plan.ignore.history_meant``), that it is and was not copied as
    a folder of the card, with where it was carried (*fates*, the summary's; "" at the
    card's release, when the cascaded destinations have none yet); of the source where it is
    a copy root of ours (*source_is_copy*), no card."""
    said = f"Ignored (not copied): {ignored_count_words(count, folders)} (listed in the report)"
    if not history:
        return said
    said += f"{', one of them' if count > 1 else ': it is'} the source's ASC MHL history, "
    of = "the source" if source_is_copy else "the card"
    return said + f"not copied as a folder of {of}" + (f": {fates}" if fates else "")


def listed(items: list[str], limit: int) -> str:
    """The first *limit* of *items*, joined by commas, then how many more there are:
    ``a, b, c and 4 more`` (the one spelling of a shortened list: the documents' clip
    notes, the card history's warnings)."""
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit:,} more" if len(items) > limit else shown


#: The warnings the terminal's summary (``summary``) and the documents' page 1 (``content``)
#: print under a word of their own, before the message: one table, so the two say the same
#: word. Keyed by their ``PreflightCode`` values (a StrEnum: a code finds its word), not the
#: enum itself: the documents' worker does not load ``offload.plan``.
WARNING_LABELS = {"existing-replaced": "REPLACED", "existing-kept-beside": "KEPT BOTH"}


#: A destination whose copies are all good but some never read back (``--verify
#: transfer``, now or by an earlier run), in the live view's "state" and the summary's
#: "result", in its style: not the green of a copy read back, nor a problem's red or a
#: cancel's yellow.
TRANSFER_CHECKED = "transfer-checked"
TRANSFER_CHECKED_STYLE = "bold blue"
#: What a headline (the terminal's summary, the HTML/PDF's verdict) says of the copies
#: verified earlier whose earlier read-back went through a cache (their ledger entries say
#: so): that run's read, never this one's ("not re-read, 2 of them through a cache" read
#: two ways).
CACHED_BY_THE_EARLIER_RUN = "read back through a cache by the earlier run, not from the media"
#: The same, of a destination whose transfer checks proved the sizes alone (a service that
#: stores a part whatever its checksum): the JSON's ``size_checked_only``, in the words
#: every document gives it.
SIZE_CHECKED_ONLY = "size-checked only"

#: A destination whose copies are all good and read back, some by an earlier run only
#: (trusted from the ledger, not re-read now), in the live view's "state" and the summary's
#: "result": the copies' state in the JSON (``verified_earlier``), the HTML and the PDF
#: ("Verified earlier (not re-read)"); not the plain green of copies all verified now.
VERIFIED_EARLIER = "verified earlier"
VERIFIED_EARLIER_STYLE = "italic green"
#: ... where some of them were read back by this run too: never "verified earlier" alone,
#: which said of a destination of 7 copies verified now and 2 trusted from the ledger
#: that its copies were an earlier run's proof (``proven_words``).
VERIFIED_PARTLY_EARLIER = "verified, partly earlier"


def proven_words(now: int) -> str:
    """The word of a destination (or a run) whose good copies were all read back, some by an
    earlier run only (trusted from the ledger, not re-read now): ``VERIFIED_EARLIER`` where
    *now* (its copies read back by this run, a cascade's re-read included) is 0, else
    ``VERIFIED_PARTLY_EARLIER``. The one rule of the summary's "result", the live view's
    "state", the HTML/PDF destination's "Result" and ``offload history``'s result."""
    return VERIFIED_PARTLY_EARLIER if now else VERIFIED_EARLIER


#: Why a read went through this machine's page cache although the read asked to avoid it
#: (``CacheBypass.NONE``: ``fs.media``, ``fs.below``), the one list the terminal's summary,
#: the documents, ``offload verify`` and pfndispatchcopy give: a filesystem whose storage
#: is RAM; a cache below the filesystem that could not be dropped (a FUSE daemon's, a loop
#: device's image's); the file's own pages that ``POSIX_FADV_DONTNEED`` left (``mincore``):
#: the kernel keeps pages mapped, dirty or being read.
PAGE_CACHE_CAUSES = (
    "a filesystem held in memory (tmpfs, ramfs), whose storage is that cache; a FUSE "
    "filesystem whose storage no mount table names, or whose block device this user may not "
    "open; a loop device whose image this user may not open, or whose image is in memory, "
    "on FUSE or on another image; pages that stayed cached when dropped (another program "
    "keeps the file mapped, or is reading or writing it)"
)

#: A read through the page cache (``CacheBypass.NONE``), with why it could not be avoided.
PAGE_CACHE = f"this machine's page cache, which could not be dropped ({PAGE_CACHE_CAUSES})"


def card_reread_through_a_cache(
    count: int, *, server: int = 0, source_is_copy: bool = False
) -> str:
    """The full mode's second read of *count* card files (``source_cache_bypass`` ``none``
    or, *server* of them, ``server``) went through a cache, not to the card: the words the
    terminal's summary and the documents' warnings share. That re-read matched what the
    cache returned, so it does not prove what the full mode's re-read is for (the card
    reads the same twice). Of a source that is a copy root of ours (*source_is_copy*), said
    of the source (``source_words``)."""
    where = []
    if count - server:
        where.append(PAGE_CACHE)
    if server:
        where.append("a network share's server, which may answer from its cache")
    said = (
        f"CARD RE-READ THROUGH A CACHE: the full verification's second read of "
        f"{plural(count, 'card file')} went through {' and '.join(where)}, not to the card: "
        "it matched the first read as the cache returned it, which does not prove the card "
        f"reads the same twice (the copies' own read-backs are as stated)"
    )
    if not source_is_copy:
        return said
    # Imported only then: this module imports nothing at run time (its docstring).
    from offload.report.source_words import of_the_source

    return of_the_source(said)


def run_check(verify: str) -> str:
    """The run's ``--verify`` as the summary's table title and the documents' line under the
    verdict name it: ``full verification``, ``destination verification``, and ``transfer
    check only`` for ``transfer``, which reads no copy back (the verdict's "TRANSFER-CHECKED
    ONLY"): "transfer verification" claimed what was never done."""
    return "transfer check only" if verify == "transfer" else f"{verify} verification"


def duration(seconds: float | None) -> str:
    """A run's or a phase's time in words, the documents' and the terminal summary's: "0.4 s",
    "under 0.1 s" (not "0.0 s" for a time spent: a card's 1,265 files read back in 0.04 s
    said "0.0 s reading back"), "1:05 min", "1:02:03"; 59.96 s is "1:00 min" (it said
    "60.0 s")."""
    if seconds is None:
        return ""
    seconds = float(seconds)
    if 0 < seconds < 0.05:
        return "under 0.1 s"
    if round(seconds, 1) < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d} min"


def local_time(
    timestamp: float, *, seconds: bool = False, zone: tuple[str, int] | None = None
) -> str:
    """*timestamp* in the machine's zone, the zone named (``2026-12-04 22:46 CET``;
    *seconds*: ``22:46:05 CET``): the one wording of a local time in every line and summary,
    and of the documents' times (``local_and_utc``, UTC beside it): the JSON and
    ``offload history`` give UTC, and a bare local time read beside them as another time.
    *zone*: the run's zone instead (its name and UTC offset in seconds, ``run_zone``: a
    report re-made on a machine in another zone says the run's times)."""
    import time

    local, name = _local(timestamp, zone)
    shape = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return f"{time.strftime(shape, local)} {name}"


def local_and_utc(timestamp: float, zone: tuple[str, int] | None = None) -> str:
    """*timestamp* to the second in the machine's zone, the zone named, UTC beside it
    (``2026-12-07 14:02:03 CET (13:02:03 UTC)``; the UTC date too where it is another day:
    ``2026-12-07 00:30:00 CET (2026-12-06 23:30:00 UTC)``): the documents' (HTML/PDF) times,
    the terminal's time first (``local_time``: what a DIT reads on set), the JSON's after.
    A zone that is UTC is said once (``2026-12-07 13:02:03 UTC``). *zone*: the run's zone
    instead of the machine's, as ``local_time``'s."""
    import time

    local, name = _local(timestamp, zone)
    said = f"{time.strftime('%Y-%m-%d %H:%M:%S', local)} {name}"
    if name == "UTC":
        return said
    utc = time.gmtime(timestamp)
    shape = "%H:%M:%S UTC" if utc[:3] == local[:3] else "%Y-%m-%d %H:%M:%S UTC"
    return f"{said} ({time.strftime(shape, utc)})"


def run_zone(timestamp: float) -> dict[str, object]:
    """The machine's zone at *timestamp* as a job report records it (``time_zone``): its
    ``name`` (``CET``, as ``local_time`` says it) and ``utc_offset_s`` (east of UTC:
    3600)."""
    import time

    local = time.localtime(timestamp)
    return {"name": local.tm_zone, "utc_offset_s": local.tm_gmtoff}


def _local(timestamp: float, zone: tuple[str, int] | None) -> tuple[Any, str]:
    """*timestamp*'s fields in *zone* (None: the machine's) and the zone's name."""
    import time

    if zone is None:
        local = time.localtime(timestamp)
        return local, local.tm_zone
    name, offset = zone
    # gmtime of the moment shifted by the run's offset: its fields are the run's clock.
    return time.gmtime(timestamp + offset), name


def free_text_lines(text: str) -> list[str]:
    """*text*, the DIT's own free text, as its lines (a line break is ``\\n``, ``\\r\\n`` or
    ``\\r``; any other control or format character stays in its line, for the page's
    ``escape`` to spell as the terminal does)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


#: The formats a run only checks against a legacy MHL's record (XXH32, its ``<xxhash>``),
#: never a proof of a copy: ``hashing.registry.VERIFY_ONLY``'s names, written here so that
#: the report worker, which draws ``algorithms_words``, imports no hasher (xxhash); a test
#: holds the two equal.
CHECKED_ONLY = frozenset({"xxh32"})


def algorithms_words(names: list[str] | tuple[str, ...]) -> str:
    """The formats of a run as its reports name them: those chosen (which the manifests
    record and the read-back may use) first, then apart any format only checked against a
    legacy MHL's record (``CHECKED_ONLY``), which never proves a copy: "xxh64; xxh32
    checked against the card's legacy MHL only"."""
    chosen = [name for name in names if name not in CHECKED_ONLY]
    checked = [name for name in names if name in CHECKED_ONLY]
    if not checked:
        return ", ".join(chosen)
    return f"{', '.join(chosen)}; {', '.join(checked)} checked against the card's legacy MHL only"
