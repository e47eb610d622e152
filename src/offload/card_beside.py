"""This card's offload in another folder of the destination: the card mounted under another name.

A card re-plugged is mounted again under another folder name (udisks, its first mount folder
still there: ``/media/USER/RED_A0011``), so ``offload copy /media/USER/RED_A0011 D`` names a
new copy root, ``D/RED_A0011``, and would copy the card again, in full, beside
``D/RED_A001``, which already holds its offload. Where the card's identity is known (its
volume serial or UUID and folder, ``card_identity``: Linux only) and the copy root the run
names holds no offload of it yet, the folders beside it are asked whose offload they hold:
the first line of each one's ledger records the card it was made from
(``LedgerEntry.card``). One of this card (``same_volume_and_folder``) gives a
``card-offloaded-beside`` warning naming that folder and the ``--into`` way to resume it;
the copy still runs as asked (a second copy may be meant).

Cheap and sound: one listing of each destination folder and the first line of each ledger
found there (never a whole ledger); it says only what a ledger records. A folder whose
ledger begins with another card's line (a copy root shared with ``--into``) is not named:
a miss, never a false claim. Local copy roots named after the card only (``creates_root``);
an unknown card, ``--into``, a single file, an ``s3://`` destination: nothing looked at.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path

from offload.card_folder import add_to, command_words
from offload.card_identity import CardIdentity, same_volume_and_folder
from offload.destinations.s3url import is_s3_root
from offload.errors import printable_name
from offload.ledger import ledger_path
from offload.plan.codes import PreflightCode, PreflightItem
from offload.plan.destination import DestinationPlan

# The longest first line read of a ledger (an entry is a few hundred bytes).
_FIRST_LINE_BYTES = 64 * 1024


def first_card(copy_root: Path) -> str:
    """The card (``CardIdentity.key``) the first line of *copy_root*'s ledger records; ""
    when there is no ledger, it cannot be read, or its first line names no card."""
    try:
        with open(ledger_path(copy_root), "rb") as ledger:
            line = ledger.readline(_FIRST_LINE_BYTES)
        card = json.loads(line).get("card")
    except (OSError, ValueError, AttributeError, RecursionError):  # nested too deep: none
        return ""
    return card if isinstance(card, str) else ""


def offloaded_beside(plan: DestinationPlan, card: CardIdentity) -> Path | None:
    """The folder beside *plan*'s copy root, in its destination, whose ledger's first line
    is of *card*, the first by name; None when there is none, or *plan*'s own copy root
    holds an offload of it (its re-run)."""
    if same_volume_and_folder(first_card(plan.root), card.key):
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
        recorded = first_card(folder)
        if recorded and same_volume_and_folder(recorded, card.key):
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
