"""A copy of ours whose read-back fails is never worded, recorded nor advised on as a copy
found wrong (README: a copy that could not be read was neither proved good nor proved wrong).

Real parts: the destination is a FaultyFS FUSE mount; the copy's read fails ENOTCONN or
ENODEV (its drive gone, as a killed FUSE program or a pulled device answers) or EIO, and
the new copy's create in its folder fails the same way; every command is a real
``offload`` process.

Before: a copy whose read-back failed ENOTCONN was queued for a rewrite; that rewrite
failed on the gone drive and ``existing.settle_rewrites`` worded it "the copy found wrong
is left as it is (recorded as wrong in the ledger): --overwrite replaces it", set the
``rewrite_failed`` refusal, so the run record listed the file in ``in_the_way`` and
``offload verify`` advised "--keep-both, which keeps the file in the way beside the
card's". Neither --overwrite nor --keep-both gets past a copy that cannot be read (each
reads it back first, and its read fails again)."""

from __future__ import annotations

import errno
import html
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from support.cards import clips_card
from support.faultyfs import FaultyFS
from support.offload_cli import CLI, run_offload

pytestmark = pytest.mark.fault

CLIP = "A001/CLIPS/C1.mov"


def _offloaded(tmp_path: Path, faulty_fs: Callable[..., FaultyFS], *first: str) -> tuple:
    drive = faulty_fs()
    card = clips_card(tmp_path, 3, 40_000, clip="C{:d}.mov")
    jobs = tmp_path / "jobs"
    done = run_offload("copy", "-q", *first, "--report-dir", jobs, card, drive.mountpoint)
    assert done.returncode == 0, done.stderr
    return drive, card, jobs


def _last_report(jobs: Path) -> dict:
    (path,) = sorted(jobs.glob("A001_*.json"), key=lambda p: p.stat().st_mtime_ns)[-1:]
    return json.loads(path.read_text())


def _last_html(jobs: Path) -> str:
    """The last run's HTML report, its text as a reader sees it (tags and breaks aside)."""
    (path,) = sorted(jobs.glob("A001_*.html"), key=lambda p: p.stat().st_mtime_ns)[-1:]
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(path.read_text())).split())


def _copy_result(report: dict) -> dict:
    (file,) = [f for f in report["files"] if f["path"] == "CLIPS/C1.mov"]
    (result,) = file["destinations"]
    return result


def _record(drive: FaultyFS) -> dict:
    return json.loads((drive.backing / "A001" / ".offload" / "last-run.json").read_text())


def _verify_advice(drive: FaultyFS, jobs: Path) -> str:
    checked = run_offload("verify", "--report-dir", jobs, drive.mountpoint / "A001")
    assert checked.returncode != 0, checked.stdout + checked.stderr
    (line,) = [x for x in checked.stderr.splitlines() if x.startswith("ERROR: INCOMPLETE")]
    return line


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ((), ("--reverify",)),
        ((), ("--reverify", "--overwrite")),
        ((), ("--reverify", "--keep-both")),
        # A plain run asking more than the ledger records (an UPGRADE): the same.
        (("--verify", "transfer"), ()),
    ],
    ids=["reverify", "overwrite", "keep-both", "upgrade"],
)
def test_a_copy_whose_drive_went_away_is_unread_never_rewritten_nor_in_the_way(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    first: tuple[str, ...],
    then: tuple[str, ...],
) -> None:
    """The drive goes away as the copy is read back (its read stalled, the FUSE program
    SIGKILLed: that read fails ECONNABORTED, every later call ENOTCONN, the copy's folder
    too): it is unreadable, not found wrong; kept as it is, no new copy attempted on the
    gone drive, its file failed with the read's own remedy (reconnect it, run again); its
    ledger entry could not be revoked (the drive is gone), said so; no refusal, nothing
    "in the way". Once the drive answers, the same command verifies it. Failed before
    (rewrite69): a rewrite was queued, failed, and worded "the copy found wrong is left as
    it is ...: --overwrite replaces it", refusal ``rewrite_failed``."""
    drive, card, jobs = _offloaded(tmp_path, faulty_fs, *first)
    held = (drive.backing / CLIP).read_bytes()
    stalled = drive.stall("read", path=CLIP)
    argv = ["copy", *then, "--report-dir", str(jobs), str(card), str(drive.mountpoint)]
    env = {**os.environ, "COLUMNS": "200"}
    with subprocess.Popen(
        [*CLI, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        drive.wait_stalled(stalled, timeout_s=60)
        drive.kill()
        stderr = process.stderr.read() if process.stderr is not None else ""
        code = process.wait(timeout=120)
    flat = " ".join(stderr.split())
    assert code == 2, flat  # a destination lost
    for false in ("found wrong is left", "--overwrite replaces", "--keep-both keeps", "DAMAGED"):
        assert false not in flat, flat
    copy = drive.mountpoint / CLIP
    assert f"ERROR: {copy} is unreadable, not found wrong: " in flat, flat
    assert "went away: reconnect it, then run the same command again" in flat, flat
    assert "its ledger entry could not be revoked" in flat, flat
    result = _copy_result(_last_report(jobs))
    assert result["status"] == "failed" and result["refusal"] is None, result
    assert "not found wrong" in result["error"] and "--overwrite" not in result["error"], result
    page = _last_html(jobs)
    assert "unreadable, not found wrong" in page and "found wrong is left" not in page, page
    assert (drive.backing / CLIP).read_bytes() == held
    # The remedy said: once the drive answers, the same command verifies it.
    drive.remount()
    again = run_offload("copy", *then, "--report-dir", jobs, card, drive.mountpoint)
    assert again.returncode == 0, again.stderr
    assert _copy_result(_last_report(jobs))["status"] == "verified"
    assert (drive.backing / CLIP).read_bytes() == (card / "CLIPS" / "C1.mov").read_bytes()


def test_a_plain_run_after_a_drive_gone_errno_says_the_reads_words_no_refusal(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A copy whose ledger entry a run revoked, read back by a plain run (an ADOPT: nothing
    written either way) with a drive-gone errno: the read's own words, no refusal, nothing
    in the way; ``offload verify`` advises the same command again, never --keep-both."""
    drive, card, jobs = _offloaded(tmp_path, faulty_fs)
    drive.fail("read", errno.ENOTCONN, path=CLIP)
    drive.fail("create", errno.ENOTCONN, path="A001/CLIPS/*")
    done = run_offload("copy", "--reverify", "--report-dir", jobs, card, drive.mountpoint)
    assert done.returncode == 1, done.stderr
    plain = run_offload("copy", "--report-dir", jobs, card, drive.mountpoint)
    said = " ".join(plain.stderr.split())
    assert plain.returncode == 1, plain.stderr
    assert "went away: reconnect it, then run the same command again" in said, said
    assert "--overwrite" not in said and "--keep-both keeps" not in said, said
    assert _copy_result(_last_report(jobs))["refusal"] is None
    assert _record(drive)["in_the_way"] == [], _record(drive)
    drive.clear()
    advice = _verify_advice(drive, jobs)
    assert "--keep-both" not in advice and "run the same `offload copy` again" in advice, advice


def test_a_failed_rewrite_of_a_copy_read_back_with_eio_names_reverify_not_overwrite(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``--reverify`` meets a copy whose read fails EIO (a bad sector: evidence of damage)
    and writes it again in place; that rewrite fails (the drive refuses the create). The
    copy left there cannot be read, so no run refuses it as a file in the way (each reads
    it back first, and fails): its failure names ``--reverify``, not ``--overwrite``; no
    refusal, ``in_the_way`` empty, verify's advice the same command again. And that remedy
    works: ``--reverify`` with the bad sector still there writes a new copy in its place.
    Failed before: "--overwrite replaces it", ``rewrite_failed``, ``in_the_way``
    ["CLIPS/C1.mov"], verify advising --keep-both (a run with --overwrite or --keep-both then
    failed the copy's read and replaced nothing)."""
    drive, card, jobs = _offloaded(tmp_path, faulty_fs)
    drive.fail("read", errno.EIO, path=CLIP)
    create = drive.fail("create", errno.EIO, path="A001/CLIPS/*")
    done = run_offload("copy", "--reverify", "--report-dir", jobs, card, drive.mountpoint)
    flat = " ".join(done.stderr.split())
    assert done.returncode == 1, done.stderr
    assert drive.fired(create) >= 1, flat
    assert "found wrong is left" not in flat and "--overwrite replaces" not in flat, flat
    assert (
        "the copy that could not be read back is left as it is (its ledger entry revoked): "
        "run the same command again with --reverify"
    ) in flat, flat
    # One vocabulary (review rev6_69, L2): its summary line says it could not be read back
    # for an I/O error, never FOUND DAMAGED beside "could not be read back".
    copy = drive.mountpoint / CLIP
    assert f"COPY UNREADABLE (an I/O error: the disk may be failing): cannot read {copy}" in flat
    assert "FOUND DAMAGED" not in flat, flat
    result = _copy_result(_last_report(jobs))
    assert result["refusal"] is None and "--overwrite" not in result["error"], result
    page = _last_html(jobs)
    assert "with --reverify" in page and "found wrong is left" not in page, page
    assert _record(drive)["in_the_way"] == [], _record(drive)
    drive.remove(create)
    advice = _verify_advice(drive, jobs)
    assert "--keep-both" not in advice and "run the same `offload copy` again" in advice, advice
    again = run_offload("copy", "--reverify", "--report-dir", jobs, card, drive.mountpoint)
    assert again.returncode == 0, again.stderr
    assert _copy_result(_last_report(jobs))["status"] == "verified"
    assert (drive.backing / CLIP).read_bytes() == (card / "CLIPS" / "C1.mov").read_bytes()


def test_a_cascade_slow_copy_read_back_with_eio_whose_rewrite_fails_names_reverify(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The same on a cascade's slow destination (its rewrite fed from the fast copy, in
    ``cascade.run_cascade``'s job): the failure names --reverify, no refusal, not in the
    slow copy root's ``in_the_way``. Failed before: "--overwrite replaces it",
    ``rewrite_failed``."""
    slow = faulty_fs()
    card = clips_card(tmp_path, 3, 40_000, clip="C{:d}.mov")
    fast, jobs = tmp_path / "fast", tmp_path / "jobs"
    fast.mkdir()
    argv = ["--report-dir", jobs, card, fast, slow.mountpoint, "--cascade-to", slow.mountpoint]
    done = run_offload("copy", "-q", *argv)
    assert done.returncode == 0, done.stderr
    slow.fail("read", errno.EIO, path=CLIP)
    create = slow.fail("create", errno.EIO, path="A001/CLIPS/*")
    done = run_offload("copy", "--reverify", *argv)
    flat = " ".join(done.stderr.split())
    assert done.returncode == 1, done.stderr
    assert slow.fired(create) >= 1, flat
    assert "found wrong is left" not in flat and "--overwrite replaces" not in flat, flat
    assert "run the same command again with --reverify" in flat, flat
    (file,) = [f for f in _last_report(jobs)["files"] if f["path"] == "CLIPS/C1.mov"]
    (result,) = [d for d in file["destinations"] if d["index"] == 1]
    assert result["status"] == "failed" and result["refusal"] is None, result
    assert _record(slow)["in_the_way"] == [], _record(slow)


@pytest.mark.parametrize("code", [errno.ENOTCONN, errno.ESTALE, errno.ECONNABORTED])
def test_a_drive_gone_errno_on_one_file_of_a_drive_that_answers_is_written_again(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], code: int
) -> None:
    """A flaky FUSE or sshfs answers ENOTCONN or ECONNABORTED for one read, NFS answers
    ESTALE for a file replaced on the server: the errno alone does not make the drive gone.
    Its folder still opens (``existing._drive_gone``), so ``--reverify`` writes the copy
    again from the card, reads it back and verifies it: exit 0, ``offload verify`` passes.
    Failed before (review rev6_69, M1): the errno alone called the drive gone: exit 1, "the
    drive or share went away: reconnect it", the file failed, verify exit 10."""
    drive, card, jobs = _offloaded(tmp_path, faulty_fs)
    read = drive.fail("read", code, path=CLIP, times=1)
    done = run_offload("copy", "--reverify", "--report-dir", jobs, card, drive.mountpoint)
    flat = " ".join(done.stderr.split())
    assert drive.fired(read) == 1, flat
    assert done.returncode == 0, flat
    assert "went away" not in flat and "reconnect it" not in flat, flat
    assert "replaced by a new copy from the card, verified now (read back)" in flat, flat
    assert _copy_result(_last_report(jobs))["status"] == "verified"
    assert _record(drive).get("failed", []) == [], _record(drive)
    assert (drive.backing / CLIP).read_bytes() == (card / "CLIPS" / "C1.mov").read_bytes()
    checked = run_offload("verify", "--report-dir", jobs, drive.mountpoint / "A001")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_plain_run_and_verify_after_an_unread_copy_name_reverify(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """After ``--reverify`` met a copy it could not read (EIO) and could not write again
    (its entry revoked), a plain run reads it back as an ADOPT, fails again and writes
    nothing: its words name ``--reverify`` (the one remedy: --overwrite and --keep-both
    read it back first), and so does ``offload verify``'s INCOMPLETE advice for a copy it
    lists UNREADABLE; that remedy works. Failed before (review rev6_69, M2): the plain run
    said "then run the same command again (a file that stays unreadable is damaged there)"
    and verify "run the same `offload copy` again", the same failure each time."""
    drive, card, jobs = _offloaded(tmp_path, faulty_fs)
    drive.fail("read", errno.EIO, path=CLIP)
    create = drive.fail("create", errno.EIO, path="A001/CLIPS/*")
    done = run_offload("copy", "--reverify", "--report-dir", jobs, card, drive.mountpoint)
    assert done.returncode == 1, done.stderr
    drive.remove(create)
    for _ in range(2):
        plain = run_offload("copy", "--report-dir", jobs, card, drive.mountpoint)
        said = " ".join(plain.stderr.split())
        assert plain.returncode == 1, said
        assert (
            "(a file that stays unreadable is damaged there); if it stays unreadable, "
            "--reverify writes a new copy in its place"
        ) in said, said
        assert _copy_result(_last_report(jobs))["refusal"] is None
    advice = _verify_advice(drive, jobs)
    assert (
        "if the copy listed UNREADABLE stays unreadable, run that `offload copy` with "
        "--reverify, which writes a new copy from the card in its place"
    ) in advice, advice
    again = run_offload("copy", "--reverify", "--report-dir", jobs, card, drive.mountpoint)
    assert again.returncode == 0, again.stderr
    assert _copy_result(_last_report(jobs))["status"] == "verified"
    assert (drive.backing / CLIP).read_bytes() == (card / "CLIPS" / "C1.mov").read_bytes()
