"""This card's offload in another folder of the destination: the card mounted under another name.

A card re-plugged is mounted again under another folder name (udisks, its first mount folder
still there: ``/media/USER/RED_A0011``), so ``offload copy /media/USER/RED_A0011 D`` names a
new copy root, ``D/RED_A0011``, and would copy the card again, in full, beside
``D/RED_A001``, which already holds its offload. Where the card's identity is known (its
volume serial or UUID and folder, ``card_identity``: Linux only) and the copy root the run
names holds no offload of it yet, the folders beside it are asked whose offload they hold:
each entry of a copy in a ledger records the card it was made from (``LedgerEntry.card``).
One whose ledger records this card (``same_volume_and_folder``, :func:`records_card`) gives a
``card-offloaded-beside`` warning naming that folder and the ``--into`` way to resume it;
the copy still runs as asked (a second copy may be meant).

Cheap and sound: one listing of each destination folder and, of each ledger found there,
its first and last 256 KiB (a whole ledger only when no longer than 512 KiB: a 200 MB one
is never read whole at the start of a run), those lines read together by the ledger's own
reader; it says only what a ledger records. A line of another card, a damaged line or an
older version's line (no card) is passed over, the look going on past it; a revocation of
the card's copy (``offload verify`` found it changed, whatever its date now:
``verify_revoke``) ends its entry. A ledger longer than
512 KiB whose lines of this card are all in its middle (a copy root shared by many cards
with ``--into``) is not named: a miss. A revocation of the card's copies in that middle
alone is not seen: the one overclaim left, rare (a copy root whose lines of the card are
at its start or end, revoked only in its middle), and the ``--into`` run it names reads
the whole ledger, copying again what was revoked. Local copy roots named after the card
only (``creates_root``); an unknown card, ``--into``, a single file, an ``s3://``
destination: nothing looked at.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from json.encoder import encode_basestring
from pathlib import Path

from offload.card_folder import add_to, command_words
from offload.card_identity import CardIdentity, same_volume_and_folder
from offload.destinations.s3url import is_s3_root
from offload.errors import printable_name
from offload.ledger import LedgerEntry, fold_lines, ledger_path
from offload.plan.codes import PreflightCode, PreflightItem
from offload.plan.destination import DestinationPlan

# How much of a ledger is read to tell whether it records a card, from its start and from
# its end (the whole of one no longer than both): a card's offload writes its entries
# together, at the start of the ledger of a copy root named after it, at the end of one a
# later run added it to (``--into``). A line is a few hundred bytes: some 500 lines each.
_HEAD_BYTES = 256 * 1024
_TAIL_BYTES = 256 * 1024


def _read_lines(path: Path) -> list[bytes]:
    """The whole lines of the ledger at *path* found in its first :data:`_HEAD_BYTES` and
    its last :data:`_TAIL_BYTES` (all of them for a ledger no longer than both), in file
    order: a line cut by either bound is left out (the last line too if a run stopped while
    writing it: the ledger's reader reads no entry in it). [] when *path* is no regular file
    (a symlink is followed, as the ledger's own reader follows it): a FIFO, a device node or
    a socket at its name is never opened (an open of a FIFO wakes its writer, a device's may
    act: a tape rewinds), and what was opened is checked again (the name may have been
    replaced between). Raises OSError."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        return []
    # O_NONBLOCK: never blocking on a FIFO put at its name since the stat.
    with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as ledger:
        st = os.fstat(ledger.fileno())
        if not stat.S_ISREG(st.st_mode):
            return []
        size = st.st_size
        if size <= _HEAD_BYTES + _TAIL_BYTES:
            return ledger.read().split(b"\n")
        head = ledger.read(_HEAD_BYTES)
        ledger.seek(size - _TAIL_BYTES - 1)  # the byte before: a line starting at the bound
        tail = ledger.read(_TAIL_BYTES + 1)
    return head[: head.rfind(b"\n") + 1].split(b"\n") + tail[tail.find(b"\n") + 1 :].split(b"\n")


def _needles(card: CardIdentity) -> tuple[bytes, bytes] | None:
    """Text every line recording a copy of *card* holds, as ``json`` writes it (this
    version's lines, ``ledger.entry_line``; any writer's printable ASCII): the card's volume
    id and, for a folder of a volume, the end of its key (``/CARDS/A001"``: the lines of a
    shuttle drive's other folders, each holding its volume id, are not parsed), else b"".
    None when the volume id is text a writer may escape (any line may then be the card's);
    a folder whose key end a writer may escape (non-ASCII, a quote) is not looked for."""
    volume = encode_basestring(card.volume_id)[1:-1]
    if volume != card.volume_id or not volume.isascii() or not volume.isprintable():
        return None
    end = f'/{card.folder}"'
    if not (
        card.folder
        and encode_basestring(end[:-1])[1:] == end
        and end.isascii()
        and end.isprintable()
    ):
        end = ""
    return volume.encode("ascii"), end.encode("ascii")


# A revocation's state as ``json`` writes it: a ``revoked`` line names a path alone (no card),
# and ends every entry of that path (``ledger.still_standing``).
_REVOKED = b'"revoked"'
# How many of the card's paths are each asked whether its entry still stands before the
# lines read are all read together at once: a few lines parsed for a ledger whose first
# path stands (the common case), never a scan of them all for each of hundreds of paths
# revoked (a drive a check found damaged throughout).
_PATHS_ASKED = 8


def records_card(copy_root: Path, card: CardIdentity) -> bool:
    """Whether *copy_root*'s ledger records a copy of *card* still standing (an entry that
    vouches, ``LedgerEntry.vouches``, whose ``card`` is of the same volume and folder,
    ``same_volume_and_folder``) in what :func:`_read_lines` reads of it: its first and last
    256 KiB. Those lines are read together, in file order, by the ledger's own reader
    (``ledger.fold_lines``): a revocation of the card's copy ends its entry (``offload
    verify`` found it changed), and another card's later entry of the path leaves it
    standing beside unless of the same name (``still_standing``). A damaged line or an
    older version's (no ``card``) is passed over. Only the lines holding the card's text
    (:func:`_needles`: its volume id, a folder's key end) or a revocation's state are kept:
    the others name no copy of the card nor end one; of those, the first line of the card
    that vouches names a path, and only the lines naming that path are read together
    (:func:`_stands`), the next path of the card asked if it no longer stands, up to
    :data:`_PATHS_ASKED` paths, then all the lines kept at once. False when there is no
    ledger, it is no regular file or it cannot be read; a ledger of more than 512 KiB whose
    entries of the card are all in its middle is a miss, and a revocation of them there
    alone is not seen (the rare overclaim: the module's docstring)."""
    needles = _needles(card)
    try:
        lines = _read_lines(ledger_path(copy_root))
    except (OSError, ValueError):
        return False
    kept = lines
    if needles is not None:
        volume, end = needles
        kept = [line for line in lines if (volume in line and end in line) or _REVOKED in line]
    asked: set[str] = set()
    for line in kept:
        for entry in fold_lines((_text(line),)).latest.values():
            path = entry.relative_path
            if path in asked or not _of_card(entry, card):
                continue
            if len(asked) == _PATHS_ASKED:
                return any(_of_card(e, card) for e in fold_lines(map(_text, kept)).standing())
            asked.add(path)
            if _stands(kept, path, card):
                return True
    return False


def _text(line: bytes) -> str:
    return line.decode("utf-8", "surrogateescape")


def _of_card(entry: LedgerEntry, card: CardIdentity) -> bool:
    """*entry* vouches for a copy of *card* (its volume and folder)."""
    return entry.vouches and bool(entry.card) and same_volume_and_folder(entry.card, card.key)


def _stands(lines: Sequence[bytes], path: str, card: CardIdentity) -> bool:
    """Whether *card*'s entry of *path* stands once *lines* (in file order) are read
    together by the ledger's reader (``fold_lines``: the path's last entry, or one beside
    it). Only the lines naming *path* as ``json`` writes it are read where it is printable
    ASCII without escapes (a superset of the path's lines: a line naming it otherwise, its
    ``final_name``, is another path's and changes nothing of it); all of them otherwise."""
    quoted = encode_basestring(path)
    if quoted[1:-1] == path and path.isascii() and path.isprintable():
        word = quoted.encode("ascii")
        lines = [line for line in lines if word in line]
    entries = fold_lines(map(_text, lines))
    last = entries.latest.get(path)
    standing = (*entries.beside.get(path, ()), *(() if last is None else (last,)))
    return any(_of_card(entry, card) for entry in standing)


def offloaded_beside(plan: DestinationPlan, card: CardIdentity) -> Path | None:
    """The folder beside *plan*'s copy root, in its destination, whose ledger records *card*
    (:func:`records_card`), the first by name; None when there is none, or *plan*'s own copy root
    holds an offload of it (its re-run)."""
    if records_card(plan.root, card):
        return None
    try:
        with os.scandir(plan.destination) as listing:
            folders = sorted(
                entry.name
                for entry in listing
                if entry.name != plan.root.name and entry.is_dir(follow_symlinks=False)
            )
    except OSError:
        return None
    for name in folders:
        folder = plan.destination / name
        if records_card(folder, card):
            return folder
    return None


def beside_warnings(
    plans: Sequence[DestinationPlan],
    card: CardIdentity | None,
    source: str,
    cascade: AbstractSet[int] = frozenset(),
) -> list[PreflightItem]:
    """A ``card-offloaded-beside`` warning for each local copy root named after the card
    (*plans*) beside which a folder holds this card's offload (:func:`offloaded_beside`),
    naming that folder, the card and the ``--into`` way to resume it (*source*: the card's
    path; *cascade*: the plans fed in cascade, ``--cascade-to`` in that command)."""
    if card is None:
        return []
    found = {
        plan.index: folder
        for plan in plans
        if plan.creates_root
        and not is_s3_root(str(plan.root))
        and (folder := offloaded_beside(plan, card)) is not None
    }
    if not found:
        return []
    if len(plans) == 1:  # found on it
        holder = str(found[plans[0].index])
        # The refusal's --into words (card_folder), one way for both.
        way = (
            "to resume it instead: offload copy --into "
            f"{command_words([source, holder])} (with the command's other options)"
        )
    elif len(found) == len(plans):
        into, _ = add_to(
            source,
            [dataclasses.replace(p, root=found[p.index], creates_root=False) for p in plans],
            cascade,
        )
        way = f"to resume it instead: {into}"
    else:
        way = "to resume it instead, name that folder with --into"
    warnings = []
    for plan in plans:
        folder = found.get(plan.index)
        if folder is None:
            continue
        warnings.append(
            PreflightItem(
                PreflightCode.CARD_OFFLOADED_BESIDE,
                plan.root,
                f"{printable_name(str(folder))} already holds this card's offload "
                f"({card.words()}): this run copies the card again, in full, into "
                f"{printable_name(str(plan.root))}; {way}",
                plan.index,
            )
        )
    return warnings
