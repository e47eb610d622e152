"""A destination that is a bind mount of a folder inside the card: the card was copied into
itself (``par/S2/par/...``), since the destination's own ancestors never include the card.
Real bind mounts (the tests' private mount namespace), the real CLI in a subprocess."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from support.offload_cli import run_offload as run


@pytest.mark.parametrize("dry_run", [False, True], ids=["copy", "dry-run"])
@pytest.mark.parametrize("below", ["", "sub"], ids=["the-bind", "below-the-bind"])
def test_a_bind_mount_of_a_folder_inside_the_card_is_refused(
    tmp_path: Path, bind_mount: Callable[[Path, Path], object], dry_run: bool, below: str
) -> None:
    """Failed before: exit 0, and the card written into its own folder S2."""
    card = tmp_path / "par"
    (card / "S2" / "CLIPS").mkdir(parents=True)
    (card / "S2" / "CLIPS" / "a.mov").write_bytes(b"x\n")
    (card / "S2" / "sub").mkdir()
    view = tmp_path / "bindt"
    bind_mount(card / "S2", view)
    dest = view / below if below else view
    before = sorted(str(p) for p in card.rglob("*"))
    result = run("copy", *(["--dry-run"] if dry_run else []), card, dest)
    assert result.returncode == 64, result.stdout + result.stderr
    assert f"destination {dest} is inside the source {card}" in result.stderr, result.stderr
    assert sorted(str(p) for p in card.rglob("*")) == before


def test_a_bind_mount_of_a_folder_beside_the_card_is_a_destination(
    tmp_path: Path, bind_mount: Callable[[Path, Path], object]
) -> None:
    """The same filesystem, a folder outside the card: copied, as before."""
    card = tmp_path / "par"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "a.mov").write_bytes(b"x\n")
    (tmp_path / "out").mkdir()
    view = tmp_path / "bindo"
    bind_mount(tmp_path / "out", view)
    result = run("copy", card, view, "--report-dir", tmp_path / "r")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out" / "par" / "CLIPS" / "a.mov").read_bytes() == b"x\n"
    assert os.listdir(card) == ["CLIPS"]
