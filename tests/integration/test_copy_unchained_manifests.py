"""``offload copy`` onto a copy root whose ASC MHL chain does not list one of its manifests
(its chain entry removed): the copy's generation decides each file's action against every
manifest there, that one's records too (as ascmhl does), so it is not written in silence:
a warning names the manifest no C4 ID vouches for (``History.chain_notes``' words, as
``offload verify`` says it), and the copy is not refused for an old history's flaw it
cannot mend (docs/design.md). Failed before: nothing said, exit 0."""

from __future__ import annotations

import os
from pathlib import Path

from support.ascmhl_chains import unlist_generation, unlisted_note
from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import offload_streams as offload


def _copied_twice(tmp_path: Path, clips: int) -> tuple[Path, Path, Path]:
    """A card ``A001`` of *clips* clips copied to ``disk`` (reports in ``jobs``), then again
    with one more clip: two generations, their chain whole, nothing said of it. The card,
    the destination and the reports' folder."""
    card = tmp_path / "A001"
    card.mkdir()
    destination = tmp_path / "disk"
    destination.mkdir()
    reports = tmp_path / "jobs"
    for index in range(clips):
        (card / f"C{index:03d}.MOV").write_bytes(os.urandom(3_000))
    for added in ("", f"C{clips:03d}.MOV"):
        if added:
            (card / added).write_bytes(os.urandom(3_000))
        code, out, err = offload("copy", "-q", "--report-dir", reports, card, destination)
        assert code == 0, out + err
        assert "is not listed in ascmhl_chain.xml" not in err, err
    return card, destination, reports


def test_a_copy_onto_a_chain_that_does_not_list_a_manifest_says_so(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card, destination, reports = _copied_twice(tmp_path, 3)
    root = destination / "A001"
    manifest = unlist_generation(root, 2)

    (card / "C004.MOV").write_bytes(os.urandom(3_000))
    code, out, err = offload("copy", "-q", "--report-dir", reports, card, destination)

    said = " ".join(err.split())
    note = unlisted_note(manifest)
    assert note in said, err
    # Not refused: the copy is made and its generation written on top, listed in the chain.
    assert (root / "C004.MOV").read_bytes() == (card / "C004.MOV").read_bytes()
    assert len(list((root / "ascmhl").glob("0003_*.mhl"))) == 1
    assert judge.verify(root).clean
    assert code == 0, out + err


def test_a_rerun_with_nothing_new_says_the_unlisted_manifest_once(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    # A run with nothing new to copy writes no generation; the chain's flaw is as true then
    # as when one is written. Before: said only by a run writing a generation (on_unvouched),
    # a re-run said nothing, and the stamp of a run that did say it kept later ones silent.
    card, destination, reports = _copied_twice(tmp_path, 2)
    root = destination / "A001"
    manifest = unlist_generation(root, 2)
    note = f"ASC MHL manifest {manifest} is not listed in ascmhl_chain.xml: no C4 ID vouches"

    def rerun(added: str = "") -> str:
        if added:
            (card / added).write_bytes(os.urandom(3_000))
        code, out, err = offload("copy", "-q", "--report-dir", reports, card, destination)
        assert code == 0, out + err
        return " ".join(err.split())

    # nothing new twice, then a generation written, then nothing new again
    for added, generations in (("", 2), ("", 2), ("C003.MOV", 3), ("", 3)):
        said = rerun(added)
        assert said.count(note) == 1, (added, said)
        assert len(list((root / "ascmhl").glob("*.mhl"))) == generations, said
    assert judge.verify(root).clean
