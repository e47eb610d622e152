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
by a run killed mid-cascade costs one read-back of those copies, never a trust. A re-run
without the card fed from a marked copy root (its source) reads its copies (those it does
not feed read back first, ``cascade._read_back_unfed``) but records nothing there: the mark
stays for the next run that has it as a destination.

The file: ``{"spans": [[from, until], ...]}`` (Unix seconds), one span per cascade not
settled; no spans when absent. Standard JSON only (RFC 8259, ``allow_nan=False``): an open
end is ``null`` (``[null, until]``: from the beginning of time); ``-Infinity``, which an
earlier version wrote there, is still read so. One that is there but cannot be understood
(torn, damaged, written by hand, a ``NaN``) is never read as nothing marked: every span in
it ended before it was last written, so it stands for one span from the beginning of time
to its mtime (and a second, the filesystem's coarse clock), which ``settle`` drops once
every copy recorded within it was read back. One that cannot be read at all: ``spans``
gives the whole of time (every copy read back), ``mark`` and ``settle`` raise and leave it
as it is."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

from offload.fs.ops import fsync_dir
from offload.ledger import STATE_FOLDER, Ledger, LedgerEntry
from offload.state_folder import check_held, check_under, unlink_in

UNSETTLED = "cascade-unsettled.json"

Span = tuple[float, float]


def spans(copy_root: Path) -> tuple[Span, ...]:
    """The spans marked unsettled on *copy_root*; () when none; the whole of time when the
    mark cannot be read (``_read``: a run trusts nothing unread there). Never raises."""
    try:
        return _read(copy_root)
    except OSError:
        return ((-math.inf, math.inf),)


def _read(copy_root: Path) -> tuple[Span, ...]:
    """The spans marked on *copy_root*: () when there is no mark; a mark that cannot be
    understood stands for ``(-inf, its mtime + 1 s)`` (module docstring). Raises OSError
    when it cannot be read."""
    path = copy_root / STATE_FOLDER / UNSETTLED
    try:
        with open(path, "rb") as handle:
            data = handle.read()
            written = os.fstat(handle.fileno()).st_mtime
    except (FileNotFoundError, NotADirectoryError):
        return ()
    try:
        marked = tuple(
            (_bound(a, -math.inf), _bound(b, math.inf)) for a, b in json.loads(data)["spans"]
        )
    except (ValueError, KeyError, TypeError, IndexError):
        return ((-math.inf, written + 1.0),)
    return marked


def _bound(value: object, open_end: float) -> float:
    """One end of a span as read: ``null`` is *open_end*; ``-Infinity``/``Infinity`` (written
    by earlier versions, read by ``json.loads``) as they are. Raises ValueError for NaN (no
    span: never read as one that holds nothing) and TypeError for what is not a number."""
    if value is None:
        return open_end
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    if math.isnan(value):
        raise ValueError("NaN")
    return float(value)


def unsettled(entry: LedgerEntry | None, marked: Sequence[Span]) -> bool:
    """*entry* was recorded within a span *marked* unsettled: not to be trusted unread."""
    return entry is not None and any(a <= entry.recorded_at <= b for a, b in marked)


def mark(copy_root: Path, span: Span) -> None:
    """Add *span* to *copy_root*'s mark, durably. Never makes the copy root nor a missing
    ``.offload`` above a vanished mount (the folder is made only where the root is).
    Raises OSError."""
    folder = copy_root / STATE_FOLDER
    check_held(copy_root)  # never another copy root's (``state_folder``)
    folder.mkdir(exist_ok=True)
    _write(folder, [*_read(copy_root), span])


def settle(copy_root: Path, span: Span) -> None:
    """Take *span* back from *copy_root*'s mark, and an earlier run's span no entry of the
    ledger that still vouches was recorded within (each read back since: its entry is
    newer); the file removed once it holds none, durably. Raises OSError."""
    folder = copy_root / STATE_FOLDER
    left = [s for s in _read(copy_root) if s != span]
    if left:
        standing = [e for e in Ledger(copy_root).load_entries().standing() if e.vouches]
        left = [s for s in left if any(unsettled(e, [s]) for e in standing)]
    if left:
        _write(folder, left)
        return
    # Checked, then removed in the folder the lock holds, never through a name looked up
    # again (``state_folder``); not there is fine, and nothing to make durable.
    if unlink_in(folder / UNSETTLED):
        fsync_dir(folder)


def _end(bound: float) -> float | None:
    """One end of a span as written: an infinite one (open) is ``null``, never ``-Infinity``."""
    return None if math.isinf(bound) else bound


def _write(folder: Path, marked: Sequence[Span]) -> None:
    """The mark written whole: a temporary fsynced, renamed over it, the folder fsynced."""
    check_under(folder)  # never another copy root's (``state_folder``)
    staging = folder / f".{UNSETTLED}.{os.getpid()}"
    with open(staging, "w", encoding="utf-8") as handle:
        json.dump({"spans": [[_end(a), _end(b)] for a, b in marked]}, handle, allow_nan=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, folder / UNSETTLED)
    fsync_dir(folder)
