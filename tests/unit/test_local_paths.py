"""The local destination's path helpers (``destinations.local``: ``_split``, ``_folder_of``,
``_joined``) are ``os.path``'s split, dirname and join, made with ``str`` methods for plain
paths (a few Python calls less a file on the writer and committer threads): the same answer
for every path, odd ones too ("/x", "a//x", "x/", "")."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from offload.destinations.local import _folder_of, _joined, _split

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
