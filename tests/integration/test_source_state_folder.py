"""A source holding a folder named like offload-ai's state folder (``.offload/``, left out by
default): our own state (a copy root of ours offloaded again, its ledger inside) or not
(no ledger: maybe the card's own content), and the partials a run of ours left there. The
format line says which, so nothing is left out in silence. Real files, the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from support.cards import three_clip_card
from support.offload_cli import copy_with_reports_in


def _release(tmp_path: Path) -> dict[str, object]:
    report = sorted((tmp_path / "reports").glob("*.json"))[-1]
    release = json.loads(report.read_text())["card_release"]
    assert isinstance(release, dict)
    return release


def test_a_copy_of_ours_offloaded_again_names_its_partials_as_our_leftovers(
    tmp_path: Path, cards: Path
) -> None:
    """A drive's copy offloaded again as the source, holding a partial file an interrupted
    run of ours left: the line says they are our leftovers and can be deleted. Failed before
    (review of hostilefix57): "… of the card's entries … named like offload-ai's partial
    files", not a word of whose they are or what to do."""
    card = three_clip_card(cards)
    raid, shuttle = tmp_path / "RAID", tmp_path / "SHUTTLE"
    raid.mkdir()
    shuttle.mkdir()
    code, err = copy_with_reports_in(tmp_path, str(card), str(raid))
    assert code == 0, err
    (raid / card.name / "CLIPS" / ".offload-partial.dead01.A001C004.mov").write_bytes(b"x" * 9)
    code, err = copy_with_reports_in(tmp_path, str(raid / card.name), str(shuttle))
    assert code == 0, err
    release = _release(tmp_path)
    assert release["may_format"] is False, release
    text = str(release["text"])
    assert "CLIPS/.offload-partial.dead01.A001C004.mov" in text, text
    assert "a leftover of an interrupted run of offload-ai" in text, text
    assert "delete it on the source" in text, text


def test_a_card_folder_named_like_our_state_without_a_ledger_keeps_the_card(
    tmp_path: Path, cards: Path
) -> None:
    """A card holding ``/.offload/`` that is not our state (no ledger in it): left out by the
    default rule (every copy root needs that name), so never copied: the card is kept and the
    folder named. Failed before (review of hostilefix57): "The card may be formatted", the
    folder's files on no destination."""
    card = three_clip_card(cards)
    (card / ".offload").mkdir()
    (card / ".offload" / "NOTES.TXT").write_text("camera notes")
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, err = copy_with_reports_in(tmp_path, str(card), str(dest))
    assert code == 0, err
    assert not (dest / card.name / ".offload" / "NOTES.TXT").exists()
    release = _release(tmp_path)
    assert release["may_format"] is False, release
    text = str(release["text"])
    assert "Do not format the card" in text and ".offload" in text, text
    assert "holds no offload-ai ledger" in text, text
    assert "holds no offload-ai ledger" in err, err
