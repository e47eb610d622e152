"""``offload history``: past offloads and checks from the local report store, newest first.

Reads the JSON reports in the local report folder (``--report-dir``, default as for
``offload copy``): the job reports of ``offload copy`` and the reports of ``offload verify``
(which go to the same folder), the records of the offloads refused (or cancelled by Ctrl-C)
before their copy in its ``refused/`` (``report/refused.py``), and the start records of the
offloads not ended in its ``started/`` (``report/started.py``: ``running``, ``unfinished``
once its process is proved over, else another host's, not known to have finished; never one
whose run's job report, naming its run and card, is in the folder: that run ended,
``_ended_by``; one whose copy a later offload of the same card finished on all its
destinations is listed ``finished by the run of <date>``, ``_followed``,
``history_finished``), each listed as what it is.
A file that is not one of our reports, cannot be read, or is not in the shape of one
(``report.validate``) is listed with the reason instead of stopping the listing. Never
writes. A folder named by ``--report-dir``
or ``$OFFLOAD_REPORT_DIR`` that does not exist is refused (UsageError, exit 64: a mistyped
path); the default folder, made by the first run, lists nothing until then.

Ctrl-C, SIGTERM or SIGHUP while the reports are read stops it with one line and exit 130,
nothing printed on stdout; once ``--json``'s document has begun it is written whole (no
signal cuts it short) and the exit code stays 0, stderr naming the signal. A reader that
went away (``| head``) ends the output quietly, as for ``offload verify``.
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from offload.cli.common import (
    Environment,
    columns_asked,
    default_report_dir,
    handling_signals,
    path_value,
    signal_words,
    write_stdout_whole,
)
from offload.cli.history_finished import FINISHED_LATER, complete_on, covers, left_out, same_card
from offload.destinations.s3url import is_s3_url
from offload.errors import UsageError, describe_os_error, printable_line, printable_name
from offload.json_text import stream_dumps
from offload.ledger import THROUGH_A_CACHE
from offload.report.loss import size_checked_destinations
from offload.report.refused import REFUSED_FOLDER, is_refused_record, refused_record_problem
from offload.report.started import STARTED_FOLDER, is_start_record, start_record_problem
from offload.report.validate import (
    is_job_report,
    is_verify_report,
    job_report_problem,
    verify_report_problem,
)
from offload.report.words import fast_copies_failed, fast_copies_unreadable, proven_words
from offload.results import KEPT_BESIDE, kept_damaged

#: How the note of a check stopped once it was over begins in the reports of versions
#: before their ``stopped_after_check`` key: read only where that key is missing.
_VERIFY_STOPPED_BEFORE = "stopped by a further signal while the report was written, the check over"

# What an ``offload verify`` run found, by its exit code (docs/json.md, the verify report).
_VERIFY_RESULTS = {
    0: "verified",
    10: "missing files",
    11: "changed or unreadable",
    21: "new files only",
    22: "verified, some by size only",
    30: "nothing to verify against",
    31: "history damaged or forged",
    32: "history damaged (no chain file)",
    33: "history damaged (a manifest gone)",
    64: "usage error",
    130: "cancelled",
}


@dataclass
class HistoryEntry:
    """One past run as its JSON report states it: an offload (``kind`` "offload"), a check
    (``kind`` "verify": ``destinations`` holds the folder checked), or a file of the folder
    that is no readable report (``kind`` None, ``error`` says why)."""

    report: str
    started: str | None
    source: str | None
    card: str | None
    destinations: list[str]
    result: str
    exit_code: int | None
    verify: str | None
    files: int | None
    html: str | None = None
    pdf: str | None = None
    error: str | None = None
    kind: str | None = None
    # A check's reference (ascmhl, legacy, ledger; None when nothing could be checked).
    reference: str | None = None
    # A refused offload's reason: the refusal's own words, as its ERROR line gave them; a
    # check's whose result is worded from its report's ``error`` (``_not_the_files``).
    reason: str | None = None
    # A start record's (``kind`` "started", ``report/started.py``): what became of its run,
    # ``running``, ``unfinished`` or ``unknown`` (another host's, not known to have
    # finished); its run's token, host and pid. None for a report.
    state: str | None = None
    run: str | None = None
    host: str | None = None
    pid: int | None = None
    # A start record's run not ended: the report of the newest offload of the same card to
    # its copy roots that started after it and wrote its report (``_followed``); None else.
    followed_by: str | None = None
    # A start record's local copy roots (what ``_followed`` matches): not in ``--json``.
    roots: list[str] = field(default_factory=list, repr=False)
    # A start record's ``s3://`` copy roots (its ``s3_copy_roots``; None in a record of an
    # earlier version, which names its buckets only as given): not in ``--json``.
    s3_roots: list[str] | None = field(default=None, repr=False)
    # When the run started, in Unix seconds, as exactly as its report states it (``_moment``):
    # what orders the listing; not in ``--json``'s entries (their ``started`` says it).
    moment: float | None = field(default=None, repr=False)
    # A job report's run token (its ``run``; None in an earlier version's): a start record
    # naming it is of a run that ended (``read_history``). Not in ``--json``.
    token: str | None = field(default=None, repr=False)
    # A start record's run not ended whose copy a later offload of the same card to all its
    # destinations finished (``_followed``, ``history_finished``): that offload's report;
    # its ``state`` is then ``finished_later``. None else.
    finished_by: str | None = None
    # A job report's copy roots its run left whole (``history_finished.complete_on``). Not
    # in ``--json``.
    complete_on: frozenset[str] = field(default_factory=frozenset, repr=False)
    # A job report's entries of the card its run left out (``history_finished.left_out``),
    # and a start record's ``ignore_patterns`` (None in an earlier version's), which must
    # leave each of them out too (``covers``). Not in ``--json``.
    left_out: tuple[tuple[str, bool], ...] | None = field(default=None, repr=False)
    ignore_patterns: object = field(default=None, repr=False)
    # The card as the file states it: a job report's ``card`` object, a start record's
    # ``card`` key (None in an earlier version's record): ``history_finished.same_card``.
    # Not in ``--json``.
    identity: object = field(default=None, repr=False)
    # A job report's ``hostname`` (None where it states none): a start record's run is
    # finished only by a run of its own host (``_followed``), whose paths name the same
    # drives. Not in ``--json``.
    hostname: str | None = field(default=None, repr=False)


def add_history_parser(commands: argparse._SubParsersAction[Any]) -> None:
    history = commands.add_parser(
        "history",
        allow_abbrev=False,
        help="list past offloads and checks from the local report store, newest first",
        description="List past offloads and offload verify runs (date, card, destinations, "
        "result, exit code, report path) from the local JSON reports, newest first, the "
        "offloads refused before their copy (exit 64), with the refusal's reason, or "
        "cancelled by Ctrl-C before it (exit 130), and the offloads that never ended "
        "(killed, a power cut) as unfinished, from the start record each run leaves until "
        "its reports are written (one still going: running; one whose copy a later offload "
        "of the card finished: finished by that run).",
        epilog="Exit codes: 0 listed (also when there is none yet); 64 usage error (-n "
        "below 1, a report folder that is not a folder or cannot be read).",
    )
    history.add_argument("--json", action="store_true", help="print the list as JSON")
    history.add_argument(
        "--report-dir",
        type=path_value,
        default=None,
        help=f"the local report folder (default {default_report_dir()})",
    )
    history.add_argument(
        "-n",
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="only the newest N runs (1 or more; files that are not reports count too)",
    )


def read_history(folder: Path) -> list[HistoryEntry]:
    """Every report in *folder*, newest first (by the start time the report states, to the
    microsecond where it does: ``_moment``; then by name). An empty list for a folder that
    does not exist (yet); raises OSError for one that cannot be listed (NotADirectoryError:
    a file)."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".json"))
    except FileNotFoundError:
        return []
    # The offloads refused before their copy (exit 64: no job report), each a small record
    # in refused/ (``report/refused.py``); a refused/ that cannot be listed lists nothing.
    refused = folder / REFUSED_FOLDER
    try:
        with os.scandir(refused) as entries:
            names += sorted(
                os.path.join(REFUSED_FOLDER, e.name) for e in entries if e.name.endswith(".json")
            )
    except OSError:
        pass
    # The start records of runs not ended (``report/started.py``): running, or killed
    # before their reports; a started/ that cannot be listed lists nothing.
    try:
        with os.scandir(folder / STARTED_FOLDER) as entries:
            names += sorted(
                os.path.join(STARTED_FOLDER, e.name) for e in entries if e.name.endswith(".json")
            )
    except OSError:
        pass
    listed = [_entry(folder / name) for name in names]
    # A start record removed since the folder was listed: its run wrote its reports meanwhile
    # (listed by the next look), never an unreadable file.
    listed = [
        e
        for e in listed
        if not (e.kind is None and e.report.startswith(str(folder / STARTED_FOLDER) + os.sep)
                and not os.path.lexists(e.report))
    ]  # fmt: skip
    # A start record whose run wrote its job report here is of a run that ended: its removal
    # is not fsynced (``report/started.py``), so a power cut after the report may bring it
    # back. Listed once, as its report says (``_ended_by``: never on the token alone).
    ended: dict[str, list[HistoryEntry]] = {}
    for e in listed:
        if e.kind == "offload" and e.token:
            ended.setdefault(e.token, []).append(e)
    listed = [
        e
        for e in listed
        if not (e.kind == "started" and any(_ended_by(e, r) for r in ended.get(e.run or "", ())))
    ]
    # By the start each states to the microsecond (``_moment``), so a refusal and an offload
    # of one second are listed in the order they started; a file that is no readable report
    # (no start) last; equal starts by name.
    listed.sort(key=lambda e: (e.moment is not None, e.moment or 0.0, e.report), reverse=True)
    _followed(listed)
    return listed


#: How long before its start record's start a job report may state its run's start: none
#: (the record is written once the locks are held, the copy's start taken after it), but
#: an older report states it to the second and a clock may be set back a little.
_REPORT_BEFORE_RECORD_S = 5.0
#: How long after it: the run records, the stale partials' and an S3 bucket's abandoned
#: uploads' clean-up come between, seconds as a rule, minutes against a bucket retried.
_REPORT_AFTER_RECORD_S = 3600.0


def _ended_by(record: HistoryEntry, report: HistoryEntry) -> bool:
    """Whether the offload *report* is the job report of the run whose start record is
    *record*: the same run token, the same card (source) and a start from just before
    the record's to an hour after it. A token is three random bytes and the run's number in
    its process (``lock.new_run``: ``-1`` for every CLI process), so a token alone may be
    another run's by chance: a killed run is never hidden by a report of another card, or
    of the same card another day."""
    if report.token is None or report.token != record.run or report.source != record.source:
        return False
    if record.moment is None or report.moment is None:
        return False
    return -_REPORT_BEFORE_RECORD_S <= report.moment - record.moment <= _REPORT_AFTER_RECORD_S


def _followed(listed: list[HistoryEntry]) -> None:
    """Give each start record whose run did not end (or is not known to have) what later
    offloads of its card (its source) did to its destinations, newest first in *listed*:

    * the first of them, in the order they started, that left the card's copy whole on every
      destination of the record (its local copy roots and its ``s3://`` copy roots:
      ``history_finished.complete_on``; the same card by the identity both state,
      ``same_card``; run on the record's host, whose paths name the same drives; every
      entry of the card it left out one the record's ``ignore_patterns`` leave out too,
      ``covers``) finished
      it: the entry's ``state`` is ``finished_later``, its ``finished_by`` that offload's
      report and its ``result`` says "finished by the run of <its start> UTC", its
      ``reason`` naming that report and its own result. The entry stays listed (that run did
      start, and never ended itself); nothing of its own copy is claimed.
    * else the newest offload to every one of its local copy roots that started after it
      and wrote its report (``followed_by``), its ``reason`` naming it: the run the advice
      asks for may have been made. Nothing of that later run is claimed here but that its
      report is listed, with its own result (one that left the copy whole is above)."""
    later: list[HistoryEntry] = []  # the offloads listed before the entry looked at
    for entry in listed:  # newest first
        if entry.kind == "offload":
            later.append(entry)
            continue
        if entry.kind != "started" or entry.state == "running":
            continue
        after = [
            other
            for other in later
            if (other.moment or 0.0) > (entry.moment or 0.0)
            and other.source == entry.source
            # its own run's report: never "a later offload" of it
            and not _ended_by(entry, other)
        ]
        # Its buckets by their copy roots; a record of an earlier version names them only
        # as given, which no job report's copy root is (never settled then: no claim).
        buckets = entry.s3_roots
        if buckets is None:
            buckets = [d for d in entry.destinations if is_s3_url(d)]
        needed = {*entry.roots, *buckets}
        finished = next(
            (
                other
                for other in reversed(after)  # the first to start
                if needed
                and needed <= other.complete_on
                and same_card(entry.identity, other.identity)
                # Another host's paths may name other drives (a shared report folder).
                and other.hostname == entry.host
                # Every entry it left out one the killed run's rules leave out too (last:
                # the one test that compiles patterns).
                and covers(entry.ignore_patterns, other.left_out)
            ),
            None,
        )
        if finished is not None:
            _finished_later(entry, finished)
            continue
        if not entry.roots:
            continue
        for other in after:
            if set(entry.roots) <= set(other.destinations):
                entry.followed_by = other.report
                entry.reason = (
                    f"{entry.reason}; a later offload of this card to these copy roots is "
                    f"listed: {os.path.basename(other.report)} ({other.result})"
                )
                break


def _finished_later(entry: HistoryEntry, finished: HistoryEntry) -> None:
    """*entry*, a start record whose run never ended, as the later offload *finished* left
    its copy: whole on every one of its destinations (``_followed``)."""
    when = f"{_started(finished)} UTC"
    many = len(entry.destinations) > 1
    entry.state = FINISHED_LATER
    entry.finished_by = entry.followed_by = finished.report
    entry.result = f"finished by the run of {when}"
    entry.reason = (
        f"this run wrote no report of its own here; the offload of this card started "
        f"{when} left a copy of every card file on "
        f"{'each of its destinations' if many else 'its destination'}: "
        f"{os.path.basename(finished.report)} ({finished.result})"
    )


def _json_entry(entry: HistoryEntry) -> dict[str, Any]:
    """*entry* as ``--json`` lists it (docs/json.md): every field but its sort key."""
    shown = asdict(entry)
    hidden = ("moment", "roots", "s3_roots", "token", "complete_on", "identity", "left_out",
              "ignore_patterns")  # fmt: skip
    for key in hidden:
        del shown[key]
    return shown


def _moment(data: dict[str, Any]) -> float | None:
    """When the run of a report (*data*, of a valid shape) started, in Unix seconds: its
    ``started_unix`` (a job report's, a refused record's and a verify report's, to the
    microsecond), else its ``started`` read as a UTC date (a verify report of an earlier
    version states microseconds there; the job reports and refused records of earlier
    versions, to the second, count as at its start: two runs of that second are ordered by
    name, which is all they tell). None if neither reads."""
    unix = data.get("started_unix")
    if isinstance(unix, (int, float)) and not isinstance(unix, bool) and math.isfinite(unix):
        return float(unix)
    started = data.get("started")
    if not isinstance(started, str):
        return None
    for text in (started, started[:19]):
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            continue
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    return None


def _entry(path: Path) -> HistoryEntry:
    """The entry of the file at *path*: a run its report states, or a file that is no
    readable report, whose ``result`` is then ``unreadable`` (one machine value, as
    docs/json.md gives it) and whose ``error`` says why, in words: it cannot be read, is
    not JSON, not one of our reports, or not in the shape of one."""
    base = HistoryEntry(str(path), None, None, None, [], "unreadable", None, None, None)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:  # its str names the path again: "[Errno 21] Is a directory: '…'"
        base.error = f"cannot read {path}: {describe_os_error(exc)}"
        return base
    except ValueError as exc:  # not JSON, not UTF-8: the decoder's words, no path
        base.error = f"cannot read {path}: {exc}"
        return base
    if is_verify_report(data):
        return _verify_entry(path, data, base)
    if is_refused_record(data):
        return _refused_entry(path, data, base)
    if is_start_record(data):
        return _started_entry(path, data, base)
    if not is_job_report(data):
        base.error = f"{path} is not an offload-ai report"
        return base
    problem = job_report_problem(data)
    if problem is not None:
        base.error = f"not a valid job report: {problem}"
        return base
    source = data["source"]
    html, pdf = path.with_suffix(".html"), path.with_suffix(".pdf")
    return HistoryEntry(
        report=str(path),
        started=data["started"],
        source=source,
        card=_card(source, (data.get("production") or {}).get("reel")),
        destinations=[d.get("copy_root") or d["path"] for d in data["destinations"]],
        result=_result(data),
        exit_code=data["exit_code"],
        verify=data.get("verify"),
        files=data["totals"]["files"],
        html=str(html) if html.exists() else None,
        pdf=str(pdf) if pdf.exists() else None,
        kind="offload",
        moment=_moment(data),
        token=data["run"] if isinstance(data.get("run"), str) else None,
        complete_on=complete_on(data),
        left_out=left_out(data),
        identity=data.get("card"),
        hostname=data["hostname"] if isinstance(data.get("hostname"), str) else None,
    )


def _card(source: str, reel: str | None) -> str | None:
    """The card an offload names: its ``--reel``, else its source folder's name (a job
    report's ``production.reel``, a refused record's ``reel``)."""
    return reel or Path(source).name or None


#: The result of an offload cancelled by Ctrl-C before its copy started (its record's exit
#: code 130): its scan, preflight or plan stopped, nothing written anywhere.
CANCELLED_BEFORE_COPY_RESULT = "cancelled before the copy, nothing copied"


def _refused_entry(path: Path, data: dict[str, Any], base: HistoryEntry) -> HistoryEntry:
    """An offload refused before its copy (``report/refused.py``): what it was to copy
    where, ``refused`` with the preflight's codes where it gave some, and the refusal's words
    (``reason``); or one cancelled before its copy (exit code 130, kind ``cancelled``).
    Nothing of a copy: none was made."""
    problem = refused_record_problem(data)
    if problem is not None:
        base.error = f"not a valid refused record: {problem}"
        return base
    codes = data["codes"]
    # One cancelled by Ctrl-C before its copy (exit 130: ``cli.offload._record_cancel``) is
    # no refusal: listed as what it was, nothing copied.
    cancelled = data["exit_code"] == 130
    refused = f"refused ({', '.join(codes)})" if codes else "refused"
    return HistoryEntry(
        report=str(path),
        started=data["started"],
        source=data["source"],
        card=_card(data["source"], data.get("reel")),
        destinations=list(data["destinations"]),
        result=CANCELLED_BEFORE_COPY_RESULT if cancelled else refused,
        exit_code=data["exit_code"],
        verify=None,
        files=None,
        kind="cancelled" if cancelled else "refused",
        reason=data["message"],
        moment=_moment(data),
    )


def _started_entry(path: Path, data: dict[str, Any], base: HistoryEntry) -> HistoryEntry:
    """An offload's start record (``report/started.py``): a run still going (``running``),
    one proved over that never wrote its reports (``unfinished``: killed, a power cut), or
    another host's not known to have finished. Never a word of any copy's state: the
    record was written before the first file."""
    from offload.report.started import ADVICE, RUNNING, UNFINISHED, liveness

    problem = start_record_problem(data)
    if problem is not None:
        base.error = f"not a valid start record: {problem}"
        return base
    state = liveness(data)
    host = data["host"]
    if state == RUNNING:
        result, reason = "running", None
    elif state == UNFINISHED:
        result = "unfinished"
        reason = (
            f"started and never finished (pid {data['pid']} on {host} is over, no report): {ADVICE}"
        )
    else:
        result = f"started on {printable_name(host)}, not known to have finished"
        reason = (
            f"whether pid {data['pid']} on {host} is still this run cannot be proved from "
            f"here: if no offload copy of this card runs there, {ADVICE}"
        )
    return HistoryEntry(
        report=str(path),
        started=data["started"],
        source=data["source"],
        card=_card(data["source"], data.get("reel") if isinstance(data.get("reel"), str) else None),
        # Its copy roots, as a job report's entry lists them (the destination's folder
        # named for the card), then its buckets as given: the record names no bucket's.
        destinations=[
            *data["copy_roots"],
            *(d for d in data["destinations"] if is_s3_url(d)),
        ],
        result=result,
        exit_code=None,
        verify=None,
        files=None,
        kind="started",
        reason=reason,
        state=state,
        run=data["run"],
        host=host,
        pid=data["pid"],
        roots=list(data["copy_roots"]),
        s3_roots=_strings(data.get("s3_copy_roots")),
        moment=_moment(data),
        identity=data.get("card"),
        ignore_patterns=data.get("ignore_patterns"),
    )


def _strings(value: object) -> list[str] | None:
    """*value* where it is a list of strings, else None (absent, or of another shape)."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _verify_entry(path: Path, data: dict[str, Any], base: HistoryEntry) -> HistoryEntry:
    """An ``offload verify`` report: the folder checked, what the check found."""
    problem = verify_report_problem(data)
    if problem is not None:
        base.error = f"not a valid verify report: {problem}"
        return base
    code, totals = data["exit_code"], data["totals"]
    result = _VERIFY_RESULTS.get(code, "failed")
    # An exit code stands for more than one outcome: the report's own reason words those
    # that are not the files' states (``_not_the_files``), the ``why`` line giving it whole.
    reason = _not_the_files(data)
    if reason is not None:
        result = reason
    if code == 130 and _stopped_after_check(data):
        # Stopped by a further signal once the check was over (its report restated): every
        # file was looked at, and the report's lists say what it found; not cancelled.
        result = "stopped after the check"
    if code in (0, 22):
        result = _files_result(code, data)
    elif data.get("generation_unwritten") is True:
        # --append's generation alone was not written: the files worded as a check without
        # it would have had them (the same steps), then what was not done; ``error`` says why.
        result = _files_result(_files_code(totals), data) + ", generation not written (--append)"
        reason = result
    elif (
        code == 10
        and data.get("unfinished_offload")
        and not totals.get("missing")
        and not totals.get("missing_folders")
    ):
        # Nothing recorded is gone (no file, no folder), but the copy root's last offload
        # did not finish: card files no record names may be missing (the report's
        # INCOMPLETE line). Its record says how (``_ended_with_failures``): one that ran to
        # its end with card files failed is no unfinished one.
        result = (
            "incomplete copy (offload ended with failures)"
            if _ended_with_failures(data)
            else "incomplete copy (offload not finished)"
        )
    elif code == 10:
        # Worded by what is gone: files, or only recorded folders.
        result = _files_result(code, data)
    checked = sum(totals.get(key) or 0 for key in ("verified", "changed", "unreadable"))
    return HistoryEntry(
        report=str(path),
        started=data["started"],
        source=None,
        card=os.path.basename(data["path"].rstrip("/")) or None,
        destinations=[data["path"]],
        result=result,
        exit_code=code,
        verify=None,
        files=checked + (totals.get("unverifiable") or 0),
        kind="verify",
        reference=data.get("reference"),
        reason=data["error"] if reason is not None else None,
        moment=_moment(data),
    )


#: How an offload the ``INCOMPLETE`` line names ended, each of them, for "ended with
#: failures" (``run_record.FAILED``): it ran to its end, card files failed there.
_ENDED_FAILED = "failed"


def _ended_with_failures(data: dict[str, Any]) -> bool:
    """Whether every offload a verify report's ``INCOMPLETE`` line names ran to its end with
    card files failed there (its record ``failed``), not killed, cancelled or unreadable:
    from the report's ``unfinished_offload_states``. A report of a version before that key
    is read by the line's own words (``run_record._unfinished_words``: "ended with ..." and
    none of the other endings), which a card file's name holding those words may fool."""
    states = data.get("unfinished_offload_states")
    if isinstance(states, list) and states and all(isinstance(s, str) for s in states):
        return all(state == _ENDED_FAILED for state in states)
    words = str(data.get("unfinished_offload"))
    return " ended with " in words and not any(
        other in words for other in (" was cancelled ", " did not finish ", "cannot be read")
    )


def _files_code(totals: dict[str, Any]) -> int:
    """The exit code a verify report's ``totals`` give by the files' states alone, in
    ``verification.exit_code_of``'s order (an unwritten generation set aside)."""
    for code, keys in (
        (11, ("changed", "unreadable")),
        # ``missing`` counts files alone; a recorded folder gone is ``missing_folders``.
        (10, ("missing", "missing_folders")),
        (22, ("unverifiable", "from_a_root")),
        (21, ("extra",)),
    ):
        if any(totals.get(key) for key in keys):
            return code
    return 0


def _files_result(code: int, data: dict[str, Any]) -> str:
    """The result of a check whose files' states give exit *code*, said by what was done:
    never "verified" where no file was read and matched, nor where a file was read through a
    cache (the media's bytes unproven)."""
    totals = data["totals"]
    result = _VERIFY_RESULTS.get(code, "failed")
    # A legacy MHL entry with no hash we know (exit 22; 0 in reports of earlier versions).
    sized = totals.get("unverifiable")
    if code in (0, 22) and sized:
        if totals.get("verified"):
            result = f"verified, {sized} by size only"
        else:
            result = f"{sized} checked by size only, none verified"
    if code == 10 and not totals.get("missing") and totals.get("missing_folders"):
        # Only recorded folders gone (``missing`` counts files alone, 0 here): no file is.
        result = "recorded folders gone"
    # Read, but through a cache (tmpfs, a network share's server...): not from the media.
    cached = data.get("files_read_through_cache")
    if code in (0, 22) and isinstance(cached, int) and cached > 0:
        result += f", {cached} through a cache"
    return result


def _not_the_files(data: dict[str, Any]) -> str | None:
    """The result of a verify report whose exit code says something other than the files'
    states, from what the report holds; None where the code's own words are true.
    Exit 11 with no file changed or unreadable: ``--append``'s generation was not written
    once the check was over (a check was made: ``reference`` set; its files' states
    worded as exit_code_of would have without it; inferred so only in reports of versions
    before their ``generation_unwritten``, which says it), or no check at all
    (``reference`` null: the folder could not be read). Exit 64 is a check refused before
    anything was read (bad input, or a copy root another offload holds): its ``error`` says
    which."""
    code, totals, error = data["exit_code"], data["totals"], data.get("error")
    if not isinstance(error, str):
        return None
    if code == 64:
        return "refused, nothing verified"
    if code != 11 or totals.get("changed") or totals.get("unreadable"):
        return None
    if data.get("reference") is None:
        return "not checked (cannot be read)"
    if "generation_unwritten" in data:
        # Said by the report itself (``_verify_entry``), never inferred from exit 11.
        return None
    for key, words in (
        ("missing", "missing files"),
        ("unverifiable", "verified, some by size only"),
        ("from_a_root", "verified, some not checked"),
        ("extra", "new files only"),
    ):
        if totals.get(key):
            return f"{words}, generation not written (--append)"
    return "verified, generation not written (--append)"


def _stopped_after_check(data: dict[str, Any]) -> bool:
    """Whether a verify report says a further signal stopped the command once its check
    was over: its ``stopped_after_check``; in a report of a version before that key, the
    note such a report was restated with."""
    stopped = data.get("stopped_after_check")
    if stopped is not None:
        return stopped is True
    return any(
        isinstance(note, str) and note.startswith(_VERIFY_STOPPED_BEFORE)
        for note in data.get("notes") or []
    )


def _found_words(data: dict[str, Any], code: str, kind: str) -> str:
    """ ", N <kind> copies replaced" (and ", N <kind> copies kept beside new ones") for the
    copies of ours a run found wrong, its warnings of *code*, or "" when there are none."""
    found = [
        warning
        for warning in data.get("warnings") or []
        if isinstance(warning, dict) and warning.get("code") == code
    ]
    # With --keep-both such a copy is kept and the new one written beside it: not replaced.
    # Told by the warning's ``kept`` field (``PreflightItem.kept``), written only when true;
    # a report written before that field (copy-no-longer-matches before 2026-12-06 12:32,
    # copy-unreadable before the fortieth pass) has none, and its words then tell it (the
    # ``KEPT_BESIDE`` those versions wrote of a kept copy alone), so an old report's kept
    # copy is never counted replaced.
    kept = sum(
        1
        for warning in found
        if warning.get("kept") is True or KEPT_BESIDE in str(warning.get("message") or "")
    )
    replaced = len(found) - kept
    words = f", {replaced} {kind} cop{'y' if replaced == 1 else 'ies'} replaced" if replaced else ""
    if kept:
        words += f", {kept} {kind} cop{'y' if kept == 1 else 'ies'} kept beside new ones"
    return words


def _kept_damaged(data: dict[str, Any]) -> bool:
    """Whether the run kept a damaged copy of ours at a card file's name (``--keep-both``:
    ``results.kept_damaged``), which alone makes its exit 1."""
    return any(
        kept_damaged(warning.get("code"), warning.get("kept"))
        for warning in data.get("warnings") or []
        if isinstance(warning, dict)
    )


def _result(data: dict[str, Any]) -> str:
    """What the run proved, from its exit code and the states of its copies (never from
    the ``--verify`` asked alone: a re-run may read nothing back, trusting every copy);
    with how many copies it found damaged and replaced, when it did and succeeded."""
    result = _proved(data)
    # What failed, or stopped the run, after the copies is said last, after everything said
    # of the copies; so is a fast copy that failed during it (its "but").
    then = next((end for end in _ENDINGS if result.endswith(end)), "")
    result = result.removesuffix(then) if then else result
    if data.get("exit_code") == 0 or (
        # Exit 1 with every copy good and a damaged copy of ours kept at its name.
        data.get("exit_code") == 1
        and result.startswith(("verified", "transfer-checked", SIZE_CHECKED))
        and _kept_damaged(data)
    ):
        # Each one replaced, or each new copy beside it, proven. A copy whose read-back
        # failed (``copy-unreadable``: EACCES, an intact copy) is told apart by its code,
        # never counted as damaged.
        for code, kind in (
            ("copy-no-longer-matches", "damaged"),
            ("copy-unreadable", "unreadable"),
        ):
            result += _found_words(data, code, kind)
    # Card files --keep-both copied beside a file kept at their names (the terminal's
    # KEPT BOTH line, ``existing-kept-beside``: its ``count`` says a destination's).
    beside = _kept_beside(data)
    if beside != 0:
        result += _beside_words(beside)
    # Copies no manifest vouches for (a name XML cannot hold): never read as all recorded.
    unlisted = sum(
        1
        for warning in data.get("warnings") or []
        if isinstance(warning, dict) and warning.get("code") == "not-in-manifest"
    )
    if unlisted:
        result += f", {unlisted} cop{'y' if unlisted == 1 else 'ies'} not in the manifest"
    if result.startswith(("verified", "transfer-checked", SIZE_CHECKED)):
        # Every copy good (a check's rows say it of exit 0 likewise): those read back (now,
        # or by the run the ledger trusts) through a cache that could not be dropped rest
        # on what the cache returned, not the media (README, cache_bypass); said beside
        # "transfer-checked" too, whose copies read back are not all from the media either.
        cached = sum(
            1
            for file in data.get("files") or []
            for d in file.get("destinations") or []
            if d.get("status") in ("verified", "verified_earlier")
            and d.get("cache_bypass") in THROUGH_A_CACHE
        )
        if cached:
            result += f", {cached} through a cache"
    # A destination lost: said after everything said of the copies, before what failed or
    # stopped the run after them; one sentence with a fast copy that failed: one "but",
    # "but 1 destination LOST and a fast copy it was fed from FAILED (...)".
    gone = _gone_words(data, result)
    if gone and then in _FAST_ENDINGS:
        then = then.replace(", but ", " and ", 1)
    return result + gone + then


def _kept_beside(data: dict[str, Any]) -> int | None:
    """How many copies of the run ``--keep-both`` wrote beside a file kept at their names:
    the sum of its ``existing-kept-beside`` warnings' ``count`` (one warning a
    destination); 0 for none; None when some such warning has no ``count`` (a report of an
    earlier version): copies there were, their number not read."""
    counts = [
        warning.get("count")
        for warning in data.get("warnings") or []
        if isinstance(warning, dict) and warning.get("code") == "existing-kept-beside"
    ]
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in counts):
        return None
    return sum(n for n in counts if isinstance(n, int))


def _beside_words(count: int | None) -> str:
    """``offload history``'s words for *count* copies written beside a file kept at their
    names (``_kept_beside``; None: copies, how many not known), said after the result."""
    if count == 1:
        return ", 1 copy written beside a file kept at its name (--keep-both)"
    many = "copies" if count is None else f"{count} copies"
    return f", {many} written beside files kept at their names (--keep-both)"


#: Every copy of the run good, and a step after them failed (exit 1): a manifest, a
#: folder, its times, a report, a link of the card (the job report's ``folder_errors``).
_THEN_FAILED = ", then a step FAILED"
#: A cascade re-run without its card whose source, a fast copy, was found unlike the card
#: as the run read it (``report.words.fast_copies_failed``): every copy it made good, that
#: fast copy failed DURING the copy, not after.
_FAST_COPY_FAILED = ", but a fast copy it was fed from FAILED (found unlike the card)"
#: The same, every such fast copy one whose read failed (EIO: not found damaged).
_FAST_COPY_UNREADABLE = ", but a fast copy it was fed from FAILED (could not be read)"
_FAST_ENDINGS = (_FAST_COPY_FAILED, _FAST_COPY_UNREADABLE)


def _proved(data: dict[str, Any]) -> str:
    """:func:`_result`'s words for the copies' states alone."""
    code = data.get("exit_code")
    counts = (data.get("totals") or {}).get("results")
    if data.get("cancelled"):
        return "cancelled"
    if code == 130:
        # Exit 130 with no copy cancelled: stopped by a further Ctrl-C, or a SIGTERM, once
        # every copy had its outcome (README, exit 130): the copies stand as the report
        # gives them; the manifests and reports after it were not all written.
        if not isinstance(counts, dict):  # no copy's state given: none is claimed
            return _STOPPED_UNKNOWN
        if _copies_all_good(data, counts, lost_ok=_lost_said(data)):
            return f"{_states(data, counts)}{_lost_words(data)}{_THEN_STOPPED}"
        return f"partly failed{_THEN_STOPPED}"
    if code == 1:
        # Every copy good, and what failed came after them (a manifest, a folder, its
        # times, a report, a link): the copies' words, and that (as the reports' verdict);
        # or the card lost a file its records list (``missing_from_card``,
        # ``missing_from_legacy_mhl``): the copies' words, and that, as the HTML/PDF says.
        if isinstance(counts, dict) and _copies_all_good(data, counts, lost_ok=_lost_said(data)):
            lost = _lost_words(data)
            after = data.get("folder_errors") or any(
                link.get("status") == "failed" for link in data.get("symlinks") or []
            )
            errors = data.get("folder_errors")
            if after and fast_copies_failed(errors):
                unread = fast_copies_unreadable(errors) == fast_copies_failed(errors)
                fast = _FAST_COPY_UNREADABLE if unread else _FAST_COPY_FAILED
                return f"{_states(data, counts)}{lost}{fast}"
            if after:
                return f"{_states(data, counts)}{lost}{_THEN_FAILED}"
            if lost or _kept_damaged(data) or _gone(data):
                # (A destination LOST with none of its copies failed: the copies' words, and
                # that, said last by ``_result``, as the terminal's "BUT ... WAS LOST".)
                # A damaged copy of ours kept at the card's name (--keep-both): the copies'
                # words, and that (``_found_words``: "kept beside new ones").
                return f"{_states(data, counts)}{lost}"
        return "partly failed"
    if code != 0:
        return "failed"
    if not isinstance(counts, dict):  # not a report of ours as we know it: what it asked
        return "transfer-checked" if data.get("verify") == "transfer" else "verified"
    return _states(data, counts)


#: A run stopped once every copy had its outcome (exit 130, no copy cancelled).
_THEN_STOPPED = ", then stopped"
#: The words :func:`_result` says last, after everything said of the copies.
_ENDINGS = (_THEN_FAILED, _THEN_STOPPED, *_FAST_ENDINGS)

#: Such a run whose report gives no ``totals.results`` (an earlier version's, or edited):
#: stopped, but nothing said of its copies, good or failed.
_STOPPED_UNKNOWN = "stopped, copies' states unknown (no totals.results)"


def _copies_all_good(
    data: dict[str, Any], counts: dict[str, Any], *, lost_ok: bool = False
) -> bool:
    """Whether every copy of the run is good (none failed or cancelled, no file of the card
    unreadable, and, unless *lost_ok*, no file its own ASC MHL history or a legacy MHL on
    it lists missing from it: :func:`_lost_words` says those). A destination lost is no
    copy's state: :func:`_gone_words` says it beside these words."""
    return (
        not (counts.get("failed") or counts.get("cancelled"))
        and (lost_ok or not (data.get("missing_from_card") or data.get("missing_from_legacy_mhl")))
        and not any(f.get("source_error") for f in data.get("files") or [])
    )


def _gone(data: dict[str, Any]) -> int:
    """How many destinations the run lost (``lost`` true in its ``destinations``)."""
    return sum(1 for d in data.get("destinations") or [] if isinstance(d, dict) and d.get("lost"))


def _gone_words(data: dict[str, Any], result: str) -> str:
    """``, but N destination(s) LOST`` after the words of good copies (*result*), else
    (``partly failed``, ``cancelled``, ``failed``, stopped with no states) ``, N
    destination(s) LOST``: the destinations the run lost, as the terminal's summary (its
    ``LOST`` rows and "BUT ... WAS LOST") and the HTML/PDF (its ``LOST`` problems) say
    them, whatever else ended the run; "" for none."""
    lost = _gone(data)
    if not lost:
        return ""
    bad = result in ("cancelled", "failed", _STOPPED_UNKNOWN) or result.startswith("partly failed")
    return f",{'' if bad else ' but'} {lost} destination{'' if lost == 1 else 's'} LOST"


def _lost_said(data: dict[str, Any]) -> bool:
    """Whether a clip the card lost can be said in :func:`_lost_words` beside the copies'
    words: not when the card went away during the run (``card_gone``), which these words
    do not say: such a run is "partly failed", as before the lost clip had words."""
    return not data.get("card_gone")


def _lost_words(data: dict[str, Any]) -> str:
    """``, N files missing from the card`` (``the source`` where it is a copy root of ours,
    ``release.source_is_copy``): the files the card's own ASC MHL history
    (``missing_from_card``) or a legacy MHL on it (``missing_from_legacy_mhl``) lists and
    the card no longer had (exit 1; no copy of them failed: there was none to make), each
    counted once, as the HTML/PDF's ``MISSING FROM THE CARD`` rows name them; "" for none."""
    paths = {p for p in data.get("missing_from_card") or [] if isinstance(p, str)}
    for item in data.get("missing_from_legacy_mhl") or []:
        path = item.get("path") if isinstance(item, dict) else None
        if isinstance(path, str):
            paths.add(path)
    if not paths:
        return ""
    # A copy root of ours as the source (``offload copy DEST1/CARD DEST2``): no card, the
    # files missing from the source, as the reports' MISSING FROM THE SOURCE says them.
    from offload.report.release import source_is_copy

    source = "the source" if source_is_copy(data) else "the card"
    return f", {len(paths)} file{'' if len(paths) == 1 else 's'} missing from {source}"


def _states(data: dict[str, Any], counts: dict[str, Any]) -> str:
    """The words for the copies' states (``totals.results``), every one of them good."""
    now, earlier = counts.get("verified") or 0, counts.get("verified_earlier") or 0
    if counts.get("transfer_checked") and _size_checked_only(data):
        return SIZE_CHECKED  # the weakest proof of the run names it
    if counts.get("transfer_checked") or (earlier and _trusted_transfer_checks(data)):
        return "transfer-checked"  # the weakest proof of the run names it
    if earlier:
        return proven_words(now)  # "verified earlier", or "verified, partly earlier"
    return "verified" if now else "nothing copied"


#: A run some of whose copies this run transfer-checked on a service that does not check the
#: in-flight hashes (the JSON's ``size_checked_only``), or trusted from an earlier run's check
#: that proved their sizes alone (a copy's own ``size_checked_only``): their sizes alone
#: were checked.
SIZE_CHECKED = "size-checked only"


def _size_checked_only(data: dict[str, Any]) -> bool:
    """Whether a copy this run transfer-checked (not one trusted from the ledger) is on a
    destination whose service does not check the in-flight hashes (the destination's
    ``size_checked_only``), or a copy trusted from the ledger is one an earlier run's check
    proved the size alone of (the copy's ``size_checked_only``)."""
    sized = size_checked_destinations(data.get("destinations"))
    return any(
        d.get("status") == "transfer_checked"
        and (
            d.get("size_checked_only") is True
            if d.get("action") == "trusted"
            else d.get("index") in sized
        )
        for file in data.get("files") or []
        for d in file.get("destinations") or []
    )


def _trusted_transfer_checks(data: dict[str, Any]) -> bool:
    """A report written before a copy trusted from a transfer check had its own status
    counted it ``verified_earlier`` with ``verified_mode`` "transfer": never read back."""
    return any(
        d.get("status") == "verified_earlier" and d.get("verified_mode") == "transfer"
        for file in data.get("files") or []
        for d in file.get("destinations") or []
    )


class _Stopped(KeyboardInterrupt):
    """A signal stopped ``offload history``: *signum* the one that came."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _Signals:
    """SIGINT, SIGTERM and SIGHUP stop the listing (``_Stopped``), except while ``holding``
    (``--json``'s document being written: a document cut short is one no reader can parse),
    when the signal is only recorded (``further``)."""

    def __init__(self) -> None:
        self.holding = False
        self.further: int | None = None

    def handler(self, signum: int, frame: object) -> None:
        if self.holding:
            self.further = signum
            return
        raise _Stopped(signum)


def cmd_history(args: argparse.Namespace, env: Environment) -> int:
    """The command: the list (a table, or ``--json``'s document) on stdout."""
    signals = _Signals()
    try:
        with handling_signals(env, signals.handler):
            code = _history(args, env, signals)
    except _Stopped as stop:
        env.error(f"stopped by {signal_words(stop.signum)}: nothing listed")
        return 130
    except BrokenPipeError:  # the table's reader went away (``| head``): the rest dropped
        write_stdout_whole(env, "")
        return 0
    if signals.further is not None:
        env.warning(
            f"{signal_words(signals.further)} came while the list was written: it was written whole"
        )
    return code


def _history(args: argparse.Namespace, env: Environment, signals: _Signals) -> int:
    folder = args.report_dir or default_report_dir()
    if args.limit is not None and args.limit < 1:
        raise UsageError(f"-n {args.limit}: give how many runs to show, 1 or more")
    # A folder the user named that does not exist is a mistyped path (as `offload copy`
    # refuses one it cannot make), never "no reports yet"; the default one is made by the
    # first run, so before it there are no reports yet.
    option = "--report-dir" if args.report_dir else "$OFFLOAD_REPORT_DIR"
    if (args.report_dir or os.environ.get("OFFLOAD_REPORT_DIR")) and not os.path.exists(folder):
        raise UsageError(
            f"the report folder {printable_name(str(folder))} does not exist; {option} names "
            "the folder `offload copy` and `offload verify` write their reports in",
            path=folder,
        )
    try:
        entries = read_history(folder)
    except OSError as exc:
        what = (
            "it is not a folder"
            if isinstance(exc, NotADirectoryError)
            else (f"it cannot be listed: {describe_os_error(exc)}")
        )
        raise UsageError(
            f"cannot list the reports in {printable_name(str(folder))}: {what}; --report-dir "
            "names the report folder",
            path=folder,
        ) from None
    found = len(entries)
    if args.limit is not None:
        entries = entries[: args.limit]
    if args.json:
        document = stream_dumps([_json_entry(e) for e in entries], env.stdout)
        signals.holding = True  # the document whole, or nothing: no signal cuts it short
        write_stdout_whole(env, document + "\n")
        return 0
    if not entries:
        print(f"No offload reports in {printable_name(str(folder))} yet.", file=env.stdout)
        return 0
    # Not on a terminal: laid out for ``$COLUMNS``, else 160 columns.
    console = _ListingConsole(
        file=env.stdout, width=None if env.stdout.isatty() else columns_asked(160)
    )
    shown = "" if len(entries) == found else f" (the newest {len(entries)} of {found})"
    # Names as Text, never as rich markup ("[day1]" is a name, "[/b]" a closing tag).
    title = Text(f"Offloads and checks in {printable_name(str(folder))}{shown}")
    listing = _Listing(title, entries, folder)
    if listing.room(console, console.options) < PATH_ROOM:
        _print_blocks(console, title, entries, folder)
    else:
        console.print(listing)
    return 0


class _ListingConsole(Console):
    """The listing's console: a reader that went away (``| head -2``) ends its output
    quietly, exit 0, as ``write_stdout_whole`` ends a document. rich's own answer
    (``Console.on_broken_pipe``) raises SystemExit(1), past the command's ``except
    BrokenPipeError``: exit 1, which says the listing failed."""

    def on_broken_pipe(self) -> None:
        self.quiet = True  # the rest dropped
        raise BrokenPipeError(errno.EPIPE, "the listing's reader went away")


#: The cells a table leaves its destinations at least, or the runs are blocks of lines
#: (``_print_blocks``): on 80 columns the table's seven columns left a path 10 cells, folded
#: over five lines, and "destinatio/ns" for a header.
PATH_ROOM = 32


def _middle(text: str, width: int) -> str:
    """*text* in at most *width* cells, its middle left out (``…``): a path's start (the
    drive) and its end (the card's folder) both tell copies apart; a cut end lost the card."""
    if len(text) <= width:
        return text
    head = max(1, (width - 1) // 3)
    return f"{text[:head]}…{text[len(text) - (width - 1 - head) :]}"


def _report_words(entry: HistoryEntry, folder: Path) -> str:
    """The report's file name (the listing's title names its folder), and which of its HTML
    and PDF documents are beside it."""
    name = os.path.relpath(entry.report, folder) if entry.report else "?"
    beside = [kind for kind, path in (("HTML", entry.html), ("PDF", entry.pdf)) if path]
    return printable_name(name) + (f" (+ {', '.join(beside)})" if beside else "")


def _started(entry: HistoryEntry) -> str:
    """When the run started, as the listing says it: in UTC to the second (its column says
    "(UTC)"; a start stated with another offset, ``21:30:00+05:30``, converted: 16:00:00);
    one stated without an offset is taken as UTC (as ``_moment`` orders it), one that does
    not read as a date shown as it is."""
    text = entry.started or "?"
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text[:19].replace("T", " ")
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S")


class _Listing:
    """The table of the runs, fitted to the width it is printed in: every column but the
    destinations as wide as it needs (the result whole: scripts and eyes look for its words),
    and each destination on a line of its own, its middle left out where it would not fit
    (``_middle``)."""

    def __init__(self, title: Text, entries: list[HistoryEntry], folder: Path) -> None:
        self._title, self._entries, self._folder = title, entries, folder

    def room(self, console: Console, options: ConsoleOptions) -> int:
        """The cells left for the destinations once every other column is as wide as it
        needs (its longest line)."""
        probe = self._table(lambda path: "")
        unbounded = options.update_width(1 << 20)  # the columns' own widths, not clamped
        others = Measurement.get(console, unbounded, probe).maximum - len("destinations")
        return options.max_width - others

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        room = max(len("destinations"), self.room(console, options))
        yield self._table(lambda path: _middle(path, room))
        # The table has no column for a reason: a refusal's (and an unreadable file's) is a
        # line below it, the entry named by its report, as the blocks give it a ``why`` line.
        for entry in self._entries:
            why = _why(entry)
            if why is not None:
                yield Text(f"why {_report_words(entry, self._folder)}: {why}", overflow="fold")

    def _table(self, shown: Callable[[str], str]) -> Table:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=self._title)
        for column in ("started (UTC)", "run", "card", "destinations"):
            table.add_column(column, no_wrap=True)
        table.add_column("result", no_wrap=True)
        table.add_column("exit", no_wrap=True)
        table.add_column("report", no_wrap=True)
        for entry in self._entries:
            table.add_row(
                _started(entry),
                entry.kind or "?",
                Text(printable_name(entry.card or "?")),  # names: control characters escaped
                Text("\n".join(shown(printable_name(d)) for d in entry.destinations)),
                Text(entry.result),
                "" if entry.exit_code is None else str(entry.exit_code),
                Text(_report_words(entry, self._folder)),
            )
        return table


def _print_blocks(console: Console, title: Text, entries: list[HistoryEntry], folder: Path) -> None:
    """The runs on a narrow terminal: a line each (when, what, which card, its result, its
    exit code; the result and exit code on a line of their own where they would not fit
    after the card), then its destinations and its report on lines of their own, each
    path whole where it fits, its middle left out where not."""
    console.print(title, style="table.title")
    room = max(20, console.width - 11)  # "  to      " / "  report  " before each
    for entry in entries:
        exit_code = "" if entry.exit_code is None else f"  exit {entry.exit_code}"
        # The table's column says "(UTC)"; a block's line says it after the time.
        zone = " UTC" if entry.started else ""
        head = Text(f"{_started(entry)}{zone}  {entry.kind or '?'}  ", style="bold")
        head.append(Text(printable_name(entry.card or "?"), style="bold"))
        result = f"{entry.result}{exit_code}"
        # A result that does not fit after them goes on a line of its own, never folded
        # into the head at a space of its own ("finished by the run of 2026-12-07 ⏎
        # 09:45:15 UTC": a date cut in two).
        alone = head.cell_len + 2 + Text(result).cell_len > console.width
        if not alone:
            head.append(f"  {result}")
        console.print()
        console.print(head, overflow="fold")
        if alone:
            console.print(Text(f"  {'result':<8}{result}"), overflow="fold")
        label = "checked" if entry.kind == "verify" else "to"
        for index, destination in enumerate(entry.destinations):
            word = label if index == 0 else ""
            console.print(Text(f"  {word:<8}{_middle(printable_name(destination), room)}"))
        console.print(Text(f"  {'report':<8}{_report_words(entry, folder)}"), overflow="fold")
        why = _why(entry)
        if why is not None:
            console.print(Text(f"  {'why':<8}{why}"), overflow="fold")


def _why(entry: HistoryEntry) -> str | None:
    """Why an entry is what it is, on one line: a file that is no readable report, or a
    refusal (its first line, then the preflight's findings after it, each apart from the
    next by "; "); None for a run."""
    if not (entry.error or entry.reason):
        return None
    first, *rest = [line for line in (entry.error or entry.reason or "").splitlines() if line]
    return printable_line(" ".join([first, "; ".join(rest)]) if rest else first)
