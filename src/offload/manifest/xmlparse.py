"""Parsing XML with the standard parser, every document it cannot decode a ParseError.

expat reports a document it cannot decode otherwise than as malformed: an encoding Python
does not know or that is no text encoding (``x-unknown``, ``rot13``) as LookupError, one it
cannot stream (a multi-byte one: Shift_JIS, UTF-7, UTF-32) as ValueError, a codec that fails
(``idna``, ``undefined``) as UnicodeError (a ValueError). Each means the same as a malformed
document to a reader of manifests, so these functions raise ParseError for it, which every
reader already turns into its one clear line ("... is not well-formed XML: ..."). Only the
parser's own steps are wrapped: an error of the caller's loop body is never renamed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import os
    import xml.etree.ElementTree as ET

    Source = str | os.PathLike[str] | IO[bytes]


def iterparse(
    source: Source, events: Sequence[Literal["start", "end"]]
) -> Iterator[tuple[str, ET.Element]]:
    """``ET.iterparse(source, events)``; raises ET.ParseError for an undecodable document."""
    import xml.etree.ElementTree as ET  # here: a run that reads no XML never loads it

    parsed = ET.iterparse(source, events=events)
    while True:
        try:
            item = next(parsed)
        except StopIteration:
            return
        except (LookupError, ValueError) as exc:
            raise ET.ParseError(reason(exc)) from exc
        yield item


def parse(source: Source) -> ET.ElementTree[ET.Element]:
    """``ET.parse(source)``; raises ET.ParseError for an undecodable document."""
    import xml.etree.ElementTree as ET

    try:
        return ET.parse(source)
    except (LookupError, ValueError) as exc:
        raise ET.ParseError(reason(exc)) from exc


def reason(exc: LookupError | ValueError) -> str:
    """What the parser said of a document it cannot decode, its first clause alone: Python's
    advice after it (``'rot13' is not a text encoding; use codecs.decode() ...``) is for a
    programmer, and a ``;`` would end the clause in the one line that quotes it."""
    return str(exc).split(";", 1)[0]
