"""What a symbolic link of a copied card is to an ASC MHL manifest, and how the reference tool
(``ascmhl`` 1.2) is told to skip the ones it cannot judge.

ascmhl follows links while it walks (``os.path.isdir``, ``open``): a link to a file is a file
to it, hashed through the link; a link to a folder is a folder it does not enter (``verify``
skips it, ``verify -dh`` crashes looking up its hashes); a link that dangles or loops is a
file it cannot open (``verify`` calls it new, exit 21; ``-dh`` crashes). A link that leaves
the card (an absolute target such as ``/etc/hostname``, or ``../..`` past the card's root)
leads to content of one machine: hashed there, it would not verify anywhere else, and the
manifest would claim a hash of something that is not part of the card.

So a link is *listed* (:attr:`LinkKind.FILE`) only when following it, one step at a time and
never through an absolute target, stays inside the card's copy and ends on a regular file
(and, the manifests writer adds, a file it records as the card's, verified there);
every other link is *ignored*: the generation names it in its own ``<ignore>`` list with a
pattern that matches that one path (:func:`exact_pattern`), so the reference tool (and
``offload verify``, which reads the same list) skips it. The copy keeps every link a link.
A later generation carries that pattern until a file or folder it records stands at that path
(:func:`exact_pattern_path` tells such a pattern from any other; ``offload.manifest.ascmhl``
drops it then).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path

from offload.ledger import STATE_FOLDER
from offload.manifest.layout import ASCMHL_FOLDER

# The kernel's limit on links followed in one lookup (MAXSYMLINKS on Linux).
_MAX_HOPS = 40

# What is inside a copy root but not the card's content: the history and our own state.
_NOT_CARD_CONTENT = (ASCMHL_FOLDER, STATE_FOLDER)


class LinkKind(StrEnum):
    """What following a link inside a copy root finds (module doc)."""

    FILE = "file"  # a regular file of the card: listed with the content it leads to
    FOLDER = "folder"  # a folder of the card: ignored (ascmhl does not enter it)
    DANGLING = "dangling"  # leads to nothing: ignored
    LOOP = "loop"  # links that lead back to themselves: ignored
    OUTSIDE = "outside"  # leaves the card (absolute, or ``..`` past its root): ignored


#: Why a link of each ignored kind is not listed, as a report says it.
IGNORED_BECAUSE: dict[LinkKind, str] = {
    LinkKind.FOLDER: "it leads to a folder (ascmhl does not follow links to folders)",
    LinkKind.DANGLING: "it leads nowhere (dangling)",
    LinkKind.LOOP: "it loops (its target leads back to a link on the way)",
    LinkKind.OUTSIDE: "it leads out of the card (its content is not part of the card)",
}


def classify_link(root: Path, relative: str) -> LinkKind:
    """Follow the link at *relative* (``/``-separated, below *root*) inside *root* only.

    Each link met on the way is replaced by its target, as the kernel does; an absolute
    target, or a ``..`` above *root*, is :attr:`LinkKind.OUTSIDE`; more than 40 links is a
    :attr:`LinkKind.LOOP`; a missing entry (or a file where a folder is needed) is
    :attr:`LinkKind.DANGLING`. Ends on a regular file outside ``ascmhl/`` and ``.offload/``:
    :attr:`LinkKind.FILE`; on a folder: :attr:`LinkKind.FOLDER`; on anything else (a device,
    a FIFO, our own state): :attr:`LinkKind.OUTSIDE`. Raises OSError only for an error other
    than a missing entry (EACCES, EIO).
    """
    return resolve_link(root, relative)[0]


def resolve_link(root: Path, relative: str) -> tuple[LinkKind, str | None]:
    """:func:`classify_link`, with the path (``/``-separated, below *root*) of the file the
    link ends on for :attr:`LinkKind.FILE` (else None): the entry whose content following
    the link reads there."""

    def mode_of(path: str) -> int | None:
        try:
            return os.lstat(os.path.join(root, path)).st_mode
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return None
            raise

    return follow_link(relative, mode_of, lambda path: os.readlink(os.path.join(root, path)))


def follow_link(
    relative: str, mode_of: Callable[[str], int | None], read_link: Callable[[str], str]
) -> tuple[LinkKind, str | None]:
    """The walk of :func:`resolve_link` over any tree: *mode_of* gives the ``st_mode`` of a
    path below the root (None: no such entry), *read_link* a link's target. On a
    destination the disk answers; for the card, its scan (:func:`offload.link_targets`), so
    that the card need not be read again after the copy (a cascade has released it)."""
    pending = relative.split("/")
    resolved: list[str] = []
    hops = 0
    mode = stat.S_IFDIR  # the root
    while pending:
        name = pending.pop(0)
        if name in ("", "."):
            continue
        if not stat.S_ISDIR(mode):
            return LinkKind.DANGLING, None  # ENOTDIR: a file where a folder is needed
        if name == "..":
            if not resolved:
                return LinkKind.OUTSIDE, None
            resolved.pop()
            continue
        path = "/".join((*resolved, name))
        found = mode_of(path)
        if found is None:
            return LinkKind.DANGLING, None
        mode = found
        if not stat.S_ISLNK(mode):
            resolved.append(name)
            continue
        hops += 1
        if hops > _MAX_HOPS:
            return LinkKind.LOOP, None
        target = read_link(path)
        if target.startswith("/"):
            return LinkKind.OUTSIDE, None
        pending[:0] = target.split("/")
        mode = stat.S_IFDIR  # the link's folder, where its target is looked up
    if stat.S_ISDIR(mode):
        return LinkKind.FOLDER, None  # the card's root included
    if stat.S_ISREG(mode) and resolved and resolved[0] not in _NOT_CARD_CONTENT:
        return LinkKind.FILE, "/".join(resolved)
    return LinkKind.OUTSIDE, None


_GLOB = frozenset("\\*?[")


def exact_pattern(relative: str) -> str:
    """An ignore pattern (gitwildmatch) that matches *relative* and, below a root, nothing
    but paths ending with it: ``**/`` then the path with every glob character escaped.

    The leading ``**/`` is needed because ascmhl-debug ``verify`` matches patterns against absolute
    paths (``offload.manifest.ignore``); :func:`pattern_hides` tells whether such a pattern
    would also hide another path of the tree.
    """
    escaped = "".join("\\" + c if c in _GLOB else c for c in relative)
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "  # a name's trailing space, not the line's
    return "**/" + escaped


def exact_pattern_path(pattern: str) -> str | None:
    """The path *pattern* names when it is exactly what :func:`exact_pattern` writes for one
    path (``**/`` then the path, every glob character escaped), else None (a pattern with a
    wildcard, a character class, no leading ``**/``...)."""
    if not pattern.startswith("**/"):
        return None
    body = pattern[3:]
    path: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            path.append(body[index + 1])
            index += 2
            continue
        if char in _GLOB:
            return None  # a wildcard or a class: matches more than one path
        path.append(char)
        index += 1
    named = "".join(path)
    return named if named and exact_pattern(named) == pattern else None


def pattern_hides(
    ignored: Iterable[str], listed: Iterable[str], root: Path, *, itself: bool = False
) -> dict[str, str]:
    """Which of the *ignored* paths' :func:`exact_pattern` would also match a *listed* path
    (a file or folder the manifest records), relative to the root or as ascmhl-debug ``verify``
    sees it (absolute, below *root*): ``{ignored path: listed path it would hide}``.

    ``**/L`` matches a path holding L's segments in a row, from the start or after a ``/``,
    and whatever is below them (gitwildmatch: an ignored folder's content is ignored); below
    an absolute root it also matches a path starting with the rest of L when L's first
    segments name the root's own last folders, and everything when L's segments name
    folders of the root's own path in a row (a link ``RAID0`` in a copy root
    ``/mnt/RAID0/A001``: ascmhl would skip the whole tree). A listed path that is itself
    among *ignored* is passed over, unless *itself* (then its own pattern hides it too).
    """
    wanted = set(ignored)
    across: dict[str, str] = {}  # the rest of L -> L, for L that starts in the root's path
    above: list[str] = []  # L inside the root's own path
    root_parts = Path(os.path.abspath(root)).parts[1:]
    for path in wanted:
        segments = tuple(path.split("/"))
        for cut in range(1, len(segments)):
            if root_parts[len(root_parts) - cut :] == segments[:cut]:
                across.setdefault("/".join(segments[cut:]), path)
        if any(
            root_parts[start : start + len(segments)] == segments
            for start in range(len(root_parts) - len(segments) + 1)
        ):
            above.append(path)
    found: dict[str, str] = {}
    for other in listed:
        for path in above:
            found.setdefault(path, other)
        if other in wanted and not itself:
            continue
        parts = other.split("/")
        for start in range(len(parts)):
            for end in range(start + 1, len(parts) + 1):
                run = "/".join(parts[start:end])
                if run in wanted:
                    found.setdefault(run, other)
                if start == 0 and run in across:
                    found.setdefault(across[run], other)
    return found
