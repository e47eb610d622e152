"""What the preflight reports (:class:`PreflightReport`, one :class:`DestinationCheck` per
destination) and how its checks collect findings (:class:`Findings`)."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich import filesize

from offload.errors import printable_name
from offload.plan.codes import PreflightCode, PreflightItem
from offload.plan.filesystem import FilesystemInfo
from offload.word_list import word_list

C = PreflightCode


@dataclass(frozen=True)
class DestinationCheck:
    """What the preflight learnt about one destination (``None`` where it could not tell).

    ``bytes_to_copy``/``files_to_copy`` count the files not already at their final path with
    the same size and mtime (``files_present``; whether they are really skipped is the copy
    policy's call). ``required_bytes`` is what the copy may take on that filesystem: each file
    rounded up to ``block_size``, a block per new folder and symlink, room for one partial of
    the largest present file (an overwrite writes a partial before the rename frees the old
    one) and the reserve for offload-ai's own files (``space.own_files``); ``required_inodes``
    the files and folders it creates there, ``free_inodes`` how many the filesystem can
    still create (``None``: no fixed number, or not known). ``space_at``: where the room
    was counted when that is not the destination's own filesystem: the copy root, where
    another filesystem (a drive) is mounted inside the destination (``paths.existing_folder``);
    the findings about room and inodes name it (``space.shown_where``). ``below``: the
    checks of the drives mounted inside the copy root (``DEST/A006/CLIPS``,
    ``drives.mounted_below``), one each, counting what lands on that drive (its files and
    bytes, its room and inodes, ``space_at`` its mount point); this check counts the rest.
    ``folder_dev``: the device of ``<destination>/`` as the preflight first looked at it
    (None: not there, or not looked at), which the plan's devices keep
    (``card._destination_devices``): a drive pulled while the plan is made is lost, its
    empty mount point never taken for it.
    """

    index: int
    destination: Path
    st_dev: int | None = None
    filesystem: FilesystemInfo | None = None
    free_bytes: int | None = None
    block_size: int | None = None
    bytes_to_copy: int = 0
    files_to_copy: int = 0
    files_present: int = 0
    required_bytes: int = 0
    free_inodes: int | None = None
    required_inodes: int = 0
    # The partial files an interrupted run left where this offload writes (``plan.strays``):
    # the run removes them before its first byte, so their room counts as free.
    reclaimable_bytes: int = 0
    # Room that writing again the copies ``--reverify`` reads back would take, were they
    # found wrong (``space.rewrite_room``): not in ``required_bytes`` (a copy of ours is
    # expected to verify), but a warning says when the free space falls short of it.
    rewrite_if_wrong_bytes: int = 0
    space_at: Path | None = None
    below: tuple[DestinationCheck, ...] = ()
    folder_dev: int | None = None


@dataclass(frozen=True)
class PreflightReport:
    """Findings in a deterministic order: source findings first, then per destination in
    the given order, then findings across destinations."""

    errors: tuple[PreflightItem, ...]
    warnings: tuple[PreflightItem, ...]
    destinations: tuple[DestinationCheck, ...]

    @property
    def ok(self) -> bool:
        """No error: the copy may start."""
        return not self.errors


def human_bytes(n: int) -> str:
    """``1.5 GB``: decimal units, as Finder and the cameras count (rich's formatting)."""
    return filesize.decimal(n)


def join_paths(paths: Sequence[object]) -> str:
    """*paths* as one list in words ("a, b and c"), each as the terminal shows it
    (``printable_name``: a control character or a byte that is not UTF-8 escaped; a name
    already printable is left as it is)."""
    return word_list([printable_name(str(p)) for p in paths])


def kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISREG(mode):
        return "a file"
    return "a special file"


def _shown(path: Path | None, message: str) -> str:
    """*message* with the finding's *path* in it as the terminal shows it (``printable_name``):
    a line break in a path typed on the command line must not cut the message's one line in
    two (the second printed as an ``ERROR:`` line of its own). The item's ``path`` keeps the
    exact name."""
    if path is None:
        return message
    raw = str(path)
    shown = printable_name(raw)
    return message if shown == raw else message.replace(raw, shown)


class Findings:
    """Errors and warnings in the order the checks find them."""

    def __init__(self) -> None:
        self.errors: list[PreflightItem] = []
        self.warnings: list[PreflightItem] = []
        # The --into remedy each destination refusing the card folder's name was given:
        # its index -> (the card's path, the folder, as command words; the words said),
        # which names.one_into_command makes one command for every destination.
        self.into_commands: dict[int, tuple[str, str, str]] = {}

    def error(
        self,
        code: C,
        path: Path | None,
        message: str,
        index: int | None = None,
        *,
        errno: int | None = None,
    ) -> None:
        self.errors.append(PreflightItem(code, path, _shown(path, message), index, errno=errno))

    def warning(
        self,
        code: C,
        path: Path | None,
        message: str,
        index: int | None = None,
        indices: tuple[int, ...] = (),
    ) -> None:
        self.warnings.append(
            PreflightItem(code, path, _shown(path, message), index, indices=indices)
        )

    def add(
        self, *, is_error: bool, code: C, path: Path | None, message: str, index: int | None
    ) -> None:
        (self.errors if is_error else self.warnings).append(
            PreflightItem(code, path, _shown(path, message), index)
        )
