"""``offload verify`` reads a copy root's ledger, and its ASC MHL history, once per state.

Why: one check of a copy root asks its ledger (``.offload/ledger.jsonl``) several questions
(``own_record`` before the reads; the reasons of what it found changed or new,
``verification_reason``; the revocation of each copy found wrong, ``verify_revoke``, before
its lock and again under it; the footer's counts), and ``--append`` reads the history once to
compare it with the ledger (``own_record.contradicted``) and once to check against it. Each
parse of a 50,000-entry ledger costs ~0.5 s of CPU (docs/performance.md, forty-second pass).

Contract:

* Inside :func:`reads_once` (``offload verify`` opens it around its check, revocation and
  footer), :func:`load_entries` answers a local ledger's entries from the read before when
  the file is the same one at the same size, date and change time (``st_dev``, ``st_ino``,
  ``st_size``, ``st_mtime_ns``, ``st_ctime_ns``: looked at before and after that read, and
  now), else reads it again. Why that is the file's content: a ledger changes only by
  appends, which grow it (a failed append is cut back to the size it had, its bytes before
  that untouched: ``ledger._take_back``; the cut and an append after it each set the change
  time, so a same-length append within the date's resolution, 2 s on FAT, is not taken for
  the file read before), or by a rewrite into a new file renamed over it (another inode).
  A read whose last line is torn (a run stopped mid-append) is never reused: the next read
  sees the line as it stands then.
* It assumes a local filesystem, where ``stat`` is as fresh as ``open``. On NFS, ``stat``
  may answer from the client's attribute cache (up to ``acregmax``, 60 s) where ``open``
  asks the server, so an append made from another host can be unseen for that long. Hence
  a read for correctness is never answered here: ``verify_revoke``'s read under the lock
  (another run may have appended since the read before it) calls
  ``Ledger.load_entries`` itself, and is made only when the read before found something
  to revoke. What is reused elsewhere can only be short of entries recorded since the
  check began (``checked_since``), which no check revokes.
* :func:`read_history` answers ``manifest.history.read_history(root)`` (the chain checked)
  from the read before when ``ascmhl/`` lists the same entries, each the same file at the
  same size and date, and the folder itself is unchanged: a generation is written as a new
  file and the chain file renamed over its old one (another inode); a settle that removes
  a dead run's generation changes the listing.
* Outside :func:`reads_once` (``offload copy``, the API, another thread), both read every
  time: nothing is held beyond the command.
* Nothing stored elsewhere (an S3 copy root's ledger, ``S3Ledger``) is held: read every time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from offload.ledger import Ledger, LedgerEntries

if TYPE_CHECKING:
    from offload.manifest.history import History

_State = tuple[int, int, int, int, int]  # st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns


@dataclass
class _Held:
    ledgers: dict[str, tuple[_State, LedgerEntries]] = field(default_factory=dict)
    histories: dict[str, tuple[object, History]] = field(default_factory=dict)
    # How many reads each answered from the read before (for the tests and the bench).
    reused: int = 0
    read: int = 0


_HELD: ContextVar[_Held | None] = ContextVar("offload_verify_reads", default=None)


@contextmanager
def reads_once() -> Iterator[_Held]:
    """The scope within which :func:`load_entries` and :func:`read_history` reuse a read
    of a file that has not changed since (module contract); what they hold is dropped at
    its end."""
    held = _Held()
    token = _HELD.set(held)
    try:
        yield held
    finally:
        _HELD.reset(token)


def _state(path: str) -> _State | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def load_entries(ledger: Ledger) -> LedgerEntries:
    """``ledger.load_entries()``, answered from the read before where the file has not
    changed since (module contract). Raises OSError as that does."""
    held = _HELD.get()
    if held is None or type(ledger) is not Ledger:
        return ledger.load_entries()
    key = os.fspath(ledger.path)
    before = _state(key)
    if before is not None:
        known = held.ledgers.get(key)
        if known is not None and known[0] == before:
            held.reused += 1
            ledger.torn_line = ""  # as its own read of a file ending in a whole line says
            return known[1]
    entries = ledger.load_entries()
    held.read += 1
    after = _state(key)
    if before is not None and after == before and not ledger.torn_line:
        held.ledgers[key] = (before, entries)
    else:
        held.ledgers.pop(key, None)
    return entries


def _listing(root: Path) -> object:
    """What ``ascmhl/`` of *root* holds, each entry's state: None where it cannot be looked
    at (then never reused)."""
    from offload.manifest.layout import ASCMHL_FOLDER

    folder = os.path.join(root, ASCMHL_FOLDER)
    try:
        own = os.lstat(folder)
        with os.scandir(folder) as listed:  # closed when a stat fails part-way too
            entries = sorted(
                (e.name, e.inode(), st.st_size, st.st_mtime_ns, st.st_mode)
                for e in listed
                if (st := e.stat(follow_symlinks=False))
            )
    except OSError:
        return None
    return (own.st_dev, own.st_ino, own.st_mtime_ns, own.st_mode, tuple(entries))


def read_history(root: Path) -> History:
    """``manifest.history.read_history(root)``, answered from the read before where
    ``ascmhl/`` has not changed since (module contract). Raises as that does."""
    from offload.manifest.history import read_history as read

    held = _HELD.get()
    if held is None:
        return read(root)
    key = os.path.abspath(root)
    before = _listing(root)
    if before is not None:
        known = held.histories.get(key)
        if known is not None and known[0] == before:
            held.reused += 1
            return known[1]
    history = read(root)
    held.read += 1
    if before is not None and _listing(root) == before:
        held.histories[key] = (before, history)
    else:
        held.histories.pop(key, None)
    return history
