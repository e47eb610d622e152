"""The fast copies a cascade left unsettled: ``<copy root>/.offload/cascade-unsettled.json``.

A cascade's fast copies are verified and recorded in their ledger by the card's pass; the
cascade then reads them again and checks them at its end, and revokes in their ledger those
it finds gone, changed or unreadable (``cascade._fail_damaged``). A drive that goes away
meanwhile (pulled, ``umount -l``) cannot be told: its ledger goes on vouching for copies
the run reported failed. So before the cascade's first read, each local fast copy root is
marked (``mark``: the span of time its card's pass recorded its entries in, from the
earliest entry of an earlier run the cascade feeds from, durably), and
the mark is taken back only once the cascade ended with that drive still there and every
revocation written (``settle``). A later run that finds a mark (``spans``) does not trust
a ledger entry recorded within one (``unsettled``): the copy is read back, as
``--reverify`` reads it, and its new entry, recorded later, is trusted again. A mark left
by a run killed mid-cascade costs one read-back of those copies, never a trust.

The file: ``{"spans": [[from, until], ...]}`` (Unix seconds), one span per cascade not
settled; read as no spans when absent or unreadable (its drive failing: its copies fail
their reads anyway)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from offload.fs.ops import fsync_dir
from offload.ledger import STATE_FOLDER, Ledger, LedgerEntry

UNSETTLED = "cascade-unsettled.json"

Span = tuple[float, float]


def spans(copy_root: Path) -> tuple[Span, ...]:
    """The spans marked unsettled on *copy_root*; () when none, or unreadable. Never
    raises."""
    try:
        data = json.loads((copy_root / STATE_FOLDER / UNSETTLED).read_text("utf-8"))
        return tuple((float(a), float(b)) for a, b in data["spans"])
    except (OSError, ValueError, KeyError, TypeError):
        return ()


def unsettled(entry: LedgerEntry | None, marked: Sequence[Span]) -> bool:
    """*entry* was recorded within a span *marked* unsettled: not to be trusted unread."""
    return entry is not None and any(a <= entry.recorded_at <= b for a, b in marked)


def mark(copy_root: Path, span: Span) -> None:
    """Add *span* to *copy_root*'s mark, durably. Never makes the copy root nor a missing
    ``.offload`` above a vanished mount (the folder is made only where the root is).
    Raises OSError."""
    folder = copy_root / STATE_FOLDER
    folder.mkdir(exist_ok=True)
    _write(folder, [*spans(copy_root), span])


def settle(copy_root: Path, span: Span) -> None:
    """Take *span* back from *copy_root*'s mark, and an earlier run's span no entry of the
    ledger that still vouches was recorded within (each read back since: its entry is
    newer); the file removed once it holds none, durably. Raises OSError."""
    folder = copy_root / STATE_FOLDER
    left = [s for s in spans(copy_root) if s != span]
    if left:
        standing = [e for e in Ledger(copy_root).load_entries().standing() if e.vouches]
        left = [s for s in left if any(unsettled(e, [s]) for e in standing)]
    if left:
        _write(folder, left)
        return
    try:
        (folder / UNSETTLED).unlink()
    except FileNotFoundError:
        return
    fsync_dir(folder)


def _write(folder: Path, marked: Sequence[Span]) -> None:
    """The mark written whole: a temporary fsynced, renamed over it, the folder fsynced."""
    staging = folder / f".{UNSETTLED}.{os.getpid()}"
    with open(staging, "w", encoding="utf-8") as handle:
        json.dump({"spans": [list(s) for s in marked]}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, folder / UNSETTLED)
    fsync_dir(folder)
