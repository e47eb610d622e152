"""``pfndispatchcopy``: one source file to N destination files, compatible with Pomfort's engine.

Usage (Pomfort's single-dash long flags, plus GNU-style aliases)::

    pfndispatchcopy [-v] [-t HASH]... [-b BYTES] [-f_size BYTES] [-noflush_dest PATH]... [-k]
                    [--verify MODE] [--overwrite] [--create-folders] SRC DST1 [DST2 ...]

With ``-v`` it prints Pomfort's lines::

    INFO: copying SRC...
    INFO: copied N of M bytes          (about once a second while a destination is
                                       written: N the bytes written on the slowest one;
                                       a bucket's, those its service holds, followed by
                                       "(uploading: K more bytes taken by the upload, not
                                       yet stored)" while its upload has taken more)
    INFO: cancelling (Ctrl-C): ...     (at once on a signal during the copy; no progress
                                       line after it)
    hash XXH64BE:<hex>                 (one line per algorithm; always printed)
    INFO: copy speed B bytes in S.SSSSS sec (X.X MB/sec)
                                       (B 0, X 0.0 when no byte was copied: every copy was
                                       already there, read back and kept; S the time taken;
                                       no line when every destination failed)

Errors go to stderr as ``ERROR: ...`` lines naming the destination and file, each as soon
as the copy knows it (a destination refused before the copy: at its start; a failure in
the same words on every destination, the source's, once: ``_SaidAtOnce``); a destination
that cannot be written (a read-only mount, no permission), has no room for the file (the
preflight's line: what is free there, what the copy needs, what to do) or cannot hold a file
that large (FAT: 4 GiB - 1 byte; the preflight's line) is such a line naming its folder
(each of these reasons it has, its being unwritable first: a read-only drive too small),
and the others are copied and verified all the same (``-k``); so is a copy already
on a read-only drive, equal to the source but of another date, which cannot be given the
source's (remount it read-write, or leave it out). A destination
given with ``-noflush_dest`` gets a ``WARNING: DST: not flushed (-noflush_dest): ...`` line
on stderr (with or without ``-v``) saying what was proved there: read back from the page
cache, not from the disk (or, with ``--verify transfer``, not read back at all). Any other
copy whose read-back went through a cache (a tmpfs destination, pages that could not be
dropped, a network share's server) gets ``WARNING: DST: READ THROUGH A CACHE: ...``, as
``offload copy``'s summary says it; a file dated outside what a destination's filesystem
holds (exFAT, FAT: 1980 to 2107) gets ``offload copy``'s ``mtime-not-kept`` line, ``WARNING:
...``, on stderr, as do the preflight's other warnings that apply to one file (a destination
on the source's filesystem or disk, a name Windows will not open...: ``api._SAID_WARNINGS``).
With ``-v`` a copy
that is not written and read back now gets an ``INFO: DST ...`` line: one already at the
destination (read back, equal to the source, kept) or one only transfer-checked
(``--verify transfer``). A cancel still waiting ``CANCEL_WAITING_S`` (5 s) after the signal
for a call that has not returned (a hung drive) says so on stderr, ``WARNING: cancelling:
waiting for a call on DST to return ...``, with what ends it. An ``s3://`` destination whose
service answers none of its requests for 5 s, they being retried (``s3unreachable``), says
so on stderr, ``WARNING: waiting for s3://...: not answering since HH:MM:SS (retrying)``,
then ``WARNING: s3://... answers again (...)`` or ``WARNING: s3://...: not answering since
HH:MM:SS: given up on (lost)`` (with or without ``-v``; no line of Pomfort's on stdout has
a place for it). Exit codes: 0 verified
everywhere (transfer-checked only with
``--verify transfer``; a ``-noflush_dest`` destination, or one read back through a cache, as
its WARNING line says), 1 some destination failed (one that cannot be written, has no
room, cannot hold a file that large or refuses the name or path, an ``s3://`` key too long,
among them), others verified, 2 nothing verified,
64 usage error or bad input (nothing written; a file already at a destination that differs
from the source), 130 cancelled (partials removed; the same command again completes it; a
Ctrl-C, SIGTERM or closed terminal once every copy had its outcome cancels nothing: a
WARNING line says so, the exit code is the outcome's). A stdout that cannot be written (a
full device, ``>&-``) changes no exit code: a ``WARNING: stdout could not be written
(...): its hash line is this one: hash ...`` line on stderr gives each hash line lost.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import stat
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from offload._version import __version__
from offload.api import copy_with_multiple_destinations
from offload.cli.common import (
    Environment,
    SignalsAfterCopy,
    UsageParser,
    add_block_size_option,
    add_hash_option,
    add_verify_option,
    cancel_on_signals,
    engine_arguments,
    hash_algorithms,
    keep_signals_to_exit,
    path_text,
    signal_words,
)
from offload.destinations.s3config import settings_from_env
from offload.destinations.s3url import is_s3_url
from offload.engine.cancel import CANCEL_WAITING_S, CancelToken
from offload.errors import (
    DriveUnreachable,
    ExitCode,
    OffloadError,
    UsageError,
    printable_name,
    printable_text,
    reach,
)
from offload.events import (
    CancelWaiting,
    DestinationBytesWritten,
    DestinationFull,
    DestinationLost,
    DestinationNotAnswering,
    Event,
    FileCancelled,
    FileFailed,
    FileStarted,
    FileVerified,
    FileVerifiedEarlier,
    JobStarted,
    WarningIssued,
)
from offload.options import CopyOptions, ExistingFilePolicy
from offload.remedies import one_file_words
from offload.report.words import PAGE_CACHE
from offload.results import (
    GOOD_STATUSES,
    WRITTEN_ACTIONS,
    CacheBypass,
    CopyAction,
    DestinationFileResult,
    DestinationStatus,
    JobReport,
)

PROGRESS_INTERVAL_S = 1.0


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(
        prog="pfndispatchcopy",
        allow_abbrev=False,
        description="Copy one file to several destinations with one read of the source, "
        "hashing in flight and verifying every copy from the media.",
        epilog="Exit codes: 0 every copy verified (with --verify transfer: every copy "
        "transfer-checked only, never read back; a -noflush_dest destination, or one read "
        "back through a cache such as a tmpfs: said in a WARNING line); 1 some destination "
        "failed (a read-only one, one without room or on FAT for a file over 4 GiB, a name or "
        "path the destination refuses (an s3:// key too long), among them), others "
        "succeeded; 2 none "
        "succeeded; 64 usage error / bad input, nothing written; "
        "130 cancelled (re-run the same command to complete it: a copy already at a "
        "destination is read back and kept when equal to the source, refused when not; a "
        "signal once every copy had its outcome cancels nothing: the outcome's code). "
        "-k (keep going) is always in effect: one failed destination never stops the others.",
    )
    parser.add_argument("source", metavar="SRC", type=path_text)
    parser.add_argument(
        "destinations",
        metavar="DST",
        nargs="+",
        type=path_text,
        help="destination file path, or a folder (an existing one, or one written with a "
        "trailing /: the file goes in it under the source's name; --create-folders makes a "
        "missing one), or s3://bucket/key (s3://bucket/folder/ likewise; docs/s3.md)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print Pomfort's INFO lines")
    add_hash_option(parser, "xxh64be")
    add_block_size_option(parser, "8388608")
    parser.add_argument(
        "-f_size",
        "--file-size",
        dest="f_size",
        type=int,
        metavar="BYTES",
        help="expected source size; a mismatch is an error before writing",
    )
    parser.add_argument(
        "-noflush_dest",
        "--noflush-dest",
        dest="noflush",
        action="append",
        default=[],
        metavar="PATH",
        type=path_text,
        help="do not flush this destination: its read-back then comes from the page cache, "
        "not the disk, and a WARNING line on stderr says so",
    )
    parser.add_argument(
        "-k",
        "--keep-going",
        action="store_true",
        help="accepted for compatibility; always in effect",
    )
    add_verify_option(parser)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing destination file (after the new copy is verified)",
    )
    parser.add_argument(
        "--create-folders", action="store_true", help="create missing destination folders"
    )
    parser.add_argument(
        "--s3-endpoint",
        metavar="URL",
        help="endpoint of an S3-compatible service for s3:// destinations (default: "
        "AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, else AWS)",
    )
    parser.add_argument(
        "--s3-profile",
        metavar="NAME",
        help="AWS profile (~/.aws/config) for s3:// destinations (default: AWS_PROFILE)",
    )
    parser.add_argument(
        "--s3-head-check",
        action="store_true",
        help="for an S3 service that ignores or refuses If-None-Match (without it such a "
        "service is refused): check the key with a HEAD just before writing it; racy "
        "(also OFFLOAD_S3_HEAD_CHECK=1)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


# Pomfort's label of the digest each canonical algorithm prints, where it is not the name
# upper case: ours of xxh64 is big-endian hex (as ``xxhsum -H1``), Pomfort's XXH64BE (its bare
# XXH64 is the little-endian digest, which offload-ai never prints).
_LABELS = {"xxh64": "XXH64BE"}


def _hash_label(canonical: str) -> str:
    """The label of the ``hash`` line of *canonical*'s digest: by what is printed, never by
    the alias asked for (xxh64, xxh64be and xxhash64be are one digest, one line)."""
    return _LABELS.get(canonical, canonical.upper())


# A destination past these is no longer copying (its outcome known, or it is gone).
_NO_LONGER_COPYING = (
    FileVerified,
    FileFailed,
    FileCancelled,
    FileVerifiedEarlier,
    DestinationLost,
    DestinationFull,
)


_COPY_BEGAN = (
    FileStarted,
    DestinationBytesWritten,
    FileVerified,
    FileVerifiedEarlier,
    FileCancelled,
)


class _VerboseProgress:
    """Prints ``INFO: copying SRC...`` when the copy starts (after the input was checked: bad
    input gets only its ERROR line, and a copy whose every destination was refused up front
    none: it copies nothing) and ``INFO: copied N of M bytes`` about once a second
    while a destination is still being written: N the bytes written on the slowest
    destination still copying (a bucket's: what its service holds, a part at a time, and
    after it "(uploading: K more bytes taken by the upload, not yet stored)", what its upload
    took beyond that; one that failed, or has the file already, no longer counts),
    from its own clock, so that a destination that stalls (no event comes) still gets its
    line each second. The read-back that follows the writes prints none. ``close`` stops
    the clock."""

    # What it is told: the written bytes, and when a destination is no longer copying. Not
    # ``DestinationWriting``: a bucket's *taken* comes with every write's byte event
    # (``engine.writer``), whether or not a chunk's start is said to anyone.
    # "copying SRC..." is said at the first sign of a copy (``_COPY_BEGAN``: the source's
    # read begins, a byte written, a copy's outcome other than a failure, a copy already
    # there kept), which no job whose every destination was refused up front gives
    # (before, it was said at ``JobStarted`` all the same, above the refusals' ERROR
    # lines, and nothing was copied).
    accepts = frozenset({JobStarted, FileStarted, DestinationBytesWritten, *_NO_LONGER_COPYING})

    def __init__(self, env: Environment, total: int, source: str) -> None:
        self._env = env
        self._total = total
        self._source = source
        self._lock = threading.Lock()
        self._written: dict[int, int] = {}  # by destination still copying
        # By bucket: what its upload took (``DestinationBytesWritten.taken``), ahead of what
        # its service answered for (``nbytes``, a part at a time): a slow link's first
        # seconds are not "copied 0".
        self._taken: dict[int, int] = {}
        self._stop = threading.Event()
        self._clock: threading.Thread | None = None
        self._said = threading.Lock()  # a progress line and the cancel's, never interleaved
        self._copying = False  # "copying SRC..." said: progress lines may follow
        self._cancelling = False
        self._closed = False  # the copy ended: nothing more said (the hash lines follow)

    def _say(self, line: str) -> None:
        """*line* on stdout in one write (text and newline together: ``print`` writes them
        apart, and a line of another thread's may land between them). Under ``_said``."""
        self._env.stdout.write(line + "\n")
        self._env.stdout.flush()

    def cancelling(self, signal_said: str) -> None:
        """The copy is being cancelled (*signal_said*: the signal, in words): said at once,
        on stdout with the other ``INFO:`` lines (those a host reads), and no progress line
        from now on (before: "copied 0 of N bytes" each second while a hung destination
        kept the cancel waiting, nothing acknowledging it). Not what it cancels: a signal
        while the copy is published may come too late to cancel anything (the outcome's
        lines say what was), so it says only what a cancel does. Nothing once ``close``d: a
        late signal's line never lands among the outcome's (the hash line a host parses)."""
        with self._said:
            if self._cancelling or self._closed:
                return
            self._cancelling = True
            self._stop.set()
            self._say(
                f"INFO: cancelling ({signal_said}): a copy not yet verified is cancelled and "
                "its partial file removed before the run ends"
            )

    def emit(self, event: Event) -> None:
        if not self._copying and isinstance(event, _COPY_BEGAN):
            with self._said:
                if not self._copying:
                    self._copying = True
                    self._say(f"INFO: copying {printable_name(str(self._source))}...")
        if isinstance(event, FileStarted):
            return
        if isinstance(event, JobStarted):
            with self._lock:
                self._written = dict.fromkeys(range(len(event.destinations)), 0)
            self._clock = threading.Thread(target=self._tick, name="pfn-progress", daemon=True)
            self._clock.start()
            return
        with self._lock:
            if isinstance(event, DestinationBytesWritten):
                index = event.destination_index
                if index in self._written:
                    self._written[index] += event.nbytes
                    if event.taken:
                        self._taken[index] = self._taken.get(index, 0) + event.taken
            elif isinstance(event, _NO_LONGER_COPYING):
                self._written.pop(event.destination_index, None)

    def _copied(self) -> tuple[int, int] | None:
        """The bytes written on the slowest destination still writing (a bucket's: those its
        service holds) and, for a bucket, those its upload took beyond them (sent, being sent
        or queued); None when none is writing (every one written whole, or done)."""
        with self._lock:
            slowest = min(
                ((n, self._taken.get(i, 0)) for i, n in self._written.items()), default=None
            )
        if slowest is None or slowest[0] >= self._total:
            return None
        copied, taken = slowest
        return copied, max(0, min(taken, self._total) - copied)

    def _tick(self) -> None:
        while not self._stop.wait(PROGRESS_INTERVAL_S):
            progress = self._copied()
            if progress is None:
                return
            copied, in_flight = progress
            # Pomfort's line; a bucket's (no destination of Pomfort's) says what is under
            # way beyond what its service holds: a slow link is uploading, never "copied 0"
            # alone.
            uploading = (
                f" (uploading: {in_flight} more bytes taken by the upload, not yet stored)"
                if in_flight
                else ""
            )
            with self._said:
                if self._cancelling:
                    return
                if not self._copying:  # the source's read has not begun (its open hangs)
                    continue
                self._say(f"INFO: copied {copied} of {self._total} bytes{uploading}")

    def close(self) -> None:
        """Stop the clock (the copy ended): no progress line, and no cancel's, after the
        outcome's."""
        with self._said:
            self._closed = True
        self._stop.set()
        if self._clock is not None:
            self._clock.join()


class _SaidAtOnce:
    """Says on stderr, as soon as the copy knows it, what would otherwise wait for the end
    (a FAT drive refused for a 4 GiB file after a long copy to the others): each warning
    (``WARNING:``: the preflight's, a date not kept...) and each destination's failure
    (``ERROR:``, its line as the outcome would give it), then hands every event to *then*
    (``-v``'s progress). ``_say_outcome`` says none of them again (``warned``,
    ``failed``). A failure in the same words on several (the source's: it changed, its
    drive went away) is said once."""

    def __init__(
        self,
        env: Environment,
        then: _VerboseProgress | None,
        source: str = "",
        destinations: Sequence[str] = (),
    ) -> None:
        self._env = env
        self._then = then
        self._source = source
        self._destinations = destinations
        self._lock = threading.Lock()
        self.warned: set[str] = set()
        self.failed: dict[int, str] = {}  # destination index -> the line said
        self.accepts = frozenset(
            {WarningIssued, FileFailed, CancelWaiting, DestinationNotAnswering}
        ) | (then.accepts if then is not None else frozenset())

    def emit(self, event: Event) -> None:
        if isinstance(event, CancelWaiting):
            self._env.warning(cancel_waiting_line(event, self._source, self._destinations))
            return
        if isinstance(event, DestinationNotAnswering):
            # A bucket answering nothing while its requests are retried: said as ``offload
            # copy`` says it without a live view, on stderr (no line of Pomfort's on stdout,
            # which a host parses, has a place for it).
            line = not_answering_line(event, self._destinations)
            if line is not None:
                self._env.warning(line)
            return
        if isinstance(event, WarningIssued):
            with self._lock:
                if event.message in self.warned:
                    return
                self.warned.add(event.message)
                self._env.warning(one_file_words(event.message))
            return
        if isinstance(event, FileFailed) and event.destination_index >= 0:
            with self._lock:
                # A source's failure comes once per destination, in the same words (they
                # name no destination): said once.
                if event.message not in self.failed.values():
                    self._env.error_line(one_file_words(event.message))
                self.failed[event.destination_index] = event.message
        if self._then is not None and type(event) in self._then.accepts:
            self._then.emit(event)


def not_answering_line(event: DestinationNotAnswering, destinations: Sequence[str]) -> str | None:
    """The words of a bucket's service answering nothing (``s3unreachable``): waiting, then
    answering again or given up on; None for a state not known."""
    from offload.destinations import s3unreachable

    index = event.destination_index
    where = printable_name(destinations[index]) if index < len(destinations) else "a bucket"
    return s3unreachable.wait_words(event.state, where, event.since)


def cancel_waiting_line(event: CancelWaiting, source: str, destinations: Sequence[str]) -> str:
    """What a cancel still waits for ``CANCEL_WAITING_S`` after the signal (the engine's
    ``CancelWaiting``), and what ends it, as ``offload copy`` says it: a call blocked in the
    kernel (a hung drive, a FUSE filesystem) outlives kill -9 too."""
    on = [f"the source {printable_name(source)}"] if event.card else []
    on += [printable_name(destinations[i]) for i in event.destinations if i < len(destinations)]
    many = len(on) > 1
    calls, them = ("calls", "those calls return") if many else ("a call", "that call returns")
    waited = (
        f"cancelling: waiting for {calls} on {' and '.join(on) or 'a destination'} to return "
        f"(none for {int(CANCEL_WAITING_S)} s: "
    )
    drives = [destinations[i] for i in event.destinations if i < len(destinations)]
    if drives and not event.card and not any(map(is_s3_url, drives)):
        writing = (
            "those drives may still be writing or flushing their caches"
            if many
            else "that drive may still be writing or flushing its cache"
        )
        return (
            f"{waited}{writing}, which a slow drive takes long to do, or may hang); the partial "
            f"files are removed once {'they do' if many else 'it does'}; kill -9 ends the run "
            f"only once {them}; do not disconnect a drive that may be writing (it can damage "
            "its filesystem and the copies on it): only one that no longer works, or stop its "
            "driver"
        )
    if event.card and not drives:
        return (
            f"{waited}its drive may hang); the partial files are removed once it returns; "
            f"kill -9 ends the run only once {them}: to end it sooner, disconnect the "
            "source's drive or stop its driver"
        )
    # A bucket among them: its request ends at its timeout.
    return (
        f"{waited}a drive may hang, a service may not have answered); the partial files are "
        f"removed once {them}; kill -9 ends the run only once {them}"
    )


def main(
    argv: Sequence[str] | None = None, env: Environment | None = None, *, own_process: bool = False
) -> int:
    """The command. *own_process*: the process is its alone and ends when it returns (the
    console script): once the outcome is known, its signal handler stays to the exit, and
    a stderr or stdout reader that went away ends the text, never the run
    (``reader_gone.py``)."""
    if own_process:
        from offload.cli.reader_gone import (
            standard_streams_open,
            stderr_reader_may_go,
            stdout_reader_may_go,
        )

        standard_streams_open()  # >&-: on /dev/null, its loss said (``_say_outcome``)
        stderr_reader_may_go()
        stdout_reader_may_go()
    env = env or Environment()
    try:
        return _run(build_parser().parse_args(argv), env, own_process=own_process)
    except UsageError as error:
        env.error(error.message)
        return int(ExitCode.USAGE)


def _run(args: argparse.Namespace, env: Environment, *, own_process: bool = False) -> int:
    requested = args.hash or ["xxh64be"]
    algorithms = hash_algorithms(requested)
    labels = {canonical: _hash_label(canonical) for canonical in algorithms}
    try:
        options = CopyOptions(
            algorithms=algorithms,
            existing=ExistingFilePolicy.OVERWRITE if args.overwrite else ExistingFilePolicy.FAIL,
            **engine_arguments(args),
            noflush_destinations=_noflush_indexes(args.noflush, args.destinations, args.source),
        )
    except ValueError as exc:
        raise UsageError(f"{exc}") from None
    if args.f_size is not None and args.f_size < 0:
        raise UsageError(f"-f_size {args.f_size} is negative")
    source = Path(args.source)
    # A card that went away: one line, exit 64 (``reach``); the rest (ELOOP, EACCES...) is
    # the planner's to say (``api._stat_source``, one line too).
    try:
        found = reach(source)
    except DriveUnreachable:
        raise
    except OSError:
        found = None
    size = found.st_size if found is not None and stat.S_ISREG(found.st_mode) else 0
    cancel = CancelToken()
    sink = _VerboseProgress(env, size, args.source) if args.verbose else None
    said = _SaidAtOnce(env, sink, args.source, args.destinations)
    started = time.monotonic()
    with cancel_on_signals(env, cancel) as signals:
        if sink is not None:
            progress = sink
            signals.on_cancel = lambda: progress.cancelling(signals.words())
        try:
            report = copy_with_multiple_destinations(
                source,
                args.destinations,
                options=options,
                expected_size=args.f_size,
                create_folders=args.create_folders,
                sink=said,
                cancel=cancel,
                # Only for an s3:// destination: reading the AWS config file's profile
                # (its max_attempts) imports botocore, ~30 ms a local copy has no use for.
                s3=settings_from_env(
                    os.environ,
                    endpoint_url=args.s3_endpoint,
                    profile=args.s3_profile,
                    **({"head_check": True} if args.s3_head_check else {}),
                )
                if any(map(is_s3_url, args.destinations))
                else None,
            )
        except UsageError:
            raise
        except OffloadError as error:
            env.error(error.message)
            return int(error.exit_code)
        finally:
            if sink is not None:
                sink.close()  # its clock stopped: no progress line among the outcome's
        # Said while the handler is still ours: a signal now sets the token, which nothing
        # reads any more (never a KeyboardInterrupt, nor SIGTERM's default, cutting the
        # hash line a caller parses short or ending the run with another code than its).
        signals.after_copy()
        signals.holding = True  # a signal from here on is recorded (``further``) and said
        code = _say_outcome(args, env, report, signals, options, labels, started, said)
        # A signal that came while the outcome was stated said; one from here to the exit
        # named as the process ends.
        keep_signals_to_exit(env, signals, _outcome_said, keep=own_process)
    return code


def _outcome_said(signum: int) -> str:
    """The warning of a signal that came once every copy had its outcome, while (or after)
    that outcome was printed: it changed nothing."""
    return (
        f"{signal_words(signum)} came while the outcome was printed: nothing was cancelled, and "
        "the exit code is the outcome's"
    )


def _say_outcome(
    args: argparse.Namespace,
    env: Environment,
    report: JobReport,
    signals: SignalsAfterCopy,
    options: CopyOptions,
    labels: dict[str, str],
    started: float,
    said: _SaidAtOnce,
) -> int:
    """The warnings, errors and the hash line of the copy's *report*, but those *said*
    already; its exit code."""
    # A subscriber that failed, what an S3 destination may have left in the bucket (the
    # rest said at once).
    for message in report.warnings:
        if message not in said.warned:
            env.warning(one_file_words(message))
    file = report.files[0]
    if report.cancelled and not any(
        result.status is DestinationStatus.CANCELLED for result in file.destinations
    ):
        # The signal came once every copy had its outcome (verified, published, or failed):
        # it cancelled nothing, so the words and the exit code are the outcome's (the hash
        # line a caller parses included), never "cancelled ... run the same command again".
        env.warning(signal_after_every_copy(signals.words()))
        report = dataclasses.replace(report, cancelled=False)
    source_said: set[str] = set()
    for result in file.destinations:
        if result.status is DestinationStatus.CANCELLED:
            # The engine's reason names no file (a card's report names it beside it).
            reason = one_file_words(result.error or "cancelled")
            env.error_line(f"{printable_name(result.final_path)}: {reason}")
        elif result.status not in GOOD_STATUSES:
            failure = result.error or f"{printable_name(result.final_path)}: {result.status.value}"
            if said.failed.get(result.destination_index) == failure or failure in source_said:
                continue  # said as it came; a source's failure, the same on each, once
            env.error_line(one_file_words(failure))
            if file.source_error is not None:
                source_said.add(failure)
        elif result.destination_index in options.noflush_destinations:
            env.warning(_not_flushed(result))
        else:
            if (caveat := _through_a_cache(result)) is not None:
                env.warning(f"{result.final_path}: {caveat}")
            if args.verbose and (line := _proved(result)) is not None:
                print(f"INFO: {printable_text(line)}", file=env.stdout)
    if report.cancelled:
        env.error(
            "cancelled; partial files were removed; run the same command again to complete "
            "it (a copy already verified is read back and kept)"
        )
        return int(ExitCode.CANCELLED)
    good = [r for r in file.destinations if r.status in GOOD_STATUSES]
    hashes = []
    if file.source_error is None and good:
        for name, digest in file.inflight_digests.items():
            hashes.append(f"hash {labels.get(name, name.upper())}:{digest}")
            print(hashes[-1], file=env.stdout)
    # Every destination failed: no copy made, no speed to claim (the ERROR lines say why).
    if args.verbose and good:
        if all(r.action not in WRITTEN_ACTIONS for r in good):
            # Nothing written: every copy was already there, read back (before the job, so
            # not in its elapsed_s) and kept. Pomfort's line, still parseable, says so: no
            # byte copied, in the command's own time (its read-backs), no speed invented.
            wall = time.monotonic() - started
            line = f"INFO: copy speed 0 bytes in {wall:.5f} sec (0.0 MB/sec)"
        else:
            line = (
                f"INFO: copy speed {file.size_bytes} bytes in {report.elapsed_s:.5f} sec "
                f"({report.speed_mb_sec:.1f} MB/sec)"
            )
        print(line, file=env.stdout)
    env.stdout.flush()
    _say_stdout_lost(env, hashes)
    return int(report.exit_code)


def _say_stdout_lost(env: Environment, hashes: list[str]) -> None:
    """Where stdout could not be written (``>/dev/full``, ``>&-``: ``reader_gone.lost``),
    a WARNING line on stderr saying so, with each hash line that was lost: the copy's
    outcome, and its exit code, stand (its INFO lines are words about it, lost)."""
    from offload.cli.reader_gone import lost

    why = lost(env.stdout)
    if why is None:
        return
    if not hashes:
        env.warning(f"stdout could not be written ({why}): its lines are lost")
    for line in hashes:
        env.warning(f"stdout could not be written ({why}): its hash line is this one: {line}")


def signal_after_every_copy(signal: str) -> str:
    """The line of a run whose *signal* (``SignalsAfterCopy.words``: "Ctrl-C", "SIGTERM",
    "SIGHUP (the terminal closed)") came once every copy had its outcome: nothing was left
    to cancel."""
    return f"{signal} came once every copy had its outcome: nothing was cancelled"


def _proved(result: DestinationFileResult) -> str | None:
    """``-v``'s line for a copy that is not what a plain run makes (written now and read back
    from the media: no line, Pomfort's output): one already there, read back and adopted, or
    one only transfer-checked (``--verify transfer``), which must never read as verified."""
    if result.action is CopyAction.ADOPTED:
        if result.cache_bypass.through_cache:  # its WARNING line says which cache
            return f"{result.final_path} already holds this file: read back through a cache (kept)"
        return f"{result.final_path} already holds this file: read back, verified (kept)"
    if result.status is DestinationStatus.TRANSFER_CHECKED:
        return (
            f"{result.final_path}: transfer-checked only (--verify transfer): the bytes "
            "written and their in-flight hash checked, never read back"
        )
    return None


# A network share's server answered the read-back: what it rests on, in one phrase.
_SERVER = "read back from a network share's server, which may answer from its cache"


def _through_a_cache(result: DestinationFileResult) -> str | None:
    """The caveat of a copy verified now whose read-back went through a cache (tmpfs, pages
    that could not be dropped, a network share), as ``offload copy``'s READ THROUGH A CACHE
    line words it; None for one read back from the media (or not verified now)."""
    if result.status is not DestinationStatus.VERIFIED:
        return None
    if result.cache_bypass is CacheBypass.NONE:
        return (
            f"READ THROUGH A CACHE: read back through {PAGE_CACHE}, not from the media; it "
            "matched what the cache returned, the copy on the media is not verified"
        )
    if result.cache_bypass is CacheBypass.SERVER:
        return (
            f"READ THROUGH A CACHE: {_SERVER} (a client cannot read the server's disk); it "
            "matched what the server returned, the copy on its disk is not verified"
        )
    return None


def _not_flushed(result: DestinationFileResult) -> str:
    """What was proved of a copy that was not flushed (``-noflush_dest``), in one line."""
    where = f"{result.final_path}: not flushed (-noflush_dest)"
    if result.status is DestinationStatus.VERIFIED and result.cache_bypass is CacheBypass.NONE:
        return (
            f"{where}: read back from the page cache, not from the disk; the bytes in memory "
            "match, the copy on the disk is not verified"
        )
    if result.status is DestinationStatus.VERIFIED and result.cache_bypass is CacheBypass.SERVER:
        return f"{where}: {_SERVER}; the copy on its disk is not verified"
    if result.status is DestinationStatus.VERIFIED:  # the cache was bypassed all the same
        return f"{where}: read back from the disk ({result.cache_bypass.value}), verified"
    if result.status is DestinationStatus.TRANSFER_CHECKED:
        return f"{where} and not read back (--verify transfer): transfer-checked only"
    return f"{where}: {result.status.value}"  # verified earlier: not written by this run


def _noflush_indexes(
    paths: Sequence[str], destinations: Sequence[str], source: str
) -> frozenset[int]:
    """Map -noflush_dest PATHs to destination indexes; an unknown path is a usage error."""

    if not paths:
        return frozenset()

    def key(path: str) -> str:
        absolute = Path(os.path.abspath(path))
        # isdir, not Path.is_dir: a drive that went away (ENOTCONN) is no folder here, and
        # the copy's own planning names it. A trailing / is a folder, made or not yet.
        folder = os.path.isdir(absolute) or path.endswith("/")
        return str(absolute / Path(source).name) if folder else str(absolute)

    keys = [key(d) for d in destinations]
    indexes = set()
    for path in paths:
        try:
            indexes.add(keys.index(key(path)))
        except ValueError:
            raise UsageError(
                f"-noflush_dest {printable_name(str(path))} is not one of the destinations"
            ) from None
    return frozenset(indexes)


def entry_point() -> None:
    code = main(own_process=True)
    from offload.cli.final_signals import say_at_exit

    say_at_exit()  # a signal since the outcome was printed: named, then none delivered
    sys.exit(code)


if __name__ == "__main__":
    entry_point()
