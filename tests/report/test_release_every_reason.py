""" "Do not format the card" gives every reason that holds when destinations were lost (QA,
forty-first pass): real runs of the real CLI onto a folder of this machine's disk and real
FUSE drives (FaultyFS) lost mid-run, read on the terminal, in the JSON and in the HTML.

Failed before: the sentence said "destination 2 was lost." and stopped there: a third
destination lost, a copy failed on destination 1 (a clip re-recorded on the card under the
same name, refused there) and destination 1 on the card's own disk went unsaid, so a
producer read destination 1 as complete."""

from __future__ import annotations

import errno
import html
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from support.cards import clips_card
from support.faultyfs import FaultyFS
from support.offload_cli import run_offload

pytestmark = [pytest.mark.fault, pytest.mark.timeout(240)]


def _said(reports: Path, stderr: str) -> tuple[str, str, str]:
    """The card release's sentence on the terminal (its line, joined), in the JSON and on the
    HTML's page (tags out, whitespace folded)."""
    (data_path,) = reports.glob("*.json")
    data = json.loads(data_path.read_text(encoding="utf-8"))
    page = html.unescape(re.sub(r"<[^>]+>", " ", data_path.with_suffix(".html").read_text()))
    terminal = " ".join(stderr.split())
    return tuple(  # type: ignore[return-value]
        _sentence(said) for said in (terminal, data["card_release"]["text"], " ".join(page.split()))
    )


def _sentence(said: str) -> str:
    """The card release's sentence in *said* (up to its closing period)."""
    found = re.search(r"Do not format the card: .*?\.(?= [A-Z]|$)", said)
    assert found, said
    return found.group()


def test_every_lost_destination_and_the_first_ones_disk_are_said(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Destinations 2 and 3 lost (a rename answered EIO on each), destination 1 a folder
    on the card's own disk: all three said."""
    card = clips_card(tmp_path, 6, 30_000)
    first = tmp_path / "D1"
    first.mkdir()
    second, third = faulty_fs(), faulty_fs()
    losses = [fs.fail("rename", errno.EIO, path="*C002.mov", nth=1) for fs in (second, third)]
    reports = tmp_path / "reports"
    done = run_offload(
        "copy", "--report-dir", reports, card, first, second.mountpoint, third.mountpoint
    )
    assert done.returncode == 1, done.stderr
    assert [fs.fired(rule) for fs, rule in zip((second, third), losses, strict=True)] == [1, 1]
    for said in _said(reports, done.stderr):
        assert "Do not format the card: destinations 2 and 3 were lost; " in said, said
        assert "destination 1 is on the card's own disk" in said, said
        assert "destination 2 was lost" not in said, said


def test_a_copy_failed_on_a_destination_not_lost_is_said_beside_the_loss(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The card offloaded to destination 1, one clip then re-recorded under its name; the
    second offload, to destination 1 and a drive lost mid-run: the clip refused on
    destination 1 is said after the loss, and no copy of the lost drive is."""
    card = clips_card(tmp_path, 6, 30_000)
    first = tmp_path / "D1"
    first.mkdir()
    done = run_offload("copy", "-q", "--report-dir", tmp_path / "first-reports", card, first)
    assert done.returncode == 0, done.stderr
    (card / "CLIPS" / "C003.mov").write_bytes(os.urandom(30_000))  # re-recorded
    second = faulty_fs()
    loss = second.fail("rename", errno.EIO, path="*C001.mov", nth=1)
    reports = tmp_path / "reports"
    done = run_offload("copy", "--report-dir", reports, card, first, second.mountpoint)
    assert done.returncode == 1, done.stderr
    assert second.fired(loss) == 1
    for said in _said(reports, done.stderr):
        assert (
            "Do not format the card: destination 2 was lost; a copy failed: CLIPS/C003.mov"
        ) in said, said
        assert "copies failed" not in said, said  # the lost drive's are its loss
