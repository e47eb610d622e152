"""Scan a source (a card's folder tree, or one file) into a :class:`SourceTree`.

The walk (:func:`offload.walk.walk_tree`) is deterministic and never hides an error: a dying
card must not look like an empty one (``os.walk`` swallows errors unless given ``onerror``).
"""

from __future__ import annotations

import errno
import os
import stat
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from offload.model import SourceFile, SourceSymlink
from offload.plan.filesystem import within
from offload.plan.ignore import IgnoreRules
from offload.plan.names import NAME_MAX_BYTES, PATH_MAX_BYTES, PATH_MAX_WORDS
from offload.walk import walk_tree


class ScanError(OSError):
    """The scan could not read part of the source; nothing is ever skipped silently.

    ``filename`` (and ``path``) name the entry, ``errno``/``strerror`` come from the OS, and
    ``operation`` says what failed (``"stat"``, ``"lstat"``, ``"list folder"``, ``"readlink"``).
    ``errno`` is ``None`` when the OS reported nothing (an unsupported root type, whose
    ``kind`` says what it is: a fifo, a character device...).
    """

    def __init__(
        self, path: Path, operation: str, err: int | None, strerror: str, kind: str = ""
    ) -> None:
        super().__init__(err, strerror, str(path))
        self.path = path
        self.operation = operation
        self.kind = kind
        # The card's other permission problems the scan found (``scan_source``: it walks on
        # past each): the folders after this one, then the files this user may not read
        # (relative paths), each named by ``refusal`` in a line of its own.
        self.others: tuple[ScanError, ...] = ()
        self.unreadable: tuple[str, ...] = ()
        # The scan stopped at MEDIA_ERRORS_NAMED entries the media would not give: there
        # may be more (``refusal`` says so).
        self.more = False

    def __str__(self) -> str:
        from offload.errors import printable_name  # a name's line break escaped: one line

        shown = printable_name(str(self.path))
        if self.errno is None:
            return f"cannot {self.operation} {shown}: {self.strerror}"
        name = errno.errorcode.get(self.errno, str(self.errno))
        return f"cannot {self.operation} {shown}: {self.strerror} ({name})"

    def refusal(self, root: Path) -> str:
        """The line that refuses a copy of *root* for this error, then one each for the
        others the scan found (``others``, ``unreadable``: README, each permission problem
        named), each with what to do."""
        # One entry alone: its line says its --ignore copies the rest. Several: each line
        # says how to leave its own out, and one line says all of them together do (never
        # when the scan stopped: what it did not reach may need more).
        alone = not self.others and not self.unreadable and not self.more
        lines = [self._refusal(root, alone), *(o._refusal(root, False) for o in self.others)]
        lines += [unreadable_refusal(root, relative) for relative in self.unreadable]
        media = any(e.errno in MEDIA_ERRORS for e in (self, *self.others))
        if media and not alone and not self.more:
            lines.append(
                "with every --ignore above, the same command copies the rest of the card "
                "(the card is then kept, those entries not copied)"
            )
        if self.more:
            lines.append(
                f"the scan stopped after {MEDIA_ERRORS_NAMED} entries the card would not "
                "give: there may be more; the card or its reader may be failing (try "
                "another reader before leaving more of the card out)"
            )
        return "\n".join(lines)

    def _refusal(self, root: Path, alone: bool = True) -> str:
        """The one line that refuses a copy of *root* for this error, with what to do: for
        a permission, the remedies that leave the card as it is (read access, or --ignore
        of that entry); for an entry whose lstat is refused, the folder that holds it, which
        can be listed but not searched (no x permission: every entry in it is refused alike);
        for a path longer than Linux can name, --ignore of that entry (the card is not at
        fault); for an entry the media would not give (EIO: ``MEDIA_ERRORS``), a check of
        the card and its reader, then the --ignore that leaves it out (*alone*: the one
        problem found, so that --ignore copies the rest in one more run; else ``refusal``'s
        last line says all of them together do) (a folder's pattern ends in "/", an entry's
        lstat failed has none: its kind is unknown, and the rules are asked once its lstat
        fails); else a check of the card and its reader. Each path as ``printable_name``
        spells it, each --ignore pattern a ``pasteable_word``: a name cannot forge a line."""
        from offload.errors import pasteable_word, printable_name

        shown = printable_name(str(self.path))
        if self.path == root and (self.errno is None or self.errno == errno.ELOOP):
            # SOURCE itself is no card (a mistyped path, a device): nothing to check there.
            what = (
                "a symbolic link that loops (it leads back to itself)"
                if self.errno == errno.ELOOP
                else f"a {self.kind}"
                if self.kind
                else "neither a file nor a folder"
            )
            return (
                f"source {shown} is {what}, not a card's folder or a file; nothing was "
                "copied (give the card's folder, or one file of it, as SOURCE)"
            )
        if (
            self.errno == errno.EACCES
            and self.operation == "lstat"
            and not _may_search(self.path.parent)
        ):
            return _unsearchable_folder_refusal(self.path.parent, root)
        if self.errno in (errno.EACCES, errno.ENAMETOOLONG) and self.path != root:
            from offload.manifest.links import exact_pattern  # glob characters escaped

            relative = os.path.relpath(self.path, root)
            anchored = "/" + exact_pattern(relative).removeprefix("**/")
            if self.errno == errno.ENAMETOOLONG:
                # Not listed (its lstat failed): its kind is unknown, so the pattern has no
                # trailing "/" and the scan asks the rules before its lstat (scan_source).
                size = len(os.fsencode(str(self.path)))
                limit = (
                    f"{size:,} bytes long: {PATH_MAX_WORDS}"
                    if size >= PATH_MAX_BYTES
                    else f"a name in it is longer than Linux takes ({NAME_MAX_BYTES} bytes, "
                    "NAME_MAX)"
                )
                return (
                    f"path too long: {shown} is {limit}, so it cannot be read; nothing "
                    "was copied (the card and the reader are not at fault: leave it out with "
                    f"--ignore {pasteable_word(anchored)})"
                )
            pattern = pasteable_word(anchored + "/")
            return (
                f"permission denied: cannot {self.operation} {shown}; nothing was copied "
                "(give this user read access to it, or run as a user who may read the card, "
                f"or leave it out with --ignore {pattern})"
            )
        if self.errno in MEDIA_ERRORS and self.path != root:
            from offload.manifest.links import exact_pattern  # glob characters escaped

            relative = os.path.relpath(self.path, root)
            anchored = "/" + exact_pattern(relative).removeprefix("**/")
            what = "entry"
            if self.operation == "list folder":
                anchored, what = anchored + "/", "folder"
            if not alone:
                return (
                    f"cannot read the source completely: {self}; nothing was copied (check "
                    "the card and the reader, or leave it out with --ignore "
                    f"{pasteable_word(anchored)})"
                )
            return (
                f"cannot read the source completely: {self}; nothing was copied (check the "
                "card and the reader; to copy the rest of the card, run the same command "
                f"with --ignore {pasteable_word(anchored)}: the card is then kept, "
                f"that {what} not copied)"
            )
        return (
            f"cannot read the source completely: {self}; nothing was copied "
            "(check the card and the reader)"
        )


#: The errors of an entry the card's media would not give (a bad sector in a folder's
#: table, a damaged inode: ext4's EUCLEAN, exFAT's or btrfs's EBADMSG): the scan walks on
#: past each, so one refusal names every such entry with the --ignore that leaves it out,
#: and the rest is copied in one more run, not one run an entry. Any other error (the card
#: gone: ENODEV, ENOTCONN, ESTALE...) stops the scan at once.
MEDIA_ERRORS = frozenset({errno.EIO, errno.EBADMSG, errno.EUCLEAN})

#: At most this many such entries named: a card pulled mid-scan, or a reader dying, fails
#: every read alike; past these the scan stops rather than read (and wear) the rest.
MEDIA_ERRORS_NAMED = 10


def unreadable_refusal(root: Path, relative: str, *, root_is_file: bool = False) -> str:
    """The line naming a file of the card at *relative* below *root* (or *root* itself, a
    file) that this process may not read, with the remedies that leave the card as it is."""
    from offload.errors import pasteable_word, printable_name
    from offload.manifest.links import exact_pattern  # its escaping of glob characters

    path = root if root_is_file else root / relative
    pattern = "/" + exact_pattern(relative).removeprefix("**/")
    return (
        f"permission denied: {printable_name(str(path))} cannot be read by this user "
        f"(uid {os.geteuid()}): give it read access (or run as a user who may read the "
        f"card), or leave it out with --ignore {pasteable_word(pattern)}"
    )


def _may_search(folder: Path) -> bool:
    """Whether this process may search *folder* (x permission, its effective ids): where it
    may not, an entry's refused ``lstat`` is that folder's doing, not the entry's."""
    effective = os.access in os.supports_effective_ids
    return os.access(folder, os.X_OK, effective_ids=effective)


def _unsearchable_folder_refusal(folder: Path, root: Path) -> str:
    """The refusal for a *folder* of the card (or the card's root) this user may list but
    not search (``r`` without ``x``): the ``lstat`` of each entry in it is refused, so the
    remedy is x permission on that folder or --ignore of the whole folder (an --ignore of
    one entry in it cannot help: the others are refused alike). The folder as
    ``printable_name`` spells it, the pattern a ``pasteable_word``: one line whatever the
    name."""
    from offload.errors import pasteable_word, printable_name

    leave_out = ""
    if folder != root:
        from offload.manifest.links import exact_pattern  # glob characters escaped

        relative = os.path.relpath(folder, root)
        pattern = pasteable_word("/" + exact_pattern(relative).removeprefix("**/") + "/")
        leave_out = f", or leave it out with --ignore {pattern}"
    return (
        f"permission denied: folder {printable_name(str(folder))} can be listed but not "
        "searched, so the files in it cannot be read; nothing was copied (give this user x "
        f"(search) permission on it, or run as a user who may read the card{leave_out})"
    )


class SpecialKind(StrEnum):
    """Kinds of entry that are neither file, folder nor symlink; the copy skips them."""

    FIFO = "fifo"
    SOCKET = "socket"
    CHAR_DEVICE = "character device"
    BLOCK_DEVICE = "block device"
    OTHER = "unknown type"


class SkippedEntry(NamedTuple):
    """A special file the scan saw and the copy will skip (reported as a warning)."""

    path: Path
    relative_path: str
    kind: SpecialKind


class SourceTree(NamedTuple):
    """What a scan found, in deterministic order.

    Every sequence is in walk order: depth first, the entries of each folder sorted by the
    bytes of their names (``os.fsencode``), a folder listed just before its content. That is
    *not* the order of sorting whole relative paths (``a/b`` comes before ``a-b``).

    - ``root``: the absolute source path as given (not resolved; a symlink root is followed).
    - ``root_is_file``: the source is one regular file; ``files`` then holds it alone, with its
      name as ``relative_path``, and ``directories`` is empty.
    - ``directories``: every folder below the root, empty ones included (``/``-separated,
      relative; the root itself is not listed).
    - ``symlinks``: links copied as links, never followed. ``outside_symlinks`` holds the
      relative paths of those whose target leaves the source: an absolute target (copied
      verbatim it still points at the card, wherever it lands) or a relative one that resolves
      (following further links) outside the source root.
    - ``skipped``: fifos, sockets and devices, which are not copied.
    - ``ignored``: relative paths of entries left out by the ignore rules (an ignored folder's
      content is not listed, nor looked at: how many files it holds is not known).
    - ``ignored_folders``: those of them that are folders (the reports say "1 folder
      (PROXY/)", not "1 entry").
    - ``root_dev``/``root_ino``: identity of the root (after following a symlink root).
    - ``unreadable``: relative paths of the files this process may not open for reading
      (their permissions, as ``_Reader.may_read`` judges them); the preflight refuses them.
    """

    root: Path
    root_is_file: bool
    files: tuple[SourceFile, ...]
    directories: tuple[str, ...]
    symlinks: tuple[SourceSymlink, ...]
    skipped: tuple[SkippedEntry, ...]
    ignored: tuple[str, ...]
    outside_symlinks: frozenset[str] = frozenset()
    root_dev: int = 0
    root_ino: int = 0
    unreadable: tuple[str, ...] = ()
    ignored_folders: frozenset[str] = frozenset()

    @property
    def total_bytes(self) -> int:
        return sum(f.size_bytes for f in self.files)

    @property
    def file_count(self) -> int:
        return len(self.files)

    @property
    def directory_count(self) -> int:
        return len(self.directories)

    @property
    def symlink_count(self) -> int:
        return len(self.symlinks)

    def points_outside(self, link: SourceSymlink) -> bool:
        """Whether ``link``'s target leaves the source (see the class docstring)."""
        return link.relative_path in self.outside_symlinks


#: Threads that list the card's folders (and ``lstat`` their entries) ahead of the scan's
#: walk (``walk_tree``'s *workers*): a cold card's metadata reads several in flight at once.
#: Few: a flash card or an SSD serves parallel reads, a spinning disk seeks between them
#: (docs/performance.md, "The cold scan's folders listed ahead: thirtieth pass").
SCAN_THREADS = 4


def _error(path: Path, operation: str, exc: OSError) -> ScanError:
    return ScanError(path, operation, exc.errno, exc.strerror or str(exc))


_READ_BY_ALL = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


class _Reader:
    """Who reads the card: whether a file's permissions let this process open it.

    Judged from the ``lstat`` the scan made (no call a file): a file readable by all, or any
    file for root (which permissions do not stop), passes at once; one the mode bits refuse is
    asked of the kernel (``access``, the effective ids: an ACL may still grant it). A file
    they allow but an ACL, a FUSE program or the media refuses fails at read time, that file
    alone, as any read error does.
    """

    __slots__ = ("euid", "groups")

    def __init__(self) -> None:
        self.euid = os.geteuid()
        self.groups = frozenset((os.getegid(), *os.getgroups()))

    def may_read(self, path: str, st: os.stat_result) -> bool:
        mode = st.st_mode
        if mode & _READ_BY_ALL == _READ_BY_ALL or self.euid == 0:
            return True
        if st.st_uid == self.euid:
            allowed = bool(mode & stat.S_IRUSR)
        elif st.st_gid in self.groups:
            allowed = bool(mode & stat.S_IRGRP)
        else:
            allowed = bool(mode & stat.S_IROTH)
        effective = os.access in os.supports_effective_ids
        return allowed or os.access(path, os.R_OK, effective_ids=effective)


def _special_kind(mode: int) -> SpecialKind:
    if stat.S_ISFIFO(mode):
        return SpecialKind.FIFO
    if stat.S_ISSOCK(mode):
        return SpecialKind.SOCKET
    if stat.S_ISCHR(mode):
        return SpecialKind.CHAR_DEVICE
    if stat.S_ISBLK(mode):
        return SpecialKind.BLOCK_DEVICE
    return SpecialKind.OTHER


def _leaves_source(link_path: Path, target: str, root_real: str) -> bool:
    if os.path.isabs(target):
        return True
    resolved = os.path.realpath(os.path.join(os.path.dirname(link_path), target))
    return not within(resolved, root_real)


def scan_source(root: Path, *, ignore: IgnoreRules | None = None) -> SourceTree:
    """Walk ``root`` (a folder or a single file) and return what a copy must reproduce.

    Names are kept exactly as the filesystem returns them (no Unicode normalisation; bytes that
    are not UTF-8 come back as surrogate escapes, as ``os.fsdecode`` does). Symlinks are
    recorded, never followed, except when ``root`` itself is one. ``ignore`` defaults to
    :meth:`IgnoreRules.default`.

    Raises :class:`ScanError` (an ``OSError``) naming the path for any failure: the root
    missing or neither a file nor a folder, a folder that cannot be listed, an entry that
    vanishes or cannot be ``lstat``-ed, a link that cannot be read. Blocks for as long as the
    walk takes; does no writing; safe to call from any thread.
    """
    rules = ignore if ignore is not None else IgnoreRules.default()
    root = Path(os.path.abspath(root))
    try:
        root_st = os.stat(root)
    except OSError as exc:
        raise _error(root, "stat", exc) from exc

    reader = _Reader()
    if stat.S_ISREG(root_st.st_mode):
        only = SourceFile(
            path=root,
            relative_path=root.name,
            size_bytes=root_st.st_size,
            mtime_ns=root_st.st_mtime_ns,
        )
        return SourceTree(
            root=root,
            root_is_file=True,
            files=(only,),
            directories=(),
            symlinks=(),
            skipped=(),
            ignored=(),
            root_dev=root_st.st_dev,
            root_ino=root_st.st_ino,
            unreadable=() if reader.may_read(str(root), root_st) else (root.name,),
        )
    if not stat.S_ISDIR(root_st.st_mode):
        kind = _special_kind(root_st.st_mode)
        raise ScanError(
            root, "scan", None, f"the source is a {kind}, not a file or folder", kind=kind
        )

    root_real = os.path.realpath(root)
    files: list[SourceFile] = []
    directories: list[str] = []
    symlinks: list[SourceSymlink] = []
    skipped: list[SkippedEntry] = []
    ignored: list[str] = []
    ignored_folders: set[str] = set()
    outside: set[str] = set()
    unreadable: list[str] = []
    # The folders this user may not list, or list but not search (EACCES), and the entries
    # the media would not give (MEDIA_ERRORS: at most MEDIA_ERRORS_NAMED): each named, the
    # walk going on past it, so that one refusal names every such problem of the card
    # (README), the unreadable files too, each with its --ignore; any other error stops the
    # scan at once.
    denied: list[ScanError] = []
    unsearchable: set[str] = set()
    media: list[ScanError] = []

    def refusal() -> ScanError:
        """The first problem found, by path (the walk may list folders on threads of its
        own: the same order each run), with the others beside it (``ScanError.others``)."""
        first, *others = sorted([*denied, *media], key=lambda one: os.fsencode(one.path))
        first.others, first.unreadable = tuple(others), tuple(unreadable)
        return first

    def media_error(error: ScanError) -> None:
        media.append(error)
        if len(media) == MEDIA_ERRORS_NAMED:
            stop = refusal()
            stop.more = True
            raise stop

    def unlistable(folder: Path, exc: OSError) -> None:
        if folder != root and exc.errno in MEDIA_ERRORS:
            media_error(_error(folder, "list folder", exc))
            return
        if exc.errno != errno.EACCES or folder == root:
            raise _error(folder, "list folder", exc) from exc
        denied.append(_error(folder, "list folder", exc))

    matches = rules.spec.matches  # IgnoreRules.matches, one call an entry less

    for item in walk_tree(root, on_error=unlistable, workers=SCAN_THREADS, lstat=True):
        rel = item.relative
        entry = item.entry
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            # An entry that cannot be lstat-ed (a path too long to name, over PATH_MAX; the
            # media's error) has a kind unknown: it is left out when the rules leave out a
            # file or a folder of that name (an exact --ignore of it, the remedy
            # ScanError.refusal gives).
            if exc.errno in (errno.ENAMETOOLONG, *MEDIA_ERRORS) and (
                matches(rel, is_dir=False) and matches(rel, is_dir=True)
            ):
                ignored.append(rel)
                continue
            path = Path(item.path)
            if exc.errno in MEDIA_ERRORS:
                media_error(_error(path, "lstat", exc))
                continue
            if exc.errno == errno.EACCES and not _may_search(path.parent):
                # Every entry of that folder is refused alike: the folder named once.
                if str(path.parent) not in unsearchable:
                    unsearchable.add(str(path.parent))
                    denied.append(_error(path, "lstat", exc))
                continue
            raise _error(path, "lstat", exc) from exc
        mode = st.st_mode
        if matches(rel, is_dir=stat.S_ISDIR(mode)):
            ignored.append(rel)
            if stat.S_ISDIR(mode):
                ignored_folders.add(rel)
        elif stat.S_ISDIR(mode):
            directories.append(rel)
            item.enter()
        elif stat.S_ISREG(mode):
            # The entry's own path text (not ``WalkEntry.path``'s call): no Path a file (see
            # SourceFile).
            path_text = entry.path
            files.append(SourceFile(path_text, rel, st.st_size, st.st_mtime_ns))
            # Readable by all (nearly every card file): no call (``_Reader.may_read``).
            if mode & _READ_BY_ALL != _READ_BY_ALL and not reader.may_read(path_text, st):
                unreadable.append(rel)
        elif stat.S_ISLNK(mode):
            path = Path(item.path)
            try:
                target = os.readlink(path)
            except OSError as exc:
                raise _error(path, "readlink", exc) from exc
            symlinks.append(SourceSymlink(path, rel, target, st.st_mtime_ns))
            if _leaves_source(path, target, root_real):
                outside.add(rel)
        else:
            skipped.append(SkippedEntry(Path(item.path), rel, _special_kind(mode)))

    if denied or media:
        raise refusal()
    return SourceTree(
        root=root,
        root_is_file=False,
        files=tuple(files),
        directories=tuple(directories),
        symlinks=tuple(symlinks),
        skipped=tuple(skipped),
        ignored=tuple(ignored),
        outside_symlinks=frozenset(outside),
        root_dev=root_st.st_dev,
        root_ino=root_st.st_ino,
        unreadable=tuple(unreadable),
        ignored_folders=frozenset(ignored_folders),
    )


__all__ = ["ScanError", "SkippedEntry", "SourceTree", "SpecialKind", "scan_source"]
