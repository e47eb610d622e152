"""JSON text that is valid whatever the names it holds: the one encoding of every JSON
offload-ai writes, saved (the job report) or printed (``--json``, ``--dry-run --json``,
``offload verify --json``, ``offload history --json``, ``--progress-trace``).

A name read from the filesystem is text with each byte that is not UTF-8 as a lone
surrogate (Python's surrogateescape: byte ``0xNN`` is ``U+DCNN``). ``json.dumps`` leaves such
a character as it is, and it then reaches the output as the raw byte (a stream with the
surrogateescape handler: text that is not UTF-8, so not JSON) or as an encoding error (any
other stream). Here it is written as the JSON escape ``\\udcNN`` instead (docs/json.md):
``json.loads`` gives the surrogate back, ``os.fsencode`` the original bytes. Standard JSON
only: a float that is not finite raises ValueError (``allow_nan=False``), never ``NaN``.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any, TextIO

from offload.fs.whole import write_all

_SURROGATE = re.compile("[\udc80-\udcff]")
# Standard JSON only (RFC 8259): a float that is not finite raises ValueError, never written
# as NaN or Infinity, which other tools refuse. Made once: json.dumps with an option makes an
# encoder each call.
STRICT = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
_ASCII = json.JSONEncoder(ensure_ascii=True, allow_nan=False)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def escaped(text: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``'s) with each name byte that is not
    UTF-8 as its ``\\udcNN`` escape: text any UTF-8 encoder takes."""
    if text.isascii():  # no surrogate in it: no regex pass (a large report's ~30 MB)
        return text
    return _SURROGATE.sub(_escape, text)


def encoded(text: str) -> bytes:
    """``escaped(text)`` as UTF-8 bytes (what a JSON file holds)."""
    return escaped(text).encode("utf-8")


def dumps(
    value: Any,
    *,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    ascii_only: bool = False,
) -> str:
    """*value* as JSON text, names escaped (above). *ascii_only*: every character that is
    not ASCII escaped too (``\\u00e9``), for a stream whose encoding is not UTF-8
    (:func:`ascii_only_for`): the same JSON value, bytes any such stream can write."""
    if indent is None and separators is None:  # the encoders made once (a --json line each)
        if ascii_only:  # json escapes a lone surrogate as \udcNN itself
            return _ASCII.encode(value)
        return escaped(STRICT.encode(value))
    text = json.dumps(
        value, ensure_ascii=ascii_only, indent=indent, separators=separators, allow_nan=False
    )
    return text if ascii_only else escaped(text)


def ascii_only_for(stream: TextIO) -> bool:
    """Whether JSON written to *stream* must be ASCII: its encoding is not UTF-8 (a Latin-1
    or ASCII locale), so a character such as ``é`` would be written in another encoding
    than JSON's (or not at all). A stream that names no encoding (a ``StringIO``) is text
    already: not ASCII."""
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return False
    try:
        return codecs.lookup(encoding).name != "utf-8"
    except LookupError:
        return True


def stream_dumps(value: Any, stream: TextIO, *, indent: int | None = None) -> str:
    """*value* as JSON text that *stream* writes as valid JSON (UTF-8, or ASCII escapes)."""
    return dumps(value, indent=indent, ascii_only=ascii_only_for(stream))


def write_whole(stream: TextIO, text: str) -> None:
    """Write *text* to *stream* whole, then flush: a JSON document or line a reader parses
    must never be cut short. Python's buffered writer drops the rest of a large write that
    a signal interrupts once part of it is in a pipe (the handler returns, the write
    reports no error: measured with Python 3.11, a 20 kB write to a full one-page pipe kept
    its first 4,096 bytes), so what holds a file descriptor is written to it directly
    (``os.write`` until every byte is taken, which PEP 475 resumes after a signal); a
    stream without one (a ``StringIO``) is written as usual. Raises what the stream's own
    write raises (OSError: ``BrokenPipeError`` for a reader gone; UnicodeError)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        stream.write(text)
        stream.flush()
        return
    stream.flush()  # what the stream holds goes first
    encoding = getattr(stream, "encoding", None) or "utf-8"
    view = memoryview(text.encode(encoding, getattr(stream, "errors", None) or "strict"))
    write_all(fd, view)
