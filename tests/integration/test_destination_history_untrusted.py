"""``offload copy`` onto a copy root whose ASC MHL history is broken or forged: one
generation records a clip twice with different hashes (either record first), or a path
outside the copy root (``<previousPath>../x.mov</previousPath>``), the chain's C4 ID made to
match. No file is decided ``verified`` or ``failed`` against such a record, nor a generation
chained on top of it: the manifest is not written (exit 1), the line naming the history and
what to restore, as for a damaged chain. A real card and copy root, the real CLI, judged by
the reference tool (ascmhl 1.2)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from integration.test_generation_paths_odd import _edited, _second_record
from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import offloaded_card, run_offload


def _copy_root(tmp_path: Path) -> tuple[Path, Path]:
    """(card, disk): card ``A001`` of three clips offloaded once into *tmp_path*/disk."""
    disk = offloaded_card(tmp_path / "first", clips=3, size=2_000, clip="C{:03d}.mov")
    return tmp_path / "first" / "A001", disk


def _doubled(copy: Path, root: Path, *, first_wrong: bool) -> None:
    """*copy* at *root*, its generation 1 recording ``CLIPS/C001.mov`` twice: its own
    record and one with a zeroed digest, the wrong one first where *first_wrong*."""
    [manifest] = sorted((copy / "ascmhl").glob("0001_*.mhl"))
    record = _second_record(manifest, "CLIPS/C001.mov")
    digest = record.split('hashdate="', 1)[1].split(">", 1)[1].split("<", 1)[0]
    wrong = record.replace(digest, "0" * len(digest))
    _edited(copy, root, {record: wrong + record if first_wrong else record + wrong})


def _refused(run: subprocess.CompletedProcess[str], root: Path, named: str) -> None:
    """*run* (an offload copy onto *root*) wrote no ASC MHL generation, exit 1, its line
    naming the history, the flaw (*named*) and what to restore, and recorded no failure."""
    said = " ".join(run.stderr.split())
    assert run.returncode == 1, said
    assert "Traceback" not in said
    assert f"the ASC MHL history in {root / 'ascmhl'} is broken or forged" in said, said
    assert named in said, said
    assert f"restore {root / 'ascmhl'} from a backup or another copy" in said, said
    assert "as failed" not in said, said


@pytest.mark.parametrize("first_wrong", [False, True], ids=["second_wrong", "first_wrong"])
def test_copy_reverify_onto_a_history_recording_a_clip_twice_writes_no_generation(
    judge: AscmhlJudge, tmp_path: Path, first_wrong: bool
) -> None:
    """Failed before: exit 0, "All 3 files verified"; first_wrong: generation 2 recorded
    the good clip ``failed`` for good and warned that ascmhl-debug verify reports it as a
    hash mismatch (it gave 0); second_wrong: recorded ``verified``, no word said."""
    card, disk = _copy_root(tmp_path)
    root = tmp_path / "dest" / "A001"
    root.parent.mkdir()
    _doubled(disk / "A001", root, first_wrong=first_wrong)
    before = sorted(p.name for p in (root / "ascmhl").iterdir())
    done = run_offload("copy", "--reverify", "--report-dir", tmp_path / "r", card, root.parent)
    _refused(done, root, "two different hashes ('CLIPS/C001.mov' in generation 1)")
    assert sorted(p.name for p in (root / "ascmhl").iterdir()) == before  # nothing chained
    assert judge.verify(root).returncode == (0 if first_wrong else 11)  # ascmhl: the last wins


def test_a_new_card_file_copied_onto_such_a_history_is_not_chained_on_top(
    tmp_path: Path,
) -> None:
    """A clip added to the card, copied (no --reverify). Failed before: generation 2
    chained silently, exit 0; the next offload verify exited 31."""
    card, disk = _copy_root(tmp_path)
    root = tmp_path / "dest" / "A001"
    root.parent.mkdir()
    _doubled(disk / "A001", root, first_wrong=False)
    (card / "CLIPS" / "C003.mov").write_bytes(b"new clip" * 100)
    done = run_offload("copy", "--report-dir", tmp_path / "r", card, root.parent)
    _refused(done, root, "two different hashes ('CLIPS/C001.mov' in generation 1)")
    assert (root / "CLIPS" / "C003.mov").read_bytes() == b"new clip" * 100  # copied all the same
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 1


def test_a_history_recording_a_path_outside_the_copy_root_is_not_built_on(
    tmp_path: Path,
) -> None:
    """Failed before (before the mhl65 merge too): copy exit 0, a generation chained on
    top; the next offload verify exited 31."""
    card, disk = _copy_root(tmp_path)
    root = tmp_path / "dest" / "A001"
    root.parent.mkdir()
    _edited(
        disk / "A001",
        root,
        {">CLIPS/C001.mov</path>": ">CLIPS/C001.mov</path><previousPath>../x.mov</previousPath>"},
    )
    done = run_offload("copy", "--reverify", "--report-dir", tmp_path / "r", card, root.parent)
    _refused(done, root, f"it records paths outside {root} ('../x.mov')")
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 1
    shutil.rmtree(tmp_path / "r")


def test_a_card_and_its_copy_sharing_a_contradicting_history_get_no_generation(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The card's own history records a clip twice (wrong record second), and an earlier
    offload carried that history to the copy root. Failed before: the card's warning said
    the copy "continues the history already there", generation 2 was chained on the same
    broken history (exit 0); then ascmhl-debug verify 11, offload verify 31."""
    card, disk = _copy_root(tmp_path)
    broken = tmp_path / "broken"
    _doubled(disk / "A001", broken, first_wrong=False)
    shutil.rmtree(card / "ascmhl", ignore_errors=True)
    shutil.copytree(broken / "ascmhl", card / "ascmhl")  # the card holds it too
    root = tmp_path / "dest" / "A001"
    shutil.copytree(broken, root, symlinks=True)
    done = run_offload("copy", "--report-dir", tmp_path / "r", card, root.parent)
    said = " ".join(done.stderr.split())
    assert "It is not trusted" in said, said  # the card's warning
    _refused(done, root, "two different hashes ('CLIPS/C001.mov' in generation 1)")
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 1
    assert "continues the history already there" not in said, said
    assert f"is refused on {root} (the history there cannot be continued" in said, said
