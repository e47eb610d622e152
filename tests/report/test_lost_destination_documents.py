"""A destination lost mid-card, read as a producer reads the documents (QA, twenty-eighth
pass): real runs of the real CLI as a child process onto real FUSE mounts (FaultyFS), the
PDF read with pdftotext and pdfinfo, the HTML opened in headless Chromium, the CSV read.

Failed before: a card of 3,005 files whose second destination was lost (a rename there
answered EIO) made a PDF of 511 pages (8 pages of problems each spelling out the same
loss for one file, then a row a file, ~10 lines each) and an HTML of 2 MB. Now the loss is
one line of page 1 with its count, the rows of the files it took fold by folder, and a
file that failed for a reason of its own (a read-back that did not match) keeps its line
and its row."""

from __future__ import annotations

import csv
import errno
import json
import os
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from report.helpers import Browser, pdf_info, pdf_text, pdf_words
from support.faultyfs import FaultyFS
from support.offload_cli import CLI, run_offload

pytestmark = [pytest.mark.fault, pytest.mark.timeout(240)]

FILES = 3_000  # in 6 folders of 500, beside 5 clips
MISMATCHED = "DATA/d0/f00007.bin"  # read back wrong on destination 1: its own failure
# Each row of the clip list: its name, its folder, then each destination's state cell as
# "class|words".
ROWS = (
    "JSON.stringify([...document.querySelectorAll('table.clips tbody tr')].map(tr => ["
    "tr.querySelector('td.name b').innerText,"
    "(tr.querySelector('td.name .folder') || {innerText: ''}).innerText,"
    "...[...tr.querySelectorAll('td.state')].map(td => td.className + '|' + td.innerText)]))"
)


def _card(root: Path) -> Path:
    card = root / "A001"
    for index in range(FILES):
        folder = card / "DATA" / f"d{index // 500}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index:05d}.bin").write_bytes(os.urandom(2_000))
    (card / "CLIPS").mkdir()
    for index in range(5):
        (card / "CLIPS" / f"A001C{index:03d}.mov").write_bytes(os.urandom(20_000))
    return card


@pytest.fixture
def lost_run(tmp_path: Path, faulty_fs: Callable[..., FaultyFS]) -> dict[str, Path]:
    """The card offloaded to two FUSE drives: on the first, one file read back wrong (a
    byte flipped on its way to the drive: a failure of its own); the second lost when the rename
    of a file of its second folder answered EIO. Its report files by suffix."""
    card = _card(tmp_path)
    first, second = faulty_fs(), faulty_fs()
    flip = first.flip(100, path="*f00007.bin")
    loss = second.fail("rename", errno.EIO, path="*DATA/d1/f*.bin", nth=1)
    reports = tmp_path / "reports"
    done = run_offload("copy", "--report-dir", reports, card, first.mountpoint, second.mountpoint)
    assert done.returncode == 1, done.stderr
    assert first.fired(flip) >= 1 and second.fired(loss) == 1
    return {path.suffix: path for path in reports.iterdir()}


def test_a_lost_destination_is_one_line_and_every_file_is_in_the_csv(
    lost_run: dict[str, Path], poppler: dict[str, str], browser: Browser
) -> None:
    with lost_run[".csv"].open(encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table))
    on_lost = [r for r in rows if r["destination_index"] == "1"]
    assert len(on_lost) == FILES + 5
    failed_there = [r["relative_path"] for r in on_lost if r["status"] == "failed"]
    mismatched = [r for r in rows if r["destination_index"] == "0" and r["status"] == "failed"]
    assert [r["relative_path"] for r in mismatched] == [MISMATCHED]

    # The PDF: bounded, and what it says is true.
    pages = int(pdf_info(poppler, lost_run[".pdf"])["Pages"])
    assert pages <= 6, pages  # 511 before
    text = pdf_text(poppler, lost_run[".pdf"])
    page1 = text.split("\f")[0]
    count = f"{len(failed_there):,} files FAILED on destination 2"
    assert count in " ".join(page1.split()), page1
    # When: the JSON's lost_at, within the run, on the LOST line.
    report = json.loads(lost_run[".json"].read_text(encoding="utf-8"))
    lost_at = report["destinations"][1]["lost_at"]
    assert report["started"] <= lost_at <= report["finished"]
    assert report["destinations"][0]["lost_at"] is None
    at = lost_at.replace("T", " ").replace("Z", " UTC")
    assert f"LOST at {at}: cannot rename" in " ".join(page1.split()), page1
    # The verdict counts what page 1 shows: its 3 lines (the LOST line, the count, the
    # mismatch), and the files that failed (was "FAILED: 3,0xx problem(s)" over 3 lines).
    failed_files = {r["relative_path"] for r in rows if r["status"] == "failed"}
    verdict = (
        f"FAILED: {len(failed_files):,} of {FILES + 5:,} files failed on 2 destinations; "
        "3 problems, listed first below"
    )
    assert verdict in " ".join(page1.split()) and "Problems (3)" in page1, page1
    # The file that failed for its own reason is named on page 1, with that reason.
    assert "f00007.bin" in page1 and "does not match" in " ".join(page1.split()), page1
    # Not a line a file of the loss: each file of it is named no more than on its row
    # (the one whose rename failed also in the loss's cause).
    assert text.count("not completed: the destination failed") <= 5, "rows of the loss"
    # The HTML: small, fast to open, nothing that matters hidden.
    html = lost_run[".html"]
    assert html.stat().st_size < 300_000, html.stat().st_size  # 2 MB before
    started = time.monotonic()
    page = browser.open(html, measure=ROWS)
    loaded_s = time.monotonic() - started
    assert page.errors == []
    assert loaded_s < 10, loaded_s
    flat = " ".join(page.text.split())
    assert count in flat and "f00007.bin" in flat
    # Each row says on each destination what the CSV says of its files there.
    assert _rows_as_the_csv(json.loads(page.measured), rows, 2) >= 6


def _rows_as_the_csv(listed: list[list[str]], rows: list[dict[str, str]], count: int) -> int:
    """Check each row of the clip list (``ROWS``'s) against the CSV's *rows*: on each of
    the *count* destinations, a failed cell where a file of the row failed there, the
    share verified where some did and some failed, never "Verified" where none is; a
    folded row counts the files of its folder that have no row of their own. Returns how
    many rows are folded."""
    status = {(r["relative_path"], r["destination_index"]): r["status"] for r in rows}
    own = {f"{folder}{name}" for name, folder, *_ in listed if not name.endswith(" files)")}
    folded = 0
    for name, folder, *cells in listed:
        assert len(cells) == count, cells
        folder_of = re.fullmatch(r"(.+)/ \((\d+) files\)", name)
        if folder_of:
            folded += 1
            paths = [
                p
                for p, i in status
                if i == "0" and p.startswith(folder_of[1] + "/") and p not in own
            ]
            assert len(paths) == int(folder_of[2]), name
        else:
            paths = [f"{folder}{name}"]
        for index, cell in enumerate(cells):
            css, _, words = cell.partition("|")
            states = Counter(status[p, str(index)] for p in paths)
            assert ("failed" in css) == bool(states["failed"]), (name, cell, states)
            if states["verified"] and states["failed"]:
                assert f"of {len(paths)} files" in words, (name, cell)
                assert f": {states['verified']} of {len(paths)} files" in words, (name, cell)
            if not states["verified"]:
                assert "Verified" not in words, (name, cell)
    return folded


def test_a_card_pulled_mid_card_is_its_line_and_folded_rows(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    poppler: dict[str, str],
    browser: Browser,
) -> None:
    """Failed before: a card of 3,000 files pulled at its 1,201st (its FUSE daemon killed
    while the file's open was held) made a PDF of 166 pages: its line counting the files
    that failed for it, then two lines a file (the card's read, the copy) and a row a
    file. Now that line stands for them, and their rows fold by folder, each saying how
    many of its files the card did not give."""
    card_fs = faulty_fs()
    for index in range(FILES):
        folder = card_fs.mountpoint / "DATA" / f"d{index // 500}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index:05d}.bin").write_bytes(os.urandom(2_000))
    held = card_fs.stall("open", path="*d2/f01200.bin")
    destination, reports = tmp_path / "RAID", tmp_path / "reports"
    destination.mkdir()
    command = [*CLI, "copy", "--report-dir", str(reports), str(card_fs.mountpoint)]
    with subprocess.Popen(
        [*command, str(destination)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as process:
        card_fs.wait_stalled(held, timeout_s=120)
        card_fs.kill()  # the card pulled: ENOTCONN from now on
        _, stderr = process.communicate(timeout=180)
    assert process.returncode == 1, stderr
    made = {path.suffix: path for path in reports.iterdir()}
    with made[".csv"].open(encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table))
    assert len(rows) == FILES
    failed = [r for r in rows if r["status"] == "failed"]
    assert failed and all(r["source_error"] for r in failed)
    assert len(failed) < FILES  # some copied before the pull

    pages = int(pdf_info(poppler, made[".pdf"])["Pages"])
    assert pages <= 6, pages  # 166 before
    page1 = " ".join(pdf_text(poppler, made[".pdf"]).split("\f")[0].split())
    assert f"{len(failed):,} files of it failed as read" in page1, page1
    assert page1.count("Card read FAILED") == 0, page1

    page = browser.open(made[".html"], measure=ROWS)
    assert page.errors == []
    assert made[".html"].stat().st_size < 300_000
    assert _rows_as_the_csv(json.loads(page.measured), rows, 1) >= 3
    flat = " ".join(page.text.split())
    gone_rows = re.findall(r"CARD READ FAILED: (\d+) of (\d+) files: the card went away", flat)
    assert sum(int(n) for n, _ in gone_rows) == len(failed), gone_rows


def test_a_folder_a_destination_refused_is_one_line_and_a_folded_row(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    poppler: dict[str, str],
    browser: Browser,
) -> None:
    """Failed before: a destination that refused every file of one folder (EACCES at each
    create; the destination not lost) gave page 1 a line a file, each naming its own
    temporary file, and a row a file: 53 pages for 500 files. Past LISTED_ALONE copies of
    one destination failed with the same error (the file's path taken out), one line counts
    them, naming the first; their rows fold; a read-back that did not match there (its
    digests its own) keeps its line and its row."""
    card = _card(tmp_path)
    plain = tmp_path / "RAID"
    plain.mkdir()
    drive = faulty_fs()
    refused = drive.fail("create", errno.EACCES, path="*DATA/d1/*")
    flip = drive.flip(100, path="*f00007.bin")
    reports = tmp_path / "reports"
    done = run_offload("copy", "--report-dir", reports, card, plain, drive.mountpoint)
    assert done.returncode == 1, done.stderr
    assert drive.fired(refused) >= 500 and drive.fired(flip) >= 1
    # The terminal counts them alike: one ERROR line, then the count (500 lines before).
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR: ")]
    assert sum("Permission denied (EACCES)" in line for line in errors) == 1, errors
    assert any(
        line.startswith("ERROR: ... and 499 more files on ") and "failed: same error" in line
        for line in errors
    ), errors
    assert any("does not match the source" in line for line in errors), errors
    made = {path.suffix: path for path in reports.iterdir()}
    with made[".csv"].open(encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table))
    failed = sorted(r["relative_path"] for r in rows if r["status"] == "failed")
    assert len(failed) == 501 and MISMATCHED in failed

    pages = int(pdf_info(poppler, made[".pdf"])["Pages"])
    assert pages <= 6, pages
    page1 = " ".join(pdf_text(poppler, made[".pdf"]).split("\f")[0].split())
    assert "500 files FAILED on destination 2: faultyfs0 with the same error (Permission " in (
        page1
    ), page1
    assert f"{MISMATCHED} on destination 2: faultyfs0: FAILED:" in page1 or (
        "f00007.bin on /" in page1 and "does not match the source" in page1
    ), page1
    assert page1.count("Permission denied (EACCES)") == 2, page1  # the count line's two

    page = browser.open(made[".html"], measure=ROWS)
    assert page.errors == []
    listed = json.loads(page.measured)
    assert _rows_as_the_csv(listed, rows, 2) >= 6
    assert ["f00007.bin", "DATA/d0/"] in [row[:2] for row in listed]


def test_a_drive_whose_every_read_back_is_wrong_lists_twenty_and_counts_the_rest(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    poppler: dict[str, str],
    browser: Browser,
) -> None:
    """Failed before: a drive that gave every file back wrong (a byte flipped on each
    read-back: each file its own digests, no error shared) printed an ERROR line a file on
    the terminal and a line a file on page 1 (up to 200). Now each destination lists its
    first LISTED_ALONE failures of their own, then one line counts the rest; the CSV and
    the clip list's rows keep every file."""
    from offload.report.loss import LISTED_ALONE

    count = 60
    card = tmp_path / "A001"
    for index in range(count):
        folder = card / "DATA" / f"d{index // 30}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index:05d}.bin").write_bytes(os.urandom(2_000))
    plain = tmp_path / "RAID"
    plain.mkdir()
    drive = faulty_fs()
    flip = drive.flip(100, path="*.bin", op="read")
    reports = tmp_path / "reports"
    done = run_offload("copy", "--report-dir", reports, card, plain, drive.mountpoint)
    assert done.returncode == 1, done.stderr
    assert drive.fired(flip) >= count
    more = count - LISTED_ALONE
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR: ")]
    assert sum("does not match the source" in line for line in errors) == LISTED_ALONE, errors
    assert errors[-1] == (
        f"ERROR: ... and {more} more files on {drive.mountpoint} did not match the source "
        "when read back, each with its own digests (the reports list each)"
    ), errors
    made = {path.suffix: path for path in reports.iterdir()}
    with made[".csv"].open(encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table))
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == count and {r["destination_index"] for r in failed} == {"1"}
    assert all("does not match the source" in r["error"] for r in failed)

    # The problems (the first page holds 19 of these lines): up to the card's facts.
    text = pdf_words(poppler, made[".pdf"])
    problems = text.partition("Production and card")[0]
    assert problems.count("does not match the source") == LISTED_ALONE, problems
    counted = (
        f"… and {more} more files on destination 2: faultyfs0 did not match the source when "
        "read back, each with its own digests: the clip list and the CSV and JSON reports list "
        "each, with its error"
    )
    assert counted in problems, problems
    # The verdict and the heading count the 21 lines, and say how many files failed where,
    # as the terminal's verdict does (was "FAILED: 60 problem(s)" and "Problems (60)").
    assert (
        f"FAILED: {count} of {count} files failed on 1 destination; {LISTED_ALONE + 1} "
        "problems, listed first below"
    ) in problems, problems
    assert f"Problems ({LISTED_ALONE + 1})" in problems, problems
    assert (
        f"NOT ALL VERIFIED: {count} of {count} files failed on 1 destination (listed below)"
        in " ".join(done.stderr.split())
    ), done.stderr

    page = browser.open(made[".html"], measure=ROWS)
    assert page.errors == []
    assert counted in " ".join(page.text.split())
    listed = json.loads(page.measured)
    assert len(listed) == count  # a row a file, each failed there
    assert _rows_as_the_csv(listed, rows, 2) == 0


def test_a_drive_whose_every_read_back_fails_with_one_error_is_one_line(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    poppler: dict[str, str],
) -> None:
    """A drive whose every read-back fails with one errno that does not lose it (EBADMSG: a
    filesystem's checksum refusing the read) is one line of page 1 and of the terminal, as
    an error many copies share (``Losses.alike``; EIO loses the destination: its LOST
    line). The verdict counts that one line and the files (failed before: "FAILED: 30
    problem(s)" and "Problems (30)" over one line)."""
    count = 30
    card = tmp_path / "A001"
    (card / "DATA").mkdir(parents=True)
    for index in range(count):
        (card / "DATA" / f"f{index:05d}.bin").write_bytes(os.urandom(2_000))
    plain = tmp_path / "RAID"
    plain.mkdir()
    drive = faulty_fs()
    refused = drive.fail("read", errno.EBADMSG, path="*.bin")
    reports = tmp_path / "reports"
    done = run_offload("copy", "--report-dir", reports, card, plain, drive.mountpoint)
    assert done.returncode == 1, done.stderr
    assert drive.fired(refused) >= count
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 2 and "Bad message (EBADMSG)" in errors[0], errors
    assert errors[1].startswith(f"ERROR: ... and {count - 1} more files on "), errors
    made = {path.suffix: path for path in reports.iterdir()}
    page1 = " ".join(pdf_text(poppler, made[".pdf"]).split("\f")[0].split())
    assert (
        f"FAILED: {count} of {count} files failed on 1 destination; 1 problem, listed first below"
    ) in page1, page1
    assert "Problems (1)" in page1, page1
    assert (
        f"{count} files FAILED on destination 2: faultyfs0 with the same error (Bad message "
        "(EBADMSG))"
    ) in page1, page1
