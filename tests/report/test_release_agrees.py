"""One answer to "may the card be formatted": the cascade's CARD line and sentence, the
report's ``card_release`` (JSON, the terminal's last line, the HTML, the PDF) never disagree,
and no word says a copy was read back by this run that it did not read. Real re-runs of the
real CLI as a child process: the card in memory (/dev/shm), the copies on a disk, so that the
rule's other conditions hold and only what the run proved decides."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any, NamedTuple

from offload.report.summary import EARLIER_RESTS_ON
from report.helpers import Browser, pdf_text, pdf_words
from support.cards import three_clip_card
from support.offload_cli import run_offload


class Run(NamedTuple):
    code: int
    err: str  # stderr, its whitespace folded: the terminal's words, unwrapped
    events: list[dict[str, Any]]  # the --json lines
    report: dict[str, Any]  # the job report written
    documents: str  # the HTML's text, then the PDF's, whitespace folded


def _copy(
    reports: Path, poppler: dict[str, str], *args: str | Path, json_lines: bool = False
) -> Run:
    before = set(reports.glob("*.json"))
    done = run_offload("copy", *(["--json"] if json_lines else []), "--report-dir", reports, *args)
    (written,) = set(reports.glob("*.json")) - before
    page = re.sub(r"<[^>]+>", " ", written.with_suffix(".html").read_text())
    documents = html.unescape(page) + " " + pdf_text(poppler, written.with_suffix(".pdf"))
    return Run(
        done.returncode,
        " ".join(done.stderr.split()),
        [json.loads(line) for line in done.stdout.splitlines()] if json_lines else [],
        json.loads(written.read_text()),
        " ".join(documents.split()),
    )


def _said(run: Run, words: str) -> None:
    """*words* on the terminal (without --json) or in the job_report line, and in the
    report's ``card_release``, the HTML and the PDF."""
    release = run.report["card_release"]["text"]
    assert words in release, release
    if run.events:
        (line,) = [e for e in run.events if e["event"] == "job_report"]
        assert line["card_release"] == run.report["card_release"], line
    else:
        assert words in run.err, run.err
    assert words in run.documents, run.documents


def test_a_cascade_rerun_that_read_nothing_never_says_the_card_may_be_formatted(
    tmp_path: Path, memory_card: Path, disk_folder: Path, poppler: dict[str, str]
) -> None:
    """The same cascade run again, the card present and nothing left to feed: its CARD line
    says NOT released, nothing read again (every copy trusted from a ledger). The report said
    "The card may be formatted" all the same (failed before: ``may_format`` true, that line
    printed on the terminal and page 1 under the cascade's "the card NOT released"). Now
    every word keeps the card and says why; --reverify, which reads the copies back, releases
    it and the card may be formatted."""
    card = three_clip_card(memory_card, 100_000)
    fast, slow, reports = disk_folder / "RAID", disk_folder / "SHUTTLE", tmp_path / "reports"
    for folder in (fast, slow, reports):
        folder.mkdir()
    first = _copy(reports, poppler, card, fast, "--cascade-to", slow)
    assert first.code == 0, first.err
    assert first.report["card_release"]["may_format"], first.report["card_release"]

    for json_lines in (False, True):
        again = _copy(reports, poppler, card, fast, "--cascade-to", slow, json_lines=json_lines)
        assert again.code == 0, again.err
        assert again.report["cascade"]["card_released_at"] is None, again.report["cascade"]
        assert again.report["cascade"]["files_verified_earlier_unproven"] == 3
        release = again.report["card_release"]
        assert not release["may_format"], release
        _said(
            again,
            "Do not format the card: the cascade did not release it: 3 files on the fast "
            "destinations were verified by an earlier run (trusted from the ledger) and not "
            "read again by this run, so nothing it did proves them (--reverify reads them "
            "back).",
        )
        for words in (again.err, again.documents, json.dumps(again.events)):
            assert "may be formatted" not in words, words
        if not json_lines:
            assert "CARD PASS DONE" in again.err and "keep the card" in again.err, again.err
            assert "the card NOT released" in again.err and "the card NOT released" in (
                again.documents
            )

    reverified = _copy(reports, poppler, "--reverify", card, fast, "--cascade-to", slow)
    assert reverified.code == 0, reverified.err
    assert reverified.report["card_release"]["may_format"], reverified.report["card_release"]
    _said(reverified, "The card may be formatted: every file is verified (read back) on 1 disk")


def test_a_cascade_rerun_without_its_card_that_read_nothing_keeps_the_card(
    tmp_path: Path, memory_card: Path, disk_folder: Path, poppler: dict[str, str]
) -> None:
    """The same cascade run again with its card gone (the fast copy standing in for it) and
    nothing to feed: no copy was read back by this run, so, as the run with the card says
    "Do not format the card" (above), so does every word of the run without it (README: a
    copy an earlier run verified, trusted from its ledger, releases no card until this run
    has read it). Failed before (QA qa70c H1): "It may be formatted on the ledger's word
    (3 of 3 files verified only by an earlier run ...)", ``may_format`` true."""
    card = three_clip_card(memory_card, 100_000)
    fast, slow, reports = disk_folder / "RAID", disk_folder / "SHUTTLE", tmp_path / "reports"
    for folder in (fast, slow, reports):
        folder.mkdir()
    assert _copy(reports, poppler, card, fast, "--cascade-to", slow).code == 0
    card.rename(card.with_name("away"))  # ejected, then formatted: it must not have been

    for json_lines in (False, True):
        again = _copy(reports, poppler, card, fast, "--cascade-to", slow, json_lines=json_lines)
        assert again.code == 0, again.err
        release = again.report["card_release"]
        assert not release["may_format"] and release["files_verified_earlier_only"] == 3, release
        _said(
            again,
            f"Do not format the card: it ({card}) was absent, this run's source was its fast "
            f"copy {fast / card.name}; 3 of 3 files are verified only by an earlier run "
            "(trusted from the ledger) and not read back by this run, so nothing it did proves "
            "them (--reverify reads them back).",
        )
        for words in (again.err, again.documents, json.dumps(again.events)):
            assert "may be formatted" not in words, words


def test_a_plain_rerun_says_its_release_rests_on_the_ledger(
    tmp_path: Path, memory_card: Path, disk_folder: Path, poppler: dict[str, str]
) -> None:
    """An ordinary offload run again (no cascade): every copy is verified earlier, trusted
    from the ledger, read back by nothing in this run. The rule counts such copies (the
    earlier run read them back), but the answer must say what it rests on (failed before:
    the plain "The card may be formatted: every file is verified (read back) ..." of a run
    that read nothing back). With --reverify the plain words again."""
    card = three_clip_card(memory_card, 100_000)
    raid, reports = disk_folder / "RAID", tmp_path / "reports"
    raid.mkdir()
    reports.mkdir()
    assert _copy(reports, poppler, card, raid).code == 0

    for json_lines in (False, True):
        again = _copy(reports, poppler, card, raid, json_lines=json_lines)
        assert again.code == 0, again.err
        release = again.report["card_release"]
        assert release["may_format"], release
        _said(
            again,
            "The card may be formatted on the ledger's word (3 of 3 files verified only by an "
            "earlier run, trusted from the ledger, not read back now: --reverify reads them "
            "back): every file is verified (read back) on 1 disk other than the card's.",
        )
        assert release["files_verified_earlier_only"] == 3, release
        for words in (again.err, again.documents, release["text"]):
            assert "The card may be formatted:" not in words, words

    reverified = _copy(reports, poppler, "--reverify", card, raid)
    assert reverified.code == 0, reverified.err
    release = reverified.report["card_release"]
    assert release["files_verified_earlier_only"] == 0, release
    _said(reverified, "The card may be formatted: every file is verified (read back) on 1 disk")


def test_of_two_fast_copies_only_the_one_the_cascade_read_is_said_read(
    tmp_path: Path,
    memory_card: Path,
    disk_folder: Path,
    poppler: dict[str, str],
    browser: Browser,
) -> None:
    """Two fast copies an earlier run verified, a new slow destination: the cascade feeds it
    from the first fast copy only, which its read proves, and the card is released then. The
    second fast copy was read by nothing in this run: no word says it was (failed before:
    "CARD RELEASED: ... all 3 files are verified on RAID1, RAID2, the 3 an earlier run
    verified now read again by the cascade", and "once the cascade had read the fast copies
    an earlier run verified" in the summary and the documents). And no word says the first
    was not read: each of its rows, its destination's result, the copies' count and the
    headline in the HTML (Chromium) and the PDF say its copies were read again now by the
    cascade (failed before: "Verified earlier (..., not re-read)" for both)."""
    card = three_clip_card(memory_card, 100_000)
    raid1, raid2 = disk_folder / "RAID1", disk_folder / "RAID2"
    slow, reports = disk_folder / "SHUTTLE", tmp_path / "reports"
    for folder in (raid1, raid2, slow, reports):
        folder.mkdir()
    assert _copy(reports, poppler, card, raid1, raid2).code == 0

    run = _copy(reports, poppler, card, raid1, raid2, "--cascade-to", slow)
    assert run.code == 0, run.err
    assert (
        f"CARD RELEASED: {card} can be ejected: all 3 files are verified on {raid1}, {raid2}, "
        f"the 3 an earlier run verified on {raid1} now read again by the cascade and equal to "
        f"the card's digests; those on {raid2} are verified earlier (trusted from the ledger, "
        "not read back now)." in run.err
    ), run.err
    assert (
        f"once the cascade had read the copies on {raid1} an earlier run verified and found "
        f"them equal to the card's digests (those on {raid2} are "
        "verified earlier, trusted from the ledger, not read again)" in run.err
    ), run.err
    assert (
        "once the cascade had read the copies on destination 1 an earlier run verified and "
        "found them equal to the card's digests (those on destination 2 are verified "
        "earlier, trusted from the ledger, not read again)" in run.documents
    ), run.documents
    cascade = run.report["cascade"]
    assert cascade["card_released_after_reread"] and cascade["fast_copies_reread"] == [0]
    for entry in run.report["files"]:
        states = {d["index"]: d["status"] for d in entry["destinations"]}
        assert states == {0: "verified_earlier", 1: "verified_earlier", 2: "verified"}, entry
    # The terminal's count of them, and its lines below (failed before: "6 earlier (not
    # re-read)", "not re-read now: 6").
    assert "and 6 earlier (3 read again now by the cascade, 3 not re-read)" in run.err, run.err
    assert (
        "verified earlier and trusted from the destination's ledger: 6 (verified " in run.err
        and "), 3 of them read again now by the cascade and equal to the card's digests, 3 not "
        f"re-read now ({EARLIER_RESTS_ON})."
        in run.err
    ), run.err
    assert "not re-read now: 6" not in run.err
    # The documents' rows: RAID1's copies read again by the cascade, RAID2's not re-read.
    (written,) = [
        p
        for p in reports.glob("*.html")
        if json.loads(p.with_suffix(".json").read_text()).get("cascade")
    ]
    page = browser.open(written)
    assert page.errors == []
    pdf = pdf_words(poppler, written.with_suffix(".pdf"))
    for text in (" ".join(page.text.split()), pdf):
        # Page 1 names the clips too (random bytes: not readable as media): their rows.
        rows = text[text.index("Clips and files") :]
        for clip in ("A001C001", "A001C002", "A001C003"):
            at = rows.index(f"{clip}.mov")
            row = rows[at : rows.index("Verified now", at)]
            assert (
                "Verified earlier (" in row
                and "full verification; read again now by the cascade, equal to the card's digests)"
                in row
            ), row
            assert row.count("not re-read") == 1, row  # RAID2's
        assert "2 read again now by the cascade" not in text
        # The terminal's words (``cascade_words.earlier_how``; failed before: "3 not re-read
        # now" here, "3 not re-read" there).
        assert (
            "ALL COPIES VERIFIED (6 of 9 verified earlier, 3 read again now by the cascade, 3 "
            "not re-read)" in text
        ), text[:3000]
        # The PDF's result cell wraps beside the destination's path, whose length is the
        # test folder's: its next line's words may come after the path in the text.
        assert "3 verified earlier (read again now by the cascade, equal" in text
        assert "3 verified earlier (not re-read)" in text
    # Proven now on SHUTTLE (and RAID1 by the cascade's read): no ledger words needed.
    release = run.report["card_release"]
    assert release["may_format"] and release["files_verified_earlier_only"] == 0, release

    # The same with --json to a new slow destination: the event names the copy read.
    other = disk_folder / "SHUTTLE2"
    other.mkdir()
    json_run = _copy(reports, poppler, card, raid1, raid2, "--cascade-to", other, json_lines=True)
    assert json_run.code == 0, json_run.err
    released = [e for e in json_run.events if e["event"] == "card_released"]
    assert [
        (e["after_cascade"], e["reread"], e["not_reread"], e["files_verified_earlier"])
        for e in released
    ] == [(False, [], [], 3), (True, [str(raid1)], [str(raid2)], 3)], released
    assert json_run.report["card_release"]["may_format"], json_run.report["card_release"]
