"""A copy root that holds more than one offload wrote there: two cards ``--into`` one root,
or a card ``--into`` a folder that already held files. Judged by the reference tool
(``ascmhl`` 1.2), ``verify -dh`` above all: it hashes every folder as it is on disk and
compares the result with the folder hashes of every generation.

What a generation may say about a folder: only what this run proved. The second card's
generation lists the second card's files (the first card's were not read in this run, so
they are not listed as verified again); a folder that also holds files it does not list
(the root, a folder both cards have) gets no folder hash in it, since a hash over part of a
folder would describe a folder that is not on disk. Folders it lists whole keep theirs.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from offload.manifest import read_history
from support.ascmhl_judge import AscmhlJudge, JudgeResult
from support.offload_cli import offload


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def write(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))


def two_cards(parent: Path) -> tuple[Path, Path]:
    """DAY1 and DAY2: both have CLIPS/ (shared once copied into one root); DAY1 alone has
    SOUND/, DAY2 alone has GRADE/ (with a sub-folder) and an empty folder."""
    first, second = parent / "DAY1", parent / "DAY2"
    write(first / "CLIPS" / "A001C001.mov", 30_000)
    write(first / "CLIPS" / "A001C002.mov", 1_000)
    write(first / "SOUND" / "S01T01.wav", 20_000)
    write(first / "notes.txt", 100)
    write(second / "CLIPS" / "B001C001.mov", 25_000)
    write(second / "GRADE" / "LUT" / "show.cube", 2_000)
    write(second / "GRADE" / "cdl.xml", 300)
    (second / "EMPTY").mkdir()
    return first, second


def dh_verbose(judge: AscmhlJudge, root: Path) -> JudgeResult:
    """``ascmhl-debug verify -dh -v``: every folder hash compared, each outcome named."""
    return judge.run("ascmhl-debug", "verify", "-dh", "-v", root)


def errors_of(result: JudgeResult) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("ERROR")]


def failed_folders(result: JudgeResult) -> set[tuple[str, int]]:
    """(folder, generation) of every folder hash ``verify -dh`` found different."""
    found = set()
    for line in errors_of(result):
        match = re.match(r"ERROR: \w+ hash mismatch\s+for (.+?) old .*\(generation (\d+)\)$", line)
        assert match, line  # nothing but folder hash mismatches
        found.add((match.group(1), int(match.group(2))))
    return found


def verified_folders(result: JudgeResult, generation: int) -> set[str]:
    """The folders whose hash in *generation* ``verify -dh -v`` found equal ("." the root)."""
    text = result.stdout + result.stderr
    folders = set(
        re.findall(rf"verification of folder\s+(\S+) OK \(generation {generation:04d}\)", text)
    )
    if f"verification of root folder   OK (generation {generation:04d})" in text:
        folders.add(".")
    return folders


def hashed_folders(root: Path, generation: int) -> set[str]:
    """The folders (``"."``: the root) a generation of *root* records a hash for."""
    record = read_history(root).generations[generation - 1]
    folders = {d.path for d in record.directories}
    if record.root_hash is not None and record.root_hash.content:  # else an empty one
        folders.add(".")
    return folders


def test_second_card_into_one_root_claims_no_folder_it_does_not_list_whole(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Failed before: the second card's generation hashed the root and CLIPS/ over its own
    files alone, so ``verify -dh`` reported them (generation 0002) on a root nothing had
    changed. Now it lists only what it copied and verified, hashes only the folders it lists
    whole, and ``verify -dh`` reports only the first generation's outgrown folders: exactly
    what the reference tool reports on its own history of the same two steps."""
    first, second = two_cards(tmp_path / "cards")
    dests = [tmp_path / "RAID0" / "ROLL", tmp_path / "RAID1" / "ROLL"]
    for dest in dests:
        dest.mkdir(parents=True)
    code, output = offload("copy", "--into", str(first), *map(str, dests))
    assert code == 0, output
    code, output = offload("copy", "--into", str(second), *map(str, dests))
    assert code == 0, output

    # The reference tool's own history of the same two steps: ascmhl create after each card.
    reference = tmp_path / "REF" / "ROLL"
    shutil.copytree(first, reference)
    created = judge.create(reference, "xxh64")
    assert created.clean, created.describe()
    shutil.copytree(second, reference, dirs_exist_ok=True)
    created = judge.create(reference, "xxh64")
    assert created.clean, created.describe()
    reference_failures = failed_folders(dh_verbose(judge, reference))
    assert reference_failures == {(".", 1), ("CLIPS", 1)}  # ascmhl's own older generation

    for root in dests:
        history = read_history(root)
        assert len(history.generations) == 2
        # Only what this run copied and verified: the first card's files are not re-listed.
        assert {f.path for f in history.generations[-1].files} == {
            "CLIPS/B001C001.mov",
            "GRADE/LUT/show.cube",
            "GRADE/cdl.xml",
        }
        # No hash for the root and CLIPS/, which hold the first card's files too.
        assert hashed_folders(root, 2) == {"GRADE", "GRADE/LUT", "EMPTY"}
        deep = dh_verbose(judge, root)
        assert failed_folders(deep) == reference_failures, deep.describe()
        assert verified_folders(deep, 2) == {"GRADE", "GRADE/LUT", "EMPTY"}, deep.describe()
        assert verified_folders(deep, 1) == {"SOUND"}, deep.describe()
        for result in (judge.verify(root), judge.diff(root), judge.info(root)):
            assert result.clean, result.describe()
        for manifest in sorted((root / "ascmhl").glob("*.mhl")):
            check = judge.check_manifest_schema(manifest)
            assert check.clean, check.describe()
        code, output = offload("verify", str(root))
        assert code == 0, output


def test_a_card_into_a_folder_that_held_other_files_claims_no_folder_hash(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Failed before: the generation's root hash covered the card's files only, not the file
    already in the folder, and ``verify -dh`` (one generation, nothing changed since) failed
    on the root. Now the root has no hash (an empty ``<roothash>``), and since ``verify -dh``
    takes its formats from the history's root hashes (c4 when there are none) and crashes
    on a folder hash in another format, no folder hash either: nothing is claimed, and the
    reference tool checks every file and reports nothing false."""
    _, second = two_cards(tmp_path / "cards")
    root = tmp_path / "RAID" / "ROLL"
    write(root / "README.txt", 50)  # put there by hand, never offloaded
    code, output = offload("copy", "--into", str(second), str(root))
    assert code == 0, output
    assert hashed_folders(root, 1) == set()
    for result in (dh_verbose(judge, root), judge.info(root)):
        assert result.clean, result.describe()
    verdict = judge.verify(root)  # the file put there by hand is new to the history, rightly
    assert verdict.returncode == 21, verdict.describe()
    assert "found new file README.txt" in verdict.stderr, verdict.describe()
    assert verdict.stderr.count("found new file") == 1, verdict.describe()
    manifest = next((root / "ascmhl").glob("0001_*.mhl"))
    check = judge.check_manifest_schema(manifest)
    assert check.clean, check.describe()


def test_a_second_card_in_a_format_no_root_hash_has_hashes_no_folder(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The first card in xxh64, the second in md5 only: the second generation has no root
    hash, and ``verify -dh`` computes xxh64 alone (the formats of the root hashes); an md5
    folder hash would crash it, so the second generation records none."""
    first, second = two_cards(tmp_path / "cards")
    root = tmp_path / "RAID" / "ROLL"
    root.mkdir(parents=True)
    code, output = offload("copy", "--into", str(first), str(root))
    assert code == 0, output
    code, output = offload("copy", "-t", "md5", "--into", str(second), str(root))
    assert code == 0, output
    assert hashed_folders(root, 2) == set()
    deep = dh_verbose(judge, root)
    assert failed_folders(deep) == {(".", 1), ("CLIPS", 1)}, deep.describe()
    assert verified_folders(deep, 1) == {"SOUND"}, deep.describe()
    for result in (judge.verify(root), judge.diff(root)):
        assert result.clean, result.describe()


def test_a_card_into_its_own_root_still_hashes_every_folder(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The common case is unchanged: a card alone in its copy root (``--into`` an empty
    folder, a re-run with a new file) gets every folder hash and the root hash, and
    ``verify -dh`` checks them all. A re-run lists what it hashed (the new file; the files
    trusted from the ledger, not read now, stay the first generation's records), so it
    lists no folder whole and hashes none."""
    first, _ = two_cards(tmp_path / "cards")
    root = tmp_path / "RAID" / "ROLL"
    root.mkdir(parents=True)
    code, output = offload("copy", "--into", str(first), str(root))
    assert code == 0, output
    assert hashed_folders(root, 1) == {".", "CLIPS", "SOUND"}
    deep = dh_verbose(judge, root)
    assert deep.clean, deep.describe()
    assert verified_folders(deep, 1) == {".", "CLIPS", "SOUND"}

    write(first / "CLIPS" / "A001C003.mov", 4_000)  # the card grew: a re-run
    code, output = offload("copy", "--into", str(first), str(root))
    assert code == 0, output
    assert hashed_folders(root, 2) == set()
    deep = dh_verbose(judge, root)
    # The older generation's root and CLIPS/ describe the card before it grew (ascmhl does
    # the same to its own histories, see the first test); its SOUND/ still matches.
    assert failed_folders(deep) == {(".", 1), ("CLIPS", 1)}, deep.describe()
    assert verified_folders(deep, 1) == {"SOUND"}, deep.describe()
