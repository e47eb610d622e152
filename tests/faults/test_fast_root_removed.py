"""A cascade's fast copy root removed by the user (``rm -rf FAST/C9``) at ``CARD RELEASED``,
while the cascade still feeds the slow destination, the drive still mounted. Its copies are
gone because the folder was removed, not because the drive went: before the fix every word
said "its drive is not reachable ... unmounted or pulled?" and "reconnect that drive", a
false cause and a remedy that does nothing (the drive is there). Now: "the folder ... was
removed during the run", and what copies it anew (a re-run with the card); a drive detached
(``test_fast_drive_detached``) keeps its words.

Real parts: the card on a tmpfs, the fast drive an ext4 loop (its folder removed with
``shutil.rmtree``), the slow one a FaultyFS whose writes wait for the removal, the real CLI
as a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from support.cascade_drives import cascade_drives
from support.faultyfs import FaultyFS
from support.mounts import Ext4Loop, Mount
from support.offload_cli import CLI, copy_acting_at_release, run_offload

pytestmark = pytest.mark.fault


def test_a_fast_copy_root_removed_after_the_release_is_said_removed_not_unreachable(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    card, fast, slow, stalled, reports = cascade_drives(tmp_path, tmpfs_mount, ext4_loop, faulty_fs)
    root = fast.path / "C9"

    def remove_the_fast_copy_root() -> None:  # the cascade's writes wait for it
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
