"""Ignore rules: which entries of a source the scan leaves out.

A pattern is git's wildmatch syntax (``gitignore``), matched case-sensitively by the engine
the manifests use too (:mod:`offload.manifest.ignore`, built on ``pathspec``): ``*``, ``?``,
``[seq]``:

- without ``/``: against the entry's *name*, at any depth (``.DS_Store``, ``._*``);
- with ``/``: against the entry's ``/``-separated path relative to the source root, one path
  segment per pattern segment (``*`` never crosses a ``/``); a segment ``**`` matches zero or
  more segments (so ``CLIPS/**`` leaves out the folder ``CLIPS`` too, where git, and an
  ASC MHL ignore list, leave out only what is inside); a leading ``/`` is allowed and changes
  nothing (paths are always anchored);
- a trailing ``/`` makes the pattern match folders only (``ascmhl/``, ``/ascmhl/``);
- as in git, ``!`` re-includes (the last matching pattern wins), ``#`` starts a comment,
  ``\\`` escapes the next character and unescaped trailing spaces are dropped;
- a pattern added (:meth:`IgnoreRules.adding`, ``--ignore``) that is not ASCII is added in
  its composed (NFC) and decomposed (NFD) spellings too, right after it: a name a Mac wrote
  decomposed looks the same as the one a keyboard types composed, and a pattern typed as
  shown must leave it out (the report's reason names the pattern as given). Both spellings
  of one name on one card are both left out: no one can tell them apart on a screen.

An ignored folder is not descended into. The root itself is never ignored.

Why each default is there (:data:`DEFAULT_IGNORE_PATTERNS`): these are written by an operating
system (or its filesystem check: ``lost+found``, at the source's root only), never by a
camera, and copying them makes manifests of the same card differ from one
computer to the next. Each is a name matched at any depth (but ``lost+found``): a volume's
own files (its icon, its Spotlight switch) are found deeper too where a whole volume was
copied into a folder, and a name at any depth keeps the scan's test of a file one look at
its name (:mod:`offload.manifest.ignore`, ``_FileScreen``). Hidden files in general are
*not* ignored: some cameras and tools write dot-files that belong to the media. Every entry
left out is listed in the job report with its reason (:meth:`IgnoreRules.why`); a user's
``!`` pattern brings one back
(``--ignore '!.VolumeIcon.icns'``, added after the defaults: the last match wins), and no
default at all is applied with ``--no-default-ignore``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from offload.manifest.ignore import IgnoreSpec

#: The default patterns, each with the reason it is safe to leave out.
DEFAULT_IGNORE_REASONS: dict[str, str] = {
    ".DS_Store": "macOS Finder view settings; ASC MHL ignores it by default too",
    "._*": "AppleDouble files: macOS stores Finder metadata and resource forks in them on "
    "exFAT/FAT cards; not media, and they differ per computer that mounted the card",
    ".Spotlight-V100": "macOS Spotlight index of the volume",
    ".fseventsd": "macOS file-system event log of the volume",
    ".Trashes": "macOS per-volume trash: files the user deleted, not the card's content",
    ".TemporaryItems": "macOS per-volume scratch folder",
    ".DocumentRevisions-V100": "macOS per-volume store of document versions",
    ".Trash-*": "Linux desktops' per-volume trash (.Trash-1000, freedesktop.org): files the "
    "user deleted, not the card's content",
    ".VolumeIcon.icns": "macOS volume's custom icon, which the Finder shows for a volume's "
    "root alone; set by a person or a formatting tool, never by a camera",
    ".metadata_never_index": "macOS switch that keeps Spotlight from indexing the volume (a "
    "DIT puts it on a card so that the Mac writes no index onto it): about the volume, not "
    "its content",
    "System Volume Information": "Windows volume metadata (indexer GUID, restore points)",
    "$RECYCLE.BIN": "Windows per-volume recycle bin: deleted files",
    "Thumbs.db": "Windows Explorer thumbnail cache",
    "desktop.ini": "Windows Explorer's settings of the folder that holds it (its icon, its "
    "view), written by Windows, never by a camera",
    "/lost+found/": "fsck's folder at the root of an ext2/3/4 volume: fragments a filesystem "
    "check recovered, not the card's content, and readable only by root (a user's offload "
    "of such a drive would otherwise stop on it); only at the source's root",
}

DEFAULT_IGNORE_PATTERNS: tuple[str, ...] = tuple(DEFAULT_IGNORE_REASONS)

#: Why offload-ai's own patterns (``ledger.TOOL_IGNORE_PATTERNS``, added to every scan) leave
#: an entry out: a source that is itself a copy root (a drive's copy of a card offloaded
#: again) holds them, and they are no content of that source (never "the card's": it is
#: none). Not imported from the ledger, which planning does not need.
TOOL_IGNORE_REASONS: dict[str, str] = {
    "/.offload/": "offload-ai's own state (ledger, locks, reports) of an earlier offload into "
    "this folder, not the source's content; each destination gets its own",
    ".offload-partial.*": "a partial file an interrupted offload-ai copy left, not the source's "
    "content",
    ".offload-part": "a piece of an offload-ai partial file's name that fusefat left as a "
    "folder entry of its own, not the source's content",
    ".offload-probe-*": "a write probe an offload-ai run killed during its checks left, not "
    "the source's content",
}

#: The pattern that :attr:`IgnoreRules.exclude_root_ascmhl` adds: the ASC MHL history folder at
#: the source root (the manifest module copies or extends it; nested histories are kept).
ROOT_ASCMHL_PATTERN = "/ascmhl/"

#: The end of that folder's ignored entry (:meth:`IgnoreRules.why`'s *history_fate*) when
#: the run means to carry the history: it is trusted and an ASC MHL is written. Words of
#: intent, as the plan makes them before the copy: a destination where nothing is verified,
#: or whose manifests fail, or that is lost, takes nothing (the terminal's summary says
#: where it was carried, from the outcome: ``report.summary``). The one spelling the card
#: layer writes and the summary looks for.
HISTORY_TO_BE_CARRIED = "to be carried and continued"


def history_meant(ignored: Iterable[tuple[str, str]]) -> bool:
    """The source's ``ascmhl/``, left out of the scan, which the run means to carry, is one
    of the *ignored* entries ((path, reason): its reason says so, ``IgnoreRules.why``)."""
    suffix = f"ASC MHL history, {HISTORY_TO_BE_CARRIED}"
    return any(reason.endswith(suffix) for _, reason in ignored)


def ignore_argument(relative_path: str) -> str:
    """The ``--ignore`` argument that leaves exactly *relative_path* (a path on the card)
    out, anchored at the card's root and shell-quoted. A character no one can type as
    printed (a byte that is not UTF-8, printed ``\\xff``; a control character, printed
    ``\\x07``) is a ``?`` there, which matches it: the escape as printed would be taken as
    those four characters, and match nothing. The word as ``errors.shell_word`` writes it:
    a name that is not NFC pastes as its own bytes (``$'Cafe\\xcc\\x81.mov'``), never as
    the display's ``Cafe\\u0301.mov``, a pattern that matches nothing."""
    from offload.errors import shell_word
    from offload.manifest.links import exact_pattern  # its escaping of glob characters

    pattern = "/" + exact_pattern(relative_path).removeprefix("**/")
    if not pattern.isprintable():
        pattern = "".join(c if c.isprintable() else "?" for c in pattern)
    return shell_word(pattern)


def _check(pattern: str) -> None:
    if not pattern or not pattern.strip("/"):
        raise ValueError(f"empty ignore pattern: {pattern!r}")
    if any(not s for s in pattern.strip("/").split("/")):
        raise ValueError(f"ignore pattern has an empty path segment: {pattern!r}")


def _spellings(pattern: str) -> tuple[str, ...]:
    """*pattern*, then its composed (NFC) and decomposed (NFD) spellings where they differ
    (an ASCII pattern has one)."""
    if pattern.isascii():
        return (pattern,)
    composed = unicodedata.normalize("NFC", pattern)
    return tuple(dict.fromkeys((pattern, composed, unicodedata.normalize("NFD", pattern))))


def _as_git(pattern: str) -> tuple[str, ...]:
    """The git patterns that match what *pattern* matches here: itself and, for a trailing
    ``/**`` (zero or more segments here, one or more in git), the folder it names."""
    body = pattern.rstrip("/")
    if not body.endswith("/**"):
        return (pattern,)
    base = body
    while base.endswith("/**"):
        base = base[:-3]
    negation = "!" if base.startswith("!") else ""
    base = base.removeprefix("!")
    folder = negation + "/" + base.lstrip("/")
    if pattern.endswith("/"):
        folder += "/"
    elif folder.endswith(" "):
        folder = folder[:-1] + "\\ "  # a name's space, not a line's trailing one
    return (pattern, folder)


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
    _spec: IgnoreSpec = field(init=False, repr=False, compare=False)

    _origin: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        origin: dict[str, str] = {}
        given: dict[str, str] = {}  # a pattern's composed spelling: its first spelling here
        extra = (ROOT_ASCMHL_PATTERN,) if self.exclude_root_ascmhl else ()
        for pattern in (*self.patterns, *extra):
            _check(pattern)
            shown = pattern
            if not pattern.isascii():
                shown = given.setdefault(unicodedata.normalize("NFC", pattern), pattern)
            for compiled in _as_git(pattern):
                origin.setdefault(compiled, shown)
        object.__setattr__(self, "_origin", origin)
        object.__setattr__(self, "_spec", IgnoreSpec(origin))

    @classmethod
    def default(cls, *, exclude_root_ascmhl: bool = False) -> IgnoreRules:
        """The default OS-junk patterns."""
        return cls(DEFAULT_IGNORE_PATTERNS, exclude_root_ascmhl=exclude_root_ascmhl)

    @classmethod
    def none(cls) -> IgnoreRules:
        """No pattern at all: every entry is scanned."""
        return cls((), exclude_root_ascmhl=False)

    def adding(self, patterns: Iterable[str]) -> IgnoreRules:
        """These rules plus ``patterns`` (duplicates dropped, order kept), each one not ASCII
        followed by its other Unicode spellings (NFC, NFD: the module docstring)."""
        added = (spelling for pattern in patterns for spelling in _spellings(pattern))
        merged = tuple(dict.fromkeys((*self.patterns, *added)))
        return IgnoreRules(merged, exclude_root_ascmhl=self.exclude_root_ascmhl)

    def replacing(self, patterns: Iterable[str]) -> IgnoreRules:
        """Rules with exactly ``patterns`` (the ascmhl flag is kept)."""
        return IgnoreRules(tuple(patterns), exclude_root_ascmhl=self.exclude_root_ascmhl)

    def why(
        self,
        relative_path: str,
        *,
        history: str = "the card's",
        history_fate: str,
    ) -> str:
        """Why an ignored entry was left out: the first pattern that matches it (as a folder
        or a file) and, for a default pattern, the reason it is safe to leave out. *history*:
        whose the source's root ``ascmhl/`` is (a cascade re-run without its card reads a
        fast copy's); *history_fate*: what the run means to do with it, in words
        (:data:`HISTORY_TO_BE_CARRIED`, or "not carried: " and why)."""
        matched = self._spec.first_match(relative_path)
        if matched is None:
            return "ignored"
        pattern = self._origin[matched]
        if pattern in DEFAULT_IGNORE_REASONS:
            return f"{pattern}: {DEFAULT_IGNORE_REASONS[pattern]}"
        if pattern in TOOL_IGNORE_REASONS:
            return f"{pattern}: {TOOL_IGNORE_REASONS[pattern]}"
        if pattern == ROOT_ASCMHL_PATTERN:
            return f"{pattern}: {history} ASC MHL history, {history_fate}"
        return f"matches ignore pattern {pattern}"

    @property
    def spec(self) -> IgnoreSpec:
        """The compiled patterns: ``spec.matches`` is :meth:`matches` (a scan asks it of every
        entry: one call an entry less)."""
        return self._spec

    def matches(self, relative_path: str, *, is_dir: bool) -> bool:
        """Whether the entry at ``relative_path`` (``/``-separated, no leading ``/``) is ignored."""
        return self._spec.matches(relative_path, is_dir=is_dir)

    def excludes(self, relative_path: str, *, is_dir: bool) -> bool:
        """Whether the scan never reaches ``relative_path``: it, or a folder above it, is
        ignored."""
        return self._spec.excludes(relative_path, is_dir=is_dir)

    def keeping(self, files: Iterable[str]) -> IgnoreRules:
        """These rules without each *default* pattern that would leave out one of *files*
        (relative paths the card's own ASC MHL history records): the card's history says
        the card held such files, so the whole kind it names (``._*``, ``.DS_Store``...) is
        copied, recorded or not, and the ASC MHL generation's ignore list no longer names it
        (the reference tool's folder hashes of a copy then cover what they covered on the
        card). The user's own patterns are kept (an explicit ``--ignore NAME`` still leaves a
        file out). Linear in *files*: the rules are rebuilt only when a pattern is dropped,
        at most once per default pattern. Unchanged if no default pattern hides any."""
        defaults = [p for p in self.patterns if p in DEFAULT_IGNORE_REASONS]
        alone = {p: IgnoreRules((p,)) for p in defaults}
        dropped: set[str] = set()
        probe = IgnoreRules(tuple(defaults))
        for path in files:
            while probe.excludes(path, is_dir=False):  # the common case: one cached look
                dropped.update(p for p in defaults if alone[p].excludes(path, is_dir=False))
                probe = IgnoreRules(tuple(p for p in defaults if p not in dropped))
        if not dropped:
            return self
        patterns = tuple(p for p in self.patterns if p not in dropped)
        return IgnoreRules(patterns, exclude_root_ascmhl=self.exclude_root_ascmhl)
