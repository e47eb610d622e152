"""Symbolic links across generations: re-runs of a card and a second card into the same copy
root, each judged by the field's tool (``ascmhl`` 1.2) on every destination.

The reference tool reads the ignore list of the newest generation only (``verify``, ``diff``)
and carries it into the next one it writes (``create``): a pattern written for a link that
could not be hashed must not keep hiding a real file (or folder) that later stands at that
path, and a link that appears on a re-run must be covered by a generation of its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from integration.test_offload_mhl import judge_destination
from offload.manifest import read_history
from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import offload


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def judge_clean(judge: AscmhlJudge, root: Path) -> None:
    for result in (judge.verify(root), judge.verify(root, directory_hashes=True)):
        assert result.clean, result.describe()


def judge_grown(judge: AscmhlJudge, root: Path) -> None:
    """Every check of the reference tool on a history whose folders grew since an earlier
    generation (``verify -dh`` reports only the older generations' folder hashes)."""
    judge_destination(judge, root, grown=True)


def destinations(parent: Path, count: int = 2) -> list[Path]:
    dests = [parent / f"RAID{n}" for n in range(count)]
    for dest in dests:
        dest.mkdir(parents=True)
    return dests


def latest_patterns(root: Path) -> tuple[str, ...]:
    return read_history(root).latest_ignore_patterns() or ()


def newest_generation(root: Path) -> tuple[int, set[str]]:
    """The number of generations of *root*'s history, and the paths the newest lists."""
    history = read_history(root)
    return len(history.generations), {r.path for r in history.generations[-1].files}


def test_a_link_replaced_by_a_file_on_a_re_run_is_listed_and_verified(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Before: the first run's ``**/CLIPS/take.mov`` (a dangling link then) was carried into
    the re-run's generation, so the real take copied and verified there was left out of the
    manifest and ``ascmhl-debug verify`` never looked at it (and passed)."""
    card = tmp_path / "cards" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(50_000))
    os.symlink("GONE.mov", card / "CLIPS" / "take.mov")
    os.symlink("../CLIPS", card / "CLIPS" / "folder_link")
    dests = destinations(tmp_path)
    code, output = offload("copy", str(card), *map(str, dests))
    assert code == 0, output
    for dest in dests:
        assert "**/CLIPS/take.mov" in latest_patterns(dest / card.name)
        judge_clean(judge, dest / card.name)

    # On the card the links became a real take and a real folder; on each destination the
    # operator moves the old links away, as the preflight asks, and runs the offload again.
    (card / "CLIPS" / "take.mov").unlink()
    (card / "CLIPS" / "take.mov").write_bytes(os.urandom(30_000))
    (card / "CLIPS" / "folder_link").unlink()
    (card / "CLIPS" / "folder_link").mkdir()
    (card / "CLIPS" / "folder_link" / "inside.xml").write_bytes(b"<xml/>")
    for dest in dests:
        (dest / card.name / "CLIPS" / "take.mov").unlink()
        (dest / card.name / "CLIPS" / "folder_link").unlink()
    code, output = offload("copy", str(card), *map(str, dests))
    assert code == 0, output
    for dest in dests:
        root = dest / card.name
        # (the clip trusted from the ledger, not read now, stays the first generation's)
        assert newest_generation(root) == (
            2,
            {"CLIPS/take.mov", "CLIPS/folder_link/inside.xml"},
        )
        patterns = latest_patterns(root)
        assert "**/CLIPS/take.mov" not in patterns
        assert "**/CLIPS/folder_link" not in patterns
        judge_grown(judge, root)
        judge.assert_checks(root, "CLIPS/take.mov")
        judge.assert_checks(root, "CLIPS/folder_link/inside.xml")
        code, out = offload("verify", str(root))
        assert code == 0, out


def test_a_second_card_into_the_same_root_lists_a_file_where_the_first_had_a_link(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Two cards offloaded into one copy root (``--into``): the first card's dangling link
    ``SOUND/take.wav`` is ignored; the second card's real ``SOUND/take.wav`` is listed and
    checked, while the first card's other link stays ignored. (The second card's generation
    lists only the second card's files, so it records no hash of the folders it shares with
    the first card; ``verify -dh`` of such a root is judged in test_shared_copy_root.py.)"""
    first = tmp_path / "cards" / "DAY1"
    (first / "SOUND").mkdir(parents=True)
    (first / "SOUND" / "S01T01.wav").write_bytes(os.urandom(20_000))
    os.symlink("missing.wav", first / "SOUND" / "take.wav")
    os.symlink("/etc/hostname", first / "hostname")
    second = tmp_path / "cards" / "DAY2"
    (second / "SOUND").mkdir(parents=True)
    (second / "SOUND" / "take.wav").write_bytes(os.urandom(20_000))
    roots = [dest / "ROLL" for dest in destinations(tmp_path)]
    for root in roots:
        root.mkdir()
    code, output = offload("copy", "--into", str(first), *map(str, roots))
    assert code == 0, output
    for root in roots:  # the link is in the way of the second card's file: moved away
        (root / "SOUND" / "take.wav").unlink()
    code, output = offload("copy", "--into", str(second), *map(str, roots))
    assert code == 0, output
    for root in roots:
        assert newest_generation(root) == (2, {"SOUND/take.wav"})
        patterns = latest_patterns(root)
        assert "**/SOUND/take.wav" not in patterns
        assert "**/hostname" in patterns  # the first card's link still there, still ignored
        for result in (judge.verify(root), judge.diff(root)):
            assert result.clean, result.describe()
        judge.assert_checks(root, "SOUND/take.wav")


def test_a_second_card_whose_file_an_earlier_link_pattern_would_hide_lists_it_and_names_the_link(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The first card's dangling link ``take.wav`` at the root is ignored by ``**/take.wav``,
    which would also hide the second card's ``SOUND/take.wav``: the file is listed and
    checked, the pattern is not carried, and a warning says the first card's link is no
    longer ignored (ascmhl calls it new), as for a link whose pattern would hide a file of
    its own card."""
    first = tmp_path / "cards" / "DAY1"
    first.mkdir(parents=True)
    (first / "S01T01.wav").write_bytes(os.urandom(20_000))
    os.symlink("missing.wav", first / "take.wav")
    second = tmp_path / "cards" / "DAY2"
    (second / "SOUND").mkdir(parents=True)
    (second / "SOUND" / "take.wav").write_bytes(os.urandom(20_000))
    (root,) = [dest / "ROLL" for dest in destinations(tmp_path, 1)]
    root.mkdir()
    code, output = offload("copy", "--into", str(first), str(root))
    assert code == 0, output
    assert "**/take.wav" in latest_patterns(root)
    code, output = offload("copy", "--into", str(second), str(root))
    assert code == 0, output
    assert "take.wav on" in output and "no longer ignored" in output
    assert "would also hide SOUND/take.wav" in output
    assert "**/take.wav" not in latest_patterns(root)
    assert newest_generation(root) == (2, {"SOUND/take.wav"})
    verdict = judge.verify(root)
    assert "found new file take.wav" in verdict.stderr, verdict.describe()
    judge.assert_checks(root, "SOUND/take.wav")


def test_a_link_added_on_a_re_run_with_no_new_file_gets_a_generation(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Before: the re-run copied no file, so it wrote no generation, and ascmhl called the new
    links new files (exit 21 from ``verify``)."""
    card = tmp_path / "cards" / "A002"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A002C001.mov").write_bytes(os.urandom(40_000))
    dests = destinations(tmp_path)
    code, output = offload("copy", str(card), *map(str, dests))
    assert code == 0, output
    os.symlink("A002C001.mov", card / "CLIPS" / "latest.mov")  # a file of the card: listed
    os.symlink("GONE.mov", card / "CLIPS" / "dangling.mov")  # ignored
    code, output = offload("copy", str(card), *map(str, dests))
    assert code == 0, output
    for dest in dests:
        root = dest / card.name
        # the link's content read now; the clip, trusted (not read now), is generation 1's
        assert newest_generation(root) == (2, {"CLIPS/latest.mov"})
        assert "**/CLIPS/dangling.mov" in latest_patterns(root)
        judge_grown(judge, root)
        code, out = offload("verify", str(root))
        assert code == 0, out

    # A third run with nothing new (files and links as they were) writes no generation.
    code, output = offload("copy", str(card), *map(str, dests))
    assert code == 0, output
    for dest in dests:
        assert len(read_history(dest / card.name).generations) == 2


def test_links_no_generation_can_hold_never_make_a_generation_on_a_re_run(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A link left out of the manifest (a name XML cannot hold; an ignore pattern that would
    hide a file) is left out of any generation: a re-run with nothing new writes none for it."""
    card = tmp_path / "cards" / "A003"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "take.mov").write_bytes(os.urandom(10_000))
    os.symlink("CLIPS/take.mov", os.fsencode(card) + b"/caf\xe9.mov")
    os.symlink("nowhere.mov", card / "take.mov")  # **/take.mov would hide CLIPS/take.mov
    (dest,) = destinations(tmp_path, 1)
    for _ in range(2):
        code, output = offload("copy", str(card), str(dest))
        assert code == 0, output
    history = read_history(dest / card.name)
    assert len(history.generations) == 1
    assert history.recorded_file_paths() == {"CLIPS/take.mov"}


def test_a_link_a_carried_pattern_ignores_anyway_makes_no_generation(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A link to a file whose name an earlier run's ignore pattern (``*.bak``, carried from
    generation to generation) matches would be ignored by any new generation: a re-run with
    nothing else new writes none, and ascmhl skips the link."""
    card = tmp_path / "cards" / "A004"
    card.mkdir(parents=True)
    (card / "clip.mov").write_bytes(os.urandom(10_000))
    (dest,) = destinations(tmp_path, 1)
    code, output = offload("copy", "--ignore", "*.bak", str(card), str(dest))
    assert code == 0, output
    os.symlink("clip.mov", card / "latest.bak")
    for _ in range(2):
        code, output = offload("copy", str(card), str(dest))
        assert code == 0, output
    root = dest / card.name
    assert os.readlink(root / "latest.bak") == "clip.mov"
    assert len(read_history(root).generations) == 1
    judge_clean(judge, root)


def test_a_root_generation_over_card_copies_ignores_the_links_their_histories_ignore(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A folder of card copies, each with its own history ignoring its links (a dangling
    one, one to a folder), then a single file copied into that folder: its generation
    makes the folder a root history above the copies' nested ones. ascmhl 1.2 checks the
    nested histories' files in ``verify`` of the root with the root's ignore list alone, so
    it found the dangling link new (exit 21) while ``offload verify`` (each history's own
    list) passed. The root generation now ignores each such link by its exact path from the
    root, and no other card's file of the same name below the card folder."""
    dest = tmp_path / "RAID0"
    dest.mkdir()
    cards = {}
    for name in ("A001", "B001"):
        card = tmp_path / "cards" / name
        (card / "CLIPS").mkdir(parents=True)
        (card / "CLIPS" / f"{name}C001.mov").write_bytes(os.urandom(5_000))
        cards[name] = card
    os.symlink("CLIPS", cards["A001"] / "folder_link")
    os.symlink("nowhere", cards["A001"] / "CLIPS" / "dangling")
    (cards["B001"] / "CLIPS" / "dangling").write_bytes(b"a file so named")
    for card in cards.values():
        code, output = offload("copy", str(card), str(dest))
        assert code == 0, output
        judge_clean(judge, dest / card.name)
    single = tmp_path / "one.mov"
    single.write_bytes(os.urandom(3_000))
    code, output = offload("copy", str(single), str(dest))
    assert code == 0, output
    assert (dest / "ascmhl").is_dir() and (dest / "A001" / "ascmhl").is_dir()
    # verify alone: -dh of a root whose generation has no root hash (it does not list the
    # copies) crashes in ascmhl 1.2 on the nested histories' folder hashes (KeyError), with
    # or without these patterns (docs/design.md, "Nested histories under a root").
    result = judge.verify(dest)
    assert result.clean, result.describe()
    patterns = latest_patterns(dest)
    assert "**/A001/CLIPS/dangling" in patterns, patterns
    # ascmhl does not enter a link to a folder: no pattern needed (verify above is clean)
    assert "**/A001/folder_link" not in patterns, patterns
    from offload.manifest.ignore import IgnoreSpec

    spec = IgnoreSpec(patterns)
    assert not spec.matches("B001/CLIPS/dangling", is_dir=False)
    assert not spec.matches("one.mov", is_dir=False)
    code, output = offload("verify", str(dest))
    assert code == 0, output
    # A second file into the folder: its generation carries the pattern on.
    (tmp_path / "two.mov").write_bytes(os.urandom(2_000))
    code, output = offload("copy", str(tmp_path / "two.mov"), str(dest))
    assert code == 0, output
    assert "**/A001/CLIPS/dangling" in latest_patterns(dest)
    result = judge.verify(dest)
    assert result.clean, result.describe()
    # Not mended: a card copied into the folder after the root's newest generation writes
    # none there, so its link is new to ascmhl until the next generation of the root.
    late = tmp_path / "cards" / "C001"
    late.mkdir()
    (late / "C001C001.mov").write_bytes(os.urandom(1_000))
    os.symlink("nowhere", late / "dangling")
    code, output = offload("copy", str(late), str(dest))
    assert code == 0, output
    result = judge.verify(dest)
    assert result.returncode == 21 and "C001/dangling" in result.stderr, result.describe()
    code, output = offload("verify", str(dest))
    assert code == 0, output  # each history's own list: the copy's ignores its link
    (tmp_path / "three.mov").write_bytes(os.urandom(1_000))
    code, output = offload("copy", str(tmp_path / "three.mov"), str(dest))
    assert code == 0, output
    result = judge.verify(dest)
    assert result.clean, result.describe()


def _card(parent: Path, name: str, files: dict[str, bytes], links: dict[str, str]) -> Path:
    card = parent / name
    for relative, content in files.items():
        (card / relative).parent.mkdir(parents=True, exist_ok=True)
        (card / relative).write_bytes(content)
    for relative, target in links.items():
        (card / relative).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, card / relative)
    return card


def _single_file_into(tmp_path: Path, dest: Path, name: str) -> str:
    """The file *name* (1,000 random bytes) copied into *dest* (exit 0): its output."""
    (tmp_path / name).write_bytes(os.urandom(1_000))
    code, output = offload("copy", str(tmp_path / name), str(dest))
    assert code == 0, output
    return output


DANGLING_LINK = {"CLIPS/dangling": "nowhere"}


def _root_over_a_dangling_link(
    tmp_path: Path, *, before: Callable[[Path], None] | None = None
) -> tuple[Path, Path]:
    """``RAID/A001``: the copy of card ``cards1/A001`` (``CLIPS/C001.mov``, and
    ``CLIPS/dangling`` a dangling link its own history ignores), then the single file
    ``one.mov`` copied into ``RAID``: its generation makes ``RAID`` a root history over the
    copy's nested one. *before* (given ``RAID``) runs between the two; without it, the root's
    generation ignores the copy's link by its exact path (asserted). (RAID, the card)."""
    dest = tmp_path / "RAID"
    dest.mkdir()
    card = _card(tmp_path / "cards1", "A001", {"CLIPS/C001.mov": os.urandom(3_000)}, DANGLING_LINK)
    code, output = offload("copy", str(card), str(dest))
    assert code == 0, output
    if before is not None:
        before(dest)
    _single_file_into(tmp_path, dest, "one.mov")
    if before is None:
        assert "**/A001/CLIPS/dangling" in latest_patterns(dest)
    return dest, card


def _another_a001_into_day2(tmp_path: Path, dest: Path, *, link: bool = False) -> None:
    """Another card named A001 (``cards2/A001``: ``CLIPS/C002.mov``, and at ``CLIPS/dangling``
    a real file its copy records, or with *link* a dangling link) copied into ``DAY2``."""
    files = {"CLIPS/C002.mov": os.urandom(3_000)}
    if not link:
        files["CLIPS/dangling"] = os.urandom(2_000)
    again = _card(tmp_path / "cards2", "A001", files, DANGLING_LINK if link else {})
    (dest / "DAY2").mkdir()
    code, output = offload("copy", str(again), str(dest / "DAY2"))
    assert code == 0, output


def test_a_nested_link_pattern_never_hides_another_copys_recorded_file(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Reused card names: ``/RAID/A001`` holds a dangling ``CLIPS/dangling``, and
    ``/RAID/DAY2/A001/CLIPS/dangling`` is a real file DAY2's copy records. Before, the root
    generation wrote ``**/A001/CLIPS/dangling``, which matches DAY2's file too: ascmhl 1.2
    never hashed it (a changed file passed ``verify`` of the root)."""
    dest, _card_copied = _root_over_a_dangling_link(
        tmp_path, before=lambda dest: _another_a001_into_day2(tmp_path, dest)
    )
    assert "**/A001/CLIPS/dangling" not in latest_patterns(dest)
    judge.assert_checks(dest, "DAY2/A001/CLIPS/dangling")
    code, output = offload("verify", str(dest))
    assert code == 0, output


def test_a_nested_link_pattern_is_retired_once_a_file_stands_there(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The copy's dangling link became a real file its history records (the card re-run
    with the take restored): the root's carried ``**/A001/CLIPS/dangling`` used to stay,
    so ascmhl 1.2 verify of the root never hashed that recorded file."""
    dest, card = _root_over_a_dangling_link(tmp_path)
    (card / "CLIPS" / "dangling").unlink()
    (card / "CLIPS" / "dangling").write_bytes(os.urandom(2_000))
    (dest / "A001" / "CLIPS" / "dangling").unlink()  # as the preflight asks
    code, output = offload("copy", str(card), str(dest))
    assert code == 0, output
    assert "**/CLIPS/dangling" not in latest_patterns(dest / "A001")
    _single_file_into(tmp_path, dest, "two.mov")
    assert "**/A001/CLIPS/dangling" not in latest_patterns(dest)
    result = judge.verify(dest)
    assert result.clean, result.describe()
    judge.assert_checks(dest, "A001/CLIPS/dangling")


@pytest.mark.parametrize("name", ["A\x01001", "A\udcff001"], ids=["control", "not-utf8"])
def test_a_nested_folder_name_xml_cannot_hold_adds_no_pattern(
    judge: AscmhlJudge, tmp_path: Path, name: str
) -> None:
    """A copy renamed to a name XML cannot hold (a control character, bytes not UTF-8):
    its link's pattern from the root would be one too. Before, the generation was written
    malformed (control character) or the write raised (not UTF-8)."""

    def rename(dest: Path) -> None:
        os.rename(dest / "A001", os.fsencode(dest) + b"/" + os.fsencode(name))

    dest, _card_copied = _root_over_a_dangling_link(tmp_path, before=rename)
    history = read_history(dest)  # well-formed
    assert not any("001/CLIPS/dangling" in p for p in history.latest_ignore_patterns() or ())
    result = judge.verify(dest)
    if "\x01" in name:
        # the link is new to it, as before these patterns
        assert result.returncode == 21, result.describe()
        assert "CLIPS/dangling" in result.stderr, result.describe()
    else:  # ascmhl 1.2 cannot load a nested history below such a name at all (lxml)
        assert "UnicodeEncodeError" in result.stderr, result.describe()


def test_a_carried_nested_link_pattern_is_retired_once_it_would_hide_a_reused_name(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The copy whose link the root ignores is renamed away, then a card of the same name
    is copied into a day folder beside it: the carried ``**/A001/CLIPS/dangling`` (no
    longer below a nested folder of that name) would hide that copy's recorded file."""
    dest, _card_copied = _root_over_a_dangling_link(tmp_path)
    os.rename(dest / "A001", dest / "A001_first")
    _another_a001_into_day2(tmp_path, dest)
    _single_file_into(tmp_path, dest, "two.mov")
    patterns = latest_patterns(dest)
    assert "**/A001/CLIPS/dangling" not in patterns, patterns
    assert "**/A001_first/CLIPS/dangling" in patterns, patterns
    result = judge.verify(dest)
    assert result.clean, result.describe()
    judge.assert_checks(dest, "DAY2/A001/CLIPS/dangling")


def test_a_reused_names_own_dangling_link_gets_its_pattern_when_the_carried_one_is_dropped(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """As above, but DAY2's copy has a dangling link at the same relative path: the carried
    ``**/A001/CLIPS/dangling`` is dropped (it would hide DAY2's link), and DAY2's link gets
    its own pattern. Before, the carried pattern kept DAY2's link from being judged at all,
    then was dropped: neither written, ascmhl 1.2 verify of the root exited 21."""
    dest, _card_copied = _root_over_a_dangling_link(tmp_path)
    os.rename(dest / "A001", dest / "A001_first")
    _another_a001_into_day2(tmp_path, dest, link=True)
    _single_file_into(tmp_path, dest, "two.mov")
    patterns = latest_patterns(dest)
    assert "**/A001/CLIPS/dangling" not in patterns, patterns
    assert "**/DAY2/A001/CLIPS/dangling" in patterns, patterns
    result = judge.verify(dest)
    assert result.clean, result.describe()


def test_a_nested_link_pattern_dropped_for_hiding_another_copys_file_is_named(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The root carries ``**/A001/CLIPS/dangling`` for the copy's dangling link; a card of
    the same name is then copied into DAY2 with a real file at that path. The pattern is
    dropped (it would hide DAY2's file), so ascmhl 1.2 lists the link as new (exit 21):
    the run says so. Before, nested_links' retirements never reached the warning."""
    dest, _card_copied = _root_over_a_dangling_link(tmp_path)
    _another_a001_into_day2(tmp_path, dest)
    output = _single_file_into(tmp_path, dest, "two.mov")
    assert "**/A001/CLIPS/dangling" not in latest_patterns(dest)
    assert "A001/CLIPS/dangling on" in output and "no longer ignored" in output, output
    assert "would also hide DAY2/A001/CLIPS/dangling" in output, output
    result = judge.verify(dest)
    assert result.returncode == 21 and "A001/CLIPS/dangling" in result.stderr, result.describe()
