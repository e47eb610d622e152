"""The machine-readable job report (JSON) and the per-file CSV, written atomically.

Schema (``schema`` = ``offload-ai/job-report/2``): see docs/json.md. Written locally and
into ``<copy root>/.offload/reports/`` on every destination that was not lost.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import functools
import io
import operator
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, overload

import xxhash

from offload._version import __version__
from offload.card import OffloadReport, SymlinkStatus
from offload.engine.device_words import describe as describe_devices
from offload.errors import describe_os_error, printable_name
from offload.fs.devices import still_on
from offload.fs.ops import fsync_dir, make_folder_durable, make_folders_durable
from offload.interruptible import call as _on_drive
from offload.json_text import STRICT as _STRICT
from offload.json_text import encoded as _json_encoded
from offload.ledger import STATE_FOLDER, lost_error_of
from offload.manifest.atomic import AtomicFile
from offload.manifest.xmlchars import unlisted_name_reason, xml_can_hold
from offload.manifest_options import login_name
from offload.plan.codes import PreflightCode
from offload.report.csv_cells import cell
from offload.report.dates import iso_date
from offload.report.documents import PendingDocuments
from offload.report.left_behind import left_behind_json
from offload.report.refusal import refusal_entry
from offload.report.release import card_release
from offload.report.report_names import MAX_REPORT_NUMBER as MAX_REPORT_NUMBER
from offload.report.report_names import REPORT_SUFFIXES as REPORT_SUFFIXES
from offload.report.report_names import numbered_name as numbered_name
from offload.report.report_names import report_basename_for as report_basename_for
from offload.report.volumes import add_volume_info
from offload.report.words import run_zone
from offload.results import CopyAction, DestinationFileResult, DestinationStatus, FileResult

if TYPE_CHECKING:
    from offload.report.worker import DocumentWorker

SCHEMA = "offload-ai/job-report/2"
# An ``ignored`` entry that is a folder says so (its content was not looked at).
_FOLDER = {"kind": "folder"}
PRODUCTION_FIELDS = (
    "production",
    "shoot_day",
    "camera",
    "reel",
    "author_name",
    "author_email",
    "author_role",
    "location",
    "comment",
)
CSV_COLUMNS = (
    "relative_path",
    "size_bytes",
    "mtime",
    "mtime_ns",
    "destination_index",
    "destination",
    "status",
    "action",
    "verified_at",
    "verified_mode",
    "final_path",
    "error",
    "digests",
    "readback_digests",
    "recorded_digests",
    "cache_bypass",
    "source_error",
    *PRODUCTION_FIELDS,
    # Empty, or why the copy is in no manifest there (a name XML cannot hold): after the
    # columns before it, so a reader of the earlier columns by position reads them as before.
    "not_in_manifest",
    # Empty, or the copy root of the fast copy a cascade fed this copy from (the JSON's
    # destination ``fed_from`` a file, ``_fed_from_cells``): after those, for the same reason.
    "fed_from",
    # "true" where the copy's transfer check proved its size alone (the JSON copy entry's
    # ``size_checked_only``), else empty: last, for the same reason.
    "size_checked_only",
)
# A name that is not valid UTF-8 is held as lone surrogates (os.fsdecode): in JSON they are
# written as \udcXX escapes (json_text: json.loads and os.fsencode give the original bytes
# back), in the CSV as \xXX text, so that both files stay valid UTF-8.
_SURROGATE = re.compile("[\udc80-\udcff]")


_VERIFIED = DestinationStatus.VERIFIED
_TRUSTED = CopyAction.TRUSTED


def _destination_entry(d: DestinationFileResult) -> dict[str, Any]:
    # Built up to ~7 times a copy after an offload (the JSON, then each reader of the HTML/PDF
    # view), so kept cheap: an enum's `.value` is a property lookup through the enum's
    # descriptor (~3 a copy, ~0.2 µs each); `_value_` is the member's plain attribute, the
    # same text (these are StrEnums). The same keys, values and order as before.
    status = d.status
    verified_at = d.verified_at
    entry: dict[str, Any] = {
        "index": d.destination_index,
        "status": status._value_,
        "action": d.action._value_,
        "verified_at": None if verified_at is None else iso_date(verified_at),
        "verified_mode": d.verified_mode,
        "final_path": d.final_path,
        "error": d.error,
        # Only a read-back made now is one: a transfer check or a ledger record never is.
        "readback_digests": d.digests if status is _VERIFIED else {},
        "recorded_digests": d.recorded_digests,
        "cache_bypass": d.cache_bypass._value_,
        "copy_s": round(d.copy_s, 6),
        "verify_s": round(d.verify_s, 6),
        "reread": d.reread,
        # The kind of a refusal the same command repeats (``remedies.Refusal``), or None.
        "refusal": None if d.refusal is None else d.refusal._value_,
        # Why a cascade failed a fast copy it had called good (``results.FastCopyFailure``),
        # or None.
        "fast_failure": None if d.fast_failure is None else d.fast_failure._value_,
    }
    if d.size_checked_only:
        # Its transfer check, this run's or an earlier one's trusted from the ledger,
        # proved its size alone: written only where true (~29 bytes a copy spared on every
        # other; the report worker's ``_kept_copy`` keeps it so too).
        entry["size_checked_only"] = True
    return entry


# A copy's entry (``_destination_entry``), key by key, for ``CopyEntryView``. A field read
# as it is by ``attrgetter`` (a C call, not a lambda's frame: the documents read ~5 keys a
# copy, several times, on a card of 50,000 files).
_COPY_FIELDS: dict[str, Callable[[DestinationFileResult], Any]] = {
    "index": operator.attrgetter("destination_index"),
    "status": lambda d: d.status._value_,
    "action": lambda d: d.action._value_,
    "verified_at": lambda d: None if d.verified_at is None else iso_date(d.verified_at),
    "verified_mode": operator.attrgetter("verified_mode"),
    "final_path": operator.attrgetter("final_path"),
    "error": operator.attrgetter("error"),
    "readback_digests": lambda d: d.digests if d.status is _VERIFIED else {},
    "recorded_digests": operator.attrgetter("recorded_digests"),
    "cache_bypass": lambda d: d.cache_bypass._value_,
    "copy_s": lambda d: round(d.copy_s, 6),
    "verify_s": lambda d: round(d.verify_s, 6),
    "reread": operator.attrgetter("reread"),
    "refusal": lambda d: None if d.refusal is None else d.refusal._value_,
    "fast_failure": lambda d: None if d.fast_failure is None else d.fast_failure._value_,
}
_SIZE_CHECKED_KEYS = (*_COPY_FIELDS, "size_checked_only")  # a copy's keys where it is true


class CopyEntryView(Mapping[str, Any]):
    """``_destination_entry(copy)`` read key by key, computed when read and never kept: a
    ``FileEntryView``'s ``destinations``. The documents read two to six keys of each copy,
    three times a file; the whole entry (thirteen keys) made each time was ~0.25 s of CPU at
    50,000 files. The same keys and values as the JSON report's."""

    __slots__ = ("_copy",)

    def __init__(self, copy: DestinationFileResult) -> None:
        self._copy = copy

    def __getitem__(self, key: str) -> Any:
        getter = _COPY_FIELDS.get(key)
        if getter is not None:
            return getter(self._copy)
        if key == "size_checked_only" and self._copy.size_checked_only:
            return True  # (only where true, as the JSON)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        if key == "status":  # the key read most (each copy's, three times, by the documents)
            return self._copy.status._value_
        getter = _COPY_FIELDS.get(key)
        if getter is not None:
            return getter(self._copy)
        if key == "size_checked_only" and self._copy.size_checked_only:
            return True
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(_SIZE_CHECKED_KEYS if self._copy.size_checked_only else _COPY_FIELDS)

    def __len__(self) -> int:
        return len(_COPY_FIELDS) + self._copy.size_checked_only


# A file's entry in the JSON report, key by key (in the report's order): ``file_entry``
# builds it whole, ``FileEntryView`` computes one key when it is read (a field read as it
# is: ``attrgetter``, as ``_COPY_FIELDS``).
_FILE_FIELDS: dict[str, Callable[[FileResult], Any]] = {
    "path": operator.attrgetter("relative_path"),
    "size_bytes": operator.attrgetter("size_bytes"),
    "mtime": lambda f: iso_date(f.mtime_ns / 1e9),
    "mtime_ns": operator.attrgetter("mtime_ns"),
    "digests": operator.attrgetter("inflight_digests"),
    "source_reread_digests": operator.attrgetter("source_reread_digests"),
    "source_cache_bypass": lambda f: f.source_cache_bypass._value_,  # .value: a property
    "source_error": operator.attrgetter("source_error"),
    "destinations": lambda f: list(map(CopyEntryView, f.destinations)),
}


def file_entry(file: FileResult) -> dict[str, Any]:
    """The entry of *file* in the JSON report's ``files``: ``_FILE_FIELDS`` written out (the
    same keys, values and order; a test holds the two equal), since a call through nine
    lambdas and a dict comprehension was ~0.5 s of CPU at 50,000 files."""
    return {
        "path": file.relative_path,
        "size_bytes": file.size_bytes,
        "mtime": iso_date(file.mtime_ns / 1e9),
        "mtime_ns": file.mtime_ns,
        "digests": file.inflight_digests,
        "source_reread_digests": file.source_reread_digests,
        "source_cache_bypass": file.source_cache_bypass._value_,
        "source_error": file.source_error,
        "destinations": [_destination_entry(d) for d in file.destinations],
    }


class FileEntryView(Mapping[str, Any]):
    """``file_entry(file)`` read key by key, computed when read and never kept: what the
    HTML/PDF reports are built from after an offload (a whole entry a file, kept while they
    are built, was ~1 KB a file; the same keys and values as the JSON report's)."""

    __slots__ = ("_file",)

    def __init__(self, file: FileResult) -> None:
        self._file = file

    def __getitem__(self, key: str) -> Any:
        if key == "path":  # the key read most (each file's, several times, by the clips)
            return self._file.relative_path
        return _FILE_FIELDS[key](self._file)

    def get(self, key: str, default: Any = None) -> Any:
        # Mapping.get's meaning, without its try/except round through __getitem__.
        if key == "path":
            return self._file.relative_path
        if key == "destinations":  # read three times a file by the documents
            return list(map(CopyEntryView, self._file.destinations))
        getter = _FILE_FIELDS.get(key)
        return default if getter is None else getter(self._file)

    def __iter__(self) -> Iterator[str]:
        return iter(_FILE_FIELDS)

    def __len__(self) -> int:
        return len(_FILE_FIELDS)


class FileEntries(Sequence[Mapping[str, Any]]):
    """The ``files`` of a report being written: a ``FileEntryView`` of each result, made
    when asked for. ``json_chunks`` encodes them a batch at a time, so that neither the
    entries nor the whole JSON text are ever held at once."""

    __slots__ = ("files",)

    def __init__(self, files: Sequence[FileResult]) -> None:
        self.files = files

    @overload
    def __getitem__(self, index: int) -> Mapping[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Mapping[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> Mapping[str, Any] | Sequence[Mapping[str, Any]]:
        if isinstance(index, slice):
            return [FileEntryView(f) for f in self.files[index]]
        return FileEntryView(self.files[index])

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        # Sequence's own ``__iter__`` asks ``__getitem__`` for each index (~1.5 µs a file).
        return map(FileEntryView, self.files)

    def __len__(self) -> int:
        return len(self.files)


def job_report_dict(
    report: OffloadReport, *, hostname: str | None = None, exit_code: int | None = None
) -> dict[str, Any]:
    """The report as plain JSON-able data (stable key order). *exit_code* overrides the
    report's own (the caller knows the process's final code)."""
    data = report_data(report, hostname=hostname, exit_code=exit_code)
    data["files"] = [file_entry(f) for f in report.job.files]
    return data


def _mark_size_checked(report: OffloadReport, sized_only: AbstractSet[int]) -> None:
    """Marks each copy this run transfer-checked (not trusted from the ledger) on a
    destination of *sized_only* (``OffloadReport.size_checked_only``: its service stores a
    part whatever its checksum) ``size_checked_only``: its check proved its size alone, as a
    trusted copy's ledger entry says of an earlier run's check (``card._plan``), so the
    copy's JSON entry never says less was unproved than was. Sets only, never clears (a
    trusted copy's flag is its entry's); idempotent: each report of the run may call it. No
    pass over the copies where no destination is one (most runs)."""
    if not sized_only:
        return
    checked, trusted = DestinationStatus.TRANSFER_CHECKED, CopyAction.TRUSTED
    for file in report.job.files:
        for copy in file.destinations:
            if (
                copy.status is checked
                and copy.action is not trusted
                and copy.destination_index in sized_only
            ):
                copy.size_checked_only = True


def report_data(
    report: OffloadReport, *, hostname: str | None = None, exit_code: int | None = None
) -> dict[str, Any]:
    """``job_report_dict`` with ``files`` as ``FileEntries`` (made when read): what
    ``write_reports`` streams into the JSON and builds the HTML/PDF reports from."""
    job = report.job
    fed_from = _fed_from(report)
    sized_only = report.size_checked_only()
    _mark_size_checked(report, sized_only)
    states = {state.value: 0 for state in DestinationStatus}
    # Counted by member, each member's text read once (an enum's ``value`` is a property:
    # read a copy, ~21 ms at 50,000 files; this ~10 ms).
    for status, count in Counter([d.status for f in job.files for d in f.destinations]).items():
        states[status.value] += count
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "tool": {"name": "offload-ai", "version": __version__},
        # What socket.gethostname() returns (the node name of uname(2)), without importing
        # socket (~3 ms) in every offload.
        "hostname": hostname or os.uname().nodename,
        # The account the run ran as (the legacy MHL's <username>): the reports' "Offloaded
        # by" falls back to it, marked so, where no --author-name was given.
        "login_name": login_name(),
        "source": report.source,
        "card": None if report.card is None else report.card.as_json(),
        "production": {key: report.production.get(key) for key in PRODUCTION_FIELDS},
        "started": iso_date(job.started_at),
        # The start to the microsecond (``started`` is to the second): what orders two runs
        # of one second in ``offload history`` (a refused one's record states it too).
        "started_unix": round(job.started_at, 6),
        # The machine's zone at the start: the HTML/PDF say the run's times in it, wherever
        # and whenever they are made again (``offload report``).
        "time_zone": run_zone(job.started_at),
        # The run's token, as its start record names it: ``offload history`` takes a start
        # record whose run wrote this report as finished (its removal is not fsynced).
        "run": report.run or None,
        "finished": iso_date(job.finished_at),
        "elapsed_s": round(job.elapsed_s, 6),
        "verify": job.verify,
        "algorithms": list(job.algorithms),
        "cancelled": job.cancelled,
        "exit_code": report.exit_code if exit_code is None else exit_code,
        "totals": {
            "files": len(job.files),
            "bytes": job.total_bytes,
            "folders": report.directories,
            # The card's links, as `files` and `folders` count the card (not per destination).
            "symlinks": report.card_symlinks,
            "ignored": len(report.ignored),
            "results": states,
        },
        "destinations": [
            {
                "index": d.index,
                "path": d.root,
                "copy_root": str(report.plans[d.index].root),
                # An S3 destination's endpoint (null for a folder): one on this host is no
                # backup off the card's disk (report/release.py).
                "endpoint": report.endpoints.get(d.index),
                "lost": d.lost,
                "lost_reason": d.lost_reason,
                # When the engine gave it up (its first failure of the loss): the reports'
                # "LOST at 14:02:33 UTC"; null when not lost (and in reports before it).
                "lost_at": iso_date(d.lost_at),
                # A link the destination could not hold, or its manifests or report not
                # written there, is a failure there too (exit 1).
                "result": report.destination_result(d),
                "files_verified": d.files_verified,
                "files_verified_earlier": d.files_verified_earlier,
                "files_transfer_checked": d.files_transfer_checked,
                # Its service stores a part whatever its checksum: this run's transfer
                # checks there proved the sizes only (the documents say "size-checked").
                "size_checked_only": d.index in sized_only,
                "files_failed": d.files_failed,
                "files_cancelled": d.files_cancelled,
                "symlinks_failed": len(report.failed_links(d.index)),
                "bytes_written": d.bytes_written,
                "bytes_resumed": d.bytes_resumed,
                "files_resumed": d.files_resumed,
                "copy_s": round(d.copy_s, 6),
                "verify_s": round(d.verify_s, 6),
                "verify_before_s": round(d.verify_before_s, 6),
                "span_s": round(d.span_s, 6),
                "throughput_mb_s": round(d.throughput_mb_s, 3),
                # Where its copies were read from: "card", or, cascaded, the fast copies
                # (as --dry-run's), each with how many of its files it fed this run.
                "fed_from": fed_from[d.index],
            }
            for d in job.destinations
        ],
        "files": FileEntries(job.files),
        "symlinks": [vars(s) for s in report.symlinks],
        "ignored": [
            {"path": path, "reason": reason, **_FOLDER}
            if path in report.ignored_folders
            else {"path": path, "reason": reason}
            for path, reason in report.ignored
        ],
        "missing_from_card": report.missing_from_card,
        "missing_from_legacy_mhl": [
            {"path": path, "mhl": mhl}
            for path, mhl in sorted(report.missing_from_legacy_mhl.items())
        ],
        "card_history_untrusted": report.card_history_untrusted,
        # The card went away during the offload: the one line that says so (card_presence).
        "card_gone": report.card_gone,
        "warnings": [w.as_report_dict() for w in report.warnings]
        # Problems of the run itself (an event subscriber that raised): no path, one code.
        + [{"code": "job-warning", "path": None, "message": w} for w in job.warnings],
        "folder_errors": report.folder_errors,
        # The reports a destination refused, and whether the refusal puts its copies in
        # doubt (report/refusal.py): the card release counts no such destination.
        "reports_refused": report.reports_refused,
        # The folder times a destination refused, likewise (its copies are as verified).
        "folder_times_unset": report.folder_times_unset,
        "notes": report.notes,
        # What an S3 destination may have left of this run's in the bucket, each object or
        # version with the command that removes it (the notes' sentence names ten).
        "left_behind": left_behind_json(report.left_behind),
        "removed_stray_partials": report.removed_partials,
        "removed_unfinished": report.removed_unfinished.as_json(),
    }
    # The destinations grouped by the disk they share, and how each group read back.
    names = [d.root for d in job.destinations]
    data["devices"] = [
        {**entry, "summary": describe_devices(entry, names, read_back=job.verify != "transfer")}
        for entry in (group.as_json() for group in job.devices)
    ]
    if report.cascade:  # a cascading copy: which destinations were fed from a fast copy
        data["cascade"] = {
            "destinations": list(report.cascade),
            "card_pass_ended_at": iso_date(report.card_pass_ended_at),
            "card_released_at": iso_date(report.card_released_at),
            "card_pass_failed": report.card_pass_failed,
            "card_released_after_reread": report.card_released_after_reread,
            "files_verified_earlier_unproven": report.cascade_unproven,
            "fast_copies_reread": list(report.fast_copies_reread),
            "fast_copies_on_card_disk": list(report.fast_on_card_disk),
            "card_kept_by_its_disk": report.card_kept_by_its_disk,
            "card_disk_unknown": report.card_disk_unknown,
            "fast_copies_unrecorded": list(report.fast_unrecorded),
        }
    # Volume label, device, filesystem and free space of the card and of each destination.
    add_volume_info(data, devices=report.destination_devices, source_volume=report.source_volume)
    # May the card be formatted (docs/reports.md): from the facts above and each file's
    # copies (only the keys the rule reads: whole entries cost ~0.5 s at 50,000 files).
    facts = (
        (
            f.relative_path,
            f.source_error,
            # The members themselves: a StrEnum compares and hashes as its value, so the
            # rule's string tests hold without reading `.value` 300,000 times.
            [
                (
                    d.destination_index,
                    d.status,
                    d.verified_mode,
                    d.error,
                    d.cache_bypass,
                    d.refusal,
                )
                for d in f.destinations
            ],
        )
        for f in job.files
    )
    data["card_release"] = card_release(data, facts).as_json()
    return data


def _fed_from(report: OffloadReport) -> dict[int, str | list[dict[str, Any]]]:
    """Each destination's ``fed_from`` (by index): "card"; cascaded, [{``copy_root`` of a
    fast copy, ``files`` it fed there}] ([] when none did); in a cascade re-run without its
    card, that run's source and the files this run wrote or read back from it. Counted by
    the CSV's rule (``_fed_from_rule``): the JSON's count is its cells'. One pass over the
    files."""
    fed_to, fed_root = _fed_from_rule(report)
    counts: dict[int, Counter[str]] = {index: Counter() for index in fed_to}
    if fed_to:
        for file in report.job.files:
            for dest in file.destinations:
                index = dest.destination_index
                if index in counts and dest.action is not _TRUSTED:
                    root = fed_root(file.relative_path, index)
                    if root:
                        counts[index][root] += 1
    order = {str(plan.root): position for position, plan in enumerate(report.plans)}
    fed: dict[int, str | list[dict[str, Any]]] = {}
    for d in report.job.destinations:
        if d.index not in counts:
            fed[d.index] = "card"
            continue
        fed[d.index] = [
            {"copy_root": root, "files": count}
            for root, count in sorted(counts[d.index].items(), key=lambda i: order.get(i[0], -1))
        ]
    return fed


def failures(report: OffloadReport, *, exit_code: int | None = None) -> list[dict[str, Any]]:
    """What failed, for ``--json``'s ``job_report`` line (docs/json.md): one entry per copy
    that failed (``kind`` "file"; a file the source failed to give fails on every
    destination) and per symlink of the card not made (``kind`` "symlink"), each with its
    ``destination_index``; a file the source failed while none of its copies did (the
    card's file read unlike its record, its copies verified against that record:
    ``existing.settle``) is one entry, ``destination_index`` -1. A copy the run was
    cancelled before finishing is not a failure: each destination's ``files_cancelled``
    counts those. *exit_code*: the report's, where the caller has it (0: no file failed at
    the source, so none is looked for)."""
    files = report.job.files
    found: list[dict[str, Any]] = [
        {
            "kind": "file",
            "path": f.relative_path,
            "destination_index": d.destination_index,
            "error": d.error,
        }
        for f in files
        for d in f.destinations
        if d.status is DestinationStatus.FAILED
    ]
    # (One more look a file, ~1.5 ms at 50,000 files: not made for a run that exits 0,
    # docs/performance.md, thirty-fifth pass.)
    alone = [f for f in files if f.source_error is not None] if exit_code != 0 else []
    if alone:
        failed = {entry["path"] for entry in found}
        found += [
            {"kind": "file", "path": f.relative_path, "destination_index": -1, "error": error}
            for f in alone
            if f.relative_path not in failed and (error := f.source_error)
        ]
    found += [
        {
            "kind": "symlink",
            "path": s.relative_path,
            "destination_index": s.destination_index,
            "error": s.error,
        }
        for s in report.symlinks
        if s.status is SymlinkStatus.FAILED
    ]
    return found


def json_bytes(data: dict[str, Any]) -> bytes:
    """Compact JSON, valid UTF-8 whatever the names (see _SURROGATE)."""
    # Compact: with indent, json falls back to its pure-Python encoder (0.7 s for 5,000
    # files on three destinations); `python -m json.tool` pretty-prints it.
    return _json_encoded(_STRICT.encode(data))


# Entries encoded at a time: small pieces, one json.dumps call a batch.
_BATCH = 1000


class EntriesFeed(Protocol):
    """Where ``json_chunks`` also sends the text of the file entries it encodes (the report
    worker's ``PendingDocuments``)."""

    def feed(self, entries: bytes | memoryview) -> bool:
        """A batch of entries' JSON text, joined by ", " (no brackets); False: send no more."""
        ...

    def fed(self) -> None:
        """Every entry was sent."""
        ...


def json_chunks(data: Mapping[str, Any], entries_to: EntriesFeed | None = None) -> Iterator[bytes]:
    """``json_bytes(data)`` in pieces, the same bytes: the ``files`` (a ``FileEntries``, or
    the entries made whole) are encoded a batch of entries at a time (a 50,000-file report
    is ~30 MB of JSON, which was built as one string and then one bytes object).
    *entries_to*: also handed each batch of a ``FileEntries``' text, the very bytes written
    (the report worker parses them instead of being sent the entries pickled), then told
    they are all sent once the last is (never, if this generator is not run to its end)."""
    separator = "{"
    for key, value in data.items():
        head = f"{separator}{_STRICT.encode(key)}: "
        separator = ", "
        if isinstance(value, FileEntries):
            # Each entry's text written out from its result (entries_json: the same bytes
            # as json.dumps of file_entry, without building the entry's dicts).
            from offload.report.entries_json import entries_text

            results = value.files
            yield _json_encoded(head + "[")
            for start in range(0, len(results), _BATCH):
                text = entries_text(results[start : start + _BATCH])
                piece = _json_encoded(text if start == 0 else ", " + text)
                if entries_to is not None and not entries_to.feed(
                    piece if start == 0 else memoryview(piece)[2:]  # less the ", "
                ):
                    entries_to = None
                yield piece
            if entries_to is not None:
                entries_to.fed()
            yield b"]"
            continue
        if key == "files" and isinstance(value, list):
            batches = (value[start : start + _BATCH] for start in range(0, len(value), _BATCH))
        else:
            yield _json_encoded(head + _STRICT.encode(value))
            continue
        yield _json_encoded(head + "[")
        for number, batch in enumerate(batches):
            # One dumps a batch: the list's text less its brackets is the entries joined by
            # ", " (the default separator), the same bytes as one dumps an entry, without
            # making an encoder an entry (json.dumps with an argument makes one each call).
            text = _STRICT.encode(batch)[1:-1]
            yield _json_encoded(text if number == 0 else ", " + text)
        yield b"]"
    yield b"}" if separator == ", " else b"{}"


def csv_text(report: OffloadReport) -> str:
    """One row per file and destination."""
    return "".join(_csv_pieces(report))


def _csv_pieces(report: OffloadReport) -> Iterator[str]:
    """``csv_text`` a batch of files at a time (never the whole text at once)."""
    _mark_size_checked(report, report.size_checked_only())  # (the JSON's rule, one pass)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    yield out.getvalue()
    # Every text cell a name or a message can reach through ``cell`` (csv_cells: names kept
    # exactly, yet no row broken, no terminal driven, no formula started), then quoted as
    # the csv module quotes it (``_field``).
    roots = {d.index: _field(cell(d.root)) for d in report.job.destinations}
    production = ",".join(
        _field(cell(report.production.get(key) or "")) for key in PRODUCTION_FIELDS
    )
    files = report.job.files
    # The copies the manifests leave out, by destination (none on an ordinary card).
    left = report.not_in_manifest()
    fed_to, fed_cell = _fed_from_cells(report)
    prefixes = {index: f"{report.plans[index].root}/" for index in left}
    # A row's line written out: at 50,000 files a list of 23 cells a copy handed to the csv
    # writer was ~0.5 s of CPU. The same text as csv.writer's (``_field``; the enums' text
    # and the dates need no quoting, numbers are written as it writes them: ``str``).
    for start in range(0, len(files), _BATCH):
        lines = []
        for file in files[start : start + _BATCH]:
            digests = _field(_digests_text(file.inflight_digests))
            mtime_ns = file.mtime_ns
            # The cells every copy's row starts and ends with.
            head = f"{_field(cell(file.relative_path))},{file.size_bytes!s},"
            head += f"{iso_date(mtime_ns / 1e9)},{mtime_ns!s},"
            tail = f"{_field(cell(file.source_error or ''))},{production},"
            for dest in file.destinations:
                index = dest.destination_index
                note = ""
                if index in left:
                    prefix, path = prefixes[index], dest.final_path
                    if path.startswith(prefix):
                        note = _field(cell(_exact_reason(left[index], path[len(prefix) :])))
                status = dest.status
                verified_at = dest.verified_at
                error = dest.error
                fed = (
                    fed_cell(file.relative_path, index)
                    if index in fed_to and dest.action is not _TRUSTED
                    else ""
                )
                lines.append(
                    f"{head}{index!s},{roots.get(index, '')},{status._value_},"
                    f"{dest.action._value_},{'' if verified_at is None else iso_date(verified_at)},"
                    f"{_field(dest.verified_mode or '')},{_field(cell(dest.final_path))},"
                    f"{'' if not error else _field(cell(error))},{digests},"
                    f"{_field(_digests_text(dest.digests)) if status is _VERIFIED else ''},"
                    f"{_field(_digests_text(dest.recorded_digests))},"
                    f"{dest.cache_bypass._value_},{tail}{note},{fed},"
                    f"{'true' if dest.size_checked_only else ''}\n"
                )
        yield "".join(lines)


def _fed_from_rule(
    report: OffloadReport,
) -> tuple[AbstractSet[int], Callable[[str, int], str]]:
    """The one rule of ``fed_from``, the CSV's cells and the JSON's counts alike: the
    destinations whose copies may have one, and a copy's feeder there (by its file's path
    and the destination's index): the copy root of the fast copy a cascade read the file
    from whole to write that copy (the one that fed it last: ``OffloadReport
    .cascade_feeder``, by copy, which holds no file whose read of it failed or was
    cancelled, nor a copy the cascade did not write: one read back in the card's pass), ""
    where none did; in a cascade re-run without its card, on every destination, the fast
    copy standing for it (the run's source), or the next one that fed a file that copy was
    found unlike the card in (``OffloadReport.fed_again_from``). A copy trusted from a
    ledger (``action`` trusted: fed by no one now) has none: the callers skip it. A run
    without a cascade: no destination (a set's look-up a row, no call)."""
    if any(w.code is PreflightCode.CARD_ABSENT for w in report.warnings):
        source = report.source
        again = report.fed_again_from  # a file its source was found unlike the card in
        everywhere = frozenset(d.index for d in report.job.destinations)
        if again:
            return everywhere, lambda path, _index: again.get(path, source)
        return everywhere, lambda _path, _index: source
    if not report.cascade:
        return frozenset(), lambda _path, _index: ""
    feeder = report.cascade_feeder
    roots = {i: str(report.plans[i].root) for i in set(feeder.values())}
    return frozenset(report.cascade), lambda path, index: roots.get(
        feeder.get((path, index), -1), ""
    )


def _fed_from_cells(
    report: OffloadReport,
) -> tuple[AbstractSet[int], Callable[[str, int], str]]:
    """The CSV's ``fed_from`` cells by ``_fed_from_rule``: its destinations, and a copy's
    cell (by its file's path and the destination's index), quoted once a copy root, not
    once a file (docs/performance.md, "The CSV's fed_from")."""
    fed_to, fed_root = _fed_from_rule(report)
    quoted: dict[str, str] = {"": ""}

    def fed_cell(path: str, index: int) -> str:
        root = fed_root(path, index)
        text = quoted.get(root)
        if text is None:
            text = quoted[root] = _field(cell(root))
        return text

    return fed_to, fed_cell


# What the csv module quotes in a cell (QUOTE_MINIMAL, "," and '"', line ends; "\r" in
# any version): a cell with none of these is written as it is.
_QUOTED_BY_CSV = re.compile('[,"\r\n]')


@functools.lru_cache(maxsize=1)
def _field_writer() -> tuple[io.StringIO, Any]:
    out = io.StringIO()
    return out, csv.writer(out, lineterminator="\n")


def _exact_reason(reasons: Mapping[str, str], relative: str) -> str:
    """Why the manifests there leave out the copy *relative* (*reasons*, by path relative to
    the copy root), as the CSV cell's exact text: a name XML cannot hold has its character
    itself (``unlisted_name_reason(exact=True)``), which ``cell`` then spells ``\\x07``
    once; the reason's terminal spelling, already ``\\x07``, came out ``\\\\x07``."""
    why = reasons.get(relative, "")
    if why and not xml_can_hold(relative) and why == unlisted_name_reason(relative):
        return unlisted_name_reason(relative, exact=True)
    return why


def _field(text: str) -> str:
    """*text* as ``csv.writer`` writes it in a row of several cells (this module's dialect):
    as it is when nothing in it is quoted, else as the writer itself quotes it."""
    if _QUOTED_BY_CSV.search(text) is None:
        return text
    out, writer = _field_writer()
    out.seek(0)
    out.truncate()
    writer.writerow([text, ""])  # two cells: a lone empty cell is quoted, these never are
    return out.getvalue()[:-2]  # less the "," of the empty cell and the line end


def _digests_text(digests: dict[str, str]) -> str:
    """A CSV cell of digests: ``algorithm:value`` pairs, space-separated ("" for none)."""
    if not digests:
        return ""
    return " ".join(f"{k}:{v}" for k, v in digests.items())


def csv_chunks(report: OffloadReport) -> Iterator[bytes]:
    """The CSV file's bytes in pieces (names that are not UTF-8 as ``\\xNN`` text)."""
    for text in _csv_pieces(report):
        if text.isascii():  # no surrogate to write as text: no regex pass over the piece
            yield text.encode("utf-8")
        else:
            yield _SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text).encode(
                "utf-8"
            )


def report_basename(report: OffloadReport, *, folders: Sequence[Path] = ()) -> str:
    """``<card folder's name>_<start, UTC>Z``: one name for the report in every folder, so
    the name as every one of the *folders*' filesystems takes it
    (:func:`~offload.plan.names.own_name_in`: each character one refuses as ``_``, ``W:12``
    as ``W_12`` on exFAT, NTFS, FAT or an SMB/CIFS share; its ASCII form,
    ``Café`` -> ``Cafe``, where one takes only ASCII names, fusefat): else the
    destination's report would be lost, and the destination failed, for the name alone."""
    from offload.plan.names import report_name

    return report_basename_for(report_name(report.source, folders), report.job.started_at)


#: The HTML and PDF reports not written yet (``ReportsWritten.documents``): what makes them,
#: the local JSON paths they go beside, and each remote JSON's shown path with how a
#: document is put beside it.
_Documents = tuple[PendingDocuments, list[str], list[tuple[str, Callable[[str, bytes], None]]]]


class ReportsWritten:
    """What ``write_reports`` wrote: the JSON paths, the exit code they state, and what
    could not be written (a destination's problem: already recorded on the report,
    ``OffloadReport.destination_error``, which makes the exit code the one stated and that
    destination's ``result`` failed; the local folder's: a note, the offload itself is not
    affected). A plain class: a dataclass cost ~0.3 ms to create in every offload."""

    __slots__ = (
        "card_content",
        "card_release",
        "data",
        "destination_errors",
        "destinations",
        "document_errors",
        "documents",
        "documents_written",
        "exit_code",
        "findings_unwritten",
        "ignored",
        "json_planned",
        "json_refused",
        "json_stored",
        "json_written",
        "local_error",
        "paths",
        "refusals",
        "totals",
        "unrestated",
    )

    def __init__(self, exit_code: int = 0) -> None:
        self.paths: list[str] = []
        self.exit_code = exit_code
        self.destination_errors: list[str] = []
        self.local_error: str | None = None
        # Every report not written, in the order met, as ``--json``'s ``report_refused``
        # lines give them (``refusal``): a destination's (which made the exit code 1), the
        # local folder's and the HTML/PDF's (notes: the exit code stands).
        self.refusals: list[dict[str, Any]] = []
        # The JSON's `card_release` (report/release.py): may the card be formatted, in words.
        self.card_release: dict[str, Any] = {}
        # The JSON's `destinations`, as written (volumes included): `--json`'s `job_report` line
        # states these very entries, so that a key means the same in both.
        self.destinations: list[dict[str, Any]] = []
        # The JSON's `totals` (the counts the summary prints, `ignored` among them) and its
        # `ignored` entries, for that line too.
        self.totals: dict[str, Any] = {}
        self.ignored: list[dict[str, str]] = []
        # The HTML and PDF reports still being made by the report worker (``write_reports``
        # with a worker), with where they go (the local JSON paths, the remote folders'):
        # written by ``finish_documents``. A restatement meanwhile has them made from the
        # restated data (``restate``), so they say what the JSON says.
        self.documents: _Documents | None = None
        # What ``finish_documents`` could not write (an HTML or PDF report), a line each:
        # the summary prints each on its own line, ``--json`` adds each to the notes.
        self.document_errors: list[str] = []
        # Each JSON report, written whole, that the probing's findings could not be added
        # to (``finish_documents``' second write refused), a line each: not a report not
        # written (no REPORT NOT WRITTEN, no ``refusals``), but the lines say so.
        self.findings_unwritten: list[str] = []
        # The HTML and PDF reports ``finish_documents`` wrote beside the local JSON reports,
        # under their names: the summary names each (never one that was not written).
        self.documents_written: list[Path] = []
        # The card's content that is not whole (``card_content.card_content``: spans or
        # frames missing, frames damaged, empty clip files, clips their probing found not
        # whole), from the documents' grouping of its clips, once ``finish_documents`` has
        # them; None: not known (no document made).
        self.card_content: list[dict[str, Any]] | None = None
        # What ``restate`` rewrites: the data the JSON reports were last written from, and
        # each JSON report under its final name as soon as it is there (a run stopped in
        # the middle of ``write_reports`` restates those already written).
        self.data: dict[str, Any] | None = None
        self.json_written: list[Path] = []
        # Every folder ``write_reports`` meant to write a report into, as shown (a
        # destination's, a bucket's, the local one), in its order: a run stopped part-way
        # names those that have none (``folders_without_report``).
        self.json_planned: list[str] = []
        # The folders that refused their report (as shown) and the refusal's words, as
        # met: a run stopped part-way names these by their error, never as "stopped before
        # it was written there" (the same command fails there again).
        self.json_refused: dict[str, str] = {}
        self.json_stored: list[tuple[RemoteReportFolder, str]] = []  # (folder, name.json)
        # The JSON reports the last ``restate`` had not yet written again (as shown), for a
        # caller whose restatement a signal cut short to name them.
        self.unrestated: list[str] = []

    def folders_without_report(self) -> list[str]:
        """The folders of ``json_planned`` that hold no JSON report of this run (yet), as
        shown: the rest of a run stopped while its reports were written."""
        done = {str(path.parent) for path in self.json_written}
        done |= {folder.name for folder, _name in self.json_stored}
        return [
            folder
            for folder in self.json_planned
            if folder not in done and folder not in self.json_refused
        ]

    def restate(self, exit_code: int, notes: Sequence[str], *, stopped: bool = False) -> list[str]:
        """Write every JSON report already written again, atomically over itself, with
        *exit_code* and *notes* added to its ``notes``: what the run turned out to be after
        they were written (a signal during the reports; a run stopped by one, *stopped*:
        its HTML and PDF reports beside a local JSON are removed too, made from what the
        JSON no longer says; ``offload report JOB.json`` makes them again). Returns what
        could not be done, one line each; never raises for I/O. Main thread only."""
        if self.data is None:
            return []
        data = {**self.data, "notes": [*self.data["notes"], *notes]}
        self.data, self.exit_code = data, exit_code
        if self.documents is not None and not stopped:
            # The HTML and PDF not written yet: made from the restated data (here, not by
            # the worker, which has the first), so they carry the notes too.
            self.documents[0].restate({**data, "exit_code": exit_code})
        return self._rewrite(data, exit_code, stopped)

    def _rewrite(
        self, data: dict[str, Any], exit_code: int, stopped: bool, *, findings: bool = False
    ) -> list[str]:
        """Write every JSON report already written again from *data*, atomically over
        itself (``restate``); what could not be done, one line each. With *findings* (the
        probing's, ``finish_documents``), a refused write's line says the report is there,
        as written before, without them (``_unrestated``)."""
        restated = _json_file(data)
        problems: list[str] = []
        self.unrestated = [str(path) for path in self.json_written]
        self.unrestated += [f"{folder.name}/{name}" for folder, name in self.json_stored]
        for path in self.json_written:
            # On a worker, as ``write_reports``' calls: a hung drive holds it, not the
            # signals (a stop meanwhile leaves the rest as they were: ``unrestated``).
            _on_drive(
                "offload-reports",
                functools.partial(
                    _restated_at, restated, path, exit_code, stopped, problems, findings
                ),
                (str(path.parent),),
            )
            self.unrestated.remove(str(path))
        for folder, name in self.json_stored:
            try:
                folder.put(name, _content(restated, exit_code), replace=True)
            except OSError as exc:
                problems.append(_unrestated(f"{name} in {folder.name}", exc, findings))
            self.unrestated.remove(f"{folder.name}/{name}")
        restated.release()
        return problems

    def finish_documents(self) -> None:
        """Write the HTML and PDF reports the report worker was making (waiting for it, or
        making them here if it failed): each durable when this returns, what could not be
        written in ``document_errors``. Nothing to do once done, or without a worker."""
        documents, self.documents = self.documents, None
        if documents is None:
            return
        pending, json_paths, remote = documents
        notes = pending.finish(json_paths, remote)
        self.card_content = pending.card_content
        if self.data is not None and probed_found(self.card_content):
            # What the probing found of the card's content (a file not readable as media,
            # a clip cut off) is known only now: the JSON reports, written before, are
            # written again with it, so that ``offload report`` of them once the card is
            # formatted and the copies shelved says it too (``media_record``). Only for
            # those kinds: ``offload report`` makes every other line again from the
            # report's ``files``, most runs find nothing, and a 50,000-file report is
            # ~56 MB to write again on every drive (and upload again to every bucket).
            self.data = {**self.data, "card_content": self.card_content}
            self.findings_unwritten += self._rewrite(
                self.data, self.exit_code, stopped=False, findings=True
            )
        self.documents_written += pending.published
        if notes:
            self.document_errors += notes
            # The note names the file and why; no errno is kept for a document's.
            self.refusals += [refusal("documents", None, None, note, None) for note in notes]


class RemoteReportFolder(Protocol):
    """A destination's reports folder that is not a local folder (S3:
    ``destinations.s3card.S3ReportFolder``), in ``OffloadReport.report_folders``."""

    @property
    def name(self) -> str: ...  # as shown (s3://bucket/prefix/CARD/.offload/reports)

    def exists(self, filename: str) -> bool:
        """Raises OSError."""
        ...

    def put(self, filename: str, data: bytes, *, replace: bool) -> str:
        """Store *data*, never over anything unless *replace*; returns its shown path.
        Raises OSError (FileExistsError: the name is taken)."""
        ...

    def remove(self, filename: str) -> None:
        """Take back what ``put`` stored as *filename* (nothing else stored there since).
        Raises OSError."""
        ...


def write_reports(
    report: OffloadReport,
    local_dir: Path | None,
    *,
    worker: DocumentWorker | None = None,
    into: ReportsWritten | None = None,
    local_parents: bool = True,
    local_device: tuple[Path, int] | None = None,
) -> ReportsWritten:
    """Write JSON + CSV into every destination not lost (a local folder, or a
    ``report_folders`` one: S3), then locally (if *local_dir*: made with the folders above
    it only if *local_parents*, the default folder; one the user named is made if missing,
    never its parents: gone since, its report is not written, ``local_error``; nor where
    *local_device*, the folder looked at and its device when the run began (``cli.common.
    report_folder_device``), is no longer that one's: a drive unmounted since), then the
    HTML and PDF reports
    beside each JSON. With a report *worker* (``report/worker.py``, the command's) they are
    handed to it and written by the result's ``finish_documents``, which the caller must
    call (or ``close``); without one, they are written before this returns.

    Never replaces another run's report: the name gets ``_2``, ``_3``... when a report of
    the same card and second exists in any of the folders. A destination that refuses its
    report is recorded on *report* (``OffloadReport.destination_error``: ``folder_errors``,
    exit 1, that destination's ``result`` failed), and the reports already written are
    written again saying so (and the exit code): the report of a run names why it exited
    1, on page 1 of its HTML and PDF too. The exit code written is the one the caller
    returns (``report.exit_code``, worked out once here: *into*'s ``exit_code``, which the
    command takes). Never raises for I/O. *into*: the caller's
    ``ReportsWritten``, filled as each JSON report is written (a run stopped meanwhile
    restates those: ``ReportsWritten.restate``); returned.
    """
    # Every call on a local folder (a destination's, the local one) is made on a worker
    # (``interruptible.call``): one that hangs (a stalled drive) holds the worker, never the
    # main thread, so each Ctrl-C reaches the handler at once and a second one, or a SIGTERM,
    # stops the run as it does in the manifest step (with the main thread held in that call,
    # the kernel merged the Ctrl-Cs into one: only recorded, the run went on to exit 0). A
    # bucket's requests stay on the main thread, where a signal interrupts their wait.
    if local_dir is not None:
        swept = _on_drive(
            "offload-reports", lambda: remove_dead_temporaries(local_dir), (str(local_dir),)
        )
        if swept is not None:
            report.notes.append(swept)
    lost = {d.index for d in report.job.destinations if d.lost}
    folders: list[Path] = []
    # Copy roots that held this run's copies and are gone now (a drive unmounted lazily:
    # its mount point the folder on the disk below): refused, never made again there.
    vanished: list[tuple[int | None, str, OSError, str]] = []
    local_plans = [
        p for p in report.plans if p.index not in lost and p.index not in report.report_folders
    ]

    def looked_at() -> None:
        for plan in local_plans:
            folder = plan.root / STATE_FOLDER / "reports"
            # One found gone or on another filesystem (``OffloadReport.unreachable``): a copy
            # root that is the mount point itself is still a folder then, the bare one below.
            if plan.index not in report.unreachable and _may_hold_reports(plan.root):
                folders.append(folder)
            elif plan.index in report.unreachable or _held_copies(report, plan.index):
                gone = report.unreachable.get(plan.index) or lost_error_of(plan.root, None)
                vanished.append(
                    (
                        plan.index,
                        f"cannot write the report into {folder}: {gone.strerror}",
                        gone,
                        str(folder),
                    )
                )

    _on_drive("offload-reports", looked_at, tuple(str(p.root) for p in local_plans))
    remote = [f for i, f in sorted(report.report_folders.items()) if i not in lost]
    everywhere = [*folders, *([local_dir] if local_dir is not None else [])]
    # One name in every folder, the local one included: ASCII if any takes no other.
    base = _free_basename(report_basename(report, folders=everywhere), everywhere, remote)
    result = into if into is not None else ReportsWritten()
    # The files' outcomes are final here: their part of the exit code is worked out once
    # for the run's end (the refusals below add to the card layer's part only), and the
    # command takes the code from *result*, never working it out again.
    job_code = int(report.job.exit_code)
    result.exit_code = report.exit_code_with(more_errors=False, job_code=job_code)
    result.json_planned = [
        *map(str, folders),
        *(f.name for f in remote),
        *([str(local_dir)] if local_dir is not None else []),
    ]
    result.json_refused.update((where, message) for _i, message, _e, where in vanished)
    # Streamed into the first file, then copied from it (StreamedFile): at 50,000 files the
    # JSON is ~30 MB and the CSV ~11 MB, each ~1 s to build, and held whole they were most
    # of the offload's peak memory.
    data = report_data(report, exit_code=result.exit_code)
    result.card_release = data["card_release"]
    result.destinations = data["destinations"]
    result.totals, result.ignored = data["totals"], data["ignored"]
    result.data = data
    # The HTML and PDF reports are made from *data* (as it stands now, but for the exit code
    # set below): by the report worker, if there is one, from now on.
    # With a worker: its file entries are the JSON's own text, sent to it as the first
    # JSON report is made (``json_chunks``), not entries made and pickled here (~4 µs a file
    # of the command's time, and every entry held at once).
    documents = PendingDocuments(data, worker=worker, entries_follow=True)
    json_file = _json_file(data, documents if worker is not None else None)
    table = StreamedFile(lambda _code: csv_chunks(report))

    # Which destination each report folder is.
    local_index = {plan.root / STATE_FOLDER / "reports": plan.index for plan in report.plans}
    remote_index = {id(f): i for i, f in report.report_folders.items()}
    # (destination index, what, why, the folder or file refused)
    refused: list[tuple[int | None, str, OSError, str]] = list(vanished)
    written: list[Path] = []
    for folder in folders:
        try:
            written.append(
                _on_drive(
                    "offload-reports",
                    functools.partial(
                        _write_pair,
                        folder,
                        base,
                        json_file,
                        table,
                        result.exit_code,
                        in_copy_root=True,
                        published=result.json_written.append,
                    ),
                    (str(folder),),
                )
            )
        except OSError as exc:
            _unpublished(result, folder)
            message = f"cannot write the report into {folder}: {describe_os_error(exc)}"
            refused.append((local_index.get(folder), message, exc, str(folder)))
            result.json_refused[str(folder)] = message
    stored: list[tuple[RemoteReportFolder, str, str]] = []  # (folder, name, shown JSON path)
    for remote_folder in remote:
        try:
            name, shown = _put_pair(
                remote_folder,
                base,
                _content(json_file, result.exit_code),
                _content(table, 0),
                result.json_stored,
            )
            stored.append((remote_folder, name, shown))
        except OSError as exc:
            message = f"cannot write the report into {remote_folder.name}: {describe_os_error(exc)}"
            refused.append((remote_index.get(id(remote_folder)), message, exc, remote_folder.name))
            result.json_refused[remote_folder.name] = message
    # A destination refused its report: recorded on the report (exit 1, that destination
    # failed), and the reports already written say so too, with the final exit code (our own
    # files, just written: replacing them loses nothing). The data is made again (the card
    # release reads the refusals), into a new StreamedFile: the first one would copy the bytes
    # it first wrote. A rewrite refused in its turn (the drive failing since its first report:
    # EIO, EROFS) is one more refusal, and the data is made again for the others: no report,
    # and no card release said on the terminal, counts a destination whose last write failed.
    # Each round leaves out a folder more, so this ends.
    rewrite, remote_rewrite = list(written), list(stored)
    while refused:
        for index, message, error, where in refused:
            _refused(report, index, message, error, result)
            result.refusals.append(refusal("json", index, where, message, error))
        refused = []
        result.exit_code = report.exit_code_with(more_errors=False, job_code=job_code)
        json_file.release()
        data = report_data(report, exit_code=result.exit_code)
        result.card_release = data["card_release"]
        result.destinations = data["destinations"]
        result.totals, result.ignored = data["totals"], data["ignored"]
        result.data = data
        documents.restate(data)  # the worker's documents were made from the first data
        json_file = _json_file(data)
        for path in list(rewrite):
            try:
                _on_drive(
                    "offload-reports",
                    functools.partial(json_file.write, path, result.exit_code, replace=True),
                    (str(path.parent),),
                )
            except OSError as exc:
                rewrite.remove(path)
                refused.append(
                    (
                        local_index.get(path.parent),
                        f"cannot write the report {path}: {describe_os_error(exc)}",
                        exc,
                        str(path),
                    )
                )
        for remote_folder, name, shown in list(remote_rewrite):
            try:
                remote_folder.put(
                    f"{name}.json", _content(json_file, result.exit_code), replace=True
                )
            except OSError as exc:
                remote_rewrite.remove((remote_folder, name, shown))
                refused.append(
                    (
                        remote_index.get(id(remote_folder)),
                        f"cannot write the report {shown}: {describe_os_error(exc)}",
                        exc,
                        shown,
                    )
                )
    result.paths = [str(p) for p in written]
    if local_dir is not None:
        try:

            def local_pair() -> Path:
                if local_device is not None:
                    still_on(*local_device)
                return _write_pair(
                    local_dir,
                    base,
                    json_file,
                    table,
                    result.exit_code,
                    parents=local_parents,
                    published=lambda path: result.json_written.insert(0, path),
                )

            local = _on_drive("offload-reports", local_pair, (str(local_dir),))
            result.paths.insert(0, str(local))
        except OSError as exc:
            _unpublished(result, local_dir)
            result.local_error = (
                f"cannot write the local report into {local_dir}: {describe_os_error(exc)} "
                "(the copies are not affected; --report-dir chooses another folder)"
            )
            result.json_refused[str(local_dir)] = result.local_error
            result.refusals.append(
                refusal("json", None, str(local_dir), result.local_error, exc, local=True)
            )
    json_file.release()
    table.release()
    if result.local_error is not None:
        # The saved reports say it too (docs/json.md, ``notes``): every JSON written so far
        # restated with the note, and the HTML and PDF made from that data, never from the
        # worker's first (only on this failure: a rewrite of each JSON, the documents made
        # here).
        problems = result.restate(result.exit_code, [result.local_error])
        # After: the data's notes may be the report's own list.
        report.notes.extend([result.local_error, *problems])
        data = result.data
        documents.restate(data)
    # HTML + PDF beside each JSON, after all of them are safe (probing reads media files),
    # built once: the same bytes go to the local folders and to the buckets. A failure is a
    # note: `offload report JOB.json` writes them again.
    data["exit_code"] = result.exit_code
    # The documents state what the JSON states: the report's problems as they are now, not
    # what the caller adds to the report after this returns (`destination_errors` become
    # its `folder_errors`, `local_error` a note) while the documents may still be made.
    data["folder_errors"] = list(data["folder_errors"])
    data["notes"] = list(data["notes"])
    remote_documents = [(shown, _document_put(folder, name)) for folder, name, shown in stored]
    result.documents = (documents, list(result.paths), remote_documents)
    result.paths += [shown for _, _, shown in stored]
    if worker is None:
        result.finish_documents()
    return result


#: A report's final name in a report folder: ``report_basename`` (maybe ``_N``), then its kind.
_REPORT_NAME = re.compile(r".+_\d{4}-\d{2}-\d{2}_\d{6}Z(?:_\d+)?\.(?:json|csv|html|pdf)", re.DOTALL)


def dead_reports_removed(folder: Path | str, names: list[str]) -> str:
    """The line that says the unfinished report files *names* (printable, at least one) of a
    dead run were removed from *folder*: the user's report folder
    (``remove_dead_temporaries``) and a copy root's ``.offload/reports/``
    (``card._remove_stale_temps``) say it in the same words."""
    shown = ", ".join(names[:3])
    shown += f" and {len(names) - 3:,} more" if len(names) > 3 else ""
    return (
        f"removed {len(names)} unfinished report file(s) that an offload killed while "
        f"writing its reports left in {printable_name(str(folder))}: {shown} (its "
        "finished reports are kept)"
    )


def remove_dead_temporaries(folder: Path) -> str | None:
    """Delete the temporary report files (``AtomicFile``'s ``.<report name>.<pid>.<hex>.partial``)
    that an offload killed while it wrote its reports (kill -9, a crash, a power cut) left in
    the user's report *folder* (``--report-dir``, ``$OFFLOAD_REPORT_DIR``, the default), which
    no copy root's clean-up reaches; returns the one line that says what was removed (None:
    nothing). Only ours (a report's name, ``_REPORT_NAME``), and only those whose writer is
    dead: its pid alive on no process here and no writer's claim on it; where the filesystem
    keeps no locks (a share another host may write to), only those untouched for
    ``UNASKABLE_STALE_S`` (``manifest.atomic.stale_temp_files``). A folder whose listing
    fails (at its start or partway: EIO) is said in the line (``could_not_look``), never
    taken for one with nothing left; one that does not exist, is no folder or may not be
    read returns None (the report's own write says what is wrong there). Never raises: one
    that cannot be deleted is kept for the next run."""
    from offload.destinations.claim import remove_unclaimed
    from offload.manifest.atomic import could_not_look, stale_temp_files
    from offload.plan.strays import UNASKABLE_STALE_S

    try:
        with os.scandir(folder) as entries:
            if not any(entry.name.endswith(".partial") for entry in entries):
                return None  # the usual case: nothing to parse, nothing imported
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None  # the report's own write says what is wrong with the folder
    except OSError:
        pass  # a listing that fails partway (EIO): said below, by the one that judges them
    found = stale_temp_files(
        folder,
        lambda name: _REPORT_NAME.fullmatch(name) is not None,
        unaskable_after_s=UNASKABLE_STALE_S,
    )
    removed: list[str] = []
    for path in found.paths:
        # Unlinked under its exclusive lock: a writer that claims it since it was judged
        # keeps it (``remove_unclaimed``: False then, and when it cannot be deleted).
        if remove_unclaimed(str(path)):
            removed.append(printable_name(path.name))
    lines = []
    if removed:
        lines.append(dead_reports_removed(folder, removed))
    if found.unlisted is not None:  # never taken for "none left there"
        what = "the unfinished report files an offload killed while writing its reports left"
        lines.append(could_not_look(folder, what, found.unlisted))
    return "; ".join(lines) or None


def refusal(
    report: str,
    index: int | None,
    path: str | None,
    message: str,
    exc: OSError | None,
    *,
    local: bool = False,
) -> dict[str, Any]:
    """One ``report_refused`` line's fields (docs/json.md): *report* ``json`` (the JSON and
    CSV pair) or ``documents`` (the HTML and PDF); *index* the destination whose report
    folder refused it (None: the local folder, a folder not known to be a destination's, a
    document); *path* the folder or file refused (None when only *message* names it);
    ``errno`` the error's name (None when unknown); ``local`` whether it was the local
    folder's; ``fails_run`` whether it makes the run exit 1 (a destination's JSON/CSV, or
    a folder not known to be one, as ``_refused`` records it; the local folder's and the
    documents' are notes)."""
    code = exc.errno if exc is not None and isinstance(exc.errno, int) else None
    return {
        "report": report,
        "destination_index": index,
        "local": local,
        "path": path,
        "errno": errno.errorcode.get(code) if code is not None else None,
        "message": message,
        "fails_run": report == "json" and not local,
    }


def _json_file(data: dict[str, Any], entries_to: EntriesFeed | None = None) -> StreamedFile:
    """The JSON report of *data*, for whichever exit code it is written with. *entries_to*:
    handed the file entries' text by the first making of the bytes (``json_chunks``), by
    no later one."""
    feeds = [entries_to]

    def chunks(code: int) -> Iterator[bytes]:
        return json_chunks({**data, "exit_code": code}, feeds.pop() if feeds else None)

    return StreamedFile(chunks)


def _refused(
    report: OffloadReport, index: int | None, message: str, exc: OSError, result: ReportsWritten
) -> None:
    """A report a destination (*index*) refused: recorded against it on *report*, and in its
    ``reports_refused`` with the error's errno (whether it puts the copies there in doubt:
    ``report/refusal.py``; the card release reads that, never the message)."""
    result.destination_errors.append(message)
    report.reports_refused.append(refusal_entry(index, message, exc))
    if index is None:  # not known to be a destination's: the exit code still says so
        report.folder_errors.append(message)
    else:
        report.destination_error(index, message, "report")


def _may_hold_reports(root: Path) -> bool:
    """*root* (a destination's copy root) is a folder, or cannot be looked at: a drive gone
    since its copies were verified (ENOTCONN, EIO) gets its report written like the others,
    and the write's error, recorded against it, is what the run reports. Only a root that is
    not there (nothing copied, the dry run) is left out. Never raises."""
    try:
        return root.is_dir()
    except OSError:  # pathlib raises for all but ENOENT, ENOTDIR, EBADF, ELOOP
        return True


def _held_copies(report: OffloadReport, index: int) -> bool:
    """Destination *index* holds a good copy of this run (verified, verified earlier,
    transfer-checked): its copy root was there (``write_reports``: one gone since is
    refused). A failed or cancelled copy proves no root: one never made, or deleted by the
    user, is not a drive pulled (a root its ledger saw go: ``OffloadReport.unreachable``)."""
    return any(
        (result := file.destination(index)) is not None and result.status in _HELD
        for file in report.job.files
    )


_HELD = frozenset(
    {
        DestinationStatus.VERIFIED,
        DestinationStatus.VERIFIED_EARLIER,
        DestinationStatus.TRANSFER_CHECKED,
    }
)


def _taken(path: Path) -> bool:
    """*path* exists; False when it cannot be looked at (the write then says why)."""
    try:
        return path.exists()
    except OSError:
        return False


def _taken_in(folders: list[Path], candidate: str) -> bool:
    """A report named *candidate* (its JSON or CSV) is in one of *folders*."""
    return any(
        _taken(folder / f"{candidate}.json") or _taken(folder / f"{candidate}.csv")
        for folder in folders
    )


def probed_found(card_content: object) -> bool:
    """*card_content* (``card_content.card_content``'s lines) holds a line of a kind only
    the probing finds (``probed_kinds.PROBED_KINDS``): what the JSON reports must keep.
    Loads nothing of the documents (``media_record`` loads ``content`` and ``media``)."""
    from offload.report.probed_kinds import PROBED_KINDS

    return isinstance(card_content, list) and any(
        isinstance(line, dict) and line.get("kind") in PROBED_KINDS for line in card_content
    )


def _unrestated(shown: str, exc: OSError, findings: bool) -> str:
    """The line of the JSON report *shown* not written again (*exc*): with *findings*, it
    is there as first written (atomically replaced or not at all), only without them."""
    if findings:
        return (
            f"the JSON report {shown} is written, but the probing's findings could not be "
            f"added to it ({describe_os_error(exc)}): offload report of it made away from "
            "the media will not show them"
        )
    return f"cannot restate the report {shown}: {describe_os_error(exc)}"


def _restated_at(
    restated: StreamedFile,
    path: Path,
    exit_code: int,
    stopped: bool,
    problems: list[str],
    findings: bool = False,
) -> None:
    """``ReportsWritten.restate`` of the JSON report *path*: written again with *exit_code*
    (a run *stopped*: its HTML and PDF removed), what could not be done added to
    *problems* (``_unrestated``'s words, *findings* as there). A document in a copy root's
    ``.offload/reports`` is removed only where that ``.offload`` is still the folder the
    run's lock held (``state_folder``), never another copy root's reports through a folder
    swapped in for it."""
    from offload.state_folder import check_under, unlink_in

    try:
        restated.write(path, exit_code, replace=True)
    except OSError as exc:
        problems.append(_unrestated(str(path), exc, findings))
    if not stopped:
        return
    try:
        # Checked against the folder the lock held and let go (the reports are written
        # after it is let go): a swapped ``.offload`` is never looked into, one line.
        check_under(path)
    except OSError as exc:
        problems.append(
            f"cannot remove the HTML or PDF reports beside {path}, which state the run "
            f"before it was stopped: {describe_os_error(exc)}"
        )
        return
    for document in (path.with_suffix(".html"), path.with_suffix(".pdf")):
        try:
            unlink_in(document)  # by name in the folder held, if it still is; not there: fine
        except OSError as exc:
            problems.append(
                f"cannot remove {document}, which states the run before it was "
                f"stopped: {describe_os_error(exc)}"
            )


def _free_basename(
    base: str, folders: list[Path], remote: list[RemoteReportFolder] | None = None
) -> str:
    for number in range(1, MAX_REPORT_NUMBER + 1):
        candidate = numbered_name(base, number)
        if not _on_drive(
            "offload-reports",
            functools.partial(_taken_in, folders, candidate),
            tuple(map(str, folders)),
        ) and not any(_remote_has(folder, candidate) for folder in remote or ()):
            return candidate
    raise OSError(f"too many reports named {base}")


def _remote_has(folder: RemoteReportFolder, base: str) -> bool:
    try:
        return folder.exists(f"{base}.json") or folder.exists(f"{base}.csv")
    except OSError:
        return False  # the write that follows says what is wrong with that destination


def _put_pair(
    folder: RemoteReportFolder,
    base: str,
    data: bytes,
    table: bytes,
    published: list[tuple[RemoteReportFolder, str]],
) -> tuple[str, str]:
    """``_write_pair`` on a remote folder: the JSON never over an object (another run's
    report of the same second takes the next name); returns the name and the JSON's shown
    path. The JSON is added to *published* (``ReportsWritten.json_stored``) as soon as it
    is stored, before the CSV's PUT (seconds, for a large card over a WAN): a signal during
    that PUT leaves a JSON the caller counts and restates (exit 130), never one it calls
    missing, and takes nothing back. A CSV refused (OSError) takes its JSON with it, as a
    local folder's does: the folder is refused and no rewrite reaches it; a JSON that
    cannot be taken back then stays in *published* (a later stop restates it; without a
    stop it keeps the first exit code: known gap). Raises OSError."""
    name = base
    for number in range(2, 1000):
        try:
            shown = folder.put(f"{name}.json", data, replace=False)
        except FileExistsError:
            name = numbered_name(base, number)
            continue
        entry = (folder, f"{name}.json")
        published.append(entry)
        try:
            folder.put(f"{name}.csv", table, replace=False)
        except OSError:
            try:
                folder.remove(f"{name}.json")
            except OSError:
                pass  # left in *published*: a stop restates it
            else:
                published.remove(entry)
            raise
        # A stop (a signal's exception) during the CSV's PUT takes nothing back: the JSON
        # stays in *published*, and the stop restates it with its exit code at once; a
        # delete here would wait on the very bucket that stalled (its client's retries and
        # timeouts, minutes), Ctrl-C ignored meanwhile (review of revfix10_61).
        return name, shown
    raise FileExistsError(f"no free report name {base}_N in {folder.name}")


def _document_put(folder: RemoteReportFolder, name: str) -> Callable[[str, bytes], None]:
    """How a document (``.html``, ``.pdf``) is stored beside the remote JSON *name*: never
    over an object. Raises OSError."""

    def put(suffix: str, content: bytes) -> None:
        folder.put(f"{name}{suffix}", content, replace=False)

    return put


def _unpublished(result: ReportsWritten, folder: Path) -> None:
    """Forget the JSON ``_write_pair`` counted in *folder* before it failed (its folder's
    fsync refused): the folder is refused, as before the count moved ahead of that fsync."""
    result.json_written[:] = [path for path in result.json_written if path.parent != folder]


def _write_pair(
    folder: Path,
    base: str,
    data: StreamedFile,
    table: StreamedFile,
    exit_code: int,
    *,
    parents: bool = True,
    in_copy_root: bool = False,
    published: Callable[[Path], object] | None = None,
) -> Path:
    """Write ``base.json`` and ``base.csv`` into *folder* without replacing anything: both
    temporaries written and handed to the kernel's writeback first (the JSON's written back
    while the CSV is made), then each fsynced and renamed without replace, then one fsync
    of the folder for both names; if another run took the JSON's name meanwhile, the next
    free one; a CSV that cannot be written takes its JSON with it (the folder is then
    refused, never rewritten): its JSON is never published, or removed if the CSV's name
    was taken since. *in_copy_root* (a destination's ``.offload/reports``): it and
    ``.offload`` are made if missing, never the copy root above them; else *parents* True
    (the default local report folder): the folders above it too; False (a report folder
    the user named): *folder* is made if missing, never the folders above it
    (``cli.common.local_report_dir``): a drive unmounted since leaves no path rebuilt on
    the disk below; FileNotFoundError then. *published* is called with the JSON's path
    once both names are in place, before the folder's fsync: a signal that interrupts that
    fsync leaves a report the caller has counted (and restates), never one it calls missing.
    Raises OSError."""
    # A new report folder's own name must survive a power cut too, not only the names in it
    # (a FAT or exFAT drive has no journal to carry the mkdir along with a later fsync).
    if in_copy_root:
        # A destination's ``.offload/reports``: never the copy root above it (there since
        # the run's lock; gone, a drive unmounted since, ENOENT here, never made anew on
        # the disk below its mount point). Nor into another copy root's ``.offload`` swapped
        # in for the one this run held (``state_folder``; the lock is let go by now).
        from offload.state_folder import check_under

        check_under(folder)
        make_folder_durable(folder.parent)
        make_folder_durable(folder)
    elif parents:
        make_folders_durable(folder)
    else:
        make_folder_durable(folder)
    name = base
    for number in range(2, 1000):
        json_path = folder / f"{name}.json"
        # Each temporary not published is removed on the way out (AtomicFile).
        with contextlib.ExitStack() as temporaries:
            try:
                first = temporaries.enter_context(AtomicFile(json_path, hasher=_CHECK))
                data.fill(first, json_path, exit_code)
            except FileExistsError:
                name = f"{base}_{number}"
                continue
            second = temporaries.enter_context(AtomicFile(folder / f"{name}.csv", hasher=_CHECK))
            table.fill(second, second.final_path, 0)
            try:
                first.commit(replace=False, sync_folder=False)
            except FileExistsError:  # taken since the name was chosen
                name = f"{base}_{number}"
                continue
            data.committed(first, exit_code)
            try:
                second.commit(replace=False, sync_folder=False)
            except BaseException:
                # The folder is refused, so no end-of-run rewrite reaches it: a JSON left
                # without its CSV would state an exit code and results the run no longer has.
                with contextlib.suppress(OSError):
                    json_path.unlink()
                raise
            else:
                if published is not None:
                    published(json_path)
            finally:
                fsync_dir(folder)  # the names (or the JSON's removal) durable
            table.committed(second, 0)
            return json_path
    raise FileExistsError(f"no free report name {base}_N in {folder}")


_COPY_BLOCK = 1 << 20
# What a report copy is checked with against the first file written: a check that the bytes
# did not change (a sync tool, a user, a drive returning short data), never recorded, so any
# strong-enough non-cryptographic hash does. SHA-512 (the C4 ID, before) of the JSON and CSV
# twice each was ~0.12 s of a 50,000-file run's end (~90 MB at ~700 MB/s); xxh3 is ~50x faster.
_CHECK = xxhash.xxh3_128


class StreamedFile:
    """A report file whose bytes (for a given exit code) are made in pieces by *chunks* and
    streamed into the first file written, then copied from that file into the others: never
    held whole, and built once however many folders get it. A copy is published only if its
    bytes are the ones first written (their ``_CHECK`` digest); a first file that changed or
    cannot be read since is not trusted, the bytes are made again. Bytes asked for whole before any
    file holds them (``content``: a bucket before the local report folder) are kept until a
    file is written from them, so they are built once too. Not thread-safe."""

    def __init__(self, chunks: Callable[[int], Iterable[bytes]]) -> None:
        self._chunks = chunks
        # exit code -> a file of ours holding its bytes, and their ``_CHECK`` digest
        self._written: dict[int, tuple[Path, str]] = {}
        # exit code -> its bytes, built whole by ``content`` while no file held them
        self._held: dict[int, bytes] = {}

    def write(self, path: Path, exit_code: int, *, replace: bool, sync_folder: bool = True) -> None:
        """Write the bytes for *exit_code* to *path* atomically (``AtomicFile``; *sync_folder*
        as its ``commit``). Raises OSError (FileExistsError: *path* exists and not
        *replace*)."""
        with AtomicFile(path, hasher=_CHECK) as handle:
            self.fill(handle, path, exit_code)
            handle.commit(replace=replace, sync_folder=sync_folder)
        self.committed(handle, exit_code)

    def fill(self, handle: AtomicFile, path: Path, exit_code: int) -> None:
        """``write``'s first half: the bytes for *exit_code* written into *handle* (an
        ``AtomicFile`` of *path*, entered, with the ``_CHECK`` hasher) and handed to the
        kernel's writeback, so that its fsync (``commit``) finds them on their way. Raises
        OSError."""
        # A file about to be replaced no longer holds another code's bytes.
        self._written = {code: w for code, w in self._written.items() if w[0] != path}
        known = self._written.get(exit_code)
        held = self._held.get(exit_code)
        if held is not None:
            handle.write_bytes(held)
        elif known is None or not _copy_file(known, handle):
            for piece in self._chunks(exit_code):
                handle.write_bytes(piece)
        handle.start_writeback()

    def committed(self, handle: AtomicFile, exit_code: int) -> None:
        """``write``'s second half, once *handle* (``fill``'s) is committed: its file holds
        the bytes for *exit_code* (``content`` reads them back; no longer held in memory)."""
        assert handle.digest is not None
        self._written.setdefault(exit_code, (handle.final_path, handle.digest))
        self._held.pop(exit_code, None)

    def content(self, exit_code: int) -> bytes:
        """The whole bytes for *exit_code* (for a destination that takes bytes: S3)."""
        held = self._held.get(exit_code)
        if held is not None:
            return held
        known = self._written.get(exit_code)
        if known is not None:
            try:
                data = known[0].read_bytes()
            except OSError:
                pass
            else:
                hasher = _CHECK()
                hasher.update(data)
                if hasher.hexdigest() == known[1]:
                    return data
        data = self._held[exit_code] = b"".join(self._chunks(exit_code))
        return data

    def read_from(self, exit_code: int) -> Path | None:
        """The file of ours ``content`` reads the bytes for *exit_code* back from (None: it
        reads no file: they are held, or made anew)."""
        if exit_code in self._held:
            return None
        known = self._written.get(exit_code)
        return None if known is None else known[0]

    def release(self) -> None:
        """Forget the bytes held whole (once every folder has them)."""
        self._held.clear()


def _content(streamed: StreamedFile, exit_code: int) -> bytes:
    """``streamed.content(exit_code)`` (the bytes a bucket is sent), read back on a worker
    (``_on_drive``) when it reads them from a local report folder: a hung drive holds the
    worker, not the signals, so a stop while that read hangs is heard at once (on the main
    thread, the kernel merged a second Ctrl-C into the pending first one). The put itself
    is the caller's, on the main thread."""
    source = streamed.read_from(exit_code)
    if source is None:
        return streamed.content(exit_code)
    return _on_drive(
        "offload-reports",
        functools.partial(streamed.content, exit_code),
        (str(source.parent),),
    )


def _copy_file(known: tuple[Path, str], handle: AtomicFile) -> bool:
    """Copy the first file written (*known*: its path and ``_CHECK`` digest) into *handle*.
    False, with *handle* emptied, when it cannot be read whole or its bytes are not the ones
    written."""
    source, digest = known
    try:
        with open(source, "rb") as reader:
            while block := reader.read(_COPY_BLOCK):
                handle.write_bytes(block)
    except OSError:
        handle.rewind()
        return False
    if handle.written_digest() != digest:
        handle.rewind()
        return False
    return True
