"""A cascade's re-run without its card, fed from a fast copy: the slow copy root's ASC MHL
history and the fast copy's were written by the same first run (one generation each, the
same sequence number, the same record but for its dates: when it and its hashes were made).
They are one run's record on each copy, not two histories at odds: no warning that the fast copy's
history is not carried on, which named something the tool did to itself that no user can act
on (QA: "the fast copy's ASC MHL history (F2/A001R1AB/ascmhl) is not carried on to
R2/A001R1AB: ... holds an ASC MHL history of its own that holds none of the fast copy's
generations (0001_A001R1AB_..._203250Z.mhl)").

Real parts: the card on a tmpfs of its own (``cards``), the copies on the test's disk, the
real CLI (the first run a child process, stopped at the card's release until the next
second, so that the two generations differ by their date; the re-run in this process); the
reference tool judges the slow copy's history."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from offload.manifest.history import read_history
from support.ascmhl_judge import AscmhlJudge
from support.cardless_cascade import away
from support.cards import three_clip_card
from support.offload_cli import copy_acting_at_release, copy_with_reports_in


def _held_past_the_second(process: subprocess.Popen[str]) -> None:
    """At the card's release (the fast copy's generation written): the run stopped
    (SIGSTOP) until the clock is past that second, then let go, so the slow copy's
    generation is written in a later second than the fast copy's (written in the same
    second, the two are the same bytes, one chain already)."""
    os.kill(process.pid, signal.SIGSTOP)
    try:
        now = int(time.time())
        while int(time.time()) <= now:
            time.sleep(0.05)
    finally:
        os.kill(process.pid, signal.SIGCONT)


def _cascaded_then_card_away(
    tmp_path: Path, cards: Path
) -> tuple[Path, Path, Path, tuple[str, ...]]:
    """The card (three clips, on *cards*) cascaded to F2 and R2 by a child process held at
    the card's release past the second (:func:`_held_past_the_second`; exit 0 checked), then
    put away: the card, F2, R2 and the run's arguments (the re-run's too)."""
    card = three_clip_card(cards, size=150_000)
    fast, slow = tmp_path / "F2", tmp_path / "R2"
    fast.mkdir()
    slow.mkdir()
    argv = (str(card), str(fast), "--cascade-to", str(slow))
    released, said, code = copy_acting_at_release(
        *argv, "--report-dir", str(tmp_path / "first"), at_release=_held_past_the_second
    )
    assert released and code == 0, said
    card.rename(away(card))
    return card, fast, slow, argv


def test_the_same_runs_generations_on_fast_and_slow_are_one_chain(
    tmp_path: Path, cards: Path, judge: AscmhlJudge
) -> None:
    card, fast, slow, argv = _cascaded_then_card_away(tmp_path, cards)
    (first,) = read_history(fast / card.name).generations
    (same,) = read_history(slow / card.name).generations
    # The same run's, on each copy, seconds apart: not the same bytes (else one chain).
    assert first.file_name != same.file_name, same
    assert first.file_name[:5] == same.file_name[:5] == "0001_", same
    code, said = copy_with_reports_in(tmp_path, *argv)
    words = " ".join(said.split())
    assert code == 0, words
    assert "is not carried on to" not in words, words
    names = [g.file_name for g in read_history(slow / card.name).generations]
    assert names[0] == same.file_name, names
    result = judge.verify(slow / card.name)
    assert result.clean, result.describe()


def test_the_same_runs_generation_never_chained_on_the_slow_copy_is_not_counted(
    tmp_path: Path, cards: Path
) -> None:
    """The same first run, its generation on the slow copy then taken out of that copy's
    chain (``ascmhl_chain.xml`` emptied of it: as a kill between the manifest's write and
    its chaining leaves it): that manifest is no generation of the slow copy's history, so
    the re-run never counts it as the same run's record there; the fast copy's generation
    is not said carried. Failed before: the unchained file matched, the history called
    whole (no "not carried on" warning)."""
    card, _fast, slow, argv = _cascaded_then_card_away(tmp_path, cards)
    chain = slow / card.name / "ascmhl" / "ascmhl_chain.xml"
    text = chain.read_text()
    start, end = text.index("<hashlist"), text.index("</hashlist>") + len("</hashlist>")
    chain.write_text(text[:start] + text[end:])
    _code, said = copy_with_reports_in(tmp_path, *argv)
    words = " ".join(said.split())
    assert "is not carried on to" in words, words
