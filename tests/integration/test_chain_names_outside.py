"""A chain file (``ascmhl_chain.xml``) whose ``<path>`` names no file of ``ascmhl/`` itself
(hand-edited or forged: ``../CLIPS/x``, an absolute path, ``sub/../x.mhl``, a folder in the
name, nothing at all), and a manifest in ``ascmhl/`` that is a symlink leading out of it.

ascmhl (1.2) joins any ``<path>`` to ``ascmhl/`` and hashes what it finds (its
``ascmhl-debug verify`` passes a chain listing ``../C001.mov`` with that clip's C4 ID), and
follows a symlinked manifest. offload verify reads such a chain as damaged: nothing outside
``ascmhl/`` is opened for it, ``verify`` and ``verify --append`` give one verdict (exit 31,
nothing verified, one line naming the chain file and what to do) and ``--append`` writes
nothing. A real copy, the real CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from offload.manifest.history import c4_of_file
from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import offloaded_card, run_offload


def _chain_with(chain: Path, sequence: int, name: str, c4: str) -> None:
    """Add a ``<hashlist>`` naming *name* (XML-escaped as given) to *chain*."""
    text = chain.read_text(encoding="utf-8")
    entry = (
        f'  <hashlist sequencenr="{sequence}">\n    <path>{name}</path>\n'
        f"    <c4>{c4}</c4>\n  </hashlist>\n</ascmhldirectory>"
    )
    chain.write_text(text.replace("</ascmhldirectory>", entry), encoding="utf-8")


def _both_refuse(root: Path, reports: Path, *named: str) -> None:
    """``verify`` and ``verify --append`` of *root* exit 31 with one ERROR line naming the
    chain file, each of *named* and the remedy; --append leaves ``ascmhl/`` as it was."""
    before = {p.name: p.read_bytes() for p in (root / "ascmhl").iterdir() if p.is_file()}
    lines = []
    for how in ((), ("--append",)):
        run = run_offload("verify", *how, "--report-dir", reports, root)
        assert run.returncode == 31, (how, run.returncode, run.stderr)
        assert "Traceback" not in run.stderr, run.stderr
        (line,) = [x for x in run.stderr.splitlines() if x.startswith("ERROR:")]
        assert "restore" in line and "nothing was verified against it" in line, line
        # the one remedy of every damaged-or-forged history: the ledger's check meanwhile
        assert "ledger once ascmhl/ is moved out" in line, line
        for word in named:
            assert word in line, (word, line)
        lines.append(line)
    assert lines[0] == lines[1]  # one verdict, in the same words
    after = {p.name: p.read_bytes() for p in (root / "ascmhl").iterdir() if p.is_file()}
    assert after == before  # --append wrote no generation, changed no chain


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return offloaded_card(tmp_path_factory.mktemp("card"), clips=2, size=2_000, clip="C{:03d}.mov")


def test_a_chain_entry_naming_a_file_outside_ascmhl_is_a_damaged_chain(
    judge: AscmhlJudge, copy: Path, tmp_path: Path
) -> None:
    """Failed before: a chain listing ``../CLIPS/C000.mov`` with the clip's own C4 ID passed
    ``verify`` (exit 0, the clip hashed as a manifest) and ``--append`` chained a second
    generation 2 on top of it; one listing ``../ascmhl/0001_...mhl`` passed ``verify`` (0)
    and was refused by ``--append`` (31)."""
    source = copy / "A001"
    [manifest] = sorted((source / "ascmhl").glob("0001_*.mhl"))
    clip = source / "CLIPS" / "C000.mov"
    outside = tmp_path / "elsewhere.mhl"
    shutil.copyfile(manifest, outside)
    cases = {
        "up": ("../CLIPS/C000.mov", c4_of_file(clip)),
        "absolute": (str(outside), c4_of_file(outside)),
        "into_a_folder": ("sub/0002_A001.mhl", c4_of_file(manifest)),
        "back_out_of_a_folder": (f"sub/../{manifest.name}", c4_of_file(manifest)),
        "empty": ("", c4_of_file(manifest)),
        "dot": (".", c4_of_file(manifest)),
    }
    for case, (name, c4) in cases.items():
        root = tmp_path / case
        shutil.copytree(source, root, symlinks=True)
        if name.startswith("sub/"):  # a manifest stands there (ascmhl 1.2 fails on it)
            (root / "ascmhl" / "sub").mkdir()
            shutil.copyfile(manifest, root / "ascmhl" / "sub" / "0002_A001.mhl")
        _chain_with(root / "ascmhl" / "ascmhl_chain.xml", 2, name, c4)
        _both_refuse(root, tmp_path / "reports", "ascmhl_chain.xml", "generation 2")
    # The first generation's own entry rewritten to reach it through '..': listed by
    # nothing else, it read as a manifest the chain does not list (a warning, exit 0) to
    # verify and as a reason to refuse to --append.
    root = tmp_path / "through_parent"
    shutil.copytree(source, root, symlinks=True)
    chain = root / "ascmhl" / "ascmhl_chain.xml"
    text = chain.read_text(encoding="utf-8")
    chain.write_text(text.replace("<path>0001_", "<path>../ascmhl/0001_"), encoding="utf-8")
    _both_refuse(root, tmp_path / "reports", f"'../ascmhl/{manifest.name}'", "generation 1")
    # ascmhl itself follows the '..' (the judge's verdict this one is stricter than).
    assert judge.verify(tmp_path / "up").returncode == 0


def test_a_symlinked_manifest_is_never_followed(copy: Path, tmp_path: Path) -> None:
    """Failed before: a manifest replaced by a symlink to its own bytes outside the copy (the
    chain's C4 ID matching) was read through it and the copy passed (exit 0), checked
    against records it does not hold."""
    source = copy / "A001"
    for case in ("listed", "unlisted"):
        root = tmp_path / case
        shutil.copytree(source, root, symlinks=True)
        [manifest] = sorted((root / "ascmhl").glob("0001_*.mhl"))
        outside = tmp_path / f"{case}.mhl"
        shutil.copyfile(manifest, outside)
        if case == "listed":
            link = manifest
            link.unlink()
        else:  # a second generation the chain does not list
            link = manifest.with_name("0002_A001_elsewhere.mhl")
        link.symlink_to(outside)
        _both_refuse(root, tmp_path / "reports", link.name, "symlink", str(outside))


def test_a_nul_in_a_chain_entry_is_one_line_not_a_traceback(copy: Path, tmp_path: Path) -> None:
    """A NUL cannot stand in XML 1.0 (``&#0;``): the chain file is malformed, said so."""
    root = tmp_path / "nul"
    shutil.copytree(copy / "A001", root, symlinks=True)
    chain = root / "ascmhl" / "ascmhl_chain.xml"
    text = chain.read_text(encoding="utf-8")
    chain.write_text(text.replace("<path>0001_", "<path>&#0;0001_"), encoding="utf-8")
    for how in ((), ("--append",)):
        run = run_offload("verify", *how, "--report-dir", tmp_path / "reports", root)
        assert run.returncode == 31, run.stderr
        assert "Traceback" not in run.stderr
        (line,) = [x for x in run.stderr.splitlines() if x.startswith("ERROR:")]
        assert "ascmhl_chain.xml" in line and "well-formed" in line, line


def test_a_symlinked_ascmhl_folder_is_never_followed_nor_written_through(
    copy: Path, tmp_path: Path
) -> None:
    """A copy root whose ``ascmhl`` is a symlink to ``../elsewhere_ascmhl`` (the history's
    own bytes, outside the copy). Failed before: ``verify`` passed (exit 0) and ``verify
    --append`` wrote ``0002_...mhl`` and a new chain into the linked folder, outside the
    copy root; ``offload copy --reverify`` onto it chained a generation there too (exit 0)."""
    root = tmp_path / "dest" / "A001"
    shutil.copytree(copy / "A001", root, symlinks=True)
    elsewhere = tmp_path / "dest" / "elsewhere_ascmhl"
    (root / "ascmhl").rename(elsewhere)
    (root / "ascmhl").symlink_to("../elsewhere_ascmhl")
    before = {p.name: p.read_bytes() for p in elsewhere.iterdir()}
    _both_refuse(root, tmp_path / "reports", "symlink", "../elsewhere_ascmhl")
    card = copy.parent / "A001"
    done = run_offload("copy", "--reverify", "--report-dir", tmp_path / "r", card, root.parent)
    said = " ".join(done.stderr.split())
    assert done.returncode == 1, said
    assert f"the ASC MHL folder {root / 'ascmhl'} is a symlink (to ../elsewhere_ascmhl)" in said
    assert f"restore {root / 'ascmhl'} from a backup" in said, said
    assert {p.name: p.read_bytes() for p in elsewhere.iterdir()} == before
