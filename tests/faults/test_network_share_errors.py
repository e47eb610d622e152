"""A network share that fails under ``offload verify`` and ``offload copy``: what the lines
say (the errno and what to do about a share, not a drive's cable), and that the counts are
true.

Real parts: the share is a FaultyFS FUSE mount whose type is ``fuse.sshfs`` (the product
takes it for a network share, as a real sshfs mount: ``fs.below.NETWORK_FILESYSTEMS``); its
server "dies" by ``unplug`` (every call EIO from then on, as sshfs answers with
``-o reconnect`` once the server is gone); the commands run as subprocesses. Black-box QA
found these on real sshfs mounts of an sftp-server on 127.0.0.1."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault

OFFLOAD = [sys.executable, "-m", "offload.cli.offload"]
MIB = 1024 * 1024


def _card(root: Path, count: int, size: int) -> Path:
    card = root / "A001"
    (card / "CLIP").mkdir(parents=True)
    for index in range(1, count + 1):
        (card / "CLIP" / f"f{index:02d}.mov").write_bytes(os.urandom(size))
    return card


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*OFFLOAD, *argv], capture_output=True, text=True, timeout=120)


def test_verify_when_the_share_dies_mid_check_says_why_and_counts_true(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The server dies while f03 is read (2 of its 4 MiB read): each UNREADABLE line gives
    its errno and what to do about a share, the JSON ``reasons`` too; one line says the
    ledger could not be written, so nothing was revoked; f03 (failed mid-read) is neither
    OK nor counted as read through a cache. Before: no reason (``reasons: {}``), no line
    about the ledger (its look failed EIO, taken for "no ledger"), no report at all where
    the share's root no longer answered, and a file whose close failed after its last read
    counted through a cache though UNREADABLE."""
    share = faulty_fs(subtype="sshfs")
    card = _card(tmp_path / "cards", 6, 4 * MIB)
    reports = tmp_path / "r"
    # The copy made on the server's own disk (its backing folder), read through the share.
    copied = _run("copy", "-q", "--report-dir", str(reports), str(card), str(share.backing))
    assert copied.returncode == 0, copied.stderr
    stall = share.stall("read", path="A001/CLIP/f03.mov", offset=2 * MIB)
    process = subprocess.Popen(
        [*OFFLOAD, "verify", "--report-dir", str(reports), str(share.mountpoint / "A001")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        share.wait_stalled(stall, timeout_s=60)
        share.unplug()  # the server is gone: every call EIO from now on
    finally:
        share.release()
    out, err = process.communicate(timeout=120)
    said = out + err
    assert process.returncode == 11, said
    unreadable = [line for line in err.splitlines() if line.startswith("ERROR: UNREADABLE")]
    assert len(unreadable) == 4, said  # f03 to f06
    for line in unreadable:
        assert "(EIO)" in line and "check the server, its disk and the network" in line, line
        assert "cable" not in line, line
    assert "0 files read from the media, 2 through a cache" in out, said
    # Failed before: "the copies this check proved wrong", though the ledger could not be
    # read and the check proved none wrong: it could not read four of them.
    assert "ledger record of the 4 copies it could not read was not revoked" in err, said
    assert "proved wrong" not in err, said
    (verify_json,) = reports.glob("verify_*.json")
    report = json.loads(verify_json.read_text())
    assert report["verified"] == ["CLIP/f01.mov", "CLIP/f02.mov"]
    assert report["files_read_through_cache"] == 2
    assert report["read_through_cache"] == ["CLIP/f01.mov", "CLIP/f02.mov"]
    assert sorted(report["reasons"]) == [f"CLIP/f0{i}.mov" for i in range(3, 7)]
    assert {why["code"] for why in report["reasons"].values()} == {"read-error"}
    assert report["revoked"] == []
    assert any("was not revoked" in note for note in report["notes"]), report["notes"]


def test_verify_file_whose_close_fails_is_not_counted_through_a_cache(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A share whose close of f02 fails (the FUSE flush: EIO) after every byte was read:
    f02 is UNREADABLE, and the count of files read through a cache is that of the files
    judged OK (2), as the CSV's list is. Before: 3 through a cache, 2 OK."""
    share = faulty_fs(subtype="sshfs")
    card = _card(tmp_path / "cards", 3, MIB)
    reports = tmp_path / "r"
    copied = _run("copy", "-q", "--report-dir", str(reports), str(card), str(share.backing))
    assert copied.returncode == 0, copied.stderr
    rule = share.fail("flush", errno.EIO, path="A001/CLIP/f02.mov")
    done = _run("verify", "--report-dir", str(reports), str(share.mountpoint / "A001"))
    assert share.fired(rule) >= 1
    assert done.returncode == 11, done.stdout + done.stderr
    assert "2 OK" in done.stdout and "2 through a cache" in done.stdout, done.stdout
    (verify_json,) = reports.glob("verify_*.json")
    report = json.loads(verify_json.read_text())
    assert report["unreadable"] == ["CLIP/f02.mov"]
    assert report["files_read_through_cache"] == 2
    assert report["reasons"]["CLIP/f02.mov"]["code"] == "read-error"


def test_copy_to_a_share_whose_writes_fail_eio_names_the_server_not_a_cable(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The server's disk filled (sshfs answers EIO, not ENOSPC): the destination lost says
    to check the server, its disk and the network, then run again. Before: "the drive
    could not read or write: check the drive and its cable"."""
    share = faulty_fs(subtype="sshfs")
    card = _card(tmp_path / "cards", 3, MIB)
    rule = share.fail("write", errno.EIO, path="A001/CLIP/*")
    done = _run("copy", "--report-dir", str(tmp_path / "r"), str(card), str(share.mountpoint))
    assert share.fired(rule) >= 1
    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert (
        "Input/output error (EIO); the share could not read or write: check the server, "
        "its disk and the network, then run the same command again" in said
    ), said
    assert "cable" not in said, said


def test_verify_of_a_share_that_answers_eio_names_the_server(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A share whose server is gone before the check (every call EIO): one line naming the
    share and what to check, exit 64. Before: "the drive holding ... cannot be read
    (Input/output error): check the drive and its cable"."""
    share = faulty_fs(subtype="sshfs")
    (share.mountpoint / "A001").mkdir()
    share.unplug()
    done = _run("verify", "--report-dir", str(tmp_path / "r"), str(share.mountpoint / "A001"))
    assert done.returncode == 64, done.stderr
    assert "the share holding" in done.stderr, done.stderr
    assert "check the server, its disk and the network" in done.stderr, done.stderr
    assert "cable" not in done.stderr, done.stderr


def test_copy_folder_removed_on_the_server_but_cached_is_said_vanished(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The copy folder removed on the server while the share's attribute cache still shows
    it: its stat passes, the preflight's write probe in it gets ENOENT. The line says the
    folder vanished (removed on the server, or the share's cache is stale): run again.
    Before: "... is not writable: No such file or directory (ENOENT); mount it read-write
    or fix its permissions" (no permission is at fault)."""
    share = faulty_fs(subtype="sshfs")
    (share.mountpoint / "FILL").mkdir()
    card = _card(tmp_path / "cards", 2, MIB)
    rule = share.fail("create", errno.ENOENT, path="FILL/.offload-probe-*")
    done = _run(
        "copy", "--report-dir", str(tmp_path / "r"), str(card), str(share.mountpoint / "FILL")
    )
    assert share.fired(rule) >= 1
    assert done.returncode == 64, done.stderr
    assert (
        "the folder vanished (removed on the server, or the share's cache is stale)" in done.stderr
    ), done.stderr
    assert "run the same command again" in done.stderr, done.stderr
    assert "permissions" not in done.stderr, done.stderr


def test_ledger_gone_at_its_open_is_said_vanished_not_move_it_away(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The copy root's ledger seen there (the share's cache) and gone at its open (ENOENT):
    the folder vanished, run again. Before: "cannot read .../ledger.jsonl: No such file or
    directory (ENOENT); fix or move it away" (there is nothing to move)."""
    share = faulty_fs(subtype="sshfs")
    card = _card(tmp_path / "cards", 2, MIB)
    reports = str(tmp_path / "r")
    first = _run("copy", "-q", "--report-dir", reports, str(card), str(share.backing))
    assert first.returncode == 0, first.stderr
    rule = share.fail("open", errno.ENOENT, path="A001/.offload/ledger.jsonl")
    done = _run("copy", "--report-dir", reports, str(card), str(share.mountpoint))
    assert share.fired(rule) >= 1
    assert done.returncode == 64, done.stderr
    assert "ledger.jsonl" in done.stderr, done.stderr
    assert (
        "the folder vanished (removed on the server, or the share's cache is stale)" in done.stderr
    ), done.stderr
    assert "move it away" not in done.stderr, done.stderr


def _verify_of_a_share_gone(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], mhl: str, op: str, path: str, code: int
) -> None:
    """A copy (``--mhl`` *mhl*) on an sshfs share whose *op* on *path* fails with *code* as
    ``offload verify`` checks it: refused as a drive gone (exit 64, "not reachable ...:
    reconnect it"), never as a damaged history (31) nor as a copy that could not be read
    (11)."""
    share = faulty_fs(subtype="sshfs")
    card = _card(tmp_path / "cards", 1, MIB)
    reports = str(tmp_path / "r")
    copied = _run(
        "copy", "-q", "--mhl", mhl, "--report-dir", reports, str(card), str(share.backing)
    )
    assert copied.returncode == 0, copied.stderr
    rule = share.fail(op, code, path=path)
    done = _run("verify", "--report-dir", reports, str(share.mountpoint / "A001"))
    assert share.fired(rule) >= 1
    said = done.stdout + done.stderr
    assert done.returncode == 64, said
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("ERROR:")]
    assert str(share.mountpoint / "A001") in line, line
    assert "is not reachable" in line and "reconnect it" in line, line
    assert "damaged" not in line and "restore" not in line, line
    assert "cannot be read" not in line and "cannot verify" not in line, line


@pytest.mark.parametrize("code", [errno.ENOTCONN, errno.ESTALE])
def test_verify_of_a_share_gone_while_its_history_is_read_says_reconnect(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], code: int
) -> None:
    """The share's server gone (sshfs killed: ENOTCONN; its handle stale: ESTALE) as the ASC
    MHL history is read: the check stops as for a drive gone (exit 64, "not reachable ...:
    reconnect it"), never as a damaged history (31). Failed before: exit 31, "could not be
    read, not found wrong"."""
    _verify_of_a_share_gone(tmp_path, faulty_fs, "ascmhl", "read", "A001/ascmhl/*", code)


@pytest.mark.parametrize(
    ("mhl", "op", "path", "code"),
    [
        # The check against the history: its ascmhl/ folder looked at, the tree listed.
        ("ascmhl", "getattr", "A001/ascmhl", errno.ENOTCONN),
        ("ascmhl", "readdir", "A001/CLIP", errno.ESTALE),
        # The check against the ledger: the ledger read, the tree listed.
        ("none", "read", "A001/.offload/*", errno.ENOTCONN),
        ("none", "readdir", "A001/CLIP", errno.ENOTCONN),
    ],
    ids=["history-folder", "history-listing", "ledger-read", "ledger-listing"],
)
def test_verify_of_a_share_gone_in_any_branch_of_the_check_says_reconnect(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], mhl: str, op: str, path: str, code: int
) -> None:
    """One rule for every branch of the check (``verification._refused_read``): the share
    gone as the check looks at the history's folder, lists the tree against a manifest or
    against the ledger, or reads the ledger is a drive gone (exit 64, reconnect it), as it
    is while the history is read. Failed before: exit 11, "cannot verify PATH: ...:
    Transport endpoint is not connected (ENOTCONN)" (and "cannot be read ... mount it
    again" for the history's folder)."""
    _verify_of_a_share_gone(tmp_path, faulty_fs, mhl, op, path, code)


def test_verify_ledger_only_says_an_unreadable_copy_is_not_found_wrong(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A ledger-only check (``--mhl none``: no ASC MHL) whose stat of one copy fails
    ENOTCONN lists it UNREADABLE; the line about the ledger's record says it revoked the
    copy it found unreadable, never "found wrong"; the UNREADABLE line gives the stat's error.
    Failed before: "this copy root's ledger still records 1 copy found wrong above, not
    revoked", and the UNREADABLE line gave no reason. (Since verify revokes every copy found
    wrong or unreadable whatever its size and date now, ``verify_revoke``, the entry of a
    copy whose stat failed is revoked too, where it was left "still recorded".)"""
    drive = faulty_fs()
    card = _card(tmp_path / "cards", 3, 1000)
    reports = tmp_path / "r"
    copied = _run(
        "copy", "-q", "--mhl", "none", "--report-dir", str(reports), str(card), str(drive.backing)
    )
    assert copied.returncode == 0, copied.stderr
    drive.fail("getattr", errno.ENOTCONN, path="A001/CLIP/f02.mov")
    done = _run("verify", "--report-dir", str(reports), str(drive.mountpoint / "A001"))
    assert done.returncode != 0, done.stdout + done.stderr
    [unread] = [x for x in done.stderr.splitlines() if x.startswith("ERROR: UNREADABLE")]
    assert "f02.mov" in unread, done.stderr
    # Its line says why (README: "Each UNREADABLE line says why"), as a failed read's does.
    # Failed before too: "ERROR: UNREADABLE <path>", nothing else (the stat's error lost).
    assert "ENOTCONN" in unread, unread
    assert "found wrong above" not in done.stderr, done.stderr
    assert "still records" not in done.stderr, done.stderr
    [line] = [x for x in done.stderr.splitlines() if "this check revoked" in x]
    assert "record of the 1 copy it found changed or unreadable" in line, line
