"""A cascade's fast and slow destinations get generations written in the same second: the
two are then byte for byte the same file (same name, same files, same hashes and dates).
A re-run without the card reads the fast copy's history as the one carried on, and must not
take the slow destination's own generation for a carried one. Real files, the real CLI."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.manifest.history import read_history


def _cli(tmp: Path, *args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["copy", "--report-dir", str(tmp / "reports"), *args],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    return code, err.getvalue()


def test_a_slow_generation_identical_to_the_fast_ones_is_not_called_carried(
    tmp_path: Path,
    cards: Path,
) -> None:
    """Failed before (4 runs in 5 through the console script, whenever both generations
    fell in one second): "the ASC MHL history on <slow> holds the fast copy's own
    generations only ... an earlier run stopped before writing its manifests", after a
    complete first run, and a second generation written there for nothing."""
    card = cards / "A003R1"
    (card / "CLIPS").mkdir(parents=True)
    for index in range(4):
        (card / "CLIPS" / f"c{index}.mov").write_bytes(os.urandom(50_000 + index))
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    fast.mkdir()
    slow.mkdir()
    args = (str(card), str(fast), "--cascade-to", str(slow))
    code, err = _cli(tmp_path, *args)
    assert code == 0, err
    # The state a first run leaves when both generations are made in the same second (the
    # common case on a small card): the slow destination's history is byte for byte the
    # fast copy's. Made so here, so that the test does not hang on the clock.
    shutil.rmtree(slow / card.name / "ascmhl")
    shutil.copytree(fast / card.name / "ascmhl", slow / card.name / "ascmhl")
    card.rename(card.with_name("gone"))
    code, err = _cli(tmp_path, *args)
    assert code == 0, err
    words = " ".join(err.split())
    assert "stopped before writing its manifests" not in words, words
    assert len(read_history(slow / card.name).generations) == 1  # nothing written for nothing
