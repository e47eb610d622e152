"""One card's revocation in a ledger two cards share (``--keep-both``), on real exFAT cards
(loop devices, exfat-fuse), the real CLI in a subprocess."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from integration.test_card_identity import NAMES, a_then_b_kept_both, assert_all_trusted
from integration.test_field_filesystems import run
from support.cards import corrupt_keeping_size_and_mtime


def test_one_cards_reverify_leaves_the_other_cards_copies_vouched_for(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Card A, then card B kept beside it (``--keep-both``); A's copy of one clip then
    changes (size and date kept) and A's ``--reverify --keep-both`` finds it wrong and
    revokes it. B's next run still trusts its own copies and writes nothing. Failed
    before: the path-wide ``revoked`` line ended B's entry too, and B's run wrote one
    more copy, "(2)"."""
    first, second, dest, reports = a_then_b_kept_both(tmp_path, exfat_loop)
    folder = dest / "A001"
    corrupt_keeping_size_and_mtime(folder / NAMES[0])
    again = run("copy", first, dest, "--reverify", "--keep-both", "--report-dir", reports)
    # Exit 1: the damaged copy is kept at the card file's name (README, exit codes).
    assert again.returncode == 1, again.stdout + again.stderr
    assert "copy no longer matches" in again.stderr, again.stderr
    before = sorted(p.name for p in (folder / "CLIPS").iterdir())
    b_again = run("copy", second, dest, "--keep-both", "--report-dir", reports)
    assert_all_trusted(b_again, reports)
    assert sorted(p.name for p in (folder / "CLIPS").iterdir()) == before
