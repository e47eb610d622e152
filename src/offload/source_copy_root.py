"""Whether an offload's source is a copy root of ours (an earlier offload's copy: the DIT's
drive given as the source of the shuttle drive's copy), and which card it is a copy of.

Decided once, as the source is scanned (``card.plan_offload``), never at the report's end:
a source that went away during the run (a share that dropped, a drive pulled) cannot be
asked then, and "cannot read" must never read as "holds none" (QA: a dropped share's copy
root was reported as a ``.offload/`` holding no ledger).

A source is a copy root of ours when its root holds offload-ai's ledger
(``.offload/ledger.jsonl``, a regular file): ``ours`` True. No such file (nothing there, a
folder, a link): False. Could not be told (the ``lstat`` failed otherwise than "no such
entry": a share that dropped, EIO, EACCES): None.

Its card (``card``): the card identity (``CardIdentity.key``) that every line of its ledger
vouching for a copy records, when they all record one card (volume and folder,
``same_volume_and_folder``): every copy of one card, however many copies away from the
card, is then that card to the next copy root's ledger (README, "Which card"). "" when the
entries name no card (the card's identity was unknown), name several (a folder filled from
several cards with ``--into``), or the ledger cannot be read: the identity is unknown then,
and the quick check (each file's size and date) tells whose a copy root's entries are. The
copy root's own volume and folder is never its identity: it names the drive the copy is on,
not the card, and made every copy of one card "another card" to the next.

Reads one ``lstat`` of the source's ledger, and where there is one, the ledger's bytes
(read-only).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from pathlib import Path
from typing import NamedTuple

from offload.card_identity import same_volume_and_folder
from offload.ledger import VOUCHING_STATES, ledger_path

# A ledger line's own state and card (its first of each: an entry's keys come in that order,
# before a revocation's nested record), as JSON writes them.
_STATE = re.compile(rb'"state"\s*:\s*"([a-z_]+)"')
_CARD = re.compile(rb'"card"\s*:\s*("(?:[^"\\]|\\.)*")')
_VOUCHING = frozenset(state.encode() for state in VOUCHING_STATES)
# An lstat failing so means the entry is not there (or a part of its path is no folder).
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR})


class SourceCopyRoot(NamedTuple):
    """What the source's root says of it (the module's docstring): ``ours`` True (a copy
    root of ours), False (not), None (could not be told, ``error`` says why); ``card`` the
    card its ledger records ("" unknown)."""

    ours: bool | None
    card: str = ""
    error: str = ""


NOT_OURS = SourceCopyRoot(False)


def source_copy_root(source: Path) -> SourceCopyRoot:
    """The source *source*'s answer (the module's docstring). Never raises."""
    try:
        st = os.lstat(ledger_path(source))
    except OSError as exc:
        if exc.errno in _ABSENT:
            return NOT_OURS
        return SourceCopyRoot(None, error=os.strerror(exc.errno or 0) or str(exc))
    if not stat.S_ISREG(st.st_mode):
        return NOT_OURS
    return SourceCopyRoot(True, _recorded_card(source))


def _recorded_card(source: Path) -> str:
    """The card key every line of *source*'s ledger that vouches for a copy records, or ""
    (none, several, one such line naming no card, or the ledger unreadable). Every such
    line, not only those that stand (``fold_lines``): a line since superseded by another
    card's makes the identity unknown, the weaker, never the wrong, answer. Read as bytes,
    each line's first ``state`` and ``card`` found by a pattern, not parsed whole: ~60 ms at
    50,000 lines where ``Ledger.load_entries`` took ~1.1 s (a copy root's whole ledger, read
    for this alone)."""
    try:
        with open(ledger_path(source), "rb") as handle:
            data = handle.read()
    except OSError:
        return ""
    found = ""
    seen: set[bytes] = set()
    for line in data.splitlines():
        state = _STATE.search(line)
        if state is None or state.group(1) not in _VOUCHING:
            continue  # revoked, torn, or no entry: vouches for nothing
        card = _CARD.search(line)
        if card is None:
            return ""  # a copy of an unknown card among them: the identity is unknown
        raw = card.group(1)
        if raw in seen:
            continue
        seen.add(raw)
        try:
            key = json.loads(raw)
        except ValueError:
            return ""
        if not isinstance(key, str) or not key:
            return ""
        if not found:
            found = key
        elif not same_volume_and_folder(key, found):
            return ""  # copies of several cards
    return found
