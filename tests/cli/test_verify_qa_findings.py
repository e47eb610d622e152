"""Findings of a black-box QA pass of ``offload verify``, each
run as the QA ran it: a real ``offload`` process over real files (an immutable folder made
by ``chattr +i``; a folder root may not read once it drops its DAC capabilities), its exit
code, stdout and the saved report read back."""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offload.verification import unreadable_folder
from support.deep_folders import folders_deep
from support.immutable import immutable
from support.mounts import Mount
from support.offload_cli import newest_report, offloaded_card, run_offload


def test_an_append_that_cannot_write_its_generation_is_no_pass(tmp_path: Path) -> None:
    """``verify --append`` whose generation cannot be written (its ``ascmhl/`` immutable):
    every file OK, exit 11, and ``passed`` false in ``--json`` and the saved report alike
    (docs/json.md: true only when the exit code is 0); ``offload history`` words it by what
    happened, never "changed or unreadable". Failed before: ``"passed": true`` with exit
    11, and history's "changed or unreadable" for a check that found every file OK."""
    root = offloaded_card(tmp_path, clip="C{:03d}.mov") / "A001"
    reports = tmp_path / "reports"
    with immutable(root / "ascmhl"):
        shown = run_offload("verify", "--append", "--json", "--report-dir", reports, root)
    assert shown.returncode == 11, shown.stderr
    printed = json.loads(shown.stdout)
    saved = newest_report(reports)
    for data in (printed, saved):
        assert (data["exit_code"], data["passed"]) == (11, False), data
        assert len(data["verified"]) == 3 and data["generation"] is None, data
        assert "cannot write ASC MHL manifest" in data["error"], data
        # What to do, said (QA finding 8; before: the write's error alone).
        assert data["error"].endswith(
            f"make {root / 'ascmhl'} writable (its permissions, an immutable flag: lsattr, a "
            "read-only mount), then run offload verify --append again"
        ), data
    listed = run_offload("history", "--json", "--report-dir", reports)
    (entry,) = [e for e in json.loads(listed.stdout) if e["kind"] == "verify"]
    assert entry["exit_code"] == 11, entry
    assert entry["result"] == "verified, generation not written (--append)", entry
    assert "cannot write ASC MHL manifest" in (entry["reason"] or ""), entry


def test_an_unwritten_generation_words_the_files_as_a_check_without_it(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """``verify --append`` of a copy in RAM (tmpfs: every file read through a cache) whose
    generation cannot be written: ``offload history`` words the files as a plain check of
    that copy would (``, 3 through a cache``), then the generation not written, from the
    report's own ``generation_unwritten``; a report whose files were checked by size only
    is "none verified"; one of a version before that key is still worded by its exit code.
    Failed before: "verified, generation not written (--append)" for files only read
    through a cache, and "verified, some by size only" for files none of which was read and
    matched."""
    copy = tmpfs_mount(16 << 20).path / "A001"
    shutil.copytree(offloaded_card(tmp_path, clip="C{:03d}.mov") / "A001", copy, symlinks=True)
    reports = tmp_path / "reports"
    with immutable(copy / "ascmhl"):
        shown = run_offload("verify", "--append", "--report-dir", reports, copy)
    assert shown.returncode == 11, shown.stderr
    saved = newest_report(reports)
    assert saved["generation_unwritten"] is True, saved
    assert saved["files_read_through_cache"] == 3, saved

    def history_of(data: dict[str, Any]) -> str:
        folder = tmp_path / f"as{len(list(tmp_path.glob('as*')))}"
        folder.mkdir()
        (folder / "verify.json").write_text(json.dumps(data))
        listed = run_offload("history", "--json", "--report-dir", folder)
        (entry,) = json.loads(listed.stdout)
        assert entry["reason"] == data["error"], entry
        return str(entry["result"])

    unwritten = ", generation not written (--append)"
    assert history_of(saved) == f"verified, 3 through a cache{unwritten}"
    sized = {**saved, "files_read_through_cache": 0}
    sized["totals"] = {**saved["totals"], "verified": 0, "unverifiable": 3}
    assert history_of(sized) == f"3 checked by size only, none verified{unwritten}"
    older = {key: value for key, value in saved.items() if key != "generation_unwritten"}
    assert history_of(older) == f"verified{unwritten}"


#: The prefix of a command run as root but without the capabilities that let root read any
#: folder: permissions stop it (as ``nobody``, with the venv and tmp_path still its own).
NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


@pytest.mark.parametrize(
    ("unread", "mode", "options"),
    [
        (".", 0, ()),
        (".", 0, ("--append",)),
        (".", 0, ("--json",)),
        ("ascmhl", 0, ()),
        ("ascmhl", 0o644, ()),
        ("CLIPS", 0, ()),
        (".offload", 0, ()),
        ("..", 0, ()),
    ],
)
def test_a_folder_that_cannot_be_read_is_one_line_and_exit_11(
    tmp_path: Path, unread: str, mode: int, options: tuple[str, ...]
) -> None:
    """A folder of a copy root (the root itself, its ``ascmhl/``, a folder of the card, its
    ``.offload/`` where the ledger is the reference) or above it, at a mode that stops a
    user whom permissions stop (000; 644: listed, not searched): one ERROR line naming it
    and what to do, exit 11, nothing verified (``--json``: the document says so), and
    ``offload history`` says it was not checked. Failed before: a PermissionError
    traceback and exit 1 (the root); exit 31 "damaged or forged" (``ascmhl/``); the
    error's words alone, no remedy (``CLIPS/``, ``.offload/``); exit 64 "name the
    destination (or card) folder" (the folder above)."""
    root = offloaded_card(tmp_path, clip="C{:03d}.mov") / "A001"
    if unread == ".offload":
        (root / "ascmhl").rename(tmp_path / "ascmhl")  # the ledger is the reference
    folder = Path(os.path.normpath(root / unread))
    reports = tmp_path / "reports"
    folder.chmod(mode)
    try:
        run = run_offload("verify", *options, "--report-dir", reports, root, prefix=NO_DAC)
    finally:
        folder.chmod(0o755)
    assert run.returncode == 11, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    where = "it" if folder == root else str(folder)
    said = f"cannot verify {root}: {where} cannot be read (Permission denied (EACCES))"
    if options == ("--json",):
        data = json.loads(run.stdout)
        assert (data["exit_code"], data["passed"], data["verified"]) == (11, False, []), data
        assert data["error"].startswith(said), data
    else:
        (line,) = [line for line in run.stderr.splitlines() if line.startswith("ERROR:")]
        assert line.startswith(f"ERROR: {said}"), run.stderr
        assert "give this user read access" in line, line
    if unread == "..":  # PATH not reached (no folder seen there): no report, as when missing
        assert not list(reports.glob("*.json")), run.stderr
    else:
        listed = run_offload("history", "--json", "--report-dir", reports)
        (entry,) = json.loads(listed.stdout)
        assert entry["result"] == "not checked (cannot be read)", entry


def test_each_refused_reference_says_what_to_do(tmp_path: Path) -> None:
    """A chain file that is not XML, one missing, a folder at its name, and an
    ``--mhl-file`` outside PATH: one ERROR line each that says what to do (restore the
    history, or check against the ledger meanwhile; name this copy's MHL), and a folder at
    the chain file's name is called a folder. Failed before: each line ended at "nothing was
    verified against it" (or "is not inside PATH"), the folder called a "missing ASC MHL
    chain file"; then the ledger's check was offered once ``ascmhl/`` was "moved aside",
    which renamed inside the copy root gives exit 21 (its files new)."""
    copy = offloaded_card(tmp_path, clip="C{:03d}.mov") / "A001"
    chain = Path("ascmhl") / "ascmhl_chain.xml"
    damage = {
        "junk": lambda root: (root / chain).write_text("junk<"),
        "gone": lambda root: (root / chain).unlink(),
        "folder": lambda root: ((root / chain).unlink(), (root / chain).mkdir()),
    }
    restore = "from another copy of this card (or a backup) that ascmhl-debug verify accepts"
    for name, spoil in damage.items():
        root = tmp_path / name
        shutil.copytree(copy, root, symlinks=True)
        spoil(root)
        run = run_offload("verify", "--report-dir", tmp_path / "reports", root)
        # ascmhl-debug verify's codes where they overlap: no chain file 32, else 31
        assert run.returncode == (32 if name == "gone" else 31), run.stderr
        (line,) = [line for line in run.stderr.splitlines() if line.startswith("ERROR:")]
        assert f"restore {root / 'ascmhl'} {restore}, and run this again" in line, line
        assert "ledger once ascmhl/ is moved out of the copy root (keep it" in line, line
    # Done as said (the damaged history kept, out of the copy root): the ledger's check
    # passes. Renamed inside the copy root (QA's reading of "moved aside"), exit 21.
    (root / "ascmhl").rename(tmp_path / "ascmhl.damaged")
    assert run_offload("verify", "--report-dir", tmp_path / "reports", root).returncode == 0
    assert "ascmhl_chain.xml is a folder, not the ASC MHL chain file" in line, line
    outside = tmp_path / "elsewhere" / "A001.mhl"
    outside.parent.mkdir()
    outside.write_text(
        '<?xml version="1.0"?><hashlist version="1.1"><hash><file>CLIPS/C000.mov</file>'
        "<size>1</size><md5>00</md5></hash></hashlist>"
    )
    run = run_offload("verify", "--report-dir", tmp_path / "reports", "--mhl-file", outside, copy)
    assert run.returncode == 64, run.stderr
    assert "name this copy's own (--mhl-file PATH/.../NAME.mhl)" in run.stderr, run.stderr


def test_a_copy_unreadable_again_is_never_called_found_wrong(tmp_path: Path) -> None:
    """A copy this user may not read (mode 000), checked twice: the first check revokes its
    ledger record (documented); the second words it as unreadable, never "found wrong".
    Failed before: "1 copy found wrong above was found wrong by an earlier check too"."""
    root = offloaded_card(tmp_path, clip="C{:03d}.mov") / "A001"
    clip = root / "CLIPS" / "C000.mov"
    clip.chmod(0)
    try:
        runs = [
            run_offload("verify", "--report-dir", tmp_path / "reports", root, prefix=NO_DAC)
            for _ in range(2)
        ]
    finally:
        clip.chmod(0o644)
    assert [run.returncode for run in runs] == [11, 11], runs[-1].stderr
    said = " ".join(runs[1].stderr.split())
    assert "found wrong above" not in said, said
    assert (
        "1 copy listed UNREADABLE above (not read now: neither proven nor found wrong) was "
        "revoked by an earlier check" in said
    ), said


def test_a_folder_the_disk_failed_to_read_is_told_to_check_the_drive(tmp_path: Path) -> None:
    """A folder whose read the disk failed (EIO) is told what fits a disk, never "give this
    user read access". Failed before: the permissions' remedy for every errno."""
    said = unreadable_folder(tmp_path, tmp_path / "CLIPS", OSError(errno.EIO, "I/O error"))
    assert "check the drive" in said.message and "read access" not in said.message, said
    assert said.exit_code == 11, said


def test_an_append_over_a_folder_1100_levels_deep_records_it(tmp_path: Path) -> None:
    """A file 1,100 folders down in a copy root: ``verify --append`` records it (exit 21:
    new, now recorded) and the next check passes. Failed before: a RecursionError traceback
    (``IgnoreSpec._folder_excluded`` called itself a level at a time)."""
    root = offloaded_card(tmp_path, clip="C{:03d}.mov") / "A001"
    with folders_deep(root, 1100) as deep:
        (deep / "late.txt").write_bytes(b"late")
        reports = tmp_path / "reports"
        appended = run_offload("verify", "--append", "--report-dir", reports, root)
        assert appended.returncode == 21, appended.stderr[-3000:]
        assert "Traceback" not in appended.stderr, appended.stderr[-3000:]
        checked = run_offload("verify", "--report-dir", reports, root)
        assert checked.returncode == 0, checked.stderr[-3000:]


def test_a_recorded_folder_gone_is_never_worded_verified_nor_a_missing_file(
    tmp_path: Path,
) -> None:
    """A copy whose only loss is a recorded empty folder (``rmdir``): ``missing`` counts
    files alone (0), ``missing_folders`` names it. Each way it is said keeps it: the
    terminal's line for it is a folder's (never ``MISSING`` beside "0 missing"); ``offload
    history`` words a plain check "recorded folders gone", an ``--append`` whose
    generation could not be written (``ascmhl/`` immutable) "recorded folders gone,
    generation not written (--append)", and a check of a copy root whose last offload did
    not finish never "incomplete copy" (nothing recorded gone) nor "0 missing". Failed
    before: history said "verified, generation not written (--append)" and "incomplete
    copy (offload not finished)", the terminal ``ERROR: MISSING .../empty`` and "0 missing
    (more: unknown)"."""
    card = tmp_path / "card" / "A001"
    (card / "empty").mkdir(parents=True)
    (card / "a.mov").write_bytes(os.urandom(30_000))
    (tmp_path / "disk").mkdir()
    copied = run_offload("copy", "-q", "--report-dir", tmp_path / "jobs", card, tmp_path / "disk")
    assert copied.returncode == 0, copied.stderr
    root = tmp_path / "disk" / "A001"
    (root / "empty").rmdir()

    def checked(reports: Path, *options: str) -> tuple[int, str, dict[str, Any], str]:
        shown = run_offload("verify", *options, "--report-dir", reports, root)
        listed = run_offload("history", "--json", "--report-dir", reports)
        (entry,) = [e for e in json.loads(listed.stdout) if e["kind"] == "verify"]
        output = shown.stdout + shown.stderr
        return shown.returncode, output, newest_report(reports), entry["result"]

    code, output, data, result = checked(tmp_path / "r1")
    assert code == 10, output
    assert (data["totals"]["missing"], data["missing_folders"]) == (0, ["empty"]), data
    assert f"MISSING FOLDER (recorded) {root / 'empty'}" in output, output
    assert "ERROR: MISSING /" not in output and "0 missing, 1 recorded folder gone" in output
    assert result == "recorded folders gone"

    with immutable(root / "ascmhl"):
        code, output, data, result = checked(tmp_path / "r2", "--append")
    assert code == 11 and data["generation_unwritten"] is True, output
    assert result == "recorded folders gone, generation not written (--append)"

    # The copy root's last offload not finished: its record as a run still going writes it.
    record = root / ".offload" / "last-run.json"
    record.write_text(
        json.dumps({"state": "running", "run": "r1", "started": "2026-01-02T03:04:05Z"})
    )
    code, output, data, result = checked(tmp_path / "r3")
    assert code == 10 and data["unfinished_offload"], output
    assert "missing: unknown, 1 recorded folder gone" in output, output
    assert "0 missing" not in output, output
    assert result == "recorded folders gone"
