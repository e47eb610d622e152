"""``ledger.fold_lines`` reads a line of the shape every version writes in one pass of plain
checks, and any other through its rule check by check (``_checked_entry``: ``entry_of``,
``names_files``, ``_in_range``, ``_revocation_of``): the fast pass must decide no line
differently. Each line here is a real line (``entry_line``) with one key changed, dropped
or added, or its end changed; the fold of it must be what the rule makes of it, the same
entry with values of the same types, or none."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from offload.ledger import (
    TRANSFER_SIZE_ONLY,
    LedgerEntry,
    _checked_entry,
    entry_fields,
    entry_line,
    fold_lines,
    verified_entry,
)

_VERIFIED = verified_entry(
    "DCIM/100CANON/IMG_0001.CR3",
    size_bytes=25_000_000,
    mtime_ns=1_700_000_000_123_456_789,
    digests={"xxh128": "0f" * 16, "md5": "a1" * 16},
    partial_name=".offload-partial.ab12cd1.IMG_0001.CR3",
    final_name="IMG_0001.CR3",
    verify="full",
    cache_bypass="none",
    recorded_at=1_765_000_000.25,
    card="uuid:1234-ABCD|EOS_DIGITAL|/",
    fingerprint="9e" * 32,
    identity=(4242, 1_765_000_000_000_000_001),
)
# A copy on S3 its transfer check vouches for: an ETag, and what that check proved.
_S3_CHECKED = replace(
    verified_entry(
        "CLIPS/A001C002.mov",
        size_bytes=9_000_000,
        mtime_ns=1_700_000_000_000_000_000,
        digests={"xxh128": "3c" * 16},
        partial_name="",
        final_name="A001C002.mov",
        verify="transfer",
        recorded_at=1_765_000_002,
    ),
    etag='"5d41402abc4b2a76b9719d911017c592"',
    transfer_check=TRANSFER_SIZE_ONLY,
)
_REVOKED = LedgerEntry("DCIM/100CANON/IMG_0001.CR3", "revoked", recorded_at=1_765_000_001.5)
_REVOKED_WITH_RECORD = replace(
    _REVOKED, revoked_copy=dict(entry_fields(_VERIFIED)), revoked_by="offload"
)

# Values a damaged or hand-edited line may hold in place of any key's.
_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    7,
    1.5,
    1e300,
    -1e18,
    float("nan"),
    float("inf"),
    "",
    "x",
    "IMG_0002.CR3",
    "CLIPS/Café.mov",
    "a\0b",
    "\ud800",
    "a\udcff",
    "../x",
    "a/../b",
    "a/./b",
    "/etc/passwd",
    "a//b",
    "a/",
    ".",
    "..",
    ".hidden",
    "d/.hidden",
    "revoked",
    "verified",
    "transfer_checked",
    [],
    ["x"],
    {},
    {"xxh64": "ab"},
    {"xxh64": 1},
    {"xxh64": "a\0b"},
]


def _lines_of(fields: dict[str, Any]) -> list[str]:
    """The line of *fields* as ``json`` writes it, escaped (``\\u0000``) and not, with each
    end a line may have."""
    lines = []
    for ascii_only in (True, False):
        text = json.dumps(fields, ensure_ascii=ascii_only)
        lines += [text, text + "\n", text + " \n", text + "\x0b\n", " " + text + "\n", text + "x"]
    return lines


def _variants() -> list[str]:
    lines = []
    for entry in (_VERIFIED, _S3_CHECKED, _REVOKED, _REVOKED_WITH_RECORD):
        fields = dict(entry_fields(entry))
        lines += [entry_line(entry), entry_line(entry) + "\n"]
        lines += _lines_of(fields)
        for key in [*fields, "later_key"]:
            lines += _lines_of({k: v for k, v in fields.items() if k != key})
            for value in _VALUES:
                lines += _lines_of({**fields, key: value})
    return lines


def _as_read(entry: LedgerEntry | None) -> list[tuple[str, type, str]] | None:
    """*entry*'s fields with their types (``1 == 1.0 == True``), or None."""
    if entry is None:
        return None
    return [(k, type(v), repr(v)) for k, v in vars(entry).items()]


def _read(line: str) -> tuple[list[tuple[str, type, str]] | None, ...]:
    """How ``fold_lines`` reads *line*, and how its rule does."""
    folded = list(fold_lines([line]).latest.values())
    assert len(folded) <= 1
    return _as_read(folded[0] if folded else None), _as_read(_checked_entry(line))


def test_the_fast_pass_reads_every_line_as_the_rule_does() -> None:
    """(~17,000 lines: one test, the lines read differently listed.)"""
    lines = _variants()
    differ = [line for line in lines if len(set(map(repr, _read(line)))) != 1]
    assert not differ, differ[:5]
    # Both kinds are there: lines read as entries (the fast pass's) and lines skipped.
    assert {_read(line)[1] is None for line in lines} == {True, False}


@given(st.text(max_size=30), st.text(max_size=12), st.text(max_size=12))
def test_any_names_are_read_as_the_rule_reads_them(path: str, final: str, partial: str) -> None:
    fields = {
        **entry_fields(_VERIFIED),
        "relative_path": path,
        "final_name": final,
        "partial_name": partial,
    }
    for line in _lines_of(fields)[:2] + _lines_of(fields)[6:8]:
        folded, expected = _read(line)
        assert folded == expected, line
