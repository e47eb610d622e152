"""The documents a producer reads, checked as one reads them (QA, twenty-seventh pass): real
runs of the real CLI as a child process, the HTML opened in headless Chromium, the PDF read
with pdftotext. Each test is a finding: it failed before its fix.

* The cascade's sentence in the HTML and PDF gave the card's release (or the end of its
  pass) as the JSON holds it, ``2026-12-04T21:49:34Z``, where every other time of the
  documents reads ``2026-12-04 21:49:34 UTC``.
* A file name holding a control character (a line break, BEL, a tab) was put in the HTML
  raw: a list item showed a line break as a space (``new line.mov``, another name) and BEL
  as nothing; the PDF drew each as ``?``; the terminal spells it ``new\\x0aline.mov``.
* A ``--verify transfer`` run was named "transfer verification" in the summary's table title
  and under the documents' verdict: no copy of it is read back.
* A name that is not UTF-8 had its preflight warning say "its copy is verified" in the
  Warnings of a ``--verify transfer`` run (COPIED, TRANSFER-CHECKED ONLY), as it did in a
  failed or cancelled one: a warning written before the copy promised its outcome.
* Copies of ours overwritten with other content of the same size, past twenty: page 1's
  line and the folded row gave their shared error cut at its remedy's last ": "
  ("--reverify replaces it)"), the reason lost, the brackets unbalanced.
* Copies trusted from the ledger's transfer-mode records, their rows "Transfer-checked
  earlier", were counted "transfer-checked only (not read back)" in their destination's
  result and the Totals, where copies verified earlier are counted apart.
* A multi-line ``--comment`` read ``line1\\x0aline2`` in the HTML and PDF: the DIT's own
  free text keeps its line breaks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from report.helpers import Browser, pdf_text
from support.offload_cli import run_offload

ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
REPORT_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"


def _card_and_destinations(
    card: Path, size: int, tmp_path: Path, *destinations: str
) -> tuple[Path, ...]:
    """Make *card* (a folder named like its three clips, ``<name>_0.mov`` to ``_2``, of
    *size*, *size* + 1, *size* + 2 random bytes) and the empty *destinations* under
    *tmp_path*: those folders, then *tmp_path*/reports (not made: the run makes it)."""
    card.mkdir()
    for index in range(3):
        (card / f"{card.name}_{index}.mov").write_bytes(os.urandom(size + index))
    folders = tuple(tmp_path / name for name in destinations)
    for folder in folders:
        folder.mkdir()
    return (*folders, tmp_path / "reports")


def _offloaded_twice(tmp_path: Path, name: str) -> subprocess.CompletedProcess[str]:
    """Offload a card *tmp_path*/*name* (one clip, ``<name>_0001.mov``, 1000 random bytes)
    to *tmp_path*/RAID, then again (nothing new: a re-run), each run exiting 0, their
    reports in *tmp_path*/first and *tmp_path*/again: the re-run's process."""
    card = tmp_path / name
    card.mkdir()
    (card / f"{name}_0001.mov").write_bytes(os.urandom(1_000))
    (tmp_path / "RAID").mkdir()
    for run in ("first", "again"):
        done = run_offload("copy", "--report-dir", tmp_path / run, card, tmp_path / "RAID")
        assert done.returncode == 0, done.stderr
    return done


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_cascade_sentence_gives_its_time_as_the_documents_give_times(
    tmp_path: Path, memory_card: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """A cascade that releases the card (the card on tmpfs, both destinations on a disk):
    the HTML's and PDF's "Cascading copy" warning says when in the documents' own form,
    as "Started" and "Finished" do. Failed before: "The card was released at
    2026-12-04T21:49:34Z"."""
    card = memory_card / "C9"
    fast, slow, reports = _card_and_destinations(card, 50_000, tmp_path, "fast", "slow")
    done = run_offload("copy", "--report-dir", reports, "--cascade-to", slow, card, fast, slow)
    assert done.returncode == 0, done.stderr
    assert "CARD RELEASED" in done.stderr, done.stderr
    (job,) = reports.glob("C9_*.json")
    page = browser.open(job.with_suffix(".html"))
    assert page.errors == []
    for text in (_flat(page.text), _flat(pdf_text(poppler, job.with_suffix(".pdf")))):
        sentence = text[text.index("Cascading copy") :][:200]
        assert re.search(f"The card was released at {REPORT_TIME};", sentence), sentence
        assert not ISO_TIME.search(text), ISO_TIME.search(text)


CLASHING = ("new\nline.mov", "bell\x07.mov", "tab\there.mov")


def test_a_name_with_a_control_character_reads_in_the_html_as_on_the_terminal(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """Three files whose names hold a line break, BEL and a tab, each refused on the second
    destination (another file is in the way there): the HTML's problem lines, its card
    release and its rows name each as the terminal does (``new\\x0aline.mov``), never as
    another name. Failed before: "new line.mov" (the line break a space) and "bell.mov"
    (BEL drawn as nothing)."""
    card = tmp_path / "C8"
    card.mkdir()
    for name in ("C8_0001.mov", *CLASHING):
        (card / name).write_bytes(os.urandom(20_000))
    one, two, reports = tmp_path / "one", tmp_path / "two", tmp_path / "reports"
    one.mkdir()
    (two / "C8").mkdir(parents=True)
    # A copy of this card already there (with its dates): the folder is the card's, and the
    # files in the way are refused alone.
    shutil.copy2(card / "C8_0001.mov", two / "C8" / "C8_0001.mov")
    for name in CLASHING:
        (two / "C8" / name).write_bytes(b"someone else's file\n")
    done = run_offload("copy", "--report-dir", reports, card, one, two)
    assert done.returncode == 1, done.stderr
    (job,) = reports.glob("C8_*.json")
    page = browser.open(job.with_suffix(".html"))
    assert page.errors == []
    html_text = page.text
    terminal = done.stderr
    for name, shown, misread in (
        ("new\nline.mov", "new\\x0aline.mov", "new line.mov"),
        ("bell\x07.mov", "bell\\x07.mov", "bell.mov"),
        ("tab\there.mov", "tab\\x09here.mov", "tab here.mov"),
    ):
        assert shown in terminal, terminal
        assert html_text.count(shown) >= 3, (shown, html_text)  # problem, release, row
        assert misread not in html_text, (misread, html_text)
        assert name not in html_text, (name, html_text)
    # The PDF spells them so too: one spelling of a name in every document. Failed before:
    # "new?line.mov" (every control character "?", a name "new?line.mov" may be another
    # file), beside the same line's error naming "new\x0aline.mov".
    pdf = _flat(pdf_text(poppler, job.with_suffix(".pdf")))
    for shown in ("new\\x0aline.mov", "bell\\x07.mov", "tab\\x09here.mov"):
        assert pdf.count(shown) >= 3, (shown, pdf)
    assert "?" not in pdf, pdf


def test_a_transfer_checked_run_is_worded_as_no_verification_anywhere(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """``--verify transfer`` reads no copy back: the summary's table title, the HTML's and
    the PDF's line under the verdict name the run's check "transfer check only", as the
    verdict ("TRANSFER-CHECKED ONLY") and every copy's state do; no word of them says
    verified or verification (but the Verification column's heading, the commands
    ``ascmhl-debug verify``/``offload verify`` a note names and the option ``--verify transfer``;
    the summary's table keeps its "verified now" column, 0). Failed before: "transfer
    verification, xxh64" and "2 destination(s); transfer verification (xxh64)"."""
    card = tmp_path / "C7"
    one, two, reports = _card_and_destinations(card, 20_000, tmp_path, "one", "two")
    done = run_offload("copy", "--verify", "transfer", "--report-dir", reports, card, one, two)
    assert done.returncode == 0, done.stderr
    (job,) = reports.glob("C7_*.json")
    page = browser.open(job.with_suffix(".html"))
    assert page.errors == []
    pdf = pdf_text(poppler, job.with_suffix(".pdf"))
    # The summary's table keeps its "verified now" column, 0 here (design: never left out).
    terminal = _flat(done.stderr)
    assert f"{card}: transfer check only, xxh64" in terminal, terminal
    assert "transfer verification" not in terminal, terminal
    for where, text in (("HTML", page.text), ("PDF", pdf)):
        flat = _flat(text)
        assert "; transfer check only (xxh64)" in flat, (where, flat)
        # The option's own name (the Disk line: "its copies are not read back (--verify
        # transfer)") is no claim of verification either.
        said = re.sub(r"(ascmhl|offload) verify|--verify transfer|Verification", "", flat)
        assert not re.search("verif", said, re.IGNORECASE), (where, flat)


def test_a_preflight_warning_promises_no_outcome_in_a_transfer_checked_run(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """A card file named by bytes that are not UTF-8, copied with ``--verify transfer``:
    the HTML's and PDF's Warnings say what was known before the copy ("its copy is checked
    like any other"), never that it is verified, while the verdict says TRANSFER-CHECKED
    ONLY. Failed before: "... takes it as it is and its copy is verified, but ..."."""
    card = tmp_path / "X"
    one, reports = _card_and_destinations(card, 1_000, tmp_path, "one")
    with open(os.fsencode(card) + b"/bad_\xff.txt", "wb") as handle:
        handle.write(b"x")
    done = run_offload("copy", "--verify", "transfer", "--report-dir", reports, card, one)
    assert done.returncode == 0, done.stderr
    (job,) = reports.glob("X_*.json")
    page = browser.open(job.with_suffix(".html"))
    pdf = pdf_text(poppler, job.with_suffix(".pdf"))
    for where, text in (("terminal", done.stderr), ("HTML", page.text), ("PDF", pdf)):
        flat = _flat(text)
        assert "is not valid UTF-8" in flat, (where, flat)
        assert "its copy is checked like any other" in flat, (where, flat)
        assert "its copy is verified" not in flat, (where, flat)
    assert "TRANSFER-CHECKED ONLY" in _flat(page.text)


def test_the_summary_gives_the_runs_time_as_the_documents_do(
    tmp_path: Path, browser: Browser
) -> None:
    """A re-run with nothing new to copy takes some milliseconds: the summary's last words
    and the HTML's "Elapsed" give the same time ("under 0.1 s", one rule,
    ``words.duration``). Failed before: "nothing written (0.0 s)" beside "Elapsed under
    0.1 s" (a time spent is never 0.0 s)."""
    done = _offloaded_twice(tmp_path, "C6")
    said = re.search(r"nothing written \(([^)]*)\)\.", done.stderr)
    assert said, done.stderr
    (job,) = (tmp_path / "again").glob("C6_*.json")
    page = browser.open(job.with_suffix(".html"))
    elapsed = re.search(r"^Elapsed\t(.*)$", page.text, re.MULTILINE)
    assert elapsed, page.text
    assert said.group(1) == elapsed.group(1), (said.group(0), elapsed.group(0))
    assert said.group(1) != "0.0 s"


def test_the_summarys_local_times_say_their_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, browser: Browser
) -> None:
    """The summary gives times in the machine's zone, its zone named: a re-run's "verified
    earlier" line says which zone its time is in. Failed before: "(verified 2026-12-04
    22:46 by full verification; ...)" beside the HTML's "2026-12-04 21:46 UTC". The HTML
    says the same time in the same zone (words70): it gave UTC, an hour apart in Berlin,
    a second time of one moment (failed before: "Verified earlier (2026-12-04 21:46 UTC")."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    done = _offloaded_twice(tmp_path, "C4")
    (job,) = (tmp_path / "again").glob("C4_*.json")
    data = json.loads(job.read_text())
    at = data["files"][0]["destinations"][0]["verified_at"]
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    berlin = moment.astimezone(ZoneInfo("Europe/Berlin"))
    said = _flat(done.stderr)
    assert f"(verified {berlin:%Y-%m-%d %H:%M} {berlin:%Z} by full verification" in said, said
    page = browser.open(job.with_suffix(".html"))
    assert f"Verified earlier ({berlin:%Y-%m-%d %H:%M} {berlin:%Z}," in page.text, page.text
    assert f"{moment:%H:%M} UTC," not in page.text, page.text


def test_an_error_many_copies_share_is_given_whole_on_page_1(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """25 copies of ours (of 30) written over with other content of the same size: the same
    offload again fails each ("already exists with other content; not overwritten (...)"),
    and page 1 counts them in one line, the error's words whole and their brackets
    balanced, as each of those files' row does. Failed before: "with the same error
    (--reverify replaces it))", the reason lost."""
    card = tmp_path / "NOTES"
    card.mkdir()
    for index in range(30):
        (card / f"note_{index:04}.txt").write_bytes(os.urandom(100))
    disk = tmp_path / "disk"
    disk.mkdir()
    assert run_offload("copy", "-q", "--report-dir", tmp_path / "r0", card, disk).returncode == 0
    for copy in sorted((disk / "NOTES").glob("note_*.txt"))[5:]:
        when = copy.stat().st_mtime_ns + 2_000_000_000  # a later date, as a write later gives
        copy.write_bytes(os.urandom(100))
        os.utime(copy, ns=(when, when))
    reports = tmp_path / "reports"
    done = run_offload("copy", "--report-dir", reports, card, disk)
    assert done.returncode == 1, done.stderr
    (job,) = reports.glob("NOTES_*.json")
    page = _flat(browser.open(job.with_suffix(".html")).text)
    pdf = _flat(pdf_text(poppler, job.with_suffix(".pdf")))
    for where, text in (("HTML", page), ("PDF", pdf)):
        line = re.search(
            r"25 files FAILED on destination 1: .*? with the same error \((.*?)\), the first", text
        )
        assert line, (where, text)
        assert line[1].startswith("already exists with other content; not overwritten ("), line[1]
        assert line[1].count("(") == line[1].count(")"), line[1]
        assert "(25 files failed so here" in text, (where, text)
        # Each copy's row: its state the shared words, then the count.
        row = "FAILED: already exists with other content; not overwritten (--overwrite"
        assert row in text, (where, text)


def test_a_comment_keeps_its_line_breaks_and_escapes_other_controls(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """``--comment`` of two lines (and a tab): the HTML and the PDF show two lines, the tab
    spelled ``\\x09`` as the terminal spells it (a name's line break stays ``\\x0a``:
    ``test_a_name_with_a_control_character_reads_in_the_html_as_on_the_terminal``). Failed
    before: ``Reel 2\\x0aRain``."""
    card = tmp_path / "C9"
    one, reports = _card_and_destinations(card, 1_000, tmp_path, "one")
    comment = "Reel 2\nRain delay\t"
    done = run_offload("copy", "--comment", comment, "--report-dir", reports, card, one)
    assert done.returncode == 0, done.stderr
    (job,) = reports.glob("C9_*.json")
    page = browser.open(job.with_suffix(".html"))
    pdf = pdf_text(poppler, job.with_suffix(".pdf"))
    for where, text in (("HTML", page.text), ("PDF", pdf)):
        lines = [line.strip() for line in text.splitlines()]
        assert "\\x0a" not in text, (where, text)
        assert any(line.endswith("Reel 2") for line in lines), (where, lines)
        assert "Rain delay\\x09" in lines, (where, lines)


def test_a_reel_that_is_the_cards_name_keeps_its_line_break_spelled(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """Review of the report-words merge: the DIT's line breaks applied to the whole
    Production block, so the Reel, which falls back to the card's folder name, showed a
    ``\n`` in that name as a real line break (a card's names keep ``\x0a``). Failed
    before; the Reel row spells it as the Card block does."""
    card = tmp_path / "C9\nRAINDAY"
    one, reports = _card_and_destinations(card, 1_000, tmp_path, "one")
    done = run_offload("copy", "--report-dir", reports, card, one)
    assert done.returncode == 0, done.stderr
    (job,) = reports.glob("*.json")
    page = browser.open(job.with_suffix(".html"))
    pdf = pdf_text(poppler, job.with_suffix(".pdf"))
    for where, text in (("HTML", page.text), ("PDF", pdf)):
        named = [line for line in text.splitlines() if "RAINDAY" in line]
        bad = [line for line in named if "C9\\x0aRAINDAY" not in line]
        assert named and not bad, (where, bad)


def test_copies_transfer_checked_earlier_are_counted_as_their_rows_say(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    """A ``--verify transfer`` run again: each copy is trusted from the ledger's
    transfer-mode record, its row "Transfer-checked earlier (…, never read back)", and the
    destination's result and the Totals count them so, never as this run's "transfer-checked
    only". Failed before: "3 transfer-checked only (not read back)" in both."""
    card = tmp_path / "C5"
    one, _ = _card_and_destinations(card, 2_000, tmp_path, "one")
    for run in ("first", "again"):
        done = run_offload(
            "copy", "--verify", "transfer", "--report-dir", tmp_path / run, card, one
        )
        assert done.returncode == 0, done.stderr
    (job,) = (tmp_path / "again").glob("C5_*.json")
    page = browser.open(job.with_suffix(".html"))
    pdf = pdf_text(poppler, job.with_suffix(".pdf"))
    for where, text in (("HTML", page.text), ("PDF", pdf)):
        flat = _flat(text)
        assert len(re.findall(r"Transfer-checked earlier \(\d{4}-", flat)) == 3, (where, flat)
        # Up to "never": pdftotext reads the wrapped rest of the Result cell ("read back)")
        # after the copy root's path beside it where that path's glyphs widen its column (a
        # CI run's random tmp.XXXXXXXXXX folder did).
        said = "3 transfer-checked earlier (trusted from the ledger, never"
        assert f"≈ {said} read back)" in flat or f"~ {said}" in flat, (where, flat)  # HTML, PDF
        assert (
            "Copies: Transfer-checked earlier (trusted from the ledger, never read back) 3" in flat
        )
        assert "transfer-checked only (not read back)" not in flat.lower(), (where, flat)
