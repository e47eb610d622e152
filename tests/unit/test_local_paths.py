"""The local destination's path helpers (``destinations.local``: ``_split``, ``_folder_of``,
``_joined``) are ``os.path``'s split, dirname and join, made with ``str`` methods for plain
paths (a few Python calls less a file on the writer and committer threads): the same answer
for every path, odd ones too ("/x", "a//x", "x/", ""). A partial's name
(``naming.partial_name``) is its rule's for every name, its short-ASCII shortcut too."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from offload.destinations.local import _folder_of, _joined, _split
from offload.destinations.naming import PARTIAL_PREFIX, partial_name

# Paths made of separators, dots and short names: every case os.path treats apart.
_PATHS = st.lists(st.sampled_from(["/", "//", "a", "b.c", ".", ".."]), max_size=6).map("".join)
_NAMES = st.sampled_from(["x", ".offload-partial.1.x", "/x", "", "x/y"])


@given(path=_PATHS)
def test_split_and_folder_are_os_paths(path: str) -> None:
    assert _split(path) == os.path.split(path)
    assert _folder_of(path) == os.path.dirname(path)
    assert _folder_of(Path(path or ".")) == os.path.dirname(Path(path or "."))


@given(folder=_PATHS, name=_NAMES)
def test_joined_is_os_path_join(folder: str, name: str) -> None:
    assert _joined(folder, name) == os.path.join(folder, name)


def _cut_partial_name(final_name: str, stem: str) -> str:
    """``naming.partial_name``'s rule for any name: the stem, then the final name's UTF-8
    bytes (surrogates escaped) cut to the bytes left of NAME_MAX, a character cut in two
    dropped."""
    budget = 255 - len(stem.encode())
    encoded = final_name.encode("utf-8", "surrogateescape")[:budget]
    return stem + encoded.decode("utf-8", "ignore")


@given(
    final_name=st.one_of(
        st.text(alphabet=st.characters(max_codepoint=127), max_size=300),
        st.text(max_size=300),
        st.sampled_from(["C0001.MP4", "a" * 222, "a" * 223, "a" * 254, "é" * 120, "\udcff.MP4"]),
    )
)
def test_a_partial_name_is_the_final_name_cut_to_name_max(final_name: str) -> None:
    """``partial_name`` answers a short ASCII name without encoding it (its bytes are its
    characters): the same name the rule makes, for ASCII names of every length, non-ASCII
    ones, lone surrogates and names at the cut."""
    name = partial_name(final_name)
    stem = name[: name.index(".", len(PARTIAL_PREFIX)) + 1]
    assert name == _cut_partial_name(final_name, stem)
    assert len(name.encode("utf-8", "surrogateescape")) <= 255


def test_a_copy_under_another_name_is_told_by_its_last_name_alone() -> None:
    """The one rule of the KEPT BOTH warning and the documents' rows (``--keep-both``)."""
    from offload.destinations.naming import under_another_name

    assert under_another_name("/mnt/d/A001/CLIPS/C001 (1).mov", "CLIPS/C001.mov")
    assert under_another_name("s3://b/A001/C001 (1).mov", "C001.mov")
    assert not under_another_name("/mnt/d/A001/CLIPS/C001.mov", "CLIPS/C001.mov")
    assert not under_another_name("s3://b/day1/A001/C001.mov", "C001.mov")
