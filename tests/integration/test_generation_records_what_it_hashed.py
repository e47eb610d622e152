"""A generation records what its run hashed (docs/design.md, ``manifests_writer``): a copy
trusted from the ledger, neither read nor hashed by a re-run, is left out of the re-run's
generation where the history records it already (its earlier generation stays its record);
before, it was listed ``verified`` (ASC MHL: hashed by this generation's process and found
equal) though nothing read it. Judged by ascmhl 1.2 (``verify`` and ``verify -dh``) and
``offload verify``, which both still find each file's record."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.ascmhl_judge import AscmhlJudge
from support.cards import three_clip_card
from support.manifest_records import listed_actions
from support.offload_cli import copy_with_reports_in, offload

CLIPS = ["CLIPS/A001C001.mov", "CLIPS/A001C002.mov", "CLIPS/A001C003.mov"]
NEW = "CLIPS/A001C004.mov"


def judged_clean(judge: AscmhlJudge, root: Path, files: int, *, grown: bool = False) -> None:
    """``ascmhl-debug verify`` (with and without ``-dh``) and ``offload verify`` pass on *root*,
    which holds *files* files. *grown*: a folder gained a file since the first generation,
    whose folder hashes ``-dh`` compares with every generation's (ascmhl 1.2): it reports
    them off, as it did when the new generation listed every file, and nothing else."""
    result = judge.verify(root)
    assert result.clean, result.describe()
    result = judge.verify(root, directory_hashes=True)
    if grown:
        errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
        assert errors and all(line.endswith("(generation 0001)") for line in errors), (
            result.describe()
        )
    else:
        assert result.clean, result.describe()
    code, out = offload("verify", str(root))
    assert code == 0, out
    assert f"{files} OK, 0 changed, 0 missing, 0 new" in out


@pytest.mark.parametrize("verify", ["transfer", "full"])
def test_a_rerun_with_a_new_clip_lists_only_that_clip(
    judge: AscmhlJudge, tmp_path: Path, verify: str
) -> None:
    card = three_clip_card(tmp_path / "cards")
    dest = tmp_path / "T"
    dest.mkdir()
    code, err = copy_with_reports_in(tmp_path, "--verify", verify, str(card), str(dest))
    assert code == 0, err
    (card / NEW).write_bytes(os.urandom(400_000))
    code, err = copy_with_reports_in(tmp_path, "--verify", verify, str(card), str(dest))
    assert code == 0, err
    first, second = listed_actions(dest / card.name)
    assert first == {path: {"original"} for path in CLIPS}
    # Before: the three trusted copies were listed "verified" in the second generation too.
    assert second == {NEW: {"original"}}
    judged_clean(judge, dest / card.name, 4, grown=True)


def test_reverify_lists_the_copies_it_read_again_as_verified(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card = three_clip_card(tmp_path / "cards")
    dest = tmp_path / "T"
    dest.mkdir()
    code, err = copy_with_reports_in(tmp_path, str(card), str(dest))
    assert code == 0, err
    code, err = copy_with_reports_in(tmp_path, "--reverify", str(card), str(dest))
    assert code == 0, err
    _first, second = listed_actions(dest / card.name)
    assert second == {path: {"verified"} for path in CLIPS}
    judged_clean(judge, dest / card.name, 3)


def test_copies_no_history_records_are_listed_original_from_the_ledger(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """An earlier run wrote no ASC MHL (``--mhl none``): a re-run that hashes nothing lists
    the trusted copies ``original`` with the ledger's digests (else ascmhl calls them new),
    and says so."""
    card = three_clip_card(tmp_path / "cards")
    dest = tmp_path / "T"
    dest.mkdir()
    code, err = copy_with_reports_in(tmp_path, "--mhl", "none", str(card), str(dest))
    assert code == 0, err
    code, err = copy_with_reports_in(tmp_path, str(card), str(dest))
    assert code == 0, err
    (only,) = listed_actions(dest / card.name)
    assert only == {path: {"original"} for path in CLIPS}
    assert "with the digests and date the ledger records for the earlier run's check" in err
    judged_clean(judge, dest / card.name, 3)


def test_transfer_checked_copies_no_history_records_are_not_called_verified(
    tmp_path: Path,
) -> None:
    """``--verify transfer --mhl none``, then a transfer re-run: the gap's warning says what
    the ledger records (files copied there, the earlier run's check), never "files verified
    there" nor "the earlier run's verification" of copies only transfer-checked."""
    card = three_clip_card(tmp_path / "cards")
    dest = tmp_path / "T"
    dest.mkdir()
    transfer = ("--verify", "transfer")
    code, err = copy_with_reports_in(tmp_path, *transfer, "--mhl", "none", str(card), str(dest))
    assert code == 0, err
    code, err = copy_with_reports_in(tmp_path, *transfer, str(card), str(dest))
    assert code == 0, err
    flat = " ".join(err.split())
    assert "files verified there" not in flat and "run's verification" not in flat, flat
    assert "ledger records files copied there" in flat, flat
