"""Ignore patterns: git's wildmatch syntax, the one engine of the scan and of the manifests.

ASC MHL stores its ignore list as ``<ignore><pattern>``; the reference tool (``ascmhl`` 1.2)
matches these with pathspec's "gitwildmatch" patterns while it walks the tree, appending
``/`` to folder paths and never descending into an ignored folder. The scan's ignore rules
(:mod:`offload.plan.ignore`) use this same engine. Each pattern is translated to a regular
expression by ``pathspec`` (its ``gitignore`` patterns); this module applies them to one path
at a time, relative to the root:

* a pattern without ``/`` (or with only a trailing one) matches a name at any depth;
* a pattern with a ``/`` elsewhere is anchored at the root (a leading ``/`` only anchors);
* a trailing ``/`` matches folders only; ``*``, ``?``, ``[...]`` never match ``/``;
  ``**/`` (leading), ``/**/`` (inner) and ``/**`` (trailing) span folders;
* ``!`` re-includes; the last matching pattern wins; ``#`` starts a comment; ``\\`` escapes;
  unescaped trailing spaces are dropped;
* anything inside an ignored folder is ignored (a ``!`` pattern cannot bring it back).

:meth:`IgnoreSpec.matches` asks whether a pattern matches the path *itself* (a pattern that
matches one of its folders is not looked at: that is :meth:`IgnoreSpec.excludes`).

The reference matches *anchored* patterns against absolute paths in plain ``verify``, where
they never match (:func:`verify_skips`); ``create``, ``diff`` and ``verify -dh`` anchor them
at the root, after every other pattern of the list (:func:`directory_hash_skips`). We
always anchor at the root, in the list's order.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# What ascmhl writes into every new history (ascmhl/ignore.py: default_ignore_list).
DEFAULT_IGNORE_PATTERNS: tuple[str, ...] = (".DS_Store", "ascmhl", "ascmhl/")

#: The name ASC MHL leaves out at any depth whatever a generation's list says (ascmhl's own
#: default ignore list, which every generation of ours keeps: ``DEFAULT_IGNORE_PATTERNS``).
FINDER_FILE = ".DS_Store"


def finder_files(paths: Sequence[str], joined: str | None = None) -> list[str]:
    """The paths of *paths* (relative, ``/``-separated) named ``.DS_Store``, which a card's
    files include only when the scan's default ignore list was not applied
    (``--no-default-ignore``): one search of the paths joined (*joined*: the paths joined,
    with or without a separator, where the caller has them so), the paths asked only when
    the name is there (~2 ms for 50,000 paths, as ``xmlchars.paths_xml_cannot_hold``)."""
    if joined is None:
        joined = "".join(paths)
    if FINDER_FILE not in joined:
        return []
    return [p for p in paths if p.rpartition("/")[2] == FINDER_FILE]


#: Why a card file is in no manifest where only an anchored pattern carried from the card's
#: history hides its folder: plain ``ascmhl-debug verify`` never applies one (it matches against
#: absolute paths), so it walks the folder and calls the file new, where ``offload verify``
#: applies it at the root (as ``ascmhl create`` did) and passes it over, with a note.
ANCHORED_ONLY_REASON = (
    "in a folder only an anchored pattern carried from the card's ASC MHL history hides, "
    "which no pattern can list again"
)

#: What the checks of a copy do with such a file (:data:`ANCHORED_ONLY_REASON`), *it* the
#: pronoun (``it``, ``them``): the one sentence the manifests writer's warning, the report's
#: ``not-in-manifest`` warning and the summary's line give.
ANCHORED_ONLY_CHECKS = (
    "ascmhl-debug verify, which never applies an anchored pattern, calls {it} new (exit 21); "
    "offload verify passes over {it}, naming {it} in a note"
)


FINDER_FILE_REASON = (
    "ASC MHL leaves every .DS_Store out (ascmhl's default ignore list, kept by every "
    "generation; the legacy MHL follows it)"
)


_EVERYTHING = re.compile(".*", re.DOTALL)
_FLAGS = _EVERYTHING.flags  # every rule's expression is compiled with these (_regex)

# pathspec's translation (``GitIgnoreBasicPattern.pattern_to_regex``) of the patterns every
# offload compiles before its first byte: the scan's default rules (plan/ignore.py), the
# source's ASC MHL history and the copy root's state (ledger.py, manifests_writer.py).
# Importing pathspec costs ~17 ms of CPU, on the path of every ``offload copy``; any other
# pattern is translated by pathspec itself, and a test checks every entry against it.
KNOWN_TRANSLATIONS: dict[str, str] = {
    ".DS_Store": r"^(?:.+/)?\.DS_Store(?:/|$)",
    "._*": r"^(?:.+/)?\._[^/]*(?:/|$)",
    ".Spotlight-V100": r"^(?:.+/)?\.Spotlight\-V100(?:/|$)",
    ".fseventsd": r"^(?:.+/)?\.fseventsd(?:/|$)",
    ".Trashes": r"^(?:.+/)?\.Trashes(?:/|$)",
    ".TemporaryItems": r"^(?:.+/)?\.TemporaryItems(?:/|$)",
    ".DocumentRevisions-V100": r"^(?:.+/)?\.DocumentRevisions\-V100(?:/|$)",
    ".Trash-*": r"^(?:.+/)?\.Trash\-[^/]*(?:/|$)",
    "System Volume Information": r"^(?:.+/)?System\ Volume\ Information(?:/|$)",
    "$RECYCLE.BIN": r"^(?:.+/)?\$RECYCLE\.BIN(?:/|$)",
    "Thumbs.db": r"^(?:.+/)?Thumbs\.db(?:/|$)",
    "desktop.ini": r"^(?:.+/)?desktop\.ini(?:/|$)",
    ".VolumeIcon.icns": r"^(?:.+/)?\.VolumeIcon\.icns(?:/|$)",
    ".metadata_never_index": r"^(?:.+/)?\.metadata_never_index(?:/|$)",
    "/lost+found": r"^lost\+found(?:/|$)",
    "ascmhl": r"^(?:.+/)?ascmhl(?:/|$)",
    "/ascmhl": r"^ascmhl(?:/|$)",
    ".offload": r"^(?:.+/)?\.offload(?:/|$)",
    "/.offload": r"^\.offload(?:/|$)",
    ".offload-partial.*": r"^(?:.+/)?\.offload\-partial\.[^/]*(?:/|$)",
    ".offload-part": r"^(?:.+/)?\.offload\-part(?:/|$)",
    ".offload-probe-*": r"^(?:.+/)?\.offload\-probe\-[^/]*(?:/|$)",
}


def pathspec_regex(body: str) -> str | None:
    """pathspec's regular expression (source) for *body*, None where it does not parse."""
    from pathspec.patterns.gitignore import GitIgnorePatternError
    from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern

    try:
        source: str | None = GitIgnoreBasicPattern.pattern_to_regex(body)[0]
    except GitIgnorePatternError:
        return None
    return source


@dataclass(frozen=True)
class IgnoreRule:
    """One compiled pattern. ``contents_only``: a trailing ``/**`` (the folder's content
    matches, not the folder itself). A dataclass, not a named tuple: its fields are read for
    every entry a scan or a manifest check matches against every pattern, and a named
    tuple's fields are slower to read (~50 ns more each on Python 3.11)."""

    pattern: str
    regex: re.Pattern[str]
    negated: bool
    directory_only: bool
    contents_only: bool = False

    def matches(self, relative_path: str, *, is_dir: bool) -> bool:
        """Whether this pattern matches the path itself (``/``-separated, relative)."""
        if self.directory_only and not is_dir:
            return False
        if self.contents_only:
            parts = relative_path.split("/")
            return any(
                self.regex.fullmatch("/".join(parts[:end])) is not None
                for end in range(1, len(parts))
            )
        return self.regex.fullmatch(relative_path) is not None


def _strip_trailing_spaces(pattern: str) -> str:
    end = len(pattern)
    while end > 0 and pattern[end - 1] == " ":
        # a space preceded by an odd number of backslashes is escaped and stays
        backslashes = 0
        index = end - 2
        while index >= 0 and pattern[index] == "\\":
            backslashes += 1
            index -= 1
        if backslashes % 2 == 1:
            break
        end -= 1
    return pattern[:end]


def _regex(body: str) -> re.Pattern[str]:
    """pathspec's regular expression for *body* (no ``!``, no trailing ``/``)."""
    if body.lstrip("/") in ("**", ""):
        return _EVERYTHING
    if body[:1] in ("!", "#"):
        body = "\\" + body  # already unnegated: the rest is literal
    if body.endswith(" ") and not body.endswith("\\ "):
        body = body[:-1] + "\\ "  # the line's trailing spaces are gone: this one is a name's
    source = KNOWN_TRANSLATIONS.get(body) or pathspec_regex(body)
    if source in (".", "/"):
        return _EVERYTHING  # pathspec's shortcut for a pattern that matches every path
    if source is None:  # like git, what does not parse is matched literally
        source = "^(?:.+/)?" + re.escape(body) + "$"
    with warnings.catch_warnings():
        # pathspec passes bracket expressions through as they are ("[[]"): same semantics
        # as in the reference tool, which compiles the same expression
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(source, re.DOTALL)


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> IgnoreRule | None:
    """One pattern as a rule (``None`` for a comment or a blank pattern).

    Cached: a rule is immutable, and an offload compiles the same ~20 default patterns in
    several specs (the scan's rules, their additions, the manifests' list)."""
    text = _strip_trailing_spaces(pattern)
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    if negated:
        text = text[1:]
    directory_only = text.endswith("/")
    body = text.rstrip("/")
    if not body:
        return None
    folder = body
    while folder.endswith("/**"):
        folder = folder[:-3]
    contents_only = folder != body and folder.strip("/") not in ("", "**")
    if contents_only:
        body = "/" + folder.lstrip("/")  # "dir/**" is anchored: so is its folder
    return IgnoreRule(pattern, _regex(body), negated, directory_only, contents_only)


# A path's folder and last name, from its rpartition("/") (excludes_no_file)
_HEAD, _NAME = operator.itemgetter(0), operator.itemgetter(2)
_SLASH = itertools.repeat("/")


class IgnoreSpec:
    """A compiled list of ignore patterns, with a cache of folder verdicts.

    Raises nothing for odd patterns: like git, anything unparseable is matched literally.
    Use one instance per thread (the cache is a plain dict).
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns: tuple[str, ...] = tuple(patterns)
        self.rules: tuple[IgnoreRule, ...] = tuple(
            rule for rule in map(compile_pattern, self.patterns) if rule is not None
        )
        self._folder_cache: dict[str, bool] = {}
        self._file_screen = _FileScreen.of(self.rules)

    def matches(self, relative_path: str, *, is_dir: bool) -> bool:
        """Whether the patterns ignore this path itself (its folders are not looked at)."""
        screen = self._file_screen
        if not is_dir and screen is not None:
            if screen.names_only and relative_path[:1] != "/" and relative_path[-1:] != "/":
                # may_ignore written out for the usual rules (the defaults, names at any
                # depth alone): one call a file less
                name = relative_path.rpartition("/")[2]
                if name not in screen.names and not name.startswith(screen.prefixes):
                    return False  # no rule that can ignore a file matches it
            elif not screen.may_ignore(relative_path):
                return False
        ignored = False
        for rule in self.rules:
            if rule.matches(relative_path, is_dir=is_dir):
                ignored = not rule.negated
        return ignored

    def first_match(self, relative_path: str) -> str | None:
        """The first pattern (not a ``!`` one) that matches this path as a folder or a file."""
        for rule in self.rules:
            if not rule.negated and (
                rule.matches(relative_path, is_dir=True)
                or rule.matches(relative_path, is_dir=False)
            ):
                return rule.pattern
        return None

    def excludes(self, relative_path: str, *, is_dir: bool) -> bool:
        """Whether a walk that skips ignored folders would never record this path: the path
        or one of the folders above it is ignored."""
        head, _, _ = relative_path.rpartition("/")
        if head and self._folder_excluded(head):
            return True
        return self.matches(relative_path, is_dir=is_dir)

    def excludes_no_file(self, paths: Sequence[str]) -> bool:
        """Whether :meth:`excludes` says False of every one of *paths* as a file, shown for
        all of them at once; False when it cannot be shown so (a rule that is not a name at
        any depth, a path that starts or ends with ``/`` or holds a NUL, a last name a rule
        names or starts, a folder above one excluded), which says nothing of any one path:
        ask :meth:`excludes` of each.

        The manifest writer's test of a card's files (none of them ignored, as the scan left
        out what its rules ignore): their last names against the rules' names as one set
        and their prefixes in the names joined, and each folder once, where a call a file
        was ~0.45 µs (~23 ms at 50,000 files)."""
        if not paths:
            return True
        screen = self._file_screen
        if screen is None or not screen.names_only:
            return False  # a rule asks more of a path than its last name: each is asked
        joined = "\0".join(paths)
        if (
            joined[:1] == "/"
            or joined[-1:] == "/"
            or "\0/" in joined
            or "/\0" in joined
            or joined.count("\0") != len(paths) - 1
        ):
            return False  # the last-name form is not exact there (or a path holds a NUL)
        # The last names joined, each between NULs (no list of them, nor of the splits:
        # ~9 MB of small objects at 50,000 files), searched for each name and prefix.
        last_names = "\0" + "\0".join(map(_NAME, map(str.rpartition, paths, _SLASH))) + "\0"
        if any(f"\0{name}\0" in last_names for name in screen.names):
            return False
        if any("\0" + prefix in last_names for prefix in screen.prefixes):
            return False
        heads = set(map(_HEAD, map(str.rpartition, paths, _SLASH)))
        return not any(self._folder_excluded(head) for head in heads if head)

    def _folder_excluded(self, folder: str) -> bool:
        """:meth:`excludes` of *folder* as a folder, cached. Iterative: the folders above it
        not judged yet are judged from the top down, each once the one above it is known
        (a call a level would stop at Python's recursion limit ~1,000 levels deep)."""
        cache = self._folder_cache
        cached = cache.get(folder)
        if cached is not None:
            return cached
        pending = [folder]  # not judged yet, the deepest first
        excluded = False  # the judged folder above them (none: the root)
        head = folder.rpartition("/")[0]
        while head:
            known = cache.get(head)
            if known is not None:
                excluded = known
                break
            pending.append(head)
            head = head.rpartition("/")[0]
        for path in reversed(pending):
            excluded = excluded or self.matches(path, is_dir=True)
            cache[path] = excluded
        return excluded


# pathspec's translation of a pattern without a ``/`` (but a trailing one): the pattern's
# own expression (``body``) matches a name at any depth (``^(?:.+/)?body(?:/|$)``).
_AT_ANY_DEPTH = ("^(?:.+/)?", "(?:/|$)")
_ANY_NAME = "[^/]*"  # ``*``
# What a literal name holds not: the expressions' special characters, and "/" ("**/a/b" is
# pathspec's "^(?:.+/)?a/b(?:/|$)": a path's end, not a name)
_NOT_IN_A_NAME = frozenset(".^$*+?{}[]|()\\/")


def _name_form(source: str) -> tuple[str, bool] | None:
    """What *source* (a rule's expression) asks of a path's last name, when that is all it
    asks: ``(literal, False)`` for a name equal to *literal*, ``(prefix, True)`` for a name
    starting with *prefix* (``._*``); None for any other expression (anchored, a bracket,
    ``**``, a ``/`` inside, a ``?`` or a ``*`` that is not last)."""
    head, tail = _AT_ANY_DEPTH
    if not (source.startswith(head) and source.endswith(tail)):
        return None
    body = source[len(head) : len(source) - len(tail)]
    prefix = body.endswith(_ANY_NAME)
    if prefix:
        body = body[: -len(_ANY_NAME)]
    literal: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            # re.escape's escapes: a backslash before an ASCII letter or digit is a class
            # or a reference, never a literal
            escaped = body[index + 1 : index + 2]
            if not escaped or escaped == "/" or (escaped.isascii() and escaped.isalnum()):
                return None
            literal.append(escaped)
            index += 2
        elif char in _NOT_IN_A_NAME:
            return None
        else:
            literal.append(char)
            index += 1
    return "".join(literal), prefix


class _FileScreen:
    """Whether any rule that can ignore a *file* matches its path: a test every file of a
    scan or a manifest takes, so that only the few it lets through go through the rules in
    turn (:meth:`IgnoreSpec.matches`). Never says "no" where a rule matches: it is a
    necessary condition, not the verdict.

    A rule at any depth that names a literal name or a name's start (every default pattern
    but the anchored ones: ``.DS_Store``, ``._*``, ``Thumbs.db``...) is asked of the path's
    last name: a set look-up and one ``startswith`` for all of them, where one expression
    joining every rule spent ~1.3 µs a file trying each rule's ``(?:.+/)?`` at every ``/``.
    Exact for a path that neither starts nor ends with ``/`` (pathspec's form then matches
    the last name alone: docs/performance.md, "Scan and plan: fourteenth pass"); any other
    path goes through the rules. Every other rule that can match a file by its path is
    joined into one expression as before; the ``contents_only`` ones are tried one by one.
    Folder-only and ``!`` rules cannot ignore a file and are not looked at."""

    __slots__ = ("contents", "names", "names_only", "path", "prefixes")

    def __init__(
        self,
        names: frozenset[str],
        prefixes: tuple[str, ...],
        path: re.Pattern[str] | None,
        contents: tuple[IgnoreRule, ...],
    ) -> None:
        self.names = names
        self.prefixes = prefixes
        self.path = path
        self.contents = contents
        # Only rules at any depth naming a name: the last name alone decides
        self.names_only = path is None and not contents

    @classmethod
    def of(cls, rules: Sequence[IgnoreRule]) -> _FileScreen | None:
        """The screen of *rules*; None when their expressions cannot be joined (a group, an
        inline flag): every file then goes through the rules in turn."""
        names: set[str] = set()
        prefixes: list[str] = []
        by_path: list[IgnoreRule] = []
        contents: list[IgnoreRule] = []
        for rule in rules:
            if rule.negated or rule.directory_only:
                continue  # sets no file's verdict to "ignored"
            if rule.contents_only:
                contents.append(rule)
                continue
            form = _name_form(rule.regex.pattern) if rule.regex.flags == _FLAGS else None
            if form is None:
                by_path.append(rule)
            elif form[1]:
                prefixes.append(form[0])
            else:
                names.add(form[0])
        path: re.Pattern[str] | None = None
        if by_path:
            if any(r.regex.groups or r.regex.flags != _FLAGS for r in by_path):
                return None
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", FutureWarning)  # as in _regex
                    joined = "|".join(f"(?:{r.regex.pattern})" for r in by_path)
                    path = re.compile(joined, re.DOTALL)
            except re.error:
                return None
        return cls(frozenset(names), tuple(prefixes), path, tuple(contents))

    def may_ignore(self, relative_path: str) -> bool:
        """False only when no rule that can ignore a file matches *relative_path*."""
        if relative_path[:1] == "/" or relative_path[-1:] == "/":
            return True  # the last-name form is not exact there: the rules decide
        name = relative_path.rpartition("/")[2]
        return (
            name in self.names
            or name.startswith(self.prefixes)
            or (self.path is not None and self.path.fullmatch(relative_path) is not None)
            or any(r.matches(relative_path, is_dir=False) for r in self.contents)
        )


def merge_patterns(*pattern_lists: Sequence[str]) -> tuple[str, ...]:
    """Concatenate pattern lists, keeping the first occurrence of each pattern."""
    seen: dict[str, None] = {}
    for patterns in pattern_lists:
        for pattern in patterns:
            seen.setdefault(pattern, None)
    return tuple(seen)


def ascmhl_ignore_patterns(patterns: Iterable[str]) -> list[str]:
    """The patterns an ASC MHL ignore list carries for a scan's *patterns*: the unanchored
    ones (a trailing ``/`` dropped), duplicates dropped, order kept.

    An anchored pattern (a ``/`` inside, or a leading one: ``/lost+found/``) is left out: the
    reference tool matches anchored patterns against absolute paths in ``verify`` (module
    doc), where it would never match, and what it names was not copied, so it is not in the
    manifest either way. Carried without its ``/`` it would hide the same name deeper in the
    card, which was copied and must be recorded.
    """
    stripped = (p.rstrip("/") for p in patterns)
    return list(dict.fromkeys(p for p in stripped if p and "/" not in p))


def verify_skips(patterns: Iterable[str]) -> IgnoreSpec:
    """The spec of what plain ``ascmhl-debug verify`` of a root skips for an ignore list
    *patterns*: the list without the positive patterns it never applies there, each anchored
    one (a leading ``/``, or a ``/`` inside other than a leading ``**/``; a trailing ``/``
    does not anchor), which it matches against absolute paths (module doc), so it walks
    what they name. The ``!`` patterns are all kept: one it does not apply only makes the
    walk enter more. The spec of the walks of a copy root's tree that must see what ascmhl
    sees (``nested_links.TreeRead``, ``hiding_elsewhere``: a pattern written must hide no
    path it walks)."""
    return IgnoreSpec(p for p in patterns if p.startswith("!") or not _anchored(p))


def directory_hash_skips(patterns: Iterable[str]) -> IgnoreSpec:
    """The spec of what ``ascmhl-debug verify -dh`` of a root (1.2; ``create`` and ``diff`` build
    the same list) skips for the root history's ignore list *patterns*: the list as written,
    matched against absolute paths, where an anchored pattern, ``!`` ones included, never
    matches, then each positive pattern it roots at the root's absolute path
    (:func:`_rooted_by_ascmhl`), so after every other one: a ``!`` pattern earlier in the
    list cannot bring back what one of them names (``/CLIPS/x.mov`` then
    ``!**/CLIPS/x.mov``: ``-dh`` skips ``CLIPS/x.mov``, plain ``verify`` reads it). The
    nested histories' lists, which ``-dh`` adds below each nested folder, are not looked
    at. The spec of which folders a generation lists whole (``coverage.whole_folders``: a
    folder hash ``-dh`` recomputes from what it does not skip)."""
    listed = tuple(patterns)
    walked = [p for p in listed if not _anchored(p.removeprefix("!"))]
    rooted = [p for p in listed if not p.startswith("!") and _rooted_by_ascmhl(p)]
    return IgnoreSpec([*walked, *rooted])


def has_anchored(patterns: Iterable[str]) -> bool:
    """Whether *patterns* hold an anchored pattern, ``!`` ones included (module doc): the
    one kind the writer (at the root, in order), plain ``ascmhl-debug verify`` (never) and
    ``verify -dh`` (a positive one at the root, after the others) apply differently;
    without one, :class:`IgnoreSpec`, :func:`verify_skips` and :func:`directory_hash_skips`
    agree."""
    return any(_anchored(p.removeprefix("!")) for p in patterns)


def _rooted_by_ascmhl(pattern: str) -> bool:
    """Whether ``ascmhl`` 1.2 (``create``, ``diff``, ``verify -dh``) prefixes *pattern* (not a
    ``!`` one) with the root's absolute path, so that it matches at the root: one holding a
    ``/``, but for one starting with ``**``, a name with a trailing ``/`` only, or a name
    followed by ``/**`` (kept as written: at any depth, the last never, as pathspec anchors
    it at the start of an absolute path)."""
    if "/" not in pattern or pattern.startswith("**"):
        return False
    if pattern.endswith("/") and "/" not in pattern[:-1]:
        return False
    return pattern.startswith("/") or not (pattern.endswith("/**") and "/" not in pattern[:-3])


def _anchored(pattern: str) -> bool:
    """Whether *pattern* (not a ``!`` one) is anchored at the root (module doc)."""
    body = _strip_trailing_spaces(pattern).rstrip("/")
    if body.startswith("**/"):
        return False  # at any depth: matches below an absolute path's folders too
    return "/" in body
