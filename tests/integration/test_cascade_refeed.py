"""A cascade re-run without its card whose fast copy is found unlike the card's digests
(``cascade_refeed``): the copy is revoked as its read fails (a cancel or a kill after that
read leaves no ledger vouching for it), the file fed again keeps its other destinations'
results, and only a fast copy whose ledger vouches for the file is read in its place or
written to. Real files, the real CLI or ``offload`` in this process, a real SIGKILL."""

from __future__ import annotations

import errno
import html
import io
import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offload.card import OffloadOptions, offload
from offload.cascade import CARD_PASS_RECORD
from offload.cli.common import Environment
from offload.cli.offload import main
from offload.engine.cancel import CancelToken
from offload.events import Event, FileFailed, WarningIssued
from offload.ledger import STATE_FOLDER, Ledger
from support.cardless_cascade import (
    VICTIM,
    away,
    cascaded_then_card_away,
    victim_unreadable,
)
from support.cards import corrupt_keeping_size_and_mtime
from support.event_log import EventLog
from support.faultyfs import FaultyFS
from support.offload_cli import copy_with_reports_in, newest_report, run_script


def _cascaded(
    tmp_path: Path, cards: Path, slow: int = 1, *, damage: bool = True, drop_slow: bool = True
) -> tuple[Path, list[Path], list[str]]:
    """``cascaded_then_card_away``: the card's path (gone), the destinations, the command."""
    run = cascaded_then_card_away(tmp_path, cards, slow, damage=damage, drop_slow=drop_slow)
    return run.card, run.folders, run.command


def _revoked_in(root: Path) -> bool:
    entry = Ledger(root).load().get(VICTIM)
    return entry is not None and entry.state == "revoked"


def _card_back_then_copy_to(tmp_path: Path, card: Path, fast1: Path) -> None:
    """The card back, ``offload copy CARD fast1``: the damaged copy is read back, never
    trusted on the ledger's word."""
    away(card).rename(card)
    code, said = copy_with_reports_in(tmp_path, str(card), str(fast1))
    assert "may be formatted" not in said, said
    assert code != 0, said


def test_a_cancel_once_the_damaged_copy_failed_leaves_it_revoked(
    tmp_path: Path, cards: Path
) -> None:
    """Failed before (review of fixcascade59): revoked only after the whole job, never for
    a cancelled one: fast1's ledger kept vouching for the damaged copy, its record of the
    card's pass stood, and the card's next run said it "may be formatted"."""
    card, (fast1, fast2, slow), _ = _cascaded(tmp_path, cards)
    cancel = CancelToken()

    class CancelAtTheFailure:
        def emit(self, event: Event) -> None:
            if isinstance(event, FileFailed) and event.destination_index < 0:
                cancel.cancel()

    options = OffloadOptions(cascade=frozenset({2}))
    report = offload(
        card, [fast1, fast2, slow], options=options, sink=CancelAtTheFailure(), cancel=cancel
    )
    assert report.exit_code == 130
    root = fast1 / "C003"
    assert _revoked_in(root)
    assert not (root / STATE_FOLDER / CARD_PASS_RECORD).exists()
    (line,) = [e for e in report.folder_errors if VICTIM in e]
    assert "its ledger no longer vouches for it" in line, line
    _card_back_then_copy_to(tmp_path, card, fast1)


_KILLED_AT_THE_FAILURE = """
import os, signal, sys
from pathlib import Path
from offload.card import OffloadOptions, offload
from offload.events import FileFailed

class KillAtTheFailure:
    def emit(self, event):
        if isinstance(event, FileFailed) and event.destination_index < 0:
            os.kill(os.getpid(), signal.SIGKILL)

card, *folders = map(Path, sys.argv[1:])
offload(card, folders, options=OffloadOptions(cascade=frozenset({2})), sink=KillAtTheFailure())
"""


def test_a_kill_once_the_damaged_copy_failed_leaves_it_revoked(tmp_path: Path, cards: Path) -> None:
    """A real SIGKILL of the run as the damaged read's failure is announced: the revocation
    is on the disk already. Failed before as the cancel above."""
    card, folders, _ = _cascaded(tmp_path, cards)
    killed = run_script(_KILLED_AT_THE_FAILURE, card, *folders)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _revoked_in(folders[0] / "C003")
    _card_back_then_copy_to(tmp_path, card, folders[0])


@pytest.mark.timeout(120)
def test_a_damaged_fast_copy_found_by_the_existing_copies_check_is_revoked(
    tmp_path: Path, cards: Path
) -> None:
    """``--reverify`` without the card, slow's copy intact: the existing copies' check reads
    the damaged fast1 unlike the card's digests; fast1 is revoked there (its record of the
    card's pass gone), slow's copy is verified against its own record (destination level),
    the failure the source's. Then the card back: the damaged copy is never trusted.
    Failed before: nothing revoked, slow's copy failed with the source's error, and the
    card then called formattable on fast1's word (exit 0)."""
    card, (fast1, _fast2, slow), _ = _cascaded(tmp_path, cards, drop_slow=False)
    code, said = copy_with_reports_in(
        tmp_path, "--reverify", str(card), str(fast1), "--cascade-to", str(slow)
    )
    assert code != 0, said
    assert _revoked_in(fast1 / "C003"), said
    assert not (fast1 / "C003" / STATE_FOLDER / CARD_PASS_RECORD).exists()
    (result,) = _row(newest_report(tmp_path / "reports"))["destinations"]
    assert result["status"] == "verified", result
    assert result["verified_mode"] == "destination", result
    _card_back_then_copy_to(tmp_path, card, fast1)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("slow_damaged", [False, True], ids=["slow-intact", "slow-damaged"])
def test_reverify_without_the_card_reads_the_next_fast_copy_in_the_damaged_ones_place(
    tmp_path: Path, cards: Path, slow_damaged: bool
) -> None:
    """``--reverify`` without the card, fast1 damaged, fast2 good: the existing copies'
    check revokes fast1 and reads fast2 in its place, as the copy job feeds from it; slow's
    copy is verified against that read, or, damaged too, written again from fast2 (the
    reports name fast2 as what fed it). fast1's line is said once (its ERROR; not again as
    a reason to keep the card), and the same command then runs from fast2, exit 0.
    Failed before (review of fixcascade59): fast2 was never read, the file failed ("re-run
    with the card"), a damaged slow copy was kept damaged ("check the card"); then its
    rewrite was announced "(only from the card's file as the ledger recorded it)"."""
    run = cascaded_then_card_away(tmp_path, cards, drop_slow=False)
    fast1, fast2, slow = (folder / "C003" for folder in run.folders)
    if slow_damaged:
        corrupt_keeping_size_and_mtime(slow / VICTIM, at=10)
    code, said = copy_with_reports_in(tmp_path, "--reverify", *run.command)
    assert code == 1, said
    assert _revoked_in(fast1), said
    words = " ".join(said.split())
    assert words.count(f"read from the fast copy {fast2 / VICTIM} in its place") == 1, said
    assert words.count(f"the fast copy {fast1 / VICTIM} was verified by an earlier run") == 1
    assert "found unlike the card's digests (named below)" in words, said
    assert "check the card" not in words and "from the card," not in words, said
    assert "the card's file" not in words, said
    data = newest_report(tmp_path / "reports")
    (result,) = _row(data)["destinations"]
    assert result["status"] == "verified", result
    assert {"copy_root": str(fast2), "files": 1} in data["destinations"][0]["fed_from"]
    # The read in fast1's place is kept in the report, as the copy job's "fed again from".
    kept = [w["message"] for w in data["warnings"] if w["code"] == "job-warning"]
    assert any(f"read from the fast copy {fast2 / VICTIM} in its place" in w for w in kept), kept
    assert (slow / VICTIM).read_bytes() == (fast2 / VICTIM).read_bytes()
    code, said = copy_with_reports_in(tmp_path, "--reverify", *run.command)
    assert code == 0, said


@pytest.mark.timeout(120)
def test_reverify_without_the_card_and_no_other_fast_copy_keeps_a_damaged_slow_copy_in_its_words(
    tmp_path: Path, cards: Path
) -> None:
    """``--reverify`` without the card, fast1 alone named (damaged) and slow's copy damaged
    too: nothing to feed it from, so it is kept, in words naming the fast copy's bytes, and
    the card's remedies are none of it. Failed before (review of fixcascade59): "not
    written over with the card's bytes ... check the card (a changed file, bit rot, or a
    flaky reader: read it again); to copy the card's file as it is now too, copy the card
    with --into another folder", "the card's file is unlike its record too"."""
    run = cascaded_then_card_away(tmp_path, cards, drop_slow=False)
    fast1, _fast2, slow = run.folders
    corrupt_keeping_size_and_mtime(slow / "C003" / VICTIM, at=10)
    code, said = copy_with_reports_in(
        tmp_path, "--reverify", str(run.card), str(fast1), "--cascade-to", str(slow)
    )
    assert code == 1, said
    words = " ".join(said.split())
    for card_words in ("check the card", "copy the card with --into", "the card's file is"):
        assert card_words not in words, said
    assert "not written over with the fast copy's bytes, which nothing verified" in words
    assert "(the fast copy standing in for the card is unlike the card's digests too)" in words
    assert _revoked_in(fast1 / "C003"), said
    # fast1's failure is said once as an ERROR (the file's), the release not counting it
    # again; the COPY FOUND DAMAGED line says why slow's copy was not replaced.
    errors = [line for line in said.splitlines() if line.startswith("ERROR:")]
    assert sum("no longer vouches for it" in line for line in errors) == 1, said
    assert "found unlike the card's digests (named below)" not in words, said
    # Why slow's copy was not replaced is the file's ERROR, said once: the COPY FOUND
    # DAMAGED line points to it. Failed before (review of fixcasc60): said twice.
    assert words.count("is kept, not written over with the fast copy's bytes") == 1, said
    assert "NOT replaced: the file failed there (its error says why)" in words, said
    page = _newest_pdf_words(tmp_path / "reports")
    text = _newest_html_text(tmp_path / "reports")
    for document in (page, text):  # page 1's warning points to the file's problem and row
        assert "NOT replaced: the file failed there (its error says why)" in document
        assert "NOT replaced: source" not in document


@pytest.mark.timeout(120)
@pytest.mark.parametrize("both", [False, True], ids=["fast1-damaged", "both-damaged"])
def test_reverify_without_the_card_says_the_last_damaged_fast_copy_once(
    tmp_path: Path, cards: Path, both: bool
) -> None:
    """``--reverify`` without the card, slow's copy intact: fast1 damaged and named alone,
    or fast1 and fast2 both damaged and named. The last fast copy read is named by the
    file's own failure (an ERROR), not again as a folder's error nor in the release's
    count; a first one (fast1 before fast2) keeps its own line, counted there. Failed
    before (review of fixcasc60): fast1 (fast2) said twice (three times), counted again."""
    run = cascaded_then_card_away(tmp_path, cards, drop_slow=False)
    fast1, fast2, slow = run.folders
    named = [str(fast1)]
    if both:
        corrupt_keeping_size_and_mtime(fast2 / "C003" / VICTIM)
        named.append(str(fast2))
    code, said = copy_with_reports_in(
        tmp_path, "--reverify", str(run.card), *named, "--cascade-to", str(slow)
    )
    assert code == 1, said
    words = " ".join(said.split())
    last = fast2 if both else fast1
    assert words.count(f"{last / 'C003' / VICTIM} was verified by an earlier run") == 0, said
    assert words.count("no longer vouches for it") == (2 if both else 1), said
    counted = "1 fast copy standing in for it was found unlike the card's digests (named below)"
    assert (counted in words) is both, said
    if both:
        assert words.count(f"{fast1 / 'C003' / VICTIM} was verified by an earlier run") == 1
    data = newest_report(tmp_path / "reports")
    assert len(data["folder_errors"]) == (1 if both else 0), data["folder_errors"]
    assert _revoked_in(fast1 / "C003") and _revoked_in(last / "C003"), said


@pytest.mark.timeout(120)
def test_a_damaged_fast_copy_is_said_once_as_it_is_found(tmp_path: Path, cards: Path) -> None:
    """The copy job reads the damaged fast1: its line is a live event (``--json``'s
    ``warning_issued``, code ``fast-copy-unlike-card``) before the read's failure is
    announced, the one line of the report's ``folder_errors``. Failed before (review of
    fixcascade59): no code, sent after the job."""
    run = cascaded_then_card_away(tmp_path, cards)
    log = EventLog()
    report = offload(
        run.card,
        run.folders,
        options=OffloadOptions(cascade=frozenset({2})),
        sink=log,
    )
    assert report.exit_code == 1
    said = [e for e in log.events if isinstance(e, WarningIssued) and VICTIM in e.message]
    (found,) = [e for e in said if e.code == "fast-copy-unlike-card"]
    assert found.path == str(run.fast1 / VICTIM), found
    failed = next(e for e in log.events if isinstance(e, FileFailed) and e.destination_index < 0)
    assert log.events.index(found) < log.events.index(failed)
    assert report.folder_errors == [found.message]


@pytest.mark.timeout(120)
def test_an_io_error_on_the_fast_copy_revokes_nothing(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """fast1 (its bytes good) read through a FaultyFS mount whose reads of the victim fail
    EIO: a read that computed no digest is no mismatch, so nothing is revoked and its record
    of the card's pass stands; the file fails in the engine's words. The card is not read:
    the summary's and the PDF's reasons to keep it, and the PDF's problem line, name the
    fast copy standing in for it. Failed before (review of fixcascade59): "Do not format
    the card: a file of the card failed as it was read" and "Card read FAILED"."""
    card, (fast1, _fast2, slow), _ = _cascaded(tmp_path, cards, damage=False)
    drive = victim_unreadable(faulty_fs, fast1)
    # fast1 alone named: no other fast copy to feed from (one there feeds the file:
    # test_an_io_error_on_the_fast_copy_feeds_from_the_next).
    code, said = copy_with_reports_in(
        tmp_path, str(card), str(drive.mountpoint), "--cascade-to", str(slow)
    )
    assert code != 0, said
    assert "no longer vouches" not in said and "was verified by an earlier run" not in said, said
    entry = Ledger(fast1 / "C003").load()[VICTIM]
    assert entry.state == "verified", entry
    assert (fast1 / "C003" / STATE_FOLDER / CARD_PASS_RECORD).exists()
    kept = "a file of the fast copy standing in for the card failed as it was read: CLIPS/"
    page = _newest_pdf_words(tmp_path / "reports")
    for words in (" ".join(said.split()), page):
        assert "of the card failed" not in words, words
        assert kept in words, words
    text = _newest_html_text(tmp_path / "reports")
    for words in (" ".join(said.split()), page, text):  # the file's row says it in capitals
        assert "card read failed" not in words.lower(), words
    source = drive.mountpoint / "C003" / VICTIM
    problem = "Read of the fast copy standing in for the card FAILED: cannot read bytes"
    assert f"{problem} 0–299,999 (one read request) of source {source}" in page, page
    row = "READ OF THE FAST COPY STANDING IN FOR THE CARD FAILED: cannot read bytes"
    assert row in page and row in text, page


def _newest_pdf_words(reports: Path, *pages: str) -> str:
    """The text of the newest PDF report in *reports* (``pdftotext`` given *pages*: "-l",
    "1" for page 1), its white space folded to single spaces."""
    pdf = max(reports.glob("*.pdf"), key=lambda p: p.stat().st_mtime_ns)
    pdftotext = shutil.which("pdftotext")
    assert pdftotext is not None
    text = subprocess.run(
        [pdftotext, *pages, str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(text.split())


def _newest_html_text(reports: Path) -> str:
    """The text of the newest HTML report in *reports*, its tags dropped and its white
    space folded to single spaces."""
    page = max(reports.glob("*.html"), key=lambda p: p.stat().st_mtime_ns).read_text("utf-8")
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", page)).split())


def _row(data: dict[str, Any]) -> dict[str, Any]:
    (row,) = [f for f in data["files"] if f["path"] == VICTIM]
    return row


def test_a_file_fed_again_keeps_its_other_destinations_results(tmp_path: Path, cards: Path) -> None:
    """Two slow destinations, the victim verified on slowA already, gone from slowB. Failed
    before (review of fixcascade59): fed again without its results known before the copy,
    its row held slowB's alone and slowA counted 2 of the card's 3 files. The damaged
    fast1 is said once by the terminal (its ERROR line). Failed before (its review): three
    times, a WARNING, the reason to keep the card and the ERROR."""
    _card, folders, command = _cascaded(tmp_path, cards, slow=2)
    code, said = copy_with_reports_in(tmp_path, *command)
    assert code == 1, said
    assert f"fed again from the fast copy {folders[1] / 'C003' / VICTIM}" in said, said
    damaged = f"the fast copy {folders[0] / 'C003' / VICTIM} was verified by an earlier run"
    assert " ".join(said.split()).count(damaged) == 1, said
    data = newest_report(tmp_path / "reports")
    statuses = [d["status"] for d in _row(data)["destinations"]]
    assert len(statuses) == 2, _row(data)
    assert sorted(statuses) == ["verified", "verified_earlier"], _row(data)
    slow_a, slow_b = data["destinations"]
    assert slow_a["files_verified"] + slow_a.get("files_verified_earlier", 0) == 3, slow_a
    # slowB's one copy came from fast2 (before: fast1, the copy found damaged).
    assert slow_b["fed_from"] == [{"copy_root": str(folders[1] / "C003"), "files": 1}], slow_b


def test_a_replaced_copy_names_the_fast_copy_that_fed_it(tmp_path: Path, cards: Path) -> None:
    """Card absent, --overwrite over a file not ours at the victim's name on the slow copy
    root (which forgot its copies): the existing-replaced warning names fast2, the copy
    that fed it, fast1 having been found damaged. Failed before (review of fixcascade59):
    "replaced by copies from the card's fast copy .../fast1/C003", the damaged one."""
    _card, (_fast1, fast2, slow), command = _cascaded(tmp_path, cards)
    shutil.rmtree(slow / "C003" / STATE_FOLDER)
    (slow / "C003" / VICTIM).write_bytes(b"not ours")
    code, said = copy_with_reports_in(tmp_path, "--overwrite", *command)
    assert code == 1, said
    (line,) = [line for line in said.splitlines() if line.startswith("REPLACED")]
    said = " ".join(said[said.index(line) :].split())
    assert f"replaced by copies from the card's fast copy {fast2 / 'C003'} (the card" in said


def test_a_folder_no_ledger_vouches_for_is_never_read_nor_written(
    tmp_path: Path, cards: Path
) -> None:
    """fast2's ledger gone and its copy damaged too: it is not fed from (nothing vouches for
    it), nothing is written there, and no line says it was verified. Failed before (review
    of fixcascade59): fast2 was read, got a ledger of one revoked line, and was said
    "verified by an earlier run, then changed"."""
    _card, (fast1, fast2, slow), command = _cascaded(tmp_path, cards)
    shutil.rmtree(fast2 / "C003" / STATE_FOLDER)
    corrupt_keeping_size_and_mtime(fast2 / "C003" / VICTIM)
    code, said = copy_with_reports_in(tmp_path, *command)
    assert code == 1, said
    assert not (fast2 / "C003" / STATE_FOLDER).exists()
    assert f"the fast copy {fast2 / 'C003' / VICTIM} was verified" not in said, said
    assert f"not fed: the fast copy {fast1 / 'C003' / VICTIM} no longer matches" in said, said
    assert _revoked_in(fast1 / "C003")
    assert not (slow / "C003" / VICTIM).exists()


def test_another_cards_copy_of_the_same_name_is_left_alone(tmp_path: Path, cards: Path) -> None:
    """fast2's record of the card's pass names another card (a copy of another card with
    the same folder name): never fed from, its record and ledger untouched. Failed before:
    fast2 was read, revoked and its record removed."""
    _card, (_fast1, fast2, _slow), command = _cascaded(tmp_path, cards)
    record = fast2 / "C003" / STATE_FOLDER / CARD_PASS_RECORD
    data = json.loads(record.read_text())
    data["card"] = str(cards / "another" / "C003")
    record.write_text(json.dumps(data))
    corrupt_keeping_size_and_mtime(fast2 / "C003" / VICTIM)
    code, said = copy_with_reports_in(tmp_path, *command)
    assert code == 1, said
    assert json.loads(record.read_text()) == data
    assert not _revoked_in(fast2 / "C003")
    assert f"the fast copy {fast2 / 'C003' / VICTIM}" not in said, said


def test_history_and_the_pdf_say_a_fast_copy_failed(tmp_path: Path, cards: Path) -> None:
    """The damaged fast copy, failed DURING the copy (every copy of the run good, fed from
    fast2), is worded so by ``offload history`` and the PDF's headline. Failed before
    (review of fixcascade59): "verified, partly earlier, then a step FAILED" and "FAILED
    AFTER THE COPIES", the words of a manifest or folder failing after them."""
    _card, _folders, command = _cascaded(tmp_path, cards)
    code, said = copy_with_reports_in(tmp_path, *command)
    assert code == 1, said
    reports = tmp_path / "reports"
    out = io.StringIO()
    main(["history", "--json", "--report-dir", str(reports)], Environment(stdout=out))
    entry = json.loads(out.getvalue())[0]
    assert "then a step FAILED" not in entry["result"], entry
    assert entry["result"].endswith(
        "but a fast copy it was fed from FAILED (found unlike the card)"
    )
    first = _newest_pdf_words(reports, "-l", "1")
    assert "A FAST COPY FAILED" in first and "FAILED AFTER THE COPIES" not in first, first


@pytest.mark.timeout(120)
def test_history_says_a_fast_copy_failed_and_a_destination_lost_in_one_sentence(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The damaged fast copy (every copy of the run good, fed from fast2) and slowA, on a
    FaultyFS, lost as the run starts (its run record cannot be made: ENOTCONN), none of its
    copies failed: ``offload history`` says both in one sentence, in order, one "but".
    Failed before (review of history69, LOW 5): "..., but a fast copy it was fed from FAILED
    (found unlike the card), but 1 destination LOST"."""
    _card, folders, _command = _cascaded(tmp_path, cards, slow=2)
    fast1, fast2, slow_a, slow_b = folders
    drive = faulty_fs(backing=slow_a)
    drive.fail("create", errno.ENOTCONN, path="C003/.offload/.last-run.json*")
    command = [_card, fast1, fast2, "--cascade-to", drive.mountpoint, "--cascade-to", slow_b]
    code, said = copy_with_reports_in(tmp_path, *map(str, command))
    drive.clear()
    assert code == 1, said
    data = newest_report(tmp_path / "reports")
    assert [d["lost"] for d in data["destinations"]] == [True, False], data["destinations"]
    assert data["totals"]["results"].get("failed", 0) == 0, data["totals"]
    out = io.StringIO()
    main(["history", "--json", "--report-dir", str(tmp_path / "reports")], Environment(stdout=out))
    result = json.loads(out.getvalue())[0]["result"]
    assert result.count("but") == 1, result
    assert result.endswith(
        ", but 1 destination LOST and a fast copy it was fed from FAILED (found unlike the card)"
    ), result


@pytest.mark.timeout(120)
@pytest.mark.parametrize("slow_held", [False, True], ids=["copy-job", "existing-check"])
def test_a_fast_copy_whose_read_failed_is_not_said_to_have_fed_anything(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS], slow_held: bool
) -> None:
    """fast1 damaged, fast2 (its bytes good) read through a FaultyFS mount whose reads of
    the victim fail EIO: the run tries fast2 in fast1's place (the copy job's feed, or the
    existing copies' check's read), which fails; nothing came from it, so no destination's
    ``fed_from`` names it. Failed before (review of fixcasc60): ``fed_from`` listed it, its
    root recorded before its read."""
    run = cascaded_then_card_away(tmp_path, cards, drop_slow=not slow_held)
    fast1, fast2, slow = run.folders
    drive = victim_unreadable(faulty_fs, fast2)
    code, said = copy_with_reports_in(
        tmp_path,
        "--reverify",
        str(run.card),
        str(fast1),
        str(drive.mountpoint),
        "--cascade-to",
        str(slow),
    )
    assert code == 1, said
    data = newest_report(tmp_path / "reports")
    fed = [entry for d in data["destinations"] for entry in d.get("fed_from") or ()]
    assert all(entry["copy_root"] != str(drive.mountpoint / "C003") for entry in fed), fed
    assert _revoked_in(fast1 / "C003"), said
    # Nor is it said to have been read or fed from: tried, its read failed. Failed before
    # (review of revfix1_60): the warnings kept "read from / fed again from" beside its EIO.
    tried = drive.mountpoint / "C003" / VICTIM
    kept = [w["message"] for w in data["warnings"] if w["code"] == "job-warning"]
    assert not any(f"from the fast copy {tried}" in w for w in kept), kept
    assert any(
        f"tried the fast copy {tried} in its place" in w and w.endswith("its read failed")
        for w in kept
    ), kept


@pytest.mark.timeout(120)
def test_an_io_error_on_the_fast_copy_feeds_from_the_next(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """fast1 (its bytes good) read through a FaultyFS mount whose reads of the victim fail
    EIO, fast2 good, slow's copy gone: the file is fed from fast2, as for a mismatch; fast1
    is named unreadable, not damaged (terminal, JSON, HTML, PDF, history), its ledger and
    record of the card's pass as they were; ``fed_from`` names fast2. Failed before (review
    of fixcasc60): the slow copy failed with fast1's read error, fast2 never read."""
    run = cascaded_then_card_away(tmp_path, cards, damage=False)
    fast1, fast2, slow = run.folders
    drive = victim_unreadable(faulty_fs, fast1)
    code, said = copy_with_reports_in(
        tmp_path, str(run.card), str(drive.mountpoint), str(fast2), "--cascade-to", str(slow)
    )
    assert code == 1, said
    assert (slow / "C003" / VICTIM).read_bytes() == (fast2 / "C003" / VICTIM).read_bytes()
    assert Ledger(fast1 / "C003").load()[VICTIM].state == "verified"
    assert (fast1 / "C003" / STATE_FOLDER / CARD_PASS_RECORD).exists()
    data = newest_report(tmp_path / "reports")
    (result,) = _row(data)["destinations"]
    assert result["status"] == "verified", result
    assert data["destinations"][0]["fed_from"] == [{"copy_root": str(fast2 / "C003"), "files": 1}]
    unread = drive.mountpoint / "C003" / VICTIM
    (line,) = data["folder_errors"]
    assert line.startswith(
        f"{VICTIM}: the fast copy {unread} could not be read in the card's place to feed"
    ), line
    assert "(not found damaged" in line and line.endswith("Input/output error (EIO)"), line
    words = " ".join(said.split())
    assert words.count(line) == 1, said  # its ERROR, said once
    assert "1 fast copy standing in for it could not be read, not found damaged" in words
    assert f"fed again from the fast copy {fast2 / 'C003' / VICTIM} ({unread} could not" in words
    page, text = _newest_pdf_words(tmp_path / "reports"), _newest_html_text(tmp_path / "reports")
    for document in (page, text):
        assert "A FAST COPY FAILED" in document and "AFTER THE COPIES" not in document
        assert f"{unread} could not be read in the card's place" in document, document
    for document in (words, page, text, json.dumps(data)):
        assert "unlike the card" not in document and "no longer vouches" not in document
    out = io.StringIO()
    main(["history", "--json", "--report-dir", str(tmp_path / "reports")], Environment(stdout=out))
    result_words = json.loads(out.getvalue())[0]["result"]
    assert result_words.endswith("but a fast copy it was fed from FAILED (could not be read)")


@pytest.mark.timeout(120)
def test_an_io_error_on_the_fast_copy_at_the_check_reads_the_next(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``--reverify`` without the card, fast1 (its bytes good) read through a FaultyFS mount
    whose reads of the victim fail EIO, fast2 good, slow's copy intact: the existing copies'
    check reads fast2 in fast1's place, as it does for a mismatch; slow's copy is verified
    against that read, fast1 named unreadable (not damaged, nothing revoked) and no
    ``fed_from`` counts the victim as fast1's. Failed before (fixcasc61's scan of the
    cascade code): slow's copy failed with fast1's read error ("a copy failed"), fast2
    never read, and ``fed_from`` counted all 3 files as fast1's."""
    run = cascaded_then_card_away(tmp_path, cards, damage=False, drop_slow=False)
    fast1, fast2, slow = run.folders
    drive = victim_unreadable(faulty_fs, fast1)
    unread = drive.mountpoint / "C003" / VICTIM
    code, said = copy_with_reports_in(
        tmp_path,
        "--reverify",
        str(run.card),
        str(drive.mountpoint),
        str(fast2),
        "--cascade-to",
        str(slow),
    )
    assert code == 1, said
    data = newest_report(tmp_path / "reports")
    (result,) = _row(data)["destinations"]
    assert result["status"] == "verified", result
    fed = {e["copy_root"]: e["files"] for e in data["destinations"][0]["fed_from"]}
    assert fed == {str(drive.mountpoint / "C003"): 2, str(fast2 / "C003"): 1}, fed
    (line,) = data["folder_errors"]
    assert line.startswith(
        f"{VICTIM}: the fast copy {unread} could not be read in the card's place to check"
    ), line
    words = " ".join(said.split())
    assert (
        f"read from the fast copy {fast2 / 'C003' / VICTIM} in its place ({unread} could" in words
    )
    assert "a copy failed" not in words and "unlike the card" not in words, said
    assert "1 fast copy standing in for it could not be read, not found damaged" in words, said
    assert Ledger(fast1 / "C003").load()[VICTIM].state == "verified"


def _longer_keeping_mtime(path: Path) -> None:
    """One byte appended to *path*, its date kept: a copy the existing copies' check
    rewrites (its size not the card's), never reading the source for it."""
    st = path.stat()
    with path.open("ab") as out:
        out.write(b"x")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.timeout(120)
def test_a_fast_copy_unreadable_then_read_unlike_the_card_is_revoked(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``--reverify`` without the card, slowB's victim gone (the copy job), slowA's one
    byte longer (the rewrite job); fast1 through a FaultyFS mount whose reads of the victim
    fail EIO three times, then return one byte flipped: the first job's read fails (fed
    from fast2), the second reads fast1 unlike the card. fast1 is revoked then (its record
    of the card's pass gone) and said so, not "could not be read, not found damaged".
    Failed before (review of fixcasc61): its first line, unreadable, stood for the copy, so
    the mismatch revoked nothing and a run with the card trusted fast1 "verified earlier"."""
    run = cascaded_then_card_away(tmp_path, cards, slow=2, damage=False)
    fast1, fast2, slow_a, _slow_b = run.folders
    _longer_keeping_mtime(slow_a / "C003" / VICTIM)
    drive = faulty_fs(backing=fast1)
    victim = f"*{Path(VICTIM).name}"
    drive.fail("read", path=victim, offset=150_000, length=1, times=3)
    drive.flip(150_000, path=victim, op="read")
    command = [str(run.card), str(drive.mountpoint), str(fast2)]
    for folder in run.folders[2:]:
        command += ["--cascade-to", str(folder)]
    code, said = copy_with_reports_in(tmp_path, "--reverify", *command)
    assert code == 1, said
    assert _revoked_in(fast1 / "C003"), said
    assert not (fast1 / "C003" / STATE_FOLDER / CARD_PASS_RECORD).exists()
    read = drive.mountpoint / "C003" / VICTIM
    data = newest_report(tmp_path / "reports")
    (line,) = data["folder_errors"]
    assert line.startswith(f"{VICTIM}: the fast copy {read} was verified by an earlier run"), line
    assert line.endswith(
        "its ledger no longer vouches for it: re-run with the card and --overwrite to replace it"
    ), line
    words = " ".join(said.split())
    assert "not found damaged" not in words, said
    counted = "1 fast copy standing in for it was found unlike the card's digests (named below)"
    assert counted in words, said
    # On both, the victim from fast2, the other two (rechecked) read from fast1.
    fed = [
        {"copy_root": str(drive.mountpoint / "C003"), "files": 2},
        {"copy_root": str(fast2 / "C003"), "files": 1},
    ]
    for destination in data["destinations"]:
        assert destination["fed_from"] == fed, destination
    for folder in (slow_a, _slow_b):
        assert (folder / "C003" / VICTIM).read_bytes() == (fast2 / "C003" / VICTIM).read_bytes()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fast2_damaged", [False, True], ids=["both-unreadable", "fast2-unlike"])
def test_a_file_no_fast_copy_could_feed_is_counted_as_fed_by_none(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS], fast2_damaged: bool
) -> None:
    """slow's victim gone; fast1's reads of it fail EIO, and fast2's too (or fast2's copy is
    damaged): no fast copy fed the file, which fails on slow; ``fed_from`` counts nothing
    for it (slow's other copies trusted: none), docs/json.md's rule (a file whose read
    failed is not counted). Failed before (review of fixcasc61): ``fed_from`` credited the
    victim to fast1, whose read of it failed."""
    run = cascaded_then_card_away(tmp_path, cards, damage=False)
    fast1, fast2, slow = run.folders
    first = victim_unreadable(faulty_fs, fast1).mountpoint
    if fast2_damaged:
        corrupt_keeping_size_and_mtime(fast2 / "C003" / VICTIM)
        second = fast2
    else:
        second = victim_unreadable(faulty_fs, fast2).mountpoint
    code, said = copy_with_reports_in(
        tmp_path, str(run.card), str(first), str(second), "--cascade-to", str(slow)
    )
    assert code == 1, said
    assert not (slow / "C003" / VICTIM).exists()
    data = newest_report(tmp_path / "reports")
    (result,) = _row(data)["destinations"]
    assert result["status"] == "failed", result
    assert data["destinations"][0]["fed_from"] == [], data["destinations"][0]
    # The summary says what became of each fast copy tried, and of the file: fast1 could
    # not be read (not damaged); fast2 too, or found unlike the card and so named, the
    # file "not fed" by none left to try (fast1 holds it: before, "no other fast copy
    # holds it", untrue).
    words = " ".join(said.split())
    unread = f"the fast copy {first / 'C003' / VICTIM} could not be read in the card's place"
    assert unread in words, said
    assert "may be formatted" not in words and "no other fast copy holds" not in words, said
    if fast2_damaged:
        assert f"not fed: the fast copy {second / 'C003' / VICTIM} no longer matches" in words
        assert "no other fast copy left to try holds it" in words, said
        assert _revoked_in(fast2 / "C003"), said
        assert len(data["folder_errors"]) == 2, data["folder_errors"]
    else:
        assert f"source {second / 'C003' / VICTIM}: Input/output error (EIO)" in words, said
        assert len(data["folder_errors"]) == 1, data["folder_errors"]
    assert Ledger(fast1 / "C003").load()[VICTIM].state == "verified"


@pytest.mark.timeout(120)
def test_a_chain_of_unreadable_fast_copies_at_the_check_says_each_was_tried(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``--reverify`` without the card, slow's copy intact, three fast copies: fast1's and
    fast2's reads of the victim fail EIO, fast3 (a copy of fast2, its ledger with it) good.
    The check reads fast3 in their place; fast2, whose read failed too, is said tried, never
    "read from". Failed before (review of fixcasc61): the warnings kept "read from the fast
    copy <fast2> in its place (<fast1> could not be read)" though nothing came from it."""
    run = cascaded_then_card_away(tmp_path, cards, damage=False, drop_slow=False)
    fast1, fast2, slow = run.folders
    fast3 = tmp_path / "fast3"
    shutil.copytree(fast2, fast3)
    first = victim_unreadable(faulty_fs, fast1).mountpoint / "C003" / VICTIM
    second = victim_unreadable(faulty_fs, fast2).mountpoint / "C003" / VICTIM
    third = fast3 / "C003" / VICTIM
    folders = [first.parents[2], second.parents[2], fast3]
    code, said = copy_with_reports_in(
        tmp_path, "--reverify", str(run.card), *map(str, folders), "--cascade-to", str(slow)
    )
    assert code == 1, said
    data = newest_report(tmp_path / "reports")
    (result,) = _row(data)["destinations"]
    assert result["status"] == "verified", result
    kept = [w["message"] for w in data["warnings"] if w["code"] == "job-warning"]
    assert not any(f"read from the fast copy {second} in its place" in w for w in kept), kept
    tried = f"{VICTIM}: tried the fast copy {second} in its place ({first} could not be read)"
    assert f"{tried}: its read failed" in kept, kept
    read = f"{VICTIM}: read from the fast copy {third} in its place ({second} could not be read)"
    assert read in kept, kept
    reports = tmp_path / "reports"
    for document in (_newest_pdf_words(reports), _newest_html_text(reports)):
        assert f"read from the fast copy {second} in its place" not in document, document
    fed = {e["copy_root"]: e["files"] for e in data["destinations"][0]["fed_from"]}
    assert fed == {str(first.parents[1]): 2, str(fast3 / "C003"): 1}, fed
    assert len(data["folder_errors"]) == 2, data["folder_errors"]


@pytest.mark.timeout(120)
def test_a_fast_copy_that_reads_differently_is_not_called_unreadable(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``--verify full``, slow's victim gone, fast1 through a FaultyFS mount whose reads of
    the victim after the first return a byte flipped: the copy's read matched the card,
    both source re-reads did not, alike (``errors.REREAD_ALIKE``), no I/O error. The file
    fails as a fast copy that reads differently than while copying (changed on its drive
    since), never in the card's words ("card, reader or cable"), and fast1 is never said
    "could not be read ... check that drive" (failed before, review of fixcasc61: every
    failure without a digest was taken for an unreadable copy). The mount point's name holds
    " (1)": the digests said are the file's own (failed before, review of casc64: they were
    parsed from the first " (" of the engine's words, the path's)."""
    run = cascaded_then_card_away(tmp_path, cards, damage=False)
    fast1, fast2, slow = run.folders
    drive = faulty_fs(backing=fast1, mountpoint=tmp_path / "FAST (1)")
    drive.flip(150_000, path=f"*{Path(VICTIM).name}", op="read", nth=2, times=100)
    code, said = copy_with_reports_in(
        tmp_path,
        "--verify",
        "full",
        str(run.card),
        str(drive.mountpoint),
        str(fast2),
        "--cascade-to",
        str(slow),
    )
    assert code == 1, said
    words = " ".join(said.split())
    assert "reads differently than while copying" in words, said
    assert "card, reader or cable" not in words, said
    assert "it changed on its drive since it was read" in words, said
    assert "re-run with the card and --overwrite, which replaces that copy" in words, said
    assert "could not be read" not in words, said
    data = newest_report(tmp_path / "reports")
    assert data["folder_errors"] == [], data["folder_errors"]
    assert Ledger(fast1 / "C003").load()[VICTIM].state == "verified"
    victim = next(f for f in data["files"] if f["path"] == VICTIM)
    (name, reread), *_ = victim["source_reread_digests"].items()
    digests = f"({name} {victim['digests'][name]} while copying, {reread} the same"
    assert f"reads differently than while copying {digests} on both re-reads)" in words, said


@pytest.mark.timeout(120)
def test_a_fast_copy_revoked_for_one_file_is_not_read_for_the_next(
    tmp_path: Path, cards: Path
) -> None:
    """``--reverify`` without the card, slow's copies intact: fast1 damaged in the clip
    before the victim and in the victim, fast2 in that clip alone. The check reads that clip
    in fast1, then fast2 in its place, finds both unlike the card and revokes both (their
    records of the card's pass removed); fast2 vouches for nothing after that, so the
    victim is not read there in fast1's place. Failed before (review of fixcasc61): each
    copy's entries were kept from the first look, and fast2 read for the victim all the
    same."""
    run = cascaded_then_card_away(tmp_path, cards, drop_slow=False)
    fast1, fast2, _slow = (folder / "C003" for folder in run.folders)
    before = VICTIM.replace("C002.", "C001.")
    corrupt_keeping_size_and_mtime(fast1 / before)
    corrupt_keeping_size_and_mtime(fast2 / before)
    code, said = copy_with_reports_in(tmp_path, "--reverify", *run.command)
    assert code == 1, said
    assert Ledger(fast2).load()[before].state == "revoked", said
    assert not (fast2 / STATE_FOLDER / CARD_PASS_RECORD).exists()
    words = " ".join(said.split())
    assert f"read from the fast copy {fast2 / before} in its place" in words, said
    assert f"read from the fast copy {fast2 / VICTIM} in its place" not in words, said


@pytest.mark.timeout(120)
@pytest.mark.parametrize("slow_damaged", [True, False], ids=["slow-damaged", "slow-intact"])
@pytest.mark.parametrize("reverify", [True, False], ids=["reverify", "plain"])
@pytest.mark.parametrize("verify", ["full", "destination"])
def test_a_fast_copy_damaged_in_its_fingerprint_has_the_slow_copy_read_against_its_record(
    tmp_path: Path, cards: Path, slow_damaged: bool, reverify: bool, verify: str
) -> None:
    """Without the card, fast1 alone named, damaged in its first 64 KiB (its fingerprint
    unlike the card's the slow ledger recorded), slow's copy damaged there too or intact:
    slow's copy is read back against its ledger's record all the same (the
    ``ledger-other-content`` warning's word), never taken for another file's. Damaged, it
    is found wrong (its entry revoked, its error says so), and with the card
    back an --overwrite run reads it and replaces it, never "verified earlier"; intact, it
    is verified at destination level. Failed before (QA of the thirty-eighth pass): read
    as a file no ledger vouches for, compared with the damaged fast copy alone, kept
    "neither adopted nor written over", its entry left verified, so the run with the card
    counted it verified earlier and ``offload verify`` then found it CHANGED. With
    ``--verify destination`` too, fast1 is read (and revoked: unlike the card's digests).
    Failed before (thirty-eighth pass's review): exit 0, the slow copy matched with its
    record alone, fast1's damage never said, its entry left verified."""
    run = cascaded_then_card_away(tmp_path, cards, drop_slow=False, damage=False)
    fast1, _fast2, slow = run.folders
    corrupt_keeping_size_and_mtime(fast1 / "C003" / VICTIM, at=1000)
    if slow_damaged:
        corrupt_keeping_size_and_mtime(slow / "C003" / VICTIM, at=2000)
    command = [str(run.card), str(fast1), "--cascade-to", str(slow)]
    options = ["--verify", verify, *(["--reverify"] if reverify else [])]
    code, said = copy_with_reports_in(tmp_path, *options, *command)
    assert code == 1, said
    words = " ".join(said.split())
    assert "neither adopted nor written over" not in words, said
    assert Ledger(fast1 / "C003").load()[VICTIM].state == "revoked", said
    (result,) = _row(newest_report(tmp_path / "reports"))["destinations"]
    entry = Ledger(slow / "C003").load()[VICTIM]
    if not slow_damaged:
        assert result["status"] == "verified", result
        assert result["verified_mode"] == "destination", result
        assert result["readback_digests"], result  # read now
        assert entry.state == "verified", entry
        return
    assert result["status"] == "failed", result
    assert "is unlike its own record too (found wrong, its ledger entry revoked)" in words
    assert entry.state == "revoked", entry
    away(run.card).rename(run.card)
    code, said = copy_with_reports_in(tmp_path, "--overwrite", *command)
    assert code == 0, said
    _fast, result = _row(newest_report(tmp_path / "reports"))["destinations"]
    assert result["status"] == "verified", result
    assert (slow / "C003" / VICTIM).read_bytes() == (run.card / VICTIM).read_bytes()


@pytest.mark.timeout(120)
def test_a_slow_copy_unreadable_beside_a_damaged_fast_copy_is_not_left_vouched_for(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``--reverify`` without the card, fast1 alone named and damaged in its first 64 KiB,
    slow read through a FaultyFS mount whose reads of the victim fail EIO: nothing could
    be compared with slow's copy, so its result says it could not be read (never only the
    fast copy's words) and its ledger entry no longer vouches for it: the next run reads
    it. Failed before: failed with the fast copy's error alone, its entry left verified."""
    run = cascaded_then_card_away(tmp_path, cards, drop_slow=False, damage=False)
    fast1, _fast2, slow = run.folders
    corrupt_keeping_size_and_mtime(fast1 / "C003" / VICTIM, at=1000)
    drive = victim_unreadable(faulty_fs, slow)
    code, said = copy_with_reports_in(
        tmp_path, "--reverify", str(run.card), str(fast1), "--cascade-to", str(drive.mountpoint)
    )
    assert code == 1, said
    (result,) = _row(newest_report(tmp_path / "reports"))["destinations"]
    assert result["status"] == "failed", result
    assert f"cannot read {drive.mountpoint / 'C003' / VICTIM}" in result["error"], result
    assert "its ledger entry is revoked, as nothing compared the copy" in result["error"]
    assert Ledger(slow / "C003").load()[VICTIM].state == "revoked", said


@pytest.mark.timeout(120)
@pytest.mark.parametrize("verify", ["full", "destination"])
def test_a_damaged_slow_copy_beside_an_unreadable_fast_copy_is_found_wrong(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS], verify: str
) -> None:
    """``--reverify`` without the card, fast1 alone named and read through a FaultyFS mount
    whose reads of the victim fail EIO, slow's copy damaged (bit rot): slow's copy, read,
    is compared with its own record all the same: found wrong, its entry revoked, so no
    later run trusts it. Failed before: failed with the fast copy's read error alone, its
    entry left verified (the next run counted it verified earlier). With ``--verify
    destination`` failed too (thirty-eighth pass's review): exit 0, fast1 never read, its
    EIO never said."""
    run = cascaded_then_card_away(tmp_path, cards, drop_slow=False, damage=False)
    fast1, _fast2, slow = run.folders
    corrupt_keeping_size_and_mtime(slow / "C003" / VICTIM)
    drive = victim_unreadable(faulty_fs, fast1)
    code, said = copy_with_reports_in(
        tmp_path,
        "--reverify",
        "--verify",
        verify,
        str(run.card),
        str(drive.mountpoint),
        "--cascade-to",
        str(slow),
    )
    assert code == 1, said
    assert "cannot read" in said, said
    assert "copying it again" not in " ".join(said.split()), said  # its source unreadable
    (result,) = _row(newest_report(tmp_path / "reports"))["destinations"]
    assert result["status"] == "failed", result
    assert f"{slow / 'C003' / VICTIM} differs from the digests recorded" in " ".join(said.split())
    assert Ledger(slow / "C003").load()[VICTIM].state == "revoked", said


@pytest.mark.timeout(120)
def test_an_edited_slow_copy_beside_a_damaged_fast_copy_is_not_overwritten_by_a_plain_run(
    tmp_path: Path, cards: Path
) -> None:
    """Without the card, fast1 alone named, damaged in its first 64 KiB, slow's copy edited
    since (bytes appended: another size): a plain run refuses it (--reverify named), the
    edit kept. Failed before (thirty-eighth pass's review): the damaged
    fingerprint made the plan read the copy as --reverify would, found wrong by its size
    and written over, the user's edit gone without --overwrite or --reverify."""
    run = cascaded_then_card_away(tmp_path, cards, drop_slow=False, damage=False)
    fast1, _fast2, slow = run.folders
    corrupt_keeping_size_and_mtime(fast1 / "C003" / VICTIM, at=1000)
    edited = slow / "C003" / VICTIM
    with edited.open("ab") as file:
        file.write(b"USER EDIT")
    mine = edited.read_bytes()
    code, said = copy_with_reports_in(
        tmp_path, str(run.card), str(fast1), "--cascade-to", str(slow)
    )
    assert code != 0, said  # (1: fast1's damage)
    assert "--reverify" in said, said
    assert edited.read_bytes() == mine, said


def test_every_damaged_fast_copy_the_run_reads_loses_its_ledger_entry(
    tmp_path: Path, cards: Path
) -> None:
    """Two clips of fast1 damaged (size and date kept), their slow copies gone: the re-run
    without the card reads both from fast1, finds both unlike the card and feeds both from
    fast2. Each loses its entry in fast1's ledger, and each line says so (README: each such
    copy "loses its ledger entry"). Failed before (QA qa70c M2): the first revocation
    removed fast1's record of the card's pass, so the second was found vouched for by no
    ledger of this card: "does not match the card's digests", its entry left verified."""
    run = cascaded_then_card_away(tmp_path, cards)
    other = VICTIM.replace("C002.", "C001.")
    corrupt_keeping_size_and_mtime(run.fast1 / other)
    (run.folders[2] / "C003" / other).unlink()
    code, said = copy_with_reports_in(tmp_path, *run.command)
    words = " ".join(said.split())
    assert code == 1, said
    entries = Ledger(run.fast1).load()
    for clip in (VICTIM, other):
        assert entries[clip].state == "revoked", (clip, said)
        assert (
            f"{clip}: the fast copy {run.fast1 / clip} was verified by an earlier run, then changed"
        ) in words, said
    assert "does not match the card's digests" not in words, said
    for clip in (VICTIM, other):  # fed from fast2
        fed = run.folders[2] / "C003" / clip
        assert fed.read_bytes() == (run.folders[1] / "C003" / clip).read_bytes()
