"""The walk's order and the preflight's entry order, on names all ASCII (sorted as text, the
scan's usual case) and mixed with others (sorted as bytes): both the order of the bytes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from offload.plan.ignore import IgnoreRules
from offload.plan.preflight.names import entries_of
from offload.plan.scan import scan_source
from offload.walk import walk_tree

# ASCII names with the characters that sort around "/" and "." ("-" < "." < "/" < "0"),
# and a few names outside ASCII to mix in.
_ASCII = st.text(alphabet=" !#$%+,-.0129=@AZ[]_`az{}~", min_size=1, max_size=6).filter(
    lambda n: n not in (".", "..")
)
_OTHER = st.sampled_from(["é", "a\u0301", "日本", "\x7f", "Z\u00ff"])


def _by_bytes_walk(root: Path) -> list[str]:
    """The walk's definition: depth first, a folder's entries sorted by their names' bytes,
    a folder just before its content."""
    found: list[str] = []

    def visit(folder: Path, prefix: str) -> None:
        for name in sorted(os.listdir(folder), key=os.fsencode):
            found.append(prefix + name)
            if (folder / name).is_dir() and not (folder / name).is_symlink():
                visit(folder / name, prefix + name + "/")

    visit(root, "")
    return found


@settings(max_examples=80)
@given(
    st.lists(
        st.tuples(st.lists(_ASCII | _OTHER, min_size=0, max_size=2), _ASCII | _OTHER),
        min_size=1,
        max_size=10,
    ),
    st.booleans(),
)
@example([(["a"], "x"), ([], "a-b"), ([], "a.b"), ([], "B"), ([], "b"), ([], "_")], True)
@example([(["a"], "x"), ([], "a-b"), ([], "é"), ([], "B"), ([], "e")], False)
def test_walk_and_entries_come_in_the_order_of_the_bytes(
    layout: list[tuple[list[str], str]], ascii_only: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "card"
        root.mkdir()
        for folders, name in layout:
            parts = [p for p in (*folders, name) if ascii_only is False or p.isascii()]
            if not parts:
                continue
            folder = root.joinpath(*parts[:-1])
            try:
                folder.mkdir(parents=True, exist_ok=True)
                (folder / parts[-1]).write_bytes(b"")
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                continue  # a name taken by a file and a folder: one of them is enough
        expected = _by_bytes_walk(root)
        walked = []
        for item in walk_tree(root):
            walked.append(item.relative)
            if item.entry.is_dir(follow_symlinks=False):
                item.enter()
        assert walked == expected
        tree = scan_source(root, ignore=IgnoreRules.none())
        assert [e.relative_path for e in entries_of(tree)] == expected
