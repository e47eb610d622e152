"""A link's ignore pattern in a root generation never hides another copy's file.

A card copied ``--into`` a folder that holds other copies: the pattern written for each of
its links ascmhl cannot hash (``**/<path>``) matches that path at any depth, and ascmhl 1.2
matches it against every path of the root, the nested histories' files included. Before,
the pattern was checked against this card's own files alone, so it could hide another
copy's file: ``ascmhl-debug verify`` of the root then skipped it (a damaged copy passed). Now the
pattern is checked against every path standing in the tree and every path a history there
records; a link whose pattern would hide one is left out, named (ascmhl calls it new).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from offload.manifest import read_history
from support.ascmhl_judge import AscmhlJudge
from support.nobody import NOBODY, folder_nobody_may_write
from support.offload_cli import offload

CLI = [sys.executable, "-m", "offload.cli.offload"]


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def _card(parent: Path, name: str, files: dict[str, int], links: dict[str, str]) -> Path:
    card = parent / "cards" / name
    for relative, size in files.items():
        (card / relative).parent.mkdir(parents=True, exist_ok=True)
        (card / relative).write_bytes(os.urandom(size))
    for relative, target in links.items():
        (card / relative).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, card / relative)
    return card


def _patterns(root: Path) -> tuple[str, ...]:
    return read_history(root).latest_ignore_patterns() or ()


def _day2_into_a_roll_holding_a001(tmp_path: Path, dangling: str) -> tuple[Path, str]:
    """``RAID/ROLL`` holding A001's copy (a copy root of its own: ``CLIPS/take.mov``), then
    DAY2 (``SOUND/s.wav`` and a link *dangling* to ``GONE.mov``) copied ``--into ROLL``,
    both exit 0: the root and DAY2's output."""
    roll = tmp_path / "RAID" / "ROLL"
    roll.mkdir(parents=True)
    first = _card(tmp_path, "A001", {"CLIPS/take.mov": 30_000}, {})
    code, output = offload("copy", str(first), str(roll))
    assert code == 0, output
    second = _card(tmp_path, "DAY2", {"SOUND/s.wav": 20_000}, {dangling: "GONE.mov"})
    code, output = offload("copy", "--into", str(second), str(roll))
    assert code == 0, output
    return roll, output


def test_a_link_pattern_never_hides_a_nested_copys_file(judge: AscmhlJudge, tmp_path: Path) -> None:
    """``ROLL/A001`` is a copy root of its own (its history records ``CLIPS/take.mov``);
    DAY2, copied ``--into ROLL``, has a dangling link ``CLIPS/take.mov``, whose pattern
    ``**/CLIPS/take.mov`` would hide ``A001/CLIPS/take.mov`` from ``ascmhl-debug verify ROLL``.
    Failed before: the pattern was written and the damaged copy in A001 passed (exit 0)."""
    roll, output = _day2_into_a_roll_holding_a001(tmp_path, "CLIPS/take.mov")
    assert "**/CLIPS/take.mov" not in _patterns(roll)
    assert "would also hide A001/CLIPS/take.mov" in " ".join(output.split()), output
    judge.assert_checks(roll, "A001/CLIPS/take.mov")
    judge.assert_checks(roll, "SOUND/s.wav")


def test_a_link_pattern_never_hides_a_file_an_earlier_card_into_the_root_recorded(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """DAY1 copied ``--into ROLL`` (the root history records ``SOUND/take.wav``), then DAY2
    with a dangling link ``take.wav``: ``**/take.wav`` would hide DAY1's file. Failed
    before: written, and ``ascmhl-debug verify ROLL`` passed with DAY1's copy damaged. Its other
    link, whose pattern hides nothing, is still ignored."""
    roll = tmp_path / "RAID" / "ROLL"
    roll.mkdir(parents=True)
    first = _card(tmp_path, "DAY1", {"SOUND/take.wav": 20_000}, {})
    code, output = offload("copy", "--into", str(first), str(roll))
    assert code == 0, output
    second = _card(
        tmp_path,
        "DAY2",
        {"S02T01.wav": 20_000},
        {"take.wav": "gone.wav", "hostname": "/etc/hostname"},
    )
    code, output = offload("copy", "--into", str(second), str(roll))
    assert code == 0, output
    patterns = _patterns(roll)
    assert "**/take.wav" not in patterns
    assert "**/hostname" in patterns
    assert "would also hide SOUND/take.wav" in " ".join(output.split()), output
    judge.assert_checks(roll, "SOUND/take.wav")
    judge.assert_checks(roll, "S02T01.wav")
    verdict = judge.verify(roll)
    assert "found new file take.wav" in verdict.stderr, verdict.describe()


def test_a_link_pattern_that_hides_nothing_else_is_still_written(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The same root holding another copy, DAY2's dangling link with a name nothing else
    has: ignored as before, and ``ascmhl-debug verify`` of the root is clean."""
    roll, _ = _day2_into_a_roll_holding_a001(tmp_path, "CLIPS/other.mov")
    assert "**/CLIPS/other.mov" in _patterns(roll)
    verdict = judge.verify(roll)
    assert verdict.clean, verdict.describe()


@pytest.fixture
def place() -> Iterator[Path]:
    """A folder ``nobody`` may write in (``support.nobody``)."""
    with folder_nobody_may_write() as folder:
        yield folder


def _copy_as_nobody(place: Path, card: Path, root: Path) -> str:
    """``offload copy --into card root`` run by ``nobody``: its exit code checked (0), its
    output."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "HOME": str(place)}
    env["OFFLOAD_REPORT_DIR"] = str(place / "reports")
    run = subprocess.run(
        [*NOBODY, *CLI, "copy", "--into", str(card), str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    output = run.stdout + run.stderr
    if "No module named" in output:
        pytest.skip(f"nobody cannot run this venv's python: {output[-200:]}")
    assert run.returncode == 0, output
    return output


def _place_card_and_root(place: Path, shut: str) -> tuple[Path, Path]:
    """A card (a clip, a dangling link ``CLIPS/dangling.mov``) and a copy root holding the
    folder *shut* (a file in it) that only root may enter, all else open to ``nobody``."""
    card = place / "card"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(20_000))
    root = place / "ROLL"
    (root / shut).mkdir(parents=True)
    (root / shut / "store.db").write_bytes(b"index")
    for folder, _dirs, files in os.walk(place):
        os.chmod(folder, 0o777)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    (root / shut).chmod(0o000)
    os.symlink("GONE.mov", card / "CLIPS" / "dangling.mov")
    return card, root


def test_an_ignored_folder_that_cannot_be_listed_leaves_the_links_patterns_written(
    judge: AscmhlJudge, place: Path
) -> None:
    """The copy root holds ``.Spotlight-V100`` only root may enter (a macOS volume's), and
    the card, copied ``--into`` it by ``nobody``, a dangling link. The generation's list
    ignores that folder, and ascmhl's ``verify`` does not walk it, so no pattern can hide a
    path in it: the link is ignored by its pattern and ``ascmhl-debug verify`` of the root is
    clean. Failed before: the tree's walk entered the folder, could not list it, and left
    the link out ("could not be read whole"), on every run."""
    card, root = _place_card_and_root(place, ".Spotlight-V100")
    output = _copy_as_nobody(place, card, root)
    assert "could not be read whole" not in output, output
    assert "**/CLIPS/dangling.mov" in _patterns(root)
    (root / ".Spotlight-V100").chmod(0o755)  # ascmhl (run as root here) walks it not either way
    judge.assert_checks(root, "CLIPS/C001.mov")
    verdict = judge.verify(root)
    assert verdict.clean, verdict.describe()


def test_a_folder_that_cannot_be_listed_is_named_where_the_link_is_left_out(
    place: Path,
) -> None:
    """The same with a folder the list does not ignore (``PRIVATE``): the link is left out,
    and its note names the folder and why. Failed before: the note said "a folder that
    cannot be listed, a history there that cannot be read", naming neither."""
    card, root = _place_card_and_root(place, "PRIVATE")
    output = " ".join(_copy_as_nobody(place, card, root).split())
    assert f"could not be read whole ({root / 'PRIVATE'}: Permission denied (EACCES))" in output, (
        output
    )
    assert "**/CLIPS/dangling.mov" not in _patterns(root)


def test_an_ignored_folder_that_cannot_be_listed_leaves_a_nested_copys_link_ignored(
    judge: AscmhlJudge, place: Path
) -> None:
    """``ROLL/A001`` is a copy of its own with a dangling link ``CLIPS/dangling``, ROLL holds
    ``.Spotlight-V100`` only root may enter, and ``nobody`` copies a card without links
    ``--into`` ROLL: the root generation ignores the nested link (``**/A001/CLIPS/dangling``,
    ``nested_links``' own read of the tree), and ``ascmhl-debug verify`` of ROLL is clean. Failed
    before: the walk entered the ignored folder, could not list it, and no pattern was
    due (the link then new to ``ascmhl-debug verify`` of the root, exit 21)."""
    first = _card(place, "A001", {"CLIPS/take.mov": 30_000}, {"CLIPS/dangling": "GONE.mov"})
    root = place / "ROLL"
    root.mkdir()
    code, output = offload("copy", str(first), str(root))
    assert code == 0, output
    card = place / "DAY2"
    (card / "SOUND").mkdir(parents=True)
    (card / "SOUND" / "s.wav").write_bytes(os.urandom(20_000))
    spotlight = root / ".Spotlight-V100"
    spotlight.mkdir()
    (spotlight / "store.db").write_bytes(b"index")
    for folder, _dirs, files in os.walk(place):
        os.chmod(folder, 0o777)
        for name in files:
            if not os.path.islink(os.path.join(folder, name)):
                os.chmod(os.path.join(folder, name), 0o666)
    spotlight.chmod(0o000)
    output = _copy_as_nobody(place, card, root)
    assert "**/A001/CLIPS/dangling" in _patterns(root), output
    spotlight.chmod(0o755)  # ascmhl (run as root here) walks it not either way
    judge.assert_checks(root, "SOUND/s.wav")
    verdict = judge.verify(root)
    assert verdict.clean, verdict.describe()


def test_a_carried_anchored_pattern_leaves_the_folder_it_names_in_the_tree(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """``ROLL/NEST/DAY/A001`` is a copy of its own (its history records ``CLIPS/take.mov``),
    and ROLL's history was made by ``ascmhl create -i NEST/DAY/``: its list, carried, holds
    an anchored pattern, which plain ``ascmhl-debug verify`` matches against absolute paths, so
    never (it walks NEST/DAY). DAY2, copied ``--into ROLL``, has a dangling link
    ``CLIPS/take.mov``: its pattern would hide the nested copy's file, so the link is left
    out and ``ascmhl-debug verify ROLL`` still checks that file. Failed before: the tree's walk
    skipped NEST/DAY as the carried pattern said, the pattern was written, and the damaged
    nested copy passed. A001 has a dangling link ``CLIPS/lost.mov`` its own list ignores:
    ROLL's newest list ignores it too (``**/NEST/DAY/A001/CLIPS/lost.mov``), so ``ascmhl-debug
    verify ROLL``, which walks NEST/DAY, calls only DAY2's link left out new. Failed before:
    the nested histories were searched with the anchored pattern applied, A001 was never
    found, and verify of ROLL called the link new (exit 21)."""
    roll = tmp_path / "RAID" / "ROLL"
    (roll / "NEST" / "DAY").mkdir(parents=True)
    first = _card(tmp_path, "A001", {"CLIPS/take.mov": 30_000}, {"CLIPS/lost.mov": "GONE.mov"})
    code, output = offload("copy", str(first), str(roll / "NEST" / "DAY"))
    assert code == 0, output
    made = judge.run("ascmhl", "create", "-i", "NEST/DAY/", roll)
    assert made.returncode == 0, made.describe()
    assert any(p.strip("/") == "NEST/DAY" for p in _patterns(roll)), _patterns(roll)
    second = _card(tmp_path, "DAY2", {"SOUND/s.wav": 20_000}, {"CLIPS/take.mov": "GONE.mov"})
    code, output = offload("copy", "--allow-card-destination", "--into", str(second), str(roll))
    assert code == 0, output
    assert "**/CLIPS/take.mov" not in _patterns(roll)
    assert "would also hide NEST/DAY/A001/CLIPS/take.mov" in " ".join(output.split()), output
    assert "**/NEST/DAY/A001/CLIPS/lost.mov" in _patterns(roll), _patterns(roll)
    verdict = judge.verify(roll)  # DAY2's link left out is new to it, A001's is not
    new = [line for line in verdict.stderr.splitlines() if line.startswith("found new")]
    assert new == ["found new file CLIPS/take.mov"], verdict.describe()
    judge.assert_checks(roll, "NEST/DAY/A001/CLIPS/take.mov")


def test_an_anchored_pattern_naming_a_nested_copys_folder_leaves_it_searched(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """``ROLL/NEST/A001`` is a copy of its own with a dangling link ``CLIPS/lost.mov`` its
    list ignores, and ROLL's history was made by ``ascmhl create -i /NEST/``. DAY2, copied
    ``--into ROLL``, is the rest of the root. Plain ``ascmhl-debug verify`` never applies the
    anchored pattern, so it walks NEST: A001's link's pattern is copied up into ROLL's list.
    Failed before: the root was judged whole with the anchored pattern applied, so the nested
    histories were not searched, and ``ascmhl-debug verify ROLL`` called A001's link new
    (exit 21). ``verify -dh`` roots the pattern at ROLL and skips NEST: the root is whole as
    it recomputes the root hash, which the generation records and it matches (a pass later
    had left the root unhashed, judging the hash with plain ``verify``'s walk)."""
    roll = tmp_path / "RAID" / "ROLL"
    (roll / "NEST").mkdir(parents=True)
    first = _card(tmp_path, "A001", {"CLIPS/take.mov": 30_000}, {"CLIPS/lost.mov": "GONE.mov"})
    code, output = offload("copy", str(first), str(roll / "NEST"))
    assert code == 0, output
    made = judge.run("ascmhl", "create", "-i", "/NEST/", roll)
    assert made.returncode == 0, made.describe()
    assert "/NEST/" in _patterns(roll), _patterns(roll)
    second = _card(tmp_path, "DAY2", {"SOUND/s.wav": 20_000}, {})
    code, output = offload("copy", "--allow-card-destination", "--into", str(second), str(roll))
    assert code == 0, output
    newest = sorted((roll / "ascmhl").glob("*.mhl"))[-1]
    text = newest.read_text(encoding="utf-8")
    assert "<roothash>\n      <content>\n        <xxh64 " in text, text
    assert "**/NEST/A001/CLIPS/lost.mov" in _patterns(roll), _patterns(roll)
    verdict = judge.verify(roll)
    assert verdict.clean, verdict.describe()
    hashes = judge.verify(roll, directory_hashes=True)
    assert hashes.returncode == 0, hashes.describe()
    ours = [
        line
        for line in hashes.stderr.splitlines()
        if line.startswith("ERROR") and not line.endswith("(generation 0001)")
    ]
    assert ours == [], hashes.describe()  # 0001: ascmhl create's, of ROLL before DAY2
    judge.assert_checks(roll, "NEST/A001/CLIPS/take.mov")
