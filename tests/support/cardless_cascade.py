"""A cascade's card gone after a first run (README "Cascading copy"): the set-up of the tests
of the re-runs whose source is a fast copy standing for the card (``cascade.fast_copy_source``).

    run = cascaded_then_card_away(tmp_path, cards)
    code, said = copy_with_reports_in(tmp_path, *run.command)  # the re-run, card absent
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from support.cards import clips_card, corrupt_keeping_size_and_mtime
from support.faultyfs import FaultyFS
from support.offload_cli import copy_with_reports_in

#: The clip the tests damage, drop or fail: the second of the card ``C003``.
VICTIM = "CLIPS/C003C002.mov"


def away(card: Path) -> Path:
    """Where ``cascade_then_card_away`` moved *card*: ``<name>-away`` beside it."""
    return card.with_name(f"{card.name}-away")


def cascade_then_card_away(tmp_path: Path, card: Path, fast: list[Path], slow: list[Path]) -> None:
    """``offload copy CARD FAST... --cascade-to SLOW...`` by the CLI in this process (reports
    in ``tmp_path/reports``; the folders made), exit 0; then the card moved ``away``."""
    for folder in (*fast, *slow):
        folder.mkdir()
    command = [str(card), *map(str, fast)]
    for folder in slow:
        command += ["--cascade-to", str(folder)]
    code, said = copy_with_reports_in(tmp_path, *command)
    assert code == 0, said
    card.rename(away(card))


class CardlessCascade(NamedTuple):
    """A card cascaded then moved away (``cascaded_then_card_away``)."""

    card: Path  # its path, gone (moved ``away``)
    folders: list[Path]  # fast1, fast2, then the slow destinations
    command: list[str]  # the first run's arguments (the card, the fast, --cascade-to each slow)

    @property
    def fast1(self) -> Path:
        """The copy root of the card in fast1, the re-run's source."""
        return self.folders[0] / "C003"


def cascaded_then_card_away(
    tmp_path: Path, cards: Path, slow: int = 1, *, damage: bool = True, drop_slow: bool = True
) -> CardlessCascade:
    """A 3-clip card ``C003`` cascaded by the CLI (in this process, reports in
    ``tmp_path/reports``) to fast1 and fast2 (the card feeds them) and *slow* slow
    destinations (``cascade_then_card_away``); then the ``VICTIM``'s last slow copy deleted
    (unless not to *drop_slow*) and fast1's copy of it damaged (size and date kept) unless
    not to *damage*."""
    card = clips_card(cards, 3, 300_000, card="C003", clip="C003C{:03d}.mov")
    folders = [tmp_path / name for name in ("fast1", "fast2", "slowA", "slowB")[: 2 + slow]]
    cascade_then_card_away(tmp_path, card, folders[:2], folders[2:])
    if drop_slow:
        (folders[-1] / "C003" / VICTIM).unlink()
    if damage:
        corrupt_keeping_size_and_mtime(folders[0] / "C003" / VICTIM)
    command = [str(card), *map(str, folders[:2])]
    for folder in folders[2:]:
        command += ["--cascade-to", str(folder)]
    return CardlessCascade(card, folders, command)


def victim_unreadable(faulty_fs: Callable[..., FaultyFS], folder: Path) -> FaultyFS:
    """*folder* (a fast destination of ``cascaded_then_card_away``) seen through a FaultyFS
    mount (the ``faulty_fs`` fixture) whose reads of the ``VICTIM`` fail EIO, its bytes
    good: give its ``mountpoint`` in the folder's place."""
    drive = faulty_fs(backing=folder)
    drive.fail("read", path=f"*{Path(VICTIM).name}")
    return drive
