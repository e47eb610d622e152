"""Where the scanned tree lands on each destination."""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from offload.plan.scan import SourceTree


@dataclass(frozen=True)
class DestinationPlan:
    """One destination and the folder that receives the source's content there.

    ``destination`` is the folder the user named (absolute, not resolved). ``root`` is where
    the tree's relative paths are anchored: ``destination/<source folder name>`` by default (as
    ``cp -r SRC DEST`` does), ``destination`` itself with ``into``. For a single-file source,
    ``root`` is ``destination`` and the file's relative path is its name.
    ``creates_root`` says whether ``root`` is a folder of its own below ``destination``.
    """

    index: int
    destination: Path
    root: Path
    creates_root: bool
    # A single-file source copied under a name of its own here (``pfndispatchcopy SRC
    # DEST/other.mov``): the final name of the file, in the folder ``root``.
    file_name: str | None = None
    # The destination as the user typed it, where that is not ``destination`` (a relative
    # path, ``..``): what a message about it names first (``as_typed``).
    given: str | None = None

    def as_typed(self) -> str:
        """The destination as the user typed it, then as ``destination`` where that differs
        (``d2 (/x/d2)``); ``destination`` alone where they are one."""
        if self.given is None:
            return str(self.destination)
        return f"{self.given} ({self.destination})"

    def target_for(self, relative_path: str) -> Path:
        """The final path here of the entry at ``relative_path`` (``/``-separated)."""
        if self.file_name is not None:
            return self.root / self.file_name
        # One parse of a joined string: joinpath(*parts) was a hot spot on 5,000-file cards.
        return Path(self.target_text(relative_path))

    def target_text(self, relative_path: str) -> str:
        """``str(target_for(relative_path))`` without making a Path (~10 µs each: the
        preflight and the stray-partial sweep ask for every file of a 50,000-file card)."""
        if self.file_name is not None:
            return f"{self.root}/{self.file_name}"
        return self._root_slash + relative_path

    @functools.cached_property
    def _root_slash(self) -> str:
        """``f"{root}/"``, made once (the plan asks for a target for each file ~3 times)."""
        return f"{self.root}/"


class AbsentFolders:
    """Which folders on a destination are absent, each asked once: the plan's question "is
    anything at this final path?" answered without an ``lstat`` of the path when the folder
    that would hold it is not there (``os.stat`` of it: ENOENT or ENOTDIR, or it is no
    folder, as the ``lstat`` of any name in it would fail). Into an empty destination a
    card of 50,000 files in 50 folders made 50,000 failing ``lstat``s, an ``OSError`` each
    (~5 µs); now 50 ``stat``s.
    A folder found there (or that cannot be asked about: EACCES) says nothing: its names
    are looked up one by one as before. A snapshot, as the ``lstat``s were: the plan
    writes nothing."""

    __slots__ = ("_absent",)

    def __init__(self) -> None:
        self._absent: dict[str, bool] = {}  # folder (as the path spells it) -> absent

    def holds_nothing_at(self, path: str) -> bool:
        """True only when the folder of *path* (absolute, ``/``-separated) is absent, so
        nothing is at *path*; False when it is there or unknown."""
        return self.holds_nothing_in(path.rpartition("/")[0] or "/")

    def holds_nothing_in(self, folder: str) -> bool:
        """True only when *folder* (absolute, as the paths spell it) is absent, so nothing
        is at any path below it; False when it is there or unknown."""
        absent = self._absent.get(folder)
        if absent is None:
            try:
                # A file there is no folder: a name in it is ENOTDIR to lstat too.
                absent = not stat.S_ISDIR(os.stat(folder).st_mode)
            except (FileNotFoundError, NotADirectoryError):
                absent = True
            except (OSError, ValueError):  # cannot be asked (EACCES, ELOOP, a NUL): look
                absent = False
            self._absent[folder] = absent
        return absent


def plan_destinations(
    tree: SourceTree,
    source_root: Path,
    destinations: Sequence[Path],
    *,
    into: bool,
) -> list[DestinationPlan]:
    """Plan one :class:`DestinationPlan` per destination, in the order given.

    By default a folder source goes to ``DEST/<source folder name>/``; with ``into=True`` its
    content goes directly into ``DEST``. A single-file source always goes to
    ``DEST/<file name>`` (``into`` changes nothing). Nothing is touched on disk: existence,
    overlaps and the like are :func:`~offload.plan.preflight.preflight`'s job.

    Raises ``ValueError`` when ``destinations`` is empty, when ``source_root`` is not the root
    ``tree`` was scanned from, or when the source has no name to give its folder (the
    filesystem root ``/``: use ``into=True``).
    """
    if not destinations:
        raise ValueError("no destination given")
    source_abs = Path(os.path.abspath(source_root))
    if source_abs != tree.root:
        raise ValueError(f"the tree was scanned from {tree.root}, not from {source_abs}")
    creates_root = not tree.root_is_file and not into
    name = copy_root_name(tree, into=into)
    if creates_root and not name:
        raise ValueError(f"{source_abs} has no name to give its folder: copy with into=True")
    plans: list[DestinationPlan] = []
    for index, dest in enumerate(destinations):
        dest_abs = Path(os.path.abspath(dest))
        root = dest_abs / name if creates_root else dest_abs
        given = None if str(dest) == str(dest_abs) else str(dest)
        plans.append(DestinationPlan(index, dest_abs, root, creates_root, given=given))
    return plans


def copy_root_name(tree: SourceTree, *, into: bool) -> str:
    """The name of the folder a copy of *tree* makes in each destination, its copy root
    there (``DEST/<source folder name>/``); "" when the copy root is the destination itself
    (``into``, or a single-file source), or when the source (``/``) has no name."""
    return "" if tree.root_is_file or into else tree.root.name


def plan_file_targets(tree: SourceTree, targets: Sequence[Path | str]) -> list[DestinationPlan]:
    """Plan a single-file source onto explicit targets, as ``cp SRC DEST`` does: a target
    that is an existing folder receives the file under its own name; so does one written
    with a trailing ``/`` (``newdir/``: a folder, as for ``s3://bucket/folder/``), which is
    planned as ``newdir/<source name>``, so that a folder missing there is refused, or made
    with ``create_folders``, never taken for the file's own name (``cp`` refuses it too:
    "Not a directory"). Any other target is the final file path (its folder is the
    destination). Nothing is touched on disk beyond telling folders from other paths; the
    preflight checks the rest.

    Raises ``ValueError`` when the tree is not a single file or there is no target.
    """
    if not tree.root_is_file:
        raise ValueError("explicit targets are for a single-file source")
    if not targets:
        raise ValueError("no destination given")
    plans: list[DestinationPlan] = []
    for index, target in enumerate(targets):
        target_abs = Path(os.path.abspath(target))
        if _is_folder(target_abs):
            plans.append(DestinationPlan(index, target_abs, target_abs, False))
        elif str(target).endswith("/"):  # a folder to be, Path() would drop the slash
            name = tree.files[0].relative_path
            plans.append(DestinationPlan(index, target_abs, target_abs, False, file_name=name))
        else:
            folder = target_abs.parent
            plans.append(DestinationPlan(index, folder, folder, False, file_name=target_abs.name))
    return plans


def _is_folder(path: Path) -> bool:
    """Whether *path* is a folder now; False when it cannot be asked (a name or path too
    long, ENAMETOOLONG: Python 3.11's ``Path.is_dir`` raises it; EACCES, ELOOP...): it is
    then planned as a file's path, and the preflight names what is wrong with it, one line
    (a name too long there, ``name-too-long``; a path too long, ``path-too-long``)."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
