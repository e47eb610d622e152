"""A copy root's state folder (``.offload/``) is its own folder, never a symlink.

Why: every record offload-ai keeps of a copy root (its ledger, its run record
``last-run.json``, its lock, its reports, the stamp of complete manifests) lives in
``<copy root>/.offload/``. A symlink there (to another drive, to another copy root's
``.offload``) sends them elsewhere: this copy's ledger lines written into another copy's
ledger, its ``finished`` into another copy's record, its lock taken on another folder's
file, while ``offload verify`` of this copy root reads another copy's records as its own.
``O_NOFOLLOW`` on the record's open covers only its last path component, so nothing
stopped it (review of runrec67).

Contract:

* :func:`linked_state_folder` is the preflight's look (``plan.preflight.paths``,
  ``state-folder-linked``, exit 64): the line of the refusal where the copy root's
  ``.offload`` is a symlink (whatever it points to, or to nothing), None where it is a
  folder, is not there, or cannot be looked at (the other checks say that). No write.
* :func:`open_state_folder` opens the state folder for the lock (``lock._lock_one``), with
  ``O_DIRECTORY | O_NOFOLLOW``: a symlink put there after the preflight raises
  ``StateFolderLinked`` (a ``UsageError``, exit 64, the same line) before the lock file is
  made, and the lock file is opened in the folder that descriptor holds (``dir_fd``), never
  through a name looked up again. The other files under ``.offload/`` are opened by path
  while the lock is held: a symlink swapped in for a live run's folder is not caught there.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from offload.errors import UsageError
from offload.state_names import STATE_FOLDER


class StateFolderLinked(UsageError):
    """A copy root whose ``.offload`` is a symlink (module doc): refused, nothing written
    there. ``path``: that ``.offload``."""


def linked_state_folder(root: Path) -> str | None:
    """The one line that refuses the copy root *root* where its ``.offload`` is a symlink;
    None where it is not one (module doc)."""
    folder = root / STATE_FOLDER
    try:
        st = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISLNK(st.st_mode):
        return None
    return _words(root, folder)


def _words(root: Path, folder: Path) -> str:
    from offload.errors import printable_name

    try:
        target = f"a symlink to {printable_name(os.readlink(folder))}"
    except OSError:
        target = "a symlink"
    # A link leading nowhere has no folder to put in its place: removing it is all there is
    # to do (the next offload there starts a new state folder).
    if os.path.isdir(folder):
        what = (
            "put the folder it points to in its place (mv), or remove the symlink if that is "
            "another copy root's"
        )
    else:
        what = (
            "it leads to no folder (dangling): remove the symlink (rm, not rm -r); the next "
            "offload there starts its records anew"
        )
    return (
        f"{printable_name(str(folder))} is {target}, not a folder: offload-ai keeps the "
        f"records of the copy root {printable_name(str(root))} there (its ledger, the record "
        "of its last offload, its lock and reports), and through a symlink they would be "
        f"another folder's; nothing was written there: {what}, then run this again"
    )


def open_state_folder(root: Path) -> int:
    """A descriptor of *root*'s ``.offload`` folder, opened without following a symlink
    (module doc); the caller closes it. Raises ``StateFolderLinked`` where it is a symlink,
    else the open's OSError."""
    folder = root / STATE_FOLDER
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and linked_state_folder(root):
            raise StateFolderLinked(_words(root, folder), path=folder) from exc
        raise
