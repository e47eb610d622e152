"""A failing fast drive's copies fail with mixed kinds (``results.FastCopyFailure``): its
drive gone for some, another fast copy removed beside them. None of them was found bad, so
the cascade's sentence never gives ``--overwrite``: reconnect that drive and run the same
command again with the card, which reads those copies back.

Real parts: the real CLI as a child process, a FaultyFS fast drive whose daemon is killed
(SIGKILL: the call in flight fails, every later one ENOTCONN), a plain fast folder whose
copy is unlinked, a real slow folder."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from support.cards import three_clip_card
from support.faultyfs import FaultyFS
from support.offload_cli import copy_acting_at_release, newest_html_words

pytestmark = pytest.mark.fault


def test_a_drive_gone_beside_a_copy_removed_never_gets_overwrite(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``--cascade-to SLOW CARD FUSE EXT4``: at CARD RELEASED, EXT4's copy of a clip is
    unlinked and FUSE's daemon killed while the cascade's open of FUSE's first clip is held
    (the fault made before the cascade reads it, however late this process reads the line).
    The JSON's kinds: FUSE's drive gone, EXT4's copy removed. Failed before (revfix1_66,
    M2): the terminal's and the HTML's sentence "keep the card, and re-run with it and
    --overwrite to replace that copy", for copies nothing found bad."""
    card = three_clip_card(cards)
    fuse = faulty_fs()
    ext4, slow, reports = tmp_path / "EXT4", tmp_path / "SLOW", tmp_path / "reports"
    ext4.mkdir()
    slow.mkdir()
    clips = f"{card.name}/CLIPS"
    # The card's pass reads its copies back under their partial names, never this one: the
    # open held is the cascade's.
    fuse.stall("open", path=f"{clips}/A001C001.mov")  # ends with the daemon

    def at_release(process: subprocess.Popen[str]) -> None:
        os.unlink(ext4 / clips / "A001C002.mov")
        fuse.kill()

    line, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--cascade-to", str(slow), str(card),
        str(fuse.mountpoint), str(ext4), at_release=at_release,
    )  # fmt: skip
    said = " ".join(rest.split())
    assert line and code == 1, line + said
    newest = max(reports.glob("*.json"))
    data = json.loads(newest.read_text())
    kinds = sorted(
        copy["fast_failure"]
        for entry in data["files"]
        for copy in entry["destinations"]
        if copy["status"] == "failed" and copy.get("fast_failure")
    )
    assert "drive_gone" in kinds and "removed" in kinds, kinds
    assert set(kinds) <= {"drive_gone", "removed", "unreadable"}, kinds
    html = newest_html_words(reports)
    remedy = (
        "keep the card, reconnect that drive, check it (offload verify), and run the same "
        "command again with it, which reads those copies back"
    )
    for words in (said, html):
        assert "--overwrite to replace" not in words, words
        assert remedy in words, words
