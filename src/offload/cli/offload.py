"""``offload``: whole cards and folders.

    offload copy SOURCE DEST [DEST ...]   copy with verification (see ``offload copy --help``)
    offload verify PATH                   re-hash a destination against its records
    offload bench                         offload-ai against cp, tee, rsync, ocopy
    offload report JOB.json               HTML and PDF reports from a saved JSON report

Exit codes of ``offload copy`` (``offload verify --help`` lists its own): 0 everything
verified (or already verified); 1 completed, but some destination or file failed; 2 nothing
could be copied; 64 usage error or refused (the preflight, another run's lock), no copy made
(an s3:// preflight's probe objects aside); 130 cancelled
(partials removed; re-run to resume).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import dataclasses
import gc
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offload.card import (
    OffloadOptions,
    OffloadPlan,
    OffloadReport,
    busy_now,
    plan_offload,
    run_offload,
)
from offload.cli.common import (
    BackgroundImports,
    Environment,
    SignalsAfterCopy,
    cancel_on_signals,
    columns_asked,
    default_report_dir,
    engine_arguments,
    hash_algorithms,
    keep_signals_to_exit,
    local_report_dir,
    manifest_options,
    report_folder_device,
    signal_words,
)
from offload.cli.parser import build_parser
from offload.destinations.s3limits import MAX_PART_SIZE, MIN_PART_SIZE
from offload.destinations.s3url import is_s3_root, is_s3_url, parse_s3_url
from offload.engine.cancel import CANCEL_WAITING_S, CancelToken
from offload.errors import UsageError, printable_line, printable_name, shell_word
from offload.events import (
    CancelWaiting,
    CardReleased,
    DestinationNotAnswering,
    Event,
    EventSink,
    FanoutSink,
    JobFinished,
    OffloadFinishing,
    PhaseChanged,
    SerialFanoutSink,
    WarningIssued,
)
from offload.hashing.registry import (
    DEFAULT_ALGORITHM,
)
from offload.lock import CopyRootBusy
from offload.manifest_options import MhlKind
from offload.options import CopyOptions, DeviceConcurrency, ExistingFilePolicy, ProductionInfo
from offload.plan import IgnoreRules, human_bytes
from offload.plan.codes import PreflightCode, PreflightItem
from offload.report.cascade_words import (
    BUCKET_NEVER_STANDS,
    on_card_disk_words,
    refused_words,
    unread_words,
)
from offload.report.source_words import A_COPY, of_the_source
from offload.report.words import ignored_words, nothing_copied_again, plural
from offload.sizes import parse_size

if TYPE_CHECKING:
    from rich.console import Console

    from offload.cli.live import LiveView
    from offload.destinations.s3config import S3Settings
    from offload.existing import ExistingCopy
    from offload.plan_reads import PlanRead, PlanReads
    from offload.progress import ProgressModel
    from offload.progress_trace import ProgressTraceWriter
    from offload.report.events_json import JsonLinesSink
    from offload.report.job_report import ReportsWritten
    from offload.report.worker import DocumentWorker

# A card of more files makes its HTML and PDF reports in the command (_report_worker): the
# worker holds the entries it parses (the keys the documents read: ~1.7 KB a file with the
# drawing, its peak RSS 110-118 MiB at 50,000 files of a synthetic card, beside the
# command's own, which draws them for ~0.6 KB a file: docs/performance.md, "The reports'
# memory ...: twenty-fifth pass"), and at 50,000 files no shorter end was shown for that
# memory ("The reports' end ...: twenty-fourth pass"; again in the thirtieth pass, "The
# end's work off the critical path", where the two processes held 251-257 MB together at
# their peak against the command's 145 MB alone), so the run's memory stays the command's
# there.
MAX_WORKER_FILES = 10_000


def _same_destination(a: str, b: str) -> bool:
    """Whether two destination arguments name one place: ``s3://`` URLs once normalised
    (``s3://b/p/`` and ``s3://b//p`` are ``s3://b/p``; UsageError for a bad one), folders
    by their absolute path."""
    if is_s3_url(a) and is_s3_url(b):
        return parse_s3_url(a) == parse_s3_url(b)
    if is_s3_url(a) or is_s3_url(b):
        return False
    return os.path.abspath(a) == os.path.abspath(b)


def _s3_settings(args: argparse.Namespace) -> S3Settings | None:
    """The S3 options (``--s3-*``) over the standard AWS variables. Raises UsageError.

    None when no destination (``--cascade-to`` ones included) is ``s3://`` and no ``--s3-*``
    option is given: nothing reads the settings then, and their module (a dataclass and
    patterns, ~3 ms of start-up) is not loaded for a local copy. An ``--s3-*`` option is
    checked whatever the destinations (a bad one is refused, exit 64, as before)."""
    given = (
        args.s3_endpoint,
        args.s3_profile,
        args.s3_part_size,
        args.s3_checksum,
        args.s3_no_digest_metadata or None,
    )
    named = [*args.destinations, *args.cascade_to]
    if all(value is None for value in given) and not any(map(is_s3_url, named)):
        return None
    from offload.destinations.s3config import settings_from_env

    upload: dict[str, Any] = {}
    if args.s3_part_size is not None:
        text = args.s3_part_size
        try:
            upload["part_size"] = parse_size(text)
        except ValueError as exc:
            raise UsageError(f"--s3-part-size: {exc}") from None
        if not MIN_PART_SIZE <= upload["part_size"] <= MAX_PART_SIZE:
            raise UsageError(
                f"--s3-part-size {text}: S3 parts are 5MiB to 5GiB; give e.g. 8MiB or 64MiB"
            )
    if args.s3_checksum is not None:
        upload["checksum"] = args.s3_checksum
    if args.s3_no_digest_metadata:
        upload["metadata_digests"] = False
    if args.s3_head_check:
        upload["head_check"] = True
    return settings_from_env(
        os.environ, endpoint_url=args.s3_endpoint, profile=args.s3_profile, **upload
    )


def _cascade_destinations(args: argparse.Namespace) -> tuple[list[str], frozenset[int]]:
    """Every destination (the DESTs, then the --cascade-to ones not among them) and the
    indexes of those fed in cascade."""
    destinations = list(args.destinations)
    cascade = {i for i, d in enumerate(destinations) if args.cascade and is_s3_url(d)}
    for slow in args.cascade_to:
        index = next((i for i, d in enumerate(destinations) if _same_destination(d, slow)), None)
        if index is None:
            destinations.append(slow)
            index = len(destinations) - 1
        cascade.add(index)
    return destinations, frozenset(cascade)


def _copy_setup(args: argparse.Namespace) -> tuple[OffloadOptions, Path, list[str]]:
    """What ``offload copy`` takes from its arguments *args* before it reads anything: its
    options, its local report folder (a mistyped ``--report-dir`` refused now, not made
    whole after the copy) and every destination (``_cascade_destinations``). Raises
    UsageError (exit 64) where the command refuses them: ``cmd_copy`` then, and
    ``record_cancel_while_loading``, which records no cancel of a command that would have
    been refused. Looks at the report folder (``local_report_dir``: a ``stat`` or two)."""
    options = _copy_options(args)
    return options, local_report_dir(args.report_dir), _cascade_destinations(args)[0]


def _cancel_record(
    args: argparse.Namespace, folder: Path, destinations: list[str], started_at: float
) -> tuple[Path, list[str], float] | None:
    """``args.cancel_record``: what ``_record_cancel`` writes of a Ctrl-C before the copy
    (the report folder, the destinations, when the command started), or None for a
    ``--dry-run``, which records nothing (as a refused one)."""
    return None if args.dry_run else (folder, destinations, started_at)


def _copy_options(args: argparse.Namespace) -> OffloadOptions:
    algorithms = hash_algorithms(args.hash or [DEFAULT_ALGORITHM])
    try:
        existing = (
            ExistingFilePolicy.OVERWRITE
            if args.overwrite
            else ExistingFilePolicy.KEEP_BOTH
            if args.keep_both
            else ExistingFilePolicy.FAIL
        )
        copy = CopyOptions(
            algorithms=algorithms,
            existing=existing,
            device_concurrency=DeviceConcurrency(args.device_concurrency),
            **engine_arguments(args),
        )
        ignore = IgnoreRules.none() if args.no_default_ignore else IgnoreRules.default()
        ignore = IgnoreRules(ignore.adding(args.ignore).patterns, exclude_root_ascmhl=True)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    kinds = {
        "ascmhl": {MhlKind.ASCMHL},
        "legacy": {MhlKind.LEGACY},
        "both": {MhlKind.ASCMHL, MhlKind.LEGACY},
        "none": set(),
    }[args.mhl]
    return OffloadOptions(
        copy=copy,
        into=args.into,
        ignore=ignore,
        incremental=not args.no_resume,
        reverify=args.reverify,
        allow_card_destination=args.allow_card_destination,
        manifests=manifest_options(args, frozenset(kinds)),
        s3=_s3_settings(args),
        cascade=_cascade_destinations(args)[1],
        probe_writes=not args.dry_run,  # a dry run writes nothing, not even a probe
        production=ProductionInfo(
            production=args.production,
            shoot_day=args.shoot_day,
            camera=args.camera,
            reel=args.reel,
        ),
    )


class _WarningPrinter:
    """Prints the run's warnings and the card-release line. With a live view (*console*, the
    live view's own) each line goes through that console, so it is printed above the redrawn
    region: written to stderr beside it, a line was glued to the frame's last row and the
    next redraw overwrote it (or left a stale frame behind)."""

    # The events it prints (``EventSink.accepts``): the engine makes no per-file event for it.
    accepts = frozenset({WarningIssued, CardReleased})

    def __init__(self, env: Environment, console: Console | None = None) -> None:
        self._env = env
        self._console = console
        # The live view once it is up: its lines then go through it (``print_above``),
        # never drawn beside one of its redraws.
        self.view: LiveView | None = None
        # The copies the preflight said will be in no manifest (``name-not-in-manifest``,
        # its ``path`` the copy to be): the manifests' own warning of each
        # (``not-in-manifest``) says it again, and is printed once (``_said_before``);
        # --json and the job report keep both.
        self._named: set[str] = set()

    def emit(self, event: Event) -> None:
        if isinstance(event, WarningIssued):
            if event.code == PreflightCode.NAME_NOT_IN_MANIFEST.value and event.path:
                self._named.add(event.path)
            elif self._said_before(event):
                return
            elif event.code == PreflightCode.FAST_COPY_UNLIKE_CARD.value:
                return  # its ERROR line at the end says it (the report's ``folder_errors``)
            self._print(f"WARNING: {event.message}")
        elif isinstance(event, CardReleased):
            self._print(card_released_line(event))

    def _said_before(self, event: WarningIssued) -> bool:
        """Whether *event* is the manifests' warning (``not-in-manifest``, its ``path`` the
        copy root, ``relatives`` the card paths it names) of copies the preflight already
        named, each of them, as ones no manifest will hold (a ``.DS_Store`` with
        ``--no-default-ignore``, a name XML cannot hold): the same files, the same reason.
        Judged by (copy root, relative path), joined as the preflight joins them, never by
        the message's text; a warning naming no path, or one the preflight did not name, is
        printed."""
        if event.code != PreflightCode.NOT_IN_MANIFEST.value or not event.path:
            return False
        root = event.path.rstrip("/")
        return bool(event.relatives) and all(
            f"{root}/{relative}" in self._named for relative in event.relatives
        )

    def _print(self, line: str) -> None:
        line = printable_line(line)  # a name's control characters escaped, never acted on
        if self.view is not None:
            self.view.print_above(line)
        elif self._console is None:
            print(line, file=self._env.stderr, flush=True)
        else:
            self._console.print(line, markup=False, highlight=False, soft_wrap=True)


class _NotAnsweringPrinter:
    """Without a live view (stderr not a terminal; not ``-q``, not ``--json``): a line on
    stderr when a bucket has answered none of its requests for a while, they being retried
    (``DestinationNotAnswering``), and one when it answers again or is given up on (a line
    printed cannot be taken back, as the live view's is)."""

    accepts = frozenset({DestinationNotAnswering})

    def __init__(self, env: Environment, plan: OffloadPlan) -> None:
        self._env = env
        self._plan = plan

    def emit(self, event: Event) -> None:
        if not isinstance(event, DestinationNotAnswering):
            return
        from offload.destinations import s3unreachable

        backend = self._plan.backends.get(event.destination_index)
        if backend is None:
            return
        where = printable_name(str(backend.store.device))
        line = s3unreachable.wait_words(event.state, where, event.since)
        if line is not None:
            print(line, file=self._env.stderr, flush=True)


class _ReportModulesLoader:
    """Loads what the command needs after the copy on a thread, once the copy's end is near:
    the manifests' writer (~15 ms of CPU), the reports' modules (~10 ms) and the summary's
    (rich: ~25 ms). Not the PDF's (reportlab, ~40 ms): loaded here, it made no difference
    measurable on a 200-file card and added ~4 MiB to the peak RSS at 50,000 files, where the
    PDF is drawn after the peak (docs/performance.md, "The PDF on reportlab").

    The summary's modules also when the report worker draws the documents: the worker's
    leg of the end had become the shorter one, and rich loaded with the summary lay on the
    command's (docs/performance.md, "Fixed cost: eighteenth pass"); not for ``--json``,
    which prints no summary.

    Released at the first batch a destination makes durable (``PhaseChanged`` "flush", which
    a committer sends just before its ``syncfs``), else at ``JobFinished``: on a small card
    that is the job's last stretch, in which its threads mostly wait for ``syncfs`` and
    folder fsyncs, so the imports fill that wait instead of following it. Started with the
    job instead, they competed with its threads for the interpreter lock and made the
    command slower (docs/performance.md, "Fixed cost: the command's critical path"). The
    thread itself is made with the loader, parked (``BackgroundImports``): the committer
    that releases it does not wait for a thread to start. ``close`` ends it if the job never
    got that far."""

    accepts = frozenset({JobFinished, PhaseChanged})  # what starts it (``EventSink.accepts``)
    # Of the phases, a batch's "flush" alone: a file's own phases ("copy", "verify": ~4 a file
    # in transfer mode, ~8 in full mode on three destinations) are then not made at all under
    # ``--quiet`` (docs/performance.md, "The small-file card: eleventh pass").
    phases = frozenset({"flush"})

    def __init__(self, *, summary: bool, worker: bool = False) -> None:
        # hashlib: the manifests' C4 IDs and the stamp's fingerprint (OpenSSL, ~2 ms), no
        # longer loaded with the plan (docs/performance.md, "Fixed cost: fifteenth pass").
        modules = ["offload.manifests_writer", "hashlib", "offload.report.job_report"]
        if worker:  # the job report is pickled for the report worker (~2 ms of import)
            modules.append("pickle")
        if summary:  # last: the summary is printed after the manifests and JSON + CSV
            modules += ["offload.report.summary", "rich.console"]
        self.imports = BackgroundImports(*modules)

    def emit(self, event: Event) -> None:
        if isinstance(event, JobFinished) or (
            isinstance(event, PhaseChanged) and event.phase == "flush"
        ):
            self.imports.release()

    def close(self) -> None:
        """Ends the loading thread if it was never released (a run refused by its lock, an
        error before the copy); what it already loads goes on."""
        self.imports.close()


def card_released_line(event: CardReleased) -> str:
    """The terminal's line when a cascade's card pass is over: whether the card can be
    *ejected* (the cascade no longer reads it), never whether it may be formatted (that is
    the report's rule, report/release.py), then what was not taken from the card
    (``_not_taken``). A copy only transfer-checked is never called verified; after the
    cascade, only the fast copies it read are said read again. A source that is a copy root
    of ours (``source_is_copy``) is said as such, never the card (``source_words``)."""
    line = _card_pass_words(event) + _not_taken(event)
    if not event.source_is_copy:
        return line
    # Every name the line prints (``source_words``' contract); the entries left out are said
    # of the source where their names are known (``cascade._release_left_out``): kept whole.
    names = (
        event.source,
        *event.destinations,
        *event.cascade,
        *event.ignored_folders,
        event.left_out,
    )
    line = of_the_source(line, keep=names)
    # Named once what it is, where the line names it first.
    return line.replace(f" {event.source} ", f" {event.source} ({A_COPY}) ", 1)


def _not_taken(event: CardReleased) -> str:
    """What the card's pass did not take from the card, in the words the summary and the
    card release at the end give it: the entries ignored ("Ignored (not copied): N entries
    (listed in the report)", its folders named: "1 folder (PROXY/)"), and those of them
    that keep the card ("do not format the card: ..."). A DIT ejects the card on this
    line: a clip left out by ``--ignore`` was said only at the run's end, maybe hours
    later. "" when nothing was left out."""
    said = []
    if event.ignored:
        said.append(
            ignored_words(
                event.ignored,
                event.ignored_history,
                "",
                event.ignored_folders,
                source_is_copy=event.source_is_copy,
            )
        )
    if event.left_out:
        # A copy root of ours is nothing to format: kept all the same (``card_release``).
        keep = "keep the source" if event.source_is_copy else "do not format the card"
        said.append(f"{keep}: {event.left_out}")
    return f" {'; '.join(said)}." if said else ""


def _needs(event: CardReleased) -> str:
    """The verb after the slow destinations named: "needs" of one, "need" of several."""
    return "needs" if len(event.cascade) == 1 else "need"


def _nothing_to_feed(event: CardReleased) -> str:
    """What the slow destinations, needing nothing from the fast copies, hold: their copies
    already there, but for those refused there (``slow_refused``: other content, a failed
    check), which the cascade does not write over and the ERROR lines at the end name; "the
    other copies are already there" only when some are (said with no file failed: each of the
    ``files_verified`` has a copy on each slow destination, good or refused)."""
    slow, one = ", ".join(event.cascade), len(event.cascade) == 1
    refused = event.slow_refused
    if not refused:
        their = "its" if one else "their"
        return f"{slow} {_needs(event)} nothing from them ({their} copies are already there)"
    # Not "needs nothing": a copy refused there is needed, and not written over. The others
    # are there only if any: no failure here, so every file has a copy on each slow one.
    others = refused < event.files_verified * len(event.cascade)
    words = refused_words(refused, "the ERROR lines at the end say why and what to do")
    return f"{slow} {'is' if one else 'are'} fed nothing from them: {words}" + (
        "; the other copies are already there" if others else ""
    )


def _state_words(good: int, unread: int) -> str:
    """What *good* files are, *unread* of them never read back (transfer-checked only)."""
    if not unread:
        return "verified"
    if unread == good:
        return "transfer-checked (never read back)"
    return f"verified or transfer-checked ({unread} never read back)"


def _each_fast_copy(event: CardReleased) -> str:
    """Each fast destination's own count where they differ (``files_verified_on``...): a
    file that failed on one and is held on another was counted with neither ("0 files
    verified on A, B, 3 FAILED there" where B held all 3). "" where every fast destination
    holds the same count as the line's (one fast destination, or failures on each alike)."""
    counts = list(
        zip(
            event.destinations,
            event.files_verified_on,
            event.files_transfer_checked_on,
            event.files_failed_on,
            strict=False,
        )
    )
    if len(counts) < 2 or all(good == event.files_verified for _d, good, _u, _f in counts):
        return ""
    return "; ".join(
        f"{plural(good, 'file')} {_state_words(good, unread)} on {destination}"
        + (f", {failed} FAILED there" if failed else "")
        for destination, good, unread, failed in counts
    )


def _card_pass_words(event: CardReleased) -> str:
    """``card_released_line`` without what was left out of the card."""
    fast = ", ".join(event.destinations)
    unread = event.files_transfer_checked
    cached = event.files_read_through_cache
    through = (
        f" ({'it was' if event.files_verified == 1 else f'{cached} of them'} read back through "
        "a cache, not from the media)"
        if cached
        else ""
    )
    state = _state_words(event.files_verified, unread)
    fast += through
    slow = ", ".join(event.cascade)
    if event.files_failed:
        # Only the files no fast copy holds cannot be cascaded: one another fast destination
        # holds is fed from there. With none held, nothing is fed.
        unheld = event.files_not_cascaded
        one = event.files_failed == 1
        if unheld == event.files_failed:
            retry = f"{'it: it cannot' if one else 'them: they cannot'} be cascaded"
        elif unheld:
            retry = (
                f"them; {unheld} of them cannot be cascaded: no fast copy holds "
                f"{'it' if unheld == 1 else 'them'}"
            )
        else:
            retry = (
                "it; it is cascaded from the fast copy that holds it"
                if one
                else "them; each is cascaded from a fast copy that holds it"
            )
        then = (
            f"Nothing to feed {slow} with."
            if event.files_verified == 0 and unheld == event.files_failed
            else f"Now feeding {slow} from those copies."
        )
        each = _each_fast_copy(event)
        if each:
            return (
                f"CARD PASS DONE: {event.source} is no longer read; {each}{through}. Keep the "
                f"card to retry {retry}. {then}"
            )
        return (
            f"CARD PASS DONE: {event.source} is no longer read; "
            f"{plural(event.files_verified, 'file')} {state} on {fast}, "
            f"{event.files_failed} FAILED there (keep the card to retry {retry}). {then}"
        )
    every = (
        "the 1 file is" if event.files_verified == 1 else f"all {event.files_verified} files are"
    )
    if event.nothing_to_feed:  # the slow destinations' copies are there already, or refused
        feeding = _nothing_to_feed(event)
    else:
        feeding = f"Now feeding {slow} from those copies"
    # A fast copy on the card's own filesystem or disk dies with the card: never a backup.
    beside = ", ".join(event.on_card_disk)
    count = len(event.on_card_disk)
    # Released on another copy: that one is no backup, and goes with the card.
    no_backup = (
        on_card_disk_words(
            f"the {'copy' if count == 1 else 'copies'} on {beside}",
            count,
            unknown=event.card_disk_unknown,
        )
        if beside
        else ""
    )
    if event.unrecorded:  # kept: a re-run without the card would settle no such record
        where = ", ".join(event.unrecorded)
        return (
            f"CARD PASS DONE: {event.source} is no longer read; {every} {state} on {fast}, but "
            f"the record that this offload finished could not be written on {where} (the "
            "ERROR line says why): keep the card; once that is mended, the same `offload "
            f"copy` again with the card records the finish. {feeding}."
        )
    if event.after_cascade:  # the release the card's pass withheld, once the cascade read it
        earlier = event.files_verified_earlier
        # Which fast copy the cascade read, when there are others: theirs were not read.
        on = f" on {', '.join(event.reread)}" if event.not_reread else ""
        others = (
            f"; those on {', '.join(event.not_reread)} are verified earlier (trusted from the "
            "ledger, not read back now)"
            if event.not_reread
            else ""
        )
        return (
            f"CARD RELEASED: {event.source} can be ejected: {every} {state} on {fast}, "
            f"{'the one' if earlier == 1 else f'the {earlier}'} an earlier run verified{on} now "
            f"read again by the cascade and equal to the card's digests{others}"
            + (f"; {no_backup}." if beside else ".")
        )
    if not event.without_card and event.files_verified_earlier:
        # Trusted from the ledger, not read back by this run: no release on that.
        earlier = event.files_verified_earlier
        some = (
            "" if event.files_verified == 1 else
            "all " if earlier == event.files_verified else f"{earlier} of them "
        )  # fmt: skip
        # A copy refused on a slow destination is no copy "needed nothing" of.
        unfed = (
            _nothing_to_feed(event)
            if event.slow_refused
            else f"{slow} {_needs(event)} nothing from them"
        )
        until = (
            f"{unfed}, so nothing in this run reads them again: keep the card (--reverify "
            "reads them back)."
            if event.nothing_to_feed
            else "keep the card until the cascade has read them again and found them equal to "
            f"the card's digests (--reverify reads them back in the card's pass). Now feeding "
            f"{slow} from those copies."
        )
        return (
            f"CARD PASS DONE: {event.source} is no longer read; {every} {state} on {fast}, "
            f"{some}by an earlier run only (trusted from its ledger, not read back now): "
            f"{until}"
        )
    if not event.without_card:  # no fast copy can stand for the card in a re-run
        # A bucket's copy may be read back whole, yet never stands for the card: the
        # sentence is said of the local copies then (``unread_words``).
        bucket = any(is_s3_url(d) for d in event.destinations)
        if beside and count == len(event.destinations):
            why = on_card_disk_words(
                "the copy there" if count == 1 else "every copy there",
                1,
                unknown=event.card_disk_unknown,
            )
        elif beside and event.kept_by_its_disk:  # the others are in a bucket
            why = f"{no_backup}, and {BUCKET_NEVER_STANDS}"
        elif beside:
            other = unread_words(other=True, bucket=bucket)
            why = f"{no_backup}{'; ' if bucket else ', and '}{other}"
        else:
            why = unread_words(other=False, bucket=bucket)
        return (
            f"CARD PASS DONE: {event.source} is no longer read; {every} {state} on {fast}, but "
            f"{why} (keep the card until {slow} {'is' if len(event.cascade) == 1 else 'are'} "
            f"done: a re-run needs it). {feeding}."
        )
    if beside:
        fast += f"; {no_backup}"
    return f"CARD RELEASED: {event.source} can be ejected: {every} {state} on {fast}. {feeding}" + (
        "."
        if event.nothing_to_feed
        else " (the card is not read again; should this stop, the same command finishes it "
        "without the card)."
    )


def cmd_copy(
    args: argparse.Namespace,
    env: Environment,
    started: DocumentWorker | None = None,
    *,
    own_process: bool = False,
) -> int:
    """``offload copy``; *started*: its report worker, if the entry point spawned one;
    *own_process*: as for ``main``."""
    _freeze_objects_at_exit()
    started_at = time.time()  # a refusal's record states it (``_record_refusal``)
    options, reports_folder, destinations = _copy_setup(args)
    # The named folder's device now: one unmounted by the end gets no report (a warning).
    args.report_device = (
        report_folder_device(reports_folder)
        if args.report_dir is not None or os.environ.get("OFFLOAD_REPORT_DIR")
        else None
    )
    # A Ctrl-C from here to the copy's start is recorded where a refusal is (``main``,
    # ``_record_cancel``).
    args.cancel_record = _cancel_record(args, reports_folder, destinations, started_at)
    # --cascade feeds the s3:// destinations in cascade; without one there is nothing to
    # cascade: said before the copy and in the reports (a note), never a silent plain offload.
    no_cascade = None
    if args.cascade and not any(is_s3_url(d) for d in destinations):
        no_cascade = ("--cascade feeds the s3:// destinations in cascade and none is named, so "
                      "this is an ordinary offload (the card feeds every destination at once, "
                      "no card release); --cascade-to DEST cascades a slow drive")  # fmt: skip
        env.warning(no_cascade)
    with full_collections_paused():
        try:
            # (A cascade re-run without its card may read a fast copy's marked files back
            # first: said on stderr before it starts, unless -q, skipped by a dry run.)
            say = None if args.quiet else _say(env)
            plan = plan_offload(
                args.source,
                destinations,
                options,
                dry_run=args.dry_run,
                say=say,
                # (A --dry-run --json's stdout is one document: its reads said on stderr.)
                reads=_plan_reads(env, say, as_json=args.json and not args.dry_run),
            )
        except UsageError as error:
            if not args.dry_run:
                _record_refusal(args, env, reports_folder, destinations, started_at, error)
            raise
        if args.dry_run:
            from offload.report.dry_run import print_dry_run

            # Another offload writing a copy root now refuses the real run (exit 64): the
            # dry run says so as that run would (its lock asked, not taken).
            # An S3 copy root whose lock the credentials may not read: the run would lose
            # that destination (it reads back the lock it stores), a warning of the dry run.
            unreadable: list[PreflightItem] = []
            busy = busy_now(plan, unreadable)
            if busy is not None:
                raise busy
            if unreadable:
                plan.preflight = dataclasses.replace(
                    plan.preflight, warnings=(*plan.preflight.warnings, *unreadable)
                )
            return print_dry_run(plan, env, as_json=args.json)
        worker = _report_worker(plan.tree.file_count, started)
        # The summary's modules (rich: ~12 ms of CPU) on the thread too, with a report worker:
        # loaded when the summary is printed they were on the command's leg of the end, the
        # longer one (the worker's documents were ready ~30 ms before they were asked for:
        # docs/performance.md, "Fixed cost: eighteenth pass").
        loader = _ReportModulesLoader(summary=not args.json, worker=worker is not None)
        try:
            return _offload(args, env, plan, no_cascade, worker, loader, own_process)
        except CopyRootBusy as error:  # refused before its copy: another run's lock
            # (Only the lock's: another UsageError here, --progress-trace's file refused,
            # is an option's error, which leaves no record.)
            _record_refusal(args, env, reports_folder, destinations, started_at, error)
            raise
        finally:
            loader.close()
            if worker is not None:  # reaped, killed first if still running (an error, Ctrl-C)
                worker.close()


def _plan_reads(env: Environment, say: Callable[[str], None] | None, *, as_json: bool) -> PlanReads:
    """Where planning's whole reads of copies already there are told (``plan_reads``): with
    ``--json`` a ``plan_reading`` line each on stdout, ``--quiet`` or not, as the stream's
    ``progress`` lines (docs/json.md); else (a ``--dry-run --json`` too, whose stdout is one
    document) a line on stderr (``plan_reads.text_teller``), none with ``--quiet``."""
    from offload.plan_reads import PlanReads, text_teller

    if as_json:

        def tell(read: PlanRead) -> None:
            from offload.json_text import stream_dumps

            payload = {
                "event": "plan_reading",
                "time": round(time.time(), 3),
                "path": read.path,
                "size_bytes": read.size_bytes,
                "started": read.started,
                "bytes_done": read.bytes_done,
                "bytes_total": read.bytes_total,
            }
            try:
                env.stdout.write(stream_dumps(payload, env.stdout) + "\n")
                env.stdout.flush()
            except UnicodeError:  # not a reader gone: a bug to be seen
                raise
            except (OSError, ValueError):  # a reader that went away: the run goes on
                pass

        return PlanReads(tell)
    if say is None:
        return PlanReads(None)
    return PlanReads(text_teller(say))


def _say(env: Environment) -> Callable[[str], None]:
    """A plain line on stderr (no WARNING: a step under way, not a problem)."""

    def say(line: str) -> None:
        print(printable_line(line), file=env.stderr, flush=True)

    return say


def _record_refusal(
    args: argparse.Namespace,
    env: Environment,
    folder: Path,
    destinations: Sequence[str],
    started_at: float,
    error: UsageError,
) -> None:
    """Record the offload the planning or its preflight refused (exit 64) in the local
    report folder's ``refused/`` (``report/refused.py``), so ``offload history`` lists the
    attempt and its reason; a record that cannot be written is a warning, never another
    outcome."""
    codes = [str(e.get("code")) for e in error.errors if e.get("code")]
    _record_before_copy(
        args, env, folder, destinations, started_at, error.message, int(error.exit_code), codes
    )


def _record_cancel(args: argparse.Namespace | None, env: Environment) -> None:
    """Record an ``offload copy`` cancelled by Ctrl-C before its copy started (its scan,
    its preflight, its plan's reads: exit 130, nothing copied, no job report) where a
    refusal is recorded, the local report folder's ``refused/`` (``report/refused.py``,
    exit code 130), so ``offload history`` lists the attempt as cancelled before the copy.
    Only once its report folder is known (``args.cancel_record``: set by ``cmd_copy``, or
    by ``record_cancel_while_loading`` for a Ctrl-C while the command loaded); never for a
    ``--dry-run``, nor before its arguments were parsed. Nothing is written anywhere else:
    no copy root was locked or written, so no run record, manifest or report claims
    anything of it (a copy root's ``last-run.json`` still says what its last offload did).
    A record that cannot be written is a warning, never another outcome.

    No signal is held meanwhile (as for a refusal's record): the record is not the
    outcome, so a further Ctrl-C gives it up (a warning, exit 130 all the same) and a
    SIGTERM or SIGHUP acts as it does anywhere before the copy (SIGTERM: exit 143), a hung
    report folder never keeping it from ending the process once the folder's call returns."""
    held = getattr(args, "cancel_record", None)
    if args is None or held is None:
        return
    folder, destinations, started_at = held
    from offload.cli.entry import CANCELLED_BEFORE_COPY

    try:
        _record_before_copy(args, env, folder, destinations, started_at, CANCELLED_BEFORE_COPY, 130)
    except KeyboardInterrupt:  # one outside the write itself (``_record_before_copy``)
        _record_given_up(env, "Ctrl-C came while it was written")


def record_cancel_while_loading(args: argparse.Namespace, began: float) -> None:
    """``_record_cancel`` of an ``offload copy`` whose Ctrl-C came while the command loaded
    (``entry.main``: its arguments parsed, *began* when the command started, the card's
    first files walked for the read-ahead, which a slow card makes the first long wait),
    before ``cmd_copy`` ran: its report folder, destinations and options as ``cmd_copy``
    takes them (``_copy_setup``), none recorded where ``cmd_copy`` would have refused them
    (the refusal would have been the outcome). A further Ctrl-C meanwhile, the report
    folder's lookup included, gives the record up (a warning); so does an error looking
    at that folder: never a traceback, never another outcome."""
    if getattr(args, "command", None) != "copy":
        return
    env = Environment()
    try:
        try:
            _, folder, destinations = _copy_setup(args)
        except UsageError:
            return
        args.cancel_record = _cancel_record(args, folder, destinations, began)
        _record_cancel(args, env)
    except KeyboardInterrupt:
        _record_given_up(env, "Ctrl-C came while it was written")
    except OSError as exc:
        from offload.errors import describe_os_error

        _record_given_up(env, f"cannot look at the report folder: {describe_os_error(exc)}")


def _record_given_up(env: Environment, problem: str) -> None:
    """The warning that a Ctrl-C before the copy is not recorded, and why (*problem*)."""
    with contextlib.suppress(OSError, ValueError):  # a terminal gone, a reader gone
        env.warning(f"this cancelled offload is not in offload history: {problem}")


def _record_before_copy(
    args: argparse.Namespace,
    env: Environment,
    folder: Path,
    destinations: Sequence[str],
    started_at: float,
    message: str,
    exit_code: int,
    codes: Sequence[str] = (),
) -> None:
    """The record of an offload ended before its copy (``_record_refusal``,
    ``_record_cancel``): *message* its ``ERROR:`` line's words, *exit_code* 64 or 130."""
    from offload.report.refused import refused_record, write_refused_record

    record = refused_record(
        source=os.path.abspath(os.fsdecode(args.source)),
        destinations=[d if is_s3_url(d) else os.path.abspath(os.fsdecode(d)) for d in destinations],
        started=started_at,
        message=message,
        exit_code=exit_code,
        codes=list(dict.fromkeys(codes)),
        reel=args.reel,
    )
    # The default report folder is made with its parents, a named one never (``local_report_dir``).
    default = args.report_dir is None and not os.environ.get("OFFLOAD_REPORT_DIR")
    try:
        problem = write_refused_record(folder, record, started_at, parents=default)
    except KeyboardInterrupt:  # the outcome stands: only its record is given up
        problem = "Ctrl-C came while it was written"
    if problem:
        what = "cancelled offload" if exit_code == 130 else "refusal"
        env.warning(f"this {what} is not in offload history: {problem}")


def _record_start(args: argparse.Namespace, plan: OffloadPlan, run: str) -> str:
    """Write the run's start record into the local report folder's ``started/``
    (``report/started.py``), once its copy roots are locked and before its first file, so
    that ``offload history`` lists a run killed before its reports as unfinished; its path
    in ``args.start_record`` for ``_reports_and_summary`` to remove once the reports are
    written. Returns "" once written, else the warning that says it is not (never another
    outcome of the run)."""
    from offload.plan.names import report_name
    from offload.report.report_names import report_basename_for
    from offload.report.started import start_record, write_start_record

    args.start_record = None
    started = time.time()
    folder = args.report_dir or default_report_dir()
    destinations = _cascade_destinations(args)[0]
    record = start_record(
        # As the job report names it (``OffloadReport.source``): ``offload history`` finds
        # a later offload of the same card by it.
        source=str(plan.source),
        destinations=[d if is_s3_url(d) else os.path.abspath(os.fsdecode(d)) for d in destinations],
        copy_roots=[str(p.root) for p in plan.plans if p.index not in plan.backends],
        started=started,
        run=run,
        report=report_basename_for(report_name(str(plan.source), [folder]), started),
        reel=args.reel,
        card="" if plan.card is None else plan.card.key,
        s3_copy_roots=[str(p.root) for p in plan.plans if p.index in plan.backends],
        ignore_patterns=_scan_patterns(plan.options.ignore),
    )
    # The default report folder is made with its parents, a named one never (``local_report_dir``).
    default = args.report_dir is None and not os.environ.get("OFFLOAD_REPORT_DIR")
    args.start_record, problem = write_start_record(folder, record, parents=default)
    return f"this offload is not in offload history until it ends: {problem}" if problem else ""


def _scan_patterns(rules: IgnoreRules) -> list[str]:
    """Every pattern the card's scan leaves entries out by (``card.plan_offload``: the
    plan's rules, the card's own history's files kept, then offload-ai's own), the card's
    root ``ascmhl/`` included where the rules leave it out: the start record's
    ``ignore_patterns``, which ``offload history`` reads back as ``IgnoreRules`` alone."""
    from offload.ledger import TOOL_IGNORE_PATTERNS
    from offload.plan.ignore import ROOT_ASCMHL_PATTERN

    scanned = rules.adding(TOOL_IGNORE_PATTERNS)
    return [*scanned.patterns, *([ROOT_ASCMHL_PATTERN] if scanned.exclude_root_ascmhl else [])]


def _kept_to_read(plan: OffloadPlan) -> str:
    """The "Offloading" line's words for the copies to read back that an earlier
    ``--keep-both`` run may have kept beside a file in the way (``OffloadPlan.kept_to_read``):
    "" for none (only ``--keep-both`` plans one). Counted apart from "to copy", as
    ``_found_wrong_before``'s: the line said "0 to copy (0 bytes)", then the run wrote the
    card file beside that file where the read-back found the kept one different."""
    if plan.options.copy.existing is not ExistingFilePolicy.KEEP_BOTH:
        return ""
    kept = plan.kept_to_read
    if not kept:
        return ""
    size, one, which = _some_checks(plan, kept)
    return (
        f",{which} beside a file in the way, as an earlier run with --keep-both kept "
        f"{'it' if one else 'them'}: copied beside that file if different ({human_bytes(size)})"
    )


def _some_checks(plan: OffloadPlan, some: Sequence[ExistingCopy]) -> tuple[int, bool, str]:
    """Of *some* of the plan's copies to read back (``ExistingCopy``): their card files'
    bytes, whether there is one, and the "Offloading" line's word for which of the copies to
    read back they are ("" for the one, " each" for all of them, " N of them")."""
    size = sum(plan.tasks[c.task_index].source.size_bytes for c in some)
    one = len(some) == 1
    which = (
        ("" if one else " each")
        if len(some) == len(plan.checks_to_read)
        else f" {len(some):,} of them"
    )
    return size, one, which


def _found_wrong_before(plan: OffloadPlan) -> str:
    """The "Offloading" line's words for the copies to read back that were found wrong
    before and are copied again if still wrong (``OffloadPlan.found_wrong_before``): "" for
    none. Counted apart from "to copy", which they join only once read back: the line said
    "0 to copy (0 bytes)", then the run wrote them."""
    again = plan.found_wrong_before
    if not again:
        return ""
    size, one, which = _some_checks(plan, again)
    beside = " beside it" if one else " beside them"
    return (
        f",{which} found wrong before (by offload verify or an earlier offload): copied again"
        f"{beside if plan.options.copy.existing is ExistingFilePolicy.KEEP_BOTH else ''} if "
        f"still wrong ({human_bytes(size)})"
    )


def _changed_to_read(plan: OffloadPlan) -> str:
    """The "Offloading" line's words for the copies of ours to read back whose date changed
    since their ledger recorded them (``OffloadPlan.changed_to_read``, ``--reverify``),
    copied again if they differ: "" for none. Counted as ``_found_wrong_before``'s are (QA:
    the line counted only those, the run then wrote these too)."""
    changed = plan.changed_to_read
    if not changed:
        return ""
    size, one, which = _some_checks(plan, changed)
    singular = one or which == " each"  # "each a copy of ours ...: ... if it differs"
    what = (
        "a copy of ours whose date changed since its ledger recorded it: copied again if it differs"
        if singular
        else "copies of ours whose dates changed since their ledger recorded them: copied "
        "again if they differ"
    )
    return f",{which} {what} ({human_bytes(size)})"


def _report_worker(files: int, started: DocumentWorker | None) -> DocumentWorker | None:
    """The report worker (``report/worker.py``) for a card of *files* files: a second
    process that loads the PDF's and the reports' modules while this one loads and copies,
    then makes the HTML and PDF reports while this one writes the JSON and CSV and prints
    its summary. *started* if the entry point spawned it, else spawned now (``main`` called
    in-process). None for a card of more than ``MAX_WORKER_FILES`` files (the worker holds
    every entry it is sent), or when it cannot start: the documents are then made here, as
    they always could be."""
    if files > MAX_WORKER_FILES:
        if started is not None:
            started.close()
        return None
    if started is not None:
        return started
    from offload.report.worker import DocumentWorker

    return DocumentWorker.start()


def _offload(
    args: argparse.Namespace,
    env: Environment,
    plan: OffloadPlan,
    no_cascade: str | None,
    worker: DocumentWorker | None,
    loader: _ReportModulesLoader,
    own_process: bool = False,
) -> int:
    """``cmd_copy`` once planned: the copy, the reports and the summary; *loader* loads
    what comes after the copy while the job ends; *own_process*: as for ``main``."""
    # rich (~30 ms of imports) only where a live view may be shown; the summary imports it
    # at the end.
    console = None if args.json or args.quiet else _console(env)
    live = console is not None and console.is_terminal
    # The progress model only where something reads it (the live view, --json's progress
    # lines, --progress-trace): fed every event of the job, it cost a 200-file card ~5 ms of
    # CPU (its module ~2 ms, its updates ~3 ms) that nothing showed.
    model = _progress_model() if live or args.json or args.progress_trace else None
    json_sink = _json_sink(env, model) if args.json else None
    printer = _WarningPrinter(env, console if live else None)
    # A bucket answering nothing: the live view's line, else one printed (not ``-q``).
    waits = None if live or args.quiet or not plan.backends else _NotAnsweringPrinter(env, plan)
    sink: EventSink = FanoutSink(
        json_sink
        if json_sink is not None
        else FanoutSink(*filter(None, [model]), printer, *filter(None, [waits])),
        loader,
    )
    trace = _open_progress_trace(args.progress_trace, model)
    if trace is not None:
        # One event at a time through the model and then the trace: a snapshot line never
        # counts an event whose line comes after it (docs/json.md).
        sink = SerialFanoutSink(sink, trace)
    files_to_copy, bytes_to_copy = plan.copy_totals()  # one pass for both
    announced = (
        f"Offloading {plural(plan.tree.file_count, 'file')} "
        f"({human_bytes(plan.tree.total_bytes)}) "
        f"from {printable_name(str(plan.source))}: {files_to_copy:,} to copy "
        f"({human_bytes(bytes_to_copy)}), "
        f"{plural(len(plan.checks_to_read), 'copy', 'copies')} already there to read back"
        + _found_wrong_before(plan)
        + _changed_to_read(plan)
        + _kept_to_read(plan)
        + (
            f", {plural(plan.copies_to_replace, 'copy', 'copies')} of ours whose size "
            "changed to copy again (see the warnings)"
            if plan.copies_to_replace
            else ""
        )
        + (
            f", {plural(plan.copies_not_overwritten, 'copy', 'copies')} refused: another "
            "file in the way (see the warning)"
            if plan.copies_not_overwritten
            else ""
        )
    )

    def announce(run: str) -> None:
        """Once the copy roots are locked (*run*: the run's token): the run's start record
        (``_record_start``), then the announcement: a run another offload's lock refuses
        says only that (not first that it is offloading), and leaves no start record."""
        problem = _record_start(args, plan, run)
        say_offloading()
        if problem:  # above the live view, or a ``warning_issued`` line: as the run's others
            sink.emit(WarningIssued(problem))

    def say_offloading() -> None:
        """The "Offloading ..." line (not with ``--json``, whose events say it)."""
        if args.json:
            return
        if printer.view is not None:  # above the live view, never beside a redraw
            printer.view.print_above(announced)
        elif live and console is not None:  # through the live view's console, above it
            console.print(announced, markup=False, highlight=False, soft_wrap=True)
        else:
            print(announced, file=env.stderr, flush=True)

    cancel = CancelToken()
    # SIGINT/SIGTERM set the token until the reports are written: during the copy it
    # cancels (exit 130, its report); once every copy has its outcome nothing is left to
    # cancel, and the manifests and reports are written in full whatever comes (a
    # KeyboardInterrupt there would have cut them short). Before, ``main`` says nothing
    # was copied.
    # The live view stays up while the JSON and CSV reports are written, so its last frame
    # says which of them could not be (``_reports_and_summary`` closes it before the summary).
    with (
        cancel_on_signals(env, cancel) as signals,
        contextlib.ExitStack() as told,
        contextlib.ExitStack() as view,
    ):

        def tell(line: str) -> None:
            """A line said at once, above the view, or on stderr (``-q``, ``--json``)."""
            if live_view is not None:
                live_view.print_above(line)
            else:
                print(line, file=env.stderr, flush=True)

        waiting = _CancelWaitingSaid(plan, tell)
        signals.on_again = lambda: tell(_further_said_at_once(signals, waiting))
        sink = FanoutSink(sink, _AfterCopySignals(signals), waiting)
        args.signals = signals  # ``main`` tells a second Ctrl-C after the copy by it
        live_view: LiveView | None = None

        def tell_stopping(where: tuple[str, ...]) -> None:
            """A stop waits for a hung call of the finish (``interruptible.telling``): said
            at once, above the view or on stderr (``-q``, ``--json``)."""
            if signals.stopped_by is not None:
                tell(stopping_words(where))

        from offload import interruptible

        # To the reports' end (their HTML and PDF are written once the view is closed).
        told.enter_context(interruptible.telling(tell_stopping))
        # Whether a stop before the manifest step is over came while manifests were written.
        args.manifests_asked = bool(plan.options.manifests.kinds)
        # Not with a bucket: its parts are buffers of their own, which a cycle (a failed
        # part's traceback) would keep until the next collection.
        with young_collections_spaced(not any(is_s3_root(p.root) for p in plan.plans)):
            try:
                args.copy_started = True
                if live and console is not None and model is not None:
                    from offload.cli.live import LiveView

                    # The bytes the copy reads from the card, not the card's: a resume reads
                    # only what is left (the first frames come before the offload's own plan).
                    planned = (plan.tree.file_count, bytes_to_copy)
                    live_view = view.enter_context(
                        LiveView(
                            model,
                            console,
                            cancel=cancel,
                            planned=planned,
                            signal=signals.words,
                            stopping=lambda: signals.stopped_by is not None,
                        )
                    )
                    printer.view = live_view
                    report = run_offload(plan, sink=sink, cancel=cancel, on_locked=announce)
                    args.manifests_words = manifests_words(
                        report, bool(plan.options.manifests.kinds)
                    )
                    if not report.job.cancelled:  # the view's last frame says what is next
                        model.emit(OffloadFinishing("reports"))
                else:
                    report = run_offload(plan, sink=sink, cancel=cancel, on_locked=announce)
                    args.manifests_words = manifests_words(
                        report, bool(plan.options.manifests.kinds)
                    )
            finally:
                signals.after_copy()  # a second Ctrl-C, or a SIGTERM, stops the rest
                # The manifest step is over (or the run ended short): from here a first
                # SIGTERM stops the reports (those written are restated with exit 130).
                signals.reporting = True
                if trace is not None:
                    trace.close()
                if json_sink is not None:
                    json_sink.close()  # its ticker: no job's bytes move from here on
        noted = cancel.cancelled and not report.job.cancelled
        if noted:
            report.notes.append(signal_after_copy(signals.words()))
        if report.job.cancelled and signals.again is not None:
            report.notes.append(_further_while_cancelling(signals.again))
        plan.release_files()  # the reports reuse their memory (the run's peak is theirs)

        def late_signal() -> str | None:
            """The note of a signal recorded since ``noted`` was decided: during the reports."""
            if cancel.cancelled and not noted and not report.job.cancelled:
                return signal_during_reports(signals.words())
            return None

        with collector_paused():
            code = _reports_and_summary(
                args,
                env,
                report,
                no_cascade,
                worker,
                json_sink,
                late_signal,
                view=(live_view, view.close),
            )
        # Said while the handler is still ours: from ``holding`` on, a signal is recorded,
        # never a stop (nor, once the handler is put back, a KeyboardInterrupt or SIGTERM's
        # default landing in these lines with another exit code than the outcome's).
        late = late_signal()
        # Not said again where the reports were restated with it.
        if late is not None and not any(n.startswith(late) for n in report.notes):
            env.warning(late)
        # The process ends next: a signal from here to its exit is recorded as above, and
        # named by the entry point as the process ends (``final_signals.say_at_exit``).
        keep_signals_to_exit(
            env,
            signals,
            lambda signum: _outcome_stated(signum, "while", as_json=args.json),
            keep=own_process and signals.holding,
            said_at_exit=lambda signum: _outcome_stated(signum, "once", as_json=args.json),
        )
    return code


def _further_while_cancelling(signum: int) -> str:
    """The note of a signal *signum* that came while the copy was being cancelled
    (``SignalsAfterCopy.again``): it changed nothing, the cancel was under way."""
    return (
        f"a further {signal_words(signum)} came while the copy was being cancelled: it "
        "changed nothing, the cancel was under way (its partial files are removed before "
        "the run ends)"
    )


def _outcome_stated(signum: int, when: str, *, as_json: bool) -> str:
    """The warning of a signal *signum* that came once ``offload copy``'s outcome was stated:
    *when* "while" its last lines were written, "once" they were (at the process's end)."""
    if as_json:
        return (
            f"{signal_words(signum)} came {when} the job_report line was written: it was "
            "written whole, and the exit code is the one it gives"
        )
    return (
        f"{signal_words(signum)} came once the reports were written: nothing was stopped, and "
        "the exit code is the one they give"
    )


class _CancelWaitingSaid:
    """Says at once what a cancel still waits for (``CancelWaiting``: a call on the card or
    a destination that has not returned), with *tell* (above the live view, or on stderr),
    and keeps the words for a further Ctrl-C's line (``_further_said_at_once``)."""

    accepts = frozenset({CancelWaiting, CardReleased})

    def __init__(self, plan: OffloadPlan, tell: Callable[[str], None]) -> None:
        self._plan = plan
        self._tell = tell
        self.words = ""  # what the cancel waits for, once said
        # The card's pass is over (``CardReleased``): a later job's reader (the cascade's)
        # reads the fast copies, not the card.
        self._card_done = False

    def emit(self, event: Event) -> None:
        if isinstance(event, CardReleased):
            self._card_done = True
        elif isinstance(event, CancelWaiting):
            self.words = cancel_waiting_words(self._plan, event, card_done=self._card_done)
            self._tell(f"cancelling: {self.words}")


def _helper_wait(plan: OffloadPlan, index: int) -> str:
    """What of destination *index*'s calls waits for its credential helper
    (``s3helpers.helper_wait``): "helper", "maybe", or "" (no helper running; not a bucket)."""
    from offload.destinations.s3helpers import helper_wait

    backend = plan.backends.get(index)
    client = getattr(backend.store, "client", None) if backend is not None else None
    return helper_wait(client) if client is not None else ""


def _names(indexes: Sequence[int]) -> str:
    return " and ".join(f"destination {i + 1}" for i in indexes)


def _helper_words(helped: Sequence[int], maybe: Sequence[int], buckets: Sequence[int]) -> str:
    """Why a cancel waits on the buckets *buckets*: those *helped* and *maybe* have a
    credential helper running, botocore signing a request of each with the helper's
    credentials and waiting for it with no timeout (that request never reached the service,
    and no timeout of the service's ends the wait); those *maybe* have requests of other
    threads on the wire too (``s3helpers``), which wait for the service as the others'."""
    words = (
        "the credential helper (the AWS profile's credential_process) that the requests of "
        f"{_names([*helped, *maybe])} wait for has not answered, and nothing times it out: it "
        "may be waiting for someone (an MFA code, a login): answer it or end it"
    )
    if maybe:
        words += (
            f"; the service of {_names(maybe)} may not have answered others of its requests"
            if len(maybe) == 1
            else f"; the services of {_names(maybe)} may not have answered others of their requests"
        ) + " either, a timeout ending that wait"
    others = [i for i in buckets if i not in helped and i not in maybe]
    if len(others) == 1:
        words += f"; the service of {_names(others)} has not answered, a timeout ending that wait"
    elif others:
        words += (
            f"; the services of {_names(others)} have not answered, their timeouts ending that wait"
        )
    return words


def _uploads_removed(
    helped: Sequence[int], maybe: Sequence[int], buckets: Sequence[int], *, named: bool = False
) -> str:
    """When the partial uploads of *buckets* are removed (:func:`_helper_words`' buckets):
    once the helpers answer or are ended, and the services waited for answer or time out.
    *named*: the helper named, not "it" (other words come between)."""
    helpers = len(helped) + len(maybe)
    services = [i for i in buckets if i not in helped]  # (maybe: its helper and its service)
    helper = "the helper answers or is ended" if helpers == 1 else "the helpers answer or are ended"
    if not services:
        if named:
            return helper
        return "it answers or is ended" if helpers == 1 else "they answer or are ended"
    service = (
        f"the service of {_names(services)} answers, or its timeout ends"
        if len(services) == 1
        else f"the services of {_names(services)} answer, or their timeouts end"
    )
    return f"{helper}, and once {service}"


def cancel_waiting_words(plan: OffloadPlan, event: CancelWaiting, *, card_done: bool) -> str:
    """What a cancel still waits for, and what ends it: a call blocked in the kernel (a
    hung card reader, a FUSE filesystem) is not ended by kill -9 either (the process stays,
    a zombie holding its copy roots' locks, until the call returns), so the words say what
    does end it: the card pulled, the drive disconnected, or the driver stopped.
    *card_done*: the card's pass is over, so the reader's call is on the fast copies the
    cascade reads, not on the card."""
    on: list[str] = []
    if event.card and card_done:
        on.append("the fast copies the cascade reads")
    elif event.card:
        on.append(f"the card {printable_name(str(plan.source))}")
    for index in event.destinations:
        backend = plan.backends.get(index)
        root = backend.device if backend is not None else str(plan.plans[index].destination)
        on.append(f"destination {index + 1} ({printable_name(root)})")
    what = " and ".join(on) or "a destination"
    card = event.card and not card_done
    # One call a thread: several destinations waited for are several calls, said so.
    many = len(on) > 1
    calls, them = ("calls", "those calls return") if many else ("a call", "that call returns")
    waited = f"waiting for {calls} on {what} to return (none for {int(CANCEL_WAITING_S)} s: "
    if event.destinations and not event.card:
        # A destination's call may be a long, healthy write or flush (gigabytes of cache
        # going to a slow USB disk): never advise pulling a drive that may be writing, which
        # can damage its filesystem and every copy on it; a bucket's call ends at its timeout.
        waits = {i: _helper_wait(plan, i) for i in event.destinations}
        helped = [i for i in event.destinations if waits[i] == "helper"]
        maybe = [i for i in event.destinations if waits[i] == "maybe"]
        buckets = [index for index in event.destinations if index in plan.backends]
        if (helped or maybe) and len(buckets) == len(event.destinations):
            return (
                waited + _helper_words(helped, maybe, buckets) + "); the partial uploads are "
                f"removed once {_uploads_removed(helped, maybe, buckets)} (the same command "
                "run again removes what is left)"
            )
        if all(index in plan.backends for index in event.destinations):
            service = "the services have" if many else "the service has"
            once = (
                "they do, or once their timeouts end"
                if many
                else "it does, or once its timeout ends"
            )
            return (
                waited + f"{service} not answered); the partial uploads are removed once "
                f"{once} the wait (the same command run again removes what is left)"
            )
        if buckets:  # buckets and drives: each worded by its kind
            disks = [index for index in event.destinations if index not in plan.backends]
            named = [" and ".join(f"destination {i + 1}" for i in x) for x in (buckets, disks)]
            service, answer = (
                ("their services have", "the services answer, or once their timeouts end")
                if len(buckets) > 1
                else ("its service has", "the service answers, or once its timeout ends")
            )
            said = f"on {named[0]}, {service} not answered"
            if helped or maybe:
                said = _helper_words(helped, maybe, buckets)
                # (the drives' clause comes between: the helper named again)
                answer = _uploads_removed(helped, maybe, buckets, named=True)
            drives = (
                "they may still be writing or flushing their caches"
                if len(disks) > 1
                else "it may still be writing or flushing its cache"
            )
            disk_calls = (
                "the drives' calls return" if len(disks) > 1 else "the drive's call returns"
            )
            return (
                waited + f"{said}; on {named[1]}, {drives}, "
                "which a slow drive takes long to do, or may hang); the partial uploads are "
                f"removed once {answer}{'' if helped or maybe else ' the wait'}, the partial "
                f"files once {disk_calls}; "
                f"kill -9 ends the run only once {disk_calls}; "
                "do not disconnect a drive that may be writing (it can damage its "
                "filesystem and the copies on it): only one that no longer works, or stop its "
                "driver (the same command run again removes what is left)"
            )
        if many:
            drives = "those drives may still be writing or flushing their caches"
            done = "they do"
        else:
            drives, done = "that drive may still be writing or flushing its cache", "it does"
        return (
            waited + f"{drives}, which a slow drive takes long to do, or may hang); the "
            f"partial files are removed once {done}; kill -9 ends the run only once {them}; "
            "do not disconnect a drive that may be writing (it can damage its "
            "filesystem and the copies on it): only one that no longer works, or stop its "
            "driver (the same command run again removes what is left)"
        )
    hung = "the card" if card and not event.destinations else "it"
    return (
        waited + f"{hung} may hang); the partial files are removed once it does; kill -9 "
        f"ends the run only once {them}: to end it sooner, "
        + ("pull the card" if card else "disconnect the drive")
        + " or stop its driver (the same command run again removes what is left)"
    )


def _further_said_at_once(signals: SignalsAfterCopy, waiting: _CancelWaitingSaid) -> str:
    """The line a further signal during the cancel gets at once (``SignalsAfterCopy``'s
    ``on_again``): what it does (nothing: the cancel is under way), and what the cancel
    waits for once said."""
    line = (
        f"a further {signal_words(signals.again)} changes nothing: the copy is being "
        "cancelled (its partial files are removed before the run ends)"
    )
    return f"{line}; {waiting.words}" if waiting.words else line


class _AfterCopySignals:
    """Tells the signal handler the copy is over at ``OffloadFinishing`` (the last copy job
    ended uncancelled; the manifests come next): from there a second Ctrl-C, or a second
    SIGTERM, stops the process (``SignalsAfterCopy``; a first SIGTERM only once
    ``run_offload`` has returned: the reports are written then)."""

    accepts = frozenset({OffloadFinishing})

    def __init__(self, signals: SignalsAfterCopy) -> None:
        self._signals = signals

    def emit(self, event: Event) -> None:
        if isinstance(event, OffloadFinishing):
            self._signals.after_copy(event.step)


#: The line of a run stopped by a Ctrl-C once its copy was over (every copy had its outcome,
#: or the copy was cancelled by an earlier one) while its manifests were written: what was
#: cut short is under a temporary name (manifests, reports), never under its final one.
#: ``stopped_after_copy`` words it for the step the stop came in.
STOPPED_AFTER_COPY = (
    "stopped by a further Ctrl-C while the manifests were written, the copy over: "
    "the manifests not yet written and the reports are missing; run the same command again "
    "to write them"
)


def stopping_words(where: tuple[str, ...]) -> str:
    """The line said at once when a stop waits for a call of the finish on the local
    destinations *where* (a hung drive): the run is stopped, what it waits for, and what
    ends it sooner. kill -9 leaves no file half-written under its final name (each is
    written under a temporary one, then renamed), but skips the clean-up the stop runs; nor
    does it end a call blocked in the kernel (a hung FUSE or USB drive) before that call
    returns (``cancel_waiting_words``)."""
    on = where[0] if len(where) == 1 else ("one of " + ", ".join(where) if where else "")
    on = printable_line(on) if on else "a destination"
    return (
        f"stopping: waiting for a call on {on} to return; kill -9 ends the run once that "
        "call returns (a hung drive: disconnect it or stop its driver to end it sooner), "
        "nothing half-written is left under a final name"
    )


def stopped_after_copy(
    signum: int | None,
    manifests: str | None = None,
    *,
    manifests_asked: bool = True,
    step: str = "",
) -> str:
    """The line of a run stopped once its copy was over, naming what was being written
    when the stop came (*signum*: a SIGTERM's own words; a SIGINT, or not known, a further
    Ctrl-C's). *manifests*: once the manifest step is over (``manifests_words``), what it
    left on each destination: the stop came while the reports were written, and only those
    not yet written are missing. Before that (None), the manifests were being written
    (``STOPPED_AFTER_COPY``), or, none asked for (*manifests_asked* false), the run was
    finishing the destinations before its reports: the reports are missing; or, *step*
    ``checks`` (``OffloadFinishing``), a cascade was checking its fast copies, before the
    slow destinations' manifests: those and the reports are missing (a fast copy whose
    check was not over is read back by the next run: its drive's mark stands)."""
    if step == "checks" and manifests is None:
        slow = "the slow destinations' manifests and " if manifests_asked else ""
        line = (
            "stopped by a further Ctrl-C while the cascade checked the fast copies, the copy "
            f"over: {slow}the reports are missing; run the same command again to write them"
        )
    elif manifests is not None:
        said = f"{manifests}; " if manifests else ""
        line = (
            "stopped by a further Ctrl-C while the reports were written, the copy over: "
            f"{said}the reports not yet written are missing; run the same command again to "
            "write them"
        )
    elif manifests_asked:
        line = STOPPED_AFTER_COPY
    else:
        line = (
            "stopped by a further Ctrl-C before the reports were written, the copy over: "
            "the reports are missing; run the same command again to write them"
        )
    if signum != signal.SIGTERM:
        return line
    return line.replace("a further Ctrl-C", "SIGTERM", 1)


def manifests_words(report: OffloadReport, asked: bool) -> str:
    """What the manifest step, over, left on each destination of *report*, in words: "the
    manifests are written on every destination", or which destinations have them and which
    not and why (their writing failed; a destination lost, or a cancel that came first,
    left it unfinished: ``OffloadReport.finished``). "" when no manifest was *asked* for."""
    if not asked:
        return ""
    written, failed, unfinished = [], [], []
    for d in report.job.destinations:
        if "manifest" in report.failed_steps.get(d.index, ()):
            failed.append(d.index + 1)
        elif d.lost or d.index not in report.finished:
            unfinished.append(d.index + 1)
        else:
            written.append(d.index + 1)
    if not failed and not unfinished:
        return "the manifests are written on every destination"

    def named(numbers: list[int]) -> str:
        return f"destination{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}"

    parts = (
        [f"the manifests are written on {named(written)}"]
        if written
        else ["no manifest is written"]
    )
    if failed:
        parts.append(f"not on {named(failed)} (their writing failed: see the report)")
    if unfinished:
        parts.append(f"not on {named(unfinished)} (lost, or cancelled before its manifests)")
    return ", ".join(parts)


def stopped_note(signum: int | None, manifests: str | None = None) -> str:
    """The note a JSON report already written is restated with when a signal stopped the
    run after it was written (exit 130): what that report no longer has beside it.
    *manifests*: ``manifests_words`` (a JSON report is written once the manifest step is
    over: its manifests are as these words say, not missing)."""
    words = "SIGTERM" if signum == signal.SIGTERM else "a further Ctrl-C"
    if manifests is None:  # not known: never said to be there
        missing, manifests_said = " and the manifests not yet written", ""
    else:
        missing, manifests_said = "", f" ({manifests})" if manifests else ""
    # Known, the manifest step was over: the stop came while the reports were written.
    writing = "the manifests and reports" if manifests is None else "the reports"
    return (
        f"stopped by {words} while {writing} were written, the copy over "
        f"(exit 130): this report's copies stand as it gives them{manifests_said}, but the "
        "reports after it (its HTML and PDF, which offload report makes from this file)"
        f"{missing} are missing; run the same command again to write them"
    )


def _restate_stopped(args: argparse.Namespace | None, env: Environment, signum: int | None) -> None:
    """The JSON reports a stopped run (``SignalsAfterCopy.stopped_by``) had already written,
    restated with exit 130 and ``stopped_note`` (their HTML and PDF removed: they state the
    run before it was stopped). A further signal meanwhile leaves the rest as they were."""
    written = getattr(args, "reports_written", None)
    if written is None:
        return
    try:
        note = stopped_note(signum, getattr(args, "manifests_words", None))
        for problem in written.restate(130, [note], stopped=True):
            env.error(problem)
    except KeyboardInterrupt:
        # Those not restated yet still give the exit code they were written with: named,
        # never left as "some" (the run itself exits 130).
        left = ", ".join(printable_name(name) for name in written.unrestated) or "none"
        env.error(
            "stopped again while the reports were restated: these still give the exit code "
            f"they were written with, not the run's 130: {left}"
        )


def _remove_start_record_if_reported(args: argparse.Namespace | None, env: Environment) -> None:
    """A run stopped once its local JSON report was written (it names the run's token, and
    ``_restate_stopped`` has made it say the stop): its start record goes, as at the end of
    ``_reports_and_summary`` (``report/started.py``: removed once its reports are written,
    whatever its outcome). With no local JSON report the record stays: nothing else says
    the run ended."""
    if args is None:
        return
    start = getattr(args, "start_record", None)
    written = getattr(args, "reports_written", None)
    if start is None or written is None:
        return
    # The record is ``<local report folder>/started/<run>.json``.
    if not any(Path(p).parent == start.parent.parent for p in written.json_written):
        return
    from offload.report.started import remove_start_record

    problem = remove_start_record(start, durable=False)
    if problem:
        env.warning(f"offload history may list this run as not finished: {problem}")
    args.start_record = None


def documents_not_written(written: ReportsWritten | None) -> list[str]:
    """For a run stopped once JSON reports were written (*written*), a line for each of
    them whose HTML and PDF are not there (never made, or removed by the restatement: they
    stated the run before it was stopped), in the words of the summary's ``REPORT NOT
    WRITTEN`` lines: the files and what makes them."""
    if written is None:
        return []
    lines = [
        f"the HTML and PDF reports {path.with_suffix('.html')} and {path.with_suffix('.pdf')}: "
        "the run was stopped before they were final (its JSON and CSV reports are written "
        f"there; offload report {shell_word(path)} makes them)"
        for path in written.json_written
        if not (path.with_suffix(".html").exists() and path.with_suffix(".pdf").exists())
    ]
    # The folders that refused their report, each by its error (the same command fails
    # there again): no stop kept them from it.
    lines.extend(written.json_refused.values())
    # The folders the stop left without any report (never "the JSON and CSV reports are
    # written" of a run whose other folders got none).
    left = written.folders_without_report()
    if left:
        lines.append(
            f"no report of this run in {', '.join(left)}: the run was stopped before "
            f"{'it was' if len(left) == 1 else 'they were'} written there; run the same "
            f"command again to write them{nothing_copied_again(written.totals)}"
        )
    return lines


def signal_after_copy(signal: str) -> str:
    """The note of a run whose *signal* (``SignalsAfterCopy.words``: the one that came,
    "Ctrl-C", "SIGTERM" or "SIGHUP (the terminal closed)") came once every copy had its
    outcome: what the summary, the reports and ``--json``'s ``job_report`` say instead of
    "cancelled". It is added before the manifests' and reports' outcome is known, so it
    claims nothing of them (a manifest that failed says so on its own line)."""
    return (
        f"{signal} came after every copy had finished: nothing was cancelled; the run went "
        "on to its end"
    )


#: What a note of a signal during the reports adds once the HTML and PDF reports were made
#: without it (``_reports_and_summary``): they are not made again for it.
# The signal came while (or after) the HTML and PDF were made: they were made without it.
DOCUMENTS_WITHOUT_SIGNAL = (
    "; the HTML and PDF reports were made without it (`offload report JOB.json` makes them "
    "again from the JSON report, which says it)"
)


def signal_during_reports(signal: str) -> str:
    """The warning of a run whose *signal* came while its reports were written, after
    every copy had finished (``signal_after_copy``'s words)."""
    return (
        f"{signal} came while the reports were written, after every copy had finished: "
        "nothing was cancelled; the run went on to its end"
    )


# The oldest generation's threshold while ``full_collections_paused``: never reached.
_NEVER = 1 << 30


@contextlib.contextmanager
def full_collections_paused() -> Iterator[None]:
    """The cyclic collector's collections of its oldest generation off for the block (its
    threshold as it was after, also on errors); the young generations are still collected.

    For ``offload copy`` from the scan to its end: a full collection walks every object
    the run holds (the scan's tree, the tasks, a result a file, ~1-2 million objects at
    50,000 files), holding the interpreter lock meanwhile, so in the copy it stalled every
    engine thread at once. At 50,000 files the run made 8 of them (3 in the plan, 4 in the
    copy, 1 in the manifests): ~0.63 s of the collector's ~0.96 s of CPU; they found
    nothing (the plan, the copy and the manifests left 0, 359 and 0 objects of cyclic
    garbage at all, ``gc.collect`` after each with the collector off: docs/performance.md,
    "The 50,000-file card: where its time goes ...: sixteenth pass"). A cycle dropped young (an
    error's traceback) is still collected by the young generations' collections, so
    memory stays bounded by the objects alive; only a cycle that lived through two of
    them waits for the collector's first full collection after the block."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], _NEVER)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


# The young generation's threshold while ``young_collections_spaced`` (CPython's default 700).
_JOB_YOUNG = 100_000


@contextlib.contextmanager
def young_collections_spaced(spaced: bool = True) -> Iterator[None]:
    """The cyclic collector's youngest generation collected every ``_JOB_YOUNG`` net
    allocations instead of every 700 for the block, if *spaced* (its thresholds as they
    were after, also on errors; never lowered): for ``offload copy``'s job and manifests to
    local destinations.

    Why: a collection holds the interpreter lock, stalling every engine thread. A file's
    objects that live to the end (its result, its copy's, their digests) are walked once by
    a youngest collection whatever its threshold, but at 700 every tenth one also collects
    the middle generation and walks them again: at 50,000 files 65 of them, ~0.07 s of the
    job's CPU (~0.025 s more in the manifests). At ``_JOB_YOUNG`` a 50,000-file job makes 3
    youngest collections and no middle one: the collector's CPU 0.23 -> 0.13 s a run
    (docs/performance.md, "The collector's generations in the job: thirty-sixth pass").
    Cyclic garbage waits longer, at most ``_JOB_YOUNG`` net allocations more: the peak
    memory of that run the same (~138 MiB); not with an S3 destination (the caller's
    *spaced*), whose parts are buffers made for each, which a cycle would keep meanwhile."""
    thresholds = gc.get_threshold()
    if spaced:
        gc.set_threshold(max(thresholds[0], _JOB_YOUNG), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the block, as it was after (also on errors).

    For the end of an offload: the reports and the summary allocate a few objects a file
    (the JSON's entries, the clips, the HTML/PDF's view), and every ~700 allocations the
    collector ran, every few of those over the whole run's objects (a result a file, alive
    until the command returns): at 50,000 files ~1 s of the end's ~7 s of CPU, for almost
    no garbage (the reports make no cycles a file: nothing was left to collect after them,
    measured with ``gc.collect``). Reference counting still frees everything as before; a
    cycle made meanwhile waits for the collector's next run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _reports_and_summary(
    args: argparse.Namespace,
    env: Environment,
    report: OffloadReport,
    no_cascade: str | None,
    worker: DocumentWorker | None,
    json_sink: JsonLinesSink | None,
    late_signal: Callable[[], str | None],
    *,
    view: tuple[LiveView | None, Callable[[], None]] = (None, lambda: None),
) -> int:
    """``_offload`` once the copy is done: the reports, the summary, the exit code.
    *late_signal*: the note of a signal that came once the copy was over and after the
    run's notes were made (None: none came): the JSON reports, written before, are restated
    with it (``ReportsWritten.restate``). ``args.reports_written`` is what was written, for
    ``main`` to restate if a signal stops the run. *view*: the live view still shown (None:
    none) and what closes it, called once the JSON and CSV reports are written, its last
    frame naming those not written."""
    from offload.report.job_report import ReportsWritten, failures, write_reports
    from offload.report.left_behind import left_behind_json

    if no_cascade is not None:
        report.notes.append(no_cascade)
    # A destination that refuses its report is recorded on the report by write_reports.
    args.reports_written = written = ReportsWritten()
    try:
        # A named report folder is made if missing, never the folders above it: an external
        # drive unmounted during the run is not rebuilt on the disk below (local_report_dir).
        write_reports(
            report,
            args.report_dir or default_report_dir(),
            worker=worker,
            into=written,
            local_parents=args.report_dir is None and not os.environ.get("OFFLOAD_REPORT_DIR"),
            local_device=getattr(args, "report_device", None),
        )
        if view[0] is not None:
            view[0].reports_written(
                [(r["message"], r["fails_run"], r["destination_index"]) for r in written.refusals]
            )
    finally:
        view[1]()  # the summary is printed below the view's last frame
    # The reports say what the run did from here on: its start record goes
    # (``report/started.py``), whatever its outcome.
    start = getattr(args, "start_record", None)
    if start is not None:
        from offload.report.started import remove_start_record

        # Not fsynced where the local job report, which names the run, was written.
        problem = remove_start_record(start, durable=written.local_error is not None)
        if problem:
            env.warning(f"offload history may list this run as not finished: {problem}")
        args.start_record = None
    report.report_paths = written.paths
    # The code the reports state, worked out once by ``write_reports`` (nothing that changes
    # it happens since): at 50,000 files, asking the report again cost ~6 ms more.
    exit_code = written.exit_code
    failed = failures(report, exit_code=exit_code)

    documents_made = False  # the HTML and PDF written: a note from now on is not in them

    def restate_late_signal() -> None:
        note = late_signal()
        if note is None or any(n.startswith(note) for n in report.notes):
            return
        if documents_made and written.documents_written:
            # Not made again for it: at 50,000 files that would be seconds more at the end,
            # for a note that changes no copy's state; the JSON, restated, says it. None
            # written (each refused): nothing to say of them.
            note += DOCUMENTS_WITHOUT_SIGNAL
        report.notes.append(note)
        report.notes.extend(written.restate(exit_code, [note]))

    if json_sink is not None:
        restate_late_signal()  # before the HTML and PDF are written: they carry it too
        written.finish_documents()
        documents_made = True
        report.notes.extend(written.document_errors)
        report.notes.extend(written.findings_unwritten)  # each report is there: no refusal
        restate_late_signal()
        for refused in written.refusals:  # each report not written, before the verdict
            json_sink.write({"event": "report_refused", "time": round(time.time(), 3), **refused})
        # The line whole, or nothing: no signal stops the run from here (its exit code is
        # the line's), nor restates the reports it names.
        args.signals.holding = True
        json_sink.write(
            {
                "event": "job_report",
                "time": round(time.time(), 3),
                "exit_code": exit_code,
                "reports": report.report_paths,
                # The saved report's very entries: each key means the same in both.
                "destinations": written.destinations,
                # The counts the summary prints (ignored entries among them) and the entries
                # ignored, as the saved report has them: a script learns what the terminal says.
                "totals": written.totals,
                "ignored": written.ignored,
                "failures": failed,
                "card_release": written.card_release,
                # The card's own content not whole, as the summary's CARD CONTENT lines say
                # (null: not known, no HTML/PDF report made).
                "card_content": written.card_content,
                "card_gone": report.card_gone,
                "notes": report.notes,
                # As the saved report's: what S3 destinations may have left in the bucket.
                "left_behind": left_behind_json(report.left_behind),
            }
        )
        return exit_code
    # The summary goes to stderr with the rest of the human output; stdout stays for --json.
    from rich.console import Console

    from offload.report.summary import summary_table, verdict_lines

    try:
        # Not on a terminal: laid out for ``$COLUMNS``, else 120 columns. No emoji codes: the
        # table's names are Text, its other cells and headers are ours and hold none, and
        # looking for them in each cell loaded rich's table of codes (~2 ms of the end's CPU:
        # docs/performance.md, "Fixed cost: twenty-seventh pass").
        out = Console(
            file=env.stderr,
            width=None if env.stderr.isatty() else columns_asked(120),
            emoji=False,
        )
        out.print(summary_table(report))
        for line in verdict_lines(report):
            print(printable_line(line), file=env.stderr)
        if written.card_release:  # may the card be formatted (report/release.py)
            print(printable_line(written.card_release["text"]), file=env.stderr)
    except Exception:  # stderr gone, a bug: the documents are still written (not on Ctrl-C)
        written.finish_documents()
        raise
    # The HTML and PDF reports, which the worker made while the lines above were printed
    # (nothing above depends on them): durable before the notes and the exit. A signal
    # recorded by now is in them too (made again here from the restated data).
    restate_late_signal()
    written.finish_documents()
    documents_made = True
    # What the card itself holds that is not whole (a span or frames missing, frames
    # damaged, an empty clip file), a line a kind: found by the documents' grouping of the
    # clips (the report worker's), so known only now; the copies are what the lines above
    # say, and these say so.
    for content in written.card_content or ():
        print(printable_line(content["message"]), file=env.stderr)
    # Each HTML or PDF report not written, a line of the summary's own: the file, why and
    # what to do, in the words of the live view's lines for the JSON and CSV; the exit code
    # stands (README). Joined to the local folder's note in one WARNING, after the card's
    # release and below every other line, it went unseen.
    for note in written.document_errors:
        print(f"REPORT NOT WRITTEN: {printable_line(note)}", file=env.stderr)
    # A JSON report the probing's findings could not be added to is there, written whole
    # before: a WARNING of the notes, never REPORT NOT WRITTEN (a script took it as missing).
    report.notes.extend(written.findings_unwritten)
    restate_late_signal()
    # Every report final, stating the exit code: no signal stops the run from here.
    args.signals.holding = True
    from offload.report.failure_lines import failure_lines, folder_error_lines

    # A lost destination's: one line and a count; a card gone: one line.
    for line in failure_lines(report, failed):
        env.error_line(line)
    for error in folder_error_lines(report):  # one line each: a name's newline escaped
        env.error_line(error)
    for note in report.notes:
        env.warning(note)
    for path in report.report_paths[:1]:
        # Its HTML and PDF beside it, each only when written (as ``offload report`` names
        # them; one not written has its REPORT NOT WRITTEN line above); the JSON's line
        # stays the last, which scripts read.
        for document in written.documents_written:
            if document.with_suffix(".json") == Path(path):
                kind = document.suffix[1:].upper()
                print(f"{kind} report: {printable_name(str(document))}", file=env.stderr)
        print(f"Report: {printable_name(path)}", file=env.stderr)
    return exit_code


def _console(env: Environment) -> Console:
    from rich.console import Console

    return Console(file=env.stderr)


def _progress_model() -> ProgressModel:
    from offload.progress import ProgressModel

    return ProgressModel()


def _json_sink(env: Environment, model: ProgressModel | None) -> JsonLinesSink:
    from offload.report.events_json import JsonLinesSink

    assert model is not None, "--json writes progress lines: it has a progress model"
    from offload.cli.common import say_stdout_lost
    from offload.cli.reader_gone import lost

    if (why := lost(env.stdout)) is not None:  # closed (>&-): the lines go to /dev/null
        say_stdout_lost(env, why)
    return JsonLinesSink(env.stdout, progress=model, on_lost=lambda w: say_stdout_lost(env, w))


def _open_progress_trace(
    path: str | None, model: ProgressModel | None
) -> ProgressTraceWriter | None:
    """The ``--progress-trace`` writer, on a new file (an existing one is never replaced)."""
    if path is None:
        return None
    assert model is not None, "a progress trace records the progress: it has a model"
    from offload.progress_trace import ProgressTraceWriter

    shown = printable_name(path)  # one line, its control characters escaped
    try:
        stream = open(path, "x", encoding="utf-8")  # noqa: SIM115 (closed after the run)
    except FileExistsError:
        raise UsageError(
            f"--progress-trace {shown}: the file exists; name a new file (it is never replaced)"
        ) from None
    except OSError as error:
        raise UsageError(
            f"--progress-trace {shown}: cannot create it ({error.strerror}); name a writable file"
        ) from None
    return ProgressTraceWriter(stream, progress=model)


_freezing_at_exit = False


def _freeze_objects_at_exit() -> None:
    """At the interpreter's exit, move every object to the collector's permanent generation
    (``gc.freeze``) first: its last collection then has nothing to walk. That collection
    looked through every object of the run (the plan, the results: one set a file) and took
    ~20 ms of a 200-file card's ~30 ms exit, growing with the card. Nothing of the command's
    is left to that collection: every report and manifest is written, fsynced and closed
    before the command returns; stdout and stderr are flushed by the interpreter anyway.
    Registered once per process (``main`` may run many times in one)."""
    global _freezing_at_exit
    if not _freezing_at_exit:
        _freezing_at_exit = True
        atexit.register(gc.freeze)


def main(
    argv: Sequence[str] | None = None,
    env: Environment | None = None,
    *,
    report_worker: DocumentWorker | None = None,
    parsed: argparse.Namespace | None = None,
    parser: argparse.ArgumentParser | None = None,
    own_process: bool = False,
) -> int:
    """The ``offload`` command. *report_worker*: ``offload copy``'s report worker, spawned
    by the entry point before this module was imported (closed here if unused). *parsed*:
    *argv* as the entry point parsed it already, with this parser (``cli/parser.py``),
    before this module was imported (``entry._copy_arguments``). *parser*: the parser of
    every command, which the entry point built while it loaded the commands' modules
    (``entry._load``), to parse *argv* with. *own_process*: the
    process is this command's alone and ends when it returns (the entry point's): once
    ``offload copy``'s outcome is stated its signal handler stays to the end
    (``SignalsAfterCopy.kept``)."""
    env = env or Environment()
    words = sys.argv[1:] if argv is None else list(argv)
    args: argparse.Namespace | None = parsed
    try:
        if args is None:
            if parser is None:
                parser = build_parser(copy_only=words[:1] == ["copy"])
            args = parser.parse_args(words)
        if args.command == "copy":
            return cmd_copy(args, env, report_worker, own_process=own_process)
        if args.command == "verify":
            from offload.cli.verify_cmd import cmd_verify

            return cmd_verify(args, env, own_process=own_process)
        if args.command == "bench":
            from offload.bench.cli import cmd_bench

            return cmd_bench(args, env)
        if args.command == "history":
            from offload.cli.history_cmd import cmd_history

            return cmd_history(args, env)
        if args.command == "report":
            from offload.report.cli import cmd_report

            return cmd_report(args, env)
        raise UsageError(f"unknown command {args.command}")
    except UsageError as error:
        from offload.cli.final_signals import holding

        as_json = _json_stream_wanted(words, args)
        # The refusal is the outcome: written whole, its exit code the process's, a signal
        # meanwhile (or, in the command's own process, up to its exit) only named.
        what = "the offload_refused line" if as_json else "the refusal"
        with (
            holding(f"while {what} was written", keep=own_process, warn=env.warning)
            if env.install_signal_handlers
            else contextlib.nullcontext()
        ):
            env.error(error.message)
            if as_json:
                _write_refusal(env, error)
        return int(error.exit_code)
    except (KeyboardInterrupt, RuntimeError) as exc:
        # Ctrl-C before ``offload copy``'s copy (parsing, the scan, the preflight: nothing
        # written yet; once the copy starts, SIGINT cancels it instead of raising). Any
        # other command's, or one after the copy, or another error goes on up as before.
        from offload.cli.entry import cancelled_at_start, interrupted

        copy = words[:1] == ["copy"] if args is None else args.command == "copy"
        if not interrupted(exc) or not copy:
            raise
        signals = getattr(args, "signals", None)
        if signals is not None and signals.holding:
            # The outcome was stated and the handler put back (a caller's own process):
            # this Ctrl-C is the caller's, after the run.
            raise
        if signals is not None and signals.finishing:
            # A second Ctrl-C, or a SIGTERM, once the copy is over (``SignalsAfterCopy``):
            # the reports already written say so before the command ends.
            _restate_stopped(args, env, signals.stopped_by)
            _remove_start_record_if_reported(args, env)
            env.error(
                stopped_after_copy(
                    signals.stopped_by,
                    getattr(args, "manifests_words", None),
                    manifests_asked=getattr(args, "manifests_asked", True),
                    step=signals.step,
                )
            )
            for line in documents_not_written(getattr(args, "reports_written", None)):
                print(f"REPORT NOT WRITTEN: {printable_line(line)}", file=env.stderr, flush=True)
            return 130
        if getattr(args, "copy_started", False):
            raise

        _record_cancel(args, env)
        return cancelled_at_start(
            env.stdout,
            env.stderr,
            command="copy",
            as_json=_json_stream_wanted(words, args),
            hold=env.install_signal_handlers,
            keep=own_process,
        )
    finally:
        if report_worker is not None:  # unused (a usage error, --help, Ctrl-C): killed, reaped
            report_worker.close()


def _json_stream_wanted(words: Sequence[str], args: argparse.Namespace | None) -> bool:
    """Whether a refused ``offload copy`` owes stdout its ``--json`` line: as parsed, or, when
    the arguments could not be parsed, as written."""
    if args is not None:
        return args.command == "copy" and bool(getattr(args, "json", False))
    return words[:1] == ["copy"] and "--json" in words


def _write_refusal(env: Environment, error: UsageError) -> None:
    """The one ``offload_refused`` line of a ``--json`` run refused before its copy
    (docs/json.md): a script reading stdout learns why, as the terminal does on stderr."""
    from offload.json_text import stream_dumps

    payload = {
        "event": "offload_refused",
        "time": round(time.time(), 3),
        "exit_code": int(error.exit_code),
        "message": error.message,
        # The preflight's findings (``PreflightRefused``), another run's lock alone (its one
        # ``copy-root-busy``: ``CopyRootBusy``), none for any other usage error.
        "errors": error.errors,
        "warnings": error.warnings,
    }
    line = stream_dumps(payload, env.stdout)
    try:
        env.stdout.write(line + "\n")
        env.stdout.flush()
    except UnicodeError:  # not a reader gone: a bug to be seen
        raise
    except (OSError, ValueError):  # a reader that went away: stderr has said it
        pass


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
