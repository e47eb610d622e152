"""Names a copy goes by on a destination before and after it is verified.

Nothing incomplete ever carries the final name: data goes to a hidden partial name in the
final folder, renamed to the final name only after it was verified. These names are shared by
every backend that has names (an object store's pending upload has none, but its temporary
key may use them), by the card layer (stray partials of an interrupted run) and by
``offload verify`` (partials are never card content).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

PARTIAL_PREFIX = ".offload-partial."
_NAME_MAX = 255

# What a partial's name adds to the final name, at most: prefix, token (6 + up to 16 hex
# digits of the counter) and a dot. Name checks before copying leave this much room.
PARTIAL_NAME_OVERHEAD = len(PARTIAL_PREFIX) + 6 + 16 + 1
_RUN_TOKEN = os.urandom(3).hex()  # per process: partials of two runs never share a name
_SERIAL = itertools.count()


def under_another_name(final_path: str, relative_path: str) -> bool:
    """Whether the copy at *final_path* (a "/"-separated path, or an ``s3://`` URL) is under
    another name than its card file at *relative_path* (card-relative): ``--keep-both``
    wrote it beside a file kept at that name ("CLIPS/C001 (1).mov" for "CLIPS/C001.mov").
    The last names alone are compared (the copy root is the destination's). The one rule of
    the KEPT BOTH warning (``offload.card``) and the documents' rows (``report.content``),
    so the two never disagree."""
    return final_path.rpartition("/")[2] != relative_path.rpartition("/")[2]


def partial_name(final_name: str) -> str:
    """A hidden, unique name for the partial of *final_name*, within NAME_MAX bytes.

    A per-process random token and a counter (one urandom call a file was measurable on cards
    of small files); O_EXCL at creation guards against any collision anyway.
    """
    stem = f"{PARTIAL_PREFIX}{_RUN_TOKEN}{next(_SERIAL):x}."  # ASCII: a byte a character
    if final_name.isascii() and len(stem) + len(final_name) <= _NAME_MAX:
        # Its UTF-8 bytes are its characters, and they fit: the cut below would keep them
        # all (three calls and two bytes objects less a file on the writer thread, which
        # paces a card of small files).
        return stem + final_name
    budget = _NAME_MAX - len(stem)
    encoded = final_name.encode("utf-8", "surrogateescape")[:budget]
    return stem + encoded.decode("utf-8", "ignore")


def is_partial_name(name: str) -> bool:
    return name.startswith(PARTIAL_PREFIX)


# A FAT long name is stored 13 characters a directory entry. fusefat, renaming a partial to
# its final name in a folder of many files, can leave an entry holding the first of them
# alone: ".offload-part" (a real card of 55 stills left three).
_FAT_NAME_PIECE = PARTIAL_PREFIX[:13]


def is_partial_leftover(name: str) -> bool:
    """Whether *name* is offload-ai's own debris, never a file of a card: a partial's name
    (:func:`is_partial_name`) or the piece of one fusefat leaves behind after renames
    (``.offload-part``). ``offload verify`` names such an entry a leftover, not a new file."""
    return name.startswith(PARTIAL_PREFIX) or name == _FAT_NAME_PIECE


def is_partial_of(name: str, final_name: str) -> bool:
    """Whether *name* is a partial of a file named *final_name* (``partial_name``'s form:
    the prefix, a token, a serial, a dot, then the final name, or as much of it as fits)."""
    if partial_token(name) is None:
        return False
    serial, dot, tail = name[len(PARTIAL_PREFIX) + len(_RUN_TOKEN) :].partition(".")
    if not dot or not serial or any(c not in "0123456789abcdef" for c in serial):
        return False
    if tail == final_name:
        return True
    # Cut to NAME_MAX bytes: what is left of the final name begins it.
    cut = len(name.encode("utf-8", "surrogateescape")) >= _NAME_MAX - 3
    encoded = final_name.encode("utf-8", "surrogateescape")
    return cut and bool(tail) and encoded.startswith(tail.encode("utf-8", "surrogateescape"))


def run_token() -> str:
    """This process's token, the one its partials' names carry (``partial_token``)."""
    return _RUN_TOKEN


def partial_token(name: str) -> str | None:
    """The token of the process that named the partial *name* (``partial_name``: the six hex
    digits after the prefix), or None for a name that carries none."""
    token = name[len(PARTIAL_PREFIX) : len(PARTIAL_PREFIX) + len(_RUN_TOKEN)]
    if not is_partial_name(name) or len(token) != len(_RUN_TOKEN):
        return None
    return token if all(c in "0123456789abcdef" for c in token) else None


def keep_both_name(final_path: Path, attempt: int) -> Path:
    """``clip.mov`` → ``clip (1).mov`` (attempt 1), ``clip (2).mov`` ... (``keep_both_text``)."""
    return final_path.with_name(keep_both_text(final_path.name, attempt))


def keep_both_text(name: str, attempt: int) -> str:
    """The name a copy kept beside *name* takes (``--keep-both``), the one rule of every
    destination (a disk's file, an object's key): `` (attempt)`` before the extension, the
    text after the last dot when there is one and something but dots comes before it
    (``clip.mov`` → ``clip (1).mov``, ``a.tar.gz`` → ``a.tar (1).gz``); else after the whole
    name (``clip.`` → ``clip. (1)``: a trailing dot is no extension, and dropping it would
    name another file; ``.hidden`` → ``.hidden (1)``). Our own rule, not ``pathlib``'s, whose
    suffix rules differ between Python versions."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not extension or not stem.strip("."):
        return f"{name} ({attempt})"
    return f"{stem} ({attempt}).{extension}"


def name_problem(name: str, max_name_bytes: int) -> str | None:
    """Why *name* (one component) cannot be stored where names have at most
    *max_name_bytes* bytes, with room for its partial name; None if it can."""
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        return f"{name!r} is not a file name"
    size = len(name.encode("utf-8", "surrogateescape"))
    if size + PARTIAL_NAME_OVERHEAD > max_name_bytes:
        return f"{name!r} is {size} bytes; with its partial name it must fit {max_name_bytes} bytes"
    return None
