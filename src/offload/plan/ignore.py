"""Ignore rules: which entries of a source the scan leaves out.

A pattern is matched case-sensitively (``fnmatch.fnmatchcase``: ``*``, ``?``, ``[seq]``):

- without ``/``: against the entry's *name*, at any depth (``.DS_Store``, ``._*``);
- with ``/``: against the entry's ``/``-separated path relative to the source root, one path
  segment per pattern segment (``*`` never crosses a ``/``); a segment ``**`` matches zero or
  more segments; a leading ``/`` is allowed and changes nothing (paths are always anchored);
- a trailing ``/`` makes the pattern match folders only (``ascmhl/``, ``/ascmhl/``).

An ignored folder is not descended into. The root itself is never ignored.

Why each default is there (:data:`DEFAULT_IGNORE_PATTERNS`): these are written by an operating
system, never by a camera, and copying them makes manifests of the same card differ from one
computer to the next. Hidden files in general are *not* ignored: some cameras and tools write
dot-files that belong to the media.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

#: The default patterns, each with the reason it is safe to leave out.
DEFAULT_IGNORE_REASONS: dict[str, str] = {
    ".DS_Store": "macOS Finder view settings; ASC MHL ignores it by default too",
    "._*": "AppleDouble files: macOS stores Finder metadata and resource forks in them on "
    "exFAT/FAT cards; not media, and they differ per computer that mounted the card",
    ".Spotlight-V100": "macOS Spotlight index of the volume",
    ".fseventsd": "macOS file-system event log of the volume",
    ".Trashes": "macOS per-volume trash: files the user deleted, not the card's content",
    ".TemporaryItems": "macOS per-volume scratch folder",
    "System Volume Information": "Windows volume metadata (indexer GUID, restore points)",
    "$RECYCLE.BIN": "Windows per-volume recycle bin: deleted files",
    "Thumbs.db": "Windows Explorer thumbnail cache",
}

DEFAULT_IGNORE_PATTERNS: tuple[str, ...] = tuple(DEFAULT_IGNORE_REASONS)

#: The pattern that :attr:`IgnoreRules.exclude_root_ascmhl` adds: the ASC MHL history folder at
#: the source root (the manifest module copies or extends it; nested histories are kept).
ROOT_ASCMHL_PATTERN = "/ascmhl/"


def _split(pattern: str) -> tuple[str, ...]:
    return tuple(part for part in pattern.strip("/").split("/"))


def _match_segments(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not pattern:
        return not parts
    head = pattern[0]
    if head == "**":
        return any(_match_segments(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _match_segments(pattern[1:], parts[1:])


@dataclass(frozen=True)
class _Compiled:
    segments: tuple[str, ...]
    on_path: bool
    folders_only: bool

    def matches(self, relative_path: str, name: str, *, is_dir: bool) -> bool:
        if self.folders_only and not is_dir:
            return False
        if self.on_path:
            return _match_segments(self.segments, tuple(relative_path.split("/")))
        return fnmatchcase(name, self.segments[0])


def _compile(pattern: str) -> _Compiled:
    if not pattern or not pattern.strip("/"):
        raise ValueError(f"empty ignore pattern: {pattern!r}")
    folders_only = pattern.endswith("/")
    body = pattern.rstrip("/")
    on_path = "/" in body
    segments = _split(body)
    if any(not s for s in segments):
        raise ValueError(f"ignore pattern has an empty path segment: {pattern!r}")
    return _Compiled(segments=segments, on_path=on_path, folders_only=folders_only)


@dataclass(frozen=True)
class IgnoreRules:
    """A set of ignore patterns (see the module docstring for their syntax).

    ``exclude_root_ascmhl`` leaves out the ``ascmhl/`` folder at the source root. It is off by
    default so that a plain scan loses nothing: the integrator turns it on when the manifest
    module takes care of the source's ASC MHL history.

    Construct with :meth:`default`, :meth:`none`, or directly; derive with :meth:`adding` and
    :meth:`replacing`. Raises ``ValueError`` for an empty pattern.
    """

    patterns: tuple[str, ...] = DEFAULT_IGNORE_PATTERNS
    exclude_root_ascmhl: bool = False
    _compiled: tuple[_Compiled, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        compiled = [_compile(p) for p in self.patterns]
        if self.exclude_root_ascmhl:
            compiled.append(_compile(ROOT_ASCMHL_PATTERN))
        object.__setattr__(self, "_compiled", tuple(compiled))

    @classmethod
    def default(cls, *, exclude_root_ascmhl: bool = False) -> IgnoreRules:
        """The default OS-junk patterns."""
        return cls(DEFAULT_IGNORE_PATTERNS, exclude_root_ascmhl=exclude_root_ascmhl)

    @classmethod
    def none(cls) -> IgnoreRules:
        """No pattern at all: every entry is scanned."""
        return cls((), exclude_root_ascmhl=False)

    def adding(self, patterns: Iterable[str]) -> IgnoreRules:
        """These rules plus ``patterns`` (duplicates dropped, order kept)."""
        merged = tuple(dict.fromkeys((*self.patterns, *patterns)))
        return IgnoreRules(merged, exclude_root_ascmhl=self.exclude_root_ascmhl)

    def replacing(self, patterns: Iterable[str]) -> IgnoreRules:
        """Rules with exactly ``patterns`` (the ascmhl flag is kept)."""
        return IgnoreRules(tuple(patterns), exclude_root_ascmhl=self.exclude_root_ascmhl)

    def why(self, relative_path: str) -> str:
        """Why an ignored entry was left out: the first pattern that matches it (as a folder
        or a file) and, for a default pattern, the reason it is safe to leave out."""
        name = relative_path.rsplit("/", 1)[-1]
        patterns = [*self.patterns, *([ROOT_ASCMHL_PATTERN] if self.exclude_root_ascmhl else [])]
        for pattern, compiled in zip(patterns, self._compiled, strict=True):
            if compiled.matches(relative_path, name, is_dir=True) or compiled.matches(
                relative_path, name, is_dir=False
            ):
                if pattern in DEFAULT_IGNORE_REASONS:
                    return f"{pattern}: {DEFAULT_IGNORE_REASONS[pattern]}"
                if pattern == ROOT_ASCMHL_PATTERN:
                    return f"{pattern}: the card's ASC MHL history, carried and continued"
                return f"matches ignore pattern {pattern}"
        return "ignored"

    def matches(self, relative_path: str, *, is_dir: bool) -> bool:
        """Whether the entry at ``relative_path`` (``/``-separated, no leading ``/``) is ignored."""
        name = relative_path.rsplit("/", 1)[-1]
        return any(c.matches(relative_path, name, is_dir=is_dir) for c in self._compiled)
