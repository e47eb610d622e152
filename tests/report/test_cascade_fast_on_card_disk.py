"""A cascade whose only local fast copy is on the card's own filesystem (QA): the card's pass
printed "CARD RELEASED ... can be ejected", then the run's last words said "Do not format
the card". A copy on the card's own filesystem or disk dies with the card: it releases
nothing, mid-run as at the end, and the preflight says so before the copy. One answer on
the terminal, in the JSON (``cascade``, ``card_release``, the ``card_released`` event) and
in the HTML and PDF.

Real parts: the card folder and the fast destination on one ext4 loop filesystem (or one
tmpfs), the other destinations on other filesystems, the real CLI as a child process."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offload.cli.live import _eta_words
from offload.events import OffloadPlanned
from offload.progress import ProgressModel
from offload.report.cascade_words import CascadeFacts, cascade_sentence
from report.helpers import pdf_text
from support.mounts import Ext4Loop
from support.offload_cli import run_offload

pytestmark = pytest.mark.fault


def _clips(card: Path) -> None:
    card.mkdir()
    for index in range(3):
        (card / f"a{index}.mov").write_bytes(os.urandom(200_000 + index))


def _copy(
    reports: Path, poppler: dict[str, str], *args: str | Path
) -> tuple[str, list[dict[str, Any]], dict[str, Any], str]:
    """``offload copy --json *args``: its stderr and its event lines, the job report it wrote
    in *reports* and the HTML's and PDF's text (whitespace folded)."""
    done = run_offload("copy", "--json", "--report-dir", reports, *args)
    (written,) = reports.glob("*.json")
    page = re.sub(r"<[^>]+>", " ", written.with_suffix(".html").read_text())
    documents = html.unescape(page) + " " + pdf_text(poppler, written.with_suffix(".pdf"))
    events = [json.loads(line) for line in done.stdout.splitlines()]
    return (
        " ".join(done.stderr.split()),
        events,
        json.loads(written.read_text()),
        " ".join(documents.split()),
    )


def test_the_only_fast_copy_on_the_cards_own_filesystem_releases_nothing(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop], poppler: dict[str, str]
) -> None:
    drive = ext4_loop(32 << 20).path
    card, fast = drive / "C7", drive / "fast"
    _clips(card)
    fast.mkdir()
    slow = tmp_path / "slow"
    slow.mkdir()
    reports = tmp_path / "reports"
    # The dry run forecasts no release either.
    dry = run_offload("copy", "--dry-run", "--cascade-to", slow, card, fast, slow)
    planned = " ".join(dry.stderr.split())
    assert dry.returncode == 0, planned
    assert "CARD RELEASED" not in planned and "the card is released" not in planned, planned
    assert (
        "the card's pass ends once those are verified, but that copy is on the card's own "
        "filesystem or disk, no backup of it, so the card is not released"
    ) in planned, planned
    done = run_offload("copy", "--report-dir", reports, "--cascade-to", slow, card, fast, slow)
    said = " ".join((done.stderr + done.stdout).split())
    # Before: "CARD RELEASED: ... can be ejected", then "Do not format the card".
    assert "CARD RELEASED" not in said, said
    assert "can be ejected" not in said, said
    line = said.split("CARD PASS DONE")[1]
    assert line.startswith(
        f": {card} is no longer read; all 3 files are verified on {fast}, but the copy there is "
        "on the card's own filesystem or disk, no backup of it (keep the card"
    ), line
    warning = (
        f"WARNING: destination {fast} is on the same filesystem as the source: it is not a "
        "backup of the card (this cascade will not release the card on its copy"
    )
    assert warning in said.split("CARD PASS DONE")[0], said
    data = json.loads(next(reports.glob("C7_*.json")).read_text())
    cascade = data["cascade"]
    assert cascade["card_released_at"] is None, cascade
    assert cascade["fast_copies_on_card_disk"] == [0], cascade
    assert not data["card_release"]["may_format"], data["card_release"]
    assert "the card NOT released" in said, said
    assert f"{fast} is on the card's own filesystem or disk, no backup of it" in said, said
    # No record of the card's pass there: a re-run without the card is not fed from it.
    assert not (fast / "C7" / ".offload" / "cascade-card.json").exists()

    # The same run again with --json: the event, and the HTML/PDF's sentence.
    reports2 = tmp_path / "reports2"
    _, events, data2, documents = _copy(reports2, poppler, "--cascade-to", slow, card, fast, slow)
    (planned,) = [e for e in events if e["event"] == "offload_planned"]
    assert planned["card_kept"] is True, planned  # the live view's ETA: no release
    (event,) = [e for e in events if e["event"] == "card_released"]
    assert not event["without_card"], event
    assert event["on_card_disk"] == [str(fast)], event
    assert data2["cascade"]["fast_copies_on_card_disk"] == [0], data2["cascade"]
    assert "the card NOT released" in documents, documents
    assert "destination 1 is on the card's own filesystem or disk, no backup of it" in documents
    assert "released at" not in documents, documents
    assert "Do not format the card" in documents, documents


def test_a_fast_copy_beside_the_card_is_named_when_another_releases_it(
    tmp_path: Path,
    memory_card: Path,
    disk_folder: Path,
    poppler: dict[str, str],
) -> None:
    """The card and one fast destination on one tmpfs, another fast destination on a disk:
    the card is released on the disk's copy alone, and the line says the copy beside the
    card is no backup."""
    card, beside = memory_card / "C8", memory_card / "beside"
    _clips(card)
    beside.mkdir()
    fast, slow = disk_folder / "fast", disk_folder / "slow"
    fast.mkdir()
    slow.mkdir()
    reports = tmp_path / "reports"
    done = run_offload(
        "copy", "--report-dir", reports, "--cascade-to", slow, card, beside, fast, slow
    )
    said = " ".join((done.stderr + done.stdout).split())
    assert done.returncode == 0, said
    line = said.split("CARD RELEASED")[1]
    assert line.startswith(f": {card} can be ejected: all 3 files are verified on {beside}, "), line
    assert (
        f"not from the media); the copy on {beside} is on the card's own filesystem or disk, no "
        "backup of it. Now feeding"
    ) in line, line
    data = json.loads(next(reports.glob("C8_*.json")).read_text())
    assert data["cascade"]["fast_copies_on_card_disk"] == [0], data["cascade"]
    assert data["cascade"]["card_released_at"], data["cascade"]
    assert data["card_release"]["may_format"], data["card_release"]
    assert (fast / "C8" / ".offload" / "cascade-card.json").exists()
    assert not (beside / "C8" / ".offload" / "cascade-card.json").exists()


def test_the_live_view_never_forecasts_a_release_that_cannot_come() -> None:
    """``offload_planned`` ``card_kept`` (every local fast destination on the card's own
    disk): the card's pass's ETA is worded as its end, not as "card released in"."""
    for kept, words in (
        (False, "card released in 00:05"),
        (True, "card's pass done in 00:05 (not released"),
    ):
        model = ProgressModel()
        model.emit(OffloadPlanned(1, ("fast", "slow"), 10, (10, 10), (1, 1), (1,), kept))
        snap = dataclasses.replace(model.snapshot(), card_eta_s=5.0)
        assert snap.card_kept is kept
        said = _eta_words(snap)
        assert said.startswith(words), said
        assert ("not released" in said) is kept, said
        # A whole phrase, never one ending mid-sentence ("…, then the cascade": QA).
        assert said.endswith("then the cascade (its ETA once it starts)"), said


def test_the_cascades_sentence_names_the_copies_on_the_cards_disk() -> None:
    """Not released: the fast copies on the card's own disk are named, and, when another
    fast copy was not read back whole either, that reason follows ("no other copy")."""
    base = CascadeFacts(
        slow="destination 3",
        slow_count=1,
        pass_ended_at="12:00",
        released=False,
        card_pass_failed=0,
        cancelled=False,
        fed=True,
        slow_failed=False,
    )
    some = cascade_sentence(base._replace(on_card_disk="destination 1", on_card_count=1))
    assert (
        "but destination 1 is on the card's own filesystem or disk, no backup of it, and no "
        "other copy there is recorded read back whole from its media"
    ) in some, some
    every = cascade_sentence(
        base._replace(on_card_disk="destinations 1, 2", on_card_count=2, only_on_card_disk=True)
    )
    assert (
        "but destinations 1, 2 are on the card's own filesystem or disk, no backup of it, so a "
        "re-run needs the card; destination 3 was then fed"
    ) in every, every
    assert "read back whole" not in every, every


def test_the_release_after_the_cascade_says_the_copy_beside_the_card_is_no_backup() -> None:
    """The second ``CARD RELEASED`` line (after the cascade read the copies an earlier run
    verified) lists a fast copy on the card's own disk among the copies: it says that one is
    no backup, as the plain release line does. Failed before: named with the others, nothing
    said of it."""
    from offload.cli.offload import card_released_line
    from offload.events import CardReleased

    line = card_released_line(
        CardReleased(
            "/card",
            ("/mnt/beside", "/mnt/raid"),
            ("/mnt/slow",),
            3,
            0,
            True,
            files_verified_earlier=3,
            after_cascade=True,
            reread=("/mnt/raid",),
            on_card_disk=("/mnt/beside",),
        )
    )
    assert line.startswith("CARD RELEASED: /card can be ejected"), line
    assert (
        "; the copy on /mnt/beside is on the card's own filesystem or disk, no backup of it."
    ) in line, line


def test_the_warning_of_a_fast_copy_beside_the_card_never_says_verified(
    tmp_path: Path, memory_card: Path, disk_folder: Path, poppler: dict[str, str]
) -> None:
    """The preflight's warning of a cascade's fast destination on the card's filesystem says
    what to do as the plain warning does: keep the card "until a copy on another disk is
    read back". Before, its cascade variant said "is verified", in a ``--verify transfer``
    run, whose copies are transfer-checked only, too. The one message on the terminal, in the
    ``--json`` events, the job report's ``warnings`` and the HTML and PDF."""
    card, beside, slow_beside = (memory_card / name for name in ("C9", "beside", "sbeside"))
    _clips(card)
    fast, slow = disk_folder / "fast", disk_folder / "slow"
    for folder in (beside, slow_beside, fast, slow):
        folder.mkdir()
    wanted = (
        f"destinations {beside} and {slow_beside} are on the same filesystem as the source: "
        "they are not backups of the card (this cascade will not release the card on the copy "
        f"on {beside}: keep the card until a copy on another disk is read back)"
    )
    args = ("--verify", "transfer", "--cascade-to", str(slow_beside), "--cascade-to", str(slow))
    dests = (card, beside, fast, slow_beside, slow)
    done = run_offload("copy", "--report-dir", tmp_path / "reports", *args, *dests)
    said = " ".join((done.stderr + done.stdout).split())
    assert f"WARNING: {wanted}" in said, said
    _, events, data, documents = _copy(tmp_path / "reports2", poppler, *args, *dests)
    messages = [
        e["message"]
        for e in events
        if e["event"] == "warning_issued" and e["code"] == "dest-on-source-device"
    ]
    assert messages == [wanted], events
    (reported,) = [w for w in data["warnings"] if w["code"] == "dest-on-source-device"]
    assert reported["message"] == wanted, reported
    assert wanted in documents, documents
    for where in (said, json.dumps(events), json.dumps(data), documents):
        assert "on another disk is verified" not in where, where
