"""Review of namesfix67/srcwords67 (revfix3_67): a name is printed through
``printable_name`` once, so a literal backslash shows as two (``\\\\``), never four, in
every line that joins several names (``join_paths``), and a copy-root source's wording
never rewrites a printed name that holds "the card"."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from support.offload_cli import offload


def _card(tmp_path: Path, *clips: str) -> Path:
    card = tmp_path / "card" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for clip in clips:
        (card / "CLIPS" / clip).write_bytes(os.urandom(20_000))
    return card


def test_destinations_on_the_source_filesystem_print_a_backslash_before_an_x_as_two(
    tmp_path: Path,
) -> None:
    """Two destinations named ``B\\x1`` and ``B\\x2`` on the card's filesystem: the warning
    that they share the source's filesystem names each as every other line does
    (``B\\\\x1``). Failed before: ``space._source_shared`` printed the names, then
    ``join_paths`` printed them again (``B\\\\\\\\x1``)."""
    card = _card(tmp_path, "A001C001.mov")
    one, two = tmp_path / "B\\x1", tmp_path / "B\\x2"
    one.mkdir()
    two.mkdir()
    code, said = offload("copy", "--dry-run", card, one, two)
    assert code == 0, said
    shown = [line for line in said.splitlines() if "same filesystem as the source" in line]
    assert shown, said
    assert "B\\\\x1" in shown[0] and "B\\\\x2" in shown[0], shown
    assert "\\\\\\\\" not in said, said


def test_a_cascade_fast_copy_on_the_card_disk_prints_a_backslash_as_two(tmp_path: Path) -> None:
    """The cascade's clause naming its fast copies on the card's disk (``this cascade will
    not release the card on the copy on ...``). Failed before: ``B\\\\\\\\x1``."""
    card = _card(tmp_path, "A001C001.mov")
    one, two, three = tmp_path / "B\\x1", tmp_path / "B\\x2", tmp_path / "B\\x3"
    for d in (one, two, three):
        d.mkdir()
    code, said = offload("copy", "--dry-run", "--cascade-to", three, card, one, two)
    assert code == 0, said
    clause = (
        f"will not release the card on the copies on {tmp_path}/B\\\\x1 and {tmp_path}/B\\\\x2:"
    )
    assert clause in said, said
    assert "\\\\\\\\" not in said, said


def _copy_root_of_the_card(tmp_path: Path) -> Path:
    """``DRIVE_A/A001``: a real copy of a card holding a clip ``CLIPS/The card.mov`` and a
    folder ``card files/``: a copy root of ours, to be given as a source."""
    card = _card(tmp_path, "The card.mov", "A001C001.mov")
    (card / "card files").mkdir()
    (card / "card files" / "x.mov").write_bytes(os.urandom(3_000))
    drive = tmp_path / "DRIVE_A"
    drive.mkdir()
    code, said = offload("copy", "-q", "--report-dir", tmp_path / "r0", card, drive)
    assert code == 0, said
    return drive / "A001"


def test_a_copy_root_source_keeps_a_clip_called_the_card_in_its_release(tmp_path: Path) -> None:
    """Review of srcwords67 (M1): a copy root of ours given as the source says "the source"
    for the card, but never of a file name: a copy of ``CLIPS/The card.mov`` refused (other
    content at the destination) is named as it is, on the terminal and in the JSON's
    ``card_release.text`` and the HTML. Failed before: ``a copy failed: CLIPS/The
    source.mov`` (the sentence's words rewritten inside the name)."""
    root = _copy_root_of_the_card(tmp_path)
    other = tmp_path / "OTHER" / "A001"
    shutil.copytree(root, other)
    (other / "CLIPS" / "The card.mov").write_bytes(os.urandom(20_000))
    reports = tmp_path / "reports"
    code, said = offload("copy", "--report-dir", reports, "--into", other, root)
    assert code != 0, said
    assert "Keep the source (a copy of ours, not a card): a copy failed: CLIPS/The card.mov;" in (
        said
    ), said
    assert "The source.mov" not in said, said
    (report,) = reports.glob("*.json")
    release = json.loads(report.read_text())["card_release"]
    assert release["source_is_copy"] is True, release
    assert "a copy failed: CLIPS/The card.mov;" in release["text"], release
    (html,) = reports.glob("*.html")
    assert "The source.mov" not in html.read_text(), html


def test_a_copy_root_source_keeps_an_ignored_clip_called_the_card(tmp_path: Path) -> None:
    """A cascade from a copy root with ``--ignore 'The card.mov'``: the SOURCE PASS DONE
    line and the release at the end name the entry left out as it is. Failed before:
    ``(CLIPS/The source.mov first)`` in both, while the JSON's ``ignored`` said
    ``CLIPS/The card.mov``."""
    root = _copy_root_of_the_card(tmp_path)
    fast, slow = tmp_path / "F1", tmp_path / "S1"
    fast.mkdir()
    slow.mkdir()
    reports = tmp_path / "reports"
    code, said = offload(
        "copy",
        "--report-dir",
        reports,
        "--ignore",
        "The card.mov",
        "--cascade-to",
        slow,
        root,
        fast,
    )
    assert code == 0, said
    lines = " ".join(said.split())
    passed = lines[lines.index("SOURCE PASS DONE") :]
    assert "left out by an ignore pattern (CLIPS/The card.mov first)" in passed, said
    assert "Keep the source (a copy of ours, not a card): 1 of the source's entries was left " in (
        lines
    ), said
    assert "The source.mov" not in said, said
    (report,) = reports.glob("*.json")
    data = json.loads(report.read_text())
    assert "(CLIPS/The card.mov first)" in data["card_release"]["text"], data["card_release"]


def test_kept_names_are_kept_as_printed_too() -> None:
    """``of_the_source``'s *keep* holds raw names; the text holds them printed (a literal
    backslash doubled): both spellings are kept. Failed before: ``/mnt/The source\\\\xF``."""
    from offload.errors import printable_name
    from offload.report.source_words import of_the_source

    name = "/mnt/The card\\xF"
    said = of_the_source(f"{printable_name(name)} is a folder of the card", keep=(name,))
    assert said == "/mnt/The card\\\\xF is a folder of the source", said
    folder = of_the_source("card files/x.mov failed: keep the card", keep=("card files/x.mov",))
    assert folder == "card files/x.mov failed: keep the source", folder
