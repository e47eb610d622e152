"""A card of two clips, and its copy's clips replaced by symlinks the copy cannot vouch for:
the shared setup of the ``offload verify`` tests on links out of the copy."""

from __future__ import annotations

import os
from pathlib import Path


def card_with_clips(tmp_path: Path) -> Path:
    """``tmp_path/card`` with ``CLIPS/A001.MOV`` (200 kB) and ``CLIPS/A002.MOV`` (1 kB)."""
    card = tmp_path / "card"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001.MOV").write_bytes(os.urandom(200_000))
    (card / "CLIPS" / "A002.MOV").write_bytes(os.urandom(1000))
    return card


def clips_replaced_by_links(card: Path, root: Path) -> tuple[Path, Path]:
    """Replace the copy's two clips under *root*: ``A001.MOV`` by a link to the card's own
    clip (outside the copy: not its bytes), ``A002.MOV`` by one that leads nowhere. Returns
    both links."""
    first = root / "CLIPS" / "A001.MOV"
    first.unlink()
    first.symlink_to(card / "CLIPS" / "A001.MOV")
    second = root / "CLIPS" / "A002.MOV"
    second.unlink()
    second.symlink_to("A002-gone.MOV")
    return first, second
