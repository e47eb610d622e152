"""Which characters an XML 1.0 manifest can hold, and why a name it cannot hold is left out:
the one test of the manifests' writers (``xmltext``, ``manifests_writer``), of ``offload
verify``'s words for such a file and of the planner's warning before the copy
(``card._unlisted_name_warnings``). Imports nothing heavier than ``re``: the planner asks it
of every card's paths before the manifests' modules are loaded (off the main thread, near
the copy's end: docs/design.md, ``manifests_writer``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from offload.errors import printable_name

# Characters XML 1.0 cannot carry at all, even as character references; lone surrogates are
# what Python uses (surrogateescape) for file-name bytes that are not UTF-8.
NOT_XML_CLASS = "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
# Its ASCII part, one character each.
_NOT_XML_ASCII = tuple(chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))


def _compile_then_search(value: str) -> re.Match[str] | None:
    """The first search compiles the class (~1 ms, which a card of ASCII names, every run's
    planner, never pays) and takes its place; two threads at once each compile it, alike."""
    global _search
    _search = re.compile(NOT_XML_CLASS).search
    return _search(value)


_search: Callable[[str], re.Match[str] | None] = _compile_then_search


def xml_can_hold(value: str) -> bool:
    """Whether an XML 1.0 manifest can hold *value* (a path: valid UTF-8, no control
    character but tab, newline and carriage return): the one test of the manifests' writers
    and of ``offload verify``'s words for a file no manifest can list."""
    return _search(value) is None


def paths_xml_cannot_hold(paths: Sequence[str]) -> list[str]:
    """The paths of *paths* an XML manifest cannot hold (:func:`xml_can_hold` refuses
    them), in order. On paths all ASCII and none refused (nearly every card): one join and
    one search of it for each ASCII character XML refuses (a byte search each: ~2 ms for
    50,000 paths, where a regular expression or ``str.isprintable`` over them took 15-20
    ms); else each path asked in turn."""
    joined = "".join(paths)
    if joined.isascii() and not any(c in joined for c in _NOT_XML_ASCII):
        return []
    return [path for path in paths if _search(path) is not None]


def unlisted_name_reason(relative: str, *, exact: bool = False) -> str:
    """Why an XML manifest cannot hold the path *relative* (one :func:`xml_can_hold`
    refuses), in a few words: the one wording of a file so left out, in the saved reports
    (``manifests_writer``) and before the copy (``card``, ``name-not-in-manifest``). The
    character in the terminal's spelling (``printable_name``: ``\\x07``), or, *exact*, the
    character itself, for a writer that encodes the text once its own way (a CSV cell,
    ``report.csv_cells``: spelled there once, never ``\\x07`` escaped again)."""
    if any("\udc80" <= c <= "\udcff" for c in relative):
        return "its name is not valid UTF-8, which an XML manifest cannot hold"
    odd = next((c for c in relative if not xml_can_hold(c)), None)
    if odd is None:
        return "its name holds a character an XML manifest cannot hold"
    import unicodedata  # only for a name XML cannot hold (the module imports only re)

    shown = odd if exact else printable_name(odd)
    # U+FFFE and U+FFFF are noncharacters, not controls (category Cn, not Cc).
    what = "the control character" if unicodedata.category(odd) == "Cc" else "the character"
    return f"its name holds {what} {shown}, which an XML manifest cannot hold"
