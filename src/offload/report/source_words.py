"""The card's words said of a source that is a copy root of ours, not a card.

    of_the_source("Keep the card to retry them", keep=(source,)) -> "Keep the source to ..."

A source whose root holds offload-ai's ledger (``source_copy_root``: the DIT's drive given
as the source of a shuttle drive's copy; ``release.source_is_copy`` in a job report) is no
card: nothing tells anyone to format it, eject "the card", or ask the camera department
first about a clip in it. The lines that speak of the source (the cascade's ``CARD
RELEASED`` line and its sentence at the end, the CARD CONTENT and CARD RE-READ THROUGH A
CACHE lines, the release's reasons) are worded once, for a card, and said of such a source
through :func:`of_the_source`: one table of what each card word is of a copy, so every
line of every report says the same.

Only the card that is the source is rewritten: "the card" and "the card's" (the one this
run read), the lines' headings, and "card file(s)". Another card ("another card's copy",
"not a card", "of this card": the card the copy root's ledger records) is left as it is,
and so is every name in *keep* (the source's own path, the destinations', clips': a folder
may be called "the card")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# The headings of the lines said of the source (first), then the card this run read, as
# words: each with what it is of a copy root of ours. In this order: a heading before the
# words it holds, "the card's" before "the card".
_HEADINGS = (
    ("CARD RELEASED", "SOURCE RELEASED"),
    ("CARD PASS DONE", "SOURCE PASS DONE"),
    ("CARD CONTENT", "SOURCE CONTENT"),
    ("CARD RE-READ THROUGH A CACHE", "SOURCE RE-READ THROUGH A CACHE"),
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


def of_the_source(text: str, keep: Iterable[str] = ()) -> str:
    """*text*, worded for the card this run read, said of a source that is a copy root of
    ours (the module's docstring); the names in *keep* (paths) as they are."""
    names = sorted({k for k in keep if k}, key=len, reverse=True)
    if not names:
        return _reworded(text)
    parts = re.split("(" + "|".join(re.escape(n) for n in names) + ")", text)
    # The odd parts are the names kept, split out by their group.
    return "".join(part if at % 2 else _reworded(part) for at, part in enumerate(parts))


def _reworded(text: str) -> str:
    for card, source in _HEADINGS:
        text = text.replace(card, source)
    for pattern, source in _WORDS:
        text = pattern.sub(source, text)
    return text


def names_of(data: Mapping[str, Any]) -> tuple[str, ...]:
    """The names a job report *data*'s lines may hold that are never reworded: its source's
    path, each destination's path and copy root (for *keep*)."""
    names = [str(data.get("source") or "")]
    for destination in data.get("destinations") or ():
        if isinstance(destination, Mapping):
            names += [str(destination.get(k) or "") for k in ("path", "copy_root")]
    return tuple(n for n in names if n)
