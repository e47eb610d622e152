"""``offload verify PATH``: re-hash a destination (or a card) from the media against its
records (see :mod:`offload.verification`), with live progress on a terminal and a report.

Every run that got as far as checking a folder writes a JSON report and a CSV (one row per
path) into the local report folder (``--report-dir``, ``$OFFLOAD_REPORT_DIR``, default
``$XDG_STATE_HOME/offload-ai/reports`` or ``~/.local/state/offload-ai/reports``), named
``verify_<folder>_<YYYY-MM-DD_HHMMSS>Z.json``
(``_2``, ``_3``... when a report of that second exists: two runs never overwrite each other).
Its ``exit_code`` is the process's. The layout is in docs/json.md.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import os
import posixpath
import signal
import socket
import stat
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Column

from offload import json_text
from offload._version import __version__
from offload.cli.common import (
    Environment,
    add_creator_arguments,
    add_quiet_and_report_dir_options,
    default_report_dir,
    handling_signals,
    keep_signals_to_exit,
    local_report_dir,
    manifest_options,
    path_text,
    report_folder_device,
    signal_words,
    write_stdout_whole,
)
from offload.copy_legacy_mhl import MISMATCH as LEGACY_MISMATCH
from offload.copy_legacy_mhl import LegacyMhlCheck
from offload.destinations.s3config import settings_from_env
from offload.destinations.s3credentials import TOKEN_REFUSED_BEFORE
from offload.destinations.s3url import is_s3_url
from offload.errors import (
    OffloadError,
    UsageError,
    describe_os_error,
    on_network_share,
    printable_line,
    printable_name,
    read_error_words,
)
from offload.ledger import (
    Ledger,
    LedgerEntries,
    final_path_of,
    kept_by_check,
    ledger_path,
    proven_when,
)
from offload.lock import CopyRootLocks
from offload.manifest import ChangeReason, CreatorInfo, VerifyReport
from offload.manifest.atomic import could_not_look, own_temp_files, write_file_atomically
from offload.manifest.layout import ASCMHL_FOLDER
from offload.manifest.verify import (
    CheckCancelled,
    OnPlan,
    Reason,
    cancelled_after_reads,
    no_generation_while_unreadable,
)
from offload.manifest.xmltext import xml_safe
from offload.manifest_options import MhlKind
from offload.own_record import MISMATCH as OWN_RECORD_MISMATCH
from offload.report.csv_cells import cell
from offload.report.dates import iso_date
from offload.report.left_behind import left_behind_json
from offload.report.words import PAGE_CACHE_CAUSES, plural
from offload.verification import (
    LEDGER_CHECKED,
    READ_ERROR,
    GenerationUnwrittenError,
    VerifyExit,
    exit_code_of,
    verify_path,
)
from offload.verification_reason import RECORDED_IN_UPPER_CASE, REPLACED_SINCE_RECORDED
from offload.verify_lock import guard_check, guard_s3_check
from offload.verify_reads import load_entries, reads_once
from offload.verify_revoke import Revocation, revoke_found_wrong
from offload.word_list import word_list

if TYPE_CHECKING:
    from offload.destinations.s3unreachable import UnreachableLatch

REPORT_SCHEMA = "offload-ai/verify-report/1"
#: The lists of the report a cancelled check leaves empty, not having looked for them: the
#: report's ``not_looked_for`` then (docs/json.md).
NOT_LOOKED_FOR = ("missing", "missing_folders", "extra", "dangling", "outside", "leftovers")

EXIT_CODES_HELP = (
    "Exit codes: 0 all OK; 10 files (or folders the history records) missing (a recorded "
    "file whose name is a symlink leading nowhere or out of the copy too), or the copy "
    "root's last offload did not finish (INCOMPLETE: files may be missing); 11 files "
    "changed or unreadable (or a folder cannot be read, or --append could not write its "
    "generation once the check was over, its results reported, or cannot write it at all: "
    "its history on a read-only mount, refused before any read); 21 only new files; 22 some "
    "recorded files checked for size only (a legacy MHL entry with no hash offload-ai can "
    "recompute), or not at all (an --mhl-file entry naming its file from a root: "
    "/Volumes/..., D:\\..., or above PATH by '..'), none failed; 30 nothing to "
    "verify against; 31 the ASC MHL history is damaged or forged (a manifest modified, "
    "paths outside PATH, --append over a manifest the chain does "
    "not list; an --mhl-file naming every file from a "
    "root or above PATH): not trusted, nothing verified; 32 its manifests stand without "
    "their chain "
    "file, 33 a manifest the chain file lists is gone (as ascmhl-debug verify): nothing "
    "verified; 64 usage "
    "error or bad input (an --mhl-file that cannot be read or is not a legacy MHL, or given "
    "with --append), nothing "
    "verified; 130 interrupted. A report (JSON and CSV) is written into the report folder "
    "with the same exit code."
)


def add_verify_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """The ``verify`` sub-command (its parser class comes from *commands*)."""
    verify = commands.add_parser(
        "verify",
        allow_abbrev=False,
        help="re-hash a destination or card from the media against its records",
        description="Re-hash every file under PATH, reading the media (not the page cache), "
        "against its newest ASC MHL history (nested histories included), a legacy MHL "
        "(--mhl-file), or the ledger offload-ai keeps there; report OK, changed, missing "
        "and new files. Symlinks to files inside the copy are checked as the files they "
        "lead to (as ascmhl does), those the history's ignore list names are skipped (as "
        "offload copy writes for links to folders, dangling, looping or out of the card); "
        "other symlinks that lead nowhere or to a file outside the copy (or into its "
        "ascmhl/.offload) are never read: named in a warning, missing if recorded (their "
        "bytes are not the copy's; against the ledger too), ignored by the generation "
        "--append writes when not recorded, where its pattern hides nothing (as offload copy "
        "does), so ascmhl skips them too (a link left out is named: ascmhl calls it new); "
        "against a legacy MHL, links out of the card it does not list are passed over. "
        "PATH may be "
        "s3://bucket/prefix/CARD: its history (or ledger) is read from the bucket and every "
        "object re-hashed by a streamed GET (docs/s3.md).",
        epilog=EXIT_CODES_HELP,
    )
    verify.add_argument(
        "path", metavar="PATH", type=path_text, help="a folder, or s3://bucket/prefix/CARD"
    )
    verify.add_argument(
        "--mhl-file",
        metavar="FILE",
        type=path_text,
        help="verify against this legacy MHL v1 file (for an s3:// PATH: an s3:// URL under "
        "PATH, or a local file whose entries are relative to PATH; each path joined to the "
        "MHL's folder and normalized, as offload copy reads it); an entry naming its file "
        "from a root (/Volumes/..., D:\\...) rather than from the MHL's folder, or above "
        "PATH by '..', is not checked, each named NOT CHECKED, the others are (exit 22 at "
        "best, never 0), as "
        "offload copy checks the rest of such an MHL on a card; one naming every file so is "
        "refused (exit 31)",
    )
    verify.add_argument(
        "--append",
        action="store_true",
        help="append an in-place generation recording this check to the "
        "ASC MHL history (as ascmhl create does; ascmhl-debug verify writes none); on s3:// it "
        "is stored under the prefix; not with --mhl-file (a legacy MHL is never appended to)",
    )
    verify.add_argument(
        "--json", action="store_true", help="print the report as JSON on stdout (docs/json.md)"
    )
    verify.add_argument(
        "--s3-endpoint",
        metavar="URL",
        help="endpoint of an S3-compatible service for an s3:// PATH (default: "
        "AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, else AWS; docs/s3.md)",
    )
    verify.add_argument(
        "--s3-profile",
        metavar="NAME",
        help="AWS profile (~/.aws/config) for an s3:// PATH (default: AWS_PROFILE)",
    )
    add_quiet_and_report_dir_options(verify)
    add_creator_arguments(verify, "manifest creator info (with --append)")


def _as_written(expected: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``{"expected_as_written": ...}`` for a changed file whose record holds a legacy
    MHL's ``<xxhash64>`` (little-endian, compared as its canonical xxh64): each such
    digest in the words of a line quoting it (``as_written.as_recorded``), so the report
    and the CSV quote what the MHL holds; ``{}`` (no key) for any other record."""
    from offload.manifest.as_written import LittleEndianXxh64, as_recorded

    written = {
        name: as_recorded(value)
        for name, value in expected.items()
        if isinstance(value, LittleEndianXxh64)
    }
    return {"expected_as_written": written} if written else {}


def report_dict(
    root: Path | str,
    report: VerifyReport | None,
    *,
    code: int,
    error: str | None,
    started: float,
    finished: float,
    reads: int,
    bytes_read: int,
    remote: bool = False,
    through_cache: int = 0,
    revocation: Revocation | None = None,
) -> dict[str, Any]:
    """The verify report (docs/json.md); also what ``--json`` prints. *reads*: files read
    from the media past the page cache, or with *remote* objects read back by a GET;
    *through_cache*: files read through a cache that could not be dropped (a network
    share's server, a FUSE filesystem's block device not opened: ``fs.below``);
    *revocation*: what the check revoked in the copy root's ledger (``verify_revoke``)."""
    empty: tuple[str, ...] = ()
    lists = {
        name: list(getattr(report, name)) if report is not None else list(empty)
        for name in (
            "verified",
            "missing_files",
            "missing_folders_listed",
            "extra",
            "unreadable",
            "unverifiable",
            "dangling",
            "outside",
            "nested",
            "ledger_checked",
            "leftovers",
            "cancelled",
            "from_a_root",
        )
    }
    changed = [
        {
            "path": c.path,
            "reason": c.reason,
            "expected_size": c.expected_size,
            "actual_size": c.actual_size,
            "expected": dict(c.expected),
            "actual": dict(c.actual),
            **_as_written(c.expected),
        }
        for c in (report.changed if report is not None else ())
    ]
    return {
        "schema": REPORT_SCHEMA,
        "tool": f"offload-ai {__version__}",
        "hostname": socket.gethostname(),
        "path": str(root),
        "reference": None if report is None else report.reference,
        # As the job report's: to the second in UTC (``iso_date``), the start to the
        # microsecond beside it (what orders two checks of one second in ``offload history``).
        "started": iso_date(started),
        "started_unix": round(started, 6),
        "finished": iso_date(finished),
        "elapsed_s": round(finished - started, 3),
        "exit_code": code,
        "passed": report is not None and report.passed,
        "error": error,
        "totals": {
            "verified": len(lists["verified"]),
            "changed": len(changed),
            # Files alone; a recorded folder gone (its files counted) apart.
            "missing": len(lists["missing_files"]),
            "missing_folders": len(lists["missing_folders_listed"]),
            "extra": len(lists["extra"]),
            "unreadable": len(lists["unreadable"]),
            "unverifiable": len(lists["unverifiable"]),
            "dangling": len(lists["dangling"]),
            "outside": len(lists["outside"]),
            "leftovers": len(lists["leftovers"]),
            "cancelled": len(lists["cancelled"]),
            "from_a_root": len(lists["from_a_root"]),
            "bytes_read": bytes_read,
            # Recorded, not recomputed: a pass is of the files alone (docs/json.md).
            "folder_hashes_unchecked": 0 if report is None else report.folder_hashes_unchecked,
        },
        "verified": lists["verified"],
        "changed": changed,
        "missing": lists["missing_files"],
        # The recorded folders gone (a history records each folder too), not in "missing".
        "missing_folders": lists["missing_folders_listed"],
        "extra": lists["extra"],
        "unreadable": lists["unreadable"],
        "unverifiable": lists["unverifiable"],
        # --mhl-file entries naming their file from a root: not checked (no pass).
        "from_a_root": lists["from_a_root"],
        "dangling": lists["dangling"],
        "outside": lists["outside"],
        "nested": lists["nested"],
        # Names no XML manifest can hold, checked against the copy root's ledger instead
        # (each also in verified, changed, missing or unreadable): verification.unheld_by_ledger.
        "ledger_checked": lists["ledger_checked"],
        # offload-ai's own debris (a partial, or what fusefat leaves of one): no card file.
        "leftovers": lists["leftovers"],
        # A check a cancel stopped: the recorded files it had not finished reading.
        "cancelled": lists["cancelled"],
        # The lists such a check never looked for: empty there, but not "none". Named here,
        # not made null: every reader of this schema takes them as lists (docs/json.md).
        "not_looked_for": list(NOT_LOOKED_FOR) if code == VerifyExit.CANCELLED else [],
        # A further signal stopped the command once its check was over: set when the report
        # is restated so (``_Written.restate``), what ``offload history`` reads.
        "stopped_after_check": False,
        # Why a path is in its list, where its name does not say it all (one reason a path,
        # the words the terminal and the CSV print: offload.verification_reason).
        "reasons": {
            path: {"code": why.code, "text": why.text}
            for path, why in sorted((report.reasons if report is not None else {}).items())
        },
        "files_read_from_media": 0 if remote else reads,
        "files_read_through_cache": 0 if remote else through_cache,
        # Which: the CSV marks each (``THROUGH_A_CACHE``).
        "read_through_cache": [] if remote or report is None else list(report.read_through_cache),
        "objects_read_back": reads if remote else None,
        "generation": None
        if report is None or report.generation is None
        else str(report.generation),
        # --append's generation not written once the check was over (``error`` says why):
        # the lists are the check's results all the same; what ``offload history`` reads.
        "generation_unwritten": report is not None and report.generation_unwritten is not None,
        # The copy root's last offload did not finish (killed, a power cut, cancelled): the
        # INCOMPLETE line, else null. No pass (exit 10): card files no record names may be
        # missing, so ``totals.missing`` counts only the recorded ones gone.
        "unfinished_offload": None if report is None else report.unfinished_offload,
        # How each offload of that line ended (``running``, ``cancelled``, ``failed``,
        # ``unreadable``), in its order; [] where it is null: ``offload history`` reads it.
        "unfinished_offload_states": []
        if report is None or report.unfinished_offload is None
        else list(report.unfinished_states),
        # Beyond the files' states: on S3, objects of this run's it may have left there; a
        # signal that came once the check was over (appended later; docs/json.md).
        "notes": (list(report.notes) if report is not None else [])
        + (
            [_not_revoked_words(revocation, report, remote=remote)]
            if revocation and revocation.error
            else []
        ),
        # The copies found wrong whose record in the copy root's ledger this check revoked.
        "revoked": list(revocation.revoked) if revocation is not None else [],
        # On S3, each object or version of this run's the note says it may have left.
        "left_behind": left_behind_json(report.left_behind if report is not None else ()),
        # Each legacy MHL the copy holds (the card's own, copied and verified): what it
        # says of the files it lists (offload.copy_legacy_mhl).
        "legacy_mhls": [check._asdict() for check in (report.legacy_mhls if report else ())],
        "report": None,
    }


#: A verified row's ``detail`` in the CSV when its file was read through a cache that could
#: not be dropped (the report's ``read_through_cache``), as the terminal's WARNING says it.
THROUGH_A_CACHE = (
    "read through a cache, not from the media (a network share's server, or a page cache "
    "that could not be dropped): it matched what the cache returned, not proven of the disk"
)


def csv_text(data: dict[str, Any], exact: Mapping[str, str] | None = None) -> str:
    """One row per path: ``path,status,detail`` (status: verified, changed, missing, new,
    unreadable, unverifiable, dangling, outside, leftover, cancelled; first, where the copy
    root's last offload did not finish, a row ``.,incomplete,<the INCOMPLETE line>``; detail:
    for a verified
    file read through a cache (*data*'s ``read_through_cache``), ``THROUGH_A_CACHE``; what
    changed, then the path's reason, the ``text`` of its ``reasons`` entry in *data*, or, where
    *exact* has the path, that text with the names it holds as they are, ``Reason.exact``).
    Text cells as ``report.csv_cells`` writes them (names exact, escaped: a byte that is
    not UTF-8 as ``\\xNN``, a control character...), a name within a reason too: spelled
    once, never the terminal's ``\\x01`` escaped again."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["path", "status", "detail"])
    reasons = data.get("reasons", {})

    def why(path: str) -> str:
        if exact and path in exact:
            return exact[path]
        if path not in reasons:
            return ""
        return str(reasons[path]["text"])

    # A file read through a cache that could not be dropped: its OK is the cache's.
    cached = set(data.get("read_through_cache") or ())
    # A name no manifest can hold, verified against the ledger: its reason says so.
    by_ledger = set(data.get("ledger_checked") or ())
    rows: list[tuple[str, str, str]] = [
        (
            p,
            "verified",
            "; ".join(
                filter(
                    None, (THROUGH_A_CACHE if p in cached else "", why(p) if p in by_ledger else "")
                )
            ),
        )
        for p in data["verified"]
    ]
    for change in data["changed"]:
        # A legacy MHL's <xxhash64> quoted as written there, beside its canonical xxh64.
        written = change.get("expected_as_written") or {}
        detail = (
            f"size {change['actual_size']}, recorded {change['expected_size']}"
            if change["reason"] == "size"
            else "; ".join(
                f"{k} {change['actual'].get(k)} (recorded {written.get(k, v)})"
                for k, v in change["expected"].items()
            )
        )
        rows.append(
            (change["path"], "changed", "; ".join(filter(None, (detail, why(change["path"])))))
        )
    for key, status in (
        ("missing", "missing"),
        ("missing_folders", "missing-folder"),
        ("extra", "new"),
        ("unreadable", "unreadable"),
        ("unverifiable", "unverifiable"),
        ("from_a_root", "from-a-root"),
        ("dangling", "dangling"),
        ("outside", "outside"),
        ("leftovers", "leftover"),
        ("cancelled", "cancelled"),
    ):
        # A path in dangling or outside is missing too: its reason is that row's status.
        rows.extend(
            (
                p,
                status,
                why(p)
                if key in ("missing", "missing_folders", "extra", "unreadable", "leftovers")
                else "",
            )
            for p in data.get(key, ())
        )
    if data.get("from_a_root"):
        from offload.card_legacy_mhl import from_a_root

        # The key's name is from when only a path from a root was outside: one above PATH
        # by ".." says so in its detail (docs/json.md).
        rows = [
            (
                p,
                s,
                "outside PATH, above it by '..'"
                if s == "from-a-root" and not from_a_root(p)
                else d,
            )
            for p, s, d in rows
        ]
    # The copy root's last offload did not finish (``unfinished_offload``): a row of its own,
    # first, for the copy root (``.``), as no file's row can say it.
    if data.get("unfinished_offload"):
        writer.writerow([".", "incomplete", cell(str(data["unfinished_offload"]))])
    for path, status, detail in sorted(rows):
        writer.writerow([cell(path), status, cell(detail)])
    return out.getvalue()


def write_report(
    folder: Path,
    root: Path,
    data: dict[str, Any],
    started: float,
    *,
    written: _Written | None = None,
    reasons: Mapping[str, Reason] | None = None,
    named: bool = False,
    device: tuple[Path, int] | None = None,
) -> Path:
    """Write ``verify_<root>_<stamp>Z[_N].json`` and its ``.csv``; never over an existing
    report. Returns the JSON's path, also given to *written* as soon as the JSON is there.
    *reasons*: the check's (``VerifyReport.reasons``), whose ``exact`` words the CSV gives.
    *named*: a folder the user named (``--report-dir``, ``$OFFLOAD_REPORT_DIR``), made if
    missing but never the folders above it (``common.local_report_dir``'s rule, as
    ``offload copy``'s); else the default one, made with its parents. *device*: the folder
    looked at as the check began and its device (``common.report_folder_device``): one
    no longer on it (its drive pulled, its bare mount point a folder of the disk below)
    gets no report (``fs.devices.still_on``, the copy's check). Raises OSError."""
    from offload.fs.devices import still_on
    from offload.fs.ops import make_folder_durable

    if device is not None:
        still_on(*device)
    if named:
        make_folder_durable(folder)  # gone since (a drive pulled): ENOENT, never made below
    else:
        folder.mkdir(parents=True, exist_ok=True)
    from offload.plan.names import report_name_for  # as offload copy names its reports

    name = xml_safe(os.path.basename(os.path.normpath(os.path.abspath(root)))) or "root"
    name = report_name_for(name, (folder,))
    stem = f"verify_{name}_{datetime.fromtimestamp(started, UTC):%Y-%m-%d_%H%M%S}Z"
    for attempt in range(1, 1000):
        base = stem if attempt == 1 else f"{stem}_{attempt}"
        target = folder / f"{base}.json"
        data["report"] = str(target)
        try:
            write_file_atomically(target, json_text.encoded(json_text.dumps(data)), replace=False)
        except FileExistsError:
            continue
        if written is not None:
            written.path = target
        exact = {path: why.exact for path, why in (reasons or {}).items() if why.exact}
        rows = csv_text(data, exact).encode("utf-8")
        write_file_atomically(folder / f"{base}.csv", rows, replace=True)
        return target
    raise FileExistsError(f"too many reports named {stem} in {folder}")


class _Signals:
    """SIGINT, SIGTERM and SIGHUP (the terminal closed: its output then goes to /dev/null)
    end the check (exit 130, with a report), not silently: SIGTERM's and SIGHUP's defaults
    would end the process without one. A signal the process started with ignored
    (``offload verify ... &`` in a script: SIGINT) stays ignored, as in ``offload copy``
    (``handling_signals``).

    The first signal while the check runs cancels it (KeyboardInterrupt, ``cancelling``);
    one after it, up to ``check_over()``, is the cancel being carried out (what was read
    turned into a ``CheckCancelled``, an ``--append`` generation's partial removed): as a
    second Ctrl-C while ``offload copy`` cancels (``cancel_on_signals``), it is recorded
    (``again``: said as a further stop of the check already cancelled), never raised, so
    that no KeyboardInterrupt lands in that unwinding (before: a traceback, the process
    killed by the signal, no report; or the files the check had proved lost).

    Once the check is over (``check_over()``: its report and summary next) nothing is left
    to cancel, so, as after ``offload copy``'s copy (``SignalsAfterCopy``), the first
    SIGINT or SIGTERM after a check that finished is only recorded (``received``: the
    report is written in full, the exit code the check's, the command says so at the end),
    a SIGHUP changes nothing, and a second SIGINT or SIGTERM (after a cancelled check, the
    first: the cancel was the first) stops the process (KeyboardInterrupt, ``stopped_by``,
    which ``cmd_verify`` turns into one line and exit 130: a report cut short is under a
    temporary name, never half-written under its final one). Main thread only, like the
    handler.

    While ``holding`` (``--json``'s document being written on stdout; the check revoking
    the ledger's record of the copies it found wrong) no signal stops the command: a
    document cut short would be a fragment a reader's ``jq`` cannot parse, and its
    ``exit_code`` is the one the command exits with from then on; a revocation cut short
    would leave its append written but not made durable (or a line half-written). A
    further signal then is only recorded (``further``); one during the revocation stops
    the command once the revocation is done (``_stopped_while_revoking``).

    Once ``stated`` (the report and its restatement written, the summary or document
    printed: the exit code is theirs) no signal stops the command either: it is recorded
    (``further``, said at the end), and in the command's own process the handler stays to
    the exit (``kept``, ``handling_signals``' *keep*), so that no KeyboardInterrupt (a
    traceback) or SIGTERM's default (killed) lands in what is left of it."""

    def __init__(self) -> None:
        self.over = False
        self.cancelled = False  # a cancel stopped the check (set as it is caught)
        self.holding = False
        self.stated = False
        self.kept = False
        self.cancelling = False  # the first signal raised: a later one is ``again``
        self.again: int | None = None
        self.received: int | None = None
        self.further: int | None = None
        self.stopped_by: int | None = None

    def check_over(self) -> None:
        """The check is over (``cancelled``: a cancel stopped it, its exit code 130)."""
        self.over = True

    def take_further(self) -> int | None:
        """The further signal recorded (``further``), no longer recorded: one that comes
        from now on is recorded anew."""
        further, self.further = self.further, None
        return further

    def handler(self, signum: int, frame: object) -> None:
        if not self.over:
            if not self.cancelling:
                self.cancelling = True
                raise KeyboardInterrupt
            if signum != signal.SIGHUP:
                self.again = signum  # the check is being cancelled: nothing more to stop
            return
        if signum == signal.SIGHUP:
            return
        if self.stated:
            self.further = signum
            return
        if self.received is None and not self.cancelled:
            self.received = signum
            return
        if self.holding:
            self.further = signum
            return
        self.stopped_by = signum
        raise KeyboardInterrupt


@contextmanager
def _interruptible(env: Environment) -> Iterator[_Signals]:
    """:class:`_Signals`' handler for SIGINT, SIGTERM and SIGHUP while the block runs."""
    signals = _Signals()
    with handling_signals(env, signals.handler, keep=lambda: signals.kept):
        yield signals


#: The line of a run stopped by a second signal while its report was written or its
#: summary printed, the check over.
STOPPED_DURING_REPORTS = (
    "stopped by a further signal while the report was written, the check over: a report "
    "not yet written is missing (none is left half-written under its name); run the check "
    "again for one"
)


def signal_during_reports(words: str) -> str:
    """The warning of a run whose signal (*words*: ``signal_words``) came once its check
    was over, while its report was written or its summary printed; its report's note too."""
    return (
        f"{words} came while the report was written, after the check had finished: nothing "
        "was cancelled; the exit code is the check's"
    )


def stopped_after_cancel(words: str) -> str:
    """The line of a run whose check a cancel had stopped, stopped again by a signal
    (*words*: ``signal_words``) while its report was written or its summary printed."""
    return (
        f"stopped by {words} while the report of the cancelled check was written: a further "
        "stop of the check already cancelled (exit 130 either way); a report not yet written "
        "is missing (none is left half-written under its name); run the check again for one"
    )


def stopped_after_cancel_note(words: str) -> str:
    """The note a report already written is restated with when a signal (*words*) stopped
    the command after a cancel had stopped its check (``stopped_after_cancel``)."""
    return (
        f"stopped by {words} while this report was written: a further stop of the check "
        "already cancelled (exit 130 either way); the files' states stand as this report "
        "gives them, the lists of not_looked_for were not looked for; its CSV, and the "
        "summary, may be missing"
    )


def _again_words(signum: int) -> str:
    """What the error line of a cancelled check adds when another signal (*signum*) came
    while the cancel was carried out (``_Signals.again``)."""
    return (
        f"; {signal_words(signum)} came again while the check was being cancelled: a further "
        "stop of the check already cancelled, with nothing more to stop"
    )


def _cancelled_words(report: VerifyReport | None, append: bool, root: Path, *, remote: bool) -> str:
    """The error line of a check a cancel stopped (*report*: what it had proved, None when
    it had read nothing). With ``--append`` (*append*; no nested history then: refused)
    and no recorded file left unread, every recorded file was checked, and the line says
    so, and what became of the generation: written (``Recorded in`` names it), none to
    write (files unreadable: the words of ``verify_tree``'s note), or not, with any
    partial of it this process left in *root*'s ``ascmhl/`` named (*remote*: not stored
    in the bucket, whose notes name any object of it left). "Found": a recorded file that
    is gone was not read, and is not named missing either."""
    if report is None:  # before the reads: nothing was proved
        return "interrupted: the check did not finish"
    unnamed = "no file is named missing or new (the check stopped before it named them)"
    if not (append and not report.cancelled):
        return (
            "interrupted: the check did not finish; "
            f"{plural(len(report.cancelled), 'recorded file')} not checked "
            f"(cancelled), and {unnamed}"
        )
    checked = (
        "interrupted once every recorded file found was read "
        f"({len(report.verified)} OK, {len(report.changed)} changed, "
        f"{len(report.unreadable)} unreadable), before the check finished: {unnamed}; "
    )
    if report.generation is not None:
        return checked + "the new ASC MHL generation was written"
    if report.unreadable:  # none is ever written then (``verify_tree``): its note's words
        return checked + no_generation_while_unreadable(len(report.unreadable))
    if remote:
        return (
            checked + "the new ASC MHL generation was not stored (the notes name any object "
            "of it left in the bucket); run offload verify --append again to append it"
        )
    return (
        checked + f"the new ASC MHL generation was not written ({_own_partials(root)}); run "
        "offload verify --append again to append it"
    )


def _own_partials(root: Path) -> str:
    """What this process left of its own partials (``manifest.atomic.own_temp_files``) in
    *root*'s ``ascmhl/`` folder, in words: none, each named, or that it could not look
    there (never "none" of a look that failed)."""
    folder = root / ASCMHL_FOLDER
    found = own_temp_files(folder)
    said: list[str] = []
    if found.paths:
        named = ", ".join(printable_name(str(p)) for p in found.paths)
        said.append(f"its partial {named} is left: remove it")
    if found.unlisted is not None:
        said.append(could_not_look(folder, "a partial of it", found.unlisted))
    return "; ".join(said) or "no partial of it is left"


#: The note a report already written is restated with when a further signal stopped the
#: command (``STOPPED_DURING_REPORTS``): its exit code is then 130, ``passed`` false.
STOPPED_NOTE = (
    "stopped by a further signal while the report was written, the check over (exit 130): "
    "the files' states stand as this report gives them, every list was looked for; its CSV, "
    "and the summary, may be missing"
)


class _Written:
    """The verify report as ``_report_and_summary`` got it written: its *data* and the
    JSON's *path* (None: not written), and whether ``--json``'s document was *printed*
    (its exit code the command's from then on). ``restate`` writes the JSON again."""

    __slots__ = ("data", "path", "printed")

    def __init__(self) -> None:
        self.data: dict[str, Any] | None = None
        self.path: Path | None = None
        self.printed: int | None = None

    def restate(
        self, env: Environment, note: str, *, stopped: bool = False, after_check: bool = False
    ) -> None:
        """The JSON written again over itself, atomically, with *note* added to its
        ``notes`` (*stopped*: its exit code 130, ``passed`` false, ``stopped_after_check``
        *after_check*: the caller knows whether the check had finished, which the data's
        exit code cannot tell: one stopped while it revoked is at 130 already). A failure
        is one line.
        A signal that stops the command meanwhile (KeyboardInterrupt) leaves the JSON as it
        was: when *stopped*, said in one line (the command exits 130 anyway); otherwise
        raised, for the command to stop as for any signal after the check (a stopped run
        restated with exit 130, never one that exits with the check's code)."""
        if self.data is None or note in self.data["notes"]:
            return
        self.data["notes"].append(note)
        if stopped:
            # Stopped after a check that finished (its lists whole); one a cancel had
            # stopped already stays a cancelled check.
            self.data.update(
                exit_code=int(VerifyExit.CANCELLED),
                passed=False,
                stopped_after_check=after_check,
            )
        if self.path is None:
            return
        try:
            encoded = json_text.encoded(json_text.dumps(self.data))
            write_file_atomically(self.path, encoded, replace=True)
        except OSError as exc:
            env.error(
                f"cannot restate the verify report {printable_name(str(self.path))}: "
                f"{describe_os_error(exc)}"
            )
        except KeyboardInterrupt:
            if not stopped:
                raise
            env.error(
                f"stopped again while {printable_name(str(self.path))} was restated: it "
                "still gives the exit code it was written with"
            )


@dataclass(frozen=True)
class _ReportInputs:
    """What a check's report is built from once the check and its revocation are over:
    the check's *report* (None: it proved nothing), its *root* (local: the folder or
    the mirror's; *remote*: ``s3://``) and *checked*, the root as the report names it;
    its exit *code* and *error* (None: none); when it *started*; the files it *reads*
    from the media, *bytes_read*, and those read through the cache (*cached*); the
    *report_dir* it is written into (None: the input was refused, no report), whether the
    user *named* it and its *device* as the check began (``write_report``); and the
    ledger's *revocation* (None: none was tried). ``_report_and_summary`` and
    ``_stopped_while_revoking`` build and write the report from it alike."""

    report: VerifyReport | None
    root: Path
    checked: Path | str
    remote: bool
    code: int
    error: str | None
    started: float
    reads: int
    bytes_read: int
    cached: int
    report_dir: Path | None
    revocation: Revocation | None
    named: bool = False
    device: tuple[Path, int] | None = None

    def report_data(self) -> dict[str, Any]:
        """The report's document (``report_dict``), finished now."""
        return report_dict(
            self.checked,
            self.report,
            code=self.code,
            error=self.error,
            started=self.started,
            finished=time.time(),
            reads=self.reads,
            bytes_read=self.bytes_read,
            remote=self.remote,
            through_cache=self.cached,
            revocation=self.revocation,
        )

    def write(
        self, env: Environment, data: dict[str, Any], written: _Written, *, after: str
    ) -> None:
        """*data* written into ``report_dir`` when the run leaves a report
        (``_leaves_report``), recorded in *written*; a folder that refuses it is one line
        (its end, *after*), ``data["report"]`` then None."""
        if self.report_dir is None or not _leaves_report(
            self.root, remote=self.remote, code=self.code, checked=self.report is not None
        ):
            return
        try:
            write_report(
                self.report_dir,
                self.root,
                data,
                self.started,
                written=written,
                reasons=self.report.reasons if self.report is not None else None,
                named=self.named,
                device=self.device,
            )
        except OSError as exc:
            data["report"] = None
            env.error(
                f"cannot write the verify report into {printable_name(str(self.report_dir))}: "
                f"{describe_os_error(exc)}; --report-dir chooses another folder{after}"
            )


def _write_stdout(env: Environment, text: str) -> None:
    """Print, whole; a reader that went away (``| head``) is not an error: the rest is
    dropped (``common.write_stdout_whole``)."""
    write_stdout_whole(env, text + "\n")


OnFile = Callable[[Path, int], None]
Verifier = Callable[[OnFile, OnPlan | None], tuple[VerifyReport, int, int]]


#: The verify bar's columns beside the bar, most needed first, each with the cells it may
#: take ("50000/50000 files", "110.3/110.3 GB"): those that fit the terminal are shown.
_VERIFY_EXTRAS = (("files", 17), ("bytes", 15), ("speed", 11))
#: "verify", the percentage ("100%") and the time left ("0:00:42"), a space after each.
_VERIFY_FIXED = 7 + 5 + 8


class TimeLeftColumn(TimeRemainingColumn):
    """rich's time left, not kept while the total is unknown. rich keeps a column's render
    for its ``max_refresh`` (0.5 s here) to steady the time it shows; its render before
    the bar knows its total (the pulse) is blank, so a frame drawn in the half second after
    the check said what it will read showed the bar and its percentage with no time left
    (``0% 0/100 files``: 3 runs of 6 at 60 columns on a loaded machine). A blank render is not
    kept: the first frame that knows the total shows its time left."""

    def __call__(self, task: Task) -> RenderableType:
        if task.total is None:
            return self.render(task)
        return super().__call__(task)


def verify_columns(width: int) -> tuple[ProgressColumn, ...]:
    """The verify bar's columns for a terminal *width* cells wide, laid on one line: the
    word, the bar, the percentage and the time left always; the files, the bytes and the
    speed while they fit beside a bar of at least 10 cells (the bar up to 40). Before, all
    seven at any width: at 60 columns rich wrapped the row, its time left on a line of its
    own. Text columns never wrap (``no_wrap``)."""
    room = width - _VERIFY_FIXED - 10
    shown = set()
    for name, cells in _VERIFY_EXTRAS:
        if cells + 1 > room:
            break
        shown.add(name)
        room -= cells + 1
    bar = max(10, min(40, room + 10))
    one_line = Column(no_wrap=True)
    columns: list[ProgressColumn] = [
        TextColumn("[bold]verify", table_column=one_line),
        BarColumn(bar_width=bar),
        TaskProgressColumn(),
    ]
    if "files" in shown:
        columns.append(TextColumn("{task.fields[files]}", table_column=Column(no_wrap=True)))
    if "bytes" in shown:
        columns.append(DownloadColumn())
    if "speed" in shown:
        columns.append(TransferSpeedColumn())
    columns.append(TimeLeftColumn())
    return tuple(columns)


def _s3_latch() -> UnreachableLatch:
    from offload.destinations.s3unreachable import UnreachableLatch

    # lone: the check's GETs are sent one after another (``s3unreachable``).
    return UnreachableLatch(lone=True)


def _saying_not_answering(
    verifier: Verifier, latch: UnreachableLatch, where: str, console: Console
) -> Verifier:
    """*verifier*, saying on *console* (stderr: above the progress bar on a terminal) while
    it runs when the bucket at *where* answers none of its requests, they being retried
    (``s3unreachable``'s ``on_wait``): the waiting line, then that it answers again or was
    given up on, as ``offload copy`` says them without a live view. Nothing once it returns
    (a timer's line never lands below the summary)."""
    from offload.destinations import s3unreachable

    def say(state: str, since: float) -> None:
        line = s3unreachable.wait_words(state, where, since)
        if line is not None:
            console.print(line, markup=False, highlight=False, soft_wrap=True)

    def run(on_file: OnFile, on_plan: OnPlan | None) -> tuple[VerifyReport, int, int]:
        latch.on_wait = say
        try:
            return verifier(on_file, on_plan)
        finally:
            latch.on_wait = None

    return run


def _verifier(
    args: argparse.Namespace, creator: CreatorInfo | None, latch: UnreachableLatch | None = None
) -> Verifier:
    """What checks PATH: a local folder, or an S3 copy root (``destinations.s3verify``,
    imported only then; *latch*: its ``s3unreachable`` latch). It is called with
    *on_file(path, size)*, told after each file is read, and *on_plan(files, bytes)*, told
    what each tree's check will read before its first read (``verify_path``)."""
    if is_s3_url(args.path):

        def remote(on_file: OnFile, on_plan: OnPlan | None) -> tuple[VerifyReport, int, int]:
            from offload.destinations.s3verify import verify_s3

            settings = settings_from_env(
                os.environ, endpoint_url=args.s3_endpoint, profile=args.s3_profile
            )
            report, objects = verify_s3(
                args.path,
                settings=settings,
                legacy_mhl=args.mhl_file,
                append_generation=args.append,
                creator=creator,
                on_file=on_file,
                on_plan=on_plan,
                # Its preflight's look made by the lock's guard, first (``guard_s3_check``).
                checked=True,
                latch=latch,
            )
            return report, objects, 0

        return remote

    def local(on_file: OnFile, on_plan: OnPlan | None) -> tuple[VerifyReport, int, int]:
        return verify_path(
            _local_root(args.path),
            legacy_mhl=None if args.mhl_file is None else _local_root(args.mhl_file),
            append_generation=args.append,
            creator=creator,
            on_file=on_file,
            on_plan=on_plan,
        )

    return local


def _local_root(path: str) -> Path:
    """A local PATH as the reports give it: absolute (``os.path.abspath``, symlinks kept as
    typed), as ``offload copy`` gives its source and copy roots, so a report read later, from
    elsewhere, still names the folder checked."""
    return Path(os.path.abspath(path))


def cmd_verify(args: argparse.Namespace, env: Environment, *, own_process: bool = False) -> int:
    """``offload verify``; *own_process*: the process is this command's alone and ends when
    it returns (``offload.main``'s). The copy root's ledger and history are read once per
    state of their files, from the check to the footer (``verify_reads``)."""
    with reads_once():
        return _cmd_verify(args, env, own_process=own_process)


def _cmd_verify(args: argparse.Namespace, env: Environment, *, own_process: bool = False) -> int:
    """:func:`cmd_verify` within its reads' scope."""
    remote = is_s3_url(args.path)
    root = Path(args.path) if remote else _local_root(args.path)
    report_dir = args.report_dir or default_report_dir()
    named_reports = args.report_dir is not None or bool(os.environ.get("OFFLOAD_REPORT_DIR"))
    report_device: tuple[Path, int] | None = None
    # Bad input known before anything is read (64): no check, no report, and with --json
    # the document still says why.
    refused: str | None = None
    creator: CreatorInfo | None = None
    try:
        if args.append and args.mhl_file is not None:
            raise UsageError(
                f"--append writes a generation of the ASC MHL history in PATH's ascmhl/ "
                f"folder: it cannot append to a legacy MHL "
                f"({printable_name(str(args.mhl_file))}); nothing was verified: check the "
                "copy against that MHL without --append (offload verify --mhl-file FILE "
                "PATH), or drop --mhl-file to check it against its ASC MHL history and "
                "append to it",
                path=Path(args.mhl_file),
            )
        # --append writes an ASC MHL generation: its creator fields are checked now.
        if args.append:
            creator = manifest_options(args, frozenset({MhlKind.ASCMHL})).creator()
        # A named report folder is made if missing, never the folders above it; one that
        # is not a folder (the default too) is refused in the copy's words.
        local_report_dir(args.report_dir, nothing="nothing was verified")
        if named_reports:
            # Its device now: one pulled by the end gets no report below (a line says so).
            report_device = report_folder_device(report_dir)
    except UsageError as exc:
        refused = exc.message
    # One latch for the bucket's stores, the check's and its revocation's (``s3unreachable``):
    # a service the check gave up on (answering nothing) is sent nothing more by this command.
    latch = _s3_latch() if remote else None
    verifier = _verifier(args, creator, latch)
    console = Console(file=env.stderr)
    if latch is not None and not args.json and not args.quiet:
        verifier = _saying_not_answering(verifier, latch, printable_name(args.path), console)
    # isdir, not Path.is_dir: a drive that went away (ENOTCONN) is no folder here, and the
    # check itself says so (``verify_path``: DriveUnreachable, exit 64).
    live = (
        not args.json and not args.quiet and console.is_terminal and (remote or os.path.isdir(root))
    )
    started = time.time()
    done = {"bytes": 0, "files": 0}
    report: VerifyReport | None = None
    reads = cached = 0
    error: str | None = None
    code: int
    # ``offload verify --append``'s hold of the copy root's lock (``verify_lock``), from
    # before the check's first read to the end of its revocation.
    held: CopyRootLocks | None = None
    s3_held = False
    # --append's lock object, where its release left it in the bucket (a service given up
    # on: its delete not sent): named in the report's notes and ``left_behind``.
    lock_left: list[tuple[tuple[str, ...], tuple[Mapping[str, object], ...]]] = []
    with _interruptible(env) as signals, ExitStack() as holding:
        try:
            if refused is not None:
                raise UsageError(refused)
            if remote:
                release = guard_s3_check(
                    args.path,
                    settings_from_env(
                        os.environ, endpoint_url=args.s3_endpoint, profile=args.s3_profile
                    ),
                    append=args.append,
                    latch=latch,
                    on_left=lambda notes, entries: lock_left.append((notes, entries)),
                )
                if release is not None:
                    s3_held = True
                    holding.callback(release)
            else:
                # A copy root another offload writes now is no copy to check (exit 64).
                held = guard_check(root, append=args.append)
                if held is not None:
                    holding.enter_context(held)
            if live:
                columns = verify_columns(console.width)
                with Progress(*columns, console=console, transient=True) as progress:
                    # The total is what the check will read, as it says before reading
                    # (each nested history adds its own): the bar ends at 100 % exactly.
                    task = progress.add_task("verify", total=None, files="")
                    planned = {"bytes": 0, "files": 0}

                    def shown_files() -> str:
                        return f"{done['files']}/{planned['files']} files"

                    def on_plan(files: int, size: int) -> None:
                        planned["files"] += files
                        planned["bytes"] += size
                        progress.update(task, total=planned["bytes"] or None, files=shown_files())

                    def on_file(path: Path, size: int) -> None:
                        done["bytes"] += size
                        done["files"] += 1
                        progress.update(task, completed=done["bytes"], files=shown_files())

                    report, reads, cached = verifier(on_file, on_plan)
            else:

                def count(path: Path, size: int) -> None:
                    done["bytes"] += size
                    done["files"] += 1

                report, reads, cached = verifier(count, None)
            code = int(exit_code_of(report))
        except OffloadError as exc:
            error = exc.message
            code = int(exc.exit_code)
            if isinstance(exc, GenerationUnwrittenError):
                # --append's generation alone is lost: the check's results stand, reported
                # and summed up (its revocations made) below the line that says why.
                report = exc.report
                reads = exc.files_read_from_media
                cached = exc.files_read_through_cache
        except KeyboardInterrupt as exc:
            if isinstance(exc, CheckCancelled):
                # What it read before the cancel stands: those files' states, and the rest
                # named cancelled (never "0 verified" after files were read and matched).
                report = exc.report
                reads = exc.files_read_from_media  # on S3: the objects read back by a GET
                cached = exc.files_read_through_cache
            elif report is not None:
                # The check had returned (the progress bar was closing): its judgments of
                # the files stand, told as for any cancel after the reads.
                report = cancelled_after_reads(report).report
            code = int(VerifyExit.CANCELLED)
            signals.cancelled = True
        if report is not None and not remote:
            # Whether a live writer writes each leftover partial, asked once, now: every
            # output (the terminal, --json, the CSV, the saved report) says the same.
            report = _with_leftover_reasons(report)
        written = _Written()
        try:
            # Nothing is left to cancel: a signal now is recorded, the report written in
            # full; after a cancel, one stops the command (the cancel was the first), as
            # any stop from here on: said in one line (``except KeyboardInterrupt`` below).
            signals.check_over()
            if signals.cancelled:
                # Worded once the cancel is carried out: a signal meanwhile is said in it.
                error = _cancelled_words(report, args.append, root, remote=remote) + (
                    _again_words(signals.again) if signals.again is not None else ""
                )
            # The ledger's record of each copy found wrong ends (verify_revoke.py): the next
            # plain offload copy does not trust it. Every signal is only recorded meanwhile
            # (``holding``), a further one too, so that none stops the append half-way (it
            # is durable when it returns); a further one stops the command once it is done.
            revocation = None
            if report is not None:
                signals.holding = True
                try:
                    revocation = (
                        _revoke_s3(args, report, started, locked=s3_held, latch=latch)
                        if remote
                        else _revoke(root, report, started, locked=held is not None)
                    )
                finally:
                    signals.holding = False
                    holding.close()  # the copy root's lock, once nothing more is written
                for notes, entries in lock_left:
                    report = dataclasses.replace(
                        report,
                        notes=(*report.notes, *notes),
                        left_behind=(*report.left_behind, *entries),
                    )
            further = signals.take_further()
            outcome = _ReportInputs(
                report=report,
                root=root,
                checked=args.path if remote else root,
                remote=remote,
                code=code,
                error=error,
                started=started,
                reads=reads,
                bytes_read=done["bytes"],
                cached=cached,
                report_dir=report_dir if refused is None else None,
                revocation=revocation,
                named=named_reports,
                device=report_device,
            )
            if further is not None:
                return _stopped_while_revoking(
                    env, outcome, written, first=signals.received, further=further
                )
            code = _report_and_summary(args, env, outcome, signals=signals, written=written)
            if signals.received is not None:  # the report says it too, not stderr alone
                written.restate(env, signal_during_reports(signal_words(signals.received)))
        except KeyboardInterrupt:
            if written.printed is not None:  # --json's document stands: its exit code
                code = written.printed
            elif signals.cancelled:  # a further stop of the check already cancelled
                words = signal_words(signals.stopped_by)
                written.restate(env, stopped_after_cancel_note(words), stopped=True)
                env.error(stopped_after_cancel(words))
                return int(VerifyExit.CANCELLED)
            else:
                written.restate(env, STOPPED_NOTE, stopped=True, after_check=True)
                env.error(STOPPED_DURING_REPORTS)
                return int(VerifyExit.CANCELLED)
        # The outcome stated: said while the handler is ours, a signal now only recorded.
        signals.stated = True
        if signals.received is not None:
            env.warning(signal_during_reports(signal_words(signals.received)))
        # A signal that came while the outcome was stated said; one from here to the exit
        # named as the process ends.
        keep_signals_to_exit(env, signals, _came_after_report, keep=own_process)
    return code


#: The line of a run stopped by a further signal while the check revoked the ledger's
#: record of the copies it found wrong (``_stopped_while_revoking``), its report written.
STOPPED_WHILE_REVOKING = (
    "stopped by a further signal while the check revoked the ledger's record of the copies "
    "it found wrong, the check over: the revocation was finished first; the summary was not "
    "printed: the report gives the check's results and what it revoked"
)
#: The same line where no report was written (it could not be, said on the line before, or
#: the run leaves none): nothing gives the check's results.
STOPPED_WHILE_REVOKING_UNREPORTED = (
    "stopped by a further signal while the check revoked the ledger's record of the copies "
    "it found wrong, the check over: the revocation was finished first; the summary was not "
    "printed and no report was written, so nothing gives the check's results: the lines "
    "above say what was revoked; run offload verify again for the results"
)


def stopped_while_revoking_note(first: int | None, further: int) -> str:
    """The note of the report of a run that *further* (a signal) stopped while the check
    revoked the ledger's record of the copies it found wrong, *first* having come once the
    check was over (None: the check was cancelled by it)."""
    after = (
        f", after {signal_words(first)} had come once the check was over"
        if first is not None
        else ""
    )
    return (
        f"stopped by {signal_words(further)} while this check revoked the ledger's record of "
        f"the copies it found wrong{after} (exit 130): the revocation was finished first, "
        "durably (`revoked` lists it); the files' states stand as this report gives them; "
        "the summary was not printed"
    )


def _stopped_while_revoking(
    env: Environment,
    outcome: _ReportInputs,
    written: _Written,
    *,
    first: int | None,
    further: int,
) -> int:
    """A check (*outcome*) stopped by a *further* signal that came while it revoked the
    ledger's record of the copies it found wrong (``outcome.revocation``, finished): its
    report built with the check's own code (a check that finished looked for every list),
    recorded in *written*, then with exit code 130,
    ``passed`` false, ``stopped_after_check`` true when the check had finished, and a note
    saying so, written where ``_report_and_summary`` writes one (``_leaves_report``); the
    revocation (or why there was none) and the stop said in a line each (the stop's saying
    whether the report gives the check's results: none where no report was written,
    ``STOPPED_WHILE_REVOKING_UNREPORTED``), nothing on stdout
    (``--json`` too: a stopped command prints no document). Returns 130. A signal while the
    report is written stops the command as after any check (KeyboardInterrupt: the caller
    restates the report)."""
    data = outcome.report_data()
    # Built with the check's own code (``outcome.code``): a check that finished looked for
    # every list (``not_looked_for`` empty) and is then stopped after it, as
    # ``_Written.restate`` says.
    data.update(passed=False)
    if outcome.code != VerifyExit.CANCELLED:
        data.update(exit_code=int(VerifyExit.CANCELLED), stopped_after_check=True)
    data["notes"].append(stopped_while_revoking_note(first, further))
    written.data = data
    outcome.write(env, data, written, after="")
    revocation = outcome.revocation
    if revocation is not None and revocation.revoked:
        env.warning(_revoked_words(revocation, remote=outcome.remote))
    if revocation is not None and revocation.error:
        env.warning(_not_revoked_words(revocation, outcome.report, remote=outcome.remote))
    if data.get("report") is None:
        env.error(STOPPED_WHILE_REVOKING_UNREPORTED)
        return int(VerifyExit.CANCELLED)
    env.error(STOPPED_WHILE_REVOKING)
    print(f"Report: {printable_name(data['report'])}", file=env.stderr)
    return int(VerifyExit.CANCELLED)


def _came_after_report(signum: int) -> str:
    """The warning of a signal that came once the check's outcome was stated."""
    return (
        f"{signal_words(signum)} came after the report was written, while the command "
        "finished: nothing was stopped, and the exit code is the one it gives"
    )


def _leaves_report(root: Path, *, remote: bool, code: int, checked: bool = False) -> bool:
    """Whether a run leaves a report: one that got as far as a folder (*root*), or that
    *checked* it (a check's report: its share may have gone since, *root* no longer
    answering), or on ``s3://`` (*remote*) a bucket it may read (*code*: not a usage
    error)."""
    if remote:
        return code != VerifyExit.USAGE
    return checked or os.path.isdir(root)


def _report_and_summary(
    args: argparse.Namespace,
    env: Environment,
    outcome: _ReportInputs,
    *,
    signals: _Signals,
    written: _Written,
) -> int:
    """Write the check's report (*outcome*) into ``outcome.report_dir`` (None: the input
    was refused, no report) and print its summary (or ``--json``); returns the check's
    code. What was written is recorded in *written* as it is (a signal that stops the
    command restates it); a signal already recorded by *signals* is a note of the report."""
    data = outcome.report_data()
    written.data = data
    if signals.received is not None:
        data["notes"].append(signal_during_reports(signal_words(signals.received)))
    outcome.write(env, data, written, after=" (the check's result stands)")
    code, error, report = outcome.code, outcome.error, outcome.report
    if args.json:
        # Whole or not at all: no signal stops the command while it is written.
        document = json_text.stream_dumps(data, env.stdout, indent=2)
        signals.holding = True
        try:
            _write_stdout(env, document)
        finally:
            signals.holding = False
            written.printed = code
        return code
    if error is not None:
        for line in printable_line(error).splitlines():
            env.error(line)
    if report is not None:
        _print_human(
            env,
            report,
            outcome.reads,
            remote=outcome.remote,
            through_cache=outcome.cached,
            cancelled=code == VerifyExit.CANCELLED,
            revocation=outcome.revocation,
        )
    if data["report"] is not None:
        print(f"Report: {printable_name(data['report'])}", file=env.stderr)
    return code


def _shown(name: str, digest: str | None) -> str | None:
    """A digest as printed: an XXH32 in hex and in the decimal a legacy MHL's ``<xxhash>``
    holds, an XXH64 a legacy MHL's ``<xxhash64>`` holds little-endian as that element and
    its text (``as_written.as_recorded``), so it can be found in the file."""
    if name == "xxh32" and digest:
        return f"{digest} (decimal {int(digest, 16)})"
    if name == "xxh64" and digest:
        from offload.manifest.as_written import as_recorded  # a legacy MHL's <xxhash64>

        return as_recorded(digest)
    return digest


def _named(where: Path, path: str) -> str:
    """*path* (relative) under the checked root *where*, as printed: joined as text, not by
    pathlib, which would fold a bucket key's empty part (``a//b.mov``) into another key's
    name (``a/b.mov``), nor by ``os.path.join``, which drops *where* before a *path* that
    starts with "/" (a key's empty part right below the root: ``A001//x.mov``)."""
    return printable_name(f"{str(where).rstrip('/')}/{path}")


def _revoke(
    root: Path, report: VerifyReport, started: float, *, locked: bool = False
) -> Revocation | None:
    """Revoke, in the ledger of the local copy root *root*, the record of each copy the
    check proved wrong (``verify_revoke``); None where there is no ledger. *locked*: this
    command holds *root*'s lock already (``--append``: ``verify_lock``)."""
    if not (report.changed or report.unreadable):
        return None
    try:
        if not _has_ledger(root):
            return None
    except OSError as exc:
        # Whether there is a ledger could not be looked at (a share whose server died
        # mid-check: EIO): nothing can be revoked there, and a line says so.
        return Revocation((), _ledger_unreachable(root, exc))
    return revoke_found_wrong(
        root,
        report.unreadable,  # a missing copy is trusted by no run: its entry stays
        report.changed,
        checked_since=started,
        against_own=report.reference in ("ascmhl", "ledger"),
        # Unlike a legacy MHL the copy holds, not the reference: proved wrong only against
        # the ledger's own record (a copy as the ledger recorded it is not revoked).
        foreign=[p for p, why in report.reasons.items() if why.code == LEGACY_MISMATCH],
        locked=locked,
    )


def _ledger_unreachable(root: Path, exc: OSError) -> str:
    """Why nothing could be revoked where the copy root's ledger could not even be looked
    at (*exc*): the errno and what to do (``errors.read_error_words``)."""
    words = read_error_words(exc, share=on_network_share(root))
    return f"its ledger could not be read or written: {words}"


def _legacy_mhl_line(check: LegacyMhlCheck) -> str:
    """The line of one legacy MHL the copy holds: how many of the files it lists are in
    each state (``copy_legacy_mhl``), the states with none left out."""
    counts = [
        f"{len(check.verified)} match it",
        *(
            f"{len(paths)} {words}"
            for paths, words in (
                (check.changed, "differ (CHANGED above)"),
                (check.missing, "missing"),
                (check.size_only, "by size only (it records no digest for them)"),
                (check.not_checked, "not compared (changed or unreadable already)"),
            )
            if paths
        ),
    ]
    return (
        f"Legacy MHL {printable_name(check.mhl)} in this copy (the card's own record, "
        f"copied with it): {', '.join(counts)}"
    )


def _revoke_s3(
    args: argparse.Namespace,
    report: VerifyReport,
    started: float,
    *,
    locked: bool = False,
    latch: UnreachableLatch | None = None,
) -> Revocation | None:
    """Revoke, in the S3 ledger of the copy root at ``args.path``, the record of each object
    whose GET the check saw fail (``destinations.s3revoke``; an object changed there has
    another ETag, which no run trusts); None where there was none. *locked*: this command
    holds the copy root's lock already (``--append``: ``verify_lock``)."""
    if not report.unreadable:
        return None
    from offload.destinations.s3revoke import revoke_unread_at

    settings = settings_from_env(os.environ, endpoint_url=args.s3_endpoint, profile=args.s3_profile)
    return revoke_unread_at(
        args.path, settings, report, checked_since=started, locked=locked, latch=latch
    )


def _revoked_words(revocation: Revocation, *, remote: bool = False) -> str:
    """The warning of a check that revoked the ledger's record of the copies of
    *revocation*: on ``s3://`` (*remote*), objects whose GET failed, read back by the next
    copy (``destinations.s3revoke`` keeps no record of the copy ended); of a folder, copies
    ``offload copy --reverify`` replaces where the ledger keeps which copy it revoked, and
    says which it does not keep (``Revocation.unrecorded``: two cards' copies of a path)."""
    count = len(revocation.revoked)
    one = count == 1
    if remote:
        return (
            "this check revoked this copy root's ledger record of the "
            f"{plural(count, 'object')} whose GET it saw fail: no `offload copy` trusts "
            f"{'it' if one else 'them'} by {'its' if one else 'their'} ETag any more; the "
            f"next `offload copy` of the card reads {'it' if one else 'them'} back against "
            "the card"
        )
    # How the ledger proved them: a copy never read back was never "verified".
    transfer = len(revocation.transfer_checked)
    earlier = (
        "verified earlier"
        if not transfer
        else "transfer-checked earlier"
        if transfer == count
        else "verified (or transfer-checked) earlier"
    )
    if revocation.unrecorded:
        unrecorded = len(revocation.unrecorded)
        return (
            "this check revoked this copy root's ledger record of the "
            f"{plural(count, 'copy', 'copies')} it found changed or unreadable: no `offload "
            f"copy` trusts {'it' if one else 'them'} as {earlier} any more; for "
            f"{plural(unrecorded, 'copy', 'copies')} of a path two cards' copies of which "
            "were both found wrong, the ledger keeps no record of which copy it revoked, "
            "and `offload copy --reverify` does not replace "
            f"{'it' if unrecorded == 1 else 'them'}: `offload copy` of the card reads "
            f"{'it' if unrecorded == 1 else 'each'} back, adopted if equal, else refused as "
            "a file in the way (--keep-both keeps both)"
        )
    return (
        "this check revoked this copy root's ledger record of the "
        f"{plural(count, 'copy', 'copies')} it found changed or unreadable: "
        "no `offload copy` trusts "
        f"{'it' if one else 'them'} as {earlier} any more; `offload copy --reverify` "
        f"of the card reads {'it' if one else 'them'} back against the card and replaces "
        f"{'it if it differs' if one else 'those that differ'} once the new "
        f"{'copy is' if one else 'copies are'} verified (the ledger keeps which copy it "
        "revoked; while the card's file is the one recorded); a plain `offload copy` reads "
        f"{'it' if one else 'them'} back too: adopted if equal, else refused as a file in the "
        "way, naming --reverify (--keep-both keeps both)"
    )


def _not_revoked_words(
    revocation: Revocation, report: VerifyReport | None, *, remote: bool = False
) -> str:
    """The report's note of a check that could not revoke the ledger's record of the copies
    it found changed or could not read (*revocation*: why, and the copies it meant to
    revoke, those a run still trusts; *report*: the check's, whose list of unreadable
    copies tells the two apart); *remote*: an S3 copy root, whose ledger a run trusts by
    each object's ETag. The one sentence of a local and an S3 check, printed and in the
    report's notes."""
    kept = "its ETag" if remote else "its size and date"
    unreadable = (
        frozenset() if report is None else frozenset(Path(p).as_posix() for p in report.unreadable)
    )
    meant = revocation.meant
    if not meant and report is not None:
        # The ledger could not be read: which copies it records is unknown, so the sentence
        # names what the check found (changed or unread), never "proved wrong" of copies
        # it only could not read.
        meant = (*(Path(c.path).as_posix() for c in report.changed), *unreadable)
    unread = sum(1 for copy in meant if copy in unreadable)
    changed = len(meant) - unread
    if changed and unread:
        which = (
            f"the {plural(changed, 'copy', 'copies')} found changed and the "
            f"{plural(unread, 'copy', 'copies')} it could not read"
        )
    elif changed:
        which = f"the {plural(changed, 'copy', 'copies')} found changed"
    elif unread:
        which = f"the {plural(unread, 'copy', 'copies')} it could not read"
    else:
        which = "the copies this check found changed or could not read"
    return (
        f"the copy root's ledger record of {which} was not revoked: {revocation.error}; "
        f"a plain `offload copy` of the card still trusts such a copy that kept {kept} "
        "(verified earlier, not re-read); `offload copy --reverify` reads them back"
    )


def _reason_code(report: VerifyReport, path: str) -> str | None:
    """The code of *path*'s reason in *report* (``VerifyReport.reasons``), None without one."""
    reason = report.reasons.get(path)
    return None if reason is None else reason.code


def _has_ledger(root: Path) -> bool:
    """Whether *root* is a copy root with offload-ai's ledger: False where nothing (or no
    regular file) stands at its name. Raises OSError where that cannot be looked at (a
    share whose server died: EIO), which is no answer: a ledger may be there (not
    ``Path.is_file``, which takes every error for "no", and from Python 3.14 on swallows
    them all)."""
    try:
        return stat.S_ISREG(os.stat(ledger_path(root)).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False


def _maybe_ledger(root: Path) -> bool:
    """Whether *root* may hold a ledger: ``_has_ledger``, and True where that cannot be
    looked at (the footer's warning that a copy found wrong was not revoked is kept)."""
    try:
        return _has_ledger(root)
    except OSError:
        return True


def _ledger_entries(root: Path) -> tuple[LedgerEntries | None, OSError | None]:
    """The entries of the ledger of the copy root *root*, loaded once for the footer's
    counters (``_recorded_in_ledger``, ``_revoked_by_a_check``, ``_redated_copies``), and
    None; (None, the error) when it cannot be read: each counter then counts none, and
    which copies it records is unknown (no copy is "vouched for" or "not vouched for" on
    its word: ``_ledger_unknown_words``). No ledger at all reads as none recorded."""
    try:
        return load_entries(Ledger(root)), None
    except OSError as exc:
        return None, exc


def _ledger_unknown_words(exc: OSError, changed: int, by_size: int, unread: int) -> str:
    """The footer's words where the copy root's ledger could not be read (*exc*) and no
    revocation said so already: whether it still records the *changed* copies found wrong,
    the *by_size* ones listed CHANGED by their size alone (replaced since the history's
    record: neither proved intact nor proved wrong, so never "found wrong") and the *unread*
    ones listed UNREADABLE is unknown, so neither "still records" nor "not vouched for" is
    said of them; a plain ``offload copy`` trusts those it records that kept their size and
    date, ``--reverify`` reads them back."""
    which = [
        words
        for count, words in (
            (changed, f"the {plural(changed, 'copy', 'copies')} found wrong above"),
            (
                by_size,
                f"the {plural(by_size, 'copy', 'copies')} listed CHANGED above by size alone",
            ),
            (unread, f"the {plural(unread, 'copy', 'copies')} listed UNREADABLE above"),
        )
        if count
    ]
    return (
        f"this copy root's ledger could not be read ({describe_os_error(exc)}): whether it "
        f"still records {word_list(which)} is unknown; a plain `offload copy` of the card trusts "
        "such a copy it records that kept its size and date (verified earlier, not re-read); "
        "`offload copy --reverify` reads them back"
    )


def _recorded_in_ledger(entries: LedgerEntries | None, paths: list[str]) -> int:
    """How many of *paths* (relative to the copy root) its ledger's *entries* record as a
    copy of ours at that name (the last entry of a card file, or one of another card
    standing beside it: verified or transfer-checked), as
    ``offload copy --reverify`` takes up a copy of ours that changed (``Ledger.changed_copy``;
    it also asks that the card's file be the one recorded, which a check cannot see). A
    ledger that cannot be read (None) records none."""
    if not paths or entries is None:
        return 0
    # Each path's last entry, and the entries of other cards standing beside it (each
    # card's copy under a name of its own, --keep-both): a run of that card trusts it.
    recorded = {
        final_path_of(Path(), entry).as_posix() for entry in entries.standing() if entry.vouches
    }
    return sum(1 for path in paths if Path(path).as_posix() in recorded)


def _revoked_by_a_check(entries: LedgerEntries | None, paths: list[str]) -> int:
    """How many of *paths* (relative to the copy root) an earlier ``offload verify`` found
    wrong and revoked in its ledger (*entries*), keeping the entry it ended (the path's last
    entry, ``ledger.kept_by_check``: what ``verification.checked_wrong`` judges the file
    against). A ledger that cannot be read (None): none."""
    if not paths or entries is None:
        return 0
    kept = {
        final_path_of(Path(), ended).as_posix()
        for entry in entries.latest.values()
        if (ended := kept_by_check(entry)) is not None
    }
    return sum(1 for path in paths if Path(path).as_posix() in kept)


def _redated_copies(root: Path, entries: LedgerEntries | None, paths: list[str]) -> int:
    """How many of *paths* (relative to the copy root *root*) its ledger (*entries*) records
    as a copy of ours (the last entry of that card file, verified or transfer-checked) at its
    own name, a regular file of the recorded size whose date is not the recorded one
    (``Ledger.as_recorded``): a copy no run trusts, since its quick check asks for both, and
    ``offload copy --reverify`` replaces (``Ledger.changed_copy``). A ledger that cannot be
    read (None), a file that cannot be stat'ed: none."""
    if not paths or entries is None:
        return 0
    ledger = Ledger(root)
    latest = entries.latest
    count = 0
    for path in paths:
        entry = latest.get(Path(path).as_posix())
        if entry is None or not entry.vouches:
            continue
        if final_path_of(Path(), entry).as_posix() != Path(path).as_posix():
            continue  # recorded under another name (--keep-both): not this file's record
        try:
            st = os.lstat(root / path)
        except OSError:
            continue
        if (
            stat.S_ISREG(st.st_mode)
            and st.st_size == entry.size_bytes
            and not ledger.as_recorded(st, entry.size_bytes, entry.mtime_ns)
        ):
            count += 1
    return count


_REFERENCE_WORDS = {
    "ascmhl": "the ASC MHL history",
    "legacy": "the legacy MHL",
    "ledger": "offload-ai's ledger",
}
"""A reference (``VerifyReport.reference``) as the human output names it."""


def _by_proof(entries: LedgerEntries | None, paths: list[str]) -> dict[str, list[str]]:
    """*paths* (relative to the copy root) grouped by how its ledger (*entries*) proved the
    copy it records at each (``ledger.proven_when``: "verified", or "transfer-checked" for
    a copy never read back), "verified" first; a path it records no copy of (or a ledger
    that cannot be read) under "verified", which the ledger counters count as none."""
    proved = {
        final_path_of(Path(), entry).as_posix(): proven_when(entry)[0]
        for entry in (entries.standing() if entries is not None else ())
        if entry.vouches
    }
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault(proved.get(Path(path).as_posix(), "verified"), []).append(path)
    return dict(sorted(groups.items(), key=lambda group: group[0] != "verified"))


def _trusted_until_reverify(count: int, verb: str, *, each: bool) -> str:
    """What a plain ``offload copy`` of the card and ``--reverify`` do with *count* copies
    this copy root's ledger still records as *verb* there (``ledger.proven_when``): trusted
    while they keep their size and date, never read again. *each*: said of every one of
    them (else of "a changed copy that kept" them: some may not have)."""
    one = count == 1
    if each:
        trusted = f"{'it' if one else 'them'} while {'it keeps its' if one else 'they keep their'}"
        reads = f"{'it' if one else 'them'} back and replaces " + (
            "it if it no longer matches" if one else "those that no longer match"
        )
    else:
        trusted = "a changed copy that kept its"
        reads = "such copies back and replaces those that no longer match"
    earlier = (
        "verified earlier, not re-read"
        if verb == "verified"
        else f"{verb} earlier, never read back"
    )
    return (
        f"a plain `offload copy` of the card trusts {trusted} size and date ({earlier}); "
        f"`offload copy --reverify` reads {reads} the card"
    )


def _replaced_by_reverify(count: int, *, untrusted: bool = True) -> str:
    """What replaces *count* copies of the ledger's that no run trusts (*untrusted*, said
    first) or whose size changed: ``offload copy --reverify`` of the card, once the new
    ones are verified (``Ledger.changed_copy``, which also asks for the recorded card file)."""
    them = "it" if count == 1 else "them"
    return (
        (f"no `offload copy` trusts {them} as verified earlier; " if untrusted else "")
        + f"`offload copy --reverify` of the card replaces {them} once the new "
        f"{'copy is' if count == 1 else 'copies are'} verified (while the card's file is the "
        "one recorded)"
    )


def _unread_remedy(report: VerifyReport, *, remote: bool) -> str:
    """What the INCOMPLETE line adds where a local copy listed UNREADABLE failed its read
    (reason ``READ_ERROR``): the same ``offload copy`` meets the same unreadable copy, and
    neither --overwrite nor --keep-both gets past it (each reads it back first), so a copy
    that stays unreadable needs --reverify, which writes a new copy in its place (README,
    "a copy that could not be read"). "" otherwise: an object (S3) is not written over."""
    if remote:
        return ""
    unread = [
        p for p in report.unreadable if (why := report.reasons.get(p)) and why.code == READ_ERROR
    ]
    if not unread:
        return ""
    which = "the copy" if len(unread) == 1 else "a copy"
    return (
        f"; if {which} listed UNREADABLE stays unreadable, run that `offload copy` with "
        "--reverify, which writes a new copy from the card in its place"
    )


def _print_human(
    env: Environment,
    report: VerifyReport,
    reads: int,
    *,
    remote: bool = False,
    through_cache: int = 0,
    cancelled: bool = False,
    revocation: Revocation | None = None,
) -> None:
    where = report.root
    revoked = set(revocation.revoked) if revocation is not None else set()
    for note in report.notes:
        env.warning(note)
    if through_cache:
        env.warning(
            f"{plural(through_cache, 'file')} read through a cache, not from the media (a "
            f"network share's server; {PAGE_CACHE_CAUSES}): an OK there proves what the cache "
            "returned, not what the disk holds"
        )
    for changed in report.changed:
        detail = (
            f"size {changed.actual_size}, recorded {changed.expected_size}"
            if changed.reason is ChangeReason.SIZE
            else ", ".join(
                f"{k} {_shown(k, changed.actual.get(k))} (recorded {_shown(k, v)}"
                + (
                    ": the same digest in upper-case hex, which ASC MHL tools compare as "
                    "text, so ascmhl-debug verify rejects it too"
                    if v != v.lower() and changed.actual.get(k) == v.lower() and k != "c4"
                    else ""
                )
                + ")"
                for k, v in changed.expected.items()
            )
        )
        differs = report.reasons.get(changed.path)
        if differs is not None and differs.code in (
            LEGACY_MISMATCH,
            OWN_RECORD_MISMATCH,
            REPLACED_SINCE_RECORDED,
            LEDGER_CHECKED,
        ):
            detail += f" ({differs.text})"  # the record it is unlike; a newer one it matches
        env.error(f"CHANGED {_named(where, changed.path)}: {detail}")
    token_refused: list[str] = []
    for path in report.unreadable:
        # A read-through link's words are said once for all, in the warning below.
        reason = report.reasons.get(path)
        if reason is not None and reason.text.startswith(TOKEN_REFUSED_BEFORE):
            token_refused.append(path)  # one cause, said on the line of its first object
            continue
        said = f"({reason.text}) " if reason and reason.code != "symlink-read-through" else ""
        env.error(f"UNREADABLE {said}{_named(where, path)}")
    if token_refused:
        count = len(token_refused)
        env.error(
            f"... and {plural(count, 'more object')} UNREADABLE under {where}: not read, the "
            "session token refused as above (the reports list each)"
        )
    # A symlink at a recorded name, read through against a manifest (a card's link, made as
    # a link, or one put in a copy's place): no copy, and none of the copies the ledger's
    # words below speak of; a re-run leaves it as it is.
    links = {
        path
        for path in (*(c.path for c in report.changed), *report.unreadable)
        if path in report.reasons and report.reasons[path].code == "symlink-read-through"
    }
    if links:
        one = len(links) == 1
        env.warning(
            f"{plural(len(links), 'symlink')} above {'is' if one else 'are'} no copy: what "
            f"this check reads through {'it' if one else 'them'}, as ascmhl does, for what "
            f"{_REFERENCE_WORDS.get(str(report.reference), 'the records')} records at "
            f"{'the' if one else 'each'} link's name is the file {'it' if one else 'each'} "
            "leads to in this copy; offload copy never writes over a link (it makes a card's "
            "link as a link, and refuses one where it puts a file, --overwrite too: move it "
            "away)"
        )
    # A file read against the record of its name spelled otherwise (NFC, NFD): said, since
    # the reference tool calls that record missing and the file new.
    for path in sorted(report.respelled):
        reason = report.reasons.get(path)
        if reason is not None and reason.code == "other-spelling":
            env.warning(f"RESPELLED {_named(where, path)}: {reason.text}")
    if revocation is not None and revoked:
        env.warning(_revoked_words(revocation, remote=remote))
    if revocation is not None and revocation.error:  # read-only media, another offload
        env.warning(_not_revoked_words(revocation, report, remote=remote))
    # A copy the ledger records as a newer version proved there (a file replaced since the
    # history's record, ``replaced-since-recorded``) whose digests were read and are the
    # entry's: its CHANGED line said why; nothing below is so of it (its record stands,
    # rightly). One whose size alone was compared (not read) is proved intact by nothing:
    # it stays below, with the words of a copy the ledger still vouches for (--reverify
    # reads it back), never those of a copy whose size changed since its record.
    # Likewise one whose history writes its digest in upper-case hex, the digest read the
    # same but for its case (``recorded-in-upper-case``): its CHANGED line said so; the
    # copy is not wrong, and its record stands.
    replaced = {
        c.path
        for c in report.changed
        if c.actual
        and _reason_code(report, c.path) in (REPLACED_SINCE_RECORDED, RECORDED_IN_UPPER_CASE)
    }
    unread_replaced = {
        c.path
        for c in report.changed
        if not c.actual and _reason_code(report, c.path) == REPLACED_SINCE_RECORDED
    }
    # A copy CHANGED only because the legacy MHL lists it twice, unlike, read as one of
    # those records and as the ledger records it: the MHL's note said why; not found wrong,
    # its ledger record not in doubt.
    said_why = links | replaced | report.read_as_one_record
    # Said otherwise than as a copy found wrong: above (a link, a version proved since, a
    # legacy MHL contradicting itself), by the revocation's line, or as a copy whose size
    # alone was compared (below, by_size).
    skip = said_why | unread_replaced | revoked
    if (set(c.path for c in report.changed) | set(report.unreadable)) - said_why - revoked and (
        not remote and _maybe_ledger(where)
    ):
        # A copy found wrong whose record the check did not revoke (it could not: read-only
        # media, another offload at work; or the record was written since the check began,
        # or a legacy MHL's record proves nothing against the ledger's): the next plain
        # offload trusts it if it kept its size and mtime ("verified earlier"). Say so, and
        # what reads it back; a copy whose size changed is replaced by --reverify where the
        # ledger records it as ours (Ledger.changed_copy), and by nothing but --overwrite
        # where it does not.
        entries, unknown = _ledger_entries(where)  # once, for the counts below
        sized = [
            c.path for c in report.changed if c.reason is ChangeReason.SIZE and c.path not in skip
        ]
        ours = _recorded_in_ledger(entries, sized)
        resized = len(sized) - ours
        # A same-size change the ledger no longer records at that name (a copy found damaged
        # and kept beside its new copy by --keep-both: the ledger names the new copy) is
        # trusted by no run: "still vouches" would be false of it.
        unsized = [
            c.path
            for c in report.changed
            if c.reason is not ChangeReason.SIZE and c.path not in skip
        ]
        # Those this check could not read (EACCES, EIO, ENOTCONN): said apart, as unreadable
        # (neither proven nor found wrong), never as found wrong.
        unread = [path for path in report.unreadable if path not in skip]
        # A copy replaced since the history's record whose size alone was compared (that of
        # the version the ledger records there): neither proved intact nor proved wrong, so
        # never "found wrong" (the words of the copies above); its record rightly stands.
        by_size = [path for path in sorted(unread_replaced) if path not in revoked]
        by_size_recorded = _recorded_in_ledger(entries, by_size)
        by_size_redated = _redated_copies(where, entries, by_size)
        # Those still trusted, by how the ledger proved each (a transfer-checked copy was
        # never read back: never "verified"), as the CHANGED line words it.
        by_size_vouched = {
            verb: _recorded_in_ledger(entries, group) - _redated_copies(where, entries, group)
            for verb, group in _by_proof(entries, by_size).items()
        }
        recorded = _recorded_in_ledger(entries, unsized)
        # Of those, the ones whose date changed since the record: no run trusts them
        # (Ledger.recorded asks for the recorded size and date), --reverify replaces them.
        redated = _redated_copies(where, entries, unsized)
        vouched = {
            verb: _recorded_in_ledger(entries, group) - _redated_copies(where, entries, group)
            for verb, group in _by_proof(entries, unsized).items()
        }
        # The same counts of the copies this check could not read.
        unread_recorded = _recorded_in_ledger(entries, unread)
        unread_redated = _redated_copies(where, entries, unread)
        unread_vouched = {
            verb: _recorded_in_ledger(entries, group) - _redated_copies(where, entries, group)
            for verb, group in _by_proof(entries, unread).items()
        }
        # Those an earlier check revoked, keeping which copy it was: judged against that
        # record again (``verification.checked_wrong``), and trusted by no run.
        earlier_unread = _revoked_by_a_check(entries, unread)
        earlier = _revoked_by_a_check(entries, unsized)
        unvouched = len(unsized) - recorded - earlier + len(by_size) - by_size_recorded
        unread_unvouched = len(unread) - unread_recorded - earlier_unread
        parts = []
        if unknown is not None:
            # A ledger that could not be read records none of them as far as the counts go,
            # yet may record each: which it vouches for is unknown, so nothing is said "not
            # vouched for" (the next run may read it and trust them). The revocation's line
            # said so where it could not read it; else (it read it, or tried none) here.
            if not (revocation is not None and revocation.error) and (unsized or by_size or unread):
                parts.append(
                    _ledger_unknown_words(unknown, len(unsized), len(by_size), len(unread))
                )
            unvouched = unread_unvouched = 0
        for verb, count in by_size_vouched.items():
            if count:
                one = count == 1
                parts.append(
                    "this copy root's ledger still records "
                    f"{plural(count, 'copy', 'copies')} listed CHANGED above as the version "
                    f"{verb} there since the history's record, by {'its' if one else 'their'} "
                    f"size alone ({'its' if one else 'their'} content not read: not proved "
                    "wrong, so not revoked): " + _trusted_until_reverify(count, verb, each=True)
                )
        if by_size_redated:
            one = by_size_redated == 1
            parts.append(
                f"{plural(by_size_redated, 'copy', 'copies')} listed CHANGED above as the "
                "version this copy root's ledger records there, by size alone (content not "
                f"read), changed {'its' if one else 'their'} date since the ledger recorded "
                f"{'it' if one else 'them'}: " + _replaced_by_reverify(by_size_redated)
            )
        for count, listed in ((redated, "found wrong"), (unread_redated, "listed UNREADABLE")):
            if count:
                one = count == 1
                parts.append(
                    f"{plural(count, 'copy', 'copies')} {listed} above changed "
                    f"{'its' if one else 'their'} date since this copy root's ledger recorded "
                    f"{'it' if one else 'them'}: " + _replaced_by_reverify(count)
                )
        if not (revocation is not None and revocation.error):  # else said above
            parts.extend(
                f"this copy root's ledger still records {plural(count, 'copy', 'copies')} "
                "found wrong above, not revoked (one whose date changed is trusted by no "
                "run; one recorded since this check began, or found changed against a "
                "record with no digest in common with the ledger's, may be): "
                + _trusted_until_reverify(count, verb, each=False)
                for verb, count in vouched.items()
                if count
            )
            parts.extend(
                f"this copy root's ledger still records {plural(count, 'copy', 'copies')} "
                "listed UNREADABLE above (not read now: neither proven nor found wrong), not "
                "revoked (one whose size and date could not be read, or whose ledger could not be "
                "written, is not): " + _trusted_until_reverify(count, verb, each=True)
                for verb, count in unread_vouched.items()
                if count
            )
        if earlier:
            one = earlier == 1
            parts.append(
                f"{plural(earlier, 'copy', 'copies')} found wrong above {'was' if one else 'were'} "
                "found wrong by an earlier check too, which revoked this copy root's ledger "
                f"record of {'it' if one else 'them'} (keeping which copy it was): no "
                f"`offload copy` trusts {'it' if one else 'them'}; "
                + _replaced_by_reverify(earlier, untrusted=False)
            )
        if earlier_unread:
            one = earlier_unread == 1
            it = "it" if one else "them"
            parts.append(
                f"{plural(earlier_unread, 'copy', 'copies')} listed UNREADABLE above (not "
                f"read now: neither proven nor found wrong) {'was' if one else 'were'} "
                "revoked by an earlier check, which ended this copy root's ledger record "
                f"of {it} (found wrong or unreadable then, keeping which copy it was): no "
                f"`offload copy` trusts {it}; once {it} can be read, offload verify checks "
                f"{it} again; " + _replaced_by_reverify(earlier_unread, untrusted=False)
            )
        if unvouched:
            parts.append(
                f"{plural(unvouched, 'changed copy', 'changed copies')} "
                f"{'is' if unvouched == 1 else 'are'} not vouched for by this copy root's "
                "ledger (a copy found damaged and kept beside its new copy by --keep-both, or "
                "one it never recorded): no `offload copy` trusts "
                f"{'it' if unvouched == 1 else 'them'}"
            )
        if unread_unvouched:
            one = unread_unvouched == 1
            parts.append(
                f"{plural(unread_unvouched, 'unreadable copy', 'unreadable copies')} "
                f"{'is' if one else 'are'} not vouched for by this copy root's ledger (a copy "
                "kept beside its new copy by --keep-both, or one it never recorded): no "
                f"`offload copy` trusts {'it' if one else 'them'}"
            )
        if ours:
            parts.append(
                f"{plural(ours, 'copy', 'copies')} whose size changed "
                f"{'is one' if ours == 1 else 'are ones'} this copy root's ledger recorded: "
                + _replaced_by_reverify(ours, untrusted=False)
            )
        if resized and unknown is not None:
            # Whether they are ours is unknown: a plain run refuses either (one of ours
            # naming --reverify), and which replaces one depends on the ledger's record.
            one = resized == 1
            parts.append(
                f"{plural(resized, 'copy', 'copies')} whose size changed "
                f"{'is' if one else 'are'} refused by a plain `offload copy`: `offload copy "
                "--reverify` replaces one this copy root's ledger records (it could not be read "
                "now), `offload copy --overwrite` any, once the new "
                f"{'copy is' if one else 'copies are'} verified"
            )
        elif resized:
            parts.append(
                f"{plural(resized, 'copy', 'copies')} whose size changed "
                f"{'is' if resized == 1 else 'are'} refused by `offload copy` (another file "
                "in the way): `offload copy --overwrite` replaces "
                f"{'it' if resized == 1 else 'them'} once the new "
                f"{'copy is' if resized == 1 else 'copies are'} verified"
            )
        if parts:  # none where the revocation's line above said all there is
            env.warning("; ".join(parts))
    # Files and recorded folders apart, as the summary counts them ("N missing, N recorded
    # folders gone") and the JSON and CSV list them (``missing``, ``missing_folders``).
    for path in report.missing_files:
        why = report.reasons[path].text if path in report.reasons else ""
        env.error(f"MISSING {f'({why}) ' if why else ''}{_named(where, path)}")
    for path in report.missing_folders_listed:
        why = report.reasons[path].text if path in report.reasons else ""
        env.error(f"MISSING FOLDER (recorded) {f'({why}) ' if why else ''}{_named(where, path)}")
    for path in report.unverifiable:
        env.warning(
            "SIZE ONLY (the record holds no hash offload-ai can recompute; its content is "
            f"not verified) {_named(where, path)}"
        )
    if report.from_a_root:
        from offload.card_legacy_mhl import from_a_root
    for path in report.from_a_root:
        how = (
            "names this file from a root, a drive's or the system's, not from its own folder"
            if from_a_root(path)
            else f"lists this file outside {printable_name(str(where))}, above it by '..'"
        )
        env.warning(
            f"NOT CHECKED (the legacy MHL {how}: no file of this copy is tied to it, none "
            f"was read for it) {printable_name(path)}"
        )
    # New to the reference this check used: another record (the ledger, where a cancelled
    # run wrote no manifest) may hold it.
    records = _REFERENCE_WORDS.get(str(report.reference), "the records")
    for path in report.extra:
        why = report.reasons[path].text if path in report.reasons else ""
        env.warning(f"NEW (not in {records}{': ' + why if why else ''}) {_named(where, path)}")
    for path in report.leftovers:
        claim = report.reasons.get(path)  # _with_leftover_reasons': a writer's, or cannot tell
        words = claim.text if claim is not None else _leftover_words(path)
        env.warning(f"LEFTOVER ({words}) {_named(where, path)}")
    for path in report.dangling:
        env.warning(
            f"SYMLINK LEADS NOWHERE (dangling or looping; nothing to check) {_named(where, path)}"
        )
    for path in report.outside:
        env.warning(
            "SYMLINK LEADS OUTSIDE THE COPY (to a file that is not the copy's; not read, not "
            f"verified) {_named(where, path)}"
        )
    for folder in report.nested:
        env.warning(
            f"nested ASC MHL history {_named(where, folder)}: checked against its own history"
        )
    nested = (
        f", {len(report.nested)} nested {'history' if len(report.nested) == 1 else 'histories'}"
        if report.nested
        else ""
    )
    # A check a cancel stopped looked for no missing or new file: it counts what it read.
    counts = (
        f"CANCELLED: {len(report.verified)} OK, {len(report.changed)} changed, "
        f"{len(report.unreadable)} unreadable before the cancel, "
        f"{len(report.cancelled)} not checked (cancelled)"
        if cancelled
        else f"{len(report.verified)} OK, {len(report.changed)} changed, "
        f"{_missing_count(report)}, {len(report.extra)} new, "
        f"{len(report.unreadable)} unreadable"
    )
    if report.unfinished_offload is not None and not cancelled:
        # Said once, above the summary: every file it read may be OK, but the copy root's
        # last offload did not finish, so no count of missing files can be told.
        env.error(report.unfinished_offload + _unread_remedy(report, remote=remote))
    _write_stdout(
        env,
        f"{printable_name(str(where))}: {counts}"
        + (f", {len(report.unverifiable)} by size only" if report.unverifiable else "")
        + _outside_count(report.from_a_root)
        + (f", {len(report.leftovers)} leftover" if report.leftovers else "")
        + f" (against {report.reference}{nested}{_ledger_checked_words(report)}; "
        + (
            f"{plural(reads, 'object')} read back by a GET)"
            if remote
            else f"{plural(reads, 'file')} read from the media"
            + (f", {through_cache} through a cache)" if through_cache else ")")
        )
        + (
            f"\nFolder hashes not checked: the history records them for "
            f"{plural(report.folder_hashes_unchecked, 'folder')}; each file was checked on "
            "its own (ascmhl-debug verify -dh checks folder hashes)"
            if report.folder_hashes_unchecked
            else ""
        )
        + _ascmhl_path_note(where, report.reference, remote)
        + "".join(f"\n{_legacy_mhl_line(check)}" for check in report.legacy_mhls)
        + (
            f"\nRecorded in {printable_name(str(report.generation))}"
            if report.generation is not None
            else ""
        ),
    )


def _ledger_checked_words(report: VerifyReport) -> str:
    """The summary's words for the files checked against the ledger, not the manifests
    (``verification.unheld_by_ledger``: names no XML manifest can hold), or nothing."""
    count = len(report.ledger_checked)
    if not count:
        return ""
    return (
        f"; {plural(count, 'file')} whose name no XML manifest can hold against this copy "
        "root's ledger"
    )


def _outside_count(outside: Sequence[str]) -> str:
    """The summary's words for the ``--mhl-file`` entries outside the copy, not checked
    (``VerifyReport.from_a_root``): named from a root, or listed above it by ``..``."""
    if not outside:
        return ""
    from offload.card_legacy_mhl import from_a_root

    if all(from_a_root(path) for path in outside):
        return f", {len(outside)} named from a root, not checked"
    return f", {len(outside)} outside it, not checked"


def _missing_count(report: VerifyReport) -> str:
    """The summary's count of missing files: "N missing", or where the copy root's last
    offload did not finish (``unfinished_offload``) "missing: unknown" (never "0 missing"
    for card files no record names), "N missing (more: unknown)" where some recorded ones
    are gone too. Files alone (``missing_files``): the recorded folders gone are said apart
    (", N recorded folder(s) gone"), never counted among them."""
    files = len(report.missing_files)
    gone = report.missing_folders_listed
    folders = f", {plural(len(gone), 'recorded folder')} gone" if gone else ""
    if report.unfinished_offload is None:
        return f"{files} missing{folders}"
    if not report.missing_files:
        return f"missing: unknown{folders}"
    return f"{files} missing (more: unknown){folders}"


def _ascmhl_path_note(where: Path, reference: str, remote: bool) -> str:
    """A line (a newline before it) where a local copy checked against its ASC MHL history
    is at a path ascmhl (1.2) cannot verify it at (``own_names.ascmhl_path_problem``): this
    check's OK is not ascmhl's, which the user may run next; "" elsewhere."""
    if remote or reference != "ascmhl":
        return ""
    from offload.own_names import ascmhl_path_problem

    text = os.path.abspath(where)
    why = ascmhl_path_problem(text)
    if why is None:
        return ""
    return (
        f"\nNot for ascmhl where it is: the path {why}; rename the folder (to a UTF-8 name "
        "without a line break) to verify it with ascmhl"
    )


#: A leftover partial's ``reasons`` codes (docs/json.md), decided once when the check is over
#: (``_with_leftover_reasons``): its live writer claims it now; whether one does cannot be
#: told (no locks on that filesystem, or it cannot be opened). A partial with neither code
#: is one no writer claims: an unfinished write's.
BEING_WRITTEN = "being-written"
CANNOT_TELL = "cannot-tell"
_LEFTOVER_REASONS = {
    BEING_WRITTEN: (
        "a file a live offload-ai writer is writing now (it holds its claim), not a file of "
        "the card; not checked: leave it, and check again once that copy has finished (files "
        "of the card may be missing here that no record names yet)"
    ),
    CANNOT_TELL: (
        "what an unfinished write of offload-ai left, or a write still going on (whether a "
        "live writer claims it cannot be told here: no locks on this filesystem, or it cannot "
        "be opened), not a file of the card; not checked: files of the card may be missing "
        "here that no record names: once no offload writes here, run that offload again to "
        "finish it (it removes this)"
    ),
}


def _with_leftover_reasons(report: VerifyReport) -> VerifyReport:
    """*report* (a local copy root's check) with a reason for each leftover partial whose
    live writer claims it now (``BEING_WRITTEN``: ``destinations.claim.claimed``; a writer
    no copy root lock stops, such as ``pfndispatchcopy``, or an offload into a copy root
    nested below the one checked: that write in progress, never to be deleted) or whose
    claim cannot be asked (``CANNOT_TELL``: never said to delete). Asked once a file,
    when the check is over, so that every output says the same."""
    from offload.destinations.claim import claimed
    from offload.destinations.naming import is_partial_name

    reasons = dict(report.reasons)
    for path in report.leftovers:
        if path in reasons or not is_partial_name(posixpath.basename(path)):
            continue
        found = claimed(os.path.join(str(report.root), path))
        code = BEING_WRITTEN if found else CANNOT_TELL if found is None else None
        if code is not None:
            reasons[path] = Reason(code, _LEFTOVER_REASONS[code])
    if len(reasons) == len(report.reasons):
        return report
    return dataclasses.replace(report, reasons=reasons)


def _leftover_words(path: str) -> str:
    """What a leftover no writer claims is (``_with_leftover_reasons`` gave none), and what
    to do with it. A partial says an offload into the copy did not finish: a file it had not
    yet recorded is in no record, so it is not missing to this check, and the check's OK
    does not say the copy is whole; the offload run again finishes it and removes its
    partials. The piece of a partial's name fusefat leaves (``naming.is_partial_name``
    false) is a damaged folder entry that may share its clusters with a copy: unlinked
    through fusefat, it frees them under that copy (fsck.fat then finds the copy's chain
    freed), so it is never to be deleted so."""
    from offload.destinations.naming import is_partial_name

    if is_partial_name(posixpath.basename(path)):
        return (
            "what an unfinished write of offload-ai left, not a file of the card; not checked: "
            "the offload writing it did not finish, so files of the card may be missing here "
            "that no record names: run that offload again to finish it (it removes this), or "
            "delete it"
        )
    return (
        "a piece of an offload-ai partial's name that fusefat left as a folder entry of its "
        "own, not a file of the card; not checked: do not delete it through fusefat, which "
        "may free clusters a copy still uses; fsck.fat repairs the drive"
    )
