"""Is a saved JSON document one of our reports, in the shape docs/json.md gives it?

The one check of a report read back from a file (``offload history`` lists it, ``offload
report`` draws it): a report whose keys hold the wrong kind of value (a number for
``started``, ``null`` for ``destinations``, text for a size) is named with what is wrong,
never handed on to code that would fail on it with a traceback, and never listed with a
made-up result. What each reader may then rely on: every key required below is there with
its type, every other documented key either missing or of its type, each state one of the
five, each destination index of a file one of the report's destinations. Other keys are
left alone (a newer report may add some).

Each check returns what is wrong in words (``"totals.bytes is 'big', not a whole
number"``), or None for a report of that shape.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

JOB_SCHEMA_PREFIX = "offload-ai/job-report/"
VERIFY_SCHEMA_PREFIX = "offload-ai/verify-report/"

# What a value must be: a check returning None when it is, else where below it and what is
# wrong (`` is "big", not a whole number``, ``[3].status is ...``): the path is made only
# for a problem, never for the values that are fine (a 50,000-file report is ~2M values).
Check = Callable[[Any], str | None]

_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
STATES = frozenset({"verified", "verified_earlier", "transfer_checked", "failed", "cancelled"})


def _shown(value: Any) -> str:
    """*value* as JSON writes it (``null``, ``"big"``), cut short."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(test: Callable[[Any], bool], what: str) -> Check:
    def check(value: Any) -> str | None:
        return None if test(value) else f" is {_shown(value)}, not {what}"

    return check


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


STR = _kind(lambda v: isinstance(v, str), "text")
INT = _kind(_is_int, "a whole number")
COUNT = _kind(lambda v: _is_int(v) and v >= 0, "a count (a whole number, 0 or more)")
# Finite only: json.loads reads NaN and Infinity, which no reader can format or time.
NUM = _kind(lambda v: (_is_int(v) or isinstance(v, float)) and math.isfinite(v), "a finite number")
# Unix seconds a date can be made of (time.gmtime, the documents' dates): year 1970 to 9999.
_LAST_SECOND = 253402300800  # 10000-01-01T00:00:00Z
UNIX_TIME = _kind(
    lambda v: (_is_int(v) or isinstance(v, float)) and 0 <= v < _LAST_SECOND,
    "Unix seconds (0 to the year 9999)",
)
BOOL = _kind(lambda v: isinstance(v, bool), "true or false")
DATE = _kind(
    lambda v: isinstance(v, str) and _DATE.match(v) is not None,
    "a date (YYYY-MM-DDTHH:MM:SS)",
)
STATE = _kind(
    lambda v: isinstance(v, str) and v in STATES, f"a state ({', '.join(sorted(STATES))})"
)


def nullable(check: Check) -> Check:
    def nullable_check(value: Any) -> str | None:
        return None if value is None else check(value)

    return nullable_check


def either(*checks: Check, what: str) -> Check:
    def either_check(value: Any) -> str | None:
        if any(c(value) is None for c in checks):
            return None
        return f" is {_shown(value)}, not {what}"

    return either_check


def list_of(item: Check) -> Check:
    def list_check(value: Any) -> str | None:
        if not isinstance(value, list):
            return f" is {_shown(value)}, not a list"
        for number, element in enumerate(value):
            problem = item(element)
            if problem is not None:
                return f"[{number}]{problem}"
        return None

    return list_check


def map_of(item: Check) -> Check:
    """An object of any keys, each value *item*."""

    def map_check(value: Any) -> str | None:
        if not isinstance(value, dict):
            return f" is {_shown(value)}, not an object"
        for key, element in value.items():
            problem = item(element)
            if problem is not None:
                return f".{key}{problem}"
        return None

    return map_check


class MayLack:
    """A key that may be missing (its value, when there, is *check*)."""

    __slots__ = ("check",)

    def __init__(self, check: Check) -> None:
        self.check = check


def obj(keys: Mapping[str, Check | MayLack]) -> Check:
    """An object with *keys* (a ``MayLack`` one may be missing); other keys are left
    alone."""
    specs = [
        (key, spec.check if isinstance(spec, MayLack) else spec, isinstance(spec, MayLack))
        for key, spec in keys.items()
    ]

    def obj_check(value: Any) -> str | None:
        if not isinstance(value, dict):
            return f" is {_shown(value)}, not an object"
        for key, check, may_lack in specs:
            if key not in value:
                if may_lack:
                    continue
                return f".{key} is missing"
            problem = check(value[key])
            if problem is not None:
                return f".{key}{problem}"
        return None

    return obj_check


def _named(problem: str | None) -> str | None:
    """A problem found from the document's top (``.totals.bytes is ...``) in words
    (``totals.bytes is ...``; ``the document is ...`` for the top itself)."""
    if problem is None:
        return None
    return problem[1:] if problem.startswith(".") else f"the document{problem}"


def _o(check: Check) -> MayLack:
    return MayLack(check)


_TEXT = nullable(STR)
_DIGESTS = nullable(map_of(STR))
# What an S3 destination may have left of the run's in the bucket (report/left_behind.py).
_LEFT_BEHIND = _o(
    obj(
        {
            "count": COUNT,
            "all_listed": BOOL,
            "objects": list_of(
                obj(
                    {
                        "destination_index": _o(INT),
                        "url": STR,
                        "bucket": STR,
                        "key": STR,
                        "version_id": _TEXT,
                        "reason": STR,
                        "refused": BOOL,
                        "upload_id": _o(_TEXT),
                        "may_be_stored": _o(BOOL),
                        "check": _o(_TEXT),
                        "remove": STR,
                    }
                )
            ),
        }
    )
)
# A step the destination refused after its copies (a report, a folder's time), by errno.
_STEP_REFUSALS = _o(
    list_of(
        obj(
            {
                "index": nullable(INT),
                "errno": _o(_TEXT),
                "copies_in_doubt": BOOL,
                "message": STR,
            }
        )
    )
)

_COPY = obj(
    {
        "index": INT,
        "status": STATE,
        "action": _o(_TEXT),
        "verified_at": _o(nullable(either(DATE, UNIX_TIME, what="a date or Unix seconds"))),
        "verified_mode": _o(_TEXT),
        "final_path": _o(_TEXT),
        "error": _o(_TEXT),
        "readback_digests": _o(_DIGESTS),
        "recorded_digests": _o(_DIGESTS),
        "cache_bypass": _o(_TEXT),
        "copy_s": _o(nullable(NUM)),
        "verify_s": _o(nullable(NUM)),
        "reread": _o(nullable(BOOL)),
        "refusal": _o(nullable(STR)),
        "fast_failure": _o(nullable(STR)),
        "size_checked_only": _o(BOOL),
    }
)

_FILE = obj(
    {
        "path": STR,
        "size_bytes": COUNT,
        "mtime": _o(_TEXT),
        "mtime_ns": _o(nullable(INT)),
        "digests": _o(_DIGESTS),
        "source_reread_digests": _o(_DIGESTS),
        "source_cache_bypass": _o(_TEXT),
        "source_error": _o(_TEXT),
        "destinations": list_of(_COPY),
    }
)

_VOLUME = {
    "volume_label": _o(_TEXT),
    "volume_label_from": _o(_TEXT),
    "device": _o(_TEXT),
    "disk": _o(_TEXT),
    "filesystem": _o(_TEXT),
    "backing_filesystem": _o(_TEXT),
    "mount_point": _o(_TEXT),
    "total_bytes": _o(nullable(COUNT)),
}

_DESTINATION = obj(
    {
        "index": INT,
        "path": STR,
        "copy_root": _o(_TEXT),
        "endpoint": _o(_TEXT),
        "lost": _o(nullable(BOOL)),
        "size_checked_only": _o(BOOL),
        "lost_reason": _o(_TEXT),
        "lost_at": _o(nullable(DATE)),
        "unreachable": _o(_TEXT),
        "result": _o(_TEXT),
        **{
            key: _o(nullable(COUNT))
            for key in (
                "files_verified",
                "files_verified_earlier",
                "files_transfer_checked",
                "files_failed",
                "files_cancelled",
                "symlinks_failed",
                "bytes_written",
                "bytes_resumed",
                "files_resumed",
            )
        },
        "copy_s": _o(nullable(NUM)),
        "verify_s": _o(nullable(NUM)),
        "verify_before_s": _o(nullable(NUM)),
        "span_s": _o(nullable(NUM)),
        "throughput_mb_s": _o(nullable(NUM)),
        # "card", or the fast copies that fed a cascaded destination (``job_report``).
        "fed_from": _o(
            either(
                STR,
                list_of(obj({"copy_root": STR, "files": COUNT})),
                what='"card" or a list of {copy_root, files}',
            )
        ),
        **_VOLUME,
        "free_bytes_after": _o(nullable(COUNT)),
    }
)

_JOB_REPORT = obj(
    {
        "schema": STR,
        "tool": _o(nullable(map_of(_TEXT))),
        "hostname": _o(_TEXT),
        "login_name": _o(_TEXT),
        "source": STR,
        "card": _o(nullable(map_of(_TEXT))),
        "production": _o(nullable(map_of(_TEXT))),
        "started": DATE,
        "started_unix": _o(NUM),
        "time_zone": _o(nullable(obj({"name": STR, "utc_offset_s": INT}))),
        "run": _o(nullable(STR)),
        "finished": _o(nullable(DATE)),
        "elapsed_s": _o(nullable(NUM)),
        "verify": _o(_TEXT),
        "algorithms": _o(list_of(STR)),
        "cancelled": BOOL,
        "exit_code": INT,
        "totals": obj(
            {
                "files": COUNT,
                "bytes": COUNT,
                "folders": _o(nullable(COUNT)),
                "symlinks": _o(nullable(COUNT)),
                "ignored": _o(nullable(COUNT)),
                "results": _o(map_of(COUNT)),
            }
        ),
        "destinations": list_of(_DESTINATION),
        "files": list_of(_FILE),
        "symlinks": _o(
            list_of(
                obj(
                    {
                        "destination_index": _o(INT),
                        "relative_path": _o(STR),
                        "target": _o(_TEXT),
                        "status": _o(_TEXT),
                        "error": _o(_TEXT),
                        "manifest": _o(_TEXT),
                        "manifest_note": _o(_TEXT),
                    }
                )
            )
        ),
        "ignored": _o(list_of(obj({"path": STR, "reason": _o(_TEXT), "kind": _o(STR)}))),
        "missing_from_card": _o(list_of(STR)),
        "missing_from_legacy_mhl": _o(list_of(obj({"path": STR, "mhl": STR}))),
        "card_history_untrusted": _o(_TEXT),
        "card_gone": _o(_TEXT),
        # The card's content not whole, as its documents found it (report/card_content.py);
        # its files' records are read by ``media_record``, which passes over any it cannot.
        "card_content": _o(nullable(list_of(obj({"kind": STR, "count": COUNT, "message": STR})))),
        "warnings": _o(list_of(obj({"code": _o(_TEXT), "path": _o(_TEXT), "message": _o(_TEXT)}))),
        "folder_errors": _o(list_of(STR)),
        "reports_refused": _STEP_REFUSALS,
        "folder_times_unset": _STEP_REFUSALS,
        "notes": _o(list_of(STR)),
        "left_behind": _LEFT_BEHIND,
        "removed_stray_partials": _o(nullable(COUNT)),
        "removed_unfinished": _o(
            obj(
                {
                    kind: _o(COUNT)
                    for kind in (
                        "partial_copies",
                        "uploads",
                        "staging_objects",
                        "manifest_files",
                        "ledger_files",
                        "report_files",
                    )
                }
            )
        ),
        "devices": _o(
            list_of(
                obj(
                    {
                        "device": STR,
                        "destinations": _o(list_of(INT)),
                        "kind": STR,
                        "rotational": _o(nullable(BOOL)),
                        "transport": _o(_TEXT),
                        "model": _o(_TEXT),
                        "layers": _o(list_of(STR)),
                        "source_on_device": _o(nullable(BOOL)),
                        "backing_filesystem": _o(_TEXT),
                        "read_backs": STR,
                        "reason": STR,
                        "summary": _o(_TEXT),
                    }
                )
            )
        ),
        "card_release": _o(
            nullable(
                obj(
                    {
                        "may_format": _o(BOOL),
                        "text": _o(_TEXT),
                        "index_files_changed": _o(list_of(STR)),
                        "files_verified_earlier_only": _o(COUNT),
                        "source_is_copy": _o(BOOL),
                        "source_verified": _o(BOOL),
                    }
                )
            )
        ),
        "cascade": _o(
            nullable(
                obj(
                    {
                        "destinations": _o(list_of(INT)),
                        "card_pass_ended_at": _o(nullable(DATE)),
                        "card_released_at": _o(nullable(DATE)),
                        "card_pass_failed": _o(nullable(COUNT)),
                        "card_released_after_reread": _o(BOOL),
                        "files_verified_earlier_unproven": _o(COUNT),
                        "fast_copies_reread": _o(list_of(INT)),
                        "fast_copies_on_card_disk": _o(list_of(INT)),
                        "card_kept_by_its_disk": _o(BOOL),
                        "card_disk_unknown": _o(BOOL),
                        "fast_copies_unrecorded": _o(list_of(INT)),
                    }
                )
            )
        ),
        "source_volume": _o(nullable(obj({**_VOLUME, "free_bytes": _o(nullable(COUNT))}))),
    }
)

_VERIFY_REPORT = obj(
    {
        "schema": STR,
        "path": STR,
        "reference": _o(_TEXT),
        "started": DATE,
        "started_unix": _o(NUM),
        "finished": _o(nullable(DATE)),
        "exit_code": INT,
        "passed": _o(BOOL),
        "stopped_after_check": _o(BOOL),
        "error": _o(_TEXT),
        "totals": obj(
            {
                key: COUNT if key in ("verified", "changed", "missing") else _o(COUNT)
                for key in (
                    "verified",
                    "changed",
                    "missing",
                    "extra",
                    "unreadable",
                    "unverifiable",
                    "from_a_root",
                    "dangling",
                    "outside",
                    "leftovers",
                    "bytes_read",
                )
            }
        ),
        "left_behind": _LEFT_BEHIND,
    }
)


def report_schema(data: Any) -> str | None:
    """The ``schema`` a JSON document names, or None when it names none."""
    schema = data.get("schema") if isinstance(data, dict) else None
    return schema if isinstance(schema, str) else None


def is_job_report(data: Any) -> bool:
    """Whether *data* says it is a job report (not whether it is a valid one)."""
    return (report_schema(data) or "").startswith(JOB_SCHEMA_PREFIX)


def is_verify_report(data: Any) -> bool:
    """Whether *data* says it is an ``offload verify`` report (not whether it is valid)."""
    return (report_schema(data) or "").startswith(VERIFY_SCHEMA_PREFIX)


def job_report_problem(data: Any) -> str | None:
    """What is wrong with *data* as a job report (``offload-ai/job-report/*``), or None."""
    if not is_job_report(data):
        return f"its schema is {_shown(report_schema(data))}, not {JOB_SCHEMA_PREFIX}*"
    problem = _named(_JOB_REPORT(data))
    if problem is not None:
        return problem
    # Each copy and link names a destination of the report (readers look it up by index).
    indexes = [d["index"] for d in data["destinations"]]
    if len(set(indexes)) != len(indexes):
        return f"destinations has the index {_first_repeated(indexes)} twice"
    known = set(indexes)
    for number, file in enumerate(data["files"]):
        for place, copy in enumerate(file["destinations"]):
            if copy["index"] not in known:
                return (
                    f"files[{number}].destinations[{place}].index is {copy['index']}, "
                    "not one of the report's destinations"
                )
    for number, link in enumerate(data.get("symlinks") or []):
        index = link.get("destination_index")
        if index is not None and index not in known:
            return (
                f"symlinks[{number}].destination_index is {index}, "
                "not one of the report's destinations"
            )
    return None


def verify_report_problem(data: Any) -> str | None:
    """What is wrong with *data* as a verify report (``offload-ai/verify-report/*``), or
    None."""
    if not is_verify_report(data):
        return f"its schema is {_shown(report_schema(data))}, not {VERIFY_SCHEMA_PREFIX}*"
    return _named(_VERIFY_REPORT(data))


def _first_repeated(values: list[int]) -> int:
    seen: set[int] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    raise ValueError("no value is repeated")
