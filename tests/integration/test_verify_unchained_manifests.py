"""``offload verify`` of a history ``ascmhl`` 1.2 made, whose chain does not vouch for all of
it: a manifest the chain file does not list (``0003_*.mhl`` kept, its chain entry removed),
and a gap in the sequence numbers (generation 2 removed with its chain entry). The reference
tool uses both in silence; offload-ai uses their records too, and says so in a warning and
the report's notes; ``--append`` refuses to write a generation on top of a manifest the
chain does not list (it would be listed in the chain while checked against it: exit 31,
nothing written), not on top of a gap. Failed before: "7 OK", exit 0, nothing said, and
``--append`` wrote ``0004`` on top."""

from __future__ import annotations

import json
import os
from pathlib import Path

from support.ascmhl_chains import unlist_generation, unlisted_note
from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import offload_streams as offload


def _three_generations(
    judge: AscmhlJudge, tmp_path: Path, added: tuple[str, str] = ("C005.MOV", "C006.MOV")
) -> Path:
    """A folder of 5 files with three generations ``ascmhl create`` made, the files *added*
    before the second and the third (none where ""): its path."""
    root = tmp_path / "A001"
    root.mkdir()
    for index in range(5):
        (root / f"C{index:03d}.MOV").write_bytes(os.urandom(3_000))
    for extra in ("", *added):
        if extra:
            (root / extra).write_bytes(os.urandom(3_000))
        created = judge.create(root, "xxh64")
        assert created.clean, created.describe()
    return root


def _report(reports: Path) -> dict[str, object]:
    (saved,) = sorted(reports.glob("verify_*.json"))[-1:]
    data = json.loads(saved.read_text())
    assert isinstance(data, dict)
    return data


def test_a_manifest_the_chain_does_not_list_is_said_and_append_refuses(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    root = _three_generations(judge, tmp_path)
    manifest = unlist_generation(root, 3)
    # The reference tool uses it in silence (a warning is the minimum here).
    assert judge.verify(root).clean

    reports = tmp_path / "reports"
    code, out, err = offload("verify", "--report-dir", reports, root)

    assert code == 0, out + err
    assert f"{root}: 7 OK, 0 changed, 0 missing, 0 new" in out, out
    note = unlisted_note(manifest)
    assert f"WARNING: {note}" in err, err
    assert _report(reports)["notes"] == [note]

    before = sorted(p.name for p in (root / "ascmhl").iterdir())
    code, out, err = offload("verify", "--append", "--report-dir", reports, root)

    assert code == 31, out + err
    (line,) = [line for line in err.splitlines() if line.startswith("ERROR:")]
    assert line.startswith(
        f"ERROR: cannot verify {root}: --append would write a generation on top of ASC MHL "
        f"manifest {manifest}, which ascmhl_chain.xml does not list"
    ), line
    assert line.endswith("nothing was verified against it"), line
    assert sorted(p.name for p in (root / "ascmhl").iterdir()) == before


def test_a_gap_in_the_sequence_numbers_is_said_and_append_still_appends(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    root = _three_generations(judge, tmp_path, added=("", "C005.MOV"))
    unlist_generation(root, 2).unlink()
    assert judge.verify(root).clean  # the reference tool says nothing of it either

    reports = tmp_path / "reports"
    code, out, err = offload("verify", "--report-dir", reports, root)

    assert code == 0, out + err
    note = (
        f"the ASC MHL history in {root / 'ascmhl'} has no generation 2 (its manifests are "
        "numbered 1, 3): removed with its chain entry, or never written; what it recorded is "
        "not known here, the other generations' records were used"
    )
    assert f"WARNING: {note}" in err, err
    assert _report(reports)["notes"] == [note]

    # Every manifest there is vouched for by the chain: a generation is appended, and the
    # reference tool takes the history so.
    code, out, err = offload("verify", "--append", "--report-dir", reports, root)
    assert code == 0, out + err
    assert len(list((root / "ascmhl").glob("0004_*.mhl"))) == 1
    assert judge.verify(root).clean


def test_a_nested_history_s_chain_notes_are_said_too(judge: AscmhlJudge, tmp_path: Path) -> None:
    """A nested history's own chain notes reach the merged report (docs/json.md: "each
    history's, nested ones' too"). Failed before: the nested report, rebuilt with its paths
    under the root, lost its notes: nothing said, notes []."""
    inner = _three_generations(judge, tmp_path)
    manifest = unlist_generation(inner, 3)
    outer = tmp_path
    for index in range(2):
        (outer / f"D{index:03d}.MOV").write_bytes(os.urandom(2_000))
    created = judge.create(outer, "xxh64")
    assert created.clean, created.describe()

    reports = tmp_path.parent / f"{tmp_path.name}-reports"
    code, out, err = offload("verify", "--report-dir", reports, outer)

    assert code == 0, out + err
    note = unlisted_note(manifest)
    assert f"WARNING: {note}" in err, err
    assert _report(reports)["notes"] == [note]
