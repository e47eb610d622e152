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
``same_volume_and_folder``), and only when the ledger's claim holds for this source:
(a) every file of the source (the scan's ``SourceTree.files``) is vouched for by a standing
entry of that ledger (its path's last line, a vouching state) recording the same size and
date, and (b) the source's own run record (``.offload/last-run.json``, ``run_record``) holds
no unfinished entry (running, cancelled, failed, unreadable) of that card, nor of a card
unknown. A copy of one card, however many copies away from the card, is then that card to the
next copy root's ledger (README, "Which card"). Else the claim is not taken:

* a file the ledger does not vouch for (a camera card that holds a copy root's ``.offload/``,
  rsynced onto it or left by an in-camera "delete all"; a copy root topped up by hand):
  ``vouched`` False, and the source is judged as any card is (``card_identity``);
* an unfinished copy (the card's offload there was killed or failed: card files may be
  missing from it): ``unfinished`` True, judged as any card is too, and the run warns
  (``source-unfinished-copy``). Taking the card then would let this run settle the card's
  entry ``finished`` in the destination's record, and ``offload verify`` pass a copy
  missing a clip.

"" when the entries name no card (the card's identity was unknown), name several (a folder
filled from several cards with ``--into``), or the ledger cannot be read: the identity is
unknown then, and the quick check (each file's size and date) tells whose a copy root's
entries are. The copy root's own volume and folder is never its identity: it names the drive
the copy is on, not the card, and made every copy of one card "another card" to the next.

Reads one ``lstat`` of the source's ledger, and where there is one, the ledger's bytes and
the run record (read-only).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from offload import run_record
from offload.card_identity import same_volume_and_folder
from offload.ledger import VOUCHING_STATES, Ledger, ledger_path
from offload.model import SourceFile

# A ledger line's own path, state, size, date and card (its first of each: an entry's keys
# come in that order, before a revocation's nested record), as JSON writes them.
_PATH = re.compile(rb'"relative_path"\s*:\s*("(?:[^"\\]|\\.)*")')
_STATE = re.compile(rb'"state"\s*:\s*"([a-z_]+)"')
_SIZE = re.compile(rb'"size_bytes"\s*:\s*(\d+)')
_MTIME = re.compile(rb'"mtime_ns"\s*:\s*(\d+)')
_CARD = re.compile(rb'"card"\s*:\s*("(?:[^"\\]|\\.)*")')
# The head of a line as every version writes it (``entry_line``: those keys first, in that
# order): the four fields in one match; any other line is searched field by field.
_HEAD = re.compile(
    rb'\{"relative_path": ("(?:[^"\\]|\\.)*"), "state": "([a-z_]+)", '
    rb'"size_bytes": (\d+), "mtime_ns": (\d+)'
)
_VOUCHING = frozenset(state.encode() for state in VOUCHING_STATES)
# An lstat failing so means the entry is not there (or a part of its path is no folder).
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR})


class SourceCopyRoot(NamedTuple):
    """What the source's root says of it (the module's docstring): ``ours`` True (a copy
    root of ours), False (not), None (could not be told, ``error`` says why); ``card`` the
    card its ledger records ("" unknown); ``vouched`` whether its ledger vouches for every
    file of the source (None: not asked); ``unfinished`` whether its run record says an
    offload of that card (or of a card unknown) did not finish there. ``taken``: whether
    the source is the card its ledger records (or, recording none, of unknown identity)."""

    ours: bool | None
    card: str = ""
    error: str = ""
    vouched: bool | None = None
    unfinished: bool = False

    @property
    def taken(self) -> bool:
        """Whether the ledger's claim is taken: a copy root of ours whose ledger vouches
        for every file of the source, and no unfinished copy (the module's docstring)."""
        return bool(self.ours) and self.vouched is not False and not self.unfinished


NOT_OURS = SourceCopyRoot(False)

#: Why a copy root taken for its ledger's card has no identity: the ledger names no one card.
UNNAMED_CARD = (
    "the source is a copy of ours whose ledger names no one card: its entries name none, or several"
)


def source_copy_root(source: Path, files: Iterable[SourceFile] | None = None) -> SourceCopyRoot:
    """The source *source*'s answer (the module's docstring); *files*: the source's files as
    its scan found them, each checked against the ledger (None: not checked, ``vouched``
    None). Never raises."""
    try:
        st = os.lstat(ledger_path(source))
    except OSError as exc:
        if exc.errno in _ABSENT:
            return NOT_OURS
        return SourceCopyRoot(None, error=os.strerror(exc.errno or 0) or str(exc))
    if not stat.S_ISREG(st.st_mode):
        return NOT_OURS
    card, standing = _recorded(source)
    vouched = None if files is None else _vouched(source, files, standing)
    return SourceCopyRoot(True, card, vouched=vouched, unfinished=_unfinished(source, card))


def _recorded(source: Path) -> tuple[str, dict[str, tuple[int, int]] | None]:
    """The card key every line of *source*'s ledger that vouches for a copy records, or ""
    (none, several, one such line naming no card, or the ledger unreadable); and by path,
    the size and date of each standing entry that vouches (its path's last line), None
    where the ledger cannot be read. Every vouching line for the card, not only those that
    stand (``fold_lines``): a line since superseded by another card's makes the identity
    unknown, the weaker, never the wrong, answer. Read as bytes, each line's fields found
    by a pattern, not parsed whole: ~0.4 s at 50,000 lines (22 MB) with the check of every
    file, measured on two shared cores (``Ledger.load_entries`` took ~1.1 s)."""
    try:
        with open(ledger_path(source), "rb") as handle:
            data = handle.read()
    except OSError:
        return "", None
    found = ""
    known = True  # False once a line makes the card unknown
    seen: set[bytes] = set()
    standing: dict[str, tuple[int, int]] = {}
    for line in data.splitlines():
        head = _HEAD.match(line)
        if head is not None:
            raw_path, state_name, size_text, mtime_text = head.groups()
        else:
            state = _STATE.search(line)
            if state is None:
                continue  # torn, or no entry: the path's earlier entries stand
            path, size, mtime = _PATH.search(line), _SIZE.search(line), _MTIME.search(line)
            raw_path = path.group(1) if path is not None else None
            state_name = state.group(1)
            size_text = size.group(1) if size is not None else None
            mtime_text = mtime.group(1) if mtime is not None else None
        name = _text(raw_path) if raw_path is not None else None
        if state_name not in _VOUCHING:
            if name is not None:
                standing.pop(name, None)  # revoked: vouches for nothing
            continue
        if name is not None:
            if size_text is None or mtime_text is None:
                standing.pop(name, None)
            else:
                standing[name] = (int(size_text), int(mtime_text))
        if not known:
            continue
        card = _CARD.search(line)
        if card is None:
            known = False  # a copy of an unknown card among them: the identity is unknown
            continue
        raw = card.group(1)
        if raw in seen:
            continue
        seen.add(raw)
        key = _text(raw)
        if not key:
            known = False
        elif not found:
            found = key
        elif not same_volume_and_folder(key, found):
            known = False  # copies of several cards
    return (found if known else ""), standing


def _text(raw: bytes) -> str | None:
    """The JSON string *raw* as text; None where it is none."""
    if b"\\" not in raw:  # no escape: the bytes between the quotes, as UTF-8
        try:
            return raw[1:-1].decode()
        except UnicodeDecodeError:
            return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _vouched(
    source: Path, files: Iterable[SourceFile], standing: dict[str, tuple[int, int]] | None
) -> bool:
    """Whether every one of *files* has a standing vouching entry in *standing* of its
    size, and of its date as the source's filesystem stores it (``Ledger.holds_date``:
    exFAT and FAT round the recorded card's date), and every standing entry a file among
    *files*: a copy root that lost a file its ledger vouches for (deleted since, a killed
    offload of a version before run records, ``--ignore`` leaving it out) is no whole copy
    of that card, and must not settle its entry ``finished`` elsewhere. A legacy MHL at the
    root named as offload-ai names the copy root's own (``is_legacy_mhl_name``: ``--mhl
    legacy`` or ``both`` writes it there, and no ledger entry records it) needs none: it is
    no card file."""
    if standing is None:
        return False
    from offload.manifest.legacy import is_legacy_mhl_name

    ledger = Ledger(source)
    seen: set[str] = set()
    for file in files:
        seen.add(file.relative_path)
        recorded = standing.get(file.relative_path)
        if (
            recorded is None
            and "/" not in file.relative_path
            and is_legacy_mhl_name(source.name, file.relative_path)
        ):
            continue
        if recorded is None or recorded[0] != file.size_bytes:
            return False
        if recorded[1] != file.mtime_ns and not ledger.holds_date(recorded[1], file.mtime_ns):
            return False
    return seen.issuperset(standing)


def _unfinished(source: Path, card: str) -> bool:
    """Whether *source*'s run record holds an entry of the card *card* ("" unknown), or of a
    card unknown, that did not finish (``run_record``: running, cancelled, failed), or
    cannot be read as a record (never read as finished). No record: False (a copy root an
    older version wrote: no claim either way, as ``offload verify`` reads it)."""
    records = run_record.read_all(source)
    if records is None:
        return False
    for record in records:
        if record.state == run_record.FINISHED:
            continue
        if not record.card or not card or same_volume_and_folder(record.card, card):
            return True
    return False
