"""Review of namesfix67/srcwords67 (revfix3_67): a name is printed through
``printable_name`` once, so a literal backslash shows as two (``\\\\``), never four, in
every line that joins several names (``join_paths``), and a copy-root source's wording
never rewrites a printed name that holds "the card"."""

from __future__ import annotations

import os
from pathlib import Path

from support.offload_cli import offload


def _card(tmp_path: Path, *clips: str) -> Path:
    card = tmp_path / "card" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for clip in clips:
        (card / "CLIPS" / clip).write_bytes(os.urandom(20_000))
    return card


def test_destinations_on_the_source_filesystem_print_a_backslash_as_two(tmp_path: Path) -> None:
    """Two destinations named ``B\\1`` and ``B\\2`` on the card's filesystem: the warning
    that they share the source's filesystem names each as every other line does
    (``B\\\\1``). Failed before: ``space._source_shared`` printed the names, then
    ``join_paths`` printed them again (``B\\\\\\\\1``)."""
    card = _card(tmp_path, "A001C001.mov")
    one, two = tmp_path / "B\\1", tmp_path / "B\\2"
    one.mkdir()
    two.mkdir()
    code, said = offload("copy", "--dry-run", card, one, two)
    assert code == 0, said
    shown = [line for line in said.splitlines() if "same filesystem as the source" in line]
    assert shown, said
    assert "B\\\\1" in shown[0] and "B\\\\2" in shown[0], shown
    assert "\\\\\\\\" not in said, said


def test_a_cascade_fast_copy_on_the_card_disk_prints_a_backslash_as_two(tmp_path: Path) -> None:
    """The cascade's clause naming its fast copies on the card's disk (``this cascade will
    not release the card on the copy on ...``). Failed before: ``B\\\\\\\\1``."""
    card = _card(tmp_path, "A001C001.mov")
    one, two, three = tmp_path / "B\\1", tmp_path / "B\\2", tmp_path / "B\\3"
    for d in (one, two, three):
        d.mkdir()
    code, said = offload("copy", "--dry-run", "--cascade-to", three, card, one, two)
    assert code == 0, said
    clause = f"will not release the card on the copies on {tmp_path}/B\\\\1 and {tmp_path}/B\\\\2:"
    assert clause in said, said
    assert "\\\\\\\\" not in said, said
