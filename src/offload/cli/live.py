"""The live terminal view of an offload (rich), redrawn ~10 times a second from a snapshot."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

from rich import filesize
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from offload.destinations.s3unreachable import waiting_words
from offload.engine.cancel import CancelToken
from offload.errors import printable_line, printable_name
from offload.events import DestinationUnfinished
from offload.progress import DestinationProgress, ProgressModel, ProgressSnapshot
from offload.report.words import (
    TRANSFER_CHECKED,
    TRANSFER_CHECKED_STYLE,
    VERIFIED_EARLIER,
    VERIFIED_EARLIER_STYLE,
    plural,
    proven_words,
)


def human_rate(rate: float) -> str:
    return f"{rate / 1e6:,.1f} MB/s"


def human_eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return (
        f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        if hours
        else f"{rest // 60:02d}:{rest % 60:02d}"
    )


def _tail(path: str, width: int) -> str:
    """The end of *path* in at most *width* cells: the card's folder and file names are what
    tell destinations apart, not the mount point's start."""
    return path if len(path) <= width else "…" + path[-(width - 1) :]


class _Frame:
    """One frame of the live view, laid out for the width the console offers (the overall
    bar and a line per destination; the current file only where there is room)."""

    def __init__(
        self,
        snap: ProgressSnapshot,
        *,
        cancelled: bool,
        planned: tuple[int, int] = (0, 0),
        signal: str = "Ctrl-C",
        refused: tuple[tuple[str, bool], ...] = (),
        written: bool = False,
        quiet_s: float = 0.0,
        stopping: bool = False,
        waiting: Waiting | None = None,
    ) -> None:
        self.snap = snap
        self.quiet_s = quiet_s
        self.waiting = waiting
        self.stopping = stopping
        self.signal = signal
        self.refused = refused
        self.written = written
        # A cancel asked for once every copy had its outcome (``snap.finishing``, or a moment
        # before it: ``snap.copies_over``, the last job ended uncancelled) cancels nothing:
        # the run goes on to its manifests and reports, and the frame says so.
        self.interrupted = cancelled
        self.cancelled = cancelled and not snap.finishing and not snap.copies_over
        self.planned = planned

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        snap = self.snap
        width = options.max_width
        source_rate = snap.rate_bytes_s * (
            snap.total_bytes / snap.work_total if snap.work_total else 0
        )
        # The bar and its percentage are the work done (progress.py: a finished job ends at
        # 100 %, failures included); whether it went well is said in words beside it.
        failed = _failures(snap) if snap.finished and not self.cancelled else ""
        head = Table.grid(padding=(0, 1), expand=False)
        head.add_row(
            ProgressBar(
                total=max(snap.work_total, 1),
                completed=snap.work_done,
                width=max(10, width - 8),
                finished_style="bold red" if failed else "bar.finished",
            ),
            # Failures: not "100.0%" beside the full bar, which read as all done and well
            # (the bar's red alone says nothing on a terminal without colours, or to a
            # reader who does not know it).
            Text("FAILED", style="bold red")
            if failed
            else Text(f"{snap.percent:5.1f}%"),  # rounded down: 100.0 only when all is done
        )
        yield head
        status = "CANCELLING" if self.cancelled and not snap.finished else ""
        status = "CANCELLED" if self.cancelled and snap.finished else status
        status = f"FINISHED WITH FAILURES: {failed}" if failed else status
        files, total_bytes = snap.total_files, snap.total_bytes
        byte_words = True
        if not files and not total_bytes and not snap.finished:
            files, total_bytes = self.planned  # before the job's own plan: the command's
            # The card's bytes it copies; none: no byte words until the plan is known (it may
            # read copies back, or nothing at all: "0 bytes of N read" promised bytes never read).
            byte_words = bool(total_bytes)
        rate = (
            ""
            if self.quiet_s >= QUIET_SAID_S and not self.cancelled
            else _rate_words(snap, source_rate, cancelled=self.cancelled)
        )
        byte_text = _bytes_words(snap, total_bytes) if byte_words else ""
        # Spared where the line would wrap (a 60-column terminal put the ETA on a line of its
        # own), in turn: the rate, what was read back (the rows say it a destination), then
        # the card's bytes read (the bar's percentage says how far); the files and the ETA
        # stay.
        spare = [rate, *byte_text.split(" · ")]
        yield Text(
            _fitted(
                [
                    part
                    for part in (
                        status,
                        _finishing_words(
                            snap.finishing or ("manifests" if snap.copies_over else ""),
                            interrupted=self.signal if self.interrupted else "",
                            written=self.written,
                            stopping=self.stopping,
                        ),
                        f"{snap.files_finished}/{files} files",
                        *byte_text.split(" · "),
                        _verified_earlier_words(snap),
                        *(
                            (_quiet_words(self.quiet_s, self.waiting, snap),)
                            if self.quiet_s >= QUIET_SAID_S and not self.cancelled
                            else (
                                rate,
                                # While the manifests and reports are written the ETA (00:00:
                                # every lane is done) says nothing; the words before say what
                                # is going on. Nor while a cancel is carried out, or once it
                                # is: nothing is left to copy, so no end to estimate (it said
                                # "CANCELLING · ... · ETA --:--", an ETA not known yet).
                                "" if snap.finishing or self.cancelled else _eta_words(snap),
                            )
                        ),
                    )
                    if part
                ],
                width,
                spare=[part for part in spare if part],
            ),
            overflow="fold",
        )
        for dest in snap.destinations:  # a bucket answering nothing (``s3unreachable``)
            if dest.not_answering_since is not None and dest.lost is None:
                yield Text(
                    waiting_words(printable_name(dest.path), dest.not_answering_since),
                    style="yellow",
                    overflow="fold",
                )
        for message, fails_run in self.refused:  # the reports not written, each whole
            yield Text(
                f"REPORT NOT WRITTEN: {printable_line(message)}",
                style="bold red" if fails_run else "yellow",
                overflow="fold",
            )
        wide = width >= 120
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        # Each row's state first: its column is as wide as its longest word, never cut
        # ("verified, partly earlier" was "verified, partly earl…" at 60 columns), and the
        # destination's room is what the others leave.
        states = []
        for dest in snap.destinations:
            # The model's phase ("done": its part ended; "cancelled"); the word says what
            # became of its copies (``_state``). Done, but filled up by the rewrite of
            # copies found wrong: "full", its failed count beside it (the copies verified
            # there stand: not lost).
            full = dest.full is not None and dest.phase == "done"
            states.append((full, _state(dest, full=full)))
        # state: "transfer-checked" at least; the bytes columns' 10 each where shown.
        longest = max([0, *(cell_len(state.plain) for _, state in states)])
        state_width = max(16, longest)
        # Below 60 columns the bytes written and read back are left out (the status line
        # above counts the card's bytes): seven columns in 40 were each cut to two or three
        # letters, "destinati…  st…  writ…  read …  d…  fa…". A longer state leaves them
        # out that much sooner (its copies are done by then).
        narrow = width < NARROW_COLUMNS + state_width - 16
        columns = ["#", "destination", "state", "written", "read back", "done", "failed"]
        if narrow:
            columns = ["#", "destination", "state", "done", "failed"]
        if wide:
            columns.append("current file")
        fixed = 2 + state_width + (0 if narrow else 20) + 6 + 6 + 2 * len(columns)
        room = max(12, (width - fixed) // (2 if wide else 1))
        for column in columns:
            table.add_column(
                column,
                no_wrap=True,
                overflow="ellipsis",
                # Whole from 60 columns on; below, every column is cut as it must.
                min_width=longest if column == "state" and width >= NARROW_COLUMNS else None,
            )
        for dest, (full, state) in zip(snap.destinations, states, strict=True):
            phase = dest.phase
            row: list[str | Text] = [
                str(dest.index + 1),
                # Text, not markup: a folder named "[day1]" or "RAID[/]" is a name, not a
                # style (rich dropped the first and raised on the second).
                Text(_tail(printable_name(dest.path), room)),
                state,
                filesize.decimal(dest.bytes_written),
                # The copies already there it read back before the jobs, and the jobs' own.
                filesize.decimal(dest.bytes_verified + dest.bytes_checked),
                str(dest.files_done),
                str(dest.files_failed),
            ]
            if narrow:
                del row[3:5]
            if wide:
                # A name or a reason in one cell: every control character escaped.
                why = dest.lost or (dest.full if full else None) or _unfinished_words(dest)
                # A destination done (or not started) has no current file: the model keeps
                # the last one a phase was announced for.
                current = "" if phase in ("done", "waiting") else dest.current_file
                # A reason is words (its names shown already); a file is a name (``\\`` doubled).
                shown = printable_line(why) if why else printable_name(current)
                row.append(Text(_tail(shown, room)))
            table.add_row(*row)
        yield table


def _state(dest: DestinationProgress, *, full: bool) -> Text:
    """The state word of *dest*'s row, in its colour: a phase while a job feeds it; once its
    part has ended, what became of its copies. ``done`` (green) only when every copy there
    with an outcome is good and was read back by this run (verified now); ``verified
    earlier`` (``VERIFIED_EARLIER_STYLE``) when they are all good and read back, some by an
    earlier run only (trusted from the ledger, not re-read now); ``transfer-checked``
    (``TRANSFER_CHECKED_STYLE``) when they are all good but some was only transfer-checked
    (``--verify transfer``, now or by an earlier run: never read back); ``failed`` when
    every one failed, ``partly failed`` when some are good, in the failure colour, as the
    summary's FAILED (a failure outweighs a cancel: the CANCELLED line says the run was
    cancelled); ``cancelled`` (yellow) when the
    cancel left copies there without an outcome and none failed; ``failed`` too where every
    copy is good but a step that finishes it (its links, folders, manifests, folder times)
    failed, as the summary's FAILED."""
    if dest.lost:
        return Text("LOST", style="bold red")
    if full:
        return Text("full", style="bold red")
    ended = dest.phase in ("done", "cancelled")
    if ended and dest.files_failed:
        return Text("partly failed" if dest.files_done else "failed", style="bold red")
    if ended and dest.unfinished:  # its copies good, a step of its finish failed
        return Text("failed", style="bold red")
    if dest.phase == "done" and dest.files_transfer_checked:
        # Copied, its in-flight hash and size checked, never read back from the drive:
        # neither the green of a copy read back nor the colour of a problem.
        return Text(TRANSFER_CHECKED, style=TRANSFER_CHECKED_STYLE)
    if dest.phase == "done" and dest.files_verified_earlier:
        # Read back, but by an earlier run: trusted from the ledger, not proven again now;
        # "verified, partly earlier" where this run read some back (``proven_words``).
        now = dest.files_done - dest.files_failed - dest.files_verified_earlier
        return Text(proven_words(now), style=VERIFIED_EARLIER_STYLE)
    style = "green" if dest.phase == "done" else "yellow" if ended else "cyan"
    return Text(dest.phase, style=style)


def _bytes_words(snap: ProgressSnapshot, total_bytes: int) -> str:
    """The bytes read: while the copies already there are read back (``--reverify``), those
    read of all to read (the copies, and the card where it is read to compare: said so);
    once the offload's jobs run, the card's bytes read of what they read, and what the check
    read back beside them, the copies' (the rows' sum) apart from the card's ("52.0 MB read
    back" stood beside a row's 26.0 MB: it counted the card's re-read too), only that when
    nothing is left to copy (never "0 bytes of 0 bytes"). Nothing to read at all (a resume
    whose every copy an earlier run proved): that, and why, as far as known."""
    if snap.checking:
        card = f" (the copies, and {_source(snap)} to compare)" if snap.card_bytes_checked else ""
        done, total = filesize.decimal(snap.work_done), filesize.decimal(snap.work_total)
        return f"{done} of {total} read back{card}"
    if not total_bytes and not snap.bytes_read_back and not snap.source_bytes_read:
        return "nothing to read" + _earlier_words(snap)
    read = f"{filesize.decimal(snap.source_bytes_read)} of {filesize.decimal(total_bytes)} read"
    if not snap.bytes_read_back:
        return read
    copies = snap.bytes_read_back - snap.card_bytes_checked
    back = f"{filesize.decimal(copies)} read back"
    if snap.card_bytes_checked:
        back += f" · {filesize.decimal(snap.card_bytes_checked)} of {_source(snap)} re-read"
    return f"{back} · {read}" if total_bytes else back


def _source(snap: ProgressSnapshot) -> str:
    """The source as the view names it: "the card", or "the source" where it is a copy root
    of ours, no card (``ProgressSnapshot.source_is_copy``)."""
    return "the source" if snap.source_is_copy else "the card"


def _verified_earlier_words(snap: ProgressSnapshot) -> str:
    """The copies trusted from the ledgers as an earlier run's read-back, not re-read now
    ("2 copies verified earlier (not re-read)", the summary's column): never counted among
    those verified now. "" when none, or when every copy is (``_earlier_words`` says so)."""
    earlier = sum(dest.files_verified_earlier for dest in snap.destinations)
    if not earlier or _earlier_words(snap):
        return ""
    return f"{plural(earlier, 'copy', 'copies')} {VERIFIED_EARLIER} (not re-read)"


def _earlier_words(snap: ProgressSnapshot) -> str:
    """Why there is nothing to read, once every copy's outcome is known to be an earlier
    run's proof (``FileVerifiedEarlier``): read back then, or transfer-checked only (never
    read back: not called verified); "" otherwise (empty files, or not known yet)."""
    copies = snap.total_files * len(snap.destinations)
    earlier, transfer = snap.copies_verified_earlier, snap.copies_transfer_checked_earlier
    if not copies or earlier + transfer != copies:
        return ""
    if not transfer:
        return ": every copy verified earlier"
    if not earlier:
        return ": every copy transfer-checked earlier (never read back)"
    return (
        f": every copy proven earlier ({earlier:,} verified, {transfer:,} transfer-checked only, "
        "never read back)"
    )


def _eta_words(snap: ProgressSnapshot) -> str:
    """The ETA; during a cascade's card pass, the card's release's (the offload's end
    depends on the cascaded destinations' speed, known only once they are fed). Never
    once a cancel was asked for (the frame leaves it out): nothing is left to finish.
    "--:--" while the work stands still (``snap.still_s``): an end counted down at the pace
    of before says "00:01" for as long as nothing moves."""
    if snap.still_s:
        return f"ETA {human_eta(None)}"
    if snap.card_eta_s is not None:
        card = "source" if snap.source_is_copy else "card"
        if snap.card_kept:  # its fast copies on its own disk: no release
            return (
                f"{card}'s pass done in {human_eta(snap.card_eta_s)} (not released: its fast "
                "copies are on its own disk), then the cascade (its ETA once it starts)"
            )
        return (
            f"{card} released in {human_eta(snap.card_eta_s)}, then the cascade (its ETA once "
            "it starts)"
        )
    return f"ETA {human_eta(snap.eta_s)}"


#: The terminal width below which the destinations' rows leave out their bytes columns.
NARROW_COLUMNS = 60


#: The ETA of a status line that has none to give: its words say why (a quiet card...).
_NO_ETA = " · ETA --:--"


def _fitted(parts: list[str], width: int, spare: Sequence[str] = ()) -> str:
    """The status line of *parts* (joined by " · "), fitted to *width* where it can be
    without losing a fact: an ETA not known (``--:--``) says nothing the words before it do
    not, so it is left out of a line it would wrap (at 80 columns, "... · no data from the
    card for 25 s · ETA --:--" wrapped by two characters); then the parts of *spare*, in
    turn, each left out while the line would still wrap (the rate, the bytes read back:
    at 60 columns "... · 85.3 MB/s · ETA 00:42" put the ETA on a line of its own). A line
    that still does not fit wraps whole (nothing of the status is cut)."""
    line = " · ".join(parts)
    if cell_len(line) > width and line.endswith(_NO_ETA):
        line = line[: -len(_NO_ETA)]
        parts = line.split(" · ")
    kept = list(parts)
    for part in spare:
        if cell_len(line) <= width:
            break
        if part in kept:
            kept.remove(part)
            line = " · ".join(kept)
    return line


def _finishing_words(
    step: str, *, interrupted: str, written: bool = False, stopping: bool = False
) -> str:
    """What the run does once every copy has its outcome (``ProgressSnapshot.finishing``),
    and, after a signal then (*interrupted*: its words, "Ctrl-C", "SIGTERM"; "" none), that
    it cancelled nothing. *written*: the JSON and CSV reports are written (the view's last
    frame, ``LiveView.reports_written``): nothing is said to be going on any more.
    *stopping*: a further signal stopped the run (``SignalsAfterCopy.stopped_by``): it
    waits for the step under way to end (a hung call), then restates its reports."""
    if not step:
        return ""
    if stopping:
        return "STOPPING: waiting for the step under way to end"
    after = f"{interrupted} after every copy finished: nothing cancelled" if interrupted else ""
    if written:
        return after
    doing = "writing the reports" if step == "reports" else "writing the manifests and reports"
    if step == "checks":  # a cascade's check of its fast copies, then its manifests
        doing = f"checking the fast copies, then {doing}"
    if interrupted:
        return f"{after}; {doing}"
    if step == "checks":
        return "checking the fast copies…"
    return "writing the reports…" if step == "reports" else "writing the manifests…"


#: Seconds without a byte from the card, mid-copy, before the view says so instead of its
#: rate and ETA (a stalled card showed "0.0 MB/s" and an ETA of 00:01, then 00:11). Not 3 s:
#: the card gives bytes a chunk (8 MiB) at a time, so a healthy run whose slowest destination
#: writes ~2 MB/s, which the reader waits on, goes ~4 s between two (the review of the merge);
#: 10 s is a chunk slower than 0.8 MB/s.
QUIET_SAID_S = 10.0

#: How far back a destination's pace is measured (``CardQuiet.waiting``): a few of its
#: chunks at the paces that make the card quiet (8 MiB lands every 10 to 30 s).
PACE_WINDOW_S = 60.0


def _rate_words(snap: ProgressSnapshot, rate: float, *, cancelled: bool) -> str:
    """The card's rate (*rate*, bytes a second), said only while the copy reads it: none
    once a cancel was asked for, nor once every copy has its outcome (the manifests, the
    reports, the last frame): nothing is read then, and the rate of the last seconds only
    fell ("CANCELLED · 16.4 MB/s", then 10.9); none mid-copy where it is 0.0 MB/s (a pause
    of the card or a wait on a destination, not a speed: from ``QUIET_SAID_S`` on the
    quiet words say it); none while the work stands still (``snap.still_s``): the rate of
    the last seconds only falls ("29.0 MB/s" for seconds with nothing moving)."""
    if cancelled or snap.finished or snap.finishing or snap.copies_over or snap.still_s:
        return ""
    words = human_rate(rate)
    return "" if words == human_rate(0.0) else words


#: How lately a destination's bytes must have landed, with no write in flight there, to be
#: one the quiet card's copy waits on (small files' writes say nothing before their bytes):
#: a writer that finished the card's last chunk a moment after it stalled is not waited on
#: for long (it was, a few seconds; a card of small files to a 0.3 MB/s drive lands a file
#: of 1 MiB every ~3 s).
LANDED_LATELY_S = 5.0


@dataclass(frozen=True)
class Waiting:
    """The destination a quiet card's copy waits on (``CardQuiet.waiting``): its path (an
    S3 destination's URL: no secret is in it), its pace while its bytes land (bytes a
    second; None while not measured, or once it has written nothing for longer than its
    pace explains), and the seconds since its last write done (None: none seen yet)."""

    path: str
    rate: float | None
    since_s: float | None
    # No destination writes while the reader waits for a free buffer: they flush, or read
    # their copies back (*path*: the one in that phase, "" when none is known).
    flushing: bool = False


def _quiet_words(quiet_s: float, waiting: Waiting | None, snap: ProgressSnapshot) -> str:
    """What the view says of a copy that has read nothing from the card for *quiet_s*
    seconds. A destination still writing (*waiting*: a write in flight there, or its bytes
    advancing): the copy waits on it, the card is fine; it is named with its pace and the
    ETA, which its lane's pace gives (``offload.eta``); "ETA --:--" while it has no pace.
    Else "no data from the card": true whether the card stopped answering or a
    destination's call hangs without a byte, so it claims neither, and no ETA."""
    if waiting is None:
        return f"no data from {_source(snap)} for {int(quiet_s)} s · ETA --:--"
    if waiting.flushing:
        who = printable_name(waiting.path) if waiting.path else "the destinations"
        return f"waiting on {who} (flushing or reading back) · ETA --:--"
    name = printable_name(waiting.path)
    pace = (
        f": {human_rate(waiting.rate)}"
        if waiting.rate is not None
        else " (pace not known yet)"
        if waiting.since_s is None
        else f" (no write done for {int(waiting.since_s)} s)"
    )
    # No pace (none measured yet, or nothing lands): no ETA either; the lane's pace would
    # only stretch it ("no write done for 383 s · ETA 4:25:28").
    eta = _eta_words(snap) if waiting.rate is not None else "ETA --:--"
    return f"waiting on {name}{pace} · {eta}"


class CardQuiet:
    """How long the card has given the copy no byte (``ProgressSnapshot.source_bytes_read``
    unchanged) while it is mid-copy: 0 otherwise (before the first byte, while copies
    already there are read back, once every copy has its outcome); and, while it is quiet,
    the destination the copy waits on (``waiting``). *clock*: for tests. Called at the
    view's pace (10 a second), never per event: a few comparisons a destination a frame."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._read = -1
        self._since = clock()
        # Since when the reader is in a card read as the frames saw it (the last frame where
        # it waited for a buffer, or took the card's bytes).
        self._read_from = self._since
        # Per destination index: its bytes written as seen at the frames where they changed
        # (time, bytes), the last PACE_WINDOW_S and the one before.
        self._landed: dict[int, deque[tuple[float, int]]] = {}

    def seconds(self, snap: ProgressSnapshot) -> float:
        now = self._clock()
        if snap.source_bytes_read != self._read:
            self._read, self._since = snap.source_bytes_read, now
        # Waiting for a buffer (or not said): no card read in flight yet.
        waits = snap.source_waiting is not False
        self._read_from = now if waits else max(self._read_from, self._since)
        self._follow(snap, now)
        copying = (
            snap.files_started > 0  # a read under way (its bytes counted once it returns)
            and snap.source_bytes_read < snap.total_bytes
            and not (snap.finished or snap.finishing or snap.copies_over or snap.checking)
        )
        return now - self._since if copying else 0.0

    def _follow(self, snap: ProgressSnapshot, now: float) -> None:
        for dest in snap.destinations:
            landed = self._landed.get(dest.index)
            if landed is None:
                self._landed[dest.index] = deque([(now, dest.bytes_written)])
                continue
            if landed[-1][1] != dest.bytes_written:
                landed.append((now, dest.bytes_written))
                while len(landed) > 2 and landed[1][0] <= now - PACE_WINDOW_S:
                    landed.popleft()

    def waiting(self, snap: ProgressSnapshot) -> Waiting | None:
        """The destination the quiet card's copy waits on: of those with a write in flight
        (``DestinationProgress.writing``) or bytes written since the card went quiet and in
        the last ``LANDED_LATELY_S``, the slowest; None when none is (then the card gives
        nothing: ask it). Its pace is its bytes between the first and the last change seen
        in the window (a slow drive's bytes land a chunk at a time, seconds apart), said
        only while the time since its last byte is within twice its mean time between two,
        or ``QUIET_SAID_S`` (a destination that stopped has no pace). A destination is named
        only while the reader may wait for a buffer (``ProgressSnapshot.source_waiting``):
        once a card read has been in flight ``QUIET_SAID_S``, None (the destinations may
        still write the chunks queued before it: the card is what hangs). The reader waiting
        for a buffer while none writes: the destinations flush or read back (``flushing``),
        the one in that phase named where only one is."""
        now = self._clock()
        if snap.source_waiting is False and now - self._read_from >= QUIET_SAID_S:
            return None  # a card read in flight that long: the card's doing
        found: Waiting | None = None
        for dest in snap.destinations:
            landed = self._landed.get(dest.index)
            if landed is None or dest.lost is not None:
                continue
            last_t, last_b = landed[-1]
            # Busy: a write in flight, or bytes landed since the card went quiet and lately
            # (a small file's write is said by its bytes alone).
            recent = len(landed) > 1 and last_t > max(self._since, now - LANDED_LATELY_S)
            if not (dest.writing or recent):
                continue
            first_t, first_b = landed[0]
            rate = None
            steps = len(landed) - 1
            if steps and last_t > first_t and last_b > first_b:
                gap = (last_t - first_t) / steps
                if now - last_t <= max(2 * gap, QUIET_SAID_S):
                    rate = (last_b - first_b) / (last_t - first_t)
            here = Waiting(dest.path, rate, now - last_t if steps else None)
            if found is None or _slower(here, found):
                found = here
        if found is None and snap.source_waiting:
            # The reader waits for a buffer no writer gives back: a flush or a read-back
            # holds one of them (the writer's batch close, the committer), never the card.
            busy = [d.path for d in snap.destinations if d.phase in ("flush", "verify")]
            return Waiting(busy[0] if len(busy) == 1 else "", None, None, flushing=True)
        return found


def _slower(one: Waiting, other: Waiting) -> bool:
    """Whether *one* holds the copy up more than *other*: no pace (nothing lands) before a
    pace, else the lower pace."""
    if one.rate is None or other.rate is None:
        return one.rate is None and (
            other.rate is not None or (one.since_s or 0.0) > (other.since_s or 0.0)
        )
    return one.rate < other.rate


def _failures(snap: ProgressSnapshot) -> str:
    """What failed, in words ("2 copies failed, 1 destination lost"); empty when nothing
    did. Counted per destination, as the table's "failed" column: a file that failed on
    two destinations is two failed copies."""
    copies = sum(dest.files_failed for dest in snap.destinations)
    lost = sum(1 for dest in snap.destinations if dest.lost)
    unfinished = sum(1 for dest in snap.destinations if dest.unfinished and not dest.lost)
    parts = []
    if copies:
        parts.append(f"{copies:,} {'copy' if copies == 1 else 'copies'} failed")
    if lost:
        parts.append(f"{lost} destination{'' if lost == 1 else 's'} lost")
    if unfinished:
        parts.append(f"{unfinished} destination{'' if unfinished == 1 else 's'} not finished")
    return ", ".join(parts)


def _unfinished_words(dest: DestinationProgress) -> str:
    """The steps of *dest*'s finish that failed ("manifest FAILED"); "" when none did."""
    return f"{', '.join(dest.unfinished)} FAILED" if dest.unfinished else ""


def render(
    snap: ProgressSnapshot,
    *,
    cancelled: bool = False,
    planned: tuple[int, int] = (0, 0),
    signal: str = "Ctrl-C",
    refused: tuple[tuple[str, bool], ...] = (),
    written: bool = False,
    quiet_s: float = 0.0,
    stopping: bool = False,
    waiting: Waiting | None = None,
) -> RenderableType:
    """The live view of *snap*, fitted to the console's width when printed. *cancelled*: a
    cancel was asked for (shown as one only while a copy was left to cancel); *signal*: how
    the signal that asked for it is named (``SignalsAfterCopy.words``); *planned*: the
    card's files and the bytes of it the plan copies, as the command announced them, shown
    until the job's own plan is known (no bytes to copy: no byte words until then);
    *refused*: the reports not written (``LiveView.reports_written``), a line each;
    *written*: the JSON and CSV reports are written (``reports_written`` was called);
    *quiet_s*: seconds the card has given the copy no byte (``CardQuiet``), said from
    ``QUIET_SAID_S`` on in place of the rate and ETA; *waiting*: the destination the copy
    waits on meanwhile (``CardQuiet.waiting``), named then instead of the card; *stopping*:
    a further signal stopped the run once the copy was over (``SignalsAfterCopy.stopped_by``)."""
    return _Frame(
        snap,
        cancelled=cancelled,
        planned=planned,
        signal=signal,
        refused=refused,
        written=written,
        quiet_s=quiet_s,
        stopping=stopping,
        waiting=waiting,
    )


class LiveView:
    """Context manager that shows the model on a terminal while the job runs. *planned*:
    the card's files and the bytes of it the plan copies, as the command announced them (its
    first frames come before the offload's own plan); *signal*: how the signal that set
    *cancel* is named (``SignalsAfterCopy.words``); *stopping*: whether a further signal
    stopped the run (``SignalsAfterCopy.stopped_by``)."""

    def __init__(
        self,
        model: ProgressModel,
        console: Console,
        *,
        cancel: CancelToken | None = None,
        planned: tuple[int, int] = (0, 0),
        signal: Callable[[], str] = lambda: "Ctrl-C",
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self._model = model
        self._cancel = cancel
        self._refused: tuple[tuple[str, bool], ...] = ()
        self._written = False
        self._console = console
        quiet = CardQuiet()

        def frame() -> RenderableType:
            snap = model.snapshot()
            quiet_s = quiet.seconds(snap)
            return render(
                snap,
                cancelled=bool(cancel is not None and cancel.cancelled),
                planned=planned,
                signal=signal(),
                refused=self._refused,
                written=self._written,
                quiet_s=quiet_s,
                stopping=stopping(),
                waiting=quiet.waiting(snap) if quiet_s >= QUIET_SAID_S else None,
            )

        self._live = Live(
            get_renderable=frame,
            console=console,
            refresh_per_second=10,
            transient=False,
        )

    def reports_written(self, refused: list[tuple[str, bool, int | None]]) -> None:
        """The JSON and CSV reports are written but *refused* ones (their message, whether
        the run fails for it, the destination whose folder refused it or None): the next
        frame names each, and a destination that refused its report is ``failed`` there
        (its row's "report FAILED", "N destinations not finished"), as the summary's FAILED.
        Called from the command's thread; the frame is drawn at once."""
        shown = {d.index: d.unfinished for d in self._model.snapshot().destinations}
        for _message, fails_run, index in refused:
            if fails_run and index is not None and "report" not in shown.get(index, ("report",)):
                shown[index] = (*shown[index], "report")
                self._model.emit(DestinationUnfinished(index, shown[index]))
        self._refused = tuple((message, fails_run) for message, fails_run, _ in refused)
        self._written = True
        self._live.refresh()

    def print_above(self, line: str) -> None:
        """Print *line* (text, no markup) above the view, from any thread. Under the lock
        rich's own refresh thread redraws under (``Live._lock``): ``Console.print`` takes
        the place to draw at (the height of the frame last drawn) under it but draws the new
        frame after it, so a redraw in between left the frame it had replaced on the screen
        above the lines (a stale first frame, a bar glued to the table's header: seen under
        load in ``test_a_run_with_a_failed_copy_says_so_beside_its_full_bar``)."""
        with self._live._lock:
            self._console.print(line, markup=False, highlight=False, soft_wrap=True)

    def __enter__(self) -> LiveView:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._live.__exit__(exc_type, exc, tb)
