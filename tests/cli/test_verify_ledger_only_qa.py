"""``offload verify`` against the ledger alone. QA (thirty-ninth pass):

* a ``--mhl none`` copy: it passes over what the offload's default ignore list leaves out, as
  the check against an ASC MHL history does (its ignore list carries that list): a Mac that
  mounted the copy writes ``.DS_Store`` and AppleDouble ``._*`` files there. The ledger's
  check called them NEW, exit 21;
* a finished copy whose ``ascmhl/`` was deleted: the check fell back to the ledger silently;
  it now warns that the history this copy had is missing (the files' result, against the
  ledger, stands: exit 0 when they pass)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from support.offload_cli import offload


def copied(tmp_path: Path, *options: str) -> tuple[Path, Path]:
    """A card ``A001`` (``DCIM/IMG_0001.JPG``) copied by ``offload copy --quiet *options*``
    (in-process) into *tmp_path*/dest: the copy root it made and the report folder it used
    (*tmp_path*/reports). A copy that fails fails the test."""
    card = tmp_path / "card" / "A001"
    (card / "DCIM").mkdir(parents=True)
    (card / "DCIM" / "IMG_0001.JPG").write_bytes(os.urandom(5000))
    (tmp_path / "dest").mkdir()
    reports = tmp_path / "reports"
    code, output = offload(
        "copy", "--quiet", *options, "--report-dir", reports, card, tmp_path / "dest"
    )
    assert code == 0, output
    return tmp_path / "dest" / "A001", reports


def test_a_ledger_check_passes_over_what_the_default_ignore_list_leaves_out(
    tmp_path: Path,
) -> None:
    root, reports = copied(tmp_path, "--mhl", "none")
    assert not (root / "ascmhl").exists()
    (root / ".DS_Store").write_bytes(b"finder")
    (root / "DCIM" / "._IMG_0001.JPG").write_bytes(b"appledouble")
    (root / ".Trashes" / "501").mkdir(parents=True)
    (root / ".Trashes" / "501" / "old.JPG").write_bytes(b"deleted")

    code, output = offload("verify", "--report-dir", reports, root)
    assert code == 0, output
    assert "1 OK, 0 changed, 0 missing, 0 new" in output and "NEW" not in output, output

    # A file no default pattern names is still new.
    (root / "DCIM" / "notes.txt").write_bytes(b"mine")
    code, output = offload("verify", "--report-dir", reports, root)
    assert code == 21, output
    assert f"NEW (not in offload-ai's ledger) {root / 'DCIM' / 'notes.txt'}" in output, output


def test_a_copy_whose_history_was_deleted_is_checked_against_the_ledger_with_a_warning(
    tmp_path: Path,
) -> None:
    root, reports = copied(tmp_path)
    shutil.rmtree(root / "ascmhl")

    code, output = offload("verify", "--report-dir", reports, root)
    assert code == 0, output
    assert "(against ledger;" in output, output
    assert (
        "WARNING: the ASC MHL history this copy had (generation 1, as "
        ".offload/manifests-complete.json records) is missing: ascmhl/ is gone, so this check "
        "is against offload-ai's ledger and `ascmhl-debug verify` finds no history (its exit "
        "30): restore ascmhl/ from another copy of this card"
    ) in output, output
    (saved,) = reports.glob("verify_*.json")
    assert any("is missing: ascmhl/ is gone" in n for n in json.loads(saved.read_text())["notes"])


def test_a_copy_made_without_manifests_has_no_history_to_miss(tmp_path: Path) -> None:
    root, reports = copied(tmp_path, "--mhl", "none")
    code, output = offload("verify", "--report-dir", reports, root)
    assert code == 0 and "WARNING" not in output, output
