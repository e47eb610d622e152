"""The JSON text of the job report's file entries, written out from the results.

    entries_text(files) == json.dumps([file_entry(f) for f in files], ensure_ascii=False)[1:-1]

byte for byte (``job_report.file_entry``: the same keys in the same order, the same values;
a test holds the two equal on hypothesis-made results and on the tricky report's golden
bytes). Why: at 50,000 files building each entry's dicts (a file's and each copy's, ~20
keys) and then encoding them was the largest piece of the command's end of run (py-spy:
the JSON entries before the CSV, the documents' view and the manifests); here each entry is
one f-string of the results' fields.

Each value is written as ``json.dumps`` writes it: a string by the very C function it uses
(``json.encoder.encode_basestring``: ``ensure_ascii=False``, so a lone surrogate stays as it
is and ``json_text`` escapes it afterwards, as before), an ``int`` by its ``repr``, a
finite ``float`` by its ``repr``, ``None``/``True``/``False`` as ``null``/``true``/``false``.
Anything else (a value of another type than the results declare, an infinite or NaN time,
a digest that is not text) sends that whole entry through ``json.dumps`` of
``file_entry``: never a different text, at worst the old speed. One difference, outside
what the results declare: a plain string where an enum member is declared (``status``) is
written as that member's text, where ``file_entry`` (which reads ``_value_``) raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from json.encoder import encode_basestring as _string

from offload.json_text import STRICT
from offload.remedies import Refusal
from offload.report.dates import iso_date
from offload.report.job_report import file_entry
from offload.results import (
    NO_DIGESTS,
    CacheBypass,
    CopyAction,
    DestinationFileResult,
    DestinationStatus,
    FastCopyFailure,
    FileResult,
)

_VERIFIED = DestinationStatus.VERIFIED
# Each member's JSON text (a StrEnum hashes and compares as its text, so a plain string
# equal to one is found too: the module doc's one difference).
_ENUMS: dict[object, str] = {
    member: _string(member._value_)
    for kind in (DestinationStatus, CopyAction, CacheBypass, Refusal, FastCopyFailure)
    for member in kind
}
_ENUMS[None] = "null"  # (a copy not refused: its ``refusal``; its ``fast_failure``)


def entries_text(files: Iterable[FileResult]) -> str:
    """The entries of *files* as the JSON report's ``files`` list holds them, without the
    brackets (module doc)."""
    return ", ".join([_entry(file) for file in files])


def _entry(file: FileResult) -> str:
    """One file's entry; ``json.dumps`` of ``file_entry`` for what is not written out."""
    try:
        size, mtime_ns = file.size_bytes, file.mtime_ns
        if type(size) is not int or type(mtime_ns) is not int:
            raise TypeError  # a bool or a float is written otherwise by json
        copies = ", ".join([_copy(d) for d in file.destinations])
        error, reread = file.source_error, file.source_reread_digests
        return (
            f'{{"path": {_string(file.relative_path)}, "size_bytes": {size}, '
            f'"mtime": "{iso_date(mtime_ns / 1e9)}", "mtime_ns": {mtime_ns}, '
            f'"digests": {_digests(file.inflight_digests)}, '
            f'"source_reread_digests": {"{}" if reread is NO_DIGESTS else _digests(reread)}, '
            f'"source_cache_bypass": {_ENUMS[file.source_cache_bypass]}, '
            f'"source_error": {"null" if error is None else _string(error)}, '
            f'"destinations": [{copies}]}}'
        )
    except (TypeError, ValueError, AttributeError, KeyError):
        return STRICT.encode(file_entry(file))  # standard JSON: a NaN raises


def _copy(d: DestinationFileResult) -> str:
    """One copy's entry (``job_report._destination_entry``). Raises TypeError or
    ValueError for a value not written out here (the caller encodes the entry with json)."""
    index, status, verified_at = d.destination_index, d.status, d.verified_at
    mode, error, reread, recorded = d.verified_mode, d.error, d.reread, d.recorded_digests
    sized = d.size_checked_only
    if type(index) is not int or type(reread) is not bool or type(sized) is not bool:
        raise TypeError
    return (
        f'{{"index": {index}, "status": {_ENUMS[status]}, "action": {_ENUMS[d.action]}, '
        f'"verified_at": {"null" if verified_at is None else _quoted_date(verified_at)}, '
        f'"verified_mode": {"null" if mode is None else _string(mode)}, '
        f'"final_path": {_string(d.final_path)}, '
        f'"error": {"null" if error is None else _string(error)}, '
        f'"readback_digests": {_digests(d.digests) if status is _VERIFIED else "{}"}, '
        f'"recorded_digests": {"{}" if recorded is NO_DIGESTS else _digests(recorded)}, '
        f'"cache_bypass": {_ENUMS[d.cache_bypass]}, '
        f'"copy_s": {_seconds(d.copy_s)}, "verify_s": {_seconds(d.verify_s)}, '
        f'"reread": {"true" if reread else "false"}, "refusal": {_ENUMS[d.refusal]}, '
        f'"fast_failure": {_ENUMS[d.fast_failure]}{_SIZE_CHECKED_END if sized else "}"}'
    )


# A copy's last key where true, only then (``job_report._destination_entry``).
_SIZE_CHECKED_END = ', "size_checked_only": true}'


def _quoted_date(timestamp: float) -> str:
    # iso_date's text is digits, "-", ":", "T" and "Z": nothing json escapes.
    return f'"{iso_date(timestamp)}"'


def _seconds(value: float) -> str:
    """``round(value, 6)`` as json writes it; ValueError for what it writes otherwise."""
    if type(value) is float and value - value == 0.0:  # finite (inf - inf, nan: nan)
        # A zero (every verify_s in transfer mode) is its own rounding: its sign kept.
        return repr(round(value, 6)) if value else repr(value)
    rounded: object = round(value, 6)  # an int for an int (or a bool)
    kind = type(rounded)
    if kind is int:
        return repr(rounded)
    text = repr(rounded)
    if kind is not float or text[-1] in "nf":  # nan, inf, -inf: json says NaN, Infinity
        raise ValueError(text)
    return text


def _digests(digests: object) -> str:
    """A dict of digests as json writes it (text keys and values; TypeError otherwise)."""
    if not isinstance(digests, dict):
        raise TypeError  # json writes it otherwise, or refuses it: let json say which
    if len(digests) == 1:  # one algorithm (the default): no list made and joined (~0.5 µs)
        for key, value in digests.items():
            return f"{{{_string(key)}: {_string(value)}}}"
    if not digests:
        return "{}"
    return "{" + ", ".join([f"{_string(k)}: {_string(v)}" for k, v in digests.items()]) + "}"
