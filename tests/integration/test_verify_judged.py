"""``offload verify`` of a folder says what the reference tool (``ascmhl`` 1.2) says where
they overlap: a folder the history records that is gone is missing (exit 10); offload-ai's
own legacy MHL is not a new file of a ``--mhl legacy`` copy; a link out of the card is
passed over against a legacy MHL as the ASC MHL history's ignore list passes it over."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import offload_streams as offload


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))


def copied(tmp_path: Path, *options: str, links: dict[str, str] | None = None) -> Path:
    """A card ``c`` (a.mov, CLIP/b.mov, the empty folders ``empty`` and ``CLIP/deep/er``,
    and *links*) copied into ``d`` with *options*; returns the copy root."""
    card = tmp_path / "c"
    (card / "CLIP" / "deep" / "er").mkdir(parents=True)
    (card / "empty").mkdir()
    (card / "a.mov").write_bytes(b"a\n")
    (card / "CLIP" / "b.mov").write_bytes(os.urandom(5000))
    for name, target in (links or {}).items():
        os.symlink(target, card / name)
    (tmp_path / "d").mkdir()
    code, _, err = offload("copy", "--quiet", *options, card, tmp_path / "d")
    assert code == 0, err
    return tmp_path / "d" / "c"


def test_a_recorded_folder_that_is_gone_is_missing_exit_10_as_ascmhl_says(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    root = copied(tmp_path)
    assert offload("verify", root)[0] == 0
    assert judge.verify(root).clean
    (root / "empty").rmdir()
    (root / "CLIP" / "deep" / "er").rmdir()
    code, out, err = offload("verify", root)
    assert code == 10, out + err
    # Each said as a folder: never a MISSING file's line beside "0 missing".
    for gone in ("empty", "CLIP/deep/er"):
        assert f"ERROR: MISSING FOLDER (recorded) {root}/{gone}\n" in err, err
    assert "ERROR: MISSING /" not in err, err
    # Folders, not files: said apart, never counted among the files.
    assert f"{root}: 2 OK, 0 changed, 0 missing, 2 recorded folders gone, 0 new" in out
    code, out, _ = offload("verify", "--json", root)
    data = json.loads(out)
    assert code == 10 and data["missing"] == [] and data["totals"]["missing"] == 0
    assert data["missing_folders"] == ["CLIP/deep/er", "empty"]
    judged = judge.verify(root)
    assert judged.returncode == 10, judged.describe()
    assert "  empty\n" in judged.stderr and "  CLIP/deep/er\n" in judged.stderr

    # A folder that holds a file: gone with its file, both are missing.
    (root / "CLIP" / "b.mov").unlink()
    (root / "CLIP" / "deep").rmdir()
    (root / "CLIP").rmdir()
    code, out, _ = offload("verify", "--json", root)
    assert code == 10
    data = json.loads(out)
    assert data["missing"] == ["CLIP/b.mov"]
    assert data["missing_folders"] == ["CLIP", "CLIP/deep", "CLIP/deep/er", "empty"]


def test_a_recorded_folder_replaced_by_a_link_to_a_folder_is_not_missing(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    root = copied(tmp_path)
    (root / "empty").rmdir()
    os.symlink("CLIP", root / "empty")  # ascmhl: the name is there (a folder it does not enter)
    code, out, err = offload("verify", root)
    assert code == 0, out + err
    assert judge.verify(root).returncode == 0


def test_a_legacy_only_copy_verifies_clean_its_own_mhl_is_not_new(tmp_path: Path) -> None:
    root = copied(tmp_path, "--mhl", "legacy")
    (own,) = root.glob("c_*.mhl")
    assert not (root / "ascmhl").exists()
    code, out, err = offload("verify", root)
    assert code == 0, out + err
    assert "NEW" not in err and f"{root}: 2 OK, 0 changed, 0 missing, 0 new" in out
    # Only that name at the root is ours: anything else there is still new.
    (root / "CLIP" / own.name).write_bytes(own.read_bytes())
    (root / "notes.mhl").write_bytes(b"<hashlist/>")
    code, out, err = offload("verify", "--json", root)
    assert code == 21, err
    assert json.loads(out)["extra"] == [f"CLIP/{own.name}", "notes.mhl"]


def test_a_link_out_of_the_card_is_passed_over_against_either_reference(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    root = copied(
        tmp_path,
        "--mhl",
        "both",
        links={"abs": "/etc/hostname", "up": "../../outside.txt", "a-link.mov": "a.mov"},
    )
    (tmp_path / "outside.txt").write_bytes(b"not the card's")
    (legacy,) = root.glob("c_*.mhl")
    for args in (("--mhl-file", legacy), ()):
        code, out, err = offload("verify", "--json", *args, root)
        assert code == 0, out + err
        data = json.loads(out)
        assert data["extra"] == [] and data["missing"] == []
        # a link to a file of the card is listed (both manifests) and checked
        assert sorted(data["verified"]) == ["CLIP/b.mov", "a-link.mov", "a.mov"]
    assert judge.verify(root).clean
    # A file added since is still new against the legacy MHL.
    (root / "late.mov").write_bytes(b"late")
    code, out, _ = offload("verify", "--json", "--mhl-file", legacy, root)
    assert code == 21 and json.loads(out)["extra"] == ["late.mov"]


@pytest.mark.parametrize(
    ("options", "reference"),
    [((), "the ASC MHL history"), (("--mhl", "none"), "offload-ai's ledger")],
)
def test_a_new_file_is_said_to_be_missing_from_the_reference_verify_used(
    tmp_path: Path, options: tuple[str, ...], reference: str
) -> None:
    """A file the copy root holds that the reference does not record is new to *that*
    reference: a copy root's ledger may record a file its ASC MHL history does not (a run
    cancelled before its manifests). Failed before: "NEW (not in the records)", whichever
    reference was used, as if no record of ours held it."""
    root = copied(tmp_path, *options)
    (root / "notes.txt").write_text("hi\n")
    code, out, err = offload("verify", root)
    assert code == 21, out + err
    assert f"WARNING: NEW (not in {reference}) {root / 'notes.txt'}" in err


def test_a_damaged_copy_without_a_history_stays_changed_on_every_later_check(
    tmp_path: Path,
) -> None:
    """A copy made with --mhl none is checked against the ledger; the first check that finds
    a file damaged revokes its entry, keeping the entry it ended (``revoked_copy``). Failed
    before: the second check found no record vouching for the file and called the same
    damaged file NEW (exit 21), as if nothing were known of it."""
    root = copied(tmp_path, "--mhl", "none")
    clip = root / "CLIP" / "b.mov"
    data = bytearray(clip.read_bytes())
    data[100] ^= 0xFF
    clip.write_bytes(bytes(data))
    for _ in range(3):
        code, out, err = offload("verify", "--json", root)
        assert code == 11, out + err
        report = json.loads(out)
        assert [c["path"] for c in report["changed"]] == ["CLIP/b.mov"], report
        assert report["extra"] == [] and report["verified"] == ["a.mov"], report
    code, _, err = offload("verify", root)
    assert code == 11, err
    assert "1 copy found wrong above was found wrong by an earlier check too" in err, err
    assert "not vouched for" not in err, err
    # Put back as copied, it is verified again against what was verified there.
    data[100] ^= 0xFF
    clip.write_bytes(bytes(data))
    code, out, err = offload("verify", "--json", root)
    assert code == 0, out + err
    assert sorted(json.loads(out)["verified"]) == ["CLIP/b.mov", "a.mov"]


def test_a_damaged_copy_deleted_after_its_check_is_missing_on_every_later_check(
    tmp_path: Path,
) -> None:
    """A --mhl none copy found damaged (its record revoked, the entry kept) and then deleted
    by the user: the copy root no longer holds the card file it held, and a check against the
    ledger says so (MISSING, exit 10), as it does of any copy gone whose record stands
    (docs/design.md, "A copy `offload verify` found wrong"); never a pass, which would claim
    the copy root whole. A plain re-run copies the file again, and the check passes."""
    root = copied(tmp_path, "--mhl", "none")
    clip = root / "CLIP" / "b.mov"
    data = bytearray(clip.read_bytes())
    data[100] ^= 0xFF
    clip.write_bytes(bytes(data))
    code, _, err = offload("verify", root)
    assert code == 11, err
    clip.unlink()
    for _ in range(2):
        code, out, err = offload("verify", "--json", root)
        assert code == 10, out + err
        report = json.loads(out)
        assert report["missing"] == ["CLIP/b.mov"] and report["changed"] == [], report
    code, _, err = offload("copy", "--quiet", tmp_path / "c", tmp_path / "d")
    assert code == 0, err
    code, out, err = offload("verify", "--json", root)
    assert code == 0, out + err
