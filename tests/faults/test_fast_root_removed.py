"""A cascade's fast copy root removed by the user (``rm -rf FAST/C9``) at ``CARD RELEASED``,
while the cascade still feeds the slow destination, the drive still mounted. Its copies are
gone because the folder was removed, not because the drive went: before the fix every word
said "its drive is not reachable ... unmounted or pulled?" and "reconnect that drive", a
false cause and a remedy that does nothing (the drive is there). Now: "the folder ... was
removed during the run", and what copies it anew (a re-run with the card); a drive detached
(``test_fast_drive_detached``) keeps its words.

Real parts: the card on a tmpfs, the fast drive an ext4 loop (its folder removed with
``shutil.rmtree``), the slow one a FaultyFS whose writes wait for the removal; for a folder
removed before the cascade's first look at it, the fast drive a FaultyFS whose write of the
cascade's mark waits for the removal instead, and for a single file removed, one whose
cascade's open of that file waits; the real CLI as a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from support.cascade_drives import cascade_drives, tmpfs_card
from support.faultyfs import FaultyFS
from support.held_process import start
from support.mounts import Ext4Loop, Mount
from support.offload_cli import CLI, copy_acting_at_release, newest_report, run_offload

pytestmark = pytest.mark.fault


def test_a_fast_copy_root_removed_after_the_release_is_said_removed_not_unreachable(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    card, fast, slow, stalled, reports = cascade_drives(tmp_path, tmpfs_mount, ext4_loop, faulty_fs)
    root = fast.path / "C9"

    def remove_the_fast_copy_root(_process: object) -> None:  # the cascade's writes wait for it
        shutil.rmtree(root)  # rm -rf: the drive stays mounted
        slow.release(stalled)

    released, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--cascade-to", str(slow.mountpoint),
        str(card), str(fast.path), at_release=remove_the_fast_copy_root,
    )  # fmt: skip
    assert "can be ejected" in released, f"{code}: {rest}"
    assert "Traceback" not in rest, rest
    said = " ".join(rest.split())
    assert code != 0, rest
    # Never the drive's words: it is there.
    for false in ("unmounted or pulled", "reconnect", "not reachable", "drive is gone"):
        assert false not in said, (false, rest)
    assert f"the folder {root} was removed during the run" in said, rest
    assert "refused its report (ENOENT): its folder was removed since" in said, rest
    assert "disk may have failed" not in said, rest
    (local,) = sorted(reports.glob("C9_*.json"))
    data = json.loads(local.read_text())
    text = json.dumps(data)
    for false in ("unmounted or pulled", "reconnect", "not reachable", "drive is gone"):
        assert false not in text, (false, data)
    assert [r["errno"] for r in data["reports_refused"]] == ["ENOENT"], data["reports_refused"]
    assert code == data["exit_code"], rest
    results = {d["copy_root"]: d["result"] for d in data["destinations"]}
    assert results[str(root)] == "failed", results

    # The remedy said works: the same command with the card copies it anew.
    again = run_offload(
        "copy", "--report-dir", reports, "--cascade-to", slow.mountpoint, card, fast.path
    )
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in root.glob("*.mov")) == [f"a{i}.mov" for i in range(4)]


def test_a_fast_copy_an_earlier_run_verified_removed_mid_cascade_is_said_so(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """A re-run that cascades from fast copies an earlier run verified (trusted from the
    ledger, not read now), their copy root removed while the cascade feeds the slow
    destination: the fast copies' failures say what they proved, "was verified by an
    earlier run", then the folder removed, and never --overwrite (nothing is there). Failed
    before (review): "was verified" whatever the copy's status."""
    # More files than the cascade reads ahead of its stalled write (it waits for the removal).
    card, fast, slow, stalled, reports = cascade_drives(
        tmp_path, tmpfs_mount, ext4_loop, faulty_fs, files=6, size=3 << 20
    )
    root = fast.path / "C9"
    first = run_offload("copy", "--report-dir", reports, card, fast.path)  # the slow untouched
    assert first.returncode == 0, first.stderr
    command = [*CLI, "copy", "--report-dir", str(reports), "--cascade-to"]
    with subprocess.Popen(
        [*command, str(slow.mountpoint), str(card), str(fast.path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200"},
    ) as process:  # fmt: skip
        slow.wait_stalled(stalled, timeout_s=60)
        shutil.rmtree(root)  # rm -rf: the drive stays mounted
        slow.release(stalled)
        _out, err = process.communicate(timeout=120)
    assert process.returncode != 0, err
    assert "Traceback" not in err, err
    latest = max(reports.glob("C9_*.json"), key=lambda p: p.stat().st_mtime_ns)
    data = json.loads(latest.read_text())
    fast_index = next(d["index"] for d in data["destinations"] if d["copy_root"] == str(root))
    errors = [
        d["error"]
        for f in data["files"]
        for d in f["destinations"]
        if d["index"] == fast_index and d["status"] == "failed"
    ]
    assert errors, (err, json.dumps([f["destinations"] for f in data["files"]]))
    removed = f"was verified by an earlier run, then the folder {root} was removed during the run"
    for error in errors:
        assert removed in error, errors
        assert "--overwrite" not in error, errors


def test_a_fast_copy_root_removed_before_the_cascade_looks_at_it_is_said_removed(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """The fast copy root removed after the card's pass, before the cascade's first look at
    its copies (``_cascade_tasks``, which finds them gone when it stats them: no read is
    tried): the fast drive a FaultyFS whose write of the cascade's mark, the run's last
    write there before that look, waits for the removal (``rm -rf`` of the folder on the
    drive, which stays mounted). Each fast copy's failure says what it proved, then the
    folder removed before the cascade read it; the slow destination's, that the copy is
    gone for that reason; never the drive's words nor --overwrite (nothing is there).
    The branch of ``_cascade_tasks`` for a removed root had no test: every other test
    removed the folder once the cascade's job was reading (``_explain``'s branch)."""
    card = tmpfs_card(tmpfs_mount, 3, 100_000)
    fast = faulty_fs()
    slow, reports = tmp_path / "slow", tmp_path / "reports"
    slow.mkdir()
    root = fast.mountpoint / "C9"
    # The mark's staging file (``cascade_unsettled._write``), written before the release.
    mark = fast.stall("write", path="C9/.offload/.cascade-unsettled.json.*", nth=1)
    process = start(
        [*CLI, "copy", "--report-dir", reports, "--cascade-to", slow, card, fast.mountpoint],
        env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.DEVNULL,
    )
    try:
        fast.wait_stalled(mark, timeout_s=60)
        shutil.rmtree(fast.backing / "C9")  # on the drive itself: the mount stays
    finally:
        fast.release()
    _out, err = process.communicate(timeout=120)
    assert fast.fired(mark) == 1

    assert "Traceback" not in err, err
    # No copy stands verified at the end: nothing copied and verified (exit 2).
    assert process.returncode == 2, err
    said = " ".join(err.split())
    for false in ("unmounted or pulled", "reconnect", "not reachable", "drive is gone"):
        assert false not in said, (false, err)
    removed = f"the folder {root} was removed during the run (its drive is still there)"
    lines = [" ".join(line.split()) for line in err.split("ERROR: ")[1:]]
    for index in range(3):
        name = f"a{index}.mov"
        copy = root / name
        (fast_line,) = [line for line in lines if line.startswith(f"{name}: the copy {copy} ")]
        assert fast_line.startswith(
            f"{name}: the copy {copy} was verified, then {removed} before the cascade read "
            "it; re-run with the card to copy it anew"
        ), fast_line
        assert "--overwrite" not in fast_line, fast_line
        (slow_line,) = [line for line in lines if f"not cascaded: the copy {copy}" in line]
        assert f"not cascaded: the copy {copy} was verified but is gone: {removed}" in slow_line
    data = newest_report(reports)
    assert data["exit_code"] == 2, data["exit_code"]
    results = {d["copy_root"]: d["result"] for d in data["destinations"]}
    assert results == {str(root): "failed", str(slow / "C9"): "failed"}, results
    assert not (slow / "C9").exists() or not list((slow / "C9").glob("*.mov"))

    # The remedy said works: the same command with the card copies it anew.
    again = run_offload(
        "copy", "--report-dir", reports, "--cascade-to", slow, card, fast.mountpoint
    )
    assert again.returncode == 0, again.stderr
    for index in range(3):
        name = f"a{index}.mov"
        assert (slow / "C9" / name).read_bytes() == (card / name).read_bytes()


def test_a_single_fast_copy_removed_mid_cascade_is_said_gone_never_in_the_cards_words(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """One fast copy's file removed (``rm``) after the card's release, before the cascade
    read it, its folder and drive there. Failed before: its failures (``FileFailed``: the
    terminal's, ``--json``'s ``file_failed``, the report's) carried the engine's words for
    the card ("was on the card when it was scanned ... put it, or the right card, back").
    Now: the fast copy's file is gone, and the remedy, which works: the same command with
    the card.

    The removal lands before the cascade's job reads that file, whatever the load: the fast
    drive is a FaultyFS whose first open of the last file, the cascade's (the card's pass
    reads its copies back under their hidden partial names), waits for the ``rm``. Held at
    the slow drive's first write instead, the ``rm`` raced the job, which reads ahead of
    its writes through the page cache: under load it had read and re-read the file first,
    then failed it only at the cascade's end ("found gone"), not as not cascaded."""
    card = tmpfs_card(tmpfs_mount, 3, 100_000)
    fast = faulty_fs()
    slow, reports = tmp_path / "slow", tmp_path / "reports"
    slow.mkdir()
    copy = fast.mountpoint / "C9" / "a2.mov"
    opened = fast.stall("open", path="C9/a2.mov", nth=1)
    process = start(
        [*CLI, "copy", "--report-dir", reports, "--cascade-to", slow, card, fast.mountpoint],
        env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.DEVNULL,
    )
    try:
        fast.wait_stalled(opened, timeout_s=60)
        # rm on the drive itself (through the mount it would wait for the held open, whose
        # path libfuse keeps locked); the folder and the drive stay, and the mount asks the
        # drive at every lookup (no cache: ``faultyfs_daemon``).
        (fast.backing / "C9" / "a2.mov").unlink()
    finally:
        fast.release()
    _out, err = process.communicate(timeout=120)
    assert fast.fired(opened) == 1, err
    assert process.returncode != 0 and "Traceback" not in err, err
    said = " ".join(err.split())
    assert "Now feeding" in said, err  # the open held came after the card's pass
    gone = f"a2.mov: not cascaded from {copy}: the fast copy's file is gone (removed since"
    assert gone in said, err
    errors = [
        d.get("error") or "" for f in newest_report(reports)["files"] for d in f["destinations"]
    ]
    assert any(e.startswith(gone) for e in errors), errors
    for false in ("on the card when it was scanned", "right card", "drive is gone"):
        assert false not in said and false not in json.dumps(errors), (false, err, errors)

    again = run_offload(
        "copy", "--report-dir", reports, "--cascade-to", slow, card, fast.mountpoint
    )
    assert again.returncode == 0, again.stderr
    assert copy.read_bytes() == (card / "a2.mov").read_bytes()
    assert (slow / "C9" / "a2.mov").read_bytes() == copy.read_bytes()


@pytest.mark.parametrize("how", ["removed", "renamed"])
def test_a_fast_copy_root_the_cascade_does_not_read_removed_after_the_release_is_failed(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
    how: str,
) -> None:
    """Two fast drives (F1 an ext4 loop, F2 a plain folder), the cascade fed from F1; at
    CARD RELEASED ``rm -rf F2/C9`` or ``mv F2/C9 F2/C9.old`` (F2's drive still there), then
    the slow drive's writes go on. F2's copies are gone: the cascade's end fails each as
    removed (the folder removed during the run, a re-run with the card copies it anew), the
    JSON counts none verified there, and no line says every file verified on every
    destination. Failed before: the end-of-cascade check stopped at F2's first missing copy
    ("not looked at"): "All 2 files ... verified on every destination", F2 files_verified
    2, the PDF "Verified now"."""
    card = tmpfs_card(tmpfs_mount, 2, 100_000)
    f1 = ext4_loop(32 << 20).path
    f2 = tmp_path / "F2"
    f2.mkdir()
    slow = faulty_fs()
    stalled = slow.stall("write", path="C9/*.mov")
    reports = tmp_path / "reports"
    root = f2 / "C9"

    def remove_f2s_copy_root(_process: object) -> None:
        if how == "removed":
            shutil.rmtree(root)  # rm -rf: the drive stays
        else:
            root.rename(f2 / "C9.old")  # mv: its copies are no longer where verified
        slow.release(stalled)

    released, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), str(card), str(f1), str(f2),
        "--cascade-to", str(slow.mountpoint), at_release=remove_f2s_copy_root,
    )  # fmt: skip
    assert "can be ejected" in released, f"{code}: {rest}"
    assert "Traceback" not in rest, rest
    said = " ".join(rest.split())
    assert code != 0, rest
    assert "verified on every destination" not in said.replace("0 are verified on every", ""), rest
    assert f"the folder {root} was removed during the run" in said, rest
    assert "when the cascade checked the fast copies at its end" in said, rest
    report = newest_report(reports)
    f2_row = next(d for d in report["destinations"] if d["copy_root"] == str(root))
    assert f2_row["files_verified"] == 0, f2_row
    for file in report["files"]:
        status = {d["index"]: d["status"] for d in file["destinations"]}
        assert status[f2_row["index"]] == "failed", file
