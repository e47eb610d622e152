"""The card's words said of a source that is a copy root of ours, not a card.

    of_the_source("Keep the card to retry them", keep=(source,)) -> "Keep the source to ..."

A source whose root holds offload-ai's ledger (``source_copy_root``: the DIT's drive given
as the source of a shuttle drive's copy; ``release.source_is_copy`` in a job report) is no
card: nothing tells anyone to format it, eject "the card", or ask the camera department
first about a clip in it. The lines that speak of the source (the cascade's ``CARD
RELEASED`` line and its sentence at the end, the CARD CONTENT and CARD RE-READ THROUGH A
CACHE lines, the release's reasons, the card history's MISSING FROM THE CARD lines, each
clip row's own ⚠ in the HTML/PDF) are worded once, for a card, and said of such a source
through :func:`of_the_source`: one table of what each card word is of a copy, so every
line of every report says the same.

Only the card that is the source is rewritten: "the card" and "the card's" (the one this
run read), the lines' headings, and "card file(s)". Another card ("another card's copy",
"not a card", "of this card": the card the copy root's ledger records) is left as it is,
and so is every name in *keep*: a clip may be called ``The card.mov``, a folder ``card
files``. The contract: a caller passes as *keep* EVERY name its text prints (the source's
and the destinations' paths, the card files its reasons name, a whole clause already said
of the source), raw or printed: each is protected as given and as ``printable_name`` spells
it (the text holds the printed one; with a backslash they differ)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from offload.errors import printable_name

# The headings of the lines said of the source (first), then the card this run read, as
# words: each with what it is of a copy root of ours. In this order: a heading before the
# words it holds, "the card's" before "the card".
_HEADINGS = (
    ("CARD RELEASED", "SOURCE RELEASED"),
    ("CARD PASS DONE", "SOURCE PASS DONE"),
    ("CARD CONTENT", "SOURCE CONTENT"),
    ("CARD RE-READ THROUGH A CACHE", "SOURCE RE-READ THROUGH A CACHE"),
    ("MISSING FROM THE CARD", "MISSING FROM THE SOURCE"),
)
_WORDS = (
    (re.compile(r"\bthe card's\b"), "the source's"),
    (re.compile(r"\bThe card's\b"), "The source's"),
    (re.compile(r"\bthe card\b"), "the source"),
    (re.compile(r"\bThe card\b"), "The source"),
    (re.compile(r"\bcard files\b"), "source files"),
    (re.compile(r"\bcard file\b"), "source file"),
)

#: What the source is, said once where a line first names it (a released source's heading).
A_COPY = "a copy of ours, not a card"


def of_the_source(text: str, keep: Iterable[str] = (), also: Iterable[tuple[str, str]] = ()) -> str:
    """*text*, worded for the card this run read, said of a source that is a copy root of
    ours (the module's docstring); the names in *keep* (every name *text* prints, raw or
    printed: both spellings are kept) as they are. *also*: a line's own words and what they
    are of a copy (replaced first, outside the names kept too)."""
    spelled = {s for k in keep if k for s in (k, printable_name(k))}
    # Only the names the text holds: a caller may pass every file of a job report.
    names = sorted((n for n in spelled if n in text), key=len, reverse=True)
    more = tuple(also)
    if not names:
        return _reworded(text, more)
    parts = re.split("(" + "|".join(re.escape(n) for n in names) + ")", text)
    # The odd parts are the names kept, split out by their group.
    return "".join(part if at % 2 else _reworded(part, more) for at, part in enumerate(parts))


def _reworded(text: str, also: tuple[tuple[str, str], ...] = ()) -> str:
    for card, copy in also:
        text = text.replace(card, copy)
    for card, source in _HEADINGS:
        text = text.replace(card, source)
    for pattern, source in _WORDS:
        text = pattern.sub(source, text)
    return text


def rewords(name: str) -> bool:
    """Whether :func:`of_the_source` would change *name* were it not kept: the names worth
    passing as *keep* among many (a job report's files)."""
    return ("card" in name or "CARD" in name) and _reworded(name) != name


def names_of(data: Mapping[str, Any]) -> tuple[str, ...]:
    """The names a job report *data*'s lines may hold that are never reworded: its source's
    path, each destination's path and copy root, and its card files whose names hold a
    card word (for *keep*)."""
    names = [str(data.get("source") or "")]
    for destination in data.get("destinations") or ():
        if isinstance(destination, Mapping):
            names += [str(destination.get(k) or "") for k in ("path", "copy_root")]
    # The card files the reasons name (a failed copy, an entry left out): only those the
    # words would reword, so that the split stays short.
    for key in ("files", "ignored"):
        entries = data.get(key)
        for entry in entries if isinstance(entries, list) else ():
            path = entry.get("path") if isinstance(entry, Mapping) else None
            if isinstance(path, str) and rewords(path):
                names.append(path)
    return tuple(n for n in names if n)
