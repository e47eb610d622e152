"""The same card mounted under another folder name (macOS mounts a re-plugged card as
``RED_A001 1``): its offload already stands beside the copy root the run names, and the run
would copy it again in full. A real exFAT card (its volume serial the identity) mounted,
then bind-mounted at a second name: the preflight warns (``card-offloaded-beside``),
naming the folder and the ``--into`` way to resume it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support import mounts
from support.offload_cli import newest_report, offload_streams

WORDS = "already holds this card's offload"


def test_the_card_under_another_name_is_told_its_offload_stands_beside(
    tmp_path: Path, exfat_loop: Any, bind_mount: Callable[[Path, Path], mounts.Mount]
) -> None:
    """Failed before: a second full copy into ``D/red 1``, exit 0, no word."""
    card = Path(exfat_loop(label="RED_A001", serial=0x7B55FACA, path=tmp_path / "red").path)
    (card / "CLIPS").mkdir()
    (card / "CLIPS" / "A001C001.R3D").write_bytes(os.urandom(50_000))
    dest, reports = tmp_path / "D", tmp_path / "reports"
    dest.mkdir()
    code, out, err = offload_streams("copy", "-q", "--report-dir", reports, card, dest)
    assert code == 0, out + err
    assert WORDS not in out + err  # the first offload: nothing beside it
    again = tmp_path / "red 1"
    again.mkdir()
    bind_mount(card, again)
    code, out, err = offload_streams("copy", "--dry-run", again, dest)
    assert code == 0, out + err
    warned = [line for line in (out + err).splitlines() if WORDS in line]
    assert warned == [
        f'WARNING: {dest / "red"} {WORDS} ("RED_A001", volume 7B55-FACA): this run copies '
        f"the card again, in full, into {dest / 'red 1'}; to resume it instead: offload copy "
        f"--into '{again}' {dest / 'red'} (with the command's other options)"
    ]
    # The offload says it too and its report keeps it (the copy runs as asked).
    code, out, err = offload_streams("copy", "--report-dir", reports, again, dest)
    assert code == 0, out + err
    assert f"WARNING: {dest / 'red'} {WORDS}" in err
    codes = [w["code"] for w in newest_report(reports)["warnings"]]
    assert "card-offloaded-beside" in codes
    # Its re-run under that name resumes its own copy root: nothing named beside it any
    # more? The folder it made holds this card's offload now: still the first by name
    # beside it, but its own root holds the card's ledger: no warning.
    code, out, err = offload_streams("copy", "--dry-run", again, dest)
    assert code == 0, out + err
    assert WORDS not in out + err
    # The card re-run under its own name: its own root is its offload, no warning either.
    code, out, err = offload_streams("copy", "--dry-run", card, dest)
    assert code == 0, out + err
    assert WORDS not in out + err


def test_another_card_beside_is_not_named(tmp_path: Path, exfat_loop: Any) -> None:
    """A folder beside holding another card's offload (another serial) is not named."""
    first = Path(exfat_loop(label="A", serial=0x11112222, path=tmp_path / "a").path)
    second = Path(exfat_loop(label="B", serial=0x33334444, path=tmp_path / "b").path)
    for card in (first, second):
        (card / "clip.mov").write_bytes(os.urandom(20_000))
    dest = tmp_path / "D"
    dest.mkdir()
    code, out, err = offload_streams("copy", "-q", "--report-dir", tmp_path / "r", first, dest)
    assert code == 0, out + err
    code, out, err = offload_streams("copy", "--dry-run", second, dest)
    assert code == 0, out + err
    assert WORDS not in out + err
