"""The files' screen of ``IgnoreSpec`` (a set of names and prefixes asked of a path's last
name, the rest one expression): it must give every path the verdict of the rules tried one
by one, which is what the matcher gave before it (docs/performance.md, "Scan and plan:
fourteenth pass")."""

from __future__ import annotations

import warnings

from hypothesis import example, given, settings
from hypothesis import strategies as st

from offload.ledger import TOOL_IGNORE_PATTERNS
from offload.manifest import DEFAULT_IGNORE_PATTERNS, IgnoreSpec
from offload.manifest.ignore import KNOWN_TRANSLATIONS, _name_form
from offload.manifests_writer import COPY_ROOT_STATE
from offload.plan.ignore import IgnoreRules
from tests.unit.test_manifest_ignore import _rule_by_rule

# Pieces of patterns: names, globs, escapes, brackets, the characters an expression or a
# pattern treats specially, a newline, a name outside ASCII and a byte that is not UTF-8.
_PATTERN_PIECES = st.sampled_from(
    [
        "a",
        "b",
        "C0001",
        ".",
        "._",
        "_",
        "-",
        " ",
        "$",
        "^",
        "+",
        "(",
        ")",
        "{",
        "|",
        "&",
        "#",
        "!",
        "\\",
        "\\*",
        "\\ ",
        "\n",
        "ü",
        "\udc80",
        "*",
        "?",
        "**",
        "**/a/",
        "[ab]",
        "[!a]",
        "[",
        "]",
        "/",
        ".MP4",
        ".DS_Store",
        "Thumbs.db",
    ]
)
_PATTERNS = st.builds(
    lambda negated, pieces, folder: ("!" if negated else "") + "".join(pieces) + folder,
    st.booleans(),
    st.lists(_PATTERN_PIECES, min_size=1, max_size=5),
    st.sampled_from(["", "", "/", "/**"]),
)
_NAMES = st.lists(
    st.sampled_from(
        [
            "a",
            "b",
            "ab",
            "C0001.MP4",
            ".DS_Store",
            "._C0001.MP4",
            "._",
            "Thumbs.db",
            ".Trash-1000",
            ".offload-partial.x.C0001.MP4",
            "a b",
            "a ",
            "$",
            "#",
            "!",
            "*",
            "?",
            "[",
            "\\",
            "\n",
            "a\n",
            "ü",
            "\udc80",
            "",
        ]
    ),
    min_size=1,
    max_size=4,
).map("".join)
# Paths as the walk makes them, and odd ones a caller might pass: a leading or trailing
# "/", an empty segment, the empty path.
_PATHS = st.builds(
    lambda lead, names, trail: lead + "/".join(names) + trail,
    st.sampled_from(["", "", "", "/"]),
    st.lists(_NAMES, min_size=1, max_size=4),
    st.sampled_from(["", "", "", "/"]),
)


@settings(max_examples=600)
@given(
    st.lists(_PATTERNS, max_size=6),
    st.booleans(),
    st.lists(_PATHS, min_size=1, max_size=8),
)
@example(["*"], False, ["", "/", "a/", "/a", "a//b"])
@example(["._*", "!._keep"], True, ["x/._keep", "x/._a", "._", "/._a", "._a/"])
@example(["a\\ "], False, ["a ", "x/a ", "a"])
@example(["[!a]b"], False, ["x/b", "cb", "ab"])
@example(["a?b"], False, ["a/b", "acb", "x/a/b"])
@example(["**/CLIPS/take.mov", "**/a/b*", "**/a\\/b"], False, ["CLIPS/take.mov", "x/a/b", "x/a/bc"])
def test_every_path_gets_the_verdict_of_the_rules_one_by_one(
    patterns: list[str], with_defaults: bool, paths: list[str]
) -> None:
    extra = (*DEFAULT_IGNORE_PATTERNS, *COPY_ROOT_STATE) if with_defaults else ()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # brackets pathspec passes through
        spec = IgnoreSpec((*extra, *patterns))
    for path in paths:
        for is_dir in (False, True):
            assert spec.matches(path, is_dir=is_dir) == _rule_by_rule(spec, path, is_dir=is_dir), (
                patterns,
                path,
                is_dir,
            )


def test_the_scans_default_rules_are_decided_by_a_files_last_name_alone() -> None:
    # The fast path of a card's files: every rule of a default scan that can ignore a file
    # is a name (or a name's start) at any depth, so no expression is run for a file.
    rules = IgnoreRules.default(exclude_root_ascmhl=True).adding(TOOL_IGNORE_PATTERNS)
    screen = rules.spec._file_screen
    assert screen is not None and screen.names_only
    assert screen.names >= {".DS_Store", "Thumbs.db", "System Volume Information"}
    assert set(screen.prefixes) == {"._", ".Trash-", ".offload-partial.", ".offload-probe-"}


def test_name_forms_of_the_kept_translations() -> None:
    forms = {body: _name_form(source) for body, source in KNOWN_TRANSLATIONS.items()}
    assert forms["$RECYCLE.BIN"] == ("$RECYCLE.BIN", False)
    assert forms["System Volume Information"] == ("System Volume Information", False)
    assert forms["._*"] == ("._", True)
    assert forms["/lost+found"] is None  # anchored: not a name at any depth
    assert forms["/.offload"] is None


def test_expressions_that_are_not_a_name_are_left_to_the_path() -> None:
    assert _name_form(r"^(?:.+/)?a[^/]b(?:/|$)") is None  # "?" inside
    assert _name_form(r"^(?:.+/)?[^/]*\.MP4(?:/|$)") is None  # "*" not last
    assert _name_form(r"^(?:.+/)?a\d(?:/|$)") is None  # a class, not a literal
    assert _name_form(r"^(?:.+/)?a\(?:/|$)") is None
    assert _name_form(r"^(?:.+/)?\\[^/]*(?:/|$)") == ("\\", True)
    assert _name_form(r"^(?:.+/)?(?:/|$)") == ("", False)
    assert _name_form(r"^(?:.+/)?CLIPS/take\.mov(?:/|$)") is None  # "**/CLIPS/take.mov"
    assert _name_form(r"^(?:.+/)?a\/b(?:/|$)") is None
