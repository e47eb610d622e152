"""Ignore patterns: git wildmatch rules over paths relative to the history root."""

from __future__ import annotations

import pytest

from offload.ledger import TOOL_IGNORE_PATTERNS
from offload.manifest import DEFAULT_IGNORE_PATTERNS, IgnoreSpec
from offload.manifest import ignore as ignore_module
from offload.manifest.ignore import (
    KNOWN_TRANSLATIONS,
    directory_hash_skips,
    has_anchored,
    pathspec_regex,
    verify_skips,
)
from offload.manifests_writer import COPY_ROOT_STATE
from offload.plan.ignore import IgnoreRules

CASES: list[tuple[str, str, bool, bool]] = [
    # pattern, path, is_dir, ignored
    (".DS_Store", ".DS_Store", False, True),
    (".DS_Store", "Clips/.DS_Store", False, True),
    ("ascmhl", "ascmhl", True, True),
    ("ascmhl", "sub/ascmhl", False, True),
    ("ascmhl/", "ascmhl", False, False),
    ("*.tmp", "a/b/c.tmp", False, True),
    ("*.tmp", "c.tmpx", False, False),
    ("Clips/", "Clips", True, True),
    ("Clips/", "x/Clips", True, True),
    ("Clips/", "Clips", False, False),
    ("/Clips", "Clips", True, True),
    ("/Clips", "x/Clips", True, False),
    ("Clips/*.mov", "Clips/a.mov", False, True),
    ("Clips/*.mov", "x/Clips/a.mov", False, False),
    ("Clips/*.mov", "Clips/sub/a.mov", False, False),
    ("**/x", "x", False, True),
    ("**/x", "q/r/x", True, True),
    ("a/**/b", "a/b", False, True),
    ("a/**/b", "a/c/d/b", False, True),
    ("dir/**", "dir/z", False, True),
    ("dir/**", "dir", True, False),
    ("foo*/", "foo1", True, True),
    ("foo*/", "foo1", False, False),
    ("[ab].txt", "a.txt", False, True),
    ("[ab].txt", "c.txt", False, False),
    ("[!ab].txt", "c.txt", False, True),
    ("?.txt", "c.txt", False, True),
    ("?.txt", "cc.txt", False, False),
    ("x\\ y", "x y", False, True),
    ("trailing   ", "trailing", False, True),
    ("# comment", "# comment", False, False),
    ("\\#hash", "#hash", False, True),
    ("[[]x", "[x", False, True),
    ("a&&b", "a&&b", False, True),
]


@pytest.mark.parametrize(("pattern", "path", "is_dir", "ignored"), CASES)
def test_single_pattern(pattern: str, path: str, is_dir: bool, ignored: bool) -> None:
    assert IgnoreSpec([pattern]).matches(path, is_dir=is_dir) is ignored


def test_negation_last_match_wins() -> None:
    spec = IgnoreSpec(["*.tmp", "!keep.tmp"])
    assert spec.matches("a.tmp", is_dir=False)
    assert not spec.matches("keep.tmp", is_dir=False)
    assert spec.matches("keep.tmp", is_dir=False) is False


def test_inside_an_ignored_folder_everything_is_excluded() -> None:
    spec = IgnoreSpec([*DEFAULT_IGNORE_PATTERNS, "cache/", "!cache/keep"])
    assert spec.excludes("ascmhl/0001_x.mhl", is_dir=False)
    assert spec.excludes("cache/keep", is_dir=False)  # git cannot re-include either
    assert spec.excludes("a/ascmhl/chain.xml", is_dir=False)
    assert not spec.excludes("Clips/a.mov", is_dir=False)


def test_names_with_newlines_and_regex_characters() -> None:
    spec = IgnoreSpec(["*.(x)+"])
    assert spec.matches("line\nbreak.(x)+", is_dir=False)
    assert not spec.matches("a.x", is_dir=False)


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "ignored"),
    [
        ("*", "a", False, True),  # pathspec's shortcut for "everything"
        ("*", "a/b", True, True),
        ("**/*", "a/b", False, True),
        ("a/**/**", "a/b/c", False, True),
        ("a/**/**", "a", True, False),
        ("x\\ ", "x ", False, True),  # an escaped trailing space stays
        ("x\\   ", "x ", False, True),
        ("x  ", "x", False, True),
    ],
)
def test_shortcuts_and_spaces(pattern: str, path: str, is_dir: bool, ignored: bool) -> None:
    assert IgnoreSpec([pattern]).matches(path, is_dir=is_dir) is ignored


def test_a_pattern_is_compiled_once_per_process() -> None:
    """An offload builds several specs from the same default patterns (the scan's rules,
    their additions, the manifests' list): each pattern is translated and compiled once,
    and the specs share the (immutable) rule."""
    first, second = IgnoreSpec(["*.tmp", "cache/"]), IgnoreSpec(["cache/", "*.tmp"])
    assert first.rules[0] is second.rules[1]
    assert first.rules[1] is second.rules[0]
    assert first.matches("a/b.tmp", is_dir=False) and second.matches("x/cache", is_dir=True)


@pytest.mark.parametrize("body", sorted(KNOWN_TRANSLATIONS))
def test_each_translation_kept_for_the_start_up_is_pathspecs_own(body: str) -> None:
    """The expressions kept so that an offload need not import pathspec (~17 ms) are exactly
    what pathspec makes of the same patterns (a pathspec that changes them fails here)."""
    assert KNOWN_TRANSLATIONS[body] == pathspec_regex(body)


def test_every_pattern_an_offload_compiles_by_default_is_kept_translated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scan's default rules, the source's history and the copy root's state: none of them
    asks pathspec (a default pattern added without its translation fails here)."""
    asked: list[str] = []
    monkeypatch.setattr(ignore_module, "pathspec_regex", asked.append)
    ignore_module.compile_pattern.cache_clear()
    try:
        rules = IgnoreRules.default(exclude_root_ascmhl=True).adding(TOOL_IGNORE_PATTERNS)
        IgnoreSpec([*DEFAULT_IGNORE_PATTERNS, *COPY_ROOT_STATE, *rules.patterns])
        assert rules.matches("DCIM/.DS_Store", is_dir=False)
        assert asked == []
    finally:
        ignore_module.compile_pattern.cache_clear()


def _rule_by_rule(spec: IgnoreSpec, path: str, *, is_dir: bool) -> bool:
    """What ``IgnoreSpec.matches`` means: the last rule that matches decides."""
    ignored = False
    for rule in spec.rules:
        if rule.matches(path, is_dir=is_dir):
            ignored = not rule.negated
    return ignored


@pytest.mark.parametrize(
    "extra",
    [
        (),
        ("*.tmp", "!keep.tmp", "dir/**", "/DCIM/*.MP4", "**/x/**", "a/**/b", "[ab]*"),
        ("\\#x", "\\!y", "b.MP4/", "*.MP4", "!/DCIM/100MEDIA/C0001.MP4", "CLIP/**", "a b\\ "),
    ],
)
def test_the_files_screen_gives_the_verdicts_of_the_rules_one_by_one(
    extra: tuple[str, ...],
) -> None:
    # The one expression a file is screened with first (a manifest of a 5,000-file card) must
    # never tell a file apart from what the rules, tried in turn, say.
    spec = IgnoreSpec((*DEFAULT_IGNORE_PATTERNS, *COPY_ROOT_STATE, *extra))
    assert spec._file_screen is not None
    names = ["a", "b.MP4", ".DS_Store", "ascmhl", "keep.tmp", "x.tmp", ".offload", "x", "dir"]
    names += [".offload-partial.1.x", "DCIM", "100MEDIA", "C0001.MP4", "[x]", "ü", "a b "]
    names += ["#x", "!y"]
    for first in names:
        for second in ("", *names):
            for third in ("", "C0001.MP4", "x.tmp", "b"):
                path = "/".join(p for p in (first, second, third) if p)
                for is_dir in (False, True):
                    assert spec.matches(path, is_dir=is_dir) == _rule_by_rule(
                        spec, path, is_dir=is_dir
                    ), (path, is_dir)


def test_verify_skips_keeps_what_plain_ascmhl_verify_applies() -> None:
    """Plain ``ascmhl-debug verify`` matches anchored patterns against absolute paths, so never: a
    walk that must see what it sees skips only the others (``!`` ones all kept)."""
    spec = verify_skips(
        ["/NEST/DAY/", "NEST/A001/", "dir/**", "*/x", "PROXY/", "**/A/B/", "**/X", "!/NEST/"]
    )
    assert spec.patterns == ("PROXY/", "**/A/B/", "**/X", "!/NEST/")
    assert not spec.matches("NEST/DAY", is_dir=True)
    assert spec.matches("DAY/PROXY", is_dir=True)
    assert spec.matches("DAY/A/B", is_dir=True)


def test_directory_hash_skips_roots_anchored_patterns_after_the_others() -> None:
    """``ascmhl-debug verify -dh`` (1.2) prefixes each pattern holding a ``/`` with the root's
    absolute path, after the list as written, but for one starting with ``**``, a name with
    a trailing ``/`` alone and ``name/**`` (kept as written: ``name/**`` then never
    matches an absolute path); a ``!`` one is never rooted."""
    patterns = [
        "/CLIPS/x.mov",
        "NEST/DAY/",
        "dir/**",
        "A/b/**",
        "**/X",
        "PROXY/",
        "!**/CLIPS/x.mov",
    ]
    spec = directory_hash_skips(patterns)
    assert spec.patterns == (
        "**/X",
        "PROXY/",
        "!**/CLIPS/x.mov",
        "/CLIPS/x.mov",
        "NEST/DAY/",
        "A/b/**",
    )
    assert spec.matches("CLIPS/x.mov", is_dir=False)  # the ! one comes before it
    assert not spec.matches("x/CLIPS/x.mov", is_dir=False)
    assert spec.matches("NEST/DAY", is_dir=True) and not spec.matches("Z/NEST/DAY", is_dir=True)
    assert spec.excludes("A/b/c.mov", is_dir=False)
    assert not spec.excludes("dir/c.mov", is_dir=False)  # dir/** never matches in -dh
    assert has_anchored(patterns) and has_anchored(["dir/**"]) and has_anchored(["!/NEST/"])
    assert not has_anchored(["**/X", "PROXY/", "!**/NEST/", ".offload"])
    # an anchored ! pattern never matches an absolute path: -dh does not apply it
    spec = directory_hash_skips(["*.mov", "!/CLIPS/x.mov", "!**/keep.mov"])
    assert spec.patterns == ("*.mov", "!**/keep.mov")
    assert spec.matches("CLIPS/x.mov", is_dir=False)
    assert not spec.matches("A/keep.mov", is_dir=False)
