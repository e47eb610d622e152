"""A cascade's fast drive unmounted lazily (``umount -l``, what udisks does to a pulled drive)
at ``CARD RELEASED``, while the cascade still feeds the slow destination: its mount point is
then the bare folder on the disk below. Nothing may be written there: before the fix the
revocation of the fast copies made ``FAST/C9/.offload/ledger.jsonl`` anew on the system disk
(``os.makedirs``), the destination's reports followed into ``FAST/C9/.offload/reports``, and
the run said the ledger "no longer vouches" for copies whose drive never heard of it, and
with the drive back the same command trusted every fast copy as "verified earlier" (the run
that reported them failed). The cascade's mark on the drive (``cascade_unsettled``), written
before its first read and taken back only at its end with the drive there, has the re-run
read them back instead.

And the drive is LOST, in the words a run without a cascade gives a drive gone mid-run: its
row said FAILED (terminal, JSON, HTML/PDF), each of its copies had an ``ERROR`` line and a
page-1 line of its own, and the card's release no longer named the entries --ignore left
out.

Real parts: the card on a tmpfs, the fast drive an ext4 loop detached with ``umount2
(MNT_DETACH)``, the slow one a FaultyFS whose writes wait for the detach, the real CLI as a
subprocess."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.report.loss import LISTED_ALONE
from report.helpers import pdf_words
from support.cascade_drives import cascade_drives
from support.faultyfs import FaultyFS
from support.mounts import Ext4Loop, Mount, detach
from support.offload_cli import CLI, copy_acting_at_release, newest_report, run_offload

pytestmark = pytest.mark.fault


def test_a_fast_drive_detached_after_the_release_gets_nothing_written_below_its_mount_point(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    drives = cascade_drives(tmp_path, tmpfs_mount, ext4_loop, faulty_fs)
    card, fast, slow, reports = drives.card, drives.fast, drives.slow, drives.reports
    (card / "PROXY").mkdir()
    (card / "PROXY" / "a0.mp4").write_bytes(b"proxy")

    def pull_the_fast_drive(_process: object) -> None:  # the cascade's writes wait for it
        detach(fast.path)  # umount -l: the mount point is the folder below from now on
        slow.release(drives.stalled)

    released, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--ignore", "/PROXY", "--cascade-to",
        str(slow.mountpoint), str(card), str(fast.path), at_release=pull_the_fast_drive,
    )  # fmt: skip
    assert "can be ejected" in released, f"{code}: {rest}"
    assert "Traceback" not in rest, rest
    # Nothing made in the bare mount point: no copy root, no ledger, no reports.
    assert sorted(os.listdir(fast.path)) == [], rest
    # Its ledger was not told: said so, with what reads the copies back.
    assert "its ledger no longer vouches" not in rest, rest
    assert "the cascade's mark on that drive has a re-run read it back" in rest, rest
    # Said once, however many of the cascade's checks failed its copies (QA qa70c L3: the
    # same WARNING twice, from the cascade's reads and its end check).
    assert rest.count("WARNING: cannot revoke the copies the cascade found changed") == 1, rest
    # One reason a file, the drive's: never the card's words, nor --overwrite for a copy
    # that was not found bad.
    said = " ".join(rest.split())
    assert "was on the card when it was scanned" not in said, rest
    assert "when the cascade checked the fast copies at its end" not in said, rest
    # The summary's cascade sentence says the same (it said: re-run with --overwrite).
    assert "--overwrite" not in said, rest
    assert "its drive gone (listed below; not found bad): keep the card, reconnect" in said, rest
    gone = f"the drive holding {fast.path / 'C9'} is not reachable"
    # LOST, as without a cascade: the summary's row, one ERROR line and a count for its
    # copies (a line each before), the slow destination's line a file.
    assert "LOST: the drive holding" in said, rest  # its path folds in the column
    errors = [line for line in rest.splitlines() if line.startswith("ERROR: ")]
    assert errors[0].startswith(f"ERROR: destination {fast.path} lost: a0.mov: the copy"), errors
    assert errors[1].startswith(f"ERROR: ... and 3 more files on {fast.path} failed: same cause")
    slow_lines = [line for line in errors if ": not cascaded: its fast copy in" in line]
    assert len(slow_lines) == 4, errors
    assert all("reconnect that drive" in line for line in errors[:1] + slow_lines), errors
    assert not any("--overwrite" in line for line in errors), errors
    assert not any("cannot write the report" in line for line in errors), errors
    # The release names the entry left out, not the loss alone.
    release = (
        "Do not format the card: destination 1 was lost; 1 of the card's folders was left "
        "out by an ignore pattern (PROXY/ first)"
    )
    assert release in said, rest
    (local,) = sorted(reports.glob("C9_*.json"))
    data = json.loads(local.read_text())
    assert code == data["exit_code"] != 0, rest
    assert data["reports_refused"] == [], data["reports_refused"]  # lost: none written there
    (lost, _slow) = data["destinations"]
    assert (lost["lost"], lost["result"]) == (True, "failed"), lost
    assert lost["lost_reason"].startswith(gone) and lost["lost_at"], lost
    assert data["card_release"]["text"].startswith(release), data["card_release"]
    # The HTML/PDF: its row LOST with the reason, page 1's LOST line, each copy so worded.
    pdf = " ".join(pdf_words({"pdftotext": "pdftotext"}, local.with_suffix(".pdf")).split())
    assert "Destination 1: ext4-0 LOST at " in pdf, pdf
    assert "Result: × LOST: the drive holding" in pdf, pdf  # its path folds in the column
    assert "not verified here" not in pdf, pdf
    assert pdf.count("the destination was lost (the cause is under Problems)") == 4, pdf

    # The drive back (the run's last descriptor on it closed): its copies are read back, not
    # trusted from a ledger the failed run could not tell.
    subprocess.run(["mount", "-o", "loop", str(fast.image), str(fast.path)], check=True)
    again = run_offload(
        "copy", "--report-dir", reports, "--cascade-to", slow.mountpoint, card, fast.path
    )
    assert again.returncode == 0, again.stderr
    data = json.loads(
        max(reports.glob("C9_*.json"), key=lambda p: p.stat().st_mtime_ns).read_text()
    )
    statuses = {f["destinations"][0]["status"] for f in data["files"]}
    assert statuses == {"verified"}, statuses
    assert not (fast.path / "C9" / ".offload" / "cascade-unsettled.json").exists()


def test_a_fast_drive_lost_with_many_copies_is_never_said_lost_before_they_were_verified(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """25 files (past ``MAX_LOSS_LINES``: page 1 counts the loss's in one line). Failed
    before: that line said they FAILED "before their copies there were verified", false for
    a fast drive whose copies were verified before ``CARD RELEASED``; and the CSV's
    ``fed_from`` (and the JSON's count of it) named the fast copy on slow rows that failed
    because that copy could not be read."""
    drives = cascade_drives(tmp_path, tmpfs_mount, ext4_loop, faulty_fs, files=25, size=20_000)
    fast, slow, reports = drives.fast, drives.slow, drives.reports

    def pull_the_fast_drive(_process: object) -> None:
        detach(fast.path)
        slow.release(drives.stalled)

    released, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--cascade-to", str(slow.mountpoint), str(drives.card),
        str(fast.path), at_release=pull_the_fast_drive,
    )  # fmt: skip
    assert "can be ejected" in released, f"{code}: {rest}"
    assert "Traceback" not in rest, rest
    (local,) = sorted(reports.glob("C9_*.json"))
    data = json.loads(local.read_text())
    assert data["destinations"][0]["lost"], data["destinations"][0]
    pdf = " ".join(pdf_words({"pdftotext": "pdftotext"}, local.with_suffix(".pdf")).split())
    assert "25 files FAILED on destination 1: ext4-0, lost at " in pdf, pdf
    assert "before their copies there were verified" not in pdf, pdf
    # No slow copy names a fast copy it was not read from: none was read whole.
    with local.with_suffix(".csv").open(newline="") as table:
        rows = [row for row in csv.DictReader(table) if row["destination_index"] == "1"]
    assert len(rows) == 25 and all(row["status"] == "failed" for row in rows), rows
    assert [row["fed_from"] for row in rows] == [""] * 25, rows
    assert data["destinations"][1]["fed_from"] == [], data["destinations"][1]


def test_a_plain_destination_detached_after_its_copies_gets_no_folder_made_below_its_mount(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """No cascade: DEST0 (ext4) verifies its copies while DEST1's writes wait, and is
    unmounted lazily then. Before the fix the end of the run made the card's empty folder
    with its parents (``os.makedirs``) in the bare mount point, then its manifests and
    reports beside it, on the system disk."""
    drives = cascade_drives(tmp_path, tmpfs_mount, ext4_loop, faulty_fs, files=3, size=100_000)
    card, fast, slow, stalled, reports = drives
    (card / "EMPTY").mkdir()
    ledger = fast.path / "C9" / ".offload" / "ledger.jsonl"
    command = [*CLI, "copy", "--report-dir", str(reports), str(card), str(fast.path)]
    with subprocess.Popen(
        [*command, str(slow.mountpoint)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env={**os.environ, "COLUMNS": "200"},
    ) as process:  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if ledger.exists() and ledger.read_text().count('"verified"') >= 3:
                break
            time.sleep(0.02)
        detach(fast.path)
        slow.release(stalled)
        out, _ = process.communicate(timeout=120)
    assert sorted(os.listdir(fast.path)) == [], out
    assert "Traceback" not in out, out
    assert process.returncode == 1, out
    data = newest_report(reports)
    results = {d["copy_root"]: d["result"] for d in data["destinations"]}
    assert results[str(fast.path / "C9")] == "failed", results
    assert results[str(slow.mountpoint / "C9")] == "ok", results
    # Lost at a write after the detach (the ledger's check of its root, or its mkdir without
    # parents when the detach came between the two: ENOENT), or its finish refused.
    said = json.dumps(data)
    assert "is not reachable" in said or "(ENOENT)" in said, said


def test_a_fast_drive_that_is_the_copy_root_itself_gets_nothing_written_below_it(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """``--into``: the fast drive's mount point is the copy root itself, so after ``umount
    -l`` the copy root is still a folder (the bare one below): neither the card's pass
    record, the cascade's mark nor the reports may be written there. Failed before: the
    reports went to ``<mount point>/.offload/reports`` on the disk below."""
    card, fast, slow, stalled, reports = cascade_drives(
        tmp_path, tmpfs_mount, ext4_loop, faulty_fs, stall="*.mov"
    )
    for leftover in os.listdir(fast.path):  # lost+found: the copy root must be empty
        os.rmdir(fast.path / leftover)

    def pull_the_fast_drive(_process: object) -> None:
        detach(fast.path)
        slow.release(stalled)

    released, rest, code = copy_acting_at_release(
        "--into", "--report-dir", str(reports), "--cascade-to", str(slow.mountpoint),
        str(card), str(fast.path), at_release=pull_the_fast_drive,
    )  # fmt: skip
    assert "can be ejected" in released, f"{code}: {rest}"
    assert "Traceback" not in rest, rest
    assert sorted(os.listdir(fast.path)) == [], rest
    (local,) = sorted(reports.glob("C9_*.json"))
    data = json.loads(local.read_text())
    assert code == data["exit_code"] != 0, rest
    # Lost (its copies failed with it gone): no report tried there, none refused.
    assert data["reports_refused"] == [], data["reports_refused"]
    assert data["destinations"][0]["lost"], data["destinations"][0]


def test_more_than_twenty_files_not_cascaded_from_a_drive_gone_are_counted_in_one_line(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """The fast drive detached at ``CARD RELEASED`` with 25 files to feed the slow one: its
    25 "not cascaded" reasons are one error, so the first is listed and one line counts
    the rest, as other long lists are (``LISTED_ALONE``). Failed before: 20 lines, each
    naming its own fast copy's path (so no two alike), then "... and 5 more files on SLOW
    failed (the reports list each)"."""
    files = LISTED_ALONE + 5
    drives = cascade_drives(tmp_path, tmpfs_mount, ext4_loop, faulty_fs, files=files, size=1000)

    def pull_the_fast_drive(_process: object) -> None:
        detach(drives.fast.path)
        drives.slow.release(drives.stalled)

    _released, rest, code = copy_acting_at_release(
        "--report-dir", str(drives.reports), "--cascade-to", str(drives.slow.mountpoint),
        str(drives.card), str(drives.fast.path), at_release=pull_the_fast_drive,
    )  # fmt: skip
    assert code == 2, rest
    slow = [line for line in rest.splitlines() if str(drives.slow.mountpoint) in line]
    root = drives.fast.path / "C9"
    not_cascaded = [line for line in rest.splitlines() if ": not cascaded: " in line]
    assert not_cascaded == [
        f"ERROR: a0.mov: not cascaded: its fast copy in {root} could not be read, the drive "
        f"holding {root} is not reachable: the copy root is no longer there (its drive "
        "unmounted or pulled?): reconnect that drive and run the same command again"
    ], rest
    more = f"ERROR: ... and {files - 1} more files on {drives.slow.mountpoint} failed: same error"
    assert any(line.startswith(more) for line in slow), rest


def test_a_fast_drive_detached_after_the_cascade_read_it_is_lost_not_verified_everywhere(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """The fast drive unmounted lazily once the cascade has read its copy (its descriptor
    open, the slow drive's write of it held): the slow copy is fed right, and the check of
    the fast copies at the cascade's end finds the copy root on another filesystem. Failed
    before: that check looked no further at such a drive, so the run said "All 1 file ...
    verified on every destination", "run the same command again to write one there
    (nothing is copied again)" (a re-run with the drive still out copies the card into the
    bare mount point), the JSON's ``lost`` false and the PDF's copy "Verified now"."""
    drives = cascade_drives(tmp_path, tmpfs_mount, ext4_loop, faulty_fs, files=1)
    fast, slow = drives.fast, drives.slow

    def pull_the_fast_drive_once_read(_process: object) -> None:
        slow.wait_stalled(drives.stalled, timeout_s=60)  # its copy read, the write held
        detach(fast.path)
        slow.release(drives.stalled)

    released, rest, code = copy_acting_at_release(
        "--report-dir", str(drives.reports), "--cascade-to", str(slow.mountpoint),
        str(drives.card), str(fast.path), at_release=pull_the_fast_drive_once_read,
    )  # fmt: skip
    assert "can be ejected" in released, f"{code}: {rest}"
    assert "Traceback" not in rest, rest
    assert sorted(os.listdir(fast.path)) == [], rest
    said = " ".join(rest.split())
    assert "is verified on every destination" not in said, rest
    assert "0 are verified on every destination" in said, rest
    assert "nothing is copied again" not in said, rest
    assert "--overwrite" not in said, rest
    assert "LOST: the drive holding" in said, rest
    assert "reconnect that drive" in said, rest
    (local,) = sorted(drives.reports.glob("C9_*.json"))
    data = json.loads(local.read_text())
    assert code == data["exit_code"] == 1, rest  # the slow copy is verified
    lost, fed = data["destinations"]
    assert (lost["lost"], lost["result"], lost["files_verified"]) == (True, "failed", 0), lost
    assert (fed["result"], fed["files_verified"]) == ("ok", 1), fed
    assert data["reports_refused"] == [], data["reports_refused"]
    assert data["files"][0]["destinations"][1]["status"] == "verified", data["files"][0]
    # Not found bad: its drive gone (what the sentence's "reconnect that drive" is told by).
    assert data["files"][0]["destinations"][0]["fast_failure"] == "drive_gone", data["files"][0]
    pdf = " ".join(pdf_words({"pdftotext": "pdftotext"}, local.with_suffix(".pdf")).split())
    assert "Destination 1: ext4-0 LOST at " in pdf, pdf
    assert "[1: ext4-0] × FAILED: the destination was lost (the cause is under" in pdf, pdf
    assert "Copies: Verified now 1" in pdf, pdf  # the slow copy's alone

    # Run again without the card, the drive still out: refused, nothing written, and the
    # refusal names the likely cause (failed before: "no record that the card's pass
    # verified every file there" alone, as of a drive that holds an unfinished pass).
    drives.card.rename(drives.card.with_name("away"))
    again = run_offload(
        "copy", "--report-dir", drives.reports, "--cascade-to", slow.mountpoint, drives.card,
        fast.path,
    )  # fmt: skip
    assert again.returncode == 64, again.stderr
    refusal = " ".join(again.stderr.split())
    assert (
        f"{fast.path / 'C9'}: no record that the card's pass verified every file there: the "
        "folder does not exist (is its drive mounted?)" in refusal
    ), again.stderr
    assert sorted(os.listdir(fast.path)) == [], again.stderr


def test_a_fast_drive_detached_mid_cascade_says_its_ledger_was_not_told_once(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """The fast drive unmounted lazily once the cascade has read its first copy (its slow
    write held): the reads of the others fail, then the check at the cascade's end finds
    the first gone too; its ledger cannot be told either time, and the warning saying so is
    one line. Failed before (QA qa70c L3, lz.out): the same WARNING twice."""
    drives = cascade_drives(  # clips too large to be read whole ahead of the held write
        tmp_path, tmpfs_mount, ext4_loop, faulty_fs, files=3, size=8_000_000, stall="C9/*a0*"
    )
    fast, slow = drives.fast, drives.slow

    def pull_the_fast_drive_once_read(_process: object) -> None:
        slow.wait_stalled(drives.stalled, timeout_s=60)  # a0 read, its write held
        detach(fast.path)
        slow.release(drives.stalled)

    released, rest, code = copy_acting_at_release(
        "--report-dir", str(drives.reports), "--cascade-to", str(slow.mountpoint),
        str(drives.card), str(fast.path), at_release=pull_the_fast_drive_once_read,
    )  # fmt: skip
    assert "can be ejected" in released, f"{code}: {rest}"
    assert "Traceback" not in rest, rest
    assert rest.count("WARNING: cannot revoke the copies the cascade found changed") == 1, rest
