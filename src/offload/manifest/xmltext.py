"""XML text helpers for the hand-written (streaming) XML writers: escaping and dates.

The writers emit XML as text rather than building a DOM, so that a 20,000-file manifest is
written in one pass. Everything that goes into the text passes through these functions.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from offload.manifest.errors import UnsupportedTreeError
from offload.manifest.xmlchars import NOT_XML_CLASS
from offload.manifest.xmlchars import xml_can_hold as xml_can_hold  # its importers' name

_NOT_XML = re.compile(NOT_XML_CLASS)
_TEXT_SPECIAL = re.compile("[&<>\r]")
_ATTR_SPECIAL = re.compile('[&<>"\t\n\r]')


def check_xml_string(value: str, what: str) -> None:
    """Raise UnsupportedTreeError if *value* cannot be written in an XML 1.0 / UTF-8 document.

    That is: control characters other than tab, newline and carriage return, and file-name
    bytes that are not UTF-8 (seen by Python as lone surrogates). *what* names the value in
    the message.
    """
    match = _NOT_XML.search(value)
    if match is not None:
        raise UnsupportedTreeError(
            f"{what} {value!r} holds {match.group()!r}, which XML 1.0 cannot represent"
        )


def xml_safe(value: str, replacement: str = "_") -> str:
    """*value* with every character XML 1.0 cannot carry replaced by *replacement* (for
    names that are informational only, such as the root folder's in a manifest file name)."""
    return _NOT_XML.sub(replacement, value)


def escape_text(value: str) -> str:
    """Escape element text. ``\\r`` becomes ``&#13;`` so parsers do not turn it into ``\\n``."""
    if _TEXT_SPECIAL.search(value) is None:
        return value
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def escape_attribute(value: str) -> str:
    """Escape a double-quoted attribute value, whitespace included (attribute normalisation
    would otherwise turn tab/newline into spaces)."""
    if _ATTR_SPECIAL.search(value) is None:
        return value
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


def to_utc(moment: datetime) -> datetime:
    """*moment* in UTC. Raises ValueError for a naive datetime (its zone would be a guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got naive {moment!r}")
    return moment.astimezone(UTC)


def iso_utc(moment: datetime) -> str:
    """``2024-05-01T10:00:00+00:00`` (xs:dateTime, UTC, whole seconds). Raises ValueError if
    *moment* is naive."""
    return to_utc(moment).replace(microsecond=0).isoformat()


def utc_from_ns(mtime_ns: int) -> datetime:
    """A filesystem time in nanoseconds since the epoch, as an aware UTC datetime (seconds)."""
    return datetime.fromtimestamp(mtime_ns // 1_000_000_000, UTC)


def iso_utc_z(moment: datetime) -> str:
    """``2024-05-01T10:00:00Z``: the form legacy MHL v1 tools write. Raises ValueError if naive."""
    return to_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
