"""A symlink of the card whose target, on a destination, is not the card's proven copy.

The link is copied as a link: there it leads to whatever stands at its target's name. When
that is not the card's file as this offload proved it (a foreign file refused at its name,
the card's file kept under another name by ``--keep-both``, a file the card's scan left
out), a manifest that read through the link recorded the foreign content's hash as the
card's, and both judges accepted it (QA, December 2026: ``link.mov`` listed with the hash of
a 6-byte foreign file, ``offload verify`` saying OK, ``--keep-both`` exiting 0). Now such a
link is not made (the card layer knows why, and says so: exit 1), or, made, is left out of
the manifest (no hash claimed; ``ascmhl-debug verify`` calls it new). Real files, the real CLI,
``ascmhl`` 1.2 as the judge.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from offload.hashing.registry import new_hasher
from offload.manifest import read_history
from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import offload

FOREIGN = b"other\n"


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def card_with_link(parent: Path) -> tuple[Path, bytes]:
    """CARD/CLIPS/A.mov and CARD/link.mov -> CLIPS/A.mov (the QA's card); its content."""
    card = parent / "CARD"
    (card / "CLIPS").mkdir(parents=True)
    content = os.urandom(100_000)
    (card / "CLIPS" / "A.mov").write_bytes(content)
    os.symlink("CLIPS/A.mov", card / "link.mov")
    return card, content


def foreign_destination(parent: Path, card: Path) -> Path:
    """A destination where a foreign file already stands at the card's CLIPS/A.mov (copied
    ``--into`` its folder: without, a folder of nothing but another file at a card file's
    name is refused whole, card_folder)."""
    dest = parent / "DEST"
    (dest / card.name / "CLIPS").mkdir(parents=True)
    (dest / card.name / "CLIPS" / "A.mov").write_bytes(FOREIGN)
    return dest


def copy_reports(report_dir: Path) -> list[dict[str, Any]]:
    """The JSON reports of `offload copy` in the local report folder, oldest first."""
    reports = [
        json.loads(path.read_text())
        for path in sorted(report_dir.glob("*.json"))
        if not path.name.startswith("verify_")
    ]
    return sorted(reports, key=lambda r: r["started"])


def xxh64(data: bytes) -> str:
    hasher = new_hasher("xxh64")
    hasher.update(data)
    return hasher.hexdigest()


def test_a_link_to_a_refused_file_is_not_made_and_no_foreign_hash_is_recorded(
    judge: AscmhlJudge, tmp_path: Path, report_dir: Path
) -> None:
    card, content = card_with_link(tmp_path)
    dest = foreign_destination(tmp_path, card)
    root = dest / card.name
    code, output = offload("copy", "--into", str(card), str(root))
    assert code == 2, output  # the file refused: a foreign file at its name
    assert not os.path.lexists(root / "link.mov"), "a link to the foreign file was made"
    assert "link.mov" in output and "not made" in output

    history = read_history(root)
    assert "link.mov" not in history.recorded_file_paths()
    manifests = "".join(p.read_text() for p in (root / "ascmhl").glob("*.mhl"))
    assert xxh64(FOREIGN) not in manifests

    (data,) = copy_reports(report_dir)
    (link,) = data["symlinks"]
    assert link["status"] == "failed" and link["manifest"] is None
    assert "CLIPS/A.mov" in link["error"] and "failed" in link["error"]
    assert data["destinations"][0]["symlinks_failed"] == 1
    assert data["destinations"][0]["result"] == "failed"
    # neither judge calls anything of the link OK
    code, out = offload("verify", "--json", str(root))
    verdict = json.loads(out[: out.rindex("}") + 1])
    assert "link.mov" not in verdict["verified"], out

    # The foreign file moved away, a re-run copies the card's file and makes the link,
    # listed with the card's content.
    (root / "CLIPS" / "A.mov").rename(tmp_path / "moved-away.mov")
    code, output = offload("copy", "--into", str(card), str(root))
    assert code == 0, output
    assert os.readlink(root / "link.mov") == "CLIPS/A.mov"
    hashes = read_history(root).reference_hashes()
    assert hashes["link.mov"] == hashes["CLIPS/A.mov"] == {"xxh64": xxh64(content)}
    result = judge.verify(root)
    assert result.clean, result.describe()
    code, out = offload("verify", str(root))
    assert code == 0, out


def test_keep_both_never_leaves_the_link_on_the_foreign_file_recorded_as_the_cards(
    judge: AscmhlJudge, tmp_path: Path, report_dir: Path
) -> None:
    """Before: exit 0, "all verified", the card's file kept as ``A (1).mov`` and the link,
    leading to the foreign ``A.mov``, listed with the foreign file's hash as the card's."""
    card, content = card_with_link(tmp_path)
    dest = foreign_destination(tmp_path, card)
    root = dest / card.name
    code, output = offload("copy", "--keep-both", "--into", str(card), str(root))
    assert code == 1, output  # the link is not made: not "all verified"
    assert (root / "CLIPS" / "A (1).mov").read_bytes() == content
    assert not os.path.lexists(root / "link.mov")

    history = read_history(root)
    assert history.recorded_file_paths() == {"CLIPS/A (1).mov"}
    manifests = "".join(p.read_text() for p in (root / "ascmhl").glob("*.mhl"))
    assert xxh64(FOREIGN) not in manifests

    (data,) = copy_reports(report_dir)
    (link,) = data["symlinks"]
    assert link["status"] == "failed"
    assert "A (1).mov" in link["error"] and "--keep-both" in link["error"]
    # What gets out, said (the name freed, then a re-run): never "a re-run makes it" alone.
    assert f"move the other file at {root / 'CLIPS' / 'A.mov'} away, then re-run" in link["error"]
    assert data["destinations"][0]["result"] == "failed"
    assert data["destinations"][0]["files_verified"] == 1
    code, out = offload("verify", "--json", str(root))
    verdict = json.loads(out[: out.rindex("}") + 1])
    assert "link.mov" not in verdict["verified"], out

    # The foreign file moved away, the same command again copies the card's file to its own
    # name, verifies it and makes the link (QA: before, every re-run trusted "A (1).mov"
    # from the ledger and stayed at exit 1; only --no-resume got out).
    (root / "CLIPS" / "A.mov").rename(tmp_path / "moved-away.mov")
    code, output = offload("copy", "--keep-both", "--into", str(card), str(root))
    assert code == 0, output
    assert (root / "CLIPS" / "A.mov").read_bytes() == content
    assert os.readlink(root / "link.mov") == "CLIPS/A.mov"
    assert (root / "CLIPS" / "A (1).mov").read_bytes() == content  # kept, as it was
    rerun = copy_reports(report_dir)[-1]
    (file,) = rerun["files"]
    assert file["destinations"][0]["status"] == "verified", file
    assert rerun["symlinks"][0]["status"] == "created"
    hashes = read_history(root).reference_hashes()
    assert hashes["link.mov"] == hashes["CLIPS/A.mov"] == {"xxh64": xxh64(content)}
    result = judge.verify(root)
    assert result.clean, result.describe()
    code, out = offload("verify", str(root))
    assert code == 0, out
    # And a third run trusts it all.
    code, output = offload("copy", "--keep-both", "--into", str(card), str(root))
    assert code == 0, output


def test_a_made_link_that_leads_to_no_verified_copy_is_left_out_of_the_manifest(
    judge: AscmhlJudge, tmp_path: Path, report_dir: Path
) -> None:
    """The card's link leads to a file the scan leaves out (``--ignore '*.tmp'``): a link of
    the card, made; on the destination a foreign ``take.tmp`` stands at that name. Before,
    the manifest listed the link with the foreign file's hash and ``ascmhl-debug verify`` passed."""
    card = tmp_path / "CARD"
    card.mkdir()
    (card / "clip.mov").write_bytes(os.urandom(10_000))
    (card / "take.tmp").write_bytes(b"the card's scratch file")
    os.symlink("take.tmp", card / "take.lnk")
    dest = tmp_path / "DEST"
    (dest / card.name).mkdir(parents=True)
    (dest / card.name / "take.tmp").write_bytes(FOREIGN)
    root = dest / card.name
    code, output = offload("copy", "--ignore", "*.tmp", str(card), str(dest))
    assert code == 0, output
    assert os.readlink(root / "take.lnk") == "take.tmp"  # copied as a link
    assert read_history(root).recorded_file_paths() == {"clip.mov"}
    manifests = "".join(p.read_text() for p in (root / "ascmhl").glob("*.mhl"))
    assert xxh64(FOREIGN) not in manifests

    (data,) = copy_reports(report_dir)
    (link,) = data["symlinks"]
    assert link["status"] == "created" and link["manifest"] == "left-out"
    assert "take.tmp" in link["manifest_note"]
    assert "verified" in link["manifest_note"] and "no hash" in link["manifest_note"]
    # Both judges see the link as new, neither calls it OK.
    result = judge.verify(root)
    assert result.returncode == 21, result.describe()
    code, out = offload("verify", "--json", str(root))
    verdict = json.loads(out[: out.rindex("}") + 1])
    assert code == 21 and verdict["extra"] == ["take.lnk"], out


def test_offload_verify_never_calls_a_listed_link_ok_once_its_target_changed(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A guard (held before this fix too): the manifest lists the link with the card's
    content; once the file it leads to is replaced there, both the file and the link are
    changed, for offload verify and ascmhl alike."""
    card, _ = card_with_link(tmp_path)
    dest = tmp_path / "DEST"
    dest.mkdir()
    code, output = offload("copy", str(card), str(dest))
    assert code == 0, output
    root = dest / card.name
    (root / "CLIPS" / "A.mov").write_bytes(FOREIGN)
    code, out = offload("verify", "--json", str(root))
    verdict = json.loads(out[: out.rindex("}") + 1])
    assert code == 11, out
    assert sorted(c["path"] for c in verdict["changed"]) == ["CLIPS/A.mov", "link.mov"]
    assert verdict["verified"] == []
    assert judge.verify(root).returncode != 0
