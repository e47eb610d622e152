"""The human summary of a finished offload: one table (a row per destination) and verdict
lines. Every number is named for what it proves (docs/json.md, "states"); a column that is
zero on every destination is left out, except "verified now" and "failed"."""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

from rich import box, filesize
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from offload.card import OffloadReport, destinations_with
from offload.destinations.s3url import is_s3_destination
from offload.errors import printable_line, printable_name
from offload.existing import CHECK_CANCELLED, IO_FOUND, UNREAD_FOUND
from offload.manifest.xmlchars import xml_can_hold
from offload.plan.codes import PreflightCode
from offload.plan.ignore import history_meant
from offload.renamed_recheck import NOT_RECHECKED
from offload.report.cascade_words import (
    READ_AGAIN,
    CascadeFacts,
    cascade_sentence,
    earlier_how,
    fast_refused,
    fast_rerun,
    fast_unreachable,
    held_elsewhere,
    never_in_run,
)
from offload.report.words import (
    CACHED_BY_THE_EARLIER_RUN,
    PAGE_CACHE,
    SIZE_CHECKED_ONLY,
    TRANSFER_CHECKED,
    TRANSFER_CHECKED_STYLE,
    VERIFIED_EARLIER_STYLE,
    WARNING_LABELS,
    algorithms_words,
    are,
    card_reread_through_a_cache,
    duration,
    failed_at_the_card_only,
    failed_words,
    ignored_words,
    local_time,
    lost_but_trusted,
    plural,
    proven_words,
    run_check,
)
from offload.results import (
    GOOD_STATUSES,
    WRITTEN_ACTIONS,
    CacheBypass,
    CopyAction,
    DestinationFileResult,
    DestinationStatus,
    DestinationSummary,
    FileResult,
    JobReport,
    beside_proof,
    kept_damaged,
)

# A fast copy's files verified earlier that a cascade read this run, every one matched to
# the card's digests (``OffloadReport.fast_copies_reread``): read again now, not "not
# re-read"; counted in a column of their own (``_count``).
_REREAD = "files_verified_earlier_reread"

# (header, attribute): headers are short enough for 80 columns and say what they count.
_COUNT_COLUMNS = (
    ("verified\nnow", "files_verified"),
    ("verified\nearlier (not\nre-read)", "files_verified_earlier"),
    ("verified\nearlier, read\nagain by the\ncascade", _REREAD),
    ("transfer-\nchecked\nonly", "files_transfer_checked"),
    ("failed", "files_failed"),
    ("cancelled", "files_cancelled"),
)
_ALWAYS = {"files_verified", "files_failed"}
# The states of a copy read back, by this run or by the earlier one its ledger recorded.
_READ_BACK = (DestinationStatus.VERIFIED, DestinationStatus.VERIFIED_EARLIER)


#: What a copy verified earlier and not re-read rests on, whatever the card's identity: the
#: ledger's match of the card file's name, size and date, and of its fingerprint where the
#: entry records one (``offload.fingerprint``), never of every byte; and what proves more.
EARLIER_RESTS_ON = (
    "trusted on each card file's name, size, date and, where recorded, its first and last "
    "64 KiB, not on every byte: --reverify re-reads them"
)


def summary_table(report: OffloadReport) -> RenderableType:
    """A row per destination: what each file there is now, bytes written, speed, result; laid
    out when printed, for the console's width (``_Summary``)."""
    return _Summary(report)


class _Summary:
    """The summary table fitted to the width it is printed in: every count, "written",
    "speed" and "result" whole (rich squeezed them first: "resu" on 80 columns), and the
    destination column the room left, each path stacked there at its "/" (its last folder
    whole when it fits) instead of cut mid-name. Where the other columns leave the
    destination less than its header's width (a terminal under ~80 columns), a block of
    lines a destination instead (``_blocks``): rich squeezed the table then, the result
    one letter a line at 70 columns, gone at 60, and headers and counts cut ("fail…")."""

    def __init__(self, report: OffloadReport) -> None:
        self._report = report

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        probe = _table(self._report, lambda root: "", options.max_width)
        unbounded = options.update_width(1 << 20)  # the columns' own widths, not clamped
        others = Measurement.get(console, unbounded, probe).maximum - len("destination")
        if options.max_width - others < len("destination"):
            yield from _blocks(self._report)
            return
        room = options.max_width - others
        yield _table(self._report, lambda root: _stacked(root, room), options.max_width)


def _count(report: OffloadReport, dest: DestinationSummary, attribute: str) -> int:
    """The count of a column of the table (``_COUNT_COLUMNS``) for *dest*: its files verified
    earlier under "not re-read", or under ``_REREAD`` where a cascade read them this run."""
    if attribute == _REREAD:
        if dest.index in report.fast_copies_reread:
            return dest.files_verified_earlier
        return _read_by_cascade(report, dest.index)
    if attribute == "files_verified_earlier":
        if dest.index in report.fast_copies_reread:
            return 0
        return dest.files_verified_earlier - _read_by_cascade(report, dest.index)
    return int(getattr(dest, attribute))


def _read_by_cascade(report: OffloadReport, index: int) -> int:
    """How many copies verified earlier on destination *index* a cascade read this run,
    each equal to the card's digests (``action`` rechecked: ``cascade._mark_read``); 0 at
    once without a cascade (no pass over the files)."""
    if not report.cascade:
        return 0
    return sum(
        1
        for f in report.job.files
        if (d := f.destination(index)) is not None
        and d.status is DestinationStatus.VERIFIED_EARLIER
        and d.action is CopyAction.RECHECKED
    )


def _stacked(path: str, width: int) -> str:
    """*path* in lines of at most *width* cells, broken after a "/" (a name longer than
    *width* alone is cut in pieces)."""
    if len(path) <= width:
        return path
    pieces = [part + "/" for part in path.split("/")]
    pieces[-1] = pieces[-1][:-1]
    lines = [""]
    for piece in filter(None, pieces):
        while len(piece) > width:  # a name too long for the column on its own
            if lines[-1]:
                lines.append("")
            lines[-1], piece = piece[:width], piece[width:]
            lines.append("")
        if len(lines[-1]) + len(piece) > width:
            lines.append("")
        lines[-1] += piece
    return "\n".join(line for line in lines if line)


def _table(report: OffloadReport, shown_path: Callable[[str], str], width: int) -> Table:
    job = report.job
    table = Table(
        # Names as Text, never as rich markup: a card or drive named "[day1]" lost that part
        # of its name, one named "RAID[/]" stopped the summary (MarkupError).
        title=Text(
            f"{printable_name(str(report.source))}: {run_check(str(job.verify))}, "
            f"{algorithms_words(job.algorithms)}",
            style="table.title",
        ),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        caption=_written_legend(job),
        caption_justify="left",
    )
    table.add_column("destination", no_wrap=True, overflow="fold")
    shown = [
        (header, attribute)
        for header, attribute in _COUNT_COLUMNS
        if attribute in _ALWAYS or any(_count(report, d, attribute) for d in job.destinations)
    ]
    for header, _attribute in shown:
        table.add_column(header, justify="right", no_wrap=True)
    links = any(report.failed_links(d.index) for d in job.destinations)
    size_only = _size_checked_on(report)
    if links:
        table.add_column("links\nnot made", justify="right", no_wrap=True)
    table.add_column("written", justify="right", no_wrap=True)
    table.add_column("speed", justify="right", no_wrap=True)
    # Never cut: as wide as its longest word ("cancelled"; "transfer-checked" is stacked at
    # its hyphen, as the column's header); a LOST reason folds within a quarter of the width.
    table.add_column("result", overflow="fold", max_width=max(9, width // 4))
    for dest in job.destinations:
        failed_links = len(report.failed_links(dest.index))
        table.add_row(
            Text(shown_path(printable_name(dest.root))),
            *[f"{_count(report, dest, attribute):,}" for _header, attribute in shown],
            *([f"{failed_links:,}"] if links else []),
            filesize.decimal(dest.bytes_written),
            _speed(dest),
            _result(
                dest,
                report.destination_result(dest),
                earlier=_count(report, dest, "files_verified_earlier"),
                reread=_count(report, dest, _REREAD),
                size_only=dest.index in size_only,
            ),
        )
    return table


def _size_checked_on(report: OffloadReport) -> frozenset[int]:
    """The destinations where a transfer check proved the sizes alone: this run's
    (``OffloadReport.size_checked_only``) or an earlier run's, trusted from the ledger
    (``DestinationFileResult.size_checked_only``): the result column says ``size-checked
    only`` there, the weakest proof. A pass over the copies only where some destination
    with transfer-checked copies is not already one."""
    found = set(report.size_checked_only())
    left = {
        d.index
        for d in report.job.destinations
        if d.files_transfer_checked and d.index not in found
    }
    if not left:
        return frozenset(found)
    sized = destinations_with(report.job.files, left, operator.attrgetter("size_checked_only"))
    return frozenset(found | sized)


def _blocks(report: OffloadReport) -> Iterator[Text]:
    """The summary table's content on a terminal too narrow for the table: its title, then
    a block a destination (its path; its result whole on a line of its own, the verdict
    being the point; its counts, "written" and "speed", each named by its column's header),
    then the table's caption; every line wraps at a space, never inside a word or a
    number."""
    table = _table(report, lambda root: root, 1 << 20)
    yield table.title if isinstance(table.title, Text) else Text(str(table.title or ""))
    headers = [_one_line(str(column.header)) for column in table.columns]
    columns = [list(column.cells) for column in table.columns]
    for row in zip(*columns, strict=True):
        path, *counts, result = (c if isinstance(c, Text) else Text(str(c)) for c in row)
        yield path
        yield Text("  result: ") + Text(_one_line(result.plain), style=result.style)
        named = zip(headers[1:-1], counts, strict=True)
        yield Text("  " + " · ".join(f"{name}: {count.plain}" for name, count in named))
    if table.caption:
        yield Text(str(table.caption))


def _one_line(words: str) -> str:
    """A header or result stacked for the table (at its spaces, "transfer-" over "checked")
    on one line again."""
    return words.replace("-\n", "-").replace("\n", " ")


def _missing_line(
    lists: str, paths: Sequence[str], *, source_is_copy: bool = False, named: Sequence[str] = ()
) -> str:
    """The ``MISSING FROM THE CARD`` line of the card files *lists* (what lists them, with
    its verb) names and the card no longer has: the first 20 named, the rest counted. Of a
    source that is a copy root of ours (*source_is_copy*), ``MISSING FROM THE SOURCE``
    (``source_words``), its names and those in *lists* (*named*) as they are."""
    shown = paths[:20]
    names = ", ".join(map(printable_name, shown))
    more = len(paths) - 20
    line = (
        f"MISSING FROM THE CARD: {lists} {plural(len(paths), 'file')} the card no longer has: "
        f"{names}" + (f" and {more:,} more" if more > 0 else "")
    )
    if not source_is_copy:
        return line
    from offload.report.source_words import of_the_source

    return of_the_source(line, keep=(*shown, *named))


#: What the "written" column counts, below the table where a copy there did not finish: a
#: lost drive's row said "0 bytes" beside the 80 MB of partial files it holds. ``bytes_written``
#: leaves out a resumed upload's parts already there (``committer._new_result``); "a drive
#: gone", not "lost": a run whose drives all stand must not print the word.
WRITTEN_LEGEND = (
    "written: the bytes this run sent of the copies it finished on that destination (verified "
    "or transfer-checked; the parts of a resumed upload already there not counted); a copy "
    "that failed or was cancelled is not counted, though a drive gone or cut off mid-copy may "
    "still hold part of it"
)


def _written_legend(job: JobReport) -> str | None:
    """The table's caption, ``WRITTEN_LEGEND``, where some destination was lost or some copy
    failed or was cancelled (its bytes, written or not, are in no row's "written": the
    JSON's ``bytes_written``, docs/json.md); None where every copy finished: then each
    row's bytes are all this run wrote there."""
    if any(d.lost or d.files_failed or d.files_cancelled for d in job.destinations):
        return WRITTEN_LEGEND
    return None


def _speed(dest: DestinationSummary) -> str:
    """The speed column: whole MB/s, one decimal under 10 (a bucket written at 0.4 MB/s
    said "0 MB/s" beside the 7.1 MB it wrote), "-" when nothing was written."""
    rate = dest.throughput_mb_s  # the job report's figure: 0 when nothing was written
    if rate <= 0:
        return "-"
    return f"{rate:,.1f} MB/s" if rate < 9.95 else f"{rate:,.0f} MB/s"


def _result(
    dest: DestinationSummary,
    result: str,
    *,
    earlier: int = 0,
    reread: int = 0,
    size_only: bool = False,
) -> Text:
    """*result*: the word the JSON reports state (``OffloadReport.destination_result``);
    its ``ok`` said ``transfer-checked`` where some good copy there was never read back
    (``--verify transfer``, now or trusted from an earlier such run): a green "ok" beside
    the "transfer-checked only" count read as verified; and ``verified earlier`` (as the
    live view's row) where every copy there was read back but *earlier* of them by an
    earlier run only, trusted from the ledger and not re-read now (those a cascade read
    again this run are not counted in *earlier*; *reread*: those, read back by this run);
    ``verified, partly earlier`` where some copies there were read back now, by the copy or
    a cascade (``proven_words``); ``size-checked only`` instead of ``transfer-checked``
    where *size_only*: a transfer check there proved the sizes alone, this run's (a service
    that stores a part whatever its checksum, ``OffloadReport.size_checked_only``) or an
    earlier run's trusted from the ledger (``_size_checked_on``), as the line below the
    table and every document say of that destination."""
    if dest.lost:
        return Text(f"LOST: {printable_line(dest.lost_reason or '')}", style="bold red")
    if result == "failed":
        # As the live view's row (``cli/live.py``): "partly failed" where some copies there
        # are good (a fast copy the cascade found changed, the others standing; a fast drive
        # pulled mid-cascade is LOST, ``cascade._declare_gone``).
        good = dest.files_verified + dest.files_verified_earlier + dest.files_transfer_checked
        return Text("PARTLY\nFAILED" if dest.files_failed and good else "FAILED", style="bold red")
    if result == "ok" and dest.files_transfer_checked:
        # Two lines, as the "transfer-checked only" header: 80 columns keep it whole.
        words = SIZE_CHECKED_ONLY if size_only else TRANSFER_CHECKED
        # A line a word ("size-" over "checked" over "only"): as narrow as "transfer-checked".
        return Text(words.replace("-", "-\n").replace(" ", "\n"), style=TRANSFER_CHECKED_STYLE)
    if result == "ok" and earlier:
        # A line a word, as "transfer-checked": the column stays as narrow on 80 columns.
        # Some read back now too: "verified, partly earlier", never "verified earlier" of a
        # destination whose copies were mostly verified now (``proven_words``).
        words = proven_words(dest.files_verified + reread)
        return Text(words.replace(" ", "\n"), style=VERIFIED_EARLIER_STYLE)
    return Text(result, style="yellow" if result == "cancelled" else "green")


# A copy proven by a read-back, now or by an earlier run.
_PROVEN = frozenset({DestinationStatus.VERIFIED, DestinationStatus.VERIFIED_EARLIER})


class _Counts:
    """Every count the verdict's lines take from the copies, made in one pass over them
    (``_count_copies``): each line walked every copy again before (eight passes, ~80 ms at
    50,000 files; docs/performance.md, "The verdict's counts in one pass")."""

    __slots__ = (
        "actions",
        "by_state",
        "cached",
        "card_cached",
        "checked_made",
        "earlier",
        "earlier_cached",
        "reread",
        "sized_earlier",
        "total_bytes",
        "transfer_earlier",
        "unchecked",
        "untouched",
        "verified_bytes",
        "verified_everywhere",
    )

    def __init__(self) -> None:
        #: The copies by state.
        self.by_state: Counter[DestinationStatus] = Counter()
        #: The files verified (now or earlier) on every destination, none failed at the
        #: card, and their bytes; the bytes of every file (``JobReport.total_bytes``).
        self.verified_everywhere = 0
        self.verified_bytes = 0
        self.total_bytes = 0
        #: The copies verified earlier; of them, those whose ledger entry says the read-back
        #: went through a cache, and those a cascade read this run (on the fast copies of
        #: ``fast_copies_reread``, every file of which its read matched to the card's
        #: digests, and elsewhere each copy it read so: ``action`` rechecked,
        #: ``cascade._mark_read``).
        self.earlier: list[DestinationFileResult] = []
        self.earlier_cached = 0
        self.reread = 0
        #: The copies transfer-checked by an earlier run, trusted from the ledger; those
        #: transfer-checked by this run, by destination index (``_transfer_checks``).
        self.transfer_earlier: list[DestinationFileResult] = []
        self.checked_made: Counter[int] = Counter()
        #: Of the copies transfer-checked by an earlier run, those whose check proved the
        #: size alone (``DestinationFileResult.size_checked_only``), by destination index.
        self.sized_earlier: Counter[int] = Counter()
        #: The copies verified now through a cache, by how; the card files read (again)
        #: through one; the copies verified now, by action.
        self.cached: Counter[CacheBypass] = Counter()
        self.card_cached: Counter[CacheBypass] = Counter()
        self.actions: Counter[CopyAction] = Counter()
        #: Of the copies cancelled: the errors of those on fusefat whose re-read after the
        #: renames the cancel stopped (``renamed_recheck.NOT_RECHECKED``), and how many were
        #: copies already there whose check the cancel stopped (``existing.CHECK_CANCELLED``).
        self.unchecked: list[str] = []
        self.untouched = 0


# The read-backs through a cache (``CacheBypass.through_cache``, the one rule): a set looked
# up once a copy costs less than the property's call.
_THROUGH_CACHE = frozenset(c for c in CacheBypass if c.through_cache)


def _count_copies(report: OffloadReport) -> _Counts:
    """The verdict's counts (``_Counts``) from one pass over every file and copy."""
    counts = _Counts()
    states: list[DestinationStatus] = []
    append = states.append
    cascade = bool(report.cascade)
    reread_on = report.fast_copies_reread
    verified = DestinationStatus.VERIFIED
    earlier = DestinationStatus.VERIFIED_EARLIER
    checked = DestinationStatus.TRANSFER_CHECKED
    cancelled = DestinationStatus.CANCELLED
    trusted = CopyAction.TRUSTED
    rechecked = CopyAction.RECHECKED
    through = _THROUGH_CACHE
    everywhere = everywhere_bytes = total_bytes = 0
    for file in report.job.files:
        size = file.size_bytes
        total_bytes += size
        if file.source_cache_bypass in through:
            counts.card_cached[file.source_cache_bypass] += 1
        proven = file.source_error is None
        for copy in file.destinations:
            status = copy.status
            append(status)
            if status is checked:
                proven = False
                if copy.action is trusted:
                    counts.transfer_earlier.append(copy)
                    if copy.size_checked_only:
                        counts.sized_earlier[copy.destination_index] += 1
                else:
                    counts.checked_made[copy.destination_index] += 1
            elif status is verified:
                counts.actions[copy.action] += 1
                if copy.cache_bypass in through:
                    counts.cached[copy.cache_bypass] += 1
            elif status is earlier:
                counts.earlier.append(copy)
                if copy.cache_bypass in through:
                    counts.earlier_cached += 1
                if cascade and (copy.destination_index in reread_on or copy.action is rechecked):
                    counts.reread += 1
            else:
                proven = False
                if status is cancelled and copy.error:
                    if NOT_RECHECKED in copy.error:
                        counts.unchecked.append(copy.error)
                    if copy.error == CHECK_CANCELLED:
                        counts.untouched += 1
        if proven:
            everywhere += 1
            everywhere_bytes += size
    counts.by_state.update(states)
    counts.verified_everywhere = everywhere
    counts.verified_bytes = everywhere_bytes
    counts.total_bytes = total_bytes
    return counts


def verdict_lines(report: OffloadReport) -> list[str]:
    """What the offload proved, in words that claim no more than that.

    The first line counts files (a file counts as verified only when it is verified, now or
    earlier, on every destination); further lines name what weakens it.
    """
    job = report.job
    total = len(job.files)
    counts = _count_copies(report)
    by_state = counts.by_state
    verified_everywhere = counts.verified_everywhere
    verified_bytes = counts.verified_bytes
    # The bytes of the copies finished (verified or transfer-checked): a copy that failed or
    # was cancelled part-way may have written bytes that were then removed with its partial
    # (a disk that filled), so with one of them, never "nothing written", which would claim
    # nothing ever reached the drive (``_no_bytes_written``).
    written = sum(d.bytes_written for d in job.destinations)
    unfinished = by_state[DestinationStatus.FAILED] + by_state[DestinationStatus.CANCELLED]
    speed = (
        f"; {filesize.decimal(written)} written in {duration(job.elapsed_s)} "
        f"({filesize.decimal(round(written / job.elapsed_s))}/s)"
        if written and job.elapsed_s > 0
        else f"; {_no_bytes_written(job, counts.reread)} ({duration(job.elapsed_s)})"
        if unfinished
        else f"; nothing written ({duration(job.elapsed_s)})"
    )
    lines = []
    if report.missing_from_card:
        lines.append(
            _missing_line(
                "its own ASC MHL history lists",
                report.missing_from_card,
                source_is_copy=report.source_is_copy,
            )
        )
    if report.missing_from_legacy_mhl:
        mhls = sorted(set(report.missing_from_legacy_mhl.values()))
        lines.append(
            _missing_line(
                f"{plural(len(mhls), 'legacy MHL')} on it "
                f"({', '.join(repr(printable_name(m)) for m in mhls[:3])}"
                f"{f' and {len(mhls) - 3} more' if len(mhls) > 3 else ''}) "
                f"{'lists' if len(mhls) == 1 else 'list'}",
                sorted(report.missing_from_legacy_mhl),
                source_is_copy=report.source_is_copy,
                named=mhls[:3],
            )
        )
    if report.card_history_untrusted:
        heading = "SOURCE HISTORY" if report.source_is_copy else "CARD HISTORY"
        lines.append(f"{heading} NOT TRUSTED: {report.card_history_untrusted}")
    if report.cascade:
        lines.append(_cascade_line(report))
    if job.cancelled:
        cancelled = by_state[DestinationStatus.CANCELLED]
        # Copies on fusefat whose re-read after the renames the cancel stopped: at their
        # final names, no partial (``renamed_recheck``).
        unchecked = counts.unchecked
        # What proved them before the renames, as each one's error says.
        checked = " or ".join(
            word
            for word in ("verified", "transfer-checked")
            if any(f": {word} before the renames" in error for error in unchecked)
        )
        kept = (
            f"; {len(unchecked):,} of them at "
            f"{'its name' if len(unchecked) == 1 else 'their names'}, "
            f"{checked} before the renames, not re-checked"
            if unchecked
            else ""
        )
        # What proved the copies that stand: now, or an earlier run (trusted from the
        # ledger, not re-read), and the transfer checks, never read back (not "verified").
        earlier_n = by_state[DestinationStatus.VERIFIED_EARLIER]
        checked_n = by_state[DestinationStatus.TRANSFER_CHECKED]
        # Those an earlier run verified: "(2 copies now, 3 verified earlier: not re-read)",
        # with none now "(3 copies verified earlier: not re-read)", never "0 copies now" nor
        # "all" (other copies were cancelled); those a cascade read before the stop, as
        # the rows and CARD RELEASED say them: "read again now by the cascade".
        proof = (
            " ({}: {})".format(
                _now_and_earlier(
                    by_state[DestinationStatus.VERIFIED],
                    earlier_n,
                    earlier="verified earlier",
                    joint=", ",
                    every=False,
                ),
                earlier_how(earlier_n, counts.reread),
            )
            if earlier_n
            else ""
        )
        checked = (
            f"; {plural(checked_n, 'copy', 'copies')} transfer-checked only (never read back)"
            if checked_n
            else ""
        )
        # Copies already there whose check the cancel stopped, before, during or after
        # their read-back (``existing.CHECK_CANCELLED``): nothing of them written or removed.
        untouched = counts.untouched
        # What the clean-up could not remove on S3 (``report.left_behind``: an object never
        # verified, an upload whose abort failed, a record, the lock), which its notes name:
        # "partial files removed" is then said only of what it did remove.
        left = len(report.left_behind)
        removed = (
            "partial files removed"
            if not left
            else "partial files removed where the clean-up could, but "
            f"{plural(left, 'object or upload', 'objects or uploads')} may be left in the "
            "bucket (each named, with the command that removes it, in the report's notes "
            "and left_behind)"
        )
        what = (
            f"{removed}{kept}"
            if not untouched
            else f"{untouched:,} of them already there and kept as "
            f"{'it was' if untouched == 1 else 'they were'}, not checked"
            if untouched == cancelled
            else f"{removed}{kept}; {untouched:,} of them already there and kept "
            f"as {'it was' if untouched == 1 else 'they were'}, not checked"
        )
        stop = (
            f"{plural(cancelled, 'copy', 'copies')} {'was' if cancelled == 1 else 'were'} "
            f"cancelled ({what}; run the same command again to resume)"
            if cancelled
            # The stop read by a copy job at its end, after its last outcome: no copy was
            # cancelled (never "0 copies were cancelled (partial files removed ...)"), only
            # the finish of the destinations named skipped (``note_unfinished`` notes each):
            # a cascade's fast ones were finished at the card's release.
            else "no copy was cancelled: the stop came once every copy had its outcome, "
            f"before the steps that finish {_unfinished_words(report)}"
            + (
                f" ({plural(left, 'object or upload', 'objects or uploads')} may be left in "
                "the bucket: each named, with the command that removes it, in the report's "
                "notes and left_behind)"
                if left
                else ""
            )
        )
        lines.append(
            f"CANCELLED: {verified_everywhere:,} of {plural(total, 'file')} "
            f"({filesize.decimal(verified_bytes)}) {are(verified_everywhere)} verified on every "
            f"destination{proof}{checked}; {stop}"
        )
    if not job.cancelled:
        lines.extend(_finished_head(report, counts, speed))
    lines.extend(_weakening_lines(report, counts))
    removed = report.removed_unfinished.words()
    if removed:
        # What the run removed before its copies, each kind its own count, as the JSON's
        # ``removed_unfinished`` (``removed_stray_partials`` their total): said, as a drive
        # pulled or a run killed earlier leaves them and the docs promise the next run
        # cleans them. The report temporaries are the ones a WARNING line above named
        # (``card._remove_stale_temps``), never more on top of them.
        lines.append(removed)
    return lines


def _finished_head(report: OffloadReport, counts: _Counts, speed: str) -> list[str]:
    """The verdict's first line for a run that was not cancelled (``verdict_lines``): all
    verified, transfer-checked only, or NOT ALL VERIFIED, qualified by what failed at a
    destination's end."""
    job = report.job
    total = len(job.files)
    by_state = counts.by_state
    verified_everywhere = counts.verified_everywhere
    transfer_earlier = len(counts.transfer_earlier)
    lines: list[str] = []
    transfer_only = by_state[DestinationStatus.TRANSFER_CHECKED]
    head_at = len(lines)  # the line a destination without its manifest qualifies
    if total == 0:
        lines.append("No files to copy.")
    elif verified_everywhere == total and not by_state[DestinationStatus.VERIFIED_EARLIER]:
        lines.append(
            f"{_all_files(total, counts.total_bytes)} verified on every destination "
            f"({_verified_now(str(job.verify))}){speed}."
        )
    elif verified_everywhere == total:
        # Part (or all) of it was proved by an earlier run: never word it as this run's (nor
        # as read from the media when that run's ledger entry says it read through a cache).
        cached_earlier = counts.earlier_cached
        through = (
            f", {cached_earlier:,} of them {CACHED_BY_THE_EARLIER_RUN}" if cached_earlier else ""
        )
        earlier_n = by_state[DestinationStatus.VERIFIED_EARLIER]
        how = earlier_how(earlier_n, counts.reread)
        counted = _now_and_earlier(
            by_state[DestinationStatus.VERIFIED], earlier_n, proved=_verified_now(str(job.verify))
        )
        lines.append(
            f"{_all_files(total, counts.total_bytes)} verified on every destination, "
            f"{counted} ({how}{through}){speed}."
        )
    elif transfer_only and not by_state[DestinationStatus.FAILED]:
        by_earlier_run = (
            f"; {transfer_earlier:,} checked by an earlier run" if transfer_earlier else ""
        )
        # Copies read back (now, or earlier by a run that read them) beside the transfer
        # checks: each counted by how it was proven, never all called "transfer-checked".
        # Not "(transfer verification)": a copy read back under --verify transfer was one
        # already there, adopted; and an earlier read-back through a cache is said so.
        cached_earlier = counts.earlier_cached
        through = (
            f", {cached_earlier:,} of them {CACHED_BY_THE_EARLIER_RUN}" if cached_earlier else ""
        )
        read_back = [
            f"{by_state[status]:,} {how}"
            for status, how in (
                (DestinationStatus.VERIFIED, "read back now"),
                (DestinationStatus.VERIFIED_EARLIER, f"verified earlier (not re-read{through})"),
            )
            if by_state[status]
        ]
        copies = transfer_only + sum(by_state[s] for s in _READ_BACK)
        size = filesize.decimal(counts.total_bytes)
        head = f"{plural(total, 'file')} ({size}) {are(total)} on every destination"
        checks = f"{_transfer_checks(report, counts)}, never read back from the destinations"
        if read_back:
            lines.append(
                f"{head}: {transfer_only:,} of {plural(copies, 'copy', 'copies')} TRANSFER-CHECKED "
                f"ONLY ({checks}{by_earlier_run}), {' and '.join(read_back)}{speed}."
            )
        else:
            lines.append(
                f"{head}, TRANSFER-CHECKED ONLY: {checks} "
                f"({plural(transfer_only, 'copy', 'copies')}{by_earlier_run}){speed}."
            )
    else:
        head_at = -1  # "NOT ALL VERIFIED" claims nothing a missing manifest would contradict
        not_ok = [f for f in job.files if not f.ok]
        # A file none of whose copies failed but one was cancelled (a stop; a destination
        # lost, or refused at the start, before it got to it) is counted apart, as the
        # destinations' counts and the JSON's totals count it: never "failed".
        halted = [f for f in not_ok if _cancelled_only(f)]
        failed_files = len(not_ok) - len(halted)
        # On how many destinations, as the HTML/PDF verdict says it (``failed_words``).
        failed_on = {
            d.destination_index
            for f in job.files
            for d in f.destinations
            if d.status is DestinationStatus.FAILED
        }
        halted_on = {
            d.destination_index
            for f in halted
            for d in f.destinations
            if d.status is DestinationStatus.CANCELLED
        }
        # No copy failed where every failed file failed at the card (``failed_words``).
        card_only = failed_at_the_card_only(
            (f.source_error is not None, [str(d.status) for d in f.destinations]) for f in not_ok
        )
        stand_in = any(w.code == PreflightCode.CARD_ABSENT for w in report.warnings)
        said = failed_words(
            failed_files,
            total,
            len(failed_on),
            card_only,
            stand_in,
            cancelled=len(halted),
            cancelled_on=len(halted_on),
        )
        # Only cancelled, nothing failed: no ERROR line lists them below; the table's rows
        # say which destination stopped and why (review of runrec65, L1).
        where = "the table says where" if halted and not failed_files else "listed below"
        lines.append(
            "NOT ALL VERIFIED: "
            f"{said or '0 files failed'} ({where}); {verified_everywhere:,} "
            f"{are(verified_everywhere)} verified on every destination{speed}."
        )
    if head_at >= 0 and total:
        head = _with_damaged_kept(report, _without_manifest(report, lines[head_at]))
        lines[head_at] = _with_lost(report, head)
    return lines


def _with_lost(report: OffloadReport, head: str) -> str:
    """*head* (every file verified, or transfer-checked, on every destination), qualified by
    each destination lost with none of its copies failed (a copy root refused at the start,
    its record of the run unreadable or unwritable, whose copies an earlier run verified;
    an S3 lock refused on a re-run with nothing to copy): its copies are what *head* counts,
    trusted from its records, but this run did not finish that destination, as its
    ``LOST`` line says (exit 1, the card kept)."""
    lost = [str(d.root) for d in report.job.destinations if d.lost]
    if not lost:
        return head
    return f"{head.removesuffix('.')}; BUT {lost_but_trusted(lost, 'the table says why')}."


def _cancelled_only(file: FileResult) -> bool:
    """Whether the file *file*, not good, is so for a copy cancelled alone: its card read
    fine, none of its copies failed, one was cancelled (``failed_words``' *cancelled*)."""
    return (
        file.source_error is None
        and not any(d.status is DestinationStatus.FAILED for d in file.destinations)
        and any(d.status is DestinationStatus.CANCELLED for d in file.destinations)
    )


def _with_damaged_kept(report: OffloadReport, head: str) -> str:
    """*head* (every file verified, or transfer-checked, on every destination), qualified by
    the copies of ours found damaged and kept at the card files' names (``--keep-both``:
    ``results.kept_damaged``): the good copies are what *head* says, under other names; the
    file at each card file's name is damaged, and its copy root's history (which records it
    as the card's) fails ``ascmhl-debug verify`` and ``offload verify`` for it (exit 1)."""
    roots = {
        str(w.path): w.destination_index for w in report.warnings if kept_damaged(w.code, w.kept)
    }
    if not roots:
        return head
    destinations = report.job.destinations
    where = sorted(
        {
            str(destinations[i].root)
            for i in roots.values()
            if i is not None and 0 <= i < len(destinations)
        }
    )
    one = len(roots) == 1
    # The good copies' own states (--verify transfer: transfer-checked, never "verified").
    proof = beside_proof(
        d.status
        for f in report.job.files
        for path, index in roots.items()
        if path.endswith(f"/{f.relative_path}")
        for d in f.destinations
        if d.destination_index == index and d.final_path != path
    )
    return (
        f"{head.removesuffix('.')}; BUT {plural(len(roots), 'DAMAGED COPY', 'DAMAGED COPIES')} "
        f"OF OURS {'IS' if one else 'ARE'} KEPT AT THE CARD'S NAME"
        f"{' on ' + ', '.join(where) if where else ''} (--keep-both; COPY FOUND DAMAGED "
        f"below): the good {'copy is' if one else 'copies are'} {proof}beside "
        f"{'it' if one else 'them'} under another name, but the file at the card's name is "
        "damaged, and `ascmhl-debug verify` and `offload verify` of that copy root fail for "
        f"{'it' if one else 'them'} (editing software relinks by that name)."
    )


def _weakening_lines(report: OffloadReport, counts: _Counts) -> list[str]:
    """The verdict's lines after its first, each naming what weakens it (copies proved
    earlier, read through a cache, adopted, re-checked, resumed, linked, replaced, found
    damaged, history not carried): said of a cancelled run's copies as of a finished run's,
    as its reports say them (a cancelled run's once lost them: its line returned first)."""
    job = report.job
    lines: list[str] = []
    now = counts.by_state[DestinationStatus.VERIFIED]
    earlier = counts.earlier
    # Verified now, but read through a cache that could not be dropped: what a copy rests on.
    cached = counts.cached
    transfer_earlier = counts.transfer_earlier
    if earlier:
        how = (
            f"read back in this run, {sum(cached.values()):,} of them through a cache"
            if cached
            else "read back from the media in this run"
        )
        reread_n = counts.reread
        if not reread_n:
            lines.append(
                f"Copies verified now ({how}): {now:,}; verified "
                f"earlier and trusted from the destination's ledger, not re-read now: "
                f"{len(earlier):,} ({_earlier_detail(earlier)}; {EARLIER_RESTS_ON})."
            )
        else:
            unread = len(earlier) - reread_n
            lines.append(
                f"Copies verified now ({how}): {now:,}; verified earlier and trusted from the "
                f"destination's ledger: {len(earlier):,} ({_earlier_detail(earlier)}), "
                f"{reread_n:,} of them {READ_AGAIN} and equal to the card's digests"
                + (f", {unread:,} not re-read now ({EARLIER_RESTS_ON})" if unread else "")
                + "."
            )
        cached_earlier = counts.earlier_cached
        if cached_earlier:
            lines.append(
                f"READ THROUGH A CACHE EARLIER: {_copies_were(cached_earlier)} verified "
                "earlier by a run that read them back through a cache, not from the media "
                "(the destination's ledger records it): the card release does not count "
                "them; --reverify reads them back again."
            )
    if cached:
        lines.append(_cached_line(cached))
    card_cached = counts.card_cached
    if card_cached:
        lines.append(
            card_reread_through_a_cache(
                card_cached.total(),
                server=card_cached[CacheBypass.SERVER],
                source_is_copy=report.source_is_copy,
            )
            + "."
        )
    if transfer_earlier:
        sized = counts.sized_earlier.total()
        lines.append(
            "Copies transfer-checked by an earlier run and trusted from the destination's "
            f"ledger, never read back: {len(transfer_earlier):,} "
            f"({_earlier_detail(transfer_earlier)}"
            + (
                f"; {sized:,} of them size-checked only, their in-flight hashes not checked "
                "or not recorded as checked"
                if sized
                else ""
            )
            + "; --verify destination reads them back)."
        )
    actions = counts.actions
    if actions[CopyAction.ADOPTED]:
        lines.append(_adopted_line(report, actions[CopyAction.ADOPTED]))
    if actions[CopyAction.RECHECKED]:
        lines.extend(_rechecked_lines(report))
    for dest in job.destinations:
        if dest.files_resumed:
            lines.append(
                f"RESUMED on {dest.root}: {plural(dest.files_resumed, 'upload')} continued "
                f"from an interrupted run; {filesize.decimal(dest.bytes_resumed)} of "
                f"{'it' if dest.files_resumed == 1 else 'them'} already there (each part "
                "matched against the source's bytes) was not sent again and is not counted "
                "as written."
            )
    lines.extend(_link_lines(report))
    lines.extend(_not_in_manifest_lines(report))
    lines.extend(_replaced_lines(report))
    lines.extend(_damaged_lines(report))
    if report.ignored:
        # Where the history the run meant to carry was carried is the outcome's.
        meant = history_meant(report.ignored)
        fates = _history_fates(report) if meant else ""
        folders = report.ignored_folder_paths()
        said = ignored_words(
            len(report.ignored), meant, fates, folders, source_is_copy=report.source_is_copy
        )
        lines.append(said + ".")
    return lines


def _history_fates(report: OffloadReport) -> str:
    """Where the source's ASC MHL history, which the run meant to carry, was carried: into
    the history of each destination whose manifest result says it stands there whole
    (``ManifestResult.carried``, set by ``manifests_writer`` where it really was, and not
    taken back), never inferred from the copies' states. Each other one is named with why:
    lost (``card._finish_destinations`` writes no manifest there), its manifests not
    written (a cancelled run's: the run cancelled before them, a cancel skips that step),
    nothing of the card verified there (``manifests_writer`` carries nothing and
    writes no generation where no copy of the card is verified, now or earlier, whatever
    links it made there: a link is recorded only as a verified file's content), or its
    history its own (it does not take the card's generations: named in a warning,
    ``card-history-not-carried``)."""
    job = report.job
    carried = {m.destination_index for m in report.manifests if m.carried}
    failed = {m.destination_index for m in report.manifests if m.error is not None}
    written = {m.destination_index for m in report.manifests if m.error is None}
    taken: list[str] = []
    not_taken: list[str] = []
    for index, dest in enumerate(job.destinations):
        if index in carried:
            taken.append(dest.root)
            continue
        recorded = any(
            (result := f.destination(index)) is not None and result.status in GOOD_STATUSES
            for f in job.files
        )
        if dest.lost:
            why = "lost"
        elif index in failed:
            why = "its manifests not written"
        elif recorded and index not in written and job.cancelled:
            # A cancel skips the manifest step: none failed there.
            why = "the run was cancelled before its manifests"
        elif recorded and index not in written:
            why = "its manifests not written"
        elif not recorded:
            why = "nothing of the card verified there"
        else:
            why = "its own history there does not take the card's generations"
        not_taken.append(f"{printable_name(dest.root)} ({why})")
    kept = "continued there (a destination that does not take them is named in a warning)"
    if not not_taken:
        return f"its manifests are carried into the destinations' ASC MHL histories and {kept}"
    if not taken:
        return f"its manifests are carried into no destination's history: {', '.join(not_taken)}"
    shown = ", ".join(printable_name(root) for root in taken)
    return (
        f"its manifests are carried into the ASC MHL history on {shown} and {kept}; not "
        f"into {', '.join(not_taken)}"
    )


def _now_and_earlier(
    now_n: int,
    earlier_n: int,
    *,
    proved: str = "",
    earlier: str = "earlier",
    joint: str = " and ",
    every: bool = True,
) -> str:
    """The copies verified on a verdict's line counted by what proved them: *now_n* read
    back by this run (*proved*, when given, says how: ``_verified_now``) and *earlier_n* by
    an earlier run, trusted from the ledger (worded *earlier*), the two joined by *joint*:
    "2 copies now (full verification) and 3 earlier". A run that read back none says only
    what is true of the counts, nothing of copies verified now nor of how: "all 3 copies
    earlier", "1 copy earlier" (before: "0 copies now (full verification) and 3 earlier").
    The line that says all are verified and the CANCELLED line's count both; *every*: the
    counts are every copy of the run (that line), else "all" is not said (the CANCELLED
    line's, beside copies cancelled)."""
    if not now_n:
        counted = plural(earlier_n, "copy", "copies")
        return f"{'all ' if every and earlier_n > 1 else ''}{counted} {earlier}"
    said = f" ({proved})" if proved else ""
    return f"{plural(now_n, 'copy', 'copies')} now{said}{joint}{earlier_n:,} {earlier}"


def _verified_now(verify: str) -> str:
    """How the copies this run verified were proven, in the words of the summary's line that
    says all are verified: the run's ``--verify`` check, except ``transfer``, which reads
    back no copy it makes: a copy verified under it is one already there (adopted, or one of
    ours re-checked), read back now from the destination (``existing``: proven at least at
    destination level). Never "transfer verification", nor "transfer check only" beside
    "verified"."""
    if verify == "transfer":
        return (
            "each one already there, read back now; --verify transfer reads back no copy it makes"
        )
    return f"{verify} verification"


def _without_manifest(report: OffloadReport, head: str) -> str:
    """*head* (a line saying every file is verified, or transfer-checked, on every
    destination), qualified by each destination whose end-of-run steps failed after its
    copies (``OffloadReport.failed_steps``): the copies there are what *head* says, the
    table calls that destination FAILED, and this says what else holds there and the
    remedy, and no more. A manifest not written: no manifest of this run records the
    copies, the same command run again writes it (the manifest error's own remedy,
    ``manifests_writer.not_written``), unless the card's tree refuses one (``lasting``:
    nested histories), where the error names the way on."""
    destinations = report.job.destinations
    failed = [
        m
        for m in report.manifests
        if m.error is not None and 0 <= m.destination_index < len(destinations)
    ]
    if failed:
        roots = [str(destinations[m.destination_index].root) for m in failed]
        # A card whose tree refuses a manifest (nested histories) gets none on a re-run
        # either: the error's own words say the way on.
        remedy = (
            "the error below says why and the way on; the same command again would not write it"
            if all(m.lasting for m in failed)
            else "the error below): once what it says is mended, run the same command again "
            "to write it (nothing is copied again"
        )
        # --mhl both where only the generation failed: the legacy MHL stands there. Each
        # destination worded as it is: one with no manifest at all first, then those with
        # their legacy MHL (never "NO MANIFEST" on one that has it).
        head = head.removesuffix(".")
        for only in (False, True):
            these = [r for r, m in zip(roots, failed, strict=True) if m.only_ascmhl is only]
            if not these:
                continue
            kind = "ASC MHL manifest" if only else "manifest"
            head += (
                f"; BUT NO {kind.upper()} on {', '.join(these)}: "
                f"{'its' if len(these) == 1 else 'their'} {kind} could not be written "
                + ("(the legacy MHL is written; " if only else "(")
                + f"{remedy})"
            )
        head += "."
    for index, steps in sorted(report.failed_steps.items()):
        # Where this run's report is kept instead: the first written, as "Report:" says.
        kept = f" (one is {report.report_paths[0]})" if report.report_paths else ""
        # A bucket is never called a drive.
        there = (
            "that bucket"
            if 0 <= index < len(destinations) and is_s3_destination(str(destinations[index].root))
            else "that drive"
        )
        said = [
            _FINISH_WORDS[s].format(kept=kept, there=there) for s in steps if s in _FINISH_WORDS
        ]
        if said and 0 <= index < len(destinations):
            head = (
                f"{head.removesuffix('.')}; BUT ON {destinations[index].root}: "
                f"{'; and '.join(said)}."
            )
    return head


# What failed at a destination's end, after its copies were proven, what still holds there
# and the remedy: the verdict line's words (``_without_manifest``), by ``card.FINISH_STEPS``.
_FINISH_WORDS = {
    "folders": (
        "a folder of the card could not be made there (the error below): the card's files "
        "are there as said, but not every folder of the card; run the same command again to "
        "make it (nothing is copied again)"
    ),
    "folder-times": (
        "its folders' times could not be set to the card's (the error below): the copies "
        "are as said, only those folders' dates differ from the card's; run the same command "
        "again to set them (nothing is copied again)"
    ),
    "report": (
        "this run's report could not be written there (the error below): the copies are as "
        "said, but {there} holds no report of this run{kept}; run the same command again to "
        "write one there (nothing is copied again)"
    ),
    "run-record": (
        "the record that this offload finished (.offload/last-run.json) could not be written "
        "there (the error below): the copies are as said, but `offload verify` of that copy "
        "says INCOMPLETE until it is; keep the card and, once what the error says is mended, "
        "run the same command again to write it (nothing is copied again)"
    ),
}


def _transfer_checks(report: OffloadReport, counts: _Counts) -> str:
    """What the transfer checks proved of the copies: the sizes, and the in-flight hashes
    where something checked them (a disk's write, an S3 service that refuses a part whose
    checksum is wrong); an S3 destination whose service stored a probe with a wrong checksum
    (the preflight's ``s3-checksums-unchecked`` warning) has this run's copies size-checked
    only, and so are the copies an earlier run checked so, trusted from the ledger (its
    entries record it, or are too old to tell: ``ledger.size_checked_only``), counted with
    them, each destination's all."""
    unchecked = report.size_checked_only()
    sized_earlier = counts.sized_earlier
    by_index = {
        index: (counts.checked_made[index] if index in unchecked else 0) + sized_earlier[index]
        for index in {*unchecked, *sized_earlier}
    }
    only_sized = sum(by_index.values())
    if not only_sized:
        return "sizes and in-flight hashes checked"
    where = ", ".join(
        str(p.destination) for p in report.plans if by_index.get(p.index)
    )  # shown as s3:// URLs
    earlier = sum(sized_earlier.values())
    # Of the earlier run's copies, what their ledger entries record (or cannot tell); the
    # service's fault where this run's probe found it (its warning), whoever's copies.
    services = {
        w.destination_index
        for w in report.warnings
        if w.code == PreflightCode.S3_CHECKSUMS_UNCHECKED and w.destination_index is not None
    }
    why = []
    if earlier:
        who = "all" if earlier == only_sized else f"{earlier:,} of them"
        why.append(f"{who} by an earlier run, trusted from the ledger")
    if any(by_index.get(index) for index in services):
        why.append("the service does not check the in-flight hashes")
    return (
        f"sizes checked; {plural(only_sized, 'copy', 'copies')} on {where} size-checked "
        f"only ({'; '.join(why)}: use --verify destination or full)"
    )


# A copy's state in words, for the files the manifests leave out (always a good state: only
# those are recorded).
_STATE_WORDS = {
    DestinationStatus.VERIFIED: "verified now",
    DestinationStatus.VERIFIED_EARLIER: "verified earlier",
    DestinationStatus.TRANSFER_CHECKED: "transfer-checked only",
}


def _not_in_manifest_lines(report: OffloadReport) -> list[str]:
    """A line per destination whose manifests leave out some of the card's files copied
    there (a name XML cannot hold, a folder the card's history ignores): each copy is what
    its state says, but no manifest vouches for it, and a check against the manifest calls
    it new or passes over it (:func:`_check_words`)."""
    left = report.not_in_manifest()
    if not left:
        return []
    anchored = report.anchored_only()
    states: dict[int, Counter[str]] = {index: Counter() for index in left}
    prefixes = {index: f"{report.plans[index].root}/" for index in left}
    for file in report.job.files:
        for d in file.destinations:
            paths = left.get(d.destination_index)
            if paths is None:
                continue
            prefix = prefixes[d.destination_index]
            relative = d.final_path[len(prefix) :] if d.final_path.startswith(prefix) else ""
            if relative in paths:
                states[d.destination_index][_STATE_WORDS.get(d.status, d.status.value)] += 1
    lines = []
    for dest in report.job.destinations:
        paths = left.get(dest.index)
        if not paths:
            continue
        names = ", ".join(printable_name(path) for path in list(paths)[:10])
        more = f" and {len(paths) - 10:,} more" if len(paths) > 10 else ""
        reasons = "; ".join(sorted(set(paths.values())))
        counted = ", ".join(f"{n:,} {word}" for word, n in sorted(states[dest.index].items()))
        lines.append(
            f"NOT IN THE MANIFEST on {dest.root}: {plural(len(paths), 'file')} of the card "
            f"copied there ({counted or 'see the report'}) "
            f"{'is' if len(paths) == 1 else 'are'} in no manifest there ({reasons}): "
            f"{names}{more}. {_check_words(paths, anchored.get(dest.index, set()))}"
        )
    return lines


def _check_words(paths: dict[str, str], anchored: set[str]) -> str:
    """What a check of the copy against its manifest does with *paths* (left out of it):
    a name XML cannot hold is found new (exit 21); a file the manifest's ignore list hides
    (in a card folder the card's history ignores) is passed over, never checked; one of
    *anchored* (``OffloadReport.anchored_only``: only an anchored pattern hides its folder)
    is new to ``ascmhl-debug verify`` and passed over by ``offload verify``
    (``ignore.ANCHORED_ONLY_CHECKS``), said in a sentence of its own after the others'."""
    others = [path for path in paths if path not in anchored]
    said = _others_words(others) if others else ""
    count = len(paths) - len(others)
    if not count:
        return said
    from offload.manifest.ignore import ANCHORED_ONLY_CHECKS

    them = ANCHORED_ONLY_CHECKS.format(it="it" if count == 1 else "them")
    if not others:
        return f"Of the checks of the copy against its manifest, {them}."
    which = "The file" if count == 1 else f"The {count:,} files"
    return f"{said} {which} in a folder only an anchored pattern hides: {them}."


def _others_words(paths: Sequence[str]) -> str:
    """:func:`_check_words` of *paths*, none of them in a folder only an anchored pattern
    hides."""
    new = sum(1 for path in paths if not xml_can_hold(path))
    tools = "A check of the copy against its manifest (ascmhl-debug verify, offload verify)"
    # offload verify of a local copy checks a name XML cannot hold against the copy root's
    # ledger instead (``verification.unheld_by_ledger``); of an s3:// copy it calls it new.
    ledger = (
        "ascmhl-debug verify of the copy calls {it} new (exit 21), as offload verify of an "
        "s3:// copy does; offload verify of a local copy checks {it} against its ledger"
    )
    if new == len(paths):
        return ledger.format(it="it" if new == 1 else "them") + "."
    if not new:
        them = "it" if len(paths) == 1 else "them"
        return f"{tools} passes over {them}: its ignore list hides {them}."
    return (
        ledger.format(it="those whose names XML cannot hold")
        + f"; {tools[0].lower()}{tools[1:]} passes over the others: its ignore list hides them."
    )


def _replaced_lines(report: OffloadReport) -> list[str]:
    """The files already on a destination that this run's copies replaced (``--overwrite``:
    the job report's ``existing-replaced`` warnings), a line per destination; then those
    kept beside which card files were copied (``--keep-both``: ``existing-kept-beside``)."""
    return [
        f"{label}: {printable_line(w.message)}"
        for code, label in WARNING_LABELS.items()
        for w in report.warnings
        if w.code == code
    ]


# How every ``copy-no-longer-matches`` warning begins (``existing.found_wrong_warnings``).
_FOUND_DAMAGED = "copy found damaged: "
# How the line of a copy whose read-back failed (``copy-unreadable``) begins.
_UNREAD_LINE = "COPY UNREADABLE (not found damaged): "
# Lines of those named at most, as page 1 of the HTML/PDF (``content._capped_warnings``).
_DAMAGED_SHOWN = 20


def _damaged_lines(report: OffloadReport) -> list[str]:
    """A ``COPY FOUND DAMAGED:`` line per copy of ours this run found wrong (``--reverify``,
    a stricter --verify), saying what became of it: replaced by a new copy (verified now or
    transfer-checked), kept beside one (--keep-both) or NOT replaced, the job report's
    ``copy-no-longer-matches`` warning (a copy whose read-back failed, ``copy-unreadable``:
    a ``COPY UNREADABLE`` line); 20 at most, then a count. Before, only the WARNING
    printed as it was found ("copying it again") and the saved reports said so; the
    summary said nothing of it, an "ok" row beside it."""
    unreadable = PreflightCode.COPY_UNREADABLE.value
    codes = (PreflightCode.COPY_NO_LONGER_MATCHES.value, unreadable)
    found = [w for w in report.warnings if w.code in codes]
    # A copy whose read-back failed (EACCES: an intact copy) is named unreadable, never
    # damaged: told by its warning's code.
    lines = [_damaged_line(w.code == unreadable, w.message) for w in found[:_DAMAGED_SHOWN]]
    if len(found) > _DAMAGED_SHOWN:
        more = len(found) - _DAMAGED_SHOWN
        lines.append(
            f"… and {plural(more, 'more copy', 'more copies')} found damaged or unreadable: "
            "every one is in the JSON report."
        )
    return lines


def _damaged_line(unreadable: bool, message: str) -> str:
    """One ``_damaged_lines`` line of a warning's *message*: a copy whose read-back failed
    (*unreadable*: the ``copy-unreadable`` code, EACCES) ``COPY
    UNREADABLE (not found damaged)``; one whose read-back failed with an I/O error (a
    ``copy-no-longer-matches`` warning, ``existing.IO_FOUND``) ``COPY UNREADABLE (an I/O
    error: ...)``, as its live warning and a failed rewrite's words say it (never "found
    damaged" beside "could not be read back"); else ``COPY FOUND DAMAGED``."""
    if unreadable:
        return f"{_UNREAD_LINE}{printable_line(message.removeprefix(UNREAD_FOUND))}"
    if message.startswith(IO_FOUND):
        rest = printable_line(message.removeprefix(IO_FOUND))
        return f"COPY UNREADABLE (an I/O error: the disk may be failing): {rest}"
    return f"COPY FOUND DAMAGED: {printable_line(message.removeprefix(_FOUND_DAMAGED))}"


def _link_lines(report: OffloadReport) -> list[str]:
    """A line per destination that could not hold some of the card's symlinks: the files
    may all be verified, the copy is still not the card's (exit 1)."""
    lines = []
    for dest in report.job.destinations:
        failed = report.failed_links(dest.index)
        if not failed:
            continue
        names = ", ".join(printable_name(link.relative_path) for link in failed[:10])
        more = f" and {len(failed) - 10:,} more" if len(failed) > 10 else ""
        # An error reads "cannot create symlink <target>: <why>"; the target ends with the
        # link's own path.
        reasons = sorted(
            {(link.error or "").partition(f"{link.relative_path}: ")[2] for link in failed} - {""}
        )
        why = f" ({'; '.join(reasons)})" if reasons else ""
        lines.append(
            f"LINKS NOT COPIED to {dest.root}: {plural(len(failed), 'symlink')} of the card "
            f"could not be made there{why}: {names}{more}."
        )
    return lines


def _cached_line(cached: Counter[CacheBypass]) -> str:
    """The copies verified now whose read-back went through a cache (``cache_bypass``
    ``server`` or ``none``): matched, but what they rest on is not the disk."""
    parts = []
    if cached[CacheBypass.SERVER]:
        parts.append(
            f"{cached[CacheBypass.SERVER]} from a network share's server, which may answer from "
            "its cache (a client cannot read the server's disk)"
        )
    if cached[CacheBypass.NONE]:
        parts.append(f"{cached[CacheBypass.NONE]} through {PAGE_CACHE}")
    total = sum(cached.values())
    return (
        f"READ THROUGH A CACHE: {plural(total, 'copy', 'copies')} verified now "
        f"{'was' if total == 1 else 'were'} read back through a cache, not from the media: "
        + "; ".join(parts)
        + ". They matched what the cache returned; the card release does not count them."
    )


# Why the destination's ledger did not vouch for an adopted copy (OffloadReport's
# adopted_entries; "" : no entry for its path), in words.
_UNVOUCHED = {
    "": "without a record in the destination's ledger (copied by another tool, by a run "
    "stopped before it recorded {them}, or the ledger not read: --no-resume)",
    "other": "where the destination's ledger records another file (its size or date is not "
    "the card file's: another card offloaded into this copy root, or the card's file changed)",
    "rounded": "where the destination's ledger records the card file's size and its date as "
    "exFAT, FAT, NTFS or a share rounds it (probably an older version's cascade, which dated "
    "it as its fast copy there, or another card of the same name)",
    "zone": "where the destination's ledger records the card file's size and its date off by "
    "a time zone's offset (the same card read under another time zone)",
    "digests": "recorded in the destination's ledger without every digest this run asks for",
    "unlike": "recorded in the destination's ledger, but no longer as recorded there",
    "clone": "recorded in the destination's ledger, but not the file an earlier run verified "
    "there (a copy of that file, made with its name, size and date?)",
    "touched": "recorded in the destination's ledger, but written or changed since an earlier "
    "run verified {them} there (another change time, the name, size and date kept)",
    "card": "recorded in the destination's ledger from another card (its copy is not "
    "trusted for this one)",
    "content": "where the destination's ledger records another file of the same name, size and "
    "date (its first or last 64 KiB differ from the card file's: another card, or the card "
    "shot again)",
    "revoked": "whose record in the destination's ledger was revoked (found wrong or not "
    "finished by an earlier run)",
    "damaged": "whose record in the destination's ledger is damaged (its state unreadable: "
    "it vouches for nothing)",
}


def _adopted_line(report: OffloadReport, adopted: int) -> str:
    """The copies adopted (already there, read back, equal to the source), by what the
    destination's ledger said of each: nothing (no record), or an entry that did not vouch
    for it (another file's, ...): never "without a record" for a path the ledger records."""
    kinds = Counter(
        report.adopted_entries.get((f.relative_path, d.destination_index), "")
        for f in report.job.files
        for d in f.destinations
        if d.status is DestinationStatus.VERIFIED and d.action is CopyAction.ADOPTED
    )
    done = "read back, found equal to the source and adopted."
    if len(kinds) == 1:
        (kind,) = kinds
        them = "it" if adopted == 1 else "them"
        return f"{_copies_were(adopted)} already there {_UNVOUCHED[kind].format(them=them)}: {done}"
    parts = "; ".join(
        f"{count:,} {_UNVOUCHED[kind].format(them='it' if count == 1 else 'them')}"
        for kind, count in sorted(kinds.items())
    )
    return f"{_copies_were(adopted)} already there ({parts}): {done}"


def _no_bytes_written(job: JobReport, reread: int = 0) -> str:
    """What became of every copy of a run that wrote no byte of a finished copy and failed
    or cancelled some: "no copy completed" only when none did, else how each completed one
    was proven (read back now: adopted or re-checked; verified or transfer-checked by an
    earlier run, *reread* of those read again by a cascade (``cascade_words.earlier_how``);
    made with no byte to write: an empty file, an upload resumed whole) and how many failed or were
    cancelled. Never "nothing written": a copy that failed may have written bytes before
    its partial was removed."""
    made = read_back = earlier = transfer_earlier = failed = cancelled = 0
    for file in job.files:
        for d in file.destinations:
            if d.status is DestinationStatus.VERIFIED_EARLIER:
                earlier += 1
            elif d.status is DestinationStatus.FAILED:
                failed += 1
            elif d.status is DestinationStatus.CANCELLED:
                cancelled += 1
            elif d.action is CopyAction.TRUSTED:
                transfer_earlier += 1
            elif d.action in WRITTEN_ACTIONS:
                made += 1
            else:  # adopted, re-checked: a copy already there, read back in this run
                read_back += 1
    parts = [
        f"{plural(made, 'new copy', 'new copies')} with no byte to write (empty, or resumed whole)"
        if made
        else "",
        f"{plural(read_back, 'copy', 'copies')} already there verified now (read back)"
        if read_back
        else "",
        f"{earlier:,} verified earlier ({earlier_how(earlier, reread)})" if earlier else "",
        f"{transfer_earlier:,} transfer-checked earlier (never read back)"
        if transfer_earlier
        else "",
    ]
    if not any(parts):
        return "no copy completed"
    parts += [
        f"{plural(failed, 'copy', 'copies')} failed" if failed else "",
        f"{plural(cancelled, 'copy', 'copies')} cancelled" if cancelled else "",
    ]
    done = ", ".join(part for part in parts if part)
    return done if made else f"no new copy completed: {done}"


def _rechecked_lines(report: OffloadReport) -> list[str]:
    """A line for the copies an earlier run recorded that this run read back and found
    equal (``action`` rechecked), a line for each proof that run recorded
    (``OffloadReport.rechecked_from``): "read back again" only of copies an earlier run
    had read back; one it only transfer-checked is read back now for the first time (all
    were "read back again now", a ``--verify transfer`` run's copies too)."""
    earlier: Counter[str] = Counter()
    for file in report.job.files:
        for d in file.destinations:
            if d.status is DestinationStatus.VERIFIED and d.action is CopyAction.RECHECKED:
                mode = report.rechecked_from.get((file.relative_path, d.destination_index), "")
                earlier["transfer" if mode == "transfer" else "read" if mode else ""] += 1
    lines = []
    if earlier["transfer"]:
        lines.append(
            f"{_copies_were(earlier['transfer'])} transfer-checked only by an earlier run "
            "(never read back then): read back now for the first time and matched."
        )
    if earlier["read"]:
        lines.append(
            f"{_copies_were(earlier['read'])} verified by an earlier run (read back then): "
            "read back again now and matched."
        )
    if earlier[""]:
        lines.append(
            f"{_copies_were(earlier[''])} recorded by an earlier run: read back now and matched."
        )
    return lines


def _copies_were(count: int) -> str:
    """The subject of a line about copies: "1 copy was", "3 copies were"."""
    return f"{plural(count, 'copy', 'copies')} {'was' if count == 1 else 'were'}"


def _all_files(total: int, size_bytes: int) -> str:
    """The subject of a verdict about every file: "All 3 files (…) are", "The 1 file (…) is"."""
    size = filesize.decimal(size_bytes)
    return f"The 1 file ({size}) is" if total == 1 else f"All {total:,} files ({size}) are"


def _cascade_line(report: OffloadReport) -> str:
    slow = ", ".join(
        report.job.destinations[i].root for i in report.cascade if i < len(report.job.destinations)
    )
    cascaded = set(report.cascade)
    # Copies the cascade wrote (from a fast copy); none: "fed" would claim what did not happen.
    fed = any(
        d.destination_index in cascaded
        and d.action in WRITTEN_ACTIONS
        and d.status in (DestinationStatus.VERIFIED, DestinationStatus.TRANSFER_CHECKED)
        for f in report.job.files
        for d in f.destinations
    )
    # The copies failed on a slow destination, and of them those already there refused (not
    # written by this run: ``CascadeFacts.slow_refused``).
    slow_failed = refused = 0
    for f in report.job.files:
        for d in f.destinations:
            if d.status is DestinationStatus.FAILED and d.destination_index in cascaded:
                slow_failed += 1
                refused += d.action not in WRITTEN_ACTIONS
    fast_failed = any(
        d.destination_index not in cascaded and d.status is DestinationStatus.FAILED
        for f in report.job.files
        for d in f.destinations
    )
    # The copies failed on a fast destination (``cascade_words``): their reasons, and
    # their refusals' kinds.
    fast_failed_copies = [
        (f.relative_path, d)
        for f in report.job.files
        for d in f.destinations
        if d.destination_index not in cascaded and d.status is DestinationStatus.FAILED
    ]
    # Why the cascade failed each (``FastCopyFailure``), what its remedy is told by.
    fast_kinds = [d.fast_failure for _, d in fast_failed_copies]
    fast_refused_files, fast_other_card, fast_earlier, fast_plain = fast_refused(
        (relative, d.refusal) for relative, d in fast_failed_copies
    )
    ended = report.card_pass_ended_at
    names = [d.root for d in report.job.destinations]
    # The other fast copies holding files an earlier run verified, after a release on the
    # ones the cascade read (``cascade_words``).
    not_reread = [
        d.index
        for d in report.job.destinations
        if report.fast_copies_reread
        and d.files_verified_earlier
        and d.index not in cascaded
        and d.index not in report.fast_copies_reread
    ]
    return cascade_sentence(
        CascadeFacts(
            slow=slow,
            slow_count=len(report.cascade),
            pass_ended_at=None if ended is None else local_time(ended),
            released=report.card_released_at is not None,
            card_pass_failed=report.card_pass_failed,
            cancelled=report.job.cancelled,
            fed=fed,
            slow_failed=bool(slow_failed),
            slow_refused=refused,
            slow_refused_only=refused == slow_failed,
            fast_failed=fast_failed,
            fast_unreachable=fast_unreachable(fast_kinds),
            fast_rerun=fast_rerun(fast_kinds),
            fast_refused=fast_refused_files,
            fast_other_card=fast_other_card,
            fast_earlier=fast_earlier,
            fast_plain=fast_plain,
            never_in_run=never_in_run(d.refusal for f in report.job.files for d in f.destinations),
            unproven=report.cascade_unproven,
            card_pass_held=held_elsewhere(
                (
                    (
                        f.source_error,
                        (
                            str(d.status)
                            for d in f.destinations
                            if d.destination_index not in cascaded
                        ),
                    )
                    for f in report.job.files
                ),
                len(report.job.destinations) - len(cascaded),
            )
            if report.card_pass_failed
            else 0,
            after_reread=report.card_released_after_reread,
            released_at=None
            if report.card_released_at is None
            else local_time(report.card_released_at),
            reread=", ".join(names[i] for i in report.fast_copies_reread),
            not_reread=", ".join(names[i] for i in not_reread),
            on_card_disk=", ".join(names[i] for i in report.fast_on_card_disk),
            on_card_count=len(report.fast_on_card_disk),
            only_on_card_disk=bool(report.fast_on_card_disk) and report.card_kept_by_its_disk,
            unrecorded=", ".join(names[i] for i in report.fast_unrecorded),
            card_disk_unknown=report.card_disk_unknown,
            bucket=any(
                is_s3_destination(p.destination) for p in report.plans if p.index not in cascaded
            ),
            source_is_copy=report.source_is_copy,
        )
    )


def _earlier_detail(results: list[DestinationFileResult]) -> str:
    dates = sorted(r.verified_at for r in results if r.verified_at)
    modes = sorted({r.verified_mode or "unknown" for r in results})
    when = ""
    if dates:
        first, last = (local_time(t) for t in (dates[0], dates[-1]))
        verb = "checked" if all(r.verified_mode == "transfer" for r in results) else "verified"
        when = f"{verb} {first}" if first == last else f"{verb} {first} to {last}"
    how = ", ".join(f"{m} verification" if m != "transfer" else "transfer check" for m in modes)
    return f"{when} by {how}" if when else f"by {how}"


def _unfinished_words(report: OffloadReport) -> str:
    """The destinations a stop after every copy's outcome left unfinished, as the CANCELLED
    line names them, with their steps and what to do: "each destination" where that is all
    of them, else each by name (the others were finished: a cascade's fast ones at the
    card's release). Every destination not lost and not in ``report.finished``, whatever its
    result: one with a failed copy (``failed``) was not finished either, the stop returning
    before every destination's steps; ``card.unfinished_destinations`` (those whose result
    the stop made ``cancelled``, for their notes) would leave it out and word it finished."""
    unfinished = [
        summary
        for summary in report.job.destinations
        if summary.index not in report.finished and not summary.lost
    ]
    steps = "empty folders, links, folder times and manifests"
    if not unfinished or len(unfinished) == len(report.job.destinations):
        return f"each destination (its {steps}); run the same command again to finish them"
    names = [printable_name(d.root) for d in unfinished]
    if len(names) == 1:
        return f"{names[0]} (its {steps}); run the same command again to finish it"
    return (
        f"{', '.join(names[:-1])} and {names[-1]} (their {steps}); run the same command again "
        "to finish them"
    )
