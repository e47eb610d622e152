"""Whether the card is still there: the source root still the mount it was at the scan.

A card pulled mid-offload (udisks unmounts it lazily; ``umount -l``) leaves its mount point a
plain folder of the filesystem below, or no folder at all: every file not read yet then fails
to open (ENOENT), one error a file, and nothing said the card was gone. The destinations have
``Destination.check_present`` (the root's ``st_dev`` against the one at the start); this is
the card's: asked after the copy jobs, and again when a folder time of the card cannot be
read (a card pulled between the two), against the scan's ``root_dev``, and said in one line
naming the card and what to do (``card.OffloadReport.card_gone``). Where another filesystem
is at the card's path now and the card's identity was known (``card_identity``: its volume
UUID or serial), that filesystem's identity tells a different card put in its place from the
same card mounted again (``card_now_at``), and the line says to put the right one back.
"""

from __future__ import annotations

import errno
import os

from offload.card_identity import CardIdentity, card_identity, same_volume_and_folder
from offload.errors import DRIVE_GONE_ERRNOS, describe_os_error, printable_name
from offload.plan.scan import SourceTree

# What a file of a card that went away fails with: its path gone (ENOENT, ENOTDIR), its
# reader failing (EIO), or what any drive that is gone answers (`errors.DRIVE_GONE_ERRNOS`:
# a FUSE card's daemon gone, its device removed, a network share's handle stale).
GONE_ERRNOS = DRIVE_GONE_ERRNOS | frozenset({errno.ENOENT, errno.ENOTDIR, errno.EIO})
# How ``errors.describe_os_error`` ends for each (a source error's last words).
_GONE_ENDINGS = tuple(f"({errno.errorcode[code]})" for code in sorted(GONE_ERRNOS))


def card_gone(tree: SourceTree) -> str | None:
    """Why the card *tree* was scanned from is no longer there, in words, or None while its
    root is still the mount (``st_dev``) the scan saw. Never raises; one ``stat``."""
    try:
        device = os.stat(tree.root).st_dev
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "its folder no longer exists"
        if exc.errno in GONE_ERRNOS:
            return f"its folder cannot be reached: {describe_os_error(exc)}"
        return None  # EACCES, ELOOP...: not a card gone, the files' own errors say it
    if device != tree.root_dev:
        return "its mount is gone, another filesystem is at its path now"
    return None


def card_now_at(tree: SourceTree, card: CardIdentity | None) -> CardIdentity | None:
    """The identity of a card other than *card* (the one the run read: ``card_identity`` at
    the plan) at *tree*'s root now, or None: the same card (its volume and folder), none
    there, or either unknown (no UUID readable: then the line cannot say another card is
    there). Asked only once ``card_gone`` said another filesystem is at the path; never
    raises; one mount-table read and at most one ``blkid``."""
    if card is None:
        return None
    now = card_identity(tree.root)
    if now is None or same_volume_and_folder(now.key, card.key):
        return None
    return now


def of_the_gone_card(error: str | None) -> bool:
    """Whether a file's source *error* is what a card that went away gives (an OS error of
    ``GONE_ERRNOS``, as ``errors.source_io_error`` words it): such a file failed because the
    card was gone, and the card's line stands for it."""
    return error is not None and error.endswith(_GONE_ENDINGS)


def card_gone_line(
    card: str,
    why: str,
    failed: int,
    *,
    identity: CardIdentity | None = None,
    other: CardIdentity | None = None,
) -> str:
    """The one line that says the card *card* went away during the offload (*why*:
    ``card_gone``'s words), how many of its files failed for it (*failed*), and what to do:
    put it back, or, where *other* (``card_now_at``) is a different card at its path now,
    put the card (*identity*, the one the run read) back in that one's place."""
    files = (
        f"{failed:,} {'file' if failed == 1 else 'files'} of it failed as read (not copied; "
        "the reports list each)"
        if failed
        else "every file of it had been read"
    )
    name = printable_name(card)
    todo = "re-insert it"
    if other is not None:
        which = f" ({identity.words()})" if identity is not None else ""
        todo = f"a different card ({other.words()}) is at {name} now: put card {name}{which} back"
    return (
        f"the card {name} went away during the offload ({why}): {files}; {todo} "
        # "checked", not "verified": in transfer mode the copies kept were never read back.
        "and run the same command again: the copies already made and checked are kept"
    )


__all__ = [
    "GONE_ERRNOS",
    "card_gone",
    "card_gone_line",
    "card_now_at",
    "of_the_gone_card",
]
