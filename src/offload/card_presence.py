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
same card mounted again (``card_now_at``), and the line says to put the right one back; the
same card, once back at its path (``card_back``: its volume UUID or serial, folder and label as
at the plan) is said to have been pulled and put back, and to run the same command again:
the files read while it was gone failed.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable

from offload.card_identity import CardIdentity, card_identity, same_volume_and_folder
from offload.errors import describe_os_error, printable_name
from offload.plan.scan import SourceTree
from offload.report.loss import GONE_ERRNOS

# How the source error of a file whose path was gone ends (of ``loss.GONE_ERRNOS``, not a
# reader's error: EIO may be a bad sector).
_PATH_GONE_ENDINGS = ("(ENOENT)", "(ENOTDIR)")


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


#: ``card_gone``'s words for a card back at its path, on the scan's device number.
REMOUNTED = "unmounted, then mounted again at its path"


def came_back(tree: SourceTree, failed: Iterable[tuple[str, str | None]]) -> bool:
    """Whether the card at *tree*'s root, on the scan's device (``card_gone`` says None),
    was away meanwhile: a file of it that failed because its path was gone (*failed*:
    relative path and source error; ENOENT or ENOTDIR, ``of_the_gone_card``) is there again
    now, on the card's device. A reader's device comes back with its number when the card
    is put back, so the device alone cannot tell (the mount's id neither: the kernel gives
    a freed one out again). Never raises; one ``lstat`` a file until one is found."""
    for relative, error in failed:
        if error is None or not error.endswith(_PATH_GONE_ENDINGS):
            continue
        try:
            if os.lstat(os.path.join(tree.root, relative)).st_dev == tree.root_dev:
                return True
        except OSError:
            continue
    return False


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


def card_back(tree: SourceTree, card: CardIdentity | None) -> bool:
    """Whether the card at *tree*'s root now is *card* itself, mounted again after it went
    away (pulled and put back, or unmounted and mounted again): its volume UUID or serial,
    its folder on the volume and its label all as ``card_identity`` read them at the plan.
    False when *card* is unknown or nothing readable is there (then nothing says it is the
    same card). The label too, not only ``same_volume_and_folder``: a card restored from an
    image keeps its serial, and what is said here sends the user to run the same command
    on it; a re-run still trusts a copy only by the ledger's rules (``ledger.same_card``,
    the fingerprints), so a false "back" costs a re-run, never a copy. Never raises; one
    mount-table read and at most one ``blkid``."""
    if card is None:
        return False
    now = card_identity(tree.root)
    return now is not None and same_volume_and_folder(now.key, card.key) and now.label == card.label


def card_gone_line(
    card: str,
    why: str,
    failed: int,
    *,
    identity: CardIdentity | None = None,
    other: CardIdentity | None = None,
    back: bool = False,
    kind: str = "card",
) -> str:
    """The one line that says the card *card* went away during the offload (*why*:
    ``card_gone``'s words), how many of its files failed for it (*failed*), and what to do:
    put it back, or, where *other* (``card_now_at``) is a different card at its path now,
    put the card (*identity*, the one the run read) back in that one's place, or, where
    *back* (``card_back``), that it was pulled and put back and is there again: run the same
    command again to finish. *kind*: what the source is, ``source_kind``: ``"card"``;
    ``"share"``, a network share, whose server or network dropped it ("reconnect the
    share"), never a card to re-insert; ``"copy"``, a copy root of ours on a drive (the
    DIT's drive given as the source), named the source, not the card."""
    of = "of it" if kind == "card" else "of the source"
    files = (
        f"{failed:,} {'file' if failed == 1 else 'files'} {of} failed as read (not copied; "
        "the reports list each)"
        if failed
        else f"every file {of} had been read"
    )
    name = printable_name(card)
    # "checked", not "verified": in transfer mode the copies kept were never read back.
    kept = "the copies already made and checked are kept"
    if other is None and back:
        which = f" ({identity.words()})" if identity is not None else ""
        read = (
            f"{failed:,} {'file' if failed == 1 else 'files'} of it read while it was out "
            "failed (not copied; the reports list each)"
            if failed
            else "every file of it had been read"
        )
        return (
            # Not *why* ("another filesystem is at its path"): it is this card's, mounted anew.
            f"the card {name}{which} was pulled and put back during the offload (unmounted, "
            "then mounted again at its path): "
            f"{read}; it is at {name} again: run the same command again to finish: {kept}"
        )
    if kind != "card" and other is None and not back:
        what = "a network share" if kind == "share" else "a copy of ours, not a card"
        todo = "reconnect the share" if kind == "share" else "reconnect its drive"
        return (
            f"the source {name} ({what}) went away during the offload ({why}): "
            f"{files}; {todo} and run the same command "
            f"again: {kept}"
        )
    todo = "re-insert it"
    if other is not None:
        which = f" ({identity.words()})" if identity is not None else ""
        todo = f"a different card ({other.words()}) is at {name} now: put card {name}{which} back"
    return (
        f"the card {name} went away during the offload ({why}): {files}; {todo} "
        f"and run the same command again: {kept}"
    )


def source_kind(filesystem: object, copy_root: bool | None) -> str:
    """What the source is, for ``card_gone_line``'s *kind*: ``"share"`` where its
    filesystem, as the scan found it (the reports' ``source_volume`` ``filesystem``), is a
    network share's (``fs.below.NETWORK_FILESYSTEMS``: NFS, SMB, sshfs, ...); else
    ``"copy"`` where it is a copy root of ours (*copy_root*, ``source_copy_root``); else
    ``"card"``."""
    from offload.fs.below import NETWORK_FILESYSTEMS

    if isinstance(filesystem, str) and filesystem in NETWORK_FILESYSTEMS:
        return "share"
    return "copy" if copy_root else "card"


__all__ = [
    "REMOUNTED",
    "came_back",
    "card_back",
    "card_gone",
    "card_gone_line",
    "card_now_at",
    "source_kind",
]
