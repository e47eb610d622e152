"""The job report's file entries, made from the results: ``file_entry`` whole (a dict),
``FileEntryView`` and ``CopyEntryView`` read key by key, ``FileEntries`` a view of each
result made when asked for. The same keys, values and order everywhere (the JSON report's,
docs/json.md).

A module of its own, on the results alone: the report worker (``worker.py``) makes its
documents from the results it is sent, through these views, without loading the job
report's writer (which loads the copy's plan: ~35 ms of imports).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import operator
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, overload

from offload.results import DestinationFileResult, DestinationStatus, FileResult


def iso_date(timestamp: float | None) -> str | None:
    """*timestamp* (seconds since the epoch) as the reports' UTC date, to the second (its
    floor, as ``gmtime``); None for None."""
    if timestamp is None:
        return None
    # gmtime takes a float's floor (its seconds); a run's dates share their seconds (the
    # files verified in the same second, a card's clips recorded in it), so each second is
    # formatted once: twice a file and report file (mtime, verified_at) was ~0.14 s of
    # CPU at 50,000 files for the JSON and again for the CSV.
    return _iso_second(math.floor(timestamp))


@functools.lru_cache(maxsize=4096)
def _iso_second(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))


_VERIFIED = DestinationStatus.VERIFIED


def _destination_entry(d: DestinationFileResult) -> dict[str, Any]:
    # Built up to ~7 times a copy after an offload (the JSON, then each reader of the HTML/PDF
    # view), so kept cheap: an enum's `.value` is a property lookup through the enum's
    # descriptor (~3 a copy, ~0.2 µs each); `_value_` is the member's plain attribute, the
    # same text (these are StrEnums). The same keys, values and order as before.
    status = d.status
    verified_at = d.verified_at
    return {
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
    }


# A copy's entry (``_destination_entry``), key by key, for ``CopyEntryView``.
_COPY_FIELDS: dict[str, Callable[[DestinationFileResult], Any]] = {
    "index": lambda d: d.destination_index,
    "status": lambda d: d.status._value_,
    "action": lambda d: d.action._value_,
    "verified_at": lambda d: None if d.verified_at is None else iso_date(d.verified_at),
    "verified_mode": lambda d: d.verified_mode,
    "final_path": lambda d: d.final_path,
    "error": lambda d: d.error,
    "readback_digests": lambda d: d.digests if d.status is _VERIFIED else {},
    "recorded_digests": lambda d: d.recorded_digests,
    "cache_bypass": lambda d: d.cache_bypass._value_,
    "copy_s": lambda d: round(d.copy_s, 6),
    "verify_s": lambda d: round(d.verify_s, 6),
    "reread": lambda d: d.reread,
}


class CopyEntryView(Mapping[str, Any]):
    """``_destination_entry(copy)`` read key by key, computed when read and never kept: a
    ``FileEntryView``'s ``destinations``. The documents read two to six keys of each copy,
    three times a file; the whole entry (thirteen keys) made each time was ~0.25 s of CPU at
    50,000 files. The same keys and values as the JSON report's."""

    __slots__ = ("_copy",)

    def __init__(self, copy: DestinationFileResult) -> None:
        self._copy = copy

    def __getitem__(self, key: str) -> Any:
        return _COPY_FIELDS[key](self._copy)

    def get(self, key: str, default: Any = None) -> Any:
        if key == "status":  # the key read most (each copy's, three times, by the documents)
            return self._copy.status._value_
        getter = _COPY_FIELDS.get(key)
        return default if getter is None else getter(self._copy)

    def __iter__(self) -> Iterator[str]:
        return iter(_COPY_FIELDS)

    def __len__(self) -> int:
        return len(_COPY_FIELDS)


# A file's entry in the JSON report, key by key (in the report's order): ``file_entry``
# builds it whole, ``FileEntryView`` computes one key when it is read.
_FILE_FIELDS: dict[str, Callable[[FileResult], Any]] = {
    "path": lambda f: f.relative_path,
    "size_bytes": lambda f: f.size_bytes,
    "mtime": lambda f: iso_date(f.mtime_ns / 1e9),
    "mtime_ns": lambda f: f.mtime_ns,
    "digests": lambda f: f.inflight_digests,
    "source_reread_digests": lambda f: f.source_reread_digests,
    "source_cache_bypass": lambda f: f.source_cache_bypass.value,
    "source_error": lambda f: f.source_error,
    "destinations": lambda f: [CopyEntryView(d) for d in f.destinations],
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
            return [CopyEntryView(d) for d in self._file.destinations]
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


# Every field of a result and of its copy, in their order: all of them ``__init__``'s, the
# copies (``destinations``) a result's last.
_FILE_NAMES = tuple(f.name for f in dataclasses.fields(FileResult))
_COPY_NAMES = tuple(f.name for f in dataclasses.fields(DestinationFileResult))
assert _FILE_NAMES[-1] == "destinations"
_file_row = operator.attrgetter(*_FILE_NAMES[:-1])
_copy_row = operator.attrgetter(*_COPY_NAMES)
ResultRow = tuple[tuple[Any, ...], list[tuple[Any, ...]]]


def result_rows(files: Sequence[FileResult]) -> list[ResultRow]:
    """*files* as plain rows (each field's value, in order; its copies' likewise), which
    ``results_of`` makes into the same results again: what the report worker is sent of a
    card of many files. Tuples pickle and unpickle in C; a result pickled as itself is
    rebuilt through a Python ``__setstate__`` a result and a copy, which made the worker,
    not the command, the slower end of the pipe (docs/performance.md, "The 50,000-file
    card's end: the documents by the report worker: twenty-first pass")."""
    copy_row = _copy_row
    return [(_file_row(f), [copy_row(d) for d in f.destinations]) for f in files]


def results_of(rows: Iterable[ResultRow]) -> list[FileResult]:
    """The results ``result_rows`` made *rows* of, field for field."""
    copy = DestinationFileResult
    made = FileResult
    return [made(*row, [copy(*c) for c in copies]) for row, copies in rows]  # type: ignore[call-arg]
