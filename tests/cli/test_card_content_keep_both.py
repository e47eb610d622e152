"""The ``CARD CONTENT`` line of a run that kept a damaged copy of ours at the card file's
name (``--keep-both``), the new copy beside it: its count is the card's files, and it never
says "the copies hold what the card holds", which read as said of the damaged file kept at
that name too. Real ``offload`` processes, a copy damaged on disk."""

from __future__ import annotations

import os
from pathlib import Path

from support.offload_cli import run_offload


def _card_content(said: str) -> str:
    (line,) = [line for line in said.splitlines() if line.startswith("CARD CONTENT:")]
    return line


def test_the_card_content_line_beside_a_damaged_copy_kept(tmp_path: Path) -> None:
    """Failed before: "... (so on the card itself: the copies hold what the card holds, not a
    copy problem; ...)" beside "BUT 1 DAMAGED COPY OF OURS IS KEPT AT THE CARD'S NAME"."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for number in range(2):  # random bytes: files named as clips that are no media
        (card / "CLIPS" / f"A001C00{number}.mov").write_bytes(os.urandom(300_000))
    dest = tmp_path / "RAID"
    dest.mkdir()
    first = run_offload("copy", "-q", "--report-dir", tmp_path / "r1", card, dest)
    assert first.returncode == 0, first.stderr
    damaged = dest / "A001" / "CLIPS" / "A001C000.mov"
    before = damaged.stat()
    data = bytearray(damaged.read_bytes())
    data[1000] ^= 0xFF
    damaged.write_bytes(bytes(data))
    os.utime(damaged, ns=(before.st_atime_ns, before.st_mtime_ns))
    again = run_offload(
        "copy", "--reverify", "--keep-both", "--report-dir", tmp_path / "r2", card, dest
    )
    said = again.stdout + again.stderr
    assert again.returncode == 1, said  # a damaged copy kept at the card's name
    assert "DAMAGED COPY OF OURS IS KEPT AT THE CARD'S NAME" in " ".join(said.split()), said
    line = _card_content(said)
    # The card's two files, each named once: the copy beside is no file of the card.
    assert line.startswith("CARD CONTENT: 2 files named as clips on the card"), line
    assert "A001C000 (1).mov" not in line, line
    assert "the copies hold what the card holds" not in line, line
    assert "(so on the card itself, not a copy problem; check with the camera department)" in line


def test_the_card_content_line_of_copies_all_at_their_names(tmp_path: Path) -> None:
    """The same card, every copy read back at its card file's name: the line says the
    copies hold what the card holds (the rule above takes nothing from it)."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C000.mov").write_bytes(os.urandom(300_000))
    dest = tmp_path / "RAID"
    dest.mkdir()
    done = run_offload("copy", "--report-dir", tmp_path / "r1", card, dest)
    assert done.returncode == 0, done.stderr
    assert "the copies hold what the card holds" in _card_content(done.stdout + done.stderr)
