"""Names a destination stored in another normalisation are the card's own, not twins
(plan/preflight/names.py, ``_not_ours``). Linux hfsplus stores and lists names NFD: before,
a re-run of a card with NFC names onto it was refused, naming its own earlier copy as a
normalisation twin (reviewer, item 4). No hfsplus in this kernel: the folder is on the test
machine's filesystem, holding the names as hfsplus would list them."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from offload.plan.filesystem import FilesystemInfo
from offload.plan.names import find_collisions
from offload.plan.preflight.names import _not_ours

NFC = unicodedata.normalize("NFC", "Café.mov")
NFD = unicodedata.normalize("NFD", NFC)


def collisions(folder: Path, fs: FilesystemInfo, ours: list[str]) -> list[tuple[str, ...]]:
    """What the preflight's existing-name check refuses in *folder* (as check_names)."""
    present = {entry.name for entry in os.scandir(folder)}
    others = _not_ours(folder, present, set(ours), fs)
    return [c.names for c in find_collisions([*ours, *sorted(others)], fs.rules)]


def test_a_re_run_onto_hfsplus_finds_its_own_copy_under_its_nfd_name(tmp_path: Path) -> None:
    (tmp_path / NFD).write_bytes(b"the card's earlier copy")
    assert collisions(tmp_path, FilesystemInfo("hfsplus"), [NFC]) == []
    # Another name of other case is still a twin there, and on APFS (which stores names as
    # given) an NFD name no lookup of ours resolves to is one too.
    (tmp_path / "CAFÉ.MOV").write_bytes(b"another file")
    assert collisions(tmp_path, FilesystemInfo("hfsplus"), [NFC]) == [(NFC, "CAFÉ.MOV")]
    (tmp_path / "CAFÉ.MOV").unlink()
    assert collisions(tmp_path, FilesystemInfo("apfs"), [NFC]) == [(NFC, NFD)]


def test_a_name_a_lookup_of_ours_resolves_to_is_ours(tmp_path: Path) -> None:
    """The general rule: the filesystem looks our name up to that same entry (APFS folds
    normalisation so; here two links of one inode stand for it)."""
    (tmp_path / NFC).write_bytes(b"the card's earlier copy")
    os.link(tmp_path / NFC, tmp_path / NFD)
    assert collisions(tmp_path, FilesystemInfo("apfs"), [NFC]) == []
