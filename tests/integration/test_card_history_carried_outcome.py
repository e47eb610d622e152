"""Where the card's own ASC MHL history was carried is the outcome's to say, not the plan's.

A card that carries its own ``ascmhl/`` history (a real copy root written by ``offload
copy``) offloaded to two destinations, one of them a FaultyFS (tests/support/faultyfs.py)
that fails every write of the card's clips (the destination lost, EIO; or each copy failed,
the destination kept, EFBIG: nothing verified there), or refuses its ``ascmhl/`` folder
(EACCES: every copy verified, the manifest step failed). No manifest there carries the
card's history (``card`` writes none on a lost destination; ``manifests_writer`` returns
before carrying it where nothing is verified, and fails where the folder is refused). The
terminal's summary said, from the plan, that the history's manifests "are carried into the
destinations' ASC MHL histories" all the same."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import card_with_history, run_offload

pytestmark = pytest.mark.fault


run = partial(run_offload, columns=400, timeout_s=120)
OFFLOAD = str(Path(sys.executable).with_name("offload"))


@pytest.mark.parametrize(
    ("op", "err", "path", "why"),
    [
        # the destination lost: card._finish_destinations writes no manifest there
        ("write", errno.EIO, "*.mov", "lost"),
        # every copy failed, the destination not lost: its manifests record nothing
        ("write", errno.EFBIG, "*.mov", "nothing of the card verified there"),
        # every copy verified, its history folder refused: the manifest step failed there
        ("mkdir", errno.EACCES, "*/ascmhl", "its manifests not written"),
    ],
)
def test_a_destination_that_took_no_history_is_not_said_to_carry_it(
    tmp_path: Path, faulty_fs: Callable[..., Any], op: str, err: int, path: str, why: str
) -> None:
    """Failed before, each case: "its manifests are carried into the destinations' ASC MHL
    histories and continued there" beside a destination with no ascmhl/; the report's
    ignored entry said "carried and continued" (now words of intent)."""
    card = card_with_history(tmp_path, {"C001.mov": 30_000, "C002.mov": 20_000}, ours=False)
    good = tmp_path / "good"
    good.mkdir()
    fs = faulty_fs()
    rule = fs.fail(op, err, path=path)
    reports = tmp_path / "reports"
    done = run("copy", "--report-dir", reports, card, good, fs.mountpoint, cwd=tmp_path)
    assert fs.fired(rule) >= 1
    assert done.returncode != 0, done.stderr
    assert (good / "A001" / "ascmhl" / "ascmhl_chain.xml").is_file()
    assert not (fs.mountpoint / "A001" / "ascmhl").exists()  # nothing carried there
    output = done.stdout + done.stderr
    [line] = [x for x in output.splitlines() if x.startswith("Ignored (not copied)")]
    assert "carried into the destinations'" not in line, line
    assert f"carried into the ASC MHL history on {good} and continued there" in line, line
    assert f"not into {fs.mountpoint} ({why})" in line, line
    report = json.loads(next(reports.glob("*.json")).read_text())
    [reason] = [r["reason"] for r in report["ignored"] if r["path"] == "ascmhl"]
    assert reason == "/ascmhl/: the card's ASC MHL history, to be carried and continued", reason


def test_a_destination_whose_own_history_does_not_take_the_cards_is_not_said_to_carry_it(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The card's history went on (``ascmhl create`` on the card) after a first offload
    carried it to the destination, whose history has a generation of its own since: the
    re-run carries none of the card's new generations there (warning
    ``card-history-not-carried``), every copy verified and the manifests written. Failed
    before: the summary, inferring from those two, said the card's manifests "are carried
    into the destinations' ASC MHL histories"; it now reads the manifest result's
    ``carried`` flag."""
    card = tmp_path / "R1"
    (card / "C").mkdir(parents=True)
    (card / "C" / "a.mov").write_bytes(os.urandom(2_000))
    assert judge.run("ascmhl", "create", "-h", "xxh64", card).returncode == 0
    raid = tmp_path / "D"
    raid.mkdir()
    first = run("copy", "--report-dir", tmp_path / "r1", card, raid, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (card / "C" / "b.mov").write_bytes(os.urandom(2_000))
    assert judge.run("ascmhl", "create", "-h", "xxh64", card).returncode == 0
    done = run("copy", "--report-dir", tmp_path / "r2", card, raid, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "is not carried on to" in " ".join(output.split()), output
    [line] = [x for x in output.splitlines() if x.startswith("Ignored (not copied)")]
    assert "carried into the destinations'" not in line, line
    assert (
        f"carried into no destination's history: {raid} (its own history there does not "
        "take the card's generations)" in line
    ), line


def test_nothing_verified_takes_no_history_though_a_card_folder_is_named_like_our_state(
    tmp_path: Path, faulty_fs: Callable[..., Any]
) -> None:
    """A card folder named like our state (``SUB/.offload``), every clip refused on one
    destination (EFBIG): nothing of the card is verified there, so no manifest is written
    and the card's history is not carried there, as for a card without such a folder.
    Before, the folder made the manifest step carry the card's history there and write a
    generation after it that recorded no file (ignore patterns alone, process
    ``transfer``)."""
    card = card_with_history(tmp_path, {"C001.mov": 30_000, "C002.mov": 20_000})
    (card / "SUB" / ".offload").mkdir(parents=True)  # a card folder named like our state
    good = tmp_path / "good"
    good.mkdir()
    fs = faulty_fs()
    rule = fs.fail("write", errno.EFBIG, path="*.mov")
    reports = tmp_path / "reports"
    done = run("copy", "--report-dir", reports, card, good, fs.mountpoint, cwd=tmp_path)
    assert fs.fired(rule) >= 1
    assert done.returncode != 0, done.stderr
    assert not (fs.mountpoint / "A001" / "ascmhl").exists()  # nothing carried, none written
    assert (good / "A001" / "ascmhl" / "ascmhl_chain.xml").is_file()
    output = done.stdout + done.stderr
    [line] = [x for x in output.splitlines() if x.startswith("Ignored (not copied)")]
    assert f"carried into the ASC MHL history on {good} and continued there" in line, line
    assert f"not into {fs.mountpoint} (nothing of the card verified there)" in line, line


def test_a_cancelled_run_says_it_was_cancelled_before_its_manifests(
    tmp_path: Path, faulty_fs: Callable[..., Any]
) -> None:
    """A real Ctrl-C once both clips are verified (under their names) on a plain
    destination, C002's copy to a second one (FaultyFS) held: a cancel skips the manifest
    step, so the card's history is carried nowhere, the first destination's words "(the
    run was cancelled before its manifests)". Failed before: "(its manifests not
    written)", as of a manifest step that failed there."""
    card = card_with_history(tmp_path, {"C001.mov": 2_000, "C002.mov": 300_000})
    good = tmp_path / "good"
    good.mkdir()
    fs = faulty_fs()
    held = fs.stall("write", path="*C002.mov*")
    argv = [OFFLOAD, "copy", "--report-dir", str(tmp_path / "reports"), str(card)]
    process = subprocess.Popen(
        [*argv, str(good), str(fs.mountpoint)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        fs.wait_stalled(held, timeout_s=60)
        verified = [good / "A001" / "CLIPS" / name for name in ("C001.mov", "C002.mov")]
        deadline = time.monotonic() + 60
        while not all(path.exists() for path in verified) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)
    finally:
        fs.release()
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    said = " ".join((out + err).split())
    assert f"carried into no destination's history: {good} (the run was cancelled " in said, said
    assert "manifests not written" not in said, said
