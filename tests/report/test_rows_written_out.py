"""The JSON report's file entries and the CSV's rows, written out from the results
(``entries_json``, ``job_report._csv_pieces``), are the bytes ``json.dumps`` of
``file_entry`` (standard JSON: ``allow_nan=False``) and the csv module made before: on any
text (quotes, commas, backslashes, control characters, line and paragraph separators, lone
surrogates of names that are not UTF-8, characters outside the BMP), any number (floats that
round to ints, huge, tiny, negative zero; NaN and the infinities raise ValueError, as that
json.dumps does, never written as ``NaN``) and values of other types than the results declare
(those take json's path)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from offload.report.entries_json import entries_text
from offload.report.job_report import file_entry
from offload.results import (
    NO_DIGESTS,
    CacheBypass,
    CopyAction,
    DestinationFileResult,
    DestinationStatus,
    FileResult,
)

# Any text a name or a message can hold, the characters json treats apart weighted in.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(['"', "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "\u2028", "\u2029"]),
        st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF),  # surrogateescape bytes
        st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF),
    ),
    max_size=12,
)
SECONDS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=1e4),
    st.sampled_from([0.0, -0.0, 1e-7, 4.9999995e-7, 0.1234567, 1 / 3, 1e16, 123456789.123456789]),
    st.integers(min_value=-(10**20), max_value=10**20),
)
DATES = st.one_of(st.none(), st.floats(min_value=-1e10, max_value=4e10), st.integers(0, 2**32))
DIGESTS = st.one_of(
    st.just(NO_DIGESTS),
    st.dictionaries(TEXT, TEXT, max_size=3),
    st.dictionaries(
        st.sampled_from(["xxh64", "md5", "c4"]), st.text("0123456789abcdef"), max_size=3
    ),
)
# What the results never hold by their types, but json would still write (its path).
ODD_DIGESTS = st.dictionaries(
    st.one_of(st.integers(), TEXT), st.one_of(st.integers(), TEXT), max_size=2
)
OPTIONAL_TEXT = st.one_of(st.none(), TEXT)


@st.composite
def copies(draw: st.DrawFn, index: int) -> DestinationFileResult:
    copy = DestinationFileResult(
        draw(st.sampled_from([index, index, True])),
        draw(TEXT),
        draw(st.sampled_from(list(DestinationStatus))),
    )
    copy.error = draw(OPTIONAL_TEXT)
    copy.digests = draw(st.one_of(DIGESTS, ODD_DIGESTS))
    copy.recorded_digests = draw(DIGESTS)
    copy.cache_bypass = draw(st.sampled_from(list(CacheBypass)))
    odd_copy: Any = copy  # values of other types than declared: json's path
    odd_copy.reread = draw(st.one_of(st.booleans(), st.just(1)))
    copy.copy_s = draw(SECONDS)
    copy.verify_s = draw(SECONDS)
    copy.verified_at = draw(DATES)
    copy.verified_mode = draw(OPTIONAL_TEXT)
    copy.action = draw(st.sampled_from(list(CopyAction)))
    copy.size_checked_only = draw(st.booleans())  # its key written only where true
    return copy


@st.composite
def results(draw: st.DrawFn) -> FileResult:
    file = FileResult(draw(TEXT), 0, draw(st.integers(-(10**18), 2 * 10**18)))
    odd_file: Any = file  # True and 3.0: json's path
    odd_file.size_bytes = draw(st.one_of(st.integers(0, 2**63), st.just(True), st.just(3.0)))
    file.inflight_digests = draw(DIGESTS)
    file.source_reread_digests = draw(st.one_of(DIGESTS, ODD_DIGESTS))
    file.source_error = draw(OPTIONAL_TEXT)
    file.source_cache_bypass = draw(st.sampled_from(list(CacheBypass)))
    file.destinations = [draw(copies(i)) for i in range(draw(st.integers(0, 3)))]
    return file


def _json(files: list[FileResult]) -> str:
    return json.dumps([file_entry(f) for f in files], ensure_ascii=False, allow_nan=False)[1:-1]


def _same_as_json(files: list[FileResult]) -> bool:
    """``entries_text(files)`` is ``_json(files)``, or both raise ValueError (a float that
    is not finite: not JSON)."""
    try:
        expected = _json(files)
    except ValueError:
        try:
            entries_text(files)
        except ValueError:
            return True
        return False
    return entries_text(files) == expected


@settings(max_examples=400, deadline=None)
@given(st.lists(results(), max_size=4))
def test_entries_are_json_dumps_of_file_entry(files: list[FileResult]) -> None:
    assert _same_as_json(files)


def test_the_values_json_writes_apart_are_written_as_json_does() -> None:
    """The cases that take json's path (or must not), each met for sure."""
    file = FileResult('a"b\\c\nd\u2028\udcff\U0001f600', 7, 1_700_000_000_123_456_789)
    file.inflight_digests = {"xxh64": "00ff"}
    odd: list[dict[str, Any]] = [
        {"copy_s": math.nan},
        {"copy_s": math.inf},
        {"verify_s": -math.inf},
        {"copy_s": 12},
        {"copy_s": -0.0},
        {"verify_s": 1e16},
        {"copy_s": 4.9999995e-7},
        {"reread": 1},
        {"digests": {1: "x"}},
        {"recorded_digests": {"md5": 5}},
        {"error": "é\t\x7f", "verified_mode": "full", "verified_at": 1.5},
    ]
    for changes in odd:
        copy = DestinationFileResult(0, "/d/x", DestinationStatus.VERIFIED)
        for name, value in changes.items():
            setattr(copy, name, value)
        file.destinations = [copy, DestinationFileResult(1, "/e/x", DestinationStatus.FAILED)]
        assert _same_as_json([file]), changes
    odd_file: Any = file
    odd_file.size_bytes = True
    assert entries_text([file]) == _json([file])
    assert entries_text([]) == ""


def test_a_copy_says_size_checked_only_where_true_alone() -> None:
    """A copy's ``size_checked_only``: its key only where true, in the JSON's text, its
    entry and the documents' view of it, the same keys. (Before: false on every copy.)"""
    from offload.report.job_report import CopyEntryView

    file = FileResult("CLIPS/a.mov", 7, 1_700_000_000_000_000_000)
    sized = DestinationFileResult(1, "s3://b/a.mov", DestinationStatus.TRANSFER_CHECKED)
    sized.size_checked_only = True
    file.destinations = [DestinationFileResult(0, "/d/a.mov", DestinationStatus.VERIFIED), sized]
    (entry,) = json.loads(f"[{entries_text([file])}]")
    assert [d.get("size_checked_only") for d in entry["destinations"]] == [None, True]
    assert entry == file_entry(file)
    views = [CopyEntryView(d) for d in file.destinations]
    assert [dict(view) for view in views] == entry["destinations"]
    assert [view.get("size_checked_only") for view in views] == [None, True]
    assert [len(view) for view in views] == [len(d) for d in entry["destinations"]]


# The CSV's rows as the csv module wrote them before they were written out (2026-12-02): the
# reference the rows written out must equal, on any results.
def _csv_rows_before(report: Any, fed: Any = None) -> str:
    """*fed*: a copy's ``fed_from`` cell's text, (file, copy) -> text; None: no cascade."""
    import csv
    import io

    from offload.report.csv_cells import cell
    from offload.report.dates import iso_date
    from offload.report.job_report import CSV_COLUMNS, PRODUCTION_FIELDS

    def digests_text(digests: dict[str, str]) -> str:
        return " ".join(f"{k}:{v}" for k, v in digests.items()) if digests else ""

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    roots = {d.index: cell(d.root) for d in report.job.destinations}
    production = [cell(report.production.get(key) or "") for key in PRODUCTION_FIELDS]
    for file in report.job.files:
        for dest in file.destinations:
            status = dest.status
            writer.writerow(
                [
                    cell(file.relative_path),
                    file.size_bytes,
                    iso_date(file.mtime_ns / 1e9),
                    file.mtime_ns,
                    dest.destination_index,
                    roots.get(dest.destination_index, ""),
                    status.value,
                    dest.action.value,
                    "" if dest.verified_at is None else iso_date(dest.verified_at),
                    dest.verified_mode or "",
                    cell(dest.final_path),
                    cell(dest.error or ""),
                    digests_text(file.inflight_digests),
                    digests_text(dest.digests) if status is DestinationStatus.VERIFIED else "",
                    digests_text(dest.recorded_digests),
                    dest.cache_bypass.value,
                    cell(file.source_error or ""),
                    *production,
                    "",  # not_in_manifest: these reports have no manifests
                    "" if fed is None else cell(fed(file, dest)),
                    "true" if dest.size_checked_only else "",  # (added 2026-12-07)
                ]
            )
    return out.getvalue()


class _Destination:
    def __init__(self, index: int, root: str) -> None:
        self.index, self.root = index, root


class _Job:
    def __init__(self, files: list[FileResult], roots: list[str]) -> None:
        self.files = files
        self.destinations = [_Destination(i, r) for i, r in enumerate(roots)]


class _Plan:
    def __init__(self, root: str) -> None:
        self.root = root


class _Report:
    def __init__(self, files: list[FileResult], roots: list[str], production: dict[str, str]):
        self.job = _Job(files, roots)
        self.production = production
        self.warnings: list[object] = []  # no card-absent: the source is the card
        self.cascade: tuple[int, ...] = ()  # no cascade: no copy fed from a fast copy
        self.cascade_feeder: dict[tuple[str, int], int] = {}
        self.plans = [_Plan(root) for root in roots]

    def not_in_manifest(self) -> dict[int, dict[str, str]]:
        return {}

    def size_checked_only(self) -> frozenset[int]:
        return frozenset()  # no warning: no destination's service said size-only


def _valid(file: FileResult) -> bool:
    """What the CSV can be asked to write: a size that is a number, digests of text."""
    texts = [file.inflight_digests, *(d.digests for d in file.destinations)]
    return type(file.size_bytes) is int and all(
        all(isinstance(k, str) and isinstance(v, str) for k, v in t.items()) for t in texts
    )


# Text a CSV quotes or escapes, and what a digest or a mode can hold that cell() never sees.
CSV_TEXT = st.text(alphabet=st.sampled_from(list(",\"\r\n \t\\=+-@'aé\x85\udcff")), max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(results(), max_size=4),
    st.lists(st.one_of(TEXT, CSV_TEXT), max_size=4),
    st.dictionaries(st.sampled_from(["production", "camera", "reel"]), st.one_of(TEXT, CSV_TEXT)),
    CSV_TEXT,
)
def test_csv_rows_are_the_csv_writers(
    files: list[FileResult], roots: list[str], production: dict[str, str], mode: str
) -> None:
    from offload.report.job_report import csv_text

    files = [f for f in files if _valid(f)]
    for file in files:
        for copy in file.destinations:
            copy.verified_mode = mode or None
    report: Any = _Report(files, roots, production)
    assert csv_text(report) == _csv_rows_before(report)


@given(st.one_of(TEXT, CSV_TEXT))
def test_a_csv_field_is_the_csv_writers(text: str) -> None:
    import csv
    import io

    from offload.report.job_report import _field

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(["a", text, "b"])
    assert f"a,{_field(text)},b\n" == out.getvalue()


@settings(max_examples=200, deadline=None)
@given(st.lists(results(), max_size=4), st.one_of(TEXT, CSV_TEXT), st.booleans())
def test_csv_fed_from_cells_are_the_csv_writers(
    files: list[FileResult], fast: str, every: bool
) -> None:
    """A cascade (destination 1 fed from destination 0's copies): the ``fed_from`` cell of a
    copy the fast copy root fed, which holds a comma, a quote and a line end, is the csv
    writer's; "" for a copy trusted from a ledger and for a file it did not feed. Before,
    the rows were compared only with ``fed_from`` empty (review LOW)."""
    from offload.report.job_report import csv_text

    files = [f for f in files if _valid(f)]
    report: Any = _Report(files, [f'RAID, "A"\n{fast}', "SHUTTLE"], {})
    report.cascade = (1,)
    fed_files = files if every else files[::2]
    report.cascade_feeder = {(f.relative_path, 1): 0 for f in fed_files}
    fed_paths = {f.relative_path for f in fed_files}

    def fed(file: FileResult, dest: DestinationFileResult) -> str:
        if dest.destination_index != 1 or dest.action is CopyAction.TRUSTED:
            return ""
        return report.plans[0].root if file.relative_path in fed_paths else ""

    assert csv_text(report) == _csv_rows_before(report, fed)
