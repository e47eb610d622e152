"""Whether the card is still there: the source root still the mount it was at the scan.

A card pulled mid-offload (udisks unmounts it lazily; ``umount -l``) leaves its mount point a
plain folder of the filesystem below, or no folder at all: every file not read yet then fails
to open (ENOENT), one error a file, and nothing said the card was gone. The destinations have
``Destination.check_present`` (the root's ``st_dev`` against the one at the start); this is
the card's: asked once, after the copy jobs, against the scan's ``root_dev``, and said in one
line naming the card and what to do (``card.OffloadReport.card_gone``).
"""

from __future__ import annotations

import errno
import os

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


def of_the_gone_card(error: str | None) -> bool:
    """Whether a file's source *error* is what a card that went away gives (an OS error of
    ``GONE_ERRNOS``, as ``errors.source_io_error`` words it): such a file failed because the
    card was gone, and the card's line stands for it."""
    return error is not None and error.endswith(_GONE_ENDINGS)


def card_gone_line(card: str, why: str, failed: int) -> str:
    """The one line that says the card *card* went away during the offload (*why*:
    ``card_gone``'s words), how many of its files failed for it (*failed*), and what to do."""
    files = (
        f"{failed:,} {'file' if failed == 1 else 'files'} of it failed as read (not copied; "
        "the reports list each)"
        if failed
        else "every file of it had been read"
    )
    return (
        f"the card {printable_name(card)} went away during the offload ({why}): {files}; "
        "re-insert it and run the same command again: the copies already verified are kept"
    )


__all__ = ["GONE_ERRNOS", "card_gone", "card_gone_line", "of_the_gone_card"]
