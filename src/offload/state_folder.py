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
  through a name looked up again.
* The lock keeps that descriptor while it is held (:func:`hold`, :func:`let_go`): the
  folder this run locked. Every other file this run writes under ``.offload/`` (the ledger,
  the run record, the stamp of complete manifests, the reports, the ASC MHL generation's
  record, a cascade's records) is written only after :func:`check_held` found the name
  ``<copy root>/.offload`` still that very folder (same ``st_dev`` and ``st_ino``, not a
  symlink): a folder swapped for another under a live run (the real one renamed away, a
  symlink to another copy root's ``.offload`` put in its place) raises
  ``StateFolderReplaced`` (an OSError, ``EXDEV``), whose one line names the folder and
  what to do; the writer fails that destination with it, and nothing of this run is
  written into the other folder. The ledger and the run record also open their files in
  the held descriptor (``dir_fd``), so a swap between the check and the open still writes
  into the folder this run locked, never the other one. A removal there (the stamp, a
  record, the cascade's mark, a dead run's temporary) goes through :func:`unlink_in`:
  checked, then by name in the held folder. The
  reports are written after the lock is released: :func:`let_go` keeps the folder's
  ``(st_dev, st_ino)`` (until a lock holds that copy root again), so they are checked all
  the same, by name (no descriptor is left: a swap between that check and the open is not
  caught); only by :func:`check_under` (``AtomicFile``'s check, the reports'), so a library
  caller's own ledger or run record write there after the run stays unchecked. A
  ``.offload`` not there whose copy root is gone or on another filesystem than the held
  folder is a drive gone (``umount -l`` leaves the bare mount point) or a folder removed:
  ``ledger.lost_error_of``'s error, never "replaced". The other writers
  (``manifest.atomic.AtomicFile``'s temporaries and renames, ``cascade_unsettled``'s
  records, ``cascade``'s record of the card's pass) open and rename by path after the
  check: a swap in the moment between the check and that call is not caught. A copy
  root this process never held a lock of is not checked: a library caller's write
  without ``lock_copy_roots``, and a copy root whose lock could not be taken (a
  filesystem without ``flock``: the run's "cannot lock copy root" warning).
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


class StateFolderReplaced(OSError):
    """The copy root's ``.offload`` is no longer the folder this run's lock holds (module
    doc): ``EXDEV``, its words one line naming the folder and what to do."""

    def __init__(self, root: Path, now: str) -> None:
        from offload.errors import printable_name

        folder = root / STATE_FOLDER
        super().__init__(
            # Not ESTALE, which every caller takes for a drive gone (``DRIVE_GONE_ERRNOS``):
            # the drive is there, another folder at the name.
            errno.EXDEV,
            f"{printable_name(str(folder))} was replaced while this offload ran ({now}): "
            f"the records this run keeps of the copy root {printable_name(str(root))} (its "
            "ledger, the record of this offload, its reports) are not written through that "
            "name, lest they change another folder's; put back the folder that was there "
            "(moved away, or renamed), then run the same offload again",
            str(folder),
        )


#: The state folders this process's locks hold: by the copy root's absolute path, the
#: descriptor the lock opened and its ``(st_dev, st_ino)``.
_HELD: dict[str, tuple[int, tuple[int, int]]] = {}
#: The ``(st_dev, st_ino)`` of each state folder a lock of this process held and let go
#: (``let_go``), by the copy root's absolute path, until a lock holds it again: the run's
#: reports are written after its lock is released, and are checked against it.
_LET_GO: dict[str, tuple[int, int]] = {}


def _key(root: Path | str) -> str:
    return os.path.abspath(os.fspath(root))


def hold(root: Path, folder: int) -> None:
    """Keep *folder* (a descriptor of *root*'s ``.offload``, ``open_state_folder``'s) as the
    folder this process's lock of *root* holds, until :func:`let_go`; it owns the descriptor
    from now on. Raises OSError (its ``fstat``: the descriptor closed)."""
    try:
        st = os.fstat(folder)
    except OSError:
        os.close(folder)
        raise
    old = _HELD.pop(_key(root), None)
    if old is not None:
        _close(old[0])
    _LET_GO.pop(_key(root), None)
    _HELD[_key(root)] = (folder, (st.st_dev, st.st_ino))


def let_go(root: Path) -> None:
    """The lock of *root* released: its folder no longer held (its descriptor closed). Its
    identity is kept: a later write of this process there (the run's reports, written after
    the lock is released) is still checked (``check_held``), without a descriptor."""
    held = _HELD.pop(_key(root), None)
    if held is not None:
        _close(held[0])
        _LET_GO[_key(root)] = held[1]


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass  # a descriptor of a drive gone is closed all the same


def check_held(root: Path | str, *, let_go_too: bool = False) -> int | None:
    """Before a write into *root*'s ``.offload``: raises ``StateFolderReplaced`` where this
    process's lock holds that folder and the name is no longer it (module doc); else the
    held folder's descriptor for the writer's ``dir_fd`` (None where no lock of this
    process holds it: nothing checked; with *let_go_too* (``check_under``: the reports
    written after the run), one a lock held and let go, ``let_go``, is checked all the
    same, None returned). A ``.offload`` not there
    whose copy root is gone or on another filesystem raises the drive-gone (ENODEV) or
    folder-removed (ENOENT) error of ``ledger.lost_error_of``, never "replaced". An
    ``lstat`` that fails otherwise than "not there" (the drive gone: ENOTCONN, EIO) is
    raised as it is: the write would fail the same."""
    held: tuple[int | None, tuple[int, int]] | None = _HELD.get(_key(root))
    if held is None:
        let_go_identity = _LET_GO.get(_key(root)) if let_go_too else None
        if let_go_identity is None:
            return None
        # Let go (the reports after the run): checked all the same, no descriptor to give.
        held = (None, let_go_identity)
    fd, identity = held
    folder = Path(root) / STATE_FOLDER
    try:
        st = os.lstat(folder)
    except (FileNotFoundError, NotADirectoryError):
        raise _gone(Path(root), identity[0]) from None
    if stat.S_ISLNK(st.st_mode):
        try:
            from offload.errors import printable_name

            now = f"now a symlink to {printable_name(os.readlink(folder))}"
        except OSError:
            now = "now a symlink"
        raise StateFolderReplaced(Path(root), now)
    if (st.st_dev, st.st_ino) != identity:
        raise StateFolderReplaced(Path(root), "another folder is at that name now")
    return fd


def _gone(root: Path, device: int) -> OSError:
    """The error of a held ``.offload`` no longer at its name. Only where the copy root is
    still there on the filesystem the held folder is on was the folder moved away
    (``StateFolderReplaced``); a copy root gone or on another filesystem is a drive gone
    (``umount -l``, udisks' way with a pulled drive, leaves the bare mount point, with no
    ``.offload`` in it) or a folder removed, in the words every other write of that copy
    root uses (``ledger.lost_error_of``: ENODEV "reconnect it", ENOENT "removed")."""
    from offload.ledger import _device_of, lost_error_of

    if _device_of(root) != device:
        return lost_error_of(root, device)
    return StateFolderReplaced(root, "it is gone")


def unlink_in(path: Path | str) -> bool:
    """Remove *path*, a file in a copy root's ``.offload`` (its record, its stamp), not
    there already being fine: after ``check_held`` of that copy root, and by name in the
    held folder (``dir_fd``), so that a swap between the check and the unlink still removes
    nothing of the other folder (module doc). A path in no folder this process holds is
    removed by its path. Returns whether a file was removed (False: not there). Raises
    ``check_held``'s errors and the unlink's OSError."""
    path = Path(path)
    parts = path.parts
    held = None
    below = ""
    if _HELD:
        for at in range(len(parts) - 2, -1, -1):
            if parts[at] == STATE_FOLDER:
                held = check_held(Path(*parts[:at]))
                below = os.path.join(*parts[at + 1 :])
                break
    try:
        if held is None:
            os.unlink(path)
        else:
            os.unlink(below, dir_fd=held)
    except FileNotFoundError:
        return False
    return True


def check_under(path: Path | str) -> None:
    """``check_held`` of the copy root whose state folder holds *path* (a file to write in
    ``<copy root>/.offload/``, or below it: its reports), nothing for a path outside any
    (a manifest in ``ascmhl/``); one a lock of this process let go is checked too (module
    doc). A dict look-up where this process holds no lock."""
    if not _HELD and not _LET_GO:
        return
    parts = Path(path).parts
    for at in range(len(parts) - 1, -1, -1):
        if parts[at] == STATE_FOLDER:
            check_held(Path(*parts[:at]), let_go_too=True)
            return
