"""A generation's ``<path>`` entries hand-edited or forged, its chain C4 ID made to match (so
the chain vouches for it): a path leading out of the copy (``../..``, absolute, a
``<previousPath>`` so), a NUL (``&#0;``, no XML 1.0), and one path recorded twice in one
generation with different hashes. ``offload verify`` and ``verify --append`` give one
verdict, a line and never a traceback, and nothing outside the copy is read for them. A
real copy, the real CLI, judged by the reference tool (ascmhl 1.2)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from offload.manifest.history import c4_of_file
from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import card_with_history, offloaded_card, run_offload


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    disk = offloaded_card(tmp_path_factory.mktemp("card"), clips=2, size=2_000, clip="C{:03d}.mov")
    return disk / "A001"


def _edited(copy: Path, root: Path, edit: dict[str, str]) -> Path:
    """A copy of *copy* at *root* whose first generation has each key of *edit* replaced
    by its value, the chain's C4 ID of it made to match (the chain vouches for it)."""
    shutil.copytree(copy, root, symlinks=True)
    [manifest] = sorted((root / "ascmhl").glob("0001_*.mhl"))
    before = c4_of_file(manifest)
    text = manifest.read_text(encoding="utf-8")
    for old, new in edit.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    manifest.write_text(text, encoding="utf-8")
    chain = root / "ascmhl" / "ascmhl_chain.xml"
    chain.write_text(
        chain.read_text(encoding="utf-8").replace(before, c4_of_file(manifest)), encoding="utf-8"
    )
    return manifest


def _second_record(manifest: Path, path: str) -> str:
    """The ``<hash>`` element of *path* in *manifest*, as written."""
    text = manifest.read_text(encoding="utf-8")
    start = text.rindex("<hash>", 0, text.index(f">{path}</path>"))
    return text[start : text.index("</hash>", start) + len("</hash>")]


def _verdicts(root: Path, reports: Path) -> list[tuple[int, str]]:
    """(exit code, ERROR line or "") of ``verify`` then ``verify --append`` of *root*."""
    found = []
    for how in ((), ("--append",)):
        run = run_offload("verify", *how, "--report-dir", reports, root)
        assert "Traceback" not in run.stderr, run.stderr
        errors = [x for x in run.stderr.splitlines() if x.startswith("ERROR:")]
        found.append((run.returncode, errors[0] if len(errors) == 1 else ""))
    return found


@pytest.mark.parametrize("first_wrong", [False, True], ids=["second_wrong", "first_wrong"])
def test_one_path_recorded_twice_with_different_hashes_is_a_broken_history(
    judge: AscmhlJudge, copy: Path, tmp_path: Path, first_wrong: bool
) -> None:
    """Failed before: this reader took a path's first <hash> in a generation as its record,
    ascmhl its last, so each passed a clip the other failed (second_wrong: offload verify 0,
    ascmhl-debug verify 11; first_wrong: 11 and 0). Now the history is not trusted (31)."""
    root = tmp_path / "root"
    [manifest] = sorted((copy / "ascmhl").glob("0001_*.mhl"))
    record = _second_record(manifest, "CLIPS/C000.mov")
    digest = record.split('hashdate="', 1)[1].split(">", 1)[1].split("<", 1)[0]
    wrong = record.replace(digest, "0" * len(digest))
    doubled = wrong + record if first_wrong else record + wrong
    _edited(copy, root, {record: doubled})
    assert judge.verify(root).returncode == (0 if first_wrong else 11)  # ascmhl: the last wins
    for code, line in _verdicts(root, tmp_path / "reports"):
        assert code == 31, line
        assert "two different hashes ('CLIPS/C000.mov' in generation 1)" in line, line
        assert "nothing was verified against it" in line and "restore" in line, line
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 1  # --append wrote none


def test_one_path_recorded_twice_alike_is_read_as_once(
    judge: AscmhlJudge, copy: Path, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    [manifest] = sorted((copy / "ascmhl").glob("0001_*.mhl"))
    record = _second_record(manifest, "CLIPS/C000.mov")
    _edited(copy, root, {record: record + record})
    assert judge.verify(root).returncode == 0
    assert [code for code, _ in _verdicts(root, tmp_path / "reports")] == [0, 0]


@pytest.mark.parametrize(
    ("case", "named"),
    [
        ("../../outside.mov", "records paths outside"),
        ("{outside}", "records paths outside"),
        ("CLIPS/&#0;C001.mov", "not well-formed XML"),
    ],
    ids=["up", "absolute", "nul"],
)
def test_a_path_out_of_the_copy_or_unwritable_is_refused_unread(
    copy: Path, tmp_path: Path, case: str, named: str
) -> None:
    """A clip's path in the generation made to lead out of the copy (where a file with its
    bytes stands) or to hold a NUL: exit 31 for both commands, the file outside never
    checked (nothing was verified)."""
    outside = tmp_path / "outside.mov"
    shutil.copyfile(copy / "CLIPS" / "C001.mov", outside)
    root = tmp_path / "deep" / "root"
    root.parent.mkdir()
    shutil.copyfile(outside, tmp_path / "deep" / "outside.mov")
    _edited(copy, root, {">CLIPS/C001.mov<": f">{case.format(outside=outside)}<"})
    for code, line in _verdicts(root, tmp_path / "reports"):
        assert code == 31 and named in line and "nothing was verified against it" in line, line


def test_a_previous_path_out_of_the_copy_is_refused(copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    _edited(
        copy,
        root,
        {">CLIPS/C001.mov</path>": ">CLIPS/C001.mov</path><previousPath>../x.mov</previousPath>"},
    )
    for code, line in _verdicts(root, tmp_path / "reports"):
        assert code == 31 and "'../x.mov'" in line, line


def test_a_card_whose_history_records_a_clip_twice_differently_is_not_trusted(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The card's own history, as offload copy reads it: not trusted (a warning naming the
    clip), not carried, each destination a fresh history ascmhl accepts. Failed before: it
    was trusted, the clip checked against its first record and the history carried."""
    made = card_with_history(tmp_path / "made", {"C001.mov": 3_000})
    card = tmp_path / "A001"
    [manifest] = sorted((made / "ascmhl").glob("0001_*.mhl"))
    record = _second_record(manifest, "CLIPS/C001.mov")
    digest = record.split('hashdate="', 1)[1].split(">", 1)[1].split("<", 1)[0]
    _edited(made, card, {record: record + record.replace(digest, "0" * len(digest))})
    dest = tmp_path / "dest"
    dest.mkdir()
    done = run_offload("copy", "--report-dir", tmp_path / "reports", card, dest, columns=250)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert "broken or forged" in said and "not trusted" in said, said
    assert "two different hashes ('CLIPS/C001.mov' in generation 1)" in said, said
    manifests = sorted((dest / "A001" / "ascmhl").glob("*.mhl"))
    assert len(manifests) == 1 and "0000000000000000" not in manifests[0].read_text()
    assert judge.verify(dest / "A001").clean, judge.verify(dest / "A001").describe()


def test_a_nested_history_recording_a_path_out_of_its_folder_is_named_to_restore(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A history nested in ``sub/`` (``ascmhl create sub``, then the root) whose generation
    records ``../CLIP/y.txt`` (out of ``sub/``, in the root): not trusted, exit 31, and the
    line says to restore ``sub/ascmhl`` (``--append`` refuses any nested history first).
    Failed before: it named the root's own ``ascmhl`` folder, which is whole."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "CLIP").mkdir()
    (root / "sub" / "x.txt").write_bytes(b"x")
    (root / "CLIP" / "y.txt").write_bytes(b"y")
    for where in (root / "sub", root):
        assert judge.create(where, "xxh64").clean
    nested = root / "sub" / "ascmhl"
    [manifest] = sorted(nested.glob("0001_*.mhl"))
    before = c4_of_file(manifest)
    manifest.write_text(manifest.read_text().replace(">x.txt<", ">../CLIP/y.txt<"))
    chain = nested / "ascmhl_chain.xml"
    chain.write_text(chain.read_text().replace(before, c4_of_file(manifest)))
    (code, line), (appended, refusal) = _verdicts(root, tmp_path / "reports")
    assert code == 31, line
    assert f"the ASC MHL history in {nested} is broken or forged" in line, line
    assert f"restore {nested} from another copy" in line, line
    assert appended == 64 and "holds nested ASC MHL histories" in refusal  # as documented


def test_a_size_that_is_no_number_is_a_damaged_manifest(copy: Path, tmp_path: Path) -> None:
    """Failed before: exit 64 (bad input) and Python's own words, "invalid literal for int()
    with base 10: 'abc'", naming neither the manifest nor the record (ascmhl 1.2 ends in a
    traceback). Now 31, the line naming both and the folder to restore."""
    root = tmp_path / "root"
    manifest = _edited(copy, root, {'size="2000"': 'size="abc"'})
    for code, line in _verdicts(root, tmp_path / "reports"):
        assert code == 31, line
        assert f"{manifest} is not a valid ASC MHL manifest: the size of 'CLIPS/C000.mov'" in line
        assert "'abc', not a number of bytes" in line and f"restore {root / 'ascmhl'}" in line


def test_a_file_record_without_a_path_is_a_damaged_manifest(
    judge: AscmhlJudge, copy: Path, tmp_path: Path
) -> None:
    """Failed before: exit 10, "MISSING (a folder stands at its name: ...; ascmhl-debug
    verify counts the name as found and reads nothing there) ROOT/", where ascmhl 1.2 ends
    in a traceback (TypeError). Now 31, the line naming the manifest."""
    root = tmp_path / "root"
    manifest = _edited(copy, root, {">CLIPS/C001.mov<": "><"})
    assert judge.verify(root).returncode == 1  # its traceback
    for code, line in _verdicts(root, tmp_path / "reports"):
        assert code == 31, line
        assert f"{manifest} is not a valid ASC MHL manifest: a file's record" in line, line


@pytest.mark.parametrize("kind", ["chain_through_parent", "size_no_number", "linked_manifest"])
def test_a_card_whose_history_is_damaged_or_forged_is_not_trusted_and_copied(
    judge: AscmhlJudge, tmp_path: Path, kind: str
) -> None:
    """The card side's one rule for every broken-or-forged kind, as for a clip recorded
    twice: a warning (not trusted, not carried, what to restore), the copy going on (exit
    0), each destination a fresh history ascmhl accepts; the line never names
    ``--ignore /ascmhl``. Failed before: exit 64, "nothing was copied", the line telling
    the user to pass --ignore /ascmhl (a chain listing ``../ascmhl/0001_...``, which
    ascmhl-debug verify accepts; a size that is no number; a manifest that is a link)."""
    made = card_with_history(tmp_path / "made", {"C001.mov": 3_000})
    card = tmp_path / "A001"
    [manifest] = sorted((made / "ascmhl").glob("0001_*.mhl"))
    if kind == "size_no_number":
        _edited(made, card, {'size="3000"': 'size="abc"'})
        named = "'abc', not a number of bytes"
    else:
        shutil.copytree(made, card, symlinks=True)
        if kind == "chain_through_parent":
            chain = card / "ascmhl" / "ascmhl_chain.xml"
            text = chain.read_text(encoding="utf-8")
            chain.write_text(text.replace("<path>0001_", "<path>../ascmhl/0001_"))
            assert judge.verify(card).returncode == 0  # ascmhl follows the '..'
            named = f"names '../ascmhl/{manifest.name}'"
        else:
            outside = tmp_path / "elsewhere.mhl"
            shutil.copyfile(manifest, outside)
            (card / "ascmhl" / manifest.name).unlink()
            (card / "ascmhl" / manifest.name).symlink_to(outside)
            named = "is a symlink"
    dest = tmp_path / "dest"
    dest.mkdir()
    done = run_offload("copy", "--report-dir", tmp_path / "reports", card, dest, columns=250)
    said = " ".join(done.stderr.split())
    assert done.returncode == 0, said
    assert named in said and "It is not trusted" in said, said
    assert f"restore {card / 'ascmhl'} from a backup" in said, said
    assert "--ignore" not in said and "nothing was copied" not in said, said
    assert (dest / "A001" / "CLIPS" / "C001.mov").read_bytes() == (
        card / "CLIPS" / "C001.mov"
    ).read_bytes()
    assert len(list((dest / "A001" / "ascmhl").glob("*.mhl"))) == 1  # a fresh history
    assert judge.verify(dest / "A001").clean, judge.verify(dest / "A001").describe()
