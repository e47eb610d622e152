"""A cascade's fast copy changed in place after the cascade read it, its size and date put
back (one byte flipped, ``os.utime``), while the slow drive's write is held: the cascade's
end check (``cascade._changed_since_verified``) compares the inode number and change time
the copy's ledger entry recorded when it was verified with the same ``lstat``, and, the
change time moved, reads that one copy again: other bytes than verified fail it as
``changed`` (never "verified on every destination", exit 0). A copy whose metadata alone
changed (``chmod``) reads equal and stays verified.

Failed before: "All 4 files ... are verified on every destination", exit 0, the damaged
fast copy ``verified``. Real parts: the card on a tmpfs, the fast drive an ext4 loop, the
slow one a FaultyFS whose rename of a2's copy into place waits for the change; the real CLI.

The change lands after the cascade's job is done with that fast copy, whatever the load:
the slow copy is published under its final name (that rename) only once full mode's
re-read of its source, the fast copy, gave its verdict (``engine.committer``). Held at the
slow drive's first write of a0 instead, the change raced the job's read-ahead: a flip made
during a2's re-read failed it as ``unreadable`` ("reads differently than while copying"),
the job's words, not the end check's this tests."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from support.cascade_drives import cascade_drives
from support.faultyfs import FaultyFS
from support.mounts import Ext4Loop, Mount
from support.offload_cli import copy_acting_at_release

pytestmark = pytest.mark.fault


def _flip_keeping_date(path: Path) -> None:
    st = path.stat()
    with path.open("r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0x01]))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("change", ["flip", "chmod"])
def test_a_fast_copy_changed_in_place_mid_cascade_is_found_at_the_end(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
    change: str,
) -> None:
    card, fast, slow, stalled, reports = cascade_drives(
        tmp_path, tmpfs_mount, ext4_loop, faulty_fs, files=4, size=300_000,
        stall="C9/a2.mov", stall_op="rename",
    )  # fmt: skip
    copy = fast.path / "C9" / "a2.mov"

    def change_the_fast_copy(_process: object) -> None:
        # Held: a2's slow copy published, so the job has read and re-read the fast copy.
        slow.wait_stalled(stalled, timeout_s=60)
        if change == "flip":
            _flip_keeping_date(copy)
        else:
            copy.chmod(0o600)
        slow.release(stalled)

    released, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--cascade-to", str(slow.mountpoint),
        str(card), str(fast.path), at_release=change_the_fast_copy,
    )  # fmt: skip
    assert "CARD RELEASED" in released, f"{code}: {rest}"
    assert "Traceback" not in rest, rest
    assert slow.fired(stalled) == 1, rest  # the change came while a2's publish was held
    latest = max(reports.glob("C9_*.json"), key=lambda p: p.stat().st_mtime_ns)
    data = json.loads(latest.read_text())
    fast_index = next(
        d["index"] for d in data["destinations"] if d["copy_root"] == str(fast.path / "C9")
    )
    (a2,) = [f for f in data["files"] if f["path"] == "a2.mov"]
    (result,) = [d for d in a2["destinations"] if d["index"] == fast_index]
    if change == "chmod":
        assert code == 0, rest
        assert result["status"] == "verified", result
        return
    assert code != 0, rest
    assert "All 4 files" not in rest, rest
    assert result["status"] == "failed", result
    assert result["fast_failure"] == "changed", result
    assert "with other content than was verified" in result["error"], result
    # Its manifest there, written at the release, still lists it with the card's hash: said
    # with its failure (QA qa70c M3: README said "left out of its manifest", untrue).
    assert (
        "its manifest there, written at the end of the card's pass, still lists it with the "
        "card's hash (offload verify of that copy root fails it)" in result["error"]
    ), result
    said = " ".join(rest.split())
    assert "written at the end of the card's pass, still lists it with the card's hash" in said
