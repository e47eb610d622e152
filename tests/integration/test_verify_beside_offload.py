"""``offload verify`` and ``offload copy --dry-run`` beside a live offload of the same copy
root (offload.verify_lock, card.busy_now): real ``offload`` processes, held mid-write or
mid-read by a FaultyFS stall rule, or a real process holding the copy root's lock.

Each of these failed before: the dry run exited 0 ("would copy"), a plain check of the
half-copied card exited 0 ("OK", the live run's partial called a LEFTOVER to delete), and
``--append`` wrote its generation while the offload wrote its own (two at once: one of them
"cannot write ASC MHL manifest ...: File exists", or the chain losing one)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from offload.destinations.naming import partial_name
from offload.ledger import Ledger, verified_entry
from offload.lock import (
    UNSEEN,
    CopyRootBusy,
    busy_copy_root,
    lock_copy_roots,
    lock_path,
    other_holder,
    process_space,
    process_start,
)
from offload.verify_lock import CHECK_ROLE, guard_check
from support.ascmhl_judge import AscmhlJudge
from support.cards import legacy_mhl_card
from support.faultyfs import FaultyFS
from support.lock_holder import is_locked, start_holder, stop
from support.offload_cli import CLI, run_offload


def _card(tmp_path: Path) -> Path:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for index in range(3):
        (card / "CLIPS" / f"C00{index}.MOV").write_bytes(os.urandom(300_000 + index))
    return card


def _start(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "250"},
    )


def _generations(root: Path) -> list[str]:
    return sorted(name for name in os.listdir(root / "ascmhl") if name.endswith(".mhl"))


def test_verify_and_a_dry_run_during_a_live_offload_are_refused_naming_it(
    tmp_path: Path, faulty_fs: FaultyFS
) -> None:
    fs = faulty_fs()
    card = _card(tmp_path)
    first = run_offload("copy", "--quiet", "--report-dir", tmp_path / "r0", card, fs.mountpoint)
    assert first.returncode == 0, first.stderr
    root = fs.mountpoint / "A001"
    (card / "CLIPS" / "C009.MOV").write_bytes(os.urandom(400_000))
    held = fs.stall("write", path="A001/CLIPS/*C009*")
    copy = _start("copy", "--report-dir", tmp_path / "r1", card, fs.mountpoint)
    try:
        fs.wait_stalled(held, timeout_s=60)
        assert [n for n in os.listdir(root / "CLIPS") if "C009" in n]  # its partial
        before = _generations(root)
        checks = {
            "verify": run_offload("verify", "--report-dir", tmp_path / "r2", root),
            "append": run_offload("verify", "--append", "--report-dir", tmp_path / "r2", root),
            "dry-run": run_offload("copy", "--dry-run", card, fs.mountpoint),
        }
        as_json = run_offload("copy", "--dry-run", "--json", card, fs.mountpoint)
        assert _generations(root) == before  # --append wrote nothing
    finally:
        fs.release(held)
        _out, err = copy.communicate(timeout=120)
    assert copy.returncode == 0, err
    for name, done in checks.items():
        assert done.returncode == 64, (name, done.stdout, done.stderr)
        said = done.stderr
        assert f"copy root {root} is in use by another offload (pid {copy.pid} on" in said, said
        assert " copy --report-dir " in said, said  # the holder's command line
        assert "LEFTOVER" not in said and "delete it" not in said and " OK" not in said, said
        words = "nothing was written" if name == "dry-run" else "nothing was verified"
        assert words in said, (name, said)
    refused = [json.loads(x) for x in as_json.stdout.splitlines() if "offload_refused" in x]
    assert as_json.returncode == 64 and len(refused) == 1, as_json.stdout + as_json.stderr
    (error,) = refused[0]["errors"]
    assert error["code"] == "copy-root-busy" and error["path"] == str(root), error
    assert error["destination_index"] == 0, error
    # The offload wrote its generation undisturbed; a check now appends the next one.
    assert _generations(root) == [*before, _generations(root)[-1]] and len(before) == 1
    after = run_offload("verify", "--append", "--report-dir", tmp_path / "r3", root)
    assert after.returncode == 0, after.stderr
    assert len(_generations(root)) == 3


def test_a_check_of_the_drive_folder_above_a_live_offload_is_refused_naming_it(
    tmp_path: Path, faulty_fs: FaultyFS, judge: AscmhlJudge
) -> None:
    """``offload verify DRIVE`` where DRIVE holds its own history (``ascmhl create``) and a
    copy root an offload writes now: the check reads that copy's nested history, so it is
    refused as a check of the copy root is. Failed before: exit 21, the live run's partial
    called NEW, the half-copied card's files checked as if it were whole."""
    fs = faulty_fs()
    card = _card(tmp_path)
    first = run_offload("copy", "--quiet", "--report-dir", tmp_path / "r0", card, fs.mountpoint)
    assert first.returncode == 0, first.stderr
    drive = judge.create(fs.mountpoint, "xxh64")  # the drive's history; the copy's nested
    assert drive.returncode == 0, drive.describe()
    root = fs.mountpoint / "A001"
    (card / "CLIPS" / "C009.MOV").write_bytes(os.urandom(400_000))
    held = fs.stall("write", path="A001/CLIPS/*C009*")
    copy = _start("copy", "--report-dir", tmp_path / "r1", card, fs.mountpoint)
    try:
        fs.wait_stalled(held, timeout_s=60)
        checks = [
            run_offload("verify", *append, "--report-dir", tmp_path / "r2", fs.mountpoint)
            for append in ((), ("--append",))
        ]
    finally:
        fs.release(held)
        _out, err = copy.communicate(timeout=120)
    assert copy.returncode == 0, err
    for done in checks:
        said = " ".join(done.stderr.split())
        assert done.returncode == 64, done.stdout + said
        assert f"copy root {root} is in use by another offload (pid {copy.pid} on" in said
        assert f"nothing was verified ({fs.mountpoint} holds it)" in said, said
        assert "NEW" not in said and " OK" not in said, said
    assert len(_generations(fs.mountpoint)) == 1  # --append wrote nothing
    after = run_offload("verify", "--report-dir", tmp_path / "r3", fs.mountpoint)
    assert after.returncode == 0, after.stdout + after.stderr


def test_a_check_that_appends_holds_the_copy_root_so_an_offload_is_refused(
    tmp_path: Path, faulty_fs: FaultyFS
) -> None:
    """``offload verify --append`` holds the copy root's lock from before its reads to its
    generation: an ``offload copy`` (or a second ``--append``) started meanwhile is refused
    naming the check, and nothing it would write races the check's generation."""
    fs = faulty_fs()
    card = _card(tmp_path)
    first = run_offload("copy", "--quiet", "--report-dir", tmp_path / "r0", card, fs.mountpoint)
    assert first.returncode == 0, first.stderr
    root = fs.mountpoint / "A001"
    (card / "CLIPS" / "C009.MOV").write_bytes(os.urandom(1000))  # a new card file to copy
    held = fs.stall("read", path="A001/CLIPS/C001.MOV", times=1)  # the check's read alone
    check = _start("verify", "--append", "--report-dir", tmp_path / "r1", root)
    try:
        fs.wait_stalled(held, timeout_s=60)
        assert is_locked(root)
        copy = run_offload("copy", "--report-dir", tmp_path / "r2", card, fs.mountpoint)
        second = run_offload("verify", "--append", "--report-dir", tmp_path / "r3", root)
        # A plain check reads beside it: that hold writes no copy, only a generation.
        plain = run_offload("verify", "--report-dir", tmp_path / "r3", root)
    finally:
        fs.release(held)
        out, err = check.communicate(timeout=120)
    assert check.returncode == 0, out + err
    assert copy.returncode == 64, copy.stderr
    assert f"is in use by another offload (pid {check.pid} on" in copy.stderr, copy.stderr
    assert "verify --append" in copy.stderr, copy.stderr
    assert second.returncode == 64 and f"(pid {check.pid} on" in second.stderr, second.stderr
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert not (root / "CLIPS" / "C009.MOV").exists()
    assert len(_generations(root)) == 2  # the copy's first, the check's
    assert not is_locked(root)
    # Once it is over the offload runs and writes the next generation.
    again = run_offload("copy", "--quiet", "--report-dir", tmp_path / "r4", card, fs.mountpoint)
    assert again.returncode == 0, again.stderr
    assert [g[:4] for g in _generations(root)] == ["0001", "0002", "0003"]


def test_a_killed_holder_does_not_refuse_a_check(tmp_path: Path) -> None:
    """The lock is the holder's ``flock``: a run killed (SIGKILL) left it free, and the check
    runs; while that holder lived the check was refused, naming its pid."""
    card = _card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    first = run_offload("copy", "--quiet", "--report-dir", tmp_path / "r0", card, dest)
    assert first.returncode == 0, first.stderr
    root = dest / "A001"
    holder = start_holder(root)
    try:
        refused = run_offload("verify", "--append", "--report-dir", tmp_path / "r1", root)
        below = run_offload("verify", "--report-dir", tmp_path / "r1", root / "CLIPS")
    finally:
        stop(holder)  # SIGKILL
    assert refused.returncode == 64 and f"(pid {holder.pid} on" in refused.stderr, refused
    # A folder inside a copy root being written is refused too (the lock above it).
    assert below.returncode == 64 and f"copy root {root} is in use" in below.stderr, below
    done = run_offload("verify", "--append", "--report-dir", tmp_path / "r2", root)
    assert done.returncode == 0, done.stderr
    assert len(_generations(root)) == 2


def test_a_generation_another_writer_added_meanwhile_is_named_and_kept(
    tmp_path: Path, faulty_fs: FaultyFS, judge: AscmhlJudge
) -> None:
    """A writer that takes no copy root lock (the reference tool, ``ascmhl create``) adds
    generation 0002 while ``offload copy`` writes its own 0002: the copy writes none beside
    it (two manifests of one number, or a chain that loses one, broke the history; or its
    EEXIST was one bare line), says which writer, and the history stays whole. Failed
    before: the copy wrote a second 0002 and rewrote the chain without ascmhl's entry."""
    fs = faulty_fs()
    card = _card(tmp_path)
    first = run_offload("copy", "--quiet", "--report-dir", tmp_path / "r0", card, fs.mountpoint)
    assert first.returncode == 0, first.stderr
    root = fs.mountpoint / "A001"
    (card / "CLIPS" / "C009.MOV").write_bytes(os.urandom(1000))
    held = fs.stall("write", path="A001/ascmhl/.0002_*.partial")
    copy, _out, said = _beaten(
        fs, judge, root, held, "copy", "--report-dir", tmp_path / "r1", card, fs.mountpoint
    )
    ours = [g for g in _generations(root) if g.startswith("0002")]
    assert len(ours) == 1, _generations(root)
    assert copy.returncode == 1, said
    assert "BUT NO MANIFEST" in said, said
    assert f"another writer added generation 0002 ({ours[0]}, by ascmhl 1.2" in said, said
    assert "this run's generation was not written" in said, said
    checked = judge.verify(root)
    assert checked.returncode == 0, checked.describe()
    # ascmhl's 0002 records every file the copy verified (it hashed them all): a re-run
    # needs no generation of its own, and passes.
    again = run_offload("copy", "--quiet", "--report-dir", tmp_path / "r2", card, fs.mountpoint)
    assert again.returncode == 0, again.stderr
    assert [g[:4] for g in _generations(root)] == ["0001", "0002"]


def test_a_check_whose_generation_another_writer_beat_keeps_its_results(
    tmp_path: Path, faulty_fs: FaultyFS, judge: AscmhlJudge
) -> None:
    """``offload verify --append`` whose generation 0002 ``ascmhl create`` wrote first: the
    check's results stand (its report, its summary), the line names that writer and says to
    run it again, exit 11. Failed before: exit 11 with one ERROR line and no report, the
    files it had read and matched recorded nowhere."""
    fs = faulty_fs()
    card = _card(tmp_path)
    first = run_offload("copy", "--quiet", "--report-dir", tmp_path / "r0", card, fs.mountpoint)
    assert first.returncode == 0, first.stderr
    root = fs.mountpoint / "A001"
    held = fs.stall("write", path="A001/ascmhl/.0002_*.partial")
    check, _out, said = _beaten_append(fs, judge, root, tmp_path / "r1", held)
    assert check.returncode == 11, said
    ours = [g for g in _generations(root) if g.startswith("0002")]
    assert len(ours) == 1, _generations(root)  # ascmhl's, ours not beside it
    assert f"another writer added generation 0002 ({ours[0]}, by ascmhl 1.2" in said, said
    assert "run this again" in said, said
    assert "3 OK, 0 changed, 0 missing" in _out, _out  # the summary of what it read
    (saved,) = (tmp_path / "r1").glob("verify_*.json")
    data = json.loads(saved.read_text())
    assert (data["exit_code"], data["passed"], data["generation_unwritten"]) == (11, False, True)
    assert len(data["verified"]) == 3 and data["generation"] is None, data
    assert "another writer added generation 0002" in data["error"], data
    assert judge.verify(root).returncode == 0
    again = run_offload("verify", "--append", "--report-dir", tmp_path / "r2", root)
    assert again.returncode == 0, again.stderr
    assert [g[:4] for g in _generations(root)] == ["0001", "0002", "0003"]


def _beaten_append(
    fs: FaultyFS, judge: AscmhlJudge, root: Path, reports: Path, held: str
) -> tuple[subprocess.Popen[str], str, str]:
    """``offload verify --append`` of *root* beaten by ``ascmhl create`` (``_beaten``)."""
    return _beaten(fs, judge, root, held, "verify", "--append", "--report-dir", reports, root)


def _beaten(
    fs: FaultyFS, judge: AscmhlJudge, root: Path, held: str, *command: str | Path
) -> tuple[subprocess.Popen[str], str, str]:
    """The offload *command* writing *root*'s history (on *fs*) held by the stall rule *held*
    while ``ascmhl create`` adds its own generation there, then released: the command's
    process, its stdout and its stderr (whitespace folded)."""
    started = _start(*command)
    try:
        fs.wait_stalled(held, timeout_s=60)
        other = judge.create(root, "xxh64")
        assert other.returncode == 0, other.describe()
    finally:
        fs.release(held)
        out, err = started.communicate(timeout=120)
    return started, out, " ".join(err.split())


def test_a_generation_ascmhl_adds_during_the_reads_is_never_built_on(
    tmp_path: Path, faulty_fs: FaultyFS, judge: AscmhlJudge
) -> None:
    """``ascmhl create`` adds generation 0002 while ``offload verify --append`` reads the
    files (not while it writes): the check's generation, decided against the history it
    read, is not written on top of ascmhl's; exit 11, that writer named, the results kept.
    Failed before: exit 0, "3 OK", and a 0003 on top of ascmhl's 0002, nothing said (the
    writer read the history again at the write)."""
    fs = faulty_fs()
    card = _card(tmp_path)
    first = run_offload("copy", "--quiet", "--report-dir", tmp_path / "r0", card, fs.mountpoint)
    assert first.returncode == 0, first.stderr
    root = fs.mountpoint / "A001"
    held = fs.stall("read", path="A001/CLIPS/C002.MOV", times=1)
    check, out, said = _beaten_append(fs, judge, root, tmp_path / "r1", held)
    assert check.returncode == 11, said
    ascmhls = [g for g in _generations(root) if g.startswith("0002")]
    assert [g[:4] for g in _generations(root)] == ["0001", "0002"], _generations(root)
    assert f"another writer added generation 0002 ({ascmhls[0]}, by ascmhl 1.2" in said, said
    assert "3 OK, 0 changed, 0 missing" in out, out
    (saved,) = (tmp_path / "r1").glob("verify_*.json")
    data = json.loads(saved.read_text())
    assert len(data["verified"]) == 3 and data["generation"] is None, data
    assert judge.verify(root).returncode == 0


def test_a_beaten_check_reports_what_a_plain_check_does(
    tmp_path: Path, faulty_fs: FaultyFS, judge: AscmhlJudge
) -> None:
    """A beaten ``--append`` (ascmhl's generation first) of a copy holding the card's legacy
    MHL and a copy its ledger revoked, left at its name: its report's reasons and the
    legacy MHL's check are a plain check's. Failed before: both dropped (no
    ``legacy_mhls``, no reason for the revoked copy) where the generation was not written."""
    fs = faulty_fs()
    clips = {f"C00{index}.MOV": os.urandom(200_000 + index) for index in range(3)}
    card = legacy_mhl_card(tmp_path / "A001", clips, clips)
    first = run_offload("copy", "--quiet", "--report-dir", tmp_path / "r0", card, fs.mountpoint)
    assert first.returncode == 0, first.stderr
    root = fs.mountpoint / "A001"
    # A copy its offload found wrong and left at its name: new to the history, its reason
    # the ledger's revocation.
    new = "CLIPS/NEW.MOV"
    (root / new).write_bytes(os.urandom(1000))
    entry = verified_entry(
        new, size_bytes=1000, mtime_ns=(root / new).stat().st_mtime_ns,
        digests={"xxh64": "ab"}, partial_name="", final_name="", verify="full",
    )  # fmt: skip
    ledger = Ledger(root)
    ledger.append([entry])
    ledger.revoke({new: ""}, {new: entry})
    plain = run_offload("verify", "--report-dir", tmp_path / "r1", root)
    assert plain.returncode == 21, plain.stderr
    held = fs.stall("write", path="A001/ascmhl/.0002_*.partial")
    check, _out, said = _beaten_append(fs, judge, root, tmp_path / "r2", held)
    assert check.returncode == 11, said
    (expected,) = (tmp_path / "r1").glob("verify_*.json")
    (beaten,) = (tmp_path / "r2").glob("verify_*.json")
    want, got = json.loads(expected.read_text()), json.loads(beaten.read_text())
    assert want["legacy_mhls"] and want["reasons"][new]["code"] == "revoked-copy", want
    for key in ("legacy_mhls", "reasons", "verified", "extra"):
        assert got[key] == want[key], (key, got[key], want[key])


def test_a_partial_a_live_writer_claims_is_never_advised_deleted(
    tmp_path: Path, faulty_fs: FaultyFS
) -> None:
    """A writer no copy root lock stops (``pfndispatchcopy``, one file) writes into a copy
    root while it is checked against its ledger (no manifest, whose ignore list would hide
    the partial): its partial is a LEFTOVER said live, to leave alone (its claim is held),
    never "or delete it" (failed before: the line advised deleting it)."""
    card = _card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "r0"
    first = run_offload("copy", "--quiet", "--mhl", "none", "--report-dir", reports, card, dest)
    assert first.returncode == 0, first.stderr
    root = dest / "A001"
    reader = faulty_fs()
    (reader.backing / "BIG.MOV").write_bytes(os.urandom(4 << 20))
    held = reader.stall("read", path="BIG.MOV", offset=2 << 20)
    source = reader.mountpoint / "BIG.MOV"
    target = root / "CLIPS" / "BIG.MOV"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "offload.cli.pfndispatchcopy",
            source,
            target,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        reader.wait_stalled(held, timeout_s=60)
        check = run_offload("verify", "--report-dir", tmp_path / "r1", root)
        as_json = run_offload("verify", "--json", "--report-dir", tmp_path / "r2", root)
    finally:
        reader.release(held)
        _out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    said = " ".join(check.stderr.split())
    assert check.returncode == 0, said
    assert "LEFTOVER (a file a live offload-ai writer is writing now" in said, said
    assert "leave it" in said and "delete it" not in said, said
    # --json, the saved report and its CSV say it too (decided once, during the check).
    # Failed before: they listed a plain leftover, its reason nowhere.
    _said_everywhere(as_json, tmp_path / "r2", "being-written", "is writing now")


def _said_everywhere(
    done: subprocess.CompletedProcess[str], reports: Path, code: str, words: str
) -> None:
    """*done* (``verify --json``) and the report it saved (JSON, CSV) give its one leftover
    the reason *code*, whose text holds *words* and never "delete it"."""
    data = json.loads(done.stdout)
    (path,) = data["leftovers"]
    assert data["reasons"][path]["code"] == code, data["reasons"]
    text = data["reasons"][path]["text"]
    assert words in text and "delete it" not in text, text
    (saved,) = reports.glob("verify_*.json")
    assert json.loads(saved.read_text())["reasons"][path]["code"] == code
    (table,) = reports.glob("verify_*.csv")
    (row,) = [line for line in table.read_text().splitlines() if ",leftover," in line]
    assert words in row and "delete it" not in row, row


def test_a_partial_whose_claim_cannot_be_asked_is_never_advised_deleted(
    tmp_path: Path, faulty_fs: FaultyFS
) -> None:
    """On a filesystem without locks (NFSv3 without lockd: ``flock`` fails) whether a live
    writer claims a partial cannot be told: its LEFTOVER line, ``--json``'s reason
    (``cannot-tell``), the saved report and the CSV say so and never "or delete it".
    Failed before: the line ended "or delete it", the JSON and CSV gave no reason."""
    drive = faulty_fs(no_flock=True)
    card = _card(tmp_path)
    first = run_offload(
        "copy", "--quiet", "--mhl", "none", "--report-dir", tmp_path / "r0", card,
        drive.mountpoint,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    root = drive.mountpoint / "A001"
    (root / "CLIPS" / partial_name("C009.MOV")).write_bytes(b"x" * 1000)
    check = run_offload("verify", "--report-dir", tmp_path / "r1", root)
    said = " ".join(check.stderr.split())
    assert check.returncode == 0, said
    assert "LEFTOVER (what an unfinished write of offload-ai left, or a write still" in said
    assert "cannot be told here" in said and "delete it" not in said, said
    as_json = run_offload("verify", "--json", "--report-dir", tmp_path / "r2", root)
    _said_everywhere(as_json, tmp_path / "r2", "cannot-tell", "cannot be told here")


def _live_body(pid: int, command: str) -> str:
    """A lock body naming the live process *pid* of this machine, as a run that locked the
    folder through another mount of it wrote it (its ``flock`` not seen through this path)."""
    return json.dumps(
        {
            "pid": pid,
            "host": os.uname().nodename,
            "pid_space": process_space(),
            "pid_start": process_start(pid),
            "started": "2026-12-05T09:00:00Z",
            "command": command,
        }
    )


def test_a_live_holder_through_another_mount_refuses_a_check_and_a_dry_run(
    tmp_path: Path,
) -> None:
    """A copy root whose ``flock`` is free but whose lock file names a live process of this
    machine (a run writing through another mount of the same folder, whose ``flock`` this
    path does not see): ``offload copy`` refused it, and now a plain check, ``--append`` and
    ``--dry-run`` (``busy_copy_root``, ``guard_check``) do too, naming it. Failed before:
    ``other_holder`` answered None for a free ``flock``, and the check and the dry run went
    on (exit 0)."""
    card = _card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    first = run_offload("copy", "--quiet", "--report-dir", tmp_path / "r0", card, dest)
    assert first.returncode == 0, first.stderr
    root = dest / "A001"
    writer = subprocess.Popen(["sleep", "120"])
    try:
        lock_path(root).write_text(_live_body(writer.pid, "offload copy A001 /mnt/b"))
        answer = other_holder(str(root))
        assert answer is not None and answer.get(UNSEEN) is True, answer
        busy = busy_copy_root([root])
        assert busy is not None and f"(pid {writer.pid} on" in busy.message, busy
        checks = {
            "verify": run_offload("verify", "--report-dir", tmp_path / "r1", root),
            "append": run_offload("verify", "--append", "--report-dir", tmp_path / "r1", root),
            "dry-run": run_offload("copy", "--dry-run", card, dest),
        }
    finally:
        writer.kill()
        writer.wait()
    for name, done in checks.items():
        said = " ".join(done.stderr.split())
        assert done.returncode == 64, (name, done.stdout, said)
        assert f"copy root {root} is in use by another offload (pid {writer.pid} on" in said
        words = "nothing was written" if name == "dry-run" else "nothing was verified"
        assert words in said, (name, said)
    # That process over, its body left behind is no holder: the check runs.
    assert other_holder(str(root)) is None
    done = run_offload("verify", "--report-dir", tmp_path / "r2", root)
    assert done.returncode == 0, done.stderr


def test_a_plain_check_reads_beside_a_check_that_appends_by_its_role(tmp_path: Path) -> None:
    """A check that appends writes ``role: check`` into its lock body, and a plain check is
    not refused by it, whatever the command line says (global options before ``verify``, a
    wrapper); an offload's lock, or one with no role, still refuses it; a second
    ``--append`` is refused by the check's lock. Failed before: the holder was recognised
    by ``words[1] == "verify"`` alone (``offload --color never verify`` refused)."""
    root = tmp_path / "A001"
    (root / ".offload").mkdir(parents=True)
    with lock_copy_roots([root], command=["offload", "--color", "never", "verify"], role="check"):
        body = json.loads(lock_path(root).read_text())
        assert body["role"] == CHECK_ROLE
        assert guard_check(root, append=False) is None
    with (
        lock_copy_roots([root], command=["offload", "--color", "never", "verify"], role="check"),
        pytest.raises(CopyRootBusy, match="nothing was verified"),
    ):
        guard_check(root, append=True)
    with (
        lock_copy_roots([root], command=["offload", "verify", "--append"]),  # no role
        pytest.raises(CopyRootBusy, match="nothing was verified"),
    ):
        guard_check(root, append=False)


def test_a_plain_check_waits_for_the_body_of_a_lock_just_taken(tmp_path: Path) -> None:
    """A check that appends takes its lock, then writes its body: a plain check asking in
    between waits for the body (``other_holder``, up to ``_BODY_WAIT_S``) and reads its
    role, rather than refusing a lock that "does not say which one". Failed before: refused
    at once."""
    root = tmp_path / "A001"
    (root / ".offload").mkdir(parents=True)
    path = lock_path(root)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        body = json.loads(_live_body(os.getpid(), "offload verify --append A001"))
        text = json.dumps({**body, "role": CHECK_ROLE}).encode()

        def write_body() -> None:
            time.sleep(0.1)
            os.pwrite(fd, text, 0)

        later = threading.Thread(target=write_body)
        later.start()
        try:
            assert guard_check(root, append=False) is None
        finally:
            later.join()
    finally:
        os.close(fd)
