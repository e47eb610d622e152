"""``stray_partials`` before a card's first offload onto a drive: the copy root is not there,
so no folder below it can hold a partial; none is listed (the folders of a 50,000-file card
were a pass over every file: docs/performance.md, "thirtieth pass"). A root that is there
is looked into as before."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offload.plan.destination import plan_destinations
from offload.plan.scan import scan_source
from offload.plan.strays import stray_partials


def _card(root: Path) -> Path:
    for name in ("DCIM/100/A.JPG", "DCIM/101/B.JPG"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x" * 100)
    return root


def test_no_copy_root_lists_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    card = _card(tmp_path / "CARD")
    (tmp_path / "dest").mkdir()
    tree = scan_source(card)
    (plan,) = plan_destinations(tree, card, [tmp_path / "dest"], into=False)
    assert not os.path.lexists(plan.root)

    def no_listing(*args: object) -> object:
        raise AssertionError("a folder below a missing copy root was listed")

    monkeypatch.setattr(os, "scandir", no_listing)
    assert stray_partials(tree, plan) == []


def test_a_copy_root_there_is_looked_into(tmp_path: Path) -> None:
    card = _card(tmp_path / "CARD")
    (tmp_path / "dest").mkdir()
    tree = scan_source(card)
    (plan,) = plan_destinations(tree, card, [tmp_path / "dest"], into=False)
    folder = Path(plan.root) / "DCIM" / "101"
    folder.mkdir(parents=True)
    dead = folder / ".offload-partial.000000.B.JPG"
    dead.write_bytes(b"y" * 4096)
    assert [path for path, _ in stray_partials(tree, plan)] == [str(dead)]
