"""A cascade re-run fed from a fast copy (the card put away) records its card's first file
in the slow copy root's record, as the card's own run does (review of runrec66, H1 and M1).

H1: the re-run's entry recorded no first file, which made it every card's of its path:
card A killed on the slow drive, its re-run stopped there too, then card B mounted at that
path and offloaded ``--into`` the same folder replaced A's entry, and ``offload verify`` of
the folder passed, exit 0, with none of A's clips there.

M1: card A offloaded into the folder, card B's cascade killed there, B's re-run from the
fast copy, finished, could never clear B's ``running`` (told apart from A's by its first
file), so verify said INCOMPLETE for good and advised the re-run just made.

Real faults: the cards on a tmpfs of their own (``cards``: identity unknown), the slow drive
a FaultyFS whose write stalls while the real CLI, a child process, is SIGKILLed or
SIGINTed."""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from faults.test_unfinished_offload_verify import (
    copied,
    make_card,
    stopped_when_stalled,
    verified_json,
)
from support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault


def _cascaded(
    tmp_path: Path, cards: Path, slow: FaultyFS, fast: str
) -> tuple[Path, Path, list[Path | str]]:
    """Card A001 cascaded ``--into`` DAY on *slow* through the fast folder *fast*, SIGKILLed
    at the slow drive's first clip write once the card's pass is recorded, the card then put
    away: the card's path, DAY and the command's arguments."""
    card = make_card(cards)
    fast_root = tmp_path / fast
    fast_root.mkdir()
    day = slow.mountpoint / "DAY"
    day.mkdir(exist_ok=True)
    args: list[Path | str] = ["--into", "--cascade-to", day, card, fast_root, day]
    passed = fast_root / ".offload" / "cascade-card.json"
    status = stopped_when_stalled(
        slow, "write", "DAY/CLIPS/*", args, tmp_path / "reports", recorded=passed.exists
    )
    assert status == -signal.SIGKILL
    shutil.rmtree(card)  # the card is put away
    return card, day, args


def _entries(day: Path) -> list[tuple[str, object]]:
    cards = json.loads((day / ".offload" / "last-run.json").read_text())["cards"]
    return sorted((e["state"], (e.get("first") or [""])[0]) for e in cards)


@pytest.mark.timeout(300)
def test_another_card_never_takes_over_a_cascade_reruns_entry(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """H1's sequence. Failed before: the re-run's ``cancelled`` entry had no first file,
    card B's run replaced it and ``offload verify`` of DAY said exit 0."""
    slow = faulty_fs()
    card, day, args = _cascaded(tmp_path, cards, slow, "fastA")
    # The same command again, fed from fastA, stopped (Ctrl-C) on the slow drive.
    status = stopped_when_stalled(
        slow, "write", "DAY/CLIPS/*", args, tmp_path / "reports", sig=signal.SIGINT
    )
    assert status != 0
    # Card B at the same path, offloaded into DAY to its end.
    (card / "BCLIPS").mkdir(parents=True)
    (card / "BCLIPS" / "B1.mov").write_bytes(os.urandom(200_000))
    copied("--into", card, day)
    code, output, data = verified_json(day, tmp_path / "v1")
    assert code == 10 and data["passed"] is False, output
    (line,) = [line for line in output.splitlines() if "INCOMPLETE:" in line]
    assert "(first file CLIPS/C1.mov, 300,000 bytes)" in line, line
    assert "was cancelled before it finished" in line, line
    assert _entries(day) == [("cancelled", "CLIPS/C1.mov"), ("finished", "BCLIPS/B1.mov")]


@pytest.mark.timeout(300)
def test_a_cascade_rerun_clears_its_own_cards_entry_beside_another_cards(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """M1's sequence. Failed before: the re-run's entry went beside B's ``running`` (told
    apart by B's first file), and ``offload verify`` of DAY said INCOMPLETE, exit 10."""
    slow = faulty_fs()
    # Card "A" (other files) offloaded from the card's path straight into DAY first.
    other = cards / "A001"
    (other / "ACLIPS").mkdir(parents=True)
    (other / "ACLIPS" / "A1.mov").write_bytes(os.urandom(100_000))
    (slow.mountpoint / "DAY").mkdir()
    copied("--into", other, slow.mountpoint / "DAY")
    shutil.rmtree(other)
    _, day, args = _cascaded(tmp_path, cards, slow, "fastB")
    assert _entries(day) == [("finished", "ACLIPS/A1.mov"), ("running", "CLIPS/C1.mov")]
    copied(*args)  # the re-run, fed from fastB
    code, output, data = verified_json(day, tmp_path / "v1")
    assert code == 0 and data["passed"] is True, output
    assert "INCOMPLETE" not in output, output
    assert _entries(day) == [("finished", "ACLIPS/A1.mov"), ("finished", "CLIPS/C1.mov")]
