"""The one encoding of a text cell in offload-ai's CSV files (the job report's, ``offload
verify``'s): every name kept exactly, yet no cell can break a row, drive a terminal that
``cat``s the file, or start a spreadsheet formula.

A cell's text is the exact string, written with these escapes (docs/json.md, "CSV cells"):

* a backslash as ``\\\\`` (so that every escape below is one and nothing else reads as one);
* a control character, C0 (``\\x00``-``\\x1f``: a newline, a tab, ESC...) and DEL, as
  ``\\xNN``; a C1 control (U+0080-U+009F, which an 8-bit terminal obeys) as ``\\u00NN``;
* a byte of a name that is not UTF-8 as ``\\xNN`` (always 80-FF, where no control's
  ``\\xNN`` is: the two never meet);
* a Unicode format character (Cf: the bidi overrides such as U+202E, zero-width
  characters, the BOM U+FEFF) or a line or paragraph separator (U+2028, U+2029) as
  ``\\uNNNN`` (``\\UNNNNNNNN`` beyond U+FFFF), as the terminal spells it
  (``errors.CONTROL_ESCAPES``): ``bidi<U+202E>vom.exe`` would show as ``bidiexe.mov``;
* a cell that would start with ``=``, ``+``, ``-`` or ``@`` (a formula to a spreadsheet:
  OWASP's "CSV injection") gets a ``'`` in front, and so does one that starts with ``'``,
  so that a leading ``'`` is always this escape and is dropped to read the cell back.

Why escapes rather than CSV quoting alone: Python's writer quotes a newline but writes a
carriage return raw under a ``\\n`` line end (a spreadsheet then splits the row), quoting
leaves ESC raw, and a one-line-per-row file keeps ``grep`` and ``wc -l`` right. Commas and
quotes are left to the CSV quoting (RFC 4180), as before.
"""

from __future__ import annotations

import re

from offload.errors import escaped_invisible

# Characters an escape is made for: a backslash, C0, DEL, C1, and the surrogates a name
# that is not UTF-8 decodes to (surrogateescape: byte 0xNN is U+DCNN).
_ESCAPED = re.compile("[\\\\\x00-\x1f\x7f-\x9f\udc80-\udcff]")
# A formula's first character to a spreadsheet, and the escape's own mark.
_LEADING = frozenset("=+-@'")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char == "\\":
        return "\\\\"
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if code <= 0x9F:
        return f"\\u{code:04x}"
    return f"\\x{code - 0xDC00:02x}"  # a byte that is not UTF-8


def cell(text: str) -> str:
    """*text* as a CSV cell (the module's escapes). Fast for the usual name: printable,
    without a backslash, not starting like a formula (three C calls, no regex)."""
    plain = text.isprintable() and "\\" not in text
    escaped = text if plain else escaped_invisible(_ESCAPED.sub(_escape, text))
    if escaped and escaped[0] in _LEADING:
        return "'" + escaped
    return escaped
