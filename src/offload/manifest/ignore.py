"""Ignore patterns as ASC MHL stores them (``<ignore><pattern>``): git's wildmatch syntax.

The reference tool (``ascmhl`` 1.2) matches these with pathspec's "gitwildmatch" patterns while
it walks the tree, appending ``/`` to folder paths and never descending into an ignored
folder. This module implements the same rules over paths relative to the history root:

* a pattern without ``/`` (or with only a trailing one) matches a name at any depth;
* a pattern with a ``/`` elsewhere is anchored at the root (a leading ``/`` only anchors);
* a trailing ``/`` matches folders only; ``*``, ``?``, ``[...]`` never match ``/``;
  ``**/`` (leading), ``/**/`` (inner) and ``/**`` (trailing) span folders;
* ``!`` re-includes; the last matching pattern wins; ``#`` starts a comment; ``\\`` escapes;
  unescaped trailing spaces are dropped;
* anything inside an ignored folder is ignored (a ``!`` pattern cannot bring it back).

The reference matches *anchored* patterns against absolute paths in ``verify`` (but relative
to the root in ``create``, ``diff`` and ``verify -dh``); we always anchor at the root.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# What ascmhl writes into every new history (ascmhl/ignore.py: default_ignore_list).
DEFAULT_IGNORE_PATTERNS: tuple[str, ...] = (".DS_Store", "ascmhl", "ascmhl/")


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negated: bool
    directory_only: bool
    anchored: bool


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


def _escape_class_body(body: str) -> str:
    # Keep ranges ("a-z") working; escape what Python's re would read as syntax or as a
    # future set operation ("[[", "&&", "~~", "||", "--" warn and mean something else later).
    out: list[str] = []
    for index, char in enumerate(body):
        doubled_dash = char == "-" and (
            (index > 0 and body[index - 1] == "-")
            or (index + 1 < len(body) and body[index + 1] == "-")
        )
        out.append("\\" + char if char in "\\[]&~|^" or doubled_dash else char)
    return "".join(out)


def _glob_segment_to_regex(segment: str) -> str:
    """One path segment of a glob (no ``/`` in it) as a regex fragment."""
    out: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        if char == "\\" and index + 1 < len(segment):
            out.append(re.escape(segment[index + 1]))
            index += 2
            continue
        if char == "*":
            while index + 1 < len(segment) and segment[index + 1] == "*":
                index += 1  # "**" inside a segment is an ordinary "*"
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            close = index + 1
            if close < len(segment) and segment[close] in "!^":
                close += 1
            if close < len(segment) and segment[close] == "]":
                close += 1
            while close < len(segment) and segment[close] != "]":
                close += 1
            if close >= len(segment):
                out.append(re.escape(char))  # no closing bracket: a literal "["
            else:
                body = segment[index + 1 : close]
                negate = body[:1] in ("!", "^")
                if negate:
                    body = body[1:]
                out.append(("[^/" if negate else "[") + _escape_class_body(body) + "]")
                index = close
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _compile(pattern: str) -> _Rule | None:
    text = _strip_trailing_spaces(pattern)
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    if negated or text.startswith("\\!") or text.startswith("\\#"):
        text = text[1:]
    directory_only = text.endswith("/")
    if directory_only:
        text = text.rstrip("/")
    if not text:
        return None
    anchored = "/" in text
    text = text.lstrip("/")
    segments = text.split("/")
    parts: list[str] = []
    separator_done = True  # nothing before the first segment needs a "/"
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if segment == "**":
            if last:
                # "dir/**": everything inside (a bare "**" matches everything)
                parts.append(".*" if position == 0 else "/.*")
            else:
                # leading "**/" or inner "/**/": zero or more folders, ending with a "/"
                parts.append("(?:.*/)?" if position == 0 else "/(?:.*/)?")
                separator_done = True
            continue
        if not separator_done:
            parts.append("/")
        parts.append(_glob_segment_to_regex(segment))
        separator_done = False
    regex = re.compile("".join(parts), re.DOTALL)
    return _Rule(regex, negated, directory_only, anchored or len(segments) > 1)


class IgnoreSpec:
    """A compiled list of ignore patterns, with a cache of folder verdicts.

    Raises nothing for odd patterns: like git, anything unparseable is matched literally.
    Use one instance per thread (the cache is a plain dict).
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns: tuple[str, ...] = tuple(patterns)
        self._rules = [rule for rule in map(_compile, self.patterns) if rule is not None]
        self._folder_cache: dict[str, bool] = {}

    def matches(self, relative_path: str, *, is_dir: bool) -> bool:
        """Whether the patterns ignore this path itself (its folders are not looked at)."""
        name = relative_path.rsplit("/", 1)[-1]
        ignored = False
        for rule in self._rules:
            if rule.directory_only and not is_dir:
                continue
            subject = relative_path if rule.anchored else name
            if rule.regex.fullmatch(subject) is not None:
                ignored = not rule.negated
        return ignored

    def excludes(self, relative_path: str, *, is_dir: bool) -> bool:
        """Whether a walk that skips ignored folders would never record this path: the path
        or one of the folders above it is ignored."""
        head, _, _ = relative_path.rpartition("/")
        if head and self._folder_excluded(head):
            return True
        return self.matches(relative_path, is_dir=is_dir)

    def _folder_excluded(self, folder: str) -> bool:
        cached = self._folder_cache.get(folder)
        if cached is None:
            cached = self.excludes(folder, is_dir=True)
            self._folder_cache[folder] = cached
        return cached


def merge_patterns(*pattern_lists: Sequence[str]) -> tuple[str, ...]:
    """Concatenate pattern lists, keeping the first occurrence of each pattern."""
    seen: dict[str, None] = {}
    for patterns in pattern_lists:
        for pattern in patterns:
            seen.setdefault(pattern, None)
    return tuple(seen)
