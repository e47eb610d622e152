"""``offload history`` of an offload that lost a destination: the reports' words for it.

The terminal's summary says a destination lost with none of its copies failed "BUT <root> WAS
LOST" after the copies' words, and a lost destination's row ``LOST``; the HTML/PDF list it as
a ``LOST`` problem. History said "partly failed" of both, a run none of whose copies failed
among them (QA pass 68's reading, checked: a re-run whose every copy the ledger vouched for,
its destination lost after the plan, said "All 23 files ... verified on every destination ...
BUT ... WAS LOST" on the terminal and "partly failed" in history). Real faults: FaultyFS
answering ENOTCONN (a drive gone) or EIO on the destination, real ``offload`` processes.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.cards import sized_card
from support.faultyfs import FaultyFS

OFFLOAD = str(Path(sys.executable).with_name("offload"))
CARD = {"CLIPS/C1.mov": 300_000, **{f"DCIM/IMG_{n:04}.JPG": 20_000 for n in range(5)}}

pytestmark = pytest.mark.fault


def _offload(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OFFLOAD, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "250"},
    )


def _results(reports: Path) -> list[str]:
    shown = _offload("history", "--json", "--report-dir", reports)
    assert shown.returncode == 0, shown.stderr
    return [str(e["result"]) for e in json.loads(shown.stdout) if e["kind"] == "offload"]


def test_a_destination_lost_with_every_copy_good_is_said_lost_never_partly_failed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A re-run whose every copy the ledgers vouch for, one destination gone (ENOTCONN) once
    the plan is made, as its run record is written: exit 1, the terminal "BUT ... WAS LOST",
    the HTML a LOST problem; history says the copies' words, "but 1 destination LOST".
    Failed before: "partly failed" (no copy failed)."""
    card = sized_card(tmp_path / "card", CARD)
    fs = faulty_fs()
    other = tmp_path / "other"
    other.mkdir()
    reports = tmp_path / "reports"
    first = _offload("copy", "--quiet", "--report-dir", reports, card, fs.mountpoint, other)
    assert first.returncode == 0, first.stderr
    fs.fail("create", errno.ENOTCONN, path=f"{card.name}/.offload/.last-run.json*")
    again = _offload("copy", "--report-dir", reports, card, fs.mountpoint, other)
    fs.clear()
    said = " ".join((again.stdout + again.stderr).split())
    assert again.returncode == 1, said
    assert f"BUT {fs.mountpoint} WAS LOST" in said, said
    html = max(reports.glob("*.html"), key=os.path.getmtime)
    assert "LOST" in html.read_text(), html
    newest, *_ = _results(reports)
    assert newest.startswith("verified earlier"), newest
    assert newest.endswith(", but 1 destination LOST"), newest
    assert "partly failed" not in newest, newest


def test_a_destination_lost_with_copies_failed_is_said_lost_beside_partly_failed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A destination lost to EIO mid-run (every write of a clip's partial refused), its
    copies failed there, another destination verified (exit 1; the terminal's row LOST):
    history "partly failed, 1 destination LOST". Failed before: "partly failed" alone."""
    card = sized_card(tmp_path / "card", CARD)
    fs = faulty_fs()
    fs.fail("write", errno.EIO, path=f"{card.name}/*.offload-partial*")
    other = tmp_path / "other"
    other.mkdir()
    reports = tmp_path / "reports"
    run = _offload("copy", "--quiet", "--report-dir", reports, card, fs.mountpoint, other)
    fs.clear()
    said = " ".join((run.stdout + run.stderr).split())
    assert run.returncode == 1, said
    assert "LOST" in said, said
    assert _results(reports) == ["partly failed, 1 destination LOST"]


def test_a_cancelled_run_that_lost_a_destination_is_said_cancelled_and_lost(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A destination lost to EIO at its first clip, then the run cancelled (SIGINT, a real
    ``offload`` process) while the other destination's write of the last file is held:
    exit 130, ``cancelled`` true, the first destination ``lost``; history "cancelled, 1
    destination LOST", as the terminal's LOST row and the HTML/PDF's LOST problem say it.
    Failed before (review of history69, LOW 1): "cancelled" alone."""
    card = sized_card(tmp_path / "card", CARD)
    lost = faulty_fs()
    lost.fail("write", errno.EIO, path=f"{card.name}/*.offload-partial*")
    held = faulty_fs()
    rule = held.stall("write", path=f"{card.name}/DCIM/*IMG_0004*")
    reports = tmp_path / "reports"
    dests = [lost.mountpoint, held.mountpoint]
    process = subprocess.Popen(
        [OFFLOAD, "copy", "--quiet", "--report-dir", reports, card, *dests],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        held.wait_stalled_while_working(rule, process)
    finally:
        process.send_signal(signal.SIGINT)
        held.release(rule)
        held.clear()
        lost.clear()
        process.wait(timeout=60)
    assert process.returncode == 130
    data = json.loads(max(reports.glob("*.json"), key=os.path.getmtime).read_text())
    assert data["cancelled"] is True, data
    assert [d["lost"] for d in data["destinations"]] == [True, False], data["destinations"]
    assert _results(reports) == ["cancelled, 1 destination LOST"]
