"""``offload verify`` revoking the record of a copy that was only ever transfer-checked
(``--verify transfer``: never read back) calls it so, never "verified earlier" (QA,
thirty-sixth pass). The real CLI in a subprocess on real files."""

from __future__ import annotations

from pathlib import Path

from integration.test_field_filesystems import run
from support.cards import clips_card, corrupt_keeping_size_and_mtime


def test_a_transfer_checked_copy_found_wrong_is_not_called_verified_earlier(
    tmp_path: Path,
) -> None:
    card = clips_card(tmp_path / "cards", 2, 40_000)
    dest = tmp_path / "x1"
    dest.mkdir()
    copied = run("copy", "--mhl", "none", "--verify", "transfer", card, dest)
    assert copied.returncode == 0, copied.stderr
    corrupt_keeping_size_and_mtime(dest / "A001" / "CLIPS" / "C001.mov")

    checked = run("verify", dest / "A001")

    assert checked.returncode != 0
    assert "no `offload copy` trusts it as transfer-checked earlier any more" in checked.stderr
    assert "verified earlier" not in checked.stderr
